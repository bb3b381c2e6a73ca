/*
 * Progress of long non-streaming work (the sorted `show`'s first pass,
 * `info`) on stderr: "\r  37% (123.4 MB)", or "\r  123.4 MB" when the size
 * is unknown. Only on a terminal (never in logs or pipes), only once the work
 * has taken a noticeable time (no flicker on small files), at most ten
 * updates a second, and erased before any other message and at the end.
 */
#include "cli.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define FIRST_AFTER_NS (300u * 1000000u)
#define EVERY_NS (100u * 1000000u)

/* A progress line is on the terminal: the next message must erase it. */
static bool visible;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void cli_progress_init(cli_progress *p)
{
    p->enabled = isatty(STDERR_FILENO) == 1;
    p->start_ns = now_ns();
    p->last_ns = 0;
}

void cli_progress_update(void *ctx, uint64_t bytes, uint64_t total_or_0)
{
    cli_progress *p = ctx;
    if (!p->enabled)
        return;
    uint64_t t = now_ns();
    if (t - p->start_ns < FIRST_AFTER_NS || (p->last_ns != 0 && t - p->last_ns < EVERY_NS))
        return;
    p->last_ns = t;
    double mb = (double)bytes / 1e6;
    if (total_or_0 > 0) {
        unsigned pct = (unsigned)(bytes >= total_or_0 ? 100 : bytes * 100 / total_or_0);
        fprintf(stderr, "\r  %3u%% (%.1f MB)", pct, mb);
    } else {
        fprintf(stderr, "\r  %.1f MB", mb);
    }
    fflush(stderr);
    visible = true;
}

void cli_progress_clear(void)
{
    if (!visible)
        return;
    visible = false;
    fputs("\r\033[K", stderr); /* carriage return, erase to the end of the line */
    fflush(stderr);
}

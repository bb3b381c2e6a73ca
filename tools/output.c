/*
 * Standard output of the `eventlog` tool: an elog_writer over a 64 KiB buffer
 * whose flush function writes with write(2), coping with short writes and
 * EINTR, and remembering the first failure (EPIPE when the reader went away)
 * so the subcommands can stop decoding early.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t len, int *err)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *err = errno;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int output_flush(elog_writer *w)
{
    cli_output *o = w->ctx;
    if (o->err != 0) {
        w->len = 0;
        return -1;
    }
    int r = write_all(o->fd, w->buf, w->len, &o->err);
    w->len = 0;
    return r;
}

void cli_output_init(cli_output *o, int fd)
{
    o->fd = fd;
    o->err = 0;
    elog_writer_init(&o->w, o->buf, sizeof o->buf, output_flush, o);
}

int cli_output_flush(cli_output *o)
{
    if (o->err != 0 || o->w.failed)
        return -1;
    if (o->w.len == 0)
        return 0;
    return elog_writer_flush(&o->w);
}

void cli_output_write(cli_output *o, const char *p, size_t n)
{
    elog_writer *w = &o->w;
    if (n < w->cap - w->len || cli_output_failed(o)) {
        elog_writer_put(w, p, n);
        return;
    }
    if (cli_output_flush(o) != 0 || write_all(o->fd, p, n, &o->err) != 0) {
        w->failed = true;
        w->dropped += n;
    }
}

int cli_output_report(const cli_output *o)
{
    if (o->err == EPIPE)
        return CLI_EXIT_OK; /* the reader closed the pipe (`| head`): not our error */
    cli_error("standard output: write error: %s",
              o->err != 0 ? strerror(o->err) : "output failed");
    return CLI_EXIT_BAD_INPUT;
}

void cli_printf(elog_writer *w, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        elog_writer_put(w, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        w->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    elog_writer_put(w, big, (size_t)n);
    free(big);
}

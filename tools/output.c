/*
 * Standard output of the `eventlog` tool: an elog_writer over a 64 KiB buffer
 * whose flush function writes with write(2), coping with short writes and
 * EINTR, and remembering the first failure (EPIPE when the reader went away)
 * so the subcommands can stop decoding early.
 *
 * Terminal safety: event text carries bytes chosen by the traced program
 * (user messages, labels), printed as they are, as ghc-events does. To a
 * terminal, escape sequences among them would be obeyed (retitle the window,
 * rewrite the screen, ...), so when stdout is a terminal every control
 * character but newline and tab, DEL, the C1 controls (U+0080..U+009F) and
 * bytes that are not UTF-8 are written as \xHH instead. Pipes and files get
 * the bytes unchanged; --raw (cli_raw_output) turns the escaping off.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* cli_write_all, the first failure's errno kept in *err. */
static int write_all(int fd, const char *p, size_t len, int *err)
{
    if (cli_write_all(fd, p, len) == 0)
        return 0;
    *err = errno;
    return -1;
}

bool cli_raw_output;

/* Length of the UTF-8 sequence starting at p[0] if it is well-formed and
 * printable as far as terminals go (not C1), 0 if it is not, or -1 if it
 * could still become one but the input ends first. */
static int safe_utf8(const uint8_t *p, size_t avail)
{
    uint8_t c = p[0];
    size_t n;
    uint32_t min, v;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80, v = c & 0x1fu;
    else if ((c & 0xf0) == 0xe0)
        n = 3, min = 0x800, v = c & 0x0fu;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000, v = c & 0x07u;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (i >= avail)
            return -1;
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3fu);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || v < 0xa0)
        return 0;
    return (int)n;
}

/* write_all() of p[0..len) with unsafe bytes escaped (see the top). An
 * incomplete UTF-8 sequence at the end is kept in o->carry for the next
 * call. */
static int write_escaped(cli_output *o, const char *text, size_t len)
{
    uint8_t tmp[8];
    const uint8_t *p = (const uint8_t *)text;
    if (o->carry_len > 0) {
        /* Complete the held sequence with the first bytes of this write. */
        size_t k = o->carry_len;
        memcpy(tmp, o->carry, k);
        while (k < 4 && k - o->carry_len < len) {
            tmp[k] = p[k - o->carry_len];
            k++;
        }
        int n = safe_utf8(tmp, k);
        size_t used;
        if (n < 0 && k - o->carry_len == len) { /* still incomplete */
            memcpy(o->carry, tmp, k);
            o->carry_len = k;
            return 0;
        }
        if (n > 0) {
            if (write_all(o->fd, (const char *)tmp, (size_t)n, &o->err) != 0)
                return -1;
            used = (size_t)n - o->carry_len;
        } else {
            char esc[5];
            snprintf(esc, sizeof esc, "\\x%02x", tmp[0]);
            if (write_all(o->fd, esc, 4, &o->err) != 0)
                return -1;
            /* Re-examine the rest of the held bytes with this write. */
            memmove(o->carry, o->carry + 1, o->carry_len - 1);
            o->carry_len--;
            if (o->carry_len > 0)
                return write_escaped(o, text, len);
            used = 0;
        }
        o->carry_len = 0;
        p += used;
        len -= used;
    }
    const uint8_t *run = p, *end = p + len;
    while (p < end) {
        uint8_t c = *p;
        if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t') {
            p++;
            continue;
        }
        int n = c >= 0x80 ? safe_utf8(p, (size_t)(end - p)) : 0;
        if (n > 0) {
            p += n;
            continue;
        }
        if (write_all(o->fd, (const char *)run, (size_t)(p - run), &o->err) != 0)
            return -1;
        if (n < 0) { /* the rest of the sequence comes with the next write */
            o->carry_len = (size_t)(end - p);
            memcpy(o->carry, p, o->carry_len);
            return 0;
        }
        char esc[5];
        snprintf(esc, sizeof esc, "\\x%02x", c);
        if (write_all(o->fd, esc, 4, &o->err) != 0)
            return -1;
        run = ++p;
    }
    return write_all(o->fd, (const char *)run, (size_t)(end - run), &o->err);
}

static int output_write(cli_output *o, const char *p, size_t len)
{
    return o->escape ? write_escaped(o, p, len) : write_all(o->fd, p, len, &o->err);
}

static int output_flush(elog_writer *w)
{
    cli_output *o = w->ctx;
    if (o->err != 0) {
        w->len = 0;
        return -1;
    }
    int r = output_write(o, w->buf, w->len);
    w->len = 0;
    return r;
}

void cli_output_init(cli_output *o, int fd)
{
    o->fd = fd;
    o->err = 0;
    o->escape = !cli_raw_output && isatty(fd);
    o->carry_len = 0;
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
    if (cli_output_flush(o) != 0 || output_write(o, p, n) != 0) {
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

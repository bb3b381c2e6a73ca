/*
 * The bottom byte source: read(2) of a descriptor, with follow mode (wait
 * for a regular file to grow; poll a pipe, FIFO or socket in slices so that
 * a stop request and the idle timeout are noticed) and the reasons input
 * ends (elog_reader_eof).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "byte_source.h"

typedef struct fd_source {
    byte_source base;
    bsrc_fd_config c;
    uint64_t bytes_in;
    elog_reader_eof eof;
    elog_reader_status failed;
    bool waiting;                  /* at EOF of a followed input since wait_start */
    uint64_t wait_start_ns;
    uint8_t back[16];              /* bytes given back by bsrc_fd_unread() */
    size_t back_pos, back_len;
} fd_source;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL); /* EINTR: the loop re-checks its conditions */
}

static elog_reader_status at_eof(fd_source *f, elog_reader_eof why, size_t *n)
{
    f->eof = why;
    *n = 0;
    return ELOG_READER_OK;
}

static elog_reader_status fd_fail(fd_source *f, elog_reader_status st)
{
    f->failed = st;
    return st;
}

/* Milliseconds left of the idle timeout, starting the clock if needed;
 * -1 without a timeout, 0 when it expired. */
static int idle_left(fd_source *f)
{
    if (!f->c.idle_ms)
        return -1;
    uint64_t t = now_ns();
    if (!f->waiting) {
        f->waiting = true;
        f->wait_start_ns = t;
    }
    uint64_t waited = (t - f->wait_start_ns) / 1000000u;
    if (waited >= f->c.idle_ms)
        return 0;
    uint64_t left = f->c.idle_ms - waited;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* poll(2) for input on a descriptor that is not a regular file: 1 when
 * readable (or hung up: read() tells), 0 when `timeout_ms` passed, -1 on
 * error (recorded). EINTR counts as a timeout, so the loop re-checks stop. */
static int wait_readable(fd_source *f, int timeout_ms)
{
    struct pollfd p = {f->c.fd, POLLIN, 0};
    int rc = poll(&p, 1, timeout_ms);
    if (rc < 0 && errno != EINTR) {
        fd_fail(f, bsrc_fail(&f->base, ELOG_READER_E_IO, "cannot poll: %s", strerror(errno)));
        return -1;
    }
    return rc > 0;
}

static elog_reader_status fd_read(byte_source *s, uint8_t *buf, size_t cap, size_t *n)
{
    fd_source *f = (fd_source *)s;
    *n = 0;
    if (f->failed)
        return f->failed;
    if (f->back_pos < f->back_len) {
        size_t k = f->back_len - f->back_pos < cap ? f->back_len - f->back_pos : cap;
        memcpy(buf, f->back + f->back_pos, k);
        f->back_pos += k;
        *n = k;
        return ELOG_READER_OK;
    }
    if (f->eof)
        return ELOG_READER_OK;
    for (;;) {
        int word = f->c.stop ? atomic_load_explicit(f->c.stop, memory_order_relaxed) : 0;
        bool stop = word & BSRC_STOP;
        bool data_end = f->c.follow && (word & BSRC_DATA_END);
        if (!f->c.regular && (stop || data_end))
            return at_eof(f, stop ? ELOG_READER_EOF_STOPPED : ELOG_READER_EOF_DATA_END, n);

        /* Pipes, FIFOs and sockets are waited on in slices, followed or not,
         * so that elog_reader_stop() is noticed while no data comes. */
        if (!f->c.regular) {
            int left = f->c.follow ? idle_left(f) : -1;
            if (left == 0)
                return at_eof(f, ELOG_READER_EOF_IDLE, n);
            int slice = left < 0 || (unsigned)left > f->c.poll_ms ? (int)f->c.poll_ms : left;
            int rc = wait_readable(f, slice);
            if (rc < 0)
                return f->failed;
            if (rc == 0)
                continue;
        }

        ssize_t got = read(f->c.fd, buf, cap);
        if (got > 0) {
            f->waiting = false;
            f->bytes_in += (uint64_t)got;
            *n = (size_t)got;
            return ELOG_READER_OK;
        }
        if (got < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) { /* an O_NONBLOCK descriptor */
                if (wait_readable(f, (int)f->c.poll_ms) < 0)
                    return f->failed;
                continue;
            }
            return fd_fail(f, bsrc_fail(s, ELOG_READER_E_IO, "cannot read at byte %" PRIu64 ": %s",
                                        f->bytes_in, strerror(errno)));
        }

        /* End of file. */
        if (!f->c.regular || !f->c.follow)
            return at_eof(f, ELOG_READER_EOF_END, n);
        if (stop)
            return at_eof(f, ELOG_READER_EOF_STOPPED, n);
        if (data_end)
            return at_eof(f, ELOG_READER_EOF_DATA_END, n);
        struct stat st;
        if (fstat(f->c.fd, &st) != 0)
            return fd_fail(f, bsrc_fail(s, ELOG_READER_E_IO, "cannot stat: %s", strerror(errno)));
        if ((uint64_t)st.st_size < f->c.start + f->bytes_in)
            return fd_fail(f, bsrc_fail(s, ELOG_READER_E_IO,
                                        "the file shrank to %" PRIu64 " bytes while being followed "
                                        "(%" PRIu64 " bytes had been read)",
                                        (uint64_t)st.st_size, f->c.start + f->bytes_in));
        int left = idle_left(f);
        if (left == 0)
            return at_eof(f, ELOG_READER_EOF_IDLE, n);
        sleep_ms(left < 0 || (unsigned)left > f->c.poll_ms ? f->c.poll_ms : (unsigned)left);
    }
}

static void fd_close(byte_source *s)
{
    fd_source *f = (fd_source *)s;
    if (f->c.own_fd && f->c.fd >= 0)
        close(f->c.fd);
    elog_allocator a = s->alloc;
    bsrc_free(&a, f, sizeof *f);
}

static void fd_describe(const byte_source *s, bsrc_desc *d)
{
    const fd_source *f = (const fd_source *)s;
    memset(d, 0, sizeof *d);
    d->bytes_in = f->bytes_in;
    /* Bytes given back are still to come. */
    d->eof = f->back_pos < f->back_len ? ELOG_READER_EOF_NONE : f->eof;
    d->format = ELOG_READER_PLAIN;
}

static const byte_source_ops fd_ops = {fd_read, NULL, fd_close, fd_describe};

byte_source *bsrc_fd_open(const elog_allocator *a, const bsrc_fd_config *c)
{
    fd_source *f = bsrc_alloc(a, sizeof *f);
    if (!f)
        return NULL;
    memset(f, 0, sizeof *f);
    f->base.ops = &fd_ops;
    f->base.alloc = *a;
    f->c = *c;
    return &f->base;
}

void bsrc_fd_unread(byte_source *s, const uint8_t *p, size_t n)
{
    fd_source *f = (fd_source *)s;
    if (n > sizeof f->back)
        n = sizeof f->back;
    memcpy(f->back, p, n);
    f->back_pos = 0;
    f->back_len = n;
}

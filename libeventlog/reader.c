/*
 * The file reader: descriptors, follow mode, progress, and the loop that
 * feeds an elog_decoder. Inflating gzip input is gzip_source.c's job.
 *
 * Plain input goes to the decoder straight from the read buffer; the only
 * copy is read(2)'s.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "allocator_internal.h"
#include "reader_internal.h"

#define DEFAULT_BUFFER (1u << 20)
#define MIN_BUFFER 16u
#define DEFAULT_POLL_MS 25u
#define DEFAULT_PROGRESS_EVERY (4u << 20)

/* ---------------------------------------------------------------------------
 * Names, allocation, errors
 * ------------------------------------------------------------------------- */

const char *elog_reader_status_name(elog_reader_status s)
{
    switch (s) {
    case ELOG_READER_OK: return "ELOG_READER_OK";
    case ELOG_READER_PAUSED: return "ELOG_READER_PAUSED";
    case ELOG_READER_E_DECODE: return "ELOG_READER_E_DECODE";
    case ELOG_READER_E_IO: return "ELOG_READER_E_IO";
    case ELOG_READER_E_GZIP: return "ELOG_READER_E_GZIP";
    case ELOG_READER_E_NOMEM: return "ELOG_READER_E_NOMEM";
    case ELOG_READER_E_USAGE: return "ELOG_READER_E_USAGE";
    }
    return "ELOG_READER_E_UNKNOWN";
}

const char *elog_reader_eof_name(elog_reader_eof e)
{
    switch (e) {
    case ELOG_READER_EOF_NONE: return "none";
    case ELOG_READER_EOF_END: return "end-of-input";
    case ELOG_READER_EOF_DATA_END: return "end-of-data";
    case ELOG_READER_EOF_IDLE: return "idle-timeout";
    case ELOG_READER_EOF_STOPPED: return "stopped";
    }
    return "unknown";
}

void *elog__reader_alloc(elog_reader *r, size_t size)
{
    return r->alloc.alloc(r->alloc.ctx, size);
}

void elog__reader_free(elog_reader *r, void *p, size_t size)
{
    if (p)
        r->alloc.free(r->alloc.ctx, p, size);
}

#define PAGE_ALIGN 4096u

void *elog__reader_alloc_page(elog_reader *r, size_t size, void **raw)
{
    *raw = elog__reader_alloc(r, size + PAGE_ALIGN);
    if (!*raw)
        return NULL;
    uintptr_t p = ((uintptr_t)*raw + PAGE_ALIGN - 1) & ~(uintptr_t)(PAGE_ALIGN - 1);
    return (void *)p;
}

void elog__reader_free_page(elog_reader *r, void *raw, size_t size)
{
    elog__reader_free(r, raw, size + PAGE_ALIGN);
}

elog_reader_status elog__reader_fail(elog_reader *r, elog_reader_status st, const char *fmt, ...)
{
    int n = snprintf(r->err, sizeof r->err, "%s: ", r->name ? r->name : "<input>");
    if (n < 0 || (size_t)n >= sizeof r->err)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
    va_end(ap);
    r->failed = st;
    return st;
}

elog_reader_status elog__source_fail(elog_reader *r, elog_reader_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->src_err, sizeof r->src_err, fmt, ap);
    va_end(ap);
    r->src_failed = st;
    return st;
}

/* The caller's side reaches a chunk the source failed to produce. */
static elog_reader_status publish_failure(elog_reader *r, elog_reader_status st)
{
    return elog__reader_fail(r, st, "%s", r->src_err);
}

void elog__reader_view(const elog_reader *r, reader_view *v)
{
    v->raw_total = r->raw_total;
    v->eof = r->eof;
    v->members = r->members;
    v->gz_truncated = r->gz_truncated;
    v->gz_padding = r->gz_padding;
}

const char *elog_reader_error(const elog_reader *r)
{
    if (!r)
        return "out of memory for the file reader";
    return r->err;
}

void elog_reader_options_init(elog_reader_options *o)
{
    memset(o, 0, sizeof *o);
}

/* ---------------------------------------------------------------------------
 * Open / close
 * ------------------------------------------------------------------------- */

static elog_reader_status create(elog_reader **out, const char *name,
                                 const elog_reader_options *opts)
{
    elog_reader_options defaults;
    if (!opts) {
        elog_reader_options_init(&defaults);
        opts = &defaults;
    }
    elog_allocator a = *elog__allocator_or_libc(opts->allocator);
    elog_reader *r = a.alloc(a.ctx, sizeof *r);
    *out = r;
    if (!r)
        return ELOG_READER_E_NOMEM;
    memset(r, 0, sizeof *r);
    r->alloc = a;
    r->fd = -1;
    atomic_init(&r->stop, 0);

    r->in_cap = opts->read_buffer_size ? opts->read_buffer_size : DEFAULT_BUFFER;
    r->out_cap = opts->output_buffer_size ? opts->output_buffer_size : DEFAULT_BUFFER;
    if (r->in_cap < MIN_BUFFER)
        r->in_cap = MIN_BUFFER;
    if (r->out_cap < MIN_BUFFER)
        r->out_cap = MIN_BUFFER;
    /* zlib counts in uInt. */
    if (r->in_cap > UINT_MAX)
        r->in_cap = UINT_MAX;
    if (r->out_cap > UINT_MAX)
        r->out_cap = UINT_MAX;
    r->compression = opts->compression;
    r->follow = opts->follow;
    r->no_read_ahead = opts->no_read_ahead;
    r->poll_ms = opts->poll_interval_ms ? opts->poll_interval_ms : DEFAULT_POLL_MS;
    r->idle_ms = opts->idle_timeout_ms;
    r->progress = opts->progress;
    r->progress_ctx = opts->progress_ctx;
    r->progress_every = opts->progress_every ? opts->progress_every : DEFAULT_PROGRESS_EVERY;
    r->next_progress = r->progress_every;

    size_t len = strlen(name);
    r->name = elog__reader_alloc(r, len + 1);
    if (!r->name)
        return elog__reader_fail(r, ELOG_READER_E_NOMEM, "out of memory for the file reader");
    memcpy(r->name, name, len + 1);
    r->name_size = len + 1;
    return ELOG_READER_OK;
}

/* Everything after the descriptor is known. */
static elog_reader_status setup_fd(elog_reader *r)
{
    struct stat st;
    if (fstat(r->fd, &st) != 0)
        return elog__reader_fail(r, ELOG_READER_E_IO, "cannot stat: %s", strerror(errno));
    if (S_ISDIR(st.st_mode))
        return elog__reader_fail(r, ELOG_READER_E_IO, "is a directory");
    if (S_ISREG(st.st_mode)) {
        r->regular = true;
        off_t pos = lseek(r->fd, 0, SEEK_CUR);
        r->start = pos > 0 ? (uint64_t)pos : 0;
        r->size = (uint64_t)st.st_size > r->start ? (uint64_t)st.st_size - r->start : 0;
        (void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    r->in_alloc = r->in_cap;
    r->in = elog__reader_alloc_page(r, r->in_alloc, &r->in_raw);
    if (!r->in)
        return elog__reader_fail(r, ELOG_READER_E_NOMEM,
                                 "out of memory for the %zu-byte read buffer", r->in_cap);
    return ELOG_READER_OK;
}

elog_reader_status elog_reader_open(elog_reader **out, const char *path,
                                    const elog_reader_options *opts)
{
    bool is_stdin = path && strcmp(path, "-") == 0;
    elog_reader_status st = create(out, !path ? "<null>" : is_stdin ? "<stdin>" : path, opts);
    if (st)
        return st;
    elog_reader *r = *out;
    if (!path)
        return elog__reader_fail(r, ELOG_READER_E_USAGE, "elog_reader_open: the path is NULL");
    if (is_stdin) {
        r->fd = STDIN_FILENO;
    } else {
        do {
            r->fd = open(path, O_RDONLY | O_CLOEXEC);
        } while (r->fd < 0 && errno == EINTR);
        if (r->fd < 0)
            return elog__reader_fail(r, ELOG_READER_E_IO, "cannot open: %s", strerror(errno));
        r->own_fd = true;
    }
    return setup_fd(r);
}

elog_reader_status elog_reader_open_fd(elog_reader **out, int fd, const char *name,
                                       const elog_reader_options *opts)
{
    char fdname[32];
    if (!name) {
        snprintf(fdname, sizeof fdname, "fd %d", fd);
        name = fdname;
    }
    elog_reader_status st = create(out, name, opts);
    if (st)
        return st;
    elog_reader *r = *out;
    r->fd = fd;
    if (fd < 0)
        return elog__reader_fail(r, ELOG_READER_E_USAGE, "elog_reader_open_fd: invalid descriptor");
    return setup_fd(r);
}

void elog_reader_close(elog_reader *r)
{
    if (!r)
        return;
    elog__ahead_stop(r);
    elog__gzip_free(r);
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    elog__reader_free_page(r, r->in_raw, r->in_alloc);
    elog__reader_free(r, r->name, r->name_size);
    elog_allocator a = r->alloc;
    a.free(a.ctx, r, sizeof *r);
}

void elog_reader_stop(elog_reader *r)
{
    if (r)
        atomic_store_explicit(&r->stop, 1, memory_order_relaxed);
}

void elog_reader_get_info(const elog_reader *r, elog_reader_info *info)
{
    memset(info, 0, sizeof *info);
    if (!r) {
        info->fd = -1;
        return;
    }
    info->name = r->name;
    info->fd = r->fd;
    info->regular = r->regular;
    info->gzip = r->mode == MODE_GZIP;
    info->gzip_truncated = r->seen.gz_truncated;
    info->gzip_padding = r->seen.gz_padding;
    info->read_ahead = r->ahead != NULL;
    info->gzip_members = r->seen.members;
    info->start = r->start;
    info->size = r->size;
    info->bytes_read = r->seen.raw_total;
    info->bytes_out = r->out_total;
    info->eof = r->seen.eof;
}

/* ---------------------------------------------------------------------------
 * Reading, following
 * ------------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL); /* EINTR: the caller's loop re-checks its conditions */
}

/* Has the decoder passed the end-of-data marker? Read from the decoder's
 * private state, which decoder.c sets to the marker's offset when it meets
 * it (UINT64_MAX before); reader.c belongs to the library, so it may. */
static bool decoder_saw_end(const elog_decoder *d)
{
    return d->end_offset_ != UINT64_MAX;
}

static void report_progress(elog_reader *r, bool final)
{
    if (!r->progress || r->progress_final)
        return;
    if (final) {
        r->progress_final = true;
    } else {
        if (r->seen.raw_total < r->next_progress)
            return;
        r->next_progress = (r->seen.raw_total / r->progress_every + 1) * r->progress_every;
    }
    r->progress(r->progress_ctx, r->seen.raw_total, r->regular && !r->follow ? r->size : 0);
}

static ssize_t at_eof(elog_reader *r, elog_reader_eof why)
{
    r->eof = why;
    return 0;
}

/* Milliseconds left of the idle timeout, starting the clock if needed;
 * -1 without a timeout, 0 when it expired. */
static int idle_left(elog_reader *r)
{
    if (!r->idle_ms)
        return -1;
    uint64_t t = now_ns();
    if (!r->waiting) {
        r->waiting = true;
        r->wait_start_ns = t;
    }
    uint64_t waited = (t - r->wait_start_ns) / 1000000u;
    if (waited >= r->idle_ms)
        return 0;
    uint64_t left = r->idle_ms - waited;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* poll(2) for input on a descriptor that is not a regular file. Returns 1
 * when readable (or hung up: read() tells), 0 when `timeout_ms` passed, -1 on
 * error (recorded). EINTR counts as a timeout, so callers re-check `stop`. */
static int wait_readable(elog_reader *r, int timeout_ms)
{
    struct pollfd p = {r->fd, POLLIN, 0};
    int rc = poll(&p, 1, timeout_ms);
    if (rc < 0 && errno != EINTR) {
        elog__source_fail(r, ELOG_READER_E_IO, "cannot poll: %s", strerror(errno));
        return -1;
    }
    return rc > 0;
}

ssize_t elog__reader_fill(elog_reader *r)
{
    if (r->eof)
        return 0;
    if (r->src_failed)
        return -1;
    for (;;) {
        bool stop = atomic_load_explicit(&r->stop, memory_order_relaxed) != 0;
        bool data_end = r->follow && r->dec && decoder_saw_end(r->dec);
        if (!r->regular && (stop || data_end))
            return at_eof(r, stop ? ELOG_READER_EOF_STOPPED : ELOG_READER_EOF_DATA_END);

        if (!r->regular && r->follow) {
            /* Wait in slices so that stop and the idle timeout are noticed. */
            int left = idle_left(r);
            if (left == 0)
                return at_eof(r, ELOG_READER_EOF_IDLE);
            int slice = left < 0 || (unsigned)left > r->poll_ms ? (int)r->poll_ms : left;
            int rc = wait_readable(r, slice);
            if (rc < 0)
                return -1;
            if (rc == 0)
                continue;
        }

        ssize_t n = read(r->fd, r->in + r->in_len, r->in_cap - r->in_len);
        if (n > 0) {
            r->waiting = false;
            r->in_len += (size_t)n;
            r->raw_total += (uint64_t)n;
            return n;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) { /* an O_NONBLOCK descriptor */
                int rc = wait_readable(r, r->follow ? (int)r->poll_ms : -1);
                if (rc < 0)
                    return -1;
                continue;
            }
            elog__source_fail(r, ELOG_READER_E_IO, "cannot read at byte %" PRIu64 ": %s",
                              r->raw_total, strerror(errno));
            return -1;
        }

        /* End of file. */
        if (!r->regular || !r->follow)
            return at_eof(r, ELOG_READER_EOF_END);
        if (stop)
            return at_eof(r, ELOG_READER_EOF_STOPPED);
        if (data_end)
            return at_eof(r, ELOG_READER_EOF_DATA_END);
        struct stat st;
        if (fstat(r->fd, &st) != 0) {
            elog__source_fail(r, ELOG_READER_E_IO, "cannot stat: %s", strerror(errno));
            return -1;
        }
        if ((uint64_t)st.st_size < r->start + r->raw_total) {
            elog__source_fail(r, ELOG_READER_E_IO,
                              "the file shrank to %" PRIu64 " bytes while being followed "
                              "(%" PRIu64 " bytes had been read)",
                              (uint64_t)st.st_size, r->start + r->raw_total);
            return -1;
        }
        int left = idle_left(r);
        if (left == 0)
            return at_eof(r, ELOG_READER_EOF_IDLE);
        sleep_ms(left < 0 || (unsigned)left > r->poll_ms ? r->poll_ms : (unsigned)left);
    }
}

static void set_mode(elog_reader *r, bool magic)
{
    if (r->compression == ELOG_READER_GZIP || (r->compression == ELOG_READER_AUTO && magic))
        r->mode = MODE_GZIP;
    else
        r->mode = MODE_PLAIN;
}

/* Decides plain or gzip from the first two bytes. A regular file that is not
 * followed is peeked at with pread(2), leaving the read buffer empty for the
 * read-ahead thread; anything else is read into `in`, where those bytes then
 * wait to be handed out or inflated. */
static elog_reader_status detect(elog_reader *r)
{
    if (r->regular && !r->follow) {
        uint8_t m[2];
        ssize_t n;
        do {
            n = pread(r->fd, m, 2, (off_t)r->start);
        } while (n < 0 && errno == EINTR);
        if (n >= 0) {
            set_mode(r, n == 2 && m[0] == 0x1f && m[1] == 0x8b);
            return ELOG_READER_OK;
        }
    }
    while (r->in_len < 2) {
        ssize_t n = elog__reader_fill(r);
        if (n < 0)
            return r->src_failed;
        if (n == 0)
            break;
    }
    set_mode(r, r->in_len >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b);
    return ELOG_READER_OK;
}

/* The source produces the next chunk on this thread. */
static elog_reader_status produce_here(elog_reader *r, const uint8_t **chunk, size_t *len)
{
    if (r->mode == MODE_GZIP) {
        *chunk = r->out;
        return elog__gzip_next(r, r->out, r->out_cap, len);
    }
    if (r->in_pos == r->in_len) {
        r->in_pos = r->in_len = 0;
        ssize_t n = elog__reader_fill(r);
        if (n < 0)
            return r->src_failed;
    }
    *chunk = r->in + r->in_pos;
    *len = r->in_len - r->in_pos;
    r->in_pos = r->in_len;
    return ELOG_READER_OK;
}

/* Once the mode is known: gzip's buffers, and the read-ahead thread where it
 * pays. */
static elog_reader_status begin(elog_reader *r, const uint8_t **chunk, size_t *len)
{
    elog_reader_status st;
    *len = 0;
    if (r->mode == MODE_GZIP && (st = elog__gzip_init(r)))
        return st;
    if (elog__ahead_eligible(r) && elog__ahead_start(r))
        return elog__ahead_take(r, chunk, len, &r->seen);
    return produce_here(r, chunk, len);
}

/* Makes r->cur/r->cur_len the next unconsumed chunk; cur_len == 0 at the end. */
static elog_reader_status next_chunk(elog_reader *r)
{
    if (r->cur_len)
        return ELOG_READER_OK;
    if (r->failed)
        return r->failed;
    if (r->seen.eof)
        return ELOG_READER_OK;
    const uint8_t *chunk = NULL;
    size_t len = 0;
    elog_reader_status st;
    if (r->mode == MODE_UNKNOWN) {
        if ((st = detect(r)) == ELOG_READER_OK)
            st = begin(r, &chunk, &len);
    } else if (r->ahead) {
        st = elog__ahead_take(r, &chunk, &len, &r->seen);
    } else {
        st = produce_here(r, &chunk, &len);
    }
    /* With read-ahead, take() copied the slot's figures; the source's own
     * fields are the thread's. */
    if (!r->ahead)
        elog__reader_view(r, &r->seen);
    if (st)
        return publish_failure(r, st);
    r->cur = chunk;
    r->cur_len = len;
    r->out_total += len;
    report_progress(r, r->seen.eof != ELOG_READER_EOF_NONE);
    return ELOG_READER_OK;
}

elog_reader_status elog_reader_read(elog_reader *r, const uint8_t **p, size_t *n)
{
    *p = NULL;
    *n = 0;
    if (!r)
        return ELOG_READER_E_USAGE;
    elog_reader_status st = next_chunk(r);
    if (st)
        return st;
    if (r->cur_len) {
        *p = r->cur;
        *n = r->cur_len;
        r->cur_len = 0;
    }
    return ELOG_READER_OK;
}

/* The run is over: finish the decoder and remember the outcome. */
static elog_reader_status run_over(elog_reader *r, elog_decoder *d, elog_reader_status st,
                                   elog_end *end)
{
    r->end = elog_finish(d);
    r->run_done = true;
    r->run_status = st;
    r->dec = NULL;
    if (end)
        *end = r->end;
    return st;
}

elog_reader_status elog_reader_run(elog_reader *r, elog_decoder *d, elog_end *end)
{
    if (!r)
        return ELOG_READER_E_USAGE;
    if (r->run_done) {
        if (end)
            *end = r->end;
        return r->run_status;
    }
    if (!d) {
        snprintf(r->err, sizeof r->err, "elog_reader_run: the decoder is NULL");
        return ELOG_READER_E_USAGE;
    }
    elog_resume(d);
    r->dec = d;
    for (;;) {
        elog_reader_status st = next_chunk(r);
        if (st)
            return run_over(r, d, st, end);
        if (r->cur_len == 0)
            return run_over(r, d, ELOG_READER_OK, end);
        elog_result res = elog_execute(d, r->cur, r->cur_len);
        r->cur += res.read;
        r->cur_len -= res.read;
        if (res.status == ELOG_OK)
            continue;
        if (res.status == ELOG_PAUSED) {
            r->dec = NULL;
            return ELOG_READER_PAUSED;
        }
        if (res.status == ELOG_E_USAGE && elog_get_error(d) == ELOG_OK) {
            r->dec = NULL;
            snprintf(r->err, sizeof r->err,
                     "elog_reader_run: the decoder refused input (called from one of its "
                     "callbacks, or after elog_finish())");
            return ELOG_READER_E_USAGE;
        }
        elog__reader_fail(r, ELOG_READER_E_DECODE, "at byte %" PRIu64 "%s: %s",
                          elog_get_error_offset(d),
                          r->mode == MODE_GZIP ? " of the decompressed data" : "",
                          elog_get_error_reason(d));
        return run_over(r, d, ELOG_READER_E_DECODE, end);
    }
}

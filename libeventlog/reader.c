/*
 * The file reader: opening, recognising the format, stacking the byte
 * sources (byte_source.h: descriptor, decompressor, read-ahead), progress,
 * and the loop that feeds an elog_decoder. The sources themselves live in
 * their own files; this file only sees their interface.
 *
 * Plain input goes to the decoder straight from the chunk buffer (or a
 * read-ahead slot of it); the only copy is read(2)'s.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "allocator_internal.h"
#include "byte_source.h"

#define DEFAULT_BUFFER (1u << 20)
#define MIN_BUFFER 16u
#define DEFAULT_POLL_MS 25u
#define DEFAULT_PROGRESS_EVERY (4u << 20)
/* The longest magic number told apart (xz's). */
#define MAGIC_MAX 6u

struct elog_reader {
    elog_allocator alloc;           /* a copy of the caller's, or malloc/free */
    char *name;                     /* for messages */
    size_t name_size;
    int fd;
    bool own_fd;
    bool regular;

    /* options */
    size_t in_cap, out_cap;
    elog_reader_compression compression;
    bool follow;
    bool no_read_ahead;
    unsigned poll_ms, idle_ms;
    elog_reader_progress_cb progress;
    void *progress_ctx;
    uint64_t progress_every;

    uint64_t start, size;           /* see elog_reader_info */

    /* The stack of sources: `fd_src` at the bottom until the first chunk,
     * then `top` (which owns everything below it). */
    byte_source *fd_src;
    byte_source *top;
    elog_reader_compression format; /* AUTO until recognised */
    uint8_t *buf;                   /* the chunk buffer: read into, or read-ahead slots */
    void *buf_raw;
    size_t buf_cap;

    /* The chunk handed out and not yet consumed. */
    const uint8_t *cur;
    size_t cur_len;
    uint64_t out_total;
    bsrc_desc seen;                 /* the sources as of the last chunk taken */

    /* BSRC_STOP | BSRC_DATA_END, read by the fd source. */
    atomic_int stop;
    uint64_t next_progress;
    bool progress_final;

    /* outcome */
    elog_reader_status failed;      /* sticky error, or ELOG_READER_OK */
    bool run_done;                  /* elog_reader_run() returned a final status */
    elog_reader_status run_status;
    elog_end end;
    char err[640];
};

/* ---------------------------------------------------------------------------
 * Names, errors
 * ------------------------------------------------------------------------- */
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

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
/* Records the sticky error with a message prefixed by the input's name. */
static elog_reader_status reader_fail(elog_reader *r, elog_reader_status st, const char *fmt, ...)
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
    /* zlib and liblzma count in uInt / size_t; keep to what all accept. */
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
    r->name = a.alloc(a.ctx, len + 1);
    if (!r->name)
        return reader_fail(r, ELOG_READER_E_NOMEM, "out of memory for the file reader");
    memcpy(r->name, name, len + 1);
    r->name_size = len + 1;
    return ELOG_READER_OK;
}

/* Everything after the descriptor is known. */
static elog_reader_status setup_fd(elog_reader *r)
{
    struct stat st;
    if (fstat(r->fd, &st) != 0)
        return reader_fail(r, ELOG_READER_E_IO, "cannot stat: %s", strerror(errno));
    if (S_ISDIR(st.st_mode))
        return reader_fail(r, ELOG_READER_E_IO, "is a directory");
    if (S_ISREG(st.st_mode)) {
        r->regular = true;
        off_t pos = lseek(r->fd, 0, SEEK_CUR);
        r->start = pos > 0 ? (uint64_t)pos : 0;
        r->size = (uint64_t)st.st_size > r->start ? (uint64_t)st.st_size - r->start : 0;
        (void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    bsrc_fd_config c = {r->fd, r->own_fd, r->regular, r->start, r->follow,
                        r->poll_ms, r->idle_ms, &r->stop};
    r->fd_src = bsrc_fd_open(&r->alloc, &c);
    if (!r->fd_src)
        return reader_fail(r, ELOG_READER_E_NOMEM, "out of memory for the file reader");
    r->own_fd = false; /* the source closes it */
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
        return reader_fail(r, ELOG_READER_E_USAGE, "elog_reader_open: the path is NULL");
    if (is_stdin) {
        r->fd = STDIN_FILENO;
    } else {
        do {
            r->fd = open(path, O_RDONLY | O_CLOEXEC);
        } while (r->fd < 0 && errno == EINTR);
        if (r->fd < 0)
            return reader_fail(r, ELOG_READER_E_IO, "cannot open: %s", strerror(errno));
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
        return reader_fail(r, ELOG_READER_E_USAGE, "elog_reader_open_fd: invalid descriptor");
    return setup_fd(r);
}

void elog_reader_close(elog_reader *r)
{
    if (!r)
        return;
    /* The top source owns the rest (read-ahead's thread is joined first);
     * before the first chunk, only the fd source exists. */
    byte_source *s = r->top ? r->top : r->fd_src;
    if (s)
        s->ops->close(s);
    else if (r->own_fd && r->fd >= 0)
        close(r->fd);
    bsrc_free_page(&r->alloc, r->buf_raw, r->buf_cap);
    bsrc_free(&r->alloc, r->name, r->name_size);
    elog_allocator a = r->alloc;
    a.free(a.ctx, r, sizeof *r);
}

void elog_reader_stop(elog_reader *r)
{
    if (r)
        atomic_fetch_or_explicit(&r->stop, BSRC_STOP, memory_order_relaxed);
}

void elog_reader_get_info(const elog_reader *r, elog_reader_info *info)
{
    memset(info, 0, sizeof *info);
    if (!r) {
        info->fd = -1;
        return;
    }
    const bsrc_desc *d = &r->seen;
    info->name = r->name;
    info->fd = r->fd;
    info->regular = r->regular;
    info->format = r->format;
    info->gzip = r->format == ELOG_READER_GZIP;
    info->compressed_truncated = d->truncated;
    info->compressed_members = d->members;
    info->gzip_truncated = info->gzip && d->truncated;
    info->gzip_members = info->gzip ? d->members : 0;
    info->gzip_padding = info->gzip ? d->padding : 0;
    info->read_ahead = d->read_ahead;
    info->start = r->start;
    info->size = r->size;
    info->bytes_read = d->bytes_in;
    info->bytes_out = r->out_total;
    info->eof = d->eof;
}

/* ---------------------------------------------------------------------------
 * Recognising the input, building the stack
 * ------------------------------------------------------------------------- */

static void report_progress(elog_reader *r, bool final)
{
    if (!r->progress || r->progress_final)
        return;
    if (final) {
        r->progress_final = true;
    } else {
        if (r->seen.bytes_in < r->next_progress)
            return;
        r->next_progress = (r->seen.bytes_in / r->progress_every + 1) * r->progress_every;
    }
    r->progress(r->progress_ctx, r->seen.bytes_in, r->regular && !r->follow ? r->size : 0);
}

/* The format the first `n` bytes say (`more`: more bytes may follow), or
 * ELOG_READER_AUTO while they could still begin a magic number. */
static elog_reader_compression sniff(const uint8_t *p, size_t n, bool more)
{
    static const struct {
        uint8_t len;
        uint8_t bytes[MAGIC_MAX];
        elog_reader_compression format;
    } magic[] = {
        {2, {0x1f, 0x8b}, ELOG_READER_GZIP},
        {4, {0x28, 0xb5, 0x2f, 0xfd}, ELOG_READER_ZSTD},
        {6, {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}, ELOG_READER_XZ},
    };
    /* zstd skippable frames (magic 0x184D2A50..5F, little-endian) may come
     * first: `zstd` writes none, but other tools do. */
    if (n >= 1 && (p[0] & 0xf0) == 0x50) {
        static const uint8_t rest[3] = {0x2a, 0x4d, 0x18};
        size_t k = n - 1 < 3 ? n - 1 : 3;
        if (memcmp(p + 1, rest, k) == 0) {
            if (k == 3)
                return ELOG_READER_ZSTD;
            if (more)
                return ELOG_READER_AUTO;
        }
    }
    for (size_t i = 0; i < sizeof magic / sizeof magic[0]; i++) {
        size_t k = n < magic[i].len ? n : magic[i].len;
        if (k == 0 || memcmp(p, magic[i].bytes, k) != 0)
            continue;
        if (k == magic[i].len)
            return magic[i].format;
        if (more)
            return ELOG_READER_AUTO;
    }
    return n == 0 && more ? ELOG_READER_AUTO : ELOG_READER_PLAIN;
}

/* Decides the format from the first bytes. A regular file that is not
 * followed is peeked at with pread(2); anything else is read, and the bytes
 * given back to the fd source. */
static elog_reader_status detect(elog_reader *r)
{
    if (r->compression != ELOG_READER_AUTO) {
        r->format = r->compression;
        return ELOG_READER_OK;
    }
    uint8_t m[MAGIC_MAX];
    size_t n = 0;
    if (r->regular && !r->follow) {
        ssize_t k;
        do {
            k = pread(r->fd, m, sizeof m, (off_t)r->start);
        } while (k < 0 && errno == EINTR);
        if (k >= 0) {
            r->format = sniff(m, (size_t)k, false);
            return ELOG_READER_OK;
        }
    }
    elog_reader_compression f = ELOG_READER_AUTO;
    while (f == ELOG_READER_AUTO) {
        size_t got;
        elog_reader_status st = r->fd_src->ops->read(r->fd_src, m + n, sizeof m - n, &got);
        if (st)
            return reader_fail(r, st, "%s", r->fd_src->err);
        n += got;
        f = sniff(m, n, got > 0 && n < sizeof m);
    }
    bsrc_fd_unread(r->fd_src, m, n);
    r->format = f;
    return ELOG_READER_OK;
}

/* Once the format is known: the decompressor, the chunk buffer, and the
 * read-ahead thread where it pays (a regular file that is not followed and
 * larger than a slot). */
static elog_reader_status build(elog_reader *r)
{
    byte_source *top = r->fd_src;
    r->fd_src = NULL; /* from now on owned through `top` */
    r->top = top;
    if (r->format != ELOG_READER_PLAIN) {
        bsrc_open_error e = {ELOG_READER_OK, ""};
        if (r->format == ELOG_READER_GZIP)
            top = bsrc_gzip_open(&r->alloc, top, r->in_cap, &e);
        else if (r->format == ELOG_READER_ZSTD)
            top = bsrc_zstd_open(&r->alloc, top, r->in_cap, &e);
        else
            top = bsrc_xz_open(&r->alloc, top, r->in_cap, &e);
        r->top = top;
        if (!top)
            return reader_fail(r, e.st, "%s", e.msg);
    }
    r->buf_cap = r->format == ELOG_READER_PLAIN ? r->in_cap : r->out_cap;
    r->buf = bsrc_alloc_page(&r->alloc, r->buf_cap, &r->buf_raw);
    if (!r->buf)
        return reader_fail(r, ELOG_READER_E_NOMEM, "out of memory for the %zu-byte %s buffer",
                           r->buf_cap, r->format == ELOG_READER_PLAIN ? "read" : "output");
    top->ops->describe(top, &r->seen);
    if (!r->no_read_ahead && r->regular && !r->follow &&
        r->buf_cap >= bsrc_ahead_min_buffer() && r->size > r->buf_cap / 4) {
        byte_source *ahead = bsrc_ahead_open(&r->alloc, top, r->buf, r->buf_cap);
        if (ahead)
            r->top = ahead;
    }
    return ELOG_READER_OK;
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
    elog_reader_status st;
    if (!r->top) {
        if ((st = detect(r)) || (st = build(r))) {
            if (r->top)
                r->top->ops->describe(r->top, &r->seen);
            return st;
        }
    }
    byte_source *top = r->top;
    const uint8_t *chunk = r->buf;
    size_t len = 0;
    if (top->ops->lend)
        st = top->ops->lend(top, &chunk, &len);
    else
        st = top->ops->read(top, r->buf, r->buf_cap, &len);
    top->ops->describe(top, &r->seen);
    if (st)
        return reader_fail(r, st, "%s", top->err);
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

/* Has the decoder passed the end-of-data marker? Read from the decoder's
 * private state, which decoder.c sets to the marker's offset when it meets
 * it (UINT64_MAX before); reader.c belongs to the library, so it may. */
static bool decoder_saw_end(const elog_decoder *d)
{
    return d->priv_.end_offset != UINT64_MAX;
}

/* The run is over: finish the decoder and remember the outcome. */
static elog_reader_status run_over(elog_reader *r, elog_decoder *d, elog_reader_status st,
                                   elog_end *end)
{
    r->end = elog_finish(d);
    r->run_done = true;
    r->run_status = st;
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
    for (;;) {
        /* Follow mode stops at the end-of-data marker: tell the fd source. */
        if (r->follow && decoder_saw_end(d))
            atomic_fetch_or_explicit(&r->stop, BSRC_DATA_END, memory_order_relaxed);
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
        if (res.status == ELOG_PAUSED)
            return ELOG_READER_PAUSED;
        if (res.status == ELOG_E_USAGE && elog_get_error(d) == ELOG_OK) {
            snprintf(r->err, sizeof r->err,
                     "elog_reader_run: the decoder refused input (called from one of its "
                     "callbacks, or after elog_finish())");
            return ELOG_READER_E_USAGE;
        }
        reader_fail(r, ELOG_READER_E_DECODE, "at byte %" PRIu64 "%s: %s",
                    elog_get_error_offset(d),
                    r->format != ELOG_READER_PLAIN ? " of the decompressed data" : "",
                    elog_get_error_reason(d));
        return run_over(r, d, ELOG_READER_E_DECODE, end);
    }
}

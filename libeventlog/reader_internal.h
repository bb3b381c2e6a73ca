/* Private glue between reader.c (descriptors, follow mode, the decoder loop)
 * and gzip_source.c (streaming inflate). */
#ifndef ELOG_READER_INTERNAL_H
#define ELOG_READER_INTERNAL_H

#include <stdatomic.h>
#include <sys/types.h>
#include <zlib.h>

#include "eventlog/reader.h"

enum reader_mode { MODE_UNKNOWN, MODE_PLAIN, MODE_GZIP };

/* What the caller's thread reports about the source (elog_reader_get_info,
 * the progress hook): a copy taken with each chunk, because with read-ahead
 * the source's own fields belong to another thread. */
typedef struct reader_view {
    uint64_t raw_total;
    elog_reader_eof eof;
    uint32_t members;
    bool gz_truncated;
    uint64_t gz_padding;
} reader_view;

/* Slots of the read-ahead ring (read_ahead.c); each is 1/AHEAD_SLOTS of the
 * chunk buffer. */
#define AHEAD_SLOTS 4u

struct elog__ahead;

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

    /* ---- The source side: with read-ahead, only its thread touches these
     * (and the gzip fields below) until elog__ahead_stop(). ---- */

    /* Raw bytes: in[in_pos, in_len) are read but not yet consumed. in[i] is
     * input byte raw_total - in_len + i. elog__reader_fill reads into
     * in[in_len, in_cap); read-ahead points `in` at its slots. */
    uint8_t *in;
    void *in_raw;            /* what was allocated (see elog__reader_alloc_page) */
    size_t in_alloc;         /* ... and its size */
    size_t in_pos, in_len;
    uint64_t raw_total;
    elog_reader_eof eof;
    elog_reader_status src_failed;  /* the source's sticky error, or OK */
    char src_err[600];              /* ... and its message (without the name) */

    /* ---- The caller's side. ---- */

    /* The chunk handed out and not yet consumed (into `in` or `out`). */
    const uint8_t *cur;
    size_t cur_len;
    uint64_t out_total;
    reader_view seen;               /* the source as of the last chunk taken */
    struct elog__ahead *ahead;      /* the read-ahead thread, or NULL */

    enum reader_mode mode;

    /* gzip (gzip_source.c); `out` is the caller's side: chunks handed out */
    uint8_t *out;
    void *out_raw;           /* what was allocated for `out` */
    z_stream zs;
    bool z_ready;                   /* inflateInit2 done */
    bool z_member_done;             /* between members: the next 2 bytes decide */
    bool z_pending;                 /* the last inflate filled `out`: call it again */
    uint32_t members;
    uint64_t member_start;          /* compressed offset of the current member */
    bool gz_truncated;
    uint64_t gz_padding;            /* zero bytes after the last member */
    void *z_reserve;                /* zlib's window, allocated before read-ahead */
    bool z_reserve_used;

    /* follow / end of input */
    atomic_int stop;
    elog_decoder *dec;              /* the decoder being fed by elog_reader_run() */
    bool waiting;                   /* at EOF of a followed file since wait_start */
    uint64_t wait_start_ns;

    uint64_t next_progress;
    bool progress_final;

    /* outcome */
    elog_reader_status failed;      /* sticky error, or ELOG_READER_OK */
    bool run_done;                  /* elog_reader_run() returned a final status */
    elog_reader_status run_status;
    elog_end end;
    char err[640];
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
/* Records the caller's side sticky error with a message prefixed by the
 * input's name and ": ". Returns `st`. */
elog_reader_status elog__reader_fail(elog_reader *r, elog_reader_status st, const char *fmt, ...);

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
/* The same for the source side (reading, inflating), which may run on the
 * read-ahead thread: recorded in src_failed/src_err, and published to the
 * caller's side when the caller reaches the chunk that failed. */
elog_reader_status elog__source_fail(elog_reader *r, elog_reader_status st, const char *fmt, ...);

/* The source's figures, as the caller's side will report them. */
void elog__reader_view(const elog_reader *r, reader_view *v);

void *elog__reader_alloc(elog_reader *r, size_t size);
void elog__reader_free(elog_reader *r, void *p, size_t size);

/* A page-aligned buffer of `size` bytes for read(2) and inflate to write
 * into: the kernel copies into a buffer that starts just past a page boundary
 * (where malloc puts large blocks) up to ~5x slower on some CPUs. *raw gets
 * what to pass to elog__reader_free_page. */
void *elog__reader_alloc_page(elog_reader *r, size_t size, void **raw);
void elog__reader_free_page(elog_reader *r, void *raw, size_t size);

/* Appends what one read(2) returns to in[in_len..in_cap) (in_len < in_cap),
 * waiting as follow mode says. Returns the byte count, 0 at the end of input
 * (r->eof set), or -1 after elog__source_fail(). */
ssize_t elog__reader_fill(elog_reader *r);

/* Allocates the output buffer and starts zlib (the caller's thread). */
elog_reader_status elog__gzip_init(elog_reader *r);
/* Inflates the next decompressed bytes into dst[0, cap): *len bytes, 0 at
 * the end of the compressed stream. Returns ELOG_READER_OK or an error
 * (elog__source_fail). Source side. */
elog_reader_status elog__gzip_next(elog_reader *r, uint8_t *dst, size_t cap, size_t *len);
void elog__gzip_free(elog_reader *r);
/* Reserves zlib's window before the read-ahead thread starts (false: out of
 * memory; then do without read-ahead). */
bool elog__gzip_reserve(elog_reader *r);

/* Read-ahead (read_ahead.c). eligible: a regular file, not followed, larger
 * than a slot, the mode known, and not disabled. start: false when it could
 * not start (the reader goes on without). take: releases the held slot and waits for the next one; returns the
 * source's status for it, the chunk (len 0 at the end) and the figures.
 * stop: joins the thread (close). */
bool elog__ahead_eligible(const elog_reader *r);
bool elog__ahead_start(elog_reader *r);
elog_reader_status elog__ahead_take(elog_reader *r, const uint8_t **chunk, size_t *len,
                                    reader_view *view);
void elog__ahead_stop(elog_reader *r);

#endif

/* Private glue between reader.c (descriptors, follow mode, the decoder loop)
 * and gzip_source.c (streaming inflate). */
#ifndef ELOG_READER_INTERNAL_H
#define ELOG_READER_INTERNAL_H

#include <stdatomic.h>
#include <sys/types.h>
#include <zlib.h>

#include "eventlog/reader.h"

enum reader_mode { MODE_UNKNOWN, MODE_PLAIN, MODE_GZIP };

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
    unsigned poll_ms, idle_ms;
    elog_reader_progress_cb progress;
    void *progress_ctx;
    uint64_t progress_every;

    uint64_t start, size;           /* see elog_reader_info */

    /* Raw bytes: in[in_pos, in_len) are read but not yet consumed. in[i] is
     * input byte raw_total - in_len + i. */
    uint8_t *in;
    void *in_raw;            /* what was allocated for `in` (see elog__reader_alloc_page) */
    size_t in_pos, in_len;
    uint64_t raw_total;

    /* The chunk handed out and not yet consumed (into `in` or `out`). */
    const uint8_t *cur;
    size_t cur_len;
    uint64_t out_total;

    enum reader_mode mode;

    /* gzip (gzip_source.c) */
    uint8_t *out;
    void *out_raw;           /* what was allocated for `out` */
    z_stream zs;
    bool z_ready;                   /* inflateInit2 done */
    bool z_member_done;             /* between members: the next 2 bytes decide */
    bool z_pending;                 /* the last inflate filled `out`: call it again */
    uint32_t members;
    uint64_t member_start;          /* compressed offset of the current member */
    bool gz_truncated;

    /* follow / end of input */
    atomic_int stop;
    elog_decoder *dec;              /* the decoder being fed by elog_reader_run() */
    elog_reader_eof eof;
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
/* Records a sticky error with a message prefixed by the input's name and
 * ": ". Returns `st`. */
elog_reader_status elog__reader_fail(elog_reader *r, elog_reader_status st, const char *fmt, ...);

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
 * (r->eof set), or -1 after elog__reader_fail(). */
ssize_t elog__reader_fill(elog_reader *r);

/* The next chunk of decompressed bytes into r->cur/r->cur_len (0 at the end
 * of the compressed stream). Returns ELOG_READER_OK or an error (recorded). */
elog_reader_status elog__gzip_next(elog_reader *r);
void elog__gzip_free(elog_reader *r);

#endif

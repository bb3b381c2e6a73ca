/*
 * Shared state of the time-ordered merge (order_runs.c: pass 1's run table;
 * order_scan.c: pass 1 in two halves; order_merge.c: the k-way merge;
 * order_passes.c: bounded fan-in through temporary files). Not installed.
 */
#ifndef ELOG_ORDER_INTERNAL_H
#define ELOG_ORDER_INTERNAL_H

#include "eventlog.h"
#include "eventlog/order.h"

#include <stdbool.h>
#include <stdint.h>

/* Buffers that read(2) fills start at the file offset's remainder modulo
 * COPY_ALIGN (see order_copy_dst). */
#define ORDER_COPY_ALIGN 64u

/* Runs merged at once (and the bound of pass 1's run table): with the
 * default budget each gets a 1 KiB buffer. */
#define ORDER_MAX_RUNS 32768u

enum {
    RUN_SORTED = 0, /* stream bytes [start, end), times non-decreasing */
    RUN_RANGE,      /* stream bytes [start, end) in any order (pass 1 coalesced
                       runs to bound its table): sorted in chunks by pass 2 */
    RUN_TAGGED      /* temporary-file bytes [start, end): records each after a
                       10-byte tag (capability u16, stream offset u64), in order */
};

typedef struct order_run {
    /* Recorded by pass 1; count, key and bs then advance during pass 2. */
    uint64_t start, end;
    uint64_t last_time;     /* time of its last record (pass 1 only) */
    uint64_t count;         /* records still to output */
    uint64_t key;           /* time of the next record to output */
    elog_block_state bs;    /* block state before its next record */
    uint8_t kind;
    /* Pass 2 only: the run's read buffer (no buffer until its first read). */
    uint8_t *buf;
    uint32_t cap, pos, len; /* buf[pos..len) are valid */
    uint64_t next;          /* offset of buf[len] */
} order_run;

/* What pass 1 learns from one stretch of the input. */
typedef struct order_p1 {
    order_run *runs;
    size_t n_runs, cap_runs;
    size_t max_runs;        /* the table's bound: coalesce beyond it */
    uint64_t range_bytes;   /* coalesced ranges grow up to this */
    elog_event marker;      /* the last block marker (id, size, layout, fields) */
    bool have_marker;
    uint64_t since_marker;  /* bytes of the records after it so far */
    bool oom;
    bool cap_mismatch;
    uint64_t mismatch_offset;
    uint64_t delta;         /* added to the decoder's offsets (split mode's tail) */
    bool gap;               /* some record did not begin where the previous ended */
    order_run *cur;         /* the last run if it is RUN_SORTED, else NULL */
} order_p1;

struct elog_order {
    elog_order_options opts;
    order_p1 p1;
    /* order_scan.c: the head's decoder keeps the header. */
    void *scan;
    /* pass 2 */
    const elog_header *h;
    elog_order_read_cb read;
    void *read_ctx;
    bool begun;
    order_run *runs;        /* the runs being merged (p1's, or the passes') */
    size_t n_runs;
    uint32_t *rsize;        /* per event id: record size, RSIZE_VARIABLE or RSIZE_SLOW */
    uint32_t n_rsize;
    uint32_t *heap;
    size_t heap_len;
    uint8_t *scratch;       /* ELOG_MAX_RECORD_SIZE + 10 bytes */
    uint8_t *arena;
    uint8_t *fresh;         /* the next never-used slot */
    uint32_t slot;
    uint8_t **spare;
    size_t n_spare;
    int tmp_fd;             /* intermediate runs (RUN_TAGGED), -1 if none */
    uint64_t tmp_len;
    bool bad;
    elog_status bad_status;
    uint64_t bad_off;
    char error[256];
};

#define RSIZE_VARIABLE 0u          /* 12 + the u16 at byte 10 */
#define RSIZE_SLOW UINT32_MAX      /* undeclared: the slow path says what */

/* order_runs.c */
void order_p1_init(order_p1 *st, size_t max_runs);
int order_p1_record_slow(order_p1 *st, const elog_event *ev, uint64_t off);
void order_p1_free(order_p1 *st);
size_t order_max_runs(const elog_order *o);

/* Extends the current run by the record, or starts a new one. */
static inline __attribute__((always_inline)) int order_p1_record(order_p1 *st,
                                                                 const elog_event *ev)
{
    uint64_t off = ev->offset + st->delta;
    order_run *cur = st->cur;
    if (__builtin_expect(cur == NULL || ev->time < cur->last_time || off != cur->end ||
                             ev->id == ELOG_EV_BLOCK_MARKER, 0))
        return order_p1_record_slow(st, ev, off);
    cur->end = off + ev->size;
    cur->last_time = ev->time;
    cur->count++;
    st->since_marker += ev->size;
    return ELOG_CB_CONTINUE;
}

/* order_scan.c */
void order_scan_free(elog_order *o);
/* The head's decoder after a successful elog_order_scan_fd() (it holds the
 * header), else NULL. */
elog_decoder *order_scan_decoder(elog_order *o);

/* order_merge.c */
void order_set_error(elog_order *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int order_pread_full(int fd, void *buf, size_t len, uint64_t pos);

/* order_passes.c: brings the runs down to at most order_max_runs() sorted
 * or tagged ones. 0, or -1 (error set). */
int order_passes(elog_order *o);

/* order_merge.c, for order_passes.c: merges runs[0..n) completely, calling
 * `put` for each record in order. 0, or -1. */
typedef int (*order_put_fn)(void *ctx, const uint8_t *rec, uint32_t size, uint16_t cap,
                            uint64_t off);
int order_merge_all(elog_order *o, order_run *runs, size_t n, order_put_fn put, void *ctx);
int order_map_record_sizes(elog_order *o);
uint32_t order_record_size(const elog_order *o, const uint8_t *p, size_t avail);

static inline uint64_t order_be64(const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

#endif /* ELOG_ORDER_INTERNAL_H */

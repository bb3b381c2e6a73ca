/*
 * Pass 2 of the time-ordered merge: a binary heap keyed by (time, run
 * index) over the runs pass 1 recorded, re-reading each run sequentially
 * through its own small buffer, stepping over records by their sizes and
 * working out their capabilities as elog_block_state_apply() does. Ties go
 * to the earlier run, i.e. the earlier event in the stream, which is
 * exactly a stable sort. The run at the top of the heap goes on until its
 * next time passes the best of the others.
 */
#include "order_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bounds of one run buffer (RUN_BUF_MIN must stay >= 32: a tagged
 * record's tag and header). */
#ifndef RUN_BUF_MIN
#define RUN_BUF_MIN 256u
#endif
#ifndef RUN_BUF_MAX
#define RUN_BUF_MAX (64u * 1024u)
#endif
#define TAG 10u

void order_set_error(elog_order *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof o->error, fmt, ap);
    va_end(ap);
}

const char *elog_order_error(const elog_order *o)
{
    return o == NULL ? "out of memory" : o->error;
}

int order_pread_full(int fd, void *buf, size_t len, uint64_t pos)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, p + done, len - done, (off_t)(pos + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    return 0;
}

/* The buffer of a run without a slot (an empty one: no offset from NULL). */
static uint8_t no_buf[1];

static int run_read(elog_order *o, const order_run *r, void *buf, size_t n, uint64_t off)
{
    if (r->kind == RUN_TAGGED) {
        if (order_pread_full(o->tmp_fd, buf, n, off) != 0) {
            order_set_error(o, "cannot read the temporary file of the merge: %s",
                            errno ? strerror(errno) : "it is shorter than written");
            return -1;
        }
        return 0;
    }
    return o->read(o->read_ctx, buf, n, off);
}

/* Notes an inconsistency of the merge (the input changed between the
 * passes): the merge stops, and the first one is reported. */
static int changed(elog_order *o, uint64_t off, elog_status st, const char *what)
{
    if (!o->bad) {
        o->bad = true;
        o->bad_status = st;
        o->bad_off = off;
        order_set_error(o, "input changed between passes: %s (at byte offset %llu)", what,
                        (unsigned long long)off);
    }
    return -1;
}

static int read_failed(elog_order *o, uint64_t off)
{
    if (!o->bad) {
        o->bad = true;
        o->bad_status = ELOG_E_CALLBACK;
        o->bad_off = off;
        if (o->error[0] == '\0')
            order_set_error(o, "read failed at byte offset %llu", (unsigned long long)off);
    }
    return -1;
}

/* Moves the unread bytes to the front of the run buffer and fills the rest,
 * without going past the run's end; on a run's first read, takes a slot. */
static int run_fill(elog_order *o, order_run *r)
{
    uint32_t keep = r->len - r->pos;
    if (r->buf == no_buf) {
        if (o->n_spare > 0) {
            r->buf = o->spare[--o->n_spare];
        } else {
            r->buf = o->fresh;
            o->fresh += o->slot;
        }
    }
    /* The next byte read lands at the same offset modulo COPY_ALIGN as in
     * the file, so that the kernel's copy runs at full speed. */
    uint32_t at = (uint32_t)((r->next - keep) & (ORDER_COPY_ALIGN - 1));
    if (keep > 0 && r->pos != at)
        memmove(r->buf + at, r->buf + r->pos, keep);
    r->pos = at;
    r->len = at + keep;
    uint64_t want = r->cap - keep;
    if (want > r->end - r->next)
        want = r->end - r->next;
    if (want == 0)
        return 0;
    if (run_read(o, r, r->buf + r->len, (size_t)want, r->next) != 0)
        return read_failed(o, r->next);
    r->len += (uint32_t)want;
    r->next += want;
    return 0;
}

/* A run is done: its slot goes back. */
static void run_done(elog_order *o, order_run *r)
{
    if (r->buf != no_buf)
        o->spare[o->n_spare++] = r->buf;
    r->buf = no_buf;
}

/* Time of the run's next record. */
static int run_peek_time(elog_order *o, order_run *r, uint64_t *t)
{
    uint32_t skip = r->kind == RUN_TAGGED ? TAG : 0;
    if (r->len - r->pos < 10 + skip) {
        if (run_fill(o, r) != 0)
            return -1;
        if (r->len - r->pos < 10 + skip)
            return changed(o, r->next - (r->len - r->pos), ELOG_E_BAD_EVENT,
                           "record cut short");
    }
    *t = order_be64(r->buf + r->pos + skip + 2);
    return 0;
}

/* Decodes the run's next record into *ev (slices valid until the next call
 * for this run); *rec is where its bytes are meanwhile. */
static int run_decode(elog_order *o, order_run *r, elog_event *ev, const uint8_t **rec)
{
    uint64_t off = r->next - (r->len - r->pos);
    for (;;) {
        size_t avail = r->len - r->pos;
        size_t need = 0;
        elog_status st = elog_decode_record(o->h, r->buf + r->pos, avail, off, ev, &need);
        if (st == ELOG_OK) {
            *rec = r->buf + r->pos;
            r->pos += (uint32_t)need;
            return 0;
        }
        if (st != ELOG_NEED_MORE)
            return changed(o, off, st, elog_status_name(st));
        if (off + need > r->end)
            return changed(o, off, ELOG_E_BAD_EVENT, "record crosses the end of its run");
        if (need > r->cap)
            break; /* does not fit: use the scratch buffer */
        if (avail >= need || r->next == r->end)
            return changed(o, off, ELOG_E_BAD_EVENT, "inconsistent record size");
        if (run_fill(o, r) != 0)
            return -1;
    }

    /* A record larger than the run buffer. */
    size_t have = r->len - r->pos;
    memcpy(o->scratch, r->buf + r->pos, have);
    r->pos = r->len = 0;
    for (;;) {
        size_t need = 0;
        elog_status st = elog_decode_record(o->h, o->scratch, have, off, ev, &need);
        if (st == ELOG_OK) {
            *rec = o->scratch;
            r->next = off + need;
            return 0;
        }
        if (st != ELOG_NEED_MORE)
            return changed(o, off, st, elog_status_name(st));
        if (need <= have || need > ELOG_MAX_RECORD_SIZE || off + need > r->end)
            return changed(o, off, ELOG_E_BAD_EVENT, "inconsistent record size");
        if (run_read(o, r, o->scratch + have, need - have, off + have) != 0)
            return read_failed(o, off + have);
        have = need;
    }
}

/* Record sizes by event id, so that the merge can step over records
 * without decoding them. */
int order_map_record_sizes(elog_order *o)
{
    if (o->rsize != NULL)
        return 0;
    uint32_t n = 0;
    for (size_t i = 0; i < o->h->n_types; i++)
        if ((uint32_t)o->h->types[i].id + 1 > n)
            n = (uint32_t)o->h->types[i].id + 1;
    o->rsize = malloc((n > 0 ? n : 1) * sizeof *o->rsize);
    if (o->rsize == NULL)
        return -1;
    for (uint32_t id = 0; id < n; id++) {
        const elog_event_type *t = elog_header_lookup(o->h, (uint16_t)id);
        o->rsize[id] = t == NULL ? RSIZE_SLOW
                       : t->size == ELOG_VARIABLE_SIZE ? RSIZE_VARIABLE
                                                       : 10u + t->size;
    }
    o->n_rsize = n;
    return 0;
}

/* The size of the record at p (avail >= 12 bytes, or fewer at the end), or
 * RSIZE_SLOW when it cannot be told by its id. */
uint32_t order_record_size(const elog_order *o, const uint8_t *p, size_t avail)
{
    if (avail < 2)
        return RSIZE_SLOW;
    uint16_t id = (uint16_t)(p[0] << 8 | p[1]);
    uint32_t n = id < o->n_rsize ? o->rsize[id] : RSIZE_SLOW;
    if (n == RSIZE_VARIABLE) {
        if (avail < 12)
            return RSIZE_SLOW;
        n = 12u + (uint32_t)(p[10] << 8 | p[11]);
    }
    return n;
}

/* Steps over the run's next record: *rec is where its *size bytes are until
 * the next call for this run. */
static inline int run_next(elog_order *o, order_run *r, const uint8_t **rec, uint32_t *size)
{
    uint32_t avail = r->len - r->pos;
    const uint8_t *p = r->buf + r->pos;
    if (__builtin_expect(avail >= 12, 1)) {
        uint16_t id = (uint16_t)(p[0] << 8 | p[1]);
        uint32_t n = id < o->n_rsize ? o->rsize[id] : RSIZE_SLOW;
        if (n == RSIZE_VARIABLE)
            n = 12u + (uint32_t)(p[10] << 8 | p[11]);
        if (__builtin_expect(n <= avail, 1)) {
            *rec = p;
            *size = n;
            r->pos += n;
            return 0;
        }
    }
    elog_event ev;
    if (run_decode(o, r, &ev, rec) != 0)
        return -1;
    *size = ev.size;
    return 0;
}

/* The next record of a tagged run, with its capability and stream offset
 * from the tag. */
static int run_next_tagged(elog_order *o, order_run *r, const uint8_t **rec, uint32_t *size,
                           uint16_t *cap, uint64_t *off)
{
    uint64_t at = r->next - (r->len - r->pos);
    if (r->len - r->pos < TAG + 12 && run_fill(o, r) != 0)
        return -1;
    uint32_t avail = r->len - r->pos;
    const uint8_t *p = r->buf + r->pos;
    uint32_t n = avail < TAG ? RSIZE_SLOW : order_record_size(o, p + TAG, avail - TAG);
    if (n == RSIZE_SLOW || n < 10 || at + TAG + n > r->end)
        return changed(o, at, ELOG_E_BAD_EVENT, "corrupt temporary file");
    *cap = (uint16_t)(p[0] << 8 | p[1]);
    *off = order_be64(p + 2);
    if (TAG + n > avail && TAG + n <= r->cap) {
        if (run_fill(o, r) != 0)
            return -1;
        p = r->buf + r->pos;
        avail = r->len - r->pos;
    }
    if (TAG + n <= avail) {
        *rec = p + TAG;
        *size = n;
        r->pos += TAG + n;
        return 0;
    }
    /* Larger than the buffer: through the scratch buffer. */
    if (run_read(o, r, o->scratch, n, at + TAG) != 0)
        return read_failed(o, at);
    r->pos = r->len = 0;
    r->next = at + TAG + n;
    *rec = o->scratch;
    *size = n;
    return 0;
}

static bool heap_less(const elog_order *o, uint32_t a, uint32_t b)
{
    uint64_t ka = o->runs[a].key, kb = o->runs[b].key;
    return ka < kb || (ka == kb && a < b);
}

static void heap_sift_down(elog_order *o, size_t i)
{
    uint32_t *h = o->heap;
    size_t n = o->heap_len;
    uint32_t x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_less(o, h[c + 1], h[c]))
            c++;
        if (!heap_less(o, h[c], x))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

/* memcpy for records, most of which are 10 to 32 bytes. */
static inline void copy_record(uint8_t *to, const uint8_t *from, uint32_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, z;
        memcpy(&a, from, 8);
        memcpy(&z, from + n - 8, 8);
        memcpy(to, &a, 8);
        memcpy(to + n - 8, &z, 8);
    } else if (n > 16 && n <= 32) {
        uint8_t a[16], z[16];
        memcpy(a, from, 16);
        memcpy(z, from + n - 16, 16);
        memcpy(to, a, 16);
        memcpy(to + n - 16, z, 16);
    } else {
        memcpy(to, from, n);
    }
}

/* The capability of a record of `size` bytes at `rec` and the run's block
 * state after it, as elog_block_state_apply() has them. Only block markers
 * need decoding. */
static inline int record_cap(elog_order *o, order_run *r, const uint8_t *rec, uint32_t size,
                             uint64_t off, uint16_t *cap)
{
    uint16_t id = (uint16_t)(rec[0] << 8 | rec[1]);
    if (__builtin_expect(id != ELOG_EV_BLOCK_MARKER, 1)) {
        /* Inside a block, a record that does not reach its end keeps the
         * block's capability: elog_block_state_apply() made short. */
        if (r->bs.remaining > (int64_t)size) {
            *cap = r->bs.cap;
            r->bs.remaining -= size;
            return 0;
        }
        elog_event ev;
        ev.id = id;
        ev.size = size;
        ev.layout = NULL;
        elog_block_state_apply(&r->bs, &ev, false);
        *cap = ev.cap;
        return 0;
    }
    elog_event ev;
    size_t need = 0;
    elog_status st = elog_decode_record(o->h, rec, size, off, &ev, &need);
    if (st != ELOG_OK)
        return changed(o, off, st, elog_status_name(st));
    elog_block_state_apply(&r->bs, &ev, false);
    *cap = ev.cap;
    return 0;
}

/* Allocates the buffers for merging runs[0..n) and builds the heap. */
static int merge_setup(elog_order *o, order_run *runs, size_t n)
{
    free(o->arena);
    free(o->spare);
    free(o->heap);
    o->arena = NULL;
    o->spare = NULL;
    o->heap = NULL;
    o->runs = runs;
    o->n_runs = n;
    o->heap_len = 0;
    if (n == 0)
        return 0;
    /* Not through a mapping: runs far apart in the file are merged at once,
     * and each would keep the pages it touched mapped until it is done. */
    uint64_t per = o->opts.memory_budget / n;
    if (per > ORDER_COPY_ALIGN)
        per -= ORDER_COPY_ALIGN;
    if (per < RUN_BUF_MIN)
        per = RUN_BUF_MIN;
    if (per > RUN_BUF_MAX)
        per = RUN_BUF_MAX;
    per &= ~(uint64_t)(ORDER_COPY_ALIGN - 1); /* aligned_alloc wants a multiple */
    for (size_t i = 0; i < n; i++) {
        order_run *r = &runs[i];
        uint64_t len = r->end - r->start;
        r->cap = (uint32_t)(len < per ? len : per);
        if (r->kind == RUN_TAGGED && r->cap < RUN_BUF_MIN)
            r->cap = (uint32_t)(len < RUN_BUF_MIN ? len : RUN_BUF_MIN);
    }
    /* Room for every run at once, but a run only takes a slot when it is
     * first read and gives it back when it is done, given-back slots first:
     * the memory touched is then the slots of the runs merged at the same
     * time, which stay in the cache. */
    o->slot = (uint32_t)per + ORDER_COPY_ALIGN;
    if (n <= SIZE_MAX / o->slot)
        o->arena = aligned_alloc(ORDER_COPY_ALIGN, n * o->slot);
    o->spare = malloc(n * sizeof *o->spare);
    o->n_spare = 0;
    o->fresh = o->arena;
    o->heap = malloc(n * sizeof *o->heap);
    if (o->scratch == NULL)
        o->scratch = malloc(ELOG_MAX_RECORD_SIZE + TAG);
    if (o->arena == NULL || o->spare == NULL || o->heap == NULL || o->scratch == NULL ||
        order_map_record_sizes(o) != 0) {
        order_set_error(o, "out of memory merging %zu sorted runs", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        order_run *r = &runs[i];
        r->buf = no_buf;
        r->pos = r->len = 0;
        r->next = r->start;
        o->heap[i] = (uint32_t)i;
    }
    o->heap_len = n;
    /* A tagged run's key is its first record's time. */
    for (size_t i = 0; i < n; i++)
        if (runs[i].kind == RUN_TAGGED && run_peek_time(o, &runs[i], &runs[i].key) != 0)
            return -1;
    for (size_t i = n / 2; i-- > 0;)
        heap_sift_down(o, i);
    return 0;
}

/* Takes the lead run's next record. */
static inline int lead_take(elog_order *o, order_run *r, const uint8_t **rec, uint32_t *size,
                            uint16_t *cap, uint64_t *off)
{
    if (r->kind == RUN_TAGGED)
        return run_next_tagged(o, r, rec, size, cap, off);
    *off = r->next - (r->len - r->pos);
    if (run_next(o, r, rec, size) != 0)
        return -1;
    if (order_be64(*rec + 2) != r->key)
        return changed(o, *off, ELOG_E_BAD_EVENT, "timestamp differs");
    return record_cap(o, r, *rec, *size, *off, cap);
}

int order_merge_all(elog_order *o, order_run *runs, size_t n, order_put_fn put, void *ctx)
{
    if (merge_setup(o, runs, n) != 0)
        return -1;
    while (o->heap_len > 0) {
        uint32_t top = o->heap[0];
        order_run *r = &o->runs[top];
        const uint8_t *rec;
        uint32_t size;
        uint16_t cap;
        uint64_t off;
        if (lead_take(o, r, &rec, &size, &cap, &off) != 0)
            return -1;
        if (put(ctx, rec, size, cap, off) != 0)
            return -1;
        if (--r->count == 0) {
            run_done(o, r);
            o->heap[0] = o->heap[--o->heap_len];
        } else if (run_peek_time(o, r, &r->key) != 0) {
            return -1;
        }
        if (o->heap_len > 0)
            heap_sift_down(o, 0);
    }
    return 0;
}

/* The merge's common case, in a loop of its own that keeps the run's and
 * the batch's state in locals (the record copies are byte stores, which
 * would otherwise make the compiler reload all of it for every record):
 * records of the lead run that are whole in its buffer with the next
 * record's time after them, are not block markers and do not reach the end
 * of their block, with room in the batch. Stops at anything else, which the
 * caller's loop then handles record by record, before touching it. Returns
 * true if the lead goes to another run (r->key is then its next key). */
static inline bool merge_burst(elog_order *o, order_run *r, elog_order_batch *b, uint32_t top,
                               uint64_t bkey, uint32_t bidx)
{
    const uint8_t *buf = r->buf;
    uint32_t pos = r->pos, len = r->len;
    uint64_t off_base = r->next - len; /* stream offset of buf[0] */
    int64_t rem = r->bs.remaining;
    uint16_t bcap = r->bs.cap;
    uint64_t count = r->count, key = r->key;
    size_t bn = b->n;
    size_t raw_len = b->raw_len;
    uint8_t *raw = b->raw;
    uint16_t *caps = b->caps;
    uint64_t *offs = b->offsets;
    size_t raw_lim = b->raw_cap - ELOG_MAX_RECORD_SIZE;
    const uint32_t *rsize = o->rsize;
    uint32_t n_rsize = o->n_rsize;
    bool leave = false;
    /* Records it may take: the run's last one and a full batch stop it. */
    uint64_t todo = count - 1;
    if (todo > b->max - bn)
        todo = b->max - bn;
    for (; todo > 0 && raw_len <= raw_lim; todo--) {
        uint32_t avail = len - pos;
        if (avail < 12)
            break;
        const uint8_t *p = buf + pos;
        uint16_t id = (uint16_t)(p[0] << 8 | p[1]);
        uint64_t n = id < n_rsize ? rsize[id] : RSIZE_SLOW;
        if (n == RSIZE_VARIABLE)
            n = 12u + (uint32_t)(p[10] << 8 | p[11]);
        /* The record and the next one's time in the buffer (this also
         * stops at RSIZE_SLOW), inside its block. */
        if (n + 10 > avail || id == ELOG_EV_BLOCK_MARKER || rem <= (int64_t)n ||
            order_be64(p + 2) != key)
            break;
        copy_record(raw + raw_len, p, (uint32_t)n);
        raw_len += n;
        caps[bn] = bcap;
        offs[bn] = off_base + pos;
        bn++;
        rem -= (int64_t)n;
        pos += (uint32_t)n;
        count--;
        key = order_be64(buf + pos + 2);
        if (key > bkey || (key == bkey && top > bidx)) {
            leave = true;
            break;
        }
    }
    r->pos = pos;
    r->bs.remaining = rem;
    r->count = count;
    r->key = key;
    b->n = bn;
    b->raw_len = raw_len;
    return leave;
}

elog_status elog_order_merge_begin(elog_order *o, const elog_header *h, elog_order_read_cb read,
                                   void *ctx)
{
    if (o->begun || h == NULL || read == NULL)
        return ELOG_E_USAGE;
    o->begun = true;
    o->h = h;
    o->read = read;
    o->read_ctx = ctx;
    if (order_map_record_sizes(o) != 0) {
        order_set_error(o, "out of memory");
        return ELOG_E_NOMEM;
    }
    if (order_passes(o) != 0) {
        if (!o->bad) {
            o->bad = true;
            o->bad_status = ELOG_E_CALLBACK;
        }
        return o->bad_status == ELOG_E_NOMEM ? ELOG_E_NOMEM : ELOG_E_CALLBACK;
    }
    if (merge_setup(o, o->p1.runs, o->p1.n_runs) != 0) {
        o->bad = true;
        o->bad_status = ELOG_E_NOMEM;
        return ELOG_E_NOMEM;
    }
    return ELOG_OK;
}

bool elog_order_merge_fill(elog_order *o, elog_order_batch *b)
{
    size_t n0 = b->n;
    if (!o->begun || o->bad || b->raw_cap < 2 * ELOG_MAX_RECORD_SIZE || b->max == 0)
        return false;
    size_t raw_lim = b->raw_cap - ELOG_MAX_RECORD_SIZE;
    /* The heap's top run keeps the lead while its next key stays below the
     * best of the others (the top's better child): events are emitted in
     * stretches, and the heap is touched only when the lead changes. */
    while (o->heap_len > 0 && b->n < b->max && b->raw_len <= raw_lim) {
        uint32_t top = o->heap[0];
        order_run *r = &o->runs[top];
        uint64_t bkey = UINT64_MAX;
        uint32_t bidx = UINT32_MAX;
        if (o->heap_len > 1) {
            uint32_t c = o->heap[1];
            if (o->heap_len > 2 && heap_less(o, o->heap[2], c))
                c = o->heap[2];
            bkey = o->runs[c].key;
            bidx = c;
        }
        bool sift = false;
        for (;;) {
            if (r->kind == RUN_SORTED && merge_burst(o, r, b, top, bkey, bidx)) {
                sift = true;
                break;
            }
            if (b->n == b->max || b->raw_len > raw_lim)
                break;
            const uint8_t *rec;
            uint32_t size;
            uint16_t cap;
            uint64_t off;
            if (lead_take(o, r, &rec, &size, &cap, &off) != 0)
                return b->n > n0;
            copy_record(b->raw + b->raw_len, rec, size);
            b->raw_len += size;
            b->caps[b->n] = cap;
            b->offsets[b->n] = off;
            b->n++;
            if (--r->count == 0) {
                run_done(o, r); /* *rec is in the batch by now */
                o->heap[0] = o->heap[--o->heap_len];
                sift = true;
                break;
            }
            if (run_peek_time(o, r, &r->key) != 0)
                return b->n > n0;
            if (r->key > bkey || (r->key == bkey && top > bidx)) {
                sift = true;
                break;
            }
        }
        if (sift && o->heap_len > 0)
            heap_sift_down(o, 0);
    }
    return b->n > n0;
}

elog_status elog_order_merge_status(const elog_order *o, uint64_t *offset)
{
    if (offset != NULL)
        *offset = o->bad ? o->bad_off : 0;
    return o->bad ? o->bad_status : ELOG_OK;
}

void elog_order_free(elog_order *o)
{
    if (o == NULL)
        return;
    order_scan_free(o);
    order_p1_free(&o->p1); /* o->runs is borrowed: p1's or a pass's list */
    free(o->arena);
    free(o->spare);
    free(o->heap);
    free(o->scratch);
    free(o->rsize);
    if (o->tmp_fd >= 0)
        close(o->tmp_fd);
    free(o);
}

/*
 * The live reordering window: events pushed in arrival order (capabilities'
 * buffers reach a live stream at different times) are held in a min-heap
 * keyed by (time, arrival) and released in time order once the newest time
 * seen is more than window_ns past them, or the oldest first while the
 * held records take more than max_bytes. An event older than the last one
 * released cannot be put in order any more: it goes out at once, flagged
 * late and counted, never dropped.
 *
 * Each held event is a copy of its record (rebuilt from the event: id, time,
 * length for variable-size types, payload), decoded again on release with
 * the stream's header: memory is the records held plus ~48 bytes each, and
 * one record-sized buffer for events handed out at once.
 */
#include "order_internal.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_BYTES (16u * 1024u * 1024u)
#define ENTRY_OVERHEAD 48u

typedef struct held {
    uint64_t time;
    uint64_t seq;
    uint64_t offset;
    uint8_t *rec;
    uint32_t size;
    uint16_t cap;
} held;

struct elog_window {
    elog_window_options opts;
    const elog_header *h;
    elog_window_cb emit;
    void *ctx;
    held *heap;
    size_t n, cap;
    uint64_t seq;
    uint64_t newest;        /* the newest time pushed */
    uint64_t released;      /* the time of the last event released in order */
    bool any_released;
    size_t bytes;           /* held records + overhead */
    elog_window_stats st;
    uint8_t *now;           /* ELOG_MAX_RECORD_SIZE bytes: events handed out at once */
};

elog_window *elog_window_new(const elog_window_options *opts, const elog_header *h,
                             elog_window_cb emit, void *ctx)
{
    if (emit == NULL)
        return NULL;
    elog_window *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->now = malloc(ELOG_MAX_RECORD_SIZE);
    if (w->now == NULL) {
        free(w);
        return NULL;
    }
    if (opts != NULL)
        w->opts = *opts;
    if (w->opts.max_bytes == 0)
        w->opts.max_bytes = DEFAULT_MAX_BYTES;
    w->h = h;
    w->emit = emit;
    w->ctx = ctx;
    return w;
}

void elog_window_set_header(elog_window *w, const elog_header *h)
{
    w->h = h;
}

static bool less(const held *a, const held *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void sift_up(elog_window *w, size_t i)
{
    held x = w->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!less(&x, &w->heap[p]))
            break;
        w->heap[i] = w->heap[p];
        i = p;
    }
    w->heap[i] = x;
}

static void sift_down(elog_window *w, size_t i)
{
    held x = w->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= w->n)
            break;
        if (c + 1 < w->n && less(&w->heap[c + 1], &w->heap[c]))
            c++;
        if (!less(&w->heap[c], &x))
            break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    w->heap[i] = x;
}

/* Rebuilds the raw record of `ev` into `out` (ev->size bytes). */
static void rebuild(const elog_event *ev, uint8_t *out)
{
    out[0] = (uint8_t)(ev->id >> 8);
    out[1] = (uint8_t)ev->id;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(ev->time >> (56 - 8 * i));
    size_t at = 10;
    if (ev->size == 12 + ev->payload.len) {
        out[10] = (uint8_t)(ev->payload.len >> 8);
        out[11] = (uint8_t)ev->payload.len;
        at = 12;
    }
    if (ev->payload.len > 0)
        memcpy(out + at, ev->payload.ptr, ev->payload.len);
}

/* Decodes a held record again and hands it out. */
static int deliver(elog_window *w, const uint8_t *rec, uint32_t size, uint64_t offset,
                   uint16_t cap, bool late)
{
    elog_event ev;
    size_t need = 0;
    if (w->h == NULL || elog_decode_record(w->h, rec, size, offset, &ev, &need) != ELOG_OK)
        return -1; /* cannot happen: it decoded when pushed, with this header */
    ev.cap = cap;
    w->st.released++;
    return w->emit(w->ctx, &ev, late) == ELOG_CB_CONTINUE ? 0 : -1;
}

/* Releases the oldest held event. */
static int release_top(elog_window *w)
{
    held top = w->heap[0];
    w->heap[0] = w->heap[--w->n];
    if (w->n > 0)
        sift_down(w, 0);
    w->bytes -= top.size + ENTRY_OVERHEAD;
    w->released = top.time;
    w->any_released = true;
    int rc = deliver(w, top.rec, top.size, top.offset, top.cap, false);
    free(top.rec);
    return rc;
}

static int release_due(elog_window *w)
{
    while (w->n > 0) {
        bool due = w->newest - w->heap[0].time > w->opts.window_ns ||
                   w->bytes > w->opts.max_bytes;
        if (!due)
            break;
        if (release_top(w) != 0)
            return -1;
    }
    return 0;
}

int elog_window_push(elog_window *w, const elog_event *ev)
{
    w->st.pushed++;
    if (ev->size < 10 || ev->size > ELOG_MAX_RECORD_SIZE)
        return -1;
    if (w->any_released && ev->time < w->released) {
        /* Too late to be put in order. */
        w->st.late++;
        uint64_t behind = w->released - ev->time;
        if (behind > w->st.max_late_ns)
            w->st.max_late_ns = behind;
        rebuild(ev, w->now);
        int rc = deliver(w, w->now, ev->size, ev->offset, ev->cap, true);
        return rc;
    }
    uint8_t *rec = malloc(ev->size);
    if (rec == NULL || (w->n == w->cap && w->cap >= SIZE_MAX / 2 / sizeof(held))) {
        free(rec);
        goto unordered;
    }
    if (w->n == w->cap) {
        size_t ncap = w->cap ? 2 * w->cap : 256;
        held *nh = realloc(w->heap, ncap * sizeof *nh);
        if (nh == NULL) {
            free(rec);
            goto unordered;
        }
        w->heap = nh;
        w->cap = ncap;
    }
    rebuild(ev, rec);
    held *x = &w->heap[w->n++];
    x->time = ev->time;
    x->seq = w->seq++;
    x->offset = ev->offset;
    x->rec = rec;
    x->size = ev->size;
    x->cap = ev->cap;
    sift_up(w, w->n - 1);
    w->bytes += ev->size + ENTRY_OVERHEAD;
    if (w->bytes > w->st.peak_bytes)
        w->st.peak_bytes = w->bytes;
    if (ev->time > w->newest)
        w->newest = ev->time;
    return release_due(w);

unordered:
    /* Out of memory: the event still goes out, now, unordered. */
    rebuild(ev, w->now);
    (void)deliver(w, w->now, ev->size, ev->offset, ev->cap, false);
    return -1;
}

int elog_window_flush(elog_window *w)
{
    while (w->n > 0)
        if (release_top(w) != 0)
            return -1;
    return 0;
}

void elog_window_get_stats(const elog_window *w, elog_window_stats *st)
{
    *st = w->st;
    st->held = w->n;
    st->held_bytes = w->bytes;
}

void elog_window_free(elog_window *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->heap[i].rec);
    free(w->heap);
    free(w->now);
    free(w);
}

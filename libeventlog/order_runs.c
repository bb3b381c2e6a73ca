/*
 * Pass 1 of the time-ordered merge: splits the events, in stream order, into
 * maximal runs of non-decreasing timestamps. A run is a contiguous byte
 * range, recorded as (start, end, first time, count, block state at its
 * start), so that pass 2 can re-read it.
 *
 * The table is bounded (order_max_runs() entries): when it fills, adjacent
 * entries are coalesced into unsorted ranges (RUN_RANGE), which pass 2 sorts
 * in chunks (order_passes.c). Eventlogs are almost sorted, so real logs stay
 * far below the bound; only adversarial ones (alternating or decreasing
 * times) coalesce.
 */
#include "order_internal.h"

#include <stdlib.h>
#include <string.h>

/* A coalesced range starts at this many bytes and doubles whenever
 * coalescing freed too little of the table. */
#define RANGE_BYTES_MIN (4u * 1024u * 1024u)

void elog_order_options_init(elog_order_options *o)
{
    memset(o, 0, sizeof *o);
}

size_t order_max_runs(const elog_order *o)
{
    return o->p1.max_runs;
}

void order_p1_init(order_p1 *st, size_t max_runs)
{
    memset(st, 0, sizeof *st);
    st->max_runs = max_runs;
    st->range_bytes = RANGE_BYTES_MIN;
}

void order_p1_free(order_p1 *st)
{
    free(st->runs);
    st->runs = NULL;
    st->n_runs = st->cap_runs = 0;
    st->cur = NULL;
}

elog_order *elog_order_new(const elog_order_options *opts)
{
    elog_order *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    if (opts != NULL)
        o->opts = *opts;
    if (o->opts.memory_budget == 0)
        o->opts.memory_budget = 64u * 1024u * 1024u;
    /* Each run merged at once needs a buffer of at least 256 bytes. */
    size_t max_runs = ORDER_MAX_RUNS;
    if (o->opts.max_runs >= 2 && o->opts.max_runs < max_runs)
        max_runs = o->opts.max_runs;
    if (max_runs > o->opts.memory_budget / 512u)
        max_runs = o->opts.memory_budget / 512u;
    if (max_runs < 2)
        max_runs = 2;
    order_p1_init(&o->p1, max_runs);
    o->tmp_fd = -1;
    return o;
}

/* The block state before the current record, from the last block marker
 * seen (if any) and the records since. Only block markers reset the state;
 * every other record takes its size off the remaining bytes (and the
 * capability goes once nothing remains), so applying all the records since
 * the marker is the same as applying one record of their total size. */
static elog_block_state block_state_now(const order_p1 *st)
{
    elog_block_state bs = ELOG_BLOCK_STATE_INIT;
    if (!st->have_marker)
        return bs; /* outside blocks: any remaining <= 0 behaves the same */
    elog_event e = st->marker;
    elog_block_state_apply(&bs, &e, false);
    uint64_t gap = st->since_marker;
    while (gap > 0) {
        e.id = ELOG_EV_CREATE_THREAD; /* any id but the block marker's */
        e.layout = NULL;
        e.size = gap > UINT32_MAX ? UINT32_MAX : (uint32_t)gap;
        elog_block_state_apply(&bs, &e, false);
        gap -= e.size;
    }
    return bs;
}

/* The table is full: joins adjacent entries into ranges of at most
 * range_bytes (entries must continue each other in the stream), doubling
 * range_bytes until at least a quarter of the table is free. */
static void coalesce(order_p1 *st)
{
    for (;;) {
        size_t w = 0;
        for (size_t i = 0; i < st->n_runs; i++) {
            order_run *r = &st->runs[i];
            if (w > 0) {
                order_run *p = &st->runs[w - 1];
                uint64_t len = r->end - p->start;
                bool small = r->end - r->start < st->range_bytes;
                /* A 2-byte gap is an end-of-data marker with events after it
                 * (ELOG_OPT_CONTINUE_AFTER_END): the chunk sort steps over it. */
                bool next_to = p->end == r->start || r->start - p->end == 2;
                if (next_to && small && len <= st->range_bytes &&
                    (p->kind == RUN_RANGE || p->end - p->start < st->range_bytes)) {
                    p->kind = RUN_RANGE;
                    p->end = r->end;
                    p->count += r->count;
                    p->last_time = r->last_time;
                    continue;
                }
            }
            st->runs[w++] = *r;
        }
        st->n_runs = w;
        size_t target = st->max_runs - st->max_runs / 4;
        if (target >= st->max_runs)
            target = st->max_runs - 1;
        if (st->n_runs <= target || st->range_bytes > UINT64_MAX / 4)
            break;
        st->range_bytes *= 2;
    }
    order_run *last = &st->runs[st->n_runs - 1];
    st->cur = last->kind == RUN_SORTED ? last : NULL;
}

/* order_p1_record() for the records that begin a run or are block markers:
 * rare, and apart so that the common case needs no stack frame. */
int order_p1_record_slow(order_p1 *st, const elog_event *ev, uint64_t off)
{
    order_run *cur = st->cur;
    uint64_t prev_end = st->n_runs > 0 ? st->runs[st->n_runs - 1].end : 0;
    if (cur == NULL || ev->time < cur->last_time || off != cur->end) {
        if (st->n_runs > 0 && off != prev_end)
            st->gap = true;
        if (st->n_runs >= st->max_runs)
            coalesce(st);
        if (st->n_runs == st->cap_runs) {
            /* Up to the bound; beyond it only if coalescing could not make
             * room (runs separated by gaps it cannot cross). */
            size_t ncap = st->cap_runs ? 2 * st->cap_runs : 256;
            if (ncap > st->max_runs && st->cap_runs < st->max_runs)
                ncap = st->max_runs;
            order_run *nr = realloc(st->runs, ncap * sizeof *nr);
            if (nr == NULL) {
                st->oom = true;
                return ELOG_CB_ABORT;
            }
            st->runs = nr;
            st->cap_runs = ncap;
        }
        cur = &st->runs[st->n_runs++];
        st->cur = cur;
        memset(cur, 0, sizeof *cur);
        cur->kind = RUN_SORTED;
        cur->start = off;
        cur->key = ev->time;
        cur->bs = block_state_now(st);
        /* Check that pass 2 will attribute the run's first record as the
         * decoder did. */
        elog_block_state bs = cur->bs;
        elog_event tmp;
        tmp.id = ev->id;
        tmp.size = ev->size;
        tmp.layout = ev->layout;
        if (ev->id == ELOG_EV_BLOCK_MARKER)
            tmp.as.block_marker = ev->as.block_marker;
        elog_block_state_apply(&bs, &tmp, false);
        if (tmp.cap != ev->cap) {
            st->cap_mismatch = true;
            st->mismatch_offset = off;
            return ELOG_CB_ABORT;
        }
    }
    cur->end = off + ev->size;
    cur->last_time = ev->time;
    cur->count++;

    /* Pass 2 needs the block state at the start of each run: remember the
     * last block marker. */
    st->since_marker += ev->size;
    if (ev->id == ELOG_EV_BLOCK_MARKER && ev->layout != NULL) {
        st->marker.id = ev->id;
        st->marker.size = ev->size;
        st->marker.layout = ev->layout;
        st->marker.as.block_marker = ev->as.block_marker;
        st->have_marker = true;
        st->since_marker = 0;
    }
    return ELOG_CB_CONTINUE;
}

int elog_order_note(elog_order *o, const elog_event *ev)
{
    int rc = order_p1_record(&o->p1, ev);
    if (rc != ELOG_CB_CONTINUE) {
        if (o->p1.oom)
            order_set_error(o, "out of memory recording %zu sorted runs", o->p1.n_runs);
        else if (o->p1.cap_mismatch)
            order_set_error(o, "internal error: capability attribution of "
                               "elog_block_state_apply() differs from the decoder's (at "
                               "byte offset %llu)",
                            (unsigned long long)o->p1.mismatch_offset);
    }
    return rc;
}

uint64_t elog_order_events(const elog_order *o)
{
    uint64_t n = 0;
    for (size_t i = 0; i < o->p1.n_runs; i++)
        n += o->p1.runs[i].count;
    return n;
}

/*
 * The analysis layer's feeding side: one pass over decoded events updates
 * bounded state (see include/eventlog/analysis.h for what and how much).
 * Intervals are measured on each capability's own timeline, so file order
 * (capabilities interleaved by blocks) and time order give the same figures.
 */
#include "analysis_internal.h"
#include "allocator_internal.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ memory */

void *an_alloc(elog_analysis *a, size_t size)
{
    void *p = a->al->alloc(a->al->ctx, size ? size : 1);
    if (p == NULL) {
        a->oom = true;
        return NULL;
    }
    memset(p, 0, size);
    return p;
}

/* Not zeroed: for scratch arrays written before they are read (zeroing
 * compaction's was 1% of busy-small's instructions). */
static void *an_alloc_raw(elog_analysis *a, size_t size)
{
    void *p = a->al->alloc(a->al->ctx, size ? size : 1);
    if (p == NULL)
        a->oom = true;
    return p;
}

void an_free(elog_analysis *a, void *p, size_t size)
{
    if (p != NULL)
        a->al->free(a->al->ctx, p, size ? size : 1);
}

void elog_analysis_config_init(elog_analysis_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_threads = 256;
    c->max_labels = 64;
    c->max_open_spans = 4096;
    c->time_buckets = 128;
    c->bucket_ns = 8388608u; /* 2^23 ns, about 8.4 ms */
    c->max_censuses = 64;
}

/* Forgets every cached -hc label (the cache stays allocated). */
static void stack_cache_clear(elog_analysis *a)
{
    if (a->stack_cache != NULL)
        memset(a->stack_cache, 0, STACK_SETS * STACK_WAYS * sizeof *a->stack_cache);
    a->stack_cache_numbered = false;
}

static void free_state(elog_analysis *a)
{
    size_t L = a->cfg.max_labels;
    for (size_t i = 0; i < a->n_caps_alloc; i++) {
        if (a->caps[i] != NULL) {
            an_free(a, a->caps[i]->util, a->cfg.time_buckets * sizeof(elog_util_bucket));
            an_free(a, a->caps[i], sizeof(cap_state));
        }
    }
    an_free(a, a->caps, a->n_caps_alloc * sizeof *a->caps);
    a->caps = NULL;
    a->n_caps_alloc = 0;
    for (size_t i = 0; i < a->keys_cap; i++) {
        thread_rec *r = a->tkeys[i] != 0 ? &a->recs[TKEY_IDX(a->tkeys[i])] : NULL;
        if (r != NULL && r->label != NULL)
            an_free(a, r->label, r->label_size);
    }
    an_free(a, a->free_recs, a->cap_free * sizeof *a->free_recs);
    a->free_recs = NULL;
    a->n_free = a->cap_free = 0;
    an_free(a, a->recs, a->recs_cap * sizeof(thread_rec));
    an_free(a, a->tkeys, a->keys_cap * sizeof *a->tkeys);
    a->tkeys = NULL;
    a->recs = NULL;
    a->keys_cap = a->recs_cap = a->recs_n = 0;
    an_free(a, a->dropped, a->cap_dropped * sizeof *a->dropped);
    a->dropped = NULL;
    a->n_dropped = a->cap_dropped = 0;
    an_free(a, a->finished_ids, a->cap_finished_ids * sizeof *a->finished_ids);
    a->finished_ids = NULL;
    a->cap_finished_ids = 0;
    for (size_t i = 0; i < a->n_span_labels; i++)
        an_free(a, a->span_labels[i].text, a->span_labels[i].size);
    for (size_t i = 0; i < a->n_census_labels; i++)
        an_free(a, a->census_labels[i].text, a->census_labels[i].size);
    a->n_span_labels = a->n_census_labels = 0;
    for (size_t i = 0; i < a->n_censuses; i++)
        an_free(a, a->censuses[i].bytes, (L + 1) * sizeof(uint64_t));
    a->n_censuses = 0;
    for (size_t i = 0; i < a->cc_cap; i++)
        if (a->cc_ids[i] != 0)
            an_free(a, a->cc_names[i], strlen(a->cc_names[i]) + 1);
    an_free(a, a->cc_ids, a->cc_cap * sizeof *a->cc_ids);
    an_free(a, a->cc_names, a->cc_cap * sizeof *a->cc_names);
    a->cc_ids = NULL;
    a->cc_names = NULL;
    a->cc_cap = a->cc_used = 0;
    an_free(a, a->stack_cache, STACK_SETS * STACK_WAYS * sizeof *a->stack_cache);
    a->stack_cache = NULL;
}

/* Zeroes the figures; keeps the fixed-size arrays (allocated in new). */
static void clear_state(elog_analysis *a)
{
    size_t L = a->cfg.max_labels;
    a->oom = false;
    a->has_gc_stats_type = false;
    a->events = 0;
    a->start_ns = UINT64_MAX; /* no event yet (the snapshot says 0) */
    a->end_ns = 0;
    a->oom_reported = false;
    a->bucket_ns = a->cfg.bucket_ns;
    a->bucket_shift = (unsigned)__builtin_ctzll(a->cfg.bucket_ns);
    memset(a->heap, 0, a->cfg.time_buckets * sizeof *a->heap);
    memset(&a->pause_all, 0, sizeof a->pause_all);
    memset(a->pause_gen, 0, ELOG_ANALYSIS_MAX_GENS * sizeof(hist));
    memset(a->collections, 0, sizeof a->collections);
    memset(a->parallel, 0, sizeof a->parallel);
    memset(a->copied, 0, sizeof a->copied);
    a->n_gens = 0;
    a->copied_total = 0;
    a->n_longest = 0;
    a->max_live = a->max_size = 0;
    a->cur_live = a->cur_live_t = a->cur_size = a->cur_size_t = 0;
    a->threads_used = a->threads_finished_kept = 0;
    a->n_dropped = 0;
    a->dropped_hint = 0;
    a->threads_dropped = a->threads_created = a->threads_finished = 0;
    memset(a->spans, 0, (L + 1) * sizeof *a->spans);
    a->n_open = a->n_pending = 0;
    a->unmatched_starts = a->unmatched_stops = 0;
    memset(a->census_label_total, 0, (L + 1) * sizeof(uint64_t));
    memset(a->census_label_max, 0, (L + 1) * sizeof(uint64_t));
    a->census_stride = 1;
    stack_cache_clear(a);
    a->census_skip = 0;
    a->censuses_seen = 0;
    a->in_census = false;
    a->has_end = false;
    a->end_reason[0] = '\0';
}

elog_analysis *elog_analysis_new(const elog_analysis_config *cfg)
{
    elog_analysis_config c;
    if (cfg == NULL)
        elog_analysis_config_init(&c);
    else
        c = *cfg;
    if (c.time_buckets < 2)
        c.time_buckets = 2;
    /* A power of two, so bucket indices are shifts, not divisions (two per
     * thread run otherwise). */
    uint64_t pow2 = 1;
    while (pow2 < c.bucket_ns && pow2 < (1ull << 40))
        pow2 <<= 1;
    c.bucket_ns = pow2;
    if (c.max_censuses < 2)
        c.max_censuses = 2;
    const elog_allocator *al = elog__allocator_or_libc(c.allocator);
    elog_analysis *a = al->alloc(al->ctx, sizeof *a);
    if (a == NULL)
        return NULL;
    memset(a, 0, sizeof *a);
    a->cfg = c;
    a->al = al;
    size_t L = c.max_labels;
    a->heap = an_alloc(a, c.time_buckets * sizeof *a->heap);
    a->pause_gen = an_alloc(a, ELOG_ANALYSIS_MAX_GENS * sizeof(hist));
    a->span_labels = an_alloc(a, L * sizeof(label_rec));
    a->spans = an_alloc(a, (L + 1) * sizeof(span_acc));
    a->open = an_alloc(a, c.max_open_spans * sizeof(open_span));
    a->pending = an_alloc(a, c.max_open_spans * sizeof(open_span));
    a->census_labels = an_alloc(a, L * sizeof(label_rec));
    a->census_label_total = an_alloc(a, (L + 1) * sizeof(uint64_t));
    a->census_label_max = an_alloc(a, (L + 1) * sizeof(uint64_t));
    a->census_label_ver = an_alloc(a, (L + 1) * sizeof(uint32_t));
    a->censuses = an_alloc(a, c.max_censuses * sizeof(census_rec));
    a->cur_census = an_alloc(a, (L + 1) * sizeof(uint64_t));
    if (a->oom) {
        elog_analysis_free(a);
        return NULL;
    }
    clear_state(a);
    return a;
}

void elog_analysis_free(elog_analysis *a)
{
    if (a == NULL)
        return;
    size_t L = a->cfg.max_labels;
    free_state(a);
    an_free(a, a->heap, a->cfg.time_buckets * sizeof *a->heap);
    an_free(a, a->pause_gen, ELOG_ANALYSIS_MAX_GENS * sizeof(hist));
    an_free(a, a->span_labels, L * sizeof(label_rec));
    an_free(a, a->spans, (L + 1) * sizeof(span_acc));
    an_free(a, a->open, a->cfg.max_open_spans * sizeof(open_span));
    an_free(a, a->pending, a->cfg.max_open_spans * sizeof(open_span));
    an_free(a, a->census_labels, L * sizeof(label_rec));
    an_free(a, a->census_label_total, (L + 1) * sizeof(uint64_t));
    an_free(a, a->census_label_max, (L + 1) * sizeof(uint64_t));
    an_free(a, a->census_label_ver, (L + 1) * sizeof(uint32_t));
    an_free(a, a->censuses, a->cfg.max_censuses * sizeof(census_rec));
    an_free(a, a->cur_census, (L + 1) * sizeof(uint64_t));
    const elog_allocator *al = a->al;
    al->free(al->ctx, a, sizeof *a);
}

void elog_analysis_reset(elog_analysis *a)
{
    free_state(a);
    clear_state(a);
}

void elog_analysis_set_hooks(elog_analysis *a, elog_pause_hook on_pause,
                             elog_span_hook on_span, void *ctx)
{
    a->on_pause = on_pause;
    a->on_span = on_span;
    a->hook_ctx = ctx;
}

/* ------------------------------------------------------------ time buckets */

/* Doubles the bucket width until time t falls inside the series. */
static __attribute__((noinline, cold)) void fit_time(elog_analysis *a, uint64_t t)
{
    size_t n = a->cfg.time_buckets;
    while ((t >> a->bucket_shift) >= n) {
        size_t half = (n + 1) / 2;
        for (size_t i = 0; i < half; i++) {
            size_t j = 2 * i, k = 2 * i + 1;
            elog_heap_bucket h = a->heap[j];
            if (k < n) {
                if (a->heap[k].size_bytes > h.size_bytes)
                    h.size_bytes = a->heap[k].size_bytes;
                if (a->heap[k].live_bytes > h.live_bytes)
                    h.live_bytes = a->heap[k].live_bytes;
                h.allocated_bytes += a->heap[k].allocated_bytes;
            }
            a->heap[i] = h;
        }
        memset(a->heap + half, 0, (n - half) * sizeof *a->heap);
        for (size_t c = 0; c < a->n_caps_alloc; c++) {
            cap_state *cs = a->caps[c];
            if (cs == NULL)
                continue;
            for (size_t i = 0; i < half; i++) {
                elog_util_bucket u = cs->util[2 * i];
                if (2 * i + 1 < n) {
                    u.mutator_ns += cs->util[2 * i + 1].mutator_ns;
                    u.gc_ns += cs->util[2 * i + 1].gc_ns;
                }
                cs->util[i] = u;
            }
            memset(cs->util + half, 0, (n - half) * sizeof *cs->util);
        }
        a->bucket_shift++;
        a->bucket_ns = 1ull << a->bucket_shift;
    }
}

static void util_add_slow(elog_analysis *a, cap_state *cs, uint64_t s, uint64_t e, bool gc);

/* Adds [s, e) to the utilisation of `cs` (gc or mutator). Nearly every run
 * lies inside one bucket: that case inline. */
static inline void util_add(elog_analysis *a, cap_state *cs, uint64_t s, uint64_t e, bool gc)
{
    if (e <= s)
        return;
    size_t i = (size_t)(s >> a->bucket_shift);
    if (((e - 1) >> a->bucket_shift) == i && i < a->cfg.time_buckets) {
        if (gc)
            cs->util[i].gc_ns += e - s;
        else
            cs->util[i].mutator_ns += e - s;
        return;
    }
    util_add_slow(a, cs, s, e, gc);
}

static __attribute__((noinline)) void util_add_slow(elog_analysis *a, cap_state *cs, uint64_t s,
                                                    uint64_t e, bool gc)
{
    if (((e - 1) >> a->bucket_shift) >= a->cfg.time_buckets)
        fit_time(a, e - 1);
    unsigned sh = a->bucket_shift;
    while (s < e) {
        size_t i = (size_t)(s >> sh);
        uint64_t bend = an_bucket_end(i, sh);
        uint64_t piece = (e < bend ? e : bend) - s;
        if (gc)
            cs->util[i].gc_ns += piece;
        else
            cs->util[i].mutator_ns += piece;
        s += piece;
    }
}

static elog_heap_bucket *heap_bucket(elog_analysis *a, uint64_t t)
{
    fit_time(a, t);
    return &a->heap[t >> a->bucket_shift];
}

/* ------------------------------------------------------------ capabilities */

static cap_state *cap_get_slow(elog_analysis *a, uint16_t cap);

/* Per RUN/STOP/GC event: the common case inline (a capability is `seen`
 * from its creation in cap_get_slow until a reset frees it). */
static inline cap_state *cap_get(elog_analysis *a, uint16_t cap)
{
    if (cap < a->n_caps_alloc && a->caps[cap] != NULL)
        return a->caps[cap];
    return cap_get_slow(a, cap);
}

static __attribute__((noinline, cold)) cap_state *cap_get_slow(elog_analysis *a, uint16_t cap)
{
    size_t i = cap < ELOG_ANALYSIS_MAX_CAPS ? cap : ELOG_ANALYSIS_MAX_CAPS - 1;
    if (i >= a->n_caps_alloc) {
        size_t n = a->n_caps_alloc ? a->n_caps_alloc : 8;
        while (n <= i)
            n *= 2;
        if (n > ELOG_ANALYSIS_MAX_CAPS)
            n = ELOG_ANALYSIS_MAX_CAPS;
        cap_state **p = an_alloc(a, n * sizeof *p);
        if (p == NULL)
            return NULL;
        if (a->caps != NULL)
            memcpy(p, a->caps, a->n_caps_alloc * sizeof *p);
        an_free(a, a->caps, a->n_caps_alloc * sizeof *a->caps);
        a->caps = p;
        a->n_caps_alloc = n;
    }
    cap_state *cs = a->caps[i];
    if (cs == NULL) {
        cs = an_alloc(a, sizeof *cs);
        if (cs == NULL)
            return NULL;
        cs->util = an_alloc(a, a->cfg.time_buckets * sizeof *cs->util);
        if (cs->util == NULL) {
            an_free(a, cs, sizeof *cs);
            return NULL;
        }
        cs->pending_gen = UINT32_MAX;
        a->caps[i] = cs;
    }
    cs->seen = true;
    return cs;
}

/* ------------------------------------------------------------ threads */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* The home slot of a thread id in a table of `cap` (a power of two, >= 64)
 * keys: Fibonacci hashing (the top bits of id * 2^64/phi). GHC numbers
 * threads consecutively, and consecutive ids land evenly spread, so probes
 * stay shorter than with a mixing hash, for one multiply. */
static inline size_t thread_home(uint32_t id, size_t cap)
{
    return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> (64 - __builtin_ctzll(cap)));
}

/* The same with the shift kept beside the table (a->keys_shift). */
static inline size_t thread_home_sh(uint32_t id, unsigned shift)
{
    return (size_t)(((uint64_t)id * 0x9e3779b97f4a7c15ull) >> shift);
}

/* The slot of `id` in a table of `cap` keys (id + 1, 0 = empty), or the
 * empty slot where it would go. Probing reads only the dense keys, so a
 * lookup costs about one cache miss for the keys and one for the record. */
static size_t key_slot(const uint64_t *keys, size_t cap, uint32_t id)
{
    size_t mask = cap - 1, i = thread_home(id, cap);
    uint64_t k;
    while ((k = keys[i]) != 0 && TKEY_ID_OF(k) != id)
        i = (i + 1) & mask;
    return i;
}

/* key_slot() in the analysis' own table, for the per-event lookups. */
static inline size_t tkey_slot(const elog_analysis *a, uint32_t id)
{
    const uint64_t *keys = a->tkeys;
    size_t mask = a->keys_cap - 1, i = thread_home_sh(id, a->keys_shift);
    uint64_t k;
    while ((k = keys[i]) != 0 && TKEY_ID_OF(k) != id)
        i = (i + 1) & mask;
    return i;
}

/* The record of `id`, or NULL if not in the index. */
static thread_rec *thread_find(elog_analysis *a, uint32_t id)
{
    if (a->keys_cap == 0)
        return NULL;
    uint64_t k = a->tkeys[key_slot(a->tkeys, a->keys_cap, id)];
    return k != 0 ? &a->recs[TKEY_IDX(k)] : NULL;
}

/* Room for `cap` free record numbers (the slab's size). False: out of
 * memory (the stack is unchanged; freed records beyond it are then lost
 * until slab_pack, which needs none). */
static bool free_recs_resize(elog_analysis *a, size_t cap)
{
    uint32_t *p = an_alloc(a, (cap ? cap : 1) * sizeof *p);
    if (p == NULL)
        return false;
    size_t n = a->n_free < cap ? a->n_free : cap;
    if (n)
        memcpy(p, a->free_recs, n * sizeof *p);
    an_free(a, a->free_recs, a->cap_free * sizeof *a->free_recs);
    a->free_recs = p;
    a->cap_free = cap ? cap : 1;
    a->n_free = n;
    return true;
}

/* A new index of `newcap` keys over the same records (which do not move). */
static __attribute__((noinline, cold)) bool thread_rehash(elog_analysis *a, size_t newcap)
{
    uint64_t *keys = an_alloc(a, newcap * sizeof *keys);
    if (keys == NULL)
        return false;
    for (size_t i = 0; i < a->keys_cap; i++) {
        uint64_t k = a->tkeys[i];
        if (k != 0) {
            size_t j = key_slot(keys, newcap, TKEY_ID_OF(k));
            keys[j] = k;
            a->recs[TKEY_IDX(k)].kslot = (uint32_t)j;
        }
    }
    an_free(a, a->tkeys, a->keys_cap * sizeof *a->tkeys);
    a->tkeys = keys;
    a->keys_cap = newcap;
    a->keys_shift = 64u - (unsigned)__builtin_ctzll(newcap);
    return true;
}

/* A slab of `newcap` (>= threads_used) records holding the live ones packed
 * at the front (after compaction dropped many: gives the memory back). */
static bool slab_pack(elog_analysis *a, size_t newcap)
{
    thread_rec *r = a->al->alloc(a->al->ctx, newcap * sizeof *r); /* filled below */
    if (r == NULL)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < a->keys_cap; i++) {
        uint64_t k = a->tkeys[i];
        if (k != 0) {
            r[n] = a->recs[TKEY_IDX(k)];
            a->tkeys[i] = (k & ((1ull << TKEY_IDX_SHIFT) - 1)) | ((uint64_t)n << TKEY_IDX_SHIFT);
            n++;
        }
    }
    an_free(a, a->recs, a->recs_cap * sizeof *a->recs);
    a->recs = r;
    a->recs_cap = newcap;
    a->recs_n = n;
    a->n_free = 0;
    free_recs_resize(a, newcap);
    return true;
}

/* The freed record on top of the stack (n_free > 0). */
static inline size_t free_rec_pop(elog_analysis *a)
{
    size_t i = a->free_recs[--a->n_free];
    /* The next free record was freed long ago (cold): fetch it now, for
     * the next new thread. */
    if (a->n_free > 0)
        __builtin_prefetch(&a->recs[a->free_recs[a->n_free - 1]], 1);
    return i;
}

/* A free record's index (rec_init() sets it), or SIZE_MAX when out of
 * memory. May move the slab (pointers to records are not kept across it). */
static size_t rec_alloc(elog_analysis *a)
{
    size_t i;
    if (a->n_free > 0) {
        i = free_rec_pop(a);
    } else {
        if (a->recs_n == a->recs_cap) {
            size_t nc = a->recs_cap ? a->recs_cap * 2 : 64;
            if (nc > ((size_t)1 << (64 - TKEY_IDX_SHIFT)))
                return SIZE_MAX;
            /* not zeroed: each record is when handed out */
            thread_rec *r = a->al->alloc(a->al->ctx, nc * sizeof *r);
            if (r == NULL) {
                a->oom = true;
                return SIZE_MAX;
            }
            if (a->recs_n)
                memcpy(r, a->recs, a->recs_n * sizeof *r);
            an_free(a, a->recs, a->recs_cap * sizeof *a->recs);
            a->recs = r;
            a->recs_cap = nc;
            free_recs_resize(a, nc);
        }
        i = a->recs_n++;
    }
    return i;
}

/* Index of the first range whose end is >= id. */
static size_t dropped_pos(const elog_analysis *a, uint32_t id)
{
    size_t lo = 0, hi = a->n_dropped;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->dropped[mid][1] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The threads of a capability's late block (file order) come in id order:
 * each one's place among the ranges is where the previous one's was, or
 * the next: checked before a binary search (which cost 110 instructions a
 * new thread on busy-small). */
static __attribute__((noinline, cold)) bool dropped_has(elog_analysis *a, uint32_t id)
{
    size_t n = a->n_dropped, h = a->dropped_hint, i;
    if (h < n && a->dropped[h][1] >= id && (h == 0 || a->dropped[h - 1][1] < id))
        i = h;
    else if (h + 1 < n && a->dropped[h + 1][1] >= id && a->dropped[h][1] < id)
        i = h + 1;
    else
        i = dropped_pos(a, id);
    a->dropped_hint = i;
    return i < n && a->dropped[i][0] <= id;
}

bool an_dropped_contains(const elog_analysis *a, uint32_t id)
{
    size_t i = dropped_pos(a, id);
    return i < a->n_dropped && a->dropped[i][0] <= id;
}

/* Whether `id` may be among the dropped ids: not above the last range (GHC
 * numbers threads in creation order, so a new thread's id lies above them:
 * one comparison instead of a search). */
static inline bool dropped_may_have(const elog_analysis *a, uint32_t id)
{
    return a->n_dropped > 0 && id <= a->dropped[a->n_dropped - 1][1];
}

static void dropped_add(elog_analysis *a, uint32_t id)
{
    size_t i = dropped_pos(a, id);
    if (i < a->n_dropped && a->dropped[i][0] <= id)
        return;
    bool join_prev = i > 0 && a->dropped[i - 1][1] == id - 1 && id > 0;
    bool join_next = i < a->n_dropped && a->dropped[i][0] == id + 1 && id < UINT32_MAX;
    if (join_prev && join_next) {
        a->dropped[i - 1][1] = a->dropped[i][1];
        memmove(a->dropped + i, a->dropped + i + 1, (a->n_dropped - i - 1) * sizeof *a->dropped);
        a->n_dropped--;
    } else if (join_prev) {
        a->dropped[i - 1][1] = id;
    } else if (join_next) {
        a->dropped[i][0] = id;
    } else {
        if (a->n_dropped == a->cap_dropped) {
            size_t nc = a->cap_dropped ? a->cap_dropped * 2 : 64;
            uint32_t (*p)[2] = an_alloc(a, nc * sizeof *p);
            if (p == NULL)
                return;
            if (a->n_dropped)
                memcpy(p, a->dropped, a->n_dropped * sizeof *p);
            an_free(a, a->dropped, a->cap_dropped * sizeof *a->dropped);
            a->dropped = p;
            a->cap_dropped = nc;
        }
        memmove(a->dropped + i + 1, a->dropped + i, (a->n_dropped - i) * sizeof *a->dropped);
        a->dropped[i][0] = a->dropped[i][1] = id;
        a->n_dropped++;
    }
}

/* Sorts v[0..m) ascending (LSD radix, a byte per pass, through tmp[m]):
 * qsort's comparisons cost more than the merge they feed. */
static void sort_u32(uint32_t *v, uint32_t *tmp, size_t m)
{
    /* A compaction's ids lie close together: only the bytes in which
     * they differ need a pass (two of four on busy-small). */
    uint32_t differ = 0;
    for (size_t i = 1; i < m; i++)
        differ |= v[i] ^ v[0];
    for (unsigned sh = 0; sh < 32; sh += 8) {
        if (((differ >> sh) & 0xff) == 0)
            continue;
        size_t count[257] = { 0 };
        for (size_t i = 0; i < m; i++)
            count[((v[i] >> sh) & 0xff) + 1]++;
        for (size_t b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < m; i++)
            tmp[count[(v[i] >> sh) & 0xff]++] = v[i];
        memcpy(v, tmp, m * sizeof *v);
    }
}

/* Sorts a compaction's dropped ids v[0..m) (distinct) ascending. They lie
 * close together (threads created about the same time), so when their span
 * is small (at most 128 bits of it per id) a bitmap of it sorts them in a
 * pass to set and one to read (radix sorting cost 70 instructions an id);
 * else sort_u32. */
static void sort_ids(elog_analysis *a, uint32_t *v, uint32_t *tmp, size_t m)
{
    if (m < 2)
        return;
    uint32_t lo = v[0], hi = v[0];
    for (size_t i = 1; i < m; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    size_t words = (size_t)((((uint64_t)hi - lo) >> 6) + 1);
    /* scratch: failing to get it only changes the way (oom not set) */
    uint64_t *bits = words <= 2 * m ? a->al->alloc(a->al->ctx, words * sizeof *bits) : NULL;
    if (bits == NULL) {
        sort_u32(v, tmp, m);
        return;
    }
    memset(bits, 0, words * sizeof *bits);
    for (size_t i = 0; i < m; i++)
        bits[(v[i] - lo) >> 6] |= 1ull << ((v[i] - lo) & 63u);
    size_t n = 0;
    for (size_t w = 0; w < words; w++)
        for (uint64_t b = bits[w]; b != 0; b &= b - 1)
            v[n++] = lo + (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
    an_free(a, bits, words * sizeof *bits);
}

/* Adds `m` ids (sorted ascending) to the dropped ranges in one merge: a
 * compaction's few hundred ids cost one pass over the ranges instead of a
 * search and a shift each. */
static void dropped_add_sorted(elog_analysis *a, const uint32_t *ids, size_t m)
{
    if (m == 0)
        return;
    /* The ranges that end before ids[0] - 1 cannot join any of the ids and
     * stay where they are: GHC numbers threads in creation order, so a
     * batch lands near the end, and only the tail is merged (a merge of
     * every range cost more than the rest of compaction on busy-large). */
    size_t p = dropped_pos(a, ids[0] > 0 ? ids[0] - 1 : 0);
    size_t tail = a->n_dropped - p;
    uint32_t (*out)[2] = an_alloc_raw(a, (tail + m) * sizeof *out);
    if (out == NULL) {
        for (size_t j = 0; j < m; j++)
            dropped_add(a, ids[j]);
        return;
    }
    size_t i = p, j = 0, n = 0;
    while (i < a->n_dropped || j < m) {
        uint32_t lo, hi;
        if (j >= m || (i < a->n_dropped && a->dropped[i][0] < ids[j])) {
            lo = a->dropped[i][0];
            hi = a->dropped[i][1];
            i++;
        } else {
            lo = hi = ids[j++];
        }
        if (n > 0 && (uint64_t)out[n - 1][1] + 1 >= lo) {
            if (hi > out[n - 1][1])
                out[n - 1][1] = hi;
        } else {
            out[n][0] = lo;
            out[n][1] = hi;
            n++;
        }
    }
    size_t need = p + n, cap = a->cap_dropped;
    if (need > cap || (cap > 256 && need * 4 < cap)) {
        size_t nc = need > cap ? (need > 2 * cap ? need : 2 * cap) : 2 * need;
        uint32_t (*r)[2] = an_alloc_raw(a, nc * sizeof *r);
        if (r == NULL) {
            if (need > cap) { /* keep what fits: the others are remembered no more */
                n = cap - p;
                need = cap;
            }
        } else {
            if (p)
                memcpy(r, a->dropped, p * sizeof *r);
            an_free(a, a->dropped, a->cap_dropped * sizeof *a->dropped);
            a->dropped = r;
            a->cap_dropped = nc;
        }
    }
    memcpy(a->dropped + p, out, n * sizeof *out);
    a->n_dropped = need;
    an_free(a, out, (tail + m) * sizeof *out);
}

/* Removes the thread whose key is at slot i and frees its record
 * (backward-shift deletion: linear probing without tombstones, so lookups
 * stay short). */
static void thread_delete(elog_analysis *a, size_t i)
{
    uint64_t *keys = a->tkeys;
    size_t ri = TKEY_IDX(keys[i]);
    /* The record is not read (a finished thread's is cold) unless it has a
     * label (its key says); the free list is an array of its own. */
    if (keys[i] & TKEY_LABELLED) {
        an_free(a, a->recs[ri].label, a->recs[ri].label_size);
        a->recs[ri].label = NULL;
    }
    if (a->n_free < a->cap_free)
        a->free_recs[a->n_free++] = (uint32_t)ri; /* else lost until slab_pack */
    size_t mask = a->keys_cap - 1, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (keys[j] == 0)
            break;
        size_t home = thread_home(TKEY_ID_OF(keys[j]), a->keys_cap);
        /* keys[j] may move to i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            keys[i] = keys[j];
            a->recs[TKEY_IDX(keys[i])].kslot = (uint32_t)i;
            i = j;
        }
    }
    keys[i] = 0;
}

/* Moves the `keep` longest-running to the front (in any order): Hoare's
 * selection, linear on average, where a sort cost n log n per compaction. */
static void select_longest(fin_ref *f, size_t n, size_t keep)
{
    size_t lo = 0, hi = n; /* the boundary `keep` lies in [lo, hi] */
    while (hi - lo > 1 && keep > lo && keep < hi) {
        uint64_t pivot = f[lo + (hi - lo - 1) / 2].running_ns; /* lower middle: j < hi - 1 */
        size_t i = lo - 1, j = hi; /* Hoare's partition, descending */
        for (;;) {
            do
                i++;
            while (f[i].running_ns > pivot);
            do
                j--;
            while (f[j].running_ns < pivot);
            if (i >= j)
                break;
            fin_ref tmp = f[i];
            f[i] = f[j];
            f[j] = tmp;
        }
        /* [lo, j] >= pivot >= [j + 1, hi), lo <= j < hi - 1 */
        if (keep == j + 1)
            return;
        if (keep < j + 1)
            hi = j + 1;
        else
            lo = j + 1;
    }
}

/* Keeps the max_threads longest-running finished threads, drops the rest
 * (their ids go to the dropped ranges). Amortised: runs when the finished
 * threads kept reach 5 * max_threads + 64 (see thread_finish). */
static __attribute__((noinline, cold)) void thread_compact(elog_analysis *a)
{
    size_t n = a->threads_finished_kept, keep = a->cfg.max_threads;
    /* Chosen by the running time each had when it finished (listed with
     * it): the cold records of threads that finished a while ago are not
     * read (that was most of compaction's time on busy-large); only the
     * kept ones' times are brought up to date below, in case events about
     * them came later in the file. */
    fin_ref *f = a->finished_ids;
    select_longest(f, n, keep);
    size_t m = 0;
    uint32_t *gone = n > keep ? an_alloc_raw(a, 2 * (n - keep) * sizeof *gone) : NULL;
    for (size_t i = keep; i < n; i++) {
        size_t slot = key_slot(a->tkeys, a->keys_cap, f[i].id);
        if (a->tkeys[slot] == 0)
            continue;
        if (gone != NULL)
            gone[m++] = f[i].id;
        else
            dropped_add(a, f[i].id);
        thread_delete(a, slot);
        a->threads_used--;
        a->threads_dropped++;
    }
    if (gone != NULL) {
        sort_ids(a, gone, gone + (n - keep), m);
        dropped_add_sorted(a, gone, m);
        an_free(a, gone, 2 * (n - keep) * sizeof *gone);
    }
    size_t kept = n < keep ? n : keep;
    for (size_t i = 0; i < kept; i++) {
        uint64_t key = a->tkeys[key_slot(a->tkeys, a->keys_cap, f[i].id)];
        if (key != 0)
            f[i].running_ns = a->recs[TKEY_IDX(key)].running_ns;
    }
    a->threads_finished_kept = kept;
    /* After a large burst of threads (the table under 1/64 full), give
     * the table back, down to a load of 1/16 to 1/8 (shrinking at 1/8
     * rehashed back and forth: 72 rehashes on busy-small, 4% of the
     * instructions; at 1/16 still 34, 3%: the keys are 8 bytes each). */
    size_t want = a->keys_cap;
    if (a->threads_used * 64 < want)
        while (want > 64 && a->threads_used * 16 < want)
            want /= 2;
    if (want < a->keys_cap)
        thread_rehash(a, want);
    /* The slab only after a large drop (under 1/64 full, to a quarter
     * full): packing it back and forth after each burst cost more than it
     * gave back (at 1/16, regrowing it was 2% of busy-small's instructions). */
    if (a->recs_cap > 256 && a->threads_used * 64 < a->recs_cap) {
        size_t slab = a->recs_cap;
        while (slab > 64 && a->threads_used * 4 < slab)
            slab /= 2;
        slab_pack(a, slab);
    }
}

/* Appends a finished thread to the list compaction looks at. */
static void finished_list_add(elog_analysis *a, uint32_t id, uint64_t running_ns)
{
    if (a->threads_finished_kept == a->cap_finished_ids) {
        size_t nc = a->cap_finished_ids ? a->cap_finished_ids * 2 : 256;
        fin_ref *p = an_alloc(a, nc * sizeof *p);
        if (p == NULL)
            return; /* not listed: kept for good (oom is flagged) */
        if (a->threads_finished_kept)
            memcpy(p, a->finished_ids, a->threads_finished_kept * sizeof *p);
        an_free(a, a->finished_ids, a->cap_finished_ids * sizeof *p);
        a->finished_ids = p;
        a->cap_finished_ids = nc;
    }
    a->finished_ids[a->threads_finished_kept++] = (fin_ref){ running_ns, id };
}

static thread_rec *thread_add(elog_analysis *a, uint32_t id);

/* The record of `id`, added if new (NULL: out of memory, or finished and
 * dropped). Finding one inline, adding out of line: the two together
 * saved and restored nine registers a call. */
static inline __attribute__((always_inline)) thread_rec *thread_get(elog_analysis *a, uint32_t id)
{
    if (a->keys_cap > 0) {
        uint64_t k = a->tkeys[tkey_slot(a, id)];
        if (k != 0)
            return &a->recs[TKEY_IDX(k)];
    }
    return thread_add(a, id);
}

/* A record's initial values, stored 16 bytes at a time: a memset of it
 * became `rep stos`, slow to start for 144 bytes (a fifth of the samples
 * in thread_add). */
static inline void rec_init(thread_rec *r, uint32_t id, size_t slot)
{
    typedef uint8_t v16 __attribute__((vector_size(16)));
    const v16 zero = { 0 };
    uint8_t *p = (uint8_t *)r;
    for (size_t o = 0; o + 16 <= sizeof *r; o += 16) {
        memcpy(p + o, &zero, 16);
        __asm__("" ::: "memory"); /* keeps GCC from merging them back */
    }
    if (sizeof *r % 16)
        memcpy(p + sizeof *r - 16, &zero, 16);
    r->id = id;
    r->kslot = (uint32_t)slot;
    r->created_ns = UINT64_MAX;
    r->finished_ns = UINT64_MAX;
}

/* Thread `id` in the empty key `slot`, with record `ri` (set up here). */
static inline thread_rec *thread_place(elog_analysis *a, uint32_t id, size_t slot, size_t ri)
{
    a->tkeys[slot] = TKEY_MAKE(id, ELOG_THREAD_RUNNABLE, ri);
    thread_rec *r = &a->recs[ri];
    rec_init(r, id, slot);
    a->threads_used++;
    return r;
}

/* A new record for `id`, whose key goes in the empty `slot` (NULL: out of
 * memory, or finished and dropped): thread_add() when no freed record is at
 * hand (the slab grows) or the id may have been dropped; out of line, so
 * that thread_add's common case calls nothing. */
static __attribute__((noinline)) thread_rec *thread_insert(elog_analysis *a, uint32_t id,
                                                           size_t slot)
{
    if (dropped_may_have(a, id) && dropped_has(a, id))
        return NULL; /* finished and dropped: a late event about it */
    size_t ri = rec_alloc(a);
    if (ri == SIZE_MAX)
        return NULL;
    return thread_place(a, id, slot, ri);
}

/* thread_add() when the index must grow first. */
static __attribute__((noinline, cold)) thread_rec *thread_add_grow(elog_analysis *a, uint32_t id)
{
    if (!thread_rehash(a, a->keys_cap ? a->keys_cap * 2 : 128))
        return NULL;
    size_t slot = key_slot(a->tkeys, a->keys_cap, id);
    if (a->tkeys[slot] != 0)
        return &a->recs[TKEY_IDX(a->tkeys[slot])];
    return thread_insert(a, id, slot);
}

static __attribute__((noinline)) thread_rec *thread_add(elog_analysis *a, uint32_t id)
{
    /* At most half full: short probes (the keys are 8 bytes each; a
     * quarter full rehashed more often than it saved in probes). */
    if (__builtin_expect(a->keys_cap == 0 || (a->threads_used + 1) * 2 > a->keys_cap, 0))
        return thread_add_grow(a, id);
    size_t slot = tkey_slot(a, id);
    uint64_t k = a->tkeys[slot];
    if (k != 0)
        return &a->recs[TKEY_IDX(k)];
    /* The common case, a new thread with a freed record to reuse, calls
     * nothing (saving registers for the rest cost a third of it). */
    if (a->n_free == 0 || dropped_may_have(a, id))
        return thread_insert(a, id, slot);
    return thread_place(a, id, slot, free_rec_pop(a));
}

/* The thread's record, or NULL if unknown (never adds one): for events
 * that may arrive, in file order, after the thread finished and was
 * dropped, so that they do not bring it back as a live thread. */
static thread_rec *thread_lookup(elog_analysis *a, uint32_t id)
{
    return thread_find(a, id);
}

/* Closed idle time (monotone between live snapshots): when the capability
 * goes from nothing open to a run or GC at t, the time since idle_mark is
 * idle; never counting back from a timestamp already passed keeps it from
 * decreasing when a capability's events are slightly out of order. */
static void idle_open(cap_state *cs, uint64_t t)
{
    if (cs->running || cs->in_gc)
        return;
    uint64_t eff = t;
    if (!cs->idle_started) {
        cs->idle_started = true;
        cs->idle_mark = eff;
        return;
    }
    if (cs->last_time > eff)
        eff = cs->last_time;
    if (eff > cs->idle_mark) {
        cs->idle_acc += eff - cs->idle_mark;
        cs->idle_mark = eff;
    }
}

static void idle_close(cap_state *cs, uint64_t t)
{
    if (!cs->running && !cs->in_gc && t > cs->idle_mark)
        cs->idle_mark = t;
}

/* Ends the run on `cs` at t, the capability's side: its mutator time and
 * utilisation; returns the run's length. */
static inline __attribute__((always_inline)) uint64_t end_run_cap(elog_analysis *a, cap_state *cs,
                                                                 uint64_t t)
{
    cs->running = false;
    uint64_t d = t > cs->run_start ? t - cs->run_start : 0;
    cs->mutator_ns += d;
    util_add(a, cs, cs->run_start, t, false);
    return d;
}

/* Ends the run on `cs` at t, a STOP of the thread running there or a RUN
 * without one: the capability's side, and the thread's run (a RUN only
 * notes the thread and time: its record is found once, here). Returns the
 * thread's record (NULL: unknown and not added, or out of memory). */
static inline __attribute__((always_inline)) thread_rec *end_run(elog_analysis *a, cap_state *cs,
                                                                uint64_t t)
{
    uint64_t d = end_run_cap(a, cs, t);
    thread_rec *r = thread_get(a, cs->thread);
    if (r != NULL) {
        r->runs++;
        r->running_ns += d;
    }
    return r;
}

/* A RUN on a capability still running a thread (its STOP is missing). */
static __attribute__((noinline, cold)) void end_run_unpaired(elog_analysis *a, cap_state *cs,
                                                            uint64_t t)
{
    end_run(a, cs, t);
}

/* The state a thread is in after a STOP_THREAD with this status (GHC's
 * codes: see elog_stop_reason_name). */
static const uint8_t state_after[ELOG_STOP_REASONS] = {
    [0] = ELOG_THREAD_RUNNABLE, [1] = ELOG_THREAD_RUNNABLE, [2] = ELOG_THREAD_RUNNABLE,
    [3] = ELOG_THREAD_RUNNABLE, [4] = ELOG_THREAD_BLOCKED,  [5] = ELOG_THREAD_FINISHED,
    [6] = ELOG_THREAD_BLOCKED,  [7] = ELOG_THREAD_BLOCKED,  [8] = ELOG_THREAD_BLOCKED,
    [9] = ELOG_THREAD_BLOCKED,  [10] = ELOG_THREAD_BLOCKED, [11] = ELOG_THREAD_BLOCKED,
    [12] = ELOG_THREAD_BLOCKED, [13] = ELOG_THREAD_BLOCKED, [14] = ELOG_THREAD_BLOCKED,
    [15] = ELOG_THREAD_BLOCKED, [16] = ELOG_THREAD_BLOCKED, [17] = ELOG_THREAD_RUNNABLE,
    [18] = ELOG_THREAD_BLOCKED, [19] = ELOG_THREAD_RUNNABLE, [20] = ELOG_THREAD_BLOCKED,
};

/* Makes a stored label safe to print anywhere (JSON, a terminal, a page):
 * control characters become '?', and so does every non-ASCII byte of a
 * label that is not well-formed UTF-8. */
static void sanitize(char *p, size_t n)
{
    elog_slice sl = { (const uint8_t *)p, n };
    bool utf8 = elog_utf8_valid(sl);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
            p[i] = '?';
    }
}

/* At most 255 bytes of `s`, cut at a UTF-8 character boundary. */
static size_t label_cut(elog_slice s)
{
    if (s.len <= 255)
        return s.len;
    size_t n = 255;
    while (n > 0 && (s.ptr[n] & 0xc0) == 0x80)
        n--;
    return n;
}

static void set_label(elog_analysis *a, thread_rec *r, elog_slice s)
{
    size_t n = label_cut(s);
    char *p = an_alloc(a, n + 1);
    if (p == NULL)
        return;
    memcpy(p, s.ptr, n);
    sanitize(p, n);
    if (r->label != NULL)
        an_free(a, r->label, r->label_size);
    a->tkeys[r->kslot] |= TKEY_LABELLED;
    r->label = p;
    r->label_size = (uint16_t)(n + 1);
}

/* ------------------------------------------------------------ GC */

static void longest_add(elog_analysis *a, const elog_pause *p)
{
    uint64_t d = p->end_ns - p->start_ns;
    size_t n = a->n_longest;
    if (n == ELOG_ANALYSIS_LONGEST) {
        const elog_pause *last = &a->longest[n - 1];
        if (d <= last->end_ns - last->start_ns)
            return;
        n--;
    }
    size_t i = n;
    while (i > 0 && a->longest[i - 1].end_ns - a->longest[i - 1].start_ns < d) {
        a->longest[i] = a->longest[i - 1];
        i--;
    }
    a->longest[i] = *p;
    a->n_longest = n + 1;
}

static void record_pause(elog_analysis *a, uint16_t cap, uint64_t s, uint64_t e, uint32_t gen)
{
    elog_pause p = { s, e > s ? e : s, gen, cap, false };
    uint64_t d = p.end_ns - p.start_ns;
    an_hist_add(&a->pause_all, d);
    if (gen != UINT32_MAX)
        an_hist_add(&a->pause_gen[gen < ELOG_ANALYSIS_MAX_GENS ? gen : ELOG_ANALYSIS_MAX_GENS - 1], d);
    longest_add(a, &p);
    if (a->on_pause != NULL)
        a->on_pause(a->hook_ctx, &p);
}

static void gc_stats(elog_analysis *a, cap_state *cs, uint16_t cap, const elog_ev_gc_stats_ghc *g)
{
    uint32_t gen = g->gen;
    size_t gi = gen < ELOG_ANALYSIS_MAX_GENS ? gen : ELOG_ANALYSIS_MAX_GENS - 1;
    a->collections[gi]++;
    if (g->par_n_threads > 1)
        a->parallel[gi]++;
    a->copied[gi] += g->copied;
    a->copied_total += g->copied;
    if (gi + 1 > a->n_gens)
        a->n_gens = (uint32_t)gi + 1;
    if (cs == NULL)
        return;
    /* The RTS writes the leader's GC_STATS_GHC into its buffer before its
     * GC_END, whose timestamp is the earlier one: in file order the stats
     * come inside the GC, in time order after its end. Both mean this GC;
     * an unclaimed earlier GC (one this capability did not lead) is not it. */
    if (cs->in_gc) {
        cs->pending_gen = gen; /* the pause completes at GC_END */
    } else if (cs->gc_unclaimed) {
        cs->gc_unclaimed = false;
        record_pause(a, cap, cs->last_gc_start, cs->last_gc_end, gen);
    }
}

static void gc_end(elog_analysis *a, cap_state *cs, uint16_t cap, uint64_t t)
{
    if (!cs->in_gc)
        return;
    cs->in_gc = false;
    cs->gc_ns += t > cs->gc_start ? t - cs->gc_start : 0;
    util_add(a, cs, cs->gc_start, t, true);
    if (cs->pending_gen != UINT32_MAX) {
        record_pause(a, cap, cs->gc_start, t, cs->pending_gen);
        cs->pending_gen = UINT32_MAX;
    } else if (!a->has_gc_stats_type) {
        /* Old logs without GC_STATS_GHC: every GC_END is a pause. */
        record_pause(a, cap, cs->gc_start, t, UINT32_MAX);
    } else {
        cs->gc_unclaimed = true;
        cs->last_gc_start = cs->gc_start;
        cs->last_gc_end = t;
    }
}

/* ------------------------------------------------------------ labels */

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* The index of `s` in `tab` (adding it if there is room), or max (other). */
static uint32_t label_index(elog_analysis *a, label_rec *tab, size_t *n, const uint8_t *p,
                            size_t len, uint64_t h)
{
    for (size_t i = 0; i < *n; i++)
        if (tab[i].hash == h && tab[i].size == len + 1 && memcmp(tab[i].text, p, len) == 0)
            return (uint32_t)i;
    if (*n >= a->cfg.max_labels)
        return a->cfg.max_labels;
    char *t = an_alloc(a, len + 1);
    if (t == NULL)
        return a->cfg.max_labels;
    memcpy(t, p, len);
    sanitize(t, len);
    tab[*n] = (label_rec){ t, len + 1, h };
    return (uint32_t)(*n)++;
}

/* ------------------------------------------------------------ spans */

static void span_close(elog_analysis *a, uint32_t label, uint64_t s, uint64_t e, bool open,
                       const uint8_t *text, size_t len)
{
    span_acc *acc = &a->spans[label];
    uint64_t d = e > s ? e - s : 0;
    if (acc->count == 0 || d < acc->min)
        acc->min = d;
    if (d > acc->max)
        acc->max = d;
    acc->count++;
    acc->total += d;
    if (open)
        acc->open++;
    const double *bounds = elog_span_bucket_bounds();
    size_t b = 0;
    while (b < ELOG_SPAN_BUCKETS && (double)d > bounds[b] * 1e9)
        b++;
    acc->buckets[b]++;
    if (!open && a->on_span != NULL)
        a->on_span(a->hook_ctx, (const char *)text, len, s, e);
}

/* "START [n ]label" / "STOP [n ]label" (ghc-events-analyze's convention). */
static void user_msg(elog_analysis *a, uint64_t t, elog_slice m)
{
    const uint8_t *p = m.ptr;
    size_t n = m.len;
    bool start;
    if (n > 6 && memcmp(p, "START ", 6) == 0) {
        start = true;
        p += 6;
        n -= 6;
    } else if (n > 5 && memcmp(p, "STOP ", 5) == 0) {
        start = false;
        p += 5;
        n -= 5;
    } else {
        return;
    }
    uint64_t sub = UINT64_MAX;
    size_t i = 0;
    while (i < n && i < 19 && p[i] >= '0' && p[i] <= '9')
        i++;
    if (i > 0 && i < n && p[i] == ' ') {
        sub = 0;
        for (size_t k = 0; k < i; k++)
            sub = sub * 10 + (uint64_t)(p[k] - '0');
        p += i + 1;
        n -= i + 1;
    }
    if (n == 0)
        return;
    uint64_t h = hash_bytes(p, n);
    if (start) {
        /* Its STOP may have come first, from a capability whose block comes
         * earlier in the file (the thread migrated): the earliest waiting
         * STOP of this label and subscript at or after t. */
        size_t best = SIZE_MAX;
        for (size_t k = 0; k < a->n_pending; k++) {
            const open_span *o = &a->pending[k];
            if (o->hash == h && o->sub == sub && o->start >= t &&
                (best == SIZE_MAX || o->start < a->pending[best].start))
                best = k;
        }
        uint32_t li = label_index(a, a->span_labels, &a->n_span_labels, p, n, h);
        if (best != SIZE_MAX) {
            uint64_t stop_t = a->pending[best].start;
            a->pending[best] = a->pending[--a->n_pending];
            span_close(a, li, t, stop_t, false, p, n);
            return;
        }
        if (a->n_open >= a->cfg.max_open_spans) {
            a->unmatched_starts++;
            return;
        }
        a->open[a->n_open++] = (open_span){ h, sub, li, t };
        return;
    }
    /* The most recent open span of this label and subscript started by t. */
    for (size_t k = a->n_open; k-- > 0;) {
        open_span *o = &a->open[k];
        if (o->hash == h && o->sub == sub && o->start <= t) {
            open_span os = *o;
            memmove(o, o + 1, (a->n_open - k - 1) * sizeof *o);
            a->n_open--;
            span_close(a, os.label, os.start, t, false, p, n);
            return;
        }
    }
    /* Wait for its START (see above), within the same bound. */
    if (a->n_pending < a->cfg.max_open_spans)
        a->pending[a->n_pending++] = (open_span){ h, sub, 0, t };
    else
        a->unmatched_stops++;
}

/* ------------------------------------------------------------ censuses */

static void census_end(elog_analysis *a)
{
    size_t L = a->cfg.max_labels;
    a->in_census = false;
    a->censuses_seen++;
    for (size_t i = 0; i <= L; i++)
        if (a->cur_census[i] > a->census_label_max[i])
            a->census_label_max[i] = a->cur_census[i];
    /* Thinning: when full, keep every other census and from then on only
     * every stride-th new one. */
    if (a->census_skip > 0) {
        a->census_skip--;
        return;
    }
    if (a->n_censuses == a->cfg.max_censuses) {
        size_t k = 0;
        for (size_t i = 0; i < a->n_censuses; i++) {
            if (i % 2 == 0)
                a->censuses[k++] = a->censuses[i];
            else
                an_free(a, a->censuses[i].bytes, (L + 1) * sizeof(uint64_t));
        }
        a->n_censuses = k;
        a->census_stride *= 2;
    }
    uint64_t *b = an_alloc(a, (L + 1) * sizeof *b);
    if (b == NULL)
        return;
    memcpy(b, a->cur_census, (L + 1) * sizeof *b);
    a->censuses[a->n_censuses++] = (census_rec){ a->cur_census_time, a->cur_census_total, b };
    a->census_skip = a->census_stride - 1;
}

/* ------------------------------------------------------------ cost centres */

static size_t cc_slot(const uint32_t *ids, size_t cap, uint32_t id)
{
    size_t mask = cap - 1, i = (size_t)mix(id) & mask;
    while (ids[i] != 0 && ids[i] != id + 1)
        i = (i + 1) & mask;
    return i;
}

static void cc_define(elog_analysis *a, uint32_t id, elog_slice name)
{
    if (id == UINT32_MAX || a->cc_used >= CC_MAX)
        return;
    if (a->cc_cap == 0 || (a->cc_used + 1) * 2 > a->cc_cap) {
        size_t nc = a->cc_cap ? a->cc_cap * 2 : 256;
        uint32_t *ids = an_alloc(a, nc * sizeof *ids);
        char **names = an_alloc(a, nc * sizeof *names);
        if (ids == NULL || names == NULL) {
            an_free(a, ids, nc * sizeof *ids);
            an_free(a, names, nc * sizeof *names);
            return;
        }
        for (size_t i = 0; i < a->cc_cap; i++) {
            if (a->cc_ids[i] != 0) {
                size_t j = cc_slot(ids, nc, a->cc_ids[i] - 1);
                ids[j] = a->cc_ids[i];
                names[j] = a->cc_names[i];
            }
        }
        an_free(a, a->cc_ids, a->cc_cap * sizeof *a->cc_ids);
        an_free(a, a->cc_names, a->cc_cap * sizeof *a->cc_names);
        a->cc_ids = ids;
        a->cc_names = names;
        a->cc_cap = nc;
    }
    size_t j = cc_slot(a->cc_ids, a->cc_cap, id);
    size_t n = label_cut(name);
    char *t = an_alloc(a, n + 1);
    if (t == NULL)
        return;
    memcpy(t, name.ptr, n);
    sanitize(t, n);
    bool renamed = a->cc_ids[j] != 0;
    if (renamed) {
        an_free(a, a->cc_names[j], strlen(a->cc_names[j]) + 1);
    } else {
        a->cc_ids[j] = id + 1;
        a->cc_used++;
    }
    a->cc_names[j] = t;
    /* Cached labels change only if they showed this cc: by its old name,
     * or (GHC names each cc at its first census) as "cc N". */
    if (renamed || a->stack_cache_numbered)
        stack_cache_clear(a);
}

/* The census label slot for a sample of `bytes` bytes. When the table is
 * full, a new label takes the slot of the smallest one (by bytes summed
 * over censuses) if this one sample already outgrows it; the evicted
 * label's bytes move to "other", in the stored censuses too. So the labels
 * kept are the large ones, whatever order they appear in. */
static uint32_t census_label(elog_analysis *a, const uint8_t *p, size_t len, uint64_t bytes)
{
    size_t L = a->cfg.max_labels;
    uint64_t h = hash_bytes(p, len);
    uint32_t li = label_index(a, a->census_labels, &a->n_census_labels, p, len, h);
    if (li != L || L == 0 || a->n_census_labels < L)
        return li;
    size_t min = 0;
    for (size_t i = 1; i < L; i++)
        if (a->census_label_total[i] < a->census_label_total[min])
            min = i;
    a->census_min_slot = (uint32_t)min;
    if (a->census_label_total[min] >= bytes)
        return (uint32_t)L;
    char *t = an_alloc(a, len + 1);
    if (t == NULL)
        return (uint32_t)L;
    memcpy(t, p, len);
    sanitize(t, len);
    a->census_label_total[L] += a->census_label_total[min];
    a->cur_census[L] += a->cur_census[min];
    uint64_t other_max = a->census_label_max[L];
    for (size_t c = 0; c < a->n_censuses; c++) {
        uint64_t *b = a->censuses[c].bytes;
        b[L] += b[min];
        b[min] = 0;
        if (b[L] > other_max)
            other_max = b[L];
    }
    a->census_label_max[L] = other_max;
    a->census_label_total[min] = 0;
    a->census_label_max[min] = 0;
    a->cur_census[min] = 0;
    an_free(a, a->census_labels[min].text, a->census_labels[min].size);
    a->census_labels[min] = (label_rec){ t, len + 1, h };
    a->census_label_ver[min]++; /* this slot's cached stacks are stale */
    return (uint32_t)min;
}

/* A census sample's label and bytes into the current census; returns the
 * label's slot (max_labels: "other"). */
static uint32_t census_add(elog_analysis *a, const uint8_t *label, size_t len, uint64_t bytes)
{
    uint32_t li = census_label(a, label, len, bytes);
    a->cur_census[li] += bytes;
    a->cur_census_total += bytes;
    a->census_label_total[li] += bytes;
    return li;
}

/* The cache key of a cost-centre stack: its first 128 ids (no label of 255
 * bytes names more), hashed 8 bytes at a time as they lie in the event
 * (mixing each id cost as much as the rest of a cached sample). Never 0. */
static uint64_t stack_hash(elog_u32_array st)
{
    uint32_t depth = st.count < 128 ? st.count : 128;
    size_t n = 4u * (size_t)depth, i = 0;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ depth;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, st.ptr + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    if (i < n) {
        uint32_t w;
        memcpy(&w, st.ptr + i, 4);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
    }
    return mix(h) | 1;
}

/* The -hc label of a stack: cost-centre names, innermost first, joined
 * with '/' ("cc N" for an undefined one), at most 255 bytes; NUL-terminated
 * in label[256]. Returns its length. */
static size_t stack_label(elog_analysis *a, elog_u32_array st, char *label)
{
    size_t len = 0;
    for (uint32_t k = 0; k < st.count && len < 255; k++) {
        uint32_t id = elog_u32_array_get(st, k);
        char num[24];
        const char *nm = NULL;
        if (a->cc_cap > 0) {
            size_t j = cc_slot(a->cc_ids, a->cc_cap, id);
            if (a->cc_ids[j] != 0)
                nm = a->cc_names[j];
        }
        if (nm == NULL) {
            snprintf(num, sizeof num, "cc %u", (unsigned)id);
            nm = num;
            a->stack_cache_numbered = true;
        }
        if (k > 0)
            label[len++] = '/';
        size_t m = strlen(nm);
        if (m > 255 - len)
            m = 255 - len;
        memcpy(label + len, nm, m);
        len += m;
    }
    if (st.count == 0) {
        memcpy(label, "(no stack)", 10);
        len = 10;
    }
    label[len] = '\0';
    return len;
}

/* census_stack_sample() of a stack not cached (or stale): its label built,
 * counted, and cached in `set` (NULL: no cache) under `key`. */
static __attribute__((noinline)) void census_stack_miss(elog_analysis *a,
                                                        const elog_ev_heap_prof_sample_cost_centre *s,
                                                        uint64_t key, stack_entry *set)
{
    char label[256];
    size_t len = stack_label(a, s->stack, label);
    uint32_t li = census_add(a, (const uint8_t *)label, len, s->residency);
    if (set == NULL)
        return;
    /* The new entry goes first in its set; an older copy of it (stale)
     * goes, else the last (least recently filled) one. */
    unsigned w = 0;
    while (w < STACK_WAYS - 1 && set[w].key != key)
        w++;
    memmove(set + 1, set, w * sizeof *set);
    set[0] = (stack_entry){ key, li, a->census_label_ver[li] };
}

/* A -hc census sample: its stack's label found in the cache, or built
 * (deep stacks make that costly) and cached by census_stack_miss(). */
static void census_stack_sample(elog_analysis *a, const elog_ev_heap_prof_sample_cost_centre *s)
{
    if (a->stack_cache == NULL && !a->stack_cache_failed) {
        /* Without it (no memory) every label is built: slower, not wrong,
         * so not an out-of-memory abort. */
        size_t size = STACK_SETS * STACK_WAYS * sizeof *a->stack_cache;
        a->stack_cache = a->al->alloc(a->al->ctx, size);
        if (a->stack_cache != NULL)
            memset(a->stack_cache, 0, size);
        a->stack_cache_failed = a->stack_cache == NULL;
    }
    uint64_t key = stack_hash(s->stack);
    stack_entry *set = a->stack_cache != NULL
                           ? &a->stack_cache[(size_t)(key >> 52) % STACK_SETS * STACK_WAYS]
                           : NULL;
    uint32_t L = a->cfg.max_labels;
    for (unsigned w = 0; set != NULL && w < STACK_WAYS; w++) {
        stack_entry *e = &set[w];
        /* A cached "other" retries the table only if this sample could
         * outgrow the smallest label (as of the last full-table miss). */
        if (e->key == key && e->ver == a->census_label_ver[e->label] &&
            (e->label < L || L == 0 || s->residency <= a->census_label_total[a->census_min_slot])) {
            uint32_t li = e->label;
            a->cur_census[li] += s->residency;
            a->cur_census_total += s->residency;
            a->census_label_total[li] += s->residency;
            return;
        }
    }
    census_stack_miss(a, s, key, set);
}

/* ------------------------------------------------------------ dispatch */

int elog_analysis_on_header(elog_analysis *a, const elog_header *h)
{
    a->has_gc_stats_type = elog_header_lookup(h, ELOG_EV_GC_STATS_GHC) != NULL;
    return ELOG_CB_CONTINUE;
}

static bool wants_switch(uint16_t id)
{
    switch (id) {
    case ELOG_EV_CREATE_THREAD: case ELOG_EV_RUN_THREAD: case ELOG_EV_STOP_THREAD:
    case ELOG_EV_THREAD_RUNNABLE: case ELOG_EV_MIGRATE_THREAD: case ELOG_EV_THREAD_WAKEUP:
    case ELOG_EV_GC_START: case ELOG_EV_GC_END: case ELOG_EV_USER_MSG:
    case ELOG_EV_SPARK_COUNTERS: case ELOG_EV_THREAD_LABEL: case ELOG_EV_HEAP_ALLOCATED:
    case ELOG_EV_HEAP_SIZE: case ELOG_EV_HEAP_LIVE: case ELOG_EV_GC_STATS_GHC:
    case ELOG_EV_HEAP_PROF_SAMPLE_BEGIN: case ELOG_EV_HEAP_PROF_SAMPLE_STRING:
    case ELOG_EV_HEAP_PROF_SAMPLE_END: case ELOG_EV_HEAP_PROF_COST_CENTRE:
    case ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE:
        return true;
    default:
        return false;
    }
}

bool elog_analysis_wants(uint16_t id)
{
    return wants_switch(id);
}

/* The hot events of thread-heavy logs, kept out of the big dispatch so
 * their path is short (the rare ones are in rare_event()). A RUN touches
 * only its capability: the thread's record is found at the run's end. */
static inline void on_run(elog_analysis *a, const elog_event *ev, uint64_t t)
{
    cap_state *cs = cap_get(a, ev->cap);
    if (cs == NULL)
        return;
    if (__builtin_expect(cs->running, 0))
        end_run_unpaired(a, cs, t);
    idle_open(cs, t);
    if (t > cs->last_time)
        cs->last_time = t;
    cs->running = true;
    cs->thread = ev->as.run_thread.thread;
    cs->run_start = t;
}

/* The time span: every event but block markers is in it. The common cases
 * of RUN and STOP skip this: their time is at least the capability's
 * previous one (last_time, whose maximum the snapshot adds to the span's
 * end) and so not before the start. */
static inline void note_time(elog_analysis *a, uint64_t t)
{
    if (t < a->start_ns)
        a->start_ns = t;
    if (t > a->end_ns)
        a->end_ns = t;
}

/* Abort once, at the event that ran out of memory. */
static inline int event_result(elog_analysis *a)
{
    if (__builtin_expect(a->oom && !a->oom_reported, 0)) {
        a->oom_reported = true;
        return ELOG_CB_ABORT;
    }
    return ELOG_CB_CONTINUE;
}

/* A thread's key just moved to FINISHED at t: its finish time, the count,
 * and the list compaction reads. Amortised: a compaction looks at the
 * finished threads kept and drops all but max_threads of them. Each pass
 * re-examines the max_threads kept and merges the dropped ids into the
 * ranges, so it waits for 4 * max_threads + 64 more (at max_threads + 64:
 * 12% of the samples on busy-large); snapshots list only max_threads of
 * them. */
static __attribute__((noinline)) int thread_finish(elog_analysis *a, thread_rec *r, uint64_t t)
{
    r->finished_ns = t;
    a->threads_finished++;
    finished_list_add(a, r->id, r->running_ns);
    if (a->threads_finished_kept >= 5 * (size_t)a->cfg.max_threads + 64)
        thread_compact(a);
    return event_result(a);
}

/* The thread's side of a STOP_THREAD at t: `ran` is the length of the run
 * it ends on its capability (UINT64_MAX: it ends none there). */
static __attribute__((noinline)) int stop_thread(elog_analysis *a, uint32_t id, uint16_t status,
                                                 uint64_t t, uint64_t ran)
{
    thread_rec *r = thread_get(a, id);
    if (r == NULL)
        return event_result(a);
    if (ran != UINT64_MAX) {
        r->runs++;
        r->running_ns += ran;
    }
    if (status < ELOG_STOP_REASONS)
        r->stop_reasons[status]++;
    elog_thread_state s = status < ELOG_STOP_REASONS ? (elog_thread_state)state_after[status]
                                                     : ELOG_THREAD_BLOCKED;
    /* The state lives in the key (the counts by state are made when a
     * snapshot is taken); FINISHED is final (a late stop only moves the
     * finish time). */
    uint64_t *k = &a->tkeys[r->kslot];
    if (TKEY_STATE(*k) == ELOG_THREAD_FINISHED) {
        if (s == ELOG_THREAD_FINISHED)
            r->finished_ns = t;
        return event_result(a);
    }
    *k = TKEY_WITH_STATE(*k, s);
    if (s == ELOG_THREAD_FINISHED)
        return thread_finish(a, r, t);
    return event_result(a);
}

static __attribute__((noinline)) int stop_general(elog_analysis *a, const elog_event *ev, uint64_t t)
{
    note_time(a, t);
    const elog_ev_stop_thread *st = &ev->as.stop_thread;
    cap_state *cs = cap_get(a, ev->cap);
    if (cs == NULL)
        return event_result(a);
    uint64_t ran = UINT64_MAX;
    if (cs->running && cs->thread == st->thread) {
        ran = end_run_cap(a, cs, t);
        idle_close(cs, t);
    }
    if (t > cs->last_time)
        cs->last_time = t;
    return stop_thread(a, st->thread, st->status, t, ran);
}

/* THREAD_RUNNABLE / THREAD_WAKEUP: only the state, which lives in the
 * dense keys: no record touched. */
static inline void on_wake(elog_analysis *a, uint32_t id)
{
    if (a->keys_cap == 0)
        return;
    size_t slot = tkey_slot(a, id);
    uint64_t k = a->tkeys[slot];
    if (k != 0 && TKEY_STATE(k) == ELOG_THREAD_BLOCKED)
        a->tkeys[slot] = TKEY_WITH_STATE(k, ELOG_THREAD_RUNNABLE);
}

/* Every other event the analysis reads. */
static __attribute__((noinline)) void rare_event(elog_analysis *a, const elog_event *ev,
                                                 uint64_t t)
{
    cap_state *cs = NULL;
    switch (ev->id) {
    case ELOG_EV_THREAD_LABEL: {
        thread_rec *r = thread_get(a, ev->as.thread_label.thread);
        if (r != NULL)
            set_label(a, r, ev->as.thread_label.label);
        break;
    }
    case ELOG_EV_GC_START:
        if ((cs = cap_get(a, ev->cap)) == NULL)
            break;
        if (cs->in_gc) /* a missing GC_END: close it here */
            gc_end(a, cs, ev->cap, t);
        idle_open(cs, t);
        if (t > cs->last_time)
            cs->last_time = t;
        cs->in_gc = true;
        cs->gc_start = t;
        cs->gc_unclaimed = false; /* its last GC was led by another capability */
        break;
    case ELOG_EV_GC_END:
        if ((cs = cap_get(a, ev->cap)) != NULL) {
            gc_end(a, cs, ev->cap, t);
            idle_close(cs, t);
            if (t > cs->last_time)
                cs->last_time = t;
        }
        break;
    case ELOG_EV_GC_STATS_GHC:
        gc_stats(a, cap_get(a, ev->cap), ev->cap, &ev->as.gc_stats_ghc);
        break;
    case ELOG_EV_HEAP_ALLOCATED:
        if ((cs = cap_get(a, ev->cap)) != NULL) {
            uint64_t v = ev->as.heap_allocated.alloc_bytes;
            uint64_t delta = cs->has_alloc && v > cs->last_alloc ? v - cs->last_alloc
                             : cs->has_alloc ? 0 : v;
            heap_bucket(a, t)->allocated_bytes += delta;
            cs->last_alloc = v;
            cs->has_alloc = true;
        }
        break;
    case ELOG_EV_HEAP_SIZE: {
        uint64_t v = ev->as.heap_size.size_bytes;
        if (v > a->max_size)
            a->max_size = v;
        if (t >= a->cur_size_t) {
            a->cur_size = v;
            a->cur_size_t = t;
        }
        elog_heap_bucket *b = heap_bucket(a, t);
        if (v > b->size_bytes)
            b->size_bytes = v;
        break;
    }
    case ELOG_EV_HEAP_LIVE: {
        uint64_t v = ev->as.heap_live.live_bytes;
        if (v > a->max_live)
            a->max_live = v;
        if (t >= a->cur_live_t) {
            a->cur_live = v;
            a->cur_live_t = t;
        }
        elog_heap_bucket *b = heap_bucket(a, t);
        if (v > b->live_bytes)
            b->live_bytes = v;
        break;
    }
    case ELOG_EV_SPARK_COUNTERS:
        if ((cs = cap_get(a, ev->cap)) != NULL) {
            const elog_ev_spark_counters *sc = &ev->as.spark_counters;
            cs->sparks = (elog_spark_stats){ sc->created, sc->converted, sc->overflowed,
                                             sc->dud, sc->gcd, sc->fizzled, sc->remaining };
            cs->has_sparks = true;
        }
        break;
    case ELOG_EV_USER_MSG:
        user_msg(a, t, ev->as.user_msg.message);
        break;
    case ELOG_EV_HEAP_PROF_SAMPLE_BEGIN:
        if (a->in_census)
            census_end(a);
        a->in_census = true;
        a->cur_census_time = t;
        a->cur_census_total = 0;
        memset(a->cur_census, 0, (a->cfg.max_labels + 1) * sizeof(uint64_t));
        break;
    case ELOG_EV_HEAP_PROF_SAMPLE_STRING: {
        const elog_ev_heap_prof_sample_string *s = &ev->as.heap_prof_sample_string;
        census_add(a, s->label.ptr, s->label.len, s->residency);
        break;
    }
    case ELOG_EV_HEAP_PROF_COST_CENTRE:
        cc_define(a, ev->as.heap_prof_cost_centre.cc_id, ev->as.heap_prof_cost_centre.label);
        break;
    case ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE:
        census_stack_sample(a, &ev->as.heap_prof_sample_cost_centre);
        break;
    case ELOG_EV_HEAP_PROF_SAMPLE_END:
        if (a->in_census)
            census_end(a);
        break;
    default:
        break;
    }
}

/* The general paths of the hot types: every case (unknown thread, first
 * run on a capability, a run crossing a time bucket, a thread finishing,
 * ...). The functions below take the commonest case without a call. */
static __attribute__((noinline)) int run_general(elog_analysis *a, const elog_event *ev, uint64_t t)
{
    note_time(a, t);
    on_run(a, ev, t);
    return event_result(a);
}

/* A hot event counted, and its capability's state (NULL: none yet). */
static inline cap_state *hot_cap(elog_analysis *a, const elog_event *ev)
{
    a->events++;
    return ev->cap < a->n_caps_alloc ? a->caps[ev->cap] : NULL;
}

/* Called by the decoder through elog_route() (elog_analysis_route), or
 * tail-called from elog_analysis_on_event, one per hot type; the common
 * case touches only the capability (and, at a STOP, the thread's key and
 * record), allocates nothing and calls nothing, so it saves no registers
 * (the shared prologue and epilogue of one big function were 13
 * instructions per event). Anything else goes to the general path before
 * a field is changed. */
static __attribute__((noinline)) int ev_run(void *ctx, const elog_event *ev)
{
    elog_analysis *a = ctx;
    uint64_t t = ev->time;
    cap_state *cs = hot_cap(a, ev);
    if (cs == NULL || cs->running || cs->in_gc || !cs->idle_started || t < cs->last_time)
        return run_general(a, ev, t);
    /* idle_open() with nothing open: idle since the mark, up to t */
    if (t > cs->idle_mark) {
        cs->idle_acc += t - cs->idle_mark;
        cs->idle_mark = t;
    }
    cs->last_time = t;
    cs->running = true;
    cs->thread = ev->as.run_thread.thread;
    cs->run_start = t;
    return ELOG_CB_CONTINUE;
}

/* ev_stop() of a thread not in the index: most often one compaction
 * dropped, whose later blocks (file order) still hold runs of it; those are
 * left out at once (stop_thread() would probe again and try to add it). */
static __attribute__((noinline)) int stop_unindexed(elog_analysis *a, uint32_t id,
                                                    uint16_t status, uint64_t t, uint64_t d)
{
    if (dropped_may_have(a, id) && dropped_has(a, id))
        return ELOG_CB_CONTINUE;
    return stop_thread(a, id, status, t, d);
}

/* A STOP of the thread running on its capability, within one utilisation
 * bucket, of a thread in the index: both sides in one leaf (it calls
 * nothing and saves no registers); anything else goes to stop_general()
 * before a field is changed, or, once the capability's side is done, to
 * stop_thread(). */
static __attribute__((noinline)) int ev_stop(void *ctx, const elog_event *ev)
{
    elog_analysis *a = ctx;
    uint64_t t = ev->time;
    cap_state *cs = hot_cap(a, ev);
    uint32_t id = ev->as.stop_thread.thread;
    if (cs == NULL || !cs->running || cs->thread != id)
        return stop_general(a, ev, t);
    uint64_t start = cs->run_start;
    unsigned sh = a->bucket_shift;
    size_t b = (size_t)(start >> sh);
    if (t <= start || ((t - 1) >> sh) != b || b >= a->cfg.time_buckets)
        return stop_general(a, ev, t);
    /* the capability's side: end_run_cap() and idle_close() inline */
    uint64_t d = t - start;
    cs->running = false;
    cs->mutator_ns += d;
    cs->util[b].mutator_ns += d;
    if (!cs->in_gc && t > cs->idle_mark)
        cs->idle_mark = t;
    if (t > cs->last_time)
        cs->last_time = t;
    /* the thread's side: stop_thread() for a thread in the index */
    unsigned status = ev->as.stop_thread.status;
    uint64_t *keys = a->tkeys;
    if (status >= ELOG_STOP_REASONS || keys == NULL)
        return stop_thread(a, id, (uint16_t)status, t, d);
    size_t mask = a->keys_cap - 1, i = thread_home_sh(id, a->keys_shift);
    uint64_t k;
    while ((k = keys[i]) != 0 && TKEY_ID_OF(k) != id)
        i = (i + 1) & mask;
    if (k == 0)
        return stop_unindexed(a, id, (uint16_t)status, t, d);
    if (TKEY_STATE(k) == ELOG_THREAD_FINISHED)
        return stop_thread(a, id, (uint16_t)status, t, d);
    thread_rec *r = &a->recs[TKEY_IDX(k)];
    r->runs++;
    r->running_ns += d;
    r->stop_reasons[status]++;
    unsigned next = state_after[status];
    keys[i] = TKEY_WITH_STATE(k, next);
    if (next == ELOG_THREAD_FINISHED)
        return thread_finish(a, r, t);
    return ELOG_CB_CONTINUE;
}

static __attribute__((noinline)) int ev_runnable(void *ctx, const elog_event *ev)
{
    elog_analysis *a = ctx;
    a->events++;
    note_time(a, ev->time);
    on_wake(a, ev->as.thread_runnable.thread);
    return ELOG_CB_CONTINUE; /* allocates nothing */
}

static __attribute__((noinline)) int ev_wakeup(void *ctx, const elog_event *ev)
{
    elog_analysis *a = ctx;
    a->events++;
    note_time(a, ev->time);
    on_wake(a, ev->as.thread_wakeup.thread);
    return ELOG_CB_CONTINUE;
}

/* A new thread: found or added with one probe of the index (thread_get()
 * would probe, and thread_add() probe again). */
static __attribute__((noinline)) int ev_create(void *ctx, const elog_event *ev)
{
    elog_analysis *a = ctx;
    a->events++;
    note_time(a, ev->time);
    thread_rec *r = thread_add(a, ev->as.create_thread.thread);
    if (r != NULL)
        r->created_ns = ev->time;
    a->threads_created++;
    return event_result(a);
}

/* A migration counts for a thread already known (never adds one: it may be
 * about a finished thread, later in the file). */
static __attribute__((noinline)) int ev_migrate(void *ctx, const elog_event *ev)
{
    elog_analysis *a = ctx;
    a->events++;
    note_time(a, ev->time);
    thread_rec *r = thread_lookup(a, ev->as.migrate_thread.thread);
    if (r != NULL && r->migrations < UINT32_MAX)
        r->migrations++;
    return ELOG_CB_CONTINUE;
}

static __attribute__((noinline)) int ev_rare(elog_analysis *a, const elog_event *ev, uint64_t t)
{
    a->events++;
    note_time(a, t);
    rare_event(a, ev, t);
    return event_result(a);
}

int elog_analysis_on_event(elog_analysis *a, const elog_event *ev)
{
    if (ev->id == ELOG_EV_BLOCK_MARKER)
        return ELOG_CB_CONTINUE;
    /* ev->layout == NULL: no typed fields (unknown type), nothing to read. */
    if (__builtin_expect(ev->layout == NULL, 0)) {
        a->events++;
        note_time(a, ev->time);
        return ELOG_CB_CONTINUE;
    }
    switch (ev->id) {
    case ELOG_EV_RUN_THREAD:
        return ev_run(a, ev);
    case ELOG_EV_STOP_THREAD:
        return ev_stop(a, ev);
    case ELOG_EV_THREAD_RUNNABLE:
        return ev_runnable(a, ev);
    case ELOG_EV_THREAD_WAKEUP:
        return ev_wakeup(a, ev);
    case ELOG_EV_CREATE_THREAD:
        return ev_create(a, ev);
    case ELOG_EV_MIGRATE_THREAD:
        return ev_migrate(a, ev);
    default:
        return ev_rare(a, ev, ev->time);
    }
}

/* The thread events (most of a busy log's), each to its handler (with a
 * typed layout declared: their events then always have typed fields). */
static const struct {
    uint16_t id;
    elog_type_cb cb;
} hot_routes[] = {
    { ELOG_EV_RUN_THREAD, ev_run },
    { ELOG_EV_STOP_THREAD, ev_stop },
    { ELOG_EV_THREAD_RUNNABLE, ev_runnable },
    { ELOG_EV_THREAD_WAKEUP, ev_wakeup },
    { ELOG_EV_CREATE_THREAD, ev_create },
    { ELOG_EV_MIGRATE_THREAD, ev_migrate },
};

void elog_analysis_route(elog_analysis *a, elog_decoder *d)
{
    const elog_header *h = elog_get_header(d);
    if (h == NULL)
        return;
    for (size_t i = 0; i < sizeof hot_routes / sizeof hot_routes[0]; i++) {
        const elog_event_type *t = elog_header_lookup(h, hot_routes[i].id);
        if (t != NULL && t->layout != NULL)
            elog_route(d, hot_routes[i].id, hot_routes[i].cb, a);
    }
}

void elog_analysis_on_end(elog_analysis *a, const elog_end *end, const char *reason)
{
    a->has_end = true;
    a->end = *end;
    a->end_reason[0] = '\0';
    if (reason != NULL) {
        size_t n = strlen(reason);
        if (n >= sizeof a->end_reason)
            n = sizeof a->end_reason - 1;
        memcpy(a->end_reason, reason, n);
        a->end_reason[n] = '\0';
    }
}

static int attach_header(elog_decoder *d, const elog_header *h)
{
    elog_analysis_route(d->data, d);
    return elog_analysis_on_header(d->data, h);
}

static int attach_event(elog_decoder *d, const elog_event *ev)
{
    return elog_analysis_on_event(d->data, ev);
}

void elog_analysis_attach(elog_settings *s)
{
    s->on_header = attach_header;
    s->on_event = attach_event;
}

uint64_t elog_analysis_pause_cumulative(const elog_analysis *a, uint32_t gen,
                                        const double *bounds_s, size_t n, uint64_t *counts)
{
    const hist *h = gen == UINT32_MAX ? &a->pause_all
                    : &a->pause_gen[gen < ELOG_ANALYSIS_MAX_GENS ? gen : ELOG_ANALYSIS_MAX_GENS - 1];
    for (size_t i = 0; i < n; i++) {
        double ns = bounds_s[i] * 1e9;
        counts[i] = ns < 0 ? 0 : ns >= 1.8e19 ? h->count : an_hist_count_le(h, (uint64_t)ns);
    }
    return h->count;
}

const char *elog_stop_reason_name(uint16_t status)
{
    /* GHC's codes as ghc-events reads them (4 + why_blocked for blocked threads). */
    static const char *const names[ELOG_STOP_REASONS] = {
        "none", "heap_overflow", "stack_overflow", "yield", "blocked", "finished",
        "foreign_call", "blocked_on_mvar", "blocked_on_black_hole", "blocked_on_read",
        "blocked_on_write", "blocked_on_delay", "blocked_on_stm", "blocked_on_do_proc",
        "blocked_on_ccall", "blocked_on_ccall_interruptible", "blocked_on_msg_throw_to",
        "migrating", "blocked_on_throw_to", "none", "blocked_on_mvar_read"
    };
    return status < ELOG_STOP_REASONS ? names[status] : "unknown";
}

const char *elog_thread_state_name(elog_thread_state s)
{
    switch (s) {
    case ELOG_THREAD_RUNNING: return "running";
    case ELOG_THREAD_RUNNABLE: return "runnable";
    case ELOG_THREAD_BLOCKED: return "blocked";
    case ELOG_THREAD_FINISHED: return "finished";
    default: return "unknown";
    }
}

const double *elog_span_bucket_bounds(void)
{
    static const double b[ELOG_SPAN_BUCKETS] = {
        1e-6, 1e-5, 1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 10, 60
    };
    return b;
}

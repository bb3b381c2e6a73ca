/*
 * elog_analysis_snapshot(): an immutable elog_stats built from the live
 * state, with open intervals closed at the last timestamp (the live state is
 * not changed). All its memory comes from one arena, freed at once.
 */
#include "analysis_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct arena_block {
    struct arena_block *next;
    size_t size;
} arena_block;

typedef struct snap {
    const elog_analysis *a;
    elog_stats *s;
    arena_block *blocks;
    bool failed;
} snap;

static void *snap_alloc(snap *sn, size_t size)
{
    const elog_allocator *al = sn->a->al;
    size_t total = sizeof(arena_block) + size + 16;
    arena_block *b = al->alloc(al->ctx, total);
    if (b == NULL) {
        sn->failed = true;
        return NULL;
    }
    b->next = sn->blocks;
    b->size = total;
    sn->blocks = b;
    void *p = (uint8_t *)b + ((sizeof(arena_block) + 15) & ~(size_t)15);
    memset(p, 0, size);
    return p;
}

static void arena_free(const elog_allocator *al, arena_block *b)
{
    while (b != NULL) {
        arena_block *n = b->next;
        al->free(al->ctx, b, b->size);
        b = n;
    }
}

/* The snapshot keeps the allocator with its blocks so freeing needs no
 * analysis. */
typedef struct snap_mem {
    const elog_allocator *al;
    arena_block *blocks;
} snap_mem;

static const char *str_dup(snap *sn, const char *p)
{
    if (p == NULL)
        return "";
    size_t n = strlen(p);
    char *d = snap_alloc(sn, n + 1);
    if (d == NULL)
        return "";
    memcpy(d, p, n + 1);
    return d;
}

static int cmp_thread(const void *x, const void *y)
{
    const elog_thread_stats *a = x, *b = y;
    if (a->running_ns != b->running_ns)
        return a->running_ns < b->running_ns ? 1 : -1;
    return a->thread < b->thread ? -1 : a->thread > b->thread;
}

static int cmp_span(const void *x, const void *y)
{
    const elog_span_stats *a = x, *b = y;
    if (a->total_ns != b->total_ns)
        return a->total_ns < b->total_ns ? 1 : -1;
    return strcmp(a->label, b->label);
}

typedef struct label_order {
    uint64_t total;
    uint32_t index;
} label_order;

static int cmp_label_order(const void *x, const void *y)
{
    const label_order *a = x, *b = y;
    if (a->total != b->total)
        return a->total < b->total ? 1 : -1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static void build(snap *sn)
{
    const elog_analysis *a = sn->a;
    elog_stats *s = sn->s;
    size_t L = a->cfg.max_labels, NB = a->cfg.time_buckets;
    /* The common RUN and STOP move only their capability's last time. */
    uint64_t end = a->end_ns;
    for (size_t i = 0; i < a->n_caps_alloc; i++)
        if (a->caps[i] != NULL && a->caps[i]->last_time > end)
            end = a->caps[i]->last_time;
    uint64_t start = a->events > 0 ? a->start_ns : 0;

    s->start_ns = start;
    s->end_ns = end;
    s->events = a->events;

    /* Pauses: the closed ones, plus one open GC per capability closed at the end. */
    hist *all = snap_alloc(sn, sizeof *all);
    if (all == NULL)
        return;
    *all = a->pause_all;
    memcpy(s->longest, a->longest, sizeof s->longest);
    s->n_longest = a->n_longest;
    uint64_t gc_ns = a->pause_all.total;

    /* Capabilities. */
    size_t ncaps = 0;
    for (size_t i = 0; i < a->n_caps_alloc; i++)
        if (a->caps[i] != NULL && a->caps[i]->seen)
            ncaps++;
    s->caps = snap_alloc(sn, (ncaps ? ncaps : 1) * sizeof *s->caps);
    s->util = snap_alloc(sn, (ncaps ? ncaps : 1) * NB * sizeof *s->util);
    if (s->caps == NULL || s->util == NULL)
        return;
    s->bucket_ns = a->bucket_ns;
    s->n_buckets = NB;
    size_t ci = 0;
    for (size_t i = 0; i < a->n_caps_alloc; i++) {
        const cap_state *cs = a->caps[i];
        if (cs == NULL || !cs->seen)
            continue;
        elog_cap_stats *c = &s->caps[ci];
        elog_util_bucket *u = &s->util[ci * NB];
        memcpy(u, cs->util, NB * sizeof *u);
        c->cap = (uint32_t)i;
        c->mutator_ns = cs->mutator_ns;
        c->gc_ns = cs->gc_ns;
        c->closed_mutator_ns = cs->mutator_ns;
        c->closed_gc_ns = cs->gc_ns;
        c->last_ns = cs->last_time;
        c->closed_idle_ns = cs->idle_acc;
        if (!cs->running && !cs->in_gc && cs->idle_started && cs->last_time > cs->idle_mark)
            c->closed_idle_ns += cs->last_time - cs->idle_mark;
        /* Open intervals, closed at the end, within the series' range. */
        if (cs->running && end > cs->run_start) {
            c->mutator_ns += end - cs->run_start;
            c->open = true;
            for (uint64_t t = cs->run_start; t < end;) {
                size_t b = (size_t)(t >> a->bucket_shift);
                if (b >= NB)
                    break;
                uint64_t be = an_bucket_end(b, a->bucket_shift), e = end < be ? end : be;
                u[b].mutator_ns += e - t;
                t = e;
            }
        }
        if (cs->in_gc && end > cs->gc_start) {
            c->gc_ns += end - cs->gc_start;
            c->open = true;
            for (uint64_t t = cs->gc_start; t < end;) {
                size_t b = (size_t)(t >> a->bucket_shift);
                if (b >= NB)
                    break;
                uint64_t be = an_bucket_end(b, a->bucket_shift), e = end < be ? end : be;
                u[b].gc_ns += e - t;
                t = e;
            }
        }
        uint64_t span = end - start;
        uint64_t busy = c->mutator_ns + c->gc_ns;
        c->idle_ns = span > busy ? span - busy : 0;
        ci++;
    }
    s->n_caps = ncaps;

    /* Open pauses: a GC running (or ended without its stats) at the end. */
    for (size_t i = 0; i < a->n_caps_alloc; i++) {
        const cap_state *cs = a->caps[i];
        if (cs == NULL || !cs->seen)
            continue;
        /* Only the leader's GC is a pause; its stats have not come, so
         * the longest open one below stands for it. */
        if (cs->in_gc)
            s->pause_open = true;
    }
    if (s->pause_open) {
        uint64_t best = 0, best_start = 0;
        uint16_t best_cap = 0;
        for (size_t i = 0; i < a->n_caps_alloc; i++) {
            const cap_state *cs = a->caps[i];
            if (cs != NULL && cs->seen && cs->in_gc && end - cs->gc_start >= best) {
                best = end - cs->gc_start;
                best_start = cs->gc_start;
                best_cap = (uint16_t)i;
            }
        }
        an_hist_add(all, best);
        gc_ns += best;
        elog_pause p = { best_start, end, UINT32_MAX, best_cap, true };
        /* Insert into longest if it qualifies. */
        size_t n = s->n_longest;
        if (n < ELOG_ANALYSIS_LONGEST || best > s->longest[n - 1].end_ns - s->longest[n - 1].start_ns) {
            if (n == ELOG_ANALYSIS_LONGEST)
                n--;
            size_t k = n;
            while (k > 0 && s->longest[k - 1].end_ns - s->longest[k - 1].start_ns < best) {
                s->longest[k] = s->longest[k - 1];
                k--;
            }
            s->longest[k] = p;
            s->n_longest = n + 1;
        }
    }
    an_hist_summary(all, &s->pause);
    s->gc_ns = gc_ns;
    uint64_t span = end - start;
    s->mutator_ns = span > gc_ns ? span - gc_ns : 0;
    s->productivity = span > 0 ? (double)s->mutator_ns / (double)span : 0.0;

    /* Generations. */
    s->n_generations = a->n_gens;
    s->generations = snap_alloc(sn, (a->n_gens ? a->n_gens : 1) * sizeof *s->generations);
    if (s->generations == NULL)
        return;
    for (uint32_t g = 0; g < a->n_gens; g++) {
        elog_gen_stats *gs = &s->generations[g];
        gs->generation = g;
        gs->collections = a->collections[g];
        gs->parallel = a->parallel[g];
        gs->copied_bytes = a->copied[g];
        an_hist_summary(&a->pause_gen[g], &gs->pause);
    }
    s->copied_bytes = a->copied_total;
    s->max_live_bytes = a->max_live;
    s->max_size_bytes = a->max_size;
    s->heap_size_bytes = a->cur_size;
    s->heap_live_bytes = a->cur_live;
    for (size_t i = 0; i < a->n_caps_alloc; i++) {
        const cap_state *cs = a->caps[i];
        if (cs == NULL)
            continue;
        if (cs->has_alloc)
            s->allocated_bytes += cs->last_alloc;
        if (cs->has_sparks) {
            s->has_sparks = true;
            s->sparks.created += cs->sparks.created;
            s->sparks.converted += cs->sparks.converted;
            s->sparks.overflowed += cs->sparks.overflowed;
            s->sparks.dud += cs->sparks.dud;
            s->sparks.gcd += cs->sparks.gcd;
            s->sparks.fizzled += cs->sparks.fizzled;
            s->sparks.remaining += cs->sparks.remaining;
        }
    }

    /* Threads. */
    /* room for a thread per capability seen so far only in its RUN */
    s->threads = snap_alloc(sn, (a->threads_used + a->n_caps_alloc + 1) * sizeof *s->threads);
    if (s->threads == NULL)
        return;
    size_t ti = 0;
    for (size_t i = 0; i < a->keys_cap; i++) {
        if (a->tkeys[i] == 0)
            continue;
        const thread_rec *r = &a->recs[TKEY_IDX(a->tkeys[i])];
        elog_thread_stats *t = &s->threads[ti++];
        t->thread = r->id;
        t->label = str_dup(sn, r->label);
        t->created_ns = r->created_ns;
        t->finished_ns = r->finished_ns;
        t->runs = r->runs;
        t->running_ns = r->running_ns;
        t->migrations = r->migrations;
        for (size_t k = 0; k < ELOG_STOP_REASONS; k++)
            t->stop_reasons[k] = r->stop_reasons[k];
        t->state = TKEY_STATE(a->tkeys[i]);
    }
    /* A thread still running at the end: its open run (the analysis
     * counts a run and its time when it ends), and a thread seen only in
     * that RUN so far. */
    for (size_t i = 0; i < a->n_caps_alloc; i++) {
        const cap_state *cs = a->caps[i];
        if (cs == NULL || !cs->running)
            continue;
        uint64_t d = end > cs->run_start ? end - cs->run_start : 0;
        size_t k = 0;
        while (k < ti && s->threads[k].thread != cs->thread)
            k++;
        if (k == ti) {
            if (an_dropped_contains(a, cs->thread))
                continue;
            elog_thread_stats *t = &s->threads[ti++];
            memset(t, 0, sizeof *t);
            t->thread = cs->thread;
            t->label = "";
            t->created_ns = t->finished_ns = UINT64_MAX;
            t->state = ELOG_THREAD_RUNNABLE;
        }
        elog_thread_stats *t = &s->threads[k];
        t->runs++;
        t->running_ns += d;
        t->open = true;
        if (t->state != ELOG_THREAD_FINISHED)
            t->state = ELOG_THREAD_RUNNING;
    }
    for (size_t k = 0; k < ti; k++)
        s->thread_states[s->threads[k].state]++;
    qsort(s->threads, ti, sizeof *s->threads, cmp_thread);
    /* The max_threads longest-running finished threads (between two
     * compactions the analysis holds up to 4 * max_threads + 64 more); the others
     * count as dropped, as compaction would have made them. */
    size_t kept_finished = 0, w = 0;
    uint64_t trimmed = 0;
    for (size_t k = 0; k < ti; k++) {
        if (s->threads[k].state == ELOG_THREAD_FINISHED) {
            if (kept_finished >= a->cfg.max_threads) {
                trimmed++;
                continue;
            }
            kept_finished++;
        }
        s->threads[w++] = s->threads[k];
    }
    ti = w;
    s->n_threads = ti;
    s->threads_dropped = a->threads_dropped + trimmed;
    s->threads_created = a->threads_created;
    s->threads_finished = a->threads_finished;
    s->thread_states[ELOG_THREAD_FINISHED] = a->threads_finished;

    /* Heap series. */
    s->heap = snap_alloc(sn, NB * sizeof *s->heap);
    if (s->heap == NULL)
        return;
    memcpy(s->heap, a->heap, NB * sizeof *s->heap);

    /* Census labels by total, "other" last; census bytes in that order. */
    size_t nl = a->n_census_labels;
    bool other = a->census_label_total[L] > 0;
    size_t nout = nl + (other ? 1 : 0);
    label_order *ord = snap_alloc(sn, (nl ? nl : 1) * sizeof *ord);
    s->census_labels = snap_alloc(sn, (nout ? nout : 1) * sizeof *s->census_labels);
    if (ord == NULL || s->census_labels == NULL)
        return;
    for (size_t i = 0; i < nl; i++)
        ord[i] = (label_order){ a->census_label_total[i], (uint32_t)i };
    qsort(ord, nl, sizeof *ord, cmp_label_order);
    for (size_t i = 0; i < nl; i++) {
        elog_label_bytes *lb = &s->census_labels[i];
        lb->label = str_dup(sn, a->census_labels[ord[i].index].text);
        lb->total_bytes = a->census_label_total[ord[i].index];
        lb->max_bytes = a->census_label_max[ord[i].index];
    }
    if (other)
        s->census_labels[nl] = (elog_label_bytes){ "other", a->census_label_total[L],
                                                   a->census_label_max[L] };
    s->n_census_labels = nout;
    s->n_censuses = a->n_censuses;
    s->censuses_seen = a->censuses_seen;
    s->censuses = snap_alloc(sn, (a->n_censuses ? a->n_censuses : 1) * sizeof *s->censuses);
    if (s->censuses == NULL)
        return;
    for (size_t c = 0; c < a->n_censuses; c++) {
        uint64_t *b = snap_alloc(sn, (nout ? nout : 1) * sizeof *b);
        if (b == NULL)
            return;
        for (size_t i = 0; i < nl; i++)
            b[i] = a->censuses[c].bytes[ord[i].index];
        if (other)
            b[nl] = a->censuses[c].bytes[L];
        s->censuses[c] = (elog_census){ a->censuses[c].time, a->censuses[c].total, b };
    }

    /* Spans, with the open ones closed at the end. */
    span_acc *acc = snap_alloc(sn, (L + 1) * sizeof *acc);
    if (acc == NULL)
        return;
    memcpy(acc, a->spans, (L + 1) * sizeof *acc);
    const double *bounds = elog_span_bucket_bounds();
    for (size_t k = 0; k < a->n_open; k++) {
        const open_span *o = &a->open[k];
        span_acc *sa = &acc[o->label];
        uint64_t d = end > o->start ? end - o->start : 0;
        if (sa->count == 0 || d < sa->min)
            sa->min = d;
        if (d > sa->max)
            sa->max = d;
        sa->count++;
        sa->total += d;
        sa->open++;
        size_t b = 0;
        while (b < ELOG_SPAN_BUCKETS && (double)d > bounds[b] * 1e9)
            b++;
        sa->buckets[b]++;
    }
    size_t ns = 0;
    s->spans = snap_alloc(sn, (L + 1) * sizeof *s->spans);
    if (s->spans == NULL)
        return;
    for (size_t i = 0; i <= L; i++) {
        if (i < L && i >= a->n_span_labels)
            continue;
        if (i == L && acc[L].count == 0)
            continue;
        elog_span_stats *sp = &s->spans[ns++];
        sp->label = i == L ? "other" : str_dup(sn, a->span_labels[i].text);
        sp->count = acc[i].count;
        sp->total_ns = acc[i].total;
        sp->mean_ns = acc[i].count ? acc[i].total / acc[i].count : 0;
        sp->max_ns = acc[i].max;
        sp->min_ns = acc[i].min;
        sp->open = acc[i].open;
        memcpy(sp->buckets, acc[i].buckets, sizeof sp->buckets);
    }
    /* "other" stays last. */
    size_t sortable = ns > 0 && acc[L].count > 0 ? ns - 1 : ns;
    qsort(s->spans, sortable, sizeof *s->spans, cmp_span);
    s->n_spans = ns;
    s->unmatched_starts = a->unmatched_starts;
    s->unmatched_stops = a->unmatched_stops + a->n_pending;

    s->has_end = a->has_end;
    s->end = a->end;
    s->end_reason = str_dup(sn, a->end_reason);
    s->oom = a->oom;
}

elog_stats *elog_analysis_snapshot(const elog_analysis *a)
{
    snap sn = { a, NULL, NULL, false };
    elog_stats *s = snap_alloc(&sn, sizeof *s);
    snap_mem *m = snap_alloc(&sn, sizeof *m);
    if (s == NULL || m == NULL) {
        arena_free(a->al, sn.blocks);
        return NULL;
    }
    sn.s = s;
    build(&sn);
    if (sn.failed) {
        arena_free(a->al, sn.blocks);
        return NULL;
    }
    m->al = a->al;
    m->blocks = sn.blocks;
    s->mem_ = m;
    return s;
}

void elog_stats_free(elog_stats *s)
{
    if (s == NULL)
        return;
    snap_mem *m = s->mem_;
    arena_free(m->al, m->blocks);
}

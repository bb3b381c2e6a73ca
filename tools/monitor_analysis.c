/*
 * Bridge to the library's analyses (include/eventlog/analysis.h): see
 * monitor_analysis.h.
 *
 * Counters come from the analysis snapshot (collections, copied bytes,
 * allocation, capability time, sparks). The two histograms come from the
 * analysis' completion hooks, which hand over each GC pause and each user
 * span once it has ended: a histogram bucket then only ever grows, which a
 * snapshot's provisionally closed intervals could not promise.
 */
#include "monitor_analysis.h"

#include "eventlog/analysis.h"

#include <stdlib.h>
#include <string.h>

typedef struct impl {
    elog_analysis *an;
    /* this session's histograms, filled by the hooks */
    mon_hist pause[MON_MAX_GENS];
    unsigned pause_gens;          /* generations seen by the hook */
    mon_hist span[MON_MAX_SPAN_LABELS];
    mon_hist span_other;
    bool span_other_used;
    mon_analysis *owner;
} impl;

/* A label cut to MON_LABEL_MAX bytes without splitting a UTF-8 character. */
static size_t cut_label(const char *s, size_t n)
{
    if (n <= MON_LABEL_MAX)
        return n;
    n = MON_LABEL_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void on_pause(void *ctx, const elog_pause *p)
{
    impl *im = ctx;
    if (p->open || p->generation == UINT32_MAX || p->end_ns < p->start_ns)
        return;
    unsigned g = p->generation < MON_MAX_GENS ? p->generation : MON_MAX_GENS - 1;
    mon_hist_add(&im->pause[g], mon_pause_bounds, mon_pause_nbounds,
                 (double)(p->end_ns - p->start_ns) / 1e9);
    if (g + 1 > im->pause_gens)
        im->pause_gens = g + 1;
}

static void on_span(void *ctx, const char *label, size_t len, uint64_t start, uint64_t end)
{
    impl *im = ctx;
    mon_analysis *a = im->owner;
    double v = end >= start ? (double)(end - start) / 1e9 : 0.0;
    size_t n = cut_label(label, len);
    /* The first span_labels labels seen keep a series of their own for the
     * monitor's life ("other" is the folded rest, never a label's own). */
    bool other = n == 5 && memcmp(label, "other", 5) == 0;
    unsigned i = 0;
    if (!other) {
        for (i = 0; i < a->n_labels; i++)
            if (strlen(a->labels[i]) == n && memcmp(a->labels[i], label, n) == 0)
                break;
        if (i == a->n_labels) {
            if (a->n_labels < a->span_labels) {
                memcpy(a->labels[i], label, n);
                a->labels[i][n] = '\0';
                a->n_labels++;
            } else {
                other = true;
            }
        }
    }
    if (other) {
        mon_hist_add(&im->span_other, mon_span_bounds, mon_span_nbounds, v);
        im->span_other_used = true;
    } else {
        mon_hist_add(&im->span[i], mon_span_bounds, mon_span_nbounds, v);
    }
}

int mon_analysis_init(mon_analysis *a, unsigned span_labels)
{
    memset(a, 0, sizeof *a);
    a->span_labels = span_labels;
    impl *im = calloc(1, sizeof *im);
    if (im == NULL)
        return -1;
    im->owner = a;
    im->an = elog_analysis_new(NULL);
    if (im->an == NULL) {
        free(im);
        return -1;
    }
    elog_analysis_set_hooks(im->an, on_pause, on_span, im);
    a->impl = im;
    return 0;
}

void mon_analysis_free(mon_analysis *a)
{
    impl *im = a->impl;
    if (im == NULL)
        return;
    elog_analysis_free(im->an);
    free(im);
    a->impl = NULL;
}

void mon_analysis_settings(elog_settings *s)
{
    /* Every event is decoded (no settings.select): eventlog_events_total
     * counts them all as they arrive, and the analyses' own share of the
     * cost dominates anyway (bench/RESULTS.md, Monitor). */
    (void)s;
}

void mon_analysis_reset(mon_analysis *a)
{
    impl *im = a->impl;
    elog_analysis_reset(im->an);
    memset(im->pause, 0, sizeof im->pause);
    im->pause_gens = 0;
    memset(im->span, 0, sizeof im->span);
    memset(&im->span_other, 0, sizeof im->span_other);
    im->span_other_used = false;
}

int mon_analysis_on_header(mon_analysis *a, elog_decoder *d, const elog_header *h)
{
    (void)d;
    impl *im = a->impl;
    return elog_analysis_on_header(im->an, h);
}

int mon_analysis_on_event(mon_analysis *a, elog_decoder *d, const elog_event *ev)
{
    (void)d;
    impl *im = a->impl;
    /* Out of memory inside the analysis leaves it consistent but
     * incomplete; the monitor goes on with what it has. */
    (void)elog_analysis_on_event(im->an, ev);
    return ELOG_CB_CONTINUE;
}

void mon_analysis_fill(mon_analysis *a, mon_snapshot *cur, bool final)
{
    impl *im = a->impl;
    elog_stats *st = elog_analysis_snapshot(im->an);
    if (st == NULL)
        return; /* out of memory: this publication lacks the analysis figures */
    cur->have_analysis = true;

    unsigned ng = im->pause_gens;
    for (size_t i = 0; i < st->n_generations; i++) {
        const elog_gen_stats *g = &st->generations[i];
        unsigned k = g->generation < MON_MAX_GENS ? g->generation : MON_MAX_GENS - 1;
        cur->gens[k].collections += g->collections;
        cur->gens[k].parallel += g->parallel;
        cur->gens[k].copied_bytes += g->copied_bytes;
        if (k + 1 > ng)
            ng = k + 1;
    }
    cur->n_gens = ng;
    for (unsigned k = 0; k < ng; k++)
        cur->gens[k].pause = im->pause[k];

    cur->allocated_bytes = st->allocated_bytes;
    /* The latest heap figures: the last time bucket that has each (the
     * snapshot has no "current value"; a bucket holds the largest of its
     * interval). */
    for (size_t i = st->n_buckets; i-- > 0 && (cur->heap_size == 0 || cur->heap_live == 0);) {
        if (cur->heap_size == 0)
            cur->heap_size = st->heap[i].size_bytes;
        if (cur->heap_live == 0)
            cur->heap_live = st->heap[i].live_bytes;
    }
    cur->have_heap = cur->heap_size != 0 || cur->heap_live != 0;

    for (size_t i = 0; i < st->n_caps; i++) {
        const elog_cap_stats *c = &st->caps[i];
        if (c->cap >= MON_MAX_CAPS)
            continue;
        /* Live: the finished intervals only (an open one is closed at the
         * latest timestamp of any capability, which this capability's own
         * later block may precede: it would shrink again). */
        cur->caps[c->cap].mutator = (double)(final ? c->mutator_ns : c->closed_mutator_ns) / 1e9;
        cur->caps[c->cap].gc = (double)(final ? c->gc_ns : c->closed_gc_ns) / 1e9;
        cur->caps[c->cap].idle = (double)(final ? c->idle_ns : c->closed_idle_ns) / 1e9;
        if (c->cap + 1 > cur->n_caps)
            cur->n_caps = c->cap + 1;
    }

    cur->have_threads = st->threads_created > 0 || st->n_threads > 0;
    cur->threads[MON_THREAD_RUNNING] = st->thread_states[ELOG_THREAD_RUNNING];
    cur->threads[MON_THREAD_RUNNABLE] = st->thread_states[ELOG_THREAD_RUNNABLE];
    cur->threads[MON_THREAD_BLOCKED] = st->thread_states[ELOG_THREAD_BLOCKED];

    cur->have_sparks = st->has_sparks;
    cur->sparks[MON_SPARK_CREATED] = st->sparks.created;
    cur->sparks[MON_SPARK_CONVERTED] = st->sparks.converted;
    cur->sparks[MON_SPARK_OVERFLOWED] = st->sparks.overflowed;
    cur->sparks[MON_SPARK_DUD] = st->sparks.dud;
    cur->sparks[MON_SPARK_GCD] = st->sparks.gcd;
    cur->sparks[MON_SPARK_FIZZLED] = st->sparks.fizzled;
    elog_stats_free(st);

    cur->n_spans = a->n_labels;
    for (unsigned i = 0; i < a->n_labels; i++) {
        memcpy(cur->spans[i].label, a->labels[i], sizeof cur->spans[i].label);
        cur->spans[i].h = im->span[i];
    }
    cur->have_span_other = im->span_other_used;
    cur->span_other = im->span_other;
}

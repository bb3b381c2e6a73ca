/*
 * The monitor's metrics, described once: every family (name, kind, help,
 * unit) and its samples, walked over a snapshot for a writer (the
 * Prometheus exposition in monitor_expo.c, OTLP JSON in monitor_otlp.c), so
 * that both exports carry the same names, labels and values.
 */
#include "monitor.h"

#include <stdio.h>
#include <string.h>

const double mon_pause_bounds[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                    0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
const unsigned mon_pause_nbounds = sizeof mon_pause_bounds / sizeof mon_pause_bounds[0];
const double mon_span_bounds[] = { 0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                   0.5, 1, 2.5, 5, 10, 30, 60, 300 };
const unsigned mon_span_nbounds = sizeof mon_span_bounds / sizeof mon_span_bounds[0];

const double mon_scrape_bounds[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                     0.025, 0.05, 0.1 };
const unsigned mon_scrape_nbounds = sizeof mon_scrape_bounds / sizeof mon_scrape_bounds[0];

void mon_shared_copy(mon_shared *sh, mon_snapshot *dst)
{
    pthread_mutex_lock(&sh->lock);
    memcpy(dst, &sh->snap, sizeof *dst);
    dst->scrapes = sh->scrapes;
    pthread_mutex_unlock(&sh->lock);
}

void mon_hist_add(mon_hist *h, const double *bounds, unsigned nbounds, double v)
{
    h->count++;
    h->sum += v;
    for (unsigned i = 0; i < nbounds; i++)
        if (v <= bounds[i]) {
            h->bucket[i]++;
            return;
        }
    /* above the last bound: only in +Inf, which is `count` */
}

static void fam(const mon_visitor *v, const char *name, mon_kind kind, const char *unit,
                const char *help)
{
    v->family(v->ctx, name, kind, unit, help);
}

static void u64(const mon_visitor *v, const mon_label *l, unsigned n, uint64_t x)
{
    v->value(v->ctx, l, n, true, x, 0.0);
}

static void f64(const mon_visitor *v, const mon_label *l, unsigned n, double x)
{
    v->value(v->ctx, l, n, false, 0, x);
}

static void end(const mon_visitor *v)
{
    if (v->end_family != NULL)
        v->end_family(v->ctx);
}

static void self_metrics(const mon_snapshot *s, const mon_visitor *v)
{
    fam(v, "eventlog_events_total", MON_COUNTER, "1", "Events decoded, over all sessions.");
    u64(v, NULL, 0, s->events);
    end(v);
    fam(v, "eventlog_bytes_total", MON_COUNTER, "By", "Eventlog bytes received, over all sessions.");
    u64(v, NULL, 0, s->bytes);
    end(v);
    fam(v, "eventlog_sessions_total", MON_COUNTER, "1",
        "Sessions begun (connections to the program, or openings of the file) that sent an "
        "eventlog header.");
    u64(v, NULL, 0, s->sessions);
    end(v);
    fam(v, "eventlog_connected", MON_GAUGE, "1", "1 while a session is running, else 0.");
    u64(v, NULL, 0, s->connected ? 1 : 0);
    end(v);
    fam(v, "eventlog_decode_errors_total", MON_COUNTER, "1",
        "Sessions that ended with a decoding error (the monitor then reconnects).");
    u64(v, NULL, 0, s->decode_errors);
    end(v);
    fam(v, "eventlog_late_events_total", MON_COUNTER, "1",
        "Events stamped earlier than the previous event of their capability (the RTS stamps "
        "some, e.g. GC ends, before writing them); the analyses measure each interval on one "
        "capability timeline.");
    u64(v, NULL, 0, s->late_events);
    end(v);
    fam(v, "eventlog_scrape_duration_seconds", MON_HISTOGRAM, "s",
        "Time the monitor took to answer GET /metrics (copying the snapshot and formatting "
        "it), up to the previous scrape.");
    v->histogram(v->ctx, NULL, 0, &s->scrapes, mon_scrape_bounds, mon_scrape_nbounds);
    end(v);
}

static void ghc_metrics(const mon_snapshot *s, const mon_visitor *v)
{
    char g[16];
    mon_label l[2];
    l[0].name = "generation";
    l[0].value = g;

    fam(v, "ghc_gc_collections_total", MON_COUNTER, "1", "Garbage collections, per generation.");
    for (unsigned k = 0; k < s->n_gens; k++) {
        snprintf(g, sizeof g, "%u", k);
        u64(v, l, 1, s->gens[k].collections);
    }
    end(v);
    fam(v, "ghc_gc_parallel_collections_total", MON_COUNTER, "1",
        "Garbage collections done by more than one GC thread, per generation.");
    for (unsigned k = 0; k < s->n_gens; k++) {
        snprintf(g, sizeof g, "%u", k);
        u64(v, l, 1, s->gens[k].parallel);
    }
    end(v);
    fam(v, "ghc_gc_copied_bytes_total", MON_COUNTER, "By",
        "Bytes copied by garbage collections, per generation.");
    for (unsigned k = 0; k < s->n_gens; k++) {
        snprintf(g, sizeof g, "%u", k);
        u64(v, l, 1, s->gens[k].copied_bytes);
    }
    end(v);
    fam(v, "ghc_gc_pause_seconds", MON_HISTOGRAM, "s",
        "Garbage collection pauses (all capabilities stopped), per generation.");
    for (unsigned k = 0; k < s->n_gens; k++) {
        snprintf(g, sizeof g, "%u", k);
        v->histogram(v->ctx, l, 1, &s->gens[k].pause, mon_pause_bounds, mon_pause_nbounds);
    }
    end(v);

    fam(v, "ghc_allocated_bytes_total", MON_COUNTER, "By", "Bytes allocated by the program.");
    u64(v, NULL, 0, s->allocated_bytes);
    end(v);
    fam(v, "ghc_heap_size_bytes", MON_GAUGE, "By", "Current heap size of the program.");
    if (s->have_heap)
        u64(v, NULL, 0, s->heap_size);
    end(v);
    fam(v, "ghc_heap_live_bytes", MON_GAUGE, "By", "Live bytes after the latest garbage collection.");
    if (s->have_heap)
        u64(v, NULL, 0, s->heap_live);
    end(v);

    fam(v, "ghc_capability_seconds_total", MON_COUNTER, "s",
        "Time each capability spent running Haskell code, collecting garbage, or idle.");
    static const char *const cstate[3] = { "mutator", "gc", "idle" };
    char cap[16];
    mon_label cl[2] = { { "cap", cap }, { "state", NULL } };
    for (unsigned c = 0; c < s->n_caps; c++) {
        snprintf(cap, sizeof cap, "%u", c);
        const double x[3] = { s->caps[c].mutator, s->caps[c].gc, s->caps[c].idle };
        for (int k = 0; k < 3; k++) {
            cl[1].value = cstate[k];
            f64(v, cl, 2, x[k]);
        }
    }
    end(v);

    fam(v, "ghc_threads", MON_GAUGE, "1", "Haskell threads of the program, by state.");
    static const char *const tstate[MON_THREAD_STATES] = { "running", "runnable", "blocked" };
    mon_label tl = { "state", NULL };
    if (s->have_threads)
        for (int k = 0; k < MON_THREAD_STATES; k++) {
            tl.value = tstate[k];
            u64(v, &tl, 1, s->threads[k]);
        }
    end(v);

    fam(v, "ghc_sparks_total", MON_COUNTER, "1", "Sparks, by outcome.");
    static const char *const outcome[MON_SPARK_OUTCOMES] = { "created", "converted",
        "overflowed", "dud", "gcd", "fizzled" };
    mon_label ol = { "outcome", NULL };
    if (s->have_sparks)
        for (int k = 0; k < MON_SPARK_OUTCOMES; k++) {
            ol.value = outcome[k];
            u64(v, &ol, 1, s->sparks[k]);
        }
    end(v);

    fam(v, "ghc_user_span_seconds", MON_HISTOGRAM, "s",
        "User spans (traceEvent \"START label\" ... \"STOP label\"), per label; labels beyond "
        "the first N seen are counted as label=\"other\".");
    mon_label sl = { "label", NULL };
    for (unsigned i = 0; i < s->n_spans; i++) {
        sl.value = s->spans[i].label;
        v->histogram(v->ctx, &sl, 1, &s->spans[i].h, mon_span_bounds, mon_span_nbounds);
    }
    if (s->have_span_other) {
        sl.value = "other";
        v->histogram(v->ctx, &sl, 1, &s->span_other, mon_span_bounds, mon_span_nbounds);
    }
    end(v);
}

void mon_visit(const mon_snapshot *s, const mon_visitor *v)
{
    self_metrics(s, v);
    if (s->have_analysis)
        ghc_metrics(s, v);
}

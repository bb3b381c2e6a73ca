/*
 * The Prometheus text exposition format, version 0.0.4, of a monitor
 * snapshot: a HELP and a TYPE line per family, then its samples. Metric and
 * label names are constants here; label values that come from the program
 * (span labels) are escaped; counters are printed as integers where they
 * are counts, seconds with 15 significant digits.
 */
#include "monitor.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double mon_pause_bounds[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                    0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
const unsigned mon_pause_nbounds = sizeof mon_pause_bounds / sizeof mon_pause_bounds[0];
const double mon_span_bounds[] = { 0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                   0.5, 1, 2.5, 5, 10, 30, 60, 300 };
const unsigned mon_span_nbounds = sizeof mon_span_bounds / sizeof mon_span_bounds[0];

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

/* ------------------------------------------------------------- buffer */

void mon_buf_free(mon_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static bool reserve(mon_buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 16384;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void put(mon_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(mon_buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void printf_(mon_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void printf_(mon_buf *b, const char *fmt, ...)
{
    /* Only short pieces go through here (names, numbers): never cut. */
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        b->failed = true;
    else
        put(b, tmp, (size_t)n);
}

void mon_expo_label_value(mon_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\')
            put(b, "\\\\", 2);
        else if (c == '"')
            put(b, "\\\"", 2);
        else if (c == '\n')
            put(b, "\\n", 2);
        else
            put(b, &c, 1);
    }
}

/* ------------------------------------------------------------- format */

static void family(mon_buf *b, const char *name, const char *type, const char *help)
{
    /* help texts are constants without backslashes or newlines */
    puts_(b, "# HELP ");
    puts_(b, name);
    puts_(b, " ");
    puts_(b, help);
    puts_(b, "\n# TYPE ");
    puts_(b, name);
    puts_(b, " ");
    puts_(b, type);
    puts_(b, "\n");
}

static void u64(mon_buf *b, const char *name, uint64_t v)
{
    printf_(b, "%s %" PRIu64 "\n", name, v);
}

static void dbl(mon_buf *b, double v)
{
    printf_(b, "%.15g", v);
}

/* A histogram's samples, with one fixed label (`lname`="lvalue") or none. */
static void histogram(mon_buf *b, const char *name, const char *lname, const char *lvalue,
                      const mon_hist *h, const double *bounds, unsigned nbounds)
{
    uint64_t cum = 0;
    for (unsigned i = 0; i <= nbounds; i++) {
        printf_(b, "%s_bucket{", name);
        if (lname != NULL) {
            printf_(b, "%s=\"", lname);
            mon_expo_label_value(b, lvalue, strlen(lvalue));
            puts_(b, "\",");
        }
        if (i < nbounds) {
            cum += h->bucket[i];
            puts_(b, "le=\"");
            dbl(b, bounds[i]);
            printf_(b, "\"} %" PRIu64 "\n", cum);
        } else {
            printf_(b, "le=\"+Inf\"} %" PRIu64 "\n", h->count);
        }
    }
    const char *suffix[2] = { "_sum", "_count" };
    for (int k = 0; k < 2; k++) {
        printf_(b, "%s%s", name, suffix[k]);
        if (lname != NULL) {
            printf_(b, "{%s=\"", lname);
            mon_expo_label_value(b, lvalue, strlen(lvalue));
            puts_(b, "\"}");
        }
        if (k == 0) {
            puts_(b, " ");
            dbl(b, h->sum);
            puts_(b, "\n");
        } else {
            printf_(b, " %" PRIu64 "\n", h->count);
        }
    }
}

static void self_metrics(mon_buf *b, const mon_snapshot *s)
{
    family(b, "eventlog_events_total", "counter", "Events decoded, over all sessions.");
    u64(b, "eventlog_events_total", s->events);
    family(b, "eventlog_bytes_total", "counter", "Eventlog bytes received, over all sessions.");
    u64(b, "eventlog_bytes_total", s->bytes);
    family(b, "eventlog_sessions_total", "counter",
           "Sessions begun (connections to the program, or openings of the file).");
    u64(b, "eventlog_sessions_total", s->sessions);
    family(b, "eventlog_connected", "gauge", "1 while a session is running, else 0.");
    u64(b, "eventlog_connected", s->connected ? 1 : 0);
    family(b, "eventlog_decode_errors_total", "counter",
           "Sessions that ended with a decoding error (the monitor then reconnects).");
    u64(b, "eventlog_decode_errors_total", s->decode_errors);
    family(b, "eventlog_late_events_total", "counter",
           "Events stamped earlier than the previous event of their capability (the RTS stamps some, e.g. GC ends, before writing them); the analyses measure each interval on one capability timeline.");
    u64(b, "eventlog_late_events_total", s->late_events);
}

static void gen_label(char *buf, size_t cap, unsigned g)
{
    snprintf(buf, cap, "%u", g);
}

static void ghc_metrics(mon_buf *b, const mon_snapshot *s)
{
    char l[32];
    family(b, "ghc_gc_collections_total", "counter", "Garbage collections, per generation.");
    for (unsigned g = 0; g < s->n_gens; g++)
        printf_(b, "ghc_gc_collections_total{generation=\"%u\"} %" PRIu64 "\n", g,
                s->gens[g].collections);
    family(b, "ghc_gc_parallel_collections_total", "counter",
           "Garbage collections done by more than one GC thread, per generation.");
    for (unsigned g = 0; g < s->n_gens; g++)
        printf_(b, "ghc_gc_parallel_collections_total{generation=\"%u\"} %" PRIu64 "\n", g,
                s->gens[g].parallel);
    family(b, "ghc_gc_copied_bytes_total", "counter",
           "Bytes copied by garbage collections, per generation.");
    for (unsigned g = 0; g < s->n_gens; g++)
        printf_(b, "ghc_gc_copied_bytes_total{generation=\"%u\"} %" PRIu64 "\n", g,
                s->gens[g].copied_bytes);
    family(b, "ghc_gc_pause_seconds", "histogram",
           "Garbage collection pauses (all capabilities stopped), per generation.");
    for (unsigned g = 0; g < s->n_gens; g++) {
        gen_label(l, sizeof l, g);
        histogram(b, "ghc_gc_pause_seconds", "generation", l, &s->gens[g].pause,
                  mon_pause_bounds, mon_pause_nbounds);
    }
    family(b, "ghc_allocated_bytes_total", "counter", "Bytes allocated by the program.");
    u64(b, "ghc_allocated_bytes_total", s->allocated_bytes);
    family(b, "ghc_heap_size_bytes", "gauge", "Current heap size of the program.");
    if (s->have_heap)
        u64(b, "ghc_heap_size_bytes", s->heap_size);
    family(b, "ghc_heap_live_bytes", "gauge", "Live bytes after the latest garbage collection.");
    if (s->have_heap)
        u64(b, "ghc_heap_live_bytes", s->heap_live);
    family(b, "ghc_capability_seconds_total", "counter",
           "Time each capability spent running Haskell code, collecting garbage, or idle.");
    static const char *const cstate[3] = { "mutator", "gc", "idle" };
    for (unsigned c = 0; c < s->n_caps; c++) {
        const double v[3] = { s->caps[c].mutator, s->caps[c].gc, s->caps[c].idle };
        for (int k = 0; k < 3; k++) {
            printf_(b, "ghc_capability_seconds_total{cap=\"%u\",state=\"%s\"} ", c, cstate[k]);
            dbl(b, v[k]);
            puts_(b, "\n");
        }
    }
    family(b, "ghc_threads", "gauge", "Haskell threads of the program, by state.");
    static const char *const tstate[MON_THREAD_STATES] = { "running", "runnable", "blocked" };
    if (s->have_threads)
        for (int k = 0; k < MON_THREAD_STATES; k++)
            printf_(b, "ghc_threads{state=\"%s\"} %" PRIu64 "\n", tstate[k], s->threads[k]);
    family(b, "ghc_sparks_total", "counter", "Sparks, by outcome.");
    static const char *const outcome[MON_SPARK_OUTCOMES] = { "created", "converted",
        "overflowed", "dud", "gcd", "fizzled" };
    if (s->have_sparks)
        for (int k = 0; k < MON_SPARK_OUTCOMES; k++)
            printf_(b, "ghc_sparks_total{outcome=\"%s\"} %" PRIu64 "\n", outcome[k], s->sparks[k]);
    family(b, "ghc_user_span_seconds", "histogram",
           "User spans (traceEvent \"START label\" ... \"STOP label\"), per label; labels "
           "beyond the first N seen are counted as label=\"other\".");
    for (unsigned i = 0; i < s->n_spans; i++)
        histogram(b, "ghc_user_span_seconds", "label", s->spans[i].label, &s->spans[i].h,
                  mon_span_bounds, mon_span_nbounds);
    if (s->have_span_other)
        histogram(b, "ghc_user_span_seconds", "label", "other", &s->span_other,
                  mon_span_bounds, mon_span_nbounds);
}

void mon_expo_write(mon_buf *b, const mon_snapshot *s)
{
    self_metrics(b, s);
    if (s->have_analysis)
        ghc_metrics(b, s);
}

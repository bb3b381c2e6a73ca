/*
 * Analyses of a decoded eventlog in one streaming pass: the RTS's own
 * `+RTS -s` summary, GC pauses, capabilities, threads, heap, sparks and user
 * spans (`eventlog stats`, Python libeventlog.stats(), the monitor's metrics).
 *
 * Model:
 *   - An elog_analysis is a consumer: state plus two entry points,
 *     elog_analysis_on_header() and elog_analysis_on_event(), that a caller
 *     forwards the decoder's callbacks to. It never reads input itself, so it
 *     sits behind anything that delivers decoded events: a file reader, a
 *     socket session, a push decoder, a time-ordered merge; several
 *     consumers (an exporter, a printer) share the same decode pass by being
 *     called one after another from the caller's callbacks.
 *     elog_analysis_attach() fills an elog_settings for the simple case of
 *     one decoder feeding only this analysis (d->data = the analysis).
 *   - Events may arrive in file order (each capability's events in time
 *     order, capabilities interleaved by blocks) or fully time-ordered.
 *     Intervals are measured on one capability's own timeline (runs, GCs,
 *     pauses), a span's STOP seen before its START (the thread migrated and
 *     the other capability's block came first) waits for it, and events
 *     about a finished thread already dropped are recognised; so the final
 *     figures are the same in either order. Live snapshots in file order may
 *     close a capability's open interval at a timestamp its own later block
 *     precedes: use elog_cap_stats' closed_* figures for counters that must
 *     never go down.
 *   - elog_analysis_snapshot() returns, at any moment (between two events,
 *     e.g. from an on_flush hook of a live source, or after the end), an
 *     immutable elog_stats: intervals still open (a GC, a running thread, a
 *     span) are closed at the last timestamp seen and flagged `open`. The
 *     analysis continues unchanged; the snapshot is the caller's to free.
 *
 * Precision: counts and byte figures are exact. Percentiles (p50/p90/p99) of
 * GC pauses come from a log-bucketed histogram: values below 128 ns exactly,
 * above that buckets 1/64 of a power of two wide, reported at the bucket's
 * midpoint (clamped to the exact min/max): relative error <= 0.8%. Mean,
 * total and max are exact.
 *
 * Memory is bounded independently of the log's length: about 0.3 MiB fixed
 * (pause histograms, span and census tables, open spans; 256 KiB more, a
 * cache of cost-centre stack labels, from the first -hc sample), 2 KiB per
 * capability (its utilisation buckets), and about 170 bytes per thread alive
 * at once, plus at most 5 * max_threads + 64 finished ones (compaction keeps
 * the max_threads longest-running and drops the others into sorted id
 * ranges, so events about a dropped thread that come later in the file, in
 * another capability's block, are recognised and ignored rather than
 * bringing it back as a live one; a dropped thread's late events thus do
 * not count towards its figures, only towards the capabilities'); at most
 * max_labels span labels and heap-profile labels each (further span labels
 * are counted under "other"; a new heap-profile label whose sample outgrows
 * the smallest label kept takes its place, the evicted one's bytes moving
 * to "other", so the largest labels are kept whatever their order); at most max_open_spans open spans (further STARTs
 * are counted as unmatched); time_buckets heap and utilisation buckets per
 * series (the width doubles when time runs past the last one); max_censuses
 * censuses (when full, every other one is dropped and only every 2nd, 4th,
 * ... new one kept); at most 8192 cost-centre names. Measured: 7.4 MiB peak
 * RSS for `eventlog stats` on a 329 MB log of 1 M threads (bench/RESULTS.md).
 *
 * Heap-profile censuses: HEAP_PROF_SAMPLE_STRING samples (-hT, -hd, -hy, ...)
 * by their label; HEAP_PROF_SAMPLE_COST_CENTRE samples (-hc) by their
 * cost-centre stack, names innermost first joined with '/' ("cc N" for a cost
 * centre not defined by HEAP_PROF_COST_CENTRE), at most 255 bytes.
 *
 * Thread safety: an analysis is used by one thread at a time (its feeding
 * and its snapshots); a snapshot is immutable and may be read from any
 * thread. No function here may be called on a decoder other than through
 * the callbacks it was given.
 *
 * Issue 16's API; fields may still be added before 1.0 (the ABI pass).
 */
#ifndef ELOG_ANALYSIS_H
#define ELOG_ANALYSIS_H

#include "../eventlog.h"
#include "show.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Capabilities from this number on share one entry of the per-capability
 * figures (the totals are unaffected). */
#define ELOG_ANALYSIS_MAX_CAPS 1024u
/* Generations with their own figures; collections of older generations
 * count in the last one's entry and in the overall figures. */
#define ELOG_ANALYSIS_MAX_GENS 8u
/* How many of the longest pauses are kept with their timestamps. */
#define ELOG_ANALYSIS_LONGEST 10u
/* Thread stop reasons by GHC's status code (STOP_THREAD.status), 0..20. */
#define ELOG_STOP_REASONS 21u
/* Fixed span-duration histogram bounds, seconds (Prometheus style `le`);
 * a last implicit +Inf bucket follows. */
#define ELOG_SPAN_BUCKETS 16u

typedef struct elog_analysis elog_analysis;

typedef struct elog_analysis_config {
    uint32_t max_threads;     /* finished threads kept (default 256) */
    uint32_t max_labels;      /* span labels / heap-profile labels each (default 64) */
    uint32_t max_open_spans;  /* START without STOP yet (default 4096) */
    uint32_t time_buckets;    /* buckets of utilisation and heap series (default 128);
                                 when full, their width doubles (pairs merge) */
    uint64_t bucket_ns;       /* initial bucket width, rounded up to a power of two
                                 ns (default 2^23 ns, about 8.4 ms) */
    uint32_t max_censuses;    /* heap-profile censuses kept (default 64) */
    const elog_allocator *allocator; /* NULL: malloc/free */
} elog_analysis_config;

/* Fills the defaults above. */
ELOG_API void elog_analysis_config_init(elog_analysis_config *c);

/* A new analysis (`cfg` NULL: defaults; it is copied). NULL if out of
 * memory. Not from a decoder callback of its own decoder. */
ELOG_API elog_analysis *elog_analysis_new(const elog_analysis_config *cfg);

/* Frees it (NULL is fine). Snapshots taken from it stay valid. */
ELOG_API void elog_analysis_free(elog_analysis *a);

/* Forgets everything seen (a new socket session, a new file). */
ELOG_API void elog_analysis_reset(elog_analysis *a);

/* Feeding. Call from the decoder's on_header / on_event (or a merge's
 * callback); safe from callbacks. Return ELOG_CB_CONTINUE, or ELOG_CB_ABORT
 * when out of memory (the analysis then stays consistent but incomplete;
 * elog_stats.oom says so). Block markers are accepted and ignored. */
ELOG_API int elog_analysis_on_header(elog_analysis *a, const elog_header *h);
ELOG_API int elog_analysis_on_event(elog_analysis *a, const elog_event *ev);

/* Optional, from the decoder's on_header (after elog_analysis_on_header()):
 * routes the analysis' hot types (thread creations, runs, stops, wakeups
 * and migrations: most of a busy log's events) to its handlers with
 * elog_route(), so they skip the caller's on_event and the analysis'
 * switch on the type. Only for a
 * decoder whose every event the analysis would get: those events no longer
 * reach on_event. Figures are the same either way. */
ELOG_API void elog_analysis_route(elog_analysis *a, elog_decoder *d);

/* Records how the input ended (elog_finish()'s result; `reason`: the
 * decoder's error reason or NULL). Copied; the snapshot reports it. */
ELOG_API void elog_analysis_on_end(elog_analysis *a, const elog_end *end, const char *reason);

/* Sets s->on_header and s->on_event to callbacks that forward to the
 * analysis found in d->data (the decoder's user pointer); the header
 * callback also routes the hot types (elog_analysis_route()). Other fields
 * of `s` are left as they are. */
ELOG_API void elog_analysis_attach(elog_settings *s);

/* true for the event ids whose fields the analysis reads: for an
 * elog_settings.select that skips the others (decoding is faster). Every
 * event also counts in the time span (start, end: hence mutator time,
 * productivity and idle time) and the event count, so with the others
 * skipped those figures may differ; the rest are the same. Pure,
 * thread-safe. */
ELOG_API bool elog_analysis_wants(uint16_t id);

/* Hooks called as each pause / span completes, for consumers that need
 * every value (exact Prometheus histograms). Called from inside
 * elog_analysis_on_event(); must not call back into the analysis. A pause
 * is reported once its GC_STATS_GHC arrives; open intervals never are (only
 * completed ones, so counters built on them never go down). The span hook's
 * label is the message's label text as logged: raw bytes (not sanitised,
 * not NUL-terminated, any number of distinct labels), valid during the call
 * only; bound and clean it on your side. `ctx` is the set_hooks one; NULL
 * hooks are not called. */
typedef struct elog_pause {
    uint64_t start_ns, end_ns;   /* the leading capability's GC_START..GC_END */
    uint32_t generation;         /* from its GC_STATS_GHC; UINT32_MAX unknown */
    uint16_t cap;                /* the capability that led the GC */
    bool open;                   /* closed at the last timestamp (snapshot only) */
} elog_pause;
typedef void (*elog_pause_hook)(void *ctx, const elog_pause *p);
typedef void (*elog_span_hook)(void *ctx, const char *label, size_t label_len,
                               uint64_t start_ns, uint64_t end_ns);
ELOG_API void elog_analysis_set_hooks(elog_analysis *a, elog_pause_hook on_pause,
                                      elog_span_hook on_span, void *ctx);

/* ---------------------------------------------------------------------------
 * Snapshots: plain data, every array owned by the snapshot.
 * ------------------------------------------------------------------------- */

typedef struct elog_duration_stats {
    uint64_t count, total_ns, mean_ns, p50_ns, p90_ns, p99_ns, max_ns, min_ns;
} elog_duration_stats;

typedef struct elog_gen_stats {
    uint32_t generation;
    uint64_t collections;     /* GC_STATS_GHC events of this generation */
    uint64_t parallel;        /* ... with more than one GC thread */
    uint64_t copied_bytes;    /* their copied bytes, summed */
    elog_duration_stats pause;
} elog_gen_stats;

typedef struct elog_cap_stats {
    uint32_t cap;
    uint64_t mutator_ns;      /* a Haskell thread running on it */
    uint64_t gc_ns;           /* between its GC_START and GC_END */
    uint64_t idle_ns;         /* the rest of [start_ns, end_ns] */
    bool open;                /* a run or GC was still open at the end */
    /* For counters that must never decrease between live snapshots: the
     * completed runs and GCs only, and the idle time between them from the
     * capability's first run/GC event up to its latest (not counting back
     * from a timestamp already passed, so never decreasing). */
    uint64_t closed_mutator_ns, closed_gc_ns, closed_idle_ns;
    uint64_t last_ns;         /* its latest run/GC event's timestamp */
} elog_cap_stats;

/* Utilisation over time: bucket i covers [i*bucket_ns, (i+1)*bucket_ns)
 * of RTS time; per capability `n_buckets` values, row-major
 * (cap index in `caps` order, then bucket). */
typedef struct elog_util_bucket {
    uint64_t mutator_ns, gc_ns; /* idle = bucket width - both (clipped at the end) */
} elog_util_bucket;

typedef enum elog_thread_state {
    ELOG_THREAD_RUNNING,
    ELOG_THREAD_RUNNABLE,
    ELOG_THREAD_BLOCKED,
    ELOG_THREAD_FINISHED,
    ELOG_THREAD_STATES
} elog_thread_state;

typedef struct elog_thread_stats {
    uint32_t thread;
    const char *label;        /* NUL-terminated; "" without THREAD_LABEL */
    uint64_t created_ns;      /* UINT64_MAX: creation not seen */
    uint64_t finished_ns;     /* UINT64_MAX: not finished */
    uint64_t runs;            /* RUN_THREAD events */
    uint64_t running_ns;
    uint64_t migrations;
    uint64_t stop_reasons[ELOG_STOP_REASONS]; /* by GHC status code */
    elog_thread_state state;
    bool open;                /* running at the end, closed at end_ns */
} elog_thread_stats;

typedef struct elog_heap_bucket {
    uint64_t size_bytes;      /* largest HEAP_SIZE in the bucket (0: none) */
    uint64_t live_bytes;      /* largest HEAP_LIVE in the bucket (0: none) */
    uint64_t allocated_bytes; /* bytes allocated during the bucket */
} elog_heap_bucket;

/* A heap-profile census: bytes of each of `census_labels` (the top labels
 * overall, then "other" last), label i at bytes[i]. */
typedef struct elog_census {
    uint64_t time_ns;
    uint64_t total_bytes;
    const uint64_t *bytes;    /* n_census_labels values */
} elog_census;

typedef struct elog_label_bytes {
    const char *label;        /* "other" for the folded rest */
    uint64_t total_bytes;     /* summed over all censuses */
    uint64_t max_bytes;       /* largest in one census */
} elog_label_bytes;

typedef struct elog_span_stats {
    const char *label;        /* "other": labels beyond max_labels */
    uint64_t count, total_ns, mean_ns, max_ns, min_ns;
    uint64_t open;            /* started, not stopped by the end (closed at end_ns,
                                 counted in count/total) */
    uint64_t buckets[ELOG_SPAN_BUCKETS + 1]; /* non-cumulative counts per bound */
} elog_span_stats;

typedef struct elog_spark_stats {
    uint64_t created, converted, overflowed, dud, gcd, fizzled, remaining;
} elog_spark_stats;

typedef struct elog_stats {
    /* time: start = first event's timestamp, end = the last one */
    uint64_t start_ns, end_ns;
    uint64_t gc_ns;           /* sum of pauses */
    uint64_t mutator_ns;      /* (end - start) - gc */
    double productivity;      /* mutator / (end - start); 0 for an empty span */
    uint64_t events;

    /* RTS summary (what +RTS -s prints) */
    elog_gen_stats *generations; size_t n_generations;
    elog_duration_stats pause;   /* all generations (and pauses without a gen) */
    uint64_t copied_bytes;
    uint64_t allocated_bytes;    /* sum over caps of the last HEAP_ALLOCATED */
    uint64_t max_live_bytes;     /* largest HEAP_LIVE */
    uint64_t max_size_bytes;     /* largest HEAP_SIZE */
    uint64_t heap_size_bytes;    /* the latest HEAP_SIZE (by timestamp), 0 if none */
    uint64_t heap_live_bytes;    /* the latest HEAP_LIVE (by timestamp), 0 if none */
    bool has_sparks;             /* any SPARK_COUNTERS seen */
    elog_spark_stats sparks;     /* sum over caps of their last SPARK_COUNTERS */

    /* pauses */
    elog_pause longest[ELOG_ANALYSIS_LONGEST]; size_t n_longest; /* longest first */
    bool pause_open;             /* a GC was running at the end (counted, gen unknown) */

    /* capabilities (cap order) and utilisation */
    elog_cap_stats *caps; size_t n_caps;
    uint64_t bucket_ns; size_t n_buckets;
    elog_util_bucket *util;      /* n_caps * n_buckets */

    /* threads: alive ones and the kept finished ones, by running_ns descending */
    elog_thread_stats *threads; size_t n_threads;
    uint64_t threads_dropped;    /* finished threads not kept individually */
    uint64_t threads_created, threads_finished;
    uint64_t thread_states[ELOG_THREAD_STATES]; /* gauge, counting all threads */

    /* heap over time (same buckets as util) and heap-profile censuses */
    elog_heap_bucket *heap; /* n_buckets */
    elog_census *censuses; size_t n_censuses;
    uint64_t censuses_seen;
    elog_label_bytes *census_labels; size_t n_census_labels;

    /* user spans, by total_ns descending; "other" last if used */
    elog_span_stats *spans; size_t n_spans;
    uint64_t unmatched_starts;   /* START dropped: too many open spans */
    uint64_t unmatched_stops;    /* STOP without its START */

    /* input end */
    bool has_end;
    elog_end end;
    const char *end_reason;      /* "" unless an error */
    bool oom;                    /* some figure is incomplete: out of memory */

    /* private */
    void *mem_;
} elog_stats;

/* An immutable copy of the figures so far (open intervals closed at the last
 * timestamp). NULL if out of memory. Safe between events, including from a
 * decoder callback (not from a pause/span hook). Free with elog_stats_free. */
ELOG_API elog_stats *elog_analysis_snapshot(const elog_analysis *a);
ELOG_API void elog_stats_free(elog_stats *s);

/* Static names. */
ELOG_API const char *elog_stop_reason_name(uint16_t status); /* "heap_overflow", ...; "unknown" */
ELOG_API const char *elog_thread_state_name(elog_thread_state s); /* "running", ... */
/* The span histogram bounds in seconds, ELOG_SPAN_BUCKETS values ascending. */
ELOG_API const double *elog_span_bucket_bounds(void);

/* Pause histogram for Prometheus: counts[i] = pauses of generation `gen`
 * (UINT32_MAX: all) of duration <= bounds_s[i] (cumulative; bounds
 * ascending, seconds), from the log-bucketed histogram (a pause within 1.6%
 * of a bound may land on either side; exact counts: elog_analysis_set_hooks).
 * Returns the total count. */
ELOG_API uint64_t elog_analysis_pause_cumulative(const elog_analysis *a, uint32_t gen,
                                                 const double *bounds_s, size_t n,
                                                 uint64_t *counts);

/* Writes the snapshot as the one JSON object of `eventlog stats --json`
 * (keys documented in README.md "eventlog stats"), no trailing newline. */
ELOG_API void elog_stats_write_json(elog_writer *w, const elog_stats *s);

/* Writes the human summary of `eventlog stats` (first block laid out like
 * `+RTS -s`). `top` limits the threads, labels and spans listed. */
ELOG_API void elog_stats_write_text(elog_writer *w, const elog_stats *s, size_t top);

#ifdef __cplusplus
}
#endif

#endif /* ELOG_ANALYSIS_H */

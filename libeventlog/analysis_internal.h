/* The state of an elog_analysis, shared by analysis.c (feeding),
 * analysis_snapshot.c (building an elog_stats) and analysis_hist.c (the
 * log-bucketed histogram). Not part of the public API. */
#ifndef ELOG_ANALYSIS_INTERNAL_H
#define ELOG_ANALYSIS_INTERNAL_H

#include "eventlog/analysis.h"

/* ------------------------------------------------------------ histogram */

/* Values below HIST_EXACT exactly; above, 64 buckets per power of two up to
 * 2^48 ns (larger values land in the last bucket; max stays exact). */
#define HIST_EXACT 128u
#define HIST_SUB 64u
#define HIST_TOP_BIT 48u
#define HIST_N (HIST_EXACT + (HIST_TOP_BIT - 7u + 1u) * HIST_SUB)

typedef struct hist {
    uint64_t count, total, max, min;
    uint64_t b[HIST_N];
} hist;

void an_hist_add(hist *h, uint64_t v);
/* The value at quantile q (0..1): bucket midpoint clamped to [min, max]. */
uint64_t an_hist_quantile(const hist *h, double q);
/* Pauses <= v (approximate within a bucket). */
uint64_t an_hist_count_le(const hist *h, uint64_t v);
void an_hist_summary(const hist *h, elog_duration_stats *out);

/* ------------------------------------------------------------ state */

/* -hc label cache: a census names each of its stacks once, ~4000 of them on
 * a -fprof-auto program; 4096 sets of four (256 KiB, allocated at the first
 * -hc sample) hold them, where two ways of 4096 missed one sample in five
 * on collisions. */
#define STACK_SETS 4096u
#define STACK_WAYS 4u

typedef struct stack_entry {
    uint64_t key;             /* hash of the stack's first 128 ids; 0 = empty */
    uint32_t label;           /* census label slot (max_labels: other) */
    uint32_t ver;             /* census_label_ver of that slot when cached */
} stack_entry;

typedef struct cap_state {
    bool seen;
    bool running;             /* a thread is running on it */
    bool in_gc;
    bool gc_unclaimed;        /* its last GC ended, GC_STATS not yet seen */
    bool has_alloc;
    bool has_sparks;
    uint32_t thread;          /* the running thread (its record is found at the
                                 run's end: a snapshot adds the open run) */
    uint64_t run_start, gc_start;
    uint64_t last_gc_start, last_gc_end;
    uint32_t pending_gen;     /* GC_STATS seen while in GC: UINT32_MAX none */
    uint64_t mutator_ns, gc_ns;
    uint64_t last_time;       /* its latest RUN/STOP/GC event (max) */
    bool idle_started;        /* closed idle: accounted up to idle_mark */
    uint64_t idle_mark, idle_acc;
    uint64_t last_alloc;
    elog_spark_stats sparks;
    elog_util_bucket *util;   /* time_buckets */
} cap_state;

typedef struct thread_rec {
    uint32_t id;
    uint32_t kslot;           /* its key's slot in tkeys (kept up to date on moves) */
    uint16_t label_size;
    char *label;              /* NULL or owned, NUL-terminated (<= 256 bytes) */
    uint64_t created_ns, finished_ns;
    uint64_t runs, running_ns;
    uint32_t stop_reasons[ELOG_STOP_REASONS];
    uint32_t migrations;
} thread_rec;

/* A finished thread in the list compaction reads. */
typedef struct fin_ref {
    uint64_t running_ns;      /* when it finished; brought up to date when kept */
    uint32_t id;
} fin_ref;

typedef struct label_rec {
    char *text;               /* owned, NUL-terminated */
    size_t size;
    uint64_t hash;
} label_rec;

typedef struct span_acc {
    uint64_t count, total, max, min, open;
    uint64_t buckets[ELOG_SPAN_BUCKETS + 1];
} span_acc;

typedef struct open_span {
    uint64_t hash;            /* label text */
    uint64_t sub;             /* numeric subscript, or UINT64_MAX */
    uint32_t label;           /* index in span labels (max_labels: other) */
    uint64_t start;
} open_span;

typedef struct census_rec {
    uint64_t time, total;
    uint64_t *bytes;          /* max_labels + 1 */
} census_rec;

struct elog_analysis {
    elog_analysis_config cfg;
    const elog_allocator *al;
    bool oom;
    bool oom_reported;        /* on_event returned ELOG_CB_ABORT for it */

    bool has_gc_stats_type;   /* the header declares GC_STATS_GHC */
    uint64_t events;
    uint64_t start_ns, end_ns;

    /* capabilities: caps[i] for cap i < ELOG_ANALYSIS_MAX_CAPS; the last
     * entry also holds larger caps and ELOG_NO_CAP */
    cap_state **caps;
    size_t n_caps_alloc;

    /* time series shared by caps and heap */
    uint64_t bucket_ns;       /* 1 << bucket_shift */
    unsigned bucket_shift;
    elog_heap_bucket *heap;

    /* GC */
    hist pause_all;
    hist *pause_gen;          /* ELOG_ANALYSIS_MAX_GENS */
    uint64_t collections[ELOG_ANALYSIS_MAX_GENS];
    uint64_t parallel[ELOG_ANALYSIS_MAX_GENS];
    uint64_t copied[ELOG_ANALYSIS_MAX_GENS];
    uint32_t n_gens;          /* highest generation seen + 1 */
    uint64_t copied_total;
    elog_pause longest[ELOG_ANALYSIS_LONGEST];
    size_t n_longest;
    uint64_t max_live, max_size;
    uint64_t cur_live, cur_live_t, cur_size, cur_size_t; /* latest by timestamp */

    /* threads: an open-addressing index on id (8-byte keys, at most half
     * full) over records in a slab that never moves them when the index
     * grows or shrinks (only the keys are rehashed) */
    uint64_t *tkeys;          /* per slot (TKEY_*): the id, a used bit (0 = empty), the
                                 thread's state (never RUNNING: a capability's
                                 running thread is), a labelled bit and the
                                 record's index in recs, probed densely */
    size_t keys_cap;
    unsigned keys_shift;      /* 64 - log2(keys_cap), for thread_home_sh */
    thread_rec *recs;         /* recs_cap records, recs_n ever handed out */
    size_t recs_cap, recs_n;
    uint32_t *free_recs;      /* free record numbers (a stack; room for recs_cap) */
    size_t n_free, cap_free;
    size_t threads_used, threads_finished_kept;
    fin_ref *finished_ids;    /* the finished threads kept (compaction looks only here) */
    size_t cap_finished_ids;
    /* Ids of the finished threads dropped, as sorted disjoint ranges: events
     * about them that come later in the file (another capability's block)
     * are recognised and do not bring them back as live threads. GHC numbers
     * threads in creation order, so the ranges are about as many as the
     * threads kept or alive. */
    uint32_t (*dropped)[2];
    size_t n_dropped, cap_dropped;
    size_t dropped_hint;      /* where dropped_has last found an id's place */
    uint64_t threads_dropped, threads_created, threads_finished;

    /* spans */
    label_rec *span_labels;   /* max_labels */
    size_t n_span_labels;
    span_acc *spans;          /* max_labels + 1 (other) */
    open_span *open;          /* max_open_spans */
    size_t n_open;
    open_span *pending;       /* STOPs seen before their START (file order), start = stop time */
    size_t n_pending;
    uint64_t unmatched_starts, unmatched_stops;

    /* cost centres (HEAP_PROF_COST_CENTRE): id -> name, for -hc censuses;
     * open addressing, at most CC_MAX names (later ones are shown as "cc N") */
    uint32_t *cc_ids;         /* id + 1, 0 = empty */
    char **cc_names;
    size_t cc_cap, cc_used;

    /* -hc: stack -> census label slot (STACK_SETS * STACK_WAYS, or NULL:
     * none yet, or no memory for it) */
    stack_entry *stack_cache;
    bool stack_cache_numbered; /* a cached label shows an undefined cc as "cc N" */
    bool stack_cache_failed;   /* its allocation failed: not tried again */
    uint32_t *census_label_ver; /* max_labels + 1: bumped when a slot's label is
                                   replaced, so only that slot's entries go stale */
    uint32_t census_min_slot;  /* the smallest label at the last full-table miss */

    /* heap-profile censuses */
    label_rec *census_labels; /* max_labels */
    size_t n_census_labels;
    uint64_t *census_label_total, *census_label_max; /* max_labels + 1 */
    census_rec *censuses;     /* max_censuses */
    size_t n_censuses;
    uint64_t census_stride, census_skip, censuses_seen;
    bool in_census;
    uint64_t *cur_census;     /* max_labels + 1 */
    uint64_t cur_census_time, cur_census_total;

    /* end */
    bool has_end;
    elog_end end;
    char end_reason[256];

    elog_pause_hook on_pause;
    elog_span_hook on_span;
    void *hook_ctx;
};

/* The end of time bucket i of width 2^sh, saturating at UINT64_MAX (the
 * last bucket of a series reaching 2^64 ns must not wrap to 0). */
static inline uint64_t an_bucket_end(uint64_t i, unsigned sh)
{
    return i + 1 > (UINT64_MAX >> sh) ? UINT64_MAX : (i + 1) << sh;
}

void *an_alloc(elog_analysis *a, size_t size);   /* zeroed; NULL sets a->oom */
void an_free(elog_analysis *a, void *p, size_t size);
/* Whether thread `id` finished and was dropped (its id is in the ranges). */
bool an_dropped_contains(const elog_analysis *a, uint32_t id);

#define CC_MAX 8192u

/* A thread key: the id (bits 0..31), a used bit (32: an empty slot is 0),
 * the state (33..35), whether the record holds a label (36: deleting a
 * thread then reads its record) and the record's index (37..63). The id
 * compares as the key's low 32 bits, without a mask. */
#define TKEY_USED (1ull << 32)
#define TKEY_ID_OF(k) ((uint32_t)(k))
#define TKEY_STATE_SHIFT 33
#define TKEY_STATE(k) ((elog_thread_state)(((k) >> TKEY_STATE_SHIFT) & 7u))
#define TKEY_WITH_STATE(k, s) \
    (((k) & ~(7ull << TKEY_STATE_SHIFT)) | ((uint64_t)(s) << TKEY_STATE_SHIFT))
#define TKEY_LABELLED (1ull << 36)
#define TKEY_IDX_SHIFT 37
#define TKEY_IDX(k) ((size_t)((k) >> TKEY_IDX_SHIFT))
#define TKEY_MAKE(id, state, idx) \
    ((uint64_t)(uint32_t)(id) | TKEY_USED | ((uint64_t)(state) << TKEY_STATE_SHIFT) | \
     ((uint64_t)(idx) << TKEY_IDX_SHIFT))

#endif

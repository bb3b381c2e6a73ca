/*
 * `eventlog monitor`: the internal interfaces of its files.
 *
 *   monitor.c         options, --help, the decode thread's loop over
 *                     sessions (sockets through elog_socket with its
 *                     reconnect and backoff, FIFOs and growing files through
 *                     elog_reader in follow mode), snapshots, control queue
 *   monitor_http.c    the HTTP server (libmicrohttpd, its own threads):
 *                     /metrics, /healthz, POST /control/COMMAND
 *   monitor_expo.c    the Prometheus text exposition (0.0.4) of a snapshot
 *
 * Threads: the decode thread owns the decoder and the analyses; every
 * publication copies the figures into a mon_snapshot under mon_shared.lock,
 * and a scrape copies that snapshot out under the same lock and formats the
 * copy, so the lock is held for a memcpy only and a scrape always sees one
 * consistent moment. The snapshot is plain data of fixed size (its bounds
 * below are the monitor's memory budget for figures: about 60 KiB).
 */
#ifndef ELOG_TOOLS_MONITOR_H
#define ELOG_TOOLS_MONITOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Generations, capabilities and user-span labels kept; more are folded
 * (capabilities beyond the limit are not reported, span labels go to
 * "other"), so the number of series is bounded whatever the program does. */
#define MON_MAX_GENS 8u
#define MON_MAX_CAPS 128u
#define MON_MAX_SPAN_LABELS 64u   /* --span-labels N, N <= this */
#define MON_DEFAULT_SPAN_LABELS 20u
#define MON_LABEL_MAX 96u         /* bytes of a span label kept (UTF-8 cut at a char) */
#define MON_MAX_BUCKETS 16u

/* Thread states of ghc_threads and spark outcomes of ghc_sparks_total. */
enum { MON_THREAD_RUNNING, MON_THREAD_RUNNABLE, MON_THREAD_BLOCKED, MON_THREAD_STATES };
enum { MON_SPARK_CREATED, MON_SPARK_CONVERTED, MON_SPARK_OVERFLOWED, MON_SPARK_DUD,
       MON_SPARK_GCD, MON_SPARK_FIZZLED, MON_SPARK_OUTCOMES };

typedef struct mon_hist {
    uint64_t count;
    double sum;                         /* seconds */
    uint64_t bucket[MON_MAX_BUCKETS];   /* not cumulative: bucket[i] counts
                                           values <= bound[i] and > bound[i-1];
                                           the exposition accumulates */
} mon_hist;

typedef struct mon_gen {
    uint64_t collections, parallel, copied_bytes;
    mon_hist pause;
} mon_gen;

typedef struct mon_cap {
    double mutator, gc, idle;           /* seconds */
} mon_cap;

typedef struct mon_span {
    char label[MON_LABEL_MAX + 1];
    mon_hist h;
} mon_span;

/* Everything a scrape shows. Counters are totals over all sessions; gauges
 * (connected, heap, threads) describe the current session and are absent
 * (have_* false) when none is running. */
typedef struct mon_snapshot {
    /* the monitor's own */
    uint64_t events, bytes, sessions, decode_errors, late_events;
    bool connected;
    mon_hist scrapes;                   /* GET /metrics handling times (from
                                           mon_shared, not the decode thread) */
    uint64_t published_ns;              /* monotonic time of this snapshot */

    /* from the analyses */
    bool have_analysis;                 /* figures below are filled */
    unsigned n_gens;
    mon_gen gens[MON_MAX_GENS];
    uint64_t allocated_bytes;
    bool have_heap;
    uint64_t heap_size, heap_live;
    unsigned n_caps;
    mon_cap caps[MON_MAX_CAPS];
    bool have_threads;
    uint64_t threads[MON_THREAD_STATES];
    bool have_sparks;
    uint64_t sparks[MON_SPARK_OUTCOMES];
    unsigned n_spans;                   /* labelled series, then `other` */
    mon_span spans[MON_MAX_SPAN_LABELS];
    mon_hist span_other;
    bool have_span_other;
} mon_snapshot;

/* Bucket bounds in seconds (ascending; +Inf is implicit). */
extern const double mon_pause_bounds[];
extern const unsigned mon_pause_nbounds;
extern const double mon_span_bounds[];
extern const unsigned mon_span_nbounds;

/* Adds `v` seconds to a histogram with the given bounds. */
void mon_hist_add(mon_hist *h, const double *bounds, unsigned nbounds, double v);

/* A control request from an HTTP thread to the decode thread. */
typedef enum mon_control_result {
    MON_CONTROL_PENDING,
    MON_CONTROL_SENT,
    MON_CONTROL_NOT_CONNECTED,   /* no session with a header within the wait */
    MON_CONTROL_FAILED           /* the send failed (message in `error`) */
} mon_control_result;

/* State shared by the decode thread and the HTTP threads. */
typedef struct mon_shared {
    pthread_mutex_t lock;
    pthread_cond_t cond;          /* a control request was answered */
    mon_snapshot snap;            /* the latest publication */
    mon_hist scrapes;             /* how long each GET /metrics took to answer */
    bool control_enabled;
    /* One control request at a time (a second one waits for the slot). */
    bool control_busy;
    char control_cmd[300];
    uint64_t control_seq;         /* bumped per request */
    mon_control_result control_result;
    char control_error[256];
    int wake_fd;                  /* eventfd: wakes the decode thread */
    const char *source;           /* for /healthz */
} mon_shared;

/* Copies the latest publication, with the scrape times, into `dst` (under
 * the lock: a memcpy). */
void mon_shared_copy(mon_shared *sh, mon_snapshot *dst);

/* Bounds of eventlog_scrape_duration_seconds. */
extern const double mon_scrape_bounds[];
extern const unsigned mon_scrape_nbounds;

/* Wakes the decode thread (async-signal-safe). */
void mon_wake(mon_shared *sh);

/* Sends `cmd` (already validated) through the decode thread and waits at
 * most `wait_ms` for it to be sent. Called from HTTP threads. */
mon_control_result mon_control_request(mon_shared *sh, const char *cmd, unsigned wait_ms,
                                       char *err, size_t errcap);

/* ------------------------------------------------------------------------
 * monitor_metrics.c: every metric described once, walked for a writer.
 * ---------------------------------------------------------------------- */

typedef enum mon_kind { MON_COUNTER, MON_GAUGE, MON_HISTOGRAM } mon_kind;

typedef struct mon_label {
    const char *name;
    const char *value;       /* NUL-terminated, as the program gave it */
} mon_label;

/* A writer: family() starts a family (name, kind, unit in UCUM as OTLP
 * wants it: "1", "By", "s"), then value() / histogram() for each of its
 * samples (pointers valid during the call), then end_family() (may be NULL). */
typedef struct mon_visitor {
    void *ctx;
    void (*family)(void *ctx, const char *name, mon_kind kind, const char *unit,
                   const char *help);
    void (*value)(void *ctx, const mon_label *l, unsigned n, bool is_int, uint64_t u, double d);
    void (*histogram)(void *ctx, const mon_label *l, unsigned n, const mon_hist *h,
                      const double *bounds, unsigned nbounds);
    void (*end_family)(void *ctx);
} mon_visitor;

/* The monitor's own families always; the ghc_* ones when the snapshot has
 * analysis figures. Gauges without a session have no sample. */
void mon_visit(const mon_snapshot *s, const mon_visitor *v);

/* ------------------------------------------------------------------------
 * monitor_expo.c: the Prometheus text exposition; the text buffer.
 * ---------------------------------------------------------------------- */

/* A growable text buffer (malloc); `failed` once an allocation failed or a
 * piece did not fit. */
typedef struct mon_buf {
    char *p;
    size_t len, cap;
    bool failed;
} mon_buf;

void mon_buf_free(mon_buf *b);
void mon_buf_put(mon_buf *b, const char *s, size_t n);
void mon_buf_puts(mon_buf *b, const char *s);
/* For short pieces (< 256 bytes); longer ones set `failed`. */
void mon_buf_printf(mon_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends the label value `s[0..n)` escaped as the exposition format wants
 * (backslash, double quote and newline as \\ \" \n). */
void mon_expo_label_value(mon_buf *b, const char *s, size_t n);

/* The whole /metrics page of `s`. */
void mon_expo_write(mon_buf *b, const mon_snapshot *s);

/* ------------------------------------------------------------------------
 * monitor_otlp.c: OTLP/HTTP JSON export (libcurl), when built with it.
 * ---------------------------------------------------------------------- */

typedef struct mon_otlp mon_otlp;

/* Appends the OTLP ExportMetricsServiceRequest JSON of `s`; times in ns
 * since the Unix epoch (start: when the monitor started). */
void mon_otlp_write(mon_buf *b, const mon_snapshot *s, const char *source, uint64_t start_ns,
                    uint64_t now_ns);
/* Starts a thread that POSTs the latest snapshot to `url` every
 * `interval_ms`. NULL (after a message) on failure. */
mon_otlp *mon_otlp_start(const char *url, unsigned interval_ms, mon_shared *sh);
/* Sends once more (the final figures), then stops the thread. */
void mon_otlp_stop(mon_otlp *o);

/* ------------------------------------------------------------------------
 * monitor_http.c
 * ---------------------------------------------------------------------- */

typedef struct mon_http mon_http;

typedef struct mon_http_options {
    const char *listen;           /* HOST:PORT, [V6]:PORT */
    unsigned max_connections;
    unsigned max_per_ip;
    unsigned timeout_s;
} mon_http_options;

/* Starts the server; prints the reason and returns NULL on failure. */
mon_http *mon_http_start(const mon_http_options *o, mon_shared *sh);
/* The bound port (useful with port 0). */
unsigned mon_http_port(const mon_http *h);
void mon_http_stop(mon_http *h);

/* Parses HOST:PORT / [V6]:PORT into a socket address. Returns 0 or -1 with
 * a sentence in err. */
struct sockaddr_storage;
int mon_parse_listen(const char *text, struct sockaddr_storage *ss, unsigned *len,
                     char *err, size_t cap);

int cmd_monitor(int argc, char **argv);

#endif

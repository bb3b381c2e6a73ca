/*
 * OTLP/HTTP (JSON) export of the monitor's metrics, for OpenTelemetry
 * collectors (`--otlp URL`, e.g. http://127.0.0.1:4318/v1/metrics): the
 * same names, labels (as attributes) and values as /metrics, walked from
 * monitor_metrics.c. Counters are cumulative monotonic sums, gauges gauges,
 * histograms explicit-bucket histograms with cumulative temporality. A
 * thread of its own POSTs the latest snapshot every interval with libcurl
 * (bounded time per request); a failure is logged and the next interval
 * tries again.
 */
#include "monitor.h"
#include "cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REQUEST_TIMEOUT_MS 5000L

/* ------------------------------------------------------------- JSON */

static void json_string(mon_buf *b, const char *s)
{
    mon_buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = { '\\', (char)*p };
            mon_buf_put(b, e, 2);
        } else if (*p < 0x20) {
            mon_buf_printf(b, "\\u%04x", *p);
        } else {
            mon_buf_put(b, (const char *)p, 1);
        }
    }
    mon_buf_puts(b, "\"");
}

static void json_double(mon_buf *b, double v)
{
    mon_buf_printf(b, "%.17g", v);
}

typedef struct otlp_writer {
    mon_buf *b;
    const char *name, *unit, *help;
    mon_kind kind;
    bool open;            /* the current metric's header is written */
    bool first_metric;
    bool first_point;
    uint64_t start_ns, now_ns;
} otlp_writer;

static void family(void *ctx, const char *name, mon_kind kind, const char *unit, const char *help)
{
    otlp_writer *w = ctx;
    w->name = name;
    w->kind = kind;
    w->unit = unit;
    w->help = help;
    w->open = false;
}

/* The metric's header, written with its first data point (a family
 * without points is left out). */
static void open_metric(otlp_writer *w)
{
    if (w->open) {
        mon_buf_puts(w->b, ",");
        return;
    }
    mon_buf *b = w->b;
    mon_buf_puts(b, w->first_metric ? "" : ",");
    w->first_metric = false;
    mon_buf_puts(b, "{\"name\":");
    json_string(b, w->name);
    mon_buf_puts(b, ",\"description\":");
    json_string(b, w->help);
    mon_buf_puts(b, ",\"unit\":");
    json_string(b, w->unit);
    switch (w->kind) {
    case MON_COUNTER:
        mon_buf_puts(b, ",\"sum\":{\"aggregationTemporality\":2,\"isMonotonic\":true,\"dataPoints\":[");
        break;
    case MON_GAUGE:
        mon_buf_puts(b, ",\"gauge\":{\"dataPoints\":[");
        break;
    case MON_HISTOGRAM:
        mon_buf_puts(b, ",\"histogram\":{\"aggregationTemporality\":2,\"dataPoints\":[");
        break;
    }
    w->open = true;
}

static void point_head(otlp_writer *w, const mon_label *l, unsigned n)
{
    mon_buf *b = w->b;
    mon_buf_puts(b, "{\"attributes\":[");
    for (unsigned i = 0; i < n; i++) {
        mon_buf_puts(b, i ? ",{\"key\":" : "{\"key\":");
        json_string(b, l[i].name);
        mon_buf_puts(b, ",\"value\":{\"stringValue\":");
        json_string(b, l[i].value);
        mon_buf_puts(b, "}}");
    }
    mon_buf_puts(b, "]");
    if (w->kind != MON_GAUGE)
        mon_buf_printf(b, ",\"startTimeUnixNano\":\"%" PRIu64 "\"", w->start_ns);
    mon_buf_printf(b, ",\"timeUnixNano\":\"%" PRIu64 "\"", w->now_ns);
}

static void value(void *ctx, const mon_label *l, unsigned n, bool is_int, uint64_t u, double d)
{
    otlp_writer *w = ctx;
    open_metric(w);
    point_head(w, l, n);
    if (is_int) {
        mon_buf_printf(w->b, ",\"asInt\":\"%" PRIu64 "\"}", u);
    } else {
        mon_buf_puts(w->b, ",\"asDouble\":");
        json_double(w->b, d);
        mon_buf_puts(w->b, "}");
    }
}

static void histogram(void *ctx, const mon_label *l, unsigned n, const mon_hist *h,
                      const double *bounds, unsigned nbounds)
{
    otlp_writer *w = ctx;
    mon_buf *b = w->b;
    open_metric(w);
    point_head(w, l, n);
    mon_buf_printf(b, ",\"count\":\"%" PRIu64 "\",\"sum\":", h->count);
    json_double(b, h->sum);
    /* OTLP buckets are per bucket (not cumulative), the last one above
     * the last bound. */
    mon_buf_puts(b, ",\"bucketCounts\":[");
    uint64_t in = 0;
    for (unsigned i = 0; i < nbounds; i++) {
        mon_buf_printf(b, "%s\"%" PRIu64 "\"", i ? "," : "", h->bucket[i]);
        in += h->bucket[i];
    }
    mon_buf_printf(b, ",\"%" PRIu64 "\"],\"explicitBounds\":[", h->count - in);
    for (unsigned i = 0; i < nbounds; i++) {
        if (i)
            mon_buf_puts(b, ",");
        json_double(b, bounds[i]);
    }
    mon_buf_puts(b, "]}");
}

static void end_family(void *ctx)
{
    otlp_writer *w = ctx;
    if (w->open)
        mon_buf_puts(w->b, "]}}");
    w->open = false;
}

void mon_otlp_write(mon_buf *b, const mon_snapshot *s, const char *source, uint64_t start_ns,
                    uint64_t now_ns)
{
    mon_buf_puts(b, "{\"resourceMetrics\":[{\"resource\":{\"attributes\":["
                    "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"eventlog-monitor\"}},"
                    "{\"key\":\"eventlog.source\",\"value\":{\"stringValue\":");
    json_string(b, source);
    mon_buf_puts(b, "}}]},\"scopeMetrics\":[{\"scope\":{\"name\":\"libeventlog.monitor\","
                    "\"version\":\"" ELOG_VERSION_STRING "\"},\"metrics\":[");
    otlp_writer w = { .b = b, .first_metric = true, .start_ns = start_ns, .now_ns = now_ns };
    mon_visitor v = { &w, family, value, histogram, end_family };
    mon_visit(s, &v);
    mon_buf_puts(b, "]}]}]}");
}

/* ------------------------------------------------------------- sender */

struct mon_otlp {
    mon_shared *sh;
    char *url;
    unsigned interval_ms;
    uint64_t start_ns;
    CURL *curl;
    struct curl_slist *headers;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    unsigned failures;
};

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

static void send_once(mon_otlp *o)
{
    static mon_snapshot s;   /* only this thread uses it */
    mon_shared_copy(o->sh, &s);
    mon_buf b = { 0 };
    mon_otlp_write(&b, &s, o->sh->source, o->start_ns, wall_ns());
    if (b.failed) {
        cli_warning("monitor: otlp: out of memory");
        mon_buf_free(&b);
        return;
    }
    curl_easy_setopt(o->curl, CURLOPT_POSTFIELDS, b.p);
    curl_easy_setopt(o->curl, CURLOPT_POSTFIELDSIZE, (long)b.len);
    CURLcode rc = curl_easy_perform(o->curl);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(o->curl, CURLINFO_RESPONSE_CODE, &status);
    mon_buf_free(&b);
    if (rc == CURLE_OK && status >= 200 && status < 300) {
        if (o->failures > 0)
            cli_note("otlp: %s accepts again after %u failed export%s", o->url, o->failures,
                     o->failures == 1 ? "" : "s");
        o->failures = 0;
        return;
    }
    o->failures++;
    /* The first failure, then every 10th: a collector down for long must
     * not flood the log. */
    if (o->failures == 1 || o->failures % 10 == 0) {
        if (rc != CURLE_OK)
            cli_warning("monitor: otlp: %s: %s (failure %u; trying again every %u ms)", o->url,
                        curl_easy_strerror(rc), o->failures, o->interval_ms);
        else
            cli_warning("monitor: otlp: %s answered HTTP %ld (failure %u)", o->url, status,
                        o->failures);
    }
}

static void *run(void *arg)
{
    mon_otlp *o = arg;
    pthread_mutex_lock(&o->lock);
    while (!o->stop) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += o->interval_ms / 1000;
        dl.tv_nsec += (long)(o->interval_ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
        while (!o->stop && pthread_cond_timedwait(&o->cond, &o->lock, &dl) == 0)
            ;
        pthread_mutex_unlock(&o->lock);
        send_once(o);   /* also once after stop: the final figures */
        pthread_mutex_lock(&o->lock);
    }
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

mon_otlp *mon_otlp_start(const char *url, unsigned interval_ms, mon_shared *sh)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        cli_error("monitor: otlp: libcurl failed to initialise");
        return NULL;
    }
    mon_otlp *o = calloc(1, sizeof *o);
    if (o == NULL || (o->url = strdup(url)) == NULL || (o->curl = curl_easy_init()) == NULL) {
        cli_error("monitor: otlp: out of memory");
        if (o != NULL)
            free(o->url);
        free(o);
        return NULL;
    }
    o->sh = sh;
    o->interval_ms = interval_ms;
    o->start_ns = wall_ns();
    o->headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(o->curl, CURLOPT_URL, o->url);
    curl_easy_setopt(o->curl, CURLOPT_HTTPHEADER, o->headers);
    curl_easy_setopt(o->curl, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
    curl_easy_setopt(o->curl, CURLOPT_CONNECTTIMEOUT_MS, REQUEST_TIMEOUT_MS);
    curl_easy_setopt(o->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(o->curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(o->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->cond, NULL);
    if (pthread_create(&o->thread, NULL, run, o) != 0) {
        cli_error("monitor: otlp: cannot start a thread: %s", strerror(errno));
        curl_slist_free_all(o->headers);
        curl_easy_cleanup(o->curl);
        free(o->url);
        free(o);
        return NULL;
    }
    return o;
}

void mon_otlp_stop(mon_otlp *o)
{
    if (o == NULL)
        return;
    pthread_mutex_lock(&o->lock);
    o->stop = true;
    pthread_cond_signal(&o->cond);
    pthread_mutex_unlock(&o->lock);
    pthread_join(o->thread, NULL);
    pthread_cond_destroy(&o->cond);
    pthread_mutex_destroy(&o->lock);
    curl_slist_free_all(o->headers);
    curl_easy_cleanup(o->curl);
    curl_global_cleanup();
    free(o->url);
    free(o);
}

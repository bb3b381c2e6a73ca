/* The HTML report (report.h): an analysis (analysis.h) plus the few series
 * the pictures need beyond its snapshot (a pause histogram, pauses and user
 * spans over time, from the analysis's hooks), written into the page
 * template of libeventlog/report/ (report_assets.c, generated at build time)
 * as one JSON object. */
#include <stdio.h>
#include <stdlib.h>

#include "allocator_internal.h"
#include "eventlog/analysis.h"
#include "eventlog/report.h"
#include "export_internal.h"
#include "report_assets.h"

#define PAUSE_BINS 36u        /* [0,1us), [1us,2us), ... doubling */
#define SERIES_N 256u         /* time buckets of the pause and span series */
#define SPAN_LABELS 12u       /* labels drawn; the rest is "other" */
#define TEXT_MAX 200u
#define CENSUS_LABELS 12u    /* heap-profile labels drawn; the rest is other */

typedef struct series {
    uint64_t width;           /* ns per bucket; doubles when time runs past the end */
} series;

struct elog_report {
    const elog_allocator *al;
    elog_report_options opt;
    char title[TEXT_MAX + 1];
    char name[TEXT_MAX + 1];
    elog_analysis *an;
    char program[TEXT_MAX + 1];
    char rts[TEXT_MAX + 1];
    uint64_t origin;          /* bucket 0 of the series: RTS time 0, as the analysis's */
    /* pauses */
    uint64_t pause_hist[PAUSE_BINS];
    uint64_t pause_width;
    uint64_t pause_max[SERIES_N], pause_count[SERIES_N];
    /* spans */
    char span_label[SPAN_LABELS + 1][TEXT_MAX + 1];
    size_t n_span_labels;     /* of the SPAN_LABELS named ones */
    bool span_other;
    uint64_t span_width;
    /* busy ns per label and bucket at [label], span starts at
     * [SPAN_LABELS + 1 + label]: one array, so that both merge together */
    uint64_t span_sums[2 * (SPAN_LABELS + 1)][SERIES_N];
    bool oom;
};

void elog_report_options_init(elog_report_options *o)
{
    memset(o, 0, sizeof *o);
    o->time_buckets = 1024;
}

/* ------------------------------------------------------------ series */

/* The bucket of time t in a series of SERIES_N buckets of *width ns from
 * r->origin; when t is past the end, pairs of buckets merge (sums, or
 * maxima for `max`) and the width doubles until it fits. */
static size_t series_slot(elog_report *r, uint64_t *width, uint64_t t, uint64_t (*sums)[SERIES_N],
                          size_t n_sums, uint64_t *max)
{
    uint64_t rel = t > r->origin ? t - r->origin : 0;
    while (rel / *width >= SERIES_N) {
        for (size_t i = 0; i < SERIES_N / 2; i++) {
            for (size_t k = 0; k < n_sums; k++)
                sums[k][i] = sums[k][2 * i] + sums[k][2 * i + 1];
            if (max)
                max[i] = max[2 * i] > max[2 * i + 1] ? max[2 * i] : max[2 * i + 1];
        }
        for (size_t i = SERIES_N / 2; i < SERIES_N; i++) {
            for (size_t k = 0; k < n_sums; k++)
                sums[k][i] = 0;
            if (max)
                max[i] = 0;
        }
        *width *= 2;
    }
    return (size_t)(rel / *width);
}

static void on_pause(void *ctx, const elog_pause *p)
{
    elog_report *r = ctx;
    uint64_t d = p->end_ns > p->start_ns ? p->end_ns - p->start_ns : 0;
    size_t bin = 0;
    for (uint64_t edge = 1000; bin + 1 < PAUSE_BINS && d >= edge; edge *= 2)
        bin++;
    r->pause_hist[bin]++;
    uint64_t (*counts)[SERIES_N] = &r->pause_count;
    size_t i = series_slot(r, &r->pause_width, p->start_ns, counts, 1, r->pause_max);
    r->pause_count[i]++;
    if (d > r->pause_max[i])
        r->pause_max[i] = d;
}

static size_t span_index(elog_report *r, const char *label, size_t len)
{
    if (len > TEXT_MAX)
        len = TEXT_MAX;
    for (size_t i = 0; i < r->n_span_labels; i++)
        if (strlen(r->span_label[i]) == len && memcmp(r->span_label[i], label, len) == 0)
            return i;
    if (r->n_span_labels < SPAN_LABELS) {
        memcpy(r->span_label[r->n_span_labels], label, len);
        r->span_label[r->n_span_labels][len] = '\0';
        return r->n_span_labels++;
    }
    r->span_other = true;
    return SPAN_LABELS;
}

/* Spreads the span's duration over the buckets it covers. */
static void on_span(void *ctx, const char *label, size_t len, uint64_t start, uint64_t end)
{
    elog_report *r = ctx;
    size_t k = span_index(r, label, len);
    if (end < start)
        end = start;
    /* fitting the end first fixes the width for the whole span */
    series_slot(r, &r->span_width, end, r->span_sums, 2 * (SPAN_LABELS + 1), NULL);
    size_t a = series_slot(r, &r->span_width, start, r->span_sums, 2 * (SPAN_LABELS + 1), NULL);
    r->span_sums[SPAN_LABELS + 1 + k][a]++;
    uint64_t s0 = start > r->origin ? start - r->origin : 0;
    uint64_t e0 = end > r->origin ? end - r->origin : 0;
    while (s0 < e0) {
        size_t i = (size_t)(s0 / r->span_width);
        uint64_t stop = (uint64_t)(i + 1) * r->span_width;
        if (stop > e0)
            stop = e0;
        r->span_sums[k][i] += stop - s0;
        s0 = stop;
    }
}

/* ------------------------------------------------------------ feeding */

elog_report *elog_report_new(const elog_report_options *o)
{
    elog_report_options def;
    if (o == NULL) {
        elog_report_options_init(&def);
        o = &def;
    }
    const elog_allocator *al = elog__allocator_or_libc(o->allocator);
    elog_report *r = al->alloc(al->ctx, sizeof *r);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof *r);
    r->al = al;
    r->opt = *o;
    if (r->opt.time_buckets == 0)
        r->opt.time_buckets = 1024;
    if (o->title) {
        snprintf(r->title, sizeof r->title, "%s", o->title);
        r->opt.title = r->title;
    }
    if (o->name)
        snprintf(r->name, sizeof r->name, "%s", o->name);
    r->opt.name = NULL;
    elog_analysis_config cfg;
    elog_analysis_config_init(&cfg);
    cfg.time_buckets = r->opt.time_buckets;
    cfg.bucket_ns = 10000;       /* 10 us to start with: short logs get a fine timeline */
    cfg.max_labels = 128;        /* the page draws the 12 largest of them */
    cfg.max_censuses = 256;
    cfg.allocator = o->allocator;
    r->an = elog_analysis_new(&cfg);
    if (r->an == NULL) {
        al->free(al->ctx, r, sizeof *r);
        return NULL;
    }
    elog_analysis_set_hooks(r->an, on_pause, on_span, r);
    r->pause_width = 10000;
    r->span_width = 10000;
    return r;
}

void elog_report_free(elog_report *r)
{
    if (r == NULL)
        return;
    elog_analysis_free(r->an);
    r->al->free(r->al->ctx, r, sizeof *r);
}

int elog_report_on_header(elog_report *r, const elog_header *h)
{
    return elog_analysis_on_header(r->an, h);
}

static void keep_text(char *dst, elog_slice s)
{
    size_t n = s.len < TEXT_MAX ? s.len : TEXT_MAX;
    memcpy(dst, s.ptr, n);
    dst[n] = '\0';
}

int elog_report_on_event(elog_report *r, const elog_event *ev)
{
    if (ev->id == ELOG_EV_PROGRAM_ARGS && r->program[0] == '\0') {
        elog_slice vec = ev->as.program_args.args, item;
        size_t pos = 0, n = 0;
        while (elog_strvec_next(vec, &pos, &item) && n < TEXT_MAX) {
            if (n > 0)
                r->program[n++] = ' ';
            size_t k = item.len < TEXT_MAX - n ? item.len : TEXT_MAX - n;
            memcpy(r->program + n, item.ptr, k);
            n += k;
        }
        r->program[n] = '\0';
    } else if (ev->id == ELOG_EV_RTS_IDENTIFIER && r->rts[0] == '\0') {
        keep_text(r->rts, ev->as.rts_identifier.ident);
    }
    int rc = elog_analysis_on_event(r->an, ev);
    if (rc != ELOG_CB_CONTINUE)
        r->oom = true;
    return rc;
}

void elog_report_on_end(elog_report *r, const elog_end *end, const char *reason)
{
    elog_analysis_on_end(r->an, end, reason);
}

static int attach_header(elog_decoder *d, const elog_header *h)
{
    return elog_report_on_header(d->data, h);
}

static int attach_event(elog_decoder *d, const elog_event *ev)
{
    return elog_report_on_event(d->data, ev);
}

void elog_report_attach(elog_settings *s)
{
    s->on_header = attach_header;
    s->on_event = attach_event;
}

/* ------------------------------------------------------------ writing */

/* Writers that escape what passes through them into the page: as HTML text,
 * or as the content of a <script> element holding JSON (where only "<" could
 * end the element early; in JSON it can only stand inside strings). Both
 * also make the page valid UTF-8 whatever the text they are given (labels
 * are the log's bytes): a byte that is not part of well-formed UTF-8 becomes
 * the code point of the byte, as in the exports. A sequence cut by the end
 * of the buffer waits for the next flush (`final` flushes it as it is). */
typedef struct escaper {
    elog_writer w;
    elog_writer *out;
    bool html;
    bool final;
    char buf[4096];
} escaper;

static void escape_byte(escaper *e, char ch)
{
    if (!e->html)
        elog__put_lit(e->out, ch == '<' ? "\\u003c" : ch == '>' ? "\\u003e" : "\\u0026", 6);
    else if (ch == '<')
        EXPORT_LIT(e->out, "&lt;");
    else if (ch == '>')
        EXPORT_LIT(e->out, "&gt;");
    else if (ch == '&')
        EXPORT_LIT(e->out, "&amp;");
    else
        EXPORT_LIT(e->out, "&quot;");
}

static int escape_flush(elog_writer *w)
{
    escaper *e = w->ctx;
    size_t n = w->len, hold = 0;
    if (!e->final) {
        /* an incomplete sequence at the end waits for its continuation */
        for (size_t k = 1; k <= 3 && k <= n; k++) {
            uint8_t c = (uint8_t)w->buf[n - k];
            if ((c & 0xc0) == 0x80)
                continue;
            size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            if (need > k)
                hold = k;
            break;
        }
    }
    const uint8_t *p = (const uint8_t *)w->buf, *end = p + (n - hold);
    while (p < end) {
        const uint8_t *q = p;
        while (q < end && *q < 0x80 && *q != '<' && *q != '>' && *q != '&' &&
               !(e->html && *q == '"'))
            q++;
        elog_writer_put(e->out, p, (size_t)(q - p));
        p = q;
        if (p == end)
            break;
        if (*p < 0x80) {
            escape_byte(e, (char)*p++);
            continue;
        }
        size_t k = export_utf8_multi(p, end);
        if (k) {
            elog_writer_put(e->out, p, k);
            p += k;
        } else {
            export_put_high_byte(e->out, *p++);
        }
    }
    memmove(w->buf, w->buf + (n - hold), hold);
    w->len = hold;
    return e->out->failed ? -1 : 0;
}

static void escaper_init(escaper *e, elog_writer *out, bool html)
{
    e->out = out;
    e->html = html;
    e->final = false;
    elog_writer_init(&e->w, e->buf, sizeof e->buf, escape_flush, e);
}

static void escaper_finish(escaper *e)
{
    e->final = true;
    elog_writer_flush(&e->w);
}

static void put_str(elog_writer *w, const char *s)
{
    export_json_string(w, (elog_slice){(const uint8_t *)s, strlen(s)}, false);
}

static void put_u64s(elog_writer *w, const uint64_t *v, size_t n)
{
    EXPORT_LIT(w, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            EXPORT_LIT(w, ",");
        elog__put_dec(w, v[i]);
    }
    EXPORT_LIT(w, "]");
}

static void key(elog_writer *w, const char *k)
{
    EXPORT_LIT(w, ",\"");
    elog__put_lit(w, k, strlen(k));
    EXPORT_LIT(w, "\":");
}

/* The capability timeline and the heap series (the analysis's buckets,
 * merged by `f` so that caps x buckets stays under ELOG_REPORT_MAX_POINTS). */
static void put_timeline(elog_writer *w, const elog_stats *s)
{
    size_t caps = s->n_caps ? s->n_caps : 1;
    size_t f = 1;
    while ((s->n_buckets + f - 1) / f * caps > ELOG_REPORT_MAX_POINTS)
        f *= 2;
    size_t n = (s->n_buckets + f - 1) / f;
    key(w, "timeline");
    EXPORT_LIT(w, "{\"start\":");
    EXPORT_LIT(w, "0");   /* the analysis's buckets count from RTS time 0 */
    key(w, "bucket");
    elog__put_dec(w, s->bucket_ns * f);
    key(w, "n");
    elog__put_dec(w, n);
    key(w, "caps");
    EXPORT_LIT(w, "[");
    for (size_t c = 0; c < s->n_caps; c++) {
        if (c)
            EXPORT_LIT(w, ",");
        elog__put_dec(w, s->caps[c].cap);
    }
    EXPORT_LIT(w, "]");
    for (int which = 0; which < 2; which++) {
        key(w, which ? "gc" : "mut");
        EXPORT_LIT(w, "[");
        for (size_t c = 0; c < s->n_caps; c++) {
            if (c)
                EXPORT_LIT(w, ",");
            EXPORT_LIT(w, "[");
            for (size_t i = 0; i < n; i++) {
                uint64_t v = 0;
                for (size_t j = i * f; j < (i + 1) * f && j < s->n_buckets; j++) {
                    const elog_util_bucket *b = &s->util[c * s->n_buckets + j];
                    v += which ? b->gc_ns : b->mutator_ns;
                }
                if (i)
                    EXPORT_LIT(w, ",");
                elog__put_dec(w, v);
            }
            EXPORT_LIT(w, "]");
        }
        EXPORT_LIT(w, "]");
    }
    EXPORT_LIT(w, "}");
    /* heap: largest size/live in the merged bucket, allocation summed */
    key(w, "heap");
    EXPORT_LIT(w, "{\"bucket\":");
    elog__put_dec(w, s->bucket_ns * f);
    for (int which = 0; which < 3; which++) {
        key(w, which == 0 ? "size" : which == 1 ? "live" : "alloc");
        EXPORT_LIT(w, "[");
        for (size_t i = 0; i < n; i++) {
            uint64_t v = 0;
            for (size_t j = i * f; j < (i + 1) * f && j < s->n_buckets; j++) {
                const elog_heap_bucket *b = &s->heap[j];
                uint64_t x = which == 0 ? b->size_bytes : which == 1 ? b->live_bytes
                                                                      : b->allocated_bytes;
                v = which == 2 ? v + x : (x > v ? x : v);
            }
            if (i)
                EXPORT_LIT(w, ",");
            elog__put_dec(w, v);
        }
        EXPORT_LIT(w, "]");
    }
    EXPORT_LIT(w, "}");
}

/* The heap profile: the CENSUS_LABELS labels with the most bytes over all
 * censuses, largest first, and the rest summed as "other". */
static void put_census(elog_writer *w, const elog_stats *s)
{
    size_t pick[CENSUS_LABELS], n_pick = 0;
    for (size_t k = 0; k < CENSUS_LABELS; k++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < s->n_census_labels; i++) {
            bool taken = strcmp(s->census_labels[i].label, "other") == 0;
            for (size_t j = 0; j < n_pick && !taken; j++)
                taken = pick[j] == i;
            if (!taken && (best == SIZE_MAX ||
                           s->census_labels[i].total_bytes > s->census_labels[best].total_bytes))
                best = i;
        }
        if (best == SIZE_MAX)
            break;
        pick[n_pick++] = best;
    }
    bool has_other = s->n_census_labels > n_pick;
    key(w, "census");
    EXPORT_LIT(w, "{\"labels\":[");
    for (size_t i = 0; i < n_pick; i++) {
        if (i)
            EXPORT_LIT(w, ",");
        put_str(w, s->census_labels[pick[i]].label);
    }
    if (has_other) {
        if (n_pick)
            EXPORT_LIT(w, ",");
        EXPORT_LIT(w, "\"other\"");
    }
    EXPORT_LIT(w, "]");
    key(w, "seen");
    elog__put_dec(w, s->censuses_seen);
    key(w, "times");
    EXPORT_LIT(w, "[");
    for (size_t i = 0; i < s->n_censuses; i++) {
        if (i)
            EXPORT_LIT(w, ",");
        elog__put_dec(w, s->censuses[i].time_ns);
    }
    EXPORT_LIT(w, "]");
    key(w, "bytes");
    EXPORT_LIT(w, "[");
    for (size_t i = 0; i < s->n_censuses; i++) {
        const uint64_t *b = s->censuses[i].bytes;
        uint64_t rest = 0;
        for (size_t l = 0; l < s->n_census_labels; l++)
            rest += b[l];
        if (i)
            EXPORT_LIT(w, ",");
        EXPORT_LIT(w, "[");
        for (size_t j = 0; j < n_pick; j++) {
            if (j)
                EXPORT_LIT(w, ",");
            elog__put_dec(w, b[pick[j]]);
            rest -= b[pick[j]];
        }
        if (has_other) {
            if (n_pick)
                EXPORT_LIT(w, ",");
            elog__put_dec(w, rest);
        }
        EXPORT_LIT(w, "]");
    }
    EXPORT_LIT(w, "]}");
}

static void put_series_data(elog_writer *w, const elog_report *r)
{
    key(w, "pauses");
    EXPORT_LIT(w, "{\"edges\":[0");
    for (uint64_t i = 0, e = 1000; i + 1 < PAUSE_BINS; i++, e *= 2) {
        EXPORT_LIT(w, ",");
        elog__put_dec(w, e);
    }
    EXPORT_LIT(w, "],\"counts\":");
    put_u64s(w, r->pause_hist, PAUSE_BINS);
    key(w, "start");
    elog__put_dec(w, r->origin);
    key(w, "bucket");
    elog__put_dec(w, r->pause_width);
    key(w, "max");
    put_u64s(w, r->pause_max, SERIES_N);
    key(w, "count");
    put_u64s(w, r->pause_count, SERIES_N);
    EXPORT_LIT(w, "}");

    size_t n = r->n_span_labels + (r->span_other ? 1 : 0);
    key(w, "spans");
    EXPORT_LIT(w, "{\"start\":");
    elog__put_dec(w, r->origin);
    key(w, "bucket");
    elog__put_dec(w, r->span_width);
    key(w, "labels");
    EXPORT_LIT(w, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            EXPORT_LIT(w, ",");
        put_str(w, i < r->n_span_labels ? r->span_label[i] : "other");
    }
    EXPORT_LIT(w, "]");
    for (int which = 0; which < 2; which++) {
        key(w, which ? "count" : "busy");
        EXPORT_LIT(w, "[");
        for (size_t i = 0; i < n; i++) {
            size_t k = i < r->n_span_labels ? i : SPAN_LABELS;
            if (i)
                EXPORT_LIT(w, ",");
            put_u64s(w, r->span_sums[which ? SPAN_LABELS + 1 + k : k], SERIES_N);
        }
        EXPORT_LIT(w, "]");
    }
    EXPORT_LIT(w, "}");
}

static void put_data(elog_writer *w, const elog_report *r, elog_stats *s, const char *title)
{
    EXPORT_LIT(w, "{\"version\":");
    put_str(w, ELOG_VERSION_STRING);
    key(w, "title");
    put_str(w, title);
    key(w, "program");
    put_str(w, r->program);
    key(w, "rts");
    put_str(w, r->rts);
    key(w, "source");
    put_str(w, r->name);
    key(w, "incomplete");
    if (r->oom || s->oom)
        EXPORT_LIT(w, "true");
    else
        EXPORT_LIT(w, "false");
    key(w, "threads_total");
    elog__put_dec(w, s->n_threads + s->threads_dropped);
    /* the stats object of `eventlog stats --json`, with the longest-running
     * threads only (the snapshot lists them longest first) */
    key(w, "stats");
    size_t n_threads = s->n_threads;
    if (s->n_threads > ELOG_REPORT_MAX_THREADS)
        s->n_threads = ELOG_REPORT_MAX_THREADS;
    elog_stats_write_json(w, s);
    s->n_threads = n_threads;
    put_timeline(w, s);
    put_census(w, s);
    put_series_data(w, r);
    EXPORT_LIT(w, "}");
}

elog_status elog_report_write(elog_report *r, elog_writer *w)
{
    elog_stats *s = elog_analysis_snapshot(r->an);
    if (s == NULL)
        return ELOG_E_NOMEM;
    char title[TEXT_MAX + 64];
    if (r->opt.title)
        snprintf(title, sizeof title, "%s", r->opt.title);
    else if (r->program[0])
        snprintf(title, sizeof title, "eventlog report: %s", r->program);
    else if (r->name[0])
        snprintf(title, sizeof title, "eventlog report: %s", r->name);
    else
        snprintf(title, sizeof title, "eventlog report");

    const char *const *parts = elog__report_parts;
    escaper *e = r->al->alloc(r->al->ctx, sizeof *e);
    if (e == NULL) {
        elog_stats_free(s);
        return ELOG_E_NOMEM;
    }
    elog__put_lit(w, parts[0], strlen(parts[0]));
    escaper_init(e, w, true);
    elog_writer_put(&e->w, title, strlen(title));
    escaper_finish(e);
    elog__put_lit(w, parts[1], strlen(parts[1]));
    escaper_init(e, w, true);
    elog_stats_write_text(&e->w, s, 10);
    escaper_finish(e);
    elog__put_lit(w, parts[2], strlen(parts[2]));
    escaper_init(e, w, false);
    put_data(&e->w, r, s, title);
    escaper_finish(e);
    elog__put_lit(w, parts[3], strlen(parts[3]));
    r->al->free(r->al->ctx, e, sizeof *e);
    elog_stats_free(s);
    if (w->flush)
        elog_writer_flush(w);
    return ELOG_OK;
}

/*
 * The HTML report: one self-contained page (styles, scripts and data
 * inline, no reference to anything outside the file) that shows an
 * eventlog's `eventlog stats` summary and its pictures: the capability
 * timeline (mutator / GC / idle per capability over time, zoomable), GC
 * pauses (histogram and over time), heap size, live bytes and allocation
 * rate over time, the heap profile by label (stacked areas over censuses,
 * top labels plus "other"), user spans per label over time and a thread
 * table. The page draws with plain SVG written in this repository (the
 * template is libeventlog/report/, embedded at build time); once every
 * chart has been drawn without an error it sets data-rendered="N" on
 * <body>, N being the number of charts drawn.
 *
 * A report is a consumer of decoded events, like an analysis
 * (analysis.h), which it runs inside: feed it from the decoder's callbacks
 * (or elog_report_attach() for a decoder whose `data` is the report), tell
 * it how the input ended, then write the page. Events may come in file
 * order or time order.
 *
 *   elog_report *r = elog_report_new(NULL);
 *   elog_report_attach(&settings);                 // d->data = r
 *   ... run the decoder ...
 *   elog_report_on_end(r, &end, reason);
 *   elog_report_write(r, &writer);                 // the HTML
 *   elog_report_free(r);
 *
 * Size and memory: everything in the page is bucketed: the timeline to at
 * most ELOG_REPORT_MAX_POINTS values (capabilities x time buckets), pauses
 * and spans to fixed numbers of time buckets, the heap profile to the
 * analysis's censuses and top labels, the thread table to
 * ELOG_REPORT_MAX_THREADS rows, strings to 200 bytes: a page stays under
 * about 2 MB whatever the log's length. Memory: the analysis's budget (a
 * few MiB with the report's configuration) plus a few KiB.
 *
 * Errors: elog_report_new() returns NULL when out of memory. The feeding
 * functions return ELOG_CB_CONTINUE or ELOG_CB_ABORT (out of memory; the
 * page then says its figures are incomplete). elog_report_write() returns
 * ELOG_OK or ELOG_E_NOMEM; output errors are the writer's (w->failed).
 *
 * Thread safety: one thread at a time; the feeding functions may be called
 * from decoder callbacks, elog_report_write() may not (it allocates the
 * snapshot and writes a lot).
 */
#ifndef ELOG_REPORT_H
#define ELOG_REPORT_H

#include "../eventlog.h"
#include "show.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ELOG_REPORT_MAX_POINTS 120000u
#define ELOG_REPORT_MAX_THREADS 200u

typedef struct elog_report elog_report;

typedef struct elog_report_options {
    const char *title;               /* page title (copied); NULL: from the log */
    const char *name;                /* the input's name (copied; NULL: none), shown in
                                        the page and in the title when the log names
                                        no program (a killed GHC 9.0 program's) */
    uint32_t time_buckets;           /* timeline resolution; 0: 1024 */
    const elog_allocator *allocator; /* NULL: malloc/free */
} elog_report_options;

ELOG_API void elog_report_options_init(elog_report_options *o);

/* A new report (`o` NULL: defaults). NULL if out of memory. */
ELOG_API elog_report *elog_report_new(const elog_report_options *o);
ELOG_API void elog_report_free(elog_report *r);   /* NULL is fine */

ELOG_API int elog_report_on_header(elog_report *r, const elog_header *h);
ELOG_API int elog_report_on_event(elog_report *r, const elog_event *ev);
/* How the input ended (copied); `reason`: the decoder's error reason or
 * NULL. The page reports it (a truncated log is drawn up to its end). */
ELOG_API void elog_report_on_end(elog_report *r, const elog_end *end, const char *reason);

/* Sets s->on_header and s->on_event to forward to the report in d->data. */
ELOG_API void elog_report_attach(elog_settings *s);

/* Writes the page through `w` (its flush must be set) and flushes it. Can
 * be called more than once (each time the figures so far). Returns ELOG_OK
 * or ELOG_E_NOMEM. */
ELOG_API elog_status elog_report_write(elog_report *r, elog_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* ELOG_REPORT_H */

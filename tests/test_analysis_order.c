/* The analysis gives the same figures whether it is fed in file order
 * (capabilities interleaved by blocks, what `eventlog stats` reads) or in
 * time order (elog_sorter, what `eventlog report` and the exports read):
 * counts, bytes, pauses, capability time and user spans, for every log of
 * the corpora ($ELOG_CORPUS_DIR, $ELOG_CORPUS_902). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "eventlog/analysis.h"
#include "eventlog/order.h"
#include "eventlog/reader.h"

static int on_header(elog_decoder *d, const elog_header *h)
{
    return elog_analysis_on_header(d->data, h);
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    return elog_analysis_on_event(d->data, ev);
}

/* File order: the reader and a decoder, as `eventlog stats` reads a file. */
static elog_stats *file_order(const char *path)
{
    elog_analysis *an = elog_analysis_new(NULL);
    assert_non_null(an);
    elog_settings set;
    elog_settings_init(&set);
    set.on_header = on_header;
    set.on_event = on_event;
    elog_decoder dec;
    elog_decoder_init(&dec, &set, an);
    elog_reader *r = NULL;
    assert_int_equal(elog_reader_open(&r, path, NULL), ELOG_READER_OK);
    elog_end end;
    elog_reader_run(r, &dec, &end);
    elog_reader_close(r);
    elog_decoder_free(&dec);
    elog_stats *s = elog_analysis_snapshot(an);
    elog_analysis_free(an);
    assert_non_null(s);
    return s;
}

/* Time order: the library's sorted iteration. NULL if the sorter refuses
 * the log (corrupt before any usable end): nothing to compare then. */
static elog_stats *time_order(const char *path)
{
    elog_sorter *so = NULL;
    if (elog_sorter_open(&so, path, NULL) != 0) {
        elog_sorter_close(so);
        return NULL;
    }
    elog_analysis *an = elog_analysis_new(NULL);
    assert_non_null(an);
    elog_settings set;
    elog_settings_init(&set);
    set.on_header = on_header;
    set.on_event = on_event;
    int rc = elog_sorter_run(so, &set, an);
    elog_sorter_close(so);
    elog_stats *s = rc == 0 ? elog_analysis_snapshot(an) : NULL;
    elog_analysis_free(an);
    return s;
}

static int failures;

#define SAME(what, x, y)                                                                  \
    do {                                                                                  \
        if ((x) != (y)) {                                                                 \
            fprintf(stderr, "%s: %s: file order %llu, time order %llu\n", path, what,     \
                    (unsigned long long)(x), (unsigned long long)(y));                    \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)

static void same_durations(const char *path, const char *what, const elog_duration_stats *a,
                           const elog_duration_stats *b)
{
    char k[96];
    snprintf(k, sizeof k, "%s count", what);
    SAME(k, a->count, b->count);
    snprintf(k, sizeof k, "%s total_ns", what);
    SAME(k, a->total_ns, b->total_ns);
    snprintf(k, sizeof k, "%s max_ns", what);
    SAME(k, a->max_ns, b->max_ns);
    snprintf(k, sizeof k, "%s min_ns", what);
    SAME(k, a->min_ns, b->min_ns);
}

static void compare(const char *path)
{
    elog_stats *t = time_order(path);
    if (t == NULL)
        return;
    elog_stats *f = file_order(path);
    SAME("events", f->events, t->events);
    SAME("start_ns", f->start_ns, t->start_ns);
    SAME("end_ns", f->end_ns, t->end_ns);
    SAME("gc_ns", f->gc_ns, t->gc_ns);
    same_durations(path, "pause", &f->pause, &t->pause);
    SAME("pause_open", f->pause_open, t->pause_open);
    SAME("n_generations", f->n_generations, t->n_generations);
    for (size_t g = 0; g < f->n_generations && g < t->n_generations; g++) {
        char k[64];
        snprintf(k, sizeof k, "gen %zu collections", g);
        SAME(k, f->generations[g].collections, t->generations[g].collections);
        snprintf(k, sizeof k, "gen %zu parallel", g);
        SAME(k, f->generations[g].parallel, t->generations[g].parallel);
        snprintf(k, sizeof k, "gen %zu copied", g);
        SAME(k, f->generations[g].copied_bytes, t->generations[g].copied_bytes);
        snprintf(k, sizeof k, "gen %zu pause", g);
        same_durations(path, k, &f->generations[g].pause, &t->generations[g].pause);
    }
    SAME("copied_bytes", f->copied_bytes, t->copied_bytes);
    SAME("allocated_bytes", f->allocated_bytes, t->allocated_bytes);
    SAME("max_live_bytes", f->max_live_bytes, t->max_live_bytes);
    SAME("max_size_bytes", f->max_size_bytes, t->max_size_bytes);
    SAME("heap_size_bytes", f->heap_size_bytes, t->heap_size_bytes);
    SAME("heap_live_bytes", f->heap_live_bytes, t->heap_live_bytes);
    SAME("has_sparks", f->has_sparks, t->has_sparks);
    SAME("sparks created", f->sparks.created, t->sparks.created);
    SAME("sparks converted", f->sparks.converted, t->sparks.converted);
    SAME("sparks fizzled", f->sparks.fizzled, t->sparks.fizzled);
    SAME("n_caps", f->n_caps, t->n_caps);
    for (size_t c = 0; c < f->n_caps && c < t->n_caps; c++) {
        char k[64];
        snprintf(k, sizeof k, "cap %u mutator_ns", f->caps[c].cap);
        SAME(k, f->caps[c].mutator_ns, t->caps[c].mutator_ns);
        snprintf(k, sizeof k, "cap %u gc_ns", f->caps[c].cap);
        SAME(k, f->caps[c].gc_ns, t->caps[c].gc_ns);
        snprintf(k, sizeof k, "cap %u idle_ns", f->caps[c].cap);
        SAME(k, f->caps[c].idle_ns, t->caps[c].idle_ns);
        snprintf(k, sizeof k, "cap %u closed_mutator_ns", f->caps[c].cap);
        SAME(k, f->caps[c].closed_mutator_ns, t->caps[c].closed_mutator_ns);
        snprintf(k, sizeof k, "cap %u closed_gc_ns", f->caps[c].cap);
        SAME(k, f->caps[c].closed_gc_ns, t->caps[c].closed_gc_ns);
    }
    SAME("threads_created", f->threads_created, t->threads_created);
    SAME("threads_finished", f->threads_finished, t->threads_finished);
    SAME("unmatched_starts", f->unmatched_starts, t->unmatched_starts);
    SAME("unmatched_stops", f->unmatched_stops, t->unmatched_stops);
    SAME("n_spans", f->n_spans, t->n_spans);
    for (size_t i = 0; i < f->n_spans; i++) {
        const elog_span_stats *a = &f->spans[i], *b = NULL;
        for (size_t j = 0; j < t->n_spans; j++)
            if (strcmp(t->spans[j].label, a->label) == 0)
                b = &t->spans[j];
        if (b == NULL) {
            fprintf(stderr, "%s: span '%s' only in file order\n", path, a->label);
            failures++;
            continue;
        }
        char k[320];
        snprintf(k, sizeof k, "span '%s' count", a->label);
        SAME(k, a->count, b->count);
        snprintf(k, sizeof k, "span '%s' total_ns", a->label);
        SAME(k, a->total_ns, b->total_ns);
        snprintf(k, sizeof k, "span '%s' max_ns", a->label);
        SAME(k, a->max_ns, b->max_ns);
        snprintf(k, sizeof k, "span '%s' open", a->label);
        SAME(k, a->open, b->open);
    }
    elog_stats_free(f);
    elog_stats_free(t);
}

static int compare_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 9 || strcmp(e->d_name + len - 9, ".eventlog") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        compare(path);
        n++;
    }
    closedir(d);
    return n;
}

static void test_file_order_equals_time_order(void **state)
{
    (void)state;
    const char *dirs[] = { getenv("ELOG_CORPUS_DIR"), getenv("ELOG_CORPUS_902") };
    int n = 0;
    for (size_t i = 0; i < 2; i++)
        if (dirs[i] != NULL)
            n += compare_dir(dirs[i]);
    if (n == 0)
        skip();
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_order_equals_time_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

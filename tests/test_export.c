/*
 * The exporters (include/eventlog/export.h) and the report
 * (include/eventlog/report.h) on synthetic logs with known answers: exact
 * NDJSON text (escapes, invalid UTF-8, optional and unknown fields), the
 * nesting of chrome slices when a run ends inside a GC, spans with
 * subscripts, what a truncated log leaves open, the CSV tables' rows;
 * allocation failures at every allocation, a failing writer, API misuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eventlog.h"
#include "eventlog/export.h"
#include "eventlog/report.h"
#include "expect.h"
#include "synth.h"

/* ------------------------------------------------------------ output */

typedef struct sink {
    char *buf;
    size_t len, cap;
    bool fail;           /* flush fails */
} sink;

static int sink_flush(elog_writer *w)
{
    sink *s = w->ctx;
    if (s->fail) {
        w->len = 0;
        return -1;
    }
    if (s->len + w->len + 1 > s->cap) {
        s->cap = (s->len + w->len + 1) * 2;
        s->buf = realloc(s->buf, s->cap);
        assert_non_null(s->buf);
    }
    memcpy(s->buf + s->len, w->buf, w->len);
    s->len += w->len;
    s->buf[s->len] = '\0';
    w->len = 0;
    return 0;
}

/* A failing allocator: fails the n-th allocation and after (n < 0: never). */
typedef struct failing {
    long n, count;
    long live;
} failing;

static void *f_alloc(void *ctx, size_t size)
{
    failing *f = ctx;
    if (f->n >= 0 && f->count++ >= f->n)
        return NULL;
    f->live++;
    return malloc(size);
}

static void f_free(void *ctx, void *p, size_t size)
{
    (void)size;
    failing *f = ctx;
    if (p) {
        f->live--;
        free(p);
    }
}

typedef struct run {
    elog_exporter *x;
    elog_status st;
} run;

static int on_header(elog_decoder *d, const elog_header *h)
{
    run *r = d->data;
    r->st = elog_exporter_header(r->x, h);
    return r->st == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    run *r = d->data;
    r->st = elog_exporter_event(r->x, ev);
    return r->st == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

/* Exports `log` with `o` (the allocator of `o` used); returns the status of
 * the first failure, or ELOG_OK; *out gets the text (caller frees). */
static elog_status export_log(const synth *log, elog_export_options *o, char **out, bool fail_w)
{
    sink s = {NULL, 0, 0, fail_w};
    char wbuf[256];
    elog_writer w;
    elog_writer_init(&w, wbuf, sizeof wbuf, sink_flush, &s);
    run r = {NULL, ELOG_OK};
    elog_status st = elog_exporter_new(&r.x, o, &w);
    if (st != ELOG_OK) {
        *out = s.buf;
        return st;
    }
    decode_buffer(log->buf, log->len, 0, on_header, on_event, &r);
    if (r.st == ELOG_OK)
        st = elog_exporter_finish(r.x);
    else
        st = r.st;
    elog_exporter_free(r.x);
    if (fail_w)
        assert_true(w.failed);
    *out = s.buf ? s.buf : strdup("");
    return st;
}

static void pl_u32(synth *p, uint32_t v) { synth_u32(p, v); }

static void ev_thread(synth *log, uint16_t id, uint64_t t, uint32_t thread)
{
    synth p;
    synth_init(&p);
    pl_u32(&p, thread);
    synth_event(log, id, t, p.buf, p.len);
    synth_free(&p);
}

static void ev_stop(synth *log, uint64_t t, uint32_t thread, uint16_t status)
{
    synth p;
    synth_init(&p);
    synth_u32(&p, thread);
    synth_u16(&p, status);
    synth_u32(&p, 0);
    synth_event(log, ELOG_EV_STOP_THREAD, t, p.buf, p.len);
    synth_free(&p);
}

static void ev_msg(synth *log, uint64_t t, const char *m)
{
    synth_event_var(log, ELOG_EV_USER_MSG, t, m, strlen(m));
}

/* ------------------------------------------------------------ ndjson */

static void test_ndjson_text(void **state)
{
    (void)state;
    synth log;
    synth_init(&log);
    synth_header_begin(&log);
    synth_type(&log, ELOG_EV_RUN_THREAD, 4, "run");
    synth_type(&log, ELOG_EV_USER_MSG, ELOG_VARIABLE_SIZE, "msg");
    synth_type(&log, ELOG_EV_CAP_CREATE, 2, "cap create");
    synth_type(&log, ELOG_EV_USER_BINARY_MSG, ELOG_VARIABLE_SIZE, "bin");
    synth_type(&log, 250, 3, "a future \"type\"");
    synth_type(&log, ELOG_EV_BLOCK_MARKER, 14, "block");
    synth_header_end(&log);
    synth_data_begin(&log);
    ev_msg(&log, 5, "q\"b\\s\n\x01 \xc3\xa9 \xe3\x81 \xff");
    synth_block_begin(&log, 10, 3, 20);
    ev_thread(&log, ELOG_EV_RUN_THREAD, 12, 7);
    uint8_t cap[2] = {0, 9};
    synth_event(&log, ELOG_EV_CAP_CREATE, 13, cap, 2);
    synth_event_var(&log, ELOG_EV_USER_BINARY_MSG, 14, "\x00\xab", 2);
    synth_event(&log, 250, 15, "xyz", 3);
    synth_block_end(&log);
    synth_data_end(&log);

    elog_export_options o;
    elog_export_options_init(&o);
    char *out;
    assert_int_equal(export_log(&log, &o, &out, false), ELOG_OK);
    assert_string_equal(out,
        "{\"t\":5,\"cap\":null,\"type\":\"USER_MSG\",\"id\":19,"
        "\"message\":\"q\\\"b\\\\s\\n\\u0001 \xc3\xa9 \xc3\xa3\xc2\x81 \xc3\xbf\"}\n"
        "{\"t\":12,\"cap\":3,\"type\":\"RUN_THREAD\",\"id\":1,\"thread\":7}\n"
        "{\"t\":13,\"cap\":3,\"type\":\"CAP_CREATE\",\"id\":45,\"cap_\":9}\n"
        "{\"t\":14,\"cap\":3,\"type\":\"USER_BINARY_MSG\",\"id\":181,\"message\":\"00ab\"}\n"
        "{\"t\":15,\"cap\":3,\"type\":null,\"id\":250,\"description\":\"a future \\\"type\\\"\","
        "\"payload\":\"78797a\"}\n");
    free(out);
    synth_free(&log);
}

/* ------------------------------------------------------------ chrome */

/* A run that ends inside a GC on the same capability: the GC slice is
 * closed and reopened around the run's end, so slices nest; the GC left
 * open by the truncated log ends at the last time. */
static void test_chrome_nesting_and_truncation(void **state)
{
    (void)state;
    synth log;
    synth_init(&log);
    synth_std_header(&log);
    synth_block_begin(&log, 100, 0, 400);
    ev_thread(&log, ELOG_EV_RUN_THREAD, 100, 1);
    synth_event(&log, ELOG_EV_GC_START, 200, NULL, 0);
    ev_stop(&log, 250, 1, 1);
    ev_msg(&log, 260, "START 3 req");
    ev_msg(&log, 270, "START 4 req");
    ev_msg(&log, 280, "STOP 3 req");
    synth_block_end(&log);
    /* no end marker: truncated */

    elog_export_options o;
    elog_export_options_init(&o);
    o.format = ELOG_EXPORT_CHROME;
    char *out;
    assert_int_equal(export_log(&log, &o, &out, false), ELOG_OK);
    const char *want[] = {
        "{\"ph\":\"B\",\"pid\":1,\"tid\":0,\"ts\":0.100,\"cat\":\"thread\",\"name\":\"thread 1\","
        "\"args\":{\"thread\":1}}",
        "{\"ph\":\"B\",\"pid\":1,\"tid\":0,\"ts\":0.200,\"cat\":\"gc\",\"name\":\"GC\"}",
        /* the run ends inside the GC: GC ends, run ends, GC begins again */
        "{\"ph\":\"E\",\"pid\":1,\"tid\":0,\"ts\":0.250}",
        "{\"ph\":\"E\",\"pid\":1,\"tid\":0,\"ts\":0.250,\"args\":{\"stop\":\"heap overflow\"}}",
        "{\"ph\":\"B\",\"pid\":1,\"tid\":0,\"ts\":0.250,\"cat\":\"gc\",\"name\":\"GC\"}",
        "{\"ph\":\"b\",\"pid\":1,\"tid\":0,\"ts\":0.260,\"cat\":\"span\",\"id\":4,\"name\":\"req\"}",
        "{\"ph\":\"b\",\"pid\":1,\"tid\":0,\"ts\":0.270,\"cat\":\"span\",\"id\":5,\"name\":\"req\"}",
        "{\"ph\":\"e\",\"pid\":1,\"tid\":0,\"ts\":0.280,\"cat\":\"span\",\"id\":4,\"name\":\"req\"}",
        /* closed at the end: the GC, then the open span */
        "{\"ph\":\"E\",\"pid\":1,\"tid\":0,\"ts\":0.280}",
        "{\"ph\":\"e\",\"pid\":1,\"tid\":0,\"ts\":0.280,\"cat\":\"span\",\"id\":5,\"name\":\"req\"}",
    };
    const char *p = out;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const char *q = strstr(p, want[i]);
        if (q == NULL)
            fail_msg("missing (in order) %s\nin:\n%s", want[i], out);
        p = q + strlen(want[i]);
    }
    assert_non_null(strstr(out, "\"name\":\"thread_name\",\"args\":{\"name\":\"cap 0\"}"));
    assert_non_null(strstr(out, "\n]}\n"));
    free(out);
    synth_free(&log);
}

/* ------------------------------------------------------------ csv */

static void test_csv_gc_pauses(void **state)
{
    (void)state;
    synth log;
    synth_init(&log);
    synth_std_header(&log);
    /* cap 0 leads: its GC_STATS_GHC (gen 1) comes after its GC_END, before cap 1's */
    synth_block_begin(&log, 100, 0, 400);
    synth_event(&log, ELOG_EV_GC_START, 100, NULL, 0);
    synth_event(&log, ELOG_EV_GC_END, 300, NULL, 0);
    synth stats;
    synth_init(&stats);
    synth_u32(&stats, 0);
    synth_u16(&stats, 1);
    for (int i = 0; i < 3; i++)
        synth_u64(&stats, 0);
    synth_u32(&stats, 2);
    for (int i = 0; i < 3; i++)
        synth_u64(&stats, 0);
    synth_event(&log, ELOG_EV_GC_STATS_GHC, 310, stats.buf, stats.len);
    synth_free(&stats);
    synth_block_end(&log);
    synth_block_begin(&log, 120, 1, 400);
    synth_event(&log, ELOG_EV_GC_START, 120, NULL, 0);
    synth_event(&log, ELOG_EV_GC_END, 320, NULL, 0);
    ev_thread(&log, ELOG_EV_RUN_THREAD, 330, 5);
    synth_event(&log, ELOG_EV_GC_START, 500, NULL, 0);   /* open at the end */
    synth_block_end(&log);
    synth_data_end(&log);

    elog_export_options o;
    elog_export_options_init(&o);
    o.format = ELOG_EXPORT_CSV;
    o.table = ELOG_EXPORT_TABLE_GC_PAUSES;
    char *out;
    assert_int_equal(export_log(&log, &o, &out, false), ELOG_OK);
    assert_string_equal(out, "start,end,generation,capability\n"
                             "100,300,1,0\n"
                             "120,320,1,1\n"
                             "500,500,,1\n");
    free(out);
    o.table = ELOG_EXPORT_TABLE_THREAD_RUNS;
    assert_int_equal(export_log(&log, &o, &out, false), ELOG_OK);
    assert_string_equal(out, "thread,capability,start,end,stop reason\n"
                             "5,1,330,500,open at end of log\n");
    free(out);
    synth_free(&log);
}

/* ------------------------------------------------------------ failures */

static void build_busy(synth *log)
{
    synth_init(log);
    synth_std_header(log);
    synth_block_begin(log, 1, 0, 1000);
    for (uint32_t i = 0; i < 50; i++) {
        char label[32];
        snprintf(label, sizeof label, "worker %u", i);
        synth p;
        synth_init(&p);
        synth_u32(&p, i);
        synth_str(&p, label);
        synth_event_var(log, ELOG_EV_THREAD_LABEL, 10 * i, p.buf, p.len);
        synth_free(&p);
        ev_thread(log, ELOG_EV_RUN_THREAD, 10 * i + 1, i);
        ev_msg(log, 10 * i + 2, "START phase");
        ev_stop(log, 10 * i + 3, i, 5);
        ev_msg(log, 10 * i + 4, "STOP phase");
        synth_event(log, ELOG_EV_HEAP_PROF_SAMPLE_BEGIN, 10 * i + 5, "\0\0\0\0\0\0\0\1", 8);
        synth s;
        synth_init(&s);
        synth_u8(&s, 0);
        synth_u64(&s, 1000 + i);
        synth_cstr(&s, label);
        synth_event_var(log, ELOG_EV_HEAP_PROF_SAMPLE_STRING, 10 * i + 6, s.buf, s.len);
        synth_free(&s);
        synth_event(log, ELOG_EV_HEAP_PROF_SAMPLE_END, 10 * i + 7, "\0\0\0\0\0\0\0\1", 8);
    }
    synth_block_end(log);
    synth_data_end(log);
}

/* Every allocation failing in turn: ELOG_E_NOMEM, nothing leaked. */
static void test_alloc_failures(void **state)
{
    (void)state;
    synth log;
    build_busy(&log);
    for (int format = 0; format < 3; format++) {
        long n = 0;
        for (;; n++) {
            failing f = {n, 0, 0};
            elog_allocator a = {f_alloc, f_free, &f};
            elog_export_options o;
            elog_export_options_init(&o);
            o.format = (elog_export_format)format;
            o.allocator = &a;
            char *out;
            elog_status st = export_log(&log, &o, &out, false);
            free(out);
            assert_int_equal(f.live, 0);
            if (st == ELOG_OK)
                break;
            assert_int_equal(st, ELOG_E_NOMEM);
        }
        assert_true(n > 0 || format == 2);
    }
    /* the report too */
    for (long n = 0;; n++) {
        failing f = {n, 0, 0};
        elog_allocator a = {f_alloc, f_free, &f};
        elog_report_options o;
        elog_report_options_init(&o);
        o.allocator = &a;
        elog_report *r = elog_report_new(&o);
        if (r == NULL) {
            assert_int_equal(f.live, 0);
            continue;
        }
        elog_settings set;
        elog_settings_init(&set);
        elog_report_attach(&set);
        elog_decoder d;
        elog_decoder_init(&d, &set, r);
        elog_execute(&d, log.buf, log.len);
        elog_end end = elog_finish(&d);
        elog_decoder_free(&d);
        elog_report_on_end(r, &end, NULL);
        sink s = {NULL, 0, 0, false};
        char wbuf[512];
        elog_writer w;
        elog_writer_init(&w, wbuf, sizeof wbuf, sink_flush, &s);
        elog_status st = elog_report_write(r, &w);
        elog_report_free(r);
        free(s.buf);
        assert_int_equal(f.live, 0);
        if (st == ELOG_OK && end.kind == ELOG_END_CLEAN)
            break;
        assert_true(n < 10000);
    }
    synth_free(&log);
}

static void test_writer_failure_and_usage(void **state)
{
    (void)state;
    synth log;
    build_busy(&log);
    elog_export_options o;
    elog_export_options_init(&o);
    o.format = ELOG_EXPORT_CHROME;
    char *out;
    /* the writer fails: the export goes on (dropping output), w->failed says so */
    assert_int_equal(export_log(&log, &o, &out, true), ELOG_OK);
    free(out);

    char wbuf[64];
    elog_writer w;
    elog_writer_init(&w, wbuf, sizeof wbuf, NULL, NULL);
    elog_exporter *x;
    assert_int_equal(elog_exporter_new(NULL, &o, &w), ELOG_E_USAGE);
    assert_int_equal(elog_exporter_new(&x, &o, NULL), ELOG_E_USAGE);
    assert_null(x);
    o.format = (elog_export_format)7;
    assert_int_equal(elog_exporter_new(&x, &o, &w), ELOG_E_USAGE);
    assert_int_equal(elog_exporter_new(&x, NULL, &w), ELOG_OK);
    assert_int_equal(elog_exporter_finish(x), ELOG_OK);
    assert_int_equal(elog_exporter_finish(x), ELOG_E_USAGE);
    elog_event ev;
    memset(&ev, 0, sizeof ev);
    assert_int_equal(elog_exporter_event(x, &ev), ELOG_E_USAGE);
    elog_exporter_free(x);
    elog_exporter_free(NULL);

    elog_export_format f;
    elog_export_table t;
    assert_true(elog_export_format_parse("chrome", &f) && f == ELOG_EXPORT_CHROME);
    assert_false(elog_export_format_parse("xml", &f));
    assert_true(elog_export_table_parse("thread-runs", &t) && t == ELOG_EXPORT_TABLE_THREAD_RUNS);
    assert_string_equal(elog_export_table_name(ELOG_EXPORT_TABLE_GC_PAUSES), "gc-pauses");
    assert_string_equal(elog_export_format_name((elog_export_format)9), "?");
    synth_free(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ndjson_text),
        cmocka_unit_test(test_chrome_nesting_and_truncation),
        cmocka_unit_test(test_csv_gc_pauses),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_writer_failure_and_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The monitor's Prometheus exposition (tools/monitor_expo.c) on synthetic
 * snapshots: label-value escaping, HELP/TYPE before every family,
 * cumulative histogram buckets ending in +Inf = _count, families present
 * only with their figures, and every sample line well formed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "monitor.h"

static char *expo(const mon_snapshot *s)
{
    mon_buf b = { 0 };
    mon_expo_write(&b, s);
    assert_false(b.failed);
    return b.p;
}

static void test_escape(void **state)
{
    (void)state;
    mon_buf b = { 0 };
    const char in[] = "a\"b\\c\nd\xc3\xa9";
    mon_expo_label_value(&b, in, sizeof in - 1);
    assert_string_equal(b.p, "a\\\"b\\\\c\\nd\xc3\xa9");
    mon_buf_free(&b);
}

/* Every line: a comment, or NAME[{LABELS}] VALUE with quoted labels. */
static void check_lines(const char *text)
{
    const char *p = text;
    const char *family = NULL;
    size_t flen = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        if (strncmp(p, "# HELP ", 7) == 0) {
            family = p + 7;
            flen = strcspn(family, " ");
            /* TYPE follows HELP for the same family */
            assert_memory_equal(nl + 1, "# TYPE ", 7);
            assert_memory_equal(nl + 8, family, flen);
        } else if (p[0] != '#') {
            /* a sample of the current family */
            assert_non_null(family);
            assert_memory_equal(p, family, flen);
            const char *q = p + flen;
            if (strncmp(q, "_bucket", 7) == 0)
                q += 7;
            else if (strncmp(q, "_sum", 4) == 0)
                q += 4;
            else if (strncmp(q, "_count", 6) == 0)
                q += 6;
            if (*q == '{') {
                q++;
                while (*q != '}') {
                    while ((*q >= 'a' && *q <= 'z') || *q == '_')
                        q++;
                    assert_memory_equal(q, "=\"", 2);
                    q += 2;
                    while (*q != '"') {
                        assert_true(*q != '\n');
                        q += *q == '\\' ? 2 : 1;
                    }
                    q++;
                    if (*q == ',')
                        q++;
                }
                q++;
            }
            assert_int_equal(*q, ' ');
            char *end;
            (void)strtod(q + 1, &end);
            assert_ptr_equal(end, nl);
        }
        p = nl + 1;
    }
}

static void test_self_only(void **state)
{
    (void)state;
    mon_snapshot s;
    memset(&s, 0, sizeof s);
    s.events = 12;
    s.sessions = 3;
    s.connected = true;
    char *t = expo(&s);
    check_lines(t);
    assert_non_null(strstr(t, "# TYPE eventlog_events_total counter\neventlog_events_total 12\n"));
    assert_non_null(strstr(t, "\neventlog_sessions_total 3\n"));
    assert_non_null(strstr(t, "\neventlog_connected 1\n"));
    assert_null(strstr(t, "ghc_"));   /* no analysis figures: no ghc families */
    free(t);
}

static void test_histograms(void **state)
{
    (void)state;
    static mon_snapshot s;
    memset(&s, 0, sizeof s);
    s.have_analysis = true;
    s.n_gens = 2;
    s.gens[1].collections = 3;
    const double pauses[] = { 0.00005, 0.0003, 0.0003, 20.0 };
    for (int i = 0; i < 4; i++)
        mon_hist_add(&s.gens[1].pause, mon_pause_bounds, mon_pause_nbounds, pauses[i]);
    s.n_spans = 1;
    strcpy(s.spans[0].label, "we\"ird\\label");
    mon_hist_add(&s.spans[0].h, mon_span_bounds, mon_span_nbounds, 0.5);
    s.have_span_other = true;
    mon_hist_add(&s.span_other, mon_span_bounds, mon_span_nbounds, 1000.0);
    char *t = expo(&s);
    check_lines(t);
    assert_non_null(strstr(t, "ghc_gc_collections_total{generation=\"1\"} 3\n"));
    assert_non_null(strstr(t, "ghc_gc_pause_seconds_bucket{generation=\"1\",le=\"0.0001\"} 1\n"));
    assert_non_null(strstr(t, "ghc_gc_pause_seconds_bucket{generation=\"1\",le=\"0.00025\"} 1\n"));
    assert_non_null(strstr(t, "ghc_gc_pause_seconds_bucket{generation=\"1\",le=\"0.0005\"} 3\n"));
    assert_non_null(strstr(t, "ghc_gc_pause_seconds_bucket{generation=\"1\",le=\"10\"} 3\n"));
    assert_non_null(strstr(t, "ghc_gc_pause_seconds_bucket{generation=\"1\",le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(t, "ghc_gc_pause_seconds_count{generation=\"1\"} 4\n"));
    assert_non_null(strstr(t, "ghc_gc_pause_seconds_sum{generation=\"1\"} 20.00065\n"));
    assert_non_null(strstr(t, "ghc_user_span_seconds_count{label=\"we\\\"ird\\\\label\"} 1\n"));
    assert_non_null(strstr(t, "ghc_user_span_seconds_bucket{label=\"other\",le=\"300\"} 0\n"));
    assert_non_null(strstr(t, "ghc_user_span_seconds_bucket{label=\"other\",le=\"+Inf\"} 1\n"));
    /* gauges without a session: the family, no sample */
    assert_non_null(strstr(t, "# TYPE ghc_heap_size_bytes gauge\n# HELP"));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_self_only),
        cmocka_unit_test(test_histograms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

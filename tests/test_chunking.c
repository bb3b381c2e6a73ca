/*
 * Chunking independence on real eventlogs: every corpus file, fed in chunks of
 * 1, 2, 3, 7, 64 and 4096 bytes and in seeded random chunk sizes (and with a
 * callback that pauses every N-th item), must produce a trace -- every callback
 * with every argument and typed field, plus the elog_end -- identical to the
 * trace of a single whole-buffer call. The whole-buffer decode is also checked
 * against figures computed independently from the bytes (data offset, number
 * of events including block markers, end-marker offset) and against the
 * trace recorder's invariants (contiguous records, caps as
 * elog_block_state_apply computes them, fields inside their payload, ...).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "expect.h"

/* Independently computed (a header-driven Python decoder over the bytes). */
typedef struct figures {
    const char *name;
    uint64_t size;
    uint64_t data_offset;
    uint64_t events;        /* block markers included */
    uint64_t blocks;
    elog_end_kind end_kind;
    uint64_t end_offset;    /* CLEAN: the end marker; IN_EVENT: the cut record */
    uint16_t cut_id;        /* IN_EVENT */
    uint32_t cut_missing;   /* IN_EVENT */
} figures;

static const figures known[] = {
    {"ghc-9.2-events.eventlog", 17403, 3036, 791, 4, ELOG_END_CLEAN, 17401, 0, 0},
    {"hello-ghc-8.2.2.eventlog", 11118, 2075, 47, 2, ELOG_END_CLEAN, 11116, 0, 0},
    {"nonmoving-gc-census-T23340.eventlog", 6740, 3092, 155, 4, ELOG_END_CLEAN, 6738, 0, 0},
    {"nonmoving-gc-census.eventlog", 8099, 2688, 269, 2, ELOG_END_CLEAN, 8097, 0, 0},
    {"nonmoving-gc.eventlog", 3212, 2688, 24, 2, ELOG_END_CLEAN, 3210, 0, 0},
    {"parallelTest.eventlog", 10590, 2353, 414, 2, ELOG_END_CLEAN, 10588, 0, 0},
    {"sleep.h.eventlog", 14943, 2075, 243, 2, ELOG_END_CLEAN, 14941, 0, 0},
    {"sleep.hC.eventlog", 14944, 2075, 243, 2, ELOG_END_CLEAN, 14942, 0, 0},
    {"sleep.hd.eventlog", 16491, 2075, 282, 2, ELOG_END_CLEAN, 16489, 0, 0},
    {"sleep.hm.eventlog", 15021, 2075, 243, 2, ELOG_END_CLEAN, 15019, 0, 0},
    {"stop.hT.eventlog", 2321835, 2075, 122155, 3, ELOG_END_CLEAN, 2321833, 0, 0},
    {"testlog-part.eventlog", 10240, 691, 718, 3, ELOG_END_TRUNCATED_IN_EVENT, 10237, 18, 21},
    {"testlog.eventlog", 12883, 691, 923, 5, ELOG_END_CLEAN, 12881, 0, 0},
    {"ticky-begin-sample.eventlog", 4092, 3036, 52, 4, ELOG_END_CLEAN, 4090, 0, 0},
    {"ticky-json.eventlog", 4368, 3092, 50, 4, ELOG_END_CLEAN, 4366, 0, 0},
    {"ticky-ticky.eventlog", 3923, 2796, 50, 3, ELOG_END_CLEAN, 3921, 0, 0},
    {"trace-binary-event.eventlog", 2473, 2114, 18, 2, ELOG_END_CLEAN, 2471, 0, 0},
    {"unicode.eventlog", 2959, 2114, 44, 2, ELOG_END_CLEAN, 2957, 0, 0},
};

static const size_t fixed_chunks[] = {1, 2, 3, 7, 64, 4096};
static const uint64_t seeds[] = {1, 0x5eed, 20240229};

typedef struct file_case {
    char name[256];
    const figures *fig;
} file_case;

static void assert_no_violation(const trace *t, const char *what)
{
    if (t->violations)
        fail_msg("%s: %u invariant violations, first: %s", what, t->violations, t->first_violation);
}

static void assert_same_trace(const trace *full, const trace *t, const char *what)
{
    size_t d = trace_first_diff(full, t, full->n_ents);
    if (d != SIZE_MAX || t->n_ents != full->n_ents) {
        fprintf(stderr, "%s: trace differs at entry %zu (%zu vs %zu entries)\n", what,
                d == SIZE_MAX ? full->n_ents : d, full->n_ents, t->n_ents);
        if (d != SIZE_MAX) {
            trace_dump_entry(full, d, stderr);
            trace_dump_entry(t, d, stderr);
        }
        fail_msg("%s: trace differs from the whole-buffer decode", what);
    }
}

static size_t count_kind(const trace *t, char kind)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_ents; i++)
        n += t->ents[i].kind == kind;
    return n;
}

static size_t count_blocks(const trace *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_ents; i++)
        n += (t->ents[i].kind == 'E' || t->ents[i].kind == 'B') && t->ents[i].id == 18;
    return n;
}

/* settings.select for the test: even ids but the block marker's. Of the
 * thread events, RUN (1) and MIGRATE (5) are turned off, CREATE (0), STOP (2)
 * and WAKEUP (8) stay: skipped records interleave with delivered ones. */
static bool select_some(elog_decoder *d, const elog_event_type *t)
{
    (void)d;
    return t->id % 2 == 0 && t->id != ELOG_EV_BLOCK_MARKER;
}

/* `sel` must be `full` without the event entries of the types select_some()
 * turns off: every other entry (header, events with their capabilities and
 * fields, data end, finish with its event count) byte for byte. */
static void assert_selected_trace(const trace *full, const trace *sel, const char *what)
{
    size_t i = 0, skipped = 0;
    for (size_t j = 0; j < full->n_ents; j++) {
        const trace_ent *e = &full->ents[j];
        if ((e->kind == 'E' || e->kind == 'B') && (e->id % 2 != 0 || e->id == ELOG_EV_BLOCK_MARKER)) {
            skipped++;
            continue;
        }
        if (i >= sel->n_ents || !trace_same_entry(full, j, sel, i)) {
            fprintf(stderr, "%s: entry %zu of the selecting decode is not entry %zu of the full one\n",
                    what, i, j);
            trace_dump_entry(full, j, stderr);
            if (i < sel->n_ents)
                trace_dump_entry(sel, i, stderr);
            fail_msg("%s: the selecting decode differs", what);
        }
        i++;
    }
    if (i != sel->n_ents)
        fail_msg("%s: %zu entries more than expected", what, sel->n_ents - i);
    if (skipped == 0)
        fail_msg("%s: nothing was left out: the test tests nothing", what);
}

static void test_file(void **state)
{
    const file_case *fc = *state;
    uint8_t *buf;
    size_t len;
    assert_true(read_corpus(fc->name, &buf, &len));

    trace full;
    trace_init(&full, 0, false);
    elog_end fe = trace_decode(&full, buf, len, 0, NULL, 0);
    assert_no_violation(&full, "whole buffer");
    assert_int_equal(fe.total_bytes, len);
    assert_int_equal(fe.status, ELOG_OK);
    assert_true(full.n_ents >= 2);
    assert_int_equal(full.ents[0].kind, 'H');
    assert_int_equal(fe.events, count_kind(&full, 'E'));
    if (fe.kind == ELOG_END_CLEAN) {
        assert_int_equal(count_kind(&full, 'D'), 1);
        assert_int_equal(full.ents[full.n_ents - 2].kind, 'D');
        assert_int_equal(full.ents[full.n_ents - 2].offset, fe.offset);
        assert_int_equal(fe.trailing_bytes, len - fe.offset - 2);
    }
    if (fc->fig) {
        const figures *f = fc->fig;
        assert_int_equal(len, f->size);
        assert_int_equal(full.ents[0].offset, f->data_offset);
        assert_int_equal(fe.events, f->events);
        assert_int_equal(count_blocks(&full), f->blocks);
        assert_int_equal(fe.kind, f->end_kind);
        assert_int_equal(fe.offset, f->end_offset);
        if (f->end_kind == ELOG_END_TRUNCATED_IN_EVENT) {
            assert_true(fe.id_known);
            assert_int_equal(fe.event_id, f->cut_id);
            assert_int_equal(fe.bytes_missing, f->cut_missing);
        }
    } else {
        assert_true(fe.kind == ELOG_END_CLEAN || fe.kind == ELOG_END_TRUNCATED_IN_EVENT ||
                    fe.kind == ELOG_END_TRUNCATED_BETWEEN_EVENTS);
    }

    trace t;
    trace_init(&t, 0, false);
    char what[512];
    /* Fixed chunk sizes. */
    for (size_t i = 0; i < sizeof fixed_chunks / sizeof *fixed_chunks; i++) {
        trace_clear(&t);
        trace_decode(&t, buf, len, fixed_chunks[i], NULL, 0);
        snprintf(what, sizeof what, "%s in %zu-byte chunks", fc->name, fixed_chunks[i]);
        assert_no_violation(&t, what);
        assert_same_trace(&full, &t, what);
    }
    /* Random chunk sizes: mostly 1..16, a quarter up to 8192 (or 200). */
    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
        for (int big = 0; big < 2; big++) {
            uint64_t seed = seeds[i];
            size_t maxr = big ? 8192 : 200;
            trace_clear(&t);
            trace_decode(&t, buf, len, 0, &seed, maxr);
            snprintf(what, sizeof what, "%s in random chunks (seed %" PRIu64 ", max %zu)",
                     fc->name, seeds[i], maxr);
            assert_no_violation(&t, what);
            assert_same_trace(&full, &t, what);
        }
    }
    /* Pausing every N-th callback, resumed by the feeder. */
    static const struct {
        unsigned every;
        size_t chunk;
    } pauses[] = {{1, 0}, {1, 7}, {3, 4096}, {7, 1}};
    for (size_t i = 0; i < sizeof pauses / sizeof *pauses; i++) {
        trace_clear(&t);
        t.pause_every = pauses[i].every;
        trace_decode(&t, buf, len, pauses[i].chunk, NULL, 0);
        t.pause_every = 0;
        snprintf(what, sizeof what, "%s pausing every %u callbacks, chunks of %zu", fc->name,
                 pauses[i].every, pauses[i].chunk);
        assert_no_violation(&t, what);
        assert_same_trace(&full, &t, what);
    }
    /* settings.select: the events of the types turned off are left out,
     * whatever the chunking; the rest (capabilities after skipped block
     * markers included) and the end are unchanged. */
    static const size_t select_chunks[] = {0, 1, 7, 4096};
    trace ts;
    trace_init(&ts, 0, false);
    ts.settings.select = select_some;
    for (size_t i = 0; i < sizeof select_chunks / sizeof *select_chunks; i++) {
        trace_clear(&ts);
        elog_end se = trace_decode(&ts, buf, len, select_chunks[i], NULL, 0);
        snprintf(what, sizeof what, "%s selecting, chunks of %zu", fc->name, select_chunks[i]);
        assert_selected_trace(&full, &ts, what);
        assert_int_equal(se.events, fe.events);
    }
    trace_free(&ts);

    /* With on_block: the same events, markers through on_block. */
    trace tb;
    trace_init(&tb, 0, true);
    uint64_t seed = 99;
    elog_end be = trace_decode(&tb, buf, len, 0, &seed, 300);
    assert_no_violation(&tb, "on_block");
    assert_int_equal(tb.n_ents, full.n_ents);
    assert_int_equal(count_kind(&tb, 'B'), count_blocks(&full));
    assert_int_equal(be.events, fe.events);
    for (size_t i = 0; i < tb.n_ents; i++) {
        assert_int_equal(tb.ents[i].offset, full.ents[i].offset);
        assert_int_equal(tb.ents[i].id, full.ents[i].id);
    }
    trace_free(&tb);
    trace_free(&t);
    trace_free(&full);
    free(buf);
}

typedef struct all_files {
    const file_case *cases;
    size_t n;
} all_files;

/* One decoder for every file in turn, reset in between (after a failed
 * stream, after a clean one, and mid-record): each decode must equal a fresh
 * decoder's. Header storage reused across streams of different sizes. */
static void test_reset_reuse(void **state)
{
    const all_files *all = *state;
    trace t, ref;
    trace_init(&t, 0, false);
    trace_init(&ref, 0, false);
    elog_decoder d;
    elog_decoder_init(&d, &t.settings, &t);
    for (size_t round = 0; round < 2; round++) {
        for (size_t k = 0; k < all->n; k++) {
            /* Big files once is enough. */
            size_t i = round ? all->n - 1 - k : k;
            uint8_t *buf;
            size_t len;
            assert_true(read_corpus(all->cases[i].name, &buf, &len));
            if (len > (1u << 20)) {
                free(buf);
                continue;
            }
            trace_clear(&ref);
            trace_decode(&ref, buf, len, 0, NULL, 0);
            /* Leave the previous stream in some state, then reset. */
            switch ((i + round) % 3) {
            case 0: /* an error */
                elog_execute(&d, "junk", 4);
                break;
            case 1: /* in the middle of a record */
                elog_execute(&d, buf, ref.ents[0].offset + 5);
                break;
            default: /* a finished stream */
                break;
            }
            elog_decoder_reset(&d);
            trace_clear(&t);
            trace_feed(&d, &t, buf, len, 7, NULL, 0);
            elog_end end = elog_finish(&d);
            trace_add_finish(&t, &end);
            char what[300];
            snprintf(what, sizeof what, "%s after reset", all->cases[i].name);
            assert_no_violation(&t, what);
            assert_same_trace(&ref, &t, what);
            free(buf);
        }
    }
    elog_decoder_free(&d);
    trace_free(&t);
    trace_free(&ref);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(((const file_case *)a)->name, ((const file_case *)b)->name);
}

/* Usage: test_chunking [DIR]. Without DIR, the conformance corpus
 * ($ELOG_CORPUS_DIR), whose known files must all be present; with DIR, every
 * *.eventlog in it (figures checked for the known names only). */
int main(int argc, char **argv)
{
    bool require_known = argc <= 1;
    if (argc > 1)
        set_corpus_dir(argv[1]);
    DIR *dir = opendir(corpus_dir());
    if (!dir) {
        fprintf(stderr, "cannot open corpus directory %s (set ELOG_CORPUS_DIR)\n", corpus_dir());
        return 1;
    }
    size_t n = 0, cap = 64;
    file_case *cases = calloc(cap, sizeof *cases);
    struct dirent *de;
    while ((de = readdir(dir))) {
        size_t l = strlen(de->d_name);
        if (l < 9 || strcmp(de->d_name + l - 9, ".eventlog") != 0 || l >= sizeof cases->name)
            continue;
        if (n == cap) {
            cap *= 2;
            cases = realloc(cases, cap * sizeof *cases);
        }
        memset(&cases[n], 0, sizeof cases[n]);
        memcpy(cases[n].name, de->d_name, l + 1);
        n++;
    }
    closedir(dir);
    qsort(cases, n, sizeof *cases, cmp_names);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof known / sizeof *known; k++)
            if (strcmp(cases[i].name, known[k].name) == 0)
                cases[i].fig = &known[k];
    /* Every file with known figures must be present. */
    size_t found = 0;
    for (size_t i = 0; i < n; i++)
        found += cases[i].fig != NULL;
    if (n == 0 || (require_known && found != sizeof known / sizeof *known)) {
        fprintf(stderr, "corpus %s: %zu of %zu known files found\n", corpus_dir(), found,
                sizeof known / sizeof *known);
        return 1;
    }
    struct CMUnitTest *tests = calloc(n + 1, sizeof *tests);
    for (size_t i = 0; i < n; i++) {
        tests[i].name = cases[i].name;
        tests[i].test_func = test_file;
        tests[i].initial_state = &cases[i];
    }
    all_files all = {cases, n};
    tests[n].name = "one decoder, reset between files";
    tests[n].test_func = test_reset_reuse;
    tests[n].initial_state = &all;
    int rc = _cmocka_run_group_tests("chunking", tests, n + 1, NULL, NULL);
    free(tests);
    free(cases);
    return rc;
}

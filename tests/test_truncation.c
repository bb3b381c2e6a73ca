/*
 * Truncation at every byte offset of real eventlogs.
 *
 * For each file the whole decode gives the reference trace and the record
 * boundaries. Then for every cut n in [0, size] the prefix buf[0, n) is
 * decoded (one elog_execute call, then elog_finish) and must:
 *   - not crash, and satisfy the trace recorder's invariants;
 *   - end with the right class: EMPTY at 0; TRUNCATED_IN_HEADER before the
 *     data section begins (offset <= n, 1 <= bytes_missing <= data_offset - n);
 *     TRUNCATED_BETWEEN_EVENTS exactly at record boundaries (offset = n);
 *     TRUNCATED_IN_EVENT otherwise, at the start of the cut record, with its id
 *     once 2 bytes of it are present and the exact bytes_missing once its
 *     length is known (a lower bound before); CLEAN once the end marker is in;
 *   - deliver exactly the reference's callbacks for the records before the cut,
 *     byte-identical (header, events, typed fields).
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

static const char *const files[] = {
    "hello-ghc-8.2.2.eventlog",
    "ghc-9.2-events.eventlog",
    "nonmoving-gc-census-T23340.eventlog",
    "testlog.eventlog",
    "ticky-json.eventlog",
    "trace-binary-event.eventlog",
    "parallelTest.eventlog",
    "nonmoving-gc-census.eventlog",
    "nonmoving-gc.eventlog",
    "sleep.h.eventlog",
    "sleep.hC.eventlog",
    "sleep.hd.eventlog",
    "sleep.hm.eventlog",
    "ticky-begin-sample.eventlog",
    "ticky-ticky.eventlog",
    "unicode.eventlog",
};

static void check_cut(const trace *full, const uint8_t *buf, size_t n, size_t *rec,
                      uint64_t data_offset, trace *part, const char *name)
{
    trace_clear(part);
    elog_end end = trace_decode(part, buf, n, 0, NULL, 0);
    if (part->violations)
        fail_msg("%s cut at %zu: %u invariant violations, first: %s", name, n, part->violations,
                 part->first_violation);
    if (end.total_bytes != n || end.status != ELOG_OK)
        fail_msg("%s cut at %zu: total %" PRIu64 ", status %s", name, n, end.total_bytes,
                 elog_status_name(end.status));

    /* full->ents: H, records (E/D) ..., F. Advance *rec to the first record
     * that ends after n. */
    size_t last = full->n_ents - 1; /* the F entry */
    while (*rec < last && full->ents[*rec].offset + full->ents[*rec].size <= n)
        (*rec)++;
    size_t want_ents; /* entries of part before its F */
    if (n == 0) {
        if (end.kind != ELOG_END_EMPTY)
            fail_msg("%s cut at 0: end kind %s", name, elog_end_kind_name(end.kind));
        want_ents = 0;
    } else if (n < data_offset) {
        if (end.kind != ELOG_END_TRUNCATED_IN_HEADER)
            fail_msg("%s cut at %zu (header ends at %" PRIu64 "): end kind %s", name, n,
                     data_offset, elog_end_kind_name(end.kind));
        if (end.offset > n || end.bytes_missing < 1 || end.bytes_missing > data_offset - n)
            fail_msg("%s cut at %zu in the header: offset %" PRIu64 ", bytes_missing %u", name, n,
                     end.offset, end.bytes_missing);
        want_ents = 0;
    } else {
        want_ents = *rec; /* header + complete records */
        const trace_ent *r = *rec < last ? &full->ents[*rec] : NULL;
        bool at_boundary = !r || r->offset == n;
        bool clean = want_ents >= 2 && full->ents[want_ents - 1].kind == 'D';
        if (clean) {
            if (end.kind != ELOG_END_CLEAN || end.offset != full->ents[want_ents - 1].offset)
                fail_msg("%s cut at %zu after the end marker: %s at %" PRIu64, name, n,
                         elog_end_kind_name(end.kind), end.offset);
            assert_int_equal(end.trailing_bytes, n - end.offset - 2);
        } else if (at_boundary) {
            if (end.kind != ELOG_END_TRUNCATED_BETWEEN_EVENTS || end.offset != n)
                fail_msg("%s cut at record boundary %zu: %s at %" PRIu64, name, n,
                         elog_end_kind_name(end.kind), end.offset);
        } else {
            size_t have = n - r->offset, missing = r->offset + r->size - n;
            if (end.kind != ELOG_END_TRUNCATED_IN_EVENT || end.offset != r->offset)
                fail_msg("%s cut at %zu inside the record at %" PRIu64 ": %s at %" PRIu64, name, n,
                         r->offset, elog_end_kind_name(end.kind), end.offset);
            if (end.id_known != (have >= 2))
                fail_msg("%s cut at %zu (%zu bytes of the record at %" PRIu64 "): id_known %d",
                         name, n, have, r->offset, end.id_known);
            if (have >= 2 && end.event_id != r->id)
                fail_msg("%s cut at %zu: event_id %u, expected %u", name, n, end.event_id, r->id);
            bool len_known = have >= 2 && (!r->var || have >= 12);
            if (len_known ? end.bytes_missing != missing
                          : (end.bytes_missing < 1 || end.bytes_missing > missing ||
                             (have >= 2 && end.bytes_missing < 12 - have)))
                fail_msg("%s cut at %zu (%zu of %u bytes of id %u at %" PRIu64
                         "): bytes_missing %u, expected %s%zu",
                         name, n, have, r->size, r->id, r->offset, end.bytes_missing,
                         len_known ? "" : "at most ", missing);
        }
        uint64_t events = 0;
        for (size_t i = 1; i < want_ents; i++)
            events += full->ents[i].kind == 'E';
        assert_int_equal(end.events, events);
    }
    if (part->n_ents != want_ents + 1)
        fail_msg("%s cut at %zu: %zu callbacks, expected %zu", name, n, part->n_ents - 1,
                 want_ents);
    size_t d = trace_first_diff(full, part, want_ents);
    if (d != SIZE_MAX) {
        fprintf(stderr, "%s cut at %zu: entry %zu differs from the whole decode\n", name, n, d);
        trace_dump_entry(full, d, stderr);
        trace_dump_entry(part, d, stderr);
        fail_msg("%s cut at %zu: callbacks differ from the whole decode", name, n);
    }
}

/* --sampled: cut each file at a sample of offsets instead of all of them. */
static bool sampled;

static int compare_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static void test_file(void **state)
{
    const char *name = *state;
    uint8_t *buf;
    size_t len;
    assert_true(read_corpus(name, &buf, &len));
    trace full;
    trace_init(&full, 0, false);
    elog_end fe = trace_decode(&full, buf, len, 0, NULL, 0);
    if (full.violations)
        fail_msg("%s: %u invariant violations, first: %s", name, full.violations,
                 full.first_violation);
    /* A killed program's log (corpus/ghc-9.0.2/killed-sigkill) has no end
     * marker; every other corpus file ends cleanly. */
    if (fe.kind == ELOG_END_CLEAN) {
        assert_int_equal(full.ents[full.n_ents - 2].kind, 'D');
    } else {
        assert_int_equal(fe.kind, ELOG_END_TRUNCATED_BETWEEN_EVENTS);
        assert_int_equal(fe.offset, len);
    }
    assert_int_equal(full.ents[0].kind, 'H');
    assert_int_equal(full.ents[full.n_ents - 1].kind, 'F');
    uint64_t data_offset = full.ents[0].offset;
    assert_true(data_offset > 0 && data_offset < len);

    trace part;
    trace_init(&part, 0, false);
    size_t rec = 1, cuts = 0;
    if (!sampled) {
        for (size_t n = 0; n <= len; n++)
            check_cut(&full, buf, n, &rec, data_offset, &part, name);
        cuts = len + 1;
    } else {
        /* Larger logs: every offset of the header and the first records,
         * both sides of every record boundary of a random sample, and random
         * offsets, in ascending order (check_cut walks the records once). */
        size_t n_recs = full.n_ents - 2, cap = 8192 + 4 * 400 + 400 + 1;
        size_t *at = malloc(cap * sizeof *at), k = 0;
        assert_non_null(at);
        uint64_t rng = 0x9e3779b97f4a7c15ull ^ len;
        for (size_t n = 0; n <= len && n < 8192; n++)
            at[k++] = n;
        for (int i = 0; i < 400 && n_recs; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            const trace_ent *r = &full.ents[1 + rng % n_recs];
            for (uint64_t d = 0; d < 4; d++)
                if (r->offset + d <= len)
                    at[k++] = (size_t)(r->offset + d + (d == 3 ? r->size - 4 : 0));
        }
        for (int i = 0; i < 400; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            at[k++] = (size_t)(rng % (len + 1));
        }
        at[k++] = len;
        qsort(at, k, sizeof *at, compare_size);
        for (size_t i = 0; i < k; i++) {
            if (i && at[i] == at[i - 1])
                continue;
            if (at[i] > len)
                continue;
            check_cut(&full, buf, at[i], &rec, data_offset, &part, name);
            cuts++;
        }
        free(at);
    }
    print_message("%s: %zu cuts checked (0..%zu), %zu records\n", name, cuts, len,
                  full.n_ents - 2);
    trace_free(&part);
    trace_free(&full);
    free(buf);
}

/* Every .eventlog in `dir`, sampled: the project's own, larger GHC 9.0.2 logs. */
static int run_sampled(const char *dir)
{
    static char names[256][256];
    struct CMUnitTest tests[256];
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 256) {
        size_t len = strlen(de->d_name);
        if (len < 9 || len >= sizeof names[0] || strcmp(de->d_name + len - 9, ".eventlog") != 0)
            continue;
        memcpy(names[n], de->d_name, len + 1);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    memset(tests, 0, sizeof tests);
    for (size_t i = 0; i < n; i++) {
        tests[i].name = names[i];
        tests[i].test_func = test_file;
        tests[i].initial_state = names[i];
    }
    sampled = true;
    set_corpus_dir(dir);
    return _cmocka_run_group_tests("truncation-sampled", tests, n, NULL, NULL);
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--sampled") == 0)
        return run_sampled(argv[2]);
    if (argc > 1)
        set_corpus_dir(argv[1]);
    enum { N = sizeof files / sizeof *files };
    struct CMUnitTest tests[N];
    memset(tests, 0, sizeof tests);
    /* Under valgrind (scripts/test.sh) the first four files, one per GHC
     * generation, keep the run short; ASan and the plain build check all. */
    size_t n = N;
    const char *max = getenv("ELOG_TEST_FILES_MAX");
    if (max && strtoul(max, NULL, 10) > 0 && strtoul(max, NULL, 10) < N)
        n = strtoul(max, NULL, 10);
    for (size_t i = 0; i < n; i++) {
        tests[i].name = files[i];
        tests[i].test_func = test_file;
        tests[i].initial_state = (void *)(uintptr_t)files[i];
    }
    return _cmocka_run_group_tests("truncation", tests, n, NULL, NULL);
}

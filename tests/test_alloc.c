/*
 * Allocation failures and leaks, through elog_settings.allocator.
 *
 * The hook counts every allocation, fails the N-th one on request, tracks the
 * live blocks with their sizes (the size passed to free must be the size
 * allocated) and the live byte count, which must be zero after
 * elog_decoder_free(). For every N until a decode needs fewer than N
 * allocations, the decode must stop with a clean, sticky ELOG_E_NOMEM whose
 * callbacks are a prefix of the successful decode's, and leak nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "expect.h"
#include "synth.h"

typedef struct live_block {
    void *ptr;
    size_t size;
} live_block;

typedef struct hook {
    size_t fail_at;        /* fail the fail_at-th allocation (1-based); 0 = never */
    size_t allocs;         /* allocation attempts */
    size_t failed;         /* allocations refused */
    size_t frees;
    size_t live_bytes;
    size_t peak_bytes;
    unsigned errors;       /* bad frees */
    char first_error[200];
    live_block *blocks;
    size_t n_blocks, cap_blocks;
} hook;

static void hook_error(hook *h, const char *msg, size_t a, size_t b)
{
    if (h->errors++ == 0)
        snprintf(h->first_error, sizeof h->first_error, "%s (%zu, %zu)", msg, a, b);
}

static void *hook_alloc(void *ctx, size_t size)
{
    hook *h = ctx;
    h->allocs++;
    if (h->fail_at && h->allocs == h->fail_at) {
        h->failed++;
        return NULL;
    }
    if (size == 0)
        hook_error(h, "zero-sized allocation", h->allocs, 0);
    void *p = malloc(size ? size : 1);
    if (!p)
        return NULL;
    memset(p, 0xa5, size); /* no reliance on zeroed memory */
    if (h->n_blocks == h->cap_blocks) {
        h->cap_blocks = h->cap_blocks ? h->cap_blocks * 2 : 16;
        h->blocks = realloc(h->blocks, h->cap_blocks * sizeof *h->blocks);
    }
    h->blocks[h->n_blocks].ptr = p;
    h->blocks[h->n_blocks].size = size;
    h->n_blocks++;
    h->live_bytes += size;
    if (h->live_bytes > h->peak_bytes)
        h->peak_bytes = h->live_bytes;
    return p;
}

static void hook_free(void *ctx, void *ptr, size_t size)
{
    hook *h = ctx;
    if (!ptr)
        return;
    h->frees++;
    for (size_t i = 0; i < h->n_blocks; i++) {
        if (h->blocks[i].ptr == ptr) {
            if (h->blocks[i].size != size)
                hook_error(h, "free with a size other than allocated", size, h->blocks[i].size);
            h->live_bytes -= h->blocks[i].size;
            h->blocks[i] = h->blocks[--h->n_blocks];
            free(ptr);
            return;
        }
    }
    hook_error(h, "free of a pointer not allocated (or freed twice)", size, 0);
}

static void hook_init(hook *h, size_t fail_at)
{
    memset(h, 0, sizeof *h);
    h->fail_at = fail_at;
}

static void hook_done(hook *h)
{
    for (size_t i = 0; i < h->n_blocks; i++)
        free(h->blocks[i].ptr);
    free(h->blocks);
    h->blocks = NULL;
}

static void assert_hook_clean(const hook *h, const char *what)
{
    if (h->errors)
        fail_msg("%s: %u allocator misuses, first: %s", what, h->errors, h->first_error);
    if (h->live_bytes || h->n_blocks)
        fail_msg("%s: %zu bytes in %zu blocks still live after elog_decoder_free", what,
                 h->live_bytes, h->n_blocks);
}

/* Decodes buf with the hook failing allocation N, in chunks of `chunk` bytes
 * (0 = whole). Returns true if an allocation was refused. */
static bool decode_failing(const uint8_t *buf, size_t len, size_t chunk, size_t n,
                           const trace *ref, const char *name)
{
    hook h;
    hook_init(&h, n);
    elog_allocator a = {hook_alloc, hook_free, &h};
    trace t;
    trace_init(&t, 0, false);
    t.settings.allocator = &a;
    elog_decoder d;
    elog_decoder_init(&d, &t.settings, &t);
    assert_int_equal(h.allocs, 0); /* init allocates nothing */
    elog_status st = ELOG_OK;
    size_t pos = 0;
    while (pos < len) {
        size_t k = chunk && chunk < len - pos ? chunk : len - pos;
        elog_result r = elog_execute(&d, buf + pos, k);
        if (r.status != ELOG_OK) {
            st = r.status;
            break;
        }
        assert_int_equal(r.read, k);
        pos += k;
    }
    bool refused = h.failed > 0;
    char what[300];
    snprintf(what, sizeof what, "%s, chunks of %zu, allocation %zu failing", name, chunk, n);
    if (refused) {
        if (st != ELOG_E_NOMEM)
            fail_msg("%s: execute returned %s", what, elog_status_name(st));
        assert_int_equal(elog_get_error(&d), ELOG_E_NOMEM);
        assert_true(strlen(elog_get_error_reason(&d)) > 0);
        /* Sticky, and no allocation retried behind our back. */
        size_t before = h.allocs;
        elog_result r = elog_execute(&d, buf + pos, len - pos);
        assert_int_equal(r.status, ELOG_E_NOMEM);
        assert_int_equal(r.read, 0);
        assert_int_equal(h.allocs, before);
        /* The callbacks so far are the successful decode's. */
        size_t m = t.n_ents;
        assert_true(m < ref->n_ents);
        size_t diff = trace_first_diff(ref, &t, m);
        if (diff != SIZE_MAX)
            fail_msg("%s: callback %zu differs from the successful decode", what, diff);
    } else if (st != ELOG_OK) {
        fail_msg("%s: execute returned %s without an allocation failure", what,
                 elog_status_name(st));
    }
    size_t before_finish = h.allocs;
    elog_end end = elog_finish(&d);
    assert_int_equal(h.allocs, before_finish); /* finish never allocates */
    if (refused) {
        assert_int_equal(end.kind, ELOG_END_ERROR);
        assert_int_equal(end.status, ELOG_E_NOMEM);
    } else {
        trace_add_finish(&t, &end);
        size_t diff = trace_first_diff(ref, &t, ref->n_ents);
        if (diff != SIZE_MAX || t.n_ents != ref->n_ents)
            fail_msg("%s: decode differs from the reference", what);
    }
    if (t.violations)
        fail_msg("%s: %s", what, t.first_violation);
    elog_decoder_free(&d);
    assert_hook_clean(&h, what);
    hook_done(&h);
    trace_free(&t);
    return refused;
}

static void fail_each_allocation(const uint8_t *buf, size_t len, const char *name)
{
    trace ref;
    trace_init(&ref, 0, false);
    elog_end re = trace_decode(&ref, buf, len, 0, NULL, 0);
    assert_int_equal(re.status, ELOG_OK);
    static const size_t chunks[] = {0, 1, 7, 4096};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        size_t n = 1;
        while (decode_failing(buf, len, chunks[c], n, &ref, name)) {
            n++;
            if (n > 1000)
                fail_msg("%s: more than 1000 allocations", name);
        }
        /* Something was allocated (the type table at least): N = 1 failed. */
        assert_true(n >= 2);
        print_message("%s, chunks of %zu: %zu allocations, each failed once\n", name, chunks[c],
                      n - 1);
    }
    trace_free(&ref);
}

static void test_fail_each_allocation_corpus(void **state)
{
    (void)state;
    static const char *const names[] = {"hello-ghc-8.2.2.eventlog", "ghc-9.2-events.eventlog",
                                        "testlog.eventlog"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        uint8_t *buf;
        size_t len;
        assert_true(read_corpus(names[i], &buf, &len));
        fail_each_allocation(buf, len, names[i]);
        free(buf);
    }
}

/* A header with many types and long descriptions (growth of the tables). */
static void test_fail_each_allocation_big_header(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    char desc[600];
    for (int i = 0; i < 400; i++) {
        memset(desc, 'a' + i % 26, sizeof desc);
        synth_type_ex(&s, (uint16_t)(i * 7), 4, desc, (size_t)(i % 3 ? 5 : 599), "xx", 2);
    }
    synth_header_end(&s);
    synth_data_begin(&s);
    for (int i = 0; i < 100; i++) {
        uint8_t p[4] = {0, 0, 0, (uint8_t)i};
        synth_event(&s, (uint16_t)(i % 400 * 7), (uint64_t)i, p, 4);
    }
    synth_data_end(&s);
    fail_each_allocation(s.buf, s.len, "synthetic 400-type header");
    synth_free(&s);
}

static void test_reset_after_nomem(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    assert_true(read_corpus("hello-ghc-8.2.2.eventlog", &buf, &len));
    hook h;
    hook_init(&h, 1);
    elog_allocator a = {hook_alloc, hook_free, &h};
    expect e;
    expect_init(&e, 0, false);
    expect_record_only(&e);
    e.settings.allocator = &a;
    elog_decoder d;
    elog_decoder_init(&d, &e.settings, &e);
    elog_result r = elog_execute(&d, buf, len);
    assert_int_equal(r.status, ELOG_E_NOMEM);
    assert_int_equal(e.n_got, 0);
    /* A reset forgets the error; with memory available the decode succeeds. */
    elog_decoder_reset(&d);
    assert_int_equal(elog_get_error(&d), ELOG_OK);
    h.fail_at = 0;
    expect_rewind(&e);
    for (size_t i = 0; i < len; i += 100) {
        r = elog_execute(&d, buf + i, len - i < 100 ? len - i : 100);
        assert_int_equal(r.status, ELOG_OK);
    }
    elog_end end = elog_finish(&d);
    assert_int_equal(end.kind, ELOG_END_CLEAN);
    assert_int_equal(end.events, 47);
    assert_int_equal(e.n_got, 1 + 47 + 1);
    elog_decoder_free(&d);
    assert_hook_clean(&h, "reset after ELOG_E_NOMEM");
    /* And the decoder can be initialised again after free. */
    elog_decoder_init(&d, &e.settings, &e);
    expect_rewind(&e);
    assert_int_equal(elog_execute(&d, buf, len).status, ELOG_OK);
    elog_decoder_free(&d);
    assert_hook_clean(&h, "init after free");
    hook_done(&h);
    expect_free(&e);
    free(buf);
}

/* Nothing is allocated per event: 10 or 20000 events, the same allocations. */
static size_t allocs_for(size_t n_events, size_t chunk, size_t *peak)
{
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    for (size_t i = 0; i < n_events; i++) {
        uint8_t p[4] = {0, 0, (uint8_t)(i >> 8), (uint8_t)i};
        synth_event(&s, 0, i, p, 4);
        synth_event_var(&s, 16, i, "a log message", 13);
    }
    synth_data_end(&s);
    hook h;
    hook_init(&h, 0);
    elog_allocator a = {hook_alloc, hook_free, &h};
    elog_settings st;
    elog_settings_init(&st);
    st.allocator = &a;
    elog_decoder d;
    elog_decoder_init(&d, &st, NULL);
    for (size_t i = 0; i < s.len; i += chunk)
        assert_int_equal(elog_execute(&d, s.buf + i, s.len - i < chunk ? s.len - i : chunk).status,
                         ELOG_OK);
    elog_end end = elog_finish(&d);
    assert_int_equal(end.kind, ELOG_END_CLEAN);
    assert_int_equal(end.events, 2 * n_events);
    size_t n = h.allocs;
    *peak = h.peak_bytes;
    elog_decoder_free(&d);
    assert_hook_clean(&h, "allocations per event");
    hook_done(&h);
    synth_free(&s);
    return n;
}

static void test_no_allocation_per_event(void **state)
{
    (void)state;
    size_t p1, p2;
    size_t small = allocs_for(10, 7, &p1), big = allocs_for(20000, 7, &p2);
    assert_int_equal(small, big);
    assert_int_equal(p1, p2);
    /* The carry buffer is at most one maximal record (plus the tables). */
    assert_true(p2 >= ELOG_MAX_RECORD_SIZE);
    size_t whole_small = allocs_for(10, SIZE_MAX / 2, &p1);
    /* Fed whole, no record straddles: no carry buffer. */
    assert_true(whole_small < small);
    assert_true(p1 < ELOG_MAX_RECORD_SIZE);
}

/* elog_decoder_reset keeps the carry buffer: the second stream allocates less. */
static void test_reset_keeps_carry(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    assert_true(read_corpus("hello-ghc-8.2.2.eventlog", &buf, &len));
    hook h;
    hook_init(&h, 0);
    elog_allocator a = {hook_alloc, hook_free, &h};
    elog_settings st;
    elog_settings_init(&st);
    st.allocator = &a;
    elog_decoder d;
    elog_decoder_init(&d, &st, NULL);
    size_t counts[2];
    for (int round = 0; round < 2; round++) {
        size_t before = h.allocs;
        for (size_t i = 0; i < len; i += 5)
            assert_int_equal(elog_execute(&d, buf + i, len - i < 5 ? len - i : 5).status, ELOG_OK);
        assert_int_equal(elog_finish(&d).kind, ELOG_END_CLEAN);
        counts[round] = h.allocs - before;
        elog_decoder_reset(&d);
    }
    assert_true(counts[1] < counts[0]);
    assert_true(h.live_bytes >= ELOG_MAX_RECORD_SIZE); /* the carry buffer is kept */
    elog_decoder_free(&d);
    assert_hook_clean(&h, "reset keeps the carry buffer");
    hook_done(&h);
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        set_corpus_dir(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fail_each_allocation_corpus),
        cmocka_unit_test(test_fail_each_allocation_big_header),
        cmocka_unit_test(test_reset_after_nomem),
        cmocka_unit_test(test_no_allocation_per_event),
        cmocka_unit_test(test_reset_keeps_carry),
    };
    return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}

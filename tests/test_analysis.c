/*
 * The analysis layer (include/eventlog/analysis.h) on synthetic logs with
 * known answers: each test builds a log (tests/synth.h) whose figures can be
 * worked out by hand, decodes it (whole, and byte by byte where order could
 * matter) into an elog_analysis and checks the snapshot. Truncated logs
 * check that open intervals are closed at the last timestamp and flagged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "eventlog/analysis.h"
#include "synth.h"

static synth pl;

static void ev0(synth *s, uint16_t id, uint64_t t)
{
    synth_event(s, id, t, NULL, 0);
}

static void ev_u32(synth *s, uint16_t id, uint64_t t, uint32_t v)
{
    synth_clear(&pl);
    synth_u32(&pl, v);
    synth_event(s, id, t, pl.buf, pl.len);
}

static void ev_stop(synth *s, uint64_t t, uint32_t thread, uint16_t status)
{
    synth_clear(&pl);
    synth_u32(&pl, thread);
    synth_u16(&pl, status);
    synth_u32(&pl, 0);
    synth_event(s, ELOG_EV_STOP_THREAD, t, pl.buf, pl.len);
}

static void ev_gc_stats(synth *s, uint64_t t, uint16_t gen, uint64_t copied, uint32_t par)
{
    synth_clear(&pl);
    synth_u32(&pl, 0);
    synth_u16(&pl, gen);
    synth_u64(&pl, copied);
    synth_u64(&pl, 0);
    synth_u64(&pl, 0);
    synth_u32(&pl, par);
    synth_u64(&pl, 0);
    synth_u64(&pl, copied);
    synth_u64(&pl, 0);
    synth_event(s, ELOG_EV_GC_STATS_GHC, t, pl.buf, pl.len);
}

static void ev_heap(synth *s, uint16_t id, uint64_t t, uint64_t v)
{
    synth_clear(&pl);
    synth_u32(&pl, 0);
    synth_u64(&pl, v);
    synth_event(s, id, t, pl.buf, pl.len);
}

static void ev_text(synth *s, uint16_t id, uint64_t t, const char *text)
{
    synth_clear(&pl);
    synth_str(&pl, text);
    synth_event_var(s, id, t, pl.buf, pl.len);
}

/* THREAD_WAKEUP of `thread`, woken onto capability `cap`. */
static void ev_wakeup(synth *s, uint64_t t, uint32_t thread, uint16_t cap)
{
    synth_clear(&pl);
    synth_u32(&pl, thread);
    synth_u16(&pl, cap);
    synth_event(s, ELOG_EV_THREAD_WAKEUP, t, pl.buf, pl.len);
}

static void ev_label(synth *s, uint64_t t, uint32_t thread, const char *text)
{
    synth_clear(&pl);
    synth_u32(&pl, thread);
    synth_str(&pl, text);
    synth_event_var(s, ELOG_EV_THREAD_LABEL, t, pl.buf, pl.len);
}

static void ev_sparks(synth *s, uint64_t t, uint64_t created, uint64_t converted)
{
    synth_clear(&pl);
    synth_u64(&pl, created);
    synth_u64(&pl, 1);  /* dud */
    synth_u64(&pl, 2);  /* overflowed */
    synth_u64(&pl, converted);
    synth_u64(&pl, 3);  /* gcd */
    synth_u64(&pl, 4);  /* fizzled */
    synth_u64(&pl, 0);  /* remaining */
    synth_event(s, ELOG_EV_SPARK_COUNTERS, t, pl.buf, pl.len);
}

static void ev_sample(synth *s, uint64_t t, const char *label, uint64_t bytes)
{
    synth_clear(&pl);
    synth_u8(&pl, 0);
    synth_u64(&pl, bytes);
    synth_cstr(&pl, label);
    synth_event_var(s, ELOG_EV_HEAP_PROF_SAMPLE_STRING, t, pl.buf, pl.len);
}

static void ev_u64(synth *s, uint16_t id, uint64_t t, uint64_t v)
{
    synth_clear(&pl);
    synth_u64(&pl, v);
    synth_event(s, id, t, pl.buf, pl.len);
}

/* Decodes `n` bytes of `buf` (in pieces of `chunk`, 0: whole) into a new
 * analysis (configuration `cfg`, NULL: defaults) and returns its snapshot. */
static elog_stats *analyse_cfg(const uint8_t *buf, size_t n, size_t chunk,
                               const elog_analysis_config *cfg)
{
    elog_analysis *a = elog_analysis_new(cfg);
    assert_non_null(a);
    elog_settings st;
    elog_settings_init(&st);
    elog_analysis_attach(&st);
    elog_decoder d;
    elog_decoder_init(&d, &st, a);
    size_t step = chunk ? chunk : n;
    for (size_t off = 0; off < n; off += step) {
        size_t k = n - off < step ? n - off : step;
        elog_result r = elog_execute(&d, buf + off, k);
        assert_int_equal(r.status, ELOG_OK);
    }
    elog_end end = elog_finish(&d);
    elog_analysis_on_end(a, &end, NULL);
    elog_stats *s = elog_analysis_snapshot(a);
    assert_non_null(s);
    elog_analysis_free(a); /* the snapshot outlives it */
    elog_decoder_free(&d);
    return s;
}

static elog_stats *analyse(const uint8_t *buf, size_t n, size_t chunk)
{
    return analyse_cfg(buf, n, chunk, NULL);
}

/* Two capabilities, two GCs: the leader's GC_START..GC_END is the pause,
 * with the generation of the GC_STATS_GHC that follows on the same cap. */
static void build_gc_log(synth *s, bool with_end)
{
    synth_std_header(s);
    synth_block_begin(s, 0, 0, 0);
    ev0(s, ELOG_EV_GC_START, 100);
    ev0(s, ELOG_EV_GC_END, 600);
    ev_gc_stats(s, 601, 0, 1000, 2);
    ev_heap(s, ELOG_EV_HEAP_ALLOCATED, 602, 100);
    ev_heap(s, ELOG_EV_HEAP_SIZE, 603, 4096);
    ev_sparks(s, 604, 5, 2);
    ev0(s, ELOG_EV_GC_START, 1000);
    ev0(s, ELOG_EV_GC_END, 3000);
    ev_gc_stats(s, 3001, 1, 24, 1);
    ev_heap(s, ELOG_EV_HEAP_LIVE, 3002, 777);
    ev_heap(s, ELOG_EV_HEAP_ALLOCATED, 3003, 300);
    ev_heap(s, ELOG_EV_HEAP_SIZE, 3004, 2048);
    synth_block_end(s);
    synth_block_begin(s, 0, 1, 0);
    ev0(s, ELOG_EV_GC_START, 150);
    ev0(s, ELOG_EV_GC_END, 590);
    ev_heap(s, ELOG_EV_HEAP_ALLOCATED, 3005, 50);
    ev_sparks(s, 3006, 7, 1);
    ev0(s, ELOG_EV_GC_START, 1010);
    ev0(s, ELOG_EV_GC_END, 2990);
    ev_heap(s, ELOG_EV_HEAP_LIVE, 3007, 500);
    synth_block_end(s);
    if (with_end)
        synth_data_end(s);
}

static void test_rts_summary_and_pauses(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    build_gc_log(&s, true);
    for (size_t chunk = 0; chunk <= 7; chunk += 7) {
        elog_stats *st = analyse(s.buf, s.len, chunk);
        assert_int_equal(st->n_generations, 2);
        assert_int_equal(st->generations[0].collections, 1);
        assert_int_equal(st->generations[0].parallel, 1);
        assert_int_equal(st->generations[0].copied_bytes, 1000);
        assert_int_equal(st->generations[1].collections, 1);
        assert_int_equal(st->generations[1].parallel, 0);
        assert_int_equal(st->copied_bytes, 1024);
        assert_int_equal(st->allocated_bytes, 350);  /* 300 (cap 0's last) + 50 */
        assert_int_equal(st->max_live_bytes, 777);
        assert_int_equal(st->max_size_bytes, 4096);
        assert_int_equal(st->heap_size_bytes, 2048);  /* the latest, at 3004 */
        assert_int_equal(st->heap_live_bytes, 500);   /* cap 1's, at 3007 */
        assert_true(st->has_sparks);
        assert_int_equal(st->sparks.created, 12);
        assert_int_equal(st->sparks.converted, 3);
        assert_int_equal(st->sparks.dud, 2);
        assert_int_equal(st->sparks.fizzled, 8);
        /* Pauses: 500 (gen 0) and 2000 (gen 1), from cap 0, the leader. */
        assert_int_equal(st->pause.count, 2);
        assert_int_equal(st->pause.total_ns, 2500);
        assert_int_equal(st->pause.max_ns, 2000);
        assert_int_equal(st->pause.mean_ns, 1250);
        assert_int_equal(st->generations[0].pause.count, 1);
        assert_int_equal(st->generations[0].pause.max_ns, 500);
        assert_int_equal(st->generations[1].pause.p50_ns, 2000);
        assert_int_equal(st->n_longest, 2);
        assert_int_equal(st->longest[0].start_ns, 1000);
        assert_int_equal(st->longest[0].end_ns, 3000);
        assert_int_equal(st->longest[0].generation, 1);
        assert_false(st->pause_open);
        /* Time: 100 .. 3007, GC 2500. */
        assert_int_equal(st->start_ns, 100);
        assert_int_equal(st->end_ns, 3007);
        assert_int_equal(st->gc_ns, 2500);
        assert_int_equal(st->mutator_ns, 2907 - 2500);
        /* Capabilities: their own GC time. */
        assert_int_equal(st->n_caps, 2);
        assert_int_equal(st->caps[0].gc_ns, 2500);
        assert_int_equal(st->caps[1].gc_ns, 440 + 1980);
        assert_int_equal(st->caps[1].idle_ns, 2907 - 2420);
        uint64_t util_gc = 0;
        for (size_t i = 0; i < st->n_buckets; i++)
            util_gc += st->util[st->n_buckets + i].gc_ns;
        assert_int_equal(util_gc, 2420);
        assert_int_equal(st->end.kind, ELOG_END_CLEAN);
        elog_stats_free(st);
    }
    synth_free(&s);
}

/* Cut inside the second GC: it is closed at the last timestamp and flagged. */
/* What GHC writes: the leader's GC_STATS_GHC comes before its GC_END in its
 * buffer, with a later timestamp; a capability that did not lead a GC ends
 * it without stats. Cap 1 first helps cap 0's GC (100..900), then leads its
 * own (1000..2000, stats at 2010 written before the end); cap 0 leads the
 * first (100..500, stats at 510 before its end). In file order and in time
 * order the pauses must be 400 ns (gen 0) and 1000 ns (gen 1): the helper's
 * unclaimed GC is not paired with the next stats (it was, in file order:
 * 800 ns for gen 1). */
static void test_gc_stats_before_end(void **state)
{
    (void)state;
    for (int order = 0; order < 2; order++) {
        synth s;
        synth_init(&s);
        synth_std_header(&s);
        if (order == 0) { /* file order: a block per capability */
            synth_block_begin(&s, 0, 0, 0);
            ev0(&s, ELOG_EV_GC_START, 100);
            ev_gc_stats(&s, 510, 0, 10, 2);
            ev0(&s, ELOG_EV_GC_END, 500);
            synth_block_end(&s);
            synth_block_begin(&s, 0, 1, 0);
            ev0(&s, ELOG_EV_GC_START, 120);
            ev0(&s, ELOG_EV_GC_END, 900);
            ev0(&s, ELOG_EV_GC_START, 1000);
            ev_gc_stats(&s, 2010, 1, 20, 1);
            ev0(&s, ELOG_EV_GC_END, 2000);
            synth_block_end(&s);
        } else { /* time order: one block per event, by timestamp */
            static const struct { uint16_t cap, id; uint64_t t; int gen; } evs[] = {
                {0, ELOG_EV_GC_START, 100, -1}, {1, ELOG_EV_GC_START, 120, -1},
                {0, ELOG_EV_GC_END, 500, -1},   {0, ELOG_EV_GC_STATS_GHC, 510, 0},
                {1, ELOG_EV_GC_END, 900, -1},   {1, ELOG_EV_GC_START, 1000, -1},
                {1, ELOG_EV_GC_END, 2000, -1},  {1, ELOG_EV_GC_STATS_GHC, 2010, 1},
            };
            for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
                synth_block_begin(&s, 0, evs[i].cap, 0);
                if (evs[i].gen >= 0)
                    ev_gc_stats(&s, evs[i].t, (uint16_t)evs[i].gen, evs[i].gen ? 20 : 10,
                                evs[i].gen ? 1 : 2);
                else
                    ev0(&s, evs[i].id, evs[i].t);
                synth_block_end(&s);
            }
        }
        synth_data_end(&s);
        elog_stats *st = analyse(s.buf, s.len, 0);
        assert_int_equal(st->pause.count, 2);
        assert_int_equal(st->pause.total_ns, 400 + 1000);
        assert_int_equal(st->n_generations, 2);
        assert_int_equal(st->generations[0].pause.total_ns, 400);
        assert_int_equal(st->generations[1].pause.total_ns, 1000);
        assert_false(st->pause_open);
        elog_stats_free(st);
        synth_free(&s);
    }
}

static void test_truncated_gc(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev0(&s, ELOG_EV_GC_START, 100);
    ev0(&s, ELOG_EV_GC_END, 600);
    ev_gc_stats(&s, 601, 0, 1000, 1);
    ev0(&s, ELOG_EV_GC_START, 1000);
    ev_heap(&s, ELOG_EV_HEAP_ALLOCATED, 4000, 100);
    size_t cut = s.len;
    ev0(&s, ELOG_EV_GC_END, 5000);
    synth_block_end(&s);
    /* Cut in the middle of the GC_END record. */
    elog_stats *st = analyse(s.buf, cut + 5, 0);
    assert_int_equal(st->end.kind, ELOG_END_TRUNCATED_IN_EVENT);
    assert_true(st->pause_open);
    assert_int_equal(st->pause.count, 2);
    assert_int_equal(st->pause.total_ns, 500 + 3000);
    assert_int_equal(st->longest[0].start_ns, 1000);
    assert_int_equal(st->longest[0].end_ns, 4000);
    assert_true(st->longest[0].open);
    assert_int_equal(st->generations[0].collections, 1);
    assert_true(st->caps[0].open);
    assert_int_equal(st->caps[0].gc_ns, 500 + 3000);
    elog_stats_free(st);
    synth_free(&s);
}

static void test_threads(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev_u32(&s, ELOG_EV_CREATE_THREAD, 0, 1);
    ev_label(&s, 1, 1, "main");
    ev_u32(&s, ELOG_EV_CREATE_THREAD, 2, 2);
    ev_u32(&s, ELOG_EV_RUN_THREAD, 10, 1);
    ev_stop(&s, 110, 1, 1);        /* heap overflow */
    ev_u32(&s, ELOG_EV_RUN_THREAD, 200, 1);
    ev_stop(&s, 250, 1, 7);        /* blocked on an MVar */
    ev_u32(&s, ELOG_EV_RUN_THREAD, 260, 2);
    ev_stop(&s, 300, 2, 5);        /* finished */
    ev_wakeup(&s, 310, 1, 1);
    synth_block_end(&s);
    synth_block_begin(&s, 0, 1, 0);
    ev_u32(&s, ELOG_EV_RUN_THREAD, 400, 1);
    ev0(&s, ELOG_EV_GC_START, 1000);  /* end: thread 1 still running at 1000 */
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->threads_created, 2);
    assert_int_equal(st->threads_finished, 1);
    assert_int_equal(st->n_threads, 2);
    const elog_thread_stats *t1 = &st->threads[0];
    assert_int_equal(t1->thread, 1);
    assert_string_equal(t1->label, "main");
    assert_int_equal(t1->runs, 3);
    assert_int_equal(t1->running_ns, 100 + 50 + 600); /* open run closed at 1000 */
    assert_true(t1->open);
    assert_int_equal(t1->stop_reasons[1], 1);
    assert_int_equal(t1->stop_reasons[7], 1);
    assert_int_equal(t1->state, ELOG_THREAD_RUNNING);
    const elog_thread_stats *t2 = &st->threads[1];
    assert_int_equal(t2->thread, 2);
    assert_int_equal(t2->running_ns, 40);
    assert_int_equal(t2->finished_ns, 300);
    assert_int_equal(t2->state, ELOG_THREAD_FINISHED);
    assert_int_equal(st->thread_states[ELOG_THREAD_RUNNING], 1);
    assert_int_equal(st->thread_states[ELOG_THREAD_FINISHED], 1);
    assert_int_equal(st->caps[0].mutator_ns, 100 + 50 + 40);
    assert_int_equal(st->caps[1].mutator_ns, 600);
    assert_string_equal(elog_stop_reason_name(7), "blocked_on_mvar");
    elog_stats_free(st);
    synth_free(&s);
}

/* A RUN only notes its capability's thread: the run is counted when it
 * ends (STOP, the next RUN there, or the end of the input), and the counts
 * by state come from the snapshot: one thread running per capability. */
static void test_thread_states(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev_u32(&s, ELOG_EV_CREATE_THREAD, 0, 1);
    ev_u32(&s, ELOG_EV_CREATE_THREAD, 0, 2);
    ev_u32(&s, ELOG_EV_RUN_THREAD, 10, 1);
    ev_u32(&s, ELOG_EV_RUN_THREAD, 50, 2);    /* 1's STOP is missing: its run ends here */
    ev_stop(&s, 70, 2, 7);                    /* blocked on an MVar */
    ev_wakeup(&s, 80, 2, 0);
    ev_u32(&s, ELOG_EV_RUN_THREAD, 100, 3);   /* never created: seen only here */
    ev0(&s, ELOG_EV_GC_START, 1000);
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->n_threads, 3);
    const elog_thread_stats *t3 = &st->threads[0], *t1 = &st->threads[1], *t2 = &st->threads[2];
    assert_int_equal(t3->thread, 3);
    assert_string_equal(t3->label, "");
    assert_int_equal(t3->runs, 1);
    assert_int_equal(t3->running_ns, 900);
    assert_true(t3->open);
    assert_int_equal(t3->state, ELOG_THREAD_RUNNING);
    assert_int_equal(t1->thread, 1);
    assert_int_equal(t1->runs, 1);
    assert_int_equal(t1->running_ns, 40);
    assert_false(t1->open);
    assert_int_equal(t1->state, ELOG_THREAD_RUNNABLE);
    assert_int_equal(t2->thread, 2);
    assert_int_equal(t2->runs, 1);
    assert_int_equal(t2->running_ns, 20);
    assert_int_equal(t2->stop_reasons[7], 1);
    assert_int_equal(t2->state, ELOG_THREAD_RUNNABLE); /* woken */
    assert_int_equal(st->thread_states[ELOG_THREAD_RUNNING], 1);
    assert_int_equal(st->thread_states[ELOG_THREAD_RUNNABLE], 2);
    assert_int_equal(st->thread_states[ELOG_THREAD_BLOCKED], 0);
    assert_int_equal(st->caps[0].mutator_ns, 40 + 20 + 900);
    elog_stats_free(st);
    synth_free(&s);
}

/* More finished threads than max_threads: the longest-running are kept
 * (running times shuffled: thread id runs (id * 7919) % 5000 + 1 ns). */
static void test_thread_bound(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    uint64_t t = 0;
    for (uint32_t id = 1; id <= 5000; id++) {
        ev_u32(&s, ELOG_EV_RUN_THREAD, t, id);
        t += (uint64_t)id * 7919 % 5000 + 1;
        ev_stop(&s, t, id, 5);
    }
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->threads_finished, 5000);
    /* max_threads finished ones listed, however many the analysis holds */
    assert_int_equal(st->n_threads, 256);
    assert_int_equal(st->n_threads + st->threads_dropped, 5000);
    /* The 256 longest: 5000 ns down to 4745 ns. */
    for (size_t i = 0; i < 256; i++)
        assert_int_equal(st->threads[i].running_ns, 5000 - i);
    elog_stats_free(st);
    synth_free(&s);
}

/* A burst of 20 000 live threads, then they all finish, then 2 000 more
 * run and finish: compaction runs while the record slab is packed back
 * (renumbering the records), and the
 * longest-running 256 still come out exactly. Thread id runs 1 ns in the
 * burst plus (id * 7919) % 22000 + 1 ns (7919 is prime to 22000: every
 * thread a distinct total, 2 .. 22001 ns; the late ones one run only). */
static void test_thread_bound_burst(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    uint64_t t = 0;
    for (uint32_t id = 1; id <= 20000; id++) {
        ev_u32(&s, ELOG_EV_RUN_THREAD, t, id);
        t += 1;
        ev_stop(&s, t, id, 1); /* heap overflow: still alive */
    }
    for (uint32_t id = 1; id <= 22000; id++) {
        ev_u32(&s, ELOG_EV_RUN_THREAD, t, id);
        t += (uint64_t)id * 7919 % 22000 + 1 + (id > 20000);
        ev_stop(&s, t, id, 5);
    }
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->threads_finished, 22000);
    assert_int_equal(st->n_threads, 256);
    assert_int_equal(st->n_threads + st->threads_dropped, 22000);
    for (size_t i = 0; i < 256; i++)
        assert_int_equal(st->threads[i].running_ns, 22001 - i);
    elog_stats_free(st);
    synth_free(&s);
}

/* File order: capability 1's block tells that threads finished before
 * capability 0's block (earlier in time) tells of their creation and first
 * runs. Threads dropped in between must not come back as live ones. */
static void test_thread_file_order(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 1, 0);
    for (uint32_t id = 1; id <= 3000; id++) {
        ev_u32(&s, ELOG_EV_RUN_THREAD, 1000000 + id * 100, id);
        ev_stop(&s, 1000000 + id * 100 + 10, id, 5);
    }
    synth_block_end(&s);
    synth_block_begin(&s, 0, 0, 0);
    for (uint32_t id = 1; id <= 3000; id++) {
        ev_u32(&s, ELOG_EV_CREATE_THREAD, id * 100, id);
        ev_u32(&s, ELOG_EV_RUN_THREAD, id * 100 + 1, id);
        ev_stop(&s, id * 100 + 2, id, 3);    /* yield */
        ev_u32(&s, ELOG_EV_THREAD_RUNNABLE, id * 100 + 3, id);
    }
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->threads_created, 3000);
    assert_int_equal(st->threads_finished, 3000);
    assert_int_equal(st->thread_states[ELOG_THREAD_RUNNABLE], 0);
    assert_int_equal(st->thread_states[ELOG_THREAD_RUNNING], 0);
    assert_int_equal(st->thread_states[ELOG_THREAD_BLOCKED], 0);
    assert_int_equal(st->caps[0].mutator_ns, 3000);
    assert_int_equal(st->caps[1].mutator_ns, 30000);
    elog_stats_free(st);
    synth_free(&s);
}

static void test_spans(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev_text(&s, ELOG_EV_USER_MSG, 0, "START 1 request");
    ev_text(&s, ELOG_EV_USER_MSG, 10, "START 2 request");
    ev_text(&s, ELOG_EV_USER_MSG, 60, "STOP 2 request");
    ev_text(&s, ELOG_EV_USER_MSG, 100, "STOP 1 request");
    ev_text(&s, ELOG_EV_USER_MSG, 110, "STOP nothing");
    ev_text(&s, ELOG_EV_USER_MSG, 120, "hello");
    ev_text(&s, ELOG_EV_USER_MSG, 200, "START phase");
    ev_text(&s, ELOG_EV_USER_MSG, 2200, "STOP phase");
    ev_text(&s, ELOG_EV_USER_MSG, 3000, "START phase");
    ev_text(&s, ELOG_EV_USER_MSG, 3500, "something else");
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 3);
    assert_int_equal(st->n_spans, 2);
    /* By total: phase (2000 + 500 open), request (100 + 50). */
    assert_string_equal(st->spans[0].label, "phase");
    assert_int_equal(st->spans[0].count, 2);
    assert_int_equal(st->spans[0].total_ns, 2500);
    assert_int_equal(st->spans[0].max_ns, 2000);
    assert_int_equal(st->spans[0].open, 1);
    assert_string_equal(st->spans[1].label, "request");
    assert_int_equal(st->spans[1].count, 2);
    assert_int_equal(st->spans[1].total_ns, 150);
    assert_int_equal(st->spans[1].max_ns, 100);
    assert_int_equal(st->spans[1].mean_ns, 75);
    assert_int_equal(st->spans[1].buckets[0], 2); /* both <= 1 us */
    assert_int_equal(st->unmatched_stops, 1);
    assert_int_equal(st->unmatched_starts, 0);
    elog_stats_free(st);
    synth_free(&s);
}

/* A thread migrates between START and STOP: the STOP is in capability 1's
 * block, which comes first in the file. It waits for its START. */
static void test_spans_file_order(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 1, 0);
    ev_text(&s, ELOG_EV_USER_MSG, 500, "STOP 1 request");
    ev_text(&s, ELOG_EV_USER_MSG, 900, "STOP 2 request");
    ev_text(&s, ELOG_EV_USER_MSG, 950, "STOP lonely");
    synth_block_end(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev_text(&s, ELOG_EV_USER_MSG, 100, "START 1 request");
    ev_text(&s, ELOG_EV_USER_MSG, 800, "START 2 request");
    ev_text(&s, ELOG_EV_USER_MSG, 1000, "START 2 request"); /* after its STOP: open */
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->n_spans, 1);
    assert_string_equal(st->spans[0].label, "request");
    assert_int_equal(st->spans[0].count, 3);
    assert_int_equal(st->spans[0].open, 1);
    assert_int_equal(st->spans[0].max_ns, 400);
    assert_int_equal(st->spans[0].total_ns, 400 + 100 + 0); /* the open one: 1000..1000 */
    assert_int_equal(st->unmatched_stops, 1);
    elog_stats_free(st);
    synth_free(&s);
}

/* More span labels than max_labels: the rest count under "other", last. */
static void test_span_labels_bounded(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    char msg[64];
    for (int i = 0; i < 70; i++) {
        snprintf(msg, sizeof msg, "START l%d", i);
        ev_text(&s, ELOG_EV_USER_MSG, (uint64_t)i * 10, msg);
        snprintf(msg, sizeof msg, "STOP l%d", i);
        ev_text(&s, ELOG_EV_USER_MSG, (uint64_t)i * 10 + 5, msg);
    }
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->n_spans, 65);
    assert_string_equal(st->spans[64].label, "other");
    assert_int_equal(st->spans[64].count, 6);
    elog_stats_free(st);
    synth_free(&s);
}

static void test_censuses(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_BEGIN, 100, 1);
    ev_sample(&s, 100, "a", 100);
    ev_sample(&s, 100, "b", 50);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_END, 100, 1);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_BEGIN, 200, 2);
    ev_sample(&s, 200, "a", 10);
    ev_sample(&s, 200, "c", 300);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_END, 200, 2);
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->censuses_seen, 2);
    assert_int_equal(st->n_censuses, 2);
    assert_int_equal(st->n_census_labels, 3);
    assert_string_equal(st->census_labels[0].label, "c");
    assert_string_equal(st->census_labels[1].label, "a");
    assert_int_equal(st->census_labels[1].total_bytes, 110);
    assert_int_equal(st->census_labels[1].max_bytes, 100);
    assert_string_equal(st->census_labels[2].label, "b");
    assert_int_equal(st->censuses[0].total_bytes, 150);
    assert_int_equal(st->censuses[0].bytes[1], 100); /* a */
    assert_int_equal(st->censuses[0].bytes[0], 0);   /* c */
    assert_int_equal(st->censuses[1].bytes[0], 300);
    assert_int_equal(st->censuses[1].time_ns, 200);
    elog_stats_free(st);
    synth_free(&s);
}

static void ev_cc(synth *s, uint32_t id, const char *label)
{
    synth_clear(&pl);
    synth_u32(&pl, id);
    synth_cstr(&pl, label);
    synth_cstr(&pl, "Main");
    synth_cstr(&pl, "Main.hs:1:1");
    synth_u8(&pl, 0);
    synth_event_var(s, ELOG_EV_HEAP_PROF_COST_CENTRE, 0, pl.buf, pl.len);
}

static void ev_cc_sample(synth *s, uint64_t t, uint64_t bytes, const uint32_t *stack, uint8_t n)
{
    synth_clear(&pl);
    synth_u8(&pl, 0);
    synth_u64(&pl, bytes);
    synth_u8(&pl, n);
    for (uint8_t i = 0; i < n; i++)
        synth_u32(&pl, stack[i]);
    synth_event_var(s, ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE, t, pl.buf, pl.len);
}

/* A full census label table keeps the large labels: a newcomer that
 * outgrows the smallest takes its slot (the evicted bytes go to "other"). */
static void test_census_label_eviction(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_BEGIN, 100, 1);
    ev_sample(&s, 100, "a", 10);
    ev_sample(&s, 100, "b", 20);
    ev_sample(&s, 100, "c", 1000);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_END, 100, 1);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_BEGIN, 200, 2);
    ev_sample(&s, 200, "a", 5);
    ev_sample(&s, 200, "c", 500);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_END, 200, 2);
    synth_block_end(&s);
    elog_analysis_config cfg;
    elog_analysis_config_init(&cfg);
    cfg.max_labels = 2;
    elog_stats *st = analyse_cfg(s.buf, s.len, 0, &cfg);
    assert_int_equal(st->n_census_labels, 3);
    assert_string_equal(st->census_labels[0].label, "c");
    assert_int_equal(st->census_labels[0].total_bytes, 1500);
    assert_string_equal(st->census_labels[1].label, "b");
    assert_string_equal(st->census_labels[2].label, "other");
    assert_int_equal(st->census_labels[2].total_bytes, 15);
    assert_int_equal(st->censuses[0].bytes[0], 1000);
    assert_int_equal(st->censuses[0].bytes[2], 10);
    assert_int_equal(st->censuses[1].bytes[2], 5);
    assert_int_equal(st->censuses[0].total_bytes, 1030);
    elog_stats_free(st);
    synth_free(&s);
}

/* -hc censuses: samples labelled by their cost-centre stack, innermost first. */
static void test_cost_centre_censuses(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev_cc(&s, 1, "foo");
    ev_cc(&s, 2, "bar");
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_BEGIN, 100, 1);
    ev_cc_sample(&s, 100, 100, (const uint32_t[]){ 1, 2 }, 2);
    ev_cc_sample(&s, 100, 50, (const uint32_t[]){ 2 }, 1);
    ev_cc_sample(&s, 100, 7, (const uint32_t[]){ 9, 1 }, 2);
    ev_cc_sample(&s, 100, 30, (const uint32_t[]){ 1 }, 1);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_END, 100, 1);
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->n_census_labels, 4);
    assert_string_equal(st->census_labels[0].label, "foo/bar");
    assert_int_equal(st->census_labels[0].total_bytes, 100);
    assert_string_equal(st->census_labels[1].label, "bar");
    assert_int_equal(st->census_labels[1].total_bytes, 50);
    assert_string_equal(st->census_labels[2].label, "foo");
    assert_int_equal(st->census_labels[2].total_bytes, 30);
    assert_string_equal(st->census_labels[3].label, "cc 9/foo");
    assert_int_equal(st->censuses[0].total_bytes, 187);
    elog_stats_free(st);
    synth_free(&s);
}

/* -hc labels are cached by stack: a cost centre named after a sample
 * showed it as "cc N", or renamed, changes the label of later samples. */
static void test_cost_centre_label_cache(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev_cc(&s, 1, "foo");
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_BEGIN, 100, 1);
    ev_cc_sample(&s, 100, 7, (const uint32_t[]){ 9, 1 }, 2);
    ev_cc_sample(&s, 100, 30, (const uint32_t[]){ 1 }, 1);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_END, 100, 1);
    ev_cc(&s, 9, "baz"); /* named at a later census, as GHC does */
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_BEGIN, 200, 2);
    ev_cc_sample(&s, 200, 11, (const uint32_t[]){ 9, 1 }, 2);
    ev_cc_sample(&s, 200, 5, (const uint32_t[]){ 1 }, 1);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_END, 200, 2);
    ev_cc(&s, 2, "bar"); /* new, in no cached label */
    ev_cc(&s, 1, "qux"); /* renamed */
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_BEGIN, 300, 3);
    ev_cc_sample(&s, 300, 3, (const uint32_t[]){ 1 }, 1);
    ev_cc_sample(&s, 300, 2, (const uint32_t[]){ 2, 1 }, 2);
    ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_END, 300, 3);
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    const char *want[] = { "foo", "baz/foo", "cc 9/foo", "qux", "bar/qux" };
    const uint64_t bytes[] = { 35, 11, 7, 3, 2 };
    assert_int_equal(st->n_census_labels, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(st->census_labels[i].label, want[i]);
        assert_int_equal(st->census_labels[i].total_bytes, bytes[i]);
    }
    elog_stats_free(st);
    synth_free(&s);
}

/* More distinct stacks than the label cache holds, in three censuses:
 * each stack's bytes still go to its own label. */
static void test_cost_centre_many_stacks(void **state)
{
    (void)state;
    enum { STACKS = 20000 };
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    for (uint64_t c = 1; c <= 3; c++) {
        ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_BEGIN, 100 * c, c);
        for (uint32_t i = 0; i < STACKS; i++)
            ev_cc_sample(&s, 100 * c, 1000 + i, (const uint32_t[]){ i, i / 7, 5 }, 3);
        ev_u64(&s, ELOG_EV_HEAP_PROF_SAMPLE_END, 100 * c, c);
    }
    synth_block_end(&s);
    elog_analysis_config cfg;
    elog_analysis_config_init(&cfg);
    cfg.max_labels = STACKS;
    elog_stats *st = analyse_cfg(s.buf, s.len, 0, &cfg);
    assert_int_equal(st->n_census_labels, STACKS);
    for (size_t i = 0; i < st->n_census_labels; i++) {
        unsigned a, b;
        assert_int_equal(sscanf(st->census_labels[i].label, "cc %u/cc %u/cc 5", &a, &b), 2);
        assert_int_equal(b, a / 7);
        assert_int_equal(st->census_labels[i].total_bytes, 3 * (1000 + (uint64_t)a));
    }
    elog_stats_free(st);
    synth_free(&s);
}

/* 1000 pauses of 1..1000 us: percentiles within 1%, exact total/max. */
static void test_pause_percentiles(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    uint64_t t = 0;
    uint64_t total = 0;
    for (uint64_t i = 1; i <= 1000; i++) {
        /* a shuffled order: i * 7919 mod 1000 */
        uint64_t d = ((i * 7919) % 1000 + 1) * 1000;
        ev0(&s, ELOG_EV_GC_START, t);
        ev0(&s, ELOG_EV_GC_END, t + d);
        ev_gc_stats(&s, t + d, 0, 0, 1);
        t += d + 10;
        total += d;
    }
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->pause.count, 1000);
    assert_int_equal(st->pause.total_ns, total);
    assert_int_equal(st->pause.max_ns, 1000000);
    double p50 = (double)st->pause.p50_ns, p90 = (double)st->pause.p90_ns,
           p99 = (double)st->pause.p99_ns;
    assert_true(p50 >= 500000 * 0.99 && p50 <= 500000 * 1.01);
    assert_true(p90 >= 900000 * 0.99 && p90 <= 900000 * 1.01);
    assert_true(p99 >= 990000 * 0.99 && p99 <= 990000 * 1.01);
    assert_int_equal(st->longest[0].end_ns - st->longest[0].start_ns, 1000000);
    assert_int_equal(st->longest[9].end_ns - st->longest[9].start_ns, 991000);
    elog_stats_free(st);
    synth_free(&s);
}

static void add_pause(void *ctx, const elog_pause *p)
{
    (void)p;
    (*(int *)ctx)++;
}

/* Hooks see every pause; the cumulative histogram counts <= bounds. */
static void test_hooks_and_cumulative(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    build_gc_log(&s, true);
    elog_analysis *a = elog_analysis_new(NULL);
    int pauses = 0;
    elog_analysis_set_hooks(a, add_pause, NULL, &pauses);
    elog_settings st;
    elog_settings_init(&st);
    elog_analysis_attach(&st);
    elog_decoder d;
    elog_decoder_init(&d, &st, a);
    assert_int_equal(elog_execute(&d, s.buf, s.len).status, ELOG_OK);
    assert_int_equal(pauses, 2);
    double bounds[3] = { 1e-7, 1e-6, 1e-5 };
    uint64_t counts[3];
    assert_int_equal(elog_analysis_pause_cumulative(a, UINT32_MAX, bounds, 3, counts), 2);
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[1], 1);   /* 500 ns */
    assert_int_equal(counts[2], 2);   /* 2000 ns */
    assert_int_equal(elog_analysis_pause_cumulative(a, 1, bounds, 3, counts), 1);
    assert_int_equal(counts[1], 0);
    elog_decoder_free(&d);
    elog_analysis_free(a);
    synth_free(&s);
}

/* The JSON object has the interface's keys; no spark key without counters. */
static void test_json(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    build_gc_log(&s, false);
    elog_stats *st = analyse(s.buf, s.len, 0);
    char buf[8192];
    elog_writer w;
    elog_writer_init(&w, buf, sizeof buf - 1, NULL, NULL);
    elog_stats_write_json(&w, st);
    buf[w.len] = '\0';
    assert_false(w.failed);
    const char *keys[] = {
        "{\"gc\":{\"generations\":[{\"generation\":0,\"collections\":1,\"parallel\":1,"
        "\"copied_bytes\":1000,\"pause_ns\":{\"total\":500,\"mean\":500,\"p50\":500,"
        "\"p90\":500,\"p99\":500,\"max\":500}}",
        "\"heap\":{\"allocated_bytes\":350,\"max_live_bytes\":777,\"max_size_bytes\":4096}",
        "\"sparks\":{\"created\":12,\"converted\":3,\"overflowed\":4,\"dud\":2,\"gcd\":6,"
        "\"fizzled\":8}",
        "\"time\":{\"start_ns\":100,\"end_ns\":3007,\"mutator_ns\":407,\"gc_ns\":2500,",
        "\"capabilities\":[{\"cap\":0,\"mutator_ns\":0,\"gc_ns\":2500,\"idle_ns\":407}",
        "\"end\":{\"kind\":\"truncated-between-events\"",
    };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (strstr(buf, keys[i]) == NULL)
            fail_msg("missing %s in %s", keys[i], buf);
    elog_stats_free(st);
    synth_free(&s);
}

/* Absurd timestamps and sizes (a fuzzed log): the text and JSON renderings
 * stay defined (this once overflowed a double-to-integer cast: UBSan). */
static void test_absurd_values(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev_heap(&s, ELOG_EV_HEAP_ALLOCATED, 0, UINT64_MAX / 2);
    ev0(&s, ELOG_EV_GC_START, 1);
    ev0(&s, ELOG_EV_GC_END, 2);
    ev_gc_stats(&s, 3, 0, UINT64_MAX / 4, 2);
    ev_text(&s, ELOG_EV_USER_MSG, 5, "START \x01" "bad\xff" " label");
    ev_heap(&s, ELOG_EV_HEAP_SIZE, 9, UINT64_MAX); /* MUT 8 ns: the alloc rate overflows */
    ev_label(&s, 9, 7, "t\x1b[31m");
    synth_block_end(&s);
    elog_stats *st = analyse(s.buf, s.len, 0);
    static char buf[1 << 16];
    elog_writer w;
    elog_writer_init(&w, buf, sizeof buf - 1, NULL, NULL);
    elog_stats_write_text(&w, st, 10);
    elog_stats_write_json(&w, st);
    buf[w.len] = '\0';
    assert_false(w.failed);
    assert_non_null(strstr(buf, "?bad? label")); /* sanitised */
    assert_null(strstr(buf, "\x1b"));
    assert_int_equal(st->spans[0].open, 1);
    elog_stats_free(st);
    synth_free(&s);

    /* A run ending near 2^64 ns: the last time bucket's end must not wrap
     * (it once looped for ever, found by fuzz_analysis). */
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 0, 0, 0);
    ev_u32(&s, ELOG_EV_RUN_THREAD, UINT64_MAX - 1000, 1);
    ev_stop(&s, UINT64_MAX - 1, 1, 3);
    ev_u32(&s, ELOG_EV_RUN_THREAD, UINT64_MAX - 1, 1); /* open at the end */
    synth_block_end(&s);
    st = analyse(s.buf, s.len, 0);
    assert_int_equal(st->caps[0].mutator_ns, 999);
    uint64_t sum = 0;
    for (size_t i = 0; i < st->n_buckets; i++)
        sum += st->util[i].mutator_ns;
    assert_int_equal(sum, 999);
    elog_stats_free(st);
    synth_free(&s);
}

/* Live snapshots of a real 4-capability log fed in small pieces (file
 * order): the closed_* figures of every capability never go down, and at the
 * end equal the final ones when nothing is open. */
static void test_closed_figures_monotone(void **state)
{
    (void)state;
    const char *dir = getenv("ELOG_CORPUS_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/testlog.eventlog", dir ? dir : "corpus/conformance");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t data[1 << 16];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    assert_true(n > 1000 && n < sizeof data);
    elog_analysis *a = elog_analysis_new(NULL);
    elog_settings st;
    elog_settings_init(&st);
    elog_analysis_attach(&st);
    st.options = ELOG_OPT_CONTINUE_AFTER_END | ELOG_OPT_LENIENT_BLOCKS;
    elog_decoder d;
    elog_decoder_init(&d, &st, a);
    uint64_t prev[8][3] = {{0}};
    size_t snaps = 0;
    for (size_t off = 0; off < n; off += 97) {
        size_t k = n - off < 97 ? n - off : 97;
        assert_int_equal(elog_execute(&d, data + off, k).status, ELOG_OK);
        elog_stats *sn = elog_analysis_snapshot(a);
        for (size_t i = 0; i < sn->n_caps && sn->caps[i].cap < 8; i++) {
            const elog_cap_stats *c = &sn->caps[i];
            uint64_t *p = prev[c->cap];
            assert_true(c->closed_mutator_ns >= p[0]);
            assert_true(c->closed_gc_ns >= p[1]);
            assert_true(c->closed_idle_ns >= p[2]);
            p[0] = c->closed_mutator_ns;
            p[1] = c->closed_gc_ns;
            p[2] = c->closed_idle_ns;
        }
        elog_stats_free(sn);
        snaps++;
    }
    elog_end end = elog_finish(&d);
    elog_analysis_on_end(a, &end, NULL);
    elog_stats *sn = elog_analysis_snapshot(a);
    assert_int_equal(sn->n_caps, 4);
    for (size_t i = 0; i < sn->n_caps; i++) {
        if (sn->caps[i].open)
            continue;
        assert_int_equal(sn->caps[i].closed_mutator_ns, sn->caps[i].mutator_ns);
        assert_int_equal(sn->caps[i].closed_gc_ns, sn->caps[i].gc_ns);
    }
    assert_true(snaps > 100);
    elog_stats_free(sn);
    elog_decoder_free(&d);
    elog_analysis_free(a);
}

/* reset forgets everything; the same log then gives the same figures. */
static void test_reset(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    build_gc_log(&s, true);
    elog_analysis *a = elog_analysis_new(NULL);
    elog_settings st;
    elog_settings_init(&st);
    elog_analysis_attach(&st);
    elog_decoder d;
    elog_decoder_init(&d, &st, a);
    assert_int_equal(elog_execute(&d, s.buf, s.len).status, ELOG_OK);
    elog_analysis_reset(a);
    elog_stats *sn = elog_analysis_snapshot(a);
    assert_int_equal(sn->pause.count, 0);
    assert_int_equal(sn->n_caps, 0);
    assert_int_equal(sn->allocated_bytes, 0);
    elog_stats_free(sn);
    elog_decoder_reset(&d);
    assert_int_equal(elog_execute(&d, s.buf, s.len).status, ELOG_OK);
    sn = elog_analysis_snapshot(a);
    assert_int_equal(sn->pause.count, 2);
    elog_stats_free(sn);
    elog_decoder_free(&d);
    elog_analysis_free(a);
    synth_free(&s);
}

int main(void)
{
    synth_init(&pl);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rts_summary_and_pauses),
        cmocka_unit_test(test_gc_stats_before_end),
        cmocka_unit_test(test_truncated_gc),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_thread_states),
        cmocka_unit_test(test_thread_bound),
        cmocka_unit_test(test_thread_bound_burst),
        cmocka_unit_test(test_thread_file_order),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_spans_file_order),
        cmocka_unit_test(test_span_labels_bounded),
        cmocka_unit_test(test_censuses),
        cmocka_unit_test(test_cost_centre_censuses),
        cmocka_unit_test(test_cost_centre_label_cache),
        cmocka_unit_test(test_cost_centre_many_stacks),
        cmocka_unit_test(test_census_label_eviction),
        cmocka_unit_test(test_pause_percentiles),
        cmocka_unit_test(test_hooks_and_cumulative),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_absurd_values),
        cmocka_unit_test(test_closed_figures_monotone),
        cmocka_unit_test(test_reset),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    synth_free(&pl);
    return rc;
}

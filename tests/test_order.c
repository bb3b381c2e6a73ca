/*
 * Time-ordered iteration (include/eventlog/order.h):
 *   - elog_sorter over every corpus log delivers exactly the events of a
 *     plain decode, stably sorted by time (ties in file order), with the
 *     decoder's capabilities: with the defaults, without threads, and with
 *     a fan-in of 2 and a tiny budget (merges in passes through temporary
 *     files, unsorted ranges sorted in chunks);
 *   - elog_sorter_run() delivers the same through the usual callbacks;
 *   - errors name the input; the engine reports input that changed between
 *     the passes (at the record's offset) and failed reads;
 *   - elog_sorter_set merges several logs: a stable sort of all their events
 *     by (time, source);
 *   - elog_window on synthetic events with known answers: release order,
 *     ties in push order, the late path (delivered at once, flagged,
 *     counted, never dropped), the byte cap, variable-size payloads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eventlog.h"
#include "eventlog/order.h"
#include "expect.h"
#include "synth.h"

#define OPTS (ELOG_OPT_CONTINUE_AFTER_END | ELOG_OPT_LENIENT_BLOCKS)

typedef struct item {
    uint64_t time, offset;
    uint16_t id, cap;
    uint32_t size;
    uint64_t seq;
} item;

typedef struct items {
    item *v;
    size_t n, cap;
} items;

static void add(items *l, const elog_event *ev)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    item *it = &l->v[l->n];
    it->time = ev->time;
    it->offset = ev->offset;
    it->id = ev->id;
    it->cap = ev->cap;
    it->size = ev->size;
    it->seq = l->n;
    l->n++;
}

static int collect(elog_decoder *d, const elog_event *ev)
{
    add(d->data, ev);
    return ELOG_CB_CONTINUE;
}

static int by_time_then_seq(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The file's events in file order; false if its end is not usable. */
static bool stream_order(const char *path, items *out)
{
    uint8_t *buf;
    size_t len;
    if (!read_file(path, &buf, &len))
        return false;
    elog_end end = decode_buffer(buf, len, OPTS, NULL, collect, out);
    free(buf);
    return end.kind == ELOG_END_CLEAN || end.kind == ELOG_END_TRUNCATED_BETWEEN_EVENTS ||
           end.kind == ELOG_END_TRUNCATED_IN_EVENT;
}

static size_t check_file(const char *path, const elog_order_options *oo)
{
    items want = {0}, got = {0};
    bool usable = stream_order(path, &want);
    elog_sorter *s;
    int rc = elog_sorter_open(&s, path, oo);
    if (!usable) {
        assert_int_equal(rc, -1);
        assert_non_null(strstr(elog_sorter_error(s), path));
        elog_sorter_close(s);
        free(want.v);
        return 0;
    }
    if (rc != 0)
        fail_msg("%s: %s", path, elog_sorter_error(s));
    qsort(want.v, want.n, sizeof *want.v, by_time_then_seq);
    elog_event ev;
    while ((rc = elog_sorter_next(s, &ev)) == 1)
        add(&got, &ev);
    if (rc != 0)
        fail_msg("%s: %s", path, elog_sorter_error(s));
    assert_int_equal(got.n, want.n);
    for (size_t i = 0; i < want.n; i++) {
        if (got.v[i].offset != want.v[i].offset || got.v[i].time != want.v[i].time ||
            got.v[i].cap != want.v[i].cap || got.v[i].id != want.v[i].id ||
            got.v[i].size != want.v[i].size)
            fail_msg("%s: event %zu: got offset %llu time %llu cap %u, want offset %llu "
                     "time %llu cap %u",
                     path, i, (unsigned long long)got.v[i].offset,
                     (unsigned long long)got.v[i].time, got.v[i].cap,
                     (unsigned long long)want.v[i].offset, (unsigned long long)want.v[i].time,
                     want.v[i].cap);
    }
    elog_end end;
    elog_sorter_end(s, &end);
    assert_true(end.events >= want.n);
    assert_int_equal(elog_sorter_next(s, &ev), 0);
    elog_sorter_close(s);
    free(want.v);
    free(got.v);
    return 1;
}

typedef struct check_ctx {
    const elog_order_options *oo;
    size_t logs;
} check_ctx;

static void check_one(const char *path, void *ctx)
{
    check_ctx *c = ctx;
    c->logs += check_file(path, c->oo);
}

static void for_each_log(const elog_order_options *oo, size_t *logs)
{
    const char *dirs[2] = {corpus_dir(), getenv("ELOG_CORPUS_902")};
    check_ctx c = {oo, 0};
    for (int k = 0; k < 2; k++)
        if (dirs[k] != NULL)
            each_eventlog(dirs[k], check_one, &c);
    *logs += c.logs;
}

static void test_sorter_corpus(void **state)
{
    (void)state;
    elog_order_options oo;
    elog_order_options_init(&oo);
    oo.decoder_options = OPTS;
    size_t logs = 0;
    for_each_log(&oo, &logs);
    assert_true(logs >= 15);
}

static void test_sorter_passes(void **state)
{
    (void)state;
    elog_order_options oo;
    elog_order_options_init(&oo);
    oo.decoder_options = OPTS;
    oo.max_runs = 2;
    oo.memory_budget = 100000;
    oo.no_threads = true;
    size_t logs = 0;
    for_each_log(&oo, &logs);
    assert_true(logs >= 15);
    oo.max_runs = 5;
    oo.memory_budget = 300000;
    oo.no_threads = false;
    logs = 0;
    for_each_log(&oo, &logs);
    assert_true(logs >= 15);
}

typedef struct run_ctx {
    items got;
    bool header;
} run_ctx;

static int run_header(elog_decoder *d, const elog_header *h)
{
    run_ctx *c = d->data;
    c->header = h != NULL && elog_get_header(d) == h;
    return ELOG_CB_CONTINUE;
}

static int run_event(elog_decoder *d, const elog_event *ev)
{
    run_ctx *c = d->data;
    add(&c->got, ev);
    return ELOG_CB_CONTINUE;
}

static void test_sorter_run_callbacks(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", corpus_dir(), "parallelTest.eventlog");
    items want = {0};
    assert_true(stream_order(path, &want));
    qsort(want.v, want.n, sizeof *want.v, by_time_then_seq);
    elog_sorter *s;
    assert_int_equal(elog_sorter_open(&s, path, NULL), 0);
    elog_settings st;
    elog_settings_init(&st);
    st.on_header = run_header;
    st.on_event = run_event;
    run_ctx c = {{0}, false};
    assert_int_equal(elog_sorter_run(s, &st, &c), 0);
    assert_true(c.header);
    assert_int_equal(c.got.n, want.n);
    for (size_t i = 0; i < want.n; i++)
        assert_int_equal(c.got.v[i].offset, want.v[i].offset);
    elog_sorter_close(s);
    free(want.v);
    free(c.got.v);
}

static void test_sorter_errors(void **state)
{
    (void)state;
    elog_sorter *s;
    assert_int_equal(elog_sorter_open(&s, "/nonexistent/x.eventlog", NULL), -1);
    assert_non_null(strstr(elog_sorter_error(s), "/nonexistent/x.eventlog"));
    elog_sorter_close(s);
    char path[] = "/tmp/test-order-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not an eventlog at all", 22), 22);
    close(fd);
    assert_int_equal(elog_sorter_open(&s, path, NULL), -1);
    assert_non_null(strstr(elog_sorter_error(s), path));
    assert_non_null(strstr(elog_sorter_error(s), "offset"));
    elog_sorter_close(s);
    unlink(path);
}

static void test_sorter_set(void **state)
{
    (void)state;
    const char *names[3] = {"parallelTest.eventlog", "hello-ghc-8.2.2.eventlog",
                            "parallelTest.eventlog"};
    items want = {0};
    elog_sorter *s[3];
    for (size_t k = 0; k < 3; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", corpus_dir(), names[k]);
        size_t before = want.n;
        assert_true(stream_order(path, &want));
        for (size_t i = before; i < want.n; i++)
            want.v[i].cap = (uint16_t)(want.v[i].cap ^ (k << 12)); /* tag the source */
        assert_int_equal(elog_sorter_open(&s[k], path, NULL), 0);
    }
    for (size_t i = 0; i < want.n; i++)
        want.v[i].seq = i; /* sources in order, each in file order */
    qsort(want.v, want.n, sizeof *want.v, by_time_then_seq);
    elog_sorter_set *m = elog_sorter_set_new(s, 3);
    assert_non_null(m);
    elog_event ev;
    size_t src, n = 0;
    int rc;
    uint64_t hash = 0;
    while ((rc = elog_sorter_set_next(m, &ev, &src)) == 1) {
        assert_true(n < want.n);
        const item *w = &want.v[n++];
        if (ev.offset != w->offset || ev.time != w->time ||
            (uint16_t)(ev.cap ^ (src << 12)) != w->cap || ev.id != w->id)
            fail_msg("event %zu: got source %zu offset %llu, want offset %llu", n - 1, src,
                     (unsigned long long)ev.offset, (unsigned long long)w->offset);
        /* the slices are readable until the next call */
        for (size_t i = 0; i < ev.payload.len; i++)
            hash = hash * 31 + ev.payload.ptr[i];
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, want.n);
    assert_int_equal(elog_sorter_set_failed(m), 3);
    elog_sorter_set_free(m);
    for (size_t k = 0; k < 3; k++)
        elog_sorter_close(s[k]);
    free(want.v);
    (void)hash;
}

/* The engine on an in-memory log whose bytes change between the passes. */
typedef struct mem_src {
    const uint8_t *p;
    size_t len;
    int fail_after;         /* reads before failing; -1: never */
} mem_src;

static int mem_read(void *ctx, void *buf, size_t len, uint64_t off)
{
    mem_src *m = ctx;
    if (m->fail_after == 0 || off > m->len || len > m->len - off)
        return -1;
    if (m->fail_after > 0)
        m->fail_after--;
    memcpy(buf, m->p + off, len);
    return 0;
}

static int note_event(elog_decoder *d, const elog_event *ev)
{
    items *l = ((void **)d->data)[1];
    add(l, ev);
    return elog_order_note(((void **)d->data)[0], ev);
}

/* Pass 1 of `o` over buf; the events in file order into *l. */
static const elog_header *engine_pass1(elog_order *o, const uint8_t *buf, size_t len,
                                       elog_decoder *d, elog_settings *st, items *l, void **ctx)
{
    elog_settings_init(st);
    st->on_event = note_event;
    st->options = OPTS;
    ctx[0] = o;
    ctx[1] = l;
    elog_decoder_init(d, st, ctx);
    assert_int_equal(elog_execute(d, buf, len).status, ELOG_OK);
    elog_end end = elog_finish(d);
    assert_int_equal(end.kind, ELOG_END_CLEAN);
    assert_int_equal(elog_order_events(o), l->n);
    return elog_get_header(d);
}

static size_t engine_drain(elog_order *o)
{
    static uint8_t raw[4 * ELOG_MAX_RECORD_SIZE];
    static uint16_t caps[100];
    static uint64_t offs[100];
    elog_order_batch b = {raw, sizeof raw, caps, offs, 100, 0, 0};
    size_t n = 0;
    for (;;) {
        b.n = 0;
        b.raw_len = 0;
        if (!elog_order_merge_fill(o, &b))
            return n;
        n += b.n;
    }
}

static void test_engine_input_changed(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    assert_true(read_corpus("parallelTest.eventlog", &buf, &len));
    for (int passes = 0; passes < 2; passes++) {
        elog_order_options oo;
        elog_order_options_init(&oo);
        oo.decoder_options = OPTS;
        if (passes) {
            oo.max_runs = 2;            /* the change is met by the passes */
            oo.memory_budget = 100000;
        }
        elog_order *o = elog_order_new(&oo);
        items l = {0};
        elog_decoder d;
        elog_settings st;
        void *ctx[2];
        const elog_header *h = engine_pass1(o, buf, len, &d, &st, &l, ctx);
        uint8_t *copy = malloc(len);
        memcpy(copy, buf, len);
        uint64_t at;
        if (!passes) {
            /* pass 2 reads a copy in which the first event of a run (whose
             * time pass 1 recorded) has another time */
            size_t i = 1;
            while (i < l.n && l.v[i].time >= l.v[i - 1].time)
                i++;
            assert_true(i < l.n);
            at = l.v[i].offset;
            copy[at + 9] ^= 0x40;
        } else {
            /* ... in which an event has an undeclared id (the chunk sort of
             * the passes steps over records by their sizes) */
            at = l.v[100].offset;
            copy[at] = 0xff;
            copy[at + 1] = 0xfe;
        }
        mem_src m = {copy, len, -1};
        elog_status bst = elog_order_merge_begin(o, h, mem_read, &m);
        char want[64];
        snprintf(want, sizeof want, "(at byte offset %llu)", (unsigned long long)at);
        if (!passes) {
            assert_int_equal(bst, ELOG_OK);
            size_t n = engine_drain(o);
            assert_true(n < l.n);       /* the events before it are delivered */
            uint64_t off;
            assert_int_equal(elog_order_merge_status(o, &off), ELOG_E_BAD_EVENT);
            assert_int_equal(off, at);
        } else {
            assert_int_equal(bst, ELOG_E_CALLBACK);
            assert_false(elog_order_merge_fill(o, &(elog_order_batch){0}));
        }
        assert_non_null(strstr(elog_order_error(o), "input changed between passes"));
        assert_non_null(strstr(elog_order_error(o), want));
        elog_order_free(o);
        elog_decoder_free(&d);
        free(copy);
        free(l.v);
    }
    free(buf);
}

static void test_engine_read_fails(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    assert_true(read_corpus("parallelTest.eventlog", &buf, &len));
    elog_order *o = elog_order_new(NULL);
    items l = {0};
    elog_decoder d;
    elog_settings st;
    void *ctx[2];
    const elog_header *h = engine_pass1(o, buf, len, &d, &st, &l, ctx);
    mem_src m = {buf, len, 1};          /* the second read fails */
    assert_int_equal(elog_order_merge_begin(o, h, mem_read, &m), ELOG_OK);
    assert_int_equal(elog_order_merge_begin(o, h, mem_read, &m), ELOG_E_USAGE);
    size_t n = engine_drain(o);
    assert_true(n < l.n);
    uint64_t off;
    assert_int_equal(elog_order_merge_status(o, &off), ELOG_E_CALLBACK);
    assert_non_null(strstr(elog_order_error(o), "read failed"));
    elog_order_free(o);
    elog_decoder_free(&d);
    free(l.v);
    free(buf);
}

/* ------------------------------------------------------------------ window */

typedef struct out_ev {
    uint64_t time;
    uint32_t thread;
    uint16_t cap;
    bool late;
    char msg[32];
} out_ev;

typedef struct win_ctx {
    out_ev v[64];
    size_t n;
} win_ctx;

static int on_release(void *ctx, const elog_event *ev, bool late)
{
    win_ctx *c = ctx;
    assert_true(c->n < 64);
    out_ev *o = &c->v[c->n++];
    memset(o, 0, sizeof *o);
    o->time = ev->time;
    o->cap = ev->cap;
    o->late = late;
    if (ev->id == ELOG_EV_CREATE_THREAD)
        o->thread = ev->as.create_thread.thread;
    else if (ev->id == ELOG_EV_USER_MSG)
        snprintf(o->msg, sizeof o->msg, "%.*s", (int)ev->as.user_msg.message.len,
                 (const char *)ev->as.user_msg.message.ptr);
    return ELOG_CB_CONTINUE;
}

typedef struct hdr {
    synth bytes;
    elog_settings st;
    elog_decoder d;
} hdr;

static const elog_header *std_header(hdr *h)
{
    synth_init(&h->bytes);
    synth_std_header(&h->bytes);
    elog_settings_init(&h->st);
    elog_decoder_init(&h->d, &h->st, NULL);
    elog_result r = elog_execute(&h->d, h->bytes.buf, h->bytes.len);
    assert_int_equal(r.status, ELOG_OK);
    return elog_get_header(&h->d);
}

/* An event as a decoder would deliver it: built as bytes, decoded. */
static void push_thread(elog_window *w, const elog_header *h, uint64_t t, uint32_t thread,
                        uint16_t cap)
{
    synth rec;
    synth_init(&rec);
    uint8_t pl[4] = {(uint8_t)(thread >> 24), (uint8_t)(thread >> 16), (uint8_t)(thread >> 8),
                     (uint8_t)thread};
    synth_event(&rec, ELOG_EV_CREATE_THREAD, t, pl, sizeof pl);
    elog_event ev;
    size_t need;
    assert_int_equal(elog_decode_record(h, rec.buf, rec.len, 1000 + thread, &ev, &need), ELOG_OK);
    ev.cap = cap;
    assert_int_equal(elog_window_push(w, &ev), 0);
    synth_free(&rec); /* the window keeps its own copy */
}

static void expect_out(const win_ctx *c, size_t i, uint64_t t, uint32_t thread, bool late)
{
    assert_true(i < c->n);
    if (c->v[i].time != t || c->v[i].thread != thread || c->v[i].late != late)
        fail_msg("release %zu: got time %llu thread %u late %d, want time %llu thread %u "
                 "late %d",
                 i, (unsigned long long)c->v[i].time, c->v[i].thread, c->v[i].late,
                 (unsigned long long)t, thread, late);
}

static void test_window_order_and_late(void **state)
{
    (void)state;
    hdr hd;
    const elog_header *h = std_header(&hd);
    win_ctx c = {.n = 0};
    elog_window_options wo = {.window_ns = 10, .max_bytes = 0};
    elog_window *w = elog_window_new(&wo, h, on_release, &c);
    assert_non_null(w);
    push_thread(w, h, 100, 1, 0);
    push_thread(w, h, 105, 2, 1);
    push_thread(w, h, 95, 3, 1);
    assert_int_equal(c.n, 0);          /* newest 105: nothing is 10 ns older */
    push_thread(w, h, 120, 4, 0);      /* 95, 100 and 105 are now more than 10 behind */
    assert_int_equal(c.n, 3);
    expect_out(&c, 0, 95, 3, false);
    assert_int_equal(c.v[0].cap, 1);
    expect_out(&c, 1, 100, 1, false);
    expect_out(&c, 2, 105, 2, false);
    push_thread(w, h, 104, 5, 1);      /* older than 105, already out: late */
    assert_int_equal(c.n, 4);
    expect_out(&c, 3, 104, 5, true);
    push_thread(w, h, 110, 6, 0);      /* 120 - 110 = 10: not more than the window */
    push_thread(w, h, 110, 7, 1);      /* a tie: after thread 6 */
    assert_int_equal(c.n, 4);
    push_thread(w, h, 130, 8, 0);      /* releases both 110s; 120 stays (10 behind) */
    assert_int_equal(c.n, 6);
    expect_out(&c, 4, 110, 6, false);
    expect_out(&c, 5, 110, 7, false);
    elog_window_stats st;
    elog_window_get_stats(w, &st);
    assert_int_equal(st.pushed, 8);
    assert_int_equal(st.late, 1);
    assert_int_equal(st.max_late_ns, 1);
    assert_int_equal(st.held, 2);
    assert_int_equal(elog_window_flush(w), 0);
    assert_int_equal(c.n, 8);
    expect_out(&c, 6, 120, 4, false);
    expect_out(&c, 7, 130, 8, false);
    elog_window_get_stats(w, &st);
    assert_int_equal(st.released, 8);  /* every event pushed came out */
    assert_int_equal(st.held, 0);
    assert_int_equal(st.held_bytes, 0);
    elog_window_free(w);
    elog_decoder_free(&hd.d);
    synth_free(&hd.bytes);
}

static void test_window_byte_cap(void **state)
{
    (void)state;
    hdr hd;
    const elog_header *h = std_header(&hd);
    win_ctx c = {.n = 0};
    /* A huge window, room for two held events (14-byte records + 48). */
    elog_window_options wo = {.window_ns = UINT64_MAX / 2, .max_bytes = 2 * (14 + 48)};
    elog_window *w = elog_window_new(&wo, h, on_release, &c);
    assert_non_null(w);
    push_thread(w, h, 50, 1, 0);
    push_thread(w, h, 40, 2, 0);
    assert_int_equal(c.n, 0);
    push_thread(w, h, 45, 3, 0);       /* three held: over the cap, the oldest goes */
    assert_int_equal(c.n, 1);
    expect_out(&c, 0, 40, 2, false);
    push_thread(w, h, 30, 4, 0);       /* before 40, which is out: late */
    expect_out(&c, 1, 30, 4, true);
    elog_window_stats st;
    elog_window_get_stats(w, &st);
    assert_true(st.peak_bytes <= 3 * (14 + 48));
    assert_int_equal(elog_window_flush(w), 0);
    expect_out(&c, 2, 45, 3, false);
    expect_out(&c, 3, 50, 1, false);
    elog_window_free(w);
    elog_decoder_free(&hd.d);
    synth_free(&hd.bytes);
}

static void test_window_variable_payload(void **state)
{
    (void)state;
    hdr hd;
    const elog_header *h = std_header(&hd);
    win_ctx c = {.n = 0};
    elog_window_options wo = {.window_ns = 1000, .max_bytes = 0};
    elog_window *w = elog_window_new(&wo, h, on_release, &c);
    const char *msgs[3] = {"third", "first", "second"};
    uint64_t times[3] = {300, 100, 200};
    for (int i = 0; i < 3; i++) {
        synth rec;
        synth_init(&rec);
        synth_event_var(&rec, ELOG_EV_USER_MSG, times[i], msgs[i], strlen(msgs[i]));
        elog_event ev;
        size_t need;
        assert_int_equal(elog_decode_record(h, rec.buf, rec.len, 0, &ev, &need), ELOG_OK);
        ev.cap = 3;
        assert_int_equal(elog_window_push(w, &ev), 0);
        memset(rec.buf, 0, rec.len); /* the caller's bytes go away */
        synth_free(&rec);
    }
    assert_int_equal(elog_window_flush(w), 0);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.v[0].msg, "first");
    assert_string_equal(c.v[1].msg, "second");
    assert_string_equal(c.v[2].msg, "third");
    assert_int_equal(c.v[2].cap, 3);
    elog_window_free(w);
    elog_decoder_free(&hd.d);
    synth_free(&hd.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sorter_corpus),
        cmocka_unit_test(test_sorter_passes),
        cmocka_unit_test(test_sorter_run_callbacks),
        cmocka_unit_test(test_sorter_errors),
        cmocka_unit_test(test_sorter_set),
        cmocka_unit_test(test_engine_input_changed),
        cmocka_unit_test(test_engine_read_fails),
        cmocka_unit_test(test_window_order_and_late),
        cmocka_unit_test(test_window_byte_cap),
        cmocka_unit_test(test_window_variable_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The eventlog writer (include/eventlog/writer.h) on real logs:
 *  - round trip: every corpus log that ends cleanly, decoded and copied
 *    record by record in verbatim mode, gives back the same bytes;
 *  - blocks mode: the events of every corpus log rewritten into the
 *    writer's own blocks decode to the same events per capability, with
 *    consistent block sizes (strict decoding), also under a tiny budget;
 *  - a log cut at many points and copied verbatim decodes cleanly to the
 *    events decodable from the cut input (what `eventlog repair` does);
 *  - typed events encoded from the catalogue's structs decode to the same
 *    fields; errors for undeclared types and wrong sizes.
 * Directories: argv[1..], else $ELOG_CORPUS_DIR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eventlog.h"
#include "eventlog/writer.h"
#include "expect.h"

static char **dirs;
static int n_dirs;

/* ------------------------------------------------------------ memory sink */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static int buf_sink(void *ctx, const uint8_t *p, size_t n)
{
    buf *b = ctx;
    if (b->len + n > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->len + n)
            c *= 2;
        b->p = realloc(b->p, c);
        assert_non_null(b->p);
        b->cap = c;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

/* Corrects bytes already written (the streaming verbatim mode). */
static int buf_patch(void *ctx, uint64_t off, const uint8_t *p, size_t n)
{
    buf *b = ctx;
    assert_true(off + n <= b->len);
    memcpy(b->p + off, p, n);
    return 0;
}

/* ------------------------------------------------------------ copying */

typedef struct copier {
    elog_log_writer *w;
    elog_status st;
} copier;

static int copy_header(elog_decoder *d, const elog_header *h)
{
    copier *c = d->data;
    c->st = elog_log_writer_header(c->w, h);
    return c->st == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int copy_event(elog_decoder *d, const elog_event *ev)
{
    copier *c = d->data;
    c->st = elog_log_writer_copy(c->w, ev);
    return c->st == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

/* Decodes `in` and copies it through a writer with `opt` into `out`. */
static elog_end copy_log(const uint8_t *in, size_t len, const elog_log_writer_options *opt,
                         buf *out, elog_log_writer_fix *fix)
{
    copier c = {NULL, ELOG_OK};
    assert_int_equal(elog_log_writer_open(&c.w, opt, buf_sink, out), ELOG_OK);
    elog_end end = decode_buffer(in, len, ELOG_OPT_LENIENT_BLOCKS, copy_header, copy_event, &c);
    assert_int_equal(c.st, ELOG_OK);
    if (end.kind != ELOG_END_ERROR && end.kind != ELOG_END_TRUNCATED_IN_HEADER &&
        end.kind != ELOG_END_EMPTY)
        assert_int_equal(elog_log_writer_finish(c.w, fix), ELOG_OK);
    elog_log_writer_free(c.w);
    return end;
}

/* ------------------------------------------------------------ event lists */

typedef struct rec {
    uint16_t id, cap;
    uint64_t time;
    uint8_t *payload;
    size_t len;
    size_t seq;
} rec;

typedef struct recs {
    rec *v;
    size_t n, cap;
    bool markers;  /* keep block markers */
} recs;

static int collect(elog_decoder *d, const elog_event *ev)
{
    recs *r = d->data;
    if (ev->id == 18 && !r->markers)
        return ELOG_CB_CONTINUE;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 1024;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        assert_non_null(r->v);
    }
    rec *e = &r->v[r->n];
    e->id = ev->id;
    e->cap = ev->cap;
    e->time = ev->time;
    e->len = ev->payload.len;
    e->payload = malloc(e->len + 1);
    memcpy(e->payload, ev->payload.ptr, e->len);
    e->seq = r->n++;
    return ELOG_CB_CONTINUE;
}

static elog_end decode_all(const uint8_t *p, size_t len, unsigned options, recs *r)
{
    return decode_buffer(p, len, options, NULL, collect, r);
}

static void recs_free(recs *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].payload);
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int by_cap(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->cap != y->cap)
        return x->cap < y->cap ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void assert_same_events(const recs *a, const recs *b, const char *name)
{
    if (a->n != b->n)
        fail_msg("%s: %zu events, then %zu", name, a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const rec *x = &a->v[i], *y = &b->v[i];
        if (x->id != y->id || x->cap != y->cap || x->time != y->time || x->len != y->len ||
            memcmp(x->payload, y->payload, x->len) != 0)
            fail_msg("%s: event %zu differs (id %u/%u cap %u/%u time %llu/%llu)", name, i, x->id,
                     y->id, x->cap, y->cap, (unsigned long long)x->time,
                     (unsigned long long)y->time);
    }
}

/* Calls fn(path, NULL) for every *.eventlog of the directories; returns how many. */
static size_t each_log(void (*fn)(const char *path, void *ctx))
{
    size_t count = 0;
    for (int i = 0; i < n_dirs; i++)
        count += each_eventlog(dirs[i], fn, NULL);
    return count;
}

/* ------------------------------------------------------------ tests */

static size_t clean_logs;

static void roundtrip_one(const char *path, void *ctx)
{
    (void)ctx;
    size_t len;
    uint8_t *in;
    assert_true(read_file(path, &in, &len));
    elog_log_writer_options opt = {.flags = ELOG_LOG_WRITER_VERBATIM};
    buf out = {0};
    elog_log_writer_fix fix;
    elog_end end = copy_log(in, len, &opt, &out, &fix);
    if (end.kind == ELOG_END_CLEAN) {
        clean_logs++;
        size_t want = (size_t)end.offset + 2; /* bytes after the end marker are not events */
        if (out.len != want || memcmp(out.p, in, want) != 0) {
            size_t i = 0;
            while (i < out.len && i < want && out.p[i] == in[i])
                i++;
            fail_msg("%s: round trip differs at byte %zu (%zu bytes written, %zu expected)", path,
                     i, out.len, want);
        }
        assert_false(fix.fixed);
    } else if (end.kind == ELOG_END_TRUNCATED_BETWEEN_EVENTS ||
               end.kind == ELOG_END_TRUNCATED_IN_EVENT) {
        /* Cut short: the copy is complete and holds the same events. */
        recs a = {0}, b = {0};
        a.markers = b.markers = true;
        decode_all(in, len, ELOG_OPT_LENIENT_BLOCKS, &a);
        elog_end e2 = decode_all(out.p, out.len, 0, &b);
        if (e2.kind != ELOG_END_CLEAN)
            fail_msg("%s: the repaired copy ends %s", path, elog_end_kind_name(e2.kind));
        /* Only the last block's size may change. */
        for (size_t i = 0; i < a.n && i < b.n; i++)
            if (a.v[i].id == 18 && b.v[i].id == 18)
                memcpy(a.v[i].payload, b.v[i].payload, 4);
        assert_same_events(&a, &b, path);
        recs_free(&a);
        recs_free(&b);
    }
    free(out.p);
    free(in);
}

static void test_roundtrip(void **state)
{
    (void)state;
    clean_logs = 0;
    size_t n = each_log(roundtrip_one);
    assert_true(n >= 10);
    assert_true(clean_logs >= 8);
}

static elog_log_writer_options blocks_opt;

static void blocks_one(const char *path, void *ctx)
{
    (void)ctx;
    size_t len;
    uint8_t *in;
    assert_true(read_file(path, &in, &len));
    buf out = {0};
    elog_end end = copy_log(in, len, &blocks_opt, &out, NULL);
    if (end.kind == ELOG_END_CLEAN || end.kind == ELOG_END_TRUNCATED_BETWEEN_EVENTS ||
        end.kind == ELOG_END_TRUNCATED_IN_EVENT) {
        recs a = {0}, b = {0};
        decode_all(in, len, ELOG_OPT_LENIENT_BLOCKS, &a);
        elog_end e2 = decode_all(out.p, out.len, 0, &b); /* strict blocks */
        if (e2.kind != ELOG_END_CLEAN)
            fail_msg("%s: rewritten in blocks, it ends %s (%s)", path, elog_end_kind_name(e2.kind),
                     elog_status_name(e2.status));
        qsort(a.v, a.n, sizeof *a.v, by_cap);
        qsort(b.v, b.n, sizeof *b.v, by_cap);
        assert_same_events(&a, &b, path);
        recs_free(&a);
        recs_free(&b);
    }
    free(out.p);
    free(in);
}

static void test_blocks(void **state)
{
    (void)state;
    blocks_opt = (elog_log_writer_options){0};
    assert_true(each_log(blocks_one) >= 10);
}

/* The smallest budget: two maximal blocks, so blocks are written as soon as
 * a second capability needs room. */
static void test_blocks_small_budget(void **state)
{
    (void)state;
    blocks_opt = (elog_log_writer_options){.block_bytes = 1, .budget_bytes = 2 * (24 + ELOG_MAX_RECORD_SIZE)};
    assert_true(each_log(blocks_one) >= 10);
}

/* A log cut at many points, copied verbatim: complete, the events that
 * could be decoded, the last block's size corrected. */
static void test_cut(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dirs[0], "hello-ghc-8.2.2.eventlog");
    size_t len;
    uint8_t *in;
    assert_true(read_file(path, &in, &len));
    size_t fixed = 0;
    for (size_t cut = len, k = 0; cut > 400; cut = (k & 1) ? cut * 7 / 8 : cut, k++) {
        /* each cut twice: holding blocks, and streaming with a patch */
        elog_log_writer_options opt = {.flags = ELOG_LOG_WRITER_VERBATIM,
                                       .patch = (k & 1) ? buf_patch : NULL};
        buf out = {0};
        elog_log_writer_fix fix;
        elog_end end = copy_log(in, cut, &opt, &out, &fix);
        if (end.kind == ELOG_END_TRUNCATED_IN_HEADER)
            break;
        fixed += fix.fixed;
        recs a = {0}, b = {0};
        decode_all(in, cut, ELOG_OPT_LENIENT_BLOCKS, &a);
        elog_end e2 = decode_all(out.p, out.len, 0, &b);
        assert_int_equal(e2.kind, ELOG_END_CLEAN);
        assert_int_equal(a.n, b.n);
        for (size_t i = 0; i < a.n; i++) {
            assert_int_equal(a.v[i].id, b.v[i].id);
            assert_int_equal(a.v[i].time, b.v[i].time);
        }
        recs_free(&a);
        recs_free(&b);
        free(out.p);
    }
    assert_true(fixed >= 6);
    free(in);
}

/* The pass-through copy (bytes as they come, block markers noted) gives the
 * same file as copying every record, for cuts at many points. */
static int note_marker(elog_decoder *d, const elog_event *ev)
{
    copier *c = d->data;
    c->st = elog_log_writer_copy(c->w, ev);
    return c->st == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static bool markers_only(elog_decoder *d, const elog_event_type *t)
{
    (void)d;
    return t->id == 18;
}

static void test_pass_through(void **state)
{
    (void)state;
    const char *names[] = {"hello-ghc-8.2.2.eventlog", "ghc-9.2-events.eventlog"};
    char tmpl[] = "/tmp/elog-writer-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    close(fd);
    size_t fixed = 0, runs = 0;
    for (size_t k = 0; k < 2; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dirs[0], names[k]);
        size_t len;
        uint8_t *in;
        assert_true(read_file(path, &in, &len));
        for (size_t cut = len; cut > 1000; cut = cut * 9 / 10) {
            elog_log_writer_options opt = {.flags = ELOG_LOG_WRITER_VERBATIM};
            buf want = {0};
            elog_end e1 = copy_log(in, cut, &opt, &want, NULL);
            copier c = {NULL, ELOG_OK};
            assert_int_equal(elog_log_writer_open_path(&c.w, &opt, tmpl), ELOG_OK);
            elog_settings s;
            elog_settings_init(&s);
            s.on_event = note_marker;
            s.select = markers_only;
            s.options = ELOG_OPT_LENIENT_BLOCKS;
            elog_decoder d;
            elog_decoder_init(&d, &s, &c);
            for (size_t at = 0; at < cut; at += 1000) {
                size_t n = cut - at < 1000 ? cut - at : 1000;
                assert_int_equal(elog_log_writer_bytes(c.w, in + at, n), ELOG_OK);
                elog_execute(&d, in + at, n);
            }
            elog_end e2 = elog_finish(&d);
            assert_int_equal(e1.kind, e2.kind);
            assert_int_equal(c.st, ELOG_OK);
            if (e2.kind == ELOG_END_TRUNCATED_IN_HEADER) { /* nothing to write: smaller cuts neither */
                elog_log_writer_free(c.w);
                elog_decoder_free(&d);
                free(want.p);
                break;
            }
            elog_log_writer_fix fix;
            assert_int_equal(elog_log_writer_finish_bytes(c.w, e2.offset, &fix), ELOG_OK);
            fixed += fix.fixed;
            elog_log_writer_free(c.w);
            elog_decoder_free(&d);
            size_t glen;
            uint8_t *got;
            assert_true(read_file(tmpl, &got, &glen));
            if (glen != want.len || memcmp(got, want.p, glen) != 0)
                fail_msg("%s cut at %zu: pass-through differs from the record copy", path, cut);
            free(got);
            free(want.p);
            runs++;
        }
        free(in);
    }
    unlink(tmpl);
    assert_true(runs >= 20 && fixed >= 5);
}

/* ------------------------------------------------------------ typed events */

typedef struct typed_check {
    int n;
    elog_event evs[8];
    uint8_t store[8][256];
} typed_check;

static int keep_typed(elog_decoder *d, const elog_event *ev)
{
    typed_check *t = d->data;
    if (ev->id == 18 || t->n == 8)
        return ELOG_CB_CONTINUE;
    t->evs[t->n] = *ev;
    /* the string slices point into the input, which outlives the check */
    t->n++;
    return ELOG_CB_CONTINUE;
}

static void test_typed(void **state)
{
    (void)state;
    buf out = {0};
    elog_log_writer *w;
    assert_int_equal(elog_log_writer_open(&w, NULL, buf_sink, &out), ELOG_OK);
    assert_int_equal(elog_log_writer_declare_catalogue(w), ELOG_OK);
    /* Before the header is complete an event is a usage error. */
    elog_fields f;
    memset(&f, 0, sizeof f);
    assert_int_equal(elog_log_writer_event(w, 0, ELOG_EV_CREATE_THREAD, 1, &f), ELOG_E_USAGE);
    assert_int_equal(elog_log_writer_begin_data(w), ELOG_OK);

    f.stop_thread.thread = 7;
    f.stop_thread.status = 5;
    f.stop_thread.info = 0xdeadbeef;
    assert_int_equal(elog_log_writer_event(w, 1, ELOG_EV_STOP_THREAD, 100, &f), ELOG_OK);
    memset(&f, 0, sizeof f);
    f.user_msg.message = (elog_slice){(const uint8_t *)"h\xffllo", 5};
    assert_int_equal(elog_log_writer_event(w, 0, ELOG_EV_USER_MSG, 50, &f), ELOG_OK);
    memset(&f, 0, sizeof f);
    f.ticky_counter_def.ctr_id = 99;
    f.ticky_counter_def.arity = 2;
    f.ticky_counter_def.arg_kinds = (elog_slice){(const uint8_t *)"ii", 2};
    f.ticky_counter_def.name = (elog_slice){(const uint8_t *)"f", 1};
    f.ticky_counter_def.has_info_tbl = true;
    f.ticky_counter_def.info_tbl = 0x1234;
    assert_int_equal(elog_log_writer_event(w, ELOG_NO_CAP, ELOG_EV_TICKY_COUNTER_DEF, 60, &f), ELOG_OK);
    static const uint8_t stack[8] = {0, 0, 0, 3, 0, 0, 0, 9};
    memset(&f, 0, sizeof f);
    f.heap_prof_sample_cost_centre.profile_id = 1;
    f.heap_prof_sample_cost_centre.residency = 4096;
    f.heap_prof_sample_cost_centre.stack = (elog_u32_array){stack, 2};
    assert_int_equal(elog_log_writer_event(w, ELOG_NO_CAP, ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE, 70, &f),
                     ELOG_OK);
    /* errors leave the writer usable */
    assert_int_equal(elog_log_writer_event(w, 0, 6, 1, &f), ELOG_E_UNDECLARED);
    static const uint8_t bad[11] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2};
    assert_int_equal(elog_log_writer_record(w, 0, bad, sizeof bad), ELOG_E_BAD_EVENT);
    assert_true(strlen(elog_log_writer_error_reason(w)) > 0);
    assert_int_equal(elog_log_writer_finish(w, NULL), ELOG_OK);
    elog_log_writer_free(w);

    typed_check t;
    memset(&t, 0, sizeof t);
    elog_settings s;
    elog_settings_init(&s);
    s.on_event = keep_typed;
    elog_decoder d;
    elog_decoder_init(&d, &s, &t);
    assert_int_equal(elog_execute(&d, out.p, out.len).status, ELOG_OK);
    assert_int_equal(elog_finish(&d).kind, ELOG_END_CLEAN);
    assert_int_equal(t.n, 4);
    int seen = 0;
    for (int i = 0; i < t.n; i++) {
        const elog_event *ev = &t.evs[i];
        switch (ev->id) {
        case ELOG_EV_STOP_THREAD:
            assert_int_equal(ev->cap, 1);
            assert_int_equal(ev->time, 100);
            assert_int_equal(ev->as.stop_thread.thread, 7);
            assert_int_equal(ev->as.stop_thread.status, 5);
            assert_int_equal(ev->as.stop_thread.info, 0xdeadbeef);
            seen |= 1;
            break;
        case ELOG_EV_USER_MSG:
            assert_int_equal(ev->cap, 0);
            assert_int_equal(ev->as.user_msg.message.len, 5);
            assert_memory_equal(ev->as.user_msg.message.ptr, "h\xffllo", 5);
            seen |= 2;
            break;
        case ELOG_EV_TICKY_COUNTER_DEF:
            assert_int_equal(ev->cap, ELOG_NO_CAP);
            assert_int_equal(ev->as.ticky_counter_def.ctr_id, 99);
            assert_int_equal(ev->as.ticky_counter_def.arity, 2);
            assert_int_equal(ev->as.ticky_counter_def.name.len, 1);
            assert_true(ev->as.ticky_counter_def.has_info_tbl);
            assert_int_equal(ev->as.ticky_counter_def.info_tbl, 0x1234);
            assert_false(ev->as.ticky_counter_def.has_json_desc);
            seen |= 4;
            break;
        case ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE:
            assert_int_equal(ev->as.heap_prof_sample_cost_centre.residency, 4096);
            assert_int_equal(ev->as.heap_prof_sample_cost_centre.stack.count, 2);
            assert_int_equal(elog_u32_array_get(ev->as.heap_prof_sample_cost_centre.stack, 1), 9);
            seen |= 8;
            break;
        default:
            fail_msg("unexpected event %u", ev->id);
        }
    }
    assert_int_equal(seen, 15);
    elog_decoder_free(&d);
    free(out.p);
}

int main(int argc, char **argv)
{
    static char *env_dir[1];
    if (argc > 1) {
        dirs = argv + 1;
        n_dirs = argc - 1;
    } else {
        env_dir[0] = getenv("ELOG_CORPUS_DIR");
        if (env_dir[0] == NULL) {
            fprintf(stderr, "set ELOG_CORPUS_DIR or give directories\n");
            return 1;
        }
        dirs = env_dir;
        n_dirs = 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_blocks_small_budget),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_pass_through),
        cmocka_unit_test(test_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

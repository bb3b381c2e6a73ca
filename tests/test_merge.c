/*
 * The library's merge (include/eventlog/merge.h) on the project's GHC 9.0.2
 * logs ($ELOG_CORPUS_902):
 *   - two runs with 2 capabilities and 1: every event of both (block
 *     markers aside), each capability's events in time order, the second
 *     run's capabilities and thread ids shifted past the first's, the same
 *     payloads otherwise; both inputs ended clean;
 *   - a type id declared differently in two inputs: ELOG_E_BAD_HEADER
 *     naming the id; input that is not an eventlog: an error with the path
 *     and byte offset; an output that fails: the writer's reason;
 *   - usage: no inputs, writing twice.
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
#include "eventlog/merge.h"
#include "eventlog/writer.h"

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
    bool fail;
} buf;

static int sink(void *ctx, const uint8_t *p, size_t n)
{
    buf *b = ctx;
    if (b->fail)
        return -1;
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* What a decode saw: events (no block markers) per capability in order,
 * the largest capability and thread id, the end. */
typedef struct seen {
    uint64_t events;
    uint64_t out_of_order;          /* an event earlier than its cap's previous */
    uint64_t last_time[65536 / 64]; /* per capability (< 1024 used) */
    unsigned max_cap;               /* largest + 1 */
    uint32_t max_thread;            /* of RUN_THREAD */
    uint64_t run_threads;
} seen;

static int on_event(elog_decoder *d, const elog_event *ev)
{
    seen *s = d->data;
    if (ev->id == 18)
        return ELOG_CB_CONTINUE;
    s->events++;
    if (ev->cap != ELOG_NO_CAP) {
        assert_true(ev->cap < 1024);
        if (ev->time < s->last_time[ev->cap])
            s->out_of_order++;
        s->last_time[ev->cap] = ev->time;
        if ((unsigned)ev->cap + 1 > s->max_cap)
            s->max_cap = ev->cap + 1u;
    }
    if (ev->id == ELOG_EV_RUN_THREAD && ev->layout != NULL) {
        s->run_threads++;
        if (ev->as.run_thread.thread > s->max_thread)
            s->max_thread = ev->as.run_thread.thread;
    }
    return ELOG_CB_CONTINUE;
}

static elog_end decode(const uint8_t *p, size_t n, seen *s)
{
    memset(s, 0, sizeof *s);
    elog_settings st;
    elog_settings_init(&st);
    st.on_event = on_event;
    st.options = ELOG_OPT_LENIENT_BLOCKS;
    elog_decoder d;
    elog_decoder_init(&d, &st, s);
    (void)elog_execute(&d, p, n);
    elog_end end = elog_finish(&d);
    elog_decoder_free(&d);
    return end;
}

static char *path902(const char *name)
{
    const char *dir = getenv("ELOG_CORPUS_902");
    if (dir == NULL)
        return NULL;
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void test_merge_two(void **state)
{
    (void)state;
    char *a = path902("threaded-N2.eventlog"), *b = path902("nonthreaded.eventlog");
    if (a == NULL) {
        skip();
        return;
    }
    size_t la, lb;
    uint8_t *da = slurp(a, &la), *db = slurp(b, &lb);
    seen sa, sb, so;
    assert_int_equal(decode(da, la, &sa).kind, ELOG_END_CLEAN);
    assert_int_equal(decode(db, lb, &sb).kind, ELOG_END_CLEAN);

    const char *in[2] = {a, b};
    elog_merge_options mo;
    elog_merge_options_init(&mo);
    mo.decoder_options = ELOG_OPT_LENIENT_BLOCKS;
    elog_merge *m = NULL;
    assert_int_equal(elog_merge_open(&m, in, 2, &mo), ELOG_OK);
    assert_int_equal(elog_merge_inputs(m), 2);
    elog_merge_shift s0, s1;
    elog_merge_shift_of(m, 0, &s0);
    elog_merge_shift_of(m, 1, &s1);
    assert_true(s0.caps == 0 && s0.capsets == 0 && s0.threads == 0);
    assert_int_equal(s1.caps, sa.max_cap);         /* past the first's capabilities */
    assert_true(s1.threads >= sa.max_thread);      /* past the first's threads */
    for (size_t k = 0; k < 2; k++) {
        elog_end e;
        elog_merge_input_end(m, k, &e);
        assert_int_equal(e.kind, ELOG_END_CLEAN);
        assert_non_null(elog_merge_input_header(m, k));
    }

    buf out = {0};
    elog_log_writer *w = NULL;
    assert_int_equal(elog_log_writer_open(&w, NULL, sink, &out), ELOG_OK);
    assert_int_equal(elog_merge_write(m, w), ELOG_OK);
    assert_string_equal(elog_merge_error(m), "");
    /* once only */
    assert_int_equal(elog_merge_write(m, w), ELOG_E_USAGE);
    elog_log_writer_free(w);
    elog_merge_close(m);

    assert_int_equal(decode(out.p, out.n, &so).kind, ELOG_END_CLEAN);
    assert_int_equal(so.events, sa.events + sb.events);
    assert_int_equal(so.out_of_order, 0);
    assert_int_equal(so.max_cap, sa.max_cap + sb.max_cap);
    assert_int_equal(so.run_threads, sa.run_threads + sb.run_threads);
    assert_int_equal(so.max_thread, s1.threads + sb.max_thread);
    free(out.p);
    free(da);
    free(db);
    free(a);
    free(b);
}

static char *temp_copy(const uint8_t *p, size_t n)
{
    char *t = strdup("/tmp/test_merge.XXXXXX");
    int fd = mkstemp(t);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
    return t;
}

static void test_merge_errors(void **state)
{
    (void)state;
    char *a = path902("threaded-N2.eventlog");
    if (a == NULL) {
        skip();
        return;
    }
    size_t la;
    uint8_t *da = slurp(a, &la);
    /* the first declaration's description with one letter's case changed */
    uint8_t *hit = memmem(da, la, "hetbetb\0", 8);
    assert_non_null(hit);
    uint16_t id = (uint16_t)(hit[8] << 8 | hit[9]);
    hit[8 + 8] ^= 0x20;
    char *conflict = temp_copy(da, la);
    const char *in[2] = {a, conflict};
    elog_merge *m = NULL;
    assert_int_equal(elog_merge_open(&m, in, 2, NULL), ELOG_E_BAD_HEADER);
    char want[64];
    snprintf(want, sizeof want, "event type %u is declared differently", id);
    assert_non_null(strstr(elog_merge_error(m), want));
    elog_merge_close(m);

    char *junk = temp_copy((const uint8_t *)"not an eventlog", 15);
    in[1] = junk;
    assert_int_equal(elog_merge_open(&m, in, 2, NULL), ELOG_E_CALLBACK);
    assert_non_null(strstr(elog_merge_error(m), junk));
    assert_non_null(strstr(elog_merge_error(m), "byte"));
    elog_merge_close(m);

    /* an output that fails */
    in[1] = a;
    assert_int_equal(elog_merge_open(&m, in, 2, NULL), ELOG_OK);
    buf out = {.fail = true};
    elog_log_writer *w = NULL;
    assert_int_equal(elog_log_writer_open(&w, NULL, sink, &out), ELOG_OK);
    assert_int_equal(elog_merge_write(m, w), ELOG_E_CALLBACK);
    assert_true(elog_merge_error(m)[0] != '\0');
    elog_log_writer_free(w);
    elog_merge_close(m);

    /* usage */
    assert_int_equal(elog_merge_open(&m, in, 0, NULL), ELOG_E_USAGE);
    elog_merge_close(m);
    assert_int_equal(elog_merge_open(NULL, in, 2, NULL), ELOG_E_USAGE);
    elog_merge_close(NULL);

    unlink(conflict);
    unlink(junk);
    free(conflict);
    free(junk);
    free(da);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_two),
        cmocka_unit_test(test_merge_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

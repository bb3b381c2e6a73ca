/*
 * Unit tests of the push decoder on synthetic eventlogs (tests/synth.h):
 * header parsing, every error with its exact offset, sticky errors,
 * pause/resume/abort, reset, how a stream ends, capability attribution,
 * callback routing, forward compatibility, layout variants, and the pure
 * helpers (elog_decode_record, elog_block_state_apply, elog_strvec_next,
 * elog_utf8_valid).
 *
 * Every synthetic decode runs twice, with the whole buffer in one call and
 * one byte per call, and both must agree (decode() below).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "expect.h"
#include "synth.h"

#define NC ELOG_NO_CAP
#define VAR ELOG_VARIABLE_SIZE

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct outcome {
    elog_status status;      /* first non-OK status of elog_execute, or ELOG_OK */
    elog_status error;       /* elog_get_error() at the end */
    uint64_t error_offset;
    char reason[256];
    elog_end end;
} outcome;

/* Feeds buf in chunks of `chunk` bytes (0 = all at once); stops at the first
 * error, checks it is sticky, then finishes. Expectations are matched from
 * the start. */
static outcome decode_with(expect *e, const uint8_t *buf, size_t len, size_t chunk)
{
    outcome o;
    memset(&o, 0, sizeof o);
    expect_rewind(e);
    elog_decoder d;
    elog_decoder_init(&d, &e->settings, e);
    assert_ptr_equal(d.data, e);
    assert_null(elog_get_header(&d));
    assert_int_equal(elog_get_error(&d), ELOG_OK);
    assert_string_equal(elog_get_error_reason(&d), "");
    size_t pos = 0;
    while (pos < len) {
        size_t n = chunk && chunk < len - pos ? chunk : len - pos;
        elog_result r = elog_execute(&d, buf + pos, n);
        if (r.status != ELOG_OK) {
            o.status = r.status;
            assert_true(r.read <= n);
            break;
        }
        assert_int_equal(r.read, n);
        pos += n;
        assert_int_equal(elog_get_offset(&d), pos);
    }
    o.error = elog_get_error(&d);
    o.error_offset = elog_get_error_offset(&d);
    snprintf(o.reason, sizeof o.reason, "%s", elog_get_error_reason(&d));
    if (o.status != ELOG_OK && o.status != ELOG_PAUSED) {
        /* Sticky: more input is refused with the same error. */
        elog_result again = elog_execute(&d, buf, len);
        assert_int_equal(again.status, o.status);
        assert_int_equal(again.read, 0);
        assert_int_equal(elog_get_error(&d), o.status);
        assert_int_equal(elog_get_error_offset(&d), o.error_offset);
        assert_string_equal(elog_get_error_reason(&d), o.reason);
    }
    o.end = elog_finish(&d);
    elog_decoder_free(&d);
    expect_all_seen(e);
    return o;
}

static void assert_same_end(const elog_end *a, const elog_end *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->offset, b->offset);
    /* After an error, how many bytes were taken depends on the chunks. */
    if (a->kind != ELOG_END_ERROR)
        assert_int_equal(a->total_bytes, b->total_bytes);
    assert_int_equal(a->id_known, b->id_known);
    if (a->id_known)
        assert_int_equal(a->event_id, b->event_id);
    assert_int_equal(a->bytes_missing, b->bytes_missing);
    assert_int_equal(a->trailing_bytes, b->trailing_bytes);
    assert_int_equal(a->events, b->events);
}

/* Decodes s whole and byte by byte; both must give the same result. */
static outcome decode(expect *e, const synth *s)
{
    outcome a = decode_with(e, s->buf, s->len, 0);
    outcome b = decode_with(e, s->buf, s->len, 1);
    assert_int_equal(a.status, b.status);
    assert_int_equal(a.error, b.error);
    assert_int_equal(a.error_offset, b.error_offset);
    /* The reasons may quote different amounts of the input; both exist. */
    assert_true(strlen(a.reason) > 0 || a.error == ELOG_OK);
    assert_true(strlen(b.reason) > 0 || b.error == ELOG_OK);
    assert_same_end(&a.end, &b.end);
    return a;
}

static void assert_error(const outcome *o, elog_status st, uint64_t offset)
{
    if (o->status != st || o->error != st || o->error_offset != offset)
        fail_msg("expected %s at offset %" PRIu64 ", got execute status %s, error %s at %" PRIu64
                 " (\"%s\")",
                 elog_status_name(st), offset, elog_status_name(o->status),
                 elog_status_name(o->error), o->error_offset, o->reason);
    assert_true(strlen(o->reason) > 0);
    assert_int_equal(o->end.kind, ELOG_END_ERROR);
    assert_int_equal(o->end.status, st);
    assert_int_equal(o->end.offset, offset);
}

static void assert_clean(const outcome *o, uint64_t end_offset, uint64_t total, uint64_t events)
{
    if (o->status != ELOG_OK)
        fail_msg("unexpected %s at %" PRIu64 ": %s", elog_status_name(o->error), o->error_offset,
                 o->reason);
    assert_int_equal(o->end.kind, ELOG_END_CLEAN);
    assert_int_equal(o->end.status, ELOG_OK);
    assert_int_equal(o->end.offset, end_offset);
    assert_int_equal(o->end.total_bytes, total);
    assert_int_equal(o->end.trailing_bytes, 0);
    assert_int_equal(o->end.events, events);
}

static size_t std_n_types(void)
{
    size_t n, k = 0;
    const elog_layout_info *cat = elog_catalogue(&n);
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || cat[i + 1].id != cat[i].id)
            k++;
    return k;
}

/* Payload helpers. */
static synth pl;

static void pl_reset(void)
{
    synth_clear(&pl);
}

static size_t ev_u32(synth *s, uint16_t id, uint64_t t, uint32_t v)
{
    pl_reset();
    synth_u32(&pl, v);
    return synth_event(s, id, t, pl.buf, pl.len);
}

static size_t ev_text(synth *s, uint16_t id, uint64_t t, const char *text)
{
    return synth_event_var(s, id, t, text, strlen(text));
}

static int setup(void **state)
{
    (void)state;
    synth_init(&pl);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    synth_free(&pl);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Header                                                                    */
/* ------------------------------------------------------------------------ */

static void test_header_types(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    size_t off0 = synth_len(&s);
    synth_type(&s, 0, 4, "Create thread");
    size_t off1 = synth_len(&s);
    /* Extra bytes that look like markers must be skipped by xlen. */
    static const uint8_t extra[] = {'e', 't', 'e', 0, 'h', 'e', 't', 'e', 0xff};
    synth_type_ex(&s, 16, VAR, "Log message", 11, extra, sizeof extra);
    size_t off2 = synth_len(&s);
    synth_type(&s, 5, 4, "Run spark");
    size_t off3 = synth_len(&s);
    synth_type_ex(&s, 300, 3, "", 0, NULL, 0);
    synth_header_end(&s);
    synth_data_begin(&s);
    size_t data = synth_len(&s);
    size_t e1 = ev_u32(&s, 0, 77, 42);
    size_t e2 = ev_text(&s, 16, 78, "hi");
    size_t end = synth_data_end(&s);

    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, 4, data);
    expect_event(&e, e1, 0, 77, NC);
    expect_size(&e, 14);
    expect_layout(&e, 4);
    expect_u(&e, "thread", 42);
    expect_event(&e, e2, 16, 78, NC);
    expect_size(&e, 14);
    expect_layout(&e, VAR);
    expect_s(&e, "message", "hi");
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 2);

    /* The header itself, kept until free: decode again and inspect it. */
    expect_clear(&e);
    expect_record_only(&e);
    elog_decoder d;
    elog_decoder_init(&d, &e.settings, &e);
    elog_result r = elog_execute(&d, s.buf, s.len);
    assert_int_equal(r.status, ELOG_OK);
    const elog_header *h = elog_get_header(&d);
    assert_non_null(h);
    assert_int_equal(h->n_types, 4);
    assert_int_equal(h->data_offset, data);
    static const struct {
        uint16_t id, size;
        const char *desc;
        size_t off;
    } want[] = {{0, 4, "Create thread", 0}, {16, VAR, "Log message", 0}, {5, 4, "Run spark", 0},
                {300, 3, "", 0}};
    size_t offs[] = {off0, off1, off2, off3};
    for (size_t i = 0; i < 4; i++) {
        const elog_event_type *t = &h->types[i];
        assert_int_equal(t->id, want[i].id);
        assert_int_equal(t->size, want[i].size);
        assert_int_equal(t->header_index, i);
        assert_int_equal(t->offset, offs[i]);
        assert_int_equal(t->description.len, strlen(want[i].desc));
        if (t->description.len)
            assert_memory_equal(t->description.ptr, want[i].desc, t->description.len);
        assert_ptr_equal(t->layout, elog_catalogue_find(t->id, t->size));
        assert_ptr_equal(elog_header_lookup(h, t->id), t);
    }
    assert_non_null(h->types[0].layout);
    assert_string_equal(h->types[0].layout->name, "CREATE_THREAD");
    assert_null(h->types[2].layout);  /* RUN_SPARK: no typed layout */
    assert_null(h->types[3].layout);
    assert_null(elog_header_lookup(h, 1));
    assert_null(elog_header_lookup(h, 17));
    assert_null(elog_header_lookup(h, 301));
    assert_null(elog_header_lookup(h, 0xffff));
    elog_decoder_free(&d);
    expect_free(&e);
    synth_free(&s);
}

static void test_header_duplicate_ids(void **state)
{
    (void)state;
    for (int order = 0; order < 2; order++) {
        synth s;
        synth_init(&s);
        synth_header_begin(&s);
        /* The last declaration of id 0 wins: 6 bytes, then 4 bytes. */
        uint16_t first = order == 0 ? 4 : 6, second = order == 0 ? 6 : 4;
        synth_type(&s, 0, first, "first");
        synth_type(&s, 1, 4, "Run thread");
        synth_type(&s, 0, second, "second");
        synth_header_end(&s);
        synth_data_begin(&s);
        static const uint8_t p0[6] = {0, 0, 0, 9, 0xab, 0xcd};
        size_t e1 = synth_event(&s, 0, 5, p0, second);
        size_t e2 = ev_u32(&s, 1, 6, 10);
        size_t end = synth_data_end(&s);

        expect e;
        expect_init(&e, 0, false);
        expect_header(&e, 3, s.data_offset);
        expect_event(&e, e1, 0, 5, NC);
        expect_size(&e, 10u + second);
        expect_layout(&e, 4);
        expect_u(&e, "thread", 9);
        expect_payload(&e, p0, second);
        expect_event(&e, e2, 1, 6, NC);
        expect_u(&e, "thread", 10);
        expect_data_end(&e, end);
        outcome o = decode(&e, &s);
        assert_clean(&o, end, s.len, 2);

        /* Both declarations stay in the table, in header order. */
        elog_decoder d;
        expect_clear(&e);
        expect_record_only(&e);
        elog_decoder_init(&d, &e.settings, &e);
        assert_int_equal(elog_execute(&d, s.buf, s.len).status, ELOG_OK);
        const elog_header *h = elog_get_header(&d);
        assert_int_equal(h->n_types, 3);
        assert_int_equal(h->types[0].size, first);
        assert_int_equal(h->types[2].size, second);
        assert_memory_equal(h->types[0].description.ptr, "first", 5);
        assert_ptr_equal(elog_header_lookup(h, 0), &h->types[2]);
        elog_decoder_free(&d);
        expect_free(&e);
        synth_free(&s);
    }
}

static void test_header_zero_types(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_header_end(&s);
    synth_data_begin(&s);
    assert_int_equal(s.data_offset, 20);
    size_t end = synth_data_end(&s);

    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, 0, 20);
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, 20, 22, 0);

    /* With no types, any event is undeclared. */
    synth_clear(&s);
    synth_header_begin(&s);
    synth_header_end(&s);
    synth_data_begin(&s);
    ev_u32(&s, 0, 1, 1);
    expect_clear(&e);
    expect_header(&e, 0, 20);
    o = decode(&e, &s);
    assert_error(&o, ELOG_E_UNDECLARED, 20);
    expect_free(&e);
    synth_free(&s);
}

static void test_header_description_raw_bytes(void **state)
{
    (void)state;
    /* Descriptions are raw bytes: invalid UTF-8 and NULs are kept. */
    static const uint8_t desc[] = {'a', 0, 0xff, 0xc0, 0x80, 'z'};
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_type_ex(&s, 7, 0, desc, sizeof desc, "xx", 2);
    synth_header_end(&s);
    synth_data_begin(&s);
    size_t e1 = synth_event(&s, 7, 3, NULL, 0);
    size_t end = synth_data_end(&s);

    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, 1, s.data_offset);
    expect_event(&e, e1, 7, 3, NC);
    expect_raw(&e);
    expect_size(&e, 10);
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 1);

    elog_decoder d;
    expect_clear(&e);
    expect_record_only(&e);
    elog_decoder_init(&d, &e.settings, &e);
    assert_int_equal(elog_execute(&d, s.buf, s.len).status, ELOG_OK);
    const elog_header *h = elog_get_header(&d);
    assert_int_equal(h->types[0].description.len, sizeof desc);
    assert_memory_equal(h->types[0].description.ptr, desc, sizeof desc);
    elog_decoder_free(&d);
    expect_free(&e);
    synth_free(&s);
}

static void test_get_header_lifecycle(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    expect e;
    expect_init(&e, 0, false);
    expect_record_only(&e);
    elog_decoder d;
    elog_decoder_init(&d, &e.settings, &e);
    /* Everything but the last byte of DATA_BEGIN: no header yet. */
    assert_int_equal(elog_execute(&d, s.buf, s.len - 1).status, ELOG_OK);
    assert_null(elog_get_header(&d));
    assert_int_equal(e.n_got, 0);
    assert_int_equal(elog_execute(&d, s.buf + s.len - 1, 1).status, ELOG_OK);
    assert_non_null(elog_get_header(&d));
    assert_int_equal(e.n_got, 1);
    assert_int_equal(e.got[0].kind, EXP_HEADER);
    elog_decoder_reset(&d);
    assert_null(elog_get_header(&d));
    elog_decoder_free(&d);
    expect_free(&e);
    synth_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

static void test_error_not_eventlog(void **state)
{
    (void)state;
    static const char *inputs[] = {"hdrc", "HDRBhetb", "hello, world", "\x00\x00\x00\x00\x00"};
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        synth s;
        synth_init(&s);
        synth_raw(&s, inputs[i], i == 3 ? 5 : strlen(inputs[i]));
        expect e;
        expect_init(&e, 0, false);
        outcome o = decode(&e, &s);
        assert_error(&o, ELOG_E_NOT_EVENTLOG, 0);
        expect_free(&e);
        synth_free(&s);
    }
}

/* A header broken at one tag: every tag position gives ELOG_E_BAD_HEADER at it. */
static void test_error_bad_header_tags(void **state)
{
    (void)state;
    for (int which = 0; which < 6; which++) {
        synth s;
        synth_init(&s);
        size_t bad = 0;
        synth_u32(&s, 0x68647262u);
        if (which == 0) {
            bad = synth_len(&s);
            synth_raw(&s, "hetc", 4);
        } else {
            synth_u32(&s, 0x68657462u);
        }
        synth_type(&s, 0, 4, "Create thread");
        if (which == 1) {
            /* A record whose ET_END is wrong. */
            synth_u32(&s, 0x65746200u);
            synth_u16(&s, 1);
            synth_u16(&s, 4);
            synth_u32(&s, 3);
            synth_raw(&s, "Run", 3);
            synth_u32(&s, 0);
            bad = synth_len(&s);
            synth_raw(&s, "etf\0", 4);
        } else if (which == 2) {
            /* Neither ET_BEGIN nor HET_END in the type list. */
            bad = synth_len(&s);
            synth_raw(&s, "datb", 4);
        } else if (which == 5) {
            /* ET_BEGIN's last byte wrong. */
            bad = synth_len(&s);
            synth_raw(&s, "etb\1", 4);
        }
        synth_type(&s, 2, 10, "Stop thread");
        synth_u32(&s, 0x68657465u);
        if (which == 3) {
            bad = synth_len(&s);
            synth_raw(&s, "hdrf", 4);
        } else {
            synth_u32(&s, 0x68647265u);
        }
        if (which == 4) {
            bad = synth_len(&s);
            synth_raw(&s, "dat\0", 4);
        } else {
            synth_u32(&s, 0x64617462u);
        }
        synth_data_end(&s);
        expect e;
        expect_init(&e, 0, false);
        outcome o = decode(&e, &s);
        if (o.error != ELOG_E_BAD_HEADER || o.error_offset != bad)
            fail_msg("case %d: expected ELOG_E_BAD_HEADER at %zu, got %s at %" PRIu64, which, bad,
                     elog_status_name(o.error), o.error_offset);
        assert_error(&o, ELOG_E_BAD_HEADER, bad);
        expect_free(&e);
        synth_free(&s);
    }
}

static void test_error_undeclared(void **state)
{
    (void)state;
    static const uint16_t bad_ids[] = {2, 17, 500, 0xfffe};
    for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++) {
        synth s;
        synth_init(&s);
        synth_header_begin(&s);
        synth_type(&s, 0, 4, "Create thread");
        synth_type(&s, 1, 4, "Run thread");
        synth_type(&s, 18, 14, "Block marker");
        synth_type(&s, 16, VAR, "Log message");
        synth_header_end(&s);
        synth_data_begin(&s);
        size_t e1 = ev_u32(&s, 0, 10, 1);
        size_t e2 = ev_text(&s, 16, 11, "before");
        size_t bad = ev_u32(&s, bad_ids[i], 12, 3);
        ev_u32(&s, 1, 13, 1);
        synth_data_end(&s);

        expect e;
        expect_init(&e, 0, false);
        expect_header(&e, 4, s.data_offset);
        expect_event(&e, e1, 0, 10, NC);
        expect_event(&e, e2, 16, 11, NC);
        expect_s(&e, "message", "before");
        outcome o = decode(&e, &s);
        assert_error(&o, ELOG_E_UNDECLARED, bad);
        assert_int_equal(o.end.events, 2);
        expect_free(&e);
        synth_free(&s);
    }
}

static void test_error_bad_event(void **state)
{
    (void)state;
    for (int which = 0; which < 7; which++) {
        synth s;
        synth_init(&s);
        synth_std_header(&s);
        size_t good = ev_u32(&s, 0, 1, 5);
        pl_reset();
        uint16_t id = 0;
        switch (which) {
        case 0: /* HEAP_PROF_COST_CENTRE: the last string has no NUL. */
            id = 161;
            synth_u32(&pl, 7);
            synth_cstr(&pl, "label");
            synth_cstr(&pl, "Module");
            synth_str(&pl, "src/A.hs:1:1");
            break;
        case 1: /* HEAP_PROF_COST_CENTRE: strings fine, flags byte missing. */
            id = 161;
            synth_u32(&pl, 7);
            synth_cstr(&pl, "label");
            synth_cstr(&pl, "Module");
            synth_cstr(&pl, "src/A.hs:1:1");
            break;
        case 2: /* HEAP_PROF_SAMPLE_COST_CENTRE: depth 3, one id present. */
            id = 163;
            synth_u8(&pl, 1);
            synth_u64(&pl, 100);
            synth_u8(&pl, 3);
            synth_u32(&pl, 1);
            break;
        case 3: /* RTS_IDENTIFIER shorter than its capset. */
            id = 29;
            synth_u16(&pl, 0);
            break;
        case 4: /* INTERN_STRING: its trailing u32 id does not fit. */
            id = 42;
            synth_raw(&pl, "abc", 3);
            break;
        case 5: /* TICKY_COUNTER_DEF: 3 bytes where info_tbl (8) would be. */
            id = 210;
            synth_u64(&pl, 1);
            synth_u16(&pl, 2);
            synth_cstr(&pl, "ab");
            synth_cstr(&pl, "f");
            synth_raw(&pl, "\1\2\3", 3);
            break;
        case 6: /* HEAP_PROF_BEGIN cut inside its fixed prefix. */
            id = 160;
            synth_u8(&pl, 1);
            synth_u32(&pl, 0);
            break;
        }
        size_t bad = synth_event_var(&s, id, 2, pl.buf, pl.len);
        ev_u32(&s, 0, 3, 6);
        synth_data_end(&s);

        expect e;
        expect_init(&e, 0, false);
        expect_header(&e, std_n_types(), s.data_offset);
        expect_event(&e, good, 0, 1, NC);
        outcome o = decode(&e, &s);
        if (o.error != ELOG_E_BAD_EVENT || o.error_offset != bad)
            fail_msg("case %d (id %u): expected ELOG_E_BAD_EVENT at %zu, got %s at %" PRIu64, which,
                     id, bad, elog_status_name(o.error), o.error_offset);
        assert_error(&o, ELOG_E_BAD_EVENT, bad);
        expect_free(&e);
        synth_free(&s);
    }
}

/* settings.select: the events of a type turned off are stepped over without
 * decoding their fields, on both paths (whole buffer and 1-byte chunks), so
 * a corrupt one goes unreported but counted; turned on, the same input is
 * ELOG_E_BAD_EVENT there. Each type is asked once, with its declaration. */
static unsigned select_calls;
static bool select_not_163(elog_decoder *d, const elog_event_type *t)
{
    (void)d;
    select_calls++;
    assert_ptr_equal(t->layout, elog_catalogue_find(t->id, t->size));
    return t->id != ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE;
}

static void test_select_skips(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    size_t good = ev_u32(&s, 0, 1, 5);
    pl_reset();
    synth_u8(&pl, 1);   /* HEAP_PROF_SAMPLE_COST_CENTRE, depth 3, one id present */
    synth_u64(&pl, 100);
    synth_u8(&pl, 3);
    synth_u32(&pl, 1);
    size_t bad = synth_event_var(&s, ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE, 2, pl.buf, pl.len);
    size_t after = ev_u32(&s, 0, 3, 6);
    size_t end = synth_data_end(&s);

    expect e;
    expect_init(&e, 0, false);
    e.settings.select = select_not_163;
    expect_header(&e, std_n_types(), s.data_offset);
    expect_event(&e, good, 0, 1, NC);
    expect_event(&e, after, 0, 3, NC);
    expect_data_end(&e, end);
    select_calls = 0;
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 3);
    assert_int_equal(select_calls, 2 * std_n_types()); /* two decodes */

    e.settings.select = NULL;
    expect_clear(&e);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_event(&e, good, 0, 1, NC);
    o = decode(&e, &s);
    assert_error(&o, ELOG_E_BAD_EVENT, bad);
    expect_free(&e);
    synth_free(&s);
}

/* elog_route: a type's events go to its own handler with its context, on
 * the in-place path (whole buffer) and the general one (1-byte chunks), the
 * others to on_event; misuse is refused. */
typedef struct route_counts {
    unsigned routed, other, route_rc; /* route_rc: elog_route() from on_event */
    uint64_t routed_sum;              /* of the routed events' field */
    elog_status from_header;
    /* when set: what each routed event must carry (elog_route() promises its
     * id, cap, time, offset, size and fields, and elog_get_offset()) */
    const elog_decoder *d;
    const size_t *run_off, *next_off;
} route_counts;

static int route_handler(void *ctx, const elog_event *ev)
{
    route_counts *c = ctx;
    assert_int_equal(ev->id, 1);
    if (c->run_off != NULL) {
        uint32_t i = ev->as.run_thread.thread;
        assert_true(i < 50);
        assert_int_equal(ev->cap, 0);
        assert_int_equal(ev->time, 10 + i);
        assert_int_equal(ev->offset, c->run_off[i]);
        assert_int_equal(ev->size, c->next_off[i] - c->run_off[i]);
        assert_int_equal(elog_get_offset(c->d), c->next_off[i]);
    }
    c->routed++;
    c->routed_sum += ev->as.run_thread.thread;
    return ELOG_CB_CONTINUE;
}

static int route_on_header(elog_decoder *d, const elog_header *h)
{
    (void)h;
    route_counts *c = d->data;
    c->from_header = elog_route(d, 1, route_handler, c);
    return ELOG_CB_CONTINUE;
}

static int route_on_event(elog_decoder *d, const elog_event *ev)
{
    route_counts *c = d->data;
    assert_int_not_equal(ev->id, 1);
    c->other++;
    c->route_rc = elog_route(d, 2, route_handler, c);
    return ELOG_CB_CONTINUE;
}

static void test_route(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    synth_block_begin(&s, 1, 0, 100);
    size_t run_off[50], next_off[50];
    for (uint32_t i = 0; i < 50; i++) {
        run_off[i] = ev_u32(&s, 1, 10 + i, i);     /* RUN_THREAD i */
        next_off[i] = ev_u32(&s, 0, 10 + i, 1000); /* CREATE_THREAD */
    }
    synth_block_end(&s);
    synth_data_end(&s);
    for (int chunked = 0; chunked < 2; chunked++) {
        route_counts c = { 0 };
        elog_settings st;
        elog_settings_init(&st);
        st.on_header = route_on_header;
        st.on_event = route_on_event;
        elog_decoder d;
        elog_decoder_init(&d, &st, &c);
        c.d = &d;
        c.run_off = run_off;
        c.next_off = next_off;
        assert_int_equal(elog_route(&d, 1, route_handler, &c), ELOG_E_USAGE); /* no header yet */
        if (chunked) {
            for (size_t i = 0; i < s.len; i++)
                assert_int_equal(elog_execute(&d, s.buf + i, 1).status, ELOG_OK);
        } else {
            assert_int_equal(elog_execute(&d, s.buf, s.len).status, ELOG_OK);
        }
        assert_int_equal(elog_finish(&d).kind, ELOG_END_CLEAN);
        assert_int_equal(c.from_header, ELOG_OK);
        assert_int_equal(c.route_rc, ELOG_E_USAGE); /* not from on_event */
        assert_int_equal(c.routed, 50);
        assert_int_equal(c.routed_sum, 49 * 50 / 2);
        assert_int_equal(c.other, 50 + 1); /* the creates and the block marker */
        elog_decoder_free(&d);
    }
    /* Between calls, once the header is complete; an undeclared id; back to
     * on_event with NULL. */
    route_counts c = { 0 };
    elog_settings st;
    elog_settings_init(&st);
    st.on_event = route_on_event;
    elog_decoder d;
    elog_decoder_init(&d, &st, &c);
    assert_int_equal(elog_execute(&d, s.buf, s.data_offset).status, ELOG_OK);
    assert_int_equal(elog_route(&d, 1, route_handler, &c), ELOG_OK);
    assert_int_equal(elog_route(&d, 251, route_handler, &c), ELOG_E_UNDECLARED);
    assert_int_equal(elog_route(&d, 1, NULL, NULL), ELOG_OK);
    assert_int_equal(elog_route(&d, 1, route_handler, &c), ELOG_OK);
    assert_int_equal(elog_execute(&d, s.buf + s.data_offset, s.len - s.data_offset).status, ELOG_OK);
    assert_int_equal(c.routed, 50);
    elog_decoder_free(&d);
    synth_free(&s);
}

/* Block markers that disagree with their events: ELOG_E_BAD_BLOCK at the
 * offending record, unless ELOG_OPT_LENIENT_BLOCKS (then ghc-events' caps). */
static void test_error_bad_block(void **state)
{
    (void)state;
    /* Case A: the block says 24 + 10 bytes, its event has 14. */
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    size_t m = synth_block_marker(&s, 100, 24 + 10, 900, 2);
    size_t crossing = ev_u32(&s, 0, 101, 1);
    size_t after = ev_u32(&s, 1, 102, 1);
    size_t end = synth_data_end(&s);

    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 100, 2);
    outcome o = decode(&e, &s);
    assert_error(&o, ELOG_E_BAD_BLOCK, crossing);

    expect_free(&e);
    expect_init(&e, ELOG_OPT_LENIENT_BLOCKS, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 100, 2);
    expect_u(&e, "block_size", 34);
    expect_event(&e, crossing, 0, 101, 2);
    expect_event(&e, after, 1, 102, NC);
    expect_data_end(&e, end);
    o = decode(&e, &s);
    assert_clean(&o, end, s.len, 3);
    expect_free(&e);

    /* Case B: a new block begins while 14 bytes of the previous are due. */
    synth_clear(&s);
    synth_std_header(&s);
    size_t m1 = synth_block_marker(&s, 100, 24 + 28, 900, 1);
    size_t e1 = ev_u32(&s, 0, 101, 1);
    size_t m2 = synth_block_begin(&s, 200, 3, 901);
    size_t e2 = ev_u32(&s, 1, 201, 1);
    synth_block_end(&s);
    size_t e3 = ev_u32(&s, 1, 202, 1);
    end = synth_data_end(&s);

    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m1, 100, 1);
    expect_event(&e, e1, 0, 101, 1);
    o = decode(&e, &s);
    assert_error(&o, ELOG_E_BAD_BLOCK, m2);
    expect_free(&e);

    expect_init(&e, ELOG_OPT_LENIENT_BLOCKS, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m1, 100, 1);
    expect_event(&e, e1, 0, 101, 1);
    expect_block(&e, m2, 200, 3);
    expect_event(&e, e2, 1, 201, 3);
    expect_event(&e, e3, 1, 202, NC);
    expect_data_end(&e, end);
    o = decode(&e, &s);
    assert_clean(&o, end, s.len, 5);
    expect_free(&e);

    /* The same log with consistent markers is fine in strict mode. */
    synth_clear(&s);
    synth_std_header(&s);
    m1 = synth_block_begin(&s, 100, 1, 900);
    e1 = ev_u32(&s, 0, 101, 1);
    m2 = synth_block_begin(&s, 200, 3, 901);
    e2 = ev_u32(&s, 1, 201, 1);
    synth_block_end(&s);
    end = synth_data_end(&s);
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m1, 100, 1);
    expect_u(&e, "block_size", 38);
    expect_event(&e, e1, 0, 101, 1);
    expect_block(&e, m2, 200, 3);
    expect_event(&e, e2, 1, 201, 3);
    expect_data_end(&e, end);
    o = decode(&e, &s);
    assert_clean(&o, end, s.len, 4);
    expect_free(&e);
    synth_free(&s);
}

static void test_error_sticky_and_finish(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_type(&s, 0, 4, "Create thread");
    synth_header_end(&s);
    synth_data_begin(&s);
    size_t bad = ev_u32(&s, 9, 1, 1);

    expect e;
    expect_init(&e, 0, false);
    expect_record_only(&e);
    elog_decoder d;
    elog_decoder_init(&d, &e.settings, &e);
    elog_result r = elog_execute(&d, s.buf, s.len);
    assert_int_equal(r.status, ELOG_E_UNDECLARED);
    assert_int_equal(r.read, bad); /* consumed up to the bad record */
    assert_int_equal(elog_get_error(&d), ELOG_E_UNDECLARED);
    assert_int_equal(elog_get_error_offset(&d), bad);
    const char *reason = elog_get_error_reason(&d);
    assert_non_null(reason);
    assert_true(strlen(reason) > 0);
    /* Sticky, whatever is fed. */
    static const uint8_t good[] = {0, 0};
    for (int i = 0; i < 3; i++) {
        r = elog_execute(&d, good, sizeof good);
        assert_int_equal(r.status, ELOG_E_UNDECLARED);
        assert_int_equal(r.read, 0);
    }
    elog_end end = elog_finish(&d);
    assert_int_equal(end.kind, ELOG_END_ERROR);
    assert_int_equal(end.status, ELOG_E_UNDECLARED);
    assert_int_equal(end.offset, bad);
    /* After finish, input is refused. */
    r = elog_execute(&d, good, sizeof good);
    assert_true(r.status != ELOG_OK);
    assert_int_equal(r.read, 0);
    elog_decoder_free(&d);
    expect_free(&e);
    synth_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Callbacks: pause, resume, abort, usage                                   */
/* ------------------------------------------------------------------------ */

static synth three_events(size_t *e1, size_t *e2, size_t *e3, size_t *end)
{
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    *e1 = ev_u32(&s, 0, 10, 1);
    *e2 = ev_text(&s, 16, 20, "paused here");
    *e3 = ev_u32(&s, 1, 30, 3);
    *end = synth_data_end(&s);
    return s;
}

static void test_pause_resume(void **state)
{
    (void)state;
    size_t e1, e2, e3, end;
    synth s = three_events(&e1, &e2, &e3, &end);
    size_t e2_end = e3;

    for (int chunked = 0; chunked < 2; chunked++) {
        expect e;
        expect_init(&e, 0, false);
        expect_header(&e, std_n_types(), s.data_offset);
        expect_event(&e, e1, 0, 10, NC);
        expect_event(&e, e2, 16, 20, NC);
        expect_s(&e, "message", "paused here");
        expect_ret(&e, ELOG_CB_PAUSE);
        expect_event(&e, e3, 1, 30, NC);
        expect_data_end(&e, end);
        elog_decoder d;
        elog_decoder_init(&d, &e.settings, &e);
        size_t pos = 0;
        if (!chunked) {
            elog_result r = elog_execute(&d, s.buf, s.len);
            assert_int_equal(r.status, ELOG_PAUSED);
            assert_int_equal(r.read, e2_end); /* up to and including the paused event */
            pos = r.read;
        } else {
            /* Byte by byte: the pause comes with the event's last byte. */
            for (;;) {
                elog_result r = elog_execute(&d, s.buf + pos, 1);
                if (r.status == ELOG_PAUSED) {
                    assert_int_equal(r.read, 1);
                    pos++;
                    break;
                }
                assert_int_equal(r.status, ELOG_OK);
                assert_int_equal(r.read, 1);
                pos++;
            }
            assert_int_equal(pos, e2_end);
        }
        assert_int_equal(e.next, 3); /* e3 not delivered yet */
        assert_int_equal(elog_get_offset(&d), e2_end);
        /* Paused: input is refused until elog_resume. */
        elog_result r = elog_execute(&d, s.buf + pos, s.len - pos);
        assert_int_equal(r.status, ELOG_PAUSED);
        assert_int_equal(r.read, 0);
        assert_int_equal(e.next, 3);
        elog_resume(&d);
        r = elog_execute(&d, s.buf + pos, s.len - pos);
        assert_int_equal(r.status, ELOG_OK);
        assert_int_equal(r.read, s.len - pos);
        elog_end fin = elog_finish(&d);
        assert_int_equal(fin.kind, ELOG_END_CLEAN);
        assert_int_equal(fin.offset, end);
        assert_int_equal(fin.events, 3);
        expect_all_seen(&e);
        elog_decoder_free(&d);
        expect_free(&e);
    }
    synth_free(&s);
}

static void test_pause_in_header_and_data_end(void **state)
{
    (void)state;
    size_t e1, e2, e3, end;
    synth s = three_events(&e1, &e2, &e3, &end);
    synth_raw(&s, "\0\0", 2); /* trailing bytes after the end marker */

    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_ret(&e, ELOG_CB_PAUSE);
    expect_event(&e, e1, 0, 10, NC);
    expect_event(&e, e2, 16, 20, NC);
    expect_event(&e, e3, 1, 30, NC);
    expect_data_end(&e, end);
    expect_ret(&e, ELOG_CB_PAUSE);
    elog_decoder d;
    elog_decoder_init(&d, &e.settings, &e);
    elog_result r = elog_execute(&d, s.buf, s.len);
    assert_int_equal(r.status, ELOG_PAUSED);
    assert_int_equal(r.read, s.data_offset);
    assert_int_equal(e.next, 1);
    elog_resume(&d);
    size_t pos = r.read;
    r = elog_execute(&d, s.buf + pos, s.len - pos);
    assert_int_equal(r.status, ELOG_PAUSED);
    assert_int_equal(pos + r.read, end + 2);
    pos += r.read;
    elog_resume(&d);
    r = elog_execute(&d, s.buf + pos, s.len - pos);
    assert_int_equal(r.status, ELOG_OK);
    assert_int_equal(r.read, 2);
    elog_end fin = elog_finish(&d);
    assert_int_equal(fin.kind, ELOG_END_CLEAN);
    assert_int_equal(fin.trailing_bytes, 2);
    expect_all_seen(&e);
    elog_decoder_free(&d);
    expect_free(&e);
    synth_free(&s);
}

/* elog_resume from inside a callback: the callback's return value decides. */
static int resume_then(elog_decoder *d, const elog_event *ev)
{
    int *ret = d->data;
    elog_resume(d);
    return ev->id == 16 ? *ret : ELOG_CB_CONTINUE;
}

static void test_resume_inside_callback(void **state)
{
    (void)state;
    size_t e1, e2, e3, end;
    synth s = three_events(&e1, &e2, &e3, &end);
    for (int k = 0; k < 2; k++) {
        int ret = k == 0 ? ELOG_CB_CONTINUE : ELOG_CB_PAUSE;
        elog_settings st;
        elog_settings_init(&st);
        st.on_event = resume_then;
        elog_decoder d;
        elog_decoder_init(&d, &st, &ret);
        elog_result r = elog_execute(&d, s.buf, s.len);
        if (k == 0) {
            assert_int_equal(r.status, ELOG_OK);
            assert_int_equal(r.read, s.len);
        } else {
            assert_int_equal(r.status, ELOG_PAUSED);
            assert_int_equal(r.read, e3);
        }
        elog_decoder_free(&d);
    }
    synth_free(&s);
}

static void test_abort(void **state)
{
    (void)state;
    size_t e1, e2, e3, end;
    synth s = three_events(&e1, &e2, &e3, &end);
    static const int rets[] = {ELOG_CB_ABORT, 42, -7};
    for (size_t i = 0; i < 3; i++) {
        expect e;
        expect_init(&e, 0, false);
        expect_header(&e, std_n_types(), s.data_offset);
        expect_event(&e, e1, 0, 10, NC);
        expect_event(&e, e2, 16, 20, NC);
        expect_ret(&e, rets[i]);
        outcome o = decode(&e, &s);
        assert_error(&o, ELOG_E_CALLBACK, e2);
        assert_int_equal(o.end.events, 2);
        expect_free(&e);
    }
    /* From on_header and on_data_end too. */
    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_ret(&e, ELOG_CB_ABORT);
    outcome o = decode(&e, &s);
    assert_int_equal(o.status, ELOG_E_CALLBACK);
    assert_int_equal(o.end.kind, ELOG_END_ERROR);
    assert_true(strlen(o.reason) > 0);
    expect_free(&e);

    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_event(&e, e1, 0, 10, NC);
    expect_event(&e, e2, 16, 20, NC);
    expect_event(&e, e3, 1, 30, NC);
    expect_data_end(&e, end);
    expect_ret(&e, ELOG_CB_ABORT);
    o = decode(&e, &s);
    assert_error(&o, ELOG_E_CALLBACK, end);
    expect_free(&e);
    synth_free(&s);
}

typedef struct reentry {
    elog_result inner;
    bool called;
} reentry;

static int reenter(elog_decoder *d, const elog_event *ev)
{
    (void)ev;
    reentry *re = d->data;
    static const uint8_t junk[4] = {0, 0, 0, 0};
    if (!re->called) {
        re->called = true;
        re->inner = elog_execute(d, junk, sizeof junk);
    }
    return ELOG_CB_CONTINUE;
}

static void test_usage_errors(void **state)
{
    (void)state;
    size_t e1, e2, e3, end;
    synth s = three_events(&e1, &e2, &e3, &end);
    /* elog_execute from a callback. */
    reentry re;
    memset(&re, 0, sizeof re);
    elog_settings st;
    elog_settings_init(&st);
    st.on_event = reenter;
    elog_decoder d;
    elog_decoder_init(&d, &st, &re);
    elog_result r = elog_execute(&d, s.buf, s.len);
    assert_true(re.called);
    assert_int_equal(re.inner.status, ELOG_E_USAGE);
    assert_int_equal(re.inner.read, 0);
    /* The outer decode is not disturbed. */
    assert_int_equal(r.status, ELOG_OK);
    assert_int_equal(r.read, s.len);
    elog_end fin = elog_finish(&d);
    assert_int_equal(fin.kind, ELOG_END_CLEAN);
    assert_int_equal(fin.events, 3);
    /* elog_execute after elog_finish. */
    r = elog_execute(&d, s.buf, s.len);
    assert_int_equal(r.status, ELOG_E_USAGE);
    assert_int_equal(r.read, 0);
    elog_decoder_free(&d);
    synth_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Reset                                                                     */
/* ------------------------------------------------------------------------ */

static void test_reset(void **state)
{
    (void)state;
    size_t e1, e2, e3, end;
    synth good = three_events(&e1, &e2, &e3, &end);
    expect e;
    expect_init(&e, 0, false);
    expect_record_only(&e);
    elog_decoder d;
    elog_decoder_init(&d, &e.settings, &e);

    /* 1. After an error. */
    elog_result r = elog_execute(&d, "garbage!", 8);
    assert_int_equal(r.status, ELOG_E_NOT_EVENTLOG);
    elog_decoder_reset(&d);
    assert_int_equal(elog_get_error(&d), ELOG_OK);
    assert_string_equal(elog_get_error_reason(&d), "");
    assert_int_equal(elog_get_offset(&d), 0);
    assert_ptr_equal(d.data, &e);
    r = elog_execute(&d, good.buf, good.len);
    assert_int_equal(r.status, ELOG_OK);
    elog_end fin = elog_finish(&d);
    assert_int_equal(fin.kind, ELOG_END_CLEAN);
    assert_int_equal(fin.offset, end);
    assert_int_equal(fin.total_bytes, good.len);
    assert_int_equal(fin.events, 3);
    assert_int_equal(e.n_got, 5);

    /* 2. After finish, and in the middle of a record held in the carry buffer. */
    elog_decoder_reset(&d);
    expect_rewind(&e);
    r = elog_execute(&d, good.buf, e2 + 5);
    assert_int_equal(r.status, ELOG_OK);
    elog_decoder_reset(&d);
    assert_null(elog_get_header(&d));
    expect_rewind(&e);
    for (size_t i = 0; i < good.len; i += 3) {
        size_t n = good.len - i < 3 ? good.len - i : 3;
        r = elog_execute(&d, good.buf + i, n);
        assert_int_equal(r.status, ELOG_OK);
    }
    fin = elog_finish(&d);
    assert_int_equal(fin.kind, ELOG_END_CLEAN);
    assert_int_equal(fin.offset, end);
    assert_int_equal(fin.events, 3);
    assert_int_equal(e.n_got, 5);
    assert_int_equal(e.got[0].kind, EXP_HEADER);
    assert_int_equal(e.got[2].offset, e2);
    assert_int_equal(e.got[4].kind, EXP_DATA_END);
    assert_int_equal(e.got[4].offset, end);

    /* 3. Reset while paused forgets the pause. */
    elog_decoder_reset(&d);
    expect_clear(&e);
    expect_header(&e, std_n_types(), good.data_offset);
    expect_ret(&e, ELOG_CB_PAUSE);
    r = elog_execute(&d, good.buf, good.len);
    assert_int_equal(r.status, ELOG_PAUSED);
    elog_decoder_reset(&d);
    expect_clear(&e);
    expect_record_only(&e);
    r = elog_execute(&d, good.buf, good.len);
    assert_int_equal(r.status, ELOG_OK);
    assert_int_equal(e.n_got, 5);
    elog_decoder_free(&d);
    expect_free(&e);
    synth_free(&good);
}

/* ------------------------------------------------------------------------ */
/* How the stream ended                                                      */
/* ------------------------------------------------------------------------ */

static elog_end finish_after(const synth *s, size_t n, unsigned options, expect *rec)
{
    expect local;
    expect *e = rec ? rec : &local;
    if (!rec) {
        expect_init(&local, options, false);
        expect_record_only(&local);
    }
    elog_decoder d;
    elog_decoder_init(&d, &e->settings, e);
    elog_end ends[2];
    for (int k = 0; k < 2; k++) {
        /* Whole, then byte by byte: same result. */
        expect_rewind(e);
        if (k == 1)
            elog_decoder_reset(&d);
        if (k == 0) {
            elog_result r = elog_execute(&d, s->buf, n);
            assert_int_equal(r.status, ELOG_OK);
        } else {
            for (size_t i = 0; i < n; i++)
                assert_int_equal(elog_execute(&d, s->buf + i, 1).status, ELOG_OK);
        }
        ends[k] = elog_finish(&d);
    }
    assert_same_end(&ends[0], &ends[1]);
    elog_decoder_free(&d);
    if (!rec)
        expect_free(&local);
    assert_int_equal(ends[0].total_bytes, n);
    return ends[0];
}

static void test_end_clean_and_between(void **state)
{
    (void)state;
    size_t e1, e2, e3, end;
    synth s = three_events(&e1, &e2, &e3, &end);
    elog_end f = finish_after(&s, s.len, 0, NULL);
    assert_int_equal(f.kind, ELOG_END_CLEAN);
    assert_int_equal(f.status, ELOG_OK);
    assert_int_equal(f.offset, end);
    assert_int_equal(f.trailing_bytes, 0);
    assert_int_equal(f.events, 3);

    /* At each record boundary without the end marker. */
    size_t bounds[] = {s.data_offset, e2, e3, end};
    for (size_t i = 0; i < 4; i++) {
        f = finish_after(&s, bounds[i], 0, NULL);
        assert_int_equal(f.kind, ELOG_END_TRUNCATED_BETWEEN_EVENTS);
        assert_int_equal(f.status, ELOG_OK);
        assert_int_equal(f.offset, bounds[i]);
        assert_int_equal(f.events, i);
    }
    synth_free(&s);
}

static void test_end_in_event(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    size_t fx = ev_u32(&s, 0, 10, 1);               /* 14 bytes */
    size_t vr = ev_text(&s, 16, 20, "0123456789");  /* 22 bytes */
    size_t bm = synth_block_marker(&s, 30, 24, 40, 0); /* 24 bytes */
    synth_data_end(&s);

    for (size_t have = 1; have < 14; have++) {
        elog_end f = finish_after(&s, fx + have, 0, NULL);
        assert_int_equal(f.kind, ELOG_END_TRUNCATED_IN_EVENT);
        assert_int_equal(f.offset, fx);
        assert_int_equal(f.events, 0);
        if (have >= 2) {
            assert_true(f.id_known);
            assert_int_equal(f.event_id, 0);
            assert_int_equal(f.bytes_missing, 14 - have);
        } else {
            assert_false(f.id_known);
            assert_true(f.bytes_missing >= 1 && f.bytes_missing <= 14 - have);
        }
    }
    for (size_t have = 1; have < 22; have++) {
        elog_end f = finish_after(&s, vr + have, 0, NULL);
        assert_int_equal(f.kind, ELOG_END_TRUNCATED_IN_EVENT);
        assert_int_equal(f.offset, vr);
        assert_int_equal(f.events, 1);
        assert_int_equal(f.id_known, have >= 2);
        if (have >= 2)
            assert_int_equal(f.event_id, 16);
        if (have >= 12)
            assert_int_equal(f.bytes_missing, 22 - have);
        else if (have >= 2)
            /* The length is not known: a lower bound, at least the rest of it. */
            assert_true(f.bytes_missing >= 12 - have && f.bytes_missing <= 22 - have);
        else
            assert_true(f.bytes_missing >= 1 && f.bytes_missing <= 22 - have);
    }
    for (size_t have = 2; have < 24; have++) {
        elog_end f = finish_after(&s, bm + have, 0, NULL);
        assert_int_equal(f.kind, ELOG_END_TRUNCATED_IN_EVENT);
        assert_int_equal(f.offset, bm);
        assert_int_equal(f.event_id, 18);
        assert_int_equal(f.bytes_missing, 24 - have);
    }
    synth_free(&s);
}

static void test_end_in_header_and_empty(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_type(&s, 0, 4, "Create thread");
    synth_type(&s, 16, VAR, "Log message");
    synth_header_end(&s);
    synth_data_begin(&s);
    synth_data_end(&s);

    elog_end f = finish_after(&s, 0, 0, NULL);
    assert_int_equal(f.kind, ELOG_END_EMPTY);
    assert_int_equal(f.status, ELOG_OK);
    assert_int_equal(f.total_bytes, 0);
    assert_int_equal(f.events, 0);

    for (size_t n = 1; n < s.data_offset; n++) {
        expect e;
        expect_init(&e, 0, false); /* strict: no callback at all */
        f = finish_after(&s, n, 0, &e);
        expect_free(&e);
        if (f.kind != ELOG_END_TRUNCATED_IN_HEADER)
            fail_msg("cut at %zu: end kind %s", n, elog_end_kind_name(f.kind));
        assert_int_equal(f.status, ELOG_OK);
        assert_true(f.offset <= n);
        assert_true(f.bytes_missing >= 1 && f.bytes_missing <= s.data_offset - n);
    }
    /* Execute with zero bytes is still an empty stream. */
    elog_decoder d;
    elog_settings st;
    elog_settings_init(&st);
    elog_decoder_init(&d, &st, NULL);
    elog_result r = elog_execute(&d, s.buf, 0);
    assert_int_equal(r.status, ELOG_OK);
    assert_int_equal(r.read, 0);
    f = elog_finish(&d);
    assert_int_equal(f.kind, ELOG_END_EMPTY);
    elog_decoder_free(&d);
    synth_free(&s);
}

static void test_end_trailing_bytes(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    size_t e1 = ev_u32(&s, 0, 10, 1);
    size_t end = synth_data_end(&s);
    size_t a1 = ev_u32(&s, 1, 50, 7);
    size_t a2 = ev_text(&s, 16, 60, "after the end");

    /* Default: counted, not decoded. */
    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_event(&e, e1, 0, 10, NC);
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_int_equal(o.status, ELOG_OK);
    assert_int_equal(o.end.kind, ELOG_END_CLEAN);
    assert_int_equal(o.end.offset, end);
    assert_int_equal(o.end.trailing_bytes, s.len - end - 2);
    assert_int_equal(o.end.total_bytes, s.len);
    assert_int_equal(o.end.events, 1);
    expect_free(&e);

    /* Garbage after the end marker is no error either. */
    synth g;
    synth_init(&g);
    synth_raw(&g, s.buf, end + 2);
    synth_raw(&g, "\x12\x34garbage", 9);
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_event(&e, e1, 0, 10, NC);
    expect_data_end(&e, end);
    o = decode(&e, &g);
    assert_int_equal(o.status, ELOG_OK);
    assert_int_equal(o.end.kind, ELOG_END_CLEAN);
    assert_int_equal(o.end.trailing_bytes, 9);
    expect_free(&e);
    synth_free(&g);

    /* ELOG_OPT_CONTINUE_AFTER_END: decoded, as ghc-events does. */
    expect_init(&e, ELOG_OPT_CONTINUE_AFTER_END, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_event(&e, e1, 0, 10, NC);
    expect_data_end(&e, end);
    expect_event(&e, a1, 1, 50, NC);
    expect_u(&e, "thread", 7);
    expect_event(&e, a2, 16, 60, NC);
    expect_s(&e, "message", "after the end");
    o = decode(&e, &s);
    assert_int_equal(o.status, ELOG_OK);
    assert_int_equal(o.end.events, 3);
    assert_int_equal(o.end.total_bytes, s.len);
    expect_free(&e);
    synth_free(&s);
}


/* GHC >= 9 writes the end marker inside the global block and counts its two
 * bytes in the block size (ghc-9.2-events.eventlog): no error. An end marker
 * inside a block that still declares more bytes is a bad block. */
static void test_end_marker_inside_block(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    size_t m = synth_block_begin(&s, 1, 0xffff, 2);
    size_t a = ev_u32(&s, 0, 3, 1);
    size_t end = synth_data_end(&s);
    synth_block_end(&s); /* block_size = 24 + 14 + 2 */
    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 1, NC);
    expect_u(&e, "block_size", 40);
    expect_event(&e, a, 0, 3, NC);
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 2);
    expect_free(&e);

    /* The block declares 10 bytes more than it holds before the end marker. */
    synth_put_u32_at(&s, m + 10, 24 + 14 + 12);
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 1, NC);
    expect_event(&e, a, 0, 3, NC);
    o = decode(&e, &s);
    assert_error(&o, ELOG_E_BAD_BLOCK, end);
    expect_free(&e);
    expect_init(&e, ELOG_OPT_LENIENT_BLOCKS, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 1, NC);
    expect_event(&e, a, 0, 3, NC);
    expect_data_end(&e, end);
    o = decode(&e, &s);
    assert_clean(&o, end, s.len, 2);
    expect_free(&e);
    synth_free(&s);
}

/* Decodes buf[0, n) in one call with `options`: the status of that call,
 * and the error's offset and reason (when one). */
static elog_status decode_prefix(const uint8_t *buf, size_t n, unsigned options,
                                 uint64_t *err_offset, char *reason, size_t reason_len)
{
    elog_settings set;
    elog_settings_init(&set);
    set.options = options;
    elog_decoder d;
    elog_decoder_init(&d, &set, NULL);
    elog_result r = elog_execute(&d, buf, n);
    *err_offset = elog_get_error_offset(&d);
    snprintf(reason, reason_len, "%s", elog_get_error_reason(&d));
    elog_decoder_free(&d);
    return r.status;
}

/* An event whose size runs past the end of its block is ELOG_E_BAD_BLOCK at
 * the event, as soon as the size is known: with the bytes to its declared
 * end missing (they may never come), and whatever the chunking. Lenient
 * blocks accept it (then it is an ordinary event, or a truncated one). */
static void test_block_overrun_early(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    /* A block of 24 + 14 + 16 bytes: a 14-byte event, then a variable one
     * whose length says 200 with 16 bytes of block left, then the end. */
    size_t m = synth_block_marker(&s, 100, 24 + 14 + 16, 900, 2);
    size_t e1 = ev_u32(&s, 0, 101, 1);
    size_t bad = synth_event_var_len(&s, 19, 102, 200, "abcd", 4);
    synth_data_end(&s);

    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 100, 2);
    expect_event(&e, e1, 0, 101, 2);
    outcome o = decode(&e, &s);
    assert_error(&o, ELOG_E_BAD_BLOCK, bad);
    char want[64];
    snprintf(want, sizeof want, "block at offset %zu", m);
    if (!strstr(o.reason, want) || !strstr(o.reason, "212 bytes"))
        fail_msg("the reason should name the block and the size: \"%s\"", o.reason);
    expect_free(&e);

    /* Lenient: the record is taken as running on past the block; here the
     * input ends first. */
    expect_init(&e, ELOG_OPT_LENIENT_BLOCKS, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 100, 2);
    expect_event(&e, e1, 0, 101, 2);
    o = decode(&e, &s);
    assert_int_equal(o.status, ELOG_OK);
    assert_int_equal(o.end.kind, ELOG_END_TRUNCATED_IN_EVENT);
    assert_int_equal(o.end.offset, bad);
    expect_free(&e);

    /* A live stream: the error comes with the 12th byte of the record, the
     * one that completes its length; the 11th still waits. */
    uint64_t at;
    char reason[256];
    assert_int_equal(decode_prefix(s.buf, bad + 11, 0, &at, reason, sizeof reason), ELOG_OK);
    assert_int_equal(decode_prefix(s.buf, bad + 12, 0, &at, reason, sizeof reason),
                     ELOG_E_BAD_BLOCK);
    assert_int_equal(at, bad);
    assert_int_equal(decode_prefix(s.buf, bad + 12, ELOG_OPT_LENIENT_BLOCKS, &at, reason,
                                   sizeof reason), ELOG_OK);

    /* A fixed-size event: its size is known with its id. The block has 10
     * bytes left for a 14-byte record. */
    synth_clear(&s);
    synth_std_header(&s);
    m = synth_block_marker(&s, 100, 24 + 10, 900, 2);
    bad = ev_u32(&s, 0, 101, 1);
    synth_data_end(&s);
    assert_int_equal(decode_prefix(s.buf, bad + 1, 0, &at, reason, sizeof reason), ELOG_OK);
    assert_int_equal(decode_prefix(s.buf, bad + 2, 0, &at, reason, sizeof reason),
                     ELOG_E_BAD_BLOCK);
    assert_int_equal(at, bad);
    assert_non_null(strstr(reason, "14 bytes"));

    /* A variable event in a block with fewer than its 12 fixed bytes left:
     * an error with its id already. */
    synth_clear(&s);
    synth_std_header(&s);
    m = synth_block_marker(&s, 100, 24 + 14 + 8, 900, 2);
    e1 = ev_u32(&s, 0, 101, 1);
    bad = ev_text(&s, 19, 102, "hi");
    synth_data_end(&s);
    assert_int_equal(decode_prefix(s.buf, bad + 2, 0, &at, reason, sizeof reason),
                     ELOG_E_BAD_BLOCK);
    assert_int_equal(at, bad);
    assert_non_null(strstr(reason, "at least 12 bytes"));
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 100, 2);
    expect_event(&e, e1, 0, 101, 2);
    o = decode(&e, &s);
    assert_error(&o, ELOG_E_BAD_BLOCK, bad);
    expect_free(&e);

    /* An event that ends exactly at its block's end is fine. */
    synth_clear(&s);
    synth_std_header(&s);
    m = synth_block_marker(&s, 100, 24 + 14 + 14, 900, 2);
    e1 = ev_u32(&s, 0, 101, 1);
    size_t e2 = ev_text(&s, 19, 102, "hi");
    size_t end = synth_data_end(&s);
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 100, 2);
    expect_event(&e, e1, 0, 101, 2);
    expect_event(&e, e2, 19, 102, 2);
    expect_data_end(&e, end);
    o = decode(&e, &s);
    assert_clean(&o, end, s.len, 3);
    expect_free(&e);
    synth_free(&s);
}

/* Offsets of the last event of `id` and of the block marker before it. */
typedef struct find_last {
    uint16_t id;
    uint64_t offset, block, block_now;
} find_last;

static int on_find_last(elog_decoder *d, const elog_event *ev)
{
    find_last *f = d->data;
    if (ev->id == ELOG_EV_BLOCK_MARKER)
        f->block_now = ev->offset;
    if (ev->id == f->id) {
        f->offset = ev->offset;
        f->block = f->block_now;
    }
    return ELOG_CB_CONTINUE;
}

/* The case seen in the field: a complete GHC 9.0.2 heap-profile log (end
 * marker present) whose last heap-profile sample string has a garbage length
 * of 42,752 bytes running past its block and the file. Strict: an error at
 * the event naming its block (it used to be "truncated inside an event");
 * lenient: the old reading, truncated inside the event. */
static void test_block_overrun_heap_log(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/../ghc-9.0.2/heap-hT.eventlog", corpus_dir());
    uint8_t *buf;
    size_t len;
    if (!read_file(path, &buf, &len))
        fail_msg("cannot read %s", path);
    find_last f = {ELOG_EV_HEAP_PROF_SAMPLE_STRING, 0, 0, 0};
    elog_settings set;
    elog_settings_init(&set);
    set.on_event = on_find_last;
    elog_decoder d;
    elog_decoder_init(&d, &set, &f);
    assert_int_equal(elog_execute(&d, buf, len).status, ELOG_OK);
    assert_int_equal(elog_finish(&d).kind, ELOG_END_CLEAN);
    elog_decoder_free(&d);
    assert_true(f.offset > f.block && f.block > 0);
    assert_true(f.offset + 12 + 42752 > len); /* past the file too */

    buf[f.offset + 10] = 42752 >> 8;
    buf[f.offset + 11] = 42752 & 0xff;
    for (int lenient = 0; lenient < 2; lenient++) {
        set.options = lenient ? ELOG_OPT_LENIENT_BLOCKS : 0;
        set.on_event = NULL;
        for (size_t chunk = 0; chunk <= 4096; chunk += 4096) {
            elog_decoder_init(&d, &set, NULL);
            elog_status st = ELOG_OK;
            for (size_t pos = 0; pos < len && st == ELOG_OK;) {
                size_t n = chunk && chunk < len - pos ? chunk : len - pos;
                st = elog_execute(&d, buf + pos, n).status;
                pos += n;
            }
            elog_end end = elog_finish(&d);
            if (!lenient) {
                assert_int_equal(st, ELOG_E_BAD_BLOCK);
                assert_int_equal(end.kind, ELOG_END_ERROR);
                assert_int_equal(end.offset, f.offset);
                char want[64];
                snprintf(want, sizeof want, "block at offset %" PRIu64, f.block);
                if (!strstr(elog_get_error_reason(&d), want))
                    fail_msg("reason \"%s\" lacks \"%s\"", elog_get_error_reason(&d), want);
            } else {
                assert_int_equal(st, ELOG_OK);
                assert_int_equal(end.kind, ELOG_END_TRUNCATED_IN_EVENT);
                assert_int_equal(end.offset, f.offset);
                assert_int_equal(end.bytes_missing, f.offset + 12 + 42752 - len);
            }
            elog_decoder_free(&d);
        }
    }
    free(buf);
}

/* docs/FORMAT.md §5.3 rule 3: the end marker does not change the attribution
 * state. With lenient blocks (ghc-events' attribution) and decoding after
 * the end, an event after the marker still inside a capability block's byte
 * count keeps that capability, as `ghc-events show` prints it. */
static void test_cap_after_end_marker_lenient(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    size_t m = synth_block_marker(&s, 1, 24 + 14 + 2, 2, 3);
    size_t a = ev_u32(&s, 0, 3, 1);
    size_t end = synth_data_end(&s);
    size_t b = ev_u32(&s, 0, 4, 2);
    size_t c = ev_u32(&s, 0, 5, 3);
    expect e;
    expect_init(&e, ELOG_OPT_LENIENT_BLOCKS | ELOG_OPT_CONTINUE_AFTER_END, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 1, 3);
    expect_event(&e, a, 0, 3, 3);
    expect_data_end(&e, end);
    expect_event(&e, b, 0, 4, 3); /* 2 bytes of the block remained */
    expect_event(&e, c, 0, 5, NC);
    outcome o = decode(&e, &s);
    assert_int_equal(o.status, ELOG_OK);
    assert_int_equal(o.end.events, 4);
    expect_free(&e);
    synth_free(&s);
}

static void test_header_limits(void **state)
{
    (void)state;
    /* A 4 GiB description is refused before anything is allocated for it. */
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_type(&s, 0, 4, "Create thread");
    size_t at = synth_len(&s);
    synth_u32(&s, 0x65746200u);
    synth_u16(&s, 1);
    synth_u16(&s, 4);
    synth_u32(&s, 0xffffffffu);
    synth_raw(&s, "Run thread", 10);
    expect e;
    expect_init(&e, 0, false);
    outcome o = decode(&e, &s);
    assert_int_equal(o.status, ELOG_E_LIMIT);
    assert_true(o.error_offset >= at && o.error_offset <= at + 8);
    assert_true(strlen(o.reason) > 0);
    assert_int_equal(o.end.kind, ELOG_END_ERROR);
    assert_int_equal(o.end.status, ELOG_E_LIMIT);
    expect_free(&e);

    /* Extra data is skipped, not stored; but 2 GiB of it cannot fit in the
     * header limit: refused where its length is, not after reading it. */
    synth_clear(&s);
    synth_header_begin(&s);
    synth_u32(&s, 0x65746200u);
    synth_u16(&s, 1);
    synth_u16(&s, 4);
    synth_u32(&s, 3);
    synth_raw(&s, "Run", 3);
    size_t xlen_at = synth_len(&s);
    synth_u32(&s, 0x7fffffffu);
    for (int i = 0; i < 1000; i++)
        synth_u8(&s, (uint8_t)i);
    expect_init(&e, 0, false);
    o = decode(&e, &s);
    assert_int_equal(o.status, ELOG_E_LIMIT);
    assert_int_equal(o.error_offset, xlen_at);
    assert_non_null(strstr(o.reason, "max_header_bytes"));
    expect_free(&e);

    /* Within the limit, extra data is skipped: the stream simply waits. */
    synth_clear(&s);
    synth_header_begin(&s);
    synth_u32(&s, 0x65746200u);
    synth_u16(&s, 1);
    synth_u16(&s, 4);
    synth_u32(&s, 3);
    synth_raw(&s, "Run", 3);
    synth_u32(&s, 1000000u);
    size_t extra_at = synth_len(&s);
    for (int i = 0; i < 1000; i++)
        synth_u8(&s, (uint8_t)i);
    expect_init(&e, 0, false);
    o = decode(&e, &s);
    assert_int_equal(o.status, ELOG_OK);
    assert_int_equal(o.end.kind, ELOG_END_TRUNCATED_IN_HEADER);
    assert_true(o.end.offset <= s.len);
    assert_true(o.end.bytes_missing >= 1000000u - (s.len - extra_at));
    expect_free(&e);
    synth_free(&s);
}

/* Issue 14 item 4: the whole header is bounded (16 MiB by default, settable),
 * however it is made up: 300 types of 64 KiB descriptions (19.7 MB, each
 * description within its own limit) are refused at the type that crosses
 * the limit, and the descriptions' buffer never grows past it. */
static void test_header_total_limit(void **state)
{
    (void)state;
    static char desc[65536];
    memset(desc, 'D', sizeof desc);
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    size_t crossing = 0;
    for (unsigned i = 0; i < 300; i++) {
        size_t at = synth_len(&s);
        synth_type_ex(&s, (uint16_t)(100 + i), 4, desc, sizeof desc, NULL, 0);
        if (crossing == 0 && synth_len(&s) > ELOG_DEFAULT_MAX_HEADER)
            crossing = at + 4; /* the fixed part after the "etb\0" tag */
    }
    synth_header_end(&s);
    synth_data_begin(&s);
    assert_true(crossing > 0);

    elog_settings st;
    elog_settings_init(&st);
    elog_decoder d;
    elog_decoder_init(&d, &st, NULL);
    elog_result r = elog_execute(&d, s.buf, s.len);
    assert_int_equal(r.status, ELOG_E_LIMIT);
    assert_int_equal(elog_get_error_offset(&d), crossing);
    assert_non_null(strstr(elog_get_error_reason(&d), "16777216"));
    assert_true(d.priv_.descs_cap <= ELOG_DEFAULT_MAX_HEADER);
    elog_decoder_free(&d);

    /* Raised, the same header is fine. */
    st.max_header_bytes = 32u << 20;
    elog_decoder_init(&d, &st, NULL);
    r = elog_execute(&d, s.buf, s.len);
    assert_int_equal(r.status, ELOG_OK);
    assert_non_null(elog_get_header(&d));
    assert_int_equal(elog_get_header(&d)->n_types, 300);
    elog_decoder_free(&d);

    /* Lowered below a small real header: refused at the item that crosses. */
    synth_clear(&s);
    synth_std_header(&s);
    st.max_header_bytes = 200;
    elog_decoder_init(&d, &st, NULL);
    r = elog_execute(&d, s.buf, s.len);
    assert_int_equal(r.status, ELOG_E_LIMIT);
    assert_true(elog_get_error_offset(&d) <= 200);
    assert_null(elog_get_header(&d));
    elog_decoder_free(&d);
    synth_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Capabilities and routing                                                  */
/* ------------------------------------------------------------------------ */

static void test_cap_attribution(void **state)
{
    (void)state;
    for (int use_on_block = 0; use_on_block < 2; use_on_block++) {
        synth s;
        synth_init(&s);
        synth_std_header(&s);
        size_t pre = ev_u32(&s, 0, 1, 1); /* before any block */
        size_t b0 = synth_block_begin(&s, 2, 0, 99);
        size_t a = ev_u32(&s, 0, 3, 11);
        size_t b = ev_text(&s, 16, 4, "in cap 0");
        synth_block_end(&s);
        size_t g = synth_block_begin(&s, 5, 0xffff, 98);
        size_t c = ev_u32(&s, 0, 6, 12);
        synth_block_end(&s);
        size_t b3 = synth_block_begin(&s, 7, 3, 97);
        size_t dd = ev_u32(&s, 1, 8, 13);
        synth_block_end(&s);
        size_t out = ev_u32(&s, 1, 9, 14); /* after the block is exhausted */
        size_t out2 = ev_u32(&s, 1, 11, 15);
        size_t empty = synth_block_begin(&s, 10, 5, 96);
        synth_block_end(&s); /* 24: an empty block at the end, as in GHC 6.12 logs */
        size_t end = synth_data_end(&s);

        expect e;
        expect_init(&e, 0, use_on_block);
        expect_header(&e, std_n_types(), s.data_offset);
        expect_event(&e, pre, 0, 1, NC);
        expect_block(&e, b0, 2, 0);
        expect_u(&e, "block_size", 24 + 14 + 20);
        expect_u(&e, "end_time", 99);
        expect_u(&e, "cap", 0);
        expect_event(&e, a, 0, 3, 0);
        expect_event(&e, b, 16, 4, 0);
        expect_block(&e, g, 5, NC);
        expect_u(&e, "cap", 0xffff);
        expect_u(&e, "block_size", 38);
        expect_event(&e, c, 0, 6, NC);
        expect_block(&e, b3, 7, 3);
        expect_u(&e, "cap", 3);
        expect_event(&e, dd, 1, 8, 3);
        expect_event(&e, out, 1, 9, NC);
        expect_event(&e, out2, 1, 11, NC);
        expect_block(&e, empty, 10, 5);
        expect_u(&e, "block_size", 24);
        expect_data_end(&e, end);
        outcome o = decode(&e, &s);
        assert_clean(&o, end, s.len, 11);
        /* Routing: markers reached on_block iff it was set. */
        size_t blocks = 0;
        for (size_t i = 0; i < e.n_got; i++)
            if (e.got[i].kind == EXP_BLOCK) {
                blocks++;
                assert_int_equal(e.got[i].via_on_block, use_on_block);
            } else {
                assert_false(e.got[i].via_on_block);
            }
        assert_int_equal(blocks, 4);
        expect_free(&e);
        synth_free(&s);
    }
}

static void test_cap_zero_sized_block_lenient(void **state)
{
    (void)state;
    /* block_size 0 (an unpatched marker): (0 - 24) mod 2^32 bytes remain, so
     * every following event belongs to cap 4 until the next marker. */
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    size_t m = synth_block_marker(&s, 1, 0, 2, 4);
    size_t evs[50];
    for (int i = 0; i < 50; i++)
        evs[i] = ev_u32(&s, 0, 10 + (uint64_t)i, (uint32_t)i);
    size_t m2 = synth_block_begin(&s, 100, 1, 101);
    size_t last = ev_u32(&s, 1, 102, 1);
    synth_block_end(&s);
    size_t end = synth_data_end(&s);

    expect e;
    expect_init(&e, ELOG_OPT_LENIENT_BLOCKS, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_block(&e, m, 1, 4);
    expect_u(&e, "block_size", 0);
    for (int i = 0; i < 50; i++)
        expect_event(&e, evs[i], 0, 10 + (uint64_t)i, 4);
    expect_block(&e, m2, 100, 1);
    expect_event(&e, last, 1, 102, 1);
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 53);
    expect_free(&e);

    /* Strict: an error, either at the marker smaller than itself or at the
     * second marker, which arrives inside the first block. */
    expect_init(&e, 0, false);
    expect_record_only(&e);
    o = decode(&e, &s);
    assert_int_equal(o.error, ELOG_E_BAD_BLOCK);
    if (o.error_offset == m2)
        assert_int_equal(e.n_got, 1 + 51);
    else
        assert_int_equal(o.error_offset, m);
    assert_error(&o, ELOG_E_BAD_BLOCK, o.error_offset);
    expect_free(&e);
    synth_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Forward compatibility and layout variants                                 */
/* ------------------------------------------------------------------------ */

static void test_unknown_ids_raw(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_type(&s, 0, 4, "Create thread");
    synth_type(&s, 5, 4, "Run spark");
    synth_type(&s, 7, 0, "Shutdown");
    synth_type(&s, 59, 0, "Empty event for bug #9003");
    synth_type(&s, 300, 9, "Future fixed");
    synth_type(&s, 301, VAR, "Future variable");
    synth_header_end(&s);
    synth_data_begin(&s);
    static const uint8_t p5[4] = {1, 2, 3, 4};
    static const uint8_t p300[9] = {0xff, 0xff, 0, 0x12, 0, 0, 0, 0, 9};
    static const uint8_t p301[6] = {0xff, 0xff, 'e', 't', 'b', 0};
    size_t a = synth_event(&s, 5, 1, p5, 4);
    size_t b = synth_event(&s, 7, 2, NULL, 0);
    size_t c = synth_event(&s, 59, 3, NULL, 0);
    size_t d = synth_event(&s, 300, 4, p300, 9);
    size_t e5 = synth_event_var(&s, 301, 5, p301, 6);
    size_t f = ev_u32(&s, 0, 6, 77);
    size_t end = synth_data_end(&s);

    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, 6, s.data_offset);
    expect_raw_event(&e, a, 5, 1, NC, 14, p5, 4);
    expect_raw_event(&e, b, 7, 2, NC, 10, NULL, 0);
    expect_event(&e, c, 59, 3, NC);
    expect_raw(&e);
    expect_raw_event(&e, d, 300, 4, NC, 19, p300, 9);
    expect_raw_event(&e, e5, 301, 5, NC, 18, p301, 6);
    expect_event(&e, f, 0, 6, NC);
    expect_u(&e, "thread", 77);
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 6);
    expect_free(&e);
    synth_free(&s);
}

static void test_fixed_size_mismatch(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_type(&s, 0, 6, "Create thread, longer");   /* known fields + 2 extra bytes */
    synth_type(&s, 1, 2, "Run thread, shorter");     /* shorter than every layout: raw */
    synth_type(&s, 2, 6, "Stop thread");             /* GHC 6.12: raw */
    synth_type(&s, 3, VAR, "Thread runnable, var");  /* variable, only fixed layouts: raw */
    synth_type(&s, 16, 5, "Log message, fixed");     /* fixed, only a variable layout: raw */
    synth_type(&s, 8, 100, "Wakeup, much longer");
    synth_header_end(&s);
    synth_data_begin(&s);
    static const uint8_t p0[6] = {0, 0, 1, 2, 0xaa, 0xbb};
    static const uint8_t p1[2] = {0, 9};
    static const uint8_t p2[6] = {0, 0, 0, 5, 0, 1};
    static const uint8_t p3[4] = {0, 0, 0, 3};
    static const uint8_t p16[5] = {'h', 'e', 'l', 'l', 'o'};
    uint8_t p8[100];
    for (int i = 0; i < 100; i++)
        p8[i] = (uint8_t)(i + 1);
    size_t a = synth_event(&s, 0, 1, p0, 6);
    size_t b = synth_event(&s, 1, 2, p1, 2);
    size_t c = synth_event(&s, 2, 3, p2, 6);
    size_t d = synth_event_var(&s, 3, 4, p3, 4);
    size_t f = synth_event(&s, 16, 5, p16, 5);
    size_t g = synth_event(&s, 8, 6, p8, 100);
    size_t end = synth_data_end(&s);

    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, 6, s.data_offset);
    expect_event(&e, a, 0, 1, NC);
    expect_layout(&e, 4);
    expect_size(&e, 16);
    expect_u(&e, "thread", 0x102);
    expect_payload(&e, p0, 6);
    expect_raw_event(&e, b, 1, 2, NC, 12, p1, 2);
    expect_event(&e, c, 2, 3, NC);
    expect_raw(&e);
    expect_payload(&e, p2, 6);
    expect_raw_event(&e, d, 3, 4, NC, 16, p3, 4);
    expect_raw_event(&e, f, 16, 5, NC, 15, p16, 5);
    expect_event(&e, g, 8, 6, NC);
    expect_layout(&e, 6);
    expect_size(&e, 110);
    expect_u(&e, "thread", 0x01020304);
    expect_u(&e, "other_cap", 0x0506);
    expect_payload(&e, p8, 100);
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 6);
    expect_free(&e);
    synth_free(&s);
}

static void test_variable_extra_trailing_bytes(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    /* HEAP_PROF_SAMPLE_STRING with 5 bytes after the label's NUL. */
    pl_reset();
    synth_u8(&pl, 2);
    synth_u64(&pl, 4096);
    synth_cstr(&pl, "THUNK");
    synth_raw(&pl, "\x00\x45\x58\x00\x01", 5);
    size_t a = synth_event_var(&s, 164, 1, pl.buf, pl.len);
    synth p1;
    synth_init(&p1);
    synth_raw(&p1, pl.buf, pl.len);
    /* HEAP_PROF_COST_CENTRE with 3 bytes after flags. */
    pl_reset();
    synth_u32(&pl, 9);
    synth_cstr(&pl, "main");
    synth_cstr(&pl, "Main");
    synth_cstr(&pl, "Main.hs:3:1-20");
    synth_u8(&pl, 1);
    synth_raw(&pl, "xyz", 3);
    size_t b = synth_event_var(&s, 161, 2, pl.buf, pl.len);
    /* PROF_SAMPLE_COST_CENTRE with 4 bytes after its stack. */
    pl_reset();
    synth_u32(&pl, 0x10002);
    synth_u64(&pl, 3);
    synth_u8(&pl, 2);
    synth_u32(&pl, 11);
    synth_u32(&pl, 12);
    synth_u32(&pl, 0xdeadbeef);
    size_t c = synth_event_var(&s, 167, 3, pl.buf, pl.len);
    /* HEAP_PROF_BEGIN with its 7 filters and one extra byte. */
    pl_reset();
    synth_u8(&pl, 1);
    synth_u64(&pl, 100000);
    synth_u32(&pl, 7);
    synth_cstr(&pl, "");
    synth_cstr(&pl, "descr");
    synth_cstr(&pl, "");
    synth_cstr(&pl, "cc");
    synth_cstr(&pl, "");
    synth_cstr(&pl, "");
    synth_cstr(&pl, "bio");
    synth_u8(&pl, 0xee);
    size_t d = synth_event_var(&s, 160, 4, pl.buf, pl.len);
    size_t f = ev_u32(&s, 0, 5, 1);
    size_t end = synth_data_end(&s);

    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_event(&e, a, 164, 1, NC);
    expect_size(&e, (uint32_t)(12 + p1.len));
    expect_payload(&e, p1.buf, p1.len);
    expect_u(&e, "profile_id", 2);
    expect_u(&e, "residency", 4096);
    expect_s(&e, "label", "THUNK");
    expect_event(&e, b, 161, 2, NC);
    expect_u(&e, "cc_id", 9);
    expect_s(&e, "label", "main");
    expect_s(&e, "module", "Main");
    expect_s(&e, "srcloc", "Main.hs:3:1-20");
    expect_u(&e, "flags", 1);
    expect_event(&e, c, 167, 3, NC);
    expect_u(&e, "cap", 0x10002);
    expect_u(&e, "ticks", 3);
    static const uint32_t stack[] = {11, 12};
    expect_stack(&e, "stack", stack, 2);
    expect_event(&e, d, 160, 4, NC);
    expect_u(&e, "profile_id", 1);
    expect_u(&e, "sampling_period", 100000);
    expect_u(&e, "breakdown", 7);
    expect_s(&e, "module", "");
    expect_s(&e, "closure_descr", "descr");
    expect_s(&e, "cost_centre", "cc");
    expect_s(&e, "biography", "bio");
    expect_event(&e, f, 0, 5, NC);
    expect_u(&e, "thread", 1);
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 5);
    expect_free(&e);
    synth_free(&p1);
    synth_free(&s);
}

static void gc_stats_payload(synth *p, bool balanced, size_t extra)
{
    synth_clear(p);
    synth_u32(p, 0);
    synth_u16(p, 1);
    synth_u64(p, 1000);
    synth_u64(p, 2000);
    synth_u64(p, 3000);
    synth_u32(p, 4);
    synth_u64(p, 5000);
    synth_u64(p, 6000);
    if (balanced)
        synth_u64(p, 7000);
    for (size_t i = 0; i < extra; i++)
        synth_u8(p, 0x5a);
}

static void test_gc_stats_variants(void **state)
{
    (void)state;
    static const struct {
        uint16_t declared;
        uint16_t layout;
    } cases[] = {{50, 50}, {54, 50}, {57, 50}, {58, 58}, {66, 58}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint16_t decl = cases[i].declared;
        bool bal = cases[i].layout == 58;
        synth s;
        synth_init(&s);
        synth_header_begin(&s);
        synth_type(&s, 53, decl, "GC statistics");
        synth_header_end(&s);
        synth_data_begin(&s);
        gc_stats_payload(&pl, bal, decl - cases[i].layout);
        size_t a = synth_event(&s, 53, 1, pl.buf, pl.len);
        size_t end = synth_data_end(&s);

        expect e;
        expect_init(&e, 0, false);
        expect_header(&e, 1, s.data_offset);
        expect_event(&e, a, 53, 1, NC);
        expect_layout(&e, cases[i].layout);
        expect_size(&e, 10u + decl);
        expect_u(&e, "heap_capset", 0);
        expect_u(&e, "gen", 1);
        expect_u(&e, "copied", 1000);
        expect_u(&e, "slop", 2000);
        expect_u(&e, "frag", 3000);
        expect_u(&e, "par_n_threads", 4);
        expect_u(&e, "par_max_copied", 5000);
        expect_u(&e, "par_tot_copied", 6000);
        if (bal)
            expect_u(&e, "par_balanced_copied", 7000);
        expect_data_end(&e, end);
        outcome o = decode(&e, &s);
        assert_clean(&o, end, s.len, 1);
        /* The 50-byte layout has no par_balanced_copied field at all. */
        assert_int_equal(e.got[1].layout->n_fields, bal ? 9 : 8);
        assert_int_equal(e.got[1].layout->variant, bal ? 1 : 0);
        expect_free(&e);
        synth_free(&s);
    }
    /* Declared 49: shorter than both layouts, raw. */
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_type(&s, 53, 49, "GC statistics");
    synth_header_end(&s);
    synth_data_begin(&s);
    gc_stats_payload(&pl, false, 0);
    size_t a = synth_event(&s, 53, 1, pl.buf, 49);
    synth_data_end(&s);
    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, 1, s.data_offset);
    expect_event(&e, a, 53, 1, NC);
    expect_raw(&e);
    expect_payload(&e, pl.buf, 49);
    expect_data_end(&e, a + 59);
    outcome o = decode(&e, &s);
    assert_clean(&o, a + 59, s.len, 1);
    expect_free(&e);
    synth_free(&s);
}

static void test_nonmoving_census_variants(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_type(&s, 207, 13, "Nonmoving heap census");
    synth_header_end(&s);
    synth_data_begin(&s);
    static const uint8_t log2s[] = {3, 15, 16, 40};
    static const uint16_t blk[] = {8, 32768, 0, 0};
    size_t at[4];
    for (int i = 0; i < 4; i++) {
        pl_reset();
        synth_u8(&pl, log2s[i]);
        synth_u32(&pl, 10 + (uint32_t)i);
        synth_u32(&pl, 20);
        synth_u32(&pl, 30);
        at[i] = synth_event(&s, 207, (uint64_t)i, pl.buf, pl.len);
    }
    size_t end = synth_data_end(&s);
    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, 1, s.data_offset);
    for (int i = 0; i < 4; i++) {
        expect_event(&e, at[i], 207, (uint64_t)i, NC);
        expect_layout(&e, 13);
        expect_u(&e, "log2_blk_size", log2s[i]);
        expect_u(&e, "blk_size", blk[i]);
        expect_u(&e, "active_segs", 10 + (uint64_t)i);
        expect_u(&e, "filled_segs", 20);
        expect_u(&e, "live_blocks", 30);
    }
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 4);
    expect_free(&e);

    /* 14 bytes: blk_size is a u16, not a power of two. */
    synth_clear(&s);
    synth_header_begin(&s);
    synth_type(&s, 207, 14, "Nonmoving heap census");
    synth_header_end(&s);
    synth_data_begin(&s);
    pl_reset();
    synth_u16(&pl, 0x1234);
    synth_u32(&pl, 1);
    synth_u32(&pl, 2);
    synth_u32(&pl, 3);
    size_t a = synth_event(&s, 207, 9, pl.buf, pl.len);
    end = synth_data_end(&s);
    expect_init(&e, 0, false);
    expect_header(&e, 1, s.data_offset);
    expect_event(&e, a, 207, 9, NC);
    expect_layout(&e, 14);
    expect_u(&e, "blk_size", 0x1234);
    expect_u(&e, "active_segs", 1);
    expect_u(&e, "filled_segs", 2);
    expect_u(&e, "live_blocks", 3);
    expect_data_end(&e, end);
    o = decode(&e, &s);
    assert_clean(&o, end, s.len, 1);
    /* The 14-byte layout has no log2 field. */
    assert_ptr_equal(elog_catalogue_find(207, 14), e.got[1].layout);
    const elog_layout_info *l14 = e.got[1].layout;
    for (unsigned i = 0; i < l14->n_fields; i++)
        assert_string_not_equal(l14->fields[i].name, "log2_blk_size");
    expect_free(&e);
    synth_free(&s);
}

static void test_ticky_counter_def_optional(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    size_t at[4];
    synth p[4];
    for (int i = 0; i < 4; i++) {
        synth_init(&p[i]);
        synth_u64(&p[i], 100 + (uint64_t)i);
        synth_u16(&p[i], 2);
        synth_cstr(&p[i], "PL");
        synth_cstr(&p[i], "f_info");
        if (i >= 1)
            synth_u64(&p[i], 0x4001a0);
        if (i >= 2)
            synth_cstr(&p[i], "{\"type\":\"entCounter\"}");
        if (i >= 3)
            synth_raw(&p[i], "future", 6);
        at[i] = synth_event_var(&s, 210, (uint64_t)i, p[i].buf, p[i].len);
    }
    size_t end = synth_data_end(&s);
    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    for (int i = 0; i < 4; i++) {
        expect_event(&e, at[i], 210, (uint64_t)i, NC);
        expect_payload(&e, p[i].buf, p[i].len);
        expect_u(&e, "ctr_id", 100 + (uint64_t)i);
        expect_u(&e, "arity", 2);
        expect_s(&e, "arg_kinds", "PL");
        expect_s(&e, "name", "f_info");
        if (i >= 1)
            expect_u(&e, "info_tbl", 0x4001a0);
        else
            expect_absent(&e, "info_tbl");
        if (i >= 2)
            expect_s(&e, "json_desc", "{\"type\":\"entCounter\"}");
        else
            expect_absent(&e, "json_desc");
    }
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 4);
    expect_free(&e);
    for (int i = 0; i < 4; i++)
        synth_free(&p[i]);
    synth_free(&s);
}

/* The largest possible record (65535-byte payload) and the smallest. */
static void test_large_variable_event(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    uint8_t *big = malloc(65535);
    assert_non_null(big);
    for (size_t i = 0; i < 65535; i++)
        big[i] = (uint8_t)(i * 7 + 3);
    size_t a = synth_event_var(&s, 181, 1, big, 65535);
    size_t b = synth_event_var(&s, 181, 2, big, 0);
    size_t end = synth_data_end(&s);
    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, std_n_types(), s.data_offset);
    expect_event(&e, a, 181, 1, NC);
    expect_size(&e, ELOG_MAX_RECORD_SIZE);
    expect_b(&e, "message", big, 65535);
    expect_event(&e, b, 181, 2, NC);
    expect_size(&e, 12);
    expect_b(&e, "message", NULL, 0);
    expect_data_end(&e, end);
    outcome o = decode(&e, &s);
    assert_clean(&o, end, s.len, 2);
    /* And in 4000-byte chunks (the record straddles 17 of them). */
    o = decode_with(&e, s.buf, s.len, 4000);
    assert_clean(&o, end, s.len, 2);
    expect_free(&e);
    free(big);
    synth_free(&s);
}


/* The largest fixed record (declared 65534 bytes), zero-length calls, and
 * finishing while paused. */
static void test_odd_feeding(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_header_begin(&s);
    synth_type(&s, 300, 0xfffe, "Huge fixed");
    synth_type(&s, 0, 4, "Create thread");
    synth_header_end(&s);
    synth_data_begin(&s);
    uint8_t *big = calloc(1, 0xfffe);
    assert_non_null(big);
    big[0] = 0xff;
    big[0xfffd] = 0xee;
    size_t a = synth_event(&s, 300, 1, big, 0xfffe);
    size_t b = ev_u32(&s, 0, 2, 9);
    size_t end = synth_data_end(&s);
    expect e;
    expect_init(&e, 0, false);
    expect_header(&e, 2, s.data_offset);
    expect_raw_event(&e, a, 300, 1, NC, 10 + 0xfffe, big, 0xfffe);
    expect_event(&e, b, 0, 2, NC);
    expect_ret(&e, ELOG_CB_PAUSE);
    expect_data_end(&e, end);
    /* Zero-length calls everywhere, including mid-record and a NULL buffer. */
    elog_decoder d;
    elog_decoder_init(&d, &e.settings, &e);
    elog_result r = elog_execute(&d, NULL, 0);
    assert_int_equal(r.status, ELOG_OK);
    assert_int_equal(r.read, 0);
    size_t pos = 0;
    for (size_t step = 0; pos < b; step++) {
        size_t n = 1 + (step * 7919) % 5000;
        if (n > b - pos)
            n = b - pos;
        r = elog_execute(&d, s.buf + pos, 0);
        assert_int_equal(r.status, ELOG_OK);
        assert_int_equal(r.read, 0);
        r = elog_execute(&d, s.buf + pos, n);
        assert_int_equal(r.status, ELOG_OK);
        assert_int_equal(r.read, n);
        pos += n;
    }
    assert_int_equal(e.next, 2);
    /* The next event pauses; finishing now ends between events, at it. */
    r = elog_execute(&d, s.buf + pos, s.len - pos);
    assert_int_equal(r.status, ELOG_PAUSED);
    assert_int_equal(pos + r.read, end);
    elog_end f = elog_finish(&d);
    assert_int_equal(f.kind, ELOG_END_TRUNCATED_BETWEEN_EVENTS);
    assert_int_equal(f.offset, end);
    assert_int_equal(f.total_bytes, end);
    assert_int_equal(f.events, 2);
    elog_decoder_free(&d);
    expect_free(&e);
    free(big);
    synth_free(&s);
}

static void test_required_hint(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    size_t a = ev_u32(&s, 0, 1, 1);
    size_t b = ev_text(&s, 16, 2, "abcdef");
    synth_data_end(&s);
    elog_settings st;
    elog_settings_init(&st);
    elog_decoder d;
    elog_decoder_init(&d, &st, NULL);
    /* Inside the header: something is still needed. */
    elog_result r = elog_execute(&d, s.buf, 10);
    assert_int_equal(r.status, ELOG_OK);
    assert_true(r.required >= 1 && r.required <= s.data_offset - 10);
    /* Header complete, at a record boundary. */
    r = elog_execute(&d, s.buf + 10, s.data_offset - 10);
    assert_int_equal(r.status, ELOG_OK);
    assert_int_equal(r.required, 0);
    /* 5 bytes into a 14-byte fixed record. */
    r = elog_execute(&d, s.buf + a, 5);
    assert_int_equal(r.required, 9);
    r = elog_execute(&d, s.buf + a + 5, 9);
    assert_int_equal(r.required, 0);
    /* 4 bytes into a variable record: at least the rest of its 12-byte head. */
    r = elog_execute(&d, s.buf + b, 4);
    assert_true(r.required >= 8 && r.required <= 14);
    r = elog_execute(&d, s.buf + b + 4, 9);
    assert_int_equal(r.required, 5);
    elog_decoder_free(&d);
    synth_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Pure functions                                                            */
/* ------------------------------------------------------------------------ */

static void test_decode_record(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    size_t hdr_len = s.len;
    expect e;
    expect_init(&e, 0, false);
    expect_record_only(&e);
    elog_decoder d;
    elog_decoder_init(&d, &e.settings, &e);
    assert_int_equal(elog_execute(&d, s.buf, hdr_len).status, ELOG_OK);
    const elog_header *h = elog_get_header(&d);
    assert_non_null(h);

    synth r;
    synth_init(&r);
    pl_reset();
    synth_u32(&pl, 5);
    synth_u16(&pl, 8);
    synth_u32(&pl, 77);
    synth_event(&r, 2, 123456, pl.buf, pl.len); /* STOP_THREAD, 20 bytes */
    elog_event ev;
    size_t rs = 0;
    assert_int_equal(elog_decode_record(h, r.buf, r.len, 4242, &ev, &rs), ELOG_OK);
    assert_int_equal(rs, 20);
    assert_int_equal(ev.id, 2);
    assert_int_equal(ev.time, 123456);
    assert_int_equal(ev.offset, 4242);
    assert_int_equal(ev.cap, NC);
    assert_int_equal(ev.size, 20);
    assert_ptr_equal(ev.payload.ptr, r.buf + 10);
    assert_int_equal(ev.payload.len, 10);
    assert_ptr_equal(ev.type, elog_header_lookup(h, 2));
    assert_non_null(ev.layout);
    assert_int_equal(ev.as.stop_thread.thread, 5);
    assert_int_equal(ev.as.stop_thread.status, 8);
    assert_int_equal(ev.as.stop_thread.info, 77);
    /* More bytes than the record: only the record is used. */
    synth_raw(&r, "\xff\xff", 2);
    assert_int_equal(elog_decode_record(h, r.buf, r.len, 0, &ev, &rs), ELOG_OK);
    assert_int_equal(rs, 20);
    /* Incomplete. */
    for (size_t avail = 0; avail < 20; avail++) {
        rs = 0;
        assert_int_equal(elog_decode_record(h, r.buf, avail, 0, &ev, &rs), ELOG_NEED_MORE);
        if (avail >= 2)
            assert_int_equal(rs, 20);
        else
            assert_true(rs > avail && rs <= 20);
    }
    /* Variable record: its length is known from 12 bytes on. */
    synth_clear(&r);
    pl_reset();
    synth_u32(&pl, 1);
    synth_str(&pl, "GHC-9.6.1 rts_thr");
    synth_event_var(&r, 29, 9, pl.buf, pl.len);
    size_t var_len = r.len;
    assert_int_equal(var_len, 12 + 4 + 17);
    for (size_t avail = 0; avail < var_len; avail++) {
        rs = 0;
        assert_int_equal(elog_decode_record(h, r.buf, avail, 0, &ev, &rs), ELOG_NEED_MORE);
        if (avail >= 12)
            assert_int_equal(rs, var_len);
        else
            assert_true(rs > avail && rs <= var_len);
    }
    assert_int_equal(elog_decode_record(h, r.buf, r.len, 7, &ev, &rs), ELOG_OK);
    assert_int_equal(rs, r.len);
    assert_int_equal(ev.as.rts_identifier.capset, 1);
    assert_int_equal(ev.as.rts_identifier.ident.len, 17);
    assert_memory_equal(ev.as.rts_identifier.ident.ptr, "GHC-9.6.1 rts_thr", 17);
    assert_ptr_equal(ev.as.rts_identifier.ident.ptr, r.buf + 16);
    /* Undeclared id, and the end marker. */
    synth_clear(&r);
    ev_u32(&r, 999, 1, 1);
    assert_int_equal(elog_decode_record(h, r.buf, r.len, 0, &ev, &rs), ELOG_E_UNDECLARED);
    synth_clear(&r);
    synth_data_end(&r);
    synth_raw(&r, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
    assert_int_equal(elog_decode_record(h, r.buf, r.len, 0, &ev, &rs), ELOG_E_UNDECLARED);
    /* Fields overrunning the length. */
    synth_clear(&r);
    pl_reset();
    synth_u32(&pl, 1);
    synth_str(&pl, "no nul");
    synth_event_var(&r, 161, 1, pl.buf, pl.len);
    assert_int_equal(elog_decode_record(h, r.buf, r.len, 0, &ev, &rs), ELOG_E_BAD_EVENT);

    elog_decoder_free(&d);
    expect_free(&e);
    synth_free(&r);
    synth_free(&s);
}

static void test_block_state_apply(void **state)
{
    (void)state;
    synth s;
    synth_init(&s);
    synth_std_header(&s);
    elog_settings st;
    elog_settings_init(&st);
    elog_decoder d;
    elog_decoder_init(&d, &st, NULL);
    assert_int_equal(elog_execute(&d, s.buf, s.len).status, ELOG_OK);
    const elog_header *h = elog_get_header(&d);
    assert_non_null(h);

    synth r;
    synth_init(&r);
    size_t m2 = synth_block_marker(&r, 1, 24 + 28, 2, 2);   /* cap 2, two 14-byte events */
    size_t x1 = ev_u32(&r, 0, 3, 1);
    size_t x2 = ev_u32(&r, 0, 4, 2);
    size_t x3 = ev_u32(&r, 0, 5, 3);                         /* outside */
    size_t mg = synth_block_marker(&r, 6, 24 + 14, 7, 0xffff); /* global */
    size_t x4 = ev_u32(&r, 0, 8, 4);
    size_t ms = synth_block_marker(&r, 9, 24 + 10, 10, 5);   /* too small */
    size_t x5 = ev_u32(&r, 0, 11, 5);                        /* crosses */
    size_t x6 = ev_u32(&r, 0, 12, 6);
    size_t m0 = synth_block_marker(&r, 13, 0, 14, 6);        /* unpatched */
    size_t x7 = ev_u32(&r, 0, 15, 7);
    size_t m7 = synth_block_marker(&r, 16, 24, 17, 7);       /* inside the previous */

    elog_event ev;
    size_t rs;
#define NOCHECK INT64_MIN
#define APPLY(at, strict, want_st, want_cap, want_rem)                                           \
    do {                                                                                         \
        assert_int_equal(elog_decode_record(h, r.buf + (at), r.len - (at), (at), &ev, &rs),       \
                         ELOG_OK);                                                               \
        assert_int_equal(ev.cap, NC);                                                            \
        assert_int_equal(elog_block_state_apply(&bs, &ev, (strict)), (want_st));                 \
        assert_int_equal(ev.cap, (want_cap));                                                    \
        if ((want_rem) != NOCHECK)                                                               \
            assert_int_equal(bs.remaining, (want_rem));                                          \
    } while (0)

    for (int strict = 0; strict < 2; strict++) {
        elog_block_state bs = ELOG_BLOCK_STATE_INIT;
        assert_int_equal(bs.cap, NC);
        assert_int_equal(bs.remaining, 0);
        APPLY(m2, strict, ELOG_OK, 2, 28);
        assert_int_equal(bs.cap, 2);
        APPLY(x1, strict, ELOG_OK, 2, 14);
        APPLY(x2, strict, ELOG_OK, 2, 0);
        assert_int_equal(bs.cap, NC);
        APPLY(x3, strict, ELOG_OK, NC, NOCHECK);
        APPLY(mg, strict, ELOG_OK, NC, 14);
        APPLY(x4, strict, ELOG_OK, NC, 0);
        APPLY(ms, strict, ELOG_OK, 5, 10);
        /* Crosses the end: still reported with cap 5 (ghc-events), then no cap. */
        APPLY(x5, strict, strict ? ELOG_E_BAD_BLOCK : ELOG_OK, 5, NOCHECK);
        assert_true(bs.remaining <= 0);
        assert_int_equal(bs.cap, NC);
        APPLY(x6, strict, ELOG_OK, NC, NOCHECK);
        /* block_size 0: (0 - 24) mod 2^32. Strict mode may reject the
         * marker itself (smaller than a marker); the state advances anyway. */
        assert_int_equal(elog_decode_record(h, r.buf + m0, r.len - m0, m0, &ev, &rs), ELOG_OK);
        elog_status st0 = elog_block_state_apply(&bs, &ev, strict);
        assert_true(st0 == ELOG_OK || (strict && st0 == ELOG_E_BAD_BLOCK));
        assert_int_equal(ev.cap, 6);
        assert_int_equal(bs.cap, 6);
        assert_int_equal(bs.remaining, 4294967272LL);
        APPLY(x7, strict, ELOG_OK, 6, 4294967272LL - 14);
        APPLY(m7, strict, strict ? ELOG_E_BAD_BLOCK : ELOG_OK, 7, 0);
    }
#undef APPLY
#undef NOCHECK
    elog_decoder_free(&d);
    synth_free(&r);
    synth_free(&s);
}

static void strvec_case(const char *area, size_t len, const char *const *want, size_t n_want)
{
    elog_slice vec = {(const uint8_t *)area, len};
    size_t pos = 0, n = 0;
    elog_slice item;
    while (elog_strvec_next(vec, &pos, &item)) {
        if (n >= n_want)
            fail_msg("strvec of %zu bytes: more than %zu items", len, n_want);
        size_t wl = strlen(want[n]);
        if (item.len != wl || (wl && memcmp(item.ptr, want[n], wl) != 0))
            fail_msg("strvec of %zu bytes: item %zu is \"%.*s\", expected \"%s\"", len, n,
                     (int)item.len, (const char *)item.ptr, want[n]);
        n++;
    }
    assert_int_equal(n, n_want);
    /* Done stays done. */
    assert_false(elog_strvec_next(vec, &pos, &item));
}

static void test_strvec(void **state)
{
    (void)state;
    static const char *const w1[] = {"hellofib.exe", "+RTS", "-l"};
    strvec_case("hellofib.exe\0+RTS\0-l\0", 21, w1, 3);
    static const char *const w2[] = {""};
    strvec_case("", 0, w2, 1);
    strvec_case(NULL, 0, w2, 1);
    strvec_case("\0\0\0", 3, w2, 1);
    static const char *const w3[] = {"x"};
    strvec_case("x\0\0\0", 4, w3, 1);
    strvec_case("x", 1, w3, 1);
    static const char *const w4[] = {"a", "", "b"};
    strvec_case("a\0\0b", 4, w4, 3);
    strvec_case("a\0\0b\0", 5, w4, 3);
    static const char *const w5[] = {"", "a"};
    strvec_case("\0a", 2, w5, 2);
    static const char *const w6[] = {"", "", "z"};
    strvec_case("\0\0z\0\0", 5, w6, 3);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        bool ok;
    } cases[] = {
        {"", 0, true},
        {"plain ascii", 11, true},
        {"\0nul inside", 11, true},
        {"\xc3\xa9", 2, true},                /* é */
        {"\xe2\x80\xa8", 3, true},            /* U+2028 */
        {"\xef\xbf\xbf", 3, true},            /* U+FFFF */
        {"\xf0\x9f\x98\x80", 4, true},        /* emoji */
        {"\xf4\x8f\xbf\xbf", 4, true},        /* U+10FFFF */
        {"\xc0\x80", 2, false},               /* overlong NUL */
        {"\xc1\xbf", 2, false},               /* overlong */
        {"\xe0\x80\x80", 3, false},           /* overlong */
        {"\xf0\x80\x80\x80", 4, false},       /* overlong */
        {"\xed\xa0\x80", 3, false},           /* surrogate */
        {"\xed\xbf\xbf", 3, false},           /* surrogate */
        {"\xf4\x90\x80\x80", 4, false},       /* > U+10FFFF */
        {"\xe3\x81", 2, false},               /* truncated */
        {"A\xe3\x81" "B", 4, false},          /* truncated mid-text */
        {"\x80", 1, false},                   /* stray continuation */
        {"\xf8\x88\x80\x80\x80", 5, false},   /* 5-byte form */
        {"\xff", 1, false},
        {"\xfe", 1, false},
        {"ok\xc3", 3, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        elog_slice s = {(const uint8_t *)cases[i].s, cases[i].n};
        if (elog_utf8_valid(s) != cases[i].ok)
            fail_msg("case %zu: elog_utf8_valid should be %d", i, cases[i].ok);
    }
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(elog_status_name(ELOG_E_UNDECLARED), "ELOG_E_UNDECLARED");
    assert_string_equal(elog_status_name(ELOG_OK), "ELOG_OK");
    assert_string_equal(elog_end_kind_name(ELOG_END_TRUNCATED_IN_EVENT), "truncated-in-event");
    assert_non_null(elog_status_name((elog_status)12345));
    assert_non_null(elog_end_kind_name((elog_end_kind)12345));
    /* All distinct. */
    for (int a = ELOG_OK; a <= ELOG_E_USAGE; a++)
        for (int b = a + 1; b <= ELOG_E_USAGE; b++)
            assert_string_not_equal(elog_status_name((elog_status)a),
                                    elog_status_name((elog_status)b));
    for (int a = ELOG_END_CLEAN; a <= ELOG_END_ERROR; a++)
        for (int b = a + 1; b <= ELOG_END_ERROR; b++)
            assert_string_not_equal(elog_end_kind_name((elog_end_kind)a),
                                    elog_end_kind_name((elog_end_kind)b));
}

static void test_catalogue(void **state)
{
    (void)state;
    size_t n = 0;
    const elog_layout_info *cat = elog_catalogue(&n);
    assert_int_equal(n, ELOG_CATALOGUE_LAYOUTS);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(cat[i].index, i);
        if (i)
            assert_true(cat[i - 1].id < cat[i].id ||
                        (cat[i - 1].id == cat[i].id && cat[i - 1].size < cat[i].size));
        assert_ptr_equal(elog_catalogue_find(cat[i].id, cat[i].size), &cat[i]);
    }
    assert_ptr_equal(elog_catalogue_find(53, 57), elog_catalogue_find(53, 50));
    assert_int_equal(elog_catalogue_find(53, 58)->size, 58);
    assert_int_equal(elog_catalogue_find(53, 0xfffe)->size, 58);
    assert_null(elog_catalogue_find(53, 49));
    assert_null(elog_catalogue_find(53, VAR));
    assert_null(elog_catalogue_find(16, 100));
    assert_null(elog_catalogue_find(5, 4));
    assert_null(elog_catalogue_find(213, VAR));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_types),
        cmocka_unit_test(test_header_duplicate_ids),
        cmocka_unit_test(test_header_zero_types),
        cmocka_unit_test(test_header_description_raw_bytes),
        cmocka_unit_test(test_get_header_lifecycle),
        cmocka_unit_test(test_error_not_eventlog),
        cmocka_unit_test(test_error_bad_header_tags),
        cmocka_unit_test(test_error_undeclared),
        cmocka_unit_test(test_error_bad_event),
        cmocka_unit_test(test_select_skips),
        cmocka_unit_test(test_route),
        cmocka_unit_test(test_error_bad_block),
        cmocka_unit_test(test_block_overrun_early),
        cmocka_unit_test(test_block_overrun_heap_log),
        cmocka_unit_test(test_error_sticky_and_finish),
        cmocka_unit_test(test_pause_resume),
        cmocka_unit_test(test_pause_in_header_and_data_end),
        cmocka_unit_test(test_resume_inside_callback),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_end_clean_and_between),
        cmocka_unit_test(test_end_in_event),
        cmocka_unit_test(test_end_in_header_and_empty),
        cmocka_unit_test(test_end_trailing_bytes),
        cmocka_unit_test(test_end_marker_inside_block),
        cmocka_unit_test(test_cap_after_end_marker_lenient),
        cmocka_unit_test(test_header_limits),
        cmocka_unit_test(test_header_total_limit),
        cmocka_unit_test(test_cap_attribution),
        cmocka_unit_test(test_cap_zero_sized_block_lenient),
        cmocka_unit_test(test_unknown_ids_raw),
        cmocka_unit_test(test_fixed_size_mismatch),
        cmocka_unit_test(test_variable_extra_trailing_bytes),
        cmocka_unit_test(test_gc_stats_variants),
        cmocka_unit_test(test_nonmoving_census_variants),
        cmocka_unit_test(test_ticky_counter_def_optional),
        cmocka_unit_test(test_large_variable_event),
        cmocka_unit_test(test_odd_feeding),
        cmocka_unit_test(test_required_hint),
        cmocka_unit_test(test_decode_record),
        cmocka_unit_test(test_block_state_apply),
        cmocka_unit_test(test_strvec),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_catalogue),
    };
    return cmocka_run_group_tests_name("decoder", tests, setup, teardown);
}

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "expect.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "test: out of memory\n");
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "test: out of memory\n");
        abort();
    }
    return p;
}

static uint8_t *dup_bytes(const void *p, size_t n)
{
    uint8_t *q = xmalloc(n);
    if (n)
        memcpy(q, p, n);
    return q;
}

/* ------------------------------------------------------------------------ */
/* Field access by layout description                                        */
/* ------------------------------------------------------------------------ */

const elog_field_info *expect_field(const elog_event *ev, const char *name)
{
    if (!ev->layout)
        return NULL;
    for (unsigned i = 0; i < ev->layout->n_fields; i++)
        if (strcmp(ev->layout->fields[i].name, name) == 0)
            return &ev->layout->fields[i];
    return NULL;
}

static const unsigned char *field_ptr(const elog_event *ev, const elog_field_info *f)
{
    return (const unsigned char *)&ev->as + f->offset;
}

static uint64_t field_int(const elog_event *ev, const elog_field_info *f)
{
    const unsigned char *p = field_ptr(ev, f);
    switch (f->kind) {
    case ELOG_FIELD_U8: {
        uint8_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case ELOG_FIELD_U16: {
        uint16_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case ELOG_FIELD_U32: {
        uint32_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case ELOG_FIELD_U64: {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    default:
        return 0;
    }
}

static elog_slice field_slice(const elog_event *ev, const elog_field_info *f)
{
    elog_slice s;
    memcpy(&s, field_ptr(ev, f), sizeof s);
    return s;
}

static elog_u32_array field_stack(const elog_event *ev, const elog_field_info *f)
{
    elog_u32_array a;
    memcpy(&a, field_ptr(ev, f), sizeof a);
    return a;
}

static bool field_present(const elog_event *ev, const elog_field_info *f)
{
    if (!f->optional)
        return true;
    bool b;
    memcpy(&b, (const unsigned char *)&ev->as + f->has_offset, sizeof b);
    return b;
}

static bool is_int_kind(elog_field_kind k)
{
    return k == ELOG_FIELD_U8 || k == ELOG_FIELD_U16 || k == ELOG_FIELD_U32 || k == ELOG_FIELD_U64;
}

/* ------------------------------------------------------------------------ */
/* Expectation queue                                                         */
/* ------------------------------------------------------------------------ */

static int exp_on_header(elog_decoder *d, const elog_header *h);
static int exp_on_event(elog_decoder *d, const elog_event *ev);
static int exp_on_block(elog_decoder *d, const elog_event *ev);
static int exp_on_data_end(elog_decoder *d, uint64_t offset);

void expect_init(expect *e, unsigned options, bool use_on_block)
{
    memset(e, 0, sizeof *e);
    e->strict = true;
    e->use_on_block = use_on_block;
    e->default_ret = ELOG_CB_CONTINUE;
    elog_settings_init(&e->settings);
    e->settings.on_header = exp_on_header;
    e->settings.on_event = exp_on_event;
    e->settings.on_block = use_on_block ? exp_on_block : NULL;
    e->settings.on_data_end = exp_on_data_end;
    e->settings.options = options;
}

static void free_item(exp_item *it)
{
    free(it->payload);
    for (int i = 0; i < it->n_checks; i++)
        free(it->checks[i].p);
}

void expect_rewind(expect *e)
{
    e->next = 0;
    e->n_got = 0;
}

void expect_clear(expect *e)
{
    for (size_t i = 0; i < e->n; i++)
        free_item(&e->items[i]);
    e->n = 0;
    e->next = 0;
    e->n_got = 0;
}

void expect_free(expect *e)
{
    expect_clear(e);
    free(e->items);
    free(e->got);
    e->items = NULL;
    e->got = NULL;
    e->cap = e->cap_got = 0;
}

void expect_record_only(expect *e)
{
    e->strict = false;
}

static exp_item *push(expect *e, exp_kind kind)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        e->items = xrealloc(e->items, e->cap * sizeof *e->items);
    }
    exp_item *it = &e->items[e->n++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->size = -1;
    it->layout = EXP_ANY_LAYOUT;
    it->ret = ELOG_CB_CONTINUE;
    return it;
}

static exp_item *last(expect *e)
{
    assert_true(e->n > 0);
    return &e->items[e->n - 1];
}

void expect_header(expect *e, size_t n_types, uint64_t data_offset)
{
    exp_item *it = push(e, EXP_HEADER);
    it->n_types = n_types;
    it->data_offset = data_offset;
}

void expect_event(expect *e, uint64_t offset, uint16_t id, uint64_t time, uint16_t cap)
{
    exp_item *it = push(e, EXP_EVENT);
    it->offset = offset;
    it->id = id;
    it->time = time;
    it->cap = cap;
}

void expect_block(expect *e, uint64_t offset, uint64_t time, uint16_t cap)
{
    exp_item *it = push(e, EXP_BLOCK);
    it->offset = offset;
    it->id = ELOG_EV_BLOCK_MARKER;
    it->time = time;
    it->cap = cap;
    it->size = 24;
}

void expect_data_end(expect *e, uint64_t offset)
{
    exp_item *it = push(e, EXP_DATA_END);
    it->offset = offset;
}

void expect_size(expect *e, uint32_t record_size)
{
    last(e)->size = record_size;
}

void expect_raw(expect *e)
{
    last(e)->layout = EXP_RAW;
}

void expect_layout(expect *e, uint16_t layout_size)
{
    last(e)->layout = layout_size;
}

void expect_payload(expect *e, const void *p, size_t n)
{
    exp_item *it = last(e);
    free(it->payload);
    it->payload = dup_bytes(p, n);
    it->payload_len = n;
    it->check_payload = true;
}

static exp_check *add_check(expect *e, const char *field, exp_check_kind kind)
{
    exp_item *it = last(e);
    assert_true(it->n_checks < EXP_MAX_CHECKS);
    exp_check *c = &it->checks[it->n_checks++];
    memset(c, 0, sizeof *c);
    c->field = field;
    c->kind = kind;
    return c;
}

void expect_u(expect *e, const char *field, uint64_t v)
{
    add_check(e, field, CHK_INT)->u = v;
}

void expect_b(expect *e, const char *field, const void *p, size_t n)
{
    exp_check *c = add_check(e, field, CHK_SLICE);
    c->p = dup_bytes(p, n);
    c->n = n;
}

void expect_s(expect *e, const char *field, const char *str)
{
    expect_b(e, field, str, strlen(str));
}

void expect_absent(expect *e, const char *field)
{
    add_check(e, field, CHK_ABSENT);
}

void expect_stack(expect *e, const char *field, const uint32_t *v, size_t n)
{
    exp_check *c = add_check(e, field, CHK_STACK);
    c->p = dup_bytes(v, n * sizeof *v);
    c->n = n;
}

void expect_ret(expect *e, int ret)
{
    last(e)->ret = ret;
}

void expect_all_seen(const expect *e)
{
    if (e->next != e->n)
        fail_msg("only %zu of %zu expected callbacks happened (next: kind %d at offset %" PRIu64 ")",
                 e->next, e->n, (int)e->items[e->next].kind, e->items[e->next].offset);
}

static void record(expect *e, exp_kind kind, bool via_on_block, elog_decoder *d,
                   const elog_event *ev, uint64_t offset)
{
    if (e->n_got == e->cap_got) {
        e->cap_got = e->cap_got ? e->cap_got * 2 : 16;
        e->got = xrealloc(e->got, e->cap_got * sizeof *e->got);
    }
    exp_got *g = &e->got[e->n_got++];
    memset(g, 0, sizeof *g);
    g->kind = kind;
    g->via_on_block = via_on_block;
    g->offset = offset;
    g->decoder_offset = elog_get_offset(d);
    if (ev) {
        g->id = ev->id;
        g->cap = ev->cap;
        g->time = ev->time;
        g->size = ev->size;
        g->layout = ev->layout;
        g->offset = ev->offset;
    }
}

/* The next expectation, or NULL in record mode when the queue is exhausted. */
static exp_item *next_item(expect *e, const char *what, uint64_t offset)
{
    if (e->next < e->n)
        return &e->items[e->next++];
    if (e->strict)
        fail_msg("unexpected %s callback at offset %" PRIu64 " (all %zu expectations met)", what,
                 offset, e->n);
    return NULL;
}

static const char *kind_name(exp_kind k)
{
    switch (k) {
    case EXP_HEADER: return "header";
    case EXP_EVENT: return "event";
    case EXP_BLOCK: return "block";
    case EXP_DATA_END: return "data end";
    }
    return "?";
}

static int exp_on_header(elog_decoder *d, const elog_header *h)
{
    expect *e = d->data;
    record(e, EXP_HEADER, false, d, NULL, h->data_offset);
    exp_item *it = next_item(e, "header", h->data_offset);
    if (!it)
        return e->default_ret;
    if (it->kind != EXP_HEADER)
        fail_msg("expectation #%zu: expected %s at %" PRIu64 ", got the header callback",
                 e->next - 1, kind_name(it->kind), it->offset);
    assert_int_equal(h->n_types, it->n_types);
    assert_int_equal(h->data_offset, it->data_offset);
    assert_ptr_equal(elog_get_header(d), h);
    return it->ret;
}

static void check_fields(const exp_item *it, const elog_event *ev, size_t idx)
{
    for (int i = 0; i < it->n_checks; i++) {
        const exp_check *c = &it->checks[i];
        const elog_field_info *f = expect_field(ev, c->field);
        if (!f)
            fail_msg("expectation #%zu (id %u at %" PRIu64 "): layout %s has no field %s", idx,
                     ev->id, ev->offset, ev->layout ? ev->layout->name : "(raw)", c->field);
        switch (c->kind) {
        case CHK_INT:
            if (!is_int_kind(f->kind))
                fail_msg("field %s is not an integer", c->field);
            if (!field_present(ev, f))
                fail_msg("expectation #%zu: optional field %s absent, expected %" PRIu64, idx,
                         c->field, c->u);
            if (field_int(ev, f) != c->u)
                fail_msg("expectation #%zu (id %u at %" PRIu64 "): field %s = %" PRIu64
                         ", expected %" PRIu64,
                         idx, ev->id, ev->offset, c->field, field_int(ev, f), c->u);
            break;
        case CHK_SLICE: {
            if (is_int_kind(f->kind) || f->kind == ELOG_FIELD_STACK)
                fail_msg("field %s is not a slice", c->field);
            if (!field_present(ev, f))
                fail_msg("expectation #%zu: optional field %s absent", idx, c->field);
            elog_slice s = field_slice(ev, f);
            if (s.len != c->n || (c->n && memcmp(s.ptr, c->p, c->n) != 0))
                fail_msg("expectation #%zu (id %u at %" PRIu64 "): field %s = \"%.*s\" (%zu bytes), "
                         "expected \"%.*s\" (%zu bytes)",
                         idx, ev->id, ev->offset, c->field, (int)s.len, (const char *)s.ptr, s.len,
                         (int)c->n, (const char *)c->p, c->n);
            break;
        }
        case CHK_ABSENT:
            if (!f->optional)
                fail_msg("field %s is not optional", c->field);
            if (field_present(ev, f))
                fail_msg("expectation #%zu: optional field %s present, expected absent", idx,
                         c->field);
            break;
        case CHK_STACK: {
            if (f->kind != ELOG_FIELD_STACK)
                fail_msg("field %s is not a stack", c->field);
            elog_u32_array a = field_stack(ev, f);
            assert_int_equal(a.count, c->n);
            for (uint32_t k = 0; k < a.count; k++) {
                uint32_t want;
                memcpy(&want, c->p + 4u * k, 4);
                assert_int_equal(elog_u32_array_get(a, k), want);
            }
            break;
        }
        }
    }
}

static int check_event(elog_decoder *d, const elog_event *ev, bool via_on_block)
{
    expect *e = d->data;
    exp_kind kind = ev->id == ELOG_EV_BLOCK_MARKER && ev->layout ? EXP_BLOCK : EXP_EVENT;
    record(e, kind, via_on_block, d, ev, ev->offset);
    if (kind == EXP_BLOCK && e->use_on_block && !via_on_block)
        fail_msg("block marker at %" PRIu64 " delivered to on_event although on_block is set",
                 ev->offset);
    if (via_on_block && kind != EXP_BLOCK)
        fail_msg("event id %u at %" PRIu64 " delivered to on_block", ev->id, ev->offset);

    /* Invariants of every delivered event. */
    const elog_header *h = elog_get_header(d);
    assert_non_null(h);
    assert_non_null(ev->type);
    assert_ptr_equal(ev->type, elog_header_lookup(h, ev->id));
    assert_int_equal(ev->type->id, ev->id);
    assert_ptr_equal(ev->layout, ev->type->layout);
    if (ev->type->size == ELOG_VARIABLE_SIZE)
        assert_int_equal(ev->size, 12u + ev->payload.len);
    else {
        assert_int_equal(ev->payload.len, ev->type->size);
        assert_int_equal(ev->size, 10u + ev->type->size);
    }

    exp_item *it = next_item(e, kind_name(kind), ev->offset);
    if (!it)
        return e->default_ret;
    size_t idx = e->next - 1;
    if (it->kind != EXP_EVENT && it->kind != EXP_BLOCK)
        fail_msg("expectation #%zu: expected %s at %" PRIu64 ", got event id %u at %" PRIu64, idx,
                 kind_name(it->kind), it->offset, ev->id, ev->offset);
    if (it->kind == EXP_BLOCK && kind != EXP_BLOCK)
        fail_msg("expectation #%zu: expected a block marker at %" PRIu64 ", got id %u at %" PRIu64,
                 idx, it->offset, ev->id, ev->offset);
    if (it->offset != ev->offset || it->id != ev->id)
        fail_msg("expectation #%zu: expected id %u at %" PRIu64 ", got id %u at %" PRIu64, idx,
                 it->id, it->offset, ev->id, ev->offset);
    if (it->time != ev->time)
        fail_msg("expectation #%zu (id %u at %" PRIu64 "): time %" PRIu64 ", expected %" PRIu64,
                 idx, ev->id, ev->offset, ev->time, it->time);
    if (it->cap != ev->cap)
        fail_msg("expectation #%zu (id %u at %" PRIu64 "): cap %u, expected %u", idx, ev->id,
                 ev->offset, ev->cap, it->cap);
    if (it->size >= 0 && (int64_t)ev->size != it->size)
        fail_msg("expectation #%zu (id %u at %" PRIu64 "): record size %u, expected %" PRId64, idx,
                 ev->id, ev->offset, ev->size, it->size);
    if (it->layout == EXP_RAW && ev->layout)
        fail_msg("expectation #%zu (id %u at %" PRIu64 "): layout %s/%u, expected raw", idx,
                 ev->id, ev->offset, ev->layout->name, ev->layout->size);
    if (it->layout >= 0) {
        if (!ev->layout)
            fail_msg("expectation #%zu (id %u at %" PRIu64 "): raw, expected layout of size %d",
                     idx, ev->id, ev->offset, it->layout);
        if (ev->layout->size != it->layout)
            fail_msg("expectation #%zu (id %u at %" PRIu64 "): layout size %u, expected %d", idx,
                     ev->id, ev->offset, ev->layout->size, it->layout);
        assert_int_equal(ev->layout->id, ev->id);
    }
    if (it->check_payload) {
        if (ev->payload.len != it->payload_len ||
            (it->payload_len && memcmp(ev->payload.ptr, it->payload, it->payload_len) != 0))
            fail_msg("expectation #%zu (id %u at %" PRIu64 "): payload differs (%zu bytes, expected %zu)",
                     idx, ev->id, ev->offset, ev->payload.len, it->payload_len);
    }
    check_fields(it, ev, idx);
    return it->ret;
}

static int exp_on_event(elog_decoder *d, const elog_event *ev)
{
    return check_event(d, ev, false);
}

static int exp_on_block(elog_decoder *d, const elog_event *ev)
{
    return check_event(d, ev, true);
}

static int exp_on_data_end(elog_decoder *d, uint64_t offset)
{
    expect *e = d->data;
    record(e, EXP_DATA_END, false, d, NULL, offset);
    exp_item *it = next_item(e, "data end", offset);
    if (!it)
        return e->default_ret;
    if (it->kind != EXP_DATA_END)
        fail_msg("expectation #%zu: expected %s at %" PRIu64 ", got data end at %" PRIu64,
                 e->next - 1, kind_name(it->kind), it->offset, offset);
    if (it->offset != offset)
        fail_msg("expectation #%zu: data end at %" PRIu64 ", expected %" PRIu64, e->next - 1,
                 offset, it->offset);
    return it->ret;
}

/* ------------------------------------------------------------------------ */
/* Trace recorder                                                            */
/* ------------------------------------------------------------------------ */

static int tr_on_header(elog_decoder *d, const elog_header *h);
static int tr_on_event(elog_decoder *d, const elog_event *ev);
static int tr_on_block(elog_decoder *d, const elog_event *ev);
static int tr_on_data_end(elog_decoder *d, uint64_t offset);

void trace_init(trace *t, unsigned options, bool use_on_block)
{
    memset(t, 0, sizeof *t);
    elog_settings_init(&t->settings);
    t->settings.on_header = tr_on_header;
    t->settings.on_event = tr_on_event;
    t->settings.on_block = use_on_block ? tr_on_block : NULL;
    t->settings.on_data_end = tr_on_data_end;
    t->settings.options = options;
    elog_block_state bs = ELOG_BLOCK_STATE_INIT;
    t->bs = bs;
}

void trace_clear(trace *t)
{
    t->len = 0;
    t->n_ents = 0;
    t->calls = 0;
    t->next_offset = 0;
    t->violations = 0;
    t->first_violation[0] = 0;
    elog_block_state bs = ELOG_BLOCK_STATE_INIT;
    t->bs = bs;
}

void trace_free(trace *t)
{
    free(t->buf);
    free(t->ents);
    t->buf = NULL;
    t->ents = NULL;
    t->len = t->cap = t->n_ents = t->cap_ents = 0;
}

static void violation(trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void violation(trace *t, const char *fmt, ...)
{
    if (t->violations++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->first_violation, sizeof t->first_violation, fmt, ap);
        va_end(ap);
    }
}

static void tput(trace *t, const void *p, size_t n)
{
    if (t->cap - t->len < n) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap - t->len < n)
            cap *= 2;
        t->buf = xrealloc(t->buf, cap);
        t->cap = cap;
    }
    if (n)
        memcpy(t->buf + t->len, p, n);
    t->len += n;
}

static void tput8(trace *t, uint8_t v)
{
    tput(t, &v, 1);
}

static void tput64(trace *t, uint64_t v)
{
    tput(t, &v, sizeof v);
}

static void tslice(trace *t, elog_slice s)
{
    tput64(t, s.len);
    tput(t, s.ptr, s.len);
}

static trace_ent *tent(trace *t, char kind)
{
    if (t->n_ents == t->cap_ents) {
        t->cap_ents = t->cap_ents ? t->cap_ents * 2 : 256;
        t->ents = xrealloc(t->ents, t->cap_ents * sizeof *t->ents);
    }
    trace_ent *e = &t->ents[t->n_ents++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    tput8(t, (uint8_t)kind);
    return e;
}

static int tr_ret(trace *t)
{
    t->calls++;
    if (t->pause_every && t->calls % t->pause_every == 0)
        return ELOG_CB_PAUSE;
    return ELOG_CB_CONTINUE;
}

static int tr_on_header(elog_decoder *d, const elog_header *h)
{
    trace *t = d->data;
    trace_ent *en = tent(t, 'H');
    en->offset = h->data_offset;
    tput64(t, h->n_types);
    tput64(t, h->data_offset);
    if (elog_get_header(d) != h)
        violation(t, "elog_get_header() differs from the on_header argument");
    for (size_t i = 0; i < h->n_types; i++) {
        const elog_event_type *ty = &h->types[i];
        tput64(t, ty->id);
        tput64(t, ty->size);
        tput64(t, ty->header_index);
        tput64(t, ty->offset);
        tslice(t, ty->description);
        tput64(t, ty->layout ? ty->layout->index : 0xffffu);
        if (ty->header_index != i)
            violation(t, "type %zu has header_index %u", i, ty->header_index);
        if (ty->layout != elog_catalogue_find(ty->id, ty->size))
            violation(t, "type id %u size %u: layout differs from elog_catalogue_find", ty->id,
                      ty->size);
    }
    /* The id map: for every declared id the last declaration wins. */
    for (size_t i = 0; i < h->n_types; i++) {
        const elog_event_type *ty = elog_header_lookup(h, h->types[i].id);
        size_t want = i;
        for (size_t j = i + 1; j < h->n_types; j++)
            if (h->types[j].id == h->types[i].id)
                want = j;
        if (ty != &h->types[want])
            violation(t, "elog_header_lookup(%u) is not the last declaration", h->types[i].id);
        tput64(t, ty ? ty->header_index : 0xffffffffu);
    }
    en->end = t->len;
    t->next_offset = h->data_offset;
    return tr_ret(t);
}

static bool inside(elog_slice whole, const uint8_t *p, size_t n)
{
    if (n == 0)
        return true;
    return p >= whole.ptr && p + n <= whole.ptr + whole.len;
}

static void tr_fields(trace *t, const elog_event *ev)
{
    const elog_layout_info *l = ev->layout;
    for (unsigned i = 0; i < l->n_fields; i++) {
        const elog_field_info *f = &l->fields[i];
        tput8(t, (uint8_t)f->kind);
        if (f->optional) {
            bool b;
            memcpy(&b, (const unsigned char *)&ev->as + f->has_offset, sizeof b);
            uint8_t raw;
            memcpy(&raw, (const unsigned char *)&ev->as + f->has_offset, 1);
            if (raw > 1)
                violation(t, "id %u at %" PRIu64 ": has_%s = %u", ev->id, ev->offset, f->name, raw);
            tput8(t, b);
            if (!b)
                continue;
        }
        if (is_int_kind(f->kind)) {
            tput64(t, field_int(ev, f));
        } else if (f->kind == ELOG_FIELD_STACK) {
            elog_u32_array a = field_stack(ev, f);
            tput64(t, a.count);
            if (!inside(ev->payload, a.ptr, 4u * (size_t)a.count))
                violation(t, "id %u at %" PRIu64 ": stack %s outside the payload", ev->id,
                          ev->offset, f->name);
            else
                for (uint32_t k = 0; k < a.count; k++)
                    tput64(t, elog_u32_array_get(a, k));
        } else {
            elog_slice s = field_slice(ev, f);
            if (!inside(ev->payload, s.ptr, s.len)) {
                violation(t, "id %u at %" PRIu64 ": field %s outside the payload", ev->id,
                          ev->offset, f->name);
                tput64(t, s.len);
            } else {
                tslice(t, s);
            }
            if (f->kind == ELOG_FIELD_STRVEC) {
                size_t pos = 0, n = 0;
                elog_slice item;
                while (elog_strvec_next(s, &pos, &item) && n++ < 100000)
                    tslice(t, item);
                tput64(t, n);
            }
            tput8(t, elog_utf8_valid(s));
        }
    }
}

static int tr_event(elog_decoder *d, const elog_event *ev, bool via_on_block)
{
    trace *t = d->data;
    trace_ent *en = tent(t, via_on_block ? 'B' : 'E');
    en->id = ev->id;
    en->offset = ev->offset;
    en->size = ev->size;
    en->var = ev->type && ev->type->size == ELOG_VARIABLE_SIZE;
    tput64(t, ev->offset);
    tput64(t, ev->id);
    tput64(t, ev->cap);
    tput64(t, ev->size);
    tput64(t, ev->time);
    tput64(t, ev->type ? ev->type->header_index : 0xffffffffu);
    tput64(t, ev->layout ? ev->layout->index : 0xffffu);
    tslice(t, ev->payload);

    const elog_header *h = elog_get_header(d);
    if (!h || !ev->type || ev->type != elog_header_lookup(h, ev->id))
        violation(t, "id %u at %" PRIu64 ": type is not the header's declaration", ev->id,
                  ev->offset);
    else {
        if (ev->layout != ev->type->layout)
            violation(t, "id %u at %" PRIu64 ": layout differs from its type's", ev->id, ev->offset);
        uint32_t want = ev->type->size == ELOG_VARIABLE_SIZE ? 12u + (uint32_t)ev->payload.len
                                                             : 10u + ev->type->size;
        if (ev->size != want || (ev->type->size != ELOG_VARIABLE_SIZE &&
                                 ev->payload.len != ev->type->size))
            violation(t, "id %u at %" PRIu64 ": size %u, payload %zu, declared %u", ev->id,
                      ev->offset, ev->size, ev->payload.len, ev->type->size);
    }
    if (ev->offset != t->next_offset)
        violation(t, "id %u at %" PRIu64 ": expected the next record at %" PRIu64, ev->id,
                  ev->offset, t->next_offset);
    t->next_offset = ev->offset + ev->size;
    /* "Total bytes consumed so far. Safe from callbacks": the event's end. */
    if (elog_get_offset(d) != t->next_offset)
        violation(t, "id %u at %" PRIu64 ": elog_get_offset() says %" PRIu64 ", not the event's end",
                  ev->id, ev->offset, elog_get_offset(d));
    if ((ev->id == ELOG_EV_BLOCK_MARKER && ev->layout) != via_on_block && t->settings.on_block)
        violation(t, "id %u at %" PRIu64 ": delivered to the wrong callback", ev->id, ev->offset);

    /* Capability attribution, recomputed with the pure function. */
    elog_event copy = *ev;
    elog_block_state_apply(&t->bs, &copy, false);
    if (copy.cap != ev->cap)
        violation(t, "id %u at %" PRIu64 ": cap %u, elog_block_state_apply says %u", ev->id,
                  ev->offset, ev->cap, copy.cap);

    if (ev->layout)
        tr_fields(t, ev);
    en->end = t->len;
    return tr_ret(t);
}

static int tr_on_event(elog_decoder *d, const elog_event *ev)
{
    return tr_event(d, ev, false);
}

static int tr_on_block(elog_decoder *d, const elog_event *ev)
{
    return tr_event(d, ev, true);
}

static int tr_on_data_end(elog_decoder *d, uint64_t offset)
{
    trace *t = d->data;
    trace_ent *en = tent(t, 'D');
    en->id = 0xffff;
    en->offset = offset;
    en->size = 2;
    tput64(t, offset);
    if (offset != t->next_offset)
        violation(t, "data end at %" PRIu64 ": expected the next record at %" PRIu64, offset,
                  t->next_offset);
    t->next_offset = offset + 2;
    en->end = t->len;
    return tr_ret(t);
}

void trace_add_error(trace *t, const elog_decoder *d)
{
    trace_ent *en = tent(t, 'X');
    en->offset = elog_get_error_offset(d);
    tput64(t, elog_get_error(d));
    tput64(t, elog_get_error_offset(d));
    const char *r = elog_get_error_reason(d);
    elog_slice s = {(const uint8_t *)r, strlen(r)};
    tslice(t, s);
    en->end = t->len;
}

void trace_add_finish(trace *t, const elog_end *end)
{
    trace_ent *en = tent(t, 'F');
    en->offset = end->offset;
    tput64(t, end->kind);
    tput64(t, end->status);
    tput64(t, end->offset);
    tput64(t, end->total_bytes);
    tput64(t, end->id_known);
    tput64(t, end->event_id);
    tput64(t, end->bytes_missing);
    tput64(t, end->trailing_bytes);
    tput64(t, end->events);
    en->end = t->len;
}

static size_t ent_start(const trace *t, size_t i)
{
    return i == 0 ? 0 : t->ents[i - 1].end;
}

bool trace_same_entry(const trace *a, size_t i, const trace *b, size_t j)
{
    size_t sa = ent_start(a, i), sb = ent_start(b, j);
    size_t la = a->ents[i].end - sa, lb = b->ents[j].end - sb;
    return la == lb && memcmp(a->buf + sa, b->buf + sb, la) == 0;
}

size_t trace_first_diff(const trace *a, const trace *b, size_t n)
{
    size_t m = n;
    if (a->n_ents < m)
        m = a->n_ents;
    if (b->n_ents < m)
        m = b->n_ents;
    /* Fast path: the byte prefixes are equal. */
    if (m > 0 && a->ents[m - 1].end == b->ents[m - 1].end &&
        memcmp(a->buf, b->buf, a->ents[m - 1].end) == 0)
        return m < n ? m : SIZE_MAX;
    for (size_t i = 0; i < m; i++) {
        size_t sa = ent_start(a, i), sb = ent_start(b, i);
        size_t la = a->ents[i].end - sa, lb = b->ents[i].end - sb;
        if (la != lb || memcmp(a->buf + sa, b->buf + sb, la) != 0)
            return i;
    }
    return m < n ? m : SIZE_MAX;
}

void trace_dump_entry(const trace *t, size_t i, FILE *f)
{
    if (i >= t->n_ents) {
        fprintf(f, "  (no entry %zu; %zu entries)\n", i, t->n_ents);
        return;
    }
    const trace_ent *e = &t->ents[i];
    size_t s = ent_start(t, i);
    fprintf(f, "  entry %zu: kind %c id %u offset %" PRIu64 " size %u:", i, e->kind, e->id, e->offset,
            e->size);
    for (size_t k = s; k < e->end && k < s + 96; k++)
        fprintf(f, "%s%02x", (k - s) % 8 ? "" : " ", t->buf[k]);
    fprintf(f, "%s\n", e->end - s > 96 ? " ..." : "");
}

uint64_t test_rand(uint64_t *seed)
{
    /* xorshift64* */
    uint64_t x = *seed ? *seed : 0x9e3779b97f4a7c15u;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *seed = x;
    return x * 0x2545f4914f6cdd1du;
}

elog_status trace_feed(elog_decoder *d, trace *t, const uint8_t *buf, size_t len, size_t chunk,
                       uint64_t *seed, size_t max_random)
{
    size_t pos = 0;
    while (pos < len) {
        size_t n = chunk;
        if (n == 0 && !seed) {
            n = len - pos; /* whole buffer */
        } else if (n == 0) {
            /* Mostly small chunks, sometimes large ones. */
            uint64_t r = test_rand(seed);
            size_t cap = (r & 3) == 0 ? max_random : (max_random < 16 ? max_random : 16);
            n = 1 + (size_t)((r >> 8) % cap);
        }
        if (n > len - pos)
            n = len - pos;
        size_t off = 0;
        while (off < n) {
            size_t want = n - off;
            elog_result r = elog_execute(d, buf + pos + off, want);
            if (r.read > want) {
                fprintf(stderr, "elog_execute read %zu of %zu bytes\n", r.read, want);
                abort();
            }
            off += r.read;
            if (r.status == ELOG_PAUSED) {
                /* A paused decoder refuses input until resumed. */
                if (off < n) {
                    elog_result again = elog_execute(d, buf + pos + off, n - off);
                    if ((again.status != ELOG_PAUSED || again.read != 0) && t)
                        violation(t, "execute while paused returned %s, read %zu",
                                  elog_status_name(again.status), again.read);
                }
                elog_resume(d);
                continue;
            }
            if (r.status != ELOG_OK) {
                if (t)
                    trace_add_error(t, d);
                return r.status;
            }
            if (r.read != want) {
                /* ELOG_OK must consume everything. */
                if (t)
                    violation(t, "ELOG_OK with read %zu < %zu", r.read, want);
                return ELOG_E_USAGE;
            }
        }
        pos += n;
    }
    return ELOG_OK;
}

elog_end trace_decode(trace *t, const uint8_t *buf, size_t len, size_t chunk, uint64_t *seed,
                      size_t max_random)
{
    elog_decoder d;
    elog_decoder_init(&d, &t->settings, t);
    trace_feed(&d, t, buf, len, chunk, seed, max_random);
    elog_end end = elog_finish(&d);
    trace_add_finish(t, &end);
    elog_decoder_free(&d);
    return end;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

static const char *corpus_override;

void set_corpus_dir(const char *dir)
{
    corpus_override = dir;
}

const char *corpus_dir(void)
{
    if (corpus_override)
        return corpus_override;
    const char *env = getenv("ELOG_CORPUS_DIR");
    if (env && *env)
        return env;
    return "corpus/conformance";
}

bool read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 16, n = 0;
    uint8_t *p = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            p = xrealloc(p, cap);
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    bool ok = !ferror(f);
    fclose(f);
    if (!ok) {
        free(p);
        return false;
    }
    *buf = p;
    *len = n;
    return true;
}

bool read_corpus(const char *name, uint8_t **buf, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", corpus_dir(), name);
    if (!read_file(path, buf, len)) {
        fprintf(stderr, "cannot read %s (set ELOG_CORPUS_DIR)\n", path);
        return false;
    }
    return true;
}

elog_end decode_buffer(const uint8_t *buf, size_t len, unsigned options,
                       elog_header_cb on_header, elog_event_cb on_event, void *ctx)
{
    elog_settings s;
    elog_settings_init(&s);
    s.on_header = on_header;
    s.on_event = on_event;
    s.options = options;
    elog_decoder d;
    elog_decoder_init(&d, &s, ctx);
    elog_execute(&d, buf, len);
    elog_end end = elog_finish(&d);
    elog_decoder_free(&d);
    return end;
}

size_t each_eventlog(const char *dir, void (*fn)(const char *path, void *ctx), void *ctx)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s", dir);
    size_t count = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 9 || strcmp(de->d_name + n - 9, ".eventlog") != 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        fn(path, ctx);
        count++;
    }
    closedir(d);
    return count;
}

void expect_raw_event(expect *e, uint64_t offset, uint16_t id, uint64_t time, uint16_t cap,
                      uint32_t record_size, const void *p, size_t n)
{
    expect_event(e, offset, id, time, cap);
    expect_raw(e);
    expect_size(e, record_size);
    expect_payload(e, p, n);
}

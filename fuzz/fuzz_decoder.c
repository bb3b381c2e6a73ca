/*
 * libFuzzer target: the decoder under every chunking and option set.
 *
 * Input layout: byte 0 picks the options and a chunking pattern, bytes 1..8
 * seed the chunk sizes (and, by the low bit of byte 1, turn on a selection
 * of event types that byte 2 salts: settings.select), the rest is the
 * stream. The oracle is the decoder's own promise: the same callbacks, end
 * class and error for every chunking, so the stream is decoded twice (whole,
 * then chunked) and the two traces must agree; with a selection, no event of
 * a type turned off may be delivered. Any mismatch or broken invariant
 * aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "fuzz_common.h"

typedef struct trace {
    uint64_t hash;
    uint64_t events;
    uint64_t headers;
    uint64_t ends;
    bool selecting;
    uint8_t salt;
    uint8_t on[65536 / 8];  /* selecting: the types turned on (last answer per id) */
} trace;

static void mix(trace *t, uint64_t v)
{
    /* FNV-1a over 64-bit words: cheap and order-sensitive. */
    t->hash = (t->hash ^ v) * 0x100000001b3ull;
}

static int on_header(elog_decoder *d, const elog_header *h)
{
    trace *t = d->data;
    t->headers++;
    mix(t, h->n_types);
    for (size_t i = 0; i < h->n_types; i++) {
        mix(t, h->types[i].id);
        mix(t, h->types[i].size);
        mix(t, h->types[i].description.len);
        if (h->types[i].description.len && !h->types[i].description.ptr)
            abort();
    }
    return ELOG_CB_CONTINUE;
}

/* Turns about half the declared types off, differently for each salt. */
static bool on_select(elog_decoder *d, const elog_event_type *type)
{
    trace *t = d->data;
    bool keep = (((type->id * 0x9e37u) >> 5) ^ t->salt) & 1u;
    if (keep)
        t->on[type->id / 8] |= (uint8_t)(1u << (type->id % 8));
    else
        t->on[type->id / 8] &= (uint8_t)~(1u << (type->id % 8));
    mix(t, (uint64_t)type->id << 1 | keep);
    return keep;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    trace *t = d->data;
    if (t->selecting && !(t->on[ev->id / 8] & (1u << (ev->id % 8))))
        abort(); /* a type turned off was delivered */
    t->events++;
    mix(t, ev->id);
    mix(t, ev->time);
    mix(t, ev->cap);
    mix(t, ev->offset);
    mix(t, ev->size);
    mix(t, fuzz_hash_bytes(ev->payload.ptr, ev->payload.len));
    if (ev->payload.len + 10 > ev->size)
        abort();
    if (ev->layout)
        mix(t, fuzz_hash_fields(ev));
    return ELOG_CB_CONTINUE;
}

static int on_end(elog_decoder *d, uint64_t offset)
{
    trace *t = d->data;
    t->ends++;
    mix(t, offset);
    return ELOG_CB_CONTINUE;
}

static void run(const uint8_t *data, size_t size, unsigned options, int salt,
                const fuzz_chunker *ch, trace *t, elog_end *end)
{
    elog_settings s;
    elog_settings_init(&s);
    s.on_header = on_header;
    s.on_event = on_event;
    s.on_data_end = on_end;
    s.options = options;
    memset(t, 0, sizeof *t);
    t->hash = 0xcbf29ce484222325ull;
    if (salt >= 0) {
        s.select = on_select;
        t->selecting = true;
        t->salt = (uint8_t)salt;
    }
    elog_decoder d;
    elog_decoder_init(&d, &s, t);
    fuzz_chunker c = ch ? *ch : (fuzz_chunker){0};
    size_t pos = 0;
    while (pos < size) {
        size_t n = ch ? fuzz_chunker_next(&c, size - pos) : size - pos;
        elog_result r = elog_execute(&d, data + pos, n);
        if (r.status != ELOG_OK) {
            if (r.status == ELOG_PAUSED)
                abort(); /* nobody paused */
            if (r.read > n)
                abort();
            break;
        }
        if (r.read != n)
            abort();
        pos += n;
    }
    *end = elog_finish(&d);
    if (end->kind == ELOG_END_ERROR) {
        if (end->offset > size || elog_get_error_reason(&d)[0] == '\0')
            abort();
        mix(t, (uint64_t)end->status);
    }
    if (end->total_bytes > size || (!t->selecting && end->events != t->events) ||
        end->events < t->events)
        abort();
    mix(t, (uint64_t)end->kind);
    mix(t, end->offset);
    mix(t, end->bytes_missing);
    mix(t, end->trailing_bytes);
    elog_decoder_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    unsigned options = data[0] & 3u;
    int salt = data[1] & 1u ? data[2] : -1;
    fuzz_chunker ch;
    fuzz_chunker_init(&ch, data[0] >> 2, data + 1);
    data += 9, size -= 9;

    static trace whole, chunked; /* 8 KiB each: off the stack */
    elog_end e1, e2;
    run(data, size, options, salt, NULL, &whole, &e1);
    run(data, size, options, salt, &ch, &chunked, &e2);
    if (whole.hash != chunked.hash || e1.kind != e2.kind || e1.offset != e2.offset ||
        e1.events != e2.events) {
        fprintf(stderr, "chunking changed the decode: %s@%llu vs %s@%llu\n",
                elog_end_kind_name(e1.kind), (unsigned long long)e1.offset,
                elog_end_kind_name(e2.kind), (unsigned long long)e2.offset);
        abort();
    }
    return 0;
}

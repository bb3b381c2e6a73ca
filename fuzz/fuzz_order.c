/*
 * libFuzzer target: the time-ordered merge (include/eventlog/order.h) with
 * many runs. Input: byte 0 picks the merge's limits (fan-in 2..9 runs, a
 * budget of 4 KiB..1 MiB, threads or not), byte 1 how event times are
 * rewritten before sorting (0: kept; 1: alternating between two values, one
 * run per two events; 2: strictly decreasing, one run per event; 3: a seeded
 * walk over a few values, many ties), bytes 2-9 the seed; the rest is the
 * stream. Oracle: what the merge delivers (records, capabilities, offsets)
 * is exactly the decoded events stably sorted by time, with the decoder's
 * capabilities, whatever the limits: merges in several passes through
 * temporary files ($TMPDIR), unsorted ranges sorted in chunks, and the split
 * scan of pass 1 are all exercised. Memory stays within the small budget
 * (run with -rss_limit_mb / -malloc_limit_mb, fuzz/README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eventlog/order.h"
#include "fuzz_common.h"

#define OPTS (ELOG_OPT_CONTINUE_AFTER_END | ELOG_OPT_LENIENT_BLOCKS)
#define MAX_EVENTS 200000u

typedef struct item {
    uint64_t time, offset, seq;
    uint32_t size;
    uint16_t id, cap;
} item;

typedef struct ctx {
    item *v;
    size_t n;
    elog_order *o;
    uint8_t *stream;
    unsigned mode;
    uint64_t seed;
    bool rewrite;           /* first pass: rewrite times in place */
    bool overflow;
} ctx;

static uint64_t next_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Pass 0 (rewrite): gives each event a new time in the stream bytes. */
static int rewrite_event(elog_decoder *d, const elog_event *ev)
{
    ctx *c = d->data;
    uint64_t t = ev->time;
    switch (c->mode) {
    case 1: t = (c->n & 1) ? 3000 : 2000; break;
    case 2: t = 1000000000ull - c->n; break;
    case 3: t = next_rand(&c->seed) % 5; break;
    default: break;
    }
    put_be64(c->stream + ev->offset + 2, t);
    c->n++;
    return ELOG_CB_CONTINUE;
}

static int collect(elog_decoder *d, const elog_event *ev)
{
    ctx *c = d->data;
    if (c->n == MAX_EVENTS) {
        c->overflow = true;
        return ELOG_CB_ABORT;
    }
    item *it = &c->v[c->n];
    it->time = ev->time;
    it->offset = ev->offset;
    it->seq = c->n++;
    it->size = ev->size;
    it->id = ev->id;
    it->cap = ev->cap;
    return elog_order_note(c->o, ev) == ELOG_CB_CONTINUE ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int by_time(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

typedef struct mem {
    const uint8_t *p;
    size_t len;
} mem;

static int mem_read(void *vctx, void *buf, size_t len, uint64_t off)
{
    const mem *m = vctx;
    if (off > m->len || len > m->len - off)
        return -1;
    memcpy(buf, m->p + off, len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 10)
        return 0;
    uint8_t cfg = data[0];
    ctx c;
    memset(&c, 0, sizeof c);
    c.mode = data[1] & 3;
    memcpy(&c.seed, data + 2, 8);
    size_t len = size - 10;
    c.stream = malloc(len ? len : 1);
    if (c.stream == NULL)
        return 0;
    memcpy(c.stream, data + 10, len);

    elog_settings st;
    elog_decoder d;
    if (c.mode != 0) {
        (void)fuzz_decode(c.stream, len, OPTS, NULL, rewrite_event, &c);
        c.n = 0;
    }

    elog_order_options oo;
    elog_order_options_init(&oo);
    oo.decoder_options = OPTS;
    oo.max_runs = 2 + (cfg & 7);
    oo.memory_budget = (size_t)4096 << ((cfg >> 3) & 7);   /* 4 KiB .. 512 KiB */
    oo.no_threads = (cfg & 0x40) != 0;
    c.o = elog_order_new(&oo);
    c.v = malloc(MAX_EVENTS * sizeof *c.v);
    if (c.o == NULL || c.v == NULL)
        abort();
    elog_settings_init(&st);
    st.on_event = collect;
    st.options = OPTS;
    elog_decoder_init(&d, &st, &c);
    (void)elog_execute(&d, c.stream, len);
    (void)elog_finish(&d);
    const elog_header *h = elog_get_header(&d);
    if (h != NULL && c.n > 0 && !c.overflow) {
        if (elog_order_events(c.o) != c.n)
            abort();
        mem m = {c.stream, len};
        if (elog_order_merge_begin(c.o, h, mem_read, &m) != ELOG_OK)
            abort(); /* the bytes did not change: only a full disk fails here */
        qsort(c.v, c.n, sizeof *c.v, by_time);
        static uint8_t raw[4 * ELOG_MAX_RECORD_SIZE];
        static uint16_t caps[97];
        static uint64_t offs[97];
        elog_order_batch b = {raw, sizeof raw, caps, offs, 1 + (cfg & 63) + 33, 0, 0};
        size_t k = 0;
        for (;;) {
            b.n = 0;
            b.raw_len = 0;
            if (!elog_order_merge_fill(c.o, &b))
                break;
            size_t pos = 0;
            for (size_t i = 0; i < b.n; i++) {
                elog_event ev;
                size_t need = 0;
                if (k >= c.n ||
                    elog_decode_record(h, raw + pos, b.raw_len - pos, offs[i], &ev, &need) !=
                        ELOG_OK)
                    abort();
                const item *w = &c.v[k++];
                if (offs[i] != w->offset || caps[i] != w->cap || ev.time != w->time ||
                    ev.size != w->size || ev.id != w->id)
                    abort();
                pos += need;
            }
            if (pos != b.raw_len)
                abort();
        }
        uint64_t off;
        if (elog_order_merge_status(c.o, &off) != ELOG_OK || k != c.n)
            abort();
    }
    elog_decoder_free(&d);
    elog_order_free(c.o);
    free(c.v);
    free(c.stream);
    return 0;
}

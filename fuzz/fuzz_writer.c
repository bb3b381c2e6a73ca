/*
 * Fuzz target for the writer: decode the input (lenient blocks, as the CLI),
 * write it back verbatim and in the writer's own blocks (with a budget small
 * enough to flush often, chosen by the first byte), decode both outputs and
 * require the same events: verbatim gives the same records in the same
 * order (block markers' sizes aside) ending clean; blocks mode gives the
 * same events per capability and strictly consistent blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "eventlog/writer.h"

typedef struct sink {
    uint8_t *p;
    size_t len, cap;
} sink;

static int to_mem(void *ctx, const uint8_t *p, size_t n)
{
    sink *s = ctx;
    if (s->len + n > s->cap) {
        size_t c = s->cap ? s->cap : 4096;
        while (c < s->len + n)
            c *= 2;
        uint8_t *q = realloc(s->p, c);
        if (q == NULL)
            return -1;
        s->p = q;
        s->cap = c;
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
    return 0;
}

static int patch_mem(void *ctx, uint64_t off, const uint8_t *p, size_t n)
{
    sink *s = ctx;
    if (off + n > s->len)
        abort();
    memcpy(s->p + off, p, n);
    return 0;
}

/* Hash of an event per capability: what must survive both modes. */
typedef struct tally {
    elog_log_writer *w;
    bool writing;
    bool failed;
    bool refused;          /* blocks mode: id 18 declared with another size */
    bool skip_markers;
    uint64_t n;
    uint64_t *chain;       /* [65536]: order-sensitive hash per capability */
    uint64_t seq;          /* order-sensitive hash of everything */
} tally;

static void mix(tally *t, const elog_event *ev, bool with_marker_size)
{
    /* a block marker's size may be corrected: hash the rest */
    size_t skip = ev->id == 18 && !with_marker_size && ev->payload.len >= 4 ? 4 : 0;
    uint64_t x = fuzz_hash_bytes(ev->payload.ptr + skip, ev->payload.len - skip);
    x ^= ((uint64_t)ev->id << 48) ^ ev->time * 0x9e3779b97f4a7c15ull ^ ((uint64_t)ev->cap << 32);
    t->seq = t->seq * 0x100000001b3ull ^ x;
    t->chain[ev->cap] = t->chain[ev->cap] * 0x100000001b3ull ^ x;
    t->n++;
}

static int on_header(elog_decoder *d, const elog_header *h)
{
    tally *t = d->data;
    if (t->writing) {
        elog_status st = elog_log_writer_header(t->w, h);
        const elog_event_type *m = elog_header_lookup(h, 18);
        if (st == ELOG_E_BAD_HEADER && t->skip_markers && m != NULL && m->size != 14) {
            t->refused = true; /* documented: such a log is copied verbatim only */
            t->writing = false;
        } else if (st != ELOG_OK) {
            fprintf(stderr, "header: %s\n", elog_log_writer_error_reason(t->w));
            t->failed = true;
        }
    }
    return ELOG_CB_CONTINUE;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    tally *t = d->data;
    if (t->writing && !t->failed && elog_log_writer_copy(t->w, ev) != ELOG_OK) {
        fprintf(stderr, "event at %llu: %s\n", (unsigned long long)ev->offset,
                elog_log_writer_error_reason(t->w));
        t->failed = true;
    }
    if (!(t->skip_markers && ev->id == 18))
        mix(t, ev, false);
    if (ev->layout != NULL)
        (void)fuzz_hash_fields(ev);
    return ELOG_CB_CONTINUE;
}

static elog_end decode(const uint8_t *p, size_t n, unsigned options, tally *t)
{
    return fuzz_decode(p, n, options, on_header, on_event, t);
}

static bool usable(elog_end e)
{
    return e.kind == ELOG_END_CLEAN || e.kind == ELOG_END_TRUNCATED_BETWEEN_EVENTS ||
           e.kind == ELOG_END_TRUNCATED_IN_EVENT;
}

/* The per-capability hashes, combined independently of capability order. */
static uint64_t digest(const tally *t)
{
    uint64_t d = 0;
    for (size_t c = 0; c < 65536; c++)
        if (t->chain[c] != 0)
            d += t->chain[c] * (2 * c + 1);
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint64_t chain_in[65536], chain_back[65536];
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    data++;
    size--;
    for (int blocks = 0; blocks < 2; blocks++) {
        sink out = {0};
        tally in;
        memset(&in, 0, sizeof in);
        memset(chain_in, 0, sizeof chain_in);
        in.chain = chain_in;
        in.writing = true;
        in.skip_markers = blocks;
        elog_log_writer_options opt = {0};
        if (!blocks) {
            opt.flags = ELOG_LOG_WRITER_VERBATIM;
            if (mode & 1)
                opt.patch = patch_mem;
        } else {
            opt.budget_bytes = (mode & 2) ? 2 * (24 + ELOG_MAX_RECORD_SIZE) : 0;
        }
        if (elog_log_writer_open(&in.w, &opt, to_mem, &out) != ELOG_OK)
            abort();
        elog_end e = decode(data, size, ELOG_OPT_LENIENT_BLOCKS, &in);
        if (in.failed)
            abort(); /* every decoded record is writable */
        if (usable(e) && !in.refused) {
            if (elog_log_writer_finish(in.w, NULL) != ELOG_OK)
                abort();
            tally back;
            memset(&back, 0, sizeof back);
            memset(chain_back, 0, sizeof chain_back);
            back.chain = chain_back;
            back.skip_markers = blocks;
            /* verbatim: the input's block structure, read the same lenient
             * way; blocks: the writer's own blocks must be consistent */
            elog_end e2 = decode(out.p, out.len, blocks ? 0 : ELOG_OPT_LENIENT_BLOCKS, &back);
            if (e2.kind != ELOG_END_CLEAN || back.n != in.n) {
                fprintf(stderr, "mode %d: rewritten log ends %s (%s) after %llu events, %llu in\n",
                        blocks, elog_end_kind_name(e2.kind), elog_status_name(e2.status),
                        (unsigned long long)back.n, (unsigned long long)in.n);
                abort();
            }
            if (!blocks && back.seq != in.seq)
                abort();
            if (blocks && digest(&back) != digest(&in))
                abort();
        }
        elog_log_writer_free(in.w);
        free(out.p);
    }
    return 0;
}

/*
 * The gzip byte source: inflates the source below it one buffer at a time,
 * across any number of concatenated members (RFC 1952 §2.2), with zlib's
 * allocations routed through the reader's allocator.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "byte_source.h"

/* zlib's free does not pass the size the allocator wants back: keep it in a
 * header in front of each block. */
#define ZHDR (_Alignof(max_align_t) > sizeof(size_t) ? _Alignof(max_align_t) : sizeof(size_t))

/* zlib allocates its 32 KiB window on the first inflate that produces
 * output, which may run on the read-ahead thread; the caller's allocator is
 * only ever called on the caller's thread, so that block is reserved at
 * open. */
#define WINDOW_RESERVE ((size_t)(1u << MAX_WBITS) + ZHDR)

typedef struct gzip_source {
    byte_source base;
    byte_source *below;
    uint8_t *in;                   /* compressed bytes in[pos, len) not yet inflated */
    void *in_raw;
    size_t in_cap, in_pos, in_len;
    uint64_t in_total;             /* compressed bytes read from below */
    z_stream zs;
    bool z_ready;                  /* inflateInit2 done */
    bool opened;                   /* later allocations use the reserve only */
    bool member_done;              /* between members: the next 2 bytes decide */
    bool pending;                  /* the last inflate filled its output: call it again */
    bool ended;                    /* the end of the input was reached */
    uint32_t members;
    uint64_t member_start;         /* compressed offset of the current member */
    bool truncated;
    uint64_t padding;              /* zero bytes after the last member */
    elog_reader_status failed;
    void *reserve;
    bool reserve_used;
} gzip_source;

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    gzip_source *g = opaque;
    if (size && items > (SIZE_MAX - ZHDR) / size)
        return Z_NULL;
    size_t n = (size_t)items * size + ZHDR;
    unsigned char *p;
    if (g->opened) {
        if (g->reserve_used || n > WINDOW_RESERVE)
            return Z_NULL; /* zlib reports Z_MEM_ERROR */
        g->reserve_used = true;
        p = g->reserve;
    } else if (!(p = bsrc_alloc(&g->base.alloc, n))) {
        return Z_NULL;
    }
    memcpy(p, &n, sizeof n);
    return p + ZHDR;
}

static void z_free(voidpf opaque, voidpf ptr)
{
    if (!ptr)
        return;
    gzip_source *g = opaque;
    unsigned char *p = (unsigned char *)ptr - ZHDR;
    if ((void *)p == g->reserve) {
        g->reserve_used = false;
        return;
    }
    size_t n;
    memcpy(&n, p, sizeof n);
    bsrc_free(&g->base.alloc, p, n);
}

/* Compressed offset of the next unconsumed input byte. */
static uint64_t in_offset(const gzip_source *g)
{
    return g->in_total - g->in_len + g->in_pos;
}

static elog_reader_status gz_fail_below(gzip_source *g, elog_reader_status st)
{
    memcpy(g->base.err, g->below->err, sizeof g->base.err);
    g->failed = st;
    return st;
}

/* Appends the next bytes from below to in[len, cap) (len < cap). Returns OK
 * with *got 0 at the end of the input. */
static elog_reader_status fill(gzip_source *g, size_t *got)
{
    elog_reader_status st = g->below->ops->read(g->below, g->in + g->in_len,
                                                g->in_cap - g->in_len, got);
    if (st)
        return gz_fail_below(g, st);
    g->in_len += *got;
    g->in_total += *got;
    return ELOG_READER_OK;
}

/* Zero bytes after a member: padding (tape blocks, preallocated files), which
 * gzip(1) ignores with a warning. Consumes them to the end of the input,
 * counting; OK with member_done still set (the end), or an error if anything
 * but zeros follows. */
static elog_reader_status skip_zero_padding(gzip_source *g)
{
    uint64_t start = in_offset(g);
    for (;;) {
        while (g->in_pos < g->in_len) {
            if (g->in[g->in_pos] != 0) {
                g->failed = bsrc_fail(&g->base, ELOG_READER_E_GZIP,
                                      "unexpected byte %02x at compressed byte %" PRIu64
                                      " after %" PRIu64 " zero bytes that follow gzip member %"
                                      PRIu32 ": expected only zero padding up to the end",
                                      g->in[g->in_pos], in_offset(g), in_offset(g) - start,
                                      g->members);
                return g->failed;
            }
            g->in_pos++;
            g->padding++;
        }
        g->in_pos = g->in_len = 0;
        size_t got;
        elog_reader_status st = fill(g, &got);
        if (st)
            return st;
        if (got == 0)
            return ELOG_READER_OK;
    }
}

/* After a member: the input ends, or another member begins. Returns OK with
 * member_done cleared when one begins, OK with it still set at the end of
 * input, or an error. */
static elog_reader_status next_member(gzip_source *g)
{
    elog_reader_status st;
    while (g->in_len - g->in_pos < 2) {
        if (g->in_pos == g->in_len) {
            g->in_pos = g->in_len = 0;
        } else if (g->in_len == g->in_cap) {
            memmove(g->in, g->in + g->in_pos, g->in_len - g->in_pos);
            g->in_len -= g->in_pos;
            g->in_pos = 0;
        }
        size_t got;
        if ((st = fill(g, &got)))
            return st;
        if (got == 0)
            break;
    }
    size_t avail = g->in_len - g->in_pos;
    if (avail == 0)
        return ELOG_READER_OK;
    const uint8_t *p = g->in + g->in_pos;
    if (p[0] == 0 && (avail < 2 || p[1] == 0))
        return skip_zero_padding(g);
    if (p[0] != 0x1f || (avail >= 2 && p[1] != 0x8b)) {
        char found[8];
        if (avail >= 2)
            snprintf(found, sizeof found, "%02x %02x", p[0], p[1]);
        else
            snprintf(found, sizeof found, "%02x", p[0]);
        g->failed = bsrc_fail(&g->base, ELOG_READER_E_GZIP,
                              "unexpected bytes %s at compressed byte %" PRIu64
                              ", after gzip member %" PRIu32
                              ": expected another member (1f 8b) or the end of the input",
                              found, in_offset(g), g->members);
        return g->failed;
    }
    if (avail < 2) { /* the input ends one byte into a new member */
        g->members++;
        g->member_start = in_offset(g);
        g->in_pos = g->in_len;
        g->truncated = true;
        return ELOG_READER_OK;
    }
    int rc = inflateReset(&g->zs);
    if (rc != Z_OK) {
        g->failed = bsrc_fail(&g->base, ELOG_READER_E_GZIP,
                              "cannot restart the gzip decompressor: %s", zError(rc));
        return g->failed;
    }
    g->member_done = false;
    g->members++;
    g->member_start = in_offset(g);
    return ELOG_READER_OK;
}

static elog_reader_status gz_read(byte_source *s, uint8_t *dst, size_t cap, size_t *len)
{
    gzip_source *g = (gzip_source *)s;
    elog_reader_status st;
    *len = 0;
    if (g->failed)
        return g->failed;
    if (cap > UINT_MAX)
        cap = UINT_MAX; /* zlib counts in uInt */
    while (!g->ended) {
        if (g->member_done) {
            if ((st = next_member(g)))
                return st;
            if (g->member_done || g->truncated) {
                g->ended = true;
                break;
            }
        }
        if (g->in_pos == g->in_len && !g->pending) {
            g->in_pos = g->in_len = 0;
            size_t got;
            if ((st = fill(g, &got)))
                return st;
            if (got == 0) {
                g->truncated = true; /* the input ends inside a member */
                g->ended = true;
                break;
            }
        }
        g->zs.next_in = g->in + g->in_pos;
        g->zs.avail_in = (uInt)(g->in_len - g->in_pos);
        g->zs.next_out = dst;
        g->zs.avail_out = (uInt)cap;
        int rc = inflate(&g->zs, Z_NO_FLUSH);
        g->in_pos = g->in_len - g->zs.avail_in;
        size_t produced = cap - g->zs.avail_out;
        g->pending = g->zs.avail_out == 0;
        switch (rc) {
        case Z_OK:
            break;
        case Z_STREAM_END:
            g->member_done = true;
            g->pending = false;
            break;
        case Z_BUF_ERROR: /* no progress possible without more input */
            g->pending = false;
            break;
        case Z_MEM_ERROR:
            g->failed = bsrc_fail(s, ELOG_READER_E_NOMEM, "out of memory in the gzip decompressor");
            return g->failed;
        default:
            /* What this call inflated is dropped: it is where zlib found the
             * data corrupt, and the corruption is better reported as such
             * than as whatever the decoder would make of those bytes. */
            g->failed = bsrc_fail(s, ELOG_READER_E_GZIP,
                                  "corrupt gzip data at compressed byte %" PRIu64
                                  " (member %" PRIu32 ", from byte %" PRIu64 "): %s",
                                  in_offset(g), g->members, g->member_start,
                                  g->zs.msg ? g->zs.msg : zError(rc));
            return g->failed;
        }
        if (produced) {
            *len = produced;
            return ELOG_READER_OK;
        }
    }
    return ELOG_READER_OK;
}

static void gz_close(byte_source *s)
{
    gzip_source *g = (gzip_source *)s;
    if (g->z_ready)
        inflateEnd(&g->zs);
    elog_allocator a = s->alloc;
    bsrc_free(&a, g->reserve, WINDOW_RESERVE);
    bsrc_free_page(&a, g->in_raw, g->in_cap);
    byte_source *below = g->below;
    bsrc_free(&a, g, sizeof *g);
    if (below)
        below->ops->close(below);
}

static void gz_describe(const byte_source *s, bsrc_desc *d)
{
    const gzip_source *g = (const gzip_source *)s;
    g->below->ops->describe(g->below, d);
    d->format = ELOG_READER_GZIP;
    d->members = g->members;
    d->truncated = g->truncated;
    d->padding = g->padding;
    if (!g->ended)
        d->eof = ELOG_READER_EOF_NONE; /* bytes below are still to be inflated */
}

static const byte_source_ops gzip_ops = {gz_read, NULL, gz_close, gz_describe};

byte_source *bsrc_gzip_open(const elog_allocator *a, byte_source *below, size_t in_cap,
                            bsrc_open_error *e)
{
    gzip_source *g = bsrc_alloc(a, sizeof *g);
    if (!g) {
        e->st = ELOG_READER_E_NOMEM;
        snprintf(e->msg, sizeof e->msg, "out of memory for the gzip decompressor");
        below->ops->close(below);
        return NULL;
    }
    memset(g, 0, sizeof *g);
    g->base.ops = &gzip_ops;
    g->base.alloc = *a;
    g->below = below;
    g->in_cap = in_cap > UINT_MAX ? UINT_MAX : in_cap;
    g->in = bsrc_alloc_page(a, g->in_cap, &g->in_raw);
    g->reserve = bsrc_alloc(a, WINDOW_RESERVE);
    if (!g->in || !g->reserve) {
        e->st = ELOG_READER_E_NOMEM;
        snprintf(e->msg, sizeof e->msg, "out of memory for the %zu-byte gzip input buffer",
                 g->in_cap);
        gz_close(&g->base);
        return NULL;
    }
    g->zs.zalloc = z_alloc;
    g->zs.zfree = z_free;
    g->zs.opaque = g;
    int rc = inflateInit2(&g->zs, 16 + MAX_WBITS); /* gzip wrapper only */
    if (rc != Z_OK) {
        e->st = rc == Z_MEM_ERROR ? ELOG_READER_E_NOMEM : ELOG_READER_E_GZIP;
        snprintf(e->msg, sizeof e->msg, "%s",
                 rc == Z_MEM_ERROR ? "out of memory for the gzip decompressor"
                                   : "cannot start the gzip decompressor");
        gz_close(&g->base);
        return NULL;
    }
    g->z_ready = true;
    g->opened = true;
    g->members = 1;
    return &g->base;
}

/*
 * The xz byte source: decompresses the source below it with liblzma, across
 * concatenated streams and the stream padding between them (as `xz -d`
 * does). Memory: the input buffer, and liblzma's state, which liblzma
 * allocates itself (malloc), bounded by XZ_MEMLIMIT: a stream whose
 * dictionary needs more is refused (`xz -9` needs about 65 MiB).
 */
#include <inttypes.h>
#include <lzma.h>
#include <stdio.h>
#include <string.h>

#include "byte_source.h"

#define XZ_MEMLIMIT ((uint64_t)128 << 20)

typedef struct xz_source {
    byte_source base;
    byte_source *below;
    lzma_stream ls;
    bool ls_ready;
    uint8_t *in;                   /* compressed bytes in[pos, len) not yet decompressed */
    void *in_raw;
    size_t in_cap, in_pos, in_len;
    uint64_t in_total;
    uint32_t streams;              /* streams begun */
    bool in_stream;                /* inside a stream: its end has not been decoded */
    uint64_t padding;              /* zero bytes since the last stream ended */
    bool pending;                  /* the last call filled its output: call it again */
    bool ended;
    bool truncated;
    elog_reader_status failed;
} xz_source;

static uint64_t in_offset(const xz_source *x)
{
    return x->in_total - x->in_len + x->in_pos;
}

static const char *lzma_text(lzma_ret rc)
{
    switch (rc) {
    case LZMA_FORMAT_ERROR: return "not in the xz format";
    case LZMA_OPTIONS_ERROR: return "unsupported compression options";
    case LZMA_DATA_ERROR: return "the compressed data are corrupt";
    case LZMA_BUF_ERROR: return "the compressed data are cut short";
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_MEMLIMIT_ERROR: return "the stream needs more than 128 MiB to decompress";
    case LZMA_UNSUPPORTED_CHECK: return "unsupported integrity check";
    default: return "internal error";
    }
}

static elog_reader_status xz_fail(xz_source *x, lzma_ret rc, uint64_t at)
{
    /* Limits and options are not corruption: say what stops us instead. */
    bool corrupt = rc != LZMA_MEMLIMIT_ERROR && rc != LZMA_OPTIONS_ERROR && rc != LZMA_MEM_ERROR &&
                   rc != LZMA_UNSUPPORTED_CHECK;
    x->failed = bsrc_fail(&x->base, rc == LZMA_MEM_ERROR ? ELOG_READER_E_NOMEM : ELOG_READER_E_GZIP,
                          "%s xz data near compressed byte %" PRIu64 " (stream %" PRIu32 "): %s",
                          corrupt ? "corrupt" : "cannot decompress the", at, x->streams,
                          lzma_text(rc));
    return x->failed;
}

static elog_reader_status bad_padding(xz_source *x)
{
    x->failed = bsrc_fail(&x->base, ELOG_READER_E_GZIP,
                          "corrupt xz data at compressed byte %" PRIu64 ": %" PRIu64
                          " bytes of stream padding after stream %" PRIu32
                          " (a multiple of 4 is expected)",
                          in_offset(x) - x->padding, x->padding, x->streams);
    return x->failed;
}

static elog_reader_status xz_read(byte_source *s, uint8_t *dst, size_t cap, size_t *len)
{
    xz_source *x = (xz_source *)s;
    *len = 0;
    if (x->failed)
        return x->failed;
    while (!x->ended) {
        if (x->in_pos == x->in_len && !x->pending) {
            size_t got;
            elog_reader_status st = x->below->ops->read(x->below, x->in, x->in_cap, &got);
            if (st) {
                memcpy(s->err, x->below->err, sizeof s->err);
                return x->failed = st;
            }
            x->in_pos = 0;
            x->in_len = got;
            x->in_total += got;
            if (got == 0) {
                x->ended = true;
                x->truncated = x->in_stream; /* the input ends inside a stream */
                if (!x->in_stream && x->padding % 4)
                    return bad_padding(x);
                break;
            }
        }
        if (!x->in_stream) {
            /* Between streams: zero bytes of padding, then another stream. */
            while (x->in_pos < x->in_len && x->in[x->in_pos] == 0) {
                x->in_pos++;
                x->padding++;
            }
            if (x->in_pos == x->in_len)
                continue;
            if (x->padding % 4)
                return bad_padding(x);
            if (x->streams > 0) {
                /* Say so at once: liblzma would wait for a whole stream
                 * header, and garbage shorter than one would pass for a
                 * cut stream. */
                static const uint8_t magic[6] = {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00};
                size_t k = x->in_len - x->in_pos < 6 ? x->in_len - x->in_pos : 6;
                if (memcmp(x->in + x->in_pos, magic, k) != 0) {
                    x->failed = bsrc_fail(s, ELOG_READER_E_GZIP,
                                          "corrupt xz data at compressed byte %" PRIu64
                                          ": unexpected bytes after stream %" PRIu32
                                          ": expected another stream (fd 37 7a 58 5a 00), "
                                          "stream padding or the end of the input",
                                          in_offset(x), x->streams);
                    return x->failed;
                }
                lzma_ret rc = lzma_stream_decoder(&x->ls, XZ_MEMLIMIT, 0);
                if (rc != LZMA_OK)
                    return xz_fail(x, rc, in_offset(x));
            }
            x->in_stream = true;
            x->streams++;
            x->padding = 0;
        }
        x->ls.next_in = x->in + x->in_pos;
        x->ls.avail_in = x->in_len - x->in_pos;
        x->ls.next_out = dst;
        x->ls.avail_out = cap;
        lzma_ret rc = lzma_code(&x->ls, LZMA_RUN);
        x->in_pos = x->in_len - x->ls.avail_in;
        size_t produced = cap - x->ls.avail_out;
        x->pending = x->ls.avail_out == 0;
        if (rc == LZMA_STREAM_END) {
            x->in_stream = false;
            x->pending = false;
        } else if (rc != LZMA_OK && rc != LZMA_BUF_ERROR) {
            return xz_fail(x, rc, in_offset(x));
        }
        if (produced) {
            *len = produced;
            return ELOG_READER_OK;
        }
    }
    return ELOG_READER_OK;
}

static void xz_close(byte_source *s)
{
    xz_source *x = (xz_source *)s;
    if (x->ls_ready)
        lzma_end(&x->ls);
    elog_allocator a = s->alloc;
    bsrc_free_page(&a, x->in_raw, x->in_cap);
    byte_source *below = x->below;
    bsrc_free(&a, x, sizeof *x);
    if (below)
        below->ops->close(below);
}

static void xz_describe(const byte_source *s, bsrc_desc *d)
{
    const xz_source *x = (const xz_source *)s;
    x->below->ops->describe(x->below, d);
    d->format = ELOG_READER_XZ;
    d->members = x->streams;
    d->truncated = x->truncated;
    if (!x->ended)
        d->eof = ELOG_READER_EOF_NONE;
}

static const byte_source_ops xz_ops = {xz_read, NULL, xz_close, xz_describe};

byte_source *bsrc_xz_open(const elog_allocator *a, byte_source *below, size_t in_cap,
                          bsrc_open_error *e)
{
    xz_source *x = bsrc_alloc(a, sizeof *x);
    if (!x) {
        e->st = ELOG_READER_E_NOMEM;
        snprintf(e->msg, sizeof e->msg, "out of memory for the xz decompressor");
        below->ops->close(below);
        return NULL;
    }
    memset(x, 0, sizeof *x);
    x->base.ops = &xz_ops;
    x->base.alloc = *a;
    x->below = below;
    x->in_cap = in_cap;
    x->in = bsrc_alloc_page(a, in_cap, &x->in_raw);
    if (!x->in) {
        e->st = ELOG_READER_E_NOMEM;
        snprintf(e->msg, sizeof e->msg, "out of memory for the %zu-byte xz input buffer", in_cap);
        xz_close(&x->base);
        return NULL;
    }
    lzma_stream init = LZMA_STREAM_INIT;
    x->ls = init;
    lzma_ret rc = lzma_stream_decoder(&x->ls, XZ_MEMLIMIT, 0);
    if (rc != LZMA_OK) {
        e->st = rc == LZMA_MEM_ERROR ? ELOG_READER_E_NOMEM : ELOG_READER_E_GZIP;
        snprintf(e->msg, sizeof e->msg, "cannot start the xz decompressor: %s", lzma_text(rc));
        xz_close(&x->base);
        return NULL;
    }
    x->ls_ready = true;
    return &x->base;
}

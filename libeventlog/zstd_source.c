/*
 * The zstd byte source: decompresses the source below it with libzstd's
 * streaming API, across concatenated frames and skippable frames (as
 * `zstd -d` does). Memory: the input buffer, and libzstd's context with the
 * frame's window, which libzstd allocates itself (malloc) and which is
 * bounded by ZSTD_WINDOWLOG_MAX_DECODE: a frame that needs a larger window
 * is refused, as `zstd -d` refuses it without --memory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "byte_source.h"

/* 2^27 = 128 MiB: libzstd's own default limit. */
#define ZSTD_WINDOWLOG_MAX_DECODE 27

typedef struct zstd_source {
    byte_source base;
    byte_source *below;
    ZSTD_DStream *ds;
    uint8_t *in;                   /* compressed bytes in[pos, len) not yet decompressed */
    void *in_raw;
    size_t in_cap, in_pos, in_len;
    uint64_t in_total;
    uint32_t frames;               /* frames begun */
    bool in_frame;                 /* inside a frame: its end has not been decoded */
    bool pending;                  /* the last call filled its output: call it again */
    bool ended;
    bool truncated;
    elog_reader_status failed;
} zstd_source;

static uint64_t in_offset(const zstd_source *z)
{
    return z->in_total - z->in_len + z->in_pos;
}

static elog_reader_status zs_read(byte_source *s, uint8_t *dst, size_t cap, size_t *len)
{
    zstd_source *z = (zstd_source *)s;
    *len = 0;
    if (z->failed)
        return z->failed;
    while (!z->ended) {
        if (z->in_pos == z->in_len && !z->pending) {
            size_t got;
            elog_reader_status st = z->below->ops->read(z->below, z->in, z->in_cap, &got);
            if (st) {
                memcpy(s->err, z->below->err, sizeof s->err);
                return z->failed = st;
            }
            z->in_pos = 0;
            z->in_len = got;
            z->in_total += got;
            if (got == 0) {
                z->truncated = z->in_frame; /* the input ends inside a frame */
                z->ended = true;
                break;
            }
        }
        if (!z->in_frame && z->in_pos < z->in_len) {
            z->in_frame = true;
            z->frames++;
        }
        ZSTD_inBuffer in = {z->in, z->in_len, z->in_pos};
        ZSTD_outBuffer out = {dst, cap, 0};
        size_t rc = ZSTD_decompressStream(z->ds, &out, &in);
        z->in_pos = in.pos;
        if (ZSTD_isError(rc)) {
            /* What this call produced is dropped, as for gzip. libzstd
             * checks a block at a time: the offset is where it stopped. */
            z->failed = bsrc_fail(s, ELOG_READER_E_GZIP,
                                  "corrupt zstd data near compressed byte %" PRIu64
                                  " (frame %" PRIu32 "): %s",
                                  in_offset(z), z->frames, ZSTD_getErrorName(rc));
            return z->failed;
        }
        z->pending = out.pos == out.size;
        if (rc == 0) /* a frame ended, and all of it was flushed */
            z->in_frame = false;
        if (out.pos) {
            *len = out.pos;
            return ELOG_READER_OK;
        }
    }
    return ELOG_READER_OK;
}

static void zs_close(byte_source *s)
{
    zstd_source *z = (zstd_source *)s;
    ZSTD_freeDStream(z->ds);
    elog_allocator a = s->alloc;
    bsrc_free_page(&a, z->in_raw, z->in_cap);
    byte_source *below = z->below;
    bsrc_free(&a, z, sizeof *z);
    if (below)
        below->ops->close(below);
}

static void zs_describe(const byte_source *s, bsrc_desc *d)
{
    const zstd_source *z = (const zstd_source *)s;
    z->below->ops->describe(z->below, d);
    d->format = ELOG_READER_ZSTD;
    d->members = z->frames;
    d->truncated = z->truncated;
    if (!z->ended)
        d->eof = ELOG_READER_EOF_NONE;
}

static const byte_source_ops zstd_ops = {zs_read, NULL, zs_close, zs_describe};

byte_source *bsrc_zstd_open(const elog_allocator *a, byte_source *below, size_t in_cap,
                            bsrc_open_error *e)
{
    zstd_source *z = bsrc_alloc(a, sizeof *z);
    if (!z) {
        e->st = ELOG_READER_E_NOMEM;
        snprintf(e->msg, sizeof e->msg, "out of memory for the zstd decompressor");
        below->ops->close(below);
        return NULL;
    }
    memset(z, 0, sizeof *z);
    z->base.ops = &zstd_ops;
    z->base.alloc = *a;
    z->below = below;
    z->in_cap = in_cap;
    z->in = bsrc_alloc_page(a, in_cap, &z->in_raw);
    z->ds = ZSTD_createDStream();
    if (!z->in || !z->ds) {
        e->st = ELOG_READER_E_NOMEM;
        snprintf(e->msg, sizeof e->msg, "out of memory for the zstd decompressor");
        zs_close(&z->base);
        return NULL;
    }
    size_t rc = ZSTD_DCtx_setParameter(z->ds, ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_MAX_DECODE);
    if (ZSTD_isError(rc)) {
        e->st = ELOG_READER_E_GZIP;
        snprintf(e->msg, sizeof e->msg, "cannot set up the zstd decompressor: %s",
                 ZSTD_getErrorName(rc));
        zs_close(&z->base);
        return NULL;
    }
    return &z->base;
}

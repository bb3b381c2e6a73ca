/*
 * libFuzzer target: the file reader's zstd and xz sources (elog_reader over
 * an fd), and the recognition of formats by magic bytes.
 *
 * Byte 0: bit 0 picks zstd or xz, bit 1 the mode, the rest buffer sizes;
 * bytes 1..2 a position. Mode 0 feeds the rest as it is (a fuzzed
 * container), with the format forced; mode 1 compresses the rest first
 * (as one frame / stream, or cut in two concatenated ones) and flips one
 * byte at the position, read with the format recognised automatically.
 * Oracle: what libzstd / liblzma themselves decompress from the same bytes
 * (concatenated frames and streams, as `zstd -d` and `xz -d` read them): if
 * they accept the whole input, the reader's pull API returns exactly it;
 * otherwise the reader's output agrees with theirs as far as both go, and
 * it ends in an error with a message or as cut short. No crash, no hang.
 */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "eventlog/reader.h"
#include "fuzz_common.h"

#define MAX_OUT (1u << 22)

typedef struct ref_out {
    uint8_t *data;
    size_t len;
    bool ok; /* the library decoded every frame / stream to its end */
} ref_out;

static void ref_zstd(const uint8_t *p, size_t n, ref_out *out)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds || n == 0) {
        ZSTD_freeDStream(ds);
        return;
    }
    ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax, 27);
    ZSTD_inBuffer in = {p, n, 0};
    size_t rc = 1;
    while (out->len < MAX_OUT) {
        ZSTD_outBuffer o = {out->data + out->len, MAX_OUT - out->len, 0};
        rc = ZSTD_decompressStream(ds, &o, &in);
        out->len += o.pos;
        if (ZSTD_isError(rc))
            break;
        if (in.pos == in.size && o.pos < o.size)
            break;
    }
    out->ok = !ZSTD_isError(rc) && rc == 0 && in.pos == in.size;
    ZSTD_freeDStream(ds);
}

static void ref_xz(const uint8_t *p, size_t n, ref_out *out)
{
    lzma_stream ls = LZMA_STREAM_INIT;
    if (n == 0 || lzma_stream_decoder(&ls, (uint64_t)128 << 20, LZMA_CONCATENATED) != LZMA_OK)
        return;
    ls.next_in = p;
    ls.avail_in = n;
    lzma_ret rc = LZMA_OK;
    while (out->len < MAX_OUT) {
        ls.next_out = out->data + out->len;
        ls.avail_out = MAX_OUT - out->len;
        rc = lzma_code(&ls, LZMA_FINISH);
        out->len = MAX_OUT - ls.avail_out;
        if (rc != LZMA_OK)
            break;
    }
    out->ok = rc == LZMA_STREAM_END;
    lzma_end(&ls);
}

static size_t compress_zstd(const uint8_t *p, size_t n, uint8_t *dst, size_t cap)
{
    size_t r = ZSTD_compress(dst, cap, p, n, 1);
    return ZSTD_isError(r) ? 0 : r;
}

static size_t compress_xz(const uint8_t *p, size_t n, uint8_t *dst, size_t cap)
{
    size_t pos = 0;
    if (lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, p, n, dst, &pos, cap) != LZMA_OK)
        return 0;
    return pos;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > (1u << 20))
        return 0;
    bool xz = data[0] & 1u;
    unsigned mode = (data[0] >> 1) & 1u;
    size_t at = ((size_t)data[1] << 8) | data[2];
    const uint8_t *body = data + 3;
    size_t len = size - 3;

    uint8_t *comp = NULL;
    size_t comp_len = len;
    if (mode == 1) {
        size_t cap = 2 * (xz ? lzma_stream_buffer_bound(len) : ZSTD_compressBound(len)) + 64;
        comp = malloc(cap);
        if (!comp)
            return 0;
        /* one frame / stream, or two when the position says so */
        size_t cut = (data[2] & 1u) ? at % (len + 1) : len;
        size_t a = xz ? compress_xz(body, cut, comp, cap) : compress_zstd(body, cut, comp, cap);
        size_t b = 0;
        if (cut < len)
            b = xz ? compress_xz(body + cut, len - cut, comp + a, cap - a)
                   : compress_zstd(body + cut, len - cut, comp + a, cap - a);
        comp_len = a + b;
        if (comp_len)
            comp[at % comp_len] ^= (uint8_t)(1u + (data[0] >> 2));
        body = comp;
    }

    ref_out ref = {malloc(MAX_OUT), 0, false};
    if (!ref.data) {
        free(comp);
        return 0;
    }
    if (xz)
        ref_xz(body, comp_len, &ref);
    else
        ref_zstd(body, comp_len, &ref);

    int fd = fuzz_memfd("fuzz_zstd_xz", body, comp_len);
    if (fd >= 0) {
        elog_reader_options o;
        elog_reader_options_init(&o);
        if (mode == 0)
            o.compression = xz ? ELOG_READER_XZ : ELOG_READER_ZSTD;
        o.read_buffer_size = 16u + (data[0] >> 2) * 37u;
        o.output_buffer_size = 16u + (data[1] & 0x7f) * 29u;
        elog_reader_status st;
        size_t got;
        bool same; /* as far as both go, the same bytes */
        elog_reader *r = fuzz_read_against(fd, &o, ref.data, ref.len, &st, &got, &same);
        elog_reader_info info;
        elog_reader_get_info(r, &info);
        bool recognised = info.format == (xz ? ELOG_READER_XZ : ELOG_READER_ZSTD);
        if (ref.ok && ref.len < MAX_OUT && recognised) {
            /* the library accepted the whole input: the reader returns exactly it */
            if (st != ELOG_READER_OK || !same || got != ref.len || info.compressed_truncated)
                abort();
        }
        if (!same && recognised)
            abort();
        elog_reader_close(r);
        close(fd);
    }
    free(ref.data);
    free(comp);
    return 0;
}

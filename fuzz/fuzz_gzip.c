/*
 * libFuzzer target: the file reader's gzip path (elog_reader over an fd).
 *
 * Byte 0 picks the mode and buffer sizes, bytes 1..2 a position. Mode 0 feeds
 * the rest to the reader as it is (a fuzzed gzip container); mode 1
 * gzip-compresses the rest first and flips one byte at the position, so
 * every part of a well-formed stream gets corrupted. Oracle: whatever zlib
 * itself inflates from the same bytes (concatenated members, then possibly
 * zero padding, as gzip does),
 * the reader's pull API must return exactly, and a stream zlib rejects must
 * end in an error with a message; no crash, no hang.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "eventlog/reader.h"
#include "fuzz_common.h"

#define MAX_OUT (1u << 22)

typedef struct inflated {
    uint8_t *data;
    size_t len;
    bool ok; /* zlib reached the end of every member and nothing followed */
} inflated;

/* Reference: inflate concatenated gzip members with zlib directly. */
static void reference(const uint8_t *p, size_t n, inflated *out)
{
    out->data = malloc(MAX_OUT);
    out->len = 0;
    out->ok = false;
    if (!out->data || n == 0) /* no member at all is not a gzip stream */
        return;
    size_t pos = 0;
    while (pos < n) {
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
            return;
        zs.next_in = (Bytef *)(p + pos);
        zs.avail_in = (uInt)(n - pos);
        int rc;
        do {
            zs.next_out = out->data + out->len;
            zs.avail_out = (uInt)(MAX_OUT - out->len);
            rc = inflate(&zs, Z_NO_FLUSH);
            out->len = MAX_OUT - zs.avail_out;
        } while (rc == Z_OK && zs.avail_out > 0 && zs.avail_in > 0);
        size_t used = (n - pos) - zs.avail_in;
        inflateEnd(&zs);
        if (rc != Z_STREAM_END)
            return;
        pos += used;
        /* Zero bytes after a member are padding, ignored (as gzip does). */
        size_t z = pos;
        while (z < n && p[z] == 0)
            z++;
        if (z == n)
            break;
    }
    out->ok = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > (1u << 20))
        return 0;
    unsigned mode = data[0] & 1u;
    size_t at = ((size_t)data[1] << 8) | data[2];
    const uint8_t *body = data + 3;
    size_t len = size - 3;

    uint8_t *gz = NULL;
    size_t gz_len = len;
    if (mode == 1) {
        gz = fuzz_gzip(body, len, 6, &gz_len);
        if (!gz)
            return 0;
        if (gz_len)
            gz[at % gz_len] ^= (uint8_t)(1u + (data[0] >> 1));
        body = gz;
    }

    inflated ref;
    reference(body, gz_len, &ref);

    int fd = fuzz_memfd("fuzz_gzip", body, gz_len);
    if (fd >= 0) {
        elog_reader_options o;
        elog_reader_options_init(&o);
        o.compression = ELOG_READER_GZIP;
        o.read_buffer_size = 16u + (data[0] >> 1) * 37u;
        o.output_buffer_size = 16u + (data[1] & 0x7f) * 29u;
        elog_reader_status st;
        size_t got;
        bool same;
        elog_reader *r = fuzz_read_against(fd, &o, ref.data, ref.len, &st, &got, &same);
        if (ref.ok && ref.len < MAX_OUT) {
            /* zlib accepted the whole input: the reader must return exactly it. */
            if (st != ELOG_READER_OK || !same || got != ref.len)
                abort();
        }
        elog_reader_close(r);
        close(fd);
    }
    free(ref.data);
    free(gz);
    return 0;
}

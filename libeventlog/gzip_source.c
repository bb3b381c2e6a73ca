/*
 * Streaming gzip for the reader: inflates r->in into r->out one buffer at a
 * time, across any number of concatenated members (RFC 1952 §2.2), with
 * zlib's allocations routed through the reader's allocator.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "reader_internal.h"

/* zlib's free does not pass the size the reader's allocator wants back:
 * keep it in a header in front of each block. */
#define ZHDR (_Alignof(max_align_t) > sizeof(size_t) ? _Alignof(max_align_t) : sizeof(size_t))

/* zlib allocates its 32 KiB window on the first inflate that produces
 * output, which may run on the read-ahead thread; the caller's allocator is
 * only ever called on the caller's thread, so that block is reserved before
 * the thread starts. */
#define WINDOW_RESERVE ((size_t)(1u << MAX_WBITS) + ZHDR)

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    elog_reader *r = opaque;
    if (size && items > (SIZE_MAX - ZHDR) / size)
        return Z_NULL;
    size_t n = (size_t)items * size + ZHDR;
    if (r->ahead) {
        if (!r->z_reserve || r->z_reserve_used || n > WINDOW_RESERVE)
            return Z_NULL; /* zlib reports Z_MEM_ERROR */
        r->z_reserve_used = true;
        memcpy(r->z_reserve, &n, sizeof n);
        return (unsigned char *)r->z_reserve + ZHDR;
    }
    unsigned char *p = elog__reader_alloc(r, n);
    if (!p)
        return Z_NULL;
    memcpy(p, &n, sizeof n);
    return p + ZHDR;
}

static void z_free(voidpf opaque, voidpf ptr)
{
    if (!ptr)
        return;
    elog_reader *r = opaque;
    unsigned char *p = (unsigned char *)ptr - ZHDR;
    if ((void *)p == r->z_reserve) {
        r->z_reserve_used = false;
        return;
    }
    size_t n;
    memcpy(&n, p, sizeof n);
    elog__reader_free(r, p, n);
}

/* Compressed offset of the next unconsumed input byte. */
static uint64_t in_offset(const elog_reader *r)
{
    return r->raw_total - r->in_len + r->in_pos;
}

elog_reader_status elog__gzip_init(elog_reader *r)
{
    if (r->z_ready)
        return ELOG_READER_OK;
    r->out = elog__reader_alloc_page(r, r->out_cap, &r->out_raw);
    if (!r->out)
        return elog__source_fail(r, ELOG_READER_E_NOMEM,
                                 "out of memory for the %zu-byte gzip output buffer", r->out_cap);
    memset(&r->zs, 0, sizeof r->zs);
    r->zs.zalloc = z_alloc;
    r->zs.zfree = z_free;
    r->zs.opaque = r;
    int rc = inflateInit2(&r->zs, 16 + MAX_WBITS); /* gzip wrapper only */
    if (rc == Z_MEM_ERROR)
        return elog__source_fail(r, ELOG_READER_E_NOMEM, "out of memory for the gzip decompressor");
    if (rc != Z_OK)
        return elog__source_fail(r, ELOG_READER_E_GZIP, "cannot start the gzip decompressor: %s",
                                 r->zs.msg ? r->zs.msg : zError(rc));
    r->z_ready = true;
    r->members = 1;
    r->member_start = in_offset(r);
    return ELOG_READER_OK;
}

bool elog__gzip_reserve(elog_reader *r)
{
    if (!r->z_reserve)
        r->z_reserve = elog__reader_alloc(r, WINDOW_RESERVE);
    return r->z_reserve != NULL;
}

void elog__gzip_free(elog_reader *r)
{
    if (r->z_ready)
        inflateEnd(&r->zs);
    r->z_ready = false;
    elog__reader_free(r, r->z_reserve, WINDOW_RESERVE);
    r->z_reserve = NULL;
    elog__reader_free_page(r, r->out_raw, r->out_cap);
    r->out = NULL;
    r->out_raw = NULL;
}

/* Zero bytes after a member: padding (tape blocks, preallocated files), which
 * gzip(1) ignores with a warning. Consumes them to the end of the input,
 * counting; OK with z_member_done still set (the end), or an error if
 * anything but zeros follows. */
static elog_reader_status skip_zero_padding(elog_reader *r)
{
    uint64_t start = in_offset(r);
    for (;;) {
        while (r->in_pos < r->in_len) {
            if (r->in[r->in_pos] != 0)
                return elog__source_fail(r, ELOG_READER_E_GZIP,
                                         "unexpected byte %02x at compressed byte %" PRIu64
                                         " after %" PRIu64 " zero bytes that follow gzip member %"
                                         PRIu32 ": expected only zero padding up to the end",
                                         r->in[r->in_pos], in_offset(r), in_offset(r) - start,
                                         r->members);
            r->in_pos++;
            r->gz_padding++;
        }
        r->in_pos = r->in_len = 0;
        ssize_t n = elog__reader_fill(r);
        if (n < 0)
            return r->src_failed;
        if (n == 0)
            return ELOG_READER_OK;
    }
}

/* After a member: the input ends, or another member begins. Returns OK with
 * r->z_member_done cleared when one begins, OK with it still set at the end
 * of input, or an error. */
static elog_reader_status next_member(elog_reader *r)
{
    while (r->in_len - r->in_pos < 2) {
        if (r->in_pos == r->in_len) {
            r->in_pos = r->in_len = 0;
        } else if (r->in_len == r->in_cap) {
            memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
            r->in_len -= r->in_pos;
            r->in_pos = 0;
        }
        ssize_t n = elog__reader_fill(r);
        if (n < 0)
            return r->src_failed;
        if (n == 0)
            break;
    }
    size_t avail = r->in_len - r->in_pos;
    if (avail == 0)
        return ELOG_READER_OK;
    const uint8_t *p = r->in + r->in_pos;
    if (p[0] == 0 && (avail < 2 || p[1] == 0))
        return skip_zero_padding(r);
    if (p[0] != 0x1f || (avail >= 2 && p[1] != 0x8b)) {
        char found[8];
        if (avail >= 2)
            snprintf(found, sizeof found, "%02x %02x", p[0], p[1]);
        else
            snprintf(found, sizeof found, "%02x", p[0]);
        return elog__source_fail(r, ELOG_READER_E_GZIP,
                                 "unexpected bytes %s at compressed byte %" PRIu64
                                 ", after gzip member %" PRIu32
                                 ": expected another member (1f 8b) or the end of the input",
                                 found, in_offset(r), r->members);
    }
    if (avail < 2) { /* the input ends one byte into a new member */
        r->members++;
        r->member_start = in_offset(r);
        r->in_pos = r->in_len;
        r->gz_truncated = true;
        return ELOG_READER_OK;
    }
    int rc = inflateReset(&r->zs);
    if (rc != Z_OK)
        return elog__source_fail(r, ELOG_READER_E_GZIP, "cannot restart the gzip decompressor: %s",
                                 zError(rc));
    r->z_member_done = false;
    r->members++;
    r->member_start = in_offset(r);
    return ELOG_READER_OK;
}

elog_reader_status elog__gzip_next(elog_reader *r, uint8_t *dst, size_t cap, size_t *len)
{
    elog_reader_status st;
    *len = 0;
    if (r->src_failed)
        return r->src_failed;
    for (;;) {
        if (r->z_member_done) {
            if ((st = next_member(r)))
                return st;
            if (r->z_member_done || r->gz_truncated)
                return ELOG_READER_OK; /* end of input */
        }
        if (r->in_pos == r->in_len && !r->z_pending) {
            r->in_pos = r->in_len = 0;
            ssize_t n = elog__reader_fill(r);
            if (n < 0)
                return r->src_failed;
            if (n == 0) {
                r->gz_truncated = true; /* the input ends inside a member */
                return ELOG_READER_OK;
            }
        }
        r->zs.next_in = r->in + r->in_pos;
        r->zs.avail_in = (uInt)(r->in_len - r->in_pos);
        r->zs.next_out = dst;
        r->zs.avail_out = (uInt)cap;
        int rc = inflate(&r->zs, Z_NO_FLUSH);
        r->in_pos = r->in_len - r->zs.avail_in;
        size_t produced = cap - r->zs.avail_out;
        r->z_pending = r->zs.avail_out == 0;
        switch (rc) {
        case Z_OK:
            break;
        case Z_STREAM_END:
            r->z_member_done = true;
            r->z_pending = false;
            break;
        case Z_BUF_ERROR: /* no progress possible without more input */
            r->z_pending = false;
            break;
        case Z_MEM_ERROR:
            return elog__source_fail(r, ELOG_READER_E_NOMEM,
                                     "out of memory in the gzip decompressor");
        default:
            /* What this call inflated is dropped: it is where zlib found the
             * data corrupt, and the corruption is better reported as such
             * than as whatever the decoder would make of those bytes. */
            return elog__source_fail(r, ELOG_READER_E_GZIP,
                                     "corrupt gzip data at compressed byte %" PRIu64
                                     " (member %" PRIu32 ", from byte %" PRIu64 "): %s",
                                     in_offset(r), r->members, r->member_start,
                                     r->zs.msg ? r->zs.msg : zError(rc));
        }
        if (produced) {
            *len = produced;
            return ELOG_READER_OK;
        }
    }
}

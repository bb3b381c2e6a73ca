/* Chunking patterns, field hashing, growable output, files and gzip input
 * shared by the fuzz targets. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz_common.h"

void fuzz_chunker_init(fuzz_chunker *c, unsigned pattern, const uint8_t seed[8])
{
    c->pattern = pattern % 7;
    c->state = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 8; i++)
        c->state = (c->state ^ seed[i]) * 0x100000001b3ull;
}

size_t fuzz_chunker_next(fuzz_chunker *c, size_t left)
{
    static const size_t fixed[] = {1, 2, 3, 7, 64, 4096};
    size_t n;
    if (c->pattern < 6) {
        n = fixed[c->pattern];
    } else {
        c->state ^= c->state << 13, c->state ^= c->state >> 7, c->state ^= c->state << 17;
        n = 1 + (size_t)(c->state % 512);
    }
    return n < left ? n : left;
}

uint64_t fuzz_hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ n;
}

uint64_t fuzz_hash_fields(const elog_event *ev)
{
    const elog_layout_info *l = ev->layout;
    uint64_t h = l->index;
    for (unsigned i = 0; i < l->n_fields; i++) {
        const elog_field_info *f = &l->fields[i];
        uint64_t v = 0;
        if (f->optional)
            h = h * 31 + elog_field_present(ev, f);
        switch (f->kind) {
        case ELOG_FIELD_U8:
        case ELOG_FIELD_U16:
        case ELOG_FIELD_U32:
        case ELOG_FIELD_U64:
            v = elog_field_uint(ev, f);
            break;
        case ELOG_FIELD_STACK: {
            elog_u32_array a = elog_field_stack(ev, f);
            for (uint32_t k = 0; k < a.count; k++)
                v = v * 31 + elog_u32_array_get(a, k);
            break;
        }
        default: {
            elog_slice s = elog_field_slice(ev, f);
            v = s.len ? fuzz_hash_bytes(s.ptr, s.len) : 0;
            break;
        }
        }
        h = (h ^ v) * 0x100000001b3ull;
    }
    return h;
}

elog_end fuzz_decode(const uint8_t *p, size_t n, unsigned options, elog_header_cb on_header,
                     elog_event_cb on_event, void *ctx)
{
    elog_settings s;
    elog_settings_init(&s);
    s.on_header = on_header;
    s.on_event = on_event;
    s.options = options;
    elog_decoder d;
    elog_decoder_init(&d, &s, ctx);
    elog_execute(&d, p, n);
    elog_end e = elog_finish(&d);
    elog_decoder_free(&d);
    return e;
}

int fuzz_sink_flush(elog_writer *w)
{
    fuzz_sink *s = w->ctx;
    if (s->len + w->len > s->cap) {
        size_t cap = (s->len + w->len) * 2 + 4096;
        char *b = realloc(s->buf, cap);
        if (b == NULL)
            abort();
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, w->buf, w->len);
    s->len += w->len;
    w->len = 0;
    return 0;
}

int fuzz_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int fuzz_memfd(const char *name, const uint8_t *p, size_t n)
{
    int fd = memfd_create(name, 0);
    if (fd < 0)
        return -1;
    if (fuzz_write_all(fd, p, n) != 0) {
        close(fd);
        return -1;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

uint8_t *fuzz_read_all(FILE *f, size_t *len)
{
    size_t cap = 1u << 16, n = 0;
    uint8_t *b = malloc(cap);
    size_t got;
    while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    *len = n;
    return b;
}

elog_reader *fuzz_read_against(int fd, const elog_reader_options *o, const uint8_t *ref,
                               size_t ref_len, elog_reader_status *st, size_t *got, bool *same)
{
    elog_reader *r = NULL;
    *st = elog_reader_open_fd(&r, fd, "fuzz", o);
    *got = 0;
    *same = true;
    while (*st == ELOG_READER_OK) {
        const uint8_t *p;
        size_t n;
        *st = elog_reader_read(r, &p, &n);
        if (*st != ELOG_READER_OK || n == 0)
            break;
        size_t k = *got < ref_len ? (ref_len - *got < n ? ref_len - *got : n) : 0;
        if (k > 0 && memcmp(ref + *got, p, k) != 0)
            *same = false;
        *got += n;
    }
    if (*st != ELOG_READER_OK && *st != ELOG_READER_PAUSED) {
        const char *msg = elog_reader_error(r);
        if (!msg || !msg[0])
            abort();
    }
    return r;
}

uint8_t *fuzz_gzip(const uint8_t *p, size_t n, int level, size_t *out_len)
{
    uLong cap = compressBound((uLong)n) + 64;
    uint8_t *gz = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (!gz || deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(gz);
        return NULL;
    }
    zs.next_in = (Bytef *)p;
    zs.avail_in = (uInt)n;
    zs.next_out = gz;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return gz;
}

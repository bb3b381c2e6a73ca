#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "eventlog/writer.h"

void synth_init(synth *s)
{
    memset(s, 0, sizeof *s);
}

void synth_free(synth *s)
{
    free(s->buf);
    memset(s, 0, sizeof *s);
}

void synth_clear(synth *s)
{
    s->len = 0;
    s->in_block = false;
    s->block_at = 0;
    s->data_offset = 0;
}

size_t synth_len(const synth *s)
{
    return s->len;
}

static void reserve(synth *s, size_t n)
{
    if (s->cap - s->len >= n)
        return;
    size_t cap = s->cap ? s->cap : 256;
    while (cap - s->len < n)
        cap *= 2;
    uint8_t *p = realloc(s->buf, cap);
    if (!p) {
        fprintf(stderr, "synth: out of memory\n");
        abort();
    }
    s->buf = p;
    s->cap = cap;
}

void synth_raw(synth *s, const void *p, size_t n)
{
    if (n == 0)
        return;
    reserve(s, n);
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

void synth_u8(synth *s, uint8_t v)
{
    synth_raw(s, &v, 1);
}

void synth_u16(synth *s, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    synth_raw(s, b, 2);
}

void synth_u32(synth *s, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    synth_raw(s, b, 4);
}

void synth_u64(synth *s, uint64_t v)
{
    synth_u32(s, (uint32_t)(v >> 32));
    synth_u32(s, (uint32_t)v);
}

void synth_cstr(synth *s, const char *str)
{
    synth_raw(s, str, strlen(str) + 1);
}

void synth_str(synth *s, const char *str)
{
    synth_raw(s, str, strlen(str));
}

void synth_put_u16_at(synth *s, size_t off, uint16_t v)
{
    s->buf[off] = (uint8_t)(v >> 8);
    s->buf[off + 1] = (uint8_t)v;
}

void synth_put_u32_at(synth *s, size_t off, uint32_t v)
{
    s->buf[off] = (uint8_t)(v >> 24);
    s->buf[off + 1] = (uint8_t)(v >> 16);
    s->buf[off + 2] = (uint8_t)(v >> 8);
    s->buf[off + 3] = (uint8_t)v;
}

void synth_header_begin(synth *s)
{
    synth_u32(s, 0x68647262u); /* hdrb */
    synth_u32(s, 0x68657462u); /* hetb */
}

void synth_type_ex(synth *s, uint16_t id, uint16_t size, const void *desc, size_t dlen,
                   const void *extra, size_t xlen)
{
    synth_u32(s, 0x65746200u); /* etb\0 */
    synth_u16(s, id);
    synth_u16(s, size);
    synth_u32(s, (uint32_t)dlen);
    synth_raw(s, desc, dlen);
    synth_u32(s, (uint32_t)xlen);
    synth_raw(s, extra, xlen);
    synth_u32(s, 0x65746500u); /* ete\0 */
}

void synth_type(synth *s, uint16_t id, uint16_t size, const char *desc)
{
    synth_type_ex(s, id, size, desc, strlen(desc), NULL, 0);
}

void synth_header_end(synth *s)
{
    synth_u32(s, 0x68657465u); /* hete */
    synth_u32(s, 0x68647265u); /* hdre */
}

void synth_data_begin(synth *s)
{
    synth_u32(s, 0x64617462u); /* datb */
    s->data_offset = s->len;
}

static int synth_sink(void *ctx, const uint8_t *p, size_t n)
{
    synth_raw(ctx, p, n);
    return 0;
}

/* The library's writer declares the catalogue (the one description of the
 * event types); the rest of synth builds bytes by hand on purpose, since the
 * tests need logs the writer would refuse to write (bad sizes, bad blocks). */
void synth_std_header(synth *s)
{
    elog_log_writer *w;
    elog_log_writer_options wo = {.flags = ELOG_LOG_WRITER_VERBATIM};
    if (elog_log_writer_open(&w, &wo, synth_sink, s) != ELOG_OK ||
        elog_log_writer_declare_catalogue(w) != ELOG_OK || elog_log_writer_begin_data(w) != ELOG_OK ||
        elog_log_writer_flush(w) != ELOG_OK) {
        fprintf(stderr, "synth: the writer failed\n");
        abort();
    }
    elog_log_writer_free(w);
    s->data_offset = s->len;
}

size_t synth_event(synth *s, uint16_t id, uint64_t time, const void *payload, size_t n)
{
    size_t at = s->len;
    synth_u16(s, id);
    synth_u64(s, time);
    synth_raw(s, payload, n);
    return at;
}

size_t synth_event_var_len(synth *s, uint16_t id, uint64_t time, uint16_t declared_len,
                           const void *payload, size_t n)
{
    size_t at = s->len;
    synth_u16(s, id);
    synth_u64(s, time);
    synth_u16(s, declared_len);
    synth_raw(s, payload, n);
    return at;
}

size_t synth_event_var(synth *s, uint16_t id, uint64_t time, const void *payload, size_t n)
{
    if (n > 0xffff) {
        fprintf(stderr, "synth: variable payload of %zu bytes\n", n);
        abort();
    }
    return synth_event_var_len(s, id, time, (uint16_t)n, payload, n);
}

size_t synth_block_marker(synth *s, uint64_t time, uint32_t block_size, uint64_t end_time,
                          uint16_t cap)
{
    size_t at = s->len;
    synth_u16(s, 18);
    synth_u64(s, time);
    synth_u32(s, block_size);
    synth_u64(s, end_time);
    synth_u16(s, cap);
    return at;
}

size_t synth_block_begin(synth *s, uint64_t time, uint16_t cap, uint64_t end_time)
{
    if (s->in_block)
        synth_block_end(s);
    size_t at = synth_block_marker(s, time, 0, end_time, cap);
    s->block_at = at;
    s->in_block = true;
    return at;
}

void synth_block_end(synth *s)
{
    if (!s->in_block)
        return;
    synth_put_u32_at(s, s->block_at + 10, (uint32_t)(s->len - s->block_at));
    s->in_block = false;
}

size_t synth_data_end(synth *s)
{
    size_t at = s->len;
    synth_u16(s, 0xffff);
    return at;
}

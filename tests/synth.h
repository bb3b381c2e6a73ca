/*
 * Builder for synthetic eventlogs in memory (docs/FORMAT.md §2-§5).
 *
 * A synth is a growable big-endian byte string with helpers for every part of
 * an eventlog: the header and its event-type records, the data section, fixed
 * and variable events, block markers (whose size is patched when the block is
 * closed), the end-of-data marker and arbitrary raw bytes. The same type serves
 * to build payloads: synth_u32(&pl, ...) then synth_event(&log, id, t, pl.buf, pl.len).
 *
 * Building never fails (aborts on out-of-memory). Offsets of everything written
 * are available through synth_len() before writing it, so tests can state the
 * exact offsets they expect.
 */
#ifndef ELOG_TEST_SYNTH_H
#define ELOG_TEST_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct synth {
    uint8_t *buf;
    size_t len, cap;
    size_t block_at;        /* offset of the open block marker */
    bool in_block;
    size_t data_offset;     /* offset after DATA_BEGIN, once written */
} synth;

void synth_init(synth *s);
void synth_free(synth *s);
void synth_clear(synth *s);            /* len = 0, keeps memory */
size_t synth_len(const synth *s);

/* Raw bytes and big-endian integers. */
void synth_raw(synth *s, const void *p, size_t n);
void synth_u8(synth *s, uint8_t v);
void synth_u16(synth *s, uint16_t v);
void synth_u32(synth *s, uint32_t v);
void synth_u64(synth *s, uint64_t v);
void synth_cstr(synth *s, const char *str);      /* with its NUL */
void synth_str(synth *s, const char *str);       /* without NUL */
void synth_put_u16_at(synth *s, size_t off, uint16_t v);
void synth_put_u32_at(synth *s, size_t off, uint32_t v);

/* Header: "hdrb" "hetb", records, "hete" "hdre"; then "datb". */
void synth_header_begin(synth *s);
/* One ET_BEGIN .. ET_END record; size ELOG_VARIABLE_SIZE (0xffff) = variable. */
void synth_type(synth *s, uint16_t id, uint16_t size, const char *desc);
void synth_type_ex(synth *s, uint16_t id, uint16_t size, const void *desc, size_t dlen,
                   const void *extra, size_t xlen);
void synth_header_end(synth *s);
void synth_data_begin(synth *s);        /* sets data_offset */

/* Header declaring every id of the catalogue with its largest layout size
 * (description = layout name), then HET_END, HEADER_END, DATA_BEGIN. */
void synth_std_header(synth *s);

/* Events. Return the record's offset. */
size_t synth_event(synth *s, uint16_t id, uint64_t time, const void *payload, size_t n);
size_t synth_event_var(synth *s, uint16_t id, uint64_t time, const void *payload, size_t n);
/* A variable event whose u16 length prefix says `declared_len`, followed by n bytes. */
size_t synth_event_var_len(synth *s, uint16_t id, uint64_t time, uint16_t declared_len,
                           const void *payload, size_t n);

/* Block markers. synth_block_begin writes a marker with a placeholder size;
 * synth_block_end patches it to the bytes written since (marker included).
 * synth_block_marker writes a marker with an explicit size (no patching). */
size_t synth_block_begin(synth *s, uint64_t time, uint16_t cap, uint64_t end_time);
void synth_block_end(synth *s);
size_t synth_block_marker(synth *s, uint64_t time, uint32_t block_size, uint64_t end_time,
                          uint16_t cap);

/* The 0xffff end-of-data marker; returns its offset. */
size_t synth_data_end(synth *s);

#endif

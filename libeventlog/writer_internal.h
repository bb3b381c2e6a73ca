/* Private glue between writer.c and the generated payload encoders
 * (encode_gen.c, from gencat.py's encode mode). */
#ifndef ELOG_WRITER_INTERNAL_H
#define ELOG_WRITER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "eventlog.h"

/* Big-endian stores to unaligned memory. */
static inline void elog__wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void elog__wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void elog__wr64(uint8_t *p, uint64_t v)
{
    elog__wr32(p, (uint32_t)(v >> 32));
    elog__wr32(p + 4, (uint32_t)v);
}

/* Writes the payload of layout `index` from `f` into p[0..cap). Returns its
 * length, or SIZE_MAX if it does not fit in cap (or a stack has more than
 * 255 entries, or index is no layout). */
size_t elog__encode_fields(unsigned index, const elog_fields *f, uint8_t *p, size_t cap)
    __attribute__((visibility("hidden")));

#endif

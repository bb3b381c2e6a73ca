/* Private glue between the generated catalogue code and the decoder. */
#ifndef ELOG_CATALOGUE_INTERNAL_H
#define ELOG_CATALOGUE_INTERNAL_H

#include "eventlog.h"

/* Big-endian reads from unaligned memory; compilers turn these into one load
 * plus a byte swap. */
static inline uint16_t elog__rd16(const uint8_t *p)
{
    return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}
static inline uint32_t elog__rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t elog__rd64(const uint8_t *p)
{
    return ((uint64_t)elog__rd32(p) << 32) | elog__rd32(p + 4);
}

extern const elog_layout_info elog__layouts[ELOG_CATALOGUE_LAYOUTS];

#endif

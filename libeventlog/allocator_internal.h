/* The allocator the library uses where the caller gives none (decoder,
 * reader, socket client): malloc and free. */
#ifndef ELOG_ALLOCATOR_INTERNAL_H
#define ELOG_ALLOCATOR_INTERNAL_H

#include "eventlog.h"

extern const elog_allocator elog__libc_allocator __attribute__((visibility("hidden")));

/* `a`, or malloc/free when it is NULL. */
static inline const elog_allocator *elog__allocator_or_libc(const elog_allocator *a)
{
    return a ? a : &elog__libc_allocator;
}

#endif

/* The default allocator (allocator_internal.h). */
#include <stdlib.h>

#include "allocator_internal.h"

static void *libc_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void libc_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    (void)size;
    free(ptr);
}

const elog_allocator elog__libc_allocator = {libc_alloc, libc_free, NULL};

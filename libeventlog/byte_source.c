/* Helpers every byte source uses (byte_source.h): allocation through the
 * reader's allocator, page-aligned buffers, error sentences. */
#include <stdarg.h>
#include <stdio.h>

#include "byte_source.h"

void *bsrc_alloc(const elog_allocator *a, size_t size)
{
    return a->alloc(a->ctx, size);
}

void bsrc_free(const elog_allocator *a, void *p, size_t size)
{
    if (p)
        a->free(a->ctx, p, size);
}

#define PAGE_ALIGN 4096u

void *bsrc_alloc_page(const elog_allocator *a, size_t size, void **raw)
{
    *raw = bsrc_alloc(a, size + PAGE_ALIGN);
    if (!*raw)
        return NULL;
    uintptr_t p = ((uintptr_t)*raw + PAGE_ALIGN - 1) & ~(uintptr_t)(PAGE_ALIGN - 1);
    return (void *)p;
}

void bsrc_free_page(const elog_allocator *a, void *raw, size_t size)
{
    bsrc_free(a, raw, size + PAGE_ALIGN);
}

elog_reader_status bsrc_fail(byte_source *s, elog_reader_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return st;
}

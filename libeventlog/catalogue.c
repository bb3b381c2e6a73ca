/* Catalogue look-ups and the string helpers every consumer of fields needs. */
#include <string.h>

#include "catalogue_internal.h"

const elog_layout_info *elog_catalogue(size_t *count)
{
    if (count)
        *count = ELOG_CATALOGUE_LAYOUTS;
    return elog__layouts;
}

const elog_layout_info *elog_catalogue_find(uint16_t id, uint16_t declared_size)
{
    /* The table is sorted by (id, size): binary search for the id, then pick
     * the largest fixed variant that fits (docs/FORMAT.md §4.2). */
    size_t lo = 0, hi = ELOG_CATALOGUE_LAYOUTS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (elog__layouts[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    const elog_layout_info *best = NULL;
    for (size_t i = lo; i < ELOG_CATALOGUE_LAYOUTS && elog__layouts[i].id == id; i++) {
        const elog_layout_info *l = &elog__layouts[i];
        bool var = l->size == ELOG_VARIABLE_SIZE;
        if (declared_size == ELOG_VARIABLE_SIZE) {
            if (var)
                return l;
        } else if (!var && l->size <= declared_size) {
            best = l;
        }
    }
    return best;
}

bool elog_strvec_next(elog_slice vec, size_t *pos, elog_slice *item)
{
    /* ghc-events strips every trailing NUL, then splits; an empty area still
     * yields one empty element. *pos == len + 1 marks the end. */
    size_t len = vec.len;
    while (len > 0 && vec.ptr[len - 1] == 0)
        len--;
    if (*pos > len)
        return false;
    const uint8_t *start = vec.ptr ? vec.ptr + *pos : NULL;
    size_t left = len - *pos;
    const uint8_t *nul = left ? memchr(start, 0, left) : NULL;
    size_t n = nul ? (size_t)(nul - start) : left;
    item->ptr = start;
    item->len = n;
    *pos += n + 1;
    return true;
}

bool elog_utf8_valid(elog_slice s)
{
    const uint8_t *p = s.ptr, *end = s.ptr + s.len;
    while (p < end) {
        uint8_t c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t n;
        uint32_t min, cp;
        if ((c & 0xe0) == 0xc0) {
            n = 2, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4, min = 0x10000, cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) < n)
            return false;
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n;
    }
    return true;
}


/* Chunking patterns and field hashing shared by the fuzz targets. */
#include <string.h>

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

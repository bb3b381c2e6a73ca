/* NDJSON export: one JSON object per event, its typed fields named as in the
 * catalogue. The constant parts of each layout's object (the type name, id
 * and field keys) are formatted once, so an event of integer fields is one
 * bounded write into the writer's buffer. */
#include "export_internal.h"

#include <stdio.h>

/* Constant text of one layout: `,"type":"NAME","id":N` then, per field,
 * `,"name":`. */
typedef struct nd_layout {
    uint32_t head;          /* arena offset of the head text */
    uint16_t head_len;
    uint16_t bound;         /* integer-only layouts: most bytes of the fields' text; else 0 */
    uint32_t keys;          /* arena offset of the first key; the keys follow each other */
    uint8_t key_len[16];
} nd_layout;

/* Constant texts are copied in fixed-size pieces (the arena is padded, the
 * room reserved is larger): a fixed-size memcpy is a few vector moves, a
 * variable one a call or a byte loop (measured: a third of the time). */
#define KEY_COPY 32u
#define HEAD_COPY 64u

typedef struct ndjson {
    elog_exporter base;
    const elog_layout_info *layouts;
    size_t n_layouts;
    nd_layout *info;
    char *arena;
    size_t arena_cap;
} ndjson;

/* The envelope's keys: a field of the same name gets a trailing '_'. */
static bool reserved(const char *name)
{
    return strcmp(name, "t") == 0 || strcmp(name, "cap") == 0 || strcmp(name, "type") == 0 ||
           strcmp(name, "id") == 0;
}

static bool is_int(elog_field_kind k)
{
    return k <= ELOG_FIELD_U64;
}

/* Formats the constant texts of every layout (twice: to measure, to fill). */
static size_t build(ndjson *n, char *out)
{
    size_t len = 0;
    char tmp[160];
    for (size_t i = 0; i < n->n_layouts; i++) {
        const elog_layout_info *l = &n->layouts[i];
        nd_layout *info = out ? &n->info[i] : NULL;
        int k = snprintf(tmp, sizeof tmp, ",\"type\":\"%s\",\"id\":%u", l->name, (unsigned)l->id);
        if (info) {
            memcpy(out + len, tmp, (size_t)k);
            info->head = (uint32_t)len;
            info->head_len = (uint16_t)k;
            info->keys = (uint32_t)(len + (size_t)k);
        }
        len += (size_t)k;
        unsigned bound = 0;
        bool ints = true;
        for (unsigned f = 0; f < l->n_fields && f < 16; f++) {
            const elog_field_info *fi = &l->fields[f];
            k = snprintf(tmp, sizeof tmp, ",\"%s%s\":", fi->name, reserved(fi->name) ? "_" : "");
            if (info) {
                memcpy(out + len, tmp, (size_t)k);
                info->key_len[f] = (uint8_t)k;
            }
            len += (size_t)k;
            bound += (unsigned)k + 20;
            if (!is_int(fi->kind))
                ints = false;
        }
        if (info)
            info->bound = ints ? (uint16_t)bound : 0;
    }
    return len;
}

static void put_field(elog_writer *w, const elog_event *ev, const elog_field_info *f)
{
    if (!elog_field_present(ev, f)) {
        EXPORT_LIT(w, "null");
        return;
    }
    switch (f->kind) {
    case ELOG_FIELD_U8:
    case ELOG_FIELD_U16:
    case ELOG_FIELD_U32:
    case ELOG_FIELD_U64:
        elog__put_dec(w, elog_field_uint(ev, f));
        return;
    case ELOG_FIELD_CSTR:
    case ELOG_FIELD_TEXT:
        export_json_string(w, elog_field_slice(ev, f), false);
        return;
    case ELOG_FIELD_LATIN1:
        export_json_string(w, elog_field_slice(ev, f), true);
        return;
    case ELOG_FIELD_BYTES:
        export_json_hex(w, elog_field_slice(ev, f));
        return;
    case ELOG_FIELD_STRVEC: {
        elog_slice vec = elog_field_slice(ev, f), item;
        size_t pos = 0;
        bool first = true;
        EXPORT_LIT(w, "[");
        while (elog_strvec_next(vec, &pos, &item)) {
            if (!first)
                EXPORT_LIT(w, ",");
            first = false;
            export_json_string(w, item, false);
        }
        EXPORT_LIT(w, "]");
        return;
    }
    case ELOG_FIELD_STACK: {
        elog_u32_array a = elog_field_stack(ev, f);
        EXPORT_LIT(w, "[");
        for (uint32_t i = 0; i < a.count; i++) {
            if (i > 0)
                EXPORT_LIT(w, ",");
            elog__put_dec(w, elog_u32_array_get(a, i));
        }
        EXPORT_LIT(w, "]");
        return;
    }
    }
}

/* `{"t":T,"cap":C` into p (at most 48 bytes). */
static inline char *put_envelope(char *p, const elog_event *ev)
{
    memcpy(p, "{\"t\":", 5);
    p = elog__fmt_dec(p + 5, ev->time);
    memcpy(p, ",\"cap\":", 7);
    p += 7;
    if (ev->cap == ELOG_NO_CAP) {
        memcpy(p, "null", 4);
        return p + 4;
    }
    return elog__fmt_dec(p, ev->cap);
}

static elog_status nd_event(elog_exporter *x, const elog_event *ev)
{
    ndjson *n = (ndjson *)x;
    elog_writer *w = x->w;
    x->count++;
    const elog_layout_info *l = ev->layout;
    if (l == NULL) {
        char *p = export_room(w, 64);
        if (p) {
            export_commit(w, put_envelope(p, ev));
        } else {
            char b[64];
            elog__put_lit(w, b, (size_t)(put_envelope(b, ev) - b));
        }
        EXPORT_LIT(w, ",\"type\":null,\"id\":");
        elog__put_dec(w, ev->id);
        EXPORT_LIT(w, ",\"description\":");
        export_json_string(w, ev->type ? ev->type->description : (elog_slice){NULL, 0}, false);
        EXPORT_LIT(w, ",\"payload\":");
        export_json_hex(w, ev->payload);
        EXPORT_LIT(w, "}\n");
        return ELOG_OK;
    }
    const nd_layout *info = &n->info[l->index];
    const char *keys = n->arena + info->keys;
    if (info->bound || l->n_fields == 0) {
        char *p = export_room(w, 56u + HEAD_COPY + info->bound + KEY_COPY);
        if (p) {
            p = put_envelope(p, ev);
            if (info->head_len <= HEAD_COPY)
                memcpy(p, n->arena + info->head, HEAD_COPY);
            else
                memcpy(p, n->arena + info->head, info->head_len);
            p += info->head_len;
            for (unsigned f = 0; f < l->n_fields; f++) {
                const elog_field_info *fi = &l->fields[f];
                if (info->key_len[f] <= KEY_COPY)
                    memcpy(p, keys, KEY_COPY);
                else
                    memcpy(p, keys, info->key_len[f]);
                p += info->key_len[f];
                keys += info->key_len[f];
                if (elog_field_present(ev, fi)) {
                    p = elog__fmt_dec(p, elog_field_uint(ev, fi));
                } else {
                    memcpy(p, "null", 4);
                    p += 4;
                }
            }
            p[0] = '}';
            p[1] = '\n';
            export_commit(w, p + 2);
            return ELOG_OK;
        }
    }
    char b[64];
    elog__put_lit(w, b, (size_t)(put_envelope(b, ev) - b));
    elog__put_lit(w, n->arena + info->head, info->head_len);
    for (unsigned f = 0; f < l->n_fields; f++) {
        elog__put_lit(w, keys, info->key_len[f]);
        keys += info->key_len[f];
        put_field(w, ev, &l->fields[f]);
    }
    EXPORT_LIT(w, "}\n");
    return ELOG_OK;
}

static elog_status nd_finish(elog_exporter *x)
{
    (void)x;
    return ELOG_OK;
}

static void nd_release(elog_exporter *x)
{
    ndjson *n = (ndjson *)x;
    export_free(x, n->info, n->n_layouts * sizeof *n->info);
    export_free(x, n->arena, n->arena_cap);
    export_free(x, n, sizeof *n);
}

static const export_ops nd_ops = {NULL, nd_event, nd_finish, nd_release};

elog_exporter *export_ndjson_new(const elog_allocator *a)
{
    ndjson *n = (ndjson *)export_state_new(a, sizeof(ndjson), &nd_ops);
    if (n == NULL)
        return NULL;
    n->layouts = elog_catalogue(&n->n_layouts);
    n->arena_cap = build(n, NULL) + HEAD_COPY;
    n->info = export_alloc(&n->base, n->n_layouts * sizeof *n->info);
    n->arena = export_alloc(&n->base, n->arena_cap);
    if (n->info == NULL || n->arena == NULL) {
        nd_release(&n->base);
        return NULL;
    }
    build(n, n->arena);
    return &n->base;
}

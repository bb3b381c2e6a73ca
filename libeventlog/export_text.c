/* Output helpers shared by the exporters: JSON strings from eventlog text
 * (which need not be valid UTF-8), microsecond timestamps, the bounded name
 * tables for thread labels and cost centres. */
#include "export_internal.h"

/* 1: the ASCII byte goes out as it is. */
static const uint8_t json_plain[128] = {
    ['"'] = 0, ['\\'] = 0,
#define R(a) [a] = 1
    R(' '), R('!'), R('#'), R('$'), R('%'), R('&'), R('\''), R('('), R(')'), R('*'), R('+'),
    R(','), R('-'), R('.'), R('/'), R('0'), R('1'), R('2'), R('3'), R('4'), R('5'), R('6'),
    R('7'), R('8'), R('9'), R(':'), R(';'), R('<'), R('='), R('>'), R('?'), R('@'), R('A'),
    R('B'), R('C'), R('D'), R('E'), R('F'), R('G'), R('H'), R('I'), R('J'), R('K'), R('L'),
    R('M'), R('N'), R('O'), R('P'), R('Q'), R('R'), R('S'), R('T'), R('U'), R('V'), R('W'),
    R('X'), R('Y'), R('Z'), R('['), R(']'), R('^'), R('_'), R('`'), R('a'), R('b'), R('c'),
    R('d'), R('e'), R('f'), R('g'), R('h'), R('i'), R('j'), R('k'), R('l'), R('m'), R('n'),
    R('o'), R('p'), R('q'), R('r'), R('s'), R('t'), R('u'), R('v'), R('w'), R('x'), R('y'),
    R('z'), R('{'), R('|'), R('}'), R('~'), R(127),
#undef R
};

static void put_escape(elog_writer *w, uint8_t c)
{
    char b[6] = {'\\', 'u', '0', '0', "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]};
    switch (c) {
    case '"': EXPORT_LIT(w, "\\\""); return;
    case '\\': EXPORT_LIT(w, "\\\\"); return;
    case '\n': EXPORT_LIT(w, "\\n"); return;
    case '\t': EXPORT_LIT(w, "\\t"); return;
    case '\r': EXPORT_LIT(w, "\\r"); return;
    default: elog__put_lit(w, b, 6); return;
    }
}

/* A code point 0x80..0xff as UTF-8. */
void export_put_high_byte(elog_writer *w, uint8_t c)
{
    char b[2] = {(char)(0xc0 | (c >> 6)), (char)(0x80 | (c & 0x3f))};
    elog__put_lit(w, b, 2);
}

void export_json_text(elog_writer *w, elog_slice s, bool latin1)
{
    const uint8_t *p = s.ptr, *end = s.ptr + s.len;
    while (p < end) {
        /* The run of bytes that need nothing, copied at once. */
        const uint8_t *q = p;
        while (q < end && *q < 0x80 && json_plain[*q])
            q++;
        if (q > p) {
            elog__put_lit(w, (const char *)p, (size_t)(q - p));
            p = q;
            if (p == end)
                break;
        }
        uint8_t c = *p;
        if (c < 0x80) {
            put_escape(w, c);
            p++;
        } else if (latin1) {
            export_put_high_byte(w, c);
            p++;
        } else {
            size_t n = export_utf8_multi(p, end);
            if (n) {
                elog__put_lit(w, (const char *)p, n);
                p += n;
            } else {
                export_put_high_byte(w, c);
                p++;
            }
        }
    }
}

void export_json_string(elog_writer *w, elog_slice s, bool latin1)
{
    EXPORT_LIT(w, "\"");
    export_json_text(w, s, latin1);
    EXPORT_LIT(w, "\"");
}

void export_json_hex(elog_writer *w, elog_slice s)
{
    EXPORT_LIT(w, "\"");
    for (size_t i = 0; i < s.len; i++) {
        char b[2] = {"0123456789abcdef"[s.ptr[i] >> 4], "0123456789abcdef"[s.ptr[i] & 15]};
        elog__put_lit(w, b, 2);
    }
    EXPORT_LIT(w, "\"");
}

void export_put_us(elog_writer *w, uint64_t ns)
{
    char b[32];
    char *p = elog__fmt_dec(b, ns / 1000u);
    unsigned f = (unsigned)(ns % 1000u);
    p[0] = '.';
    p[1] = (char)('0' + f / 100u);
    p[2] = (char)('0' + f / 10u % 10u);
    p[3] = (char)('0' + f % 10u);
    elog__put_lit(w, b, (size_t)(p + 4 - b));
}

/* ------------------------------------------------------------- name tables */

static size_t slot_of(uint32_t id, size_t slots)
{
    return (size_t)((id * 0x9e3779b1u) >> 7) & (slots - 1);
}

static bool grow(elog_exporter *x, export_names *t)
{
    size_t n = t->slots ? t->slots * 2 : 256;
    uint32_t *keys = export_alloc(x, n * sizeof *keys);
    uint32_t *offs = export_alloc(x, n * sizeof *offs);
    uint16_t *lens = export_alloc(x, n * sizeof *lens);
    if (!keys || !offs || !lens) {
        export_free(x, keys, n * sizeof *keys);
        export_free(x, offs, n * sizeof *offs);
        export_free(x, lens, n * sizeof *lens);
        return false;
    }
    for (size_t i = 0; i < t->slots; i++) {
        if (t->keys[i] == 0)
            continue;
        size_t j = slot_of(t->keys[i] - 1, n);
        while (keys[j])
            j = (j + 1) & (n - 1);
        keys[j] = t->keys[i];
        offs[j] = t->offs[i];
        lens[j] = t->lens[i];
    }
    export_free(x, t->keys, t->slots * sizeof *t->keys);
    export_free(x, t->offs, t->slots * sizeof *t->offs);
    export_free(x, t->lens, t->slots * sizeof *t->lens);
    t->keys = keys, t->offs = offs, t->lens = lens, t->slots = n;
    return true;
}

bool export_names_set(elog_exporter *x, export_names *t, uint32_t id, elog_slice name)
{
    size_t len = name.len > 1024 ? 1024 : name.len;
    if (t->arena == NULL) {
        t->arena = export_alloc(x, ELOG_EXPORT_LABEL_BUDGET);
        if (t->arena == NULL)
            return false;
        t->arena_cap = ELOG_EXPORT_LABEL_BUDGET;
    }
    if (t->arena_len + len > t->arena_cap || t->used >= EXPORT_NAMES_MAX)
        return true;                    /* over budget: named by id */
    if ((t->used + 1) * 2 > t->slots && !grow(x, t))
        return false;
    size_t j = slot_of(id, t->slots);
    while (t->keys[j] && t->keys[j] != id + 1)
        j = (j + 1) & (t->slots - 1);
    if (t->keys[j] == 0)
        t->used++;
    t->keys[j] = id + 1;
    t->offs[j] = (uint32_t)t->arena_len;
    t->lens[j] = (uint16_t)len;
    if (len)
        memcpy(t->arena + t->arena_len, name.ptr, len);
    t->arena_len += len;
    return true;
}

elog_slice export_names_get(const export_names *t, uint32_t id)
{
    elog_slice s = {NULL, 0};
    if (t->slots == 0)
        return s;
    size_t j = slot_of(id, t->slots);
    while (t->keys[j]) {
        if (t->keys[j] == id + 1) {
            s.ptr = (const uint8_t *)t->arena + t->offs[j];
            s.len = t->lens[j];
            return s;
        }
        j = (j + 1) & (t->slots - 1);
    }
    return s;
}

void export_names_free(elog_exporter *x, export_names *t)
{
    export_free(x, t->keys, t->slots * sizeof *t->keys);
    export_free(x, t->offs, t->slots * sizeof *t->offs);
    export_free(x, t->lens, t->slots * sizeof *t->lens);
    export_free(x, t->arena, t->arena_cap);
    memset(t, 0, sizeof *t);
}

size_t export_stop_reason(char *buf, uint16_t status, uint32_t info)
{
    return (size_t)(elog__fmt_stop_status(buf, status, info) - buf);
}

size_t export_stack_label(const export_names *ccs, elog_u32_array stack, char *buf, size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < stack.count; i++) {
        uint32_t id = elog_u32_array_get(stack, i);
        elog_slice name = export_names_get(ccs, id);
        char tmp[24];
        if (name.ptr == NULL) {
            name.ptr = (const uint8_t *)tmp;
            name.len = (size_t)(elog__fmt_dec(tmp, id) - tmp);
        }
        size_t need = name.len + (i > 0);
        if (n + need > cap)
            break;
        if (i > 0)
            buf[n++] = '/';
        memcpy(buf + n, name.ptr, name.len);
        n += name.len;
    }
    return n;
}

bool export_grow(elog_exporter *x, void **arr, size_t *n, size_t elem, size_t need,
                 void (*init)(void *item))
{
    if (need <= *n)
        return true;
    size_t m = *n ? *n : 4;
    while (m < need)
        m *= 2;
    uint8_t *p = export_alloc(x, m * elem);
    if (p == NULL)
        return false;
    if (*n)
        memcpy(p, *arr, *n * elem);
    for (size_t i = *n; i < m && init; i++)
        init(p + i * elem);
    export_free(x, *arr, *n * elem);
    *arr = p;
    *n = m;
    return true;
}

/*
 * `ghc-events show` text: the writer, the value formatters the generated
 * per-layout writers call (show_gen.c), and the header/event line frames.
 * Where ghc-events would abort on a value (unknown stop status, breakdown,
 * Eden tag, invalid UTF-8) we print a readable fallback instead.
 */
#include <string.h>

#include "catalogue_internal.h"
#include "show_internal.h"

/* ---------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------- */

void elog_writer_init(elog_writer *w, char *buf, size_t cap, int (*flush)(elog_writer *w),
                      void *ctx)
{
    w->buf = buf;
    w->len = 0;
    w->cap = cap;
    w->flush = flush;
    w->ctx = ctx;
    w->failed = false;
    w->dropped = 0;
}

void elog_writer_put(elog_writer *w, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        if (w->len == w->cap) {
            if (w->failed || !w->flush) {
                w->dropped += n;
                return;
            }
            if (w->flush(w) != 0 || w->len == w->cap) {
                w->failed = true;
                w->dropped += n;
                return;
            }
        }
        size_t room = w->cap - w->len;
        size_t k = n < room ? n : room;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        s += k;
        n -= k;
    }
}

int elog_writer_flush(elog_writer *w)
{
    if (w->failed)
        return -1;
    if (w->len == 0)
        return 0;
    if (!w->flush || w->flush(w) != 0) {
        w->failed = true;
        return -1;
    }
    return 0;
}

static inline void put_byte(elog_writer *w, char c)
{
    if (w->len < w->cap)
        w->buf[w->len++] = c;
    else
        elog_writer_put(w, &c, 1);
}

void elog__put_lit(elog_writer *w, const char *s, size_t n)
{
    if (w->cap - w->len >= n) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
    } else {
        elog_writer_put(w, s, n);
    }
}

#define PUT_STR(w, s) elog__put_lit((w), (s), sizeof(s) - 1)

/* Two digits per division: decimal numbers (timestamps above all) are most
 * of what `show` prints. */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

void elog__put_dec(elog_writer *w, uint64_t v)
{
    char tmp[20];
    size_t i = sizeof tmp;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        tmp[--i] = digit_pairs[2 * r + 1];
        tmp[--i] = digit_pairs[2 * r];
    }
    if (v >= 10) {
        tmp[--i] = digit_pairs[2 * v + 1];
        tmp[--i] = digit_pairs[2 * v];
    } else {
        tmp[--i] = (char)('0' + v);
    }
    elog__put_lit(w, tmp + i, sizeof tmp - i);
}

void elog__put_hex(elog_writer *w, uint64_t v)
{
    char tmp[16];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    elog__put_lit(w, tmp + i, sizeof tmp - i);
}

static void put_utf8(elog_writer *w, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    elog__put_lit(w, b, n);
}

/* Length of the well-formed UTF-8 sequence at p (its code point in *cp), or 0
 * if the byte at p does not start one. */
static size_t utf8_seq(const uint8_t *p, const uint8_t *end, uint32_t *cp)
{
    uint8_t c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t min, v;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80, v = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        n = 3, min = 0x800, v = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000, v = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

void elog__put_latin1(elog_writer *w, elog_slice s)
{
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < 0x80)
            put_byte(w, (char)s.ptr[i]);
        else
            put_utf8(w, s.ptr[i]);
    }
}

/* Haskell `show` of one string (SHOW-FORMAT.md §7). Invalid UTF-8 bytes, which
 * ghc-events rejects, are shown as the code point of the byte. */
static void put_hs_string(elog_writer *w, elog_slice s)
{
    static const char *const names[32] = {
        "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "a",  "b",  "t",  "n",
        "v",   "f",   "r",   "SO",  "SI",  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK",
        "SYN", "ETB", "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};
    const uint8_t *p = s.ptr, *end = s.ptr + s.len;
    put_byte(w, '"');
    while (p < end) {
        uint32_t cp;
        size_t n = utf8_seq(p, end, &cp);
        if (n == 0)
            cp = *p, n = 1;
        p += n;
        if (cp == '"') {
            PUT_STR(w, "\\\"");
        } else if (cp == '\\') {
            PUT_STR(w, "\\\\");
        } else if (cp >= 0x20 && cp < 0x7f) {
            put_byte(w, (char)cp);
        } else if (cp < 0x20) {
            put_byte(w, '\\');
            elog__put_lit(w, names[cp], strlen(names[cp]));
            if (cp == 0x0e && p < end && *p == 'H')
                PUT_STR(w, "\\&");
        } else if (cp == 0x7f) {
            PUT_STR(w, "\\DEL");
        } else {
            put_byte(w, '\\');
            elog__put_dec(w, cp);
            if (p < end && *p >= '0' && *p <= '9')
                PUT_STR(w, "\\&");
        }
    }
    put_byte(w, '"');
}

void elog__put_hs_list(elog_writer *w, elog_slice vec)
{
    size_t pos = 0;
    elog_slice item;
    bool first = true;
    put_byte(w, '[');
    while (elog_strvec_next(vec, &pos, &item)) {
        if (!first)
            put_byte(w, ',');
        first = false;
        put_hs_string(w, item);
    }
    put_byte(w, ']');
}

void elog__put_bin(elog_writer *w, elog_slice s)
{
    const uint8_t *p = s.ptr, *end = s.ptr + s.len;
    while (p < end) {
        uint32_t cp;
        size_t n = utf8_seq(p, end, &cp);
        if (n == 0) {
            put_byte(w, '.');
            p++;
            continue;
        }
        bool printable = cp < 0x80 ? (cp >= 0x20 && cp < 0x7f) : elog__is_print(cp);
        if (printable)
            elog__put_lit(w, (const char *)p, n);
        else
            put_byte(w, '.');
        p += n;
    }
}

void elog__put_leading_num(elog_writer *w, elog_slice s)
{
    size_t n = 0;
    while (n < s.len && s.ptr[n] >= '0' && s.ptr[n] <= '9')
        n++;
    if (n == 0) {
        /* ghc-events fails here; show the text as it is. */
        elog_writer_put(w, s.ptr, s.len);
        return;
    }
    size_t z = 0;
    while (z + 1 < n && s.ptr[z] == '0')
        z++;
    elog_writer_put(w, s.ptr + z, n - z);
}

void elog__put_stack(elog_writer *w, elog_u32_array a)
{
    for (uint32_t i = 0; i < a.count; i++) {
        if (i)
            PUT_STR(w, ", ");
        elog__put_dec(w, elog_u32_array_get(a, i));
    }
}

void elog__put_stop_status(elog_writer *w, uint16_t status, uint32_t info)
{
    switch (status) {
    case 0:
    case 19: PUT_STR(w, "No stop thread status"); return;
    case 1: PUT_STR(w, "heap overflow"); return;
    case 2:
        PUT_STR(w, "stack overflow, size ");
        elog__put_dec(w, info);
        return;
    case 3: PUT_STR(w, "thread yielding"); return;
    case 5: PUT_STR(w, "thread finished"); return;
    case 6: PUT_STR(w, "making a foreign call"); return;
    case 7: PUT_STR(w, "blocked on an MVar"); return;
    case 8:
        PUT_STR(w, "blocked on black hole owned by thread ");
        elog__put_dec(w, info);
        return;
    case 9: PUT_STR(w, "blocked on I/O read"); return;
    case 10: PUT_STR(w, "blocked on I/O write"); return;
    case 11: PUT_STR(w, "blocked on threadDelay"); return;
    case 12: PUT_STR(w, "blocked in STM retry"); return;
    case 13: PUT_STR(w, "blocked on asyncDoProc"); return;
    case 18: PUT_STR(w, "blocked in throwTo"); return;
    case 20: PUT_STR(w, "blocked reading an MVar"); return;
    default:
        /* ghc-events aborts (mkStat) on these. */
        PUT_STR(w, "unknown stop status ");
        elog__put_dec(w, status);
        return;
    }
}

void elog__put_capset_type(elog_writer *w, uint16_t type)
{
    switch (type) {
    case 1: PUT_STR(w, "CapsetCustom"); return;
    case 2: PUT_STR(w, "CapsetOsProcess"); return;
    case 3: PUT_STR(w, "CapsetClockDomain"); return;
    default: PUT_STR(w, "CapsetUnknown"); return;
    }
}

void elog__put_breakdown(elog_writer *w, uint32_t breakdown)
{
    static const char *const names[] = {NULL,          "cost centre", "module",
                                        "closure description", "type description",
                                        "retainer",    "biography",   "closure type",
                                        "info table",  "era"};
    if (breakdown >= 1 && breakdown <= 9) {
        elog__put_lit(w, names[breakdown], strlen(names[breakdown]));
    } else {
        PUT_STR(w, "unknown breakdown ");
        elog__put_dec(w, breakdown);
    }
}

void elog__put_eden_tag(elog_writer *w, uint8_t tag)
{
    static const char *const names[] = {"Ready",   "NewPE",  "PETIDS", "Finish", "FailPE",
                                        "RFork",   "Connect", "DataMes", "Head",  "Constr",
                                        "Part",    "Terminate", "Packet"};
    unsigned i = (uint8_t)(tag - 0x50);
    if (i < sizeof names / sizeof names[0]) {
        elog__put_lit(w, names[i], strlen(names[i]));
    } else {
        PUT_STR(w, "unknown tag ");
        elog__put_dec(w, tag);
    }
}

void elog__put_heap_filters(elog_writer *w, const elog_ev_heap_prof_begin *b)
{
    const elog_slice f[] = {b->module,      b->closure_descr,     b->type_descr, b->cost_centre,
                            b->cost_centre_stack, b->retainer, b->biography};
    bool any = false;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        any = any || f[i].len > 0;
    if (!any)
        return;
    PUT_STR(w, " filtered by ");
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (f[i].len) {
            elog_writer_put(w, f[i].ptr, f[i].len);
            PUT_STR(w, ", ");
        }
    }
}

/* ---------------------------------------------------------------------------
 * Lines
 * ------------------------------------------------------------------------- */

void elog_show_header(elog_writer *w, const elog_header *h)
{
    PUT_STR(w, "Event Types:\n");
    for (size_t i = 0; i < h->n_types; i++) {
        const elog_event_type *t = &h->types[i];
        elog__put_dec(w, t->id);
        PUT_STR(w, ": ");
        elog_writer_put(w, t->description.ptr, t->description.len);
        if (t->size == ELOG_VARIABLE_SIZE) {
            PUT_STR(w, " (size variable)\n");
        } else {
            PUT_STR(w, " (size ");
            elog__put_dec(w, t->size);
            PUT_STR(w, ")\n");
        }
    }
    PUT_STR(w, "\nEvents:\n");
}

void elog_show_event_text(elog_writer *w, const elog_event *ev)
{
    if (ev->layout)
        elog__show_fns[ev->layout->index](w, ev);
    else
        elog_writer_put(w, ev->type->description.ptr, ev->type->description.len);
}

void elog_show_event(elog_writer *w, const elog_event *ev)
{
    elog__put_dec(w, ev->time);
    PUT_STR(w, ": ");
    if (ev->cap != ELOG_NO_CAP) {
        PUT_STR(w, "cap ");
        elog__put_dec(w, ev->cap);
        PUT_STR(w, ": ");
    }
    elog_show_event_text(w, ev);
    put_byte(w, '\n');
}

size_t elog_show_event_to(char *buf, size_t cap, const elog_event *ev)
{
    elog_writer w;
    elog_writer_init(&w, buf, cap, NULL, NULL);
    elog_show_event(&w, ev);
    return w.len + (size_t)w.dropped;
}

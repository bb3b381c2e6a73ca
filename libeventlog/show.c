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

/* Two digits at a time: decimal numbers (timestamps above all) are most of
 * what `show` prints. */
const char elog__digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Digits by fixed-point arithmetic (no division loop): FP(x, k) is x / k in
 * 32.32 fixed point, rounded up enough that multiplying its fraction by 100
 * yields the next two digits in the integer part, exactly, as used below:
 * k = 100 for x < 10^4, 10^4 for x < 10^6, 10^6 for x < 10^8 (each checked
 * exhaustively against printf). */
#define FP(x, k) ((((uint64_t)(x) * ((UINT64_C(1) << 48) / (k) + 1u)) >> 16) + 1u)
#define PAIR(p, y) memcpy((p), elog__digit_pairs + 2 * ((y) >> 32), 2)
#define NEXT(y) ((y) = (uint64_t)(uint32_t)(y) * 100u)

/* The integer part of y: one digit, or two if `two`. */
static inline char *lead(char *p, uint64_t y, bool two)
{
    if (two) {
        PAIR(p, y);
        return p + 2;
    }
    *p = (char)('0' + (y >> 32));
    return p + 1;
}

/* x < 1e8, without leading zeros. */
static inline char *fmt_lt1e8(char *p, uint32_t x)
{
    if (x < 100) {
        memcpy(p, elog__digit_pairs + 2 * x + (x < 10), 2);
        return p + 1 + (x >= 10);
    }
    if (x < 10000) {
        uint64_t y = FP(x, 100u);
        p = lead(p, y, x >= 1000);
        NEXT(y);
        PAIR(p, y);
        return p + 2;
    }
    if (x < 1000000) {
        uint64_t y = FP(x, 10000u);
        p = lead(p, y, x >= 100000);
        NEXT(y);
        PAIR(p, y);
        NEXT(y);
        PAIR(p + 2, y);
        return p + 4;
    }
    uint64_t y = FP(x, 1000000u);
    p = lead(p, y, x >= 10000000);
    NEXT(y);
    PAIR(p, y);
    NEXT(y);
    PAIR(p + 2, y);
    NEXT(y);
    PAIR(p + 4, y);
    return p + 6;
}

/* x < 100^pairs as exactly 2 * pairs digits, for pairs 3 or 4 (the scales
 * FP is exact for); always called with a constant `pairs`. */
static inline __attribute__((always_inline)) char *fmt_pairs(char *p, uint32_t x,
                                                             unsigned pairs)
{
    uint64_t y = pairs == 4 ? FP(x, 1000000u) : FP(x, 10000u);
    PAIR(p, y);
    NEXT(y);
    PAIR(p + 2, y);
    NEXT(y);
    PAIR(p + 4, y);
    if (pairs == 4) {
        NEXT(y);
        PAIR(p + 6, y);
    }
    return p + 2 * pairs;
}

/* x < 1e8 as exactly eight digits. */
static inline char *fmt8(char *p, uint32_t x)
{
    return fmt_pairs(p, x, 4);
}

/* x < 1e6 as exactly six digits. */
static inline char *fmt6(char *p, uint32_t x)
{
    return fmt_pairs(p, x, 3);
}

char *elog__fmt_dec_big(char *p, uint64_t v)
{
    if (v < 100000000u)
        return fmt_lt1e8(p, (uint32_t)v);
    uint64_t hi = v / 100000000u;
    uint32_t lo = (uint32_t)(v - hi * 100000000u);
    if (hi < 100000000u) {
        p = fmt_lt1e8(p, (uint32_t)hi);
    } else {
        uint64_t top = hi / 100000000u; /* <= 1844 */
        p = fmt_lt1e8(p, (uint32_t)top);
        p = fmt8(p, (uint32_t)(hi - top * 100000000u));
    }
    return fmt8(p, lo);
}

/* Appends tmp[0, end - tmp), which a pointer writer just filled. */
static void put_formatted(elog_writer *w, const char *tmp, const char *end)
{
    elog__put_lit(w, tmp, (size_t)(end - tmp));
}

void elog__put_dec(elog_writer *w, uint64_t v)
{
    char tmp[24];
    put_formatted(w, tmp, elog__fmt_dec(tmp, v));
}

char *elog__fmt_hex(char *p, uint64_t v)
{
    char tmp[16];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    memcpy(p, tmp + i, sizeof tmp - i);
    return p + (sizeof tmp - i);
}

void elog__put_hex(elog_writer *w, uint64_t v)
{
    char tmp[16];
    put_formatted(w, tmp, elog__fmt_hex(tmp, v));
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
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    return elog__utf8_multi(p, end, cp);
}

char *elog__fmt_latin1(char *p, elog_slice s)
{
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if (c < 0x80) {
            *p++ = (char)c;
        } else {
            *p++ = (char)(0xc0 | (c >> 6));
            *p++ = (char)(0x80 | (c & 0x3f));
        }
    }
    return p;
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

/* Haskell `show` of one string (docs/SHOW-FORMAT.md §7). Invalid UTF-8 bytes, which
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

/* ", {v}" for v < 128, padded to eight bytes, and its length. */
#define SEP_DIGIT1(v) (char)((v) < 10 ? '0' + (v) : (v) < 100 ? '0' + (v) / 10 : '1')
#define SEP_DIGIT2(v) (char)((v) < 10 ? 0 : (v) < 100 ? '0' + (v) % 10 : '0' + (v) / 10 % 10)
#define SEP_DIGIT3(v) (char)((v) < 100 ? 0 : '0' + (v) % 10)
#define SEP_SMALL(v) {',', ' ', SEP_DIGIT1(v), SEP_DIGIT2(v), SEP_DIGIT3(v), 0, 0, 0}
#define SEP_SMALL8(t)                                                                 \
    SEP_SMALL(t), SEP_SMALL(t + 1), SEP_SMALL(t + 2), SEP_SMALL(t + 3), SEP_SMALL(t + 4), \
        SEP_SMALL(t + 5), SEP_SMALL(t + 6), SEP_SMALL(t + 7)
#define SEP_SMALL32(t) SEP_SMALL8(t), SEP_SMALL8(t + 8), SEP_SMALL8(t + 16), SEP_SMALL8(t + 24)
static const char sep_small[128][8] = {SEP_SMALL32(0), SEP_SMALL32(32), SEP_SMALL32(64),
                                       SEP_SMALL32(96)};

/* Their lengths: a load instead of comparisons in the loop below. */
#define SEP_LEN(v) (uint8_t)(3 + ((v) >= 10) + ((v) >= 100))
#define SEP_LEN8(t)                                                                     \
    SEP_LEN(t), SEP_LEN(t + 1), SEP_LEN(t + 2), SEP_LEN(t + 3), SEP_LEN(t + 4), SEP_LEN(t + 5), \
        SEP_LEN(t + 6), SEP_LEN(t + 7)
#define SEP_LEN32(t) SEP_LEN8(t), SEP_LEN8(t + 8), SEP_LEN8(t + 16), SEP_LEN8(t + 24)
static const uint8_t sep_small_len[128] = {SEP_LEN32(0), SEP_LEN32(32), SEP_LEN32(64),
                                           SEP_LEN32(96)};

/* ", {v}" */
static inline char *fmt_sep_dec(char *p, uint32_t v)
{
    if (v < 128) {
        memcpy(p, sep_small[v], 8);
        return p + sep_small_len[v];
    }
    memcpy(p, ", ", 2);
    return elog__fmt_dec_big(p + 2, v);
}

char *elog__fmt_stack(char *p, elog_u32_array a)
{
    if (a.count == 0)
        return p;
    p = elog__fmt_dec(p, elog_u32_array_get(a, 0));
    /* Walks the entries by pointer, four at a time: heap profiles have long
     * stacks of mostly small cost-centre ids, and this loop is most of their
     * formatting. (The 8-byte copies stay within the 12 bytes per entry that
     * the caller provides.) */
    const uint8_t *q = a.ptr + 4;
    for (uint32_t quads = (a.count - 1) / 4; quads > 0; quads--, q += 16) {
        uint64_t x, y;
        memcpy(&x, q, 8);
        memcpy(&y, q + 8, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        x = __builtin_bswap64(x);
        y = __builtin_bswap64(y);
#endif
        uint32_t v0 = (uint32_t)(x >> 32), v1 = (uint32_t)x;
        uint32_t v2 = (uint32_t)(y >> 32), v3 = (uint32_t)y;
        if ((v0 | v1 | v2 | v3) < 128) {
            memcpy(p, sep_small[v0], 8);
            p += sep_small_len[v0];
            memcpy(p, sep_small[v1], 8);
            p += sep_small_len[v1];
            memcpy(p, sep_small[v2], 8);
            p += sep_small_len[v2];
            memcpy(p, sep_small[v3], 8);
            p += sep_small_len[v3];
        } else {
            p = fmt_sep_dec(fmt_sep_dec(fmt_sep_dec(fmt_sep_dec(p, v0), v1), v2), v3);
        }
    }
    for (uint32_t rest = (a.count - 1) % 4; rest > 0; rest--, q += 4)
        p = fmt_sep_dec(p, ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
                               ((uint32_t)q[2] << 8) | q[3]);
    return p;
}

void elog__put_stack(elog_writer *w, elog_u32_array a)
{
    for (uint32_t i = 0; i < a.count; i++) {
        if (i)
            PUT_STR(w, ", ");
        elog__put_dec(w, elog_u32_array_get(a, i));
    }
}

/* The fixed-vocabulary formats: one pointer writer each, which the writer
 * versions format through. */
#define FMT_STR(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

static char *fmt_name(char *p, const char *name)
{
    size_t n = strlen(name);
    memcpy(p, name, n);
    return p + n;
}

char *elog__fmt_stop_status(char *p, uint16_t status, uint32_t info)
{
    switch (status) {
    case 0:
    case 19: return FMT_STR(p, "No stop thread status");
    case 1: return FMT_STR(p, "heap overflow");
    case 2: return elog__fmt_dec(FMT_STR(p, "stack overflow, size "), info);
    case 3: return FMT_STR(p, "thread yielding");
    case 5: return FMT_STR(p, "thread finished");
    case 6: return FMT_STR(p, "making a foreign call");
    case 7: return FMT_STR(p, "blocked on an MVar");
    case 8: return elog__fmt_dec(FMT_STR(p, "blocked on black hole owned by thread "), info);
    case 9: return FMT_STR(p, "blocked on I/O read");
    case 10: return FMT_STR(p, "blocked on I/O write");
    case 11: return FMT_STR(p, "blocked on threadDelay");
    case 12: return FMT_STR(p, "blocked in STM retry");
    case 13: return FMT_STR(p, "blocked on asyncDoProc");
    case 18: return FMT_STR(p, "blocked in throwTo");
    case 20: return FMT_STR(p, "blocked reading an MVar");
    default:
        /* ghc-events aborts (mkStat) on these. */
        return elog__fmt_dec(FMT_STR(p, "unknown stop status "), status);
    }
}

void elog__put_stop_status(elog_writer *w, uint16_t status, uint32_t info)
{
    char tmp[64];
    put_formatted(w, tmp, elog__fmt_stop_status(tmp, status, info));
}

char *elog__fmt_capset_type(char *p, uint16_t type)
{
    switch (type) {
    case 1: return FMT_STR(p, "CapsetCustom");
    case 2: return FMT_STR(p, "CapsetOsProcess");
    case 3: return FMT_STR(p, "CapsetClockDomain");
    default: return FMT_STR(p, "CapsetUnknown");
    }
}

void elog__put_capset_type(elog_writer *w, uint16_t type)
{
    char tmp[32];
    put_formatted(w, tmp, elog__fmt_capset_type(tmp, type));
}

char *elog__fmt_breakdown(char *p, uint32_t breakdown)
{
    static const char *const names[] = {NULL,          "cost centre", "module",
                                        "closure description", "type description",
                                        "retainer",    "biography",   "closure type",
                                        "info table",  "era"};
    if (breakdown >= 1 && breakdown <= 9)
        return fmt_name(p, names[breakdown]);
    return elog__fmt_dec(FMT_STR(p, "unknown breakdown "), breakdown);
}

void elog__put_breakdown(elog_writer *w, uint32_t breakdown)
{
    char tmp[32];
    put_formatted(w, tmp, elog__fmt_breakdown(tmp, breakdown));
}

char *elog__fmt_eden_tag(char *p, uint8_t tag)
{
    static const char *const names[] = {"Ready",   "NewPE",  "PETIDS", "Finish", "FailPE",
                                        "RFork",   "Connect", "DataMes", "Head",  "Constr",
                                        "Part",    "Terminate", "Packet"};
    unsigned i = (uint8_t)(tag - 0x50);
    if (i < sizeof names / sizeof names[0])
        return fmt_name(p, names[i]);
    return elog__fmt_dec(FMT_STR(p, "unknown tag "), tag);
}

void elog__put_eden_tag(elog_writer *w, uint8_t tag)
{
    char tmp[16];
    put_formatted(w, tmp, elog__fmt_eden_tag(tmp, tag));
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

static inline __attribute__((always_inline)) char *fmt_prefix(char *p, const elog_event *ev)
{
    p = elog__fmt_dec(p, ev->time);
    if (ev->cap != ELOG_NO_CAP) {
        p = FMT_STR(p, ": cap ");
        p = elog__fmt_dec(p, ev->cap);
    }
    return FMT_STR(p, ": ");
}

/* The line through the writer's bounds-checked calls. */
static __attribute__((noinline)) void show_event_slow(elog_writer *w, const elog_event *ev)
{
    char tmp[ELOG__SHOW_FAST_PREFIX];
    elog__put_lit(w, tmp, (size_t)(fmt_prefix(tmp, ev) - tmp));
    elog_show_event_text(w, ev);
    put_byte(w, '\n');
}

void elog_show_event(elog_writer *w, const elog_event *ev)
{
    /* Fast path: the whole line straight into the buffer (show_internal.h). */
    if (w->cap - w->len >= ELOG__SHOW_FAST_ROOM && ev->layout) {
        elog__show_fast_fn f = elog__show_fast[ev->layout->index];
        if (f) {
            char *p = f(fmt_prefix(w->buf + w->len, ev), w->buf + w->cap - 1, ev);
            if (p) {
                *p++ = '\n';
                w->len = (size_t)(p - w->buf);
                return;
            }
        }
    }
    show_event_slow(w, ev);
}

/* One record the long way: decoded, then shown. */
static __attribute__((noinline)) elog_status
show_record_slow(elog_writer *w, const elog_header *h, const uint8_t *rec, size_t avail,
                 uint16_t cap, size_t *record_size)
{
    elog_event ev;
    elog_status st = elog_decode_record(h, rec, avail, 0, &ev, record_size);
    if (st != ELOG_OK)
        return st;
    ev.cap = cap;
    elog_show_event(w, &ev);
    return ELOG_OK;
}

/* The raw writer of each event id below RAW_IDS (all that GHC declares), and
 * its record size: the fast path's lookup, built once per call instead of
 * going through the header for every record. */
#define RAW_IDS 256u
typedef struct raw_entry {
    elog__show_raw_fn f;    /* NULL: the long way */
    uint32_t whole;         /* 10 + payload size; 0 if variable (12 + the u16 at 10) */
} raw_entry;

/* Timestamps grow slowly: the digits above the last six (time / 10^6, the
 * same as the previous line's for nearly all lines of a busy log) are
 * remembered from the previous line rather than formatted again. */
typedef struct time_digits {
    uint64_t hi;            /* UINT64_MAX: none yet */
    size_t len;
    char text[24];
} time_digits;

static inline char *fmt_time(char *p, uint64_t t, time_digits *td)
{
    if (t < 100000000u)
        return fmt_lt1e8(p, (uint32_t)t);
    uint64_t hi = t / 1000000u;
    uint32_t lo = (uint32_t)(t - hi * 1000000u);
    if (__builtin_expect(hi != td->hi, 0)) {
        td->hi = hi;
        td->len = (size_t)(elog__fmt_dec_big(td->text, hi) - td->text);
    }
    memcpy(p, td->text, 16); /* hi < 2^64 / 10^6 has at most 14 digits */
    return fmt6(p + td->len, lo);
}

size_t elog_show_records(elog_writer *w, const elog_header *h, const uint8_t *recs,
                         size_t len, const uint16_t *caps, size_t n, elog_status *status)
{
    /* Every entry is filled, so that an id needs only the one bounds check
     * against the constant. */
    raw_entry tab[RAW_IDS];
    size_t n_tab = h->priv_.by_id_len < RAW_IDS ? h->priv_.by_id_len : RAW_IDS;
    for (size_t id = 0; id < RAW_IDS; id++) {
        uint32_t ti = id < n_tab ? h->priv_.by_id[id] : 0;
        const elog_event_type *t = ti ? &h->types[ti - 1] : NULL;
        tab[id].f = t && t->layout ? elog__show_raw[t->layout->index] : NULL;
        tab[id].whole = !t || t->size == ELOG_VARIABLE_SIZE ? 0 : 10u + t->size;
    }
    time_digits td = {UINT64_MAX, 0, {0}};
    const uint8_t *rec = recs, *end_recs = recs + len;
    /* The fast path writes at p while at least ELOG__SHOW_FAST_ROOM bytes are
     * free (p < room_lim, and a buffer that large: otherwise room_lim is the
     * buffer's start, which p never is below); w->len is brought up to date
     * before anything else touches the writer. */
    char *p = w->buf + w->len;
    char *room_lim = w->cap >= ELOG__SHOW_FAST_ROOM ? w->buf + (w->cap - ELOG__SHOW_FAST_ROOM) + 1
                                                    : w->buf;
    char *last = w->buf + (w->cap ? w->cap - 1 : 0);
    *status = ELOG_OK;
    for (size_t i = 0; i < n; i++) {
        size_t avail = (size_t)(end_recs - rec);
        uint16_t cap = caps[i];
        /* Fast path: a whole record of a layout with a raw writer, and room
         * for the longest fixed-size line. A fixed declaration always gets a
         * fixed layout no larger than it, a variable one a variable layout
         * (elog_catalogue_find()), as the raw writers expect. (Records of 10
         * or 11 bytes at the very end take the long way.) */
        if (p < room_lim && avail >= 12) {
            uint16_t id = elog__rd16(rec);
            if (id < RAW_IDS && tab[id].f) {
                size_t head = 10, whole = tab[id].whole;
                if (whole == 0)
                    head = 12, whole = 12u + elog__rd16(rec + 10);
                if (avail >= whole) {
                    char *q = fmt_time(p, elog__rd64(rec + 2), &td);
                    if (cap != ELOG_NO_CAP) {
                        q = FMT_STR(q, ": cap ");
                        q = elog__fmt_dec(q, cap);
                    }
                    const uint8_t *next = rec + whole;
                    q = tab[id].f(FMT_STR(q, ": "), last, rec + head, whole - head);
                    if (q) {
                        *q++ = '\n';
                        p = q;
                        rec = next;
                        continue;
                    }
                }
            }
        }
        w->len = (size_t)(p - w->buf);
        size_t size = 0;
        elog_status st = show_record_slow(w, h, rec, avail, cap, &size);
        if (st != ELOG_OK) {
            *status = st;
            return i;
        }
        rec += size;
        /* The writer may have flushed, or moved or grown its buffer. */
        p = w->buf + w->len;
        room_lim = w->cap >= ELOG__SHOW_FAST_ROOM ? w->buf + (w->cap - ELOG__SHOW_FAST_ROOM) + 1
                                                  : w->buf;
        last = w->buf + (w->cap ? w->cap - 1 : 0);
    }
    w->len = (size_t)(p - w->buf);
    return n;
}

size_t elog_show_event_to(char *buf, size_t cap, const elog_event *ev)
{
    elog_writer w;
    elog_writer_init(&w, buf, cap, NULL, NULL);
    elog_show_event(&w, ev);
    return w.len + (size_t)w.dropped;
}

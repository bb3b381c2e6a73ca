/* Private glue between show.c and the generated per-layout writers. */
#ifndef ELOG_SHOW_INTERNAL_H
#define ELOG_SHOW_INTERNAL_H

#include <string.h>

#include "eventlog/show.h"

typedef void (*elog__show_fn)(elog_writer *w, const elog_event *ev);
/* Library-internal data: hidden, so the library reaches it without the GOT. */
#define ELOG__HIDDEN __attribute__((visibility("hidden")))

extern ELOG__HIDDEN const elog__show_fn elog__show_fns[ELOG_CATALOGUE_LAYOUTS];

/* The fast path of elog_show_event(): when the writer has at least
 * ELOG__SHOW_FAST_ROOM bytes free, the line is formatted straight into its
 * buffer by a generated per-layout function that writes through a pointer and
 * returns the pointer past its text, or NULL (having written nothing that
 * counts) if the event's text might not fit before `end`. Layouts whose text
 * has a constant bound of at most ELOG__SHOW_FAST_BODY bytes do not check;
 * the others compare their bound with end - p first. NULL entries (rare
 * formats) always take the writer path. */
#define ELOG__SHOW_FAST_ROOM 1024u
#define ELOG__SHOW_FAST_PREFIX 40u /* "{time}: cap {cap}: " and the newline */
#define ELOG__SHOW_FAST_BODY (ELOG__SHOW_FAST_ROOM - ELOG__SHOW_FAST_PREFIX)

typedef char *(*elog__show_fast_fn)(char *p, const char *end, const elog_event *ev);
extern ELOG__HIDDEN const elog__show_fast_fn elog__show_fast[ELOG_CATALOGUE_LAYOUTS];

/* The same writers reading the fields from the raw payload (`len` bytes at
 * `pl`, at least the layout's size for fixed layouts) instead of a decoded
 * event: the fast path of elog_show_records(). They also return NULL if the
 * payload does not decode. NULL entries: layouts without a fast writer. */
typedef char *(*elog__show_raw_fn)(char *p, const char *end, const uint8_t *pl, size_t len);
extern ELOG__HIDDEN const elog__show_raw_fn elog__show_raw[ELOG_CATALOGUE_LAYOUTS];

/* Pointer formatters of the fast path: each writes at most the bound noted
 * and returns the end of what it wrote. */
extern ELOG__HIDDEN const char elog__digit_pairs[201];
char *elog__fmt_dec_big(char *p, uint64_t v);          /* <= 20 bytes */
char *elog__fmt_hex(char *p, uint64_t v);              /* <= 16 */
char *elog__fmt_stop_status(char *p, uint16_t status, uint32_t info); /* <= 64 */
char *elog__fmt_capset_type(char *p, uint16_t type);   /* <= 32 */
char *elog__fmt_breakdown(char *p, uint32_t breakdown); /* <= 32 */
char *elog__fmt_eden_tag(char *p, uint8_t tag);        /* <= 16 */
char *elog__fmt_latin1(char *p, elog_slice s);          /* <= 2 * s.len */
char *elog__fmt_stack(char *p, elog_u32_array a);       /* <= 12 * a.count */

static inline char *elog__fmt_dec(char *p, uint64_t v)
{
    if (v < 100) {
        /* Two bytes are always written; the second is kept only for v >= 10. */
        memcpy(p, elog__digit_pairs + 2 * v + (v < 10), 2);
        return p + 1 + (v >= 10);
    }
    return elog__fmt_dec_big(p, v);
}

static inline char *elog__fmt_bytes(char *p, elog_slice s)
{
    if (s.len)
        memcpy(p, s.ptr, s.len);
    return p + s.len;
}

/* Length of the well-formed UTF-8 sequence at p (2..4 bytes, lead >= 0x80;
 * its code point in *cp), or 0. Inline: `show` and the exporters
 * (export_internal.h) decide with the same rule, so an exporter replaces a
 * byte exactly where `show` does. */
static inline size_t elog__utf8_multi(const uint8_t *p, const uint8_t *end, uint32_t *cp)
{
    uint8_t c = p[0];
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

/* Haskell's isPrint for a code point (unicode_print.c). */
bool elog__is_print(uint32_t cp);

void elog__put_lit(elog_writer *w, const char *s, size_t n);
void elog__put_dec(elog_writer *w, uint64_t v);
void elog__put_hex(elog_writer *w, uint64_t v);
void elog__put_latin1(elog_writer *w, elog_slice s);
void elog__put_hs_list(elog_writer *w, elog_slice vec);
void elog__put_bin(elog_writer *w, elog_slice s);
void elog__put_leading_num(elog_writer *w, elog_slice s);
void elog__put_stack(elog_writer *w, elog_u32_array a);
void elog__put_stop_status(elog_writer *w, uint16_t status, uint32_t info);
void elog__put_capset_type(elog_writer *w, uint16_t type);
void elog__put_breakdown(elog_writer *w, uint32_t breakdown);
void elog__put_eden_tag(elog_writer *w, uint8_t tag);
void elog__put_heap_filters(elog_writer *w, const elog_ev_heap_prof_begin *b);

#endif

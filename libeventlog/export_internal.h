/* Private glue between export.c (the public entry points) and the one file
 * per format (export_ndjson.c, export_chrome.c, export_csv.c), plus the
 * output helpers they share (export_text.c). */
#ifndef ELOG_EXPORT_INTERNAL_H
#define ELOG_EXPORT_INTERNAL_H

#include <string.h>

#include "eventlog/export.h"
#include "show_internal.h"

typedef struct export_ops {
    elog_status (*header)(elog_exporter *x, const elog_header *h);
    elog_status (*event)(elog_exporter *x, const elog_event *ev);
    elog_status (*finish)(elog_exporter *x);
    void (*release)(elog_exporter *x);  /* frees what the format allocated */
} export_ops;

/* Every format's state starts with this. */
struct elog_exporter {
    const export_ops *ops;
    elog_export_options opt;
    const elog_allocator *alloc;
    elog_writer *w;
    uint64_t count;
    bool finished;
};

/* Each format's constructor: allocates its state (starting with the
 * elog_exporter) and sets ops. NULL on allocation failure. */
/* Their common part: `size` zeroed bytes from `a` whose elog_exporter has
 * `ops` and `a`; NULL on allocation failure. */
elog_exporter *export_state_new(const elog_allocator *a, size_t size, const export_ops *ops);
elog_exporter *export_ndjson_new(const elog_allocator *a);
elog_exporter *export_chrome_new(const elog_allocator *a);
elog_exporter *export_csv_new(const elog_allocator *a);

void *export_alloc(const elog_exporter *x, size_t n);        /* zeroed; NULL on failure */
void export_free(const elog_exporter *x, void *p, size_t n);

/* Room for `n` bytes at the end of the writer's buffer, flushing if needed:
 * the place to write them, or NULL when the buffer cannot hold n bytes
 * (then write with elog_writer_put). Commit with export_commit(). */
static inline char *export_room(elog_writer *w, size_t n)
{
    if (w->cap - w->len >= n)
        return w->buf + w->len;
    if (w->flush && !w->failed && w->len > 0 && elog_writer_flush(w) == 0 &&
        w->cap - w->len >= n)
        return w->buf + w->len;
    return NULL;
}

static inline void export_commit(elog_writer *w, char *end)
{
    w->len = (size_t)(end - w->buf);
}

/* A string literal (only: its size is taken with sizeof, "" s "" rejects
 * anything else at compile time). */
#define EXPORT_LIT(w, s) elog__put_lit((w), "" s "", sizeof(s) - 1)

/* Length of the well-formed UTF-8 sequence of 2..4 bytes at p (p[0] >= 0x80),
 * or 0 (the byte is then written as its code point): show.c's own rule. */
static inline size_t export_utf8_multi(const uint8_t *p, const uint8_t *end)
{
    uint32_t cp;
    return elog__utf8_multi(p, end, &cp);
}
/* Writes a code point 0x80..0xff as UTF-8. */
void export_put_high_byte(elog_writer *w, uint8_t c);

/* A JSON string's inside (no quotes) for text bytes: well-formed UTF-8
 * sequences as they are, other bytes as the code point of the byte,
 * '"', '\\' and control characters escaped. `latin1`: every byte is its
 * code point. */
void export_json_text(elog_writer *w, elog_slice s, bool latin1);
/* The same with quotes around. */
void export_json_string(elog_writer *w, elog_slice s, bool latin1);
/* Lowercase hex of the bytes, quoted. */
void export_json_hex(elog_writer *w, elog_slice s);
/* ns as microseconds with three decimals ("1234.567"). */
void export_put_us(elog_writer *w, uint64_t ns);

/* A bounded string table (id -> name) for thread labels and cost centres:
 * open addressing over 32-bit keys, names copied into one arena of at most
 * ELOG_EXPORT_LABEL_BUDGET bytes, at most EXPORT_NAMES_MAX names (ids set
 * again replace their name; a replaced name's bytes stay used). */
#define EXPORT_NAMES_MAX (1u << 16)
typedef struct export_names {
    uint32_t *keys;         /* key + 1, 0 = empty */
    uint32_t *offs;         /* arena offset of the name */
    uint16_t *lens;
    size_t slots;           /* power of two */
    size_t used;
    char *arena;
    size_t arena_len, arena_cap;
} export_names;

/* Sets `id`'s name (a later call replaces it). false on allocation failure;
 * past the budget the name is not kept (still true). */
bool export_names_set(elog_exporter *x, export_names *t, uint32_t id, elog_slice name);
/* `id`'s name, or {NULL, 0}. */
elog_slice export_names_get(const export_names *t, uint32_t id);
void export_names_free(elog_exporter *x, export_names *t);

/* Makes *arr (of *n items of `elem` bytes) hold at least `need` items,
 * doubling; new items are zeroed, then given to `init` (may be NULL).
 * false on allocation failure (*arr unchanged). */
bool export_grow(elog_exporter *x, void **arr, size_t *n, size_t elem, size_t need,
                 void (*init)(void *item));

/* The stop reason of a STOP_THREAD as `show` words it. */
size_t export_stop_reason(char *buf, uint16_t status, uint32_t info); /* buf >= 64 */

/* The label of a heap-profile cost-centre sample: cost-centre labels joined
 * by "/", innermost first (an unnamed frame is its id), at most cap bytes.
 * Returns the length. */
size_t export_stack_label(const export_names *ccs, elog_u32_array stack, char *buf, size_t cap);

#endif

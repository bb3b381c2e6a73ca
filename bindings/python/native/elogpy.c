/*
 * The C half of the Python binding (compiled into libeventlog._native by
 * build_ffi.py, cffi API mode). It runs the decoder callbacks in C so that no
 * Python code runs per event:
 *
 *   - records mode: every event is appended to a byte arena as one record
 *       u64 time, u64 offset, u16 cap, u32 payload_len   (native endianness, packed)
 *       the layout's fields, in catalogue order, native endianness, packed:
 *         u8/u16/u32/u64         the value
 *         cstr/text/latin1/bytes/strvec   u32 arena offset, u32 length
 *         stack                  u32 arena offset (big-endian u32s), u32 count
 *         optional fields        are preceded by a u8 "present" flag
 *       the payload bytes
 *     and its arena position and header type index go to two u32 arrays. The
 *     Python side turns a batch into objects with struct.unpack_from.
 *   - columns mode: id / time / cap / offset and selected integer fields go
 *     into caller-owned (Python-allocated) arrays of `limit` entries.
 *
 * Both modes pause the decoder (ELOG_CB_PAUSE) when a batch is full, so the
 * memory used is bounded whatever the size of the chunk fed.
 */
#include <stdlib.h>
#include <string.h>

#include <eventlog.h>
#include <eventlog/order.h>
#include <eventlog/show.h>
#include <eventlog/writer.h>

#define ELOGPY_RECORDS 0
#define ELOGPY_COLUMNS 1
#define ELOGPY_RECORD_HEAD 22u

/* An observer run on the decoder's callback path (no Python per event). Its
 * return values are ignored: an observer that runs out of memory says so in
 * its own results rather than stopping the iteration. */
typedef struct elogpy_tee {
    int (*on_header)(void *ctx, const elog_header *h);
    int (*on_event)(void *ctx, const elog_event *ev);
    bool (*wants)(uint16_t id);     /* types it reads, decoded even if `keep` drops them
                                       (NULL: all) */
    void *ctx;
} elogpy_tee;

typedef struct elogpy_state {
    /* set by the callbacks */
    int header_ready;
    int data_end_seen;
    uint64_t data_end_offset;
    int nomem;                  /* a callback could not allocate: aborted */
    /* the current batch */
    int mode;
    size_t n;                   /* events in the batch */
    size_t limit;               /* pause when n reaches it */
    /* records mode */
    uint8_t *arena;
    size_t arena_len, arena_cap, arena_limit;
    uint32_t *rec_pos;          /* [limit] */
    uint32_t *rec_kind;         /* [limit]: the event type's header_index */
    /* columns mode: arrays owned by the caller, `limit` entries each */
    const uint8_t *keep;        /* [65536] or NULL: the types to deliver (elogpy_select), or all.
                                   Set before the header is decoded. */
    uint16_t *c_type;
    uint64_t *c_time;
    uint16_t *c_cap;
    uint64_t *c_offset;
    uint64_t **c_fields;        /* [n_fields][limit] */
    size_t n_fields;
    const int16_t *field_map;   /* [n_layouts][n_fields]: index into layout->fields or -1 */
    uint64_t fill;              /* value of a field the event does not have */
    /* Python */
    void *handle;               /* ffi.new_handle() of the Decoder, or NULL */
    /* connect(window=MS): the decoder's events go through this reordering
     * window (elogpy_window_enable), which may hand out more than `limit`
     * at once: the index arrays then grow to rec_cap. */
    elog_window *window;
    size_t rec_cap;
    /* An observer of every decoded event (an Analysis attached to a reader
     * or a connection, elogpy_tee_enable): it sees the decoder's events in
     * decoder order, before `keep` filters them and before the window. */
    elogpy_tee tee;
    int (*next_event)(elog_decoder *d, const elog_event *ev); /* what the tee forwards to */
    elog_settings settings;
    elog_decoder dec;
} elogpy_state;

/* Implemented in Python (@ffi.def_extern): builds the Python view of the header. */
static int elogpy_py_header(elog_decoder *d, const elog_header *h);

static int elogpy_on_header(elog_decoder *d, const elog_header *h)
{
    elogpy_state *s = d->data;
    s->header_ready = 1;
    if (s->tee.on_header)
        (void)s->tee.on_header(s->tee.ctx, h);
    if (s->window)
        elog_window_set_header(s->window, h); /* flushed at the last session's end */
    if (s->handle)
        return elogpy_py_header(d, h);
    return ELOG_CB_CONTINUE;
}

static int elogpy_on_data_end(elog_decoder *d, uint64_t offset)
{
    elogpy_state *s = d->data;
    if (!s->data_end_seen) {
        s->data_end_seen = 1;
        s->data_end_offset = offset;
    }
    return ELOG_CB_CONTINUE;
}

static int elogpy_grow(elogpy_state *s, size_t need)
{
    size_t cap = s->arena_cap ? s->arena_cap : 64u << 10;
    while (cap - s->arena_len < need)
        cap *= 2;
    uint8_t *p = realloc(s->arena, cap);
    if (!p)
        return -1;
    s->arena = p;
    s->arena_cap = cap;
    return 0;
}

static inline uint8_t *elogpy_put(uint8_t *w, const void *src, size_t n)
{
    memcpy(w, src, n);
    return w + n;
}

/* Arena position and length of a view of `len` bytes into the payload (a
 * decoded string or stack); the decoder's views always lie inside the payload,
 * anything else becomes an empty view rather than a read out of bounds. */
static inline void elogpy_view(const elog_event *ev, const uint8_t *ptr, size_t len, size_t pay,
                               uint32_t out[2])
{
    const uint8_t *p0 = ev->payload.ptr;
    size_t plen = ev->payload.len;
    out[0] = (uint32_t)pay;
    out[1] = 0;
    if (!ptr || !p0 || ptr < p0 || (size_t)(ptr - p0) > plen || len > plen - (size_t)(ptr - p0))
        return;
    out[0] = (uint32_t)(pay + (size_t)(ptr - p0));
    out[1] = (uint32_t)len;
}

static inline bool elogpy_is_int(elog_field_kind k)
{
    return k == ELOG_FIELD_U8 || k == ELOG_FIELD_U16 || k == ELOG_FIELD_U32 || k == ELOG_FIELD_U64;
}

static inline size_t elogpy_int_width(elog_field_kind k)
{
    return k == ELOG_FIELD_U8 ? 1 : k == ELOG_FIELD_U16 ? 2 : k == ELOG_FIELD_U32 ? 4 : 8;
}

/* Bytes the record's field area takes for layout `l`. */
static size_t elogpy_fields_size(const elog_layout_info *l)
{
    size_t n = 0;
    for (unsigned i = 0; i < l->n_fields; i++) {
        const elog_field_info *f = &l->fields[i];
        n += f->optional ? 1 : 0;
        n += elogpy_is_int(f->kind) ? elogpy_int_width(f->kind) : 8;
    }
    return n;
}

static int elogpy_record_event(elog_decoder *d, const elog_event *ev)
{
    elogpy_state *s = d->data;
    const elog_layout_info *l = ev->layout;
    size_t plen = ev->payload.len;
    size_t fsz = l ? elogpy_fields_size(l) : 0;
    size_t need = ELOGPY_RECORD_HEAD + fsz + plen;
    if (s->arena_cap - s->arena_len < need && elogpy_grow(s, need)) {
        s->nomem = 1;
        return ELOG_CB_ABORT;
    }
    size_t pos = s->arena_len;
    size_t pay = pos + ELOGPY_RECORD_HEAD + fsz; /* where the payload goes */
    uint8_t *w = s->arena + pos;
    uint32_t plen32 = (uint32_t)plen;
    w = elogpy_put(w, &ev->time, 8);
    w = elogpy_put(w, &ev->offset, 8);
    w = elogpy_put(w, &ev->cap, 2);
    w = elogpy_put(w, &plen32, 4);
    if (l) {
        const char *base = (const char *)&ev->as;
        for (unsigned i = 0; i < l->n_fields; i++) {
            const elog_field_info *f = &l->fields[i];
            const char *src = base + f->offset;
            uint8_t has = 1;
            if (f->optional) {
                has = *(const bool *)(base + f->has_offset) ? 1 : 0;
                *w++ = has;
            }
            if (elogpy_is_int(f->kind)) {
                size_t width = elogpy_int_width(f->kind);
                if (has)
                    w = elogpy_put(w, src, width);
                else
                    memset(w, 0, width), w += width;
            } else if (f->kind == ELOG_FIELD_STACK) {
                elog_u32_array a;
                memcpy(&a, src, sizeof a);
                uint32_t v[2] = {(uint32_t)pay, 0};
                if (has) {
                    elogpy_view(ev, a.ptr, 4u * (size_t)a.count, pay, v);
                    v[1] /= 4u; /* the count */
                }
                w = elogpy_put(w, v, sizeof v);
            } else {
                elog_slice sl;
                memcpy(&sl, src, sizeof sl);
                uint32_t v[2] = {(uint32_t)pay, 0};
                if (has)
                    elogpy_view(ev, sl.ptr, sl.len, pay, v);
                w = elogpy_put(w, v, sizeof v);
            }
        }
    }
    if (plen)
        w = elogpy_put(w, ev->payload.ptr, plen);
    s->arena_len = (size_t)(w - s->arena);
    s->rec_pos[s->n] = (uint32_t)pos;
    s->rec_kind[s->n] = ev->type ? ev->type->header_index : 0;
    s->n++;
    if (s->n >= s->limit || s->arena_len >= s->arena_limit)
        return ELOG_CB_PAUSE;
    return ELOG_CB_CONTINUE;
}

static inline uint64_t elogpy_field_u64(const elog_event *ev, const elog_field_info *f,
                                        uint64_t fill)
{
    const char *base = (const char *)&ev->as;
    const char *src = base + f->offset;
    if (f->optional && !*(const bool *)(base + f->has_offset))
        return fill;
    switch (f->kind) {
    case ELOG_FIELD_U8:
        return *(const uint8_t *)src;
    case ELOG_FIELD_U16: {
        uint16_t v;
        memcpy(&v, src, 2);
        return v;
    }
    case ELOG_FIELD_U32: {
        uint32_t v;
        memcpy(&v, src, 4);
        return v;
    }
    case ELOG_FIELD_U64: {
        uint64_t v;
        memcpy(&v, src, 8);
        return v;
    }
    default:
        return fill;
    }
}

/* settings.select: the types `keep` names, all without it. The decoder steps
 * over the others without decoding their fields. */
static bool elogpy_select(elog_decoder *d, const elog_event_type *t)
{
    elogpy_state *s = d->data;
    return !s->keep || s->keep[t->id] ||
           (s->tee.on_event && (!s->tee.wants || s->tee.wants(t->id)));
}

/* settings.on_event with a tee: the observer first, then the batching (or
 * the window) for the types `keep` names. */
static int elogpy_tee_event(elog_decoder *d, const elog_event *ev)
{
    elogpy_state *s = d->data;
    (void)s->tee.on_event(s->tee.ctx, ev);
    if (s->keep && !s->keep[ev->id])
        return ELOG_CB_CONTINUE;
    return s->next_event(d, ev);
}

/* Puts an observer in front of the state's event callback. Before the
 * header is decoded (settings.select is asked then); one tee per state. */
static void elogpy_tee_enable(elogpy_state *s, const elogpy_tee *t)
{
    s->tee = *t;
    if (s->settings.on_event != elogpy_tee_event) {
        s->next_event = s->settings.on_event;
        s->settings.on_event = elogpy_tee_event;
    }
}

static int elogpy_column_event(elog_decoder *d, const elog_event *ev)
{
    elogpy_state *s = d->data;
    size_t i = s->n;
    s->c_type[i] = ev->id;
    s->c_time[i] = ev->time;
    s->c_cap[i] = ev->cap;
    s->c_offset[i] = ev->offset;
    if (s->n_fields) {
        const elog_layout_info *l = ev->layout;
        const int16_t *map = l ? s->field_map + (size_t)l->index * s->n_fields : NULL;
        for (size_t j = 0; j < s->n_fields; j++) {
            int16_t fi = map ? map[j] : -1;
            s->c_fields[j][i] = fi >= 0 ? elogpy_field_u64(ev, &l->fields[fi], s->fill) : s->fill;
        }
    }
    if (++s->n >= s->limit)
        return ELOG_CB_PAUSE;
    return ELOG_CB_CONTINUE;
}

/* Sets up a state (zeroed by ffi.new). Records mode allocates its index arrays
 * of `limit` entries; returns -1 if that fails. */
static int elogpy_init(elogpy_state *s, int mode, unsigned options, size_t limit, void *handle)
{
    s->mode = mode;
    s->limit = limit ? limit : 1;
    s->rec_cap = s->limit;
    s->handle = handle;
    s->arena_limit = 4u << 20;
    if (mode == ELOGPY_RECORDS) {
        s->rec_pos = malloc(s->limit * sizeof *s->rec_pos);
        s->rec_kind = malloc(s->limit * sizeof *s->rec_kind);
        if (!s->rec_pos || !s->rec_kind) {
            free(s->rec_pos);
            free(s->rec_kind);
            s->rec_pos = s->rec_kind = NULL;
            return -1;
        }
    }
    elog_settings_init(&s->settings);
    s->settings.on_header = elogpy_on_header;
    s->settings.on_data_end = elogpy_on_data_end;
    s->settings.on_event = mode == ELOGPY_RECORDS ? elogpy_record_event : elogpy_column_event;
    s->settings.options = options;
    s->settings.select = elogpy_select;
    elog_decoder_init(&s->dec, &s->settings, s);
    return 0;
}

/* The destructor (ffi.gc): releases the decoder and the buffers. Idempotent. */
static void elogpy_free(elogpy_state *s)
{
    if (s->settings.on_event)
        elog_decoder_free(&s->dec);
    s->settings.on_event = NULL;
    elog_window_free(s->window);
    s->window = NULL;
    free(s->arena);
    free(s->rec_pos);
    free(s->rec_kind);
    s->arena = NULL;
    s->rec_pos = s->rec_kind = NULL;
    s->arena_len = s->arena_cap = 0;
    s->n = 0;
}

static elog_decoder *elogpy_decoder(elogpy_state *s)
{
    return &s->dec;
}

/* Empties the batch (after Python copied it out). Keeps the arena allocated
 * unless it grew past twice its limit because of a burst of large records. */
static void elogpy_clear(elogpy_state *s)
{
    s->n = 0;
    s->arena_len = 0;
    if (s->arena_cap > 2 * s->arena_limit) {
        free(s->arena);
        s->arena = NULL;
        s->arena_cap = 0;
    }
}

static void elogpy_reset(elogpy_state *s)
{
    elog_decoder_reset(&s->dec);
    elogpy_clear(s);
    s->header_ready = 0;
    s->data_end_seen = 0;
    s->data_end_offset = 0;
    s->nomem = 0;
}

/* ---------------------------------------------------------------------------
 * show: the ghc-events text of one event, from its type declaration and raw
 * record fields. A one-type stream is synthesised and decoded, so the text
 * comes from exactly the code path `eventlog show` uses.
 * ------------------------------------------------------------------------- */

typedef struct elogpy_show_ctx {
    char *out;
    size_t cap;
    size_t need;
    uint16_t cap_no;
    uint64_t offset;
    int text_only;
    int done;
} elogpy_show_ctx;

static int elogpy_show_cb(elog_decoder *d, const elog_event *ev)
{
    elogpy_show_ctx *c = d->data;
    elog_event e = *ev;
    e.cap = c->cap_no;
    e.offset = c->offset;
    if (c->text_only) {
        elog_writer w;
        elog_writer_init(&w, c->out, c->cap, NULL, NULL);
        elog_show_event_text(&w, &e);
        c->need = w.len + (size_t)w.dropped;
    } else {
        c->need = elog_show_event_to(c->out, c->cap, &e);
    }
    c->done = 1;
    return ELOG_CB_PAUSE;
}

/* A growable memory sink for the writer. */
typedef struct elogpy_membuf {
    uint8_t *p;
    size_t len, cap;
} elogpy_membuf;

static int elogpy_mem_sink(void *ctx, const uint8_t *p, size_t n)
{
    elogpy_membuf *m = ctx;
    if (m->len + n > m->cap) {
        size_t c = m->cap ? m->cap : 256;
        while (c < m->len + n)
            c *= 2;
        uint8_t *q = realloc(m->p, c);
        if (q == NULL)
            return -1;
        m->p = q;
        m->cap = c;
    }
    memcpy(m->p + m->len, p, n);
    m->len += n;
    return 0;
}

/* Writes at most `out_cap` bytes of the event's show line (with its "\n"), or
 * of its text only, and returns the length needed; -1 if the event cannot be
 * decoded with that declaration, -2 when out of memory. The event is shown
 * by decoding a one-event log the library's writer builds (verbatim: no
 * block, so the capability comes from `cap`). */
static long elogpy_show(uint16_t id, uint16_t size, const uint8_t *desc, size_t desc_len,
                        uint64_t time, uint16_t cap, uint64_t offset, const uint8_t *payload,
                        size_t plen, int text_only, char *out, size_t out_cap)
{
    if (size != ELOG_VARIABLE_SIZE && plen != size)
        return -1;
    if (plen > 65535 || desc_len > 0xffffffffu)
        return -1;
    elogpy_membuf m = {NULL, 0, 0};
    elog_log_writer *wr;
    elog_log_writer_options wo = {.flags = ELOG_LOG_WRITER_VERBATIM};
    if (elog_log_writer_open(&wr, &wo, elogpy_mem_sink, &m) != ELOG_OK)
        return -2;
    elog_status wst = elog_log_writer_declare(wr, id, size, (elog_slice){desc, desc_len});
    if (wst == ELOG_OK)
        wst = elog_log_writer_begin_data(wr);
    if (wst == ELOG_OK)
        wst = elog_log_writer_raw(wr, ELOG_NO_CAP, id, time, payload, plen);
    if (wst == ELOG_OK)
        wst = elog_log_writer_finish(wr, NULL);
    elog_log_writer_free(wr);
    if (wst != ELOG_OK) {
        free(m.p);
        return wst == ELOG_E_CALLBACK || wst == ELOG_E_NOMEM ? -2 : -1;
    }

    elogpy_show_ctx ctx = {out, out_cap, 0, cap, offset, text_only, 0};
    elog_settings st;
    elog_settings_init(&st);
    st.on_event = elogpy_show_cb;
    st.options = ELOG_OPT_LENIENT_BLOCKS;
    elog_decoder dec;
    elog_decoder_init(&dec, &st, &ctx);
    elog_execute(&dec, m.p, m.len);
    elog_decoder_free(&dec);
    free(m.p);
    return ctx.done ? (long)ctx.need : -1;
}

/* The header's show text ("Event Types:" ... "Events:\n"); returns the length
 * needed, writing at most out_cap bytes. */
static size_t elogpy_show_header(const elog_header *h, char *out, size_t out_cap)
{
    elog_writer w;
    elog_writer_init(&w, out, out_cap, NULL, NULL);
    elog_show_header(&w, h);
    return w.len + (size_t)w.dropped;
}

/* ---------------------------------------------------------------- order.h */

/* Sorted iteration (open(sorted=True)): the sorter's header through the
 * state's on_header (Python builds its classes). 0, or -1. */
static int elogpy_sorter_header(elogpy_state *s, elog_sorter *so)
{
    const elog_header *h = elog_sorter_header(so);
    if (!h)
        return -1;
    return elogpy_on_header(&s->dec, h) == ELOG_CB_CONTINUE ? 0 : -1;
}

/* The sorter's next events, in time order, into the batch: 1 when it is full
 * (drain it and call again), 0 at the end, -1 on an error
 * (elog_sorter_error(), or s->nomem). */
static int elogpy_sorter_fill(elogpy_state *s, elog_sorter *so)
{
    elog_event ev;
    for (;;) {
        int r = elog_sorter_next(so, &ev);
        if (r <= 0)
            return r;
        if (s->tee.on_event)
            (void)s->tee.on_event(s->tee.ctx, &ev);
        if (s->keep && !s->keep[ev.id])
            continue;
        int cb = elogpy_record_event(&s->dec, &ev);
        if (cb == ELOG_CB_PAUSE)
            return 1;
        if (cb != ELOG_CB_CONTINUE)
            return -1;
    }
}

/* The window hands events out here, possibly many at once. */
static int elogpy_window_emit(void *ctx, const elog_event *ev, bool late)
{
    elogpy_state *s = ctx;
    (void)late; /* counted by the window (elogpy_window_stats) */
    if (s->keep && !s->keep[ev->id])
        return ELOG_CB_CONTINUE;
    if (s->n >= s->rec_cap) {
        size_t ncap = 2 * s->rec_cap;
        uint32_t *pos = realloc(s->rec_pos, ncap * sizeof *pos);
        if (pos)
            s->rec_pos = pos;
        uint32_t *kind = pos ? realloc(s->rec_kind, ncap * sizeof *kind) : NULL;
        if (kind)
            s->rec_kind = kind;
        if (!pos || !kind) {
            s->nomem = 1;
            return ELOG_CB_ABORT;
        }
        s->rec_cap = ncap;
    }
    return elogpy_record_event(&s->dec, ev) == ELOG_CB_ABORT ? ELOG_CB_ABORT : ELOG_CB_CONTINUE;
}

static int elogpy_window_event(elog_decoder *d, const elog_event *ev)
{
    elogpy_state *s = d->data;
    if (elog_window_push(s->window, ev) != 0 && s->nomem)
        return ELOG_CB_ABORT;
    return s->n >= s->limit ? ELOG_CB_PAUSE : ELOG_CB_CONTINUE;
}

/* Puts a records-mode state's events through a reordering window of
 * `window_ns` (and `max_bytes`, 0: the default). 0, or -1 (out of memory). */
static int elogpy_window_enable(elogpy_state *s, uint64_t window_ns, size_t max_bytes)
{
    elog_window_options o = {window_ns, max_bytes};
    s->window = elog_window_new(&o, elog_get_header(&s->dec), elogpy_window_emit, s);
    if (!s->window)
        return -1;
    if (s->settings.on_event == elogpy_tee_event)
        s->next_event = elogpy_window_event; /* the tee stays in front */
    else
        s->settings.on_event = elogpy_window_event;
    return 0;
}

/* Releases what the window holds (a session ended). 0, or -1 (nomem). */
static int elogpy_window_flush(elogpy_state *s)
{
    return s->window ? elog_window_flush(s->window) : 0;
}

/* pushed, released, late, max_late_ns, held */
static void elogpy_window_stats(elogpy_state *s, uint64_t out[5])
{
    elog_window_stats st;
    memset(&st, 0, sizeof st);
    if (s->window)
        elog_window_get_stats(s->window, &st);
    out[0] = st.pushed;
    out[1] = st.released;
    out[2] = st.late;
    out[3] = st.max_late_ns;
    out[4] = st.held;
}

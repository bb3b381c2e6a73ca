/*
 * The push decoder: header state machine, event framing, capability
 * attribution, truncation classification. Field decoding itself is generated
 * from catalogue.txt (decode_gen.c).
 *
 * Hot path: when a whole record is inside the caller's buffer it is decoded in
 * place; only a record that straddles two elog_execute() calls is copied into
 * the carry buffer.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocator_internal.h"
#include "catalogue_internal.h"
#include "decode_gen.h"

/* Header section tags (docs/FORMAT.md §2.1), as big-endian u32. */
#define TAG_HEADER_BEGIN 0x68647262u /* hdrb */
#define TAG_HET_BEGIN 0x68657462u    /* hetb */
#define TAG_ET_BEGIN 0x65746200u     /* etb\0 */
#define TAG_ET_END 0x65746500u       /* ete\0 */
#define TAG_HET_END 0x68657465u      /* hete */
#define TAG_HEADER_END 0x68647265u   /* hdre */
#define TAG_DATA_BEGIN 0x64617462u   /* datb */
#define ID_DATA_END 0xffffu

#define BLOCK_MARKER_RECORD 24 /* 2 id + 8 time + 14 payload */

/* Bounds on what a header may make us allocate. GHC writes descriptions of a
 * few dozen bytes and ~120 records. */
#define MAX_DESCRIPTION 65536u
#define MAX_HEADER_TYPES 65536u

enum state {
    S_MAGIC,      /* 4 bytes "hdrb" */
    S_HET_BEGIN,  /* 4 bytes "hetb" */
    S_ET_TAG,     /* 4 bytes: "etb\0" or "hete" */
    S_ET_FIXED,   /* id u16, size u16, dlen u32 */
    S_ET_DESC,    /* dlen bytes */
    S_ET_XLEN,    /* u32 */
    S_ET_EXTRA,   /* xlen bytes, skipped */
    S_ET_END,     /* "ete\0" */
    S_HEADER_END, /* "hdre" */
    S_DATA_BEGIN, /* "datb" */
    S_EVENT,      /* at a record boundary */
    S_EVENT_PART, /* assembling a record in the carry buffer */
    S_TRAILING    /* after the end marker, counting bytes */
};

enum flags {
    F_PAUSED = 1u << 0,
    F_IN_CALLBACK = 1u << 1,
    F_FINISHED = 1u << 2,
    F_HEADER_DONE = 1u << 3,
    F_SELECTING = 1u << 4,  /* settings->select turned some type off */
    F_ROUTED = 1u << 5,     /* elog_route() gave some type a handler of its own */
    F_IN_HEADER_CB = 1u << 6, /* inside on_header (elog_route() may be called) */
};

/* What the in-place loop needs to know about each event id below FAST_IDS,
 * declared or not, as arrays indexed by the id: one base register and no
 * chain of loads id -> type -> layout. It follows elog_header's uint32 index
 * table (priv_.by_id) in the same allocation, 16-byte aligned (10 KiB more).
 * GHC's ids are below 256: the loop indexes these with the id's low byte once
 * its high byte is 0; larger ids take the general path. */
#define FAST_IDS 256u
/* How far ahead of its records the in-place loop prefetches: on a log held
 * in memory (or a large buffer) it outruns the hardware prefetcher, and
 * waits for memory on every new cache line without it (bench/RESULTS.md,
 * "Decoder fast path (wave 5)": 2x on busy-large in memory). */
#define PREFETCH_AHEAD 2048u
_Static_assert(FAST_IDS == 256, "the in-place loop indexes the id table with a byte");

enum id_kind {
    K_GENERAL,  /* the general path: undeclared, block marker, odd layout */
    K_FIXED,    /* fixed size, decoded by elog__decode_straight() */
    K_FIXED_SWITCH, /* fixed size, decoded through the layout switch */
    K_VARIABLE  /* variable size */
};
typedef struct id_table {
    /* elog_route(): handler and context apart, each indexed by the id with
     * one load (a struct of both cost two instructions an event more) */
    elog_type_cb route_cb[FAST_IDS];       /* NULL: settings->on_event */
    void *route_ctx[FAST_IDS];
    const elog_event_type *type[FAST_IDS]; /* the declaration, NULL if undeclared */
    const elog_layout_info *layout[FAST_IDS];
    /* For a K_FIXED type, 1 more than the bytes the loop reads: it takes
     * the record if more bytes than that are left, enough to read the next
     * id. UINT64_MAX for the others, so that one comparison picks the
     * commonest records (the others are told apart by `kind` after it). */
    uint64_t fast_limit[FAST_IDS];
    /* For a fixed-size type settings->select turned off (F_SELECTING), 1
     * more than its size: the selecting loop steps over the record if more
     * bytes than that are left. UINT64_MAX for the others. */
    uint64_t skip_limit[FAST_IDS];
    uint32_t total[FAST_IDS];        /* the record's size (fixed-size types) */
    uint16_t layout_index[FAST_IDS]; /* ELOG_CATALOGUE_LAYOUTS without a layout */
    uint8_t kind[FAST_IDS];          /* enum id_kind */
} id_table;

static size_t id_table_offset(uint32_t n)
{
    return ((size_t)n * sizeof(uint32_t) + 15u) & ~(size_t)15u;
}

/* Skip flags: one per id below n, and at least FAST_IDS, so that the
 * selecting loop may look at any id it reads (0 for an undeclared one). */
static size_t skip_len(uint32_t n)
{
    return n > FAST_IDS ? n : FAST_IDS;
}

/* Bytes of the by-id allocation for ids 0 .. n-1: the index into types_,
 * the id table, and a byte per id saying whether settings->select turned it
 * off. */
static size_t by_id_bytes(uint32_t n)
{
    return n ? id_table_offset(n) + sizeof(id_table) + skip_len(n) : 0;
}

static const id_table *id_table_of(const elog_decoder *d)
{
    if (!d->priv_.by_id)
        return NULL;
    return (const id_table *)(const void *)((const uint8_t *)d->priv_.by_id +
                                             id_table_offset(d->priv_.by_id_len));
}

/* Per declared id: non-zero if its events are not delivered
 * (settings->select): SKIP_VARIABLE for a variable-size type the in-place
 * loop takes, which it steps over before looking further. */
#define SKIP_VARIABLE 2
static uint8_t *skip_flags(const elog_decoder *d)
{
    return (uint8_t *)d->priv_.by_id + id_table_offset(d->priv_.by_id_len) + sizeof(id_table);
}

static id_table *id_table_mut(elog_decoder *d)
{
    return (id_table *)id_table_of(d);
}

/* A record that starts a block: the block marker id with its typed layout
 * (a declaration too short for the layout is delivered raw, as any event). */
static bool is_block_marker(uint16_t id, const elog_layout_info *layout)
{
    return id == ELOG_EV_BLOCK_MARKER && layout;
}

/* The layout index of a declaration, as the generated switch takes it. */
static unsigned layout_index(const elog_event_type *t)
{
    return t->layout ? t->layout->index : ELOG_CATALOGUE_LAYOUTS;
}

/* ---------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------- */

static const elog_allocator *allocator(const elog_decoder *d)
{
    return elog__allocator_or_libc(d->priv_.settings ? d->priv_.settings->allocator : NULL);
}

static void *dalloc(elog_decoder *d, size_t size)
{
    const elog_allocator *a = allocator(d);
    return a->alloc(a->ctx, size);
}

static void dfree(elog_decoder *d, void *ptr, size_t size)
{
    if (ptr) {
        const elog_allocator *a = allocator(d);
        a->free(a->ctx, ptr, size);
    }
}

/* ---------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static elog_status
fail(elog_decoder *d, elog_status st, uint64_t offset, const char *fmt, ...)
{
    d->priv_.error = st;
    d->priv_.error_offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->priv_.reason, sizeof d->priv_.reason, fmt, ap);
    va_end(ap);
    return st;
}

const char *elog_end_kind_name(elog_end_kind k)
{
    switch (k) {
    case ELOG_END_CLEAN: return "clean";
    case ELOG_END_TRUNCATED_BETWEEN_EVENTS: return "truncated-between-events";
    case ELOG_END_TRUNCATED_IN_EVENT: return "truncated-in-event";
    case ELOG_END_TRUNCATED_IN_HEADER: return "truncated-in-header";
    case ELOG_END_EMPTY: return "empty";
    case ELOG_END_ERROR: return "error";
    }
    return "unknown";
}

elog_status elog_get_error(const elog_decoder *d) { return d->priv_.error; }
const char *elog_get_error_reason(const elog_decoder *d) { return d->priv_.reason; }
uint64_t elog_get_error_offset(const elog_decoder *d) { return d->priv_.error_offset; }
/* The in-place loop does not store the offset per event: inside its
 * callbacks it is the end of the event they were given. */
uint64_t elog_get_offset(const elog_decoder *d)
{
    const elog_event *ev = d->priv_.fast_ev;
    return ev ? ev->offset + ev->size : d->priv_.offset;
}

const elog_header *elog_get_header(const elog_decoder *d)
{
    return (d->priv_.flags & F_HEADER_DONE) ? &d->priv_.header : NULL;
}

/* ---------------------------------------------------------------------------
 * Life cycle
 * ------------------------------------------------------------------------- */

void elog_settings_init(elog_settings *s)
{
    memset(s, 0, sizeof *s);
}

static void start_stream(elog_decoder *d)
{
    d->priv_.offset = 0;
    d->priv_.events = 0;
    d->priv_.item_offset = 0;
    d->priv_.end_offset = UINT64_MAX;
    d->priv_.error_offset = 0;
    d->priv_.block_offset = 0;
    d->priv_.block_remaining = 0;
    d->priv_.block_cap = ELOG_NO_CAP;
    d->priv_.state = S_MAGIC;
    d->priv_.need = 4;
    d->priv_.have = 0;
    d->priv_.item_total = 0;
    d->priv_.dlen = d->priv_.xlen = 0;
    d->priv_.ev_id = 0;
    d->priv_.flags = 0;
    d->priv_.error = ELOG_OK;
    d->priv_.reason[0] = '\0';
    d->priv_.n_types = 0;
    d->priv_.descs_len = 0;
    memset(&d->priv_.header, 0, sizeof d->priv_.header);
}

void elog_decoder_init(elog_decoder *d, const elog_settings *settings, void *data)
{
    memset(d, 0, sizeof *d);
    d->priv_.settings = settings;
    d->data = data;
    start_stream(d);
}

static void free_header(elog_decoder *d)
{
    dfree(d, d->priv_.types, d->priv_.cap_types * sizeof *d->priv_.types);
    dfree(d, d->priv_.descs, d->priv_.descs_cap);
    dfree(d, d->priv_.by_id, by_id_bytes(d->priv_.by_id_len));
    d->priv_.types = NULL;
    d->priv_.descs = NULL;
    d->priv_.by_id = NULL;
    d->priv_.cap_types = d->priv_.descs_cap = 0;
    d->priv_.by_id_len = 0;
}

void elog_decoder_free(elog_decoder *d)
{
    if (d->priv_.flags & F_IN_CALLBACK)
        return;
    free_header(d);
    dfree(d, d->priv_.carry, ELOG_MAX_RECORD_SIZE);
    d->priv_.carry = NULL;
    start_stream(d);
}

void elog_decoder_reset(elog_decoder *d)
{
    if (d->priv_.flags & F_IN_CALLBACK)
        return;
    /* The by-id table is rebuilt per header; type and description storage is
     * kept for reuse by the next stream. */
    dfree(d, d->priv_.by_id, by_id_bytes(d->priv_.by_id_len));
    d->priv_.by_id = NULL;
    d->priv_.by_id_len = 0;
    start_stream(d);
}

void elog_resume(elog_decoder *d)
{
    d->priv_.flags &= (uint8_t)~F_PAUSED;
}

/* ---------------------------------------------------------------------------
 * Header
 * ------------------------------------------------------------------------- */

static void hex4(char out[12], const uint8_t *p)
{
    snprintf(out, 12, "%02x %02x %02x %02x", p[0], p[1], p[2], p[3]);
}

static elog_status expect_tag(elog_decoder *d, uint32_t want, const char *name)
{
    uint32_t got = elog__rd32(d->priv_.small);
    if (got == want)
        return ELOG_OK;
    char hex[12];
    hex4(hex, d->priv_.small);
    return fail(d, ELOG_E_BAD_HEADER, d->priv_.item_offset,
                "malformed header: expected the %s tag, found bytes %s", name, hex);
}

static elog_status add_type(elog_decoder *d)
{
    if (d->priv_.n_types >= MAX_HEADER_TYPES)
        return fail(d, ELOG_E_LIMIT, d->priv_.item_offset,
                    "the header declares more than %u event types", MAX_HEADER_TYPES);
    if (d->priv_.n_types == d->priv_.cap_types) {
        size_t ncap = d->priv_.cap_types ? d->priv_.cap_types * 2 : 128;
        elog_event_type *nt = dalloc(d, ncap * sizeof *nt);
        if (!nt)
            return fail(d, ELOG_E_NOMEM, d->priv_.item_offset,
                        "out of memory for the header's event-type table (%zu entries)", ncap);
        if (d->priv_.n_types)
            memcpy(nt, d->priv_.types, d->priv_.n_types * sizeof *nt);
        dfree(d, d->priv_.types, d->priv_.cap_types * sizeof *d->priv_.types);
        d->priv_.types = nt;
        d->priv_.cap_types = ncap;
    }
    elog_event_type *t = &d->priv_.types[d->priv_.n_types];
    memset(t, 0, sizeof *t);
    t->id = elog__rd16(d->priv_.small);
    t->size = elog__rd16(d->priv_.small + 2);
    t->header_index = (uint32_t)d->priv_.n_types;
    t->offset = d->priv_.item_offset - 4; /* the ET_BEGIN tag before the fixed part */
    t->description.len = d->priv_.dlen;
    t->layout = elog_catalogue_find(t->id, t->size);
    d->priv_.n_types++;
    return ELOG_OK;
}

static size_t header_limit(const elog_decoder *d)
{
    size_t lim = d->priv_.settings ? d->priv_.settings->max_header_bytes : 0;
    return lim != 0 ? lim : ELOG_DEFAULT_MAX_HEADER;
}

/* The header item that starts at item_offset_ and takes `len` bytes must
 * end within the limit. */
static elog_status check_header_room(elog_decoder *d, uint64_t len, const char *what)
{
    size_t lim = header_limit(d);
    if (d->priv_.item_offset + len <= lim)
        return ELOG_OK;
    return fail(d, ELOG_E_LIMIT, d->priv_.item_offset,
                "the header goes beyond %zu bytes (%s of %" PRIu64 " bytes here); GHC's "
                "headers are tens of KiB, so it is corrupt or hostile (raise "
                "elog_settings.max_header_bytes if it is genuine)", lim, what, len);
}

static elog_status reserve_descs(elog_decoder *d, size_t extra)
{
    if (d->priv_.descs_cap - d->priv_.descs_len >= extra)
        return ELOG_OK;
    size_t ncap = d->priv_.descs_cap ? d->priv_.descs_cap : 4096;
    while (ncap - d->priv_.descs_len < extra)
        ncap *= 2;
    /* Descriptions are part of the header: never more room than its limit
     * allows (a doubling would otherwise overshoot it by up to 2x). */
    size_t lim = header_limit(d);
    if (ncap > lim && d->priv_.descs_len + extra <= lim)
        ncap = lim;
    uint8_t *nb = dalloc(d, ncap);
    if (!nb)
        return fail(d, ELOG_E_NOMEM, d->priv_.item_offset,
                    "out of memory for event-type descriptions (%zu bytes)", ncap);
    if (d->priv_.descs_len)
        memcpy(nb, d->priv_.descs, d->priv_.descs_len);
    dfree(d, d->priv_.descs, d->priv_.descs_cap);
    d->priv_.descs = nb;
    d->priv_.descs_cap = ncap;
    return ELOG_OK;
}

/* Asks settings->select about each declared type, in header order (for an
 * id declared twice the last answer stands, as the last declaration does). */
static void select_types(elog_decoder *d)
{
    const elog_settings *s = d->priv_.settings;
    if (!s || !s->select || !d->priv_.by_id)
        return;
    uint8_t *skip = skip_flags(d);
    d->priv_.flags |= F_IN_CALLBACK;
    for (size_t i = 0; i < d->priv_.n_types; i++) {
        const elog_event_type *t = &d->priv_.types[i];
        if (t->id != ID_DATA_END)
            skip[t->id] = !s->select(d, t);
    }
    d->priv_.flags &= (uint8_t)~F_IN_CALLBACK;
    id_table *ids = (id_table *)(void *)((uint8_t *)d->priv_.by_id +
                                         id_table_offset(d->priv_.by_id_len));
    for (uint32_t id = 0; id < d->priv_.by_id_len; id++) {
        if (!skip[id])
            continue;
        d->priv_.flags |= F_SELECTING;
        if (id < FAST_IDS && (ids->kind[id] == K_FIXED || ids->kind[id] == K_FIXED_SWITCH))
            ids->skip_limit[id] = ids->total[id] + 1u;
        else if (id < FAST_IDS && ids->kind[id] == K_VARIABLE)
            skip[id] = SKIP_VARIABLE;
    }
}

/* Builds the id table and points descriptions at their final storage. */
static elog_status finish_header(elog_decoder *d)
{
    /* Id 0xffff is the end-of-data marker: a header may list it, but no
     * event can have it, so it stays out of the id table (and the hot loop
     * needs one test for both "undeclared" and "end of data"). */
    uint32_t max_id = 0;
    bool any = false;
    for (size_t i = 0; i < d->priv_.n_types; i++) {
        if (d->priv_.types[i].id == ID_DATA_END)
            continue;
        any = true;
        if (d->priv_.types[i].id > max_id)
            max_id = d->priv_.types[i].id;
    }
    uint32_t n = any ? max_id + 1 : 0;
    if (n) {
        d->priv_.by_id = dalloc(d, by_id_bytes(n));
        if (!d->priv_.by_id)
            return fail(d, ELOG_E_NOMEM, d->priv_.item_offset,
                        "out of memory for the event-id table (%u entries)", n);
        memset(d->priv_.by_id, 0, (size_t)n * sizeof *d->priv_.by_id);
    }
    d->priv_.by_id_len = n;
    if (n) {
        memset(skip_flags(d), 0, skip_len(n)); /* (where depends on by_id_len) */
        memset(id_table_mut(d)->route_cb, 0, sizeof id_table_mut(d)->route_cb);
        memset(id_table_mut(d)->route_ctx, 0, sizeof id_table_mut(d)->route_ctx);
    }
    size_t pos = 0;
    for (size_t i = 0; i < d->priv_.n_types; i++) {
        elog_event_type *t = &d->priv_.types[i];
        t->description.ptr = d->priv_.descs ? d->priv_.descs + pos : NULL;
        pos += t->description.len;
        if (t->id != ID_DATA_END)
            d->priv_.by_id[t->id] = (uint32_t)i + 1; /* a later record wins, as in ghc-events */
    }
    id_table *ids = n ? (id_table *)(void *)((uint8_t *)d->priv_.by_id + id_table_offset(n)) : NULL;
    for (uint32_t id = 0; n && id < FAST_IDS; id++) {
        const elog_event_type *t = id < n && d->priv_.by_id[id] ? &d->priv_.types[d->priv_.by_id[id] - 1] : NULL;
        ids->type[id] = t;
        ids->layout[id] = t ? t->layout : NULL;
        ids->layout_index[id] = (uint16_t)(t ? layout_index(t) : ELOG_CATALOGUE_LAYOUTS);
        ids->kind[id] = K_GENERAL;
        ids->total[id] = 0;
        ids->fast_limit[id] = UINT64_MAX;
        ids->skip_limit[id] = UINT64_MAX; /* select_types() sets it */
        if (!t)
            continue;
        /* The loop's switches take fixed and variable layouts apart, so the
         * layout must be of the declared kind (elog_catalogue_find() sees to
         * it; anything else would go the general way). */
        bool var = t->size == ELOG_VARIABLE_SIZE;
        if (t->layout && (t->layout->size == ELOG_VARIABLE_SIZE) != var)
            continue;
        if (var) {
            ids->kind[id] = K_VARIABLE;
        } else if (!is_block_marker((uint16_t)id, t->layout)) {
            uint32_t reads = ids->total[id] = 10u + t->size;
            ids->kind[id] = K_FIXED_SWITCH;
            /* The straight decoder reads its own size of payload, perhaps
             * into the next record: it must be in the buffer. */
            if (t->layout && elog__layout_straight(t->layout->index)) {
                ids->kind[id] = K_FIXED;
                if (reads < 10u + ELOG__STRAIGHT_SIZE)
                    reads = 10u + ELOG__STRAIGHT_SIZE;
                ids->fast_limit[id] = reads + 1u;
            }
        }
    }
    d->priv_.header.types = d->priv_.types;
    d->priv_.header.n_types = d->priv_.n_types;
    d->priv_.header.data_offset = d->priv_.offset;
    d->priv_.header.priv_.by_id = d->priv_.by_id;
    d->priv_.header.priv_.by_id_len = d->priv_.by_id_len;
    d->priv_.flags |= F_HEADER_DONE;
    select_types(d);
    return ELOG_OK;
}

const elog_event_type *elog_header_lookup(const elog_header *h, uint16_t id)
{
    if (id >= h->priv_.by_id_len || !h->priv_.by_id[id])
        return NULL;
    return &h->types[h->priv_.by_id[id] - 1];
}

elog_status elog_route(elog_decoder *d, uint16_t id, elog_type_cb cb, void *ctx)
{
    uint8_t f = d->priv_.flags;
    if (!(f & F_HEADER_DONE) || ((f & F_IN_CALLBACK) && !(f & F_IN_HEADER_CB)))
        return ELOG_E_USAGE;
    if (id >= d->priv_.by_id_len || !d->priv_.by_id[id])
        return ELOG_E_UNDECLARED;
    if (id >= FAST_IDS)
        return ELOG_E_USAGE;
    id_table_mut(d)->route_cb[id] = cb;
    id_table_mut(d)->route_ctx[id] = ctx;
    if (cb)
        d->priv_.flags |= F_ROUTED;
    return ELOG_OK;
}

/* Runs a callback, translating its answer. */
static elog_status callback_result(elog_decoder *d, int rc, uint64_t offset)
{
    if (rc == ELOG_CB_CONTINUE)
        return ELOG_OK;
    if (rc == ELOG_CB_PAUSE) {
        d->priv_.flags |= F_PAUSED;
        return ELOG_PAUSED;
    }
    return fail(d, ELOG_E_CALLBACK, offset, "a callback aborted decoding (it returned %d)", rc);
}

/* One step of the header: the current item (need_ bytes) is complete. */
static elog_status header_item_done(elog_decoder *d)
{
    elog_status st;
    switch (d->priv_.state) {
    case S_MAGIC:
        if (elog__rd32(d->priv_.small) != TAG_HEADER_BEGIN) {
            char hex[12];
            hex4(hex, d->priv_.small);
            return fail(d, ELOG_E_NOT_EVENTLOG, 0,
                        "not a GHC eventlog: it must start with \"hdrb\" (68 64 72 62), "
                        "found bytes %s", hex);
        }
        d->priv_.state = S_HET_BEGIN, d->priv_.need = 4;
        return ELOG_OK;
    case S_HET_BEGIN:
        if ((st = expect_tag(d, TAG_HET_BEGIN, "event-type list begin (\"hetb\")")))
            return st;
        d->priv_.state = S_ET_TAG, d->priv_.need = 4;
        return ELOG_OK;
    case S_ET_TAG: {
        uint32_t tag = elog__rd32(d->priv_.small);
        if (tag == TAG_ET_BEGIN) {
            d->priv_.state = S_ET_FIXED, d->priv_.need = 8;
        } else if (tag == TAG_HET_END) {
            d->priv_.state = S_HEADER_END, d->priv_.need = 4;
        } else {
            return expect_tag(d, TAG_ET_BEGIN,
                              "event-type begin (\"etb\\0\") or event-type list end (\"hete\")");
        }
        return ELOG_OK;
    }
    case S_ET_FIXED:
        d->priv_.dlen = elog__rd32(d->priv_.small + 4);
        if ((st = check_header_room(d, 8u + (uint64_t)d->priv_.dlen, "an event-type description")))
            return st;
        if (d->priv_.dlen > MAX_DESCRIPTION)
            return fail(d, ELOG_E_LIMIT, d->priv_.item_offset,
                        "event type %u has a %" PRIu32 "-byte description (the limit is %u); "
                        "the header is corrupt",
                        elog__rd16(d->priv_.small), d->priv_.dlen, MAX_DESCRIPTION);
        if ((st = add_type(d)) || (st = reserve_descs(d, d->priv_.dlen)))
            return st;
        d->priv_.state = S_ET_DESC, d->priv_.need = d->priv_.dlen;
        return ELOG_OK;
    case S_ET_XLEN:
        d->priv_.xlen = elog__rd32(d->priv_.small);
        if ((st = check_header_room(d, 4u + (uint64_t)d->priv_.xlen, "extra event-type info")))
            return st;
        d->priv_.state = S_ET_EXTRA, d->priv_.need = d->priv_.xlen;
        return ELOG_OK;
    case S_ET_END:
        if ((st = expect_tag(d, TAG_ET_END, "event-type end (\"ete\\0\")")))
            return st;
        d->priv_.state = S_ET_TAG, d->priv_.need = 4;
        return ELOG_OK;
    case S_HEADER_END:
        if ((st = expect_tag(d, TAG_HEADER_END, "header end (\"hdre\")")))
            return st;
        d->priv_.state = S_DATA_BEGIN, d->priv_.need = 4;
        return ELOG_OK;
    case S_DATA_BEGIN:
        if ((st = expect_tag(d, TAG_DATA_BEGIN, "data begin (\"datb\")")))
            return st;
        if ((st = finish_header(d)))
            return st;
        d->priv_.state = S_EVENT, d->priv_.need = 0;
        if (d->priv_.settings && d->priv_.settings->on_header) {
            d->priv_.flags |= F_IN_CALLBACK | F_IN_HEADER_CB;
            int rc = d->priv_.settings->on_header(d, &d->priv_.header);
            d->priv_.flags &= (uint8_t)~(F_IN_CALLBACK | F_IN_HEADER_CB);
            return callback_result(d, rc, d->priv_.offset);
        }
        return ELOG_OK;
    default:
        return ELOG_OK;
    }
}

/* Consumes header bytes from [*pp, end). */
static elog_status header_bytes(elog_decoder *d, const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    elog_status st = ELOG_OK;
    while (p < end && d->priv_.state < S_EVENT) {
        size_t avail = (size_t)(end - p);
        if (d->priv_.have == 0) {
            d->priv_.item_offset = d->priv_.offset;
            /* Catches headers made of many small items (descriptions and
             * extras are checked whole above, before they are read). */
            if ((st = check_header_room(d, d->priv_.need, "an item")))
                break;
        }
        size_t want = d->priv_.need - d->priv_.have;
        size_t n = avail < want ? avail : want;
        if (d->priv_.state == S_ET_DESC) {
            if (n) /* descs_ is NULL while every description so far is empty */
                memcpy(d->priv_.descs + d->priv_.descs_len, p, n);
            d->priv_.descs_len += n;
        } else if (d->priv_.state != S_ET_EXTRA) {
            memcpy(d->priv_.small + d->priv_.have, p, n);
            if (d->priv_.state == S_MAGIC && memcmp(d->priv_.small, "hdrb", d->priv_.have + n) != 0) {
                /* Say so as soon as the first byte is wrong, not after four. */
                char hex[12] = "";
                size_t at = 0;
                for (size_t i = 0; i < d->priv_.have + n; i++)
                    at += (size_t)snprintf(hex + at, sizeof hex - at, i ? " %02x" : "%02x",
                                           d->priv_.small[i]);
                st = fail(d, ELOG_E_NOT_EVENTLOG, 0,
                          "not a GHC eventlog: it must start with \"hdrb\" (68 64 72 62), "
                          "found bytes %s", hex);
                break;
            }
        }
        p += n;
        d->priv_.offset += n;
        d->priv_.have += (uint32_t)n;
        if (d->priv_.have < d->priv_.need)
            break;
        d->priv_.have = 0;
        if (d->priv_.state == S_ET_DESC) {
            d->priv_.state = S_ET_XLEN, d->priv_.need = 4;
            continue;
        }
        if (d->priv_.state == S_ET_EXTRA) {
            d->priv_.state = S_ET_END, d->priv_.need = 4;
            continue;
        }
        if ((st = header_item_done(d)))
            break;
    }
    *pp = p;
    return st;
}

/* ---------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------- */

/* The attribution step, inlined into the decoder's hot loop; the public
 * elog_block_state_apply() wraps it. */
static inline elog_status block_apply(elog_block_state *bs, elog_event *ev, bool strict)
{
    elog_status st = ELOG_OK;
    if (is_block_marker(ev->id, ev->layout)) {
        const elog_ev_block_marker *b = &ev->as.block_marker;
        if (strict && (bs->remaining > 0 || b->block_size < BLOCK_MARKER_RECORD))
            st = ELOG_E_BAD_BLOCK;
        bs->cap = b->cap;
        /* u32 arithmetic, as ghc-events: an unpatched size of 0 covers ~4 GiB. */
        bs->remaining = (int64_t)(uint32_t)(b->block_size - BLOCK_MARKER_RECORD);
        ev->cap = bs->cap;
        if (bs->remaining <= 0)
            bs->cap = ELOG_NO_CAP;
        return st;
    }
    ev->cap = bs->cap;
    bool inside = bs->remaining > 0;
    bs->remaining -= ev->size;
    if (strict && inside && bs->remaining < 0)
        st = ELOG_E_BAD_BLOCK;
    if (bs->remaining <= 0)
        bs->cap = ELOG_NO_CAP;
    return st;
}

elog_status elog_block_state_apply(elog_block_state *bs, elog_event *ev, bool strict)
{
    return block_apply(bs, ev, strict);
}

/* Fills the record's framing: everything but `cap` and the typed fields
 * (`head` = 12 for a variable-size type, else 10). */
static inline __attribute__((always_inline)) void
frame_record(const elog_event_type *t, const elog_layout_info *layout, uint16_t id,
             uint32_t head, const uint8_t *p, size_t total, uint64_t offset, elog_event *ev)
{
    ev->id = id;
    ev->size = (uint32_t)total;
    ev->time = elog__rd64(p + 2);
    ev->offset = offset;
    ev->payload.ptr = p + head;
    ev->payload.len = total - head;
    ev->type = t;
    ev->layout = layout;
}

/* Fills everything but `cap` (set to ELOG_NO_CAP) from a complete record of
 * type `t` (id `id`, layout index `layout` as layout_index(t), `head` as for
 * frame_record()). */
static inline __attribute__((always_inline)) elog_status
decode_record(const elog_event_type *t, uint16_t id, unsigned layout, uint32_t head,
              const uint8_t *p, uint32_t total, uint64_t offset, elog_event *ev, int *bad_field)
{
    frame_record(t, t->layout, id, head, p, total, offset, ev);
    ev->cap = ELOG_NO_CAP;
    int rc = elog__decode_fields(layout, ev->payload.ptr, ev->payload.len, &ev->as);
    if (__builtin_expect(rc != 0, 0)) {
        *bad_field = rc - 1;
        return ELOG_E_BAD_EVENT;
    }
    return ELOG_OK;
}

static uint32_t record_head(const elog_event_type *t)
{
    return t->size == ELOG_VARIABLE_SIZE ? 12 : 10;
}

/* The size of the record of type t at p (avail bytes there); for a
 * variable-size type whose length is not in yet, 12: the bytes needed to
 * know it. */
static uint32_t record_size_at(const elog_event_type *t, const uint8_t *p, size_t avail)
{
    if (t->size != ELOG_VARIABLE_SIZE)
        return 10u + t->size;
    return avail < 12 ? 12u : 12u + elog__rd16(p + 10);
}

static elog_status bad_event(elog_decoder *d, const elog_event *ev, int field)
{
    const elog_layout_info *l = ev->layout;
    return fail(d, ELOG_E_BAD_EVENT, ev->offset,
                "event %s (id %u) is corrupt: field '%s' does not fit in its %zu-byte payload",
                l->name, ev->id, l->fields[field].name, ev->payload.len);
}

static elog_status undeclared(elog_decoder *d, uint16_t id, uint64_t offset)
{
    return fail(d, ELOG_E_UNDECLARED, offset,
                "event id %u is not declared in the header (%zu types declared): the data "
                "is corrupt or a record boundary was lost",
                id, d->priv_.n_types);
}

static elog_status bad_block(elog_decoder *d, const elog_event *ev, int64_t remaining_before)
{
    if (is_block_marker(ev->id, ev->layout)) {
        if (remaining_before > 0)
            return fail(d, ELOG_E_BAD_BLOCK, ev->offset,
                        "a new block begins while the block at offset %" PRIu64
                        " still declares %" PRId64 " more bytes (use lenient blocks to accept)",
                        d->priv_.block_offset, remaining_before);
        return fail(d, ELOG_E_BAD_BLOCK, ev->offset,
                    "block marker declares a size of %" PRIu32 " bytes, less than its own 24 bytes",
                    ev->as.block_marker.block_size);
    }
    return fail(d, ELOG_E_BAD_BLOCK, ev->offset,
                "event (id %u, %" PRIu32 " bytes) crosses the end of the block at offset %" PRIu64
                ", which had %" PRId64 " bytes left",
                ev->id, ev->size, d->priv_.block_offset, remaining_before);
}

/* The error of check_block_room(), out of line. */
static __attribute__((noinline, cold)) elog_status
block_overrun(elog_decoder *d, const elog_event_type *t, uint32_t size, bool exact,
              uint64_t offset)
{
    const elog_settings *s = d->priv_.settings;
    if (is_block_marker(t->id, t->layout) || (s && (s->options & ELOG_OPT_LENIENT_BLOCKS)))
        return ELOG_OK;
    /* At most ~190 bytes: priv_.reason holds 200. */
    return fail(d, ELOG_E_BAD_BLOCK, offset,
                "event %.32s (id %u, %s%" PRIu32 " bytes) runs past the end of the block at "
                "offset %" PRIu64 " (%" PRId64 " bytes left); lenient blocks accept it",
                t->layout ? t->layout->name : "?", t->id, exact ? "" : "at least ", size,
                d->priv_.block_offset, d->priv_.block_remaining);
}

/* A record of type t at `offset` that needs at least `size` bytes (its
 * whole size, or for a variable-size type whose length is not in yet, the 12
 * bytes before it: `exact` false) inside the current block: ELOG_E_BAD_BLOCK
 * in strict mode if the block ends before. Checked as soon as the size is
 * known, not when the record is complete: its last bytes may never come (a
 * garbage length near the end of a file, a live stream waiting for bytes
 * that cannot legally follow). Only the general path calls it; a block
 * marker inside a block is deliver()'s to report. */
static inline elog_status
check_block_room(elog_decoder *d, const elog_event_type *t, uint32_t size, bool exact,
                 uint64_t offset)
{
    if (__builtin_expect(d->priv_.block_remaining > 0 && (int64_t)size > d->priv_.block_remaining, 0))
        return block_overrun(d, t, size, exact, offset);
    return ELOG_OK;
}

/* Decodes, attributes and delivers one complete record: the general path,
 * for records that straddle calls and for those the in-place loop does not
 * take straight (variable size, block markers, block ends). Advances
 * d->priv_.offset past the record iff it got to its callback. */
static __attribute__((noinline)) elog_status
deliver(elog_decoder *d, const elog_event_type *t, const uint8_t *p, uint32_t total,
        uint64_t offset)
{
    elog_event ev;
    int bad_field = 0;
    /* A type not selected is only framed; a block marker is decoded all the
     * same, for the block state. */
    bool skip = (d->priv_.flags & F_SELECTING) && skip_flags(d)[t->id];
    if (skip && !is_block_marker(t->id, t->layout)) {
        frame_record(t, t->layout, t->id, record_head(t), p, total, offset, &ev);
        ev.cap = ELOG_NO_CAP;
    } else if (decode_record(t, t->id, layout_index(t), record_head(t), p, total, offset, &ev,
                             &bad_field)) {
        return bad_event(d, &ev, bad_field);
    }

    const elog_settings *s = d->priv_.settings;
    elog_block_state bs = {d->priv_.block_remaining, d->priv_.block_cap};
    bool strict = !(s && (s->options & ELOG_OPT_LENIENT_BLOCKS));
    if (block_apply(&bs, &ev, strict))
        return bad_block(d, &ev, d->priv_.block_remaining);
    bool marker = is_block_marker(ev.id, ev.layout);
    if (marker)
        d->priv_.block_offset = offset;
    d->priv_.block_remaining = bs.remaining;
    d->priv_.block_cap = bs.cap;
    d->priv_.events++;
    d->priv_.offset = offset + total;

    elog_event_cb cb = NULL;
    elog_type_cb route_cb = NULL;
    void *route_ctx = NULL;
    if (s && !skip) {
        cb = (marker && s->on_block) ? s->on_block : s->on_event;
        if ((d->priv_.flags & F_ROUTED) && !(marker && s->on_block) && t->id < FAST_IDS) {
            route_cb = id_table_of(d)->route_cb[t->id];
            route_ctx = id_table_of(d)->route_ctx[t->id];
        }
    }
    if (!cb && !route_cb)
        return ELOG_OK;
    d->priv_.flags |= F_IN_CALLBACK;
    int rc = route_cb ? route_cb(route_ctx, &ev) : cb(d, &ev);
    d->priv_.flags &= (uint8_t)~F_IN_CALLBACK;
    return callback_result(d, rc, offset);
}

static elog_status data_end(elog_decoder *d, uint64_t offset)
{
    if (d->priv_.end_offset == UINT64_MAX)
        d->priv_.end_offset = offset;
    d->priv_.offset = offset + 2;
    const elog_settings *s = d->priv_.settings;
    bool lenient = s && (s->options & ELOG_OPT_LENIENT_BLOCKS);
    /* GHC >= 9 writes the end marker into the global block and counts its two
     * bytes in the block size; older GHCs write it after the last block. */
    if (!lenient && d->priv_.block_remaining > 0 && d->priv_.block_remaining != 2)
        return fail(d, ELOG_E_BAD_BLOCK, offset,
                    "the end-of-data marker comes inside the block at offset %" PRIu64
                    ", which declares %" PRId64 " more bytes",
                    d->priv_.block_offset, d->priv_.block_remaining);
    /* ghc-events leaves attribution untouched by the end marker (docs/FORMAT.md
     * §5.3); lenient mode reproduces that exactly. */
    if (!lenient && d->priv_.block_remaining > 0) {
        d->priv_.block_remaining -= 2;
        if (d->priv_.block_remaining <= 0)
            d->priv_.block_cap = ELOG_NO_CAP;
    }
    if (!(s && (s->options & ELOG_OPT_CONTINUE_AFTER_END)))
        d->priv_.state = S_TRAILING;
    if (s && s->on_data_end) {
        d->priv_.flags |= F_IN_CALLBACK;
        int rc = s->on_data_end(d, offset);
        d->priv_.flags &= (uint8_t)~F_IN_CALLBACK;
        return callback_result(d, rc, offset);
    }
    return ELOG_OK;
}

static const elog_event_type *lookup(const elog_decoder *d, uint16_t id)
{
    if (id >= d->priv_.by_id_len)
        return NULL;
    uint32_t i = d->priv_.by_id[id];
    return i ? &d->priv_.types[i - 1] : NULL;
}

/* One record at p (avail >= 2 bytes, d->priv_.offset its offset) by the general
 * path: the end marker, an undeclared id, or a record that deliver() takes.
 * Leaves a record that is not whole in [p, p + avail) alone. */
static __attribute__((noinline)) elog_status
record_in_place(elog_decoder *d, const uint8_t *p, size_t avail)
{
    uint16_t id = elog__rd16(p);
    uint64_t offset = d->priv_.offset;
    const elog_event_type *t = lookup(d, id);
    if (!t) {
        if (id != ID_DATA_END)
            return undeclared(d, id, offset);
        return data_end(d, offset);
    }
    uint32_t total = record_size_at(t, p, avail);
    /* Before deliver() decodes the fields: the same error however the
     * stream is chunked. */
    elog_status st = check_block_room(d, t, total, t->size != ELOG_VARIABLE_SIZE || avail >= 12,
                                      offset);
    if (st != ELOG_OK || avail < total)
        return st;
    return deliver(d, t, p, total, offset);
}

/* A hint (a prefetch never faults): the address may be past the buffer,
 * hence formed as an integer. */
static inline __attribute__((always_inline)) void prefetch_ahead(const uint8_t *p)
{
    __builtin_prefetch((const void *)((uintptr_t)p + PREFETCH_AHEAD));
}

static int no_callback(elog_decoder *d, const elog_event *ev)
{
    (void)d;
    (void)ev;
    return ELOG_CB_CONTINUE;
}

/* Records that are whole inside [p, end): decoded in place. Stops at a
 * partial record, leaving it to the carry path.
 *
 * This is the decoder's hot loop. Its inner loop takes the common record
 * straight: a declared type below FAST_IDS other than the block marker,
 * whole in the buffer, that does not reach the end of its block. It counts
 * down `fast`, the bytes it may take before the end of the buffer or the
 * last byte of the block, whichever comes first, so one comparison with the
 * id's entry checks both; the commonest layouts are then decoded without a
 * branch on the type (elog__decode_straight), the others through a switch.
 * Any other record (the block's last, a block marker, an undeclared id or
 * the end marker, a partial record, fields that do not fit) goes through
 * record_in_place() with the per-stream state written back to the decoder.
 * Callbacks see elog_get_offset() up to date (computed from the event they
 * are given: priv_.fast_ev); the capability is stored in the event once per
 * run, the offset and the count of records stepped over written back at
 * the end of a run.
 *
 * `selecting` (a constant: the loop is compiled twice) steps over the records
 * of the types settings->select turned off, under the same conditions (whole
 * in the buffer and in the block, the next id readable), without decoding
 * their fields or calling back: a fixed-size one on one comparison
 * (skip_limit) before anything else, a variable-size one once its length is
 * read. */
static inline __attribute__((always_inline)) elog_status
events_loop(elog_decoder *d, const uint8_t **pp, const uint8_t *end, const bool selecting,
            const bool routed)
{
    const uint8_t *p = *pp;
    const elog_settings *s = d->priv_.settings;
    elog_event_cb on_event = s && s->on_event ? s->on_event : no_callback;
    const id_table *ids = id_table_of(d); /* NULL: no type declared */
    const uint8_t *skip = selecting && ids ? skip_flags(d) : NULL;
    uint64_t offset = d->priv_.offset;
    elog_status st = ELOG_OK;
    elog_event ev;

    /* Set for the whole loop rather than around each callback: nothing in
     * the loop looks at it (the general path clears it, and deliver() sets it
     * itself). */
    d->priv_.flags |= F_IN_CALLBACK;
    for (;;) {
        /* Inside a block (remaining > 0) a record is taken straight only if
         * the block goes on after it; outside any block (remaining <= 0, cap
         * none) the remaining count just goes down. */
        size_t avail = (size_t)(end - p);
        int64_t remaining = d->priv_.block_remaining;
        size_t fast = remaining > 0 && (uint64_t)remaining - 1u < avail
                          ? (size_t)remaining - 1u : avail;
        if (!ids)
            fast = 0;
        const uint8_t *const p0 = p;
        const uint64_t offset0 = offset;
        /* fast >= 2 on each round: a record is taken only if the next id
         * can be read after it (the last one goes the general way). */
        if (fast >= 2) {
            /* Only the general path changes the capability, and callbacks
             * get the event const: set once for the records taken here. */
            ev.cap = d->priv_.block_cap;
            uint64_t stepped_over = 0; /* no callback can see the count */
            d->priv_.fast_ev = &ev;
            for (;;) {
                if (__builtin_expect(p[0] != 0, 0))
                    break;
                size_t id = p[1]; /* the big-endian id's low byte */
                if (!selecting)
                    ev.id = (uint16_t)id; /* (here, it saves a register copy) */
                size_t total;
                /* The fixed-size records of the types turned off first (the
                 * ones left fail the checks below and take the general
                 * path); when selecting, the offset of a record (only needed
                 * for one delivered) follows from p. */
                if (selecting && ids->skip_limit[id] < fast) {
                    total = ids->total[id];
                    goto skipped;
                }
                if (__builtin_expect(ids->fast_limit[id] < fast, 1)) {
                    total = ids->total[id];
                    if (selecting)
                        offset = offset0 + (uint64_t)(p - p0);
                    if (routed && ids->route_cb[id] != NULL) {
                        /* A route of a fixed-size typed event: its fields,
                         * not its framing (see elog_route()). */
                        ev.id = (uint16_t)id;
                        ev.size = (uint32_t)total;
                        ev.time = elog__rd64(p + 2);
                        ev.offset = offset;
                        elog__decode_straight(p + 10, &ev.as);
                    } else {
                        frame_record(ids->type[id], ids->layout[id], (uint16_t)id, 10, p, total,
                                     offset, &ev);
                        elog__decode_straight(ev.payload.ptr, &ev.as);
                    }
                } else if (selecting && skip[id] == SKIP_VARIABLE) { /* (any id: skip_len()) */
                    if (fast < 12)
                        break;
                    total = 12u + elog__rd16(p + 10);
                    if (total + 2u > fast)
                        break;
                    goto skipped;
                } else if (ids->kind[id] == K_VARIABLE) {
                    if (fast < 12)
                        break;
                    total = 12u + elog__rd16(p + 10);
                    if (total + 2u > fast)
                        break;
                    if (selecting)
                        offset = offset0 + (uint64_t)(p - p0);
                    frame_record(ids->type[id], ids->layout[id], (uint16_t)id, 12, p, total,
                                 offset, &ev);
                    if (__builtin_expect(elog__decode_var_fields(ids->layout_index[id],
                                                                 ev.payload.ptr, ev.payload.len,
                                                                 &ev.as) != 0, 0))
                        break; /* the general path reports it */
                } else {
                    if (ids->kind[id] != K_FIXED_SWITCH)
                        break;
                    total = ids->total[id];
                    if (total + 1u >= fast)
                        break;
                    if (selecting)
                        offset = offset0 + (uint64_t)(p - p0);
                    frame_record(ids->type[id], ids->layout[id], (uint16_t)id, 10, p, total,
                                 offset, &ev);
                    elog__decode_fixed_fields(ids->layout_index[id], ev.payload.ptr, &ev.as);
                }
                fast -= total;
                p += total;
                offset += total;
                d->priv_.events++;
                prefetch_ahead(p);
                elog_type_cb route_cb = routed ? ids->route_cb[id] : NULL;
                int rc = route_cb ? route_cb(ids->route_ctx[id], &ev) : on_event(d, &ev);
                if (__builtin_expect(rc != ELOG_CB_CONTINUE, 0)) {
                    st = callback_result(d, rc, ev.offset);
                    break;
                }
                continue;
            skipped:
                prefetch_ahead(p);
                fast -= total;
                p += total;
                stepped_over++;
            }
            d->priv_.fast_ev = NULL;
            d->priv_.events += stepped_over;
        }
        if (selecting)
            offset = offset0 + (uint64_t)(p - p0);
        d->priv_.block_remaining = remaining - (p - p0);
        d->priv_.offset = offset;
        if (st != ELOG_OK || end - p < 2)
            break;
        /* The next record by the general path. */
        d->priv_.flags &= (uint8_t)~F_IN_CALLBACK;
        st = record_in_place(d, p, (size_t)(end - p));
        d->priv_.flags |= F_IN_CALLBACK;
        p += d->priv_.offset - offset; /* past what it took, if anything */
        if (d->priv_.offset == offset || st != ELOG_OK || d->priv_.state != S_EVENT) {
            /* A partial record, an error, a pause, or the end of data. */
            offset = d->priv_.offset;
            break;
        }
        offset = d->priv_.offset;
    }
    d->priv_.flags &= (uint8_t)~F_IN_CALLBACK;
    d->priv_.offset = offset;
    *pp = p;
    return st;
}

/* The loop's other compilations: with types stepped over (select), with
 * types routed to their own handlers (elog_route), or both. */
static __attribute__((noinline)) elog_status
events_in_place_special(elog_decoder *d, const uint8_t **pp, const uint8_t *end)
{
    uint8_t f = d->priv_.flags;
    if (!(f & F_ROUTED))
        return events_loop(d, pp, end, true, false);
    if (!(f & F_SELECTING))
        return events_loop(d, pp, end, false, true);
    return events_loop(d, pp, end, true, true);
}

static elog_status events_in_place(elog_decoder *d, const uint8_t **pp, const uint8_t *end)
{
    if (d->priv_.flags & (F_SELECTING | F_ROUTED))
        return events_in_place_special(d, pp, end);
    return events_loop(d, pp, end, false, false);
}

static elog_status ensure_carry(elog_decoder *d)
{
    if (d->priv_.carry)
        return ELOG_OK;
    d->priv_.carry = dalloc(d, ELOG_MAX_RECORD_SIZE);
    if (!d->priv_.carry)
        return fail(d, ELOG_E_NOMEM, d->priv_.offset,
                    "out of memory for the %u-byte record buffer", ELOG_MAX_RECORD_SIZE);
    return ELOG_OK;
}

/* Assembles a record that straddles calls. Returns with *pp advanced; the
 * state goes back to S_EVENT once the record is delivered. */
static elog_status event_part(elog_decoder *d, const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    elog_status st;
    if (d->priv_.state == S_EVENT) {
        if ((st = ensure_carry(d)))
            return st;
        d->priv_.state = S_EVENT_PART;
        d->priv_.item_offset = d->priv_.offset;
        d->priv_.have = 0;
        d->priv_.item_total = 0;
        d->priv_.need = 2;
    }
    st = ELOG_OK;
    while (p < end) {
        size_t want = d->priv_.need - d->priv_.have;
        size_t n = (size_t)(end - p) < want ? (size_t)(end - p) : want;
        memcpy(d->priv_.carry + d->priv_.have, p, n);
        p += n;
        d->priv_.have += (uint32_t)n;
        if (d->priv_.have < d->priv_.need)
            break;
        /* The next piece of the record is complete: what comes after it? */
        uint16_t id = elog__rd16(d->priv_.carry);
        if (d->priv_.have == 2) {
            if (id == ID_DATA_END) {
                d->priv_.state = S_EVENT;
                st = data_end(d, d->priv_.item_offset);
                break;
            }
            const elog_event_type *t = lookup(d, id);
            if (!t) {
                st = undeclared(d, id, d->priv_.item_offset);
                break;
            }
            d->priv_.ev_id = id;
            d->priv_.need = record_size_at(t, d->priv_.carry, 0); /* 12 first if variable */
            if ((st = check_block_room(d, t, d->priv_.need, t->size != ELOG_VARIABLE_SIZE,
                                         d->priv_.item_offset)))
                break;
            continue;
        }
        const elog_event_type *t = lookup(d, id);
        if (d->priv_.item_total == 0) {
            d->priv_.item_total = record_size_at(t, d->priv_.carry, d->priv_.have);
            if ((st = check_block_room(d, t, d->priv_.item_total, true, d->priv_.item_offset)))
                break;
            if (d->priv_.have < d->priv_.item_total) {
                d->priv_.need = d->priv_.item_total;
                continue;
            }
        }
        d->priv_.state = S_EVENT;
        st = deliver(d, t, d->priv_.carry, d->priv_.item_total, d->priv_.item_offset);
        break;
    }
    if (d->priv_.state == S_EVENT_PART)
        d->priv_.offset = d->priv_.item_offset + d->priv_.have;
    *pp = p;
    return st;
}

elog_result elog_execute(elog_decoder *d, const void *buf, size_t len)
{
    elog_result r = {0, ELOG_OK, 0};
    if (d->priv_.error) {
        r.status = d->priv_.error;
        return r;
    }
    if (d->priv_.flags & (F_IN_CALLBACK | F_FINISHED)) {
        r.status = ELOG_E_USAGE;
        return r;
    }
    if (d->priv_.flags & F_PAUSED) {
        r.status = ELOG_PAUSED;
        return r;
    }
    const uint8_t *start = buf, *p = buf, *end = p + len;
    elog_status st = ELOG_OK;
    while (p < end && st == ELOG_OK) {
        switch (d->priv_.state) {
        case S_EVENT:
            st = events_in_place(d, &p, end);
            if (st == ELOG_OK && d->priv_.state == S_EVENT && p < end)
                st = event_part(d, &p, end);
            break;
        case S_EVENT_PART:
            st = event_part(d, &p, end);
            break;
        case S_TRAILING:
            d->priv_.offset += (uint64_t)(end - p);
            p = end;
            break;
        default:
            st = header_bytes(d, &p, end);
            break;
        }
    }
    r.read = (size_t)(p - start);
    r.status = st;
    if (st == ELOG_OK && d->priv_.state != S_EVENT && d->priv_.state != S_TRAILING)
        r.required = d->priv_.need - d->priv_.have;
    return r;
}

elog_end elog_finish(elog_decoder *d)
{
    elog_end e;
    memset(&e, 0, sizeof e);
    e.total_bytes = d->priv_.offset;
    e.events = d->priv_.events;
    e.offset = d->priv_.offset;
    if (!(d->priv_.flags & F_IN_CALLBACK))
        d->priv_.flags |= F_FINISHED;
    if (d->priv_.error) {
        e.kind = ELOG_END_ERROR;
        e.status = d->priv_.error;
        e.offset = d->priv_.error_offset;
        return e;
    }
    if (d->priv_.offset == 0) {
        e.kind = ELOG_END_EMPTY;
        return e;
    }
    if (d->priv_.end_offset != UINT64_MAX) {
        /* Whatever follows the end marker is not part of the log, even when
         * CONTINUE_AFTER_END decoded some of it. */
        e.kind = ELOG_END_CLEAN;
        e.offset = d->priv_.end_offset;
        e.trailing_bytes = d->priv_.offset - d->priv_.end_offset - 2;
        return e;
    }
    switch (d->priv_.state) {
    case S_EVENT:
        e.kind = ELOG_END_TRUNCATED_BETWEEN_EVENTS;
        break;
    case S_EVENT_PART:
        e.kind = ELOG_END_TRUNCATED_IN_EVENT;
        e.offset = d->priv_.item_offset;
        e.id_known = d->priv_.have >= 2;
        e.event_id = e.id_known ? d->priv_.ev_id : 0;
        e.bytes_missing = (d->priv_.item_total ? d->priv_.item_total : d->priv_.need) - d->priv_.have;
        break;
    default:
        e.kind = ELOG_END_TRUNCATED_IN_HEADER;
        e.offset = d->priv_.have ? d->priv_.item_offset : d->priv_.offset;
        e.bytes_missing = d->priv_.need - d->priv_.have;
        if (e.bytes_missing == 0)
            e.bytes_missing = 4;
        break;
    }
    return e;
}

/* ---------------------------------------------------------------------------
 * Random access
 * ------------------------------------------------------------------------- */

elog_status elog_decode_record(const elog_header *h, const uint8_t *p, size_t avail,
                               uint64_t offset, elog_event *ev, size_t *record_size)
{
    if (avail < 2) {
        *record_size = 2;
        return ELOG_NEED_MORE;
    }
    const elog_event_type *t = elog_header_lookup(h, elog__rd16(p));
    if (!t) {
        *record_size = 2;
        return ELOG_E_UNDECLARED;
    }
    uint32_t total = record_size_at(t, p, avail);
    *record_size = total;
    if (avail < total)
        return ELOG_NEED_MORE;
    int bad_field;
    return decode_record(t, t->id, layout_index(t), record_head(t), p, total, offset, ev,
                         &bad_field);
}

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

#include "catalogue_internal.h"
#include "decode_gen.h"

/* Header section tags (FORMAT.md §2.1), as big-endian u32. */
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
};

/* ---------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------- */

static void *libc_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void libc_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    (void)size;
    free(ptr);
}

static const elog_allocator libc_allocator = {libc_alloc, libc_free, NULL};

static const elog_allocator *allocator(const elog_decoder *d)
{
    const elog_allocator *a = d->settings_ ? d->settings_->allocator : NULL;
    return a ? a : &libc_allocator;
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
    d->error_ = st;
    d->error_offset_ = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->reason_, sizeof d->reason_, fmt, ap);
    va_end(ap);
    return st;
}

const char *elog_status_name(elog_status s)
{
    switch (s) {
    case ELOG_OK: return "ELOG_OK";
    case ELOG_PAUSED: return "ELOG_PAUSED";
    case ELOG_NEED_MORE: return "ELOG_NEED_MORE";
    case ELOG_E_NOT_EVENTLOG: return "ELOG_E_NOT_EVENTLOG";
    case ELOG_E_BAD_HEADER: return "ELOG_E_BAD_HEADER";
    case ELOG_E_LIMIT: return "ELOG_E_LIMIT";
    case ELOG_E_UNDECLARED: return "ELOG_E_UNDECLARED";
    case ELOG_E_BAD_EVENT: return "ELOG_E_BAD_EVENT";
    case ELOG_E_BAD_BLOCK: return "ELOG_E_BAD_BLOCK";
    case ELOG_E_CALLBACK: return "ELOG_E_CALLBACK";
    case ELOG_E_NOMEM: return "ELOG_E_NOMEM";
    case ELOG_E_USAGE: return "ELOG_E_USAGE";
    }
    return "ELOG_E_UNKNOWN";
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

elog_status elog_get_error(const elog_decoder *d) { return d->error_; }
const char *elog_get_error_reason(const elog_decoder *d) { return d->reason_; }
uint64_t elog_get_error_offset(const elog_decoder *d) { return d->error_offset_; }
uint64_t elog_get_offset(const elog_decoder *d) { return d->offset_; }

const elog_header *elog_get_header(const elog_decoder *d)
{
    return (d->flags_ & F_HEADER_DONE) ? &d->header_ : NULL;
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
    d->offset_ = 0;
    d->events_ = 0;
    d->item_offset_ = 0;
    d->end_offset_ = UINT64_MAX;
    d->error_offset_ = 0;
    d->block_offset_ = 0;
    d->block_remaining_ = 0;
    d->block_cap_ = ELOG_NO_CAP;
    d->state_ = S_MAGIC;
    d->need_ = 4;
    d->have_ = 0;
    d->item_total_ = 0;
    d->dlen_ = d->xlen_ = 0;
    d->ev_id_ = 0;
    d->flags_ = 0;
    d->error_ = ELOG_OK;
    d->reason_[0] = '\0';
    d->n_types_ = 0;
    d->descs_len_ = 0;
    memset(&d->header_, 0, sizeof d->header_);
}

void elog_decoder_init(elog_decoder *d, const elog_settings *settings, void *data)
{
    memset(d, 0, sizeof *d);
    d->settings_ = settings;
    d->data = data;
    start_stream(d);
}

static void free_header(elog_decoder *d)
{
    dfree(d, d->types_, d->cap_types_ * sizeof *d->types_);
    dfree(d, d->descs_, d->descs_cap_);
    dfree(d, d->by_id_, (size_t)d->by_id_len_ * sizeof *d->by_id_);
    d->types_ = NULL;
    d->descs_ = NULL;
    d->by_id_ = NULL;
    d->cap_types_ = d->descs_cap_ = 0;
    d->by_id_len_ = 0;
}

void elog_decoder_free(elog_decoder *d)
{
    if (d->flags_ & F_IN_CALLBACK)
        return;
    free_header(d);
    dfree(d, d->carry_, ELOG_MAX_RECORD_SIZE);
    d->carry_ = NULL;
    start_stream(d);
}

void elog_decoder_reset(elog_decoder *d)
{
    if (d->flags_ & F_IN_CALLBACK)
        return;
    /* The by-id table is rebuilt per header; type and description storage is
     * kept for reuse by the next stream. */
    dfree(d, d->by_id_, (size_t)d->by_id_len_ * sizeof *d->by_id_);
    d->by_id_ = NULL;
    d->by_id_len_ = 0;
    start_stream(d);
}

void elog_resume(elog_decoder *d)
{
    d->flags_ &= (uint8_t)~F_PAUSED;
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
    uint32_t got = elog__rd32(d->small_);
    if (got == want)
        return ELOG_OK;
    char hex[12];
    hex4(hex, d->small_);
    return fail(d, ELOG_E_BAD_HEADER, d->item_offset_,
                "malformed header: expected the %s tag, found bytes %s", name, hex);
}

static elog_status add_type(elog_decoder *d)
{
    if (d->n_types_ >= MAX_HEADER_TYPES)
        return fail(d, ELOG_E_LIMIT, d->item_offset_,
                    "the header declares more than %u event types", MAX_HEADER_TYPES);
    if (d->n_types_ == d->cap_types_) {
        size_t ncap = d->cap_types_ ? d->cap_types_ * 2 : 128;
        elog_event_type *nt = dalloc(d, ncap * sizeof *nt);
        if (!nt)
            return fail(d, ELOG_E_NOMEM, d->item_offset_,
                        "out of memory for the header's event-type table (%zu entries)", ncap);
        if (d->n_types_)
            memcpy(nt, d->types_, d->n_types_ * sizeof *nt);
        dfree(d, d->types_, d->cap_types_ * sizeof *d->types_);
        d->types_ = nt;
        d->cap_types_ = ncap;
    }
    elog_event_type *t = &d->types_[d->n_types_];
    memset(t, 0, sizeof *t);
    t->id = elog__rd16(d->small_);
    t->size = elog__rd16(d->small_ + 2);
    t->header_index = (uint32_t)d->n_types_;
    t->offset = d->item_offset_ - 4; /* the ET_BEGIN tag before the fixed part */
    t->description.len = d->dlen_;
    t->layout = elog_catalogue_find(t->id, t->size);
    d->n_types_++;
    return ELOG_OK;
}

static elog_status reserve_descs(elog_decoder *d, size_t extra)
{
    if (d->descs_cap_ - d->descs_len_ >= extra)
        return ELOG_OK;
    size_t ncap = d->descs_cap_ ? d->descs_cap_ : 4096;
    while (ncap - d->descs_len_ < extra)
        ncap *= 2;
    uint8_t *nb = dalloc(d, ncap);
    if (!nb)
        return fail(d, ELOG_E_NOMEM, d->item_offset_,
                    "out of memory for event-type descriptions (%zu bytes)", ncap);
    if (d->descs_len_)
        memcpy(nb, d->descs_, d->descs_len_);
    dfree(d, d->descs_, d->descs_cap_);
    d->descs_ = nb;
    d->descs_cap_ = ncap;
    return ELOG_OK;
}

/* Builds the id table and points descriptions at their final storage. */
static elog_status finish_header(elog_decoder *d)
{
    /* Id 0xffff is the end-of-data marker: a header may list it, but no
     * event can have it, so it stays out of the id table (and the hot loop
     * needs one test for both "undeclared" and "end of data"). */
    uint32_t max_id = 0;
    bool any = false;
    for (size_t i = 0; i < d->n_types_; i++) {
        if (d->types_[i].id == ID_DATA_END)
            continue;
        any = true;
        if (d->types_[i].id > max_id)
            max_id = d->types_[i].id;
    }
    uint32_t n = any ? max_id + 1 : 0;
    if (n) {
        d->by_id_ = dalloc(d, (size_t)n * sizeof *d->by_id_);
        if (!d->by_id_)
            return fail(d, ELOG_E_NOMEM, d->item_offset_,
                        "out of memory for the event-id table (%u entries)", n);
        memset(d->by_id_, 0, (size_t)n * sizeof *d->by_id_);
    }
    d->by_id_len_ = n;
    size_t pos = 0;
    for (size_t i = 0; i < d->n_types_; i++) {
        elog_event_type *t = &d->types_[i];
        t->description.ptr = d->descs_ ? d->descs_ + pos : NULL;
        pos += t->description.len;
        if (t->id != ID_DATA_END)
            d->by_id_[t->id] = (uint32_t)i + 1; /* a later record wins, as in ghc-events */
    }
    d->header_.types = d->types_;
    d->header_.n_types = d->n_types_;
    d->header_.data_offset = d->offset_;
    d->header_.by_id_ = d->by_id_;
    d->header_.by_id_len_ = d->by_id_len_;
    d->flags_ |= F_HEADER_DONE;
    return ELOG_OK;
}

const elog_event_type *elog_header_lookup(const elog_header *h, uint16_t id)
{
    if (id >= h->by_id_len_ || !h->by_id_[id])
        return NULL;
    return &h->types[h->by_id_[id] - 1];
}

/* Runs a callback, translating its answer. */
static elog_status callback_result(elog_decoder *d, int rc, uint64_t offset)
{
    if (rc == ELOG_CB_CONTINUE)
        return ELOG_OK;
    if (rc == ELOG_CB_PAUSE) {
        d->flags_ |= F_PAUSED;
        return ELOG_PAUSED;
    }
    return fail(d, ELOG_E_CALLBACK, offset, "a callback aborted decoding (it returned %d)", rc);
}

/* One step of the header: the current item (need_ bytes) is complete. */
static elog_status header_item_done(elog_decoder *d)
{
    elog_status st;
    switch (d->state_) {
    case S_MAGIC:
        if (elog__rd32(d->small_) != TAG_HEADER_BEGIN) {
            char hex[12];
            hex4(hex, d->small_);
            return fail(d, ELOG_E_NOT_EVENTLOG, 0,
                        "not a GHC eventlog: it must start with \"hdrb\" (68 64 72 62), "
                        "found bytes %s", hex);
        }
        d->state_ = S_HET_BEGIN, d->need_ = 4;
        return ELOG_OK;
    case S_HET_BEGIN:
        if ((st = expect_tag(d, TAG_HET_BEGIN, "event-type list begin (\"hetb\")")))
            return st;
        d->state_ = S_ET_TAG, d->need_ = 4;
        return ELOG_OK;
    case S_ET_TAG: {
        uint32_t tag = elog__rd32(d->small_);
        if (tag == TAG_ET_BEGIN) {
            d->state_ = S_ET_FIXED, d->need_ = 8;
        } else if (tag == TAG_HET_END) {
            d->state_ = S_HEADER_END, d->need_ = 4;
        } else {
            return expect_tag(d, TAG_ET_BEGIN,
                              "event-type begin (\"etb\\0\") or event-type list end (\"hete\")");
        }
        return ELOG_OK;
    }
    case S_ET_FIXED:
        d->dlen_ = elog__rd32(d->small_ + 4);
        if (d->dlen_ > MAX_DESCRIPTION)
            return fail(d, ELOG_E_LIMIT, d->item_offset_,
                        "event type %u has a %" PRIu32 "-byte description (the limit is %u); "
                        "the header is corrupt",
                        elog__rd16(d->small_), d->dlen_, MAX_DESCRIPTION);
        if ((st = add_type(d)) || (st = reserve_descs(d, d->dlen_)))
            return st;
        d->state_ = S_ET_DESC, d->need_ = d->dlen_;
        return ELOG_OK;
    case S_ET_XLEN:
        d->xlen_ = elog__rd32(d->small_);
        d->state_ = S_ET_EXTRA, d->need_ = d->xlen_;
        return ELOG_OK;
    case S_ET_END:
        if ((st = expect_tag(d, TAG_ET_END, "event-type end (\"ete\\0\")")))
            return st;
        d->state_ = S_ET_TAG, d->need_ = 4;
        return ELOG_OK;
    case S_HEADER_END:
        if ((st = expect_tag(d, TAG_HEADER_END, "header end (\"hdre\")")))
            return st;
        d->state_ = S_DATA_BEGIN, d->need_ = 4;
        return ELOG_OK;
    case S_DATA_BEGIN:
        if ((st = expect_tag(d, TAG_DATA_BEGIN, "data begin (\"datb\")")))
            return st;
        if ((st = finish_header(d)))
            return st;
        d->state_ = S_EVENT, d->need_ = 0;
        if (d->settings_ && d->settings_->on_header) {
            d->flags_ |= F_IN_CALLBACK;
            int rc = d->settings_->on_header(d, &d->header_);
            d->flags_ &= (uint8_t)~F_IN_CALLBACK;
            return callback_result(d, rc, d->offset_);
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
    while (p < end && d->state_ < S_EVENT) {
        size_t avail = (size_t)(end - p);
        if (d->have_ == 0)
            d->item_offset_ = d->offset_;
        size_t want = d->need_ - d->have_;
        size_t n = avail < want ? avail : want;
        if (d->state_ == S_ET_DESC) {
            if (n) /* descs_ is NULL while every description so far is empty */
                memcpy(d->descs_ + d->descs_len_, p, n);
            d->descs_len_ += n;
        } else if (d->state_ != S_ET_EXTRA) {
            memcpy(d->small_ + d->have_, p, n);
            if (d->state_ == S_MAGIC && memcmp(d->small_, "hdrb", d->have_ + n) != 0) {
                /* Say so as soon as the first byte is wrong, not after four. */
                char hex[12] = "";
                size_t at = 0;
                for (size_t i = 0; i < d->have_ + n; i++)
                    at += (size_t)snprintf(hex + at, sizeof hex - at, i ? " %02x" : "%02x",
                                           d->small_[i]);
                st = fail(d, ELOG_E_NOT_EVENTLOG, 0,
                          "not a GHC eventlog: it must start with \"hdrb\" (68 64 72 62), "
                          "found bytes %s", hex);
                break;
            }
        }
        p += n;
        d->offset_ += n;
        d->have_ += (uint32_t)n;
        if (d->have_ < d->need_)
            break;
        d->have_ = 0;
        if (d->state_ == S_ET_DESC) {
            d->state_ = S_ET_XLEN, d->need_ = 4;
            continue;
        }
        if (d->state_ == S_ET_EXTRA) {
            d->state_ = S_ET_END, d->need_ = 4;
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
    if (ev->id == ELOG_EV_BLOCK_MARKER && ev->layout) {
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

/* Fills everything but `cap` from a complete record. */
static inline __attribute__((always_inline)) elog_status
decode_record(const elog_event_type *t, const uint8_t *p, uint32_t total, uint64_t offset,
              elog_event *ev, int *bad_field)
{
    uint32_t head = t->size == ELOG_VARIABLE_SIZE ? 12 : 10;
    ev->id = t->id;
    ev->cap = ELOG_NO_CAP;
    ev->size = total;
    ev->time = elog__rd64(p + 2);
    ev->offset = offset;
    ev->payload.ptr = p + head;
    ev->payload.len = total - head;
    ev->type = t;
    ev->layout = t->layout;
    if (t->layout) {
        int rc = elog__decode_fields(t->layout->index, ev->payload.ptr, ev->payload.len, &ev->as);
        if (rc) {
            *bad_field = rc - 1;
            return ELOG_E_BAD_EVENT;
        }
    }
    return ELOG_OK;
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
                id, d->n_types_);
}

static elog_status bad_block(elog_decoder *d, const elog_event *ev, int64_t remaining_before)
{
    if (ev->id == ELOG_EV_BLOCK_MARKER && ev->layout) {
        if (remaining_before > 0)
            return fail(d, ELOG_E_BAD_BLOCK, ev->offset,
                        "a new block begins while the block at offset %" PRIu64
                        " still declares %" PRId64 " more bytes (use lenient blocks to accept)",
                        d->block_offset_, remaining_before);
        return fail(d, ELOG_E_BAD_BLOCK, ev->offset,
                    "block marker declares a size of %" PRIu32 " bytes, less than its own 24 bytes",
                    ev->as.block_marker.block_size);
    }
    return fail(d, ELOG_E_BAD_BLOCK, ev->offset,
                "event (id %u, %" PRIu32 " bytes) crosses the end of the block at offset %" PRIu64
                ", which had %" PRId64 " bytes left",
                ev->id, ev->size, d->block_offset_, remaining_before);
}

/* Decodes, attributes and delivers one complete record. Inlined into the
 * in-place loop, the decoder's hot path. */
static inline __attribute__((always_inline)) elog_status deliver(elog_decoder *d, const elog_event_type *t, const uint8_t *p,
                           uint32_t total, uint64_t offset)
{
    elog_event ev;
    int bad_field = 0;
    if (decode_record(t, p, total, offset, &ev, &bad_field))
        return bad_event(d, &ev, bad_field);

    const elog_settings *s = d->settings_;
    elog_block_state bs = {d->block_remaining_, d->block_cap_};
    bool strict = !(s && (s->options & ELOG_OPT_LENIENT_BLOCKS));
    if (block_apply(&bs, &ev, strict))
        return bad_block(d, &ev, d->block_remaining_);
    if (ev.id == ELOG_EV_BLOCK_MARKER && ev.layout)
        d->block_offset_ = offset;
    d->block_remaining_ = bs.remaining;
    d->block_cap_ = bs.cap;
    d->events_++;
    d->offset_ = offset + total;

    elog_event_cb cb = NULL;
    if (s)
        cb = (ev.id == ELOG_EV_BLOCK_MARKER && s->on_block) ? s->on_block : s->on_event;
    if (!cb)
        return ELOG_OK;
    d->flags_ |= F_IN_CALLBACK;
    int rc = cb(d, &ev);
    d->flags_ &= (uint8_t)~F_IN_CALLBACK;
    return callback_result(d, rc, offset);
}

static elog_status data_end(elog_decoder *d, uint64_t offset)
{
    if (d->end_offset_ == UINT64_MAX)
        d->end_offset_ = offset;
    d->offset_ = offset + 2;
    const elog_settings *s = d->settings_;
    bool lenient = s && (s->options & ELOG_OPT_LENIENT_BLOCKS);
    /* GHC >= 9 writes the end marker into the global block and counts its two
     * bytes in the block size; older GHCs write it after the last block. */
    if (!lenient && d->block_remaining_ > 0 && d->block_remaining_ != 2)
        return fail(d, ELOG_E_BAD_BLOCK, offset,
                    "the end-of-data marker comes inside the block at offset %" PRIu64
                    ", which declares %" PRId64 " more bytes",
                    d->block_offset_, d->block_remaining_);
    /* ghc-events leaves attribution untouched by the end marker (FORMAT.md
     * §5.3); lenient mode reproduces that exactly. */
    if (!lenient && d->block_remaining_ > 0) {
        d->block_remaining_ -= 2;
        if (d->block_remaining_ <= 0)
            d->block_cap_ = ELOG_NO_CAP;
    }
    if (!(s && (s->options & ELOG_OPT_CONTINUE_AFTER_END)))
        d->state_ = S_TRAILING;
    if (s && s->on_data_end) {
        d->flags_ |= F_IN_CALLBACK;
        int rc = s->on_data_end(d, offset);
        d->flags_ &= (uint8_t)~F_IN_CALLBACK;
        return callback_result(d, rc, offset);
    }
    return ELOG_OK;
}

static const elog_event_type *lookup(const elog_decoder *d, uint16_t id)
{
    if (id >= d->by_id_len_)
        return NULL;
    uint32_t i = d->by_id_[id];
    return i ? &d->types_[i - 1] : NULL;
}

/* Records that are whole inside [p, end): decoded in place. Stops at a
 * partial record, leaving it to the carry path.
 *
 * This is the decoder's hot loop, so it keeps the per-stream state (block
 * attribution, counters) in locals and writes it back only where it can be
 * observed: before the end-marker handler and on exit. Callbacks see
 * elog_get_offset() up to date. */
static elog_status events_in_place(elog_decoder *d, const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    const elog_settings *s = d->settings_;
    elog_event_cb on_event = s ? s->on_event : NULL;
    elog_event_cb on_block = (s && s->on_block) ? s->on_block : on_event;
    const bool strict = !(s && (s->options & ELOG_OPT_LENIENT_BLOCKS));
    const uint32_t *by_id = d->by_id_;
    const uint32_t n_ids = d->by_id_len_;
    const elog_event_type *types = d->types_;
    elog_block_state bs = {d->block_remaining_, d->block_cap_};
    uint64_t offset = d->offset_;
    uint64_t events = d->events_;
    elog_status st = ELOG_OK;
    elog_event ev;

    while (end - p >= 2) {
        uint16_t id = elog__rd16(p);
        uint32_t ti = id < n_ids ? by_id[id] : 0;
        if (__builtin_expect(ti == 0, 0)) {
            if (id != ID_DATA_END) {
                st = undeclared(d, id, offset);
                break;
            }
            d->block_remaining_ = bs.remaining, d->block_cap_ = bs.cap;
            d->events_ = events;
            p += 2;
            st = data_end(d, offset);
            bs.remaining = d->block_remaining_, bs.cap = d->block_cap_;
            offset = d->offset_;
            if (st || d->state_ != S_EVENT)
                break;
            continue;
        }
        const elog_event_type *t = &types[ti - 1];
        size_t avail = (size_t)(end - p);
        uint32_t total;
        if (t->size == ELOG_VARIABLE_SIZE) {
            if (avail < 12)
                break;
            total = 12u + elog__rd16(p + 10);
        } else {
            total = 10u + t->size;
        }
        if (avail < total)
            break;

        int bad_field;
        if (__builtin_expect(decode_record(t, p, total, offset, &ev, &bad_field) != ELOG_OK, 0)) {
            st = bad_event(d, &ev, bad_field);
            break;
        }
        int64_t remaining_before = bs.remaining;
        if (__builtin_expect(block_apply(&bs, &ev, strict) != ELOG_OK, 0)) {
            d->block_remaining_ = remaining_before;
            st = bad_block(d, &ev, remaining_before);
            break;
        }
        bool marker = id == ELOG_EV_BLOCK_MARKER && ev.layout;
        if (marker)
            d->block_offset_ = offset;
        events++;
        offset += total;
        p += total;
        d->offset_ = offset;
        elog_event_cb cb = marker ? on_block : on_event;
        if (cb) {
            d->flags_ |= F_IN_CALLBACK;
            int rc = cb(d, &ev);
            d->flags_ &= (uint8_t)~F_IN_CALLBACK;
            if (__builtin_expect(rc != ELOG_CB_CONTINUE, 0)) {
                st = callback_result(d, rc, ev.offset);
                break;
            }
        }
    }
    d->block_remaining_ = bs.remaining;
    d->block_cap_ = bs.cap;
    d->events_ = events;
    d->offset_ = offset;
    *pp = p;
    return st;
}

static elog_status ensure_carry(elog_decoder *d)
{
    if (d->carry_)
        return ELOG_OK;
    d->carry_ = dalloc(d, ELOG_MAX_RECORD_SIZE);
    if (!d->carry_)
        return fail(d, ELOG_E_NOMEM, d->offset_,
                    "out of memory for the %u-byte record buffer", ELOG_MAX_RECORD_SIZE);
    return ELOG_OK;
}

/* Assembles a record that straddles calls. Returns with *pp advanced; the
 * state goes back to S_EVENT once the record is delivered. */
static elog_status event_part(elog_decoder *d, const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;
    elog_status st;
    if (d->state_ == S_EVENT) {
        if ((st = ensure_carry(d)))
            return st;
        d->state_ = S_EVENT_PART;
        d->item_offset_ = d->offset_;
        d->have_ = 0;
        d->item_total_ = 0;
        d->need_ = 2;
    }
    st = ELOG_OK;
    while (p < end) {
        size_t want = d->need_ - d->have_;
        size_t n = (size_t)(end - p) < want ? (size_t)(end - p) : want;
        memcpy(d->carry_ + d->have_, p, n);
        p += n;
        d->have_ += (uint32_t)n;
        if (d->have_ < d->need_)
            break;
        /* The next piece of the record is complete: what comes after it? */
        uint16_t id = elog__rd16(d->carry_);
        if (d->have_ == 2) {
            if (id == ID_DATA_END) {
                d->state_ = S_EVENT;
                st = data_end(d, d->item_offset_);
                break;
            }
            const elog_event_type *t = lookup(d, id);
            if (!t) {
                st = undeclared(d, id, d->item_offset_);
                break;
            }
            d->ev_id_ = id;
            d->need_ = t->size == ELOG_VARIABLE_SIZE ? 12 : 10u + t->size;
            continue;
        }
        const elog_event_type *t = lookup(d, id);
        if (d->item_total_ == 0) {
            d->item_total_ = t->size == ELOG_VARIABLE_SIZE ? 12u + elog__rd16(d->carry_ + 10)
                                                           : 10u + t->size;
            if (d->have_ < d->item_total_) {
                d->need_ = d->item_total_;
                continue;
            }
        }
        d->state_ = S_EVENT;
        st = deliver(d, t, d->carry_, d->item_total_, d->item_offset_);
        break;
    }
    if (d->state_ == S_EVENT_PART)
        d->offset_ = d->item_offset_ + d->have_;
    *pp = p;
    return st;
}

elog_result elog_execute(elog_decoder *d, const void *buf, size_t len)
{
    elog_result r = {0, ELOG_OK, 0};
    if (d->error_) {
        r.status = d->error_;
        return r;
    }
    if (d->flags_ & (F_IN_CALLBACK | F_FINISHED)) {
        r.status = ELOG_E_USAGE;
        return r;
    }
    if (d->flags_ & F_PAUSED) {
        r.status = ELOG_PAUSED;
        return r;
    }
    const uint8_t *start = buf, *p = buf, *end = p + len;
    elog_status st = ELOG_OK;
    while (p < end && st == ELOG_OK) {
        switch (d->state_) {
        case S_EVENT:
            st = events_in_place(d, &p, end);
            if (st == ELOG_OK && d->state_ == S_EVENT && p < end)
                st = event_part(d, &p, end);
            break;
        case S_EVENT_PART:
            st = event_part(d, &p, end);
            break;
        case S_TRAILING:
            d->offset_ += (uint64_t)(end - p);
            p = end;
            break;
        default:
            st = header_bytes(d, &p, end);
            break;
        }
    }
    r.read = (size_t)(p - start);
    r.status = st;
    if (st == ELOG_OK && d->state_ != S_EVENT && d->state_ != S_TRAILING)
        r.required = d->need_ - d->have_;
    return r;
}

elog_end elog_finish(elog_decoder *d)
{
    elog_end e;
    memset(&e, 0, sizeof e);
    e.total_bytes = d->offset_;
    e.events = d->events_;
    e.offset = d->offset_;
    if (!(d->flags_ & F_IN_CALLBACK))
        d->flags_ |= F_FINISHED;
    if (d->error_) {
        e.kind = ELOG_END_ERROR;
        e.status = d->error_;
        e.offset = d->error_offset_;
        return e;
    }
    if (d->offset_ == 0) {
        e.kind = ELOG_END_EMPTY;
        return e;
    }
    if (d->end_offset_ != UINT64_MAX) {
        /* Whatever follows the end marker is not part of the log, even when
         * CONTINUE_AFTER_END decoded some of it. */
        e.kind = ELOG_END_CLEAN;
        e.offset = d->end_offset_;
        e.trailing_bytes = d->offset_ - d->end_offset_ - 2;
        return e;
    }
    switch (d->state_) {
    case S_EVENT:
        e.kind = ELOG_END_TRUNCATED_BETWEEN_EVENTS;
        break;
    case S_EVENT_PART:
        e.kind = ELOG_END_TRUNCATED_IN_EVENT;
        e.offset = d->item_offset_;
        e.id_known = d->have_ >= 2;
        e.event_id = e.id_known ? d->ev_id_ : 0;
        e.bytes_missing = (d->item_total_ ? d->item_total_ : d->need_) - d->have_;
        break;
    default:
        e.kind = ELOG_END_TRUNCATED_IN_HEADER;
        e.offset = d->have_ ? d->item_offset_ : d->offset_;
        e.bytes_missing = d->need_ - d->have_;
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
    uint32_t total;
    if (t->size == ELOG_VARIABLE_SIZE) {
        if (avail < 12) {
            *record_size = 12;
            return ELOG_NEED_MORE;
        }
        total = 12u + elog__rd16(p + 10);
    } else {
        total = 10u + t->size;
    }
    *record_size = total;
    if (avail < total)
        return ELOG_NEED_MORE;
    int bad_field;
    return decode_record(t, p, total, offset, ev, &bad_field);
}

/*
 * The eventlog writer (include/eventlog/writer.h): header, records grouped
 * into per-capability blocks (or copied verbatim), end marker. Output goes
 * through a 64 KiB buffer to the caller's sink; large pieces bypass it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eventlog/writer.h"
#include "allocator_internal.h"
#include "catalogue_internal.h"
#include "writer_internal.h"

#define OUT_BUF (64u * 1024u)
#define MARKER_SIZE 24u
#define BLOCK_MARKER_ID 18u
#define MIN_BLOCK (MARKER_SIZE + ELOG_MAX_RECORD_SIZE)
#define DEFAULT_BLOCK (256u * 1024u)
#define DEFAULT_VERBATIM_BLOCK (4u * 1024u * 1024u)
#define DEFAULT_BUDGET (4u * 1024u * 1024u)

enum { ST_HEADER, ST_DATA, ST_DONE };

/* The pending block of one capability (blocks mode). */
typedef struct slot {
    uint8_t *buf;       /* marker space (24 bytes) then records */
    size_t len;         /* 0: no pending block */
    size_t cap;
    uint64_t tmin, tmax;
} slot;

struct elog_log_writer {
    const elog_allocator *al;
    elog_log_sink sink;
    elog_log_patch patch;  /* NULL: hold blocks in verbatim mode */
    elog_log_truncate truncate;
    bool bytes_mode;       /* pass-through copy (elog_log_writer_bytes) */
    void *sink_ctx;
    uint64_t fd_base;      /* open_fd: file position of output offset 0 */
    int fd;             /* open_fd / open_path */
    bool own_fd;        /* open_path: close it */
    unsigned flags;
    int state;
    bool header_begun;
    bool io_failed;
    int io_errno;
    uint64_t offset;    /* bytes accepted for output (sink + buffer) */

    /* declarations: by_id[id] = size + 1 (0 = undeclared) */
    uint32_t *by_id;
    size_t by_id_len;

    /* blocks mode */
    slot *slots;        /* index 0: ELOG_NO_CAP, else cap + 1 */
    size_t n_slots;
    size_t block_bytes, budget, total_cap;

    /* verbatim mode with patch: the open block, streamed through */
    bool streaming;        /* a block marker was written, its block is open */
    uint64_t block_offset; /* output offset of its marker */
    uint32_t block_declared;

    /* verbatim mode without patch: the block being held so its size can be fixed */
    uint8_t *hold;
    size_t hold_len, hold_cap;
    bool holding;
    uint64_t hold_offset;  /* output offset of its marker */
    int64_t remaining;     /* bytes the open block still declares */

    uint8_t *scratch;      /* typed events: one maximal record */
    size_t out_len;
    uint8_t out[OUT_BUF];
    char reason[256];
};

static elog_status fail(elog_log_writer *w, elog_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static elog_status fail(elog_log_writer *w, elog_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->reason, sizeof w->reason, fmt, ap);
    va_end(ap);
    return s;
}

/* ------------------------------------------------------------------ output */

/* Records that a sink, patch, truncate or close call failed (its errno, EIO
 * if it set none: the writer then refuses further output) and returns the
 * error number for the message. */
static int io_error(elog_log_writer *w)
{
    w->io_failed = true;
    w->io_errno = errno != 0 ? errno : EIO;
    return w->io_errno;
}

static int fd_sink(void *ctx, const uint8_t *p, size_t len)
{
    elog_log_writer *w = ctx;
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fd_patch(void *ctx, uint64_t off, const uint8_t *p, size_t len)
{
    elog_log_writer *w = ctx;
    while (len > 0) {
        ssize_t n = pwrite(w->fd, p, len, (off_t)(w->fd_base + off));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int fd_truncate(void *ctx, uint64_t size)
{
    elog_log_writer *w = ctx;
    int r;
    do {
        r = ftruncate(w->fd, (off_t)(w->fd_base + size));
    } while (r != 0 && errno == EINTR);
    if (r == 0 && lseek(w->fd, (off_t)(w->fd_base + size), SEEK_SET) < 0)
        return -1;
    return r;
}

static elog_status sink_call(elog_log_writer *w, const uint8_t *p, size_t len)
{
    if (w->io_failed)
        return ELOG_E_CALLBACK;
    if (len == 0)
        return ELOG_OK;
    errno = 0;
    if (w->sink(w->sink_ctx, p, len) != 0) {
        return fail(w, ELOG_E_CALLBACK, "writing the output failed at byte %llu: %s",
                    (unsigned long long)(w->offset - w->out_len), strerror(io_error(w)));
    }
    return ELOG_OK;
}

static elog_status out_flush(elog_log_writer *w)
{
    size_t n = w->out_len;
    w->out_len = 0;
    return sink_call(w, w->out, n);
}

static elog_status out_write(elog_log_writer *w, const void *p, size_t len)
{
    if (w->io_failed)
        return ELOG_E_CALLBACK;
    w->offset += len;
    if (len <= OUT_BUF - w->out_len) {
        memcpy(w->out + w->out_len, p, len);
        w->out_len += len;
        return ELOG_OK;
    }
    if (out_flush(w) != ELOG_OK)
        return ELOG_E_CALLBACK;
    if (len >= OUT_BUF / 2)
        return sink_call(w, p, len); /* large pieces bypass the buffer */
    memcpy(w->out, p, len);
    w->out_len = len;
    return ELOG_OK;
}

/* ------------------------------------------------------------------ memory */

static void *mem_alloc(elog_log_writer *w, size_t n)
{
    return w->al->alloc(w->al->ctx, n);
}

static void mem_free(const elog_allocator *al, void *p, size_t n)
{
    if (p != NULL)
        al->free(al->ctx, p, n);
}

/* ------------------------------------------------------------------ open */

elog_status elog_log_writer_open(elog_log_writer **out, const elog_log_writer_options *opt,
                                 elog_log_sink sink, void *ctx)
{
    *out = NULL;
    elog_log_writer_options o = {0};
    if (opt != NULL)
        o = *opt;
    if (sink == NULL)
        return ELOG_E_USAGE;
    bool verbatim = (o.flags & ELOG_LOG_WRITER_VERBATIM) != 0;
    size_t block = o.block_bytes ? o.block_bytes : verbatim ? DEFAULT_VERBATIM_BLOCK : DEFAULT_BLOCK;
    size_t budget = o.budget_bytes ? o.budget_bytes : DEFAULT_BUDGET;
    if (block < MIN_BLOCK)
        block = MIN_BLOCK;
    if (block > UINT32_MAX)
        block = UINT32_MAX;
    if (!verbatim && budget < 2 * MIN_BLOCK)
        return ELOG_E_USAGE;
    if (!verbatim && block > budget)
        block = budget;
    const elog_allocator *al = elog__allocator_or_libc(o.allocator);
    elog_log_writer *w = al->alloc(al->ctx, sizeof *w);
    if (w == NULL)
        return ELOG_E_NOMEM;
    memset(w, 0, offsetof(elog_log_writer, out));
    w->al = al;
    w->sink = sink;
    w->patch = o.patch;
    w->truncate = o.truncate;
    w->sink_ctx = ctx;
    w->fd = -1;
    w->flags = o.flags;
    w->block_bytes = block;
    w->budget = budget;
    w->reason[0] = '\0';
    *out = w;
    return ELOG_OK;
}

elog_status elog_log_writer_open_fd(elog_log_writer **out, const elog_log_writer_options *opt,
                                    int fd)
{
    elog_status s = elog_log_writer_open(out, opt, fd_sink, NULL);
    if (s != ELOG_OK)
        return s;
    (*out)->sink_ctx = *out;
    (*out)->fd = fd;
    off_t pos = lseek(fd, 0, SEEK_CUR);
    if (pos >= 0 && (*out)->patch == NULL) {
        (*out)->fd_base = (uint64_t)pos;
        (*out)->patch = fd_patch;
        if ((*out)->truncate == NULL)
            (*out)->truncate = fd_truncate;
    }
    return ELOG_OK;
}

elog_status elog_log_writer_open_path(elog_log_writer **out, const elog_log_writer_options *opt,
                                      const char *path)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return ELOG_E_CALLBACK;
    elog_status s = elog_log_writer_open_fd(out, opt, fd);
    if (s != ELOG_OK) {
        int e = errno;
        close(fd);
        errno = e;
        return s;
    }
    (*out)->own_fd = true;
    return ELOG_OK;
}

/* ------------------------------------------------------------------ header */

static elog_status begin_header(elog_log_writer *w)
{
    if (w->state != ST_HEADER)
        return fail(w, ELOG_E_USAGE, "the header is already complete");
    if (!w->header_begun) {
        w->header_begun = true;
        return out_write(w, "hdrbhetb", 8);
    }
    return ELOG_OK;
}

elog_status elog_log_writer_declare(elog_log_writer *w, uint16_t id, uint16_t size,
                                    elog_slice description)
{
    elog_status s = begin_header(w);
    if (s != ELOG_OK)
        return s;
    /* id 65535 can be declared (the decoder keeps such a declaration; no
     * event can have it): copied like any other. */
    if (description.len > UINT32_MAX)
        return fail(w, ELOG_E_BAD_HEADER, "description too long");
    if (id >= w->by_id_len) {
        size_t n = (size_t)id + 1;
        uint32_t *t = mem_alloc(w, n * sizeof *t);
        if (t == NULL)
            return fail(w, ELOG_E_NOMEM, "out of memory for the event-type table");
        memset(t, 0, n * sizeof *t);
        if (w->by_id_len)
            memcpy(t, w->by_id, w->by_id_len * sizeof *t);
        mem_free(w->al, w->by_id, w->by_id_len * sizeof *t);
        w->by_id = t;
        w->by_id_len = n;
    }
    w->by_id[id] = (uint32_t)size + 1u; /* a later declaration wins, as in the decoder */
    uint8_t rec[12];
    memcpy(rec, "etb\0", 4);
    elog__wr16(rec + 4, id);
    elog__wr16(rec + 6, size);
    elog__wr32(rec + 8, (uint32_t)description.len);
    if ((s = out_write(w, rec, 12)) != ELOG_OK ||
        (s = out_write(w, description.ptr, description.len)) != ELOG_OK)
        return s;
    memcpy(rec, "\0\0\0\0ete\0", 8);
    return out_write(w, rec, 8);
}

elog_status elog_log_writer_declare_known(elog_log_writer *w, uint16_t id)
{
    size_t n;
    const elog_layout_info *cat = elog_catalogue(&n), *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (cat[i].id == id)
            best = &cat[i]; /* ordered by size: the last is the largest */
    if (best == NULL)
        return fail(w, ELOG_E_UNDECLARED, "the catalogue has no event type %u", id);
    elog_slice d = {(const uint8_t *)best->name, strlen(best->name)};
    return elog_log_writer_declare(w, id, best->size, d);
}

elog_status elog_log_writer_declare_catalogue(elog_log_writer *w)
{
    size_t n;
    const elog_layout_info *cat = elog_catalogue(&n);
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && cat[i + 1].id == cat[i].id)
            continue;
        elog_status s = elog_log_writer_declare_known(w, cat[i].id);
        if (s != ELOG_OK)
            return s;
    }
    return ELOG_OK;
}

elog_status elog_log_writer_begin_data(elog_log_writer *w)
{
    elog_status s = begin_header(w);
    if (s != ELOG_OK)
        return s;
    if (!(w->flags & ELOG_LOG_WRITER_VERBATIM)) {
        /* Blocks mode writes block markers: they must be declared. */
        uint32_t d = BLOCK_MARKER_ID < w->by_id_len ? w->by_id[BLOCK_MARKER_ID] : 0;
        if (d == 0) {
            static const char desc[] = "Block marker";
            s = elog_log_writer_declare(w, BLOCK_MARKER_ID, MARKER_SIZE - 10,
                                        (elog_slice){(const uint8_t *)desc, sizeof desc - 1});
            if (s != ELOG_OK)
                return s;
        } else if (d - 1 != MARKER_SIZE - 10) {
            return fail(w, ELOG_E_BAD_HEADER, "block markers (id 18) are declared with %u bytes, "
                        "not 14: such a log can only be copied in verbatim mode", d - 1);
        }
    }
    if ((s = out_write(w, "hetehdredatb", 12)) != ELOG_OK)
        return s;
    w->state = ST_DATA;
    return ELOG_OK;
}

elog_status elog_log_writer_header(elog_log_writer *w, const elog_header *h)
{
    for (size_t i = 0; i < h->n_types; i++) {
        const elog_event_type *t = &h->types[i];
        elog_status s = elog_log_writer_declare(w, t->id, t->size, t->description);
        if (s != ELOG_OK)
            return s;
    }
    return elog_log_writer_begin_data(w);
}

/* ------------------------------------------------------------------ blocks */

static slot *slot_of(elog_log_writer *w, uint16_t cap)
{
    size_t i = cap == ELOG_NO_CAP ? 0 : (size_t)cap + 1;
    if (i >= w->n_slots) {
        size_t n = w->n_slots ? w->n_slots : 4;
        while (n <= i)
            n *= 2;
        slot *t = mem_alloc(w, n * sizeof *t);
        if (t == NULL)
            return NULL;
        memset(t, 0, n * sizeof *t);
        if (w->n_slots)
            memcpy(t, w->slots, w->n_slots * sizeof *t);
        mem_free(w->al, w->slots, w->n_slots * sizeof *t);
        w->slots = t;
        w->n_slots = n;
    }
    return &w->slots[i];
}

static elog_status flush_slot(elog_log_writer *w, size_t i)
{
    slot *sl = &w->slots[i];
    if (sl->len == 0)
        return ELOG_OK;
    uint8_t *m = sl->buf;
    elog__wr16(m, BLOCK_MARKER_ID);
    elog__wr64(m + 2, sl->tmin);
    elog__wr32(m + 10, (uint32_t)sl->len);
    elog__wr64(m + 14, sl->tmax);
    elog__wr16(m + 22, i == 0 ? (uint16_t)ELOG_NO_CAP : (uint16_t)(i - 1));
    size_t n = sl->len;
    sl->len = 0;
    return out_write(w, sl->buf, n);
}

/* Every pending block, earliest first (selection: a handful of capabilities). */
static elog_status flush_all(elog_log_writer *w)
{
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < w->n_slots; i++)
            if (w->slots[i].len && (best == SIZE_MAX || w->slots[i].tmin < w->slots[best].tmin))
                best = i;
        if (best == SIZE_MAX)
            return ELOG_OK;
        elog_status s = flush_slot(w, best);
        if (s != ELOG_OK)
            return s;
    }
}

/* Room for `need` more bytes in the block of `cap` (after its marker). */
static elog_status block_room(elog_log_writer *w, uint16_t cap, size_t need, slot **out)
{
    slot *sl = slot_of(w, cap);
    if (sl == NULL)
        return fail(w, ELOG_E_NOMEM, "out of memory for capability %u's block", cap);
    size_t i = (size_t)(sl - w->slots);
    elog_status s;
    if (sl->len && sl->len + need > w->block_bytes) {
        if ((s = flush_slot(w, i)) != ELOG_OK)
            return s;
    }
    size_t want = (sl->len ? sl->len : MARKER_SIZE) + need;
    if (want > sl->cap) {
        size_t ncap = sl->cap ? sl->cap * 2 : 16384;
        if (ncap < want)
            ncap = want;
        if (ncap > w->block_bytes)
            ncap = w->block_bytes;
        if (w->total_cap - sl->cap + ncap > w->budget) {
            /* Over budget: write every pending block and give back the
             * other capabilities' buffers. */
            if ((s = flush_all(w)) != ELOG_OK)
                return s;
            for (size_t j = 0; j < w->n_slots; j++) {
                if (j == i || w->slots[j].buf == NULL)
                    continue;
                mem_free(w->al, w->slots[j].buf, w->slots[j].cap);
                w->total_cap -= w->slots[j].cap;
                w->slots[j].buf = NULL;
                w->slots[j].cap = 0;
            }
            want = MARKER_SIZE + need;
        }
        if (want > sl->cap) {
            uint8_t *nb = mem_alloc(w, ncap);
            if (nb == NULL)
                return fail(w, ELOG_E_NOMEM, "out of memory for capability %u's block", cap);
            if (sl->len)
                memcpy(nb, sl->buf, sl->len);
            mem_free(w->al, sl->buf, sl->cap);
            w->total_cap += ncap - sl->cap;
            sl->buf = nb;
            sl->cap = ncap;
        }
    }
    if (sl->len == 0)
        sl->len = MARKER_SIZE;
    *out = sl;
    return ELOG_OK;
}

/* ------------------------------------------------------------------ records */

/* Appends one record given as its first bytes (id, time, [length]) and its
 * payload, already checked against the header. */
static elog_status put_record(elog_log_writer *w, uint16_t cap, uint16_t id, uint64_t time,
                              const uint8_t *head, size_t hlen, const uint8_t *pay, size_t plen)
{
    size_t total = hlen + plen;
    elog_status s;
    if ((w->flags & ELOG_LOG_WRITER_VERBATIM) && w->patch != NULL) {
        if (id == BLOCK_MARKER_ID && total == MARKER_SIZE) {
            w->streaming = true;
            w->block_offset = w->offset;
            w->block_declared = elog__rd32(pay);
            w->remaining = (int64_t)w->block_declared - (int64_t)MARKER_SIZE;
        } else if (w->streaming) {
            w->remaining -= (int64_t)total;
            if (w->remaining <= 0)
                w->streaming = false; /* complete: nothing to correct */
        }
        if (total <= OUT_BUF - w->out_len) {
            memcpy(w->out + w->out_len, head, hlen);
            memcpy(w->out + w->out_len + hlen, pay, plen);
            w->out_len += total;
            w->offset += total;
            return ELOG_OK;
        }
        if ((s = out_write(w, head, hlen)) != ELOG_OK)
            return s;
        return out_write(w, pay, plen);
    }
    if (w->flags & ELOG_LOG_WRITER_VERBATIM) {
        if (id == BLOCK_MARKER_ID && total == MARKER_SIZE) {
            if (w->holding) {
                w->holding = false;
                if ((s = out_write(w, w->hold, w->hold_len)) != ELOG_OK)
                    return s;
            }
            if (w->hold == NULL) {
                w->hold = mem_alloc(w, w->block_bytes);
                if (w->hold == NULL)
                    return fail(w, ELOG_E_NOMEM, "out of memory for the block buffer");
                w->hold_cap = w->block_bytes;
            }
            memcpy(w->hold, head, hlen);
            memcpy(w->hold + hlen, pay, plen);
            w->hold_len = total;
            w->holding = true;
            w->hold_offset = w->offset;
            w->remaining = (int64_t)elog__rd32(w->hold + 10) - (int64_t)MARKER_SIZE;
            return ELOG_OK;
        }
        if (w->holding) {
            w->remaining -= (int64_t)total;
            if (w->hold_len + total <= w->hold_cap) {
                memcpy(w->hold + w->hold_len, head, hlen);
                memcpy(w->hold + w->hold_len + hlen, pay, plen);
                w->hold_len += total;
                if (w->remaining > 0)
                    return ELOG_OK;
                w->holding = false;
                return out_write(w, w->hold, w->hold_len);
            }
            /* Longer than we hold: written through, its size stays. */
            w->holding = false;
            if ((s = out_write(w, w->hold, w->hold_len)) != ELOG_OK)
                return s;
        }
        if ((s = out_write(w, head, hlen)) != ELOG_OK)
            return s;
        return out_write(w, pay, plen);
    }
    if (id == BLOCK_MARKER_ID)
        return ELOG_OK; /* the writer makes its own */
    slot *sl = NULL;
    size_t i = cap == ELOG_NO_CAP ? 0 : (size_t)cap + 1;
    if (i < w->n_slots && w->slots[i].len != 0 && w->slots[i].len + total <= w->slots[i].cap &&
        w->slots[i].len + total <= w->block_bytes) {
        sl = &w->slots[i]; /* the common case: room in the open block */
    } else if ((s = block_room(w, cap, total, &sl)) != ELOG_OK) {
        return s;
    }
    if (sl->len == MARKER_SIZE) {
        sl->tmin = sl->tmax = time;
    } else {
        if (time < sl->tmin)
            sl->tmin = time;
        if (time > sl->tmax)
            sl->tmax = time;
    }
    memcpy(sl->buf + sl->len, head, hlen);
    memcpy(sl->buf + sl->len + hlen, pay, plen);
    sl->len += total;
    return ELOG_OK;
}

/* The declared size of `id` + 1, or 0. */
static uint32_t declared(const elog_log_writer *w, uint16_t id)
{
    return id < w->by_id_len ? w->by_id[id] : 0;
}

static elog_status data_state(elog_log_writer *w)
{
    if (w->state == ST_DATA)
        return ELOG_OK;
    return fail(w, ELOG_E_USAGE, w->state == ST_HEADER ? "an event before the header is complete "
                "(call elog_log_writer_begin_data)" : "an event after finish");
}

static elog_status append(elog_log_writer *w, uint16_t cap, uint16_t id, uint64_t time,
                          const uint8_t *payload, size_t len, uint64_t in_offset, bool has_offset)
{
    elog_status s = data_state(w);
    if (s != ELOG_OK)
        return s;
    char where[48] = "";
    if (has_offset)
        snprintf(where, sizeof where, " (at input offset %llu)", (unsigned long long)in_offset);
    uint32_t d = declared(w, id);
    if (d == 0)
        return fail(w, ELOG_E_UNDECLARED, "event type %u%s is not declared in the output's header",
                    id, where);
    uint8_t head[12];
    elog__wr16(head, id);
    elog__wr64(head + 2, time);
    size_t hlen = 10;
    if (d - 1 == ELOG_VARIABLE_SIZE) {
        if (len > 0xffffu)
            return fail(w, ELOG_E_BAD_EVENT, "a payload of %zu bytes%s (more than 65535)", len, where);
        elog__wr16(head + 10, (uint16_t)len);
        hlen = 12;
    } else if (len != d - 1) {
        return fail(w, ELOG_E_BAD_EVENT, "event type %u%s has %zu payload bytes but the output's "
                    "header declares %u", id, where, len, d - 1);
    }
    return put_record(w, cap, id, time, head, hlen, payload, len);
}

elog_status elog_log_writer_copy(elog_log_writer *w, const elog_event *ev)
{
    if (w->bytes_mode) {
        /* The bytes are already out: only note where the last block began. */
        if (w->state != ST_DATA)
            return fail(w, ELOG_E_USAGE, "an event after finish");
        if (ev->id == BLOCK_MARKER_ID && ev->payload.len == MARKER_SIZE - 10) {
            w->streaming = true;
            w->block_offset = ev->offset;
            w->block_declared = elog__rd32(ev->payload.ptr);
        }
        return ELOG_OK;
    }
    return append(w, ev->cap, ev->id, ev->time, ev->payload.ptr, ev->payload.len, ev->offset, true);
}

elog_status elog_log_writer_raw(elog_log_writer *w, uint16_t cap, uint16_t id, uint64_t time,
                                const void *payload, size_t len)
{
    return append(w, cap, id, time, payload, len, 0, false);
}

elog_status elog_log_writer_record(elog_log_writer *w, uint16_t cap, const void *rec, size_t len)
{
    elog_status s = data_state(w);
    if (s != ELOG_OK)
        return s;
    const uint8_t *p = rec;
    if (len < 10)
        return fail(w, ELOG_E_BAD_EVENT, "a record of %zu bytes (at least 10 needed)", len);
    uint16_t id = elog__rd16(p);
    uint32_t d = declared(w, id);
    if (d == 0)
        return fail(w, ELOG_E_UNDECLARED, "event type %u is not declared in the output's header", id);
    size_t hlen = 10;
    if (d - 1 == ELOG_VARIABLE_SIZE) {
        if (len < 12 || len != 12u + elog__rd16(p + 10))
            return fail(w, ELOG_E_BAD_EVENT, "a record of type %u: %zu bytes disagree with its "
                        "length prefix", id, len);
        hlen = 12;
    } else if (len != 10u + (d - 1)) {
        return fail(w, ELOG_E_BAD_EVENT, "a record of type %u has %zu bytes, its declaration says %u",
                    id, len, 10u + (d - 1));
    }
    return put_record(w, cap, id, elog__rd64(p + 2), p, hlen, p + hlen, len - hlen);
}

elog_status elog_log_writer_event(elog_log_writer *w, uint16_t cap, uint16_t id, uint64_t time,
                                  const elog_fields *fields)
{
    elog_status s = data_state(w);
    if (s != ELOG_OK)
        return s;
    uint32_t d = declared(w, id);
    const elog_layout_info *lay = d ? elog_catalogue_find(id, (uint16_t)(d - 1)) : NULL;
    if (lay == NULL)
        return fail(w, ELOG_E_UNDECLARED, d ? "no catalogue layout fits event type %u as declared"
                    : "event type %u is not declared in the output's header", id);
    if (w->scratch == NULL) {
        w->scratch = mem_alloc(w, ELOG_MAX_RECORD_SIZE);
        if (w->scratch == NULL)
            return fail(w, ELOG_E_NOMEM, "out of memory for an event");
    }
    bool var = lay->size == ELOG_VARIABLE_SIZE;
    size_t hlen = var ? 12 : 10;
    size_t n = elog__encode_fields(lay->index, fields, w->scratch + hlen, 0xffffu);
    if (n == SIZE_MAX)
        return fail(w, ELOG_E_BAD_EVENT, "the fields of a %s event do not fit in 65535 bytes",
                    lay->name);
    if (!var) {
        size_t size = d - 1;
        memset(w->scratch + hlen + n, 0, size - n); /* declared larger than known: zeros */
        n = size;
    }
    elog__wr16(w->scratch, id);
    elog__wr64(w->scratch + 2, time);
    if (var)
        elog__wr16(w->scratch + 10, (uint16_t)n);
    return put_record(w, cap, id, time, w->scratch, hlen, w->scratch + hlen, n);
}

elog_status elog_log_writer_end_block(elog_log_writer *w, uint16_t cap)
{
    if (w->flags & ELOG_LOG_WRITER_VERBATIM)
        return ELOG_OK;
    size_t i = cap == ELOG_NO_CAP ? 0 : (size_t)cap + 1;
    if (i >= w->n_slots)
        return ELOG_OK;
    return flush_slot(w, i);
}

/* ------------------------------------------------------------------ finish */

/* The end of both finishes: the end-of-data marker (if all went well so
 * far), the last flush, and closing a file the writer opened itself. */
static elog_status end_output(elog_log_writer *w, elog_status s)
{
    if (s == ELOG_OK)
        s = out_write(w, "\xff\xff", 2);
    if (s == ELOG_OK)
        s = out_flush(w);
    if (w->own_fd) {
        w->own_fd = false;
        if (close(w->fd) != 0 && s == ELOG_OK)
            s = fail(w, ELOG_E_CALLBACK, "closing the output failed: %s", strerror(io_error(w)));
    }
    return s;
}

elog_status elog_log_writer_finish(elog_log_writer *w, elog_log_writer_fix *fix)
{
    if (fix != NULL)
        memset(fix, 0, sizeof *fix);
    if (w->state == ST_DONE)
        return fail(w, ELOG_E_USAGE, "finish called twice");
    elog_status s = ELOG_OK;
    if (w->state == ST_HEADER)
        s = elog_log_writer_begin_data(w);
    w->state = ST_DONE;
    if (s == ELOG_OK && w->holding) {
        /* A complete block declares its bytes, or (GHC >= 9) its bytes plus
         * the 2-byte end marker; anything else was cut short. */
        uint32_t decl = elog__rd32(w->hold + 10);
        uint32_t actual = (uint32_t)w->hold_len;
        if (decl != actual && decl != actual + 2u) {
            elog__wr32(w->hold + 10, actual);
            if (fix != NULL)
                *fix = (elog_log_writer_fix){true, w->hold_offset, decl, actual};
        }
        w->holding = false;
        s = out_write(w, w->hold, w->hold_len);
    }
    if (s == ELOG_OK && w->streaming) {
        uint64_t actual64 = w->offset - w->block_offset;
        uint32_t decl = w->block_declared;
        if (actual64 <= UINT32_MAX && decl != actual64 && decl != actual64 + 2u) {
            uint32_t actual = (uint32_t)actual64;
            uint8_t be[4];
            elog__wr32(be, actual);
            uint64_t at = w->block_offset + 10; /* the size field of the marker */
            uint64_t buffered_from = w->offset - w->out_len;
            if (at >= buffered_from) {
                memcpy(w->out + (at - buffered_from), be, 4);
            } else if ((s = out_flush(w)) == ELOG_OK) {
                errno = 0;
                if (w->patch(w->sink_ctx, at, be, 4) != 0) {
                    s = fail(w, ELOG_E_CALLBACK, "correcting the last block's size at byte %llu "
                             "failed: %s", (unsigned long long)at, strerror(io_error(w)));
                }
            }
            if (fix != NULL)
                *fix = (elog_log_writer_fix){true, w->block_offset, decl, actual};
        }
    }
    if (s == ELOG_OK)
        s = flush_all(w);
    return end_output(w, s);
}

elog_status elog_log_writer_bytes(elog_log_writer *w, const void *p, size_t n)
{
    if (!w->bytes_mode) {
        if (!(w->flags & ELOG_LOG_WRITER_VERBATIM) || w->patch == NULL || w->truncate == NULL ||
            w->header_begun || w->state != ST_HEADER)
            return fail(w, ELOG_E_USAGE, "a pass-through copy needs a verbatim writer with patch "
                        "and truncate functions, before anything else was written");
        w->bytes_mode = true;
        w->state = ST_DATA;
    }
    if (w->state != ST_DATA)
        return fail(w, ELOG_E_USAGE, "bytes after finish");
    return out_write(w, p, n);
}

elog_status elog_log_writer_finish_bytes(elog_log_writer *w, uint64_t valid_end,
                                         elog_log_writer_fix *fix)
{
    if (fix != NULL)
        memset(fix, 0, sizeof *fix);
    if (!w->bytes_mode || w->state != ST_DATA)
        return fail(w, ELOG_E_USAGE, "finish_bytes without a pass-through copy");
    if (valid_end > w->offset)
        return fail(w, ELOG_E_USAGE, "the end (%llu) is past the bytes given (%llu)",
                    (unsigned long long)valid_end, (unsigned long long)w->offset);
    w->state = ST_DONE;
    elog_status s = out_flush(w);
    if (s == ELOG_OK && valid_end < w->offset) {
        errno = 0;
        if (w->truncate(w->sink_ctx, valid_end) != 0) {
            s = fail(w, ELOG_E_CALLBACK, "cutting the output at byte %llu failed: %s",
                     (unsigned long long)valid_end, strerror(io_error(w)));
        }
        w->offset = valid_end;
    }
    if (s == ELOG_OK && w->streaming && valid_end > w->block_offset &&
        valid_end - w->block_offset <= UINT32_MAX) {
        /* Only a cut shortens the last block: one still declaring more than
         * it holds (other than GHC >= 9's 2 bytes for the end marker). */
        uint32_t actual = (uint32_t)(valid_end - w->block_offset);
        uint32_t decl = w->block_declared;
        if (actual < decl && actual + 2u != decl) {
            uint8_t be[4];
            elog__wr32(be, actual);
            errno = 0;
            if (w->patch(w->sink_ctx, w->block_offset + 10, be, 4) != 0) {
                s = fail(w, ELOG_E_CALLBACK, "correcting the last block's size failed: %s",
                         strerror(io_error(w)));
            } else if (fix != NULL) {
                *fix = (elog_log_writer_fix){true, w->block_offset, decl, actual};
            }
        }
    }
    return end_output(w, s);
}

elog_status elog_log_writer_flush(elog_log_writer *w)
{
    return out_flush(w);
}

uint64_t elog_log_writer_offset(const elog_log_writer *w)
{
    return w->offset;
}

const char *elog_log_writer_error_reason(const elog_log_writer *w)
{
    return w->reason;
}

int elog_log_writer_errno(const elog_log_writer *w)
{
    return w->io_errno;
}

void elog_log_writer_free(elog_log_writer *w)
{
    if (w == NULL)
        return;
    const elog_allocator *al = w->al;
    if (w->own_fd)
        close(w->fd);
    for (size_t i = 0; i < w->n_slots; i++)
        mem_free(al, w->slots[i].buf, w->slots[i].cap);
    mem_free(al, w->slots, w->n_slots * sizeof *w->slots);
    mem_free(al, w->by_id, w->by_id_len * sizeof *w->by_id);
    mem_free(al, w->hold, w->hold_cap);
    mem_free(al, w->scratch, ELOG_MAX_RECORD_SIZE);
    al->free(al->ctx, w, sizeof *w);
}

/*
 * Several eventlogs merged into one (include/eventlog/merge.h): a scan of
 * each input for the largest capability, capset and thread it uses, one
 * elog_sorter per input merged by time, each event's id fields shifted and
 * written by the writer into blocks per capability.
 */
#include "eventlog/merge.h"
#include "eventlog/order.h"
#include "eventlog/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_THREAD, K_CAP, K_CAPSET };

typedef struct shift_field {
    uint16_t off;     /* in the payload */
    uint8_t size;     /* 2 or 4 */
    uint8_t kind;     /* K_* */
} shift_field;

typedef struct layout_shifts {
    uint8_t n;
    shift_field f[4];
} layout_shifts;

typedef struct maxima {
    uint64_t v[3];   /* threads: the largest id; caps, capsets: largest + 1 */
} maxima;

struct elog_merge {
    size_t n;
    char **names;                 /* copies of the paths, for messages */
    elog_sorter **in;
    maxima *shift;
    const elog_event_type **decls; /* by id: the union (entries in the sorters' headers) */
    bool written;
    layout_shifts shifts[ELOG_CATALOGUE_LAYOUTS];
    char error[512];
};

static elog_status set_error(elog_merge *m, elog_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static elog_status set_error(elog_merge *m, elog_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof m->error, fmt, ap);
    va_end(ap);
    return st;
}

void elog_merge_options_init(elog_merge_options *o)
{
    memset(o, 0, sizeof *o);
}

/* ------------------------------------------------------------ the shifted fields */

static int field_kind(const char *name)
{
    if (strcmp(name, "thread") == 0 || strcmp(name, "spark_thread") == 0)
        return K_THREAD;
    if (strcmp(name, "cap") == 0 || strcmp(name, "new_cap") == 0 || strcmp(name, "other_cap") == 0 ||
        strcmp(name, "victim_cap") == 0)
        return K_CAP;
    if (strcmp(name, "capset") == 0 || strcmp(name, "heap_capset") == 0)
        return K_CAPSET;
    return -1;
}

/* Payload offsets of the shifted fields of every layout: the fields before
 * them are fixed-size integers in every layout that has any. */
static void build_shifts(layout_shifts *shifts)
{
    size_t n;
    const elog_layout_info *cat = elog_catalogue(&n);
    for (size_t i = 0; i < n && i < ELOG_CATALOGUE_LAYOUTS; i++) {
        if (cat[i].id == 18)
            continue; /* block markers: the writer makes its own */
        unsigned off = 0;
        for (unsigned k = 0; k < cat[i].n_fields; k++) {
            const elog_field_info *f = &cat[i].fields[k];
            if (f->derived)
                continue;
            unsigned size = f->kind == ELOG_FIELD_U8 ? 1 : f->kind == ELOG_FIELD_U16 ? 2 :
                            f->kind == ELOG_FIELD_U32 ? 4 : f->kind == ELOG_FIELD_U64 ? 8 : 0;
            if (size == 0 || f->optional)
                break;
            int kind = field_kind(f->name);
            if (kind >= 0 && (size == 2 || size == 4) && shifts[i].n < 4)
                shifts[i].f[shifts[i].n++] = (shift_field){(uint16_t)off, (uint8_t)size, (uint8_t)kind};
            off += size;
        }
    }
}

static uint32_t rd(const uint8_t *p, unsigned size)
{
    return size == 2 ? (uint32_t)((p[0] << 8) | p[1])
                     : ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void wr(uint8_t *p, unsigned size, uint32_t v)
{
    if (size == 2) {
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
    } else {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
}

static const layout_shifts *shifts_of(const layout_shifts *shifts, const elog_event *ev)
{
    return ev->layout != NULL && ev->id != 18 && shifts[ev->layout->index].n
               ? &shifts[ev->layout->index] : NULL;
}

/* ------------------------------------------------------------ pass 0: maxima */

typedef struct scan_state {
    const layout_shifts *shifts;
    maxima m;
} scan_state;

static bool scan_select(elog_decoder *d, const elog_event_type *t)
{
    const scan_state *s = d->data;
    return t->id == 18 || t->id == ELOG_EV_STARTUP ||
           (t->layout != NULL && s->shifts[t->layout->index].n > 0);
}

static int scan_event(elog_decoder *d, const elog_event *ev)
{
    scan_state *s = d->data;
    maxima *m = &s->m;
    if (ev->cap != ELOG_NO_CAP && (uint64_t)ev->cap + 1 > m->v[K_CAP])
        m->v[K_CAP] = (uint64_t)ev->cap + 1;
    if (ev->id == ELOG_EV_STARTUP && ev->layout != NULL && ev->as.startup.n_caps > m->v[K_CAP])
        m->v[K_CAP] = ev->as.startup.n_caps;
    const layout_shifts *ls = shifts_of(s->shifts, ev);
    for (unsigned i = 0; ls != NULL && i < ls->n; i++) {
        const shift_field *f = &ls->f[i];
        if ((size_t)f->off + f->size > ev->payload.len)
            continue;
        uint64_t v = rd(ev->payload.ptr + f->off, f->size);
        if (f->kind == K_CAP && f->size == 2 && v == ELOG_NO_CAP)
            continue;
        if (f->kind != K_THREAD)
            v++;
        if (v > m->v[f->kind])
            m->v[f->kind] = v;
    }
    return ELOG_CB_CONTINUE;
}

/* Why a scan found no usable log, as the CLI's messages put it. */
static elog_status scan_failed(elog_merge *m, const char *path, const elog_decoder *d,
                               const elog_end *end)
{
    unsigned long long miss = end->bytes_missing;
    switch (end->kind) {
    case ELOG_END_TRUNCATED_IN_HEADER:
        return set_error(m, ELOG_E_CALLBACK, "%s: truncated inside the header, at least %llu "
                         "byte%s missing (at byte offset %llu)", path, miss, miss == 1 ? "" : "s",
                         (unsigned long long)end->offset);
    case ELOG_END_EMPTY:
        return set_error(m, ELOG_E_CALLBACK, "%s: empty input, not an eventlog (at byte offset 0)",
                         path);
    default: {
        const char *reason = elog_get_error_reason(d);
        uint64_t off = elog_get_error(d) != ELOG_OK ? elog_get_error_offset(d) : end->offset;
        if (reason == NULL || *reason == '\0')
            reason = elog_status_name(end->status);
        return set_error(m, ELOG_E_CALLBACK, "%s: %s (at byte offset %llu)", path, reason,
                         (unsigned long long)off);
    }
    }
}

static elog_status scan(elog_merge *m, const char *path, unsigned options, maxima *out)
{
    scan_state st;
    memset(&st, 0, sizeof st);
    st.shifts = m->shifts;
    elog_settings s;
    elog_settings_init(&s);
    s.on_event = scan_event;
    s.select = scan_select;
    s.options = options;
    elog_decoder d;
    elog_decoder_init(&d, &s, &st);
    elog_reader *r = NULL;
    elog_status rc = ELOG_OK;
    elog_end end;
    if (elog_reader_open(&r, path, NULL) != ELOG_READER_OK) {
        rc = r != NULL ? set_error(m, ELOG_E_CALLBACK, "%s", elog_reader_error(r))
                       : set_error(m, ELOG_E_NOMEM, "%s: out of memory", path);
    } else if (elog_reader_run(r, &d, &end) != ELOG_READER_OK) {
        rc = elog_reader_error(r)[0] ? set_error(m, ELOG_E_CALLBACK, "%s", elog_reader_error(r))
                                     : scan_failed(m, path, &d, &end);
    } else if (end.kind != ELOG_END_CLEAN && end.kind != ELOG_END_TRUNCATED_BETWEEN_EVENTS &&
               end.kind != ELOG_END_TRUNCATED_IN_EVENT) {
        rc = scan_failed(m, path, &d, &end);
    }
    elog_reader_close(r);
    elog_decoder_free(&d);
    *out = st.m;
    return rc;
}

/* ------------------------------------------------------------ headers */

/* The union of the inputs' declarations, by id. */
static elog_status join_headers(elog_merge *m)
{
    m->decls = calloc(65536, sizeof *m->decls);
    uint32_t *from = calloc(65536, sizeof *from);
    if (m->decls == NULL || from == NULL) {
        free(from);
        return set_error(m, ELOG_E_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < m->n; k++) {
        const elog_header *h = elog_sorter_header(m->in[k]);
        for (size_t i = 0; i < h->n_types; i++) {
            const elog_event_type *t = elog_header_lookup(h, h->types[i].id); /* the one in force */
            const elog_event_type *o = m->decls[t->id];
            if (o == NULL) {
                m->decls[t->id] = t;
                from[t->id] = (uint32_t)k;
            } else if (o->size != t->size || o->description.len != t->description.len ||
                       memcmp(o->description.ptr, t->description.ptr, t->description.len) != 0) {
                elog_status st = set_error(m, ELOG_E_BAD_HEADER,
                    "event type %u is declared differently in %s (size %u, \"%.*s\") and "
                    "%s (size %u, \"%.*s\"): these logs cannot be merged", t->id,
                    m->names[from[t->id]], o->size, (int)o->description.len,
                    (const char *)o->description.ptr, m->names[k], t->size,
                    (int)t->description.len, (const char *)t->description.ptr);
                free(from);
                return st;
            }
        }
    }
    free(from);
    return ELOG_OK;
}

/* ------------------------------------------------------------ open */

elog_status elog_merge_open(elog_merge **out, const char *const *paths, size_t n,
                            const elog_merge_options *opt)
{
    if (out == NULL)
        return ELOG_E_USAGE;
    elog_merge *m = calloc(1, sizeof *m);
    *out = m;
    if (m == NULL)
        return ELOG_E_NOMEM;
    if (paths == NULL || n == 0)
        return set_error(m, ELOG_E_USAGE, "no input to merge");
    elog_merge_options defaults;
    if (opt == NULL) {
        elog_merge_options_init(&defaults);
        opt = &defaults;
    }
    m->names = calloc(n, sizeof *m->names);
    m->in = calloc(n, sizeof *m->in);
    m->shift = calloc(n, sizeof *m->shift);
    if (m->names == NULL || m->in == NULL || m->shift == NULL)
        return set_error(m, ELOG_E_NOMEM, "out of memory");
    m->n = n;
    for (size_t k = 0; k < n; k++) {
        if (paths[k] == NULL)
            return set_error(m, ELOG_E_USAGE, "input %zu: no path", k);
        if ((m->names[k] = strdup(paths[k])) == NULL)
            return set_error(m, ELOG_E_NOMEM, "out of memory");
    }
    build_shifts(m->shifts);

    /* Pass 0: what each input uses, and so each input's shift. */
    maxima used = {{0, 0, 0}};
    for (size_t k = 0; k < n; k++) {
        maxima u;
        elog_status st = scan(m, paths[k], opt->decoder_options, &u);
        if (st != ELOG_OK)
            return st;
        m->shift[k] = used;
        for (int j = 0; j < 3; j++)
            if (m->shift[k].v[j] + u.v[j] > used.v[j])
                used.v[j] = m->shift[k].v[j] + u.v[j];
    }

    /* Pass 1 of the time-ordered iteration of every input. */
    elog_order_options oo;
    elog_order_options_init(&oo);
    oo.memory_budget = opt->memory_budget != 0 ? opt->memory_budget : 4u << 20;
    oo.decoder_options = opt->decoder_options;
    oo.tmpdir = opt->tmpdir;
    for (size_t k = 0; k < n; k++)
        if (elog_sorter_open(&m->in[k], paths[k], &oo) != 0)
            return m->in[k] != NULL
                       ? set_error(m, ELOG_E_CALLBACK, "%s", elog_sorter_error(m->in[k]))
                       : set_error(m, ELOG_E_NOMEM, "%s: out of memory", paths[k]);
    return join_headers(m);
}

size_t elog_merge_inputs(const elog_merge *m)
{
    return m->n;
}

void elog_merge_shift_of(const elog_merge *m, size_t k, elog_merge_shift *s)
{
    memset(s, 0, sizeof *s);
    if (k >= m->n || m->shift == NULL)
        return;
    s->caps = m->shift[k].v[K_CAP];
    s->capsets = m->shift[k].v[K_CAPSET];
    s->threads = m->shift[k].v[K_THREAD];
}

void elog_merge_input_end(const elog_merge *m, size_t k, elog_end *end)
{
    memset(end, 0, sizeof *end);
    end->kind = ELOG_END_ERROR;
    if (k < m->n && m->in != NULL && m->in[k] != NULL)
        elog_sorter_end(m->in[k], end);
}

const elog_header *elog_merge_input_header(const elog_merge *m, size_t k)
{
    return k < m->n && m->in != NULL && m->in[k] != NULL ? elog_sorter_header(m->in[k]) : NULL;
}

/* ------------------------------------------------------------ write */

static elog_status writer_failed(elog_merge *m, elog_log_writer *w, elog_status st)
{
    return set_error(m, st, "%s", elog_log_writer_error_reason(w));
}

/* The next event of input k into heads[k]; live[k] false at its end. */
static elog_status pull(elog_merge *m, size_t k, elog_event *heads, bool *live)
{
    int r = elog_sorter_next(m->in[k], &heads[k]);
    if (r < 0)
        return set_error(m, ELOG_E_CALLBACK, "%s", elog_sorter_error(m->in[k]));
    live[k] = r == 1;
    return ELOG_OK;
}

elog_status elog_merge_write(elog_merge *m, elog_log_writer *w)
{
    if (m == NULL || w == NULL || m->decls == NULL)
        return m != NULL ? set_error(m, ELOG_E_USAGE, "the merge did not open, or no writer")
                         : ELOG_E_USAGE;
    if (m->written)
        return set_error(m, ELOG_E_USAGE, "the merge was written already");
    m->written = true;
    elog_status ws = ELOG_OK;
    for (unsigned id = 0; id < 65536 && ws == ELOG_OK; id++)
        if (m->decls[id] != NULL)
            ws = elog_log_writer_declare(w, (uint16_t)id, m->decls[id]->size,
                                         m->decls[id]->description);
    if (ws == ELOG_OK)
        ws = elog_log_writer_begin_data(w);
    if (ws != ELOG_OK)
        return writer_failed(m, w, ws);

    elog_event *heads = calloc(m->n, sizeof *heads);
    bool *live = calloc(m->n, sizeof *live);
    uint8_t *scratch = malloc(ELOG_MAX_RECORD_SIZE);
    elog_status st = ELOG_OK;
    if (heads == NULL || live == NULL || scratch == NULL) {
        st = set_error(m, ELOG_E_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < m->n && st == ELOG_OK; k++)
        st = pull(m, k, heads, live);
    /* The earliest head of the inputs, ties to the earlier input. A linear
     * pick over the few inputs, each event pulled in place: measured 35 %
     * less CPU than elog_sorter_set, whose heap moves whole events. */
    while (st == ELOG_OK) {
        size_t best = m->n;
        for (size_t k = 0; k < m->n; k++)
            if (live[k] && (best == m->n || heads[k].time < heads[best].time))
                best = k;
        if (best == m->n)
            break;
        const elog_event *ev = &heads[best];
        if (ev->id != 18) {
            /* The payload with its fields shifted (a copy only if any is). */
            const uint8_t *pay = ev->payload.ptr;
            const layout_shifts *ls = shifts_of(m->shifts, ev);
            const maxima *sh = &m->shift[best];
            if (ls != NULL && (sh->v[0] | sh->v[1] | sh->v[2]) != 0) {
                memcpy(scratch, ev->payload.ptr, ev->payload.len);
                pay = scratch;
                for (unsigned i = 0; i < ls->n; i++) {
                    const shift_field *f = &ls->f[i];
                    if ((size_t)f->off + f->size > ev->payload.len)
                        continue;
                    uint8_t *q = scratch + f->off;
                    uint32_t v = rd(q, f->size);
                    if (f->kind == K_CAP && f->size == 2 && v == ELOG_NO_CAP)
                        continue;
                    wr(q, f->size, v + (uint32_t)sh->v[f->kind]);
                }
            }
            uint16_t cap = ev->cap == ELOG_NO_CAP ? ELOG_NO_CAP
                                                  : (uint16_t)(ev->cap + sh->v[K_CAP]);
            ws = elog_log_writer_raw(w, cap, ev->id, ev->time, pay, ev->payload.len);
            if (ws != ELOG_OK) {
                st = writer_failed(m, w, ws);
                break;
            }
        }
        st = pull(m, best, heads, live);
    }
    if (st == ELOG_OK) {
        ws = elog_log_writer_finish(w, NULL);
        if (ws != ELOG_OK)
            st = writer_failed(m, w, ws);
    }
done:
    free(heads);
    free(live);
    free(scratch);
    return st;
}

const char *elog_merge_error(const elog_merge *m)
{
    return m != NULL ? m->error : "out of memory";
}

void elog_merge_close(elog_merge *m)
{
    if (m == NULL)
        return;
    for (size_t k = 0; k < m->n; k++) {
        if (m->in != NULL)
            elog_sorter_close(m->in[k]);
        if (m->names != NULL)
            free(m->names[k]);
    }
    free(m->in);
    free(m->names);
    free(m->shift);
    free(m->decls);
    free(m);
}

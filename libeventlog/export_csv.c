/* CSV export: one table of intervals or samples, rows written as soon as
 * they are complete (GC pauses: when the collection's statistics may have
 * arrived, see gc_flush). */
#include "export_internal.h"

typedef struct csv_cap {
    uint64_t gc_start, gc_end;   /* this GC's interval on the capability */
    uint8_t gc;                  /* 0 none, 1 open, 2 closed in this GC */
    bool running;
    uint32_t thread;
    uint64_t run_start;
} csv_cap;

typedef struct csv {
    elog_exporter base;
    csv_cap *caps;
    size_t n_caps;
    uint64_t last_time;
    /* gc-pauses: the collection being assembled */
    unsigned gc_open;            /* capabilities whose GC is open */
    bool gc_pending;             /* intervals not written yet */
    bool gc_has_gen;
    uint64_t gc_last_end;        /* latest GC_END of the collection */
    uint16_t gc_gen;
    /* heap-profile */
    export_names ccs;
    uint64_t census_time, census;
    char label[2048];
    bool header_written;
} csv;

static csv_cap *cap_of(csv *c, uint16_t cap)
{
    if (cap == ELOG_NO_CAP)
        return NULL;
    if (!export_grow(&c->base, (void **)&c->caps, &c->n_caps, sizeof *c->caps, (size_t)cap + 1, NULL))
        return NULL;
    return &c->caps[cap];
}

/* A CSV field from text: quoted when it holds a comma, quote or line end;
 * bytes that are not UTF-8 become their code point, as in the JSON exports. */
static void put_text(elog_writer *w, const uint8_t *p, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n; i++)
        if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r')
            quote = true;
    if (quote)
        EXPORT_LIT(w, "\"");
    const uint8_t *end = p + n;
    while (p < end) {
        if (*p < 0x80) {
            if (*p == '"')
                EXPORT_LIT(w, "\"\"");
            else
                elog__put_lit(w, (const char *)p, 1);
            p++;
            continue;
        }
        size_t k = export_utf8_multi(p, end);
        if (k) {
            elog__put_lit(w, (const char *)p, k);
            p += k;
        } else {
            export_put_high_byte(w, *p++);
        }
    }
    if (quote)
        EXPORT_LIT(w, "\"");
}

static void put_num(elog_writer *w, uint64_t v, char after)
{
    elog__put_dec(w, v);
    elog__put_lit(w, &after, 1);
}

/* ------------------------------------------------------------ gc-pauses */

/* Writes the intervals of the collection assembled so far. */
static void gc_flush(csv *c)
{
    if (!c->gc_pending)
        return;
    for (size_t i = 0; i < c->n_caps; i++) {
        csv_cap *k = &c->caps[i];
        if (k->gc == 0)
            continue;
        uint64_t end = k->gc == 1 ? c->last_time : k->gc_end;
        put_num(c->base.w, k->gc_start, ',');
        put_num(c->base.w, end, ',');
        if (c->gc_has_gen)
            elog__put_dec(c->base.w, c->gc_gen);
        EXPORT_LIT(c->base.w, ",");
        put_num(c->base.w, i, '\n');
        c->base.count++;
        k->gc = 0;
    }
    c->gc_pending = false;
    c->gc_has_gen = false;
    c->gc_open = 0;
    c->gc_last_end = 0;
}

static elog_status gc_event(csv *c, const elog_event *ev)
{
    switch (ev->id) {
    case ELOG_EV_GC_START: {
        csv_cap *k = cap_of(c, ev->cap);
        if (ev->cap == ELOG_NO_CAP)
            return ELOG_OK;
        if (k == NULL)
            return ELOG_E_NOMEM;
        /* A new collection (no GC open anywhere), or this capability's
         * second one before the others finished: write the previous. */
        /* This capability's part of the collection being assembled, or the
         * first of a new one: with every capability's GC ended, a start
         * before the last of those ends is still the same collection (events
         * in file order: another capability's block may come later). */
        if (k->gc == 1)
            c->gc_open--;           /* a second start: the interval restarts */
        else if (k->gc == 2 || (c->gc_open == 0 && c->gc_pending && ev->time > c->gc_last_end))
            gc_flush(c);
        k->gc = 1;
        k->gc_start = ev->time;
        c->gc_open++;
        c->gc_pending = true;
        return ELOG_OK;
    }
    case ELOG_EV_GC_END: {
        if (ev->cap == ELOG_NO_CAP || ev->cap >= c->n_caps || c->caps[ev->cap].gc != 1)
            return ELOG_OK;
        csv_cap *k = &c->caps[ev->cap];
        k->gc = 2;
        k->gc_end = ev->time;
        if (ev->time > c->gc_last_end)
            c->gc_last_end = ev->time;
        c->gc_open--;
        return ELOG_OK;
    }
    case ELOG_EV_GC_STATS_GHC:
        if (c->gc_pending) {
            c->gc_has_gen = true;
            c->gc_gen = ev->as.gc_stats_ghc.gen;
        }
        return ELOG_OK;
    default:
        return ELOG_OK;
    }
}

/* ----------------------------------------------------------- thread-runs */

static void run_row(csv *c, uint16_t cap, const csv_cap *k, uint64_t end, const char *reason,
                    size_t reason_len)
{
    elog_writer *w = c->base.w;
    put_num(w, k->thread, ',');
    put_num(w, cap, ',');
    put_num(w, k->run_start, ',');
    put_num(w, end, ',');
    put_text(w, (const uint8_t *)reason, reason_len);
    EXPORT_LIT(w, "\n");
    c->base.count++;
}

static elog_status run_event(csv *c, const elog_event *ev)
{
    if (ev->id != ELOG_EV_RUN_THREAD && ev->id != ELOG_EV_STOP_THREAD)
        return ELOG_OK;
    if (ev->cap == ELOG_NO_CAP)
        return ELOG_OK;
    csv_cap *k = cap_of(c, ev->cap);
    if (k == NULL)
        return ELOG_E_NOMEM;
    if (ev->id == ELOG_EV_RUN_THREAD) {
        if (k->running)
            run_row(c, ev->cap, k, ev->time, "no stop event", 13);
        k->running = true;
        k->thread = ev->as.run_thread.thread;
        k->run_start = ev->time;
    } else if (k->running && k->thread == ev->as.stop_thread.thread) {
        char reason[64];
        size_t n = export_stop_reason(reason, ev->as.stop_thread.status, ev->as.stop_thread.info);
        run_row(c, ev->cap, k, ev->time, reason, n);
        k->running = false;
    }
    return ELOG_OK;
}

/* ---------------------------------------------------------- heap-profile */

static elog_status heap_event(csv *c, const elog_event *ev)
{
    elog_writer *w = c->base.w;
    switch (ev->id) {
    case ELOG_EV_HEAP_PROF_COST_CENTRE:
        return export_names_set(&c->base, &c->ccs, ev->as.heap_prof_cost_centre.cc_id,
                                ev->as.heap_prof_cost_centre.label)
                   ? ELOG_OK : ELOG_E_NOMEM;
    case ELOG_EV_HEAP_PROF_SAMPLE_BEGIN:
        c->census_time = ev->time;
        c->census = ev->as.heap_prof_sample_begin.era;
        return ELOG_OK;
    case ELOG_EV_HEAP_BIO_PROF_SAMPLE_BEGIN:
        c->census_time = ev->time;
        c->census = ev->as.heap_bio_prof_sample_begin.era;
        return ELOG_OK;
    case ELOG_EV_HEAP_PROF_SAMPLE_STRING: {
        elog_slice l = ev->as.heap_prof_sample_string.label;
        put_num(w, c->census_time, ',');
        put_num(w, c->census, ',');
        put_text(w, l.ptr, l.len);
        EXPORT_LIT(w, ",");
        put_num(w, ev->as.heap_prof_sample_string.residency, '\n');
        c->base.count++;
        return ELOG_OK;
    }
    case ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE: {
        size_t n = export_stack_label(&c->ccs, ev->as.heap_prof_sample_cost_centre.stack,
                                      c->label, sizeof c->label);
        put_num(w, c->census_time, ',');
        put_num(w, c->census, ',');
        put_text(w, (const uint8_t *)c->label, n);
        EXPORT_LIT(w, ",");
        put_num(w, ev->as.heap_prof_sample_cost_centre.residency, '\n');
        c->base.count++;
        return ELOG_OK;
    }
    default:
        return ELOG_OK;
    }
}

/* The header row, before the first row (or at finish for an empty table). */
static void put_header(csv *c)
{
    static const char *const heads[] = {"time,census,label,bytes\n",
                                        "start,end,generation,capability\n",
                                        "thread,capability,start,end,stop reason\n"};
    if (c->header_written)
        return;
    c->header_written = true;
    const char *h = heads[c->base.opt.table];
    elog__put_lit(c->base.w, h, strlen(h));
}

static elog_status csv_event(elog_exporter *x, const elog_event *ev)
{
    csv *c = (csv *)x;
    put_header(c);
    if (ev->time > c->last_time)
        c->last_time = ev->time;
    switch (x->opt.table) {
    case ELOG_EXPORT_TABLE_GC_PAUSES: return gc_event(c, ev);
    case ELOG_EXPORT_TABLE_THREAD_RUNS: return run_event(c, ev);
    default: return heap_event(c, ev);
    }
}

static elog_status csv_finish(elog_exporter *x)
{
    csv *c = (csv *)x;
    put_header(c);
    if (x->opt.table == ELOG_EXPORT_TABLE_GC_PAUSES) {
        gc_flush(c);
    } else if (x->opt.table == ELOG_EXPORT_TABLE_THREAD_RUNS) {
        for (size_t i = 0; i < c->n_caps; i++)
            if (c->caps[i].running) {
                run_row(c, (uint16_t)i, &c->caps[i], c->last_time, "open at end of log", 18);
                c->caps[i].running = false;
            }
    }
    return ELOG_OK;
}

static void csv_release(elog_exporter *x)
{
    csv *c = (csv *)x;
    export_free(x, c->caps, c->n_caps * sizeof *c->caps);
    export_names_free(x, &c->ccs);
    export_free(x, c, sizeof *c);
}

static const export_ops csv_ops = {NULL, csv_event, csv_finish, csv_release};

elog_exporter *export_csv_new(const elog_allocator *a)
{
    return export_state_new(a, sizeof(csv), &csv_ops);
}

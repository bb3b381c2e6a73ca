/* Chrome trace-event export (export.h describes the tracks). Slices are
 * written as "B"/"E" pairs when they begin and end, so nothing is held per
 * event; what is held is the open state: per capability the slices open on
 * its track, the open user spans, and the heap-profile census being summed. */
#include "export_internal.h"

#define MAX_SPANS 4096u
#define SPAN_LABEL_MAX 200u
#define CENSUS_SLOTS 8192u          /* power of two; at most half used */
#define CENSUS_ARENA (512u * 1024u)
#define SERIES_LABEL_MAX 200u

enum { SL_RUN = 1, SL_GC = 2 };

typedef struct slice {
    uint8_t kind;                   /* SL_* */
    uint32_t thread;                /* SL_RUN */
} slice;

typedef struct chrome_cap {
    slice open[2];                  /* bottom first */
    uint8_t n_open;
    bool named;                     /* its track's name was written */
    bool has_alloc;
    uint64_t alloc;                 /* last HEAP_ALLOCATED of this capability */
} chrome_cap;

typedef struct span {
    uint64_t sub;
    uint32_t count;                 /* starts not yet stopped */
    uint16_t cap;                   /* of the last start, for the track */
    uint8_t len;
    char label[SPAN_LABEL_MAX];
} span;

typedef struct census_entry {
    uint32_t off;                   /* label in the census arena */
    uint16_t len;
    bool used;                      /* taken by a series at this census */
    uint64_t bytes;
} census_entry;

typedef struct series {
    uint8_t len;
    char label[SERIES_LABEL_MAX];
} series;

typedef struct chrome {
    elog_exporter base;
    bool started;                   /* the prologue was written */
    bool process_named;
    uint64_t last_time;
    chrome_cap *caps;
    size_t n_caps;
    export_names threads;           /* thread labels */
    export_names ccs;               /* cost-centre labels */
    span *spans;                    /* MAX_SPANS */
    size_t n_spans;
    uint64_t heap_size, heap_live;
    /* heap-profile census */
    bool in_census;
    uint64_t census_time;
    census_entry *census;           /* CENSUS_SLOTS, open addressing by label */
    uint32_t *census_used;          /* slots in use, in insertion order */
    size_t n_census;
    char *census_arena;
    size_t census_arena_len;
    uint64_t census_overflow;       /* bytes of labels over the budget */
    series *series;                 /* top_labels */
    size_t n_series;
    char label[2048];
} chrome;

/* ------------------------------------------------------------ writing */

static void begin_record(chrome *c)
{
    elog_writer *w = c->base.w;
    if (!c->started) {
        c->started = true;
        EXPORT_LIT(w, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    } else {
        EXPORT_LIT(w, ",\n");
    }
    c->base.count++;
}

/* `{"ph":"X","pid":1,"tid":T,"ts":U` (tid left out for ELOG_NO_CAP). */
static void head(chrome *c, const char *ph, uint16_t tid, uint64_t ts)
{
    elog_writer *w = c->base.w;
    begin_record(c);
    EXPORT_LIT(w, "{\"ph\":\"");
    elog__put_lit(w, ph, strlen(ph));
    EXPORT_LIT(w, "\",\"pid\":1");
    if (tid != ELOG_NO_CAP) {
        EXPORT_LIT(w, ",\"tid\":");
        elog__put_dec(w, tid);
    }
    EXPORT_LIT(w, ",\"ts\":");
    export_put_us(w, ts);
}

static void metadata(chrome *c, const char *what, uint16_t tid, elog_slice name, bool is_index,
                     uint64_t index)
{
    elog_writer *w = c->base.w;
    begin_record(c);
    EXPORT_LIT(w, "{\"ph\":\"M\",\"pid\":1");
    if (tid != ELOG_NO_CAP) {
        EXPORT_LIT(w, ",\"tid\":");
        elog__put_dec(w, tid);
    }
    EXPORT_LIT(w, ",\"name\":\"");
    elog__put_lit(w, what, strlen(what));
    if (is_index) {
        EXPORT_LIT(w, "\",\"args\":{\"sort_index\":");
        elog__put_dec(w, index);
        EXPORT_LIT(w, "}}");
    } else {
        EXPORT_LIT(w, "\",\"args\":{\"name\":");
        export_json_string(w, name, false);
        EXPORT_LIT(w, "}}");
    }
}

static chrome_cap *cap_of(chrome *c, uint16_t cap)
{
    if (cap == ELOG_NO_CAP)
        return NULL;
    if (!export_grow(&c->base, (void **)&c->caps, &c->n_caps, sizeof *c->caps, (size_t)cap + 1,
                     NULL))
        return NULL;
    chrome_cap *k = &c->caps[cap];
    if (!k->named) {
        k->named = true;
        char b[32] = "cap ";
        size_t n = (size_t)(elog__fmt_dec(b + 4, cap) - b);
        metadata(c, "thread_name", cap, (elog_slice){(const uint8_t *)b, n}, false, 0);
        metadata(c, "thread_sort_index", cap, (elog_slice){NULL, 0}, true, cap);
    }
    return k;
}

static void put_thread_name(chrome *c, uint32_t thread)
{
    elog_writer *w = c->base.w;
    elog_slice l = export_names_get(&c->threads, thread);
    if (l.ptr && l.len) {
        export_json_string(w, l, false);
    } else {
        EXPORT_LIT(w, "\"thread ");
        elog__put_dec(w, thread);
        EXPORT_LIT(w, "\"");
    }
}

static void slice_begin(chrome *c, uint16_t cap, const slice *s, uint64_t ts)
{
    elog_writer *w = c->base.w;
    head(c, "B", cap, ts);
    if (s->kind == SL_GC) {
        EXPORT_LIT(w, ",\"cat\":\"gc\",\"name\":\"GC\"}");
        return;
    }
    EXPORT_LIT(w, ",\"cat\":\"thread\",\"name\":");
    put_thread_name(c, s->thread);
    EXPORT_LIT(w, ",\"args\":{\"thread\":");
    elog__put_dec(w, s->thread);
    EXPORT_LIT(w, "}}");
}

/* `reason`: the stop reason of a thread run (NULL: none). */
static void slice_end(chrome *c, uint16_t cap, uint64_t ts, const char *reason, size_t len)
{
    elog_writer *w = c->base.w;
    head(c, "E", cap, ts);
    if (reason) {
        EXPORT_LIT(w, ",\"args\":{\"stop\":");
        export_json_string(w, (elog_slice){(const uint8_t *)reason, len}, false);
        EXPORT_LIT(w, "}");
    }
    EXPORT_LIT(w, "}");
}

/* Ends the open slice of `kind`; slices opened after it end with it and
 * begin again at the same time, so the track stays nested. */
static void close_slice(chrome *c, uint16_t cap, chrome_cap *k, uint8_t kind, uint64_t ts,
                        const char *reason, size_t len)
{
    for (unsigned i = 0; i < k->n_open; i++) {
        if (k->open[i].kind != kind)
            continue;
        for (unsigned j = k->n_open; j-- > i + 1;)
            slice_end(c, cap, ts, NULL, 0);
        slice_end(c, cap, ts, reason, len);
        slice rest[2];
        unsigned n_rest = 0;
        for (unsigned j = i + 1; j < k->n_open; j++)
            rest[n_rest++] = k->open[j];
        k->n_open = (uint8_t)i;
        for (unsigned j = 0; j < n_rest; j++) {
            slice_begin(c, cap, &rest[j], ts);
            k->open[k->n_open++] = rest[j];
        }
        return;
    }
}

static void open_slice(chrome *c, uint16_t cap, chrome_cap *k, slice s, uint64_t ts)
{
    /* A kind already open (a run without its stop) ends first. */
    close_slice(c, cap, k, s.kind, ts, NULL, 0);
    slice_begin(c, cap, &s, ts);
    k->open[k->n_open++] = s;
}

static void counter(chrome *c, const char *name, uint64_t ts, uint64_t v)
{
    elog_writer *w = c->base.w;
    head(c, "C", ELOG_NO_CAP, ts);
    EXPORT_LIT(w, ",\"name\":\"");
    elog__put_lit(w, name, strlen(name));
    EXPORT_LIT(w, "\",\"args\":{\"bytes\":");
    elog__put_dec(w, v);
    EXPORT_LIT(w, "}}");
}

/* ------------------------------------------------------------ user spans */

/* "START [N ]label" / "STOP [N ]label": 1 start, 2 stop, 0 neither. */
static int parse_span(elog_slice m, uint64_t *sub, elog_slice *label)
{
    int kind;
    size_t i;
    if (m.len > 6 && memcmp(m.ptr, "START ", 6) == 0)
        kind = 1, i = 6;
    else if (m.len > 5 && memcmp(m.ptr, "STOP ", 5) == 0)
        kind = 2, i = 5;
    else
        return 0;
    size_t j = i;
    uint64_t v = 0;
    while (j < m.len && m.ptr[j] >= '0' && m.ptr[j] <= '9' && j - i < 18)
        v = v * 10 + (uint64_t)(m.ptr[j++] - '0');
    *sub = 0;
    if (j > i && j + 1 < m.len && m.ptr[j] == ' ') {
        *sub = v + 1;               /* 0 stays "no subscript" */
        i = j + 1;
    }
    label->ptr = m.ptr + i;
    label->len = m.len - i;
    if (label->len > SPAN_LABEL_MAX)
        label->len = SPAN_LABEL_MAX;
    return kind;
}

static void span_record(chrome *c, const char *ph, const span *s, uint64_t ts)
{
    elog_writer *w = c->base.w;
    head(c, ph, s->cap, ts);
    EXPORT_LIT(w, ",\"cat\":\"span\",\"id\":");
    elog__put_dec(w, s->sub);
    EXPORT_LIT(w, ",\"name\":");
    export_json_string(w, (elog_slice){(const uint8_t *)s->label, s->len}, false);
    EXPORT_LIT(w, "}");
}

static elog_status user_msg(chrome *c, const elog_event *ev, elog_slice m)
{
    uint64_t sub;
    elog_slice label;
    int kind = parse_span(m, &sub, &label);
    if (kind == 0)
        return ELOG_OK;
    span *s = NULL;
    for (size_t i = 0; i < c->n_spans; i++)
        if (c->spans[i].sub == sub && c->spans[i].len == label.len &&
            memcmp(c->spans[i].label, label.ptr, label.len) == 0) {
            s = &c->spans[i];
            break;
        }
    if (kind == 1) {
        if (s == NULL) {
            if (c->spans == NULL) {
                c->spans = export_alloc(&c->base, MAX_SPANS * sizeof *c->spans);
                if (c->spans == NULL)
                    return ELOG_E_NOMEM;
            }
            if (c->n_spans == MAX_SPANS)
                return ELOG_OK;     /* budget: not drawn */
            s = &c->spans[c->n_spans++];
            s->sub = sub;
            s->count = 0;
            s->len = (uint8_t)label.len;
            memcpy(s->label, label.ptr, label.len);
        }
        s->count++;
        s->cap = ev->cap;
        span_record(c, "b", s, ev->time);
    } else if (s != NULL && s->count > 0) {
        s->cap = ev->cap;
        span_record(c, "e", s, ev->time);
        if (--s->count == 0)
            *s = c->spans[--c->n_spans];
    }
    return ELOG_OK;
}

/* --------------------------------------------------------- heap profile */

static uint32_t hash_bytes(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

static elog_status census_add(chrome *c, const char *label, size_t len, uint64_t bytes)
{
    if (c->census == NULL) {
        c->census = export_alloc(&c->base, CENSUS_SLOTS * sizeof *c->census);
        c->census_used = export_alloc(&c->base, CENSUS_SLOTS / 2 * sizeof *c->census_used);
        c->census_arena = export_alloc(&c->base, CENSUS_ARENA);
        c->series = export_alloc(&c->base, c->base.opt.top_labels * sizeof *c->series);
        if (!c->census || !c->census_used || !c->census_arena || !c->series)
            return ELOG_E_NOMEM;
    }
    if (len > 0xffff)
        len = 0xffff;
    size_t j = hash_bytes(label, len) & (CENSUS_SLOTS - 1);
    for (;;) {
        census_entry *e = &c->census[j];
        if (e->off == 0)
            break;                  /* empty: a new label */
        if (e->len == len && memcmp(c->census_arena + e->off, label, len) == 0) {
            e->bytes += bytes;
            return ELOG_OK;
        }
        j = (j + 1) & (CENSUS_SLOTS - 1);
    }
    if (c->n_census == CENSUS_SLOTS / 2 || c->census_arena_len + len + 1 > CENSUS_ARENA) {
        c->census_overflow += bytes;    /* over budget: counted as "other" */
        return ELOG_OK;
    }
    census_entry *e = &c->census[j];
    /* offset 1 onwards, so that an entry at 0 with len 0 means empty */
    if (c->census_arena_len == 0)
        c->census_arena_len = 1;
    memcpy(c->census_arena + c->census_arena_len, label, len);
    e->off = (uint32_t)c->census_arena_len;
    e->len = (uint16_t)len;
    e->bytes = bytes;
    e->used = false;
    c->census_arena_len += len;
    c->census_used[c->n_census++] = (uint32_t)j;
    return ELOG_OK;
}

static census_entry *census_find(chrome *c, const char *label, size_t len)
{
    size_t j = hash_bytes(label, len) & (CENSUS_SLOTS - 1);
    for (;;) {
        census_entry *e = &c->census[j];
        if (e->off == 0)
            return NULL;
        if (e->len == len && memcmp(c->census_arena + e->off, label, len) == 0)
            return e;
        j = (j + 1) & (CENSUS_SLOTS - 1);
    }
}

/* One "heap profile" counter event: the series chosen so far, new series
 * for the largest labels while there is room, the rest as "other". */
static void census_end(chrome *c, uint64_t ts)
{
    if (!c->in_census)
        return;
    c->in_census = false;
    if (c->census == NULL)
        return;
    elog_writer *w = c->base.w;
    head(c, "C", ELOG_NO_CAP, c->census_time);
    (void)ts;
    EXPORT_LIT(w, ",\"name\":\"heap profile\",\"args\":{");
    for (size_t i = 0; i < c->n_series; i++) {
        series *s = &c->series[i];
        census_entry *e = census_find(c, s->label, s->len);
        if (i > 0)
            EXPORT_LIT(w, ",");
        export_json_string(w, (elog_slice){(const uint8_t *)s->label, s->len}, false);
        EXPORT_LIT(w, ":");
        elog__put_dec(w, e ? e->bytes : 0);
        if (e)
            e->used = true;
    }
    while (c->n_series < c->base.opt.top_labels) {
        census_entry *best = NULL;
        for (size_t i = 0; i < c->n_census; i++) {
            census_entry *e = &c->census[c->census_used[i]];
            if (!e->used && (best == NULL || e->bytes > best->bytes))
                best = e;
        }
        if (best == NULL)
            break;
        best->used = true;
        series *s = &c->series[c->n_series++];
        s->len = (uint8_t)(best->len < SERIES_LABEL_MAX ? best->len : SERIES_LABEL_MAX);
        memcpy(s->label, c->census_arena + best->off, s->len);
        if (c->n_series > 1)
            EXPORT_LIT(w, ",");
        export_json_string(w, (elog_slice){(const uint8_t *)s->label, s->len}, false);
        EXPORT_LIT(w, ":");
        elog__put_dec(w, best->bytes);
    }
    uint64_t other = c->census_overflow;
    c->census_overflow = 0;
    for (size_t i = 0; i < c->n_census; i++) {
        census_entry *e = &c->census[c->census_used[i]];
        if (!e->used)
            other += e->bytes;
        memset(e, 0, sizeof *e);
    }
    c->n_census = 0;
    c->census_arena_len = 0;
    if (c->n_series > 0)
        EXPORT_LIT(w, ",");
    EXPORT_LIT(w, "\"other\":");
    elog__put_dec(w, other);
    EXPORT_LIT(w, "}}");
}

/* ------------------------------------------------------------ events */

/* The trace's opening and its first record, once: by the first event, or
 * by finish for a log without events. */
static void start(chrome *c)
{
    if (c->started)
        return;
    c->started = true;
    elog_writer *w = c->base.w;
    EXPORT_LIT(w, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    c->base.count++;
    EXPORT_LIT(w, "{\"ph\":\"M\",\"pid\":1,\"name\":\"process_sort_index\",\"args\":{\"sort_index\":1}}");
}

static elog_status ch_event(elog_exporter *x, const elog_event *ev)
{
    chrome *c = (chrome *)x;
    elog_writer *w = x->w;
    start(c);
    if (ev->time > c->last_time)
        c->last_time = ev->time;
    chrome_cap *k = NULL;
    if (ev->cap != ELOG_NO_CAP) {
        k = cap_of(c, ev->cap);
        if (k == NULL)
            return ELOG_E_NOMEM;
    }
    switch (ev->id) {
    case ELOG_EV_RUN_THREAD:
        if (k)
            open_slice(c, ev->cap, k, (slice){SL_RUN, ev->as.run_thread.thread}, ev->time);
        break;
    case ELOG_EV_STOP_THREAD:
        if (k && k->n_open > 0) {
            char reason[64];
            size_t n = export_stop_reason(reason, ev->as.stop_thread.status,
                                          ev->as.stop_thread.info);
            for (unsigned i = 0; i < k->n_open; i++)
                if (k->open[i].kind == SL_RUN && k->open[i].thread == ev->as.stop_thread.thread) {
                    close_slice(c, ev->cap, k, SL_RUN, ev->time, reason, n);
                    break;
                }
        }
        break;
    case ELOG_EV_GC_START:
        if (k)
            open_slice(c, ev->cap, k, (slice){SL_GC, 0}, ev->time);
        break;
    case ELOG_EV_GC_END:
        if (k)
            close_slice(c, ev->cap, k, SL_GC, ev->time, NULL, 0);
        break;
    case ELOG_EV_THREAD_LABEL:
        if (!export_names_set(x, &c->threads, ev->as.thread_label.thread, ev->as.thread_label.label))
            return ELOG_E_NOMEM;
        break;
    case ELOG_EV_USER_MSG:
        return user_msg(c, ev, ev->as.user_msg.message);
    case ELOG_EV_USER_MARKER:
        head(c, "i", ev->cap, ev->time);
        if (ev->cap == ELOG_NO_CAP)
            EXPORT_LIT(w, ",\"s\":\"p\",\"cat\":\"marker\",\"name\":");
        else
            EXPORT_LIT(w, ",\"s\":\"t\",\"cat\":\"marker\",\"name\":");
        export_json_string(w, ev->as.user_marker.name, false);
        EXPORT_LIT(w, "}");
        break;
    case ELOG_EV_HEAP_SIZE:
        counter(c, "heap size", ev->time, ev->as.heap_size.size_bytes);
        break;
    case ELOG_EV_HEAP_LIVE:
        counter(c, "live bytes", ev->time, ev->as.heap_live.live_bytes);
        break;
    case ELOG_EV_HEAP_ALLOCATED: {
        uint16_t slot = ev->cap == ELOG_NO_CAP ? 0 : ev->cap;
        chrome_cap *a = k ? k : cap_of(c, slot);
        if (a == NULL)
            return ELOG_E_NOMEM;
        a->alloc = ev->as.heap_allocated.alloc_bytes;
        a->has_alloc = true;
        uint64_t sum = 0;
        for (size_t i = 0; i < c->n_caps; i++)
            sum += c->caps[i].alloc;
        counter(c, "allocated bytes", ev->time, sum);
        break;
    }
    case ELOG_EV_PROGRAM_ARGS: {
        if (c->process_named)
            break;
        c->process_named = true;
        /* the arguments joined by spaces */
        elog_slice vec = ev->as.program_args.args, item;
        size_t pos = 0, n = 0;
        while (elog_strvec_next(vec, &pos, &item) && n + item.len + 1 < sizeof c->label) {
            if (n > 0)
                c->label[n++] = ' ';
            memcpy(c->label + n, item.ptr, item.len);
            n += item.len;
        }
        metadata(c, "process_name", ELOG_NO_CAP, (elog_slice){(const uint8_t *)c->label, n},
                 false, 0);
        break;
    }
    case ELOG_EV_HEAP_PROF_COST_CENTRE:
        if (!export_names_set(x, &c->ccs, ev->as.heap_prof_cost_centre.cc_id,
                              ev->as.heap_prof_cost_centre.label))
            return ELOG_E_NOMEM;
        break;
    case ELOG_EV_HEAP_PROF_SAMPLE_BEGIN:
    case ELOG_EV_HEAP_BIO_PROF_SAMPLE_BEGIN:
        census_end(c, ev->time);
        c->in_census = true;
        c->census_time = ev->time;
        break;
    case ELOG_EV_HEAP_PROF_SAMPLE_STRING: {
        elog_slice l = ev->as.heap_prof_sample_string.label;
        if (!c->in_census) {
            c->in_census = true;
            c->census_time = ev->time;
        }
        return census_add(c, (const char *)l.ptr, l.len, ev->as.heap_prof_sample_string.residency);
    }
    case ELOG_EV_HEAP_PROF_SAMPLE_COST_CENTRE: {
        size_t n = export_stack_label(&c->ccs, ev->as.heap_prof_sample_cost_centre.stack, c->label,
                                      sizeof c->label);
        if (!c->in_census) {
            c->in_census = true;
            c->census_time = ev->time;
        }
        return census_add(c, c->label, n, ev->as.heap_prof_sample_cost_centre.residency);
    }
    case ELOG_EV_HEAP_PROF_SAMPLE_END:
        census_end(c, ev->time);
        break;
    default:
        break;
    }
    return ELOG_OK;
}

static elog_status ch_finish(elog_exporter *x)
{
    chrome *c = (chrome *)x;
    elog_writer *w = x->w;
    start(c);
    census_end(c, c->last_time);
    for (size_t i = 0; i < c->n_caps; i++) {
        chrome_cap *k = &c->caps[i];
        while (k->n_open > 0) {
            k->n_open--;
            slice_end(c, (uint16_t)i, c->last_time,
                      k->open[k->n_open].kind == SL_RUN ? "open at end of log" : NULL, 18);
        }
    }
    for (size_t i = 0; i < c->n_spans; i++)
        while (c->spans[i].count > 0) {
            c->spans[i].count--;
            span_record(c, "e", &c->spans[i], c->last_time);
        }
    c->n_spans = 0;
    if (!c->process_named) {
        c->process_named = true;
        metadata(c, "process_name", ELOG_NO_CAP, (elog_slice){(const uint8_t *)"GHC program", 11},
                 false, 0);
    }
    EXPORT_LIT(w, "\n]}\n");
    return ELOG_OK;
}

static void ch_release(elog_exporter *x)
{
    chrome *c = (chrome *)x;
    export_free(x, c->caps, c->n_caps * sizeof *c->caps);
    export_names_free(x, &c->threads);
    export_names_free(x, &c->ccs);
    export_free(x, c->spans, MAX_SPANS * sizeof *c->spans);
    export_free(x, c->census, CENSUS_SLOTS * sizeof *c->census);
    export_free(x, c->census_used, CENSUS_SLOTS / 2 * sizeof *c->census_used);
    export_free(x, c->census_arena, CENSUS_ARENA);
    export_free(x, c->series, x->opt.top_labels * sizeof *c->series);
    export_free(x, c, sizeof *c);
}

static const export_ops ch_ops = {NULL, ch_event, ch_finish, ch_release};

elog_exporter *export_chrome_new(const elog_allocator *a)
{
    return export_state_new(a, sizeof(chrome), &ch_ops);
}

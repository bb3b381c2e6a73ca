/*
 * The analysis layer for the Python binding (appended to elogpy.c by
 * build_ffi.py when the C library has include/eventlog/analysis.h): an
 * elog_analysis fed entirely in C — from bytes pushed by Python through its
 * own decoder, or attached (a tee, elogpy_tee_enable) to the decoder of an
 * open() reader or a connect() connection, on the same callback path as
 * their records (stats(address) and stats_live() are such a connection) —
 * so no Python runs per event. Snapshots cross to Python as the JSON object of
 * `eventlog stats --json` (libeventlog/_stats.py turns it into typed objects).
 */
#include <eventlog/analysis.h>
#include <stdlib.h>

typedef struct elogpy_an {
    elog_analysis *an;
    elog_settings st;
    elog_decoder d;
    int finished;
    elog_end end;
    unsigned headers;   /* attached: headers seen (one per stream / session) */
} elogpy_an;

/* `cfg` NULL: the defaults (elog_analysis_config_init). */
static elogpy_an *elogpy_an_new(const elog_analysis_config *cfg)
{
    elogpy_an *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->an = elog_analysis_new(cfg);
    if (p->an == NULL) {
        free(p);
        return NULL;
    }
    elog_settings_init(&p->st);
    elog_analysis_attach(&p->st);
    /* As the CLI: decode after the end marker, lenient blocks. */
    p->st.options = ELOG_OPT_CONTINUE_AFTER_END | ELOG_OPT_LENIENT_BLOCKS;
    elog_decoder_init(&p->d, &p->st, p->an);
    return p;
}

static void elogpy_an_free(elogpy_an *p)
{
    if (p == NULL)
        return;
    elog_decoder_free(&p->d);
    elog_analysis_free(p->an);
    free(p);
}

/* Feeds bytes; returns the decoder's status (0 = ELOG_OK). */
static int elogpy_an_feed(elogpy_an *p, const uint8_t *buf, size_t len)
{
    if (p->finished)
        return ELOG_E_USAGE;
    elog_result r = elog_execute(&p->d, buf, len);
    return (int)r.status;
}

static void elogpy_an_finish(elogpy_an *p)
{
    if (p->finished)
        return;
    p->end = elog_finish(&p->d);
    p->finished = 1;
    elog_analysis_on_end(p->an, &p->end,
                         p->end.kind == ELOG_END_ERROR ? elog_get_error_reason(&p->d) : NULL);
}

/* Its own decoder, for an elog_reader to feed (stats(path)). */
static elog_decoder *elogpy_an_decoder(elogpy_an *p)
{
    return &p->d;
}

/* The reader finished its decoder with `end` (elog_reader_run's). */
static void elogpy_an_finished(elogpy_an *p, const elog_end *end)
{
    if (p->finished)
        return;
    p->end = *end;
    p->finished = 1;
    elog_analysis_on_end(p->an, &p->end,
                         p->end.kind == ELOG_END_ERROR ? elog_get_error_reason(&p->d) : NULL);
}

static int elogpy_an_grow(elog_writer *w)
{
    size_t cap = w->cap * 2;
    char *b = realloc(w->buf, cap);
    if (b == NULL)
        return -1;
    w->buf = b;
    w->cap = cap;
    return 0;
}

/* The snapshot as JSON, NUL-terminated, malloc'd (free with elogpy_an_free_json);
 * NULL if out of memory. */
static char *elogpy_an_json(elogpy_an *p, size_t *len)
{
    elog_stats *s = elog_analysis_snapshot(p->an);
    if (s == NULL)
        return NULL;
    elog_writer w;
    char *buf = malloc(65536);
    if (buf == NULL) {
        elog_stats_free(s);
        return NULL;
    }
    /* The flush callback grows the buffer instead of emptying it. */
    elog_writer_init(&w, buf, 65536, elogpy_an_grow, NULL);
    elog_stats_write_json(&w, s);
    elog_writer_put(&w, "", 1);
    elog_stats_free(s);
    if (w.failed) {
        free(w.buf);
        return NULL;
    }
    *len = w.len - 1;
    return w.buf;
}

static void elogpy_an_free_json(char *p)
{
    free(p);
}

/* -- attached to a reader's or a connection's decoder (elogpy_state) ----- */

/* A new header starts a new stream: the figures of a previous one (another
 * socket session, perhaps another program) are forgotten, never mixed in. */
static int elogpy_an_tee_header(void *ctx, const elog_header *h)
{
    elogpy_an *p = ctx;
    if (p->headers++ > 0)
        elog_analysis_reset(p->an);
    return elog_analysis_on_header(p->an, h);
}

static int elogpy_an_tee_event(void *ctx, const elog_event *ev)
{
    elogpy_an *p = ctx;
    /* out of memory: the analysis stays consistent, its snapshot says oom */
    return elog_analysis_on_event(p->an, ev);
}

/* Feeds the analysis of `p` from every event `s` decodes (and its header).
 * Before the header is decoded. The state keeps a pointer to `p`: the
 * caller keeps `p` alive as long as `s`. */
static void elogpy_an_attach(elogpy_an *p, elogpy_state *s)
{
    /* Every type is decoded for it (wants NULL), not only those
     * elog_analysis_wants() names: the time span (start_ns, end_ns, idle
     * time) counts every event's timestamp. */
    elogpy_tee t = {elogpy_an_tee_header, elogpy_an_tee_event, NULL, p};
    elogpy_tee_enable(s, &t);
}

/* An attached stream ended (`d`: its decoder, for an error's reason, or NULL). */
static void elogpy_an_end(elogpy_an *p, const elog_end *end, const elog_decoder *d)
{
    const char *reason = end->kind == ELOG_END_ERROR && d != NULL ? elog_get_error_reason(d) : NULL;
    elog_analysis_on_end(p->an, end, reason);
}

static unsigned elogpy_an_headers(const elogpy_an *p)
{
    return p->headers;
}

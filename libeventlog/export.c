/* The public entry points of the exporters (export.h): options, names,
 * and dispatch to the format's file. */
#include "allocator_internal.h"
#include "export_internal.h"

void elog_export_options_init(elog_export_options *o)
{
    memset(o, 0, sizeof *o);
    o->format = ELOG_EXPORT_NDJSON;
    o->table = ELOG_EXPORT_TABLE_HEAP_PROFILE;
    o->top_labels = 10;
}

static const char *const format_names[] = {"ndjson", "chrome", "csv"};
static const char *const table_names[] = {"heap-profile", "gc-pauses", "thread-runs"};

bool elog_export_format_parse(const char *name, elog_export_format *out)
{
    for (unsigned i = 0; name && i < sizeof format_names / sizeof *format_names; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *out = (elog_export_format)i;
            return true;
        }
    return false;
}

bool elog_export_table_parse(const char *name, elog_export_table *out)
{
    for (unsigned i = 0; name && i < sizeof table_names / sizeof *table_names; i++)
        if (strcmp(name, table_names[i]) == 0) {
            *out = (elog_export_table)i;
            return true;
        }
    return false;
}

const char *elog_export_format_name(elog_export_format f)
{
    return (unsigned)f < sizeof format_names / sizeof *format_names ? format_names[f] : "?";
}

const char *elog_export_table_name(elog_export_table t)
{
    return (unsigned)t < sizeof table_names / sizeof *table_names ? table_names[t] : "?";
}

elog_status elog_exporter_new(elog_exporter **out, const elog_export_options *o, elog_writer *w)
{
    if (out == NULL)
        return ELOG_E_USAGE;
    *out = NULL;
    elog_export_options def;
    if (o == NULL) {
        elog_export_options_init(&def);
        o = &def;
    }
    if (w == NULL || (unsigned)o->table > ELOG_EXPORT_TABLE_THREAD_RUNS)
        return ELOG_E_USAGE;
    const elog_allocator *a = elog__allocator_or_libc(o->allocator);
    elog_exporter *x;
    switch (o->format) {
    case ELOG_EXPORT_NDJSON: x = export_ndjson_new(a); break;
    case ELOG_EXPORT_CHROME: x = export_chrome_new(a); break;
    case ELOG_EXPORT_CSV: x = export_csv_new(a); break;
    default: return ELOG_E_USAGE;
    }
    if (x == NULL)
        return ELOG_E_NOMEM;
    x->opt = *o;
    if (x->opt.top_labels == 0)
        x->opt.top_labels = 10;
    x->alloc = a;
    x->w = w;
    *out = x;
    return ELOG_OK;
}

elog_status elog_exporter_header(elog_exporter *x, const elog_header *h)
{
    if (x == NULL || h == NULL || x->finished)
        return ELOG_E_USAGE;
    return x->ops->header ? x->ops->header(x, h) : ELOG_OK;
}

elog_status elog_exporter_event(elog_exporter *x, const elog_event *ev)
{
    if (x == NULL || ev == NULL || x->finished)
        return ELOG_E_USAGE;
    if (ev->id == ELOG_EV_BLOCK_MARKER)
        return ELOG_OK;
    return x->ops->event(x, ev);
}

elog_status elog_exporter_finish(elog_exporter *x)
{
    if (x == NULL || x->finished)
        return ELOG_E_USAGE;
    x->finished = true;
    elog_status st = x->ops->finish(x);
    if (x->w->flush)
        elog_writer_flush(x->w);
    return st;
}

void elog_exporter_free(elog_exporter *x)
{
    if (x != NULL)
        x->ops->release(x);
}

uint64_t elog_exporter_count(const elog_exporter *x)
{
    return x ? x->count : 0;
}

static int settings_on_header(elog_decoder *d, const elog_header *h)
{
    return elog_exporter_header(d->data, h) == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int settings_on_event(elog_decoder *d, const elog_event *ev)
{
    return elog_exporter_event(d->data, ev) == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

void elog_exporter_settings(elog_settings *s)
{
    s->on_header = settings_on_header;
    s->on_event = settings_on_event;
}

void *export_alloc(const elog_exporter *x, size_t n)
{
    void *p = x->alloc->alloc(x->alloc->ctx, n);
    if (p)
        memset(p, 0, n);
    return p;
}

elog_exporter *export_state_new(const elog_allocator *a, size_t size, const export_ops *ops)
{
    elog_exporter *x = a->alloc(a->ctx, size);
    if (x == NULL)
        return NULL;
    memset(x, 0, size);
    x->ops = ops;
    x->alloc = a;
    return x;
}

void export_free(const elog_exporter *x, void *p, size_t n)
{
    if (p)
        x->alloc->free(x->alloc->ctx, p, n);
}

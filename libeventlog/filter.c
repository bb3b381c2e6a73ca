/*
 * Event selection copied into a writer (include/eventlog/filter.h).
 */
#include <string.h>

#include "eventlog/filter.h"

#define BLOCK_MARKER_ID 18u

void elog_filter_init(elog_filter *f)
{
    memset(f, 0, sizeof *f);
    f->to = UINT64_MAX;
    /* Which layouts name a thread: a field called `thread` (u32). */
    size_t n;
    const elog_layout_info *cat = elog_catalogue(&n);
    for (size_t i = 0; i < n && i < ELOG_CATALOGUE_LAYOUTS; i++)
        for (unsigned k = 0; k < cat[i].n_fields; k++)
            if (strcmp(cat[i].fields[k].name, "thread") == 0 &&
                cat[i].fields[k].kind == ELOG_FIELD_U32 && !cat[i].fields[k].optional)
                f->thread_off_[i] = (uint16_t)(cat[i].fields[k].offset + 1u);
}

bool elog_filter_selects_all(const elog_filter *f)
{
    return (f->n_types == 0) && f->n_caps == 0 && f->n_threads == 0 && f->from == 0 &&
           f->to == UINT64_MAX;
}

static bool has16(const uint16_t *v, size_t n, uint16_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

bool elog_filter_match(const elog_filter *f, const elog_event *ev)
{
    if (ev->time < f->from || ev->time > f->to)
        return false;
    if (f->n_types && has16(f->types, f->n_types, ev->id) == f->exclude_types)
        return false;
    if (f->n_caps && !has16(f->caps, f->n_caps, ev->cap))
        return false;
    if (f->n_threads) {
        if (ev->layout == NULL || f->thread_off_[ev->layout->index] == 0)
            return false;
        uint32_t t;
        memcpy(&t, (const uint8_t *)&ev->as + f->thread_off_[ev->layout->index] - 1, sizeof t);
        size_t i = 0;
        while (i < f->n_threads && f->threads[i] != t)
            i++;
        if (i == f->n_threads)
            return false;
    }
    return true;
}

bool elog_filter_wants_type(const elog_filter *f, const elog_event_type *t)
{
    if (t->id == BLOCK_MARKER_ID)
        return true;
    if (f->n_types && has16(f->types, f->n_types, t->id) == f->exclude_types)
        return false;
    if (f->n_threads && (t->layout == NULL || f->thread_off_[t->layout->index] == 0))
        return false;
    return true;
}

elog_status elog_filter_begin(elog_filter *f, elog_log_writer *w, bool verbatim,
                              const elog_header *h)
{
    f->w_ = w;
    f->verbatim_ = verbatim;
    f->in_block_ = false;
    return elog_log_writer_header(w, h);
}

elog_status elog_filter_event(elog_filter *f, const elog_event *ev)
{
    if (ev->id == BLOCK_MARKER_ID) {
        if (f->verbatim_)
            return elog_log_writer_copy(f->w_, ev);
        elog_status s = ELOG_OK;
        if (f->in_block_)
            s = elog_log_writer_end_block(f->w_, f->block_cap_);
        f->in_block_ = true;
        f->block_cap_ = ev->cap;
        return s;
    }
    f->seen_++;
    if (!f->verbatim_ && !elog_filter_match(f, ev))
        return ELOG_OK;
    f->kept_++;
    return elog_log_writer_copy(f->w_, ev);
}

uint64_t elog_filter_seen(const elog_filter *f)
{
    return f->seen_;
}

uint64_t elog_filter_kept(const elog_filter *f)
{
    return f->kept_;
}

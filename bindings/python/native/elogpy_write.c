/*
 * Glue for libeventlog.Writer and libeventlog.filter() (_writer.py): typed
 * fields from Python values into an elog_fields for elog_log_writer_event(),
 * and the filter pipeline (elog_reader -> decoder -> elog_filter ->
 * elog_log_writer), the same library code `eventlog filter` runs.
 */
#include <eventlog/filter.h>
#include <eventlog/reader.h>
#include <eventlog/writer.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

/* Writes an event of layout `lay` from per-field values (in the layout's
 * field order): ints[i] for integer fields, slices[i] for strings and bytes
 * and stacks (big-endian u32s), present[i] for optional ones. */
static elog_status elogpy_write_fields(elog_log_writer *w, uint16_t cap, uint16_t id,
                                       uint64_t time, const elog_layout_info *lay,
                                       const uint64_t *ints, const elog_slice *slices,
                                       const uint8_t *present)
{
    elog_fields f;
    memset(&f, 0, sizeof f);
    uint8_t *base = (uint8_t *)&f;
    for (unsigned i = 0; i < lay->n_fields; i++) {
        const elog_field_info *fi = &lay->fields[i];
        if (fi->derived)
            continue;
        if (fi->optional) {
            *(bool *)(base + fi->has_offset) = present[i] != 0;
            if (!present[i])
                continue;
        }
        void *at = base + fi->offset;
        switch (fi->kind) {
        case ELOG_FIELD_U8: *(uint8_t *)at = (uint8_t)ints[i]; break;
        case ELOG_FIELD_U16: *(uint16_t *)at = (uint16_t)ints[i]; break;
        case ELOG_FIELD_U32: *(uint32_t *)at = (uint32_t)ints[i]; break;
        case ELOG_FIELD_U64: *(uint64_t *)at = ints[i]; break;
        case ELOG_FIELD_STACK: {
            elog_u32_array a = {slices[i].ptr, (uint32_t)(slices[i].len / 4)};
            memcpy(at, &a, sizeof a);
            break;
        }
        default:
            memcpy(at, &slices[i], sizeof(elog_slice));
            break;
        }
    }
    return elog_log_writer_event(w, cap, id, time, &f);
}

typedef struct elogpy_filter_run {
    elog_filter filter;
    elog_log_writer *w;
    elog_status wst;
} elogpy_filter_run;

static int elogpy_filter_header(elog_decoder *d, const elog_header *h)
{
    elogpy_filter_run *r = d->data;
    r->wst = elog_filter_begin(&r->filter, r->w, elog_filter_selects_all(&r->filter), h);
    return r->wst == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int elogpy_filter_event(elog_decoder *d, const elog_event *ev)
{
    elogpy_filter_run *r = d->data;
    r->wst = elog_filter_event(&r->filter, ev);
    return r->wst == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static bool elogpy_filter_select(elog_decoder *d, const elog_event_type *t)
{
    elogpy_filter_run *r = d->data;
    return elog_filter_wants_type(&r->filter, t);
}

/* `eventlog filter` as a function: `src` (plain or gzip) to `dst`, written
 * under dst + ".tmp" and renamed when complete. Returns 0 (with *end), or -1
 * with a sentence in err (corrupt input with its offset, I/O errors). */
static int elogpy_filter(const char *src, const char *dst, const uint16_t *types, size_t n_types,
                         int exclude, const uint16_t *caps, size_t n_caps, const uint32_t *threads,
                         size_t n_threads, uint64_t from, uint64_t to, elog_end *end, char *err,
                         size_t errcap)
{
    elogpy_filter_run r;
    elog_filter_init(&r.filter);
    r.filter.types = types;
    r.filter.n_types = n_types;
    r.filter.exclude_types = exclude != 0;
    r.filter.caps = caps;
    r.filter.n_caps = n_caps;
    r.filter.threads = threads;
    r.filter.n_threads = n_threads;
    r.filter.from = from;
    r.filter.to = to;
    r.wst = ELOG_OK;
    size_t tl = strlen(dst) + 8;
    char *tmp = malloc(tl);
    if (tmp == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    snprintf(tmp, tl, "%s.tmp", dst);
    bool verbatim = elog_filter_selects_all(&r.filter);
    elog_log_writer_options wo = {.flags = verbatim ? ELOG_LOG_WRITER_VERBATIM : 0};
    if (elog_log_writer_open_path(&r.w, &wo, tmp) != ELOG_OK) {
        snprintf(err, errcap, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    elog_settings st;
    elog_settings_init(&st);
    st.on_header = elogpy_filter_header;
    st.on_event = elogpy_filter_event;
    if (!verbatim)
        st.select = elogpy_filter_select;
    st.options = ELOG_OPT_LENIENT_BLOCKS;
    elog_decoder d;
    elog_decoder_init(&d, &st, &r);
    elog_reader *rd = NULL;
    int rc = -1;
    elog_reader_status rs = elog_reader_open(&rd, src, NULL);
    if (rs != ELOG_READER_OK) {
        snprintf(err, errcap, "%s", rd ? elog_reader_error(rd) : "out of memory");
    } else {
        rs = elog_reader_run(rd, &d, end);
        if (r.wst != ELOG_OK)
            snprintf(err, errcap, "%s: %s", dst, elog_log_writer_error_reason(r.w));
        else if (rs != ELOG_READER_OK)
            snprintf(err, errcap, "%s", elog_reader_error(rd));
        else if (end->kind == ELOG_END_ERROR || end->kind == ELOG_END_EMPTY ||
                 end->kind == ELOG_END_TRUNCATED_IN_HEADER)
            snprintf(err, errcap, "%s: %s at byte offset %llu%s%s", src,
                     elog_end_kind_name(end->kind), (unsigned long long)end->offset,
                     end->kind == ELOG_END_ERROR ? ": " : "",
                     end->kind == ELOG_END_ERROR ? elog_get_error_reason(&d) : "");
        else if (elog_log_writer_finish(r.w, NULL) != ELOG_OK)
            snprintf(err, errcap, "%s: %s", dst, elog_log_writer_error_reason(r.w));
        else if (rename(tmp, dst) != 0)
            snprintf(err, errcap, "%s: cannot rename: %s", dst, strerror(errno));
        else
            rc = 0;
    }
    elog_reader_close(rd);
    elog_decoder_free(&d);
    elog_log_writer_free(r.w);
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

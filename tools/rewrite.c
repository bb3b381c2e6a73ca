/*
 * `filter` and `repair` share this: decode SOURCE through the library's
 * elog_filter into an elog_log_writer whose sink is the safe output file.
 * The output is committed (renamed to OUT) only if the input was usable;
 * a corrupt input or an output error removes it.
 */
#include "rewrite.h"
#include "outfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct rewriter {
    const cli_rewrite_job *job;
    bool pass_through;      /* bytes copied as they come (elog_log_writer_bytes) */
    cli_outfile *out;
    elog_log_writer *w;
    elog_status wst;        /* the writer's first error */
    bool have_end;
    elog_end end;
} rewriter;

static int on_header(elog_decoder *d, const elog_header *h)
{
    rewriter *r = cli_source_ctx(d);
    r->wst = elog_filter_begin(r->job->filter, r->w, elog_filter_selects_all(r->job->filter), h);
    return r->wst == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    rewriter *r = cli_source_ctx(d);
    r->wst = elog_filter_event(r->job->filter, ev);
    return r->wst == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static bool on_select(elog_decoder *d, const elog_event_type *t)
{
    rewriter *r = cli_source_ctx(d);
    if (r->pass_through)
        return t->id == 18; /* the others are only framed */
    return elog_filter_wants_type(r->job->filter, t);
}

/* Pass-through: the stream's bytes go out as they come; the decoder only
 * frames them and reports the block markers (for the last block's size). */
static int on_bytes(cli_source *src, const uint8_t *p, size_t n)
{
    rewriter *r = cli_source_ctx_of(src);
    r->wst = elog_log_writer_bytes(r->w, p, n);
    return r->wst == ELOG_OK ? 0 : -1;
}

static int on_marker(elog_decoder *d, const elog_event *ev)
{
    rewriter *r = cli_source_ctx(d);
    r->wst = elog_log_writer_copy(r->w, ev);
    return r->wst == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static void on_end(cli_source *src, const cli_stream_end *e)
{
    rewriter *r = cli_source_ctx_of(src);
    r->have_end = true;
    r->end = *e->end;
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

int cli_rewrite(const cli_rewrite_job *job)
{
    rewriter r;
    memset(&r, 0, sizeof r);
    r.job = job;
    cli_inputs inputs;
    cli_inputs_init(&inputs);
    cli_inputs_add(&inputs, job->source);
    r.out = cli_outfile_open(job->cmd, job->output, job->force, &inputs, CLI_OUTFILE_GZIP);
    if (r.out == NULL)
        return CLI_EXIT_BAD_INPUT;
    bool verbatim = elog_filter_selects_all(job->filter);
    elog_log_writer_options wo = {.flags = verbatim ? ELOG_LOG_WRITER_VERBATIM : 0};
    if (cli_outfile_seekable(r.out)) {
        wo.patch = cli_outfile_patch; /* stream blocks, correct the last in place */
        wo.truncate = cli_outfile_truncate;
        r.pass_through = verbatim;    /* and copy a whole log as bytes */
    }
    if (elog_log_writer_open(&r.w, &wo, cli_outfile_write, r.out) != ELOG_OK) {
        cli_error("%s: out of memory", job->cmd);
        cli_outfile_abort(r.out);
        return CLI_EXIT_BAD_INPUT;
    }

    elog_settings settings;
    elog_settings_init(&settings);
    if (r.pass_through) {
        settings.on_event = on_marker;
        settings.select = on_select;
    } else {
        settings.on_header = on_header;
        settings.on_event = on_event;
        if (!verbatim)
            settings.select = on_select; /* step over types that cannot be selected */
    }
    /* Block sizes as ghc-events reads them; bytes after the end marker are
     * not events of this log (reported below). */
    settings.options = ELOG_OPT_LENIENT_BLOCKS;
    cli_source_config cfg = {
        .settings = &settings,
        .hooks = { .on_end = on_end, .on_bytes = r.pass_through ? on_bytes : NULL },
        .ctx = &r,
        .interruptible = false,
    };
    int rc = CLI_EXIT_BAD_INPUT;
    cli_source *src = cli_source_open(job->source, &cfg);
    if (src == NULL)
        goto fail;
    if (cli_source_run(src) != 0 || !r.have_end)
        goto fail;
    elog_decoder *d = cli_source_decoder(src);
    const elog_end *end = &r.end;
    if (r.wst != ELOG_OK) {
        cli_error("%s: %s: %s", job->cmd, cli_outfile_name(r.out), elog_log_writer_error_reason(r.w));
        goto fail;
    }
    if (!cli_end_usable(end)) {
        rc = cli_report_end(cli_source_name(src), d, end, elog_get_header(d), false);
        if (rc == CLI_EXIT_OK)
            rc = CLI_EXIT_BAD_INPUT;
        goto fail;
    }
    elog_log_writer_fix fix;
    elog_status fst = r.pass_through ? elog_log_writer_finish_bytes(r.w, end->offset, &fix)
                                     : elog_log_writer_finish(r.w, &fix);
    if (fst != ELOG_OK) {
        cli_error("%s: %s: %s", job->cmd, cli_outfile_name(r.out), elog_log_writer_error_reason(r.w));
        goto fail;
    }
    uint64_t written = elog_log_writer_offset(r.w);
    const char *out_name = cli_outfile_name(r.out);
    char out_copy[4096];
    snprintf(out_copy, sizeof out_copy, "%s", out_name);
    if (cli_outfile_commit(r.out) != 0) {
        r.out = NULL;
        goto fail;
    }
    r.out = NULL;

    const char *name = cli_source_name(src);
    rc = CLI_EXIT_OK;
    if (job->repair) {
        switch (end->kind) {
        case ELOG_END_CLEAN:
            cli_note("repair: %s is complete (end marker at offset %llu); %s is a copy", name,
                     (unsigned long long)end->offset, out_copy);
            break;
        case ELOG_END_TRUNCATED_BETWEEN_EVENTS:
            cli_note("repair: %s ends between events at offset %llu; no partial event", name,
                     (unsigned long long)end->offset);
            break;
        case ELOG_END_TRUNCATED_IN_EVENT: {
            uint64_t have = end->total_bytes - end->offset;
            if (end->id_known)
                cli_note("repair: dropped a partial event of type %u at offset %llu: %llu byte%s "
                         "present, %u missing", end->event_id, (unsigned long long)end->offset,
                         (unsigned long long)have, plural(have), end->bytes_missing);
            else
                cli_note("repair: dropped a partial event at offset %llu: %llu byte%s present "
                         "(its id incomplete)", (unsigned long long)end->offset,
                         (unsigned long long)have, plural(have));
            break;
        }
        default:
            break;
        }
        if (fix.fixed)
            cli_note("repair: corrected the size of the last block (marker at offset %llu) from "
                     "%u to %u bytes", (unsigned long long)fix.marker_offset, fix.declared,
                     fix.actual);
        if (end->kind != ELOG_END_CLEAN)
            cli_note("repair: appended the end-of-data marker at offset %llu; %s: %llu bytes, "
                     "%llu events", (unsigned long long)(written - 2), out_copy,
                     (unsigned long long)written,
                     (unsigned long long)(r.pass_through ? end->events : elog_filter_kept(job->filter)));
    } else if (end->kind != ELOG_END_CLEAN) {
        rc = cli_report_end(name, d, end, elog_get_header(d), job->strict);
    }
    if (end->kind == ELOG_END_CLEAN && end->trailing_bytes > 0)
        cli_warning("%s: %s: %llu byte%s after the end-of-data marker not copied", job->cmd, name,
                    (unsigned long long)end->trailing_bytes, plural(end->trailing_bytes));
    elog_log_writer_free(r.w);
    cli_source_close(src);
    return rc;

fail:
    cli_outfile_abort(r.out);
    elog_log_writer_free(r.w);
    if (src != NULL)
        cli_source_close(src);
    return rc;
}

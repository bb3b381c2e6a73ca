/*
 * `eventlog show --stream SOURCE`: the `ghc-events show` line format, but in
 * file order and incrementally, in constant memory. Output is flushed after
 * every chunk of input, so following a live eventlog (a FIFO, a growing file
 * with --follow, a socket) shows events as soon as they arrive.
 *
 * Sockets with --reconnect: every session is a new eventlog with its own
 * header. The header listing is printed once, for the first session; the
 * events of later sessions follow on stdout, and each new session is
 * announced on stderr ("# session N: reconnected to ADDR", with the gap in
 * eventlog time), so stdout stays one `show` listing.
 *
 * --window MS: the events go through a reordering window (elog_window,
 * eventlog/order.h) that prints them in time order across capabilities once
 * the stream's eventlog time is MS past them; events that arrive later than
 * that are printed at once and counted (a warning on stderr at the end of
 * each stream). The window is flushed at the end of every stream.
 *
 * The printer is shared with `control --read`.
 */
#include "cli.h"
#include "eventlog/order.h"

#include <stdlib.h>

static int window_emit(void *ctx, const elog_event *ev, bool late)
{
    cli_stream_printer *p = ctx;
    (void)late; /* counted by the window, reported at the end */
    elog_show_event(&p->out->w, ev);
    return cli_output_failed(p->out) ? ELOG_CB_ABORT : ELOG_CB_CONTINUE;
}

static int on_header(elog_decoder *d, const elog_header *h)
{
    cli_stream_printer *p = cli_source_ctx(d);
    if (!p->header_done) {
        elog_show_header(&p->out->w, h);
        p->header_done = true;
    }
    if (p->windowed) {
        if (p->window == NULL) {
            elog_window_options wo = { .window_ns = p->window_ns, .max_bytes = 0 };
            p->window = elog_window_new(&wo, h, window_emit, p);
            if (p->window == NULL) {
                cli_error("%s: out of memory", p->name);
                return ELOG_CB_ABORT;
            }
        } else {
            elog_window_set_header(p->window, h); /* flushed at the last stream's end */
        }
    }
    return cli_output_failed(p->out) ? ELOG_CB_ABORT : ELOG_CB_CONTINUE;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    cli_stream_printer *p = cli_source_ctx(d);
    if (p->window != NULL)
        (void)elog_window_push(p->window, ev); /* never loses it: see order.h */
    else
        elog_show_event(&p->out->w, ev);
    return cli_output_failed(p->out) ? ELOG_CB_ABORT : ELOG_CB_CONTINUE;
}

static void on_flush(cli_source *src)
{
    cli_stream_printer *p = cli_source_ctx_of(src);
    (void)cli_output_flush(p->out); /* a failure is noticed by the callbacks */
}

static void on_end(cli_source *src, const cli_stream_end *e)
{
    cli_stream_printer *p = cli_source_ctx_of(src);
    p->last_usable = cli_end_usable(e->end);
    if (p->window != NULL) {
        (void)elog_window_flush(p->window);
        elog_window_stats before;
        elog_window_get_stats(p->window, &before);
        uint64_t late_reported = p->late_reported;
        if (before.late > late_reported) {
            cli_warning("%s: %llu event%s arrived later than the %llu ms window allowed and "
                        "%s printed out of time order (the latest %.3f ms behind; a larger "
                        "--window holds them)",
                        e->label, (unsigned long long)(before.late - late_reported),
                        before.late - late_reported == 1 ? "" : "s",
                        (unsigned long long)(p->window_ns / 1000000u),
                        before.late - late_reported == 1 ? "was" : "were",
                        (double)before.max_late_ns / 1e6);
            p->late_reported = before.late;
        }
    }
    if (cli_output_failed(p->out))
        return;
    /* The events before the message about their end. */
    (void)cli_output_flush(p->out);
    if (e->stopped && p->quiet_stopped && p->last_usable)
        return;
    elog_decoder *d = cli_source_decoder(src);
    int rc = cli_report_end(e->label, d, e->end, elog_get_header(d), p->strict);
    p->rc = cli_worse(p->rc, rc);
}

void cli_stream_printer_setup(cli_stream_printer *p, cli_output *out, bool strict,
                              elog_settings *settings, cli_source_hooks *hooks)
{
    p->out = out;
    p->header_done = false;
    p->last_usable = false;
    p->rc = CLI_EXIT_OK;
    p->strict = strict;
    p->quiet_stopped = false;
    p->windowed = false;
    p->window_ns = 0;
    p->window = NULL;
    p->late_reported = 0;
    p->name = "input";
    elog_settings_init(settings);
    settings->on_header = on_header;
    settings->on_event = on_event;
    settings->options = CLI_DECODER_OPTIONS;
    hooks->on_bytes = NULL;
    hooks->on_flush = on_flush;
    hooks->on_session = NULL;
    hooks->on_end = on_end;
}

void cli_stream_printer_free(cli_stream_printer *p)
{
    elog_window_free(p->window);
    p->window = NULL;
}

int cli_stream_printer_finish(cli_stream_printer *p, int run_rc)
{
    if (cli_output_failed(p->out))
        return cli_output_report(p->out);
    if (run_rc != 0) {
        (void)cli_output_flush(p->out);
        return CLI_EXIT_BAD_INPUT;
    }
    /* ghc-events ends its listing with a blank line. */
    if (p->header_done && p->last_usable)
        elog_writer_put(&p->out->w, "\n", 1);
    if (cli_output_flush(p->out) != 0)
        return cli_output_report(p->out);
    return p->rc;
}

int cli_show_stream(const char *source, const cli_options *opt)
{
    static cli_output out;
    cli_output_init(&out, 1);

    cli_stream_printer printer;
    elog_settings settings;
    cli_source_config cfg = {
        .settings = &settings,
        .ctx = &printer,
        .follow = opt->follow,
        .idle_timeout_ms = opt->idle_timeout_ms,
        .reconnect = opt->reconnect,
        .connect_timeout_ms = opt->connect_timeout_ms,
        .interruptible = true,
    };
    cli_stream_printer_setup(&printer, &out, opt->strict, &settings, &cfg.hooks);
    if (opt->window_ms >= 0) {
        printer.windowed = true;
        printer.window_ns = (uint64_t)opt->window_ms * 1000000u;
        printer.name = source;
    }

    cli_source *src = cli_source_open(source, &cfg);
    if (src == NULL)
        return CLI_EXIT_BAD_INPUT;
    int rc = cli_stream_printer_finish(&printer, cli_source_run(src));
    cli_source_close(src);
    cli_stream_printer_free(&printer);
    return rc;
}

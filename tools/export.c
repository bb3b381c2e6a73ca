/*
 * `eventlog export --format ndjson|chrome|csv [--table T] SOURCE [-o OUT]`:
 * the SOURCE's events through the library's exporter, written to OUT
 * (default standard output). Any SOURCE: files, gzip, pipes, sockets.
 */
#include "cli.h"
#include "export_cmd.h"
#include "outfile.h"

#include "eventlog/export.h"
#include "eventlog/order.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("Usage: " CLI_NAME " export --format FORMAT [OPTIONS] SOURCE [-o OUT]\n"
          "\n"
          "Write the events of SOURCE (a file, '-', a FIFO, unix:PATH or tcp:HOST:PORT)\n"
          "in another format, in bounded memory. Files, pipes and stdin are exported\n"
          "in time order (stably sorted, as 'show' orders them: compressed input and\n"
          "pipes are spooled to $TMPDIR for it); sockets and --follow in the order\n"
          "the events arrive (each capability's in time order).\n"
          "  ndjson   one JSON object per event: {\"t\": ns, \"cap\": N or null,\n"
          "           \"type\": \"RUN_THREAD\", \"id\": 1, ...fields by name...} (for jq,\n"
          "           DuckDB's read_json, pandas)\n"
          "  chrome   Chrome trace-event JSON: open it in https://ui.perfetto.dev or\n"
          "           chrome://tracing (a track per capability with thread runs and\n"
          "           GC, user spans and markers, heap and heap-profile counters)\n"
          "  csv      one table with a header row, chosen with --table:\n"
          "           heap-profile (time,census,label,bytes), gc-pauses\n"
          "           (start,end,generation,capability), thread-runs\n"
          "           (thread,capability,start,end,stop reason)\n"
          "\n"
          "Options:\n"
          "  -f, --format FORMAT  ndjson, chrome or csv (default ndjson)\n"
          "  -t, --table TABLE    (csv) heap-profile, gc-pauses or thread-runs\n"
          "  --top-labels N       (chrome) heap-profile series to draw (default 10)\n"
          "  --window MS          (sockets, --follow) export in time order across\n"
          "                       capabilities, holding back MS ms of eventlog time\n"
          "                       (later events are exported at once and counted)\n"
          "  -o, --output OUT     where to write (default '-', standard output); a\n"
          "                       file is written under a temporary name and renamed\n"
          "                       when complete (none is left for a corrupt input);\n"
          "                       it may not be SOURCE\n"
          "  --force              replace an existing OUT\n"
          "  --strict             exit 3 if the input is truncated\n"
          "  --follow             a program is still writing the file: wait for more\n"
          "  --idle-timeout MS    with --follow: stop after MS ms without data\n"
          "  --connect-timeout MS (sockets) keep trying to connect for MS ms\n"
          "  -h, --help           print this help\n"
          "\n"
          "Times are nanoseconds (chrome: microseconds with three decimals). A\n"
          "truncated log is exported up to where it ends (open slices are closed\n"
          "at its last time) with a warning.\n"
          "Exit status: 0 success, 1 corrupt or unreadable input or output error,\n"
          "2 usage error, 3 truncated input with --strict.\n",
          f);
}

typedef struct export_run {
    elog_exporter *x;
    elog_status status;
    elog_end end;
    bool have_end;
    uint64_t window_ns;       /* live: --window, 0 = none */
    elog_window *window;
    bool window_oom;
} export_run;

/* Events released by the reordering window (live input with --window). */
static int window_emit(void *ctx, const elog_event *ev, bool late)
{
    (void)late; /* counted by the window, reported at the end */
    export_run *r = ctx;
    r->status = elog_exporter_event(r->x, ev);
    return r->status == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int on_header(elog_decoder *d, const elog_header *h)
{
    export_run *r = cli_source_ctx(d);
    if (r->window_ns > 0) {
        elog_window_options wo = {.window_ns = r->window_ns, .max_bytes = 0};
        r->window = elog_window_new(&wo, h, window_emit, r);
        if (r->window == NULL) {
            r->status = ELOG_E_NOMEM;
            return ELOG_CB_ABORT;
        }
    }
    r->status = elog_exporter_header(r->x, h);
    return r->status == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    export_run *r = cli_source_ctx(d);
    if (r->window != NULL) {
        if (elog_window_push(r->window, ev) != 0 && r->status != ELOG_OK)
            return ELOG_CB_ABORT;
        return ELOG_CB_CONTINUE;
    }
    r->status = elog_exporter_event(r->x, ev);
    return r->status == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static void on_end(cli_source *src, const cli_stream_end *e)
{
    export_run *r = cli_source_ctx_of(src);
    r->end = *e->end;
    r->have_end = true;
}

/* The sorted path: callbacks of elog_sorter_run(), whose decoder's data is
 * the export_run itself. */
static int sorted_on_header(elog_decoder *d, const elog_header *h)
{
    export_run *r = d->data;
    r->status = elog_exporter_header(r->x, h);
    return r->status == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

static int sorted_on_event(elog_decoder *d, const elog_event *ev)
{
    export_run *r = d->data;
    r->status = elog_exporter_event(r->x, ev);
    return r->status == ELOG_OK ? ELOG_CB_CONTINUE : ELOG_CB_ABORT;
}

/* A file, a pipe or stdin read to its end: exported in time order (stably
 * sorted, as `show`), through the library's bounded-memory merge. */
static int export_sorted(const char *source, export_run *r, cli_output *out, bool strict)
{
    elog_order_options oo;
    elog_order_options_init(&oo);
    oo.decoder_options = CLI_DECODER_OPTIONS;
    elog_sorter *s = NULL;
    if (elog_sorter_open(&s, source, &oo) != 0) {
        cli_error("%s", s ? elog_sorter_error(s) : "out of memory");
        elog_sorter_close(s);
        return CLI_EXIT_BAD_INPUT;
    }
    elog_settings settings;
    elog_settings_init(&settings);
    settings.on_header = sorted_on_header;
    settings.on_event = sorted_on_event;
    int rc;
    if (elog_sorter_run(s, &settings, r) != 0) {
        if (r->status == ELOG_E_NOMEM)
            cli_error("%s: out of memory", source);
        else
            cli_error("%s", elog_sorter_error(s));
        rc = CLI_EXIT_BAD_INPUT;
    } else {
        elog_sorter_end(s, &r->end);
        elog_exporter_finish(r->x);
        if (cli_output_flush(out) != 0)
            rc = cli_output_report(out);
        else
            rc = cli_report_end(strcmp(source, "-") == 0 ? "<stdin>" : source, NULL, &r->end,
                                elog_sorter_header(s), strict);
    }
    elog_sorter_close(s);
    return rc;
}

int cmd_export(int argc, char **argv)
{
    enum { O_STRICT = 256, O_TOP, O_WINDOW, O_FORCE };
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"table", required_argument, NULL, 't'},
        {"output", required_argument, NULL, 'o'},
        {"top-labels", required_argument, NULL, O_TOP},
        {"window", required_argument, NULL, O_WINDOW},
        {"strict", no_argument, NULL, O_STRICT},
        {"force", no_argument, NULL, O_FORCE},
        CLI_SOURCE_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    elog_export_options xo;
    elog_export_options_init(&xo);
    const char *output = "-";
    bool strict = false, table_given = false, force = false;
    cli_source_opts so;
    cli_source_opts_init(&so);
    unsigned v;
    unsigned window_ms = 0;
    bool window_given = false;

    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "f:t:o:h", longopts, NULL)) != -1) {
        int so_rc = cli_source_option("export", ch, optarg, &so);
        if (so_rc == 0)
            return CLI_EXIT_USAGE;
        if (so_rc == 1)
            continue;
        switch (ch) {
        case 'f':
            if (!elog_export_format_parse(optarg, &xo.format))
                return cli_usage_error("export", "--format: '%s' is not ndjson, chrome or csv",
                                       optarg);
            break;
        case 't':
            if (!elog_export_table_parse(optarg, &xo.table))
                return cli_usage_error("export", "--table: '%s' is not heap-profile, gc-pauses "
                                       "or thread-runs", optarg);
            table_given = true;
            break;
        case 'o':
            output = optarg;
            break;
        case O_TOP:
            if (!cli_parse_uint(optarg, 1, 1000, &v))
                return cli_usage_error("export", "--top-labels: '%s' is not a number from 1 to 1000",
                                       optarg);
            xo.top_labels = v;
            break;
        case O_WINDOW:
            if (!cli_ms_option("export", "--window", optarg, true, &window_ms))
                return CLI_EXIT_USAGE;
            window_given = true;
            break;
        case O_STRICT:
            strict = true;
            break;
        case O_FORCE:
            force = true;
            break;
        case 'h':
            usage(stdout);
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
        default:
            return cli_getopt_error("export", argv, "fto", "an argument");
        }
    }
    const char *source = cli_source_operand("export", argc, argv);
    if (source == NULL)
        return CLI_EXIT_USAGE;
    if (table_given && xo.format != ELOG_EXPORT_CSV)
        return cli_usage_error("export", "--table applies to --format csv");
    char err[ELOG_SOCKET_ERRLEN];
    if (cli_source_check(source, err, sizeof err) != 0)
        return cli_usage_error("export", "%s", err);
    if (so.follow && cli_source_is_socket(source))
        return cli_usage_error("export", "--follow applies to files and pipes");
    if (window_given && !so.follow && !cli_source_is_socket(source))
        return cli_usage_error("export", "--window applies to live input (a socket, or "
                               "--follow): a file is exported in time order anyway");

    cli_inputs inputs;
    cli_inputs_init(&inputs);
    cli_inputs_add(&inputs, source);
    cli_outfile *of = cli_outfile_open("export", output, force, &inputs, 0);
    if (of == NULL)
        return CLI_EXIT_BAD_INPUT;
    int fd = cli_outfile_fd(of);
    static cli_output out;
    cli_output_init(&out, fd);

    export_run r;
    memset(&r, 0, sizeof r);
    r.window_ns = (uint64_t)window_ms * 1000000u;
    if (elog_exporter_new(&r.x, &xo, &out.w) != ELOG_OK) {
        cli_error("export: out of memory");
        cli_outfile_abort(of);
        return CLI_EXIT_BAD_INPUT;
    }
    if (!so.follow && !cli_source_is_socket(source)) {
        int rc = export_sorted(source, &r, &out, strict);
        elog_exporter_free(r.x);
        return cli_outfile_end(of, rc);
    }
    /* Live input (a socket, a followed file): in the order it arrives;
     * every capability's events are in time order (chrome and csv need no
     * more). */
    elog_settings settings;
    elog_settings_init(&settings);
    settings.on_header = on_header;
    settings.on_event = on_event;
    settings.options = CLI_DECODER_OPTIONS;
    cli_source_config cfg = {
        .settings = &settings,
        .hooks = {.on_end = on_end},
        .ctx = &r,
        .follow = so.follow,
        .idle_timeout_ms = so.idle_ms,
        .connect_timeout_ms = so.connect_ms,
        .progress = !cli_outfile_is_stdout(of),
        .interruptible = true,
    };
    cli_source *src = cli_source_open(source, &cfg);
    if (src == NULL) {
        elog_exporter_free(r.x);
        cli_outfile_abort(of);
        return CLI_EXIT_BAD_INPUT;
    }
    int run = cli_source_run(src);
    int rc;
    const char *name = cli_source_name(src);
    elog_decoder *dec = cli_source_decoder(src);
    if (r.status == ELOG_E_NOMEM) {
        cli_error("%s: out of memory", name);
        rc = CLI_EXIT_BAD_INPUT;
    } else if (run != 0 || !r.have_end) {
        rc = CLI_EXIT_BAD_INPUT;
    } else {
        if (r.window != NULL) {
            (void)elog_window_flush(r.window);
            elog_window_stats ws;
            elog_window_get_stats(r.window, &ws);
            if (ws.late > 0)
                cli_warning("%s: %llu event%s arrived later than the %u ms window allowed and "
                            "were exported out of time order", name, (unsigned long long)ws.late,
                            ws.late == 1 ? "" : "s", window_ms);
        }
        elog_exporter_finish(r.x);
        if (cli_output_flush(&out) != 0)
            rc = cli_output_report(&out);
        else
            rc = cli_report_end(name, dec, &r.end, elog_get_header(dec), strict);
    }
    elog_window_free(r.window);
    elog_exporter_free(r.x);
    cli_source_close(src);
    return cli_outfile_end(of, rc);
}

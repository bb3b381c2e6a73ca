/*
 * `eventlog stats [OPTIONS] SOURCE`: the analysis layer's summary
 * (include/eventlog/analysis.h): a `+RTS -s`-like block, then GC pauses,
 * capabilities, threads, heap and user spans; `--json` prints one object.
 * A thin user: it feeds the library's elog_analysis from any SOURCE and
 * prints its snapshots. It parses its own options (like `replay`).
 */
#include "cli.h"
#include "eventlog/analysis.h"
#include "stats.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct stats_ctx {
    elog_analysis *an;
    cli_output *out;
    bool json;
    size_t top;
    unsigned interval_ms;
    uint64_t next_report_ns;
    bool have_end;
    elog_end end;
    bool failed;
} stats_ctx;

static void usage(FILE *f)
{
    fputs("Usage: " CLI_NAME " stats [OPTIONS] SOURCE\n"
          "\n"
          "Summarise an eventlog in one pass and bounded memory: first the figures\n"
          "'+RTS -s' prints (bytes allocated and copied, maximum residency, collections\n"
          "per generation, sparks, MUT/GC time, productivity), taken from the RTS's own\n"
          "events, so they are there even when the program was killed; then GC pause\n"
          "statistics (p50/p90/p99 within 1%), time per capability, the busiest\n"
          "threads and why they stopped, heap-profile labels, and user spans (user\n"
          "messages 'START label' / 'STOP label', optionally 'START 3 label').\n"
          "SOURCE is a file (plain, or compressed with gzip, zstd or xz), '-', or a\n"
          "socket (unix:PATH, tcp:HOST:PORT).\n"
          "\n"
          "Options:\n"
          "  --json              Print one JSON object (keys: gc, heap, sparks, time,\n"
          "                      capabilities, threads, spans, end; see README.md).\n"
          "  --interval MS       (live sources) Print a summary every MS milliseconds\n"
          "                      while input arrives (with --json: one object a line),\n"
          "                      then the final one.\n"
          "  --top N             Threads, labels and spans listed in the text summary\n"
          "                      (default 10).\n"
          "  --follow            (files, pipes) Wait for the file to grow until the end\n"
          "                      marker (with --idle-timeout MS, default 2000).\n"
          "  --connect-timeout MS  (sockets) How long to keep trying to connect.\n"
          "  --strict            Exit with status 3 if the input is truncated.\n"
          "  -h, --help          Print this help.\n"
          "\n"
          "A truncated log (a killed program) is summarised up to its last complete\n"
          "event, with exit status 0 and 'End: truncated-...'; intervals still open\n"
          "(a GC, a running thread, a span) are closed at the last timestamp.\n"
          "SIGINT/SIGTERM end a live input as if it ended there.\n",
          f);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool print_snapshot(stats_ctx *c)
{
    elog_stats *s = elog_analysis_snapshot(c->an);
    if (s == NULL) {
        cli_error("stats: out of memory");
        c->failed = true;
        return false;
    }
    if (c->json) {
        elog_stats_write_json(&c->out->w, s);
        elog_writer_put(&c->out->w, "\n", 1);
    } else {
        elog_stats_write_text(&c->out->w, s, c->top);
    }
    elog_stats_free(s);
    return cli_output_flush(c->out) == 0;
}

static int on_header(elog_decoder *d, const elog_header *h)
{
    stats_ctx *c = cli_source_ctx(d);
    int rc = elog_analysis_on_header(c->an, h);
    elog_analysis_route(c->an, d); /* every event of this decoder is the analysis' */
    return rc;
}

/* The command's one analysis, for the per-event callback: reaching it
 * through the source's context cost two calls per event (2% of `stats`). */
static elog_analysis *the_analysis;

static int on_event(elog_decoder *d, const elog_event *ev)
{
    (void)d;
    return elog_analysis_on_event(the_analysis, ev);
}

static void on_flush(cli_source *src)
{
    stats_ctx *c = cli_source_ctx_of(src);
    if (c->interval_ms == 0 || c->failed)
        return;
    uint64_t t = now_ns();
    if (t < c->next_report_ns)
        return;
    c->next_report_ns = t + (uint64_t)c->interval_ms * 1000000u;
    if (!c->json)
        elog_writer_put(&c->out->w, "--- so far ---\n", 15);
    if (!print_snapshot(c))
        c->failed = true;
}

static void on_end(cli_source *src, const cli_stream_end *e)
{
    stats_ctx *c = cli_source_ctx_of(src);
    elog_decoder *d = cli_source_decoder(src);
    c->end = *e->end;
    c->have_end = true;
    elog_analysis_on_end(c->an, e->end,
                         e->end->kind == ELOG_END_ERROR ? elog_get_error_reason(d) : NULL);
}

int cmd_stats(int argc, char **argv)
{
    enum { O_JSON = 256, O_INTERVAL, O_TOP, O_STRICT };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, O_JSON},
        {"interval", required_argument, NULL, O_INTERVAL},
        {"top", required_argument, NULL, O_TOP},
        CLI_SOURCE_LONGOPTS,
        {"strict", no_argument, NULL, O_STRICT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool json = false, strict = false;
    unsigned interval = 0, top = 10;
    cli_source_opts so;
    cli_source_opts_init(&so);
    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int so_rc = cli_source_option("stats", ch, optarg, &so);
        if (so_rc == 0)
            return CLI_EXIT_USAGE;
        if (so_rc == 1)
            continue;
        switch (ch) {
        case O_JSON: json = true; break;
        case O_STRICT: strict = true; break;
        case O_INTERVAL:
            if (!cli_ms_option("stats", "--interval", optarg, true, &interval))
                return CLI_EXIT_USAGE;
            break;
        case O_TOP:
            if (!cli_parse_uint(optarg, 0, 1000000ul, &top))
                return cli_usage_error("stats", "--top: '%s' is not a count", optarg);
            break;
        case 'h':
            usage(stdout);
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
        default:
            if (optopt != 0)
                return cli_usage_error("stats", "option '%s' needs an argument", argv[optind - 1]);
            return cli_usage_error("stats", "unknown option '%s'", argv[optind - 1]);
        }
    }
    const char *source = cli_source_operand("stats", argc, argv);
    if (source == NULL)
        return CLI_EXIT_USAGE;
    char err[512];
    if (cli_source_check(source, err, sizeof err) != 0)
        return cli_usage_error("stats", "%s", err);
    if (so.idle_given && !so.follow)
        return cli_usage_error("stats", "option '--idle-timeout' applies with '--follow'");
    if (so.follow && cli_source_is_socket(source))
        return cli_usage_error("stats", "option '--follow' applies to files and pipes");

    static cli_output out;
    cli_output_init(&out, 1);
    stats_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.an = elog_analysis_new(NULL);
    if (ctx.an == NULL) {
        cli_error("stats: out of memory");
        return CLI_EXIT_BAD_INPUT;
    }
    the_analysis = ctx.an;
    ctx.out = &out;
    ctx.json = json;
    ctx.top = top;
    ctx.interval_ms = (unsigned)interval;
    ctx.next_report_ns = now_ns() + (uint64_t)interval * 1000000u;

    elog_settings settings;
    elog_settings_init(&settings);
    settings.on_header = on_header;
    settings.on_event = on_event;
    settings.options = CLI_DECODER_OPTIONS;
    cli_source_config cfg = {
        .settings = &settings,
        .hooks = { .on_flush = on_flush, .on_end = on_end },
        .ctx = &ctx,
        .follow = so.follow,
        .idle_timeout_ms = so.idle_ms,
        .connect_timeout_ms = so.connect_ms,
        .progress = true,
        .interruptible = true,
    };
    cli_source *src = cli_source_open(source, &cfg);
    if (src == NULL) {
        elog_analysis_free(ctx.an);
        return CLI_EXIT_BAD_INPUT;
    }
    const char *name = cli_source_name(src);
    int run = cli_source_run(src);
    int rc;
    elog_decoder *dec = cli_source_decoder(src);
    const elog_header *h = elog_get_header(dec);
    if (run != 0 || !ctx.have_end || ctx.failed) {
        rc = ctx.failed && cli_output_failed(&out) ? cli_output_report(&out) : CLI_EXIT_BAD_INPUT;
    } else if (h == NULL || !cli_end_usable(&ctx.end)) {
        rc = cli_report_end(name, dec, &ctx.end, h, strict);
        if (rc == CLI_EXIT_OK)
            rc = CLI_EXIT_BAD_INPUT;
    } else if (!print_snapshot(&ctx)) {
        rc = cli_output_failed(&out) ? cli_output_report(&out) : CLI_EXIT_BAD_INPUT;
    } else {
        rc = cli_report_end(name, dec, &ctx.end, h, strict);
    }
    elog_analysis_free(ctx.an);
    cli_source_close(src);
    return rc;
}

/*
 * `eventlog report SOURCE -o report.html`: the library's HTML report
 * (include/eventlog/report.h) of any SOURCE, in one pass.
 */
#include "cli.h"
#include "export_cmd.h"
#include "outfile.h"

#include "eventlog/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("Usage: " CLI_NAME " report [OPTIONS] SOURCE -o report.html\n"
          "\n"
          "Write one self-contained HTML page about the eventlog SOURCE (a file, '-',\n"
          "a FIFO, unix:PATH or tcp:HOST:PORT): the 'eventlog stats' summary, a\n"
          "zoomable capability timeline (mutator / GC / idle), GC pauses, heap size,\n"
          "live bytes and allocation rate over time, the heap profile by label, user\n"
          "spans (START/STOP messages) over time and a thread table. Styles, scripts\n"
          "and data are inside the file (a few hundred KB whatever the log's size);\n"
          "it opens from disk in any current browser, without network access.\n"
          "A truncated log (a killed program's) is reported up to where it ends.\n"
          "The input is read once, in file order, as 'eventlog stats' reads it (the\n"
          "page's figures are those of 'stats').\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE    where to write the page ('-': standard output;\n"
          "                       required). A file is written under a temporary\n"
          "                       name and renamed when complete; it may not be SOURCE\n"
          "  --force              replace an existing FILE\n"
          "  --title TEXT         the page's title (default: from the program's name)\n"
          "  --strict             exit 3 if the input is truncated\n"
          "  --follow             a program is still writing the file: wait for more\n"
          "  --idle-timeout MS    with --follow: stop after MS ms without data\n"
          "  --connect-timeout MS (sockets) keep trying to connect for MS ms\n"
          "  -h, --help           print this help\n"
          "\n"
          "Exit status: 0 success, 1 corrupt or unreadable input or output error,\n"
          "2 usage error, 3 truncated input with --strict.\n",
          f);
}

typedef struct report_run {
    elog_report *r;
    bool failed;
    elog_end end;
    bool have_end;
} report_run;

static int on_header(elog_decoder *d, const elog_header *h)
{
    report_run *run = cli_source_ctx(d);
    int rc = elog_report_on_header(run->r, h);
    run->failed |= rc != ELOG_CB_CONTINUE;
    return rc;
}

static int on_event(elog_decoder *d, const elog_event *ev)
{
    report_run *run = cli_source_ctx(d);
    int rc = elog_report_on_event(run->r, ev);
    run->failed |= rc != ELOG_CB_CONTINUE;
    return rc;
}

static void on_end(cli_source *src, const cli_stream_end *e)
{
    report_run *run = cli_source_ctx_of(src);
    run->end = *e->end;
    run->have_end = true;
}

int cmd_report(int argc, char **argv)
{
    enum { O_STRICT = 256, O_TITLE, O_FORCE };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"title", required_argument, NULL, O_TITLE},
        {"strict", no_argument, NULL, O_STRICT},
        {"force", no_argument, NULL, O_FORCE},
        CLI_SOURCE_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    elog_report_options ro;
    elog_report_options_init(&ro);
    const char *output = NULL;
    bool strict = false, force = false;
    cli_source_opts so;
    cli_source_opts_init(&so);

    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        int so_rc = cli_source_option("report", ch, optarg, &so);
        if (so_rc == 0)
            return CLI_EXIT_USAGE;
        if (so_rc == 1)
            continue;
        switch (ch) {
        case 'o':
            output = optarg;
            break;
        case O_TITLE:
            ro.title = optarg;
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
            return cli_getopt_error("report", argv, "o", "a FILE");
        }
    }
    const char *source = cli_source_operand("report", argc, argv);
    if (source == NULL)
        return CLI_EXIT_USAGE;
    if (output == NULL)
        return cli_usage_error("report", "missing -o FILE (where to write the HTML page)");
    char err[ELOG_SOCKET_ERRLEN];
    if (cli_source_check(source, err, sizeof err) != 0)
        return cli_usage_error("report", "%s", err);
    if (so.follow && cli_source_is_socket(source))
        return cli_usage_error("report", "--follow applies to files and pipes");

    report_run run;
    memset(&run, 0, sizeof run);
    ro.name = strcmp(source, "-") == 0 ? "<stdin>" : source;
    run.r = elog_report_new(&ro);
    if (run.r == NULL) {
        cli_error("report: out of memory");
        return CLI_EXIT_BAD_INPUT;
    }
    elog_settings settings;
    elog_settings_init(&settings);
    settings.on_header = on_header;
    settings.on_event = on_event;
    settings.options = CLI_DECODER_OPTIONS;
    cli_source_config cfg = {
        .settings = &settings,
        .hooks = {.on_end = on_end},
        .ctx = &run,
        .follow = so.follow,
        .idle_timeout_ms = so.idle_ms,
        .connect_timeout_ms = so.connect_ms,
        .progress = true,
        .interruptible = true,
    };
    cli_source *src = cli_source_open(source, &cfg);
    if (src == NULL) {
        elog_report_free(run.r);
        return CLI_EXIT_BAD_INPUT;
    }
    int rc = cli_source_run(src);
    const char *name = cli_source_name(src);
    elog_decoder *dec = cli_source_decoder(src);
    if (run.failed) {
        cli_error("%s: out of memory", name);
        rc = CLI_EXIT_BAD_INPUT;
    } else if (rc != 0 || !run.have_end) {
        rc = CLI_EXIT_BAD_INPUT;
    } else if (!cli_end_usable(&run.end)) {
        rc = cli_report_end(name, dec, &run.end, elog_get_header(dec), strict);
    } else {
        elog_report_on_end(run.r, &run.end,
                           run.end.kind == ELOG_END_ERROR ? elog_get_error_reason(dec) : NULL);
        /* the page is written only once the input was read: no partial file
         * is left behind for an unreadable input */
        cli_inputs inputs;
        cli_inputs_init(&inputs);
        cli_inputs_add(&inputs, source);
        cli_outfile *of = cli_outfile_open("report", output, force, &inputs, 0);
        if (of == NULL) {
            rc = CLI_EXIT_BAD_INPUT;
        } else {
            static cli_output out;
            cli_output_init(&out, cli_outfile_fd(of));
            if (elog_report_write(run.r, &out.w) != ELOG_OK) {
                cli_error("report: out of memory");
                rc = CLI_EXIT_BAD_INPUT;
            } else if (cli_output_flush(&out) != 0) {
                rc = cli_output_report(&out);
            } else {
                rc = cli_report_end(name, dec, &run.end, elog_get_header(dec), strict);
            }
            rc = cli_outfile_end(of, rc);
        }
    }
    elog_report_free(run.r);
    cli_source_close(src);
    return rc;
}

/*
 * `eventlog repair SOURCE -o OUT`: a log cut short (killed program, cut
 * mid-event, no end marker) becomes a complete eventlog: every record that
 * could be decoded copied unchanged, the partial last event dropped, the
 * last block's size corrected, the end marker appended (library: the
 * verbatim elog_log_writer). stderr says what was dropped and fixed.
 */
#include "rewrite.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char repair_help[] =
    "Usage: " CLI_NAME " repair SOURCE -o OUT [--force]\n"
    "\n"
    "Make a complete eventlog of one cut short (a killed program, a copy cut\n"
    "mid-event, a missing end marker), for tools that reject such logs\n"
    "(ThreadScope, eventlog2html, ghc-events merge): every complete event is\n"
    "copied unchanged, a partial last event is dropped, the last block's size is\n"
    "corrected and the end-of-data marker appended. stderr says what was dropped\n"
    "(bytes, offset) and fixed. A complete SOURCE is copied unchanged.\n"
    "\n"
    "  -o, --output OUT  '-' for standard output; .gz is gzip-compressed. Written\n"
    "                    under a temporary name and renamed when complete.\n"
    "  --force           replace an existing OUT\n"
    "\n"
    "Exit status: 0 ok, 1 corrupt (not merely truncated) or unreadable input, or\n"
    "output error (no OUT is left), 2 usage error.\n";

int cmd_repair(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "output", required_argument, NULL, 'o' },
        { "force", no_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    elog_filter f;
    elog_filter_init(&f);
    cli_rewrite_job job = { .cmd = "repair", .filter = &f, .repair = true };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(repair_help, stdout);
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
        case 'o':
            job.output = optarg;
            break;
        case 'f':
            job.force = true;
            break;
        default:
            if (optopt == 'o')
                return cli_usage_error("repair", "option '-o' needs a FILE");
            return cli_usage_error("repair", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("repair", optind >= argc ? "missing SOURCE" : "one SOURCE expected");
    if (job.output == NULL)
        return cli_usage_error("repair", "missing -o OUT (where to write the repaired eventlog)");
    job.source = argv[optind];
    char err[512];
    if (cli_source_check(job.source, err, sizeof err) != 0)
        return cli_usage_error("repair", "%s", err);
    return cli_rewrite(&job);
}

/*
 * `eventlog repair SOURCE -o OUT`: a log cut short (killed program, cut
 * mid-event, no end marker) becomes a complete eventlog: every record that
 * could be decoded copied unchanged, the partial last event dropped, the
 * last block's size corrected, the end marker appended (library: the
 * verbatim elog_log_writer). stderr says what was dropped and fixed.
 */
#include "rewrite.h"

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
    elog_filter f;
    elog_filter_init(&f);
    cli_rewrite_job job = { .cmd = "repair", .filter = &f, .repair = true };
    int parsed = cli_output_args("repair", repair_help, argc, argv, &job.output, &job.force);
    if (parsed >= 0)
        return parsed;
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

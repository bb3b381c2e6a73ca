/*
 * `eventlog merge A B [C ...] -o OUT`: one time-ordered eventlog from
 * several, with ghc-events' merge semantics, on any GHC's logs: a thin user
 * of the library's merge (include/eventlog/merge.h) writing through the
 * library's writer into the safe output file (outfile.h).
 */
#include "rewrite.h"
#include "outfile.h"

#include "eventlog/merge.h"
#include "eventlog/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char merge_help[] =
    "Usage: " CLI_NAME " merge A B [C ...] -o OUT [--force]\n"
    "\n"
    "Merge eventlogs into one, in time order, as 'ghc-events merge' does but on\n"
    "any GHC's logs: the header is the union of the inputs' event types (an id\n"
    "declared differently in two inputs is an error); the capabilities, capsets\n"
    "and thread ids of each input are shifted past those used by the inputs\n"
    "before it. Inputs are files (plain, or compressed with gzip, zstd or xz);\n"
    "memory stays bounded whatever their size (each input is sorted by the\n"
    "library's time-ordered iteration).\n"
    "\n"
    "  -o, --output OUT  '-' for standard output; .gz is gzip-compressed. Written\n"
    "                    under a temporary name and renamed when complete.\n"
    "  --force           replace an existing OUT\n"
    "\n"
    "Exit status: 0 ok, 1 corrupt or unreadable input, conflicting headers or an\n"
    "output error (no OUT is left), 2 usage error.\n";

int cmd_merge(int argc, char **argv)
{
    const char *output = NULL;
    bool force = false;
    int parsed = cli_output_args("merge", merge_help, argc, argv, &output, &force);
    if (parsed >= 0)
        return parsed;
    int n = argc - optind;
    char **names = argv + optind;
    if (n < 2)
        return cli_usage_error("merge", "at least two eventlogs to merge are needed");
    if (n > CLI_INPUTS_MAX) /* each is checked against OUT (outfile.h) */
        return cli_usage_error("merge", "at most %d eventlogs at once (merge the rest into a "
                               "second log, then the two)", CLI_INPUTS_MAX);
    if (output == NULL)
        return cli_usage_error("merge", "missing -o OUT (where to write the merged eventlog)");
    for (int k = 0; k < n; k++)
        if (strcmp(names[k], "-") == 0 || cli_source_is_socket(names[k]))
            return cli_usage_error("merge", "%s: merge reads files (each is read twice)", names[k]);
    cli_inputs inputs;
    cli_inputs_init(&inputs);
    for (int k = 0; k < n; k++)
        cli_inputs_add(&inputs, names[k]);

    elog_merge_options mo;
    elog_merge_options_init(&mo);
    mo.decoder_options = CLI_DECODER_OPTIONS;
    elog_merge *m = NULL;
    cli_outfile *out = NULL;
    elog_log_writer *w = NULL;
    int rc = CLI_EXIT_BAD_INPUT;
    if (elog_merge_open(&m, (const char *const *)names, (size_t)n, &mo) != ELOG_OK) {
        cli_error("merge: %s", elog_merge_error(m));
        goto done;
    }
    for (int k = 0; k < n; k++) {
        elog_end end;
        elog_merge_input_end(m, (size_t)k, &end);
        if (end.kind != ELOG_END_CLEAN)
            cli_report_end(names[k], NULL, &end, elog_merge_input_header(m, (size_t)k), false);
    }
    out = cli_outfile_open("merge", output, force, &inputs, CLI_OUTFILE_GZIP);
    if (out == NULL)
        goto done;
    elog_log_writer_options wo = {0};
    if (elog_log_writer_open(&w, &wo, cli_outfile_write, out) != ELOG_OK) {
        cli_error("merge: out of memory");
        goto done;
    }
    if (elog_merge_write(m, w) != ELOG_OK) {
        cli_error("merge: %s: %s", cli_outfile_name(out), elog_merge_error(m));
        goto done;
    }
    rc = cli_outfile_commit(out) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
    out = NULL;
    for (int k = 1; k < n; k++) {
        elog_merge_shift sh;
        elog_merge_shift_of(m, (size_t)k, &sh);
        cli_note("merge: %s: capabilities +%llu, capsets +%llu, threads +%llu", names[k],
                 (unsigned long long)sh.caps, (unsigned long long)sh.capsets,
                 (unsigned long long)sh.threads);
    }
done:
    cli_outfile_abort(out);
    elog_log_writer_free(w);
    elog_merge_close(m);
    return rc;
}

/*
 * The `eventlog` command: argument parsing (getopt_long), usage text and
 * dispatch to the subcommands, which live in their own files (show_sorted.c,
 * show_stream.c, info.c). Nothing here touches eventlog data.
 */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs(
        "Usage: " CLI_NAME " COMMAND [OPTIONS] FILE\n"
        "\n"
        "Decode GHC RTS eventlogs with libeventlog. FILE may be '-' for standard input.\n"
        "\n"
        "Commands:\n"
        "  show FILE           Print the eventlog exactly as 'ghc-events show' does: the\n"
        "                      event types, then every event sorted by timestamp.\n"
        "                      Memory use does not grow with the file (pipes are\n"
        "                      spooled to a temporary file in $TMPDIR or /tmp).\n"
        "  show --stream FILE  The same lines, but in file order, printed as they are\n"
        "                      decoded, in constant memory; works on a live FIFO.\n"
        "  info FILE           Summary: RTS identifier, program arguments, GHC version,\n"
        "                      event counts per type, time span, capabilities, how the\n"
        "                      log ended, and the decode throughput.\n"
        "  help                Print this help.\n"
        "\n"
        "Options:\n"
        "  --stream            (show) file order, incremental output.\n"
        "  --strict            Exit with status 3 if the input is truncated (it is\n"
        "                      otherwise only a warning).\n"
        "  --json              (info) Print the summary as one JSON object.\n"
        "  -h, --help          Print this help and exit.\n"
        "  -V, --version       Print the version and exit.\n"
        "\n"
        "Exit status: 0 success, 1 corrupt or unreadable input (or output error),\n"
        "2 usage error, 3 truncated input with --strict.\n",
        f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, CLI_NAME ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '" CLI_NAME " --help' for more information.\n");
    va_end(ap);
    return CLI_EXIT_USAGE;
}

enum { OPT_STRICT = 256, OPT_STREAM, OPT_JSON };

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "strict", no_argument, NULL, OPT_STRICT },
        { "stream", no_argument, NULL, OPT_STREAM },
        { "json", no_argument, NULL, OPT_JSON },
        { NULL, 0, NULL, 0 },
    };

    /* A closed pipe must surface as EPIPE so output errors are handled in
     * one place (output.c) instead of killing the process mid-write. */
    signal(SIGPIPE, SIG_IGN);

    cli_options opt = { false, false, false };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
        case 'V':
            printf(CLI_NAME " " CLI_VERSION " (libeventlog " ELOG_VERSION_STRING ")\n");
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
        case OPT_STRICT:
            opt.strict = true;
            break;
        case OPT_STREAM:
            opt.stream = true;
            break;
        case OPT_JSON:
            opt.json = true;
            break;
        default: {
            if (optopt != 0 && optopt < 256) {
                char s[3] = { '-', (char)optopt, 0 };
                return usage_error("unknown option '%s'", s);
            }
            const char *bad = argv[optind - 1];
            if (strchr(bad, '=') != NULL)
                return usage_error("option '%s' does not take an argument", bad);
            return usage_error("unknown option '%s'", bad);
        }
        }
    }

    if (optind >= argc)
        return usage_error("missing command%s", " (show, info or help)");
    const char *cmd = argv[optind++];
    int nargs = argc - optind;

    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
    }
    bool is_show = strcmp(cmd, "show") == 0;
    bool is_info = strcmp(cmd, "info") == 0;
    if (!is_show && !is_info)
        return usage_error("unknown command '%s'", cmd);
    if (opt.stream && !is_show)
        return usage_error("option '--stream' applies to 'show', not '%s'", cmd);
    if (opt.json && !is_info)
        return usage_error("option '--json' applies to 'info', not '%s'", cmd);
    if (nargs == 0)
        return usage_error("%s: missing FILE (use '-' for standard input)", cmd);
    if (nargs > 1)
        return usage_error("%s: too many arguments (one FILE expected)", cmd);

    const char *path = argv[optind];
    if (is_info)
        return cli_info(path, &opt);
    return opt.stream ? cli_show_stream(path, &opt) : cli_show_sorted(path, &opt);
}

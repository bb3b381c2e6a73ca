/*
 * The `eventlog` command: argument parsing (getopt_long), usage text and
 * dispatch to the subcommands, which live in their own files (show_sorted.c,
 * show_stream.c, info.c, record.c, control.c, replay.c). Nothing here
 * touches eventlog data.
 *
 * Two tables drive it: `options` (each option's bit and help lines) and
 * `commands` (name, synopsis, the general help's lines, its own --help text,
 * the options it accepts, its operand count and the function that runs it,
 * or a `main` of its own for a command that parses its whole line, as
 * replay). `eventlog --help`, `eventlog COMMAND --help` / `-h` /
 * `eventlog help COMMAND`, the "does not apply to" checks and the dispatch
 * all read them: adding a command is adding an entry.
 */
#include "cli.h"
#include "replay.h"
#include "rewrite.h"
#include "export_cmd.h"
#include "stats.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* `monitor` is a program of its own, eventlog-monitor (monitor_main.c): it
 * links libmicrohttpd and libcurl, which would otherwise cost every command
 * ~5 MiB of memory. It is looked for beside this program, then on PATH. */
static int cmd_monitor(int argc, char **argv)
{
    static const char prog[] = "eventlog-monitor";
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (args == NULL) {
        cli_error("monitor: out of memory");
        return CLI_EXIT_BAD_INPUT;
    }
    args[0] = (char *)prog;
    for (int i = 1; i < argc; i++)
        args[i] = argv[i];
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - sizeof prog);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash != NULL) {
            memcpy(slash + 1, prog, sizeof prog);
            execv(self, args);
        }
    }
    execvp(prog, args);
    int err = errno;
    free(args);
    return cli_usage_error(NULL, "monitor: cannot run %s (%s): it is built beside " CLI_NAME
                           " when libmicrohttpd is found (Debian: libmicrohttpd-dev)",
                           prog, strerror(err));
}

/* ------------------------------------------------------------------------
 * Options and commands are tables: the general help, each command's own
 * `--help`, the check of which options apply where and the dispatch all come
 * from them. A new command is one entry in `commands` (and its options, if
 * new, entries in `options`).
 * ---------------------------------------------------------------------- */

/* Which options a command accepts (bit per option). */
enum {
    A_STREAM = 1 << 0, A_STRICT = 1 << 1, A_JSON = 1 << 2, A_FOLLOW = 1 << 3,
    A_RECONNECT = 1 << 4, A_CONNECT = 1 << 5, A_OUTPUT = 1 << 6, A_READ = 1 << 7,
    A_IDLE = 1 << 8, A_LENIENT = 1 << 9, A_FORCE = 1 << 10, A_WINDOW = 1 << 11,
    A_RAW = 1 << 12
};

typedef struct option_doc {
    unsigned bit;
    const char *name;             /* for messages: "--stream" */
    const char *help;             /* its lines in the help, each "  --x ...\n" */
} option_doc;

static const option_doc options[] = {
    { A_STREAM, "--stream",
      "  --stream            (show) input order, incremental output.\n" },
    { A_WINDOW, "--window",
      "  --window MS         (show --stream) Reorder live events across capabilities:\n"
      "                      hold each until the stream's eventlog time is MS\n"
      "                      milliseconds past it (and at most 16 MiB), then print\n"
      "                      in time order. An event that arrives later than that\n"
      "                      is printed at once, out of order, and counted on stderr.\n" },
    { A_STRICT, "--strict",
      "  --strict            Exit with status 3 if the input is truncated (it is\n"
      "                      otherwise only a warning).\n" },
    { A_JSON, "--json",
      "  --json              (info) Print the summary as one JSON object.\n" },
    { A_FOLLOW, "--follow",
      "  --follow            (files, pipes) A program is still writing the file: wait\n"
      "                      for more until the end-of-data marker arrives.\n" },
    { A_IDLE, "--idle-timeout",
      "  --idle-timeout MS   With --follow, stop after MS milliseconds without new\n"
      "                      data (default 2000; 0 waits for ever). With a socket,\n"
      "                      stop when it sends nothing for MS ms (default: no\n"
      "                      limit), as if the input ended there.\n" },
    { A_RECONNECT, "--reconnect",
      "  --reconnect         (show --stream, record; sockets) When a session ends,\n"
      "                      connect again: every connection is a new eventlog.\n"
      "                      'show --stream' prints the header of the first session\n"
      "                      only and announces later ones on stderr ('# session N:');\n"
      "                      'record' writes FILE, FILE.1, FILE.2, ... (or FILE with\n"
      "                      %d replaced by the session number).\n" },
    { A_CONNECT, "--connect-timeout",
      "  --connect-timeout MS  (sockets) Keep trying to connect for MS milliseconds\n"
      "                      (default 10000); with --reconnect, stop when no\n"
      "                      server accepts for that long.\n" },
    { A_OUTPUT, "--output",
      "  -o, --output FILE   (record) Where to save; '-' for standard output. The file\n"
      "                      is written under a temporary name and renamed when its\n"
      "                      stream ends with a complete header: input that is not\n"
      "                      an eventlog leaves no file, and copying stops at the\n"
      "                      first decode error. An input is never overwritten.\n" },
    { A_FORCE, "--force",
      "  --force             (record) Replace FILE if it exists (refused otherwise).\n" },
    { A_READ, "--read",
      "  --read MS           (control) Print the session as 'show --stream' does until\n"
      "                      MS milliseconds after the command was sent.\n" },
    { A_LENIENT, "--lenient-blocks",
      "  --lenient-blocks    Accept events that run past the end of their block, and\n"
      "                      blocks that disagree with their events, attributing\n"
      "                      capabilities by byte count as ghc-events does (by\n"
      "                      default such a log is corrupt: exit 1).\n" },
    { A_RAW, "--raw",
      "  --raw               (show, info, control --read) Write event text to a\n"
      "                      terminal byte for byte. By default, when standard output\n"
      "                      is a terminal, control characters in it (escape\n"
      "                      sequences in user messages, ...) and bytes that are not\n"
      "                      UTF-8 are printed as \\xHH; pipes and files always get\n"
      "                      the bytes unchanged.\n" },
};

static const char source_help[] =
    "A SOURCE is a file (plain, or compressed with gzip, zstd or xz, recognised by\n"
    "its content), '-' for standard input, a FIFO, or the socket of a program\n"
    "instrumented with eventlog-socket: unix:PATH or tcp:HOST:PORT (tcp:[::1]:PORT\n"
    "for IPv6). Write ./unix:x for a file named so. Without a SOURCE, the program's\n"
    "own variables name the socket: GHC_EVENTLOG_UNIX_PATH, or GHC_EVENTLOG_INET_HOST\n"
    "and GHC_EVENTLOG_INET_PORT.\n";

static const char exit_help[] =
    "Exit status: 0 success, 1 corrupt or unreadable input (or output error),\n"
    "2 usage error, 3 truncated input with --strict.\n";

typedef struct command command;
struct command {
    const char *name;
    const char *synopsis;         /* its usage line(s), after "Usage: eventlog " */
    const char *summary;          /* its lines in the general help */
    const char *description;      /* what its own --help says it does */
    unsigned options;             /* A_* it accepts */
    int args;                     /* operands: 1 (SOURCE) or 2 (SOURCE COMMAND) */
    /* Runs it once the options are checked; args[0] is the SOURCE. */
    int (*run)(char **args, const cli_options *opt);
    /* Or: it parses its whole command line itself (argv[0] = its name),
     * its --help included. */
    int (*main)(int argc, char **argv);
};

static int run_show(char **args, const cli_options *opt)
{
    return opt->stream ? cli_show_stream(args[0], opt) : cli_show_sorted(args[0], opt);
}

static int run_info(char **args, const cli_options *opt)
{
    return cli_info(args[0], opt);
}

static int run_record(char **args, const cli_options *opt)
{
    if (opt->output == NULL)
        return cli_usage_error(NULL, "record: missing -o FILE (where to save the eventlog)");
    char err[512];
    if (cli_record_check_output(opt->output, opt->reconnect, err, sizeof err) != 0)
        return cli_usage_error(NULL, "%s", err);
    return cli_record(args[0], opt);
}

static int run_control(char **args, const cli_options *opt)
{
    /* Validated before anything is opened: a typo never reaches the program. */
    char err[512];
    if (cli_control_check_command(args[1], err, sizeof err) != 0)
        return cli_usage_error(NULL, "%s", err);
    if (!cli_source_is_socket(args[0]))
        return cli_usage_error(NULL, "control: '%s' is not a socket (unix:PATH or tcp:HOST:PORT)",
                               args[0]);
    return cli_control(args[0], args[1], opt);
}

static const command commands[] = {
    { "show", "show [OPTIONS] SOURCE",
      "  show SOURCE         Print the eventlog exactly as 'ghc-events show' does: the\n"
      "                      event types, then every event sorted by timestamp.\n"
      "                      Memory use does not grow with the input (compressed\n"
      "                      input, pipes and sockets are spooled to a temporary file\n"
      "                      in $TMPDIR or /tmp).\n"
      "  show --stream SOURCE  The same lines, but in input order, printed as they are\n"
      "                      decoded, in constant memory: for live eventlogs.\n",
      "Print the eventlog exactly as 'ghc-events show' does: the event types, then\n"
      "every event sorted by timestamp (stable: events with equal times keep their\n"
      "order in the file). Memory use does not grow with the input: a plain file is\n"
      "re-read in place; compressed input, pipes and sockets are spooled to a\n"
      "temporary file in $TMPDIR or /tmp. On a corrupt log it prints nothing and\n"
      "exits 1.\n"
      "With --stream: the same lines in input order, printed as they are decoded, in\n"
      "constant memory, for live eventlogs (a FIFO, a socket, a growing file with\n"
      "--follow); on a corrupt log the events before the error have been printed.\n",
      A_STREAM | A_WINDOW | A_STRICT | A_FOLLOW | A_IDLE | A_RECONNECT | A_CONNECT | A_LENIENT |
      A_RAW, 1, run_show, NULL },
    { "info", "info [OPTIONS] SOURCE",
      "  info SOURCE         Summary: RTS identifier, program arguments, GHC version,\n"
      "                      event counts per type, time span, capabilities, how the\n"
      "                      log ended, and the decode throughput.\n",
      "Print a summary of the eventlog: RTS identifier, program arguments, GHC version\n"
      "(from a version event, else from an RTS identifier such as GHC-9.0.2), event\n"
      "counts per type, time span, capabilities, how the log ended, and the decode\n"
      "throughput. On a decode error it prints the summary of what came before, with\n"
      "the error as its End line, and exits 1.\n",
      A_STRICT | A_JSON | A_FOLLOW | A_IDLE | A_CONNECT | A_LENIENT | A_RAW, 1, run_info, NULL },
    { "record", "record [OPTIONS] SOURCE -o FILE",
      "  record SOURCE -o FILE  Save the eventlog, bytes exactly as received\n"
      "                      (decompressed), e.g. from a socket or a growing file.\n",
      "Save the eventlog, bytes exactly as received (decompressed for gzip, zstd and\n"
      "xz input; from the \"hdrb\" magic on for a socket session), e.g. from a socket\n"
      "or a growing file (--follow). How the input ended is reported on stderr.\n",
      A_STRICT | A_FOLLOW | A_IDLE | A_RECONNECT | A_CONNECT | A_OUTPUT | A_FORCE |
      A_LENIENT, 1, run_record, NULL },
    { "control", "control [OPTIONS] SOURCE COMMAND",
      "  control SOURCE COMMAND  Send a control command to an eventlog-socket program:\n"
      "                      start-profiling, stop-profiling, start-heap-profiling,\n"
      "                      stop-heap-profiling, request-heap-census (or camelCase),\n"
      "                      or NAMESPACE:ID.\n",
      "Send a control command to a program instrumented with eventlog-socket (SOURCE\n"
      "is its socket: unix:PATH or tcp:HOST:PORT). COMMAND is start-profiling,\n"
      "stop-profiling, start-heap-profiling, stop-heap-profiling, request-heap-census\n"
      "(or the protocol's camelCase names) or NAMESPACE:ID (ID 1..255). It is sent\n"
      "once the eventlog header arrived.\n",
      A_CONNECT | A_READ | A_LENIENT | A_RAW, 2, run_control, NULL },
    /* A command with its own parser: `main` gets its whole line (argv[0] is
     * its name) and answers its own --help. */
    { "replay", "replay [OPTIONS] FILE LISTEN",
      "  replay [OPTIONS] FILE LISTEN  Serve FILE on a socket as an eventlog-socket\n"
      "                      program would ('" CLI_NAME " replay --help').\n",
      NULL, 0, 0, NULL, cmd_replay },
    { "stats", "stats [OPTIONS] SOURCE",
      "  stats SOURCE        The '+RTS -s' figures, GC pauses, capabilities, threads,\n"
      "                      heap and user spans, in one pass ('" CLI_NAME " stats --help').\n",
      NULL, 0, 0, NULL, cmd_stats },
    { "report", "report [OPTIONS] SOURCE -o report.html",
      "  report SOURCE -o report.html  One self-contained HTML page: summary,\n"
      "                      capability timeline, GC pauses, heap, heap profile,\n"
      "                      user spans, threads ('" CLI_NAME " report --help').\n",
      NULL, 0, 0, NULL, cmd_report },
    { "export", "export --format ndjson|chrome|csv [OPTIONS] SOURCE [-o OUT]",
      "  export --format ndjson|chrome|csv SOURCE [-o OUT]  Write the events as\n"
      "                      NDJSON, a Chrome/Perfetto trace or a CSV table\n"
      "                      ('" CLI_NAME " export --help').\n",
      NULL, 0, 0, NULL, cmd_export },
    { "filter", "filter [OPTIONS] SOURCE -o OUT",
      "  filter SOURCE -o OUT  Write the events selected by type, capability, thread\n"
      "                      and time to a new eventlog ('" CLI_NAME " filter --help').\n",
      NULL, 0, 0, NULL, cmd_filter },
    { "repair", "repair [OPTIONS] SOURCE -o OUT",
      "  repair SOURCE -o OUT  Make a complete eventlog of one cut short: drop the\n"
      "                      partial last event, fix the last block, add the end\n"
      "                      marker ('" CLI_NAME " repair --help').\n",
      NULL, 0, 0, NULL, cmd_repair },
    { "merge", "merge [OPTIONS] A B [C ...] -o OUT",
      "  merge A B [C ...] -o OUT  Merge eventlogs in time order, shifting the\n"
      "                      capabilities, capsets and threads of each later one\n"
      "                      ('" CLI_NAME " merge --help').\n",
      NULL, 0, 0, NULL, cmd_merge },
    { "monitor", "monitor [OPTIONS] [SOURCE] --listen HOST:PORT",
      "  monitor [OPTIONS] [SOURCE] --listen HOST:PORT  Serve a running program's GC,\n"
      "                      heap, capability, thread, spark and user-span figures\n"
      "                      as Prometheus metrics, across restarts ('" CLI_NAME " monitor\n"
      "                      --help').\n",
      NULL, 0, 0, NULL, cmd_monitor },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fputs("Usage: " CLI_NAME " COMMAND [OPTIONS] SOURCE ...\n"
          "\n"
          "Decode GHC RTS eventlogs with libeventlog.\n"
          "\n", f);
    fputs(source_help, f);
    fputs("\nCommands ('" CLI_NAME " COMMAND --help' for one of them):\n", f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fputs(commands[i].summary, f);
    fputs("  help [COMMAND]      Print this help, or that command's.\n"
          "\nOptions:\n", f);
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        fputs(options[i].help, f);
    fputs("  -h, --help          Print this help (after a command: its own) and exit.\n"
          "  -V, --version       Print the version and exit.\n"
          "\n"
          "SIGINT or SIGTERM end a live 'show --stream', 'record' or 'control --read'\n"
          "as if the input ended there. Progress of 'show' and 'info' is shown on stderr\n"
          "when it is a terminal.\n"
          "\n", f);
    fputs(exit_help, f);
}

/* A command's own help: its synopsis, what it does, the options it takes. */
static void command_usage(const command *c, FILE *f)
{
    fprintf(f, "Usage: " CLI_NAME " %s\n\n%s\n", c->synopsis, c->description);
    fputs(source_help, f);
    fputs("\nOptions:\n", f);
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (c->options & options[i].bit)
            fputs(options[i].help, f);
    fputs("  -h, --help          Print this help and exit.\n\n", f);
    fputs(exit_help, f);
}

/* Prints a help on stdout: exit 0, or 1 if it could not be written. */
static int print_help(const command *c)
{
    if (c != NULL && c->main != NULL) {
        char *argv[] = { (char *)c->name, (char *)"--help", NULL };
        return c->main(2, argv);
    }
    if (c != NULL)
        command_usage(c, stdout);
    else
        usage(stdout);
    return cli_stdout_done("the help");
}

/* Whether any of eventlog-socket's address variables is set. */
static bool env_names_socket(void)
{
    return getenv("GHC_EVENTLOG_UNIX_PATH") || getenv("GHC_EVENTLOG_INET_HOST") ||
           getenv("GHC_EVENTLOG_INET_PORT");
}

enum {
    OPT_STRICT = 256, OPT_STREAM, OPT_JSON, OPT_FOLLOW, OPT_IDLE, OPT_RECONNECT,
    OPT_CONNECT_TIMEOUT, OPT_READ, OPT_LENIENT_BLOCKS, OPT_FORCE, OPT_RAW, OPT_WINDOW
};

typedef struct seen {
    unsigned mask;        /* A_* of the options given */
    bool idle;            /* --idle-timeout given */
} seen;

static const char *option_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (options[i].bit == bit)
            return options[i].name;
    return "?";
}

/* Checks the options against the command and its SOURCE. Returns 0 or a
 * usage error's exit code. */
static int check_options(const char *cmd, unsigned allowed, const seen *sn,
                         const cli_options *opt, const char *source)
{
    for (unsigned bit = 1; bit <= A_RAW; bit <<= 1)
        if ((sn->mask & bit) && !(allowed & bit))
            return cli_usage_error(NULL, "option '%s' does not apply to '%s'", option_name(bit), cmd);
    if (sn->idle && !opt->follow && !cli_source_is_socket(source))
        return cli_usage_error(NULL, "option '--idle-timeout' applies with '--follow', or to "
                               "sockets");
    if ((sn->mask & A_WINDOW) && !opt->stream)
        return cli_usage_error(NULL, "option '--window' applies to 'show --stream' (a sorted "
                           "'show' orders the whole log)");
    if (opt->reconnect && strcmp(cmd, "show") == 0 && !opt->stream)
        return cli_usage_error(NULL, "option '--reconnect' applies to 'show --stream' (a sorted 'show' "
                           "reads one eventlog)");
    bool socket = cli_source_is_socket(source);
    if (opt->follow && socket)
        return cli_usage_error(NULL, "option '--follow' applies to files and pipes; "
                           "use '--reconnect' with a socket");
    if (opt->reconnect && !socket)
        return cli_usage_error(NULL, "option '--reconnect' applies to sockets (unix:PATH, tcp:HOST:PORT); "
                           "use '--follow' with a file");
    if ((sn->mask & A_CONNECT) && !socket)
        return cli_usage_error(NULL, "option '--connect-timeout' applies to sockets (unix:PATH, "
                           "tcp:HOST:PORT)");
    char err[ELOG_SOCKET_ERRLEN];
    if (cli_source_check(source, err, sizeof err) != 0)
        return cli_usage_error(NULL, "%s", err);
    return 0;
}

int main(int argc, char **argv)
{
    /* A closed pipe must surface as EPIPE so output errors are handled in
     * one place (output.c) instead of killing the process mid-write. */
    signal(SIGPIPE, SIG_IGN);

    /* A command with a parser of its own (replay, stats, filter, ...) gets
     * its whole line. */
    if (argc >= 2) {
        const command *own = find_command(argv[1]);
        if (own != NULL && own->main != NULL)
            return own->main(argc - 1, argv + 1);
    }

    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "strict", no_argument, NULL, OPT_STRICT },
        { "stream", no_argument, NULL, OPT_STREAM },
        { "json", no_argument, NULL, OPT_JSON },
        { "follow", no_argument, NULL, OPT_FOLLOW },
        { "idle-timeout", required_argument, NULL, OPT_IDLE },
        { "reconnect", no_argument, NULL, OPT_RECONNECT },
        { "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
        { "output", required_argument, NULL, 'o' },
        { "read", required_argument, NULL, OPT_READ },
        { "lenient-blocks", no_argument, NULL, OPT_LENIENT_BLOCKS },
        { "force", no_argument, NULL, OPT_FORCE },
        { "raw", no_argument, NULL, OPT_RAW },
        { "window", required_argument, NULL, OPT_WINDOW },
        { NULL, 0, NULL, 0 },
    };

    cli_options opt;
    memset(&opt, 0, sizeof opt);
    opt.idle_timeout_ms = CLI_DEFAULT_IDLE_TIMEOUT_MS;
    opt.connect_timeout_ms = CLI_DEFAULT_CONNECT_TIMEOUT_MS;
    opt.read_ms = -1;
    opt.window_ms = -1;
    seen sn = { 0, false };
    bool help = false;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "hVo:", longopts, NULL)) != -1) {
        unsigned ms;
        switch (c) {
        case 'h':
            help = true; /* the command's own help, once the command is known */
            break;
        case 'V':
            /* the CLI's own version is the release it was built from; the
             * library's is the one it runs with (they differ only when a
             * different libeventlog.so is loaded) */
            printf(CLI_NAME " " ELOG_VERSION_STRING " (libeventlog %s)\n", elog_version());
            return cli_stdout_done("the version");
        case OPT_STRICT:
            opt.strict = true;
            sn.mask |= A_STRICT;
            break;
        case OPT_STREAM:
            opt.stream = true;
            sn.mask |= A_STREAM;
            break;
        case OPT_JSON:
            opt.json = true;
            sn.mask |= A_JSON;
            break;
        case OPT_FOLLOW:
            opt.follow = true;
            sn.mask |= A_FOLLOW;
            break;
        case OPT_IDLE:
            if (!cli_ms_option(NULL, "--idle-timeout", optarg, false, &ms))
                return CLI_EXIT_USAGE;
            opt.idle_timeout_ms = ms;
            sn.idle = true;
            sn.mask |= A_IDLE;
            break;
        case OPT_RECONNECT:
            opt.reconnect = true;
            sn.mask |= A_RECONNECT;
            break;
        case OPT_CONNECT_TIMEOUT:
            if (!cli_ms_option(NULL, "--connect-timeout", optarg, true, &ms))
                return CLI_EXIT_USAGE;
            opt.connect_timeout_ms = ms;
            sn.mask |= A_CONNECT;
            break;
        case 'o':
            opt.output = optarg;
            sn.mask |= A_OUTPUT;
            break;
        case OPT_RAW:
            cli_raw_output = true;
            sn.mask |= A_RAW;
            break;
        case OPT_FORCE:
            opt.force = true;
            sn.mask |= A_FORCE;
            break;
        case OPT_WINDOW:
            if (!cli_ms_option(NULL, "--window", optarg, false, &ms))
                return CLI_EXIT_USAGE;
            opt.window_ms = (long)ms;
            sn.mask |= A_WINDOW;
            break;
        case OPT_LENIENT_BLOCKS:
            cli_decoder_options |= ELOG_OPT_LENIENT_BLOCKS;
            sn.mask |= A_LENIENT;
            break;
        case OPT_READ:
            if (!cli_ms_option(NULL, "--read", optarg, false, &ms))
                return CLI_EXIT_USAGE;
            opt.read_ms = (long)ms;
            sn.mask |= A_READ;
            break;
        default: {
            if (optopt == 'o')
                return cli_usage_error(NULL, "option '-o' needs a FILE");
            if (optopt != 0 && optopt < 256) {
                char s[3] = { '-', (char)optopt, 0 };
                return cli_usage_error(NULL, "unknown option '%s'", s);
            }
            const char *bad = argv[optind - 1];
            if (optopt != 0)
                return cli_usage_error(NULL, "option '%s' needs an argument", bad);
            if (strchr(bad, '=') != NULL)
                return cli_usage_error(NULL, "option '%s' does not take an argument", bad);
            return cli_usage_error(NULL, "unknown option '%s'", bad);
        }
        }
    }

    if (optind >= argc) {
        if (help)
            return print_help(NULL);
        char names[256] = "";
        for (size_t i = 0; i < N_COMMANDS; i++) {
            size_t at = strlen(names);
            snprintf(names + at, sizeof names - at, "%s, ", commands[i].name);
        }
        return cli_usage_error(NULL, "missing command (%shelp)", names);
    }
    const char *cmd_name = argv[optind++];
    int nargs = argc - optind;
    char **args = argv + optind;

    if (strcmp(cmd_name, "help") == 0) {
        if (nargs == 0)
            return print_help(NULL);
        const command *which = find_command(args[0]);
        if (which == NULL)
            return cli_usage_error(NULL, "help: unknown command '%s'", args[0]);
        return print_help(which);
    }
    const command *cmd = find_command(cmd_name);
    if (cmd == NULL)
        return cli_usage_error(NULL, "unknown command '%s'", cmd_name);
    if (help)
        return print_help(cmd);
    if (cmd->main != NULL)
        return cli_usage_error(NULL, "'%s' takes its options after it: " CLI_NAME " %s",
                               cmd->name, cmd->synopsis);

    /* Without a SOURCE, the eventlog-socket variables that tell a program
     * where to listen tell us where to connect. */
    int want_args = cmd->args;
    char env_source[ELOG_SOCKET_ADDR_STRLEN];
    char *env_args[2];
    if (nargs == want_args - 1 && env_names_socket()) {
        elog_socket_addr addr;
        char err[ELOG_SOCKET_ERRLEN];
        if (elog_socket_addr_from_env(&addr, err, sizeof err) != ELOG_SOCKET_OK)
            return cli_usage_error(NULL, "%s: no SOURCE given and %s", cmd->name, err);
        if (elog_socket_addr_format(&addr, env_source, sizeof env_source) >= sizeof env_source)
            return cli_usage_error(NULL, "%s: the address from the environment is too long",
                                   cmd->name);
        env_args[0] = env_source;
        if (nargs == 1)
            env_args[1] = args[0];
        args = env_args;
        nargs++;
    }
    if (nargs == 0)
        return cli_usage_error(NULL, "%s: missing SOURCE (a file, '-', unix:PATH or tcp:HOST:PORT, "
                           "or set GHC_EVENTLOG_UNIX_PATH / GHC_EVENTLOG_INET_HOST+PORT)", cmd->name);
    if (nargs < want_args)
        return cli_usage_error(NULL, "%s: missing COMMAND (a built-in name or NAMESPACE:ID)",
                               cmd->name);
    if (nargs > want_args)
        return cli_usage_error(NULL, "%s: too many arguments (%s expected)", cmd->name,
                           want_args == 1 ? "one SOURCE" : "SOURCE COMMAND");
    int rc = check_options(cmd->name, cmd->options, &sn, &opt, args[0]);
    if (rc != 0)
        return rc;
    /* Sockets: no idle limit unless asked (a live program may be quiet). */
    if (cli_source_is_socket(args[0]) && !sn.idle)
        opt.idle_timeout_ms = 0;
    return cmd->run(args, &opt);
}

/*
 * The `eventlog` command: argument parsing (getopt_long), usage text and
 * dispatch to the subcommands, which live in their own files (show_sorted.c,
 * show_stream.c, info.c, record.c, control.c, replay.c). Nothing here
 * touches eventlog data.
 */
#include "cli.h"
#include "replay.h"
#include "stats.h"
#ifdef ELOG_HAVE_MONITOR
#include "monitor.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs(
        "Usage: " CLI_NAME " COMMAND [OPTIONS] SOURCE ...\n"
        "\n"
        "Decode GHC RTS eventlogs with libeventlog. A SOURCE is a file (plain or\n"
        "gzip-compressed, recognised by its content), '-' for standard input, a FIFO,\n"
        "or the socket of a program instrumented with eventlog-socket: unix:PATH or\n"
        "tcp:HOST:PORT (tcp:[::1]:PORT for IPv6). Write ./unix:x for a file named so.\n"
        "Without a SOURCE, the program's own variables name the socket:\n"
        "GHC_EVENTLOG_UNIX_PATH, or GHC_EVENTLOG_INET_HOST and GHC_EVENTLOG_INET_PORT.\n"
        "\n"
        "Commands:\n"
        "  show SOURCE         Print the eventlog exactly as 'ghc-events show' does: the\n"
        "                      event types, then every event sorted by timestamp.\n"
        "                      Memory use does not grow with the input (compressed\n"
        "                      input, pipes and sockets are spooled to a temporary file\n"
        "                      in $TMPDIR or /tmp).\n"
        "  show --stream SOURCE  The same lines, but in input order, printed as they are\n"
        "                      decoded, in constant memory: for live eventlogs.\n"
        "  info SOURCE         Summary: RTS identifier, program arguments, GHC version,\n"
        "                      event counts per type, time span, capabilities, how the\n"
        "                      log ended, and the decode throughput.\n"
        "  stats SOURCE        The '+RTS -s' figures, GC pauses, capabilities, threads,\n"
        "                      heap and user spans, in one pass ('" CLI_NAME " stats --help').\n"
        "  record SOURCE -o FILE  Save the eventlog, bytes exactly as received\n"
        "                      (decompressed), e.g. from a socket or a growing file.\n"
        "  control SOURCE COMMAND  Send a control command to an eventlog-socket program:\n"
        "                      start-profiling, stop-profiling, start-heap-profiling,\n"
        "                      stop-heap-profiling, request-heap-census (or camelCase),\n"
        "                      or NAMESPACE:ID.\n"
        "  replay [OPTIONS] FILE LISTEN  Serve FILE on a socket as an eventlog-socket\n"
        "                      program would ('" CLI_NAME " replay --help').\n"
        "  monitor [OPTIONS] [SOURCE] --listen HOST:PORT  Serve a running program's GC,\n"
        "                      heap, capability, thread, spark and user-span figures\n"
        "                      as Prometheus metrics, across restarts ('" CLI_NAME " monitor\n"
        "                      --help').\n"
        "  help                Print this help.\n"
        "\n"
        "Options:\n"
        "  --stream            (show) input order, incremental output.\n"
        "  --strict            Exit with status 3 if the input is truncated (it is\n"
        "                      otherwise only a warning).\n"
        "  --json              (info) Print the summary as one JSON object.\n"
        "  --follow            (files, pipes) A program is still writing the file: wait\n"
        "                      for more until the end-of-data marker arrives.\n"
        "  --idle-timeout MS   With --follow, stop after MS milliseconds without new\n"
        "                      data (default 2000; 0 waits for ever). With a socket,\n"
        "                      stop when it sends nothing for MS ms (default: no\n"
        "                      limit), as if the input ended there.\n"
        "  --reconnect         (show --stream, record; sockets) When a session ends,\n"
        "                      connect again: every connection is a new eventlog.\n"
        "                      'show --stream' prints the header of the first session\n"
        "                      only and announces later ones on stderr ('# session N:');\n"
        "                      'record' writes FILE, FILE.1, FILE.2, ... (or FILE with\n"
        "                      %d replaced by the session number).\n"
        "  --connect-timeout MS  (sockets) Keep trying to connect for MS milliseconds\n"
        "                      (default 10000); with --reconnect, stop when no\n"
        "                      server accepts for that long.\n"
        "  -o, --output FILE   (record) Where to save; '-' for standard output. The file\n"
        "                      is written under a temporary name and renamed when its\n"
        "                      stream ends with a complete header: input that is not\n"
        "                      an eventlog leaves no file, and copying stops at the\n"
        "                      first decode error. An input is never overwritten.\n"
        "  --force             (record) Replace FILE if it exists (refused otherwise).\n"
        "  --read MS           (control) Print the session as 'show --stream' does until\n"
        "                      MS milliseconds after the command was sent.\n"
        "  -h, --help          Print this help and exit.\n"
        "  -V, --version       Print the version and exit.\n"
        "\n"
        "SIGINT or SIGTERM end a live 'show --stream', 'record' or 'control --read'\n"
        "as if the input ended there. Progress of 'show' and 'info' is shown on stderr\n"
        "when it is a terminal.\n"
        "\n"
        "Exit status: 0 success, 1 corrupt or unreadable input (or output error),\n"
        "2 usage error, 3 truncated input with --strict.\n",
        f);
}

/* Whether any of eventlog-socket's address variables is set. */
static bool env_names_socket(void)
{
    return getenv("GHC_EVENTLOG_UNIX_PATH") || getenv("GHC_EVENTLOG_INET_HOST") ||
           getenv("GHC_EVENTLOG_INET_PORT");
}

/* A number of milliseconds, 0 .. one day. */
static bool parse_ms(const char *s, unsigned *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > 86400000ul)
        return false;
    *out = (unsigned)v;
    return true;
}

enum {
    OPT_STRICT = 256, OPT_STREAM, OPT_JSON, OPT_FOLLOW, OPT_IDLE, OPT_RECONNECT,
    OPT_CONNECT_TIMEOUT, OPT_READ, OPT_FORCE
};

/* Which options a command accepts (bit per option). */
enum {
    A_STREAM = 1 << 0, A_STRICT = 1 << 1, A_JSON = 1 << 2, A_FOLLOW = 1 << 3,
    A_RECONNECT = 1 << 4, A_CONNECT = 1 << 5, A_OUTPUT = 1 << 6, A_READ = 1 << 7,
    A_FORCE = 1 << 8
};

typedef struct seen {
    unsigned mask;        /* A_* of the options given */
    bool idle;            /* --idle-timeout given */
} seen;

static const char *option_name(unsigned bit)
{
    switch (bit) {
    case A_STREAM: return "--stream";
    case A_STRICT: return "--strict";
    case A_JSON: return "--json";
    case A_FOLLOW: return "--follow";
    case A_RECONNECT: return "--reconnect";
    case A_CONNECT: return "--connect-timeout";
    case A_OUTPUT: return "--output";
    case A_READ: return "--read";
    case A_FORCE: return "--force";
    default: return "?";
    }
}

/* Checks the options against the command and its SOURCE. Returns 0 or a
 * usage error's exit code. */
static int check_options(const char *cmd, unsigned allowed, const seen *sn,
                         const cli_options *opt, const char *source)
{
    for (unsigned bit = 1; bit <= A_FORCE; bit <<= 1)
        if ((sn->mask & bit) && !(allowed & bit))
            return cli_usage_error(NULL, "option '%s' does not apply to '%s'", option_name(bit), cmd);
    if (sn->idle && !(allowed & A_FOLLOW))
        return cli_usage_error(NULL, "option '--idle-timeout' does not apply to '%s'", cmd);
    if (sn->idle && !opt->follow && !cli_source_is_socket(source))
        return cli_usage_error(NULL, "option '--idle-timeout' applies with '--follow', or to "
                               "sockets");
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
    /* `replay` has options of its own: it parses its whole command line. */
    if (argc >= 2 && strcmp(argv[1], "replay") == 0)
        return cmd_replay(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "stats") == 0)
        return cmd_stats(argc - 1, argv + 1);
    /* So has `monitor` (monitor.c). */
    if (argc >= 2 && strcmp(argv[1], "monitor") == 0) {
#ifdef ELOG_HAVE_MONITOR
        return cmd_monitor(argc - 1, argv + 1);
#else
        return cli_usage_error(NULL, "'monitor' is not built in: libmicrohttpd was not found "
                               "when " CLI_NAME " was built (Debian: libmicrohttpd-dev)");
#endif
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
        { "force", no_argument, NULL, OPT_FORCE },
        { NULL, 0, NULL, 0 },
    };

    /* A closed pipe must surface as EPIPE so output errors are handled in
     * one place (output.c) instead of killing the process mid-write. */
    signal(SIGPIPE, SIG_IGN);

    cli_options opt;
    memset(&opt, 0, sizeof opt);
    opt.idle_timeout_ms = CLI_DEFAULT_IDLE_TIMEOUT_MS;
    opt.connect_timeout_ms = CLI_DEFAULT_CONNECT_TIMEOUT_MS;
    opt.read_ms = -1;
    seen sn = { 0, false };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "hVo:", longopts, NULL)) != -1) {
        unsigned ms;
        switch (c) {
        case 'h':
            usage(stdout);
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
        case 'V':
            printf(CLI_NAME " " CLI_VERSION " (libeventlog " ELOG_VERSION_STRING ")\n");
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
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
            if (!parse_ms(optarg, &ms))
                return cli_usage_error(NULL, "--idle-timeout: '%s' is not a number of milliseconds",
                                   optarg);
            opt.idle_timeout_ms = ms;
            sn.idle = true;
            break;
        case OPT_RECONNECT:
            opt.reconnect = true;
            sn.mask |= A_RECONNECT;
            break;
        case OPT_CONNECT_TIMEOUT:
            if (!parse_ms(optarg, &ms) || ms == 0)
                return cli_usage_error(NULL, "--connect-timeout: '%s' is not a positive number of "
                                   "milliseconds", optarg);
            opt.connect_timeout_ms = ms;
            sn.mask |= A_CONNECT;
            break;
        case 'o':
            opt.output = optarg;
            sn.mask |= A_OUTPUT;
            break;
        case OPT_FORCE:
            opt.force = true;
            sn.mask |= A_FORCE;
            break;
        case OPT_READ:
            if (!parse_ms(optarg, &ms))
                return cli_usage_error(NULL, "--read: '%s' is not a number of milliseconds", optarg);
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

    if (optind >= argc)
        return cli_usage_error(NULL, "missing command (show, info, stats, record, control, replay or help)");
    const char *cmd = argv[optind++];
    int nargs = argc - optind;
    char **args = argv + optind;

    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
    }
    if (strcmp(cmd, "replay") == 0)
        return cli_usage_error(NULL, "'replay' takes its options after it: "
                           CLI_NAME " replay [OPTIONS] FILE LISTEN");

    unsigned allowed;
    int want_args;
    if (strcmp(cmd, "show") == 0) {
        allowed = A_STREAM | A_STRICT | A_FOLLOW | A_RECONNECT | A_CONNECT;
        want_args = 1;
    } else if (strcmp(cmd, "info") == 0) {
        allowed = A_STRICT | A_JSON | A_FOLLOW | A_CONNECT;
        want_args = 1;
    } else if (strcmp(cmd, "record") == 0) {
        allowed = A_STRICT | A_FOLLOW | A_RECONNECT | A_CONNECT | A_OUTPUT | A_FORCE;
        want_args = 1;
    } else if (strcmp(cmd, "control") == 0) {
        allowed = A_CONNECT | A_READ;
        want_args = 2;
    } else {
        return cli_usage_error(NULL, "unknown command '%s'", cmd);
    }

    /* Without a SOURCE, the eventlog-socket variables that tell a program
     * where to listen tell us where to connect. */
    char env_source[ELOG_SOCKET_ADDR_STRLEN];
    char *env_args[2];
    if (nargs == want_args - 1 && env_names_socket()) {
        elog_socket_addr addr;
        char err[ELOG_SOCKET_ERRLEN];
        if (elog_socket_addr_from_env(&addr, err, sizeof err) != ELOG_SOCKET_OK)
            return cli_usage_error(NULL, "%s: no SOURCE given and %s", cmd, err);
        if (elog_socket_addr_format(&addr, env_source, sizeof env_source) >= sizeof env_source)
            return cli_usage_error(NULL, "%s: the address from the environment is too long", cmd);
        env_args[0] = env_source;
        if (nargs == 1)
            env_args[1] = args[0];
        args = env_args;
        nargs++;
    }
    if (nargs == 0)
        return cli_usage_error(NULL, "%s: missing SOURCE (a file, '-', unix:PATH or tcp:HOST:PORT, "
                           "or set GHC_EVENTLOG_UNIX_PATH / GHC_EVENTLOG_INET_HOST+PORT)", cmd);
    if (nargs < want_args)
        return cli_usage_error(NULL, "%s: missing COMMAND (a built-in name or NAMESPACE:ID)", cmd);
    if (nargs > want_args)
        return cli_usage_error(NULL, "%s: too many arguments (%s expected)", cmd,
                           want_args == 1 ? "one SOURCE" : "SOURCE COMMAND");
    const char *source = args[0];
    int rc = check_options(cmd, allowed, &sn, &opt, source);
    if (rc != 0)
        return rc;
    /* Sockets: no idle limit unless asked (a live program may be quiet). */
    if (cli_source_is_socket(source) && !sn.idle)
        opt.idle_timeout_ms = 0;

    if (strcmp(cmd, "record") == 0) {
        if (opt.output == NULL)
            return cli_usage_error(NULL, "record: missing -o FILE (where to save the eventlog)");
        char err[512];
        if (cli_record_check_output(opt.output, opt.reconnect, err, sizeof err) != 0)
            return cli_usage_error(NULL, "%s", err);
        return cli_record(source, &opt);
    }
    if (strcmp(cmd, "control") == 0) {
        /* Validated before anything is opened: a typo never reaches the program. */
        char err[512];
        if (cli_control_check_command(args[1], err, sizeof err) != 0)
            return cli_usage_error(NULL, "%s", err);
        if (!cli_source_is_socket(source))
            return cli_usage_error(NULL, "control: '%s' is not a socket (unix:PATH or tcp:HOST:PORT)",
                               source);
        return cli_control(source, args[1], &opt);
    }
    if (strcmp(cmd, "info") == 0)
        return cli_info(source, &opt);
    return opt.stream ? cli_show_stream(source, &opt) : cli_show_sorted(source, &opt);
}

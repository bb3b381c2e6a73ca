/*
 * Option values of the `eventlog` commands (cli.h): decimal counts and
 * milliseconds, and times with a unit. One parser each, so that every
 * command accepts the same spellings and ranges; and the option groups that
 * several commands with their own parser share.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cli_parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned *out)
{
    if (*s < '0' || *s > '9')
        return false; /* strtoul would take a sign or spaces */
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi || v > UINT32_MAX)
        return false;
    *out = (unsigned)v;
    return true;
}

bool cli_parse_ms(const char *s, unsigned lo, unsigned *out)
{
    return cli_parse_uint(s, lo, 86400000ul, out);
}

bool cli_ms_option(const char *command, const char *option, const char *arg, bool positive,
                   unsigned *out)
{
    if (cli_parse_ms(arg, positive ? 1 : 0, out))
        return true;
    cli_usage_error(command, "%s: '%s' is not a %snumber of milliseconds", option, arg,
                    positive ? "positive " : "");
    return false;
}

void cli_source_opts_init(cli_source_opts *o)
{
    *o = (cli_source_opts){ .idle_ms = CLI_DEFAULT_IDLE_TIMEOUT_MS,
                            .connect_ms = CLI_DEFAULT_CONNECT_TIMEOUT_MS };
}

int cli_source_option(const char *command, int ch, const char *arg, cli_source_opts *o)
{
    switch (ch) {
    case CLI_OPT_FOLLOW:
        o->follow = true;
        return 1;
    case CLI_OPT_IDLE:
        o->idle_given = true;
        return cli_ms_option(command, "--idle-timeout", arg, false, &o->idle_ms);
    case CLI_OPT_CONNECT:
        return cli_ms_option(command, "--connect-timeout", arg, true, &o->connect_ms);
    default:
        return -1;
    }
}

bool cli_parse_time(const char *s, uint64_t *ns)
{
    const char *p = s;
    if (*p < '0' || *p > '9')
        return false;
    unsigned __int128 ip = 0, frac = 0, fscale = 1;
    while (*p >= '0' && *p <= '9') {
        ip = ip * 10 + (unsigned)(*p++ - '0');
        if (ip > UINT64_MAX)
            return false;
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9') {
            if (fscale < (unsigned __int128)1e18) {
                frac = frac * 10 + (unsigned)(*p - '0');
                fscale *= 10;
            }
            p++;
        }
    }
    uint64_t unit;
    if (strcmp(p, "") == 0 || strcmp(p, "ns") == 0)
        unit = 1;
    else if (strcmp(p, "us") == 0)
        unit = 1000;
    else if (strcmp(p, "ms") == 0)
        unit = 1000000;
    else if (strcmp(p, "s") == 0)
        unit = 1000000000;
    else
        return false;
    if (*p == '\0' && fscale != 1)
        return false; /* a fraction of a nanosecond */
    unsigned __int128 v = ip * unit + frac * unit / fscale;
    if (v > UINT64_MAX)
        return false;
    *ns = (uint64_t)v;
    return true;
}

int cli_output_args(const char *command, const char *help, int argc, char **argv,
                    const char **output, bool *force)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "output", required_argument, NULL, 'o' },
        { "force", no_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(help, stdout);
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
        case 'o':
            *output = optarg;
            break;
        case 'f':
            *force = true;
            break;
        default:
            return cli_getopt_error(command, argv, "o", "a FILE");
        }
    }
    return -1;
}

const char *cli_source_operand(const char *command, int argc, char **argv)
{
    if (argc - optind == 1)
        return argv[optind];
    cli_usage_error(command, "%s", argc - optind < 1
                    ? "missing SOURCE (a file, '-', unix:PATH or tcp:HOST:PORT)"
                    : "too many arguments (one SOURCE expected)");
    return NULL;
}

int cli_getopt_error(const char *command, char **argv, const char *with_arg, const char *arg_name)
{
    if (optopt != 0 && optopt < 256 && strchr(with_arg, optopt))
        return cli_usage_error(command, "option '-%c' needs %s", optopt, arg_name);
    if (optopt != 0 && optopt < 256) {
        char s[3] = {'-', (char)optopt, 0};
        return cli_usage_error(command, "unknown option '%s'", s);
    }
    if (optopt >= 256)
        return cli_usage_error(command, "option '%s' needs an argument", argv[optind - 1]);
    return cli_usage_error(command, "unknown option '%s'", argv[optind - 1]);
}

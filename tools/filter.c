/*
 * `eventlog filter SOURCE -o OUT [selection]`: a new eventlog with the whole
 * header of SOURCE and exactly the selected events, in blocks of their
 * capability (library: elog_filter, elog_log_writer). Without selection
 * options OUT is SOURCE byte for byte (a complete one).
 */
#include "rewrite.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char filter_help[] =
    "Usage: " CLI_NAME " filter SOURCE -o OUT [OPTIONS]\n"
    "\n"
    "Write a new eventlog holding the whole header of SOURCE (every event-type\n"
    "declaration) and exactly the selected events, each in a block of its\n"
    "capability, in input order. Without selection options OUT is a byte-for-byte\n"
    "copy of a complete SOURCE. SOURCE is any source (file, '-', gzip, socket).\n"
    "\n"
    "Selection (combinable: an event must match all that are given):\n"
    "  --type T[,T...]       only these event types: catalogue names (create_thread,\n"
    "                        USER_MSG, ...) or numeric ids\n"
    "  --exclude-type T[,T...]  every type except these\n"
    "  --cap N[,N...]        only events of these capabilities (65535: events of no\n"
    "                        capability: the global buffer, outside blocks)\n"
    "  --thread N[,N...]     only events with a thread field equal to one of these\n"
    "                        (create/run/stop thread, thread label, ...)\n"
    "  --from TIME, --to TIME  only events with from <= time <= to. TIME is eventlog\n"
    "                        time in nanoseconds, or with a unit: 1.5s, 200ms, 10us, 5ns\n"
    "\n"
    "Output:\n"
    "  -o, --output OUT      '-' for standard output; a name ending in .gz is gzip-\n"
    "                        compressed. OUT is written under a temporary name next to\n"
    "                        it and renamed when complete; it may not be SOURCE.\n"
    "  --force               replace an existing OUT\n"
    "  --strict              exit 3 if SOURCE is truncated\n"
    "\n"
    "Exit status: 0 ok, 1 corrupt or unreadable input or output error (no OUT is\n"
    "left), 2 usage error, 3 truncated input with --strict.\n";

enum { OPT_TYPE = 256, OPT_EXCLUDE, OPT_CAP, OPT_THREAD, OPT_FROM, OPT_TO, OPT_FORCE, OPT_STRICT };

/* A catalogue type name (any case, '-' for '_') or a number. */
static bool parse_type(const char *s, size_t n, uint16_t *id)
{
    char name[64];
    if (n == 0 || n >= sizeof name)
        return false;
    memcpy(name, s, n);
    name[n] = '\0';
    if (isdigit((unsigned char)name[0])) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(name, &end, 10);
        if (errno || *end || v >= 0xffff)
            return false;
        *id = (uint16_t)v;
        return true;
    }
    for (char *p = name; *p; p++)
        if (*p == '-')
            *p = '_';
    size_t count;
    const elog_layout_info *cat = elog_catalogue(&count);
    for (size_t i = 0; i < count; i++)
        if (strcasecmp(cat[i].name, name) == 0) {
            *id = cat[i].id;
            return true;
        }
    return false;
}

/* Appends the comma-separated items of `arg` to a growing array. */
static int add_list(const char *opt, const char *arg, int kind, void **v, size_t *n)
{
    const char *p = arg;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        uint64_t val = 0;
        bool ok;
        if (kind == 0) {
            uint16_t id;
            ok = parse_type(p, len, &id);
            val = id;
        } else {
            char tmp[32];
            ok = len > 0 && len < sizeof tmp && isdigit((unsigned char)p[0]);
            if (ok) {
                memcpy(tmp, p, len);
                tmp[len] = '\0';
                char *end;
                errno = 0;
                unsigned long long num = strtoull(tmp, &end, 10);
                ok = !errno && !*end && num <= (kind == 1 ? 0xffffu : 0xffffffffu);
                val = num;
            }
        }
        if (!ok)
            return cli_usage_error("filter", "%s: '%.*s' is not %s", opt, (int)len, p,
                                   kind == 0 ? "an event type name or id (see the catalogue: "
                                   "libeventlog/catalogue.txt)" : kind == 1 ?
                                   "a capability number" : "a thread id");
        size_t sz = kind == 2 ? sizeof(uint32_t) : sizeof(uint16_t);
        void *nv = realloc(*v, (*n + 1) * sz);
        if (nv == NULL)
            return cli_usage_error("filter", "out of memory");
        *v = nv;
        if (kind == 2)
            ((uint32_t *)nv)[*n] = (uint32_t)val;
        else
            ((uint16_t *)nv)[*n] = (uint16_t)val;
        (*n)++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int cmd_filter(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "output", required_argument, NULL, 'o' },
        { "type", required_argument, NULL, OPT_TYPE },
        { "exclude-type", required_argument, NULL, OPT_EXCLUDE },
        { "cap", required_argument, NULL, OPT_CAP },
        { "thread", required_argument, NULL, OPT_THREAD },
        { "from", required_argument, NULL, OPT_FROM },
        { "to", required_argument, NULL, OPT_TO },
        { "force", no_argument, NULL, OPT_FORCE },
        { "strict", no_argument, NULL, OPT_STRICT },
        { NULL, 0, NULL, 0 },
    };
    elog_filter f;
    elog_filter_init(&f);
    void *types = NULL, *caps = NULL, *threads = NULL;
    size_t n_types = 0, n_caps = 0, n_threads = 0;
    bool include = false, exclude = false;
    cli_rewrite_job job = { .cmd = "filter", .filter = &f };
    int rc = -1, c;
    opterr = 0;
    optind = 1;
    while (rc < 0 && (c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(filter_help, stdout);
            rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
            break;
        case 'o':
            job.output = optarg;
            break;
        case OPT_TYPE:
        case OPT_EXCLUDE:
            if (c == OPT_TYPE)
                include = true;
            else
                exclude = true;
            if (include && exclude)
                rc = cli_usage_error("filter", "--type and --exclude-type do not combine: give one");
            else if (add_list(c == OPT_TYPE ? "--type" : "--exclude-type", optarg, 0, &types, &n_types))
                rc = CLI_EXIT_USAGE;
            break;
        case OPT_CAP:
            if (add_list("--cap", optarg, 1, &caps, &n_caps))
                rc = CLI_EXIT_USAGE;
            break;
        case OPT_THREAD:
            if (add_list("--thread", optarg, 2, &threads, &n_threads))
                rc = CLI_EXIT_USAGE;
            break;
        case OPT_FROM:
        case OPT_TO:
            if (!cli_parse_time(optarg, c == OPT_FROM ? &f.from : &f.to))
                rc = cli_usage_error("filter", "%s: '%s' is not a time (nanoseconds, or a number "
                                     "with s, ms, us or ns: 1.5s, 200ms)",
                                     c == OPT_FROM ? "--from" : "--to", optarg);
            break;
        case OPT_FORCE:
            job.force = true;
            break;
        case OPT_STRICT:
            job.strict = true;
            break;
        default:
            if (optopt == 'o')
                rc = cli_usage_error("filter", "option '-o' needs a FILE");
            else if (optopt != 0)
                rc = cli_usage_error("filter", "option '%s' needs an argument", argv[optind - 1]);
            else
                rc = cli_usage_error("filter", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (rc < 0) {
        if (optind != argc - 1)
            rc = cli_usage_error("filter", optind >= argc ? "missing SOURCE" : "one SOURCE expected");
        else if (job.output == NULL)
            rc = cli_usage_error("filter", "missing -o OUT (where to write the eventlog)");
        else if (f.from > f.to)
            rc = cli_usage_error("filter", "--from is after --to");
    }
    if (rc < 0) {
        job.source = argv[optind];
        f.types = types;
        f.n_types = n_types;
        f.exclude_types = exclude;
        f.caps = caps;
        f.n_caps = n_caps;
        f.threads = threads;
        f.n_threads = n_threads;
        char err[512];
        if (cli_source_check(job.source, err, sizeof err) != 0)
            rc = cli_usage_error("filter", "%s", err);
        else
            rc = cli_rewrite(&job);
    }
    free(types);
    free(caps);
    free(threads);
    return rc;
}

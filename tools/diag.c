/*
 * Diagnostics of the `eventlog` tool: every message on stderr goes through
 * here so that they share one shape ("eventlog: [warning: ]FILE: what (at
 * byte offset N)") and so that the mapping from how a stream ended
 * (elog_end) to a message and an exit code is written once for all
 * subcommands.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vmessage(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
    cli_progress_clear();
    /* Locked so that the pieces of one message stay together. */
    flockfile(stderr);
    fputs(CLI_NAME ": ", stderr);
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", fmt, ap);
    va_end(ap);
}

void cli_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("warning: ", fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *sep = command ? " " : "";
    command = command ? command : "";
    cli_progress_clear();
    flockfile(stderr);
    fprintf(stderr, CLI_NAME "%s%s: ", sep, command);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '" CLI_NAME "%s%s --help' for more information.\n", sep, command);
    funlockfile(stderr);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

void cli_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_progress_clear();
    flockfile(stderr);
    fputs("# ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}

int cli_worse(int a, int b)
{
    /* An error outranks a truncation under --strict, which outranks success. */
    static const int rank[] = { [CLI_EXIT_OK] = 0, [CLI_EXIT_BAD_INPUT] = 3,
                                [CLI_EXIT_USAGE] = 2, [CLI_EXIT_TRUNCATED] = 1 };
    int ra = a >= 0 && a <= 3 ? rank[a] : 3, rb = b >= 0 && b <= 3 ? rank[b] : 3;
    return ra >= rb ? a : b;
}

bool cli_end_usable(const elog_end *end)
{
    switch (end->kind) {
    case ELOG_END_CLEAN:
    case ELOG_END_TRUNCATED_BETWEEN_EVENTS:
    case ELOG_END_TRUNCATED_IN_EVENT:
        return true;
    default:
        return false;
    }
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

/* Whether end->bytes_missing is exact for a record cut short: it is once the
 * record's length is known (a fixed-size type, or a variable one whose u16
 * length prefix was read). */
static bool missing_is_exact(const elog_end *end, const elog_header *h)
{
    if (!end->id_known || h == NULL)
        return false;
    const elog_event_type *t = elog_header_lookup(h, end->event_id);
    if (t == NULL)
        return false;
    if (t->size != ELOG_VARIABLE_SIZE)
        return true;
    return end->total_bytes >= end->offset + 12;
}

volatile sig_atomic_t cli_interrupted;

int cli_stdout_done(const char *what)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return CLI_EXIT_OK;
    int e = errno;
    cli_error("cannot write %s to standard output: %s", what,
              e != 0 ? strerror(e) : "write error");
    return CLI_EXIT_BAD_INPUT;
}

int cli_report_end(const char *name, const elog_decoder *d, const elog_end *end,
                   const elog_header *h, bool strict)
{
    unsigned long long off = (unsigned long long)end->offset;
    unsigned long long miss = (unsigned long long)end->bytes_missing;
    int trunc_code = strict ? CLI_EXIT_TRUNCATED : CLI_EXIT_OK;

    switch (end->kind) {
    case ELOG_END_CLEAN:
        return CLI_EXIT_OK;

    case ELOG_END_TRUNCATED_BETWEEN_EVENTS:
        cli_warning("%s: truncated between events at offset %llu (no end-of-data marker)",
                    name, off);
        return trunc_code;

    case ELOG_END_TRUNCATED_IN_EVENT:
        if (!end->id_known)
            cli_warning("%s: truncated inside an event at offset %llu "
                        "(event id incomplete, at least %llu byte%s missing)",
                        name, off, miss, plural(miss));
        else if (missing_is_exact(end, h))
            cli_warning("%s: truncated inside an event at offset %llu "
                        "(event id %u, %llu byte%s missing)",
                        name, off, (unsigned)end->event_id, miss, plural(miss));
        else
            cli_warning("%s: truncated inside an event at offset %llu "
                        "(event id %u, at least %llu byte%s missing)",
                        name, off, (unsigned)end->event_id, miss, plural(miss));
        return trunc_code;

    case ELOG_END_TRUNCATED_IN_HEADER:
        cli_error("%s: truncated inside the header, at least %llu byte%s missing "
                  "(at byte offset %llu)", name, miss, plural(miss), off);
        return CLI_EXIT_BAD_INPUT;

    case ELOG_END_EMPTY:
        if (cli_interrupted)
            cli_error("%s: interrupted before any byte arrived; nothing to show", name);
        else
            cli_error("%s: empty input, not an eventlog (at byte offset 0)", name);
        return CLI_EXIT_BAD_INPUT;

    case ELOG_END_ERROR:
    default: {
        const char *reason = d != NULL ? elog_get_error_reason(d) : "";
        uint64_t eoff = d != NULL && elog_get_error(d) != ELOG_OK
                            ? elog_get_error_offset(d) : end->offset;
        if (reason == NULL || *reason == '\0')
            reason = elog_status_name(end->status);
        cli_error("%s: %s (at byte offset %llu)", name, reason,
                  (unsigned long long)eoff);
        return CLI_EXIT_BAD_INPUT;
    }
    }
}

void cli_describe_end(char *buf, size_t cap, const elog_end *end, const elog_decoder *d)
{
    unsigned long long off = (unsigned long long)end->offset;
    const char *kind = elog_end_kind_name(end->kind);
    switch (end->kind) {
    case ELOG_END_CLEAN:
        snprintf(buf, cap, "%s (end marker at offset %llu)", kind, off);
        break;
    case ELOG_END_TRUNCATED_IN_EVENT:
        if (end->id_known)
            /* bytes_missing is exact or a lower bound: "at least" is true of both. */
            snprintf(buf, cap, "%s at offset %llu (event id %u, at least %u bytes missing)",
                     kind, off, (unsigned)end->event_id, (unsigned)end->bytes_missing);
        else
            snprintf(buf, cap, "%s at offset %llu", kind, off);
        break;
    case ELOG_END_ERROR: {
        const char *reason = d != NULL ? elog_get_error_reason(d) : "";
        if (reason == NULL || *reason == '\0')
            reason = elog_status_name(end->status);
        snprintf(buf, cap, "%s at offset %llu: %s", kind, off, reason);
        break;
    }
    default:
        snprintf(buf, cap, "%s at offset %llu", kind, off);
        break;
    }
}

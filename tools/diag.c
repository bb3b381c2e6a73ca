/*
 * Diagnostics of the `eventlog` tool: every message on stderr goes through
 * here so that they share one shape ("eventlog: [warning: ]FILE: what (at
 * byte offset N)") and so that the mapping from how a stream ended
 * (elog_end) to a message and an exit code is written once for all
 * subcommands.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

static void vmessage(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
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

int cli_report_end(const cli_input *in, const elog_decoder *d, const elog_end *end,
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
                    in->name, off);
        return trunc_code;

    case ELOG_END_TRUNCATED_IN_EVENT:
        if (!end->id_known)
            cli_warning("%s: truncated inside an event at offset %llu "
                        "(event id incomplete, at least %llu byte%s missing)",
                        in->name, off, miss, plural(miss));
        else if (missing_is_exact(end, h))
            cli_warning("%s: truncated inside an event at offset %llu "
                        "(event id %u, %llu byte%s missing)",
                        in->name, off, (unsigned)end->event_id, miss, plural(miss));
        else
            cli_warning("%s: truncated inside an event at offset %llu "
                        "(event id %u, at least %llu byte%s missing)",
                        in->name, off, (unsigned)end->event_id, miss, plural(miss));
        return trunc_code;

    case ELOG_END_TRUNCATED_IN_HEADER:
        cli_error("%s: truncated inside the header, at least %llu byte%s missing "
                  "(at byte offset %llu)", in->name, miss, plural(miss), off);
        return CLI_EXIT_BAD_INPUT;

    case ELOG_END_EMPTY:
        cli_error("%s: empty input, not an eventlog (at byte offset 0)", in->name);
        return CLI_EXIT_BAD_INPUT;

    case ELOG_END_ERROR:
    default: {
        const char *reason = d != NULL ? elog_get_error_reason(d) : "";
        uint64_t eoff = d != NULL && elog_get_error(d) != ELOG_OK
                            ? elog_get_error_offset(d) : end->offset;
        if (reason == NULL || *reason == '\0')
            reason = elog_status_name(end->status);
        cli_error("%s: %s (at byte offset %llu)", in->name, reason,
                  (unsigned long long)eoff);
        return CLI_EXIT_BAD_INPUT;
    }
    }
}

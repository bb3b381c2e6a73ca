/*
 * `eventlog record SOURCE -o FILE`: saves the eventlog losslessly, the bytes
 * exactly as received (decompressed for gzip, zstd and xz input; from "hdrb" on for a
 * socket session), while decoding them on the side only to know how each
 * stream ended and, with --follow, when it is complete.
 *
 * Sockets with --reconnect: every session is its own eventlog, so it gets
 * its own file: FILE for session 1, then FILE.1, FILE.2, ... ; or, if FILE
 * contains "%d", the session number replaces it in every name ("%%" is a
 * literal '%'). A file is created when its session's first byte arrives, so
 * a session that sends nothing leaves none. Each session's end is reported
 * on stderr ("# session N: FILE: BYTES bytes, END").
 *
 * `-o -` writes to stdout (one stream only, so not with --reconnect).
 *
 * Safety (outfile.h): an output that is an input (stdin's file included) is
 * refused, an existing one too without --force, and each file is written
 * under a temporary name, renamed into place when its stream ends with a
 * complete header. Input that is not an eventlog (no header) leaves no file;
 * copying stops at the first decode error (exit 1, offset in the message),
 * and the file is cut at the end of the last complete record before it.
 */
#include "cli.h"
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct recorder {
    const char *pattern;    /* -o */
    bool has_number;        /* the pattern has a %d */
    bool reconnect;
    bool strict;
    bool socket;            /* the source is a socket */
    bool force;             /* --force: replace existing outputs */
    cli_inputs inputs;      /* never written to */

    unsigned session;       /* the current one (sockets), 1 for files */
    char *path;             /* the current output, NULL until its first byte */
    cli_outfile *out;       /* open while path != NULL, until the stream ends */
    uint64_t written;       /* bytes written to the current output */
    bool defer;             /* write each chunk only once it decoded (see on_flush) */
    const uint8_t *pending; /* that chunk (the reader's buffer, valid until its next read) */
    size_t pending_n;
    bool epipe;             /* stdout's reader went away: not our error */
    bool open_failed;       /* the output was refused or could not be created */
    bool write_failed;
    int rc;                 /* worst exit code so far */
} recorder;

/* ------------------------------------------------------------- file names */

int cli_record_check_output(const char *pattern, bool reconnect, char *err, size_t cap)
{
    if (*pattern == '\0') {
        snprintf(err, cap, "record: -o: empty file name");
        return -1;
    }
    if (strcmp(pattern, "-") == 0 && reconnect) {
        snprintf(err, cap, "record: -o -: standard output holds one eventlog; with "
                 "--reconnect every session needs its own file");
        return -1;
    }
    unsigned numbers = 0;
    for (const char *p = pattern; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
        } else if (p[1] == 'd') {
            numbers++;
            p++;
        } else {
            snprintf(err, cap, "record: -o %s: only %%d (the session number) and %%%% may "
                     "follow '%%'", pattern);
            return -1;
        }
    }
    if (numbers > 1) {
        snprintf(err, cap, "record: -o %s: at most one %%d", pattern);
        return -1;
    }
    return 0;
}

/* The file of `session`: the %d pattern, or FILE / FILE.N-1 (see above). */
static char *output_name(const recorder *r, unsigned session)
{
    size_t cap = strlen(r->pattern) + 32;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (const char *p = r->pattern; *p != '\0'; p++) {
        if (*p == '%' && p[1] == '%') {
            out[o++] = '%';
            p++;
        } else if (*p == '%' && p[1] == 'd') {
            o += (size_t)snprintf(out + o, cap - o, "%u", session);
            p++;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    if (!r->has_number && session > 1)
        snprintf(out + o, cap - o, ".%u", session - 1);
    return out;
}

/* ------------------------------------------------------------- writing */

static int open_output(recorder *r)
{
    if (strcmp(r->pattern, "-") == 0) {
        r->path = strdup("<stdout>");
    } else {
        r->path = output_name(r, r->session);
    }
    if (r->path == NULL) {
        cli_error("record: out of memory");
        return -1;
    }
    r->out = cli_outfile_open("record", strcmp(r->pattern, "-") == 0 ? "-" : r->path, r->force,
                              &r->inputs, 0);
    if (r->out == NULL)
        return -1;
    /* An output that cannot be cut afterwards (stdout, a FIFO) gets each
     * chunk of a file or pipe only once it decoded, so that a decode error
     * can end it at the last complete record. A socket's chunks do not stay
     * put until then: they are written as they come. */
    r->defer = !cli_outfile_seekable(r->out) && !r->socket;
    r->pending_n = 0;
    return 0;
}

/* Ends the current output: renamed into place if `keep`, else removed.
 * Returns 0, or -1 after printing an error. */
static int close_output(recorder *r, bool keep)
{
    int rc = 0;
    if (r->out == NULL)
        return 0;
    if (keep)
        rc = cli_outfile_commit(r->out);
    else
        cli_outfile_abort(r->out);
    r->out = NULL;
    return rc;
}

static int write_out(recorder *r, const uint8_t *p, size_t n);

static int on_bytes(cli_source *src, const uint8_t *p, size_t n)
{
    recorder *r = cli_source_ctx_of(src);
    if (r->path == NULL && open_output(r) != 0) {
        r->open_failed = true;
        return -1;
    }
    if (r->out == NULL)
        return -1; /* the stream's output already ended */
    if (r->write_failed)
        return -1;
    if (r->defer) {
        r->pending = p;
        r->pending_n = n;
        return 0;
    }
    return write_out(r, p, n);
}

/* A chunk decoded without error: out with it (deferred outputs). */
static void on_flush(cli_source *src)
{
    recorder *r = cli_source_ctx_of(src);
    if (r->pending_n > 0 && r->out != NULL && !r->write_failed)
        (void)write_out(r, r->pending, r->pending_n);
    r->pending_n = 0;
}

static int write_out(recorder *r, const uint8_t *p, size_t n)
{
    if (cli_outfile_write(r->out, p, n) != 0) {
        if (errno == EPIPE && cli_outfile_is_stdout(r->out))
            r->epipe = true;
        else
            cli_error("record: %s: write error after %llu bytes: %s", r->path,
                      (unsigned long long)r->written, strerror(errno));
        r->write_failed = true;
        return -1;
    }
    r->written += n;
    return 0;
}

static void on_session(cli_source *src, unsigned number)
{
    recorder *r = cli_source_ctx_of(src);
    r->session = number;
    free(r->path);
    r->path = NULL;
    r->written = 0;
}

/* A stream that goes corrupt after its header: the copy would end with the
 * whole chunk that held the error. A data-phase decode error is reported at the
 * start of the record that failed (decoder.c), which is the end of the last
 * complete record: the file is cut there, so what is kept is an eventlog
 * that only lacks its end (`eventlog repair` completes it). An output that
 * cannot be cut (stdout, a FIFO) got the chunk deferred (open_output), and
 * only its part before the error is written; a socket's session written
 * there keeps the chunk, and stderr says so.
 * false if cutting failed (the output is then not kept). */
static bool cut_at_error(recorder *r, const elog_end *end)
{
    bool error = end->kind == ELOG_END_ERROR && end->status != ELOG_E_NOMEM &&
                 end->status != ELOG_E_CALLBACK;
    if (r->pending_n > 0 && r->out != NULL && !r->write_failed) {
        /* The deferred chunk: what came before the error, or all of it. */
        uint64_t keep = r->pending_n;
        if (error && end->offset >= r->written && end->offset - r->written < keep)
            keep = end->offset - r->written;
        uint64_t dropped = r->pending_n - keep;
        r->pending_n = 0;
        if (keep > 0 && write_out(r, r->pending, (size_t)keep) != 0)
            return false;
        if (dropped > 0)
            cli_note("record: %s: cut at offset %llu, the end of the last complete record: "
                     "dropped %llu byte%s from the corrupt record on", r->path,
                     (unsigned long long)end->offset, (unsigned long long)dropped,
                     dropped == 1 ? "" : "s");
        return true;
    }
    if (!error || r->out == NULL || end->offset >= r->written)
        return true;
    uint64_t dropped = r->written - end->offset;
    if (!cli_outfile_seekable(r->out)) { /* a socket's session to stdout or a FIFO */
        cli_warning("record: %s: %llu byte%s after the error at offset %llu were already "
                    "written (this output cannot be cut; it ends with them)", r->path,
                    (unsigned long long)dropped, dropped == 1 ? "" : "s",
                    (unsigned long long)end->offset);
        return true;
    }
    if (cli_outfile_truncate(r->out, end->offset) != 0) {
        cli_error("record: %s: cannot cut the file at offset %llu: %s", r->path,
                  (unsigned long long)end->offset, strerror(errno));
        r->write_failed = true;
        return false;
    }
    cli_note("record: %s: cut at offset %llu, the end of the last complete record: dropped "
             "%llu byte%s from the corrupt record on", r->path, (unsigned long long)end->offset,
             (unsigned long long)dropped, dropped == 1 ? "" : "s");
    r->written = end->offset;
    return true;
}

static void on_end(cli_source *src, const cli_stream_end *e)
{
    recorder *r = cli_source_ctx_of(src);
    elog_decoder *d = cli_source_decoder(src);
    char how[400];
    cli_describe_end(how, sizeof how, e->end, d);
    char prefix[32] = "";
    if (e->session > 0)
        snprintf(prefix, sizeof prefix, "session %u: ", e->session);
    const char *why = e->error != 0 ? strerror(e->error) : NULL;

    /* No complete header: not an eventlog (or cut inside its header), so
     * nothing worth a file. */
    bool keep = elog_get_header(d) != NULL;
    if (r->path == NULL) {
        cli_note("%s%s: no data, no file written (%s)", prefix, e->label, how);
    } else if (!keep && r->out != NULL && !cli_outfile_is_stdout(r->out)) {
        close_output(r, false);
        cli_note("%s%s: not an eventlog after %llu bytes, no file written (%s)", prefix,
                 e->label, (unsigned long long)r->written, how);
    } else if (!cut_at_error(r, e->end)) {
        close_output(r, false);
        r->rc = cli_worse(r->rc, CLI_EXIT_BAD_INPUT);
    } else {
        if (close_output(r, true) != 0)
            r->rc = cli_worse(r->rc, CLI_EXIT_BAD_INPUT);
        cli_note("%s%s: %llu bytes, %s%s%s%s", prefix, r->path, (unsigned long long)r->written,
                 how, why != NULL ? " (" : "", why != NULL ? why : "", why != NULL ? ")" : "");
    }
    /* The exit code of the stream, as for every command; the note above
     * already said how it ended, so only errors get a message. */
    int rc;
    switch (e->end->kind) {
    case ELOG_END_CLEAN:
        rc = CLI_EXIT_OK;
        break;
    case ELOG_END_TRUNCATED_BETWEEN_EVENTS:
    case ELOG_END_TRUNCATED_IN_EVENT:
        rc = r->strict ? CLI_EXIT_TRUNCATED : CLI_EXIT_OK;
        break;
    default:
        rc = cli_report_end(e->label, d, e->end, elog_get_header(d), r->strict);
        break;
    }
    r->rc = cli_worse(r->rc, rc);
}

int cli_record(const char *source, const cli_options *opt)
{
    recorder r;
    memset(&r, 0, sizeof r);
    r.pattern = opt->output;
    r.has_number = strstr(opt->output, "%d") != NULL;
    r.reconnect = opt->reconnect;
    r.strict = opt->strict;
    r.force = opt->force;
    r.socket = cli_source_is_socket(source);
    r.session = 1;
    r.rc = CLI_EXIT_OK;
    cli_inputs_init(&r.inputs);
    cli_inputs_add(&r.inputs, source);

    /* Decoded only to classify the end (and stop following at the end
     * marker): no event callbacks. */
    elog_settings settings;
    elog_settings_init(&settings);
    settings.options = CLI_DECODER_OPTIONS;
    cli_source_config cfg = {
        .settings = &settings,
        .hooks = { .on_bytes = on_bytes, .on_flush = on_flush, .on_session = on_session,
                   .on_end = on_end },
        .ctx = &r,
        .follow = opt->follow,
        .idle_timeout_ms = opt->idle_timeout_ms,
        .reconnect = opt->reconnect,
        .connect_timeout_ms = opt->connect_timeout_ms,
        .copy_all = false,     /* stop at a decode error: garbage is not recorded */
        .interruptible = true,
    };
    cli_source *src = cli_source_open(source, &cfg);
    if (src == NULL)
        return CLI_EXIT_BAD_INPUT;
    int rc;
    if (cli_source_run(src) != 0)
        rc = r.epipe ? CLI_EXIT_OK : CLI_EXIT_BAD_INPUT;
    else
        rc = r.rc;
    /* Still open: the run failed before the stream's end (a read or write
     * error): keep what was received of an eventlog, unless writing failed. */
    bool keep = !r.write_failed && elog_get_header(cli_source_decoder(src)) != NULL;
    if (close_output(&r, keep) != 0)
        rc = CLI_EXIT_BAD_INPUT;
    free(r.path);
    cli_source_close(src);
    return rc;
}

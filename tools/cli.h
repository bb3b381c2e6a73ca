/*
 * Internal interfaces shared by the files of the `eventlog` command-line tool.
 *
 * It exists so that each concern of the CLI lives in its own file (sources,
 * the random-access store, output, progress, diagnostics, and one file per
 * subcommand) while they agree on a few small types: the input source, the
 * stdout writer, the options and the exit codes.
 */
#ifndef ELOG_TOOLS_CLI_H
#define ELOG_TOOLS_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "eventlog.h"
#include "eventlog/reader.h"
#include "eventlog/show.h"
#include "eventlog/socket.h"

#define CLI_NAME "eventlog"

/* Exit codes. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_BAD_INPUT = 1,  /* corrupt or unreadable input, output failure */
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_TRUNCATED = 3   /* truncated input with --strict */
};

/* Decoder options of every command, so all commands see the same events:
 * ghc-events compatibility (decode after the end marker), and strict block
 * sizes: an event running past its block is corruption (exit 1) unless
 * --lenient-blocks adds ELOG_OPT_LENIENT_BLOCKS. Set once by main() before a
 * command runs. */
extern unsigned cli_decoder_options;
#define CLI_DECODER_OPTIONS cli_decoder_options

/* ------------------------------------------------------------------------
 * Options of all subcommands (parsed in eventlog.c; each command uses its own).
 * ---------------------------------------------------------------------- */

typedef struct cli_options {
    bool strict;                 /* truncated input: exit 3 */
    bool stream;                 /* show: file order, incremental */
    bool json;                   /* info: one JSON object */
    bool follow;                 /* files: wait for growth until the end marker */
    unsigned idle_timeout_ms;    /* follow: give up after this long without data */
    bool reconnect;              /* sockets: a new session after each one ends */
    unsigned connect_timeout_ms; /* sockets: how long to keep trying to connect */
    const char *output;          /* record: -o FILE */
    bool force;                  /* record: replace an existing output file */
    long read_ms;                /* control: --read MS, -1 if not given */
    long window_ms;              /* show --stream: --window MS, -1 if not given */
} cli_options;

#define CLI_DEFAULT_IDLE_TIMEOUT_MS 2000u
#define CLI_DEFAULT_CONNECT_TIMEOUT_MS 10000u

/* ------------------------------------------------------------------------
 * source.c: where the eventlog comes from, for every command.
 *
 * A SOURCE is a path, `-` (stdin), `unix:PATH` or `tcp:HOST:PORT`. Files
 * and pipes are read with elog_reader (gzip, zstd, xz detected by magic, follow
 * mode), sockets with elog_socket (sessions, reconnect). Either way the
 * source feeds a decoder set up with the command's callbacks and hands the
 * command the raw (decompressed) bytes first, so that `show` can spool them
 * and `record` can save them.
 *
 * The decoder's d->data is the cli_source: a command's callbacks get their
 * own context with cli_source_ctx(d).
 * ---------------------------------------------------------------------- */

typedef struct cli_source cli_source;

/* How one stream ended: the whole input of a file or pipe, or one socket
 * session. */
typedef struct cli_stream_end {
    const elog_end *end;
    const char *label;        /* for messages: the file name, the socket address,
                                 or "ADDRESS, session N" when reconnecting */
    unsigned session;         /* sockets: 1, 2, ...; files: 0 */
    int error;                /* sockets: errno that ended the session, else 0 */
    bool stopped;             /* we ended it (signal, deadline), not the source */
} cli_stream_end;

typedef struct cli_source_hooks {
    /* Raw bytes of the stream, before the decoder sees them. Returns 0, or
     * -1 to stop everything (after printing why). */
    int (*on_bytes)(cli_source *src, const uint8_t *p, size_t n);
    /* A chunk of input was decoded and the next read may wait: output
     * produced so far should reach its reader now. */
    void (*on_flush)(cli_source *src);
    /* A socket session began (the decoder was reset for it). */
    void (*on_session)(cli_source *src, unsigned number);
    /* A stream ended (files: once; sockets: every session, except, with
     * reconnect, sessions that sent nothing, which are only noted). */
    void (*on_end)(cli_source *src, const cli_stream_end *e);
} cli_source_hooks;

typedef struct cli_source_config {
    const elog_settings *settings; /* the command's decoder callbacks (copied) */
    cli_source_hooks hooks;
    void *ctx;                     /* the command's, see cli_source_ctx() */
    bool follow;
    unsigned idle_timeout_ms;
    bool reconnect;
    unsigned connect_timeout_ms;   /* 0: CLI_DEFAULT_CONNECT_TIMEOUT_MS */
    bool progress;                 /* progress on stderr if it is a TTY (files) */
    bool copy_all;                 /* files: keep reading after a decode error */
    bool interruptible;            /* SIGINT/SIGTERM end the input as if it ended
                                      there (a second one kills) */
} cli_source_config;

/* true if `text` names a socket ("unix:..." or "tcp:..."). */
bool cli_source_is_socket(const char *text);

/* Checks a SOURCE argument without opening anything: a malformed socket
 * address is a usage error. Returns 0, or -1 with the reason in err. */
int cli_source_check(const char *text, char *err, size_t cap);

/* Opens the source (files: opens them; sockets: nothing yet, connecting
 * happens in run). Returns the source, or NULL after printing an error. */
cli_source *cli_source_open(const char *text, const cli_source_config *cfg);

/* Reads the input to its end, feeding the decoder and calling the hooks
 * (on_end tells how each stream ended). Returns 0, or -1 after printing an
 * error (cannot read or connect, compressed data corrupt, a hook failed); on_end is
 * then not called for the stream that failed. */
int cli_source_run(cli_source *src);

/* Ends the input `ms` milliseconds from now (sockets), as if the stream had
 * stopped there (cli_stream_end.stopped). */
void cli_source_set_deadline(cli_source *src, unsigned ms);

void cli_source_close(cli_source *src);

const char *cli_source_name(const cli_source *src);
void *cli_source_ctx_of(const cli_source *src);
/* The decoder in use (for the error reason, the header). */
elog_decoder *cli_source_decoder(cli_source *src);
/* The client, for sockets (NULL otherwise): to send control commands. */
elog_socket *cli_source_client(cli_source *src);
/* For a plain (uncompressed) regular file, its descriptor and the file
 * position of stream offset 0: it can be pread() instead of spooled. */
bool cli_source_seekable(const cli_source *src, int *fd, uint64_t *base);

static inline void *cli_source_ctx(elog_decoder *d)
{
    return cli_source_ctx_of((const cli_source *)d->data);
}

/* ------------------------------------------------------------------------
 * file_map.c: a read-only mmap(2) view of part of a regular file (no copy
 * out of the page cache). While one is open, SIGBUS (the file shrank under
 * it) prints a message naming the file and exits with CLI_EXIT_BAD_INPUT.
 * ---------------------------------------------------------------------- */

typedef struct cli_map {
    const uint8_t *data;    /* file position `base` (cli_map_open's) */
    uint64_t len;           /* bytes from data on */
    void *addr;             /* what mmap returned (NULL: not open) */
    size_t size;
} cli_map;

/* Maps [base, base + len) of fd. false (nothing to close) if it cannot:
 * then read the file instead. `name` is for the SIGBUS message. */
bool cli_map_open(cli_map *m, int fd, uint64_t base, uint64_t len, const char *name);
/* Gives back the memory of the pages from the one holding data[from] up to
 * the one holding data[to] (excluded): they stay readable, touching them
 * again maps the file's bytes back in. Returns where the next call should
 * start: the offset of the first page kept (or `from`). */
uint64_t cli_map_drop(cli_map *m, uint64_t from, uint64_t to);
void cli_map_close(cli_map *m);

/* ------------------------------------------------------------------------
 * store.c: random access to the stream for the second pass of `show`: the
 * file itself when it is plain and seekable, else an unlinked temporary
 * spool file that pass 1 fills with the decompressed stream.
 * ---------------------------------------------------------------------- */

typedef struct cli_store {
    const char *name;   /* for messages */
    int fd;             /* -1 until begun */
    bool spool;         /* fd is our spool file */
    uint64_t base;      /* file position of stream offset 0 */
    uint64_t len;       /* spool: bytes written */
} cli_store;

void cli_store_init(cli_store *st, const char *name);
/* Chooses pread on the source or a spool (in $TMPDIR or /tmp). Call at the
 * first bytes (the compression is known then). Returns 0, or -1 (message printed). */
int cli_store_begin(cli_store *st, const cli_source *src);
/* Appends bytes to the spool (nothing when reading the file directly). */
int cli_store_append(cli_store *st, const void *p, size_t n);
/* Reads exactly `len` bytes at stream offset `off`. 0, or -1 (message). */
int cli_store_pread(cli_store *st, void *buf, size_t len, uint64_t off);
/* pread(2) until `len` bytes or the end of the file, EINTR retried; *done
 * the bytes read (fewer than len at the end). 0, or -1 on an error (errno). */
int cli_pread_full(int fd, void *buf, size_t len, uint64_t pos, size_t *done);
void cli_store_close(cli_store *st);

/* ------------------------------------------------------------------------
 * output.c: stdout through an elog_writer flushed with write(2).
 * ---------------------------------------------------------------------- */

#define CLI_OUT_BUF (64u * 1024u)

typedef struct cli_output {
    elog_writer w;
    int fd;
    int err;            /* errno of the first failed write, 0 if none */
    bool escape;        /* fd is a terminal: control characters escaped */
    size_t carry_len;   /* escape: bytes of an incomplete UTF-8 sequence held */
    uint8_t carry[4];
    char buf[CLI_OUT_BUF];
} cli_output;

/* --raw: write event text to a terminal byte for byte too (see output.c). */
extern bool cli_raw_output;

/* Output to `fd`; if it is a terminal (and not cli_raw_output), control
 * characters and bytes that are not UTF-8 are written as \xHH. */
void cli_output_init(cli_output *o, int fd);
/* Flushes pending output. Returns 0 or -1 (o->err set). */
int cli_output_flush(cli_output *o);
/* Appends n bytes; large pieces are written straight from p (after what is
 * pending) rather than copied through the buffer. */
void cli_output_write(cli_output *o, const char *p, size_t n);
/* true once a write failed; later output is dropped. */
static inline bool cli_output_failed(const cli_output *o)
{
    return o->err != 0 || o->w.failed;
}
/* Prints a message for a failed write (nothing for EPIPE: the reader went
 * away) and returns the exit code to use. */
int cli_output_report(const cli_output *o);

/* write(2) of all n bytes to fd, through short writes and EINTR. Returns 0,
 * or -1 with errno set. */
int cli_write_all(int fd, const void *p, size_t n);

/* printf to an elog_writer (used by `info`). */
void cli_printf(elog_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------------
 * progress.c: "\r  37% (123.4 MB)" on stderr while long work reads its
 * input, only if stderr is a terminal.
 * ---------------------------------------------------------------------- */

typedef struct cli_progress {
    bool enabled;
    uint64_t start_ns, last_ns;
} cli_progress;

void cli_progress_init(cli_progress *p);
/* An elog_reader_progress_cb; ctx is the cli_progress. */
void cli_progress_update(void *ctx, uint64_t bytes, uint64_t total_or_0);
/* Erases the progress line if one is shown (diag.c calls it before every
 * message). */
void cli_progress_clear(void);

/* ------------------------------------------------------------------------
 * diag.c: messages on stderr.
 * ---------------------------------------------------------------------- */

/* Option values (args.c). A decimal number lo <= N <= hi (digits only, no
 * sign or spaces); milliseconds from `lo` (0 or 1) to one day (86400000);
 * a time: integer nanoseconds, or a decimal number with a unit s, ms, us,
 * ns ("1.5s", "200ms"). false if malformed or out of range. */
bool cli_parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned *out);
bool cli_parse_ms(const char *s, unsigned lo, unsigned *out);
/* An option taking milliseconds (--idle-timeout MS, ...): false after the
 * usage message "OPTION: 'ARG' is not a [positive ]number of milliseconds"
 * (`command` as for cli_usage_error). */
bool cli_ms_option(const char *command, const char *option, const char *arg, bool positive,
                   unsigned *out);
bool cli_parse_time(const char *s, uint64_t *ns);

/* The options of a command that takes only -o/--output OUT, --force and
 * --help (merge, repair): -1 when they are parsed (the operands start at
 * optind), else the exit status to return (the help was printed, or a
 * usage error reported). */
int cli_output_args(const char *command, const char *help, int argc, char **argv,
                    const char **output, bool *force);

/* After getopt_long: the one SOURCE operand, or NULL after the usage error
 * "missing SOURCE ..." or "too many arguments ...". */
const char *cli_source_operand(const char *command, int argc, char **argv);
/* getopt_long's '?' (opterr = 0): the usage error for optopt, "option '-C'
 * needs ARG_NAME" for a short option of `with_arg` given without its
 * value, else "unknown option" or "option '--X' needs an argument".
 * Returns CLI_EXIT_USAGE. */
int cli_getopt_error(const char *command, char **argv, const char *with_arg, const char *arg_name);

/* The live-source options of the commands with their own parser (stats,
 * export, report): --follow, --idle-timeout MS, --connect-timeout MS, as
 * getopt_long entries (CLI_SOURCE_LONGOPTS) and the values they set. */
enum { CLI_OPT_FOLLOW = 0x400, CLI_OPT_IDLE, CLI_OPT_CONNECT };
#define CLI_SOURCE_LONGOPTS                                         \
    {"follow", no_argument, NULL, CLI_OPT_FOLLOW},                  \
    {"idle-timeout", required_argument, NULL, CLI_OPT_IDLE},        \
    {"connect-timeout", required_argument, NULL, CLI_OPT_CONNECT}
typedef struct cli_source_opts {
    bool follow, idle_given;
    unsigned idle_ms, connect_ms;  /* the defaults until given */
} cli_source_opts;
void cli_source_opts_init(cli_source_opts *o);
/* getopt_long's answer `ch`: one of CLI_OPT_* is parsed into `o` (1), or
 * a malformed value is reported as cli_ms_option does (0); any other ch is
 * not one of them (-1). */
int cli_source_option(const char *command, int ch, const char *arg, cli_source_opts *o);

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "eventlog[ COMMAND]: <message>" plus a pointer to --help, on stderr;
 * returns CLI_EXIT_USAGE. `command` is NULL for the top level. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set (by source.c's signal handler) once SIGINT/SIGTERM ended an input:
 * messages then say "interrupted" rather than blame the input. */
extern volatile sig_atomic_t cli_interrupted;

/* Flushes stdout after printing `what` ("the help"); returns CLI_EXIT_OK, or
 * prints why it failed (e.g. a full disk) and returns CLI_EXIT_BAD_INPUT. */
int cli_stdout_done(const char *what);

/* An informational line, "# ..." (socket sessions, record summaries). */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports how decoding ended and returns the exit code:
 *  - clean: nothing, CLI_EXIT_OK;
 *  - truncated between events / inside an event: a warning, CLI_EXIT_OK
 *    (CLI_EXIT_TRUNCATED if `strict`);
 *  - truncated header, empty input, decode error: an error, CLI_EXIT_BAD_INPUT.
 * `name` labels the input; `d` (may be NULL) gives the error reason; `h` (may
 * be NULL) refines the "bytes missing" wording. */
int cli_report_end(const char *name, const elog_decoder *d, const elog_end *end,
                   const elog_header *h, bool strict);

/* A short description of how a stream ended, for summaries:
 * "clean (end marker at offset N)", "truncated-in-event at offset N (...)",
 * "error at offset N: reason". */
void cli_describe_end(char *buf, size_t cap, const elog_end *end, const elog_decoder *d);

/* true for end kinds after which the decoded events are usable. */
bool cli_end_usable(const elog_end *end);

/* The worse of two exit codes (1 over 3 over 0). */
int cli_worse(int a, int b);

/* ------------------------------------------------------------------------
 * Subcommands.
 * ---------------------------------------------------------------------- */

int cli_show_sorted(const char *source, const cli_options *opt);   /* show_sorted.c */
int cli_show_stream(const char *source, const cli_options *opt);   /* show_stream.c */
int cli_info(const char *source, const cli_options *opt);          /* info.c */
int cli_record(const char *source, const cli_options *opt);        /* record.c */
int cli_control(const char *source, const char *command,
                const cli_options *opt);                           /* control.c */

/* Validates `eventlog record -o` (a %d pattern, or `-` without --reconnect).
 * Returns 0, or -1 with the reason in err (a usage error). */
int cli_record_check_output(const char *pattern, bool reconnect, char *err, size_t cap);
/* Validates a control COMMAND. Returns 0, or -1 with the reason in err. */
int cli_control_check_command(const char *command, char *err, size_t cap);

/* ------------------------------------------------------------------------
 * show_stream.c: the `show --stream` printer, also used by `control --read`.
 * ---------------------------------------------------------------------- */

typedef struct cli_stream_printer {
    cli_output *out;
    bool header_done;        /* the header listing was printed (first session) */
    bool last_usable;        /* the last stream ended with usable events */
    int rc;                  /* worst exit code of the streams reported so far */
    bool strict;
    bool quiet_stopped;      /* no truncation warning when we stopped the input */
    /* show --stream --window: events go through a reordering window
     * (elog_window, eventlog/order.h), created at the first header. */
    bool windowed;
    uint64_t window_ns;
    struct elog_window *window;
    uint64_t late_reported;  /* late events already warned about */
    const char *name;        /* for the late-event note */
} cli_stream_printer;

/* Fills settings/hooks for printing: decoder callbacks in `settings`, and
 * on_flush/on_end in `hooks`. The source's ctx must be the printer. */
void cli_stream_printer_setup(cli_stream_printer *p, cli_output *out, bool strict,
                              elog_settings *settings, cli_source_hooks *hooks);
/* After the run: the trailing blank line, flush, and the exit code. */
int cli_stream_printer_finish(cli_stream_printer *p, int run_rc);
/* Frees what the printer allocated (the window). */
void cli_stream_printer_free(cli_stream_printer *p);

#endif

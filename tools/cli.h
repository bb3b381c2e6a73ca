/*
 * Internal interfaces shared by the files of the `eventlog` command-line tool.
 *
 * It exists so that each concern of the CLI lives in its own file (input,
 * output, diagnostics, and one file per subcommand) while they agree on a few
 * small types: the input source, the stdout writer and the exit codes.
 */
#ifndef ELOG_TOOLS_CLI_H
#define ELOG_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "eventlog.h"
#include "eventlog/show.h"

#define CLI_NAME "eventlog"
#define CLI_VERSION "0.1.0"

/* Exit codes. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_BAD_INPUT = 1,  /* corrupt or unreadable input, output failure */
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_TRUNCATED = 3   /* truncated input with --strict */
};

/* Size of the buffer used to read input sequentially. */
#define CLI_READ_BUF (1u << 20)

/* ------------------------------------------------------------------------
 * input.c: where bytes come from (a path or `-` for stdin).
 * ---------------------------------------------------------------------- */

typedef struct cli_input {
    int fd;
    const char *name;   /* for messages: the path, or "<stdin>" */
    bool is_stdin;
    bool seekable;      /* a regular file: pread() works */
    uint64_t base;      /* file position of stream offset 0 (stdin may not be at 0) */
    uint64_t size;      /* regular files: size at open time (bytes after `base`) */
    /* Spool for non-seekable input (see cli_input_spool_begin). */
    int spool_fd;
    uint64_t spooled;
} cli_input;

/* Opens `path` ("-" = stdin). Returns 0, or -1 after printing an error. */
int cli_input_open(cli_input *in, const char *path);
void cli_input_close(cli_input *in);

/* read(2) with EINTR handling: bytes read, 0 at end of input, -1 on error
 * (an error message naming the input was printed). */
ssize_t cli_input_read(cli_input *in, void *buf, size_t cap);

/* true if a read would not block (always true for regular files). Used to
 * flush output before waiting on a pipe or FIFO. */
bool cli_input_ready(cli_input *in);

/* Random access for a second pass: the input itself when seekable, else a
 * spool file holding a copy of every byte read so far.
 * cli_input_spool_begin() creates the spool (an unlinked mkstemp() file in
 * $TMPDIR or /tmp) if the input is not seekable; cli_input_spool() appends
 * bytes just read (no-op for seekable input). Both return 0 or -1 (message
 * printed). */
int cli_input_spool_begin(cli_input *in);
int cli_input_spool(cli_input *in, const void *buf, size_t len);

/* Reads exactly `len` bytes at stream offset `off` from the seekable input or
 * its spool. Returns 0, or -1 after printing an error (also when the data is
 * shorter than expected). */
int cli_input_pread(cli_input *in, void *buf, size_t len, uint64_t off);

/* ------------------------------------------------------------------------
 * output.c: stdout through an elog_writer flushed with write(2).
 * ---------------------------------------------------------------------- */

#define CLI_OUT_BUF (64u * 1024u)

typedef struct cli_output {
    elog_writer w;
    int fd;
    int err;            /* errno of the first failed write, 0 if none */
    char buf[CLI_OUT_BUF];
} cli_output;

void cli_output_init(cli_output *o, int fd);
/* Flushes pending output. Returns 0 or -1 (o->err set). */
int cli_output_flush(cli_output *o);
/* true once a write failed; later output is dropped. */
bool cli_output_failed(const cli_output *o);
/* Prints a message for a failed write (nothing for EPIPE: the reader went
 * away) and returns the exit code to use. */
int cli_output_report(const cli_output *o);

/* printf to an elog_writer (used by `info`). */
void cli_printf(elog_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------------
 * diag.c: messages on stderr.
 * ---------------------------------------------------------------------- */

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports how decoding ended and returns the exit code:
 *  - clean: nothing, CLI_EXIT_OK;
 *  - truncated between events / inside an event: a warning, CLI_EXIT_OK
 *    (CLI_EXIT_TRUNCATED if `strict`);
 *  - truncated header, empty input, decode error: an error, CLI_EXIT_BAD_INPUT.
 * `h` (may be NULL) refines the "bytes missing" wording. */
int cli_report_end(const cli_input *in, const elog_decoder *d, const elog_end *end,
                   const elog_header *h, bool strict);

/* true for end kinds after which the decoded events are usable. */
bool cli_end_usable(const elog_end *end);

/* ------------------------------------------------------------------------
 * Subcommands.
 * ---------------------------------------------------------------------- */

typedef struct cli_options {
    bool strict;
    bool stream;
    bool json;
} cli_options;

int cli_show_sorted(const char *path, const cli_options *opt);   /* show_sorted.c */
int cli_show_stream(const char *path, const cli_options *opt);   /* show_stream.c */
int cli_info(const char *path, const cli_options *opt);          /* info.c */

#endif

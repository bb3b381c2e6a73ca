/*
 * The one safe output file of every command that writes with -o (record,
 * filter, repair, merge, export, report):
 *
 *   - the output is never one of the inputs: device and inode of every input
 *     (paths, and stdin's open file for "-") are compared with the output's
 *     (also when the output is stdout, e.g. `cmd - > F < F`), even with --force;
 *   - an existing regular output is refused unless `force`; a directory is
 *     always refused;
 *   - a regular output is written under a temporary name in its directory
 *     (".NAME.XXXXXX", so the rename stays in one file system) and put in
 *     place only on success: link(2) without `force` (fails atomically if
 *     NAME appeared meanwhile), rename(2) with it. A failure leaves any
 *     earlier NAME untouched and no partial file;
 *   - SIGINT/SIGTERM/SIGHUP remove the temporary file and then kill as
 *     usual, unless the command already handles the signal itself (an
 *     interruptible source: its handler is left in place, and the command
 *     commits or aborts when its run ends);
 *   - outputs that are not regular files (a FIFO, /dev/null, a terminal) are
 *     opened and written directly: there is nothing to replace;
 *   - "-" is standard output (written directly);
 *   - with CLI_OUTFILE_GZIP, a name ending in ".gz" is gzip-compressed.
 *
 * One output is open at a time per process (the signal handler knows one
 * temporary file); record --reconnect opens them one after another.
 *
 * Use:
 *     cli_inputs in; cli_inputs_init(&in); cli_inputs_add(&in, source);
 *     cli_outfile *f = cli_outfile_open("filter", "out.eventlog", force, &in, CLI_OUTFILE_GZIP);
 *     if (f == NULL) fail;                           // message printed
 *     cli_outfile_write(f, p, n) ... ;               // or write(cli_outfile_fd(f), ...)
 *     ok ? cli_outfile_commit(f) : cli_outfile_abort(f);   // both free f
 */
#ifndef ELOG_TOOLS_OUTFILE_H
#define ELOG_TOOLS_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CLI_INPUTS_MAX 64

/* The identities (device, inode) of the inputs of a command. */
typedef struct cli_inputs {
    size_t n;
    dev_t dev[CLI_INPUTS_MAX];
    ino_t ino[CLI_INPUTS_MAX];
} cli_inputs;

void cli_inputs_init(cli_inputs *in);
/* Notes the identity of an input: a path, or "-" for stdin (its open file,
 * whatever it is). Sockets ("unix:", "tcp:"), NULL and paths that do not
 * exist are skipped. */
void cli_inputs_add(cli_inputs *in, const char *source);

typedef struct cli_outfile cli_outfile;

/* Flags of cli_outfile_open. */
#define CLI_OUTFILE_GZIP 1u /* a name ending in ".gz" is gzip-compressed */

/* Checks `path` against `in` and creates the output (or its temporary).
 * Returns it, or NULL after printing why, prefixed with `who`. */
cli_outfile *cli_outfile_open(const char *who, const char *path, bool force,
                              const cli_inputs *in, unsigned flags);

/* Appends bytes (compressed for .gz); an elog_log_sink. 0, or -1 with errno
 * (EPIPE: stdout's reader went away). */
int cli_outfile_write(void *outfile, const uint8_t *p, size_t n);

/* The descriptor, for callers with their own buffered writer (export,
 * report); not for a gzip output. Do not close it. */
int cli_outfile_fd(const cli_outfile *f);

/* true for "-". */
bool cli_outfile_is_stdout(const cli_outfile *f);

/* true if written bytes can be corrected in place: a temporary regular
 * file, not gzip. */
bool cli_outfile_seekable(const cli_outfile *f);

/* An elog_log_patch: overwrites bytes at output offset `off` (seekable
 * only). 0, or -1 with errno. */
int cli_outfile_patch(void *outfile, uint64_t off, const uint8_t *p, size_t n);

/* An elog_log_truncate: cuts the output to `size` bytes and writes on from
 * there (seekable only). 0, or -1 with errno. */
int cli_outfile_truncate(void *outfile, uint64_t size);

/* Success: finishes gzip, closes and puts the file in place. Returns 0, or
 * -1 after printing why (the temporary is removed). Frees f either way. */
int cli_outfile_commit(cli_outfile *f);

/* Failure: closes and removes the temporary (the path is left as it was),
 * frees f. NULL: nothing. */
void cli_outfile_abort(cli_outfile *f);

/* The end of a command's run: aborts when `rc` is CLI_EXIT_BAD_INPUT (no
 * output is left for a corrupt input or a failed write), else commits.
 * Returns rc, or CLI_EXIT_BAD_INPUT if the commit failed. Frees f. */
int cli_outfile_end(cli_outfile *f, int rc);

/* The name to print ("<stdout>" for "-"). */
const char *cli_outfile_name(const cli_outfile *f);

#endif

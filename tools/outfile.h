/*
 * Output files that cannot destroy data (record, and any command with -o):
 *
 *   - the output is never one of the inputs: device and inode of every input
 *     (paths, and stdin's file for `-`) are compared with the output's;
 *   - an existing output is refused unless the user said --force;
 *   - a regular output is written under a temporary name in the same
 *     directory (".NAME.XXXXXX") and renamed over NAME only on success, so
 *     a failure (corrupt input, full disk, an error) leaves any earlier NAME
 *     untouched and no partial file behind.
 *
 * Outputs that are not regular files (a FIFO, /dev/null, a terminal) are
 * opened and written directly: there is nothing to replace.
 *
 * Use:
 *     cli_inputs in; cli_inputs_init(&in);
 *     cli_inputs_add(&in, source);               // each input: path or "-"
 *     cli_outfile f;
 *     if (cli_outfile_open(&f, "out.eventlog", force, &in, "record") != 0) fail;
 *     write(f.fd, ...);
 *     ok ? cli_outfile_commit(&f) : cli_outfile_abort(&f);
 */
#ifndef ELOG_TOOLS_OUTFILE_H
#define ELOG_TOOLS_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
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
 * whatever it is). Sockets ("unix:", "tcp:") and paths that do not exist
 * yet are skipped. */
void cli_inputs_add(cli_inputs *in, const char *source);

typedef struct cli_outfile {
    char *path;       /* the name asked for */
    char *tmp;        /* the temporary name (NULL: written directly) */
    int fd;           /* -1 when not open */
    bool is_stdout;   /* "-": fd is STDOUT_FILENO, nothing to rename */
} cli_outfile;

/* Opens `path` for writing ("-" is stdout). Refuses, with an error message
 * prefixed by `who` ("record: FILE: ..."), an output that is one of `in`
 * (even with `force`), and an existing regular file unless `force`.
 * Returns 0 (f->fd is open), or -1 after printing why (f needs no abort). */
int cli_outfile_open(cli_outfile *f, const char *path, bool force, const cli_inputs *in,
                     const char *who);

/* Success: closes the file and renames the temporary over the path (without
 * `force`, refusing a file that appeared there meanwhile). Returns 0, or -1
 * after printing an error (the temporary is then removed). */
int cli_outfile_commit(cli_outfile *f, bool force, const char *who);

/* Failure: closes the file and removes the temporary (the path is left as it
 * was). A no-op on an outfile that is not open. */
void cli_outfile_abort(cli_outfile *f);

#endif

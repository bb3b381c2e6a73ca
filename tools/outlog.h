/*
 * A safe output file for the commands that write an eventlog (filter,
 * repair, merge): written under a temporary name in OUT's directory and
 * renamed to OUT only when complete, so an interrupted or failed run never
 * leaves a half-written OUT (SIGINT/SIGTERM/SIGHUP remove the temporary
 * file); OUT may not be one of the inputs (same device and inode); an
 * existing OUT is refused unless `force` (without it the final link fails
 * atomically if OUT appeared meanwhile); "-" is standard output; a name
 * ending in ".gz" is gzip-compressed.
 *
 * (The `hardening` branch has a similar helper for `record`; the two are to
 * be unified.)
 */
#ifndef ELOG_TOOLS_OUTLOG_H
#define ELOG_TOOLS_OUTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cli_outlog cli_outlog;

/* Checks and creates the temporary file. `inputs` are the input paths (NULL
 * entries, "-" and socket addresses are skipped). Returns the output, or NULL
 * after printing why (prefixed with `cmd`). */
cli_outlog *cli_outlog_open(const char *cmd, const char *path, bool force,
                              const char *const *inputs, size_t n_inputs);

/* An elog_log_sink: appends bytes (compressing for .gz). 0, or -1 with errno. */
int cli_outlog_sink(void *outfile, const uint8_t *p, size_t n);

/* true if the output is a plain file we can correct in place (not gzip,
 * not stdout). */
bool cli_outlog_seekable(const cli_outlog *o);

/* An elog_log_patch: overwrites bytes already written, at output offset
 * `off` (only when seekable). 0, or -1 with errno. */
int cli_outlog_patch(void *outfile, uint64_t off, const uint8_t *p, size_t n);

/* An elog_log_truncate: cuts the output (only when seekable). 0, or -1. */
int cli_outlog_truncate(void *outfile, uint64_t size);

/* Completes the file (gzip trailer, fsync-free close) and renames it to OUT.
 * Returns 0, or -1 after printing why (the temporary file is removed). Frees
 * the outfile either way. */
int cli_outlog_commit(cli_outlog *o);

/* Removes the temporary file and frees the outfile (NULL: nothing). */
void cli_outlog_abort(cli_outlog *o);

/* The name to print for OUT ("<stdout>" for "-"). */
const char *cli_outlog_name(const cli_outlog *o);

#endif

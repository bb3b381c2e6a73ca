/*
 * The pipeline of the commands that write an eventlog from one SOURCE
 * (filter, repair): the source decoded into the library's elog_filter, the
 * elog_log_writer's bytes into a safe output file (outfile.h).
 */
#ifndef ELOG_TOOLS_REWRITE_H
#define ELOG_TOOLS_REWRITE_H

#include "cli.h"
#include "eventlog/filter.h"

typedef struct cli_rewrite_job {
    const char *cmd;        /* "filter", "repair": for messages */
    const char *source;
    const char *output;     /* -o */
    bool force;
    bool strict;            /* truncated input: exit 3 (filter) */
    bool repair;            /* report what was dropped and fixed */
    elog_filter *filter;
} cli_rewrite_job;

/* Runs the job; returns the exit code (messages printed). */
int cli_rewrite(const cli_rewrite_job *job);

/* `eventlog filter ...` and `eventlog repair ...` (argv[0] is the command). */
int cmd_filter(int argc, char **argv);
int cmd_repair(int argc, char **argv);
/* `eventlog merge ...` (merge.c). */
int cmd_merge(int argc, char **argv);

#endif

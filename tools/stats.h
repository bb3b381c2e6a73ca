/* `eventlog stats`, which parses its own options (stats.c). */
#ifndef ELOG_TOOLS_STATS_H
#define ELOG_TOOLS_STATS_H

/* argv[0] is "stats". Returns the exit status. */
int cmd_stats(int argc, char **argv);

#endif

/*
 * `eventlog export` and `eventlog report`: thin users of the library's
 * exporters (include/eventlog/export.h) and report (include/eventlog/report.h).
 * Each parses its own command line, as `replay` does.
 */
#ifndef ELOG_TOOLS_EXPORT_CMD_H
#define ELOG_TOOLS_EXPORT_CMD_H

/* argv[0] is the command name; options and the SOURCE follow. Returns an
 * exit code (CLI_EXIT_*). */
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif

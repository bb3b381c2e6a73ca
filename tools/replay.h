/*
 * `eventlog replay`: serve an eventlog file over a socket the way a program
 * instrumented with eventlog-socket does (docs/SOCKET-PROTOCOL.md), as
 * a stand-in for tests and demonstrations of socket clients.
 */
#ifndef ELOG_TOOLS_REPLAY_H
#define ELOG_TOOLS_REPLAY_H

/* argv[0] is the command name ("replay"); options and operands follow:
 * `replay [OPTIONS] FILE LISTEN`. Parses with getopt_long from the start
 * (it resets optind). Returns an exit code (CLI_EXIT_*). Prints
 * "listening on ADDR" on stdout once clients can connect. */
int cmd_replay(int argc, char **argv);

#endif

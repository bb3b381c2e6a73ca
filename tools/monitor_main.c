/*
 * eventlog-monitor: the program behind `eventlog monitor` (monitor.c). It is
 * a program of its own because it links libmicrohttpd and libcurl, whose
 * loading would otherwise add ~5 MiB to the memory of every `eventlog`
 * command; `eventlog monitor ...` runs it with the same arguments.
 */
#include "monitor.h"

#include <signal.h>

int main(int argc, char **argv)
{
    /* As in eventlog.c: a closed pipe surfaces as EPIPE, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    argv[0] = (char *)"monitor"; /* cmd_monitor() takes the line from its name */
    return cmd_monitor(argc, argv);
}

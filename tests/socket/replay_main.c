/*
 * A standalone `replay` command for the socket tests, until `eventlog replay`
 * is wired into tools/eventlog.c: `replay_driver [OPTIONS] FILE LISTEN` is
 * exactly `eventlog replay [OPTIONS] FILE LISTEN`.
 */
#include "replay.h"

int main(int argc, char **argv)
{
    return cmd_replay(argc, argv);
}

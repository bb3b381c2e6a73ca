#!/bin/sh
# A plain file that shrinks while `eventlog show` re-reads it in pass 2 (a
# program rewriting its log, say): through the mapping the kernel raises
# SIGBUS, through pread(2) the read comes up short. Either way the command
# must end with exit status 1 and a message naming the file, not a crash.
#
# Deterministic: stdout is a FIFO that this script stops reading after the
# first bytes, so `show` is blocked in pass 2 (pass 1 prints nothing) with
# most of the file still to read when the file is truncated to nothing.
#
#   show_shrink.sh EVENTLOG_EXE LOG
set -u

exe=${1:?usage: show_shrink.sh EVENTLOG_EXE LOG}
log=${2:?usage: show_shrink.sh EVENTLOG_EXE LOG}
LC_ALL=C
export LC_ALL

tmp=$(mktemp -d "${TMPDIR:-/tmp}/elog-shrink.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

fail=0
for way in map pread; do
    cp "$log" "$tmp/in.eventlog"
    rm -f "$tmp/out"
    mkfifo "$tmp/out" || exit 99
    no_map=
    [ "$way" = pread ] && no_map=1
    (
        if [ -n "$no_map" ]; then
            ELOG_SHOW_NO_MAP=1 timeout 60 "$exe" show "$tmp/in.eventlog" > "$tmp/out" 2> "$tmp/err"
        else
            timeout 60 "$exe" show "$tmp/in.eventlog" > "$tmp/out" 2> "$tmp/err"
        fi
        echo $? > "$tmp/rc"
    ) &
    exec 3< "$tmp/out"
    # The first bytes of output: pass 2 has begun and the pipe fills up.
    timeout 60 head -c 4096 <&3 > /dev/null
    : > "$tmp/in.eventlog"
    timeout 60 cat <&3 > "$tmp/rest"
    exec 3<&-
    wait
    rc=$(cat "$tmp/rc")
    if [ "$rc" = 1 ] && grep -q "in.eventlog: .*shrank while being read" "$tmp/err"; then
        echo "ok $way: exit $rc: $(cat "$tmp/err")"
    else
        echo "FAIL $way: exit $rc (want 1 and a 'shrank while being read' message):"
        sed 's/^/    /' "$tmp/err"
        fail=$((fail + 1))
    fi
done
[ "$fail" -eq 0 ]

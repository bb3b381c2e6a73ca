#!/bin/sh
# A plain file that shrinks while `eventlog show` reads it (a program
# rewriting its log, say) must end the command with exit status 1 and a
# message naming the file, not a crash:
#  - in pass 2, which re-reads it with pread(2): the read comes up short.
#    Deterministic: stdout is a FIFO that this script stops reading after
#    the first bytes, so `show` is blocked in pass 2 (pass 1 prints nothing)
#    with most of the file still to read when the file is truncated.
#    Once with pass 1 mapped (split mode), once with pread (ELOG_SHOW_NO_MAP).
#  - in pass 1 through a mapping (split mode): SIGBUS. The LD_PRELOAD shim
#    (shrink_on_mmap.c, not in sanitizer builds) truncates the file as soon
#    as it is mapped.
#
#   show_shrink.sh EVENTLOG_EXE LOG [SHIM.so]
set -u

exe=${1:?usage: show_shrink.sh EVENTLOG_EXE LOG [SHIM.so]}
log=${2:?usage: show_shrink.sh EVENTLOG_EXE LOG [SHIM.so]}
shim=${3:-}
ELOG_SHOW_SPLIT_MIN=0
export ELOG_SHOW_SPLIT_MIN
LC_ALL=C
export LC_ALL

tmp=$(mktemp -d "${TMPDIR:-/tmp}/elog-shrink.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

fail=0

# check WHAT [WORD]: exit status 1 and the message (with WORD in it)
check() {
    if [ "$rc" = 1 ] && grep -q "in.eventlog: .*shrank while being read.*${2:-}" "$tmp/err"; then
        echo "ok $1: exit $rc: $(cat "$tmp/err")"
    else
        echo "FAIL $1: exit $rc (want 1 and a 'shrank while being read' message):"
        sed 's/^/    /' "$tmp/err"
        fail=$((fail + 1))
    fi
}

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
    check "pass 2, $way"
done

if [ -n "$shim" ]; then
    cp "$log" "$tmp/in.eventlog"
    LD_PRELOAD="$shim" ELOG_TEST_SHRINK_ON_MMAP="$tmp/in.eventlog" \
        timeout 60 "$exe" show "$tmp/in.eventlog" > "$tmp/rest" 2> "$tmp/err"
    rc=$?
    check "pass 1, map" SIGBUS
fi
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Sorted `eventlog show` of two builds side by side (not a test): the same
# inputs, ROUNDS interleaved rounds (old, new, old, new, ...), best wall
# time and largest peak RSS of each, to /dev/null. For the "Time-ordered
# iteration" section of bench/RESULTS.md: the library merge (elog_order)
# against the CLI's own merge it replaced.
#
#   bench/order_bench.sh OLD_EVENTLOG NEW_EVENTLOG [INPUT...]
#
# Default inputs: corpus/large/{busy-large,busy-small,census-hc}.eventlog and
# a gzip of busy-small (made once in $TMPDIR). Environment: ROUNDS (default
# 7), RUNSTAT (bench/runstat of a build; default build-bench's), TIMEOUT
# (seconds per run, default 600).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
old=${1:?usage: order_bench.sh OLD_EVENTLOG NEW_EVENTLOG [INPUT...]}
new=${2:?usage: order_bench.sh OLD_EVENTLOG NEW_EVENTLOG [INPUT...]}
shift 2
ROUNDS=${ROUNDS:-7}
RUNSTAT=${RUNSTAT:-$root/build-bench/bench/runstat}
TIMEOUT=${TIMEOUT:-600}
inputs=("$@")
if ((${#inputs[@]} == 0)); then
    large=$root/corpus/large
    gz=${TMPDIR:-/tmp}/order-bench-busy-small.eventlog.gz
    [[ -s $gz ]] || gzip -c "$large/busy-small.eventlog" > "$gz"
    inputs=("$large/busy-large.eventlog" "$large/busy-small.eventlog" "$large/census-hc.eventlog" "$gz")
fi

# best wall, best cpu, largest RSS of one side: "wall cpu rss"
declare -A wall cpu rss
run1() { # side input
    local line
    line=$("$RUNSTAT" -t "$TIMEOUT" -- "${!1}" show "$2")
    local w c m st
    st=$(sed -n 's/.*status=\([0-9]*\).*/\1/p' <<< "$line")
    w=$(sed -n 's/.*wall=\([0-9.]*\).*/\1/p' <<< "$line")
    c=$(sed -n 's/.*cpu=\([0-9.]*\).*/\1/p' <<< "$line")
    m=$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' <<< "$line")
    [[ $st == 0 ]] || { echo "order_bench: $1 show $2: exit $st" >&2; exit 1; }
    local k="$1|$2"
    if [[ -z ${wall[$k]:-} ]] || awk "BEGIN{exit !($w < ${wall[$k]})}"; then wall[$k]=$w; fi
    if [[ -z ${cpu[$k]:-} ]] || awk "BEGIN{exit !($c < ${cpu[$k]})}"; then cpu[$k]=$c; fi
    if [[ -z ${rss[$k]:-} ]] || ((m > ${rss[$k]})); then rss[$k]=$m; fi
}

echo "| input | old wall (s) | new wall (s) | new/old | old cpu (s) | new cpu (s) | old peak RSS (KiB) | new peak RSS (KiB) |"
echo "|---|---|---|---|---|---|---|---|"
for f in "${inputs[@]}"; do
    cmp -s <("$old" show "$f") <("$new" show "$f") ||
        { echo "order_bench: outputs differ on $f" >&2; exit 1; }
    cat "$f" > /dev/null
    for ((r = 0; r < ROUNDS; r++)); do
        run1 old "$f"
        run1 new "$f"
    done
    ratio=$(awk "BEGIN{printf \"%.3f\", ${wall[new|$f]} / ${wall[old|$f]}}")
    echo "| $(basename "$f") | ${wall[old|$f]} | ${wall[new|$f]} | $ratio | ${cpu[old|$f]} | ${cpu[new|$f]} | ${rss[old|$f]} | ${rss[new|$f]} |"
done

#!/usr/bin/env bash
# `eventlog stats` against a bare decode of the same file, in the same run
# (issue 16's target: stats at >= 0.5x the bare decode's speed, peak RSS
# <= 8 MiB). Not part of the test run.
#
#   bench/stats_bench.sh [FILE...]     (default: corpus/large/busy-large.eventlog,
#                                       busy-small.eventlog, census-hc.eventlog)
#
# The baseline is `decode_bench reader FILE`: one elog_reader pass (the same
# read-ahead reader `eventlog` uses) with a callback that only counts events.
# Rounds alternate baseline / stats (ROUNDS, default 5); the best wall time of
# each is compared, CPU time (user + sys of all threads) and peak RSS shown
# beside. Environment: ROUNDS, BUILD (default build-bench if built, else build).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
ROUNDS=${ROUNDS:-5}
build=${BUILD:-}
if [[ -z $build ]]; then
    if [[ -x $root/build-bench/tools/eventlog ]]; then build=$root/build-bench; else build=$root/build; fi
fi
eventlog=$build/tools/eventlog
decode=$build/bench/decode_bench
runstat=$build/bench/runstat
for t in "$eventlog" "$decode" "$runstat"; do
    [[ -x $t ]] || { echo "stats_bench: $t is not built (ninja -C $build)" >&2; exit 1; }
done
files=("$@")
if [[ ${#files[@]} -eq 0 ]]; then
    for f in busy-large busy-small census-hc; do
        [[ -s $root/corpus/large/$f.eventlog ]] && files+=("$root/corpus/large/$f.eventlog")
    done
fi
[[ ${#files[@]} -gt 0 ]] || { echo "stats_bench: no input (bench/gen_large.sh records them)" >&2; exit 1; }

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
best() { sort -g | head -1; }

printf '%-22s %9s %9s %9s %9s %9s %9s %7s %6s\n' file "MB" "base s" "stats s" "base cpu" \
    "stats cpu" "stats MiB" "ratio" "met?"
for f in "${files[@]}"; do
    mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN { printf "%.0f", b / 1e6 }')
    bw=(); sw=(); bc=(); sc=(); rss=()
    for ((r = 0; r < ROUNDS; r++)); do
        l=$("$runstat" -t 600 -- "$decode" reader "$f")
        [[ $(field status "$l") == 0 ]] || { echo "baseline failed on $f: $l" >&2; exit 1; }
        bw+=("$(field wall "$l")"); bc+=("$(field cpu "$l")")
        l=$("$runstat" -t 600 -- "$eventlog" stats "$f")
        [[ $(field status "$l") == 0 ]] || { echo "stats failed on $f: $l" >&2; exit 1; }
        sw+=("$(field wall "$l")"); sc+=("$(field cpu "$l")"); rss+=("$(field maxrss_kb "$l")")
    done
    b=$(printf '%s\n' "${bw[@]}" | best); s=$(printf '%s\n' "${sw[@]}" | best)
    bcpu=$(printf '%s\n' "${bc[@]}" | best); scpu=$(printf '%s\n' "${sc[@]}" | best)
    peak=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
    awk -v n="$(basename "$f")" -v mb="$mb" -v b="$b" -v s="$s" -v bc="$bcpu" -v sc="$scpu" \
        -v rss="$peak" 'BEGIN {
        ratio = b / s; mib = rss / 1024
        met = (ratio >= 0.5 && mib <= 8) ? "yes" : "no"
        printf "%-22s %9s %9.3f %9.3f %9.3f %9.3f %9.1f %6.2fx %6s\n", n, mb, b, s, bc, sc, mib, ratio, met }'
done
printf '\nratio = bare decode wall / stats wall (best of %d rounds each, interleaved); target >= 0.5x, stats peak RSS <= 8 MiB\n' "$ROUNDS"
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Benchmarks of the exports and the HTML report (issue 18), not a test:
#
#   bench/exports.sh        (from anywhere; a minute or two once the inputs exist)
#
# On the large log (corpus/large/busy-large.eventlog, recorded by
# bench/gen_large.sh when missing) it times, ROUNDS times each, interleaved
# round by round so that the figures share the host's moments:
#   eventlog info                  decode reading every typed field (the floor
#                                  of any consumer, for scale)
#   eventlog export -f ndjson      time-ordered NDJSON to /dev/null; target:
#                                  >= 300 MB/s of input
#   eventlog export -f chrome      the Chrome trace (time order)
#   eventlog export -f csv -t thread-runs
#   eventlog stats                 the analysis alone (the report's baseline)
#   eventlog report -o -           the HTML page; targets: <= 2x the time of
#                                  stats, peak RSS <= 16 MiB, page <= 5 MB
# and prints the best wall time, the CPU time of that run (user + system, all
# threads), MB/s of input (10^6 bytes) by wall and by CPU time, peak RSS, and
# the report's size. Run it on an otherwise idle machine: on a loaded one the
# wall figures wait for the CPU, the CPU figures less so.
#
# Environment: ROUNDS (default 3), BUILD (default build-bench: a release build,
# configured here if missing), DATA (default corpus/large), LOG (default
# $DATA/busy-large.eventlog).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
ROUNDS=${ROUNDS:-3}
build=${BUILD:-build-bench}
data=${DATA:-corpus/large}
log=${LOG:-$data/busy-large.eventlog}

if [[ ! -f $build/build.ninja ]]; then
    meson setup "$build" -Dbuildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" tools/eventlog bench/runstat >/dev/null
if [[ ! -s $log ]]; then
    BENCH_BUILD=$build bench/gen_large.sh "$data"
fi
ev=$build/tools/eventlog
runstat=$build/bench/runstat
bytes=$(stat -c %s -- "$log")
page=$(mktemp "${TMPDIR:-/tmp}/exports-bench.XXXXXX.html")
trap 'rm -f -- "$page"' EXIT

names=(info ndjson chrome csv stats report)
declare -A best_wall best_cpu best_rss
cmd_of() {
    case $1 in
        info) echo "$ev info $log" ;;
        ndjson) echo "$ev export -f ndjson $log" ;;
        chrome) echo "$ev export -f chrome $log" ;;
        csv) echo "$ev export -f csv -t thread-runs $log" ;;
        stats) echo "$ev stats $log" ;;
        report) echo "$ev report $log -o -" ;;
    esac
}
for ((r = 1; r <= ROUNDS; r++)); do
    for n in "${names[@]}"; do
        out=/dev/null
        [[ $n == report ]] && out=$page
        # shellcheck disable=SC2046
        line=$("$runstat" -t 600 -o "$out" -- $(cmd_of "$n"))
        [[ $line =~ status=0 ]] || { echo "exports.sh: $n failed: $line" >&2; exit 1; }
        wall=$(sed -E 's/.*wall=([0-9.]+).*/\1/' <<<"$line")
        cpu=$(sed -E 's/.*cpu=([0-9.]+).*/\1/' <<<"$line")
        rss=$(sed -E 's/.*maxrss_kb=([0-9]+).*/\1/' <<<"$line")
        if [[ -z ${best_wall[$n]:-} ]] || awk -v a="$wall" -v b="${best_wall[$n]}" 'BEGIN{exit !(a<b)}'; then
            best_wall[$n]=$wall
            best_cpu[$n]=$cpu
        fi
        if [[ -z ${best_rss[$n]:-} ]] || ((rss > best_rss[$n])); then best_rss[$n]=$rss; fi
    done
done

printf '%s: %d bytes, %d rounds, load average %s\n' "$log" "$bytes" "$ROUNDS" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %10s %10s %12s %12s %12s\n' command wall_s cpu_s MB/s_wall MB/s_cpu peak_RSS_MiB
for n in "${names[@]}"; do
    awk -v n="$n" -v w="${best_wall[$n]}" -v c="${best_cpu[$n]}" -v r="${best_rss[$n]}" -v b="$bytes" \
        'BEGIN { printf "%-8s %10.3f %10.3f %12.1f %12.1f %12.1f\n", n, w, c, b / 1e6 / w, b / 1e6 / c, r / 1024 }'
done
awk -v w="${best_wall[ndjson]}" -v c="${best_cpu[ndjson]}" -v b="$bytes" \
    'BEGIN { printf "ndjson: %.0f MB/s by wall, %.0f MB/s by CPU (target >= 300)\n", b / 1e6 / w, b / 1e6 / c }'
awk -v r="${best_wall[report]}" -v s="${best_wall[stats]}" -v rc="${best_cpu[report]}" -v sc="${best_cpu[stats]}" \
    'BEGIN { printf "report / stats: %.2fx by wall, %.2fx by CPU (target <= 2)\n", r / s, rc / sc }'
printf 'report: peak RSS %.1f MiB (target <= 16), page %d bytes (limit 5 MB)\n' \
    "$(awk -v r="${best_rss[report]}" 'BEGIN{print r/1024}')" "$(stat -c %s -- "$page")"

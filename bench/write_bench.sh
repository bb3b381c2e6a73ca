#!/usr/bin/env bash
# Speed and memory of the commands that write eventlogs (filter, repair,
# merge) on the large benchmark log, each beside its baseline in the same
# run: copying the file with cat (the I/O floor of writing a log) for filter
# and repair, ghc-events merge for merge (bounded by GE_TIMEOUT).
#
#   bench/write_bench.sh     (after bench/run.sh or bench/gen_large.sh made
#                             corpus/large/busy-large.eventlog)
#
# Figures: MB/s of input (MB = 10^6 bytes) by wall clock, best of ROUNDS,
# and peak RSS (/usr/bin/time %M). Outputs go to a temporary directory on
# the same file system as TMPDIR. Targets (issue 17): filter keeping about a
# tenth, and repair, >= 1000 MB/s with peak RSS <= 8 MiB; merge of two large
# logs >= 300 MB/s.
#
# Environment: ROUNDS (default 5), BUILD (default build-bench), DATA
# (default corpus/large), GE_TIMEOUT (default 120 s; ghc-events merge also
# runs with an 8 GB address-space limit: "fail" is running out of it).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
ROUNDS=${ROUNDS:-5}
build=${BUILD:-$root/build-bench}
data=${DATA:-$root/corpus/large}
GE_TIMEOUT=${GE_TIMEOUT:-120}
log=$data/busy-large.eventlog
[ -f "$log" ] || { echo "missing $log: run bench/gen_large.sh first" >&2; exit 1; }
if [ ! -x "$build/tools/eventlog" ]; then
    meson setup "$build" "$root" -Dbuildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" tools/eventlog >/dev/null
exe=$build/tools/eventlog
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
size=$(stat -c %s "$log")

# best wall seconds, the peak RSS (KiB) and the best CPU seconds (user +
# system, all threads) of ROUNDS runs of "$@"
measure() {
    local best="" rss=0 cpu="" i t m u s c
    for i in $(seq "$ROUNDS"); do
        /usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || {
            grep -v "^Command" "$tmp/err" | head -2 >&2; echo "fail 0 0"; return; }
        read -r t m u s < "$tmp/time"
        c=$(awk "BEGIN{print $u + $s}")
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
        if [ -z "$cpu" ] || awk "BEGIN{exit !($c < $cpu)}"; then cpu=$c; fi
        [ "$m" -gt "$rss" ] && rss=$m
    done
    echo "$best $rss $cpu"
}

row() { # name bytes "ours_s ours_kb" "base_s base_kb" base_name target
    local name=$1 bytes=$2 ours=($3) base=($4) bname=$5 target=$6
    local mbs bmbs cmbs
    mbs=$(awk "BEGIN{printf \"%.0f\", $bytes / 1e6 / (${ours[0]} > 0 ? ${ours[0]} : 1e-9)}")
    cmbs=$(awk "BEGIN{printf \"%.0f\", $bytes / 1e6 / (${ours[2]} > 0 ? ${ours[2]} : 1e-9)}")
    if [ "${base[0]}" = fail ]; then bmbs="failed (out of memory or time limit: see above)"
    else bmbs=$(awk "BEGIN{printf \"%.0f MB/s\", $bytes / 1e6 / (${base[0]} > 0 ? ${base[0]} : 1e-9)}"); fi
    printf '| %s | %s MB/s (%s MB/s of CPU), %.1f MiB peak | %s: %s, %.1f MiB | %s |\n' "$name" "$mbs" "$cmbs" \
        "$(awk "BEGIN{print ${ours[1]}/1024}")" "$bname" "$bmbs" "$(awk "BEGIN{print ${base[1]}/1024}")" "$target"
}

cat_base=$(measure sh -c "cat '$log' > '$tmp/copy'")
kept() { stat -c %s "$tmp/out"; }

echo "| command, $(awk "BEGIN{printf \"%.0f\", $size/1e6}") MB log | ours: input MB/s by wall clock (by CPU time) | baseline | target |"
echo "|---|---|---|---|"
ours=$(measure "$exe" filter "$log" --type create_thread,migrate_thread,user_msg -o "$tmp/out" --force)
row "filter --type create_thread,migrate_thread,user_msg (keeps $(( $(kept) * 100 / size ))%)" "$size" "$ours" "$cat_base" "cat > file" ">= 1000 MB/s, <= 8 MiB"
ours=$(measure "$exe" filter "$log" --to 4.5s -o "$tmp/out" --force)
row "filter --to 4.5s (keeps $(( $(kept) * 100 / size ))%)" "$size" "$ours" "$cat_base" "cat > file" ">= 1000 MB/s, <= 8 MiB"
ours=$(measure "$exe" filter "$log" --cap 1 --thread 1,2,3,4,5,6,7,8,9,10 -o "$tmp/out" --force)
row "filter --cap 1 --thread 1..10 (keeps $(( $(kept) * 100 / size ))%)" "$size" "$ours" "$cat_base" "cat > file" "-"
head -c $((size - 1000)) "$log" > "$tmp/cut.eventlog"
cut_base=$(measure sh -c "cat '$tmp/cut.eventlog' > '$tmp/copy'")
ours=$(measure "$exe" repair "$tmp/cut.eventlog" -o "$tmp/out" --force)
row "repair (log cut 1000 bytes short)" "$((size - 1000))" "$ours" "$cut_base" "cat > file" ">= 1000 MB/s, <= 8 MiB"
ours=$(measure "$exe" merge "$log" "$log" -o "$tmp/out" --force)
# ghc-events holds whole logs in memory: bounded to 8 GB of address space
ge=$( (command -v ghc-events >/dev/null && ROUNDS=1 measure sh -c "ulimit -v 8000000; exec timeout '$GE_TIMEOUT' ghc-events merge '$tmp/ge.eventlog' '$log' '$log'") || echo "fail 0 0")
row "merge of the log with itself" "$((2 * size))" "$ours" "$ge" "ghc-events merge" ">= 300 MB/s"

#!/usr/bin/env bash
# Records the benchmark eventlogs from real GHC 9.0.2 programs (bench/programs/)
# into OUTDIR (default corpus/large/, git-ignored). Each file is only recorded
# if it is missing; FORCE=1 records them all again.
#
#   bench/gen_large.sh [OUTDIR]
#
#   busy-large.eventlog   >= 300 MB, ~20 M small events: Busy.hs, -threaded,
#                         +RTS -N2 -l (short-lived threads, MVar ping-pong,
#                         traceEventIO messages, parallel GC)
#   busy-small.eventlog   ~35 MB of the same program (small events, ~17 B)
#   census-hc.eventlog    ~40 MB of large events (~90 B): Census.hs, -prof
#                         -fprof-auto, +RTS -hc -l: HEAP_PROF_SAMPLE_COST_CENTRE
#                         with 17-frame stacks
#
# Every file is checked to decode clean (strict blocks) with the library
# (bench/decode_bench once) and `eventlog info`, of the build in BENCH_BUILD
# (default build-bench, else build), before it is moved into OUTDIR, so an
# interrupted run never leaves a partial file there.
#
# Environment: GHC (default ghc), ALLOW_OTHER_GHC=1 to accept a GHC other
# than 9.0.2, BENCH_BUILD (the build whose tools check the logs),
# LARGE_ROUNDS / SMALL_ROUNDS / CENSUS_ROUNDS to change the sizes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
outdir=${1:-$root/corpus/large}
GHC=${GHC:-ghc}
LARGE_ROUNDS=${LARGE_ROUNDS:-5000}     # ~66 KB per round
SMALL_ROUNDS=${SMALL_ROUNDS:-530}
CENSUS_ROUNDS=${CENSUS_ROUNDS:-250}    # ~130 KB per round at -i0.005
LARGE_MIN_BYTES=300000000
BUILD_TIMEOUT=600
RUN_TIMEOUT=900

log() { echo "gen_large: $*" >&2; }
die() { echo "gen_large: error: $*" >&2; exit 1; }

command -v "$GHC" >/dev/null 2>&1 ||
    die "'$GHC' not found: apt-get install ghc ghc-prof (or run bench/run.sh as root)"
ver=$(timeout 60 "$GHC" --numeric-version) || die "'$GHC --numeric-version' failed"
if [[ $ver != 9.0.2 ]]; then
    [[ ${ALLOW_OTHER_GHC:-0} == 1 ]] || die "GHC is $ver, not 9.0.2 (ALLOW_OTHER_GHC=1 to accept it)"
    log "warning: GHC $ver, not 9.0.2"
fi

# The checkers: decode_bench (the library) and `eventlog info`.
bench_build=${BENCH_BUILD:-}
if [[ -z $bench_build ]]; then
    for b in "$root/build-bench" "$root/build"; do
        if [[ -x $b/bench/decode_bench && -x $b/tools/eventlog ]]; then bench_build=$b; break; fi
    done
fi
[[ -n $bench_build ]] ||
    die "no build with bench/decode_bench and tools/eventlog: build the project first (ninja -C build-bench)"
decode_bench=$bench_build/bench/decode_bench
eventlog=$bench_build/tools/eventlog

mkdir -p -- "$outdir"
work=$(mktemp -d "${TMPDIR:-/tmp}/eventlog-bench-gen.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

# build NAME SOURCE FLAGS...: compile once into $work/NAME
build() {
    local name=$1 src=$2
    shift 2
    [[ -x $work/$name ]] && return 0
    log "building $name: ghc $*"
    if ! timeout "$BUILD_TIMEOUT" "$GHC" "$@" -outputdir "$work/obj-$name" -o "$work/$name" \
        "$src" >"$work/$name.build.log" 2>&1; then
        cat "$work/$name.build.log" >&2
        [[ $* == *-prof* ]] && die "building $name failed (profiled builds need ghc-prof)"
        die "building $name failed"
    fi
}

# record FILE BINARY ARGS... -- RTSFLAGS...: run in $work, check, move to $outdir
record() {
    local file=$1 bin=$2
    shift 2
    local -a args=() rts=()
    while [[ $1 != -- ]]; do args+=("$1"); shift; done
    shift
    rts=("$@")
    local tmp=$work/$file
    rm -f -- "$tmp"
    log "recording $file: $bin ${args[*]} +RTS ${rts[*]} -RTS"
    local t0=$SECONDS
    if ! (cd "$work" && timeout "$RUN_TIMEOUT" "./$bin" "${args[@]}" +RTS "${rts[@]}" "-ol$file" -RTS) \
        >"$work/$file.stdout" 2>"$work/$file.stderr"; then
        cat "$work/$file.stderr" >&2
        die "$file: the program failed or ran over ${RUN_TIMEOUT} s"
    fi
    [[ -f $tmp ]] || die "$file was not written"
    # The library decides (strict blocks, clean end); `eventlog info` must
    # agree, but a broken CLI build does not throw the recording away.
    local out
    out=$(timeout 300 "$decode_bench" once "$tmp") ||
        die "$file does not decode clean (decode_bench once)"
    local events=${out#events=}
    events=${events%% *}
    local info
    if info=$(timeout 300 "$eventlog" info "$tmp" 2>&1) && grep -q '^End: *clean' <<<"$info"; then
        grep -q "^Events: *$events\$" <<<"$info" ||
            die "$file: eventlog info counts $(sed -n 's/^Events: *//p' <<<"$info") events," \
                "the library $events"
    else
        log "warning: '$eventlog info' disagrees (is the CLI broken?): $(tail -2 <<<"$info")"
    fi
    log "$file: $(stat -c %s -- "$tmp") bytes, $events events, $((SECONDS - t0)) s"
}

want() { [[ ${FORCE:-0} == 1 || ! -s $outdir/$1 ]]; }

if want busy-large.eventlog || want busy-small.eventlog; then
    build busy "$here/programs/Busy.hs" -O1 -threaded -eventlog -rtsopts
fi
if want busy-large.eventlog; then
    record busy-large.eventlog busy "$LARGE_ROUNDS" -- -N2 -l
    size=$(stat -c %s -- "$work/busy-large.eventlog")
    if ((size < LARGE_MIN_BYTES)); then
        # the scheduler's choices vary from run to run: scale up once
        rounds=$((LARGE_ROUNDS * (LARGE_MIN_BYTES / 1000) / (size / 1000) * 11 / 10 + 1))
        log "only $size bytes; recording again with $rounds rounds"
        record busy-large.eventlog busy "$rounds" -- -N2 -l
        size=$(stat -c %s -- "$work/busy-large.eventlog")
        ((size >= LARGE_MIN_BYTES)) || die "busy-large.eventlog is only $size bytes"
    fi
    mv -f -- "$work/busy-large.eventlog" "$outdir/"
fi
if want busy-small.eventlog; then
    record busy-small.eventlog busy "$SMALL_ROUNDS" -- -N2 -l
    mv -f -- "$work/busy-small.eventlog" "$outdir/"
fi
if want census-hc.eventlog; then
    build census "$here/programs/Census.hs" -O0 -prof -fprof-auto -eventlog -rtsopts
    record census-hc.eventlog census "$CENSUS_ROUNDS" -- -hc -i0.005 -l
    mv -f -- "$work/census-hc.eventlog" "$outdir/"
fi
log "inputs in $outdir:"
ls -l -- "$outdir"/*.eventlog >&2

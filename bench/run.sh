#!/usr/bin/env bash
# The benchmark suite: libeventlog against ghc-events and the I/O floor.
# Not part of the test run (meson test / scripts/test.sh never call it).
#
#   bench/run.sh        (from anywhere; ~5 minutes once the inputs exist, ~9 the
#                        first time; the inputs take ~1.7 GB in corpus/large/)
#
# It
#   1. installs what is missing when run as root (ghc, ghc-prof,
#      libghc-ghc-events-dev with /usr/bin/ghc-events, valgrind, python3-cffi,
#      ...), else says which apt-get line to run;
#   2. builds a release build in build-bench (meson setup build-bench
#      -Dbuildtype=release -Dtests=false -Dbench=true) and the ghc-events baseline
#      bench/ghc_events_decode.hs;
#   3. records the inputs if missing (bench/gen_large.sh, into corpus/large/,
#      git-ignored) and derives from them (corpus/large/derived/): valid logs
#      of 1 MB, 10 MB, 100 MB and 1 GB (header + whole blocks + end marker,
#      decode_bench mklog), a 20 MB cut for callgrind, and a .gz;
#   4. measures, each figure ROUNDS times (default 5; the best is reported,
#      and the spread; what is compared is interleaved round by round): the
#      floors (cat > /dev/null, bench/byte_loop), our decode
#      (bench/decode_bench, eventlog info), ghc-events' incremental
#      decode, eventlog show / show --stream vs ghc-events show, .gz vs zlib
#      and zcat, the socket client (bench/socket_bench.sh), the Python
#      binding (bindings/python/bench.py), peak RSS from 1 MB to 1 GB, and
#      instructions per event under callgrind;
#   5. prints the table (metric, ours, baseline, ratio, target, met?) and
#      writes it with the details to bench/RESULTS.md (bench/report.py).
#
# Whole processes are timed by wall clock (the reader and sorted show use a
# second core), with CPU time (user + system of all threads, from wait4())
# beside the headline comparisons; decode_bench's in-process figures use the
# decoding thread's CPU clock. Run it on an otherwise idle machine. MB = 10^6
# bytes. Every external command is bounded with a timeout; ghc-events runs
# that exceed theirs are reported as "timeout".
#
# Environment:
#   ROUNDS=N         repetitions of each figure (default 5; at least 3 for RESULTS.md)
#   BUILD=DIR        build directory (default build-bench)
#   DATA=DIR         inputs (default corpus/large)
#   NO_INSTALL=1     never call apt-get
#   GE_TIMEOUT=S     time limit of one ghc-events run (default 120)
#   RESULTS=FILE     where to write the report (default bench/RESULTS.md;
#                    RESULTS=- prints it only)
#   ONLY=sources     only the byte-source and `info` figures (the large log:
#                    cat, bare counting decode, info; .zst input vs zstd -dc;
#                    info's RSS from 1 MB to 1 GB), written to the "Sources"
#                    section of RESULTS.md, the rest of it kept (~2 minutes)
#   ONLY=writing     only the figures of the commands that write eventlogs
#                    (filter, repair, merge against cat and ghc-events merge:
#                    bench/write_bench.sh), written between the "writing"
#                    markers of RESULTS.md, the rest of it kept; needs only
#                    the large log (~3 minutes)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
ROUNDS=${ROUNDS:-5}
build=${BUILD:-build-bench}
case $build in /*) ;; *) build=$root/$build ;; esac
data=${DATA:-$root/corpus/large}
case $data in /*) ;; *) data=$root/$data ;; esac
derived=$data/derived
GE_TIMEOUT=${GE_TIMEOUT:-120}
results_md=${RESULTS:-$here/RESULTS.md}
start=$SECONDS
ONLY=${ONLY:-}
[[ -z $ONLY || $ONLY == sources || $ONLY == writing ]] ||
    { echo "run.sh: ONLY must be 'sources' or 'writing'" >&2; exit 2; }
full() { [[ -z $ONLY ]]; }

log() { printf '\n== %s (%ds)\n' "$*" "$((SECONDS - start))" >&2; }
note() { echo "run.sh: $*" >&2; }
die() { echo "run.sh: error: $*" >&2; exit 1; }

[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 ]] || die "ROUNDS must be a positive integer"

# ------------------------------------------------------------- 1. install --
# package:command-or-file that shows it is installed
need=(
    ghc:/usr/bin/ghc
    ghc-prof:-
    libghc-ghc-events-dev:/usr/bin/ghc-events
    valgrind:/usr/bin/valgrind
    meson:/usr/bin/meson
    ninja-build:/usr/bin/ninja
    zlib1g-dev:/usr/include/zlib.h
    python3-cffi:/usr/lib/python3/dist-packages/cffi
    python3-numpy:/usr/lib/python3/dist-packages/numpy
    python3-dev:/usr/include/python3.11/Python.h
    python3-setuptools:/usr/lib/python3/dist-packages/setuptools
    gzip:/usr/bin/zcat
    zstd:/usr/bin/zstd
)
missing=()
for pf in "${need[@]}"; do
    pkg=${pf%%:*} path=${pf#*:}
    if [[ $pkg == ghc-prof ]]; then
        # any profiled base library will do
        compgen -G '/usr/lib/ghc/base-*/Prelude.p_hi' >/dev/null || missing+=("$pkg")
        continue
    fi
    [[ -e $path ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) == 0 && -z ${NO_INSTALL:-} ]]; then
        log "installing ${missing[*]}"
        timeout 600 apt-get update -q >/dev/null || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y -q --no-install-recommends \
            "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
    else
        die "missing packages; as root run: apt-get install ${missing[*]}"
    fi
fi

# --------------------------------------------------------------- 2. build --
log "release build in $build"
if [[ ! -f $build/build.ninja ]]; then
    timeout 300 meson setup "$build" -Dbuildtype=release -Dtests=false -Dbench=true >/dev/null ||
        die "meson setup $build failed"
fi
# the benchmarks are not built with -Dtests=false unless asked (a build dir
# configured before the bench option existed gets it here)
timeout 300 meson configure "$build" -Dbench=true >/dev/null || die "meson configure $build failed"
timeout 600 ninja -C "$build" >"$build/bench-ninja.log" 2>&1 || {
    tail -30 "$build/bench-ninja.log" >&2
    die "ninja -C $build failed (log above)"
}
bb=$build/bench
eventlog=$build/tools/eventlog
runstat=$bb/runstat
for t in "$eventlog" "$bb/decode_bench" "$bb/byte_loop" "$runstat"; do
    [[ -x $t ]] || die "$t was not built"
done

hs=$build/bench-hs
mkdir -p "$hs"
ged=$hs/ghc_events_decode
if full && [[ ! -x $ged || $here/ghc_events_decode.hs -nt $ged ]]; then
    log "building the ghc-events baseline (bench/ghc_events_decode.hs)"
    timeout 600 ghc -O2 -rtsopts -package ghc-events -outputdir "$hs/obj" -o "$ged" \
        "$here/ghc_events_decode.hs" >"$hs/build.log" 2>&1 || {
        cat "$hs/build.log" >&2
        die "building ghc_events_decode failed (is libghc-ghc-events-dev installed?)"
    }
fi

# -------------------------------------------------------------- 3. inputs --
log "inputs in $data"
large=$data/busy-large.eventlog
small=$data/busy-small.eventlog
census=$data/census-hc.eventlog
if [[ $ONLY == writing ]]; then
    # only the large log, and not derived: recorded if missing
    [[ -s $large ]] || BENCH_BUILD=$build timeout 1800 "$here/gen_large.sh" "$data"
    [[ -s $large ]] || die "$large is missing"
else
BENCH_BUILD=$build timeout 1800 "$here/gen_large.sh" "$data"
for f in "$large" "$small" "$census"; do [[ -s $f ]] || die "$f is missing"; done
mkdir -p "$derived"
# derive NAME SOURCE BYTES: a valid log of about BYTES, rebuilt if older than SOURCE
derive() {
    local out=$derived/$1
    if [[ ! -s $out || $2 -nt $out ]]; then
        timeout 600 "$bb/decode_bench" mklog "$2" "$out.tmp" "$3" >/dev/null ||
            die "decode_bench mklog $2 -> $out failed"
        mv -f "$out.tmp" "$out"
    fi
}
derive size-1M.eventlog "$large" 1000000
derive size-10M.eventlog "$large" 10000000
derive size-100M.eventlog "$large" 100000000
derive size-1G.eventlog "$large" 1000000000
derive cut-20M.eventlog "$large" 20000000
gz=$derived/busy-large.eventlog.gz
if full && [[ ! -s $gz || $large -nt $gz ]]; then
    note "compressing $large (gzip -6)"
    timeout 900 gzip -6 -c "$large" >"$gz.tmp" && mv -f "$gz.tmp" "$gz" || die "gzip failed"
fi
# zstd's default level (3), as a user would compress a log
zst=$derived/busy-large.eventlog.zst
if [[ ! -s $zst || $large -nt $zst ]]; then
    note "compressing $large (zstd -3)"
    timeout 900 zstd -q -3 -c "$large" >"$zst.tmp" && mv -f "$zst.tmp" "$zst" || die "zstd failed"
fi
fi # not ONLY=writing

# --------------------------------------------------------------- helpers --
tmp=$(mktemp -d "${TMPDIR:-/tmp}/eventlog-bench.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
res=$tmp/results.txt
: >"$res"
loadavg() { echo "LOAD $(cut -d' ' -f1-3 /proc/loadavg)" >>"$res"; }
loadavg

# run1 NAME INPUT TIMEOUT ROUND CMD...: one run of CMD under runstat (stdout
# discarded); once a run of NAME on INPUT timed out or failed, later rounds
# of it are skipped. Callers interleave the commands they compare within
# each round, so that a burst of load from other jobs hits all of them.
declare -A dead=()
run1() {
    local name=$1 input=$2 limit=$3 round=$4
    shift 4
    [[ -z ${dead[$name/$input]:-} ]] || return 0
    local line
    line=$("$runstat" -t "$limit" -- "$@") || die "runstat failed for $name"
    echo "M name=$name input=$input run=$round $line" >>"$res"
    if [[ $line == *timeout=1* ]]; then
        note "$name on $input: timeout after ${limit} s"
        dead[$name/$input]=1
    elif [[ $line != *status=0* ]]; then
        note "$name on $input failed: $line"
        dead[$name/$input]=1
    fi
}
warm() { cat -- "$@" >/dev/null; }
input_bytes() { echo "BYTES input=$1 bytes=$(stat -c %s -- "$2")" >>"$res"; }
inner_rounds=$((ROUNDS < 7 ? 7 : ROUNDS))

# ---------------------------------------------------------- 4. measuring --
declare -A inputs=([large]=$large [small]=$small [census]=$census)
if [[ $ONLY == writing ]]; then
    input_bytes large "$large"
else
for k in large small census; do
    input_bytes "$k" "${inputs[$k]}"
done
for k in 1M 10M 100M 1G; do input_bytes "size$k" "$derived/size-$k.eventlog"; done
full && input_bytes gz "$gz"
input_bytes zst "$zst"
fi

if [[ $ONLY == sources ]]; then
    log "sources: large log (cat, bare counting decode, info), .zst vs zstd -dc ($ROUNDS rounds)"
    warm "$large" "$zst"
    for ((r = 1; r <= ROUNDS; r++)); do
        run1 cat large 60 "$r" cat -- "$large"
        run1 count large 120 "$r" "$bb/decode_bench" count "$large"
        run1 info large 120 "$r" "$eventlog" info "$large"
        run1 zstd_dc zst 120 "$r" zstd -dc -- "$zst"
        run1 count zst 120 "$r" "$bb/decode_bench" count "$zst"
        run1 info zst 120 "$r" "$eventlog" info "$zst"
    done
    loadavg
    for k in 1M 10M 100M 1G; do
        f=$derived/size-$k.eventlog
        warm "$f"
        for ((r = 1; r <= ROUNDS; r++)); do
            run1 info "size$k" 120 "$r" "$eventlog" info "$f"
        done
    done
    loadavg
fi
if full; then

log "decode: floors, ours, ghc-events incremental (interleaved, $ROUNDS rounds)"
for k in large small census; do
    f=${inputs[$k]}
    warm "$f"
    for ((r = 1; r <= ROUNDS; r++)); do
        run1 cat "$k" 60 "$r" cat -- "$f"
        run1 byte_loop "$k" 60 "$r" "$bb/byte_loop" "$f"
        # the same with the buffer where malloc puts a 1 MiB block (page + 16)
        [[ $k != large ]] || run1 byte_loop_off16 "$k" 60 "$r" "$bb/byte_loop" "$f" 16
        run1 decode "$k" 120 "$r" "$bb/decode_bench" reader "$f"
        run1 count "$k" 120 "$r" "$bb/decode_bench" count "$f"
        run1 info "$k" 120 "$r" "$eventlog" info "$f"
        run1 ghc_events_decode "$k" "$GE_TIMEOUT" "$r" "$ged" "$f"
    done
    note "$k: in-memory figures (decode_bench bench, $inner_rounds rounds)"
    timeout 600 "$bb/decode_bench" bench "$f" "$inner_rounds" >"$tmp/decode-$k.txt" ||
        die "decode_bench on $f failed"
    sed -n "s/^RESULT /D input=$k /p; s/^RSS /DRSS input=$k /p" "$tmp/decode-$k.txt" >>"$res"
    sed -n '1p; /^  /p' "$tmp/decode-$k.txt" >&2
    loadavg
done
"$ged" "$small" >"$tmp/ged-small.txt" 2>&1 || true
echo "GEDCOUNT input=small $(cat "$tmp/ged-small.txt")" >>"$res"

log "eventlog show (sorted), show --stream vs ghc-events show (Debian 0.17)"
for k in small census large; do
    f=${inputs[$k]}
    warm "$f"
    for ((r = 1; r <= ROUNDS; r++)); do
        run1 show "$k" 300 "$r" "$eventlog" show "$f"
        run1 show_stream "$k" 300 "$r" "$eventlog" show --stream "$f"
        # ghc-events show holds the whole log in memory: not on the large one
        [[ $k == large ]] || run1 ghc_events_show "$k" "$GE_TIMEOUT" "$r" ghc-events show "$f"
    done
    loadavg
done

log ".gz input vs zlib and zcat"
warm "$gz"
for ((r = 1; r <= ROUNDS; r++)); do
    run1 zcat gz 120 "$r" zcat -- "$gz"
    run1 decode gz 120 "$r" "$bb/decode_bench" reader "$gz"
    run1 info gz 120 "$r" "$eventlog" info "$gz"
done
timeout 600 "$bb/decode_bench" gz "$gz" "$inner_rounds" >"$tmp/gz.txt" ||
    die "decode_bench gz failed"
sed -n "s/^RESULT /D input=gz /p" "$tmp/gz.txt" >>"$res"
sed -n '1p; /^  /p' "$tmp/gz.txt" >&2
loadavg

log ".zst input vs zstd -dc"
warm "$zst"
for ((r = 1; r <= ROUNDS; r++)); do
    run1 zstd_dc zst 120 "$r" zstd -dc -- "$zst"
    run1 count zst 120 "$r" "$bb/decode_bench" count "$zst"
    run1 info zst 120 "$r" "$eventlog" info "$zst"
done
loadavg

log "peak RSS from 1 MB to 1 GB"
for k in 1M 10M 100M 1G; do
    f=$derived/size-$k.eventlog
    warm "$f"
    for ((r = 1; r <= ROUNDS; r++)); do
        run1 show_stream "size$k" 300 "$r" "$eventlog" show --stream "$f"
        run1 info "size$k" 120 "$r" "$eventlog" info "$f"
        ((r > 1)) || run1 show "size$k" 300 "$r" "$eventlog" show "$f"
    done
done
loadavg

log "socket client over Unix loopback (bench/socket_bench.sh)"
warm "$small"
if BUILD=$build timeout 600 "$here/socket_bench.sh" "$small" 10 >"$tmp/socket.txt" 2>&1; then
    cat "$tmp/socket.txt" >&2
    sed -n 's/^\(.*\): \([0-9]*\) bytes, \(.*, \)\{0,1\}\([0-9.]*\) s, \([0-9.]*\) MB\/s$/SOCK what="\1" bytes=\2 s=\4 mbps=\5/p' \
        "$tmp/socket.txt" >>"$res"
else
    cat "$tmp/socket.txt" >&2
    note "socket_bench failed; no socket figure"
fi
loadavg

log "Python binding (bindings/python/bench.py)"
py=$build/bench-python
rm -rf "$py"
mkdir -p "$py"
cp -r bindings/python/libeventlog bindings/python/native bindings/python/build_ffi.py \
    bindings/python/bench.py "$py/"
rm -f "$py"/libeventlog/_native*.so
if LIBEVENTLOG_BUILD=$build timeout 300 /usr/bin/python3 "$py/build_ffi.py" >"$tmp/pybuild.txt" 2>&1 &&
    timeout 900 /usr/bin/python3 "$py/bench.py" --log "$small" --repeat "$ROUNDS" >"$tmp/py.txt" 2>&1; then
    cat "$tmp/py.txt" >&2
    sed -n 's/^  \(.*[^ ]\)  *\([0-9,]*\) events  *\([0-9.]*\) M ev\/s wall  *\([0-9.]*\) M ev\/s cpu.*/PY what="\1" events=\2 wall_mevps=\3 cpu_mevps=\4/p' \
        "$tmp/py.txt" | tr -d , >>"$res"
    sed -n 's/^python \([^,]*\),.*numpy \(.*\)$/PYVER python=\1 numpy=\2/p' "$tmp/py.txt" >>"$res"
else
    cat "$tmp/pybuild.txt" "$tmp/py.txt" 2>/dev/null >&2 || true
    note "the Python benchmark failed; no Python figures"
fi
loadavg

log "instructions per event (callgrind; perf stat if the CPU counters are available)"
for k in cut20 census; do
    f=$derived/cut-20M.eventlog
    [[ $k == census ]] && f=$census
    out=$tmp/callgrind.$k
    if timeout 600 valgrind --tool=callgrind --toggle-collect=decode_pass \
        --callgrind-out-file="$out" "$bb/decode_bench" once "$f" >"$tmp/cg-$k.txt" 2>"$tmp/cg-$k.err"; then
        ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$out" | head -1)
        echo "CG input=$k what=decoder ir=$ir $(cat "$tmp/cg-$k.txt")" >>"$res"
    else
        note "callgrind failed on $f: $(tail -3 "$tmp/cg-$k.err")"
    fi
done
# the whole `show --stream`, `show` and `info` commands on 10 MB (start-up included)
for cmd in show_stream show info; do
    f=$derived/size-10M.eventlog
    case $cmd in
    show_stream) args=(show --stream) ;;
    show) args=(show) ;;
    info) args=(info) ;;
    esac
    out=$tmp/callgrind.$cmd
    if timeout 900 valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$eventlog" "${args[@]}" "$f" >/dev/null 2>"$tmp/cg-$cmd.err"; then
        ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$out" | head -1)
        echo "CG input=size10M what=$cmd ir=$ir" >>"$res"
    else
        note "callgrind of eventlog $cmd failed: $(tail -3 "$tmp/cg-$cmd.err")"
    fi
done
"$bb/decode_bench" once "$derived/size-10M.eventlog" | sed 's/^/COUNT input=size10M /' >>"$res"
if ! command -v perf >/dev/null; then
    echo "PERF status=missing" >>"$res"
elif perf_out=$(timeout 60 perf stat -x, -e instructions:u "$bb/decode_bench" once \
    "$derived/size-1M.eventlog" 2>&1 >/dev/null) && [[ $perf_out =~ ^([0-9]+), ]]; then
    echo "PERF status=ok instructions=${BASH_REMATCH[1]}" >>"$res"
else
    echo "PERF status=unsupported" >>"$res"
fi
loadavg

fi # full

if full || [[ $ONLY == writing ]]; then
    # Its own table (ours beside cat and ghc-events merge, in the same run),
    # carried to report.py as WRITE lines.
    log "writing eventlogs: filter, repair, merge (bench/write_bench.sh, $ROUNDS rounds)"
    warm "$large"
    if BUILD=$build DATA=$data ROUNDS=$ROUNDS GE_TIMEOUT=$GE_TIMEOUT timeout 3600 \
        "$here/write_bench.sh" >"$tmp/write.txt" 2>"$tmp/write.err"; then
        cat "$tmp/write.txt" >&2
        sed -n 's/^|/WRITE |/p' "$tmp/write.txt" >>"$res"
    else
        cat "$tmp/write.txt" "$tmp/write.err" >&2
        note "write_bench.sh failed; no writing figures"
    fi
    loadavg
fi

# ------------------------------------------------------------- 5. report --
log "report"
{
    echo "MACHINE nproc=$(nproc)"
    echo "MACHINE cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1) (family $(
        sed -n 's/^cpu family[[:space:]]*: //p' /proc/cpuinfo | head -1), model $(
        sed -n 's/^model[[:space:]]*: //p' /proc/cpuinfo | head -1))"
    echo "MACHINE mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "MACHINE kernel=$(uname -r)"
    echo "MACHINE ghc=$(ghc --numeric-version)"
    echo "MACHINE ghc_events=$(ghc-pkg field ghc-events version --simple-output 2>/dev/null | head -1)"
    echo "MACHINE cc=$(cc --version | head -1)"
    echo "MACHINE zlib=$(sed -n 's/^#define ZLIB_VERSION "\(.*\)"/\1/p' /usr/include/zlib.h)"
    echo "MACHINE zstd=$(zstd -V 2>/dev/null | sed -n 's/.* v\([0-9.]*\).*/\1/p')"
    echo "MACHINE date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "MACHINE commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(
        git -C "$root" diff --quiet HEAD -- libeventlog include tools 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "MACHINE rounds=$ROUNDS"
    echo "MACHINE duration=$((SECONDS - start))"
} >>"$res"
cp "$res" "$build/bench-results.txt"
section=()
full || section=(--section "$ONLY")
if [[ $results_md == - ]]; then
    python3 "$here/report.py" "${section[@]}" "$res"
else
    python3 "$here/report.py" "${section[@]}" "$res" "$results_md"
    note "wrote $results_md (raw figures: $build/bench-results.txt)"
fi

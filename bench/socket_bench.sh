#!/usr/bin/env bash
# Throughput of the socket client over Unix loopback (not a test).
#
#   bench/socket_bench.sh [FILE [SESSIONS]]      (from anywhere; BUILD=build by default)
#
# Serves FILE (default corpus/conformance/stop.hT.eventlog, 2.3 MB) SESSIONS
# times (default 100) with the replay server, no rate limit, to one socket
# client that reconnects after each session and decodes every event; then the
# baselines: the same bytes through a socketpair read like cat (64 KiB reads,
# discarded; socat is used instead when installed), the same with decoding,
# and the decoder alone in memory. Best of 3 runs each; MB = 10^6 bytes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
file=${1:-$root/corpus/conformance/stop.hT.eventlog}
sessions=${2:-100}

if [ -x "$build/tools/eventlog" ]; then
    replay=("$build/tools/eventlog" replay)
else
    echo "socket_bench: no $build/tools/eventlog (build it first: scripts/setup.sh)" >&2
    exit 1
fi

tmp=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -std=c11 -D_GNU_SOURCE -I"$root/include" -I"$build/include" \
    "$root/bench/socket_bench.c" -L"$build/libeventlog" -leventlog \
    -Wl,-rpath,"$build/libeventlog" -o "$tmp/socket_bench"

best() {   # best MB/s line of 3 runs of "$@"
    local best_line= best_rate=0 line rate
    for _ in 1 2 3; do
        line=$("$@")
        rate=$(sed -n 's/.* \([0-9.]*\) MB\/s$/\1/p' <<<"$line")
        if awk -v a="$rate" -v b="$best_rate" 'BEGIN { exit !(a > b) }'; then
            best_rate=$rate
            best_line=$line
        fi
    done
    echo "$best_line"
}

client_run() {
    local sock="$tmp/bench.sock"
    mkfifo "$tmp/out"
    "${replay[@]}" --quiet --clients "$sessions" "$file" "unix:$sock" >"$tmp/out" &
    server=$!
    read -r line <"$tmp/out" || true
    rm -f "$tmp/out"
    case $line in
    "listening on "*) ;;
    *) echo "socket_bench: the replay server did not start" >&2; exit 1 ;;
    esac
    "$tmp/socket_bench" client "unix:$sock" "$sessions"
    wait "$server"
    server=
}

size=$(stat -c %s "$file")
echo "file: $file ($size bytes) x $sessions"
best client_run
if command -v socat >/dev/null; then
    socat_run() {
        local t0 t1
        t0=$(date +%s.%N)
        for _ in $(seq "$sessions"); do cat "$file"; done |
            socat -b 65536 - UNIX-LISTEN:"$tmp/socat.sock" &
        sleep 0.2
        socat -b 65536 UNIX-CONNECT:"$tmp/socat.sock" - >/dev/null
        wait
        t1=$(date +%s.%N)
        awk -v b="$((size * sessions))" -v t0="$t0" -v t1="$t1" \
            'BEGIN { printf "socat over a Unix socket: %d bytes, %.3f s, %.0f MB/s\n", b, t1 - t0, b / (t1 - t0) / 1e6 }'
    }
    best socat_run
else
    best "$tmp/socket_bench" pair "$file" "$sessions" cat
fi
best "$tmp/socket_bench" pair "$file" "$sessions" decode
best "$tmp/socket_bench" memory "$file" "$sessions"

#!/usr/bin/env bash
# Cost of `eventlog monitor` (not a test): fed by the replay server over a
# Unix socket, how fast it ingests, how much CPU and memory it uses, and how
# fast a scrape answers meanwhile. Baseline in the same run: the bare socket
# client (bench/socket_bench.c: elog_socket, every event decoded, nothing
# else) on the same stream.
#
#   bench/monitor_bench.sh [FILE [SESSIONS]]     (BUILD=build by default)
#
# FILE defaults to corpus/large/busy-small.eventlog (bench/gen_large.sh
# records it), served SESSIONS times (default 10) per run:
#
#   1. baseline: socket_bench client, no rate limit, and at --rate 200M
#      (what the replay server's pacing delivers)               -> MB/s
#   2. monitor, no rate limit                                  -> MB/s, CPU, RSS
#   3. monitor at --rate 200M (209.7 MB/s), scraped every 20 ms by a client
#      measuring each GET /metrics                             -> CPU, RSS,
#      whether it kept up, scrape p50/p99/max
#
# Also the analyses alone (`eventlog stats FILE`): the monitor embeds them, so
# their cost per byte bounds its own.
#
# CPU = (user + sys) / wall of the monitor process, 1.00 = one core; RSS =
# its peak resident set (runstat). MB = 10^6 bytes. On a loaded machine the
# wall-clock rates fall with the CPU share the processes get; the CPU-second
# figures do not.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
case $build in /*) ;; *) build=$root/$build ;; esac
file=${1:-$root/corpus/large/busy-small.eventlog}
sessions=${2:-10}
eventlog=$build/tools/eventlog
runstat=$build/bench/runstat
py=/usr/bin/python3

[ -f "$file" ] || { echo "monitor_bench: no $file (record it: bench/gen_large.sh)" >&2; exit 1; }
[ -x "$eventlog" ] && [ -x "$runstat" ] || { echo "monitor_bench: build first (ninja -C $build)" >&2; exit 1; }
"$eventlog" monitor --help >/dev/null 2>&1 || { echo "monitor_bench: eventlog built without monitor (libmicrohttpd)" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -std=c11 -D_GNU_SOURCE -I"$root/include" -I"$build/include" \
    "$root/bench/socket_bench.c" -L"$build/libeventlog" -leventlog \
    -Wl,-rpath,"$build/libeventlog" -o "$tmp/socket_bench"

size=$(stat -c %s "$file")
total=$((size * sessions))
echo "file: $file ($size bytes) x $sessions sessions = $total bytes"

# start_replay SOCK [RATE]: a replay server for $sessions clients
start_replay() {
    local sock=$1 rate=${2:-}
    rm -f "$sock" "$tmp/rp.out"
    mkfifo "$tmp/rp.out"
    if [ -n "$rate" ]; then
        "$eventlog" replay --quiet --rate "$rate" --clients "$sessions" "$file" "unix:$sock" >"$tmp/rp.out" &
    else
        "$eventlog" replay --quiet --clients "$sessions" "$file" "unix:$sock" >"$tmp/rp.out" &
    fi
    replay_pid=$!
    pids+=("$replay_pid")
    read -r _ <"$tmp/rp.out"
}

# 1. the baselines: the bare socket client; the analyses alone on the file
start_replay "$tmp/b.sock"
"$tmp/socket_bench" client "unix:$tmp/b.sock" "$sessions" | sed 's/^/baseline: /'
wait "$replay_pid"
start_replay "$tmp/b2.sock" 200M
"$tmp/socket_bench" client "unix:$tmp/b2.sock" "$sessions" | sed 's/^/baseline at --rate 200M: /'
wait "$replay_pid"
"$runstat" -- "$eventlog" stats "$file" | awk -v s="$sessions" -v b="$size" '{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "analyses alone (eventlog stats FILE, once): cpu %.2f s = %.0f MB per CPU-second (x %d sessions: %.2f s), peak RSS %.1f MiB\n",
           v["cpu"], b / v["cpu"] / 1e6, s, v["cpu"] * s, v["maxrss_kb"] / 1024 }'

# monitor_run NAME [RATE]: the monitor until all sessions ended, with scrapes
monitor_run() {
    local name=$1 rate=${2:-}
    start_replay "$tmp/$name.sock" "$rate"
    "$runstat" -t 600 -o "$tmp/$name.mon.out" -- "$eventlog" monitor --listen 127.0.0.1:0 \
        "unix:$tmp/$name.sock" >"$tmp/$name.runstat" 2>"$tmp/$name.mon.err" &
    local rs=$!
    pids+=("$rs")
    "$py" - "$tmp/$name.mon.out" "$sessions" "$total" "$name" <<'EOF'
import re, sys, time, urllib.request
out, sessions, total, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
deadline = time.monotonic() + 30
port = None
while port is None and time.monotonic() < deadline:
    try:
        m = re.search(r":(\d+)/metrics", open(out).read())
        port = m and m.group(1)
    except OSError:
        pass
    time.sleep(0.01)
if port is None:
    sys.exit("monitor_bench: the monitor did not start")
url = "http://127.0.0.1:%s" % port
lat, first, last = [], None, None
deadline = time.monotonic() + 600
while time.monotonic() < deadline:
    t0 = time.perf_counter()
    body = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    lat.append(time.perf_counter() - t0)
    vals = dict(l.rsplit(" ", 1) for l in body.splitlines() if l and l[0] != "#")
    nbytes = float(vals["eventlog_bytes_total"])
    now = time.monotonic()
    if first is None and nbytes > 0:
        first = (now, nbytes)
    if nbytes >= total and vals["eventlog_connected"] == "0":
        last = (now, nbytes)
        break
    time.sleep(0.02)
lat.sort()
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
rate = (last[1] - first[1]) / (last[0] - first[0]) / 1e6 if last and first and last[0] > first[0] else 0
print("%s: %d bytes ingested, %.0f MB/s (from scrapes); %d scrapes: p50 %.2f ms, p99 %.2f ms, max %.2f ms"
      % (name, int(last[1]) if last else -1, rate, len(lat), pick(0.5), pick(0.99), lat[-1] * 1000))
# The monitor's own measure of the same scrapes (eventlog_scrape_duration_seconds):
# copy + format, without the client's and the scheduler's share.
n = float(vals["eventlog_scrape_duration_seconds_count"])
le = lambda b: float(vals['eventlog_scrape_duration_seconds_bucket{le="%s"}' % b])
print("%s: server side: %d scrapes, mean %.3f ms, <= 1 ms: %.1f %%, <= 10 ms: %.1f %%"
      % (name, n, float(vals["eventlog_scrape_duration_seconds_sum"]) / n * 1000,
         100 * le("0.001") / n, 100 * le("0.01") / n))
EOF
    kill -TERM "$(pgrep -P "$rs" -f 'eventlog.monitor' || echo 0)" 2>/dev/null || true
    wait "$rs" || true
    wait "$replay_pid" || true
    local line
    line=$(grep '^RUN' "$tmp/$name.runstat")
    echo "$line" | awk -v n="$name" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s: monitor process: wall %.2f s, cpu %.2f s = %.2f cores, %.0f MB per CPU-second, peak RSS %.1f MiB\n",
               n, v["wall"], v["cpu"], v["cpu"] / v["wall"], t / v["cpu"] / 1e6, v["maxrss_kb"] / 1024 }' t="$total"
}

# 2. unlimited, 3. at 200 MiB/s
monitor_run "monitor-unlimited"
monitor_run "monitor-200M" 200M

#!/usr/bin/python3
"""`eventlog monitor` end to end, without GHC: fed by `eventlog replay`, a
FIFO or a file, scraped with urllib, checked with promtool.

    monitor_cli_test.py EVENTLOG_EXE CORPUS_DIR CASE

CASE:
  replay        two sessions of a GHC 9.0.2 log from the replay server: every
                counter is twice what `eventlog stats --json` / `info --json`
                report for the file (counters add across sessions), the
                exposition has HELP/TYPE lines and passes `promtool check
                metrics` (when installed), /healthz answers
  decode-error  a corrupt copy of the log, then the good one on the same
                socket: one decoding error counted and logged, the monitor
                reconnects and counts the good session in full on top; a
                stream that is always corrupt is reconnected with backoff
  control       POST /control/COMMAND reaches the replay server as control
                frames (--control-log); 400 for a bad command, 403 without
                --enable-control, 404/405/413 for wrong requests
  limits        --max-per-ip: a connection beyond the limit is closed at
                once; --http-timeout: an idle connection is closed
  fifo          a FIFO written twice (two runs of a program): two sessions;
                SIGTERM stops it while it waits for the next writer
  file          a file, then the same path rewritten (a restarted program):
                two sessions, counts of both
  monotonic     the log paced over ~2 s (replay --rate), scraped every 20 ms:
                no counter, bucket, sum or count sample ever goes down, and
                every counter (capability seconds too) ends equal to the
                file's `eventlog stats` figures
  otlp          --otlp to a local HTTP receiver: ExportMetricsServiceRequest
                JSON every interval and once at exit, whose metrics are those
                of /metrics (same names, attributes = labels, same values,
                histogram buckets per bucket); a receiver answering 500 is
                logged and the monitor goes on
  tcp-env       no SOURCE: GHC_EVENTLOG_INET_HOST/PORT name a TCP replay
                server, as they would the program's listening address
  usage         usage errors (exit 2) and --help

Every wait is bounded; every process started is killed at the end.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402 (tests/testlib.py)
from testlib import Failure, check, http  # noqa: E402

EXE = CORPUS = TMP = None
LOG = None            # the GHC 9.0.2 log the cases use
TIMEOUT = 20
PROCS = []


def spawn(args, **kw):
    p = subprocess.Popen(args, **kw)
    PROCS.append(p)
    return p


def wait_until(what, fn, timeout=TIMEOUT, every=0.05):
    return testlib.wait_until(what, fn, timeout, every)


def monitor(args, name="monitor"):
    """Starts a monitor on a free port; returns (process, base URL, stderr path)."""
    out = open(os.path.join(TMP, name + ".out"), "w+")
    errp = os.path.join(TMP, name + ".err")
    p = spawn([EXE, "monitor", "--listen", "127.0.0.1:0", "--retry-max-ms", "100"] + args,
              stdout=out, stderr=open(errp, "w"))

    def port():
        check(p.poll() is None, "the monitor exited with %s: %s" % (p.returncode, read(errp)))
        out.seek(0)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/metrics", out.read())
        return m and int(m.group(1))
    return p, "http://127.0.0.1:%d" % wait_until("the monitor to listen", port), errp


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def metrics(base):
    """{sample name with labels: value} of a scrape, and its text."""
    status, text = http(base + "/metrics")
    check(status == 200, "GET /metrics: %d" % status)
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out, text


def replay(args, sock, name="replay"):
    out = open(os.path.join(TMP, name + ".out"), "w+")
    p = spawn([EXE, "replay", "-q"] + args + ["unix:" + sock], stdout=out,
              stderr=open(os.path.join(TMP, name + ".err"), "w"))
    wait_until("replay to listen", lambda: (out.seek(0), "listening" in out.read())[1])
    return p


def file_figures(path):
    p = subprocess.run([EXE, "stats", "--json", path], stdout=subprocess.PIPE, timeout=TIMEOUT)
    check(p.returncode == 0, "stats --json failed")
    stats = json.loads(p.stdout)
    p = subprocess.run([EXE, "info", "--json", path], stdout=subprocess.PIPE, timeout=TIMEOUT)
    info = json.loads(p.stdout)
    return stats, info


def expect_times(m, stats, info, k, what):
    """The counters of `m` are k times the file's figures."""
    want = {"eventlog_events_total": info["events"], "eventlog_bytes_total": info["bytes"],
            "ghc_allocated_bytes_total": stats["heap"]["allocated_bytes"]}
    for g in stats["gc"]["generations"]:
        lab = '{generation="%d"}' % g["generation"]
        want["ghc_gc_collections_total" + lab] = g["collections"]
        want["ghc_gc_parallel_collections_total" + lab] = g["parallel"]
        want["ghc_gc_copied_bytes_total" + lab] = g["copied_bytes"]
        want["ghc_gc_pause_seconds_count" + lab] = g["collections"]
    for o, v in stats.get("sparks", {}).items():
        if o != "remaining":
            want['ghc_sparks_total{outcome="%s"}' % o] = v
    for c in stats["capabilities"]:
        for st in ("mutator", "gc", "idle"):
            want['ghc_capability_seconds_total{cap="%d",state="%s"}' % (c["cap"], st)] = \
                c[st + "_ns"] / 1e9
    for name, v in want.items():
        got = m.get(name)
        ok = got is not None and abs(got - k * v) <= 1e-6 * max(1, k * v)
        check(ok, "%s: %s = %r, want %d x %r" % (what, name, got, k, v))


def case_replay():
    sock = os.path.join(TMP, "s")
    rp = replay(["--clients", "2", LOG], sock)
    p, base, errp = monitor(["unix:" + sock])
    wait_until("two sessions", lambda: metrics(base)[0].get("eventlog_sessions_total") == 2
               and metrics(base)[0].get("eventlog_connected") == 0)
    rp.wait(timeout=TIMEOUT)
    m, text = metrics(base)
    stats, info = file_figures(LOG)
    expect_times(m, stats, info, 2, "two sessions")
    check(m["eventlog_decode_errors_total"] == 0, "decode errors")
    # Every family has a HELP and a TYPE line before its samples.
    fams = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
    helps = re.findall(r"^# HELP (\S+) ", text, re.M)
    check([f for f, _ in fams] == helps and len(fams) >= 17, "HELP/TYPE lines: %r" % fams)
    for name in m:
        fam = re.sub(r"(_bucket|_sum|_count)?(\{.*)?$", "", name)
        check(fam in helps, "sample %s without its family" % name)
    # Histogram buckets are cumulative and end at +Inf = _count.
    b = [v for k, v in m.items() if k.startswith('ghc_gc_pause_seconds_bucket{generation="0"')]
    check(b == sorted(b) and b[-1] == m['ghc_gc_pause_seconds_count{generation="0"}'],
          "pause buckets: %r" % b)
    if shutil.which("promtool"):
        pt = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
        check(pt.returncode == 0, "promtool: %s" % pt.stdout.decode())
    # The scrapes so far are counted (this one not yet), all under 100 ms.
    scrapes = m["eventlog_scrape_duration_seconds_count"]
    check(scrapes >= 2 and m['eventlog_scrape_duration_seconds_bucket{le="0.1"}'] == scrapes,
          "scrape durations: %r" % {k: v for k, v in m.items() if "scrape" in k})
    status, body = http(base + "/healthz")
    check(status == 200 and body.startswith("ok\n") and "sessions 2" in body, "healthz %r" % body)
    status, _ = http(base + "/metrics", "HEAD")
    check(status == 200, "HEAD /metrics: %d" % status)
    p.send_signal(signal.SIGTERM)
    check(p.wait(timeout=10) == 0, "monitor exit on SIGTERM: %s" % p.returncode)
    print("replay: 2 sessions, every counter twice the file's")


def case_decode_error():
    with open(LOG, "rb") as f:
        data = bytearray(f.read())
    o = int(len(data) * 0.6)
    data[o:o + 400] = b"\xee" * 400
    bad = os.path.join(TMP, "corrupt.eventlog")
    with open(bad, "wb") as f:
        f.write(data)
    sock = os.path.join(TMP, "s")
    rp = replay(["--clients", "1", bad], sock, "bad")
    p, base, errp = monitor(["unix:" + sock])
    wait_until("the decoding error", lambda: metrics(base)[0].get("eventlog_decode_errors_total") == 1)
    rp.wait(timeout=TIMEOUT)
    m1, _ = metrics(base)
    # The program "restarts" with a good stream: the monitor goes on.
    rp = replay(["--clients", "1", LOG], sock, "good")
    wait_until("the good session", lambda: metrics(base)[0].get("eventlog_sessions_total") == 2
               and metrics(base)[0].get("eventlog_connected") == 0)
    rp.wait(timeout=TIMEOUT)
    m, _ = metrics(base)
    stats, info = file_figures(LOG)
    check(m["eventlog_decode_errors_total"] == 1, "decode errors %r" % m)
    for g in stats["gc"]["generations"]:
        name = 'ghc_gc_collections_total{generation="%d"}' % g["generation"]
        check(m[name] == m1.get(name, 0) + g["collections"],
              "%s: %r = %r + %r?" % (name, m[name], m1.get(name), g["collections"]))
    check(m["eventlog_bytes_total"] == m1["eventlog_bytes_total"] + info["bytes"], "bytes")
    err = read(errp)
    check("decoding error" in err and "not declared in the header" in err and "byte offset" in err,
          "the error is not logged with its offset: %r" % err)
    # A program whose stream is always corrupt: reconnected with backoff
    # (100 ms doubling, capped at 400 ms), not in a loop.
    sock2 = os.path.join(TMP, "s2")
    replay([bad], sock2, "bad-forever")
    p2, base2, _ = monitor(["--retry-max-ms", "400", "unix:" + sock2], "monitor2")
    time.sleep(2.5)
    errors = metrics(base2)[0]["eventlog_decode_errors_total"]
    # Without backoff it is a tight loop (a session takes a few ms);
    # with it ~9, more on a loaded machine where a failing session may last
    # longer than the 50 ms after which a session counts as healthy.
    check(2 <= errors <= 60, "%d decoding errors in 2.5 s of an always-corrupt stream" % errors)
    print("decode-error: counted, logged, the next session counted on top; %d errors in 2.5 s "
          "of an always-corrupt stream" % errors)


def case_control():
    sock = os.path.join(TMP, "s")
    log = os.path.join(TMP, "control.log")
    replay(["--hold", "--control-log", log, LOG], sock)
    p, base, errp = monitor(["--enable-control", "unix:" + sock])
    wait_until("the session", lambda: metrics(base)[0].get("eventlog_events_total", 0) > 0)
    for cmd, want in (("request-heap-census", "namespace=eventlog-socket id=5"),
                      ("startHeapProfiling", "namespace=eventlog-socket id=3"),
                      ("my-app:42", "namespace=my-app id=42")):
        status, body = http(base + "/control/" + cmd, "POST")
        check(status == 200 and body == "sent %s\n" % cmd, "POST %s: %d %r" % (cmd, status, body))
        wait_until("frame %s in the control log" % cmd, lambda: want in read(log))
    for url, method, data, code in (("/control/bogus", "POST", None, 400),
                                    ("/control/ns:0", "POST", None, 400),
                                    ("/control/start-profiling", "GET", None, 405),
                                    ("/metrics", "POST", None, 405),
                                    ("/nothing", "GET", None, 404),
                                    ("/control/start-profiling", "POST", b"x" * 5000, 413)):
        status, body = http(base + url, method, data)
        check(status == code, "%s %s: %d %r, want %d" % (method, url, status, body, code))
    check("garbage" not in read(log), "garbage reached the server: %r" % read(log))
    # Without --enable-control nothing is sent.
    p2, base2, _ = monitor(["unix:" + os.path.join(TMP, "none")], "monitor2")
    status, body = http(base2 + "/control/start-profiling", "POST")
    check(status == 403 and "--enable-control" in body, "disabled control: %d %r" % (status, body))
    print("control: frames reach the server; bad requests refused")


def case_limits():
    p, base, errp = monitor(["--max-per-ip", "2", "--http-timeout", "1",
                             "unix:" + os.path.join(TMP, "none")])
    port = int(base.rsplit(":", 1)[1])
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(2)]
    time.sleep(0.2)
    extra = socket.create_connection(("127.0.0.1", port), timeout=5)
    extra.settimeout(3)
    try:
        extra.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        got = extra.recv(100)
    except (ConnectionResetError, BrokenPipeError):
        got = b""
    check(got == b"", "a third connection from one address was served: %r" % got[:60])
    # The idle ones are closed after --http-timeout.
    t0 = time.monotonic()
    held[0].settimeout(8)
    try:
        r = held[0].recv(100)
    except ConnectionResetError:
        r = b""
    took = time.monotonic() - t0
    check(r == b"" and took < 6, "an idle connection stayed open %.1f s" % took)
    for s in held + [extra]:
        s.close()
    time.sleep(1.5)
    status, _ = http(base + "/healthz")
    check(status == 200, "after the limits: %d" % status)
    print("limits: per-IP limit and idle timeout enforced")


def case_fifo():
    fifo = os.path.join(TMP, "f")
    os.mkfifo(fifo)
    p, base, errp = monitor([fifo])
    with open(LOG, "rb") as f:
        data = f.read()
    for k in (1, 2):
        with open(fifo, "wb") as w:   # blocks until the monitor opened it
            w.write(data)
        wait_until("session %d" % k, lambda: metrics(base)[0].get("eventlog_sessions_total") == k
                   and metrics(base)[0].get("eventlog_connected") == 0)
    m, _ = metrics(base)
    stats, info = file_figures(LOG)
    expect_times(m, stats, info, 2, "fifo")
    # Waiting for the next writer, it still stops at once on SIGTERM.
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=3)
    except subprocess.TimeoutExpired:
        raise Failure("SIGTERM did not stop a monitor waiting for a FIFO writer")
    check(rc == 0, "exit status %d after SIGTERM" % rc)
    print("fifo: two writers, two sessions; SIGTERM while waiting for a third")


def case_file():
    path = os.path.join(TMP, "prog.eventlog")
    p, base, errp = monitor([path])
    with open(LOG, "rb") as f:
        data = f.read()
    # A program writes it in pieces.
    with open(path, "wb") as w:
        for i in range(0, len(data), 8192):
            w.write(data[i:i + 8192])
            w.flush()
            time.sleep(0.02)
    wait_until("session 1", lambda: metrics(base)[0].get("eventlog_sessions_total") == 1
               and metrics(base)[0].get("eventlog_connected") == 0)
    m1, _ = metrics(base)
    # Restarted: it rewrites the file.
    time.sleep(0.05)
    with open(path, "wb") as w:
        w.write(data)
    wait_until("session 2", lambda: metrics(base)[0].get("eventlog_sessions_total") == 2
               and metrics(base)[0].get("eventlog_connected") == 0)
    m, _ = metrics(base)
    stats, info = file_figures(LOG)
    expect_times(m1, stats, info, 1, "file, first run")
    expect_times(m, stats, info, 2, "file, rewritten")
    print("file: followed, then read again when rewritten")


def case_monotonic():
    sock = os.path.join(TMP, "s")
    replay(["--rate", "20k", "--clients", "1", LOG], sock)
    p, base, errp = monitor(["unix:" + sock])
    prev, down, scrapes = {}, [], 0
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        m, _ = metrics(base)
        scrapes += 1
        for k, v in m.items():
            counter = re.search(r"(_total|_bucket|_sum|_count)(\{|$)", k)
            if counter and k in prev and v < prev[k]:
                down.append((k, prev[k], v))
            prev[k] = v
        if m.get("eventlog_sessions_total") == 1 and m.get("eventlog_connected") == 0:
            break
        time.sleep(0.02)
    check(not down, "%d decreases, e.g. %r" % (len(down), down[:5]))
    check(scrapes > 20, "only %d scrapes during the session" % scrapes)
    stats, info = file_figures(LOG)
    m, _ = metrics(base)
    for g in stats["gc"]["generations"]:
        name = 'ghc_gc_collections_total{generation="%d"}' % g["generation"]
        check(m[name] == g["collections"], "%s = %r, want %r" % (name, m[name], g["collections"]))
    check(m["ghc_allocated_bytes_total"] == stats["heap"]["allocated_bytes"], "allocated")
    check(m["eventlog_events_total"] == info["events"], "events")
    # Every counter ends exact, capability seconds included (no excess left
    # over from a provisional figure during the session).
    expect_times(m, stats, info, 1, "monotonic, at the end")
    print("monotonic: %d scrapes during a paced session, no counter went down, "
          "final figures = eventlog stats" % scrapes)


def otlp_receiver(status):
    """A thread serving POSTs on a free port; returns (url, list of bodies)."""
    import http.server
    import threading
    bodies = []

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", 0))
            bodies.append((self.path, self.headers.get("Content-Type"), self.rfile.read(n)))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass
    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return "http://127.0.0.1:%d/v1/metrics" % srv.server_address[1], bodies


def otlp_samples(body):
    """{prometheus sample name: value} of an OTLP JSON request."""
    req = json.loads(body)
    rm = req["resourceMetrics"][0]
    attrs = {a["key"]: a["value"]["stringValue"] for a in rm["resource"]["attributes"]}
    check(attrs.get("service.name") == "eventlog-monitor", "resource %r" % attrs)
    out = {}
    for m in rm["scopeMetrics"][0]["metrics"]:
        kind = [k for k in ("sum", "gauge", "histogram") if k in m]
        check(len(kind) == 1, "metric %r" % m)
        data = m[kind[0]]
        if kind[0] != "gauge":
            check(data["aggregationTemporality"] == 2, "temporality of %s" % m["name"])
        for dp in data["dataPoints"]:
            lab = ",".join('%s="%s"' % (a["key"], a["value"]["stringValue"].replace("\\", "\\\\")
                                        .replace('"', '\\"'))
                           for a in dp["attributes"])
            key = lambda n, extra="": n + ("{" + lab + extra + "}" if lab or extra else "")
            if kind[0] == "histogram":
                out[key(m["name"] + "_count")] = float(dp["count"])
                out[key(m["name"] + "_sum")] = float(dp["sum"])
                cum = 0
                bounds = dp["explicitBounds"] + ["+Inf"]
                for b, c in zip(bounds, dp["bucketCounts"]):
                    cum += int(c)
                    le = "+Inf" if b == "+Inf" else ("%.15g" % b)
                    out[key(m["name"] + "_bucket", (',' if lab else '') + 'le="%s"' % le)] = cum
            else:
                out[key(m["name"])] = float(dp["asInt"]) if "asInt" in dp else dp["asDouble"]
    return out


def case_otlp():
    url, bodies = otlp_receiver(200)
    sock = os.path.join(TMP, "s")
    rp = replay(["--clients", "2", LOG], sock)
    p, base, errp = monitor(["--otlp", url, "--otlp-interval", "200", "unix:" + sock])
    wait_until("two sessions", lambda: metrics(base)[0].get("eventlog_sessions_total") == 2
               and metrics(base)[0].get("eventlog_connected") == 0)
    rp.wait(timeout=TIMEOUT)
    m, _ = metrics(base)
    n = len(bodies)
    wait_until("periodic exports", lambda: len(bodies) >= n + 2, timeout=5)
    p.send_signal(signal.SIGTERM)
    check(p.wait(timeout=10) == 0, "monitor exit %s" % p.returncode)
    check(len(bodies) >= n + 3, "no export at exit")
    path, ctype, body = bodies[-1]
    check(path == "/v1/metrics" and ctype == "application/json", "request %r %r" % (path, ctype))
    # The scrape-time histogram changes with every GET /metrics: not compared.
    got = {k: v for k, v in otlp_samples(body).items()
           if not k.startswith("eventlog_scrape_duration_seconds")}
    m = {k: v for k, v in m.items() if not k.startswith("eventlog_scrape_duration_seconds")}
    check(set(got) == set(m), "OTLP and /metrics differ in series: only OTLP %r, only /metrics %r"
          % (sorted(set(got) - set(m))[:5], sorted(set(m) - set(got))[:5]))
    for k, v in m.items():
        check(abs(got[k] - v) <= 1e-9 * max(1.0, abs(v)), "%s: OTLP %r, /metrics %r" % (k, got[k], v))
    # A receiver that fails: logged, the monitor goes on.
    url2, bodies2 = otlp_receiver(500)
    p2, base2, errp2 = monitor(["--otlp", url2, "--otlp-interval", "100",
                                "unix:" + os.path.join(TMP, "none")], "monitor2")
    wait_until("a failed export logged", lambda: "answered HTTP 500" in read(errp2), timeout=5)
    check(http(base2 + "/healthz")[0] == 200, "monitor after a failed export")
    print("otlp: %d exports, the last equal to /metrics (%d series)" % (len(bodies), len(m)))


def case_tcp_env():
    out = open(os.path.join(TMP, "replay.out"), "w+")
    spawn([EXE, "replay", "-q", "--clients", "1", LOG, "tcp:127.0.0.1:0"], stdout=out,
          stderr=open(os.path.join(TMP, "replay.err"), "w"))

    def addr():
        out.seek(0)
        return re.search(r"listening on tcp:127\.0\.0\.1:(\d+)", out.read())
    port = wait_until("replay to listen", addr).group(1)
    saved = dict(os.environ)
    os.environ.pop("GHC_EVENTLOG_UNIX_PATH", None)
    os.environ["GHC_EVENTLOG_INET_HOST"] = "127.0.0.1"
    os.environ["GHC_EVENTLOG_INET_PORT"] = port
    try:
        p, base, errp = monitor([])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    wait_until("the session", lambda: metrics(base)[0].get("eventlog_sessions_total") == 1
               and metrics(base)[0].get("eventlog_connected") == 0)
    m, _ = metrics(base)
    stats, info = file_figures(LOG)
    expect_times(m, stats, info, 1, "tcp from the environment")
    status, body = http(base + "/healthz")
    check("source tcp:127.0.0.1:%s" % port in body, "healthz %r" % body)
    print("tcp-env: the address from GHC_EVENTLOG_INET_HOST/PORT")


def case_usage():
    for args, msg in ((["--listen", "nonsense"], "HOST:PORT"),
                      (["--span-labels", "1000", "x"], "span-labels"),
                      (["--enable-control", "some.eventlog"], "socket"),
                      (["-"], "FIFO"),
                      (["a", "b"], "too many"),
                      (["--otlp", "ftp://x", "unix:/x"], "http://"),
                      (["--otlp-interval", "5", "unix:/x"], "otlp-interval")):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GHC_EVENTLOG")}
        p = subprocess.run([EXE, "monitor"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT, env=env)
        err = p.stderr.decode()
        if args[0] == "--listen":
            check(p.returncode in (1, 2) and msg in err, "%r: %d %r" % (args, p.returncode, err))
        else:
            check(p.returncode == 2 and msg in err, "%r: %d %r" % (args, p.returncode, err))
    p = subprocess.run([EXE, "monitor"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT, env={"PATH": os.environ.get("PATH", "")})
    check(p.returncode == 2 and b"GHC_EVENTLOG" in p.stderr, "no source: %r" % p.stderr)
    p = subprocess.run([EXE, "monitor", "--help"], stdout=subprocess.PIPE, timeout=TIMEOUT)
    check(p.returncode == 0 and b"/metrics" in p.stdout and b"--enable-control" in p.stdout,
          "--help")
    print("usage: errors and --help")


CASES = {"replay": case_replay, "decode-error": case_decode_error, "control": case_control,
         "limits": case_limits, "monotonic": case_monotonic,
         "otlp": case_otlp, "tcp-env": case_tcp_env, "fifo": case_fifo, "file": case_file, "usage": case_usage}


def main():
    global EXE, CORPUS, TMP, LOG
    if len(sys.argv) != 4 or sys.argv[3] not in CASES:
        sys.stderr.write("usage: monitor_cli_test.py EVENTLOG_EXE CORPUS_DIR CASE (%s)\n"
                         % ", ".join(CASES))
        return 2
    EXE = os.path.abspath(sys.argv[1])
    CORPUS = sys.argv[2]
    LOG = os.path.join(CORPUS, "threaded-N2.eventlog")
    TMP = tempfile.mkdtemp(prefix="elog-mon-")
    try:
        CASES[sys.argv[3]]()
        return 0
    except Failure as e:
        print("FAIL %s: %s" % (sys.argv[3], e))
        for name in sorted(os.listdir(TMP)):
            if name.endswith(".err"):
                print("--- %s\n%s" % (name, read(os.path.join(TMP, name))[-2000:]))
        return 1
    finally:
        testlib.stop_all(PROCS)
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""`eventlog monitor` watching a real GHC program, scraped by a real Prometheus.

    monitor_test.py EVENTLOG_EXE

Builds tests/ghc/Monitored.hs with tests/ghc/socket_writer.c (an RTS
EventLogWriter that streams the eventlog over the Unix socket
$GHC_EVENTLOG_UNIX_PATH, speaking the eventlog-socket protocol), then:

  1. starts `eventlog monitor --enable-control --listen 127.0.0.1:0` with no
     SOURCE (it takes the socket from GHC_EVENTLOG_UNIX_PATH, as the program
     does), and a Prometheus server (/usr/bin/prometheus) on loopback with a
     temporary configuration and data directory, scraping /metrics every 1 s;
  2. runs the program (+RTS -l -N2 -S<file>) twice, one after the other (a
     restart); during each run it POSTs /control/elog-test:1 (the program
     marks it with a user span "control") and then /control/elog-test:2,
     which makes the program exit: control over HTTP reaches the program, or
     it would run into its 30 s limit and fail;
  3. queries Prometheus' HTTP API: after the first run, and again after the
     second, ghc_gc_collections_total per generation, the parallel
     collections, ghc_allocated_bytes_total and ghc_sparks_total equal the
     sums of the runs' own +RTS -S summaries (so the counters kept growing
     across the restart), eventlog_sessions_total counts the runs,
     ghc_user_span_seconds_count{label="control"} counts the commands sent,
     and the target is up;
  4. `promtool check metrics` accepts a scrape taken while the program runs
     (heap size, live bytes and thread gauges present) and one at the end,
     which includes a span label that needs escaping (we"ird\\label).

Exits 77 (skipped) when ghc or prometheus/promtool is missing. Every wait is
bounded; every process started is killed at the end.
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
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402 (tests/testlib.py)
from testlib import Failure, check, http  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 30


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(what, fn, timeout=TIMEOUT, every=0.2):
    """Polls fn() until it returns a true value; returns it, or fails."""
    return testlib.wait_until(what, fn, timeout, every, (OSError, ValueError, KeyError))


def rts_summary(path):
    """The figures of a +RTS -S summary: collections and parallel per
    generation, bytes allocated, sparks."""
    with open(path) as f:
        text = f.read()
    out = {"gen": {}, "par": {}}
    for g, colls, par in re.findall(r"Gen\s+(\d+)\s+(\d+) colls,\s+(\d+) par", text):
        out["gen"][g] = int(colls)
        out["par"][g] = int(par)
    m = re.search(r"([\d,]+) bytes allocated in the heap", text)
    check(m is not None and out["gen"], "no +RTS -S summary in %s:\n%s" % (path, text[-2000:]))
    out["alloc"] = int(m.group(1).replace(",", ""))
    m = re.search(r"SPARKS: (\d+) \((\d+) converted, (\d+) overflowed, (\d+) dud, (\d+) GC'd, "
                  r"(\d+) fizzled\)", text)
    check(m is not None, "no SPARKS line in %s" % path)
    out["sparks"] = dict(zip(["created", "converted", "overflowed", "dud", "gcd", "fizzled"],
                             map(int, m.groups())))
    return out


class Run:
    def __init__(self, tmp, exe):
        self.tmp = tmp
        self.exe = exe
        self.procs = []

    def spawn(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def cleanup(self):
        testlib.stop_all(self.procs)


def build(tmp):
    prog = os.path.join(tmp, "monitored")
    # Built from copies: ghc writes a C file's object next to it, and the
    # source tree must stay clean.
    src = os.path.join(tmp, "src")
    os.mkdir(src)
    for f in ("Monitored.hs", "socket_writer.c"):
        shutil.copy(os.path.join(HERE, f), src)
    p = subprocess.run(["ghc", "-O0", "-eventlog", "-threaded", "-no-hs-main",
                        "-outputdir", os.path.join(tmp, "obj"), "-o", prog,
                        os.path.join(src, "Monitored.hs"), os.path.join(src, "socket_writer.c")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
    check(p.returncode == 0, "ghc failed:\n" + p.stdout.decode("utf-8", "replace"))
    return prog


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: monitor_test.py EVENTLOG_EXE\n")
        return 2
    for tool in ("ghc", "prometheus", "promtool"):
        if shutil.which(tool) is None:
            print("SKIP: %s not installed" % tool)
            return 77
    exe = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="elog-monitor-")
    run = Run(tmp, exe)
    try:
        test(run)
        print("monitor with prometheus: ok")
        return 0
    except Failure as e:
        print("FAIL: %s" % e)
        for name in ("monitor.err", "prometheus.err", "prog.err"):
            path = os.path.join(tmp, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    print("--- %s (tail)\n%s" % (name, f.read()[-3000:]))
        return 1
    finally:
        run.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def test(run):
    tmp = run.tmp
    prog = build(tmp)
    env = dict(os.environ)
    env["GHC_EVENTLOG_UNIX_PATH"] = os.path.join(tmp, "prog.sock")
    for k in ("GHC_EVENTLOG_INET_HOST", "GHC_EVENTLOG_INET_PORT"):
        env.pop(k, None)

    # The monitor, its socket from the environment, any free port.
    mon_out = open(os.path.join(tmp, "monitor.out"), "w+")
    mon_err = open(os.path.join(tmp, "monitor.err"), "w")
    mon = run.spawn([run.exe, "monitor", "--enable-control", "--listen", "127.0.0.1:0",
                     "--retry-max-ms", "200"], stdout=mon_out, stderr=mon_err, env=env)

    def port():
        mon_out.seek(0)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/metrics", mon_out.read())
        check(mon.poll() is None, "the monitor exited (%s)" % mon.returncode)
        return m and int(m.group(1))
    mport = wait_until("the monitor to listen", port, timeout=10)
    base = "http://127.0.0.1:%d" % mport

    # Prometheus on loopback, scraping every second.
    pport = free_port()
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                "scrape_configs:\n  - job_name: monitor\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % mport)
    prom_err = open(os.path.join(tmp, "prometheus.err"), "w")
    run.spawn(["prometheus", "--config.file=" + cfg,
               "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
               "--web.listen-address=127.0.0.1:%d" % pport],
              stdout=prom_err, stderr=subprocess.STDOUT, cwd=tmp)
    papi = "http://127.0.0.1:%d/api/v1/query?query=" % pport

    def query(expr):
        """{labels-tuple: value} of an instant query."""
        status, body = http(papi + urllib.parse.quote(expr))
        if status != 200:
            raise ValueError("prometheus: %d %s" % (status, body[:200]))
        res = json.loads(body)["data"]["result"]
        return {tuple(sorted((k, v) for k, v in r["metric"].items() if k not in
                             ("__name__", "instance", "job"))): float(r["value"][1])
                for r in res}

    def scalar(expr):
        v = query(expr)
        return next(iter(v.values())) if len(v) == 1 else None

    wait_until("prometheus to scrape the monitor", lambda: scalar('up{job="monitor"}') == 1,
               timeout=40)

    totals = None
    for number in (1, 2):
        rts = os.path.join(tmp, "rts%d.txt" % number)
        with open(os.path.join(tmp, "prog.err"), "a") as perr:
            p = run.spawn([prog, "+RTS", "-l", "-N2", "-S" + rts, "-RTS"], env=env,
                          stdout=subprocess.DEVNULL, stderr=perr, cwd=tmp)
        # The program waits for its first client: the monitor connects.
        wait_until("session %d in the monitor" % number,
                   lambda: "sessions %d" % number in http(base + "/healthz")[1]
                   and "connected 1" in http(base + "/healthz")[1], timeout=20)
        time.sleep(0.5)
        status, body = http(base + "/control/elog-test:1", "POST")
        check(status == 200 and body.startswith("sent"), "control 1: %d %r" % (status, body))
        time.sleep(0.3)
        # While the program runs (its RTS hands over events in 2 MB
        # buffers): the gauges of its session appear.
        def live_scrape():
            status, text = http(base + "/metrics")
            vals = dict(l.rsplit(" ", 1) for l in text.splitlines() if l and l[0] != "#")
            ok = (vals.get("eventlog_connected") == "1"
                  and float(vals.get("ghc_heap_size_bytes", 0)) > 0
                  and float(vals.get("ghc_heap_live_bytes", 0)) > 0
                  and sum(float(v) for k, v in vals.items() if k.startswith("ghc_threads{")) >= 1)
            return ok and text
        live = wait_until("heap and thread gauges while the program runs", live_scrape,
                          timeout=15)
        p_check = subprocess.run(["promtool", "check", "metrics"], input=live.encode(),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
        check(p_check.returncode == 0, "promtool (live): %s" % p_check.stdout.decode())
        status, body = http(base + "/control/elog-test:2", "POST")
        check(status == 200, "control 2: %d %r" % (status, body))
        try:
            rc = p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure("the program did not stop after control elog-test:2")
        check(rc == 0, "run %d of the program failed with %d" % (number, rc))
        fig = rts_summary(rts)
        if totals is None:
            totals = fig
        else:
            for k in ("gen", "par", "sparks"):
                for g, v in fig[k].items():
                    totals[k][g] = totals[k].get(g, 0) + v
            totals["alloc"] += fig["alloc"]

        want_colls = {(("generation", g),): float(v) for g, v in totals["gen"].items()}
        want_par = {(("generation", g),): float(v) for g, v in totals["par"].items()}

        def settled():
            return (scalar("eventlog_sessions_total") == number
                    and scalar("eventlog_connected") == 0
                    and query("ghc_gc_collections_total") == want_colls
                    and scalar("ghc_allocated_bytes_total") == totals["alloc"])
        try:
            wait_until("prometheus to hold the figures of run %d" % number, settled, timeout=20)
        except Failure as e:
            raise Failure("%s: prometheus has collections %r allocated %r sessions %r, "
                          "+RTS -S says %r %r" % (e, query("ghc_gc_collections_total"),
                                                  scalar("ghc_allocated_bytes_total"),
                                                  scalar("eventlog_sessions_total"),
                                                  want_colls, totals["alloc"]))
        got_par = query("ghc_gc_parallel_collections_total")
        check(got_par == want_par, "parallel collections: %r, +RTS -S: %r" % (got_par, want_par))
        sparks = query("ghc_sparks_total")
        want_sparks = {(("outcome", k),): float(v) for k, v in totals["sparks"].items()}
        check(sparks == want_sparks, "sparks: %r, +RTS -S: %r" % (sparks, want_sparks))
        control = scalar('ghc_user_span_seconds_count{label="control"}')
        check(control == number, "control spans: %r, commands sent: %d" % (control, number))
        check(scalar("eventlog_decode_errors_total") == 0, "decode errors")
        print("run %d: prometheus: collections %s, allocated %d bytes (= +RTS -S)"
              % (number, dict(totals["gen"]), totals["alloc"]))

    # The exposition itself passes promtool, escaped span label included.
    status, text = http(base + "/metrics")
    check(status == 200, "GET /metrics: %d" % status)
    check('ghc_user_span_seconds_count{label="we\\"ird\\\\label"} 2' in text,
          "the escaped span label is missing:\n" + text[:3000])
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
    check(p.returncode == 0, "promtool check metrics: %s" % p.stdout.decode())
    # The monitor stops cleanly on SIGTERM.
    mon.send_signal(signal.SIGTERM)
    check(mon.wait(timeout=10) == 0, "monitor exit status %s" % mon.returncode)


if __name__ == "__main__":
    sys.exit(main())

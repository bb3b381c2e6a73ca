#!/usr/bin/python3
"""`eventlog stats` end to end (the analysis figures themselves are checked by
tests/test_analysis.c and, against +RTS -s, by tests/ghc/rts_stats_test.py).

    stats_test.py EVENTLOG_EXE CORPUS_DIR CASE

  json      every conformance log: one JSON object with exactly the interface's
            keys (issue 16), internally consistent, `end` as `info --json` says;
            gzip and stdin give the same object as the file
  truncated a log cut in the middle: the summary, exit 0, end truncated-...;
            --strict exits 3; not an eventlog: exit 1 and a message
  live      --interval over a socket (`eventlog replay --rate`): several JSON
            lines, the last one with a clean end and the whole log's figures
  usage     --help, usage errors (exit 2)
"""
import gzip
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testlib import Failure, check  # noqa: E402 (tests/testlib.py)

EXE = CORPUS = TMP = None
TIMEOUT = 30

TOP = {"gc", "heap", "sparks", "time", "capabilities", "threads", "spans", "end"}
DUR = {"total", "mean", "p50", "p90", "p99", "max"}


def run(args, stdin=None):
    p = subprocess.run([EXE] + args, stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def logs():
    return sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS) if f.endswith(".eventlog"))


def check_keys(d, where):
    check(set(d) - {"sparks"} == TOP - {"sparks"}, "%s: top keys %s" % (where, sorted(d)))
    check(set(d["gc"]) == {"generations", "pause_ns"}, where)
    check(set(d["gc"]["pause_ns"]) == DUR, where)
    for g in d["gc"]["generations"]:
        check(set(g) == {"generation", "collections", "parallel", "copied_bytes", "pause_ns"}, where)
        check(set(g["pause_ns"]) == DUR, where)
        check(g["parallel"] <= g["collections"], where)
        p = g["pause_ns"]
        check(p["p50"] <= p["p90"] <= p["p99"] <= p["max"] <= p["total"], "%s: %r" % (where, p))
    check(set(d["heap"]) == {"allocated_bytes", "max_live_bytes", "max_size_bytes"}, where)
    if "sparks" in d:
        check(set(d["sparks"]) == {"created", "converted", "overflowed", "dud", "gcd", "fizzled"},
              where)
    t = d["time"]
    check(set(t) == {"start_ns", "end_ns", "mutator_ns", "gc_ns", "productivity"}, where)
    check(t["mutator_ns"] + t["gc_ns"] == t["end_ns"] - t["start_ns"] or t["gc_ns"] >
          t["end_ns"] - t["start_ns"], "%s: time %r" % (where, t))
    for c in d["capabilities"]:
        check(set(c) == {"cap", "mutator_ns", "gc_ns", "idle_ns"}, where)
    for th in d["threads"]:
        check(set(th) == {"thread", "label", "runs", "running_ns", "stop_reasons"}, where)
    for s in d["spans"]:
        check(set(s) == {"label", "count", "total_ns", "max_ns"}, where)
        check(s["max_ns"] <= s["total_ns"], where)
    check(sum(g["pause_ns"]["total"] for g in d["gc"]["generations"])
          <= d["gc"]["pause_ns"]["total"], where)


def case_json():
    n = 0
    for path in logs():
        rc, out, err = run(["stats", "--json", path])
        rc_info, info, _ = run(["info", "--json", path])
        if rc_info != 0:
            check(rc == rc_info, "%s: stats exit %d, info exit %d" % (path, rc, rc_info))
            continue
        check(rc == 0, "%s: exit %d: %s" % (path, rc, err))
        d = json.loads(out)
        check_keys(d, path)
        check(d["end"] == json.loads(info)["end"], "%s: end %r" % (path, d["end"]))
        n += 1
    check(n >= 10, "only %d logs summarised" % n)
    path = os.path.join(CORPUS, "parallelTest.eventlog")
    _, whole, _ = run(["stats", "--json", path])
    gz = os.path.join(TMP, "p.eventlog.gz")
    with open(path, "rb") as f, gzip.open(gz, "wb") as g:
        shutil.copyfileobj(f, g)
    _, zout, _ = run(["stats", "--json", gz])
    check(zout == whole, "gzip differs")
    with open(path, "rb") as f:
        _, sout, _ = run(["stats", "--json", "-"], stdin=f)
    check(sout == whole, "stdin differs")
    rc, text, _ = run(["stats", path])
    check(rc == 0 and b"bytes allocated in the heap" in text and b"GC pauses:" in text,
          "text summary: %r" % text[:200])


def case_truncated():
    path = os.path.join(CORPUS, "parallelTest.eventlog")
    with open(path, "rb") as f:
        data = f.read()
    cut = os.path.join(TMP, "cut.eventlog")
    with open(cut, "wb") as f:
        f.write(data[: len(data) * 2 // 3 + 3])
    rc, out, err = run(["stats", "--json", cut])
    check(rc == 0, "exit %d: %s" % (rc, err))
    d = json.loads(out)
    check(d["end"]["kind"].startswith("truncated"), "end %r" % d["end"])
    check("truncated" in err, "no warning: %r" % err)
    full = json.loads(run(["stats", "--json", path])[1])
    check(d["time"]["end_ns"] < full["time"]["end_ns"], "cut log not shorter")
    rc, _, _ = run(["stats", "--strict", cut])
    check(rc == 3, "--strict: exit %d" % rc)
    bad = os.path.join(TMP, "bad.eventlog")
    with open(bad, "wb") as f:
        f.write(b"not an eventlog at all")
    rc, out, err = run(["stats", bad])
    check(rc == 1 and out == b"" and "bad.eventlog" in err, "bad: %d %r %r" % (rc, out, err))


def case_live():
    path = os.path.join(CORPUS, "parallelTest.eventlog")
    size = os.path.getsize(path)
    addr = "unix:" + os.path.join(TMP, "s.sock")
    # About 1.5 s of trickle: several 200 ms intervals.
    srv = subprocess.Popen([EXE, "replay", "--quiet", "--rate", str(size * 2 // 3), path, addr],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        r, _, _ = select.select([srv.stdout], [], [], 5)
        check(r and re.match(rb"listening on ", srv.stdout.readline()), "replay did not listen")
        rc, out, err = run(["stats", "--json", "--interval", "200", addr])
    finally:
        if srv.poll() is None:
            srv.kill()
        srv.wait(timeout=5)
        srv.stdout.close()
    check(rc == 0, "exit %d: %s" % (rc, err))
    lines = out.decode().splitlines()
    check(len(lines) >= 3, "%d lines" % len(lines))
    objs = [json.loads(line) for line in lines]
    for o in objs:
        check_keys(o, "live")
    check(all(o["end"]["kind"] == "live" for o in objs[:-1]), "early ends")
    check(objs[-1]["end"]["kind"] == "clean", "last end %r" % objs[-1]["end"])
    ends = [o["time"]["end_ns"] for o in objs]
    check(ends == sorted(ends) and ends[0] < ends[-1], "snapshots do not advance: %r" % ends)
    whole = json.loads(run(["stats", "--json", path])[1])
    check(objs[-1]["gc"] == whole["gc"] and objs[-1]["threads"] == whole["threads"],
          "live final differs from the file's")


def case_usage():
    rc, out, _ = run(["stats", "--help"])
    check(rc == 0 and b"--json" in out and b"--interval" in out, "--help")
    for args in (["stats"], ["stats", "--interval", "0", "x"], ["stats", "--bogus", "x"],
                 ["stats", "a", "b"], ["stats", "--idle-timeout", "5", "x"]):
        rc, out, err = run(args)
        check(rc == 2 and out == b"" and "eventlog stats" in err, "%r: %d %r" % (args, rc, err))
    rc, out, _ = run(["--help"])
    check(b"stats SOURCE" in out, "stats missing from --help")


CASES = {"json": case_json, "truncated": case_truncated, "live": case_live, "usage": case_usage}


def main():
    global EXE, CORPUS, TMP
    EXE, CORPUS, case = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    TMP = tempfile.mkdtemp(prefix="elog-stats-cli-")
    try:
        CASES[case]()
    except Failure as e:
        print("FAIL:", e)
        return 1
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

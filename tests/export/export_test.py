#!/usr/bin/env python3
"""`eventlog export` end to end on every corpus log (one meson test per case):

  ndjson  every line parses as JSON (and with jq when installed); one object
          per event that is not a block marker, counted against `info --json`;
          the envelope (t, cap, type, id) first, the same field names for
          every object of a layout (the values are compared with the Python
          binding's typed events in bindings/python/tests/test_export.py)
  chrome  parses as JSON; per track (pid, tid) B/E nest and are balanced and
          time-ordered; async b/e balanced per (cat, name, id); counters have
          numeric args; ts are microseconds with three decimals
  duckdb  every corpus log's NDJSON is read by DuckDB's read_json (through
          the npm package @duckdb/node-api that scripts/setup.sh installs
          into tests/export/node_modules): as many rows, and the same count per
          type, as Python's json finds; skipped (77) without node or the package
  csv     each table parses, has its header row, numeric columns, end >= start,
          and as many rows as the log has intervals

usage: export_test.py EVENTLOG CORPUS_DIR CORPUS_902_DIR CASE
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

EVENTLOG, CONFORMANCE, GHC902, CASE = sys.argv[1:5]


def corpus():
    out = []
    for d in (CONFORMANCE, GHC902):
        out += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".eventlog"))
    return out


def run(*args, ok=(0,)):
    r = subprocess.run([EVENTLOG, *args], capture_output=True, timeout=120)
    if r.returncode not in ok:
        sys.exit(f"FAIL: eventlog {' '.join(args)}: exit {r.returncode}: {r.stderr.decode()}")
    return r


def counts(path):
    """Events per type id, from `eventlog info --json` (the CLI's other consumer)."""
    r = run("info", "--json", path, ok=(0, 1))
    if r.returncode != 0:
        return None
    info = json.loads(r.stdout)
    return {c["id"]: c["count"] for c in info["event_counts"]}


def check_ndjson(path):
    r = run("export", "--format", "ndjson", path)
    text = r.stdout.decode("utf-8")          # strict: the output is valid UTF-8
    lines = text.splitlines()
    objs = [json.loads(line) for line in lines]
    c = counts(path)
    if c is not None:
        want = sum(n for i, n in c.items() if i != 18)
        assert len(objs) == want, f"{path}: {len(objs)} objects, info counts {want} events"
    prev = {}
    times = [o["t"] for o in objs]
    assert times == sorted(times), f"{path}: not in time order"
    for o in objs:
        assert list(o)[:4] == ["t", "cap", "type", "id"], o
        assert isinstance(o["t"], int) and o["t"] >= 0
        assert o["cap"] is None or isinstance(o["cap"], int)
        assert o["id"] != 18, "block markers are not exported"
        if o["type"] is None:
            assert set(o) == {"t", "cap", "type", "id", "description", "payload"}, o
            assert re.fullmatch(r"[0-9a-f]*", o["payload"])
        else:
            keys = tuple(list(o)[4:])
            # one layout per (type, field set): the same names every time
            prev.setdefault((o["type"], len(keys)), keys)
            assert prev[(o["type"], len(keys))] == keys, o
    if shutil.which("jq"):
        j = subprocess.run(["jq", "-c", ".t"], input=r.stdout, capture_output=True, timeout=60)
        assert j.returncode == 0, j.stderr
        assert len(j.stdout.splitlines()) == len(objs)
    return len(objs)


def check_chrome(path):
    r = run("export", "--format", "chrome", path)
    doc = json.loads(r.stdout.decode("utf-8"))
    evs = doc["traceEvents"]
    stacks, last, asyncs, n_counters = {}, {}, {}, 0
    for e in evs:
        ph = e["ph"]
        assert e["pid"] == 1
        if ph == "M":
            continue
        ts = e["ts"]
        assert isinstance(ts, (int, float)) and ts >= 0
        track = (e["pid"], e.get("tid"))
        if ph in ("B", "E", "i"):
            assert ts >= last.get(track, 0), f"{path}: time goes back on {track}: {e}"
            last[track] = ts
        if ph == "B":
            stacks.setdefault(track, []).append(e["name"])
        elif ph == "E":
            assert stacks.get(track), f"{path}: E without B on {track} at {ts}"
            stacks[track].pop()
        elif ph in ("b", "e"):
            key = (e["cat"], e["name"], e["id"])
            asyncs[key] = asyncs.get(key, 0) + (1 if ph == "b" else -1)
            assert asyncs[key] >= 0, f"{path}: e before b: {e}"
        elif ph == "C":
            n_counters += 1
            assert e["args"] and all(isinstance(v, int) for v in e["args"].values()), e
        else:
            assert ph == "i", e
    for track, st in stacks.items():
        assert not st, f"{path}: unclosed slices on {track}: {st}"
    assert all(v == 0 for v in asyncs.values()), f"{path}: unbalanced spans {asyncs}"
    # ts keeps the nanoseconds: three decimals, never rounded
    raw = r.stdout.decode()
    if '"ts":' in raw:
        assert re.search(r'"ts":\d+\.\d{3}[,}]', raw), "ts with three decimals"
    assert not re.search(r'"ts":\d+\.\d{4}', raw)
    return len(evs), n_counters


HEADS = {
    "heap-profile": ["time", "census", "label", "bytes"],
    "gc-pauses": ["start", "end", "generation", "capability"],
    "thread-runs": ["thread", "capability", "start", "end", "stop reason"],
}


def check_csv(path):
    c = counts(path)
    rows_by = {}
    for table, head in HEADS.items():
        r = run("export", "--format", "csv", "--table", table, path)
        rows = list(csv.reader(io.StringIO(r.stdout.decode("utf-8"), newline="")))
        assert rows[0] == head, rows[0]
        for row in rows[1:]:
            assert len(row) == len(head), row
            if table == "heap-profile":
                int(row[0]), int(row[1]), int(row[3])
            elif table == "gc-pauses":
                s, e = int(row[0]), int(row[1])
                assert e >= s and (row[2] == "" or int(row[2]) >= 0) and int(row[3]) >= 0
            else:
                int(row[0]), int(row[1])
                assert int(row[3]) >= int(row[2]) and row[4]
        rows_by[table] = len(rows) - 1
    if c is not None:
        samples = c.get(163, 0) + c.get(164, 0)
        assert rows_by["heap-profile"] == samples, (path, rows_by, samples)
        assert rows_by["gc-pauses"] == c.get(9, 0), (path, rows_by, c.get(9))
        # every run is a row (runs cut by the end of the log too)
        assert rows_by["thread-runs"] == c.get(1, 0), (path, rows_by, c.get(1))
    return rows_by


def main():
    files = corpus()
    assert len(files) > 30
    if CASE == "ndjson":
        total = sum(check_ndjson(f) for f in files)
        print(f"ndjson: {len(files)} logs, {total} objects")
    elif CASE == "chrome":
        for f in files:
            check_chrome(f)
        # the heap-profile counters appear for a profiled log, spans/markers too
        n, counters = check_chrome(os.path.join(GHC902, "prof-hc.eventlog"))
        assert counters > 0
        raw = run("export", "-f", "chrome", os.path.join(GHC902, "prof-hc.eventlog")).stdout
        assert b'"name":"heap profile"' in raw and b'"name":"GC"' in raw
        print(f"chrome: {len(files)} logs")
    elif CASE == "csv":
        for f in files:
            check_csv(f)
        print(f"csv: {len(files)} logs")
    elif CASE == "truncated":
        # a killed program's log: exported with a warning, exit 0 (3 with --strict)
        killed = os.path.join(GHC902, "killed-sigkill.eventlog")
        r = run("export", "-f", "chrome", killed)
        assert b"truncated" in r.stderr, r.stderr
        check_chrome(killed)
        run("export", "-f", "chrome", "--strict", killed, ok=(3,))
        # stdin and -o
        out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"export-test-{os.getpid()}.ndjson")
        try:
            with open(killed, "rb") as f:
                r = subprocess.run([EVENTLOG, "export", "-", "-o", out], stdin=f,
                                   capture_output=True, timeout=60)
            assert r.returncode == 0, r.stderr
            with open(out, encoding="utf-8") as f:
                assert len([json.loads(l) for l in f]) > 100
        finally:
            if os.path.exists(out):
                os.unlink(out)
    elif CASE == "live":
        # a socket (eventlog replay): without --window in arrival order (the
        # same events), with a window wider than the log in time order (the
        # same text as the file's export)
        log = os.path.join(GHC902, "threaded-N2-la.eventlog")
        want = run("export", "-f", "ndjson", log).stdout
        tmp = tempfile.mkdtemp(prefix="export-live-")
        try:
            for args in ([], ["--window", "100000"]):
                sock = os.path.join(tmp, "s%d" % len(args))
                srv = subprocess.Popen([EVENTLOG, "replay", "--clients", "1", log, "unix:" + sock],
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                try:
                    line = srv.stdout.readline()
                    assert line.startswith(b"listening on"), line
                    got = run("export", "-f", "ndjson", *args, "unix:" + sock).stdout
                finally:
                    srv.kill()
                    srv.wait()
                if args:
                    assert got == want, "windowed socket export differs from the file's"
                else:
                    assert got != want and sorted(got.splitlines()) == sorted(want.splitlines())
            run("export", "--window", "10", log, ok=(2,))
        finally:
            shutil.rmtree(tmp)
    elif CASE == "duckdb":
        here = os.path.dirname(os.path.abspath(__file__))
        if shutil.which("node") is None or not os.path.isdir(
                os.path.join(here, "node_modules", "@duckdb", "node-api")):
            print("duckdb: node or @duckdb/node-api not installed (scripts/setup.sh installs "
                  "them); skipped")
            sys.exit(77)
        tmp = tempfile.mkdtemp(prefix="export-duckdb-")
        try:
            for f in files:
                out = os.path.join(tmp, os.path.basename(f) + ".ndjson")
                run("export", "-f", "ndjson", f, "-o", out)
                want = {}
                with open(out, encoding="utf-8") as fh:
                    for line in fh:
                        t = json.loads(line)["type"]
                        t = "null" if t is None else t   # a layout the catalogue lacks
                        want[t] = want.get(t, 0) + 1
                r = subprocess.run(["node", os.path.join(here, "duckdb_read.cjs"), out],
                                   capture_output=True, timeout=120)
                assert r.returncode == 0, (f, r.stderr.decode())
                got = json.loads(r.stdout)
                assert got["rows"] == sum(want.values()) and got["types"] == want, \
                    (f, got, want)
        finally:
            shutil.rmtree(tmp)
        print(f"duckdb: {len(files)} logs read by read_json")
    elif CASE == "usage":
        for args, msg in [(["export"], b"missing SOURCE"),
                          (["export", "-f", "xml", "x"], b"not ndjson, chrome or csv"),
                          (["export", "-t", "gc-pauses", "x"], b"--table applies to --format csv"),
                          (["export", "--nope", "x"], b"unknown option")]:
            r = run(*args, ok=(2,))
            assert msg in r.stderr, (args, r.stderr)
        r = run("export", "--help")
        assert b"ui.perfetto.dev" in r.stdout
    else:
        sys.exit(f"unknown case {CASE}")


main()

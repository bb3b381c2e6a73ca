"""The examples run and print what the library says."""
from __future__ import annotations

import collections
import csv
import io
import os
import subprocess
import sys

import pytest

from libeventlog import events as E
from conftest import EXAMPLES, PKG, corpus, decode_file


def run(script, *args):
    env = dict(os.environ)
    if not os.environ.get("LIBEVENTLOG_TEST_INSTALLED"):
        env["PYTHONPATH"] = PKG + os.pathsep + env.get("PYTHONPATH", "")
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args],
                       capture_output=True, text=True, env=env, check=False, timeout=300)
    return r


@pytest.mark.parametrize("name", ["ghc-9.0.2/threaded-N2.eventlog",
                                  "conformance/testlog-part.eventlog",
                                  "conformance/stop.hT.eventlog"])
def test_gc_pauses(name):
    path = corpus(name)
    events, end, _ = decode_file(path)
    # Independently of the analysis layer: collections are the GC_STATS_GHC
    # events per generation, and a pause is never longer than the log.
    colls = collections.Counter(ev.gen for ev in events if isinstance(ev, E.GcStatsGhc))
    span = max(ev.timestamp for ev in events) - min(ev.timestamp for ev in events)
    r = run("gc_pauses.py", path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["gen", "colls", "total", "ms", "mean", "ms", "p50", "ms",
                                "p99", "ms", "max", "ms"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert int(rows.pop("all")[0]) == sum(colls.values())
    assert {int(g): int(v[0]) for g, v in rows.items()} == \
        {g: colls.get(g, 0) for g in range(len(rows))}
    for v in rows.values():
        total, mean, p50, p99, mx = (float(x) * 1e6 for x in v[1:])
        assert mean <= mx + 1e3 and p50 <= p99 + 1e3 <= mx + 2e3 and total <= span + 1e3
    assert ("warning" in r.stderr) == (not end.clean)


def test_gc_pauses_errors(tmp_path):
    assert run("gc_pauses.py").returncode == 2
    bad = tmp_path / "bad.eventlog"
    bad.write_bytes(b"garbage")
    r = run("gc_pauses.py", str(bad))
    assert r.returncode == 1 and "ELOG_E_NOT_EVENTLOG" in r.stderr


@pytest.mark.parametrize("name", ["ghc-9.0.2/prof-hc.eventlog", "ghc-9.0.2/heap-hT.eventlog",
                                  "ghc-9.0.2/prof-hb.eventlog",
                                  "conformance/stop.hT.eventlog"])
def test_heap_profile_csv(name, tmp_path):
    path = corpus(name)
    events, _, _ = decode_file(path)
    samples = [e for e in events
               if isinstance(e, (E.HeapProfSampleString, E.HeapProfSampleCostCentre))]
    out = tmp_path / "out.csv"
    r = run("heap_profile_csv.py", path, "-o", str(out))
    assert r.returncode == 0, r.stderr
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["era", "time_ns", "profile", "label", "residency"]
    assert len(rows) - 1 == len(samples)
    assert [int(row[4]) for row in rows[1:]] == [s.residency for s in samples]
    stdout = run("heap_profile_csv.py", path)
    assert list(csv.reader(io.StringIO(stdout.stdout))) == rows


def test_heap_profile_csv_without_samples():
    r = run("heap_profile_csv.py", corpus("conformance/hello-ghc-8.2.2.eventlog"))
    assert r.returncode == 0 and r.stdout.splitlines() == ["era,time_ns,profile,label,residency"]
    assert "no heap profile samples" in r.stderr


def test_event_counts():
    path = corpus("conformance/testlog-part.eventlog")
    events, end, _ = decode_file(path)
    r = run("event_counts.py", path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"{len(events)} events, {end.describe()}")
    counts = collections.Counter(e.type_id for e in events)
    got = {int(line.split()[0]): int(line.split()[1]) for line in lines[2:-1]}
    assert got == dict(counts)
    assert "STOP_THREAD (undecoded" in r.stdout

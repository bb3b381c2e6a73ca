"""libeventlog.stats() / Analysis: the analysis layer from Python.

The figures come from the C library; these tests check the binding carries
them faithfully (the same as `eventlog stats --json` on the same input), in
every way of feeding (path, gzip, bytes, chunks, a live socket session), and
that truncated input is summarised with its end saying so.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess

from conftest import CORPUS_FILES, REPO, corpus, read

import pytest

import libeventlog

EXE = os.path.join(os.environ.get("LIBEVENTLOG_BUILD", os.path.join(REPO, "build")),
                   "tools", "eventlog")

pytestmark = pytest.mark.skipif(not libeventlog._stats.HAVE_ANALYSIS,
                                reason="built without the analysis layer")

PARALLEL = corpus("conformance/parallelTest.eventlog")   # no spark counters
THREADED = corpus("ghc-9.0.2/threaded-N2.eventlog")     # -N2, sparks
SAMPLE = [f for f in CORPUS_FILES if os.path.getsize(f) < 3_000_000][:12]


def cli_stats(path: str) -> libeventlog.Stats:
    out = subprocess.run([EXE, "stats", "--json", path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True).stdout
    return libeventlog.Stats.from_json(json.loads(out))


@pytest.mark.skipif(not os.access(EXE, os.X_OK), reason="eventlog is not built")
@pytest.mark.parametrize("path", SAMPLE, ids=os.path.basename)
def test_same_as_cli(path: str) -> None:
    assert libeventlog.stats(path) == cli_stats(path)


def test_typed_fields() -> None:
    assert libeventlog.stats(PARALLEL).sparks is None
    s = libeventlog.stats(THREADED)
    assert isinstance(s, libeventlog.Stats)
    assert s.gc.generations and s.gc.generations[0].generation == 0
    total = sum(g.collections for g in s.gc.generations)
    assert total > 0 and s.gc.pause_ns.max >= s.gc.pause_ns.p99 >= s.gc.pause_ns.p50 > 0
    assert s.heap.allocated_bytes > 0 and s.heap.max_size_bytes > 0
    assert s.sparks is not None and s.sparks.created > 0
    assert 0 < s.time.productivity <= 1
    assert s.time.mutator_ns + s.time.gc_ns == s.time.end_ns - s.time.start_ns
    assert s.capabilities and all(c.mutator_ns + c.gc_ns + c.idle_ns > 0 for c in s.capabilities)
    assert s.threads and all(t.runs >= 1 for t in s.threads[:3])
    assert s.end.kind == "clean" and not s.end.truncated


def test_bytes_chunks_gzip(tmp_path) -> None:
    data = read(PARALLEL)
    whole = libeventlog.stats(PARALLEL)
    assert libeventlog.stats(data) == whole
    a = libeventlog.Analysis()
    for i in range(0, len(data), 997):
        a.feed(data[i:i + 997])
    assert a.finish() == whole
    gz = tmp_path / "p.eventlog.gz"
    gz.write_bytes(gzip.compress(data))
    assert libeventlog.stats(str(gz)) == whole


def test_truncated_and_live_snapshot() -> None:
    data = read(PARALLEL)
    a = libeventlog.Analysis()
    a.feed(data[: len(data) // 2])
    live = a.snapshot()
    assert live.end.kind == "live"
    cut = a.finish()
    assert cut.end.truncated and cut.end.offset is not None
    assert cut.gc.pause_ns.total == live.gc.pause_ns.total
    full = libeventlog.stats(data)
    assert 0 < cut.time.end_ns < full.time.end_ns
    assert sum(g.collections for g in cut.gc.generations) < \
        sum(g.collections for g in full.gc.generations)


@pytest.mark.skipif(not os.access(EXE, os.X_OK), reason="eventlog is not built")
@pytest.mark.skipif(not libeventlog._stats._HAVE_SOCKET, reason="no socket client")
def test_live_socket(tmp_path) -> None:
    from test_socket import Server
    sv = Server([PARALLEL, "unix:" + str(tmp_path / "s.sock")])
    try:
        s = libeventlog.stats(sv.addr, timeout=10)
        snaps = None
    finally:
        sv.kill()
    whole = libeventlog.stats(PARALLEL)
    assert s.end.kind == "clean"
    assert s.gc == whole.gc and s.heap == whole.heap and s.threads == whole.threads
    sv = Server([PARALLEL, "unix:" + str(tmp_path / "t.sock")])
    try:
        snaps = list(libeventlog.stats_live(sv.addr, interval=0.05))
    finally:
        sv.kill()
    assert snaps and snaps[-1].gc == whole.gc

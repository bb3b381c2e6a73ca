"""conn.analysis() / log.analysis(): the analysis layer attached to a live
connect() connection or an open() reader, fed in C by the source's own
decoder while the user iterates it.

Real data only: corpus logs read from files and served by `eventlog replay`
(build/tools/eventlog) as a program instrumented with eventlog-socket serves
its eventlog. The reference figures are libeventlog.stats() of the same file
(itself checked against `eventlog stats --json` in test_stats.py).
"""
from __future__ import annotations

import os
import threading
import time
from typing import List

from conftest import CORPUS_FILES, REPO, corpus, file_id, read

import pytest

import libeventlog
from libeventlog import Stats

EXE = os.path.join(os.environ.get("LIBEVENTLOG_BUILD", os.path.join(REPO, "build")),
                   "tools", "eventlog")

pytestmark = pytest.mark.skipif(not libeventlog._stats.HAVE_ANALYSIS,
                                reason="built without the analysis layer")
socket_ok = pytest.mark.skipif(
    not os.access(EXE, os.X_OK) or not libeventlog._socket.HAVE_SOCKET,
    reason="needs build/tools/eventlog and the socket client")

HELLO = corpus("conformance/hello-ghc-8.2.2.eventlog")
PARALLEL = corpus("conformance/parallelTest.eventlog")
THREADED = corpus("ghc-9.0.2/threaded-N2.eventlog")        # -N2, sparks, 2 caps
KILLED = corpus("ghc-9.0.2/killed-sigkill.eventlog")        # truncated
HEAP = corpus("ghc-9.0.2/heap-hT.eventlog")                 # censuses
SMALL = [f for f in CORPUS_FILES if os.path.getsize(f) < 3_000_000]


def file_events(path: str, **kw) -> list:
    with libeventlog.open(path, **kw) as log:
        return list(log)


def total_collections(s: Stats) -> int:
    return sum(g.collections for g in s.gc.generations)


def assert_prefix(mid: Stats, final: Stats) -> None:
    """`mid`, a snapshot taken during the input, holds no more than the final
    figures: every counter, byte total and maximum of completed intervals is
    <= its final value."""
    assert mid.time.start_ns >= final.time.start_ns or mid.time.end_ns == 0
    assert mid.time.end_ns <= final.time.end_ns
    gens = {g.generation: g for g in final.gc.generations}
    for g in mid.gc.generations:
        f = gens[g.generation]
        assert g.collections <= f.collections and g.parallel <= f.parallel
        assert g.copied_bytes <= f.copied_bytes
        assert g.pause_ns.max <= f.pause_ns.max and g.pause_ns.total <= f.pause_ns.total
    # (not gc.pause_ns: it also counts a GC still open, closed at the latest
    # timestamp, which in file order may lie well past the GC's real end)
    assert mid.heap.allocated_bytes <= final.heap.allocated_bytes
    assert mid.heap.max_live_bytes <= final.heap.max_live_bytes
    assert mid.heap.max_size_bytes <= final.heap.max_size_bytes
    if mid.sparks is not None:
        assert final.sparks is not None and mid.sparks.created <= final.sparks.created
    threads = {t.thread: t for t in final.threads}
    for t in mid.threads:
        if t.thread in threads:
            assert t.runs <= threads[t.thread].runs
            for reason, n in t.stop_reasons.items():
                assert n <= threads[t.thread].stop_reasons.get(reason, 0)
    spans = {s.label: s for s in final.spans}
    for s in mid.spans:
        assert s.count <= spans[s.label].count
    assert mid.end.kind == "live"


# ------------------------------------------------------------------- open()

@pytest.mark.parametrize("path", SMALL, ids=file_id)
def test_reader_equals_stats(path: str) -> None:
    """open(path).analysis() after the iteration == stats(path), and the
    iteration yields exactly the events of a plain open()."""
    with libeventlog.open(path) as log:
        an = log.analysis()
        assert log.analysis() is an and an.attached
        got = list(log)
    want = libeventlog.stats(path)
    final = an.snapshot()
    assert final == want
    assert an.sessions == [final]
    assert got == file_events(path)


def test_reader_mid_snapshot_is_prefix() -> None:
    want = libeventlog.stats(THREADED)
    mids: List[Stats] = []
    n = 0
    with libeventlog.EventlogReader(THREADED, batch_events=64) as log:
        an = log.analysis()
        for _ in log:
            n += 1
            if n % 300 == 0:
                mids.append(an.snapshot())
    assert len(mids) >= 5
    for m in mids:
        assert_prefix(m, want)
    # the figures grow as the log is read
    colls = [total_collections(m) for m in mids]
    assert colls == sorted(colls) and colls[0] < total_collections(want)
    assert an.snapshot() == want


def test_reader_types_sorted_gzip_fileobj(tmp_path) -> None:
    """types= yields only those types but the analysis sees every event;
    sorted=True feeds it in time order (the same figures on GHC's logs); a
    gzip file and a file object are analysed like the plain path."""
    import gzip
    want = libeventlog.stats(THREADED)
    with libeventlog.open(THREADED, types=["USER_MSG", "GC_START"]) as log:
        an = log.analysis()
        got = list(log)
    ET = libeventlog.EventType
    assert got and {e.type_id for e in got} == {int(ET.USER_MSG), int(ET.GC_START)}
    assert len(got) < len(file_events(THREADED))
    assert an.snapshot() == want
    with libeventlog.open(THREADED, sorted=True) as log:
        an = log.analysis()
        got = list(log)
    assert got == file_events(THREADED, sorted=True)
    assert an.snapshot() == want
    gz = tmp_path / "t.eventlog.gz"
    gz.write_bytes(gzip.compress(read(THREADED)))
    with libeventlog.open(str(gz)) as log:
        an = log.analysis()
        list(log)
    assert an.snapshot() == want
    with open(THREADED, "rb") as f, libeventlog.open(f) as log:
        an = log.analysis()
        list(log)
    assert an.snapshot() == want


def test_reader_truncated() -> None:
    """A killed program's log: the final snapshot says truncated, as stats()."""
    with libeventlog.open(KILLED) as log:
        an = log.analysis()
        list(log)
    s = an.snapshot()
    assert s == libeventlog.stats(KILLED)
    assert s.end.truncated and s.end.offset == log.end.offset


@pytest.mark.parametrize("cut", [0, 3, 100, 5000], ids=lambda n: f"cut{n}")
@pytest.mark.parametrize("sorted_", [False, True], ids=["file-order", "sorted"])
def test_reader_empty_and_cut(tmp_path, cut: int, sorted_: bool) -> None:
    """An empty file, one cut inside its header, one cut inside the events:
    the attached analysis ends as stats() of the same bytes does."""
    data = read(HELLO)[:cut]
    path = tmp_path / "cut.eventlog"
    path.write_bytes(data)
    with libeventlog.open(str(path), sorted=sorted_) as log:
        an = log.analysis()
        list(log)
    want = libeventlog.stats(data)
    assert want.end.kind != "live"
    assert an.snapshot() == want
    assert an.sessions == [want]


def test_reader_corrupt(tmp_path) -> None:
    """Corrupt input: the iteration raises EventlogError, and the analysis
    ends as stats() of the same bytes: an error with its offset and reason."""
    data = bytearray(read(HELLO))
    off = file_events(HELLO)[40].offset
    data[off:off + 2] = b"\xff\xfe"      # an undeclared event id
    path = tmp_path / "bad.eventlog"
    path.write_bytes(bytes(data))
    want = libeventlog.stats(bytes(data))
    assert want.end.kind == "error" and want.end.offset == off and want.end.reason
    with libeventlog.open(str(path)) as log:
        an = log.analysis()
        with pytest.raises(libeventlog.EventlogError) as ei:
            list(log)
    assert ei.value.offset == off
    assert an.snapshot() == want


def test_reader_follow_growing_file(tmp_path) -> None:
    """follow=True on a file still being written: snapshots while it grows
    are prefixes, the final one equals stats() of the whole file."""
    data = read(THREADED)
    path = tmp_path / "growing.eventlog"
    path.write_bytes(data[:4000])
    want = libeventlog.stats(THREADED)

    def writer() -> None:
        with open(path, "ab") as f:
            for i in range(4000, len(data), 4000):
                time.sleep(0.02)
                f.write(data[i:i + 4000])
                f.flush()
    t = threading.Thread(target=writer)
    mids: List[Stats] = []
    with libeventlog.EventlogReader(str(path), follow=True, poll_interval=0.01, idle_timeout=5,
                                     batch_events=32) as log:
        an = log.analysis()
        t.start()
        for i, _ in enumerate(log):
            if i % 100 == 0:
                mids.append(an.snapshot())
    t.join()
    assert log.end is not None and log.end.clean
    assert an.snapshot() == want
    assert len(mids) > 3
    for m in mids:
        assert_prefix(m, want)
    assert total_collections(mids[1]) < total_collections(want)


def test_push_decoder() -> None:
    """Decoder().analysis(): fed as feed() decodes, in any chunking; finish()
    ends it; after reset() a new stream's figures start afresh."""
    data = read(THREADED)
    dec = libeventlog.Decoder()
    an = dec.analysis()
    events = []
    for i in range(0, len(data), 3001):
        events += dec.feed(data[i:i + 3001])
    dec.finish()
    assert events == libeventlog.decode(data)
    assert an.snapshot() == libeventlog.stats(data)
    dec.reset()
    other = read(PARALLEL)
    dec.feed(other)
    assert an.snapshot().gc == libeventlog.stats(other).gc     # nothing of THREADED
    dec.finish()
    assert an.sessions == [libeventlog.stats(data), libeventlog.stats(other)]


def test_limits() -> None:
    """max_threads= (elog_analysis_config): only the longest-running
    finished threads are listed; the other figures do not change. A second
    analysis() with other limits, or a bad limit, is refused."""
    fifo = corpus("ghc-9.0.2/fifo.eventlog")
    want = libeventlog.stats(fifo)
    assert len(want.threads) > 10
    with libeventlog.open(fifo) as log:
        an = log.analysis(max_threads=2)
        assert log.analysis(max_threads=2) is an and log.analysis() is an
        with pytest.raises(ValueError, match="other limits"):
            log.analysis(max_threads=3)
        list(log)
    s = an.snapshot()
    assert s.threads == want.threads[:2]
    assert (s.gc, s.heap, s.time, s.capabilities) == (want.gc, want.heap, want.time,
                                                      want.capabilities)
    a = libeventlog.Analysis(max_threads=2)
    a.feed(read(fifo))
    assert a.finish() == s
    for bad in (0, -1, 2**32, 1.5, True):
        with pytest.raises(ValueError):
            libeventlog.Analysis(max_threads=bad)


def test_usage_errors() -> None:
    with libeventlog.open(PARALLEL) as log:
        next(iter(log))
        with pytest.raises(ValueError, match="before iterating"):
            log.analysis()
    with pytest.raises(ValueError, match="closed"):
        log.analysis()
    with libeventlog.open(PARALLEL) as log:
        an = log.analysis()
        with pytest.raises(ValueError, match="attached"):
            an.feed(b"hdrb")
        with pytest.raises(ValueError, match="attached"):
            an.finish()
        # before any event: empty figures, still "live"
        s = an.snapshot()
        assert s.end.kind == "live" and s.gc.generations == [] and s.threads == []
        assert an.streams == 0
        next(iter(log))
        assert an.streams == 1


# ---------------------------------------------------------------- connect()

class _Servers:
    def __init__(self) -> None:
        self.started: list = []

    def __call__(self, args: List[str]):
        from test_socket import Server
        sv = Server(args)
        self.started.append(sv)
        return sv


@pytest.fixture
def servers():
    s = _Servers()
    try:
        yield s
    finally:
        for sv in s.started:
            sv.kill()


@socket_ok
@pytest.mark.parametrize("path", [THREADED, HEAP, KILLED], ids=file_id)
def test_connection_equals_stats(servers, tmp_path, path: str) -> None:
    """A whole session served by `eventlog replay`: the iteration yields every
    event, and the analysis's final figures equal stats() of the file (the
    end kind too: replay sends the file's bytes as they are)."""
    sv = servers(["--clients", "1", path, "unix:" + str(tmp_path / "s.sock")])
    with libeventlog.connect(sv.addr, connect_timeout=5) as conn:
        an = conn.analysis()
        assert conn.analysis() is an
        got = list(conn)
    want = libeventlog.stats(path)
    final = an.snapshot()
    assert final == want
    assert got == file_events(path)
    assert an.sessions == [final] and conn.sessions[0].stats == final
    assert sv.wait() == 0


@socket_ok
def test_connection_mid_snapshots_from_another_thread(servers, tmp_path) -> None:
    """Snapshots taken by another thread while this one iterates a slowly
    served session: each is a prefix of the final figures, they grow, and
    the iteration still yields every event."""
    sv = servers(["--clients", "1", "--rate", "64k", THREADED,
                  "unix:" + str(tmp_path / "s.sock")])
    want = libeventlog.stats(THREADED)
    mids: List[Stats] = []
    done = threading.Event()
    with libeventlog.connect(sv.addr, connect_timeout=5) as conn:
        an = conn.analysis()

        def watch() -> None:
            while not done.is_set():
                mids.append(an.snapshot())
                time.sleep(0.05)
        t = threading.Thread(target=watch)
        t.start()
        try:
            got = list(conn)
        finally:
            done.set()
            t.join(10)
    assert got == file_events(THREADED)
    assert an.snapshot() == want
    live = [m for m in mids if m.end.kind == "live"]
    assert len(live) >= 3, len(live)
    for m in live:
        assert_prefix(m, want)
    colls = [total_collections(m) for m in live]
    assert colls == sorted(colls) and colls[0] < total_collections(want)


@socket_ok
def test_connection_window_and_types(servers, tmp_path) -> None:
    """window=: the analysis sees the events as they arrive (before the
    reordering window), so its figures are stats()'s; types=(): nothing is
    yielded, the analysis still sees every event."""
    want = libeventlog.stats(THREADED)
    sv = servers(["--clients", "1", THREADED, "unix:" + str(tmp_path / "w.sock")])
    with libeventlog.connect(sv.addr, connect_timeout=5, window=50) as conn:
        an = conn.analysis()
        got = list(conn)
    assert sorted(got, key=lambda e: (e.timestamp, e.offset)) == \
        sorted(file_events(THREADED), key=lambda e: (e.timestamp, e.offset))
    assert an.snapshot() == want
    sv = servers(["--clients", "1", THREADED, "unix:" + str(tmp_path / "t.sock")])
    with libeventlog.connect(sv.addr, connect_timeout=5, types=()) as conn:
        an = conn.analysis()
        assert list(conn) == []
    assert an.snapshot() == want
    # the client counts the events its decoder delivered: all, for the analysis
    assert conn.sessions[0].events == len(file_events(THREADED))


@socket_ok
def test_connection_analysis_after_iterating_refused(servers, tmp_path) -> None:
    sv = servers(["--clients", "1", PARALLEL, "unix:" + str(tmp_path / "s.sock")])
    with libeventlog.connect(sv.addr, connect_timeout=5) as conn:
        next(iter(conn))
        with pytest.raises(ValueError, match="before iterating"):
            conn.analysis()
        list(conn)
    with pytest.raises(ValueError, match="closed"):
        conn.analysis()


@socket_ok
def test_reconnect_per_session_figures(servers, tmp_path) -> None:
    """reconnect=True, session 1 a program killed mid-stream (HELLO cut after
    5000 bytes), session 2 another program (PARALLEL, whole): the figures are
    per session, never mixed. Session 1's final figures are those of the cut
    bytes (end truncated), session 2's those of PARALLEL; after session 2's
    header the snapshot no longer contains anything of session 1."""
    cut = 5000
    addr = "unix:" + str(tmp_path / "r.sock")
    sv1 = servers(["--clients", "1", "--cut-after", str(cut), HELLO, addr])
    conn = libeventlog.connect(addr, reconnect=True, connect_timeout=5, retry_delay=0.02,
                               max_retry_delay=0.1)
    an = conn.analysis()
    from test_socket import list_across_servers
    got = list_across_servers(servers, sv1, [PARALLEL, addr], conn)
    cut_stats = libeventlog.stats(read(HELLO)[:cut])
    whole = libeventlog.stats(PARALLEL)
    assert cut_stats.end.truncated
    # sessions that received no byte (a server may accept once more) report nothing
    reported = [s for s in conn.sessions if s.stats is not None]
    assert [s.number for s in reported] == [1, reported[1].number]
    assert all(s.bytes == 0 for s in conn.sessions if s.stats is None)
    assert an.sessions == [s.stats for s in reported]
    assert an.streams == 2
    s1, s2 = an.sessions
    assert s1 == cut_stats
    assert s2 == whole
    assert an.snapshot() == whole      # session 2's figures only
    # and the events of both sessions were all yielded
    k = conn.sessions[0].events
    assert got == file_events(HELLO)[:k] + file_events(PARALLEL)


@socket_ok
def test_reconnect_keeps_latest_sessions(servers, tmp_path, monkeypatch) -> None:
    """A connection that reconnects for ever keeps only the latest
    SESSIONS_KEPT sessions and their figures (here 1 of 2): memory stays
    bounded, and the session numbers still count them all."""
    import libeventlog._stats
    monkeypatch.setattr(libeventlog._stats, "SESSIONS_KEPT", 1)
    addr = "unix:" + str(tmp_path / "k.sock")
    sv1 = servers(["--clients", "1", "--cut-after", "5000", HELLO, addr])
    conn = libeventlog.connect(addr, reconnect=True, connect_timeout=5, retry_delay=0.02,
                               max_retry_delay=0.1)
    an = conn.analysis()
    from test_socket import list_across_servers
    list_across_servers(servers, sv1, [PARALLEL, addr], conn)
    assert len(conn.sessions) == 1 and conn.sessions[0].number >= 2
    assert an.sessions == [libeventlog.stats(PARALLEL)]
    assert an.streams == 2


# ------------------------------------------------ stats(address), stats_live()

@socket_ok
def test_stats_address_timeout_and_errors(servers, tmp_path) -> None:
    """stats(address) is a connection with its analysis attached: with
    `timeout` on a session that stays open (--hold) the snapshot is "live"
    with every figure of the file; connecting to nothing raises SocketError
    after connect_timeout; a malformed address raises ValueError."""
    sv = servers(["--clients", "1", "--hold", THREADED, "unix:" + str(tmp_path / "h.sock")])
    t0 = time.monotonic()
    s = libeventlog.stats(sv.addr, timeout=1.0)
    assert time.monotonic() - t0 < 5
    want = libeventlog.stats(THREADED)
    assert s.end.kind == "live"
    assert (s.gc, s.heap, s.sparks, s.threads, s.spans) == \
        (want.gc, want.heap, want.sparks, want.threads, want.spans)
    with pytest.raises(libeventlog.SocketError):
        libeventlog.stats("unix:" + str(tmp_path / "nobody.sock"), connect_timeout=0.2)
    with pytest.raises(ValueError):
        libeventlog.stats("tcp:localhost", connect_timeout=0.2)
    with pytest.raises(ValueError):
        next(libeventlog.stats_live("unix:" + str(tmp_path / "x"), interval=0))


@pytest.mark.skipif(not libeventlog._source.HAVE_C_READER, reason="built without the C reader")
def test_stats_path_compressed_and_cut(tmp_path) -> None:
    """stats(path) reads through open()'s C reader: xz and zstd as well as
    gzip, and a gzip file cut short is analysed as far as it goes (as
    `eventlog stats` does), not reported empty; a file object works too."""
    import gzip
    import lzma
    import shutil
    import subprocess
    data = read(THREADED)
    want = libeventlog.stats(THREADED)
    xz = tmp_path / "t.eventlog.xz"
    xz.write_bytes(lzma.compress(data))
    assert libeventlog.stats(str(xz)) == want
    if shutil.which("zstd"):
        zst = tmp_path / "t.eventlog.zst"
        subprocess.run(["zstd", "-q", "-o", str(zst), THREADED], check=True)
        assert libeventlog.stats(str(zst)) == want
    with open(THREADED, "rb") as f:
        assert libeventlog.stats(f) == want
    gz = gzip.compress(data)
    cut = tmp_path / "cut.eventlog.gz"
    cut.write_bytes(gz[:len(gz) // 2])
    s = libeventlog.stats(str(cut))
    assert s.end.kind == "truncated-in-event" and s.end.offset > 0
    assert 0 < total_collections(s) < total_collections(want)
    if os.access(EXE, os.X_OK):
        from test_stats import cli_stats
        assert s == cli_stats(str(cut))


@socket_ok
def test_example_live_stats(servers, tmp_path) -> None:
    """examples/live_stats.py against a served log: progress lines while the
    session runs (--rate slows it down), then the session's final figures,
    which are stats() of the file."""
    import subprocess
    import sys
    from conftest import EXAMPLES, PKG
    sv = servers(["--clients", "1", "--rate", "64k", THREADED,
                  "unix:" + str(tmp_path / "s.sock")])
    env = dict(os.environ, PYTHONPATH=PKG + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, "live_stats.py"), sv.addr,
                        "--interval", "0.1"], capture_output=True, text=True, env=env,
                       timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    want = libeventlog.stats(THREADED)
    colls = total_collections(want)
    progress = [x for x in lines if x.startswith("session 1:")]
    # (a line due just after the session ended shows its end already)
    assert any(x.endswith("[live]") for x in progress)
    assert all(x.endswith("[live]") or x.endswith("[clean]") for x in progress)
    (final,) = [x for x in lines if x.startswith("session 1 ended:")]
    assert final.startswith(f"session 1 ended: {colls} GCs") and final.endswith("[clean]")
    assert f"{want.heap.allocated_bytes} bytes allocated" in final
    assert lines[-1].startswith("events: ")

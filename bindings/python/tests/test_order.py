"""Time-ordered iteration (include/eventlog/order.h) from Python:
open(sorted=True) yields the events `eventlog show` prints, in its order,
for every corpus log; connect(window=MS) reorders live events and yields
late ones at once, counted, never dropped."""
from __future__ import annotations

import gzip
import io
import os
import subprocess

from conftest import CORPUS_FILES, REPO, corpus, file_id

import pytest

import libeventlog

EXE = os.path.join(os.environ.get("LIBEVENTLOG_BUILD", os.path.join(REPO, "build")),
                   "tools", "eventlog")
needs_exe = pytest.mark.skipif(not os.access(EXE, os.X_OK), reason=f"{EXE} is not built")
COMPAT = dict(continue_after_end=True, lenient_blocks=True)
PARALLEL = corpus("conformance/parallelTest.eventlog")


def show_body(path: str):
    """`eventlog show PATH`'s event lines, or None if it fails."""
    p = subprocess.run([EXE, "show", path], capture_output=True, timeout=60)
    if p.returncode != 0:
        return None
    return p.stdout.split(b"\nEvents:\n", 1)[1][:-1].decode("utf-8", "surrogateescape")


@needs_exe
@pytest.mark.parametrize("path", CORPUS_FILES, ids=file_id)
def test_sorted_is_show(path):
    want = show_body(path)
    if want is None:
        with pytest.raises(libeventlog.EventlogError):
            with libeventlog.open(path, sorted=True, **COMPAT) as log:
                assert list(log) == []
        return
    with libeventlog.open(path, sorted=True, **COMPAT) as log:
        got = "".join(e.show() + "\n" for e in log)
        assert log.end is not None
    assert got.encode("utf-8", "surrogateescape") == want.encode("utf-8", "surrogateescape")


@pytest.mark.parametrize("path", [PARALLEL, corpus("ghc-9.0.2/heap-hT.eventlog")],
                         ids=file_id)
def test_sorted_is_stable_sort(path):
    with libeventlog.open(path) as log:
        plain = list(log)
        end = log.end
    with libeventlog.open(path, sorted=True) as log:
        got = list(log)
        assert log.end == end
    want = sorted(plain, key=lambda e: e.timestamp)   # stable: ties in file order
    assert [(e.offset, e.cap) for e in got] == [(e.offset, e.cap) for e in want]
    assert got == want


def test_sorted_gzip_and_file_objects(tmp_path):
    with libeventlog.open(PARALLEL, sorted=True) as log:
        want = list(log)
    gz = tmp_path / "p.eventlog.gz"
    data = open(PARALLEL, "rb").read()
    gz.write_bytes(gzip.compress(data))
    with libeventlog.open(str(gz), sorted=True) as log:       # spooled, inflated
        assert list(log) == want
    with libeventlog.open(io.BytesIO(data), sorted=True) as log:   # no descriptor
        assert list(log) == want
    with open(gz, "rb") as f, libeventlog.open(f, sorted=True) as log:
        assert list(log) == want


def test_sorted_truncated_and_corrupt(tmp_path):
    data = open(PARALLEL, "rb").read()
    cut = tmp_path / "cut.eventlog"
    cut.write_bytes(data[:200])                     # inside the header
    with libeventlog.open(str(cut), sorted=True) as log:
        assert list(log) == []
        assert log.end.end_class == "truncated-in-header"
    with pytest.raises(libeventlog.TruncatedEventlog):
        with libeventlog.open(str(cut), sorted=True, strict=True) as log:
            list(log)
    half = tmp_path / "half.eventlog"
    half.write_bytes(data[:len(data) // 2])         # truncated among the events
    with libeventlog.open(str(half), sorted=True) as log:
        events = list(log)
        assert events and log.end.truncated
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    junk = tmp_path / "junk.eventlog"
    junk.write_bytes(b"this is not an eventlog" * 10)
    with pytest.raises(libeventlog.EventlogError) as ei:
        with libeventlog.open(str(junk), sorted=True) as log:
            list(log)
    assert "junk.eventlog" in str(ei.value)
    with pytest.raises(FileNotFoundError):
        libeventlog.open(str(tmp_path / "missing"), sorted=True).read_all()
    with pytest.raises(ValueError):
        libeventlog.open(PARALLEL, sorted=True, follow=True)


# ------------------------------------------------------------------ window

socket_ok = pytest.mark.skipif(not os.access(EXE, os.X_OK) or not libeventlog._socket.HAVE_SOCKET,
                               reason="needs build/tools/eventlog and the socket client")


@pytest.fixture
def replay(tmp_path):
    started = []

    def start(path):
        from test_socket import Server
        sv = Server(["--clients", "1", path, "unix:" + str(tmp_path / "s.sock")])
        started.append(sv)
        return sv
    yield start
    for sv in started:
        sv.kill()


@socket_ok
def test_window_large_is_sorted(replay):
    sv = replay(PARALLEL)
    with libeventlog.connect(sv.addr, connect_timeout=5, window=1e9, **COMPAT) as conn:
        got = list(conn)
        stats = conn.window_stats
    with libeventlog.open(PARALLEL, sorted=True, **COMPAT) as log:
        want = list(log)
    assert got == want                      # the whole session fits the window
    assert stats["late"] == 0 and stats["held"] == 0
    assert stats["pushed"] == stats["released"] == len(want)


@socket_ok
def test_window_small_late_events_kept(replay):
    sv = replay(PARALLEL)
    with libeventlog.connect(sv.addr, connect_timeout=5, window=0, **COMPAT) as conn:
        got = list(conn)
        late = conn.late_events
        stats = conn.window_stats
    with libeventlog.open(PARALLEL, **COMPAT) as log:
        plain = list(log)
    # parallelTest's capabilities interleave by ~1 s: with no window, events
    # of the capability flushed later come late (`eventlog show --stream
    # --window 0` counts 40 of them) ...
    assert late == 40 and stats["max_late_ns"] > 10**9
    # ... and are all delivered, none lost or repeated
    assert sorted(got, key=lambda e: e.offset) == plain
    assert stats["pushed"] == stats["released"] == len(plain)
    # what is not late comes out in time order: each late event makes at
    # most one step back in time
    def steps_back(evs):
        return sum(1 for a, b in zip(evs, evs[1:]) if b.timestamp < a.timestamp)
    assert 0 < steps_back(got) <= late

"""libeventlog.open(): sources (paths, file objects, gzip), context manager,
iteration, follow mode."""
from __future__ import annotations

import gzip
import io
import os
import pathlib
import threading
import time

import pytest

import libeventlog
from libeventlog._source import HAVE_C_READER
from conftest import corpus, decode_file, read

SLEEP = corpus("conformance/sleep.hd.eventlog")


@pytest.fixture(scope="module")
def expected():
    events, end, _ = decode_file(SLEEP)
    return events, end


class NonSeekable(io.RawIOBase):
    """A pipe-like stream: read() only."""

    def __init__(self, data: bytes) -> None:
        self._f = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, n=-1):
        return self._f.read(min(n, 1000) if n and n > 0 else n)

    def readinto(self, b):  # pragma: no cover - read() is what we exercise
        raise OSError("not used")


@pytest.fixture
def gz_path(tmp_path):
    p = tmp_path / "sleep.hd.eventlog.gz"   # the name does not matter: magic bytes do
    p.write_bytes(gzip.compress(read(SLEEP)))
    return p


def _all(source, **kw):
    with libeventlog.open(source, **kw) as log:
        events = list(log)
    return events, log.end


def test_paths(expected, tmp_path):
    assert _all(SLEEP) == expected
    assert _all(pathlib.Path(SLEEP)) == expected
    assert _all(os.fsencode(SLEEP)) == expected


def test_file_objects(expected):
    with open(SLEEP, "rb") as f:
        assert _all(f) == expected
        assert not f.closed                 # the caller's file stays open
    with open(SLEEP, "rb", buffering=0) as f:
        assert _all(f) == expected
    assert _all(io.BytesIO(read(SLEEP))) == expected
    assert _all(NonSeekable(read(SLEEP))) == expected


def test_gzip(expected, gz_path):
    assert _all(gz_path) == expected
    with libeventlog.open(gz_path) as log:
        next(log)
        assert log.gzipped                  # known once reading started
    with libeventlog.open(SLEEP) as log:
        next(log)
        assert not log.gzipped
    assert _all(io.BytesIO(gz_path.read_bytes())) == expected
    assert _all(NonSeekable(gz_path.read_bytes())) == expected
    renamed = gz_path.with_name("plain-looking.eventlog")
    gz_path.rename(renamed)
    assert _all(renamed) == expected


def test_gzip_columns_equal_plain(gz_path):
    a = libeventlog.read_columns(gz_path, numpy=False)
    b = libeventlog.read_columns(SLEEP, numpy=False)
    assert a.as_dict() == b.as_dict() and a.end == b.end


def test_context_manager_closes_the_file():
    with libeventlog.open(SLEEP) as log:
        # a path: read by the C reader when the library has it, else from Python
        stream = log._creader._file if log._creader is not None else log._opened.stream
        next(log)
        assert log.header is not None and len(log.header) > 0
    assert stream.closed
    with libeventlog.open(io.BytesIO(read(SLEEP))) as log:
        stream = log._opened.stream
        next(log)
    assert not stream.closed                # the caller's file object


def test_iteration_protocol(expected):
    log = libeventlog.open(SLEEP)
    first = next(log)
    assert first == expected[0][0]
    assert iter(log) is iter(log)
    rest = log.read_all()
    assert [first] + rest == expected[0]
    assert log.end == expected[1]
    assert "sleep.hd.eventlog" in repr(log) and "end=clean" in repr(log)
    assert log.events_decoded == len(expected[0])
    log.close()
    log.close()


def test_stop_early_and_close():
    with libeventlog.open(SLEEP) as log:
        for i, _ in enumerate(log):
            if i == 10:
                break
    assert log.end is None


def test_bad_sources(tmp_path):
    with pytest.raises(TypeError):
        libeventlog.open(12345)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        libeventlog.open(tmp_path / "missing.eventlog")


def test_types_selects_in_c(reader_kind):
    """open(types=...) yields exactly the events of those types, with the same
    fields, capabilities and offsets as a full decode, on every corpus file,
    from a path (C reader) and a file object, in one piece and byte by byte;
    the end (its event count included) is unchanged."""
    from conftest import CORPUS_FILES
    from libeventlog import EventType
    want = [EventType.RUN_THREAD, "STOP_THREAD", "HeapProfSampleCostCentre",
            int(EventType.USER_MSG), EventType.BLOCK_MARKER]
    ids = {int(EventType.RUN_THREAD), int(EventType.STOP_THREAD),
           int(EventType.HEAP_PROF_SAMPLE_COST_CENTRE), int(EventType.USER_MSG),
           int(EventType.BLOCK_MARKER)}
    checked = 0
    for path in CORPUS_FILES:
        events, end = _all(path)
        expected_events = [ev for ev in events if ev.type_id in ids]
        for kw in ({}, {"chunk_size": 1}):
            got, got_end = _all(path, types=want, **kw)
            assert got == expected_events, (path, kw)
            assert got_end == end, (path, kw)
        with open(path, "rb") as f:
            assert _all(f, types=want) == (expected_events, end), path
        checked += len(events) - len(expected_events)
    assert checked > 0  # something was left out
    with pytest.raises(KeyError):
        libeventlog.open(SLEEP, types=["NO_SUCH_EVENT"])


def test_small_chunks(expected):
    assert _all(SLEEP, chunk_size=1) == expected
    assert _all(SLEEP, chunk_size=777) == expected


@pytest.mark.skipif(not HAVE_C_READER, reason="the library was built without the C reader")
def test_read_ahead_on_and_off(expected):
    """The C reader's read-ahead thread reads a regular file larger than a
    quarter of chunk_size (and a quarter of at least 16 KiB); read_ahead=False
    keeps it on this thread. The events and the end are the same either way."""
    for read_ahead in (True, False):
        with libeventlog.open(SLEEP, chunk_size=16384, read_ahead=read_ahead) as log:
            events = list(log)
            assert log.reads_ahead is read_ahead
        assert (events, log.end) == expected, read_ahead
    # Smaller than a slot: nothing to read ahead.
    with libeventlog.open(SLEEP) as log:
        list(log)
        assert log.reads_ahead is False


def _writer(path, data, pieces, delay):
    with open(path, "ab") as f:
        for piece in pieces:
            f.write(data[piece])
            f.flush()
            time.sleep(delay)


def test_follow_until_the_end_marker(tmp_path, expected):
    data = read(SLEEP)
    path = tmp_path / "live.eventlog"
    path.write_bytes(b"")
    cuts = [0, 100, 2500, 2600, 9000, len(data) - 1, len(data)]
    pieces = [slice(a, b) for a, b in zip(cuts, cuts[1:])]
    t = threading.Thread(target=_writer, args=(path, data, pieces, 0.05))
    t.start()
    try:
        got, end = _all(path, follow=True, poll_interval=0.01, idle_timeout=10)
    finally:
        t.join()
    assert (got, end) == expected


def test_follow_gives_up_after_idle_timeout(tmp_path, expected):
    data = read(SLEEP)
    path = tmp_path / "stuck.eventlog"
    path.write_bytes(data[:9000])
    t0 = time.monotonic()
    got, end = _all(path, follow=True, poll_interval=0.01, idle_timeout=0.2)
    assert time.monotonic() - t0 < 5
    assert end.truncated
    assert got == [ev for ev in expected[0] if ev.offset < end.offset]


def test_follow_gzip(gz_path, expected):
    if HAVE_C_READER:   # the C reader follows gzip files too
        assert _all(gz_path, follow=True, idle_timeout=5) == expected
    else:
        with pytest.raises(ValueError, match="gzip"):
            libeventlog.open(gz_path, follow=True)
    with open(gz_path, "rb") as f:           # file objects are polled from Python
        with pytest.raises(ValueError, match="gzip"):
            libeventlog.open(f, follow=True)


def test_follow_a_file_object(tmp_path, expected):
    data = read(SLEEP)
    path = tmp_path / "live2.eventlog"
    path.write_bytes(data[:3000])
    t = threading.Thread(target=_writer, args=(path, data, [slice(3000, len(data))], 0.01))
    with open(path, "rb", buffering=0) as f:
        t.start()
        try:
            got = _all(f, follow=True, poll_interval=0.01, idle_timeout=10)
        finally:
            t.join()
    assert got == expected


@pytest.fixture(params=["c-reader", "python-reader"])
def reader_kind(request, monkeypatch):
    """Paths go through the C reader when the library has it; this runs a test
    with it and with the Python reading it falls back to."""
    from libeventlog import _columns, _reader
    if request.param == "c-reader":
        if not HAVE_C_READER:
            pytest.skip("the library was built without the C reader")
    else:
        monkeypatch.setattr(_reader, "HAVE_C_READER", False)
        monkeypatch.setattr(_columns, "HAVE_C_READER", False)
    return request.param


def test_both_readers_on_every_corpus_file(reader_kind):
    from conftest import CORPUS_FILES
    for path in CORPUS_FILES:
        events, end, _ = decode_file(path)
        assert _all(path) == (events, end), path
        cols = libeventlog.read_columns(path, numpy=False)
        assert list(cols.offset) == [ev.offset for ev in events] and cols.end == end


@pytest.mark.parametrize("as_path", [True, False], ids=["path", "file-object"])
def test_truncated_gzip(tmp_path, as_path, reader_kind, expected):
    gz = gzip.compress(read(SLEEP))
    cut = gz[:len(gz) // 2]
    p = tmp_path / "cut.eventlog.gz"
    p.write_bytes(cut)
    src = p if as_path else io.BytesIO(cut)
    events, end = _all(src)
    assert end.truncated and 0 < len(events) < len(expected[0])
    assert events == expected[0][:len(events)]
    assert libeventlog.read_columns(p if as_path else io.BytesIO(cut)).end == end


@pytest.mark.parametrize("as_path", [True, False], ids=["path", "file-object"])
def test_corrupt_gzip(tmp_path, as_path, reader_kind):
    gz = bytearray(gzip.compress(read(SLEEP)))
    gz[len(gz) // 2] ^= 0xff
    gz[len(gz) // 2 + 1] ^= 0xff
    p = tmp_path / "bad.eventlog.gz"
    p.write_bytes(gz)
    for make in (lambda: p if as_path else io.BytesIO(bytes(gz)),):
        with pytest.raises(libeventlog.EventlogError) as info:
            _all(make())
        assert info.value.status == "ELOG_READER_E_GZIP"
        assert "gzip" in info.value.reason
        with pytest.raises(libeventlog.EventlogError):
            libeventlog.read_columns(make())


@pytest.mark.parametrize("as_path", [True, False], ids=["path", "file-object"])
def test_gzip_members(tmp_path, as_path, reader_kind, expected):
    data = read(SLEEP)
    two = gzip.compress(data[:5000]) + gzip.compress(data[5000:])
    p = tmp_path / "two.gz"
    p.write_bytes(two)
    assert _all(p if as_path else io.BytesIO(two)) == expected
    p.write_bytes(two + b"junk")
    with pytest.raises(libeventlog.EventlogError) as info:
        _all(p if as_path else io.BytesIO(two + b"junk"))
    assert info.value.status == "ELOG_READER_E_GZIP"


def test_corrupt_file_path(tmp_path, reader_kind):
    events, _, _ = decode_file(SLEEP)
    victim = events[30]
    data = bytearray(read(SLEEP))
    data[victim.offset:victim.offset + 2] = b"\x7f\xfe"
    p = tmp_path / "corrupt.eventlog"
    p.write_bytes(data)
    got = []
    with pytest.raises(libeventlog.EventlogError) as info:
        with libeventlog.open(p) as log:
            for ev in log:
                got.append(ev)
    assert got == events[:30]
    assert info.value.offset == victim.offset and info.value.status == "ELOG_E_UNDECLARED"
    assert log.end.kind == libeventlog.EndKind.ERROR
    with pytest.raises(libeventlog.EventlogError) as info:
        libeventlog.read_columns(p)
    assert info.value.offset == victim.offset


def test_follow_both_readers(tmp_path, reader_kind, expected):
    data = read(SLEEP)
    path = tmp_path / "live3.eventlog"
    path.write_bytes(data[:50])
    t = threading.Thread(target=_writer, args=(path, data, [slice(50, 7000),
                                                            slice(7000, len(data))], 0.05))
    t.start()
    try:
        got = _all(path, follow=True, poll_interval=0.01, idle_timeout=10)
    finally:
        t.join()
    assert got == expected


def test_stop_a_follow_from_another_thread(tmp_path, reader_kind, expected):
    data = read(SLEEP)
    path = tmp_path / "never-ends.eventlog"
    path.write_bytes(data[:9000])
    log = libeventlog.open(path, follow=True, poll_interval=0.01)   # no idle timeout
    timer = threading.Timer(0.3, log.stop)
    timer.start()
    t0 = time.monotonic()
    with log:
        got = log.read_all()
    timer.join()
    assert time.monotonic() - t0 < 10
    assert log.end.truncated
    assert got == [ev for ev in expected[0] if ev.offset < log.end.offset]


@pytest.mark.skipif(not HAVE_C_READER, reason="zstd and xz are decompressed by the C reader")
@pytest.mark.parametrize("tool", ["zstd", "xz"])
def test_zstd_and_xz_paths(tmp_path, tool, expected):
    """zstd and xz files are recognised by content (any name) and read in C;
    a file object of them is refused with a clear message; corrupt data raise
    EventlogError with the compressed offset."""
    import shutil
    import subprocess
    if shutil.which(tool) is None:
        pytest.skip(f"no {tool} program")
    data = subprocess.run([tool, "-q", "-c", SLEEP], stdout=subprocess.PIPE, check=True).stdout
    p = tmp_path / "log"            # no suffix
    p.write_bytes(data)
    assert _all(p) == expected
    with libeventlog.open(p) as log:
        next(log)
        assert not log.gzipped
    cols = libeventlog.read_columns(p, numpy=False)
    assert cols.as_dict() == libeventlog.read_columns(SLEEP, numpy=False).as_dict()
    with pytest.raises(ValueError, match=f"{tool}-compressed"):
        _all(io.BytesIO(data))
    bad = bytearray(data)
    for k in range(8):
        bad[len(bad) // 2 + k] ^= 0x5A
    p.write_bytes(bytes(bad))
    with pytest.raises(libeventlog.EventlogError) as info:
        _all(p)
    assert info.value.status == "ELOG_READER_E_GZIP"
    assert f"corrupt {tool} data" in info.value.reason and "compressed byte" in info.value.reason

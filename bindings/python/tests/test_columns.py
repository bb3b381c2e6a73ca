"""read_columns(): the batched path agrees with the per-event iterator."""
from __future__ import annotations

import array
import collections

import pytest

import libeventlog
from libeventlog import EventType, NO_CAP
from conftest import corpus, decode_file

try:  # numpy is optional
    import numpy
except ImportError:  # pragma: no cover
    numpy = None

FILES = ["conformance/sleep.hd.eventlog", "conformance/testlog-part.eventlog",
         "ghc-9.0.2/threaded-N2.eventlog", "conformance/stop.hT.eventlog"]


@pytest.mark.parametrize("name", FILES)
def test_common_columns_equal_the_iterator(name):
    path = corpus(name)
    events, end, header = decode_file(path)
    cols = libeventlog.read_columns(path, numpy=False)
    assert len(cols) == len(events) == cols.events_seen
    assert cols.end == end
    assert cols.header is not None and len(cols.header) == len(header)
    assert isinstance(cols.type, array.array) and cols.type.typecode == "H"
    assert list(cols.type) == [ev.type_id for ev in events]
    assert list(cols["timestamp"]) == [ev.timestamp for ev in events]
    assert list(cols.cap) == [NO_CAP if ev.cap is None else ev.cap for ev in events]
    assert list(cols.offset) == [ev.offset for ev in events]
    assert cols.keys() == ["type", "timestamp", "cap", "offset"]


def test_type_filter_and_fields():
    path = corpus("ghc-9.0.2/threaded-N2.eventlog")
    events, _, _ = decode_file(path)
    stops = [ev for ev in events if ev.type == EventType.STOP_THREAD]
    for types in ([2], [EventType.STOP_THREAD], ["STOP_THREAD"], ["stop_thread"], ["StopThread"],
                  [libeventlog.events.StopThread], (t for t in [2])):
        cols = libeventlog.read_columns(path, types=types, fields=["thread", "status", "info"],
                                        numpy=False)
        assert len(cols) == len(stops)
        assert cols.events_seen == len(events)
        assert list(cols.thread) == [ev.thread for ev in stops]
        assert list(cols.status) == [ev.status for ev in stops]
        assert list(cols.info) == [ev.info for ev in stops]
        assert cols.fields == ("thread", "status", "info")


def test_fill_for_events_without_the_field():
    path = corpus("ghc-9.0.2/threaded-N2.eventlog")
    events, _, _ = decode_file(path)
    cols = libeventlog.read_columns(path, fields=["thread", "cap_"], fill=12345, numpy=False)
    for i, ev in enumerate(events):
        assert cols.thread[i] == getattr(ev, "thread", 12345)
        assert cols.cap_[i] == getattr(ev, "cap_", 12345)


def test_optional_fields_absent_get_the_fill():
    path = corpus("conformance/ticky-ticky.eventlog")
    events, _, _ = decode_file(path)
    defs = [ev for ev in events if ev.type == EventType.TICKY_COUNTER_DEF]
    cols = libeventlog.read_columns(path, types=["TICKY_COUNTER_DEF"], fields=["info_tbl"],
                                    fill=7, numpy=False)
    assert list(cols.info_tbl) == [7 if ev.info_tbl is None else ev.info_tbl for ev in defs]


def test_bad_arguments():
    path = corpus("conformance/sleep.hd.eventlog")
    with pytest.raises(ValueError, match="no integer field named 'nope'"):
        libeventlog.read_columns(path, fields=["nope"])
    with pytest.raises(ValueError, match="'message'"):
        libeventlog.read_columns(path, fields=["message"])    # a text field
    with pytest.raises(ValueError, match="cap_"):
        libeventlog.read_columns(path, fields=["cap"])
    with pytest.raises(KeyError):
        libeventlog.read_columns(path, types=["NO_SUCH_TYPE"])
    with pytest.raises(ValueError):
        libeventlog.read_columns(path, types=[70000])
    with pytest.raises(ValueError):
        libeventlog.read_columns(path, fill=-1)


def test_truncated_and_strict():
    path = corpus("conformance/testlog-part.eventlog")
    cols = libeventlog.read_columns(path)
    assert cols.end.end_class == "truncated-in-event" and len(cols) == 718
    with pytest.raises(libeventlog.TruncatedEventlog):
        libeventlog.read_columns(path, strict=True)


def test_small_batches_and_chunks():
    path = corpus("conformance/sleep.hd.eventlog")
    a = libeventlog.read_columns(path, fields=["thread"], numpy=False)
    b = libeventlog.read_columns(path, fields=["thread"], numpy=False, batch_events=3,
                                 chunk_size=100)
    assert a.as_dict() == b.as_dict()


@pytest.mark.skipif(numpy is None, reason="numpy is not installed")
def test_numpy_columns():
    path = corpus("conformance/stop.hT.eventlog")
    cols = libeventlog.read_columns(path, fields=["thread"])
    assert isinstance(cols.type, numpy.ndarray)
    assert cols.type.dtype == numpy.uint16 and cols.timestamp.dtype == numpy.uint64
    assert cols.cap.dtype == numpy.uint16 and cols.thread.dtype == numpy.uint64
    counts = numpy.bincount(cols.type)
    events, _, _ = decode_file(path)
    want = collections.Counter(ev.type_id for ev in events)
    assert {i: int(c) for i, c in enumerate(counts) if c} == dict(want)
    empty = libeventlog.read_columns(path, types=[999])
    assert len(empty) == 0 and empty.timestamp.dtype == numpy.uint64


def test_to_pandas():
    pd = pytest.importorskip("pandas")
    df = libeventlog.read_columns(corpus("conformance/sleep.hd.eventlog"),
                                  fields=["thread"]).to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["type", "timestamp", "cap", "offset", "thread"]

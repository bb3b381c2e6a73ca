"""Truncated logs: what is decoded, how the end is reported, and when the
iterator raises (strict=True only, except for inputs with no complete header)."""
from __future__ import annotations

import io

import pytest

import libeventlog
from libeventlog import EndKind, TruncatedEventlog
from conftest import corpus, decode_file, read

PART = corpus("conformance/testlog-part.eventlog")
WHOLE = corpus("conformance/testlog.eventlog")


def test_testlog_part_end():
    with libeventlog.open(PART) as log:
        events = log.read_all()
    end = log.end
    assert end.kind == EndKind.TRUNCATED_IN_EVENT
    assert str(end.kind) == end.end_class == "truncated-in-event"
    assert (end.offset, end.event_id, end.bytes_missing) == (10237, 18, 21)
    assert end.total_bytes == 10240
    assert end.events == len(events) == 718
    assert end.truncated and not end.clean
    assert "truncated inside an event at byte offset 10237" in end.describe()


def test_testlog_part_is_a_prefix_of_testlog():
    part, _, _ = decode_file(PART)
    whole, end, _ = decode_file(WHOLE)
    assert end.clean
    assert part == whole[:len(part)]


def test_strict_raises_after_yielding_everything():
    got = []
    with pytest.raises(TruncatedEventlog) as info:
        with libeventlog.open(PART, strict=True) as log:
            for ev in log:
                got.append(ev)
    e = info.value
    assert len(got) == 718
    assert (e.end_class, e.offset, e.events_decoded) == ("truncated-in-event", 10237, 718)
    assert e.args == ("truncated-in-event", 10237, 718)
    assert e.end is not None and e.end.bytes_missing == 21
    assert isinstance(e, libeventlog.EventlogError)
    assert "truncated inside an event at byte offset 10237 (event id 18, 21 bytes missing)" \
        in str(e)
    assert "718 events decoded" in str(e)
    assert log.end == e.end


def test_strict_on_a_clean_log_does_not_raise():
    with libeventlog.open(WHOLE, strict=True) as log:
        assert len(log.read_all()) == 923
    assert log.end.clean


def test_decode_strict():
    data = read(PART)
    assert len(libeventlog.decode(data)) == 718
    with pytest.raises(TruncatedEventlog):
        libeventlog.decode(data, strict=True)


@pytest.mark.parametrize("data", [b"", b"hdrb", b"hdrbhetb\x00"])
def test_no_header(data):
    expected = "empty" if not data else "truncated-in-header"
    with libeventlog.open(io.BytesIO(data)) as log:
        assert list(log) == []
    assert log.end.end_class == expected and log.end.truncated
    assert log.header is None
    with pytest.raises(TruncatedEventlog) as info:
        with libeventlog.open(io.BytesIO(data), strict=True) as log:
            list(log)
    assert info.value.end_class == expected
    assert info.value.events_decoded == 0


def _records(events, header, total_len):
    """[(start, end, type id, variable)] of each record, then the end marker."""
    out = []
    for ev in events:
        var = header[ev.type_id].size is None
        size = (12 if var else 10) + len(ev.payload)
        out.append((ev.offset, ev.offset + size, ev.type_id, var))
    out.append((total_len - 2, total_len, None, False))
    return out


@pytest.mark.parametrize("name", ["conformance/nonmoving-gc.eventlog",
                                  "conformance/trace-binary-event.eventlog"])
def test_every_byte_truncation(name):
    path = corpus(name)
    data = read(path)
    full, end, header = decode_file(path)
    assert end.clean and end.offset == len(data) - 2
    records = _records(full, header, len(data))
    boundaries = {r[0] for r in records}
    for k in range(len(data) + 1):
        dec = libeventlog.Decoder()
        events = dec.feed(data[:k])
        e = dec.finish()
        want = [ev for ev, r in zip(full, records) if r[1] <= k]
        assert events == want, k
        assert e.events == len(want)
        assert e.total_bytes == k
        if k == 0:
            assert e.kind == EndKind.EMPTY
        elif k < header.data_offset:
            assert e.kind == EndKind.TRUNCATED_IN_HEADER, k
            assert e.bytes_missing >= 1
        elif k == len(data):
            assert e.kind == EndKind.CLEAN
        elif k in boundaries:
            assert e.kind == EndKind.TRUNCATED_BETWEEN_EVENTS, k
            assert e.offset == k
        else:
            start, stop, tid, var = next(r for r in records if r[0] < k < r[1])
            assert e.kind == EndKind.TRUNCATED_IN_EVENT, k
            assert e.offset == start
            if tid is not None and k - start >= 2:
                assert e.event_id == tid
            else:
                assert e.event_id is None
            exact = tid is not None and k - start >= (12 if var else 2)
            if exact or tid is None:
                assert e.bytes_missing == stop - k, k
            else:
                assert 1 <= e.bytes_missing <= stop - k, k
        # the iterator: the same events; strict raises after them unless clean
        with libeventlog.open(io.BytesIO(data[:k])) as log:
            assert list(log) == want, k
        assert log.end == e
        got = []
        try:
            with libeventlog.open(io.BytesIO(data[:k]), strict=True) as log:
                for ev in log:
                    got.append(ev)
            raised = False
        except TruncatedEventlog as t:
            raised = True
            assert t.end == e and t.events_decoded == len(want)
        assert got == want and raised == (k < len(data)), k

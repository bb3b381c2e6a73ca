"""Corrupt input raises EventlogError with the C status, reason and byte offset;
the events before the error are not lost; errors are sticky."""
from __future__ import annotations

import io
import struct

import pytest

import libeventlog
from libeventlog import EndKind, EventlogError
from conftest import corpus, decode_file, read

HELLO = corpus("conformance/hello-ghc-8.2.2.eventlog")


def patched(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new):]


def test_not_an_eventlog():
    dec = libeventlog.Decoder()
    with pytest.raises(EventlogError) as info:
        dec.feed(b"this is not an eventlog at all")
    e = info.value
    assert e.status == "ELOG_E_NOT_EVENTLOG"
    assert e.offset == 0
    assert e.reason
    assert "byte offset 0" in str(e) and "ELOG_E_NOT_EVENTLOG" in str(e)
    assert e.args == (0, e.reason)
    assert e.events == []
    # sticky
    with pytest.raises(EventlogError) as again:
        dec.feed(b"more")
    assert again.value.offset == 0 and again.value.status == "ELOG_E_NOT_EVENTLOG"
    end = dec.finish()
    assert end.kind == EndKind.ERROR and end.status == "ELOG_E_NOT_EVENTLOG"


def _undeclared():
    events, _, _ = decode_file(HELLO)
    victim = events[20]
    return events, victim, patched(read(HELLO), victim.offset, struct.pack(">H", 0x7ffe))


def test_undeclared_event_id_feed():
    events, victim, data = _undeclared()
    dec = libeventlog.Decoder()
    with pytest.raises(EventlogError) as info:
        dec.feed(data)
    e = info.value
    assert e.status == "ELOG_E_UNDECLARED"
    assert e.offset == victim.offset
    assert "32766" in e.reason
    assert e.events == events[:20]


def test_undeclared_event_id_iterator():
    events, victim, data = _undeclared()
    got = []
    with pytest.raises(EventlogError) as info:
        with libeventlog.open(io.BytesIO(data)) as log:
            for ev in log:
                got.append(ev)
    assert got == events[:20]
    assert info.value.offset == victim.offset
    assert log.end is not None and log.end.kind == EndKind.ERROR
    assert log.end.offset == victim.offset


def test_undeclared_event_id_columns():
    _, victim, data = _undeclared()
    with pytest.raises(EventlogError) as info:
        libeventlog.read_columns(io.BytesIO(data))
    assert info.value.offset == victim.offset
    assert info.value.status == "ELOG_E_UNDECLARED"


def test_event_whose_fields_overrun_its_length():
    events, _, _ = decode_file(HELLO)
    rts = next(ev for ev in events if ev.type == libeventlog.EventType.RTS_IDENTIFIER)
    data = bytearray(read(HELLO))
    # RTS_IDENTIFIER: capset u32 + text; a length of 2 cannot hold the capset
    data[rts.offset + 10:rts.offset + 12] = struct.pack(">H", 2)
    with pytest.raises(EventlogError) as info:
        libeventlog.decode(bytes(data))
    e = info.value
    assert e.status == "ELOG_E_BAD_EVENT"
    assert e.offset == rts.offset
    assert "capset" in e.reason


def test_bad_block_is_an_error_unless_lenient():
    events, _, _ = decode_file(HELLO)
    marker = events[0]
    assert marker.type == libeventlog.EventType.BLOCK_MARKER
    data = patched(read(HELLO), marker.offset + 10, struct.pack(">I", 10))
    with pytest.raises(EventlogError) as info:
        libeventlog.decode(data)
    assert info.value.status == "ELOG_E_BAD_BLOCK"
    assert info.value.offset == marker.offset
    lenient = libeventlog.decode(data, lenient_blocks=True)
    assert len(lenient) == len(events)


def _heap_log_with_garbage_string_length():
    """A complete GHC 9.0.2 heap-profile log whose last heap-profile sample
    string says it is 42,752 bytes long, past its block and the file:
    (data, that event, its block marker)."""
    path = corpus("ghc-9.0.2/heap-hT.eventlog")
    events, end, _ = decode_file(path)
    assert end.kind == EndKind.CLEAN
    victim = [ev for ev in events if ev.type == libeventlog.EventType.HEAP_PROF_SAMPLE_STRING][-1]
    block = [ev for ev in events if ev.type == libeventlog.EventType.BLOCK_MARKER
             and ev.offset < victim.offset][-1]
    return patched(read(path), victim.offset + 10, struct.pack(">H", 42752)), victim, block


def test_event_past_its_block_is_an_error_unless_lenient():
    data, victim, block = _heap_log_with_garbage_string_length()
    with pytest.raises(EventlogError) as info:
        with libeventlog.open(io.BytesIO(data)) as log:
            for _ in log:
                pass
    e = info.value
    assert e.status == "ELOG_E_BAD_BLOCK"
    assert e.offset == victim.offset
    assert "block at offset %d" % block.offset in e.reason
    # ghc-events' reading: the event runs on, and the log is cut inside it
    with libeventlog.open(io.BytesIO(data), lenient_blocks=True) as log:
        log.read_all()
    assert log.end.kind == EndKind.TRUNCATED_IN_EVENT
    assert log.end.offset == victim.offset
    # fed up to the length: the error is known without the missing bytes
    dec = libeventlog.Decoder()
    with pytest.raises(EventlogError) as info:
        dec.feed(data[:victim.offset + 12])
    assert info.value.offset == victim.offset


def test_usage_errors():
    dec = libeventlog.Decoder()
    dec.feed(read(HELLO))
    dec.finish()
    with pytest.raises(ValueError, match="after finish"):
        dec.feed(b"x")
    assert dec.finish() == dec.end      # finish() again returns the same end
    dec.close()
    with pytest.raises(ValueError, match="closed"):
        dec.feed(b"x")
    dec.close()                          # idempotent
    with pytest.raises(TypeError):
        libeventlog.Decoder().feed("a str is not bytes")
    with pytest.raises(ValueError):
        libeventlog.Decoder(batch_events=0)


def test_exception_in_the_header_callback_propagates(monkeypatch):
    from libeventlog import _builders

    def boom(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(_builders, "builder", boom)
    dec = libeventlog.Decoder()
    with pytest.raises(RuntimeError, match="boom"):
        dec.feed(read(HELLO))
    monkeypatch.undo()
    with pytest.raises(EventlogError) as info:   # the decoder stays stopped
        dec.feed(b"")
    assert info.value.status == "ELOG_E_CALLBACK"


def test_garbage_after_the_header():
    data = read(HELLO)
    h = decode_file(HELLO)[2]
    bad = data[:h.data_offset] + b"\xff\x00" * 8      # event id 0xff00
    with pytest.raises(EventlogError) as info:
        libeventlog.decode(bad)
    assert info.value.offset == h.data_offset
    assert info.value.status == "ELOG_E_UNDECLARED"
    assert "65280" in info.value.reason


def test_end_prints_readably():
    """print(log.end) gives what `eventlog info` prints as its End line."""
    with libeventlog.open(HELLO) as log:
        log.read_all()
    assert str(log.end) == "clean at offset %d" % log.end.offset
    assert repr(log.end).startswith("End(")
    data, victim, _ = _heap_log_with_garbage_string_length()
    with libeventlog.open(io.BytesIO(data), lenient_blocks=True) as log:
        log.read_all()
    assert str(log.end) == ("truncated-in-event at offset %d (event id 164, %d bytes missing)"
                            % (victim.offset, log.end.bytes_missing))
    with pytest.raises(EventlogError):
        with libeventlog.open(io.BytesIO(data)) as log:
            log.read_all()
    assert str(log.end) == "error at offset %d (ELOG_E_BAD_BLOCK)" % victim.offset

"""Any chunking of a stream gives the same events and the same end."""
from __future__ import annotations

import random

import pytest

import libeventlog
from conftest import corpus, read

FILES = ["conformance/nonmoving-gc.eventlog", "conformance/sleep.hd.eventlog",
         "conformance/ghc-9.2-events.eventlog", "conformance/testlog-part.eventlog",
         "ghc-9.0.2/messages-invalid-utf8.eventlog", "ghc-9.0.2/prof-hc.eventlog",
         "conformance/ticky-json.eventlog"]


def whole(data, **kw):
    dec = libeventlog.Decoder(**kw)
    events = dec.feed(data)
    return events, dec.finish()


def chunked(data, sizes, **kw):
    dec = libeventlog.Decoder(**kw)
    events = []
    pos = 0
    i = 0
    while pos < len(data):
        n = sizes[i % len(sizes)]
        events += dec.feed(data[pos:pos + n])
        pos += n
        i += 1
    return events, dec.finish()


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("sizes", [[2], [3], [7], [13], [64], [4096], [1, 100, 5, 65536]],
                         ids=lambda s: "chunks" + "-".join(map(str, s)))
def test_chunked_equals_whole(name, sizes):
    data = read(corpus(name))
    assert chunked(data, sizes) == whole(data)


@pytest.mark.parametrize("name", FILES)
def test_random_chunks_and_buffer_types(name):
    data = read(corpus(name))
    rng = random.Random(name)
    expected = whole(data)
    for _ in range(5):
        sizes = [rng.randint(1, 3000) for _ in range(50)]
        assert chunked(data, sizes) == expected
    # bytearray and memoryview chunks, too
    dec = libeventlog.Decoder()
    mv = memoryview(bytearray(data))
    events = dec.feed(mv[:1000]) + dec.feed(bytearray(data[1000:5000])) + dec.feed(mv[5000:])
    assert (events, dec.finish()) == expected


def test_one_byte_at_a_time():
    data = read(corpus("conformance/nonmoving-gc.eventlog"))
    assert chunked(data, [1]) == whole(data)


@pytest.mark.parametrize("batch", [1, 2, 3, 100, 100000])
def test_batch_size_does_not_matter(batch):
    data = read(corpus("conformance/sleep.hd.eventlog"))
    assert whole(data, batch_events=batch) == whole(data)
    assert chunked(data, [333], batch_events=batch) == whole(data)


def test_feed_returns_the_events_completed_by_each_chunk():
    data = read(corpus("conformance/hello-ghc-8.2.2.eventlog"))
    events, _ = whole(data)
    dec = libeventlog.Decoder()
    cut = events[10].offset + 3           # inside the 11th event
    first = dec.feed(data[:cut])
    assert first == events[:10]
    assert dec.header is not None and len(dec.header) == 56
    assert dec.offset == cut
    second = dec.feed(data[cut:])
    assert first + second == events
    assert dec.events_decoded == len(events)
    assert dec.end_seen


def test_header_is_available_before_any_event():
    data = read(corpus("conformance/hello-ghc-8.2.2.eventlog"))
    dec = libeventlog.Decoder()
    assert dec.header is None
    assert dec.feed(data[:2075]) == []    # exactly the header
    h = dec.header
    assert h is not None and h.data_offset == 2075
    assert h[0].description == "Create thread" and h[0].size == 4
    assert h[16].size is None and h[16].variable
    assert h[18].layout == "BLOCK_MARKER"
    assert h[18].event_class is libeventlog.events.BlockMarker
    assert 0 in h and 99 not in h and h.get(99) is None
    assert [t.header_index for t in h] == list(range(len(h)))
    assert h.show().startswith("Event Types:\n0: Create thread (size 4)\n")
    assert h.show().endswith("\nEvents:\n")


def test_reset_decodes_a_new_stream():
    a = read(corpus("conformance/nonmoving-gc.eventlog"))
    b = read(corpus("conformance/trace-binary-event.eventlog"))
    dec = libeventlog.Decoder()
    first = dec.feed(a)
    assert dec.finish().clean
    dec.reset()
    assert dec.header is None
    second = dec.feed(b)
    assert (second, dec.finish()) == whole(b)
    assert first == whole(a)[0]

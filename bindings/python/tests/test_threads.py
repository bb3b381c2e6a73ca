"""Decoders in several threads: independent decoders give the same results as
in one thread; a decoder shared by threads is serialised by its lock."""
from __future__ import annotations

import threading

import libeventlog
from conftest import CORPUS_FILES, decode_file, read


def test_independent_decoders_in_threads():
    files = [p for p in CORPUS_FILES if not p.endswith("stop.hT.eventlog")][:12]
    expected = {p: decode_file(p)[:2] for p in files}
    results = {}
    errors = []

    def work(path):
        try:
            for _ in range(3):
                dec = libeventlog.Decoder()
                data = read(path)
                events = []
                for i in range(0, len(data), 1000):
                    events += dec.feed(data[i:i + 1000])
                results[path] = (events, dec.finish())
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(p,)) for p in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == expected


def test_shared_decoder_is_serialised():
    path = CORPUS_FILES[0]
    data = read(path)
    expected = decode_file(path)[0]
    dec = libeventlog.Decoder(batch_events=7)
    stop = threading.Event()
    seen = []

    def poke():
        while not stop.is_set():
            seen.append((dec.offset, dec.header is not None, dec.events_decoded))

    watcher = threading.Thread(target=poke)
    watcher.start()
    try:
        events = []
        for i in range(0, len(data), 97):
            events += dec.feed(data[i:i + 97])
        end = dec.finish()
    finally:
        stop.set()
        watcher.join()
    assert events == expected and end.clean
    offsets = [s[0] for s in seen]
    assert offsets == sorted(offsets)

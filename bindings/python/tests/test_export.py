"""libeventlog.export(): the NDJSON export's fields equal the typed events the
binding decodes (its own path: C records unpacked in Python), in the same
(time) order, for every corpus log; the other formats parse; errors."""
from __future__ import annotations

import csv
import io
import json

import pytest

import libeventlog
from libeventlog import UnknownEvent
from libeventlog._export import HAVE_EXPORT

from conftest import CORPUS_FILES, corpus, file_id

pytestmark = pytest.mark.skipif(not HAVE_EXPORT, reason="built without the exporters")

OPTS = dict(continue_after_end=True, lenient_blocks=True)


def lenient(b: bytes) -> str:
    """Bytes as the exporter writes text: UTF-8, each byte that is not part of
    a well-formed sequence as the code point of the byte."""
    s = b.decode("utf-8", "surrogateescape")
    return "".join(chr(ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF else c for c in s)


def expected(ev) -> dict:
    cap = ev.cap
    if isinstance(ev, UnknownEvent):
        return {"t": ev.timestamp, "cap": cap, "type": None, "id": ev.type_id,
                "description": ev.description if isinstance(ev.description, str)
                else lenient(ev.description), "payload": ev.payload.hex()}
    o = {"t": ev.timestamp, "cap": cap, "type": ev.type.name, "id": int(ev.type_id)}
    kinds = {f.name: f.kind.name for lay in libeventlog.LAYOUTS if lay.id == ev.type_id
             for f in lay.fields}
    for name in ev._fields:
        v = getattr(ev, name)
        key = name  # the binding's names: "cap_" for a field named cap, as the exporter's
        if isinstance(v, bytes):
            v = v.hex() if kinds.get(name.rstrip("_")) == "BYTES" else lenient(v)
        elif isinstance(v, (list, tuple)):
            v = [lenient(x.encode("utf-8", "surrogateescape")) if isinstance(x, str) else x
                 for x in v]
        o[key] = v
    return o


@pytest.mark.parametrize("path", CORPUS_FILES, ids=file_id)
def test_ndjson_equals_typed_events(path, tmp_path):
    out = tmp_path / "x.ndjson"
    end = libeventlog.export(path, str(out), "ndjson", **OPTS)
    with open(out, "rb") as f:
        objs = [json.loads(line) for line in f.read().decode("utf-8").splitlines()]
    with libeventlog.open(path, sorted=True, **OPTS) as log:
        events = [ev for ev in log if ev.type_id != 18]
        assert log.end.kind == end.kind
    assert len(objs) == len(events)
    for o, ev in zip(objs, events):
        want = expected(ev)
        # the class has the fields of all its size variants: those of another
        # variant are None in Python and absent from the event's JSON object
        for k in [k for k in want if k not in o]:
            assert want.pop(k) is None, (k, o, ev)
        assert o == want, (o, ev)


def test_formats(tmp_path):
    hp = corpus("ghc-9.0.2/heap-hT.eventlog")
    b = io.BytesIO()
    libeventlog.export(hp, b, "chrome")
    doc = json.loads(b.getvalue())
    assert any(e.get("name") == "heap profile" for e in doc["traceEvents"])
    b = io.BytesIO()
    libeventlog.export(hp, b, "csv", table="gc-pauses")
    rows = list(csv.reader(io.StringIO(b.getvalue().decode())))
    assert rows[0] == ["start", "end", "generation", "capability"] and len(rows) > 10
    out = tmp_path / "r.html"
    libeventlog.export(hp, str(out), "html", title="T<&>")
    html = out.read_text("utf-8")
    assert "<title>T&lt;&amp;&gt;</title>" in html and 'id="data"' in html
    with open(hp, "rb") as f:  # a file object as the source
        b = io.BytesIO()
        libeventlog.export(f, b, "ndjson")
    assert b.getvalue().count(b"\n") > 1000


def test_truncated_and_errors(tmp_path):
    killed = corpus("ghc-9.0.2/killed-sigkill.eventlog")
    out = tmp_path / "k.json"
    end = libeventlog.export(killed, str(out), "chrome")
    assert end.truncated
    json.loads(out.read_bytes())
    with pytest.raises(libeventlog.TruncatedEventlog):
        libeventlog.export(killed, str(out), "chrome", strict=True)
    with pytest.raises(ValueError):
        libeventlog.export(killed, str(out), "xml")
    with pytest.raises(ValueError):
        libeventlog.export(killed, str(out), "csv")
    with pytest.raises(ValueError):
        libeventlog.export(killed, str(out), "ndjson", table="gc-pauses")
    bad = tmp_path / "bad.eventlog"
    bad.write_bytes(b"not an eventlog at all")
    with pytest.raises(libeventlog.EventlogError):
        libeventlog.export(str(bad), str(out), "ndjson")

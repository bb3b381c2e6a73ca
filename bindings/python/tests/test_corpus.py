"""Every corpus eventlog decodes through the binding exactly as through C:
event counts, counts per type and end class as in corpus/MANIFEST.tsv (and as
`eventlog info --json` says when the tool is built), the show lines of every
event equal to the ghc-events references, the payloads equal to the file's
bytes, and every integer field equal to what the C decoder put in `ev->as`
(through read_columns)."""
from __future__ import annotations

import collections
import json
import os
import re
import subprocess

import pytest

import libeventlog
from conftest import (EVENTLOG_EXE, REPO, decode_file, manifest_entry, read, reference)


def test_corpus_is_there(corpus_file):
    assert os.path.getsize(corpus_file) > 0


def test_counts_and_end_match_manifest(corpus_file):
    m = manifest_entry(corpus_file)
    if m is None:
        pytest.skip("not in corpus/MANIFEST.tsv")
    events, end, _ = decode_file(corpus_file)
    assert len(events) == m.events
    assert end.events == m.events
    assert end.end_class == m.end
    counts = collections.Counter(ev.type_id for ev in events)
    assert dict(counts) == m.counts


def _info_json(path):
    if not os.access(EVENTLOG_EXE, os.X_OK):
        pytest.skip("build/tools/eventlog is not built")
    r = subprocess.run([EVENTLOG_EXE, "info", "--json", path], capture_output=True, check=False)
    try:
        return json.loads(r.stdout)
    except ValueError:
        pytest.skip(f"eventlog info --json gave no JSON (exit {r.returncode})")


def test_counts_and_end_match_eventlog_info(corpus_file):
    info = _info_json(corpus_file)
    # the CLI decodes like ghc-events: continue after the end marker, lenient blocks
    events, end, header = decode_file(corpus_file, continue_after_end=True, lenient_blocks=True)
    if "events" not in info or "end" not in info:
        pytest.skip("unexpected eventlog info --json format")
    assert len(events) == info["events"]
    assert end.end_class == info["end"]["kind"]
    if "offset" in info["end"]:
        assert end.offset == info["end"]["offset"]
    if "bytes_missing" in info["end"]:
        assert end.bytes_missing == info["end"]["bytes_missing"]
    if "event_counts" in info:
        want = {c["id"]: c["count"] for c in info["event_counts"]}
        assert dict(collections.Counter(ev.type_id for ev in events)) == want
    if "event_types_declared" in info:
        assert len(header) == info["event_types_declared"]


def test_show_lines_equal_reference(corpus_file):
    """The events' show lines, sorted, are the reference's lines sorted (the
    reference is time-sorted; the binding yields file order). Events without a
    stored payload are shown from their Python fields, so this also checks
    the fields of those."""
    ref = reference(corpus_file)
    if ref is None:
        pytest.skip("no reference output")
    events, _, header = decode_file(corpus_file, continue_after_end=True, lenient_blocks=True)
    head = header.show().encode("utf-8", "surrogateescape")
    assert ref.startswith(head), "the header show text differs"
    body = ref[len(head):]
    if body.endswith(b"\n\n"):  # ghc-events ends with an empty line
        body = body[:-1]
    got = b"".join((ev.show() + "\n").encode("utf-8", "surrogateescape") for ev in events)
    assert len(got) == len(body)
    assert sorted(got.splitlines()) == sorted(body.splitlines())


def test_str_is_show(corpus_file):
    events, _, _ = decode_file(corpus_file)
    for ev in events[:50]:
        assert str(ev) == ev.show()
        line = ev.show()
        text = ev.text()
        assert line.startswith(f"{ev.timestamp}: ")
        if ev.cap is not None:
            assert line.startswith(f"{ev.timestamp}: cap {ev.cap}: ")
        assert line.endswith(text) or line.rstrip("\n").endswith(text.rstrip("\n"))


def test_payloads_are_the_file_bytes(corpus_file):
    events, _, header = decode_file(corpus_file)
    data = read(corpus_file)
    for ev in events:
        declared = header[ev.type_id]
        head = 12 if declared.size is None else 10
        start = ev.offset + head
        if declared.size is None:
            length = int.from_bytes(data[ev.offset + 10:ev.offset + 12], "big")
        else:
            length = declared.size
        assert data[ev.offset:ev.offset + 2] == ev.type_id.to_bytes(2, "big")
        assert int.from_bytes(data[ev.offset + 2:ev.offset + 10], "big") == ev.timestamp
        assert ev.payload == data[start:start + length], ev


def _int_fields(events):
    names = {}
    for ev in events:
        cls = type(ev)
        if cls is libeventlog.UnknownEvent or cls in names:
            continue
        names[cls] = [f.attr for lay in cls.layouts for f in lay.fields
                      if f.kind in (libeventlog.FieldKind.U8, libeventlog.FieldKind.U16,
                                    libeventlog.FieldKind.U32, libeventlog.FieldKind.U64)]
    return sorted({n for ns in names.values() for n in ns})


def test_integer_fields_equal_the_c_decoder(corpus_file):
    """read_columns() copies fields from the C decoder's typed `ev->as` struct;
    the event objects get theirs from the binding's records: they agree."""
    events, _, _ = decode_file(corpus_file)
    fields = _int_fields(events)
    fill = 2**64 - 1
    cols = libeventlog.read_columns(corpus_file, fields=fields, fill=fill, numpy=False)
    assert len(cols) == len(events)
    assert list(cols.type) == [ev.type_id for ev in events]
    assert list(cols.timestamp) == [ev.timestamp for ev in events]
    assert list(cols.offset) == [ev.offset for ev in events]
    assert list(cols.cap) == [libeventlog.NO_CAP if ev.cap is None else ev.cap for ev in events]
    for name in fields:
        col = cols[name]
        for i, ev in enumerate(events):
            v = getattr(ev, name, None) if not isinstance(ev, libeventlog.UnknownEvent) else None
            assert col[i] == (fill if v is None else v), (name, ev)


def _shown_fields():
    """{layout name: field names the catalogue's show template prints verbatim
    (or as a list / stack)} from libeventlog/catalogue.txt."""
    out = {}
    with open(os.path.join(REPO, "libeventlog", "catalogue.txt"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#") or "|" not in line:
                continue
            decl, show = line.split("|", 1)
            name = decl.split()[1]
            shown = set(re.findall(r"\{([a-z_0-9]+)(?::(?:hs_list|stack|latin1))?\}", show))
            out.setdefault(name, set()).update(shown)
    return out


SHOWN = _shown_fields()


def _plain(s):
    return isinstance(s, str) and s.isascii() and s.isprintable() and '"' not in s \
        and "\\" not in s


def test_string_fields_appear_in_the_c_show_text(corpus_file):
    """A sample check of string, list and stack fields against the C formatter's
    text (which reads the raw payload)."""
    events, _, _ = decode_file(corpus_file)
    checked = 0
    for ev in events:
        if isinstance(ev, libeventlog.UnknownEvent):
            continue
        shown = SHOWN.get(ev.type.name, set())
        values = {f.attr: getattr(ev, f.attr) for lay in type(ev).layouts for f in lay.fields
                  if f.name in shown}
        interesting = [v for v in values.values() if not isinstance(v, int) and v is not None]
        if not interesting:
            continue
        text = ev.text()
        for v in interesting:
            if _plain(v) and v:
                assert v in text, (ev, v)
                checked += 1
            elif isinstance(v, list) and all(_plain(x) for x in v):
                assert "[" + ",".join(f'"{x}"' for x in v) + "]" in text, ev
                checked += 1
            elif isinstance(v, tuple):
                assert text.endswith("cost centre stack " + ", ".join(map(str, v))), ev
                checked += 1
        if checked > 2000:
            break

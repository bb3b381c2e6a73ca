"""libeventlog.Writer and libeventlog.filter() over the C writer: copies of
corpus logs decode to the same events (and complete ones come back byte for
byte), typed events round-trip through the catalogue's layouts, and filter
selects exactly what a Python selection over the decoded input selects."""
from __future__ import annotations

import io
import os

import pytest

import libeventlog
from libeventlog import EventlogError, EventType, WriterError

from conftest import CORPUS_FILES, corpus, file_id

pytestmark = pytest.mark.skipif(not hasattr(libeventlog._native.lib, "elogpy_filter"),
                                reason="library built without the writer")


def events_of(path):
    with libeventlog.open(path) as log:
        evs = list(log)
        return log.header, evs, log.end


def key(ev):
    return (int(ev.type), ev.timestamp, ev.cap, ev.payload)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=file_id)
def test_copy_roundtrip(path, tmp_path):
    header, evs, end = events_of(path)
    if end.end_class in ("error", "truncated-in-header", "empty"):
        pytest.skip("not a usable log")
    out = tmp_path / "copy.eventlog"
    with libeventlog.Writer(out, verbatim=True) as w:
        w.header(header)
        for ev in evs:
            w.copy(ev)
    if end.clean:
        with open(path, "rb") as f:
            data = f.read()
        assert out.read_bytes() == data[:end.offset + 2]
    _, back, bend = events_of(out)
    assert bend.clean
    assert [key(e) for e in back if e.type != EventType.BLOCK_MARKER] == \
        [key(e) for e in evs if e.type != EventType.BLOCK_MARKER]


def test_blocks_keep_events_per_cap(tmp_path):
    header, evs, _ = events_of(corpus("ghc-9.0.2/threaded-N2.eventlog"))
    out = tmp_path / "blocks.eventlog"
    with open(out, "wb") as f:
        with libeventlog.Writer(f) as w:
            w.header(header)
            for ev in evs:
                w.copy(ev)                    # markers dropped, blocks remade
    _, back, bend = events_of(out)
    assert bend.clean
    per_cap = lambda es: sorted(((e.cap is None, e.cap or 0, i, key(e)[:2] + key(e)[3:])
                                 for i, e in enumerate(x for x in es if x.type != EventType.BLOCK_MARKER)),
                                key=lambda t: t[:3])
    want = [(c0, c1, k) for (c0, c1, _, k) in per_cap(evs)]
    got = [(c0, c1, k) for (c0, c1, _, k) in per_cap(back)]
    assert got == want


def test_typed_events(tmp_path):
    out = tmp_path / "typed.eventlog"
    with libeventlog.Writer(out) as w:
        w.declare_catalogue()
        w.begin()
        w.event("CREATE_THREAD", 10, cap=0, thread=7)
        w.event(EventType.STOP_THREAD, 20, cap=1, thread=7, status=5, info=3)
        w.event("USER_MSG", 30, cap=0, message="héllo")
        w.event("PROGRAM_ARGS", 5, capset=0, args=["./prog", "+RTS", "-l"])
        w.event("TICKY_COUNTER_DEF", 40, ctr_id=9, arity=1, arg_kinds="i", name="f", info_tbl=0x10)
        w.event("HEAP_PROF_SAMPLE_COST_CENTRE", 50, profile_id=0, residency=64, stack=(3, 2, 1))
        with pytest.raises(TypeError):
            w.event("CREATE_THREAD", 60, cap=0, thred=1)
        with pytest.raises(WriterError):
            w.raw(2, 60, b"\0\0\0\1", cap=0)     # STOP_THREAD is 10 bytes
    _, back, end = events_of(out)
    assert end.clean
    evs = {ev.type: ev for ev in back if ev.type != EventType.BLOCK_MARKER}
    assert evs[EventType.CREATE_THREAD].thread == 7 and evs[EventType.CREATE_THREAD].cap == 0
    st = evs[EventType.STOP_THREAD]
    assert (st.thread, st.status, st.info, st.cap, st.timestamp) == (7, 5, 3, 1, 20)
    assert evs[EventType.USER_MSG].message == "héllo"
    assert list(evs[EventType.PROGRAM_ARGS].args) == ["./prog", "+RTS", "-l"]
    t = evs[EventType.TICKY_COUNTER_DEF]
    assert (t.ctr_id, t.arity, t.name, t.info_tbl, t.json_desc) == (9, 1, "f", 0x10, None)
    assert tuple(evs[EventType.HEAP_PROF_SAMPLE_COST_CENTRE].stack) == (3, 2, 1)
    assert evs[EventType.HEAP_PROF_SAMPLE_COST_CENTRE].cap is None


def test_exception_leaves_log_incomplete(tmp_path):
    out = tmp_path / "x.eventlog"
    with pytest.raises(RuntimeError):
        with libeventlog.Writer(out) as w:
            w.declare("CREATE_THREAD", 4, "Create thread")
            w.begin()
            raise RuntimeError
    assert not out.read_bytes().endswith(b"\xff\xff")


SELECTIONS = [
    dict(types=["RUN_THREAD", 2]),
    dict(exclude_types=["RUN_THREAD", "STOP_THREAD"]),
    dict(caps=[1]),
    dict(caps=[None]),
    dict(threads=[1, 3]),
    dict(start=1_000_000, end=4_000_000),
    dict(types=["STOP_THREAD"], caps=[0], start=2_000_000),
]


def selected(ev, types=None, exclude_types=None, caps=None, threads=None, start=None, end=None):
    tid = int(ev.type)
    if start is not None and ev.timestamp < start or end is not None and ev.timestamp > end:
        return False
    ids = lambda ts: {int(EventType[t]) if isinstance(t, str) else t for t in ts}
    if types is not None and tid not in ids(types):
        return False
    if exclude_types is not None and tid in ids(exclude_types):
        return False
    if caps is not None and ev.cap not in caps:
        return False
    if threads is not None and getattr(ev, "thread", None) not in threads:
        return False
    return True


@pytest.mark.parametrize("sel", SELECTIONS, ids=lambda s: ",".join(sorted(s)))
@pytest.mark.parametrize("name", ["ghc-9.0.2/threaded-N2.eventlog", "conformance/parallelTest.eventlog"])
def test_filter(name, sel, tmp_path):
    src = corpus(name)
    _, evs, _ = events_of(src)
    out = tmp_path / "f.eventlog"
    end = libeventlog.filter(src, out, **sel)
    assert end.clean
    _, back, bend = events_of(out)
    assert bend.clean
    want = [key(e) for e in evs if e.type != EventType.BLOCK_MARKER and selected(e, **sel)]
    got = [key(e) for e in back if e.type != EventType.BLOCK_MARKER]
    assert got == want
    if "threaded-N2" in name:
        assert want  # every selection picks something from this 2-cap log


def test_filter_identity_and_errors(tmp_path):
    src = corpus("ghc-9.0.2/threaded-N2.eventlog")
    out = tmp_path / "same.eventlog"
    libeventlog.filter(src, out)
    with open(src, "rb") as f:
        assert out.read_bytes() == f.read()
    bad = tmp_path / "bad.eventlog"
    bad.write_bytes(b"not an eventlog")
    with pytest.raises(EventlogError, match="offset"):
        libeventlog.filter(bad, tmp_path / "never.eventlog")
    assert not (tmp_path / "never.eventlog").exists()
    assert sorted(os.listdir(tmp_path)) == ["bad.eventlog", "same.eventlog"]


# ----------------------------------------------------------------- merge()

MERGE_SHIFTED = {"thread": 2, "spark_thread": 2, "cap": 0, "new_cap": 0, "other_cap": 0,
                 "victim_cap": 0, "capset": 1, "heap_capset": 1}


def shifted_key(ev, shift):
    """key() of `ev` as the merge writes it: its capability and its thread,
    capability and capset fields moved by `shift` (caps, capsets, threads)."""
    cap = ev.cap if ev.cap is None else ev.cap + shift[0]
    fields = {}
    for name, which in MERGE_SHIFTED.items():
        v = getattr(ev, name, None) if hasattr(ev, "fields") else None
        if isinstance(v, int) and not (which == 0 and v == 0xffff):
            fields[name] = v + shift[which]
    return (int(ev.type), ev.timestamp, cap, fields)


def out_key(ev):
    fields = {}
    for name in MERGE_SHIFTED:
        v = getattr(ev, name, None) if hasattr(ev, "fields") else None
        if isinstance(v, int) and not (MERGE_SHIFTED[name] == 0 and v == 0xffff):
            fields[name] = v
    return (int(ev.type), ev.timestamp, ev.cap, fields)


@pytest.mark.skipif(not hasattr(libeventlog._native.lib, "elogpy_merge"),
                    reason="library built without the merge")
def test_merge(tmp_path):
    """Two GHC 9.0.2 runs (2 capabilities and 1): every event of both, in
    time order, the second's ids shifted past the first's; the same bytes as
    `eventlog merge` where the CLI is built."""
    a = corpus("ghc-9.0.2/threaded-N2.eventlog")
    b = corpus("ghc-9.0.2/nonthreaded.eventlog")
    out = tmp_path / "ab.eventlog"
    shifts = libeventlog.merge([a, b], out)
    assert shifts[0] == (0, 0, 0)
    assert shifts[1][0] >= 2 and shifts[1][2] > 0, shifts
    _, ea, _ = events_of(a)
    _, eb, _ = events_of(b)
    _, got, end = events_of(out)
    assert end.clean
    got = [e for e in got if e.type != EventType.BLOCK_MARKER]
    # blocks per capability: each capability's events in time order
    for cap in {e.cap for e in got}:
        times = [e.timestamp for e in got if e.cap == cap]
        assert times == sorted(times), cap
    want = [shifted_key(e, shifts[0]) for e in ea if e.type != EventType.BLOCK_MARKER]
    want += [shifted_key(e, shifts[1]) for e in eb if e.type != EventType.BLOCK_MARKER]
    assert sorted(map(repr, (out_key(e) for e in got))) == sorted(map(repr, want))
    from conftest import EVENTLOG_EXE
    if os.path.exists(EVENTLOG_EXE):
        import subprocess
        cli = tmp_path / "cli.eventlog"
        subprocess.run([EVENTLOG_EXE, "merge", a, b, "-o", str(cli)], check=True,
                       capture_output=True, timeout=60)
        assert cli.read_bytes() == out.read_bytes()


@pytest.mark.skipif(not hasattr(libeventlog._native.lib, "elogpy_merge"),
                    reason="library built without the merge")
def test_merge_errors(tmp_path):
    a = corpus("ghc-9.0.2/threaded-N2.eventlog")
    # a type declared differently in the second input
    data = bytearray(open(a, "rb").read())
    i = data.index(b"hetbetb\x00") + 8             # the first type: id, size, len, text
    data[i + 8] ^= 0x20                             # its description's first letter's case
    conflicting = tmp_path / "conflict.eventlog"
    conflicting.write_bytes(bytes(data))
    out = tmp_path / "out.eventlog"
    first_id = int.from_bytes(data[i:i + 2], "big")
    with pytest.raises(EventlogError, match="event type %d is declared differently" % first_id):
        libeventlog.merge([a, conflicting], out)
    bad = tmp_path / "bad.eventlog"
    bad.write_bytes(b"not an eventlog")
    with pytest.raises(EventlogError, match="offset"):
        libeventlog.merge([a, bad], out)
    copy = tmp_path / "in.eventlog"
    copy.write_bytes(open(a, "rb").read())
    with pytest.raises(ValueError, match="is the input"):
        libeventlog.merge([copy, a], copy)
    with pytest.raises(ValueError):
        libeventlog.merge([], out)
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["bad.eventlog", "conflict.eventlog", "in.eventlog"]

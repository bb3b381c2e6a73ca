"""The event classes are generated from the C catalogue, are immutable and
slotted, and give each field kind its documented Python type."""
from __future__ import annotations

import copy
import os
import pickle
import re
import typing

import pytest

import libeventlog
from libeventlog import EventType, FieldKind, UnknownEvent, events as E
from conftest import REPO, corpus, decode_file


def _catalogue_txt():
    """(id, NAME, [field names]) of every line of libeventlog/catalogue.txt."""
    rows = []
    with open(os.path.join(REPO, "libeventlog", "catalogue.txt"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            decl = line.split("|", 1)[0].split()
            fields = [re.sub(r"^\?", "", f).split(":")[0] for f in decl[3:]]
            rows.append((int(decl[0]), decl[1], fields))
    return rows


def test_event_types_come_from_the_catalogue():
    rows = _catalogue_txt()
    assert {(name, tid) for tid, name, _ in rows} == {(t.name, int(t)) for t in EventType}
    assert len(libeventlog.LAYOUTS) == len(rows)
    for lay, (tid, name, fields) in zip(libeventlog.LAYOUTS, rows):
        assert (lay.id, lay.name) == (tid, name)
        assert [f.name for f in lay.fields] == fields


def test_one_class_per_event_type():
    for t in EventType:
        cls = libeventlog.event_class(t)
        name = "".join(p.capitalize() for p in t.name.lower().split("_"))
        assert cls.__name__ == name
        assert getattr(E, name) is cls
        assert cls.type is t and cls.type_id == int(t)
        assert issubclass(cls, libeventlog.Event)
        assert cls.__module__ == "libeventlog.events"
        fields = [f.attr for lay in cls.layouts for f in lay.fields]
        assert set(cls._fields) == set(fields)
        assert cls.__match_args__ == cls._fields
        assert libeventlog.event_class(t.name) is cls
        assert libeventlog.event_class(name) is cls
        assert libeventlog.event_class(int(t)) is cls
    assert len(E.EVENT_CLASSES) == len(EventType)


def test_field_names_that_clash_get_an_underscore():
    assert E.BlockMarker._fields == ("block_size", "end_time", "cap_")
    assert E.CapCreate._fields == ("cap_",)
    assert E.StopThread._fields == ("thread", "status", "info")


def test_annotations_follow_the_field_kinds():
    hints = typing.get_type_hints(E.HeapProfSampleCostCentre)
    assert hints["residency"] is int
    assert hints["stack"] == typing.Tuple[int, ...]
    assert typing.get_type_hints(E.ProgramArgs)["args"] == typing.List[str]
    assert typing.get_type_hints(E.UserMsg)["message"] == typing.Union[str, bytes]
    assert typing.get_type_hints(E.Version)["version"] is str
    assert typing.get_type_hints(E.UserBinaryMsg)["message"] is bytes
    assert typing.get_type_hints(E.TickyCounterDef)["info_tbl"] == typing.Optional[int]
    # present in one size variant only
    assert typing.get_type_hints(E.GcStatsGhc)["par_balanced_copied"] == typing.Optional[int]
    kinds = {f.kind for lay in libeventlog.LAYOUTS for f in lay.fields}
    assert kinds == set(FieldKind)


@pytest.fixture(scope="module")
def sleep_events():
    return decode_file(corpus("conformance/sleep.hd.eventlog"))[0]


def test_events_are_immutable_and_slotted(sleep_events):
    ev = next(e for e in sleep_events if isinstance(e, E.StopThread))
    with pytest.raises(AttributeError):
        ev.thread = 3
    with pytest.raises(AttributeError):
        ev.timestamp = 3
    with pytest.raises(AttributeError):
        ev.extra = 1
    assert not hasattr(ev, "__dict__")
    assert E.StopThread.__slots__ == ()
    assert hash(ev) == hash(copy.copy(ev))


def test_value_semantics(sleep_events):
    ev = next(e for e in sleep_events if isinstance(e, E.StopThread))
    again = pickle.loads(pickle.dumps(ev))
    assert again == ev and type(again) is E.StopThread
    assert again.payload == ev.payload
    other = E.RunThread._make((ev.timestamp, ev.offset, 0, ev.thread))
    assert other != E.CreateThread._make(tuple(other))    # same values, other type
    assert other != tuple(other)
    d = ev._asdict()
    assert list(d) == ["type", "timestamp", "cap", "offset", "thread", "status", "info",
                       "payload"]
    assert d["type"] is EventType.STOP_THREAD
    assert ev.fields() == {"thread": ev.thread, "status": ev.status, "info": ev.info}
    assert repr(ev).startswith(f"StopThread(timestamp={ev.timestamp}, cap=0, offset=")
    assert sorted([sleep_events[5], sleep_events[3]]) == [sleep_events[3], sleep_events[5]] or \
        sleep_events[3].timestamp > sleep_events[5].timestamp


def test_pattern_matching(sleep_events):
    found = 0
    for ev in sleep_events:
        match ev:
            case E.StopThread(thread=t, status=5):
                assert t > 0
                found += 1
            case E.HeapProfSampleString(label=str(label)):
                assert label
    assert found > 0


def test_common_attributes(sleep_events):
    marker = sleep_events[0]
    assert isinstance(marker, E.BlockMarker)
    assert marker.cap == marker.cap_ == 0
    outside = [e for e in sleep_events if e.cap is None]
    assert outside and all(e[2] == libeventlog.NO_CAP for e in outside)
    for ev in sleep_events:
        assert isinstance(ev.timestamp, int) and isinstance(ev.offset, int)
        assert isinstance(ev.payload, bytes)
        assert ev.type == ev.type_id


def test_text_kinds(sleep_events):
    label = next(e for e in sleep_events if isinstance(e, E.ThreadLabel))
    assert label.label == "IOManager on cap 0"
    ident = next(e for e in sleep_events if isinstance(e, E.RtsIdentifier))
    assert ident.ident == "GHC-8.2.0.20170507 rts_thr_p"
    args = next(e for e in sleep_events if isinstance(e, E.ProgramArgs))
    assert args.args == ["./sleep", "+RTS", "-l", "-hd"]
    cc = next(e for e in sleep_events if isinstance(e, E.HeapProfCostCentre))
    assert (cc.label, cc.module, cc.srcloc) == ("IDLE", "IDLE", "<built-in>")


def test_invalid_utf8_text_is_bytes():
    events = decode_file(corpus("ghc-9.0.2/messages-invalid-utf8.eventlog"))[0]
    msgs = [e for e in events if isinstance(e, E.UserMsg)]
    raw = [m.message for m in msgs if isinstance(m.message, bytes)]
    assert raw, "the file has user messages that are not UTF-8"
    for b in raw:
        with pytest.raises(UnicodeDecodeError):
            b.decode("utf-8")
    assert all(isinstance(m.message, str) for m in msgs if m.message not in raw)
    binary = [e for e in events if isinstance(e, E.UserBinaryMsg)]
    assert binary and all(isinstance(e.message, bytes) for e in binary)
    assert binary[1].message == b"\xff\xfe\xc0\x80\x80\xbf\xed\xa0\x80"


def test_latin1_kind():
    events = decode_file(corpus("conformance/parallelTest.eventlog"))[0]
    version = next(e for e in events if isinstance(e, E.Version))
    assert version.version == "7.10.20150612"
    inv = next(e for e in events if isinstance(e, E.ProgramInvocation))
    assert inv.commandline.startswith("/opt/Eden/test/")


def test_stack_kind():
    events = decode_file(corpus("ghc-9.0.2/prof-hc.eventlog"))[0]
    samples = [e for e in events if isinstance(e, E.HeapProfSampleCostCentre)]
    assert samples
    assert any(s.stack == () for s in samples)
    deep = max(samples, key=lambda s: len(s.stack))
    assert isinstance(deep.stack, tuple) and len(deep.stack) > 2
    assert deep.text().endswith("cost centre stack " + ", ".join(map(str, deep.stack)))


def test_optional_fields():
    plain = decode_file(corpus("conformance/ticky-ticky.eventlog"))[0]
    json_ = decode_file(corpus("conformance/ticky-json.eventlog"))[0]
    a = next(e for e in plain if isinstance(e, E.TickyCounterDef))
    b = next(e for e in json_ if isinstance(e, E.TickyCounterDef))
    assert a.info_tbl is None and a.json_desc is None
    assert isinstance(b.info_tbl, int) and b.json_desc.startswith('{"type":')


def test_size_variants():
    old = decode_file(corpus("conformance/hello-ghc-8.2.2.eventlog"))[0]      # GC_STATS 50
    new = decode_file(corpus("conformance/ticky-json.eventlog"))[0]           # GC_STATS 58
    g50 = next(e for e in old if isinstance(e, E.GcStatsGhc))
    g58 = next(e for e in new if isinstance(e, E.GcStatsGhc))
    assert g50.par_balanced_copied is None and len(g50.payload) == 50
    assert isinstance(g58.par_balanced_copied, int) and len(g58.payload) == 58
    c13 = next(e for e in decode_file(corpus("conformance/nonmoving-gc-census.eventlog"))[0]
               if isinstance(e, E.NonmovingHeapCensus))
    c14 = next(e for e in decode_file(corpus("conformance/nonmoving-gc-census-T23340.eventlog"))[0]
               if isinstance(e, E.NonmovingHeapCensus))
    assert c13.blk_size == 2 ** c13.log2_blk_size          # derived in the 13-byte layout
    assert c14.log2_blk_size is None and c14.blk_size == 8


def test_unknown_events():
    events = decode_file(corpus("conformance/testlog.eventlog"))[0]
    unknown = [e for e in events if isinstance(e, UnknownEvent)]
    ids = {e.type_id for e in unknown}
    assert ids == {2, 5, 6, 7}
    spark = next(e for e in unknown if e.type_id == 5)
    assert spark.type == 5 and not isinstance(spark.type, EventType)
    assert spark.description == "Run spark"
    assert spark.fields() == {}
    stop = next(e for e in unknown if e.type_id == 2)      # declared with an old size
    assert stop.type is EventType.STOP_THREAD
    assert stop.size == 6 and len(stop.payload) == 6
    assert stop.text() == "Stop thread"
    assert "UnknownEvent(type_id=2" in repr(stop)
    assert pickle.loads(pickle.dumps(stop)) == stop


def test_type_stubs_are_generated_from_the_catalogue():
    from libeventlog import _stubgen
    text = _stubgen.render()
    compile(text, "events.pyi", "exec")
    for name, cls in E.EVENT_CLASSES.items():
        assert f"\nclass {name}(Event):\n" in text
        for attr in cls._fields:
            assert f"    def {attr}(self) -> " in text
    installed = os.path.join(os.path.dirname(E.__file__), "events.pyi")
    if os.path.exists(installed):
        with open(installed, encoding="utf-8") as f:
            assert f.read() == text, "events.pyi is stale: run build_inplace.sh"

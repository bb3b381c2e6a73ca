"""The push decoder: feed bytes in any chunks, get events; finish, get the End."""
from __future__ import annotations

import enum
import threading
import weakref
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from . import _builders
from ._catalogue import LAYOUTS, VARIABLE_SIZE, Event, LayoutInfo, call, keep_flags
from ._errors import EventlogError, TruncatedEventlog
from ._native import ffi, lib

__all__ = ["Decoder", "Header", "EventTypeInfo", "End", "EndKind"]


def _c_enum(ctype: str, prefix: str) -> List[Tuple[str, int]]:
    return sorted(((name[len(prefix):], value)
                   for name, value in ffi.typeof(ctype).relements.items()),
                  key=lambda kv: kv[1])


EndKind = enum.IntEnum(  # type: ignore[misc]
    "EndKind", _c_enum("elog_end_kind", "ELOG_END_"), module="libeventlog")
EndKind.label = property(  # type: ignore[attr-defined]
    lambda self: ffi.string(lib.elog_end_kind_name(int(self))).decode("ascii"),
    doc="The C name of the end kind, e.g. 'truncated-in-event'.")
EndKind.__str__ = lambda self: self.label  # type: ignore[assignment]
EndKind.__doc__ = ("How a stream ended (elog_end_kind); str() gives the C name, "
                   "e.g. 'truncated-in-event'.")


def status_name(status: int) -> str:
    return ffi.string(lib.elog_status_name(status)).decode("ascii")


def _text_or_bytes(b: bytes) -> Union[str, bytes]:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b


@dataclass(frozen=True)
class End:
    """How the input ended (elog_end)."""

    kind: EndKind
    status: str             # "ELOG_OK", or the sticky error for kind ERROR
    offset: int             # see elog_end in eventlog.h
    total_bytes: int
    event_id: Optional[int]  # TRUNCATED_IN_EVENT, when the id was read
    bytes_missing: int
    trailing_bytes: int
    events: int             # events decoded (block markers, and types not selected, included)

    @classmethod
    def _from_c(cls, e: Any) -> "End":
        return cls(EndKind(e.kind), status_name(e.status), e.offset, e.total_bytes,
                   e.event_id if e.id_known else None, e.bytes_missing, e.trailing_bytes,
                   e.events)

    @property
    def end_class(self) -> str:
        """The end kind's name: "clean", "truncated-in-event", ..."""
        return self.kind.label  # type: ignore[attr-defined,no-any-return]

    @property
    def clean(self) -> bool:
        return self.kind == EndKind.CLEAN  # type: ignore[attr-defined,no-any-return]

    @property
    def truncated(self) -> bool:
        return self.kind in (EndKind.TRUNCATED_BETWEEN_EVENTS,  # type: ignore[attr-defined]
                             EndKind.TRUNCATED_IN_EVENT,  # type: ignore[attr-defined]
                             EndKind.TRUNCATED_IN_HEADER,  # type: ignore[attr-defined]
                             EndKind.EMPTY)  # type: ignore[attr-defined]

    def __str__(self) -> str:
        """The readable form, as `eventlog info` prints its End line:
        "clean at offset 112645", "truncated-in-event at offset 4992 (event
        id 164, 28292 bytes missing)", "error at offset 10 (ELOG_E_BAD_BLOCK)".
        repr() keeps every field."""
        s = f"{self.end_class} at offset {self.offset}"
        if self.kind == EndKind.TRUNCATED_IN_EVENT:  # type: ignore[attr-defined]
            what = f"event id {self.event_id}, " if self.event_id is not None else ""
            s += f" ({what}{self.bytes_missing} bytes missing)"
        elif self.kind == EndKind.TRUNCATED_IN_HEADER:  # type: ignore[attr-defined]
            s += f" (at least {self.bytes_missing} bytes missing)"
        elif self.kind == EndKind.CLEAN and self.trailing_bytes:  # type: ignore[attr-defined]
            s += f" ({self.trailing_bytes} trailing bytes)"
        elif self.kind == EndKind.ERROR:  # type: ignore[attr-defined]
            s += f" ({self.status})"
        return s

    def describe(self) -> str:
        """A sentence, as the `eventlog` command prints it."""
        k = self.kind
        if k == EndKind.CLEAN:  # type: ignore[attr-defined]
            extra = f", {self.trailing_bytes} trailing bytes" if self.trailing_bytes else ""
            return f"eventlog ended cleanly at byte offset {self.offset}{extra}"
        if k == EndKind.TRUNCATED_BETWEEN_EVENTS:  # type: ignore[attr-defined]
            return (f"eventlog truncated between events at byte offset {self.offset} "
                    f"(no end-of-data marker)")
        if k == EndKind.TRUNCATED_IN_EVENT:  # type: ignore[attr-defined]
            what = f"event id {self.event_id}, " if self.event_id is not None else ""
            return (f"eventlog truncated inside an event at byte offset {self.offset} "
                    f"({what}{self.bytes_missing} bytes missing)")
        if k == EndKind.TRUNCATED_IN_HEADER:  # type: ignore[attr-defined]
            return (f"eventlog truncated inside the header at byte offset {self.offset} "
                    f"(at least {self.bytes_missing} bytes missing)")
        if k == EndKind.EMPTY:  # type: ignore[attr-defined]
            return "empty input, not an eventlog"
        return f"decoding stopped at an error at byte offset {self.offset} ({self.status})"


@dataclass(frozen=True)
class EventTypeInfo:
    """One record of the header's event-type table."""

    id: int
    size: Optional[int]             # declared payload size, None if variable
    description: Union[str, bytes]  # str when valid UTF-8
    layout: Optional[str]           # the catalogue layout it decodes with, or None
    header_index: int
    offset: int                     # byte offset of its ET_BEGIN marker
    event_class: type               # the class its events get

    @property
    def variable(self) -> bool:
        return self.size is None


class Header:
    """The header: its event-type table, in header order."""

    __slots__ = ("event_types", "data_offset", "_text", "_by_id")

    def __init__(self, event_types: Tuple[EventTypeInfo, ...], data_offset: int,
                 text: str) -> None:
        self.event_types = event_types
        self.data_offset = data_offset
        self._text = text
        # duplicate ids: the last one counts, as in ghc-events
        self._by_id: Dict[int, EventTypeInfo] = {t.id: t for t in event_types}

    def __len__(self) -> int:
        return len(self.event_types)

    def __iter__(self) -> Iterator[EventTypeInfo]:
        return iter(self.event_types)

    def __getitem__(self, type_id: int) -> EventTypeInfo:
        """The declaration of an id (the last one if declared twice)."""
        return self._by_id[int(type_id)]

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._by_id

    def get(self, type_id: int) -> Optional[EventTypeInfo]:
        return self._by_id.get(int(type_id))

    def show(self) -> str:
        """The header part of `ghc-events show`: "Event Types:" ... "Events:"."""
        return self._text

    def __repr__(self) -> str:
        return f"Header({len(self.event_types)} event types, data at byte {self.data_offset})"


def _header_text(h: Any) -> str:
    cap = 4096
    while True:
        out = ffi.new("char[]", cap)
        n = lib.elogpy_show_header(h, out, cap)
        if n <= cap:
            return ffi.unpack(out, n).decode("utf-8", "surrogateescape")
        cap = n


@ffi.def_extern(error=-1)
def elogpy_py_header(d: Any, h: Any) -> int:
    state = ffi.cast("elogpy_state *", d.data)
    dec = ffi.from_handle(state.handle)()  # the handle holds a weak reference
    if dec is None:  # pragma: no cover - the decoder is being destroyed
        return lib.ELOG_CB_ABORT  # type: ignore[no-any-return]
    try:
        dec._on_header(h)
    except BaseException as exc:  # re-raised by the feeding call
        dec._callback_error = exc
        return lib.ELOG_CB_ABORT  # type: ignore[no-any-return]
    return lib.ELOG_CB_CONTINUE  # type: ignore[no-any-return]


class Decoder:
    """An incremental eventlog decoder.

        dec = Decoder()
        for chunk in chunks:
            for ev in dec.feed(chunk):   # the events completed by this chunk
                ...
        end = dec.finish()               # End: clean / truncated-... / ...

    Any chunking of a stream gives the same events. Corrupt input raises
    EventlogError (with the byte offset; the error is sticky, as in C). Options:
    `continue_after_end` decodes bytes after the end-of-data marker and
    `lenient_blocks` accepts inconsistent block sizes, as ghc-events does.
    `batch_events` is how many events are decoded in C before they are turned
    into Python objects (small batches keep the new objects in the CPU cache:
    the default, 512, is about twice as fast as 65536 for iteration).
    `types` (as for read_columns) yields only events of those types: the C
    decoder steps over the others without decoding them.

    A decoder may be shared between threads: each call holds its lock.
    """

    def __init__(self, *, continue_after_end: bool = False, lenient_blocks: bool = False,
                 batch_events: int = 512,
                 types: Optional[Iterable[Union[int, str, type]]] = None) -> None:
        if batch_events < 1:
            raise ValueError("batch_events must be >= 1")
        self._lock = threading.Lock()
        self._callback_error: Optional[BaseException] = None
        self._header: Optional[Header] = None
        self._classes: List[type] = []
        self._unpackers: List[Any] = []
        self._finished = False
        self._end: Optional[End] = None
        self._events = 0
        self._analysis: Any = None     # an Analysis attached to this decoder (_stats.attach)
        options = 0
        if continue_after_end:
            options |= lib.ELOG_OPT_CONTINUE_AFTER_END
        if lenient_blocks:
            options |= lib.ELOG_OPT_LENIENT_BLOCKS
        self.options = options
        # the C callbacks find this object through a handle to a weak reference:
        # no reference cycle, so the C decoder is freed as soon as this object is
        self._handle = ffi.new_handle(weakref.ref(self))
        state = ffi.new("elogpy_state *")
        if lib.elogpy_init(state, lib.ELOGPY_RECORDS, options, batch_events, self._handle):
            raise MemoryError("libeventlog: cannot allocate the decoder's batch arrays")
        # `types`: the C decoder steps over every other type without decoding
        # it (settings.select); the array lives as long as this object.
        self._keep = keep_flags(types)
        state.keep = self._keep
        self._state = ffi.gc(state, lib.elogpy_free)
        self._dec = lib.elogpy_decoder(self._state)

    # -- properties -----------------------------------------------------------
    @property
    def header(self) -> Optional[Header]:
        """The header, once it has been decoded (None before)."""
        return self._header

    @property
    def offset(self) -> int:
        """Bytes consumed so far."""
        with self._lock:
            self._check_open()
            return int(lib.elog_get_offset(self._dec))

    @property
    def events_decoded(self) -> int:
        return self._events

    @property
    def end_seen(self) -> bool:
        """True once the end-of-data marker was decoded."""
        return bool(self._state is not None and self._state.data_end_seen)

    @property
    def end(self) -> Optional[End]:
        """The End returned by finish(), None before."""
        return self._end

    def analysis(self, *, max_threads: Optional[int] = None,
                 max_labels: Optional[int] = None,
                 max_open_spans: Optional[int] = None) -> Any:
        """The `eventlog stats` analyses of what this decoder decodes (an
        Analysis fed in C as feed() decodes; see EventlogReader.analysis()).
        Call it before the header is decoded; finish() records the end, and
        after reset() the next stream's header starts the figures afresh
        (each finished stream's final Stats is in the analysis's `sessions`)."""
        from ._stats import attach
        return attach(self, self._lock, "decoder", max_threads, max_labels, max_open_spans)

    # -- decoding ---------------------------------------------------------------
    def feed(self, data: Any) -> List[Event]:
        """Decodes `data` (bytes or any contiguous buffer) and returns the events it
        completed. Raises EventlogError on corrupt input; the events decoded before
        the error are in the exception's `events`."""
        out: List[Event] = []
        try:
            for batch in self._batches(data):
                if out:
                    out += batch
                else:
                    out = batch
        except EventlogError as e:
            e.events = out
            raise
        return out

    def finish(self) -> End:
        """Classifies the end of the input (see End). The decoder then refuses more
        input until reset()."""
        with self._lock:
            self._check_open()
            if not self._finished:
                end_p = ffi.new("elog_end *", lib.elog_finish(self._dec))
                self._end = End._from_c(end_p[0])
                self._finished = True
                if self._analysis is not None:
                    self._analysis._ended(end_p, self._dec)
            assert self._end is not None
            return self._end

    def reset(self) -> None:
        """Forgets the stream (header, errors, position) to decode a new one."""
        with self._lock:
            self._check_open()
            lib.elogpy_reset(self._state)
            self._header = None
            self._classes = []
            self._unpackers = []
            self._finished = False
            self._end = None
            self._events = 0
            self._callback_error = None

    def close(self) -> None:
        """Frees the C decoder now (it is also freed when garbage-collected)."""
        with self._lock:
            if self._state is not None:
                ffi.release(self._state)
                self._state = None
                self._dec = None

    def __enter__(self) -> "Decoder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- internals --------------------------------------------------------------
    def _run_reader(self, reader: Any) -> Iterator[List[Event]]:
        """Decodes what a C reader (_source.CReader) reads, yielding batches; the
        reader finishes the decoder when the input ends."""
        end_p = ffi.new("elog_end *")
        while True:
            if self._analysis is not None:
                self._analysis._let_snapshots_in()
            with self._lock:
                self._check_open()
                if self._finished:
                    raise ValueError("the decoder has finished: call reset() first")
                st = reader.run(self._dec, end_p)
                batch = self._drain() if self._state.n else None
                if st != lib.ELOG_READER_PAUSED:
                    # the reader called elog_finish() (except for usage errors)
                    if st != lib.ELOG_READER_E_USAGE:
                        self._end = End._from_c(end_p[0])
                        self._finished = True
                        if self._analysis is not None:
                            self._analysis._ended(end_p, self._dec)
                    err: Optional[BaseException] = None
                    if st == lib.ELOG_READER_E_DECODE:
                        err = self._error(lib.elog_get_error(self._dec))
                    elif st != lib.ELOG_READER_OK:
                        from ._source import reader_failure
                        err = reader_failure(st, reader.error(), end_p[0])
            if batch:
                yield batch
            if st == lib.ELOG_READER_PAUSED:
                continue
            if err is not None:
                try:
                    raise err
                finally:
                    err = None
            return

    def _check_open(self) -> None:
        if self._state is None:
            raise ValueError("the decoder is closed")

    def _batches(self, data: Any, length: Optional[int] = None) -> Iterator[List[Event]]:
        """Decodes `data` (its first `length` bytes), yielding batches of events.
        The lock is held while C decodes, never across a yield."""
        buf = ffi.from_buffer(data)
        try:
            n = len(buf) if length is None else min(length, len(buf))
            pos = 0
            while True:
                err: Optional[BaseException] = None
                if self._analysis is not None:
                    self._analysis._let_snapshots_in()
                with self._lock:
                    self._check_open()
                    if self._finished:
                        raise ValueError(
                            "feed() after finish(): call reset() to decode a new stream")
                    r = lib.elog_execute(self._dec, buf + pos, n - pos)
                    pos += r.read
                    status = r.status
                    batch = self._drain() if self._state.n else None
                    if status == lib.ELOG_PAUSED:
                        lib.elog_resume(self._dec)
                    elif status != lib.ELOG_OK:
                        err = self._error(status)
                if batch:
                    yield batch
                if err is not None:
                    try:
                        raise err
                    finally:
                        err = None  # no frame <-> traceback cycle
                if status == lib.ELOG_OK or pos >= n:
                    return
        finally:
            # Release the caller's buffer now, not when a traceback holding this
            # frame is collected (a memoryview cleared while still exported by
            # the cdata breaks the garbage collector).
            ffi.release(buf)

    def _drain(self) -> List[Event]:
        st = self._state
        n = st.n
        buf = ffi.buffer(st.arena, st.arena_len)[:]
        positions = ffi.unpack(st.rec_pos, n)
        kinds = ffi.unpack(st.rec_kind, n)
        lib.elogpy_clear(st)
        self._events += n
        # per event, all in C: unpack its record, then call its class on the tuple
        return list(map(call, map(self._classes.__getitem__, kinds),
                        map(call, map(self._unpackers.__getitem__, kinds), repeat(buf, n),
                            positions)))

    def _error(self, status: int) -> BaseException:
        if self._callback_error is not None:
            exc, self._callback_error = self._callback_error, None
            return exc
        if status == lib.ELOG_E_CALLBACK and self._state.nomem:
            return MemoryError("libeventlog: out of memory while decoding")
        reason = ffi.string(lib.elog_get_error_reason(self._dec)).decode("utf-8", "replace")
        return EventlogError(int(lib.elog_get_error_offset(self._dec)), reason,
                             status_name(status))

    def _on_header(self, h: Any) -> None:
        """Called from C when the header is complete."""
        self._header, self._classes, self._unpackers = build_header(h)


def build_header(h: Any) -> Tuple[Header, List[type], List[Any]]:
    """The Python view of a C header, and the class and unpacker of each of its
    event types (by header index)."""
    types = []
    classes: List[type] = []
    unpackers: List[Any] = []
    for i in range(h.n_types):
        t = h.types[i]
        d = t.description
        desc = _text_or_bytes(ffi.buffer(d.ptr, d.len)[:] if d.len else b"")
        layout: Optional[LayoutInfo] = None if t.layout == ffi.NULL else LAYOUTS[t.layout.index]
        cls, unpack = _builders.builder(t.id, t.size, desc, layout)
        classes.append(cls)
        unpackers.append(unpack)
        types.append(EventTypeInfo(
            id=t.id, size=None if t.size == VARIABLE_SIZE else t.size, description=desc,
            layout=layout.name if layout else None, header_index=t.header_index,
            offset=t.offset, event_class=cls))
    return Header(tuple(types), h.data_offset, _header_text(h)), classes, unpackers


def check_end(end: End, strict: bool) -> None:
    """With strict, raises TruncatedEventlog unless the log ended cleanly (an
    empty input and one cut inside the header are truncated logs too). Without,
    nothing: End says how the log ended."""
    if strict and end.truncated:
        raise TruncatedEventlog(end.end_class, end.offset, end.events, end)


def decode(data: Any, *, strict: bool = False, continue_after_end: bool = False,
           lenient_blocks: bool = False) -> List[Event]:
    """All events of an in-memory eventlog (see open() for `strict`)."""
    with Decoder(continue_after_end=continue_after_end, lenient_blocks=lenient_blocks) as dec:
        events = dec.feed(data)
        end = dec.finish()
    check_end(end, strict)
    return events

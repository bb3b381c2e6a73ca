"""libeventlog.Writer and libeventlog.filter(): writing eventlogs through the C
library's writer (include/eventlog/writer.h, filter.h), the code `eventlog
filter` runs.

    with libeventlog.Writer("out.eventlog") as w:     # a path or a binary file
        w.declare_catalogue()                          # or w.header(reader.header)
        w.begin()
        w.event("CREATE_THREAD", 1000, cap=0, thread=1)
        w.event(libeventlog.EventType.USER_MSG, 2000, cap=0, message="hello")
        w.copy(ev)                                     # a decoded event, byte for byte

    libeventlog.filter("big.eventlog", "small.eventlog", types=["USER_MSG"],
                       caps=[0], start=10**9, end=2 * 10**9)
"""
from __future__ import annotations

import os
import struct
from typing import Any, Iterable, Optional, Union

from ._catalogue import NO_CAP, VARIABLE_SIZE, Event, FieldKind, LayoutInfo, type_ids
from ._decoder import End, Header
from ._errors import EventlogError
from ._native import ffi, lib

__all__ = ["Writer", "WriterError", "filter"]


class WriterError(Exception):
    """The writer refused a call (an undeclared type, a payload that does not
    fit its declaration, a call out of order) or the output failed; the
    message is the C writer's reason."""

_INT_KINDS = {FieldKind.U8, FieldKind.U16, FieldKind.U32, FieldKind.U64}


def _type_id(t: Union[int, str, Any]) -> int:
    try:
        return type_ids([t])[0]
    except KeyError:
        raise ValueError(f"unknown event type {t!r}") from None


def _bytes(v: Any) -> bytes:
    if isinstance(v, str):
        return v.encode("utf-8", "surrogateescape")
    return bytes(v)


class Writer:
    """Writes an eventlog to `dest` (a path, or a binary file object with a
    file descriptor), in the writer's own blocks per capability, or with
    verbatim=True records exactly as given (block markers included).

    First the header: header(h) copies a decoded Header, or declare() /
    declare_catalogue() then begin(). Then events: event() from typed fields
    (by the catalogue), raw() from a payload, copy() from a decoded event.
    close() (or leaving the `with` block normally) writes the pending blocks
    and the end marker; leaving it by an exception closes without completing.
    Errors raise WriterError with the writer's reason.
    """

    def __init__(self, dest: Any, *, verbatim: bool = False) -> None:
        opts = ffi.new("elog_log_writer_options *")
        opts.flags = lib.ELOG_LOG_WRITER_VERBATIM if verbatim else 0
        out = ffi.new("elog_log_writer **")
        self._file = None
        if isinstance(dest, (str, bytes, os.PathLike)):
            path = os.fsencode(dest)
            st = lib.elog_log_writer_open_path(out, opts, path)
            if st != lib.ELOG_OK:
                raise WriterError(f"{os.fsdecode(path)}: cannot create: "
                                  f"{os.strerror(ffi.errno or 5)}")
        else:
            dest.flush()
            self._file = dest
            st = lib.elog_log_writer_open_fd(out, opts, dest.fileno())
            if st != lib.ELOG_OK:
                raise MemoryError("elog_log_writer_open_fd")
        self._w = out[0]
        self._declared: dict = {}
        self._data = False
        self._keep: list = []

    # -- header ----------------------------------------------------------
    def _check(self, st: int) -> None:
        if st != lib.ELOG_OK:
            reason = ffi.string(lib.elog_log_writer_error_reason(self._w)).decode("utf-8", "replace")
            raise WriterError(reason or ffi.string(lib.elog_status_name(st)).decode("ascii"))

    def _live(self) -> Any:
        if self._w is None:
            raise ValueError("the writer is closed")
        return self._w

    def declare(self, type_: Union[int, str], size: Optional[int],
                description: Union[str, bytes] = b"") -> None:
        """Declares a type: id (or catalogue name), payload size (None:
        variable) and description."""
        tid = _type_id(type_)
        desc = _bytes(description)
        sz = VARIABLE_SIZE if size is None else size
        self._check(lib.elog_log_writer_declare(self._live(), tid, sz, (ffi.from_buffer(desc), len(desc))))
        self._declared[tid] = sz

    def declare_catalogue(self) -> None:
        """Declares every type the catalogue knows, with its largest layout."""
        from ._catalogue import LAYOUTS
        for lay in LAYOUTS:
            self._declared[lay.id] = VARIABLE_SIZE if lay.size is None else lay.size
        self._check(lib.elog_log_writer_declare_catalogue(self._live()))

    def begin(self) -> None:
        """Ends the header: events may follow."""
        self._check(lib.elog_log_writer_begin_data(self._live()))
        self._data = True

    def header(self, h: Header) -> None:
        """Copies a decoded header (every declaration in order) and begins."""
        for t in h.event_types:
            self.declare(t.id, t.size, t.description)
        self.begin()

    # -- events ----------------------------------------------------------
    def raw(self, type_: Union[int, str], time: int, payload: bytes,
            cap: Optional[int] = None) -> None:
        """An event from its raw payload (big-endian fields, as in a file)."""
        payload = bytes(payload)
        self._check(lib.elog_log_writer_raw(self._live(), NO_CAP if cap is None else cap,
                                            _type_id(type_), time, payload, len(payload)))

    def copy(self, ev: Event) -> None:
        """A decoded event, byte for byte, in the block of its capability."""
        self.raw(int(ev.type), ev.timestamp, ev.payload, ev.cap)

    def event(self, type_: Union[int, str], time: int, cap: Optional[int] = None,
              **fields: Any) -> None:
        """An event from typed fields, encoded by the catalogue layout that the
        declared size selects; missing integer fields are 0, missing strings
        empty, missing optional fields absent."""
        tid = _type_id(type_)
        size = self._declared.get(tid)
        if size is None:
            raise WriterError(f"event type {tid} is not declared")
        ptr = lib.elog_catalogue_find(tid, size)
        if ptr == ffi.NULL:
            raise WriterError(f"no catalogue layout fits event type {tid} declared with size {size}")
        lay = _layout(ptr.index)
        n = len(lay.fields)
        ints = ffi.new("uint64_t[]", max(n, 1))
        slices = ffi.new("elog_slice[]", max(n, 1))
        present = ffi.new("uint8_t[]", max(n, 1))
        keep = []
        known = set()
        for i, f in enumerate(lay.fields):
            for key in (f.attr, f.name):
                if key in fields:
                    known.add(key)
                    v = fields[key]
                    break
            else:
                continue
            if f.derived or v is None:
                continue
            present[i] = 1
            if f.kind in _INT_KINDS:
                ints[i] = int(v)
            else:
                if f.kind == FieldKind.STACK:
                    b = struct.pack(f">{len(v)}I", *v)
                elif f.kind == FieldKind.STRVEC and not isinstance(v, (bytes, bytearray, str)):
                    b = b"".join(_bytes(s) + b"\0" for s in v)
                elif f.kind == FieldKind.LATIN1 and isinstance(v, str):
                    b = v.encode("latin-1")
                else:
                    b = _bytes(v)
                buf = ffi.from_buffer(b)
                keep.append((b, buf))
                slices[i].ptr = buf
                slices[i].len = len(b)
        unknown = set(fields) - known
        if unknown:
            raise TypeError(f"{lay.name} has no field(s) {sorted(unknown)}")
        self._check(lib.elogpy_write_fields(self._live(), NO_CAP if cap is None else cap, tid, time,
                                            ptr, ints, slices, present))

    def end_block(self, cap: Optional[int]) -> None:
        """Writes the pending block of `cap` now."""
        self._check(lib.elog_log_writer_end_block(self._live(), NO_CAP if cap is None else cap))

    # -- the end ---------------------------------------------------------
    def close(self) -> None:
        """Writes the pending blocks and the end marker; idempotent."""
        if self._w is None:
            return
        try:
            self._check(lib.elog_log_writer_finish(self._w, ffi.NULL))
        finally:
            lib.elog_log_writer_free(self._w)
            self._w = None

    def abort(self) -> None:
        """Closes without writing anything more."""
        if self._w is not None:
            lib.elog_log_writer_free(self._w)
            self._w = None

    @property
    def bytes_written(self) -> int:
        return int(lib.elog_log_writer_offset(self._w)) if self._w is not None else 0

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        w = getattr(self, "_w", None)
        if w is not None:
            lib.elog_log_writer_free(w)


_LAYOUT_CACHE: dict = {}


def _layout(index: int) -> LayoutInfo:
    if not _LAYOUT_CACHE:
        from ._catalogue import LAYOUTS
        for lay in LAYOUTS:
            _LAYOUT_CACHE[lay.index] = lay
    return _LAYOUT_CACHE[index]


def filter(source: Union[str, "os.PathLike[str]"], out: Union[str, "os.PathLike[str]"], *,
           types: Optional[Iterable[Union[int, str]]] = None,
           exclude_types: Optional[Iterable[Union[int, str]]] = None,
           caps: Optional[Iterable[Optional[int]]] = None,
           threads: Optional[Iterable[int]] = None,
           start: Optional[int] = None, end: Optional[int] = None) -> End:
    """Writes to `out` an eventlog with the whole header of `source` (a path,
    plain or compressed with gzip, zstd or xz) and exactly the selected
    events, as `eventlog filter`: types (ids or catalogue names) or
    exclude_types, caps (None: events of no capability), threads (events
    with a thread field among them), and times start <= t <= end. With no selection `out` is a copy of `source`. `out`
    is written under out + ".tmp" and renamed when complete. Returns how the
    source ended (End); raises EventlogError for corrupt input."""
    if types is not None and exclude_types is not None:
        raise ValueError("give types or exclude_types, not both")
    tl = [_type_id(t) for t in (types if types is not None else exclude_types or [])]
    cl = [NO_CAP if c is None else int(c) for c in (caps or [])]
    th = [int(t) for t in (threads or [])]
    t_arr = ffi.new("uint16_t[]", tl or [0])
    c_arr = ffi.new("uint16_t[]", cl or [0])
    h_arr = ffi.new("uint32_t[]", th or [0])
    cend = ffi.new("elog_end *")
    err = ffi.new("char[]", 512)
    rc = lib.elogpy_filter(os.fsencode(source), os.fsencode(out), t_arr, len(tl),
                           1 if exclude_types is not None else 0, c_arr, len(cl), h_arr, len(th),
                           0 if start is None else start,
                           (1 << 64) - 1 if end is None else end, cend, err, 512)
    if rc != 0:
        c = cend[0]
        reason = ffi.string(err).decode("utf-8", "replace")
        if c.kind == lib.ELOG_END_ERROR:
            raise EventlogError(int(c.offset), reason, ffi.string(lib.elog_status_name(c.status)).decode())
        if c.kind in (lib.ELOG_END_EMPTY, lib.ELOG_END_TRUNCATED_IN_HEADER):
            raise EventlogError(int(c.offset), reason, "ELOG_E_NOT_EVENTLOG")
        raise WriterError(reason)
    return End._from_c(cend[0])

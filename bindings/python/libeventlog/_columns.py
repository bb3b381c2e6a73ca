"""The fast path: events decoded straight into columns, with no Python code per
event. The C callback (native/elogpy.c) appends id / time / cap / offset and the
selected integer fields into arrays allocated here, pausing the decoder when a
batch is full; each batch is then appended to the result columns in one copy.
"""
from __future__ import annotations

import array
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from ._catalogue import INT_KINDS, LAYOUTS, keep_flags
from ._decoder import End, Header, build_header, check_end, status_name
from ._errors import EventlogError
from ._native import ffi, lib
from ._source import (HAVE_C_READER, CReader, GzipDataError, Source, is_path, open_source,
                      read_into, reader_failure)

__all__ = ["read_columns", "Columns"]

COMMON = ("type", "timestamp", "cap", "offset")
_TYPECODES = {"type": "H", "timestamp": "Q", "cap": "H", "offset": "Q"}

try:  # optional
    import numpy as _np
except ImportError:  # pragma: no cover - numpy is optional
    _np = None


class Columns:
    """Decoded events as columns (one entry per event, file order):

        type       u16  event type id
        timestamp  u64  ns
        cap        u16  capability, NO_CAP (0xffff) for none
        offset     u64  byte offset of the record
        <field>    u64  each requested integer field; `fill` where the event has
                        no such field (or an optional field is absent)

    Each column is a numpy array when numpy is installed (and numpy=False was
    not asked), else an array.array. Access: cols["timestamp"], cols.timestamp.
    `end` says how the log ended; `events_seen` counts events before the type
    filter; `header` is the log's header.
    """

    def __init__(self, columns: Dict[str, Any], fields: Tuple[str, ...], end: End,
                 header: Optional[Header], events_seen: int) -> None:
        self._columns = columns
        self.fields = fields
        self.end = end
        self.header = header
        self.events_seen = events_seen

    def __len__(self) -> int:
        return len(self._columns["type"])

    def __getitem__(self, name: str) -> Any:
        return self._columns[name]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_columns"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def keys(self) -> List[str]:
        return list(self._columns)

    def items(self) -> List[Tuple[str, Any]]:
        return list(self._columns.items())

    def as_dict(self) -> Dict[str, Any]:
        return dict(self._columns)

    def to_pandas(self) -> Any:
        """A pandas DataFrame of the columns (needs pandas)."""
        import pandas as pd  # optional dependency
        return pd.DataFrame({k: _as_numpy(v) for k, v in self._columns.items()})

    def __repr__(self) -> str:
        return (f"<libeventlog.Columns {len(self)} events, columns {list(self._columns)}, "
                f"end={self.end.end_class}>")


def _as_numpy(col: Any) -> Any:
    if _np is None or isinstance(col, _np.ndarray):
        return col
    dtype = _np.uint16 if col.typecode == "H" else _np.uint64
    return _np.frombuffer(col, dtype=dtype) if len(col) else _np.zeros(0, dtype=dtype)


def _field_map(fields: Tuple[str, ...]) -> Any:
    """int16[n_layouts][n_fields]: index of each requested field in each layout."""
    nf = len(fields)
    fmap = ffi.new("int16_t[]", max(1, len(LAYOUTS) * nf))
    found = dict.fromkeys(fields, False)
    for lay in LAYOUTS:
        for j, name in enumerate(fields):
            idx = -1
            for f in lay.fields:
                if f.attr == name and f.kind in INT_KINDS:
                    idx = f.index
                    break
            fmap[lay.index * nf + j] = idx
            found[name] = found[name] or idx >= 0
    missing = [n for n, ok in found.items() if not ok]
    if missing:
        hint = ""
        if any(n in COMMON for n in missing):
            hint = " ('type', 'timestamp', 'cap', 'offset' are always present; a field " \
                   "named like one is spelt with a trailing '_', e.g. 'cap_')"
        raise ValueError(f"no integer field named {', '.join(map(repr, missing))} in the "
                         f"catalogue{hint}")
    return fmap


def read_columns(source: Source, types: Optional[Iterable[Union[int, str, type]]] = None,
                 fields: Optional[Iterable[str]] = None, *, fill: int = 0,
                 strict: bool = False, numpy: Optional[bool] = None,
                 continue_after_end: bool = False, lenient_blocks: bool = False,
                 batch_events: int = 65536, chunk_size: int = 1 << 20) -> Columns:
    """Decodes a whole eventlog (path or binary file object, plain or gzip;
    zstd and xz for a path) into columns, without creating a Python object
    per event.

    types: keep only these event types (ids, EventType members, layout names such
        as "HEAP_LIVE", class names or event classes); default all, block markers
        included.
    fields: integer fields to extract, by attribute name ("thread", "live_bytes",
        "cap_" for the catalogue's `cap` field); each becomes a u64 column,
        `fill` where an event has no such field.
    numpy: return numpy arrays (default: when numpy is installed) or array.array.
    strict, continue_after_end, lenient_blocks: as for open().
    """
    field_names = tuple(dict.fromkeys(fields or ()))
    fmap = _field_map(field_names) if field_names else ffi.NULL
    keep = keep_flags(types)
    if not 0 <= fill < 1 << 64:
        raise ValueError("fill must fit in a u64")
    if batch_events < 1:
        raise ValueError("batch_events must be >= 1")
    use_numpy = (_np is not None) if numpy is None else bool(numpy)
    if use_numpy and _np is None:
        raise ImportError("numpy=True but numpy is not installed")

    options = 0
    if continue_after_end:
        options |= lib.ELOG_OPT_CONTINUE_AFTER_END
    if lenient_blocks:
        options |= lib.ELOG_OPT_LENIENT_BLOCKS
    state = ffi.gc(ffi.new("elogpy_state *"), lib.elogpy_free)
    lib.elogpy_init(state, lib.ELOGPY_COLUMNS, options, batch_events, ffi.NULL)
    dec = lib.elogpy_decoder(state)

    B = batch_events
    c_type = ffi.new("uint16_t[]", B)
    c_time = ffi.new("uint64_t[]", B)
    c_cap = ffi.new("uint16_t[]", B)
    c_offset = ffi.new("uint64_t[]", B)
    c_fields = [ffi.new("uint64_t[]", B) for _ in field_names]
    c_field_ptrs = ffi.new("uint64_t *[]", max(1, len(c_fields)))
    for j, arr in enumerate(c_fields):
        c_field_ptrs[j] = arr
    state.c_type, state.c_time, state.c_cap, state.c_offset = c_type, c_time, c_cap, c_offset
    state.c_fields = c_field_ptrs
    state.n_fields = len(field_names)
    state.field_map = fmap
    state.keep = keep
    state.fill = fill

    names = COMMON + field_names
    out = {name: array.array(_TYPECODES.get(name, "Q")) for name in names}
    sources = [(out["type"], c_type, 2), (out["timestamp"], c_time, 8), (out["cap"], c_cap, 2),
               (out["offset"], c_offset, 8)]
    sources += [(out[name], arr, 8) for name, arr in zip(field_names, c_fields)]

    def drain() -> None:
        n = state.n
        if n:
            for col, arr, size in sources:
                col.frombytes(ffi.buffer(arr, n * size))
            state.n = 0

    def decode_error() -> EventlogError:
        reason = ffi.string(lib.elog_get_error_reason(dec)).decode("utf-8", "replace")
        return EventlogError(int(lib.elog_get_error_offset(dec)), reason,
                             status_name(lib.elog_get_error(dec)))

    try:
        if is_path(source) and HAVE_C_READER:
            end = _run_c_reader(source, dec, drain, decode_error, chunk_size)
        else:
            end = _run_python(source, dec, drain, decode_error, chunk_size)
        header = _header_of(dec)
        seen = int(end.events)  # the types not kept were stepped over, not delivered
    finally:
        ffi.release(state)
    check_end(end, strict)
    columns: Dict[str, Any] = {k: (_as_numpy(v) if use_numpy else v) for k, v in out.items()}
    return Columns(columns, field_names, end, header, seen)


def _run_c_reader(source: Source, dec: Any, drain: Any, decode_error: Any,
                  chunk_size: int) -> End:
    """Reads a path with the C reader (gzip inflated in C) into `dec`."""
    reader = CReader(source, chunk_size=chunk_size)
    try:
        end_p = ffi.new("elog_end *")
        while True:
            st = reader.run(dec, end_p)
            drain()
            if st == lib.ELOG_READER_PAUSED:
                continue      # the reader resumes the decoder itself
            if st == lib.ELOG_READER_OK:
                return End._from_c(end_p[0])
            if st == lib.ELOG_READER_E_DECODE:
                raise decode_error()
            raise reader_failure(st, reader.error(), end_p[0])
    finally:
        reader.close()


def _run_python(source: Source, dec: Any, drain: Any, decode_error: Any,
                chunk_size: int) -> End:
    """Reads a file object (or a path without the C reader) from Python."""
    opened = open_source(source)
    try:
        stream = opened.stream
        buf = bytearray(chunk_size)
        mv = memoryview(buf)
        cbuf = ffi.from_buffer(buf)
        while True:
            try:
                n = read_into(stream, buf, mv)
            except GzipDataError as e:
                raise EventlogError(int(lib.elog_get_offset(dec)), f"{opened.name}: {e}",
                                    "ELOG_READER_E_GZIP") from None
            if n == 0:
                break
            pos = 0
            while pos < n:
                r = lib.elog_execute(dec, cbuf + pos, n - pos)
                pos += r.read
                drain()
                if r.status == lib.ELOG_PAUSED:
                    lib.elog_resume(dec)
                    continue
                if r.status != lib.ELOG_OK:
                    raise decode_error()
                break
        return End._from_c(lib.elog_finish(dec))
    finally:
        opened.close()


def _header_of(dec: Any) -> Optional[Header]:
    """The Python Header of a C decoder, once its header is complete."""
    h = lib.elog_get_header(dec)
    return None if h == ffi.NULL else build_header(h)[0]

"""Turning the records the C side wrote into the arena into event objects.

For each event type the header declares, a builder is chosen once:

  - fixed-size layouts whose fields are all integers (almost every event in a
    real log): one `struct.Struct.unpack_from` returns the event's whole tuple
    (timestamp, offset, cap, fields...), in C; the payload is left out when it
    is exactly the fields (Event.payload packs them again on access);
  - other layouts (strings, stacks, optional fields, size variants): a small
    function generated from the catalogue (like namedtuple does) that unpacks
    the record and converts the string fields;
  - types libeventlog has no layout for: an UnknownEvent builder.

Records are laid out by native/elogpy.c (see there).
"""
from __future__ import annotations

import struct
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from ._catalogue import (CLASS_BY_LAYOUT, INT_KINDS, LayoutInfo, UnknownEvent, _INT_CODES)
from ._native import ffi, lib

RECORD_HEAD = lib.ELOGPY_RECORD_HEAD  # u64 time, u64 offset, u16 cap, u32 payload length
_PREFIX = struct.Struct("=QQHI")
assert _PREFIX.size == RECORD_HEAD

Unpacker = Callable[[bytes, int], Tuple[Any, ...]]


def text(b: bytes) -> Union[str, bytes]:
    """A text field: str when it is valid UTF-8, else the raw bytes."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b


def latin1(b: bytes) -> str:
    return b.decode("latin-1")


def strvec(b: bytes) -> List[str]:
    """NUL-separated strings, split by the C elog_strvec_next() exactly as
    ghc-events splits them; each decoded as UTF-8 (undecodable bytes are kept
    as surrogate escapes, like os.fsdecode)."""
    keep = ffi.from_buffer(b)
    vec = ffi.new("elog_slice *")
    vec.ptr = ffi.cast("const uint8_t *", keep)
    vec.len = len(b)
    pos = ffi.new("size_t *", 0)
    item = ffi.new("elog_slice *")
    base = ffi.cast("const uint8_t *", keep)
    out = []
    while lib.elog_strvec_next(vec[0], pos, item):
        if item.len == 0:
            out.append("")
            continue
        start = item.ptr - base
        out.append(b[start:start + item.len].decode("utf-8", "surrogateescape"))
    return out


_STACKS: Dict[int, struct.Struct] = {}


def stack(buf: bytes, at: int, count: int) -> Tuple[int, ...]:
    """A cost-centre stack: big-endian u32 ids, innermost first."""
    s = _STACKS.get(count)
    if s is None:
        s = _STACKS[count] = struct.Struct(f">{count}I")
    return s.unpack_from(buf, at)


_CONVERT = {
    "CSTR": "_text({})",
    "TEXT": "_text({})",
    "LATIN1": "_latin1({})",
    "BYTES": "{}",
    "STRVEC": "_strvec({})",
}

_fast_cache: Dict[Tuple[int, int], Unpacker] = {}
_complex_cache: Dict[int, Unpacker] = {}


def _is_fast(layout: LayoutInfo, cls: type) -> bool:
    return (layout.size is not None
            and all(f.kind in INT_KINDS and not f.optional for f in layout.fields)
            and tuple(f.attr for f in layout.fields) == cls._fields)  # type: ignore[attr-defined]


def _fast_unpacker(layout: LayoutInfo, cls: type, declared_size: int) -> Unpacker:
    key = (layout.index, declared_size)
    u = _fast_cache.get(key)
    if u is None:
        codes = "".join(_INT_CODES[f.kind.name] for f in layout.fields)
        if declared_size == layout.size and cls._payload_struct is not None:  # type: ignore[attr-defined]
            fmt = f"=QQH4x{codes}"                  # the payload is the fields
        else:
            fmt = f"=QQH4x{codes}{declared_size}s"  # extra bytes: keep the payload
        u = _fast_cache[key] = struct.Struct(fmt).unpack_from
    return u


def _complex_unpacker(layout: LayoutInfo, cls: type) -> Unpacker:
    u = _complex_cache.get(layout.index)
    if u is not None:
        return u
    codes: List[str] = []
    exprs: Dict[str, str] = {}
    vi = 0
    for f in layout.fields:
        flag = None
        if f.optional:
            codes.append("B")
            flag = f"v[{vi}]"
            vi += 1
        kind = f.kind.name
        if kind in _INT_CODES:
            codes.append(_INT_CODES[kind])
            expr = f"v[{vi}]"
            vi += 1
        else:
            codes.append("II")
            at, n = f"v[{vi}]", f"v[{vi + 1}]"
            vi += 2
            if kind == "STACK":
                expr = f"_stack(buf, {at}, {n})"
            else:
                expr = _CONVERT[kind].format(f"buf[{at}:{at} + {n}]")
        if flag is not None:
            expr = f"({expr} if {flag} else None)"
        exprs[f.attr] = expr
    items = [exprs.get(a, "None") for a in cls._fields]  # type: ignore[attr-defined]
    fields = struct.Struct("=" + "".join(codes))
    src = (
        "def build(buf, pos):\n"
        "    t, o, c, n = _prefix(buf, pos)\n"
        f"    v = _fields(buf, pos + {RECORD_HEAD})\n"
        f"    p = pos + {RECORD_HEAD + fields.size}\n"
        f"    return (t, o, c, {''.join(i + ', ' for i in items)}buf[p:p + n])\n"
    )
    ns: Dict[str, Any] = {
        "_prefix": _PREFIX.unpack_from,
        "_fields": fields.unpack_from,
        "_text": text, "_latin1": latin1, "_strvec": strvec, "_stack": stack,
    }
    exec(compile(src, f"<libeventlog builder {layout.name}/{layout.size}>", "exec"), ns)
    u = _complex_cache[layout.index] = ns["build"]
    return u


def _unknown_unpacker(type_id: int, size: Optional[int],
                      description: Union[str, bytes]) -> Unpacker:
    prefix = _PREFIX.unpack_from

    def build(buf: bytes, pos: int) -> Tuple[Any, ...]:
        t, o, c, n = prefix(buf, pos)
        p = pos + RECORD_HEAD
        return (t, o, c, type_id, size, description, buf[p:p + n])

    return build


def builder(type_id: int, declared_size: int, description: Union[str, bytes],
            layout: Optional[LayoutInfo]) -> Tuple[type, Unpacker]:
    """(class, unpacker) for events of one header type."""
    if layout is None:
        size = None if declared_size == lib.ELOG_VARIABLE_SIZE else declared_size
        return UnknownEvent, _unknown_unpacker(type_id, size, description)
    cls = CLASS_BY_LAYOUT[layout.index]
    if _is_fast(layout, cls):
        return cls, _fast_unpacker(layout, cls, declared_size)
    return cls, _complex_unpacker(layout, cls)

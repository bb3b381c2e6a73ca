"""The event catalogue, read from the C library's introspection tables at import
time, and the event classes generated from it.

Nothing here lists event types by hand: `EventType`, `FieldKind` and one class
per event type come from `elog_catalogue()` / `elog_field_info`, so a line added
to libeventlog/catalogue.txt appears here after rebuilding the C library.

Events are immutable tuples underneath (like `collections.namedtuple`): a
slotted subclass of `tuple` whose items are, in order, timestamp, offset, the
raw capability, the typed fields, then the payload bytes -- omitted when the
payload is exactly the packed integer fields, and rebuilt from them on access.
That is what lets a batch of events decoded in C become Python objects with one
struct.unpack_from and one tuple per event.
"""
from __future__ import annotations

import enum
import operator
import struct
import sys
from typing import Any, ClassVar, Dict, Iterable, List, Optional, Tuple, Union

from ._native import ffi, lib

try:  # the accessor namedtuple uses: a C descriptor reading one tuple item
    from _collections import _tuplegetter  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - other Pythons
    def _tuplegetter(index: int, doc: Optional[str]) -> property:  # type: ignore[misc]
        return property(operator.itemgetter(index), doc=doc)

NO_CAP: int = lib.ELOG_NO_CAP
VARIABLE_SIZE: int = lib.ELOG_VARIABLE_SIZE
# The loaded C library's version (meson's project version): the package's too.
VERSION: str = ffi.string(lib.elog_version()).decode("ascii")

# The tuple positions shared by every event; the fields follow.
_I_TIME, _I_OFFSET, _I_CAP = 0, 1, 2
_N_COMMON = 3

# ---------------------------------------------------------------------------
# Field kinds and the catalogue
# ---------------------------------------------------------------------------

FieldKind = enum.IntEnum(  # type: ignore[misc]
    "FieldKind",
    sorted(((name[len("ELOG_FIELD_"):], value)
            for name, value in ffi.typeof("elog_field_kind").relements.items()),
           key=lambda kv: kv[1]),
    module=__name__,
)
FieldKind.__doc__ = "The kind of a catalogue field (elog_field_kind)."

INT_KINDS = frozenset(k for k in FieldKind if k.name.startswith("U"))
_INT_CODES = {"U8": "B", "U16": "H", "U32": "I", "U64": "Q"}

_KIND_TYPES: Dict[str, Any] = {
    "U8": int, "U16": int, "U32": int, "U64": int,
    "CSTR": Union[str, bytes], "TEXT": Union[str, bytes], "LATIN1": str, "BYTES": bytes,
    "STRVEC": List[str], "STACK": Tuple[int, ...],
}


class FieldInfo:
    """One field of a layout (elog_field_info)."""

    __slots__ = ("name", "attr", "kind", "optional", "derived", "index")

    def __init__(self, name: str, attr: str, kind: "FieldKind", optional: bool,
                 derived: bool, index: int) -> None:
        self.name = name          # as in the catalogue
        self.attr = attr          # the Python attribute (name, or name + "_" on a clash)
        self.kind = kind
        self.optional = optional
        self.derived = derived
        self.index = index        # position in the C layout's fields

    @property
    def python_type(self) -> Any:
        t = _KIND_TYPES[self.kind.name]
        return Optional[t] if self.optional else t

    def __repr__(self) -> str:
        opt = ", optional" if self.optional else ""
        der = ", derived" if self.derived else ""
        return f"FieldInfo({self.attr!r}, {self.kind.name}{opt}{der})"


class LayoutInfo:
    """One layout of an event type (elog_layout_info)."""

    __slots__ = ("id", "size", "variant", "index", "name", "fields", "_ptr")

    def __init__(self, ptr: Any, fields: Tuple[FieldInfo, ...]) -> None:
        self.id: int = ptr.id
        self.size: Optional[int] = None if ptr.size == VARIABLE_SIZE else ptr.size
        self.variant: int = ptr.variant
        self.index: int = ptr.index
        self.name: str = ffi.string(ptr.name).decode("ascii")
        self.fields = fields
        self._ptr = ptr

    @property
    def variable(self) -> bool:
        return self.size is None

    def __repr__(self) -> str:
        size = "var" if self.size is None else self.size
        return f"LayoutInfo({self.id}, {self.name!r}, size={size}, fields={[f.attr for f in self.fields]})"


def camel_case(name: str) -> str:
    """CREATE_THREAD -> CreateThread."""
    return "".join(part.capitalize() for part in name.lower().split("_") if part)


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

def _show(type_id: int, size: int, description: bytes, time: int, cap: int, offset: int,
          payload: bytes, text_only: bool) -> str:
    """The ghc-events show text of one event, by the C formatter."""
    cap_bytes = 256 + 4 * len(payload) + len(description)
    while True:
        out = ffi.new("char[]", cap_bytes)
        n = lib.elogpy_show(type_id, size, description, len(description), time, cap, offset,
                            payload, len(payload), 1 if text_only else 0, out, cap_bytes)
        if n == -2:
            raise MemoryError("libeventlog: out of memory formatting an event")
        if n < 0:
            raise ValueError(f"libeventlog: event type {type_id} cannot be shown with a "
                             f"{len(payload)}-byte payload")
        if n <= cap_bytes:
            text = ffi.unpack(out, n).decode("utf-8", "surrogateescape")
            return text[:-1] if (not text_only and text.endswith("\n")) else text
        cap_bytes = n


class Event(tuple):
    """Base class of every event.

    Common attributes: `type` (EventType, or int for ids libeventlog does not
    know), `type_id`, `timestamp` (ns since the RTS started), `cap` (the
    capability from the enclosing block, None outside a capability), `offset`
    (byte offset of the record in the stream) and `payload` (the raw payload
    bytes, including bytes beyond the fields libeventlog knows).

    Events are immutable and slotted; `str(event)` and `event.show()` give the
    `ghc-events show` line, `event.text()` the text after "time: cap N: ".
    """

    __slots__ = ()

    type: ClassVar[Any]
    type_id: ClassVar[int]
    layouts: ClassVar[Tuple[LayoutInfo, ...]] = ()
    _fields: ClassVar[Tuple[str, ...]] = ()
    _variable: ClassVar[bool] = False
    _n_items: ClassVar[int] = _N_COMMON          # items before the payload
    _payload_struct: ClassVar[Optional[struct.Struct]] = None  # rebuilds it from the fields

    timestamp = _tuplegetter(_I_TIME, "ns since the RTS started")
    offset = _tuplegetter(_I_OFFSET, "byte offset of the record in the stream")

    @property
    def payload(self) -> bytes:
        """The raw payload bytes (big-endian, as in the file)."""
        n = self._n_items
        if len(self) > n:
            return self[n]  # type: ignore[no-any-return]
        return self._payload_struct.pack(*self[_N_COMMON:n])  # type: ignore[union-attr]

    @property
    def cap(self) -> Optional[int]:
        """The capability of the enclosing block, None outside one."""
        c = self[_I_CAP]
        return None if c == NO_CAP else c

    # -- the show text ------------------------------------------------------
    def _show_args(self, payload: bytes) -> Tuple[int, int, bytes]:
        size = VARIABLE_SIZE if self._variable else len(payload)
        return self.type_id, size, b""

    def show(self) -> str:
        """The `ghc-events show` line of this event, without the final newline."""
        payload = self.payload
        tid, size, desc = self._show_args(payload)
        return _show(tid, size, desc, self[_I_TIME], self[_I_CAP], self[_I_OFFSET],
                     payload, False)

    def text(self) -> str:
        """The event's show text alone (no time or capability prefix)."""
        payload = self.payload
        tid, size, desc = self._show_args(payload)
        return _show(tid, size, desc, self[_I_TIME], self[_I_CAP], self[_I_OFFSET],
                     payload, True)

    def __str__(self) -> str:
        return self.show()

    # -- value semantics ----------------------------------------------------
    def fields(self) -> Dict[str, Any]:
        """The typed fields, by attribute name."""
        return {name: self[_N_COMMON + i] for i, name in enumerate(self._fields)}

    def _asdict(self) -> Dict[str, Any]:
        """Every attribute: type, timestamp, cap, offset, the fields, payload."""
        d: Dict[str, Any] = {"type": self.type, "timestamp": self[_I_TIME], "cap": self.cap,
                             "offset": self[_I_OFFSET]}
        d.update(self.fields())
        d["payload"] = self.payload
        return d

    @classmethod
    def _make(cls, values: Any) -> Any:
        """An event from its tuple items (timestamp, offset, raw cap, fields...[, payload])."""
        return tuple.__new__(cls, values)

    def __repr__(self) -> str:
        parts = [f"timestamp={self[_I_TIME]}", f"cap={self.cap}", f"offset={self[_I_OFFSET]}"]
        parts += [f"{name}={self[_N_COMMON + i]!r}" for i, name in enumerate(self._fields)]
        return f"{type(self).__name__}({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        # events of different types are never equal, nor an event and a tuple
        return type(self) is type(other) and tuple.__eq__(self, other)  # type: ignore[arg-type]

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = tuple.__hash__


class UnknownEvent(Event):
    """An event libeventlog has no layout for (an id missing from the catalogue,
    or declared with a size no known layout fits): raw payload only."""

    __slots__ = ()
    _fields = ("type_id", "size", "description")
    _n_items = _N_COMMON + 3
    type_id = _tuplegetter(_N_COMMON, "the event type id")  # type: ignore[assignment]
    size = _tuplegetter(_N_COMMON + 1, "declared payload size, None if variable")
    description = _tuplegetter(_N_COMMON + 2, "the header's description of the type")

    @property
    def type(self) -> Any:  # type: ignore[override]
        """EventType when the id is in the catalogue, else the int id."""
        tid = self[_N_COMMON]
        return _EVENT_TYPE_BY_ID.get(tid, tid)

    def _show_args(self, payload: bytes) -> Tuple[int, int, bytes]:
        size = self[_N_COMMON + 1]
        desc = self[_N_COMMON + 2]
        if isinstance(desc, str):
            desc = desc.encode("utf-8")
        return self[_N_COMMON], VARIABLE_SIZE if size is None else size, desc

    def fields(self) -> Dict[str, Any]:
        return {}

    def _asdict(self) -> Dict[str, Any]:
        d = super()._asdict()
        d.update(type_id=self[_N_COMMON], size=self[_N_COMMON + 1],
                 description=self[_N_COMMON + 2])
        return d

    def __repr__(self) -> str:
        return (f"UnknownEvent(type_id={self[_N_COMMON]}, timestamp={self[_I_TIME]}, "
                f"cap={self.cap}, offset={self[_I_OFFSET]}, size={self[_N_COMMON + 1]}, "
                f"description={self[_N_COMMON + 2]!r}, payload={self.payload!r})")


# ---------------------------------------------------------------------------
# Generation from the C catalogue
# ---------------------------------------------------------------------------

_RESERVED = frozenset(dir(Event)) | {"type", "type_id", "layouts", "cap", "fields"}


def _attr_name(name: str) -> str:
    """A field's Python attribute: its catalogue name, with "_" appended when it
    would hide a common attribute or method (BLOCK_MARKER's `cap` is `cap_`)."""
    attr = name
    while attr in _RESERVED or attr.startswith("_"):
        attr = attr + "_"
    import keyword
    if keyword.iskeyword(attr):
        attr = attr + "_"
    return attr


def _load_layouts() -> Tuple[LayoutInfo, ...]:
    count = ffi.new("size_t *")
    table = lib.elog_catalogue(count)
    layouts = []
    for i in range(count[0]):
        p = table[i]
        fields = []
        for j in range(p.n_fields):
            f = p.fields[j]
            name = ffi.string(f.name).decode("ascii")
            fields.append(FieldInfo(name, _attr_name(name), FieldKind(f.kind), bool(f.optional),
                                    bool(f.derived), j))
        layouts.append(LayoutInfo(p, tuple(fields)))
    return tuple(layouts)


LAYOUTS: Tuple[LayoutInfo, ...] = _load_layouts()

EventType = enum.IntEnum(  # type: ignore[misc]
    "EventType",
    list(dict.fromkeys((lay.name, lay.id) for lay in LAYOUTS)),
    module="libeventlog",
)
EventType.__doc__ = "The event type ids libeventlog knows, from its catalogue."
_EVENT_TYPE_BY_ID: Dict[int, Any] = {int(t): t for t in EventType}


def _class_fields(layouts: List[LayoutInfo]) -> List[FieldInfo]:
    """The union of the variants' fields: the largest variant's order first."""
    ordered = sorted(layouts, key=lambda lay: (lay.size is None, lay.size or 0), reverse=True)
    seen: Dict[str, FieldInfo] = {}
    for lay in ordered:
        for f in lay.fields:
            seen.setdefault(f.attr, f)
    return list(seen.values())


def _make_class(name: str, layouts: List[LayoutInfo]) -> type:
    fields = _class_fields(layouts)
    event_type = EventType[name]
    variable = any(lay.size is None for lay in layouts)
    ns: Dict[str, Any] = {
        "__slots__": (),
        "__module__": "libeventlog.events",
        "__qualname__": camel_case(name),
        "__doc__": _class_doc(name, layouts, fields),
        "type": event_type,
        "type_id": int(event_type),
        "layouts": tuple(layouts),
        "_fields": tuple(f.attr for f in fields),
        "__match_args__": tuple(f.attr for f in fields),
        "_variable": variable,
        "_n_items": _N_COMMON + len(fields),
        "_payload_struct": _payload_struct(fields, layouts),
    }
    annotations: Dict[str, Any] = {}
    for i, f in enumerate(fields):
        in_all = all(any(g.attr == f.attr for g in lay.fields) for lay in layouts)
        ns[f.attr] = _tuplegetter(_N_COMMON + i, f"{f.name}: {f.kind.name.lower()}")
        t = f.python_type
        annotations[f.attr] = t if in_all else Optional[t]
    ns["__annotations__"] = annotations
    return type(camel_case(name), (Event,), ns)


def _payload_struct(fields: List[FieldInfo],
                    layouts: List[LayoutInfo]) -> Optional[struct.Struct]:
    """The big-endian struct of a payload made of exactly the class's fields, when
    a fixed layout has exactly these fields, all plain integers (then a payload
    of that layout's size need not be stored: it is the packed fields)."""
    attrs = [f.attr for f in fields]
    if not any(lay.size is not None and [f.attr for f in lay.fields] == attrs
               for lay in layouts):
        return None
    if not all(f.kind in INT_KINDS and not f.optional and not f.derived for f in fields):
        return None
    return struct.Struct(">" + "".join(_INT_CODES[f.kind.name] for f in fields))


def _class_doc(name: str, layouts: List[LayoutInfo], fields: List[FieldInfo]) -> str:
    sizes = ", ".join("variable" if lay.size is None else str(lay.size) for lay in layouts)
    lines = [f"Event {name} (id {layouts[0].id}; payload size {sizes}).", "", "Fields:"]
    for f in fields:
        extra = " (optional)" if f.optional else ""
        extra += " (derived)" if f.derived else ""
        lines.append(f"    {f.attr}: {f.kind.name.lower()}{extra}")
    return "\n".join(lines)


def _make_classes() -> Dict[str, type]:
    by_name: Dict[str, List[LayoutInfo]] = {}
    for lay in LAYOUTS:
        by_name.setdefault(lay.name, []).append(lay)
    return {camel_case(name): _make_class(name, lays) for name, lays in by_name.items()}


EVENT_CLASSES: Dict[str, type] = _make_classes()
CLASS_BY_LAYOUT: Dict[int, type] = {
    lay.index: EVENT_CLASSES[camel_case(lay.name)] for lay in LAYOUTS}
CLASS_BY_TYPE: Dict[int, type] = {cls.type_id: cls for cls in EVENT_CLASSES.values()}


def event_class(type_: Union[int, str]) -> type:
    """The class of an event type, by id, EventType, layout name or class name."""
    if isinstance(type_, str):
        if type_ in EVENT_CLASSES:
            return EVENT_CLASSES[type_]
        return CLASS_BY_TYPE[int(EventType[type_.upper()])]
    return CLASS_BY_TYPE[int(type_)]


if sys.version_info >= (3, 11):
    call = operator.call
else:  # pragma: no cover
    def call(f: Any, *args: Any) -> Any:
        return f(*args)


def type_ids(types: Iterable[Union[int, str, type]]) -> List[int]:
    """Event type ids from ids, EventType members, layout names (\"HEAP_LIVE\"),
    class names or event classes."""
    ids = []
    for t in types:
        if isinstance(t, type) and issubclass(t, Event):
            if not hasattr(t, "type_id") or isinstance(t.__dict__.get("type_id"), property):
                raise ValueError(f"{t.__name__} is not the class of one event type")
            ids.append(int(t.type_id))
        elif isinstance(t, str):
            try:
                ids.append(int(EventType[t.upper()]))
            except KeyError:
                ids.append(int(event_class(t).type_id))  # a class name; KeyError if unknown
        else:
            tid = int(t)
            if not 0 <= tid < 0xffff:
                raise ValueError(f"event type id out of range: {tid}")
            ids.append(tid)
    return ids


def keep_flags(types: Optional[Iterable[Union[int, str, type]]]) -> Any:
    """For elogpy_state.keep: uint8_t[65536] with 1 at the ids of `types`
    (as type_ids() takes them), or NULL for None (every type). The caller
    keeps the array alive as long as the state points at it."""
    if types is None:
        return ffi.NULL
    keep = ffi.new("uint8_t[]", 65536)
    for tid in type_ids(types):
        keep[tid] = 1
    return keep

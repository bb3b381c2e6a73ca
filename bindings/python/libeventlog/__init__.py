"""Python bindings for libeventlog, a decoder for GHC RTS eventlogs.

    import libeventlog

    with libeventlog.open("prog.eventlog") as log:      # plain or .gz
        for ev in log:                                   # typed, immutable events
            if ev.type == libeventlog.EventType.STOP_THREAD:
                print(ev.timestamp, ev.cap, ev.thread, ev.status)
        print(log.end)                                   # clean / truncated-...

    cols = libeventlog.read_columns("prog.eventlog", types=["HEAP_LIVE"],
                                    fields=["live_bytes"])   # fast path, no per-event Python

    dec = libeventlog.Decoder()                          # push decoder
    events = dec.feed(chunk); end = dec.finish()

    with libeventlog.Writer("out.eventlog") as w:        # write an eventlog
        w.header(log.header); w.copy(ev); w.event("USER_MSG", t, cap=0, message="hi")
    libeventlog.filter("in.eventlog", "out.eventlog", types=["USER_MSG"], caps=[0])
    libeventlog.merge(["a.eventlog", "b.eventlog"], "ab.eventlog")   # `eventlog merge`
    libeventlog.export("prog.eventlog", "trace.json", format="chrome")   # or ndjson, csv, html
    s = libeventlog.stats("prog.eventlog")              # `eventlog stats`: s.gc.pause_ns.p99

    with libeventlog.connect("unix:/tmp/ghc.sock") as conn:   # eventlog-socket, live
        conn.send_command("start-heap-profiling")
        an = conn.analysis()                         # stats() figures, fed in C as you iterate
        for ev in conn: ...
        print(an.snapshot().gc.pause_ns.p99)         # also open(path).analysis()

The event types, their classes (libeventlog.events) and fields are generated at
import time from the C library's catalogue.
"""
from __future__ import annotations

from ._catalogue import (LAYOUTS, NO_CAP, VARIABLE_SIZE, VERSION, Event, EventType, FieldInfo,
                         FieldKind, LayoutInfo, UnknownEvent, event_class)
from ._columns import Columns, read_columns
from ._decoder import Decoder, End, EndKind, EventTypeInfo, Header, decode
from ._errors import EventlogError, TruncatedEventlog
from ._export import export
from ._reader import EventlogReader, open
from ._socket import (EventlogConnection, Gap, Session, SocketError, connect, control_frame)
from ._writer import Writer, WriterError, filter
from ._merge import merge
from ._stats import Analysis, Stats, stats, stats_live
from . import events

__version__ = VERSION

__all__ = [
    "Decoder", "Header", "EventTypeInfo", "End", "EndKind", "decode",
    "open", "EventlogReader", "read_columns", "Columns",
    "Event", "UnknownEvent", "EventType", "FieldKind", "FieldInfo", "LayoutInfo",
    "LAYOUTS", "NO_CAP", "VARIABLE_SIZE", "event_class", "events",
    "EventlogError", "TruncatedEventlog",
    "export",
    "connect", "EventlogConnection", "Session", "Gap", "SocketError", "control_frame",
    "Writer", "WriterError", "filter", "merge",
    "stats", "stats_live", "Analysis", "Stats",
]

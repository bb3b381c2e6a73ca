"""The analysis layer (include/eventlog/analysis.h): `eventlog stats` from Python.

    s = libeventlog.stats("prog.eventlog")          # file (plain, .gz, .zst, .xz) or bytes
    s.heap.allocated_bytes, s.gc.pause_ns.p99, s.gc.generations[1].collections
    s.sparks            # None when the log has no spark counters
    s.end.kind          # "clean", "truncated-in-event", ...

    a = libeventlog.Analysis()                        # push: feed bytes as they come
    a.feed(chunk); print(a.snapshot().time.productivity); a.finish()

    s = libeventlog.stats("unix:/tmp/prog.sock", timeout=5.0)   # a live session
    for s in libeventlog.stats_live("unix:/tmp/prog.sock", interval=1.0): ...

    with libeventlog.connect("unix:/tmp/prog.sock") as conn:      # while iterating events
        an = conn.analysis()            # or libeventlog.open(path).analysis()
        for ev in conn: ...             # an.snapshot() at any moment

Events are decoded and analysed in C (no Python per event); each snapshot
crosses as the JSON object of `eventlog stats --json` and becomes the typed
objects below, whose fields are exactly its keys.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO, Dict, Iterator, List, Optional, Tuple, Union

from ._errors import EventlogError
from ._native import ffi, lib

HAVE_ANALYSIS = hasattr(lib, "elogpy_an_new")
_HAVE_SOCKET = hasattr(lib, "elogpy_socket_run")    # stats(address), stats_live()


@dataclass(frozen=True)
class Durations:
    total: int
    mean: int
    p50: int
    p90: int
    p99: int
    max: int


@dataclass(frozen=True)
class Generation:
    generation: int
    collections: int
    parallel: int
    copied_bytes: int
    pause_ns: Durations


@dataclass(frozen=True)
class GC:
    generations: List[Generation]
    pause_ns: Durations


@dataclass(frozen=True)
class Heap:
    allocated_bytes: int
    max_live_bytes: int
    max_size_bytes: int


@dataclass(frozen=True)
class Sparks:
    created: int
    converted: int
    overflowed: int
    dud: int
    gcd: int
    fizzled: int


@dataclass(frozen=True)
class Time:
    start_ns: int
    end_ns: int
    mutator_ns: int
    gc_ns: int
    productivity: float


@dataclass(frozen=True)
class Capability:
    cap: int
    mutator_ns: int
    gc_ns: int
    idle_ns: int


@dataclass(frozen=True)
class Thread:
    thread: int
    label: str
    runs: int
    running_ns: int
    stop_reasons: Dict[str, int]


@dataclass(frozen=True)
class Span:
    label: str
    count: int
    total_ns: int
    max_ns: int


@dataclass(frozen=True)
class StatsEnd:
    kind: str                       # "clean", "truncated-in-event", ..., "live"
    offset: Optional[int] = None
    event_id: Optional[int] = None
    bytes_missing: Optional[int] = None
    status: Optional[str] = None
    reason: Optional[str] = None

    @property
    def truncated(self) -> bool:
        return self.kind.startswith("truncated")


@dataclass(frozen=True)
class Stats:
    gc: GC
    heap: Heap
    sparks: Optional[Sparks]
    time: Time
    capabilities: List[Capability]
    threads: List[Thread]
    spans: List[Span]
    end: StatsEnd

    @classmethod
    def from_json(cls, d: Dict[str, Any]) -> "Stats":
        """From the object `eventlog stats --json` prints."""
        g = d["gc"]
        return cls(
            gc=GC([Generation(x["generation"], x["collections"], x["parallel"],
                              x["copied_bytes"], Durations(**x["pause_ns"]))
                   for x in g["generations"]], Durations(**g["pause_ns"])),
            heap=Heap(**d["heap"]),
            sparks=Sparks(**d["sparks"]) if "sparks" in d else None,
            time=Time(**d["time"]),
            capabilities=[Capability(**c) for c in d["capabilities"]],
            threads=[Thread(**t) for t in d["threads"]],
            spans=[Span(**s) for s in d["spans"]],
            end=StatsEnd(**d["end"]))


def _need() -> None:
    if not HAVE_ANALYSIS:
        raise RuntimeError("this libeventlog has no analysis layer (include/eventlog/analysis.h)")


#: How many ended streams Analysis.sessions and a connection's `sessions`
#: keep, the latest (memory stays bounded on a connection that reconnects
#: for ever; a Session's `number` still counts them all).
SESSIONS_KEPT = 256


class Analysis:
    """An elog_analysis: the figures of `eventlog stats`, computed in C.

    Two ways to feed it:

    - standalone, `Analysis()`: it has its own decoder; feed() it bytes,
      snapshot() any time, finish() at the end of the input;
    - attached to an event source: `conn.analysis()` on a
      `libeventlog.connect()` connection, `log.analysis()` on a
      `libeventlog.open()` reader, `dec.analysis()` on a Decoder (before
      their header is decoded). Every event the source decodes, while you
      iterate it, also goes to the analysis, in C (no Python per event); the
      iteration still yields every event. See EventlogConnection.analysis().

    Limits (elog_analysis_config; memory stays bounded whatever the log):
    `max_threads` finished threads listed individually (default 256; the
    alive ones always are), `max_labels` span labels (default 64; more are
    counted under "other"), `max_open_spans` STARTs awaiting their STOP
    (default 4096; more count as unmatched). The same keywords are taken by
    the sources' analysis().

    snapshot() returns the figures so far as a Stats (intervals still open
    are closed at the latest timestamp; `end.kind` is "live" until the input
    ended). It may be called at any moment, also from another thread (it
    then waits for the source's decoding call in progress: at most about
    100 ms for a connection).
    """

    def __init__(self, *, max_threads: Optional[int] = None, max_labels: Optional[int] = None,
                 max_open_spans: Optional[int] = None) -> None:
        _need()
        self._limits = _limits(max_threads, max_labels, max_open_spans)
        cfg = ffi.new("elog_analysis_config *")
        lib.elog_analysis_config_init(cfg)
        for name, value in self._limits.items():
            setattr(cfg, name, value)
        p = lib.elogpy_an_new(cfg)
        if p == ffi.NULL:
            raise MemoryError("libeventlog: out of memory")
        self._p = ffi.gc(p, lib.elogpy_an_free)
        self._finished = False
        self._lock: Any = threading.Lock()   # an attached one: the source's lock
        self._attached = False
        self._headers_ended = 0
        # snapshot() from other threads of an attached analysis: the source's
        # decoding loop lets them have its lock first (see _let_snapshots_in)
        self._waiting = 0
        self._wait_lock = threading.Lock()
        self._served = threading.Event()
        #: The final figures of each input stream that ended, in order: for a
        #: connection one per session that delivered a header (the figures of
        #: a session are never mixed with another's), for a reader one. The
        #: latest SESSIONS_KEPT only: a connection that reconnects for days
        #: does not keep every session's figures.
        self.sessions: List[Stats] = []

    @classmethod
    def _attach(cls, state: Any, lock: Any, **limits: Optional[int]) -> "Analysis":
        """An analysis fed by the decoder callbacks of `state` (an
        elogpy_state; before its header is decoded). The caller keeps the
        analysis alive as long as the state, and holds `lock` (the one held
        while the state decodes) around _ended()."""
        an = cls(**limits)
        lib.elogpy_an_attach(an._p, state)
        an._attached = True
        an._lock = lock
        return an

    def _ended(self, end: Any, decoder: Any, session: bool = False) -> Optional[Stats]:
        """The attached source's stream ended (`end`: the C elog_end; the
        source's lock is held): returns its final figures, also appended to
        `sessions`. A socket `session` that delivered no header is not
        reported (None; the figures of the previous one stay); a file's end
        always is (empty, cut inside the header)."""
        headers = int(lib.elogpy_an_headers(self._p))
        if session and headers == self._headers_ended:
            return None
        lib.elogpy_an_end(self._p, end, decoder if decoder is not None else ffi.NULL)
        self._headers_ended = headers
        final = self._snapshot()
        self.sessions.append(final)
        del self.sessions[:-SESSIONS_KEPT]
        return final

    @property
    def streams(self) -> int:
        """Attached: how many streams have started (a header decoded: one
        per connection session that delivered one, one per Decoder stream
        after reset()); snapshot() is of the latest. 0 before the first."""
        return int(lib.elogpy_an_headers(self._p))

    @property
    def attached(self) -> bool:
        """Whether a reader or a connection feeds it (feed() is then refused)."""
        return self._attached

    def feed(self, data: Union[bytes, bytearray, memoryview]) -> None:
        """Decodes and analyses `data`. A decode error is not raised here: it
        ends the input, and finish()/snapshot().end report it."""
        if self._attached:
            raise ValueError("feed(): this analysis is fed by the reader or connection "
                             "it is attached to")
        with self._lock:
            if self._finished:
                raise ValueError("feed() after finish()")
            buf = ffi.from_buffer(data)
            lib.elogpy_an_feed(self._p, ffi.cast("const uint8_t *", buf), len(buf))

    def finish(self) -> Stats:
        """Classifies how the input ended; returns the final snapshot."""
        if self._attached:
            raise ValueError("finish(): the reader or connection this analysis is "
                             "attached to says when its input ends")
        with self._lock:
            if not self._finished:
                lib.elogpy_an_finish(self._p)
                self._finished = True
            return self._snapshot()

    def snapshot(self) -> Stats:
        """The figures so far; intervals still open are closed at the latest
        timestamp. Attached to a connection with reconnect=True: those of the
        current session (from its header on), or of the latest one that ended
        until the next one's header arrives."""
        if not self._attached:
            with self._lock:
                return self._snapshot()
        # The source holds its lock while it decodes and takes it again at
        # once (Python's locks are not fair): say we wait, so that it lets us
        # in between two of its decoding calls.
        with self._wait_lock:
            self._waiting += 1
            self._served.clear()
        try:
            with self._lock:
                return self._snapshot()
        finally:
            with self._wait_lock:
                self._waiting -= 1
                self._served.set()

    def _let_snapshots_in(self) -> None:
        """Called by the source's decoding loop before it takes its lock: if
        another thread waits in snapshot(), let it have the lock first (for
        at most 50 ms)."""
        if self._waiting:
            self._served.wait(0.05)

    def _snapshot(self) -> Stats:
        n = ffi.new("size_t *")
        js = lib.elogpy_an_json(self._p, n)
        if js == ffi.NULL:
            raise MemoryError("libeventlog: out of memory")
        try:
            text = ffi.unpack(js, n[0])
        finally:
            lib.elogpy_an_free_json(js)
        return Stats.from_json(json.loads(text))

    def __repr__(self) -> str:
        how = "attached" if self._attached else "standalone"
        return f"<libeventlog.Analysis {how}, {len(self.sessions)} ended>"


def _limits(max_threads: Optional[int], max_labels: Optional[int],
            max_open_spans: Optional[int]) -> Dict[str, int]:
    """The elog_analysis_config fields given (the others keep their defaults)."""
    out: Dict[str, int] = {}
    for name, value in (("max_threads", max_threads), ("max_labels", max_labels),
                        ("max_open_spans", max_open_spans)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 0xFFFFFFFF:
            raise ValueError(f"{name} must be an int between 1 and 4294967295, not {value!r}")
        out[name] = value
    return out


def attach(decoder: Any, lock: Any, what: str, max_threads: Optional[int] = None,
           max_labels: Optional[int] = None, max_open_spans: Optional[int] = None) -> Analysis:
    """The analysis of a reader's or a connection's Decoder (created at the
    first call, then the same one)."""
    _need()
    limits = _limits(max_threads, max_labels, max_open_spans)
    an = getattr(decoder, "_analysis", None)
    if an is not None:
        if limits and limits != {k: an._limits.get(k) for k in limits}:
            raise ValueError(f"analysis(): this {what} already has an analysis with other "
                             f"limits ({an._limits or 'the defaults'})")
        return an  # type: ignore[no-any-return]
    state = decoder._state
    if state is None:
        raise ValueError(f"analysis(): the {what} is closed")
    if state.header_ready:
        raise ValueError(f"analysis(): call it before iterating the {what}: the analysis "
                         f"must see the stream from its header on")
    an = Analysis._attach(state, lock, **limits)
    decoder._analysis = an       # the decoder's C state points at it
    return an


def _is_socket(source: Any) -> bool:
    return isinstance(source, str) and (source.startswith("unix:") or source.startswith("tcp:"))


def _live(address: str, connect_timeout: Optional[float]) -> Tuple[Any, Analysis]:
    """A connection that yields no event (types=()) with an analysis attached:
    every event is decoded and analysed in C, none is built in Python. The
    decoder options are those of `eventlog stats`."""
    from ._socket import connect
    conn = connect(address, connect_timeout=connect_timeout, types=(),
                   continue_after_end=True, lenient_blocks=True)
    try:
        return conn, conn.analysis()
    except BaseException:
        conn.close()
        raise


def stats(source: Union[str, "os.PathLike[str]", bytes, bytearray, BinaryIO], *,
          timeout: Optional[float] = None, connect_timeout: Optional[float] = 10.0) -> Stats:
    """The `eventlog stats` figures of a whole input: a path (plain, gzip,
    zstd or xz, as open() reads it; a compressed file cut short is analysed
    as far as it goes), a binary file object, the bytes of an eventlog, or a
    socket address (unix:PATH, tcp:HOST:PORT)
    read until the session ends or `timeout` seconds pass (the snapshot then
    says end.kind "live"). Connecting to an address retries for up to
    `connect_timeout` seconds, then raises SocketError, as connect()."""
    if isinstance(source, (bytes, bytearray)):
        a = Analysis()
        a.feed(source)
        return a.finish()
    if _is_socket(source):
        conn, an = _live(str(source), connect_timeout)
        with conn:
            try:
                conn._drive(timeout)
            except EventlogError:
                pass        # corrupt input: the snapshot's `end` says where and why
            return an.snapshot()
    from ._source import HAVE_C_READER, is_path
    if is_path(source) and HAVE_C_READER:
        return _stats_path(source)
    # A file object (or no C reader): read by open(), its events decoded for
    # the analysis only.
    from ._reader import open as open_log
    with open_log(source, types=(), continue_after_end=True, lenient_blocks=True) as log:
        an = log.analysis()
        try:
            for _ in log:
                pass
        except EventlogError:
            pass    # corrupt input: the snapshot's `end` says where and why
    return an.snapshot()


def _stats_path(path: Any) -> Stats:
    """A path read (and decompressed: gzip, zstd, xz; a compressed file cut
    short as far as it goes) by the C reader straight into the analysis's own
    decoder, as `eventlog stats` reads it: no Python per event, nor per
    event type."""
    from ._source import CReader, reader_failure
    a = Analysis()
    reader = CReader(path)
    try:
        end_p = ffi.new("elog_end *")
        dec = lib.elogpy_an_decoder(a._p)
        while True:
            st = reader.run(dec, end_p)
            if st != lib.ELOG_READER_PAUSED:
                break
        if st == lib.ELOG_READER_E_USAGE:  # pragma: no cover - a fresh decoder
            raise RuntimeError(reader.error())
        lib.elogpy_an_finished(a._p, end_p)    # the reader finished the decoder
        if st not in (lib.ELOG_READER_OK, lib.ELOG_READER_E_DECODE, lib.ELOG_READER_E_GZIP):
            raise reader_failure(st, reader.error(), end_p[0])
    finally:
        reader.close()
    return a.snapshot()


def stats_live(address: str, *, interval: float = 1.0,
               connect_timeout: Optional[float] = 10.0) -> Iterator[Stats]:
    """Snapshots of a live session every `interval` seconds, then the final
    one when the session ends. (The same as connect(address, types=()) with
    its analysis() driven in between: see EventlogConnection.analysis().)"""
    if interval <= 0:
        raise ValueError("interval must be > 0 seconds")
    conn, an = _live(address, connect_timeout)
    with conn:
        done = False
        while not done:
            try:
                done = conn._drive(interval)
            except EventlogError:
                done = True
            yield an.snapshot()

"""libeventlog.connect(): the live eventlog of a program instrumented with
eventlog-socket, over the C client (include/eventlog/socket.h).

The client's decoder runs the same records-mode C callbacks as a Decoder (its
events are batched in C and built with one unpack and one call each); the
session callbacks (once per connection) run in Python. The blocking wait is
elog_socket_run() with a short timeout, called without the GIL, so stop() and
send_command() from other threads take effect within about 100 ms.
"""
from __future__ import annotations

import os
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, List, Optional, Tuple, Union, Dict

from ._catalogue import Event
from ._decoder import Decoder, End, Header, check_end
from ._errors import EventlogError
from ._native import ffi, lib

if TYPE_CHECKING:  # pragma: no cover
    from ._stats import Analysis, Stats

__all__ = ["connect", "EventlogConnection", "Session", "Gap", "SocketError",
           "control_frame", "HAVE_SOCKET"]

HAVE_SOCKET: bool = hasattr(lib, "elog_socket_run") or hasattr(lib, "elogpy_socket_run")

_RUN_SLICE_MS = 100     # longest blocking C call: bounds stop() and send_command()


class SocketError(ConnectionError):
    """The socket client failed: could not connect, a read or a send failed.
    `status` is the C status name (e.g. "ELOG_SOCKET_E_CONNECT"); the message is
    the client's sentence ("could not connect to unix:/tmp/x after ...")."""

    def __init__(self, message: str, status: str = "", errno_: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.errno = errno_ or None


@dataclass(frozen=True)
class Gap:
    """The gap between two sessions (elog_socket_gap): events the program wrote
    while no client was connected are lost."""

    prev_session: int
    session: int
    prev_max_time: int      # largest event time of the previous session (ns)
    first_time: int         # first event time of the new session (ns)
    gap_ns: int             # first_time - prev_max_time (negative: the clock restarted)
    disconnected_ns: int    # wall time from the end of the previous session to this one


@dataclass
class Session:
    """One connection. `end` (an End, offsets counted from "hdrb") is set when
    the session ended; `skipped` is the bytes before "hdrb" that were skipped."""

    number: int
    address: str
    skipped: int = 0
    gap: Optional[Gap] = None
    end: Optional[End] = None
    bytes: int = 0
    events: int = 0
    first_time: Optional[int] = None
    max_time: Optional[int] = None
    error: int = 0          # errno that ended it (0: orderly end of stream)
    header: Optional[Header] = field(default=None, repr=False)
    # with conn.analysis(): the session's final figures (None: no analysis,
    # or the session delivered no header)
    stats: Optional["Stats"] = field(default=None, repr=False)

    @property
    def end_class(self) -> Optional[str]:
        return self.end.end_class if self.end is not None else None

    @property
    def offset(self) -> Optional[int]:
        return self.end.offset if self.end is not None else None

    @property
    def clean(self) -> bool:
        return self.end is not None and self.end.clean

    def _update(self, ss: Any) -> None:
        self.bytes = int(ss.bytes)
        self.events = int(ss.events)
        self.error = int(ss.error)
        if ss.has_time:
            self.first_time = int(ss.first_time)
            self.max_time = int(ss.max_time)


def _status_name(st: int) -> str:
    return ffi.string(lib.elog_socket_status_name(st)).decode("ascii")


def _control_message(e: int) -> str:
    return ffi.string(lib.elog_control_error_message(e)).decode("utf-8", "replace")


def _command(name_or_ns: Union[str, bytes], id: Optional[int]) -> Tuple[bytes, int]:
    """(namespace, id) of a command, validated by the C functions (ValueError
    with the C message otherwise)."""
    if id is None:
        if not isinstance(name_or_ns, (str, bytes)):
            raise TypeError("send_command: expected a command name or (namespace, id)")
        text = os.fsencode(name_or_ns) if isinstance(name_or_ns, str) else name_or_ns
        if b"\0" in text:
            raise ValueError(f"invalid command {name_or_ns!r}: contains a NUL byte")
        cmd = ffi.new("elog_control_command *")
        e = lib.elog_control_parse_command(text, cmd)
        if e != lib.ELOG_CONTROL_OK:
            raise ValueError(f"invalid command {name_or_ns!r}: {_control_message(e)}")
        return ffi.unpack(ffi.cast("char *", cmd.ns.ptr), cmd.ns.len), int(cmd.id)
    ns = name_or_ns.encode("utf-8") if isinstance(name_or_ns, str) else bytes(name_or_ns)
    if isinstance(id, bool) or not isinstance(id, int):
        raise TypeError(f"command id must be an int, not {type(id).__name__}")
    e = lib.elog_control_validate(ns, len(ns), id if 0 <= id <= 0xFFFFFFFF else 0)
    if e != lib.ELOG_CONTROL_OK:
        raise ValueError(f"invalid command ({ns!r}, {id}): {_control_message(e)}")
    return ns, id


def control_frame(name_or_ns: Union[str, bytes], id: Optional[int] = None) -> bytes:
    """The bytes of a control frame, as send_command() sends them: a built-in
    name ("start-heap-profiling", "startHeapProfiling"), "NAMESPACE:ID", or
    (namespace, id). Raises ValueError (the C message) for an invalid command."""
    ns, ident = _command(name_or_ns, id)
    buf = ffi.new("uint8_t[]", lib.ELOG_CONTROL_FRAME_MAX)
    n = ffi.new("size_t *")
    e = lib.elog_control_build(buf, lib.ELOG_CONTROL_FRAME_MAX, ns, len(ns), ident, n)
    if e != lib.ELOG_CONTROL_OK:  # pragma: no cover - validated above
        raise ValueError(_control_message(e))
    return ffi.unpack(ffi.cast("char *", buf), n[0])


def _parse_address(address: Optional[str]) -> Tuple[Any, str]:
    addr = ffi.new("elog_socket_addr *")
    err = ffi.new("char[]", lib.ELOG_SOCKET_ERRLEN)
    if address is None:
        st = lib.elog_socket_addr_from_env(addr, err, lib.ELOG_SOCKET_ERRLEN)
    else:
        text = os.fsencode(address)
        if b"\0" in text:
            raise ValueError(f"invalid address {address!r}: contains a NUL byte")
        st = lib.elog_socket_addr_parse(addr, text, err, lib.ELOG_SOCKET_ERRLEN)
    if st != lib.ELOG_SOCKET_OK:
        raise ValueError(ffi.string(err).decode("utf-8", "replace"))
    out = ffi.new("char[]", lib.ELOG_SOCKET_ADDR_STRLEN)
    lib.elog_socket_addr_format(addr, out, lib.ELOG_SOCKET_ADDR_STRLEN)
    return addr, ffi.string(out).decode("utf-8", "surrogateescape")


def _ms(seconds: Optional[float], name: str, none: int = 0) -> int:
    if seconds is None:
        return none
    if seconds < 0:
        raise ValueError(f"{name} must be >= 0")
    return min(0xFFFFFFFF, max(1, round(seconds * 1000))) if seconds > 0 else 0


# the C client -> its connection (the session callbacks find it here)
_CONNECTIONS: "weakref.WeakValueDictionary[int, EventlogConnection]" = \
    weakref.WeakValueDictionary()


def _owner(s: Any) -> Optional["EventlogConnection"]:
    return _CONNECTIONS.get(int(ffi.cast("uintptr_t", s)))


def _guard(fn: Any) -> Any:
    """Session callbacks: an exception is kept and re-raised by the iteration."""
    def wrapper(s: Any, *args: Any) -> None:
        conn = _owner(s)
        if conn is None:  # pragma: no cover - being destroyed
            return
        try:
            fn(conn, *args)
        except BaseException as exc:
            if conn._callback_error is None:
                conn._callback_error = exc
    wrapper.__name__ = fn.__name__
    return wrapper


if HAVE_SOCKET:
    @ffi.def_extern()
    @_guard
    def elogpy_py_connected(conn: "EventlogConnection", ss: Any) -> None:
        conn._on_connected(ss)

    @ffi.def_extern()
    @_guard
    def elogpy_py_disconnected(conn: "EventlogConnection", ss: Any, end: Any) -> None:
        conn._on_disconnected(ss, end)

    @ffi.def_extern()
    @_guard
    def elogpy_py_gap(conn: "EventlogConnection", gap: Any) -> None:
        conn._on_gap(gap)

    @ffi.def_extern()
    @_guard
    def elogpy_py_skipped(conn: "EventlogConnection", ss: Any, nbytes: int) -> None:
        conn._on_skipped(ss, nbytes)


class EventlogConnection:
    """A connection to an eventlog-socket server: a context manager and an
    iterator of events, across sessions (see connect())."""

    def __init__(self, address: Optional[str] = None, *, reconnect: bool = False,
                 connect_timeout: Optional[float] = 10.0, max_attempts: Optional[int] = None,
                 retry_delay: float = 0.1, max_retry_delay: float = 2.0,
                 attempt_timeout: float = 5.0, send_timeout: float = 5.0,
                 healthy_session: float = 5.0, jitter: float = 0.2,
                 max_skip: int = 65536, read_size: int = 65536, strict: bool = False,
                 continue_after_end: bool = False, lenient_blocks: bool = False,
                 batch_events: int = 512,
                 types: Optional[Iterable[Union[int, str, type]]] = None,
                 window: Optional[float] = None) -> None:
        if not HAVE_SOCKET:
            raise RuntimeError("libeventlog was built without the eventlog-socket client")
        self._sock: Any = None
        self._lock = threading.Lock()
        self._addr, self.address = _parse_address(address)
        self.reconnect = reconnect
        self.strict = strict
        self.sessions: List[Session] = []
        self.error: Optional[str] = None    # why the last reconnect cycle gave up
        self._callback_error: Optional[BaseException] = None
        self._pending: List[List[Event]] = []
        self._ends: List[End] = []           # session ends not yet checked (strict)
        self._stopped = False
        self._closed = False
        opts = ffi.new("elog_socket_options *")
        lib.elog_socket_options_init(opts)
        opts.reconnect = bool(reconnect)
        opts.max_wait_ms = _ms(connect_timeout, "connect_timeout")
        if max_attempts is not None and max_attempts < 1:
            raise ValueError("max_attempts must be >= 1 (None: no limit)")
        opts.max_attempts = 0 if max_attempts is None else min(int(max_attempts), 0xFFFFFFFF)
        opts.initial_delay_ms = _ms(retry_delay, "retry_delay")
        opts.max_delay_ms = max(opts.initial_delay_ms, _ms(max_retry_delay, "max_retry_delay"))
        opts.connect_timeout_ms = _ms(attempt_timeout, "attempt_timeout")
        opts.healthy_session_ms = _ms(healthy_session, "healthy_session")
        if not 0 <= jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")
        opts.jitter_percent = round(jitter * 100)
        opts.send_timeout_ms = _ms(send_timeout, "send_timeout")
        if max_skip < 0 or read_size < 64:
            raise ValueError("max_skip must be >= 0 and read_size >= 64")
        opts.max_skip = min(int(max_skip), 0xFFFFFFFF)
        opts.read_size = int(read_size)
        self._decoder = Decoder(continue_after_end=continue_after_end,
                                lenient_blocks=lenient_blocks, batch_events=batch_events,
                                types=types)
        if window is not None:
            if window < 0:
                raise ValueError("window must be >= 0 milliseconds (None: no reordering)")
            if lib.elogpy_window_enable(self._decoder._state, int(window * 1e6), 0):
                self._decoder.close()
                raise MemoryError("libeventlog: cannot allocate the reordering window")
        self.window = window
        self._stop = ffi.new("elogpy_flag *")
        sock = lib.elogpy_socket_new(self._decoder._state, self._addr, opts)
        if sock == ffi.NULL:
            self._decoder.close()
            raise MemoryError("libeventlog: cannot create the socket client")
        self._sock = sock
        _CONNECTIONS[int(ffi.cast("uintptr_t", sock))] = self
        try:
            # In slices: between them Python runs its signal handlers, so
            # Ctrl-C raises KeyboardInterrupt at once (and closes us below).
            while True:
                with self._lock:
                    st = lib.elog_socket_connect_for(sock, _RUN_SLICE_MS)
                if st != lib.ELOG_SOCKET_TIMEOUT:
                    break
            if st != lib.ELOG_SOCKET_OK:
                raise self._failure(st)
            self._raise_callback_error()
        except BaseException:
            self.close()
            raise
        self._gen = self._events()

    # -- properties -----------------------------------------------------------
    @property
    def session(self) -> int:
        """The number of the current (or latest) session: 1, 2, ..."""
        return self.sessions[-1].number if self.sessions else 0

    @property
    def header(self) -> Optional[Header]:
        """The current session's header, once decoded."""
        return self._decoder.header

    @property
    def end(self) -> Optional[End]:
        """The End of the latest session that ended."""
        for s in reversed(self.sessions):
            if s.end is not None:
                return s.end
        return None

    @property
    def gap(self) -> Optional[Gap]:
        """The gap before the current session (None for the first one)."""
        return self.sessions[-1].gap if self.sessions else None

    @property
    def connected(self) -> bool:
        return (self._sock is not None
                and lib.elog_socket_get_state(self._sock) == lib.ELOG_SOCKET_STATE_CONNECTED)

    # -- iteration ----------------------------------------------------------------
    def __iter__(self) -> Iterator[Event]:
        return self._gen

    def __next__(self) -> Event:
        return next(self._gen)

    def read_all(self) -> List[Event]:
        return list(self._gen)

    def analysis(self, *, max_threads: Optional[int] = None,
                 max_labels: Optional[int] = None,
                 max_open_spans: Optional[int] = None) -> "Analysis":
        """The `eventlog stats` analyses of this connection, run as you iterate it:

            with libeventlog.connect("unix:/tmp/ghc.sock", reconnect=True) as conn:
                an = conn.analysis()
                for ev in conn:                  # every event is still yielded
                    ...
                    print(an.snapshot().heap.max_live_bytes)   # at any moment
                print([s.stats.gc.pause_ns.p99 for s in conn.sessions if s.stats])

        Every event the connection decodes also goes to an elog_analysis, in
        C on the client's decoder callback (no Python per event). With
        `types=`, the types the analysis reads are decoded for it too, but
        only `types` are yielded: connect(addr, types=()) yields nothing and
        spends no Python time per event. With `window=`, the analysis sees
        the events as they arrive (before the reordering window), so its
        figures are those of libeventlog.stats() on the same bytes.

        Call it before iterating (the analysis must see the session's
        header); later calls return the same Analysis. snapshot() covers the
        events decoded so far (up to a batch ahead of the iteration).

        Sessions: every session (reconnect=True) is a new eventlog, perhaps
        of another run of the program, so the figures are per session, never
        mixed: when a session's header arrives the analysis starts afresh.
        When a session ends, its final Stats (with `end` saying how it ended)
        is kept in that Session's `stats` and appended to the analysis's
        `sessions`; snapshot() keeps returning it until the next session's
        header arrives. Connections that delivered no header are skipped.
        """
        from ._stats import attach
        if self._closed:
            raise ValueError("analysis(): the connection is closed")
        return attach(self._decoder, self._lock, "connection", max_threads, max_labels,
                      max_open_spans)

    def stop(self) -> None:
        """Ends the iteration (within about 100 ms): the current session is
        closed and reported. Safe from another thread or a signal handler."""
        self._stopped = True
        stop = getattr(self, "_stop", None)
        if stop is not None:
            lib.elogpy_flag_set(stop, 1)

    def send_command(self, name_or_ns: Union[str, bytes], id: Optional[int] = None) -> None:
        """Sends a control command to the program: a built-in name
        ("start-heap-profiling" or "startHeapProfiling"), "NAMESPACE:ID", or a
        namespace and an id (send_command("my-app", 42)). Invalid input raises
        ValueError before anything is sent; a failed send raises SocketError."""
        ns, ident = _command(name_or_ns, id)
        with self._lock:
            if self._sock is None:
                raise SocketError("the connection is closed", "ELOG_SOCKET_CLOSED")
            st = lib.elog_socket_send_control(self._sock, ns, len(ns), ident)
            if st == lib.ELOG_SOCKET_E_ARG:  # pragma: no cover - validated above
                raise ValueError(self._message())
            if st != lib.ELOG_SOCKET_OK:
                raise self._failure(st)

    def close(self) -> None:
        """Closes the connection and frees the client."""
        gen = getattr(self, "_gen", None)
        if gen is not None:
            gen.close()
        with self._lock:
            sock, self._sock = self._sock, None
            if sock is not None:
                _CONNECTIONS.pop(int(ffi.cast("uintptr_t", sock)), None)
                lib.elog_socket_free(sock)
        dec = getattr(self, "_decoder", None)
        if dec is not None:
            dec.close()
        self._closed = True

    def __enter__(self) -> "EventlogConnection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._sock is not None:
                self.close()
        except Exception:  # pragma: no cover
            pass

    def __repr__(self) -> str:
        return f"<libeventlog.EventlogConnection {self.address} session={self.session}>"

    # -- internals --------------------------------------------------------------
    def _message(self) -> str:
        if self._sock is None:
            return ""
        return ffi.string(lib.elog_socket_error_message(self._sock)).decode("utf-8", "replace")

    def _failure(self, st: int) -> BaseException:
        msg = self._message() or _status_name(st)
        if st == lib.ELOG_SOCKET_E_ADDRESS:
            return ValueError(msg)
        if st == lib.ELOG_SOCKET_E_NOMEM:
            return MemoryError(msg)
        errno_ = int(lib.elog_socket_errno(self._sock)) if self._sock is not None else 0
        return SocketError(msg, _status_name(st), errno_)

    def _raise_callback_error(self) -> None:
        if self._callback_error is not None:
            exc, self._callback_error = self._callback_error, None
            raise exc

    def _decode_error(self) -> BaseException:
        d = lib.elog_socket_decoder(self._sock)
        from ._decoder import status_name
        reason = ffi.string(lib.elog_get_error_reason(d)).decode("utf-8", "replace")
        return EventlogError(int(lib.elog_get_error_offset(d)), reason,
                             status_name(lib.elog_get_error(d)))

    def _on_connected(self, ss: Any) -> None:
        addr = ffi.string(ss.address).decode("utf-8", "surrogateescape") \
            if ss.address != ffi.NULL else self.address
        self._decoder._header = None
        from ._stats import SESSIONS_KEPT   # (at call time: _stats imports this module)
        self.sessions.append(Session(int(ss.number), addr))
        del self.sessions[:-SESSIONS_KEPT]

    def _current(self, ss: Any) -> Session:
        if not self.sessions or self.sessions[-1].number != ss.number:  # pragma: no cover
            self._on_connected(ss)
        return self.sessions[-1]

    def _on_skipped(self, ss: Any, nbytes: int) -> None:
        self._current(ss).skipped = int(nbytes)

    def _on_gap(self, g: Any) -> None:
        gap = Gap(int(g.prev_session), int(g.session), int(g.prev_max_time),
                  int(g.first_time), int(g.gap_ns), int(g.disconnected_ns))
        for s in reversed(self.sessions):
            if s.number == gap.session:
                s.gap = gap
                break

    @property
    def window_stats(self) -> Dict[str, int]:
        """connect(window=MS): events pushed into the reordering window,
        released from it, `late` (arrived after the window had moved past
        them: yielded at once, out of time order, never dropped),
        `max_late_ns` (how far behind the latest one was) and `held` now."""
        out = ffi.new("uint64_t[5]")
        if self._decoder._state is not None:
            lib.elogpy_window_stats(self._decoder._state, out)
        return dict(zip(("pushed", "released", "late", "max_late_ns", "held"),
                        (int(v) for v in out)))

    @property
    def late_events(self) -> int:
        """connect(window=MS): events that arrived too late to be put in order
        (see window_stats)."""
        return self.window_stats["late"]

    def _on_disconnected(self, ss: Any, end: Any) -> None:
        # what the window holds goes out in order before the session's end
        if self._decoder._state is not None and self.window is not None:
            if lib.elogpy_window_flush(self._decoder._state) != 0:
                self._callback_error = MemoryError(
                    "libeventlog: out of memory releasing the reordering window")
        # the session's last events, built with its header before the next one
        if self._decoder._state is not None and self._decoder._state.n:
            self._pending.append(self._decoder._drain())
        s = self._current(ss)
        s._update(ss)
        s.end = End._from_c(end)
        s.header = self._decoder.header
        an = self._decoder._analysis
        if an is not None:
            final = an._ended(end, lib.elog_socket_decoder(self._sock) if self._sock is not None
                              else None, session=True)
            if final is not None:
                s.stats = final
        if not (self.reconnect and s.bytes == 0):   # a connection that got nothing
            self._ends.append(s.end)

    def _take_pending(self) -> List[List[Event]]:
        out, self._pending = self._pending, []
        if self._decoder._state is not None and self._decoder._state.n:
            out.append(self._decoder._drain())
        return out

    def _check_ends(self) -> None:
        ends, self._ends = self._ends, []
        for e in ends:
            check_end(e, self.strict)

    def _step(self) -> Optional[Tuple[List[List[Event]], bool, Optional[BaseException]]]:
        """Reads and decodes for at most one slice (_RUN_SLICE_MS): the
        batches of events built, whether the iteration is over, and the error
        to raise after the batches; None if the connection is closed."""
        done = False
        err: Optional[BaseException] = None
        an = self._decoder._analysis
        if an is not None:
            an._let_snapshots_in()
        with self._lock:
            if self._sock is None:
                return None
            st = lib.elogpy_socket_run(self._sock, self._stop, _RUN_SLICE_MS)
            if st == lib.ELOG_SOCKET_STOPPED:
                lib.elog_socket_close(self._sock)   # reports the session's end
            batches = self._take_pending()
            if st in (lib.ELOG_SOCKET_PAUSED, lib.ELOG_SOCKET_TIMEOUT, lib.ELOG_SOCKET_OK):
                pass
            elif st in (lib.ELOG_SOCKET_STOPPED, lib.ELOG_SOCKET_EOF,
                        lib.ELOG_SOCKET_CLOSED):
                done = True
            elif st == lib.ELOG_SOCKET_E_DECODE:
                err = self._decode_error()
                done = True
            elif (st in (lib.ELOG_SOCKET_E_CONNECT, lib.ELOG_SOCKET_E_ADDRESS)
                  and self.reconnect and self.sessions):
                self.error = self._message()   # no more sessions: the program is gone
                done = True
            else:
                err = self._failure(st)
                done = True
        return batches, done, err

    def _events(self) -> Iterator[Event]:
        done = False
        while not done:
            step = self._step()
            if step is None:
                return
            batches, done, err = step
            for batch in batches:
                yield from batch
            self._after_step(err)

    def _after_step(self, err: Optional[BaseException]) -> None:
        """Raises what a step left: a callback's exception, an end that
        strict mode refuses, or the decode error `err`."""
        self._raise_callback_error()
        self._check_ends()
        if err is not None:
            try:
                raise err
            finally:
                err = None

    def _drive(self, seconds: Optional[float]) -> bool:
        """Reads and decodes without yielding, for `seconds` (None: until the
        iteration is over), dropping the events built: for an attached
        analysis on a connection that selects no type (stats_live()).
        Returns True once the iteration is over."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            step = self._step()
            if step is None:
                return True
            _, done, err = step
            self._after_step(err)
            if done:
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False


def connect(address: Optional[str] = None, *, reconnect: bool = False,
            connect_timeout: Optional[float] = 10.0, max_attempts: Optional[int] = None,
            retry_delay: float = 0.1, max_retry_delay: float = 2.0,
            attempt_timeout: float = 5.0, send_timeout: float = 5.0,
            healthy_session: float = 5.0, jitter: float = 0.2, max_skip: int = 65536,
            strict: bool = False, continue_after_end: bool = False,
            lenient_blocks: bool = False,
            types: Optional[Iterable[Union[int, str, type]]] = None,
            window: Optional[float] = None) -> EventlogConnection:
    """Connects to a program instrumented with eventlog-socket and iterates over
    its live events (the same classes as open()):

        with libeventlog.connect("unix:/tmp/ghc.sock", reconnect=True) as conn:
            conn.send_command("start-heap-profiling")
            for ev in conn:
                ...
            print(conn.sessions)          # Session(number, skipped, gap, end, ...)

    conn.sessions holds the latest 256 sessions (SESSIONS_KEPT), so that a
    connection reconnecting for days stays bounded; their numbers count all.

    address: "unix:PATH", "tcp:HOST:PORT" ("tcp:[::1]:PORT"), or None for the
        program's GHC_EVENTLOG_UNIX_PATH / GHC_EVENTLOG_INET_HOST+PORT. A
        malformed address raises ValueError.
    Connecting retries (first at once, then after retry_delay doubling up to
        max_retry_delay) for up to connect_timeout seconds (None: forever) or
        max_attempts attempts; attempt_timeout bounds one TCP attempt. Failure
        raises SocketError (a ConnectionError) with the C client's sentence.
    reconnect: after a session ends, connect again (each connection is a new
        session with its own header; the iteration ends when a reconnect cycle
        gives up, with `error` saying why). Without it, the iteration ends with
        the session. A session that delivered events and lasted healthy_session
        seconds is followed by an immediate reconnect; after n consecutive
        shorter (or failed) ones, the reconnect waits retry_delay * 2**(n-1),
        at most max_retry_delay, so a peer that closes at once is not hammered.
        Every delay is shortened by a random part of up to `jitter` (a
        fraction) of itself.
    strict: raise TruncatedEventlog after a session that ended truncated (with
        reconnect, connections that received no byte are not checked).
    types: yield only events of these types, as for open(): the others are
        stepped over in C without being decoded.
    window: milliseconds of eventlog time to hold events back so that those
        of different capabilities (whose buffers GHC flushes at different
        times) are yielded in time order (elog_window, include/eventlog/
        order.h; at most 16 MiB held). An event that arrives later than the
        window allows is yielded at once, out of order, and counted in
        `late_events` / `window_stats`: nothing is dropped. What the window
        holds is yielded when the session ends. None (default): arrival order.
    """
    return EventlogConnection(address, reconnect=reconnect, connect_timeout=connect_timeout,
                              max_attempts=max_attempts, retry_delay=retry_delay,
                              max_retry_delay=max_retry_delay, attempt_timeout=attempt_timeout,
                              send_timeout=send_timeout, healthy_session=healthy_session,
                              jitter=jitter, max_skip=max_skip, strict=strict,
                              continue_after_end=continue_after_end,
                              lenient_blocks=lenient_blocks, types=types, window=window)

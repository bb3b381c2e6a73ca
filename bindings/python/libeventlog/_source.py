"""Opening an eventlog source: a path or a binary file object, plain or gzip
(zstd and xz: paths only, through the C reader)
(detected by its magic bytes, not by the file name).

Paths are read by the C reader (include/eventlog/reader.h: gzip inflated in C,
follow mode in C) when the library has it (CReader). File objects, and paths
with a library built without the reader, are read from Python (Opened): gzip
through zlib, follow mode by polling.
"""
from __future__ import annotations

import builtins
import io
import os
import threading
import zlib
from typing import Any, BinaryIO, List, Optional, Tuple, Union

from ._native import ffi, lib

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
XZ_MAGIC = b"\xfd7zXZ\x00"

Source = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]", BinaryIO]


class _Prefixed(io.RawIOBase):
    """A stream that first returns `head` (bytes already read to sniff the
    format), then the rest of `f`."""

    def __init__(self, head: bytes, f: Any) -> None:
        self._head = head
        self._f = f

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._f.read(len(b))
        if not data:
            return 0
        n = len(data)
        b[:n] = data
        return n


class GzipDataError(Exception):
    """Corrupt gzip data (the Python reader's counterpart of ELOG_READER_E_GZIP)."""


class _Inflater(io.RawIOBase):
    """gzip decompression for the Python reader: incremental (a stream cut
    short yields everything up to the cut, as the C reader does; the gzip
    module would lose the last read), concatenated members as one stream,
    bounded output per step."""

    _STEP = 1 << 20

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._pos = 0
        self._done = False
        self.compressed_read = 0
        self.truncated = False

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        d = self._d
        if d.unconsumed_tail:
            data = d.unconsumed_tail
        elif d.eof:
            data = d.unused_data
            if not data:
                data = self._raw.read(1 << 16) or b""
                self.compressed_read += len(data)
            if not data:
                self._done = True
                return
            if not GZIP_MAGIC.startswith(data[:2]):   # as the C reader: members only
                raise GzipDataError(f"unexpected bytes after gzip data near compressed "
                                    f"byte {self.compressed_read}: expected another "
                                    f"member (1f 8b) or the end of the input")
            self._d = d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        else:
            data = self._raw.read(1 << 16) or b""
            self.compressed_read += len(data)
            if not data:
                self.truncated = True  # the input ended inside a member
                self._done = True
                return
        try:
            self._pending = d.decompress(data, self._STEP)
        except zlib.error as e:
            raise GzipDataError(f"corrupt gzip data near compressed byte "
                                f"{self.compressed_read}: {e}") from None
        self._pos = 0

    def readinto(self, b: Any) -> int:
        while self._pos >= len(self._pending):
            if self._done:
                return 0
            self._fill()
        n = min(len(b), len(self._pending) - self._pos)
        b[:n] = self._pending[self._pos:self._pos + n]
        self._pos += n
        return n


def _sniff(f: Any) -> Tuple[bytes, Any]:
    """The first bytes of `f` (up to 6: the longest magic number), and a
    stream positioned where `f` was."""
    peek = getattr(f, "peek", None)
    if peek is not None:
        try:
            head = peek(6)[:6]
            if len(head) >= 6:
                return head, f
        except (OSError, ValueError):
            pass
    head = b""
    while len(head) < 6:
        chunk = f.read(6 - len(head))
        if not chunk:
            break
        head += chunk
    try:
        if f.seekable():
            f.seek(-len(head), io.SEEK_CUR)
            return head, f
    except (AttributeError, OSError, ValueError):
        pass
    return head, io.BufferedReader(_Prefixed(head, f))


class Opened:
    """An opened source: `stream` to read from; close() closes what we opened."""

    def __init__(self, stream: Any, closers: list, gzipped: bool, name: str) -> None:
        self.stream = stream
        self.gzipped = gzipped
        self.name = name
        self._closers = closers

    def close(self) -> None:
        closers, self._closers = self._closers, []
        for c in closers:
            close_quietly(c)


def open_source(source: Source, *, follow: bool = False) -> Opened:
    """Opens a path (we own the file) or wraps a binary file object (the caller
    owns it); gzip input is decompressed on the fly."""
    closers: list = []
    if isinstance(source, (str, bytes, os.PathLike)):
        name = os.fsdecode(source)
        raw = builtins.open(source, "rb", buffering=0 if follow else -1)
        closers.append(raw)
    else:
        if not hasattr(source, "read"):
            raise TypeError(f"expected a path or a binary file object, not {type(source).__name__}")
        raw = source
        name = getattr(source, "name", None)
        name = name if isinstance(name, str) else repr(source)
    try:
        head, stream = _sniff(raw)
        if head[:4] == ZSTD_MAGIC or head == XZ_MAGIC:
            kind = "zstd" if head[:4] == ZSTD_MAGIC else "xz"
            raise ValueError(f"{name}: {kind}-compressed input is decompressed by the C reader: "
                             "pass its path (or decompress it first)")
        head = head[:2]
        if head == GZIP_MAGIC:
            if follow:
                raise ValueError(f"{name}: follow mode reads plain eventlogs, not gzip")
            return Opened(_Inflater(stream), closers, True, name)
        return Opened(stream, closers, False, name)
    except BaseException:
        for c in closers:
            close_quietly(c)
        raise


def read_into(stream: Any, buf: bytearray, mv: memoryview) -> int:
    """Reads up to len(buf) bytes into buf; 0 at end of file."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        n = readinto(mv)
        return n or 0
    data = stream.read(len(buf))
    if not data:
        return 0
    n = len(data)
    buf[:n] = data
    return n


def close_quietly(stream: Optional[Any]) -> None:
    if stream is not None:
        try:
            stream.close()
        except Exception:
            pass


HAVE_C_READER: bool = hasattr(lib, "elog_reader_open")


def is_path(source: Any) -> bool:
    return isinstance(source, (str, bytes, os.PathLike))


class CReader:
    """A path read by the C reader (elog_reader), on a descriptor we open (so
    that a missing file raises the usual OSError)."""

    def __init__(self, source: Any, *, follow: bool = False, poll_interval: float = 0.1,
                 idle_timeout: Optional[float] = None, chunk_size: int = 1 << 18,
                 read_ahead: bool = True) -> None:
        self.name = os.fsdecode(source)
        self._file = builtins.open(source, "rb", buffering=0)
        self._r: Any = None
        self._may_wait = False
        try:
            opts = ffi.new("elog_reader_options *")
            lib.elog_reader_options_init(opts)
            opts.read_buffer_size = max(16, chunk_size)
            opts.follow = bool(follow)
            opts.poll_interval_ms = max(1, round(poll_interval * 1000))
            opts.idle_timeout_ms = 0 if idle_timeout is None else max(1, round(idle_timeout * 1000))
            opts.no_read_ahead = not read_ahead
            out = ffi.new("elog_reader **")
            st = lib.elog_reader_open_fd(out, self._file.fileno(), os.fsencode(source), opts)
            if out[0] == ffi.NULL:
                raise MemoryError(f"{self.name}: cannot allocate the reader")
            self._r = ffi.gc(out[0], lib.elog_reader_close)
            if st != lib.ELOG_READER_OK:
                raise OSError(self.error())
            import stat
            self._may_wait = bool(follow) or not stat.S_ISREG(os.fstat(self._file.fileno()).st_mode)
        except BaseException:
            self.close()
            raise

    def run(self, dec: Any, end: Any) -> int:
        """elog_reader_run(): feeds `dec` until the input ends, a callback pauses
        or an error.

        When the reader may wait (follow mode, pipes, FIFOs), the call runs in
        a helper thread while this one waits in 100 ms slices, so a signal
        (Ctrl-C) is handled at once: the reader is then stopped (it ends
        within poll_interval, as at the end of the input) and the exception
        propagates."""
        if not self._may_wait:
            return lib.elog_reader_run(self._r, dec, end)  # type: ignore[no-any-return]
        result: List[int] = []
        done = threading.Event()
        gate = threading.Lock()
        state = {"running": False, "cancelled": False}

        def work() -> None:
            try:
                with gate:
                    if state["cancelled"]:
                        return
                    state["running"] = True
                result.append(lib.elog_reader_run(self._r, dec, end))
            finally:
                done.set()

        # Completion is our own event, not Thread.join(): on CPython 3.11 a
        # Ctrl-C that interrupts join() can mark a running thread as stopped
        # (bpo-45274), and closing the reader under it then crashes. The gate
        # covers a Ctrl-C inside Thread.start().
        try:
            threading.Thread(target=work, name="libeventlog-reader", daemon=True).start()
            while not done.wait(0.1):
                pass
        except BaseException:
            self.stop()
            with gate:
                state["cancelled"] = True
                running = state["running"]
            while running and not done.is_set():
                try:
                    done.wait(0.1)
                except KeyboardInterrupt:
                    continue   # the first interrupt is the one re-raised
            raise
        return result[0]

    def stop(self) -> None:
        """elog_reader_stop(): no more waiting (thread-safe)."""
        if self._r is not None:
            lib.elog_reader_stop(self._r)

    def error(self) -> str:
        return ffi.string(lib.elog_reader_error(self._r)).decode("utf-8", "replace")

    def info(self) -> Any:
        info = ffi.new("elog_reader_info *")
        lib.elog_reader_get_info(self._r, info)
        return info

    @property
    def gzipped(self) -> bool:
        return self._r is not None and bool(self.info().gzip)

    @property
    def reads_ahead(self) -> bool:
        return self._r is not None and bool(self.info().read_ahead)

    def close(self) -> None:
        if self._r is not None:
            ffi.release(self._r)  # before the descriptor it reads
            self._r = None
        close_quietly(self._file)


def reader_failure(status: int, message: str, end: Any) -> BaseException:
    """The exception for an elog_reader_run() failure other than a decode error."""
    from ._errors import EventlogError
    if status == lib.ELOG_READER_E_GZIP:
        return EventlogError(int(end.total_bytes), message, "ELOG_READER_E_GZIP")
    if status == lib.ELOG_READER_E_NOMEM:
        return MemoryError(message)
    if status == lib.ELOG_READER_E_IO:
        return OSError(message)
    return RuntimeError(message)

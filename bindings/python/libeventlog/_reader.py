"""libeventlog.open(): iterate over the typed events of a file."""
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional, Union

from ._catalogue import Event
from ._decoder import Decoder, End, Header, check_end
from ._errors import EventlogError
from ._source import (HAVE_C_READER, CReader, GzipDataError, Source, is_path, open_source,
                      read_into)

if TYPE_CHECKING:  # pragma: no cover
    from ._stats import Analysis

__all__ = ["open", "EventlogReader"]


class EventlogReader:
    """An open eventlog: a context manager and an iterator of events.

    After the iteration, `end` says how the log ended (End). Truncated logs
    (empty ones and ones cut inside the header included) yield what was decoded
    and raise nothing unless `strict=True`, which then raises TruncatedEventlog
    at the end; corrupt input raises EventlogError after the events before the
    error were yielded.
    """

    def __init__(self, source: Source, *, strict: bool = False, follow: bool = False,
                 poll_interval: float = 0.1, idle_timeout: Optional[float] = None,
                 chunk_size: int = 1 << 18, continue_after_end: bool = False,
                 lenient_blocks: bool = False, batch_events: int = 512,
                 read_ahead: bool = True,
                 types: Optional[Iterable[Union[int, str, type]]] = None,
                 sorted: bool = False) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        if sorted and follow:
            raise ValueError("sorted=True reads the whole log before the first event: "
                             "not with follow=True (use connect(window=MS) for live order)")
        self.strict = strict
        self.follow = follow
        self.poll_interval = poll_interval
        self.idle_timeout = idle_timeout
        self._chunk_size = chunk_size
        self._creader: Optional[CReader] = None
        self._opened: Any = None
        self.sorted = sorted
        if sorted:
            self.name = os.fsdecode(source) if is_path(source) else str(
                getattr(source, "name", "<stream>"))
        elif is_path(source) and HAVE_C_READER:
            self._creader = CReader(source, follow=follow, poll_interval=poll_interval,
                                    idle_timeout=idle_timeout, chunk_size=chunk_size,
                                    read_ahead=read_ahead)
            self.name: str = self._creader.name
        else:
            self._opened = open_source(source, follow=follow)
            self.name = self._opened.name
        self._decoder = Decoder(continue_after_end=continue_after_end,
                                lenient_blocks=lenient_blocks, batch_events=batch_events,
                                types=types)
        self.end: Optional[End] = None
        self._stopped = False
        self._closed = False
        if sorted:
            from ._sorted import sorted_events
            self._gen = sorted_events(self, source, self._decoder)
        else:
            self._gen = self._events_c() if self._creader is not None else self._events()

    @property
    def header(self) -> Optional[Header]:
        """The header, once the iteration has read it."""
        return self._decoder.header

    @property
    def gzipped(self) -> bool:
        """Whether the input is gzip (known once reading started)."""
        if self._creader is not None:
            return self._creader.gzipped
        return bool(self._opened is not None and self._opened.gzipped)

    @property
    def reads_ahead(self) -> bool:
        """Whether the C reader's read-ahead thread reads the input (a path to
        a regular file, not followed, larger than a quarter of chunk_size;
        known once reading started). `read_ahead=False` keeps everything on
        the calling thread."""
        return self._creader is not None and self._creader.reads_ahead

    @property
    def events_decoded(self) -> int:
        return self._decoder.events_decoded

    def analysis(self, *, max_threads: Optional[int] = None,
                 max_labels: Optional[int] = None,
                 max_open_spans: Optional[int] = None) -> "Analysis":
        """The `eventlog stats` analyses of this log, run as you iterate it:

            with libeventlog.open("prog.eventlog", follow=True) as log:
                an = log.analysis()
                for ev in log:
                    ...
                    if some_time_passed:
                        print(an.snapshot().gc.pause_ns.p99)
            final = an.snapshot()      # == libeventlog.stats("prog.eventlog")

        Every event the reader decodes also goes to an elog_analysis, in C
        (no Python per event; with `types=`, the types the analysis reads are
        decoded for it, and only `types` are yielded). Call it before
        iterating (the analysis must see the header); later calls return the
        same Analysis. snapshot() covers the events decoded so far (which may
        run up to one batch ahead of the iteration); once the log ended,
        `end` says how and the figures equal those of libeventlog.stats() on
        the same file. With sorted=True the analysis sees the events in time
        order instead of file order (see README: the figures are the same
        for GHC's logs).
        """
        from ._stats import attach
        self._check_open()
        return attach(self._decoder, self._decoder._lock, "reader", max_threads, max_labels,
                      max_open_spans)

    def __iter__(self) -> Iterator[Event]:
        self._check_open()
        return self._gen

    def __next__(self) -> Event:
        self._check_open()
        return next(self._gen)

    def read_all(self) -> list:
        """The remaining events, as a list."""
        self._check_open()
        return list(self._gen)

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        # As for a closed file: iterating it is an error, not an empty log.
        if self._closed:
            raise ValueError(f"I/O operation on a closed eventlog reader ({self.name})")

    def stop(self) -> None:
        """Ends a follow: the iteration finishes with what the file holds now.
        May be called from another thread (or a signal handler)."""
        self._stopped = True
        if self._creader is not None:
            self._creader.stop()

    def close(self) -> None:
        self._closed = True
        self._gen.close()
        if self._creader is not None:
            self._creader.close()
        if self._opened is not None:
            self._opened.close()
        self._decoder.close()

    def __enter__(self) -> "EventlogReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"end={self.end.end_class}" if self.end else "open"
        return f"<libeventlog.EventlogReader {self.name!r} {state}>"

    def _events_c(self) -> Iterator[Event]:
        """A path, read (inflated, followed) by the C reader."""
        dec = self._decoder
        assert self._creader is not None
        try:
            for batch in dec._run_reader(self._creader):
                yield from batch
        except GeneratorExit:  # the caller stopped iterating: no end to report
            raise
        except KeyboardInterrupt:
            # The reader was stopped (CReader.run): nothing more can be read.
            # Closed cleanly, so that later use says so instead of hanging.
            self.end = dec.end
            self._closed = True
            self._creader.close()
            raise
        except BaseException:
            self.end = dec.end
            raise
        self.end = dec.end
        assert self.end is not None
        check_end(self.end, self.strict)

    def _events(self) -> Iterator[Event]:
        """A file object (or a path without the C reader), read from Python."""
        dec = self._decoder
        stream = self._opened.stream
        buf = bytearray(self._chunk_size)
        mv = memoryview(buf)
        idle_since: Optional[float] = None
        try:
            while True:
                try:
                    n = read_into(stream, buf, mv)
                except GzipDataError as e:
                    raise EventlogError(dec.offset, f"{self.name}: {e}",
                                        "ELOG_READER_E_GZIP") from None
                if n == 0:
                    if not self.follow or dec.end_seen or self._stopped:
                        break
                    now = time.monotonic()
                    if idle_since is None:
                        idle_since = now
                    elif self.idle_timeout is not None and now - idle_since >= self.idle_timeout:
                        break
                    if self._stopped:
                        break
                    time.sleep(self.poll_interval)
                    continue
                idle_since = None
                for batch in dec._batches(buf, n):
                    yield from batch
                if self.follow and dec.end_seen:
                    break
        except EventlogError:
            self.end = dec.finish()
            raise
        self.end = dec.finish()
        check_end(self.end, self.strict)


def open(source: Source, *, strict: bool = False, follow: bool = False,
         poll_interval: float = 0.1, idle_timeout: Optional[float] = None,
         chunk_size: int = 1 << 18, continue_after_end: bool = False,
         lenient_blocks: bool = False, read_ahead: bool = True,
         types: Optional[Iterable[Union[int, str, type]]] = None,
         sorted: bool = False) -> EventlogReader:
    """Opens an eventlog (a path or a binary file object; plain or gzip, told
    apart by the magic bytes; zstd and xz too for a path, decompressed by the
    C reader) for iteration:

        with libeventlog.open("prog.eventlog") as log:
            for ev in log:
                ...
            print(log.end)

    strict: raise TruncatedEventlog at the end if the log is truncated, empty or
        cut inside its header (default: yield what was decoded, and `log.end`
        says how it ended: check `log.end.clean`).
    follow: keep reading a file that is still being written (checking every
        `poll_interval` s) until its end-of-data marker, or until no data came
        for `idle_timeout` s. Paths are followed by the C reader (plain, gzip,
        zstd, xz); file objects are polled from Python (plain only).
    continue_after_end, lenient_blocks: ghc-events compatibility, see Decoder.
    read_ahead: let the C reader read (and inflate) a regular file on a second
        thread while this one decodes (the default); False keeps it on this
        thread, for programs that must not start threads.
    types: yield only events of these types (ids, EventType members, layout
        names such as "HEAP_PROF_SAMPLE_COST_CENTRE", class names or event
        classes). The others are stepped over in C without being decoded, which
        is much faster than filtering the events in Python; `log.end.events`
        still counts them.
    sorted: yield the events in the order of `ghc-events show`: stably sorted
        by timestamp (equal times keep file order), with their capabilities.
        The C library decodes the whole log once, then merges its
        time-ordered runs (include/eventlog/order.h) in bounded memory (64 MiB
        of buffers; logs that are not plain files are spooled to $TMPDIR).
        Corrupt input raises EventlogError before any event, as ghc-events
        prints nothing. With continue_after_end=True and lenient_blocks=True
        the events are exactly those `eventlog show` prints. Not with follow.
    """
    return EventlogReader(source, strict=strict, follow=follow, poll_interval=poll_interval,
                          idle_timeout=idle_timeout, chunk_size=chunk_size,
                          continue_after_end=continue_after_end, lenient_blocks=lenient_blocks,
                          read_ahead=read_ahead, types=types, sorted=sorted)

"""open(..., sorted=True): the events in the order of `ghc-events show`
(stably sorted by timestamp), through the C library's time-ordered merge
(include/eventlog/order.h, elog_sorter) in bounded memory."""
from __future__ import annotations

import builtins
import os
import shutil
import tempfile
from typing import Any, Iterator, List, Optional

from ._catalogue import Event
from ._decoder import Decoder, End, check_end, status_name
from ._errors import EventlogError
from ._native import ffi, lib
from ._source import Source, is_path

__all__ = ["sorted_events"]


def _open_sorter(source: Source, options: int, closers: List[Any]) -> Any:
    """An elog_sorter ** whose pass 1 ran (or failed: see elog_sorter_end)."""
    opts = ffi.new("elog_order_options *")
    lib.elog_order_options_init(opts)
    opts.decoder_options = options
    out = ffi.new("elog_sorter **")
    if is_path(source):
        name = os.fsdecode(source)
        f = builtins.open(source, "rb", buffering=0)   # a missing file: OSError as usual
        closers.append(f)
        fd = f.fileno()
    else:
        if not hasattr(source, "read"):
            raise TypeError(f"expected a path or a binary file object, not {type(source).__name__}")
        name = str(getattr(source, "name", "<stream>"))
        try:
            fd = source.fileno()
        except (AttributeError, OSError, ValueError):
            # an in-memory stream: through a temporary file (unlinked at close)
            tmp = tempfile.TemporaryFile()
            closers.append(tmp)
            shutil.copyfileobj(source, tmp)
            tmp.flush()
            tmp.seek(0)
            fd = tmp.fileno()
    rc = lib.elog_sorter_open_fd(out, fd, name.encode("utf-8", "surrogateescape"), opts)
    if out[0] == ffi.NULL:
        raise MemoryError("libeventlog: cannot allocate the sorter")
    closers.append(out)
    return out, rc


def sorted_events(reader: Any, source: Source, decoder: Decoder) -> Iterator[Event]:
    """The generator behind EventlogReader when sorted=True."""
    closers: List[Any] = []
    sorter: Any = None
    try:
        box, rc = _open_sorter(source, decoder.options, closers)
        sorter = box[0]
        end_p = ffi.new("elog_end *")
        lib.elog_sorter_end(sorter, end_p)
        end = End._from_c(end_p[0])
        message = ffi.string(lib.elog_sorter_error(sorter)).decode("utf-8", "replace")
        if rc != 0:
            reader.end = end
            if decoder._analysis is not None:   # empty, cut inside the header, corrupt
                with decoder._lock:
                    decoder._analysis._ended(end_p, None)
            if end.kind == end.kind.ERROR:
                if end.status == "ELOG_E_CALLBACK":
                    raise EventlogError(0, message, "ELOG_E_CALLBACK")
                raise EventlogError(end.offset, message, end.status)
            check_end(end, reader.strict)   # empty, or cut inside the header
            return
        state = decoder._state
        with decoder._lock:
            decoder._check_open()
            if lib.elogpy_sorter_header(state, sorter) != 0:
                raise decoder._error(lib.ELOG_E_CALLBACK)
        while True:
            if decoder._analysis is not None:
                decoder._analysis._let_snapshots_in()
            with decoder._lock:
                decoder._check_open()
                r = lib.elogpy_sorter_fill(state, sorter)
                batch = decoder._drain() if state.n else None
            if batch:
                yield from batch
            if r == 1:
                continue
            if r < 0:
                if state.nomem:
                    raise MemoryError("libeventlog: out of memory while decoding")
                message = ffi.string(lib.elog_sorter_error(sorter)).decode("utf-8", "replace")
                raise EventlogError(0, message, status_name(lib.ELOG_E_BAD_EVENT))
            break
        reader.end = end
        if decoder._analysis is not None:
            with decoder._lock:
                decoder._analysis._ended(end_p, None)
        check_end(end, reader.strict)
    finally:
        if sorter is not None:
            lib.elog_sorter_close(sorter)
        for c in closers:
            if hasattr(c, "close"):
                c.close()

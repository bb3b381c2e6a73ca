"""libeventlog.export(): write a log's events as NDJSON, a Chrome/Perfetto
trace, a CSV table, or the HTML report, entirely in C (the C exporters of
include/eventlog/export.h and report.h)."""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import IO, Any, Optional, Union

from ._decoder import End, check_end
from ._errors import EventlogError
from ._native import ffi, lib

__all__ = ["export", "FORMATS", "TABLES"]

FORMATS = {"ndjson": 0, "chrome": 1, "csv": 2, "html": 3, "report": 3}
TABLES = {"heap-profile": 0, "gc-pauses": 1, "thread-runs": 2}
HAVE_EXPORT = hasattr(lib, "elogpy_export")

PathOrFile = Union[str, bytes, "os.PathLike[Any]", IO[bytes]]


def _is_path(x: Any) -> bool:
    return isinstance(x, (str, bytes, os.PathLike))


def export(source: PathOrFile, out: PathOrFile, format: str = "ndjson", *,
           table: Optional[str] = None, top_labels: int = 10, title: Optional[str] = None,
           strict: bool = False, continue_after_end: bool = False,
           lenient_blocks: bool = False) -> End:
    """Writes the events of `source` (a path or a binary file object with a
    descriptor; plain or gzip, and zstd or xz for a path) to `out` (a path,
    or a binary file object) as `format`: "ndjson" (one JSON object per
    event), "chrome" (Chrome trace JSON for Perfetto UI / chrome://tracing),
    "csv" (with `table`: "heap-profile", "gc-pauses" or "thread-runs") or
    "html" (the self-contained report page of `eventlog report`). Returns how the input ended (End); a
    truncated log is exported up to its end (strict=True raises
    TruncatedEventlog after writing it). Corrupt input raises EventlogError
    (what came before it may have been written); ValueError for a bad format
    or table; OSError when the output cannot be written.

    Decoder options as for open(): the defaults stop at the end marker with
    strict blocks; continue_after_end=True, lenient_blocks=True decode as
    `eventlog export` and ghc-events do."""
    if not HAVE_EXPORT:
        raise RuntimeError("this libeventlog build has no exporters (include/eventlog/export.h)")
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    if format == "csv":
        if table not in TABLES:
            raise ValueError(f"csv needs table= one of {', '.join(TABLES)}")
    elif table is not None:
        raise ValueError("table= applies to format='csv'")
    if not 1 <= top_labels <= 1000:
        raise ValueError("top_labels must be 1..1000")
    options = ((lib.ELOG_OPT_CONTINUE_AFTER_END if continue_after_end else 0)
               | (lib.ELOG_OPT_LENIENT_BLOCKS if lenient_blocks else 0))

    in_close = out_close = None
    tmp = None
    try:
        if _is_path(source):
            in_fd = in_close = os.open(source, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            name = os.fsencode(source)
        else:
            in_fd = source.fileno()  # type: ignore[union-attr]
            name = os.fsencode(getattr(source, "name", "<file>") if isinstance(
                getattr(source, "name", None), (str, bytes)) else "<file>")
        if _is_path(out):
            out_fd = out_close = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                                         | getattr(os, "O_CLOEXEC", 0), 0o644)
        else:
            try:
                out.flush()  # type: ignore[union-attr]
                out_fd = out.fileno()  # type: ignore[union-attr]
            except (AttributeError, OSError, ValueError):
                # no descriptor (BytesIO): through a temporary file
                tmp = tempfile.TemporaryFile()
                out_fd = tmp.fileno()
        res = ffi.new("elogpy_export_result *")
        ctitle = ffi.new("char[]", title.encode()) if title is not None else ffi.NULL
        lib.elogpy_export(in_fd, name, out_fd, FORMATS[format], TABLES.get(table or "", 0),
                          top_labels, options, ctitle, res)
        if tmp is not None and res.status == 0:
            tmp.seek(0)
            shutil.copyfileobj(tmp, out)  # type: ignore[arg-type]
    finally:
        if in_close is not None:
            os.close(in_close)
        if out_close is not None:
            os.close(out_close)
        if tmp is not None:
            tmp.close()
    msg = ffi.string(res.error).decode("utf-8", "replace")
    if res.status == 1:
        raise EventlogError(res.end.offset, msg, ffi.string(lib.elog_status_name(res.end.status)).decode())
    if res.status == 2:
        raise EventlogError(res.end.offset, msg, "ELOG_READER_E_IO")
    if res.status == 3:
        raise MemoryError(msg)
    if res.status == 4:
        raise OSError(msg)
    if res.status == 5:
        raise ValueError(msg)
    end = End._from_c(res.end)
    check_end(end, strict)
    return end

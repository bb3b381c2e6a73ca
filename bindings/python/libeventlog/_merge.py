"""libeventlog.merge(): the library's merge (include/eventlog/merge.h), the
same C code `eventlog merge` runs."""
from __future__ import annotations

import os
import re
from typing import Iterable, List, Tuple, Union

from ._errors import EventlogError
from ._native import ffi, lib
from ._writer import WriterError

__all__ = ["merge"]

PathLike = Union[str, "os.PathLike[str]"]


def merge(inputs: Iterable[PathLike], out: PathLike) -> List[Tuple[int, int, int]]:
    """Writes to `out` one time-ordered eventlog from the eventlog files
    `inputs` (plain, or compressed with gzip, zstd or xz), as `eventlog
    merge`: the header is the union of the inputs' declarations, and the
    capabilities, capsets and thread ids of each input are shifted past those
    used by the inputs before it. `out` is
    written under out + ".tmp" and renamed when complete; it may not be an
    input. Memory stays bounded whatever the inputs' size.

    Returns each input's shift as (caps, capsets, threads). Raises
    EventlogError for an input that is not an eventlog or is corrupt (the
    message names it and the byte offset), or whose declaration of a type id
    conflicts with an earlier input's (the message names the id); OSError
    for an input that cannot be opened; WriterError for output errors;
    ValueError for no input, or `out` being one of the inputs."""
    if not hasattr(lib, "elogpy_merge"):
        raise NotImplementedError("libeventlog was built without the merge (elog_merge_open)")
    names = [os.fsencode(p) for p in inputs]
    if not names:
        raise ValueError("merge: no input")
    keep = [ffi.new("char[]", n) for n in names]
    arr = ffi.new("const char *[]", keep)
    shifts = ffi.new("uint64_t[]", 3 * len(names))
    status = ffi.new("elog_status *")
    err = ffi.new("char[]", 1024)
    rc = lib.elogpy_merge(arr, len(names), os.fsencode(out), shifts, status, err, 1024)
    if rc != 0:
        reason = ffi.string(err).decode("utf-8", "replace")
        st = int(status[0])
        if st == lib.ELOG_E_NOMEM:
            raise MemoryError(reason)
        if rc == -2:
            raise WriterError(reason)
        if st == lib.ELOG_E_USAGE:
            raise ValueError(reason)
        m = re.search(r"(?:offset|at byte) (\d+)", reason)
        if st == lib.ELOG_E_BAD_HEADER or m is not None:
            raise EventlogError(int(m.group(1)) if m else 0, reason,
                                ffi.string(lib.elog_status_name(st)).decode())
        raise OSError(reason)
    return [(int(shifts[3 * k]), int(shifts[3 * k + 1]), int(shifts[3 * k + 2]))
            for k in range(len(names))]


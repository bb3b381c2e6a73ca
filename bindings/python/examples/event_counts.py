#!/usr/bin/env python3
"""Events per type and per capability, with the batched fast path
(libeventlog.read_columns: no Python object per event).

    event_counts.py FILE.eventlog[.gz]
"""
from __future__ import annotations

import collections
import os
import sys

try:
    import libeventlog
except ImportError:  # not installed: use the in-place build next to this directory
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import libeventlog


def main(argv: list) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        cols = libeventlog.read_columns(argv[1], numpy=False)
    except (OSError, libeventlog.EventlogError) as e:
        print(f"event_counts: {argv[1]}: {e}", file=sys.stderr)
        return 1
    by_type = collections.Counter(cols.type)
    by_cap = collections.Counter(cols.cap)
    header = cols.header
    print(f"{len(cols)} events, {cols.end.describe()}")
    print(f"{'id':>5} {'count':>9}  name / description")
    for tid in sorted(by_type):
        t = header.get(tid) if header is not None else None
        if t is not None and t.layout:
            name = t.layout
        elif tid in libeventlog.EventType._value2member_map_:
            name = libeventlog.EventType(tid).name + " (undecoded: unexpected size)"
        else:
            name = "?"
        desc = t.description if t is not None else ""
        print(f"{tid:5d} {by_type[tid]:9d}  {name} / {desc}")
    caps = ", ".join(f"{'-' if c == libeventlog.NO_CAP else c}: {n}"
                     for c, n in sorted(by_cap.items()))
    print(f"by capability ('-' = none): {caps}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:  # e.g. piped into head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)

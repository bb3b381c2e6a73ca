#!/usr/bin/env python3
"""GC pauses of an eventlog, per generation and overall, on the analysis
layer (the C library does the bookkeeping; `libeventlog.stats`).

    gc_pauses.py FILE.eventlog[.gz]

Prints one line per generation (collections, then their pauses: total, mean,
p50, p99, max in ms), then all generations; a truncated log is summarised as far as it
goes (with a warning on stderr).
"""
from __future__ import annotations

import os
import sys

try:
    import libeventlog
except ImportError:  # not installed: use the in-place build next to this directory
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import libeventlog


def ms(ns: float) -> str:
    return f"{ns / 1e6:9.3f}"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        s = libeventlog.stats(argv[1])
    except (OSError, libeventlog.EventlogError) as e:
        print(f"gc_pauses: {argv[1]}: {e}", file=sys.stderr)
        return 1
    if s.end.kind == "error":
        print(f"gc_pauses: {argv[1]}: {s.end.status}: {s.end.reason}", file=sys.stderr)
        return 1
    if s.end.kind != "clean":
        print(f"gc_pauses: warning: input ended {s.end.kind} at offset {s.end.offset}",
              file=sys.stderr)
    print(f"{'gen':>4} {'colls':>7} {'total ms':>9} {'mean ms':>9} "
          f"{'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    rows = [(str(g.generation), g.collections, g.pause_ns) for g in s.gc.generations]
    rows.append(("all", sum(g.collections for g in s.gc.generations), s.gc.pause_ns))
    for name, colls, p in rows:
        print(f"{name:>4} {colls:7d} {ms(p.total)} {ms(p.mean)} {ms(p.p50)} "
              f"{ms(p.p99)} {ms(p.max)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""GC pause summary per capability: how often each capability was stopped for
garbage collection and for how long (from each GC_START to the next GC_END on
the same capability).

    gc_pauses.py FILE.eventlog[.gz]

Prints one line per capability, then the whole-program totals; a truncated log
is summarised as far as it goes (with a warning on stderr).
"""
from __future__ import annotations

import os
import sys

try:
    import libeventlog
except ImportError:  # not installed: use the in-place build next to this directory
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import libeventlog
from libeventlog.events import GcEnd, GcStart  # noqa: E402


class Pauses:
    __slots__ = ("count", "total", "longest")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0
        self.longest = 0

    def add(self, ns: int) -> None:
        self.count += 1
        self.total += ns
        self.longest = max(self.longest, ns)


def summarise(path: str) -> tuple[dict, libeventlog.End]:
    started: dict = {}          # cap -> GC_START time
    pauses: dict = {}           # cap -> Pauses
    with libeventlog.open(path) as log:
        for ev in log:
            if isinstance(ev, GcStart):
                started[ev.cap] = ev.timestamp
            elif isinstance(ev, GcEnd):
                t0 = started.pop(ev.cap, None)
                if t0 is not None:
                    pauses.setdefault(ev.cap, Pauses()).add(max(0, ev.timestamp - t0))
        end = log.end
    assert end is not None
    return pauses, end


def ms(ns: float) -> str:
    return f"{ns / 1e6:10.3f}"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        pauses, end = summarise(argv[1])
    except (OSError, libeventlog.EventlogError) as e:
        print(f"gc_pauses: {argv[1]}: {e}", file=sys.stderr)
        return 1
    if not end.clean:
        print(f"gc_pauses: warning: {end.describe()}", file=sys.stderr)
    print(f"{'cap':>6} {'pauses':>8} {'total ms':>10} {'mean ms':>10} {'max ms':>10}")
    everything = Pauses()
    for cap in sorted(pauses, key=lambda c: (c is None, c if c is not None else 0)):
        p = pauses[cap]
        everything.count += p.count
        everything.total += p.total
        everything.longest = max(everything.longest, p.longest)
        name = "-" if cap is None else str(cap)
        print(f"{name:>6} {p.count:8d} {ms(p.total)} {ms(p.total / p.count)} {ms(p.longest)}")
    if everything.count:
        print(f"{'all':>6} {everything.count:8d} {ms(everything.total)} "
              f"{ms(everything.total / everything.count)} {ms(everything.longest)}")
    else:
        print("no GC pauses in this log")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

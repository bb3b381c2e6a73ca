#!/usr/bin/env python3
"""Watch a live program: its events, and the `eventlog stats` figures as they grow.

    live_stats.py ADDRESS [--interval SECONDS] [--reconnect]

ADDRESS is where a program instrumented with eventlog-socket listens
(unix:PATH or tcp:HOST:PORT). The events are iterated (here: counted by type;
your code would look at them), and the analyses run alongside in C
(conn.analysis()): every --interval seconds (default 1) one line with the
figures so far, and at the end of each session its final figures. With
--reconnect the program is followed across restarts, each session's figures
on their own.
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import time

try:
    import libeventlog
except ImportError:  # not installed: use the in-place build next to this directory
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import libeventlog


def line(what: str, s: "libeventlog.Stats") -> str:
    colls = sum(g.collections for g in s.gc.generations)
    return (f"{what}: {colls} GCs (p99 pause {s.gc.pause_ns.p99 / 1e6:.3f} ms), "
            f"{s.heap.allocated_bytes} bytes allocated, max live {s.heap.max_live_bytes}, "
            f"productivity {s.time.productivity:.1%}, {len(s.threads)} threads [{s.end.kind}]")


def main(argv: list) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("address")
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--reconnect", action="store_true")
    args = ap.parse_args(argv[1:])
    try:
        conn = libeventlog.connect(args.address, reconnect=args.reconnect)
    except (ValueError, libeventlog.SocketError) as e:
        print(f"live_stats: {e}", file=sys.stderr)
        return 1
    counts: collections.Counter = collections.Counter()
    reported = 0
    with conn:
        an = conn.analysis()                 # before the first event
        due = time.monotonic() + args.interval
        try:
            for ev in conn:
                counts[type(ev).__name__] += 1
                if time.monotonic() >= due:
                    print(line(f"session {conn.session}", an.snapshot()), flush=True)
                    due = time.monotonic() + args.interval
                while reported < len(an.sessions):   # a session ended
                    print(line(f"session {reported + 1} ended", an.sessions[reported]),
                          flush=True)
                    reported += 1
        except KeyboardInterrupt:
            pass
        except libeventlog.EventlogError as e:
            print(f"live_stats: {e}", file=sys.stderr)
    for i in range(reported, len(an.sessions)):
        print(line(f"session {i + 1} ended", an.sessions[i]))
    print("events: " + ", ".join(f"{k} {v}" for k, v in counts.most_common(5)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

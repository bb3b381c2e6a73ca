#!/usr/bin/env python3
"""Heap profile samples (+RTS -h*) to CSV: one row per sample entry.

    heap_profile_csv.py FILE.eventlog[.gz] [-o OUT.csv]

Columns: era, time_ns (the sample's timestamp), profile (the profile id),
label (the closure/type/module label, or the cost-centre stack written
outermost first as "MAIN/main/f"), residency (bytes).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
from typing import Dict, Optional

try:
    import libeventlog
except ImportError:  # not installed: use the in-place build next to this directory
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import libeventlog
from libeventlog.events import (HeapBioProfSampleBegin, HeapProfCostCentre,  # noqa: E402
                                HeapProfSampleBegin, HeapProfSampleCostCentre,
                                HeapProfSampleEnd, HeapProfSampleString)


def as_text(s: object) -> str:
    """Text fields are str, or bytes when not valid UTF-8."""
    return s.decode("utf-8", "backslashreplace") if isinstance(s, bytes) else str(s)


def convert(path: str, out) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["era", "time_ns", "profile", "label", "residency"])
    cost_centres: Dict[int, str] = {}
    era: Optional[int] = None
    time_ns: Optional[int] = None
    rows = 0
    with libeventlog.open(path) as log:
        for ev in log:
            if isinstance(ev, HeapProfCostCentre):
                cost_centres[ev.cc_id] = as_text(ev.label)
            elif isinstance(ev, (HeapProfSampleBegin, HeapBioProfSampleBegin)):
                era, time_ns = ev.era, ev.timestamp
            elif isinstance(ev, HeapProfSampleEnd):
                era = time_ns = None
            elif isinstance(ev, HeapProfSampleString):
                writer.writerow([era, time_ns, ev.profile_id, as_text(ev.label), ev.residency])
                rows += 1
            elif isinstance(ev, HeapProfSampleCostCentre):
                stack = "/".join(cost_centres.get(cc, f"cc{cc}") for cc in reversed(ev.stack))
                writer.writerow([era, time_ns, ev.profile_id, stack, ev.residency])
                rows += 1
        end = log.end
    if end is not None and not end.clean:
        print(f"heap_profile_csv: warning: {end.describe()}", file=sys.stderr)
    return rows


def main(argv: list) -> int:
    ap = argparse.ArgumentParser(description="Heap profile samples of an eventlog to CSV.")
    ap.add_argument("eventlog")
    ap.add_argument("-o", "--output", help="write the CSV here (default: stdout)")
    args = ap.parse_args(argv[1:])
    try:
        if args.output:
            with open(args.output, "w", newline="", encoding="utf-8") as out:
                rows = convert(args.eventlog, out)
        else:
            rows = convert(args.eventlog, sys.stdout)
    except BrokenPipeError:  # e.g. piped into head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (OSError, libeventlog.EventlogError) as e:
        print(f"heap_profile_csv: {args.eventlog}: {e}", file=sys.stderr)
        return 1
    if rows == 0:
        print("heap_profile_csv: no heap profile samples (run the program with +RTS -h...)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

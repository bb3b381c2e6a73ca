#!/usr/bin/env python3
"""Writes a small synthetic eventlog with user spans (ghc-events-analyze's
START/STOP messages) on two capabilities, for the report tests: the corpus
has no log with spans. Returns the span totals it wrote, per label, in ns.

    spans_log.py OUT      (prints the totals as JSON)
"""
import json
import struct
import sys

TYPES = [(1, 4, "Run thread"), (2, 10, "Stop thread"), (9, 0, "Start GC"), (10, 0, "Finish GC"),
         (18, 14, "Block marker"), (19, 0xFFFF, "User message")]


def header():
    b = struct.pack(">II", 0x68647262, 0x68657462)
    for tid, size, desc in TYPES:
        d = desc.encode()
        b += struct.pack(">IHHI", 0x65746200, tid, size, len(d)) + d + struct.pack(">II", 0, 0x65746500)
    return b + struct.pack(">III", 0x68657465, 0x68647265, 0x64617462)


def ev(tid, t, payload=b"", var=False):
    if var:
        return struct.pack(">HQH", tid, t, len(payload)) + payload
    return struct.pack(">HQ", tid, t) + payload


def block(cap, events, end_time):
    body = b"".join(events)
    first = struct.unpack(">Q", events[0][2:10])[0] if events else end_time
    return struct.pack(">HQIQH", 18, first, 24 + len(body), end_time, cap) + body


def build():
    totals, per_cap = {}, {0: [], 1: []}
    ms = 1_000_000
    for cap in (0, 1):
        t = 1000
        for i in range(40):
            label = ["request", "db query", "render"][(i + cap) % 3]
            sub = f"{i} " if label == "request" else ""
            start, dur = t + 100_000, (i % 7 + 1) * ms // 2
            evs = per_cap[cap]
            evs.append(ev(1, t, struct.pack(">I", cap + 1)))
            evs.append(ev(19, start, f"START {sub}{label}".encode(), True))
            evs.append(ev(19, start + dur, f"STOP {sub}{label}".encode(), True))
            evs.append(ev(2, start + dur + 50_000, struct.pack(">IHI", cap + 1, 3, 0)))
            if i % 5 == 4:
                evs.append(ev(9, start + dur + 60_000))
                evs.append(ev(10, start + dur + 360_000))
            totals[label] = totals.get(label, 0) + dur
            t = start + dur + 400_000
    data = header()
    for cap in (0, 1):
        evs = per_cap[cap]
        end = struct.unpack(">Q", evs[-1][2:10])[0]
        data += block(cap, evs, end)
    return data + struct.pack(">H", 0xFFFF), totals


if __name__ == "__main__":
    data, totals = build()
    with open(sys.argv[1], "wb") as f:
        f.write(data)
    print(json.dumps(totals))

#!/usr/bin/env python3
"""Throughput of the two decoding paths, measured in the same run on one log:

  batched    libeventlog.read_columns(): C fills columns, no Python per event
  iterator   for ev in libeventlog.open(...): one typed object per event

and the analysis layer attached to the iterator (log.analysis()), alone
(open(types=()).analysis()) and as stats(path) (its own decoder), side by side.

The log is a large real one: the data section of corpus/conformance/stop.hT.eventlog
(2.3 MB, 122k events, GHC 8.4 heap profile) repeated --copies times under its
header (a valid eventlog: the blocks of each copy are complete), or the largest
*.eventlog in corpus/large/ if any (--log picks one).

    PYTHONPATH=bindings/python /usr/bin/python3 bindings/python/bench.py [--copies 8]
        [--repeat 3] [--log FILE] [--check]

--check exits 1 if a path misses its target (batched >= 5 M events/s,
iterator >= 1 M events/s; the best of --repeat runs, wall clock).
"""
from __future__ import annotations

import argparse
import gc
import glob
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import libeventlog  # noqa: E402

TARGET_BATCHED = 5e6
TARGET_ITERATOR = 1e6


def make_large(src: str, copies: int, dest: str) -> None:
    """header + copies x data section + end marker."""
    with libeventlog.open(src) as log:
        for _ in log:
            pass
        header = log.header
        end = log.end
    assert header is not None and end is not None and end.clean, f"{src}: not a clean log"
    with open(src, "rb") as f:
        data = f.read()
    body = data[header.data_offset:end.offset]
    with open(dest, "wb") as out:
        out.write(data[:header.data_offset])
        for _ in range(copies):
            out.write(body)
        out.write(b"\xff\xff")


def timed(fn):
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    n = fn()
    return n, time.perf_counter() - w0, time.process_time() - c0


def run_batched(path: str) -> int:
    cols = libeventlog.read_columns(path)
    return len(cols)


def run_batched_fields(path: str) -> int:
    cols = libeventlog.read_columns(path, fields=["thread", "status"])
    return len(cols)


def run_iterator(path: str) -> int:
    n = 0
    with libeventlog.open(path) as log:
        for _ev in log:
            n += 1
    return n


def run_iterator_fields(path: str) -> int:
    """The iterator plus touching a field of every event, as real code does."""
    total = 0
    n = 0
    with libeventlog.open(path) as log:
        for ev in log:
            n += 1
            total += ev.timestamp
    return n


def run_iterator_analysis(path: str) -> int:
    """The iterator with log.analysis() attached (fed in C as it decodes)."""
    n = 0
    with libeventlog.open(path) as log:
        an = log.analysis()
        for _ev in log:
            n += 1
    an.snapshot()
    return n


def run_attached_only(path: str) -> int:
    """open(types=()).analysis(): every event decoded for the analysis in C,
    none yielded (what stats(address) does on a connection)."""
    with libeventlog.open(path, types=(), continue_after_end=True, lenient_blocks=True) as log:
        an = log.analysis()
        for _ev in log:
            pass
    an.snapshot()
    assert log.end is not None
    return int(log.end.events)


def run_stats(path: str) -> int:
    """libeventlog.stats(path): the C reader straight into the analysis's own
    decoder (the baseline of the attached one)."""
    libeventlog.stats(path)
    return _EVENTS[path]


_EVENTS: dict = {}


def feed_once(mode: str, path: str) -> None:
    """One feed() of the whole log in memory, for instruction counts:
        valgrind --tool=callgrind --toggle-collect=elog_execute \
            python3 bench.py --log LOG --once MODE
    (bench/RESULTS.md, "Python: analyses attached to a source")."""
    with open(path, "rb") as f:
        data = f.read()
    if mode == "standalone":            # its own decoder: stats(path), stats(bytes)
        a = libeventlog.Analysis()
        a.feed(data)
        a.finish()
        return
    d = libeventlog.Decoder(types=() if mode in ("attached-only", "select-none") else None)
    if mode in ("attached-only", "records+analysis"):
        d.analysis()
    elif mode not in ("select-none", "records"):
        raise SystemExit(f"--once: unknown mode {mode}")
    d.feed(data)
    d.finish()


def run_list(path: str) -> int:
    with open(path, "rb") as f:
        data = f.read()
    return len(libeventlog.decode(data))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--log", help="an eventlog to use instead of the repeated stop.hT")
    ap.add_argument("--no-large", action="store_true",
                    help="ignore corpus/large/ and use the repeated stop.hT")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("--once", metavar="MODE",
                    help="one feed() of --log for callgrind: standalone, attached-only, "
                         "select-none, records or records+analysis")
    args = ap.parse_args()
    if args.once:
        if not args.log:
            raise SystemExit("--once needs --log")
        feed_once(args.once, args.log)
        return 0

    tmp = None
    if args.log:
        path = args.log
    else:
        large = sorted(glob.glob(os.path.join(REPO, "corpus", "large", "*.eventlog")),
                       key=os.path.getsize)
        if large and not args.no_large and os.path.getsize(large[-1]) > 20 << 20:
            path = large[-1]
        else:
            fd, tmp = tempfile.mkstemp(suffix=".eventlog")
            os.close(fd)
            make_large(os.path.join(REPO, "corpus", "conformance", "stop.hT.eventlog"),
                       args.copies, tmp)
            path = tmp
    try:
        size = os.path.getsize(path)
        print(f"log: {path if not tmp else 'stop.hT.eventlog data x %d' % args.copies} "
              f"({size / 1e6:.1f} MB)")
        print(f"python {sys.version.split()[0]}, libeventlog {libeventlog.__version__}, "
              f"numpy {'yes' if libeventlog._columns._np is not None else 'no'}")
        paths = [
            ("batched  read_columns()", run_batched),
            ("batched  read_columns(fields=thread,status)", run_batched_fields),
            ("iterator for ev in open()", run_iterator),
            ("iterator + ev.timestamp", run_iterator_fields),
            ("decode() -> list (all alive)", run_list),
        ]
        if libeventlog._stats.HAVE_ANALYSIS:
            _EVENTS[path] = run_attached_only(path)
            paths += [
                ("iterator + log.analysis()", run_iterator_analysis),
                ("analysis: open(types=()).analysis()", run_attached_only),
                ("analysis: stats(path)", run_stats),
            ]
        best = {}
        for name, fn in paths:
            rates = []
            for _ in range(args.repeat):
                n, wall, cpu = timed(lambda: fn(path))
                rates.append((n / wall, n / cpu if cpu else float("inf"), n))
            r = max(rates)
            best[name] = r[0]
            print(f"  {name:46s} {r[2]:>10,d} events  {r[0] / 1e6:7.2f} M ev/s wall  "
                  f"{r[1] / 1e6:7.2f} M ev/s cpu  ({size / (r[2] / r[0]) / 1e6:.0f} MB/s)")
        b = best["batched  read_columns()"]
        it = best["iterator for ev in open()"]
        print(f"batched / iterator: {b / it:.1f}x")
        if "iterator + log.analysis()" in best:
            print(f"iterator with analysis / without: "
                  f"{best['iterator + log.analysis()'] / it:.2f}x; attached analysis only / "
                  f"stats(path): {best['analysis: open(types=()).analysis()'] / best['analysis: stats(path)']:.2f}x")
        ok_b = b >= TARGET_BATCHED
        ok_i = it >= TARGET_ITERATOR
        print(f"target batched >= {TARGET_BATCHED / 1e6:.0f} M ev/s: {'ok' if ok_b else 'MISSED'}; "
              f"iterator >= {TARGET_ITERATOR / 1e6:.0f} M ev/s: {'ok' if ok_i else 'MISSED'}")
        return 0 if (ok_b and ok_i) or not args.check else 1
    finally:
        if tmp:
            os.unlink(tmp)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Turns the raw figures of bench/run.sh into the results table.

    bench/report.py [--section sources|writing] RESULTS.txt [RESULTS.md]

Prints the table (metric, ours, baseline, ratio, target, met?) and, with a
second argument, writes the Markdown report there: the table, the machine,
the details of every figure (best, spread, peak RSS) and the load averages.
Sections after a line `<!-- areas -->` at the end (one per area, e.g. "Time-ordered
iteration") are kept too.
A hand-written section between the lines `<!-- analysis -->` and
`<!-- /analysis -->` of an existing report is kept. The "Sources" section
(byte sources and `info`) sits between `<!-- sources -->` and
`<!-- /sources -->`; with `--section sources` (bench/run.sh ONLY=sources)
only it is rewritten and the rest of RESULTS.md is kept. Likewise the table
of bench/write_bench.sh (filter, repair, merge; WRITE lines) sits between
`<!-- writing -->` and `<!-- /writing -->` (inside the "Writing" area), rewritten
by every full run and by `--section writing` (bench/run.sh ONLY=writing).

The raw lines (one figure per line, key=value fields) are written by
bench/run.sh; see there for what each one measures.
"""
from __future__ import annotations

import os
import re
import shlex
import statistics
import sys
from collections import defaultdict

MiB = 1 << 20


def parse(path: str):
    figs = defaultdict(list)   # (name, input) -> [runs {cpu, wall, rss, status, timeout}]
    dec = {}                   # (input, name) -> {bytes, events, best, median, worst, wall, mbps, evps}
    info = defaultdict(dict)
    loads = []
    sock, py, cg = [], [], []
    for line in open(path, encoding="utf-8", errors="replace"):
        if line.startswith("WRITE "):
            # a Markdown table row of bench/write_bench.sh, kept as it is
            info["write"].setdefault("rows", []).append(line[len("WRITE "):].rstrip("\n"))
            continue
        if line.startswith("MACHINE "):
            k, _, v = line[len("MACHINE "):].strip().partition("=")
            info["machine"][k] = v
            continue
        parts = shlex.split(line.strip())
        if not parts:
            continue
        tag, rest = parts[0], parts[1:]
        kv = {}
        words = []
        for p in rest:
            if "=" in p:
                k, v = p.split("=", 1)
                kv[k] = v
            else:
                words.append(p)
        if tag == "M":
            figs[(kv["name"], kv["input"])].append({
                "cpu": float(kv["cpu"]), "wall": float(kv["wall"]),
                "rss": int(kv["maxrss_kb"]), "status": int(kv["status"]),
                "timeout": kv["timeout"] == "1"})
        elif tag == "D":
            dec[(kv["input"], words[0])] = {k: float(v) for k, v in kv.items() if k != "input"}
        elif tag == "DRSS":
            info["drss"][kv["input"]] = int(kv["kb"])
        elif tag == "BYTES":
            info["bytes"][kv["input"]] = int(kv["bytes"])
        elif tag in ("GEDCOUNT", "COUNT", "PYVER", "PERF"):
            info[tag.lower()].update(kv)
        elif tag == "LOAD":
            loads.append(tuple(float(x) for x in words[:3]))
        elif tag == "SOCK":
            sock.append(kv)
        elif tag == "PY":
            py.append(kv)
        elif tag == "CG":
            cg.append(kv)
    return figs, dec, info, loads, sock, py, cg


def fmt_rate(mbps):
    if mbps is None:
        return "-"
    return f"{mbps:,.0f} MB/s" if mbps >= 100 else f"{mbps:.1f} MB/s"


def fmt_kb(kb):
    if kb is None:
        return "-"
    return f"{kb / 1024:.1f} MiB"


def fmt_ratio(r, digits=1):
    if r is None:
        return "-"
    if r >= 100:
        return f"{r:,.0f}x"
    return f"{r:.{digits}f}x"


class Report:
    def __init__(self, path):
        (self.figs, self.dec, self.info, self.loads, self.sock, self.py,
         self.cg) = parse(path)
        self.rows = []      # (metric, ours, baseline, ratio, target, met)
        self.misses = []

    # --- figures ---
    def bytes_of(self, inp):
        # figures on the .gz and .zst are per decompressed byte
        return self.info["bytes"].get("large" if inp in ("gz", "zst") else inp)

    def events_of(self, inp):
        d = self.dec.get((inp, "mem"))
        return int(d["events"]) if d else None

    def runs(self, name, inp):
        return self.figs.get((name, inp), [])

    def ok_runs(self, name, inp):
        return [r for r in self.runs(name, inp) if r["status"] == 0 and not r["timeout"]]

    def timed_out(self, name, inp):
        return any(r["timeout"] for r in self.runs(name, inp))

    def best_cpu(self, name, inp):
        rs = self.ok_runs(name, inp)
        return min(r["cpu"] for r in rs) if rs else None

    def best_wall(self, name, inp):
        rs = self.ok_runs(name, inp)
        return min(r["wall"] for r in rs) if rs else None

    def median_wall(self, name, inp):
        rs = self.ok_runs(name, inp)
        return statistics.median(r["wall"] for r in rs) if rs else None

    def mbps(self, name, inp):
        """A whole process, by its best wall-clock time: our reader and `show`
        use a second core, and time to the answer is what a user waits."""
        t, b = self.best_wall(name, inp), self.bytes_of(inp)
        return b / t / 1e6 if t and b else None

    def cpu_mbps(self, name, inp):
        """The same by CPU time (user + system of all its threads)."""
        t, b = self.best_cpu(name, inp), self.bytes_of(inp)
        return b / t / 1e6 if t and b else None

    def rss(self, name, inp):
        rs = self.ok_runs(name, inp)
        return max(r["rss"] for r in rs) if rs else None

    def spread(self, name, inp):
        rs = self.ok_runs(name, inp)
        if len(rs) < 2:
            return None
        c = [r["wall"] for r in rs]
        return (max(c) - min(c)) / min(c) if min(c) > 0 else None

    def evps(self, name, inp):
        t = self.best_wall(name, inp)
        e = self.events_of("large" if inp == "gz" else inp)
        return f", {e / t / 1e6:.1f} M ev/s" if t and e else ""

    def dec_mbps(self, inp, name):
        d = self.dec.get((inp, name))
        return d["mbps"] if d else None

    def dec_wall_mbps(self, inp, name):
        d = self.dec.get((inp, name))
        return d["bytes"] / d["wall"] / 1e6 if d and d.get("wall") else None

    # --- the table ---
    def row(self, metric, ours, base, ratio, target, met):
        m = "-" if met is None else ("yes" if met else "**no**")
        self.rows.append((metric, ours, base, ratio, target, m))
        if met is False:
            self.misses.append(metric)

    def build(self):
        ins = [("large", "large log"), ("small", "small-event log"), ("census", "large-event log")]
        # typed decode, absolute: the decoder always fills every typed field;
        # the callbacks differ in what they do with them
        # The target is the decoder's: typed decode with a callback per event
        # (the counting one). The others add the callback's own work; the
        # pair "switch" / "no switch" reads about the same data with and
        # without a branch on the event type, which the CPU mispredicts where
        # the types interleave (the decoder does not branch on them).
        cbs = [("mem_count", "callback per event that counts"),
               ("mem_first", "callback reads a typed field, no switch on the type"),
               ("mem", "callback switches on the type, reads a few fields"),
               ("mem_fields", "callback reads every typed field"),
               ("mem_select", "settings.select keeps user messages only (callback counts them)")]
        for inp, label in ins:
            for name, what in cbs:
                v = self.dec_mbps(inp, name)
                ev = self.dec.get((inp, name))
                evs = f", {ev['evps'] / 1e6:.0f} M ev/s" if ev else ""
                head = inp == "large" and name == "mem_count"
                self.row(f"typed decode, in memory, {what}, {label}", fmt_rate(v) + evs, "-", "-",
                         ">= 2 GB/s" if head else "(>= 2 GB/s)",
                         (v >= 2000 if v else False) if head else None)
        # typed decode vs ghc-events incremental: both whole processes reading
        # the file, interleaved round by round
        for inp, label in ins:
            ours = self.mbps("decode", inp)
            ge = self.mbps("ghc_events_decode", inp)
            base = "timeout" if ge is None and self.timed_out("ghc_events_decode", inp) else fmt_rate(ge)
            r = ours / ge if ours and ge else None
            self.row(f"typed decode of the file (process, wall) vs ghc-events incremental, {label}",
                     fmt_rate(ours) + self.evps("decode", inp), base + self.evps("ghc_events_decode", inp),
                     fmt_ratio(r), ">= 15x", (r >= 15) if r else (True if base == "timeout" else False))
            oc, gc = self.cpu_mbps("decode", inp), self.cpu_mbps("ghc_events_decode", inp)
            self.row(f"the same in CPU time (both threads of ours), {label}", fmt_rate(oc), fmt_rate(gc),
                     fmt_ratio(oc / gc if oc and gc else None), "(>= 15x)", None)
        # floors
        for inp, label in ins[:1]:
            ours = self.mbps("decode", inp)
            for name, what in (("cat", "`cat > /dev/null`"), ("byte_loop", "byte loop (1 MiB reads)")):
                b = self.mbps(name, inp)
                self.row(f"typed decode of the file vs {what}, {label}", fmt_rate(ours),
                         fmt_rate(b), fmt_ratio(ours / b if ours and b else None, 2), "(floor)", None)
            a, m = self.mbps("byte_loop", inp), self.mbps("byte_loop_off16", inp)
            if a and m:
                self.row(f"byte loop, buffer at page + 16 (where malloc puts 1 MiB) vs page-aligned, {label}",
                         fmt_rate(m), fmt_rate(a), fmt_ratio(m / a, 2), "(read(2) alignment)", None)
            info = self.mbps("info", inp)
            ge = self.mbps("ghc_events_decode", inp)
            self.row(f"`eventlog info` (every field, counts per type) vs ghc-events incremental, {label}",
                     fmt_rate(info), fmt_rate(ge), fmt_ratio(info / ge if info and ge else None),
                     "(>= 15x)", None)
        # show vs ghc-events show
        for inp, label in ins[1:]:
            ours, ge = self.mbps("show", inp), self.mbps("ghc_events_show", inp)
            tout = ge is None and self.timed_out("ghc_events_show", inp)
            r = ours / ge if ours and ge else None
            self.row(f"`eventlog show` vs `ghc-events show` (speed, wall), {label}", fmt_rate(ours),
                     "timeout" if tout else fmt_rate(ge), fmt_ratio(r), ">= 100x",
                     (r >= 100) if r else (True if tout else False))
            # A run of ours lasts tens of milliseconds, one of ghc-events
            # seconds: the best of ours samples the host's quiet moments
            # more than the best of theirs. The medians say how it usually goes.
            om, gm = self.median_wall("show", inp), self.median_wall("ghc_events_show", inp)
            b = self.bytes_of(inp)
            self.row(f"the same by median wall times, {label}",
                     fmt_rate(b / om / 1e6 if om and b else None),
                     fmt_rate(b / gm / 1e6 if gm and b else None),
                     fmt_ratio(gm / om if om and gm else None), "(>= 100x)", None)
            oc, gc = self.cpu_mbps("show", inp), self.cpu_mbps("ghc_events_show", inp)
            self.row(f"the same in CPU time (both threads of ours), {label}", fmt_rate(oc), fmt_rate(gc),
                     fmt_ratio(oc / gc if oc and gc else None), "(>= 100x)", None)
            orss, grss = self.rss("show", inp), self.rss("ghc_events_show", inp)
            rr = orss / grss if orss and grss else None
            self.row(f"`eventlog show` vs `ghc-events show` (peak RSS), {label}", fmt_kb(orss),
                     fmt_kb(grss), f"{rr:.3f}" if rr else "-", "<= 0.1", (rr <= 0.1) if rr else None)
            st = self.mbps("show_stream", inp)
            self.row(f"`eventlog show --stream` vs `ghc-events show`, {label}", fmt_rate(st),
                     fmt_rate(ge), fmt_ratio(st / ge if st and ge else None), "(>= 100x)", None)
        for name, what in (("show", "`eventlog show`"), ("show_stream", "`eventlog show --stream`")):
            v = self.mbps(name, "large")
            self.row(f"{what}, large log (output to /dev/null)", fmt_rate(v), "-", "-", "-", None)
        # the reader's cost (wall-clock time: its read-ahead thread reads and
        # inflates on the other core while the decoder runs)
        for inp, label in ins:
            rw, mw = self.dec_wall_mbps(inp, "reader"), self.dec_wall_mbps(inp, "mem")
            added = (mw / rw - 1) * 100 if rw and mw else None
            head = inp == "large"
            self.row(f"plain file through elog_reader vs decoding the bytes in memory (wall), {label}",
                     fmt_rate(rw), fmt_rate(mw), f"{added:+.1f}% time" if added is not None else "-",
                     "<= 5% added" if head else "(<= 5% added)",
                     (added <= 5) if head and added is not None else (False if head else None))
        # what any second thread costs the decoding thread on this machine
        for inp, label in ins[:1]:
            sw, mw = self.dec_wall_mbps(inp, "mem_spin"), self.dec_wall_mbps(inp, "mem")
            if sw and mw:
                self.row(f"decoding in memory while a second thread spins vs alone (wall), {label}",
                         fmt_rate(sw), fmt_rate(mw), f"{(mw / sw - 1) * 100:+.1f}% time",
                         "(CPUs independent?)", None)
        rg, zi = self.dec_wall_mbps("gz", "reader_gz"), self.dec_wall_mbps("gz", "zlib_inflate")
        r = rg / zi if rg and zi else None
        self.row(".gz input: elog_reader decode vs plain zlib inflate (MB/s inflated, wall)", fmt_rate(rg),
                 fmt_rate(zi), fmt_ratio(r, 2), ">= 0.8x", (r >= 0.8) if r else False)
        rg, zi = self.dec_mbps("gz", "reader_gz"), self.dec_mbps("gz", "zlib_inflate")
        self.row(".gz input: the same in CPU time of the decoding thread", fmt_rate(rg),
                 fmt_rate(zi), fmt_ratio(rg / zi if rg and zi else None, 2), "-", None)
        for name, what in (("decode", "`decode_bench reader FILE.gz`"), ("info", "`eventlog info FILE.gz`")):
            v, z = self.mbps(name, "gz"), self.mbps("zcat", "gz")
            self.row(f"{what} vs `zcat FILE.gz > /dev/null` (process)", fmt_rate(v), fmt_rate(z),
                     fmt_ratio(v / z if v and z else None, 2), "(>= 0.8x)", None)
        # streaming RSS ladder
        sizes = ["size1M", "size10M", "size100M", "size1G"]
        for name, what in (("show_stream", "`show --stream`"), ("info", "`info`")):
            vals = [self.rss(name, s) for s in sizes]
            if all(v is not None for v in vals):
                flat = max(vals) - min(vals) <= 512
                met = max(vals) <= 4096 and flat
                self.row(f"peak RSS of {what}, 1 MB / 10 MB / 100 MB / 1 GB",
                         " / ".join(fmt_kb(v) for v in vals), "-",
                         f"+{(max(vals) - min(vals)) / 1024:.2f} MiB", "<= 4 MiB, flat", met)
            else:
                self.row(f"peak RSS of {what}, 1 MB .. 1 GB", "missing", "-", "-", "<= 4 MiB, flat", False)
        vals = [self.rss("show", s) for s in sizes]
        if all(v is not None for v in vals):
            self.row("peak RSS of `show` (sorted), 1 MB / 10 MB / 100 MB / 1 GB",
                     " / ".join(fmt_kb(v) for v in vals), "-",
                     f"+{(max(vals) - min(vals)) / 1024:.2f} MiB", "(does not grow)", None)
        # python
        pyv = {p["what"]: p for p in self.py}
        for key, label, target in (("batched  read_columns()", "Python batched read_columns()", 5.0),
                                   ("iterator for ev in open()", "Python per-event iterator", 1.0)):
            p = pyv.get(key)
            v = float(p["wall_mevps"]) if p else None
            self.row(f"{label}, small-event log", f"{v:.2f} M ev/s" if v else "failed", "-", "-",
                     f">= {target:.0f} M ev/s", (v >= target) if v else False)
        # socket
        cl = next((s for s in self.sock if s["what"].startswith("socket client")), None)
        base = next((s for s in self.sock if "cat" in s["what"] or s["what"].startswith("socat")), None)
        v = float(cl["mbps"]) if cl else None
        b = float(base["mbps"]) if base else None
        self.row("socket client over Unix loopback vs `eventlog replay` (wall)",
                 fmt_rate(v) if v else "failed", fmt_rate(b) + " (socketpair, no decode)" if b else "-",
                 fmt_ratio(v / b if v and b else None, 2), ">= 500 MB/s", (v >= 500) if v else False)
        # instructions
        for c in self.cg:
            ir = int(c["ir"]) if c.get("ir") else None
            if c["what"] == "decoder":
                ev = int(c["events"])
                label = {"cut20": "20 MB cut of the large log", "census": "large-event log"}.get(
                    c["input"], c["input"])
                self.row(f"instructions per event, decoder + callback (callgrind), {label}",
                         f"{ir / ev:.1f}" if ir else "-", "-", "-", "-", None)
            else:
                ev = int(self.info["count"].get("events", 0))
                what = {"show_stream": "`show --stream`", "show": "`show`", "info": "`info`"}[c["what"]]
                self.row(f"instructions per event, whole {what} process (callgrind), 10 MB log",
                         f"{ir / ev:.1f}" if ir and ev else "-", "-", "-", "-", None)
        perf = self.info["perf"].get("status")
        if perf:
            txt = {"ok": "available (instructions counted)",
                   "missing": "perf not installed: callgrind is used",
                   }.get(perf, "not supported here (no PMU in the VM): callgrind is used")
            self.row("`perf stat -e instructions`", txt, "-", "-", "-", None)

    def sources(self):
        """The "Sources" section: .zst input against `zstd -dc`, `info`
        against a bare counting decode, info's peak RSS."""
        saved, self.rows = self.rows, []
        misses_before = len(self.misses)
        for name, what in (("count", "`decode_bench count FILE.zst` (reader + decoder, counting)"),
                           ("info", "`eventlog info FILE.zst`")):
            v, z = self.mbps(name, "zst"), self.mbps("zstd_dc", "zst")
            r = v / z if v and z else None
            self.row(f"{what} vs `zstd -dc FILE.zst > /dev/null` (process, wall, MB/s decompressed)",
                     fmt_rate(v), fmt_rate(z), fmt_ratio(r, 2), ">= 0.8x",
                     (r >= 0.8) if r else False)
        v, z = self.cpu_mbps("count", "zst"), self.cpu_mbps("zstd_dc", "zst")
        self.row("the same by CPU time (user + system, all threads)", fmt_rate(v), fmt_rate(z),
                 fmt_ratio(v / z if v and z else None, 2), "-", None)
        i, c = self.mbps("info", "large"), self.mbps("count", "large")
        r = i / c if i and c else None
        self.row("`eventlog info` vs a bare counting decode (`decode_bench count`), large log, wall",
                 fmt_rate(i), fmt_rate(c), fmt_ratio(r, 2), ">= 0.75x", (r >= 0.75) if r else False)
        i, c = self.cpu_mbps("info", "large"), self.cpu_mbps("count", "large")
        self.row("the same by CPU time", fmt_rate(i), fmt_rate(c),
                 fmt_ratio(i / c if i and c else None, 2), "-", None)
        rss = self.rss("info", "large")
        self.row("peak RSS of `eventlog info`, large log", fmt_kb(rss), "-", "-", "<= 4 MiB",
                 (rss <= 4096) if rss else False)
        sizes = ["size1M", "size10M", "size100M", "size1G"]
        vals = [self.rss("info", k) for k in sizes]
        if all(v is not None for v in vals):
            self.row("peak RSS of `info`, 1 MB / 10 MB / 100 MB / 1 GB",
                     " / ".join(fmt_kb(v) for v in vals), "-",
                     f"+{(max(vals) - min(vals)) / 1024:.2f} MiB", "<= 4 MiB", max(vals) <= 4096)
        rss = self.rss("count", "zst")
        self.row("peak RSS of `decode_bench count FILE.zst`", fmt_kb(rss), fmt_kb(self.rss("zstd_dc", "zst")),
                 "-", "(bounded: buffers + zstd window)", None)
        rows, self.rows = self.rows, saved
        misses = self.misses[misses_before:]
        mach = self.info["machine"]
        load = ", ".join(f"{a:.2f}" for a, _, _ in self.loads) if self.loads else "-"
        head = ("metric", "ours", "baseline", "ratio", "target", "met?")
        out = ["<!-- sources -->", "## Sources", "",
               "Byte sources (plain, gzip, zstd, xz, read-ahead) and `eventlog info`, measured by "
               "`bench/run.sh` (`ONLY=sources bench/run.sh` runs only these and rewrites only this "
               f"section). Run of {mach.get('date', '-')}, commit {mach.get('commit', '-')}, "
               f"{mach.get('rounds', '-')} rounds, best wall time of each; zstd {mach.get('zstd', '-')}; "
               f"load average during the run: {load}. `.zst`: `corpus/large/derived/busy-large.eventlog.zst` "
               f"(`zstd -3`, {self.info['bytes'].get('zst', 0):,} bytes for "
               f"{self.info['bytes'].get('large', 0):,}).", "",
               "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        out += ["", ("Missed: " + "; ".join(misses) + ".") if misses else "Every target is met.", "",
                "How to read the zstd rows: the reader decompresses on its read-ahead thread while "
                "the caller's thread decodes, so on two idle cores a `.zst` log is decoded in about "
                "the time `zstd -dc` takes to decompress it; in CPU time it costs decompression plus "
                "decoding (the CPU row). On a host whose other jobs keep both cores busy (load "
                "average near or above 2, see above) the second core is not there to be had and the "
                "wall-clock ratio falls toward the CPU-time ratio.",
                "<!-- /sources -->"]
        return "\n".join(out)

    def table(self):
        head = ("metric", "ours", "baseline", "ratio", "target", "met?")
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in self.rows:
            out.append("| " + " | ".join(r) + " |")
        return "\n".join(out)

    def plain_table(self):
        head = ("metric", "ours", "baseline", "ratio", "target", "met?")
        rows = [head] + [tuple(c.replace("**", "").replace("`", "") for c in r) for r in self.rows]
        w = [min(max(len(r[i]) for r in rows), 70) for i in range(len(head))]
        return "\n".join("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in rows)

    def details(self):
        out = []
        out.append("| figure | input | MB | best wall s | MB/s | M events/s | spread | best CPU s | MB/s by CPU | peak RSS | runs |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|")
        order = ["cat", "byte_loop", "byte_loop_off16", "decode", "info", "ghc_events_decode", "show", "show_stream",
                 "ghc_events_show", "zcat"]
        keys = sorted(self.figs, key=lambda k: (order.index(k[0]) if k[0] in order else 99, k[1]))
        for name, inp in keys:
            rs = self.runs(name, inp)
            b = self.bytes_of(inp)
            t = self.best_wall(name, inp)
            c = self.best_cpu(name, inp)
            ev = self.evps(name, inp)
            sp = self.spread(name, inp)
            note = ""
            if self.timed_out(name, inp):
                note = " (timeout)"
            elif any(r["status"] for r in rs):
                note = " (failed)"
            out.append(f"| {name} | {inp} | {b / 1e6:.1f} | {t:.3f} |" if t and b else
                       f"| {name} | {inp} | {b / 1e6 if b else 0:.1f} | - |")
            out[-1] += (f" {fmt_rate(b / t / 1e6)} |" if t and b else " - |")
            out[-1] += f" {ev[2:].replace(' M ev/s', '')} |" if ev else " - |"
            out[-1] += f" {sp * 100:.1f}% |" if sp is not None else " - |"
            out[-1] += (f" {c:.3f} | {fmt_rate(b / c / 1e6)} |" if c and b else " - | - |")
            out[-1] += f" {fmt_kb(self.rss(name, inp))} | {len(rs)}{note} |"
        out.append("")
        out.append("decode_bench (CPU time of the decoding thread, file already in memory or page cache):")
        out.append("")
        out.append("| input | figure | MB/s | M events/s | best s | median s | worst s | spread |")
        out.append("|---|---|---|---|---|---|---|---|")
        for (inp, name), d in sorted(self.dec.items()):
            out.append(f"| {inp} | {name} | {d['mbps']:,.0f} | {d['evps'] / 1e6:.1f} | {d['best']:.4f} | "
                       f"{d['median']:.4f} | {d['worst']:.4f} | {(d['worst'] / d['best'] - 1) * 100:.1f}% |")
        return "\n".join(out)

    def inputs(self):
        out = ["| input | file | bytes | events | bytes/event |", "|---|---|---|---|---|"]
        names = {"large": "corpus/large/busy-large.eventlog", "small": "corpus/large/busy-small.eventlog",
                 "census": "corpus/large/census-hc.eventlog", "gz": "corpus/large/derived/busy-large.eventlog.gz",
                 "size1M": "corpus/large/derived/size-1M.eventlog",
                 "size10M": "corpus/large/derived/size-10M.eventlog",
                 "size100M": "corpus/large/derived/size-100M.eventlog",
                 "size1G": "corpus/large/derived/size-1G.eventlog"}
        for k, f in names.items():
            b = self.info["bytes"].get(k)   # the .gz: its compressed size
            e = self.events_of("large" if k == "gz" else k)
            if k == "size10M":
                e = int(self.info["count"].get("events", 0)) or None
            out.append(f"| {k} | {f} | {b:,} | {e:,} | {b / e:.1f} |" if b and e else
                       f"| {k} | {f} | {b:,} | - | - |" if b else f"| {k} | {f} | - | - | - |")
        return "\n".join(out)
    def writing(self):
        """The generated part of the "Writing" area: bench/write_bench.sh's
        table of this run (ours beside its baselines, same run)."""
        mach = self.info["machine"]
        load = ", ".join(f"{a:.2f}" for a, _, _ in self.loads) if self.loads else "-"
        rows = self.info["write"].get("rows", [])
        out = ["<!-- writing -->",
               f"Last `bench/run.sh` run (`ONLY=writing bench/run.sh` runs only this and rewrites "
               f"only this part): {mach.get('date', '-')}, commit {mach.get('commit', '-')}, "
               f"{mach.get('rounds', '-')} rounds (`bench/write_bench.sh`: best wall time, "
               f"best CPU time, peak RSS); load average during the run: {load}.", ""]
        out += rows if rows else ["_(bench/write_bench.sh failed in this run: see its output)_"]
        out.append("<!-- /writing -->")
        return "\n".join(out)


def replace_section(dest: str, name: str, section: str) -> None:
    """Puts `section` between the `<!-- name -->` markers of `dest` (else at
    its end), the rest of the file kept."""
    old = open(dest, encoding="utf-8").read() if os.path.exists(dest) else ""
    m = re.search(r"<!-- %s -->.*?<!-- /%s -->" % (name, name), old, re.S)
    new = (old[:m.start()] + section + old[m.end():]) if m else old.rstrip("\n") + "\n\n" + section + "\n"
    with open(dest + ".tmp", "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(dest + ".tmp", dest)


def main() -> int:
    args = sys.argv[1:]
    only = None
    if args[:1] == ["--section"] and len(args) >= 2 and args[1] in ("sources", "writing"):
        only, args = args[1], args[2:]
    if len(args) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    rep = Report(args[0])
    if only is not None:
        section = rep.sources() if only == "sources" else rep.writing()
        print(section)
        if len(args) == 1:
            return 0
        replace_section(args[1], only, section)
        return 0
    rep.build()
    print(rep.plain_table())
    if rep.misses:
        print("\nmissed: " + "; ".join(m.replace("`", "") for m in rep.misses))
    if len(args) == 1:
        return 0
    dest = args[1]
    analysis = ("<!-- analysis -->\n_(no analysis yet: write it between these markers; "
                "bench/run.sh keeps it)_\n<!-- /analysis -->")
    # Sections of other benchmarks (one per area, appended after the marker
    # `<!-- areas -->` at the end) are kept as they are.
    areas = ""
    if os.path.exists(dest):
        old = open(dest, encoding="utf-8").read()
        m = re.search(r"<!-- analysis -->.*?<!-- /analysis -->", old, re.S)
        if m:
            analysis = m.group(0)
        m = re.search(r"\n<!-- areas -->\n.*\Z", old, re.S)
        if m:
            areas = m.group(0)
    mach = rep.info["machine"]
    loads = rep.loads
    load_txt = ", ".join(f"{a:.2f}" for a, _, _ in loads) if loads else "-"
    lo = min(a for a, _, _ in loads) if loads else 0
    hi = max(a for a, _, _ in loads) if loads else 0
    pyver = rep.info["pyver"]
    md = f"""# Benchmark results

Produced by `bench/run.sh` (one command; not part of the test run). The table
below is regenerated by every run; the analysis section is written by hand and
kept across runs. Raw figures of the last run: `build-bench/bench-results.txt`.

## Machine

| | |
|---|---|
| date | {mach.get('date', '-')} |
| commit | {mach.get('commit', '-')} |
| CPU | {mach.get('cpu', '-')}, `nproc` = {mach.get('nproc', '-')} (shared with other jobs) |
| memory | {mach.get('mem', '-')} |
| kernel | {mach.get('kernel', '-')} |
| compiler | {mach.get('cc', '-')}, meson release build (`-O3`) |
| GHC | {mach.get('ghc', '-')} (Debian), ghc-events {mach.get('ghc_events', '-')} (Debian `libghc-ghc-events-dev`, also `/usr/bin/ghc-events`) |
| zlib | {mach.get('zlib', '-')} |
| Python | {pyver.get('python', '-')}, numpy {pyver.get('numpy', '-')} |
| load average (1 min) during the run | {load_txt} (min {lo:.2f}, max {hi:.2f}) |
| run | {mach.get('rounds', '-')} rounds per figure (decode_bench's in-process figures: at least 7), {mach.get('duration', '-')} s in all |

## Noise

Each figure is repeated (the `runs` column below) and the **best** run is
reported, with the spread (worst / best - 1) of the runs; for `show` against
`ghc-events show`, whose runs differ a hundredfold in length, the ratio of the
median times is given too. Whole processes are
timed by wall clock, because the reader's read-ahead and sorted `show` use
the second core and the time to the answer is what a user waits for; their
CPU time (user + system of every thread, from `wait4()`) is given beside the
headline comparisons. In-process figures of decode_bench use the decoding
thread's CPU clock, except the reader's cost, timed by wall clock. Wall time
is only meaningful when the machine is otherwise idle: see the load average
above. The socket and Python figures use wall time. Peak RSS is
the largest of the runs (`ru_maxrss`). The page cache is warm: every input is
read once before it is measured. There are no hardware performance counters
in this VM (`perf stat -e instructions` reports "not supported"), so
instructions per event come from `valgrind --tool=callgrind`, which is exact
and does not depend on the load.

## Results

{rep.table()}

{"Missed: " + "; ".join(rep.misses) + "." if rep.misses else "Every target is met."}

{analysis}

{rep.sources()}

## Inputs

Recorded by `bench/gen_large.sh` with GHC 9.0.2 (git-ignored, regenerated when
missing): `busy-*` from `bench/programs/Busy.hs` (`-threaded`, `+RTS -N2 -l`:
short-lived threads, MVar ping-pong, `traceEventIO`), `census-hc` from
`bench/programs/Census.hs` (`-prof -fprof-auto`, `+RTS -hc -i0.005 -l`: heap
samples with 17-frame cost-centre stacks). The `size*` logs are the large log's
header, its blocks (cycled for 1 GB) and an end marker (`decode_bench mklog`);
they decode clean with strict block checks.

{rep.inputs()}

## Every figure

{rep.details()}
"""
    md = md.rstrip("\n") + "\n" + areas if areas else md
    with open(dest + ".tmp", "w", encoding="utf-8") as f:
        f.write(md)
    os.replace(dest + ".tmp", dest)
    if rep.info["write"].get("rows"):
        replace_section(dest, "writing", rep.writing())
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""`eventlog stats --json` equals what the RTS itself prints with `+RTS -s`.

    rts_stats_test.py EVENTLOG_EXE

Builds tests/ghc/Stats.hs (ghc -O -threaded -eventlog -rtsopts) and runs it
under several RTS configurations with `+RTS -l -olLOG -sFILE`: threaded -N2,
-N2 -qg (sequential GC), -G3 (three generations), -hT (a heap profile
without profiling libraries), -xn (the non-moving collector). For each, the
collections and parallel collections per generation, bytes allocated, bytes
copied, maximum residency and the spark counts of the -s summary must equal
the figures `eventlog stats --json` derives from the eventlog; the user
spans, thread labels and capabilities must be the program's. Then a run
killed with SIGKILL: stats still exits 0 and its `end` says truncated.

Exits 77 (skipped) only when ghc is not installed.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 60

CONFIGS = [
    ("N2", ["-N2"]),
    ("N2-qg", ["-N2", "-qg"]),
    ("G3", ["-N2", "-G3"]),
    ("hT", ["-hT", "-i0.01"]),
    ("xn", ["-N2", "-xn"]),
]


def num(s):
    return int(s.replace(",", ""))


def parse_s(text):
    """The figures of a +RTS -s summary."""
    r = {}
    r["allocated"] = num(re.search(r"([\d,]+) bytes allocated in the heap", text).group(1))
    r["copied"] = num(re.search(r"([\d,]+) bytes copied during GC", text).group(1))
    r["max_live"] = num(re.search(r"([\d,]+) bytes maximum residency", text).group(1))
    r["gens"] = [(int(g), int(c), int(p)) for g, c, p in
                 re.findall(r"Gen\s+(\d+)\s+(\d+) colls,\s+(\d+) par", text)]
    m = re.search(r"SPARKS: (\d+) \((\d+) converted, (\d+) overflowed, (\d+) dud, "
                  r"(\d+) GC'd, (\d+) fizzled\)", text)
    r["sparks"] = tuple(int(x) for x in m.groups()) if m else None
    return r


def main():
    if shutil.which("ghc") is None:
        print("ghc not installed: skipped")
        return 77
    exe = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="elog-stats-")
    failures = []
    try:
        prog = os.path.join(tmp, "stats")
        p = subprocess.run(["ghc", "-O", "-threaded", "-eventlog", "-rtsopts",
                            "-outputdir", os.path.join(tmp, "obj"), "-o", prog,
                            os.path.join(HERE, "Stats.hs")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        if p.returncode != 0:
            print("ghc failed:\n" + p.stdout.decode("utf-8", "replace"))
            return 1
        for name, rts in CONFIGS:
            log = os.path.join(tmp, name + ".eventlog")
            sfile = os.path.join(tmp, name + ".s")
            subprocess.run([prog, "100000", "+RTS", "-l", "-ol" + log, "-s" + sfile] + rts
                           + ["-RTS"], cwd=tmp, check=True, stdout=subprocess.DEVNULL,
                           timeout=TIMEOUT)
            with open(sfile) as f:
                rtss = parse_s(f.read())
            out = subprocess.run([exe, "stats", "--json", log], stdout=subprocess.PIPE,
                                 timeout=TIMEOUT, check=True).stdout
            st = json.loads(out)
            got = {
                "allocated": st["heap"]["allocated_bytes"],
                "copied": sum(g["copied_bytes"] for g in st["gc"]["generations"]),
                "max_live": st["heap"]["max_live_bytes"],
                "gens": [(g["generation"], g["collections"], g["parallel"])
                         for g in st["gc"]["generations"]],
                "sparks": None,
            }
            if "sparks" in st:
                s = st["sparks"]
                got["sparks"] = (s["created"], s["converted"], s["overflowed"], s["dud"],
                                 s["gcd"], s["fizzled"])
            # -s lists every generation, also those never collected.
            while len(got["gens"]) < len(rtss["gens"]):
                got["gens"].append((len(got["gens"]), 0, 0))
            for key in rtss:
                if rtss[key] != got[key]:
                    failures.append("%s: %s: +RTS -s says %r, eventlog stats says %r"
                                    % (name, key, rtss[key], got[key]))
            if st["end"]["kind"] != "clean":
                failures.append("%s: end %r" % (name, st["end"]))
            # What Stats.hs does: 4 "work" spans (subscripts 1..4) and one
            # "sparks" span, threads labelled "main" and "worker 1..4".
            spans = {sp["label"]: sp["count"] for sp in st["spans"]}
            if spans != {"work": 4, "sparks": 1}:
                failures.append("%s: spans %r" % (name, spans))
            labels = {t["label"] for t in st["threads"]}
            if not {"main", "worker 1", "worker 2", "worker 3", "worker 4"} <= labels:
                failures.append("%s: thread labels %r" % (name, labels))
            if any(t["stop_reasons"].get("finished", 0) > 1 for t in st["threads"]):
                failures.append("%s: a thread finished twice" % name)
            caps = 2 if "-N2" in rts else 1
            if len(st["capabilities"]) != caps:
                failures.append("%s: %d capabilities" % (name, len(st["capabilities"])))
            print("%-6s ok? %s  %r" % (name, not any(f.startswith(name + ":") for f in failures),
                                       rtss))

        # Killed: a truncated log still gives its summary, exit 0.
        log = os.path.join(tmp, "killed.eventlog")
        p = subprocess.Popen([prog, "100000000", "+RTS", "-l", "-ol" + log, "-N2", "-RTS"],
                             cwd=tmp, stdout=subprocess.DEVNULL)
        # The RTS writes a capability's buffer when it fills: wait until a few
        # were written (the header alone is ~3 KB), however slow the machine.
        deadline = time.time() + 2 * TIMEOUT
        while time.time() < deadline and p.poll() is None and (
                not os.path.exists(log) or os.path.getsize(log) < 300_000):
            time.sleep(0.05)
        if not os.path.exists(log) or os.path.getsize(log) < 300_000:
            failures.append("killed: the program wrote %d bytes in %d s" % (
                os.path.getsize(log) if os.path.exists(log) else 0, 2 * TIMEOUT))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
        r = subprocess.run([exe, "stats", "--json", log], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
        if r.returncode != 0:
            failures.append("killed: exit %d: %s" % (r.returncode, r.stderr.decode()))
        else:
            st = json.loads(r.stdout)
            if not st["end"]["kind"].startswith("truncated"):
                failures.append("killed: end %r" % st["end"])
            if st["gc"]["pause_ns"]["p50"] <= 0 or st["heap"]["allocated_bytes"] <= 0:
                failures.append("killed: no figures: %r" % st)
            print("killed ok: end %r, %d collections" % (
                st["end"], sum(g["collections"] for g in st["gc"]["generations"])))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The corpus manifest and show goldens.

    manifest.py EVENTLOG_EXE            rewrite corpus/MANIFEST.tsv and the goldens
    manifest.py EVENTLOG_EXE --check    verify them (a test: exit 1 on any difference)

MANIFEST.tsv has one line per corpus eventlog: path, GHC (from its RTS identifier),
RTS flags (from corpus/gen/MODES.tsv for generated files), size, end class, events,
and the count per event type. Each corpus/ghc-9.0.2/X.eventlog has a golden
X.eventlog.show.gz: its `eventlog show` output (the conformance/ files have
ghc-events references instead).
"""
import gzip
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIRS = ["corpus/conformance", "corpus/ghc-9.0.2"]
GOLDEN_DIRS = {"corpus/ghc-9.0.2"}


def modes():
    out = {}
    with open(os.path.join(ROOT, "corpus/gen/MODES.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 5:
                out[cols[0]] = cols[4]
    return out


def info(exe, path):
    r = subprocess.run([exe, "info", "--json", path], capture_output=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"manifest: {exe} info {path} failed: {r.stderr.decode(errors='replace')}")
    return json.loads(r.stdout)


def show(exe, path):
    r = subprocess.run([exe, "show", path], capture_output=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"manifest: {exe} show {path} failed: {r.stderr.decode(errors='replace')}")
    return r.stdout


def manifest_line(rel, j, rts_flags):
    ident = j.get("rts_identifier") or ""
    ghc = ident.split()[0] if ident else "-"
    counts = " ".join(f"{c['id']}:{c['count']}" for c in j["event_counts"])
    return "\t".join([rel, ghc, rts_flags or "-", str(j["bytes"]), j["end"]["kind"],
                      str(j["events"]), counts])


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    exe, check = argv[1], "--check" in argv[2:]
    m = modes()
    lines = ["path\tghc\trts_flags\tbytes\tend\tevents\tcounts_by_id"]
    problems = []
    for d in DIRS:
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            if not name.endswith(".eventlog"):
                continue
            rel = f"{d}/{name}"
            path = os.path.join(ROOT, rel)
            lines.append(manifest_line(rel, info(exe, path), m.get(name)))
            if d in GOLDEN_DIRS:
                golden = path + ".show.gz"
                text = show(exe, path)
                if check:
                    if not os.path.exists(golden):
                        problems.append(f"{rel}: golden {golden} is missing")
                    else:
                        with gzip.open(golden, "rb") as g:
                            if g.read() != text:
                                problems.append(f"{rel}: show output differs from its golden")
                else:
                    # mtime=0: byte-identical goldens on every regeneration.
                    with open(golden, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as g:
                        g.write(text)
    text = "\n".join(lines) + "\n"
    mpath = os.path.join(ROOT, "corpus/MANIFEST.tsv")
    if check:
        with open(mpath, encoding="utf-8") as f:
            old = f.read().splitlines()
        new = text.splitlines()
        for a, b in zip(old, new):
            if a != b:
                problems.append(f"MANIFEST.tsv: expected\n  {a}\ngot\n  {b}")
        if len(old) != len(new):
            problems.append(f"MANIFEST.tsv has {len(old)} lines, the corpus gives {len(new)}")
        for p in problems:
            print("FAIL", p)
        n = len(new) - 1
        print(f"{n - len(problems) if len(problems) < n else 0} passed, {len(problems)} failed")
        return 1 if problems else 0
    with open(mpath, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {mpath} ({len(lines) - 1} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

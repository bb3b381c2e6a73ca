#!/usr/bin/env python3
"""Keeps the soname honest: libeventlog.so.N must change when the ABI changes
incompatibly (the rule beside elog_soversion in meson.build).

The ABI of a build is its exported symbols (nm -D --defined-only) and the
sizeof of every struct and union defined in the public headers. A release
records its ABI in libeventlog/abi/libeventlog.so.N.abi; the check compares the
build with the newest record:

  - same soversion N: no symbol may disappear and no public struct may change
    size (adding functions is fine); otherwise bump elog_soversion;
  - a larger soversion: the bump is there, the differences are listed;
  - a smaller one: an error.

    abi_check.py dump   BUILDDIR SRCROOT SOVERSION          print the ABI
    abi_check.py check  BUILDDIR SRCROOT SOVERSION ABIDIR   the test (meson: abi-soversion)
    abi_check.py record BUILDDIR SRCROOT SOVERSION ABIDIR   at a release: write the record
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile


def public_headers(build: str, src: str) -> list[str]:
    heads = [os.path.join(src, "include", "eventlog.h")]
    heads += sorted(glob.glob(os.path.join(src, "include", "eventlog", "*.h")))
    heads += sorted(glob.glob(os.path.join(build, "include", "eventlog", "*.h")))
    return heads


def aggregates(headers: list[str]) -> dict[str, str]:
    """name -> "struct" or "union" for every one the headers define (not opaque
    ones, nor private members such as elog_decoder's struct elog__decoder_private:
    the size of the public struct that holds one is recorded)."""
    names = {}
    for h in headers:
        with open(h, encoding="utf-8") as f:
            text = f.read()
        for m in re.finditer(r"^\s*(?:typedef\s+)?(struct|union)\s+(\w+)\s*\{", text, re.M):
            if not m.group(2).startswith("elog__"):
                names[m.group(2)] = m.group(1)
    return dict(sorted(names.items()))


def sizes(build: str, src: str) -> dict[str, int]:
    headers = public_headers(build, src)
    names = aggregates(headers)
    incs = sorted({"eventlog.h"} | {"eventlog/" + os.path.basename(h)
                                   for h in headers if os.path.basename(h) != "eventlog.h"})
    prog = "".join(f"#include <{i}>\n" for i in incs) + "#include <stdio.h>\nint main(void)\n{\n"
    for n, kind in names.items():
        prog += f'    printf("%s %zu\\n", "{n}", sizeof({kind} {n}));\n'
    prog += "    return 0;\n}\n"
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    with tempfile.TemporaryDirectory() as tmp:
        c, exe = os.path.join(tmp, "abi.c"), os.path.join(tmp, "abi")
        with open(c, "w", encoding="utf-8") as f:
            f.write(prog)
        subprocess.run([cc, "-std=gnu11", "-I", os.path.join(src, "include"),
                        "-I", os.path.join(build, "include"), c, "-o", exe], check=True)
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    return {n: int(s) for n, s in (line.split() for line in out.splitlines())}


def symbols(build: str) -> list[str]:
    so = os.path.join(build, "libeventlog", "libeventlog.so")
    if not os.path.exists(so):
        raise SystemExit(f"abi_check: {so} not found (a static-only build has no ABI to check)")
    out = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True, text=True,
                         check=True).stdout
    return sorted({line.split()[-1] for line in out.splitlines() if line.strip()})


def dump(build: str, src: str, soversion: str) -> list[str]:
    lines = [f"soversion {soversion}"]
    lines += [f"symbol {s}" for s in symbols(build)]
    lines += [f"sizeof {n} {v}" for n, v in sizes(build, src).items()]
    return lines


def parse(lines: list[str]) -> tuple[int, set[str], dict[str, int]]:
    so, syms, szs = -1, set(), {}
    for line in lines:
        w = line.split()
        if not w:
            continue
        if w[0] == "soversion":
            so = int(w[1])
        elif w[0] == "symbol":
            syms.add(w[1])
        elif w[0] == "sizeof":
            szs[w[1]] = int(w[2])
    return so, syms, szs


def main(argv: list[str]) -> int:
    if len(argv) < 5 or argv[1] not in ("dump", "check", "record"):
        sys.stderr.write(__doc__)
        return 2
    mode, build, src, soversion = argv[1:5]
    cur = dump(build, src, soversion)
    if mode == "dump":
        print("\n".join(cur))
        return 0
    if len(argv) != 6:
        sys.stderr.write(__doc__)
        return 2
    abidir = argv[5]
    if mode == "record":
        path = os.path.join(abidir, f"libeventlog.so.{soversion}.abi")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(cur) + "\n")
        print(f"abi_check: wrote {path}")
        return 0
    records = sorted(glob.glob(os.path.join(abidir, "libeventlog.so.*.abi")),
                     key=lambda p: int(p.rsplit(".", 2)[-2]))
    if not records:
        print(f"abi_check: no ABI record in {abidir}", file=sys.stderr)
        return 1
    with open(records[-1], encoding="utf-8") as f:
        old_so, old_syms, old_sizes = parse(f.read().splitlines())
    new_so, new_syms, new_sizes = parse(cur)
    removed = sorted(old_syms - new_syms)
    resized = sorted(n for n in old_sizes if n in new_sizes and old_sizes[n] != new_sizes[n])
    gone = sorted(n for n in old_sizes if n not in new_sizes)
    added = sorted(new_syms - old_syms)
    changes = ([f"  symbol removed: {s}" for s in removed]
               + [f"  struct {n}: {old_sizes[n]} -> {new_sizes[n]} bytes" for n in resized]
               + [f"  struct {n}: no longer public" for n in gone])
    rel = os.path.relpath(records[-1], src)
    if new_so < old_so:
        print(f"abi_check: soversion {new_so} is below the released {old_so} ({rel})",
              file=sys.stderr)
        return 1
    if new_so == old_so:
        if changes:
            print(f"abi_check: the ABI changed incompatibly since {rel}:\n" + "\n".join(changes)
                  + f"\nbump elog_soversion in meson.build to {old_so + 1} (the rule is "
                  f"written beside it)", file=sys.stderr)
            return 1
        print(f"abi_check: compatible with {rel} ({len(added)} symbols added)")
        return 0
    print(f"abi_check: soversion {old_so} -> {new_so}; against {rel}: "
          f"{len(changes)} incompatible changes, {len(added)} symbols added")
    for line in changes[:20]:
        print(line)
    if len(changes) > 20:
        print(f"  ... and {len(changes) - 20} more")
    print(f"(at the release of soversion {new_so}: scripts/abi_check.py record ... to keep "
          f"its ABI in {os.path.relpath(abidir, src)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Checks that libeventlog.so exports exactly the documented API.

    check_exports.py SHARED_LIBRARY SRCROOT [BUILDDIR]

The public headers (include/eventlog.h, include/eventlog/*.h and the generated
ones in BUILDDIR/include/eventlog/) declare the API. This fails when the
library exports:
  - any elog__* symbol (internal by naming rule),
  - any symbol that no public header declares as a function (an internal
    helper leaking because it lacks `static` or ELOG_API is misplaced),
and when a function a public header declares (static inline ones aside) is
not exported: its declaration lacks ELOG_API, or it is not defined. The library is built with
hidden visibility (include/eventlog/api.h), so a failure here means a
declaration lost its ELOG_API or an internal helper gained one.
"""
from __future__ import annotations

import glob
import os
import re
import subprocess
import sys


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    so, src = argv[1], argv[2]
    heads = [os.path.join(src, "include", "eventlog.h")]
    heads += sorted(glob.glob(os.path.join(src, "include", "eventlog", "*.h")))
    if len(argv) == 4:
        heads += sorted(glob.glob(os.path.join(argv[3], "include", "eventlog", "*.h")))
    declared: set[str] = set()
    api: set[str] = set()
    inline: set[str] = set()
    for h in heads:
        with open(h, encoding="utf-8") as f:
            text = strip_comments(f.read())
        declared |= set(re.findall(r"\b(elog_[a-z0-9_]+)\s*\(", text))
        # ELOG_API <return type> name( ... : the name just before the first '('
        for m in re.finditer(r"\bELOG_API\b([^;{(]*?)\b(elog_[a-z0-9_]+)\s*\(", text):
            api.add(m.group(2))
        inline |= set(re.findall(r"\bstatic\s+inline\b[^;{(]*?\b(elog_[a-z0-9_]+)\s*\(", text))
    if len(api) < 50:
        print(f"check_exports: only {len(api)} ELOG_API declarations found in "
              f"{len(heads)} headers under {src}: wrong source root?", file=sys.stderr)
        return 1
    out = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True, text=True,
                         check=True).stdout
    exported = {line.split()[-1] for line in out.splitlines() if line.strip()}
    # Symbols the toolchain adds to every shared object (none today with GNU ld).
    exported -= {"_init", "_fini", "_edata", "_end", "__bss_start"}
    internal = sorted(s for s in exported if s.startswith("elog__"))
    undeclared = sorted(s for s in exported if s not in declared and s not in internal)
    missing = sorted((declared - inline) - exported)
    for s in internal:
        print(f"exported internal symbol: {s} (make it static, or keep it hidden)")
    for s in undeclared:
        print(f"exported but declared in no public header: {s}")
    for s in missing:
        print(f"declared in a public header but not exported: {s} (give its declaration "
              f"ELOG_API, include/eventlog/api.h, or define it)")
    if internal or undeclared or missing:
        print(f"check_exports: {len(internal) + len(undeclared) + len(missing)} problems",
              file=sys.stderr)
        return 1
    print(f"check_exports: {len(exported)} symbols exported, all declared with ELOG_API "
          f"in the public headers; no elog__ symbol")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Writes the per-event-type tables of docs/FORMAT.md (payload layouts) and
docs/SHOW-FORMAT.md (show text) from libeventlog/catalogue.txt, the one
description of event types, between the markers

    <!-- BEGIN catalogue: NAME (docs/gen_tables.py) -->
    <!-- END catalogue: NAME -->

    docs/gen_tables.py           rewrite the tables in place
    docs/gen_tables.py --check   exit 1 if a committed table is out of date

Python standard library only; it reads the catalogue through gencat.py's parser.
"""
from __future__ import annotations

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "libeventlog"))
import gencat  # noqa: E402

CATALOGUE = os.path.join(ROOT, "libeventlog", "catalogue.txt")
FIXED = dict(gencat.INT_SIZES)
KIND_TEXT = {
    "cstr": "NUL-terminated string",
    "text": "UTF-8 text",
    "latin1": "Latin-1 text",
    "bytes": "bytes",
    "strvec": "NUL-separated strings",
    "stack": "u8 count, then count × u32",
}


def size_text(lay) -> str:
    return "var" if lay.variable else str(lay.size)


def fields_text(lay) -> str:
    """Fields in payload order: @offset while offsets are fixed, @L−n for
    fixed fields after a field that takes the rest of the payload."""
    payload = gencat.payload_fields(lay)
    parts, off, from_end = [], 0, None
    for i, f in enumerate(payload):
        if from_end is not None:
            where = f"@L−{from_end} "
            from_end -= FIXED[f.kind]
        elif off is not None:
            where = f"@{off} "
        else:
            where = ""
        kind = f.kind if f.kind in FIXED else KIND_TEXT[f.kind]
        if f.kind in gencat.REST_KINDS:
            tail = sum(FIXED[g.kind] for g in payload[i + 1:])
            kind += f" up to the last {tail} bytes" if tail else " to the end"
            from_end = tail if tail else None
            off = None
        elif off is not None and f.kind in FIXED:
            off += FIXED[f.kind]
        else:
            off = None
        opt = " (optional: read only if bytes remain)" if f.optional else ""
        parts.append(f"{where}`{f.name}` {kind}{opt}")
    for f in lay.fields:
        if f.derived:
            parts.append(f"derived `{f.name}` = 2^`{f.pow2_of}` mod 2^16")
    return ", ".join(parts) if parts else "—"


def show_text(lay) -> str:
    return "`" + lay.show.replace("|", "\\|") + "`"


def format_table(layouts) -> list[str]:
    rows = ["| Id | Name | Size | Payload fields (@byte offset, while fixed) |",
            "|---:|---|---:|---|"]
    for lay in layouts:
        rows.append(f"| {lay.id} | {lay.name} | {size_text(lay)} | {fields_text(lay)} |")
    return rows


def show_table(layouts) -> list[str]:
    rows = ["| Id | Name | Size | Text after `TIME: [cap N: ]` |", "|---:|---|---:|---|"]
    for lay in layouts:
        rows.append(f"| {lay.id} | {lay.name} | {size_text(lay)} | {show_text(lay)} |")
    return rows


TABLES = {
    os.path.join(HERE, "FORMAT.md"): ("layouts", format_table),
    os.path.join(HERE, "SHOW-FORMAT.md"): ("show", show_table),
}


def render(path: str, text: str, layouts) -> str:
    name, make = TABLES[path]
    begin = f"<!-- BEGIN catalogue: {name} (docs/gen_tables.py) -->"
    end = f"<!-- END catalogue: {name} -->"
    pat = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.S)
    if not pat.search(text):
        raise SystemExit(f"gen_tables: {os.path.relpath(path, ROOT)} has no '{begin}' ... "
                         f"'{end}' markers")
    body = "\n".join([begin] + make(layouts) + [end])
    return pat.sub(lambda _m: body, text, count=1)


def main(argv: list[str]) -> int:
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        sys.stderr.write(__doc__)
        return 2
    layouts = gencat.parse(CATALOGUE)
    stale = []
    for path in TABLES:
        with open(path, encoding="utf-8") as f:
            old = f.read()
        new = render(path, old, layouts)
        if new != old:
            if check:
                stale.append(os.path.relpath(path, ROOT))
            else:
                with open(path, "w", encoding="utf-8", newline="\n") as f:
                    f.write(new)
    if stale:
        print(f"gen_tables: {', '.join(stale)} out of date with libeventlog/catalogue.txt; "
              f"run: python3 docs/gen_tables.py  (and commit the result)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Checks that references to the format documents point at docs/ and at
sections that exist:

  - in source files, every mention of FORMAT.md, SHOW-FORMAT.md or
    SOCKET-PROTOCOL.md is written docs/NAME.md, the file exists, and each
    section it cites right after (§4.2, §2-§5, or a quoted section title)
    is a heading of that document;
  - in docs/*.md and README.md, every relative link to a file resolves, and a
    #fragment matches a heading of the target.

    docs/check_links.py [SOURCE_ROOT]      (exit 1 listing what is wrong)
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

DOCS = ("FORMAT.md", "SHOW-FORMAT.md", "SOCKET-PROTOCOL.md")
SKIP_DIRS = {".git", "corpus", "docs", "node_modules", "__pycache__"}
TEXT_EXT = (".c", ".h", ".in", ".py", ".sh", ".txt", ".build", ".md", ".toml", ".hs")


def headings(path: str) -> tuple[set[str], set[str], set[str]]:
    """Section numbers ("4.2"), titles and GitHub-style anchors of a document."""
    nums, titles, anchors = set(), set(), set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#+\s+(.*?)\s*$", line)
            if not m:
                continue
            title = m.group(1)
            n = re.match(r"(\d+(?:\.\d+)*)\.?\s", title)
            if n:
                nums.add(n.group(1))
            titles.add(re.sub(r"^\d+(?:\.\d+)*\.?\s+", "", title))
            a = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
            anchors.add(a)
    return nums, titles, anchors


def source_files(root: str) -> list[str]:
    try:
        out = subprocess.run(["git", "-C", root, "ls-files"], capture_output=True,
                             text=True, check=True).stdout.split()
        files = [os.path.join(root, f) for f in out]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS and not x.startswith("build")]
            files += [os.path.join(d, n) for n in names]
    keep = []
    for f in files:
        rel = os.path.relpath(f, root)
        if rel.split(os.sep)[0] in SKIP_DIRS or not f.endswith(TEXT_EXT):
            continue
        keep.append(f)
    return keep


def main(argv: list[str]) -> int:
    root = os.path.abspath(argv[1] if len(argv) > 1 else
                           os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    docs_dir = os.path.join(root, "docs")
    info = {}
    problems = []
    for name in DOCS:
        path = os.path.join(docs_dir, name)
        if not os.path.exists(path):
            problems.append(f"docs/{name} is missing")
            continue
        info[name] = headings(path)
    ref = re.compile(r"(docs/)?((?:SHOW-)?FORMAT|SOCKET-PROTOCOL)\.md")
    cite = re.compile(r"\s*(?:\n\s*(?:\*|#|//)?\s*)?"
                      r"(§\d+(?:\.\d+)*(?:\s*(?:-|–|,|and)\s*§?\d+(?:\.\d+)*)*|,\s*\"[^\"]+\")")
    n_refs = 0
    for f in source_files(root):
        try:
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            continue
        rel = os.path.relpath(f, root)
        for m in ref.finditer(text):
            if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "-_"):
                continue
            n_refs += 1
            line = text.count("\n", 0, m.start()) + 1
            name = m.group(2) + ".md"
            if not m.group(1):
                problems.append(f"{rel}:{line}: write docs/{name}, not {name}")
            if name not in info:
                continue
            nums, titles, _ = info[name]
            c = cite.match(text, m.end())
            if not c:
                continue
            cited = c.group(1)
            if cited.startswith(","):
                title = cited.split('"')[1]
                if title not in titles:
                    problems.append(f"{rel}:{line}: docs/{name} has no section \"{title}\"")
                continue
            for num in re.findall(r"\d+(?:\.\d+)*", cited):
                if num not in nums:
                    problems.append(f"{rel}:{line}: docs/{name} has no section §{num}")
    # links between the documents (and from README.md)
    md = [os.path.join(docs_dir, n) for n in sorted(os.listdir(docs_dir)) if n.endswith(".md")]
    md.append(os.path.join(root, "README.md"))
    link = re.compile(r"\]\(([^)\s]+)\)")
    for f in md:
        if not os.path.exists(f):
            continue
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        for m in link.finditer(text):
            target = m.group(1)
            if re.match(r"[a-z]+:", target):
                continue
            path, _, frag = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
            line = text.count("\n", 0, m.start()) + 1
            rel = os.path.relpath(f, root)
            if not os.path.exists(dest):
                problems.append(f"{rel}:{line}: link to {target}: no such file")
            elif frag and dest.endswith(".md") and frag not in headings(dest)[2]:
                problems.append(f"{rel}:{line}: link to {target}: no such heading")
    for p in problems:
        print(p, file=sys.stderr)
    if n_refs == 0:
        print("check_links: no references to the docs found: is SOURCE_ROOT right?", file=sys.stderr)
        return 1
    if problems:
        return 1
    print(f"check_links: {n_refs} references and the documents' links are fine")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

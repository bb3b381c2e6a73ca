"""Shared paths and reference data for the binding's tests.

The package under test is the in-place build in bindings/python (run_tests.sh
builds it); set LIBEVENTLOG_TEST_INSTALLED=1 to test an installed one instead.
"""
from __future__ import annotations

import collections
import glob
import gzip
import os
import sys
from typing import Dict, List, NamedTuple, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PKG))

if not os.environ.get("LIBEVENTLOG_TEST_INSTALLED"):
    sys.path.insert(0, PKG)

import pytest  # noqa: E402

import libeventlog  # noqa: E402

CORPUS = os.path.join(REPO, "corpus")
CONFORMANCE = sorted(glob.glob(os.path.join(CORPUS, "conformance", "*.eventlog")))
GHC902 = sorted(glob.glob(os.path.join(CORPUS, "ghc-9.0.2", "*.eventlog")))
CORPUS_FILES: List[str] = CONFORMANCE + GHC902
EXAMPLES = os.path.join(PKG, "examples")


def corpus(name: str) -> str:
    """A corpus file by its path under corpus/ (e.g. "conformance/sleep.hd.eventlog")."""
    return os.path.join(CORPUS, name)


def file_id(path: str) -> str:
    return os.path.relpath(path, CORPUS)


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


class ManifestEntry(NamedTuple):
    end: str
    events: int
    counts: Dict[int, int]


def _manifest() -> Dict[str, ManifestEntry]:
    out: Dict[str, ManifestEntry] = {}
    path = os.path.join(CORPUS, "MANIFEST.tsv")
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        cols = next(f).rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(cols, line.rstrip("\n").split("\t")))
            counts = collections.Counter()
            for item in row["counts_by_id"].split():
                tid, n = item.split(":")
                counts[int(tid)] = int(n)
            out[row["path"]] = ManifestEntry(row["end"], int(row["events"]), dict(counts))
    return out


MANIFEST = _manifest()


def manifest_entry(path: str) -> Optional[ManifestEntry]:
    return MANIFEST.get(os.path.relpath(path, REPO))


def reference(path: str) -> Optional[bytes]:
    """The `ghc-events show` reference of a corpus file (conformance/), or its
    `eventlog show` golden (ghc-9.0.2/), if there is one."""
    for suffix, opener in ((".reference", open), (".reference.gz", gzip.open),
                           (".show.gz", gzip.open)):
        if os.path.exists(path + suffix):
            with opener(path + suffix, "rb") as f:
                return f.read()  # type: ignore[no-any-return]
    return None


EVENTLOG_EXE = os.path.join(REPO, "build", "tools", "eventlog")


_cache: Dict[tuple, tuple] = {}


def decode_file(path: str, **options) -> tuple:
    """(events, end, header) of a file, decoded once per set of options."""
    key = (path, tuple(sorted(options.items())))
    if key not in _cache:
        with libeventlog.open(path, **options) as log:
            events = log.read_all()
        _cache[key] = (events, log.end, log.header)
    return _cache[key]


@pytest.fixture(params=CORPUS_FILES, ids=file_id)
def corpus_file(request) -> str:
    return request.param  # type: ignore[no-any-return]

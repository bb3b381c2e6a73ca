"""conn.analysis() on a real GHC program's live eventlog.

tests/ghc/Monitored.hs with tests/ghc/socket_writer.c (an RTS EventLogWriter
speaking the eventlog-socket protocol on $GHC_EVENTLOG_UNIX_PATH, built as
tests/ghc/monitor_test.py builds it) runs with +RTS -l -N2 -S<file>; the
binding connects, attaches an analysis and iterates the events while another
thread takes snapshots and then sends the program the control command that
makes it exit. The analysis's final figures must equal the RTS's own +RTS -S
summary of the run: collections and parallel collections per generation,
bytes allocated, spark outcomes. Skipped without ghc.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from typing import List

from conftest import REPO

import pytest

import libeventlog

pytestmark = [
    pytest.mark.skipif(shutil.which("ghc") is None, reason="ghc is not installed"),
    pytest.mark.skipif(not libeventlog._stats.HAVE_ANALYSIS or
                       not libeventlog._socket.HAVE_SOCKET,
                       reason="built without the analysis layer or the socket client"),
]


def _monitor_test():
    """tests/ghc/monitor_test.py: its build() of the program and its parser
    of the +RTS -S summary."""
    sys.path.insert(0, os.path.join(REPO, "tests", "ghc"))
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, True   # keep tests/ghc clean
    try:
        import monitor_test
    finally:
        sys.path.pop(0)
        sys.dont_write_bytecode = before
    return monitor_test


def test_real_program_equals_rts_summary(tmp_path) -> None:
    mt = _monitor_test()
    prog = mt.build(str(tmp_path))
    sock = str(tmp_path / "prog.sock")
    rts = str(tmp_path / "rts.txt")
    env = dict(os.environ, GHC_EVENTLOG_UNIX_PATH=sock)
    for k in ("GHC_EVENTLOG_INET_HOST", "GHC_EVENTLOG_INET_PORT"):
        env.pop(k, None)
    p = subprocess.Popen([prog, "+RTS", "-l", "-N2", "-S" + rts, "-RTS"], env=env,
                         cwd=str(tmp_path), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    mids: List[libeventlog.Stats] = []
    errors: List[BaseException] = []
    try:
        # the program waits (at most 20 s) for its first client
        with libeventlog.connect("unix:" + sock, connect_timeout=20) as conn:
            an = conn.analysis()

            def drive() -> None:
                try:
                    # GHC hands a capability's events over in 2 MB buffers:
                    # wait for some GCs, then stop the program
                    deadline = time.monotonic() + 15
                    while time.monotonic() < deadline:
                        s = an.snapshot()
                        mids.append(s)
                        if sum(g.collections for g in s.gc.generations) >= 20:
                            break
                        time.sleep(0.1)
                    conn.send_command("elog-test", 1)   # marked with a span "control"
                    time.sleep(0.2)
                    conn.send_command("elog-test", 2)   # exit
                except BaseException as e:  # pragma: no cover - reported below
                    errors.append(e)
            t = threading.Thread(target=drive)
            t.start()
            n = 0
            for _ in conn:
                n += 1
            t.join(20)
        assert not errors, errors
        assert p.wait(timeout=30) == 0, p.stderr.read().decode(errors="replace")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stderr.close()

    final = an.snapshot()
    rs = mt.rts_summary(rts)
    assert {str(g.generation): g.collections for g in final.gc.generations} == rs["gen"]
    assert {str(g.generation): g.parallel for g in final.gc.generations} == rs["par"]
    assert final.heap.allocated_bytes == rs["alloc"]
    assert final.sparks is not None
    assert {k: getattr(final.sparks, k) for k in rs["sparks"]} == rs["sparks"]
    assert final.end.kind == "clean"
    assert [s.count for s in final.spans if s.label == "control"] == [1]
    # every event was yielded as well, and the session's figures were kept
    assert n == conn.sessions[0].events > 0
    assert conn.sessions[0].stats == final and an.sessions == [final]
    # snapshots taken while the program ran: live, and no more than the end
    live = [m for m in mids if m.end.kind == "live" and m.gc.generations]
    assert live
    for m in live:
        assert sum(g.collections for g in m.gc.generations) <= \
            sum(g.collections for g in final.gc.generations)
        assert m.heap.allocated_bytes <= final.heap.allocated_bytes

"""Ctrl-C while C waits (issue 14 item 9), and closed readers (item 10).

Every blocking C call made for an iteration or a connect returns to Python at
least every 100 ms, so SIGINT raises KeyboardInterrupt at once and leaves the
object closed cleanly. Each case runs a child Python, sends it SIGINT while it
waits, and times how long it takes to raise."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from conftest import CORPUS, PKG

import pytest

import libeventlog

CUT = os.path.join(CORPUS, "conformance", "testlog-part.eventlog")  # no end marker

CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {pkg!r})
    import libeventlog
    mode, arg = sys.argv[1], sys.argv[2]
    print("ready", flush=True)
    r = None
    try:
        if mode == "follow":
            r = libeventlog.open(arg, follow=True)
            for ev in r:
                pass
        elif mode == "fifo":
            r = libeventlog.open(arg)
            for ev in r:
                pass
        else:
            libeventlog.connect(arg, connect_timeout=8)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        if r is not None:
            try:
                next(iter(r))
                print("still iterable", flush=True)
            except ValueError:
                print("closed", flush=True)
""")


def interrupt(tmp_path, mode: str, arg: str) -> tuple:
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(pkg=PKG))
    p = subprocess.Popen([sys.executable, str(script), mode, arg], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    assert p.stdout.readline() == b"ready\n"
    time.sleep(0.8)          # well inside the wait
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        pytest.fail(f"{mode}: SIGINT ignored for 10 s")
    # a crash after the output (a reader closed under its thread) is a failure too
    assert p.returncode == 0, (mode, p.returncode, out, err)
    return out.decode(), time.monotonic() - t0, err.decode()


@pytest.mark.parametrize("attempt", range(4))
def test_follow_interrupted(tmp_path, attempt):
    # before: never interrupted (the C reader waits for the end marker forever).
    # Repeated: the reader thread once outlived a Ctrl-C that hit Thread.join()
    # (CPython marked it stopped) and crashed in about one run of six.
    out, dt, err = interrupt(tmp_path, "follow", CUT)
    assert out.split() == ["interrupted", "closed"], (out, err)
    assert dt < 1.0, dt


def test_fifo_read_interrupted(tmp_path):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    # a writer that opens it and then sends nothing: the reader waits in read
    wfd = None
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(pkg=PKG))
    p = subprocess.Popen([sys.executable, str(script), "fifo", fifo], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        assert p.stdout.readline() == b"ready\n"
        wfd = os.open(fifo, os.O_WRONLY)
        os.write(wfd, open(CUT, "rb").read()[:1000])
        time.sleep(0.8)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        assert out.decode().split() == ["interrupted", "closed"], (out, err)
        assert p.returncode == 0, (p.returncode, err)
        assert time.monotonic() - t0 < 1.0
    finally:
        if wfd is not None:
            os.close(wfd)
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.mark.skipif(not libeventlog.HAVE_SOCKET if hasattr(libeventlog, "HAVE_SOCKET")
                    else False, reason="no socket client")
def test_connect_interrupted(tmp_path):
    # before: KeyboardInterrupt only after connect_timeout (8 s)
    out, dt, err = interrupt(tmp_path, "connect", "unix:" + str(tmp_path / "none.sock"))
    assert out.split() == ["interrupted"], (out, err)
    assert dt < 1.0, dt


def test_closed_reader_raises():
    r = libeventlog.open(CUT)
    r.close()
    assert r.closed
    with pytest.raises(ValueError, match="closed"):
        list(r)
    with pytest.raises(ValueError, match="closed"):
        next(r)
    with pytest.raises(ValueError, match="closed"):
        r.read_all()
    # a reader closed half-way too
    with libeventlog.open(CUT) as r2:
        next(r2)
    with pytest.raises(ValueError):
        next(r2)

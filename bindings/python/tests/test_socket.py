"""libeventlog.connect() against `eventlog replay` servers (build/tools/eventlog)."""
from __future__ import annotations

import os
import re
import select
import subprocess
import threading
import time
from typing import List, Optional

from conftest import REPO, corpus

import pytest

import libeventlog

EXE = os.path.join(os.environ.get("LIBEVENTLOG_BUILD", os.path.join(REPO, "build")),
                   "tools", "eventlog")

pytestmark = [
    pytest.mark.skipif(not os.access(EXE, os.X_OK), reason=f"{EXE} is not built"),
    pytest.mark.skipif(not libeventlog._socket.HAVE_SOCKET,
                       reason="built without the socket client"),
]

HELLO = corpus("conformance/hello-ghc-8.2.2.eventlog")
GHC92 = corpus("conformance/ghc-9.2-events.eventlog")
PARALLEL = corpus("conformance/parallelTest.eventlog")


class Server:
    """`eventlog replay [OPTIONS] FILE LISTEN`, once it printed its address."""

    def __init__(self, args: List[str]) -> None:
        self.p = subprocess.Popen([EXE, "replay", "--quiet"] + args, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        try:
            line = b""
            deadline = time.monotonic() + 5
            while not line.endswith(b"\n"):
                left = deadline - time.monotonic()
                assert left > 0, "replay: no 'listening on' line within 5 s"
                r, _, _ = select.select([self.p.stdout], [], [], left)
                if r:
                    b = os.read(self.p.stdout.fileno(), 256)
                    assert b, "replay exited before listening"
                    line += b
            m = re.match(rb"listening on (\S+)\n", line)
            assert m, line
            self.addr = m.group(1).decode()
        except BaseException:
            self.kill()
            raise

    def wait(self, timeout: float = 10) -> Optional[int]:
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(timeout=5)
        self.p.stdout.close()


@pytest.fixture
def servers():
    started: List[Server] = []

    def start(args: List[str]) -> Server:
        sv = Server(args)
        started.append(sv)
        return sv
    try:
        yield start
    finally:
        for sv in started:
            sv.kill()


def unix(tmp_path, name: str = "s.sock") -> str:
    return "unix:" + str(tmp_path / name)


def file_events(path: str) -> list:
    with libeventlog.open(path) as log:
        return list(log)


@pytest.mark.parametrize("path", [HELLO, GHC92], ids=os.path.basename)
def test_events_equal_open(servers, tmp_path, path):
    sv = servers(["--clients", "1", path, unix(tmp_path)])
    with libeventlog.connect(sv.addr, connect_timeout=5) as conn:
        assert conn.session == 1
        got = list(conn)
        assert conn.header is not None
        assert [t.id for t in conn.header] == _header_ids(path)
    want = file_events(path)
    assert got == want
    assert [type(e) for e in got] == [type(e) for e in want]
    assert len(conn.sessions) == 1
    s = conn.sessions[0]
    assert s.end is not None and s.end.clean and s.end_class == "clean"
    assert s.skipped == 0 and s.gap is None
    assert s.events == len(want)
    assert sv.wait() == 0


def test_types_select(servers, tmp_path):
    """connect(types=...) yields only those types, as a filtered open() would;
    the session counts the events delivered."""
    from libeventlog import EventType
    path = HELLO
    sv = servers(["--clients", "1", path, unix(tmp_path)])
    want_ids = {int(EventType.RUN_THREAD), int(EventType.STOP_THREAD)}
    with libeventlog.connect(sv.addr, connect_timeout=5,
                             types=[EventType.RUN_THREAD, "STOP_THREAD"]) as conn:
        got = list(conn)
    every = file_events(path)
    want = [e for e in every if e.type_id in want_ids]
    assert got == want and 0 < len(want) < len(every)
    assert conn.sessions[0].events == len(want)
    assert sv.wait() == 0


def _header_ids(path: str) -> list:
    with libeventlog.open(path) as log:
        next(iter(log), None)
        return [t.id for t in log.header]


def test_tcp(servers):
    sv = servers(["--clients", "1", HELLO, "tcp:127.0.0.1:0"])
    assert re.fullmatch(r"tcp:127\.0\.0\.1:\d+", sv.addr) and not sv.addr.endswith(":0")
    with libeventlog.connect(sv.addr, connect_timeout=5) as conn:
        assert conn.address == sv.addr
        got = conn.read_all()
    assert got == file_events(HELLO)
    assert conn.sessions[0].clean


def list_across_servers(servers, sv1, args2: List[str], conn) -> list:
    """The events of `conn` (reconnecting) while a second server (args2, one
    client) replaces sv1 once sv1 is gone; the client is stopped after the
    second session ended clean (or 5 s). Errors of the servers are raised."""
    errors: List[BaseException] = []

    def second_server() -> None:
        try:
            assert sv1.wait() == 0
            sv2 = servers(["--clients", "1"] + args2)
            assert sv2.wait() == 0
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not (
                    any(x.clean for x in conn.sessions[1:])):
                time.sleep(0.01)
            conn.stop()
    t = threading.Thread(target=second_server)
    t.start()
    try:
        with conn:
            got = list(conn)
    finally:
        t.join(10)
    assert not errors, errors
    return got


def test_reconnect_cut_then_clean(servers, tmp_path):
    cut = 5000
    addr = unix(tmp_path, "r.sock")
    sv1 = servers(["--clients", "1", "--cut-after", str(cut), PARALLEL, addr])
    full = file_events(PARALLEL)
    conn = libeventlog.connect(addr, reconnect=True, connect_timeout=5, retry_delay=0.02,
                               max_retry_delay=0.1)
    t0 = time.monotonic()
    got = list_across_servers(servers, sv1, [PARALLEL, addr], conn)
    assert time.monotonic() - t0 < 10
    # a server may accept one more connection before it exits (and stop() may
    # come while the client is connected again): sessions without a byte
    assert [s.number for s in conn.sessions] == list(range(1, len(conn.sessions) + 1))
    s1 = conn.sessions[0]
    (s2,) = [s for s in conn.sessions if s.clean]
    others = [s for s in conn.sessions[1:] if s is not s2]
    assert all(s.bytes == 0 for s in others), others
    k = s1.events
    assert s1.end_class == "truncated-in-event"
    assert s1.end.offset == full[k].offset and s1.end.offset < cut
    assert s1.end.total_bytes == cut
    assert s2.end_class == "clean" and s2.events == len(full)
    assert s2.gap is not None and s2.gap.prev_session == 1 and s2.gap.session == s2.number
    assert got == full[:k] + full


def test_strict_cut(servers, tmp_path):
    sv = servers(["--clients", "1", "--cut-after", "5000", PARALLEL, unix(tmp_path)])
    got = []
    with libeventlog.connect(sv.addr, connect_timeout=5, strict=True) as conn:
        with pytest.raises(libeventlog.TruncatedEventlog) as e:
            for ev in conn:
                got.append(ev)
    assert e.value.end_class == "truncated-in-event"
    assert got == file_events(PARALLEL)[:len(got)] and len(got) == conn.sessions[0].events


def test_stale_block_skipped(servers, tmp_path):
    sv = servers(["--clients", "1", "--stale-block", HELLO, unix(tmp_path)])
    with libeventlog.connect(sv.addr, connect_timeout=5) as conn:
        got = list(conn)
    assert got == file_events(HELLO)
    assert conn.sessions[0].skipped == 24
    assert conn.sessions[0].clean


def test_send_command_frames(servers, tmp_path):
    log = tmp_path / "control.log"
    sv = servers(["--hold", "--clients", "1", "--control-log", str(log), HELLO, unix(tmp_path)])
    sent = [("start-heap-profiling", None), ("stopHeapProfiling", None),
            ("request-heap-census", None), ("my-app:42", None), ("ns", 7), (b"raw", 255)]
    want = len(file_events(HELLO))
    with libeventlog.connect(sv.addr, connect_timeout=5) as conn:
        for name, ident in sent:
            conn.send_command(name, ident)
        n = 0
        for ev in conn:   # the whole log, then the server holds the connection
            n += 1
            if n == want:
                break
    assert sv.wait() == 0
    assert log.read_text().splitlines() == [
        "client=1 namespace=eventlog-socket id=3",
        "client=1 namespace=eventlog-socket id=4",
        "client=1 namespace=eventlog-socket id=5",
        "client=1 namespace=my-app id=42",
        "client=1 namespace=ns id=7",
        "client=1 namespace=raw id=255",
    ]
    assert libeventlog.control_frame("start-heap-profiling") == \
        b"\xf0\x9e\x97\x8c\x00\x0feventlog-socket\x03"
    assert libeventlog.control_frame("ns", 7) == b"\xf0\x9e\x97\x8c\x00\x02ns\x07"


@pytest.mark.parametrize("cmd", [("bogus", None), ("startprofiling", None), ("ns:0", None),
                                 ("ns:256", None), ("ns:", None), (":5", None), ("", None),
                                 ("x" * 256 + ":1", None), ("ns", 0), ("ns", 256), ("", 1),
                                 ("x" * 256, 1), ("ns", -1)])
def test_invalid_commands(cmd):
    with pytest.raises(ValueError) as e:
        libeventlog.control_frame(*cmd)
    assert str(e.value)


def test_invalid_command_sends_nothing(servers, tmp_path):
    log = tmp_path / "control.log"
    sv = servers(["--clients", "1", "--control-log", str(log), HELLO, unix(tmp_path)])
    with libeventlog.connect(sv.addr, connect_timeout=5) as conn:
        for bad in ["bogus", "ns:0", ""]:
            with pytest.raises(ValueError, match="invalid command"):
                conn.send_command(bad)
        with pytest.raises(ValueError):
            conn.send_command("ns", 300)
        list(conn)
    assert sv.wait() == 0
    assert log.read_text() == ""


def test_bad_address():
    for bad in ["tcp:localhost", "nope:/x", "unix:", "tcp:h:0"]:
        with pytest.raises(ValueError):
            libeventlog.connect(bad)


def test_env_address(servers, tmp_path, monkeypatch):
    sv = servers(["--clients", "1", HELLO, unix(tmp_path)])
    monkeypatch.setenv("GHC_EVENTLOG_UNIX_PATH", sv.addr[len("unix:"):])
    with libeventlog.connect(connect_timeout=5) as conn:
        assert conn.address == sv.addr
        assert len(conn.read_all()) == len(file_events(HELLO))


def test_connect_to_nothing(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(libeventlog.SocketError, match="could not connect") as e:
        libeventlog.connect(unix(tmp_path, "none.sock"), connect_timeout=0.3)
    assert isinstance(e.value, ConnectionError)
    assert e.value.status == "ELOG_SOCKET_E_CONNECT"
    assert time.monotonic() - t0 < 5


def test_stop_from_thread(servers, tmp_path):
    sv = servers(["--hold", "--clients", "1", HELLO, unix(tmp_path)])
    with libeventlog.connect(sv.addr, connect_timeout=5) as conn:
        threading.Timer(0.3, conn.stop).start()
        t0 = time.monotonic()
        got = list(conn)   # the server holds the connection: only stop() ends this
        assert time.monotonic() - t0 < 5
    assert got == file_events(HELLO)
    assert conn.sessions[0].end is not None


def test_reconnect_backs_off_from_hostile_peer(tmp_path):
    """A peer that sends a header and a cut event and closes, over and over
    (issue 14 item 2): reconnect=True must back off (before: ~10,000
    connections a second)."""
    import socket as socketmod
    data = open(GHC92, "rb").read()
    i = data.index(b"hdre") + 4
    payload = data[:i + 4 + 5]          # header, "datb", 5 bytes of an event
    path = str(tmp_path / "hostile.sock")
    lsock = socketmod.socket(socketmod.AF_UNIX, socketmod.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(64)
    count = [0]
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            r, _, _ = select.select([lsock], [], [], 0.05)
            if r:
                c, _ = lsock.accept()
                count[0] += 1
                try:
                    c.sendall(payload)
                except OSError:
                    pass
                c.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with libeventlog.connect("unix:" + path, reconnect=True, connect_timeout=5) as conn:
            threading.Timer(2.0, conn.stop).start()
            list(conn)
    finally:
        done.set()
        t.join()
        lsock.close()
    # 100, 200, 400, 800 ms (less jitter): about 5 in 2 s
    assert 2 <= count[0] <= 10, count[0]
    assert len(conn.sessions) == count[0]

#!/usr/bin/python3
"""Adversarial inputs for the `eventlog` tool (issue 14), each generated here,
each run under a time limit and an address-space limit (RLIMIT_AS) and, for
commands that write files, a file-size limit (RLIMIT_FSIZE), so that a
regression fails the test instead of eating the machine.

    adversarial_test.py EVENTLOG_EXE CORPUS_DIR CASE

Cases:
  record-garbage   `record` of /dev/zero, of a gzip of zeros and of random
                   bytes stops at once (exit 1, offset in the message) and
                   leaves no file (before: ~750 MB/s until the disk filled)
  reconnect-storm  a hostile peer that sends a header and a cut event, then
                   closes: `record --reconnect` and `show --stream --reconnect`
                   connect a few times a second at most (before: ~10,000/s)
  fifo-no-writer   `--follow --idle-timeout 500` on a FIFO nobody writes: every
                   command gives up after ~0.5 s (before: blocked in open())
  socket-stall     a peer that sends the header and some events, then stalls
                   with the connection open: with --idle-timeout 500, and on
                   SIGINT without it, `show`, `info`, `show --stream` and
                   `record` end and print what they received (before: hung
                   until a signal, then `show`/`info` exited 130 with nothing)
  replay-memory    `replay` of /dev/zero and of a gzip of zeros is refused at
                   once (before: grew until killed / 2.1 GB for 9 MB of gzip);
                   a 192 MiB log given as a 0.3 MiB gzip is served in bounded
                   memory (spooled to a temporary file, before: held in memory)
  contracts        small promises (issue 14 item 10): `--help > /dev/full` says
                   why it fails; gzip with trailing zero padding is read with a
                   warning (other trailing bytes are an error); IPv6 listen
                   addresses print as tcp:[::1]:PORT; `control` and `show
                   --stream` interrupted before any byte say so (not "no header
                   within 10000 ms" / "empty input, not an eventlog")
  terminal         a user message with escape sequences: `show` to a terminal
                   (a pty) prints them as \\x1b...; to a pipe, and with --raw,
                   byte for byte (before: raw to the terminal)
  header-bomb      a gzip (~300 KiB) of a 64 MiB header (1024 types with 64 KiB
                   descriptions): `info`, `show`, `show --stream` and `record`
                   refuse it at the 16 MiB header limit with an offset, in
                   bounded memory (before: accepted, RSS ~ header size)

Every case prints the figures it measured (peak RSS of the child, connections
per second, bytes written). The peak RSS a child reports includes the ~10-20 MB
high-water mark of this Python process it was forked from, so the memory
checks are upper bounds; bench/hardening.py measures exact figures (with
/usr/bin/time) for bench/RESULTS.md. Under ASan (detected in the binary) the
address-space limit and the memory checks are skipped.
"""

import gzip
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testlib import Failure, check  # noqa: E402 (tests/testlib.py)

EXE = None
CORPUS = None
TMP = None
MiB = 1 << 20
# ASan reserves terabytes of address space: RLIMIT_AS cannot apply there.
SANITIZED = False


def limits(as_mib, fsize_mib):
    def apply():
        if as_mib and not SANITIZED:
            resource.setrlimit(resource.RLIMIT_AS, (as_mib * MiB, as_mib * MiB))
        if fsize_mib:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_mib * MiB, fsize_mib * MiB))
        # SIGXFSZ kills by default; ignored, the write fails with EFBIG.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return apply


def run(args, stdin=None, timeout=20, as_mib=256, fsize_mib=64, sig_after=None):
    """Runs EXE args bounded in time, memory and file size. Returns
    (rc, stdout bytes, stderr text, peak RSS in KiB). With sig_after, sends
    SIGINT after that many seconds."""
    out = open(os.path.join(TMP, "child.out"), "w+b")
    err = open(os.path.join(TMP, "child.err"), "w+b")
    p = subprocess.Popen([EXE] + args, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                         stdout=out, stderr=err, preexec_fn=limits(as_mib, fsize_mib))
    start = time.monotonic()
    signalled = False
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid != 0:
            break
        now = time.monotonic() - start
        if sig_after is not None and not signalled and now >= sig_after:
            p.send_signal(signal.SIGINT)
            signalled = True
        if now > timeout:
            p.kill()
            os.wait4(p.pid, 0)
            raise Failure("%s: still running after %d s" % (" ".join(args), timeout))
        time.sleep(0.02)
    p.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    return p.returncode, out.read(), err.read().decode("utf-8", "replace"), ru.ru_maxrss


def header_and_cut_event(path):
    """The header of a real log, the data-block marker, and 5 bytes of an event."""
    data = open(path, "rb").read()
    i = data.index(b"hdre") + 4
    check(data[i:i + 4] == b"datb", "unexpected corpus layout in %s" % path)
    return data[:i + 4 + 5]


# ------------------------------------------------------------------ cases

def case_record_garbage():
    zgz = os.path.join(TMP, "zeros.gz")
    with gzip.open(zgz, "wb", compresslevel=9) as g:
        chunk = b"\0" * MiB
        for _ in range(256):           # 256 MiB of zeros in ~250 KiB
            g.write(chunk)
    rnd = os.path.join(TMP, "random.bin")
    with open(rnd, "wb") as f:
        f.write(os.urandom(4 * MiB))
    for src in ("/dev/zero", zgz, rnd):
        out = os.path.join(TMP, "rec.eventlog")
        t = time.monotonic()
        rc, _, err, rss = run(["record", src, "-o", out], timeout=10)
        dt = time.monotonic() - t
        check(rc == 1, "record %s: exit %d, wanted 1: %s" % (src, rc, err))
        check("offset 0" in err, "record %s: no offset in %r" % (src, err))
        check(not os.path.exists(out), "record %s: left %s" % (src, out))
        leftovers = [n for n in os.listdir(TMP) if n.startswith(".rec.eventlog")]
        check(not leftovers, "record %s: left temporary files %s" % (src, leftovers))
        print("record %s: exit 1 in %.3f s, peak RSS %d KiB, no file written"
              % (os.path.basename(src), dt, rss))


class HostilePeer:
    """Accepts on a Unix socket; each connection gets `payload` and is closed."""

    def __init__(self, path, payload):
        self.path = path
        self.payload = payload
        self.count = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(64)
        self.stopping = False
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def accepted(self):
        """Each connection accepted (counted) until stop() or the socket fails."""
        while not self.stopping:
            r, _, _ = select.select([self.sock], [], [], 0.05)
            if not r:
                continue
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            yield c

    def loop(self):
        for c in self.accepted():
            try:
                c.sendall(self.payload)
            except OSError:
                pass
            c.close()

    def stop(self):
        self.stopping = True
        self.t.join()
        self.sock.close()


def case_reconnect_storm():
    payload = header_and_cut_event(os.path.join(CORPUS, "parallelTest.eventlog"))
    seconds = 3.0
    for cmd in (["record", "--reconnect", "-o", os.path.join(TMP, "s%d.eventlog")],
                ["show", "--stream", "--reconnect"]):
        path = os.path.join(TMP, "hostile.sock")
        if os.path.exists(path):
            os.unlink(path)
        peer = HostilePeer(path, payload)
        try:
            rc, out, err, rss = run(cmd + ["unix:" + path], timeout=15, sig_after=seconds)
        finally:
            peer.stop()
        files = [n for n in os.listdir(TMP) if n.startswith("s") and n.endswith(".eventlog")]
        rate = peer.count / seconds
        print("%s: %d connections in %.0f s (%.1f/s), %d files, peak RSS %d KiB, exit %d"
              % (" ".join(cmd[:2]), peer.count, seconds, rate, len(files), rss, rc))
        # Backoff 100, 200, 400, 800, 1600, 2000 ms (less up to 20% jitter):
        # about 6 connections in 3 s; a tight loop makes thousands.
        check(peer.count <= 12, "%s: %d connections in %.0f s: no backoff"
              % (cmd[0], peer.count, seconds))
        check(peer.count >= 2, "%s: did not reconnect at all (%d)" % (cmd[0], peer.count))
        for n in files:
            os.unlink(os.path.join(TMP, n))


def header_bomb(path, types=1024, dlen=65536):
    import struct
    desc = b"D" * dlen
    with gzip.open(path, "wb", compresslevel=6) as g:
        g.write(b"hdrbhetb")
        for i in range(types):
            g.write(b"etb\0" + struct.pack(">HHI", 100 + i % 60000, 4, dlen) + desc
                    + struct.pack(">I", 0) + b"ete\0")
        g.write(b"hetehdredatb")


def case_header_bomb():
    bomb = os.path.join(TMP, "bomb.eventlog.gz")
    header_bomb(bomb)
    for cmd in (["info"], ["show"], ["show", "--stream"],
                ["record", "-o", os.path.join(TMP, "bomb.out")]):
        rc, out, err, rss = run(cmd + [bomb], timeout=30, as_mib=256)
        print("%s: exit %d, peak RSS %d KiB: %s" % (" ".join(cmd[:2]), rc, rss,
                                                    err.strip().splitlines()[-1][:160]))
        check(rc == 1, "%s on a 64 MiB header: exit %d, wanted 1: %s" % (cmd[0], rc, err))
        check("max_header_bytes" in err and "offset 167" in err,
              "%s: message lacks the limit or its offset: %r" % (cmd[0], err))
        # 16 MiB of descriptions at most, plus the tool's own buffers.
        if not SANITIZED:
            check(rss < 48 * 1024, "%s: peak RSS %d KiB" % (cmd[0], rss))
    check(not os.path.exists(os.path.join(TMP, "bomb.out")), "record left a file")


def case_fifo_no_writer():
    fifo = os.path.join(TMP, "fifo")
    os.mkfifo(fifo)
    for cmd in (["show", "--stream"], ["show"], ["info"],
                ["record", "-o", os.path.join(TMP, "fifo.out")]):
        t = time.monotonic()
        rc, out, err, rss = run(cmd + ["--follow", "--idle-timeout", "500", fifo], timeout=10)
        dt = time.monotonic() - t
        print("%s: exit %d after %.2f s: %s" % (" ".join(cmd[:2]), rc, dt, err.strip()[:120]))
        check(rc == 1 and "--idle-timeout" in err, "%s: exit %d: %r" % (cmd[0], rc, err))
        check(dt < 5, "%s: took %.1f s" % (cmd[0], dt))
    # A writer that comes within the timeout is read as before.
    data = open(os.path.join(CORPUS, "parallelTest.eventlog"), "rb").read()

    def writer():
        time.sleep(0.3)
        with open(fifo, "wb") as f:
            f.write(data)
    t = threading.Thread(target=writer)
    t.start()
    rc, out, err, _ = run(["record", "--follow", "--idle-timeout", "3000", fifo, "-o", "-"])
    t.join()
    check(rc == 0 and out == data, "record --follow of a FIFO: exit %d: %s" % (rc, err))


class StallingPeer(HostilePeer):
    """Sends `payload` to each client and keeps the connection open."""

    def loop(self):
        held = []
        for c in self.accepted():
            c.sendall(self.payload)
            held.append(c)
        for c in held:
            c.close()


def case_socket_stall():
    data = open(os.path.join(CORPUS, "parallelTest.eventlog"), "rb").read()
    payload = data[:len(data) // 2]
    cmds = (["show"], ["info"], ["show", "--stream"],
            ["record", "--force", "-o", os.path.join(TMP, "stall.out")])
    for how in ("idle", "sigint"):
        for cmd in cmds:
            path = os.path.join(TMP, "stall.sock")
            if os.path.exists(path):
                os.unlink(path)
            peer = StallingPeer(path, payload)
            extra = ["--idle-timeout", "500"] if how == "idle" else []
            t = time.monotonic()
            try:
                rc, out, err, rss = run(cmd + extra + ["unix:" + path], timeout=10,
                                        sig_after=1.0 if how == "sigint" else None)
            finally:
                peer.stop()
            dt = time.monotonic() - t
            print("%s %s: exit %d after %.2f s, %d bytes out, RSS %d KiB"
                  % (how, " ".join(cmd[:2]), rc, dt, len(out), rss))
            check(rc == 0, "%s %s: exit %d: %s" % (how, cmd[0], rc, err))
            check("truncated" in err or "stopped" in err, "%s %s: %r" % (how, cmd[0], err))
            if cmd[0] == "record":
                got = open(os.path.join(TMP, "stall.out"), "rb").read()
                check(got == payload, "%s record: %d of %d bytes" % (how, len(got), len(payload)))
            elif cmd == ["info"]:
                check(b"parallelTest" in out or b"events" in out.lower(),
                      "%s info printed nothing: %r" % (how, out[:200]))
            else:
                check(out.startswith(b"Event Types:") and out.count(b"\n") > 100,
                      "%s %s printed %d bytes" % (how, " ".join(cmd), len(out)))


def big_log_gz(path, target):
    """A valid eventlog of about `target` bytes: a corpus log whose data
    section is repeated (blocks with repeated timestamps decode fine)."""
    data = open(os.path.join(CORPUS, "parallelTest.eventlog"), "rb").read()
    i = data.index(b"datb") + 4
    j = len(data) - 2
    check(data[j:] == b"\xff\xff", "parallelTest.eventlog: no end marker")
    body = data[i:j]
    reps = max(1, target // len(body))
    with gzip.open(path, "wb", compresslevel=1) as g:
        g.write(data[:i])
        chunk = body * max(1, MiB // len(body))
        written = 0
        while written < reps:
            n = min(reps - written, max(1, MiB // len(body)))
            g.write(chunk if n == max(1, MiB // len(body)) else body * n)
            written += n
        g.write(b"\xff\xff")
    return i + reps * len(body) + 2


def case_replay_memory():
    zgz = os.path.join(TMP, "zeros.gz")
    with gzip.open(zgz, "wb", compresslevel=9) as g:
        for _ in range(64):
            g.write(b"\0" * MiB)
    for src in ("/dev/zero", zgz):
        rc, out, err, rss = run(["replay", src, "unix:" + os.path.join(TMP, "r.sock")],
                                timeout=10, fsize_mib=0)
        print("replay %s: exit %d, peak RSS %d KiB" % (os.path.basename(src), rc, rss))
        check(rc == 1 and "offset 0" in err and "nothing to serve" in err,
              "replay %s: exit %d: %r" % (src, rc, err))
    big = os.path.join(TMP, "big.eventlog.gz")
    size = big_log_gz(big, 192 * MiB)
    sock = os.path.join(TMP, "big.sock")
    p = subprocess.Popen([EXE, "replay", "--quiet", "--clients", "1", big, "unix:" + sock],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=limits(128, 0))
    try:
        line = b""
        deadline = time.monotonic() + 30
        while not line.endswith(b"\n"):
            check(time.monotonic() < deadline, "replay: not listening after 30 s")
            r, _, _ = select.select([p.stdout], [], [], 1)
            if r:
                b = os.read(p.stdout.fileno(), 256)
                if not b:
                    raise Failure("replay exited: %r" % p.stderr.read())
                line += b
        rc, out, err, _ = run(["info", "unix:" + sock], timeout=60, as_mib=256)
        check(rc == 0, "info over the socket: exit %d: %s" % (rc, err))
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if p.returncode is None:
            p.kill()
            p.wait()
    print("replay of a %d MiB log: exit %d, peak RSS %d KiB" % (size // MiB, p.returncode,
                                                                ru.ru_maxrss))
    check(p.returncode == 0, "replay: exit %d" % p.returncode)
    check(b"%d" % size in out, "info over the socket does not say %d bytes" % size)
    if not SANITIZED:
        check(ru.ru_maxrss < 64 * 1024, "replay: peak RSS %d KiB" % ru.ru_maxrss)


def case_contracts():
    # --help to a full disk
    with open("/dev/full", "wb") as full:
        for args in (["--help"], ["help"], ["--version"], ["replay", "--help"]):
            p = subprocess.run([EXE] + args, stdout=full, stderr=subprocess.PIPE, timeout=10)
            err = p.stderr.decode()
            check(p.returncode == 1 and "No space left" in err,
                  "%s > /dev/full: exit %d, %r" % (args, p.returncode, err))
    # gzip with zero padding
    path = os.path.join(CORPUS, "parallelTest.eventlog")
    plain = run(["show", path])[1]
    gz = os.path.join(TMP, "pad.eventlog.gz")
    with open(gz, "wb") as f:
        f.write(gzip.compress(open(path, "rb").read()) + b"\0" * 4096)
    for cmd in (["show"], ["show", "--stream"]):
        rc, out, err, _ = run(cmd + [gz])
        check(rc == 0 and "4096 zero bytes" in err, "%s padded gzip: %d %r" % (cmd, rc, err))
        if cmd == ["show"]:
            check(out == plain, "padded gzip: output differs from the plain file's")
    with open(gz, "ab") as f:
        f.write(b"junk")
    rc, out, err, _ = run(["show", gz])
    check(rc == 1 and "expected only zero padding" in err, "gzip padding + junk: %d %r" % (rc, err))
    # IPv6 listen address
    if socket.has_ipv6:
        try:
            s6 = socket.socket(socket.AF_INET6)
            s6.bind(("::1", 0))
            s6.close()
            have6 = True
        except OSError:
            have6 = False
        if have6:
            p = subprocess.Popen([EXE, "replay", "--quiet", path, "tcp:[::1]:0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                r, _, _ = select.select([p.stdout], [], [], 5)
                line = os.read(p.stdout.fileno(), 256).decode() if r else ""
            finally:
                p.kill()
                p.wait()
            check(line.startswith("listening on tcp:[::1]:"), "IPv6 listen line: %r" % line)
    # interrupted before any byte
    for cmd, want, unwanted in ((["control"], "interrupted before the eventlog header",
                                 "within"),
                                (["show", "--stream"], "interrupted before any byte",
                                 "empty input")):
        sock = os.path.join(TMP, "mute.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        peer = StallingPeer(sock, b"")
        try:
            args = cmd + ["unix:" + sock] + (["start-profiling"] if cmd == ["control"] else [])
            rc, out, err, _ = run(args, timeout=10, sig_after=1.0)
        finally:
            peer.stop()
        check(rc == 1 and want in err and unwanted not in err,
              "%s interrupted: exit %d, %r" % (cmd[0], rc, err))
        print("%s interrupted: %s" % (" ".join(cmd), err.strip()))


def log_with_message(*msgs):
    """parallelTest.eventlog's header (it declares 19, user message) and one
    user message event per message."""
    import struct
    data = open(os.path.join(CORPUS, "parallelTest.eventlog"), "rb").read()
    i = data.index(b"datb") + 4
    evs = b"".join(struct.pack(">HQH", 19, 1000 + k, len(m)) + m for k, m in enumerate(msgs))
    return data[:i] + evs + b"\xff\xff"


def read_pty(args):
    import pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(EXE, [EXE] + args)
    out = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                b = os.read(fd, 65536)
            except OSError:
                break
            if not b:
                break
            out += b
    os.waitpid(pid, 0)
    os.close(fd)
    return out


def case_terminal():
    evil = b"hi \x1b]0;pwned\x07\x1b[2J\x9b31m \xc2\x9b \xe2\x82\xac ok\tend"
    path = os.path.join(TMP, "evil.eventlog")
    with open(path, "wb") as f:
        f.write(log_with_message(evil))
    for cmd in (["show"], ["show", "--stream"]):
        rc, out, err, _ = run(cmd + [path])
        check(rc == 0 and evil in out, "%s to a pipe is not byte for byte: %r" % (cmd, out[-200:]))
        tty = read_pty(cmd + [path])
        check(b"\x1b" not in tty and b"\x9b" not in tty and b"\x07" not in tty,
              "%s to a terminal printed control bytes: %r" % (cmd, tty[-200:]))
        check(b"hi \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m \\xc2\\x9b \xe2\x82\xac ok\tend" in tty,
              "%s to a terminal: %r" % (cmd, tty[-200:]))
        raw = read_pty(cmd + ["--raw", path])
        check(b"\x1b]0;pwned" in raw, "%s --raw to a terminal: %r" % (cmd, raw[-200:]))
    # Multi-byte characters cut by the 64 KiB output buffer stay whole.
    euro = "\u20ac".encode() * 21845
    path2 = os.path.join(TMP, "euro.eventlog")
    with open(path2, "wb") as f:
        # shifted by 0, 1, 2 bytes: some buffer boundary cuts a character
        f.write(log_with_message(euro, b"x" + euro[3:], b"xy" + euro[3:], euro))
    want = 21845 * 2 + 21844 * 2
    for cmd in (["show", "--stream"], ["show"]):
        tty = read_pty(cmd + [path2])
        got = tty.count("\u20ac".encode())
        check(got == want and b"\\x" not in tty,
              "UTF-8 across buffer boundaries: %d of %d characters, %d escapes"
              % (got, want, tty.count(b"\\x")))
    print("terminal: escaped on a pty, raw to pipes and with --raw")


CASES = {
    "terminal": case_terminal,
    "contracts": case_contracts,
    "replay-memory": case_replay_memory,
    "socket-stall": case_socket_stall,
    "fifo-no-writer": case_fifo_no_writer,
    "header-bomb": case_header_bomb,
    "record-garbage": case_record_garbage,
    "reconnect-storm": case_reconnect_storm,
}


def main():
    global EXE, CORPUS, TMP, SANITIZED
    if len(sys.argv) != 4 or sys.argv[3] not in CASES:
        sys.stderr.write("usage: adversarial_test.py EVENTLOG_EXE CORPUS_DIR CASE (%s)\n"
                         % ", ".join(CASES))
        return 2
    EXE, CORPUS, case = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(EXE, "rb") as f:
        SANITIZED = b"__asan_init" in f.read()
    TMP = tempfile.mkdtemp(prefix="elog-adv-")
    os.environ["LC_ALL"] = "C"
    try:
        CASES[case]()
        print("%s: ok" % case)
        return 0
    except Failure as e:
        print("FAIL %s: %s" % (case, e))
        return 1
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

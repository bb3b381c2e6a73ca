#!/usr/bin/python3
"""End-to-end tests of the `eventlog` command's sources and commands.

    cli_test.py EVENTLOG_EXE CORPUS_DIR CASE

Each CASE is one meson test (tests/cli/meson.build). Eventlogs these tests
make are written by the library's writer through tests/mklog.c ($ELOG_MKLOG);
only malformed ones the writer refuses by design (an undeclared id, a length
field past the record) are patched by hand, each saying so. Every child process runs
under a timeout and every wait is bounded; servers are started with
`eventlog replay` and killed (by pid) at the end of their case.

Cases:
  gzip-stdin     every conformance file, gzip-compressed and piped through
                 stdin, gives `show` output byte-identical to the plain file's
                 (and to the ghc-events reference); the same for `show --stream`
                 and for .gz given by name
  info-gz        `info` (text and --json) on .gz equals `info` on the plain file,
                 but for the file name and the timing
  socket-stream  `show --stream` (and `show`) on unix: and tcp: against
                 `eventlog replay` equal the same on the file
  control        every command frame as `eventlog replay --control-log` receives
                 it; invalid commands exit 2 without connecting
  record         `record` from a socket (with a stale block marker before the
                 header) equals the served file byte for byte; from .gz and
                 stdin it is the decompressed file; `-o -`; SIGINT/SIGTERM end
                 a live record / show --stream cleanly
  record-reconnect  --reconnect across a --cut-after server: two files, FILE
                 and FILE.1 (and with a %d pattern), each the cut prefix
  follow         `show --stream --follow` and `record --follow` on a file grown
                 by a background writer end at the end marker; a growing .gz
  progress       progress on stderr only when it is a terminal (a pty)
  usage          usage errors exit 2 with a message
  sort-oracle    `show` on corpus logs whose blocks are shuffled and partly
                 repeated (many interleaved runs, equal timestamps) equals
                 `show --stream` stably sorted by timestamp, read in one piece,
                 in two halves, and with pread(2)
"""

import gzip
import json
import os
import pty
import random
import re
import struct
import select
import shutil
import signal
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
RUN_TIMEOUT = 15          # seconds, any single command
SERVERS = []              # replay servers started by this case


def run(args, stdin=None, input_bytes=None, timeout=RUN_TIMEOUT, env=None):
    """Runs EXE with args; returns (rc, stdout bytes, stderr text)."""
    p = subprocess.run([EXE] + args, stdin=stdin, input=input_bytes,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def conformance_files():
    return sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS)
                  if f.endswith(".eventlog"))


def reference(path):
    if os.path.exists(path + ".reference"):
        with open(path + ".reference", "rb") as f:
            return f.read()
    if os.path.exists(path + ".reference.gz"):
        with gzip.open(path + ".reference.gz", "rb") as f:
            return f.read()
    return None


def gz_copy(path):
    out = os.path.join(TMP, os.path.basename(path) + ".gz")
    with open(path, "rb") as f, gzip.open(out, "wb") as g:
        shutil.copyfileobj(f, g)
    return out


# ------------------------------------------------------------------ servers

class Server:
    """`eventlog replay [OPTIONS] FILE LISTEN`, up once it printed its address."""

    def __init__(self, args):
        self.stderr_path = os.path.join(TMP, "replay-%d.err" % len(SERVERS))
        self.err = open(self.stderr_path, "wb")
        self.p = subprocess.Popen([EXE, "replay"] + args, stdout=subprocess.PIPE,
                                  stderr=self.err)
        SERVERS.append(self)
        line = b""
        deadline = time.monotonic() + 5
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            check(left > 0, "replay server: no 'listening on' line within 5 s")
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                b = os.read(self.p.stdout.fileno(), 256)
                check(b, "replay server exited before listening: %s" % self.stderr())
                line += b
        m = re.match(rb"listening on (\S+)\n", line)
        check(m is not None, "replay server said %r" % line)
        self.addr = m.group(1).decode()

    def wait(self, timeout=5):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(timeout=5)
        self.p.stdout.close()
        self.err.close()


def unix_listen(name):
    return "unix:" + os.path.join(TMP, name)


# ------------------------------------------------------------------ cases

def case_gzip_stdin():
    checked = 0
    for path in conformance_files():
        name = os.path.basename(path)
        rc0, plain, err0 = run(["show", path])
        ref = reference(path)
        if ref is not None:
            check(rc0 == 0 and plain == ref, "%s: plain show differs from the reference" % name)
        gz = gz_copy(path)
        with open(gz, "rb") as f:
            rc1, piped, err1 = run(["show", "-"], stdin=f)
        check(rc1 == rc0, "%s: gzip via stdin exits %d, plain %d (%s)" % (name, rc1, rc0, err1))
        check(piped == plain, "%s: gzip via stdin: output differs from the plain file's" % name)
        rc2, named, _ = run(["show", gz])
        check(rc2 == rc0 and named == plain, "%s: show FILE.gz differs" % name)
        rc3, s_plain, _ = run(["show", "--stream", path])
        with open(gz, "rb") as f:
            rc4, s_piped, _ = run(["show", "--stream", "-"], stdin=f)
        check(rc3 == rc4 and s_plain == s_piped, "%s: show --stream of gzip stdin differs" % name)
        # Messages name the input and keep byte offsets (stderr of a truncated log).
        if err0:
            check(err1.replace("<stdin>", path) == err0,
                  "%s: messages differ:\n%s\n%s" % (name, err0, err1))
        checked += 1
    check(checked >= 10, "only %d conformance files" % checked)
    print("gzip-stdin: %d files" % checked)


def compressed_copy(path, tool, name):
    """`path` compressed by the zstd or xz program into TMP/name (no suffix)."""
    out = os.path.join(TMP, name)
    with open(out, "wb") as f:
        subprocess.run([tool, "-q", "-c", path], stdout=f, check=True, timeout=60)
    return out


def case_zstd_xz():
    """zstd and xz input, recognised by content under any name and on stdin,
    in every command; corrupt input is exit 1 with the compressed offset; a
    cut file is a warning."""
    for tool in ("zstd", "xz"):
        if shutil.which(tool) is None:
            print("SKIP zstd-xz: no %s program (apt-get install zstd xz-utils)" % tool)
            sys.exit(77)
    checked = 0
    for path in conformance_files():
        name = os.path.basename(path)
        rc0, plain, err0 = run(["show", path])
        _, s_plain, _ = run(["show", "--stream", path])
        _, i_plain, _ = run(["info", "--json", path])
        for tool in ("zstd", "xz"):
            comp = compressed_copy(path, tool, "copy-" + tool)
            rc1, named, err1 = run(["show", comp])
            check(rc1 == rc0 and named == plain, "%s (%s): show differs: %s" % (name, tool, err1))
            with open(comp, "rb") as f:
                rc2, piped, _ = run(["show", "--stream", "-"], stdin=f)
            check(rc2 == rc0 and piped == s_plain, "%s (%s): show --stream - differs" % (name, tool))
            rc3, i_comp, _ = run(["info", "--json", comp])
            check(rc3 == rc0 and strip_info_json(i_comp) == strip_info_json(i_plain),
                  "%s (%s): info differs" % (name, tool))
            if rc0 == 0:
                out = os.path.join(TMP, "record-" + tool)
                if os.path.exists(out):
                    os.unlink(out)
                rc4, _, err4 = run(["record", comp, "-o", out])
                check(rc4 == 0 and read(out) == read(path),
                      "%s (%s): record does not give the plain bytes: %s" % (name, tool, err4))
                os.unlink(out)
        checked += 1
    check(checked >= 10, "only %d conformance files" % checked)
    # The commands that read a file twice (merge's passes, replay's re-reads)
    # read the decompressed bytes, not the compressed file (both used to
    # take a zstd or xz file for a plain one).
    ghc902 = os.path.join(os.path.dirname(CORPUS), "ghc-9.0.2")
    a, b = (os.path.join(ghc902, n) for n in ("threaded-N2.eventlog", "nonthreaded.eventlog"))
    want = os.path.join(TMP, "merged-plain")
    rc0, _, err0 = run(["merge", a, b, "-o", want])
    check(rc0 == 0, "merge of plain files: %s" % err0)
    for tool in ("zstd", "xz"):
        ca, cb = compressed_copy(a, tool, "merge-a-" + tool), compressed_copy(b, tool, "merge-b-" + tool)
        got = os.path.join(TMP, "merged-" + tool)
        rc1, _, err1 = run(["merge", ca, cb, "-o", got])
        check(rc1 == 0 and read(got) == read(want),
              "merge of %s inputs differs from the plain files': %d %s" % (tool, rc1, err1))
        rc0, s_plain, _ = run(["show", "--stream", a])
        sv = Server(["--quiet", "--clients", "1", ca, unix_listen("replay-" + tool + ".sock")])
        rc2, s_sock, err2 = run(["show", "--stream", sv.addr])
        check(rc2 == rc0 and s_sock == s_plain,
              "replay of a %s file serves other bytes than the plain file's: %d %s" % (tool, rc2, err2))
        check(sv.wait() == 0, "replay of a %s file did not exit after its client" % tool)
        sv.kill()
    big = os.path.join(CORPUS, "stop.hT.eventlog")
    for tool in ("zstd", "xz"):
        comp = compressed_copy(big, tool, "big-" + tool)
        data = bytearray(read(comp))
        bad = os.path.join(TMP, "bad-" + tool)
        mid = len(data) // 2
        for k in range(16):
            data[mid + k] ^= 0x5A
        with open(bad, "wb") as f:
            f.write(data)
        for cmd in (["show"], ["show", "--stream"], ["info"]):
            rc, out, err = run(cmd + [bad])
            check(rc == 1 and ("corrupt %s data" % tool) in err and "compressed byte" in err,
                  "%s corrupt %s: exit %d: %r" % (cmd, tool, rc, err))
            # unreadable input (not a decode error): info prints no summary
            check(cmd != ["info"] or out == b"", "info on corrupt %s printed %r" % (tool, out[:200]))
        cut = os.path.join(TMP, "cut-" + tool)
        with open(cut, "wb") as f:
            f.write(read(comp)[:len(data) * 6 // 10])
        rc, _, err = run(["show", "--stream", cut])
        check(rc == 0 and "the compressed data end inside" in err,
              "cut %s: exit %d: %r" % (tool, rc, err))
        rc, _, _ = run(["show", "--stream", "--strict", cut])
        check(rc == 3, "cut %s with --strict: exit %d" % (tool, rc))
    print("zstd-xz: %d files" % checked)


def strip_info_text(out):
    return [l for l in out.decode().splitlines()
            if not l.startswith("File:") and not l.startswith("Decode:")]


def strip_info_json(out):
    d = json.loads(out)
    del d["file"]
    del d["decode"]
    return d


def case_info_gz():
    for path in conformance_files():
        name = os.path.basename(path)
        gz = gz_copy(path)
        rc0, a, _ = run(["info", path])
        rc1, b, _ = run(["info", gz])
        check(rc0 == rc1, "%s: info exit %d vs %d on .gz" % (name, rc0, rc1))
        if rc0 == 0:
            check(strip_info_text(a) == strip_info_text(b), "%s: info on .gz differs" % name)
            check(("File:             %s" % gz) in b.decode(), "%s: info names the .gz" % name)
        rc0, a, _ = run(["info", "--json", path])
        with open(gz, "rb") as f:
            rc1, b, _ = run(["info", "--json", "-"], stdin=f)
        check(rc0 == rc1, "%s: info --json exit differs" % name)
        if rc0 == 0:
            check(strip_info_json(a) == strip_info_json(b), "%s: info --json on .gz differs" % name)
    # The GHC version: from a version event, else from the RTS identifier.
    heap = os.path.join(CORPUS, "..", "ghc-9.0.2", "heap-hT.eventlog")
    rc, out, _ = run(["info", heap])
    check(rc == 0 and b"\nRTS identifier:   GHC-9.0.2 rts_l\n" in out and
          b"\nGHC version:      9.0.2 (from the RTS identifier)\n" in out, "info: GHC version %r" % out[:300])
    rc, out, _ = run(["info", "--json", heap])
    d = json.loads(out)
    check(d["ghc_version"] == "9.0.2" and d["ghc_version_from"] == "rts_identifier",
          "info --json: ghc_version %r" % d.get("ghc_version"))
    print("info-gz: ok")


def case_socket_stream():
    files = [p for p in conformance_files() if reference(p) is not None][:6]
    files.append(os.path.join(CORPUS, "testlog-part.eventlog"))   # truncated log
    for listen in (unix_listen("stream.sock"), "tcp:127.0.0.1:0"):
        for path in files:
            name = os.path.basename(path)
            sv = Server(["--quiet", "--clients", "2", path, listen])
            rc0, want, err0 = run(["show", "--stream", path])
            rc1, got, err1 = run(["show", "--stream", sv.addr])
            check(rc1 == rc0, "%s over %s: exit %d, file %d: %s" % (name, sv.addr, rc1, rc0, err1))
            check(got == want, "%s over %s: show --stream differs from the file's" % (name, sv.addr))
            rc0, want, _ = run(["show", path])
            rc1, got, err1 = run(["show", sv.addr])
            check(rc1 == rc0 and got == want,
                  "%s over %s: sorted show differs (%d, %s)" % (name, sv.addr, rc1, err1))
            check(sv.wait() == 0, "server did not exit after its clients")
            sv.kill()
    print("socket-stream: %d files over unix: and tcp:" % len(files))

    # No SOURCE: the eventlog-socket variables name it, as they do for the program.
    path = os.path.join(CORPUS, "hello-ghc-8.2.2.eventlog")
    rc0, want, _ = run(["show", "--stream", path])
    sock = unix_listen("env.sock")
    sv = Server(["--quiet", "--clients", "1", path, sock])
    env = dict(os.environ, GHC_EVENTLOG_UNIX_PATH=sock[len("unix:"):])
    env.pop("GHC_EVENTLOG_INET_HOST", None)
    env.pop("GHC_EVENTLOG_INET_PORT", None)
    rc1, got, err = run(["show", "--stream"], env=env)
    check(rc1 == rc0 and got == want, "show --stream from GHC_EVENTLOG_UNIX_PATH: %d %s" % (rc1, err))
    sv.kill()
    sv = Server(["--quiet", "--clients", "1", path, "tcp:127.0.0.1:0"])
    host, port = sv.addr[len("tcp:"):].rsplit(":", 1)
    env = dict(os.environ, GHC_EVENTLOG_INET_HOST=host, GHC_EVENTLOG_INET_PORT=port)
    env.pop("GHC_EVENTLOG_UNIX_PATH", None)
    rc1, got, err = run(["show", "--stream"], env=env)
    check(rc1 == rc0 and got == want, "show --stream from GHC_EVENTLOG_INET_*: %d %s" % (rc1, err))
    sv.kill()
    env = dict(os.environ, GHC_EVENTLOG_INET_HOST="127.0.0.1")
    env.pop("GHC_EVENTLOG_UNIX_PATH", None)
    env.pop("GHC_EVENTLOG_INET_PORT", None)
    rc1, _, err = run(["info"], env=env)
    check(rc1 == 2 and "GHC_EVENTLOG_INET_PORT" in err,
          "a host without a port is a usage error naming the variable: %d %s" % (rc1, err))
    print("socket-stream: SOURCE from GHC_EVENTLOG_UNIX_PATH and GHC_EVENTLOG_INET_*")


BUILTINS = [("start-profiling", 1), ("stop-profiling", 2), ("start-heap-profiling", 3),
            ("stop-heap-profiling", 4), ("request-heap-census", 5),
            ("startProfiling", 1), ("stopProfiling", 2), ("startHeapProfiling", 3),
            ("stopHeapProfiling", 4), ("requestHeapCensus", 5)]


def case_control():
    path = os.path.join(CORPUS, "hello-ghc-8.2.2.eventlog")
    for listen in (unix_listen("control.sock"), "tcp:127.0.0.1:0"):
        log = os.path.join(TMP, "control.log")
        commands = BUILTINS + [("my-app:42", None), ("a:b:255", None)]
        sv = Server(["--quiet", "--hold", "--clients", str(len(commands)),
                     "--control-log", log, path, listen])
        want = []
        for i, (cmd, ident) in enumerate(commands, 1):
            rc, out, err = run(["control", sv.addr, cmd])
            check(rc == 0, "control %s %s: exit %d: %s" % (sv.addr, cmd, rc, err))
            check(out == b"", "control without --read prints nothing")
            if ident is not None:
                want.append("client=%d namespace=eventlog-socket id=%d" % (i, ident))
            else:
                ns, _, num = cmd.rpartition(":")
                want.append("client=%d namespace=%s id=%s" % (i, ns, num))
        check(sv.wait() == 0, "server did not exit after its clients")
        sv.kill()
        with open(log) as f:
            got = f.read().splitlines()
        check(got == want, "control log over %s:\n%s\nwanted:\n%s" % (listen, got, want))

    # --read: the session as show --stream prints it (the whole log: the
    # server closes after sending it, before the time is up).
    sv = Server(["--quiet", "--clients", "1", "--control-log", log, path, unix_listen("c2.sock")])
    rc, out, err = run(["control", "--read", "3000", sv.addr, "request-heap-census"])
    _, want_out, _ = run(["show", "--stream", path])
    check(rc == 0 and out == want_out, "control --read: exit %d, output differs: %s" % (rc, err))
    sv.wait()
    sv.kill()
    # --read with a server that holds the connection: stops after MS, no warning.
    sv = Server(["--quiet", "--hold", "--clients", "1", path, unix_listen("c3.sock")])
    t0 = time.monotonic()
    rc, out, err = run(["control", "--read", "300", sv.addr, "stop-profiling"])
    dt = time.monotonic() - t0
    check(rc == 0 and out.startswith(b"Event Types:") and err == "",
          "control --read on a held session: exit %d, stderr %r" % (rc, err))
    check(dt < 5, "control --read 300 took %.1f s" % dt)
    sv.kill()

    # Invalid commands: exit 2, and the server sees no connection.
    sv = Server(["--control-log", log, path, unix_listen("c4.sock")])
    for bad in ["bogus", "startprofiling", "ns:0", "ns:256", "ns:", ":5", "ns:x",
                "x" * 256 + ":1", ""]:
        rc, out, err = run(["control", sv.addr, bad])
        check(rc == 2, "control %r: exit %d, wanted 2" % (bad, rc))
        check("eventlog: control: " in err and "Try 'eventlog --help'" in err,
              "control %r: message %r" % (bad, err))
    # Not a socket, and a bad address: usage errors too.
    rc, _, err = run(["control", path, "start-profiling"])
    check(rc == 2 and "not a socket" in err, "control on a file: %d %r" % (rc, err))
    rc, _, err = run(["control", "tcp:localhost", "start-profiling"])
    check(rc == 2 and "port" in err, "control on a bad address: %d %r" % (rc, err))
    time.sleep(0.2)
    sv.p.send_signal(signal.SIGTERM)
    check(sv.wait() == 0, "server did not stop on SIGTERM")
    check("connected" not in sv.stderr(), "a client connected: %s" % sv.stderr())
    sv.kill()
    with open(log) as f:
        check(f.read() == "", "the server received bytes")
    # Nothing listening: a clear error within the connect timeout, exit 1.
    t0 = time.monotonic()
    rc, _, err = run(["control", "--connect-timeout", "300", unix_listen("none.sock"),
                      "start-profiling"])
    check(rc == 1 and "could not connect" in err and time.monotonic() - t0 < 5,
          "control to nothing: %d %r" % (rc, err))
    print("control: ok")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def case_record():
    path = os.path.join(CORPUS, "parallelTest.eventlog")
    data = read(path)
    for listen in (unix_listen("rec.sock"), "tcp:127.0.0.1:0"):
        sv = Server(["--quiet", "--clients", "2", "--stale-block", path, listen])
        out = os.path.join(TMP, "rec.eventlog")
        rc, so, err = run(["record", "--force", sv.addr, "-o", out])
        check(rc == 0, "record %s: exit %d: %s" % (sv.addr, rc, err))
        check(read(out) == data, "record over %s: file differs from the served one" % sv.addr)
        check(re.search(r"^# session 1: .*rec\.eventlog: %d bytes, clean" % len(data), err, re.M),
              "record summary: %r" % err)
        rc, so, err = run(["record", sv.addr, "-o", "-"])
        check(rc == 0 and so == data, "record -o - over %s differs" % sv.addr)
        check(sv.wait() == 0, "server did not exit")
        sv.kill()
    # Files: .gz by name and through stdin give the decompressed bytes.
    gz = gz_copy(path)
    out = os.path.join(TMP, "fromgz.eventlog")
    rc, _, err = run(["record", gz, "-o", out])
    check(rc == 0 and read(out) == data, "record FILE.gz: %d %s" % (rc, err))
    with open(gz, "rb") as f:
        rc, so, err = run(["record", "-", "-o", "-"], stdin=f)
    check(rc == 0 and so == data, "record - -o - from gzip stdin")
    # A truncated log is recorded as it is; --strict says so.
    cut = os.path.join(CORPUS, "testlog-part.eventlog")
    rc, _, err = run(["record", "--force", cut, "-o", out])
    check(rc == 0 and read(out) == read(cut) and "truncated" in err, "record truncated: %s" % err)
    rc, _, err = run(["record", "--force", "--strict", cut, "-o", out])
    check(rc == 3, "record --strict truncated: exit %d" % rc)
    # Corrupt after a complete header: exit 1, and the file is cut at the end
    # of the last complete record (the start of the corrupt one: the second
    # block marker, whose id is made undeclared), not at the end of the chunk
    # that held the error; stderr says what was dropped. (An undeclared id is
    # patched in by hand: the library's writer refuses to write one.)
    blocks = [off for off, _, tid in log_records(path) if tid == 18]
    check(len(blocks) >= 2, "parallelTest has %d blocks" % len(blocks))
    bad = bytearray(data)
    bad[blocks[1]:blocks[1] + 2] = b"\x7f\x7e"
    badpath = os.path.join(TMP, "corrupt-late.eventlog")
    with open(badpath, "wb") as f:
        f.write(bytes(bad))
    rc, _, err = run(["record", "--force", badpath, "-o", out])
    check(rc == 1 and read(out) == data[:blocks[1]] and
          ("cut at offset %d" % blocks[1]) in err and
          ("dropped %d bytes" % (len(data) - blocks[1])) in err,
          "record of a log corrupt at %d: exit %d, %d bytes: %s"
          % (blocks[1], rc, len(read(out)), err))
    rc, _, err = run(["show", out])
    check(rc == 0 and "truncated" in err, "the cut record reads as truncated: %d %s" % (rc, err))
    # The same to stdout (which cannot be cut afterwards: each chunk is
    # written once it decoded), also with the error chunks into a long log.
    big = os.path.join(CORPUS, "stop.hT.eventlog")
    bigdata = read(big)
    late = [off for off, _, tid in log_records(big) if tid == 18 and off > len(bigdata) * 3 // 4]
    check(late, "stop.hT.eventlog has no block marker in its last quarter")
    for src, at in ((data, blocks[1]), (bigdata, late[0])):
        bad = bytearray(src)
        bad[at:at + 2] = b"\x7f\x7e"
        with open(badpath, "wb") as f:
            f.write(bytes(bad))
        rc, so, err = run(["record", badpath, "-o", "-"])
        check(rc == 1 and so == src[:at] and ("cut at offset %d" % at) in err,
              "record -o - of a log corrupt at %d: exit %d, %d bytes: %s" % (at, rc, len(so), err))
    # SIGINT ends a live record cleanly: what arrived is saved and reported.
    sv = Server(["--quiet", "--rate", "4k", "--clients", "2", path, unix_listen("slow.sock")])
    out = os.path.join(TMP, "interrupted.eventlog")
    for cmd, sig in ((["record", sv.addr, "-o", out], signal.SIGINT),
                     (["show", "--stream", sv.addr], signal.SIGTERM)):
        p = subprocess.Popen([EXE] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.8)
        p.send_signal(sig)
        so, se = p.communicate(timeout=RUN_TIMEOUT)
        se = se.decode()
        check(p.returncode == 0 and "truncated" in se,
              "%s stopped by signal %d: exit %d, %r" % (cmd[0], sig, p.returncode, se))
        if cmd[0] == "record":
            got = read(out)
            check(0 < len(got) < len(data) and data.startswith(got),
                  "interrupted record is not a prefix (%d bytes)" % len(got))
        else:
            check(so.startswith(b"Event Types:") and so.endswith(b"\n\n"),
                  "interrupted show --stream output")
    sv.kill()
    # Never overwrite the input.
    copy = os.path.join(TMP, "self.eventlog")
    shutil.copy(path, copy)
    rc, _, err = run(["record", copy, "-o", copy])
    check(rc == 1 and read(copy) == data and "is the input" in err, "record onto itself: %s" % err)
    # ... not even through stdin, nor with --force (issue 14 item 8: this
    # truncated the file to 512 KiB with exit 0).
    for extra in ([], ["--force"]):
        with open(copy, "rb") as f:
            rc, _, err = run(["record"] + extra + ["-", "-o", copy], stdin=f)
        check(rc == 1 and read(copy) == data and "is the input" in err,
              "record - -o F < F %s: exit %d, %d bytes left: %s" % (extra, rc, len(read(copy)), err))
    # An existing output is refused without --force and kept as it was.
    other = os.path.join(TMP, "other.eventlog")
    with open(other, "wb") as f:
        f.write(b"precious")
    rc, _, err = run(["record", path, "-o", other])
    check(rc == 1 and read(other) == b"precious" and "--force" in err,
          "record over an existing file: exit %d: %s" % (rc, err))
    # With --force, a failing record (not an eventlog) leaves it untouched
    # too, and leaves no temporary file.
    junk = os.path.join(TMP, "junk.bin")
    with open(junk, "wb") as f:
        f.write(b"\x00" * 300000)
    rc, _, err = run(["record", "--force", junk, "-o", other])
    check(rc == 1 and read(other) == b"precious" and "offset 0" in err,
          "record --force of junk: exit %d: %s" % (rc, err))
    check(not [n for n in os.listdir(TMP) if n.startswith(".other.eventlog.")],
          "a temporary file was left behind")
    rc, _, err = run(["record", "--force", path, "-o", other])
    check(rc == 0 and read(other) == data, "record --force: exit %d: %s" % (rc, err))
    # Not regular files: a device is written into (no --force, no rename),
    # a directory refused.
    rc, _, err = run(["record", path, "-o", "/dev/null"])
    check(rc == 0 and os.path.exists("/dev/null") and not os.path.isfile("/dev/null"),
          "record -o /dev/null: exit %d: %s" % (rc, err))
    rc, _, err = run(["record", path, "-o", TMP])
    check(rc == 1 and "is a directory" in err, "record -o DIR: exit %d: %s" % (rc, err))
    print("record: ok")


def case_record_reconnect():
    path = os.path.join(CORPUS, "parallelTest.eventlog")
    data = read(path)
    cut = 5000
    for pattern, names in (("cut.eventlog", ["cut.eventlog", "cut.eventlog.1"]),
                           ("cut-%d.eventlog", ["cut-1.eventlog", "cut-2.eventlog"])):
        sv = Server(["--quiet", "--clients", "2", "--cut-after", str(cut), "--stale-block",
                     path, unix_listen("cut.sock")])
        t0 = time.monotonic()
        rc, _, err = run(["record", "--reconnect", "--connect-timeout", "1000", sv.addr,
                          "-o", os.path.join(TMP, pattern)])
        dt = time.monotonic() - t0
        check(rc == 0, "record --reconnect: exit %d: %s" % (rc, err))
        check(dt < 10, "record --reconnect took %.1f s" % dt)
        for n in names:
            check(read(os.path.join(TMP, n)) == data[:cut], "%s is not the cut prefix" % n)
        check(not os.path.exists(os.path.join(TMP, pattern.replace("%d", "3") + ".2")),
              "a third file")
        sessions = re.findall(r"^# session (\d): .*: %d bytes, truncated-in-event" % cut, err, re.M)
        check(sessions == ["1", "2"], "session reports: %r" % err)
        check("# session 2: reconnected to " in err, "no reconnect note: %r" % err)
        check(sv.wait() == 0, "server did not exit")
        sv.kill()
        rc, _, _ = run(["record", "--strict", "--reconnect", "--connect-timeout", "300",
                        unix_listen("nothing.sock"), "-o", os.path.join(TMP, "x")])
        check(rc == 1, "record from nothing: exit %d" % rc)

    # show --stream --reconnect: one header listing, the events of both
    # sessions on stdout, the sessions announced on stderr.
    full = os.path.join(CORPUS, "hello-ghc-8.2.2.eventlog")
    _, one, _ = run(["show", "--stream", full])
    head, _, events = one.partition(b"\nEvents:\n")
    sv = Server(["--quiet", "--clients", "2", "--stale-block", full, unix_listen("sr.sock")])
    rc, out, err = run(["show", "--stream", "--reconnect", "--connect-timeout", "500", sv.addr])
    check(rc == 0, "show --stream --reconnect: exit %d: %s" % (rc, err))
    check(out == head + b"\nEvents:\n" + events[:-1] + events, "two sessions' listing differs")
    check(out.count(b"Event Types:") == 1, "the header listing is printed once")
    check(re.search(r"^# session 2: reconnected to unix:", err, re.M)
          and re.search(r"^# session 2: skipped 24 bytes", err, re.M)
          and "# no more sessions: could not connect" in err, "session notes: %r" % err)
    check(sv.wait() == 0, "server did not exit")
    sv.kill()
    print("record-reconnect: ok")


def grow(path, data, chunk, delay, compress=False):
    """Writes data to path in chunks with pauses, in a thread (bounded: the
    data are finite)."""
    def writer():
        if compress:
            with open(path, "wb") as raw:
                z = gzip.GzipFile(fileobj=raw, mode="wb")
                for i in range(0, len(data), chunk):
                    z.write(data[i:i + chunk])
                    z.flush()
                    raw.flush()
                    time.sleep(delay)
                z.close()
        else:
            with open(path, "wb") as f:
                for i in range(0, len(data), chunk):
                    f.write(data[i:i + chunk])
                    f.flush()
                    time.sleep(delay)
    t = threading.Thread(target=writer)
    t.start()
    return t


def case_follow():
    src = os.path.join(CORPUS, "parallelTest.eventlog")
    data = read(src)
    _, want_stream, _ = run(["show", "--stream", src])
    # The file appears only after the reader started (--follow waits for it).
    target = os.path.join(TMP, "growing.eventlog")
    def delayed():
        time.sleep(0.3)
        return grow(target, data, 700, 0.04)
    holder = []
    starter = threading.Thread(target=lambda: holder.append(delayed()))
    starter.start()
    t0 = time.monotonic()
    rc, out, err = run(["show", "--stream", "--follow", target])
    dt = time.monotonic() - t0
    starter.join()
    holder[0].join()
    check(rc == 0 and err == "", "follow: exit %d: %s" % (rc, err))
    check(out == want_stream, "show --stream --follow differs from show --stream")
    check(dt > 0.5, "follow returned before the writer finished (%.2f s)" % dt)

    # record --follow: a copy of the growing file, and the sorted show too.
    target2 = os.path.join(TMP, "growing2.eventlog")
    t = grow(target2, data, 1500, 0.05)
    out2 = os.path.join(TMP, "copy.eventlog")
    rc, _, err = run(["record", "--follow", target2, "-o", out2])
    t.join()
    check(rc == 0 and read(out2) == data, "record --follow: %d %s" % (rc, err))
    target3 = os.path.join(TMP, "growing3.eventlog")
    t = grow(target3, data, 2000, 0.05)
    rc, out, err = run(["show", "--follow", target3])
    t.join()
    check(rc == 0 and out == reference(src), "show --follow (sorted) differs: %s" % err)

    # A growing gzip file (a streaming compressor): record decompresses it.
    target4 = os.path.join(TMP, "growing4.eventlog.gz")
    t = grow(target4, data, 1500, 0.05, compress=True)
    out4 = os.path.join(TMP, "copy4.eventlog")
    rc, _, err = run(["record", "--follow", target4, "-o", out4])
    t.join()
    check(rc == 0 and read(out4) == data, "record --follow of gzip: %d %s" % (rc, err))

    # A writer that stops before the end marker: the idle timeout ends it.
    target5 = os.path.join(TMP, "stalled.eventlog")
    t = grow(target5, data[:6000], 2000, 0.05)
    t0 = time.monotonic()
    rc, out, err = run(["show", "--stream", "--follow", "--idle-timeout", "400", target5])
    t.join()
    check(rc == 0 and "--idle-timeout" in err and "truncated" in err,
          "idle timeout: %d %r" % (rc, err))
    check(time.monotonic() - t0 < 5, "idle timeout too slow")
    print("follow: ok")


def case_progress():
    """Progress shows on a terminal only. The input trickles through a pipe
    so that the work lasts long enough to be reported."""
    src = os.path.join(CORPUS, "stop.hT.eventlog")
    data = read(src)

    def trickle(w):
        try:
            for i in range(0, len(data), 64 * 1024):
                os.write(w, data[i:i + 64 * 1024])
                time.sleep(0.03)
        finally:
            os.close(w)

    for cmd in (["info", "-"], ["show", "-"]):
        # stderr on a pty.
        r, w = os.pipe()
        master, slave = pty.openpty()
        t = threading.Thread(target=trickle, args=(w,))
        t.start()
        p = subprocess.Popen([EXE] + cmd, stdin=r, stdout=subprocess.DEVNULL, stderr=slave)
        os.close(r)
        os.close(slave)
        got = b""
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    b = os.read(master, 4096)
                except OSError:
                    b = b""
                if not b:
                    break
                got += b
            elif p.poll() is not None:
                break
        rc = p.wait(timeout=5)
        t.join()
        os.close(master)
        check(rc == 0, "%s: exit %d" % (cmd, rc))
        check(re.search(rb"\r  \d+\.\d MB", got) is not None, "%s: no progress on a tty: %r"
              % (cmd, got[:200]))
        check(got.endswith(b"\r\x1b[K"), "%s: progress line not cleared: %r" % (cmd, got[-40:]))
        # stderr not a terminal: nothing.
        r, w = os.pipe()
        t = threading.Thread(target=trickle, args=(w,))
        t.start()
        p = subprocess.run([EXE] + cmd, stdin=r, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        os.close(r)
        t.join()
        check(p.returncode == 0 and p.stderr == b"", "%s: stderr not a tty: %r"
              % (cmd, p.stderr[:200]))
    print("progress: ok")


def mklog():
    """tests/mklog.c (built by meson, path in $ELOG_MKLOG): eventlogs for
    these tests are written by the library's writer, not assembled here."""
    exe = os.environ.get("ELOG_MKLOG")
    check(exe is not None and os.path.exists(exe),
          "ELOG_MKLOG is not set to tests/mklog (run through meson test)")
    return exe


def log_records(path):
    """[(offset, size, type id)] of the records of a complete log, in file
    order (block markers included), as the library decodes them; None if it
    does not decode to its end marker (cut short or damaged)."""
    p = subprocess.run([mklog(), "records", path], capture_output=True, timeout=RUN_TIMEOUT)
    if p.returncode != 0:
        return None
    return [tuple(int(x) for x in line.split()) for line in p.stdout.splitlines()]


def write_log(src, records, out):
    """Writes `out`: src's header and the given records of src (offset,
    size, ...) in this order, by the library's verbatim writer (block markers
    as given, the last block's size corrected, the end marker appended)."""
    lines = "".join("%d %d\n" % (r[0], r[1]) for r in records).encode()
    p = subprocess.run([mklog(), "write", src, out], input=lines, capture_output=True,
                       timeout=RUN_TIMEOUT)
    check(p.returncode == 0, "mklog write %s: %s" % (src, p.stderr.decode()))


def shuffled_blocks(records, rng):
    """The records cut at every block marker into pieces, shuffled, and a
    fifth of the pieces repeated: blocks of capabilities overlap in time,
    and repeated ones tie with their copies. Returns the records in their
    new order."""
    pieces, cur = [], []
    for rec in records:
        if rec[2] == 18 and cur:  # a block marker starts a piece
            pieces.append(cur)
            cur = []
        cur.append(rec)
    if cur:
        pieces.append(cur)
    pieces += [p for p in pieces if rng.random() < 0.2]
    rng.shuffle(pieces)
    return [rec for p in pieces for rec in p]


EVENT_LINE = re.compile(rb"^[0-9]+: ")


def stably_sorted(stream_out):
    """`show --stream` output with its events stably sorted by time: what the
    sorted `show` prints. A line that does not begin with a time (the empty
    line after a block marker, a message's continuation) stays with the
    event before it."""
    head, sep, body = stream_out.partition(b"\nEvents:\n")
    check(sep and body.endswith(b"\n\n"), "unexpected show --stream output framing")
    events = []
    for line in body[:-1].split(b"\n")[:-1]:
        if EVENT_LINE.match(line) or not events:
            events.append([int(line.split(b":", 1)[0]), line])
        else:
            events[-1][1] += b"\n" + line
    events.sort(key=lambda e: e[0])  # stable: ties keep their file order
    return head + sep + b"".join(e[1] + b"\n" for e in events) + b"\n"


def case_sort_oracle():
    ours = os.path.join(CORPUS, "..", "ghc-9.0.2")
    files = conformance_files() + sorted(os.path.join(ours, f) for f in os.listdir(ours)
                                         if f.endswith(".eventlog"))
    rng = random.Random(20261126)
    ways = {"whole": {"ELOG_SHOW_SPLIT_MIN": "18446744073709551615"},
            "halves": {"ELOG_SHOW_SPLIT_MIN": "0"},
            "pread": {"ELOG_SHOW_SPLIT_MIN": "0", "ELOG_SHOW_NO_MAP": "1"},
            # merges in passes of fan-in 2 and 3 through temporary files,
            # unsorted ranges sorted in chunks of ~1500 records
            "passes": {"ELOG_SHOW_MAX_RUNS": "2", "ELOG_SHOW_MERGE_BUDGET": "100000"},
            "passes-halves": {"ELOG_SHOW_SPLIT_MIN": "0", "ELOG_SHOW_MAX_RUNS": "3",
                              "ELOG_SHOW_MERGE_BUDGET": "100000"}}
    logs = runs = 0
    for path in files:
        records = log_records(path)
        if records is None:
            continue  # cut short or damaged: the other cases cover those
        if sum(1 for r in records if r[2] == 18) < 2:
            continue
        for k in range(3):
            out = os.path.join(TMP, "shuffled-%d.eventlog" % k)
            if os.path.exists(out):
                os.unlink(out)
            write_log(path, shuffled_blocks(records, rng), out)
            # GHC >= 9 counts the end marker in its last block: moved
            # elsewhere, that block is 2 bytes short, which only lenient
            # blocks accept.
            rc, stream, err = run(["show", "--stream", "--lenient-blocks", out])
            check(rc == 0, "%s (shuffle %d): show --stream failed: %s" % (path, k, err))
            want = stably_sorted(stream)
            for way, extra in ways.items():
                rc, got, err = run(["show", "--lenient-blocks", out],
                                   env=dict(os.environ, **extra))
                check(rc == 0 and got == want,
                      "%s (shuffle %d, %s): show differs from show --stream stably sorted "
                      "(rc %d, %s)" % (path, k, way, rc, err.strip()))
                runs += 1
        logs += 1
    check(logs >= 20, "only %d corpus logs with blocks" % logs)
    print("sort-oracle: %d logs, 3 shuffles each, %d show runs" % (logs, runs))


def case_stream_window():
    """show --stream --window MS: a window wider than the log prints exactly
    what the sorted show prints; a window of 0 prints every event (none
    lost), the late ones out of order and counted on stderr."""
    f = os.path.join(CORPUS, "parallelTest.eventlog")
    rc, sorted_out, err = run(["show", f])
    check(rc == 0, "show failed: %s" % err)
    rc, wide, err = run(["show", "--stream", "--window", "100000", f])
    check(rc == 0 and wide == sorted_out and err == "",
          "--window 100000 differs from the sorted show (rc %d, %s)" % (rc, err))
    rc, stream, err = run(["show", "--stream", f])
    check(rc == 0, "show --stream failed")
    rc, narrow, err = run(["show", "--stream", "--window", "0", f])
    check(rc == 0, "--window 0: exit %d (%s)" % (rc, err))
    check(sorted(narrow.split(b"\n")) == sorted(stream.split(b"\n")),
          "--window 0 lost or changed events")
    check(narrow != stream, "--window 0 reordered nothing")
    check(re.search(r"40 events arrived later than the 0 ms window", err),
          "--window 0: no late-event count on stderr: %r" % err)
    for bad in (["show", "--window", "5", f], ["show", "--stream", "--window", "x", f],
                ["info", "--window", "5", f]):
        rc, out, err = run(bad)
        check(rc == 2 and "--window" in err and out == b"", "%s: exit %d, %r" % (bad, rc, err))
    print("stream-window: ok")


def heap_log_with_garbage_length():
    """heap-hT.eventlog (GHC 9.0.2, complete) with its last heap-profile sample
    string's length patched to 42,752 bytes, past its block and the file:
    (data, the event's offset, its block marker's offset).
    Patched by hand on purpose: a record whose length field disagrees with
    its bytes is what the library's writer refuses to write by design."""
    path = os.path.join(CORPUS, "..", "ghc-9.0.2", "heap-hT.eventlog")
    data = bytearray(read(path))
    records = log_records(path)
    check(records is not None, "heap-hT.eventlog does not decode to its end")
    victim, block = None, None
    for off, _, tid in records:
        if tid == 18:
            block = off
        if tid == 164:
            victim, victim_block = off, block
    check(victim is not None, "heap-hT.eventlog has no heap-profile sample string")
    struct.pack_into(">H", data, victim + 10, 42752)
    return bytes(data), victim, victim_block


def case_block_overrun():
    data, victim, block = heap_log_with_garbage_length()
    bad = os.path.join(TMP, "heap-bad.eventlog")
    with open(bad, "wb") as f:
        f.write(data)
    where = "block at offset %d" % block
    for cmd in (["show", "--stream"], ["show"], ["info"], ["info", "--json"]):
        rc, out, err = run(cmd + [bad])
        check(rc == 1 and where in err and "offset %d" % victim in err,
              "%s: exit %d, wanted 1 naming the event and its block: %r" % (cmd, rc, err))
    # Exit 1 and stdout (README): sorted show prints nothing, show --stream
    # what came before the error, info its summary with the error as the end.
    rc, out, _ = run(["show", bad])
    check(rc == 1 and out == b"", "show: exit %d with %d bytes on stdout" % (rc, len(out)))
    rc, out, _ = run(["show", "--stream", bad])
    check(rc == 1 and b"heap prof sample" in out, "show --stream: exit %d" % rc)
    rc, out, _ = run(["info", bad])
    check(rc == 1 and re.search(rb"\nEnd: +error at offset %d " % victim, out),
          "info: exit %d, summary %r" % (rc, out[-300:]))
    rc, out, _ = run(["info", "--json", bad])
    check(rc == 1 and json.loads(out)["end"]["kind"] == "error", "info --json: exit %d" % rc)
    rc, _, err = run(["record", bad, "-o", os.path.join(TMP, "heap-bad.copy")])
    check(rc == 1 and where in err, "record: exit %d: %r" % (rc, err))
    # ghc-events' reading: the log is cut inside that event, a warning
    rc, out, err = run(["show", "--stream", "--lenient-blocks", bad])
    check(rc == 0 and "truncated inside an event at offset %d" % victim in err,
          "show --stream --lenient-blocks: exit %d: %r" % (rc, err))
    # A live log that stops right after the length: no waiting for bytes that
    # cannot legally come, even with --follow and no idle timeout.
    live = os.path.join(TMP, "heap-live.eventlog")
    with open(live, "wb") as f:
        f.write(data[:victim + 12])
    rc, _, err = run(["show", "--stream", "--follow", "--idle-timeout", "0", live], timeout=10)
    check(rc == 1 and where in err, "show --stream --follow: exit %d: %r" % (rc, err))
    print("block-overrun: ok")


def case_usage():
    f = os.path.join(CORPUS, "hello-ghc-8.2.2.eventlog")
    bad = [
        (["show", "--follow", "unix:/tmp/x"], "--follow"),
        (["show", "--stream", "--reconnect", f], "--reconnect"),
        (["show", "--reconnect", "unix:/tmp/x"], "show --stream"),
        (["info", "--reconnect", "unix:/tmp/x"], "--reconnect"),
        (["show", "--idle-timeout", "100", f], "--follow"),
        (["show", "--idle-timeout", "x", "--follow", f], "milliseconds"),
        (["show", "--connect-timeout", "100", f], "sockets"),
        (["record", f], "-o"),
        (["record", f, "-o", "a%sb"], "%d"),
        (["record", f, "-o", "a%d%d"], "at most one"),
        (["record", "--reconnect", "unix:/tmp/x", "-o", "-"], "own file"),
        (["show", "tcp:host"], "port"),
        (["show", "unix:"], "unix:"),
        (["show", "-o", "x", f], "--output"),
        (["info", "--read", "5", f], "--read"),
        (["control", "unix:/tmp/x"], "COMMAND"),
        (["show", f, f], "too many"),
        (["frobnicate", f], "unknown command"),
        (["show", "--bogus", f], "unknown option"),
        (["show"], "SOURCE"),
    ]
    for args, words in bad:
        rc, out, err = run(args)
        check(rc == 2, "%s: exit %d, wanted 2 (%r)" % (args, rc, err))
        check(words in err and out == b"", "%s: message %r lacks %r" % (args, err, words))
    rc, out, _ = run(["--help"])
    check(rc == 0 and b"record SOURCE -o FILE" in out and b"control SOURCE COMMAND" in out,
          "--help")
    rc, out, _ = run(["replay", "--help"])
    check(rc == 0 and out.startswith(b"Usage: eventlog replay"), "replay --help")
    # Every command has its own help, listing only the options it takes.
    own = {"show": (b"--stream", b"--json"), "info": (b"--json", b"--output"),
           "record": (b"--output", b"--json"), "control": (b"--read", b"--json")}
    for cmd, (has, lacks) in own.items():
        for args in ([cmd, "--help"], [cmd, "-h"], ["help", cmd], [cmd, f, "--help"]):
            rc, out, err = run(args)
            check(rc == 0 and out.startswith(b"Usage: eventlog " + cmd.encode() + b" "),
                  "%s: exit %d, %r" % (args, rc, out[:80]))
            check(has in out and lacks not in out and b"Exit status" in out,
                  "%s: the help should list %s and not %s" % (args, has, lacks))
    rc, _, err = run(["help", "frobnicate"])
    check(rc == 2 and "unknown command" in err, "help frobnicate: exit %d" % rc)
    print("usage: ok")


CASES = {
    "gzip-stdin": case_gzip_stdin,
    "info-gz": case_info_gz,
    "socket-stream": case_socket_stream,
    "control": case_control,
    "record": case_record,
    "record-reconnect": case_record_reconnect,
    "follow": case_follow,
    "progress": case_progress,
    "usage": case_usage,
    "sort-oracle": case_sort_oracle,
    "stream-window": case_stream_window,
    "block-overrun": case_block_overrun,
    "zstd-xz": case_zstd_xz,
}


def main():
    global EXE, CORPUS, TMP
    if len(sys.argv) != 4 or sys.argv[3] not in CASES:
        sys.stderr.write("usage: cli_test.py EVENTLOG_EXE CORPUS_DIR CASE (%s)\n"
                         % ", ".join(CASES))
        return 2
    EXE, CORPUS, case = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    # Unix socket paths are short: keep the directory short too.
    TMP = tempfile.mkdtemp(prefix="elog-cli-")
    os.environ["LC_ALL"] = "C"
    try:
        CASES[case]()
        return 0
    except Failure as e:
        print("FAIL %s: %s" % (case, e))
        for sv in SERVERS:
            print("--- replay stderr:\n" + sv.stderr())
        return 1
    except subprocess.TimeoutExpired as e:
        print("FAIL %s: timed out: %s" % (case, e.cmd))
        return 1
    finally:
        for sv in SERVERS:
            try:
                sv.kill()
            except Exception:
                pass
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

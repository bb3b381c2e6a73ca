#!/usr/bin/python3
"""The `eventlog` command on eventlogs written live by a real GHC program.

    ghc_test.py EVENTLOG_EXE CASE

Builds tests/ghc/Trace.hs with `ghc -O0 -eventlog -rtsopts -threaded` (about
1 s), then, by CASE:

  fifo     the program writes its eventlog into a FIFO (+RTS -l -ol FIFO) that
           `eventlog show --stream FIFO` reads live: a clean end and every user
           message in order; then a second run through `eventlog record FIFO`,
           whose saved file `show` decodes the same way
  killed   the program runs until SIGKILLed once it wrote a 2 MB buffer:
           `eventlog show` prints the decoded events and warns that the log is
           truncated (exit 0; --strict exits 3)
  follow   `eventlog show --stream --follow FILE` started while the program
           writes FILE: a clean end, and the same output as `show --stream`
           of the finished file

Exits 77 (skipped) only when ghc is not installed. Every wait is bounded.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testlib import Failure, check  # noqa: E402 (tests/testlib.py)

HERE = os.path.dirname(os.path.abspath(__file__))
EXE = None
TMP = None
PROG = None
COUNT = 20000            # user messages of a finite run (about 1 s)
TIMEOUT = 15             # seconds, any single process


def build():
    global PROG
    PROG = os.path.join(TMP, "trace")
    p = subprocess.run(["ghc", "-O0", "-eventlog", "-rtsopts", "-threaded",
                        "-outputdir", os.path.join(TMP, "obj"), "-o", PROG,
                        os.path.join(HERE, "Trace.hs")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    check(p.returncode == 0, "ghc failed:\n" + p.stdout.decode("utf-8", "replace"))


def program(args, log):
    return subprocess.Popen([PROG] + args + ["+RTS", "-l", "-ol" + log, "-RTS"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=TMP)


def messages(out):
    """The user messages of a `show` listing, in order."""
    return [int(m) for m in re.findall(rb": elog-test-msg (\d+) ", out)]


def wait(p, what):
    try:
        return p.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=5)
        raise Failure("%s did not finish within %d s" % (what, TIMEOUT))


def eventlog(args):
    p = subprocess.run([EXE] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def case_fifo():
    fifo = os.path.join(TMP, "live.fifo")
    os.mkfifo(fifo)
    # The reader first: opening the FIFO blocks until the program opens it
    # for writing (and the program's open blocks until a reader is there).
    out_path = os.path.join(TMP, "live.out")
    with open(out_path, "wb") as out:
        reader = subprocess.Popen([EXE, "show", "--stream", fifo], stdout=out,
                                  stderr=subprocess.PIPE)
        prog = program([str(COUNT)], fifo)
        rc_prog = wait(prog, "the program")
        rc = wait(reader, "eventlog show --stream FIFO")
    err = reader.stderr.read().decode("utf-8", "replace")
    if rc_prog != 0:
        raise Failure("the program failed: %r" % prog.stderr.read())
    check(rc == 0 and err == "", "show --stream FIFO: exit %d, stderr %r" % (rc, err))
    with open(out_path, "rb") as f:
        live = f.read()
    check(live.startswith(b"Event Types:\n"), "no header listing")
    check(live.endswith(b"\n\n"), "the listing does not end like ghc-events' (clean end)")
    got = messages(live)
    check(got == list(range(COUNT)), "user messages: %d of %d (first differences: %r)"
          % (len(got), COUNT, [i for i, m in enumerate(got) if m != i][:5]))

    # The same through `record` from a FIFO, then `show` on the saved file:
    # byte-identical to the live listing.
    os.unlink(fifo)
    os.mkfifo(fifo)
    saved = os.path.join(TMP, "saved.eventlog")
    rec = subprocess.Popen([EXE, "record", fifo, "-o", saved], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    prog = program([str(COUNT)], fifo)
    check(wait(prog, "the program") == 0, "the program failed")
    if wait(rec, "eventlog record FIFO") != 0:
        raise Failure("record FIFO failed: %r" % rec.stderr.read())
    rc, again, err = eventlog(["show", "--stream", saved])
    check(rc == 0 and messages(again) == list(range(COUNT)), "show --stream of the record")
    rc, sorted_out, err = eventlog(["show", saved])
    check(rc == 0 and sorted(messages(sorted_out)) == list(range(COUNT)),
          "sorted show of the record: %s" % err)
    print("fifo: %d messages live, clean end" % COUNT)


def case_killed():
    log = os.path.join(TMP, "killed.eventlog")
    prog = program(["forever"], log)
    # GHC 9.0 writes a capability's events in 2 MB buffers: wait (bounded)
    # until one was written, so the log has events, then kill mid-run.
    deadline = time.monotonic() + TIMEOUT
    size = 0
    while time.monotonic() < deadline and prog.poll() is None:
        size = os.path.getsize(log) if os.path.exists(log) else 0
        if size > 2 * 1024 * 1024:
            break
        time.sleep(0.05)
    if prog.poll() is not None:
        raise Failure("the program exited by itself: %r" % prog.stderr.read())
    prog.send_signal(signal.SIGKILL)
    prog.wait(timeout=5)
    check(size > 2 * 1024 * 1024, "only %d bytes written before the deadline" % size)

    rc, out, err = eventlog(["show", log])
    check(rc == 0, "show on the killed log: exit %d: %s" % (rc, err))
    check(re.search(r"^eventlog: warning: .*killed\.eventlog: truncated", err, re.M),
          "no truncation warning: %r" % err)
    got = messages(out)
    check(len(got) > 1000 and sorted(got) == list(range(len(got))),
          "decoded %d user messages, not a prefix of the run" % len(got))
    rc, _, err = eventlog(["show", "--strict", log])
    check(rc == 3 and "truncated" in err, "show --strict: exit %d" % rc)
    rc, out2, _ = eventlog(["show", "--stream", log])
    check(rc == 0 and messages(out2) == got, "show --stream decodes the same messages")
    rc, info, _ = eventlog(["info", log])
    check(rc == 0 and re.search(rb"End: +truncated-", info), "info: %r" % info[-300:])
    print("killed: %d bytes, %d messages, truncated" % (os.path.getsize(log), len(got)))


def case_follow():
    log = os.path.join(TMP, "growing.eventlog")
    prog = program([str(COUNT)], log)
    # Started while the program runs (it may not even have created the file
    # yet: --follow waits for it).
    follower = subprocess.Popen([EXE, "show", "--stream", "--follow", "--idle-timeout", "10000",
                                 log], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = follower.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        follower.kill()
        follower.communicate(timeout=5)
        raise Failure("show --stream --follow did not end within %d s" % TIMEOUT)
    check(wait(prog, "the program") == 0, "the program failed")
    err = err.decode("utf-8", "replace")
    check(follower.returncode == 0 and err == "",
          "show --stream --follow: exit %d, stderr %r" % (follower.returncode, err))
    rc, want, _ = eventlog(["show", "--stream", log])
    check(rc == 0 and out == want, "the followed listing differs from show --stream of the file")
    check(messages(out) == list(range(COUNT)), "user messages missing")
    print("follow: %d bytes followed, clean end" % os.path.getsize(log))


def ghc_events_show(path):
    """`ghc-events show` of path (Debian's), or None when not installed."""
    if not os.path.exists("/usr/bin/ghc-events"):
        return None
    p = subprocess.run(["/usr/bin/ghc-events", "show", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=TIMEOUT)
    check(p.returncode == 0, "ghc-events show %s: exit %d: %r" % (path, p.returncode, p.stderr[-300:]))
    return p.stdout


def case_repair():
    """A SIGKILLed program's log made complete by `eventlog repair`: ghc-events
    reads it and lists the same events as for the killed log."""
    log = os.path.join(TMP, "killed.eventlog")
    prog = program(["forever"], log)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and prog.poll() is None:
        if os.path.exists(log) and os.path.getsize(log) > 2 * 1024 * 1024 + 5000:
            break
        time.sleep(0.05)
    prog.send_signal(signal.SIGKILL)
    prog.wait(timeout=5)
    out = os.path.join(TMP, "repaired.eventlog")
    rc, _, note = eventlog(["repair", log, "-o", out])
    check(rc == 0 and "appended the end-of-data marker" in note, "repair: exit %d: %s" % (rc, note))
    rc, _, err = eventlog(["show", "--strict", out])
    check(rc == 0, "show --strict of the repaired log: exit %d: %s" % (rc, err))
    before, after = ghc_events_show(log), ghc_events_show(out)
    if before is not None:
        check(after == before, "ghc-events lists other events for the repaired log")
        check(len(messages(after)) > 1000, "too few messages: %d" % len(messages(after)))
    print("repair: %d bytes in, %d out: %s" % (os.path.getsize(log), os.path.getsize(out),
                                                note.strip().replace("\n", "; ")))


def case_merge():
    """Two runs with 3 and 1 capabilities merged: every message of both,
    the second run's capabilities and threads shifted past the first's,
    readable by ghc-events, in time order."""
    logs = []
    for n, count in ((3, 3000), (1, 2000)):
        log = os.path.join(TMP, "n%d.eventlog" % n)
        p = subprocess.Popen([PROG, str(count), "+RTS", "-N%d" % n, "-l", "-ol" + log, "-RTS"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=TMP)
        check(wait(p, "trace -N%d" % n) == 0, "trace -N%d failed" % n)
        logs.append(log)
    out = os.path.join(TMP, "merged.eventlog")
    rc, _, err = eventlog(["merge", logs[0], logs[1], "-o", out])
    check(rc == 0, "merge: exit %d: %s" % (rc, err))
    check(re.search(r"capabilities \+3, capsets \+\d+, threads \+\d+", err), "merge note: %s" % err)
    rc, show, err = eventlog(["show", "--strict", out])
    check(rc == 0, "show of the merged log: exit %d: %s" % (rc, err))
    got = messages(show)
    check(sorted(got) == sorted(list(range(3000)) + list(range(2000))),
          "merged log has %d messages, 5000 expected" % len(got))
    caps = {int(c) for c in re.findall(rb"^\d+: cap (\d+): elog-test-msg", show, re.M)}
    check(caps & {0, 1, 2} and 3 in caps and max(caps) == 3,
          "message capabilities %s: the second run's cap 0 should be cap 3" % sorted(caps))
    ge = ghc_events_show(out)
    if ge is not None:
        body = ge.split(b"Events:\n", 1)[1]
        times = [int(l.split(b":", 1)[0]) for l in body.split(b"\n") if re.match(rb"^\d+:", l)]
        check(times == sorted(times) and len(messages(ge)) == 5000,
              "ghc-events: %d messages, sorted %s" % (len(messages(ge)), times == sorted(times)))
    print("merge: %d + %d bytes -> %d" % (os.path.getsize(logs[0]), os.path.getsize(logs[1]),
                                          os.path.getsize(out)))


CASES = {"fifo": case_fifo, "killed": case_killed, "follow": case_follow,
         "repair": case_repair, "merge": case_merge}


def main():
    global EXE, TMP
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        sys.stderr.write("usage: ghc_test.py EVENTLOG_EXE CASE (%s)\n" % ", ".join(CASES))
        return 2
    if shutil.which("ghc") is None:
        print("SKIP: ghc is not installed (apt-get install ghc)")
        return 77
    EXE = os.path.abspath(sys.argv[1])
    TMP = tempfile.mkdtemp(prefix="elog-ghc-")
    os.environ["LC_ALL"] = "C"
    try:
        build()
        CASES[sys.argv[2]]()
        return 0
    except Failure as e:
        print("FAIL %s: %s" % (sys.argv[2], e))
        return 1
    except subprocess.TimeoutExpired as e:
        print("FAIL %s: timed out: %s" % (sys.argv[2], e.cmd))
        return 1
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

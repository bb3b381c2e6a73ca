#!/usr/bin/python3
"""Hardening figures (issue 14), a baseline `eventlog` and ours side by side:

    bench/hardening.py BASELINE_EXE OURS_EXE [CORPUS_DIR]

e.g. a build of the commit before the hardening work against the current one.
Each scenario is generated as in tests/adversarial/ (it imports its helpers)
and every child runs under a timeout (and, where a baseline could run away,
RLIMIT_AS / RLIMIT_FSIZE), so a baseline that misbehaves is stopped, and its
figure is then a lower bound ("killed"). Peak RSS is measured with
/usr/bin/time. Prints one row per figure: scenario, metric, baseline, ours.
Not part of the test run."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "adversarial"))
import adversarial_test as adv  # noqa: E402


def record_zero(exe):
    """record /dev/zero for 1 s (stopped by SIGINT): bytes written."""
    out = os.path.join(adv.TMP, "z.out")
    adv.EXE = exe
    try:
        adv.run(["record", "/dev/zero", "-o", out], timeout=10, fsize_mib=4096,
                sig_after=1.0)
    except adv.Failure:
        pass
    n = os.path.getsize(out) if os.path.exists(out) else 0
    for name in os.listdir(adv.TMP):
        if name.startswith(".z.out") or name == "z.out":
            os.unlink(os.path.join(adv.TMP, name))
    return "%d bytes" % n


def reconnect_storm(exe):
    """record --reconnect against a peer sending header + cut event: connections/s."""
    adv.EXE = exe
    payload = adv.header_and_cut_event(os.path.join(adv.CORPUS, "parallelTest.eventlog"))
    path = os.path.join(adv.TMP, "h.sock")
    if os.path.exists(path):
        os.unlink(path)
    peer = adv.HostilePeer(path, payload)
    try:
        adv.run(["record", "--reconnect", "-o", os.path.join(adv.TMP, "s%d.ev"), "unix:" + path],
                timeout=15, sig_after=3.0)
    except adv.Failure:
        pass
    finally:
        peer.stop()
    files = [n for n in os.listdir(adv.TMP) if n.startswith("s") and n.endswith(".ev")]
    for n in files:
        os.unlink(os.path.join(adv.TMP, n))
    return "%.1f conn/s, %d files" % (peer.count / 3.0, len(files))


def peak(args, **kw):
    """Runs args under /usr/bin/time (forked from a small process, so the
    peak RSS is the command's own, not inflated by this Python's): (exit
    status, peak RSS in KiB)."""
    rss_file = os.path.join(adv.TMP, "rss")
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    with open(rss_file) as f:
        return p.returncode, int(f.read().split()[-1])


def header_bomb(exe):
    bomb = os.path.join(adv.TMP, "bomb.gz")
    if not os.path.exists(bomb):
        adv.header_bomb(bomb)
    rc, rss = peak([exe, "info", bomb], timeout=60)
    return "exit %d, %d KiB RSS" % (rc, rss)


def replay_big(exe):
    big = os.path.join(adv.TMP, "big.gz")
    if not os.path.exists(big):
        adv.big_log_gz(big, 192 << 20)
    sock = os.path.join(adv.TMP, "b.sock")
    rss_file = os.path.join(adv.TMP, "rss")
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file, exe, "replay", "--quiet",
                          "--clients", "1", big, "unix:" + sock],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdout.readline()
    subprocess.run([exe, "info", "unix:" + sock], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    p.wait(timeout=60)
    with open(rss_file) as f:
        return "%d KiB RSS" % int(f.read().split()[-1])


def fifo_open(exe):
    fifo = os.path.join(adv.TMP, "fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    adv.EXE = exe
    t = time.monotonic()
    try:
        adv.run(["show", "--stream", "--follow", "--idle-timeout", "500", fifo], timeout=5)
        return "%.2f s" % (time.monotonic() - t)
    except adv.Failure:
        return "> 5 s (killed)"


SCENARIOS = [
    ("record /dev/zero, 1 s", record_zero),
    ("record --reconnect, hostile peer, 3 s", reconnect_storm),
    ("info on a 64 MiB header (0.3 MiB .gz)", header_bomb),
    ("replay of a 192 MiB log (.gz), one client", replay_big),
    ("show --follow --idle-timeout 500 on a FIFO without writer", fifo_open),
]


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    base, ours = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    adv.CORPUS = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, "..", "corpus",
                                                                       "conformance")
    adv.TMP = tempfile.mkdtemp(prefix="elog-hard-")
    try:
        print("| scenario | baseline | ours |")
        print("|---|---|---|")
        for name, fn in SCENARIOS:
            print("| %s | %s | %s |" % (name, fn(base), fn(ours)), flush=True)
    finally:
        shutil.rmtree(adv.TMP, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

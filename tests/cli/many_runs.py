#!/usr/bin/env python3
"""Sorted `eventlog show` on logs with millions of time-ordered runs (issue
14 item 1): the output equals the order worked out by the generator
(tests/gen_runs.c), and the process stays within a bounded address space
(RLIMIT_AS) and peak RSS whatever the number of runs. Before the merge in
passes of bounded fan-in, 2 M runs took ~820 MB.

    many_runs.py EVENTLOG_EXE GEN_RUNS_EXE
"""
import os
import resource
import subprocess
import sys
import tempfile

# The documented budget: 64 MiB of buffers plus a few MiB. RSS is checked
# against budget + 32 MiB; the address-space limit leaves room for thread
# stacks and malloc arenas that are reserved but not used.
RSS_LIMIT_KB = (64 + 32) * 1024
AS_LIMIT = 512 * 1024 * 1024
TIMEOUT = 120


LIMITS = True   # off for sanitizer builds, whose shadow memory needs terabytes of address space


def limit():
    if LIMITS:
        resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def sanitized(exe):
    """true if `exe` cannot even start under the address-space limit (ASan)."""
    p = subprocess.run([exe, "--version"], capture_output=True, preexec_fn=limit)
    return p.returncode != 0 and b"Sanitizer" in p.stderr


def show(exe, args, stdin=None, out=None, env=None):
    """Runs `exe show ARGS` under the limits; returns (rc, stderr, maxrss KB)."""
    with open(out, "wb") as f, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([exe, "show"] + args, stdin=stdin, stdout=f, stderr=err,
                             preexec_fn=limit, env=env)
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            p.kill()
            raise
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return p.returncode, err.read().decode(errors="replace"), ru.ru_maxrss


def same_body(out, expected):
    """true if `out` is a show output whose events part is `expected`."""
    with open(out, "rb") as f, open(expected, "rb") as e:
        for line in f:
            if line == b"Events:\n":
                break
        else:
            return False
        while True:
            a = f.read(1 << 20)
            b = e.read(1 << 20)
            if a != b:
                return False
            if not a:
                return True


def main():
    global LIMITS
    exe, gen = sys.argv[1], sys.argv[2]
    if sanitized(exe):
        LIMITS = False
        print("sanitizer build: order checked, memory limits not applied")
    # MALLOC_PERTURB_ makes malloc fill what it hands out: peak RSS then
    # counts every byte allocated, not only those touched.
    env = dict(os.environ, MALLOC_ARENA_MAX="2", LC_ALL="C", MALLOC_PERTURB_="165")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("alternating", 4000000, "file"), ("decreasing", 2000000, "pipe")]
        for kind, n, how in cases:
            log = os.path.join(tmp, kind + ".eventlog")
            exp = os.path.join(tmp, kind + ".expected")
            out = os.path.join(tmp, kind + ".out")
            subprocess.run([gen, kind, str(n), log, exp], check=True, timeout=TIMEOUT)
            if how == "file":
                rc, err, rss = show(exe, [log], out=out, env=env)
            else:
                with open(log, "rb") as f:
                    # through a pipe: not seekable, so it is spooled
                    cat = subprocess.Popen(["cat"], stdin=f, stdout=subprocess.PIPE)
                    rc, err, rss = show(exe, ["-"], stdin=cat.stdout, out=out, env=env)
                    cat.stdout.close()
                    cat.wait()
            ok = rc == 0 and same_body(out, exp) and (rss <= RSS_LIMIT_KB or not LIMITS)
            runs = n // 2 if kind == "alternating" else n + n // 1000
            print("%s %s: %d events, %d runs, %s: exit %d, peak RSS %d KiB (limit %d)%s"
                  % ("ok" if ok else "FAIL", kind, n, runs, how, rc, rss, RSS_LIMIT_KB,
                     "" if rc == 0 else ": " + err.strip()))
            if rc == 0 and not same_body(out, exp):
                print("    output differs from the generator's order")
            failures += not ok
            for p in (log, exp, out):
                os.unlink(p)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

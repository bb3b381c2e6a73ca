"""Helpers shared by the Python test scripts under tests/ (cli, adversarial,
ghc, monitor): the failure they raise and report, a condition check, polling
until something happens, stopping the processes a test started, and an HTTP
request that returns error statuses instead of raising. A script in a
subdirectory imports it with

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from testlib import Failure, check
"""
import signal
import subprocess
import time
import urllib.error
import urllib.request


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def wait_until(what, fn, timeout, every, catch=(OSError,)):
    """Polls fn() every `every` s until it returns a true value; returns it,
    or fails after `timeout` s. Exceptions in `catch` count as not yet."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except catch as e:
            last = e
        time.sleep(every)
    raise Failure("timed out after %d s waiting for %s (last: %r)" % (timeout, what, last))


def http(url, method="GET", data=None, timeout=5):
    """(status, body as text) of a request; a POST without data sends an
    empty body."""
    if method == "POST" and data is None:
        data = b""
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def stop_all(procs, timeout=5):
    """Sends SIGTERM to every process of `procs` still running, the last
    started first; kills any that has not exited `timeout` s later."""
    for p in reversed(procs):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=timeout)

#!/usr/bin/env python3
"""End-to-end tests of the commands that write eventlogs: `eventlog filter`
and `eventlog repair` (and the safe output file they share).

    write_test.py EVENTLOG_EXE SOURCE_ROOT CASE

The expected selection is computed here, independently of the C code, by a
small record parser (header sizes, block-marker capability attribution as
docs/FORMAT.md §5.3) and the catalogue's own description of which types carry a
thread (libeventlog/catalogue.txt). Outputs are read back with that parser,
with `eventlog show --stream`, and with Debian's ghc-events where installed.
"""
import glob
import gzip
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testlib import Failure, check  # noqa: E402 (tests/testlib.py)

EXE = ROOT = TMP = None
GHC_EVENTS = "/usr/bin/ghc-events"


def run(args, input_bytes=None, timeout=120):
    return subprocess.run(args, input=input_bytes, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)


def logs(complete_only=False):
    out = sorted(glob.glob(os.path.join(ROOT, "corpus", "conformance", "*.eventlog")) +
                 glob.glob(os.path.join(ROOT, "corpus", "ghc-9.0.2", "*.eventlog")))
    if complete_only:
        out = [p for p in out if parse(read(p))[2]]
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ------------------------------------------------------------------ oracle

def catalogue():
    """{name: id}, and {id: minimal declared size (None: variable)} of the
    types whose first field is `thread:u32`."""
    names, thread = {}, {}
    with open(os.path.join(ROOT, "libeventlog", "catalogue.txt"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            words = line.split("|")[0].split()
            tid, name, size = int(words[0]), words[1], words[2]
            names[name.lower()] = tid
            if len(words) > 3 and words[3] == "thread:u32":
                thread[tid] = None if size == "var" else int(size)
    return names, thread


def parse(data):
    """(sizes, [(id, time, cap, payload, record bytes)], complete) of the
    complete records of `data`, capabilities attributed as ghc-events."""
    check(data[:8] == b"hdrbhetb", "not an eventlog")
    pos, sizes = 8, {}
    while data[pos:pos + 4] == b"etb\0":
        tid, size, dlen = struct.unpack_from(">HHI", data, pos + 4)
        pos += 12 + dlen
        (xlen,) = struct.unpack_from(">I", data, pos)
        pos += 8 + xlen
        sizes[tid] = size
    check(data[pos:pos + 12] == b"hetehdredatb", "bad header end")
    pos += 12
    recs, cap, remaining = [], None, 0
    while pos + 2 <= len(data):
        (tid,) = struct.unpack_from(">H", data, pos)
        if tid == 0xffff:
            return sizes, recs, True
        if pos + 10 > len(data):
            break
        size = sizes[tid]
        head = 10
        if size == 0xffff:
            if pos + 12 > len(data):
                break
            (size,) = struct.unpack_from(">H", data, pos + 10)
            head = 12
        end = pos + head + size
        if end > len(data):
            break
        (time,) = struct.unpack_from(">Q", data, pos + 2)
        payload = data[pos + head:end]
        if tid == 18:
            bsize, _, bcap = struct.unpack_from(">IQH", payload)
            cap = None if bcap == 0xffff else bcap
            remaining = (bsize - 24) % (1 << 32)
            recs.append((tid, time, cap, payload, data[pos:end]))
        else:
            recs.append((tid, time, cap, payload, data[pos:end]))
            remaining -= end - pos
            if remaining <= 0:
                cap = None
        pos = end
    return sizes, recs, False


def events(recs):
    """Without block markers and raw bytes: what a selection is about."""
    return [(t, time, cap, payload) for (t, time, cap, payload, _) in recs if t != 18]


def select(sizes, recs, types=None, exclude=None, caps=None, threads=None, start=0,
           end=None):
    _, thread = catalogue()
    out = []
    for ev in events(recs):
        tid, time, cap, payload = ev
        if time < start or (end is not None and time > end):
            continue
        if types is not None and tid not in types:
            continue
        if exclude is not None and tid in exclude:
            continue
        if caps is not None and (0xffff if cap is None else cap) not in caps:
            continue
        if threads is not None:
            if tid not in thread:
                continue
            need = thread[tid]
            if need is not None and sizes[tid] != 0xffff and sizes[tid] < need:
                continue  # declared too small for the catalogue's layout
            if len(payload) < 4 or struct.unpack_from(">I", payload)[0] not in threads:
                continue
        out.append(ev)
    return out


def ghc_events_lines(path):
    """The event lines of `ghc-events show`, or None if it fails."""
    if not os.path.exists(GHC_EVENTS):
        return None
    p = run([GHC_EVENTS, "show", path], timeout=300)
    if p.returncode != 0:
        return None
    text = p.stdout.decode("utf-8", "replace")
    return [l for l in text.split("Events:\n", 1)[1].split("\n") if l.strip()]


def show_stream_ok(path):
    p = run([EXE, "show", "--stream", "--strict", path])
    check(p.returncode == 0, "show --stream of %s: exit %d: %s" % (path, p.returncode, p.stderr))


# ------------------------------------------------------------------ cases

def case_filter_identity():
    """No selection: a complete log comes back byte for byte; so does its
    gzip-compressed form, and `-o -`; OUT.gz gunzips to it."""
    n = 0
    for path in logs(complete_only=True):
        out = os.path.join(TMP, "id.eventlog")
        p = run([EXE, "filter", path, "-o", out, "--force"])
        check(p.returncode == 0, "filter %s: exit %d %s" % (path, p.returncode, p.stderr))
        check(read(out) == read(path), "filter without selection changed %s" % path)
        n += 1
    check(n >= 20, "only %d complete logs" % n)
    path = os.path.join(ROOT, "corpus", "ghc-9.0.2", "threaded-N2.eventlog")
    gz = os.path.join(TMP, "in.eventlog.gz")
    with gzip.open(gz, "wb") as f:
        f.write(read(path))
    p = run([EXE, "filter", gz, "-o", "-"])
    check(p.returncode == 0 and p.stdout == read(path), "filter of gzip input to stdout")
    p = run([EXE, "filter", "-", "-o", os.path.join(TMP, "o.eventlog.gz")], input_bytes=read(path))
    check(p.returncode == 0, "filter stdin to .gz: %s" % p.stderr)
    check(gzip.decompress(read(os.path.join(TMP, "o.eventlog.gz"))) == read(path),
          "OUT.gz does not gunzip to the input")


SELECTIONS = [
    (["--type", "run_thread,STOP_THREAD"], dict(types={1, 2})),
    (["--type", "2,create-thread"], dict(types={2, 0})),
    (["--exclude-type", "run_thread,stop_thread,thread_runnable"], dict(exclude={1, 2, 3})),
    (["--cap", "0"], dict(caps={0})),
    (["--cap", "1,65535"], dict(caps={1, 0xffff})),
    (["--thread", "1,3"], dict(threads={1, 3})),
    (["--from", "1ms", "--to", "0.004s"], dict(start=1000000, end=4000000)),
    (["--from", "2500us"], dict(start=2500000)),
    (["--to", "1500000ns"], dict(end=1500000)),
    (["--type", "1,2", "--cap", "1", "--from", "1000000"], dict(types={1, 2}, caps={1},
                                                                 start=1000000)),
    (["--thread", "3", "--exclude-type", "1", "--to", "1.5s"], dict(threads={3}, exclude={1},
                                                                    end=1500000000)),
]


def case_filter_select():
    """Each selection on several logs: OUT decodes (ours, strictly; and
    ghc-events) to exactly the expected events, in input order, with the
    whole header kept; ghc-events lists the same lines as for the input."""
    names = [os.path.join(ROOT, "corpus", "ghc-9.0.2", n) for n in
             ("threaded-N2.eventlog", "threaded-N2-la.eventlog", "nonthreaded.eventlog",
              "prof-hc.eventlog", "messages-invalid-utf8.eventlog")]
    names.append(os.path.join(ROOT, "corpus", "conformance", "hello-ghc-8.2.2.eventlog"))
    names.append(os.path.join(ROOT, "corpus", "conformance", "parallelTest.eventlog"))
    nonempty = 0
    for path in names:
        data = read(path)
        sizes, recs, _ = parse(data)
        ghc_in = ghc_events_lines(path)
        for args, sel in SELECTIONS:
            out = os.path.join(TMP, "sel.eventlog")
            p = run([EXE, "filter", path, "-o", out, "--force"] + args)
            check(p.returncode == 0, "filter %s %s: exit %d %s" % (path, args, p.returncode, p.stderr))
            odata = read(out)
            osizes, orecs, complete = parse(odata)
            check(complete, "%s %s: OUT has no end marker" % (path, args))
            hdr_in = data[:data.index(b"hetehdredatb")]
            check(odata.startswith(hdr_in), "%s %s: OUT's header differs" % (path, args))
            want = select(sizes, recs, **sel)
            got = events(orecs)
            check(got == want, "%s %s: %d events selected, %d expected" % (path, args, len(got), len(want)))
            nonempty += bool(want)
            show_stream_ok(out)
            if ghc_in is not None:
                ghc_out = ghc_events_lines(out)
                check(ghc_out is not None, "ghc-events cannot read filter OUT of %s %s" % (path, args))
                check(len(ghc_out) == len(want), "%s %s: ghc-events lists %d events, %d expected"
                      % (path, args, len(ghc_out), len(want)))
                pool = {}
                for l in ghc_in:
                    pool[l] = pool.get(l, 0) + 1
                for l in ghc_out:
                    check(pool.get(l, 0) > 0, "%s %s: ghc-events line not in the input's: %r"
                          % (path, args, l))
                    pool[l] -= 1
    print("filter-select: %d runs, %d with events" % (len(names) * len(SELECTIONS), nonempty))
    check(nonempty >= len(names) * 5, "too few selections selected anything (%d)" % nonempty)


def case_repair():
    """Logs cut at many points: repair makes a complete log of exactly the
    complete records of the cut (block sizes aside), says what it dropped,
    and ghc-events lists exactly the events it lists for the cut input."""
    names = [os.path.join(ROOT, "corpus", "ghc-9.0.2", "threaded-N2.eventlog"),
             os.path.join(ROOT, "corpus", "ghc-9.0.2", "prof-hc.eventlog"),
             os.path.join(ROOT, "corpus", "conformance", "hello-ghc-8.2.2.eventlog"),
             os.path.join(ROOT, "corpus", "ghc-9.0.2", "killed-sigkill.eventlog"),
             os.path.join(ROOT, "corpus", "conformance", "testlog-part.eventlog")]
    cuts_done = dropped_seen = 0
    for path in names:
        data = read(path)
        hdr = data.index(b"hetehdredatb") + 12
        points = sorted({len(data)} | {hdr + (len(data) - hdr) * k // 11 + k for k in range(11)})
        for cut in points:
            cut = min(cut, len(data))
            src = os.path.join(TMP, "cut.eventlog")
            with open(src, "wb") as f:
                f.write(data[:cut])
            out = os.path.join(TMP, "rep.eventlog")
            p = run([EXE, "repair", src, "-o", out, "--force"])
            check(p.returncode == 0, "repair %s cut at %d: exit %d %s" % (path, cut, p.returncode, p.stderr))
            err = p.stderr.decode()
            _, in_recs, in_complete = parse(data[:cut])
            _, out_recs, complete = parse(read(out))
            check(complete, "repair %s at %d: no end marker" % (path, cut))
            # records equal, block markers' sizes aside
            strip = lambda rs: [(t, time, cap if t != 18 else None,
                                 payload if t != 18 else payload[4:]) for (t, time, cap, payload, _) in rs]
            check(strip(in_recs) == strip(out_recs), "repair %s at %d: records differ" % (path, cut))
            if not in_complete:
                last_end = hdr
                # offset just after the last complete record
                last_end = len(read(out)) - 2
                if last_end < cut:
                    check("dropped a partial event" in err and ("offset %d" % last_end) in err,
                          "repair %s at %d: stderr does not say what was dropped at %d: %s"
                          % (path, cut, last_end, err))
                    dropped_seen += 1
                check("appended the end-of-data marker" in err, "repair: no end-marker note")
            show_stream_ok(out)
            ghc_in = ghc_events_lines(src)
            if ghc_in is not None:
                ghc_out = ghc_events_lines(out)
                check(ghc_out == ghc_in, "repair %s at %d: ghc-events lists %s events, %d for the cut input"
                      % (path, cut, None if ghc_out is None else len(ghc_out), len(ghc_in)))
            cuts_done += 1
    check(cuts_done >= 50 and dropped_seen >= 30, "cuts %d, dropped %d" % (cuts_done, dropped_seen))


def case_write_safety():
    """OUT is never the input, an existing OUT needs --force, corrupt input
    gives exit 1 with an offset and no OUT (nor a temporary file)."""
    path = os.path.join(ROOT, "corpus", "ghc-9.0.2", "threaded-N2.eventlog")
    d = os.path.join(TMP, "safe")
    os.mkdir(d)
    src = os.path.join(d, "in.eventlog")
    shutil.copy(path, src)
    # Every command writing with -o shares the one safe output (tools/outfile.c).
    argv_of = {"filter": lambda i, o: ["filter", i, "-o", o],
               "repair": lambda i, o: ["repair", i, "-o", o],
               "export": lambda i, o: ["export", "-f", "ndjson", i, "-o", o],
               "report": lambda i, o: ["report", i, "-o", o]}
    for cmd, argv in argv_of.items():
        # the input itself, also through another name (a hard link)
        link = os.path.join(d, "link.eventlog")
        os.link(src, link)
        for target in (src, link):
            p = run([EXE] + argv(src, target) + ["--force"])
            check(p.returncode == 1 and b"is the input" in p.stderr, "%s onto its input: %s" % (cmd, p.stderr))
        os.unlink(link)
        # ... also when the input is stdin ('-'), as OUT or as stdout
        with open(src, "rb") as fin:
            p = subprocess.run([EXE] + argv("-", src) + ["--force"], stdin=fin,
                               capture_output=True, timeout=60)
        check(p.returncode == 1 and b"is the input" in p.stderr, "%s - -o IN < IN: %s" % (cmd, p.stderr))
        with open(src, "rb") as fin, open(src, "ab") as fout:
            p = subprocess.run([EXE] + argv("-", "-"), stdin=fin, stdout=fout,
                               stderr=subprocess.PIPE, timeout=60)
        check(p.returncode == 1 and b"is the input" in p.stderr, "%s - -o - < IN >> IN: %s" % (cmd, p.stderr))
        check(read(src) == read(path), "%s changed its input" % cmd)
        out = os.path.join(d, "out.eventlog")
        with open(out, "wb") as f:
            f.write(b"keep")
        p = run([EXE] + argv(src, out))
        check(p.returncode == 1 and b"--force" in p.stderr and read(out) == b"keep",
              "%s over an existing OUT without --force" % cmd)
        p = run([EXE] + argv(src, out) + ["--force"])
        check(p.returncode == 0 and (read(out) == read(path) if cmd in ("filter", "repair")
                                     else len(read(out)) > 1000), "%s --force" % cmd)
        os.unlink(out)
        # a directory is refused
        p = run([EXE] + argv(src, d))
        check(p.returncode == 1 and b"is a directory" in p.stderr, "%s -o DIR: %s" % (cmd, p.stderr))
        # corrupt input: an undeclared event id inside the data
        data = bytearray(read(path))
        hdr = data.index(b"hetehdredatb") + 12
        pos = hdr + 24 + 200
        _, recs, _ = parse(bytes(data))
        off = hdr
        for (_, _, _, _, raw) in recs[:40]:
            off += len(raw)
        data[off:off + 2] = b"\x7f\x7e"
        bad = os.path.join(d, "bad.eventlog")
        with open(bad, "wb") as f:
            f.write(bytes(data))
        p = run([EXE] + argv(bad, out))
        check(p.returncode == 1 and ("offset %d" % off).encode() in p.stderr,
              "%s of corrupt input: exit %d %s (offset %d)" % (cmd, p.returncode, p.stderr, off))
        check(not os.path.exists(out), "%s left an OUT for corrupt input" % cmd)
        # a header cut short, not an eventlog at all
        for junk in (read(path)[:hdr - 10], b"not an eventlog at all"):
            with open(bad, "wb") as f:
                f.write(junk)
            p = run([EXE] + argv(bad, out))
            check(p.returncode == 1 and b"offset" in p.stderr and not os.path.exists(out),
                  "%s of a bad header: exit %d %s" % (cmd, p.returncode, p.stderr))
        check(sorted(os.listdir(d)) == ["bad.eventlog", "in.eventlog"],
              "temporary files left: %s" % os.listdir(d))
    # SIGTERM/SIGINT/SIGHUP while writing: the temporary OUT is removed and
    # the command dies of the signal (filter and export from a FIFO that
    # delivered half a log and then stalls).
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    for cmd, sig in (("filter", signal.SIGTERM), ("export", signal.SIGINT),
                     ("filter", signal.SIGHUP)):
        out = os.path.join(d, "sig.out")
        p = subprocess.Popen([EXE] + argv_of[cmd](fifo, out), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        wfd = os.open(fifo, os.O_RDWR)  # a writer that never closes
        try:
            os.write(wfd, read(path)[:100000])
            deadline = time.monotonic() + 20
            while not [n for n in os.listdir(d) if n.startswith(".sig.out.")]:
                check(time.monotonic() < deadline and p.poll() is None,
                      "%s: no temporary output appeared (%s)" % (cmd, p.poll()))
                time.sleep(0.02)
            p.send_signal(sig)
            p.wait(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            os.close(wfd)
        check(p.returncode == -sig, "%s: exit %s after signal %d, not the signal" % (cmd, p.returncode, sig))
        left = [n for n in os.listdir(d) if n.startswith(".sig.out.") or n == "sig.out"]
        check(not left, "%s: %s left after signal %d" % (cmd, left, sig))
    os.unlink(fifo)
    # usage errors
    for args in (["filter", src], ["filter", src, "-o", out, "--type", "no_such_type"],
                 ["filter", src, "-o", out, "--from", "1.5parsecs"],
                 ["filter", src, "-o", out, "--type", "1", "--exclude-type", "2"],
                 ["repair", "-o", out]):
        p = run([EXE] + args)
        check(p.returncode == 2 and not os.path.exists(out), "usage error expected: %s" % args)


SHIFT_KINDS = {"thread": 0, "spark_thread": 0, "cap": 1, "new_cap": 1, "other_cap": 1,
               "victim_cap": 1, "capset": 2, "heap_capset": 2}
INT_SIZES = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}


def shift_table():
    """{(id, size or None): [(payload offset, size, kind)]} from catalogue.txt."""
    out = {}
    with open(os.path.join(ROOT, "libeventlog", "catalogue.txt"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            words = line.split("|")[0].split()
            tid, size = int(words[0]), None if words[2] == "var" else int(words[2])
            if tid == 18:
                continue
            off, fields = 0, []
            for spec in words[3:]:
                if "=" in spec:
                    continue
                name, kind = spec.lstrip("?").split(":")
                if kind not in INT_SIZES or spec.startswith("?"):
                    break
                if name in SHIFT_KINDS and INT_SIZES[kind] in (2, 4):
                    fields.append((off, INT_SIZES[kind], SHIFT_KINDS[name]))
                off += INT_SIZES[kind]
            out[(tid, size)] = fields
    return out


def case_merge():
    """Logs with different capability and thread counts merged: every event
    of every input is in OUT with its capability, capset and thread fields
    shifted past the earlier inputs' (computed here from the catalogue), the
    whole union of the headers is declared, ghc-events reads OUT and lists
    every event; an id declared differently is an error naming it, no OUT."""
    table = shift_table()
    names = [os.path.join(ROOT, "corpus", "ghc-9.0.2", n) for n in
             ("threaded-N2.eventlog", "nonthreaded.eventlog", "threaded-N2-la.eventlog")]
    for inputs in (names[:2], names, [names[1], names[0]]):
        used, want = [0, 0, 0], []
        for path in inputs:
            sizes, recs, _ = parse(read(path))
            mx, evs = [0, 0, 0], []
            for (tid, time, cap, payload, _) in recs:
                if tid == 18:
                    continue
                decl = sizes[tid]
                key = (tid, None if decl == 0xffff else decl)
                fields = table.get(key, [])
                pl = bytearray(payload)
                if cap is not None:
                    mx[1] = max(mx[1], cap + 1)
                for (off, size, kind) in fields:
                    if off + size > len(pl):
                        continue
                    fmt = ">H" if size == 2 else ">I"
                    (v,) = struct.unpack_from(fmt, pl, off)
                    if kind == 1 and size == 2 and v == 0xffff:
                        continue
                    mx[kind] = max(mx[kind], v if kind == 0 else v + 1)
                    struct.pack_into(fmt, pl, off, v + used[kind])
                evs.append((tid, time, None if cap is None else cap + used[1], bytes(pl)))
            want += evs
            used = [used[i] + mx[i] for i in range(3)]
        out = os.path.join(TMP, "merged.eventlog")
        p = run([EXE, "merge"] + inputs + ["-o", out, "--force"])
        check(p.returncode == 0, "merge %s: exit %d %s" % (inputs, p.returncode, p.stderr))
        _, orecs, complete = parse(read(out))
        check(complete, "merge: OUT has no end marker")
        got = events(orecs)
        key = lambda e: (e[1], e[0], -1 if e[2] is None else e[2], e[3])
        check(sorted(got, key=key) == sorted(want, key=key),
              "merge %s: %d events, %d expected (or fields not shifted as expected)"
              % ([os.path.basename(i) for i in inputs], len(got), len(want)))
        show_stream_ok(out)
        lines = ghc_events_lines(out)
        if os.path.exists(GHC_EVENTS):
            check(lines is not None and len(lines) == len(want),
                  "ghc-events cannot read the merged log or lists another count")
            times = [int(l.split(":")[0]) for l in lines]
            check(times == sorted(times), "ghc-events: merged log not in time order")
    # a conflicting declaration
    data = bytearray(read(names[0]))
    i = data.index(b"Create thread")
    data[i:i + 13] = b"Create threaD"
    other = os.path.join(TMP, "other.eventlog")
    with open(other, "wb") as f:
        f.write(bytes(data))
    out = os.path.join(TMP, "conflict.eventlog")
    p = run([EXE, "merge", names[1], other, "-o", out])
    check(p.returncode == 1 and b"event type 0" in p.stderr and not os.path.exists(out),
          "merge of conflicting headers: exit %d %s" % (p.returncode, p.stderr))
    # OUT may not be an input
    p = run([EXE, "merge", names[0], names[1], "-o", names[1], "--force"])
    check(p.returncode == 1 and b"is the input" in p.stderr, "merge onto an input")


CASES = {
    "merge": case_merge,
    "filter-identity": case_filter_identity,
    "filter-select": case_filter_select,
    "repair": case_repair,
    "write-safety": case_write_safety,
}


def main():
    global EXE, ROOT, TMP
    if len(sys.argv) != 4 or sys.argv[3] not in CASES:
        sys.stderr.write("usage: write_test.py EVENTLOG_EXE SOURCE_ROOT CASE (%s)\n"
                         % ", ".join(CASES))
        return 2
    EXE, ROOT, case = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    TMP = tempfile.mkdtemp(prefix="elog-write-")
    os.environ["LC_ALL"] = "C"
    try:
        CASES[case]()
        return 0
    except Failure as e:
        print("FAIL %s: %s" % (case, e))
        return 1
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""`eventlog report` in a real browser (one meson test per case):

  page     reports of corpus logs (threaded, heap profile, user spans and
           markers, a profiled cost-centre heap profile, a killed program's
           truncated log) are single self-contained files: no reference to
           anything outside the file (no URL but the SVG namespace, no src=,
           href= only to #anchors, no url(), no @import), at most 5 MB, the
           data JSON parses and carries the stats of `eventlog stats --json`
  browser  headless Chromium loads each from disk: no console message (an
           error would be one), <body data-rendered="N"> with N > 0 set by the
           page once every chart drew, the expected sections in the DOM, and
           the expected number of charts for what the log holds; a screenshot
           of each is kept in the build directory (report-<log>.png).
           Skipped (exit 77) when chromium is not installed.

usage: report_test.py EVENTLOG CORPUS_902_DIR OUTDIR CASE
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

EVENTLOG, GHC902, OUTDIR, CASE = sys.argv[1:5]

# log -> what its page must show beyond the charts every log has
LOGS = {
    "threaded-N2-la": "caps",       # two capabilities
    "heap-hT": "census",            # -hT heap profile
    "prof-hc": None,                # cost-centre heap profile (profiled RTS)
    "spans": "spans",               # user spans (START/STOP): synthetic, spans_log.py
    "killed-sigkill": None,         # truncated: whatever it holds
}


def expected_charts(d):
    """The charts the data call for: every one whose data exist must be drawn
    (timeline, pause histogram, pauses over time, heap size, allocation, heap
    profile, spans, thread table)."""
    paused = any(d["pauses"]["counts"])
    return (int(bool(d["timeline"]["caps"])) + 2 * int(paused) + int(any(d["heap"]["size"]))
            + int(any(d["heap"]["alloc"])) + int(bool(d["census"]["times"] and d["census"]["labels"]))
            + int(bool(d["spans"]["labels"])) + int(bool(d["stats"]["threads"])))
SECTIONS = ["summary", "timeline-section", "pauses-section", "heap-section", "profile-section",
            "spans-section", "threads-section", "stats-text", "cards"]


HERE = os.path.dirname(os.path.abspath(__file__))


def log_path(name):
    if name == "spans":
        return os.path.join(OUTDIR, "spans.eventlog")
    return os.path.join(GHC902, name + ".eventlog")


def span_totals():
    """Writes the synthetic spans log; returns its span totals per label."""
    r = subprocess.run([sys.executable, os.path.join(HERE, "spans_log.py"), log_path("spans")],
                       capture_output=True, check=True, timeout=60)
    return json.loads(r.stdout)


def report(name):
    out = os.path.join(OUTDIR, f"report-{name}.html")
    r = subprocess.run([EVENTLOG, "report", "--force", log_path(name), "-o", out],
                       capture_output=True, timeout=120)
    if r.returncode != 0:
        sys.exit(f"FAIL: report {name}: exit {r.returncode}: {r.stderr.decode()}")
    return out, r.stderr.decode()


def data_of(html):
    m = re.search(r'<script id="data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "no data element"
    return json.loads(m.group(1))


def check_page(name):
    path, err = report(name)
    size = os.path.getsize(path)
    assert size <= 5 * 1024 * 1024, f"{path}: {size} bytes"
    html = open(path, encoding="utf-8").read()
    # nothing outside the file: the only URL is the SVG namespace identifier
    urls = set(re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"'<>)]*", html, re.I))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    assert not re.search(r"\bsrc\s*=", html, re.I), "src= attribute"
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', html)), "external href"
    assert not re.search(r"url\s*\(|@import", html, re.I), "url() or @import"
    assert "default-src 'none'" in html, "the CSP that forbids any fetch"
    d = data_of(html)
    st = json.loads(subprocess.run([EVENTLOG, "stats", "--json", log_path(name)],
                                   capture_output=True, timeout=60).stdout)
    assert d["stats"]["heap"] == st["heap"], (d["stats"]["heap"], st["heap"])
    assert d["stats"]["gc"]["pause_ns"]["total"] == st["gc"]["pause_ns"]["total"]
    if name == "spans":
        # every span's time lands in the page's buckets, under its label
        want = span_totals()
        sp = d["spans"]
        got = {l: sum(sp["busy"][i]) for i, l in enumerate(sp["labels"])}
        assert got == want, (got, want)
        assert {x["label"]: x["total_ns"] for x in d["stats"]["spans"]} == want
        assert sum(map(sum, sp["count"])) == 80
    if name == "killed-sigkill":
        assert "truncated" in err and "truncated" in d["stats"]["end"]["kind"], d["stats"]["end"]
    return path, d


def chromium():
    for c in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(c)
        if p:
            return p
    return None


def browse(exe, path, *extra):
    with tempfile.TemporaryDirectory() as prof:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--user-data-dir=" + prof, "--enable-logging=stderr", "--v=0",
               "--virtual-time-budget=5000", *extra, "file://" + os.path.abspath(path)]
        r = subprocess.run(cmd, capture_output=True, timeout=120)
    return r


def check_browser(exe, name, what):
    path, d = check_page(name)
    want = expected_charts(d)
    if what == "caps":
        assert len(d["timeline"]["caps"]) == 2
    elif what == "census":
        assert len(d["census"]["times"]) > 5 and len(d["census"]["labels"]) > 3
    elif what == "spans":
        assert d["spans"]["labels"]
    r = browse(exe, path, "--dump-dom")
    log = r.stderr.decode(errors="replace")
    console = [l for l in log.splitlines() if ":CONSOLE" in l]
    assert not console, f"{name}: console messages:\n" + "\n".join(console)
    dom = r.stdout.decode()
    m = re.search(r'<body[^>]*\bdata-rendered="(\d+)"', dom)
    assert m, f"{name}: data-rendered not set (a chart failed?); stderr: {log[-2000:]}"
    n = int(m.group(1))
    assert n > 0
    assert n == want, f"{name}: {n} charts drawn, the data call for {want}"
    for sec in SECTIONS:
        assert f'id="{sec}"' in dom, sec
    assert "<svg" in dom and "<canvas" in dom
    assert ">This chart could not be drawn" not in dom
    png = os.path.join(OUTDIR, f"report-{name}.png")
    r = browse(exe, path, "--hide-scrollbars", "--window-size=1280,4200", "--screenshot=" + png)
    assert os.path.exists(png) and os.path.getsize(png) > 10000, f"{name}: no screenshot"
    print(f"{name}: {n} charts, screenshot {png}")


def main():
    os.makedirs(OUTDIR, exist_ok=True)
    span_totals()
    if CASE == "page":
        for name in LOGS:
            check_page(name)
        # from a socket (eventlog replay): the same figures as from the file
        log = log_path("threaded-N2-la")
        sock = os.path.join(OUTDIR, "report-test.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        srv = subprocess.Popen([EVENTLOG, "replay", "--clients", "1", log, "unix:" + sock],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            assert srv.stdout.readline().startswith(b"listening on")
            out = os.path.join(OUTDIR, "report-socket.html")
            r = subprocess.run([EVENTLOG, "report", "--force", "unix:" + sock, "-o", out],
                               capture_output=True, timeout=60)
            assert r.returncode == 0, r.stderr
        finally:
            srv.kill()
            srv.wait()
        live = data_of(open(out, encoding="utf-8").read())
        path, _ = report("threaded-N2-la")
        from_file = data_of(open(path, encoding="utf-8").read())
        assert live["stats"]["gc"] == from_file["stats"]["gc"]
        assert live["timeline"] == from_file["timeline"]
        print(f"{len(LOGS)} pages self-contained; a socket's report equals the file's")
    elif CASE == "browser":
        exe = chromium()
        if exe is None:
            print("SKIP: chromium is not installed (scripts/setup.sh installs it)")
            sys.exit(77)
        for name, want in LOGS.items():
            check_browser(exe, name, want)
    elif CASE == "ghc":
        ghc_case()
    else:
        sys.exit(f"unknown case {CASE}")


def ghc_case():
    """A real GHC program (Spans.hs: labelled threads on -N2, START/STOP
    spans with subscripts, markers, a -hT heap profile): its report renders
    every chart in Chromium with the spans of `eventlog stats`; its chrome
    trace has a balanced async slice per span."""
    ghc = shutil.which("ghc")
    if ghc is None:
        print("SKIP: ghc is not installed (scripts/setup.sh installs it)")
        sys.exit(77)
    exe = chromium()
    work = tempfile.mkdtemp(prefix="report-ghc-")
    try:
        prog = os.path.join(work, "spans")
        r = subprocess.run([ghc, "-O0", "-threaded", "-eventlog", "-rtsopts", "-outputdir", work,
                            "-o", prog, os.path.join(HERE, "Spans.hs")],
                           capture_output=True, timeout=300)
        assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
        log = os.path.join(work, "spans.eventlog")
        r = subprocess.run([prog, "+RTS", "-N2", "-l", "-hT", "-i0.005", "-ol" + log, "-RTS"],
                           capture_output=True, timeout=120, cwd=work)
        assert r.returncode == 0, r.stderr
        out = os.path.join(OUTDIR, "report-ghc-spans.html")
        r = subprocess.run([EVENTLOG, "report", "--force", log, "-o", out], capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        html = open(out, encoding="utf-8").read()
        d = data_of(html)
        st = json.loads(subprocess.run([EVENTLOG, "stats", "--json", log], capture_output=True,
                                       timeout=60).stdout)
        spans = {x["label"]: x for x in st["spans"]}
        assert {"compute", "store"} <= set(spans), spans.keys()
        # (120 each in time order; in file order a span whose thread migrated
        # to the other capability may be cut: the analysis's, see its README)
        assert spans["compute"]["count"] >= 100 and spans["store"]["count"] >= 100, spans
        assert len(d["timeline"]["caps"]) == 2 and d["census"]["times"] and d["spans"]["labels"]
        got = {l: sum(d["spans"]["busy"][i]) for i, l in enumerate(d["spans"]["labels"])}
        # the page's series come from the analysis's span hook, called as
        # spans complete: equal to the totals unless some span was left open
        # (in file order a span whose thread migrated can be; the analysis
        # counts it closed at the end, the hook never sees it)
        exact = "open at the end" not in html
        for label in ("compute", "store"):
            assert 0 < got[label] <= spans[label]["total_ns"], (label, got[label], spans[label])
            assert not exact or got[label] == spans[label]["total_ns"], (label, got, spans)
        labels = {t["label"] for t in d["stats"]["threads"]}
        assert {"worker 1", "worker 4"} <= labels, labels
        trace = json.loads(subprocess.run([EVENTLOG, "export", "-f", "chrome", log],
                                          capture_output=True, timeout=60).stdout)
        bs = [e for e in trace["traceEvents"] if e["ph"] == "b" and e["name"] == "compute"]
        es = [e for e in trace["traceEvents"] if e["ph"] == "e" and e["name"] == "compute"]
        assert len(bs) == len(es) == 120      # the export is in time order: all matched
        names = {e["name"] for e in trace["traceEvents"] if e["ph"] == "B"}
        assert {"worker 1", "GC"} <= names, names
        if exe is None:
            print("SKIP (browser part): chromium is not installed")
            return
        r = browse(exe, out, "--dump-dom")
        console = [l for l in r.stderr.decode(errors="replace").splitlines() if ":CONSOLE" in l]
        assert not console, console
        m = re.search(r'<body[^>]*\bdata-rendered="(\d+)"', r.stdout.decode())
        assert m and int(m.group(1)) == expected_charts(d) == 8, (m and m.group(1), expected_charts(d))
        png = os.path.join(OUTDIR, "report-ghc-spans.png")
        browse(exe, out, "--hide-scrollbars", "--window-size=1280,4200", "--screenshot=" + png)
        assert os.path.getsize(png) > 10000
        print(f"ghc: 8 charts, screenshot {png}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()

/* The report page: draws the charts from the JSON in #data with plain SVG
 * and canvas (no library, nothing fetched). Each chart is drawn inside
 * chart(); when all were drawn without an error, <body data-rendered="N">
 * says how many were. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("data").textContent);
  var S = D.stats;
  /* the SVG namespace: an identifier, never fetched */
  var NS = "http://www.w3.org/2000/svg";
  var PALETTE = ["#3867d6", "#e8843a", "#3b9c5a", "#c44569", "#8e6fd0", "#20a4b8", "#d4a017",
                 "#6b8e23", "#e15f99", "#4b6584", "#b8653b", "#2bcbba"];
  var OTHER = "#b4bac4";
  var drawn = 0, failed = 0;

  /* ------------------------------------------------------------ helpers */
  function $(id) { return document.getElementById(id); }
  function h(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function s(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmtBytes(b) {
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (Math.abs(b) >= 1024 && i < u.length - 1) { b /= 1024; i++; }
    return (i ? b.toFixed(b < 10 ? 1 : 0) : Math.round(b)) + " " + u[i];
  }
  /* a number with at most `d` decimals, trailing zeros dropped */
  function dec(x, d) { return String(Number(x.toFixed(d))); }
  function fmtNs(ns) {
    if (ns < 1e3) return Math.round(ns) + " ns";
    if (ns < 1e6) return dec(ns / 1e3, ns < 1e4 ? 1 : 0) + " \u00b5s";
    if (ns < 1e9) return dec(ns / 1e6, ns < 1e7 ? 2 : 1) + " ms";
    return dec(ns / 1e9, ns < 1e10 ? 3 : 1) + " s";
  }
  function fmtT(ns) { return fmtNs(ns); }
  function fmtInt(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function fmtRate(b) { return fmtBytes(b) + "/s"; }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) hi = lo + 1;
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var t = [], v = Math.ceil(lo / step) * step;
    for (; v <= hi + step * 1e-9; v += step) t.push(v);
    return t;
  }
  function byteTicks(hi) {
    /* ticks at round binary multiples */
    var unit = 1;
    while (hi / unit >= 1024) unit *= 1024;
    return niceTicks(0, hi / unit, 4).map(function (v) { return v * unit; });
  }
  var tip = $("tip");
  function showTip(ev, text) {
    tip.textContent = text;
    tip.style.display = "block";
    var x = ev.clientX + 14, y = ev.clientY + 12;
    if (x + tip.offsetWidth > window.innerWidth - 8) x = ev.clientX - tip.offsetWidth - 14;
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function hideTip() { tip.style.display = "none"; }
  function empty(el, text) { h("div", { "class": "empty" }, el, text); return false; }
  function legend(el, names, colors) {
    var l = h("div", { "class": "legend" }, el);
    names.forEach(function (n, i) {
      var it = h("span", {}, l);
      h("span", { "class": "sw", style: "background:" + colors[i] }, it);
      it.appendChild(document.createTextNode(n));
    });
  }
  function chart(id, fn) {
    var el = $(id);
    try {
      if (fn(el) !== false) drawn++;
    } catch (e) {
      failed++;
      console.error("chart " + id + " failed: " + (e && e.stack || e));
      el.textContent = "This chart could not be drawn: " + e;
    }
  }

  /* An x/y chart in SVG: kind "line", "area" (stacked) or "bar" (stacked).
   * o: {x: [...], series: [{name, values, color}], xfmt, yfmt, yticks, height} */
  function xy(el, o) {
    var W = Math.max(el.clientWidth || 560, 320), H = o.height || 230;
    var m = { l: 64, r: 12, t: 10, b: 26 };
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H }, el);
    var n = o.x.length, xs = o.x;
    var x0 = o.xmin !== undefined ? o.xmin : xs[0], x1 = o.xmax !== undefined ? o.xmax : xs[n - 1];
    if (!(x1 > x0)) x1 = x0 + 1;
    var stacked = o.kind !== "line";
    var tops = new Array(n).fill(0), ymax = 0;
    o.series.forEach(function (se) {
      for (var i = 0; i < n; i++) {
        var v = se.values[i] || 0;
        if (stacked) { tops[i] += v; if (tops[i] > ymax) ymax = tops[i]; }
        else if (v > ymax) ymax = v;
      }
    });
    if (!(ymax > 0)) ymax = 1;
    var yt = (o.yticks || function (hi) { return niceTicks(0, hi, 4); })(ymax);
    ymax = Math.max(ymax, yt[yt.length - 1]);
    var X = function (v) { return m.l + (v - x0) / (x1 - x0) * (W - m.l - m.r); };
    var Y = function (v) { return H - m.b - v / ymax * (H - m.t - m.b); };
    var g = s("g", { "class": "grid" }, svg), ax = s("g", { "class": "axis" }, svg);
    yt.forEach(function (v) {
      s("line", { x1: m.l, x2: W - m.r, y1: Y(v), y2: Y(v) }, g);
      var t = s("text", { x: m.l - 6, y: Y(v) + 4, "text-anchor": "end" }, ax);
      t.textContent = o.yfmt(v);
    });
    (o.xticks || niceTicks(x0, x1, Math.max(2, Math.floor((W - m.l) / 110)))).forEach(function (v) {
      if (v < x0 || v > x1) return;
      s("line", { x1: X(v), x2: X(v), y1: H - m.b, y2: H - m.b + 4 }, ax);
      var t = s("text", { x: X(v), y: H - 8, "text-anchor": "middle" }, ax);
      t.textContent = o.xfmt(v);
    });
    s("line", { x1: m.l, x2: W - m.r, y1: H - m.b, y2: H - m.b }, ax);
    var base = new Array(n).fill(0);
    var bw = o.barWidth ? Math.max(1, o.barWidth / (x1 - x0) * (W - m.l - m.r) - 1) : 0;
    o.series.forEach(function (se) {
      var pts = [], low = [];
      for (var i = 0; i < n; i++) {
        var v = se.values[i], b0 = base[i];
        if (v === null || v === undefined) { if (o.kind === "line") { pts.push(null); } continue; }
        var top = stacked ? b0 + v : v;
        if (o.kind === "bar") {
          if (v > 0) s("rect", { x: X(xs[i]), y: Y(top), width: bw, height: Math.max(0.5, Y(b0) - Y(top)),
                                 fill: se.color }, svg);
        } else {
          pts.push([X(xs[i]), Y(top)]);
          low.push([X(xs[i]), Y(b0)]);
        }
        if (stacked) base[i] = top;
      }
      if (o.kind === "line") {
        var d = "", pen = false;
        pts.forEach(function (p) {
          if (!p) { pen = false; return; }
          d += (pen ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1);
          pen = true;
        });
        s("path", { d: d, fill: "none", stroke: se.color, "stroke-width": 1.8 }, svg);
      } else if (o.kind === "area" && pts.length) {
        var a = "M" + pts.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join("L");
        a += "L" + low.reverse().map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join("L") + "Z";
        s("path", { d: a, fill: se.color, "fill-opacity": 0.85, stroke: se.color, "stroke-width": 0.6 }, svg);
      }
    });
    /* hover: the values at the nearest x */
    var hit = s("rect", { x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b, fill: "transparent" }, svg);
    var cursor = s("line", { y1: m.t, y2: H - m.b, stroke: "#98a2b3", "stroke-dasharray": "3,3", visibility: "hidden" }, svg);
    hit.addEventListener("mousemove", function (ev) {
      var r = svg.getBoundingClientRect();
      var px = (ev.clientX - r.left) * W / r.width;
      var xv = x0 + (px - m.l) / (W - m.l - m.r) * (x1 - x0);
      var best = 0;
      for (var i = 1; i < n; i++) if (Math.abs(xs[i] - xv) < Math.abs(xs[best] - xv)) best = i;
      cursor.setAttribute("x1", X(xs[best])); cursor.setAttribute("x2", X(xs[best]));
      cursor.setAttribute("visibility", "visible");
      var lines = [o.xfmt(xs[best])];
      o.series.forEach(function (se) {
        var v = se.values[best];
        if (v !== null && v !== undefined && (v > 0 || o.series.length < 4)) lines.push(se.name + ": " + o.yfmt(v));
      });
      showTip(ev, lines.join("\n"));
    });
    hit.addEventListener("mouseleave", function () { hideTip(); cursor.setAttribute("visibility", "hidden"); });
    if (o.series.length > 1 || o.legend) legend(el, o.series.map(function (x) { return x.name; }),
                                               o.series.map(function (x) { return x.color; }));
    return svg;
  }

  function table(el, head, rows, numeric) {
    var t = h("table", {}, el), tr = h("tr", {}, h("thead", {}, t));
    head.forEach(function (c, i) { h("th", numeric[i] ? { "class": "n" } : {}, tr, c); });
    var tb = h("tbody", {}, t);
    rows.forEach(function (r) {
      var row = h("tr", {}, tb);
      r.forEach(function (c, i) {
        var td = h("td", numeric[i] ? { "class": "n" } : {}, row);
        if (c instanceof Node) td.appendChild(c); else td.textContent = c;
      });
    });
    return t;
  }

  /* ------------------------------------------------------------ header */
  var tm = S.time, elapsed = tm.end_ns;
  $("title").textContent = D.title;
  var meta = $("meta");
  meta.textContent = (D.source ? D.source + " \u00b7 " : "") + (D.rts ? D.rts + " \u00b7 " : "") +
    "log time " + fmtNs(elapsed);
  var end = S.end || {};
  var kind = end.kind || end["class"] || "";
  var badge = h("span", { "class": "badge" + (kind === "clean" ? "" : /error/.test(kind) ? " bad" : " warn") },
                meta, kind ? "end: " + kind : "end: unknown");
  if (kind && kind !== "clean") badge.title = "The log was cut short: the figures cover what it holds.";
  if (D.incomplete) h("span", { "class": "badge bad" }, meta, "incomplete (out of memory)");
  $("footer").textContent = "libeventlog " + D.version + " \u00b7 eventlog report";

  /* ------------------------------------------------------------ summary cards */
  (function () {
    var c = $("cards"), p = S.gc.pause_ns;
    var items = [
      [fmtNs(elapsed), "elapsed (log time)"],
      [(tm.productivity * 100).toFixed(1) + "%", "productivity (mutator / elapsed)"],
      [fmtNs(tm.gc_ns), "GC time"],
      [fmtInt(D.pauses.counts.reduce(function (a, c) { return a + c; }, 0)), "GC pauses"],
      [fmtNs(p.max || 0), "longest pause"],
      [fmtBytes(S.heap.allocated_bytes), "allocated"],
      [fmtBytes(S.heap.max_live_bytes), "maximum residency"],
      [fmtBytes(S.heap.max_size_bytes), "largest heap"],
      [String(S.capabilities.length), "capabilities"],
      [fmtInt(D.threads_total), "threads seen"]
    ];
    items.forEach(function (it) {
      var d = h("div", { "class": "card" }, c);
      h("div", { "class": "v" }, d, it[0]);
      h("div", { "class": "l" }, d, it[1]);
    });
  })();

  /* ------------------------------------------------------------ capability timeline */
  chart("timeline", function (el) {
    var T = D.timeline, ncap = T.caps.length, n = T.n;
    if (!ncap || !n) return empty(el, "No capability activity in this log.");
    var lastUsed = 0;
    for (var c = 0; c < ncap; c++)
      for (var i = 0; i < n; i++) if (T.mut[c][i] || T.gc[c][i]) lastUsed = Math.max(lastUsed, i);
    var full0 = T.start, full1 = Math.max(T.start + (lastUsed + 1) * T.bucket, tm.end_ns);
    var view = [full0, full1];
    var rowH = 26, gap = 6, top = 6, axisH = 24, left = 56, right = 24;
    var cv = h("canvas", {}, el);
    var W = Math.max(el.clientWidth || 900, 400), H = top + ncap * (rowH + gap) + axisH;
    var dpr = window.devicePixelRatio || 1;
    cv.width = W * dpr; cv.height = H * dpr; cv.style.height = H + "px";
    var ctx = cv.getContext("2d");
    function draw() {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, W, H);
      var pw = W - left - right, t0 = view[0], t1 = view[1];
      var X = function (t) { return left + (t - t0) / (t1 - t0) * pw; };
      ctx.font = "11px system-ui, sans-serif";
      for (var c = 0; c < ncap; c++) {
        var y = top + c * (rowH + gap);
        ctx.fillStyle = "#e9ecf0";
        ctx.fillRect(left, y, pw, rowH);
        ctx.fillStyle = "#667085";
        ctx.textAlign = "right";
        ctx.fillText("cap " + T.caps[c], left - 8, y + rowH / 2 + 4);
        var i0 = Math.max(0, Math.floor((t0 - T.start) / T.bucket));
        var i1 = Math.min(n - 1, Math.ceil((t1 - T.start) / T.bucket));
        for (var i = i0; i <= i1; i++) {
          var b0 = T.start + i * T.bucket, xa = X(b0), xb = X(b0 + T.bucket);
          if (xb < left || xa > left + pw) continue;
          xa = Math.max(xa, left); xb = Math.min(xb, left + pw);
          var w = Math.max(xb - xa, 0.6), mu = T.mut[c][i] / T.bucket, g = T.gc[c][i] / T.bucket;
          if (mu > 0) { ctx.fillStyle = "#3b9c5a"; ctx.fillRect(xa, y + rowH * (1 - mu), w, rowH * mu); }
          if (g > 0) {
            ctx.fillStyle = "#e8843a";
            ctx.fillRect(xa, y + rowH * (1 - mu - g), w, rowH * g);
          }
        }
      }
      var ay = top + ncap * (rowH + gap);
      ctx.strokeStyle = "#c9ced6";
      ctx.beginPath(); ctx.moveTo(left, ay); ctx.lineTo(left + pw, ay); ctx.stroke();
      ctx.fillStyle = "#667085"; ctx.textAlign = "center";
      niceTicks(t0, t1, Math.max(2, Math.floor(pw / 110))).forEach(function (v) {
        var x = X(v);
        if (x < left - 1 || x > left + pw + 1) return;
        ctx.beginPath(); ctx.moveTo(x, ay); ctx.lineTo(x, ay + 4); ctx.stroke();
        ctx.fillText(fmtT(v), x, ay + 16);
      });
      $("tl-range").textContent = fmtT(t0) + " \u2013 " + fmtT(t1) +
        "  (bucket " + fmtNs(T.bucket) + ")";
    }
    function zoom(f, at) {
      var t0 = view[0], t1 = view[1], span = (t1 - t0) * f;
      span = Math.max(span, T.bucket * 4);
      span = Math.min(span, full1 - full0);
      var a = at === undefined ? (t0 + t1) / 2 : at;
      var r = (a - t0) / (t1 - t0);
      var n0 = a - r * span;
      n0 = Math.max(full0, Math.min(n0, full1 - span));
      view = [n0, n0 + span];
      draw();
    }
    function timeAt(ev) {
      var r = cv.getBoundingClientRect(), px = (ev.clientX - r.left) * W / r.width;
      return view[0] + (px - left) / (W - left - right) * (view[1] - view[0]);
    }
    cv.addEventListener("wheel", function (ev) { ev.preventDefault(); zoom(ev.deltaY < 0 ? 0.8 : 1.25, timeAt(ev)); });
    var dragging = null;
    cv.addEventListener("mousedown", function (ev) { dragging = { x: ev.clientX, v: view.slice() }; });
    window.addEventListener("mouseup", function () { dragging = null; });
    cv.addEventListener("mousemove", function (ev) {
      if (dragging) {
        var r = cv.getBoundingClientRect(), dt = (ev.clientX - dragging.x) / r.width * W / (W - left - right) *
          (dragging.v[1] - dragging.v[0]);
        var n0 = Math.max(full0, Math.min(dragging.v[0] - dt, full1 - (dragging.v[1] - dragging.v[0])));
        view = [n0, n0 + dragging.v[1] - dragging.v[0]];
        draw();
        return;
      }
      var t = timeAt(ev), i = Math.floor((t - T.start) / T.bucket);
      if (i < 0 || i >= n) { hideTip(); return; }
      var lines = ["t = " + fmtT(T.start + i * T.bucket) + " (+" + fmtNs(T.bucket) + ")"];
      for (var c = 0; c < ncap; c++)
        lines.push("cap " + T.caps[c] + ": mutator " + (100 * T.mut[c][i] / T.bucket).toFixed(0) +
                   "%, GC " + (100 * T.gc[c][i] / T.bucket).toFixed(0) + "%");
      showTip(ev, lines.join("\n"));
    });
    cv.addEventListener("mouseleave", hideTip);
    $("tl-in").onclick = function () { zoom(0.5); };
    $("tl-out").onclick = function () { zoom(2); };
    $("tl-reset").onclick = function () { view = [full0, full1]; draw(); };
    draw();
    table($("caps-table"), ["capability", "mutator", "GC", "idle", "busy"],
      S.capabilities.map(function (c) {
        var tot = c.mutator_ns + c.gc_ns + c.idle_ns || 1;
        return [String(c.cap), fmtNs(c.mutator_ns), fmtNs(c.gc_ns), fmtNs(c.idle_ns),
                (100 * (c.mutator_ns + c.gc_ns) / tot).toFixed(1) + "%"];
      }), [false, true, true, true, true]);
  });

  /* ------------------------------------------------------------ pauses */
  chart("pause-hist", function (el) {
    var P = D.pauses, lo = -1, hi = -1;
    P.counts.forEach(function (c, i) { if (c) { if (lo < 0) lo = i; hi = i; } });
    if (lo < 0) return empty(el, "No GC pauses in this log.");
    var xs = [], vals = [];
    for (var i = lo; i <= hi; i++) { xs.push(i); vals.push(P.counts[i]); }
    /* bin i holds the pauses of [edges[i], edges[i + 1]); ticks at the bin edges */
    var ticks = [], every = Math.ceil((hi + 2 - lo) / 10);
    for (var k = lo; k <= hi + 1; k += every) ticks.push(k);
    xy(el, { kind: "bar", x: xs, xmin: lo, xmax: hi + 1, barWidth: 1, xticks: ticks,
      series: [{ name: "pauses", values: vals, color: "#e8843a" }],
      xfmt: function (v) {
        var e = v < P.edges.length ? P.edges[v] : P.edges[P.edges.length - 1] * Math.pow(2, v - P.edges.length + 1);
        return e ? fmtNs(e) : "0";
      },
      yfmt: function (v) { return fmtInt(Math.round(v)); } });
    var p = S.gc.pause_ns;
    var rows = S.gc.generations.map(function (g) {
      var q = g.pause_ns;
      return ["gen " + g.generation, fmtInt(g.collections), fmtInt(g.parallel), fmtNs(q.total), fmtNs(q.mean),
              fmtNs(q.p50), fmtNs(q.p90), fmtNs(q.p99), fmtNs(q.max)];
    });
    rows.push(["all", fmtInt(P.counts.reduce(function (a, c) { return a + c; }, 0)), "", fmtNs(p.total), fmtNs(p.mean), fmtNs(p.p50), fmtNs(p.p90),
               fmtNs(p.p99), fmtNs(p.max)]);
    table($("pause-table"), ["generation", "collections", "parallel", "total", "mean", "p50", "p90", "p99", "max"],
      rows, [false, true, true, true, true, true, true, true, true]);
  });
  chart("pause-time", function (el) {
    var P = D.pauses, last = -1;
    P.count.forEach(function (c, i) { if (c) last = i; });
    if (last < 0) return empty(el, "No GC pauses in this log.");
    var xs = [], vals = [];
    for (var i = 0; i <= last; i++) { xs.push(P.start + i * P.bucket); vals.push(P.max[i]); }
    xy(el, { kind: "bar", x: xs, xmin: xs[0], xmax: xs[last] + P.bucket, barWidth: P.bucket,
      series: [{ name: "longest pause", values: vals, color: "#e8843a" }],
      xfmt: fmtT, yfmt: fmtNs, yticks: function (hi) { return niceTicks(0, hi, 4); } });
  });

  /* ------------------------------------------------------------ heap */
  function heapSeries() {
    var Hh = D.heap, T = D.timeline, xs = [], size = [], live = [], alloc = [];
    var last = -1;
    for (var i = 0; i < Hh.size.length; i++) if (Hh.size[i] || Hh.live[i] || Hh.alloc[i]) last = i;
    var ps = null, pl = null;
    for (i = 0; i <= last; i++) {
      xs.push(T.start + (i + 0.5) * Hh.bucket);
      if (Hh.size[i]) ps = Hh.size[i];
      if (Hh.live[i]) pl = Hh.live[i];
      size.push(ps); live.push(pl);
      alloc.push(Hh.alloc[i] / (Hh.bucket / 1e9));
    }
    return { x: xs, size: size, live: live, alloc: alloc, last: last };
  }
  chart("heap-size", function (el) {
    var hs = heapSeries();
    if (hs.last < 0 || !hs.size.some(function (v) { return v; })) return empty(el, "No heap size events in this log.");
    xy(el, { kind: "line", x: hs.x, legend: true,
      series: [{ name: "heap size", values: hs.size, color: "#3867d6" },
               { name: "live bytes", values: hs.live, color: "#3b9c5a" }],
      xfmt: fmtT, yfmt: fmtBytes, yticks: byteTicks });
  });
  chart("heap-alloc", function (el) {
    var hs = heapSeries();
    if (hs.last < 0 || !hs.alloc.some(function (v) { return v > 0; })) return empty(el, "No allocation events in this log.");
    xy(el, { kind: "bar", x: hs.x.map(function (v) { return v - D.heap.bucket / 2; }), barWidth: D.heap.bucket,
      xmax: hs.x[hs.x.length - 1] + D.heap.bucket / 2,
      series: [{ name: "allocation rate", values: hs.alloc, color: "#8e6fd0" }],
      xfmt: fmtT, yfmt: fmtRate, yticks: byteTicks });
  });

  /* ------------------------------------------------------------ heap profile */
  chart("heap-profile", function (el) {
    var C = D.census;
    if (!C.times.length || !C.labels.length)
      return empty(el, "No heap-profile samples in this log (run the program with +RTS -l and -hT, or a profiling -h option).");
    var xs = C.times.map(function (t) { return t; });
    var series = C.labels.map(function (l, i) {
      return { name: l, values: C.bytes.map(function (row) { return row[i]; }),
               color: l === "other" ? OTHER : PALETTE[i % PALETTE.length] };
    });
    /* the largest label at the bottom */
    xy(el, { kind: xs.length > 1 ? "area" : "bar", x: xs, barWidth: xs.length > 1 ? 0 : 1, height: 300,
      xmin: xs.length > 1 ? xs[0] : xs[0] - 0.5, xmax: xs.length > 1 ? xs[xs.length - 1] : xs[0] + 0.5,
      series: series, xfmt: fmtT, yfmt: fmtBytes, yticks: byteTicks });
    if (C.seen > C.times.length)
      h("p", { "class": "help" }, el, C.times.length + " of " + C.seen + " censuses shown (evenly thinned).");
  });

  /* ------------------------------------------------------------ spans */
  chart("spans", function (el) {
    var P = D.spans, last = -1;
    if (!P.labels.length) return empty(el, "No user spans (START/STOP messages) in this log.");
    P.busy.forEach(function (row) { row.forEach(function (v, i) { if (v) last = Math.max(last, i); }); });
    P.count.forEach(function (row) { row.forEach(function (v, i) { if (v) last = Math.max(last, i); }); });
    var xs = [];
    for (var i = 0; i <= last; i++) xs.push(P.start + i * P.bucket);
    xy(el, { kind: "bar", x: xs, barWidth: P.bucket, xmin: xs[0], xmax: xs[last] + P.bucket, legend: true,
      series: P.labels.map(function (l, k) {
        return { name: l, values: P.busy[k].slice(0, last + 1), color: l === "other" ? OTHER : PALETTE[k % PALETTE.length] };
      }), xfmt: fmtT, yfmt: fmtNs });
    table($("spans-table"), ["label", "count", "total", "mean", "max"],
      S.spans.map(function (sp) {
        return [sp.label, fmtInt(sp.count), fmtNs(sp.total_ns), fmtNs(sp.count ? sp.total_ns / sp.count : 0), fmtNs(sp.max_ns)];
      }), [false, true, true, true, true]);
  });

  /* ------------------------------------------------------------ threads */
  chart("threads", function (el) {
    var th = S.threads;
    if (!th.length) return empty(el, "No threads in this log.");
    var maxRun = th.reduce(function (a, t) { return Math.max(a, t.running_ns); }, 1);
    table(el, ["thread", "label", "runs", "running", "", "stop reasons"],
      th.map(function (t) {
        var bar = document.createElement("div");
        bar.className = "bar";
        bar.style.width = Math.max(1, 120 * t.running_ns / maxRun) + "px";
        var reasons = Object.keys(t.stop_reasons).map(function (k) { return [k, t.stop_reasons[k]]; })
          .sort(function (a, b) { return b[1] - a[1]; })
          .map(function (r) { return r[0].replace(/_/g, " ") + " " + r[1]; }).join(", ");
        return [String(t.thread), t.label, fmtInt(t.runs), fmtNs(t.running_ns), bar, reasons];
      }), [false, false, true, true, false, false]);
    if (D.threads_total > th.length)
      h("p", { "class": "help" }, el, th.length + " of " + fmtInt(D.threads_total) + " threads shown (those that ran longest).");
  });

  if (!failed) document.body.setAttribute("data-rendered", String(drawn));
})();

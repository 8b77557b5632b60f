// charts.js: the console's small SVG line chart over a time axis — series, horizontal threshold
// lines, vertical event marks and shaded bands — with axes, units and a legend, in the
// Okabe–Ito palette (colour-blind safe). No dependencies.
"use strict";

const Charts = (() => {
  const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
  const NS = "http://www.w3.org/2000/svg";
  const MIN = 60e3, HOUR = 3600e3, DAY = 86400e3;
  const TIME_STEPS = [MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // niceTicks returns about n round values (1, 2 or 5 × 10^k apart) covering [lo, hi].
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1; lo -= d; hi += d; }
    const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const out = [];
    for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    if (out[out.length - 1] < hi) out.push(+(out[out.length - 1] + step).toPrecision(12));
    return { ticks: out, step };
  }

  function fmtNum(v, step) {
    if (v === 0) return "0";
    if (Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3)) return v.toExponential(1);
    const d = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    return v.toFixed(Math.min(d, 6));
  }

  const pad2 = (n) => String(n).padStart(2, "0");
  function fmtTime(ms, step) {
    const d = new Date(ms);
    const hm = pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes());
    const md = pad2(d.getUTCMonth() + 1) + "-" + pad2(d.getUTCDate());
    if (step >= DAY) return md;
    return (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) || step >= 6 * HOUR ? md + " " + hm : hm;
  }

  function timeTicks(lo, hi) {
    const step = TIME_STEPS.find((s) => (hi - lo) / s <= 7) || TIME_STEPS[TIME_STEPS.length - 1];
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(t);
    return { ticks: out, step };
  }

  // line draws a chart into container. opt: title, yLabel, xLabel (default "time (UTC)"),
  // series [{name, points: [[ms, value]], colour, dash}], hlines [{name, y, colour, dash}],
  // marks [{t, colour, label, dash}], bands [{from, to, label}], xDomain [lo, hi], yMin, yMax,
  // empty (text without data).
  function line(container, opt) {
    // One SVG unit per CSS pixel, so text keeps its size at any width.
    const W = Math.max(360, Math.round(container.clientWidth || 720)), H = opt.height || 260, left = 58, right = 16, top = 44, bottom = 40;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opt.title || "chart", class: "line-chart" });
    svg.appendChild(el("text", { x: left, y: 16, class: "title" }, opt.title || ""));
    const series = (opt.series || []).map((s, i) => ({ ...s, colour: s.colour || PALETTE[i % PALETTE.length],
      points: (s.points || []).filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1])) }));
    const hlines = (opt.hlines || []).filter((h) => Number.isFinite(h.y));
    const xs = [], ys = [];
    series.forEach((s) => s.points.forEach((p) => { xs.push(p[0]); ys.push(p[1]); }));
    hlines.forEach((h) => ys.push(h.y));
    let [xlo, xhi] = opt.xDomain && opt.xDomain[1] > opt.xDomain[0] ? opt.xDomain : [Math.min(...xs), Math.max(...xs)];
    if (!xs.length && !(opt.xDomain && opt.xDomain[1] > opt.xDomain[0])) {
      container.replaceChildren(svg);
      svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "nodata" }, opt.empty || "no data yet"));
      return svg;
    }
    if (xhi <= xlo) { xlo -= 5 * MIN; xhi += 5 * MIN; }
    let ylo = opt.yMin !== undefined ? opt.yMin : Math.min(...ys, 0), yhi = opt.yMax !== undefined ? opt.yMax : Math.max(...ys);
    if (!Number.isFinite(yhi) || yhi <= ylo) yhi = ylo + 1;
    const yt = niceTicks(ylo, yhi, 5);
    ylo = yt.ticks[0]; yhi = yt.ticks[yt.ticks.length - 1];
    const pw = W - left - right, ph = H - top - bottom;
    const px = (t) => left + ((t - xlo) / (xhi - xlo)) * pw;
    const py = (v) => top + ph - ((v - ylo) / (yhi - ylo)) * ph;
    const clipId = "clip" + Math.random().toString(36).slice(2);
    const defs = el("defs");
    const cp = el("clipPath", { id: clipId });
    cp.appendChild(el("rect", { x: left, y: top, width: pw, height: ph }));
    defs.appendChild(cp);
    svg.appendChild(defs);
    // Axes and grid.
    yt.ticks.forEach((v) => {
      svg.appendChild(el("line", { x1: left, x2: left + pw, y1: py(v), y2: py(v), stroke: "#e5e5e5" }));
      svg.appendChild(el("text", { x: left - 6, y: py(v) + 4, "text-anchor": "end" }, fmtNum(v, yt.step)));
    });
    const tt = timeTicks(xlo, xhi);
    tt.ticks.forEach((t) => {
      svg.appendChild(el("line", { x1: px(t), x2: px(t), y1: top + ph, y2: top + ph + 4, stroke: "#333" }));
      svg.appendChild(el("text", { x: px(t), y: top + ph + 16, "text-anchor": "middle" }, fmtTime(t, tt.step)));
    });
    svg.appendChild(el("rect", { x: left, y: top, width: pw, height: ph, fill: "none", stroke: "#333" }));
    svg.appendChild(el("text", { x: left + pw / 2, y: H - 4, "text-anchor": "middle" }, opt.xLabel || "time (UTC)"));
    svg.appendChild(el("text", { x: 12, y: top + ph / 2, "text-anchor": "middle", transform: `rotate(-90 12 ${top + ph / 2})` }, opt.yLabel || ""));
    const g = el("g", { "clip-path": `url(#${clipId})` });
    (opt.bands || []).forEach((b) => {
      const x1 = px(b.from), x2 = Math.max(px(b.to), x1 + 2);
      const r = el("rect", { x: x1, y: top, width: x2 - x1, height: ph, fill: "#D55E00", "fill-opacity": 0.15, class: "band" });
      r.appendChild(el("title", {}, b.label || ""));
      g.appendChild(r);
    });
    (opt.marks || []).forEach((m) => {
      const l = el("line", { x1: px(m.t), x2: px(m.t), y1: top, y2: top + ph, stroke: m.colour || "#CC79A7",
        "stroke-width": 1.5, "stroke-dasharray": m.dash || "", class: "mark" });
      l.appendChild(el("title", {}, m.label || ""));
      g.appendChild(l);
    });
    hlines.forEach((h) => g.appendChild(el("line", { x1: left, x2: left + pw, y1: py(h.y), y2: py(h.y),
      stroke: h.colour || "#555", "stroke-width": 1.5, "stroke-dasharray": h.dash || "6 4", class: "threshold" })));
    series.forEach((s) => {
      let d = "", prev = null;
      s.points.forEach((p) => {
        const gap = s.gap && prev !== null && p[0] - prev > s.gap;
        d += (d === "" || gap ? "M" : "L") + px(p[0]).toFixed(1) + " " + py(p[1]).toFixed(1);
        prev = p[0];
      });
      if (d) g.appendChild(el("path", { d, fill: "none", stroke: s.colour, "stroke-width": 2, "stroke-dasharray": s.dash || "", class: "series" }));
      if (s.points.length <= 60) s.points.forEach((p) => {
        const c = el("circle", { cx: px(p[0]), cy: py(p[1]), r: 2.5, fill: s.colour });
        c.appendChild(el("title", {}, `${s.name}: ${fmtNum(p[1], yt.step / 100)} at ${new Date(p[0]).toISOString()}`));
        g.appendChild(c);
      });
    });
    svg.appendChild(g);
    // Legend: series, then threshold lines and mark kinds, in one row under the title.
    const entries = series.map((s) => ({ name: s.name, colour: s.colour, dash: s.dash }))
      .concat(hlines.map((h) => ({ name: h.name, colour: h.colour || "#555", dash: h.dash || "6 4" })))
      .concat(opt.legendExtra || []);
    let lx = left;
    const lg = el("g", { class: "legend" });
    entries.forEach((e) => {
      if (e.band) lg.appendChild(el("rect", { x: lx, y: 24, width: 18, height: 10, fill: "#D55E00", "fill-opacity": 0.25 }));
      else lg.appendChild(el("line", { x1: lx, x2: lx + 18, y1: 29, y2: 29, stroke: e.colour, "stroke-width": 2, "stroke-dasharray": e.dash || "" }));
      lg.appendChild(el("text", { x: lx + 22, y: 33 }, e.name));
      lx += 32 + e.name.length * 6.6;
    });
    svg.appendChild(lg);
    if (!xs.length) svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "nodata" }, opt.empty || "no data yet"));
    container.replaceChildren(svg);
    return svg;
  }

  return { line, PALETTE };
})();

// model.js: the model details page — endpoint state, drift measures over time with thresholds
// and detector events, serving rates, and the features analysis with expected vs actual
// histograms.
"use strict";

function ModelPage(model, version) {
  const base = `/api/console/models/${encodeURIComponent(model)}/versions/${version}`;
  const { esc, num, int, pct, time, ms, badge, drift, table } = UI;
  let reportKey = null;

  async function load() {
    const [detail, series, features] = await Promise.all([UI.get(base), UI.get(base + "/drift"), UI.get(base + "/features")]);
    return { detail, series, features };
  }

  function header(d) {
    const e = d.endpoint || {}, s = e.serving, m = e.metrics, c = d.card;
    const versions = (d.versions || []).map((v) => (v === d.version ? `<b>v${v}</b>` : `<a href="/console/models/${esc(d.model)}/v${v}">v${v}</a>`)).join(" ");
    const aliases = Object.entries(d.aliases || {}).map(([a, v]) => `${esc(a)} → v${v}`).join(", ") || "none";
    const stat = (label, value) => `<div class="stat"><b>${value}</b><span>${esc(label)}</span></div>`;
    const detectors = Object.entries(e.detectors || {}).map(([k, sg]) =>
      `${esc(k)}: ${sg.change ? badge("change") : sg.warning ? badge("warning") : badge("ok")} ${int(sg.changes)} changes, ${int(sg.warnings)} warnings`).join("<br>");
    return `<h1>${esc(d.model)} v${d.version} ${e.alias ? badge(e.alias, "none") : ""}</h1>
      <p>Drift: ${drift(e.drift)} · Class: <b>${esc(e.class || (c && c.kind) || "—")}</b> · Aliases: ${aliases} · Versions: ${versions || "—"}
      ${c && c.run_id ? ` · Trained by run <a href="/console/runs/${esc(c.run_id)}">${esc(c.run_id)}</a>` : ""}</p>
      ${d.endpoint ? "" : '<p class="empty">This version has no endpoint record: the model server has not served it.</p>'}
      <div class="stats">
        ${stat("traffic share", e.traffic !== undefined ? e.traffic + "%" : "—")}
        ${stat("requests", int(s && s.requests))}
        ${stat("predictions / s (5 min)", num(s && s.predictions_per_second))}
        ${stat("avg latency 5 min (ms)", num(s && s.latency_avg_5m_us / 1000))}
        ${stat("avg latency 1 h (ms)", num(s && s.latency_avg_1h_us / 1000))}
        ${stat("errors", int(s && s.errors))}
        ${stat("accuracy", pct(m && m.accuracy))}
        ${stat("precision / recall", m ? pct(m.precision) + " / " + pct(m.recall) : "—")}
        ${stat("F1", num(m && m.f1))}
        ${stat("labeled window rows", int(m && m.window_rows))}
        ${stat("first / last request", s ? time(s.first_request) + "<br>" + time(s.last_request) : "—")}
      </div>
      ${detectors ? `<p>Detectors: <br>${detectors}</p>` : ""}`;
  }

  function marks(evs) {
    return evs.filter((e) => e.signal === "change" || e.signal === "warning").map((e) => ({
      t: ms(e.event_time), colour: e.signal === "change" ? "#CC79A7" : "#56B4E9", dash: e.signal === "change" ? "" : "4 3",
      label: `${e.detector} ${e.signal} at ${e.event_time} (index ${e.index}, estimation ${num(e.estimation)})` }));
  }

  function charts(root, sr, samples) {
    const pts = sr.points, evs = sr.detectors;
    const xsAll = pts.map((p) => ms(p.to)).concat(evs.map((e) => ms(e.event_time)));
    const dom = xsAll.length ? [Math.min(...xsAll), Math.max(...xsAll)] : null;
    const at = (f) => pts.map((p) => [ms(p.to), f(p)]);
    const mk = marks(evs);
    const extra = [{ name: "detector change", colour: "#CC79A7" }, { name: "detector warning", colour: "#56B4E9", dash: "4 3" }];
    const gap = pts.length > 1 ? 3 * (ms(pts[1].to) - ms(pts[0].to)) : undefined;
    Charts.line(root.querySelector("#c-drift"), { title: "General drift and distance means per report window", yLabel: "distance (0–1)",
      series: [{ name: "general drift", points: at((p) => p.general_drift), gap, colour: "#000000" },
        { name: "TVD mean", points: at((p) => p.tvd_mean), gap, colour: "#0072B2", dash: "2 2" },
        { name: "Hellinger mean", points: at((p) => p.hellinger_mean), gap, colour: "#009E73", dash: "8 3" }],
      hlines: [{ name: "possible drift " + num(sr.possible_threshold), y: sr.possible_threshold, colour: "#E69F00" },
        { name: "drift detected " + num(sr.detected_threshold), y: sr.detected_threshold, colour: "#D55E00" }],
      marks: mk, legendExtra: extra, xDomain: dom, yMin: 0, empty: "no drift report yet: drift-magnitude writes one per window of labeled data" });
    Charts.line(root.querySelector("#c-kld"), { title: "KL divergence mean per report window", yLabel: "KLD (nats)",
      series: [{ name: "KLD mean", points: at((p) => p.kld_mean), gap, colour: "#0072B2" }], marks: mk, legendExtra: extra, xDomain: dom, yMin: 0 });
    Charts.line(root.querySelector("#c-rows"), { title: "Labeled predictions per second of event time, per report window", yLabel: "predictions / s",
      series: [{ name: "predictions / s", points: at((p) => p.rows_per_second), gap, colour: "#009E73" }], marks: mk, legendExtra: extra, xDomain: dom, yMin: 0 });
    const sm = samples.map((s) => ms(s.at));
    Charts.line(root.querySelector("#c-pps"), { title: "Serving: predictions per second (5-minute window)", yLabel: "predictions / s",
      xLabel: "time (UTC, sampled by this console)", series: [{ name: "predictions / s", points: samples.map((s, i) => [sm[i], s.predictions_per_second]) }],
      yMin: 0, empty: "no samples yet: the console samples the endpoint record while a page is open" });
    Charts.line(root.querySelector("#c-lat"), { title: "Serving: average latency (5-minute window)", yLabel: "latency (ms)",
      xLabel: "time (UTC, sampled by this console)", series: [{ name: "latency", points: samples.map((s, i) => [sm[i], s.latency_avg_5m_us / 1000]), colour: "#D55E00" }],
      yMin: 0, empty: "no samples yet: the console samples the endpoint record while a page is open" });
    const recent = evs.slice(-20).reverse().map((e) => `<tr><td>${time(e.event_time)}</td><td>${esc(e.detector)}</td>
      <td>${e.signal ? badge(e.signal) : "flag off"}</td><td class="num">${int(e.index)}</td><td class="num">${num(e.estimation)}</td></tr>`);
    root.querySelector("#detector-events").innerHTML = table(["event time", "detector", "signal", "#index", "#estimation"], recent,
      "No detector flag changes yet.");
  }

  function featuresTable(f) {
    const rows = f.features.map((r) => `<tr data-feature="${esc(r.name)}"><td>${esc(r.name)}${r.prediction ? " (prediction)" : ""}</td>
      <td>${badge(r.status)}</td><td class="num">${num(r.drift)}</td><td class="num">${num(r.tvd)}</td><td class="num">${num(r.hellinger)}</td><td class="num">${num(r.kld)}</td>
      <td class="num">${int(r.expected.count)}</td><td class="num">${int(r.actual.count)}</td>
      <td class="num">${num(r.expected.mean)}</td><td class="num">${num(r.actual.mean)}</td>
      <td class="num">${num(r.expected.std)}</td><td class="num">${num(r.actual.std)}</td>
      <td class="num">${num(r.expected.min)}</td><td class="num">${num(r.actual.min)}</td>
      <td class="num">${num(r.expected.max)}</td><td class="num">${num(r.actual.max)}</td></tr>`);
    const head = ["feature", "status", "#drift", "#TVD", "#Hellinger", "#KLD", "#count exp.", "#count act.", "#mean exp.", "#mean act.",
      "#std exp.", "#std act.", "#min exp.", "#min act.", "#max exp.", "#max act."];
    const win = f.report && f.report.key ? `<p class="note">Window ${time(f.report.from)} – ${time(f.report.to)}, ${int(f.report.rows)} rows,
      trigger ${esc(f.report.trigger)}. Expected: the training reference on the model card; actual: the window.</p>` : "";
    return win + table(head, rows, "No features analysis yet: it appears with the first drift report.");
  }

  function histograms(root, f) {
    const key = f.report && f.report.key;
    if (key === reportKey) return;
    reportKey = key;
    const figs = f.features.map((r) => `<figure><img loading="lazy" alt="${esc(r.name)} expected vs actual histogram"
      src="${base}/features/${encodeURIComponent(r.name)}/histogram.svg?report=${encodeURIComponent(key)}">
      <figcaption>${esc(r.name)}: ${esc(r.status)}, TVD ${num(r.tvd)}, Hellinger ${num(r.hellinger)}</figcaption></figure>`);
    root.querySelector("#histograms").innerHTML = figs.join("") || '<p class="empty">No histograms yet.</p>';
  }

  function render(main, data, first) {
    if (first) {
      main.innerHTML = `<div id="m-header"></div>
        <h2>Drift over time</h2>
        <section class="card"><div class="chart" id="c-drift"></div><div class="chart" id="c-kld"></div><div class="chart" id="c-rows"></div></section>
        <h2>Detector events</h2><section class="card" id="detector-events"></section>
        <h2>Serving</h2><section class="card"><div class="chart" id="c-pps"></div><div class="chart" id="c-lat"></div></section>
        <h2>Features analysis</h2><section class="card" id="features"></section>
        <h2>Expected vs actual distributions</h2><div class="grid" id="histograms"></div>`;
    }
    main.querySelector("#m-header").innerHTML = header(data.detail);
    charts(main, data.series, data.detail.samples);
    main.querySelector("#features").innerHTML = featuresTable(data.features);
    histograms(main, data.features);
  }

  return { title: `${model} v${version}`, nav: "overview", load, render };
}

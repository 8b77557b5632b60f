// pages.js: the overview, runs and devices pages, and the routes that map URL paths to pages.
"use strict";

const { esc, num, int, pct, time, ms, dur, badge, drift, table } = UI;

function OverviewPage() {
  const load = () => UI.get("/api/console/overview");
  function render(main, ov) {
    const fns = ov.functions.map((f) => `<tr data-function="${esc(f.name)}"><td>${esc(f.name)}</td><td>${badge(f.health)}</td>
      <td class="num">${num(f.events_per_second, 2)}</td><td class="num">${num(f.failures_per_second, 2)}</td>
      <td class="num">${f.lag === null ? "—" : int(f.lag)}</td><td class="num">${int(f.in_flight)}</td>
      <td class="num">${int(f.received)}</td><td class="num">${int(f.succeeded)}</td><td class="num">${int(f.failed)}</td>
      <td class="num">${int(f.dead_lettered)}</td><td class="num">${int(f.dead_letter_stored)}</td></tr>`);
    const eps = ov.endpoints.map((e) => {
      const s = e.serving || {}, m = e.metrics, href = `/console/models/${encodeURIComponent(e.model)}/v${e.version}`;
      const det = Object.entries(e.detectors || {}).filter(([, sg]) => sg.change || sg.warning)
        .map(([k, sg]) => badge(k + (sg.change ? " change" : " warning"), sg.change ? "change" : "warning")).join(" ");
      return `<tr data-endpoint="${esc(e.model)}.v${e.version}"><td><a href="${href}">${esc(e.model)}</a></td><td>v${e.version}</td>
        <td>${esc(e.class || "—")}</td><td>${esc(e.alias || "—")}${e.shadow ? " (shadow)" : ""}</td><td class="num">${e.traffic}%</td>
        <td>${time(s.first_request)}</td><td>${time(s.last_request)}</td>
        <td class="num">${num(s.predictions_per_second, 2)}</td><td class="num">${num(s.latency_avg_5m_us / 1000, 2)}</td>
        <td class="num">${int(s.errors)}</td><td class="num">${m && m.window_rows ? pct(m.accuracy) : "—"}</td>
        <td>${drift(e.drift)}</td><td>${det || "—"}</td></tr>`;
    });
    const stream = ov.stream ? `<p class="note">NETOPS stream: ${int(ov.stream.messages)} messages, ${ov.stream.bytes < 1048576 ? num(ov.stream.bytes / 1024, 1) + " KiB" : num(ov.stream.bytes / 1048576, 1) + " MiB"}.</p>` : "";
    main.innerHTML = `<h1>Overview</h1>
      ${(ov.notes || []).map((n) => `<p class="note">${esc(n)}</p>`).join("")}
      <h2>Model endpoints</h2><section class="card" id="endpoints">${table(["model", "version", "class", "alias", "#traffic", "first request",
        "last request", "#predictions/s", "#avg latency (ms)", "#errors", "#accuracy", "drift", "detectors"], eps,
        "No model endpoints yet. <code>netops up</code> trains and deploys the first model, and the model server creates its endpoint record with its first batch; this table fills in within a minute of the generator starting.")}</section>
      <h2>Functions</h2><section class="card" id="functions">${table(["function", "health", "#events/s", "#failures/s", "#lag", "#in flight",
        "#received", "#succeeded", "#failed (retried)", "#dead-lettered", "#dead letters stored"], fns,
        "No functions reported yet: the runtime counters appear once functions run in this process.")}${stream}</section>`;
  }
  return { title: "Overview", nav: "overview", load, render };
}

function RunsPage() {
  const load = () => UI.get("/api/console/runs");
  function render(main, runs) {
    const rows = runs.map((r) => `<tr data-run="${esc(r.id)}"><td><a href="/console/runs/${encodeURIComponent(r.id)}">${esc(r.id)}</a></td>
      <td>${esc(r.model)}</td><td>${badge(r.status)}</td><td>${esc(r.trigger.kind)} <span class="note">${esc(r.trigger.by)}</span></td>
      <td>${time(r.created)}</td><td class="num">${dur(r.seconds)}</td>
      <td><span class="steps">${r.steps.map((s) => badge(`${s.name} ${dur(s.seconds)}`, s.status)).join("")}</span></td>
      <td>${esc(r.metric)}</td><td class="num">${num(r.candidate)}</td><td class="num">${num(r.champion)}</td>
      <td>${r.decision ? badge(r.decision) : "—"}</td><td class="note">${esc(r.reason || r.error || "")}</td></tr>`);
    main.innerHTML = `<h1>Workflow runs</h1><section class="card">${table(["run", "model", "status", "trigger", "created", "#duration",
      "steps", "metric", "#candidate", "#champion", "decision", "reason"], rows,
      "No workflow runs yet. The project runner starts one on a drift event, its schedule, a signed webhook (<code>netops trigger train</code>) or an Alertmanager alert.")}</section>`;
  }
  return { title: "Runs", nav: "runs", load, render };
}

function RunPage(id) {
  const load = () => UI.get("/api/console/runs/" + encodeURIComponent(id));
  function metrics(run) {
    const c = (run.candidate && run.candidate.metrics) || {}, ch = (run.champion && run.champion.metrics) || {};
    const names = [...new Set(Object.keys(c).concat(Object.keys(ch)))].sort();
    const rows = names.map((n) => {
      const better = c[n] !== undefined && ch[n] !== undefined ? (c[n] > ch[n] ? "better" : c[n] < ch[n] ? "worse" : "") : "";
      return `<tr><td>${esc(n)}${n === run.params.metric ? " (judged)" : ""}</td><td class="num ${better}">${num(c[n])}</td><td class="num">${num(ch[n])}</td></tr>`;
    });
    const hdr = ["metric", "#candidate" + (run.candidate ? ` v${run.candidate.version} (${run.candidate.kind})` : ""),
      "#champion" + (run.champion ? ` v${run.champion.version} (${run.champion.kind})` : "")];
    return table(hdr, rows, "No evaluation: the run ended before its evaluate step.");
  }
  function render(main, d) {
    const run = d.run, s = d.summary;
    const steps = run.steps.map((st) => `<tr><td>${esc(st.name)}</td><td>${badge(st.status)}</td><td>${time(st.start)}</td>
      <td class="num">${dur(st.seconds)}</td><td>${st.log || st.error ? `<details><summary>log</summary><pre>${esc(st.error ? st.error + "\n" : "")}${esc(st.log)}</pre></details>` : ""}</td></tr>`);
    const figs = (group) => d.artifacts.filter((a) => a.group === group).map((a) =>
      `<figure><a href="${esc(a.url)}"><img loading="lazy" src="${esc(a.url)}" alt="${esc(a.name)}"></a><figcaption>${esc(a.name)}</figcaption></figure>`).join("");
    const tables = d.artifacts.filter((a) => a.group === "table").map((a) => `<a href="${esc(a.url)}">${esc(a.name)}</a>`).join(" · ");
    const data = run.data ? `<p class="note">Data: ${esc(run.data.source)} ${time(run.data.from)} – ${time(run.data.to)}, ${int(run.data.train_rows)} training rows,
      ${int(run.data.holdout_rows)} held out, ${int(run.data.positives)} positives.</p>` : "";
    main.innerHTML = `<h1>Run ${esc(run.id)}</h1>
      <p>${badge(run.status)} ${run.decision ? badge(run.decision) : ""} ${esc(run.reason || "")} ${run.error ? `<span class="worse">${esc(run.error)}</span>` : ""}</p>
      <p>Model <b>${esc(run.model)}</b> · workflow ${esc(run.workflow)} · trigger <b>${esc(run.trigger.kind)}</b> by ${esc(run.trigger.by)} at ${time(run.trigger.at)}
      ${(run.coalesced || []).length ? ` (+${run.coalesced.length} coalesced)` : ""} · created ${time(run.created)} · duration ${dur(s.seconds)}
      ${d.version ? ` · registered <a href="/console/models/${esc(run.model)}/v${d.version}">v${d.version}</a>` : ""}</p>${data}
      <h2>Steps</h2><section class="card">${table(["step", "status", "start", "#duration", "log"], steps, "No steps recorded yet.")}</section>
      <h2>Candidate vs champion</h2><section class="card">${metrics(run)}</section>
      <h2>Exploratory data analysis</h2><div class="grid" id="eda">${figs("eda") || '<p class="empty">No EDA plots for this run.</p>'}</div>
      <h2>Test plots</h2><div class="grid" id="test">${figs("test") || '<p class="empty">No test plots for this run.</p>'}</div>
      ${tables ? `<h2>Tables</h2><section class="card">${tables}</section>` : ""}`;
  }
  // A run's page changes only while it runs; re-rendering a finished one would reload its plots.
  let last = null;
  return { title: "Run " + id, nav: "runs", load, render: (main, d) => { const k = JSON.stringify(d); if (k !== last) { last = k; render(main, d); } } };
}

function DevicesPage() {
  const load = () => UI.get("/api/console/devices");
  function render(main, devs) {
    const links = devs.map((d) => `<a href="/console/devices/${encodeURIComponent(d)}">${esc(d)}</a>`).join(" · ");
    main.innerHTML = `<h1>Devices</h1><section class="card">${links ? `<p>${links}</p>` :
      '<p class="empty">No devices yet: the generator writes the device table when it creates the fleet.</p>'}</section>`;
  }
  return { title: "Devices", nav: "devices", load, render };
}

function DevicePage(id) {
  const load = () => UI.get("/api/console/devices/" + encodeURIComponent(id) + location.search);
  const METRICS = [["cpu_utilization", "CPU utilization (%)"], ["latency", "latency (ms)"], ["packet_loss", "packet loss (%)"], ["throughput", "throughput (Mbit/s)"]];
  function render(main, d, first) {
    if (first) {
      main.innerHTML = `<h1>Device ${esc(id)}</h1><p class="note" id="d-span"></p>
        <section class="card"><div class="chart" id="c-prob"></div>${METRICS.map(([k]) => `<div class="chart" id="c-${k}"></div>`).join("")}</section>
        <h2>Error episodes</h2><section class="card" id="episodes"></section>`;
    }
    main.querySelector("#d-span").textContent = `Event time ${time(d.from)} – ${time(d.to)} (the latest hours in the lake; ?hours=N shows up to 24). Shaded: error episodes from the labels.`;
    const bands = d.episodes.map((e) => ({ from: ms(e.from), to: ms(e.to), label: `error ${e.from} – ${e.to}: ${e.metrics.join(", ")}` }));
    // The axis spans the data (the partitions' span when there is none), so a partly filled hour is readable.
    const ts = d.telemetry.map((x) => ms(x.t)).concat(d.predictions.map((p) => ms(p.t)));
    const dom = ts.length ? [Math.min(...ts), Math.max(...ts)] : [ms(d.from), ms(d.to)];
    const legend = [{ name: "error episode", band: true }];
    const byModel = {};
    d.predictions.forEach((p) => { (byModel[p.model + " v" + p.version] ||= []).push([ms(p.t), p.probability]); });
    Charts.line(main.querySelector("#c-prob"), { title: "Predicted failure probability", yLabel: "probability", yMin: 0, yMax: 1, xDomain: dom,
      series: Object.entries(byModel).map(([name, points]) => ({ name, points, gap: 120e3 })), bands, legendExtra: legend,
      empty: "no predictions for this device in this span" });
    METRICS.forEach(([k, label], i) => Charts.line(main.querySelector("#c-" + k), { title: label, yLabel: label, xDomain: dom, height: 200,
      series: [{ name: k, points: d.telemetry.map((t) => [ms(t.t), t[k]]), colour: Charts.PALETTE[(i + 1) % 7], gap: 120e3 }], bands, legendExtra: legend }));
    const rows = d.episodes.slice().reverse().map((e) => `<tr><td>${time(e.from)}</td><td>${time(e.to)}</td><td class="num">${e.ticks}</td><td>${esc(e.metrics.join(", "))}</td></tr>`);
    main.querySelector("#episodes").innerHTML = table(["from", "to", "#ticks", "metrics in error"], rows, "No error episodes in this span.");
  }
  return { title: "Device " + id, nav: "devices", load, render };
}

UI.start([
  [/^\/console$/, OverviewPage],
  [/^\/console\/models\/([^/]+)\/v(\d+)$/, ModelPage],
  [/^\/console\/runs$/, RunsPage],
  [/^\/console\/runs\/([^/]+)$/, RunPage],
  [/^\/console\/devices$/, DevicesPage],
  [/^\/console\/devices\/([^/]+)$/, DevicePage],
]);

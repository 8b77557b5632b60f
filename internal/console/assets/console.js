// console.js: shared helpers of the console pages — fetching the JSON API, formatting, status
// badges — and the router that picks a page from the URL path and polls it every few seconds.
"use strict";

const UI = (() => {
  const POLL_MS = 5000;

  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  async function get(url) {
    const res = await fetch(url, { headers: { Accept: "application/json" } });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const err = new Error((body && body.error) || `${res.status} ${res.statusText}`);
      err.status = res.status;
      throw err;
    }
    return body;
  }

  const isTime = (t) => t && !String(t).startsWith("0001-");
  const time = (t) => (isTime(t) ? new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace(/:00Z$/, "Z") : "—");
  const ms = (t) => new Date(t).getTime();
  function num(v, digits = 3) {
    if (v === null || v === undefined || !Number.isFinite(v)) return "—";
    if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 10 ** -digits)) return v.toExponential(2);
    return (+v.toFixed(digits)).toString();
  }
  const int = (v) => (v === null || v === undefined ? "—" : Math.round(v).toLocaleString("en-US"));
  const pct = (v) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : (100 * v).toFixed(1) + "%");
  function dur(s) {
    if (!Number.isFinite(s)) return "—";
    if (s < 60) return s.toFixed(1) + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
  }
  const badge = (text, cls) => `<span class="badge ${esc(cls || text)}">${esc(text)}</span>`;

  // drift shows a drift status as colour and as value, with the thresholds that decided it.
  function drift(d) {
    if (!d || !d.status) return badge("NO_DATA", "NO_DATA") + ' <span class="thr">no drift report yet</span>';
    return `<span class="drift" data-status="${esc(d.status)}">${badge(d.status)} <b>${num(d.general_drift)}</b>` +
      `<span class="thr">possible ≥ ${num(d.possible_threshold)}, detected ≥ ${num(d.detected_threshold)}</span></span>`;
  }

  function table(headers, rows, empty) {
    if (!rows.length) return `<p class="empty">${empty}</p>`;
    const th = headers.map((h) => (h.startsWith("#") ? `<th class="num">${esc(h.slice(1))}</th>` : `<th>${esc(h)}</th>`)).join("");
    return `<table><thead><tr>${th}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
  }

  function setStatus(text, error) {
    const s = document.getElementById("status");
    s.textContent = text;
    s.classList.toggle("error", !!error);
  }

  // start routes the current path to a page and polls it: page.load() fetches, page.render(data)
  // draws. A failed poll keeps the last rendering and says so in the header.
  function start(routes) {
    const path = location.pathname.replace(/\/+$/, "") || "/console";
    let page = null, params = null;
    for (const [re, make] of routes) {
      const m = path.match(re);
      if (m) { page = make(...m.slice(1).map(decodeURIComponent)); params = m; break; }
    }
    const main = document.getElementById("main");
    if (!page) {
      main.innerHTML = `<h1>Not found</h1><p class="empty">No console page at ${esc(location.pathname)}. Try the <a href="/console/">overview</a>.</p>`;
      setStatus("");
      return;
    }
    document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.nav === page.nav));
    document.title = page.title + " · netops console";
    let first = true;
    async function tick() {
      try {
        const data = await page.load();
        page.render(main, data, first);
        first = false;
        setStatus("updated " + new Date().toLocaleTimeString() + " · refreshes every " + POLL_MS / 1000 + " s");
      } catch (e) {
        if (first && e.status === 404) {
          main.innerHTML = `<h1>${esc(page.title)}</h1><p class="empty" data-error="404">Not found: ${esc(e.message)}</p>`;
          setStatus("");
          return;
        }
        if (first) main.innerHTML = `<h1>${esc(page.title)}</h1><p class="empty">Could not load: ${esc(e.message)}</p>`;
        setStatus("update failed: " + e.message + " (retrying)", true);
      }
      setTimeout(tick, POLL_MS);
    }
    tick();
    return params;
  }

  return { esc, get, time, ms, num, int, pct, dur, badge, drift, table, start, isTime };
})();

/* critmin dashboard: shared helpers (no framework, no build step).
 *
 * Every number on a page comes from the REST API under /api/v1, which calls the same
 * Python functions as the CLI. Text from the data is always inserted as text (never as
 * HTML). Missing values are shown with their qualifier, never as 0.
 */
"use strict";

const CM = (window.CM = window.CM || {});

CM.API = "/api/v1";

/** GET (or POST with a JSON body) an API path; throws an Error carrying the API's message.
 * GETs are remembered for the life of the page (read endpoints are pure), so sections
 * that need the same data, or a page that prefetches, send one request; pass
 * {fresh: true} for lists that change (saved scenarios, runs). */
CM._gets = {};
CM.api = function (path, options = {}) {
  if (options.body === undefined && !options.method && !options.key && !options.fresh) {
    if (!CM._gets[path]) CM._gets[path] = CM._fetch(path, options).catch((err) => {
      delete CM._gets[path];
      throw err;
    });
    return CM._gets[path];
  }
  return CM._fetch(path, options);
};
CM.prefetch = function (paths) {
  for (const p of paths) CM.api(p).catch(() => null);
};
CM._fetch = async function (path, options = {}) {
  const init = { headers: { Accept: "application/json" } };
  if (options.body !== undefined) {
    init.method = options.method || "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  } else if (options.method) {
    init.method = options.method;
  }
  if (options.key) init.headers["X-API-Key"] = options.key;
  const res = await fetch(CM.API + path, init);
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = null;
  }
  if (!res.ok) {
    const err = new Error((data && data.detail) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    err.data = data;
    throw err;
  }
  return data;
};

/** Build an element: el("div", {class: "x", text: "..."}, [children]). */
CM.el = function (tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of [].concat(children)) {
    if (c === undefined || c === null || c === false) continue;
    node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return node;
};

CM.clear = function (node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
};

/** Format a number for display: thousands separators, sensible digits. */
CM.num = function (v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  if (digits === undefined) digits = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : a === 0 ? 0 : 3;
  return Number(v).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
};

CM.pct = function (fraction, digits = 1) {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return "–";
  return `${CM.num(fraction * 100, digits)} %`;
};

/** A value as published: the API's display string when there is one, else the number. */
CM.published = function (row, valueKey = "value", displayKey = "display") {
  if (row[displayKey] !== undefined && row[displayKey] !== null && row[displayKey] !== "") return row[displayKey];
  return CM.num(row[valueKey]);
};

/** A sortable table. columns: [{key, label, format?(value,row), num?: bool, title?}] */
CM.table = function (columns, rows, opts = {}) {
  const table = CM.el("table", { class: "data" + (opts.compact ? " compact" : ""), "data-testid": opts.testid });
  const thead = CM.el("thead");
  const tr = CM.el("tr");
  let sortKey = opts.sortKey || null;
  let sortDir = opts.sortDir || 1;
  const tbody = CM.el("tbody");
  function render() {
    CM.clear(tbody);
    let data = rows.slice();
    if (sortKey) {
      const col = columns.find((c) => c.key === sortKey);
      const val = col && col.sortValue ? col.sortValue : (r) => r[sortKey];
      data.sort((a, b) => {
        const x = val(a), y = val(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * sortDir;
      });
    }
    const max = opts.maxRows || data.length;
    for (const r of data.slice(0, max)) {
      const row = CM.el("tr", opts.rowAttrs ? opts.rowAttrs(r) : {});
      for (const c of columns) {
        const v = r[c.key];
        const content = c.format ? c.format(v, r) : v === null || v === undefined ? "–" : Array.isArray(v) ? v.join(", ") : String(v);
        const td = CM.el("td", { class: c.num ? "num" : null, "data-col": c.key });
        if (content instanceof Node) td.appendChild(content);
        else td.textContent = content;
        row.appendChild(td);
      }
      tbody.appendChild(row);
    }
    if (data.length > max) {
      tbody.appendChild(CM.el("tr", {}, [CM.el("td", { colspan: columns.length, class: "muted", text: `${data.length - max} more rows: download the CSV for all` })]));
    }
  }
  for (const c of columns) {
    const th = CM.el("th", { class: c.num ? "num" : null, title: c.title || null, scope: "col" }, [c.label]);
    th.addEventListener("click", () => {
      sortDir = sortKey === c.key ? -sortDir : c.num ? -1 : 1;
      sortKey = c.key;
      render();
    });
    tr.appendChild(th);
  }
  thead.appendChild(tr);
  table.appendChild(thead);
  table.appendChild(tbody);
  render();
  return CM.el("div", { class: "table-wrap" }, [table]);
};

/** A card with a heading, optional caption (units, source) and body. */
CM.card = function (title, body, opts = {}) {
  const card = CM.el("section", { class: "card" + (opts.wide ? " wide" : "") + (opts.full ? " full" : ""), id: opts.id, "data-testid": opts.testid });
  const head = CM.el("div", { class: "card-head" }, [CM.el("h2", { text: title })]);
  if (opts.actions) head.appendChild(CM.el("div", { class: "actions" }, opts.actions));
  card.appendChild(head);
  if (opts.subtitle) card.appendChild(CM.el("p", { class: "subtitle", text: opts.subtitle }));
  const content = CM.el("div", { class: "card-body" });
  if (body) content.appendChild(body);
  card.appendChild(content);
  if (opts.source) card.appendChild(CM.el("p", { class: "source", text: "Source: " + opts.source }));
  card.body = content;
  return card;
};

CM.downloadLink = function (path, label = "CSV") {
  const sep = path.includes("?") ? "&" : "?";
  return CM.el("a", { class: "button small", href: CM.API + path + sep + "format=csv", download: "", text: label });
};

/** Save text as a file in the browser. */
CM.saveFile = function (name, text, type = "text/plain") {
  const blob = new Blob([text], { type });
  const a = CM.el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.appendChild(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 0);
};

CM.toCSV = function (rows) {
  if (!rows.length) return "";
  const cols = Object.keys(rows[0]);
  const q = (v) => {
    if (v === null || v === undefined) return "";
    const s = Array.isArray(v) ? v.join("; ") : typeof v === "object" ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return [cols.join(","), ...rows.map((r) => cols.map((c) => q(r[c])).join(","))].join("\n") + "\n";
};

CM.error = function (container, err, what) {
  container.appendChild(CM.el("p", { class: "error", role: "alert", text: `${what ? what + ": " : ""}${err.message || err}` }));
};

CM.notice = function (text) {
  return CM.el("p", { class: "notice", text });
};

/** Run an async section; show its error in place instead of breaking the page. */
CM.section = async function (container, what, fn) {
  try {
    await fn();
  } catch (err) {
    if (err.status === 503) container.appendChild(CM.notice(`${what}: ${err.message}`));
    else CM.error(container, err, what);
    console.error(what, err);
  }
};

CM.countryNames = {};
CM.loadCountries = async function () {
  if (Object.keys(CM.countryNames).length) return CM.countryNames;
  try {
    const res = await CM.api("/countries?limit=10000");
    for (const c of res.items) CM.countryNames[c.iso3] = c;
  } catch (e) {
    /* names are a nicety */
  }
  return CM.countryNames;
};
CM.countryName = (iso3) => (iso3 && CM.countryNames[iso3] ? CM.countryNames[iso3].name : iso3 || "");

/** Mineral picker in the header: go to a mineral's page. */
CM.initNav = async function () {
  const page = document.body.dataset.page;
  for (const a of document.querySelectorAll("nav.main a")) {
    if (a.dataset.page === page) a.setAttribute("aria-current", "page");
  }
  const form = document.getElementById("mineral-jump");
  if (!form) return;
  const input = form.querySelector("input");
  const list = document.getElementById("mineral-options");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (!v) return;
    const match = CM.minerals && CM.minerals.find((m) => m.name.toLowerCase() === v.toLowerCase() || m.commodity_id === v);
    window.location.href = "/minerals/" + encodeURIComponent(match ? match.commodity_id : v);
  });
  try {
    for (const m of await CM.loadMinerals()) list.appendChild(CM.el("option", { value: m.name }));
  } catch (e) {
    /* the picker still accepts ids */
  }
};

/** The catalogue, fetched once per page. */
CM.loadMinerals = function () {
  if (!CM._minerals) CM._minerals = CM.api("/minerals?limit=10000").then((r) => (CM.minerals = r.items));
  return CM._minerals;
};
CM.mineralName = (id) => {
  const m = (CM.minerals || []).find((x) => x.commodity_id === id);
  return m ? m.name : id;
};

document.addEventListener("DOMContentLoaded", () => {
  CM.initNav();
  const page = document.body.dataset.page;
  const main = document.getElementById("app");
  const started = performance.now();
  const init = CM.pages && CM.pages[page];
  if (init) {
    Promise.resolve(init(main))
      .catch((err) => CM.error(main, err))
      .finally(() => {
        document.body.dataset.ready = "true";
        document.body.dataset.renderMs = String(Math.round(performance.now() - started));
      });
  } else {
    document.body.dataset.ready = "true";
  }
});

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
  return `${CM.num(fraction * 100, digits)}%`;
};

/** A tick or short label: 0, 250k, 1.5M, 2B (no trailing zeros). */
CM.short = function (v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "";
  const a = Math.abs(v);
  const trim = (x) => String(Number(x.toFixed(2)));
  if (a >= 1e9) return trim(v / 1e9) + "B";
  if (a >= 1e6) return trim(v / 1e6) + "M";
  if (a >= 1e3) return trim(v / 1e3) + "k";
  if (a === 0) return "0";
  return trim(v);
};

/**
 * A published value in words: "100% (estimated)", "more than 95%", "withheld", "net exporter".
 * cell: {value, qualifier, low, high, raw}; opts.pct appends "%", opts.unit a unit, opts.digits.
 * The qualifier decides: a bound is never shown as a point, and withheld or missing never as 0.
 */
CM.QUALIFIER_WORDS = {
  withheld: "withheld",
  not_available: "not available",
  net_exporter: "net exporter",
  not_calculable: "not calculable",
  missing: "not published",
  zero: "zero",
  small: "small (less than the table's smallest unit)",
};
CM.qualified = function (cell, opts = {}) {
  const q = cell.qualifier || (cell.value === null || cell.value === undefined ? "missing" : "exact");
  const fmt = (v) => {
    if (v === null || v === undefined) return "?";
    // as published: no digits added to a published figure ("150", not "150.0")
    const n = opts.digits !== undefined ? CM.num(v, opts.digits) : Number(v).toLocaleString("en-US", { maximumFractionDigits: Math.abs(v) < 1 ? 3 : 2 });
    return n + (opts.pct ? "%" : "") + (opts.unit ? " " + opts.unit : "");
  };
  switch (q) {
    case "exact":
      return fmt(cell.value);
    case "estimated":
      return `${fmt(cell.value)} (estimated)`;
    case "revised":
      return `${fmt(cell.value)} (revised)`;
    case "greater_than":
      return `more than ${fmt(cell.low)}`;
    case "less_than":
      return `less than ${fmt(cell.high)}`;
    case "range":
      return `between ${fmt(cell.low)} and ${fmt(cell.high)}`;
    case "less_than_half_unit":
      return `less than half a unit${opts.unit ? " (" + opts.unit + ")" : ""}`;
    case "text":
      return cell.raw || "as text";
    default:
      return CM.QUALIFIER_WORDS[q] || (cell.raw ? `${cell.raw} (${q.replace(/_/g, " ")})` : q.replace(/_/g, " "));
  }
};
/** The interval a published value stands for, for drawing: [low, high] or null. */
CM.interval = function (cell, floor = null, ceiling = null) {
  const q = cell.qualifier;
  if (q === "exact" || q === "estimated" || q === "revised") return cell.value === null || cell.value === undefined ? null : [cell.value, cell.value];
  if (q === "zero") return [0, 0];
  if (q === "greater_than") return cell.low === null || cell.low === undefined ? null : [cell.low, cell.high ?? ceiling];
  if (q === "less_than" || q === "less_than_half_unit") return cell.high === null || cell.high === undefined ? null : [cell.low ?? floor, cell.high];
  if (q === "range") return [cell.low, cell.high];
  return null;
};
/** Years ago, in words, from today's year. */
CM.age = function (lastYear) {
  const n = new Date().getFullYear() - Number(lastYear);
  return n <= 0 ? "current" : n === 1 ? "ended last year" : `ended ${n} years ago`;
};

/** A value as published: the API's display string when there is one, else the number. */
CM.published = function (row, valueKey = "value", displayKey = "display") {
  if (row[displayKey] !== undefined && row[displayKey] !== null && row[displayKey] !== "") return row[displayKey];
  return CM.num(row[valueKey]);
};

/**
 * A sortable table. columns: [{key, label, format?(value,row), num?: bool, title?, sortValue?}]
 * Each header is a button (keyboard: Tab, Enter or Space) and the sorted column carries
 * aria-sort, so a screen reader says how the rows are ordered.
 */
CM.table = function (columns, rows, opts = {}) {
  const table = CM.el("table", { class: "data" + (opts.compact ? " compact" : ""), "data-testid": opts.testid });
  if (opts.caption) table.appendChild(CM.el("caption", { class: opts.captionVisible ? null : "visually-hidden", text: opts.caption }));
  const thead = CM.el("thead");
  const tr = CM.el("tr");
  let sortKey = opts.sortKey || null;
  let sortDir = opts.sortDir || 1;
  const tbody = CM.el("tbody");
  const ths = [];
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
    columns.forEach((c, i) => {
      if (c.key === sortKey) ths[i].setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      else ths[i].removeAttribute("aria-sort");
    });
    const max = opts.maxRows || data.length;
    for (const r of data.slice(0, max)) {
      const row = CM.el("tr", opts.rowAttrs ? opts.rowAttrs(r) : {});
      for (const c of columns) {
        const v = r[c.key];
        const content = c.format ? c.format(v, r) : v === null || v === undefined ? "–" : Array.isArray(v) ? v.join(", ") : String(v);
        const td = CM.el(c.header ? "th" : "td", { class: c.num ? "num" : null, "data-col": c.key, scope: c.header ? "row" : null });
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
    const button = CM.el("button", { type: "button", class: "sort", title: c.title || null }, [c.label]);
    const th = CM.el("th", { class: c.num ? "num" : null, scope: "col" }, [button]);
    button.addEventListener("click", () => {
      sortDir = sortKey === c.key ? -sortDir : c.num ? -1 : 1;
      sortKey = c.key;
      render();
    });
    ths.push(th);
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

/** Edit distance (Levenshtein), for did-you-mean; small strings only. */
CM.distance = function (a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
};

/** The catalogue entry a text names exactly (name, id or symbol, any case), or null. */
CM.findMineral = function (text, minerals) {
  const t = String(text || "").trim().toLowerCase().replace(/[\s_]+/g, "-");
  if (!t) return null;
  return (minerals || []).find((m) => m.commodity_id === t || m.name.toLowerCase().replace(/[\s_]+/g, "-") === t || (m.symbol && m.symbol.toLowerCase() === t)) || null;
};

/** Minerals whose name, id or symbol is close to a text: prefix, substring or a few typos. */
CM.suggest = function (text, minerals, n = 3) {
  const t = String(text || "").trim().toLowerCase().replace(/[\s_-]+/g, " ");
  if (!t) return [];
  const scored = [];
  for (const m of minerals || []) {
    const names = [m.name.toLowerCase(), m.commodity_id.replace(/-/g, " ")];
    let best = Infinity;
    for (const name of names) {
      if (name.startsWith(t) || t.startsWith(name)) best = Math.min(best, 0.5);
      else if (name.includes(t) && t.length >= 3) best = Math.min(best, 1);
      const d = CM.distance(t, name.slice(0, Math.max(t.length, Math.min(name.length, t.length + 2))));
      best = Math.min(best, d);
    }
    if (m.symbol && m.symbol.toLowerCase() === t) best = 0;
    const limit = Math.max(1, Math.min(3, Math.floor(t.length / 3)));
    if (best <= limit) scored.push([best, m.name.length, m]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return scored.slice(0, n).map((s) => s[2]);
};

/** "Did you mean" links for a text, into a container; returns how many were offered. */
CM.didYouMean = function (container, text, minerals, opts = {}) {
  const hits = CM.suggest(text, minerals, opts.n || 3);
  CM.clear(container);
  if (!hits.length) {
    if (opts.none) container.appendChild(CM.el("p", { text: opts.none }));
    return 0;
  }
  const p = CM.el("p", { class: "did-you-mean", "data-testid": "did-you-mean" }, [opts.lead || "Did you mean "]);
  hits.forEach((m, i) => {
    if (i) p.appendChild(document.createTextNode(i === hits.length - 1 ? " or " : ", "));
    p.appendChild(CM.el("a", { href: "/minerals/" + encodeURIComponent(m.commodity_id), text: m.name }));
  });
  p.appendChild(document.createTextNode("?"));
  container.appendChild(p);
  return hits.length;
};

/** Mineral picker in the header: go to a mineral's page, or offer the closest names. */
CM.initNav = async function () {
  const page = document.body.dataset.page;
  for (const a of document.querySelectorAll("nav.main a")) {
    if (a.dataset.page === page) a.setAttribute("aria-current", "page");
  }
  const form = document.getElementById("mineral-jump");
  if (!form) return;
  const input = form.querySelector("input");
  const list = document.getElementById("mineral-options");
  const hint = document.getElementById("mineral-hint");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (!v) return;
    const minerals = await CM.loadMinerals().catch(() => []);
    const match = CM.findMineral(v, minerals);
    if (match) {
      window.location.href = "/minerals/" + encodeURIComponent(match.commodity_id);
      return;
    }
    // no close name in the catalogue: the server knows more spellings (aliases) and answers
    // an unknown one with the not-found page
    if (!hint || !CM.suggest(v, minerals).length) {
      window.location.href = "/minerals/" + encodeURIComponent(v);
      return;
    }
    hint.hidden = false;
    CM.didYouMean(hint, v, minerals, { lead: `No mineral is called “${v}”. Did you mean ` });
    hint.querySelector("a").focus();
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

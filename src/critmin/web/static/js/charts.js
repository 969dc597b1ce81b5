/* critmin dashboard: hand-written SVG charts (bars, dumbbells, scatter, lines, map, timeline).
 *
 * Each chart takes plain rows, draws into a container, labels its axes with units, and
 * shows a tooltip on hover. A value the publisher did not give as a number (withheld,
 * bounded, not available) draws no bar: its qualifier is written where the bar would be.
 */
"use strict";

(function () {
  const CM = window.CM;
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#1f5f8b", "#d9822b", "#3a8f5c", "#a23b72", "#6c5b7b", "#8f7a3a", "#3d7ea6", "#c2523c"];

  function svg(tag, attrs = {}, children = []) {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) n.setAttribute(k, v);
    for (const c of [].concat(children)) {
      if (c === null || c === undefined) continue;
      n.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return n;
  }
  function title(text) {
    return svg("title", {}, [text]);
  }

  let tip = null;
  function tooltip(node, text) {
    node.appendChild(title(text));
    node.addEventListener("mousemove", (e) => {
      if (!tip) {
        tip = CM.el("div", { class: "tooltip", role: "tooltip" });
        document.body.appendChild(tip);
      }
      tip.textContent = text;
      tip.style.display = "block";
      tip.style.left = Math.min(e.pageX + 12, window.scrollX + window.innerWidth - 260) + "px";
      tip.style.top = e.pageY + 12 + "px";
    });
    node.addEventListener("mouseleave", () => {
      if (tip) tip.style.display = "none";
    });
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }
  function ticks(min, max, n = 5) {
    const step = (max - min) / n;
    return Array.from({ length: n + 1 }, (_, i) => min + i * step);
  }
  function short(v) {
    const a = Math.abs(v);
    if (a >= 1e9) return CM.num(v / 1e9, 1) + "B";
    if (a >= 1e6) return CM.num(v / 1e6, 1) + "M";
    if (a >= 1e4) return CM.num(v / 1e3, 0) + "k";
    return CM.num(v);
  }
  function caption(container, opts) {
    const bits = [];
    if (opts.unit) bits.push("Unit: " + opts.unit);
    if (opts.source) bits.push("Source: " + opts.source);
    if (bits.length) container.appendChild(CM.el("p", { class: "chart-caption", text: bits.join(". ") }));
  }
  function frame(container, width, height, label) {
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label || "chart", preserveAspectRatio: "xMidYMid meet" });
    container.appendChild(root);
    return root;
  }

  /** Horizontal bars, one per row; rows without a number show their display text. */
  function hbar(container, rows, opts = {}) {
    const value = opts.value || ((r) => r.value);
    const label = opts.label || ((r) => r.label);
    const text = opts.text || ((r) => (value(r) === null || value(r) === undefined ? r.display || "n/a" : CM.num(value(r))));
    const width = opts.width || 640;
    const barH = opts.barHeight || 22;
    const left = opts.left || 150;
    const right = 90;
    const top = 8;
    const height = top + rows.length * (barH + 6) + 28;
    const nums = rows.map(value).filter((v) => v !== null && v !== undefined && !Number.isNaN(v));
    const max = opts.max !== undefined ? opts.max : niceMax(Math.max(0, ...nums));
    const x = (v) => left + ((width - left - right) * Math.max(0, v)) / max;
    const root = frame(container, width, height, opts.title);
    for (const t of ticks(0, max, 4)) {
      root.appendChild(svg("line", { x1: x(t), x2: x(t), y1: top, y2: height - 24, class: "grid" }));
      root.appendChild(svg("text", { x: x(t), y: height - 8, class: "axis", "text-anchor": "middle" }, [opts.tickFormat ? opts.tickFormat(t) : short(t)]));
    }
    rows.forEach((r, i) => {
      const y = top + i * (barH + 6);
      const v = value(r);
      const g = svg("g", { class: "bar-row", "data-label": label(r) });
      g.appendChild(svg("text", { x: left - 6, y: y + barH / 2 + 4, class: "label", "text-anchor": "end" }, [String(label(r)).slice(0, 24)]));
      if (v !== null && v !== undefined && !Number.isNaN(v)) {
        g.appendChild(svg("rect", { x: left, y, width: Math.max(1, x(v) - left), height: barH, rx: 2, fill: opts.color ? opts.color(r, i) : PALETTE[0] }));
        g.appendChild(svg("text", { x: x(v) + 4, y: y + barH / 2 + 4, class: "value" }, [text(r)]));
      } else {
        g.appendChild(svg("text", { x: left + 4, y: y + barH / 2 + 4, class: "value missing" }, [text(r)]));
      }
      tooltip(g, opts.tooltip ? opts.tooltip(r) : `${label(r)}: ${text(r)}${opts.unit ? " " + opts.unit : ""}`);
      root.appendChild(g);
    });
    if (opts.axisLabel) root.appendChild(svg("text", { x: width - right, y: height - 8, class: "axis-label", "text-anchor": "end" }, [opts.axisLabel]));
    caption(container, opts);
    return root;
  }

  /** Vertical grouped bars: categories on x, one bar per series (e.g. base and scenario). */
  function groupedBars(container, categories, series, opts = {}) {
    const width = opts.width || 640;
    const height = opts.height || 260;
    const left = 64, right = 12, top = 24, bottom = 40;
    const all = series.flatMap((s) => s.values).filter((v) => v !== null && v !== undefined && !Number.isNaN(v));
    const lo = Math.min(0, ...all);
    const hi = niceMax(Math.max(0, ...all));
    const min = lo < 0 ? -niceMax(-lo) : 0;
    const y = (v) => top + ((height - top - bottom) * (hi - v)) / (hi - min || 1);
    const band = (width - left - right) / Math.max(1, categories.length);
    const bw = Math.min(36, (band * 0.8) / series.length);
    const root = frame(container, width, height, opts.title);
    for (const t of ticks(min, hi, 4)) {
      root.appendChild(svg("line", { x1: left, x2: width - right, y1: y(t), y2: y(t), class: t === 0 ? "zero" : "grid" }));
      root.appendChild(svg("text", { x: left - 6, y: y(t) + 4, class: "axis", "text-anchor": "end" }, [short(t)]));
    }
    categories.forEach((c, i) => {
      const cx = left + band * i + band / 2;
      root.appendChild(svg("text", { x: cx, y: height - bottom + 16, class: "label", "text-anchor": "middle" }, [String(c)]));
      series.forEach((s, j) => {
        const v = s.values[i];
        if (v === null || v === undefined || Number.isNaN(v)) return;
        const x0 = cx - (bw * series.length) / 2 + j * bw;
        const rect = svg("rect", { x: x0, y: Math.min(y(v), y(0)), width: bw - 2, height: Math.max(1, Math.abs(y(v) - y(0))), fill: s.color || PALETTE[j % PALETTE.length] });
        tooltip(rect, `${c}, ${s.name}: ${CM.num(v)}${opts.unit ? " " + opts.unit : ""}`);
        root.appendChild(rect);
      });
    });
    legend(root, series.map((s, j) => ({ name: s.name, color: s.color || PALETTE[j % PALETTE.length] })), left, 14);
    if (opts.axisLabel) root.appendChild(svg("text", { x: 4, y: 12, class: "axis-label" }, [opts.axisLabel]));
    caption(container, opts);
    return root;
  }

  function legend(root, items, x, y) {
    let cx = x;
    for (const it of items) {
      root.appendChild(svg("rect", { x: cx, y: y - 9, width: 10, height: 10, fill: it.color }));
      const t = svg("text", { x: cx + 14, y, class: "legend" }, [it.name]);
      root.appendChild(t);
      cx += 24 + it.name.length * 6.5;
    }
  }

  /** Dumbbell: two values per row on a 0..max scale (mine vs processing HHI). */
  function dumbbell(container, rows, opts = {}) {
    const width = opts.width || 640;
    const rowH = 20;
    const left = 160, right = 24, top = 28;
    const height = top + rows.length * rowH + 30;
    const max = opts.max || 1;
    const x = (v) => left + ((width - left - right) * v) / max;
    const root = frame(container, width, height, opts.title);
    for (const t of ticks(0, max, 5)) {
      root.appendChild(svg("line", { x1: x(t), x2: x(t), y1: top - 6, y2: height - 24, class: "grid" }));
      root.appendChild(svg("text", { x: x(t), y: height - 8, class: "axis", "text-anchor": "middle" }, [opts.tickFormat ? opts.tickFormat(t) : CM.num(t, 1)]));
    }
    const colors = [PALETTE[0], PALETTE[1]];
    legend(root, [{ name: opts.aName || "a", color: colors[0] }, { name: opts.bName || "b", color: colors[1] }], left, 14);
    rows.forEach((r, i) => {
      const y = top + i * rowH + rowH / 2;
      const a = opts.a(r), b = opts.b(r);
      const g = svg("g", { class: "dumbbell-row" });
      g.appendChild(svg("text", { x: left - 6, y: y + 4, class: "label", "text-anchor": "end" }, [(s => s.length > 24 ? s.slice(0, 23) + "…" : s)(String(opts.label(r)))]));
      if (a !== null && b !== null && a !== undefined && b !== undefined) g.appendChild(svg("line", { x1: x(a), x2: x(b), y1: y, y2: y, class: "connector" }));
      if (a !== null && a !== undefined) g.appendChild(svg("circle", { cx: x(a), cy: y, r: 5, fill: colors[0] }));
      if (b !== null && b !== undefined) g.appendChild(svg("circle", { cx: x(b), cy: y, r: 5, fill: colors[1] }));
      if (opts.href) {
        const link = svg("a", { href: opts.href(r) }, [g]);
        tooltip(link, opts.tooltip(r));
        root.appendChild(link);
      } else {
        tooltip(g, opts.tooltip(r));
        root.appendChild(g);
      }
    });
    caption(container, opts);
    return root;
  }

  /** Scatter with optional quadrant lines; points are links when opts.href is given. */
  function scatter(container, points, opts = {}) {
    const width = opts.width || 640, height = opts.height || 420;
    const left = 56, right = 20, top = 16, bottom = 46;
    const [x0, x1] = opts.xDomain || [0, niceMax(Math.max(...points.map(opts.x)))];
    const [y0, y1] = opts.yDomain || [0, niceMax(Math.max(...points.map(opts.y)))];
    const sx = (v) => left + ((width - left - right) * (v - x0)) / (x1 - x0 || 1);
    const sy = (v) => top + ((height - top - bottom) * (y1 - v)) / (y1 - y0 || 1);
    const root = frame(container, width, height, opts.title);
    for (const t of ticks(x0, x1, 5)) {
      root.appendChild(svg("line", { x1: sx(t), x2: sx(t), y1: top, y2: height - bottom, class: "grid" }));
      root.appendChild(svg("text", { x: sx(t), y: height - bottom + 16, class: "axis", "text-anchor": "middle" }, [opts.xTick ? opts.xTick(t) : CM.num(t)]));
    }
    for (const t of ticks(y0, y1, 5)) {
      root.appendChild(svg("line", { x1: left, x2: width - right, y1: sy(t), y2: sy(t), class: "grid" }));
      root.appendChild(svg("text", { x: left - 6, y: sy(t) + 4, class: "axis", "text-anchor": "end" }, [opts.yTick ? opts.yTick(t) : CM.num(t)]));
    }
    if (opts.xSplit !== undefined) root.appendChild(svg("line", { x1: sx(opts.xSplit), x2: sx(opts.xSplit), y1: top, y2: height - bottom, class: "split" }));
    if (opts.ySplit !== undefined) root.appendChild(svg("line", { x1: left, x2: width - right, y1: sy(opts.ySplit), y2: sy(opts.ySplit), class: "split" }));
    root.appendChild(svg("text", { x: (left + width - right) / 2, y: height - 8, class: "axis-label", "text-anchor": "middle" }, [opts.xLabel || ""]));
    root.appendChild(svg("text", { x: 12, y: (top + height - bottom) / 2, class: "axis-label", "text-anchor": "middle", transform: `rotate(-90 12 ${(top + height - bottom) / 2})` }, [opts.yLabel || ""]));
    for (const p of points) {
      const cx = sx(opts.x(p)), cy = sy(opts.y(p));
      const g = svg("g", { class: "point", "data-id": opts.id ? opts.id(p) : null });
      if (opts.xLow && opts.xHigh && opts.xLow(p) !== opts.xHigh(p)) g.appendChild(svg("line", { x1: sx(opts.xLow(p)), x2: sx(opts.xHigh(p)), y1: cy, y2: cy, class: "connector" }));
      g.appendChild(svg("circle", { cx, cy, r: opts.r ? opts.r(p) : 6, fill: opts.color ? opts.color(p) : PALETTE[0], "fill-opacity": 0.8 }));
      if (opts.label) g.appendChild(svg("text", { x: cx + 8, y: cy + 4, class: "point-label" }, [opts.label(p)]));
      const node = opts.href ? svg("a", { href: opts.href(p) }, [g]) : g;
      tooltip(node, opts.tooltip ? opts.tooltip(p) : "");
      root.appendChild(node);
    }
    caption(container, opts);
    return root;
  }

  /** Lines over years: series [{name, points:[{x, y, label?}]}]; gaps where y is null. */
  function line(container, series, opts = {}) {
    const width = opts.width || 640, height = opts.height || 260;
    const left = 64, right = 16, top = 26, bottom = 36;
    const xs = series.flatMap((s) => s.points.map((p) => p.x));
    const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter((v) => v !== null && v !== undefined);
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const y1 = opts.yMax || niceMax(Math.max(0, ...ys));
    const sx = (v) => left + ((width - left - right) * (v - x0)) / (x1 - x0 || 1);
    const sy = (v) => top + ((height - top - bottom) * (y1 - v)) / (y1 || 1);
    const root = frame(container, width, height, opts.title);
    for (const t of ticks(0, y1, 4)) {
      root.appendChild(svg("line", { x1: left, x2: width - right, y1: sy(t), y2: sy(t), class: "grid" }));
      root.appendChild(svg("text", { x: left - 6, y: sy(t) + 4, class: "axis", "text-anchor": "end" }, [short(t)]));
    }
    const xTicks = [...new Set(xs.map((x) => Math.floor(x)))].sort((a, b) => a - b);
    const every = Math.ceil(xTicks.length / 12);
    for (const x of xTicks.filter((_, i) => i % every === 0 || i === xTicks.length - 1)) root.appendChild(svg("text", { x: sx(x), y: height - bottom + 16, class: "axis", "text-anchor": "middle" }, [String(x)]));
    series.forEach((s, j) => {
      const color = s.color || PALETTE[j % PALETTE.length];
      let d = "";
      let pen = false;
      for (const p of s.points.slice().sort((a, b) => a.x - b.x)) {
        if (p.y === null || p.y === undefined) {
          pen = false;
          continue;
        }
        d += `${pen ? "L" : "M"}${sx(p.x)},${sy(p.y)}`;
        pen = true;
      }
      root.appendChild(svg("path", { d, fill: "none", stroke: color, "stroke-width": opts.thin ? 1.2 : 2 }));
      const many = s.points.length > 80;
      for (const p of s.points) {
        if (p.y === null || p.y === undefined) continue;
        if (many && !opts.markers) {
          // dense series: invisible hover targets instead of markers
          const c = svg("circle", { cx: sx(p.x), cy: sy(p.y), r: 3, fill: "transparent" });
          tooltip(c, `${s.name}, ${opts.xFormat ? opts.xFormat(p.x) : p.x}: ${p.label || CM.num(p.y)}`);
          root.appendChild(c);
          continue;
        }
        const c = svg("circle", { cx: sx(p.x), cy: sy(p.y), r: 3.5, fill: color });
        tooltip(c, `${s.name}, ${p.x}: ${p.label || CM.num(p.y)}${opts.unit ? " " + opts.unit : ""}`);
        root.appendChild(c);
      }
    });
    legend(root, series.slice(0, 6).map((s, j) => ({ name: s.name, color: s.color || PALETTE[j % PALETTE.length] })), left, 14);
    caption(container, opts);
    return root;
  }

  // --- world map (Natural Earth projection of world-atlas TopoJSON) -------------------------
  let topoPromise = null;
  function loadTopology() {
    if (!topoPromise) topoPromise = fetch("/static/vendor/world-atlas/countries-110m.json").then((r) => r.json());
    return topoPromise;
  }
  /** Natural Earth projection (Šavrič et al. 2011), polynomial form; lon/lat in degrees. */
  function naturalEarth(lon, lat) {
    const l = (lon * Math.PI) / 180, p = (lat * Math.PI) / 180;
    const p2 = p * p, p4 = p2 * p2;
    const x = l * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * (0.003971 * p2 - 0.001529 * p4)));
    const y = p * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)));
    return [x, y];
  }
  function ringPath(ring, sx, sy) {
    let d = "";
    let prevLon = null;
    for (const [lon, lat] of ring) {
      const [x, y] = naturalEarth(lon, lat);
      // a jump across the antimeridian starts a new sub-path instead of a line across the map
      const jump = prevLon !== null && Math.abs(lon - prevLon) > 180;
      d += `${d === "" || jump ? "M" : "L"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
      prevLon = lon;
    }
    return d + "Z";
  }

  /**
   * Choropleth: values {ISO3: number}; countries keyed by ISO numeric via CM.countryNames.
   * opts: {legendTitle, unit, source, format(v), max, onClick(iso3)}
   */
  async function worldMap(container, values, opts = {}) {
    const [topo] = await Promise.all([loadTopology(), CM.loadCountries()]);
    const byNumeric = {};
    for (const [iso3, c] of Object.entries(CM.countryNames)) if (c.iso_numeric) byNumeric[c.iso_numeric] = iso3;
    const features = window.topojson.feature(topo, topo.objects.countries).features;
    const width = 960, height = 440;
    const sx = (x) => width / 2 + x * 170;
    const sy = (y) => 250 - y * 170;
    const nums = Object.values(values).filter((v) => v !== null && v !== undefined);
    const max = opts.max || Math.max(1e-9, ...nums);
    const color = (v) => {
      if (v === null || v === undefined) return "#e8ecef";
      const t = Math.min(1, v / max);
      const a = [230, 240, 247], b = [18, 70, 120];
      return `rgb(${a.map((c, i) => Math.round(c + (b[i] - c) * Math.sqrt(t))).join(",")})`;
    };
    const root = frame(container, width, height, opts.title || "world map");
    root.classList.add("map");
    for (const f of features) {
      if (f.id === "010") continue; // Antarctica: no production data, and it distorts the projection
      const iso3 = byNumeric[f.id];
      const geom = f.geometry;
      if (!geom) continue;
      const polys = geom.type === "Polygon" ? [geom.coordinates] : geom.coordinates;
      let d = "";
      for (const poly of polys) for (const ring of poly) d += ringPath(ring, sx, sy);
      const v = iso3 ? values[iso3] : undefined;
      const path = svg("path", { d, fill: color(v), class: "country", "data-iso3": iso3 || "", "data-value": v === undefined ? "" : v });
      const name = (iso3 && CM.countryName(iso3)) || (f.properties && f.properties.name) || "";
      tooltip(path, `${name}: ${v === undefined || v === null ? "no data" : opts.format ? opts.format(v) : CM.num(v)}`);
      if (opts.onClick && iso3) path.addEventListener("click", () => opts.onClick(iso3));
      root.appendChild(path);
    }
    // legend: a gradient bar with min and max
    const lg = svg("g", { transform: `translate(20, ${height - 40})` });
    const grad = svg("linearGradient", { id: "mapgrad" + (opts.id || "") }, [
      svg("stop", { offset: "0%", "stop-color": color(0) }),
      svg("stop", { offset: "100%", "stop-color": color(max) }),
    ]);
    root.appendChild(svg("defs", {}, [grad]));
    lg.appendChild(svg("rect", { x: 0, y: 0, width: 160, height: 10, fill: `url(#mapgrad${opts.id || ""})` }));
    lg.appendChild(svg("text", { x: 0, y: 24, class: "axis" }, [opts.format ? opts.format(0) : "0"]));
    lg.appendChild(svg("text", { x: 160, y: 24, class: "axis", "text-anchor": "end" }, [opts.format ? opts.format(max) : CM.num(max)]));
    lg.appendChild(svg("text", { x: 0, y: -6, class: "legend" }, [opts.legendTitle || ""]));
    root.appendChild(lg);
    caption(container, opts);
    return root;
  }

  /** Timeline of dated items with today's marker; passed items grey, the next one highlighted. */
  function timeline(container, data, opts = {}) {
    const items = data.items;
    const width = opts.width || 960, height = 150;
    const left = 30, right = 30;
    const dates = items.map((i) => new Date(i.date + "T00:00:00Z").getTime());
    const today = new Date(data.today + "T00:00:00Z").getTime();
    const t0 = Math.min(...dates, today) - 20 * 864e5, t1 = Math.max(...dates, today) + 20 * 864e5;
    const x = (t) => left + ((width - left - right) * (t - t0)) / (t1 - t0);
    const root = frame(container, width, height, "timeline");
    const axisY = 80;
    root.appendChild(svg("line", { x1: left, x2: width - right, y1: axisY, y2: axisY, class: "timeline-axis" }));
    const start = new Date(t0);
    for (let y = start.getUTCFullYear(), m = start.getUTCMonth() + 1; ; m++) {
      if (m > 11) { m = 0; y++; }
      const t = Date.UTC(y, m, 1);
      if (t > t1) break;
      if (m % 3 === 0) {
        root.appendChild(svg("line", { x1: x(t), x2: x(t), y1: axisY - 4, y2: axisY + 4, class: "grid" }));
        root.appendChild(svg("text", { x: x(t), y: axisY + 18, class: "axis", "text-anchor": "middle" }, [`${["Jan", "Apr", "Jul", "Oct"][m / 3]} ${y}`]));
      }
    }
    root.appendChild(svg("line", { x1: x(today), x2: x(today), y1: 20, y2: height - 20, class: "today" }));
    root.appendChild(svg("text", { x: x(today), y: 14, class: "today-label", "text-anchor": "middle" }, ["today " + data.today]));
    items.forEach((it, i) => {
      const cx = x(dates[i]);
      const up = i % 2 === 0;
      const g = svg("g", { class: `event ${it.status}${it.is_next ? " next" : ""}`, "data-date": it.date });
      g.appendChild(svg("line", { x1: cx, x2: cx, y1: axisY, y2: up ? axisY - 22 : axisY + 30, class: "stem" }));
      g.appendChild(svg("circle", { cx, cy: axisY, r: it.is_next ? 7 : 5 }));
      g.appendChild(svg("text", { x: cx, y: up ? axisY - 26 : axisY + 42, class: "event-label", "text-anchor": "middle" }, [it.precision === "month" ? it.date.slice(0, 7) : it.date.slice(2)]));
      tooltip(g, `${it.date}${it.precision === "month" ? " (month)" : ""}: ${it.title}. ${it.detail}`);
      root.appendChild(g);
    });
    return root;
  }

  CM.charts = { loadTopology, hbar, groupedBars, dumbbell, scatter, line, worldMap, timeline, PALETTE };
})();

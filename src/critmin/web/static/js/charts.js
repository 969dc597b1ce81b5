/* critmin dashboard: chart functions on Apache ECharts (vendored, static/vendor/echarts).
 *
 * Every chart is a <figure> with
 *   - an accessible name saying what it shows (aria-label on the drawing, set by ECharts' aria),
 *   - a caption with its unit and source,
 *   - a table alternative with the same numbers (a <details> under the drawing),
 * and is drawn as SVG at the page's own pixel size, so its text is as large as the page's
 * (12 px; never scaled down with the drawing as a viewBox would).
 *
 * Values keep their qualifier: a published bound (">95", "<1,000") is drawn as a range from
 * the bound to the end of the axis, never as a point; withheld or missing draws nothing and
 * says so in words. Functions: bars, lines, stackedShares, scatter, dumbbell, sankey,
 * worldMap, timeline, groupedBars (the scenario builder's).
 */
"use strict";

(function () {
  const CM = window.CM;
  const PALETTE = ["#1f5f8b", "#c45f12", "#2e7d4f", "#a23b72", "#6c5b7b", "#7a6a22", "#3d7ea6", "#b3261e"];
  const INK = "#24313d";
  const MUTED = "#4a5663";
  const GRID = "#e3e8ed";
  const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  const SIZE = 12; // every chart text; the tests check nothing renders under 11 px

  /** A figure in `container`: the drawing, its caption and its table alternative. */
  function figure(container, opts) {
    if (!opts.title) throw new Error("a chart needs a title (its accessible name)");
    const fig = CM.el("figure", { class: "chart-figure", "data-testid": opts.testid || null });
    const box = CM.el("div", { class: "chart-box", role: "img", "aria-label": opts.title, style: `height: ${Math.round(opts.height || 300)}px` });
    fig.appendChild(box);
    const bits = [];
    if (opts.note) bits.push(opts.note);
    if (opts.unit) bits.push("Unit: " + opts.unit + ".");
    if (opts.source) bits.push("Source: " + opts.source + ".");
    if (bits.length) fig.appendChild(CM.el("figcaption", { class: "chart-caption", text: bits.join(" ") }));
    if (opts.table) {
      const details = CM.el("details", { class: "chart-table" }, [CM.el("summary", { text: opts.tableLabel || "The numbers in this chart, as a table" })]);
      details.appendChild(CM.table(opts.table.columns, opts.table.rows, { compact: true, caption: opts.title, testid: opts.table.testid }));
      fig.appendChild(details);
    }
    container.appendChild(fig);
    const chart = window.echarts.init(box, null, { renderer: "svg" });
    // redraw when the box changes width (a rotated tablet, a resized window), not on the
    // observer's first call, which only reports the size the chart was drawn at
    let width = box.clientWidth;
    if (window.ResizeObserver) new ResizeObserver(() => {
      if (box.clientWidth !== width) {
        width = box.clientWidth;
        // an option that depends on the width (labels inside or outside bars, legend rows)
        // is built again for the new width
        if (fig.build) chart.setOption(fig.build(), true);
        chart.resize();
        if (fig.after) fig.after();
      }
    }).observe(box);
    fig.chart = chart;
    return { fig, box, chart };
  }

  /** Options every chart shares: no animation, aria on, one font and size. */
  function base(opts, extra) {
    return Object.assign(
      {
        animation: false,
        aria: { enabled: true, label: { description: opts.title } },
        textStyle: { fontFamily: FONT, fontSize: SIZE, color: INK },
        tooltip: { confine: true, textStyle: { fontSize: SIZE }, appendTo: "body" },
        color: PALETTE,
      },
      extra
    );
  }
  /** Draw an option, or an option builder (called again when the chart's width changes). */
  function draw(f, option) {
    if (typeof option === "function") {
      f.fig.build = option;
      option = option();
    }
    f.chart.setOption(option);
    return f.fig;
  }
  const axisText = { fontSize: SIZE, color: MUTED, fontFamily: FONT };
  function valueAxis(o = {}) {
    return {
      type: "value",
      name: o.name || "",
      nameLocation: o.top ? "end" : "middle",
      nameGap: o.top ? 12 : o.nameGap || 30,
      nameTextStyle: o.top ? { fontSize: SIZE, color: INK, align: "left", padding: [0, 0, 0, -40] } : { fontSize: SIZE, color: INK },
      min: o.min,
      max: o.max,
      minInterval: o.minInterval,
      axisLabel: { ...axisText, formatter: o.format || CM.short, hideOverlap: true },
      splitLine: { lineStyle: { color: GRID } },
    };
  }
  const yearFormat = (v) => (Number.isInteger(v) ? String(v) : "");
  const legend = (o = {}) => ({ type: "plain", top: 0, left: o.left || "left", textStyle: { fontSize: SIZE, color: INK }, itemWidth: 14, itemHeight: 10, itemGap: 12 });
  /** Rows a wrapped legend of these names takes in a box `width` px wide. */
  function legendRows(names, width) {
    let rows = 1, x = 0;
    for (const n of names) {
      const w = 14 + 5 + textWidth(n) + 12;
      if (x + w > width - 10 && x > 0) {
        rows += 1;
        x = 0;
      }
      x += w;
    }
    return rows;
  }
  const isNum = (v) => v !== null && v !== undefined && !Number.isNaN(v);
  let measureCtx = null;
  /** Width in px of a text at the charts' size. */
  function textWidth(text) {
    measureCtx ||= document.createElement("canvas").getContext("2d");
    measureCtx.font = `${SIZE}px ${FONT}`;
    return measureCtx.measureText(String(text)).width;
  }
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

  /**
   * Horizontal bars, one per row, with qualifiers: a number is a bar from 0, a bound a lighter
   * range bar (from the bound to the axis end), withheld or missing no bar and its word.
   * opts: title, cell(r) -> {value, qualifier, low, high, raw}, label(r), text(r), max,
   * unit, axisName, format, color(r), href(r), tooltip(r), table, testid.
   */
  function bars(container, rows, opts) {
    const label = opts.label || ((r) => r.label);
    const cell = opts.cell || ((r) => ({ value: r.value, qualifier: isNum(r.value) ? "exact" : "missing" }));
    const text = opts.text || ((r) => CM.qualified(cell(r)));
    const nums = rows.map((r) => CM.interval(cell(r))).filter(Boolean).flat().filter(isNum);
    const max = opts.max !== undefined ? opts.max : undefined;
    const ceiling = max !== undefined ? max : Math.max(0, ...nums) || 1;
    const items = rows.map((r) => {
      const c = cell(r);
      const iv = CM.interval(c, 0, ceiling);
      const point = iv && iv[0] === iv[1];
      return { r, iv, point, c };
    });
    const f = figure(container, {
      ...opts,
      height: opts.height || 44 + rows.length * 26,
      table: opts.table || {
        columns: [
          { key: "label", label: opts.labelName || "Name", header: true },
          { key: "text", label: opts.valueName || "Value", num: true, sortValue: (x) => x.sort },
        ],
        rows: items.map((x) => ({ label: label(x.r), text: text(x.r), sort: x.iv ? x.iv[0] : null })),
      },
    });
    const color = (x) => (opts.color ? opts.color(x.r) : PALETTE[0]);
    // a long bar carries its label inside (white on the bar); the others outside, and the
    // right margin is as wide as the longest outside label, so no label is cut off
    const labelW = Math.min(opts.labelWidth || 140, Math.max(...rows.map((r) => textWidth(String(label(r))))) + 12);
    const allOut = Math.max(30, ...items.map((x) => textWidth(text(x.r))));
    draw(f, () => {
      const cw = f.box.clientWidth || 600;
      const plotW = Math.max(60, cw - labelW - allOut - 20);
      const inside = (x) => x.point && textWidth(text(x.r)) + 10 < (x.iv[1] / ceiling) * plotW;
      const right = Math.min(cw * 0.6, 14 + Math.max(30, ...items.filter((x) => !inside(x)).map((x) => textWidth(text(x.r)))));
      return base(opts, {
      grid: { left: 8, right, top: 8, bottom: opts.axisName ? 40 : 24, containLabel: true },
      xAxis: valueAxis({ name: opts.axisName, max, format: opts.format }),
      yAxis: {
        type: "category", inverse: true, data: rows.map(label),
        axisLabel: { ...axisText, color: INK, width: opts.labelWidth || 140, overflow: "truncate", interval: 0 },
        axisTick: { show: false },
      },
      tooltip: { ...base(opts).tooltip, trigger: "item", formatter: (p) => esc(opts.tooltip ? opts.tooltip(items[p.dataIndex].r) : `${label(items[p.dataIndex].r)}: ${text(items[p.dataIndex].r)}`) },
      series: [
        {
          type: "bar", stack: "v", silent: true, barMaxWidth: 18, itemStyle: { color: "transparent" },
          data: items.map((x) => (x.iv && !x.point ? x.iv[0] : 0)),
        },
        {
          type: "bar", stack: "v", barMaxWidth: 18, cursor: opts.href ? "pointer" : "default",
          data: items.map((x) => ({
            value: x.iv ? (x.point ? x.iv[0] : x.iv[1] - x.iv[0]) : 0,
            itemStyle: x.point ? { color: color(x) } : { color: "#b9cfe0", borderColor: color(x), borderType: "dashed", borderWidth: 1 },
            label: inside(x) ? { position: "insideRight", color: "#fff" } : undefined,
          })),
          label: { show: true, position: "right", fontSize: SIZE, color: INK, formatter: (p) => text(items[p.dataIndex].r) },
        },
      ],
    });
    });
    if (opts.href) f.chart.on("click", (p) => p.seriesIndex === 1 && (window.location.href = opts.href(items[p.dataIndex].r)));
    return f.fig;
  }

  /** A range glyph series (a bound drawn from the bound to the axis end) for lines(). */
  function rangeSeries(name, color, data, withLabels) {
    return {
      type: "custom", name, data, z: 3,
      encode: { x: 0, y: [1, 2], tooltip: [1, 2] },
      renderItem: (params, api) => {
        const x = api.value(0), lo = api.value(1), hi = api.value(2);
        const a = api.coord([x, lo]), b = api.coord([x, hi]);
        const w = 10;
        return {
          type: "group",
          children: [
            { type: "rect", shape: { x: a[0] - w / 2, y: Math.min(a[1], b[1]), width: w, height: Math.max(3, Math.abs(a[1] - b[1])) }, style: { fill: color, opacity: 0.3, stroke: color, lineWidth: 1.5, lineDash: [3, 2] } },
            { type: "line", shape: { x1: a[0] - w, y1: a[1], x2: a[0] + w, y2: a[1] }, style: { stroke: color, lineWidth: 2 } },
            ...(withLabels ? [{ type: "text", x: a[0], y: a[1] + 6, style: { text: String(api.value(3)).replace(/^(more than|less than|between [^ ]+) /, "$1\n"), fill: INK, fontSize: SIZE, fontFamily: FONT, align: "center", verticalAlign: "top", lineHeight: SIZE + 2 } }] : []),
          ],
        };
      },
    };
  }

  /**
   * Lines over years with gaps: series [{name, points: [{x, y, low, high, text}]}]. A point
   * with y null and a low or high is a published bound, drawn as a range glyph (the label
   * says "more than 95%"); a point with neither is a gap.
   * opts: title, unit, axisName, yMin, yMax, format, xFormat, xMin, xMax, dense, tableX.
   */
  function lines(container, series, opts) {
    const tableRows = [];
    for (const s of series) for (const p of s.points) tableRows.push({ series: s.name, x: p.x, xt: opts.xFormat ? opts.xFormat(p.x) : String(p.x), text: p.text ?? CM.num(p.y), sort: isNum(p.y) ? p.y : p.low ?? p.high ?? null });
    const many = series.length > 1;
    const f = figure(container, {
      ...opts,
      height: opts.height || 300,
      table: opts.table || {
        columns: [
          ...(many ? [{ key: "series", label: opts.seriesName || "Series" }] : []),
          { key: "xt", label: opts.xName || "Year", sortValue: (r) => r.x },
          { key: "text", label: opts.valueName || "Value", num: true, sortValue: (r) => r.sort },
        ],
        rows: tableRows,
      },
    });
    const out = [];
    const ceiling = opts.yMax;
    const floor = opts.yMin ?? 0;
    series.forEach((s, j) => {
      const color = s.color || PALETTE[j % PALETTE.length];
      const pts = s.points.slice().sort((a, b) => a.x - b.x);
      const dense = opts.dense || pts.length > 80;
      out.push({
        type: "line", name: s.name, connectNulls: false, showSymbol: !dense, symbolSize: 6,
        lineStyle: { width: dense ? 1.5 : 2, color }, itemStyle: { color },
        data: pts.map((p) => [p.x, isNum(p.y) ? p.y : null, p.text ?? ""]),
        tooltip: { formatter: (p) => esc(`${s.name}, ${opts.xFormat ? opts.xFormat(p.value[0]) : p.value[0]}: ${p.value[2] || CM.num(p.value[1])}`) },
      });
      const ranges = pts.filter((p) => !isNum(p.y) && (isNum(p.low) || isNum(p.high)));
      if (ranges.length) {
        const rs = rangeSeries(s.name, color, ranges.map((p) => [p.x, isNum(p.low) ? p.low : floor, isNum(p.high) ? p.high : ceiling, p.text ?? ""]), opts.rangeLabels);
        rs.tooltip = { formatter: (p) => esc(`${s.name}, ${p.value[0]}: ${p.value[3]}`) };
        out.push(rs);
      }
    });
    const xs = series.flatMap((s) => s.points.map((p) => p.x));
    return draw(f, () => base(opts, {
      legend: { ...legend(), top: undefined, bottom: 0, show: series.length > 1 || !!opts.legend, data: series.map((s) => s.name) },
      grid: { left: 8, right: 24, top: opts.axisName ? 36 : 16, bottom: series.length > 1 || opts.legend ? 14 + 30 * legendRows(series.map((s) => s.name), f.box.clientWidth || 600) : 8, containLabel: true },
      xAxis: { type: "value", min: opts.xMin ?? Math.min(...xs), max: opts.xMax ?? Math.max(...xs), minInterval: 1, axisLabel: { ...axisText, formatter: opts.xAxisFormat || yearFormat, hideOverlap: true }, splitLine: { show: false } },
      yAxis: valueAxis({ name: opts.axisName, min: opts.yMin, max: opts.yMax, format: opts.format, top: true }),
      tooltip: { ...base(opts).tooltip, trigger: "item" },
      series: out,
    }));
  }

  /**
   * Shares over years, stacked: series [{name, values: [share or null per year]}] with
   * exact shares (0-1); the top of the stack is the listed partners' combined share.
   */
  function stackedShares(container, years, series, opts) {
    const rows = [];
    series.forEach((s) => s.values.forEach((v, i) => rows.push({ series: s.name, year: years[i], text: isNum(v) ? CM.pct(v) : "no data", sort: v })));
    const f = figure(container, {
      ...opts,
      height: opts.height || 320,
      table: { columns: [{ key: "series", label: opts.seriesName || "Exporter" }, { key: "year", label: "Year", num: true }, { key: "text", label: "Share", num: true, sortValue: (r) => r.sort }], rows },
    });
    return draw(f, () => base(opts, {
      legend: { ...legend(), top: undefined, bottom: 0 },
      grid: { left: 8, right: 24, top: 36, bottom: 14 + 30 * legendRows(series.map((s) => s.name), f.box.clientWidth || 600), containLabel: true },
      xAxis: { type: "category", boundaryGap: false, data: years.map(String), axisLabel: { ...axisText, hideOverlap: true } },
      yAxis: valueAxis({ min: 0, max: 1, format: (v) => CM.pct(v, 0), name: opts.axisName, top: true }),
      tooltip: { ...base(opts).tooltip, trigger: "axis", valueFormatter: (v) => (isNum(v) ? CM.pct(v) : "no data") },
      series: series.map((s, j) => ({
        type: "line", name: s.name, stack: "shares", connectNulls: false, showSymbol: false,
        areaStyle: { opacity: 0.75 }, lineStyle: { width: 1 }, color: s.color || PALETTE[j % PALETTE.length],
        data: s.values.map((v) => (isNum(v) ? v : null)),
      })),
    }));
  }

  /**
   * Scatter with quadrant lines and labels that never overlap (placeLabels). Points with x_low/x_high draw their range; labels are placed by placeLabels.
   * opts: x(p), y(p), xLow(p), xHigh(p), label(p), name(p), color(p), href(p), tooltip(p),
   * xDomain, yDomain, xSplit, ySplit, xLabel, yLabel, xFormat, yFormat.
   */
  function scatter(container, points, opts) {
    const f = figure(container, {
      ...opts,
      height: opts.height || 460,
      table: opts.table,
    });
    const ranges = points.filter((p) => opts.xLow && isNum(opts.xLow(p)) && isNum(opts.xHigh(p)) && opts.xLow(p) !== opts.xHigh(p));
    // points at the same place (the rare earths share one reliance and one HHI) carry one
    // label naming them all, so labels never pile up on each other
    const at = {};
    points.forEach((p, i) => (at[`${CM.num(opts.x(p), 3)}|${CM.num(opts.y(p), 3)}`] ||= []).push(i));
    const labelOf = points.map(() => null);
    for (const idx of Object.values(at)) {
      const names = idx.map((i) => opts.label(points[i]));
      labelOf[idx[0]] = names.length <= 3 ? names.join(", ") : `${names.slice(0, 2).join(", ")} +${names.length - 2}`;
    }
    const split = [];
    if (opts.xSplit !== undefined) split.push({ xAxis: opts.xSplit });
    if (opts.ySplit !== undefined) split.push({ yAxis: opts.ySplit });
    const option = base(opts, {
      grid: { left: 8, right: 28, top: 36, bottom: opts.xLabel ? 36 : 8, containLabel: true },
      xAxis: { ...valueAxis({ name: opts.xLabel, min: opts.xDomain && opts.xDomain[0], max: opts.xDomain && opts.xDomain[1], format: opts.xFormat }) },
      yAxis: (() => { const y = valueAxis({ name: opts.yLabel, min: opts.yDomain && opts.yDomain[0], max: opts.yDomain && opts.yDomain[1], format: opts.yFormat, top: true }); y.axisLabel.showMinLabel = false; return y; })(),
      tooltip: { ...base(opts).tooltip, trigger: "item" },
      series: [
        {
          type: "custom", name: "range", silent: true, z: 1,
          data: ranges.map((p) => [opts.xLow(p), opts.xHigh(p), opts.y(p)]),
          encode: { x: [0, 1], y: 2 },
          renderItem: (params, api) => {
            const a = api.coord([api.value(0), api.value(2)]), b = api.coord([api.value(1), api.value(2)]);
            return { type: "line", shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style: { stroke: "#8a97a3", lineWidth: 2 } };
          },
        },
        {
          type: "scatter", name: opts.title, symbolSize: 11, z: 2, cursor: opts.href ? "pointer" : "default",
          // a point near the right edge carries its label on its left, inside the drawing
          data: points.map((p, i) => ({ value: [opts.x(p), opts.y(p)], label: { show: !!labelOf[i], position: opts.xDomain && opts.x(p) > opts.xDomain[0] + 0.85 * (opts.xDomain[1] - opts.xDomain[0]) ? "left" : "right" }, itemStyle: { color: opts.color ? opts.color(p) : PALETTE[0], opacity: 0.9, borderColor: "#fff", borderWidth: 1 } })),
          label: { show: true, position: "right", fontSize: SIZE, color: INK, formatter: (p) => labelOf[p.dataIndex] || "" },

          tooltip: { formatter: (p) => {
            const same = at[`${CM.num(opts.x(points[p.dataIndex]), 3)}|${CM.num(opts.y(points[p.dataIndex]), 3)}`];
            return same.map((i) => esc(opts.tooltip ? opts.tooltip(points[i]) : opts.label(points[i]))).join("<br>");
          } },
          markLine: split.length ? { silent: true, symbol: "none", label: { show: false }, lineStyle: { color: "#b3261e", type: "dashed" }, data: split } : undefined,
        },
      ],
    });
    draw(f, option);
    placeLabels(f, option, points, opts, labelOf);
    f.fig.after = () => placeLabels(f, option, points, opts, labelOf);
    if (opts.href) f.chart.on("click", (p) => p.seriesType === "scatter" && (window.location.href = opts.href(points[p.dataIndex])));
    return f.fig;
  }


  /**
   * Place each point's label where it overlaps no other label and stays inside the plot:
   * right of the point, else left, above, below, then a little higher or lower; a label
   * that fits nowhere is left out of the drawing (the tooltip and the table have it).
   */
  function placeLabels(f, option, points, opts, labelOf) {
    const chart = f.chart;
    const px = (v) => chart.convertToPixel({ seriesIndex: 1 }, v);
    const [x0, x1] = opts.xDomain || [0, 1], [y0, y1] = opts.yDomain || [0, 1];
    const a = px([x0, y0]), b = px([x1, y1]);
    if (!a || !b) return;
    const rect = { l: Math.min(a[0], b[0]), r: Math.max(a[0], b[0]) + 24, t: Math.min(a[1], b[1]) - 2, b: Math.max(a[1], b[1]) };
    const H = SIZE + 3, gap = 7;
    const placed = [];
    const free = (box) => box.l >= rect.l && box.r <= rect.r && box.t >= rect.t && box.b <= rect.b &&
      placed.every((o) => box.r <= o.l || box.l >= o.r || box.b <= o.t || box.t >= o.b);
    const order = points.map((p, i) => i).filter((i) => labelOf[i]).sort((i, j) => opts.y(points[j]) - opts.y(points[i]) || opts.x(points[j]) - opts.x(points[i]));
    const where = {};
    for (const i of order) {
      const [cx, cy] = px([opts.x(points[i]), opts.y(points[i])]);
      const w = textWidth(labelOf[i]) + 2;
      const spots = [[cx + gap, cy - H / 2], [cx - gap - w, cy - H / 2], [cx - w / 2, cy - gap - H], [cx - w / 2, cy + gap],
        [cx + gap, cy - H / 2 - H], [cx + gap, cy + H / 2], [cx - gap - w, cy - H / 2 - H], [cx - gap - w, cy + H / 2],
        [cx + gap, cy - H / 2 - 2 * H], [cx + gap, cy + H / 2 + H], [cx - gap - w, cy - H / 2 - 2 * H], [cx - gap - w, cy + H / 2 + H]];
      for (const [l, t] of spots) {
        const box = { l, r: l + w, t, b: t + H };
        if (free(box)) {
          placed.push(box);
          where[i] = [l - (cx - 5.5), t + H / 2 - (cy - 5.5)];
          break;
        }
      }
    }
    const s = option.series[1];
    s.data = s.data.map((d, i) => ({ ...d, label: where[i] ? { show: true, position: where[i], align: "left", verticalAlign: "middle" } : { show: false } }));
    s.labelLayout = undefined;
    chart.setOption({ series: [{}, { data: s.data, labelLayout: null }] });
  }

  /** Dumbbell: two values per row on one scale (mine and processing HHI), joined by a line. */
  function dumbbell(container, rows, opts) {
    const label = opts.label;
    const f = figure(container, {
      ...opts,
      height: opts.height || 60 + rows.length * 24,
      table: opts.table || {
        columns: [
          { key: "name", label: opts.labelName || "Name", header: true },
          { key: "a", label: opts.aName, num: true, format: (v) => CM.num(v, 2) },
          { key: "b", label: opts.bName, num: true, format: (v) => CM.num(v, 2) },
        ],
        rows: rows.map((r) => ({ name: label(r), a: opts.a(r), b: opts.b(r) })),
      },
    });
    const names = rows.map(label);
    const option = base(opts, {
      legend: { ...legend(), data: [opts.aName, opts.bName] },
      grid: { left: 8, right: 24, top: 12 + 30 * legendRows([opts.aName, opts.bName], f.box.clientWidth || 600), bottom: opts.axisName ? 40 : 24, containLabel: true },
      xAxis: valueAxis({ min: 0, max: opts.max || 1, name: opts.axisName, format: opts.format || ((v) => CM.num(v, 1)) }),
      yAxis: { type: "category", inverse: true, data: names, axisLabel: { ...axisText, color: INK, width: 140, overflow: "truncate", interval: 0 }, axisTick: { show: false } },
      tooltip: { ...base(opts).tooltip, trigger: "item", formatter: (p) => esc(opts.tooltip ? opts.tooltip(rows[p.dataIndex]) : names[p.dataIndex]) },
      series: [
        {
          type: "custom", name: "connector", silent: true, z: 1,
          data: rows.map((r, i) => [opts.a(r), opts.b(r), i]).filter((d) => isNum(d[0]) && isNum(d[1])),
          encode: { x: [0, 1], y: 2 },
          renderItem: (params, api) => {
            const a = api.coord([api.value(0), api.value(2)]), b = api.coord([api.value(1), api.value(2)]);
            return { type: "line", shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style: { stroke: "#9aa7b3", lineWidth: 2 } };
          },
        },
        { type: "scatter", name: opts.aName, symbolSize: 10, color: PALETTE[0], z: 2, data: rows.map((r, i) => [opts.a(r), i]) },
        { type: "scatter", name: opts.bName, symbolSize: 10, color: PALETTE[1], z: 2, data: rows.map((r, i) => [opts.b(r), i]) },
      ],
    });
    draw(f, option);
    if (opts.href) f.chart.on("click", (p) => p.seriesType === "scatter" && (window.location.href = opts.href(rows[p.dataIndex])));
    return f.fig;
  }

  /**
   * Flows from the left column (exporters) to the right column (importers).
   * links: [{from, to, value}] with from/to keys; opts.names {key: label}, opts.format(v).
   */
  function sankey(container, links, opts) {
    opts = { minLabelShare: 0.02, ...opts };
    const fmt = opts.format || CM.short;
    const fromNames = opts.fromNames || opts.names || {};
    const toNames = opts.toNames || opts.names || {};
    const from = [...new Set(links.map((l) => l.from))];
    const to = [...new Set(links.map((l) => l.to))];
    const nodeId = (side, k) => `${side}:${k}`;
    const f = figure(container, {
      ...opts,
      height: opts.height || Math.max(320, 28 * Math.max(from.length, to.length)),
      table: opts.table || {
        columns: [
          { key: "from", label: opts.fromName || "Exporter" },
          { key: "to", label: opts.toName || "Importer" },
          { key: "value", label: opts.valueName || "Amount", num: true, format: (v) => CM.num(v, 0) },
        ],
        rows: links.map((l) => ({ from: fromNames[l.from] || l.from, to: toNames[l.to] || l.to, value: l.value })),
      },
    });
    const label = (id) => {
      const k = id.slice(2);
      return (id[0] === "x" ? fromNames[k] : toNames[k]) || k;
    };
    // a node too thin for a 12 px label gets none (its name is in the tooltip and the table)
    const total = links.reduce((a, l) => a + l.value, 0) || 1;
    const sum = (side, k) => links.reduce((a, l) => a + (l[side] === k ? l.value : 0), 0);
    const big = (side, k) => sum(side, k) / total >= opts.minLabelShare;
    return draw(f, () => base(opts, {
      tooltip: {
        ...base(opts).tooltip, trigger: "item",
        formatter: (p) => esc(p.dataType === "edge" ? `${label(p.data.source)} → ${label(p.data.target)}: ${fmt(p.data.value)}${opts.unit ? " " + opts.unit : ""}` : `${label(p.name)}: ${fmt(p.value)}${opts.unit ? " " + opts.unit : ""}`),
      },
      series: [{
        type: "sankey", left: 8, right: 8, top: 8, bottom: 8, nodeGap: 6, nodeWidth: 14, layoutIterations: 0,
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", opacity: 0.45, curveness: 0.5 },
        label: { fontSize: SIZE, color: INK, formatter: (p) => label(p.name) },
        data: [
          ...from.map((k, i) => ({ name: nodeId("x", k), depth: 0, itemStyle: { color: PALETTE[i % PALETTE.length] }, label: { position: "right", show: big("from", k) } })),
          ...to.map((k) => ({ name: nodeId("m", k), depth: 1, itemStyle: { color: "#8a97a3" }, label: { position: "left", show: big("to", k) } })),
        ],
        links: links.map((l) => ({ source: nodeId("x", l.from), target: nodeId("m", l.to), value: l.value })),
      }],
    }));
  }

  // --- world map: Natural Earth 1:110m countries (world-atlas) on the Natural Earth projection -----
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
  let mapReady = null;
  async function registerWorld() {
    if (!mapReady) {
      mapReady = Promise.all([loadTopology(), CM.loadCountries()]).then(([topo]) => {
        const byNumeric = {};
        for (const [iso3, c] of Object.entries(CM.countryNames)) if (c.iso_numeric) byNumeric[c.iso_numeric] = iso3;
        const fc = window.topojson.feature(topo, topo.objects.countries);
        // Antarctica: no production data, and it takes a third of the drawing
        fc.features = fc.features.filter((ft) => ft.id !== "010" && ft.geometry);
        for (const ft of fc.features) ft.properties = { name: byNumeric[ft.id] || `n${ft.id}`, label: (ft.properties && ft.properties.name) || "" };
        window.echarts.registerMap("world-110m", fc);
        return fc;
      });
    }
    return mapReady;
  }
  /** Choropleth: values {ISO3: number}; opts: title, legendTitle, format(v), max, unit, source. */
  async function worldMap(container, values, opts) {
    const fc = await registerWorld();
    const fmt = opts.format || ((v) => CM.num(v));
    const nums = Object.values(values).filter(isNum);
    const max = opts.max || Math.max(1e-9, ...nums);
    const f = figure(container, {
      ...opts,
      height: opts.height || 420,
      table: {
        columns: [{ key: "name", label: "Country", header: true }, { key: "value", label: opts.legendTitle || "Value", num: true, format: (v) => fmt(v) }],
        rows: Object.entries(values).filter(([, v]) => isNum(v)).map(([k, v]) => ({ iso3: k, name: CM.countryName(k), value: v })).sort((a, b) => b.value - a.value),
        testid: opts.tableTestid,
      },
    });
    const data = fc.features.map((ft) => ({ name: ft.properties.name, value: isNum(values[ft.properties.name]) ? values[ft.properties.name] : null }));
    return draw(f, () => base(opts, {
      tooltip: { ...base(opts).tooltip, trigger: "item", formatter: (p) => esc(`${CM.countryName(p.name) || p.name}: ${isNum(p.value) ? fmt(p.value) : "no data"}`) },
      visualMap: {
        min: 0, max, left: 8, bottom: 8, calculable: false, orient: "horizontal", itemWidth: 12, itemHeight: 120,
        text: [fmt(max), fmt(0)], textStyle: { fontSize: SIZE, color: INK },
        inRange: { color: ["#e6f0f7", "#7fa6c4", "#124678"] }, outOfRange: { color: "#e8ecef" },
      },
      series: [{
        type: "map", map: "world-110m", roam: false, left: 8, right: 8, top: 8, bottom: 48,
        projection: {
          project: (pt) => { const [x, y] = naturalEarth(pt[0], pt[1]); return [x * 100, -y * 100]; },
          unproject: (pt) => [pt[0] / 100 / 0.8707 * 180 / Math.PI, -pt[1] / 100 * 180 / Math.PI],
        },
        itemStyle: { areaColor: "#e8ecef", borderColor: "#fff", borderWidth: 0.5 },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#f0b36b" } },
        select: { disabled: true },
        data,
      }],
    }));
  }

  /** Dated items on a time axis, today marked; passed items grey, the next one orange. */
  function timeline(container, data, opts) {
    const items = data.items;
    const f = figure(container, {
      ...opts,
      height: opts.height || 200,
      table: {
        columns: [{ key: "date", label: "Date" }, { key: "title", label: "What" }, { key: "status", label: "Status" }],
        rows: items.map((it) => ({ date: it.date, title: it.title, status: it.is_next ? "next" : it.status })),
      },
    });
    const color = (it) => (it.is_next ? "#c45f12" : it.status === "passed" ? "#8a97a3" : PALETTE[0]);
    return draw(f, () => base(opts, {
      grid: { left: 24, right: 24, top: 24, bottom: 28 },
      xAxis: { type: "time", axisLabel: { ...axisText, hideOverlap: true }, splitLine: { show: false } },
      yAxis: { type: "value", show: false, min: -2, max: 2 },
      tooltip: { ...base(opts).tooltip, trigger: "item", formatter: (p) => esc(`${items[p.dataIndex].date}: ${items[p.dataIndex].title}`) },
      series: [{
        type: "scatter",
        data: items.map((it, i) => ({ value: [it.date, i % 2 ? -0.8 : 0.8], symbolSize: it.is_next ? 16 : 11, itemStyle: { color: color(it) } })),
        label: { show: true, position: "top", fontSize: SIZE, color: INK, formatter: (p) => (items[p.dataIndex].precision === "month" ? items[p.dataIndex].date.slice(0, 7) : items[p.dataIndex].date.slice(2)) },
        labelLayout: { hideOverlap: true },
        markLine: { silent: true, symbol: "none", lineStyle: { color: "#b3261e", type: "dashed", width: 2 }, label: { formatter: "today " + data.today, fontSize: SIZE, color: "#b3261e" }, data: [{ xAxis: data.today }] },
      }],
    }));
  }

  /** Vertical grouped bars: categories on x, one bar per series (the scenario builder's). */
  function groupedBars(container, categories, series, opts = {}) {
    const rows = [];
    categories.forEach((c, i) => series.forEach((s) => rows.push({ category: String(c), series: s.name, value: s.values[i] })));
    const title = opts.title || `${series.map((s) => s.name).join(" and ")} by ${opts.categoryName || "region"}${opts.unit ? " (" + opts.unit + ")" : ""}`;
    const f = figure(container, {
      ...opts, title, height: opts.height || 280,
      table: { columns: [{ key: "category", label: opts.categoryName || "Region" }, { key: "series", label: "Series" }, { key: "value", label: opts.unit || "Value", num: true, format: (v) => CM.num(v) }], rows },
    });
    return draw(f, () => base({ ...opts, title }, {
      legend: { ...legend(), data: series.map((s) => s.name) },
      grid: { left: 8, right: 16, top: 12 + 30 * legendRows(series.map((s) => s.name), f.box.clientWidth || 600), bottom: 8, containLabel: true },
      xAxis: { type: "category", data: categories.map(String), axisLabel: { ...axisText, color: INK, interval: 0, hideOverlap: true } },
      yAxis: valueAxis({}),
      tooltip: { ...base(opts).tooltip, trigger: "axis", valueFormatter: (v) => `${CM.num(v)}${opts.unit ? " " + opts.unit : ""}` },
      series: series.map((s, j) => ({ type: "bar", name: s.name, barMaxWidth: 36, color: s.color || PALETTE[j % PALETTE.length], data: s.values.map((v) => (isNum(v) ? v : null)) })),
    }));
  }


  // --- risk-run charts (issue 13): histogram, fan, tornado --------------------------------------

  /**
   * Histogram of a run's outcome: hist {edges (n+1), counts (n), shares (n), n, excluded};
   * bars span their bins on a value axis. opts: title, axisName, format, unit, note.
   */
  function histogram(container, hist, opts) {
    const fmt = opts.format || CM.short;
    const edges = hist.edges || [], counts = hist.counts || [], shares = hist.shares || [];
    const bins = counts.map((c, i) => ({ lo: edges[i], hi: edges[i + 1], count: c, share: shares[i] }));
    const f = figure(container, {
      ...opts,
      height: opts.height || 240,
      note: [opts.note, `${CM.num(hist.n || 0, 0)} values${hist.excluded ? `; ${CM.num(hist.excluded, 0)} not solved, left out (never counted as zero)` : ""}.`].filter(Boolean).join(" "),
      table: {
        columns: [
          { key: "range", label: opts.axisName || "Bin", sortValue: (r) => r.lo },
          { key: "count", label: "Count", num: true },
          { key: "share", label: "Share", num: true, format: (v) => CM.pct(v) },
        ],
        rows: bins.map((b) => ({ ...b, range: `${fmt(b.lo)} to ${fmt(b.hi)}` })),
      },
    });
    const lo = edges.length ? edges[0] : 0, hi = edges.length ? edges[edges.length - 1] : 1;
    const pad = hi > lo ? 0 : Math.max(1, Math.abs(lo) * 0.1);
    return draw(f, () => base(opts, {
      grid: { left: 8, right: 16, top: 28, bottom: opts.axisName ? 40 : 16, containLabel: true },
      xAxis: (() => {
        const ax = valueAxis({ name: opts.axisName, format: fmt });
        // the bins' own ends as the axis ends; their odd values would crowd the round ticks
        return { ...ax, min: lo - pad, max: hi + pad, scale: true, axisLabel: { ...ax.axisLabel, showMinLabel: false, showMaxLabel: false } };
      })(),
      yAxis: { ...valueAxis({ name: opts.countName || "count", top: true, minInterval: 1 }), nameTextStyle: { fontSize: SIZE, color: INK, align: "left", padding: [0, 0, 0, -8] } },
      tooltip: { ...base(opts).tooltip, trigger: "item", formatter: (p) => esc(`${fmt(bins[p.dataIndex].lo)} to ${fmt(bins[p.dataIndex].hi)}: ${CM.num(bins[p.dataIndex].count, 0)} (${CM.pct(bins[p.dataIndex].share)})`) },
      series: [{
        type: "custom", name: opts.axisName || "count",
        data: bins.map((b) => [b.lo, b.hi, b.count]),
        encode: { x: [0, 1], y: 2 },
        renderItem: (params, api) => {
          const a = api.coord([api.value(0), api.value(2)]), b = api.coord([api.value(1), 0]);
          const w = Math.max(2, b[0] - a[0] - 1);
          return { type: "rect", shape: { x: a[0], y: a[1], width: w, height: Math.max(0, b[1] - a[1]) }, style: { fill: opts.color || PALETTE[0] } };
        },
      }],
    }));
  }

  /**
   * Fan chart: quantiles by year, rows [{year, p5, p25, p50, p75, p95}]; bands 5-95 % and
   * 25-75 % with the median. opts: title, axisName, format, unit.
   */
  function fan(container, rows, opts) {
    const fmt = opts.format || CM.short;
    const f = figure(container, {
      ...opts,
      height: opts.height || 280,
      table: {
        columns: [{ key: "year", label: "Year", num: true }, ...["p5", "p25", "p50", "p75", "p95"].map((k) => ({ key: k, label: k === "p50" ? "median" : `${k.slice(1)}th pct`, num: true, format: (v) => fmt(v) }))],
        rows,
      },
    });
    const x = rows.map((r) => r.year);
    const band = (name, lo, hi, color, stack) => [
      { type: "line", name: `${name} low`, stack, data: rows.map((r) => [r.year, r[lo]]), lineStyle: { opacity: 0 }, showSymbol: false, silent: true, tooltip: { show: false } },
      { type: "line", name, stack, color, data: rows.map((r) => [r.year, r[hi] - r[lo]]), lineStyle: { opacity: 0 }, showSymbol: false, areaStyle: { color, opacity: 1 }, silent: true, tooltip: { show: false } },
    ];
    const names = ["5 to 95th percentile", "25 to 75th percentile", "median"];
    return draw(f, () => base(opts, {
      legend: { ...legend(), top: undefined, bottom: 0, data: names.map((n, i) => ({ name: n, icon: i < 2 ? "rect" : "roundRect" })) },
      grid: { left: 8, right: 24, top: 36, bottom: 14 + 30 * legendRows(names, f.box.clientWidth || 600), containLabel: true },
      xAxis: { type: "value", min: Math.min(...x), max: Math.max(...x), minInterval: 1, axisLabel: { ...axisText, formatter: (v) => (Number.isInteger(v) ? `year ${v}` : "") , hideOverlap: true }, splitLine: { show: false } },
      yAxis: valueAxis({ name: opts.axisName, format: fmt, top: true }),
      tooltip: { ...base(opts).tooltip, trigger: "axis", formatter: (ps) => { const r = rows.find((q) => q.year === ps[0].value[0]); return r ? esc(`year ${r.year}: median ${fmt(r.p50)}; 25-75th ${fmt(r.p25)} to ${fmt(r.p75)}; 5-95th ${fmt(r.p5)} to ${fmt(r.p95)}`) : ""; } },
      series: [
        ...band("5 to 95th percentile", "p5", "p95", "#cfdeea", "outer"),
        ...band("25 to 75th percentile", "p25", "p75", "#8fb0cf", "inner"),
        { type: "line", name: "median", data: rows.map((r) => [r.year, r.p50]), lineStyle: { width: 2, color: PALETTE[0] }, itemStyle: { color: PALETTE[0] }, showSymbol: rows.length < 25 },
      ],
    }));
  }

  /**
   * Tornado of drivers: rows [{input, low, high}] (mean outcome at the input's low and high
   * values), largest swing on top; a bar from one to the other, orange when the outcome rises
   * with the input, blue when it falls. opts: title, axisName, format, labelName, extraColumns.
   */
  function tornado(container, rows, opts) {
    const fmt = opts.format || CM.short;
    const items = rows.map((r) => ({ r, a: Math.min(r.low, r.high), b: Math.max(r.low, r.high), up: r.high >= r.low }));
    const f = figure(container, {
      ...opts,
      height: opts.height || 60 + rows.length * 28,
      table: {
        columns: [
          { key: "input", label: opts.labelName || "Input", header: true },
          { key: "low", label: "Mean at its low values", num: true, format: (v) => fmt(v) },
          { key: "high", label: "Mean at its high values", num: true, format: (v) => fmt(v) },
          { key: "swing", label: "Swing", num: true, format: (v) => fmt(v) },
          ...(opts.extraColumns || []),
        ],
        rows: rows.map((r) => ({ ...r, swing: r.swing ?? Math.abs(r.high - r.low) })),
      },
    });
    const widest = Math.max(...rows.map((r) => textWidth(r.input))) + 12;
    return draw(f, () => { const labelW = Math.min(200, widest, (f.box.clientWidth || 600) * 0.38); return base(opts, {
      grid: { left: 8, right: 24, top: 8, bottom: opts.axisName ? 40 : 24, containLabel: true },
      yAxis: { type: "category", inverse: true, data: rows.map((r) => r.input), axisLabel: { ...axisText, color: INK, width: labelW, overflow: "truncate", interval: 0 }, axisTick: { show: false } },
      tooltip: { ...base(opts).tooltip, trigger: "item", formatter: (p) => { const x = items[p.dataIndex]; return esc(`${x.r.input}: ${fmt(x.r.low)} at its low values, ${fmt(x.r.high)} at its high values`); } },
      xAxis: { ...valueAxis({ name: opts.axisName, format: fmt }), min: (v) => Math.min(v.min, 0), scale: true },
      series: [{
        // a custom bar from a to b (a stacked transparent base would break on negative values)
        type: "custom", data: items.map((x, i) => [x.a, x.b, i]), encode: { x: [0, 1], y: 2 },
        renderItem: (params, api) => {
          const p = api.coord([api.value(0), api.value(2)]), q = api.coord([api.value(1), api.value(2)]);
          const h = Math.min(18, api.size([0, 1])[1] * 0.6);
          return { type: "rect", shape: { x: p[0], y: p[1] - h / 2, width: Math.max(2, q[0] - p[0]), height: h }, style: { fill: items[params.dataIndex].up ? PALETTE[1] : PALETTE[0] } };
        },
      }],
    }); });
  }

  CM.charts = { bars, lines, stackedShares, scatter, dumbbell, sankey, worldMap, timeline, groupedBars, loadTopology, PALETTE };
  Object.assign(CM.charts, { histogram, fan, tornado });
})();

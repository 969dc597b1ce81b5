/* A mineral's page: reliance, production by stage, concentration, import sources, controls, risk. */
"use strict";

(function () {
  const CM = window.CM;
  CM.pages = CM.pages || {};

  function tags(m) {
    return CM.el("p", {}, [
      ...[2018, 2022, 2025].map((y) => CM.el("span", { class: "tag" + (m[`on_list_${y}`] ? " on" : ""), text: `${m[`on_list_${y}`] ? "on" : "not on"} ${y} list` })),
      m.symbol ? CM.el("span", { class: "tag", text: `symbol ${m.symbol}` }) : null,
      m.group_id ? CM.el("a", { class: "tag", href: "/minerals/" + encodeURIComponent(m.group_id), text: `part of ${m.group_id}` }) : null,
      m.members && m.members.length ? CM.el("span", { class: "tag", text: `members: ${m.members.join(", ")}` }) : null,
    ]);
  }

  function kpi(value, label, testid) {
    return CM.el("div", { class: "kpi", "data-testid": testid }, [CM.el("div", { class: "value", text: String(value) }), CM.el("div", { class: "label", text: label })]);
  }

  async function reliance(id, grid, kpis) {
    const res = await CM.api(`/minerals/${encodeURIComponent(id)}/nir`);
    const card = CM.card("US net import reliance, by MCS edition", null, {
      testid: "nir-history",
      subtitle: "As published: bounds (>75), withheld (W) and net exporter (E) are kept, never turned into numbers.",
      actions: [CM.downloadLink(`/minerals/${encodeURIComponent(id)}/nir`)],
      source: "USGS Mineral Commodity Summaries 2023-2026, net import reliance figure",
    });
    grid.appendChild(card);
    if (!res.items.length) {
      card.body.appendChild(CM.notice("USGS publishes no net import reliance for this mineral."));
      kpis.appendChild(kpi("–", "net import reliance: not published", "kpi-nir"));
      return;
    }
    const latest = res.items.reduce((a, b) => (b.vintage > a.vintage ? b : a));
    kpis.appendChild(kpi(latest.nir_display + (/^[<>]?[\d.,–-]+e?$/.test(latest.nir_display) ? " %" : ""), `net import reliance ${latest.year} (MCS ${latest.vintage})${latest.form ? ", " + latest.form : ""}`, "kpi-nir"));
    const forms = [...new Set(res.items.map((r) => r.form || "all forms"))];
    const series = forms.map((f) => ({
      name: f,
      points: res.items.filter((r) => (r.form || "all forms") === f).map((r) => ({ x: r.year, y: r.nir_value, label: r.nir_display + " %" })),
    }));
    if (series.some((s) => s.points.some((p) => p.y !== null))) CM.charts.line(card.body, series, { unit: "% of apparent consumption", yMax: 100 });
    card.body.appendChild(
      CM.table(
        [
          { key: "vintage", label: "MCS", num: true },
          { key: "year", label: "Year", num: true },
          { key: "form", label: "Form" },
          { key: "nir_display", label: "NIR (%)", num: true },
          { key: "nir_qualifier", label: "Qualifier" },
          { key: "import_sources", label: "Major import sources" },
        ],
        res.items,
        { testid: "nir-table", compact: true }
      )
    );
  }

  /** The latest MCS edition that has each stage (editions differ in which stages they cover). */
  function stageRequests(id, m) {
    const out = [];
    for (const stage of ["mine", "processing", "unspecified"]) {
      const s = (m.production_series || []).find((x) => x.stage === stage && x.measure === "production");
      if (s) out.push(`/minerals/${encodeURIComponent(id)}/production?stage=${stage}&vintage=${Math.max(...s.vintages)}`);
    }
    return out;
  }

  async function production(id, m, grid) {
    const paths = stageRequests(id, m);
    if (!paths.length) {
      grid.appendChild(CM.card("World production", CM.notice("The USGS world tables in the snapshot have no production series for this mineral.")));
      return;
    }
    const answers = await Promise.all(paths.map((p) => CM.api(p)));
    const bySeries = {};
    const metaOf = {};
    for (const res of answers)
      for (const r of res.items) {
        const key = `${r.stage}|${r.series_label}|${r.form}|${r.unit}`;
        (bySeries[key] ||= []).push(r);
        metaOf[key] = res.meta;
      }
    const keys = Object.keys(bySeries).sort((a, b) => (a.startsWith("mine") ? -1 : 1) - (b.startsWith("mine") ? -1 : 1));
    for (const key of keys) {
      const rows = bySeries[key];
      const [stage, label, form, unit] = key.split("|");
      const res = { meta: metaOf[key] };
      const countries = rows.filter((r) => r.country_kind === "country");
      const world = rows.find((r) => r.country_kind === "world");
      const card = CM.card(`${stage === "mine" ? "Mine" : stage === "processing" ? "Processing" : "Production"}: ${label}${form ? " (" + form + ")" : ""}, ${res.meta.year} (MCS ${res.meta.vintage})`, null, {
        testid: `production-${stage}`,
        subtitle: `World total ${world ? world.display : "not published"} ${unit}. Shares are of the published world total; a withheld (W) value has no bar and no share.`,
        actions: [CM.downloadLink(`/minerals/${encodeURIComponent(id)}/production?stage=${stage}&vintage=${res.meta.vintage}`)],
        source: res.meta.source,
      });
      grid.appendChild(card);
      CM.charts.hbar(card.body, countries.slice(0, 15), {
        label: (r) => r.country_name,
        value: (r) => r.value,
        text: (r) => (r.value === null ? r.display : `${r.display}${r.share !== null ? " (" + CM.pct(r.share, 0) + ")" : ""}`),
        unit,
        tooltip: (r) => `${r.country_name}: ${r.display} ${unit}${r.share !== null ? ", " + CM.pct(r.share) + " of world" : ""} (${r.qualifier})`,
      });
      card.body.appendChild(
        CM.table(
          [
            { key: "country_name", label: "Country" },
            { key: "display", label: `Value (${unit})`, num: true, sortValue: (r) => r.value },
            { key: "qualifier", label: "Qualifier" },
            { key: "share", label: "Share", num: true, format: (v) => CM.pct(v) },
          ],
          rows,
          { testid: `production-table-${stage}`, compact: true, maxRows: 12 }
        )
      );
    }
  }

  async function concentration(id, grid, kpis) {
    let res;
    try {
      res = await CM.api(`/minerals/${encodeURIComponent(id)}/concentration`);
    } catch (err) {
      if (err.status === 404 || err.status === 503) return;
      throw err;
    }
    const latest = {};
    for (const r of res.items) if (r.status !== "insufficient_data") latest[r.stage] = r;
    if (latest.processing) kpis.appendChild(kpi(CM.num(latest.processing.hhi, 2), `processing HHI (top: ${CM.countryName(latest.processing.top1_country)} ${CM.pct(latest.processing.top1_share, 0)})`, "kpi-processing-hhi"));
    if (latest.mine) kpis.appendChild(kpi(CM.num(latest.mine.hhi, 2), `mine HHI (top: ${CM.countryName(latest.mine.top1_country)} ${CM.pct(latest.mine.top1_share, 0)})`, "kpi-mine-hhi"));
    const card = CM.card("Concentration by stage and MCS edition", null, {
      testid: "concentration",
      subtitle: "HHI on a 0-1 scale; 'partial' where a listed country is withheld (the HHI then lies between hhi and hhi_max).",
      actions: [CM.downloadLink(`/minerals/${encodeURIComponent(id)}/concentration`)],
      source: "USGS MCS world production tables; critmin.analysis.concentration",
    });
    grid.appendChild(card);
    card.body.appendChild(
      CM.table(
        [
          { key: "stage", label: "Stage" },
          { key: "vintage", label: "MCS", num: true },
          { key: "year", label: "Year", num: true },
          { key: "hhi", label: "HHI", num: true, format: (v) => CM.num(v, 3) },
          { key: "hhi_max", label: "HHI max", num: true, format: (v) => CM.num(v, 3) },
          { key: "top1_country", label: "Top", format: (v) => CM.countryName(v) },
          { key: "top1_share", label: "Top share", num: true, format: (v) => CM.pct(v) },
          { key: "china_share", label: "China", num: true, format: (v) => CM.pct(v) },
          { key: "status", label: "Status" },
        ],
        res.items,
        { compact: true }
      )
    );
  }

  async function imports(id, grid) {
    const [shares, customs] = await Promise.all([
      CM.api(`/minerals/${encodeURIComponent(id)}/import-shares`),
      CM.api(`/minerals/${encodeURIComponent(id)}/customs?limit=10000&period=annual`),
    ]);
    const card = CM.card("US import sources", null, {
      testid: "import-shares",
      subtitle: "Share of US imports by partner as published by USGS (MCS 2026).",
      actions: [CM.downloadLink(`/minerals/${encodeURIComponent(id)}/import-shares`)],
      source: shares.meta.source,
    });
    grid.appendChild(card);
    if (!shares.items.length) card.body.appendChild(CM.notice("No import-source shares published for this mineral."));
    else {
      const forms = [...new Set(shares.items.map((r) => r.form))];
      for (const f of forms) {
        if (forms.length > 1) card.body.appendChild(CM.el("h3", { text: f || "all forms" }));
        CM.charts.hbar(card.body, shares.items.filter((r) => r.form === f).slice(0, 12), {
          label: (r) => r.partner_name,
          value: (r) => r.share_pct,
          text: (r) => (r.share_pct === null ? r.raw : `${CM.num(r.share_pct, 0)} %`),
          max: 100,
          unit: "% of US imports, " + (shares.items[0].period || ""),
        });
      }
    }
    const c2 = CM.card("US imports for consumption by partner", null, {
      testid: "customs",
      subtitle: "Customs value of the HTS headings mapped to this mineral, top partners.",
      actions: [CM.downloadLink(`/minerals/${encodeURIComponent(id)}/customs?limit=10000`)],
      source: customs.meta.source,
    });
    grid.appendChild(c2);
    if (!customs.items.length) {
      c2.body.appendChild(CM.notice("No USITC HTS heading in the snapshot maps to this mineral."));
      return;
    }
    const byPartner = {};
    for (const r of customs.items) {
      const p = (byPartner[r.partner_name] ||= {});
      p[r.year] = (p[r.year] || 0) + (r.customs_value_usd || 0);
    }
    const totals = Object.entries(byPartner).map(([k, v]) => [k, Object.values(v).reduce((a, b) => a + b, 0)]).sort((a, b) => b[1] - a[1]);
    const years = [...new Set(customs.items.map((r) => r.year))].sort();
    const series = totals.slice(0, 6).map(([name]) => ({ name, points: years.map((y) => ({ x: y, y: byPartner[name][y] ?? 0 })) }));
    CM.charts.line(c2.body, series, { unit: "US$ customs value" });
  }

  async function controls(id, grid) {
    const res = await CM.api(`/tracker/export-controls?mineral=${encodeURIComponent(id)}`);
    const card = CM.card("Export controls on this mineral", null, {
      testid: "controls",
      actions: [CM.downloadLink(`/tracker/export-controls?mineral=${encodeURIComponent(id)}`)],
      source: "MOFCOM announcements (compiled), USGS MCS 2026 table 4",
    });
    grid.appendChild(card);
    if (!res.items.length) {
      card.body.appendChild(CM.el("p", { class: "muted", text: "No export control on record for this mineral." }));
      return;
    }
    card.body.appendChild(
      CM.table(
        [
          { key: "country_name", label: "Country" },
          { key: "measure_id", label: "Measure" },
          { key: "control_type", label: "Type" },
          { key: "effective_date", label: "Effective" },
          { key: "status", label: "Status" },
        ],
        res.items,
        { compact: true }
      )
    );
  }

  async function prices(id, grid) {
    const res = await CM.api(`/minerals/${encodeURIComponent(id)}/prices?basis=nominal`);
    if (!res.items.length) return;
    const card = CM.card("Prices", null, {
      testid: "prices",
      wide: true,
      subtitle: "Nominal prices as published; withheld or missing years are gaps, not zeros. Volatility is annualised from log returns.",
      actions: [CM.downloadLink(`/minerals/${encodeURIComponent(id)}/prices`)],
      source: [...new Set(res.meta.series.map((s) => s.source_id))].join(", "),
    });
    grid.appendChild(card);
    for (const s of res.meta.series) {
      const rows = res.items.filter((r) => r.series_id === s.series_id);
      const points = rows.map((r) => ({ x: r.month ? r.year + (r.month - 1) / 12 : r.year, y: r.value, label: r.value === null ? r.raw : `${CM.num(r.value)} ${s.unit}` }));
      card.body.appendChild(CM.el("h3", { text: `${s.series_label} (${s.unit}, ${s.frequency})` }));
      CM.charts.line(card.body, [{ name: s.series_label, points }], {
        unit: s.unit,
        width: 1200,
        height: 240,
        thin: points.length > 80,
        xFormat: (x) => (Number.isInteger(x) ? String(x) : `${Math.floor(x)}-${String(Math.round((x % 1) * 12) + 1).padStart(2, "0")}`),
      });
      const st = s.statistics || {};
      card.body.appendChild(CM.el("p", { class: "muted", text: st.note || `${st.start}–${st.end}: volatility ${CM.pct(st.volatility)} a year, largest drawdown ${CM.pct(st.max_drawdown)} (${st.drawdown_peak} to ${st.drawdown_trough}), growth ${CM.pct(st.cagr)} a year.` }));
    }
  }

  async function risk(id, grid) {
    let res;
    try {
      res = await CM.api(`/minerals/${encodeURIComponent(id)}/risk`);
    } catch (err) {
      const card = CM.card("Supply risk", CM.notice(err.status === 503 ? err.message : `risk: ${err.message}`), { testid: "risk", wide: true });
      grid.appendChild(card);
      return;
    }
    const card = CM.card("Supply risk by method", null, { testid: "risk", wide: true, subtitle: "Each method is named and versioned and shows its breakdown; too little data gives 'insufficient data', never a made-up score." });
    grid.appendChild(card);
    for (const m of res.items) {
      const value = m.score !== null && m.score !== undefined ? CM.num(m.score, 3) : m.status === "bounded" ? `${CM.num(m.low, 3)}–${CM.num(m.high, 3)} (bounded)` : "insufficient data";
      card.body.appendChild(CM.el("h3", { text: `${m.title || m.method} [${m.version}], ${m.stage || ""} stage: ${value}` }));
      if (m.missing && m.missing.length) card.body.appendChild(CM.el("p", { class: "muted", text: "Missing: " + m.missing.join("; ") }));
      if (m.breakdown && m.breakdown.length) {
        const show = (v) => (typeof v === "number" ? CM.num(v, 3) : Array.isArray(v) && v.length === 2 && typeof v[0] === "number" ? `${CM.num(v[0], 3)}–${CM.num(v[1], 3)}` : v === null || v === undefined ? "missing" : typeof v === "object" ? JSON.stringify(v) : String(v));
        card.body.appendChild(CM.table([{ key: "term", label: "Term" }, { key: "value", label: "Value", num: true, format: show }], m.breakdown, { compact: true, testid: `risk-${m.method}` }));
      }
    }
  }

  CM.pages.mineral = async function (main) {
    const id = document.body.dataset.mineral;
    const q = encodeURIComponent(id);
    CM.prefetch([`/minerals/${q}`, `/minerals/${q}/nir`, `/minerals/${q}/concentration`, `/minerals/${q}/import-shares`,
                 `/minerals/${q}/customs?limit=10000&period=annual`, `/tracker/export-controls?mineral=${q}`, `/minerals/${q}/risk`, `/minerals/${q}/prices?basis=nominal`]);
    await CM.loadCountries();
    const m = await CM.api(`/minerals/${encodeURIComponent(id)}`);
    const head = tags(m);
    head.appendChild(CM.el("a", { class: "button small", href: `/api/v1/minerals/${q}/dossier.html`, target: "_blank", rel: "noopener", text: "Dossier (HTML report)" }));
    head.appendChild(document.createTextNode(" "));
    head.appendChild(CM.el("a", { class: "button small secondary", href: `/api/v1/minerals/${q}/dossier`, target: "_blank", rel: "noopener", text: "Dossier data (JSON)" }));
    main.appendChild(head);
    const kpis = CM.el("div", { class: "kpis", "data-testid": "mineral-kpis" });
    main.appendChild(kpis);
    const grid = CM.el("div", { class: "grid" });
    main.appendChild(grid);
    await CM.section(grid, "net import reliance", () => reliance(id, grid, kpis));
    await CM.section(grid, "production", () => production(id, m, grid));
    await CM.section(grid, "concentration", () => concentration(id, grid, kpis));
    await CM.section(grid, "import sources", () => imports(id, grid));
    await CM.section(grid, "export controls", () => controls(id, grid));
    await CM.section(grid, "prices", () => prices(id, grid));
    await CM.section(grid, "supply risk", () => risk(id, grid));
    main.appendChild(CM.el("p", { class: "muted" }, ["Build a policy scenario for this mineral in the ", CM.el("a", { href: "/scenarios", text: "scenario builder" }), "."]));
  };
})();

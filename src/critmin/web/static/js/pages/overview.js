/* Overview: headline reliance, risk ranking and matrix, mining vs processing, processing map. */
"use strict";

(function () {
  const CM = window.CM;
  CM.pages = CM.pages || {};

  function kpi(value, label, testid, extra) {
    return CM.el("div", { class: "kpi", "data-testid": testid }, [
      CM.el("div", { class: "value", text: String(value) }),
      CM.el("div", { class: "label", text: label }),
      extra || null,
    ]);
  }

  async function headline(main) {
    const vintages = await CM.api("/vintages");
    const nirV = (vintages.nir || []).slice(-1)[0];
    const listYear = nirV >= 2026 ? 2025 : 2022;
    const [s, tracker] = await Promise.all([
      CM.api(`/nir/summary?list_year=${listYear}`),
      CM.api("/tracker/summary").catch(() => null),
    ]);
    const kpis = CM.el("div", { class: "kpis", "data-testid": "kpis" }, [
      kpi(s.at_100, `minerals on the ${listYear} list 100% net-import reliant (MCS ${s.vintage}, ${s.year})`, "kpi-at100"),
      kpi(s.above_50, `more above 50% reliant`, "kpi-above50"),
      kpi(s.minerals, `minerals on the ${listYear} US critical-mineral list`, "kpi-listed"),
      kpi(s.unknown, "with reliance withheld or not published", "kpi-unknown"),
    ]);
    if (tracker && tracker.next_date) {
      const n = tracker.next_date;
      kpis.appendChild(
        CM.el("a", { class: "kpi", href: "/tracker", style: "text-decoration:none", "data-testid": "kpi-next" }, [
          CM.el("div", { class: "value", text: `${n.days_from_today} days` }),
          CM.el("div", { class: "label", text: `to ${n.date}: ${n.title}` }),
        ])
      );
    }
    main.appendChild(kpis);
  }

  function loadTopologyEarly() {
    // the map's geometry is fetched while the rest of the page loads
    CM.charts.loadTopology().catch(() => null);
  }

  async function riskSections(grid) {
    const ranking = CM.card("Supply-risk ranking", null, { id: "risk-ranking", testid: "risk-ranking" });
    const matrix = CM.card("Risk matrix", null, { id: "risk-matrix", testid: "risk-matrix" });
    grid.appendChild(ranking);
    grid.appendChild(matrix);
    let data;
    try {
      data = await CM.api("/risk/overview");
    } catch (err) {
      const msg = err.status === 503 ? err.message : `could not load the risk ranking: ${err.message}`;
      ranking.body.appendChild(CM.notice(msg));
      matrix.body.appendChild(CM.notice(msg));
      return;
    }
    CM.pages.renderRanking(ranking, data);
    CM.pages.renderMatrix(matrix, data);
  }

  const enc = encodeURIComponent;
  const scoreWords = (r) => (r.status === "bounded" || (r.score === null && r.low !== null) ? `${CM.num(r.low, 2)} to ${CM.num(r.high, 2)}` : CM.num(r.score, 2));

  /** Ranking: one bar per mineral, score of the chosen method; a bounded score is a range bar. */
  CM.pages.renderRanking = function (card, data) {
    const rows = data.ranking.filter((r) => r.status !== "insufficient_data");
    const missing = data.ranking.filter((r) => r.status === "insufficient_data");
    card.body.appendChild(CM.el("p", { class: "subtitle", text: `${data.method.title} [${data.method.version}]; ${data.method.scale || ""}. A score with an input published as a bound is drawn as a range (dashed).` }));
    const top = rows.slice(0, 25);
    const cell = (r) => (r.status === "bounded" || (r.score === null && r.low !== null) ? { qualifier: "range", low: r.low, high: r.high } : { value: r.score, qualifier: "exact" });
    CM.charts.bars(card.body, top, {
      title: `Supply-risk ranking of the listed minerals, ${data.method.title}, the ${top.length} highest scores, 0 (low) to 1 (high)`,
      testid: "ranking-chart",
      label: (r) => r.name,
      cell, text: scoreWords, max: 1, format: (v) => CM.num(v, 2), axisName: "score, 0 (low) to 1 (high)",
      source: data.method.source,
      href: (r) => "/minerals/" + enc(r.commodity_id),
      tooltip: (r) => `${r.name} (${r.stage} stage): ${r.score !== null && r.status !== "bounded" ? CM.num(r.score, 3) : `between ${CM.num(r.low, 3)} and ${CM.num(r.high, 3)} (an input was published as a bound)`}`,
      table: {
        testid: "ranking-table",
        columns: [
          { key: "rank", label: "Rank", num: true, format: (v) => CM.num(v, 0) },
          { key: "name", label: "Mineral", header: true, format: (v, r) => CM.el("a", { href: "/minerals/" + enc(r.commodity_id), text: v }) },
          { key: "stage", label: "Stage" },
          { key: "words", label: "Score", num: true, sortValue: (r) => r.low },
        ],
        rows: rows.map((r) => ({ ...r, words: scoreWords(r) })),
      },
      tableLabel: `All ${rows.length} scored minerals, as a table`,
    });
    if (missing.length) {
      card.body.appendChild(CM.el("p", { class: "muted", text: `Insufficient data (no score; each mineral's page says what is missing): ${missing.map((r) => r.name).join(", ")}.` }));
    }
  };

  CM.pages.renderMatrix = function (card, data) {
    const m = data.matrix;
    if (!m || !m.points || !m.points.length) {
      card.body.appendChild(CM.notice("No mineral has both axes of the matrix."));
      return;
    }
    card.body.appendChild(CM.el("p", { class: "subtitle", text: m.description || "" }));
    if (m.left_out && m.left_out.length) card.body.appendChild(CM.el("p", { class: "muted", text: `Not drawn: ${m.left_out.map((o) => `${o.name} (${o.reason})`).join("; ")}.` }));
    // colour: the composite score of the ranking beside it (same snapshot, same request)
    const scored = Object.fromEntries((data.ranking || []).map((r) => [r.commodity_id, r]));
    const points = m.points.map((p) => {
      const r = scored[p.commodity_id];
      return { ...p, stage: p.y_stage, score: r && r.score !== undefined ? r.score : null, status: r ? r.status : "not ranked" };
    });
    const reliance = (p) => (p.x_low === p.x_high ? CM.pct(p.x, 0) : `${CM.pct(p.x_low, 0)} to ${CM.pct(p.x_high, 0)}`);
    CM.charts.scatter(card.body, points, {
      title: `Risk matrix: US net import reliance against the concentration of world production, ${points.length} minerals, coloured by composite score`,
      testid: "matrix-chart",
      x: (p) => p.x, y: (p) => p.y, xLow: (p) => p.x_low, xHigh: (p) => p.x_high,
      color: (p) => (p.score === null ? "#7a6a22" : `hsl(${Math.round(210 - 190 * p.score)}, 60%, 40%)`),
      xDomain: m.x_domain, yDomain: m.y_domain, xSplit: m.x_split, ySplit: m.y_split,
      xLabel: "US net import reliance", yLabel: "concentration of world production (HHI, 0-1)",
      xFormat: (v) => CM.pct(v, 0), yFormat: (v) => CM.num(v, 2),
      label: (p) => p.symbol || p.commodity_id,
      href: (p) => "/minerals/" + enc(p.commodity_id),
      tooltip: (p) => `${p.name} (${p.stage} stage): reliance ${reliance(p)}, HHI ${CM.num(p.y, 2)}, composite score ${p.score === null ? String(p.status).replace(/_/g, " ") : CM.num(p.score, 2)}`,
      note: "Colour: composite score, blue (low) to red (high); a horizontal line is a reliance published as a bound. Labels are chemical symbols; points at the same place share one label (\"+3\": three more), and a label with no room is left out (hover, or see the table).",
      source: m.source,
      table: {
        testid: "matrix-table",
        columns: [
          { key: "name", label: "Mineral", header: true, format: (v, r) => CM.el("a", { href: "/minerals/" + enc(r.commodity_id), text: `${v}${r.symbol ? " (" + r.symbol + ")" : ""}` }) },
          { key: "stage", label: "Stage" },
          { key: "rel", label: "Net import reliance", num: true, sortValue: (r) => r.x_low },
          { key: "y", label: "HHI", num: true, format: (v) => CM.num(v, 2) },
          { key: "score", label: "Composite score", num: true, format: (v, r) => (v === null ? r.status.replace(/_/g, " ") : CM.num(v, 2)) },
        ],
        rows: points.map((p) => ({ ...p, rel: reliance(p) })),
      },
    });
  };

  async function concentration(grid) {
    const card = CM.card("Mining versus processing concentration", null, {
      id: "concentration",
      testid: "concentration",
      subtitle: "Herfindahl-Hirschman index of world production shares (0 = many producers, 1 = one country), from the USGS world tables. Processing is where concentration bites.",
      actions: [CM.downloadLink("/concentration")],
    });
    grid.appendChild(card);
    const res = await CM.api("/concentration?limit=10000");
    const rows = res.items.filter((r) => r.mine_hhi !== null || r.processing_hhi !== null);
    const both = rows.filter((r) => r.mine_hhi !== null && r.processing_hhi !== null);
    const name = (id) => CM.mineralName(id);
    both.sort((a, b) => b.processing_hhi - a.processing_hhi);
    const tip = (r) => `${name(r.commodity_id)}: mine HHI ${CM.num(r.mine_hhi, 2)} (largest ${CM.countryName(r.mine_top1_country) || "?"}, ${r.mine_year}), processing HHI ${CM.num(r.processing_hhi, 2)} (largest ${CM.countryName(r.processing_top1_country) || "?"}, ${r.processing_year}; ${r.processing_series_label}), China ${CM.pct(r.processing_china_share, 0)} of processing`;
    CM.charts.dumbbell(card.body, both.slice(0, 30), {
      title: `Concentration of mine production and of processing for the ${Math.min(30, both.length)} minerals with both stages, HHI 0-1`,
      testid: "concentration-chart",
      label: (r) => name(r.commodity_id),
      a: (r) => r.mine_hhi, b: (r) => r.processing_hhi,
      aName: "mine production", bName: "processing (refinery, smelter, metal)", labelName: "Mineral",
      axisName: "HHI, 0 (many producers) to 1 (one country)",
      source: res.meta.source,
      href: (r) => "/minerals/" + enc(r.commodity_id),
      tooltip: tip,
      table: {
        testid: "concentration-table",
        columns: [
          { key: "name", label: "Mineral", header: true, format: (v, r) => CM.el("a", { href: "/minerals/" + enc(r.commodity_id), text: v }) },
          { key: "mine_hhi", label: "Mine HHI", num: true, format: (v) => CM.num(v, 2) },
          { key: "processing_hhi", label: "Processing HHI", num: true, format: (v) => CM.num(v, 2) },
          { key: "processing_series_label", label: "Processing series" },
          { key: "processing_china_share", label: "China's processing share", num: true, format: (v) => CM.pct(v, 0) },
        ],
        rows: both.map((r) => ({ ...r, name: name(r.commodity_id) })),
      },
    });
    card.body.appendChild(CM.el("p", { class: "muted", text: `${both.length} minerals with both stages; ${rows.length - both.length} with one stage only (in the CSV). Processing concentration derived from World Mining Data plant output, the EU CRM 2023 study or world exports is on each mineral's page.` }));
    return res;
  }

  async function processingMap(grid, conc) {
    const card = CM.card("Where processing happens", null, {
      id: "processing-map",
      testid: "processing-map",
      full: true,
      subtitle: "Number of minerals for which a country is the largest processor (refinery, smelter or metal production), or pick a mineral for its processing shares.",
    });
    grid.appendChild(card);
    const select = CM.el("select", { id: "map-mineral", "aria-label": "Mineral for the map" }, [CM.el("option", { value: "", text: "All minerals: count of largest-processor positions" })]);
    const ids = [...new Set(conc.items.filter((r) => r.processing_hhi !== null).map((r) => r.commodity_id))].sort();
    for (const id of ids) select.appendChild(CM.el("option", { value: id, text: CM.mineralName(id) }));
    card.querySelector(".card-head").appendChild(CM.el("div", { class: "actions" }, [select]));
    const holder = CM.el("div");
    card.body.appendChild(holder);

    async function draw() {
      CM.clear(holder);
      const id = select.value;
      if (!id) {
        const counts = {};
        for (const r of conc.items) if (r.processing_top1_country) counts[r.processing_top1_country] = (counts[r.processing_top1_country] || 0) + 1;
        await CM.charts.worldMap(holder, counts, {
          title: "World map: for how many minerals each country is the largest processor (refinery, smelter or metal production)",
          testid: "map-chart", tableTestid: "map-table",
          legendTitle: "minerals where the country is the largest processor",
          format: (v) => CM.num(v, 0),
          unit: "count of minerals",
          source: "USGS Mineral Commodity Summaries, world production tables (latest usable year per mineral)",
        });
        return;
      }
      const row = conc.items.find((r) => r.commodity_id === id && r.processing_vintage !== null);
      const res = await CM.api(`/minerals/${enc(id)}/production?stage=processing&vintage=${row.processing_vintage}`);
      const shares = {};
      for (const r of res.items) if (r.country && r.share !== null) shares[r.country] = (shares[r.country] || 0) + r.share;
      await CM.charts.worldMap(holder, shares, {
        title: `World map: each country's share of world ${CM.mineralName(id)} processing, ${res.meta.year}`,
        testid: "map-chart", tableTestid: "map-table",
        max: 1,
        legendTitle: `share of world ${CM.mineralName(id)} processing, ${res.meta.year}`,
        format: (v) => CM.pct(v, 0),
        unit: "share of the world total",
        source: res.meta.source,
      });
    }
    select.addEventListener("change", () => CM.section(holder, "map", draw));
    await draw();
  }

  CM.pages.overview = async function (main) {
    CM.prefetch(["/vintages", "/nir/summary?list_year=2025", "/nir/summary?list_year=2022", "/tracker/summary", "/risk/overview", "/concentration?limit=10000"]);
    loadTopologyEarly();
    await Promise.all([CM.loadCountries(), CM.loadMinerals().catch(() => [])]);
    main.appendChild(
      CM.el("p", { class: "lead" }, [
        "Which minerals, and which stage of the value chain, is the United States most exposed on? Numbers are as published by USGS and the other sources; click a mineral for its dossier. ",
        CM.el("a", { href: "/api/v1/report/overview.html", target: "_blank", rel: "noopener", text: "Overview report (HTML)" }),
      ])
    );
    await CM.section(main, "net import reliance", () => headline(main));
    const grid = CM.el("div", { class: "grid" });
    main.appendChild(grid);
    const risk = riskSections(grid);
    let conc = null;
    await CM.section(grid, "concentration", async () => {
      conc = await concentration(grid);
    });
    await risk;
    if (conc) await CM.section(grid, "processing map", () => processingMap(grid, conc));
  };
})();

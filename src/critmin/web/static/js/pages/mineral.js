/* A mineral's page: reliance, production by stage, concentration (and how it was derived),
 * US import sources, world trade flows, export controls, prices, every risk method. */
"use strict";

(function () {
  const CM = window.CM;
  CM.pages = CM.pages || {};

  /** How a stage's concentration was derived (`derived_from`), in words. */
  const DERIVED = {
    usgs_production: "from USGS world production (Mineral Commodity Summaries)",
    wmd_production: "from World Mining Data plant output",
    eu_crm_2023_shares: "from the EU CRM 2023 study's global supply shares",
    baci_exports: "from world export values (CEPII BACI): a proxy, since a producer that uses its own output exports less",
    baci: "from bilateral trade (CEPII BACI)",
    "baci+usgs_salient": "from bilateral trade (CEPII BACI) with the USGS salient statistics",
    usgs_import_shares: "from the USGS published import shares",
  };
  const STATUS_WORDS = {
    ok: "complete",
    partial: "partial (a producer's figure is withheld, so the HHI is a range)",
    insufficient_data: "insufficient data",
    bounded: "a range (an input was published as a bound)",
  };
  const STAGE_WORDS = { mine: "Mine", processing: "Processing (refining, smelting, metal)", unspecified: "Production", all: "All stages" };

  /** Plain names for the risk methods' terms (the code name stays in the tooltip). */
  const TERMS = {
    hhi_wgi_t_global: "Governance-weighted concentration (global)",
    hhi_wgi_t_sourcing: "Governance-weighted concentration (US sourcing)",
    import_reliance: "Net import reliance (share of consumption)",
    concentration_term: "Concentration term (global and sourcing, weighted by import reliance)",
    eol_rir: "End-of-life recycling input rate",
    substitution_index: "Substitution index",
    disruption_potential: "Disruption potential",
    trade_exposure: "Trade exposure",
    economic_vulnerability: "Economic vulnerability of US industries",
    dp_x_te: "Disruption potential × trade exposure",
    hhi: "Production concentration (HHI, 0-1)",
    weighted_instability: "Instability-weighted import shares",
    import_fraction: "Import fraction F/(p+F)",
    import_risk: "Import risk",
    imports: "Imports",
    production: "Domestic production",
    measure: "Trade measure",
    basis: "Content basis",
    year: "Year",
    codes: "HS codes read",
    partners: "Main import partners",
    import_price_usd_per_kg: "Import price (US$/kg)",
    midpoint_usd_per_kg: "Characterisation midpoint (US$/kg)",
    feoc_share: "Share from foreign entities of concern",
    export_control_share: "Share under export controls",
    variant: "Method variant",
    derived_from: "Derived from",
  };
  CM.riskTermLabel = (t) => TERMS[t] || t.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

  const nirCell = (r) => ({ value: r.nir_value, qualifier: r.nir_qualifier, low: r.nir_low, high: r.nir_high, raw: r.nir_display });
  const enc = encodeURIComponent;

  function tags(m) {
    return CM.el("p", { class: "tags" }, [
      ...[2018, 2022, 2025].map((y) => CM.el("span", { class: "tag" + (m[`on_list_${y}`] ? " on" : ""), text: `${m[`on_list_${y}`] ? "on" : "not on"} the ${y} US list` })),
      m.symbol ? CM.el("span", { class: "tag", text: `symbol ${m.symbol}` }) : null,
      m.group_id ? CM.el("a", { class: "tag", href: "/minerals/" + enc(m.group_id), text: `part of ${CM.mineralName(m.group_id)}` }) : null,
      m.members && m.members.length ? CM.el("span", { class: "tag", text: `members: ${m.members.map(CM.mineralName).join(", ")}` }) : null,
    ]);
  }

  function kpi(value, label, testid, words) {
    return CM.el("div", { class: "kpi", "data-testid": testid }, [CM.el("div", { class: "value" + (words ? " words" : ""), text: String(value) }), CM.el("div", { class: "label", text: label })]);
  }

  async function reliance(id, name, grid, kpis) {
    const res = await CM.api(`/minerals/${enc(id)}/nir`);
    const card = CM.card("US net import reliance, by year", null, {
      testid: "nir-history",
      subtitle: "Imports minus exports (adjusted for stocks) as a share of apparent consumption, as USGS publishes it: a bound such as “more than 95%” is drawn as a range up to 100%, never as a point; withheld and net exporter are said in words.",
      actions: [CM.downloadLink(`/minerals/${enc(id)}/nir`)],
      source: "USGS Mineral Commodity Summaries 2023-2026, net import reliance figure",
    });
    grid.appendChild(card);
    if (!res.items.length) {
      card.body.appendChild(CM.notice("USGS publishes no net import reliance for this mineral in its figure (for some minerals the chapter says “net exporter” or gives no figure)."));
      kpis.appendChild(kpi("not published", "US net import reliance", "kpi-nir", true));
      return;
    }
    const latest = res.items.reduce((a, b) => (b.vintage > a.vintage ? b : a));
    kpis.appendChild(kpi(CM.qualified(nirCell(latest), { pct: true, digits: 0 }), `US net import reliance, ${latest.year} (MCS ${latest.vintage})${latest.form ? ", " + latest.form : ""}`, "kpi-nir", true));
    const forms = [...new Set(res.items.map((r) => r.form || "all forms"))];
    const series = forms.map((f) => ({
      name: f,
      points: res.items.filter((r) => (r.form || "all forms") === f).map((r) => {
        const iv = CM.interval(nirCell(r), 0, 100);
        const point = iv && iv[0] === iv[1];
        return { x: r.year, y: point ? iv[0] : null, low: !point && iv ? iv[0] : null, high: !point && iv ? iv[1] : null, text: CM.qualified(nirCell(r), { pct: true, digits: 0 }) };
      }),
    }));
    const drawable = series.some((s) => s.points.some((p) => p.y !== null || p.low !== null));
    if (drawable) {
      const years = res.items.map((r) => r.year);
      CM.charts.lines(card.body, series, {
        title: `US net import reliance for ${name}, ${Math.min(...years)}-${Math.max(...years)}, percent of apparent consumption; bounds drawn as ranges`,
        testid: "nir-chart",
        yMin: 0, yMax: 100, format: (v) => `${v}%`, axisName: "% of apparent consumption",
        xMin: Math.min(...years) - 0.5, xMax: Math.max(...years) + 0.5, legend: true,
        seriesName: "Form", valueName: "Net import reliance", height: 300, rangeLabels: true,
        table: {
          testid: "nir-table",
          columns: [
            { key: "year", label: "Year", num: true },
            { key: "vintage", label: "MCS edition", num: true },
            { key: "form", label: "Form", format: (v) => v || "all forms" },
            { key: "words", label: "Net import reliance", num: true, sortValue: (r) => r.nir_low ?? r.nir_value },
            { key: "import_sources", label: "Major import sources" },
          ],
          rows: res.items.map((r) => ({ ...r, words: CM.qualified(nirCell(r), { pct: true, digits: 0 }) })),
        },
        tableLabel: "The figures as published, by year, as a table",
      });
    } else {
      card.body.appendChild(CM.notice("No year has a number or a bound to draw: " + res.items.map((r) => `${r.year}: ${CM.qualified(nirCell(r), { pct: true })}`).join("; ") + "."));
    }
  }

  /** The latest MCS edition that has each stage (editions differ in which stages they cover). */
  function stageRequests(id, m) {
    const out = [];
    for (const stage of ["mine", "processing", "unspecified"]) {
      const s = (m.production_series || []).find((x) => x.stage === stage && x.measure === "production");
      if (s) out.push(`/minerals/${enc(id)}/production?stage=${stage}&vintage=${Math.max(...s.vintages)}`);
    }
    return out;
  }

  async function production(id, m, grid) {
    const paths = stageRequests(id, m);
    if (!paths.length) {
      grid.appendChild(CM.card("World production", CM.notice("The USGS world tables in the snapshot have no production series for this mineral."), { testid: "production" }));
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
      const meta = metaOf[key];
      const countries = rows.filter((r) => r.country_kind === "country");
      const world = rows.find((r) => r.country_kind === "world");
      const cell = (r) => ({ value: r.value, qualifier: r.qualifier, low: r.low, high: r.high, raw: r.display });
      const words = (r) => CM.qualified(cell(r));
      const stageWord = STAGE_WORDS[stage] || stage;
      const named = label.toLowerCase().startsWith(stageWord.split(" ")[0].toLowerCase()) ? label : `${stageWord}: ${label}`;
      const card = CM.card(`${named}${form ? " (" + form + ")" : ""}, ${meta.year}`, null, {
        testid: `production-${stage}`,
        subtitle: `World total ${world ? CM.qualified(cell(world), { unit }) : "not published"}; data for ${meta.year} from MCS ${meta.vintage}. Shares are of the published world total; a withheld figure has no bar and no share.`,
        actions: [CM.downloadLink(`/minerals/${enc(id)}/production?stage=${stage}&vintage=${meta.vintage}`)],
      });
      grid.appendChild(card);
      const shown = countries.slice(0, 15);
      CM.charts.bars(card.body, shown, {
        title: `${label} of ${CM.mineralName(id)} by country, ${meta.year}, in ${unit}`,
        testid: `production-chart-${stage}`,
        label: (r) => r.country_name,
        cell,
        text: (r) => (r.share !== null && r.share !== undefined ? `${words(r)}, ${CM.pct(r.share, 0)}` : words(r)),
        axisName: unit,
        unit,
        source: meta.source,
        labelName: "Country",
        tooltip: (r) => `${r.country_name}: ${words(r)} ${unit}${r.share !== null ? ", " + CM.pct(r.share) + " of the world total" : ""}`,
        table: {
          testid: `production-table-${stage}`,
          columns: [
            { key: "country_name", label: "Country", header: true },
            { key: "words", label: `Production (${unit})`, num: true, sortValue: (r) => r.value ?? r.low },
            { key: "share", label: "Share of world", num: true, format: (v) => (v === null || v === undefined ? "–" : CM.pct(v)) },
          ],
          rows: rows.map((r) => ({ ...r, words: words(r) })),
        },
      });
    }
  }

  async function concentration(id, grid, kpis) {
    let res;
    try {
      res = await CM.api(`/minerals/${enc(id)}/concentration`);
    } catch (err) {
      if (err.status === 404 || err.status === 503) return;
      throw err;
    }
    const byStage = res.meta.by_stage || [];
    for (const s of byStage.slice().reverse()) {
      if (s.hhi === null || s.hhi === undefined) continue;
      const hhi = s.hhi_max !== null && s.hhi_max !== undefined && s.hhi_max - s.hhi > 0.005 ? `${CM.num(s.hhi, 2)}–${CM.num(s.hhi_max, 2)}` : CM.num(s.hhi, 2);
      kpis.appendChild(kpi(hhi, `${s.stage} concentration (HHI, 0-1), ${DERIVED[s.derived_from] ? DERIVED[s.derived_from].split(":")[0] : s.derived_from}${s.china_share !== null ? `; China ${CM.pct(s.china_share, 0)}` : ""}`, `kpi-${s.stage}-hhi`));
    }
    const card = CM.card("Concentration by stage", null, {
      testid: "concentration",
      subtitle: "Herfindahl-Hirschman index of world shares (0 = many producers, 1 = one country), per stage, and how each was derived. The risk methods use these.",
      actions: [CM.downloadLink(`/minerals/${enc(id)}/concentration`)],
      source: "USGS MCS world production tables; World Mining Data; EU CRM 2023; CEPII BACI; critmin.analysis.concentration",
    });
    grid.appendChild(card);
    if (byStage.length) {
      const list = CM.el("ul", { class: "stage-note", "data-testid": "stage-view" });
      for (const s of byStage) {
        const hhi = s.hhi === null || s.hhi === undefined ? "no HHI" : `HHI ${CM.num(s.hhi, 2)}${s.hhi_max - s.hhi > 0.005 ? "–" + CM.num(s.hhi_max, 2) : ""}`;
        list.appendChild(CM.el("li", { "data-stage": s.stage, "data-derived-from": s.derived_from }, [
          CM.el("strong", { text: `${STAGE_WORDS[s.stage] || s.stage}: ` }),
          `${hhi}${s.china_share !== null && s.china_share !== undefined ? `, China ${CM.pct(s.china_share, 0)}` : ""} — ${DERIVED[s.derived_from] || s.derived_from}; ${s.series_label}${s.year ? ", " + s.year : s.vintage ? ", " + s.vintage + " study" : ""}. ${STATUS_WORDS[s.status] ? "Status: " + STATUS_WORDS[s.status] + "." : ""}${s.status_reason ? " " + s.status_reason + "." : ""}`,
        ]));
      }
      card.body.appendChild(list);
    }
    card.body.appendChild(CM.el("h3", { text: "USGS production series, by MCS edition" }));
    card.body.appendChild(
      CM.table(
        [
          { key: "stage", label: "Stage" },
          { key: "year", label: "Year", num: true },
          { key: "vintage", label: "MCS", num: true },
          { key: "hhi", label: "HHI", num: true, format: (v, r) => (r.hhi_max - v > 0.0005 ? `${CM.num(v, 3)}–${CM.num(r.hhi_max, 3)}` : CM.num(v, 3)) },
          { key: "top1_country", label: "Largest", format: (v) => CM.countryName(v) },
          { key: "top1_share", label: "Its share", num: true, format: (v) => CM.pct(v) },
          { key: "china_share", label: "China", num: true, format: (v) => CM.pct(v) },
          { key: "status", label: "Status", format: (v) => (STATUS_WORDS[v] || v).split(" (")[0] },
        ],
        res.items,
        { compact: true, testid: "concentration-table", caption: "Concentration of the USGS production series by MCS edition" }
      )
    );
  }

  async function imports(id, grid) {
    const [shares, customs] = await Promise.all([
      CM.api(`/minerals/${enc(id)}/import-shares`),
      CM.api(`/minerals/${enc(id)}/customs?limit=10000&period=annual`),
    ]);
    const card = CM.card("US import sources", null, {
      testid: "import-shares",
      subtitle: `Share of US imports by partner as USGS publishes it (MCS 2026)${shares.items.length && shares.items[0].period ? ", " + shares.items[0].period : ""}.`,
      actions: [CM.downloadLink(`/minerals/${enc(id)}/import-shares`)],
    });
    grid.appendChild(card);
    if (!shares.items.length) card.body.appendChild(CM.notice("USGS publishes no import-source shares for this mineral."));
    else {
      const forms = [...new Set(shares.items.map((r) => r.form))];
      for (const f of forms) {
        if (forms.length > 1) card.body.appendChild(CM.el("h3", { text: f || "all forms" }));
        const rows = shares.items.filter((r) => r.form === f);
        const cell = (r) => ({ value: r.share_pct, qualifier: r.qualifier || (r.share_pct === null ? "text" : "exact"), low: r.low, high: r.high, raw: r.raw });
        CM.charts.bars(card.body, rows.slice(0, 12), {
          title: `US imports of ${CM.mineralName(id)}${f ? " (" + f + ")" : ""} by source country, percent, ${rows[0].period || ""}`,
          label: (r) => r.partner_name,
          cell,
          text: (r) => CM.qualified(cell(r), { pct: true, digits: 0 }),
          max: 100, format: (v) => `${v}%`, axisName: "% of US imports",
          labelName: "Partner", valueName: "Share of US imports",
          source: shares.meta.source,
        });
      }
    }
    const c2 = CM.card("US imports for consumption by partner", null, {
      testid: "customs",
      subtitle: "Customs value (current US$) of the tariff headings mapped to this mineral, the six largest partners over all years; a year without a record is a gap, not zero.",
      actions: [CM.downloadLink(`/minerals/${enc(id)}/customs?limit=10000`)],
    });
    grid.appendChild(c2);
    if (!customs.items.length) {
      c2.body.appendChild(CM.notice("No USITC tariff heading in the snapshot maps to this mineral."));
      return;
    }
    const mixed = customs.items.find((r) => r.mixed);
    if (mixed) c2.body.appendChild(CM.notice(`Read with care: ${mixed.heading_note || "the heading mixes several minerals"}.`));
    const byPartner = {};
    for (const r of customs.items) {
      const p = (byPartner[r.partner_name] ||= {});
      if (r.customs_value_usd !== null) p[r.year] = (p[r.year] || 0) + r.customs_value_usd;
    }
    const totals = Object.entries(byPartner).map(([k, v]) => [k, Object.values(v).reduce((a, b) => a + b, 0)]).sort((a, b) => b[1] - a[1]);
    const years = [...new Set(customs.items.map((r) => r.year))].sort();
    const series = totals.slice(0, 6).map(([name]) => ({ name, points: years.map((y) => ({ x: y, y: byPartner[name][y] ?? null, text: byPartner[name][y] === undefined ? "no record" : "US$ " + CM.num(byPartner[name][y], 0) })) }));
    const hts = [...new Set(customs.items.map((r) => r.hts))].join(", ");
    CM.charts.lines(c2.body, series, {
      title: `US imports for consumption of ${CM.mineralName(id)} by partner, customs value in US dollars, ${years[0]}-${years[years.length - 1]}`,
      axisName: "US$ (customs value)", format: (v) => "$" + CM.short(v), seriesName: "Partner",
      source: `${customs.meta.source}; tariff headings ${hts}; annual, ${years[0]}-${years[years.length - 1]} (${CM.age(years[years.length - 1])})`,
    });
  }

  // --- world trade (CEPII BACI through the HS6 concordance) -------------------------------------

  const MEASURES = { value: "value (US$)", gross_t: "gross tonnes", content_t: "content tonnes" };
  const TOP_OVER_TIME = 5;

  async function trade(id, grid) {
    const card = CM.card("World trade", null, {
      testid: "trade",
      full: true,
      subtitle: "Who exports this mineral to whom, by stage, from CEPII BACI bilateral trade (HS1992, 1995-2024): the flows of the latest year, and the largest exporters' shares of world exports over time.",
      source: "CEPII BACI (HS1992 V202401b), read through critmin's HS6 concordance",
    });
    card.dataset.state = "loading";
    grid.appendChild(card);
    const status = CM.el("p", { class: "muted", role: "status", text: "Loading world trade…" });
    card.body.appendChild(status);
    const tries = await Promise.all(["processing", "mine"].map((stage) => CM.api(`/trade/${enc(id)}?stage=${stage}`).then((r) => ({ stage, r })).catch((err) => ({ stage, err }))));
    const stages = tries.filter((t) => t.r && t.r.items.length);
    if (!stages.length) {
      status.remove();
      const why = tries.map((t) => t.err && t.err.message).filter(Boolean)[0];
      card.body.appendChild(CM.notice(`No world trade to show: ${why || "no flows recorded"}.`));
      card.dataset.state = "ready";
      return;
    }
    const stageSel = CM.el("select", { id: "trade-stage" }, stages.map((t) => CM.el("option", { value: t.stage, text: STAGE_WORDS[t.stage] })));
    const measureSel = CM.el("select", { id: "trade-measure" }, Object.entries(MEASURES).map(([k, v]) => CM.el("option", { value: k, text: v })));
    status.remove();
    card.body.appendChild(CM.el("div", { class: "controls-row" }, [
      CM.el("div", { class: "field" }, [CM.el("label", { for: "trade-stage", text: "Stage" }), stageSel]),
      CM.el("div", { class: "field" }, [CM.el("label", { for: "trade-measure", text: "Measure" }), measureSel]),
    ]));
    const missing = tries.filter((t) => t.err).map((t) => `${t.stage}: ${t.err.message}`);
    if (missing.length) card.body.appendChild(CM.el("p", { class: "muted", text: `Not shown — ${missing.join("; ")}.` }));
    const holder = CM.el("div", { "data-testid": "trade-body" });
    card.body.appendChild(holder);

    async function show() {
      card.dataset.state = "loading";
      CM.clear(holder);
      const stage = stageSel.value, measure = measureSel.value;
      const q = `stage=${stage}&measure=${measure}`;
      let latest, matrix;
      try {
        [latest, matrix] = await Promise.all([CM.api(`/trade/${enc(id)}?${q}`), CM.api(`/trade/${enc(id)}/matrix?${q}&top=15`).catch((e) => ({ error: e }))]);
      } catch (err) {
        holder.appendChild(CM.notice(`${MEASURES[measure]} is not available at this stage: ${err.message}.`));
        card.dataset.state = "ready";
        return;
      }
      const rows = latest.items;
      const year = rows.length ? rows[0].year : null;
      const unit = latest.meta.unit || MEASURES[measure];
      const exact = rows.every((r) => r.share_low === r.share_high);
      holder.appendChild(CM.el("p", { class: "stage-note", "data-testid": "trade-note" }, [
        CM.el("strong", { text: "What is counted: " }),
        `${latest.meta.derived || ""}. ${measure === "content_t" ? "Content tonnes apply each code's metal or oxide content per tonne of product; where a heading covers several compounds the content is a range, so shares are ranges." : measure === "gross_t" ? "Gross tonnes are the weight as traded; codes of different contents are added as they are." : "Value is in current US dollars."} A code that mixes several minerals is read as the group as a whole, never as one member's figure; the rest of the concordance is in docs/trade.md.`,
        rows.length && rows[0].value_share_without_quantity >= 0.0005 ? ` ${CM.pct(rows[0].value_share_without_quantity)} of the value has no reported quantity.` : "",
      ]));
      const grid2 = CM.el("div", { class: "grid" });
      holder.appendChild(grid2);
      const left = CM.el("div"), right = CM.el("div");
      grid2.append(left, right);
      // flows of the latest year
      left.appendChild(CM.el("h3", { text: `Flows in ${year}: exporters (left) to importers (right)` }));
      if (matrix.error) left.appendChild(CM.notice(`No flow diagram: ${matrix.error.message}.`));
      else {
        const fromNames = {}, toNames = {};
        for (const it of matrix.items) {
          fromNames[it.exporter] = it.exporter === "Other" ? "Other exporters" : CM.countryName(it.exporter) || it.exporter;
          toNames[it.importer] = it.importer === "Other" ? "Other importers" : CM.countryName(it.importer) || it.importer;
        }
        CM.charts.sankey(left, matrix.items.map((it) => ({ from: it.exporter, to: it.importer, value: it.amount })), {
          title: `World trade flows of ${CM.mineralName(id)}, ${STAGE_WORDS[stage].toLowerCase()} stage, ${matrix.items.length ? matrix.items[0].year : year}, ${MEASURES[measure]}: the 15 largest exporters and importers, the rest as other`,
          testid: "trade-sankey",
          fromNames, toNames, unit, format: measure === "value" ? (v) => "$" + CM.short(v) : (v) => CM.short(v) + " t",
          valueName: `Amount (${unit}${measure === "content_t" ? ", lower bound" : ""})`,
          note: measure === "content_t" ? "Flows in content tonnes are drawn at their lower bound." : null,
          height: 420,
        });
      }
      // exporters' shares of the latest year
      right.appendChild(CM.el("h3", { text: `Largest exporters in ${year}, share of world exports` }));
      const shareCell = (r) => (r.share_low === r.share_high ? { value: r.share_low * 100, qualifier: "exact" } : { qualifier: "range", low: r.share_low * 100, high: r.share_high * 100 });
      const shareWords = (r) => CM.qualified(shareCell(r), { pct: true, digits: 1 });
      CM.charts.bars(right, rows.slice(0, 12), {
        title: `Largest exporters of ${CM.mineralName(id)}, ${STAGE_WORDS[stage].toLowerCase()} stage, ${year}: share of world exports by ${MEASURES[measure]}`,
        testid: "trade-exporters",
        label: (r) => CM.countryName(r.partner_iso3) || r.partner_name,
        cell: shareCell, text: shareWords, max: 100, format: (v) => `${v}%`, axisName: `% of world exports (${MEASURES[measure]})`,
        labelName: "Exporter", valueName: "Share of world exports",
        table: {
          columns: [
            { key: "rank", label: "Rank", num: true },
            { key: "name", label: "Exporter", header: true },
            { key: "words", label: "Share", num: true, sortValue: (r) => r.share_low },
            { key: "amount", label: `Amount (${unit})`, num: true, sortValue: (r) => r.amount_low },
          ],
          rows: rows.map((r) => ({ ...r, name: CM.countryName(r.partner_iso3) || r.partner_name, words: shareWords(r), amount: r.amount_low === r.amount_high ? CM.num(r.amount_low, 0) : `${CM.num(r.amount_low, 0)}–${CM.num(r.amount_high, 0)}` })),
        },
      });
      // shares over time of the largest exporters
      const top = rows.filter((r) => r.partner_iso3).slice(0, TOP_OVER_TIME);
      const overHolder = CM.el("div", { "data-testid": "trade-over-time" });
      holder.appendChild(CM.el("h3", { text: `Shares of world exports over time, the ${top.length} largest exporters of ${year}` }));
      holder.appendChild(overHolder);
      const series = await Promise.all(top.map((r) => CM.api(`/trade/${enc(id)}?${q}&exporter=${enc(r.partner_iso3)}&over_time=true`).then((res) => ({ r, res })).catch(() => null)));
      const ok = series.filter(Boolean);
      if (!ok.length) {
        overHolder.appendChild(CM.notice("No series over time could be read."));
      } else {
        const years = [...new Set(ok.flatMap((s) => s.res.items.map((i) => i.year)))].sort((a, b) => a - b);
        const span = `${years[0]}-${years[years.length - 1]}`;
        const allExact = ok.every((s) => s.res.items.every((i) => i.share_low === i.share_high));
        const title = `Shares of world exports of ${CM.mineralName(id)}, ${STAGE_WORDS[stage].toLowerCase()} stage, by ${MEASURES[measure]}, ${span}: ${ok.map((s) => CM.countryName(s.r.partner_iso3)).join(", ")}`;
        if (allExact && exact) {
          CM.charts.stackedShares(overHolder, years, ok.map((s) => {
            const by = Object.fromEntries(s.res.items.map((i) => [i.year, i.share_low]));
            return { name: CM.countryName(s.r.partner_iso3), values: years.map((y) => (y in by ? by[y] : null)) };
          }), { title, testid: "trade-shares-chart", axisName: "share of world exports", note: "Stacked: the top of the stack is the five exporters' combined share; a year without data is a gap.", source: `CEPII BACI, annual, ${span} (${CM.age(years[years.length - 1])})` });
        } else {
          CM.charts.lines(overHolder, ok.map((s) => ({
            name: CM.countryName(s.r.partner_iso3),
            points: s.res.items.map((i) => (i.share_low === i.share_high ? { x: i.year, y: i.share_low * 100, text: CM.pct(i.share_low) } : { x: i.year, y: null, low: i.share_low * 100, high: i.share_high * 100, text: `${CM.pct(i.share_low)} to ${CM.pct(i.share_high)}` })),
          })), { title, testid: "trade-shares-chart", yMin: 0, yMax: 100, format: (v) => `${v}%`, axisName: "% of world exports", seriesName: "Exporter", valueName: "Share", note: "A share in content tonnes is a range where the content factor is; it is drawn as a range.", source: `CEPII BACI, annual, ${span} (${CM.age(years[years.length - 1])})` });
        }
      }
      card.dataset.state = "ready";
    }
    stageSel.addEventListener("change", () => CM.section(holder, "world trade", show));
    measureSel.addEventListener("change", () => CM.section(holder, "world trade", show));
    await CM.section(holder, "world trade", show);
    card.dataset.state = "ready";
  }

  async function controls(id, grid) {
    const res = await CM.api(`/tracker/export-controls?mineral=${enc(id)}`);
    const card = CM.card("Export controls on this mineral", null, {
      testid: "controls",
      actions: [CM.downloadLink(`/tracker/export-controls?mineral=${enc(id)}`)],
      source: "MOFCOM announcements (compiled), USGS MCS 2026 table 4; the tracker has each measure's status today",
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
          { key: "control_type", label: "Measure" },
          { key: "effective_date", label: "Effective", format: (v) => v || "not recorded" },
          { key: "status", label: "Status as published", format: (v) => (v || "").replace(/_/g, " ") },
          { key: "measure_id", label: "Id" },
        ],
        res.items,
        { compact: true, caption: "Export controls on this mineral" }
      )
    );
  }

  async function prices(id, grid) {
    const [res, sources] = await Promise.all([CM.api(`/minerals/${enc(id)}/prices?basis=nominal`), CM.api("/sources").catch(() => ({ items: [] }))]);
    if (!res.items.length) return;
    const titles = Object.fromEntries(sources.items.map((s) => [s.source_id, s.title]));
    const card = CM.card("Prices", null, {
      testid: "prices",
      wide: true,
      subtitle: "Nominal prices as published, each series with its years, frequency, source and age; withheld or missing years are gaps, not zeros. Volatility is annualised from log returns.",
      actions: [CM.downloadLink(`/minerals/${enc(id)}/prices`)],
    });
    grid.appendChild(card);
    for (const s of res.meta.series) {
      const rows = res.items.filter((r) => r.series_id === s.series_id);
      const st = s.statistics || {};
      const monthly = rows.some((r) => r.month);
      const points = rows.map((r) => ({ x: r.month ? r.year + (r.month - 1) / 12 : r.year, y: r.value, text: r.value === null ? CM.qualified({ qualifier: r.qualifier, raw: r.raw }) : `${CM.num(r.value)} ${s.unit}` }));
      const first = st.start || rows[0].year, last = st.end || rows[rows.length - 1].year;
      const lastYear = String(last).slice(0, 4);
      const age = CM.age(lastYear);
      const src = titles[s.source_id] ? `${titles[s.source_id]} (${s.source_id})` : s.source_id;
      card.body.appendChild(CM.el("h3", { text: `${s.series_label}` }));
      card.body.appendChild(CM.el("p", { class: "series-meta", "data-testid": "series-meta", text: `${s.frequency}, ${first}–${last}${age === "current" ? "" : "; " + age}. ${s.unit}. Source: ${src}.` }));
      CM.charts.lines(card.body, [{ name: s.series_label, points }], {
        title: `${s.series_label}, ${s.frequency}, ${first}-${last}${age === "current" ? "" : " (" + age + ")"}, in ${s.unit}`,
        height: 240, dense: points.length > 80, axisName: s.unit.replace("current U.S. dollars", "US$").replace("per metric ton", "per t"),
        format: (v) => CM.short(v),
        xFormat: (x) => (Number.isInteger(x) ? String(x) : `${Math.floor(x)}-${String(Math.round((x % 1) * 12) + 1).padStart(2, "0")}`),
        xName: monthly ? "Month" : "Year", valueName: `Price (${s.unit})`,
      });
      card.body.appendChild(CM.el("p", { class: "muted", text: st.note || `${st.start}–${st.end}: volatility ${CM.pct(st.volatility)} a year, largest drawdown ${CM.pct(st.max_drawdown)} (${st.drawdown_peak} to ${st.drawdown_trough}), growth ${CM.pct(st.cagr)} a year.` }));
    }
  }

  /** A risk-term value in words: a number, a range, text, or why it is missing. */
  function termValue(term, v) {
    if (v === null || v === undefined) return "not available (missing input)";
    if (term === "derived_from" && typeof v === "string") return DERIVED[v] || v;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "number") return v[0] === v[1] ? CM.num(v[0], 3) : `${CM.num(v[0], 3)} to ${CM.num(v[1], 3)}`;
    if (typeof v === "number") return term === "year" ? String(v) : term === "imports" || term === "production" ? CM.num(v, 0) : CM.num(v, 3);
    if (typeof v === "object") return Object.entries(v).map(([k, x]) => `${CM.riskTermLabel(k)} ${typeof x === "number" ? CM.num(x, 2) : x}`).join("; ");
    return String(v);
  }

  async function risk(id, grid) {
    let res;
    try {
      res = await CM.api(`/minerals/${enc(id)}/risk`);
    } catch (err) {
      grid.appendChild(CM.card("Supply risk", CM.notice(err.status === 503 ? err.message : `risk: ${err.message}`), { testid: "risk", wide: true }));
      return;
    }
    const card = CM.card("Supply risk by method", null, { testid: "risk", wide: true, subtitle: "Each method is named and versioned and shows its breakdown; too little data gives “insufficient data” and what is missing, never a made-up score." });
    grid.appendChild(card);
    for (const m of res.items) {
      const value = m.score !== null && m.score !== undefined && m.status !== "bounded" ? CM.num(m.score, 3) : m.status === "bounded" ? `between ${CM.num(m.low, 3)} and ${CM.num(m.high, 3)} (an input was published as a bound)` : "insufficient data";
      card.body.appendChild(CM.el("h3", { text: `${m.title || m.method}, ${m.stage || ""} stage: ${value}` }));
      card.body.appendChild(CM.el("p", { class: "muted", text: `Method version ${m.version}.${m.notes && m.notes.length ? " " + m.notes.join(" ") : ""}` }));
      if (m.missing && m.missing.length) card.body.appendChild(CM.el("p", { class: "muted", text: "Missing: " + m.missing.join("; ") + "." }));
      if (m.breakdown && m.breakdown.length) {
        card.body.appendChild(CM.table(
          [
            { key: "term", label: "Term", header: true, format: (v) => CM.el("span", { title: `code name: ${v}`, text: CM.riskTermLabel(v) }) },
            { key: "value", label: "Value", num: true, format: (v, r) => termValue(r.term, v), sortValue: (r) => (typeof r.value === "number" ? r.value : Array.isArray(r.value) ? r.value[0] : null) },
          ],
          m.breakdown.filter((b) => b.term !== "weights"),
          { compact: true, testid: `risk-${m.method}`, caption: `${m.title || m.method}: breakdown` }
        ));
      }
    }
  }

  CM.pages.mineral = async function (main) {
    const id = document.body.dataset.mineral;
    const q = enc(id);
    CM.prefetch([`/minerals/${q}`, `/minerals/${q}/nir`, `/minerals/${q}/concentration`, `/minerals/${q}/import-shares`,
                 `/minerals/${q}/customs?limit=10000&period=annual`, `/tracker/export-controls?mineral=${q}`, `/minerals/${q}/risk`, `/minerals/${q}/prices?basis=nominal`]);
    await Promise.all([CM.loadCountries(), CM.loadMinerals().catch(() => [])]);
    const m = await CM.api(`/minerals/${q}`);
    const head = tags(m);
    head.appendChild(CM.el("a", { class: "button small", href: `/api/v1/minerals/${q}/dossier.html`, target: "_blank", rel: "noopener", text: "Dossier (HTML report)" }));
    head.appendChild(document.createTextNode(" "));
    head.appendChild(CM.el("a", { class: "button small secondary", href: `/api/v1/minerals/${q}/dossier`, target: "_blank", rel: "noopener", text: "Dossier data (JSON)" }));
    main.appendChild(head);
    const kpis = CM.el("div", { class: "kpis", "data-testid": "mineral-kpis" });
    main.appendChild(kpis);
    const grid = CM.el("div", { class: "grid" });
    main.appendChild(grid);
    // each section fills its own slot, in page order, while the others load
    const slot = () => grid.appendChild(CM.el("div", { style: "display: contents" }));
    const [s1, s2, s3, s4, tradeSlot, s5, s6, s7] = Array.from({ length: 8 }, slot);
    const kpiNir = kpis.appendChild(CM.el("div", { style: "display: contents" }));
    const kpiHhi = kpis.appendChild(CM.el("div", { style: "display: contents" }));
    await Promise.all([
      CM.section(s1, "net import reliance", () => reliance(id, m.name, s1, kpiNir)),
      CM.section(s2, "production", () => production(id, m, s2)),
      CM.section(s3, "concentration", () => concentration(id, s3, kpiHhi)),
      CM.section(s4, "import sources", () => imports(id, s4)),
      CM.section(s5, "export controls", () => controls(id, s5)),
      CM.section(s6, "prices", () => prices(id, s6)),
      CM.section(s7, "supply risk", () => risk(id, s7)),
    ]);
    main.appendChild(CM.el("p", { class: "muted" }, ["Build a policy scenario for this mineral in the ", CM.el("a", { href: "/scenarios", text: "scenario builder" }), "."]));
    // world trade is slow on a cold server (seconds per mineral): it fills in after the page is ready
    CM.section(tradeSlot, "world trade", () => trade(id, tradeSlot));
  };
})();

/* Scenario builder: pick a market and instruments, run, compare with the baseline and saved
 * scenarios, save, download. The scenario is the model's own schema (the YAML files' shape),
 * sent to POST /api/v1/scenarios/run; every number shown is from the API's answer. */
"use strict";

(function () {
  const CM = window.CM;
  CM.pages = CM.pages || {};

  /* Field kinds: region (one), regions (several, optionally "all"), number, text, choice. */
  const INSTRUMENTS = {
    tariffs: {
      label: "Tariff (additional duty)",
      fields: [
        { key: "importer", kind: "region", label: "importer" },
        { key: "origins", kind: "regions", label: "on imports from", all: true },
        { key: "except", kind: "regions", label: "except", optional: true },
        { key: "rate", kind: "number", label: "rate (0.25 = 25 %)", step: 0.05, value: 0.25 },
      ],
    },
    minimum_import_prices: {
      label: "Minimum import price",
      fields: [
        { key: "importer", kind: "region", label: "importer" },
        { key: "price", kind: "number", label: "minimum price", priceUnit: true },
        { key: "origins", kind: "regions", label: "on imports from", all: true },
        { key: "exempt", kind: "regions", label: "exempt", optional: true },
      ],
    },
    price_floors: {
      label: "Price floor (contract for difference)",
      fields: [
        { key: "region", kind: "region", label: "producers in" },
        { key: "floor", kind: "number", label: "floor price", priceUnit: true },
        { key: "upside_share", kind: "number", label: "upside shared (0-1)", step: 0.1, value: 0 },
        { key: "eligible_share", kind: "number", label: "eligible output (0-1)", step: 0.1, value: 1 },
      ],
    },
    buyer_of_last_resort: {
      label: "Buyer of last resort",
      fields: [
        { key: "region", kind: "region", label: "producers in" },
        { key: "floor", kind: "number", label: "purchase price", priceUnit: true },
      ],
    },
    export_restrictions: {
      label: "Export restriction",
      fields: [
        { key: "exporter", kind: "region", label: "exporter" },
        { key: "kind", kind: "choice", label: "kind", choices: ["ban", "quota", "tax"], value: "ban" },
        { key: "importers", kind: "regions", label: "to", all: true },
        { key: "quantity", kind: "number", label: "quota quantity", optional: true, unit: true },
        { key: "rate", kind: "number", label: "tax rate (0.2 = 20 %)", optional: true, step: 0.05 },
      ],
    },
    stockpile: {
      label: "Stockpile purchase (+) or release (−)",
      fields: [
        { key: "region", kind: "region", label: "government of" },
        { key: "quantity", kind: "number", label: "quantity", unit: true, value: 0 },
      ],
    },
    capacity: {
      label: "Capacity change",
      fields: [
        { key: "region", kind: "region", label: "producers in" },
        { key: "change", kind: "number", label: "relative change (0.2 = +20 %)", step: 0.05, value: 0.2 },
      ],
    },
    demand_shocks: {
      label: "Demand shock",
      fields: [
        { key: "region", kind: "region", label: "consumers in" },
        { key: "change", kind: "number", label: "relative change (0.1 = +10 %)", step: 0.05, value: 0.1 },
      ],
    },
    clubs: {
      label: "Trading club",
      fields: [
        { key: "name", kind: "text", label: "name", value: "club" },
        { key: "members", kind: "regions", label: "members" },
        { key: "external_tariff", kind: "number", label: "common external tariff", optional: true, step: 0.05 },
        { key: "external_mip", kind: "number", label: "common external minimum price", optional: true, priceUnit: true },
      ],
    },
  };

  const state = { scenario: null, market: null, markets: [], result: null, savedId: null };

  function keyInput() {
    return document.getElementById("api-key");
  }
  function apiKey() {
    return keyInput().value.trim();
  }

  /* The scenario's market document for a market of the list: {ref: NAME} for a model market,
   * {from_kb: {mineral, stage}} for a knowledge-base market (id kb:<mineral>:<stage>). */
  function marketDocument(name) {
    const item = state.markets.find((m) => m.name === name);
    if (item && item.market) return JSON.parse(JSON.stringify(item.market));
    const kb = /^kb:([a-z0-9-]+):(processing|mine)$/.exec(name || "");
    return kb ? { from_kb: { mineral: kb[1], stage: kb[2] } } : { ref: name };
  }

  /* The market list's id of a scenario's market document (inverse of marketDocument). */
  function marketName(market) {
    if (market.ref) return market.ref;
    if (market.from_kb) return `kb:${market.from_kb.mineral}:${market.from_kb.stage || "processing"}`;
    return "";
  }

  function newScenario(marketName) {
    return { name: "My scenario", description: "", focus: "USA", market: marketDocument(marketName), policies: {} };
  }

  async function loadMarket(name) {
    state.market = await CM.api(`/markets/${encodeURIComponent(name)}`);
  }

  function regionSelect(value, onChange) {
    const s = CM.el("select", {}, state.market.regions.map((r) => CM.el("option", { value: r, text: r, selected: r === value })));
    s.addEventListener("change", () => onChange(s.value));
    return s;
  }

  function regionChecks(value, allowAll, onChange) {
    const box = CM.el("div", { class: "checks" });
    const current = value === "all" ? "all" : Array.isArray(value) ? value.slice() : typeof value === "string" ? [value] : [];
    const inputs = [];
    let allBox = null;
    if (allowAll) {
      allBox = CM.el("input", { type: "checkbox", checked: current === "all" });
      box.appendChild(CM.el("label", {}, [allBox, " all"]));
    }
    for (const r of state.market.regions) {
      const cb = CM.el("input", { type: "checkbox", value: r, checked: current !== "all" && current.includes(r) });
      inputs.push(cb);
      box.appendChild(CM.el("label", {}, [cb, " " + r]));
    }
    const emit = () => {
      if (allBox && allBox.checked) onChange("all");
      else onChange(inputs.filter((i) => i.checked).map((i) => i.value));
    };
    if (allBox)
      allBox.addEventListener("change", () => {
        if (allBox.checked) inputs.forEach((i) => (i.checked = false));
        emit();
      });
    inputs.forEach((i) =>
      i.addEventListener("change", () => {
        if (allBox && i.checked) allBox.checked = false;
        emit();
      })
    );
    return box;
  }

  function instrumentBlock(kind, item, index) {
    const def = INSTRUMENTS[kind];
    const spec = state.market.spec;
    const block = CM.el("div", { class: "instrument", "data-kind": kind, "data-index": index });
    const remove = CM.el("button", { type: "button", class: "small secondary", text: "remove", "aria-label": `remove ${def.label}` });
    remove.addEventListener("click", () => {
      state.scenario.policies[kind].splice(index, 1);
      if (!state.scenario.policies[kind].length) delete state.scenario.policies[kind];
      renderInstruments();
    });
    block.appendChild(CM.el("div", { class: "head" }, [CM.el("span", { text: def.label }), remove]));
    const row = CM.el("div", { class: "row" });
    for (const f of def.fields) {
      const set = (v) => {
        if (v === "" || v === null || (Array.isArray(v) && !v.length && f.optional)) delete item[f.key];
        else item[f.key] = v;
      };
      let input;
      const label = f.label + (f.priceUnit ? ` (${spec.price_unit})` : f.unit ? ` (${spec.unit})` : "");
      if (f.kind === "region") input = regionSelect(item[f.key], set);
      else if (f.kind === "regions") input = regionChecks(item[f.key] ?? (f.all ? "all" : []), f.all, set);
      else if (f.kind === "choice") {
        input = CM.el("select", {}, f.choices.map((c) => CM.el("option", { value: c, text: c, selected: item[f.key] === c })));
        input.addEventListener("change", () => set(input.value));
      } else {
        input = CM.el("input", { type: f.kind === "number" ? "number" : "text", step: f.step || "any", value: item[f.key] ?? "", name: `${kind}.${index}.${f.key}`, "aria-label": `${def.label} ${f.label}` });
        input.addEventListener("input", () => set(f.kind === "number" ? (input.value === "" ? null : Number(input.value)) : input.value));
      }
      row.appendChild(CM.el("div", { class: "field" + (f.kind === "regions" ? " wide" : ""), "data-field": f.key }, [CM.el("label", { text: label }), input]));
    }
    block.appendChild(row);
    return block;
  }

  function defaults(kind) {
    const item = {};
    const regions = state.market.regions;
    const focus = regions.includes("USA") ? "USA" : regions[0];
    const other = regions.find((r) => r !== focus) || focus;
    const price = state.market.spec.price;
    const basePrice = typeof price === "number" ? price : Object.values(price)[0];
    for (const f of INSTRUMENTS[kind].fields) {
      if (f.value !== undefined) item[f.key] = f.value;
      else if (f.kind === "region") item[f.key] = ["exporter"].includes(f.key) ? other : focus;
      else if (f.kind === "regions" && f.all) item[f.key] = "all";
      else if (f.kind === "regions" && !f.optional) item[f.key] = regions.slice(0, 2);
      else if (f.priceUnit && !f.optional) item[f.key] = Math.round(basePrice * 1.3);
    }
    return item;
  }

  function renderInstruments() {
    const holder = document.getElementById("instruments");
    CM.clear(holder);
    const pol = state.scenario.policies;
    let n = 0;
    for (const kind of Object.keys(INSTRUMENTS)) {
      (pol[kind] || []).forEach((item, i) => {
        holder.appendChild(instrumentBlock(kind, item, i));
        n++;
      });
    }
    if (!n) holder.appendChild(CM.el("p", { class: "muted", text: "No instrument yet: running now gives the baseline." }));
  }

  async function renderForm() {
    document.getElementById("sc-name").value = state.scenario.name;
    document.getElementById("sc-description").value = state.scenario.description || "";
    document.getElementById("sc-market").value = marketName(state.scenario.market);
    const m = state.market;
    const base = document.getElementById("market-base");
    CM.clear(base);
    const origin = m.market && m.market.from_kb ? " Calibrated from the knowledge base (USGS MCS); the notes below list every source and assumption." : "";
    base.appendChild(CM.el("p", { class: "muted", "data-testid": "market-origin", text: `${m.spec.mineral}, ${m.spec.stage}; quantities in ${m.spec.unit}, prices in ${m.spec.price_unit}.${origin}` }));
    base.appendChild(
      CM.table(
        [
          { key: "region", label: "Region" },
          { key: "production", label: `Production (${m.spec.unit})`, num: true, format: (v) => CM.num(v) },
          { key: "consumption", label: `Consumption (${m.spec.unit})`, num: true, format: (v) => CM.num(v) },
          { key: "price", label: `Price (${m.spec.price_unit})`, num: true, format: (v) => CM.num(v) },
        ],
        m.base,
        { compact: true, testid: "market-base" }
      )
    );
    if ((m.spec.notes || []).length) base.appendChild(CM.el("p", { class: "muted", text: m.spec.notes.join(" ") }));
    renderInstruments();
  }

  function status(text, kind = "") {
    const s = document.getElementById("sc-status");
    s.className = "status " + kind;
    s.textContent = text;
  }

  function current() {
    const s = JSON.parse(JSON.stringify(state.scenario));
    s.name = document.getElementById("sc-name").value.trim() || "unnamed scenario";
    s.description = document.getElementById("sc-description").value;
    delete s.source_path;
    return s;
  }

  // --- results ---------------------------------------------------------------------------
  function kpi(label, value, testid, raw, delta) {
    return CM.el("div", { class: "kpi", "data-testid": testid, "data-value": raw === null || raw === undefined ? "" : String(raw) }, [
      CM.el("div", { class: "value", text: value }),
      CM.el("div", { class: "label", text: label }),
      delta ? CM.el("div", { class: "delta " + (delta.startsWith("+") ? "up" : "down"), text: delta }) : null,
    ]);
  }

  function renderResults(payload) {
    state.result = payload;
    const r = payload.result;
    const s = payload.summary;
    const f = r.focus || "USA";
    const out = document.getElementById("results");
    CM.clear(out);
    const statusLine = CM.el("p", { class: r.status === "converged" ? "ok" : "error", "data-testid": "run-status", text: `${r.scenario}: ${r.status} in ${r.iterations} iterations (market-clearing residual ${CM.num(r.clearing_residual, 6)}). ${r.status === "converged" ? "" : r.message}` });
    out.appendChild(statusLine);
    if (r.status !== "converged") {
      // a failed solve has no figures (the API sends nulls): say so and show nothing that looks like a result
      out.appendChild(CM.el("p", { class: "error", "data-testid": "no-results", text: "No results: the scenario did not solve, so it has no prices, flows, import reliance or welfare. Change the instruments and run again." }));
      out.appendChild(CM.card("Assumptions", CM.el("ul", {}, r.assumptions.map((a) => CM.el("li", { text: a }))), { testid: "assumptions" }));
      document.getElementById("download-json").disabled = false;
      return;
    }
    const ind = r.indicators || {};
    const sign = (v, d = 1) => (v > 0 ? "+" : "") + CM.num(v, d);
    out.appendChild(
      CM.el("div", { class: "kpis", "data-testid": "result-kpis" }, [
        kpi(`${f} consumer price (${r.price_unit})`, CM.num(s[`${f}_consumer_price`]), "kpi-consumer-price", s[`${f}_consumer_price`], `${sign(s[`${f}_consumer_price_change_pct`])} % vs baseline`),
        kpi(`${f} imports (${r.unit})`, CM.num(s[`${f}_imports`]), "kpi-imports", s[`${f}_imports`], ind.base_imports !== undefined ? `${sign(s[`${f}_imports`] - ind.base_imports, 0)} vs baseline` : null),
        kpi(`${f} net import reliance (%)`, CM.num(s[`${f}_net_import_reliance_pct`], 1), "kpi-nir", s[`${f}_net_import_reliance_pct`], ind.base_net_import_reliance_pct !== undefined ? `baseline ${CM.num(ind.base_net_import_reliance_pct, 1)} %` : null),
        kpi(`${f} welfare change (${r.price_unit.split("/")[0]})`, CM.num(s[`${f}_welfare_change`], 0), "kpi-welfare", s[`${f}_welfare_change`]),
        kpi(`${f} fiscal cost (${r.price_unit.split("/")[0]})`, CM.num(s[`${f}_fiscal_cost`], 0), "kpi-fiscal", s[`${f}_fiscal_cost`]),
        kpi(`${f} production (${r.unit})`, CM.num(s[`${f}_production`]), "kpi-production", s[`${f}_production`], `${sign(s[`${f}_production_change`], 0)} vs baseline`),
      ])
    );
    const grid = CM.el("div", { class: "grid" });
    out.appendChild(grid);

    const regions = r.prices.map((p) => p.region);
    const pc = CM.card("Prices by region", null, { testid: "prices", subtitle: "Producer (f.o.b.) price by origin; consumer price index by destination.", actions: [dl("prices")] });
    grid.appendChild(pc);
    CM.charts.groupedBars(pc.body, regions, [
      { name: "producer, baseline", values: r.prices.map((p) => p.producer_price_base), color: "#9fb8cc" },
      { name: "producer, scenario", values: r.prices.map((p) => p.producer_price), color: "#1f5f8b" },
      { name: "consumer, baseline", values: r.prices.map((p) => p.consumer_price_base), color: "#f0c49b" },
      { name: "consumer, scenario", values: r.prices.map((p) => p.consumer_price), color: "#d9822b" },
    ], { unit: r.price_unit, axisLabel: r.price_unit, source: "critmin.model (Armington partial equilibrium), " + (r.mineral || "") });

    const wc = CM.card("Welfare change by region", null, { testid: "welfare", subtitle: `Change from the baseline, ${r.price_unit.split("/")[0]} per year; components in the table.`, actions: [dl("welfare")] });
    grid.appendChild(wc);
    const wrows = r.welfare.filter((w) => w.region !== "World");
    CM.charts.groupedBars(wc.body, wrows.map((w) => w.region), [{ name: "total welfare change", values: wrows.map((w) => w.total), color: "#3a8f5c" }], { unit: r.price_unit.split("/")[0] });
    const comps = ["consumer_surplus", "producer_surplus", "tariff_revenue", "levy_revenue", "export_tax_revenue", "quota_rent", "cfd_net_cost", "blr_purchase_cost", "stockpile_cost", "total"];
    wc.body.appendChild(CM.table([{ key: "region", label: "Region" }, ...comps.map((c) => ({ key: c, label: c.replace(/_/g, " "), num: true, format: (v) => CM.num(v, 0) }))], r.welfare, { compact: true, testid: "welfare-table" }));

    const fc = CM.card("Trade flows", null, { testid: "flows", full: true, subtitle: `Quantities in ${r.unit} per year, baseline and scenario; delivered price and wedges per unit.`, actions: [dl("flows")] });
    grid.appendChild(fc);
    fc.body.appendChild(
      CM.table(
        [
          { key: "origin", label: "From" },
          { key: "destination", label: "To" },
          { key: "quantity_base", label: "Baseline", num: true, format: (v) => CM.num(v) },
          { key: "quantity", label: "Scenario", num: true, format: (v) => CM.num(v) },
          { key: "quantity_change", label: "Change", num: true, format: (v) => CM.num(v) },
          { key: "delivered_price", label: `Delivered price (${r.price_unit})`, num: true, format: (v) => CM.num(v) },
          { key: "tariff_rate", label: "Tariff", num: true, format: (v) => CM.pct(v) },
          { key: "levy_per_unit", label: "Levy/unit", num: true, format: (v) => CM.num(v) },
          { key: "permitted", label: "Permitted", format: (v) => (v ? "yes" : "banned") },
        ],
        r.flows,
        { compact: true, testid: "flows-table" }
      )
    );

    const rc = CM.card("Import reliance and binding instruments", null, { testid: "reliance" });
    grid.appendChild(rc);
    rc.body.appendChild(
      CM.table(
        [
          { key: "indicator", label: "Indicator" },
          { key: "baseline", label: "Baseline", num: true, format: (v) => CM.num(v, 2) },
          { key: "scenario", label: "Scenario", num: true, format: (v) => CM.num(v, 2) },
        ],
        [
          { indicator: `${f} net import reliance (%)`, baseline: ind.base_net_import_reliance_pct, scenario: ind.net_import_reliance_pct },
          { indicator: `${f} imports (${r.unit})`, baseline: ind.base_imports, scenario: ind.imports },
          { indicator: `${f} import HHI (0-1)`, baseline: ind.base_import_hhi, scenario: ind.import_hhi },
        ],
        { compact: true, testid: "reliance-table" }
      )
    );
    if (r.binding.length) rc.body.appendChild(CM.table([{ key: "instrument", label: "Instrument" }, { key: "where", label: "Where" }, { key: "binds", label: "Binds", format: (v) => (v ? "yes" : "no") }, { key: "measure", label: "Measure" }, { key: "value", label: "Value", num: true, format: (v) => CM.num(v) }], r.binding, { compact: true }));

    const ac = CM.card("Assumptions", CM.el("ul", {}, r.assumptions.map((a) => CM.el("li", { text: a }))), { testid: "assumptions" });
    grid.appendChild(ac);
    document.getElementById("download-json").disabled = false;
  }

  function dl(table) {
    const b = CM.el("button", { type: "button", class: "small secondary", text: "CSV" });
    b.addEventListener("click", () => CM.saveFile(`${slug(state.result.result.scenario)}_${table}.csv`, CM.toCSV(state.result.result[table]), "text/csv"));
    return b;
  }
  const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");

  async function run() {
    status("Solving…");
    try {
      const payload = await CM.api("/scenarios/run", { body: current() });
      renderResults(payload);
      if (payload.result.status === "converged") status("Solved: converged.", "ok");
      else status(`Did not solve (${payload.result.status}): ${payload.result.message}`, "error");
    } catch (err) {
      status(err.message, "error");
    }
  }

  async function save() {
    const key = apiKey();
    if (!key) {
      status("Saving needs an API key (create one with `critmin keys create NAME`).", "error");
      keyInput().focus();
      return;
    }
    try {
      localStorage.setItem("critmin.apiKey", key);
    } catch (e) {
      /* private mode */
    }
    status("Saving…");
    try {
      const saved = await CM.api("/scenarios", { body: current(), key });
      state.savedId = saved.id;
      const runRec = await CM.api(`/scenarios/${saved.id}/runs`, { method: "POST", key });
      status(`Saved as scenario ${saved.id} with run ${runRec.id}.`, "ok");
      document.getElementById("sc-status").dataset.savedId = saved.id;
      await loadSaved();
    } catch (err) {
      status(err.message, "error");
    }
  }

  async function loadSaved() {
    const holder = document.getElementById("compare-list");
    CM.clear(holder);
    const [saved, presets] = await Promise.all([CM.api("/scenarios?limit=50", { fresh: true }), CM.api("/presets")]);
    holder.appendChild(CM.el("label", {}, [CM.el("input", { type: "checkbox", value: "current", checked: true, "data-kind": "current" }), " the scenario in the form"]));
    for (const s of saved.items) holder.appendChild(CM.el("label", {}, [CM.el("input", { type: "checkbox", value: String(s.id), "data-kind": "saved" }), ` saved ${s.id}: ${s.name}`]));
    for (const p of presets.items) holder.appendChild(CM.el("label", {}, [CM.el("input", { type: "checkbox", value: p.name, "data-kind": "preset" }), ` preset: ${p.scenario}`]));
  }

  async function compare() {
    const items = [];
    for (const cb of document.querySelectorAll("#compare-list input:checked")) {
      if (cb.dataset.kind === "current") items.push({ scenario: current(), label: "this form: " + current().name });
      else if (cb.dataset.kind === "saved") items.push({ scenario_id: Number(cb.value) });
      else items.push({ preset: cb.value });
    }
    const out = document.getElementById("compare-out");
    CM.clear(out);
    if (!items.length) {
      out.appendChild(CM.notice("Tick at least one scenario."));
      return;
    }
    try {
      const res = await CM.api("/compare", { body: { items: items.slice(0, 8) } });
      const cols = [{ key: "metric", label: "Metric" }, ...res.columns.map((c) => ({ key: c, label: c, num: true, format: (v) => (typeof v === "number" ? CM.num(v) : v === null ? "–" : String(v)) }))];
      out.appendChild(CM.table(cols, res.rows, { compact: true, testid: "compare-table" }));
      const b = CM.el("button", { type: "button", class: "small secondary", text: "Download comparison CSV" });
      b.addEventListener("click", () => CM.saveFile("comparison.csv", CM.toCSV(res.rows), "text/csv"));
      out.appendChild(b);
    } catch (err) {
      CM.error(out, err, "compare");
    }
  }

  function layout(main) {
    const marketSel = CM.el("select", { id: "sc-market", "aria-label": "Market" });
    const presetSel = CM.el("select", { id: "sc-preset", "aria-label": "Preset" }, [CM.el("option", { value: "", text: "— start from a preset —" })]);
    const addSel = CM.el("select", { id: "sc-add", "aria-label": "Add an instrument" }, [CM.el("option", { value: "", text: "+ add an instrument…" }), ...Object.entries(INSTRUMENTS).map(([k, d]) => CM.el("option", { value: k, text: d.label }))]);
    let stored = "";
    try {
      stored = localStorage.getItem("critmin.apiKey") || "";
    } catch (e) {
      stored = "";
    }
    const form = CM.el("section", { class: "card", id: "builder-form" }, [
      CM.el("div", { class: "card-head" }, [CM.el("h2", { text: "Scenario" })]),
      CM.el("div", { class: "row" }, [CM.el("div", { class: "field" }, [CM.el("label", { for: "sc-preset", text: "Preset" }), presetSel]), CM.el("div", { class: "field" }, [CM.el("label", { for: "sc-market", text: "Market (mineral)" }), marketSel])]),
      CM.el("div", { class: "field" }, [CM.el("label", { for: "sc-name", text: "Name" }), CM.el("input", { id: "sc-name", type: "text", maxlength: 200 })]),
      CM.el("div", { class: "field" }, [CM.el("label", { for: "sc-description", text: "Description" }), CM.el("textarea", { id: "sc-description", rows: 2 })]),
      CM.el("h3", { text: "Instruments" }),
      CM.el("div", { id: "instruments" }),
      addSel,
      CM.el("div", { class: "row", style: "margin-top:0.8rem" }, [
        CM.el("button", { type: "button", id: "run", text: "Run" }),
        CM.el("button", { type: "button", id: "save", class: "secondary", text: "Save and store run" }),
        CM.el("button", { type: "button", id: "download-json", class: "secondary", text: "Download JSON", disabled: true }),
      ]),
      CM.el("div", { class: "field", style: "margin-top:0.5rem" }, [CM.el("label", { for: "api-key", text: "API key (for saving)" }), CM.el("input", { id: "api-key", type: "password", value: stored, autocomplete: "off", placeholder: "cmk_…" })]),
      CM.el("div", { id: "sc-status", class: "status", role: "status" }),
      CM.el("h3", { text: "Base market" }),
      CM.el("div", { id: "market-base" }),
    ]);
    const right = CM.el("div", {}, [
      CM.el("div", { id: "results" }, [CM.el("p", { class: "muted", text: "Run the scenario to see prices, trade flows, import reliance and welfare against the baseline." })]),
      CM.card("Compare", CM.el("div", {}, [CM.el("div", { id: "compare-list", class: "checks" }), CM.el("button", { type: "button", id: "compare", class: "small", style: "margin-top:0.5rem", text: "Compare ticked" }), CM.el("div", { id: "compare-out" })]), { testid: "compare", subtitle: "Headline numbers side by side: this form, saved scenarios (solved again), presets." }),
    ]);
    main.appendChild(CM.el("div", { class: "builder" }, [form, right]));
    return { marketSel, presetSel, addSel };
  }

  CM.pages.scenarios = async function (main) {
    main.appendChild(CM.el("p", { class: "lead", text: "Pick a mineral market and the instruments under discussion (a minimum import price if talks fail, a price floor, a tariff, an export ban), run, and compare with the baseline and with saved scenarios. Markets are the model's own or calibrated from the knowledge base (the minerals whose published data allow it); their notes say which numbers are data and which are assumptions." }));
    const { marketSel, presetSel, addSel } = layout(main);
    const [markets, presets] = await Promise.all([CM.api("/markets"), CM.api("/presets")]);
    state.markets = markets.items;
    const groups = [
      ["model", "Model markets"],
      ["kb", "From the knowledge base"],
    ];
    for (const [kind, label] of groups) {
      const items = markets.items.filter((m) => (m.kind || "model") === kind);
      if (items.length) marketSel.appendChild(CM.el("optgroup", { label }, items.map((m) => CM.el("option", { value: m.name, text: m.label || `${m.name} (${m.unit}, ${m.price_unit})` }))));
    }
    if ((markets.unavailable || []).length) marketSel.title = `Not calibrated from the knowledge base (see /api/v1/markets): ${markets.unavailable.length} mineral-stage pairs`;
    for (const p of presets.items) presetSel.appendChild(CM.el("option", { value: p.name, text: p.scenario }));
    const params = new URLSearchParams(window.location.search);
    const first = params.get("market") || (markets.items[0] && markets.items[0].name);
    state.scenario = newScenario(first);
    await loadMarket(first);
    await renderForm();

    marketSel.addEventListener("change", async () => {
      state.scenario = { ...newScenario(marketSel.value), name: document.getElementById("sc-name").value };
      await loadMarket(marketSel.value);
      await renderForm();
    });
    presetSel.addEventListener("change", async () => {
      if (!presetSel.value) return;
      const spec = await CM.api(`/presets/${encodeURIComponent(presetSel.value)}`);
      if (!spec.market.ref) {
        status("This preset defines its market inline or with its own knowledge-base options; only presets on a listed market can be edited here.", "error");
        return;
      }
      state.scenario = spec;
      for (const k of Object.keys(spec.policies || {})) if (!spec.policies[k] || !spec.policies[k].length) delete spec.policies[k];
      await loadMarket(marketName(spec.market));
      await renderForm();
    });
    addSel.addEventListener("change", () => {
      const kind = addSel.value;
      if (!kind) return;
      (state.scenario.policies[kind] ||= []).push(defaults(kind));
      addSel.value = "";
      renderInstruments();
    });
    document.getElementById("run").addEventListener("click", run);
    document.getElementById("save").addEventListener("click", save);
    document.getElementById("compare").addEventListener("click", compare);
    document.getElementById("download-json").addEventListener("click", () => {
      if (state.result) CM.saveFile(`${slug(state.result.result.scenario)}.json`, JSON.stringify(state.result, null, 2), "application/json");
    });
    await CM.section(document.getElementById("compare-list"), "saved scenarios", loadSaved);
  };
})();

/* Scenario builder: pick a market and instruments, check them in plain words, run, compare on one
 * basis of units, save, open, rename, delete and share saved scenarios, sign in with an API key and,
 * for an administrator, manage keys. The scenario is the model's own schema (the YAML files' shape),
 * sent to POST /api/v1/scenarios/run; every number shown is from the API's answer. */
"use strict";

(function () {
  const CM = window.CM;
  CM.pages = CM.pages || {};

  /* Field kinds: region (one), regions (several, optionally "all"), number, text, choice.
   * Numbers carry their bounds (the model's schema) and what counts as absurd, so the page can
   * say what is wrong in words before anything is sent:
   *   min/max: hard bounds, minOpen: strictly above; pct: the value is a fraction shown as a percent;
   *   absurd: a magnitude to warn about ("price": times the base price, "quantity": times world
   *   consumption, or a number for fractions). */
  const INSTRUMENTS = {
    tariffs: {
      label: "Tariff",
      fields: [
        { key: "importer", kind: "region", label: "importer" },
        { key: "origins", kind: "regions", label: "on imports from", all: true },
        { key: "except", kind: "regions", label: "except", optional: true },
        { key: "rate", kind: "number", label: "rate (0.25 = 25 %)", step: 0.05, value: 0.25, name: "rate", min: -1, minOpen: true, pct: true, absurd: 10 },
      ],
    },
    minimum_import_prices: {
      label: "Minimum import price",
      fields: [
        { key: "importer", kind: "region", label: "importer" },
        { key: "price", kind: "number", label: "minimum price", name: "minimum price", priceUnit: true, min: 0, minOpen: true, absurd: "price" },
        { key: "origins", kind: "regions", label: "on imports from", all: true },
        { key: "exempt", kind: "regions", label: "exempt", optional: true },
      ],
    },
    price_floors: {
      label: "Price floor",
      fields: [
        { key: "region", kind: "region", label: "producers in" },
        { key: "floor", kind: "number", label: "floor price", name: "floor price", priceUnit: true, min: 0, minOpen: true, absurd: "price" },
        { key: "upside_share", kind: "number", label: "upside shared (0-1)", name: "upside share", step: 0.1, value: 0, min: 0, max: 1, pct: true },
        { key: "eligible_share", kind: "number", label: "eligible output (0-1)", name: "eligible share", step: 0.1, value: 1, min: 0, max: 1, pct: true },
      ],
    },
    buyer_of_last_resort: {
      label: "Buyer of last resort",
      fields: [
        { key: "region", kind: "region", label: "producers in" },
        { key: "floor", kind: "number", label: "purchase price", name: "purchase price", priceUnit: true, min: 0, minOpen: true, absurd: "price" },
      ],
    },
    export_restrictions: {
      label: "Export restriction",
      fields: [
        { key: "exporter", kind: "region", label: "exporter" },
        { key: "kind", kind: "choice", label: "kind", choices: ["ban", "quota", "tax"], value: "quota" },
        { key: "importers", kind: "regions", label: "to", all: true },
        { key: "quantity", kind: "number", label: "quota quantity", name: "quota quantity", optional: true, unit: true, min: 0, absurd: "quantity", onlyFor: "quota" },
        { key: "rate", kind: "number", label: "tax rate (0.2 = 20 %)", name: "tax rate", optional: true, step: 0.05, min: -1, minOpen: true, pct: true, absurd: 10, onlyFor: "tax" },
      ],
    },
    stockpile: {
      label: "Stockpile purchase (+) or release (−)",
      fields: [
        { key: "region", kind: "region", label: "government of" },
        { key: "quantity", kind: "number", label: "quantity", name: "quantity", unit: true, absurd: "quantity" },
      ],
    },
    capacity: {
      label: "Capacity change",
      fields: [
        { key: "region", kind: "region", label: "producers in" },
        { key: "change", kind: "number", label: "relative change (0.2 = +20 %)", name: "relative change", step: 0.05, optional: true, min: -1, minOpen: true, pct: true, absurd: 10 },
        { key: "add", kind: "number", label: "or added quantity", name: "added quantity", optional: true, unit: true, absurd: "quantity" },
      ],
    },
    demand_shocks: {
      label: "Demand shock",
      fields: [
        { key: "region", kind: "region", label: "consumers in" },
        { key: "change", kind: "number", label: "relative change (0.1 = +10 %)", name: "relative change", step: 0.05, value: 0.1, min: -1, minOpen: true, pct: true, absurd: 5 },
      ],
    },
    clubs: {
      label: "Trading club",
      fields: [
        { key: "name", kind: "text", label: "name", value: "club" },
        { key: "members", kind: "regions", label: "members" },
        { key: "external_tariff", kind: "number", label: "common external tariff (0.25 = 25 %)", name: "external tariff", optional: true, step: 0.05, min: -1, minOpen: true, pct: true, absurd: 10 },
        { key: "external_mip", kind: "number", label: "common external minimum price", name: "external minimum price", optional: true, priceUnit: true, min: 0, minOpen: true, absurd: "price" },
      ],
    },
  };
  /* How many times the base price (or world consumption) makes a number absurd enough to warn. */
  const ABSURD_TIMES = 50;

  const state = { engine: "armington", scenario: null, market: null, markets: [], presets: [], result: null, stale: false, marketKey: null, custom: {}, auth: null };
  const SESSION_KEY = "critmin.apiKey";

  /* --- markets ------------------------------------------------------------------------------ */

  /* The scenario's market document for a market of the list: {ref: NAME} for a model market,
   * {from_kb: {mineral, stage}} for a knowledge-base market (id kb:<mineral>:<stage>), or the
   * document a preset gave (id preset:<name>). */
  function marketDocument(name) {
    if (state.custom[name]) return JSON.parse(JSON.stringify(state.custom[name].market));
    const item = state.markets.find((m) => m.name === name);
    if (item && item.market) return JSON.parse(JSON.stringify(item.market));
    const kb = /^kb:([a-z0-9-]+):(processing|mine)$/.exec(name || "");
    return kb ? { from_kb: { mineral: kb[1], stage: kb[2] } } : { ref: name };
  }

  /* A knowledge-base market document with nothing but mineral and stage (the listed form). */
  function plainKB(market) {
    if (!market || !market.from_kb) return false;
    return Object.entries(market.from_kb).every(([k, v]) => ["mineral", "stage"].includes(k) || v === null || v === undefined);
  }

  /* The market list's id of a scenario's market document; null when the list has no such market. */
  function listedName(market) {
    if (market.ref) return state.markets.some((m) => m.name === market.ref) ? market.ref : null;
    if (plainKB(market)) {
      const name = `kb:${market.from_kb.mineral}:${market.from_kb.stage || "processing"}`;
      return state.markets.some((m) => m.name === name) ? name : null;
    }
    return null;
  }

  function newScenario(name) {
    return { name: "My scenario", description: "", focus: "USA", market: marketDocument(name), policies: {} };
  }

  /* The market's specification and base point: GET /markets/{name} for a listed market, else
   * POST /markets/resolve with the document (a preset's own knowledge-base options, an inline market). */
  async function loadMarket(doc) {
    const name = listedName(doc);
    state.market = name ? await CM.api(`/markets/${encodeURIComponent(name)}`) : await CM.api("/markets/resolve", { body: { market: doc } });
  }

  /* Add (once) an option to the market list for a preset's market that the list does not have. */
  function customMarketOption(presetName, spec, label) {
    const id = `preset:${presetName}`;
    state.custom[id] = { market: spec.market, label };
    const sel = document.getElementById("sc-market");
    let group = sel.querySelector("optgroup[data-group=custom]");
    if (!group) {
      group = CM.el("optgroup", { label: "As defined by a preset", "data-group": "custom" });
      sel.appendChild(group);
    }
    if (!group.querySelector(`option[value="${CSS.escape(id)}"]`)) group.appendChild(CM.el("option", { value: id, text: label }));
    return id;
  }

  function baseFigures() {
    const rows = state.market.base || [];
    const price = state.market.spec.price;
    const focus = state.scenario.focus && state.market.regions.includes(state.scenario.focus) ? state.scenario.focus : state.market.regions[0];
    const basePrice = typeof price === "number" ? price : price[focus] ?? Object.values(price)[0];
    const consumption = rows.reduce((a, r) => a + (Number(r.consumption) || 0), 0);
    return { basePrice, consumption, focus };
  }

  /* --- instruments -------------------------------------------------------------------------- */

  function regionSelect(value, onChange, label) {
    const s = CM.el("select", { "aria-label": label }, state.market.regions.map((r) => CM.el("option", { value: r, text: r, selected: r === value })));
    s.addEventListener("change", () => onChange(s.value));
    return s;
  }

  function regionChecks(value, allowAll, onChange, label) {
    const box = CM.el("div", { class: "checks", role: "group", "aria-label": label });
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
    const title = `${def.label} ${index + 1}`;
    const block = CM.el("div", { class: "instrument", "data-kind": kind, "data-index": index });
    const remove = CM.el("button", { type: "button", class: "small secondary", text: "remove", "aria-label": `remove ${title}` });
    remove.addEventListener("click", () => {
      state.scenario.policies[kind].splice(index, 1);
      if (!state.scenario.policies[kind].length) delete state.scenario.policies[kind];
      renderInstruments();
      inputsChanged();
    });
    block.appendChild(CM.el("div", { class: "head" }, [CM.el("span", { text: title }), remove]));
    const row = CM.el("div", { class: "row" });
    for (const f of def.fields) {
      if (f.onlyFor && item.kind !== f.onlyFor) {
        delete item[f.key]; // a ban takes neither quantity nor rate; a quota no rate; a tax no quantity
        continue;
      }
      const set = (v) => {
        if (v === "" || v === null || (Array.isArray(v) && !v.length && f.optional)) delete item[f.key];
        else item[f.key] = v;
      };
      let input;
      const label = f.label + (f.priceUnit ? ` (${spec.price_unit})` : f.unit ? ` (${spec.unit})` : "");
      const id = `f-${kind}-${index}-${f.key}`;
      const multiple = f.kind === "regions" || (f.kind === "region" && Array.isArray(item[f.key]));
      if (f.kind === "region" && !multiple) input = regionSelect(item[f.key], set, `${title}: ${label}`);
      else if (multiple) input = regionChecks(item[f.key] ?? (f.all ? "all" : []), f.all, set, `${title}: ${label}`);
      else if (f.kind === "choice") {
        input = CM.el("select", { id }, f.choices.map((c) => CM.el("option", { value: c, text: c, selected: item[f.key] === c })));
        input.addEventListener("change", () => {
          set(input.value);
          renderInstruments(); // the fields that apply depend on the kind
        });
      } else {
        input = CM.el("input", { id, type: f.kind === "number" ? "number" : "text", step: f.step || "any", value: item[f.key] ?? "", name: `${kind}.${index}.${f.key}` });
        input.addEventListener("input", () => set(f.kind === "number" ? (input.value === "" ? null : Number(input.value)) : input.value));
      }
      const labelEl = multiple || f.kind === "region" ? CM.el("span", { class: "label", text: label }) : CM.el("label", { for: id, text: label });
      row.appendChild(CM.el("div", { class: "field" + (multiple ? " wide" : ""), "data-field": f.key }, [labelEl, input]));
    }
    block.appendChild(row);
    return block;
  }

  /* Defaults that move the market on every market offered: the focus region acts against its
   * largest supplier (from the market's base flows), at magnitudes a debate would use (a 25%
   * tariff, a price 30% above the base, a quota of half the supplier's shipments, a stockpile
   * purchase of a tenth of the focus region's use). Each is checked to solve and to change the
   * focus region's price or imports by tests/web/test_builder.py on every market. */
  function defaults(kind) {
    const item = {};
    const regions = state.market.regions;
    const { basePrice, focus } = baseFigures();
    const flows = (state.market.base_flows || []).filter((f) => f.destination === focus && f.origin !== focus);
    flows.sort((a, b) => b.quantity - a.quantity);
    const supplier = flows.length ? flows[0].origin : regions.find((r) => r !== focus) || focus;
    const second = flows.length > 1 ? flows[1].origin : regions.find((r) => r !== focus && r !== supplier) || supplier;
    const baseRow = (state.market.base || []).find((r) => r.region === focus) || {};
    const use = Number(baseRow.consumption) || 0;
    const producer = (state.market.base || []).filter((r) => r.region !== supplier).sort((a, b) => (b.production || 0) - (a.production || 0))[0];
    const round = (v) => Number(v.toPrecision(3));
    for (const f of INSTRUMENTS[kind].fields) {
      if (f.value !== undefined) item[f.key] = f.value;
      else if (f.kind === "region") item[f.key] = f.key === "exporter" ? supplier : focus;
      else if (f.kind === "regions" && f.key === "origins") item[f.key] = [supplier];
      else if (f.kind === "regions" && f.all) item[f.key] = [focus];
      else if (f.kind === "regions" && !f.optional) item[f.key] = [focus, second].filter((r, i, a) => a.indexOf(r) === i);
      else if (f.priceUnit && !f.optional) item[f.key] = round(basePrice * 1.3);
    }
    if (kind === "export_restrictions") item.quantity = round(Math.max((flows[0] || {}).quantity || 0, 0) * 0.5);
    if (kind === "stockpile") item.quantity = round(Math.max(use, 1e-9) * 0.1);
    if (kind === "capacity") {
      item.region = producer ? producer.region : focus;
      item.change = 0.2;
    }
    if (kind === "price_floors" || kind === "buyer_of_last_resort") item.region = producer ? producer.region : focus;
    if (kind === "clubs") {
      item.external_tariff = 0.25;
      item.members = [focus, second].filter((r, i, a) => a.indexOf(r) === i && r !== supplier);
      if (item.members.length < 2) item.members = regions.filter((r) => r !== supplier).slice(0, 2);
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
    if (!n) holder.appendChild(CM.el("p", { class: "muted", text: "No instrument yet: running now gives the baseline. Add one below." }));
  }

  async function renderForm() {
    document.getElementById("sc-name").value = state.scenario.name;
    document.getElementById("sc-description").value = state.scenario.description || "";
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
        { compact: true, testid: "market-base", caption: `Base market: ${m.spec.mineral}` }
      )
    );
    const notes = (m.spec.notes || []).concat(m.spec.assumptions || []);
    if (notes.length) base.appendChild(CM.el("p", { class: "muted", text: notes.join(" ") }));
    renderInstruments();
    showProblems([], []);
  }

  function status(text, kind = "") {
    const s = document.getElementById("sc-status");
    s.className = "status " + kind;
    s.textContent = text;
  }

  function current() {
    const s = JSON.parse(JSON.stringify(state.scenario));
    s.name = document.getElementById("sc-name").value.trim();
    s.description = document.getElementById("sc-description").value;
    delete s.source_path;
    return s;
  }

  /* --- checking in plain words -------------------------------------------------------------- */

  const fmtPct = (v) => `${CM.num(v * 100, Math.abs(v * 100) >= 100 ? 0 : 1)}%`;
  function fmtValue(f, v) {
    if (f.pct) return fmtPct(v);
    const unit = f.priceUnit ? ` ${state.market.spec.price_unit}` : f.unit ? ` ${state.market.spec.unit}` : "";
    return `${CM.num(v)}${unit}`;
  }
  function bound(f, v) {
    return f.pct ? fmtPct(v) : `${CM.num(v)}${f.priceUnit ? " " + state.market.spec.price_unit : f.unit ? " " + state.market.spec.unit : ""}`;
  }
  function times(x) {
    if (x >= 1e9) return `${CM.num(x / 1e9, 0)} billion times`;
    if (x >= 1e6) return `${CM.num(x / 1e6, 0)} million times`;
    return `${CM.num(x, 0)} times`;
  }

  /* Problems (which stop a run) and warnings (which do not) of a scenario, each a sentence that
   * names the instrument as a reader sees it ("Tariff 1: the rate must be above -100%"). */
  function check(s) {
    const problems = [];
    const warnings = [];
    if (!s.name) problems.push("Name: give the scenario a name.");
    const { basePrice, consumption } = baseFigures();
    for (const [kind, def] of Object.entries(INSTRUMENTS)) {
      (s.policies[kind] || []).forEach((item, i) => {
        const title = `${def.label} ${i + 1}`;
        for (const f of def.fields) {
          if (f.onlyFor && item.kind !== f.onlyFor) continue;
          const v = item[f.key];
          const missing = v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length);
          if (missing) {
            const needed = !f.optional || (f.onlyFor && item.kind === f.onlyFor);
            if (needed) problems.push(f.kind === "regions" ? `${title}: tick at least one region under “${f.label}”.` : `${title}: enter the ${f.name || f.label}.`);
            continue;
          }
          if (f.kind !== "number") continue;
          if (typeof v !== "number" || !Number.isFinite(v)) {
            problems.push(`${title}: the ${f.name} must be a number.`);
            continue;
          }
          if (f.min !== undefined && (f.minOpen ? v <= f.min : v < f.min))
            problems.push(`${title}: the ${f.name} must be ${f.minOpen ? "above" : "at least"} ${bound(f, f.min)} (it is ${fmtValue(f, v)}).`);
          else if (f.max !== undefined && v > f.max) problems.push(`${title}: the ${f.name} must be at most ${bound(f, f.max)} (it is ${fmtValue(f, v)}).`);
          else if (f.absurd === "price" && basePrice > 0 && v > ABSURD_TIMES * basePrice)
            warnings.push(`${title}: a ${f.name} of ${fmtValue(f, v)} is ${times(v / basePrice)} the base price (${bound(f, basePrice)}); no market has seen such a price, so read any result as a stress test, not a forecast.`);
          else if (f.absurd === "quantity" && consumption > 0 && Math.abs(v) > ABSURD_TIMES * consumption)
            warnings.push(`${title}: a ${f.name} of ${fmtValue(f, v)} is ${times(Math.abs(v) / consumption)} the world's yearly use (${bound(f, consumption)}); check the unit.`);
          else if (typeof f.absurd === "number" && Math.abs(v) > f.absurd) warnings.push(`${title}: a ${f.name} of ${fmtValue(f, v)} is far outside any measure in force; check it is meant as a fraction (0.25 = 25%).`);
        }
        if (kind === "capacity" && (item.change === undefined || item.change === null) === (item.add === undefined || item.add === null)) problems.push(`${title}: give either a relative change or an added quantity, not both.`);
        if (kind === "clubs" && (item.members || []).length < 2) problems.push(`${title}: a club needs at least two members.`);
      });
    }
    return { problems, warnings };
  }

  function showProblems(problems, warnings) {
    const box = document.getElementById("sc-problems");
    CM.clear(box);
    if (problems.length) box.appendChild(CM.el("div", { class: "error", "data-testid": "problems" }, [CM.el("p", { text: "Fix these before running:" }), CM.el("ul", {}, problems.map((p) => CM.el("li", { text: p })))]));
    if (warnings.length) box.appendChild(CM.el("div", { class: "warning", "data-testid": "warnings" }, [CM.el("p", { text: "Check these magnitudes:" }), CM.el("ul", {}, warnings.map((p) => CM.el("li", { text: p })))]));
  }

  /* A 422's field errors in the page's words: "policies.tariffs.0.rate" -> "Tariff 1: rate". */
  function plainError(err) {
    const errors = (err.data && err.data.errors) || [];
    if (!errors.length) return err.message.replace(/^invalid request: /, "");
    return errors
      .map((e) => {
        const m = /policies\.(\w+)\.(\d+)\.?(\w+)?/.exec(e.field || "");
        let msg = String(e.message || "invalid").replace(/^Input should be /, "must be ").replace(/^Value error, /, "");
        if (m && INSTRUMENTS[m[1]]) {
          const def = INSTRUMENTS[m[1]];
          const f = def.fields.find((x) => x.key === m[3]);
          const limit = /^must be (greater|less) than( or equal to)? (-?[0-9.e+-]+)$/.exec(msg);
          if (f && limit) msg = `must be ${limit[1] === "greater" ? (limit[2] ? "at least" : "above") : limit[2] ? "at most" : "below"} ${bound(f, Number(limit[3]))}`;
          return `${def.label} ${Number(m[2]) + 1}: ${f ? "the " + (f.name || f.label) + " " : ""}${msg}.`;
        }
        return `${String(e.field || "").replace(/^body\.?/, "") || "scenario"}: ${msg}.`;
      })
      .join(" ");
  }

  /* --- results: stale, cleared -------------------------------------------------------------- */

  function clearResults(reason) {
    state.result = null;
    state.stale = false;
    const out = document.getElementById("results");
    CM.clear(out);
    out.classList.remove("stale");
    out.appendChild(CM.el("p", { class: "muted", "data-testid": "no-run", text: reason || "Run the scenario to see prices, trade flows, import reliance and welfare against the baseline." }));
    document.getElementById("download-json").disabled = true;
  }

  /* Any edit after a run: the results stay for reference but say they are for the previous inputs. */
  function inputsChanged() {
    if (!state.result || state.stale) return;
    state.stale = true;
    const out = document.getElementById("results");
    out.classList.add("stale");
    out.insertBefore(CM.el("p", { class: "warning", role: "status", "data-testid": "stale-note", text: "Inputs changed since this run: the results below are for the previous inputs. Run again to update them." }), out.firstChild);
  }

  function kpi(label, value, testid, raw, delta) {
    return CM.el("div", { class: "kpi", "data-testid": testid, "data-value": raw === null || raw === undefined ? "" : String(raw) }, [
      CM.el("div", { class: "value", text: value }),
      CM.el("div", { class: "label", text: label }),
      delta ? CM.el("div", { class: "delta " + (delta.startsWith("+") ? "up" : "down"), text: delta }) : null,
    ]);
  }

  function renderResults(payload, warnings = []) {
    state.result = payload;
    state.stale = false;
    const r = payload.result;
    const s = payload.summary;
    const f = r.focus || "USA";
    const out = document.getElementById("results");
    CM.clear(out);
    out.classList.remove("stale");
    const solved = r.status === "converged";
    const statusText = solved
      ? `${r.scenario}: solved, the market clears (${r.iterations} iterations, residual ${CM.num(r.clearing_residual, 6)}).${warnings.length ? " But the inputs are far outside observed markets: " + warnings.join(" ") : ""}`
      : `${r.scenario}: did not solve (${r.status}). ${r.message}`;
    const statusLine = CM.el("p", { class: solved ? (warnings.length ? "warning" : "ok") : "error", "data-testid": "run-status", "data-status": r.status, text: statusText });
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
    wc.body.appendChild(CM.table([{ key: "region", label: "Region" }, ...comps.map((c) => ({ key: c, label: WELFARE_LABELS[c] || c.replace(/_/g, " "), num: true, format: (v) => CM.num(v, 0) }))], r.welfare, { compact: true, testid: "welfare-table" }));

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

  const WELFARE_LABELS = {
    consumer_surplus: "Consumer surplus", producer_surplus: "Producer surplus", tariff_revenue: "Tariff revenue",
    levy_revenue: "Minimum-price levy revenue", export_tax_revenue: "Export tax revenue", quota_rent: "Quota rent",
    cfd_net_cost: "Price-floor net cost", blr_purchase_cost: "Last-resort purchase cost", stockpile_cost: "Stockpile cost", total: "Total",
  };

  function dl(table) {
    const b = CM.el("button", { type: "button", class: "small secondary", text: "CSV" });
    b.addEventListener("click", () => CM.saveFile(`${slug(state.result.result.scenario)}_${table}.csv`, CM.toCSV(state.result.result[table]), "text/csv"));
    return b;
  }
  const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");

  /* --- chain-engine scenarios (several minerals, years, ranges) -------------------------------- */

  /* A chain policy list as a person reads it: no empty fields, no empty lists. */
  function tidyPolicies(policies) {
    const out = {};
    for (const [kind, items] of Object.entries(policies || {})) {
      if (!Array.isArray(items) || !items.length) continue;
      out[kind] = items.map((item) => Object.fromEntries(Object.entries(item).filter(([, v]) => v !== null && !(Array.isArray(v) && !v.length))));
    }
    return out;
  }

  function chainMarketLabel(market) {
    if (typeof market === "string") return market;
    if (market && market.kb) return `kb:${market.kb}${market.stage ? ":" + market.stage : ""}${market.regions ? " (regions as in the scenario)" : ""}`;
    if (market && market.ref) return `market file chain_market_${market.ref}.yaml`;
    return "inline market";
  }

  function setMode(engine) {
    state.engine = engine;
    for (const el of document.querySelectorAll("[data-mode=armington]")) el.hidden = engine !== "armington";
    for (const el of document.querySelectorAll("[data-mode=chain]")) el.hidden = engine !== "chain";
    document.getElementById("save").disabled = engine === "chain";
    document.getElementById("save").title = engine === "chain" ? "Saving chain-engine scenarios is not offered by the API yet: download the JSON instead." : "";
  }

  async function useChain(spec, origin) {
    state.scenario = JSON.parse(JSON.stringify(spec));
    const id = `chain:${origin}`;
    state.custom[id] = { market: null, label: `chain engine: ${Object.keys(spec.minerals || {}).join(", ")} (${spec.name})` };
    const sel = document.getElementById("sc-market");
    let group = sel.querySelector("optgroup[data-group=chain]");
    if (!group) {
      group = CM.el("optgroup", { label: "Chain engine (several minerals over years)", "data-group": "chain" });
      sel.appendChild(group);
    }
    if (!group.querySelector(`option[value="${CSS.escape(id)}"]`)) group.appendChild(CM.el("option", { value: id, text: state.custom[id].label }));
    sel.value = id;
    state.marketKey = id;
    setMode("chain");
    document.getElementById("sc-name").value = spec.name;
    document.getElementById("sc-description").value = spec.description || "";
    const h = spec.horizon || {};
    document.getElementById("ch-start").value = h.start ?? "";
    document.getElementById("ch-end").value = h.end ?? "";
    document.getElementById("ch-rate").value = h.discount_rate ?? "";
    const holder = document.getElementById("chain-minerals");
    CM.clear(holder);
    for (const [mineral, entry] of Object.entries(spec.minerals || {})) {
      const id2 = `ch-pol-${mineral}`;
      holder.appendChild(
        CM.el("div", { class: "instrument", "data-mineral": mineral }, [
          CM.el("div", { class: "head" }, [CM.el("span", { text: `${mineral}: ${chainMarketLabel(entry.market)}` })]),
          CM.el("label", { for: id2, text: `Instruments on ${mineral} (as in the scenario file, JSON; rates as fractions, 0.25 = 25%)` }),
          CM.el("textarea", { id: id2, rows: 6, class: "code", "data-mineral": mineral, spellcheck: "false" }, [JSON.stringify(tidyPolicies(entry.policies), null, 1)]),
        ])
      );
    }
    const base = document.getElementById("market-base");
    CM.clear(base);
    base.appendChild(CM.el("p", { class: "muted", text: "Checking the markets…" }));
    showProblems([], []);
    try {
      const v = await CM.api("/scenarios/validate", { body: spec });
      CM.clear(base);
      const rows = v.minerals.map((m) => ({
        mineral: m.mineral,
        market: typeof m.market === "string" ? m.market : chainMarketLabel(m.market),
        stages: m.stages.map((s) => `${s.name}: ${s.unit} of ${s.basis}, ${s.price_unit}`).join("; "),
        regions: m.regions.join(", "),
        inputs: m.bounded ? "bounded: results are ranges (low–high)" : "point values",
      }));
      base.appendChild(CM.el("p", { class: "muted", "data-testid": "market-origin", text: "Chain engine: each mineral's market is solved year by year over the horizon; a market with bounded inputs is solved at its low and high ends." }));
      base.appendChild(CM.table([{ key: "mineral", label: "Mineral" }, { key: "market", label: "Market" }, { key: "stages", label: "Stages (unit, basis, price)" }, { key: "regions", label: "Regions" }, { key: "inputs", label: "Inputs" }], rows, { compact: true, testid: "chain-markets", caption: "Markets of the scenario" }));
      if ((v.notes || []).length) base.appendChild(CM.el("ul", { class: "muted" }, v.notes.map((n) => CM.el("li", { text: n }))));
    } catch (err) {
      CM.clear(base);
      base.appendChild(CM.el("p", { class: "error", text: `The markets do not check: ${plainError(err)}` }));
    }
    clearResults(`Loaded “${spec.name}” (chain engine). Run it to see the results, or change it first.`);
  }

  /* The chain document from the form, and what is wrong with it in words. */
  function currentChain() {
    const s = JSON.parse(JSON.stringify(state.scenario));
    const problems = [];
    s.name = document.getElementById("sc-name").value.trim();
    s.description = document.getElementById("sc-description").value;
    if (!s.name) problems.push("Name: give the scenario a name.");
    const num = (id) => (document.getElementById(id).value === "" ? null : Number(document.getElementById(id).value));
    const start = num("ch-start");
    const end = num("ch-end");
    const rate = num("ch-rate");
    s.horizon = { ...(s.horizon || {}), start, end, discount_rate: rate };
    if (!Number.isInteger(start)) problems.push("Horizon: the first year must be a whole year, e.g. 2026.");
    if (!Number.isInteger(end) || (Number.isInteger(start) && end < start)) problems.push("Horizon: the last year must be a whole year, not before the first.");
    if (rate === null || !(rate > -1 && rate < 1)) problems.push("Horizon: the discount rate must be a fraction between -100% and 100% (0.07 = 7%).");
    for (const ta of document.querySelectorAll("#chain-minerals textarea")) {
      const mineral = ta.dataset.mineral;
      try {
        const pol = JSON.parse(ta.value || "{}");
        if (!pol || typeof pol !== "object" || Array.isArray(pol)) throw new Error("not a list of instruments by kind");
        s.minerals[mineral].policies = pol;
      } catch (e) {
        problems.push(`Instruments on ${mineral}: not readable (${e.message}); write them as {"tariffs": [{"importer": "USA", "origins": ["CHN"], "stage": "processing", "rate": 0.25}]}.`);
      }
    }
    delete s.source_path;
    return { scenario: s, problems };
  }

  const range = (lo, hi, digits) => {
    if (lo === null || lo === undefined) return "–";
    if (hi === null || hi === undefined || lo === hi) return CM.num(lo, digits);
    return `${CM.num(lo, digits)} – ${CM.num(hi, digits)}`;
  };

  function renderChainResults(payload) {
    state.result = { result: { scenario: payload.scenario.name }, ...payload };
    state.stale = false;
    const out = document.getElementById("results");
    CM.clear(out);
    out.classList.remove("stale");
    const solved = payload.status === "converged";
    const o = payload.outcome || {};
    out.appendChild(CM.el("p", { class: solved ? "ok" : "error", "data-testid": "run-status", "data-status": payload.status, text: solved ? `${payload.scenario.name}: solved, every market clears in every year (${o.members || "all"} market solves).` : `${payload.scenario.name}: did not solve (${payload.status}). ${payload.message || ""} ${payload.failure_note || ""}` }));
    const focus = payload.scenario.focus || "USA";
    const rows = [];
    for (const m of payload.summary) {
      for (const key of Object.keys(m)) {
        if (!key.endsWith("_low")) continue;
        const name = key.slice(0, -4);
        const d = CHAIN_LABELS(name, focus, m);
        if (!d) continue;
        rows.push({ mineral: m.mineral, measure: d.label, value: range(m[key], m[name + "_high"], d.digits), unit: d.unit, low: m[key], high: m[name + "_high"], status: m.status === "converged" ? "" : `did not solve: ${m.message}` });
      }
    }
    const sc = CM.card("Results by mineral, over the horizon", CM.table([{ key: "mineral", label: "Mineral" }, { key: "measure", label: "Measure" }, { key: "value", label: "Value (low – high where the inputs are bounded)", num: true }, { key: "unit", label: "Unit" }], rows, { compact: true, testid: "chain-summary", caption: "Results by mineral" }), { testid: "chain-summary-card", full: true, subtitle: `${focus} figures; a range low – high where a market's inputs are bounded (solved at both ends), one number where they are not.` });
    const grid = CM.el("div", { class: "grid" });
    out.appendChild(grid);
    grid.appendChild(sc);
    const yrows = payload.years.map((y) => ({
      mineral: y.mineral, year: y.year, stage: `${y.stage} (${y.basis})`,
      price: range(y.use_price_low, y.use_price_high), price_unit: y.price_unit,
      change: range(y.use_price_change_pct_low, y.use_price_change_pct_high, 1),
      imports: range(y.imports_low, y.imports_high), production: range(y.production_low, y.production_high), unit: y.unit,
      welfare: range(y.welfare_total_low, y.welfare_total_high, 0), currency: y.currency,
    }));
    grid.appendChild(CM.card("Year by year", CM.table([
      { key: "mineral", label: "Mineral" }, { key: "year", label: "Year" }, { key: "stage", label: "Stage (basis)" },
      { key: "price", label: `${focus} price paid by users`, num: true }, { key: "price_unit", label: "Price unit" },
      { key: "change", label: "Change vs baseline (%)", num: true },
      { key: "imports", label: `${focus} imports`, num: true }, { key: "production", label: `${focus} production`, num: true }, { key: "unit", label: "Quantity unit" },
      { key: "welfare", label: `${focus} welfare change`, num: true }, { key: "currency", label: "Money unit" },
    ], yrows, { compact: true, testid: "chain-years", caption: "Year by year" }), { full: true, testid: "chain-years-card" }));
    const notes = (payload.notes || []).slice();
    const assumptions = (payload.result && payload.result.assumptions) || {};
    for (const [who, list] of Object.entries(assumptions)) for (const a of list || []) notes.push(`${who}: ${a}`);
    // every figure's source and assumption, folded: a chain scenario has dozens per mineral
    if (notes.length) grid.appendChild(CM.card("Notes and assumptions", CM.el("details", {}, [CM.el("summary", { text: `Show the ${notes.length} notes, sources and assumptions behind these figures` }), CM.el("ul", {}, notes.map((n) => CM.el("li", { text: n })))]), { testid: "assumptions", full: true }));
    document.getElementById("download-json").disabled = false;
  }

  function CHAIN_LABELS(name, focus, m) {
    const quantity = `${m.unit} of ${m.basis}`;
    const money = m.currency || "USD";
    const rest = name.startsWith(focus + "_") ? name.slice(focus.length + 1) : name;
    const who = name.startsWith(focus + "_") ? focus + " " : "";
    const table = {
      use_price_change_pct_first_year: [`${who}price paid by users, change in the first year`, "%", 1],
      use_price_change_pct_max: [`${who}price paid by users, largest change in any year`, "%", 1],
      imports_change_total: [`${who}imports, change summed over the horizon`, quantity],
      production_change_total: [`${who}production, change summed over the horizon`, quantity],
      fiscal_cost_total: [`${who}fiscal cost, summed over the horizon`, money, 0],
      fiscal_cost_discounted: [`${who}fiscal cost, present value`, money, 0],
      consumer_surplus_change_discounted: [`${who}consumer surplus change, present value`, money, 0],
      producer_surplus_change_discounted: [`${who}producer surplus change, present value`, money, 0],
      total_change_discounted: [`${who}welfare change, present value`, money, 0],
    };
    const d = table[rest];
    return d ? { label: d[0].charAt(0).toUpperCase() + d[0].slice(1), unit: d[1], digits: d[2] } : null;
  }

  /* --- running ------------------------------------------------------------------------------ */

  async function run() {
    if (state.engine === "chain") return runChain();
    const s = current();
    const { problems, warnings } = check(s);
    showProblems(problems, warnings);
    if (problems.length) {
      status(`Not run: ${problems.length === 1 ? "one input needs" : problems.length + " inputs need"} fixing (listed above).`, "error");
      return;
    }
    status("Solving…");
    try {
      const payload = await CM.api("/scenarios/run", { body: s });
      renderResults(payload, warnings);
      if (payload.result.status !== "converged") status(`Did not solve (${payload.result.status}): ${payload.result.message}`, "error");
      else if (warnings.length) status("Solved, but check the magnitudes flagged above: the result is far outside observed markets.", "warning");
      else status("Solved: converged.", "ok");
    } catch (err) {
      status(`Not run: ${plainError(err)}`, "error");
    }
  }

  async function runChain() {
    const { scenario, problems } = currentChain();
    showProblems(problems, []);
    if (problems.length) {
      status(`Not run: ${problems.length === 1 ? "one input needs" : problems.length + " inputs need"} fixing (listed above).`, "error");
      return;
    }
    status("Solving with the chain engine (every mineral, every year, both ends of any range): this can take up to a minute…");
    try {
      const payload = await CM.api("/scenarios/run", { body: scenario });
      renderChainResults(payload);
      if (payload.status !== "converged") status(`Did not solve (${payload.status}): ${payload.message || payload.failure_note}`, "error");
      else status("Solved: converged.", "ok");
    } catch (err) {
      status(`Not run: ${plainError(err)}`, "error");
    }
  }

  /* --- signing in ---------------------------------------------------------------------------- */

  function storedKey() {
    try {
      return sessionStorage.getItem(SESSION_KEY) || "";
    } catch (e) {
      return "";
    }
  }

  async function signIn(key, quiet) {
    const out = document.getElementById("signin-status");
    if (!key) {
      out.className = "status error";
      out.textContent = "Paste an API key first (an administrator gives you one; it starts with cmk_).";
      return;
    }
    try {
      const info = await CM.api("/auth/key", { key });
      state.auth = { key, ...info };
      try {
        sessionStorage.setItem(SESSION_KEY, key);
      } catch (e) {
        /* storage refused: signed in for this page only */
      }
    } catch (err) {
      state.auth = null;
      try {
        sessionStorage.removeItem(SESSION_KEY);
      } catch (e) {
        /* nothing stored */
      }
      if (!quiet) {
        out.className = "status error";
        out.textContent = `Not signed in: ${err.message}`;
      }
    }
    renderAuth();
  }

  function signOut() {
    state.auth = null;
    try {
      sessionStorage.removeItem(SESSION_KEY);
    } catch (e) {
      /* nothing stored */
    }
    renderAuth();
    document.getElementById("signin-status").textContent = "Signed out.";
  }

  function renderAuth() {
    const a = state.auth;
    const form = document.getElementById("signin-form");
    const who = document.getElementById("signin-who");
    const out = document.getElementById("signin-status");
    form.hidden = !!a;
    who.hidden = !a;
    if (a) {
      document.getElementById("api-key").value = "";
      document.getElementById("signin-name").textContent = `Signed in as “${a.name}” (key ${a.key_id}${a.admin ? ", administrator" : ""}). The key is kept in this tab only and forgotten when it closes.`;
      out.className = "status ok";
      out.textContent = "";
    }
    const admin = document.getElementById("admin");
    admin.hidden = !(a && a.admin);
    if (a && a.admin) loadKeys();
    renderSaved();
  }

  function needKey(where) {
    if (state.auth) return state.auth.key;
    const msg = "Sign in with an API key first (the “Sign in” box on this page).";
    if (where) {
      where.className = "status error";
      where.textContent = msg;
    } else status(msg, "error");
    document.getElementById("api-key").focus();
    return null;
  }

  /* --- saving, opening, renaming, deleting, sharing ------------------------------------------ */

  async function save() {
    const s = current();
    const { problems, warnings } = check(s);
    showProblems(problems, warnings);
    if (problems.length) {
      status("Not saved: fix the inputs listed above first.", "error");
      return;
    }
    const key = needKey();
    if (!key) return;
    status("Saving…");
    try {
      const saved = await CM.api("/scenarios", { body: s, key });
      const runRec = await CM.api(`/scenarios/${saved.id}/runs`, { method: "POST", key });
      status(`Saved as scenario ${saved.id} with run ${runRec.id}. Share it with the link in “Saved scenarios”.`, "ok");
      document.getElementById("sc-status").dataset.savedId = saved.id;
      history.replaceState(null, "", `/scenarios?saved=${saved.id}`);
      await refreshLists();
    } catch (err) {
      status(`Not saved: ${plainError(err)}`, "error");
    }
  }

  async function openSaved(id) {
    const row = await CM.api(`/scenarios/${id}`, { fresh: true });
    await useScenario(row.spec, `saved:${id}`);
    history.replaceState(null, "", `/scenarios?saved=${id}`);
    status(`Opened saved scenario ${id}: “${row.name}”.`, "ok");
  }

  function shareLink(id) {
    return `${window.location.origin}/scenarios?saved=${id}`;
  }

  let savedRows = [];
  function renderSaved() {
    const holder = document.getElementById("saved-list");
    if (!holder) return;
    CM.clear(holder);
    if (!savedRows.length) {
      holder.appendChild(CM.el("p", { class: "muted", text: "No saved scenario yet. Sign in, then “Save and store run”." }));
      return;
    }
    const list = CM.el("ul", { class: "saved", "data-testid": "saved-list" });
    for (const s of savedRows) {
      const li = CM.el("li", { "data-id": String(s.id) });
      const open = CM.el("button", { type: "button", class: "small", text: "Open", "aria-label": `open saved scenario ${s.id}` });
      open.addEventListener("click", () => openSaved(s.id).catch((err) => status(err.message, "error")));
      const link = CM.el("a", { href: `/scenarios?saved=${s.id}`, class: "share", text: "link", "aria-label": `link to saved scenario ${s.id}` });
      const copy = CM.el("button", { type: "button", class: "small secondary", text: "Copy link", "aria-label": `Copy link to saved scenario ${s.id}` });
      copy.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(shareLink(s.id));
          li.querySelector(".row-status").textContent = "Link copied.";
        } catch (e) {
          li.querySelector(".row-status").textContent = `Copy this link: ${shareLink(s.id)}`;
        }
      });
      const actions = [open, link, copy];
      if (state.auth) {
        const rename = CM.el("button", { type: "button", class: "small secondary", text: "Rename", "aria-label": `rename saved scenario ${s.id}` });
        rename.addEventListener("click", () => renameForm(li, s));
        const del = CM.el("button", { type: "button", class: "small danger", text: "Delete", "aria-label": `delete saved scenario ${s.id}` });
        del.addEventListener("click", () => deleteForm(li, s));
        actions.push(rename, del);
      }
      li.appendChild(CM.el("span", { class: "name", text: `${s.id}: ${s.name}` }));
      li.appendChild(CM.el("span", { class: "muted", text: ` ${s.mineral || ""} · ${String(s.created_at || "").slice(0, 10)}` }));
      li.appendChild(CM.el("div", { class: "actions" }, actions));
      li.appendChild(CM.el("div", { class: "row-status status", role: "status" }));
      list.appendChild(li);
    }
    holder.appendChild(list);
  }

  function renameForm(li, s) {
    const input = CM.el("input", { type: "text", value: s.name, maxlength: 200, "aria-label": `new name for saved scenario ${s.id}`, class: "rename-input" });
    const ok = CM.el("button", { type: "button", class: "small", text: "Save name" });
    const msg = li.querySelector(".row-status");
    ok.addEventListener("click", async () => {
      const name = input.value.trim();
      if (!name) {
        msg.className = "row-status status error";
        msg.textContent = "The name must not be blank.";
        return;
      }
      const key = needKey(msg);
      if (!key) return;
      try {
        await CM.api(`/scenarios/${s.id}`, { method: "PATCH", body: { name }, key });
        await refreshLists();
        status(`Renamed scenario ${s.id} to “${name}”.`, "ok");
      } catch (err) {
        msg.className = "row-status status error";
        msg.textContent = `Not renamed: ${plainError(err)}`;
      }
    });
    li.querySelector(".actions").replaceWith(CM.el("div", { class: "actions" }, [input, ok]));
    input.focus();
  }

  function deleteForm(li, s) {
    const yes = CM.el("button", { type: "button", class: "small danger", text: `Yes, delete “${s.name}”` });
    const no = CM.el("button", { type: "button", class: "small secondary", text: "Keep it" });
    const msg = li.querySelector(".row-status");
    no.addEventListener("click", renderSaved);
    yes.addEventListener("click", async () => {
      const key = needKey(msg);
      if (!key) return;
      try {
        await CM.api(`/scenarios/${s.id}`, { method: "DELETE", key });
        await refreshLists();
        status(`Deleted saved scenario ${s.id} (its stored runs are kept).`, "ok");
      } catch (err) {
        msg.className = "row-status status error";
        msg.textContent = `Not deleted: ${plainError(err)}`;
      }
    });
    li.querySelector(".actions").replaceWith(CM.el("div", { class: "actions" }, [yes, no]));
    yes.focus();
  }

  async function refreshLists() {
    const saved = await CM.api("/scenarios?limit=50", { fresh: true });
    savedRows = saved.items;
    renderSaved();
    renderCompareList();
  }

  /* --- comparing ----------------------------------------------------------------------------- */

  function renderCompareList() {
    const holder = document.getElementById("compare-list");
    const ticked = new Set([...holder.querySelectorAll("input:checked")].map((c) => `${c.dataset.kind}:${c.value}`));
    CM.clear(holder);
    const box = (kind, value, text, checked) => CM.el("label", {}, [CM.el("input", { type: "checkbox", value, "data-kind": kind, checked: checked || ticked.has(`${kind}:${value}`) }), " " + text]);
    holder.appendChild(box("current", "current", "the scenario in the form", !ticked.size));
    for (const s of savedRows) holder.appendChild(box("saved", String(s.id), `saved ${s.id}: ${s.name}`));
    for (const p of state.presets) holder.appendChild(box("preset", p.name, `preset: ${p.scenario}`));
  }

  async function compare() {
    const items = [];
    for (const cb of document.querySelectorAll("#compare-list input:checked")) {
      if (cb.dataset.kind === "current") {
        const s = state.engine === "chain" ? currentChain().scenario : current();
        items.push({ scenario: s, label: "this form: " + (s.name || "unnamed") });
      }
      else if (cb.dataset.kind === "saved") items.push({ scenario_id: Number(cb.value) });
      else items.push({ preset: cb.value });
    }
    const out = document.getElementById("compare-out");
    CM.clear(out);
    if (!items.length) {
      out.appendChild(CM.notice("Tick at least one scenario."));
      return;
    }
    if (items.length > 8) {
      out.appendChild(CM.el("p", { class: "error", text: `At most 8 scenarios side by side (${items.length} ticked).` }));
      return;
    }
    const basis = document.getElementById("compare-basis").value;
    out.appendChild(CM.el("p", { class: "muted", text: "Solving…" }));
    try {
      const res = await CM.api(`/comparison?basis=${basis}`, { body: { items } });
      CM.clear(out);
      out.appendChild(CM.el("p", { class: "muted", "data-testid": "compare-basis-note", text: `Quantities in ${res.basis.unit} per year and prices in ${res.basis.currency}/${res.basis.unit}, whatever unit each market uses; money in ${res.basis.currency} per year. Only the mass unit is converted: a tonne of gallium and a tonne of rare-earth oxide remain different materials.` }));
      const market = (m) => (m.stage === "chain engine" ? `chain engine: ${m.mineral} (figures per mineral below)` : m.mineral ? `${m.mineral}${m.stage ? ", " + m.stage : ""} (market in ${m.unit}, ${m.price_unit})` : "stored run");
      const fmtRange = (v) => (v && typeof v === "object" ? `${CM.num(v.low)} – ${CM.num(v.high)}` : null);
      const fmt = (v) => (typeof v === "number" ? CM.num(v) : v === null || v === undefined ? "–" : fmtRange(v) || String(v));
      const rows = [
        { label: "Market", unit: "", ...Object.fromEntries(res.markets.map((m) => [m.label, market(m)])) },
        { label: "Solve", unit: "", ...Object.fromEntries(res.markets.map((m) => [m.label, m.status === "converged" ? "solved" : `did not solve: ${m.message || m.status}`])) },
        ...res.rows,
      ];
      const cols = [{ key: "label", label: "Measure" }, { key: "unit", label: "Unit" }, ...res.columns.map((c) => ({ key: c, label: c, num: true, format: fmt }))];
      out.appendChild(CM.table(cols, rows, { compact: true, testid: "compare-table", caption: "Scenarios side by side" }));
      for (const n of res.notes) out.appendChild(CM.el("p", { class: "muted", text: n }));
      const b = CM.el("button", { type: "button", class: "small secondary", text: "Download comparison CSV" });
      b.addEventListener("click", () => CM.saveFile("comparison.csv", CM.toCSV(rows), "text/csv"));
      out.appendChild(b);
    } catch (err) {
      CM.clear(out);
      out.appendChild(CM.el("p", { class: "error", text: `Not compared: ${plainError(err)}` }));
    }
  }

  /* --- key management (administrators) -------------------------------------------------------- */

  async function loadKeys() {
    const holder = document.getElementById("admin-keys");
    CM.clear(holder);
    try {
      const res = await CM.api("/admin/keys", { key: state.auth.key });
      const rows = res.items.map((k) => ({ ...k, state: k.active ? "active" : "revoked", role: k.admin ? "administrator" : "writes" }));
      const table = CM.table(
        [
          { key: "key_id", label: "Key id" },
          { key: "name", label: "For" },
          { key: "role", label: "May" },
          { key: "created_at", label: "Created", format: (v) => String(v || "").slice(0, 16).replace("T", " ") },
          { key: "last_used_at", label: "Last used", format: (v) => (v ? String(v).slice(0, 16).replace("T", " ") : "never") },
          { key: "state", label: "State" },
        ],
        rows,
        { compact: true, testid: "keys-table", caption: "API keys" }
      );
      holder.appendChild(table);
      const revokable = rows.filter((k) => k.active && k.key_id !== state.auth.key_id);
      if (revokable.length) {
        const sel = CM.el("select", { id: "revoke-key", "aria-label": "Key to revoke" }, revokable.map((k) => CM.el("option", { value: k.key_id, text: `${k.key_id} (${k.name})` })));
        const btn = CM.el("button", { type: "button", class: "small danger", id: "revoke", text: "Revoke" });
        btn.addEventListener("click", async () => {
          const msg = document.getElementById("admin-status");
          try {
            await CM.api(`/admin/keys/${sel.value}`, { method: "DELETE", key: state.auth.key });
            msg.className = "status ok";
            msg.textContent = `Revoked key ${sel.value}: requests with it are refused from now on.`;
            await loadKeys();
          } catch (err) {
            msg.className = "status error";
            msg.textContent = `Not revoked: ${err.message}`;
          }
        });
        holder.appendChild(CM.el("div", { class: "row" }, [CM.el("label", { for: "revoke-key", text: "Revoke" }), sel, btn]));
      }
    } catch (err) {
      holder.appendChild(CM.el("p", { class: "error", text: `Keys not listed: ${err.message}` }));
    }
  }

  async function createKey() {
    const name = document.getElementById("new-key-name").value.trim();
    const admin = document.getElementById("new-key-admin").checked;
    const msg = document.getElementById("admin-status");
    const shown = document.getElementById("new-key");
    CM.clear(shown);
    if (!name) {
      msg.className = "status error";
      msg.textContent = "Say who or what the key is for (a name).";
      return;
    }
    try {
      const rec = await CM.api("/admin/keys", { body: { name, admin }, key: state.auth.key });
      msg.className = "status ok";
      msg.textContent = `Created key ${rec.key_id} for “${rec.name}”${rec.admin ? " (administrator)" : ""}.`;
      shown.appendChild(CM.el("p", { text: "Copy the key now and hand it over: it is not stored and will not be shown again." }));
      shown.appendChild(CM.el("input", { type: "text", readonly: true, value: rec.key, "data-testid": "new-key-value", "aria-label": "the new key", class: "key-value" }));
      document.getElementById("new-key-name").value = "";
      await loadKeys();
    } catch (err) {
      msg.className = "status error";
      msg.textContent = `Not created: ${plainError(err)}`;
    }
  }

  /* --- the page ------------------------------------------------------------------------------- */

  function layout(main) {
    const marketSel = CM.el("select", { id: "sc-market" });
    const presetSel = CM.el("select", { id: "sc-preset" }, [CM.el("option", { value: "", text: "— start from a preset —" })]);
    const addSel = CM.el("select", { id: "sc-add", "aria-label": "Add an instrument" }, [CM.el("option", { value: "", text: "+ add an instrument…" }), ...Object.entries(INSTRUMENTS).map(([k, d]) => CM.el("option", { value: k, text: d.label }))]);
    const form = CM.el("section", { class: "card", id: "builder-form", "aria-labelledby": "builder-h" }, [
      CM.el("div", { class: "card-head" }, [CM.el("h2", { id: "builder-h", text: "Scenario" })]),
      CM.el("div", { class: "row" }, [CM.el("div", { class: "field" }, [CM.el("label", { for: "sc-preset", text: "Preset" }), presetSel]), CM.el("div", { class: "field" }, [CM.el("label", { for: "sc-market", text: "Market (mineral)" }), marketSel])]),
      CM.el("div", { class: "field" }, [CM.el("label", { for: "sc-name", text: "Name" }), CM.el("input", { id: "sc-name", type: "text", maxlength: 200 })]),
      CM.el("div", { class: "field" }, [CM.el("label", { for: "sc-description", text: "Description" }), CM.el("textarea", { id: "sc-description", rows: 2 })]),
      CM.el("h3", { text: "Instruments" }),
      CM.el("div", { id: "instruments", "data-mode": "armington" }),
      CM.el("div", { "data-mode": "armington" }, [addSel]),
      CM.el("div", { id: "chain-editor", "data-mode": "chain", hidden: true }, [
        CM.el("div", { class: "row" }, [
          CM.el("div", { class: "field" }, [CM.el("label", { for: "ch-start", text: "First year" }), CM.el("input", { id: "ch-start", type: "number", step: 1 })]),
          CM.el("div", { class: "field" }, [CM.el("label", { for: "ch-end", text: "Last year" }), CM.el("input", { id: "ch-end", type: "number", step: 1 })]),
          CM.el("div", { class: "field" }, [CM.el("label", { for: "ch-rate", text: "Discount rate (0.07 = 7%)" }), CM.el("input", { id: "ch-rate", type: "number", step: 0.01 })]),
        ]),
        CM.el("div", { id: "chain-minerals" }),
      ]),
      CM.el("div", { id: "sc-problems", "aria-live": "polite" }),
      CM.el("div", { class: "row", style: "margin-top:0.8rem" }, [
        CM.el("button", { type: "button", id: "run", text: "Run" }),
        CM.el("button", { type: "button", id: "save", class: "secondary", text: "Save and store run" }),
        CM.el("button", { type: "button", id: "download-json", class: "secondary", text: "Download JSON", disabled: true }),
      ]),
      CM.el("div", { id: "sc-status", class: "status", role: "status" }),
      CM.el("h3", { text: "Base market" }),
      CM.el("div", { id: "market-base" }),
    ]);
    const signin = CM.card(
      "Sign in",
      CM.el("div", {}, [
        CM.el("div", { id: "signin-form" }, [
          CM.el("div", { class: "field" }, [CM.el("label", { for: "api-key", text: "API key (saving, renaming and deleting need one)" }), CM.el("input", { id: "api-key", type: "password", autocomplete: "off", placeholder: "cmk_…" })]),
          CM.el("button", { type: "button", id: "sign-in", class: "small", text: "Sign in" }),
        ]),
        CM.el("div", { id: "signin-who", hidden: true }, [CM.el("p", { id: "signin-name" }), CM.el("button", { type: "button", id: "sign-out", class: "small secondary", text: "Sign out" })]),
        CM.el("div", { id: "signin-status", class: "status", role: "status" }),
      ]),
      { testid: "signin", id: "signin" }
    );
    const admin = CM.card(
      "API keys (administrator)",
      CM.el("div", {}, [
        CM.el("div", { id: "admin-keys" }),
        CM.el("h3", { text: "New key" }),
        CM.el("div", { class: "row" }, [
          CM.el("div", { class: "field" }, [CM.el("label", { for: "new-key-name", text: "For (a person or machine)" }), CM.el("input", { id: "new-key-name", type: "text", maxlength: 200 })]),
          CM.el("label", { class: "inline" }, [CM.el("input", { id: "new-key-admin", type: "checkbox" }), " administrator (may manage keys)"]),
          CM.el("button", { type: "button", id: "create-key", class: "small", text: "Create key" }),
        ]),
        CM.el("div", { id: "new-key" }),
        CM.el("div", { id: "admin-status", class: "status", role: "status" }),
      ]),
      { testid: "admin", id: "admin", subtitle: "Keys are stored as salted hashes: a new key is shown once, here. You cannot revoke the key you are signed in with." }
    );
    admin.hidden = true;
    const basisSel = CM.el("select", { id: "compare-basis" }, [CM.el("option", { value: "t", text: "tonnes (t, USD/t)" }), CM.el("option", { value: "kg", text: "kilograms (kg, USD/kg)" }), CM.el("option", { value: "kt", text: "thousand tonnes (kt, USD/kt)" })]);
    const right = CM.el("div", {}, [
      CM.el("div", { id: "results", "aria-live": "polite" }),
      CM.card(
        "Compare",
        CM.el("div", {}, [
          CM.el("div", { id: "compare-list", class: "checks" }),
          CM.el("div", { class: "row", style: "margin-top:0.5rem" }, [CM.el("label", { for: "compare-basis", text: "Units" }), basisSel, CM.el("button", { type: "button", id: "compare", class: "small", text: "Compare ticked" })]),
          CM.el("div", { id: "compare-out" }),
        ]),
        { testid: "compare", subtitle: "Headline numbers side by side on one basis of units: this form, saved scenarios (solved again), presets." }
      ),
      CM.card("Saved scenarios", CM.el("div", { id: "saved-list" }), { testid: "saved", subtitle: "Open one into the form, share its link, or (signed in) rename or delete it." }),
      signin,
      admin,
    ]);
    main.appendChild(CM.el("div", { class: "builder" }, [form, right]));
    return { marketSel, presetSel, addSel };
  }

  /* Put a scenario document into the form: its market (listed, or as the preset defines it) and instruments. */
  async function useScenario(spec, origin) {
    if (spec.engine === "chain") return useChain(spec, origin);
    setMode("armington");
    spec.policies = spec.policies || {};
    for (const k of Object.keys(spec.policies)) {
      if (!spec.policies[k] || !spec.policies[k].length) delete spec.policies[k];
      // a field the document leaves empty (null) is a field the instrument does not use
      else for (const item of spec.policies[k]) for (const f of Object.keys(item)) if (item[f] === null) delete item[f];
    }
    let name = listedName(spec.market);
    if (!name) name = customMarketOption(origin, spec, `${spec.market.from_kb ? spec.market.from_kb.mineral + ", " + (spec.market.from_kb.stage || "processing") + " (knowledge base, options of " : "inline market (of "}${spec.name})`);
    await loadMarket(spec.market);
    state.scenario = spec;
    state.marketKey = name;
    document.getElementById("sc-market").value = name;
    await renderForm();
    clearResults(`Loaded “${spec.name}”. Run it to see the results, or change it first.`);
  }

  CM.pages.scenarios = async function (main) {
    main.appendChild(CM.el("p", { class: "lead", text: "Pick a mineral market and the instruments under discussion (a minimum import price if talks fail, a price floor, a tariff, an export quota), run, and compare with the baseline and with saved scenarios. Markets are the model's own or calibrated from the knowledge base (the minerals whose published data allow it); their notes say which numbers are data and which are assumptions." }));
    const { marketSel, presetSel, addSel } = layout(main);
    clearResults();
    const [markets, presets] = await Promise.all([CM.api("/markets"), CM.api("/presets")]);
    state.markets = markets.items;
    state.presets = presets.items;
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
    const first = params.get("market") && markets.items.some((m) => m.name === params.get("market")) ? params.get("market") : markets.items[0] && markets.items[0].name;
    state.scenario = newScenario(first);
    state.marketKey = first;
    marketSel.value = first;
    await loadMarket(state.scenario.market);
    await renderForm();

    marketSel.addEventListener("change", async () => {
      const name = marketSel.value;
      if (name.startsWith("chain:")) return; // a chain scenario's entry: nothing else to pick
      setMode("armington");
      clearResults("Market changed: the previous results were for another market. Run the scenario to see results for this one.");
      state.scenario = { ...newScenario(name), name: document.getElementById("sc-name").value, description: document.getElementById("sc-description").value };
      state.marketKey = name;
      await loadMarket(state.scenario.market);
      await renderForm();
    });
    presetSel.addEventListener("change", async () => {
      if (!presetSel.value) return;
      try {
        const spec = await CM.api(`/presets/${encodeURIComponent(presetSel.value)}`, { fresh: true });
        await useScenario(spec, presetSel.value);
        status(`Loaded preset “${spec.name}”: edit it or run it.`, "ok");
      } catch (err) {
        status(`Preset not loaded: ${plainError(err)}`, "error");
      }
    });
    addSel.addEventListener("change", () => {
      const kind = addSel.value;
      if (!kind) return;
      (state.scenario.policies[kind] ||= []).push(defaults(kind));
      addSel.value = "";
      renderInstruments();
      inputsChanged();
    });
    const form = document.getElementById("builder-form");
    // any edit of the inputs (not the preset or market pickers, which reload the form) marks results stale
    for (const ev of ["input", "change"])
      form.addEventListener(ev, (e) => {
        if (["sc-preset", "sc-market", "sc-add"].includes(e.target.id)) return;
        inputsChanged();
      });
    document.getElementById("run").addEventListener("click", run);
    document.getElementById("save").addEventListener("click", save);
    document.getElementById("compare").addEventListener("click", compare);
    document.getElementById("sign-in").addEventListener("click", () => signIn(document.getElementById("api-key").value.trim()));
    document.getElementById("api-key").addEventListener("keydown", (e) => {
      if (e.key === "Enter") signIn(document.getElementById("api-key").value.trim());
    });
    document.getElementById("sign-out").addEventListener("click", signOut);
    document.getElementById("create-key").addEventListener("click", createKey);
    document.getElementById("download-json").addEventListener("click", () => {
      if (state.result) CM.saveFile(`${slug(state.result.result.scenario)}.json`, JSON.stringify(state.result, null, 2), "application/json");
    });
    // for the tests: what the page would add for an instrument on the current market
    CM.builder = { defaults, check: () => check(current()), current: () => (state.engine === "chain" ? currentChain().scenario : current()), plainError };
    if (storedKey()) await signIn(storedKey(), true);
    await CM.section(document.getElementById("saved-list"), "saved scenarios", refreshLists);
    const savedId = params.get("saved");
    if (savedId) {
      if (/^[1-9][0-9]{0,9}$/.test(savedId)) await openSaved(Number(savedId)).catch((err) => status(`Saved scenario ${savedId} not opened: ${err.message}`, "error"));
      else status(`“${savedId}” is not a saved scenario's number.`, "error");
    }
  };
})();

/* Company exposure: upload a bill of materials (or pick an example), choose scenarios and rule
 * sets, read exposure by mineral, stage and country, the policy cost per year with its range,
 * eligibility per part with the reason, alternative origins. Every number is the API's
 * (POST /api/v1/exposure, GET /api/v1/exposure/examples/{name}); a bill with problems lists
 * each bad row in plain words and nothing else. */
"use strict";

(function () {
  const CM = window.CM;
  CM.pages = CM.pages || {};
  const enc = encodeURIComponent;

  const STAGE = { mine: "Mine", processing: "Processing", supplier: "Supplier (direct)" };
  const BASIS = {
    bill: "from the bill (supplier)",
    declared: "declared in the bill",
    inferred: "inferred from world shares",
    unknown: "unknown (no evidence)",
  };
  const isNum = (v) => v !== null && v !== undefined && !Number.isNaN(v);
  const same = (a, b) => isNum(a) && isNum(b) && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

  /** Tonnes a year; small amounts in kg or g so they never print as 0. */
  function tonnes(v) {
    if (!isNum(v)) return "–";
    if (v === 0) return "0";
    if (Math.abs(v) >= 1) return `${CM.num(v, Math.abs(v) >= 100 ? 0 : 1)} t`;
    const kg = v * 1000;
    return Math.abs(kg) >= 0.001 ? `${Number(kg.toPrecision(3)).toLocaleString("en-US")} kg` : `${Number((kg * 1000).toPrecision(3))} g`;
  }
  const range = (lo, hi, f) => (!isNum(lo) || !isNum(hi) ? "–" : same(lo, hi) ? f(lo) : `${f(lo)} – ${f(hi)}`);
  function usd(v) {
    if (!isNum(v)) return "–";
    const a = Math.abs(v), sign = v < 0 ? "−" : "";
    return a >= 1e6 ? `${sign}$${CM.num(a / 1e6, 2)} M` : `${sign}$${CM.num(a, 0)}`;
  }
  const pctRange = (lo, hi) => (!isNum(lo) || !isNum(hi) ? "–" : Math.abs(lo - hi) < 5e-4 ? CM.pct(lo) : `${CM.pct(lo)}–${CM.pct(hi)}`);
  const country = (iso) => (iso === null || iso === undefined || iso === "" ? "none in the knowledge base" : iso === "unknown" ? "unknown (no evidence)" : iso === "unassigned" ? "unassigned (no country accounts for it)" : `${CM.countryName(iso) || iso} (${iso})`);
  const allUnknown = (r) => isNum(r.unknown_share) && r.unknown_share >= 0.9995;
  const basisTag = (b) => CM.el("span", { class: "tag" + (b === "inferred" ? " warn" : b === "declared" ? " on" : "") }, [BASIS[b] || b]);

  /** One bad row in plain words, as the CLI prints it. */
  function problemText(p) {
    let t = `Row ${p.row}, column “${p.column}”: ${p.message}`;
    if (p.found) t += ` (found “${p.found}”)`;
    if (p.expected) t += `; expected ${p.expected}`;
    return t + ".";
  }

  // ------------------------------------------------------------------ the form

  function form(opts, state, run) {
    const exampleSel = CM.el("select", { id: "ex-example" }, opts.examples.map((e) =>
      CM.el("option", { value: e.name, text: `${e.name.replace(/_/g, " ")} (${e.lines} lines)`, selected: e.name === state.example })));
    const file = CM.el("input", { id: "ex-file", type: "file", accept: ".csv,.xlsx,.xlsm,text/csv", "aria-describedby": "ex-file-help" });
    const srcExample = CM.el("input", { type: "radio", name: "ex-source", id: "ex-src-example", value: "example", checked: !state.upload });
    const srcUpload = CM.el("input", { type: "radio", name: "ex-source", id: "ex-src-upload", value: "upload", checked: !!state.upload });
    file.addEventListener("change", () => { srcUpload.checked = true; });
    exampleSel.addEventListener("change", () => { srcExample.checked = true; });
    const download = CM.el("a", { class: "button small secondary", href: "", download: "", text: "Download it (a template)" });
    const setDownload = () => download.setAttribute("href", `${CM.API}/exposure/examples/${enc(exampleSel.value)}.csv`);
    exampleSel.addEventListener("change", setDownload);
    setDownload();

    const rules = CM.el("div", { class: "checks", role: "group", "aria-labelledby": "ex-rules-label" }, opts.rules.map((r) =>
      CM.el("label", {}, [CM.el("input", { type: "checkbox", name: "rules", value: r.name, checked: state.rules.includes(r.name) }), ` ${r.name}: ${r.title}`])));
    const scen = CM.el("div", { class: "checks scenario-checks", role: "group", "aria-labelledby": "ex-scen-label" }, opts.scenarios.map((s) =>
      CM.el("label", { title: s.name }, [CM.el("input", { type: "checkbox", name: "scenario", value: s.name, checked: state.scenarios.includes(s.name) }), ` ${s.scenario}`])));
    const year = CM.el("input", { id: "ex-year", type: "number", min: opts.years[0], max: opts.years[1], value: state.year, style: "width: 6rem" });
    const go = CM.el("button", { type: "submit", id: "ex-run", text: "Assess the bill" });
    const status = CM.el("div", { class: "status", role: "status", "aria-live": "polite", id: "ex-status", "data-testid": "exposure-status" });
    const f = CM.el("form", { id: "exposure-form", "data-testid": "exposure-form" }, [
      CM.el("fieldset", { class: "plain" }, [
        CM.el("legend", { text: "Bill of materials" }),
        CM.el("div", { class: "controls-row" }, [
          CM.el("label", { for: "ex-src-example" }, [srcExample, " An example bill"]),
          CM.el("label", { for: "ex-example", class: "visually-hidden", text: "Example bill" }), exampleSel, download,
        ]),
        CM.el("div", { class: "controls-row" }, [
          CM.el("label", { for: "ex-src-upload" }, [srcUpload, " Your bill"]),
          CM.el("label", { for: "ex-file", class: "visually-hidden", text: "Bill file (CSV or XLSX)" }), file,
        ]),
        CM.el("p", { class: "muted small", id: "ex-file-help", text: `CSV (UTF-8) or XLSX, at most ${CM.num(opts.limits.bytes, 0)} bytes and ${CM.num(opts.limits.lines, 0)} lines. Columns: ${opts.columns.join(", ")} (docs/exposure.md). The file is read for this answer only; nothing is stored.` }),
      ]),
      CM.el("fieldset", { class: "plain" }, [CM.el("legend", { id: "ex-rules-label", text: "Origin and eligibility rules" }), rules]),
      CM.el("fieldset", { class: "plain" }, [CM.el("legend", { id: "ex-scen-label", text: "Policy scenarios (the cost to the company)" }), scen]),
      CM.el("div", { class: "controls-row" }, [CM.el("label", { for: "ex-year", text: "Year" }), year, go]),
      status,
    ]);
    f.addEventListener("submit", (e) => {
      e.preventDefault();
      const pick = {
        upload: srcUpload.checked ? file.files[0] || null : null,
        example: exampleSel.value,
        rules: [...f.querySelectorAll('input[name="rules"]:checked')].map((x) => x.value),
        scenarios: [...f.querySelectorAll('input[name="scenario"]:checked')].map((x) => x.value),
        year: Number(year.value) || 2026,
      };
      if (srcUpload.checked && !pick.upload) {
        status.textContent = "Choose a CSV or XLSX file first, or pick an example bill.";
        file.focus();
        return;
      }
      run(pick, go, status);
    });
    return f;
  }

  function query(pick) {
    const q = new URLSearchParams();
    for (const s of pick.scenarios) q.append("scenario", s);
    for (const r of pick.rules) q.append("rules", r);
    q.set("year", String(pick.year));
    return q;
  }

  function formData(pick) {
    const fd = new FormData();
    fd.append("file", pick.upload, pick.upload.name);
    for (const s of pick.scenarios) fd.append("scenario", s);
    for (const r of pick.rules) fd.append("rules", r);
    fd.append("year", String(pick.year));
    return fd;
  }

  /** POST the bill (multipart) to a path; the API's error carries its body. */
  async function post(path, pick, as = "json") {
    const res = await fetch(CM.API + path, { method: "POST", body: formData(pick), headers: { Accept: as === "json" ? "application/json" : "*/*" } });
    if (!res.ok) {
      let data = null;
      try { data = await res.json(); } catch (e) { data = null; }
      const err = new Error((data && data.detail) || `${res.status} ${res.statusText}`);
      err.status = res.status;
      err.data = data;
      throw err;
    }
    return as === "json" ? res.json() : res.blob();
  }

  async function fetchResult(pick) {
    if (pick.upload) return post("/exposure", pick);
    return CM.api(`/exposure/examples/${enc(pick.example)}?${query(pick)}`);
  }

  // ------------------------------------------------------------------ results

  function problems(out, err) {
    const rows = err.data.errors;
    const card = CM.card(`The bill has ${rows.length} problem${rows.length === 1 ? "" : "s"}: nothing was computed`, null, {
      full: true, testid: "bill-errors", id: "bill-errors",
      subtitle: `${err.data.file}: fix every row below and upload it again. Rows are numbered as a spreadsheet shows them (the header is row 1).`,
    });
    card.classList.add("problems");
    const list = CM.el("ul", { class: "problem-list", "data-testid": "bill-error-list" }, rows.map((p) => CM.el("li", { "data-row": p.row, "data-column": p.column, text: problemText(p) })));
    card.body.appendChild(list);
    const details = CM.el("details", { class: "chart-table" }, [CM.el("summary", { text: "The same problems as a table" })]);
    details.appendChild(CM.table([
      { key: "row", label: "Row", num: true },
      { key: "column", label: "Column" },
      { key: "message", label: "Problem" },
      { key: "found", label: "Found" },
      { key: "expected", label: "Expected" },
    ], rows, { compact: true, caption: "Problems of the bill, one per row and column", testid: "bill-error-table" }));
    card.body.appendChild(details);
    out.appendChild(card);
  }

  function kpis(out, r) {
    const box = CM.el("div", { class: "kpis", "data-testid": "exposure-kpis" });
    const k = (value, label, testid) => box.appendChild(CM.el("div", { class: "kpi", "data-testid": testid }, [CM.el("div", { class: "value words", text: value }), CM.el("div", { class: "label", text: label })]));
    const minerals = [...new Set(r.indicators.map((x) => x.commodity_id))];
    k(String(minerals.length), `minerals in the bill: ${minerals.join(", ") || "none"}`, "kpi-minerals");
    const known = r.indicators.filter((x) => x.stage !== "supplier" && !allUnknown(x) && isNum(x.china_share_high));
    if (known.length) {
      const top = known.reduce((a, b) => (b.china_share_high > a.china_share_high ? b : a));
      k(pctRange(top.china_share_low, top.china_share_high), `largest China share upstream: ${top.commodity_id}, ${top.stage}`, "kpi-china");
    }
    const inferred = r.indicators.filter((x) => x.basis && String(x.basis).includes("inferred")).length;
    k(String(inferred), "mineral-stage rows resting on inferred (not declared) origins", "kpi-inferred");
    for (const s of r.cost_summary.filter((x) => String(x.year) === "total")) k(range(s.cost_low, s.cost_high, usd), `cost over the horizon: ${s.scenario}`, "kpi-cost");
    const verdicts = {};
    for (const e of r.eligibility.filter((x) => x.level !== "part")) verdicts[`${e.rule_set}|${e.root_id}|${e.part_id}`] = e;
    const byRule = {};
    for (const e of Object.values(verdicts)) (byRule[e.rule_set] ||= []).push(e);
    for (const [rs, es] of Object.entries(byRule)) k(`${es.filter((e) => e.eligible === true).length} of ${es.length}`, `assemblies eligible under ${rs} (last test of each)`, "kpi-eligible");
    out.appendChild(box);
  }

  function minerals(grid, r) {
    const card = CM.card("Exposure by mineral and stage", null, {
      full: true, testid: "exposure-minerals",
      subtitle: "Supplier = the direct supplier's country (the bill). Mine and processing: declared origins where the bill gives them, else inferred from world production shares (labelled). Ranges come from bounded contents or shares. FEOC = foreign entity of concern.",
      source: "critmin exposure: the bill, the cited content library, USGS MCS / EU CRM 2023 production shares, WGI",
    });
    grid.appendChild(card);
    const up = r.indicators.filter((x) => x.stage !== "supplier");
    const drawable = up.filter((x) => !allUnknown(x) && isNum(x.china_share_low));
    if (drawable.length) {
      CM.charts.bars(card.body, drawable, {
        title: "China's share of the company's tonnes, upstream stages",
        testid: "chart-china-share",
        label: (x) => `${x.commodity_id} · ${x.stage}`,
        cell: (x) => (same(x.china_share_low, x.china_share_high) ? { value: x.china_share_low, qualifier: "exact" } : { qualifier: "range", low: x.china_share_low, high: x.china_share_high }),
        text: (x) => pctRange(x.china_share_low, x.china_share_high) + (x.basis === "inferred" ? " (inferred)" : ""),
        max: 1, format: (v) => CM.pct(v, 0), axisName: "share of tonnes", labelName: "Mineral and stage", valueName: "China share",
        color: (x) => (x.china_share_high > 0.5 ? "#b3261e" : "#1f5f8b"),
        unit: "percent of the company's tonnes of the mineral at the stage",
        note: "A dashed bar is a range (bounded contents or shares). Stages with no evidence at all are left out and listed in the table.",
        source: "critmin exposure",
      });
    }
    card.body.appendChild(CM.table([
      { key: "commodity_id", label: "Mineral", header: true },
      { key: "stage", label: "Stage", format: (v) => STAGE[v] || v },
      { key: "tonnes_high", label: "Tonnes a year", num: true, format: (v, x) => range(x.tonnes_low, x.tonnes_high, tonnes) },
      { key: "china_share_high", label: "China share", num: true, format: (v, x) => (allUnknown(x) ? "unknown" : pctRange(x.china_share_low, x.china_share_high)) },
      { key: "feoc_share_high", label: "FEOC share", num: true, format: (v, x) => (allUnknown(x) ? "unknown" : pctRange(x.feoc_share_low, x.feoc_share_high)) },
      { key: "hhi_high", label: "Concentration (HHI)", num: true, format: (v, x) => (allUnknown(x) ? "unknown" : range(x.hhi_low, x.hhi_high, (n) => CM.num(n, 2))) },
      { key: "unknown_share", label: "Unknown", num: true, format: (v) => CM.pct(v) },
      { key: "unassigned_share", label: "Unassigned", num: true, format: (v) => CM.pct(v) },
      { key: "wgi_mean", label: "Governance (WGI)", num: true, format: (v) => (isNum(v) ? CM.num(v, 2) : "–") },
      { key: "basis", label: "Origins", format: (v) => basisTag(v) },
      { key: "export_controls", label: "Export controls in force", format: (v) => (v && v.length ? CM.el("span", { title: v.join("\n") }, [`${v.length}: ${v.map((x) => String(x).split(" (")[0]).join(", ")}`]) : "none"), sortValue: (x) => (x.export_controls || []).length },
    ], r.indicators, { compact: true, caption: "Exposure by mineral and stage", testid: "exposure-indicators" }));
  }

  function countries(grid, r) {
    const card = CM.card("By country: tonnes and dollars", null, {
      full: true, testid: "exposure-countries",
      subtitle: "Tonnes of the mineral a year and the spend exposed (the annual purchase value of the lines holding it, times the country's share; not additive across minerals).",
    });
    grid.appendChild(card);
    const ms = [...new Set(r.company.map((x) => x.commodity_id))];
    const sel = CM.el("select", { id: "ex-country-mineral" }, [CM.el("option", { value: "", text: `all minerals (${r.company.length} rows)` }), ...ms.map((m) => CM.el("option", { value: m, text: m }))]);
    card.body.appendChild(CM.el("div", { class: "controls-row" }, [CM.el("label", { for: "ex-country-mineral", text: "Mineral" }), sel]));
    const holder = card.body.appendChild(CM.el("div"));
    const draw = () => {
      CM.clear(holder);
      const rows = r.company.filter((x) => !sel.value || x.commodity_id === sel.value);
      holder.appendChild(CM.table([
        { key: "commodity_id", label: "Mineral", header: true },
        { key: "stage", label: "Stage", format: (v) => STAGE[v] || v },
        { key: "country", label: "Country", format: (v) => country(v) },
        { key: "tonnes_high", label: "Tonnes a year", num: true, format: (v, x) => range(x.tonnes_low, x.tonnes_high, tonnes) },
        { key: "spend_high", label: "Spend exposed a year", num: true, format: (v, x) => range(x.spend_low, x.spend_high, usd) },
        { key: "basis", label: "Basis", format: (v) => basisTag(v) },
      ], rows, { compact: true, caption: "Exposure by mineral, stage and country", testid: "exposure-company", maxRows: 200 }));
    };
    sel.addEventListener("change", draw);
    draw();
  }

  function cost(grid, r, pick) {
    const card = CM.card("Cost of each policy scenario", null, {
      full: true, testid: "exposure-cost",
      subtitle: "Price channel: the company's tonnes × base price × the engine's price change (full pass-through, stated); duty channel: units × unit value × the tariff on direct imports. A range comes from bounded contents and the market's calibrated variants; a negative cost is a saving; a sum with an unknown part is shown as unknown, never as a partial total.",
      source: "critmin policy engine (the preset scenarios), the bill",
    });
    grid.appendChild(card);
    if (!pick.scenarios.length) {
      card.body.appendChild(CM.el("p", { class: "muted", text: "No scenario chosen: tick one or more above to price it." }));
      return;
    }
    if (!r.cost_summary.length) {
      card.body.appendChild(CM.el("p", { text: "The chosen scenarios touch no mineral or import of this bill." }));
      return;
    }
    const years = r.cost_summary.filter((x) => String(x.year) !== "total");
    CM.charts.bars(card.body, years, {
      title: "Cost to the company per scenario and year",
      testid: "chart-cost",
      label: (x) => `${x.scenario.length > 48 ? x.scenario.slice(0, 47) + "…" : x.scenario}, ${x.year}`,
      cell: (x) => (!isNum(x.cost_low) ? { qualifier: "missing" } : same(x.cost_low, x.cost_high) ? { value: x.cost_low, qualifier: "exact" } : { qualifier: "range", low: x.cost_low, high: x.cost_high }),
      text: (x) => (isNum(x.cost_low) ? range(x.cost_low, x.cost_high, usd) : "unknown"),
      format: (v) => "$" + CM.short(v), axisName: "US$ a year", labelName: "Scenario and year", valueName: "Cost",
      labelWidth: Math.max(90, Math.min(220, Math.round(window.innerWidth * 0.28))),
      unit: "US$ a year", source: "critmin exposure",
    });
    card.body.appendChild(CM.table([
      { key: "scenario", label: "Scenario", header: true },
      { key: "year", label: "Year" },
      { key: "cost_high", label: "Cost to the company", num: true, format: (v, x) => (isNum(x.cost_low) ? range(x.cost_low, x.cost_high, usd) : "unknown") },
      { key: "unknown_parts", label: "Parts not computable", num: true, format: (v) => (isNum(v) ? CM.num(v, 0) : "–") },
    ], r.cost_summary, { compact: true, caption: "Policy cost per scenario and year, with the range", testid: "exposure-cost-summary" }));
    const details = CM.el("details", { class: "chart-table" }, [CM.el("summary", { text: `By channel, product and mineral (${r.costs.length} rows)` })]);
    details.appendChild(CM.table([
      { key: "scenario", label: "Scenario" }, { key: "channel", label: "Channel" }, { key: "root_id", label: "Product" },
      { key: "part_id", label: "Part" }, { key: "commodity_id", label: "Mineral" }, { key: "year", label: "Year" },
      { key: "cost_high", label: "Cost", num: true, format: (v, x) => range(x.cost_low, x.cost_high, usd) },
      { key: "detail", label: "How" },
    ], r.costs, { compact: true, caption: "Policy cost by channel, product and mineral", testid: "exposure-costs" }));
    card.body.appendChild(details);
  }

  function eligibility(grid, r, pick) {
    const card = CM.card("Eligibility of each part and product", null, {
      full: true, testid: "exposure-eligibility",
      subtitle: "Each rule set's tests for every assembly (and each bought part's declared status), eligible or not, and why. Undetermined means the bill or the encoded rules lack what the test needs; the reason says what.",
      source: "USMCA (HTSUS General Note 11, 19 U.S.C. 4531), IRC 30D (ira30d), a configurable marketplace (club): src/critmin/exposure/rules",
    });
    grid.appendChild(card);
    if (!pick.rules.length) {
      card.body.appendChild(CM.el("p", { class: "muted", text: "No rule set chosen: tick usmca, ira30d or club above." }));
      return;
    }
    const word = (v) => CM.el("span", { class: v === true ? "ok" : v === false ? "bad-text" : "muted" }, [v === true ? "eligible" : v === false ? "not eligible" : "undetermined"]);
    card.body.appendChild(CM.table([
      { key: "rule_set", label: "Rules" },
      { key: "root_id", label: "Product" },
      { key: "part_id", label: "Part", header: true },
      { key: "level", label: "Level" },
      { key: "requirement", label: "Test" },
      { key: "eligible", label: "Verdict", format: (v) => word(v), sortValue: (x) => (x.eligible === true ? 1 : x.eligible === false ? 0 : 0.5) },
      { key: "value", label: "Value", num: true, format: (v) => (isNum(v) ? CM.num(v, 1) : "–") },
      { key: "threshold", label: "Threshold", format: (v) => (v === null || v === undefined ? "–" : String(v)) },
      { key: "reason", label: "Why" },
    ], r.eligibility, { compact: true, caption: "Eligibility per part under each rule set, with the reason", testid: "exposure-eligibility-table" }));
  }

  function diversification(grid, r) {
    const card = CM.card("Where to diversify", null, {
      full: true, testid: "exposure-diversification",
      subtitle: "For each exposed path: other producers at the stage with their world share, output, spare capacity where USGS publishes capacity, governance, groups and US agreements, and the cost change of switching under each scenario (where the engine prices that origin).",
      source: "USGS MCS, WGI, the knowledge base's agreements; the policy engine",
    });
    grid.appendChild(card);
    if (!r.diversification.length) {
      card.body.appendChild(CM.el("p", { text: "No exposed path has an alternative producer in the knowledge base." }));
      return;
    }
    card.body.appendChild(CM.table([
      { key: "commodity_id", label: "Mineral", header: true },
      { key: "stage", label: "Stage", format: (v) => STAGE[v] || v },
      { key: "country", label: "Now", format: (v) => country(v) },
      { key: "alternative", label: "Alternative", format: (v) => country(v) },
      { key: "alt_share", label: "World share", num: true, format: (v) => CM.pct(v) },
      { key: "alt_output", label: "Output", num: true, format: (v, x) => (isNum(v) ? `${CM.num(v, 0)} ${x.alt_unit || ""}` : "–") },
      { key: "spare_capacity", label: "Spare capacity" },
      { key: "governance_wgi", label: "WGI", num: true, format: (v) => (isNum(v) ? CM.num(v, 2) : "–") },
      { key: "groups", label: "Groups", format: (v) => v || "–" },
      { key: "us_agreement", label: "US agreement", format: (v) => (v === true ? "yes" : v === false ? "no" : "–") },
      { key: "switch_cost_change_high", label: "Cost change of switching", num: true, format: (v, x) => (x.scenario ? `${range(x.switch_cost_change_low, x.switch_cost_change_high, usd)}` : "–") },
      { key: "note", label: "Note", format: (v) => v || "" },
    ], r.diversification, { compact: true, caption: "Alternative origins for each exposed path", testid: "exposure-diversification-table", maxRows: 150 }));
  }

  function notes(grid, r) {
    const card = CM.card("Assumptions and sources", null, { full: true, testid: "exposure-notes" });
    grid.appendChild(card);
    card.body.appendChild(CM.el("h3", { text: "Assumptions" }));
    card.body.appendChild(CM.el("ul", {}, r.assumptions.map((a) => CM.el("li", { text: a }))));
    card.body.appendChild(CM.el("h3", { text: "Sources of the mineral contents" }));
    card.body.appendChild(CM.el("ul", {}, (r.sources.length ? r.sources : ["none: the bill gives its own contents"]).map((a) => CM.el("li", { text: a }))));
  }

  function reportLinks(pick) {
    const box = CM.el("div", { class: "controls-row", "data-testid": "exposure-report-links" });
    if (pick.upload) {
      const save = (kind) => async (e) => {
        e.target.disabled = true;
        try {
          const blob = await post(`/exposure/report.${kind}`, pick, "blob");
          const a = CM.el("a", { href: URL.createObjectURL(blob), download: `exposure-${pick.upload.name.replace(/\.[^.]*$/, "")}.${kind}` });
          document.body.appendChild(a);
          a.click();
          setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 0);
        } catch (err) {
          CM.error(box, err, "report");
        } finally {
          e.target.disabled = false;
        }
      };
      box.appendChild(CM.el("button", { type: "button", class: "small", onclick: save("html"), text: "Report to forward (HTML)" }));
      box.appendChild(CM.el("button", { type: "button", class: "small secondary", onclick: save("pdf"), text: "PDF" }));
    } else {
      const q = query(pick);
      box.appendChild(CM.el("a", { class: "button small", href: `${CM.API}/exposure/examples/${enc(pick.example)}/report.html?${q}`, target: "_blank", rel: "noopener", text: "Report to forward (HTML)" }));
      box.appendChild(CM.el("a", { class: "button small secondary", href: `${CM.API}/exposure/examples/${enc(pick.example)}/report.pdf?${q}`, text: "PDF" }));
      box.appendChild(CM.el("a", { class: "button small secondary", href: `${CM.API}/exposure/examples/${enc(pick.example)}?${q}`, target: "_blank", rel: "noopener", text: "Data (JSON)" }));
    }
    return box;
  }

  function results(out, r, pick) {
    out.appendChild(CM.el("p", { class: "muted", "data-testid": "exposure-bill" }, [`Bill: ${r.bill}. Rules applied for ${r.request.year}. `, reportLinks(pick)]));
    kpis(out, r);
    const grid = out.appendChild(CM.el("div", { class: "grid" }));
    minerals(grid, r);
    countries(grid, r);
    cost(grid, r, pick);
    eligibility(grid, r, pick);
    diversification(grid, r);
    notes(grid, r);
  }

  CM.pages.exposure = async function (main) {
    // the page's own few styles, in their own file (app.css is shared by every page)
    document.head.appendChild(CM.el("link", { rel: "stylesheet", href: "/static/css/exposure.css" }));
    await CM.loadCountries();
    const opts = await CM.api("/exposure/options");
    const params = new URLSearchParams(window.location.search);
    const names = opts.examples.map((e) => e.name);
    const state = {
      example: names.includes(params.get("example")) ? params.get("example") : names.includes("ev_traction_motor") ? "ev_traction_motor" : names[0],
      rules: params.has("rules") ? params.getAll("rules") : ["usmca"],
      scenarios: params.getAll("scenario"),
      year: Number(params.get("year")) || 2026,
      upload: false,
    };
    main.appendChild(CM.el("p", { class: "lead", text: "Upload a bill of materials, or pick an example, to see which minerals it holds, where they are mined and processed (declared or inferred), what each policy scenario would cost, whether each part meets the origin rules, and where to diversify." }));
    const out = CM.el("div", { id: "exposure-results", "data-testid": "exposure-results" });
    const run = async (pick, button, status) => {
      button.disabled = true;
      status.textContent = pick.upload ? `Reading ${pick.upload.name}…` : `Assessing the ${pick.example.replace(/_/g, " ")} bill…`;
      CM.clear(out);
      try {
        const r = await fetchResult(pick);
        status.textContent = `Done: ${r.indicators.length} mineral-stage rows, ${r.eligibility.length} eligibility tests, ${r.cost_summary.length} cost rows.`;
        if (!pick.upload) {
          const q = query(pick);
          q.set("example", pick.example);
          window.history.replaceState(null, "", `/exposure?${q}`);
        }
        results(out, r, pick);
      } catch (err) {
        if (err.status === 422 && err.data && Array.isArray(err.data.errors) && err.data.errors.length && err.data.errors[0].row !== undefined) {
          status.textContent = `The bill has ${err.data.errors.length} problem(s); nothing was computed.`;
          problems(out, err);
        } else {
          status.textContent = "";
          CM.error(out, err, "exposure");
        }
      } finally {
        button.disabled = false;
        out.dataset.state = "done";
      }
    };
    main.appendChild(CM.card("Your bill and the questions to ask of it", form(opts, state, run), { full: true, testid: "exposure-input" }));
    main.appendChild(out);
    await run({ upload: null, example: state.example, rules: state.rules, scenarios: state.scenarios, year: state.year },
      document.getElementById("ex-run"), document.getElementById("ex-status"));
  };
})();

/* Risk runs: start a Monte Carlo, stockpile, project or ranking job on the server, follow its
 * progress, cancel it, and draw its result (histograms, fan, tornado, loss by event, ranking).
 * Every number comes from /api/v1/jobs/{id}/result, the same payload the CLI's --format json
 * and HTML report present. */
"use strict";

(function () {
  const CM = window.CM;
  CM.pages = CM.pages || {};
  const POLL_MS = 600;

  const KINDS = {
    montecarlo: { label: "Disruption Monte Carlo of a mineral", cli: "critmin montecarlo" },
    stockpile: { label: "Stockpile sizing", cli: "critmin stockpile" },
    project: { label: "Project NPV and IRR, with and without a floor", cli: "critmin project" },
    ranking: { label: "Expected-loss ranking across calibrated minerals", cli: "critmin montecarlo all" },
  };
  const OUTPUT_WORDS = {
    consumer_price_change_pct: "US consumer price change (% from base)",
    world_producer_price_change_pct: "World producer price change (% from base)",
    shortfall: "US shortfall", shortfall_pct: "US shortfall (% of base consumption)", use_change: "Change of US use",
    imports: "US imports", consumer_loss: "US consumer loss", producer_loss: "US producer loss",
    fiscal_cost: "US fiscal cost", welfare_loss: "US welfare loss", required_release: "Release needed",
  };

  function field(label, input, hint) {
    const id = input.id;
    return CM.el("div", { class: "field" }, [CM.el("label", { for: id, text: label }), input, ...(hint ? [CM.el("span", { class: "muted small", text: hint })] : [])]);
  }
  const num = (id, value, attrs = {}) => CM.el("input", { id, name: id, type: "number", value, inputmode: "decimal", ...attrs });

  function form(main, state) {
    const kind = CM.el("select", { id: "mc-kind", name: "kind" }, Object.entries(KINDS).map(([k, v]) => CM.el("option", { value: k, text: v.label })));
    const mineral = CM.el("input", { id: "mc-mineral", name: "mineral", value: "gallium", list: "mc-minerals", autocomplete: "off" });
    const list = CM.el("datalist", { id: "mc-minerals" });
    const draws = num("mc-draws", 1000, { min: 1, max: 20000, step: 1 });
    const seed = num("mc-seed", 0, { min: 0, step: 1 });
    const horizon = num("mc-horizon", 1, { min: 1, max: 10, step: 1 });
    const method = CM.el("select", { id: "mc-method", name: "method" }, [CM.el("option", { value: "random", text: "plain random" }), CM.el("option", { value: "lhs", text: "Latin hypercube" })]);
    const rule = CM.el("select", { id: "mc-rule", name: "rule" }, [CM.el("option", { value: "horizon", text: "bought once for the horizon" }), CM.el("option", { value: "annual", text: "refilled every year" })]);
    const deposit = CM.el("input", { id: "mc-deposit", name: "deposit", value: "Thacker Pass" });
    const floor = num("mc-floor", 20000, { min: 0, step: "any" });
    const upside = num("mc-upside", 0.3, { min: 0, max: 1, step: 0.05 });
    const term = num("mc-term", 10, { min: 1, max: 30, step: 1 });
    const minerals = CM.el("input", { id: "mc-ranking-minerals", name: "minerals", value: "", placeholder: "all calibrated minerals" });
    const common = CM.el("div", { class: "row" }, [field("What to run", kind), field("Mineral", mineral), field("Draws", draws), field("Seed", seed), field("Sampling", method)]);
    const disruption = CM.el("div", { class: "row", "data-for": "montecarlo stockpile ranking" }, [field("Years per draw", horizon)]);
    const stock = CM.el("div", { class: "row", "data-for": "stockpile" }, [field("Stock rule", rule)]);
    const project = CM.el("div", { class: "row", "data-for": "project" }, [
      field("Lithium deposit (Busch et al. 2024)", deposit), field("Floor (price series' basis; empty: none)", floor),
      field("Government's share above the floor", upside), field("Floor term (years)", term)]);
    const ranking = CM.el("div", { class: "row", "data-for": "ranking" }, [field("Only these minerals (comma-separated)", minerals)]);
    const start = CM.el("button", { type: "submit", "data-testid": "mc-start", text: "Start" });
    const cancel = CM.el("button", { type: "button", class: "danger", "data-testid": "mc-cancel", text: "Cancel", disabled: true });
    const bar = CM.el("progress", { max: 1, value: 0, "aria-label": "Progress of the run", "data-testid": "mc-progress" });
    const status = CM.el("p", { class: "status", role: "status", "aria-live": "polite", "data-testid": "mc-status", text: "No run yet." });
    const cli = CM.el("p", { class: "muted", "data-testid": "mc-cli" });
    const f = CM.el("form", { class: "mc-form", "aria-label": "Start a risk run" }, [common, disruption, stock, project, ranking, CM.el("div", { class: "row" }, [start, cancel, bar]), status, cli]);
    const card = CM.card("Start a run", f, {
      full: true, testid: "mc-run",
      subtitle: "Runs on the server in the background (one at a time; a web run is limited to 20,000 draws and 50,000 scenario-years; the CLI has no limit). The same seed gives the same numbers as the CLI.",
    });
    card.body.appendChild(list);
    main.appendChild(card);
    CM.loadMinerals().then((ms) => ms.forEach((m) => list.appendChild(CM.el("option", { value: m.commodity_id, text: m.name })))).catch(() => null);

    const showFor = () => {
      for (const row of f.querySelectorAll("[data-for]")) row.hidden = !row.dataset.for.split(" ").includes(kind.value);
      mineral.closest(".field").hidden = kind.value === "ranking";
      method.closest(".field").hidden = kind.value === "project";
      if (kind.value === "project" && mineral.value === "gallium") mineral.value = "lithium";
      if (kind.value !== "project" && mineral.value === "lithium" && !state.touched) mineral.value = "gallium";
      if (kind.value === "ranking" && Number(draws.value) > 2000) draws.value = 500;
    };
    mineral.addEventListener("input", () => (state.touched = true));
    kind.addEventListener("change", showFor);
    showFor();

    const body = () => {
      const k = kind.value;
      const b = { draws: Number(draws.value), seed: Number(seed.value) };
      if (k !== "project") Object.assign(b, { method: method.value, horizon: Number(horizon.value) });
      if (k !== "ranking") b.mineral = mineral.value.trim();
      if (k === "stockpile") b.rule = rule.value;
      if (k === "project") {
        if (deposit.value.trim()) b.deposit = deposit.value.trim();
        if (floor.value !== "") Object.assign(b, { floor: Number(floor.value), upside_share: Number(upside.value), term: Number(term.value) });
      }
      if (k === "ranking") {
        delete b.mineral;
        const ms = minerals.value.split(",").map((x) => x.trim()).filter(Boolean);
        if (ms.length) b.minerals = ms;
      }
      return b;
    };
    const cliLine = (k, b) => {
      const parts = [KINDS[k].cli];
      if (b.mineral) parts.push(/\s/.test(b.mineral) ? `"${b.mineral}"` : b.mineral);
      for (const [key, v] of Object.entries(b)) {
        if (["mineral", "minerals"].includes(key)) continue;
        const flag = key.replace(/_/g, "-");
        parts.push(`--${flag} ${typeof v === "string" && /\s/.test(v) ? `"${v}"` : v}`);
      }
      return parts.join(" ");
    };
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const k = kind.value;
      const b = body();
      CM.clear(state.results);
      start.disabled = true;
      status.textContent = "Starting…";
      bar.value = 0;
      try {
        const job = await CM.api(`/jobs/${k}`, { body: b });
        state.job = job;
        cli.textContent = k === "ranking" && b.minerals
          ? `In a terminal, for every calibrated mineral (the CLI ranks them all; the numbers of each mineral are the same): ${cliLine(k, b)}`
          : `Same run in a terminal: ${cliLine(k, b)}`;
        cancel.disabled = false;
        follow(job, { status, bar, cancel, start, results: state.results });
      } catch (err) {
        status.textContent = `Not started: ${err.message}`;
        start.disabled = false;
      }
    });
    cancel.addEventListener("click", async () => {
      if (!state.job) return;
      cancel.disabled = true;
      status.textContent = "Cancelling: the run stops at its next chunk…";
      try {
        await CM.api(`/jobs/${state.job.id}`, { method: "DELETE" });
      } catch (err) {
        status.textContent = `Could not cancel: ${err.message}`;
      }
    });
  }

  function describe(job) {
    const p = job.progress;
    const draws = p.draws_total ? `${CM.num(p.draws_done, 0)} of ${CM.num(p.draws_total, 0)} draws` : "";
    if (job.status === "queued") return "Waiting for a free runner…";
    if (job.status === "running") return `Running: ${CM.pct(p.fraction, 0)} done${draws ? ", " + draws : ""} (${p.stage}).`;
    if (job.status === "succeeded") return `Done in ${CM.num(job.seconds, 1)} s: ${draws}.`;
    if (job.status === "cancelled") return `Cancelled: ${job.reason || "on request"}.`;
    return `Failed: ${job.reason}`;
  }

  async function follow(job, ui) {
    for (;;) {
      ui.status.textContent = describe(job);
      ui.bar.value = job.progress.fraction || 0;
      ui.status.dataset.state = job.status;
      if (!["queued", "running"].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
      try {
        job = await CM.api(`/jobs/${job.id}`, { fresh: true });
      } catch (err) {
        ui.status.textContent = `Lost the job: ${err.message}`;
        break;
      }
    }
    ui.cancel.disabled = true;
    ui.start.disabled = false;
    if (job.status === "succeeded") {
      const res = await CM.api(`/jobs/${job.id}/result`, { fresh: true });
      show(ui.results, job, res.result);
    }
  }

  // --- results --------------------------------------------------------------------------------

  function show(container, job, r) {
    const actions = [CM.el("a", { class: "button small", href: `/api/v1/jobs/${job.id}/report.html`, text: "HTML report", "data-testid": "mc-report-link" }),
      CM.el("a", { class: "button small secondary", href: `/api/v1/jobs/${job.id}/result`, text: "JSON" })];
    const head = CM.card("Result", null, { full: true, testid: "mc-result", actions, subtitle: `${KINDS[job.kind].label}; job ${job.id}; ${describe(job)}` });
    container.appendChild(head);
    const grid = CM.el("div", { class: "grid" });
    container.appendChild(grid);
    if (r.kind === "ranking") return showRanking(head.body, grid, r);
    if (r.kind === "project") return showProject(head.body, grid, r);
    if (r.kind === "stockpile") showStockpile(head.body, r);
    showDisruption(head.body, grid, r);
  }

  const money = (r) => (r.units && r.units.money) || r.headline.currency || "";

  function kv(rows) {
    return CM.table([{ key: "k", label: "Measure", header: true }, { key: "v", label: "Value", num: true }], rows.filter((x) => x.v !== undefined).map((x) => ({ k: x.k, v: x.v === null ? "–" : x.v })), { compact: true, caption: "Headline" });
  }

  function showDisruption(body, grid, r) {
    const h = r.headline, cur = money(r);
    body.appendChild(kv([
      { k: "Market", v: h.market },
      { k: `Expected welfare loss (${cur}/yr)`, v: CM.num(h.expected_welfare_loss) },
      { k: `Expected consumer loss (${cur}/yr)`, v: CM.num(h.expected_consumer_loss) },
      { k: `90th percentile welfare loss (${cur}/yr)`, v: CM.num(h.p90_welfare_loss) },
      { k: "Probability of a shortfall in a year", v: CM.pct(h.probability_of_shortfall) },
      { k: `95th percentile shortfall (${h.unit})`, v: CM.num(h.p95_shortfall) },
      { k: "95th percentile price change", v: `${CM.num(h.p95_price_change_pct, 1)}%` },
      { k: "Scenario-years that did not solve (left out, never zero)", v: CM.num(h.failed_years, 0) },
    ]));
    const units = { consumer_price_change_pct: "%", shortfall: h.unit, welfare_loss: cur, consumer_loss: cur, fiscal_cost: cur, required_release: h.unit };
    for (const key of ["consumer_price_change_pct", "shortfall", "welfare_loss", "required_release"]) {
      const hist = r.histograms[key];
      if (!hist) continue;
      const card = CM.card(`Distribution: ${hist.label}`, null, { testid: `mc-hist-${key}` });
      grid.appendChild(card);
      CM.charts.histogram(card.body, hist, { title: `Histogram of ${hist.label} over ${CM.num(hist.n, 0)} solved scenario-years`, axisName: `${OUTPUT_WORDS[key] || key}${units[key] ? " (" + units[key] + ")" : ""}`, unit: units[key], countName: "scenario-years", testid: `chart-hist-${key}` });
    }
    const fanCard = CM.card("Price paths", null, { testid: "mc-fan" });
    grid.appendChild(fanCard);
    if (r.price_fan && r.price_fan.length > 1) {
      CM.charts.fan(fanCard.body, r.price_fan, { title: `Fan chart of the US consumer price change by year over ${r.run.draws} draws`, axisName: "price, % from base", unit: r.price_fan_unit, format: (v) => CM.num(v, 1), testid: "chart-fan" });
    } else {
      fanCard.body.appendChild(CM.notice("One-year draws have no path to fan out: set Years per draw above 1 for a fan chart of the price by year."));
    }
    if (r.tornado && r.tornado.length) {
      const rows = r.tornado.slice(0, 10).map((t) => ({ input: t.input, low: t.mean_outcome_low_input, high: t.mean_outcome_high_input, swing: t.swing, rho: t.spearman_rho }));
      const card = CM.card("What drives the losses", null, { testid: "mc-tornado", subtitle: "Mean welfare loss per draw among the draws whose input lies in its lowest fifth and in its highest fifth; the inputs are the events' onsets and active years, the elasticity multipliers and the data intervals. Outcome: " + (r.tornado_outcome || "welfare loss per draw") + "." });
      grid.appendChild(card);
      CM.charts.tornado(card.body, rows, { title: `Tornado of the ${rows.length} inputs that move the welfare loss most`, axisName: `${cur} per draw`, extraColumns: [{ key: "rho", label: "Spearman rho", num: true, format: (v) => CM.num(v, 2) }], testid: "chart-tornado" });
    }
    const ev = (r.by_event || []).filter((e) => e.share_of_years > 0 || e.contribution);
    const card = CM.card("Expected loss by event", null, { testid: "mc-by-event", subtitle: "Each year's loss goes to the one library event active in it; years with several go to joint; the parts add up to the expected loss." });
    grid.appendChild(card);
    CM.charts.bars(card.body, ev, {
      title: `Contribution of each disruption event to the expected annual welfare loss (${cur}/yr)`,
      label: (e) => e.event, cell: (e) => ({ value: e.contribution, qualifier: e.contribution === null ? "missing" : "exact" }),
      text: (e) => `${CM.short(e.contribution)} (${CM.pct(e.share_of_expected_loss)})`, labelName: "Event", valueName: `Contribution (${cur}/yr)`,
      labelWidth: 190, testid: "chart-by-event",
    });
    const dist = CM.card("Distributions per scenario-year", null, { full: true, testid: "mc-distributions" });
    grid.appendChild(dist);
    dist.body.appendChild(CM.table([{ key: "name", label: "Outcome", header: true }, ...["mean", "p5", "p50", "p90", "p95", "p99"].map((k) => ({ key: k, label: k, num: true, format: (v) => CM.num(v) })), { key: "failed", label: "not solved", num: true }],
      r.distributions.map((d) => ({ ...d, name: OUTPUT_WORDS[d.output] || d.output })), { compact: true, caption: "Distributions per scenario-year", testid: "mc-dist-table" }));
    if (r.assumptions && r.assumptions.length) {
      const a = CM.el("details", {}, [CM.el("summary", { text: `Assumptions and sources (${r.assumptions.length})` }), CM.el("ul", {}, r.assumptions.map((x) => CM.el("li", { text: x })))]);
      dist.body.appendChild(a);
    }
  }

  function showStockpile(body, r) {
    body.appendChild(CM.el("h3", { text: "Stock covering each target probability of shortfall" }));
    body.appendChild(CM.table([
      { key: "target_coverage", label: "Target", num: true, format: (v) => CM.pct(v, 0) },
      { key: "stock", label: `Stock (${r.headline.unit})`, num: true, format: (v) => CM.num(v) },
      { key: "stock_months_of_consumption", label: "Months of US use", num: true, format: (v) => CM.num(v, 1) },
      { key: "coverage_achieved", label: "Achieved", num: true, format: (v) => CM.pct(v, 1) },
      { key: "acquisition_cost", label: "Acquisition cost", num: true, format: (v) => CM.num(v) },
      { key: "annual_holding_cost", label: "Holding cost / yr", num: true, format: (v) => CM.num(v) },
    ], r.sizing, { compact: true, caption: "Stockpile sizing", captionVisible: false, testid: "mc-sizing" }));
    body.appendChild(CM.el("p", { class: "muted", text: r.release_rule }));
  }

  function showProject(body, grid, r) {
    const h = r.headline;
    body.appendChild(kv([
      { k: "Project", v: h.project },
      { k: `Capacity (${h.unit}/yr)`, v: CM.num(h.capacity) },
      { k: `Capex (${h.currency})`, v: CM.num(h.capex) },
      { k: "Price process", v: h.price_process },
      { k: "P(NPV ≥ 0) without a floor", v: CM.pct(h.probability_npv_non_negative) },
      ...(h.floor_per_unit !== null ? [{ k: "P(NPV ≥ 0) with the floor", v: CM.pct(h.probability_npv_non_negative_with_floor) }, { k: `Floor's fiscal cost, mean PV (${h.currency})`, v: CM.num(h.floor_cost_pv_mean) }, { k: `Floor's fiscal cost, 90th percentile PV (${h.currency})`, v: CM.num(h.floor_cost_pv_p90) }] : []),
      { k: `Break-even floor at ${CM.pct(h.confidence, 0)} confidence (${h.price_series_unit})`, v: CM.num(h.break_even_floor_in_series_basis) },
    ]));
    for (const key of ["npv", "npv_with_floor"]) {
      const hist = r.histograms[key];
      if (!hist) continue;
      const card = CM.card(hist.label, null, { testid: `mc-hist-${key}` });
      grid.appendChild(card);
      CM.charts.histogram(card.body, hist, { title: `Histogram of the ${hist.label} over ${CM.num(hist.n, 0)} price paths`, axisName: hist.label, unit: h.currency, countName: "price paths", color: key === "npv" ? undefined : CM.charts.PALETTE[2], testid: `chart-hist-${key}` });
    }
    const fanCard = CM.card("Simulated price", null, { full: true, testid: "mc-fan" });
    grid.appendChild(fanCard);
    CM.charts.fan(fanCard.body, r.price_fan, { title: `Fan chart of the simulated price by year (${r.price_fan_unit})`, axisName: r.price_fan_unit, unit: r.price_fan_unit, testid: "chart-fan" });
    const ret = CM.card("NPV and IRR over the price paths", null, { full: true, testid: "mc-returns" });
    grid.appendChild(ret);
    ret.body.appendChild(CM.table([{ key: "measure", label: "Measure", header: true }, ...["mean", "p5", "p50", "p95"].map((k) => ({ key: k, label: k, num: true, format: (v) => CM.num(v) })), { key: "share_non_negative", label: "Share ≥ 0", num: true, format: (v) => CM.pct(v) }, { key: "undefined", label: "Undefined", num: true }],
      r.returns, { compact: true, caption: "NPV and IRR", testid: "mc-returns-table" }));
    if (r.notes && r.notes.length) ret.body.appendChild(CM.el("details", {}, [CM.el("summary", { text: "Inputs, price history and notes" }), CM.el("ul", {}, [...Object.entries(r.project_sources || {}).map(([k, v]) => CM.el("li", { text: `${k}: ${v}` })), ...r.notes.map((x) => CM.el("li", { text: x }))])]));
  }

  function showRanking(body, grid, r) {
    const rows = r.ranking || [];
    const cur = rows.length ? rows[0].currency : "";
    const card = CM.card("Expected annual US welfare loss by mineral", null, { full: true, testid: "mc-ranking" });
    grid.appendChild(card);
    if (rows.length) CM.charts.bars(card.body, rows, {
      title: `Expected annual US welfare loss from supply disruptions, ${rows.length} calibrated minerals (${cur}/yr)`,
      label: (x) => x.mineral, cell: (x) => ({ value: x.expected_welfare_loss, qualifier: x.expected_welfare_loss === null ? "missing" : "exact" }),
      text: (x) => CM.short(x.expected_welfare_loss), labelName: "Mineral", valueName: `Expected loss (${cur}/yr)`, testid: "chart-ranking",
    });
    const pick = CM.el("select", { id: "mc-event-mineral", "aria-label": "Mineral whose loss by event is shown" }, rows.map((x) => CM.el("option", { value: x.market, text: x.mineral })));
    const ev = CM.card("Breakdown by event", null, { full: true, testid: "mc-ranking-events", actions: [pick] });
    grid.appendChild(ev);
    const holder = CM.el("div");
    ev.body.appendChild(holder);
    const draw = () => {
      CM.clear(holder);
      const part = (r.by_event || []).filter((e) => e.market === pick.value && (e.share_of_years > 0 || e.contribution));
      holder.appendChild(CM.table([{ key: "event", label: "Event", header: true }, { key: "share_of_years", label: "Share of years", num: true, format: (v) => CM.pct(v) }, { key: "contribution", label: `Contribution (${cur}/yr)`, num: true, format: (v) => CM.num(v) }, { key: "share_of_expected_loss", label: "Share of the loss", num: true, format: (v) => CM.pct(v) }, { key: "failed_years", label: "Not solved", num: true }], part, { compact: true, caption: "Breakdown by event", testid: "mc-ranking-event-table" }));
    };
    pick.addEventListener("change", draw);
    if (rows.length) draw();
    if ((r.missing || []).length) {
      const miss = CM.card(`Minerals without a calibrated market (${r.missing.length})`, null, { full: true });
      grid.appendChild(miss);
      miss.body.appendChild(CM.table([{ key: "mineral", label: "Mineral", header: true }, { key: "reason", label: "Why" }], r.missing, { compact: true, caption: "Minerals left out" }));
    }
  }

  CM.pages.montecarlo = async function (main) {
    main.appendChild(CM.el("p", { class: "lead", text: "Policy under uncertainty: how often and how badly a disruption hits the US, how large a stockpile covers it, what a price floor costs and does for a new project. Choose a run, start it, and read its distributions." }));
    const state = { results: CM.el("div", { "data-testid": "mc-results" }) };
    form(main, state);
    main.appendChild(state.results);
  };
})();

/* Tracker: the dates that matter (relative to today), export controls in force, agreements. */
"use strict";

(function () {
  const CM = window.CM;
  CM.pages = CM.pages || {};

  function relative(days) {
    if (days === 0) return "today";
    const abs = Math.abs(days);
    const span = abs >= 60 ? `${Math.round(abs / 30.4)} months` : `${abs} day${abs === 1 ? "" : "s"}`;
    return days > 0 ? `in ${span}` : `${span} ago`;
  }

  async function dates(main) {
    const data = await CM.api("/tracker/dates");
    const card = CM.card("Dates that matter", null, {
      full: true,
      testid: "dates",
      subtitle: `Relative to today, ${data.today}. Grey: passed; orange: next.`,
      source: "Proclamation of 14 January 2026 (Section 232, processed critical minerals); MOFCOM announcements 2025 Nos. 70 and 72",
    });
    main.appendChild(card);
    CM.charts.timeline(card.body, data);
    const list = CM.el("ul", { class: "dates" });
    for (const it of data.items) {
      list.appendChild(
        CM.el("li", { class: `${it.status}${it.is_next ? " next" : ""}`, "data-date": it.date, "data-status": it.status }, [
          CM.el("span", { class: "when", text: it.precision === "month" ? it.date.slice(0, 7) : it.date }),
          CM.el("span", {}, [CM.el("strong", { text: it.title }), " ", CM.el("span", { class: "muted", text: it.detail })]),
          CM.el("span", { class: "rel", text: `${it.is_next ? "NEXT · " : ""}${relative(it.days_from_today)}` }),
        ])
      );
    }
    card.body.appendChild(list);
  }

  async function controls(grid) {
    const [res, summary] = await Promise.all([CM.api("/tracker/export-controls?limit=10000"), CM.api("/tracker/summary")]);
    const byMeasure = {};
    for (const r of res.items) {
      const m = (byMeasure[`${r.country_iso3}|${r.measure_id}`] ||= { ...r, minerals: [], materialList: [] });
      if (r.commodity_id && !m.minerals.includes(r.commodity_id)) m.minerals.push(r.commodity_id);
      if (r.materials && !m.materialList.includes(r.materials)) m.materialList.push(r.materials);
      m.materials = m.materialList.join("; ");
    }
    const rows = Object.values(byMeasure);
    const status = CM.el("select", { "aria-label": "Status filter" }, [
      CM.el("option", { value: "", text: "all statuses" }),
      ...Object.keys(summary.measures_by_status).map((s) => CM.el("option", { value: s, text: `${s} (${summary.measures_by_status[s]})`, selected: s === "active" })),
    ]);
    const card = CM.card("Export controls (in force by default; pick a status)", null, {
      full: true,
      testid: "controls",
      subtitle: `${summary.measures} measures by ${summary.countries_with_measures} countries; ${Object.entries(summary.measures_by_status).map(([k, v]) => `${v} ${k}`).join(", ")}.`,
      actions: [status, CM.downloadLink("/tracker/export-controls?limit=10000")],
      source: "MOFCOM and GAC announcements (compiled; rows marked secondary need verification); USGS MCS 2026 table 4",
    });
    grid.appendChild(card);
    const holder = CM.el("div");
    card.body.appendChild(holder);
    const draw = () => {
      CM.clear(holder);
      const shown = rows.filter((r) => !status.value || (r.status || "unknown").toLowerCase().startsWith(status.value));
      holder.appendChild(
        CM.table(
          [
            { key: "country_name", label: "Country", format: (v, r) => v || r.country_iso3 },
            { key: "measure_id", label: "Measure" },
            { key: "materials", label: "Materials" },
            { key: "minerals", label: "Minerals", format: (v) => CM.el("span", {}, v.map((id) => CM.el("a", { class: "tag", href: "/minerals/" + encodeURIComponent(id), text: id }))) },
            { key: "control_type", label: "Type" },
            { key: "announced_date", label: "Announced" },
            { key: "effective_date", label: "Effective" },
            { key: "status", label: "Status" },
          ],
          shown,
          { testid: "controls-table", compact: true, sortKey: "effective_date", sortDir: -1 }
        )
      );
    };
    status.addEventListener("change", draw);
    draw();
  }

  async function agreements(grid) {
    const res = await CM.api("/tracker/agreements");
    const byPartner = {};
    for (const r of res.items) byPartner[r.country_name || r.country_iso3] = (byPartner[r.country_name || r.country_iso3] || 0) + 1;
    const card = CM.card("US agreements by partner", null, {
      full: true,
      testid: "agreements",
      subtitle: `${res.items.length} agreements with ${Object.keys(byPartner).length} partners: ${Object.entries(byPartner).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
      actions: [CM.downloadLink("/tracker/agreements")],
      source: "USGS Mineral Commodity Summaries 2026, table 5",
    });
    grid.appendChild(card);
    card.body.appendChild(
      CM.table(
        [
          { key: "country_name", label: "Partner", format: (v, r) => v || r.country_iso3 },
          { key: "agreement", label: "Agreement" },
          { key: "signing_date", label: "Signed" },
          { key: "focus_area", label: "Focus" },
          { key: "g7", label: "G7", format: (v) => (v ? "yes" : "") },
          { key: "source_url", label: "Link", format: (v) => (v ? CM.el("a", { href: v, rel: "noopener", target: "_blank", text: "source" }) : "–") },
        ],
        res.items,
        { testid: "agreements-table", compact: true, sortKey: "country_name" }
      )
    );
  }

  CM.pages.tracker = async function (main) {
    await CM.loadCountries();
    await CM.section(main, "dates", () => dates(main));
    const grid = CM.el("div", { class: "grid" });
    main.appendChild(grid);
    await CM.section(grid, "export controls", () => controls(grid));
    await CM.section(grid, "agreements", () => agreements(grid));
  };
})();

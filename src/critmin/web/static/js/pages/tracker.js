/* Tracker: the dates that matter (relative to today), export controls with their status today, agreements. */
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

  const STATUS_TEXT = {
    in_force: "in force",
    suspended: "suspended",
    suspension_lapsed: "suspension lapsed",
    announced: "announced",
    expired: "expired",
    lifted: "lifted",
  };
  const IN_EFFECT = ["in_force", "suspension_lapsed"];

  async function dates(main) {
    const data = await CM.api("/tracker/dates");
    const card = CM.card("Dates that matter", null, {
      full: true,
      testid: "dates",
      subtitle: `Relative to today, ${data.today}. Grey: passed; orange: next. ` +
        (data.next ? `Next: ${data.next.date}, ${data.next.title}.` : data.next_message.charAt(0).toUpperCase() + data.next_message.slice(1) + "."),
      source: "The register: Proclamation 11001 of 14 January 2026 (Section 232, processed critical minerals); MOFCOM announcements 2025 Nos. 70 and 72; your entries (critmin tracker add)",
    });
    main.appendChild(card);
    if (data.items.length) CM.charts.timeline(card.body, data, {
      title: `Timeline of the ${data.items.length} dates on record, ${data.items[0].date} to ${data.items[data.items.length - 1].date}, with today (${data.today}) marked`,
      testid: "timeline-chart",
      note: "Grey: passed; orange: next; the list below has every date with what happens.",
    });
    const list = CM.el("ul", { class: "dates" });
    for (const it of data.items) {
      list.appendChild(
        CM.el("li", { class: `${it.status}${it.is_next ? " next" : ""}`, "data-date": it.date, "data-status": it.status }, [
          CM.el("span", { class: "when", text: it.precision === "month" ? it.date.slice(0, 7) : it.date }),
          CM.el("span", {}, [CM.el("strong", { text: it.title }), " ", CM.el("span", { class: "muted", text: it.detail || "" })]),
          CM.el("span", { class: "rel", text: `${it.is_next ? "NEXT · " : ""}${it.status === "superseded" ? "superseded" : relative(it.days_from_today)}` + (it.verification && it.verification !== "official" && it.verification !== "corroborated" ? ` · ${it.verification}` : "") }),
        ])
      );
    }
    card.body.appendChild(list);
  }

  async function controls(grid) {
    const res = await CM.api("/tracker/status");
    const rows = res.measures;
    const counts = res.counts;
    const effect = rows.filter((r) => IN_EFFECT.includes(r.status)).length;
    const status = CM.el("select", { "aria-label": "Status filter" }, [
      CM.el("option", { value: "effect", text: `in effect today (${effect})`, selected: true }),
      CM.el("option", { value: "", text: `all (${rows.length})` }),
      ...Object.keys(counts).map((s) => CM.el("option", { value: s, text: `${STATUS_TEXT[s] || s} (${counts[s]})` })),
    ]);
    const check = rows.filter((r) => r.needs_check);
    const card = CM.card("Export controls, status today", null, {
      full: true,
      testid: "controls",
      subtitle: `Status on ${res.today}, computed from each measure's dates and the recorded suspensions: ` +
        Object.entries(counts).map(([k, v]) => `${v} ${STATUS_TEXT[k] || k}`).join(", ") + "." +
        (check.length ? ` ${check.length} to check: a suspension or end date has passed and no later entry is recorded.` : ""),
      actions: [status, CM.downloadLink("/tracker/export-controls?limit=10000")],
      source: "MOFCOM and GAC announcements (compiled; rows marked secondary or unverified need verification); USGS MCS 2026 table 4; MOFCOM announcements 2025 Nos. 70 and 72",
    });
    grid.appendChild(card);
    const holder = CM.el("div");
    card.body.appendChild(holder);
    const draw = () => {
      CM.clear(holder);
      const shown = rows.filter((r) => !status.value || (status.value === "effect" ? IN_EFFECT.includes(r.status) : r.status === status.value));
      holder.appendChild(
        CM.table(
          [
            { key: "country", label: "Country", format: (v, r) => CM.countryName(v) + (r.target ? ` → ${CM.countryName(r.target)}` : "") },
            { key: "id", label: "Measure" },
            { key: "materials", label: "Materials", format: (v) => v.join("; ") },
            { key: "minerals", label: "Minerals", format: (v) => CM.el("span", {}, v.map((id) => CM.el("a", { class: "tag", href: "/minerals/" + encodeURIComponent(id), text: CM.mineralName(id) }))) },
            { key: "type", label: "Type", format: (v) => (v || "").replace(/_/g, " ") },
            { key: "effective", label: "Effective", format: (v, r) => v || r.announced || "–" },
            { key: "status", label: "Status today", format: (v, r) => CM.el("span", { title: r.explanation, class: r.needs_check ? "warn" : null }, [(STATUS_TEXT[v] || v) + (r.until ? ` until ${r.until}` : r.since && v !== "in_force" ? ` since ${r.since}` : "") + (r.needs_check ? " ⚠" : "")]) },
            { key: "next_date", label: "Next date", format: (v, r) => (v ? `${v} (${r.next_what})` : "–") },
            { key: "verification", label: "Checked", format: (v) => (v || "").replace(/_/g, " ") },
          ],
          shown,
          { testid: "controls-table", compact: true, sortKey: "effective", sortDir: -1, rowAttrs: (r) => ({ "data-status": r.status }), caption: "Export controls and their status today" }
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
        { testid: "agreements-table", compact: true, sortKey: "country_name", caption: "US agreements on critical minerals by partner" }
      )
    );
  }

  CM.pages.tracker = async function (main) {
    await Promise.all([CM.loadCountries(), CM.loadMinerals().catch(() => [])]);
    const top = CM.el("div");
    const grid = CM.el("div", { class: "grid" });
    const left = CM.el("div", { style: "display: contents" });
    const right = CM.el("div", { style: "display: contents" });
    grid.append(left, right);
    main.append(top, grid);
    await Promise.all([
      CM.section(top, "dates", () => dates(top)),
      CM.section(left, "export controls", () => controls(left)),
      CM.section(right, "agreements", () => agreements(right)),
    ]);
  };
})();

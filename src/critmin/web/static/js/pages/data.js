/* Data: the sources with citations, DOIs, licences and vintages; the snapshot's tables. */
"use strict";

(function () {
  const CM = window.CM;
  CM.pages = CM.pages || {};

  CM.pages.data = async function (main) {
    main.appendChild(CM.el("p", { class: "lead", text: "Every number in critmin comes from these files, read by critmin's own readers into a snapshot with a manifest (checksums, row counts). Cite the sources, not critmin, when you use the numbers." }));
    const grid = CM.el("div", { class: "grid" });
    main.appendChild(grid);
    await CM.section(grid, "sources", async () => {
      const [res, health] = await Promise.all([CM.api("/sources"), CM.api("/health")]);
      const card = CM.card("Sources", null, {
        full: true,
        testid: "sources",
        subtitle: `${res.items.length} sources in the snapshot ${health.snapshot_fingerprint ? health.snapshot_fingerprint.slice(0, 12) : ""}.`,
        actions: [CM.downloadLink("/sources")],
      });
      grid.appendChild(card);
      card.body.appendChild(
        CM.table(
          [
            { key: "source_id", label: "Id" },
            { key: "title", label: "Title" },
            { key: "publisher", label: "Publisher" },
            { key: "vintage", label: "Vintage", num: true },
            { key: "citation", label: "Citation" },
            { key: "doi", label: "DOI", format: (v) => (v ? CM.el("a", { href: "https://doi.org/" + v, rel: "noopener", target: "_blank", text: v }) : "–") },
            { key: "licence", label: "Licence" },
            { key: "rows", label: "Rows", num: true, format: (v) => CM.num(v, 0) },
          ],
          res.items,
          { testid: "sources-table", compact: true, caption: "Sources in the snapshot" }
        )
      );
    });
    await CM.section(grid, "tables", async () => {
      const [res, vintages] = await Promise.all([CM.api("/tables"), CM.api("/vintages")]);
      const rows = res.items.map((t) => ({ ...t, vintages: (vintages[t.table] || []).join(", ") }));
      const card = CM.card("Snapshot tables", null, { testid: "tables", actions: [CM.downloadLink("/tables")] });
      grid.appendChild(card);
      card.body.appendChild(
        CM.table(
          [
            { key: "table", label: "Table" },
            { key: "rows", label: "Rows", num: true, format: (v) => CM.num(v, 0) },
            { key: "vintages", label: "Vintages" },
            { key: "description", label: "Description" },
          ],
          rows,
          { testid: "tables-table", compact: true, caption: "Tables in the snapshot" }
        )
      );
    });
    const about = CM.card("Qualifiers and licences", null, { testid: "about" });
    about.body.appendChild(
      CM.el("ul", {}, [
        CM.el("li", { text: "The pages write the publishers' codes in words: W is “withheld” (to avoid disclosing company data), NA “not available”, E “net exporter”, — “zero”, >95 “more than 95%”, <1,000 “less than 1,000”, 50–300 “between 50 and 300”, and a number marked e is “(estimated)”. None of these is ever shown as 0; a bound is drawn as a range." }),
        CM.el("li", { text: "Each source's licence is in the Licence column above, as recorded in the snapshot's manifest." }),
        CM.el("li", {}, ["Machine-readable: ", CM.el("a", { href: "/openapi.json", text: "OpenAPI schema" }), ", ", CM.el("a", { href: "/api/docs", text: "interactive API docs" }), "."]),
        CM.el("li", { text: "Map: Natural Earth 1:110m via world-atlas (ISC); public domain data. Charts: Apache ECharts 6.1.0 (Apache-2.0), vendored." }),
      ])
    );
    grid.appendChild(about);
  };
})();

"""The overview: every critical mineral on one page.

A sortable table (net import reliance, concentration by stage, China's processing share,
import shares from FEOC and allies, every risk method, import value) and the risk matrix of
:mod:`critmin.analysis.overview` (import reliance against the concentration of the more
concentrated stage, each mineral's area proportional to its US import value). The rows and
the matrix are :mod:`critmin.analysis.overview`'s, as on the web dashboard; this module only
draws them.
"""

from __future__ import annotations

import pandas as pd

from critmin.analysis import overview as ov
from critmin.analysis import risk
from critmin.analysis.inputs import RiskInputs, build_inputs
from critmin.report import charts
from critmin.report.data import citations
from critmin.report.html import esc, figure, num, page, pct, score_cell, table


def rows(inputs: RiskInputs, tables: dict, list_year: int | None = 2025) -> list[dict]:
    """:func:`critmin.analysis.overview.rows` of the report tables (also used by tests)."""
    return ov.rows(inputs, tables.get("customs"), tables.get("import_shares"), list_year)


def for_list(list_year: int | None = 2025, *, generated: str | None = None) -> str:
    """The overview of a list on the installed snapshot (what ``critmin overview`` writes and
    ``/api/v1/report/overview.html`` answers)."""
    from critmin import api
    from critmin.report import data

    return build(data.load(with_prices=False), api.risk_inputs(), list_year=list_year, generated=generated)


def build(tables: dict, inputs: RiskInputs | None = None, list_year: int | None = 2025, *, generated: str | None = None) -> str:
    """The overview page as an HTML string."""
    inputs = inputs or build_inputs(tables)
    recs = rows(inputs, tables, list_year)
    parts = []
    n = len(recs)
    parts.append(f'<p>{n} minerals{f" on the US critical-mineral list of {list_year}" if list_year else ""}. '
                 "Click a column heading to sort. Import reliance is the latest published USGS figure; concentration is "
                 "the latest USGS world-production table, or the EU CRM 2023 supply shares where USGS has none for that "
                 "stage (marked EU).</p>")
    # Risk matrix.
    matrix = ov.risk_matrix(recs)
    points = [{"label": p["name"], "x": 100 * p["x_low"], "y": p["y"], "size": p["size"],
               "x_range": (100 * p["x_low"], 100 * p["x_high"]) if p["x_high"] > p["x_low"] else None,
               "feoc": p["china_top"]} for p in matrix["points"]]
    year = recs[0]["import_value_year"] if recs else None
    svg = charts.risk_matrix(points, title="US import reliance against the concentration of world production",
                             xlabel="US net import reliance, % of apparent consumption (latest MCS; a bound is drawn as a line)",
                             ylabel="HHI of world production, more concentrated of mine and processing (0-1)",
                             source="USGS MCS 2023-2026 (reliance, production); World Mining Data, EU CRM 2023, CEPII BACI "
                                    f"(a stage USGS has no data for); USITC DataWeb {year} (import value)",
                             size_label=f"US import value {year} (USITC, 18 partners)")
    parts.append("<h2>Risk matrix</h2>")
    parts.append(figure(svg, "Dotted lines: 50 % reliance and HHI 0.25 ('highly concentrated' in the 2010 US Horizontal "
                             "Merger Guidelines). Each point uses the stage whose HHI is higher; red: China is its top "
                             "producer. Not plotted: " + "; ".join(f"{x['name']} ({x['reason']})" for x in matrix["left_out"])
                        + "."))
    # Table.
    trs = []
    for r in recs:
        nir_txt = r["nir_text"] if r["nir_qualifier"] else ""
        if nir_txt and "net import reliance" in r["via_group"]:
            nir_txt += " (group)"
        row = {"name": r["name"], "nir": nir_txt,
               "nir_k": "" if r["nir_low"] is None else f"{r['nir_low']:.4f}",
               "mine_hhi": num(r["mine_hhi"], 2), "mine_k": _k(r["mine_hhi"]),
               "mine_top": f"{r['mine_top']} {pct(r['mine_top_share'], 0)}" + _est(r["mine_share_qualifier"]) if r["mine_top"] else "—",
               "proc_hhi": num(r["processing_hhi"], 2) + (" (EU)" if r["processing_origin"] == "eu_crm_2023" else ""),
               "proc_k": _k(r["processing_hhi"]), "proc_china": pct(r["processing_china"], 0), "proc_china_k": _k(r["processing_china"]),
               "gap": num(r["hhi_gap"], 2), "gap_k": _k(r["hhi_gap"]),
               "feoc": _rng(r["feoc_imports"]), "feoc_k": _k(r["feoc_imports"][0] if r["feoc_imports"] else None),
               "allies": _rng(r["allies_imports"]), "allies_k": _k(r["allies_imports"][0] if r["allies_imports"] else None),
               "value": num(r["import_value"], 3), "value_k": _k(r["import_value"])}
        for name in risk.METHODS:
            text, key = score_cell(r[f"{name}_status"], r[f"{name}_score"], r[f"{name}_low"], r[f"{name}_high"], 2)
            if r[f"{name}_status"] != "insufficient_data" and r[f"{name}_stage"]:
                text += f" ({r[f'{name}_stage'][:4]})"
            row[name], row[f"{name}_k"] = (text if key else "—"), key
        trs.append(row)
    cols = [("name", "Mineral"), ("nir", "Net import reliance"), ("mine_hhi", "Mine HHI"), ("mine_top", "Top miner"),
            ("proc_hhi", "Processing HHI"), ("proc_china", "China, processing"), ("gap", "HHI gap (proc − mine)"),
            ("feoc", "FEOC share of imports"), ("allies", "Allies' share of imports"),
            ("composite", "Composite"), ("geopolrisk", "GeoPolRisk"), ("eu_crm", "EU CRM SR"), ("usgs2021", "USGS 2021"),
            ("value", f"Imports {year}, US$")]
    sort_keys = {"nir": "nir_k", "mine_hhi": "mine_k", "proc_hhi": "proc_k", "proc_china": "proc_china_k", "gap": "gap_k",
                 "feoc": "feoc_k", "allies": "allies_k", "value": "value_k", **{n: f"{n}_k" for n in risk.METHODS}}
    parts.append("<h2>All minerals</h2>")
    parts.append('<p class="muted">A range a–b: the value is only bounded (a published bound, or a share USGS leaves '
                 "unassigned). — : not published or not computable. EU CRM SR and USGS 2021 need inputs critmin does not "
                 "hold (EoL-RIR, substitution index; economic vulnerability), so they show — unless supplied with "
                 "<code>critmin risk --inputs</code>; their breakdowns are in each dossier. Imports: USITC customs value "
                 "of the HS 4-digit headings mapped to the mineral, from 18 partners; a heading shared by several minerals "
                 "(8112: gallium, hafnium, indium ...) counts in full for each.</p>")
    parts.append(table(trs, cols, sortable=True, table_id="minerals",
                       numeric={"nir", "mine_hhi", "proc_hhi", "proc_china", "gap", "feoc", "allies", "value", *risk.METHODS},
                       sort_keys=sort_keys))
    src = {"usgs_mcs2026", "usgs_mcs2026_trends", "usgs_mcs2025_world", "eu-crm-2023", "usitc-dataweb", "worldbank-wgi",
           "china_export_controls_register", "us_critical_minerals_lists"}
    cites = citations(tables.get("manifest", {}), src)
    parts.append("<h2>Sources</h2><ul>" + "".join(
        f"<li><b>{esc(c['source_id'])}</b>: {esc(c['citation'] or c['title'])}" + (f" doi:{esc(c['doi'])}" if c["doi"] else "") + "</li>"
        for c in cites) + "</ul>")
    title = f"critmin overview: US critical minerals{f' ({list_year} list)' if list_year else ''}"
    return page(title, "".join(parts), subtitle="Where the US is exposed, at which stage, and why.", generated=generated, wide=True)


def _est(qualifier: str | None) -> str:
    return " (estimated)" if qualifier == "estimated" else ""


def _k(v) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.6f}"


def _rng(pair) -> str:
    if not pair:
        return "—"
    lo, hi = pair
    return pct(lo, 0) if hi - lo < 0.005 else f"{pct(lo, 0)}–{pct(hi, 0)}"

"""The overview: every critical mineral on one page.

A sortable table (net import reliance, concentration by stage, China's processing share,
import shares from FEOC and allies, every risk method, import value) and a risk matrix:
processing concentration against import reliance, each mineral's area proportional to its
US import value.
"""

from __future__ import annotations

import pandas as pd

from critmin.analysis import concentration as conc
from critmin.analysis import dependency as dep
from critmin.analysis import risk
from critmin.analysis.inputs import RiskInputs, build_inputs
from critmin.report import charts
from critmin.report.data import citations
from critmin.report.html import esc, figure, num, page, pct, score_cell, table


def rows(inputs: RiskInputs, tables: dict, list_year: int | None = 2025) -> list[dict]:
    """One record per mineral with everything the overview shows (also used by tests)."""
    customs = tables.get("customs", pd.DataFrame())
    totals = dep.customs_import_totals(customs) if not customs.empty else pd.DataFrame(columns=["commodity_id", "year", "customs_value_usd"])
    value_year = int(totals["year"].max()) if len(totals) else None
    last_values = totals[totals["year"] == value_year].set_index("commodity_id")["customs_value_usd"].to_dict() if value_year else {}
    shares = tables.get("import_shares", pd.DataFrame())
    groups_by_cid: dict[str, dict] = {}
    if not shares.empty:
        ec = {c: m.export_control_countries for c, m in inputs.minerals.items()}
        g = dep.import_group_shares(shares, inputs.groups, ec)
        g = g[g["status"] == "ok"].sort_values(["commodity_id", "n_partners"], ascending=[True, False])
        for r in g.to_dict("records"):
            groups_by_cid.setdefault(r["commodity_id"], r)
    ids = sorted(c for c, m in inputs.minerals.items() if list_year is None or m.listed(list_year))
    results = {name: {r["commodity_id"]: r for r in risk.rank(inputs, name, commodities=ids).to_dict("records")} for name in risk.METHODS}
    out = []
    for cid in ids:
        m = inputs.minerals[cid]
        rec = {"commodity_id": cid, "name": m.name, "nir": m.nir_display or "", "nir_year": m.nir_year,
               "nir_low": m.nir.low if m.nir else None, "nir_high": m.nir.high if m.nir else None,
               "via_group": "; ".join(m.via_group)}
        for stage in ("mine", "processing"):
            sd = m.stages.get(stage)
            rec[f"{stage}_hhi"] = sd.hhi if sd else None
            rec[f"{stage}_china"] = sd.china_share if sd else None
            top = max(sd.shares.items(), key=lambda kv: kv[1].low) if sd and sd.shares else (None, None)
            rec[f"{stage}_top"] = top[0]
            rec[f"{stage}_top_share"] = top[1].low if top[1] else None
            rec[f"{stage}_origin"] = sd.origin if sd else None
        rec["hhi_gap"] = rec["processing_hhi"] - rec["mine_hhi"] if rec["processing_hhi"] is not None and rec["mine_hhi"] is not None else None
        gr = groups_by_cid.get(cid) or (groups_by_cid.get(m.group_id) if m.group_id else None)
        rec["feoc_imports"] = (gr["feoc_share"], gr["feoc_share_max"]) if gr else None
        rec["allies_imports"] = (gr["allies_share"], gr["allies_share_max"]) if gr else None
        for name in risk.METHODS:
            r = results[name][cid]
            rec[f"{name}_status"], rec[f"{name}_score"], rec[f"{name}_low"], rec[f"{name}_high"] = r["status"], r["score"], r["low"], r["high"]
            rec[f"{name}_stage"] = r["stage"]
        rec["import_value"] = last_values.get(cid)
        rec["import_value_year"] = value_year
        out.append(rec)
    return out


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
    points, skipped = [], []
    for r in recs:
        if r["processing_hhi"] is None or r["nir_low"] is None:
            skipped.append(r["name"])
            continue
        lo, hi = 100 * r["nir_low"], 100 * r["nir_high"]
        points.append({"label": r["name"], "x": lo, "y": r["processing_hhi"], "size": r["import_value"],
                       "x_range": (lo, hi) if hi > lo else None, "feoc": r["processing_top"] in dep.CHINA_WITH_HK})
    year = recs[0]["import_value_year"] if recs else None
    svg = charts.risk_matrix(points, title="Processing concentration against US import reliance",
                             xlabel="US net import reliance, % of apparent consumption (latest MCS; a bound is drawn as a line)",
                             ylabel="HHI of processing-stage world production (0-1)",
                             source=f"USGS MCS 2023-2026 (reliance, production); EU CRM 2023 (processing shares where USGS has none); USITC DataWeb {year} (import value)",
                             size_label=f"US import value {year} (USITC, 18 partners)")
    parts.append("<h2>Risk matrix</h2>")
    parts.append(figure(svg, "Dotted lines: 50 % reliance and HHI 0.25 (the US Merger Guidelines' 'highly concentrated' "
                             "line). Not plotted (no processing-stage data or no published reliance): " + ", ".join(skipped) + "."))
    # Table.
    trs = []
    for r in recs:
        nir_txt = r["nir"] + ("%" if r["nir"] and r["nir"][-1].isdigit() else "")
        if nir_txt and "net import reliance" in r["via_group"]:
            nir_txt += " (group)"
        row = {"name": r["name"], "nir": nir_txt,
               "nir_k": "" if r["nir_low"] is None else f"{r['nir_low']:.4f}",
               "mine_hhi": num(r["mine_hhi"], 2), "mine_k": _k(r["mine_hhi"]),
               "mine_top": f"{r['mine_top']} {pct(r['mine_top_share'], 0)}" if r["mine_top"] else "—",
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


def _k(v) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.6f}"


def _rng(pair) -> str:
    if not pair:
        return "—"
    lo, hi = pair
    return pct(lo, 0) if hi - lo < 0.005 else f"{pct(lo, 0)}–{pct(hi, 0)}"

"""Every listed mineral on one row, and the risk matrix: what an overview shows.

The HTML overview report (:mod:`critmin.report.overview`) and the web dashboard's overview
(``/api/v1/risk/overview``) both present :func:`rows` and :func:`risk_matrix`, so the two
show the same figures, placed the same way.

The risk matrix
---------------
One point per mineral, two published quantities against each other:

x: US net import reliance
    The one published reliance per mineral (:func:`critmin.analysis.dependency.mineral_reliance`,
    the latest MCS release), as the interval it implies, on a 0-1 scale: ``100e`` is the
    point 1.0; a bound such as ``>75`` is the range [0.75, 1.0], drawn as a range and placed
    at its published bound (``x = x_low``), never at a midpoint USGS did not publish; ``E``
    (net exporter) is 0. A mineral without a published reliance (withheld, not published)
    is left out and named.
y: concentration of world production
    The Herfindahl-Hirschman index (0-1) of the more concentrated of the mine and processing
    stages, as the EU CRM method takes the higher of a material's two stages (European
    Commission 2017 guidelines: supply risk is computed for extraction and processing and
    the higher reported; here the higher HHI), from :func:`critmin.analysis.concentration.stage_view` (USGS MCS, else World
    Mining Data, else the EU CRM 2023 shares, else BACI export shares; ``y_derived_from``
    says which). ``y_max`` is the HHI with the share USGS leaves unassigned counted as one
    producer. A mineral without usable concentration at either stage is left out and named.
Size and colour
    US import value (USITC customs value, the latest year; null where no HTS heading maps
    to the mineral) and whether the top producer of that stage is China (with Hong Kong).
Dividing lines
    50 % reliance (more than half of US consumption imported, the White House's second
    count) and HHI 0.25: "highly concentrated" in the U.S. Department of Justice and Federal
    Trade Commission 2010 Horizontal Merger Guidelines, section 5.3 (HHI above 2,500 on the
    0-10,000 scale); the 2023 Merger Guidelines, section 2.1, draw that line at 1,800.

Why this definition: both axes are published figures (or their published bounds) that a
reader can check against USGS, the stage is named, and the matrix does not depend on the
weights of a composite score. The composite method's own terms stay in its breakdown.

References
----------
European Commission, 2017, Methodology for establishing the EU list of critical raw
materials: Guidelines, doi:10.2873/769526.
U.S. Department of Justice and Federal Trade Commission, 2010, Horizontal Merger Guidelines,
section 5.3. U.S. Department of Justice and Federal Trade Commission, 2023, Merger
Guidelines, section 2.1.
"""

from __future__ import annotations

import pandas as pd

from critmin.analysis import dependency as dep
from critmin.analysis import risk
from critmin.analysis.inputs import RiskInputs

#: The matrix's dividing lines (see the module docstring).
RELIANCE_SPLIT = 0.5
HHI_SPLIT = 0.25


def rows(inputs: RiskInputs, customs: pd.DataFrame | None = None, import_shares: pd.DataFrame | None = None,
         list_year: int | None = 2025) -> list[dict]:
    """One record per listed mineral with everything an overview shows.

    Parameters
    ----------
    inputs
        :func:`critmin.analysis.inputs.build_inputs` of the snapshot.
    customs
        Annual USITC customs values (:func:`critmin.kb.customs_annual`) for the import value.
    import_shares
        The ``import_shares`` table, for the shares of imports from FEOC and allies.
    list_year
        The US critical-mineral list (None: every mineral with inputs).

    Returns
    -------
    list of dict
        Per mineral: ``commodity_id``, ``name``, the published reliance (``nir`` as
        published with its qualifier letter, ``nir_text`` in words, ``nir_qualifier``,
        ``nir_low``/``nir_high`` on a 0-1 scale, ``nir_year``, ``via_group``); per stage
        ``<stage>_hhi``, ``<stage>_hhi_max``, ``<stage>_china``, ``<stage>_top``,
        ``<stage>_top_share``, ``<stage>_share_qualifier``, ``<stage>_origin``,
        ``<stage>_derived_from``, ``<stage>_year``; ``hhi_gap``; ``feoc_imports`` and
        ``allies_imports`` (at least, at most); every method's ``<method>_status``,
        ``_score``, ``_low``, ``_high``, ``_stage``; ``import_value`` and its year.
    """
    customs = customs if customs is not None else pd.DataFrame()
    totals = dep.customs_import_totals(customs) if not customs.empty else pd.DataFrame(columns=["commodity_id", "year", "customs_value_usd"])
    value_year = int(totals["year"].max()) if len(totals) else None
    last_values = totals[totals["year"] == value_year].set_index("commodity_id")["customs_value_usd"].to_dict() if value_year else {}
    groups_by_cid: dict[str, dict] = {}
    if import_shares is not None and not import_shares.empty:
        ec = {c: m.export_control_countries for c, m in inputs.minerals.items()}
        g = dep.import_group_shares(import_shares, inputs.groups, ec)
        g = g[g["status"] == "ok"].sort_values(["commodity_id", "n_partners"], ascending=[True, False])
        for r in g.to_dict("records"):
            groups_by_cid.setdefault(r["commodity_id"], r)
    ids = sorted(c for c, m in inputs.minerals.items() if list_year is None or m.listed(list_year))
    results = {name: {r["commodity_id"]: r for r in risk.rank(inputs, name, commodities=ids).to_dict("records")}
               for name in risk.METHODS}
    out = []
    for cid in ids:
        m = inputs.minerals[cid]
        rec = {"commodity_id": cid, "name": m.name, "nir": m.nir_display or "", "nir_qualifier": m.nir_qualifier or None,
               "nir_text": dep.describe_reliance(m.nir_value, m.nir_qualifier, m.nir_low, m.nir_high) if m.nir_qualifier else "not published",
               "nir_year": m.nir_year, "nir_low": m.nir.low if m.nir else None, "nir_high": m.nir.high if m.nir else None,
               "via_group": "; ".join(m.via_group)}
        for stage in ("mine", "processing"):
            sd = m.stages.get(stage)
            rec[f"{stage}_hhi"] = sd.hhi if sd else None
            rec[f"{stage}_hhi_max"] = sd.hhi_max if sd else None
            rec[f"{stage}_china"] = sd.china_share if sd else None
            rec[f"{stage}_top"] = sd.top1_country if sd else None
            rec[f"{stage}_top_share"] = sd.top1_share if sd else None
            rec[f"{stage}_share_qualifier"] = sd.share_qualifier if sd else None
            rec[f"{stage}_origin"] = sd.origin if sd else None
            rec[f"{stage}_derived_from"] = sd.derived_from if sd else None
            rec[f"{stage}_year"] = sd.year if sd else None
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


def risk_matrix(records: list[dict], symbols: dict[str, str] | None = None) -> dict:
    """The risk matrix of the overview rows (module docstring, "The risk matrix").

    Returns
    -------
    dict
        ``points`` (``commodity_id``, ``name``, ``symbol``, ``x``, ``x_low``, ``x_high``,
        ``y``, ``y_max``, ``y_stage``, ``y_derived_from``, ``y_year``, ``size``,
        ``top_producer``, ``china_top``), ``left_out`` (``name`` and ``reason``), the axes'
        labels and domains, the dividing lines, the size's label and a description.
    """
    symbols = symbols or {}
    points, left_out = [], []
    size_year = None
    for r in records:
        stages = [s for s in ("mine", "processing") if r[f"{s}_hhi"] is not None]
        if r["nir_low"] is None:
            left_out.append({"commodity_id": r["commodity_id"], "name": r["name"],
                             "reason": f"no published net import reliance ({r['nir_text']})"})
            continue
        if not stages:
            left_out.append({"commodity_id": r["commodity_id"], "name": r["name"],
                             "reason": "no usable concentration of world production at the mine or processing stage"})
            continue
        stage = max(stages, key=lambda s: (r[f"{s}_hhi"], s == "processing"))
        size_year = size_year or r["import_value_year"]
        points.append({
            "commodity_id": r["commodity_id"], "name": r["name"], "symbol": symbols.get(r["commodity_id"]) or r["commodity_id"],
            "x": r["nir_low"], "x_low": r["nir_low"], "x_high": r["nir_high"], "nir": r["nir"], "nir_text": r["nir_text"],
            "y": r[f"{stage}_hhi"], "y_max": r[f"{stage}_hhi_max"], "y_stage": stage,
            "y_derived_from": r[f"{stage}_derived_from"], "y_year": r[f"{stage}_year"],
            "size": r["import_value"], "top_producer": r[f"{stage}_top"],
            "china_top": r[f"{stage}_top"] in dep.CHINA_WITH_HK,
        })
    return {
        "description": ("US net import reliance (x, the latest published figure; a bound such as >75 % is a range "
                        "placed at its bound) against the HHI of world production (y) at the more concentrated of "
                        "the mine and processing stages (named per point). Dividing lines: 50 % reliance and HHI 0.25 "
                        "(highly concentrated, 2010 Horizontal Merger Guidelines). Area: US import value."),
        "x_label": "US net import reliance (fraction of apparent consumption)",
        "y_label": "HHI of world production, more concentrated stage (0-1)",
        "x_domain": [0, 1], "y_domain": [0, 1], "x_split": RELIANCE_SPLIT, "y_split": HHI_SPLIT,
        "size_label": f"US import value {size_year} (USITC customs value, US$)" if size_year else "US import value",
        "points": points, "left_out": left_out,
        "source": "USGS MCS (net import reliance, world production); World Mining Data, EU CRM 2023 and CEPII BACI "
                  "where USGS has no stage data; USITC DataWeb (import value); critmin.analysis.overview",
    }

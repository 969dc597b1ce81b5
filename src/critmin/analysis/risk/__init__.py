"""Supply-risk methods: one module per method, each named and versioned.

=============  ==============================  =============================================
name           module                          formula
=============  ==============================  =============================================
eu_crm         :mod:`.eu_crm`                  [HHI_WGI,t(GS) IR/2 + HHI_WGI,t(S)(1-IR/2)]
                                               (1-EoL_RIR) SI_SR, higher stage
usgs2021       :mod:`.usgs2021`                DP x TE x EV
geopolrisk     :mod:`.geopolrisk`              HHI x sum_i g_i a_i x F/(p+F)
composite      :mod:`.composite`               0.25 HHI + 0.25 FEOC + 0.30 NIR + 0.20 XC
=============  ==============================  =============================================

Every method returns a :class:`~critmin.analysis.risk.result.RiskResult` carrying its
breakdown, what is missing and the sources used. :func:`evaluate` applies a method to one
mineral's :class:`~critmin.analysis.inputs.MineralInputs`; :func:`rank` to all of them.

Caller-supplied parameters (``overrides``) fill what critmin does not hold:
``{commodity_id: {"eol_rir": 0.1, "substitution_index": 0.9, "economic_vulnerability": 0.5,
"eu_import_reliance": ...}}`` (fractions). They are listed in the result's sources as
``caller``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from critmin.analysis.interval import Interval
from critmin.analysis.risk import composite, eu_crm, geopolrisk, usgs2021
from critmin.analysis.risk.result import BOUNDED, INSUFFICIENT, OK, RiskResult, finish

#: name -> (version, one-line description)
METHODS: dict[str, tuple[str, str]] = {
    eu_crm.METHOD: (eu_crm.VERSION, "EU CRM supply risk (EC 2017 guidelines), applied to the US"),
    usgs2021.METHOD: (usgs2021.VERSION, "USGS 2021: disruption potential x trade exposure x economic vulnerability"),
    geopolrisk.METHOD: (geopolrisk.VERSION, "GeoPolRisk: HHI x instability-weighted import shares x import fraction"),
    composite.METHOD: (composite.VERSION, "critmin composite: 0.25 HHI + 0.25 FEOC + 0.30 NIR + 0.20 export controls"),
}
STAGES = ("mine", "processing")
_EU_STAGE = {"mine": "extraction", "processing": "processing"}

__all__ = ["METHODS", "STAGES", "RiskResult", "evaluate", "evaluate_all_stages", "rank", "OK", "BOUNDED", "INSUFFICIENT"]


def _param(overrides: Mapping | None, name: str):
    if not overrides or overrides.get(name) is None:
        return None
    v = overrides[name]
    return v if isinstance(v, Interval) else Interval.exact(float(v))


def _stage_sources(m, stage: str) -> list[str]:
    sd = m.stages.get(stage)
    return [sd.source_id] if sd is not None and sd.source_id else []


def _export_control_share(m, stage: str) -> Interval | None:
    sd = m.stages.get(stage)
    if sd is None or sd.status == "insufficient_data":
        return None
    xc = m.export_control_countries
    if sd.status == "partial" and set(sd.unknown_countries) & set(xc):
        return None
    return Interval.exact(float(sum(iv.low for c, iv in sd.shares.items() if c in xc)))


def evaluate(method: str, m, stage: str, inputs, overrides: Mapping | None = None) -> RiskResult:
    """Apply one method to one mineral at one stage (``mine`` or ``processing``).

    Parameters
    ----------
    method
        A key of :data:`METHODS`.
    m
        :class:`~critmin.analysis.inputs.MineralInputs`.
    stage
        ``mine`` or ``processing``.
    inputs
        The :class:`~critmin.analysis.inputs.RiskInputs` (governance scores).
    overrides
        This mineral's caller-supplied parameters.
    """
    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; choose mine or processing")
    sd = m.stages.get(stage)
    caller = ["caller"] if overrides else []
    src = _stage_sources(m, stage) + ([m.nir_source] if m.nir_source else [])
    shares = sd.shares if sd is not None and sd.status != "insufficient_data" else None
    if method == composite.METHOD:
        terms = {
            "hhi": None if sd is None or sd.hhi is None else Interval.exact(sd.hhi),
            "feoc_share": None if sd is None or sd.feoc_share is None else Interval.exact(sd.feoc_share),
            "import_reliance": m.nir,
            "export_control_share": _export_control_share(m, stage),
        }
        return composite.score(terms, commodity_id=m.commodity_id, stage=stage, sources=src + ["export_controls"])
    if method == usgs2021.METHOD:
        return usgs2021.supply_risk(shares, inputs.wgi, m.nir, _param(overrides, "economic_vulnerability"),
                                    commodity_id=m.commodity_id, stage=stage,
                                    sources=src + [inputs.wgi_info.get("source_id")] + caller)
    if method == geopolrisk.METHOD:
        return _geopolrisk(m, stage, sd, inputs, src)
    # eu_crm, US adaptation: GS = world production shares, sourcing = US import sources.
    gs = [eu_crm.Share(c, iv) for c, iv in (shares or {}).items()]
    sourcing = None
    if m.import_shares:
        sourcing = [eu_crm.Share(c, iv) for c, iv in m.import_shares if c is not None]
    stage_inputs = eu_crm.StageInputs(
        global_shares=gs, sourcing_shares=sourcing,
        import_reliance=_param(overrides, "eu_import_reliance") or m.nir,
        eol_rir=_param(overrides, "eol_rir"), substitution_index=_param(overrides, "substitution_index"),
    )
    r = eu_crm.supply_risk_stage(stage_inputs, inputs.wgi, commodity_id=m.commodity_id, stage=stage,
                                 default_trade_factor=1.0,
                                 sources=src + [m.import_source, inputs.wgi_info.get("source_id")] + caller)
    note = ("US adaptation: t = 1 for every country; sourcing = US import sources (publisher's 'Other' "
            "share left out); IR = US net import reliance")
    return RiskResult(r.method, r.version, r.commodity_id, r.stage, r.status, r.score, r.low, r.high, r.terms,
                      r.missing, r.sources, r.notes + (note,))


def _stage_hhi(sd) -> tuple[Interval | None, str]:
    """HHI of the stage; where some producers are unknown, the interval [hhi, hhi_max]."""
    if sd is None or sd.hhi is None:
        return None, ""
    hi = sd.hhi_max if sd.status == "partial" and sd.hhi_max is not None and sd.hhi_max > sd.hhi else sd.hhi
    when = sd.year if sd.year is not None else sd.vintage
    return Interval(sd.hhi, hi), f"HHI from {sd.derived_from} ({sd.series_label}, {when})"


def _geopolrisk(m, stage: str, sd, inputs, src: list[str]) -> RiskResult:
    """GeoPolRisk of one stage: on bilateral trade (BACI) where the importer has recorded
    imports of the stage's HS codes, else on the USGS published import shares (US only).

    ``F/(p+F)``: from BACI imports and the importer's production of the stage in the same
    unit where that production is known; else (US) from the USGS salient statistics of the
    stage; else, on the USGS path, the stage-blind salient fraction as before.
    """
    hhi, hhi_note = _stage_hhi(sd)
    block = m.trade_blocks.get(stage)
    sf = m.stage_fractions.get(stage)
    pv_src = inputs.pv_info.get("source_id")
    if block is not None:
        prod = m.domestic.get(stage)
        p = prod.amount if prod is not None else None
        r = geopolrisk.score_bilateral(
            hhi, block, inputs.pv, p,
            import_fraction=sf.fraction if sf is not None else None,
            fraction_source=(f"USGS salient {sf.year}: {sf.production_detail} vs {'; '.join(sf.import_details)} "
                             f"({sf.unit})") if sf is not None else "",
            production_note=prod.note if prod is not None else "", hhi_note=hhi_note,
            sources=_stage_sources(m, stage) + [block.source_id, prod.source if prod else None,
                                                sf.source_id if sf is not None and p is None else None, pv_src],
        )
        if m.via_group and any("BACI" in v for v in m.via_group):
            r = RiskResult(r.method, r.version, m.commodity_id, r.stage, r.status, r.score, r.low, r.high, r.terms,
                           r.missing, r.sources, r.notes + tuple(v for v in m.via_group if "BACI" in v or "import fraction" in v))
        return r
    if m.importer != "USA":
        return finish(geopolrisk.METHOD, geopolrisk.VERSION_BILATERAL, m.commodity_id, stage, None, {},
                      [f"recorded imports of the {stage}-stage HS codes by {m.importer} (BACI)"], [pv_src])
    frac = sf.fraction if sf is not None and sf.fraction is not None else m.import_fraction
    shares = m.import_shares if _form_fits_stage(m.import_form, stage) else None
    r = geopolrisk.score(None if hhi is None else hhi, shares, inputs.pv, frac, commodity_id=m.commodity_id,
                         stage=stage, sources=src + [m.import_source, pv_src])
    extra = (f"import shares: {m.import_source} ({m.import_form or 'all forms'}, {m.import_period})",)
    if hhi_note:
        extra += (hhi_note,)
    if shares is None and m.import_shares is not None:
        extra += (f"the published import shares are for '{m.import_form}', not the {stage} stage",)
    return RiskResult(r.method, r.version, r.commodity_id, r.stage, r.status, r.score, r.low, r.high,
                      {**r.terms, "derived_from": "usgs_import_shares"}, r.missing, r.sources, r.notes + extra)


def _form_fits_stage(form: str, stage: str) -> bool:
    """Whether published import shares for ``form`` describe ``stage`` (a form without
    stage words, or "All forms", fits both)."""
    from critmin.analysis.domestic_supply import classify

    c = classify(form or "", "imports")
    return c in ("unspecified", "total") or c == stage


def evaluate_all_stages(method: str, m, inputs, overrides: Mapping | None = None) -> RiskResult:
    """The higher of the two stages (the EU rule, used for every method when no stage is
    asked for). A stage without data is skipped; if both lack data, the mine-stage result
    (with its missing list) is returned."""
    results = [evaluate(method, m, s, inputs, overrides) for s in STAGES]
    known = [r for r in results if r.status != INSUFFICIENT]
    if not known:
        with_data = [r for r in results if m.stages.get(r.stage) is not None]
        return (with_data or results)[0]
    best = max(known, key=lambda r: (r.high, r.low))
    # Say when the other stage could not be scored (nickel: the processing stage the US
    # imports, with refinery output withheld), so a mine-stage score is not read as the whole.
    other = [r for r in results if r.status == INSUFFICIENT and r.stage != best.stage
             and (m.trade_blocks.get(r.stage) is not None or m.stages.get(r.stage) is not None)]
    if other:
        o = other[0]
        note = f"{o.stage} stage not scored: {'; '.join(o.missing)}"
        best = RiskResult(best.method, best.version, best.commodity_id, best.stage, best.status, best.score, best.low,
                          best.high, best.terms, best.missing, best.sources, best.notes + (note,))
    return best


def rank(
    inputs,
    method: str = composite.METHOD,
    stage: str | None = None,
    commodities: Iterable[str] | None = None,
    overrides: Mapping[str, Mapping] | None = None,
) -> pd.DataFrame:
    """Rank minerals by one method: a row per mineral, with the breakdown columns.

    Rows are ordered by score (a bounded score by its lower bound: it is at least that
    risky), then by the upper bound; ``insufficient_data`` rows come last, alphabetically.
    """
    overrides = overrides or {}
    ids = list(commodities) if commodities is not None else sorted(inputs.minerals)
    recs = []
    for cid in ids:
        m = inputs.minerals.get(cid)
        if m is None:
            r = finish(method, METHODS[method][0], cid, stage, None, {}, ["any data for this mineral"], [])
        elif stage is None:
            r = evaluate_all_stages(method, m, inputs, overrides.get(cid))
        else:
            r = evaluate(method, m, stage, inputs, overrides.get(cid))
        rec = r.as_record()
        rec["name"] = m.name if m is not None else cid
        recs.append(rec)
    front = ["rank", "commodity_id", "name", "method", "version", "stage", "status", "score", "low", "high"]
    df = pd.DataFrame(recs)
    if df.empty:  # nothing asked for: the usual columns, no rows
        return pd.DataFrame(columns=front + ["missing", "sources", "notes"])
    key = df["score"].where(df["score"].notna(), df["low"])
    df = df.assign(_k=key.fillna(-1.0), _h=df["high"].fillna(-1.0)).sort_values(
        ["_k", "_h", "commodity_id"], ascending=[False, False, True]).drop(columns=["_k", "_h"])
    df.insert(0, "rank", range(1, len(df) + 1))
    df.loc[df["status"] == INSUFFICIENT, "rank"] = None
    return df[front + [c for c in df.columns if c not in front]].reset_index(drop=True)

"""EU CRM supply risk (European Commission 2017 guidelines, as applied in the 2023 assessment).

Formula
-------
For one stage (extraction or processing) of one material::

    SR = [ HHI_WGI,t(GS) * IR/2 + HHI_WGI,t(EUS) * (1 - IR/2) ] * (1 - EoL_RIR) * SI_SR

    HHI_WGI,t = sum_c  S_c**2 * WGI_c * t_c

* ``S_c``: country *c*'s share of global supply (GS) or of the EU's sourcing (EUS),
  as a fraction;
* ``WGI_c``: the mean of the six Worldwide Governance Indicators rescaled to 0-10, higher is
  worse: ``(2.5 - WGI) * 2`` (:func:`critmin.analysis.risk.governance.eu_scaled`);
* ``t_c``: the trade-related variable: 1 baseline, above 1 for export restrictions, 0.8 for
  EU members and partners of EU trade agreements (published per country in the 2023
  supply-share files);
* ``IR``: the EU's import reliance, a fraction;
* ``EoL_RIR``: the end-of-life recycling input rate, a fraction;
* ``SI_SR``: the substitution index for supply risk, 0-1.

SR is computed for extraction and processing, and the higher one is reported
(:func:`supply_risk`).

critmin holds the supply shares and ``t`` of the 2023 assessment, the WGI, and US net import
reliance; it does not hold the EU's IR, EoL-RIR or SI_SR. Callers supply those; without
them the result is ``insufficient_data`` listing what is missing, with the two HHI terms in
its breakdown. A share published as a bound (``<0.1%``) enters as its bound, and a country
without a WGI score enters with the full 0-10 range, so the result is bounded, not guessed.

Applied to the US (``critmin risk --method eu_crm``), GS are USGS world-production shares of
the stage, EUS becomes US import sources (MCS 2026 shares), IR becomes US net import
reliance, and ``t = 1`` for every country (the method's baseline: critmin has no inventory of
export restrictions graded the way the EU grades them); the notes of the result say so.

References
----------
European Commission, 2017, Methodology for establishing the EU list of critical raw
materials: Guidelines, Blengini, G.A., et al., Publications Office of the EU,
doi:10.2873/769526.
European Commission, 2023, Study on the critical raw materials for the EU 2023: Final
report, Grohol, M., and Veeh, C., doi:10.2873/725585.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from critmin.analysis.interval import Interval
from critmin.analysis.risk.governance import lookup, scaled_interval
from critmin.analysis.risk.result import INSUFFICIENT, RiskResult, finish, term

METHOD = "eu_crm"
VERSION = "EC-2017-guidelines/2023"
STAGES = ("extraction", "processing")


@dataclass(frozen=True)
class Share:
    """A country's supply share (fraction, possibly bounded) and its trade variable ``t``."""

    country: str
    share: Interval
    trade_factor: float | None = None


@dataclass(frozen=True)
class StageInputs:
    """Everything the formula needs for one stage; ``None`` means not known."""

    global_shares: Sequence[Share]
    sourcing_shares: Sequence[Share] | None
    import_reliance: Interval | float | None
    eol_rir: Interval | float | None
    substitution_index: Interval | float | None


def _iv(x: Interval | float | None) -> Interval | None:
    if x is None:
        return None
    return x if isinstance(x, Interval) else Interval.exact(float(x))


def hhi_wgi_t(
    shares: Sequence[Share],
    wgi: Mapping[str, float],
    *,
    default_trade_factor: float | None = None,
) -> tuple[Interval | None, list[str], list[str]]:
    """Governance- and trade-weighted HHI: ``sum_c S_c**2 * WGI_c(0-10) * t_c``.

    Parameters
    ----------
    shares
        Supply shares as fractions.
    wgi
        ``{iso3: WGI estimate (mean of the six indicators)}`` on the -2.5..2.5 scale.
    default_trade_factor
        ``t`` for shares that carry none; ``None`` makes a missing ``t`` a missing input.

    Returns
    -------
    (Interval or None, missing, notes)
    """
    total = Interval(0.0, 0.0)
    missing: list[str] = []
    notes: list[str] = []
    for sh in shares:
        if sh.share.high <= 0:
            continue
        t = sh.trade_factor if sh.trade_factor is not None else default_trade_factor
        if t is None:
            missing.append(f"trade variable t of {sh.country}")
            continue
        score = lookup(wgi, sh.country)
        if score is None:
            notes.append(f"no WGI for {sh.country}: counted over the full 0-10 range")
        g = scaled_interval(score, "eu")
        s2 = Interval(sh.share.low ** 2, sh.share.high ** 2)
        total = total + s2 * g * t
    return (None if missing else total), missing, notes


def supply_risk_stage(
    inputs: StageInputs,
    wgi: Mapping[str, float],
    *,
    commodity_id: str | None = None,
    stage: str | None = None,
    default_trade_factor: float | None = None,
    sources: Sequence[str] = (),
) -> RiskResult:
    """EU supply risk of one stage; the formula is in the module docstring."""
    missing: list[str] = []
    notes: list[str] = []
    if inputs.global_shares:
        gs, m1, n1 = hhi_wgi_t(inputs.global_shares, wgi, default_trade_factor=default_trade_factor)
        missing += m1
        notes += n1
    else:
        gs = None
        missing.append("global supply shares")
    if inputs.sourcing_shares is None or len(inputs.sourcing_shares) == 0:
        eus = None
        missing.append("sourcing shares (EU sourcing, or the importer's import sources)")
    else:
        eus, m2, n2 = hhi_wgi_t(inputs.sourcing_shares, wgi, default_trade_factor=default_trade_factor)
        missing += m2
        notes += n2
    ir = _iv(inputs.import_reliance)
    eol = _iv(inputs.eol_rir)
    si = _iv(inputs.substitution_index)
    if ir is None:
        missing.append("IR (import reliance)")
    if eol is None:
        missing.append("EoL-RIR (end-of-life recycling input rate)")
    if si is None:
        missing.append("SI_SR (substitution index for supply risk)")
    concentration = None
    if gs is not None and eus is not None and ir is not None:
        half = ir * 0.5
        concentration = gs * half + eus * (Interval(1.0, 1.0) - half)
    value = None
    if concentration is not None and eol is not None and si is not None:
        value = concentration * (Interval(1.0, 1.0) - eol) * si
    terms = {
        "hhi_wgi_t_global": term(gs), "hhi_wgi_t_sourcing": term(eus), "import_reliance": term(ir),
        "concentration_term": term(concentration), "eol_rir": term(eol), "substitution_index": term(si),
    }
    return finish(METHOD, VERSION, commodity_id, stage, value, terms, missing, sources, notes)


def supply_risk(
    stages: Mapping[str, StageInputs],
    wgi: Mapping[str, float],
    *,
    commodity_id: str | None = None,
    default_trade_factor: float | None = None,
    sources: Sequence[str] = (),
) -> RiskResult:
    """EU supply risk of a material: the higher of its stages' SR.

    A stage with no supply shares at all is not assessed (as in the EU study, where some
    materials have only an extraction stage); a stage with shares but a missing parameter
    makes the whole result ``insufficient_data``, since the higher stage cannot be known.
    """
    results = {
        name: supply_risk_stage(inp, wgi, commodity_id=commodity_id, stage=name,
                                default_trade_factor=default_trade_factor, sources=sources)
        for name, inp in stages.items() if inp.global_shares
    }
    if not results:
        return finish(METHOD, VERSION, commodity_id, None, None, {}, ["global supply shares of any stage"], sources)
    terms = {}
    for name, r in results.items():
        terms[f"{name}_sr"] = r.score if r.score is not None else ([r.low, r.high] if r.low is not None else None)
        for k, v in r.terms.items():
            terms[f"{name}_{k}"] = v
    missing = [f"{name}: {m}" for name, r in results.items() for m in r.missing]
    notes = [f"{name}: {n}" for name, r in results.items() for n in r.notes]
    if missing:
        return finish(METHOD, VERSION, commodity_id, None, None, terms, missing, sources, notes)
    best = None
    for r in results.values():
        iv = Interval(r.low, r.high)
        best = iv if best is None else best.maximum(iv)
    top = max(results, key=lambda k: results[k].high)
    terms["stage_reported"] = top
    return finish(METHOD, VERSION, commodity_id, top, best, terms, [], sources, notes)


# --- the EU's own 2023 supply risk, from its published inputs ------------------------------------
#: Parameters of the EU formula that the EU CRM 2023 files do not hold.
EU_PARAMETERS = ("import_reliance", "eol_rir", "substitution_index")
#: Published SR is rounded to one decimal; a reproduction within this distance counts.
DEFAULT_TOLERANCE = 0.1


@dataclass(frozen=True)
class EUParameters:
    """The EU's per-material inputs critmin does not hold, as the caller supplies them.

    ``import_reliance`` per stage (``extraction``, ``processing``; ``*`` for both), the
    end-of-life recycling input rate and the substitution index for supply risk, all as
    fractions, and where they come from (a citation, or "user assumption").
    """

    import_reliance: Mapping[str, Interval | float]
    eol_rir: Interval | float | None = None
    substitution_index: Interval | float | None = None
    source: str = "user assumption"

    def ir(self, stage: str) -> Interval | None:
        return _iv(self.import_reliance.get(stage, self.import_reliance.get("*")))


def eu_material_stages(eu_supply_shares) -> dict[str, dict[str, dict[str, list[Share]]]]:
    """Global supply and EU sourcing shares of every EU material and stage, with ``t``.

    Parameters
    ----------
    eu_supply_shares
        The ``eu_crm_supply_shares`` table (one material name per material, see
        :mod:`critmin.sources.eu_crm`); a share published as ``<0.1%`` enters as the
        interval [0, 0.1 %].

    Returns
    -------
    dict
        ``{material: {stage: {"global": [Share], "eu_sourcing": [Share]}}}``.
    """
    out: dict[str, dict[str, dict[str, list[Share]]]] = {}
    if eu_supply_shares is None or len(eu_supply_shares) == 0:
        return out
    for r in eu_supply_shares.to_dict("records"):
        if r.get("country_kind") != "country" or not r.get("country_iso3"):
            continue
        value, low, high = (None if _nan(r.get(k)) else float(r[k]) for k in ("value", "low", "high"))
        if r["qualifier"] in ("exact", "estimated", "revised") and value is not None:
            share = Interval.exact(value / 100)
        elif r["qualifier"] == "less_than" and high is not None:
            share = Interval(0.0, high / 100)
        elif r["qualifier"] == "greater_than" and low is not None:
            share = Interval(low / 100, 1.0)
        else:
            continue
        t = None if _nan(r.get("trade_factor")) else float(r["trade_factor"])
        stage = out.setdefault(r["material"], {}).setdefault(r["stage"], {"global": [], "eu_sourcing": []})
        stage[r["scope"]].append(Share(r["country_iso3"], share, t))
    return out


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and x != x)


def _unit() -> Interval:
    return Interval(0.0, 1.0)


def eu_supply_risk_range(
    stages: Mapping[str, Mapping[str, Sequence[Share]]],
    wgi: Mapping[str, float],
    parameters: EUParameters | None = None,
) -> tuple[Interval | None, dict, list[str]]:
    """The EU supply risk of one material from its published shares, over what is unknown.

    For each stage with global supply shares: ``HHI_WGI,t`` of the global supply (GS) and
    of the EU sourcing (EUS), then the formula of the module docstring with IR, EoL-RIR and
    SI_SR as supplied; an input not supplied spans its whole range (IR, EoL-RIR and SI_SR in
    [0, 1]), so the result is the interval the published shares allow. Every stage with
    global shares is assessed; a stage without EU sourcing shares cannot be bounded and
    makes the result None (the published SR may come from that stage).

    Returns
    -------
    (Interval or None, terms, missing)
        The SR interval over the stages (the higher stage, as the EU reports), the terms
        per stage, and what is missing for an exact reproduction.
    """
    missing: list[str] = []
    terms: dict = {}
    best: Interval | None = None
    unbounded = False
    for stage in STAGES:
        data = stages.get(stage)
        if not data or not data.get("global"):
            continue
        gs, m1, _ = hhi_wgi_t(data["global"], wgi)
        eus, m2, _ = hhi_wgi_t(data["eu_sourcing"], wgi) if data.get("eu_sourcing") else (None, [], [])
        missing += [f"{stage}: {m}" for m in m1 + m2]
        terms[f"{stage}_hhi_wgi_t_global"] = term(gs)
        terms[f"{stage}_hhi_wgi_t_eu_sourcing"] = term(eus)
        if eus is None:
            missing.append(f"{stage}: EU sourcing shares (not in the EU sourcing file)")
        ir = parameters.ir(stage) if parameters else None
        if ir is None:
            missing.append(f"{stage}: IR (EU import reliance)")
        if gs is None or eus is None:
            unbounded = True
            continue
        ir_iv = ir if ir is not None else _unit()
        half = ir_iv * 0.5
        # GS*IR/2 + EUS*(1 - IR/2) is linear in IR: its range is spanned by the ends of IR.
        ends = [gs * (h / 1.0) + eus * (1.0 - h) for h in (half.low, half.high)]
        concentration = Interval(min(e.low for e in ends), max(e.high for e in ends))
        terms[f"{stage}_concentration_term"] = term(concentration)
        stage_sr = concentration
        for name, given in (("eol_rir", parameters.eol_rir if parameters else None),
                            ("substitution_index", parameters.substitution_index if parameters else None)):
            iv = _iv(given)
            factor = (Interval(1.0, 1.0) - iv) if (iv is not None and name == "eol_rir") else iv
            stage_sr = stage_sr * (factor if factor is not None else _unit())
        terms[f"{stage}_sr"] = term(stage_sr)
        best = stage_sr if best is None else best.maximum(stage_sr)
    if parameters is None or _iv(parameters.eol_rir) is None:
        missing.append("EoL-RIR (end-of-life recycling input rate)")
    if parameters is None or _iv(parameters.substitution_index) is None:
        missing.append("SI_SR (substitution index for supply risk)")
    if best is None and not terms:
        missing.insert(0, "global supply shares of any stage")
    return (None if unbounded else best), terms, missing


def reproduce_published(
    eu_supply_shares,
    eu_assessment,
    wgi: Mapping[str, float],
    parameters: Mapping[str, EUParameters] | None = None,
    *,
    year: int = 2023,
    tolerance: float = DEFAULT_TOLERANCE,
):
    """The EU's own supply risk of ``year`` recomputed from its published inputs, beside the
    published SR, material by material.

    The EU CRM 2023 files hold the global supply shares, the EU sourcing shares and the
    trade variable ``t`` of every country; they do not hold the EU import reliance (IR),
    the end-of-life recycling input rate (EoL-RIR) or the substitution index (SI_SR),
    which the study publishes only in its factsheets. Those come from ``parameters``
    (``{material: EUParameters}``, a citation each); without them the SR can only be
    bounded, and the row says which inputs are missing.

    Returns
    -------
    DataFrame
        One row per material assessed in ``year`` with a numeric SR: ``material``,
        ``commodity_id``, ``form``, ``published_sr``, ``sr_low``, ``sr_high`` (the SR the
        inputs allow; equal when every input is known and exact), ``difference``
        (computed minus published, when exact), ``status`` (``reproduced`` within
        ``tolerance``, ``differs``, or ``insufficient_data``), ``consistent`` (the
        published SR lies within the range, widened by the tolerance; None when the
        range cannot be bounded), ``missing``, ``terms``, ``parameter_source``.

    References
    ----------
    Blengini, G.A., et al., 2017, Methodology for establishing the EU list of critical raw
    materials: Guidelines, European Commission, doi:10.2873/769526 (supply risk).
    European Commission, 2023, Study on the critical raw materials for the EU 2023: Final
    report (Annex 4: SR and EI; supply shares and t), doi:10.2873/725585.
    """
    import pandas as pd

    stages = eu_material_stages(eu_supply_shares)
    a = eu_assessment
    published = a[(a["year"] == year) & (a["indicator"] == "SR") & a["value"].notna()]
    rows = []
    for r in published.sort_values("material").to_dict("records"):
        material = r["material"]
        params = (parameters or {}).get(material)
        sr, terms, missing = eu_supply_risk_range(stages.get(material, {}), wgi, params)
        pub = float(r["value"])
        exact = sr is not None and not missing and sr.high - sr.low < 1e-9
        if sr is not None and not missing:
            within = sr.low - tolerance - 1e-9 <= pub <= sr.high + tolerance + 1e-9
            status = "reproduced" if within else "differs"
        else:
            status = INSUFFICIENT
        rows.append({
            "material": material, "commodity_id": r.get("commodity_id"), "form": r.get("form") or "",
            "published_sr": pub, "sr_low": None if sr is None else sr.low, "sr_high": None if sr is None else sr.high,
            "difference": (sr.low - pub) if exact else None, "status": status,
            "consistent": None if sr is None else bool(sr.low - tolerance - 1e-9 <= pub <= sr.high + tolerance + 1e-9),
            "missing": missing, "terms": terms, "parameter_source": params.source if params else None,
        })
    return pd.DataFrame(rows, columns=["material", "commodity_id", "form", "published_sr", "sr_low", "sr_high",
                                       "difference", "status", "consistent", "missing", "terms", "parameter_source"])

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
from critmin.analysis.risk.result import RiskResult, finish, term

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

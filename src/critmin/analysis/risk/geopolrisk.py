"""GeoPolRisk: production concentration x import shares weighted by political instability.

Formula (Santillán-Saldivar et al. 2021, eq. 1)
-----------------------------------------------
::

    GeoPolRisk = HHI * sum_i ( g_i * f_i / (p + F) )
               = HHI * [ sum_i g_i * a_i ] * F / (p + F)

* ``HHI``: concentration of world production of the stage (0-1);
* ``g_i``: political instability of exporter *i*: the WGI "Political Stability and Absence
  of Violence/Terrorism" estimate rescaled to 0-1, ``(2.5 - PV) / 5`` (1 = least stable);
* ``f_i``: imports from *i*; ``F``: total imports; ``a_i = f_i / F`` the import share;
* ``p``: domestic (US primary) production, so ``F / (p + F)`` is the share of supply that
  is imported.

Gemechu et al. (2016) used the import shares alone (``HHI * sum_i g_i a_i``, the
``variant='2016'`` here); the 2021 form divides by domestic production plus imports.

Import shares come from USGS (MCS 2026, percent of US imports by partner, 2021-24). The
publisher's residual "Other" share has no country, so its instability is unknown and is
counted over the full range [0, 1]; a listed partner without a PV score likewise. The
result is then bounded rather than guessed.

References
----------
Gemechu, E.D., Helbig, C., Sonnemann, G., Thorenz, A., and Tuma, A., 2016, Import-based
indicator for the geopolitical supply risk of raw materials in life cycle sustainability
assessments: Journal of Industrial Ecology 20(1), 154-165, doi:10.1111/jiec.12279.
Santillán-Saldivar, J., Cimprich, A., Shaikh, N., Laratte, B., Young, S.B., and
Sonnemann, G., 2021, How recycling mitigates supply risks of critical raw materials:
extension of the geopolitical supply risk methodology applied to information and
communication technologies in the European Union: Resources, Conservation and Recycling
164, 105108, doi:10.1016/j.resconrec.2020.105108.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from critmin.analysis.interval import Interval
from critmin.analysis.risk.governance import lookup, scaled_interval
from critmin.analysis.risk.result import RiskResult, finish, term

METHOD = "geopolrisk"
VERSION = "Santillan-Saldivar-2021/1"


def weighted_instability(
    import_shares: Sequence[tuple[str | None, Interval]],
    pv: Mapping[str, float],
) -> tuple[Interval, Interval, list[str]]:
    """``sum_i g_i * a_i`` over the import shares, and the sum of the shares themselves.

    ``import_shares`` pairs an ISO3 code (``None`` for the publisher's residual "Other")
    with its share of imports as a fraction.
    """
    total = Interval(0.0, 0.0)
    covered = Interval(0.0, 0.0)
    notes = []
    for iso, a in import_shares:
        covered = covered + a
        score = lookup(pv, iso) if iso else None
        if iso is None:
            notes.append(f"unassigned import share {a.high:.0%}: instability over the full 0-1 range")
        elif score is None:
            notes.append(f"no political-stability score for {iso}: counted over the full 0-1 range")
        total = total + a * scaled_interval(score, "unit")
    return total, covered, notes


def score(
    production_hhi: float | Interval | None,
    import_shares: Sequence[tuple[str | None, Interval]] | None,
    pv: Mapping[str, float],
    import_fraction: Interval | float | None = None,
    *,
    variant: str = "2021",
    commodity_id: str | None = None,
    stage: str | None = None,
    sources: Sequence[str] = (),
) -> RiskResult:
    """The GeoPolRisk score of one mineral and stage (formula in the module docstring).

    Parameters
    ----------
    production_hhi
        HHI of world production of the stage (0-1).
    import_shares
        ``[(iso3 or None, share of imports as a fraction), ...]``.
    pv
        ``{iso3: WGI political-stability estimate}``.
    import_fraction
        ``F / (p + F)``; required by ``variant='2021'``.
    variant
        ``'2021'`` (Santillán-Saldivar et al.) or ``'2016'`` (Gemechu et al., no
        domestic-production term).
    """
    if variant not in ("2021", "2016"):
        raise ValueError("variant must be '2021' or '2016'")
    missing = []
    notes: list[str] = []
    hhi = None if production_hhi is None else (production_hhi if isinstance(production_hhi, Interval) else Interval.exact(production_hhi))
    if hhi is None:
        missing.append("HHI of world production of the stage")
    wi = None
    if not import_shares:
        missing.append("US import shares by partner")
    else:
        wi, covered, notes = weighted_instability(import_shares, pv)
        if covered.high < 0.98:
            notes.append(f"import shares sum to {covered.high:.0%}, not 100%")
    frac = None if import_fraction is None else (import_fraction if isinstance(import_fraction, Interval) else Interval.exact(import_fraction))
    if variant == "2021" and frac is None:
        missing.append("F/(p+F): US imports and primary production in one unit")
    value = None
    if hhi is not None and wi is not None:
        value = hhi * wi
        if variant == "2021":
            value = value * frac if frac is not None else None
    terms = {"hhi": term(hhi), "weighted_instability": term(wi), "import_fraction": term(frac),
             "variant": variant}
    version = VERSION if variant == "2021" else "Gemechu-2016/1"
    return finish(METHOD, version, commodity_id, stage, value, terms, missing, sources, notes)


# ---------------------------------------------------------------- on bilateral trade (BACI)

VERSION_BILATERAL = "Santillan-Saldivar-2021/bilateral-1"
MEASURES = ("content_t", "gross_t", "value")


@dataclass(frozen=True)
class TradeBlock:
    """One importer's imports of one mineral at one stage in one year, by partner and code.

    ``gross_t`` and ``value_usd`` are ``(partners, codes)`` arrays; ``factor_low`` and
    ``factor_high`` the content factors per code (NaN where the concordance has none).
    ``partners`` are ISO3 codes, ``None`` for an aggregate without one (its instability
    is unknown). ``value_without_quantity`` is the share of import value whose quantity
    CEPII did not report (left out of the tonnes, never counted as 0).
    """

    importer: str
    commodity_id: str
    stage: str
    year: int
    codes: tuple[str, ...]
    partners: tuple[str | None, ...]
    labels: tuple[str, ...]
    gross_t: np.ndarray
    value_usd: np.ndarray
    factor_low: np.ndarray
    factor_high: np.ndarray
    basis: str | None
    value_without_quantity: float = 0.0
    source_id: str = "cepii_baci_hs92"

    @property
    def total_value(self) -> float:
        return float(self.value_usd.sum())

    def measure(self) -> str:
        """``content_t`` when every code has a content factor, ``gross_t`` for one code
        (a factor would cancel in the shares), else ``value``: the one unit different
        products share."""
        if self.basis is not None and not np.isnan(self.factor_low).any():
            return "content_t"
        if len(self.codes) == 1:
            return "gross_t"
        return "value"


def _g_bounds(partners, pv: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    lo, hi, notes = [], [], []
    for iso in partners:
        score = lookup(pv, iso) if iso else None
        iv = scaled_interval(score, "unit")
        lo.append(iv.low)
        hi.append(iv.high)
        if score is None:
            notes.append(f"no political-stability score for {iso or 'an aggregate partner'}: counted over the full 0-1 range")
    return np.array(lo), np.array(hi), notes


def _vertices(lo: np.ndarray, hi: np.ndarray):
    free = [c for c in range(len(lo)) if hi[c] > lo[c]]
    import itertools

    for corner in itertools.product((0, 1), repeat=len(free)):
        k = lo.copy()
        for c, up in zip(free, corner):
            if up:
                k[c] = hi[c]
        yield k


def bilateral_terms(block: TradeBlock, pv: Mapping[str, float], production: Interval | None,
                    measure: str | None = None) -> dict:
    """The GeoPolRisk terms of one trade block, as exact intervals.

    With ``q_ic`` the amount imported from partner ``i`` in code ``c`` (gross tonnes, or
    US dollars for the ``value`` measure) and ``k_c`` the content factor (1 for gross
    tonnes and value), ``f_i = sum_c k_c q_ic`` and ``F = sum_i f_i``:

    * ``weighted_instability`` ``WI = sum_i g_i f_i / F``;
    * ``import_fraction`` ``F / (p + F)``;
    * ``import_risk`` ``sum_i g_i f_i / (p + F)`` (Santillán-Saldivar et al. 2021, eq. 1
      without the HHI).

    Each is a linear-fractional function of the factors ``k`` (extremes at the vertices
    of the box of factor bounds), increasing in every ``g_i`` and decreasing in ``p``, so
    the bounds below are exact. ``production`` (``p``) must be in the measure's unit
    (content tonnes of ``block.basis``, or gross tonnes); it may be None only when it is
    not needed (``import_fraction`` then None).
    """
    measure = measure or block.measure()
    if measure == "content_t":
        q, k_lo, k_hi = block.gross_t, block.factor_low, block.factor_high
    elif measure == "gross_t":
        q, k_lo, k_hi = block.gross_t, np.ones(len(block.codes)), np.ones(len(block.codes))
    else:
        q, k_lo, k_hi = block.value_usd, np.ones(len(block.codes)), np.ones(len(block.codes))
    g_lo, g_hi, notes = _g_bounds(block.partners, pv)
    G_lo, G_hi, Q = g_lo @ q, g_hi @ q, q.sum(axis=0)
    wi, fr, ir, F = [], [], [], []
    for k in _vertices(k_lo, k_hi):
        D = float(Q @ k)
        if D <= 0:
            continue
        F.append(D)
        wi += [float(G_lo @ k) / D, float(G_hi @ k) / D]
        if production is not None:
            fr += [D / (production.high + D), D / (production.low + D)]
            ir += [float(G_lo @ k) / (production.high + D), float(G_hi @ k) / (production.low + D)]
    if not F:
        return {"measure": measure, "notes": notes, "F": None}
    out = {
        "measure": measure,
        "F": Interval(min(F), max(F)),
        "weighted_instability": Interval(min(wi), max(wi)),
        "import_fraction": Interval(min(fr), max(fr)) if fr else None,
        "import_risk": Interval(min(ir), max(ir)) if ir else None,
        "notes": notes,
    }
    return out


def score_bilateral(
    production_hhi: float | Interval | None,
    block: TradeBlock | None,
    pv: Mapping[str, float],
    production: Interval | None = None,
    *,
    import_fraction: Interval | None = None,
    fraction_source: str = "",
    production_note: str = "",
    hhi_note: str = "",
    sources: Sequence[str] = (),
) -> RiskResult:
    """GeoPolRisk of one importer, mineral and stage from bilateral trade.

    ``GeoPolRisk = HHI * sum_i g_i f_i / (p + F)`` (Santillán-Saldivar et al. 2021, eq. 1;
    Gemechu et al. 2016 without ``p``), with the imports ``f_i`` of the block's HS codes
    in content tonnes (concordance factors; an interval where a heading covers several
    compounds), and ``p`` the importer's production of the stage in the same unit.

    Units are never mixed:

    * ``production`` given (content or gross tonnes in the block's measure): the formula
      as published; a production of exactly 0 makes ``F / (p + F) = 1`` whatever the unit,
      so then shares in gross tonnes (one code) or value (several codes without a common
      content basis) are used;
    * else ``import_fraction`` given (``F / (p + F)`` computed by USGS's salient statistics
      in their own unit): ``HHI * WI * F/(p+F)`` with ``WI`` from the block -- the same
      identity, its two factors each in one unit; ``fraction_source`` says where it is from;
    * else ``insufficient_data``, naming what is missing. No imports (no flows of the codes)
      is insufficient data too, never a score of 0.

    Returns a :class:`RiskResult` whose ``terms`` are the breakdown: ``hhi``,
    ``weighted_instability``, ``import_fraction``, ``import_risk``, ``imports``,
    ``production``, ``measure``, ``year``, ``codes``, ``partners`` (top five and their
    shares), ``import_price_usd_per_kg`` and ``midpoint_usd_per_kg`` (``score x price``,
    the characterization model of Koyamparambath et al. 2024, as implemented in
    geopolrisk-py), ``derived_from``.

    References
    ----------
    Gemechu et al. (2016); Santillán-Saldivar et al. (2021); Koyamparambath, A., Loubet, P.,
    Young, S.B., and Sonnemann, G., 2024, Spatially and temporally differentiated
    characterization factors for supply risk of abiotic resources in life cycle
    assessment: Resources, Conservation and Recycling 209, 107801.
    """
    missing: list[str] = []
    notes: list[str] = []
    hhi = None if production_hhi is None else (production_hhi if isinstance(production_hhi, Interval) else Interval.exact(production_hhi))
    if hhi is None:
        missing.append("HHI of world production of the stage")
    elif hhi_note:
        notes.append(hhi_note)
    cid = block.commodity_id if block else None
    stage = block.stage if block else None
    if block is None or block.total_value <= 0:
        missing.append("recorded imports of the stage's HS codes (BACI)")
        return finish(METHOD, VERSION_BILATERAL, cid, stage, None, {"derived_from": "baci"}, missing, sources, notes)
    measure = block.measure()
    if production is not None and production.high == 0.0:
        measure = block.measure()  # p = 0: any consistent unit gives F/(p+F) = 1
    elif production is not None and measure != "content_t" and not (measure == "gross_t" and block.basis == "gross weight"):
        notes.append(f"domestic production known ({production_note}) but imports of HS {', '.join(block.codes)} "
                     "have no content factor: the production cannot be added to them")
        production = None
    t = bilateral_terms(block, pv, production, measure)
    notes += t["notes"]
    if t["F"] is None:
        missing.append(f"imports of HS {', '.join(block.codes)} with a reported quantity")
        return finish(METHOD, VERSION_BILATERAL, cid, stage, None, {"derived_from": "baci", "measure": measure}, missing,
                      sources, notes)
    if block.value_without_quantity > 0 and measure != "value":
        notes.append(f"quantity not reported for {block.value_without_quantity:.1%} of import value: left out of the tonnes")
    if measure == "value":
        notes.append("import shares by value: the stage's products have no common content basis")
    frac, ir = t.get("import_fraction"), t.get("import_risk")
    derived = "baci"
    if production is not None:
        if production_note:
            notes.append(f"domestic production p: {production_note}")
    elif import_fraction is not None:
        frac = import_fraction
        ir = t["weighted_instability"] * import_fraction
        derived = "baci+usgs_salient"
        notes.append(f"F/(p+F) from {fraction_source or 'USGS salient statistics'}; import shares from BACI {block.year}")
    else:
        missing.append(f"domestic production of the {block.stage} stage in the unit of the imports ({production_note or 'unknown'})")
    value = None if hhi is None or ir is None else hhi * ir
    price = block.total_value / (block.gross_t.sum() * 1000.0) if block.gross_t.sum() > 0 else None
    wi = t.get("weighted_instability")
    shares = _top_partners(block, measure)
    terms = {
        "hhi": term(hhi), "weighted_instability": term(wi), "import_fraction": term(frac), "import_risk": term(ir),
        "imports": term(t["F"]), "production": term(production), "measure": measure, "basis": block.basis,
        "year": block.year, "codes": ", ".join(block.codes), "partners": shares,
        "import_price_usd_per_kg": None if price is None else round(price, 4),
        "midpoint_usd_per_kg": None if value is None or price is None else term(value * price),
        "derived_from": derived,
    }
    return finish(METHOD, VERSION_BILATERAL, cid, stage, value, terms, missing, list(sources), notes)


def _top_partners(block: TradeBlock, measure: str, n: int = 5) -> str:
    amt = block.value_usd.sum(axis=1) if measure == "value" else block.gross_t.sum(axis=1)
    tot = amt.sum()
    if tot <= 0:
        return ""
    order = np.argsort(-amt)[:n]
    return "; ".join(f"{block.labels[i]} {amt[i] / tot:.0%}" for i in order)

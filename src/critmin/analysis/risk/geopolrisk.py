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

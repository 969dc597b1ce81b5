"""USGS 2021-style supply risk: disruption potential x trade exposure x economic vulnerability.

Formula
-------
::

    SR = DP * TE * EV

* ``DP`` (disruption potential): the governance-weighted concentration of world production,
  ``DP = sum_c s_c**2 * g_c``, with ``s_c`` country *c*'s production share (fraction) and
  ``g_c`` the mean of its six WGI estimates rescaled to 0-1 (1 = worst,
  :func:`~critmin.analysis.risk.governance.unit_scaled`);
* ``TE`` (trade exposure): US net import reliance as a fraction, 0 when the US is a net
  exporter (published ``E``), bounded when published bounded (``>95`` is [0.95, 1]);
* ``EV`` (economic vulnerability): how hard a price shock would hit the US industries that
  use the mineral, 0-1. Nassar and Fortier derive it from the industries' expenditure on
  the mineral and their net profit margins, data critmin does not hold: callers supply
  ``EV``, else the result is ``insufficient_data`` with ``DP`` and ``TE`` in its breakdown
  (and their product ``dp_x_te``, an upper bound on SR since EV <= 1).

This reproduces the structure of the USGS method (three factors, each 0-1, multiplied); the
published USGS scores (2007-2018, recency weighted, with USGS's own normalisations and
company data) are not in critmin's data and are not reproduced.

References
----------
Nassar, N.T., and Fortier, S.M., 2021, Methodology and technical input for the 2021 review
and revision of the U.S. Critical Minerals List: U.S. Geological Survey Open-File Report
2021-1045, doi:10.3133/ofr20211045.
Nassar, N.T., et al., 2020, Evaluating the mineral commodity supply risk of the U.S.
manufacturing sector: Science Advances 6(8), eaay8647, doi:10.1126/sciadv.aay8647.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from critmin.analysis.interval import Interval
from critmin.analysis.risk.governance import lookup, scaled_interval
from critmin.analysis.risk.result import RiskResult, finish, term

METHOD = "usgs2021"
VERSION = "OFR-2021-1045-structure/1"


def disruption_potential(shares: Mapping[str, Interval], wgi: Mapping[str, float]) -> tuple[Interval, list[str]]:
    """``DP = sum_c s_c**2 * g_c`` with ``g_c`` in [0, 1]; unknown WGI spans [0, 1]."""
    total = Interval(0.0, 0.0)
    notes = []
    for c, s in shares.items():
        if s.high <= 0:
            continue
        score = lookup(wgi, c)
        if score is None:
            notes.append(f"no WGI for {c}: counted over the full 0-1 range")
        total = total + Interval(s.low ** 2, s.high ** 2) * scaled_interval(score, "unit")
    return total, notes


def supply_risk(
    production_shares: Mapping[str, Interval] | None,
    wgi: Mapping[str, float],
    trade_exposure: Interval | float | None,
    economic_vulnerability: Interval | float | None = None,
    *,
    commodity_id: str | None = None,
    stage: str | None = None,
    sources: Sequence[str] = (),
) -> RiskResult:
    """``SR = DP * TE * EV`` for one mineral and stage (formula in the module docstring).

    Parameters
    ----------
    production_shares
        ``{iso3: share of world production (fraction)}`` of the stage.
    wgi
        ``{iso3: mean of the six WGI estimates}``.
    trade_exposure
        US net import reliance as a fraction (see
        :func:`critmin.analysis.dependency.reliance_interval`).
    economic_vulnerability
        0-1, supplied by the caller.
    """
    missing = []
    notes: list[str] = []
    dp = None
    if not production_shares:
        missing.append("world production shares of the stage")
    else:
        dp, notes = disruption_potential(production_shares, wgi)
    te = None if trade_exposure is None else (trade_exposure if isinstance(trade_exposure, Interval) else Interval.exact(trade_exposure))
    ev = None if economic_vulnerability is None else (economic_vulnerability if isinstance(economic_vulnerability, Interval) else Interval.exact(economic_vulnerability))
    if te is None:
        missing.append("TE (US net import reliance)")
    if ev is None:
        missing.append("EV (economic vulnerability of US industries: expenditure and net profit margins)")
    dp_te = dp * te if dp is not None and te is not None else None
    value = dp_te * ev if dp_te is not None and ev is not None else None
    terms = {"disruption_potential": term(dp), "trade_exposure": term(te), "economic_vulnerability": term(ev),
             "dp_x_te": term(dp_te)}
    return finish(METHOD, VERSION, commodity_id, stage, value, terms, missing, sources, notes)

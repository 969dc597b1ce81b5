"""Governance scores the risk methods use, from the Worldwide Governance Indicators.

The WGI estimates lie on a standard-normal scale, in practice -2.5 (worst) to +2.5 (best).
Each method rescales them its own way; the rescalings live here so they are written once.

References
----------
Kaufmann, D., and Kraay, A., Worldwide Governance Indicators, World Bank,
www.govindicators.org (2023 update, 1996-2022).
European Commission, 2017, Methodology for establishing the EU list of critical raw
materials: Guidelines (Blengini, G.A., et al.), doi:10.2873/769526, section on the supply
risk: WGI scaled 0-10, higher is worse.
Santillán-Saldivar, J., et al., 2021, Design of an endpoint indicator for mineral resource
supply risks in life cycle sustainability assessment: the case of Europe, Journal of
Industrial Ecology 25(4), doi:10.1111/jiec.13094 (political-stability estimate rescaled 0-1).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from critmin.analysis.interval import Interval

WGI_MIN, WGI_MAX = -2.5, 2.5
SIX = ("VA", "PV", "GE", "RQ", "RL", "CC")


def eu_scaled(estimate: float) -> float:
    """EU CRM scaling: ``(2.5 - WGI) * 2``, clipped to [0, 10]; 10 is the worst governance.

    >>> eu_scaled(2.5), eu_scaled(0.0), eu_scaled(-2.5)
    (0.0, 5.0, 10.0)
    """
    return min(10.0, max(0.0, (WGI_MAX - float(estimate)) * 2.0))


def unit_scaled(estimate: float) -> float:
    """``(2.5 - WGI) / 5``, clipped to [0, 1]: 1 is the least stable or worst governed.

    >>> unit_scaled(-2.5), unit_scaled(2.5)
    (1.0, 0.0)
    """
    return min(1.0, max(0.0, (WGI_MAX - float(estimate)) / 5.0))


def scaled_interval(estimate: float | None, scale: str) -> Interval:
    """A rescaled score, or its full range when the estimate is unknown.

    An unknown governance score is not 0: it can be anything the scale allows, so the
    method's result becomes bounded rather than invented.
    """
    top = 10.0 if scale == "eu" else 1.0
    if estimate is None:
        return Interval(0.0, top)
    return Interval.exact(eu_scaled(estimate) if scale == "eu" else unit_scaled(estimate))


def pick_release(governance: pd.DataFrame) -> str:
    """The WGI release with the most indicators (the six-indicator workbook over the
    five-indicator DataBank extract)."""
    counts = governance.groupby("release")["indicator"].nunique()
    return str(counts.sort_values(ascending=False, kind="stable").index[0])


def estimates(governance: pd.DataFrame, indicators: tuple[str, ...] = SIX, year: int | None = None,
              release: str | None = None) -> tuple[dict[str, float], dict]:
    """Per-country mean of the chosen indicators' estimates in one year.

    Parameters
    ----------
    governance
        The ``governance`` table.
    indicators
        ``SIX`` for the EU CRM and USGS-style governance; ``("PV",)`` for GeoPolRisk.
    year
        Default: the latest year of the release.
    release
        Default: :func:`pick_release`.

    Returns
    -------
    (dict, dict)
        ``{iso3: mean estimate}`` over the indicators a country has that year (a country
        without any has no entry), and a description ``{release, year, indicators,
        source_id}`` for the result's sources.
    """
    if governance is None or governance.empty:
        return {}, {"release": None, "year": None, "indicators": indicators, "source_id": None}
    release = release or pick_release(governance)
    g = governance[(governance["release"] == release) & governance["indicator"].isin(indicators)]
    g = g[g["estimate"].notna()]
    if year is None:
        year = int(g["year"].max())
    g = g[g["year"] == year]
    means = g.groupby("iso3")["estimate"].mean()
    source = g["source_id"].iloc[0] if len(g) and "source_id" in g.columns else None
    return {k: float(v) for k, v in means.items()}, {
        "release": release, "year": year, "indicators": indicators, "source_id": source,
    }


def lookup(scores: Mapping[str, float], iso3: str) -> float | None:
    v = scores.get(iso3)
    return None if v is None or pd.isna(v) else float(v)

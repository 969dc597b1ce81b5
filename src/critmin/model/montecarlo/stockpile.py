r"""Stockpile sizing: the stock and release rule that covers a chosen probability of shortfall.

Release rule
    In every year in which the focus region's private consumption falls below the base,
    release the quantity :math:`R_{it}` that brings it back to the base. :math:`R_{it}` is
    found on the engine itself, by bisection on the stockpile instrument (a release lowers
    market purchases, so the consumer price index falls back to the base; see
    :meth:`~.evaluator.EngineEvaluator._required_release`). Under iso-elastic composite
    demand, consumption at the base means the price index at the base, so a covered year
    has no consumer-surplus loss: the avoided loss is that year's consumer loss.

Sizing
    ``horizon`` rule (default): the stock is bought once and not refilled within the run's
    horizon; draw ``i`` is covered when :math:`\sum_t R_{it} \le K`. ``annual`` rule: the
    stock is refilled every year; a year is covered when :math:`R_{it} \le K`. The stock
    that covers probability :math:`\alpha` is the :math:`\alpha` quantile of the
    requirement (paths or years); a draw whose solve failed in any year counts as not
    covered (the share is reported).

Cost
    Acquisition at the base consumer price of the focus region (the base CES price index,
    i.e. the quantity-weighted delivered price), a yearly holding cost ``holding_rate`` times
    the stock's value, discounted at ``discount_rate``. The default rate of 7% a year is the
    real discount rate of OMB Circular A-94 (1992, section 8.b), which the Circular says
    approximates the marginal pre-tax return on private investment -- the opportunity
    cost of the money tied up; physical storage and handling costs are not included
    (add them to ``holding_rate``).

References
----------
.. [1] Office of Management and Budget (1992). Circular A-94, Guidelines and Discount
   Rates for Benefit-Cost Analysis of Federal Programs, section 8.b (7% real); as applied
   e.g. in EPA OSWER Directive 9355.3-20 (1993).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .summary import solved

OMB_A94_RATE = 0.07
OMB_A94_SOURCE = ("OMB Circular A-94 (1992), section 8.b: 7% real discount rate, 'the marginal pretax rate of "
                  "return on an average investment in the private sector'; capital cost only, storage excluded")
COVERAGES = (0.5, 0.8, 0.9, 0.95, 0.99)


def requirements(outcomes: pd.DataFrame, rule: str = "horizon") -> pd.Series:
    """Per draw (``horizon``) or per scenario-year (``annual``) release requirement; inf where a solve failed."""
    if "required_release" not in outcomes.columns:
        raise ValueError("the run has no required_release output: run with extra=('required_release',)")
    ok = solved(outcomes).to_numpy()
    r = np.where(ok, outcomes["required_release"].to_numpy(dtype=float), np.inf)
    r = np.where(np.isnan(r), np.inf, r)
    if rule == "annual":
        return pd.Series(r, index=pd.MultiIndex.from_arrays([outcomes["draw"], outcomes["year"]]))
    if rule == "horizon":
        return pd.Series(r).groupby(outcomes["draw"].to_numpy()).sum()
    raise ValueError("rule must be 'horizon' or 'annual'")


def size_table(outcomes: pd.DataFrame, base_consumption: float, base_price: float, horizon: int, unit: str,
               price_unit: str, coverages=COVERAGES, rule: str = "horizon", holding_rate: float = OMB_A94_RATE,
               discount_rate: float = OMB_A94_RATE) -> pd.DataFrame:
    """Stock, coverage and cost for each target probability (see the module docstring).

    Parameters
    ----------
    outcomes : DataFrame
        A run's outcomes with ``required_release`` and ``consumer_loss``.
    base_consumption, base_price : float
        The focus region's base annual consumption (market unit) and base consumer price.
    horizon : int
        Years per draw.
    """
    need = requirements(outcomes, rule)
    finite = need[np.isfinite(need)]
    n_cases = len(need)
    ok = solved(outcomes).to_numpy()
    release = np.where(ok, outcomes["required_release"].to_numpy(dtype=float), 0.0)
    loss = np.where(ok, outcomes["consumer_loss"].to_numpy(dtype=float), 0.0)
    years = float(len(outcomes))
    annuity = sum((1.0 + discount_rate) ** -t for t in range(horizon))
    rows = []
    for a in coverages:
        # the empirical quantile that is a sample value (no interpolation towards an infinite, failed case)
        k = float(np.quantile(need.to_numpy(), a, method="inverted_cdf"))
        covered_cases = need.to_numpy() <= k
        if rule == "horizon":
            covered_draw = pd.Series(covered_cases, index=need.index)
            covered_year = covered_draw.reindex(outcomes["draw"].to_numpy()).to_numpy()
        else:
            covered_year = covered_cases
        value = k * base_price
        rows.append({
            "target_coverage": a,
            "rule": rule,
            "stock": k,
            "stock_months_of_consumption": 12.0 * k / base_consumption if base_consumption > 0 else np.nan,
            "coverage_achieved": float(covered_cases.mean()),
            "acquisition_cost": value,
            "annual_holding_cost": holding_rate * value,
            "holding_cost_pv_over_horizon": holding_rate * value * annuity,
            "expected_annual_release": float(np.sum(np.where(covered_year, release, 0.0)) / years),
            "expected_annual_release_value": float(np.sum(np.where(covered_year, release, 0.0)) / years * base_price),
            "expected_annual_consumer_loss_avoided": float(np.sum(np.where(covered_year, loss, 0.0)) / years),
            "cases": n_cases,
            "cases_failed": int(n_cases - len(finite)),
            "unit": unit,
            "price_unit": price_unit,
        })
    return pd.DataFrame(rows)

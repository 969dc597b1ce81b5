"""Stockpile sizing: coverage, cost arithmetic, and the release rule on the engine."""

import numpy as np
import pandas as pd
import pytest

from critmin.model.montecarlo import stockpile


def frame(releases, losses, horizon=2):
    n = len(releases)
    return pd.DataFrame({"draw": np.arange(n) // horizon, "year": np.arange(n) % horizon, "status": [0] * n,
                         "required_release": releases, "consumer_loss": losses})


def test_coverage_and_cost():
    rng = np.random.default_rng(0)
    rel = np.where(rng.uniform(size=2000) < 0.3, rng.uniform(10, 100, 2000), 0.0)
    o = frame(rel, rel * 7.0)
    t = stockpile.size_table(o, base_consumption=120.0, base_price=50.0, horizon=2, unit="t", price_unit="USD/t",
                             coverages=(0.5, 0.9, 0.95), holding_rate=0.1, discount_rate=0.0)
    assert (t["coverage_achieved"] >= t["target_coverage"]).all()
    assert t["stock"].is_monotonic_increasing
    assert np.allclose(t["acquisition_cost"], t["stock"] * 50.0)
    assert np.allclose(t["holding_cost_pv_over_horizon"], 2 * 0.1 * t["acquisition_cost"])
    assert np.allclose(t["stock_months_of_consumption"], 12 * t["stock"] / 120.0)
    annual = stockpile.size_table(o, 120.0, 50.0, 2, "t", "USD/t", coverages=(0.95,), rule="annual")
    assert annual["stock"].iloc[0] <= t["stock"].iloc[-1]  # a stock refilled every year can be smaller


def test_failed_cases_are_not_covered():
    o = frame([0.0, 5.0, 1.0, 2.0], [0.0, 1.0, 1.0, 1.0])
    o.loc[3, "status"] = 6
    need = stockpile.requirements(o)
    assert need.loc[1] == np.inf
    t = stockpile.size_table(o, 10.0, 1.0, 2, "t", "USD/t", coverages=(0.5,))
    assert t["cases_failed"].iloc[0] == 1


def test_needs_the_release_output():
    with pytest.raises(ValueError, match="required_release"):
        stockpile.requirements(pd.DataFrame({"draw": [0], "year": [0], "status": [0]}))

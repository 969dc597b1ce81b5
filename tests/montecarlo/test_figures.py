"""The numbers behind the risk-run figures: histograms, fans, tornado rows (pure functions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.model.montecarlo import figures


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e9, 1e9), st.just(float("nan"))), min_size=0, max_size=300))
def test_histogram_counts_every_finite_value_once(values):
    h = figures.histogram(values)
    finite = [v for v in values if np.isfinite(v)]
    assert h["n"] == len(finite) and h["excluded"] == len(values) - len(finite)
    assert sum(h["counts"]) == h["n"]
    if h["n"]:
        assert len(h["edges"]) == len(h["counts"]) + 1 and len(h["counts"]) <= 40
        assert h["edges"] == sorted(h["edges"])
        assert h["edges"][0] == min(finite) and h["edges"][-1] == pytest.approx(max(finite))
        assert sum(h["shares"]) == pytest.approx(1.0)
    else:
        assert h["edges"] == h["counts"] == []


def test_histogram_of_a_constant_is_one_bin_and_nan_is_never_zero():
    h = figures.histogram([3.0, 3.0, np.nan])
    assert h["edges"] == [3.0, 3.0] and h["counts"] == [2] and h["excluded"] == 1
    h = figures.histogram([0.0, 0.0, 1.0, np.nan, np.nan])
    assert h["n"] == 3 and h["excluded"] == 2 and h["counts"][0] == 2


def test_fan_quantiles_by_year_leave_out_failed_years():
    rng = np.random.default_rng(0)
    n = 400
    outcomes = pd.DataFrame({"draw": np.repeat(np.arange(n), 3), "year": np.tile(np.arange(3), n),
                             "status": 0, "x": rng.normal(size=3 * n) * np.tile([1.0, 2.0, 3.0], n)})
    outcomes.loc[outcomes.index[:30], "status"] = 2  # not solved (100 is the base point, which counts)
    rows = figures.fan(outcomes, "x")
    assert [r["year"] for r in rows] == [1, 2, 3]
    assert sum(r["draws"] for r in rows) == 3 * n - 30
    for r in rows:
        assert r["p5"] <= r["p25"] <= r["p50"] <= r["p75"] <= r["p95"]
    spread = [r["p95"] - r["p5"] for r in rows]
    assert spread == sorted(spread)  # the planted spread grows with the year


def test_tornado_finds_the_planted_driver():
    rng = np.random.default_rng(1)
    n = 2000
    inputs = pd.DataFrame({"draw": np.arange(n), "driver": rng.uniform(size=n), "noise": rng.uniform(size=n),
                           "constant": np.ones(n), "falls": rng.uniform(size=n)})
    y = 10 * inputs["driver"].to_numpy() - 2 * inputs["falls"].to_numpy() + rng.normal(scale=0.1, size=n)
    t = figures.tornado(inputs, y)
    assert list(t["input"])[:2] == ["driver", "falls"] and "constant" not in set(t["input"])
    d = t.iloc[0]
    assert d["mean_outcome_high_input"] - d["mean_outcome_low_input"] == pytest.approx(8, rel=0.05)
    assert t.iloc[1]["mean_outcome_high_input"] < t.iloc[1]["mean_outcome_low_input"]
    assert list(t["swing"]) == sorted(t["swing"], reverse=True)
    assert d["draws_low"] == pytest.approx(0.2 * n, rel=0.02)

"""Summaries and scenario discovery on synthetic runs with known answers."""

import numpy as np
import pandas as pd
import pytest

from critmin.model.montecarlo import discovery, summary
from critmin.model.montecarlo.evaluator import STATUS_BASE


def outcomes_frame():
    # 6 scenario-years: event 0 alone twice, event 1 alone once, both once, none once, one failure
    mask = [1, 1, 2, 3, 0, 1]
    loss = [10.0, 20.0, 5.0, 40.0, 0.0, np.nan]
    status = [0, 0, 0, 0, STATUS_BASE, 6]
    n = len(mask)
    data = {"draw": np.arange(n) // 2, "year": np.arange(n) % 2, "status": status, "active_mask": mask,
            "welfare_loss": loss, "consumer_loss": loss, "producer_loss": [0.0] * n, "fiscal_cost": [0.0] * n,
            "shortfall": [1.0, 2.0, 0.5, 4.0, 0.0, np.nan], "consumer_price_change_pct": [1.0] * n}
    return pd.DataFrame(data)


def test_loss_by_event_adds_up_to_the_expected_loss():
    o = outcomes_frame()
    by = summary.loss_by_event(o, ["A", "B"])
    assert by["contribution"].sum() == pytest.approx(np.nanmean(o["welfare_loss"][:5]))
    row = by.set_index("event")
    assert row.loc["A", "contribution"] == pytest.approx(30.0 / 5)
    assert row.loc["joint (several events in the year)", "contribution"] == pytest.approx(40.0 / 5)
    assert row.loc["A", "failed_years"] == 1
    h = summary.headline(o, ["A", "B"], "t", "USD/t")
    assert h["failed_years"] == 1 and h["expected_welfare_loss"] == pytest.approx(15.0)
    assert h["top_event"] == "A"


def test_distributions_skip_failures_and_count_them():
    d = summary.distributions(outcomes_frame(), ["welfare_loss"]).iloc[0]
    assert d["scenario_years"] == 5 and d["failed"] == 1 and d["mean"] == pytest.approx(15.0)


def test_path_totals_are_null_when_a_year_failed():
    t = summary.path_totals(outcomes_frame(), "welfare_loss")
    assert t.loc[0] == 30.0 and np.isnan(t.loc[2])


def test_discovery_finds_the_planted_driver():
    rng = np.random.default_rng(4)
    n = 4000
    inputs = pd.DataFrame({"draw": np.arange(n), "x1": rng.uniform(size=n), "x2": rng.uniform(size=n),
                           "x3": rng.uniform(size=n), "constant": np.ones(n)})
    y = np.where((inputs["x1"] > 0.8) & (inputs["x2"] < 0.5), 10.0, 0.0) + rng.normal(0, 0.1, n)
    d = discovery.discover(inputs, y)
    assert d["rank_correlations"]["input"].iloc[0] == "x1"
    assert "constant" not in set(d["rank_correlations"]["input"])
    box = d["prim_box"].set_index("input")
    assert "x1" in box.index and box.loc["x1", "low"] > 0.6
    assert box.attrs["density"] > 0.5 and box.attrs["coverage"] >= 0.5
    cq = d["conditional_quantiles"].set_index("input")
    assert cq.loc["x1", "median_worst"] > cq.loc["x1", "median_all"]

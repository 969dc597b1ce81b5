import numpy as np
import pandas as pd
import pytest

from critmin.model import MarketError, calibrate, calibrate_from_tables, proportional_sourcing


def test_proportional_sourcing_reproduces_totals():
    q = np.array([0.0, 80.0, 5.0, 15.0])
    c = np.array([10.0, 60.0, 20.0, 10.0])
    x = proportional_sourcing(q, c)
    np.testing.assert_allclose(x.sum(axis=1), q)
    np.testing.assert_allclose(x.sum(axis=0), c)
    # net exporters CHN (20) and ROW (5) split every importer's needs 80/20
    np.testing.assert_allclose(x[1, 0] / x[3, 0], 4.0)
    assert np.all(np.diag(x) == np.minimum(q, c))


def test_proportional_sourcing_needs_balance():
    with pytest.raises(MarketError, match="balance"):
        proportional_sourcing([1.0, 2.0], [1.0, 1.0])


def test_calibrate_states_the_sourcing_assumption(market4):
    assert any("proportional sourcing" in a for a in market4.assumptions)
    assert any("substitution" in a and "user" in a for a in market4.assumptions)


def test_calibrate_marks_default_elasticities_as_assumptions():
    m = calibrate(["A", "B"], production=[1, 1], consumption=[1, 1], price=1.0)
    text = " ".join(m.assumptions)
    for kind in ("substitution", "demand", "supply"):
        assert f"{kind} elasticity default" in text
    assert "assumption" in text


def test_calibrate_with_flow_matrix_uses_it():
    flows = np.array([[5.0, 1.0], [2.0, 3.0]])
    m = calibrate(["A", "B"], flows=flows, price=2.0)
    np.testing.assert_array_equal(m.flows, flows)
    assert "user-supplied matrix" in " ".join(m.assumptions)


def test_calibrate_rejects_inconsistent_totals():
    with pytest.raises(MarketError, match="row sums"):
        calibrate(["A", "B"], production=[1, 1], flows=np.ones((2, 2)), price=1.0)


def test_balance_rules():
    with pytest.raises(MarketError, match="balance"):
        calibrate(["A", "B"], production=[2, 1], consumption=[1, 1], price=1.0)
    m = calibrate(["A", "B"], production=[2, 1], consumption=[1, 1], price=1.0, balance="B")
    np.testing.assert_allclose(m.consumption, [1, 2])
    m = calibrate(["A", "B"], production=[2, 1], consumption=[1, 1], price=1.0, balance="scale_consumption")
    np.testing.assert_allclose(m.consumption, [1.5, 1.5])
    assert any("scaled" in a for a in m.assumptions)


def test_elasticity_overrides_per_region():
    m = calibrate(["A", "B"], production=[1, 1], consumption=[1, 1], price=1.0,
                  elasticities={"supply": {"default": 0.5, "B": float("inf")}})
    assert m.supply[0] == 0.5 and np.isinf(m.supply[1])
    with pytest.raises(MarketError, match="unknown region"):
        calibrate(["A", "B"], production=[1, 1], consumption=[1, 1], price=1.0, elasticities={"demand": {"C": 1}})
    with pytest.raises(MarketError, match="kind"):
        calibrate(["A", "B"], production=[1, 1], consumption=[1, 1], price=1.0, elasticities={"armington": 2})


def _tables():
    production = pd.DataFrame({"region": ["CHN", "JPN", "KOR", "USA", "DEU"], "value": [700.0, 30.0, 20.0, 10.0, 40.0]})
    shares = pd.DataFrame({"origin": ["CHN", "JPN", "DEU", "CAN"], "share": [50.0, 20.0, 20.0, 10.0]})
    return production, shares


def test_calibrate_from_tables_groups_and_splits_us_imports():
    production, shares = _tables()
    m = calibrate_from_tables(production, {"USA": 60.0}, shares, price=300.0,
                              regions=["USA", "CHN", ("EAST_ASIA_ALLIES", ["JPN", "KOR"]), "ROW"])
    assert m.regions == ("USA", "CHN", "EAST_ASIA_ALLIES", "ROW")
    np.testing.assert_allclose(m.production, [10, 700, 50, 40])
    us = m.index("USA")
    np.testing.assert_allclose(m.flows[:, us], [10.0, 25.0, 10.0, 15.0])  # 50 imports split 50/20/30
    np.testing.assert_allclose(m.flows.sum(), m.production.sum())
    text = " ".join(m.assumptions)
    assert "percentages" in text and "USA import shares" in text and "not in the data" in text


def test_calibrate_from_tables_errors_name_the_problem():
    production, shares = _tables()
    bad = production.copy()
    bad.loc[0, "value"] = np.nan
    with pytest.raises(MarketError, match="CHN"):
        calibrate_from_tables(bad, {"USA": 60.0}, shares, 300.0, ["USA", "CHN", "ROW"])
    with pytest.raises(MarketError, match="no model region"):
        calibrate_from_tables(production, {"USA": 60.0}, shares, 300.0, ["USA", "CHN"])
    with pytest.raises(MarketError, match="exceed its production"):
        calibrate_from_tables(production, {"USA": 2000.0}, shares, 300.0, ["USA", "CHN", "ROW"])
    with pytest.raises(MarketError, match="columns"):
        calibrate_from_tables(production.rename(columns={"value": "v"}), {"USA": 60.0}, shares, 300.0,
                              ["USA", "CHN", "ROW"])

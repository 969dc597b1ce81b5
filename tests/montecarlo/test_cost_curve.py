"""The lithium deposit cost curve and the marginal allied project."""

import pandas as pd
import pytest

from critmin.model.montecarlo import cost_curve as cc


@pytest.fixture(scope="module")
def curve():
    return cc.cost_curve()


def test_groups_and_sorting(curve):
    assert set(curve["group"]) <= set(cc.GROUPS)
    row = curve.set_index("deposit_name")
    assert row.loc["Thacker Pass", "group"] == "USA"
    assert row.loc["Greenbushes", "group"] == "allied"  # Australia: a US critical-minerals agreement partner
    assert (curve.set_index("country_iso3").loc["CHN", "group"] == "FEOC").all()
    assert curve["levelized_cost_usd_per_t_li"].dropna().is_monotonic_increasing


def test_levelized_cost_formula(curve):
    r = curve.set_index("deposit_name").loc["Thacker Pass"]
    expected = r["cost1_notax_usd_per_t_li"] + r["capex_usd"] * cc.crf(0.07, r["life_years"]) / r["capacity_t_li"]
    assert r["levelized_cost_usd_per_t_li"] == pytest.approx(expected)
    assert r["levelized_cost_usd_per_t_lce"] == pytest.approx(r["levelized_cost_usd_per_t_li"] / 5.3228, rel=1e-3)
    assert cc.crf(0.0, 10) == pytest.approx(0.1)


def test_marginal_project_on_a_small_curve():
    c = pd.DataFrame({"deposit_name": list("ABCD"), "country_iso3": ["USA", "CAN", "CHN", "AUS"],
                      "group": ["USA", "allied", "FEOC", "allied"], "status": ["Evaluation"] * 4,
                      "capacity_t_li": [100.0, 200.0, 1000.0, 300.0], "capacity_basis": ["x"] * 4,
                      "levelized_cost_usd_per_t_li": [10.0, 20.0, 5.0, 30.0],
                      "levelized_cost_usd_per_t_lce": [1.0, 2.0, 0.5, 3.0], "all_resource_kt_li": [1.0] * 4})
    c = c.sort_values("levelized_cost_usd_per_t_li").reset_index(drop=True)
    m = cc.marginal_project(c, 250.0)
    assert m["deposit"] == "B" and m["projects_needed"] == 2  # C is FEOC: never counted as allied supply
    assert cc.marginal_project(c, 600.0)["deposit"] == "D"
    with pytest.raises(cc.ProjectError, match="less than"):
        cc.marginal_project(c, 700.0)


def test_marginal_allied_project_for_us_net_imports(curve):
    m = cc.marginal_project(curve, 1800.0)
    assert m["group"] in ("USA", "allied") and m["levelized_cost_usd_per_t_li"] > 0

"""Floors and projects: closed forms, monotonicity, the break-even floor, deposit defaults."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.model.montecarlo import floors, projects


def test_floor_payments_and_upside_sharing():
    prices = np.array([[80.0, 120.0, 100.0]])
    vol = np.array([10.0, 10.0, 10.0])
    pay = floors.payments(prices, vol, 100.0, upside_share=0.3)
    assert pay.tolist() == [[200.0, -60.0, 0.0]]
    assert floors.effective_price(prices, 100.0, 0.3).tolist() == [[100.0, 114.0, 100.0]]
    per = floors.fiscal_cost(prices, vol, 100.0, 0.3, discount_rate=0.0)
    assert per["net_cost_pv"].iloc[0] == pytest.approx(140.0) and per["years_binding"].iloc[0] == 1
    with pytest.raises(ValueError):
        floors.payments(prices, vol, 100.0, upside_share=1.5)


@settings(max_examples=50, deadline=None)
@given(p=st.floats(1, 1000), f1=st.floats(0, 1000), f2=st.floats(0, 1000), s=st.floats(0, 1))
def test_a_higher_floor_never_lowers_what_producers_receive(p, f1, f2, s):
    lo, hi = sorted((f1, f2))
    assert floors.effective_price(np.array(p), hi, s) >= floors.effective_price(np.array(p), lo, s) - 1e-9


def test_npv_closed_form_at_a_constant_price():
    pr = projects.Project("x", capacity=100.0, capex=1000.0, opex=2.0, construction_years=1, ramp_years=1,
                          life_years=10, tax_rate=0.0, discount_rate=0.1)
    prices = np.full((1, pr.years), 5.0)
    annuity = sum(1.1 ** -t for t in range(1, 11))
    assert pr.npv(prices)[0] == pytest.approx(-1000.0 + 300.0 * annuity)
    r = projects.irr(pr.cash_flows(prices))[0]
    assert sum(300.0 * (1 + r) ** -t for t in range(1, 11)) == pytest.approx(1000.0, rel=1e-8)


def test_tax_uses_straight_line_depreciation():
    pr = projects.Project("x", capacity=10.0, capex=100.0, opex=0.0, construction_years=1, ramp_years=1,
                          life_years=4, tax_rate=0.5, discount_rate=0.0)
    cf = pr.cash_flows(np.full((1, pr.years), 5.0))[0]
    # revenue 50, depreciation 25, tax 0.5 * 25
    assert cf.tolist() == [-100.0, 37.5, 37.5, 37.5, 37.5]


def test_break_even_floor_meets_the_confidence():
    rng = np.random.default_rng(0)
    pr = projects.Project("x", capacity=100.0, capex=5000.0, opex=20.0, construction_years=2, life_years=15,
                          discount_rate=0.07)
    prices = np.exp(np.log(25.0) + 0.4 * rng.normal(size=(800, pr.years)))
    f = projects.break_even_floor(pr, prices, confidence=0.9)
    share = np.mean(pr.npv(prices, f) >= 0)
    assert share >= 0.9
    assert np.mean(pr.npv(prices, f * 0.98) >= 0) < 0.9
    # a floor for the first 5 operating years only must be higher
    assert projects.break_even_floor(pr, prices, 0.9, term=5) > f


def test_project_checks():
    with pytest.raises(projects.ProjectError, match="capacity"):
        projects.Project("x", capacity=0.0, capex=1.0, opex=1.0)


def test_lithium_deposit_defaults():
    p = projects.from_deposit("Thacker Pass")
    assert p.unit == "t Li" and p.capacity == pytest.approx(14_277.66, rel=1e-4)
    assert p.capex > 2.5e8 and p.opex > 0 and 1 <= p.life_years <= projects.MAX_LIFE_YEARS
    assert "Deposit.csv row" in p.sources["deposit"] and "OMB" in p.sources["discount_rate"]
    with pytest.raises(projects.ProjectError, match="capacity"):
        projects.from_deposit("Rhyolite Ridge")  # evaluation stage: no production rate in the table
    assert projects.from_deposit("Rhyolite Ridge", capacity=5000.0).capacity == 5000.0
    with pytest.raises(projects.ProjectError, match="matches"):
        projects.from_deposit("Atlantis")

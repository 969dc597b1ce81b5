"""Invariants over random markets and random policy mixes (hypothesis)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.model import Instruments, calibrate, simulate_batch

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def markets(draw):
    r = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    flows = rng.uniform(0.1, 10.0, (r, r)) * (rng.uniform(size=(r, r)) < 0.8)
    np.fill_diagonal(flows, rng.uniform(1.0, 20.0, r))
    sigma = rng.uniform(1.2, 8.0, r)
    eps = rng.uniform(0.0, 2.0, r)
    eta = rng.uniform(0.0, 3.0, r)
    market = calibrate([f"R{i}" for i in range(r)], flows=flows, price=rng.uniform(1, 100, r),
                       elasticities={"substitution": dict(zip([f"R{i}" for i in range(r)], sigma)),
                                     "demand": dict(zip([f"R{i}" for i in range(r)], eps)),
                                     "supply": dict(zip([f"R{i}" for i in range(r)], eta))})
    return market, rng


def _random_policy(market, rng, n=4):
    r = market.n_regions
    inst = Instruments.baseline(market, n).with_quota_slots(1)
    p = market.prices
    for i in range(n):
        if rng.uniform() < 0.6:
            inst.tariff[i] += rng.uniform(0, 1.0, (r, r)) * (rng.uniform(size=(r, r)) < 0.4)
        if rng.uniform() < 0.4:
            d = rng.integers(r)
            inst.mip[i, :, d] = rng.uniform(0.5, 2.0) * p.mean()
            inst.mip[i, d, d] = 0.0  # a minimum *import* price: domestic sales are exempt
        if rng.uniform() < 0.4:
            o = rng.integers(r)
            inst.cfd_floor[i, o] = rng.uniform(0.5, 2.0) * p[o]
            inst.cfd_eligible[i, o] = rng.uniform(0.2, 1.0)
            inst.cfd_share[i, o] = rng.uniform(0, 0.5)
        if rng.uniform() < 0.3:
            o = rng.integers(r)
            inst.blr_floor[i, o] = rng.uniform(0.5, 1.5) * p[o]
        if rng.uniform() < 0.4:
            o = rng.integers(r)
            dests = rng.uniform(size=r) < 0.6
            dests[o] = False
            if dests.any() and market.flows[o, dests].sum() > 0:
                inst.quota_origin[i, 0] = o
                inst.quota_dest[i, 0] = dests
                inst.quota_cap[i, 0] = rng.uniform(0.2, 1.5) * market.flows[o, dests].sum()
        if rng.uniform() < 0.3:
            o, d = rng.integers(r), rng.integers(r)
            if o != d:
                inst.allowed[i, o, d] = False
        if rng.uniform() < 0.3:
            inst.export_tax[i, rng.integers(r)] += rng.uniform(0, 0.5)
        inst.capacity[i] *= rng.uniform(0.7, 1.5, r) ** (rng.uniform(size=r) < 0.3)
        inst.demand_shift[i] *= rng.uniform(0.7, 1.5, r) ** (rng.uniform(size=r) < 0.3)
    return inst


@SETTINGS
@given(markets())
def test_a_policy_that_changes_nothing_returns_the_baseline_exactly(case):
    market, rng = case
    inst = Instruments.baseline(market, 3).with_quota_slots(1)
    inst.tariff[1] += 0.0
    inst.mip[1] = 0.0
    inst.quota_cap[2] = np.inf
    inst.cfd_floor[2], inst.cfd_eligible[2] = 0.0, 0.0
    inst.stock[2] = 0.0
    res = simulate_batch(market, inst, focus=None)
    assert res.status == ["converged"] * 3
    for i in range(3):
        np.testing.assert_array_equal(res.solution.state.X[i], market.flows)
        np.testing.assert_array_equal(res.solution.state.p[i], market.prices)
        np.testing.assert_array_equal(res.welfare["total"][i], 0.0)


@SETTINGS
@given(markets())
def test_every_market_clears_or_the_member_says_why(case):
    market, rng = case
    inst = _random_policy(market, rng)
    res = simulate_batch(market, inst, focus=None)
    st = res.solution.state
    for i, status in enumerate(res.status):
        if status != "converged":
            assert res.solution.messages[i]
            assert np.isnan(st.X[i]).all()
            continue
        assert res.solution.clearing_residual[i] < 1e-9
        sales = st.X[i].sum(axis=1)
        bought = res.fiscal["blr_purchases"][i]
        scale = np.maximum(st.S[i], 1e-300)
        assert np.all(np.abs(st.S[i] - sales - bought) <= 1e-9 * scale)
        assert np.all(st.X[i] >= 0)
        assert np.all(st.X[i][~inst.allowed[i]] == 0.0)  # a binding ban gives zero flow
        assert np.all(st.q[i] >= inst.mip[i] * (1 - 1e-14))


@SETTINGS
@given(markets(), st.floats(0.0, 2.0), st.floats(0.01, 1.0))
def test_a_higher_tariff_never_raises_imports_from_that_origin(case, t, dt):
    market, rng = case
    r = market.n_regions
    o, d = rng.integers(r), rng.integers(r)
    if o == d:
        d = (d + 1) % r
    inst = _random_policy(market, rng, n=1).repeat(2)
    inst.tariff[0, o, d] += t
    inst.tariff[1, o, d] += t + dt
    res = simulate_batch(market, inst, focus=None)
    if res.status != ["converged", "converged"]:
        return
    x = res.solution.state.X[:, o, d]
    assert x[1] <= x[0] * (1 + 1e-9) + 1e-12


@SETTINGS
@given(markets())
def test_a_non_binding_floor_costs_nothing(case):
    market, rng = case
    r = market.n_regions
    o = rng.integers(r)
    inst = Instruments.baseline(market, 2)
    inst.cfd_floor[0, o] = 0.5 * market.prices[o]
    inst.cfd_eligible[0, o] = 1.0
    inst.blr_floor[1, o] = 0.5 * market.prices[o]
    res = simulate_batch(market, inst, focus=None)
    assert res.status == ["converged", "converged"]
    assert res.fiscal["cfd_payments"][0, o] == 0.0
    assert res.welfare["cfd_net_cost"][0, o] == 0.0
    assert res.welfare["blr_purchase_cost"][1, o] == 0.0
    np.testing.assert_array_equal(res.solution.state.X[1], market.flows)

"""Each instrument against what it must do, alone and combined."""

import numpy as np
import pytest

from critmin.model import Instruments, simulate_batch
from critmin.model.kernel import evaluate, jacobian, prepare


def _solve(market, edit, focus="USA"):
    inst = Instruments.baseline(market, 1)
    edit(inst)
    res = simulate_batch(market, inst, focus=focus)
    assert res.status == ["converged"], res.solution.messages
    return res


def test_analytic_jacobian_matches_finite_differences(market_dense):
    """Every instrument active at once (quota, MIP, CfD, BLR, stockpile, export tax, sigma = 1, eta = 0)."""
    m = market_dense
    inst = Instruments.baseline(m, 1).with_quota_slots(2)
    inst.tariff[0, 1, 0] = 0.3
    inst.mip[0, :, 2] = 10.5
    inst.cfd_floor[0, 0], inst.cfd_eligible[0, 0], inst.cfd_share[0, 0] = 10.8, 0.7, 0.3
    inst.blr_floor[0, 3] = 11.9
    inst.quota_origin[0, 0] = 1
    inst.quota_dest[0, 0, [0, 2]] = True
    inst.quota_cap[0, 0] = 3.0
    inst.stock[0, 4] = 1.0
    inst.export_tax[0, 2, :] = 0.1
    prep = prepare(m, inst)
    rng = np.random.default_rng(1)
    z, mu = rng.normal(0, 0.1, (1, 5)), np.array([[0.05, 0.0]])
    J = jacobian(prep, evaluate(prep, z, mu), mu)
    y = np.concatenate([z, mu], axis=1)
    h = 1e-7
    for j in range(y.shape[1]):
        up, dn = y.copy(), y.copy()
        up[0, j] += h
        dn[0, j] -= h
        fd = (evaluate(prep, up[:, :5], up[:, 5:]).F - evaluate(prep, dn[:, :5], dn[:, 5:]).F) / (2 * h)
        np.testing.assert_allclose(J[0, :, j], fd[0], atol=1e-7)


def test_minimum_import_price_levy_lifts_landed_price_to_the_minimum(market4):
    def edit(inst):
        inst.mip[0, :, 0] = 130.0
        inst.mip[0, 0, 0] = 0.0
        inst.mip[0, 2, 0] = 0.0  # JPN exempt
    res = _solve(market4, edit)
    r = res[0]
    flows = r.flows().set_index(["origin", "destination"])
    chn = flows.loc[("CHN", "USA")]
    assert chn.delivered_price == pytest.approx(130.0, rel=1e-14)
    assert chn.levy_per_unit > 0
    binding = r.binding()
    assert binding.query("instrument == 'minimum_import_price'").binds.all()
    levy = res.welfare["levy_revenue"][0, 0]
    assert levy == pytest.approx((flows.levy_per_unit * flows.quantity).loc[(slice(None), "USA"),].sum())


def test_non_binding_minimum_import_price_changes_nothing(market4):
    def edit(inst):
        inst.mip[0, 1, 0] = 50.0
    res = _solve(market4, edit)
    np.testing.assert_array_equal(res.solution.state.X, res.base_state.X)
    assert not res[0].binding().binds.any()


def test_contract_for_difference_pays_floor_minus_price(market4):
    def edit(inst):
        inst.cfd_floor[0, 0] = 150.0
        inst.cfd_eligible[0, 0] = 1.0
    res = _solve(market4, edit)
    st, fiscal = res.solution.state, res.fiscal
    p = st.p[0, 0]
    assert p < 150.0
    # eligible output responds to the floor: S = Q0 (150/100)^eta
    assert st.S[0, 0] == pytest.approx(2.0 * 1.5**1.0, rel=1e-12)
    assert fiscal["cfd_payments"][0, 0] == pytest.approx(st.S[0, 0] * (150.0 - p), rel=1e-12)
    assert res.welfare["cfd_net_cost"][0, 0] > 0
    assert res[0].binding().binds.all()


def test_contract_for_difference_upside_sharing_above_the_floor(market4):
    def edit(inst):
        inst.cfd_floor[0, 0] = 60.0
        inst.cfd_eligible[0, 0] = 1.0
        inst.cfd_share[0, 0] = 0.3
    res = _solve(market4, edit)
    st, fiscal = res.solution.state, res.fiscal
    p = st.p[0, 0]
    assert fiscal["cfd_payments"][0, 0] == 0.0
    assert fiscal["cfd_upside_receipts"][0, 0] == pytest.approx(st.S[0, 0] * 0.3 * (p - 60.0), rel=1e-12)
    assert res.welfare["cfd_net_cost"][0, 0] < 0  # the government earns


def test_buyer_of_last_resort_holds_price_at_floor_and_buys_the_excess(market4):
    def edit(inst):
        inst.blr_floor[0, 1] = 100.0
        inst.allowed[0, 1, 0] = False  # China loses the US market
    res = _solve(market4, edit)
    st = res.solution.state
    assert st.p[0, 1] == pytest.approx(100.0, rel=1e-12)
    bought = res.fiscal["blr_purchases"][0, 1]
    assert bought > 0
    assert st.S[0, 1] - st.X[0, 1].sum() == pytest.approx(bought, rel=1e-9)
    assert res.welfare["blr_purchase_cost"][0, 1] == pytest.approx(100.0 * bought)
    binding = res[0].binding().set_index("instrument")
    assert bool(binding.loc["buyer_of_last_resort", "binds"])


def test_non_binding_buyer_of_last_resort_buys_nothing(market4):
    def edit(inst):
        inst.blr_floor[0, 1] = 50.0
    res = _solve(market4, edit)
    assert res.fiscal["blr_purchases"][0, 1] == 0.0
    np.testing.assert_array_equal(res.solution.state.p, res.base_state.p)


def test_export_quota_binds_exactly_and_earns_a_rent(market4):
    base_exports = market4.flows[1, [0, 2, 3]].sum()

    def edit(inst):
        inst.quota_origin = np.array([[1]])
        inst.quota_dest = np.zeros((1, 1, 4), bool)
        inst.quota_dest[0, 0, [0, 2, 3]] = True
        inst.quota_cap = np.array([[0.5 * base_exports]])
    res = _solve(market4, edit)
    st = res.solution.state
    assert st.X[0, 1, [0, 2, 3]].sum() == pytest.approx(0.5 * base_exports, rel=1e-10)
    rent = st.lam[0, 1, 0]
    assert rent > 0
    assert res.welfare["quota_rent"][0, 1] == pytest.approx(rent * 0.5 * base_exports, rel=1e-10)
    b = res[0].binding()
    assert b.query("instrument == 'export_quota'").binds.all()


def test_slack_export_quota_has_no_rent(market4):
    def edit(inst):
        inst.quota_origin = np.array([[1]])
        inst.quota_dest = np.ones((1, 1, 4), bool)
        inst.quota_cap = np.array([[1e6]])
    res = _solve(market4, edit)
    assert res.solution.mu[0, 0] == 0.0
    np.testing.assert_allclose(res.solution.state.X, res.base_state.X, rtol=1e-13)


def test_export_tax_revenue_goes_to_the_exporter(market4):
    def edit(inst):
        inst.export_tax[0, 1, [0, 2, 3]] = 0.2
    res = _solve(market4, edit)
    st = res.solution.state
    expected = 0.2 * st.p[0, 1] * st.X[0, 1, [0, 2, 3]].sum()
    assert res.welfare["export_tax_revenue"][0, 1] == pytest.approx(expected, rel=1e-12)


def test_export_ban_gives_zero_flow_and_higher_us_price(market4):
    def edit(inst):
        inst.allowed[0, 1, 0] = False
    res = _solve(market4, edit)
    assert res.solution.state.X[0, 1, 0] == 0.0
    assert res.solution.state.log_pi[0, 0] > 0


def test_stockpile_release_lowers_price_and_counts_receipts(market4):
    def edit(inst):
        inst.stock[0, 0] = -2.0
    res = _solve(market4, edit)
    assert res.solution.state.log_pi[0, 0] < 0
    assert res.welfare["stockpile_cost"][0, 0] < 0
    assert res.solution.state.H[0, 0] == pytest.approx(res.solution.state.D[0, 0] - 2.0)


def test_new_capacity_raises_supply_and_lowers_its_price(market4):
    def edit(inst):
        inst.capacity[0, 0] = 2.0
    res = _solve(market4, edit)
    st = res.solution.state
    assert st.S[0, 0] > 2.0 and st.p[0, 0] < 100.0


def test_demand_shock_raises_prices(market4):
    def edit(inst):
        inst.demand_shift[0, :] = 1.2
    res = _solve(market4, edit)
    assert np.all(res.solution.state.p[0, [0, 1, 3]] > 100.0)


def test_infeasible_members_are_reported_not_solved(market4):
    inst = Instruments.baseline(market4, 4)
    inst.allowed[0, :, 2] = False  # JPN loses every supplier, including itself
    inst.allowed[1, 3, :] = False  # ROW may sell nowhere
    inst.capacity[2, 0] = 1.1  # fine
    inst.substitution[3, 0] = 0.8
    inst.allowed[3, 1, 0] = False  # ban with sigma < 1: CHN is essential for USA
    res = simulate_batch(market4, inst)
    assert res.status == ["infeasible", "infeasible", "converged", "infeasible"]
    assert "JPN has no permitted supplier" in res.solution.messages[0]
    assert "ROW has no permitted outlet" in res.solution.messages[1]
    assert "essential" in res.solution.messages[3]


def test_zero_production_region_cannot_grow_capacity():
    from critmin.model import calibrate

    m = calibrate(["USA", "CHN"], production=[0.0, 10.0], consumption=[3.0, 7.0], price=1.0)
    inst = Instruments.baseline(m, 1)
    inst.capacity[0, 0] = 2.0
    res = simulate_batch(m, inst)
    assert res.status == ["infeasible"]
    assert "zero base production" in res.solution.messages[0]


def test_batch_members_solve_independently(market4):
    """A batch gives the same answer as solving members one by one."""
    inst = Instruments.baseline(market4, 3)
    inst.tariff[0, 1, 0] = 0.25
    inst.mip[1, :, 0] = 140.0
    inst.allowed[2, 1, 0] = False
    together = simulate_batch(market4, inst).solution.state.X
    for i in range(3):
        alone = simulate_batch(market4, inst.member(i)).solution.state.X[0]
        np.testing.assert_allclose(together[i], alone, rtol=1e-12, atol=1e-14)


def test_failed_members_carry_no_numbers(market4):
    inst = Instruments.baseline(market4, 2)
    inst.allowed[0, :, 2] = False
    res = simulate_batch(market4, inst)
    assert np.isnan(res.solution.state.X[0]).all() and np.isnan(res.welfare["total"][0]).all()
    assert np.isfinite(res.solution.state.X[1]).all()
    assert res[0].status == "infeasible" and not res[0].converged

"""The chain kernel: base point, analytic Jacobian, closed forms, law of one price, status contract."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from critmin.model.chain import ChainInstruments, ChainMarket, Stage
from critmin.model.kernel import linalg
from critmin.model.kernel.chain import ChainBase, evaluate, jacobian
from critmin.model.kernel.horizon import initial_lags, prepare_year, solve_horizon
from critmin.model.kernel.status import STATUS_CONVERGED

from chain_factories import EVERY_INSTRUMENT, TRADE_AND_SHIFTS, generated_market, random_batch

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("kinds", [EVERY_INSTRUMENT, TRADE_AND_SHIFTS + ("floor", "blr")], ids=["general", "plain"])
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_analytic_jacobian_matches_finite_differences_with_every_instrument(kinds, seed):
    """Both assemblies: the general one (quotas, projects, offtakes) and the stage-block one."""
    rng = np.random.default_rng(seed)
    market = generated_market(rng)
    base = ChainBase.from_market(market)
    inst = random_batch(market, rng, 8, kinds=kinds)
    y, reasons = prepare_year(base, inst, 0, initial_lags(base, inst))
    ok = np.array([not r for r in reasons])
    y = y.take(np.nonzero(ok)[0])
    n, m = int(ok.sum()), y.n_unknowns
    u = rng.normal(0, 0.05, (n, m))
    u[:, base.n_stages * base.n_regions:] = rng.uniform(0.05, 0.5, (n, y.n_quotas))
    stt = evaluate(y, u)
    J = jacobian(y, stt)
    h = 1e-7
    fd = np.zeros_like(J)
    for k in range(m):
        up, dn = u.copy(), u.copy()
        up[:, k] += h
        dn[:, k] -= h
        fd[:, :, k] = (evaluate(y, up).F - evaluate(y, dn).F) / (2 * h)
    good = stt.valid & np.all(np.isfinite(fd), axis=(1, 2))
    scale = np.maximum(np.abs(J[good]).max(axis=(1, 2), keepdims=True), 1.0)
    # kinks (min/max) sit at measure-zero points; a random point is away from them
    assert np.max(np.abs(J[good] - fd[good]) / scale) < 1e-5


def two_region(sigma: float, *, tariff: float = 0.0, trade_cost: float = 0.0) -> ChainMarket:
    """Two regions, one stage: A exports to B; B also produces."""
    flows = np.array([[6.0, 4.0], [0.0, 5.0]])
    return ChainMarket("x", ["A", "B"], [Stage("metal", "metal", flows, 100.0, substitution=sigma,
                                               demand_short=0.5, demand_long=0.5, supply_short=1.0,
                                               supply_long=1.0, trade_cost=np.array([[0, trade_cost], [0, 0]]))],
                       base_year=2025)


def spatial_equilibrium(t: float) -> tuple[float, float]:
    r"""Exact spatial price equilibrium of :func:`two_region` after a duty t on A -> B (sigma = infinity).

    A's price p_A, B's price p_B = p_A (1 + t) while A exports; iso-elastic curves through the base point.
    """
    def excess(pa: float) -> float:
        pb = pa * (1 + t)
        supply_a = 10 * (pa / 100)
        demand_a = 6 * (pa / 100) ** -0.5
        supply_b = 5 * (pb / 100)
        demand_b = 9 * (pb / 100) ** -0.5
        return supply_a + supply_b - demand_a - demand_b
    pa = brentq(excess, 1, 1000)
    return pa, pa * (1 + t)


@pytest.mark.parametrize("t", [0.05, 0.2])
def test_high_substitution_tends_to_the_spatial_price_equilibrium(t):
    """Samuelson (1952) / Takayama-Judge: one price up to the duty; the gap closes as sigma grows."""
    pa_exact, pb_exact = spatial_equilibrium(t)
    gaps = []
    for sigma in (20.0, 200.0, 2000.0):
        market = two_region(sigma)
        inst = ChainInstruments.baseline(market, [2026])
        inst.tariff[0, 0, 0, 0, 1] = t
        sol = solve_horizon(ChainBase.from_market(market), inst)
        assert sol.status[0] == STATUS_CONVERGED
        pa = sol.p[0, 0, 0, 0]
        pb = 100 * np.exp(sol.lP[0, 0, 0, 1])  # B's use price (base delivered cost 100)
        gaps.append(abs(np.log(pa / pa_exact)) + abs(np.log(pb / pb_exact)))
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 2e-3


def test_base_year_is_reproduced_exactly_and_is_a_steady_state():
    rng = np.random.default_rng(3)
    market = generated_market(rng, regions=5, stages=3)
    market = ChainMarket(market.mineral, market.regions,
                         [s.__class__(**{**s.__dict__, "growth": 0.0}) for s in market.stages], market.base_year)
    inst = ChainInstruments.baseline(market, range(2026, 2031))
    sol = solve_horizon(ChainBase.from_market(market), inst)
    assert sol.status[0] == STATUS_CONVERGED
    for s, stage in enumerate(market.stages):
        # flows to rounding (shares times use), output and prices bit for bit
        np.testing.assert_allclose(sol.X[0, :, s], np.broadcast_to(stage.flows, sol.X[0, :, s].shape),
                                   rtol=1e-13, atol=1e-13 * stage.flows.max())
        np.testing.assert_array_equal(sol.S[0, :, s], np.broadcast_to(stage.production, (5, 5)))
        np.testing.assert_array_equal(sol.u[0], 0.0)
    assert np.all(sol.iterations == 0)


def test_law_of_one_price_identity_on_active_routes():
    """ln(c/c0) - ln(P/P0) = -ln(pi/s0)/sigma on every route with tonnes: the formulation's stated tolerance."""
    rng = np.random.default_rng(11)
    market = generated_market(rng, regions=5, stages=2, sigma=20.0)
    base = ChainBase.from_market(market)
    inst = random_batch(market, rng, 40)
    sol = solve_horizon(base, inst)
    ok = sol.status == STATUS_CONVERGED
    assert ok.mean() > 0.8
    ell = np.log(sol.c[ok, 0]) - base.log_c0
    lP = sol.lP[ok, 0][:, :, None, :]
    U_share = sol.Rs[ok, 0][:, :, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        pi = sol.X[ok, 0] / U_share
        active = (sol.X[ok, 0] > 1e-9 * U_share) & (base.s0 > 0)
        sigma = np.broadcast_to(inst.substitution[ok][:, :, None, :], ell.shape)
        predicted = -np.log(pi / base.s0) / sigma
    # routes whose delivered cost is lifted by a binding MIP sit above the price by the levy; exclude them
    mip = np.broadcast_to(inst.mip[ok, 0], ell.shape)
    clean = active & ~(mip > 0)
    assert np.max(np.abs((ell - lP) - predicted)[clean]) < 1e-8
    # near one price: a route whose share of the destination moved by less than a factor 2
    with np.errstate(divide="ignore", invalid="ignore"):
        moderate = clean & (np.abs(np.log(pi / base.s0)) < np.log(2))
    assert np.all(np.abs(ell - lP)[moderate] <= np.log(2) / sigma[moderate] + 1e-9)


def test_failed_members_are_all_nan_with_a_reason_naming_the_year():
    market = two_region(20.0)
    inst = ChainInstruments.baseline(market, [2026, 2027], 2).materialise(2)
    inst.expand_years("allowed")[1, 1, 0, :, 1] = False  # B can buy from nobody in 2027 ... but produces itself
    inst.allowed[1, 1, 0, 1, 1] = False
    sol = solve_horizon(ChainBase.from_market(market), inst)
    assert sol.status[0] == STATUS_CONVERGED
    assert sol.status[1] != STATUS_CONVERGED
    assert sol.messages[1].startswith("2027: ") and "B has no permitted supplier" in sol.messages[1]
    assert np.isnan(sol.p[1]).all() and np.isnan(sol.X[1]).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compiled_newton_agrees_with_the_numpy_reference(seed, monkeypatch):
    """The compiled common-case Newton (large batches) and the numpy reference: same statuses, same prices."""
    pytest.importorskip("numba")
    from critmin.model.kernel import newton as newton_module

    rng = np.random.default_rng(seed)
    market = generated_market(rng, regions=int(rng.integers(3, 8)), stages=int(rng.integers(1, 4)))
    inst = random_batch(market, rng, 300, years=3, kinds=TRADE_AND_SHIFTS + ("floor", "blr"))
    base = ChainBase.from_market(market)
    monkeypatch.setattr(newton_module, "COMPILED_MIN_MEMBERS", 1)
    fast = solve_horizon(base, inst, keep_flows=False, workers=1)
    # forced: once the compiled kernel is loaded in the process, the size rule would pick it for every size
    with linalg.forced_backend("numpy"):
        ref = solve_horizon(base, inst, keep_flows=False, workers=1)
    np.testing.assert_array_equal(fast.status, ref.status)
    ok = ref.status == STATUS_CONVERGED
    assert ok.mean() > 0.8
    np.testing.assert_allclose(fast.u[ok], ref.u[ok], rtol=0, atol=1e-9)
    np.testing.assert_allclose(fast.S[ok], ref.S[ok], rtol=1e-9)

"""The evaluator of the current engine: shocks in, the engine's own answers out."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.model import Instruments, simulate_batch
from critmin.model.montecarlo.evaluator import STATUS_BASE, Channel, EngineEvaluator, Shocks


def shocks(n, h=1, **kw):
    return Shocks(draws=np.arange(n), horizon=h, **kw)


def test_years_without_shock_are_the_base_point_unsolved(evaluator, small_market):
    out = evaluator.evaluate(shocks(3, 2))
    assert (out["status"] == STATUS_BASE).all()
    for k in ("consumer_loss", "welfare_loss", "shortfall", "consumer_price_change_pct", "fiscal_cost"):
        assert (out[k] == 0).all()
    assert np.allclose(out["imports"], small_market.flows[1:, 0].sum())


def test_solving_a_quiet_year_gives_the_same_base_exactly(small_market):
    """What justifies skipping quiet years: the engine returns the base exactly for a no-op."""
    r = simulate_batch(small_market, Instruments.baseline(small_market, 2))
    assert np.array_equal(r.welfare["total"], np.zeros_like(r.welfare["total"]))


def test_a_ban_matches_the_engine(evaluator, small_market):
    a = np.array([[0.0], [1.0]])
    out = evaluator.evaluate(shocks(2, availability={Channel("CHN", "USA"): a}))
    inst = Instruments.baseline(small_market, 1)
    inst.allowed[0, 1, 0] = False
    ref = simulate_batch(small_market, inst)
    assert out["status"][0, 0] == 0 and out["status"][1, 0] == STATUS_BASE
    assert out["welfare_loss"][0, 0] == pytest.approx(-ref.welfare["total"][0, 0], rel=1e-12)
    assert out["consumer_loss"][0, 0] > 0 and out["shortfall"][0, 0] > 0


def test_a_partial_cut_is_a_binding_quota_on_the_base_flow(evaluator, small_market):
    out = evaluator.evaluate(shocks(1, availability={Channel("CHN", "USA"): np.array([[0.4]])}))
    inst = evaluator._instruments(small_market, shocks(1, availability={Channel("CHN", "USA"): np.array([[0.4]])}),
                                  np.array([0]), np.array([0]))
    r = simulate_batch(small_market, inst)
    assert r.solution.state.X[0, 1, 0] == pytest.approx(0.4 * small_market.flows[1, 0], rel=1e-9)
    assert out["consumer_price_change_pct"][0, 0] > 0


def test_elasticity_multipliers_reach_the_kernel(evaluator):
    a = {Channel("CHN", "USA"): np.array([[0.5], [0.5]])}
    out = evaluator.evaluate(shocks(2, availability=a, elasticity={"demand": np.array([0.5, 2.0])}))
    # more elastic demand: consumption falls more, the price rises less
    assert out["consumer_price_change_pct"][1, 0] < out["consumer_price_change_pct"][0, 0]
    assert out["shortfall"][1, 0] > out["shortfall"][0, 0]


def test_failures_are_nulls_with_a_reason():
    from critmin.model import calibrate

    # XPT consumes nothing at home: banning all its exports leaves its output no outlet
    market = calibrate(["USA", "CHN", "XPT"], production=[1.0, 50.0, 10.0], consumption=[30.0, 31.0, 0.0], price=10.0)
    ev = EngineEvaluator("t", [market])
    out = ev.evaluate(shocks(2, availability={Channel("XPT", "ALL"): np.array([[0.0], [0.5]])}))
    assert out["status"][0, 0] not in (0, STATUS_BASE)
    assert np.isnan(out["welfare_loss"][0, 0]) and np.isnan(out["consumer_loss"][0, 0])
    assert "outlet" in out["message"][0, 0]
    assert out["status"][1, 0] == 0 and out["message"][1, 0] == "" and np.isfinite(out["welfare_loss"][1, 0])


@settings(max_examples=25, deadline=None)
@given(a1=st.floats(0.0, 1.0), a2=st.floats(0.0, 1.0))
def test_less_china_supply_never_helps_us_consumers(evaluator, a1, a2):
    lo, hi = sorted((a1, a2))
    out = evaluator.evaluate(shocks(2, availability={Channel("CHN", "USA"): np.array([[lo], [hi]])}))
    assert (out["status"] != 1).all()
    assert out["consumer_loss"][0, 0] >= out["consumer_loss"][1, 0] - 1e-9 * (1 + abs(out["consumer_loss"][1, 0]))


def test_required_release_restores_base_consumption(evaluator, small_market):
    a = {Channel("CHN", "USA"): np.array([[0.0], [0.5], [1.0]])}
    out = evaluator.evaluate(shocks(3, availability=a), extra=("required_release",))
    r = out["required_release"][:, 0]
    assert r[0] > r[1] > 0 and r[2] == 0
    inst = evaluator._instruments(small_market, shocks(3, availability=a), np.array([0, 1]), np.array([0, 0]))
    inst.stock[:, 0] -= r[:2]
    check = simulate_batch(small_market, inst)
    d0 = check.base_state.D[:, 0]
    assert np.allclose(check.solution.state.D[:, 0], d0, rtol=1e-9)
    assert np.allclose(-check.welfare["consumer_surplus"][:, 0], 0.0, atol=1e-6 * d0 * 100)


def test_evaluator_checks(small_market):
    with pytest.raises(ValueError, match="auto"):
        EngineEvaluator("t", [small_market], solver_backend="auto")
    with pytest.raises(ValueError, match="focus"):
        EngineEvaluator("t", [small_market], focus="DEU")
    ev = EngineEvaluator("t", [small_market])
    with pytest.raises(ValueError, match="extra"):
        ev.evaluate(shocks(1), extra=("nonsense",))

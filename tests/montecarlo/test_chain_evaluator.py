"""The chain engine behind the Monte Carlo evaluator: a draw's years as one path, the engine's own answers out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.model.chain import ChainMarket, Stage, simulate_chain
from critmin.model.montecarlo.chain_evaluator import ChainEvaluator
from critmin.model.montecarlo.design import DEFAULT_ELASTICITY_SPREAD, Design
from critmin.model.montecarlo.evaluator import STATUS_BASE, Channel, Shocks
from critmin.model.montecarlo.runner import run

from .conftest import event

REGIONS = ["USA", "CHN", "JPN", "ROW"]


def chain_market(row_output: float = 13.0) -> ChainMarket:
    """China the main supplier of the US; Japan and the rest of the world the others (tonnes, one stage)."""
    flows = np.array([[2.0, 0, 0, 0], [6.0, 60.0, 6.0, 8.0], [1.0, 0, 4.0, 0], [1.0, 0, 5.0, row_output - 6.0]])
    return ChainMarket("testium", REGIONS, [Stage("processing", "Tm", flows, 100.0, substitution=8.0,
                                                  demand_short=0.3, demand_long=0.6, supply_short=0.4,
                                                  supply_long=1.2)], base_year=2025)


@pytest.fixture(scope="module")
def ev():
    return ChainEvaluator("test:chain", [chain_market()])


def shocks(n, h=1, **kw):
    return Shocks(draws=np.arange(n), horizon=h, **kw)


def test_draws_without_shock_are_the_base_point_unsolved(ev):
    out = ev.evaluate(shocks(3, 2))
    assert (out["status"] == STATUS_BASE).all()
    for k in ("consumer_loss", "welfare_loss", "shortfall", "consumer_price_change_pct", "fiscal_cost"):
        assert (out[k] == 0).all()
    assert np.allclose(out["imports"], 8.0)


def test_a_one_year_ban_matches_the_engine_and_its_recovery(ev):
    a = np.array([[0.0, 1.0, 1.0]])
    out = ev.evaluate(shocks(1, 3, availability={Channel("CHN", "USA"): a}))
    ref = simulate_chain(chain_market(), {"export_restrictions": [
        {"exporter": "CHN", "importers": ["USA"], "stage": "processing", "kind": "ban", "years": [2026, 2026]}]},
        {"start": 2026, "end": 2028})
    w = ref.welfare().xs(("processing", "USA"), level=("stage", "region"))
    assert (out["status"] == 0).all()
    assert out["welfare_loss"][0] == pytest.approx(-w["total"].to_numpy(), rel=1e-9)
    assert out["consumer_loss"][0] == pytest.approx(-w["consumer_surplus"].to_numpy(), rel=1e-9)
    assert out["shortfall"][0, 0] > 0 and out["consumer_price_change_pct"][0, 0] > 0
    # the years after the ban are solved too: users who economised come back gradually
    assert 0 < out["shortfall"][0, 1] < out["shortfall"][0, 0]


@settings(max_examples=30, deadline=None)
@given(a=st.floats(0.0, 1.0))
def test_less_chinese_supply_never_raises_us_physical_use(ev, a):
    """The Armington artefact the chain engine removes: cutting the main supplier never raises US tonnes."""
    out = ev.evaluate(shocks(1, 2, availability={Channel("CHN", "USA"): np.array([[a, 1.0]])}))
    ok = out["status"][0] == 0
    if a < 1.0:
        assert ok.all()
        assert out["use_change"][0, 0] <= 1e-9 and out["imports"][0, 0] <= 8.0 + 1e-9


def test_a_partial_cut_is_a_quota_on_the_base_flow(ev):
    out = ev.evaluate(shocks(1, 1, availability={Channel("CHN", "USA"): np.array([[0.4]])}))
    inst = ev._instruments(0, shocks(1, 1, availability={Channel("CHN", "USA"): np.array([[0.4]])}), np.array([0]))
    assert inst.n_quotas == 1 and inst.quota_cap[0, 0, 0] == pytest.approx(0.4 * 6.0)
    batch = ev._solve(0, inst)
    assert batch.solution.X[0, 0, 0, 1, 0] == pytest.approx(0.4 * 6.0, rel=1e-7)
    assert out["consumer_price_change_pct"][0, 0] > 0


def test_elasticity_multipliers_reach_the_kernel(ev):
    a = {Channel("CHN", "USA"): np.array([[0.5], [0.5]])}
    out = ev.evaluate(shocks(2, availability=a, elasticity={"demand": np.array([0.5, 2.0])}))
    assert out["consumer_price_change_pct"][1, 0] < out["consumer_price_change_pct"][0, 0]
    assert out["shortfall"][1, 0] > out["shortfall"][0, 0]


def test_a_path_that_fails_is_null_in_every_year_with_its_reason():
    lone = ChainMarket("lonium", ["USA", "CHN"], [Stage("processing", "Ln", np.array([[0.0, 0], [10.0, 90.0]]),
                                                        50.0)], base_year=2025)
    ev = ChainEvaluator("t", [lone])
    out = ev.evaluate(shocks(2, 2, availability={Channel("CHN", "USA"): np.array([[1.0, 0.0], [0.5, 1.0]])}))
    assert (out["status"][0] == 3).all() and np.isnan(out["welfare_loss"][0]).all()
    assert out["message"][0, 0].startswith("2027: USA has no permitted supplier")
    assert (out["status"][1] == 0).all() and np.isfinite(out["welfare_loss"][1]).all()


def test_the_evaluator_reads_the_outcome_contracts_status(ev, monkeypatch):
    """A member the kernel called converged but whose figures overflowed is counted not_finite (code 7), null."""
    from critmin.model import outcome

    real = outcome.check_finite

    def first_overflows(status, messages, arrays):
        status, messages = real(status, messages, arrays)
        status[0], messages[0] = outcome.NOT_FINITE, outcome.NOT_FINITE_MESSAGE
        return status, messages

    monkeypatch.setattr(outcome, "check_finite", first_overflows)
    # two bans: one solve (one group), whose first member the contract reclassifies
    out = ev.evaluate(shocks(2, availability={Channel("CHN", "USA"): np.array([[0.0], [0.0]])},
                             elasticity={"demand": np.array([1.0, 2.0])}))
    assert out["status"][0, 0] == 7 and np.isnan(out["welfare_loss"][0, 0]) and "not finite" in out["message"][0, 0]
    assert out["status"][1, 0] == 0 and np.isfinite(out["welfare_loss"][1, 0])


def test_the_static_evaluator_reads_the_outcome_contracts_status_too(evaluator, monkeypatch):
    from critmin.model import outcome

    real = outcome.check_finite

    def first_overflows(status, messages, arrays):
        status, messages = real(status, messages, arrays)
        status[0], messages[0] = outcome.NOT_FINITE, outcome.NOT_FINITE_MESSAGE
        return status, messages

    monkeypatch.setattr(outcome, "check_finite", first_overflows)
    out = evaluator.evaluate(shocks(2, availability={Channel("CHN", "USA"): np.array([[0.0], [0.5]])}))
    assert out["status"][0, 0] == 7 and np.isnan(out["consumer_loss"][0, 0])
    assert out["message"][0, 0].startswith("the solver converged but")


def test_the_required_release_brings_the_price_back(ev):
    a = {Channel("CHN", "USA"): np.array([[0.0, 0.5]])}
    out = ev.evaluate(shocks(1, 2, availability=a), extra=("required_release",))
    release = out["required_release"][0]
    assert (release > 0).all()
    policies = {"export_restrictions": [
        {"exporter": "CHN", "importers": ["USA"], "stage": "processing", "kind": "ban", "years": [2026, 2026]}]}
    with_release = dict(policies, stockpiles=[{"region": "USA", "stage": "processing", "quantity": -float(release[0]),
                                               "initial": float(release[0]), "years": [2026, 2026]}])
    r = simulate_chain(chain_market(), with_release, {"start": 2026, "end": 2026})
    change = r.prices().loc[(2026, "processing", "USA"), "use_price_change_pct"]
    assert abs(change) < 1e-6


def test_corners_are_strata():
    ev2 = ChainEvaluator("t", [chain_market(13.0), chain_market(20.0)], strata=["low", "high"])
    assert ev2.info.strata == ("low", "high") and ev2.info.base_exports[Channel("ROW", "ALL")] == (6.0, 6.0)
    out = ev2.evaluate(shocks(2, availability={Channel("CHN", "USA"): np.array([[0.0], [0.0]])},
                             stratum=np.array([0, 1])))
    assert out["consumer_price_change_pct"][0, 0] != out["consumer_price_change_pct"][1, 0]


@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_results_do_not_depend_on_chunk_size(backend):
    ev = ChainEvaluator("test:chain", [chain_market()], backend=backend)
    events = (event("BAN", rate=("gamma", 1.5, 5.0)), event("LIC", kind="licensing", target="ALL",
                                                           rate=("fixed", 0.2, float("nan")),
                                                           severity=("uniform", 0.1, 0.5)))
    design = Design(ev.info, events, horizon=3, elasticity=DEFAULT_ELASTICITY_SPREAD)
    a = run(ev, design, 300, 9, backend="inprocess", chunk_draws=300)
    b = run(ev, design, 300, 9, backend="inprocess", chunk_draws=37)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    ok = a.outcomes["status"] == 0
    assert ok.sum() > 100
    assert (a.outcomes.loc[ok, "use_change"] <= 1e-9).all()  # every event restricts supply: US tonnes never rise

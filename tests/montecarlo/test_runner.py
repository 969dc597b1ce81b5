"""Runs: chunk-independent results, checkpoints, interruption and resume."""

import json

import pandas as pd
import pytest

from critmin.model.montecarlo.design import DEFAULT_ELASTICITY_SPREAD, Design
from critmin.model.montecarlo.runner import MonteCarloError, default_chunk_draws, load_run, run

from .conftest import event


@pytest.fixture(scope="module")
def design(evaluator):
    events = (event("BAN", rate=("gamma", 1.5, 5.0)), event("LIC", kind="licensing", target="ALL",
                                                           rate=("fixed", 0.2, float("nan")),
                                                           severity=("uniform", 0.1, 0.5)))
    return Design(evaluator.info, events, horizon=3, elasticity=DEFAULT_ELASTICITY_SPREAD)


@pytest.mark.parametrize("method", ["random", "lhs"])
def test_results_do_not_depend_on_chunk_size(evaluator, design, method):
    a = run(evaluator, design, 300, 9, method=method, backend="inprocess", chunk_draws=300)
    b = run(evaluator, design, 300, 9, method=method, backend="inprocess", chunk_draws=37)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    pd.testing.assert_frame_equal(a.inputs, b.inputs)
    assert a.scenario_years == 900 and a.chunks_total == 1 and b.chunks_total == 9
    assert set(a.status_counts()) <= {"converged", "base", "infeasible", "no_equilibrium"}
    ok = a.outcomes["status"] == 0
    assert ok.sum() > 0
    # every event here restricts supply to the US: consumers never gain
    assert (a.outcomes.loc[ok, "consumer_loss"] >= -1e-9).all()


def test_different_seeds_differ(evaluator, design):
    a = run(evaluator, design, 200, 1, backend="inprocess")
    b = run(evaluator, design, 200, 2, backend="inprocess")
    assert not a.inputs.equals(b.inputs)


def test_interrupted_run_resumes_to_the_same_result(evaluator, design, tmp_path):
    full = run(evaluator, design, 400, 3, backend="inprocess", chunk_draws=50)

    calls = []

    def stop_after_three(done, total, years):
        calls.append(done)
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(evaluator, design, 400, 3, backend="inprocess", chunk_draws=50, run_dir=tmp_path, progress=stop_after_three)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "running"
    assert len(list((tmp_path / "chunks").glob("outcomes-*.parquet"))) == 3
    partial, _, _ = load_run(tmp_path)
    assert len(partial) == 3 * 50 * 3

    seen = []
    resumed = run(evaluator, design, 400, 3, backend="inprocess", chunk_draws=50, run_dir=tmp_path, resume=True,
                  progress=lambda d, t, y: seen.append(d))
    assert resumed.chunks_computed == 5 and seen[0] == 3 and seen[-1] == 8
    pd.testing.assert_frame_equal(full.outcomes, resumed.outcomes)
    pd.testing.assert_frame_equal(full.inputs, resumed.inputs)
    assert json.loads((tmp_path / "manifest.json").read_text())["status"] == "complete"
    again = run(evaluator, design, 400, 3, backend="inprocess", chunk_draws=50, run_dir=tmp_path, resume=True)
    assert again.chunks_computed == 0
    pd.testing.assert_frame_equal(full.outcomes, again.outcomes)


def test_resume_with_other_parameters_is_refused(evaluator, design, tmp_path):
    run(evaluator, design, 100, 3, backend="inprocess", chunk_draws=50, run_dir=tmp_path)
    with pytest.raises(MonteCarloError, match=r"seed: run directory has 3, this run asks 4"):
        run(evaluator, design, 100, 4, backend="inprocess", chunk_draws=50, run_dir=tmp_path, resume=True)
    with pytest.raises(MonteCarloError, match="draws"):
        run(evaluator, design, 200, 3, backend="inprocess", chunk_draws=50, run_dir=tmp_path, resume=True)
    with pytest.raises(MonteCarloError, match="already holds a run"):
        run(evaluator, design, 100, 3, backend="inprocess", chunk_draws=50, run_dir=tmp_path)
    other = Design(evaluator.info, design.events, horizon=2)
    with pytest.raises(MonteCarloError, match="horizon"):
        run(evaluator, other, 100, 3, backend="inprocess", chunk_draws=50, run_dir=tmp_path, resume=True)


def test_bad_run_parameters(evaluator, design, tmp_path):
    with pytest.raises(MonteCarloError, match="draws"):
        run(evaluator, design, 0, 1)
    with pytest.raises(MonteCarloError, match="method"):
        run(evaluator, design, 10, 1, method="sobol")
    with pytest.raises(MonteCarloError, match="backend"):
        run(evaluator, design, 10, 1, backend="spark")
    (tmp_path / "junk.txt").write_text("x")
    with pytest.raises(MonteCarloError, match="no manifest"):
        run(evaluator, design, 10, 1, run_dir=tmp_path, resume=True)


def test_default_chunk_size_depends_on_the_run_only():
    assert default_chunk_draws(1_000_000, 1) == 31_250
    assert default_chunk_draws(10, 1) == 10
    assert default_chunk_draws(10_000, 10) == 1_000
    assert default_chunk_draws(100_000, 10) == 3_125


def test_the_compiled_kernel_is_also_chunk_independent(small_market, design):
    pytest.importorskip("numba")
    from critmin.model.montecarlo.evaluator import EngineEvaluator

    ev = EngineEvaluator("test:small", [small_market], solver_backend="numba")
    d = Design(ev.info, design.events, horizon=3)
    a = run(ev, d, 200, 9, backend="inprocess", chunk_draws=200)
    b = run(ev, d, 200, 9, backend="inprocess", chunk_draws=23)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    assert ev.info.fingerprint != EngineEvaluator("test:small", [small_market]).info.fingerprint

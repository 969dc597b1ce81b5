"""The compiled (numba) Newton against the numpy reference kernel, and the backend dispatch."""

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from critmin.model import Instruments
from critmin.model import kernel as kernel_module
from critmin.model.kernel import STATUS_CONVERGED, solve, solve_prices, use_numba

from test_invariants import _random_policy, markets  # tests/model is on sys.path (no package)

pytest.importorskip("numba")

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_backends_agree(market, inst):
    fast = solve(market, inst, backend="numba")
    ref = solve(market, inst, backend="numpy")
    np.testing.assert_array_equal(fast.status, ref.status)
    ok = ref.status == STATUS_CONVERGED
    np.testing.assert_allclose(fast.z[ok], ref.z[ok], rtol=0, atol=1e-10)
    np.testing.assert_allclose(fast.mu[ok], ref.mu[ok], rtol=0, atol=1e-10)
    scale = np.maximum(np.abs(ref.state.X[ok]), 1e-12 * market.flows.max())
    assert np.all(np.abs(fast.state.X[ok] - ref.state.X[ok]) <= 1e-10 * scale)
    assert np.all(np.isnan(fast.state.X[~ok]))
    return fast, ref


@SETTINGS
@given(markets())
def test_compiled_and_numpy_kernels_agree_on_random_policy_mixes(case):
    """Tariffs, MIPs, CfD floors, buyer of last resort, export quotas, bans, export taxes, shifts."""
    market, rng = case
    _assert_backends_agree(market, _random_policy(market, rng, n=6))


def test_agreement_with_unit_substitution_fixed_supply_stock_and_two_quotas(market_dense):
    """sigma = 1 (Cobb-Douglas index), eta = 0, perfectly elastic origins, stockpiles, several quotas."""
    market = market_dense.with_elasticities(supply=[1.2, np.inf, 0.8, 1.0, 0.0])
    rng = np.random.default_rng(11)
    inst = Instruments.baseline(market, 40).with_quota_slots(2)
    for i in range(40):
        inst.tariff[i] += rng.uniform(0, 0.6, (5, 5)) * (rng.uniform(size=(5, 5)) < 0.5)
        inst.stock[i, rng.integers(5)] = rng.uniform(-0.5, 0.5)
        inst.quota_origin[i] = [0, 2]
        inst.quota_dest[i, 0, [1, 3]] = True
        inst.quota_dest[i, 1, [0, 4]] = True
        inst.quota_cap[i] = rng.uniform(0.3, 1.2, 2) * [market.flows[0, [1, 3]].sum(), market.flows[2, [0, 4]].sum()]
        if i % 3 == 0:
            inst.mip[i, :, 1] = 1.1 * market.prices.mean()
            inst.mip[i, 1, 1] = 0.0
    fast, ref = _assert_backends_agree(market, inst)
    assert (ref.status == STATUS_CONVERGED).all()
    assert (ref.mu > 0).any(), "some quota should bind, else the test does not test quota rents"
    # the same algorithm: the same number of Newton iterations (the analytic Jacobians agree)
    assert np.mean(fast.iterations == ref.iterations) > 0.9


def test_prices_only_path_matches_the_full_solve(market4):
    rng = np.random.default_rng(3)
    inst = _random_policy(market4, rng, n=30)
    for backend in ("numba", "numpy"):
        full = solve(market4, inst, backend=backend)
        light = solve_prices(market4, inst, backend=backend, block=7)  # several blocks, concatenated
        np.testing.assert_array_equal(light.status, full.status)
        ok = full.status == STATUS_CONVERGED
        np.testing.assert_allclose(light.p[ok], full.state.p[ok], rtol=1e-13)
        assert np.all(light.clearing_residual[ok] < 1e-9)
        assert np.all(np.isnan(light.p[~ok]))


def test_no_op_batch_is_the_base_point_on_the_compiled_backend(market4):
    sol = solve(market4, Instruments.baseline(market4, 3), backend="numba")
    assert (sol.status == STATUS_CONVERGED).all()
    np.testing.assert_array_equal(sol.z, 0.0)
    np.testing.assert_array_equal(sol.state.X[0], market4.flows)


def test_failures_are_reported_the_same_way_on_both_backends(market4):
    inst = Instruments.baseline(market4, 2)
    inst.allowed[0, :, 0] = False  # USA loses every supplier, its own included
    inst.allowed[0, 0, 0] = False
    inst.blr_floor[1, 1] = 50 * market4.prices[1]  # a floor far above any market price, CHN output unsellable
    fast, ref = _assert_backends_agree(market4, inst)
    assert fast.messages == ref.messages
    assert fast.status[0] != STATUS_CONVERGED and "no permitted supplier" in fast.messages[0]


def test_dispatch_rules(monkeypatch):
    monkeypatch.delenv("CRITMIN_KERNEL", raising=False)
    assert use_numba(10, "numpy") is False
    assert use_numba(10, "numba") is True
    monkeypatch.setenv("CRITMIN_KERNEL", "numpy")
    assert use_numba(10**6, "auto") is False
    monkeypatch.setenv("CRITMIN_KERNEL", "numba")
    assert use_numba(1, "auto") is True
    with pytest.raises(ValueError, match="backend must be"):
        use_numba(1, "fortran")


def test_auto_backend_loads_numba_only_for_large_batches_in_a_fresh_process():
    """Short CLI runs must not pay for importing numba: below the threshold 'auto' stays on numpy;
    once the compiled kernel is loaded, every batch uses it."""
    code = (
        "import sys\n"
        "from critmin.model import simulate\n"
        "from critmin.model.kernel import NUMBA_MIN_BATCH, use_numba\n"
        "r = simulate('gallium_china_ban')\n"
        "assert r.converged\n"
        "print('numba' in sys.modules, use_numba(NUMBA_MIN_BATCH - 1), use_numba(NUMBA_MIN_BATCH))\n"
        "import critmin.model.kernel_numba\n"
        "print(use_numba(1))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CRITMIN_KERNEL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["False", "False", "True", "True"]
    assert kernel_module.NUMBA_MIN_BATCH > 100

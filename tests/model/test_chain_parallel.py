"""The chain horizon on several threads: the same figures to the last bit whatever the blocks and threads.

Members never interact and the kernel backend is chosen once per run, so a member's arithmetic
must not depend on which block or thread solved it. These tests compare every array of
:class:`critmin.model.kernel.horizon.HorizonSolution` bit for bit (NaN where NaN), on the compiled
common case and on the numpy path (quotas, new capacity, offtakes, smoothing continuation), and check
that failed members keep the null-and-reason contract of :mod:`critmin.model.outcome` when solved in
parallel. No timing is asserted here (speed is measured in ``benchmarks/bench_engine.py``).
"""

import numpy as np
import pytest

from critmin.model.chain import ChainInstruments
from critmin.model.chain.simulate import run_chain
from critmin.model.kernel import linalg
from critmin.model.kernel.chain import ChainBase
from critmin.model.kernel.horizon import HorizonSolution, MIN_THREAD_BLOCK, plan_blocks, solve_horizon
from critmin.model.kernel.newton import choose_backend
from critmin.model.kernel.status import STATUS_CONVERGED

from chain_factories import EVERY_INSTRUMENT, TRADE_AND_SHIFTS, generated_market, random_batch


def assert_identical(a: HorizonSolution, b: HorizonSolution) -> None:
    """Every field equal to the last bit (NaN matching NaN), messages included."""
    assert a.years == b.years
    assert a.messages == b.messages
    for name in HorizonSolution.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if name in ("years", "messages"):
            continue
        if x is None or y is None:
            assert x is None and y is None, name
            continue
        assert x.dtype == y.dtype and x.shape == y.shape, name
        # bit for bit: compare the raw bytes (so -0.0 vs 0.0 and NaN payloads would show too)
        assert np.array_equal(np.ascontiguousarray(x).view(np.uint8), np.ascontiguousarray(y).view(np.uint8)), name


def _batch(seed: int, n: int, kinds: tuple[str, ...], years: int = 2):
    rng = np.random.default_rng(seed)
    market = generated_market(rng, regions=int(rng.integers(3, 6)), stages=int(rng.integers(1, 3)))
    return market, ChainBase.from_market(market), random_batch(market, rng, n, years=years, kinds=kinds)


def test_blocks_cover_every_member_once_and_split_only_when_threads_are_used():
    for n, workers, block in [(1, 2, 8192), (1000, 2, 8192), (1024, 2, 8192), (10_000, 2, 8192), (10_000, 1, 8192),
                              (10_000, 3, 700), (5, 1, 2)]:
        slices = plan_blocks(n, workers, block)
        covered = np.concatenate([np.arange(n)[sl] for sl in slices])
        np.testing.assert_array_equal(covered, np.arange(n))
        assert all(sl.stop - sl.start <= block for sl in slices)
        if workers > 1 and n >= MIN_THREAD_BLOCK * workers:
            assert len(slices) >= workers
            assert all(sl.stop - sl.start >= min(MIN_THREAD_BLOCK, block) for sl in slices[:-1])
    assert plan_blocks(1, 4, 8192) == [slice(0, 1)]  # one scenario: one block, no thread pool


@pytest.mark.parametrize("kinds, backend", [
    (TRADE_AND_SHIFTS + ("floor", "blr"), "compiled"),
    (TRADE_AND_SHIFTS + ("floor", "blr"), "numpy"),
    (EVERY_INSTRUMENT, None),
], ids=["compiled-common-case", "numpy-common-case", "every-instrument"])
def test_parallel_blocks_equal_one_serial_block_to_the_last_bit(kinds, backend):
    if backend == "compiled":
        pytest.importorskip("numba")
    market, base, inst = _batch(11, 1100, kinds)
    with linalg.forced_backend(backend):
        serial = solve_horizon(base, inst, workers=1, block=inst.size)
        assert choose_backend(inst.size) == (backend or choose_backend(inst.size))
        runs = [solve_horizon(base, inst, workers=2),  # two threads, four blocks
                solve_horizon(base, inst, workers=3, block=300),  # three threads, blocks of 300
                solve_horizon(base, inst, workers=1, block=257)]  # one thread, uneven blocks
    assert (serial.status == STATUS_CONVERGED).mean() > 0.5  # the comparison covers real solutions
    for run in runs:
        assert_identical(serial, run)


def test_failed_members_keep_nulls_and_reasons_when_solved_in_parallel():
    """Members made infeasible (every supplier of a destination banned from the second year) inside a
    parallel batch: status and reason naming the year, every figure null, in the kernel and the results."""
    market, base, inst = _batch(3, 1100, TRADE_AND_SHIFTS, years=2)
    R = len(market.regions)
    bad = np.arange(5, inst.size, 97)  # spread over every block
    allowed = inst.expand_years("allowed")
    for i in bad:
        allowed[i, 1, 0, :, 0] = False  # nobody may ship stage 0 to region 0 in year 2
    serial = solve_horizon(base, inst, workers=1, block=inst.size)
    parallel = solve_horizon(base, inst, workers=2)
    assert_identical(serial, parallel)
    year2 = inst.years[1]
    for i in bad:
        assert parallel.status[i] != STATUS_CONVERGED
        assert parallel.messages[i].startswith(f"{year2}: ") and "no permitted supplier" in parallel.messages[i]
        for name in ("p", "D", "S", "u", "X"):
            assert np.isnan(getattr(parallel, name)[i]).all(), name
    batch = run_chain(market, inst, workers=2)
    status = np.array(batch.status, dtype=object)
    assert (status[bad] != "converged").all() and batch.n_failed >= len(bad)
    assert all(batch.messages[i] for i in bad)
    summary = batch.summary()
    figures = [c for c in summary.columns if c not in ("status", "message")]
    failed_rows = summary.iloc[bad]
    assert failed_rows[figures].isna().all().all()
    assert (failed_rows["message"].str.len() > 0).all()
    assert batch.outcome()["failed"] >= len(bad)
    ok = np.nonzero(status == "converged")[0]
    assert len(ok) > 0 and summary.iloc[ok][figures].notna().any(axis=1).all()
    assert R == base.n_regions


def test_warm_up_makes_one_scenario_use_the_compiled_kernel():
    """After :func:`warm_compiled` a single scenario runs on the compiled Newton (the lean path for servers)."""
    pytest.importorskip("numba")
    from critmin.model.kernel.newton import warm_compiled

    assert warm_compiled(background=False) is True
    assert choose_backend(1) == "compiled"
    with linalg.forced_backend("numpy"):  # a forced backend still wins
        assert choose_backend(1) == "numpy"
    market, base, inst = _batch(2, 1, TRADE_AND_SHIFTS, years=3)
    sol = solve_horizon(base, inst)
    with linalg.forced_backend("numpy"):
        ref = solve_horizon(base, inst)
    np.testing.assert_array_equal(sol.status, ref.status)
    ok = ref.status == STATUS_CONVERGED
    np.testing.assert_allclose(sol.u[ok], ref.u[ok], rtol=0, atol=1e-9)

"""Speed of the chain engine against the obvious alternative, side by side in one run.

Run::

    PYTHONPATH=src python benchmarks/bench_engine.py [--n 10000] [--loop-sample 20] [--years 10]

The problem: a 10-region, 2-stage chain (mine and processing, linked by input
coefficients; no trade-cost data, as in the knowledge-base markets), 10 years.
The batch: ``n`` scenarios with random duties on a fifth of the routes (0-30%),
export taxes, minimum import prices for a fifth of the members, demand and
capacity shifts, all over the horizon.

Measured, each the best of several runs because the machine may be shared:

1. the batch through :func:`critmin.model.kernel.horizon.solve_horizon`
   (every year of every member, warm-started year to year), on 1 and 2
   threads, with prices and quantities (``keep_flows=False``) and with every
   bilateral flow;
2. one scenario (median of repeated solves), the kernel alone and the whole
   :func:`critmin.model.chain.simulate_chain` path (policy compilation,
   baseline path, results);
3. the alternative: a Python loop of ``scipy.optimize.root`` (``hybr``,
   finite-difference Jacobian) on the same equations, member by member and
   year by year (warm-started like the kernel), **timed on ``--loop-sample``
   scenarios and extrapolated linearly** to ``n``; its answers are compared
   with the batch;
4. the compiled batched LU against ``np.linalg.solve`` on the same stack of
   Newton systems (why :mod:`critmin.model.kernel.linalg_numba` exists).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from scipy.optimize import root

from critmin.model.chain import ChainInstruments, ChainMarket, Stage, simulate_chain
from critmin.model.kernel.chain import ChainBase, evaluate, jacobian
from critmin.model.kernel.horizon import Lags, initial_lags, prepare_year, solve_horizon
from critmin.model.kernel.status import STATUS_CONVERGED

R, S = 10, 2
NAMES = ["USA", "CHN", "JPN", "KOR", "EU", "CAN", "AUS", "BRA", "IND", "ROW"]


def make_market() -> ChainMarket:
    rng = np.random.default_rng(2026)
    proc = rng.uniform(0.0, 10.0, (R, R)) * (rng.uniform(size=(R, R)) < 0.6)
    np.fill_diagonal(proc, rng.uniform(5.0, 40.0, R))
    proc[1] *= 4.0  # a dominant processor
    a = rng.uniform(1.0, 2.0, R)
    mine = rng.uniform(0.0, 15.0, (R, R)) * (rng.uniform(size=(R, R)) < 0.5)
    np.fill_diagonal(mine, rng.uniform(5.0, 30.0, R))
    need = a * proc.sum(axis=1) - mine.sum(axis=0)
    mine[np.arange(R), np.arange(R)] += np.maximum(need, 0) + rng.uniform(1.0, 5.0, R)
    params = dict(substitution=rng.uniform(10, 30, R), demand_short=rng.uniform(0.1, 0.3, R),
                  demand_long=rng.uniform(0.4, 0.8, R), supply_short=rng.uniform(0.2, 0.5, R),
                  supply_long=rng.uniform(1.0, 2.0, R), growth=0.02)
    return ChainMarket("benchmark", NAMES, [
        Stage("mine", "content", mine, rng.uniform(8, 12, R), **params),
        Stage("processing", "content", proc, a * 12 * rng.uniform(2, 3, R), input_coefficient=a, **params),
    ], base_year=2025)


def make_batch(market: ChainMarket, n: int, years: int) -> ChainInstruments:
    rng = np.random.default_rng(7)
    inst = ChainInstruments.baseline(market, range(2026, 2026 + years), n).materialise(n)
    off = 1 - np.eye(R)
    inst.tariff += rng.uniform(0, 0.3, inst.tariff.shape) * (rng.uniform(size=inst.tariff.shape) < 0.2) * off
    inst.export_tax += rng.uniform(0, 0.2, inst.export_tax.shape) * (rng.uniform(size=inst.export_tax.shape) < 0.05) * off
    mip = rng.uniform(size=n) < 0.2
    d = rng.integers(R, size=n)
    s = rng.integers(S, size=n)
    p0 = np.stack([st.prices for st in market.stages])
    for i in np.nonzero(mip)[0]:
        inst.mip[i, 0, s[i], :, d[i]] = rng.uniform(0.9, 1.2) * p0[s[i]].mean()
        inst.mip[i, 0, s[i], d[i], d[i]] = 0.0
    inst.demand_shift *= rng.uniform(0.9, 1.1, (n, 1, S, R))
    inst.capacity *= rng.uniform(0.9, 1.1, (n, 1, S, R))
    return inst


CPU = {}


def best(fn, repeat: int, label: str | None = None) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs; the process CPU time of that run is kept under ``label``.

    On a shared machine the wall time includes waiting for a core; the CPU time does not, and
    divided by the threads used it estimates the wall time on an idle machine.
    """
    out, times, cpus = None, [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    if label:
        CPU[label] = cpus[int(np.argmin(times))]
    return min(times), out


def scipy_loop(base: ChainBase, inst: ChainInstruments, members: np.ndarray) -> tuple[float, np.ndarray, int]:
    """Member by member, year by year: ``scipy.optimize.root`` on the kernel's residual for one member."""
    T = inst.n_years
    z = np.full((len(members), T, S * R), np.nan)
    failures = 0
    t0 = time.perf_counter()
    for row, i in enumerate(members):
        one = inst.members(np.array([i]))
        lags = initial_lags(base, one)
        guess = np.zeros(S * R)
        for t in range(T):
            y, _ = prepare_year(base, one, t, lags)
            sol = root(lambda u: evaluate(y, u[None]).F[0], guess, method="hybr", options={"xtol": 1e-12})
            if not sol.success:
                failures += 1
            guess = sol.x
            z[row, t] = sol.x
            st = evaluate(y, sol.x[None])
            lags = Lags(st.E, st.S - st.E, st.D)
    return time.perf_counter() - t0, z, failures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--loop-sample", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    market = make_market()
    base = ChainBase.from_market(market)
    inst = make_batch(market, args.n, args.years)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} (shared machine: other jobs may run), numpy {np.__version__}")
    print(f"problem: {R} regions x {S} stages x {args.years} years, {args.n} scenarios")
    solve_horizon(base, inst.members(slice(0, 600)), keep_flows=False)  # load the compiled LU once
    results = {}
    for workers in (1, 2):
        for flows in (False, True):
            label = f"{workers}-{flows}"
            secs, sol = best(lambda: solve_horizon(base, inst, keep_flows=flows, workers=workers), args.repeat, label)
            results[(workers, flows)] = (secs, sol)
            print(f"batch, {workers} thread(s), {'with flows' if flows else 'prices and quantities'}: {secs:.3f} s wall, "
                  f"{CPU[label]:.3f} s CPU ({sol.converged.mean():.2%} converged, mean Newton iterations per year "
                  f"{np.nanmean(sol.iterations):.2f})")
    one = inst.members(np.array([0]))
    singles, single_cpu = [], []
    for _ in range(30):
        t, c = time.perf_counter(), time.process_time()
        solve_horizon(base, one, keep_flows=True)
        singles.append(time.perf_counter() - t)
        single_cpu.append(time.process_time() - c)
    print(f"one scenario, kernel (10 years, every flow): median {1000 * np.median(singles):.1f} ms wall, "
          f"{1000 * np.median(single_cpu):.1f} ms CPU")
    pol = {"tariffs": [{"importer": "USA", "origins": ["CHN"], "stage": "processing", "rate": 0.25}]}
    horizon = {"start": 2026, "end": 2025 + args.years}
    simulate_chain(market, pol, horizon)
    full = []
    for _ in range(10):
        t = time.perf_counter()
        simulate_chain(market, pol, horizon).fiscal()
        full.append(time.perf_counter() - t)
    print(f"one scenario, simulate_chain() incl. compilation, baseline path and results: median "
          f"{1000 * np.median(full):.1f} ms")
    sample = np.random.default_rng(3).choice(args.n, size=min(args.loop_sample, args.n), replace=False)
    c0 = time.process_time()
    loop_secs, z_loop, failures = scipy_loop(base, inst, sample)
    loop_cpu = (time.process_time() - c0) * args.n / len(sample)
    extrapolated = loop_secs * args.n / len(sample)
    ref = results[(2, False)][1]
    z_batch = ref.u[sample][:, :, : S * R]
    ok = ref.status[sample] == STATUS_CONVERGED
    print(f"scipy.optimize.root loop: {loop_secs:.2f} s for {len(sample)} scenarios x {args.years} years "
          f"({failures} year-solves reported failure), extrapolated linearly to {args.n}: {extrapolated:.1f} s")
    print(f"agreement loop vs batch: max |d ln p| = {np.nanmax(np.abs(z_loop[ok] - z_batch[ok])):.2e}")
    for workers in (1, 2):
        secs = results[(workers, False)][0]
        print(f"ratio loop / batch ({workers} thread(s), prices and quantities): {extrapolated / secs:.0f}x wall, "
              f"{loop_cpu / CPU[f'{workers}-False']:.0f}x CPU")
    # why the linear solve is compiled
    y, _ = prepare_year(base, inst, 0, initial_lags(base, inst))
    stt = evaluate(y, np.zeros((args.n, S * R)))
    J = jacobian(y, stt)
    from critmin.model.kernel.linalg_numba import solve_stack as compiled
    out, okv = np.empty_like(stt.F), np.empty(args.n, bool)
    t_np, _ = best(lambda: np.linalg.solve(J, -stt.F[..., None]), args.repeat)
    t_nb, _ = best(lambda: compiled(J, stt.F, out, okv), args.repeat)
    print(f"Newton systems ({args.n} x {S * R} x {S * R}): np.linalg.solve {1000 * t_np:.1f} ms, compiled LU "
          f"{1000 * t_nb:.1f} ms ({t_np / t_nb:.1f}x)")


if __name__ == "__main__":
    main()

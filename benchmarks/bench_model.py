"""Speed of the equilibrium kernel against the obvious alternative, side by side in one run.

Run::

    PYTHONPATH=src python benchmarks/bench_model.py [--n 10000] [--loop-sample 200] [--quick]

Measures on the same 10-region market (each time is the best of several runs,
because the machine may be shared; medians are shown where single solves are
short enough to be noisy):

1. one scenario after calibration: the kernel (numpy and compiled backends)
   and the whole ``simulate()`` path from a scenario dict (calibration,
   policy compilation, solve, welfare, indicators);
2. a batch of ``n`` random scenarios (tariffs, export taxes, demand and
   capacity shifts, minimum import prices on half of them) in one call, on the
   compiled (numba) and the numpy backend, on 1 and 2 threads, both as verified
   equilibrium prices and statuses (``solve_prices``: what the loop produces)
   and with every state array assembled (``solve``: flows, delivered prices,
   what the result tables need);
3. the alternative: a Python loop of ``scipy.optimize.root`` (``hybr``,
   finite-difference Jacobian) per scenario on a lean hand-written residual of
   the same equations, and the same loop on the kernel's own residual. Loops
   are timed on a random subsample and **extrapolated linearly** to ``n``
   (stated in the output); their answers are compared with the kernel's;
4. the compiled kernel's one-off costs, each in a fresh subprocess: the first
   compilation (empty numba cache) and loading it from the cache (``import
   numba`` plus the cached machine code), and the batch size from which loading
   it pays for itself (the ``NUMBA_MIN_BATCH`` threshold of ``backend="auto"``).

Agreement of the two backends is printed (max |difference| of log prices).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import root

from critmin.model import Instruments, calibrate, simulate
from critmin.model.kernel import NUMBA_MIN_BATCH, STATUS_CONVERGED, evaluate, prepare, solve, solve_prices

R = 10


def make_market():
    rng = np.random.default_rng(2026)
    names = ["USA", "CHN", "JPN", "KOR", "EU", "CAN", "AUS", "BRA", "IND", "ROW"]
    flows = rng.uniform(0.0, 10.0, (R, R)) * (rng.uniform(size=(R, R)) < 0.7)
    np.fill_diagonal(flows, rng.uniform(5.0, 50.0, R))
    flows[1] *= 4.0  # a dominant exporter
    return calibrate(names, flows=flows, price=rng.uniform(80, 120, R),
                     elasticities={"substitution": dict(zip(names, rng.uniform(2, 6, R))),
                                   "demand": dict(zip(names, rng.uniform(0.2, 1.0, R))),
                                   "supply": dict(zip(names, rng.uniform(0.5, 2.0, R)))})


def make_batch(market, n: int, seed: int = 0, with_mip: bool = True) -> Instruments:
    rng = np.random.default_rng(seed)
    inst = Instruments.baseline(market, n)
    inst.tariff += rng.uniform(0, 0.5, (n, R, R)) * (rng.uniform(size=(n, R, R)) < 0.3)
    inst.tariff[:, np.arange(R), np.arange(R)] = 0.0
    inst.export_tax[:, 1, :] += rng.uniform(0, 0.3, (n, 1))
    inst.export_tax[:, 1, 1] = 0.0
    inst.demand_shift *= rng.uniform(0.9, 1.1, (n, R))
    inst.capacity *= rng.uniform(0.9, 1.2, (n, R))
    if with_mip:
        inst.mip[:, :, 0] = rng.uniform(80, 130, (n, 1)) * (rng.uniform(size=(n, 1)) < 0.5)
        inst.mip[:, 0, 0] = 0.0
    return inst


def loop_residual_factory(market, inst: Instruments, i: int):
    """A plain, unbatched residual for member ``i``: what one would write without a batch kernel."""
    X0 = market.flows
    Q0, D0 = X0.sum(1), X0.sum(0)
    p0 = market.prices
    t, x, m = inst.tariff[i], inst.export_tax[i], inst.mip[i]
    sig, eps, eta = inst.substitution[i], inst.demand[i], inst.supply[i]
    c, s = inst.capacity[i], inst.demand_shift[i]
    q0 = p0[:, None] * (1 + market.base_export_tax) * (1 + market.base_tariff)
    theta = X0 * q0 / (X0 * q0).sum(0)

    def residual(z):
        p = p0 * np.exp(z)
        q = np.maximum(p[:, None] * (1 + x) * (1 + t), m)
        rr = q / q0
        pi = ((theta * rr ** (1 - sig)).sum(0)) ** (1 / (1 - sig))
        D = D0 * s * pi ** (-eps)
        X = X0 * (rr / pi) ** (-sig) * (D / D0)
        return (Q0 * c * np.exp(eta * z) - X.sum(1)) / Q0

    return residual


def timed(fn, repeat: int = 1):
    """Best of ``repeat`` runs: the machine is shared, the minimum is the least disturbed run."""
    best = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best.append(time.perf_counter() - t0)
    return out, float(np.min(best))


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


_PROBE = """
import time
t0 = time.perf_counter()
import numpy as np
from critmin.model import Instruments, calibrate
from critmin.model.kernel import solve
m = calibrate(["A", "B", "C"], production=[1.0, 2.0, 3.0], consumption=[2.0, 2.0, 2.0], price=1.0)
t1 = time.perf_counter()
from critmin.model import kernel_numba
t2 = time.perf_counter()
solve(m, Instruments.baseline(m, 4), backend="numba", workers=1)
t3 = time.perf_counter()
print(t2 - t1, t3 - t2)
"""


def compile_and_load_cost() -> tuple[float, float, float]:
    """(import numba + module, first compile, load from cache + first call) in fresh interpreters."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=os.environ.get("PYTHONPATH", "src"))
        runs = []
        for _ in range(3):
            out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
            runs.append([float(x) for x in out.stdout.split()])
    first = runs[0]
    cached = min(runs[1:], key=lambda r: r[0] + r[1])
    return cached[0], first[1], cached[0] + cached[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--loop-sample", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (for a smoke test)")
    args = ap.parse_args()
    rep_batch = 2 if args.quick else 5
    rep_one = 20 if args.quick else 200
    market = make_market()
    n = args.n
    rows: list[tuple[str, float, str]] = []

    # 0. one-off costs of the compiled kernel, in fresh processes
    import_cost, compile_cost, load_cost = compile_and_load_cost()

    # 1. one scenario
    one = make_batch(market, 1, seed=1)
    for backend in ("numpy", "numba"):
        solve(market, one, backend=backend)
        sol1, best = timed(lambda: solve(market, one, backend=backend), repeat=rep_one)
        assert sol1.status[0] == STATUS_CONVERGED
        med = median_time(lambda: solve(market, one, backend=backend), rep_one)
        rows.append((f"one scenario, kernel solve, {backend} (median; best {best * 1e3:.2f} ms)", med, "ms"))
    scenario = {
        "name": "bench",
        "market": {"regions": list(market.regions), "price": dict(zip(market.regions, market.prices.tolist())),
                   "flows": market.flows.tolist()},
        "policies": {"tariffs": [{"importer": "USA", "origins": ["CHN"], "rate": 0.25}],
                     "minimum_import_prices": [{"importer": "USA", "price": 110.0}]},
    }
    simulate(scenario)
    t_simulate = median_time(lambda: simulate(scenario).welfare(), 10 if args.quick else 30)
    rows.append(("one scenario, simulate() from a dict incl. calibration (median)", t_simulate, "ms"))

    # 2. the batch
    batch = make_batch(market, n, seed=2)
    timings: dict[tuple[str, str, int], float] = {}
    results = {}
    for backend in ("numba", "numpy"):
        solve(market, make_batch(market, 100, seed=3), backend=backend)  # warm-up
        for what, fn in (("prices", solve_prices), ("state", solve)):
            for workers in (1, 2):
                out, t = timed(lambda: fn(market, batch, workers=workers, backend=backend), repeat=rep_batch)
                timings[(backend, what, workers)] = t
                results[(backend, what)] = out
    labels = {"prices": "verified prices + status (solve_prices)", "state": "+ every state array (solve)"}
    for backend in ("numba", "numpy"):
        for what in ("prices", "state"):
            for workers in (1, 2):
                rows.append((f"{n:,} scenarios, {backend}, {labels[what]}, {workers} thread{'s' * (workers > 1)}",
                             timings[(backend, what, workers)], "s"))
    eq_nb, eq_np = results[("numba", "prices")], results[("numpy", "prices")]
    sol_nb, sol_np = results[("numba", "state")], results[("numpy", "state")]
    both = (eq_nb.status == STATUS_CONVERGED) & (eq_np.status == STATUS_CONVERGED)
    backend_gap = float(np.abs(eq_nb.z[both] - eq_np.z[both]).max())
    state_gap = float(np.nanmax(np.abs(sol_nb.state.X - sol_np.state.X) / np.maximum(np.abs(sol_np.state.X), 1e-300)))
    same_status = bool(np.array_equal(eq_nb.status, eq_np.status))
    sol = sol_nb
    converged = int((sol.status == STATUS_CONVERGED).sum())
    iters = sol.iterations[sol.status == STATUS_CONVERGED]

    # 3. the loop alternative on a subsample
    rng = np.random.default_rng(4)
    sample = np.sort(rng.choice(n, size=min(args.loop_sample, n), replace=False))
    z_loop = np.zeros((len(sample), R))
    ok_loop = np.zeros(len(sample), bool)

    def loop():
        for j, i in enumerate(sample):
            out = root(loop_residual_factory(market, batch, i), np.zeros(R), method="hybr", options={"xtol": 1e-12})
            z_loop[j], ok_loop[j] = out.x, out.success

    _, t_loop_sample = timed(loop, repeat=2 if args.quick else 3)
    t_loop = t_loop_sample / len(sample) * n
    rows.append((f"loop of scipy.optimize.root (lean residual), {len(sample)} scenarios timed", t_loop_sample, "s"))
    rows.append((f"loop of scipy.optimize.root (lean residual), EXTRAPOLATED to {n:,}", t_loop, "s"))

    small = sample[: max(1, len(sample) // 4)]

    def loop_kernel_residual():
        for i in small:
            prep_i = prepare(market, batch.member(int(i)))
            fun = lambda zz: evaluate(prep_i, zz[None, :], np.zeros((1, 0)), full=False).F[0]  # noqa: E731
            root(fun, np.zeros(R), method="hybr", options={"xtol": 1e-12})

    _, t_loop2_sample = timed(loop_kernel_residual, repeat=2)
    t_loop2 = t_loop2_sample / len(small) * n
    rows.append((f"same loop on the kernel's residual, {len(small)} timed", t_loop2_sample, "s"))
    rows.append((f"same loop on the kernel's residual, EXTRAPOLATED to {n:,}", t_loop2, "s"))
    agree = np.abs(z_loop[ok_loop] - eq_nb.z[sample][ok_loop]).max()
    resid_loop = max(np.abs(loop_residual_factory(market, batch, i)(z_loop[j])).max() for j, i in enumerate(sample))

    # 4. one-off costs
    rows.append(("numba: first compilation of the kernel (empty cache, fresh process)", compile_cost, "s"))
    rows.append(("numba: import numba + kernel module (fresh process)", import_cost, "s"))
    rows.append(("numba: load cached kernel + first solve (fresh process)", load_cost, "s"))
    savings = {(what, w): (timings[("numpy", what, w)] - timings[("numba", what, w)]) / n
               for what in ("prices", "state") for w in (1, 2)}
    break_even = {key: (load_cost / v if v > 0 else float("inf")) for key, v in savings.items()}

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import numba

    load = f", load average {os.getloadavg()[0]:.1f} before the run" if hasattr(os, "getloadavg") else ""
    print(f"critmin model benchmark: {R}-region market, numpy {np.__version__}, numba {numba.__version__}, "
          f"Python {platform.python_version()}, {cores} cores available{load}")
    print()
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'measurement':{width}s} {'time':>11s}")
    print("-" * (width + 12))
    for label, t, unit in rows:
        shown = f"{t * 1e3:8.3f} ms" if unit == "ms" else f"{t:9.3f} s"
        print(f"{label:{width}s} {shown:>11s}")
    print("-" * (width + 12))
    best_nb_prices = min(timings[("numba", "prices", w)] for w in (1, 2))
    best_nb_state = min(timings[("numba", "state", w)] for w in (1, 2))
    best_np_prices = min(timings[("numpy", "prices", w)] for w in (1, 2))
    print(f"RATIO loop / batch, like for like (verified equilibrium prices + status), compiled kernel: "
          f"{t_loop / best_nb_prices:,.0f}x (1 thread: {t_loop / timings[('numba', 'prices', 1)]:,.0f}x); "
          f"numpy kernel: {t_loop / best_np_prices:,.0f}x")
    print(f"RATIO loop / batch including every state array, compiled kernel: {t_loop / best_nb_state:,.0f}x")
    print(f"   (loop time extrapolated linearly from {len(sample)} timed scenarios; "
          f"a root loop on the kernel's own residual is {t_loop2 / best_nb_prices:,.0f}x slower than the batch)")
    print(f"compiled vs numpy backend: same statuses: {same_status}; max |log price difference| {backend_gap:.1e}; "
          f"max relative flow difference {state_gap:.1e}")
    shown = "; ".join(f"{what} on {w} thread{'s' * (w > 1)}: {break_even[(what, w)]:,.0f} members "
                      f"(saves {savings[(what, w)] * 1e6:.1f} us/member)"
                      for what in ("state", "prices") for w in (2, 1))
    print(f"break-even of loading the compiled kernel ({load_cost:.2f} s) in a fresh process: {shown}; "
          f"backend='auto' loads it from NUMBA_MIN_BATCH = {NUMBA_MIN_BATCH:,} members")
    print(f"batch: {converged:,}/{n:,} converged, Newton iterations median {np.median(iters):.0f}, max {iters.max()}; "
          f"max clearing residual {sol.clearing_residual[sol.status == 0].max():.1e}")
    print(f"loop: {ok_loop.sum()}/{len(sample)} reported success; max residual {resid_loop:.1e}; "
          f"max |log price| difference to the batch {agree:.1e}")


if __name__ == "__main__":
    main()

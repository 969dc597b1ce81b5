"""Throughput of the disruption Monte Carlo: one million scenario-years of one mineral.

Run::

    PYTHONPATH=src python benchmarks/bench_montecarlo.py [--draws 100000] [--horizon 10] [--loop-sample 300]

On the knowledge-base gallium market of the presets, with the disruption library's events
and elasticity draws (``draws x horizon`` scenario-years, default 1,000,000):

1. in process (the kernel's own threads, default: the number of cores);
2. on a local Dask cluster of 1 and of 2 worker processes (one thread each); the
   cluster's start-up is timed apart from the run, and the results are checked to equal
   the in-process ones (same seed);
3. the alternative: a plain Python loop that evaluates one draw at a time through the
   same code (design, shocks, one ``simulate_batch`` call per draw), timed on
   ``--loop-sample`` draws and **extrapolated linearly** to all draws (stated in the
   output).

Scenario-years without any shock are the base point exactly and are not solved (the
engine returns the base for a no-op; tested); the number actually solved is printed.
Benchmarks are not timed tests: the figures depend on the machine and its load, which is
printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=100_000)
    ap.add_argument("--horizon", type=int, default=10)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--loop-sample", type=int, default=300)
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()

    from critmin.model.montecarlo import setup
    from critmin.model.montecarlo.runner import RunSpec, default_chunk_draws, evaluate_chunk, run

    print(f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"cores {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f} (the machine may be shared)")
    s = setup("gallium", horizon=args.horizon)
    ev, design = s.evaluator, s.design
    years = args.draws * args.horizon
    print(f"market {ev.info.key}: regions {list(ev.info.regions)}, {len(design.events)} events "
          f"({', '.join(e.label for e in design.events)}), {design.dims} input dimensions per draw")
    print(f"{args.draws:,} draws x {args.horizon} years = {years:,} scenario-years, chunk "
          f"{default_chunk_draws(args.draws, args.horizon):,} draws")

    t0 = time.perf_counter()
    local = run(ev, design, args.draws, args.seed, backend="inprocess")
    t_local = time.perf_counter() - t0
    solved = local.solved
    print(f"\nin process          {t_local:8.2f} s  {years / t_local:12,.0f} scenario-years/s  "
          f"({solved:,} solved, {solved / t_local:,.0f} solves/s; status {local.status_counts()})")

    timings = {"inprocess": t_local}
    if not args.skip_dask:
        from distributed import Client, LocalCluster

        for n in (1, 2):
            t0 = time.perf_counter()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0", silence_logs=40)
            client = Client(cluster)
            client.run(lambda: __import__("critmin.model.montecarlo.runner"))  # warm imports on the workers
            t_start = time.perf_counter() - t0
            t0 = time.perf_counter()
            remote = run(ev, design, args.draws, args.seed, scheduler=cluster.scheduler_address)
            t_run = time.perf_counter() - t0
            client.close()
            cluster.close()
            same = remote.outcomes.equals(local.outcomes) and remote.inputs.equals(local.inputs)
            timings[f"dask{n}"] = t_run
            print(f"dask, {n} worker(s)    {t_run:8.2f} s  {years / t_run:12,.0f} scenario-years/s  "
                  f"(cluster start {t_start:.1f} s, not included; identical to in-process: {same})")
        print(f"scaling 1 -> 2 Dask workers: {timings['dask1'] / timings['dask2']:.2f}x; "
              f"2 workers vs in process: {t_local / timings['dask2']:.2f}x")

    # the alternative: one draw at a time through the same code
    spec = RunSpec(args.draws, args.seed, "random", 1)
    k = min(args.loop_sample, args.draws)
    t0 = time.perf_counter()
    for i in range(k):
        evaluate_chunk(ev, design, spec, i, i + 1)
    t_loop = time.perf_counter() - t0
    est = t_loop * args.draws / k
    best = min(timings.values())
    print(f"\nplain loop, one draw per call: {t_loop:.2f} s for {k} draws, EXTRAPOLATED linearly to "
          f"{args.draws:,} draws: {est:,.0f} s")
    print(f"ratio loop / batched in process: {est / t_local:.0f}x; loop / fastest run: {est / best:.0f}x")


if __name__ == "__main__":
    main()

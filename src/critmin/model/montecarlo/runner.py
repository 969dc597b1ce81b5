"""Running a Monte Carlo design: chunks, backends, checkpoints, resume.

A run of ``N`` draws is cut into fixed chunks of consecutive draws. Each chunk is one
task: uniforms for its draws (:mod:`.sampling`, a function of the seed and the draw
index only), the design's shocks, the evaluator's outcomes, returned as two tidy tables
(per scenario-year outcomes, per draw inputs). Because no chunk depends on another and a
draw's numbers depend only on ``(seed, draw)``, the result is the same whatever the
backend, the number of workers, the order chunks finish in, or an interruption and resume.

Backends
--------
``inprocess``
    Chunks run one after another in this process (the kernel uses its own threads).
``dask``
    Chunks are Dask tasks. Without ``scheduler`` a ``distributed.LocalCluster`` of worker
    processes (one thread each, loopback only, the dashboard on a free loopback port) is started and closed
    afterwards; with ``scheduler="tcp://host:8786"`` an existing cluster is used (its
    workers need critmin installed). A task whose worker dies is rerun elsewhere by the
    scheduler; a task that raises is retried (``retries``). The client writes each chunk's
    tables once, keyed by chunk number, so a rerun task cannot count a draw twice; the
    assembled result is checked to hold every draw and year exactly once.
``auto``
    ``inprocess`` up to :data:`AUTO_DASK_ABOVE` scenario-years, else ``dask``.

Checkpoints
-----------
With ``run_dir`` every finished chunk is written as Parquet (``chunks/inputs-NNNNN`` then
``chunks/outcomes-NNNNN``, each written aside and renamed) next to ``manifest.json``, which
records everything that determines the results (market and engine fingerprints, the
design, draws, seed, sampling method, chunk size, extra outputs). ``resume=True``
continues an interrupted run: chunks with both files are kept, the rest are computed. A
resume whose parameters differ from the manifest is refused, naming the differences;
backend, scheduler and worker count are not part of it (they do not change results).
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from critmin.errors import CritminError

from .design import Design
from .evaluator import STATUS_NAMES, Evaluator
from .sampling import METHODS, uniforms

AUTO_DASK_ABOVE = 200_000
MANIFEST = "manifest.json"
FORMAT_VERSION = 1

ProgressCallback = Callable[[int, int, int], None]  # (chunks done, chunks total, scenario-years done)


class MonteCarloError(CritminError):
    """A run that cannot start or continue as asked (bad parameters, a mismatched resume)."""


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines a run's numbers."""

    draws: int
    seed: int
    method: str = "random"
    chunk_draws: int = 0
    extra: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.draws < 1:
            raise MonteCarloError(f"draws must be >= 1, got {self.draws}")
        if self.seed < 0:
            raise MonteCarloError(f"seed must be >= 0, got {self.seed}")
        if self.method not in METHODS:
            raise MonteCarloError(f"sampling method must be one of {METHODS}, got {self.method!r}")
        if self.chunk_draws < 0:
            raise MonteCarloError("chunk size must be positive")


def default_chunk_draws(draws: int, horizon: int) -> int:
    """Chunk size from the run's size only (never from the backend), so a resume finds the same chunks."""
    lo = math.ceil(10_000 / horizon)
    hi = math.ceil(50_000 / horizon)
    return max(1, min(max(math.ceil(draws / 32), lo), hi, draws))


@dataclass
class RunResult:
    """The assembled run: per scenario-year outcomes and per draw inputs, sorted by draw."""

    outcomes: pd.DataFrame
    inputs: pd.DataFrame
    design: Design
    spec: RunSpec
    run_dir: Path | None
    backend: str
    seconds: float
    chunks_computed: int
    chunks_total: int
    notes: list[str] = field(default_factory=list)

    @property
    def scenario_years(self) -> int:
        return len(self.outcomes)

    @property
    def solved(self) -> int:
        return int((self.outcomes["status"] != 100).sum())

    def status_counts(self) -> dict[str, int]:
        counts = self.outcomes["status"].value_counts().sort_index()
        return {STATUS_NAMES.get(int(k), str(k)): int(v) for k, v in counts.items()}


# --- one chunk -------------------------------------------------------------------------------------

def evaluate_chunk(evaluator: Evaluator, design: Design, spec: RunSpec, start: int, stop: int
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcomes (one row per draw and year) and inputs (one row per draw) of draws ``start..stop-1``."""
    u = uniforms(spec.seed, start, stop, design.dims, method=spec.method, n_total=spec.draws)
    draws = np.arange(start, stop, dtype=np.int64)
    shocks, inputs, mask = design.realise(u, draws)
    out = evaluator.evaluate(shocks, extra=tuple(spec.extra))
    n, h = len(draws), design.horizon
    frame = {"draw": np.repeat(draws, h), "year": np.tile(np.arange(h, dtype=np.int16), n),
             "status": out.pop("status").astype(np.int16).ravel(),
             "iterations": out.pop("iterations").astype(np.int16).ravel(), "active_mask": mask.ravel(),
             "message": np.asarray(out.pop("message"), dtype=object).ravel().astype(str)}
    for name, values in out.items():
        frame[name] = np.asarray(values, dtype=float).ravel()
    return pd.DataFrame(frame), inputs


# --- checkpoints -----------------------------------------------------------------------------------

def _identity(design: Design, spec: RunSpec) -> dict:
    return {"format": FORMAT_VERSION, "design": design.describe(), "draws": spec.draws, "seed": spec.seed,
            "method": spec.method, "chunk_draws": spec.chunk_draws, "extra": list(spec.extra)}


def _diff(a: object, b: object, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _diff(a.get(k), b.get(k), f"{path}.{k}" if path else k)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += _diff(x, y, f"{path}[{i}]")
        return out
    return [] if a == b else [f"{path}: run directory has {a!r}, this run asks {b!r}"]


def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _chunk_paths(run_dir: Path, i: int) -> tuple[Path, Path]:
    return run_dir / "chunks" / f"inputs-{i:05d}.parquet", run_dir / "chunks" / f"outcomes-{i:05d}.parquet"


def _prepare_run_dir(run_dir: Path, identity: dict, resume: bool, info: dict) -> set[int]:
    manifest_path = run_dir / MANIFEST
    if manifest_path.exists():
        if not resume:
            raise MonteCarloError(f"{run_dir} already holds a run (manifest.json); pass --resume to continue it, "
                                  "or choose another run directory")
        stored = json.loads(manifest_path.read_text(encoding="utf-8"))
        differences = _diff(stored.get("identity"), json.loads(json.dumps(identity, default=str)))
        if differences:
            raise MonteCarloError(f"cannot resume {run_dir}: its parameters differ from this run's: "
                                  + "; ".join(differences[:8]) + ("; ..." if len(differences) > 8 else ""))
        done = set()
        for path in (run_dir / "chunks").glob("outcomes-*.parquet"):
            i = int(path.stem.split("-")[1])
            if _chunk_paths(run_dir, i)[0].exists():
                done.add(i)
        return done
    if resume and run_dir.exists() and any(run_dir.iterdir()):
        raise MonteCarloError(f"cannot resume {run_dir}: no manifest.json there")
    (run_dir / "chunks").mkdir(parents=True, exist_ok=True)
    manifest = {"identity": identity, "info": info, "status": "running",
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    tmp = manifest_path.with_name(MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, manifest_path)
    return set()


def _mark_complete(run_dir: Path, seconds: float) -> None:
    path = run_dir / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["status"] = "complete"
    manifest["seconds_last_session"] = seconds
    tmp = path.with_name(MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)


# --- the run ---------------------------------------------------------------------------------------

def run(evaluator: Evaluator, design: Design, draws: int, seed: int, *, method: str = "random",
        chunk_draws: int | None = None, backend: str = "auto", scheduler: str | None = None,
        workers: int | None = None, run_dir: str | Path | None = None, resume: bool = False,
        extra: tuple[str, ...] = (), progress: ProgressCallback | None = None, retries: int = 3) -> RunResult:
    """Run ``draws`` draws of ``design`` on ``evaluator`` (see the module docstring).

    Parameters
    ----------
    evaluator : Evaluator
    design : Design
        Built on ``evaluator.info``.
    draws, seed : int
    method : {"random", "lhs"}
    chunk_draws : int, optional
        Draws per chunk; default :func:`default_chunk_draws` (does not change results).
    backend : {"auto", "inprocess", "dask"}
    scheduler : str, optional
        Address of an existing Dask scheduler (implies ``dask``).
    workers : int, optional
        Worker processes of the local cluster (default: the CPU count).
    run_dir : path, optional
        Checkpoint directory (Parquet per chunk plus a manifest).
    resume : bool
        Continue the run in ``run_dir``.
    extra : tuple of str
        Extra outputs (e.g. ``("required_release",)`` for stockpile sizing).
    progress : callable, optional
        Called as ``progress(chunks_done, chunks_total, scenario_years_done)``.
    retries : int
        Retries of a Dask task that raised.
    """
    if backend not in ("auto", "inprocess", "dask"):
        raise MonteCarloError(f"backend must be auto, inprocess or dask, got {backend!r}")
    if evaluator.info.fingerprint != design.info.fingerprint:
        raise MonteCarloError("the design was built for another evaluator (fingerprints differ)")
    spec = RunSpec(draws, seed, method, chunk_draws or default_chunk_draws(draws, design.horizon), tuple(extra))
    if scheduler:
        backend = "dask"
    elif backend == "auto":
        backend = "dask" if draws * design.horizon > AUTO_DASK_ABOVE else "inprocess"
    n_chunks = math.ceil(draws / spec.chunk_draws)
    bounds = [(i * spec.chunk_draws, min(draws, (i + 1) * spec.chunk_draws)) for i in range(n_chunks)]
    identity = _identity(design, spec)
    root = Path(run_dir) if run_dir is not None else None
    info = {"market": design.info.key, "mineral": design.info.mineral, "stage": design.info.stage,
            "unit": design.info.unit, "price_unit": design.info.price_unit, "strata": list(design.info.strata),
            "assumptions": list(design.info.assumptions)}
    done = _prepare_run_dir(root, identity, resume, info) if root is not None else set()
    pending = [i for i in range(n_chunks) if i not in done]
    tables: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}
    t0 = time.perf_counter()
    years_done = sum(b - a for i, (a, b) in enumerate(bounds) if i in done) * design.horizon

    def finished(i: int, result: tuple[pd.DataFrame, pd.DataFrame]) -> None:
        nonlocal years_done
        if i in tables or i in done:
            return  # a rerun task's duplicate result: each chunk is kept once
        if root is not None:
            p_in, p_out = _chunk_paths(root, i)
            _write_atomic(result[1], p_in)
            _write_atomic(result[0], p_out)
        tables[i] = result
        years_done += (bounds[i][1] - bounds[i][0]) * design.horizon
        if progress is not None:
            progress(len(done) + len(tables), n_chunks, years_done)

    if progress is not None:
        progress(len(done), n_chunks, years_done)
    if pending:
        if backend == "inprocess":
            for i in pending:
                finished(i, evaluate_chunk(evaluator, design, spec, *bounds[i]))
        else:
            _run_dask(evaluator, design, spec, bounds, pending, scheduler, workers, retries, finished)
    seconds = time.perf_counter() - t0
    outcomes, inputs = _assemble(root, tables, n_chunks, spec, design)
    if root is not None:
        _mark_complete(root, seconds)
    return RunResult(outcomes, inputs, design, spec, root, backend, seconds, len(tables), n_chunks)


def _run_dask(evaluator: Evaluator, design: Design, spec: RunSpec, bounds: list[tuple[int, int]], pending: list[int],
              scheduler: str | None, workers: int | None, retries: int,
              finished: Callable[[int, tuple[pd.DataFrame, pd.DataFrame]], None]) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise MonteCarloError("the dask backend needs dask[distributed] (pip install 'dask[distributed]')") from exc
    cluster = None
    worker_evaluator = copy.copy(evaluator)
    if hasattr(worker_evaluator, "threads"):
        worker_evaluator.threads = 1  # the workers are the parallelism; the kernel stays single-threaded
    try:
        if scheduler:
            client = Client(scheduler, timeout="30s")
        else:
            n = workers or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0", silence_logs=40)
            client = Client(cluster)
        try:
            token = f"{spec.seed}-{spec.draws}-{time.time_ns()}"
            futures = {client.submit(evaluate_chunk, worker_evaluator, design, spec, *bounds[i], retries=retries,
                                     key=f"critmin-montecarlo-{token}-{i}", pure=False): i for i in pending}
            try:
                for future in as_completed(futures):
                    finished(futures[future], future.result())
            finally:
                for future in futures:
                    future.cancel()
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def _assemble(root: Path | None, tables: dict[int, tuple[pd.DataFrame, pd.DataFrame]], n_chunks: int, spec: RunSpec,
              design: Design) -> tuple[pd.DataFrame, pd.DataFrame]:
    outs, ins = [], []
    for i in range(n_chunks):
        if i in tables:
            o, inp = tables[i]
        elif root is not None:
            p_in, p_out = _chunk_paths(root, i)
            o, inp = pd.read_parquet(p_out), pd.read_parquet(p_in)
        else:  # pragma: no cover - every chunk is either computed or checkpointed
            raise MonteCarloError(f"chunk {i} is missing")
        outs.append(o)
        ins.append(inp)
    outcomes = pd.concat(outs, ignore_index=True).sort_values(["draw", "year"], kind="stable").reset_index(drop=True)
    inputs = pd.concat(ins, ignore_index=True).sort_values("draw", kind="stable").reset_index(drop=True)
    expected = spec.draws * design.horizon
    if len(outcomes) != expected or outcomes.duplicated(["draw", "year"]).any():
        raise MonteCarloError(f"the assembled run has {len(outcomes)} scenario-years, duplicates "
                              f"{int(outcomes.duplicated(['draw', 'year']).sum())}; expected {expected} exactly once")
    if len(inputs) != spec.draws or not np.array_equal(inputs["draw"].to_numpy(), np.arange(spec.draws)):
        raise MonteCarloError("the assembled run does not hold every draw exactly once")
    return outcomes, inputs


def load_run(run_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Outcomes, inputs and manifest of a run directory (complete or partial), sorted by draw."""
    root = Path(run_dir)
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    outs = sorted((root / "chunks").glob("outcomes-*.parquet"))
    ins = sorted((root / "chunks").glob("inputs-*.parquet"))
    outcomes = pd.concat([pd.read_parquet(p) for p in outs], ignore_index=True) if outs else pd.DataFrame()
    inputs = pd.concat([pd.read_parquet(p) for p in ins], ignore_index=True) if ins else pd.DataFrame()
    if len(outcomes):
        outcomes = outcomes.sort_values(["draw", "year"], kind="stable").reset_index(drop=True)
        inputs = inputs.sort_values("draw", kind="stable").reset_index(drop=True)
    return outcomes, inputs, manifest

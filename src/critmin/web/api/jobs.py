"""Background jobs of the risk analysis: Monte Carlo, stockpile sizing, project returns, the ranking.

A ``POST /jobs/<kind>`` validates its body (limits on draws, horizon and sizes; a 4xx in
plain words otherwise), queues the run and answers ``202`` with the job's id and links.
``GET /jobs/{id}`` gives its status (``queued``, ``running``, ``succeeded``, ``failed``,
``cancelled``) and progress (chunks and draws done, the fraction); ``DELETE /jobs/{id}``
asks it to stop: a queued job never starts, a running one stops at its next chunk and says
``cancelled``. ``GET /jobs/{id}/result`` answers the result of a finished job (409 with the
job's state otherwise) and ``GET /jobs/{id}/report.html`` the same as an HTML report.

Runs happen in this process, in a pool of :data:`RUNNING` thread(s); at most
:data:`QUEUED` jobs wait (a 429 past that), and the table keeps :data:`KEPT` jobs (the
oldest finished job is forgotten first). A run that fails ends ``failed`` with its reason,
never with zeros; nothing here answers a 500.

Every number comes from :mod:`critmin.model.montecarlo` (the payloads of
:mod:`critmin.model.montecarlo.figures`), called with the same arguments the CLI uses, so
the same seed gives the same numbers as ``critmin montecarlo|stockpile|project``. The
chunk size is set so a job reports progress about twenty times; it does not change results.
"""

from __future__ import annotations

import atexit
import math
import threading
import time
import uuid
from collections import OrderedDict
import queue
from dataclasses import dataclass, field
from typing import Literal, Optional

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from critmin.web.api.responses import BODY_RESPONSES, RESPONSES, Problem, json_response, problem

router = APIRouter(responses=RESPONSES, tags=["jobs"])

#: Runs at a time (the kernel already uses the cores it has).
RUNNING = 1
#: Jobs that may wait for a free runner; more is a 429.
QUEUED = 8
#: Jobs kept in the table (finished ones are forgotten oldest first).
KEPT = 64
#: Limits of a request (a bigger run belongs on the CLI, with ``--backend dask``).
MAX_DRAWS = 20_000
MAX_SCENARIO_YEARS = 50_000
MAX_HORIZON = 10
MAX_RANKING_DRAWS = 2_000
MAX_RANKING_MINERALS = 40
MAX_COVERAGES = 10
ID_PATTERN = r"^[0-9a-f]{12}$"
NAME = r"^[A-Za-z0-9 ,()'._-]{1,80}$"
STATES = ("queued", "running", "succeeded", "failed", "cancelled")

def _docs(**codes: str) -> dict:
    return {int(c[1:]): {"model": Problem, "description": text} for c, text in codes.items()}


CONFLICT = _docs(c409="The job has not succeeded (still queued or running, failed, or cancelled); the detail says "
                      "which, with the failure's reason.")
JOB_RESPONSES = {202: {"description": "Accepted: the job's id, status, progress and links."},
                 **_docs(c404="Unknown mineral (with the catalogue's closest names).",
                         c429="Too many jobs waiting, or the job table full of running jobs; try again later.")}


class JobCancelled(Exception):
    """Raised from the progress callback of a job asked to stop (never a critmin error: nothing catches it)."""


# --- requests --------------------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class MonteCarloRequest(_Strict):
    """A disruption Monte Carlo of one mineral (``critmin montecarlo MINERAL``)."""

    mineral: str = Field(..., pattern=NAME, description="Mineral name or id, e.g. gallium, cobalt, 'rare earths'.")
    draws: int = Field(1000, ge=1, le=MAX_DRAWS, description="Draws (paths of `horizon` years).")
    seed: int = Field(0, ge=0, le=2**32 - 1)
    horizon: int = Field(1, ge=1, le=MAX_HORIZON, description="Years per draw.")
    method: Literal["random", "lhs"] = Field("random", description="Plain random or Latin hypercube sampling.")
    fixed_elasticities: bool = Field(False, description="Do not draw elasticity multipliers (CLI --fixed-elasticities).")

    @model_validator(mode="after")
    def _size(self):
        if self.draws * self.horizon > MAX_SCENARIO_YEARS:
            raise PydanticCustomError("run_size", f"draws x horizon is {self.draws * self.horizon:,} scenario-years; a web job runs at most "
                             f"{MAX_SCENARIO_YEARS:,} (use the CLI, with --backend dask, for more)")
        return self


class StockpileRequest(MonteCarloRequest):
    """Stockpile sizing (``critmin stockpile MINERAL``)."""

    coverage: list[float] = Field([0.5, 0.8, 0.9, 0.95, 0.99], min_length=1, max_length=MAX_COVERAGES,
                                  description="Target probabilities the stock covers, each in (0, 1).")
    rule: Literal["horizon", "annual"] = "horizon"
    holding_rate: float = Field(0.07, ge=0, le=1, description="Yearly holding cost, share of the stock's value (OMB A-94 7%).")
    discount_rate: float = Field(0.07, ge=0, le=0.5)

    @model_validator(mode="after")
    def _coverages(self):
        bad = [c for c in self.coverage if not 0 < c < 1]
        if bad:
            raise PydanticCustomError("coverage", f"coverage: every target must lie strictly between 0 and 1 (got {bad})")
        return self


class ProjectRequest(_Strict):
    """A new mine or refinery with and without a price floor (``critmin project MINERAL``)."""

    mineral: str = Field(..., pattern=NAME)
    deposit: Optional[str] = Field(None, pattern=NAME, description="A lithium deposit of Busch et al. (2024).")
    capacity: Optional[float] = Field(None, gt=0, le=1e12)
    capex: Optional[float] = Field(None, gt=0, le=1e14)
    opex: Optional[float] = Field(None, ge=0, le=1e12)
    construction_years: Optional[int] = Field(None, ge=0, le=15)
    ramp_years: Optional[int] = Field(None, ge=0, le=15)
    life_years: Optional[int] = Field(None, ge=1, le=30)
    tax_rate: Optional[float] = Field(None, ge=0, lt=1)
    discount_rate: Optional[float] = Field(None, ge=0, le=0.5)
    floor: Optional[float] = Field(None, gt=0, le=1e12, description="Price floor in the price series' basis.")
    upside_share: float = Field(0.0, ge=0, le=1)
    term: Optional[int] = Field(None, ge=1, le=30)
    confidence: float = Field(0.9, gt=0, lt=1)
    draws: int = Field(2000, ge=1, le=MAX_DRAWS)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    process: Literal["ou", "gbm"] = "ou"
    series: Optional[str] = Field(None, pattern=NAME)
    sigma: Optional[float] = Field(None, gt=0, le=5)
    kappa: Optional[float] = Field(None, ge=0, le=10)
    price: Optional[float] = Field(None, gt=0, le=1e12)
    quantity: Optional[float] = Field(None, gt=0, le=1e12)

    @model_validator(mode="after")
    def _inputs(self):
        missing = [k for k in ("capacity", "capex", "opex") if getattr(self, k) is None]
        if self.deposit is None and missing:
            raise PydanticCustomError(
                "project_inputs", "give " + ", ".join(missing) + " (capacity per year in the price's quantity unit, "
                "capex in money, opex per unit), or a lithium deposit of Busch et al. (2024) in deposit")
        return self


class RankingRequest(_Strict):
    """The expected-loss ranking (``critmin montecarlo all``), of every calibrated mineral or of a few."""

    draws: int = Field(500, ge=1, le=MAX_RANKING_DRAWS, description="Draws per mineral.")
    seed: int = Field(0, ge=0, le=2**32 - 1)
    horizon: int = Field(1, ge=1, le=5)
    method: Literal["random", "lhs"] = "random"
    minerals: Optional[list[str]] = Field(None, min_length=1, max_length=MAX_RANKING_MINERALS,
                                          description="Only these minerals (default: every calibrated mineral of "
                                                      "the 2025 list).")

    @model_validator(mode="after")
    def _names(self):
        import re

        for m in self.minerals or []:
            if not re.fullmatch(NAME, m):
                raise PydanticCustomError("mineral_name", f"minerals: {m!r} is not a mineral name (letters, digits, spaces, 1-80 characters)")
        return self


# --- the job table ---------------------------------------------------------------------------------

@dataclass
class Job:
    id: str
    kind: str
    params: dict
    status: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    chunks_done: int = 0
    chunks_total: int | None = None
    draws_done: int = 0
    draws_total: int = 0
    fraction: float = 0.0
    stage: str = "queued"
    reason: str | None = None
    result: dict | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def view(self) -> dict:
        base = f"/api/v1/jobs/{self.id}"
        return {
            "id": self.id, "kind": self.kind, "status": self.status, "params": self.params,
            "progress": {"fraction": round(self.fraction, 4), "draws_done": self.draws_done,
                         "draws_total": self.draws_total, "chunks_done": self.chunks_done,
                         "chunks_total": self.chunks_total, "stage": self.stage},
            "reason": self.reason,
            "created": _iso(self.created), "started": _iso(self.started), "finished": _iso(self.finished),
            "seconds": None if self.started is None else round((self.finished or time.time()) - self.started, 3),
            "links": {"self": base, "result": f"{base}/result", "report": f"{base}/report.html"},
        }


def _iso(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class JobTable:
    """The bounded table of jobs and the pool that runs them."""

    def __init__(self, running: int = RUNNING, queued: int = QUEUED, kept: int = KEPT) -> None:
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.lock = threading.Lock()
        self.queued, self.kept = queued, kept
        self.line: queue.Queue = queue.Queue()
        # daemon threads: stopping the server does not wait for a run (a concurrent.futures pool would)
        self.runners = [threading.Thread(target=self._serve, name=f"critmin-job-{i}", daemon=True)
                        for i in range(running)]
        for t in self.runners:
            t.start()
        atexit.register(self.close, cancel=True, timeout=60)

    def _serve(self) -> None:
        while True:
            job = self.line.get()
            if job is None:
                return
            self._run(job)

    def close(self, cancel: bool = False, timeout: float | None = None) -> None:
        """Stop the runners once the jobs in line have run, or, with ``cancel``, at their next chunk.

        Called at exit with ``cancel=True`` (a run is not torn down inside the model's native
        code when the interpreter stops), and by tests that share the knowledge base's connection.
        """
        if cancel:
            with self.lock:
                for job in self.jobs.values():
                    if job.status in ("queued", "running"):
                        self.cancel(job)
        for _ in self.runners:
            self.line.put(None)
        for t in self.runners:
            t.join(timeout)

    def submit(self, kind: str, params: dict) -> Job:
        with self.lock:
            waiting = sum(1 for j in self.jobs.values() if j.status == "queued")
            if waiting >= self.queued:
                raise problem(429, f"{waiting} jobs are already waiting to run; try again when one has finished "
                                   "(or cancel one with DELETE /api/v1/jobs/{id})")
            while len(self.jobs) >= self.kept:
                old = next((k for k, j in self.jobs.items() if j.status in ("succeeded", "failed", "cancelled")), None)
                if old is None:
                    raise problem(429, f"the job table is full ({self.kept} jobs queued or running); try again later")
                del self.jobs[old]
            job = Job(uuid.uuid4().hex[:12], kind, params)
            self.jobs[job.id] = job
        self.line.put(job)
        return job

    def get(self, job_id: str) -> Job:
        with self.lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise problem(404, f"no job {job_id} (unknown, or forgotten: the server keeps the last {self.kept} jobs)")
        return job

    def _run(self, job: Job) -> None:
        if job.cancel.is_set():
            return
        job.status, job.started, job.stage = "running", time.time(), "setting up"
        try:
            job.result = RUNNERS[job.kind](job)
        except JobCancelled:
            job.status, job.stage = "cancelled", "cancelled"
            job.reason = "cancelled on request; the run stopped at its next chunk"
        except Exception as exc:  # noqa: BLE001 - a failed run is a status with its reason, never a 500 or zeros
            job.status, job.stage = "failed", "failed"
            job.reason = _reason(exc)
        else:
            if job.cancel.is_set():  # asked to stop after the last chunk: honour it, drop the result
                job.status, job.stage, job.result = "cancelled", "cancelled", None
                job.reason = "cancelled on request"
            else:
                job.status, job.stage, job.fraction = "succeeded", "done", 1.0
        finally:
            job.finished = time.time()

    def cancel(self, job: Job) -> None:
        job.cancel.set()
        if job.status == "queued":
            job.status, job.stage, job.finished = "cancelled", "cancelled", time.time()
            job.reason = "cancelled on request before it started"


def _reason(exc: Exception) -> str:
    from critmin.errors import CritminError

    if isinstance(exc, (CritminError, ValueError, KeyError)):
        text = str(exc).strip("'\"")
        return text or type(exc).__name__
    return f"the run failed ({type(exc).__name__}: {exc})"


def table(request: Request) -> JobTable:
    state = request.app.state
    if getattr(state, "jobs", None) is None:
        with _CREATE:
            if getattr(state, "jobs", None) is None:
                state.jobs = JobTable()
    return state.jobs


_CREATE = threading.Lock()


# --- runs: parse -> call the model -> payload ------------------------------------------------------

def job_chunk(draws: int) -> int:
    """Draws per chunk of a web job: up to twenty progress steps (results do not depend on it).

    Not below 200 draws: each chunk costs a fixed ~0.1 s of setting up shocks and frames."""
    return max(200, math.ceil(draws / 20))


def _progress(job: Job, horizon: int):
    """A runner progress callback updating ``job`` and raising :class:`JobCancelled` when asked to stop."""

    def callback(done: int, total: int, years: int) -> None:
        if job.cancel.is_set():
            raise JobCancelled()
        job.stage = "running draws"
        job.chunks_done, job.chunks_total = done, total
        job.draws_done = years // horizon
        job.fraction = min(1.0, job.draws_done / job.draws_total) if job.draws_total else 0.0

    return callback


def _elasticity(fixed: bool):
    from critmin.model.montecarlo.design import DEFAULT_ELASTICITY_SPREAD

    return None if fixed else DEFAULT_ELASTICITY_SPREAD


def run_montecarlo(job: Job) -> dict:
    from critmin.model.montecarlo import disruption_montecarlo
    from critmin.model.montecarlo.figures import disruption_payload

    p = job.params
    job.draws_total = p["draws"]
    r = disruption_montecarlo(p["mineral"], p["draws"], p["seed"], method=p["method"], horizon=p["horizon"],
                              backend="inprocess", elasticity=_elasticity(p["fixed_elasticities"]),
                              chunk_draws=job_chunk(p["draws"]), progress=_progress(job, p["horizon"]))
    return disruption_payload(r)


def run_stockpile(job: Job) -> dict:
    from critmin.model.montecarlo import stockpile_sizing
    from critmin.model.montecarlo.figures import stockpile_payload

    p = job.params
    job.draws_total = p["draws"]
    tbl, r = stockpile_sizing(p["mineral"], p["draws"], p["seed"], coverages=tuple(p["coverage"]), rule=p["rule"],
                              holding_rate=p["holding_rate"], discount_rate=p["discount_rate"], method=p["method"],
                              horizon=p["horizon"], backend="inprocess", elasticity=_elasticity(p["fixed_elasticities"]),
                              chunk_draws=job_chunk(p["draws"]), progress=_progress(job, p["horizon"]))
    return stockpile_payload(tbl, r, rule=p["rule"])


def run_project(job: Job) -> dict:
    """One vectorised call (no chunks): cancelling stops it before it starts or discards its result."""
    from critmin.model.montecarlo.figures import project_payload
    from critmin.model.montecarlo.project_risk import project_analysis

    p = dict(job.params)
    job.draws_total = p["draws"]
    job.stage = "simulating price paths"
    a = project_analysis(**p)
    job.draws_done = p["draws"]
    return project_payload(a)


def run_ranking(job: Job) -> dict:
    from critmin.model.montecarlo import expected_loss_ranking
    from critmin.model.montecarlo.figures import ranking_payload
    from critmin.model.montecarlo.markets import default_market, ranking_markets

    p = job.params
    job.stage = "choosing markets"
    if p["minerals"]:
        choices, missing = [], []
        for m in p["minerals"]:
            try:
                choices.append(default_market(m))
            except Exception as exc:  # noqa: BLE001 - listed with its reason, like the ranking's own misses
                missing.append({"mineral": m, "reason": _reason(exc)})
    else:
        choices, missing = ranking_markets()
    if job.cancel.is_set():
        raise JobCancelled()
    n = len(choices)
    job.draws_total = n * p["draws"]
    seen = {"market": -1}

    def callback(done: int, total: int, years: int) -> None:
        if job.cancel.is_set():
            raise JobCancelled()
        if done == 0 and years == 0:
            seen["market"] += 1
        k = max(0, seen["market"])
        job.stage = f"market {k + 1} of {n}: {choices[k].mineral}" if k < n else "finishing"
        job.chunks_done, job.chunks_total = done, total
        job.draws_done = k * p["draws"] + years // p["horizon"]
        job.fraction = min(1.0, job.draws_done / job.draws_total) if job.draws_total else 0.0

    ranking, by_event, miss = expected_loss_ranking(p["draws"], p["seed"], horizon=p["horizon"], method=p["method"],
                                                    backend="inprocess", progress=callback, chosen=(choices, missing),
                                                    chunk_draws=job_chunk(p["draws"]))
    return ranking_payload(ranking, by_event, miss, draws=p["draws"], seed=p["seed"], horizon=p["horizon"],
                           method=p["method"])


RUNNERS = {"montecarlo": run_montecarlo, "stockpile": run_stockpile, "project": run_project, "ranking": run_ranking}


def _known_mineral(name: str) -> str:
    """The catalogue id of ``name`` (404 with close names if unknown), checked before anything is queued."""
    from critmin.vocab import commodities as vc

    return vc.lookup(name).commodity_id


def _accepted(job: Job) -> Response:
    return json_response(job.view(), status_code=202)


# --- endpoints -------------------------------------------------------------------------------------

@router.post("/jobs/montecarlo", status_code=202, responses={**JOB_RESPONSES, **BODY_RESPONSES},
             summary="Start a disruption Monte Carlo of one mineral (background job)")
def start_montecarlo(request: Request, body: MonteCarloRequest):
    """Distributions of US prices, shortfalls, losses and fiscal costs, loss by event, drivers (as the CLI's
    ``critmin montecarlo MINERAL --draws N --seed S``)."""
    _known_mineral(body.mineral)
    return _accepted(table(request).submit("montecarlo", body.model_dump()))


@router.post("/jobs/stockpile", status_code=202, responses={**JOB_RESPONSES, **BODY_RESPONSES},
             summary="Start a stockpile sizing (background job)")
def start_stockpile(request: Request, body: StockpileRequest):
    """The stock covering each target probability of shortfall, and its cost (``critmin stockpile MINERAL``)."""
    _known_mineral(body.mineral)
    return _accepted(table(request).submit("stockpile", body.model_dump()))


@router.post("/jobs/project", status_code=202, responses={**JOB_RESPONSES, **BODY_RESPONSES},
             summary="Start a project NPV/IRR analysis with and without a floor (background job)")
def start_project(request: Request, body: ProjectRequest):
    """NPV and IRR distributions, the break-even floor and the floor's fiscal cost (``critmin project MINERAL``)."""
    _known_mineral(body.mineral)
    return _accepted(table(request).submit("project", body.model_dump()))


@router.post("/jobs/ranking", status_code=202, responses={**JOB_RESPONSES, **BODY_RESPONSES},
             summary="Start the expected-loss ranking across calibrated minerals (background job)")
def start_ranking(request: Request, body: RankingRequest):
    """Expected annual US welfare loss per mineral with its breakdown by event (``critmin montecarlo all``)."""
    for m in body.minerals or []:
        _known_mineral(m)
    return _accepted(table(request).submit("ranking", body.model_dump()))


@router.get("/jobs", summary="The jobs the server keeps, newest first")
def list_jobs(request: Request):
    jobs = list(table(request).jobs.values())[::-1]
    return json_response({"items": [j.view() for j in jobs], "total": len(jobs), "limit": None, "offset": 0,
                          "meta": {"running_at_once": RUNNING, "queue_limit": QUEUED, "kept": KEPT}})


@router.get("/jobs/{job_id}", summary="A job's status and progress")
def job_status(request: Request, job_id: str = Path(..., pattern=ID_PATTERN)):
    return json_response(table(request).get(job_id).view())


@router.delete("/jobs/{job_id}", status_code=202, responses=CONFLICT, summary="Cancel a job (it stops at its next chunk)")
def cancel_job(request: Request, job_id: str = Path(..., pattern=ID_PATTERN)):
    """A queued job is cancelled at once; a running one stops at its next chunk (its status says ``cancelled``
    when it has); a finished job is left as it is (409)."""
    jobs = table(request)
    job = jobs.get(job_id)
    if job.status in ("succeeded", "failed", "cancelled"):
        raise problem(409, f"job {job_id} has already finished ({job.status}); nothing to cancel")
    jobs.cancel(job)
    return json_response(job.view(), status_code=202)


def _finished(request: Request, job_id: str) -> Job:
    job = table(request).get(job_id)
    if job.status == "succeeded" and job.result is not None:
        return job
    if job.status in ("queued", "running"):
        raise problem(409, f"job {job_id} is {job.status} ({job.fraction:.0%} done); its result is ready when its "
                           "status is succeeded")
    raise problem(409, f"job {job_id} has no result: it {job.status}" + (f": {job.reason}" if job.reason else ""))


@router.get("/jobs/{job_id}/result", summary="The result of a finished job",
            responses={**CONFLICT, 200: {"description": "The run's tables: quantiles, histogram bins, "
                                                                "fan-chart quantiles, tornado rows, ranking."}})
def job_result(request: Request, job_id: str = Path(..., pattern=ID_PATTERN)):
    job = _finished(request, job_id)
    return json_response({"job": job.view(), "result": job.result})


@router.get("/jobs/{job_id}/report.html", summary="The result as an HTML report",
            responses={**CONFLICT, 200: {"content": {"text/html": {}},
                                         "description": "A self-contained HTML report (inline SVG charts)."}})
def job_report(request: Request, job_id: str = Path(..., pattern=ID_PATTERN)):
    from critmin.report import montecarlo as report

    job = _finished(request, job_id)
    return HTMLResponse(report.build(job.result), headers={"cache-control": "no-cache"})

"""Disruption Monte Carlo on a mineral, the expected-loss ranking, and stockpile sizing.

The three entry points of issue 13's risk analysis, each returning tidy tables an
interface presents without computing:

* :func:`disruption_montecarlo` -- distributions of prices, shortfalls, US consumer and
  producer losses and fiscal costs for one mineral, the expected loss and its breakdown by
  event, scenario discovery on the worst decile;
* :func:`expected_loss_ranking` -- the same run for every calibrated mineral, ranked by
  expected annual welfare loss of the US;
* :func:`stockpile_sizing` -- the stock that covers chosen probabilities of shortfall under
  the release rule of :mod:`.stockpile`, with its cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import CritminError

from .design import DEFAULT_ELASTICITY_SPREAD, ELASTICITY_SPREAD_SOURCE, Design
from .disruptions import events_for_market, governance_groups_from_snapshot, library_table, load_library
from .distributions import Distribution
from .chain_evaluator import ChainEvaluator
from .evaluator import EngineEvaluator
from .markets import BuiltMarket, build_market, default_market
from .runner import ProgressCallback, RunResult, run
from . import discovery, stockpile, summary


@dataclass
class Setup:
    """An evaluator and its design, with what was assumed and what was left out."""

    evaluator: EngineEvaluator | ChainEvaluator
    design: Design
    market: BuiltMarket
    notes: list[str] = field(default_factory=list)


def setup(mineral: str | None = None, *, market: str | None = None, scenario: str | None = None, horizon: int = 1,
          library: str | Path | None = None, include_disabled: bool = False,
          elasticity: Distribution | None = DEFAULT_ELASTICITY_SPREAD, strata: int = 5,
          solver_backend: str | None = None) -> Setup:
    """Build the evaluator and design for a mineral (or a market key, or a scenario overlay).

    Parameters
    ----------
    mineral : str
        Mineral name; its default market (:func:`.markets.default_market`) unless ``market``.
    market : str, optional
        A market key (``chain:kb:<mineral>:<stage>``, ``chain:ref:<name>``, ``preset:...``,
        ``kb:<mineral>:<stage>``, ``scratch:...``).
    scenario : str, optional
        A preset name or scenario YAML whose market and policies (e.g. a price floor) are
        used: the policies apply in every scenario-year (static engine) or over every draw's
        path (a chain scenario, ``engine: chain``; for a scenario of several minerals,
        ``mineral`` names the one), so their fiscal cost gets a distribution.
    horizon : int
        Years per draw.
    library : path, optional
        Another disruption library CSV (same columns as the shipped one).
    include_disabled : bool
        Also simulate the library's disabled (assumption) rows.
    elasticity : Distribution or None
        Multiplier on every elasticity kind, drawn per draw; None keeps them fixed.
    strata : int
        Strata of a data interval (a withheld figure known within bounds).
    solver_backend : {"numba", "numpy"}, optional
        The kernel that runs the Newton iterations; default the compiled one when numba
        is installed (several times faster on these batches), else numpy. It is part of
        the run's identity: the two agree to 1e-10, not bit for bit.
    """
    from critmin.model.kernel import numba_available

    if solver_backend is None:
        solver_backend = "numba" if numba_available() else "numpy"
    if scenario is not None:
        built = _scenario_market(scenario, mineral)
    else:
        key = market or default_market(mineral).key
        built = build_market(key, strata=strata)
    if built.engine == "chain":
        evaluator = ChainEvaluator(built.key, built.markets, policies=built.base, strata=built.strata,
                                   notes=built.notes, backend="compiled" if solver_backend == "numba" else "numpy")
        stage = _library_stage(built.markets[0].stages[evaluator.s].name, evaluator.s)
    else:
        evaluator = EngineEvaluator(built.key, built.markets, base=built.base,
                                    strata=built.strata, notes=built.notes, solver_backend=solver_backend)
        stage = built.markets[0].stage if built.markets[0].stage in ("mine", "processing") else \
            (built.key.split(":")[2] if built.key.startswith("kb:") else "*")
    notes: list[str] = []
    lib = load_library(library)
    events, skipped = events_for_market(lib, built.mineral, stage, evaluator.info.regions, evaluator.info.focus,
                                        governance_groups_from_snapshot(), include_disabled=include_disabled)
    notes += skipped  # the market's own notes travel in evaluator.info.assumptions
    if elasticity is not None:
        notes.append(f"elasticity uncertainty: {elasticity.describe()} multiplier per kind and draw -- "
                     + (ELASTICITY_SPREAD_SOURCE if elasticity == DEFAULT_ELASTICITY_SPREAD else "user assumption"))
    if not events:
        notes.append("no library event applies to this market's exporters: outcomes vary only through the policy "
                     "overlay and parameters")
    design = Design(evaluator.info, tuple(events), horizon=horizon, elasticity=elasticity, interval=built.interval,
                    notes=tuple(notes))
    return Setup(evaluator, design, built, notes)


def _library_stage(name: str, index: int) -> str:
    """The disruption library's stage (``mine``/``processing``) of a chain stage: its name, else by position."""
    if name in ("mine", "processing"):
        return name
    return "mine" if index == 0 and "mine" in name.lower() else "processing"


def _scenario_market(scenario, mineral: str | None) -> BuiltMarket:
    """The market and policy overlay of a scenario, of either engine."""
    from critmin.model import prepare_scenario
    from critmin.model.chain.scenario_file import ChainScenario, check_scenario, market_variants
    from critmin.model.scenario import ScenarioError, load_scenario, parse_scenario

    loaded = scenario
    if isinstance(scenario, dict):
        loaded = parse_scenario(scenario, engines=("armington", "chain"))
    elif not isinstance(scenario, ChainScenario) and not hasattr(scenario, "policies"):
        loaded = load_scenario(scenario)
    if isinstance(loaded, ChainScenario):
        names = list(loaded.minerals)
        if mineral is None and len(names) > 1:
            raise ScenarioError(f"scenario {loaded.name!r} covers {names}: name the mineral to run")
        pick = mineral if mineral in loaded.minerals else names[0] if len(names) == 1 else None
        if pick is None:
            raise ScenarioError(f"scenario {loaded.name!r} has no mineral {mineral!r}; it covers {names}")
        entry = loaded.minerals[pick]
        notes = [n for n in check_scenario(loaded) if n.startswith(pick)]
        variants = market_variants(entry, loaded.source_path)
        return BuiltMarket(f"scenario:{loaded.name}", pick, list(variants.values()),
                           [f"{pick} ({c} corner)" if c != "point" else pick for c in variants], None,
                           base=entry.policies, engine="chain",
                           notes=[f"policies of scenario {loaded.name!r} apply over every draw's path"] + notes)
    m, inst, scen_notes = prepare_scenario(loaded)
    return BuiltMarket(f"scenario:{scenario}", mineral or m.mineral, [m], [str(scenario)], None, base=inst,
                       notes=[f"policies of scenario {scenario!r} apply in every scenario-year"] + list(scen_notes))


@dataclass
class DisruptionRun:
    """A finished run with its tables."""

    setup: Setup
    result: RunResult

    @property
    def info(self):
        return self.setup.evaluator.info

    def labels(self) -> list[str]:
        return summary.event_labels(self.setup.design)

    def distributions(self) -> pd.DataFrame:
        return summary.distributions(self.result.outcomes)

    def by_event(self, column: str = "welfare_loss") -> pd.DataFrame:
        return summary.loss_by_event(self.result.outcomes, self.labels(), column)

    def headline(self) -> dict:
        out = {"market": self.info.key, "mineral": self.setup.market.mineral, "stage": self.info.stage}
        out.update(summary.headline(self.result.outcomes, self.labels(), self.info.unit, self.info.price_unit))
        out["currency"] = self.info.currency
        return out

    def events(self) -> pd.DataFrame:
        """The library rows applied, with their exporter region."""
        rows = library_table([ev.event for ev in self.setup.design.events])
        rows.insert(1, "region", [ev.region for ev in self.setup.design.events])
        rows.insert(0, "label", self.labels())
        return rows

    def path_outcome(self, column: str = "welfare_loss") -> pd.Series:
        return summary.path_totals(self.result.outcomes, column)

    def discovery(self, column: str = "welfare_loss", quantile: float = 0.9) -> dict[str, pd.DataFrame]:
        y = self.path_outcome(column).reindex(self.result.inputs["draw"]).to_numpy()
        return discovery.discover(self.result.inputs, y, quantile)

    def to_dict(self) -> dict:
        from critmin.model.results import json_safe

        disc = self.discovery()
        return json_safe({
            "headline": self.headline(),
            "distributions": self.distributions().to_dict(orient="records"),
            "by_event": self.by_event().to_dict(orient="records"),
            "events": self.events().to_dict(orient="records"),
            "discovery": {k: v.to_dict(orient="records") for k, v in disc.items()},
            "prim_box_stats": dict(disc["prim_box"].attrs),
            "run": {"draws": self.result.spec.draws, "seed": self.result.spec.seed, "method": self.result.spec.method,
                    "horizon": self.setup.design.horizon, "backend": self.result.backend,
                    "seconds": self.result.seconds, "scenario_years": self.result.scenario_years,
                    "solved": self.result.solved, "status": self.result.status_counts(),
                    "run_dir": str(self.result.run_dir) if self.result.run_dir else None},
            "strata": list(self.info.strata),
            "assumptions": list(self.info.assumptions) + list(self.setup.notes),
        })


def disruption_montecarlo(mineral: str | None = None, draws: int = 1000, seed: int = 0, *, method: str = "random",
                          backend: str = "auto", scheduler: str | None = None, workers: int | None = None,
                          run_dir: str | Path | None = None, resume: bool = False,
                          progress: ProgressCallback | None = None, extra: tuple[str, ...] = (),
                          chunk_draws: int | None = None, **setup_options) -> DisruptionRun:
    """Run the disruption Monte Carlo of one mineral (see :func:`setup` and :func:`.runner.run`).

    Examples
    --------
    >>> from critmin.model.montecarlo import disruption_montecarlo      # doctest: +SKIP
    >>> r = disruption_montecarlo("gallium", draws=5000, seed=1, horizon=5)
    >>> r.headline(); r.distributions(); r.by_event(); r.discovery()["prim_box"]
    """
    s = setup(mineral, **setup_options)
    result = run(s.evaluator, s.design, draws, seed, method=method, chunk_draws=chunk_draws, backend=backend,
                 scheduler=scheduler, workers=workers, run_dir=run_dir, resume=resume, extra=extra,
                 progress=progress)
    return DisruptionRun(s, result)


def expected_loss_ranking(draws: int = 2000, seed: int = 0, *, markets: list[str] | None = None, horizon: int = 1,
                          method: str = "random", backend: str = "inprocess", scheduler: str | None = None,
                          workers: int | None = None, progress: ProgressCallback | None = None,
                          list_year: int = 2025, chosen: tuple[list, list[dict]] | None = None,
                          chunk_draws: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Expected annual US welfare loss from disruptions for every calibrated mineral.

    Returns
    -------
    (ranking, by_event, missing)
        One row per market sorted by expected welfare loss (with consumer, producer and
        fiscal parts, the tail, the top event and failure counts); the breakdown by event
        of every market; the minerals without a calibrated market and why.

    ``chosen`` is the ``(choices, missing)`` pair of :func:`.markets.ranking_markets`
    when the caller already has it (e.g. to report progress over a known number of
    markets); ``chunk_draws`` as in :func:`.runner.run` (does not change results).
    """
    from .markets import MarketChoice, ranking_markets

    if chosen is not None:
        choices, missing = list(chosen[0]), list(chosen[1])
    elif markets is None:
        choices, missing = ranking_markets(list_year)
    else:
        choices, missing = [MarketChoice(k, k.split(":")[1] if ":" in k else k, k) for k in markets], []
    rows, parts = [], []
    for choice in choices:
        try:
            r = disruption_montecarlo(market=choice.key, mineral=choice.mineral, draws=draws, seed=seed,
                                      method=method, backend=backend, scheduler=scheduler, workers=workers,
                                      horizon=horizon, progress=progress, chunk_draws=chunk_draws)
        except (CritminError, ValueError) as exc:  # a market that fails to set up is listed, not hidden
            missing.append({"mineral": choice.mineral, "reason": f"{choice.key}: {exc}"})
            continue
        rows.append(r.headline())
        by = r.by_event()
        by.insert(0, "market", choice.key)
        by.insert(1, "mineral", choice.mineral)
        parts.append(by)
    ranking = pd.DataFrame(rows)
    if not ranking.empty:
        ranking = ranking.sort_values("expected_welfare_loss", ascending=False, na_position="last").reset_index(drop=True)
        ranking.insert(0, "rank", np.arange(1, len(ranking) + 1))
    by_event = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return ranking, by_event, pd.DataFrame(missing, columns=["mineral", "reason"])


def stockpile_sizing(mineral: str | None = None, draws: int = 2000, seed: int = 0, *,
                     coverages=stockpile.COVERAGES, rule: str = "horizon", holding_rate: float = stockpile.OMB_A94_RATE,
                     discount_rate: float = stockpile.OMB_A94_RATE, **options) -> tuple[pd.DataFrame, DisruptionRun]:
    """The stock covering each probability in ``coverages`` and its cost (see :mod:`.stockpile`)."""
    r = disruption_montecarlo(mineral, draws, seed, extra=("required_release",), **options)
    info = r.info
    table = stockpile.size_table(r.result.outcomes, float(np.mean(info.base_consumption)),
                                 float(np.mean(info.base_price)), r.setup.design.horizon, info.unit, info.price_unit,
                                 coverages=coverages, rule=rule, holding_rate=holding_rate,
                                 discount_rate=discount_rate)
    return table, r

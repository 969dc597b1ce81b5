"""One entry point for both engines: load a scenario of either kind, solve it, and get documented frames.

A scenario document without ``engine`` (or with ``engine: armington``) is solved by the
Armington engine (:func:`critmin.model.simulate`); one with ``engine: chain`` by the chain
engine (:func:`critmin.model.chain.simulate_scenario`). :func:`simulate_any` returns a
:class:`Simulation` whose frames the CLI, the Python API and the REST API present as they are.

Frames of a chain simulation (every figure on a stated basis: ``basis``, ``unit``,
``price_unit``, ``currency`` columns; ranged figures as ``<name>_low`` / ``<name>_high``, the
min and max across the market's variants, :meth:`ScenarioResult.span`):

``summary``  one row per mineral: focus-region headline figures over the horizon
``years``    per mineral, horizon year and stage: the focus region's prices, use, imports,
             production, fiscal cost and welfare change
``prices``   per mineral, year, stage and region: producer and use prices
``quantities`` per mineral, year, stage and region: output, use, imports, exports
``welfare``  per mineral and region: welfare components over the horizon (undiscounted and discounted)
``fiscal``   per mineral, payer and instrument: outlays by year, total and discounted
``indicators`` per mineral, year and stage: the focus region's reliance and import concentration
``units``    per mineral and stage: basis, units and conversion factors

Frames of an Armington simulation: ``summary`` (one row of headline numbers), ``prices``,
``quantities``, ``welfare``, ``binding``, ``flows`` (:class:`critmin.model.results.Result`).

A scenario that builds but does not solve gives ``status`` other than ``converged``, a
``message``, and null figures (:mod:`critmin.model.outcome`); one that cannot be built raises
:class:`ScenarioError` or :class:`MarketError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import pandas as pd

from .scenario import ENGINES, Scenario, load_scenario, parse_scenario

#: The frames of a chain simulation, in the order they are presented.
CHAIN_TABLES = ("summary", "years", "prices", "quantities", "welfare", "fiscal", "indicators", "units")
#: The frames of an Armington simulation.
ARMINGTON_TABLES = ("summary", "prices", "quantities", "welfare", "binding", "flows")

AnyScenario = Union[Scenario, "ChainScenario", str, Path, dict]  # noqa: F821 - the chain class loads lazily


def load_any(item: Any):
    """A :class:`Scenario` or :class:`~critmin.model.chain.ChainScenario` from itself, a dict, a path or a preset name."""
    from .chain.scenario_file import ChainScenario

    if isinstance(item, (Scenario, ChainScenario)):
        return item
    if isinstance(item, dict):
        return parse_scenario(item, engines=ENGINES)
    return load_scenario(item)


def engine_of(scenario) -> str:
    """``chain`` or ``armington``."""
    return "armington" if isinstance(scenario, Scenario) else "chain"


@dataclass
class Simulation:
    """A solved scenario of either engine: status, documented frames, assumptions and sources."""

    engine: str
    name: str
    status: str
    message: str
    tables: dict[str, pd.DataFrame]
    assumptions: dict[str, list[str]] | list[str]
    sources: dict[str, list[str]] | list[str]
    result: Any  #: the engine's own result (:class:`Result` or :class:`ScenarioResult`)
    notes: list[str] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        from .outcome import CONVERGED

        return self.status == CONVERGED

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables["summary"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: engine, status, every frame as records (nulls, never NaN), assumptions and sources."""
        from critmin.cli.output import clean, records

        def rows(frame: pd.DataFrame) -> list[dict]:
            if frame.empty:
                return []
            return records(frame.reset_index() if frame.index.names != [None] else frame)

        return clean({"engine": self.engine, "scenario": self.name, "status": self.status, "message": self.message,
                      "notes": list(self.notes), **{k: rows(v) for k, v in self.tables.items()},
                      "assumptions": self.assumptions, "sources": self.sources})


def chain_tables(result) -> dict[str, pd.DataFrame]:
    """The documented frames of a solved chain scenario (:class:`~critmin.model.chain.ScenarioResult`)."""
    return {"summary": result.summary_span(), "years": result.by_year(), "prices": result.span("prices"),
            "quantities": result.span("quantities"), "welfare": result.span("welfare_totals"),
            "fiscal": result.span("fiscal"), "indicators": result.span("indicators"), "units": result.units()}


def armington_tables(result) -> dict[str, pd.DataFrame]:
    """The documented frames of a solved Armington scenario (:class:`~critmin.model.results.Result`)."""
    summary = result.summary().to_frame().T.reset_index(drop=True)
    return {"summary": summary, "prices": result.prices(), "quantities": result.quantities(),
            "welfare": result.welfare(), "binding": result.binding(), "flows": result.flows()}


def simulate_any(scenario: AnyScenario, **solver: Any) -> Simulation:
    """Solve a scenario of either engine (a file, a preset name, a dict or a parsed scenario)."""
    sc = load_any(scenario)
    if engine_of(sc) == "chain":
        from .chain import simulate_scenario

        r = simulate_scenario(sc, **solver)
        return Simulation("chain", r.name, r.status, r.message, chain_tables(r), r.assumptions(), r.sources(), r,
                          list(r.notes))
    from .simulation import simulate

    r = simulate(sc, **solver)
    return Simulation("armington", r.name, r.status, r.message, armington_tables(r), list(r.assumptions),
                      list(getattr(r.market, "sources", []) or []), r)


def compare_any(scenarios, labels=None) -> pd.DataFrame:
    """Chain scenarios side by side: one row per scenario and mineral, headline figures as ``_low``/``_high``.

    Index (``scenario``, ``mineral``); ``scenario`` is the label when given. A member that did not
    solve has null figures and its status; ``attrs["outcome"]`` and ``attrs["failure_note"]`` count them.
    """
    from . import outcome
    from .chain import simulate_scenario

    results = [simulate_scenario(load_any(s)) for s in scenarios]
    labels = list(labels) if labels is not None else [r.name for r in results]
    frames = [r.summary_span().assign(scenario=lab).set_index("scenario", append=True)
              .reorder_levels(["scenario", "mineral"]) for lab, r in zip(labels, results)]
    frame = pd.concat(frames)
    statuses = [m.status for r in results for _, _, m in r.members()]
    names = [f"{lab}: {x}" for lab, r in zip(labels, results) for x in r._labels()]
    return outcome.summary_attrs(frame, statuses, names, noun="scenario markets")


__all__ = ["ARMINGTON_TABLES", "CHAIN_TABLES", "Simulation", "compare_any", "engine_of", "load_any", "simulate_any"]

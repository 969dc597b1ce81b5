"""Public entry points: simulate one scenario, many, a batch, or compare.

>>> from critmin.model import simulate, compare, list_presets
>>> result = simulate("china-bans-gallium-to-us")     # a preset name or a YAML path
>>> result.prices(); result.welfare(); result.binding()
>>> compare(["china-bans-gallium-to-us", "talks-fail-mip-gallium"])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd
import yaml

from . import outcome
from .instruments import Instruments
from .kernel import solve
from .market import Market
from .policies import build_market, compile_policies, market_spec
from .results import BatchResult, Result
from .scenario import PRESET_DIR, Scenario, ScenarioError, load_scenario, parse_scenario

ScenarioLike = Union[Scenario, str, Path, dict]


def as_scenario(item: ScenarioLike) -> Scenario:
    """Accept a Scenario, a dict, a YAML path or a preset name (Armington engine).

    A chain-engine scenario (``engine: chain``) is refused with a :class:`ScenarioError` naming
    the entry point that solves it (:func:`critmin.model.chain.simulate_scenario`).
    """
    if isinstance(item, Scenario):
        return item
    scenario = parse_scenario(item) if isinstance(item, dict) else load_scenario(item)
    if not isinstance(scenario, Scenario):
        raise ScenarioError(f"{scenario.name!r} is a chain-engine scenario (engine: chain): solve it with "
                            "critmin.model.chain.simulate_scenario")
    return scenario


def _market_key(scenario: Scenario) -> str:
    return json.dumps(market_spec(scenario).model_dump(mode="json"), sort_keys=True)


def prepare_scenario(scenario: ScenarioLike, market: Market | None = None) -> tuple[Market, Instruments, list[str]]:
    """Market, instrument arrays (batch of one) and notes for one scenario."""
    scenario = as_scenario(scenario)
    market = market or build_market(market_spec(scenario))
    inst, notes = compile_policies(market, scenario)
    return market, inst, notes


def simulate_batch(market: Market, instruments: Instruments, names: Sequence[str] | None = None,
                   focus: str | None = "USA", notes: Sequence[Sequence[str]] | None = None,
                   **solver_options: Any) -> BatchResult:
    """Solve a batch of policy settings on one market in a single kernel call.

    This is the entry point for sweeps and Monte Carlo: build ``instruments``
    (e.g. ``Instruments.baseline(market, 10_000)`` or
    ``prepare_scenario(...)[1].repeat(n)``), edit its arrays, and call this.
    """
    check_instruments(instruments)
    n = instruments.size
    names = list(names) if names is not None else [f"member_{i}" for i in range(n)]
    if focus is not None and focus not in market.regions:
        focus = None
    solution = solve(market, instruments, **solver_options)
    return BatchResult(market, instruments, solution, names, focus, [list(x) for x in notes] if notes else [])


#: Instrument arrays that may hold one non-finite value with a meaning: NaN is "no buyer of last
#: resort", +inf "no quota cap" and "perfectly elastic supply"; every other value must be finite.
_NEUTRAL_NON_FINITE = {"blr_floor": "nan", "quota_cap": "posinf", "supply": "posinf"}


def check_instruments(instruments: Instruments) -> None:
    """Refuse instrument arrays holding NaN or infinities (:class:`ScenarioError` naming field and members).

    Scenario files are checked by their schema; this guards arrays edited by hand for a sweep
    or a Monte Carlo batch, so a NaN never reaches the solver as a "singular Jacobian".
    """
    from dataclasses import fields

    for f in fields(instruments):
        values = np.asarray(getattr(instruments, f.name))
        if values.dtype.kind != "f":
            continue
        allowed = _NEUTRAL_NON_FINITE.get(f.name)
        bad = ~np.isfinite(values)
        if allowed == "nan":
            bad &= ~np.isnan(values)
        elif allowed == "posinf":
            bad &= ~np.isposinf(values)
        if bad.any():
            members = np.unique(np.nonzero(bad)[0])
            shown = ", ".join(map(str, members[:5])) + (" ..." if len(members) > 5 else "")
            raise ScenarioError(f"instruments.{f.name}: members {shown} hold a value that is not a finite number; "
                                "every instrument value must be finite"
                                + {"nan": " (NaN means no buyer of last resort)",
                                   "posinf": " (+inf means no cap, or perfectly elastic supply)"}.get(allowed or "", ""))


def simulate_many(scenarios: Sequence[ScenarioLike]) -> list[Result]:
    """Solve several scenarios; those sharing a market are solved in one batch."""
    parsed = [as_scenario(s) for s in scenarios]
    groups: dict[tuple[str, str | None], list[int]] = {}
    for i, s in enumerate(parsed):
        groups.setdefault((_market_key(s), s.focus), []).append(i)
    results: list[Result | None] = [None] * len(parsed)
    for (_, focus), members in groups.items():
        market = build_market(market_spec(parsed[members[0]]))
        compiled = [compile_policies(market, parsed[i]) for i in members]
        batch = simulate_batch(
            market,
            Instruments.stack([c[0] for c in compiled]),
            names=[parsed[i].name for i in members],
            focus=focus,
            notes=[c[1] for c in compiled],
        )
        for j, i in enumerate(members):
            results[i] = batch[j]
    return results  # type: ignore[return-value]


def simulate(scenario: ScenarioLike) -> Result:
    """Solve one scenario (a Scenario, dict, YAML path or preset name)."""
    return simulate_many([scenario])[0]


def compare(scenarios: Sequence[ScenarioLike] | Sequence[Result], labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Side-by-side comparison: one column per scenario, one row per headline number.

    Columns are the scenarios' names, or ``labels`` when given (one per scenario). A
    scenario that did not solve has its ``status`` and ``message`` (the reason) and null
    figures; ``frame.attrs["outcome"]`` counts the scenarios that converged and failed
    (:func:`critmin.model.outcome.outcome_counts`) and ``frame.attrs["failure_note"]`` says
    which failed, in a sentence (empty when all converged).
    """
    results = [s if isinstance(s, Result) else None for s in scenarios]
    todo = [s for s, r in zip(scenarios, results) if r is None]
    solved = iter(simulate_many(todo)) if todo else iter(())
    results = [r if r is not None else next(solved) for r in results]
    if labels is not None and len(labels) != len(results):
        raise ValueError(f"compare: {len(labels)} labels for {len(results)} scenarios")
    names = list(labels) if labels is not None else [r.name for r in results]
    frame = pd.concat([r.summary().rename(name) for r, name in zip(results, names)], axis=1)
    frame.index.name = "metric"
    statuses = [r.status for r in results]
    frame.attrs["outcome"] = outcome.outcome_counts(statuses)
    frame.attrs["failure_note"] = outcome.failure_note(statuses, names, noun="scenarios")
    return frame


def sweep(scenario: ScenarioLike, field: str, values: np.ndarray, *, index: tuple[int, ...] | None = None) -> BatchResult:
    """Re-solve ``scenario`` for each value of one instrument array entry, in one batch.

    Parameters
    ----------
    field : str
        An :class:`~critmin.model.instruments.Instruments` attribute, e.g.
        ``"tariff"``, ``"mip"``, ``"cfd_floor"``, ``"substitution"``.
    values : array_like, shape (n,) or (n, ...)
        Values to assign; with ``index`` given, ``values[i]`` is written at
        ``field[i][index]``, otherwise ``values[i]`` replaces ``field[i]``
        (broadcast).
    index : tuple of int, optional
        Position inside the member's array (e.g. ``(origin, destination)``).

    Returns
    -------
    BatchResult
        Members that did not solve have null figures and their reason;
        ``batch.outcome()`` counts them and ``batch.failure_note()`` says which.
    """
    scenario = as_scenario(scenario)
    market, inst, notes = prepare_scenario(scenario)
    values = np.asarray(values, float)
    n = values.shape[0]
    batch = inst.repeat(n)
    target = getattr(batch, field)
    for i in range(n):
        if index is None:
            target[i] = values[i]
        else:
            target[(i, *index)] = values[i]
    names = [f"{scenario.name}[{field}={v}]" for v in (values if values.ndim == 1 else range(n))]
    return simulate_batch(market, batch, names=names, focus=scenario.focus, notes=[notes] * n)


def list_presets(engine: str | None = "armington") -> pd.DataFrame:
    """Preset scenario files shipped with critmin: name, title, description, market, engine, file.

    ``engine`` selects ``armington`` presets (the default: what the CLI's ``simulate`` and the web
    builder solve today), ``chain`` presets, or every preset with ``None``. ``market`` says where
    the market comes from: ``knowledge base: <mineral> (<stage>)``, ``from scratch:
    market_<ref>.yaml`` or ``inline`` (Armington); for chain presets the minerals and their
    markets (``gallium: kb:gallium:processing``). Nothing is calibrated here.
    """
    if engine not in (None, "armington", "chain"):
        raise ValueError(f"engine must be 'armington', 'chain' or None, got {engine!r}")
    rows = []
    for path in sorted(PRESET_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if data.get("kind") in ("market", "chain_market"):
            continue
        kind = data.get("engine", "armington")
        if engine is not None and kind != engine:
            continue
        if kind == "chain":
            origin = "; ".join(f"{m}: {_chain_market_label((e or {}).get('market'))}"
                               for m, e in (data.get("minerals") or {}).items())
        else:
            market = data.get("market") or {}
            if isinstance(market, dict) and "from_kb" in market:
                kb = market["from_kb"] or {}
                origin = f"knowledge base: {kb.get('mineral')} ({kb.get('stage', 'processing')})"
            elif isinstance(market, dict) and "ref" in market:
                origin = f"from scratch: market_{market['ref']}.yaml"
            else:
                origin = "inline"
        rows.append({"name": path.stem, "scenario": data.get("name", path.stem),
                     "description": " ".join(str(data.get("description", "")).split()), "market": origin,
                     "engine": kind, "file": str(path)})
    return pd.DataFrame(rows, columns=["name", "scenario", "description", "market", "engine", "file"])


def _chain_market_label(market) -> str:
    if isinstance(market, str):
        return market
    if isinstance(market, dict) and "kb" in market:
        return f"kb:{market['kb']}" + (f":{market['stage']}" if market.get("stage") else "")
    if isinstance(market, dict) and "ref" in market:
        return f"chain_market_{market['ref']}.yaml"
    return "inline"


def baseline(scenario: ScenarioLike) -> Result:
    """The base point of a scenario's market (no policy change)."""
    scenario = as_scenario(scenario)
    return simulate(scenario.model_copy(update={"policies": type(scenario.policies)(),
                                                "name": f"{scenario.name} (baseline)"}))

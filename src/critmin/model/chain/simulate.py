"""Entry points of the chain engine: solve a batch, one scenario, or a scenario over several minerals.

>>> from critmin.model.chain import simulate_chain
>>> r = simulate_chain(market, {"price_floors": [{"payer": "USA", "producers": ["USA"], "stage": "processing",
...                                               "floor": 110000}]}, {"start": 2026, "end": 2035})
>>> r.prices(); r.quantities(); r.fiscal(); r.receipts(); r.indicators()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


from ..kernel.chain import ChainBase
from ..kernel.horizon import solve_horizon
from .elasticities import CHAIN_ELASTICITY_KINDS
from .instruments import ChainInstruments
from .market import ChainMarket
from .policies import compile_chain_policies
from .results import ChainBatch, ChainResult
from .scenario import ChainPolicies, Horizon


def baseline_instruments(market: ChainMarket, inst: ChainInstruments) -> ChainInstruments:
    """Neutral instruments over the same years with the batch's behavioural parameters (1 member if shared)."""
    varies = max(getattr(inst, k).shape[0] for k in CHAIN_ELASTICITY_KINDS)
    out = ChainInstruments.baseline(market, inst.years, 1)
    for k in CHAIN_ELASTICITY_KINDS:
        setattr(out, k, getattr(inst, k).copy())
    if varies > 1:
        out = out.materialise(varies)
    return out


def run_chain(market: ChainMarket, inst: ChainInstruments, names: Sequence[str] | None = None,
              notes: Sequence[Sequence[str]] | None = None, *, discount_rate: float = 0.03,
              focus: str | None = "USA", keep_flows: bool = True, projects: Sequence[Mapping[str, int]] | None = None,
              discount_note: str | None = None, **solver: Any) -> ChainBatch:
    """Solve a batch of instrument settings on one chain over its years, and its baseline path."""
    base = ChainBase.from_market(market)
    n = inst.size
    solution = solve_horizon(base, inst, keep_flows=keep_flows, **solver)
    baseline = solve_horizon(base, baseline_instruments(market, inst), keep_flows=True, **solver)
    return ChainBatch(market, base, inst, solution, baseline,
                      list(names) if names is not None else [f"member_{i}" for i in range(n)],
                      [list(x) for x in notes] if notes is not None else [[] for _ in range(n)],
                      discount_rate, focus if focus in market.regions else None,
                      [dict(p) for p in projects] if projects is not None else [{} for _ in range(n)],
                      discount_note)


def _policies(value: ChainPolicies | Mapping | None) -> ChainPolicies:
    if value is None:
        return ChainPolicies()
    return value if isinstance(value, ChainPolicies) else ChainPolicies.model_validate(dict(value))


def _horizon(value: Horizon | Mapping | None, market: ChainMarket) -> Horizon:
    if value is None:
        return Horizon(start=market.base_year + 1, end=market.base_year + 1)
    return value if isinstance(value, Horizon) else Horizon.model_validate(dict(value))


def simulate_chain(market: ChainMarket, policies: ChainPolicies | Mapping | None = None,
                   horizon: Horizon | Mapping | None = None, *, name: str = "scenario", focus: str | None = "USA",
                   **solver: Any) -> ChainResult:
    """Solve one scenario on one chain (default horizon: the year after the base year)."""
    pol, hor = _policies(policies), _horizon(horizon, market)
    inst, notes, projects = compile_chain_policies(market, pol, hor)
    batch = run_chain(market, inst, [name], [notes], discount_rate=hor.discount_rate, focus=focus,
                      projects=[projects], discount_note=hor.discount_note(), **solver)
    return batch[0]


def simulate_chains(items: Sequence[tuple[ChainMarket, ChainPolicies | Mapping | None]],
                    horizon: Horizon | Mapping | None = None, *, name: str = "scenario",
                    focus: str | None = "USA", **solver: Any) -> dict[str, ChainResult]:
    """One scenario over several minerals: each chain solved independently over the same horizon.

    Returns ``{mineral: result}``; minerals must be distinct.
    """
    minerals = [m.mineral for m, _ in items]
    if len(set(minerals)) != len(minerals):
        raise ValueError(f"each mineral once per scenario, got {minerals}")
    out = {}
    for market, pol in items:
        out[market.mineral] = simulate_chain(market, pol, _horizon(horizon, market), name=name, focus=focus, **solver)
    return out


def stack_scenarios(market: ChainMarket, scenarios: Sequence[tuple[str, ChainPolicies | Mapping | None]],
                    horizon: Horizon | Mapping, **kwargs: Any) -> ChainBatch:
    """Several scenarios on one chain, solved in one batch (same horizon)."""
    hor = _horizon(horizon, market)
    compiled = [compile_chain_policies(market, _policies(p), hor) for _, p in scenarios]
    inst = ChainInstruments.stack([c[0] for c in compiled])
    return run_chain(market, inst, [n for n, _ in scenarios], [c[1] for c in compiled],
                     discount_rate=hor.discount_rate, projects=[c[2] for c in compiled],
                     discount_note=hor.discount_note(), **kwargs)


__all__ = ["baseline_instruments", "run_chain", "simulate_chain", "simulate_chains", "stack_scenarios"]

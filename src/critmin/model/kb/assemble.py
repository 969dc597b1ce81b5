"""Gather a market's inputs into one :class:`MarketInputs` and build its low and high chain markets.

:func:`calibrate_market` is the entry point::

    >>> from critmin.model.kb import calibrate_market
    >>> m = calibrate_market("cobalt", "processing")
    >>> m.low, m.high          # two ChainMarkets (the same object when no input is bounded)
    >>> m.simulate({"export_restrictions": [...]}, {"start": 2025, "end": 2025})   # low and high results

How results carry the range
---------------------------
A withheld or bounded input (a ``W`` production, a content factor with bounds) is an
interval; the market is calibrated at its **low corner** (every bounded input at its lower
bound) and its **high corner** (every one at its upper bound), and both are solved.
:meth:`KBMarket.simulate` returns ``{"low": ChainResult, "high": ChainResult}`` and
:func:`range_table` puts any result table side by side (``*_low``, ``*_high``, and
``*_min``/``*_max`` across the two). The two corners are not claimed to bound every
combination inside the box of inputs (the model is not monotone in every input); they show
how far the published bounds move the answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from critmin.model.chain import ChainMarket, chain_from_tables, region_map, simulate_chain

from . import consumption, elasticities, prices, production, trade
from .inputs import Figure, KBDataError, MarketInputs
from .specs import SPECIAL, Spec, spec_for

BASE_YEAR = 2024
MAX_PRODUCERS = 4


@dataclass(frozen=True)
class KBMarket:
    """A calibrated knowledge-base market: its inputs and its low- and high-corner chain markets."""

    inputs: MarketInputs
    low: ChainMarket
    high: ChainMarket

    @property
    def bounded(self) -> bool:
        return self.inputs.bounded

    @property
    def market(self) -> ChainMarket:
        """The low corner (the only one when nothing is bounded)."""
        return self.low

    def corners(self) -> dict[str, ChainMarket]:
        return {"low": self.low, "high": self.high} if self.bounded else {"point": self.low}

    def simulate(self, policies=None, horizon=None, **kwargs: Any) -> dict:
        """Solve the scenario on each corner: ``{"low": result, "high": result}`` (``{"point": ...}`` if unbounded)."""
        return {k: simulate_chain(m, policies, horizon, **kwargs) for k, m in self.corners().items()}

    def summary(self) -> dict:
        st = self.low.stages[0]
        return {"mineral": self.inputs.mineral, "stage": self.inputs.stage, "base_year": self.inputs.base_year,
                "basis": self.inputs.basis, "unit": st.unit, "price_unit": st.price_unit,
                "price": float(self.inputs.price.low), "price_series": self.inputs.price_series,
                "regions": list(self.low.regions), "flow_method": self.inputs.flow_method,
                "bounded": self.bounded, "bounded_inputs": self.inputs.bounded_inputs(),
                "world_production_low": float(self.low.stages[0].production.sum()),
                "world_production_high": float(self.high.stages[0].production.sum()),
                "sources": list(self.inputs.sources)}


def range_table(results: Mapping[str, Any], table: str = "prices") -> pd.DataFrame:
    """One result table of every corner side by side, with the min and max across corners for numeric columns."""
    frames = {k: getattr(r, table)() for k, r in results.items()}
    if len(frames) == 1:
        return next(iter(frames.values()))
    joined = pd.concat({k: f for k, f in frames.items()}, axis=1)
    joined.columns = [f"{c}_{k}" for k, c in joined.columns]
    for c in frames["low"].columns:
        if pd.api.types.is_numeric_dtype(frames["low"][c]):
            both = np.stack([frames["low"][c].to_numpy(float), frames["high"][c].to_numpy(float)])
            seen = np.isfinite(both)
            # a row NaN at both corners (a failed solve, a region without that figure) stays NaN, silently
            joined[f"{c}_min"] = np.where(seen.any(axis=0), np.where(seen, both, np.inf).min(axis=0), np.nan)
            joined[f"{c}_max"] = np.where(seen.any(axis=0), np.where(seen, both, -np.inf).max(axis=0), np.nan)
    return joined


def choose_regions(production: Mapping[str, Figure], max_producers: int = MAX_PRODUCERS) -> tuple:
    """USA, China (when it produces), the largest other producers (each >= 3% of world output, up to
    ``max_producers``, until 90% is covered) and ``ROW``."""
    mid = {k: (f.low + f.high) / 2 for k, f in production.items() if k != "OTHER"}
    world = sum((f.low + f.high) / 2 for f in production.values())
    regions = ["USA"]
    if mid.get("CHN", 0) > 0:
        regions.append("CHN")
    covered = sum(mid.get(r, 0.0) for r in regions)
    for country, q in sorted(mid.items(), key=lambda kv: -kv[1]):
        if country in regions or q < 0.03 * world or len(regions) - 2 >= max_producers or covered >= 0.9 * world:
            continue
        regions.append(country)
        covered += q
    return tuple(regions) + ("ROW",)


def gather(spec: Spec, *, year: int = BASE_YEAR, production_source: str | None = None, price_series: str | None = None,
           regions: Sequence | None = None, parameters: Mapping[str, Any] | None = None
           ) -> tuple[MarketInputs, list[tuple[tuple[str, ...], float]]]:
    """Read every input of ``spec`` and validate them together: ``(MarketInputs, joint caps on withheld output)``."""
    notes: list[str] = []
    if spec.note:
        notes.append(spec.note)
    sources_tried = list(spec.production) if production_source is None else [production_source]
    prod, errors = None, []
    for src in sources_tried:
        try:
            prod = production.read(spec, src, year)
            break
        except KBDataError as exc:
            errors.append(f"{src}: {exc}")
    if prod is None:
        raise KBDataError(f"{spec.mineral} {spec.stage}: no usable production by country ({'; '.join(errors)})")
    if production_source is None and len(spec.production) > 1:
        notes.append(f"production source: default {prod.source}; alternatives {list(spec.production)} "
                     "(production_source= chooses)" + (f"; skipped: {'; '.join(errors)}" if errors else ""))
    notes.extend(prod.notes)
    price, label, price_notes = prices.base_price(spec, year, price_series)
    notes.extend(price_notes)
    flows = trade.read(spec, year, price)
    notes.extend(flows.notes)
    us_cons = consumption.us_consumption(spec.kb_id, year, spec.basis) if spec.stage == "processing" or \
        spec.kb_id != spec.mineral else None
    figures = dict(prod.figures)
    if prod.caps:
        notes.append("joint caps: " + "; ".join(f"{', '.join(m)} <= {c:,.6g} t" for m, c in prod.caps))
    params = _parameters(spec, parameters, notes)
    return MarketInputs(
        mineral=spec.mineral, stage=spec.stage, base_year=year, basis=spec.basis, production=figures,
        flows=flows.flows, flow_method=flows.method, price=price, price_series=label,
        regions=tuple(regions) if regions is not None else choose_regions(figures),
        us_consumption=us_cons, parameters=params,
        sources=tuple(prod.sources) + price.sources + tuple(flows.sources),
        assumptions=tuple(notes),
    ), prod.caps


def _parameters(spec: Spec, parameters: Mapping[str, Any] | None, notes: list[str]) -> dict[str, Any]:
    """Behavioural parameters: ``elasticities.csv`` (cited or labelled), then the caller's overrides."""
    values, file_notes = elasticities.stage_parameters(spec.mineral, spec.stage)
    given = dict(parameters or {})
    for kind, note in zip(values, file_notes):
        if kind in given:
            notes.append(f"stage {spec.stage}: {kind} set by the caller (parameters=), replacing elasticities.csv")
        else:
            notes.append(note)
    return {**values, **given}


def _corner_production(inputs: MarketInputs, caps, corner: str) -> dict[str, float]:
    q = {k: f.at(corner) for k, f in inputs.production.items()}
    if corner == "high":
        for members, cap in caps:
            total = sum(q[m] for m in members)
            if total > cap > 0:
                for m in members:
                    q[m] *= cap / total
    return q


def build(inputs: MarketInputs, corner: str, caps=()) -> tuple[ChainMarket, list[str]]:
    """The chain market at one corner (``"low"``/``"high"``) of the inputs, and what was adjusted."""
    q = _corner_production(inputs, caps, corner)
    flows = inputs.flows.copy()
    flows["quantity"] = flows[corner]
    countries = sorted(set(q) | set(flows["exporter"]) | set(flows["importer"]))
    names, where = region_map(list(inputs.regions), countries)
    notes = []
    # exports of a region (to other regions) above its output: re-exports or stock draws; scale them to its output
    flows["o"] = flows["exporter"].map(where)
    flows["d"] = flows["importer"].map(where)
    cross = flows["o"] != flows["d"]
    prod_r = pd.Series(q).groupby(pd.Series(q).index.map(where)).sum()
    exp_r = flows[cross].groupby("o")["quantity"].sum()
    for r, x in exp_r.items():
        p = float(prod_r.get(r, 0.0))
        if x > p * (1 - 1e-12):
            factor = 0.98 * p / x if p > 0 else 0.0
            flows.loc[cross & (flows["o"] == r), "quantity"] *= factor
            notes.append(f"{corner} corner: {r}'s recorded exports to other regions ({x:,.6g} t) exceed its output "
                         f"({p:,.6g} t): re-exports or stocks (transshipment is not modelled); scaled to 98% of its "
                         "output" if p > 0 else f"{corner} corner: {r} exports {x:,.6g} t but produces none: those "
                         "shipments (re-exports) are left out")
    prod_df = pd.DataFrame({"stage": inputs.stage, "country": list(q), "quantity": list(q.values())})
    trade_df = flows.loc[cross & (flows["quantity"] > 0), ["exporter", "importer", "quantity"]].assign(stage=inputs.stage)
    stage = {"name": inputs.stage, "basis": inputs.basis, "unit": "t", "price_unit": "USD/t"}
    price_df = pd.DataFrame({"stage": [inputs.stage], "price": [inputs.price.low]})
    assumptions = list(inputs.assumptions) + notes
    if inputs.bounded:
        assumptions.append(f"bounded inputs, market calibrated at its low and high corners (this is the {corner} "
                           f"corner): {'; '.join(inputs.bounded_inputs())}")
    market = chain_from_tables(
        inputs.mineral, list(inputs.regions), [stage], prod_df, trade_df, price_df, base_year=inputs.base_year,
        tolerance=0.0, sources=inputs.sources, assumptions=assumptions,
        parameters={inputs.stage: dict(inputs.parameters)} if inputs.parameters else None)
    return market, notes


def calibrate_market(mineral: str, stage: str, *, year: int = BASE_YEAR, production_source: str | None = None,
                     price_series: str | None = None, regions: Sequence | None = None,
                     parameters: Mapping[str, Any] | None = None) -> KBMarket:
    """Calibrate one mineral-stage market from the knowledge base (module docstring).

    Parameters
    ----------
    mineral, stage : str
        A canonical id and ``"mine"``/``"processing"``.
    year : int
        Base year (2024: the last year of BACI and World Mining Data).
    production_source : str, optional
        Override the documented default (``usgs``, ``usgs:<series>``, ``wmd``, ``eu_processing``).
    price_series : str, optional
        Text matching one documented price series (``"Mischmetal"``, ``"COMEX"``); a series on another
        basis is refused with :class:`~critmin.model.kb.inputs.KBBasisError`.
    regions : sequence, optional
        Model regions (``["USA", "CHN", ("ALLIES", ["JPN", "KOR"]), "ROW"]``).
    parameters : mapping, optional
        Behavioural parameters of the stage (``{"substitution": 10, "demand_short": {"USA": 0.1, "default": 0.2}}``).

    Raises
    ------
    KBDataError
        An input is missing, withheld without a bound, or inconsistent (the message names it).
    KBBasisError
        Quantity and price are on different bases.
    """
    spec = spec_for(mineral, stage)
    if spec is None and (mineral, stage) in SPECIAL:
        if production_source is not None or price_series is not None:
            raise KBDataError(f"{mineral} {stage}: one documented series per input (no production_source= or "
                              "price_series= choice)")
        from .rare_earths import separation_market

        return separation_market(year=year, regions=regions, parameters=parameters)
    if spec is None:
        from .registry import missing_reason

        raise KBDataError(f"{mineral} {stage}: not calibrated: {missing_reason(mineral, stage)}")
    inputs, caps = gather(spec, year=year, production_source=production_source, price_series=price_series,
                          regions=regions, parameters=parameters)
    low, _ = build(inputs, "low", caps)
    high = build(inputs, "high", caps)[0] if inputs.bounded else low
    return KBMarket(inputs, low, high)

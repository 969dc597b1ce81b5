"""Solve a chain scenario file: every mineral on every calibrated variant of its market, and the tables.

>>> from critmin.model.chain import simulate_scenario
>>> r = simulate_scenario("ndpr-floor-110")            # a preset name, a YAML path, a dict or a ChainScenario
>>> r.summary(); r.prices(); r.welfare(); r.fiscal(); r.ranges("prices"); r.units()

Ranges
------
A market calibrated at a low and a high corner (a withheld or bounded input) is solved on both;
every table has a ``variant`` level (``point``, or ``low`` and ``high``) and :meth:`ScenarioResult.ranges`
puts each figure's ``min`` and ``max`` across the variants side by side. A range with a missing
end is missing (a corner that did not solve makes the range null, as a total with a missing part
is, :mod:`critmin.model.outcome`).

Units
-----
Every table carries the stage's ``basis`` and its ``unit`` (quantities), ``price_unit`` (prices) or
``currency`` (money, per year); :meth:`ScenarioResult.units` lists them with the factors to tonnes
and currency per tonne (:mod:`critmin.model.chain.units`) that a comparison across markets uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd

from .. import outcome
from ..scenario import ScenarioError, load_scenario, parse_scenario
from .policies import ChainScenarioError
from .results import ChainResult
from .scenario_file import ChainScenario, check_scenario, market_variants
from .simulate import simulate_chain
from .units import stage_units

ChainScenarioLike = Union[ChainScenario, str, Path, dict]


def as_chain_scenario(item: ChainScenarioLike) -> ChainScenario:
    """A ChainScenario from itself, a dict, a YAML path or a preset name; :class:`ScenarioError` otherwise."""
    if isinstance(item, ChainScenario):
        return item
    scenario = parse_scenario(item, engines=("chain",)) if isinstance(item, dict) else load_scenario(item)
    if not isinstance(scenario, ChainScenario):
        raise ScenarioError(f"{scenario.name!r} is an Armington scenario: solve it with critmin.model.simulate "
                            "(a chain scenario starts with `engine: chain`)")
    return scenario


@dataclass
class ScenarioResult:
    """A solved chain scenario: ``runs[mineral][variant]`` is a :class:`ChainResult`."""

    scenario: ChainScenario
    runs: dict[str, dict[str, ChainResult]]
    notes: list[str] = field(default_factory=list)

    # --- status ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.scenario.horizon.start, self.scenario.horizon.end + 1))

    def members(self) -> list[tuple[str, str, ChainResult]]:
        """Every (mineral, variant, result) solved."""
        return [(m, v, r) for m, variants in self.runs.items() for v, r in variants.items()]

    @property
    def status(self) -> str:
        """``converged`` when every mineral solved on every variant, else the first failure's status."""
        failed = [r.status for _, _, r in self.members() if r.failed]
        return failed[0] if failed else outcome.CONVERGED

    @property
    def converged(self) -> bool:
        return self.status == outcome.CONVERGED

    @property
    def message(self) -> str:
        """The reasons of the members that did not solve (empty when all converged)."""
        return "; ".join(f"{m} ({v}): {r.message}" for m, v, r in self.members() if r.failed)

    def _labels(self) -> list[str]:
        return [f"{m} ({v})" if v != "point" else m for m, v, _ in self.members()]

    def outcome(self) -> dict[str, object]:
        return outcome.outcome_counts([r.status for _, _, r in self.members()])

    def failure_note(self) -> str:
        return outcome.failure_note([r.status for _, _, r in self.members()], self._labels(), noun="market variants")

    # --- tables ------------------------------------------------------------------------------
    def _stack(self, table: str, units: str | None, **kwargs) -> pd.DataFrame:
        frames = []
        for mineral, variant, r in self.members():
            frame = getattr(r, table)(**kwargs)
            if frame.empty:
                continue
            frame = frame.reset_index() if frame.index.names != [None] else frame.copy()
            frame.insert(0, "variant", variant)
            frame.insert(0, "mineral", mineral)
            if units is not None:
                frame = _with_units(frame, r, units)
            frames.append(frame)
        if not frames:
            return pd.DataFrame()
        out = pd.concat(frames, ignore_index=True)
        keys = [c for c in ("mineral", "variant", "year", "stage", "region", "origin", "destination", "payer",
                            "instrument") if c in out.columns]
        return out.set_index(keys) if keys else out

    def prices(self) -> pd.DataFrame:
        """Producer price by origin and price of a tonne used by destination, baseline and scenario (``price_unit``)."""
        return self._stack("prices", "price")

    def quantities(self) -> pd.DataFrame:
        """Output (existing and new), final use, use, imports, exports, purchases by year, stage, region (``unit``)."""
        return self._stack("quantities", "quantity")

    def welfare(self) -> pd.DataFrame:
        """Welfare change from the baseline path by year, stage and region (``currency`` per year)."""
        return self._stack("welfare", "money")

    def welfare_totals(self) -> pd.DataFrame:
        """Welfare components by region summed over the horizon, undiscounted and ``*_discounted``."""
        return self._stack("welfare_totals", "currency")

    def money(self) -> pd.DataFrame:
        """Every payment: year, instrument, stage, payer, beneficiary, amount (``currency`` per year)."""
        return self._stack("money", "money")

    def fiscal(self) -> pd.DataFrame:
        """Fiscal cost by payer and instrument: per year, total and discounted (``currency``)."""
        return self._stack("fiscal", "currency")

    def receipts(self) -> pd.DataFrame:
        """What contract holders receive per tonne against the market and baseline prices (``price_unit``)."""
        return self._stack("receipts", "price")

    def indicators(self) -> pd.DataFrame:
        """The focus region's use, imports, exports, net import reliance (%) and import HHI by year and stage."""
        return self._stack("indicators", "quantity")

    def units(self) -> pd.DataFrame:
        """Basis, units and conversion factors of every mineral's stages."""
        frames = [stage_units(next(iter(v.values())).market).assign(mineral=m) for m, v in self.runs.items()]
        return pd.concat(frames, ignore_index=True)

    def ranges(self, table: str = "prices") -> pd.DataFrame:
        """Each numeric figure's ``min`` and ``max`` across the market variants (null if any variant is null)."""
        frame = getattr(self, table)()
        if frame.empty:
            return frame
        keys = [n for n in frame.index.names if n != "variant"]
        values = frame.select_dtypes("number")
        text = frame.drop(columns=values.columns)
        grouped = values.groupby(level=keys, sort=False)
        missing = values.isna().groupby(level=keys, sort=False).any()
        lo = grouped.min().where(~missing).add_suffix("_min")
        hi = grouped.max().where(~missing).add_suffix("_max")
        variants = frame.index.get_level_values("variant").to_series(index=frame.index)
        names = variants.groupby(level=keys, sort=False).agg(lambda v: ", ".join(v))
        out = pd.concat([lo, hi], axis=1)
        out = out[[c for pair in zip(lo.columns, hi.columns) for c in pair]]
        out.insert(0, "variants", names)
        if not text.empty:
            out = text.groupby(level=keys, sort=False).first().join(out)
        return out

    def span(self, table: str | pd.DataFrame = "prices") -> pd.DataFrame:
        """A stacked table with its market variants collapsed to a range: ``<figure>_low`` and ``<figure>_high``.

        ``low`` is the smallest and ``high`` the largest value of each numeric figure across the
        mineral's market variants (the ``low`` and ``high`` corners of a market with bounded
        inputs, or its one ``point``), so a point market has ``low == high``. A figure that is
        null on any variant (a failed solve, a region without output) is null in both, never a
        partial range. ``variants`` names the variants; ``status`` is ``converged`` when every
        variant solved, else the first failure's status, with its ``message``. Text columns
        (``basis``, ``unit``, ``price_unit``, ``currency``) are the same across variants and kept.
        """
        frame = getattr(self, table)() if isinstance(table, str) else table
        if frame.empty or "variant" not in frame.index.names:
            return frame
        keys = [n for n in frame.index.names if n != "variant"]
        status = {(m, v): (r.status, r.message) for m, v, r in self.members()}
        idx = frame.index.to_frame(index=False)
        values = frame.select_dtypes("number")
        text = frame.drop(columns=values.columns).drop(columns=["status", "message"], errors="ignore")
        grouped = values.groupby(level=keys, sort=False)
        missing = values.isna().groupby(level=keys, sort=False).any()
        low = grouped.min().where(~missing)
        high = grouped.max().where(~missing)
        out = pd.concat([low.add_suffix("_low"), high.add_suffix("_high")], axis=1)
        out = out[[c for col in values.columns for c in (f"{col}_low", f"{col}_high")]]
        meta = pd.DataFrame({
            "variants": idx["variant"].to_numpy(),
            "status": [status[(m, v)][0] for m, v in zip(idx["mineral"], idx["variant"])],
            "message": [status[(m, v)][1] for m, v in zip(idx["mineral"], idx["variant"])],
        }, index=frame.index)

        def first_failure(col: pd.Series) -> str:
            bad = [s for s in col if s != outcome.CONVERGED]
            return bad[0] if bad else outcome.CONVERGED

        agg = meta.groupby(level=keys, sort=False).agg(
            variants=("variants", lambda v: ", ".join(dict.fromkeys(v))), status=("status", first_failure),
            message=("message", lambda v: "; ".join(x for x in dict.fromkeys(v) if x)))
        if not text.empty:
            agg = agg.join(text.groupby(level=keys, sort=False).first())
        return agg.join(out)

    def by_year(self) -> pd.DataFrame:
        """The focus region's figures by mineral, horizon year and stage, as ranges (``_low``/``_high``).

        Columns: use price (baseline, scenario, % change; ``price_unit`` per tonne of ``basis``),
        producer price (null where the focus region has no output at that stage), use, imports and
        production (baseline and scenario; ``unit`` of ``basis``), ``fiscal_cost`` (the focus
        government's outlays that year, ``currency``) and ``welfare_total`` (the focus region's
        welfare change from the baseline path that year, ``currency``). Empty when the scenario
        has no focus region or no market contains it.
        """
        focus = self.scenario.focus
        if focus is None:
            return pd.DataFrame()
        frames = []
        for mineral, variant, r in self.members():
            if focus not in r.market.regions:
                continue
            prices = r.prices().xs(focus, level="region")
            q = r.quantities().xs(focus, level="region")
            w = r.welfare().xs(focus, level="region")
            frame = pd.DataFrame({
                "use_price_baseline": prices["use_price_baseline"], "use_price": prices["use_price"],
                "use_price_change_pct": prices["use_price_change_pct"],
                "producer_price_baseline": prices["producer_price_baseline"],
                "producer_price": prices["producer_price"],
                "use_baseline": q["use_baseline"], "use": q["use"],
                "imports_baseline": q["imports_baseline"], "imports": q["imports"],
                "production_baseline": q["production_baseline"], "production": q["production"],
                "fiscal_cost": w["government_outlays"], "welfare_total": w["total"],
            })
            if r.failed:  # the baseline path does not depend on the scenario's solve, but the row reports both
                frame.loc[:, [c for c in frame.columns if not c.endswith("_baseline")]] = np.nan
            stages = {st.name: st for st in r.market.stages}
            st_of = [stages[s] for s in frame.index.get_level_values("stage")]
            frame["basis"] = [s.basis for s in st_of]
            frame["unit"] = [s.unit for s in st_of]
            frame["price_unit"] = [s.price_unit for s in st_of]
            frame["currency"] = [s.price_unit.split("/")[0] for s in st_of]
            frame = frame.reset_index()
            frame.insert(0, "variant", variant)
            frame.insert(0, "mineral", mineral)
            frame.insert(3, "region", focus)
            frames.append(frame)
        if not frames:
            return pd.DataFrame()
        stacked = pd.concat(frames, ignore_index=True).set_index(["mineral", "variant", "year", "stage", "region"])
        return self.span(stacked)

    def summary(self) -> pd.DataFrame:
        """One row per mineral and variant: status, message, and the focus region's headline figures.

        Prices and quantities are at the chain's last (most processed) stage, named in ``stage``;
        money figures are summed over stages, in ``currency``.
        """
        focus = self.scenario.focus
        rows = []
        for mineral, variant, r in self.members():
            st = r.market.stages[-1]
            row: dict[str, Any] = {"mineral": mineral, "variant": variant, "status": r.status, "message": r.message,
                                   "stage": st.name, "basis": st.basis, "unit": st.unit, "price_unit": st.price_unit,
                                   "currency": st.price_unit.split("/")[0]}
            fiscal = r.fiscal()
            row["fiscal_cost_total"] = float(fiscal["total"].sum(min_count=1)) if not fiscal.empty else 0.0
            row["fiscal_cost_discounted"] = (float(fiscal["discounted_total"].sum(min_count=1))
                                             if not fiscal.empty else 0.0)
            if focus in r.market.regions:
                prices = r.prices().xs((st.name, focus), level=("stage", "region"))
                change = prices["use_price_change_pct"]
                row[f"{focus}_use_price_change_pct_first_year"] = float(change.iloc[0])
                row[f"{focus}_use_price_change_pct_max"] = float(change.max()) if change.notna().all() else np.nan
                q = r.quantities().xs((st.name, focus), level=("stage", "region"))
                row[f"{focus}_imports_change_total"] = float((q["imports"] - q["imports_baseline"]).sum(min_count=1))
                row[f"{focus}_production_change_total"] = float((q["production"] - q["production_baseline"])
                                                                .sum(min_count=1))
                if not fiscal.empty and focus in fiscal.index.get_level_values("payer"):
                    row[f"{focus}_fiscal_cost_discounted"] = float(fiscal.xs(focus, level="payer")["discounted_total"]
                                                                   .sum(min_count=1))
                else:
                    row[f"{focus}_fiscal_cost_discounted"] = 0.0
                totals = r.welfare_totals()
                for comp in ("consumer_surplus", "producer_surplus", "total"):
                    row[f"{focus}_{comp}_change_discounted"] = float(totals.loc[focus, f"{comp}_discounted"])
            rows.append(row)
        frame = pd.DataFrame(rows)
        failed = np.array([r.failed for _, _, r in self.members()])
        frame = outcome.withhold_rows(frame, failed, keep=("mineral", "variant", "status", "message", "stage", "basis",
                                                           "unit", "price_unit", "currency"))
        frame = frame.set_index(["mineral", "variant"])
        return outcome.summary_attrs(frame, [r.status for _, _, r in self.members()], self._labels(),
                                     noun="market variants")

    def summary_span(self) -> pd.DataFrame:
        """:meth:`summary` with each mineral's variants collapsed to ``_low``/``_high`` ranges (:meth:`span`)."""
        return self.span(self.summary())

    def assumptions(self) -> dict[str, list[str]]:
        """Per mineral: the formulation's, the market's and the instruments' assumptions (every variant's, once)."""
        out = {"scenario": list(self.scenario.assumptions)}
        for mineral, variants in self.runs.items():
            out[mineral] = list(dict.fromkeys(a for r in variants.values() for a in r.assumptions))
        return out

    def sources(self) -> dict[str, list[str]]:
        out = {"scenario": list(self.scenario.sources)}
        for mineral, variants in self.runs.items():
            out[mineral] = list(dict.fromkeys(s for r in variants.values() for s in r.sources))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: status, units, every table (records, nulls for failed members), assumptions and sources."""
        from ..results import json_safe

        def records(frame: pd.DataFrame) -> list[dict]:
            if frame.empty:
                return []
            frame = frame.reset_index() if frame.index.names != [None] else frame
            return json_safe(frame.to_dict(orient="records"))

        return {
            "engine": "chain", "scenario": self.name, "description": self.scenario.description,
            "horizon": self.scenario.horizon.model_dump(), "focus": self.scenario.focus,
            "status": self.status, "message": self.message, "outcome": self.outcome(),
            "failure_note": self.failure_note(), "units": records(self.units()),
            "summary": records(self.summary()), "prices": records(self.prices()),
            "quantities": records(self.quantities()), "welfare": records(self.welfare()),
            "welfare_totals": records(self.welfare_totals()), "fiscal": records(self.fiscal()),
            "money": records(self.money()), "indicators": records(self.indicators()),
            "ranges": {t: records(self.ranges(t)) for t in ("prices", "welfare_totals")},
            "notes": list(self.notes), "assumptions": self.assumptions(), "sources": self.sources(),
        }


def _with_units(frame: pd.DataFrame, r: ChainResult, kind: str) -> pd.DataFrame:
    """Add the stage's basis and unit columns (``price``: price_unit, ``quantity``: unit, ``money``/``currency``)."""
    stages = {st.name: st for st in r.market.stages}
    if "stage" in frame.columns:
        st_of = frame["stage"].map(stages)
    else:  # a table summed over stages: money in the one currency of the market
        st_of = pd.Series([r.market.stages[-1]] * len(frame), index=frame.index)
    frame = frame.copy()
    if kind in ("price", "quantity"):
        frame["basis"] = [s.basis for s in st_of]
    if kind == "price":
        frame["price_unit"] = [s.price_unit for s in st_of]
    elif kind == "quantity":
        frame["unit"] = [s.unit for s in st_of]
    else:
        frame["currency"] = [s.price_unit.split("/")[0] + (" per year" if kind == "money" else "") for s in st_of]
    return frame


def simulate_scenario(scenario: ChainScenarioLike, **solver: Any) -> ScenarioResult:
    """Solve a chain scenario: each mineral on each variant of its market, over the scenario's horizon.

    Raises :class:`ScenarioError` (naming the field) for a scenario that cannot be built; a
    scenario that builds but does not solve returns nulls and reasons (never raises).
    """
    sc = as_chain_scenario(scenario)
    notes = check_scenario(sc)
    runs: dict[str, dict[str, ChainResult]] = {}
    for mineral, entry in sc.minerals.items():
        runs[mineral] = {}
        for variant, market in market_variants(entry, sc.source_path).items():
            try:
                runs[mineral][variant] = simulate_chain(market, entry.policies, sc.horizon, name=sc.name,
                                                        focus=sc.focus, **solver)
            except ChainScenarioError as err:  # check_scenario compiled the same entries: defensive
                raise ScenarioError(f"invalid scenario {sc.name!r}: minerals.{mineral}: {err}") from None
    return ScenarioResult(sc, runs, notes)


def compare_scenarios(scenarios: Sequence[ChainScenarioLike | ScenarioResult]) -> pd.DataFrame:
    """Summaries of several chain scenarios stacked (index scenario, mineral, variant), with the outcome counts."""
    results = [s if isinstance(s, ScenarioResult) else simulate_scenario(s) for s in scenarios]
    frames = [r.summary().assign(scenario=r.name).set_index("scenario", append=True)
              .reorder_levels(["scenario", "mineral", "variant"]) for r in results]
    frame = pd.concat(frames)
    statuses = [m.status for r in results for _, _, m in r.members()]
    labels = [f"{r.name}: {x}" for r in results for x in r._labels()]
    return outcome.summary_attrs(frame, statuses, labels, noun="scenario markets")


__all__ = ["ScenarioResult", "as_chain_scenario", "compare_scenarios", "simulate_scenario"]

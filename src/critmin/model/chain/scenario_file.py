"""Chain-engine scenario files: one or several minerals, their markets, a horizon and every instrument.

A chain scenario is a YAML (or JSON) document with ``engine: chain``, loaded by the one loader
:func:`critmin.model.scenario.load_scenario` and held to the same edge rules as every scenario
(:mod:`critmin.model.scenario`: finite numbers, bounded text, no NUL or lone surrogate, nesting
and size limits, no repeated key). Unknown keys are errors and every error names the field as
written (``minerals.gallium.policies.tariffs.0.rate``).

Example::

    engine: chain
    name: 25% duty on Chinese gallium and graphite
    description: What a Section 232 duty on two Chinese minerals does to US prices over three years.
    sources: ["Proclamation of 14 January 2026 (duties in reserve)"]
    focus: USA
    horizon: {start: 2026, end: 2028, discount_rate: 0.03, discount_rate_source: "user assumption"}
    minerals:
      gallium:
        market: kb:gallium:processing          # a calibrated knowledge-base market
        policies:
          tariffs: [{importer: USA, origins: [CHN], stage: processing, rate: 0.25}]
      graphite:
        market: {ref: graphite_natural}         # chain_market_graphite_natural.yaml
        policies:
          tariffs: [{importer: USA, origins: [CHN], stage: mine, rate: 0.25}]

Markets
-------
``kb:<mineral>:<stage>`` or ``{kb: <mineral>, stage: ..., regions: [...], parameters: {...},
price_series: ..., production_source: ...}``
    One stage (``mine`` or ``processing``) calibrated from the knowledge base by
    :func:`critmin.model.kb.calibrate_market`, at its low and high corners where an input is
    withheld or bounded.
``kb:<mineral>`` or ``{kb: <mineral>, regions: [...]}`` (no stage)
    The linked mine -> processing chain of :func:`critmin.model.kb.calibrate_chain` (the ids
    ``critmin markets`` lists with stage ``chain``); an error says what is missing when the
    mineral has no chain (use one stage, ``kb:<mineral>:processing``, instead).
``{ref: NAME}``
    The market file ``chain_market_NAME.yaml`` next to the scenario or among the presets (a
    mapping with ``kind: chain_market`` and the inline fields below).
inline
    Tidy tables for :func:`critmin.model.chain.chain_from_tables`: ``regions``, ``stages``,
    ``production``, ``trade``, ``prices``, optional ``consumption`` (a check) and ``parameters``.
    **Every row names its source** (``source: ...``) or says it is a user assumption
    (``assumption: ...``), so no figure enters without a label. A quantity known only within
    bounds is given as ``low`` and ``high``; the market is then built at its low corner (every
    bounded figure at its lower bound) and its high corner, and every result is reported for both
    with the min and max across them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import pandas as pd
from pydantic import Discriminator, Field, Tag, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..scenario import (MAX_MINERAL_CHARS, PRESET_DIR, REF_PATTERN, Label, Mineral, Name, Region, ScenarioError, Text,
                        _document_problem, _exists, _read_text, format_validation_error, parse_yaml)
from .market import ChainError, ChainMarket
from .policies import ChainScenarioError, compile_chain_policies
from .scenario import FIRST_YEAR, LAST_YEAR, ChainPolicies, Horizon, NonNeg, Positive, _Strict

#: Most minerals in one scenario (each is solved on every calibrated variant of its market).
MAX_MINERALS = 12
#: A market file's kind.
MARKET_KIND = "chain_market"
KB_STAGES = ("mine", "processing")
_KB_PATTERN = r"kb:([a-z0-9-]+)(?::([a-z]+))?"


# --- inline markets ---------------------------------------------------------------------------------

class _Labelled(_Strict):
    """A figure's label: exactly one of ``source`` (where it was published) or ``assumption`` (why it is assumed)."""

    source: Text | None = None
    assumption: Text | None = None

    @model_validator(mode="after")
    def _one_label(self):
        given = [x for x in (self.source, self.assumption) if x is not None and x.strip()]
        if len(given) != 1:
            raise ValueError("give exactly one of `source` (where the figure was published) or `assumption` (why "
                             "a user assumes it): no figure without a label")
        return self

    def label(self) -> tuple[str, str]:
        """``("source", text)`` or ``("assumption", text)``."""
        return ("source", self.source) if self.source else ("assumption", self.assumption)


class _Quantity(_Labelled):
    """A quantity, or its bounds when it is known only within an interval."""

    quantity: NonNeg | None = None
    low: NonNeg | None = None
    high: NonNeg | None = None

    @model_validator(mode="after")
    def _point_or_bounds(self):
        if self.quantity is not None and (self.low is not None or self.high is not None):
            raise ValueError("give `quantity`, or `low` and `high` for a figure known within bounds, not both")
        if self.quantity is None:
            if self.low is None or self.high is None:
                raise ValueError("give `quantity`, or both `low` and `high`")
            if self.low > self.high:
                raise ValueError(f"`low` {self.low:g} is above `high` {self.high:g}")
        return self

    @property
    def bounded(self) -> bool:
        return self.quantity is None

    def at(self, corner: str) -> float:
        if self.quantity is not None:
            return float(self.quantity)
        return float(self.low if corner == "low" else self.high)


class ProductionRow(_Quantity):
    stage: Label
    country: Region


class TradeRow(_Quantity):
    stage: Label
    exporter: Region
    importer: Region

    @model_validator(mode="after")
    def _two_countries(self):
        if self.exporter == self.importer:
            raise ValueError(f"ships from {self.exporter} to itself; domestic sales are production less exports")
        return self


class ConsumptionRow(_Quantity):
    stage: Label
    country: Region


class PriceRow(_Labelled):
    stage: Label
    price: Positive
    country: Region | None = None


class StageSpec(_Strict):
    """One stage: name, content basis, units and (after the first) tonnes of the previous stage per tonne."""

    name: Label
    basis: Label
    unit: Label = "t"
    price_unit: Label = "USD/t"
    input_coefficient: Positive | dict[Region, Positive] | None = None
    input_coefficient_source: Text | None = None
    sources: list[Text] = []
    assumptions: list[Text] = []


Value = Union[float, dict[Region, float]]


class StageParameters(_Labelled):
    """Behavioural parameters of one stage (numbers or ``{region: value, default: value}``), labelled."""

    substitution: Value | None = None
    demand_short: Value | None = None
    demand_long: Value | None = None
    supply_short: Value | None = None
    supply_long: Value | None = None
    growth: Value | None = None

    def values(self) -> dict[str, Value]:
        return {k: v for k, v in self.model_dump(exclude={"source", "assumption"}).items() if v is not None}


class InlineMarket(_Strict):
    """A market given as tidy tables (see the module docstring)."""

    kind: Literal["chain_market"] | None = None
    mineral: Mineral
    base_year: Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
    regions: list[Union[Region, dict[Region, list[Region]]]] = Field(min_length=1)
    stages: list[StageSpec] = Field(min_length=1, max_length=6)
    production: list[ProductionRow] = Field(min_length=1)
    trade: list[TradeRow] = []
    prices: list[PriceRow] = Field(min_length=1)
    consumption: list[ConsumptionRow] = []
    consumption_tolerance: Annotated[float, Field(ge=0, le=1)] = 0.02
    parameters: dict[Label, StageParameters] = {}
    sources: list[Text] = []
    assumptions: list[Text] = []

    @field_validator("regions")
    @classmethod
    def _groups_have_one_name(cls, value):
        for item in value:
            if isinstance(item, dict) and len(item) != 1:
                raise ValueError("a region group is a mapping with exactly one name: {ALLIES: [JPN, KOR]}")
        return value

    @model_validator(mode="after")
    def _stages_known(self):
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names repeat: {names}")
        for table in ("production", "trade", "prices", "consumption"):
            for j, row in enumerate(getattr(self, table)):
                if row.stage not in names:
                    raise ValueError(f"{table}.{j}.stage: unknown stage {row.stage!r}; the market has {names}")
        for stage in self.parameters:
            if stage not in names:
                raise ValueError(f"parameters.{stage}: unknown stage; the market has {names}")
        for s, st in enumerate(self.stages):
            if s and st.input_coefficient is None:
                raise ValueError(f"stages.{s}.input_coefficient: stage {st.name} draws on {names[s - 1]}; give the "
                                 "tonnes of it needed per tonne")
            if s == 0 and st.input_coefficient is not None:
                raise ValueError("stages.0.input_coefficient: the first stage has no previous stage")
            if s and not (st.input_coefficient_source or "").strip():
                raise ValueError(f"stages.{s}.input_coefficient_source: say where the input coefficient comes from "
                                 "(a source, or 'assumption: ...')")
        return self

    @property
    def bounded(self) -> bool:
        return any(r.bounded for t in (self.production, self.trade, self.consumption) for r in t)

    def corners(self) -> tuple[str, ...]:
        return ("low", "high") if self.bounded else ("point",)

    def labels(self) -> tuple[list[str], list[str]]:
        """Every row's source and assumption, as printed with the results (deduplicated, in order)."""
        sources, assumptions = list(self.sources), list(self.assumptions)
        for table in ("production", "trade", "prices", "consumption"):
            for row in getattr(self, table):
                kind, text = row.label()
                figure = _row_text(table, row)
                (sources if kind == "source" else assumptions).append(f"{figure}: {text}")
        for stage, par in self.parameters.items():
            kind, text = par.label()
            (sources if kind == "source" else assumptions).append(f"parameters of {stage} {par.values()}: {text}")
        for st in self.stages[1:]:
            assumptions.append(f"input coefficient of {st.name}: {st.input_coefficient_source}")
        return list(dict.fromkeys(sources)), list(dict.fromkeys(assumptions))

    def build(self, corner: str = "point") -> ChainMarket:
        """The :class:`ChainMarket` at one corner (``point`` when nothing is bounded, else ``low``/``high``)."""
        from .tables import chain_from_tables

        def frame(rows, cols):
            return pd.DataFrame([{**{c: getattr(r, c) for c in cols}, "quantity": r.at(corner)} for r in rows],
                                columns=list(cols) + ["quantity"])

        production = frame(self.production, ("stage", "country"))
        trade = frame(self.trade, ("stage", "exporter", "importer"))
        by_country = any(r.country is not None for r in self.prices)
        if by_country and not all(r.country is not None for r in self.prices):
            raise ChainError("prices: give every row a country, or none (one world price per stage)")
        prices = pd.DataFrame([{"stage": r.stage, "price": r.price, **({"country": r.country} if by_country else {})}
                               for r in self.prices])
        consumption = frame(self.consumption, ("stage", "country")) if self.consumption else None
        regions = [r if isinstance(r, str) else next(iter(r.items())) for r in self.regions]
        stages = [{"name": s.name, "basis": s.basis, "unit": s.unit, "price_unit": s.price_unit,
                   "input_coefficient": s.input_coefficient, "sources": s.sources, "assumptions": s.assumptions}
                  for s in self.stages]
        sources, assumptions = self.labels()
        if self.bounded:
            bounded = [_row_text(t, r) for t in ("production", "trade", "consumption") for r in getattr(self, t)
                       if r.bounded]
            assumptions.append(f"figures known within bounds; this is the {corner} corner (every bounded figure at "
                               f"its {'lower' if corner == 'low' else 'upper'} bound): {'; '.join(bounded)}")
        return chain_from_tables(self.mineral, regions, stages, production, trade, prices, consumption,
                                 base_year=self.base_year, tolerance=self.consumption_tolerance, sources=sources,
                                 assumptions=assumptions,
                                 parameters={k: v.values() for k, v in self.parameters.items()} or None)


def _row_text(table: str, row) -> str:
    if table == "prices":
        where = f" {row.country}" if row.country else ""
        return f"{row.stage} price{where} {row.price:,.6g}"
    value = f"{row.quantity:,.6g}" if row.quantity is not None else f"{row.low:,.6g}-{row.high:,.6g}"
    if table == "trade":
        return f"{row.stage} trade {row.exporter}->{row.importer} {value}"
    return f"{row.stage} {table} {row.country} {value}"


# --- market references --------------------------------------------------------------------------------

class KBMarketRef(_Strict):
    """``{kb: gallium, stage: processing}``: calibrated from the knowledge base (options as in ``calibrate_market``)."""

    kb: Annotated[str, Field(min_length=1, max_length=MAX_MINERAL_CHARS, pattern=r"^[a-z0-9-]+$")]
    stage: Literal["mine", "processing"] | None = None
    regions: list[Union[Region, dict[Region, list[Region]]]] | None = None
    parameters: dict[str, Value] | None = None
    parameters_source: Text | None = None
    price_series: Label | None = None
    production_source: Label | None = None

    @model_validator(mode="after")
    def _parameters_labelled(self):
        if self.parameters and not (self.parameters_source or "").strip():
            raise ValueError("parameters_source: say where the parameters come from (a source, or the words of a "
                             "user assumption)")
        return self

    def key(self) -> str:
        return f"kb:{self.kb}" + (f":{self.stage}" if self.stage else "")


class MarketFileRef(_Strict):
    """``{ref: NAME}``: the market file ``chain_market_NAME.yaml``."""

    ref: str

    @field_validator("ref")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not (1 <= len(value) <= MAX_MINERAL_CHARS) or not REF_PATTERN.fullmatch(value) or ":" in value:
            raise PydanticCustomError("market_ref", "a market name is 1 to {limit} letters, digits, '_' or '-' (the "
                                      "file chain_market_<name>.yaml)", {"limit": MAX_MINERAL_CHARS})
        return value


def _market_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "kb" if "kb" in value else "ref" if "ref" in value else "inline"
    return {KBMarketRef: "kb", MarketFileRef: "ref"}.get(type(value), "inline")


MarketChoice = Annotated[Union[Annotated[KBMarketRef, Tag("kb")], Annotated[MarketFileRef, Tag("ref")],
                               Annotated[InlineMarket, Tag("inline")]], Discriminator(_market_kind)]


class MineralScenario(_Strict):
    """One mineral of a scenario: its market and the policies applied to it."""

    market: MarketChoice
    policies: ChainPolicies = ChainPolicies()
    notes: list[Text] = []

    @field_validator("market", mode="before")
    @classmethod
    def _kb_shorthand(cls, value: Any) -> Any:
        import re

        if isinstance(value, str):
            match = re.fullmatch(_KB_PATTERN, value)
            if not match:
                raise PydanticCustomError(
                    "market", "a market is kb:<mineral>:<stage> (e.g. kb:gallium:processing), kb:<mineral> (a linked "
                    "mine -> processing chain), {{ref: NAME}} or an "
                    "inline market (regions, stages, production, trade, prices); got {given}",
                    {"given": repr(value[:60])})
            if match.group(2) and match.group(2) not in KB_STAGES:
                raise PydanticCustomError("market", "the stage of a knowledge-base market is mine or processing, "
                                          "got {given}", {"given": repr(match.group(2))})
            return {"kb": match.group(1), **({"stage": match.group(2)} if match.group(2) else {})}
        return value


class ChainScenario(_Strict):
    """A complete chain-engine scenario file (see the module docstring)."""

    engine: Literal["chain"]
    name: Name
    description: Text = ""
    sources: list[Text] = []
    assumptions: list[Text] = []
    focus: Region | None = "USA"
    horizon: Horizon
    minerals: dict[Mineral, MineralScenario] = Field(min_length=1, max_length=MAX_MINERALS)
    source_path: str | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _sound_document(cls, data: Any) -> Any:
        problem = _document_problem(data)
        if problem:
            raise PydanticCustomError("document", "{problem}", {"problem": problem})
        return data

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("scenario name must not be blank")
        return value

    @property
    def engine_name(self) -> str:
        return "chain"


def parse_chain_scenario(data: dict[str, Any], origin: str = "<dict>") -> ChainScenario:
    """Validate a chain scenario given as a dict; :class:`ScenarioError` naming every bad field."""
    try:
        return ChainScenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, origin)) from None


# --- resolution: markets and their calibrated variants ----------------------------------------------------

def load_market_file(ref: str, near: str | None = None) -> InlineMarket:
    """``chain_market_<ref>.yaml`` next to ``near`` (a scenario file) or among the presets."""
    candidates = ([Path(near).parent / f"chain_market_{ref}.yaml"] if near else []) + [
        PRESET_DIR / f"chain_market_{ref}.yaml"]
    for path in candidates:
        if _exists(path):
            data = parse_yaml(_read_text(path), str(path))
            if not isinstance(data, dict) or data.get("kind") != MARKET_KIND:
                raise ScenarioError(f"{path}: a chain market file is a mapping with kind: {MARKET_KIND}")
            try:
                return InlineMarket.model_validate(data)
            except ValidationError as err:
                raise ScenarioError(format_validation_error(err, str(path))) from None
    raise ScenarioError(f"market.ref: no market file chain_market_{ref}.yaml (looked in "
                        f"{[str(c.parent) for c in candidates]})")


def _snapshot_stamp() -> str:
    from critmin.snapshot import default_dir

    manifest = default_dir() / "manifest.json"
    return f"{manifest.resolve()}:{manifest.stat().st_mtime_ns}" if manifest.exists() else str(manifest)


def kb_variants(ref: KBMarketRef) -> dict[str, ChainMarket]:
    """The calibrated variants of a knowledge-base market: ``{"point": m}`` or ``{"low": m, "high": m}``.

    Calibrated once per process, options and snapshot (a rebuilt snapshot recalibrates).
    """
    return dict(_kb_variants(ref.model_dump_json(), _snapshot_stamp()))


@lru_cache(maxsize=64)
def _kb_variants(ref_json: str, stamp: str) -> tuple[tuple[str, ChainMarket], ...]:
    ref = KBMarketRef.model_validate_json(ref_json)
    try:
        from critmin.model import kb
    except ImportError:
        raise ScenarioError(f"market {ref.key()}: knowledge-base chain markets need the calibration package "
                            "critmin.model.kb, which this installation lacks; define the market inline or with "
                            "{ref: ...}") from None
    if ref.stage is None:
        return tuple(_kb_chain(kb, ref).corners().items())
    stages = [ref.stage]
    options = {k: v for k, v in (("regions", _region_specs(ref.regions)), ("parameters", ref.parameters),
                                 ("price_series", ref.price_series), ("production_source", ref.production_source))
               if v is not None}
    try:
        market = kb.calibrate_market(ref.kb, stages[0], **options)
    except (ValueError, LookupError) as err:  # KBDataError, KBBasisError, ChainError are ValueErrors
        raise ScenarioError(f"market {ref.key()}: {err}") from None
    corners = market.corners()
    if ref.parameters:
        note = f"parameters {ref.parameters}: {ref.parameters_source}"
        corners = {k: _with_note(m, note) for k, m in corners.items()}
    return tuple(corners.items())


def _kb_chain(kb, ref: KBMarketRef):
    """The linked chain of ``ref.kb`` (the registry's, or calibrated on the scenario's regions)."""
    unsupported = [k for k in ("parameters", "price_series", "production_source") if getattr(ref, k) is not None]
    if unsupported:
        raise ScenarioError(f"market {ref.key()}: {', '.join(unsupported)}: apply to one stage only; a linked chain "
                            f"(kb:{ref.kb}) takes only regions (or name a stage: kb:{ref.kb}:processing)")
    try:
        if ref.regions is None:
            return kb.by_key(f"kb:{ref.kb}")
        return kb.calibrate_chain(ref.kb, regions=_region_specs(ref.regions))
    except (ValueError, LookupError) as err:  # KBDataError, KBBasisError, ChainError are ValueErrors
        raise ScenarioError(f"market kb:{ref.kb} (the linked mine -> processing chain): {err}; a single stage "
                            f"may still calibrate: kb:{ref.kb}:processing or kb:{ref.kb}:mine") from None


def _region_specs(regions):
    if regions is None:
        return None
    return [r if isinstance(r, str) else next(iter(r.items())) for r in regions]


def _with_note(market: ChainMarket, note: str) -> ChainMarket:
    from dataclasses import replace

    return replace(market, assumptions=tuple(market.assumptions) + (note,))


def market_variants(entry: MineralScenario, near: str | None = None) -> dict[str, ChainMarket]:
    """The calibrated variants of a mineral's market (``point``, or ``low`` and ``high``)."""
    market = entry.market
    try:
        if isinstance(market, KBMarketRef):
            return kb_variants(market)
        spec = load_market_file(market.ref, near) if isinstance(market, MarketFileRef) else market
        return {corner: spec.build(corner) for corner in spec.corners()}
    except ChainError as err:
        raise ScenarioError(f"market: {err}") from None


def market_key(entry: MineralScenario) -> str:
    """A stable text naming the market (for grouping and fingerprints)."""
    m = entry.market
    if isinstance(m, KBMarketRef):
        return m.model_dump_json()
    if isinstance(m, MarketFileRef):
        return f"ref:{m.ref}"
    return json.dumps(m.model_dump(mode="json"), sort_keys=True)


def check_scenario(scenario: ChainScenario) -> list[str]:
    """Compile every mineral's policies on every variant of its market; the notes, or :class:`ScenarioError`.

    The notes say what each instrument assumes and which can do nothing and why (a floor on a
    region with no eligible output is allowed, and reported as paying and doing nothing); an
    instrument naming an unknown region or stage is an error naming the field
    (``minerals.gallium.policies.tariffs.0.importer: unknown region 'XXX'; ...``).
    """
    notes: list[str] = []
    for mineral, entry in scenario.minerals.items():
        found: dict[str, list[str]] = {}
        for corner, market in market_variants(entry, scenario.source_path).items():
            try:
                _, found[corner], _ = compile_chain_policies(market, entry.policies, scenario.horizon,
                                                             prefix=f"minerals.{mineral}.policies")
            except (ChainScenarioError, ChainError) as err:
                raise ScenarioError(f"invalid scenario {scenario.name!r}:\n  {err}") from None
        # a note every variant gives is said once; one that differs names its corner
        common = set.intersection(*(set(v) for v in found.values()))
        for corner, items in found.items():
            for note in items:
                if note in common:
                    notes.append(f"{mineral}: {note}")
                else:
                    notes.append(f"{mineral} ({corner} corner): {note}")
    return list(dict.fromkeys(notes))


__all__ = ["ChainScenario", "InlineMarket", "KBMarketRef", "MarketFileRef", "MineralScenario", "check_scenario",
           "kb_variants", "load_market_file", "market_key", "market_variants", "parse_chain_scenario"]

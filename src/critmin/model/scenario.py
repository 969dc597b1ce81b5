"""Scenario files: the pydantic v2 schema and the YAML loader.

A scenario names a market (inline, ``{ref: NAME}`` pointing to a market
file ``market_NAME.yaml`` next to the scenario or among the presets, or
``{from_kb: {mineral: ..., stage: ...}}`` calibrated from the knowledge base)
and the policies to apply. Unknown keys are errors, and every error names the field
(``policies.tariffs.0.rate``) so that a typo never passes silently.

Example::

    name: talks-fail-gallium-mip
    focus: USA
    market: {ref: gallium}
    policies:
      minimum_import_prices:
        - {importer: USA, price: 400, exempt: [JPN]}
      tariffs:
        - {importer: USA, origins: [CHN], rate: 0.25}
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

PRESET_DIR = Path(__file__).resolve().parent.parent / "scenarios"

Regions = Union[Literal["all"], list[str]]
NonNeg = Annotated[float, Field(ge=0)]
Rate = Annotated[float, Field(gt=-1)]


class ScenarioError(ValueError):
    """A scenario that cannot be built, with the offending field in the message."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ElasticityValue = Union[float, dict[str, float]]


class Elasticities(_Strict):
    """Elasticities by kind: a number for all regions or ``{region: value, default: value}``."""

    substitution: ElasticityValue | None = None
    demand: ElasticityValue | None = None
    supply: ElasticityValue | None = None

    def as_dict(self) -> dict[str, ElasticityValue]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class BaseTariff(_Strict):
    importer: str
    origins: Regions = "all"
    rate: Rate


class MarketSpec(_Strict):
    """A market defined from data: either ``flows`` or ``production`` + ``consumption``.

    ``flows_source`` is the line printed about where ``flows`` come from (default: a
    user-supplied matrix; markets resolved from the knowledge base describe theirs in
    ``notes`` and leave it empty).
    """

    mineral: str = "mineral"
    stage: str = "processing"
    unit: str = "t"
    price_unit: str = "USD/t"
    regions: list[str] = Field(min_length=1)
    price: float | dict[str, float] = Field(description="base producer price (one, or per region)")
    flows: dict[str, dict[str, NonNeg]] | list[list[NonNeg]] | None = None
    production: dict[str, NonNeg] | None = None
    consumption: dict[str, NonNeg] | None = None
    balance: str = "error"
    base_tariffs: list[BaseTariff] = []
    elasticities: Elasticities = Elasticities()
    sources: list[str] = []
    notes: list[str] = []
    flows_source: str = "bilateral flows taken from the user-supplied matrix"

    @model_validator(mode="after")
    def _one_way_to_give_flows(self) -> "MarketSpec":
        if self.flows is None and (self.production is None or self.consumption is None):
            raise ValueError("give either `flows` or both `production` and `consumption`")
        if len(set(self.regions)) != len(self.regions):
            raise ValueError(f"`regions` has duplicates: {self.regions}")
        return self


class MarketRef(_Strict):
    """Reference to a market file ``market_<ref>.yaml``."""

    ref: str


class KBSource(_Strict):
    """Calibrate the market from the knowledge base (:func:`critmin.model.calibrate_kb.calibrate_from_kb`).

    ``regions`` lists ISO3 codes or one-key mappings ``{NAME: [ISO3, ...]}`` for groups;
    ``ROW`` takes every other country. Values given here (``us_production``,
    ``us_consumption``, ``price``, ``other_consumption``, a weights mapping for
    ``residual_consumption``) are user assumptions and say so in every output; say why
    in ``notes``. ``flows`` (a bilateral_trade Parquet or CSV file) is resolved relative to
    the scenario file and is only accepted in scenario files.
    """

    mineral: str
    stage: Literal["mine", "processing", "unspecified"] = "processing"
    year: int | None = None
    vintage: int | None = None
    regions: list[Union[str, dict[str, list[str]]]] | None = None
    series_label: str | None = None
    us_production: NonNeg | None = None
    us_consumption: NonNeg | None = None
    price: Annotated[float, Field(gt=0)] | None = None
    price_source: Literal["salient", "ds140"] = "salient"
    consumption_detail: str | None = None
    price_series: str | None = None
    other_consumption: dict[str, NonNeg] | None = None
    residual_consumption: Union[str, dict[str, NonNeg]] = "auto"
    flows: str | None = None
    trade_year: int | None = None
    coverage: Annotated[float, Field(gt=0, le=1)] = 0.9
    max_producers: Annotated[int, Field(ge=1, le=12)] = 6
    min_import_share: Annotated[float, Field(ge=0, le=100)] = 10.0
    elasticities: Elasticities = Elasticities()
    notes: list[str] = []

    @field_validator("regions")
    @classmethod
    def _groups_have_one_name(cls, value):
        for item in value or []:
            if isinstance(item, dict) and len(item) != 1:
                raise ValueError("a region group is a mapping with exactly one name: {ALLIES: [JPN, KOR]}")
        return value

    def region_specs(self) -> list | None:
        """Regions in the form :func:`calibrate_from_kb` takes (names and ``(name, members)``)."""
        if self.regions is None:
            return None
        return [item if isinstance(item, str) else next(iter(item.items())) for item in self.regions]


class MarketFromKB(_Strict):
    """``market: {from_kb: {mineral: gallium, stage: processing}}``."""

    from_kb: KBSource

    @property
    def mineral(self) -> str:
        return self.from_kb.mineral


class Tariff(_Strict):
    """Additional ad valorem duty (added to any base tariff), e.g. a Section 232 duty."""

    importer: str | list[str]
    origins: Regions = "all"
    exempt: list[str] = Field(default=[], alias="except")
    rate: Rate

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MinimumImportPrice(_Strict):
    """Minimum import price enforced by a variable levy: levy = max(0, MIP - duty-paid landed price)."""

    importer: str | list[str]
    price: Annotated[float, Field(gt=0)]
    origins: Regions = "all"
    exempt: list[str] = []


class PriceFloor(_Strict):
    """Producer price floor paid as a contract for difference on eligible output."""

    region: str
    floor: Annotated[float, Field(gt=0)]
    upside_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    eligible_share: Annotated[float, Field(ge=0, le=1)] = 1.0


class BuyerOfLastResort(_Strict):
    """The government buys any quantity offered at the floor price by producers of ``region``."""

    region: str
    floor: Annotated[float, Field(gt=0)]


class ExportRestriction(_Strict):
    """Export ban, quota (total quantity to the listed importers) or ad valorem export tax."""

    exporter: str
    kind: Literal["ban", "quota", "tax"]
    importers: Regions = "all"
    quantity: NonNeg | None = None
    rate: Rate | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> "ExportRestriction":
        if self.kind == "quota" and self.quantity is None:
            raise ValueError("an export quota needs `quantity`")
        if self.kind == "tax" and self.rate is None:
            raise ValueError("an export tax needs `rate`")
        if self.kind == "ban" and (self.quantity is not None or self.rate is not None):
            raise ValueError("an export ban takes neither `quantity` nor `rate`")
        return self


class Stockpile(_Strict):
    """Government net purchase (positive) or release (negative) in ``region``, in the market unit."""

    region: str
    quantity: float


class Capacity(_Strict):
    """Shift of a region's supply curve: ``change`` relative (0.2 = +20%) or ``add`` in units at base price."""

    region: str
    change: float | None = Field(default=None, gt=-1)
    add: float | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "Capacity":
        if (self.change is None) == (self.add is None):
            raise ValueError("give exactly one of `change` (relative) or `add` (quantity)")
        return self


class DemandShock(_Strict):
    """Shift of a region's demand curve, relative (0.1 = +10% at every price)."""

    region: str
    change: Annotated[float, Field(gt=-1)]


class Club(_Strict):
    """Trading club: tariff-free inside, a common external tariff and/or minimum import price."""

    name: str = "club"
    members: list[str] = Field(min_length=2)
    external_tariff: Rate | None = None
    external_mip: Annotated[float, Field(gt=0)] | None = None


class Policies(_Strict):
    tariffs: list[Tariff] = []
    minimum_import_prices: list[MinimumImportPrice] = []
    price_floors: list[PriceFloor] = []
    buyer_of_last_resort: list[BuyerOfLastResort] = []
    export_restrictions: list[ExportRestriction] = []
    stockpile: list[Stockpile] = []
    capacity: list[Capacity] = []
    demand_shocks: list[DemandShock] = []
    clubs: list[Club] = []


def _market_kind(value: Any) -> str:
    """Which kind of market a scenario gives: ``ref``, ``from_kb`` or inline (so errors name one kind)."""
    if isinstance(value, dict):
        return "ref" if "ref" in value else "kb" if "from_kb" in value else "inline"
    return {MarketRef: "ref", MarketFromKB: "kb"}.get(type(value), "inline")


_MARKET_TAGS = ("inline", "ref", "kb")


class Scenario(_Strict):
    """A complete scenario file."""

    name: str
    description: str = ""
    focus: str | None = "USA"
    market: Annotated[
        Union[Annotated[MarketSpec, Tag("inline")], Annotated[MarketRef, Tag("ref")],
              Annotated[MarketFromKB, Tag("kb")]],
        Discriminator(_market_kind),
    ]
    elasticities: Elasticities = Elasticities()
    policies: Policies = Policies()
    source_path: str | None = Field(default=None, exclude=True)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("scenario name must not be blank")
        return value


def format_validation_error(err: ValidationError, origin: str) -> str:
    """One line per problem: ``field.path: message``."""
    lines = [f"invalid scenario {origin}:"]
    for e in err.errors():
        parts = list(e["loc"])
        if len(parts) > 1 and parts[0] == "market" and parts[1] in _MARKET_TAGS:
            del parts[1]  # the union tag is not a field the user wrote
        loc = ".".join(str(x) for x in parts)
        lines.append(f"  {loc or '<root>'}: {e['msg']}")
    return "\n".join(lines)


def parse_scenario(data: dict[str, Any], origin: str = "<dict>") -> Scenario:
    """Validate a scenario given as a dict; raise :class:`ScenarioError` naming the fields."""
    if not isinstance(data, dict):
        raise ScenarioError(f"invalid scenario {origin}: the top level must be a mapping")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, origin)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    A bare name without a suffix (``"gallium_ban"``) is looked up among the presets.
    """
    path = Path(path)
    if not path.suffix and not path.exists():
        preset = PRESET_DIR / f"{path.name}.yaml"
        if not preset.exists() or path.name.startswith("market_"):
            known = sorted(p.stem for p in PRESET_DIR.glob("*.yaml") if not p.stem.startswith("market_"))
            raise ScenarioError(f"unknown preset {str(path)!r} (and no such file); presets: {', '.join(known)} "
                                "(see `critmin scenarios`)")
        path = preset
    if not path.exists():
        raise ScenarioError(f"scenario file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path}: not valid YAML: {err}") from None
    if isinstance(data, dict) and data.get("kind") == "market":
        raise ScenarioError(f"{path} is a market file, not a scenario; reference it with market: {{ref: ...}}")
    scenario = parse_scenario(data, str(path))
    return scenario.model_copy(update={"source_path": str(path.resolve())})


def load_market_spec(ref: str, near: str | None = None) -> MarketSpec:
    """Load ``market_<ref>.yaml`` from next to ``near`` or from the presets.

    A market file either defines the market (``regions``, ``flows`` or ``production`` and
    ``consumption``, ...) or holds ``from_kb: {...}``, which is resolved from the
    knowledge base (:func:`resolve_kb_market`).
    """
    candidates = []
    if near:
        candidates.append(Path(near).parent / f"market_{ref}.yaml")
    candidates.append(PRESET_DIR / f"market_{ref}.yaml")
    for path in candidates:
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            data = {k: v for k, v in data.items() if k != "kind"}
            try:
                if "from_kb" in data:
                    return resolve_kb_market(MarketFromKB.model_validate(data).from_kb, str(path.parent))
                return MarketSpec.model_validate(data)
            except ValidationError as err:
                raise ScenarioError(format_validation_error(err, str(path))) from None
    raise ScenarioError(f"market.ref: no market file market_{ref}.yaml (looked in {[str(c.parent) for c in candidates]})")


def resolve_kb_market(source: KBSource, base: str | None = None) -> MarketSpec:
    """The explicit market (regions, flows, price, sources and assumptions) a ``from_kb`` block describes.

    Calibrated by :func:`critmin.model.calibrate_kb.kb_market_inputs`, once per process for
    the same block and snapshot. ``base`` is the folder a relative ``flows`` path is resolved in.
    """
    from critmin.snapshot import default_dir

    manifest = default_dir() / "manifest.json"
    stamp = f"{manifest.resolve()}:{manifest.stat().st_mtime_ns}" if manifest.exists() else str(manifest)
    return _resolve_kb_market(source.model_dump_json(), base, stamp)


@lru_cache(maxsize=32)
def _resolve_kb_market(source_json: str, base: str | None, snapshot: str) -> MarketSpec:
    """Cached per (block, folder, snapshot manifest and its modification time): a rebuilt snapshot recalibrates."""
    from .calibrate_kb import kb_market_inputs

    source = KBSource.model_validate_json(source_json)
    flows = None
    if source.flows is not None:
        flows = Path(source.flows)
        if not flows.is_absolute() and base is not None:
            flows = Path(base) / flows
    try:
        inputs = kb_market_inputs(
            source.mineral, source.stage, source.year, source.region_specs(), flows, vintage=source.vintage,
            series_label=source.series_label, us_production=source.us_production,
            us_consumption=source.us_consumption, price=source.price, price_source=source.price_source,
            consumption_detail=source.consumption_detail, price_series=source.price_series,
            other_consumption=source.other_consumption, residual_consumption=source.residual_consumption,
            coverage=source.coverage, max_producers=source.max_producers, min_import_share=source.min_import_share,
            trade_year=source.trade_year)
    except ValueError as err:  # KBCalibrationError and MarketError are ValueErrors
        raise ScenarioError(f"market.from_kb: {err}") from None
    names = list(inputs.regions)
    flows_dict = {o: {d: float(inputs.flows[i, j]) for j, d in enumerate(names) if inputs.flows[i, j] > 0}
                  for i, o in enumerate(names) if inputs.flows[i].sum() > 0}
    return MarketSpec(
        mineral=inputs.mineral, stage=inputs.stage, unit=inputs.unit, price_unit=inputs.price_unit,
        regions=names, price=inputs.price, flows=flows_dict, elasticities=source.elasticities,
        notes=list(inputs.notes) + [f"note: {n}" for n in source.notes], flows_source="",
    )

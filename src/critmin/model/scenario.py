"""Scenario files: the pydantic v2 schema and the YAML loader.

A scenario names a market (inline, ``{ref: NAME}`` pointing to a market
file ``market_NAME.yaml`` next to the scenario or among the presets, or
``{from_kb: {mineral: ..., stage: ...}}`` calibrated from the knowledge base)
and the policies to apply. Unknown keys are errors, and every error names the field
(``policies.tariffs.0.rate``) so that a typo never passes silently.

What a scenario may hold is checked here, once, for every way in (a YAML file, a dict from
Python, a JSON body of the REST API): numbers are finite (no ``NaN``, ``Infinity`` or
``1e400``), except a supply elasticity, which may be ``+inf`` (perfectly elastic supply;
written ``.inf`` in YAML, ``"Infinity"`` in JSON, and saved as ``"Infinity"``); text has no NUL character and no lone surrogate and stays within the lengths
below (the web database's columns are sized to them, so SQLite and PostgreSQL store the
same); a market reference is a plain name; documents nest at most :data:`MAX_DEPTH` levels
and hold at most :data:`MAX_NODES` values (YAML aliases counted as expanded), and a YAML
mapping never repeats a key.

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

import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (AfterValidator, BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag,
                      ValidationError, field_validator, model_validator)
from pydantic_core import PydanticCustomError

from critmin.snapshot.manifest import per_snapshot

PRESET_DIR = Path(__file__).resolve().parent.parent / "scenarios"

#: Longest scenario name (the web database's ``scenarios.name`` and ``runs.scenario_name``).
MAX_NAME_CHARS = 200
#: Longest free text: a description, a note, a source line.
MAX_TEXT_CHARS = 4000
#: Longest short label: a stage, a unit, a series label, a club's name.
MAX_LABEL_CHARS = 200
#: Longest mineral name or market reference (the web database's ``scenarios.mineral``).
MAX_MINERAL_CHARS = 100
#: Longest region name.
MAX_REGION_CHARS = 64
#: Longest path of a trade file named in ``from_kb.flows``.
MAX_PATH_CHARS = 1000
#: Deepest nesting of a scenario document (a scenario needs 6).
MAX_DEPTH = 16
#: Most values in a scenario document (a 100-region market's flow matrix is 10,000).
MAX_NODES = 200_000

#: A market reference names the file ``market_<ref>.yaml``: letters, digits, ``_``, ``-`` (and the
#: ``kb:<mineral>:<stage>`` ids of the web builder, refused later with a message saying what to send).
REF_PATTERN = re.compile(r"[A-Za-z0-9_:-]+")
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")

Name = Annotated[str, StringConstraints(max_length=MAX_NAME_CHARS)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
Label = Annotated[str, StringConstraints(max_length=MAX_LABEL_CHARS)]
Mineral = Annotated[str, StringConstraints(min_length=1, max_length=MAX_MINERAL_CHARS)]
Region = Annotated[str, StringConstraints(min_length=1, max_length=MAX_REGION_CHARS)]
Regions = Union[Literal["all"], list[Region]]
NonNeg = Annotated[float, Field(ge=0)]
Rate = Annotated[float, Field(gt=-1)]


class ScenarioError(ValueError):
    """A scenario that cannot be built, with the offending field in the message."""


class _Strict(BaseModel):
    # allow_inf_nan=False: NaN, Infinity and 1e400 (which JSON and YAML read as inf) are refused
    # with the field's name, instead of failing later as a singular Jacobian or saving as null;
    # the one infinity allowed (a supply elasticity) is written to JSON as the string "Infinity"
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, ser_json_inf_nan="strings")


def _document_problem(data: Any) -> str | None:
    """The first problem of a raw scenario document, as ``field.path: what is wrong``, or None.

    Checked before the schema (iteratively, so a deep document cannot exhaust the stack):
    nesting depth, number of values, and text that is not valid Unicode or holds NUL.
    """
    stack: list[tuple[Any, tuple, int]] = [(data, (), 0)]
    seen = 0
    while stack:
        value, path, depth = stack.pop()
        seen += 1
        where = ".".join(map(str, path)) or "<root>"
        if seen > MAX_NODES:
            return f"{where}: the document holds more than {MAX_NODES:,} values"
        if isinstance(value, str):
            bad = _BAD_TEXT.search(value)
            if bad:
                what = ("a NUL character (U+0000)" if bad.group() == "\x00"
                        else f"a lone surrogate (U+{ord(bad.group()):04X}), which is not valid Unicode text")
                return f"{where}: contains {what}"
        elif isinstance(value, (dict, list, tuple)):
            if depth >= MAX_DEPTH:
                return f"{where}: nested more than {MAX_DEPTH} levels deep"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and _BAD_TEXT.search(key):
                    stack.append((key, path, depth + 1))
                stack.append((item, (*path, key), depth + 1))
    return None


def check_document(data: Any, origin: str = "<dict>") -> None:
    """Raise :class:`ScenarioError` naming the field when a raw document breaks the limits above."""
    problem = _document_problem(data)
    if problem:
        raise ScenarioError(f"invalid scenario {origin}:\n  {problem}")


def _elasticity_kind(value: Any) -> str:
    return "by_region" if isinstance(value, dict) else "number"


#: The union tags of an elasticity (one number, or one per region): not fields the user wrote.
_ELASTICITY_TAGS = ("number", "by_region")
ElasticityValue = Annotated[Union[Annotated[float, Tag("number")], Annotated[dict[Region, float], Tag("by_region")]],
                            Discriminator(_elasticity_kind)]


def _supply_elasticity(value: float) -> float:
    if math.isnan(value) or value == -math.inf:
        raise PydanticCustomError("supply_elasticity", "a supply elasticity is a number, or +inf for perfectly elastic "
                                  "supply; not {value}", {"value": str(value)})
    return value


#: A supply elasticity: finite, or ``+inf`` (perfectly elastic supply at the base price).
SupplyElasticity = Annotated[float, Field(allow_inf_nan=True), AfterValidator(_supply_elasticity)]
SupplyValue = Annotated[Union[Annotated[SupplyElasticity, Tag("number")],
                              Annotated[dict[Region, SupplyElasticity], Tag("by_region")]],
                        Discriminator(_elasticity_kind)]


class Elasticities(_Strict):
    """Elasticities by kind: a number for all regions or ``{region: value, default: value}``."""

    substitution: ElasticityValue | None = None
    demand: ElasticityValue | None = None
    supply: SupplyValue | None = None

    def as_dict(self) -> dict[str, ElasticityValue]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class BaseTariff(_Strict):
    importer: Region
    origins: Regions = "all"
    rate: Rate


class MarketSpec(_Strict):
    """A market defined from data: either ``flows`` or ``production`` + ``consumption``.

    ``flows_source`` is the line printed about where ``flows`` come from (default: a
    user-supplied matrix; markets resolved from the knowledge base describe theirs in
    ``notes`` and leave it empty).
    """

    mineral: Mineral = "mineral"
    stage: Label = "processing"
    unit: Label = "t"
    price_unit: Label = "USD/t"
    regions: list[Region] = Field(min_length=1)
    price: float | dict[Region, float] = Field(description="base producer price (one, or per region)")
    flows: dict[Region, dict[Region, NonNeg]] | list[list[NonNeg]] | None = None
    production: dict[Region, NonNeg] | None = None
    consumption: dict[Region, NonNeg] | None = None
    balance: Label = "error"
    base_tariffs: list[BaseTariff] = []
    elasticities: Elasticities = Elasticities()
    sources: list[Text] = []
    notes: list[Text] = []
    flows_source: Text = "bilateral flows taken from the user-supplied matrix"

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

    @field_validator("ref")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        # the name becomes a file name: no path, no separator, nothing the file system refuses
        if not (1 <= len(value) <= MAX_MINERAL_CHARS) or not REF_PATTERN.fullmatch(value):
            raise PydanticCustomError(
                "market_ref", "a market name is 1 to {limit} letters, digits, '_' or '-' (the file "
                "market_<name>.yaml); got {given}", {"limit": MAX_MINERAL_CHARS,
                                                     "given": repr(value[:40]) + ("..." if len(value) > 40 else "")})
        return value


class KBSource(_Strict):
    """Calibrate the market from the knowledge base (:func:`critmin.model.calibrate_kb.calibrate_from_kb`).

    ``regions`` lists ISO3 codes or one-key mappings ``{NAME: [ISO3, ...]}`` for groups;
    ``ROW`` takes every other country. Values given here (``us_production``,
    ``us_consumption``, ``price``, ``other_consumption``, a weights mapping for
    ``residual_consumption``) are user assumptions and say so in every output; say why
    in ``notes``. ``flows`` (a bilateral_trade Parquet or CSV file) is resolved relative to
    the scenario file and is only accepted in scenario files.
    """

    mineral: Mineral
    stage: Literal["mine", "processing", "unspecified"] = "processing"
    year: Annotated[int, Field(ge=1900, le=2200)] | None = None
    vintage: Annotated[int, Field(ge=1900, le=2200)] | None = None
    regions: list[Union[Region, dict[Region, list[Region]]]] | None = None
    series_label: Label | None = None
    us_production: NonNeg | None = None
    us_consumption: NonNeg | None = None
    price: Annotated[float, Field(gt=0)] | None = None
    price_source: Literal["salient", "ds140"] = "salient"
    consumption_detail: Label | None = None
    price_series: Label | None = None
    other_consumption: dict[Region, NonNeg] | None = None
    residual_consumption: Union[Label, dict[Region, NonNeg]] = "auto"
    flows: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PATH_CHARS)] | None = None
    trade_year: Annotated[int, Field(ge=1900, le=2200)] | None = None
    coverage: Annotated[float, Field(gt=0, le=1)] = 0.9
    max_producers: Annotated[int, Field(ge=1, le=12)] = 6
    min_import_share: Annotated[float, Field(ge=0, le=100)] = 10.0
    elasticities: Elasticities = Elasticities()
    notes: list[Text] = []

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

    importer: Region | list[Region]
    origins: Regions = "all"
    exempt: list[Region] = Field(default=[], alias="except")
    rate: Rate

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class MinimumImportPrice(_Strict):
    """Minimum import price enforced by a variable levy: levy = max(0, MIP - duty-paid landed price)."""

    importer: Region | list[Region]
    price: Annotated[float, Field(gt=0)]
    origins: Regions = "all"
    exempt: list[Region] = []


class PriceFloor(_Strict):
    """Producer price floor paid as a contract for difference on eligible output."""

    region: Region
    floor: Annotated[float, Field(gt=0)]
    upside_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    eligible_share: Annotated[float, Field(ge=0, le=1)] = 1.0


class BuyerOfLastResort(_Strict):
    """The government buys any quantity offered at the floor price by producers of ``region``."""

    region: Region
    floor: Annotated[float, Field(gt=0)]


class ExportRestriction(_Strict):
    """Export ban, quota (total quantity to the listed importers) or ad valorem export tax."""

    exporter: Region
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

    region: Region
    quantity: float


class Capacity(_Strict):
    """Shift of a region's supply curve: ``change`` relative (0.2 = +20%) or ``add`` in units at base price."""

    region: Region
    change: float | None = Field(default=None, gt=-1)
    add: float | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "Capacity":
        if (self.change is None) == (self.add is None):
            raise ValueError("give exactly one of `change` (relative) or `add` (quantity)")
        return self


class DemandShock(_Strict):
    """Shift of a region's demand curve, relative (0.1 = +10% at every price)."""

    region: Region
    change: Annotated[float, Field(gt=-1)]


class Club(_Strict):
    """Trading club: tariff-free inside, a common external tariff and/or minimum import price."""

    name: Label = "club"
    members: list[Region] = Field(min_length=2)
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

    name: Name
    description: Text = ""
    focus: Region | None = "USA"
    market: Annotated[
        Union[Annotated[MarketSpec, Tag("inline")], Annotated[MarketRef, Tag("ref")],
              Annotated[MarketFromKB, Tag("kb")]],
        Discriminator(_market_kind),
    ]
    elasticities: Elasticities = Elasticities()
    policies: Policies = Policies()
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


def field_path(loc: tuple | list) -> str:
    """A validation error's location as the user wrote it: ``market.mineral``, not ``market.inline.mineral``."""
    tags = {"market": _MARKET_TAGS, "substitution": _ELASTICITY_TAGS, "demand": _ELASTICITY_TAGS,
            "supply": _ELASTICITY_TAGS,
            # a request body (or a comparison item) holding a scenario of either engine (critmin.web.api.scenarios)
            "body": ENGINES, "scenario": ENGINES}
    loc = list(loc)
    parts = [part for i, part in enumerate(loc)  # a union tag is not a field the user wrote
             if not (i and isinstance(loc[i - 1], str) and part in tags.get(loc[i - 1], ()))]
    return ".".join(str(x) for x in parts)


def format_validation_error(err: ValidationError, origin: str) -> str:
    """One line per problem: ``field.path: message``."""
    lines = [f"invalid scenario {origin}:"]
    for e in err.errors():
        loc = field_path(e["loc"])
        if e["type"] == "document" and not loc:  # the message names the field itself
            lines.append(f"  {e['msg']}")
        else:
            lines.append(f"  {loc or '<root>'}: {e['msg']}")
    return "\n".join(lines)


_OPENS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
          yaml.FlowSequenceStartToken)
_CLOSES = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def parse_yaml(text: str, origin: str) -> Any:
    """The document in a scenario or market YAML text, within the limits of a scenario.

    PyYAML builds nested collections recursively and expands aliases into shared objects, so
    the text is checked first with its (iterative) scanner: at most :data:`MAX_DEPTH` levels
    of nesting; then the node graph: at most :data:`MAX_NODES` values with every alias
    counted as expanded (a "billion laughs" file is refused before anything expands it), no
    recursive alias, and no key repeated in a mapping (PyYAML would keep the last one
    silently). Every problem is a :class:`ScenarioError` naming ``origin`` and, where the
    text has one, the line.
    """
    try:
        depth = 0
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, _OPENS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ScenarioError(f"{origin}: line {token.start_mark.line + 1}: nested more than "
                                        f"{MAX_DEPTH} levels deep")
            elif isinstance(token, _CLOSES):
                depth -= 1
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_yaml_nodes(node, origin)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except ScenarioError:
        raise
    except yaml.YAMLError as err:
        raise ScenarioError(f"{origin}: not valid YAML: {err}") from None
    except (ValueError, TypeError, OverflowError) as err:  # e.g. a date such as 2024-13-45
        raise ScenarioError(f"{origin}: a value cannot be read: {err}") from None
    check_document(data, origin)
    return data


def _check_yaml_nodes(root: yaml.Node, origin: str) -> None:
    """Expanded size, recursive aliases and repeated keys of a composed YAML document (iterative)."""
    size: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if isinstance(node, yaml.MappingNode):
            children = [c for pair in node.value for c in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        if finished:
            active.discard(id(node))
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            if size[id(node)] > MAX_NODES:
                raise ScenarioError(f"{origin}: line {node.start_mark.line + 1}: the document holds more than "
                                    f"{MAX_NODES:,} values (aliases counted as expanded)")
            continue
        if id(node) in size:
            continue
        if isinstance(node, yaml.MappingNode):
            keys: set = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in keys:
                        raise ScenarioError(f"{origin}: line {key.start_mark.line + 1}: the key {key.value!r} "
                                            "appears twice in the same mapping")
                    keys.add(key.value)
        active.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in active:
                raise ScenarioError(f"{origin}: line {child.start_mark.line + 1}: an alias refers to the "
                                    "collection that contains it (a recursive document)")
            if id(child) not in size:
                stack.append((child, False))


#: The engines a scenario document may name (``engine:``); a document without the key is an Armington one.
ENGINES = ("armington", "chain")


def parse_scenario(data: dict[str, Any], origin: str = "<dict>", *, engines: tuple[str, ...] = ("armington",)):
    """Validate a scenario given as a dict; raise :class:`ScenarioError` naming the fields.

    ``engine: chain`` documents become :class:`critmin.model.chain.scenario_file.ChainScenario`
    (when ``engines`` admits them), the others :class:`Scenario`. The default admits Armington
    scenarios only, so an entry point built for them (the REST API and the web builder until
    they are wired to the chain engine) refuses a chain document with a 4xx-able error rather
    than failing later.
    """
    if not isinstance(data, dict):
        raise ScenarioError(f"invalid scenario {origin}: the top level must be a mapping")
    engine = data.get("engine", "armington")
    if engine not in ENGINES:
        raise ScenarioError(f"invalid scenario {origin}:\n  engine: must be one of {list(ENGINES)}, got "
                            f"{_short(repr(engine), 60)}")
    if engine not in engines:
        raise ScenarioError(f"invalid scenario {origin}:\n  engine: {engine!r} scenarios are not accepted here (this "
                            f"entry point takes {', '.join(engines)}); load it with critmin.model.load_scenario")
    if engine == "chain":
        from .chain.scenario_file import parse_chain_scenario

        return parse_chain_scenario(data, origin)
    body = {k: v for k, v in data.items() if k != "engine"}
    try:
        return Scenario.model_validate(body)
    except ValidationError as err:
        message = format_validation_error(err, origin)
        if any(k in data for k in ("horizon", "minerals")):
            message += "\n  (horizon and minerals belong to chain-engine scenarios, which start with `engine: chain`)"
        raise ScenarioError(message) from None


def load_scenario(path: str | Path):
    """Read and validate a scenario YAML file, of either engine (the one loader).

    A bare name without a suffix (``"gallium_ban"``) is looked up among the presets. Returns a
    :class:`Scenario` (Armington) or, for a document with ``engine: chain``, a
    :class:`critmin.model.chain.scenario_file.ChainScenario`.
    """
    path = Path(path)
    if not path.suffix and not _exists(path):
        preset = PRESET_DIR / f"{path.name}.yaml"
        if not _exists(preset) or _is_market_file(path.name):
            known = sorted(p.stem for p in PRESET_DIR.glob("*.yaml") if not _is_market_file(p.stem))
            raise ScenarioError(f"unknown preset {_short(str(path))!r} (and no such file); presets: "
                                f"{', '.join(known)} (see `critmin scenarios`)")
        path = preset
    if not _exists(path):
        raise ScenarioError(f"scenario file not found: {_short(str(path))}")
    data = parse_yaml(_read_text(path), str(path))
    if isinstance(data, dict) and data.get("kind") in ("market", "chain_market"):
        raise ScenarioError(f"{path} is a market file, not a scenario; reference it with market: {{ref: ...}}")
    scenario = parse_scenario(data, str(path), engines=ENGINES)
    return scenario.model_copy(update={"source_path": str(path.resolve())})


def _is_market_file(stem: str) -> bool:
    return stem.startswith("market_") or stem.startswith("chain_market_")


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
        if _exists(path):
            data = parse_yaml(_read_text(path), str(path))
            if not isinstance(data, dict):
                raise ScenarioError(f"{path}: a market file is a mapping (regions, flows or production and "
                                    "consumption, ...)")
            data = {k: v for k, v in data.items() if k != "kind"}
            try:
                if "from_kb" in data:
                    return resolve_kb_market(MarketFromKB.model_validate(data).from_kb, str(path.parent))
                return MarketSpec.model_validate(data)
            except ValidationError as err:
                raise ScenarioError(format_validation_error(err, str(path))) from None
    raise ScenarioError(f"market.ref: no market file market_{ref}.yaml (looked in {[str(c.parent) for c in candidates]})")


def _exists(path: Path) -> bool:
    """Whether ``path`` is a file; a name the file system refuses (too long, a NUL) is not one."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{path}: not a UTF-8 text file ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise ScenarioError(f"{path}: cannot be read: {err.strerror or err}") from None


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def resolve_kb_market(source: KBSource, base: str | None = None) -> MarketSpec:
    """The explicit market (regions, flows, price, sources and assumptions) a ``from_kb`` block describes.

    Calibrated by :func:`critmin.model.calibrate_kb.kb_market_inputs`, once per process for
    the same block and snapshot. ``base`` is the folder a relative ``flows`` path is resolved in.
    """
    return _resolve_kb_market(source.model_dump_json(), base)


@per_snapshot(maxsize=32)
def _resolve_kb_market(source_json: str, base: str | None) -> MarketSpec:
    """Cached per (block, folder) and snapshot fingerprint: a rebuilt snapshot recalibrates."""
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
    except OSError as err:  # a trade file that cannot be read
        raise ScenarioError(f"market.from_kb.flows: cannot read {_short(str(flows))}: {err.strerror or err}") from None
    names = list(inputs.regions)
    flows_dict = {o: {d: float(inputs.flows[i, j]) for j, d in enumerate(names) if inputs.flows[i, j] > 0}
                  for i, o in enumerate(names) if inputs.flows[i].sum() > 0}
    return MarketSpec(
        mineral=inputs.mineral, stage=inputs.stage, unit=inputs.unit, price_unit=inputs.price_unit,
        regions=names, price=inputs.price, flows=flows_dict, elasticities=source.elasticities,
        notes=list(inputs.notes) + [f"note: {n}" for n in source.notes], flows_source="",
    )

"""Chain scenarios: the validated, declarative form of every instrument (pydantic v2, unknown keys forbidden).

Every instrument names the stage it acts on, the years it is in force
(``years: [first, last]``, default the whole horizon) and, where money
changes hands, who pays (``payer``) and who benefits (the producers of
``producers``, or the importer). A scenario spans one or several minerals
(independent chains solved side by side).

Example::

    name: ndpr-floor-and-ban
    horizon: {start: 2026, end: 2035, discount_rate: 0.03}
    policies:
      price_floors:
        - {payer: USA, producers: [USA, AUS], stage: processing, floor: 110000,
           upside_share: 0.3, volume_cap: 10000}
      export_restrictions:
        - {exporter: CHN, importers: [USA], stage: processing, kind: ban, years: [2026, 2026]}
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..scenario import Label, Region, Text

#: Years a scenario may name (a horizon, an instrument's years, a project's start).
FIRST_YEAR, LAST_YEAR = 1900, 2200
#: Longest horizon: a member's arrays grow with it (N x T x S x R x R), so the edge bounds it.
MAX_HORIZON_YEARS = 60

Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
Regions = Union[Literal["all"], list[Region]]
NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Rate = Annotated[float, Field(gt=-1)]
Share = Annotated[float, Field(ge=0, le=1)]
Years = Annotated[list[Year], Field(min_length=2, max_length=2)]


class _Strict(BaseModel):
    # the edge rules of every scenario document (critmin.model.scenario): unknown keys refused, numbers
    # finite (NaN, Infinity and 1e400 are refused naming the field), text bounded in length
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class _Timed(_Strict):
    years: Years | None = Field(default=None, description="first and last year in force (default: the horizon)")


class Horizon(_Strict):
    """Years simulated and the discount rate of fiscal costs (a user assumption)."""

    start: Year
    end: Year
    discount_rate: Annotated[float, Field(ge=0, lt=1)] = 0.03
    discount_rate_source: Text | None = Field(
        default=None, description="why this rate (a citation, or the words of a user assumption); printed with "
                                  "every discounted figure")

    @model_validator(mode="after")
    def _ordered(self) -> "Horizon":
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.end - self.start + 1 > MAX_HORIZON_YEARS:
            raise ValueError(f"{self.end - self.start + 1} years from {self.start} to {self.end}; a horizon spans at "
                             f"most {MAX_HORIZON_YEARS} years")
        return self

    def discount_note(self) -> str:
        """How fiscal costs are discounted, with the rate's label."""
        why = self.discount_rate_source or "a user assumption"
        return f"fiscal costs discounted at {self.discount_rate:.1%} a year from {self.start} ({why})"


class Tariff(_Timed):
    """Additional ad valorem duty on imports of ``importer`` from ``origins`` at ``stage``."""

    importer: Union[Region, list[Region]]
    origins: Regions = "all"
    exempt: list[Region] = Field(default=[], alias="except")
    stage: Label
    rate: Rate


class MinimumImportPrice(_Timed):
    """Variable levy lifting the duty-paid delivered cost of imports to ``price``."""

    importer: Union[Region, list[Region]]
    origins: Regions = "all"
    exempt: list[Region] = []
    stage: Label
    price: Positive


class ExportRestriction(_Timed):
    """Ban, quota (tonnes per year to the listed importers), ad valorem tax, or licensing delay (days)."""

    exporter: Region
    importers: Regions = "all"
    stage: Label
    kind: Literal["ban", "quota", "tax", "licensing_delay"]
    quantity: NonNeg | None = None
    rate: Rate | None = None
    days: Annotated[float, Field(gt=0, lt=365)] | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> "ExportRestriction":
        need = {"quota": "quantity", "tax": "rate", "licensing_delay": "days"}.get(self.kind)
        if need and getattr(self, need) is None:
            raise ValueError(f"kind {self.kind!r} needs `{need}`")
        return self


class PriceFloor(_Timed):
    """Contract for difference: ``payer`` pays eligible producers ``floor - price`` per tonne below the floor.

    ``producers`` are regions (domestic, allied or offtake partners) whose
    existing output is eligible (``eligible_share`` of it), or ``projects``
    names new-capacity projects. Above the floor the payer receives
    ``upside_share`` of the difference. Payments cover at most
    ``volume_cap`` tonnes per year and producer group.
    """

    payer: Region
    producers: list[Region] = []
    projects: list[Label] = []
    stage: Label
    floor: Positive
    upside_share: Share = 0.0
    eligible_share: Share = 1.0
    volume_cap: Positive | None = None

    @model_validator(mode="after")
    def _someone_eligible(self) -> "PriceFloor":
        if not self.producers and not self.projects:
            raise ValueError("name the eligible `producers` (regions) or `projects` (new capacity)")
        return self


class BuyerOfLastResort(_Timed):
    """``payer``'s government buys any output of ``producers`` offered at ``floor`` (into its stockpile)."""

    payer: Region
    producers: list[Region] = Field(min_length=1)
    stage: Label
    floor: Positive


class Offtake(_Timed):
    """``payer`` buys ``quantity`` tonnes a year from ``producers`` at ``price``, delivered to ``destination``.

    The tonnes go into the destination's market (resold at its price) or, with
    ``to_stockpile``, into the payer's stockpile.
    """

    payer: Region
    producers: Region
    destination: Region
    stage: Label
    quantity: Positive
    price: Positive
    to_stockpile: bool = False


class Stockpile(_Timed):
    """Government net purchase (+) or release (-) of ``quantity`` tonnes per year in force."""

    region: Region
    stage: Label
    quantity: float
    initial: NonNeg = 0.0


class NewCapacity(_Strict):
    """A project: ``capacity`` tonnes a year at ``unit_cost`` (feed excluded), ramping up over ``ramp_years``.

    It sells as a price taker in ``market`` (default: its own region, or an
    offtake destination) from ``start``; below its unit cost (feed included) its
    utilisation falls with elasticity ``utilisation_elasticity``.
    """

    name: Label
    region: Region
    stage: Label
    capacity: Positive
    unit_cost: Positive
    start: Year
    ramp_years: Annotated[int, Field(ge=1, le=MAX_HORIZON_YEARS)] = 1
    market: Region | None = None
    input_coefficient: Positive | None = None
    utilisation_elasticity: Positive | None = None


class CapacityChange(_Timed):
    """Relative change of existing producers' capacity (their supply scale)."""

    region: Region
    stage: Label
    change: Rate


class DemandShock(_Timed):
    """Relative change of final use in the years in force, and/or extra annual growth from the first year."""

    region: Union[Region, list[Region]]
    stage: Label
    change: Rate = 0.0
    growth: Rate = 0.0


class Club(_Timed):
    """Standards-based club: free trade among members; others face its duty, MIP or qualification cost."""

    name: Label = "club"
    members: list[Region] = Field(min_length=2)
    stage: Label
    external_tariff: Rate | None = None
    external_mip: Positive | None = None
    qualification_cost: NonNeg | None = None


class ChainPolicies(_Strict):
    """Every instrument, applied in the documented order (:data:`critmin.model.chain.policies.ORDER`)."""

    clubs: list[Club] = []
    tariffs: list[Tariff] = []
    minimum_import_prices: list[MinimumImportPrice] = []
    export_restrictions: list[ExportRestriction] = []
    price_floors: list[PriceFloor] = []
    buyer_of_last_resort: list[BuyerOfLastResort] = []
    offtakes: list[Offtake] = []
    stockpiles: list[Stockpile] = []
    new_capacity: list[NewCapacity] = []
    capacity: list[CapacityChange] = []
    demand: list[DemandShock] = []

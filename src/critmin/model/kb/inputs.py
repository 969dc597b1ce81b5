"""The one validated inputs object of a knowledge-base market: every figure with its bounds and sources.

A calibration reads the knowledge base in small steps (:mod:`.production`, :mod:`.trade`,
:mod:`.prices`, :mod:`.consumption`), each returning :class:`Figure` objects, and
:func:`critmin.model.kb.assemble.gather` puts them in one :class:`MarketInputs`. Everything
downstream (assembly into a :class:`~critmin.model.chain.ChainMarket`, the registry, the
CLI) takes that object, never a list of keyword arguments.

Rules enforced at construction (a violation is :class:`KBBasisError` or :class:`KBDataError`
naming the mineral, stage and field):

* every quantity is in tonnes of the stage's ``basis`` and the price is in US dollars per
  tonne of **the same basis** (a rare-earth REO market priced at the NdPr oxide price is
  refused);
* a figure is an interval ``[low, high]``, ``0 <= low <= high``, finite: a withheld figure
  is never a point, it carries the bounds published figures give it;
* every figure names its sources (``source_id`` of the snapshot tables) and, where it is
  derived, how.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from critmin.errors import CritminError


class KBDataError(CritminError, ValueError):
    """A knowledge-base input is missing, withheld without a bound, or inconsistent."""


class KBBasisError(KBDataError):
    """Quantity and price (or two quantities) are not on the same content basis."""


@dataclass(frozen=True)
class Figure:
    """A published or derived amount: ``[low, high]`` in ``unit`` of ``basis``, with its sources.

    Attributes
    ----------
    low, high : float
        Bounds; equal for a published point.
    unit : str
        ``"t"`` for quantities, ``"USD/t"`` for prices.
    basis : str
        Content basis (``"Co"``, ``"REO"``, ``"gross weight"``, ...).
    sources : tuple of str
        Snapshot ``source_id`` values (and series or file names) the figure comes from.
    note : str
        How it was read or derived (``"W (withheld): bounded by ..."``).
    """

    low: float
    high: float
    unit: str
    basis: str
    sources: tuple[str, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        lo, hi = float(self.low), float(self.high)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise KBDataError(f"{self.note or 'figure'}: bounds must be finite numbers, got [{lo}, {hi}]")
        if lo < 0 or lo > hi * (1 + 1e-12):
            raise KBDataError(f"{self.note or 'figure'}: need 0 <= low <= high, got [{lo}, {hi}]")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", max(hi, lo))
        object.__setattr__(self, "sources", tuple(self.sources))

    @classmethod
    def point(cls, value: float, unit: str, basis: str, sources=(), note: str = "") -> "Figure":
        return cls(float(value), float(value), unit, basis, tuple(sources), note)

    @property
    def is_point(self) -> bool:
        return self.low == self.high

    def at(self, corner: str) -> float:
        """The ``"low"`` or ``"high"`` bound."""
        if corner not in ("low", "high"):
            raise ValueError(f"corner must be 'low' or 'high', got {corner!r}")
        return self.low if corner == "low" else self.high

    def describe(self) -> str:
        amount = f"{self.low:,.6g}" if self.is_point else f"[{self.low:,.6g}, {self.high:,.6g}]"
        return f"{amount} {self.unit} ({self.basis})" + (f": {self.note}" if self.note else "")


FLOW_COLUMNS = ("exporter", "importer", "low", "high")


@dataclass(frozen=True)
class MarketInputs:
    """Everything one mineral-stage market is calibrated from (base year, one content basis).

    Attributes
    ----------
    mineral, stage : str
        Canonical commodity id and ``"mine"`` or ``"processing"``.
    base_year : int
    basis : str
        The content basis of every quantity and of the price.
    production : mapping of str to Figure
        Output by country (ISO3; ``"OTHER"`` for a publisher's "Other countries"), tonnes of basis.
    flows : DataFrame
        ``exporter, importer, low, high``: bilateral tonnes of basis between countries.
    flow_method : str
        How the flows were obtained (``baci_content``, ``baci_value``, ``usgs_import_shares``...).
    price : Figure
        Base price, USD per tonne of basis (a point).
    price_series : str
        The series used (the documented default, or the user's choice).
    regions : tuple
        Region specification for :func:`critmin.model.chain.chain_from_tables`.
    us_consumption : Figure or None
        Published US consumption of the stage, a check printed next to the model's.
    parameters : mapping
        Behavioural parameters passed to the stage (cited estimates or labelled assumptions).
    sources, assumptions : tuple of str
    """

    mineral: str
    stage: str
    base_year: int
    basis: str
    production: Mapping[str, Figure]
    flows: pd.DataFrame
    flow_method: str
    price: Figure
    price_series: str
    regions: tuple
    us_consumption: Figure | None = None
    parameters: Mapping[str, object] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        where = f"{self.mineral} {self.stage}"
        if self.stage not in ("mine", "processing"):
            raise KBDataError(f"{where}: stage must be 'mine' or 'processing'")
        if not self.production:
            raise KBDataError(f"{where}: no production figure")
        for country, fig in self.production.items():
            if not isinstance(fig, Figure):
                raise KBDataError(f"{where}: production of {country} is not a Figure")
            if fig.unit != "t" or fig.basis != self.basis:
                raise KBBasisError(f"{where}: production of {country} is in {fig.unit} {fig.basis}, the market in t "
                                   f"{self.basis}")
        if self.price.unit != "USD/t":
            raise KBBasisError(f"{where}: price must be in USD/t, got {self.price.unit}")
        if self.price.basis != self.basis:
            raise KBBasisError(
                f"{where}: quantities are tonnes of {self.basis} but the price ({self.price_series}) is per tonne of "
                f"{self.price.basis}; quantity and price must be on the same basis")
        if not self.price.is_point or self.price.low <= 0:
            raise KBDataError(f"{where}: the base price must be one positive number, got {self.price.describe()}")
        flows = self.flows
        missing = [c for c in FLOW_COLUMNS if c not in flows.columns]
        if missing:
            raise KBDataError(f"{where}: flows lack column(s) {missing}")
        if len(flows):
            lo, hi = flows["low"].to_numpy(float), flows["high"].to_numpy(float)
            if not (pd.notna(lo).all() and pd.notna(hi).all()) or (lo < 0).any() or (lo > hi * (1 + 1e-12)).any():
                raise KBDataError(f"{where}: flows need finite 0 <= low <= high on every row")
            if (flows["exporter"] == flows["importer"]).any():
                raise KBDataError(f"{where}: a flow from a country to itself")
        if self.us_consumption is not None and self.us_consumption.basis != self.basis:
            raise KBBasisError(f"{where}: US consumption is in {self.us_consumption.basis}, the market in {self.basis}")
        object.__setattr__(self, "sources", tuple(dict.fromkeys(self.sources)))
        object.__setattr__(self, "assumptions", tuple(self.assumptions))

    @property
    def bounded(self) -> bool:
        """True when some input is an interval, so the market is calibrated twice (low and high)."""
        return (any(not f.is_point for f in self.production.values())
                or bool(len(self.flows) and (self.flows["low"] != self.flows["high"]).any()))

    def bounded_inputs(self) -> list[str]:
        """Which inputs are intervals, in words."""
        out = [f"production of {c}: {f.describe()}" for c, f in self.production.items() if not f.is_point]
        if len(self.flows):
            diff = self.flows[self.flows["low"] != self.flows["high"]]
            if len(diff):
                out.append(f"{len(diff)} bilateral flows (content factors with bounds): "
                           f"{diff['low'].sum():,.6g} to {diff['high'].sum():,.6g} t in all")
        return out

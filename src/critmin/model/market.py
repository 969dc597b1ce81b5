"""The calibrated market: one mineral at one stage, R regions, base flows.

A :class:`Market` is the benchmark (base) equilibrium that every scenario is a
deviation from. It holds quantities and prices, not behavioural parameters
derived from them: CES weights and curve scale factors are recomputed by the
kernel from the base point for each batch member, so elasticities may differ
across a batch (Monte Carlo) while the base point stays exact.

Conventions
-----------
``flows[o, d]`` is the base quantity shipped from origin ``o`` to destination
``d`` (the diagonal is domestic sourcing), in the mineral's unit. Row sums are
production, column sums are (apparent) consumption. ``prices[o]`` is the base
producer (f.o.b.) price of origin ``o``. The delivered price of variety
``(o, d)`` at the base is ``prices[o] * (1 + base_export_tax[o, d]) *
(1 + base_tariff[o, d])``; transport costs are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd


class MarketError(ValueError):
    """An inconsistent market definition (shapes, signs, names)."""


@dataclass(frozen=True)
class Market:
    """Base equilibrium of one mineral market.

    Attributes
    ----------
    regions : tuple of str
        Region names, in the order of every array axis.
    flows : ndarray, shape (R, R)
        Base bilateral quantities ``flows[origin, destination]``.
    prices : ndarray, shape (R,)
        Base producer prices by origin.
    substitution, demand, supply : ndarray, shape (R,)
        Armington elasticity by destination, absolute composite demand
        elasticity by destination, supply elasticity by origin (``inf`` allowed).
    base_tariff, base_export_tax : ndarray, shape (R, R)
        Ad valorem wedges in force at the base point, ``[origin, destination]``.
    mineral, stage, unit, price_unit : str
        Labels carried into every output.
    assumptions : tuple of str
        Calibration assumptions; copied into every result.
    """

    regions: tuple[str, ...]
    flows: np.ndarray
    prices: np.ndarray
    substitution: np.ndarray
    demand: np.ndarray
    supply: np.ndarray
    base_tariff: np.ndarray
    base_export_tax: np.ndarray
    mineral: str = "mineral"
    stage: str = "processing"
    unit: str = "t"
    price_unit: str = "USD/t"
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        regions = tuple(str(r) for r in self.regions)
        object.__setattr__(self, "regions", regions)
        n = len(regions)
        if n == 0:
            raise MarketError("a market needs at least one region")
        if len(set(regions)) != n:
            raise MarketError(f"region names must be unique, got {list(regions)}")
        for name, shape in (
            ("flows", (n, n)),
            ("prices", (n,)),
            ("substitution", (n,)),
            ("demand", (n,)),
            ("supply", (n,)),
            ("base_tariff", (n, n)),
            ("base_export_tax", (n, n)),
        ):
            arr = np.array(getattr(self, name), dtype=float)
            if arr.shape != shape:
                raise MarketError(f"market.{name}: expected shape {shape}, got {arr.shape}")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if not np.all(np.isfinite(self.flows)) or np.any(self.flows < 0):
            raise MarketError("market.flows: quantities must be finite and >= 0")
        if self.flows.sum() <= 0:
            raise MarketError("market.flows: the market has no trade at all")
        if not np.all(np.isfinite(self.prices)) or np.any(self.prices <= 0):
            raise MarketError("market.prices: base prices must be finite and > 0")
        if np.any(self.substitution <= 0) or not np.all(np.isfinite(self.substitution)):
            raise MarketError("market.substitution: Armington elasticities must be finite and > 0")
        if np.any(self.demand < 0) or not np.all(np.isfinite(self.demand)):
            raise MarketError("market.demand: demand elasticities must be finite and >= 0")
        if np.any(self.supply < 0) or np.any(np.isnan(self.supply)):
            raise MarketError("market.supply: supply elasticities must be >= 0 (inf allowed)")
        for name in ("base_tariff", "base_export_tax"):
            arr = getattr(self, name)
            if not np.all(np.isfinite(arr)) or np.any(arr <= -1):
                raise MarketError(f"market.{name}: rates must be finite and > -1")
        object.__setattr__(self, "assumptions", tuple(self.assumptions))

    # --- derived quantities -------------------------------------------------
    @property
    def n_regions(self) -> int:
        return len(self.regions)

    @property
    def production(self) -> np.ndarray:
        """Base production by origin, ``sum_d flows[o, d]``."""
        return self.flows.sum(axis=1)

    @property
    def consumption(self) -> np.ndarray:
        """Base consumption by destination, ``sum_o flows[o, d]``."""
        return self.flows.sum(axis=0)

    def index(self, region: str) -> int:
        """Position of ``region``; raises :class:`MarketError` naming the known regions."""
        try:
            return self.regions.index(region)
        except ValueError:
            raise MarketError(
                f"unknown region {region!r}; the market has {list(self.regions)}"
            ) from None

    def with_elasticities(self, **kinds: np.ndarray | float) -> "Market":
        """Copy with some elasticity vectors replaced (scalars broadcast)."""
        updates = {k: np.broadcast_to(np.asarray(v, float), (self.n_regions,)).copy() for k, v in kinds.items()}
        return replace(self, **updates)

    def flows_frame(self) -> pd.DataFrame:
        """Base flows as an origin x destination DataFrame."""
        return pd.DataFrame(self.flows, index=pd.Index(self.regions, name="origin"),
                            columns=pd.Index(self.regions, name="destination"))

    def summary(self) -> pd.DataFrame:
        """One row per region: base production, consumption, price and elasticities."""
        return pd.DataFrame(
            {
                "production": self.production,
                "consumption": self.consumption,
                "price": self.prices,
                "substitution": self.substitution,
                "demand_elasticity": self.demand,
                "supply_elasticity": self.supply,
            },
            index=pd.Index(self.regions, name="region"),
        )

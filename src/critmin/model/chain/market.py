r"""The calibrated chain: one mineral as linked stages of multi-region markets in physical tonnes.

This is the container a calibration fills and the policy engine solves
(:mod:`critmin.model.kernel.chain`). It holds *data* only: the base year's
physical flows, prices and parameters; nothing behavioural is derived here
except the checks that the data are consistent.

Layout
------
A :class:`ChainMarket` has ``R`` regions (the same for every stage) and an
ordered tuple of ``S`` :class:`Stage` objects, upstream first (``mine``,
``processing``, ``products`` where the data allow). For stage ``s``:

``flows[o, d]``
    Base tonnes shipped from origin ``o`` to destination ``d`` in the base year,
    on the stage's stated content basis (``basis``, e.g. ``"Co content"``,
    ``"REO"``, ``"Ga metal"``); the diagonal is domestic sales. Row sums are
    production, column sums are the physical use of each region.
``prices[o]``
    Base producer (f.o.b.) price of origin ``o`` in ``price_unit`` per ``unit`` of
    the same basis. A homogeneous good with one published world price has the
    same value in every producing region.
``input_coefficient[r]``
    Tonnes of the previous stage's content needed per tonne produced in region
    ``r`` (0 for the first stage). The previous stage's use in region ``r``
    includes ``input_coefficient[r] * production[r]`` of this stage (derived
    demand); what remains is final use, and it must not be negative.
``base_tariff[o, d]``, ``base_export_tax[o, d]``
    Ad valorem wedges in force at the base.
``trade_cost[o, d]``
    Per-tonne cost of delivery (freight, insurance, qualification), in price
    units; zero where the data have none (and said in ``assumptions``).
``substitution[d]``, ``demand_short[d]``, ``demand_long[d]``, ``supply_short[o]``, ``supply_long[o]``
    Behavioural parameters (see :mod:`critmin.model.chain.elasticities`).
``growth[d]``
    Annual growth of baseline final use.

Units: every quantity of one stage is in that stage's ``unit`` of its ``basis``;
prices of one stage are in its ``price_unit`` per the same unit. A calibration
that cannot put quantity and price on the same basis must fail, not convert
silently.

How a calibration fills it
--------------------------
From tidy tables (production by country, bilateral flows, consumption and
prices, each on one stated content basis), :func:`critmin.model.chain.tables.chain_from_tables`
groups countries into regions and builds this object; see its docstring for
the table columns. Anything else (a KB reader, a Monte Carlo sampler) may
build :class:`Stage` objects directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .elasticities import CHAIN_DEFAULTS, CHAIN_ELASTICITY_KINDS, DEFAULT_GROWTH


class ChainError(ValueError):
    """An inconsistent chain market (shapes, signs, balances, bases), naming the stage and region."""


_RR_FIELDS = ("flows", "base_tariff", "base_export_tax", "trade_cost")
_R_FIELDS = ("prices", "input_coefficient", "growth") + CHAIN_ELASTICITY_KINDS


@dataclass(frozen=True)
class Stage:
    """One stage of the chain in the base year (see the module docstring for every field)."""

    name: str
    basis: str
    flows: np.ndarray
    prices: np.ndarray
    input_coefficient: np.ndarray | None = None
    base_tariff: np.ndarray | None = None
    base_export_tax: np.ndarray | None = None
    trade_cost: np.ndarray | None = None
    substitution: np.ndarray | float | None = None
    demand_short: np.ndarray | float | None = None
    demand_long: np.ndarray | float | None = None
    supply_short: np.ndarray | float | None = None
    supply_long: np.ndarray | float | None = None
    growth: np.ndarray | float | None = None
    unit: str = "t"
    price_unit: str = "USD/t"
    sources: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        flows = np.array(self.flows, dtype=float)
        if flows.ndim != 2 or flows.shape[0] != flows.shape[1]:
            raise ChainError(f"stage {self.name}: flows must be a square origin x destination matrix, "
                             f"got shape {flows.shape}")
        n = flows.shape[0]
        notes = list(self.assumptions)
        object.__setattr__(self, "flows", flows)
        for name in ("base_tariff", "base_export_tax", "trade_cost"):
            value = getattr(self, name)
            arr = np.zeros((n, n)) if value is None else np.array(value, dtype=float)
            if arr.shape != (n, n):
                raise ChainError(f"stage {self.name}: {name} must have shape {(n, n)}, got {arr.shape}")
            object.__setattr__(self, name, arr)
        if self.trade_cost is not None and not np.any(self.trade_cost) and not any("trade cost" in a for a in notes):
            notes.append(f"stage {self.name}: no trade-cost data; delivery costs between regions taken as zero "
                         "(an assumption: the law of one price then holds up to duties, taxes and rents)")
        prices = np.array(self.prices, dtype=float)
        if prices.ndim == 0:
            prices = np.full(n, float(prices))
        object.__setattr__(self, "prices", prices)
        coef = np.zeros(n) if self.input_coefficient is None else np.array(self.input_coefficient, dtype=float)
        if coef.ndim == 0:
            coef = np.full(n, float(coef))
        object.__setattr__(self, "input_coefficient", coef)
        for kind in CHAIN_ELASTICITY_KINDS + ("growth",):
            value = getattr(self, kind)
            default = DEFAULT_GROWTH if kind == "growth" else CHAIN_DEFAULTS[kind]
            if value is None:
                arr = np.full(n, default.value)
                notes.append(f"stage {self.name}: {default.describe()}")
            else:
                arr = np.array(value, dtype=float)
                if arr.ndim == 0:
                    arr = np.full(n, float(arr))
            object.__setattr__(self, kind, arr)
        for name in _R_FIELDS:
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise ChainError(f"stage {self.name}: {name} must have one value per region ({n}), got shape {arr.shape}")
        for name in _RR_FIELDS + _R_FIELDS:
            getattr(self, name).setflags(write=False)
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "assumptions", tuple(notes))

    @property
    def n_regions(self) -> int:
        return self.flows.shape[0]

    @property
    def production(self) -> np.ndarray:
        """Base production by origin, ``flows.sum(axis=1)``."""
        return self.flows.sum(axis=1)

    @property
    def use(self) -> np.ndarray:
        """Base physical use by destination (derived demand included), ``flows.sum(axis=0)``."""
        return self.flows.sum(axis=0)


@dataclass(frozen=True)
class ChainMarket:
    """A mineral's chain of stage markets in the base year.

    Attributes
    ----------
    mineral : str
    regions : tuple of str
        Region names, the order of every region axis of every stage.
    stages : tuple of Stage
        Upstream first; stage ``s > 0`` draws ``input_coefficient`` tonnes of
        stage ``s - 1`` per tonne.
    base_year : int
        The year the flows and prices describe; a horizon starts after it.
    sources, assumptions : tuple of str
        Printed with every result.
    """

    mineral: str
    regions: tuple[str, ...]
    stages: tuple[Stage, ...]
    base_year: int = 2024
    sources: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        regions = tuple(str(r) for r in self.regions)
        object.__setattr__(self, "regions", regions)
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "assumptions", tuple(self.assumptions))
        n = len(regions)
        if n == 0 or len(set(regions)) != n:
            raise ChainError(f"regions must be unique and not empty, got {list(regions)}")
        if not self.stages:
            raise ChainError("a chain needs at least one stage")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ChainError(f"stage names must be unique, got {names}")
        for s, stage in enumerate(self.stages):
            where = f"stage {stage.name}"
            if stage.n_regions != n:
                raise ChainError(f"{where}: {stage.n_regions} regions in the arrays, {n} in `regions`")
            if not np.all(np.isfinite(stage.flows)) or np.any(stage.flows < 0):
                bad = np.argwhere(~(stage.flows >= 0))[0]
                raise ChainError(f"{where}: flow {regions[bad[0]]} -> {regions[bad[1]]} must be finite and >= 0, "
                                 f"got {stage.flows[bad[0], bad[1]]}")
            if stage.flows.sum() <= 0:
                raise ChainError(f"{where}: no tonnes at all in the base year")
            producing = stage.production > 0
            for o in np.nonzero(producing & ~(np.isfinite(stage.prices) & (stage.prices > 0)))[0]:
                raise ChainError(f"{where}: {regions[o]} produces {stage.production[o]:g} {stage.unit} but its base "
                                 f"price is {stage.prices[o]}; a producing region needs a positive price")
            for name in ("base_tariff", "base_export_tax"):
                arr = getattr(stage, name)
                if not np.all(np.isfinite(arr)) or np.any(arr <= -1):
                    raise ChainError(f"{where}: {name} rates must be finite and > -1")
            if not np.all(np.isfinite(stage.trade_cost)) or np.any(stage.trade_cost < 0):
                raise ChainError(f"{where}: trade_cost must be finite and >= 0")
            for kind in CHAIN_ELASTICITY_KINDS:
                arr = getattr(stage, kind)
                if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                    raise ChainError(f"{where}: {kind} must be finite and >= 0, got {arr.tolist()}")
            if np.any(stage.substitution <= 0):
                raise ChainError(f"{where}: substitution must be > 0")
            short_long = ((stage.demand_short, stage.demand_long, "demand"), (stage.supply_short, stage.supply_long, "supply"))
            for short, long, label in short_long:
                bad = short > long * (1 + 1e-12)
                if bad.any():
                    r = regions[int(np.argmax(bad))]
                    raise ChainError(f"{where}: {label}_short exceeds {label}_long for {r}; the long-run response "
                                     "includes the short-run one")
            if np.any(stage.growth <= -1) or not np.all(np.isfinite(stage.growth)):
                raise ChainError(f"{where}: growth must be finite and > -1")
            coef = stage.input_coefficient
            if s == 0:
                if np.any(coef != 0):
                    raise ChainError(f"{where}: the first stage has no upstream stage; input_coefficient must be 0")
                continue
            if not np.all(np.isfinite(coef)) or np.any(coef < 0):
                raise ChainError(f"{where}: input_coefficient must be finite and >= 0")
            up = self.stages[s - 1]
            for r in np.nonzero(producing & (coef <= 0))[0]:
                raise ChainError(f"{where}: {regions[r]} produces but its input coefficient (tonnes of "
                                 f"{up.name} {up.basis} per tonne of {stage.basis}) is {coef[r]:g}; give it")
        for s, stage in enumerate(self.stages[:-1]):
            final = self.final_use(s)
            use = stage.use
            tol = 1e-9 * max(use.max(), 1.0)
            for d in np.nonzero(final < -tol)[0]:
                down = self.stages[s + 1]
                raise ChainError(
                    f"stage {stage.name}: {regions[d]} uses {use[d]:g} {stage.unit} {stage.basis} but its "
                    f"{down.name} output needs {self.derived_use(s)[d]:g} (input coefficient "
                    f"{down.input_coefficient[d]:g} x production {down.production[d]:g}); the flows, the "
                    "coefficients or the bases are inconsistent")
            cost_share = self.input_cost_share(s + 1)
            for r in np.nonzero(cost_share >= 1)[0]:
                down = self.stages[s + 1]
                raise ChainError(
                    f"stage {down.name}: in {regions[r]} the feed costs {cost_share[r]:.3g} times the output price "
                    f"(input coefficient {down.input_coefficient[r]:g} x base {stage.name} price "
                    f"{self.base_use_price(s)[r]:.6g} {stage.price_unit} vs {down.prices[r]:.6g} "
                    f"{down.price_unit}); quantities or prices are not on consistent bases")

    # --- derived base quantities ---------------------------------------------
    @property
    def n_regions(self) -> int:
        return len(self.regions)

    @property
    def n_stages(self) -> int:
        return len(self.stages)

    def stage_index(self, stage: str | int) -> int:
        """Position of a stage by name or index; raises :class:`ChainError` naming the stages."""
        if isinstance(stage, (int, np.integer)):
            if not 0 <= stage < self.n_stages:
                raise ChainError(f"stage index {stage} out of range 0..{self.n_stages - 1}")
            return int(stage)
        names = [s.name for s in self.stages]
        if stage not in names:
            raise ChainError(f"unknown stage {stage!r}; the {self.mineral} chain has {names}")
        return names.index(stage)

    def index(self, region: str) -> int:
        """Position of a region; raises :class:`ChainError` naming the regions."""
        if region not in self.regions:
            raise ChainError(f"unknown region {region!r}; the market has {list(self.regions)}")
        return self.regions.index(region)

    def derived_use(self, s: int) -> np.ndarray:
        """Base use of stage ``s`` by the next stage's producers, ``a_{s+1,r} Q_{s+1,r}`` (0 for the last stage)."""
        if s + 1 >= self.n_stages:
            return np.zeros(self.n_regions)
        down = self.stages[s + 1]
        return down.input_coefficient * down.production

    def final_use(self, s: int) -> np.ndarray:
        """Base final use of stage ``s``: physical use less the next stage's derived demand."""
        return self.stages[s].use - self.derived_use(s)

    def base_delivered_cost(self, s: int) -> np.ndarray:
        """Base delivered cost ``c0[o, d] = (p0_o (1 + x_od) + tau_od)(1 + t_od)``, shape (R, R)."""
        st = self.stages[s]
        return (st.prices[:, None] * (1 + st.base_export_tax) + st.trade_cost) * (1 + st.base_tariff)

    def base_shares(self, s: int) -> np.ndarray:
        r"""Base origin shares of each destination's tonnes, shape (R, R), columns sum to 1.

        A destination with base use takes its observed shares. A destination
        without base use (e.g. a region with no processing yet, which new
        capacity would make buy feed) takes the shares a buyer there would
        have at the base delivered costs if origins were weighted by output:
        :math:`s_{od} \propto Q_o (c^0_{od}/p^0_o)^{-\sigma_d}`, so producers
        nearer (cheaper delivered) weigh more.
        """
        st = self.stages[s]
        use = st.use
        q = st.production
        shares = np.zeros_like(st.flows)
        active = use > 0
        shares[:, active] = st.flows[:, active] / use[active]
        if (~active).any():
            c0 = self.base_delivered_cost(s)
            p0 = np.where(q > 0, st.prices, 1.0)
            with np.errstate(divide="ignore"):
                weight = np.where(q[:, None] > 0, q[:, None] * (c0 / p0[:, None]) ** (-st.substitution[None, :]), 0.0)
            shares[:, ~active] = weight[:, ~active] / weight[:, ~active].sum(axis=0)
        return shares

    def base_use_price(self, s: int) -> np.ndarray:
        """Base price of a tonne used in each destination: share-weighted base delivered cost."""
        c0 = self.base_delivered_cost(s)
        shares = self.base_shares(s)
        return np.where(shares > 0, shares * c0, 0.0).sum(axis=0)

    def input_cost_share(self, s: int) -> np.ndarray:
        """Base feed cost per tonne of stage ``s`` output over its price, ``a_r P0_{s-1,r} / p0_{s,r}``."""
        if s == 0:
            return np.zeros(self.n_regions)
        st = self.stages[s]
        feed = st.input_coefficient * self.base_use_price(s - 1)
        return np.where(st.production > 0, feed / np.where(st.prices > 0, st.prices, 1.0), 0.0)

    def all_assumptions(self) -> list[str]:
        """Chain-level and stage-level assumptions, in order."""
        out = list(self.assumptions)
        for st in self.stages:
            out += list(st.assumptions)
        return out

    def all_sources(self) -> list[str]:
        out = list(self.sources)
        for st in self.stages:
            out += [f"{st.name}: {x}" for x in st.sources]
        return out

    def with_stage(self, stage: str | int, **changes) -> "ChainMarket":
        """Copy with some fields of one stage replaced (re-validated)."""
        s = self.stage_index(stage)
        stages = list(self.stages)
        stages[s] = replace(stages[s], **changes)
        return replace(self, stages=tuple(stages))

    def summary(self) -> pd.DataFrame:
        """One row per (stage, region): production, use, final use, price, input coefficient."""
        rows = []
        for s, st in enumerate(self.stages):
            for r, region in enumerate(self.regions):
                rows.append({"stage": st.name, "region": region, "basis": st.basis, "unit": st.unit,
                             "production": st.production[r], "use": st.use[r], "final_use": self.final_use(s)[r],
                             "price": st.prices[r], "price_unit": st.price_unit,
                             "input_coefficient": st.input_coefficient[r]})
        return pd.DataFrame(rows).set_index(["stage", "region"])

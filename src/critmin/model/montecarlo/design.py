r"""From uniforms to shocks: the Monte Carlo design of one market.

A :class:`Design` lists the uncertain inputs of a run and turns a slice of the uniform
matrix (:mod:`.sampling`) into engine-neutral :class:`~.evaluator.Shocks` and a per-draw
table of the inputs drawn (the candidate drivers for scenario discovery).

Event paths (annual steps over a horizon of ``H`` years)
    For each applicable library row ``j`` and draw ``i``: the annual rate
    :math:`\lambda_{ij}` is drawn once from the row's rate distribution (parameter
    uncertainty); at the start of each year with no event of that row in progress an event
    starts with probability :math:`p_{ij} = 1 - e^{-\lambda_{ij}}`; it lasts a drawn
    duration ``D`` (years, possibly fractional) with a drawn severity ``s``. Its active
    fraction of year ``t`` is :math:`f_t = \min(1, \text{remaining})`. Events start at the
    beginning of a year, as in the USGS 2025 yearlong scenarios.

From events to shocks (the static annual engine)
    A channel (exporter to the focus region, or to every foreign destination) keeps the
    share :math:`a = \prod_j (1 - f_j s_j)` of its base shipments for the year: ``a = 0`` is a
    ban, ``0 < a < 1`` an export quota of ``a`` times the base flow (a licensing hold-up or
    a part-year ban averaged over the year); an outage multiplies the exporter's capacity
    by :math:`\prod_j (1 - f_j s_j)`. A quota given as a cap quantity ``Q`` withholds
    :math:`s = 1 - \min(1, Q / X^0)` of the base exports :math:`X^0`.

Parameters and data
    Elasticities: one multiplier per kind (substitution, demand, supply) per draw, applied to
    every region's value. Data intervals: a withheld figure bounded from what is published
    is sampled on ``K`` equiprobable strata, each calibrated once (its midpoint).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .disruptions import ActiveEvent
from .distributions import Distribution
from .evaluator import Channel, MarketInfo, Shocks

ELASTICITY_KINDS = ("substitution", "demand", "supply")
DEFAULT_ELASTICITY_SPREAD = Distribution("loguniform", 0.5, 2.0)
ELASTICITY_SPREAD_SOURCE = (
    "assumption: no econometric estimate of these elasticities exists for most processed minerals (docs/model.md); "
    "Bogmans, Pescatori, Petrella, Prifti and Stuermer (2024), IMF Working Paper 24/77, find mineral supply and "
    "demand price-inelastic in the short run but give no per-mineral range usable here, so each kind's value is "
    "multiplied by a factor drawn log-uniformly between 1/2 and 2 (a labelled user assumption)")
MASS_UNITS_KG = {"kg": 1.0, "t": 1000.0, "metric tons": 1000.0, "kt": 1e6, "Mt": 1e9}


@dataclass(frozen=True)
class DataInterval:
    """A withheld figure known only within bounds, sampled on equiprobable strata.

    ``values`` are the strata midpoints (one calibrated market each), ``low``/``high``
    the bounds and ``derivation`` how they follow from published figures.
    """

    name: str
    low: float
    high: float
    unit: str
    derivation: str
    strata: int = 5

    @property
    def values(self) -> np.ndarray:
        edges = np.linspace(self.low, self.high, self.strata + 1)
        return 0.5 * (edges[:-1] + edges[1:])


@dataclass(frozen=True)
class Design:
    """The uncertain inputs of a run on one market (see the module docstring)."""

    info: MarketInfo
    events: tuple[ActiveEvent, ...]
    horizon: int = 1
    elasticity: Distribution | None = DEFAULT_ELASTICITY_SPREAD
    interval: DataInterval | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not 1 <= self.horizon <= 100:
            raise ValueError(f"horizon must be 1..100 years, got {self.horizon}")
        if len(self.events) > 62:
            raise ValueError("at most 62 event rows per market (their active set is stored as a bit mask)")
        if self.interval is not None and len(self.info.strata) != self.interval.strata:
            raise ValueError("the evaluator needs one calibrated market per data-interval stratum")
        for ev in self.events:
            ch = ev.region
            if ch not in self.info.regions:
                raise ValueError(f"event {ev.label}: exporter {ch} is not a region of the market")

    # --- the input space ------------------------------------------------------------------------
    def dim_names(self) -> list[str]:
        names: list[str] = []
        for ev in self.events:
            names.append(f"{ev.label}:rate")
            names += [f"{ev.label}:onset[{t}]" for t in range(self.horizon)]
            names += [f"{ev.label}:duration[{t}]" for t in range(self.horizon)]
            names += [f"{ev.label}:severity[{t}]" for t in range(self.horizon)]
        if self.elasticity is not None:
            names += [f"elasticity:{k}" for k in ELASTICITY_KINDS]
        if self.interval is not None:
            names.append(f"data:{self.interval.name}")
        return names

    @property
    def dims(self) -> int:
        per_event = 1 + 3 * self.horizon
        return len(self.events) * per_event + (3 if self.elasticity is not None else 0) + (1 if self.interval else 0)

    def describe(self) -> dict:
        """JSON-able description (part of a run's manifest: a resume must match it)."""
        return {
            "market": self.info.key, "engine_fingerprint": self.info.fingerprint, "horizon": self.horizon,
            "events": [{"label": ev.label, "event_id": ev.event.event_id, "region": ev.region,
                        "rate": ev.event.rate.describe(), "duration": ev.event.describe_duration(),
                        "severity": f"{ev.event.severity.describe()} {ev.event.severity_unit}",
                        "kind": ev.event.kind, "target": ev.event.target} for ev in self.events],
            "elasticity": None if self.elasticity is None else self.elasticity.describe(),
            "interval": None if self.interval is None else {
                "name": self.interval.name, "low": self.interval.low, "high": self.interval.high,
                "unit": self.interval.unit, "strata": self.interval.strata},
            "dims": self.dims,
        }

    # --- realisation ----------------------------------------------------------------------------
    def _severity_share(self, ev: ActiveEvent, draws: np.ndarray, stratum: np.ndarray) -> np.ndarray:
        e = ev.event
        s = e.severity.ppf(draws)
        if e.severity_unit == "share":
            return s
        factor = MASS_UNITS_KG.get(e.severity_unit)
        market_factor = MASS_UNITS_KG.get(self.info.unit)
        if factor is None or market_factor is None:
            raise ValueError(f"event {ev.label}: cannot convert a cap in {e.severity_unit!r} to the market unit "
                             f"{self.info.unit!r}")
        cap = s * factor / market_factor
        base = np.array(self.info.base_exports[Channel(ev.region, e.target)])[stratum]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(base > 0, 1.0 - np.minimum(1.0, cap / base), 0.0)
        return share

    def realise(self, u: np.ndarray, draws: np.ndarray) -> tuple[Shocks, pd.DataFrame, np.ndarray]:
        """Shocks, the per-draw inputs table and the (N, H) bit mask of active events.

        Parameters
        ----------
        u : ndarray, shape (N, dims)
            Uniforms for these draws (rows of the run's uniform matrix).
        draws : ndarray, shape (N,)
            The draws' indices.
        """
        n, h = u.shape[0], self.horizon
        if u.shape[1] != self.dims:
            raise ValueError(f"expected {self.dims} uniform columns, got {u.shape[1]}")
        col = 0
        stratum = np.zeros(n, dtype=np.int64)
        inputs: dict[str, np.ndarray] = {"draw": draws.astype(np.int64)}
        # the stratum column comes last in u, but the severities of cap quotas need it first
        if self.interval is not None:
            k = self.interval.strata
            stratum = np.minimum((u[:, -1] * k).astype(np.int64), k - 1)
            inputs[f"data:{self.interval.name}"] = self.interval.values[stratum]
        availability: dict[Channel, np.ndarray] = {}
        capacity: dict[str, np.ndarray] = {}
        mask = np.zeros((n, h), dtype=np.int64)
        for j, ev in enumerate(self.events):
            e = ev.event
            lam = e.rate.ppf(u[:, col])
            p = -np.expm1(-lam)
            onset = u[:, col + 1 : col + 1 + h]
            dur_u = u[:, col + 1 + h : col + 1 + 2 * h]
            sev_u = u[:, col + 1 + 2 * h : col + 1 + 3 * h]
            col += 1 + 3 * h
            remaining = np.zeros(n)
            severity = np.zeros(n)
            frac = np.zeros((n, h))
            sev = np.zeros((n, h))
            onsets = np.zeros(n, dtype=np.int64)
            for t in range(h):
                start = (remaining <= 0.0) & (onset[:, t] < p)
                if start.any():
                    dur = np.full(n, float(h + 1)) if e.persistent else e.duration.ppf(dur_u[:, t])
                    remaining = np.where(start, dur, remaining)
                    severity = np.where(start, self._severity_share(ev, sev_u[:, t], stratum), severity)
                    onsets += start
                f = np.clip(remaining, 0.0, 1.0)
                remaining = remaining - f
                frac[:, t] = f
                sev[:, t] = np.where(f > 0, severity, 0.0)
            mask |= np.where(frac > 0, np.int64(1) << np.int64(j), np.int64(0))
            factor = 1.0 - frac * sev
            if e.kind == "outage":
                capacity[ev.region] = capacity.get(ev.region, np.ones((n, h))) * factor
            else:
                ch = Channel(ev.region, e.target)
                availability[ch] = availability.get(ch, np.ones((n, h))) * factor
            inputs[f"{ev.label}:annual_probability"] = p
            inputs[f"{ev.label}:onsets"] = onsets
            inputs[f"{ev.label}:years_active"] = frac.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                inputs[f"{ev.label}:mean_severity"] = np.where(frac.sum(axis=1) > 0,
                                                               (frac * sev).sum(axis=1) / frac.sum(axis=1), np.nan)
        elasticity: dict[str, np.ndarray] = {}
        if self.elasticity is not None:
            for kind in ELASTICITY_KINDS:
                elasticity[kind] = self.elasticity.ppf(u[:, col])
                inputs[f"elasticity:{kind}"] = elasticity[kind]
                col += 1
        shocks = Shocks(draws=draws.astype(np.int64), horizon=h, availability=availability, capacity=capacity,
                        elasticity=elasticity, stratum=stratum)
        return shocks, pd.DataFrame(inputs), mask

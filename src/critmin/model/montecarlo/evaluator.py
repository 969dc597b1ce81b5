"""The evaluator interface: sampled shocks in, outcome arrays out, batched.

Everything of the Monte Carlo layer (sampling, the disruption library, Dask execution,
checkpoints, summaries, stockpile sizing) talks to an engine only through
:class:`Evaluator`. An engine adapter needs three things:

* ``info``: a :class:`MarketInfo` saying what the market is (regions, focus, units, the
  base export quantity behind each :class:`Channel`, a fingerprint for run manifests);
* ``outputs``: the names of the outcome arrays it returns (:data:`OUTPUTS` documents the
  standard ones);
* ``evaluate(shocks, extra=())``: given a :class:`Shocks` batch of ``N`` draws over a
  horizon of ``H`` years, return ``{name: ndarray (N, H)}`` plus ``status`` (int8,
  :data:`STATUS_NAMES`), ``iterations`` and ``message`` (the reason of a failed solve,
  empty otherwise).

Shocks are engine-neutral: how much of each exporter's shipments can leave (per channel,
a factor in [0, 1]), production multipliers, elasticity multipliers per draw, and which
calibrated variant of the market (a data-interval stratum) each draw uses. The current
static engine (:class:`EngineEvaluator`) solves every scenario-year as one member of a
:func:`critmin.model.simulate_batch` call; the chain engine's adapter
(:class:`critmin.model.montecarlo.chain_evaluator.ChainEvaluator`) maps the same shocks onto
each draw's horizon and solves it as one path.

Statuses are the one status table's codes (:mod:`critmin.model.kernel.status`, ``not_finite``
included: a member the kernel called converged whose figures overflowed) plus
:data:`STATUS_BASE`; both adapters read them from the batch's outcome contract
(:mod:`critmin.model.outcome`), never from the raw kernel status.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from critmin.model import outcome
from critmin.model.instruments import Instruments
from critmin.model.kernel import STATUS_NAMES as KERNEL_STATUS_NAMES
from critmin.model.market import Market

STATUS_BASE = 100
"""Status of a scenario-year with no shock and no policy: the base point, not solved (the
engine returns the base exactly for a no-op, so solving it would change nothing)."""
STATUS_NAMES: dict[int, str] = {**KERNEL_STATUS_NAMES, STATUS_BASE: "base"}

OUTPUTS: dict[str, str] = {
    "consumer_price_change_pct": "focus region's consumer price index, % change from the base",
    "world_producer_price_change_pct": "output-weighted world producer price, % change from the base",
    "shortfall": "fall of the focus region's private consumption (Armington composite) below the base, "
                 "market unit; negative when consumption rises",
    "shortfall_pct": "shortfall as % of the base consumption",
    "use_change": "change of the focus region's physical use (own sales at home plus imports), market unit",
    "imports": "focus region's physical imports, market unit",
    "consumer_loss": "fall of the focus region's consumer surplus, currency per year",
    "producer_loss": "fall of the focus region's producer surplus, currency per year (negative: a gain)",
    "fiscal_cost": "focus government's outlays on floors, buyer-of-last-resort purchases and stockpiles, currency",
    "welfare_loss": "fall of the focus region's total welfare (surpluses, revenues, minus fiscal costs), currency",
}
EXTRA_OUTPUTS: dict[str, str] = {
    "required_release": "stock release (market unit) that brings the focus region's private consumption back to "
                        "the base in that year, found by bisection on the engine (0 when there is no shortfall)",
}


@dataclass(frozen=True)
class Channel:
    """Shipments of ``exporter`` to ``target`` (``"USA"``: the focus region; ``"ALL"``: every foreign destination)."""

    exporter: str
    target: str

    def __str__(self) -> str:
        return f"{self.exporter}->{self.target}"


@dataclass(frozen=True)
class MarketInfo:
    """What an evaluator's market is, for the design and for every output's labels."""

    key: str
    mineral: str
    stage: str
    regions: tuple[str, ...]
    focus: str
    unit: str
    price_unit: str
    base_exports: dict[Channel, tuple[float, ...]]  # per stratum
    strata: tuple[str, ...]
    assumptions: tuple[str, ...]
    fingerprint: str
    policy_overlay: bool = False
    base_consumption: tuple[float, ...] = ()  # focus region's base consumption per stratum (market unit)
    base_price: tuple[float, ...] = ()  # focus region's base consumer price index per stratum (currency per unit)

    @property
    def currency(self) -> str:
        return self.price_unit.split("/")[0] if "/" in self.price_unit else self.price_unit


@dataclass
class Shocks:
    """A batch of ``N`` draws over ``H`` years, in engine-neutral terms."""

    draws: np.ndarray  # (N,) int64
    horizon: int
    availability: dict[Channel, np.ndarray] = field(default_factory=dict)  # (N, H) in [0, 1]
    capacity: dict[str, np.ndarray] = field(default_factory=dict)  # region -> (N, H) multiplier
    elasticity: dict[str, np.ndarray] = field(default_factory=dict)  # kind -> (N,) multiplier
    stratum: np.ndarray | None = None  # (N,) int

    @property
    def n(self) -> int:
        return int(self.draws.shape[0])

    def shocked(self) -> np.ndarray:
        """(N, H) True where any channel or production is shocked."""
        out = np.zeros((self.n, self.horizon), dtype=bool)
        for a in self.availability.values():
            out |= a < 1.0
        for c in self.capacity.values():
            out |= c != 1.0
        return out


class Evaluator(Protocol):
    """What the Monte Carlo layer needs from an engine (see the module docstring)."""

    info: MarketInfo
    outputs: tuple[str, ...]

    def evaluate(self, shocks: Shocks, extra: tuple[str, ...] = ()) -> dict[str, np.ndarray]: ...


def fingerprint(obj: Any) -> str:
    """A short stable hash of a JSON-able description."""
    text = json.dumps(obj, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _json_default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    return str(o)


def market_fingerprint(market: Market) -> str:
    return fingerprint({k: getattr(market, k) for k in ("regions", "flows", "prices", "substitution", "demand",
                                                        "supply", "base_tariff", "base_export_tax", "mineral",
                                                        "stage", "unit", "price_unit")})


def instruments_fingerprint(inst: Instruments) -> str:
    return fingerprint({k: np.asarray(v) for k, v in inst.__dict__.items()})


class EngineEvaluator:
    """The current static engine (:mod:`critmin.model`): one scenario-year per batch member.

    Parameters
    ----------
    key : str
        Name of the market (e.g. ``kb:cobalt:mine``), carried into outputs.
    markets : sequence of Market
        The calibrated market, or one per data-interval stratum (same regions).
    base : Instruments, optional
        A batch-of-one policy overlay (e.g. a preset scenario's floor) applied in every
        scenario-year; default: the base policy.
    focus : str
        The region whose outcomes are reported.
    strata : sequence of str
        A label per market (what the data interval's grid point is).
    notes : sequence of str
        Extra assumptions (printed with results).
    solver_backend : {"numpy", "numba"}
        Fixed, never ``auto``: ``auto`` switches backend with the batch size, and the two
        backends agree only to 1e-10, so results would depend on how a run is chunked.
    threads : int, optional
        Kernel threads (1 inside Dask workers, which are the parallelism there).
    """

    outputs = tuple(OUTPUTS)

    def __init__(self, key: str, markets: list[Market], base: Instruments | None = None, focus: str = "USA",
                 strata: list[str] | None = None, notes: list[str] | None = None, solver_backend: str = "numpy",
                 threads: int | None = None) -> None:
        if not markets:
            raise ValueError("EngineEvaluator needs at least one market")
        regions = markets[0].regions
        if any(m.regions != regions for m in markets):
            raise ValueError("every stratum's market must have the same regions")
        if focus not in regions:
            raise ValueError(f"focus region {focus!r} is not in the market {list(regions)}")
        if solver_backend not in ("numpy", "numba"):
            raise ValueError("solver_backend must be 'numpy' or 'numba' (never 'auto', see the class docstring)")
        self.markets = list(markets)
        self.base = base if base is not None else Instruments.baseline(markets[0], 1)
        if self.base.size != 1:
            raise ValueError("the policy overlay must be a batch of one")
        self.focus = focus
        self.f = regions.index(focus)
        self.solver_backend = solver_backend
        self.threads = threads
        neutral = Instruments.baseline(markets[0], 1)
        self.policy_overlay = instruments_fingerprint(self.base) != instruments_fingerprint(neutral)
        strata = list(strata) if strata is not None else [m.mineral for m in markets]
        exports: dict[Channel, tuple[float, ...]] = {}
        for o, origin in enumerate(regions):
            if origin == focus:
                continue
            exports[Channel(origin, "USA")] = tuple(float(m.flows[o, self.f]) for m in markets)
            exports[Channel(origin, "ALL")] = tuple(float(m.flows[o].sum() - m.flows[o, o]) for m in markets)
        m0 = markets[0]
        from critmin.model.kernel import prepare

        preps = [prepare(m, Instruments.baseline(m, 1)) for m in markets]
        self.info = MarketInfo(
            key=key, mineral=m0.mineral, stage=m0.stage, regions=regions, focus=focus, unit=m0.unit,
            price_unit=m0.price_unit, base_exports=exports, strata=tuple(strata),
            assumptions=tuple(m0.assumptions) + tuple(notes or ()),
            fingerprint=fingerprint({"engine": "critmin.model static", "markets": [market_fingerprint(m) for m in markets],
                                     "overlay": instruments_fingerprint(self.base), "focus": focus,
                                     "backend": solver_backend}),
            policy_overlay=self.policy_overlay,
            base_consumption=tuple(float(p.D0[self.f]) for p in preps),
            base_price=tuple(float(p.P0[self.f]) for p in preps))

    # --- instruments for a set of scenario-years ---------------------------------------------------
    def _instruments(self, market: Market, shocks: Shocks, rows: np.ndarray, cols: np.ndarray) -> Instruments:
        m = len(rows)
        inst = self.base.repeat(m)
        for kind, mult in shocks.elasticity.items():
            arr = getattr(inst, kind)
            arr *= mult[rows][:, None]  # inf stays inf (a perfectly elastic origin)
        regions = market.regions
        for region, c in shocks.capacity.items():
            inst.capacity[:, regions.index(region)] *= c[rows, cols]
        # quota slots only for channels cut partially in these rows (the caller groups rows by that pattern:
        # an inactive slot still costs the kernel an equation per member)
        channels = [ch for ch, a in shocks.availability.items()
                    if np.any((a[rows, cols] < 1.0) & (a[rows, cols] > 1e-12))]
        for ch, a in shocks.availability.items():
            # a ban removes the varieties from the nest
            banned = np.nonzero(a[rows, cols] <= 1e-12)[0]
            if banned.size:
                o = regions.index(ch.exporter)
                for d in range(len(regions)):
                    if d != o and (ch.target == "ALL" or d == self.f):
                        inst.allowed[banned, o, d] = False
        if channels:
            inst = inst.with_quota_slots(inst.n_quotas + len(channels))
        k0 = inst.n_quotas - len(channels)
        for k, ch in enumerate(channels, start=k0):
            a = shocks.availability[ch][rows, cols]
            o = regions.index(ch.exporter)
            dests = np.zeros(len(regions), dtype=bool)
            if ch.target == "USA":
                dests[self.f] = True
            else:
                dests[:] = True
                dests[o] = False
            base = market.flows[o, dests].sum()
            part = (a < 1.0) & (a > 1e-12)
            inst.quota_origin[part, k] = o
            inst.quota_dest[part, k, :] = dests
            inst.quota_cap[part, k] = a[part] * base
        return inst

    # --- outcomes ---------------------------------------------------------------------------------
    def _solve(self, market: Market, inst: Instruments):
        from critmin.model.simulation import simulate_batch

        return simulate_batch(market, inst, focus=self.focus, backend=self.solver_backend, workers=self.threads)

    def _outcomes(self, batch) -> dict[str, np.ndarray]:
        f = self.f
        sol, base = batch.solution, batch.base_state
        st = sol.state
        w = batch.welfare
        produced0, produced1 = base.S.sum(axis=1), st.S.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg0 = (base.p * base.S).sum(axis=1) / produced0
            avg1 = (st.p * st.S).sum(axis=1) / produced1
            d0, d1 = base.D[:, f], st.D[:, f]
            off = np.ones(st.X.shape[1], dtype=bool)
            off[f] = False
            out = {
                "consumer_price_change_pct": 100.0 * np.expm1(st.log_pi[:, f] - base.log_pi[:, f]),
                "world_producer_price_change_pct": 100.0 * (avg1 / avg0 - 1.0),
                "shortfall": d0 - d1,
                "shortfall_pct": 100.0 * (d0 - d1) / d0,
                "use_change": st.X[:, :, f].sum(axis=1) - base.X[:, :, f].sum(axis=1),
                "imports": st.X[:, off, f].sum(axis=1),
                "consumer_loss": -w["consumer_surplus"][:, f],
                "producer_loss": -w["producer_surplus"][:, f],
                "fiscal_cost": (w["cfd_net_cost"] + w["blr_purchase_cost"] + w["stockpile_cost"])[:, f],
                "welfare_loss": -w["total"][:, f],
            }
        failed = ~batch.converged  # the outcome contract's status: not_finite members included
        for v in out.values():
            v[failed] = np.nan  # a failed solve is nulls and a reason (its status), never a number
        return out

    def _base_outcomes(self, market_index: int) -> dict[str, float]:
        m = self.markets[market_index]
        off = np.ones(m.n_regions, dtype=bool)
        off[self.f] = False
        return {"consumer_price_change_pct": 0.0, "world_producer_price_change_pct": 0.0, "shortfall": 0.0,
                "shortfall_pct": 0.0, "use_change": 0.0, "imports": float(m.flows[off, self.f].sum()),
                "consumer_loss": 0.0, "producer_loss": 0.0, "fiscal_cost": 0.0, "welfare_loss": 0.0}

    def evaluate(self, shocks: Shocks, extra: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
        """Outcomes ``{name: (N, H)}`` and ``status`` for a batch of shocks (see the module docstring)."""
        unknown = set(extra) - set(EXTRA_OUTPUTS)
        if unknown:
            raise ValueError(f"unknown extra outputs {sorted(unknown)}; known: {sorted(EXTRA_OUTPUTS)}")
        n, h = shocks.n, shocks.horizon
        stratum = shocks.stratum if shocks.stratum is not None else np.zeros(n, dtype=np.int64)
        if stratum.size and (stratum.min() < 0 or stratum.max() >= len(self.markets)):
            raise ValueError("a draw's stratum has no calibrated market")
        names = list(self.outputs) + list(extra)
        out = {k: np.zeros((n, h)) for k in names}
        status = np.full((n, h), STATUS_BASE, dtype=np.int16)
        iterations = np.zeros((n, h), dtype=np.int16)
        messages = np.full((n, h), "", dtype=object)
        solve = shocks.shocked() | self.policy_overlay
        for s, market in enumerate(self.markets):
            base_vals = self._base_outcomes(s)
            in_s = stratum == s
            for k, v in base_vals.items():
                out[k][in_s, :] = v
            rows_all, cols_all = np.nonzero(solve & in_s[:, None])
            if rows_all.size == 0:
                continue
            # group members by which channels are cut partially, so each solve has only the quota slots it uses
            pattern = np.zeros(rows_all.size, dtype=np.int64)
            for bit, a in enumerate(shocks.availability.values()):
                v = a[rows_all, cols_all]
                pattern |= np.where((v < 1.0) & (v > 1e-12), np.int64(1) << bit, 0)
            for pat in np.unique(pattern):
                rows, cols = rows_all[pattern == pat], cols_all[pattern == pat]
                inst = self._instruments(market, shocks, rows, cols)
                batch = self._solve(market, inst)
                for k, v in self._outcomes(batch).items():
                    out[k][rows, cols] = v
                status[rows, cols] = outcome.status_codes(batch.status)
                iterations[rows, cols] = batch.solution.iterations
                failed = ~batch.converged
                if failed.any():
                    messages[rows[failed], cols[failed]] = np.array(batch.messages, dtype=object)[failed]
                if "required_release" in extra:
                    out["required_release"][rows, cols] = self._required_release(market, inst, batch)
        out["status"] = status
        out["iterations"] = iterations
        out["message"] = messages
        return out

    def _required_release(self, market: Market, inst: Instruments, batch, iterations: int = 40) -> np.ndarray:
        """Release that restores the focus region's base private consumption, by bisection.

        Consumption rises with the release (a release cuts market purchases, so the price
        index falls); at a release equal to the base consumption the price index is below
        the base, so the root lies in ``[0, D0]``. Members without a shortfall need 0; a
        member whose solve fails at a trial release is treated as over-supplied there (the
        bracket shrinks from above) and the failure count is not hidden: members that failed
        without any release keep NaN.
        """
        f = self.f
        d0 = batch.base_state.D[:, f]
        d_now = batch.solution.state.D[:, f]
        ok = batch.converged
        need = ok & (d_now < d0 * (1 - 1e-12))
        result = np.where(ok, 0.0, np.nan)
        idx = np.nonzero(need)[0]
        if idx.size == 0:
            return result
        lo = np.zeros(idx.size)
        hi = d0[idx].copy()
        sub = replace(inst, **{k: v[idx] for k, v in inst.__dict__.items()})
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            trial = replace(sub, stock=sub.stock.copy())
            trial.stock[:, f] -= mid
            b = self._solve(market, trial)
            d = b.solution.state.D[:, f]
            good = b.converged
            below = good & (d < d0[idx])
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        result[idx] = 0.5 * (lo + hi)
        return result

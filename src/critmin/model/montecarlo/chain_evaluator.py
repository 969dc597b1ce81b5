"""The chain engine behind the Monte Carlo evaluator interface: one member per draw, its whole horizon as one path.

:class:`ChainEvaluator` implements :class:`~critmin.model.montecarlo.evaluator.Evaluator` on
:mod:`critmin.model.chain`. Where the static engine solves each scenario-year on its own, the
chain engine solves a draw's ``H`` years as one path, so a ban's after-effects (producers who
added capacity during it, users who economised) carry into the following years, and a stock
release or a floor acts year after year.

Mapping of the engine-neutral shocks (at the stage the evaluator reports, ``info.stage``):

* ``availability[Channel(e, "USA" | "ALL")]`` in year ``t``: 0 is a ban of ``e``'s shipments to the
  focus region (or to every foreign destination) that year; a share ``a`` in (0, 1) is an export
  quota of ``a`` times the base year's shipments on those routes (a licensing hold-up, or a
  part-year ban averaged over the year); 1 is no restriction;
* ``capacity[region]`` in year ``t``: multiplies the region's existing producers' capacity;
* ``elasticity["substitution" | "demand" | "supply"]``: multiplies the substitution elasticity,
  the short- and long-run demand elasticities, the short- and long-run supply elasticities
  (ratios between short and long run kept);
* ``stratum``: which calibrated variant of the market (a knowledge-base market's ``low`` and
  ``high`` corners, or the grid of a data interval).

Outputs are the focus region's, against the baseline path of the same draw (same market,
elasticities and years, no shock): prices and quantities at ``info.stage``; consumer and
producer losses, fiscal cost and welfare summed over every stage (:mod:`critmin.model.chain.welfare`).
A draw whose path does not solve has every output null in every year, its status and the
reason naming the year; a draw with no shock and no policy, on a market without baseline
growth, is the base point (status ``base``, not solved: the engine returns the base exactly
for a no-op).

The kernel backend is fixed per evaluator (compiled when numba is installed, else numpy):
the size rules that otherwise choose it would make a member's arithmetic depend on how many
members share its chunk (:func:`critmin.model.kernel.linalg.forced_backend`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence

import numpy as np

from critmin.model import outcome
from critmin.model.chain import ChainMarket, ChainPolicies, Horizon, compile_chain_policies
from critmin.model.chain.instruments import ChainInstruments
from critmin.model.chain.simulate import run_chain
from critmin.model.chain.welfare import batch_welfare
from critmin.model.kernel import linalg

from .evaluator import EXTRA_OUTPUTS, OUTPUTS, STATUS_BASE, Channel, MarketInfo, Shocks, fingerprint

#: Output descriptions where the chain engine differs from the static one.
CHAIN_OUTPUTS = {
    **OUTPUTS,
    "consumer_price_change_pct": "focus region's price of a tonne used at the reported stage, % change from the "
                                 "baseline path",
    "world_producer_price_change_pct": "output-weighted producer price of existing producers at the reported stage, "
                                       "% change from the baseline path",
    "shortfall": "fall of the focus region's final use at the reported stage below the baseline path, tonnes "
                 "(physical; negative when use rises)",
    "shortfall_pct": "shortfall as % of the baseline path's final use",
    "use_change": "change of the focus region's physical use at the reported stage (final use, feed, stock purchases)",
    "imports": "focus region's physical imports at the reported stage (offtake and project deliveries included)",
    "consumer_loss": "fall of the focus region's consumer surplus, every stage, currency per year",
    "producer_loss": "fall of the focus region's producer surplus and new-capacity margin, every stage (negative: a "
                     "gain)",
    "fiscal_cost": "focus government's outlays on contracts, offtakes, buyer-of-last-resort and stockpile purchases",
    "welfare_loss": "fall of the focus region's total welfare, every stage (surpluses, revenues, minus outlays)",
}


def default_backend() -> str:
    """``compiled`` when numba is installed, else ``numpy``."""
    return "compiled" if importlib.util.find_spec("numba") is not None else "numpy"


class ChainEvaluator:
    """Monte Carlo on the chain engine (see the module docstring).

    Parameters
    ----------
    key : str
        Name of the market (e.g. ``chain:kb:gallium:processing``), carried into outputs.
    markets : sequence of ChainMarket
        One per stratum (the same regions and stages), e.g. a knowledge-base market's corners.
    policies : ChainPolicies or mapping, optional
        Instruments applied on every draw's path (e.g. a preset's floor), compiled for the run's
        horizon starting the year after the base year.
    focus : str
    stage : str, optional
        The stage whose prices and quantities are reported (default: the last, most processed).
    strata, notes : sequence of str
    backend : {"compiled", "numpy"}, optional
        Fixed per run (default :func:`default_backend`); part of the fingerprint.
    threads : int, optional
        Kernel threads (1 inside Dask workers).
    discount_rate : float
        Only for the overlay's discounting notes (Monte Carlo outputs are per year).
    """

    def __init__(self, key: str, markets: Sequence[ChainMarket], policies: ChainPolicies | Mapping | None = None,
                 focus: str = "USA", stage: str | None = None, strata: Sequence[str] | None = None,
                 notes: Sequence[str] | None = None, backend: str | None = None, threads: int | None = None) -> None:
        if not markets:
            raise ValueError("ChainEvaluator needs at least one market")
        m0 = markets[0]
        if any(m.regions != m0.regions or [s.name for s in m.stages] != [s.name for s in m0.stages] for m in markets):
            raise ValueError("every stratum's market must have the same regions and stages")
        if focus not in m0.regions:
            raise ValueError(f"focus region {focus!r} is not in the market {list(m0.regions)}")
        backend = backend or default_backend()
        if backend not in ("compiled", "numpy"):
            raise ValueError("backend must be 'compiled' or 'numpy' (fixed per run, see the module docstring)")
        self.markets = list(markets)
        self.policies = policies if isinstance(policies, ChainPolicies) else ChainPolicies.model_validate(
            dict(policies or {}))
        self.focus = focus
        self.f = m0.regions.index(focus)
        self.s = m0.stage_index(stage) if stage is not None else m0.n_stages - 1
        self.backend = linalg.backend_in_use(backend)
        self.threads = threads
        self.outputs = tuple(OUTPUTS)
        self.policy_overlay = self.policies != ChainPolicies()
        self.growth = any(np.any(st.growth != 0) for m in markets for st in m.stages)
        st0 = m0.stages[self.s]
        exports: dict[Channel, tuple[float, ...]] = {}
        for o, origin in enumerate(m0.regions):
            if origin == focus:
                continue
            exports[Channel(origin, "USA")] = tuple(float(m.stages[self.s].flows[o, self.f]) for m in markets)
            exports[Channel(origin, "ALL")] = tuple(float(m.stages[self.s].flows[o].sum() - m.stages[self.s].flows[o, o])
                                                    for m in markets)
        strata = list(strata) if strata is not None else [f"{m0.mineral} ({k})" for k in range(len(markets))]
        self.info = MarketInfo(
            key=key, mineral=m0.mineral, stage=st0.name, regions=m0.regions, focus=focus, unit=st0.unit,
            price_unit=st0.price_unit, base_exports=exports, strata=tuple(strata),
            assumptions=tuple(m0.all_assumptions()) + tuple(notes or ()) + (
                "chain engine: each draw's years solved as one path with partial adjustment; outcomes against the "
                "draw's baseline path",),
            fingerprint=fingerprint({"engine": "critmin.model.chain", "markets": [_market_fingerprint(m) for m in markets],
                                     "policies": self.policies.model_dump(mode="json"), "focus": focus,
                                     "stage": st0.name, "backend": self.backend}),
            policy_overlay=self.policy_overlay,
            base_consumption=tuple(float(m.final_use(self.s)[self.f]) for m in markets),
            base_price=tuple(float(m.base_use_price(self.s)[self.f]) for m in markets))

    # --- instruments ----------------------------------------------------------------------------------
    def _horizon(self, si: int, h: int) -> Horizon:
        start = self.markets[si].base_year + 1
        return Horizon(start=start, end=start + h - 1)

    def _overlay(self, si: int, h: int) -> ChainInstruments:
        return _compiled_overlay(self, si, h)

    def _instruments(self, si: int, shocks: Shocks, rows: np.ndarray) -> ChainInstruments:
        """A batch of ``len(rows)`` members: the overlay, the draws' elasticities and their shocks by year."""
        market = self.markets[si]
        m, h = len(rows), shocks.horizon
        inst = self._overlay(si, h).materialise(m)
        for kind, mult in shocks.elasticity.items():
            names = {"substitution": ("substitution",), "demand": ("demand_short", "demand_long"),
                     "supply": ("supply_short", "supply_long")}[kind]
            for name in names:
                getattr(inst, name)[:] *= mult[rows][:, None, None]
        s, regions = self.s, market.regions
        if shocks.capacity:
            cap = inst.expand_years("capacity")
            for region, c in shocks.capacity.items():
                cap[:, :, s, regions.index(region)] *= c[rows]
        avail = {ch: a[rows] for ch, a in shocks.availability.items()}
        partial = [ch for ch, a in avail.items() if np.any((a < 1.0) & (a > 1e-12))]
        banned = [ch for ch, a in avail.items() if np.any(a <= 1e-12)]
        if banned:
            allowed = inst.expand_years("allowed")
            for ch in banned:
                o, dests = regions.index(ch.exporter), self._dests(ch, market)
                i, t = np.nonzero(avail[ch] <= 1e-12)
                for d in dests:
                    allowed[i, t, s, o, d] = False
        if partial:
            k0 = inst.n_quotas
            inst = inst.with_quota_slots(k0 + len(partial))
            qcap = inst.expand_years("quota_cap")
            flows = market.stages[s].flows
            for k, ch in enumerate(partial, start=k0):
                o, dests = regions.index(ch.exporter), self._dests(ch, market)
                inst.quota_stage[:, k] = s
                inst.quota_origin[:, k] = o
                inst.quota_dest[:, k, dests] = True
                a = avail[ch]
                base = float(flows[o, dests].sum())
                qcap[:, :, k] = np.where((a < 1.0) & (a > 1e-12), a * base, np.inf)
        return inst

    def _dests(self, ch: Channel, market: ChainMarket) -> list[int]:
        o = market.regions.index(ch.exporter)
        if ch.target == "USA":
            return [self.f]
        return [d for d in range(market.n_regions) if d != o]

    # --- outcomes -------------------------------------------------------------------------------------
    def _solve(self, si: int, inst: ChainInstruments):
        with linalg.forced_backend(self.backend):
            return run_chain(self.markets[si], inst, focus=self.focus, keep_flows=True, workers=self.threads)

    def _outcomes(self, batch) -> dict[str, np.ndarray]:
        """Every output (N, H) of a solved batch; null for failed members."""
        n = len(batch)
        s, f = self.s, self.f
        sol, base = batch.solution, batch.base

        def bl(name: str) -> np.ndarray:
            arr = getattr(batch.baseline, name)
            return np.broadcast_to(arr, (n,) + arr.shape[1:])

        off = np.ones(self.markets[0].n_regions, dtype=bool)
        off[f] = False
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = (sol.p[:, :, s] * sol.S[:, :, s]).sum(axis=-1) / sol.S[:, :, s].sum(axis=-1)
            avg_b = (bl("p")[:, :, s] * bl("S")[:, :, s]).sum(axis=-1) / bl("S")[:, :, s].sum(axis=-1)
            D, Db = sol.D[:, :, s, f], bl("D")[:, :, s, f]
            w = batch_welfare(batch)
            out = {
                "consumer_price_change_pct": 100.0 * np.expm1(sol.lP[:, :, s, f] - bl("lP")[:, :, s, f]),
                "world_producer_price_change_pct": 100.0 * (avg / avg_b - 1.0),
                "shortfall": Db - D,
                "shortfall_pct": np.where(Db > 0, 100.0 * (Db - D) / Db, np.nan),
                "use_change": sol.U[:, :, s, f] - bl("U")[:, :, s, f],
                "imports": sol.X[:, :, s, off, f].sum(axis=-1) + self._deliveries(batch),
                "consumer_loss": -w["consumer_surplus"][..., f].sum(axis=-1),
                "producer_loss": -(w["producer_surplus"] + w["new_capacity_margin"])[..., f].sum(axis=-1),
                "fiscal_cost": w["government_outlays"][..., f].sum(axis=-1),
                "welfare_loss": -w["total"][..., f].sum(axis=-1),
            }
        failed = ~batch.converged
        for v in out.values():
            v[failed] = np.nan  # a failed path is nulls and a reason, never a number
        return out

    def _deliveries(self, batch) -> np.ndarray:
        """Offtake and new-capacity tonnes delivered into the focus region from elsewhere, (N, H)."""
        n = len(batch)
        inst, sol = batch.inst, batch.solution
        s, f = self.s, self.f
        T, R = inst.n_years, self.markets[0].n_regions
        out = np.zeros((n, T))
        if inst.n_projects:
            st_, rg, mk = (np.broadcast_to(getattr(inst, k), (n, inst.n_projects))
                           for k in ("nc_stage", "nc_region", "nc_market"))
            into = (st_ == s) & (mk == f) & (rg != f)
            out += np.where(into[:, None, :], sol.y, 0.0).sum(axis=-1)
        dest = np.broadcast_to(inst.offtake_dest, (n, T) + inst.offtake_dest.shape[2:])[:, :, s]
        if np.any(dest == f):
            to_stock = np.broadcast_to(inst.offtake_to_stock, (n, T) + inst.offtake_to_stock.shape[2:])[:, :, s]
            into = (dest == f) & (np.arange(R) != f) & ~to_stock
            out += np.where(into, sol.off[:, :, s], 0.0).sum(axis=-1)
        return out

    def _base_outcomes(self, si: int) -> dict[str, float]:
        m = self.markets[si]
        flows = m.stages[self.s].flows
        off = np.ones(m.n_regions, dtype=bool)
        off[self.f] = False
        return {"consumer_price_change_pct": 0.0, "world_producer_price_change_pct": 0.0, "shortfall": 0.0,
                "shortfall_pct": 0.0, "use_change": 0.0, "imports": float(flows[off, self.f].sum()),
                "consumer_loss": 0.0, "producer_loss": 0.0, "fiscal_cost": 0.0, "welfare_loss": 0.0}

    def evaluate(self, shocks: Shocks, extra: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
        """Outcomes ``{name: (N, H)}``, ``status``, ``iterations`` and ``message`` (see the module docstring)."""
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
        solve = shocks.shocked().any(axis=1) | self.policy_overlay | self.growth
        for si in range(len(self.markets)):
            in_s = stratum == si
            for k, v in self._base_outcomes(si).items():
                out[k][in_s, :] = v
            todo = np.nonzero(solve & in_s)[0]
            if not todo.size:
                continue
            # group draws by which channels they cut partially in some year: each solve carries only its quota slots
            pattern = np.zeros(todo.size, dtype=np.int64)
            for bit, a in enumerate(shocks.availability.values()):
                v = a[todo]
                pattern |= np.where(np.any((v < 1.0) & (v > 1e-12), axis=1), np.int64(1) << bit, 0)
            for pat in np.unique(pattern):
                rows = todo[pattern == pat]
                inst = self._instruments(si, shocks, rows)
                batch = self._solve(si, inst)
                for k, v in self._outcomes(batch).items():
                    out[k][rows] = v
                codes = outcome.status_codes(batch.status)
                status[rows] = codes[:, None]
                iterations[rows] = np.minimum(batch.solution.iterations, np.iinfo(np.int16).max)
                failed = ~batch.converged
                if failed.any():
                    msgs = np.array(batch.messages, dtype=object)
                    messages[rows[failed]] = msgs[failed][:, None]
                if "required_release" in extra:
                    out["required_release"][rows] = self._required_release(si, inst, batch)
        out["status"] = status
        out["iterations"] = iterations
        out["message"] = messages
        return out

    # --- stock release ----------------------------------------------------------------------------------
    def _required_release(self, si: int, inst: ChainInstruments, batch, iterations: int = 40) -> np.ndarray:
        """Per year, the release that brings the focus region's price back to its baseline path, (N, H).

        Why the price and not final use: with partial adjustment, users who economised during a
        disruption return to their baseline use only gradually, even at the baseline price; a
        release cannot undo that, and aiming at use would call for releases far beyond what the
        disruption took away. At the baseline price nobody is rationed by the disruption.

        Year ``t`` is solved again from the draw's own state of year ``t - 1`` (its producers' and
        users' adjustments so far) with a government release ``G`` at the focus region and
        reported stage, bisected on ``[0, U^b_t]`` (the price falls as the release grows; a release
        equal to the baseline use covers every purchase). Years whose price is not above the
        baseline need 0; a trial that does not solve counts as over-supplied (the bracket shrinks
        from above); draws whose path failed keep null.
        """
        from critmin.model.kernel.chain import evaluate as evaluate_year
        from critmin.model.kernel.horizon import Lags, initial_lags, prepare_year
        from critmin.model.kernel.newton import solve_year

        n = len(batch)
        sol, base = batch.solution, batch.base
        s, f = self.s, self.f

        def bl(name: str) -> np.ndarray:
            arr = getattr(batch.baseline, name)
            return np.broadcast_to(arr, (n,) + arr.shape[1:])[:, :, s, f]

        lPb, Ub = bl("lP"), bl("U")
        ok = batch.converged
        result = np.where(ok[:, None], np.zeros(lPb.shape), np.nan)
        need_all = ok[:, None] & (sol.lP[:, :, s, f] > lPb + 1e-12)
        full = inst.materialise(n) if inst.size != n else inst
        stock = full.expand_years("stock")
        with linalg.forced_backend(self.backend):
            for t in range(inst.n_years):
                idx = np.nonzero(need_all[:, t])[0]
                if not idx.size:
                    continue
                sub = full.members(idx)
                if t == 0:
                    lags = initial_lags(base, sub)
                else:
                    lags = Lags(sol.E[idx, t - 1], sol.S[idx, t - 1] - sol.E[idx, t - 1], sol.D[idx, t - 1])
                lo, hi = np.zeros(idx.size), Ub[idx, t].copy()
                u0 = sol.u[idx, t]
                for _ in range(iterations):
                    mid = 0.5 * (lo + hi)
                    trial = sub.materialise(idx.size)
                    trial.stock = stock[idx].copy()
                    trial.stock[:, t, s, f] -= mid
                    y, reasons = prepare_year(base, trial, t, lags)
                    good = np.array([not r for r in reasons])
                    lp = np.full(idx.size, np.nan)
                    if good.any():
                        rows = np.nonzero(good)[0]
                        ys = y if good.all() else y.take(rows)
                        u, code, _, _ = solve_year(ys, u0[rows], 1e-10, 60)
                        lp[rows] = np.where(code == 0, evaluate_year(ys, u).lP[:, s, f], np.nan)
                    short = np.isfinite(lp) & (lp > lPb[idx, t])
                    lo = np.where(short, mid, lo)
                    hi = np.where(short, hi, mid)
                result[idx, t] = 0.5 * (lo + hi)
        return result


def _market_fingerprint(market: ChainMarket) -> str:
    return fingerprint({"mineral": market.mineral, "regions": market.regions, "base_year": market.base_year,
                        "stages": [{k: getattr(st, k) for k in ("name", "basis", "unit", "price_unit", "flows", "prices",
                                                                "input_coefficient", "base_tariff", "base_export_tax",
                                                                "trade_cost", "substitution", "demand_short",
                                                                "demand_long", "supply_short", "supply_long", "growth")}
                                   for st in market.stages]})


def _compiled_overlay(ev: ChainEvaluator, si: int, h: int) -> ChainInstruments:
    key = (si, h)
    cache = ev.__dict__.setdefault("_overlays", {})
    if key not in cache:
        inst, _, _ = compile_chain_policies(ev.markets[si], ev.policies, ev._horizon(si, h))
        cache[key] = inst
    return cache[key]


__all__ = ["CHAIN_OUTPUTS", "ChainEvaluator", "default_backend"]

r"""Years: the chain solved year after year, with partial adjustment, for a whole batch at once.

Each year is one equilibrium of :mod:`.chain`. Between years, producers and
users adjust partially toward their long-run response (Nerlove 1958):

.. math::

    \ln S_t = (1-\lambda_S)\ln S_{t-1} + \lambda_S \ln S^*_t(p_t),\qquad
    S^*_t = \bar Q\,c_t\,(p_t/p^0)^{\eta_L}(P^{in}_t/P^{in,0})^{-\kappa\eta_L},
    \qquad \lambda_S = \eta_S/\eta_L

and the same for final use with :math:`\lambda_D = \epsilon_S/\epsilon_L` toward
:math:`\bar D\,g_t\,(P_t/P^0)^{-\epsilon_L}` (growth and shocks in
:math:`g_t`). Within a year, output therefore responds with the short-run
elasticity :math:`\eta_S` around a scale that carries last year's level; the
long-run elasticity is reached as the lag dies out. The base year is a
steady state: with no policy and no growth every year reproduces it exactly.

Members are independent: a block of members runs its whole horizon on one
thread, every year's equilibrium solved for the block at once, warm-started
from the year before. A member that fails in a year stops there; every figure
of that member is then NaN and its reason names the year.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from ..chain.instruments import ChainInstruments
from .chain import ChainBase, YearInputs, delivered_cost, evaluate
from .newton import choose_backend, solve_year
from .status import STATUS_CONVERGED, STATUS_INFEASIBLE, STATUS_NAMES, STATUS_NO_EQUILIBRIUM, STATUS_NOT_CLEARED, STATUS_TEXT

_PRICE_COLLAPSE = np.log(1e-5)

#: per-year outputs recorded for every member: name -> (shape after (N, T), from the state)
_RECORD = ("p", "lP", "D", "S", "E", "U", "Rs", "off", "excess", "sales")


def _lam(short: np.ndarray, long: np.ndarray) -> np.ndarray:
    """Share of the gap to the long-run level closed in a year: short/long (1 where long is 0)."""
    return np.where(long > 0, short / np.where(long > 0, long, 1.0), 1.0)


def _adjusted(lag: np.ndarray, target: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``lag^(1-lam) target^lam``, written so that ``lag == target`` gives ``lag`` exactly."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lag * np.exp(lam * (np.log(target) - np.log(lag)))
    return np.where(lag > 0, np.where(target > 0, out, 0.0), np.where(lam >= 1, target, 0.0))


@dataclass
class Lags:
    """Last year's realised quantities per member: eligible and other output, final use."""

    E: np.ndarray
    O: np.ndarray
    D: np.ndarray

    def take(self, idx: np.ndarray) -> "Lags":
        return Lags(self.E[idx], self.O[idx], self.D[idx])


def initial_lags(base: ChainBase, inst: ChainInstruments) -> Lags:
    """The base year as last year's state (the steady state every horizon starts from)."""
    n = inst.size
    phi = np.broadcast_to(inst.floor_eligible, (n,) + base.Q0.shape)
    return Lags(phi * base.Q0, (1 - phi) * base.Q0, np.broadcast_to(base.D0, (n,) + base.D0.shape).copy())


@dataclass(frozen=True)
class YearFeatures:
    """Which optional terms a year's equations carry, decided for a whole run.

    Terms no member uses are left out of the arithmetic (a minimum import price of zero
    everywhere, no floor, ...). Deciding that per block of members would let a member's
    arithmetic (and so its last bits, even its convergence near a failure) depend on which
    other members share its block; deciding it once for the run (:func:`year_features` on
    every member) does not.
    """

    mip: bool
    floor: bool
    blr: bool
    offtake: bool
    trade_cost: bool  # some delivery has a per-tonne cost this year (no logarithm-free fast path)


def year_features(base: ChainBase, inst: ChainInstruments, t: int) -> YearFeatures:
    """The :class:`YearFeatures` of year ``t`` over every member of ``inst``."""
    return horizon_features(base, inst, (t,))[0]


def horizon_features(base: ChainBase, inst: ChainInstruments, years: tuple[int, ...] | None = None
                     ) -> list[YearFeatures]:
    """:func:`year_features` for each year index in ``years`` (default all), one pass per field."""
    T = inst.n_years
    years = tuple(range(T)) if years is None else years

    def per_year(arr: np.ndarray) -> np.ndarray:
        """Any member, any entry, per year: a bool (T,) from an (N or 1, T or 1, ...) boolean array."""
        flag = arr.reshape(arr.shape[0], arr.shape[1], -1).any(axis=(0, 2))
        return np.broadcast_to(flag, (T,))

    tc = inst.trade_cost
    add = per_year(tc * (1.0 + inst.tariff) != 0) if np.any(tc) else np.zeros(T, bool)
    mip, floor = per_year(inst.mip > 0), per_year(inst.floor_price > 0)
    blr, off = per_year(np.isfinite(inst.blr_floor)), per_year(inst.offtake_quantity > 0)
    return [YearFeatures(mip=bool(mip[t]), floor=bool(floor[t]), blr=bool(blr[t]), offtake=bool(off[t]),
                         trade_cost=bool(add[t]) or not base.no_trade_cost) for t in years]


def adjustment_speeds(inst: ChainInstruments) -> tuple[np.ndarray, np.ndarray]:
    """Share of the gap to the long-run level closed in a year, for output and for final use (per member)."""
    return _lam(inst.supply_short, inst.supply_long), _lam(inst.demand_short, inst.demand_long)


def base_log_share_sum(base: ChainBase) -> np.ndarray:
    """``ln sum_o s0`` per stage and destination, computed exactly as the kernel's log-sum-exp at the base
    (so that the log use price is exactly 0 there); shape (1, S, R)."""
    return np.log(np.exp(base.log_s0).sum(axis=1))[None]


def prepare_year(base: ChainBase, inst: ChainInstruments, t: int, lags: Lags,
                 features: YearFeatures | None = None, speeds: tuple[np.ndarray, np.ndarray] | None = None,
                 L0: np.ndarray | None = None) -> tuple[YearInputs, list[str]]:
    """The year's inputs for every member, and a reason per member that is infeasible before solving ('' if none).

    ``features`` (default: :func:`year_features` of these members) says which optional terms to carry;
    ``speeds`` (:func:`adjustment_speeds` of these members) and ``L0`` (:func:`base_log_share_sum`) are
    constant over the horizon and may be passed in so that a run computes them once.
    """
    if features is None:
        features = year_features(base, inst, t)
    n = lags.D.shape[0]
    S, R = base.n_stages, base.n_regions
    at = inst.at
    tariff = at("tariff", t)
    xtax = at("export_tax", t)
    tau = at("trade_cost", t)
    tariff1 = 1.0 + tariff
    mult = (1.0 + xtax) * tariff1
    add = tau * tariff1
    mip = at("mip", t) if features.mip else None
    allowed = at("allowed", t)
    log_s0 = np.where(allowed, base.log_s0, -np.inf) if not allowed.all() else base.log_s0[None]
    # computed exactly as the kernel's log-sum-exp at the base, so that lnP is exactly 0 there
    if L0 is None:
        L0 = base_log_share_sum(base)
    lamS, lamD = speeds if speeds is not None else adjustment_speeds(inst)
    phi = inst.floor_eligible
    cap = at("capacity", t)
    target_E = phi * base.Q0 * cap
    target_O = (1 - phi) * base.Q0 * cap
    E_scale = _adjusted(lags.E, np.broadcast_to(target_E, lags.E.shape), lamS)
    O_scale = _adjusted(lags.O, np.broadcast_to(target_O, lags.O.shape), lamS)
    D_scale = _adjusted(lags.D, np.broadcast_to(base.D0 * at("demand_shift", t), lags.D.shape), lamD)
    floor = at("floor_price", t)
    has_floor = features.floor
    blr = at("blr_floor", t)
    off_q = at("offtake_quantity", t)
    has_off = features.offtake
    fixed = np.broadcast_to(~base.producing, (n, S, R))
    K = inst.n_quotas
    q_cap = at("quota_cap", t) if K else np.zeros((1, 0))
    q_stage = np.broadcast_to(inst.quota_stage, (n, K))
    q_origin = np.broadcast_to(inst.quota_origin, (n, K))
    q_dest = np.broadcast_to(inst.quota_dest, (n, K, R))
    q_cap = np.broadcast_to(q_cap, (n, K))
    q_active = np.isfinite(q_cap)
    base_ship = np.zeros((n, K))
    flows0 = base.s0 * 0.0  # placeholder shape (S, R, R)
    J = inst.n_projects
    reasons = [""] * n

    def fail(i: int, why: str) -> None:
        if not reasons[i]:
            reasons[i] = why

    if K:
        # base shipments on the quota's routes, for scaling
        use0 = (base.D0 + np.concatenate([base.a[1:] * base.Q0[1:], np.zeros((1, R))]))  # (S, R)
        flows0 = base.s0 * use0[:, None, :]
        for k in range(K):
            base_ship[:, k] = (flows0[q_stage[:, k], q_origin[:, k]] * q_dest[:, k]).sum(axis=1)
    q_scale = np.maximum(np.where(q_active, np.maximum(q_cap, base_ship), 1.0), 1e-300)
    q_lam = base.p0[q_stage, q_origin] if K else np.zeros((n, 0))
    nc = {}
    if J:
        nn = np.arange(n)[:, None]
        st_, rg, mk = (np.broadcast_to(getattr(inst, f), (n, J)) for f in ("nc_stage", "nc_region", "nc_market"))
        tar = np.broadcast_to(tariff, (n, S, R, R))[nn, st_, rg, mk]
        xt = np.broadcast_to(xtax, (n, S, R, R))[nn, st_, rg, mk]
        tc = np.broadcast_to(tau, (n, S, R, R))[nn, st_, rg, mk]
        nc = dict(nc_stage=st_, nc_region=rg, nc_market=mk,
                  nc_K=np.broadcast_to(at("nc_capacity", t), (n, J)),
                  nc_cost=np.broadcast_to(inst.nc_cost, (n, J)), nc_input=np.broadcast_to(inst.nc_input, (n, J)),
                  nc_eta=np.broadcast_to(inst.nc_eta, (n, J)),
                  nc_floor=np.broadcast_to(at("nc_floor", t), (n, J)),
                  nc_upside=np.broadcast_to(inst.nc_upside, (n, J)),
                  nc_cap=np.broadcast_to(at("nc_cap", t), (n, J)), nc_t1=1.0 + tar, nc_x1=1.0 + xt, nc_tau=tc)
    else:
        empty = np.zeros((n, 0))
        nc = dict(nc_stage=empty.astype(np.intp), nc_region=empty.astype(np.intp), nc_market=empty.astype(np.intp),
                  nc_K=empty, nc_cost=empty, nc_input=empty, nc_eta=empty, nc_floor=empty, nc_upside=empty,
                  nc_cap=empty, nc_t1=empty, nc_x1=empty, nc_tau=empty)
    names = base.region_names or tuple(str(r) for r in range(R))
    stages = base.stage_names or tuple(str(s) for s in range(S))
    if not allowed.all():
        routes = np.isfinite(np.broadcast_to(log_s0, (n, S, R, R)))
        # a destination with possible use but no permitted supplier cannot be served
        permitted = routes.any(axis=2)  # (N, S, R)
        may_use = D_scale > 0
        if S > 1:
            may_use[:, :-1] |= (base.a[1:] * base.Q0[1:] > 0)[None]
        for i, s, d in zip(*np.nonzero(~permitted & may_use)):
            fail(int(i), f"{names[d]} has no permitted supplier of {stages[s]} left (every origin it buys from "
                         "is banned)")
        # an origin whose every outlet is banned can sell nothing: its price would fall to zero
        outlet = routes.any(axis=3)
        rescued = np.isfinite(blr) | (off_q > 0)
        for i, s, o in zip(*np.nonzero(~outlet & base.producing[None] & ~np.broadcast_to(rescued, outlet.shape))):
            fail(int(i), f"{names[o]} has no permitted outlet for its {stages[s]} output (every buyer of it is "
                         "banned): its price would fall to zero; add a buyer of last resort or allow a destination")
        if (~permitted).any():  # keep the shares defined where nothing is used
            log_s0 = np.where((~permitted)[:, :, None, :], base.log_s0[None], log_s0)
    lw = None
    # fast path: no per-tonne delivery costs now or at the base, so ln(c/c0) = z + ln(mult/mult0)
    if not features.trade_cost:
        lw = np.log(mult) - base.log_mult0
    y = YearInputs(
        lw=lw,
        base=base, mult=mult, add=add, tariff1=tariff1, mip=mip, log_s0=log_s0, L0=L0,
        sigma=inst.substitution, eps=inst.demand_short, eta=inst.supply_short,
        D_scale=D_scale, E_scale=E_scale, O_scale=O_scale,
        floor=floor if has_floor else None, upside=at("floor_upside", t) if has_floor else None,
        cap=at("floor_cap", t) if has_floor else None,
        blr=blr if features.blr else None, stock=at("stock", t),
        off_q=off_q if has_off else None, off_dest=at("offtake_dest", t) if has_off else None,
        off_market=(~at("offtake_to_stock", t) & (at("offtake_dest", t) >= 0)) if has_off else None,
        fixed=fixed, q_stage=q_stage, q_origin=q_origin, q_dest=q_dest, q_cap=q_cap, q_scale=q_scale, q_lam=q_lam,
        q_active=q_active, **nc)
    return y, reasons


@dataclass
class HorizonSolution:
    """Every member's path: arrays (N, T, ...) with NaN for failed members, a status and a reason each."""

    years: tuple[int, ...]
    status: np.ndarray  # (N,) int
    failed_year: np.ndarray  # (N,) index of the first failed year, -1 if none
    messages: list[str]
    iterations: np.ndarray  # (N, T)
    clearing: np.ndarray  # (N, T) max relative clearing residual
    u: np.ndarray  # (N, T, S*R + K)
    p: np.ndarray  # (N, T, S, R)
    lP: np.ndarray
    D: np.ndarray
    S: np.ndarray
    E: np.ndarray
    U: np.ndarray
    Rs: np.ndarray
    off: np.ndarray
    excess: np.ndarray
    sales: np.ndarray
    y: np.ndarray  # (N, T, J)
    nb: np.ndarray
    ye: np.ndarray
    pe: np.ndarray  # (N, T, S, R)
    q_ship: np.ndarray  # (N, T, K)
    X: np.ndarray | None = None  # (N, T, S, R, R)
    c: np.ndarray | None = None

    @property
    def converged(self) -> np.ndarray:
        return self.status == STATUS_CONVERGED

    @property
    def status_names(self) -> list[str]:
        return [STATUS_NAMES[int(s)] for s in self.status]


class _Solved:
    """The year's state as the compiled kernel left it at the solution (the attributes the horizon reads)."""

    #: the (N, S, R) attributes, overwritten for members evaluated in numpy instead
    PATCHED = ("p", "lP", "D", "S", "E", "Rs", "sales", "pe", "blr_w", "U", "off", "excess")

    def __init__(self, base: ChainBase, y: YearInputs, u: np.ndarray, out: np.ndarray) -> None:
        n = u.shape[0]
        S, R = base.n_stages, base.n_regions
        self.z = u[:, : S * R].reshape(n, S, R)
        self.p = base.p0 * np.exp(self.z)
        self.lP, self.D, self.S, self.E, self.Rs, self.sales, self.pe, self.blr_w = (out[:, k] for k in range(8))
        self.U = self.Rs.copy()  # no project or offtake deliveries on the compiled path
        self.off = np.zeros((n, S, R))
        self.excess = self.S - self.sales
        self.q_ship = np.zeros((n, 0))
        self.y = self.nb = self.ye = np.zeros((n, 0))


def _verify(y: YearInputs, st) -> np.ndarray:
    """Relative market-clearing residual per member (BLR purchases and quota overshoot included)."""
    gap = np.abs(st.excess)
    if y.blr is not None:
        buys = np.isfinite(y.blr) & (st.blr_w > 0.5)
        gap = np.where(buys, np.maximum(-st.excess, 0.0), gap)
    scale = np.maximum(np.maximum(st.S, st.sales), 1e-300)
    rel = np.where((st.S > 0) | (st.sales > 0), gap / scale, 0.0)
    rel = np.where(y.fixed, 0.0, rel)
    out = rel.reshape(rel.shape[0], -1).max(axis=1, initial=0.0)
    if y.n_quotas:
        over = np.where(y.q_active, (st.q_ship - y.q_cap) / y.q_scale, 0.0)
        out = np.maximum(out, over.max(axis=1, initial=0.0))
    return out


def _used_slots(inst: ChainInstruments) -> tuple[np.ndarray, np.ndarray]:
    """Quota slots that bind some member in some year, and projects with capacity in some year."""
    return (np.nonzero(np.isfinite(inst.quota_cap).any(axis=(0, 1)))[0],
            np.nonzero((inst.nc_capacity > 0).any(axis=(0, 1)))[0])


def _compact(inst: ChainInstruments, used: tuple[np.ndarray, np.ndarray] | None = None
             ) -> tuple[ChainInstruments, np.ndarray, np.ndarray]:
    """Drop quota slots that never bind anyone (cap inf throughout) and projects with no capacity in any year.

    An unused slot would only add a decoupled row to every Newton system; dropping it keeps
    a member's arithmetic identical to a run without the slot (a no-op equals the baseline bit for bit).
    ``used`` (:func:`_used_slots` of the whole run) keeps the same slots in every block.
    """
    keep_q, keep_j = used if used is not None else _used_slots(inst)
    if len(keep_q) == inst.n_quotas and len(keep_j) == inst.n_projects:
        return inst, keep_q, keep_j
    changes = {name: getattr(inst, name)[..., keep_q] if name != "quota_dest" else inst.quota_dest[:, keep_q]
               for name in ("quota_stage", "quota_origin", "quota_cap", "quota_dest")}
    changes.update({name: getattr(inst, name)[..., keep_j]
                    for name in ("nc_stage", "nc_region", "nc_market", "nc_capacity", "nc_cost", "nc_input", "nc_eta",
                                 "nc_floor", "nc_cap", "nc_upside", "nc_payer")})
    return replace(inst, **changes), keep_q, keep_j


def _solve_block(base: ChainBase, inst: ChainInstruments, tol: float, max_iter: int, clearing_tol: float,
                 keep_flows: bool, backend: str | None = None, used: tuple[np.ndarray, np.ndarray] | None = None,
                 features: list[YearFeatures] | None = None) -> HorizonSolution:
    full_k, full_j = inst.n_quotas, inst.n_projects
    inst, keep_q, keep_j = _compact(inst, used)
    sol = _solve_compact(base, inst, tol, max_iter, clearing_tol, keep_flows, backend, features)
    if len(keep_q) == full_k and len(keep_j) == full_j:
        return sol
    n, T = sol.p.shape[:2]
    nz = base.n_stages * base.n_regions
    u = np.zeros((n, T, nz + full_k))
    u[:, :, :nz] = sol.u[:, :, :nz]
    u[:, :, nz + keep_q] = sol.u[:, :, nz:]
    u[np.isnan(sol.u[:, :, 0])] = np.nan
    q_ship = np.full((n, T, full_k), np.nan)
    q_ship[:, :, keep_q] = sol.q_ship
    out = {}
    for name in ("y", "nb", "ye"):
        arr = np.zeros((n, T, full_j)) if name == "y" else np.full((n, T, full_j), np.nan)
        arr[:, :, keep_j] = getattr(sol, name)
        arr[~sol.converged] = np.nan
        out[name] = arr
    return replace(sol, u=u, q_ship=q_ship, **out)


def _solve_compact(base: ChainBase, inst: ChainInstruments, tol: float, max_iter: int, clearing_tol: float,
                   keep_flows: bool, backend: str | None = None, features: list[YearFeatures] | None = None
                   ) -> HorizonSolution:
    n, T = inst.size, inst.n_years
    S, R = base.n_stages, base.n_regions
    K, J = inst.n_quotas, inst.n_projects
    nU = S * R + K
    out = {name: np.full((n, T, S, R), np.nan) for name in _RECORD + ("pe",)}
    out_y = {name: np.full((n, T, J), np.nan) for name in ("y", "nb", "ye")}
    q_ship = np.full((n, T, K), np.nan)
    X = np.full((n, T, S, R, R), np.nan) if keep_flows else None
    c = np.full((n, T, S, R, R), np.nan) if keep_flows else None
    u_all = np.full((n, T, nU), np.nan)
    status = np.full(n, STATUS_CONVERGED)
    failed_year = np.full(n, -1)
    messages = [""] * n
    iterations = np.zeros((n, T), dtype=np.int64)
    clearing = np.full((n, T), np.nan)
    lags = initial_lags(base, inst)
    speeds, L0 = adjustment_speeds(inst), base_log_share_sum(base)
    u_prev = np.zeros((n, nU))
    u_prev2 = u_prev
    alive = np.arange(n)
    for t in range(T):
        if not len(alive):
            break
        sub_inst = inst if len(alive) == n else inst.members(alive)
        if len(alive) == n:
            speeds_t = speeds
        else:  # members that failed have left the run
            speeds_t = tuple(v if v.shape[0] == 1 else v[alive] for v in speeds)
        y, reasons = prepare_year(base, sub_inst, t, lags, features[t] if features is not None else None,
                                  speeds_t, L0)
        bad = np.array([bool(r) for r in reasons])
        ok_rows = np.nonzero(~bad)[0]
        u = u_prev.copy()
        # warm start: last year's solution moved on by last year's change (paths of partial adjustment are smooth)
        start = u_prev if t < 2 else u_prev + (u_prev - u_prev2)
        st_code = np.full(len(alive), STATUS_INFEASIBLE)
        its = np.zeros(len(alive), dtype=np.int64)
        compiled_state = None
        if len(ok_rows):
            ys = y if len(ok_rows) == len(alive) else y.take(ok_rows)
            u_s, code, it, compiled_state = solve_year(ys, start[ok_rows], tol, max_iter, backend)
            u[ok_rows], st_code[ok_rows], its[ok_rows] = u_s, code, it
        if compiled_state is not None and not keep_flows:
            # members the compiled Newton solved keep its state (no re-evaluation); the others (infeasible,
            # or solved by the numpy fallback) are evaluated in numpy: member by member the same rule
            # whatever block the member is in
            full = np.full((len(alive),) + compiled_state.shape[1:], np.nan)
            full[ok_rows] = compiled_state
            state = _Solved(base, y, u, full)
            redo = np.nonzero(~np.isfinite(full[:, 0, 0, 0]))[0]
            if len(redo):
                patch = evaluate(y.take(redo), u[redo])
                for name in _Solved.PATCHED:
                    getattr(state, name)[redo] = np.broadcast_to(getattr(patch, name), patch.p.shape)
        else:
            state = evaluate(y, u)
        clr = _verify(y, state)
        not_cleared = (st_code == STATUS_CONVERGED) & ~(clr <= clearing_tol)
        st_code[not_cleared] = STATUS_NOT_CLEARED
        # tonnes the origin shares allocate cannot be negative: fixed deliveries (offtakes, new capacity)
        # above a destination's use at every price leave no equilibrium in physical tonnes
        use_scale = np.maximum(np.abs(state.U).reshape(len(alive), -1).max(axis=1), 1e-300)
        negative = state.Rs < -clearing_tol * use_scale[:, None, None]
        over = (st_code == STATUS_CONVERGED) & negative.any(axis=(1, 2))
        for row in np.nonzero(over)[0]:
            s_, d_ = np.argwhere(negative[row])[0]
            st_code[row] = STATUS_NO_EQUILIBRIUM
            reasons[row] = (f"deliveries of offtakes and new capacity into {base.region_names[d_]} ({base.stage_names[s_]}) "
                            "exceed its use at any price the market can reach")
        iterations[alive, t] = its
        clearing[alive, t] = clr
        year = inst.years[t]
        for row in np.nonzero(st_code != STATUS_CONVERGED)[0]:
            i = alive[row]
            code = int(st_code[row])
            if reasons[row]:
                why = reasons[row]
            elif code != STATUS_INFEASIBLE and np.any(u[row, : S * R] < _PRICE_COLLAPSE):
                code = STATUS_NO_EQUILIBRIUM
                why = ("a producer price falls toward zero: output held up by a floor, capacity or fixed supply "
                       "cannot be sold at the delivered prices the other instruments impose")
            else:
                why = STATUS_TEXT[code]
            status[i] = code
            failed_year[i] = t
            messages[i] = f"{year}: {why}"
        good = st_code == STATUS_CONVERGED
        rows, idx = np.nonzero(good)[0], alive[good]
        alive_next = idx
        if len(idx) == n:  # every member alive and converged: plain slices (cheaper than index arrays)
            rows = idx = slice(None)
        for name in _RECORD:
            out[name][idx, t] = getattr(state, name)[rows]
        out["pe"][idx, t] = np.broadcast_to(state.pe, state.p.shape)[rows]
        for name in ("y", "nb", "ye"):
            out_y[name][idx, t] = getattr(state, name)[rows] if J else 0.0
        q_ship[idx, t] = state.q_ship[rows]
        u_all[idx, t] = u[rows]
        if keep_flows:
            X[idx, t] = state.X[rows]
            c[idx, t] = delivered_cost(state)[rows]
        lags = Lags(state.E[rows], state.S[rows] - state.E[rows], state.D[rows])
        u_prev2 = (u_prev if t else u)[rows]
        u_prev = u[rows]
        alive = alive_next
    failed = status != STATUS_CONVERGED
    if failed.any():
        for arr in list(out.values()) + list(out_y.values()) + [q_ship, u_all] + ([X, c] if keep_flows else []):
            arr[failed] = np.nan
    return HorizonSolution(inst.years, status, failed_year, messages, iterations, clearing, u_all,
                           out["p"], out["lP"], out["D"], out["S"], out["E"], out["U"], out["Rs"], out["off"],
                           out["excess"], out["sales"], out_y["y"], out_y["nb"], out_y["ye"], out["pe"], q_ship, X, c)


def default_workers() -> int:
    """Threads for a batch: the cores this process may run on, at most 4."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(4, cores))


#: Fewest members in a block worth a thread of its own (below it the per-year numpy overhead dominates).
MIN_THREAD_BLOCK = 512


def plan_blocks(n: int, workers: int, block: int) -> list[slice]:
    """Contiguous member blocks: one when a single thread runs, else about two per thread (so a thread
    that is held up on a shared machine leaves work to the others), each of at least
    :data:`MIN_THREAD_BLOCK` and at most ``block`` members."""
    if workers > 1 and n >= MIN_THREAD_BLOCK * workers:
        size = max(MIN_THREAD_BLOCK, -(-n // (2 * workers)))
    else:
        size = n
    size = max(1, min(size, block))
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def solve_horizon(base: ChainBase, inst: ChainInstruments, *, tol: float = 1e-10, max_iter: int = 60,
                  clearing_tol: float = 1e-8, keep_flows: bool = True, block: int = 8192,
                  workers: int | None = None) -> HorizonSolution:
    """Solve every member over every year of ``inst.years``; never raises for a member's failure.

    Parameters
    ----------
    tol : float
        Convergence criterion on the max-norm of the scaled residuals.
    clearing_tol : float
        A converged member whose relative market-clearing residual exceeds this
        in some year gets ``market_not_cleared``.
    keep_flows : bool
        Record bilateral flows and delivered costs (N x T x S x R x R); sweeps
        that need prices and quantities only skip them.
    block, workers : int
        Most members per block, and threads (default :func:`default_workers`).
        Blocks run their whole horizon independently, each on one thread (the
        compiled Newton and numpy's array loops release the GIL). The kernel
        backend is chosen once for the whole call
        (:func:`critmin.model.kernel.newton.choose_backend`) and members never
        interact, so every member's figures are the same to the last bit
        whatever ``block`` and ``workers`` are.
    """
    n = inst.size
    if workers is None:
        workers = default_workers()
    # decided once for the whole run, so that no member's arithmetic depends on its block or thread
    backend = choose_backend(n)
    used = _used_slots(inst)
    features = horizon_features(base, inst)
    slices = plan_blocks(n, workers, block)
    if len(slices) == 1:
        return _solve_block(base, inst if inst.size == n else inst.materialise(n), tol, max_iter, clearing_tol,
                            keep_flows, backend, used, features)
    has_axis = _has_member_axis(inst, n)
    fields = tuple(HorizonSolution.__dataclass_fields__)
    arrays: dict[str, np.ndarray | None] = {}
    messages = [""] * n
    lock = threading.Lock()

    def run(sl: slice) -> None:
        part_in = inst.members(sl) if has_axis else inst
        if part_in.size != sl.stop - sl.start:
            part_in = part_in.materialise(sl.stop - sl.start)
        part = _solve_block(base, part_in, tol, max_iter, clearing_tol, keep_flows, backend, used, features)
        with lock:  # the first block to finish sizes the outputs
            if not arrays:
                for name in fields:
                    value = getattr(part, name)
                    if isinstance(value, np.ndarray):
                        arrays[name] = np.empty((n,) + value.shape[1:], dtype=value.dtype)
                    elif value is None:
                        arrays[name] = None
        for name, arr in arrays.items():  # disjoint slices: no lock needed, and the copies run in parallel
            if arr is not None:
                arr[sl] = getattr(part, name)
        messages[sl] = part.messages

    with ThreadPoolExecutor(min(workers, len(slices))) as pool:
        for _ in pool.map(run, slices):  # re-raises a block's exception here
            pass
    return HorizonSolution(years=inst.years, messages=messages, **arrays)


def _has_member_axis(inst: ChainInstruments, n: int) -> bool:
    return inst.size == n and n > 1

r"""Batched equilibrium kernel: Armington market in levels, semismooth Newton.

Model (for each batch member; ``o`` origin, ``d`` destination)
---------------------------------------------------------------
Producer price :math:`p_o = p^0_o e^{z_o}`. Delivered price of variety
:math:`(o, d)`:

.. math::

    w_{od} = p_o (1 + x_{od}) + \lambda_{od}, \qquad
    v_{od} = w_{od} (1 + t_{od}), \qquad
    q_{od} = \max(v_{od}, m_{od})

with export tax :math:`x`, export-quota rent :math:`\lambda` (per unit),
tariff :math:`t` on the c.i.f. value and minimum import price :math:`m`
(the variable levy is :math:`q - v \ge 0`). CES price index relative to the
base, with base value shares :math:`\theta^0_{od}` and :math:`r_{od} = q_{od}/q^0_{od}`:

.. math::

    \Pi_d^{1-\sigma_d} = \sum_o \theta^0_{od} r_{od}^{1-\sigma_d}
    \quad(\ln \Pi_d = \textstyle\sum_o \theta^0_{od} \ln r_{od} \text{ if } \sigma_d = 1)

Composite private demand :math:`D_d = D^0_d s_d \Pi_d^{-\epsilon_d}`, plus
government net purchases :math:`G_d`: :math:`H_d = D_d + G_d`. Variety demand
(Armington 1969):

.. math::

    X_{od} = X^0_{od} (r_{od} / \Pi_d)^{-\sigma_d} H_d / D^0_d

Supply :math:`S_o = Q^0_o c_o [\phi_o (p^e_o/p^0_o)^{\eta_o} + (1-\phi_o)(p_o/p^0_o)^{\eta_o}]`
where :math:`\phi_o` is the share of output eligible for a contract for
difference with floor :math:`F_o` and upside share :math:`s_o`:
:math:`p^e = \max(p, F) - s \max(0, p - F)`.

Equations (scaled to be unit-free)
----------------------------------
* origin with finite supply elasticity: :math:`(S_o - \sum_d X_{od}) / Q^0_o = 0`;
* origin with a buyer-of-last-resort floor :math:`B_o`:
  :math:`\min((p_o - B_o)/p^0_o,\ (S_o - \sum_d X_{od})/Q^0_o) = 0`
  (the excess supply is the government's purchase);
* origin with perfectly elastic supply or no production: :math:`z_o = 0`;
* export quota :math:`k` on exporter :math:`o_k` to destinations :math:`\mathcal D_k`:
  :math:`\min(\mu_k,\ (\bar Q_k - \sum_{d \in \mathcal D_k} X_{o_k d}) / c_k) = 0`,
  with rent :math:`\lambda_k = \mu_k p^0_{o_k}`.

The ``min`` conditions are the exact complementarity conditions
:math:`a \ge 0, b \ge 0, ab = 0`; they are solved by semismooth Newton with
the B-subdifferential of ``min`` and ``max`` (Qi and Sun 1993), with an
Armijo backtracking line search on :math:`\tfrac12 \lVert F \rVert^2`. The
Jacobian is analytic. Every batch member has its own status.

A member on which plain semismooth Newton stalls (typically on the flat side
of a kink, e.g. an export quota on a flow whose delivered price is pinned by
a minimum import price) is re-solved by a smoothing continuation: every
``max``/``min`` is replaced by the Chen-Harker-Kanzow-Smale smoothing
:math:`\tfrac12(a + b \pm \sqrt{(a-b)^2 + 4\delta^2})` and
:math:`\delta` is driven to exactly 0, each stage warm-started from the
previous one (Chen, Qi and Sun 1998). The final stage is the exact problem,
so the answer is exact, not a penalty approximation.

References
----------
.. [1] Armington, P. S. (1969). IMF Staff Papers 16(1), 159-178.
.. [2] Qi, L. and J. Sun (1993). "A nonsmooth version of Newton's method".
   Mathematical Programming 58, 353-367.
.. [3] Chen, X., L. Qi and D. Sun (1998). "Global and superlinear convergence
   of the smoothing Newton method and its application to general box
   constrained variational inequalities". Mathematics of Computation 67,
   519-540.
.. [4] Francois, J. F. and H. K. Hall (2003). "Global Simulation Analysis of
   Industry-Level Trade Policy", version 3.0.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..instruments import Instruments
from ..market import Market
from .status import (STATUS_CONVERGED, STATUS_INFEASIBLE, STATUS_LINE_SEARCH, STATUS_MAX_ITER, STATUS_NAMES,
                     STATUS_NO_EQUILIBRIUM, STATUS_NOT_CLEARED, STATUS_SINGULAR, STATUS_TEXT)

_PRICE_COLLAPSE = np.log(1e-5)  # a producer price below 1e-5 of its base value

_ARMIJO = 1e-4
_MAX_STEP = 3.0  # largest change of a log price in one Newton step

#: Smallest batch for which ``backend="auto"`` loads the compiled kernel in a process that has
#: not loaded it yet. Loading costs ``import numba`` plus the cached machine code, about 0.3 s on
#: the reference machine (2 cores; the first compilation ever, about 6-10 s, is cached on disk).
#: The compiled Newton saves only about 2-4 us per 10-region member against the batched numpy
#: kernel (numpy's SIMD exp/log beat the scalar libm calls of compiled code, and the batched
#: kernel already amortises the Python overhead), so loading pays for itself from about 80,000
#: (2 threads, full state) to 190,000 members (``benchmarks/bench_model.py`` prints the measured
#: break-even). Once loaded (by a large batch, by :func:`warm_compiled`, or by
#: ``backend="numba"``), every batch uses it, which suits long-running processes.
NUMBA_MIN_BATCH = 100_000

#: Members prepared together on the compiled backend (bounds the memory of the (N, R, R) arrays).
COMPILED_BLOCK = 16384


def numba_available() -> bool:
    """True when numba can be imported (checked without importing it)."""
    import importlib.util

    return importlib.util.find_spec("numba") is not None


def warm_compiled(background: bool = True) -> bool:
    """Load (and if needed compile) the compiled kernel now, so that ``backend="auto"`` uses it.

    For long-running processes: call once at start-up. With ``background=True``
    the work happens on a daemon thread and this returns at once. Returns
    False when numba is not installed.
    """
    if not numba_available():
        return False

    def load() -> None:
        from .. import kernel_numba  # noqa: F401  (importing loads the cached machine code lazily)

        market = Market(("A", "B"), np.array([[1.0, 1.0], [1.0, 1.0]]), np.ones(2), np.full(2, 3.0),
                        np.full(2, 0.5), np.ones(2), np.zeros((2, 2)), np.zeros((2, 2)))
        solve(market, Instruments.baseline(market, 1), backend="numba", workers=1)

    if background:
        import threading

        threading.Thread(target=load, name="critmin-numba-warmup", daemon=True).start()
    else:
        load()
    return True


def use_numba(n: int, backend: str = "auto") -> bool:
    """Whether a batch of ``n`` members runs its Newton iterations in the compiled kernel."""
    import sys

    if backend == "auto":
        backend = os.environ.get("CRITMIN_KERNEL", "auto").strip().lower() or "auto"
    if backend == "numpy":
        return False
    if backend == "numba":
        if not numba_available():
            raise RuntimeError("backend='numba' requested but numba is not installed")
        return True
    if backend != "auto":
        raise ValueError(f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}")
    if "critmin.model.kernel_numba" in sys.modules:
        return True
    return n >= NUMBA_MIN_BATCH and numba_available()


@dataclass
class Prepared:
    """Per-member arrays derived once from the market and the instruments."""

    p0: np.ndarray  # (R,)
    Q0: np.ndarray  # (R,)
    D0: np.ndarray  # (R,)
    P0: np.ndarray  # (R,) base price index in currency (expenditure / quantity)
    q0: np.ndarray  # (R, R) base delivered price (shared by the batch)
    X0: np.ndarray  # (N, R, R) base flows, banned varieties zeroed
    theta0: np.ndarray  # (N, R, R) base value shares, banned zeroed
    theta_norm: np.ndarray  # (N, R) sum of unbanned base shares (1 up to rounding)
    wedge_ratio: np.ndarray  # (N, R, R) (1+x)(1+t) / base wedges: v / q0 at p = p0
    log_wedge_ratio: np.ndarray
    mip_ratio: np.ndarray  # (N, R, R) mip / q0
    one_minus_sigma: np.ndarray  # (N, R, R) 1 - sigma_d, materialised (broadcasting is slow for R ~ 10)
    log_mip_ratio: np.ndarray  # -inf where there is no MIP
    sigma: np.ndarray  # (N, R)
    eps: np.ndarray
    eta: np.ndarray
    unit_sigma: np.ndarray  # (N, R) bool, sigma == 1
    tariff1: np.ndarray  # (N, R, R) 1 + t
    xtax1: np.ndarray  # (N, R, R) 1 + x
    mip: np.ndarray  # (N, R, R)
    has_mip: bool
    quota_ind: np.ndarray  # (N, K, R, R) float indicator
    quota_cap: np.ndarray  # (N, K)
    quota_scale: np.ndarray  # (N, K)
    lam_scale: np.ndarray  # (N, K)
    quota_active: np.ndarray  # (N, K) bool (finite cap)
    cfd_floor: np.ndarray
    cfd_share: np.ndarray
    cfd_eligible: np.ndarray
    has_cfd: bool
    blr_floor: np.ndarray  # (N, R), nan = none
    blr_active: np.ndarray  # (N, R) bool
    fixed: np.ndarray  # (N, R) bool: price fixed (eta inf or no production)
    stock: np.ndarray
    capacity: np.ndarray
    demand_shift: np.ndarray
    dest_active: np.ndarray  # (R,) bool
    X0_base: np.ndarray  # (R, R) market base flows (shared)
    theta_full: np.ndarray  # (R, R) base value shares with dummy domestic shares of inactive destinations (shared)
    base_wedge: np.ndarray  # (R, R) (1 + base export tax)(1 + base tariff) (shared)
    allowed: np.ndarray  # (N, R, R) bool, False = banned variety
    status: np.ndarray  # (N,) int, pre-solve verdicts
    messages: list[str] = field(default_factory=list)
    smoothing: float = 0.0  # 0 = exact complementarity; > 0 only inside the continuation fallback

    @property
    def size(self) -> int:
        return self.X0.shape[0]

    @property
    def n_regions(self) -> int:
        return self.X0.shape[1]

    @property
    def n_quotas(self) -> int:
        return self.quota_cap.shape[1]


def prepare(market: Market, inst: Instruments) -> Prepared:
    """Derive kernel arrays and check feasibility of each batch member.

    Infeasible members get ``STATUS_INFEASIBLE`` and a message naming the
    region and the reason; they are not solved.
    """
    n, r = inst.size, market.n_regions
    names = market.regions
    X0_base = market.flows
    Q0 = X0_base.sum(axis=1)
    D0 = X0_base.sum(axis=0)
    dest_active = D0 > 0
    p0 = market.prices
    q0_base = p0[:, None] * (1 + market.base_export_tax) * (1 + market.base_tariff)
    allowed = inst.allowed.astype(bool)
    nothing_banned = bool(allowed.all())
    # without bans the base arrays are shared read-only views: they stay in cache across the batch
    X0 = np.broadcast_to(X0_base, (n, r, r)) if nothing_banned else X0_base[None] * allowed
    value0 = X0_base * q0_base
    expenditure0 = np.where(dest_active, value0.sum(axis=0), 1.0)
    theta_base = value0 / expenditure0[None, :]
    # inactive destinations get a dummy domestic share so that the index is defined
    dummy = np.diag((~dest_active).astype(float))
    theta_full = theta_base + dummy
    if nothing_banned:
        theta0 = np.broadcast_to(theta_full, (n, r, r))
    else:
        theta0 = theta_full[None] * (allowed | ~dest_active[None, None, :])
    # dividing by the base sum (same floats, same order) makes the index exactly 1 at the base
    theta_norm = np.broadcast_to(theta_full.sum(axis=0), (n, r)).copy()

    sigma = np.array(inst.substitution, float)
    eps = np.array(inst.demand, float)
    eta = np.array(inst.supply, float)
    fixed = np.isinf(eta) | (Q0[None, :] <= 0)
    blr_active = np.isfinite(inst.blr_floor)

    status = np.zeros(n, dtype=int)
    messages = [""] * n

    def fail(i: int, why: str) -> None:
        if status[i] == STATUS_CONVERGED:
            status[i] = STATUS_INFEASIBLE
            messages[i] = why

    bad_param = (sigma <= 0) | (eps < 0) | (eta < 0) | ~np.isfinite(sigma) | ~np.isfinite(eps) | np.isnan(eta)
    for i, j in zip(*np.nonzero(bad_param)):
        fail(i, f"elasticities of {names[j]} out of range (substitution > 0, demand >= 0, supply >= 0)")
    positive = X0_base > 0
    if nothing_banned:
        supplied = np.broadcast_to(positive.any(axis=1), (n, r))  # (N, R) origin has an outlet
        sourced = np.broadcast_to(positive.any(axis=0), (n, r))  # (N, R) destination has a supplier
        lost = np.zeros((n, r, r), bool)
    else:
        kept = positive[None] & allowed
        supplied = kept.any(axis=2)
        sourced = kept.any(axis=1)
        lost = positive[None] & ~allowed
    for i, d in zip(*np.nonzero(dest_active[None, :] & ~sourced)):
        fail(i, f"{names[d]} has no permitted supplier left: every origin it bought from is banned")
    for i, d in zip(*np.nonzero(lost.any(axis=1) & (sigma <= 1))):
        fail(i, f"{names[d]} loses a supplier under a ban, but its substitution elasticity "
                f"{sigma[i, d]:g} <= 1 makes every origin essential (the price index becomes infinite)")
    no_outlet = (Q0[None, :] > 0) & ~supplied & ~fixed & ~blr_active
    for i, o in zip(*np.nonzero(no_outlet)):
        fail(i, f"{names[o]} has no permitted outlet for its output: its price would fall to zero "
                "(add a buyer of last resort or allow some destination)")
    for i, o in zip(*np.nonzero((Q0[None, :] <= 0) & (inst.capacity != 1.0))):
        fail(i, f"{names[o]} has zero base production; under Armington a new origin has no base share "
                "to grow from: give it a small base production and flows")
    for i, o in zip(*np.nonzero(blr_active & fixed)):
        fail(i, f"a buyer-of-last-resort floor on {names[o]} needs positive base production and a finite "
                "supply elasticity")
    for i, d in zip(*np.nonzero(~dest_active[None, :] & (inst.stock != 0))):
        fail(i, f"stockpile operation in {names[d]}, which has no base consumption to price it")
    floor_demand = D0[None, :] * inst.demand_shift + inst.stock
    for i, d in zip(*np.nonzero(dest_active[None, :] & (eps == 0) & (floor_demand <= 0))):
        fail(i, f"stockpile release in {names[d]} exceeds its demand, which is perfectly price-inelastic")
    for i, d in zip(*np.nonzero(dest_active[None, :] & (inst.demand_shift <= 0))):
        fail(i, f"demand shock removes all demand in {names[d]}")
    for i, o in zip(*np.nonzero(inst.capacity < 0)):
        fail(i, f"capacity multiplier of {names[o]} is negative")

    has_mip = bool(np.any(inst.mip > 0))
    base_wedge = (1 + market.base_export_tax) * (1 + market.base_tariff)
    tariff1 = 1.0 + inst.tariff
    xtax1 = 1.0 + inst.export_tax
    wedge_ratio = tariff1 * xtax1
    if np.any(base_wedge != 1.0):
        wedge_ratio /= base_wedge
    if has_mip:
        mip_ratio = inst.mip / q0_base
        log_mip_ratio = np.full(mip_ratio.shape, -np.inf)
        has = mip_ratio > 0
        log_mip_ratio[has] = np.log(mip_ratio[has])
    else:
        mip_ratio = log_mip_ratio = np.broadcast_to(np.zeros((r, r)), (n, r, r))
    k = inst.n_quotas
    quota_ind = np.zeros((n, k, r, r))
    if k:
        origin_onehot = np.eye(r, dtype=bool)[inst.quota_origin]  # (N, K, R)
        quota_ind = (origin_onehot[:, :, :, None] & inst.quota_dest[:, :, None, :]).astype(float)
        quota_ind *= allowed[:, None]
        covered = quota_ind.sum(axis=1)
        for i, o, d in zip(*np.nonzero(covered > 1)):
            fail(i, f"the flow {names[o]} -> {names[d]} is covered by more than one export quota")
    quota_active = np.isfinite(inst.quota_cap)
    base_exports = np.einsum("nkod,nod->nk", quota_ind, X0) if k else np.zeros((n, 0))
    quota_scale = np.maximum(np.where(quota_active, np.maximum(inst.quota_cap, base_exports), 1.0), 1e-300)
    lam_scale = p0[inst.quota_origin] if k else np.zeros((n, 0))

    return Prepared(
        p0=p0,
        Q0=Q0,
        D0=D0,
        P0=np.where(dest_active, expenditure0 / np.where(dest_active, D0, 1.0), 0.0),
        q0=q0_base,
        X0=X0,
        theta0=theta0,
        theta_norm=theta_norm,
        wedge_ratio=wedge_ratio,
        log_wedge_ratio=np.log(wedge_ratio),
        mip_ratio=mip_ratio,
        one_minus_sigma=(np.broadcast_to(1.0 - sigma[:1, None, :], (n, r, r)) if bool((sigma == sigma[:1]).all())
                         else np.repeat((1.0 - sigma)[:, None, :], r, axis=1)),
        log_mip_ratio=log_mip_ratio,
        sigma=sigma,
        eps=eps,
        eta=np.where(np.isinf(eta), 0.0, eta),
        unit_sigma=np.abs(sigma - 1.0) < 1e-12,
        tariff1=tariff1,
        xtax1=xtax1,
        mip=inst.mip,
        has_mip=has_mip,
        quota_ind=quota_ind,
        quota_cap=inst.quota_cap,
        quota_scale=quota_scale,
        lam_scale=lam_scale,
        quota_active=quota_active,
        cfd_floor=inst.cfd_floor,
        cfd_share=inst.cfd_share,
        cfd_eligible=inst.cfd_eligible,
        has_cfd=bool(np.any(inst.cfd_eligible > 0)),
        blr_floor=inst.blr_floor,
        blr_active=blr_active,
        fixed=fixed,
        stock=inst.stock,
        capacity=inst.capacity,
        demand_shift=inst.demand_shift,
        dest_active=dest_active,
        X0_base=X0_base,
        theta_full=theta_full,
        base_wedge=base_wedge,
        allowed=allowed,
        status=status,
        messages=messages,
    )




def _take(prep: Prepared, idx: np.ndarray | slice) -> Prepared:
    """Subset of batch members: a copy for an index array, views for a slice."""
    out = {}
    for name, value in prep.__dict__.items():
        if name in _SHARED:
            out[name] = value
        elif name == "messages":
            out[name] = [value[i] for i in idx] if isinstance(idx, np.ndarray) else value[idx]
        else:
            out[name] = value[idx]
    return Prepared(**out)


_SHARED = ("p0", "Q0", "D0", "P0", "q0", "dest_active", "X0_base", "theta_full", "base_wedge", "has_mip", "has_cfd",
           "smoothing")


def _max(a: np.ndarray, b: np.ndarray, delta: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """``max(a, b)`` and its derivative in ``a`` (smoothed when ``delta > 0``)."""
    if np.all(delta == 0):
        return np.maximum(a, b), (a >= b).astype(float)
    root = np.sqrt((a - b) ** 2 + 4 * delta**2)
    return 0.5 * (a + b + root), 0.5 * (1 + (a - b) / root)


def _min(a: np.ndarray, b: np.ndarray, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """``min(a, b)`` and its derivative in ``a`` (the derivative in ``b`` is ``1 -`` that)."""
    if delta == 0:
        return np.minimum(a, b), (a <= b).astype(float)
    root = np.sqrt((a - b) ** 2 + 4 * delta**2)
    return 0.5 * (a + b - root), 0.5 * (1 - (a - b) / root)


@dataclass
class State:
    """Everything the equations need at one point, for a batch.

    Report-only arrays (``lam``, ``w``, ``v``, ``q``) are ``None`` when the
    state was evaluated with ``full=False`` inside the Newton loop.
    """

    p: np.ndarray
    lam: np.ndarray | None  # (N, R, R) quota rent per unit
    w: np.ndarray | None  # c.i.f. price
    v: np.ndarray | None  # duty-paid price before the MIP
    q: np.ndarray | None  # delivered price
    log_r: np.ndarray  # log(q / q0)
    kappa: np.ndarray | float  # d ln q_od / d z_o
    rho_base: np.ndarray | None  # d ln q_od / d lambda_od (quotas only)
    powered: np.ndarray  # r^(1 - sigma); theta0 * powered are the CES terms
    terms_sum: np.ndarray
    log_pi: np.ndarray
    D: np.ndarray
    H: np.ndarray
    X: np.ndarray
    S: np.ndarray
    dS: np.ndarray  # dS/dz
    pe: np.ndarray  # effective producer price of CfD-eligible output
    excess: np.ndarray
    blr_weight: np.ndarray  # (N, R) weight of the price branch in the BLR min
    quota_weight: np.ndarray  # (N, K) weight of the mu branch in the quota min
    F: np.ndarray
    valid: np.ndarray  # (N,) bool


def evaluate(prep: Prepared, z: np.ndarray, mu: np.ndarray, full: bool = True) -> State:
    """Evaluate prices, quantities and residuals at log prices ``z`` and scaled rents ``mu``.

    Without quotas and smoothing (the common case) delivered prices are the
    producer price times a precomputed wedge, so no logarithm of an (N, R, R)
    array is taken: one exponential per variety is the whole transcendental cost.
    """
    delta = prep.smoothing
    n, r = z.shape
    with np.errstate(all="ignore"):
        ez = np.exp(z)
        p = prep.p0 * ez
        lam = w = v = q = None
        rho_base = None
        if prep.n_quotas == 0 and delta == 0:
            log_r = z[:, :, None] + prep.log_wedge_ratio
            ratio_r = ez[:, :, None] * prep.wedge_ratio
            if prep.has_mip:
                kappa = log_r >= prep.log_mip_ratio  # bool mask; the Jacobian uses it as 0/1
                log_r = np.maximum(log_r, prep.log_mip_ratio)
                ratio_r = np.maximum(ratio_r, prep.mip_ratio)
            else:
                kappa = 1.0
            if full:
                lam = np.zeros((n, r, r))
                w = p[:, :, None] * prep.xtax1
                v = w * prep.tariff1
                q = ratio_r * prep.q0
        else:
            fob = p[:, :, None] * prep.xtax1
            if prep.n_quotas:
                lam = np.einsum("nk,nkod->nod", mu * prep.lam_scale, prep.quota_ind)
                w = fob + lam
            else:
                lam = np.zeros_like(fob)
                w = fob
            v = w * prep.tariff1
            if prep.has_mip:
                q, mip_weight = _max(v, prep.mip, delta * prep.mip)
            else:
                q, mip_weight = v, np.ones_like(v)
            ratio_r = q / prep.q0
            log_r = np.log(ratio_r)
            elastic = mip_weight * v / q  # d ln q / d ln v
            kappa = elastic * fob / w
            rho_base = elastic / w
        sigma = prep.sigma
        powered = np.exp(prep.one_minus_sigma * log_r)  # r^(1 - sigma)
        terms_sum = np.einsum("nod,nod->nd", prep.theta0, powered)
        log_pi = np.log(terms_sum / prep.theta_norm) / (1.0 - sigma)
        if prep.unit_sigma.any():
            cobb = np.einsum("nod,nod->nd", prep.theta0, np.where(prep.theta0 > 0, log_r, 0.0))
            log_pi = np.where(prep.unit_sigma, cobb, log_pi)
        D = prep.D0 * prep.demand_shift * np.exp(-prep.eps * log_pi)
        H = D + prep.stock
        ratio = np.where(prep.D0 > 0, H / np.where(prep.D0 > 0, prep.D0, 1.0), 0.0)
        factor = ratio * np.exp(sigma * log_pi)
        X = prep.X0 * powered
        X /= ratio_r
        X *= np.repeat(factor[:, None, :], r, axis=1)  # exactly X0 at the base
        S, dS, pe = _supply(prep, p, z)
        sales = np.einsum("nod->no", X)
        if prep.fixed.any():
            S = np.where(prep.fixed, sales, S)
            dS = np.where(prep.fixed, 0.0, dS)
        excess = S - sales
        Q0 = np.where(prep.Q0 > 0, prep.Q0, 1.0)
        clearing = excess / Q0
        if prep.blr_active.any():
            blr_gap = (p - prep.blr_floor) / prep.p0
            blr_min, blr_weight = _min(blr_gap, clearing, delta)
            F_origin = np.where(prep.blr_active, blr_min, clearing)
        else:
            blr_weight = np.zeros_like(clearing)
            F_origin = clearing
        if prep.fixed.any():
            F_origin = np.where(prep.fixed, z, F_origin)
        if prep.n_quotas:
            shipped = np.einsum("nkod,nod->nk", prep.quota_ind, X)
            slack_q = np.where(prep.quota_active, (prep.quota_cap - shipped) / prep.quota_scale, 1e300)
            F_quota, quota_weight = _min(mu, slack_q, delta)
            F_quota = np.where(prep.quota_active, F_quota, mu)
            quota_weight = np.where(prep.quota_active, quota_weight, 1.0)
            F = np.concatenate([F_origin, F_quota], axis=1)
            valid = np.all(w > 0, axis=(1, 2))
        else:
            quota_weight = np.zeros_like(mu)
            F = F_origin
            valid = np.ones(n, bool)
        valid &= np.all(np.isfinite(F), axis=1)
        if prep.stock.any():
            valid &= np.all((H > 0) | ~prep.dest_active, axis=1)
    return State(p, lam, w, v, q, log_r, kappa, rho_base, powered, terms_sum, log_pi, D, H, X, S, dS, pe, excess,
                 blr_weight, quota_weight, F, valid)


def _supply(prep: Prepared, p: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Supply, its derivative in ``z`` and the CfD effective price.

    ``p^e = F + (1 - s) (max(p, F) - F)``: the floor below, the shared upside above.
    """
    base = prep.Q0 * prep.capacity
    plain = base * np.exp(prep.eta * z)
    if not prep.has_cfd:
        return plain, prep.eta * plain, p
    floor, share, phi = prep.cfd_floor, prep.cfd_share, prep.cfd_eligible
    top, dtop = _max(p, floor, prep.smoothing * floor)
    pe = floor + (1 - share) * (top - floor)
    dpe = (1 - share) * dtop
    eligible = base * np.exp(prep.eta * np.log(pe / prep.p0))
    S = phi * eligible + (1 - phi) * plain
    dS = phi * prep.eta * eligible * (p / pe) * dpe + (1 - phi) * prep.eta * plain
    return S, dS, pe


def jacobian(prep: Prepared, st: State, mu: np.ndarray) -> np.ndarray:
    """Analytic Jacobian (an element of the B-subdifferential at kinks) of the residuals."""
    n, r, k = prep.size, prep.n_regions, prep.n_quotas
    X = st.X
    inv_sum = 1.0 / np.where(st.terms_sum > 0, st.terms_sum, 1.0)
    omega = prep.theta0 * st.powered
    omega *= np.repeat(inv_sum[:, None, :], r, axis=1)
    sigma = prep.sigma[:, None, :]
    gamma = prep.sigma - prep.eps * np.divide(st.D, st.H, out=np.zeros_like(st.D), where=st.H != 0)
    kappa = st.kappa
    Xg = X * np.repeat(gamma[:, None, :], r, axis=1)
    ok = omega * kappa if isinstance(kappa, np.ndarray) else omega
    Q0 = np.where(prep.Q0 > 0, prep.Q0, 1.0)
    # d excess_o / d z_j
    JE = np.matmul(Xg, ok.transpose(0, 2, 1))
    np.negative(JE, out=JE)
    if isinstance(kappa, np.ndarray):
        diag = st.dS + np.einsum("nod,nd,nod->no", X, prep.sigma, kappa)
    else:
        diag = st.dS + np.einsum("nod,nd->no", X, prep.sigma)
    JE[:, np.arange(r), np.arange(r)] += diag
    JE /= Q0[None, :, None]
    J = np.zeros((n, r + k, r + k))
    J[:, :r, :r] = JE
    if k:
        ind = prep.quota_ind
        rho = ind * st.rho_base[:, None] * prep.lam_scale[:, :, None, None]  # d ln q_od / d mu_k
        W = np.einsum("nod,nkod->nkd", omega, rho)  # d ln Pi_d / d mu_k
        JEm = np.einsum("nod,nkod->nok", X * sigma, rho) - np.einsum("nod,nkd->nok", Xg, W)
        J[:, :r, r:] = JEm / Q0[None, :, None]
        shipped_by_dest = np.einsum("nkod,nod->nkd", ind, X)
        dCz = (np.einsum("nkjd,njd->nkj", ind, X * sigma * kappa)
               - np.einsum("nkd,njd->nkj", shipped_by_dest * gamma[:, None, :], ok))
        dCm = (np.einsum("nkod,nlod->nkl", ind * (X * sigma)[:, None], rho)
               - np.einsum("nkd,nld->nkl", shipped_by_dest * gamma[:, None, :], W))
        scale = prep.quota_scale[:, :, None]
        a = st.quota_weight[:, :, None]
        J[:, r:, :r] = (1 - a) * dCz / scale
        J[:, r:, r:] = (1 - a) * dCm / scale + a * np.eye(k)[None]
    if prep.blr_active.any():
        a = np.where(prep.blr_active, st.blr_weight, 0.0)[:, :, None]
        price_rows = np.zeros((n, r, r + k))
        price_rows[:, np.arange(r), np.arange(r)] = st.p / prep.p0
        J[:, :r, :] = a * price_rows + (1 - a) * J[:, :r, :]
    if prep.fixed.any():
        rows = np.zeros((n, r, r + k))
        rows[:, np.arange(r), np.arange(r)] = 1.0
        J[:, :r, :] = np.where(prep.fixed[:, :, None], rows, J[:, :r, :])
    return J


def _solve_linear(J: np.ndarray, F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched ``J d = -F``; members with a singular ``J`` get ``ok = False``."""
    try:
        d = np.linalg.solve(J, -F[..., None])[..., 0]
    except np.linalg.LinAlgError:
        d = np.zeros_like(F)
        for i in range(F.shape[0]):
            try:
                d[i] = np.linalg.solve(J[i], -F[i])
            except np.linalg.LinAlgError:
                d[i] = np.nan
    ok = np.all(np.isfinite(d), axis=1)
    # an exactly singular J can still "solve" with huge entries; treat those as singular too
    ok &= np.max(np.abs(d), axis=1, initial=0.0) < 1e8
    return np.where(ok[:, None], d, 0.0), ok


def _merit(st: State) -> np.ndarray:
    return np.where(st.valid, 0.5 * np.einsum("ij,ij->i", st.F, st.F), np.inf)


def _newton(prep: Prepared, z: np.ndarray, mu: np.ndarray, tol: float, max_iter: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Damped semismooth Newton on every member of ``prep``.

    Converged members are frozen and dropped from the arrays once they are
    the majority, so one stubborn member does not make the whole batch iterate.
    Returns ``z``, ``mu``, a status per member and the iteration count.
    """
    n, r = prep.size, prep.n_regions
    z, mu = z.copy(), mu.copy()
    status = np.full(n, STATUS_MAX_ITER)
    iterations = np.zeros(n, dtype=int)
    index = np.arange(n)  # positions of the rows of `sub` in the batch
    sub, zs, ms = prep, z.copy(), mu.copy()
    st = evaluate(sub, zs, ms, full=False)
    merit = _merit(st)
    live = np.ones(n, bool)  # rows of `sub` still iterating
    for it in range(max_iter + 1):
        done = live & (np.max(np.abs(st.F), axis=1, initial=0.0) <= tol)
        if done.any():
            status[index[done]] = STATUS_CONVERGED
            z[index[done]], mu[index[done]] = zs[done], ms[done]
            live &= ~done
        if not live.any() or it == max_iter:
            break
        if live.sum() < 0.5 * len(live):
            keep = np.nonzero(live)[0]
            sub, index, zs, ms, merit = _take(sub, keep), index[keep], zs[keep], ms[keep], merit[keep]
            live = np.ones(len(keep), bool)
            st = evaluate(sub, zs, ms, full=False)
        iterations[index[live]] += 1
        step, ok = _solve_linear(jacobian(sub, st, ms), st.F)
        step[~live] = 0.0
        largest = np.max(np.abs(step[:, :r]), axis=1, initial=0.0)
        step *= np.minimum(1.0, _MAX_STEP / np.maximum(largest, 1e-300))[:, None]
        alpha = np.ones(len(live))
        zs_new, ms_new = zs + step[:, :r], ms + step[:, r:]
        st_new = evaluate(sub, zs_new, ms_new, full=False)
        merit_new = _merit(st_new)
        accept = ~live | (ok & (merit_new <= (1 - 2 * _ARMIJO * alpha) * merit))
        backtracked = False
        tries = 0
        while not accept[ok].all() and tries < 30:
            backtracked = True
            tries += 1
            redo = np.nonzero(ok & ~accept)[0]
            alpha[redo] *= 0.5
            part = _take(sub, redo)
            zt = zs[redo] + alpha[redo, None] * step[redo, :r]
            mt = ms[redo] + alpha[redo, None] * step[redo, r:]
            m_t = _merit(evaluate(part, zt, mt, full=False))
            good = m_t <= (1 - 2 * _ARMIJO * alpha[redo]) * merit[redo]
            zs_new[redo], ms_new[redo], merit_new[redo] = zt, mt, m_t
            accept[redo[good]] = True
        failed = ~accept
        if failed.any():
            backtracked = True
            status[index[failed & ~ok]] = STATUS_SINGULAR
            status[index[failed & ok]] = STATUS_LINE_SEARCH
            z[index[failed]], mu[index[failed]] = zs[failed], ms[failed]
            live &= ~failed
            zs_new[failed], ms_new[failed] = zs[failed], ms[failed]
        zs, ms, merit = zs_new, ms_new, merit_new
        st = evaluate(sub, zs, ms, full=False) if backtracked else st_new
    if live.any():
        z[index[live]], mu[index[live]] = zs[live], ms[live]
    return z, mu, status, iterations


_CONTINUATION = (0.3, 0.1, 0.03, 0.01, 3e-3, 1e-3, 1e-4, 1e-5, 1e-6, 0.0)


@dataclass
class Solution:
    """Kernel output for a batch: unknowns, final state, status per member."""

    prep: Prepared
    z: np.ndarray
    mu: np.ndarray
    state: State
    status: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray  # max |F| (scaled) per member
    clearing_residual: np.ndarray  # max_o |S_o - sum_d X_od - purchases_o| / S_o
    messages: list[str]


@dataclass
class Equilibria:
    """Verified equilibrium prices and statuses of a batch, without the state arrays.

    What :func:`solve_prices` returns: enough for sweeps and Monte Carlo runs
    that only need prices (and the rents of export quotas), at a fraction of
    the cost of assembling every flow array.
    """

    z: np.ndarray  # (N, R) log producer price relative to the base; NaN for failed members
    mu: np.ndarray  # (N, K) scaled quota rents
    p: np.ndarray  # (N, R) producer prices
    status: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    clearing_residual: np.ndarray
    messages: list[str]

    @property
    def size(self) -> int:
        return self.z.shape[0]


_FAILURE_TEXT = STATUS_TEXT


def solve(market: Market, inst: Instruments, *, tol: float = 1e-12, max_iter: int = 50,
          clearing_tol: float = 1e-9, block: int = 1024, workers: int | None = None,
          backend: str = "auto") -> Solution:
    """Solve every batch member; never raises for a member's failure.

    Parameters
    ----------
    market : Market
    inst : Instruments
        Batch of ``N`` policy settings.
    tol : float
        Convergence criterion on the max-norm of the scaled residuals.
    max_iter : int
        Newton iterations per attempt.
    clearing_tol : float
        After convergence each market's relative clearing residual must be
        below this, else the member gets ``market_not_cleared``.
    block : int
        Members solved together; blocks keep the working arrays in cache.
    workers : int, optional
        Threads solving blocks concurrently (numpy and the compiled kernel
        release the GIL); default: the number of available cores, at most 4.
    backend : {"auto", "numba", "numpy"}
        Who runs the Newton iterations: the compiled per-member loop of
        :mod:`critmin.model.kernel_numba` or the batched numpy reference.
        ``"auto"`` (default) takes numba when it is installed and either the
        batch has at least :data:`NUMBA_MIN_BATCH` members or the compiled
        kernel is already loaded in this process; the environment variable
        ``CRITMIN_KERNEL`` (``numba``/``numpy``) overrides ``"auto"``. Both
        backends solve the same equations to the same tolerance, the
        smoothing-continuation fallback and the final evaluation are numpy in
        both cases, so results agree to rounding (tested to 1e-10).

    Returns
    -------
    Solution
        With every state array for the whole batch. Use :func:`solve_prices`
        to skip assembling them when only prices and statuses are needed.
    """
    parts = solve_blocks(market, inst, tol=tol, max_iter=max_iter, clearing_tol=clearing_tol, block=block,
                         workers=workers, backend=backend)
    return parts[0] if len(parts) == 1 else _concat_solutions(parts)


def solve_prices(market: Market, inst: Instruments, *, tol: float = 1e-12, max_iter: int = 50,
                 clearing_tol: float = 1e-9, block: int = 1024, workers: int | None = None,
                 backend: str = "auto") -> Equilibria:
    """Equilibrium prices, quota rents and statuses of every member, verified, without state arrays.

    Same solver, tolerances, statuses and verification as :func:`solve`
    (parameters as there); the flows, welfare inputs and delivered prices are
    not assembled. On the compiled backend the market-clearing check is done
    inside the kernel at the final point.
    """
    parts = solve_blocks(market, inst, tol=tol, max_iter=max_iter, clearing_tol=clearing_tol, block=block,
                         workers=workers, backend=backend, with_state=False)
    if len(parts) == 1:
        return parts[0]
    k = max(p.mu.shape[1] for p in parts)
    mu = np.concatenate([np.pad(p.mu, ((0, 0), (0, k - p.mu.shape[1]))) for p in parts], axis=0)
    return Equilibria(np.concatenate([p.z for p in parts]), mu, np.concatenate([p.p for p in parts]),
                      np.concatenate([p.status for p in parts]), np.concatenate([p.iterations for p in parts]),
                      np.concatenate([p.residual for p in parts]),
                      np.concatenate([p.clearing_residual for p in parts]), [m for p in parts for m in p.messages])


def solve_blocks(market: Market, inst: Instruments, *, tol: float = 1e-12, max_iter: int = 50,
                 clearing_tol: float = 1e-9, block: int = 1024, workers: int | None = None,
                 backend: str = "auto", with_state: bool = True) -> list[Solution] | list[Equilibria]:
    """Solve a batch as independent blocks of at most ``block`` members, on threads.

    Each block is prepared, solved, verified (market clearing) and evaluated in
    one task, so nothing but the results crosses threads. Members keep their
    order: block ``j`` holds members ``j*block`` to ``(j+1)*block - 1``. With
    ``with_state=False`` each block is an :class:`Equilibria` (no state arrays).
    """
    n = inst.size
    compiled = use_numba(n, backend)
    if workers is None:
        workers = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    if compiled:
        # the compiled Newton does not need cache-sized numpy blocks: prepare large blocks once (bounded
        # memory) and split only the Newton iterations across threads, so nothing is concatenated
        block = max(block, COMPILED_BLOCK)
    slices = [slice(i, min(i + block, n)) for i in range(0, n, block)]

    def run(sl: slice) -> Solution | Equilibria:
        part = inst if (sl.start == 0 and sl.stop == n) else inst.member_slice(sl)
        return _solve_block(market, part, tol, max_iter, clearing_tol, compiled, with_state,
                            workers if compiled else 1)

    if compiled:
        return [run(sl) for sl in slices]
    if workers > 1 and len(slices) > 1:
        with ThreadPoolExecutor(min(workers, len(slices))) as pool:
            return list(pool.map(run, slices))
    return [run(sl) for sl in slices]


def _concat_fields(items: list, shared: tuple[str, ...]) -> dict:
    out = {}
    for name in items[0].__dict__:
        values = [getattr(x, name) for x in items]
        if name in shared:
            out[name] = values[0]
        elif name in ("has_mip", "has_cfd"):
            out[name] = any(values)
        elif isinstance(values[0], list):
            out[name] = [m for v in values for m in v]
        elif not isinstance(values[0], np.ndarray):
            out[name] = values[0]  # scalars and sub-objects (the caller replaces the latter)
        elif any(v is None for v in values):
            out[name] = None
        elif all(v.ndim and v.strides[0] == 0 for v in values) and all(
                np.array_equal(v[:1], values[0][:1]) for v in values[1:]):
            # the same row broadcast over every block (e.g. base flows without bans): keep it a view
            total = sum(v.shape[0] for v in values)
            out[name] = np.broadcast_to(values[0][0], (total, *values[0].shape[1:]))
        else:
            shapes = [np.shape(v) for v in values]
            out[name] = np.concatenate([np.broadcast_to(v, shapes[i]) for i, v in enumerate(values)], axis=0)
    return out


def _concat_solutions(parts: list[Solution]) -> Solution:
    """One Solution from consecutive blocks (quota axes padded to the widest block)."""
    k = max(p.prep.n_quotas for p in parts)
    if any(p.prep.n_quotas != k for p in parts):
        parts = [_pad_quotas(p, k) for p in parts]
    prep = Prepared(**_concat_fields([p.prep for p in parts], _SHARED))
    for p in parts:  # kappa may be a scalar in one block and an array in another
        if not isinstance(p.state.kappa, np.ndarray):
            p.state.kappa = np.full(p.state.X.shape, float(p.state.kappa))
    state = State(**_concat_fields([p.state for p in parts], ()))
    fields = _concat_fields(parts, ())
    fields["prep"], fields["state"] = prep, state
    return Solution(**fields)


def _pad_quotas(sol: Solution, k: int) -> Solution:
    """Add inactive quota slots to a block solved with fewer."""
    prep, n, r = sol.prep, sol.prep.size, sol.prep.n_regions
    extra = k - prep.n_quotas
    for name, fill, shape in (("quota_ind", 0.0, (n, extra, r, r)), ("quota_cap", np.inf, (n, extra)),
                              ("quota_scale", 1.0, (n, extra)), ("lam_scale", 0.0, (n, extra)),
                              ("quota_active", False, (n, extra))):
        value = getattr(prep, name)
        setattr(prep, name, np.concatenate([value, np.full(shape, fill, dtype=value.dtype)], axis=1))
    sol.mu = np.concatenate([sol.mu, np.zeros((n, extra))], axis=1)
    sol.state.quota_weight = np.concatenate([sol.state.quota_weight, np.ones((n, extra))], axis=1)
    return sol


def _verification(prep: Prepared, st: State) -> tuple[np.ndarray, np.ndarray]:
    """Largest scaled residual and relative market-clearing residual per member (numpy reference)."""
    residual = np.max(np.abs(st.F), axis=1, initial=0.0)
    sales = np.einsum("nod->no", st.X)
    purchases = np.where(prep.blr_active & (st.blr_weight > 0.5), np.maximum(st.excess, 0.0), 0.0)
    gap = np.abs(st.S - sales - purchases)
    scale = np.maximum(np.maximum(st.S, sales), 1e-300)
    with np.errstate(invalid="ignore"):
        rel = np.where((st.S > 0) | (sales > 0), gap / scale, 0.0)
    clearing = np.max(rel, axis=1, initial=0.0)
    if prep.n_quotas:
        shipped = np.einsum("nkod,nod->nk", prep.quota_ind, st.X)
        over = np.where(prep.quota_active, (shipped - prep.quota_cap) / prep.quota_scale, 0.0)
        clearing = np.maximum(clearing, np.max(over, axis=1, initial=0.0))
    return residual, clearing


def _solve_block(market: Market, inst: Instruments, tol: float, max_iter: int, clearing_tol: float,
                 compiled: bool = False, with_state: bool = True, workers: int = 1) -> "Solution | Equilibria":
    prep = prepare(market, inst)
    n, r, k = prep.size, prep.n_regions, prep.n_quotas
    z = np.zeros((n, r))
    mu = np.zeros((n, k))
    status = prep.status.copy()
    messages = list(prep.messages)
    iterations = np.zeros(n, dtype=np.int64)
    residual = np.full(n, np.nan)
    clearing = np.full(n, np.nan)
    _solve_members(market, prep, z, mu, status, iterations, messages, 0, tol, max_iter, compiled,
                   residual, clearing, workers)
    final = None
    if with_state:
        # the reference evaluation gives every reported number, whichever backend iterated
        final = evaluate(prep, z, mu)
        residual, clearing = _verification(prep, final)
    else:
        # members solved by numpy (all of them on the numpy backend, stragglers on numba) are verified here
        redo = np.nonzero(np.isnan(clearing) & (status == STATUS_CONVERGED))[0]
        if len(redo):
            sub = prep if len(redo) == n else _take(prep, redo)
            residual[redo], clearing[redo] = _verification(sub, evaluate(sub, z[redo], mu[redo], full=False))
    not_cleared = (status == STATUS_CONVERGED) & ~(clearing <= clearing_tol)
    status[not_cleared] = STATUS_NOT_CLEARED
    for i in np.nonzero(not_cleared)[0]:
        messages[i] = "the residual converged but a market does not clear to the tolerance"
    failed = status != STATUS_CONVERGED
    if failed.any():
        z = np.where(failed[:, None], np.nan, z)
        mu = np.where(failed[:, None], np.nan, mu)
    if not with_state:
        return Equilibria(z, mu, prep.p0 * np.exp(z), status, iterations, residual, clearing, messages)
    if failed.any():
        _blank(final, failed)
    return Solution(prep, z, mu, final, status, iterations, residual, clearing, messages)


def _solve_members(market: Market, prep: Prepared, z: np.ndarray, mu: np.ndarray, status: np.ndarray,
                   iterations: np.ndarray, messages: list[str], offset: int, tol: float, max_iter: int,
                   compiled: bool = False, residual: np.ndarray | None = None,
                   clearing: np.ndarray | None = None, workers: int = 1) -> None:
    """Newton (compiled or numpy), then numpy smoothing continuation for the stragglers.

    Writes into the given views. The compiled kernel also writes ``residual``
    and ``clearing`` of the members it converges; members re-solved by the
    continuation get NaN there (the caller verifies them with numpy).
    """
    n, r, k = prep.size, prep.n_regions, prep.n_quotas
    todo = np.nonzero(status == STATUS_CONVERGED)[0]
    if len(todo) and compiled:
        from .. import kernel_numba

        if residual is None or clearing is None:
            residual, clearing = np.full(n, np.nan), np.full(n, np.nan)
        chunks = np.array_split(todo, min(workers, max(1, len(todo) // 256)))
        if len(chunks) > 1:  # the compiled kernel releases the GIL; threads write disjoint rows
            with ThreadPoolExecutor(len(chunks)) as pool:
                list(pool.map(lambda part: kernel_numba.run_newton(prep, part, z, mu, status, iterations, residual,
                                                                   clearing, tol, max_iter), chunks))
        else:
            kernel_numba.run_newton(prep, todo, z, mu, status, iterations, residual, clearing, tol, max_iter)
    elif len(todo):
        sub = _take(prep, todo) if len(todo) < n else prep
        zs, ms, st_sub, it = _newton(sub, z[todo], mu[todo], tol, max_iter)
        z[todo], mu[todo], status[todo], iterations[todo] = zs, ms, st_sub, it
    retry = np.nonzero((status != STATUS_CONVERGED) & (status != STATUS_INFEASIBLE))[0]
    if not len(retry):
        return
    if clearing is not None:
        clearing[retry] = np.nan
    sub = _take(prep, retry)
    zs, ms = np.zeros((len(retry), r)), np.zeros((len(retry), k))
    for delta in _CONTINUATION:
        sub.smoothing = delta
        zs_new, ms_new, st_sub, it = _newton(sub, zs, ms, tol if delta == 0 else 1e-10, max_iter)
        iterations[retry] += it
        good = st_sub == STATUS_CONVERGED
        zs[good], ms[good] = zs_new[good], ms_new[good]
    z[retry], mu[retry], status[retry] = zs_new, ms_new, st_sub
    for i in retry[st_sub != STATUS_CONVERGED]:
        collapsed = [market.regions[o] for o in np.nonzero(z[i] < _PRICE_COLLAPSE)[0]]
        if collapsed:
            status[i] = STATUS_NO_EQUILIBRIUM
            messages[offset + i] = (f"no equilibrium: the producer price of {', '.join(collapsed)} falls toward zero, "
                                    "its output (held up by a floor, capacity or a fixed supply) cannot be sold at "
                                    "the delivered prices the other instruments impose")
        else:
            messages[offset + i] = _FAILURE_TEXT[int(status[i])]


def _blank(state: State, failed: np.ndarray) -> None:
    """Replace every number of failed members by NaN: no silent wrong answers."""
    for value in state.__dict__.values():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            value[failed] = np.nan

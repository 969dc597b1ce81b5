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

from dataclasses import dataclass, field

import numpy as np

from .instruments import Instruments
from .market import Market

STATUS_CONVERGED = 0
STATUS_MAX_ITER = 1
STATUS_LINE_SEARCH = 2
STATUS_INFEASIBLE = 3
STATUS_SINGULAR = 4
STATUS_NOT_CLEARED = 5
STATUS_NO_EQUILIBRIUM = 6
STATUS_NAMES = {
    STATUS_CONVERGED: "converged",
    STATUS_MAX_ITER: "max_iterations",
    STATUS_LINE_SEARCH: "line_search_failed",
    STATUS_INFEASIBLE: "infeasible",
    STATUS_SINGULAR: "singular_jacobian",
    STATUS_NOT_CLEARED: "market_not_cleared",
    STATUS_NO_EQUILIBRIUM: "no_equilibrium",
}
_PRICE_COLLAPSE = np.log(1e-5)  # a producer price below 1e-5 of its base value

_ARMIJO = 1e-4
_MAX_STEP = 3.0  # largest change of a log price in one Newton step


@dataclass
class Prepared:
    """Per-member arrays derived once from the market and the instruments."""

    p0: np.ndarray  # (R,)
    Q0: np.ndarray  # (R,)
    D0: np.ndarray  # (R,)
    P0: np.ndarray  # (R,) base price index in currency (expenditure / quantity)
    q0: np.ndarray  # (N, R, R) base delivered price
    X0: np.ndarray  # (N, R, R) base flows, banned varieties zeroed
    theta0: np.ndarray  # (N, R, R) base value shares, banned zeroed
    theta_norm: np.ndarray  # (N, R) sum of unbanned base shares (1 up to rounding)
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
    X0 = X0_base[None] * allowed
    value0 = X0_base * q0_base
    expenditure0 = np.where(dest_active, value0.sum(axis=0), 1.0)
    theta_base = value0 / expenditure0[None, :]
    # inactive destinations get a dummy domestic share so that the index is defined
    dummy = np.diag((~dest_active).astype(float))
    theta_full = theta_base + dummy
    theta0 = theta_full[None] * np.where(dest_active[None, None, :], allowed, True)
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
    supplied = (X0 > 0).any(axis=2)  # (N, R) origin has an outlet
    sourced = (X0 > 0).any(axis=1)  # (N, R) destination has a supplier
    lost = (X0_base[None] > 0) & ~allowed
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
        q0=np.broadcast_to(q0_base, (n, r, r)),
        X0=X0,
        theta0=theta0,
        theta_norm=theta_norm,
        sigma=sigma,
        eps=eps,
        eta=np.where(np.isinf(eta), 0.0, eta),
        unit_sigma=np.abs(sigma - 1.0) < 1e-12,
        tariff1=1.0 + inst.tariff,
        xtax1=1.0 + inst.export_tax,
        mip=inst.mip,
        has_mip=bool(np.any(inst.mip > 0)),
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
        status=status,
        messages=messages,
    )




def _take(prep: Prepared, idx: np.ndarray) -> Prepared:
    """Subset of batch members (shared (R,) arrays and scalars are kept as they are)."""
    out = {}
    for name, value in prep.__dict__.items():
        if name in ("p0", "Q0", "D0", "P0", "dest_active", "has_mip", "has_cfd", "smoothing"):
            out[name] = value
        elif name == "messages":
            out[name] = [value[i] for i in idx]
        else:
            out[name] = value[idx]
    return Prepared(**out)


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
    """Everything the equations need at one point, for a batch."""

    p: np.ndarray
    lam: np.ndarray  # (N, R, R) quota rent per unit
    w: np.ndarray  # c.i.f. price
    v: np.ndarray  # duty-paid price before the MIP
    q: np.ndarray  # delivered price
    mip_weight: np.ndarray  # d q / d v (1 where the MIP is slack, 0 where it binds)
    log_r: np.ndarray
    log_pi: np.ndarray
    omega: np.ndarray
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


def evaluate(prep: Prepared, z: np.ndarray, mu: np.ndarray) -> State:
    """Evaluate prices, quantities and residuals at log prices ``z`` and scaled rents ``mu``."""
    delta = prep.smoothing
    with np.errstate(all="ignore"):
        p = prep.p0 * np.exp(z)
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
        log_r = np.log(q / prep.q0)
        one_minus = (1.0 - prep.sigma)[:, None, :]
        terms = prep.theta0 * np.exp(one_minus * log_r)
        total = terms.sum(axis=1) / prep.theta_norm
        log_pi = np.log(total) / (1.0 - prep.sigma)
        if prep.unit_sigma.any():
            cobb = (prep.theta0 * np.where(prep.theta0 > 0, log_r, 0.0)).sum(axis=1)
            log_pi = np.where(prep.unit_sigma, cobb, log_pi)
        omega = terms / terms.sum(axis=1)[:, None, :]
        D = prep.D0 * prep.demand_shift * np.exp(-prep.eps * log_pi)
        H = D + prep.stock
        ratio = np.where(prep.D0 > 0, H / np.where(prep.D0 > 0, prep.D0, 1.0), 0.0)
        X = prep.X0 * np.exp(-prep.sigma[:, None, :] * (log_r - log_pi[:, None, :])) * ratio[:, None, :]
        S, dS, pe = _supply(prep, p, z)
        sales = X.sum(axis=2)
        S = np.where(prep.fixed, sales, S)
        dS = np.where(prep.fixed, 0.0, dS)
        excess = S - sales
        Q0 = np.where(prep.Q0 > 0, prep.Q0, 1.0)
        clearing = excess / Q0
        blr_gap = (p - prep.blr_floor) / prep.p0
        blr_min, blr_weight = _min(blr_gap, clearing, delta)
        F_origin = np.where(prep.blr_active, blr_min, clearing)
        F_origin = np.where(prep.fixed, z, F_origin)
        if prep.n_quotas:
            shipped = np.einsum("nkod,nod->nk", prep.quota_ind, X)
            slack = np.where(prep.quota_active, (prep.quota_cap - shipped) / prep.quota_scale, 1e300)
            F_quota, quota_weight = _min(mu, slack, delta)
            F_quota = np.where(prep.quota_active, F_quota, mu)
            quota_weight = np.where(prep.quota_active, quota_weight, 1.0)
            F = np.concatenate([F_origin, F_quota], axis=1)
        else:
            quota_weight = np.zeros_like(mu)
            F = F_origin
        valid = np.all(np.isfinite(F), axis=1) & np.all(H[:, prep.dest_active] > 0, axis=1) & np.all(w > 0, axis=(1, 2))
    return State(p, lam, w, v, q, mip_weight, log_r, log_pi, omega, D, H, X, S, dS, pe, excess,
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
    X, omega = st.X, st.omega
    sigma = prep.sigma[:, None, :]
    gamma = prep.sigma - prep.eps * np.divide(st.D, st.H, out=np.zeros_like(st.D), where=st.H != 0)
    elastic = st.mip_weight * st.v / st.q  # d ln q / d ln v
    kappa = elastic * (st.p[:, :, None] * prep.xtax1 / st.w)  # d ln q_od / d z_o
    Xg = X * gamma[:, None, :]
    ok = omega * kappa
    Q0 = np.where(prep.Q0 > 0, prep.Q0, 1.0)
    # d excess_o / d z_j
    JE = -np.matmul(Xg, ok.transpose(0, 2, 1))
    diag = st.dS + (X * sigma * kappa).sum(axis=2)
    JE[:, np.arange(r), np.arange(r)] += diag
    JE /= Q0[None, :, None]
    J = np.zeros((n, r + k, r + k))
    J[:, :r, :r] = JE
    if k:
        ind = prep.quota_ind
        rho = ind * (elastic / st.w)[:, None] * prep.lam_scale[:, :, None, None]  # d ln q_od / d mu_k
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

    Returns ``z``, ``mu``, a status per member and the iteration count.
    """
    n, r = prep.size, prep.n_regions
    z, mu = z.copy(), mu.copy()
    status = np.full(n, STATUS_MAX_ITER)
    iterations = np.zeros(n, dtype=int)
    active = np.arange(n)
    sub = prep
    zs, ms = z, mu
    st = evaluate(sub, zs, ms)
    merit = _merit(st)
    for _ in range(max_iter + 1):
        done = np.max(np.abs(st.F), axis=1, initial=0.0) <= tol
        if done.any():
            status[active[done]] = STATUS_CONVERGED
            z[active[done]], mu[active[done]] = zs[done], ms[done]
            keep = np.nonzero(~done)[0]
            active, zs, ms, merit = active[keep], zs[keep], ms[keep], merit[keep]
            if not len(active):
                break
            sub = _take(sub, keep)
            st = evaluate(sub, zs, ms)
        if iterations[active[0]] >= max_iter:
            break
        iterations[active] += 1
        step, ok = _solve_linear(jacobian(sub, st, ms), st.F)
        largest = np.max(np.abs(step[:, :r]), axis=1, initial=0.0)
        step *= np.minimum(1.0, _MAX_STEP / np.maximum(largest, 1e-300))[:, None]
        alpha = np.ones(len(active))
        zs_new, ms_new = zs + step[:, :r], ms + step[:, r:]
        st_new = evaluate(sub, zs_new, ms_new)
        merit_new = _merit(st_new)
        accept = ok & (merit_new <= (1 - 2 * _ARMIJO * alpha) * merit)
        tries = 0
        while not accept[ok].all() and tries < 30:
            tries += 1
            redo = np.nonzero(ok & ~accept)[0]
            alpha[redo] *= 0.5
            part = _take(sub, redo)
            zt = zs[redo] + alpha[redo, None] * step[redo, :r]
            mt = ms[redo] + alpha[redo, None] * step[redo, r:]
            m_t = _merit(evaluate(part, zt, mt))
            good = m_t <= (1 - 2 * _ARMIJO * alpha[redo]) * merit[redo]
            zs_new[redo], ms_new[redo], merit_new[redo] = zt, mt, m_t
            accept[redo[good]] = True
        failed = ~accept
        if failed.any():
            status[active[failed & ~ok]] = STATUS_SINGULAR
            status[active[failed & ok]] = STATUS_LINE_SEARCH
            z[active[failed]], mu[active[failed]] = zs[failed], ms[failed]
            keep = np.nonzero(accept)[0]
            active, zs_new, ms_new, merit_new = active[keep], zs_new[keep], ms_new[keep], merit_new[keep]
            if not len(active):
                break
            sub = _take(sub, keep)
        zs, ms, merit = zs_new, ms_new, merit_new
        st = evaluate(sub, zs, ms)
    if len(active):
        z[active], mu[active] = zs, ms
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


_FAILURE_TEXT = {
    STATUS_MAX_ITER: "no convergence within the Newton iteration limit, also after smoothing continuation",
    STATUS_LINE_SEARCH: "the line search could not reduce the residual, also after smoothing continuation "
                        "(no equilibrium near the path, or a degenerate complementarity)",
    STATUS_SINGULAR: "the Jacobian stayed singular, also after smoothing continuation "
                     "(the instruments may leave a price undetermined)",
}


def solve(market: Market, inst: Instruments, *, tol: float = 1e-12, max_iter: int = 50,
          clearing_tol: float = 1e-9) -> Solution:
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

    Returns
    -------
    Solution
    """
    prep = prepare(market, inst)
    n, r, k = prep.size, prep.n_regions, prep.n_quotas
    z = np.zeros((n, r))
    mu = np.zeros((n, k))
    status = prep.status.copy()
    messages = list(prep.messages)
    iterations = np.zeros(n, dtype=int)
    todo = np.nonzero(status == STATUS_CONVERGED)[0]
    if len(todo):
        sub = _take(prep, todo)
        zs, ms, st_sub, it = _newton(sub, z[todo], mu[todo], tol, max_iter)
        z[todo], mu[todo], status[todo], iterations[todo] = zs, ms, st_sub, it
    retry = np.nonzero((status != STATUS_CONVERGED) & (status != STATUS_INFEASIBLE))[0]
    if len(retry):
        sub = _take(prep, retry)
        zs, ms = np.zeros((len(retry), r)), np.zeros((len(retry), k))
        for delta in _CONTINUATION:
            sub.smoothing = delta
            zs_new, ms_new, st_sub, it = _newton(sub, zs, ms, tol if delta == 0 else 1e-10, max_iter)
            iterations[retry] += it
            good = st_sub == STATUS_CONVERGED
            zs[good], ms[good] = zs_new[good], ms_new[good]
        sub.smoothing = 0.0
        z[retry], mu[retry], status[retry] = zs_new, ms_new, st_sub
        for i in retry[st_sub != STATUS_CONVERGED]:
            collapsed = [market.regions[o] for o in np.nonzero(z[i] < _PRICE_COLLAPSE)[0]]
            if collapsed:
                status[i] = STATUS_NO_EQUILIBRIUM
                messages[i] = (f"no equilibrium: the producer price of {', '.join(collapsed)} falls toward zero, "
                               "its output (held up by a floor, capacity or a fixed supply) cannot be sold at the "
                               "delivered prices the other instruments impose")
            else:
                messages[i] = _FAILURE_TEXT[int(status[i])]
    final = evaluate(prep, z, mu)
    residual = np.max(np.abs(final.F), axis=1, initial=0.0)
    sales = final.X.sum(axis=2)
    purchases = np.where(prep.blr_active, np.maximum(final.excess, 0.0), 0.0)
    gap = np.abs(final.S - sales - purchases)
    scale = np.maximum(np.maximum(final.S, sales), 1e-300)
    with np.errstate(invalid="ignore"):
        rel = np.where((final.S > 0) | (sales > 0), gap / scale, 0.0)
    clearing = np.max(rel, axis=1, initial=0.0)
    if k:
        shipped = np.einsum("nkod,nod->nk", prep.quota_ind, final.X)
        over = np.where(prep.quota_active, (shipped - prep.quota_cap) / prep.quota_scale, 0.0)
        clearing = np.maximum(clearing, np.max(over, axis=1, initial=0.0))
    not_cleared = (status == STATUS_CONVERGED) & ~(clearing <= clearing_tol)
    status[not_cleared] = STATUS_NOT_CLEARED
    for i in np.nonzero(not_cleared)[0]:
        messages[i] = "the residual converged but a market does not clear to the tolerance"
    failed = status != STATUS_CONVERGED
    if failed.any():
        _blank(final, failed)
        z = np.where(failed[:, None], np.nan, z)
        mu = np.where(failed[:, None], np.nan, mu)
    return Solution(prep, z, mu, final, status, iterations, residual, clearing, messages)


def _blank(state: State, failed: np.ndarray) -> None:
    """Replace every number of failed members by NaN: no silent wrong answers."""
    for value in state.__dict__.values():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            value[failed] = np.nan

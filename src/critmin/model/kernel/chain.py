r"""The homogeneous-goods chain in one year: prepared arrays, equations and their Jacobian.

Every array carries a leading batch axis ``N``; stages ``s``, origins ``o``,
destinations ``d``. Unknowns per member: the log producer price
:math:`z_{so} = \ln(p_{so}/p^0_{so})` of every stage and region, and one scaled
rent :math:`\mu_k` per export quota.

Delivered cost and origin shares
--------------------------------
.. math::

    v_{sod} = (p_{so}(1 + x_{sod}) + \tau_{sod} + \lambda_{sod})(1 + t_{sod}),\qquad
    c_{sod} = \max(v_{sod}, m_{sod}),\qquad \ell_{sod} = \ln(c_{sod}/c^0_{sod})

(export tax :math:`x`, per-tonne trade or qualification cost :math:`\tau`, quota
rent :math:`\lambda`, duty :math:`t` on the c.i.f. value, minimum import price
:math:`m` enforced by a variable levy). Destination d splits its physical
purchases across permitted origins by

.. math::

    \pi_{sod} = \frac{s^0_{sod} e^{-\sigma_{sd}\ell_{sod}}}{\sum_k s^0_{skd} e^{-\sigma_{sd}\ell_{skd}}},
    \qquad \ln\frac{P_{sd}}{P^0_{sd}} = -\frac{1}{\sigma_{sd}}
    \Big(\ln \sum_k s^0_{skd} e^{-\sigma_{sd}\ell_{skd}} - \ln \sum_k s^0_{skd}\Big)

the Eaton-Kortum (2002) / discrete-choice form: shares of a **physical total**
(tonnes add up exactly), :math:`P_{sd}` the expected effective delivered price,
and as :math:`\sigma \to \infty` only the origins with the lowest delivered cost
relative to the base sell: the spatial price equilibrium (Samuelson 1952;
Takayama and Judge 1971). Exactly, for every active route,
:math:`\ell_{sod} - \ln(P_{sd}/P^0_{sd}) = -\ln(\pi_{sod}/s^0_{sod})/\sigma_{sd}`:
delivered prices differ from the destination price only by the log share
change over sigma (the law-of-one-price tolerance).

Quantities
----------
* Final use :math:`D_{sd} = \bar D_{sd} (P_{sd}/P^0_{sd})^{-\epsilon_{sd}}` (the
  year's scale :math:`\bar D` carries lags, growth and shocks, see
  :mod:`.horizon`).
* Existing producers, in two groups (eligible for a contract, and the rest):
  :math:`S(x) = \bar S (x/p^0)^{\eta} (P_{s-1,o}/P^0_{s-1,o})^{-\kappa_{so}\eta}`;
  the input-cost shifter with the base feed cost share
  :math:`\kappa_{so} = a_{so}P^0_{s-1,o}/p^0_{so}` is the first-order form of a
  margin: output responds to its price deflated by a unit-cost index.
  The eligible group responds to
  :math:`p^e = \max(p, F) - u\max(p - F, 0)` up to the contract's volume cap V:
  :math:`E = \max(E(p), \min(E(p^e), V))`.
* Offtake deliveries :math:`O_{so} = \min(Q_{so}, S_{so})` go to a named region.
* New capacity j (stage :math:`s_j`, region :math:`r_j`, sold in market :math:`m_j`)
  is a price taker at :math:`P_{s_j m_j}` net of the route's wedges,
  :math:`b_j = (P/(1+t) - \tau)/(1+x)`; with its own contract
  :math:`b^e_j` as above; it runs at its ramped capacity :math:`K_j` when that
  covers its unit cost :math:`C_j = c_j + a_j P_{s_j-1,r_j}` and below it at
  :math:`K_j (b/C)^{\eta_j}`.
* Physical use :math:`U_{sd} = D_{sd} + G_{sd} + a_{s+1,d}S_{s+1,d} + \sum_{j} a_j y_j`
  (stockpile purchases, derived demand of the next stage, feed of new
  capacity there); the tonnes the share system allocates are
  :math:`R_{sd} = U_{sd} - \sum_{j: m_j = d} y_j - \sum_{o} O_{so\to d}`;
  :math:`X_{sod} = R_{sd}\pi_{sod}`.

Equations (scaled by base output)
---------------------------------
* :math:`(S_{so} - O_{so} - \sum_d X_{sod})/Q^0_{so} = 0`;
* with a buyer of last resort at :math:`B`:
  :math:`\min((p - B)/p^0, \text{excess}/Q^0) = 0` (the government buys the excess);
* an origin with no producers: :math:`z_{so} = 0`;
* export quota k: :math:`\min(\mu_k, (\bar Q_k - \text{shipped}_k)/c_k) = 0`,
  rent :math:`\lambda = \mu_k p^0_{s_k o_k}`.

The Jacobian is analytic (chain rule through :math:`\ln P`, derived in
docs/model.md) and checked against finite differences in the tests.

References
----------
.. [1] Eaton, J. and S. Kortum (2002). Econometrica 70(5), 1741-1779.
.. [2] Samuelson, P. A. (1952). American Economic Review 42(3), 283-303.
.. [3] Takayama, T. and G. G. Judge (1971). Spatial and Temporal Price and Allocation Models.
.. [4] Qi, L. and J. Sun (1993). Mathematical Programming 58, 353-367.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..chain.instruments import ChainInstruments
from ..chain.market import ChainMarket


@dataclass(frozen=True)
class ChainBase:
    """Base-year arrays derived once from a :class:`ChainMarket` (shared by every member and year)."""

    p0: np.ndarray  # (S, R) base producer price (1 where no production)
    Q0: np.ndarray  # (S, R) base production
    scale: np.ndarray  # (S, R) residual scale
    D0: np.ndarray  # (S, R) base final use
    P0: np.ndarray  # (S, R) base price of a tonne used
    c0: np.ndarray  # (S, R, R) base delivered cost
    log_c0: np.ndarray
    log_s0: np.ndarray  # (S, R, R) log base shares (-inf where zero)
    s0: np.ndarray
    a: np.ndarray  # (S, R) input coefficient
    kappa: np.ndarray  # (S, R) base feed cost share
    producing: np.ndarray  # (S, R) bool
    has_use: np.ndarray  # (S, R) bool: base use > 0
    region_names: tuple[str, ...] = ()
    stage_names: tuple[str, ...] = ()
    no_trade_cost: bool = False  # no per-tonne delivery cost at the base
    log_mult0: np.ndarray | None = None  # (S, R, R) ln((1 + x0)(1 + t0))

    @classmethod
    def from_market(cls, market: ChainMarket) -> "ChainBase":
        S = market.n_stages
        Q0 = np.stack([st.production for st in market.stages])
        producing = Q0 > 0
        p0 = np.stack([np.where(st.production > 0, st.prices, np.where(st.prices > 0, st.prices, 1.0))
                       for st in market.stages])
        c0 = np.stack([market.base_delivered_cost(s) for s in range(S)])
        s0 = np.stack([market.base_shares(s) for s in range(S)])
        with np.errstate(divide="ignore"):
            log_s0 = np.log(s0)
            log_c0 = np.log(np.where(c0 > 0, c0, 1.0))
        P0 = np.stack([market.base_use_price(s) for s in range(S)])
        D0 = np.stack([market.final_use(s) for s in range(S)])
        D0 = np.where(D0 > 0, D0, 0.0)  # rounding below zero is no use
        a = np.stack([st.input_coefficient for st in market.stages])
        kappa = np.stack([market.input_cost_share(s) for s in range(S)])
        scale = np.where(producing, Q0, np.maximum(Q0.max(axis=1, keepdims=True), 1e-300))
        has_use = np.stack([st.use > 0 for st in market.stages])
        tau0 = np.stack([st.trade_cost for st in market.stages])
        mult0 = np.stack([(1 + st.base_export_tax) * (1 + st.base_tariff) for st in market.stages])
        return cls(p0, Q0, scale, D0, P0, c0, log_c0, log_s0, s0, a, kappa, producing, has_use, market.regions,
                   tuple(st.name for st in market.stages), not np.any(tau0), np.log(mult0))

    @property
    def n_stages(self) -> int:
        return self.p0.shape[0]

    @property
    def n_regions(self) -> int:
        return self.p0.shape[1]


@dataclass
class YearInputs:
    """Everything one year's equations need, per member (leading axis N, or 1 = shared)."""

    base: ChainBase
    mult: np.ndarray  # (N, S, R, R) (1 + x)(1 + t)
    add: np.ndarray  # (N, S, R, R) tau (1 + t)
    tariff1: np.ndarray  # (N, S, R, R) 1 + t
    mip: np.ndarray | None  # (N, S, R, R) or None
    log_s0: np.ndarray  # (N, S, R, R) with bans as -inf
    L0: np.ndarray  # (N, S, R) log of the permitted base share sum... of all base shares
    sigma: np.ndarray  # (N, S, R)
    eps: np.ndarray  # (N, S, R) short-run demand elasticity
    eta: np.ndarray  # (N, S, R) short-run supply elasticity
    D_scale: np.ndarray  # (N, S, R)
    E_scale: np.ndarray  # (N, S, R) eligible producers
    O_scale: np.ndarray  # (N, S, R) other producers
    floor: np.ndarray | None  # (N, S, R) strike (0 = none)
    upside: np.ndarray | None
    cap: np.ndarray | None
    blr: np.ndarray | None  # (N, S, R), nan = none
    stock: np.ndarray  # (N, S, R)
    off_q: np.ndarray | None  # (N, S, R)
    off_dest: np.ndarray | None  # (N, S, R) int
    off_market: np.ndarray | None  # (N, S, R) bool: delivered into the destination's market
    fixed: np.ndarray  # (N, S, R) bool: no producers, z fixed at 0
    # export quotas
    q_stage: np.ndarray  # (N, K)
    q_origin: np.ndarray  # (N, K)
    q_dest: np.ndarray  # (N, K, R) bool
    q_cap: np.ndarray  # (N, K)
    q_scale: np.ndarray  # (N, K)
    q_lam: np.ndarray  # (N, K) rent per unit of mu (the exporter's base price)
    q_active: np.ndarray  # (N, K)
    # new capacity
    nc_stage: np.ndarray  # (N, J)
    nc_region: np.ndarray
    nc_market: np.ndarray
    nc_K: np.ndarray  # (N, J) capacity this year
    nc_cost: np.ndarray
    nc_input: np.ndarray
    nc_eta: np.ndarray
    nc_floor: np.ndarray
    nc_upside: np.ndarray
    nc_cap: np.ndarray
    nc_t1: np.ndarray  # (N, J) 1 + duty on the route r_j -> m_j
    nc_x1: np.ndarray  # (N, J) 1 + export tax on the route
    nc_tau: np.ndarray  # (N, J) trade cost on the route
    lw: np.ndarray | None = None  # (N, S, R, R) ln(mult / base mult) when delivered cost is p * mult (fast path)
    smoothing: float = 0.0

    @property
    def size(self) -> int:
        return self.D_scale.shape[0]

    @property
    def n_quotas(self) -> int:
        return self.q_cap.shape[1]

    @property
    def n_projects(self) -> int:
        return self.nc_K.shape[1]

    @property
    def n_unknowns(self) -> int:
        return self.base.n_stages * self.base.n_regions + self.n_quotas

    def take(self, idx: np.ndarray) -> "YearInputs":
        """Members ``idx`` (arrays with a member axis of 1 stay shared)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and value.ndim and value.shape[0] > 1:
                out[f.name] = value[idx]
            else:
                out[f.name] = value
        return YearInputs(**out)


def _smax(a, b, delta):
    """``max(a, b)`` and its derivative in ``a`` (Chen-Harker-Kanzow-Smale smoothed when ``delta > 0``).

    Exact wherever ``delta == 0``, element by element, so that a member's figures do not depend on
    whether another member of its batch is smoothed (the smoothed formula at ``delta = 0`` agrees
    with the exact one only to rounding).
    """
    if np.all(delta == 0):
        return np.maximum(a, b), (a >= b).astype(float)
    root = np.sqrt((a - b) ** 2 + 4 * delta**2)
    value, weight = 0.5 * (a + b + root), 0.5 * (1 + (a - b) / root)
    exact = delta == 0
    if np.any(exact):
        return np.where(exact, np.maximum(a, b), value), np.where(exact, (a >= b).astype(float), weight)
    return value, weight


def _smin(a, b, delta):
    """``min(a, b)`` and its derivative in ``a`` (in ``b``: one minus it); exact wherever ``delta == 0``."""
    if np.all(delta == 0):
        return np.minimum(a, b), (a <= b).astype(float)
    root = np.sqrt((a - b) ** 2 + 4 * delta**2)
    value, weight = 0.5 * (a + b - root), 0.5 * (1 - (a - b) / root)
    exact = delta == 0
    if np.any(exact):
        return np.where(exact, np.minimum(a, b), value), np.where(exact, (a <= b).astype(float), weight)
    return value, weight


@dataclass
class ChainState:
    """Prices, quantities and residuals of a batch at one point (one year)."""

    z: np.ndarray  # (N, S, R)
    mu: np.ndarray  # (N, K)
    p: np.ndarray  # (N, S, R) producer price
    c: np.ndarray  # (N, S, R, R) delivered cost
    e: np.ndarray  # (N, S, R, R) d ell / d z_o
    lP: np.ndarray  # (N, S, R) log(P / P0)
    pi: np.ndarray  # (N, S, R, R)
    D: np.ndarray  # final use
    S: np.ndarray  # existing producers' output
    E: np.ndarray  # eligible part
    dS_z: np.ndarray
    dS_in: np.ndarray  # d S / d lP of the previous stage (same region)
    pe: np.ndarray  # receipts per tonne of eligible output (strike rules applied)
    off: np.ndarray  # (N, S, R) offtake deliveries
    off_w: np.ndarray  # d off / d S (1 below the quantity)
    y: np.ndarray  # (N, J) new capacity output
    dy_P: np.ndarray  # (N, J) d y / d lP(market)
    dy_in: np.ndarray  # (N, J) d y / d lP(feed)
    nb: np.ndarray  # (N, J) netback price of new capacity
    ye: np.ndarray  # (N, J) receipts per tonne of new capacity (strike rules applied)
    U: np.ndarray  # (N, S, R) physical use
    Rs: np.ndarray  # (N, S, R) tonnes allocated by the shares
    sales: np.ndarray
    excess: np.ndarray  # S - off - sales
    blr_w: np.ndarray  # weight of the price branch of the BLR min
    q_rho: np.ndarray  # (N, K, R) d ell(o_k, d) / d mu_k
    q_ship: np.ndarray  # (N, K)
    q_w: np.ndarray  # weight of the mu branch
    F: np.ndarray  # (N, S*R + K)
    valid: np.ndarray  # (N,)
    mult: np.ndarray | None = None

    @property
    def X(self) -> np.ndarray:
        """Bilateral tonnes ``X[n, s, o, d] = R_{s,d} pi_{s,o,d}`` (formed only when asked)."""
        return self.Rs[:, :, None, :] * self.pi


def evaluate(y: YearInputs, u: np.ndarray) -> ChainState:
    """Evaluate the year's equations at unknowns ``u = [z (S*R), mu (K)]`` for every member."""
    base = y.base
    n = u.shape[0]
    S, R = base.n_stages, base.n_regions
    K, J = y.n_quotas, y.n_projects
    delta = y.smoothing
    with np.errstate(all="ignore"):
        z = u[:, : S * R].reshape(n, S, R)
        mu = u[:, S * R:]
        p = base.p0 * np.exp(z)
        add = y.add
        q_rho = np.zeros((n, K, R))
        if K:
            lam = np.zeros((n, S, R, R))
            nn = np.arange(n)
            lam_k = (mu * y.q_lam)[:, :, None] * y.q_dest  # (N, K, R)
            for k in range(K):
                lam[nn, y.q_stage[:, k], y.q_origin[:, k]] += lam_k[:, k]
            add = add + lam * y.tariff1
        if y.lw is not None and not K and y.mip is None:
            # no per-tonne costs, rents or minimum prices: c = p (1+x)(1+t), so ln(c/c0) needs no logarithm
            ell = z[..., None] + y.lw
            e = 1.0
            w_mip = 1.0
            c = v = None
        else:
            v = p[..., None] * y.mult + add
            if y.mip is not None:
                c, w_mip = _smax(v, y.mip, delta * y.mip)
            else:
                c, w_mip = v, 1.0
            ell = np.log(c) - base.log_c0
            # d ell / d z_o = (d c / d v)(p (1+x)(1+t)) / c
            e = w_mip * p[..., None] * y.mult / c
        sig = y.sigma[:, :, None, :]
        tt = y.log_s0 - sig * ell
        # log-sum-exp without a shift (one pass less); members whose terms over- or underflow are redone shifted
        expo = np.exp(tt)
        tot = expo.sum(axis=2)
        L = np.log(tot)
        bad = ~(np.isfinite(L) & (tot > 0))
        if bad.any():
            rows = np.nonzero(bad.any(axis=(1, 2)))[0]
            sub = tt[rows]
            m = np.max(sub, axis=2)
            m = np.where(np.isfinite(m), m, 0.0)
            e_sub = np.exp(sub - m[:, :, None, :])
            t_sub = e_sub.sum(axis=2)
            expo[rows], tot[rows], L[rows] = e_sub, t_sub, m + np.log(t_sub)
        expo *= (1.0 / tot)[:, :, None, :]
        pi = expo
        lP = -(L - y.L0) / y.sigma
        D = y.D_scale * np.exp(-y.eps * lP)
        # existing producers
        x_in = np.zeros((n, S, R))
        if S > 1:
            x_in[:, 1:] = -base.kappa[1:] * lP[:, :-1]
        g = y.eta * (z + x_in)
        plain = np.exp(g)
        Op = y.O_scale * plain
        Ep = y.E_scale * plain
        dE_z = y.eta * Ep
        dE_in = y.eta * Ep
        pe = p
        if y.floor is not None:
            top, w_top = _smax(p, y.floor, delta * y.floor)
            pe = top - y.upside * np.maximum(p - y.floor, 0.0)
            dpe = w_top - y.upside * (p > y.floor)
            ge = y.eta * (np.log(pe / base.p0) + x_in)
            Ee = y.E_scale * np.exp(ge)
            capped, w_cap = _smin(Ee, y.cap, delta * np.where(np.isfinite(y.cap), y.cap, 0.0))
            E, w_plain = _smax(Ep, capped, delta * base.Q0)
            dEe_z = y.eta * Ee * (p / pe) * dpe
            dE_z = w_plain * dE_z + (1 - w_plain) * w_cap * dEe_z
            dE_in = w_plain * dE_in + (1 - w_plain) * w_cap * y.eta * Ee
        else:
            E = Ep
        Sx = E + Op
        dS_z = dE_z + y.eta * Op
        dS_in = -base.kappa * (dE_in + y.eta * Op)
        # offtake deliveries
        if y.off_q is not None:
            off, off_w = _smin(Sx, y.off_q, delta * y.off_q)
            off = np.where(y.off_q > 0, off, 0.0)
            off_w = np.where(y.off_q > 0, off_w, 0.0)
        else:
            off = np.zeros((n, S, R))
            off_w = off
        P = base.P0 * np.exp(lP)
        U = D + y.stock
        if S > 1:
            U[:, :-1] += base.a[1:] * Sx[:, 1:]
        Rs = U.copy()
        if y.off_q is not None and np.any(y.off_q > 0):
            for s in range(S):
                for o in range(R):
                    q = off[:, s, o] * y.off_market[:, s, o]
                    if np.any(q):
                        dest = np.clip(y.off_dest[:, s, o], 0, R - 1)
                        Rs[np.arange(n), s, dest] -= q
        # new capacity
        yv = np.zeros((n, J))
        dy_P = np.zeros((n, J))
        dy_in = np.zeros((n, J))
        nb = np.zeros((n, J))
        ye = np.zeros((n, J))
        if J:
            nn = np.arange(n)
            Pm = P[nn[:, None], y.nc_stage, y.nc_market]  # (N, J)
            nb = (Pm / y.nc_t1 - y.nc_tau) / y.nc_x1
            dnb = Pm / (y.nc_t1 * y.nc_x1)
            top, w_top = _smax(nb, y.nc_floor, delta * y.nc_floor)
            ye = top - y.nc_upside * np.maximum(nb - y.nc_floor, 0.0)
            dye = (w_top - y.nc_upside * (nb > y.nc_floor)) * dnb
            up = np.maximum(y.nc_stage - 1, 0)
            Pin = np.where(y.nc_stage > 0, P[nn[:, None], up, y.nc_region], 0.0)
            C = y.nc_cost + y.nc_input * Pin
            dC_in = y.nc_input * Pin
            base_util, w1 = _smin(np.exp(y.nc_eta * np.log(np.maximum(nb, 1e-300) / C)), 1.0, delta)
            eff_util, w2 = _smin(np.exp(y.nc_eta * np.log(np.maximum(ye, 1e-300) / C)), 1.0, delta)
            y_plain = y.nc_K * base_util
            y_eff = y.nc_K * eff_util
            capped, w_cap = _smin(y_eff, y.nc_cap, delta * np.where(np.isfinite(y.nc_cap), y.nc_cap, 0.0))
            yv, w_plain = _smax(y_plain, capped, delta * np.maximum(y.nc_K, 1e-300))
            # derivatives of y in lP(market) and lP(feed)
            d_plain_P = y.nc_K * w1 * base_util * y.nc_eta * np.where(nb > 0, dnb / np.maximum(nb, 1e-300), 0.0)
            d_eff_P = y.nc_K * w2 * eff_util * y.nc_eta * np.where(ye > 0, dye / np.maximum(ye, 1e-300), 0.0)
            d_plain_in = -y.nc_K * w1 * base_util * y.nc_eta * dC_in / C
            d_eff_in = -y.nc_K * w2 * eff_util * y.nc_eta * dC_in / C
            dy_P = w_plain * d_plain_P + (1 - w_plain) * w_cap * d_eff_P
            dy_in = w_plain * d_plain_in + (1 - w_plain) * w_cap * d_eff_in
            for j in range(J):
                sj, rj, mj = y.nc_stage[:, j], y.nc_region[:, j], y.nc_market[:, j]
                Rs[nn, sj, mj] -= yv[:, j]
                feed = np.where(sj > 0, y.nc_input[:, j] * yv[:, j], 0.0)
                U[nn, up[:, j], rj] += feed
                Rs[nn, up[:, j], rj] += feed
        sales = np.matmul(pi, Rs[..., None])[..., 0]  # sum_d X_od without forming X
        excess = Sx - off - sales
        clearing = excess / base.scale
        blr_w = np.zeros((n, S, R))
        Fo = clearing
        if y.blr is not None:
            active = np.isfinite(y.blr)
            gap = (p - np.where(active, y.blr, 0.0)) / base.p0
            mn, blr_w = _smin(gap, clearing, delta)
            blr_w = np.where(active, blr_w, 0.0)
            Fo = np.where(active, mn, clearing)
        Fo = np.where(y.fixed, z, Fo)
        q_ship = np.zeros((n, K))
        q_w = np.zeros((n, K))
        Fq = mu
        if K:
            nn = np.arange(n)
            for k in range(K):
                sk, ok = y.q_stage[:, k], y.q_origin[:, k]
                row = Rs[nn, sk] * pi[nn, sk, ok]  # (N, R) flows of the quota's exporter
                q_ship[:, k] = (row * y.q_dest[:, k]).sum(axis=1)
                # d ell / d mu_k on the quota's routes: (dc/dv)(1+t) lam / c
                wm = w_mip[nn, sk, ok] if isinstance(w_mip, np.ndarray) else 1.0
                q_rho[:, k] = (wm * y.tariff1[nn if y.tariff1.shape[0] > 1 else 0, sk, ok] * y.q_lam[:, k, None]
                               / c[nn, sk, ok]) * y.q_dest[:, k]
            slack = np.where(y.q_active, (y.q_cap - q_ship) / y.q_scale, 1e300)
            Fq, q_w = _smin(mu, slack, delta)
            Fq = np.where(y.q_active, Fq, mu)
            q_w = np.where(y.q_active, q_w, 1.0)
        F = np.concatenate([Fo.reshape(n, S * R), Fq], axis=1) if K else Fo.reshape(n, S * R)
        valid = np.all(np.isfinite(F), axis=1)
        if v is not None:
            valid &= np.all(v > 0, axis=(1, 2, 3))
    return ChainState(z, mu, p, c, e, lP, pi, D, Sx, E, dS_z, dS_in, pe, off, off_w, yv, dy_P, dy_in, nb, ye, U, Rs,
                      sales, excess, blr_w, q_rho, q_ship, q_w, F, valid, y.mult)


def delivered_cost(st: "ChainState") -> np.ndarray:
    """Delivered cost of every route (computed on the fast path only when asked)."""
    return st.c if st.c is not None else st.p[..., None] * st.mult


def jacobian(y: YearInputs, st: ChainState) -> np.ndarray:
    """Analytic Jacobian ``dF/du`` (an element of the B-subdifferential at kinks), shape (N, S*R+K, S*R+K).

    Built through ``C = d lnP / du``: every quantity is a function of the
    unknowns directly and of the destination prices, so
    ``dF = direct + (dF/d lnP) C``, assembled stage by stage (see docs/model.md).
    """
    with np.errstate(invalid="ignore", over="ignore"):  # members with a non-finite state fail the line search
        return _jacobian(y, st)


def _jacobian(y: YearInputs, st: ChainState) -> np.ndarray:
    base = y.base
    n = st.z.shape[0]
    S, R = base.n_stages, base.n_regions
    K, J = y.n_quotas, y.n_projects
    if not K and not J and y.off_q is None:
        return _jacobian_plain(y, st)
    nU = S * R + K
    nn = np.arange(n)
    col = np.arange(S * R).reshape(S, R)
    pie = st.pi * st.e  # (N, S, R_o, R_d)
    # C[n, s, d, u] = d lnP_{s,d} / d u
    C = np.zeros((n, S, R, nU))
    for s in range(S):
        C[:, s, :, col[s]] = pie[:, s].transpose(1, 0, 2)  # columns z_{s,k}: pi_kd e_kd
    if K:
        for k in range(K):
            sk, ok = y.q_stage[:, k], y.q_origin[:, k]
            C[nn, sk, :, S * R + k] += st.pi[nn, sk, ok] * st.q_rho[:, k]
    # dS[n, s, o, u]: direct in z_{s,o}, and through lnP of the previous stage in the same region
    dS = np.zeros((n, S, R, nU))
    dS[:, :, :, : S * R] += np.eye(S * R).reshape(S, R, S * R)[None] * st.dS_z[..., None]
    if S > 1:
        dS[:, 1:] += st.dS_in[:, 1:, :, None] * C[:, :-1]
    doff = st.off_w[..., None] * dS
    # dR[n, s, d, u]: tonnes the shares allocate
    eps = y.eps if y.eps.shape[0] == n else np.broadcast_to(y.eps, (n, S, R))
    dR = -(eps * st.D)[..., None] * C
    if S > 1:
        dR[:, :-1] += base.a[1:, :, None] * dS[:, 1:]
    if y.off_q is not None and np.any(y.off_q > 0):
        for s in range(S):
            for o in range(R):
                w = y.off_market[:, s, o] & (y.off_q[:, s, o] > 0)
                if np.any(w):
                    dest = np.clip(y.off_dest[:, s, o], 0, R - 1)
                    dR[nn, s, dest] -= w[:, None] * doff[:, s, o]
    for j in range(J):
        sj, rj, mj = y.nc_stage[:, j], y.nc_region[:, j], y.nc_market[:, j]
        up = np.maximum(sj - 1, 0)
        dy = st.dy_P[:, j, None] * C[nn, sj, mj] + (st.dy_in[:, j] * (sj > 0))[:, None] * C[nn, up, rj]
        dR[nn, sj, mj] -= dy
        dR[nn, up, rj] += ((sj > 0) * y.nc_input[:, j])[:, None] * dy
    sig = y.sigma if y.sigma.shape[0] == n else np.broadcast_to(y.sigma, (n, S, R))
    sX = st.X * sig[:, :, None, :]  # (N, S, R_o, R_d)
    Jf = dS - doff
    Jf -= np.matmul(st.pi.reshape(n * S, R, R), dR.reshape(n * S, R, nU)).reshape(n, S, R, nU)
    Jf -= np.matmul(sX.reshape(n * S, R, R), C.reshape(n * S, R, nU)).reshape(n, S, R, nU)
    diag = (sX * st.e).sum(axis=3)  # sum_d sigma X e
    Jf[:, :, :, : S * R] += np.eye(S * R).reshape(S, R, S * R)[None] * diag[..., None]
    for k in range(K):
        sk, ok = y.q_stage[:, k], y.q_origin[:, k]
        Jf[nn, sk, ok, S * R + k] += (sX[nn, sk, ok] * st.q_rho[:, k]).sum(axis=1)
    Jf /= base.scale[None, :, :, None]
    if y.blr is not None:
        a = st.blr_w[..., None]
        price_rows = np.zeros((n, S, R, nU))
        price_rows[:, :, :, : S * R] = np.eye(S * R).reshape(S, R, S * R)[None] * (st.p / base.p0)[..., None]
        Jf = a * price_rows + (1 - a) * Jf
    if y.fixed.any():
        unit = np.broadcast_to(np.eye(S * R).reshape(S, R, S * R), (n, S, R, S * R))
        rows = np.concatenate([unit, np.zeros((n, S, R, K))], axis=3)
        Jf = np.where(y.fixed[..., None], rows, Jf)
    Jm = np.zeros((n, S * R + K, nU))
    Jm[:, : S * R] = Jf.reshape(n, S * R, nU)
    for k in range(K):
        sk, ok = y.q_stage[:, k], y.q_origin[:, k]
        dest = y.q_dest[:, k]  # (N, R)
        pik, Xs = st.pi[nn, sk, ok], sX[nn, sk, ok]
        dship = (np.einsum("nd,ndu->nu", dest * pik, dR[nn, sk]) + np.einsum("nd,ndu->nu", dest * Xs, C[nn, sk]))
        dship[nn, sk * R + ok] -= (dest * Xs * st.e[nn, sk, ok]).sum(axis=1)
        for kk in range(K):
            same = (y.q_stage[:, kk] == sk) & (y.q_origin[:, kk] == ok)
            dship[:, S * R + kk] -= same * (dest * Xs * st.q_rho[:, kk]).sum(axis=1)
        a = st.q_w[:, k, None]
        unit = np.zeros((n, nU))
        unit[:, S * R + k] = 1.0
        Jm[:, S * R + k] = a * unit + (1 - a) * (-dship / y.q_scale[:, k, None])
    return Jm


def _jacobian_plain(y: YearInputs, st: ChainState) -> np.ndarray:
    """The Jacobian without quotas, projects or offtakes, by stage blocks (the common case, and the fast one).

    Same derivatives as the general assembly, grouped so that each stage needs one
    batched (R x R) product: with ``Ce_s[d, k] = pi_kd e_kd`` (= d lnP_{s,d}/d z_{s,k}),
    ``J[s, s] = diag(dS/dz + sum_d sigma X e) - (sigma X + pi g) Ce_s``, where ``g_d`` is the
    response of the tonnes allocated in d to its price; ``J[s, s+1] = -pi_s a dS_{s+1}/dz`` and
    ``J[s, s-1] = (dS_s/d lnP_{s-1}) Ce_{s-1}`` row by row.
    """
    base = y.base
    n = st.z.shape[0]
    S, R = base.n_stages, base.n_regions
    SR = S * R
    Jm = np.zeros((n, SR, SR))
    eps = y.eps if y.eps.shape[0] == n else np.broadcast_to(y.eps, (n, S, R))
    sig = y.sigma if y.sigma.shape[0] == n else np.broadcast_to(y.sigma, (n, S, R))
    e = st.e
    pie = st.pi * e if isinstance(e, np.ndarray) else st.pi
    rsig = st.Rs * sig  # sigma_d R_d: sigma X_od = pi_od rsig_d
    if isinstance(e, np.ndarray):
        diag_sXe = (st.pi * e * rsig[:, :, None, :]).sum(axis=3)
    else:
        diag_sXe = np.matmul(st.pi, rsig[..., None])[..., 0]
    g = -eps * st.D  # d R_{s,d} / d lnP_{s,d} from final use
    if S > 1:
        g = g.copy()
        g[:, :-1] += base.a[1:] * st.dS_in[:, 1:]  # derived demand of the next stage responds to its feed price
    w = rsig + g  # (sigma X + pi g)_od = pi_od w_d
    idx = np.arange(R)
    for s in range(S):
        rows = slice(s * R, (s + 1) * R)
        Ce = pie[:, s].transpose(0, 2, 1)  # (N, R_d, R_k)
        M = st.pi[:, s] * w[:, s, None, :]
        block = np.matmul(M, Ce)
        np.negative(block, out=block)
        block[:, idx, idx] += st.dS_z[:, s] + diag_sXe[:, s]
        Jm[:, rows, rows] = block
        if s + 1 < S:
            Jm[:, rows, (s + 1) * R:(s + 2) * R] = -st.pi[:, s] * (base.a[s + 1] * st.dS_z[:, s + 1])[:, None, :]
        if s > 0:
            up = pie[:, s - 1].transpose(0, 2, 1)  # rows o: d lnP_{s-1,o} / d z_{s-1,k}
            Jm[:, rows, (s - 1) * R:s * R] = st.dS_in[:, s, :, None] * up
    Jm /= base.scale.reshape(1, SR, 1)
    if y.blr is not None:
        a = st.blr_w.reshape(n, SR, 1)
        price = np.zeros((n, SR, SR))
        price[:, np.arange(SR), np.arange(SR)] = (st.p / base.p0).reshape(n, SR)
        Jm = a * price + (1 - a) * Jm
    if y.fixed.any():
        fixed = np.broadcast_to(y.fixed, (n, S, R)).reshape(n, SR)
        Jm = np.where(fixed[:, :, None], np.eye(SR)[None], Jm)
    return Jm

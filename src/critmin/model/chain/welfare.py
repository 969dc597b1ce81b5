r"""Welfare of a chain scenario by year, stage and region: surpluses, revenues and outlays, against the baseline path.

Each figure is the scenario path's value less the baseline path's (the same market, years,
growth and parameters, no policy), in the stage's currency per year.

Consumer surplus (final use)
    Within a year, final use lies on the short-run iso-elastic curve
    :math:`D_t(P) = D^s_t (P/P^s_t)^{-\epsilon_S}` through the scenario's point (its scale carries
    the adjustments of earlier years: the long-run elasticity acts through them, see
    :mod:`critmin.model.kernel.horizon`). The change is the area to the left of that curve between
    the baseline and the scenario price of a tonne used:

    .. math::

        \Delta CS_t = -\int_{P^b_t}^{P^s_t} D_t(P)\,dP
                    = D^s_t P^s_t\, L\, \mathrm{exprel}\big((1-\epsilon_S) L\big),\qquad L = \ln(P^b_t/P^s_t)

    (``exprel(x) = (e^x - 1)/x``, 1 at 0: the closed form holds for every :math:`\epsilon_S`,
    including 1). Derived demand (the next stage's feed) is not consumer surplus: its price
    change falls on the next stage's producers.
Producer surplus (existing producers)
    The same measure on the supply side: the area to the left of the scenario year's short-run
    supply curve between the baseline and the scenario margin per tonne
    :math:`m = x - a P^{in}` (receipts less feed at the region's upstream price of a tonne used).
    Output responds to the margin with elasticity :math:`\eta_m = \eta_S(1-\kappa)`: the kernel's
    supply :math:`S \propto x^{\eta}(P^{in})^{-\kappa\eta}` with base feed cost share
    :math:`\kappa` gives, to first order, :math:`d\ln S = \eta(d\ln x - \kappa\, d\ln P^{in})
    = \eta(1-\kappa)\, d\ln m`. So

    .. math::

        \Delta PS_t = \int_{m^b_t}^{m^s_t} S^s_t (m/m^s_t)^{\eta_m} dm
                    = -S^s_t m^s_t\, L'\, \mathrm{exprel}\big((1+\eta_m) L'\big),\qquad L' = \ln(m^b_t/m^s_t)

    for each producer group (the output eligible for a contract, with receipts
    :math:`x = p + (p^e - p)\min(E, V)/E`, and the rest at :math:`p`); a margin at or below zero
    (feed dearer than the output) takes the trapezoid :math:`(m^s - m^b)(S^s + S^b)/2` instead.
    Taking both curves in the scenario year means capacity built in earlier years is not counted
    as a gain: by the envelope theorem its rent at the margin equals its capital cost, which the
    model does not otherwise count (as for new capacity's investment).
New capacity
    Operating margin of each project: receipts (market plus contract) less unit operating cost and
    feed, times output; its investment cost is not counted. Credited to the project's region.
Governments
    Duty revenue :math:`t\,(p(1+x) + \tau + \lambda) X` and variable-levy revenue :math:`(c - v)X` to
    the importer; export-tax revenue :math:`x p X` and quota rents :math:`\lambda X` to the exporter
    (the licence holders); outlays of every contract and purchase by the paying government
    (:meth:`ChainResult.money`): CfD payments net of upside received, offtakes net of resale,
    buyer-of-last-resort and stockpile purchases at cost (releases are receipts; the value of the
    stock held is not counted).
Total
    ``consumer_surplus + producer_surplus + new_capacity_margin + import_revenue + export_revenue
    - government_outlays``; trade and qualification costs are real costs and nobody's revenue.

A member that did not solve has null figures (:mod:`critmin.model.outcome`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import exprel

if TYPE_CHECKING:  # pragma: no cover
    from .results import ChainBatch, ChainResult

COMPONENTS = ("consumer_surplus", "producer_surplus", "new_capacity_margin", "import_revenue", "export_revenue",
              "government_outlays")


def consumer_surplus_change(D: np.ndarray, lP: np.ndarray, lP_base: np.ndarray, P0: np.ndarray,
                            eps: np.ndarray) -> np.ndarray:
    r""":math:`\Delta CS = D^s P^s L\,\mathrm{exprel}((1-\epsilon)L)`, :math:`L = \ln P^b - \ln P^s` (module docstring).

    ``lP`` and ``lP_base`` are log prices relative to the base ``P0``; zero use gives 0.
    """
    L = lP_base - lP
    P = P0 * np.exp(lP)
    with np.errstate(invalid="ignore", over="ignore"):
        out = D * P * L * exprel((1.0 - eps) * L)
    return np.where(D > 0, out, np.where(np.isnan(D), np.nan, 0.0))


def producer_surplus_change(S: np.ndarray, m: np.ndarray, m_base: np.ndarray, eta_m: np.ndarray,
                            S_base: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\Delta PS = -S^s m^s L'\,\mathrm{exprel}((1+\eta_m)L')`, :math:`L' = \ln(m^b/m^s)` (module docstring).

    Where either margin is not positive the trapezoid :math:`(m^s - m^b)(S^s + S^b)/2` is used
    (``S_base`` defaults to ``S``); no output gives 0.
    """
    S_b = S if S_base is None else S_base
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        positive = (m > 0) & (m_base > 0)
        L = np.log(np.where(positive, m_base, 1.0) / np.where(positive, m, 1.0))
        exact = -S * m * L * exprel((1.0 + eta_m) * L)
        trapezoid = (m - m_base) * (S + S_b) / 2.0
    out = np.where(positive, exact, trapezoid)
    return np.where((S > 0) | (S_b > 0), out, np.where(np.isnan(S), np.nan, 0.0))


def _members(arr: np.ndarray, n: int) -> np.ndarray:
    """An array with a member axis of ``n`` (broadcast when shared)."""
    return np.broadcast_to(arr, (n,) + arr.shape[1:])


def _per_year(inst, name: str, n: int) -> np.ndarray:
    """An instrument's per-year field as (N, T, ...)."""
    arr = getattr(inst, name)
    return np.broadcast_to(arr, (n, inst.n_years) + arr.shape[2:])


def _scatter(shape: tuple[int, ...], where: np.ndarray, region: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Sum ``amount[n, t, s, r]`` (where ``where``) into ``out[n, t, s, region[n, t, s, r]]``."""
    out = np.zeros(shape)
    n, t, s, _ = np.nonzero(where)
    np.add.at(out, (n, t, s, region[where]), amount[where])
    return out


def _route_revenue(batch: "ChainBatch", baseline: bool) -> tuple[np.ndarray, np.ndarray]:
    """Import-side (duty + levy, by destination) and export-side (tax + quota rent, by origin) revenue, (N, T, S, R)."""
    n = len(batch)
    sol = batch.baseline if baseline else batch.solution
    inst, base, market = batch.inst, batch.base, batch.market
    S, R = market.n_stages, market.n_regions
    X, c, p = _members(sol.X, n), _members(sol.c, n), _members(sol.p, n)
    if baseline:  # the baseline path carries the market's base wedges only
        tar = np.stack([st.base_tariff for st in market.stages])[None, None]
        xt = np.stack([st.base_export_tax for st in market.stages])[None, None]
        tau = np.stack([st.trade_cost for st in market.stages])[None, None]
        lam = 0.0
    else:
        tar, xt, tau = (_per_year(inst, k, n) for k in ("tariff", "export_tax", "trade_cost"))
        lam = np.zeros(X.shape)
        K = inst.n_quotas
        if K:
            q_stage = _members(inst.quota_stage, n)
            q_origin = _members(inst.quota_origin, n)
            q_dest = _members(inst.quota_dest, n)
            mu = sol.u[:, :, S * R:S * R + K]  # (N, T, K) scaled rents
            rows = np.arange(n)
            for k in range(K):
                s_k, o_k = q_stage[:, k], q_origin[:, k]
                rent = mu[:, :, k] * base.p0[s_k, o_k][:, None]  # (N, T)
                lam[rows, :, s_k, o_k, :] += rent[:, :, None] * q_dest[:, k][:, None, :]
    fob = p[..., None] * (1.0 + xt) + tau + lam
    v = fob * (1.0 + tar)
    moved = X > 0
    off = ~np.eye(R, dtype=bool)
    with np.errstate(invalid="ignore"):
        duty = np.where(moved & off, tar * fob * X, 0.0)
        levy = np.where(moved & off, np.maximum(c - v, 0.0) * X, 0.0)
        exp_side = np.where(moved & off, (xt * p[..., None] + lam) * X, 0.0)
    return (duty + levy).sum(axis=-2), exp_side.sum(axis=-1)


def _producer_side(batch: "ChainBatch") -> np.ndarray:
    """Producer surplus change of existing producers, both groups, (N, T, S, R)."""
    n = len(batch)
    base, inst, sol, bl = batch.base, batch.inst, batch.solution, batch.baseline
    p, S, E, pe, lP = sol.p, sol.S, sol.E, sol.pe, sol.lP
    pb, Sb, lPb = (_members(getattr(bl, k), n) for k in ("p", "S", "lP"))
    cap = _per_year(inst, "floor_cap", n)
    with np.errstate(invalid="ignore", divide="ignore"):
        covered = np.where(E > 0, np.minimum(E, cap) / np.where(E > 0, E, 1.0), 0.0)
        x_e = np.where(np.isfinite(pe), p + (pe - p) * covered, p)
        share_e = np.where(S > 0, E / np.where(S > 0, S, 1.0), 0.0)

    def feed(lp: np.ndarray) -> np.ndarray:
        out = np.zeros(lp.shape)
        if batch.market.n_stages > 1:
            out[:, :, 1:] = base.P0[None, None, :-1] * np.exp(lp[:, :, :-1])
        return base.a[None, None] * out

    a_in, a_in_b = feed(lP), feed(lPb)
    eta_m = (_members(inst.supply_short, n) * (1.0 - base.kappa))[:, None]
    eligible = producer_surplus_change(E, x_e - a_in, pb - a_in_b, eta_m, Sb * share_e)
    other = producer_surplus_change(S - E, p - a_in, pb - a_in_b, eta_m, Sb * (1.0 - share_e))
    out = eligible + other
    return np.where(base.producing[None, None], out, np.where(np.isnan(out), np.nan, 0.0))


def _projects(batch: "ChainBatch") -> tuple[np.ndarray, np.ndarray]:
    """New capacity: operating margin by (N, T, S, region of the project) and contract payments by payer region."""
    n = len(batch)
    inst, base, sol = batch.inst, batch.base, batch.solution
    shape = sol.p.shape
    margin, paid = np.zeros(shape), np.zeros(shape)
    J = inst.n_projects
    if not J:
        return margin, paid
    rows = np.arange(n)
    st_, rg, payer = (_members(getattr(inst, k), n) for k in ("nc_stage", "nc_region", "nc_payer"))
    cost, coef = _members(inst.nc_cost, n), _members(inst.nc_input, n)
    cap = _members(inst.nc_cap, n)
    for j in range(J):
        y, nb, ye = sol.y[:, :, j], sol.nb[:, :, j], sol.ye[:, :, j]
        s, r = st_[:, j], rg[:, j]
        feed_price = np.where((s > 0)[:, None], base.P0[np.maximum(s - 1, 0), r][:, None]
                              * np.exp(sol.lP[rows, :, np.maximum(s - 1, 0), r]), 0.0)
        with np.errstate(invalid="ignore"):
            contract = np.where(np.isfinite(ye) & (y > 0), (ye - nb) * np.minimum(y, np.broadcast_to(cap[:, :, j], y.shape)),
                                0.0)
            m = np.where(y > 0, nb * y + contract - (cost[:, j][:, None] + coef[:, j][:, None] * feed_price) * y, 0.0)
        margin[rows, :, s, r] += np.where(np.isnan(y), np.nan, m)
        has = payer[:, j] >= 0
        paid[rows[has], :, s[has], payer[has, j]] += contract[has]
    return margin, paid


def outlays(batch: "ChainBatch") -> np.ndarray:
    """Government outlays by (N, T, S, payer region): contracts, offtakes, purchases (:meth:`ChainResult.money`'s sum)."""
    n = len(batch)
    inst, base, sol = batch.inst, batch.base, batch.solution
    p, E, off, excess = sol.p, sol.E, sol.off, sol.excess
    P = base.P0[None, None] * np.exp(sol.lP)
    shape = p.shape
    F = _per_year(inst, "floor_price", n)
    cap = _per_year(inst, "floor_cap", n)
    payer = _per_year(inst, "floor_payer", n)
    q = _per_year(inst, "offtake_quantity", n)
    dest = _per_year(inst, "offtake_dest", n)
    to_stock = _per_year(inst, "offtake_to_stock", n)
    with np.errstate(invalid="ignore"):
        floors = (sol.pe - p) * np.minimum(E, cap)
        rows, years, stages = np.indices(shape[:3])
        resale = np.where(to_stock | (dest < 0), 0.0,
                          P[rows[..., None], years[..., None], stages[..., None], np.maximum(dest, 0)] * off)
        offtake = F * off - resale
    total = _scatter(shape, (F > 0) & (q <= 0), payer, floors) + _scatter(shape, (F > 0) & (q > 0), payer, offtake)
    blr = _per_year(inst, "blr_floor", n)
    blr_payer = _per_year(inst, "blr_payer", n)
    active = np.isfinite(blr)
    total += _scatter(shape, active, blr_payer, p * np.maximum(excess, 0.0))
    total += P * _per_year(inst, "stock", n)
    total += _projects(batch)[1]
    return total


def batch_welfare(batch: "ChainBatch") -> dict[str, np.ndarray]:
    """Every component and the total for every member, (N, T, S, R); null for failed members (cached on the batch)."""
    cached = getattr(batch, "_welfare", None)
    if cached is not None:
        return cached
    if batch.solution.X is None or batch.baseline.X is None:
        raise ValueError("welfare needs the flows: this batch was solved without them (keep_flows=False)")
    n = len(batch)
    inst, base, sol = batch.inst, batch.base, batch.solution
    eps = _members(inst.demand_short, n)[:, None]
    cs = consumer_surplus_change(sol.D, sol.lP, _members(batch.baseline.lP, n), base.P0[None, None], eps)
    imp_s, exp_s = _route_revenue(batch, False)
    imp_b, exp_b = _route_revenue(batch, True)
    data = {"consumer_surplus": cs, "producer_surplus": _producer_side(batch),
            "new_capacity_margin": _projects(batch)[0], "import_revenue": imp_s - imp_b,
            "export_revenue": exp_s - exp_b, "government_outlays": outlays(batch)}
    data["total"] = (data["consumer_surplus"] + data["producer_surplus"] + data["new_capacity_margin"]
                     + data["import_revenue"] + data["export_revenue"] - data["government_outlays"])
    failed = ~batch.converged
    for arr in data.values():
        arr[failed] = np.nan
    batch._welfare = data
    return data


def welfare_changes(result: "ChainResult") -> pd.DataFrame:
    """Welfare change from the baseline path by (year, stage, region), every component and the total.

    Columns: :data:`COMPONENTS` and ``total`` (currency per year, the stage's currency). Failed
    members give nulls.
    """
    data = batch_welfare(result.batch)
    return pd.DataFrame({k: v[result.i].ravel() for k, v in data.items()}, index=result._index())


def discounted_totals(frame: pd.DataFrame, rate: float, first_year: int, by: str | list[str] = "region"
                      ) -> pd.DataFrame:
    r"""Sum over years (and the levels not in ``by``) of a (year, stage, region) table, undiscounted and discounted.

    :math:`\sum_t C_t` and :math:`\sum_t C_t (1+r)^{-(t - t_0)}`; a missing year makes the total
    missing (:func:`critmin.model.outcome.total_row`'s rule). Columns ``<component>`` and
    ``<component>_discounted``.
    """
    years = frame.index.get_level_values("year").to_numpy(float)
    factor = (1.0 + rate) ** -(years - first_year)
    values = frame.select_dtypes("number")
    disc = values.mul(factor, axis=0).add_suffix("_discounted")
    both = pd.concat([values, disc], axis=1)
    return both.groupby(level=by).sum(min_count=1).where(~both.isna().groupby(level=by).any())


__all__ = ["COMPONENTS", "batch_welfare", "consumer_surplus_change", "discounted_totals", "outlays",
           "producer_surplus_change", "welfare_changes"]

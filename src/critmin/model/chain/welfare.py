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
    from .results import ChainResult

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


def _route_revenue(result: "ChainResult", baseline: bool) -> tuple[np.ndarray, np.ndarray]:
    """Import-side (duty + levy, by destination) and export-side (tax + quota rent, by origin) revenue, (T, S, R)."""
    b = result.batch
    sol = b.baseline if baseline else b.solution
    i = result.i if (not baseline or sol.p.shape[0] > 1) else 0
    inst = b.inst
    T, S, R = len(result.years), result.market.n_stages, result.market.n_regions
    X, c, p = sol.X[i], sol.c[i], sol.p[i]
    k = result.i if inst.tariff.shape[0] > 1 else 0
    imp = np.zeros((T, S, R))
    exp = np.zeros((T, S, R))
    lam = np.zeros((T, S, R, R))
    if not baseline and inst.n_quotas:
        kq = result.i if inst.quota_stage.shape[0] > 1 else 0
        for q in range(inst.n_quotas):
            s, o = int(inst.quota_stage[kq, q]), int(inst.quota_origin[kq, q])
            mu = sol.u[i, :, S * R + q]
            lam[:, s, o, :] += (mu * b.base.p0[s, o])[:, None] * inst.quota_dest[kq, q][None, :]
    for t in range(T):
        if baseline:  # the baseline path carries the market's base wedges only
            tar = np.stack([st.base_tariff for st in result.market.stages])
            xt = np.stack([st.base_export_tax for st in result.market.stages])
            tau = np.stack([st.trade_cost for st in result.market.stages])
        else:
            tar, xt, tau = (inst.at(name, t)[k] for name in ("tariff", "export_tax", "trade_cost"))
        fob = p[t][:, :, None] * (1.0 + xt) + tau + lam[t]
        v = fob * (1.0 + tar)
        moved = X[t] > 0
        duty = np.where(moved, tar * fob * X[t], 0.0)
        levy = np.where(moved, np.maximum(c[t] - v, 0.0) * X[t], 0.0)
        off = ~np.eye(R, dtype=bool)[None]
        imp[t] = ((duty + levy) * off).sum(axis=1)
        exp[t] = (np.where(moved, (xt * p[t][:, :, None] + lam[t]) * X[t], 0.0) * off).sum(axis=2)
    return imp, exp


def _producer_side(result: "ChainResult") -> np.ndarray:
    """Producer surplus change of existing producers, both groups, (T, S, R)."""
    b = result.batch
    base, inst = b.base, b.inst
    T = len(result.years)
    p, S, E, pe, lP = (result._arr(k) for k in ("p", "S", "E", "pe", "lP"))
    pb, Sb, lPb = (result._arr(k, True) for k in ("p", "S", "lP"))
    k = result.i if inst.floor_cap.shape[0] > 1 else 0
    cap = np.stack([np.broadcast_to(inst.at("floor_cap", t)[k], p.shape[1:]) for t in range(T)])
    with np.errstate(invalid="ignore", divide="ignore"):
        covered = np.where(E > 0, np.minimum(E, cap) / np.where(E > 0, E, 1.0), 0.0)
        x_e = np.where(np.isfinite(pe), p + (pe - p) * covered, p)

    def feed_price(lp: np.ndarray) -> np.ndarray:
        out = np.zeros_like(lp)
        if result.market.n_stages > 1:
            out[:, 1:] = base.P0[None, :-1] * np.exp(lp[:, :-1])
        return base.a[None] * out

    a_in, a_in_b = feed_price(lP), feed_price(lPb)
    ke = result.i if inst.supply_short.shape[0] > 1 else 0
    eta_m = (inst.supply_short[ke] * (1.0 - base.kappa))[None]
    share_b = np.where(Sb > 0, 1.0, 0.0)  # the baseline has no contract: one group at the baseline price
    eligible = producer_surplus_change(E, x_e - a_in, pb - a_in_b, eta_m, Sb * share_b * np.where(S > 0, E / np.where(S > 0, S, 1.0), 0.0))
    other = producer_surplus_change(S - E, p - a_in, pb - a_in_b, eta_m, Sb * np.where(S > 0, (S - E) / np.where(S > 0, S, 1.0), 1.0))
    out = eligible + other
    return np.where(base.producing[None], out, np.where(np.isnan(out), np.nan, 0.0))


def _project_margin(result: "ChainResult") -> np.ndarray:
    """Operating margin of new capacity by (T, S, region of the project)."""
    b = result.batch
    inst, base, sol, i = b.inst, b.base, b.solution, result.i
    T, S, R = len(result.years), result.market.n_stages, result.market.n_regions
    out = np.zeros((T, S, R))
    if not inst.n_projects:
        return out
    k = i if inst.nc_stage.shape[0] > 1 else 0
    lP = sol.lP[i]
    for j in range(inst.n_projects):
        s, r = int(inst.nc_stage[k, j]), int(inst.nc_region[k, j])
        y, nb, ye = sol.y[i, :, j], sol.nb[i, :, j], sol.ye[i, :, j]
        kc = i if inst.nc_cap.shape[0] > 1 else 0
        cap = np.broadcast_to(inst.nc_cap[kc, :, j], (T,))
        contract = np.where(np.isfinite(ye) & (y > 0), (ye - nb) * np.minimum(y, cap), 0.0)
        feed_price = base.P0[s - 1, r] * np.exp(lP[:, s - 1, r]) if s > 0 else np.zeros(T)
        cost = (inst.nc_cost[k, j] + inst.nc_input[k, j] * feed_price) * y
        margin = np.where(y > 0, nb * y + contract - cost, 0.0)
        out[:, s, r] += np.where(np.isnan(y), np.nan, margin)
    return out


def _outlays(result: "ChainResult") -> np.ndarray:
    """Government outlays by (T, S, payer region), from :meth:`ChainResult.money`."""
    T, S, R = len(result.years), result.market.n_stages, result.market.n_regions
    out = np.zeros((T, S, R))
    money = result.money()
    if money.empty:
        return out
    years = {y: t for t, y in enumerate(result.years)}
    stages = {st.name: s for s, st in enumerate(result.market.stages)}
    regions = {r: j for j, r in enumerate(result.market.regions)}
    for row in money.itertuples(index=False):
        out[years[row.year], stages[row.stage], regions[row.payer]] += row.amount
    return out


def welfare_changes(result: "ChainResult") -> pd.DataFrame:
    """Welfare change from the baseline path by (year, stage, region), every component and the total.

    Columns: :data:`COMPONENTS` and ``total`` (currency per year, the stage's currency). Failed
    members give nulls.
    """
    T, S, R = len(result.years), result.market.n_stages, result.market.n_regions
    if result.batch.solution.X is None:
        raise ValueError("welfare needs the flows: this batch was solved without them (keep_flows=False)")
    if result.failed:
        data = {k: np.full(T * S * R, np.nan) for k in COMPONENTS + ("total",)}
        return pd.DataFrame(data, index=result._index())
    b = result.batch
    i = result.i
    inst = b.inst
    ke = i if inst.demand_short.shape[0] > 1 else 0
    lP_b = result._arr("lP", True)
    cs = consumer_surplus_change(result._arr("D"), result._arr("lP"), lP_b, b.base.P0[None],
                                 inst.demand_short[ke][None])
    ps = _producer_side(result)
    imp_s, exp_s = _route_revenue(result, False)
    imp_b, exp_b = _route_revenue(result, True)
    data = {"consumer_surplus": cs, "producer_surplus": ps, "new_capacity_margin": _project_margin(result),
            "import_revenue": imp_s - imp_b, "export_revenue": exp_s - exp_b, "government_outlays": _outlays(result)}
    data["total"] = (data["consumer_surplus"] + data["producer_surplus"] + data["new_capacity_margin"]
                     + data["import_revenue"] + data["export_revenue"] - data["government_outlays"])
    return pd.DataFrame({k: v.ravel() for k, v in data.items()}, index=result._index())


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


__all__ = ["COMPONENTS", "consumer_surplus_change", "discounted_totals", "producer_surplus_change", "welfare_changes"]

r"""Exact welfare accounting for the levels model.

All measures are in currency units per period (price unit x quantity unit),
by region, as changes from the base point.

Consumer surplus (composite demand :math:`D = D^0 s (P/P^0)^{-\epsilon}`, the
demand curve after any demand shock):

.. math::

    \Delta CS_d = -\int_{P^0_d}^{P^1_d} D_d(P)\,dP
                = -D^0_d s_d P^0_d \, L \, \mathrm{exprel}((1-\epsilon_d) L),
    \quad L = \ln(P^1_d / P^0_d)

where :math:`\mathrm{exprel}(x) = (e^x - 1)/x`; this is exact for every
:math:`\epsilon` including 1. :math:`P^0_d` is the base CES price index in
currency (the quantity-weighted average delivered price at the base).

Producer surplus of iso-elastic supply :math:`S = A p^\eta` is finite in
levels, :math:`PS = \int_0^p S = p S / (1 + \eta)`, so
:math:`\Delta PS = PS^1 - PS^0` also values new capacity (its investment
cost is not counted). Output eligible for a contract for difference is
valued at its effective price :math:`p^e`. Perfectly elastic supply has no
surplus.

Government: tariff revenue :math:`\sum_o t_{od} w_{od} X_{od}` (on the c.i.f.
value), variable-levy revenue :math:`\sum_o (q_{od} - v_{od}) X_{od}`,
export-tax revenue :math:`\sum_d x_{od} p_o X_{od}`; quota rent
:math:`\sum_d \lambda_{od} X_{od}` accrues to the exporting region (licence
holders). Fiscal costs: contract-for-difference payments minus upside
receipts, buyer-of-last-resort purchases at the floor, and stockpile
purchases at the destination price index (negative for a release). Stock
acquired is counted at cost, its later resale value is not.

References
----------
.. [1] Francois, J. F. and H. K. Hall (2003). "Global Simulation Analysis of
   Industry-Level Trade Policy" (the same surplus and revenue categories, in
   the linearised model).
"""

from __future__ import annotations

import numpy as np
from scipy.special import exprel

from .kernel import Prepared, State

COMPONENTS = (
    "consumer_surplus",
    "producer_surplus",
    "tariff_revenue",
    "levy_revenue",
    "export_tax_revenue",
    "quota_rent",
    "cfd_net_cost",
    "blr_purchase_cost",
    "stockpile_cost",
)


def fiscal_detail(prep: Prepared, st: State) -> dict[str, np.ndarray]:
    """Per-origin fiscal flows of price floors and purchases, shape (N, R)."""
    base = prep.Q0 * prep.capacity
    if prep.has_cfd:
        with np.errstate(all="ignore"):
            eligible_output = np.where(prep.fixed, 0.0, prep.cfd_eligible * base * np.exp(prep.eta * np.log(st.pe / prep.p0)))
        payments = eligible_output * np.maximum(0.0, prep.cfd_floor - st.p)
        receipts = eligible_output * prep.cfd_share * np.maximum(0.0, st.p - prep.cfd_floor)
    else:
        eligible_output = np.zeros_like(st.p)
        payments = np.zeros_like(st.p)
        receipts = np.zeros_like(st.p)
    # purchases happen only where the price branch of the floor is the active one (the floor binds)
    purchases = np.where(prep.blr_active & (st.blr_weight > 0.5), np.maximum(st.excess, 0.0), 0.0)
    blr_cost = purchases * np.where(prep.blr_active, prep.blr_floor, 0.0)
    with np.errstate(invalid="ignore"):
        stock_cost = prep.stock * (prep.P0 * np.exp(st.log_pi))
    return {
        "cfd_eligible_output": eligible_output,
        "cfd_payments": payments,
        "cfd_upside_receipts": receipts,
        "blr_purchases": purchases,
        "blr_cost": blr_cost,
        "stockpile_cost": stock_cost,
    }


def producer_surplus(prep: Prepared, st: State) -> np.ndarray:
    """Producer surplus level ``p S / (1 + eta)`` by origin, shape (N, R)."""
    base = prep.Q0 * prep.capacity
    with np.errstate(all="ignore"):
        plain = base * np.exp(prep.eta * np.log(st.p / prep.p0))
        if prep.has_cfd:
            elig = base * np.exp(prep.eta * np.log(st.pe / prep.p0))
            value = prep.cfd_eligible * st.pe * elig + (1 - prep.cfd_eligible) * st.p * plain
        else:
            value = st.p * plain
    return np.where(prep.fixed, 0.0, value / (1.0 + prep.eta))


def government_revenue(prep: Prepared, st: State) -> dict[str, np.ndarray]:
    """Tariff, levy and export-tax revenue and quota rents by region, shape (N, R)."""
    X = st.X
    tariff = ((prep.tariff1 - 1.0) * st.w * X).sum(axis=1)  # collected by the destination
    levy = ((st.q - st.v) * X).sum(axis=1)
    export_tax = ((prep.xtax1 - 1.0) * st.p[:, :, None] * X).sum(axis=2)  # by the origin
    rent = (st.lam * X).sum(axis=2)
    return {"tariff_revenue": tariff, "levy_revenue": levy, "export_tax_revenue": export_tax, "quota_rent": rent}


def consumer_surplus_change(prep: Prepared, st: State) -> np.ndarray:
    """Exact :math:`\\Delta CS` on the (possibly shocked) iso-elastic demand curve, shape (N, R)."""
    L = st.log_pi
    scale = prep.D0 * prep.demand_shift * prep.P0
    change = -scale * L * exprel((1.0 - prep.eps) * L)
    return np.where(prep.dest_active, change, 0.0)


def welfare_changes(prep: Prepared, st: State, base: State, base_prep: Prepared) -> dict[str, np.ndarray]:
    """Every welfare component as a change from the base, plus ``total``; shape (N, R).

    ``base`` is the base point evaluated under ``base_prep`` (base wedges only,
    the same elasticities as the batch).
    """
    rev1, rev0 = government_revenue(prep, st), government_revenue(base_prep, base)
    fiscal = fiscal_detail(prep, st)
    out = {
        "consumer_surplus": consumer_surplus_change(prep, st),
        "producer_surplus": producer_surplus(prep, st) - producer_surplus(base_prep, base),
    }
    for key in rev1:
        out[key] = rev1[key] - rev0[key]
    out["cfd_net_cost"] = fiscal["cfd_payments"] - fiscal["cfd_upside_receipts"]
    out["blr_purchase_cost"] = fiscal["blr_cost"]
    out["stockpile_cost"] = fiscal["stockpile_cost"]
    out["total"] = (
        out["consumer_surplus"] + out["producer_surplus"] + out["tariff_revenue"] + out["levy_revenue"]
        + out["export_tax_revenue"] + out["quota_rent"] - out["cfd_net_cost"] - out["blr_purchase_cost"]
        - out["stockpile_cost"]
    )
    return out

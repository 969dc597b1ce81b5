r"""The lithium deposit cost curve and the marginal allied project.

Each deposit of the ``lithium_deposits`` table (Busch et al. 2024) gets a *levelized*
cost per tonne of lithium: its extraction cost (without royalty and tax) plus its capital
cost recovered over its life,

.. math::

    c^{lev} = c^{op} + \frac{I \cdot \mathrm{CRF}(r, n)}{K}, \qquad
    \mathrm{CRF}(r, n) = \frac{r}{1 - (1 + r)^{-n}},

with ``I`` the capital cost and ``K`` the capacity as in
:func:`.projects.from_deposit`. Capacity: the deposit's 2030 production rate where it has
one; for a deposit without one (evaluation stage, no information), ``capacity_basis``
decides: ``"cap"`` uses the authors' depletion cap (``max_prod_rate``: resources times
1-5% a year), an upper bound on what it could supply, or ``"none"`` leaves the deposit out
of the quantity axis (it still has a cost).

Country groups: ``USA``; ``allied`` -- G7, USMCA, EU27 members and the partners of the US
critical-minerals agreements in MCS 2026 Table 5 (``agreements``), less foreign entities
of concern; ``FEOC`` (China, Russia, Iran, North Korea and Hong Kong in critmin's
vocabulary); ``other``.

The marginal allied project for a quantity ``Q`` (t Li per year, default: the US net
imports published for the latest year) is the deposit at which the cumulative capacity of
the allied (and US) deposits of the chosen statuses, sorted by levelized cost, first
reaches ``Q``. A floor set at its levelized cost -- converted to the lithium carbonate
price basis (5.323 t Li2CO3 per t Li) -- lets the projects up to it break even on average;
:func:`.projects.break_even_floor` asks the same question with price risk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .markets import _LI2CO3_PER_LI
from .projects import MAX_LIFE_YEARS, OMB_A94_RATE, ProjectError

GROUPS = ("USA", "allied", "FEOC", "other")
NOT_YET_PRODUCING = ("Construction", "Evaluation", "No info")


def country_groups(deposits: pd.DataFrame) -> pd.Series:
    """Country group of each deposit's country (see the module docstring)."""
    from critmin import kb

    countries = kb.countries()[["iso3", "g7", "usmca", "feoc", "eu27"]]
    agreements = kb.agreement_countries()
    flags = countries.set_index("iso3")

    def group(iso: str) -> str:
        if iso == "USA":
            return "USA"
        row = flags.loc[iso] if iso in flags.index else None
        if row is not None and bool(row["feoc"]):
            return "FEOC"
        if (row is not None and (bool(row["g7"]) or bool(row["usmca"]) or bool(row["eu27"]))) or iso in agreements:
            return "allied"
        return "other"

    return deposits["country_iso3"].map(group)


def crf(rate: float, years: float) -> float:
    """Capital recovery factor."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def cost_curve(deposits: pd.DataFrame | None = None, *, discount_rate: float = OMB_A94_RATE,
               capacity_basis: str = "cap") -> pd.DataFrame:
    """Every deposit with its group, capacity, capital cost and levelized cost, sorted by it."""
    from critmin import kb

    if capacity_basis not in ("cap", "none"):
        raise ValueError("capacity_basis must be 'cap' or 'none'")
    d = deposits.copy() if deposits is not None else kb.lithium_deposits()
    d["group"] = country_groups(d).to_numpy()
    rate2030 = d["prod_rate_2030_kt_li"].astype(float)
    cap = d["max_prod_rate_cap_kt_li_per_year"].astype(float)
    has_rate = rate2030 > 0
    d["capacity_t_li"] = np.where(has_rate, rate2030 * 1000.0,
                                  cap * 1000.0 if capacity_basis == "cap" else np.nan)
    d["capacity_basis"] = np.where(has_rate, "2030 production rate",
                                   "authors' depletion cap (upper bound)" if capacity_basis == "cap" else "none")
    opening = d["cost_opening_usd"].astype(float)
    new_opening = d[d["cost_opening_usd"] > 0].groupby("resource_type")["cost_opening_usd"].agg(
        lambda s: s.mode().iloc[0])
    committed = d["open_mine"].astype(bool) | (opening.fillna(0) == 0)
    d["opening_cost_usd"] = np.where(committed, d["resource_type"].map(new_opening).astype(float), opening)
    d["capex_usd"] = d["opening_cost_usd"] + d["cost_expansion_usd_per_t_li_per_year"].astype(float) * d["capacity_t_li"]
    resource_t = d["all_resource_kt_li"].astype(float) * 1000.0
    life = np.clip(np.floor(resource_t / d["capacity_t_li"]), 1, MAX_LIFE_YEARS)
    d["life_years"] = life
    factors = np.array([crf(discount_rate, n) if np.isfinite(n) else np.nan for n in life])
    d["levelized_cost_usd_per_t_li"] = d["cost1_notax_usd_per_t_li"].astype(float) + d["capex_usd"] * factors / d["capacity_t_li"]
    d["levelized_cost_usd_per_t_lce"] = d["levelized_cost_usd_per_t_li"] / _LI2CO3_PER_LI
    cols = ["deposit_name", "country_iso3", "group", "status", "resource_type", "cost_source", "capacity_t_li",
            "capacity_basis", "cost1_notax_usd_per_t_li", "capex_usd", "life_years", "levelized_cost_usd_per_t_li",
            "levelized_cost_usd_per_t_lce", "all_resource_kt_li"]
    return d[cols].sort_values("levelized_cost_usd_per_t_li", kind="stable").reset_index(drop=True)


def curve_for(curve: pd.DataFrame, groups=("USA", "allied"), statuses=NOT_YET_PRODUCING) -> pd.DataFrame:
    """The curve restricted to groups and statuses, with cumulative capacity and resources."""
    c = curve[curve["group"].isin(groups) & curve["status"].isin(statuses)].copy()
    c = c[np.isfinite(c["levelized_cost_usd_per_t_li"])]
    c["cumulative_capacity_t_li"] = c["capacity_t_li"].fillna(0).cumsum()
    c["cumulative_resource_kt_li"] = c["all_resource_kt_li"].fillna(0).cumsum()
    return c.reset_index(drop=True)


def marginal_project(curve: pd.DataFrame, quantity_t_li: float, groups=("USA", "allied"),
                     statuses=NOT_YET_PRODUCING) -> dict:
    """The deposit at which the cumulative capacity reaches ``quantity_t_li`` (see the module docstring)."""
    if not quantity_t_li > 0:
        raise ProjectError("the quantity must be positive (t Li per year)")
    c = curve_for(curve, groups, statuses)
    reach = c[c["cumulative_capacity_t_li"] >= quantity_t_li]
    if reach.empty:
        raise ProjectError(f"the {', '.join(groups)} deposits of status {', '.join(statuses)} add up to "
                           f"{c['cumulative_capacity_t_li'].max():,.0f} t Li/yr, less than {quantity_t_li:,.0f}")
    row = reach.iloc[0]
    return {"deposit": row["deposit_name"], "country": row["country_iso3"], "group": row["group"],
            "status": row["status"], "levelized_cost_usd_per_t_li": float(row["levelized_cost_usd_per_t_li"]),
            "levelized_cost_usd_per_t_lce": float(row["levelized_cost_usd_per_t_lce"]),
            "cumulative_capacity_t_li": float(row["cumulative_capacity_t_li"]), "quantity_t_li": quantity_t_li,
            "projects_needed": int(reach.index[0]) + 1, "capacity_basis": row["capacity_basis"]}

r"""A new mine or refinery: cash flows, NPV and IRR distributions, and the break-even floor.

Cash flows, year by year from today (``t = 0``) in constant (real) money:

* construction: ``capex`` spread evenly over ``construction_years`` (the years before the
  first output);
* operation for ``life_years``: output :math:`Q_t = K \min(1, k / \text{ramp})` in the
  ``k``-th operating year (linear ramp-up to capacity ``K``), revenue
  :math:`Q_t P^e_t` at the market price or, with a floor, the effective price of
  :func:`.floors.effective_price`, operating cost :math:`Q_t c`;
* tax: ``tax_rate`` times (revenue - operating cost - straight-line depreciation of capex
  over the operating life), when positive (losses are not carried forward: a simple,
  conservative choice, stated).

NPV at ``discount_rate``; the IRR is the rate that zeroes the NPV, found per path by
bisection on ``[-0.9, 1.0]`` (NaN where the NPV has no sign change there: a project that
never recovers its capital, or one whose IRR exceeds 100%).

Break-even floor: the NPV rises with the floor on every path (a higher floor raises the
effective price whatever the upside share), so the smallest floor with
``P(NPV >= 0) >= confidence`` is found by bisection on the same price paths.

Defaults (:func:`from_deposit`) come from the lithium deposit table (Busch et al. 2024):
capacity the deposit's 2030 production rate where it has one (``capacity`` must be given
otherwise), operating cost its tier-1 extraction cost without royalty and tax, capital
cost the authors' opening cost plus their expansion cost per t/yr times capacity (for
a mine already open or building, whose opening cost the authors set to 0 because it is
committed, the opening cost of a new deposit of the same resource type in the table),
ramp-up 4 years (the authors' ``max_ramp_up = max_prod_rate / 4``), years to first output
from the authors' delay by status (counted from 2022, less the years since), life the
deposit's resources over capacity but at most 30 years (an assumption), the deposit's
corporate tax rate (the authors' Data S3), and a 7% real discount rate (OMB Circular A-94,
1992, section 8.b).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from critmin.errors import CritminError

from .floors import effective_price

OMB_A94_RATE = 0.07
MAX_LIFE_YEARS = 30
TODAY = 2026
AUTHORS_BASE_YEAR = 2022


class ProjectError(CritminError):
    """A project definition that cannot be evaluated (missing or inconsistent inputs)."""


@dataclass(frozen=True)
class Project:
    """A mine or refinery (units: ``unit`` of output per year, money per ``unit``)."""

    name: str
    capacity: float  # output per year at full rate
    capex: float  # money
    opex: float  # money per unit of output
    construction_years: int = 3
    ramp_years: int = 4
    life_years: int = 20
    tax_rate: float = 0.21
    discount_rate: float = OMB_A94_RATE
    unit: str = "t"
    currency: str = "USD"
    sources: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = []
        if not self.capacity > 0:
            problems.append("capacity must be > 0")
        if not self.capex >= 0:
            problems.append("capex must be >= 0")
        if not self.opex >= 0:
            problems.append("opex must be >= 0")
        if self.construction_years < 0 or self.ramp_years < 1 or self.life_years < 1:
            problems.append("construction >= 0, ramp-up >= 1 and life >= 1 years")
        if not 0 <= self.tax_rate < 1:
            problems.append("tax rate in [0, 1)")
        if not -0.5 < self.discount_rate < 1:
            problems.append("discount rate in (-0.5, 1)")
        if problems:
            raise ProjectError(f"project {self.name!r}: " + "; ".join(problems))

    @property
    def years(self) -> int:
        return self.construction_years + self.life_years

    def output(self) -> np.ndarray:
        """Output by year over the whole schedule (0 during construction)."""
        q = np.zeros(self.years)
        k = np.arange(1, self.life_years + 1)
        q[self.construction_years:] = self.capacity * np.minimum(1.0, k / self.ramp_years)
        return q

    def floor_years(self, term: int | None) -> np.ndarray:
        """Years of the schedule in which a floor of ``term`` operating years applies."""
        active = np.zeros(self.years, dtype=bool)
        active[self.construction_years: self.construction_years + (self.life_years if term is None else term)] = True
        return active

    def cash_flows(self, prices: np.ndarray, floor: float | None = None, upside_share: float = 0.0,
                   term: int | None = None) -> np.ndarray:
        """Cash flow per path and year, shape ``(n, years)``; ``prices`` cover the schedule.

        A floor applies to the first ``term`` operating years (default: the whole life).
        """
        if prices.shape[1] < self.years:
            raise ProjectError(f"price paths cover {prices.shape[1]} years, the project needs {self.years}")
        p = prices[:, : self.years]
        q = self.output()
        received = p if floor is None else np.where(self.floor_years(term), effective_price(p, floor, upside_share), p)
        revenue = q * received
        opex = q * self.opex
        capex = np.zeros(self.years)
        if self.construction_years:
            capex[: self.construction_years] = self.capex / self.construction_years
        else:
            capex[0] = self.capex
        depreciation = np.zeros(self.years)
        depreciation[self.construction_years:] = self.capex / self.life_years
        taxable = revenue - opex - depreciation
        tax = self.tax_rate * np.maximum(taxable, 0.0)
        return revenue - opex - tax - capex

    def npv(self, prices: np.ndarray, floor: float | None = None, upside_share: float = 0.0,
            rate: float | None = None, term: int | None = None) -> np.ndarray:
        r = self.discount_rate if rate is None else rate
        disc = (1.0 + r) ** -np.arange(self.years)
        return self.cash_flows(prices, floor, upside_share, term) @ disc


def irr(cash_flows: np.ndarray, lo: float = -0.5, hi: float = 1.0, grid: int = 61, iterations: int = 60) -> np.ndarray:
    """Internal rate of return per row; NaN where the NPV does not turn negative on ``[lo, hi]``.

    The NPV is evaluated on a grid of rates; the IRR is the highest rate at which it turns
    from non-negative to negative (for a project that invests first, the rate that repays
    the investment; a cash-flow stream with several sign changes can have several roots),
    refined by bisection inside that grid cell.
    """
    t = np.arange(cash_flows.shape[1])
    rates = np.linspace(lo, hi, grid)
    npv_grid = np.stack([(cash_flows * (1.0 + r) ** -t).sum(axis=1) for r in rates], axis=1)
    crosses = (npv_grid[:, :-1] >= 0) & (npv_grid[:, 1:] < 0)
    n = cash_flows.shape[0]
    has = crosses.any(axis=1)
    last = np.where(has, crosses.shape[1] - 1 - np.argmax(crosses[:, ::-1], axis=1), 0)
    a, b = rates[last].copy(), rates[last + 1].copy()

    def npv(r: np.ndarray) -> np.ndarray:
        return (cash_flows * (1.0 + r[:, None]) ** -t).sum(axis=1)

    for _ in range(iterations):
        m = 0.5 * (a + b)
        pos = npv(m) >= 0
        a, b = np.where(pos, m, a), np.where(pos, b, m)
    return np.where(has, 0.5 * (a + b), np.nan) if n else np.zeros(0)


def break_even_floor(project: Project, prices: np.ndarray, confidence: float = 0.9, upside_share: float = 0.0,
                     term: int | None = None, tolerance: float = 1e-6) -> float:
    """Smallest floor with ``P(NPV >= 0) >= confidence`` on these paths (see the module docstring)."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie in (0, 1)")

    def share(f: float) -> float:
        return float(np.mean(project.npv(prices, f, upside_share, term=term) >= 0.0))

    if share(0.0) >= confidence:
        return 0.0
    hi = max(float(np.max(prices)), project.opex, 1.0)
    while share(hi) < confidence:
        hi *= 2.0
        if hi > 1e12 * max(1.0, project.opex):
            raise ProjectError("no floor reaches the confidence asked (check capex and capacity)")
    lo = 0.0
    while hi - lo > tolerance * hi:
        mid = 0.5 * (lo + hi)
        if share(mid) >= confidence:
            hi = mid
        else:
            lo = mid
    return hi


def evaluate(project: Project, prices: np.ndarray, floor: float | None = None, upside_share: float = 0.0,
             term: int | None = None) -> pd.DataFrame:
    """NPV and IRR per path, without and (if given) with the floor."""
    out = {"path": np.arange(prices.shape[0]),
           "npv": project.npv(prices),
           "irr": irr(project.cash_flows(prices))}
    if floor is not None:
        out["npv_with_floor"] = project.npv(prices, floor, upside_share, term=term)
        out["irr_with_floor"] = irr(project.cash_flows(prices, floor, upside_share, term))
    return pd.DataFrame(out)


def distribution(per_path: pd.DataFrame) -> pd.DataFrame:
    """Mean, quantiles and P(NPV >= 0) of each column of :func:`evaluate`."""
    rows = []
    for col in [c for c in per_path.columns if c != "path"]:
        v = per_path[col].to_numpy(dtype=float)
        fin = v[np.isfinite(v)]
        rows.append({"measure": col, "mean": fin.mean() if fin.size else np.nan,
                     "p5": np.quantile(fin, 0.05) if fin.size else np.nan,
                     "p50": np.quantile(fin, 0.5) if fin.size else np.nan,
                     "p95": np.quantile(fin, 0.95) if fin.size else np.nan,
                     "share_non_negative": float(np.mean(fin >= 0)) if fin.size else np.nan,
                     "undefined": int(v.size - fin.size)})
    return pd.DataFrame(rows)


def _deposits() -> pd.DataFrame:
    from critmin import kb

    return kb.lithium_deposits()


def from_deposit(name: str, capacity: float | None = None, deposits: pd.DataFrame | None = None,
                 **overrides) -> Project:
    """A lithium project with the defaults of the deposit table (see the module docstring).

    Units: t Li per year, USD (2022) per t Li.
    """
    d = deposits if deposits is not None else _deposits()
    hit = d[d["deposit_name"].str.lower() == name.lower()]
    if hit.empty:
        hit = d[d["deposit_name"].str.lower().str.contains(name.lower(), regex=False)]
    if len(hit) != 1:
        options = sorted(hit["deposit_name"]) if len(hit) else sorted(d["deposit_name"])[:15]
        raise ProjectError(f"deposit {name!r}: {len(hit)} matches; e.g. {options}")
    r = hit.iloc[0]
    sources = {"deposit": f"{r['deposit_name']} ({r['country_iso3']}, {r['status']}, {r['resource_type']}), "
                          f"Busch et al. 2024 Deposit.csv row {r['source_row']}"}
    if capacity is None:
        rate = r["prod_rate_2030_kt_li"]
        if rate is None or pd.isna(rate) or rate <= 0:
            raise ProjectError(f"{r['deposit_name']}: no 2030 production rate in the deposit table (status "
                               f"{r['status']}); pass capacity= (t Li per year). The table's max_prod_rate is the "
                               "authors' depletion cap, not a capacity")
        capacity = float(rate) * 1000.0
        sources["capacity"] = "the deposit's 2030 production rate (kt Li/yr x 1000)"
    else:
        sources["capacity"] = "user input"
    opening = r["cost_opening_usd"]
    if r["open_mine"] or opening is None or pd.isna(opening) or opening == 0:
        same = d[(d["resource_type"] == r["resource_type"]) & (d["cost_opening_usd"] > 0)]["cost_opening_usd"]
        if same.empty:
            raise ProjectError(f"{r['deposit_name']}: no opening cost for {r['resource_type']} deposits in the table")
        opening = float(same.mode().iloc[0])
        sources["capex"] = (f"opening cost of a new {r['resource_type']} deposit in the table ({opening:,.0f} USD; "
                            "the authors set it to 0 for committed mines) + expansion cost per t/yr x capacity")
    else:
        sources["capex"] = "the deposit's opening cost + expansion cost per t/yr x capacity"
    capex = float(opening) + float(r["cost_expansion_usd_per_t_li_per_year"]) * capacity
    opex = r["cost1_notax_usd_per_t_li"]
    if opex is None or pd.isna(opex):
        raise ProjectError(f"{r['deposit_name']}: no extraction cost in the table")
    delay = float(r["delay_years"]) if not pd.isna(r["delay_years"]) else 10.0
    construction = int(max(1, round(delay - (TODAY - AUTHORS_BASE_YEAR))))
    resource = r["all_resource_kt_li"]
    life = MAX_LIFE_YEARS if resource is None or pd.isna(resource) else int(
        max(1, min(MAX_LIFE_YEARS, np.floor(float(resource) * 1000.0 / capacity))))
    tax = float(r["corporate_tax_rate"]) if not pd.isna(r["corporate_tax_rate"]) else 0.21
    sources.update({
        "opex": "tier-1 extraction cost without royalty and tax (cost1_noTax, 2022 USD per t Li)",
        "ramp_years": "4: the authors' max_ramp_up = max_prod_rate / 4",
        "construction_years": f"the authors' delay for status {r['status_delay']} ({delay:g} years from 2022) less "
                              f"the {TODAY - AUTHORS_BASE_YEAR} years since, at least 1",
        "life_years": f"resources / capacity, at most {MAX_LIFE_YEARS} years (assumption)",
        "tax_rate": "the deposit's corporate tax rate (Busch et al. Data S3)",
        "discount_rate": "7% real, OMB Circular A-94 (1992), section 8.b",
    })
    project = Project(name=str(r["deposit_name"]), capacity=capacity, capex=capex, opex=float(opex),
                      construction_years=construction, ramp_years=4, life_years=life, tax_rate=tax,
                      discount_rate=OMB_A94_RATE, unit="t Li", currency="USD (2022)", sources=sources)
    if overrides:
        project = replace(project, sources={**sources, **{k: "user input" for k in overrides}}, **overrides)
    return project

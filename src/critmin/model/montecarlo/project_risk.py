"""Price floors and projects: the budget of a floor and the returns of a new mine or refinery.

:func:`project_analysis` puts together the price process fitted to the mineral's own
history (:mod:`.price_paths`), a project (:mod:`.projects`: from the lithium deposit table,
or from user inputs), the distribution of its NPV and IRR with and without a floor, the
floor that makes it break even at a chosen confidence, the distribution of the floor's
fiscal cost over its term (:mod:`.floors`, upside sharing included), and for lithium the
marginal allied project of the deposit cost curve (:mod:`.cost_curve`).

Units: the project's output unit and money per unit. For lithium deposits that is
t Li and USD (2022) per t Li; the MCS price (battery-grade lithium carbonate per t
Li2CO3) is converted with 5.323 t Li2CO3 per t Li, and floors are given and shown in the
price series' own basis (per t Li2CO3) as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from critmin.errors import CritminError

from . import cost_curve as cc
from . import floors, price_paths, projects
from .markets import PRICE_BASIS, commodity_id


@dataclass
class ProjectAnalysis:
    """Every table of one analysis (see the module docstring)."""

    mineral: str
    project: projects.Project
    process: price_paths.PriceProcess
    segments: list[price_paths.Segment]
    base_price: float  # per project unit
    price_factor: float  # project price = series price x factor
    price_series_unit: str
    prices: np.ndarray
    floor: float | None  # per project unit
    upside_share: float
    term: int | None
    confidence: float
    per_path: pd.DataFrame
    floor_cost: pd.DataFrame | None
    break_even: float
    marginal: dict | None
    notes: list[str] = field(default_factory=list)

    def returns(self) -> pd.DataFrame:
        return projects.distribution(self.per_path)

    def price_fan(self) -> pd.DataFrame:
        """Quantiles of the simulated price by year (project unit)."""
        q = np.quantile(self.prices, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        return pd.DataFrame({"year": np.arange(1, self.prices.shape[1] + 1), "p5": q[0], "p25": q[1], "p50": q[2],
                             "p75": q[3], "p95": q[4]})

    def floor_cost_table(self) -> pd.DataFrame | None:
        return None if self.floor_cost is None else floors.cost_distribution(self.floor_cost)

    def headline(self) -> dict:
        out = {
            "mineral": self.mineral, "project": self.project.name, "unit": self.project.unit,
            "currency": self.project.currency, "capacity": self.project.capacity, "capex": self.project.capex,
            "opex_per_unit": self.project.opex, "construction_years": self.project.construction_years,
            "ramp_years": self.project.ramp_years, "life_years": self.project.life_years,
            "tax_rate": self.project.tax_rate, "discount_rate": self.project.discount_rate,
            "base_price_per_unit": self.base_price, "price_process": self.process.describe(),
            "floor_per_unit": self.floor, "floor_in_series_basis": None if self.floor is None else self.floor / self.price_factor,
            "upside_share": self.upside_share, "floor_term_years": self.term, "confidence": self.confidence,
            "break_even_floor_per_unit": self.break_even,
            "break_even_floor_in_series_basis": self.break_even / self.price_factor,
            "price_series_unit": self.price_series_unit,
            "probability_npv_non_negative": float((self.per_path["npv"] >= 0).mean()),
        }
        if self.floor is not None:
            out["probability_npv_non_negative_with_floor"] = float((self.per_path["npv_with_floor"] >= 0).mean())
        if self.floor_cost is not None:
            c = self.floor_cost["net_cost_pv"]
            out.update({"floor_cost_pv_mean": float(c.mean()), "floor_cost_pv_p90": float(c.quantile(0.9)),
                        "floor_cost_pv_p95": float(c.quantile(0.95)),
                        "probability_floor_pays": float((self.floor_cost["gross_payments_pv"] > 0).mean())})
        if self.marginal is not None:
            out.update({f"marginal_allied_{k}": v for k, v in self.marginal.items()})
        return out

    def to_dict(self) -> dict:
        from critmin.model.results import json_safe

        fc = self.floor_cost_table()
        return json_safe({
            "headline": self.headline(),
            "returns": self.returns().to_dict(orient="records"),
            "price_fan": self.price_fan().to_dict(orient="records"),
            "floor_cost": None if fc is None else fc.to_dict(orient="records"),
            "project_sources": dict(self.project.sources),
            "price_history": [{"segment": s.label, "source": s.source, "first": str(s.series.index.min()),
                               "last": str(s.series.index.max()), "points": int(len(s.series))} for s in self.segments],
            "notes": self.notes + list(self.process.notes),
        })


def _base_price(mineral: str, series: str | None) -> tuple[float, str, str]:
    """Latest MCS salient price of the mineral (or of the series containing ``series``)."""
    from critmin.kb import read_tables
    from critmin.analysis.prices import annual_prices

    sal = read_tables(["salient"])["salient"]
    ap = annual_prices(sal[sal["commodity_id"] == mineral], [mineral])
    ap = ap[ap["value"].notna()]
    if series is not None:
        ap = ap[ap["series"].str.lower().str.contains(series.lower(), regex=False)]
    if ap.empty:
        raise CritminError(f"{mineral}: no MCS salient price{'' if series is None else f' matching {series!r}'}; "
                           "pass --price")
    last = ap[ap["year"] == ap["year"].max()]
    row = last.sort_values("vintage", ascending=False).iloc[0]
    return float(row["value"]), str(row["unit"]), f"MCS salient {row['series']} {int(row['year'])} (vintage {int(row['vintage'])})"


def project_analysis(mineral: str, *, deposit: str | None = None, capacity: float | None = None,
                     capex: float | None = None, opex: float | None = None, construction_years: int | None = None,
                     ramp_years: int | None = None, life_years: int | None = None, tax_rate: float | None = None,
                     discount_rate: float | None = None, floor: float | None = None, upside_share: float = 0.0,
                     term: int | None = None, confidence: float = 0.9, draws: int = 2000, seed: int = 0,
                     process: str = "ou", series: str | None = None, sigma: float | None = None,
                     kappa: float | None = None, price: float | None = None, quantity: float | None = None,
                     method: str = "random") -> ProjectAnalysis:
    """Returns of a project with and without a floor, the break-even floor, the floor's cost.

    ``floor`` and ``price`` are in the price series' own basis (for lithium per t Li2CO3);
    ``capacity`` in the project unit (t Li for lithium deposits), ``capex`` in money,
    ``opex`` per project unit. A deposit gives lithium defaults (:func:`.projects.from_deposit`);
    otherwise ``capacity``, ``capex`` and ``opex`` are required.
    """
    cid = commodity_id(mineral)
    notes: list[str] = []
    factor, why = PRICE_BASIS.get(cid, (1.0, ""))
    if why:
        notes.append(why)
    if price is None:
        series_price, series_unit, where = _base_price(cid, series)
        notes.append(f"starting price: {where}, {series_price:,.6g} {series_unit}")
    else:
        series_price, series_unit = float(price), "user input"
        notes.append(f"starting price {price:,.6g} given by the user")
    base = series_price * factor
    overrides = {k: v for k, v in {"capex": capex, "opex": opex, "construction_years": construction_years,
                                   "ramp_years": ramp_years, "life_years": life_years, "tax_rate": tax_rate,
                                   "discount_rate": discount_rate}.items() if v is not None}
    if deposit is not None:
        if cid != "lithium":
            raise projects.ProjectError("deposit defaults exist only for lithium (the Busch et al. 2024 table)")
        project = projects.from_deposit(deposit, capacity=capacity, **overrides)
    else:
        missing = [k for k, v in (("capacity", capacity), ("capex", capex), ("opex", opex)) if v is None]
        if missing:
            raise projects.ProjectError(
                f"{cid}: no public project defaults in critmin for this mineral; give {', '.join(missing)} "
                "(capacity in the price's quantity unit per year, capex in money, opex per unit)"
                + ("; or --deposit NAME for a lithium deposit" if cid == "lithium" else ""))
        kw = {k: v for k, v in overrides.items() if k not in ("capex", "opex")}
        project = projects.Project(name=f"{cid} project (user inputs)", capacity=float(capacity), capex=float(capex),
                                   opex=float(opex), unit=series_unit.replace("dollars per ", "") if series_unit else "",
                                   sources={"all": "user inputs", "discount_rate": "7% real, OMB Circular A-94 (1992)",
                                            "tax_rate": "21%, US federal corporate rate (26 U.S.C. 11(b), as "
                                                        "amended by Public Law 115-97, 2017)"}, **kw)
    segments = price_paths.price_history(cid, series)
    if sigma is not None:
        fitted = price_paths.PriceProcess(process, float(sigma), kappa=float(kappa or 0.0), segments=(),
                                          notes=("volatility given by the user",))
    else:
        fitted = price_paths.fit(segments, process)
        if kappa is not None and fitted.model == "ou":
            fitted = replace(fitted, kappa=float(kappa), notes=fitted.notes + ("kappa given by the user",))
    prices = price_paths.simulate(fitted, base, project.years, draws, seed, method=method)
    floor_unit = None if floor is None else float(floor) * factor
    per_path = projects.evaluate(project, prices, floor_unit, upside_share, term)
    floor_cost = None
    if floor_unit is not None:
        volume = project.output() * project.floor_years(term)
        floor_cost = floors.fiscal_cost(prices[:, : project.years], volume, floor_unit, upside_share,
                                        project.discount_rate)
    be = projects.break_even_floor(project, prices, confidence, upside_share, term)
    marginal = None
    if cid == "lithium":
        q = quantity if quantity is not None else _us_net_imports_lithium()
        curve = cc.cost_curve(discount_rate=project.discount_rate)
        try:
            marginal = cc.marginal_project(curve, q)
        except projects.ProjectError as exc:
            notes.append(f"marginal allied project: {exc}")
        if quantity is None:
            notes.append(f"marginal allied project for the US net imports of lithium ({q:,.0f} t Li, MCS latest year)")
    return ProjectAnalysis(cid, project, fitted, segments, base, factor, series_unit, prices, floor_unit,
                           upside_share, term, confidence, per_path, floor_cost, be, marginal, notes)


def _us_net_imports_lithium() -> float:
    from .markets import _net_imports

    return float(_net_imports("lithium"))

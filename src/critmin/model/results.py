"""Results of a simulation: tables by region, flows, welfare, binding constraints.

:class:`BatchResult` holds a whole batch and computes every table
vectorised; ``batch[i]`` is a :class:`Result` view of one member. All tables
are pandas DataFrames so that the CLI, the API and the reports only present.

A member that did not solve reports no figure: every table is built through
:mod:`critmin.model.outcome`, which nulls whatever depends on the solution and keeps the
status and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .instruments import Instruments
from .kernel import STATUS_NAMES, Solution, evaluate
from .market import Market
from . import outcome
from .welfare import COMPONENTS, fiscal_detail, welfare_changes

MODEL_ASSUMPTIONS = (
    "partial equilibrium in levels: Armington CES demand over origins in each region, iso-elastic "
    "composite demand and iso-elastic supply, calibrated to reproduce the base flows at base prices",
    "transport costs ignored: the c.i.f. price is the f.o.b. price plus export tax and quota rent",
    "tariffs are ad valorem on the c.i.f. value; a minimum import price is enforced as a variable levy "
    "that lifts the duty-paid landed price to the minimum",
    "quantities and prices are annual flows at one value-chain stage; no stock dynamics",
)


def _hhi(shares: np.ndarray) -> np.ndarray:
    total = shares.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(total > 0, shares / total, 0.0)
    return (s**2).sum(axis=-1)


@dataclass
class BatchResult:
    """Solved batch with vectorised output tables.

    Attributes
    ----------
    market : Market
    solution : Solution
        Raw kernel output.
    names : list of str
        One scenario name per member.
    focus : str or None
        Region for the import-reliance indicators (``USA`` by default when present).
    notes : list of list of str
        Scenario-specific assumptions per member.
    """

    market: Market
    instruments: Instruments
    solution: Solution
    names: list[str]
    focus: str | None
    notes: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        prep = self.solution.prep
        n = prep.size
        # the base point is evaluated without any policy wedge beyond the base ones
        base_prep = _base_prepared(self.market, self.instruments)
        self.base_state = evaluate(base_prep, np.zeros((n, prep.n_regions)), np.zeros((n, 0)))
        self._base_prep = base_prep
        welfare = welfare_changes(prep, self.solution.state, self.base_state, base_prep)
        st = self.solution.state
        self._status, self._messages = outcome.check_finite(
            outcome.status_names(self.solution.status, STATUS_NAMES), self.solution.messages,
            (st.p, st.S, st.X, welfare["total"]))
        failed = outcome.failed_mask(self._status)
        # a failed member has no welfare, fiscal flows or state: never a 0 from a where() on NaN
        self.welfare = outcome.blank_members(welfare, failed)
        self.fiscal = outcome.blank_members(fiscal_detail(prep, st), failed)
        self._failed = failed
        if not self.notes:
            self.notes = [[] for _ in range(n)]

    # --- batch-level views ----------------------------------------------
    def __len__(self) -> int:
        return self.solution.prep.size

    def __getitem__(self, i: int) -> "Result":
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return Result(self, i % len(self))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    @property
    def status(self) -> list[str]:
        """Status per member: ``converged`` or why it failed (kernel statuses, or ``not_finite``)."""
        return self._status.tolist()

    @property
    def messages(self) -> list[str]:
        """The reason per failed member (empty for a converged one)."""
        return list(self._messages)

    @property
    def converged(self) -> np.ndarray:
        return ~self._failed

    def outcome(self) -> dict[str, object]:
        """How many members converged and how many failed, by status."""
        return outcome.outcome_counts(self._status)

    def failure_note(self) -> str:
        """A sentence saying how many members did not solve and why (empty when all converged)."""
        return outcome.failure_note(self._status, self.names)

    def indicators(self) -> dict[str, np.ndarray]:
        """Focus-region indicators for every member: NIR (%) and import HHI (0-1)."""
        if self.focus is None:
            return {}
        f = self.market.index(self.focus)
        out = {}
        for label, X, S in (("base", self.base_state.X, self.base_state.S), ("", self.solution.state.X, self.solution.state.S)):
            imports_by_origin = np.delete(X[:, :, f], f, axis=1)
            imports = imports_by_origin.sum(axis=1)
            exports = np.delete(X[:, f, :], f, axis=1).sum(axis=1)
            absorbed = X[:, :, f].sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                nir = np.where(absorbed > 0, 100.0 * (imports - exports) / absorbed, np.nan)
            prefix = f"{label}_" if label else ""
            out[prefix + "imports"] = imports
            out[prefix + "exports"] = exports
            out[prefix + "net_import_reliance_pct"] = nir
            out[prefix + "import_hhi"] = _hhi(imports_by_origin)
            if not label:  # the scenario's indicators of a failed member are unknown, not 0
                for key in ("imports", "exports", "net_import_reliance_pct", "import_hhi"):
                    out[key] = np.where(self._failed, np.nan, out[key])
        return out

    def summary_frame(self) -> pd.DataFrame:
        """One row per member: status and headline numbers (the comparison table)."""
        sol, prep = self.solution, self.solution.prep
        st, base = sol.state, self.base_state
        rows: dict[str, Any] = {
            "scenario": self.names,
            "status": self._status,
            "message": self.messages,
            "iterations": sol.iterations,
        }
        price_index = prep.P0 * np.exp(st.log_pi)
        produced = st.S.sum(axis=1)
        rows["world_avg_producer_price"] = (st.p * st.S).sum(axis=1) / np.where(produced > 0, produced, 1)
        rows["world_production"] = produced
        if self.focus is not None:
            f = self.market.index(self.focus)
            key = self.focus
            rows[f"{key}_consumer_price"] = price_index[:, f]
            rows[f"{key}_consumer_price_change_pct"] = 100 * np.expm1(st.log_pi[:, f])
            rows[f"{key}_producer_price"] = st.p[:, f]
            rows[f"{key}_production"] = st.S[:, f]
            rows[f"{key}_production_change"] = st.S[:, f] - base.S[:, f]
            ind = self.indicators()
            rows[f"{key}_imports"] = ind["imports"]
            rows[f"{key}_net_import_reliance_pct"] = ind["net_import_reliance_pct"]
            rows[f"{key}_import_hhi"] = ind["import_hhi"]
            rows[f"{key}_welfare_change"] = self.welfare["total"][:, f]
            rows[f"{key}_fiscal_cost"] = (self.welfare["cfd_net_cost"] + self.welfare["blr_purchase_cost"]
                                          + self.welfare["stockpile_cost"])[:, f]
            rows[f"{key}_tariff_and_levy_revenue_change"] = (self.welfare["tariff_revenue"]
                                                              + self.welfare["levy_revenue"])[:, f]
        rows["world_welfare_change"] = self.welfare["total"].sum(axis=1)
        frame = outcome.withhold_rows(pd.DataFrame(rows), self._failed, keep=("scenario", "status", "message",
                                                                               "iterations"))
        frame = frame.set_index("scenario")
        frame.attrs["outcome"] = self.outcome()
        return frame


def _base_prepared(market: Market, inst: Instruments):
    """Kernel arrays of the base policy with the batch's elasticities."""
    from .kernel import prepare

    base = Instruments.baseline(market, inst.size)
    base.substitution = inst.substitution.copy()
    base.demand = inst.demand.copy()
    base.supply = inst.supply.copy()
    return prepare(market, base)


@dataclass
class Result:
    """One scenario's results (a view into a :class:`BatchResult`)."""

    batch: BatchResult
    i: int

    # --- metadata ---------------------------------------------------------
    @property
    def name(self) -> str:
        return self.batch.names[self.i]

    @property
    def market(self) -> Market:
        return self.batch.market

    @property
    def status(self) -> str:
        return str(self.batch._status[self.i])

    @property
    def converged(self) -> bool:
        return self.status == outcome.CONVERGED

    @property
    def failed(self) -> bool:
        """True when the member did not solve: every figure that needs the solution is null."""
        return not self.converged

    @property
    def message(self) -> str:
        return self.batch._messages[self.i]

    @property
    def iterations(self) -> int:
        return int(self.batch.solution.iterations[self.i])

    @property
    def residual(self) -> float:
        """Largest relative market-clearing residual."""
        return float(self.batch.solution.clearing_residual[self.i])

    @property
    def assumptions(self) -> list[str]:
        return list(MODEL_ASSUMPTIONS) + list(self.market.assumptions) + list(self.batch.notes[self.i])

    def _regions(self) -> pd.Index:
        return pd.Index(self.market.regions, name="region")

    # --- tables -----------------------------------------------------------
    def prices(self) -> pd.DataFrame:
        """Producer price by origin and consumer price index by destination, base and scenario."""
        i, prep = self.i, self.batch.solution.prep
        st, base = self.batch.solution.state, self.batch.base_state
        frame = pd.DataFrame(
            {
                "producer_price_base": base.p[i],
                "producer_price": st.p[i],
                "consumer_price_base": prep.P0 * np.exp(base.log_pi[i]),
                "consumer_price": prep.P0 * np.exp(st.log_pi[i]),
            },
            index=self._regions(),
        )
        frame.loc[~prep.dest_active, ["consumer_price_base", "consumer_price"]] = np.nan
        frame.loc[self.market.production <= 0, ["producer_price_base", "producer_price"]] = np.nan  # no output
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["producer_price_change_pct"] = 100 * (frame.producer_price / frame.producer_price_base - 1)
            frame["consumer_price_change_pct"] = 100 * (frame.consumer_price / frame.consumer_price_base - 1)
        return outcome.withhold(frame, self.failed)

    def quantities(self) -> pd.DataFrame:
        """Supply, private demand, government purchases, imports and exports by region.

        ``demand`` is the Armington composite quantity (the index consumers value, in
        physical units at the base mix of origins); ``use`` is the physical quantity
        delivered to the region (its own sales at home plus imports), the figure a
        balance in tonnes adds up. When a policy shifts purchases to origins with small
        base shares the two differ: ``imports`` never exceed ``use``, but can exceed
        ``demand``.
        """
        i = self.i
        st, base = self.batch.solution.state, self.batch.base_state
        fiscal = self.batch.fiscal
        stock = self.batch.solution.prep.stock[i]
        X, X0 = st.X[i], base.X[i]
        off = ~np.eye(len(self.market.regions), dtype=bool)
        frame = pd.DataFrame(
            {
                "supply_base": base.S[i],
                "supply": st.S[i],
                "demand_base": base.D[i],
                "demand": st.D[i],
                "use_base": X0.sum(axis=0),
                "use": X.sum(axis=0),
                "stockpile_purchase": stock,
                "blr_purchases": fiscal["blr_purchases"][i],
                "imports_base": (X0 * off).sum(axis=0),
                "imports": (X * off).sum(axis=0),
                "exports_base": (X0 * off).sum(axis=1),
                "exports": (X * off).sum(axis=1),
            },
            index=self._regions(),
        )
        frame["supply_change"] = frame.supply - frame.supply_base
        frame["demand_change"] = frame.demand - frame.demand_base
        return outcome.withhold(frame, self.failed, keep=("stockpile_purchase",))  # an input, not a result

    def flows(self) -> pd.DataFrame:
        """Bilateral flows in long form: quantity and value, base and scenario, wedges per unit."""
        i = self.i
        st, base = self.batch.solution.state, self.batch.base_state
        prep = self.batch.solution.prep
        r = self.market.regions
        o, d = np.meshgrid(np.arange(len(r)), np.arange(len(r)), indexing="ij")
        frame = pd.DataFrame(
            {
                "origin": np.array(r)[o.ravel()],
                "destination": np.array(r)[d.ravel()],
                "quantity_base": base.X[i].ravel(),
                "quantity": st.X[i].ravel(),
                "value_fob": (st.p[i][:, None] * st.X[i]).ravel(),
                "value_cif": (st.w[i] * st.X[i]).ravel(),
                "value_delivered": (st.q[i] * st.X[i]).ravel(),
                "value_delivered_base": (base.q[i] * base.X[i]).ravel(),
                "tariff_rate": (prep.tariff1[i] - 1).ravel(),
                "export_tax_rate": (prep.xtax1[i] - 1).ravel(),
                "levy_per_unit": (st.q[i] - st.v[i]).ravel(),
                "quota_rent_per_unit": st.lam[i].ravel(),
                "delivered_price": st.q[i].ravel(),
                "permitted": self.batch.instruments.allowed[i].ravel(),
            }
        )
        frame["quantity_change"] = frame.quantity - frame.quantity_base
        frame = frame[(frame.quantity_base > 0) | (frame.quantity > 0)].reset_index(drop=True)
        # the instrument settings of a flow are what the user asked for, known without a solve
        return outcome.withhold(frame, self.failed, keep=("origin", "destination", "tariff_rate", "export_tax_rate",
                                                          "permitted"))

    def welfare(self) -> pd.DataFrame:
        """Welfare changes from the base by region and component, with a world total row."""
        data = {k: self.batch.welfare[k][self.i] for k in (*COMPONENTS, "total")}
        frame = pd.DataFrame(data, index=self._regions())
        frame.loc["World"] = outcome.total_row(frame)
        return outcome.withhold(frame, self.failed)

    def fiscal(self) -> pd.DataFrame:
        """Fiscal detail of floors and purchases by region."""
        frame = pd.DataFrame({k: v[self.i] for k, v in self.batch.fiscal.items()}, index=self._regions())
        return outcome.withhold(frame, self.failed)

    def binding(self) -> pd.DataFrame:
        """Every quantity limit and price floor in the scenario, whether it binds and by how much."""
        i, prep, st = self.i, self.batch.solution.prep, self.batch.solution.state
        inst = self.batch.instruments
        r = self.market.regions
        rows: list[dict[str, Any]] = []
        X0 = self.market.flows
        for o, d in zip(*np.nonzero(inst.mip[i] > 0)):
            if X0[o, d] <= 0 or not inst.allowed[i, o, d]:
                continue
            levy = float(st.q[i, o, d] - st.v[i, o, d])
            rows.append({"instrument": "minimum_import_price", "where": f"{r[o]} -> {r[d]}", "binds": levy > 0,
                         "measure": "levy per unit", "value": levy})
        fiscal = self.batch.fiscal
        for o in np.nonzero(prep.cfd_eligible[i] > 0)[0]:
            gap = float(prep.cfd_floor[i, o] - st.p[i, o])
            rows.append({"instrument": "price_floor_cfd", "where": r[o], "binds": gap > 0,
                         "measure": "payment per eligible unit", "value": max(gap, 0.0)})
        for o in np.nonzero(prep.blr_active[i])[0]:
            bought = float(fiscal["blr_purchases"][i, o])
            rows.append({"instrument": "buyer_of_last_resort", "where": r[o], "binds": bought > 0,
                         "measure": "quantity purchased", "value": bought})
        for k in np.nonzero(prep.quota_active[i])[0]:
            o = int(inst.quota_origin[i, k])
            dests = [r[d] for d in np.nonzero(inst.quota_dest[i, k])[0]]
            rent = float(self.batch.solution.mu[i, k] * prep.lam_scale[i, k])
            rows.append({"instrument": "export_quota", "where": f"{r[o]} -> {', '.join(dests)}", "binds": rent > 0,
                         "measure": "quota rent per unit", "value": rent})
        for o, d in zip(*np.nonzero(~inst.allowed[i] & (X0 > 0))):
            rows.append({"instrument": "export_ban", "where": f"{r[o]} -> {r[d]}", "binds": True,
                         "measure": "flow", "value": float(st.X[i, o, d])})
        frame = pd.DataFrame(rows, columns=["instrument", "where", "binds", "measure", "value"])
        return outcome.withhold(frame, self.failed, keep=("instrument", "where", "measure"))

    def indicators(self) -> dict[str, float]:
        """Focus-region NIR (%) and import HHI (0-1), base and scenario."""
        values = {k: float(v[self.i]) for k, v in self.batch.indicators().items()}
        return outcome.indicators(values, self.failed)

    def summary(self) -> pd.Series:
        """Headline numbers (one row of the comparison table)."""
        return self.batch.summary_frame().iloc[self.i]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of every table."""

        def records(frame: pd.DataFrame, index: bool = True) -> list[dict[str, Any]]:
            frame = frame.reset_index() if index else frame
            return json_safe(frame.to_dict(orient="records"))

        return {
            "scenario": self.name,
            "mineral": self.market.mineral,
            "stage": self.market.stage,
            "unit": self.market.unit,
            "price_unit": self.market.price_unit,
            "status": self.status,
            "message": self.message,
            "iterations": self.iterations,
            "clearing_residual": self.residual,
            "focus": self.batch.focus,
            "indicators": json_safe(self.indicators()),
            "prices": records(self.prices()),
            "quantities": records(self.quantities()),
            "flows": records(self.flows(), index=False),
            "welfare": records(self.welfare()),
            "binding": records(self.binding(), index=False),
            "assumptions": self.assumptions,
        }


def json_safe(obj: Any) -> Any:
    """Replace numpy scalars and non-finite floats (``None``) for JSON."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    return obj

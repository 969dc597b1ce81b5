r"""Results of chain runs: tables by year, stage and region; who pays and who benefits; nulls for failures.

Contract (:mod:`critmin.model.outcome`, the same as the Armington results):
every member has a ``status`` from the one status table (a member the kernel
called converged whose figures are not all finite becomes ``not_finite``); a
member that is not ``converged`` has NaN (null in JSON) for every figure that
depends on its solve and a ``message`` naming the year; the baseline path
(``*_baseline`` columns, solved separately) stays; batch summaries carry
``attrs["outcome"]`` and ``attrs["failure_note"]``.

Money (currency per year, in each stage's price unit times its quantity unit):

* contract for difference on existing producers of (s, r) with strike F,
  upside share u, cap V: the payer pays :math:`(p^e - p)\min(E, V)`
  (negative when the upside flows back); the producers receive it;
* offtake of Q at price F delivered to g: the payer pays :math:`F\,O` and,
  unless it goes into the stockpile, resells at :math:`P_g`: net
  :math:`(F - P_g)\,O`;
* contracts on new capacity: :math:`(b^e - b)\min(y, V)`;
* buyer of last resort: the excess output bought at the floor;
* stockpile purchases at the region's price :math:`P` (releases are receipts);
* duty revenue :math:`t\,(p(1+x) + \tau + \lambda) X` and levy revenue
  :math:`(c - v) X` to the importer; export-tax revenue :math:`x p X` and
  quota rents :math:`\lambda X` to the exporter.

Discounted totals use :math:`\sum_t C_t / (1 + r)^{t - t_0}` from the first
horizon year, with the scenario's discount rate (a user assumption, printed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import outcome
from ..kernel.chain import ChainBase
from ..kernel.horizon import HorizonSolution
from ..kernel.status import STATUS_NAMES
from .instruments import ChainInstruments
from .market import ChainMarket

FORMULATION_ASSUMPTIONS = (
    "homogeneous-goods chain in physical tonnes: each destination splits its tonnes across permitted origins by "
    "discrete-choice shares of delivered cost (Eaton-Kortum form), so tonnes add up exactly and near-identical "
    "material sells at one price up to trade costs, duties, rents and the base-calibrated premia",
    "stages linked by input coefficients: processing output draws its feed from the upstream market of its own "
    "region at that region's delivered price; its supply responds to its price deflated by the feed cost share",
    "routes without base trade stay closed; new capacity (tonnes, unit cost, ramp-up) sells as a price taker in "
    "its market, with no invented starting flow",
    "years linked by partial adjustment of output and final use toward their long-run responses",
)


@dataclass
class ChainBatch:
    """A solved batch of one mineral: members' paths, the baseline path, and everything to report them."""

    market: ChainMarket
    base: ChainBase
    inst: ChainInstruments
    solution: HorizonSolution
    baseline: HorizonSolution  # members 1 or N
    names: list[str]
    notes: list[list[str]] = field(default_factory=list)
    discount_rate: float = 0.03
    focus: str | None = "USA"
    projects: list[dict[str, int]] = field(default_factory=list)
    discount_note: str | None = None

    #: the solution arrays every converged member fills with finite numbers (checked for overflow)
    _FINITE = ("p", "lP", "D", "S", "E", "U")

    def __post_init__(self) -> None:
        sol = self.solution
        status, messages = outcome.check_finite(outcome.status_names(sol.status, STATUS_NAMES), sol.messages,
                                                (getattr(sol, k) for k in self._FINITE))
        newly = outcome.failed_mask(status) & (sol.status == 0)
        if newly.any():  # a member reclassified as not_finite reports no figure either
            for name, arr in vars(sol).items():
                if isinstance(arr, np.ndarray) and arr.dtype.kind == "f" and arr.ndim >= 2 and arr.shape[0] == len(status):
                    arr[newly] = np.nan
        self._status, self._messages = status, messages
        self._failed = outcome.failed_mask(status)
        if self.discount_note is None:
            self.discount_note = (f"fiscal costs discounted at {self.discount_rate:.1%} a year from {self.inst.years[0]} "
                                  "(a user assumption)")

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int) -> "ChainResult":
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return ChainResult(self, i % len(self))

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    @property
    def status(self) -> list[str]:
        """Status per member: ``converged`` or why it failed (the status table's names, ``not_finite`` included)."""
        return self._status.tolist()

    @property
    def messages(self) -> list[str]:
        """The reason per failed member, naming the year (empty for a converged one)."""
        return list(self._messages)

    @property
    def converged(self) -> np.ndarray:
        return ~self._failed

    @property
    def n_failed(self) -> int:
        return int(self._failed.sum())

    def outcome(self) -> dict[str, object]:
        """How many members converged and how many failed, by status."""
        return outcome.outcome_counts(self._status)

    def failure_note(self) -> str:
        """A sentence saying how many members did not solve and why (empty when all converged)."""
        return outcome.failure_note(self._status, self.names)

    def summary(self) -> pd.DataFrame:
        """One row per member: status, message and headline numbers (null for failed members)."""
        frame = pd.DataFrame([r.headline() for r in self])
        frame = outcome.withhold_rows(frame, self._failed, keep=("scenario", "status", "message"))
        return outcome.summary_attrs(frame.set_index("scenario"), self._status, self.names)


def _bl(batch: ChainBatch, arr: np.ndarray, i: int) -> np.ndarray:
    return arr[i if arr.shape[0] > 1 else 0]


@dataclass
class ChainResult:
    """One member of a :class:`ChainBatch`."""

    batch: ChainBatch
    i: int

    # --- metadata ---------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.batch.names[self.i]

    @property
    def market(self) -> ChainMarket:
        return self.batch.market

    @property
    def years(self) -> tuple[int, ...]:
        return self.batch.inst.years

    @property
    def status(self) -> str:
        return str(self.batch._status[self.i])

    @property
    def converged(self) -> bool:
        return self.status == outcome.CONVERGED

    @property
    def failed(self) -> bool:
        """True when the member did not solve: every figure that needs its solve is null."""
        return not self.converged

    @property
    def message(self) -> str:
        return self.batch._messages[self.i]

    @property
    def assumptions(self) -> list[str]:
        notes = self.batch.notes[self.i] if self.batch.notes else []
        return (list(FORMULATION_ASSUMPTIONS) + self.market.all_assumptions()
                + [self.batch.discount_note] + list(notes) + self.instrument_notes())

    @property
    def sources(self) -> list[str]:
        return self.market.all_sources()

    def _index(self, extra: str | None = None) -> pd.MultiIndex:
        stages = [s.name for s in self.market.stages]
        levels = [list(self.years), stages, list(self.market.regions)]
        names = ["year", "stage", "region"]
        return pd.MultiIndex.from_product(levels, names=names)

    def _arr(self, name: str, baseline: bool = False) -> np.ndarray:
        sol = self.batch.baseline if baseline else self.batch.solution
        arr = getattr(sol, name)
        return arr[self.i if (not baseline or arr.shape[0] > 1) else 0]

    # --- tables -------------------------------------------------------------------
    def prices(self) -> pd.DataFrame:
        """Producer price by origin and price of a tonne used by destination, baseline and scenario, by year."""
        base = self.batch.base
        p, pb = self._arr("p"), self._arr("p", True)
        P = base.P0 * np.exp(self._arr("lP"))
        Pb = base.P0 * np.exp(self._arr("lP", True))
        producing = np.broadcast_to(base.producing, p.shape)
        frame = pd.DataFrame({
            "producer_price_baseline": np.where(producing, pb, np.nan).ravel(),
            "producer_price": np.where(producing, p, np.nan).ravel(),
            "use_price_baseline": Pb.ravel(),
            "use_price": P.ravel(),
        }, index=self._index())
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["producer_price_change_pct"] = 100 * (frame.producer_price / frame.producer_price_baseline - 1)
            frame["use_price_change_pct"] = 100 * (frame.use_price / frame.use_price_baseline - 1)
        return frame

    def _trade(self, baseline: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Imports and exports by (year, stage, region), flows plus offtake and new-capacity deliveries."""
        sol = self.batch.baseline if baseline else self.batch.solution
        i = self.i if (not baseline or sol.status.shape[0] > 1) else 0
        if sol.X is None:
            raise ValueError("this batch was solved without flows (keep_flows=False)")
        X = sol.X[i]
        R = self.market.n_regions
        off_diag = ~np.eye(R, dtype=bool)
        imports = (X * off_diag).sum(axis=-2)
        exports = (X * off_diag).sum(axis=-1)
        inst = self.batch.inst
        if not baseline:
            k = self.i if inst.offtake_quantity.shape[0] > 1 else 0
            for t in range(len(self.years)):
                dest = inst.at("offtake_dest", t)[k]
                mkt = ~inst.at("offtake_to_stock", t)[k]
                off = sol.off[i, t]
                for s, o in zip(*np.nonzero((dest >= 0) & (off > 0))):
                    d = dest[s, o]
                    if d != o:
                        exports[t, s, o] += off[s, o]
                        if mkt[s, o]:
                            imports[t, s, d] += off[s, o]
                for j in range(inst.n_projects):
                    s, r, m = (int(np.broadcast_to(getattr(inst, f), (inst.size, inst.n_projects))[k, j])
                               for f in ("nc_stage", "nc_region", "nc_market"))
                    if r != m:
                        exports[t, s, r] += sol.y[i, t, j]
                        imports[t, s, m] += sol.y[i, t, j]
        return imports, exports

    def quantities(self) -> pd.DataFrame:
        """By year, stage and region: output of existing producers and new capacity, final use, use, trade."""
        inst = self.batch.inst
        sol = self.batch.solution
        i = self.i
        T, S, R = len(self.years), self.market.n_stages, self.market.n_regions
        new = np.zeros((T, S, R))
        if inst.n_projects:
            k = i if inst.nc_stage.shape[0] > 1 else 0
            for j in range(inst.n_projects):
                new[:, inst.nc_stage[k, j], inst.nc_region[k, j]] += sol.y[i, :, j]
        if not self.converged:
            new[:] = np.nan
        imports, exports = self._trade()
        imports_b, _ = self._trade(True)
        stock = np.stack([np.broadcast_to(inst.at("stock", t)[i if inst.stock.shape[0] > 1 else 0], (S, R))
                          for t in range(T)])
        frame = pd.DataFrame({
            "production_existing": self._arr("S").ravel(),
            "production_new_capacity": new.ravel(),
            "production_baseline": self._arr("S", True).ravel(),
            "final_use": self._arr("D").ravel(),
            "final_use_baseline": self._arr("D", True).ravel(),
            "use": self._arr("U").ravel(),
            "use_baseline": self._arr("U", True).ravel(),
            "imports": imports.ravel(),
            "imports_baseline": imports_b.ravel(),
            "exports": exports.ravel(),
            "stockpile_purchase": np.where(np.isnan(self._arr("U")), np.nan, stock).ravel(),
            "government_purchase_blr": self._blr_purchases().ravel(),
        }, index=self._index())
        frame["production"] = frame.production_existing + frame.production_new_capacity
        return frame

    def flows(self, year: int | None = None) -> pd.DataFrame:
        """Bilateral tonnes (origin, destination) by year and stage (one year when given)."""
        X = self.batch.solution.X
        if X is None:
            raise ValueError("this batch was solved without flows (keep_flows=False)")
        stages = [s.name for s in self.market.stages]
        idx = pd.MultiIndex.from_product([list(self.years), stages, list(self.market.regions), list(self.market.regions)],
                                         names=["year", "stage", "origin", "destination"])
        frame = pd.DataFrame({"tonnes": X[self.i].ravel()}, index=idx)
        return frame.loc[year] if year is not None else frame

    def _blr_purchases(self) -> np.ndarray:
        inst = self.batch.inst
        k = self.i if inst.blr_floor.shape[0] > 1 else 0
        excess = self._arr("excess")
        out = np.zeros_like(excess)
        for t in range(len(self.years)):
            active = np.isfinite(inst.at("blr_floor", t)[k])
            out[t] = np.where(active, np.maximum(excess[t], 0.0), 0.0)
        return np.where(np.isnan(excess), np.nan, out)

    def money(self) -> pd.DataFrame:
        """Every payment by year: instrument, payer, beneficiary, stage and amount (currency per year).

        Positive amounts are paid by ``payer`` to ``beneficiary``. Failed members give one NaN row per instrument.
        """
        b = self.batch
        inst, base = b.inst, b.base
        i = self.i
        regions = self.market.regions
        stages = [s.name for s in self.market.stages]
        p, S, E, off = self._arr("p"), self._arr("S"), self._arr("E"), self._arr("off")
        P = base.P0 * np.exp(self._arr("lP"))
        pe = self._arr("pe")
        rows = []

        def k_of(name):
            return i if getattr(inst, name).shape[0] > 1 else 0

        for t, year in enumerate(self.years):
            F = inst.at("floor_price", t)[k_of("floor_price")]
            cap = inst.at("floor_cap", t)[k_of("floor_cap")]
            payer = inst.at("floor_payer", t)[k_of("floor_payer")]
            q = inst.at("offtake_quantity", t)[k_of("offtake_quantity")]
            dest = inst.at("offtake_dest", t)[k_of("offtake_dest")]
            to_stock = inst.at("offtake_to_stock", t)[k_of("offtake_to_stock")]
            for s, r in zip(*np.nonzero(F > 0)):
                if q[s, r] > 0:
                    resale = 0.0 if to_stock[s, r] else P[t, s, dest[s, r]] * off[t, s, r]
                    amount = F[s, r] * off[t, s, r] - resale
                    kind = "offtake"
                else:
                    amount = (pe[t, s, r] - p[t, s, r]) * min(E[t, s, r], cap[s, r])
                    kind = "price_floor"
                rows.append((year, kind, stages[s], regions[payer[s, r]], f"producers in {regions[r]}", amount))
            blr = inst.at("blr_floor", t)[k_of("blr_floor")]
            bpayer = inst.at("blr_payer", t)[k_of("blr_payer")]
            bought = self._blr_purchases()[t]
            for s, r in zip(*np.nonzero(np.isfinite(blr))):
                rows.append((year, "buyer_of_last_resort", stages[s], regions[bpayer[s, r]],
                             f"producers in {regions[r]}", p[t, s, r] * bought[s, r]))
            stock = inst.at("stock", t)[k_of("stock")]
            for s, r in zip(*np.nonzero(stock != 0)):
                rows.append((year, "stockpile", stages[s], regions[r], "sellers (market)", P[t, s, r] * stock[s, r]))
            for j in range(inst.n_projects):
                kk = k_of("nc_payer")
                jpayer = int(inst.nc_payer[kk, j])
                if jpayer < 0:
                    continue
                nb, ye, yv = self._arr("nb")[t, j], self._arr("ye")[t, j], self._arr("y")[t, j]
                capj = inst.at("nc_cap", t)[k_of("nc_cap"), j]
                name = next((n for n, v in (b.projects[i] if b.projects else {}).items() if v == j), f"project {j}")
                rows.append((year, "price_floor", stages[int(inst.nc_stage[k_of("nc_stage"), j])], regions[jpayer],
                             name, (ye - nb) * min(yv, capj)))
        frame = pd.DataFrame(rows, columns=["year", "instrument", "stage", "payer", "beneficiary", "amount"])
        if not self.converged:
            frame["amount"] = np.nan
        return frame

    def fiscal(self) -> pd.DataFrame:
        """Fiscal cost by payer and instrument: one column per year, the undiscounted and discounted totals."""
        money = self.money()
        if money.empty:
            return pd.DataFrame(columns=["payer", "instrument", "total", "discounted_total"]).set_index(["payer", "instrument"])
        table = money.pivot_table(index=["payer", "instrument"], columns="year", values="amount", aggfunc="sum",
                                  dropna=False)
        years = np.array(table.columns, float)
        factor = (1 + self.batch.discount_rate) ** -(years - self.years[0])
        table["total"] = table[list(table.columns)].sum(axis=1, min_count=1)
        values = table[[c for c in table.columns if c != "total"]].to_numpy(float)
        table["discounted_total"] = np.where(np.isnan(values).any(axis=1), np.nan, (values * factor).sum(axis=1))
        return table

    def receipts(self) -> pd.DataFrame:
        """Receipts per tonne of each contract's eligible producers, with the market price and the baseline price."""
        b = self.batch
        inst = b.inst
        i = self.i
        k = i if inst.floor_price.shape[0] > 1 else 0
        p, pb, E, pe = self._arr("p"), self._arr("p", True), self._arr("E"), self._arr("pe")
        rows = []
        for t, year in enumerate(self.years):
            F = inst.at("floor_price", t)[k]
            cap = inst.at("floor_cap", t)[k]
            for s, r in zip(*np.nonzero(F > 0)):
                covered = min(E[t, s, r], cap[s, r])
                per_t = p[t, s, r] + (pe[t, s, r] - p[t, s, r]) * (covered / E[t, s, r] if E[t, s, r] > 0 else 1.0)
                rows.append((year, self.market.stages[s].name, self.market.regions[r], F[s, r], p[t, s, r],
                             per_t, pb[t, s, r]))
        return pd.DataFrame(rows, columns=["year", "stage", "region", "floor", "market_price",
                                           "receipts_per_tonne", "baseline_price"])

    def indicators(self, region: str | None = None) -> pd.DataFrame:
        """For the focus region, by year and stage: use, imports, exports, net import reliance and import HHI."""
        region = region or self.batch.focus
        if region is None or region not in self.market.regions:
            return pd.DataFrame()
        f = self.market.index(region)
        X = self.batch.solution.X[self.i]
        imports, exports = self._trade()
        U = self._arr("U")
        by_origin = np.delete(X[:, :, :, f], f, axis=2)
        tot = by_origin.sum(axis=2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(tot > 0, by_origin / tot, 0.0)
            nir = np.where(U[:, :, f] > 0, 100 * (imports[:, :, f] - exports[:, :, f]) / U[:, :, f], np.nan)
        idx = pd.MultiIndex.from_product([list(self.years), [s.name for s in self.market.stages]],
                                         names=["year", "stage"])
        return pd.DataFrame({"use": U[:, :, f].ravel(), "imports": imports[:, :, f].ravel(),
                             "exports": exports[:, :, f].ravel(), "net_import_reliance_pct": nir.ravel(),
                             "import_hhi": np.where(np.isnan(U[:, :, f]), np.nan, (shares ** 2).sum(axis=2)).ravel()},
                            index=idx)

    def welfare(self) -> pd.DataFrame:
        """Welfare change from the baseline path by year, stage and region (:mod:`.welfare`, currency per year)."""
        from .welfare import welfare_changes

        return welfare_changes(self)

    def welfare_totals(self, by: str | list[str] = "region") -> pd.DataFrame:
        """Welfare components summed over the horizon by ``by``, undiscounted and discounted at the scenario's rate."""
        from .welfare import discounted_totals

        return discounted_totals(self.welfare(), self.batch.discount_rate, self.years[0], by)

    def units(self) -> pd.DataFrame:
        """Basis, units and conversion factors of every stage (:func:`critmin.model.chain.units.stage_units`)."""
        from .units import stage_units

        return stage_units(self.market)

    def headline(self) -> dict:
        """Status, reason and a few totals (what a comparison table shows)."""
        row = {"scenario": self.name, "status": self.status, "message": self.message}
        fiscal = self.fiscal()
        row["fiscal_cost_total"] = float(fiscal["total"].sum(min_count=1)) if not fiscal.empty else 0.0
        row["fiscal_cost_discounted"] = float(fiscal["discounted_total"].sum(min_count=1)) if not fiscal.empty else 0.0
        if not self.converged:
            row["fiscal_cost_total"] = row["fiscal_cost_discounted"] = np.nan
        return row

    def instrument_notes(self) -> list[str]:
        """Instruments that were in force but never bound, found after solving (for converged members)."""
        if not self.converged:
            return []
        inst, i = self.batch.inst, self.i
        out = []
        p = self._arr("p")
        stages, regions = [s.name for s in self.market.stages], self.market.regions
        k = i if inst.floor_price.shape[0] > 1 else 0
        for s, r in zip(*np.nonzero((inst.floor_price[k] > 0).any(axis=0))):
            F = inst.floor_price[k, :, s, r]
            active = F > 0
            if self.market.stages[s].production[r] > 0 and np.all(p[active, s, r] >= F[active] if F.shape[0] > 1
                                                                   else p[:, s, r] >= F[0]):
                out.append(f"the floor on {regions[r]} {stages[s]} never binds: the market price stays at or above it "
                           "in every year in force (no payment beyond any upside sharing)")
        if inst.n_quotas:
            kq = i if inst.quota_cap.shape[0] > 1 else 0
            ship = self._arr("q_ship")
            for q in range(inst.n_quotas):
                cap = inst.quota_cap[kq, :, q]
                cap = np.broadcast_to(cap, (len(self.years),))
                active = np.isfinite(cap)
                if active.any() and np.all(ship[active, q] < cap[active] * (1 - 1e-9)):
                    o = regions[int(inst.quota_origin[i if inst.quota_origin.shape[0] > 1 else 0, q])]
                    out.append(f"the export quota on {o} never binds: shipments stay below it in every year in force")
        return out

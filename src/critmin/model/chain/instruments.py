"""Policy instruments of the chain engine as batched arrays over members and years.

A scenario's policies are compiled (:mod:`critmin.model.chain.policies`, one
``apply_<instrument>`` each) into one :class:`ChainInstruments` whose arrays the
kernel reads; the kernel never special-cases an instrument. Every array has a
neutral value, so members that use different instruments share one batch.

Leading axes: ``N`` members, ``T`` years (``years``). Either may be 1 and then
broadcasts (a member-independent or year-independent setting costs no memory).
``S`` stages, ``R`` regions, ``K`` export quotas, ``J`` new-capacity projects.

===================  ===================  ==============================================  =========
field                shape                meaning                                         neutral
===================  ===================  ==============================================  =========
tariff               (N, T, S, R, R)      ad valorem import duty ``[origin, dest]``       base
export_tax           (N, T, S, R, R)      ad valorem export tax                           base
trade_cost           (N, T, S, R, R)      per-tonne delivery/qualification cost           base
mip                  (N, T, S, R, R)      minimum import price (variable levy)            0
allowed              (N, T, S, R, R)      False: route banned                             True
floor_price          (N, T, S, R)         CfD strike on eligible producers                0
floor_upside         (N, T, S, R)         payer's share of the price above the strike     0
floor_cap            (N, T, S, R)         tonnes per year the CfD covers                  inf
floor_payer          (N, T, S, R)         region index of the paying government           -1
floor_eligible       (N, S, R)            share of existing output eligible               0
offtake_quantity     (N, T, S, R)         tonnes bought per year from the producers       0
offtake_dest         (N, T, S, R)         region receiving the offtake                    -1
offtake_to_stock     (N, T, S, R)         True: into the payer's stockpile                False
blr_floor            (N, T, S, R)         buyer-of-last-resort price                      nan
blr_payer            (N, T, S, R)         region index of the buying government           -1
stock                (N, T, S, R)         government net purchase (+) / release (-)       0
capacity             (N, T, S, R)         multiplier of existing producers' scale         1
demand_shift         (N, T, S, R)         multiplier of final use (growth, shocks)        growth
substitution ...     (N, S, R)            behavioural parameters (Monte Carlo varies)     market
quota_stage/origin   (N, K)               stage and exporter of quota k                   0
quota_dest           (N, K, R)            destinations covered                            False
quota_cap            (N, T, K)            tonnes per year                                 inf
nc_stage/region/market  (N, J)            stage, location, market sold in                 -
nc_capacity          (N, T, J)            ramped capacity, tonnes per year                0
nc_cost              (N, J)               unit operating cost (feed excluded)             -
nc_input             (N, J)               feed tonnes per tonne (previous stage)          -
nc_eta               (N, J)               utilisation elasticity below unit cost          -
nc_floor, nc_cap     (N, T, J)            CfD strike and volume cap on its output         0, inf
nc_upside, nc_payer  (N, J)               upside share and paying government              0, -1
===================  ===================  ==============================================  =========
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from .elasticities import CHAIN_ELASTICITY_KINDS
from .market import ChainMarket

_YEAR_FIELDS = ("tariff", "export_tax", "trade_cost", "mip", "allowed", "floor_price", "floor_upside", "floor_cap",
                "floor_payer", "offtake_quantity", "offtake_dest", "offtake_to_stock", "blr_floor", "blr_payer",
                "stock", "capacity", "demand_shift", "quota_cap", "nc_capacity", "nc_floor", "nc_cap")


@dataclass
class ChainInstruments:
    """Batched policy arrays over members and years (see the module docstring)."""

    years: tuple[int, ...]
    tariff: np.ndarray
    export_tax: np.ndarray
    trade_cost: np.ndarray
    mip: np.ndarray
    allowed: np.ndarray
    floor_price: np.ndarray
    floor_upside: np.ndarray
    floor_cap: np.ndarray
    floor_payer: np.ndarray
    floor_eligible: np.ndarray
    offtake_quantity: np.ndarray
    offtake_dest: np.ndarray
    offtake_to_stock: np.ndarray
    blr_floor: np.ndarray
    blr_payer: np.ndarray
    stock: np.ndarray
    capacity: np.ndarray
    demand_shift: np.ndarray
    substitution: np.ndarray
    demand_short: np.ndarray
    demand_long: np.ndarray
    supply_short: np.ndarray
    supply_long: np.ndarray
    quota_stage: np.ndarray
    quota_origin: np.ndarray
    quota_dest: np.ndarray
    quota_cap: np.ndarray
    nc_stage: np.ndarray
    nc_region: np.ndarray
    nc_market: np.ndarray
    nc_capacity: np.ndarray
    nc_cost: np.ndarray
    nc_input: np.ndarray
    nc_eta: np.ndarray
    nc_floor: np.ndarray
    nc_cap: np.ndarray
    nc_upside: np.ndarray
    nc_payer: np.ndarray

    @classmethod
    def baseline(cls, market: ChainMarket, years: tuple[int, ...] | list[int], n: int = 1) -> "ChainInstruments":
        """``n`` members with nothing but the market's base wedges and baseline growth, over ``years``.

        Every per-year array has a year axis of length 1 except ``demand_shift``
        (baseline growth compounds from the base year).
        """
        years = tuple(int(y) for y in years)
        if not years or any(b != a + 1 for a, b in zip(years, years[1:])):
            raise ValueError(f"years must be consecutive, got {years}")
        if years[0] <= market.base_year:
            raise ValueError(f"the horizon starts after the base year {market.base_year}, got {years[0]}")
        S, R, T = market.n_stages, market.n_regions, len(years)

        def stacked(name: str) -> np.ndarray:
            return np.stack([getattr(st, name) for st in market.stages])

        def rr(a: np.ndarray) -> np.ndarray:
            return np.broadcast_to(a, (n, 1, S, R, R)).copy()

        def sr(value, dtype=float) -> np.ndarray:
            return np.full((n, 1, S, R), value, dtype=dtype)

        growth = stacked("growth")  # (S, R)
        elapsed = np.array(years, float) - market.base_year  # (T,)
        shift = (1.0 + growth[None]) ** elapsed[:, None, None]  # (T, S, R)
        return cls(
            years=years,
            tariff=rr(stacked("base_tariff")),
            export_tax=rr(stacked("base_export_tax")),
            trade_cost=rr(stacked("trade_cost")),
            mip=np.zeros((n, 1, S, R, R)),
            allowed=np.ones((n, 1, S, R, R), bool),
            floor_price=sr(0.0), floor_upside=sr(0.0), floor_cap=sr(np.inf), floor_payer=sr(-1, np.intp),
            floor_eligible=np.zeros((n, S, R)),
            offtake_quantity=sr(0.0), offtake_dest=sr(-1, np.intp), offtake_to_stock=sr(False, bool),
            blr_floor=sr(np.nan), blr_payer=sr(-1, np.intp),
            stock=sr(0.0), capacity=sr(1.0),
            demand_shift=np.broadcast_to(shift, (n, T, S, R)).copy(),
            **{k: np.broadcast_to(stacked(k), (n, S, R)).copy() for k in CHAIN_ELASTICITY_KINDS},
            quota_stage=np.zeros((n, 0), np.intp), quota_origin=np.zeros((n, 0), np.intp),
            quota_dest=np.zeros((n, 0, R), bool), quota_cap=np.zeros((n, 1, 0)),
            nc_stage=np.zeros((n, 0), np.intp), nc_region=np.zeros((n, 0), np.intp),
            nc_market=np.zeros((n, 0), np.intp), nc_capacity=np.zeros((n, 1, 0)), nc_cost=np.zeros((n, 0)),
            nc_input=np.zeros((n, 0)), nc_eta=np.zeros((n, 0)), nc_floor=np.zeros((n, 1, 0)),
            nc_cap=np.zeros((n, 1, 0)), nc_upside=np.zeros((n, 0)), nc_payer=np.zeros((n, 0), np.intp),
        )

    # --- shape helpers ---------------------------------------------------------
    @property
    def size(self) -> int:
        return max(getattr(self, f.name).shape[0] for f in fields(self) if f.name != "years")

    @property
    def n_years(self) -> int:
        return len(self.years)

    @property
    def n_quotas(self) -> int:
        return self.quota_stage.shape[1]

    @property
    def n_projects(self) -> int:
        return self.nc_stage.shape[1]

    def at(self, name: str, t: int) -> np.ndarray:
        """Year ``t`` of a per-year field, shape (N or 1, ...)."""
        arr = getattr(self, name)
        return arr[:, t if arr.shape[1] > 1 else 0]

    def expand_years(self, name: str) -> np.ndarray:
        """Give a per-year field its full year axis (copy) so that single years can be edited."""
        arr = getattr(self, name)
        if arr.shape[1] != self.n_years:
            arr = np.repeat(arr, self.n_years, axis=1)
            setattr(self, name, arr)
        return arr

    def with_quota_slots(self, k: int) -> "ChainInstruments":
        """Pad the quota axis with inactive quotas (cap inf) up to ``k`` slots."""
        extra = k - self.n_quotas
        if extra <= 0:
            return self
        n, r = self.quota_dest.shape[0], self.quota_dest.shape[2]
        t = self.quota_cap.shape[1]
        return replace(
            self,
            quota_stage=np.concatenate([self.quota_stage, np.zeros((n, extra), np.intp)], axis=1),
            quota_origin=np.concatenate([self.quota_origin, np.zeros((n, extra), np.intp)], axis=1),
            quota_dest=np.concatenate([self.quota_dest, np.zeros((n, extra, r), bool)], axis=1),
            quota_cap=np.concatenate([self.quota_cap, np.full((n, t, extra), np.inf)], axis=2),
        )

    def with_project_slots(self, j: int) -> "ChainInstruments":
        """Pad the new-capacity axis with empty projects (capacity 0) up to ``j`` slots."""
        extra = j - self.n_projects
        if extra <= 0:
            return self
        n = self.nc_stage.shape[0]

        def pad(name: str, fill, dtype=float) -> np.ndarray:
            arr = getattr(self, name)
            shape = arr.shape[:-1] + (extra,)
            return np.concatenate([arr, np.full(shape, fill, dtype=dtype)], axis=-1)

        return replace(
            self, nc_stage=pad("nc_stage", 0, np.intp), nc_region=pad("nc_region", 0, np.intp),
            nc_market=pad("nc_market", 0, np.intp), nc_capacity=pad("nc_capacity", 0.0), nc_cost=pad("nc_cost", 1.0),
            nc_input=pad("nc_input", 0.0), nc_eta=pad("nc_eta", 1.0), nc_floor=pad("nc_floor", 0.0),
            nc_cap=pad("nc_cap", np.inf), nc_upside=pad("nc_upside", 0.0), nc_payer=pad("nc_payer", -1, np.intp),
        )

    def members(self, idx: np.ndarray | slice) -> "ChainInstruments":
        """A subset of members (fields with a member axis of 1 stay shared)."""
        out = {}
        for f in fields(self):
            arr = getattr(self, f.name)
            out[f.name] = arr if f.name == "years" or arr.shape[0] == 1 else arr[idx]
        return ChainInstruments(**out)

    def materialise(self, n: int) -> "ChainInstruments":
        """Every field with a member axis of exactly ``n`` (copies), so members can be edited one by one."""
        out = {}
        for f in fields(self):
            arr = getattr(self, f.name)
            out[f.name] = arr if f.name == "years" else np.broadcast_to(arr, (n,) + arr.shape[1:]).copy()
        return ChainInstruments(**out)

    @staticmethod
    def stack(items: "list[ChainInstruments]") -> "ChainInstruments":
        """Concatenate members (quota and project axes padded, year axes expanded where they differ)."""
        if not items:
            raise ValueError("nothing to stack")
        years = items[0].years
        if any(i.years != years for i in items):
            raise ValueError("members of one batch share the horizon")
        k = max(i.n_quotas for i in items)
        j = max(i.n_projects for i in items)
        items = [i.with_quota_slots(k).with_project_slots(j) for i in items]
        out = {"years": years}
        for f in fields(ChainInstruments):
            if f.name == "years":
                continue
            arrays = [getattr(i, f.name) for i in items]
            if f.name in _YEAR_FIELDS and len({a.shape[1] for a in arrays}) > 1:
                arrays = [np.repeat(a, len(years), axis=1) if a.shape[1] == 1 else a for a in arrays]
            sizes = [i.size for i in items]
            arrays = [np.broadcast_to(a, (s,) + a.shape[1:]) for a, s in zip(arrays, sizes)]
            out[f.name] = np.concatenate(arrays, axis=0)
        return ChainInstruments(**out)

"""Policy instruments as batched arrays: what the kernel applies.

Scenario files (:mod:`critmin.model.scenario`) are compiled into one
:class:`Instruments` object whose arrays all carry a leading batch axis ``N``;
the kernel never special-cases an instrument, it only reads these arrays.
Every array has a neutral value, so a batch can mix scenarios that use
different instruments:

================  ===========  ==========================================  =========
field             shape        meaning                                     neutral
================  ===========  ==========================================  =========
tariff            (N, R, R)    ad valorem import duty ``[origin, dest]``   base
export_tax        (N, R, R)    ad valorem export tax ``[origin, dest]``    base
mip               (N, R, R)    minimum import price (variable levy)        0
allowed           (N, R, R)    False = variety banned (removed from nest)  True
quota_origin      (N, K)       exporter of export quota k                  0
quota_dest        (N, K, R)    destinations covered by quota k             False
quota_cap         (N, K)       quantity cap of quota k                     inf
cfd_floor         (N, R)       contract-for-difference floor by origin     0
cfd_share         (N, R)       government share of upside above the floor  0
cfd_eligible      (N, R)       share of the origin's output eligible       0
blr_floor         (N, R)       buyer-of-last-resort floor by origin        nan
stock             (N, R)       government net purchase (+) / release (-)   0
capacity          (N, R)       supply-curve multiplier by origin           1
demand_shift      (N, R)       demand-curve multiplier by destination      1
substitution      (N, R)       Armington elasticity by destination         market
demand            (N, R)       composite demand elasticity                 market
supply            (N, R)       supply elasticity by origin                 market
================  ===========  ==========================================  =========
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from .market import Market

_FIELDS_RR = ("tariff", "export_tax", "mip", "allowed")
_FIELDS_R = ("cfd_floor", "cfd_share", "cfd_eligible", "blr_floor", "stock", "capacity",
             "demand_shift", "substitution", "demand", "supply")
_FIELDS_K = ("quota_origin", "quota_dest", "quota_cap")


@dataclass
class Instruments:
    """Batched policy arrays; see the module docstring for the table of fields."""

    tariff: np.ndarray
    export_tax: np.ndarray
    mip: np.ndarray
    allowed: np.ndarray
    quota_origin: np.ndarray
    quota_dest: np.ndarray
    quota_cap: np.ndarray
    cfd_floor: np.ndarray
    cfd_share: np.ndarray
    cfd_eligible: np.ndarray
    blr_floor: np.ndarray
    stock: np.ndarray
    capacity: np.ndarray
    demand_shift: np.ndarray
    substitution: np.ndarray
    demand: np.ndarray
    supply: np.ndarray

    @classmethod
    def baseline(cls, market: Market, n: int = 1) -> "Instruments":
        """``n`` copies of the base policy: nothing but the base wedges."""
        r = market.n_regions

        def rr(a: np.ndarray) -> np.ndarray:
            return np.broadcast_to(a, (n, r, r)).copy()

        def vec(a: np.ndarray | float) -> np.ndarray:
            return np.broadcast_to(np.asarray(a, float), (n, r)).copy()

        return cls(
            tariff=rr(market.base_tariff),
            export_tax=rr(market.base_export_tax),
            mip=np.zeros((n, r, r)),
            allowed=np.ones((n, r, r), dtype=bool),
            quota_origin=np.zeros((n, 0), dtype=np.intp),
            quota_dest=np.zeros((n, 0, r), dtype=bool),
            quota_cap=np.zeros((n, 0)),
            cfd_floor=vec(0.0),
            cfd_share=vec(0.0),
            cfd_eligible=vec(0.0),
            blr_floor=vec(np.nan),
            stock=vec(0.0),
            capacity=vec(1.0),
            demand_shift=vec(1.0),
            substitution=vec(market.substitution),
            demand=vec(market.demand),
            supply=vec(market.supply),
        )

    @property
    def size(self) -> int:
        return self.tariff.shape[0]

    @property
    def n_quotas(self) -> int:
        return self.quota_cap.shape[1]

    def with_quota_slots(self, k: int) -> "Instruments":
        """Pad the quota axis with inactive quotas (cap ``inf``) up to ``k`` slots."""
        extra = k - self.n_quotas
        if extra < 0:
            raise ValueError("cannot shrink the quota axis")
        if extra == 0:
            return self
        n, r = self.size, self.tariff.shape[1]
        return replace(
            self,
            quota_origin=np.concatenate([self.quota_origin, np.zeros((n, extra), np.intp)], axis=1),
            quota_dest=np.concatenate([self.quota_dest, np.zeros((n, extra, r), bool)], axis=1),
            quota_cap=np.concatenate([self.quota_cap, np.full((n, extra), np.inf)], axis=1),
        )

    def member_slice(self, sl: slice) -> "Instruments":
        """Members ``sl`` as a batch of views (no copy)."""
        return replace(self, **{f.name: getattr(self, f.name)[sl] for f in fields(self)})

    def member(self, i: int) -> "Instruments":
        """Batch member ``i`` as a batch of one."""
        return replace(self, **{f.name: getattr(self, f.name)[i : i + 1].copy() for f in fields(self)})

    @staticmethod
    def stack(items: "list[Instruments]") -> "Instruments":
        """Concatenate batches along the batch axis (quota slots padded)."""
        if not items:
            raise ValueError("nothing to stack")
        k = max(i.n_quotas for i in items)
        padded = [i.with_quota_slots(k) for i in items]
        return Instruments(**{f.name: np.concatenate([getattr(i, f.name) for i in padded], axis=0)
                              for f in fields(Instruments)})

    def repeat(self, n: int) -> "Instruments":
        """Tile a batch of one ``n`` times (for sweeps that then edit arrays in place)."""
        if self.size != 1:
            raise ValueError("repeat() expects a batch of one")
        return Instruments(**{f.name: np.repeat(getattr(self, f.name), n, axis=0) for f in fields(self)})

"""Compile validated instruments into the kernel's arrays: one ``apply_<instrument>`` each, in a fixed order.

Order (instruments interact, so the order is part of the model):

1. ``apply_club``: duty-free among members; the club's external duty
   *replaces* members' duties on others, its external MIP and qualification
   cost apply to others;
2. ``apply_tariff``: *added* to the duties after step 1;
3. ``apply_minimum_import_price``: the higher of any club MIP and this one;
4. ``apply_export_restriction``: bans remove routes, quotas and licensing
   delays become complementarity conditions, taxes add to the export tax;
5. ``apply_new_capacity``: projects (needed before contracts can name them);
6. ``apply_capacity_change``: relative changes of existing producers;
7. ``apply_price_floor``: contracts for difference (one contract per producer group);
8. ``apply_buyer_of_last_resort``;
9. ``apply_offtake``: a fixed-price contract plus the delivery;
10. ``apply_stockpile``;
11. ``apply_demand``: shocks and growth.

Each function validates its entry against the market (unknown region or
stage: an error naming the field), writes the arrays of a batch of one over
the horizon, and returns notes: what it assumes, and, when it can do
nothing, why (a floor on zero output, a ban on a route with no tonnes...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .instruments import ChainInstruments
from .market import ChainMarket
from .scenario import (BuyerOfLastResort, CapacityChange, ChainPolicies, Club, DemandShock, ExportRestriction, Horizon,
                       MinimumImportPrice, NewCapacity, Offtake, PriceFloor, Stockpile, Tariff)


class ChainScenarioError(ValueError):
    """An instrument that cannot be compiled, with the offending field in the message."""


@dataclass
class Compiler:
    """The batch-of-one arrays being written and what the apply functions share."""

    market: ChainMarket
    inst: ChainInstruments
    years: tuple[int, ...]
    notes: list[str] = field(default_factory=list)
    projects: dict[str, int] = field(default_factory=dict)
    contracts: dict[tuple[int, int], str] = field(default_factory=dict)  # (stage, region) -> where

    # --- lookups ---------------------------------------------------------------
    def region(self, name: str, where: str) -> int:
        if name not in self.market.regions:
            raise ChainScenarioError(f"{where}: unknown region {name!r}; the market has {list(self.market.regions)}")
        return self.market.regions.index(name)

    def regions(self, names, where: str, *, allow_all: bool = True) -> list[int]:
        if isinstance(names, str):
            if names == "all" and allow_all:
                return list(range(self.market.n_regions))
            names = [names]
        return [self.region(x, where) for x in names]

    def stage(self, name: str, where: str) -> int:
        names = [s.name for s in self.market.stages]
        if name not in names:
            raise ChainScenarioError(f"{where}: unknown stage {name!r}; the {self.market.mineral} chain has {names}")
        return names.index(name)

    def window(self, years, where: str) -> np.ndarray:
        """Bool mask over the horizon for an instrument's ``years`` (whole horizon when absent)."""
        if years is None:
            return np.ones(len(self.years), bool)
        first, last = years
        if last < first:
            raise ChainScenarioError(f"{where}.years: last year {last} is before first year {first}")
        mask = (np.array(self.years) >= first) & (np.array(self.years) <= last)
        if not mask.any():
            self.notes.append(f"{where}: in force {first}-{last}, outside the horizon {self.years[0]}-{self.years[-1]}: "
                              "it does nothing")
        return mask

    def year_field(self, name: str) -> np.ndarray:
        """The field's (1, T, ...) array with a full year axis, for in-place edits."""
        return self.inst.expand_years(name)

    def label(self, s: int) -> str:
        st = self.market.stages[s]
        return f"{st.name} ({st.basis})"


def _routes_carry_tonnes(c: Compiler, s: int, origins: Sequence[int], dests: Sequence[int]) -> bool:
    flows = c.market.stages[s].flows
    return any(flows[o, d] > 0 for o in origins for d in dests if o != d)


def apply_club(c: Compiler, club: Club, where: str) -> None:
    s = c.stage(club.stage, f"{where}.stage")
    members = c.regions(club.members, f"{where}.members", allow_all=False)
    mask = c.window(club.years, where)
    outside = [o for o in range(c.market.n_regions) if o not in members]
    tariff, mip, tc = c.year_field("tariff"), c.year_field("mip"), c.year_field("trade_cost")
    for d in members:
        for o in members:
            if o != d:
                tariff[0, mask, s, o, d] = 0.0
        for o in outside:
            if club.external_tariff is not None:
                tariff[0, mask, s, o, d] = club.external_tariff
            if club.external_mip is not None:
                mip[0, mask, s, o, d] = np.maximum(mip[0, mask, s, o, d], club.external_mip)
            if club.qualification_cost is not None:
                tc[0, mask, s, o, d] += club.qualification_cost
    parts = [f"club {club.name} ({', '.join(club.members)}) at {c.label(s)}: duty-free among members"]
    if club.external_tariff is not None:
        parts.append(f"external duty {club.external_tariff:g} replaces members' duties on others")
    if club.external_mip is not None:
        parts.append(f"external minimum import price {club.external_mip:g}")
    if club.qualification_cost is not None:
        parts.append(f"non-members pay a qualification cost of {club.qualification_cost:g} per {c.market.stages[s].unit}")
    c.notes.append("; ".join(parts))
    if not _routes_carry_tonnes(c, s, members, members) and club.external_tariff is None and \
            club.external_mip is None and club.qualification_cost is None:
        c.notes.append(f"{where}: members do not trade with each other at the base and nothing applies to others: "
                       "the club changes nothing")


def apply_tariff(c: Compiler, t: Tariff, where: str) -> None:
    s = c.stage(t.stage, f"{where}.stage")
    importers = c.regions(t.importer, f"{where}.importer")
    exempt = set(c.regions(t.exempt, f"{where}.except", allow_all=False))
    origins = [o for o in c.regions(t.origins, f"{where}.origins") if o not in exempt]
    mask = c.window(t.years, where)
    tariff = c.year_field("tariff")
    for d in importers:
        for o in origins:
            if o != d:
                tariff[0, mask, s, o, d] += t.rate
    if not _routes_carry_tonnes(c, s, origins, importers):
        c.notes.append(f"{where}: no tonnes move on the taxed routes at the base (routes without base trade stay "
                       "closed in this formulation): the duty changes nothing")


def apply_minimum_import_price(c: Compiler, m: MinimumImportPrice, where: str) -> None:
    s = c.stage(m.stage, f"{where}.stage")
    importers = c.regions(m.importer, f"{where}.importer")
    exempt = set(c.regions(m.exempt, f"{where}.exempt", allow_all=False))
    origins = [o for o in c.regions(m.origins, f"{where}.origins") if o not in exempt]
    mask = c.window(m.years, where)
    mip = c.year_field("mip")
    for d in importers:
        for o in origins:
            if o != d:
                mip[0, mask, s, o, d] = np.maximum(mip[0, mask, s, o, d], m.price)
    if not _routes_carry_tonnes(c, s, origins, importers):
        c.notes.append(f"{where}: no tonnes move on the covered routes at the base: the minimum import price "
                       "changes nothing")
    c0 = c.market.base_delivered_cost(s)
    covered = [c0[o, d] for o in origins for d in importers if o != d and c.market.stages[s].flows[o, d] > 0]
    if covered and m.price <= min(covered):
        c.notes.append(f"{where}: the minimum import price {m.price:g} is at or below every covered route's base "
                       f"delivered cost (lowest {min(covered):.6g}); it binds only in years prices fall below it")


def apply_export_restriction(c: Compiler, x: ExportRestriction, where: str) -> None:
    s = c.stage(x.stage, f"{where}.stage")
    o = c.region(x.exporter, f"{where}.exporter")
    dests = [d for d in c.regions(x.importers, f"{where}.importers") if d != o]
    if not dests:
        raise ChainScenarioError(f"{where}.importers: no destination other than the exporter itself")
    mask = c.window(x.years, where)
    flows = c.market.stages[s].flows
    base = float(sum(flows[o, d] for d in dests))
    if base <= 0:
        c.notes.append(f"{where}: {x.exporter} ships no {c.label(s)} to {', '.join(c.market.regions[d] for d in dests)} "
                       f"at the base: the {x.kind.replace('_', ' ')} changes nothing")
    # one destination at a time: a boolean year mask and a list of destinations in one index would be
    # paired element by element by numpy (year i with destination i), not crossed
    if x.kind == "ban" or (x.kind == "quota" and x.quantity == 0):
        allowed = c.year_field("allowed")
        for d in dests:
            allowed[0, mask, s, o, d] = False
        return
    if x.kind == "tax":
        tax = c.year_field("export_tax")
        for d in dests:
            tax[0, mask, s, o, d] += x.rate
        return
    if x.kind == "quota":
        cap = float(x.quantity)
    else:  # licensing delay: no licensed shipments for `days`, then the base pace
        cap = (1.0 - x.days / 365.0) * base
        c.notes.append(f"{where}: a licensing delay of {x.days:g} days is modelled as a cap of {1 - x.days / 365:.1%} of "
                       f"the base-year shipments on the covered routes ({cap:.6g} {c.market.stages[s].unit} a year)")
    k = c.inst.n_quotas
    c.inst = c.inst.with_quota_slots(k + 1)
    c.inst.quota_stage[0, k] = s
    c.inst.quota_origin[0, k] = o
    c.inst.quota_dest[0, k, dests] = True
    qcap = c.year_field("quota_cap")
    qcap[0, mask, k] = cap
    if cap >= base > 0 and x.kind == "quota":
        c.notes.append(f"{where}: the quota {cap:g} is at or above the base shipments ({base:.6g}); it binds only "
                       "if they would grow past it")


def apply_new_capacity(c: Compiler, p: NewCapacity, where: str) -> None:
    if p.name in c.projects:
        raise ChainScenarioError(f"{where}.name: a second project named {p.name!r}")
    s = c.stage(p.stage, f"{where}.stage")
    r = c.region(p.region, f"{where}.region")
    m = c.region(p.market, f"{where}.market") if p.market is not None else r
    st = c.market.stages[s]
    if s == 0:
        coef = 0.0
        if p.input_coefficient is not None:
            raise ChainScenarioError(f"{where}.input_coefficient: the first stage has no feed")
    elif p.input_coefficient is not None:
        coef = p.input_coefficient
        c.notes.append(f"{where}: feed {coef:g} t of {c.label(s - 1)} per t (user assumption)")
    elif st.input_coefficient[r] > 0:
        coef = float(st.input_coefficient[r])
    else:
        q = st.production
        coef = float(np.average(st.input_coefficient[q > 0], weights=q[q > 0]))
        c.notes.append(f"{where}: {p.region} has no {st.name} output at the base; the project's feed per tonne is the "
                       f"output-weighted mean input coefficient of the stage, {coef:.4g}")
    eta = p.utilisation_elasticity
    if eta is None:
        eta = float(st.supply_long[r]) if st.supply_long[r] > 0 else 1.0
        c.notes.append(f"{where}: below its unit cost the project's utilisation falls with elasticity {eta:g} (the "
                       "region's long-run supply elasticity: an assumption)")
    j = c.inst.n_projects
    c.inst = c.inst.with_project_slots(j + 1)
    c.projects[p.name] = j
    inst = c.inst
    inst.nc_stage[0, j], inst.nc_region[0, j], inst.nc_market[0, j] = s, r, m
    inst.nc_cost[0, j], inst.nc_input[0, j], inst.nc_eta[0, j] = p.unit_cost, coef, eta
    years = np.array(c.years)
    ramp = np.clip((years - p.start + 1) / p.ramp_years, 0.0, 1.0)
    capacity = c.year_field("nc_capacity")
    capacity[0, :, j] = p.capacity * ramp
    c.notes.append(f"new capacity {p.name}: {p.capacity:g} {st.unit}/yr of {c.label(s)} in {p.region} from {p.start}"
                   f" (ramp-up over {p.ramp_years} yr), unit cost {p.unit_cost:g} {st.price_unit} before feed, sold as a "
                   f"price taker in {c.market.regions[m]}; its investment cost is not in the welfare figures")
    if p.start > c.years[-1]:
        c.notes.append(f"{where}: starts in {p.start}, after the horizon: it does nothing")


def apply_capacity_change(c: Compiler, x: CapacityChange, where: str) -> None:
    s = c.stage(x.stage, f"{where}.stage")
    r = c.region(x.region, f"{where}.region")
    mask = c.window(x.years, where)
    capacity = c.year_field("capacity")
    capacity[0, mask, s, r] *= 1.0 + x.change
    if c.market.stages[s].production[r] <= 0:
        c.notes.append(f"{where}: {x.region} has no {c.label(s)} output at the base, so a relative change does "
                       "nothing; give it new_capacity in tonnes instead")


def _claim(c: Compiler, s: int, r: int, where: str) -> None:
    if (s, r) in c.contracts:
        raise ChainScenarioError(f"{where}: producers of {c.market.regions[r]} at {c.market.stages[s].name} already "
                                 f"have a contract ({c.contracts[(s, r)]}); one contract per producer group")
    c.contracts[(s, r)] = where


def apply_price_floor(c: Compiler, f: PriceFloor, where: str) -> None:
    s = c.stage(f.stage, f"{where}.stage")
    payer = c.region(f.payer, f"{where}.payer")
    mask = c.window(f.years, where)
    cap = np.inf if f.volume_cap is None else f.volume_cap
    for name in f.producers:
        r = c.region(name, f"{where}.producers")
        _claim(c, s, r, where)
        if c.market.stages[s].production[r] <= 0:
            c.notes.append(f"{where}: {name} has no {c.label(s)} output at the base: a floor on its existing producers "
                           "pays nothing and does nothing (put the floor on a new-capacity project instead)")
        for fname, value in (("floor_price", f.floor), ("floor_upside", f.upside_share), ("floor_cap", cap),
                             ("floor_payer", payer)):
            arr = c.year_field(fname)
            arr[0, mask, s, r] = value
        c.inst.floor_eligible[0, s, r] = f.eligible_share
    for name in f.projects:
        if name not in c.projects:
            raise ChainScenarioError(f"{where}.projects: unknown project {name!r}; new_capacity has {list(c.projects)}")
        j = c.projects[name]
        if c.inst.nc_stage[0, j] != s:
            raise ChainScenarioError(f"{where}.projects: {name} is at another stage than {f.stage}")
        if c.inst.nc_upside[0, j] or c.inst.nc_payer[0, j] >= 0:
            raise ChainScenarioError(f"{where}.projects: {name} already has a contract")
        c.year_field("nc_floor")[0, mask, j] = f.floor
        c.year_field("nc_cap")[0, mask, j] = cap
        c.inst.nc_upside[0, j] = f.upside_share
        c.inst.nc_payer[0, j] = payer
    c.notes.append(f"price floor {f.floor:g} {c.market.stages[s].price_unit} at {c.label(s)} paid by {f.payer} as a "
                   f"contract for difference on {', '.join(f.producers + f.projects)}"
                   + (f", {f.upside_share:.0%} of the upside to the payer" if f.upside_share else "")
                   + (f", at most {cap:g} {c.market.stages[s].unit}/yr per group" if np.isfinite(cap) else "")
                   + "; eligible output responds to the floor (marginal tonnes above the cap to the market price)")


def apply_buyer_of_last_resort(c: Compiler, b: BuyerOfLastResort, where: str) -> None:
    s = c.stage(b.stage, f"{where}.stage")
    payer = c.region(b.payer, f"{where}.payer")
    mask = c.window(b.years, where)
    for name in b.producers:
        r = c.region(name, f"{where}.producers")
        if c.market.stages[s].production[r] <= 0:
            c.notes.append(f"{where}: {name} has no {c.label(s)} output at the base: nothing to buy")
            continue
        c.year_field("blr_floor")[0, mask, s, r] = b.floor
        c.year_field("blr_payer")[0, mask, s, r] = payer
    c.notes.append(f"buyer of last resort: {b.payer} buys any {c.label(s)} output of {', '.join(b.producers)} offered "
                   f"at {b.floor:g}, into its stockpile (counted at cost; resale value not counted)")


def apply_offtake(c: Compiler, o: Offtake, where: str) -> None:
    s = c.stage(o.stage, f"{where}.stage")
    payer = c.region(o.payer, f"{where}.payer")
    r = c.region(o.producers, f"{where}.producers")
    dest = c.region(o.destination, f"{where}.destination")
    mask = c.window(o.years, where)
    _claim(c, s, r, where)
    if c.market.stages[s].production[r] <= 0:
        c.notes.append(f"{where}: {o.producers} has no {c.label(s)} output at the base: nothing to buy (an offtake from "
                       "a new project is a new_capacity entry with `market` and a price floor)")
        return
    for fname, value in (("floor_price", o.price), ("floor_upside", 1.0), ("floor_cap", o.quantity),
                         ("floor_payer", payer), ("offtake_quantity", o.quantity), ("offtake_dest", dest),
                         ("offtake_to_stock", o.to_stockpile)):
        c.year_field(fname)[0, mask, s, r] = value
    c.inst.floor_eligible[0, s, r] = 1.0
    c.notes.append(f"offtake: {o.payer} buys {o.quantity:g} {c.market.stages[s].unit}/yr of {c.label(s)} from "
                   f"{o.producers} at {o.price:g} (a fixed price both ways), delivered to {o.destination} "
                   + ("into its stockpile" if o.to_stockpile else "and resold there at the market price")
                   + "; duties on the delivery are not charged")


def apply_stockpile(c: Compiler, x: Stockpile, where: str) -> None:
    s = c.stage(x.stage, f"{where}.stage")
    r = c.region(x.region, f"{where}.region")
    mask = c.window(x.years, where)
    c.year_field("stock")[0, mask, s, r] += x.quantity
    level = x.initial + np.cumsum(np.where(mask, x.quantity, 0.0))
    if np.any(level < -1e-9 * max(abs(x.quantity), 1.0)):
        year = c.years[int(np.argmax(level < 0))]
        raise ChainScenarioError(f"{where}.quantity: releasing {abs(x.quantity):g} a year empties the stock of "
                                 f"{x.initial:g} {c.market.stages[s].unit} in {year}; give `initial` or shorten `years`")
    c.notes.append(f"stockpile {'purchase' if x.quantity >= 0 else 'release'} of {abs(x.quantity):g} "
                   f"{c.market.stages[s].unit}/yr of {c.label(s)} in {x.region}, bought or sold at the region's price")


def apply_demand(c: Compiler, x: DemandShock, where: str) -> None:
    s = c.stage(x.stage, f"{where}.stage")
    regions = c.regions(x.region, f"{where}.region")
    mask = c.window(x.years, where)
    shift = c.year_field("demand_shift")
    elapsed = np.cumsum(mask) - 1  # years since the first year in force
    factor = np.where(mask, (1.0 + x.change) * (1.0 + x.growth) ** np.maximum(elapsed, 0), 1.0)
    for r in regions:
        shift[0, :, s, r] *= factor
        if c.market.final_use(s)[r] <= 0:
            c.notes.append(f"{where}: {c.market.regions[r]} has no final use of {c.label(s)} at the base: the shock "
                           "changes nothing there")


#: (policies field, apply function), in the order they are applied
ORDER: tuple[tuple[str, Callable], ...] = (
    ("clubs", apply_club),
    ("tariffs", apply_tariff),
    ("minimum_import_prices", apply_minimum_import_price),
    ("export_restrictions", apply_export_restriction),
    ("new_capacity", apply_new_capacity),
    ("capacity", apply_capacity_change),
    ("price_floors", apply_price_floor),
    ("buyer_of_last_resort", apply_buyer_of_last_resort),
    ("offtakes", apply_offtake),
    ("stockpiles", apply_stockpile),
    ("demand", apply_demand),
)


def compile_chain_policies(market: ChainMarket, policies: ChainPolicies, horizon: Horizon,
                           prefix: str = "policies") -> tuple[ChainInstruments, list[str], dict[str, int]]:
    """Instrument arrays (a batch of one), notes, and the project index by name, for one mineral's policies."""
    years = tuple(range(horizon.start, horizon.end + 1))
    try:
        inst = ChainInstruments.baseline(market, years, 1)
    except ValueError as err:
        raise ChainScenarioError(f"horizon: {err}") from None
    c = Compiler(market, inst, years)
    for name, apply in ORDER:
        for j, entry in enumerate(getattr(policies, name)):
            where = f"{prefix}.{name}.{j}"
            span = getattr(entry, "years", None)
            if span is not None and not c.window(span, where).any():
                continue  # in force in no year of the horizon: window() noted that it does nothing
            apply(c, entry, where)
    return c.inst, c.notes, dict(c.projects)

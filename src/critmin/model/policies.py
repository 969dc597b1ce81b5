"""Turn validated scenario objects into a market and instrument arrays.

Order of application (documented because instruments interact):

1. base wedges of the market (base tariffs and export taxes);
2. trading clubs: tariffs between members set to zero; the common external
   tariff replaces members' tariffs on non-members; a common external minimum
   import price applies to imports from non-members;
3. tariffs: *added* to the tariffs after step 2 (an additional duty);
4. minimum import prices: the higher of any club MIP and this one;
5. export restrictions (bans remove the variety; quotas become complementarity
   conditions; taxes add to the base export tax);
6. price floors, buyer of last resort, stockpiles, capacity and demand shifts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .calibrate import calibrate
from .instruments import Instruments
from .market import Market
from .scenario import MarketFromKB, MarketSpec, Policies, Scenario, ScenarioError, load_market_spec, resolve_kb_market


def _indices(market: Market, names: str | Sequence[str], where: str, *, allow_all: bool = True) -> list[int]:
    if isinstance(names, str):
        if names == "all" and allow_all:
            return list(range(market.n_regions))
        names = [names]
    out = []
    for name in names:
        if name not in market.regions:
            raise ScenarioError(f"{where}: unknown region {name!r}; the market has {list(market.regions)}")
        out.append(market.regions.index(name))
    return out


def build_market(spec: MarketSpec) -> Market:
    """Calibrate the market a :class:`MarketSpec` describes."""
    regions = spec.regions
    n = len(regions)
    if isinstance(spec.price, dict):
        missing = set(regions) - set(spec.price)
        if missing:
            raise ScenarioError(f"market.price: no price for {sorted(missing)}")
        price = [spec.price[r] for r in regions]
    else:
        price = spec.price

    def vector(field: str, values: dict[str, float] | None) -> list[float] | None:
        if values is None:
            return None
        unknown = set(values) - set(regions)
        if unknown:
            raise ScenarioError(f"market.{field}: unknown region(s) {sorted(unknown)}")
        return [float(values.get(r, 0.0)) for r in regions]

    flows = None
    if spec.flows is not None:
        if isinstance(spec.flows, dict):
            flows = np.zeros((n, n))
            for o, row in spec.flows.items():
                if o not in regions:
                    raise ScenarioError(f"market.flows: unknown origin {o!r}")
                for d, value in row.items():
                    if d not in regions:
                        raise ScenarioError(f"market.flows.{o}: unknown destination {d!r}")
                    flows[regions.index(o), regions.index(d)] = value
        else:
            flows = np.asarray(spec.flows, float)
            if flows.shape != (n, n):
                raise ScenarioError(f"market.flows: expected a {n}x{n} matrix, got shape {flows.shape}")
    base_tariff = np.zeros((n, n))
    for j, t in enumerate(spec.base_tariffs):
        d = regions.index(t.importer) if t.importer in regions else None
        if d is None:
            raise ScenarioError(f"market.base_tariffs.{j}.importer: unknown region {t.importer!r}")
        origins = range(n) if t.origins == "all" else [regions.index(o) for o in t.origins if o in regions]
        for o in origins:
            if o != d:
                base_tariff[o, d] = t.rate
    notes = [f"source: {s}" for s in spec.sources] + list(spec.notes)
    try:
        return calibrate(
            regions,
            production=vector("production", spec.production),
            consumption=vector("consumption", spec.consumption),
            flows=flows,
            price=price,
            elasticities=spec.elasticities.as_dict(),
            base_tariff=base_tariff,
            balance=spec.balance,
            mineral=spec.mineral,
            stage=spec.stage,
            unit=spec.unit,
            price_unit=spec.price_unit,
            notes=notes,
            flows_source=spec.flows_source,
        )
    except ValueError as err:
        raise ScenarioError(f"market: {err}") from None


def market_spec(scenario: Scenario) -> MarketSpec:
    """The scenario's market specification, resolving ``{ref: ...}`` and ``{from_kb: ...}``.

    A knowledge-base market becomes an explicit :class:`MarketSpec` (regions, flows,
    price, and every source and assumption in ``notes``), so every later step treats
    both kinds alike.
    """
    if isinstance(scenario.market, MarketSpec):
        return scenario.market
    if isinstance(scenario.market, MarketFromKB):
        source = scenario.market.from_kb
        base = str(Path(scenario.source_path).parent) if scenario.source_path else None
        if source.flows is not None and base is None:
            raise ScenarioError("market.from_kb.flows: a trade file is only accepted in a scenario file "
                                "(the path is resolved next to it)")
        return resolve_kb_market(source, base)
    return load_market_spec(scenario.market.ref, scenario.source_path)


def compile_policies(market: Market, scenario: Scenario) -> tuple[Instruments, list[str]]:
    """Instrument arrays (a batch of one) and scenario notes for ``scenario`` on ``market``."""
    inst = Instruments.baseline(market, 1)
    notes: list[str] = []
    pol: Policies = scenario.policies
    n = market.n_regions

    for kind, value in scenario.elasticities.as_dict().items():
        arr = getattr(inst, kind)[0]
        if isinstance(value, dict):
            for region, v in value.items():
                if region == "default":
                    arr[:] = v
            for region, v in value.items():
                if region != "default":
                    arr[_indices(market, region, f"elasticities.{kind}", allow_all=False)[0]] = v
        else:
            arr[:] = value
        notes.append(f"{kind} elasticity overridden by the scenario ({value}): a user assumption")

    for j, club in enumerate(pol.clubs):
        members = _indices(market, club.members, f"policies.clubs.{j}.members", allow_all=False)
        outside = [o for o in range(n) if o not in members]
        for d in members:
            for o in members:
                inst.tariff[0, o, d] = 0.0
            for o in outside:
                if club.external_tariff is not None:
                    inst.tariff[0, o, d] = club.external_tariff
                if club.external_mip is not None:
                    inst.mip[0, o, d] = max(inst.mip[0, o, d], club.external_mip)
        notes.append(f"club {club.name} ({', '.join(club.members)}): duty-free inside"
                     + (f", common external tariff {club.external_tariff:g}" if club.external_tariff is not None else "")
                     + (f", common external minimum import price {club.external_mip:g}" if club.external_mip is not None else ""))

    for j, t in enumerate(pol.tariffs):
        where = f"policies.tariffs.{j}"
        importers = _indices(market, t.importer, f"{where}.importer")
        origins = set(_indices(market, t.origins, f"{where}.origins")) - set(_indices(market, t.exempt, f"{where}.except", allow_all=False))
        for d in importers:
            for o in origins:
                if o != d:
                    inst.tariff[0, o, d] += t.rate
    if pol.tariffs:
        notes.append("scenario tariffs are added to the tariffs in force (base and club)")

    for j, m in enumerate(pol.minimum_import_prices):
        where = f"policies.minimum_import_prices.{j}"
        importers = _indices(market, m.importer, f"{where}.importer")
        origins = set(_indices(market, m.origins, f"{where}.origins")) - set(_indices(market, m.exempt, f"{where}.exempt", allow_all=False))
        for d in importers:
            for o in origins:
                if o != d:
                    inst.mip[0, o, d] = max(inst.mip[0, o, d], m.price)

    quotas: list[tuple[int, np.ndarray, float]] = []
    for j, x in enumerate(pol.export_restrictions):
        where = f"policies.export_restrictions.{j}"
        o = _indices(market, x.exporter, f"{where}.exporter", allow_all=False)[0]
        dests = np.zeros(n, bool)
        dests[_indices(market, x.importers, f"{where}.importers")] = True
        dests[o] = False  # restrictions bind exports, never domestic sales
        if not dests.any():
            raise ScenarioError(f"{where}.importers: no destination other than the exporter itself")
        if x.kind == "ban" or (x.kind == "quota" and x.quantity == 0):
            inst.allowed[0, o, dests] = False
        elif x.kind == "quota":
            quotas.append((o, dests, float(x.quantity)))
        else:
            inst.export_tax[0, o, dests] += x.rate
    if quotas:
        inst = inst.with_quota_slots(len(quotas))
        for k, (o, dests, cap) in enumerate(quotas):
            inst.quota_origin[0, k] = o
            inst.quota_dest[0, k] = dests
            inst.quota_cap[0, k] = cap

    for j, f in enumerate(pol.price_floors):
        o = _indices(market, f.region, f"policies.price_floors.{j}.region", allow_all=False)[0]
        if inst.cfd_eligible[0, o] > 0:
            raise ScenarioError(f"policies.price_floors.{j}.region: a second floor on {f.region}")
        inst.cfd_floor[0, o] = f.floor
        inst.cfd_share[0, o] = f.upside_share
        inst.cfd_eligible[0, o] = f.eligible_share
    if pol.price_floors:
        notes.append("a price floor is a contract for difference paid by the government of the producing region "
                     "on the eligible share of output; eligible output responds to the effective price")

    for j, b in enumerate(pol.buyer_of_last_resort):
        o = _indices(market, b.region, f"policies.buyer_of_last_resort.{j}.region", allow_all=False)[0]
        inst.blr_floor[0, o] = b.floor
    if pol.buyer_of_last_resort:
        notes.append("buyer of last resort: the government of the producing region buys all output offered at "
                     "the floor; the stock is counted at cost and its resale value is not counted")

    for j, s in enumerate(pol.stockpile):
        d = _indices(market, s.region, f"policies.stockpile.{j}.region", allow_all=False)[0]
        inst.stock[0, d] += s.quantity
    if pol.stockpile:
        notes.append("stockpile purchases (+) or releases (-) buy or sell the region's CES composite at its price index")

    for j, c in enumerate(pol.capacity):
        o = _indices(market, c.region, f"policies.capacity.{j}.region", allow_all=False)[0]
        q0 = market.production[o]
        if c.change is not None:
            inst.capacity[0, o] *= 1 + c.change
        else:
            if q0 <= 0:
                raise ScenarioError(f"policies.capacity.{j}.add: {c.region} has zero base production; under Armington "
                                    "a new origin needs a base share (give the market a small base flow)")
            inst.capacity[0, o] *= 1 + c.add / q0
    if pol.capacity:
        notes.append("new capacity shifts the supply curve proportionally (more output at every price); "
                     "producer surplus counts its rents but not its investment cost")

    for j, s in enumerate(pol.demand_shocks):
        d = _indices(market, s.region, f"policies.demand_shocks.{j}.region", allow_all=False)[0]
        inst.demand_shift[0, d] *= 1 + s.change
    if pol.demand_shocks:
        notes.append("consumer surplus change under a demand shock is measured on the shocked demand curve")

    if scenario.focus is not None:
        _indices(market, scenario.focus, "focus", allow_all=False)
    return inst, notes

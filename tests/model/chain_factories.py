"""Market and policy factories for the chain engine's tests (hypothesis draws a seed; these build from it).

``MARKET_FACTORIES`` maps a name to ``f(rng) -> ChainMarket``. The property tests run
on every factory listed: generated chains and knowledge-base markets (single stages and
linked mine -> processing chains, :func:`kb_market`).
"""

from __future__ import annotations

import numpy as np

from critmin.model.chain import ChainInstruments, ChainMarket, Stage


def generated_market(rng: np.random.Generator, *, regions: int | None = None, stages: int | None = None,
                     sigma: float | None = None) -> ChainMarket:
    """A random multi-region, multi-stage chain whose tonnes balance (derived demand included)."""
    R = regions or int(rng.integers(2, 7))
    S = stages or int(rng.integers(1, 4))
    names = [f"R{i}" for i in range(R)]
    flows = []
    for _ in range(S):
        f = rng.uniform(0.2, 10.0, (R, R)) * (rng.uniform(size=(R, R)) < 0.6)
        np.fill_diagonal(f, rng.uniform(0.5, 20.0, R) * (rng.uniform(size=R) < 0.85))
        if f.sum(axis=1).max() <= 0:
            f[0, 0] = 5.0
        flows.append(f)
    coef = [np.zeros(R)] + [rng.uniform(0.8, 3.0, R) for _ in range(S - 1)]
    # make upstream use cover downstream needs: top up domestic sales upstream
    for s in range(S - 1, 0, -1):
        need = coef[s] * flows[s].sum(axis=1)
        use = flows[s - 1].sum(axis=0)
        deficit = need - use
        extra = np.where(deficit > 0, deficit + rng.uniform(0.0, 2.0, R), rng.uniform(0.0, 1.0, R) * (deficit > -1))
        flows[s - 1][np.arange(R), np.arange(R)] += extra
    prices = [rng.uniform(5.0, 20.0, R)]
    for s in range(1, S):
        upstream = prices[-1].max() * (1 + 0.2)
        prices.append(coef[s] * upstream * rng.uniform(1.5, 4.0, R) + rng.uniform(1, 10, R))
    sig = sigma if sigma is not None else float(rng.uniform(4.0, 50.0))
    stage_list = []
    for s in range(S):
        eps_l = rng.uniform(0.0, 1.5, R)
        eta_l = rng.uniform(0.0, 3.0, R)
        stage_list.append(Stage(
            f"stage{s}", "content", flows[s], prices[s], input_coefficient=coef[s] if s else None,
            base_tariff=rng.uniform(0, 0.2, (R, R)) * (rng.uniform(size=(R, R)) < 0.3) * (1 - np.eye(R)),
            trade_cost=rng.uniform(0, 0.5, (R, R)) * (rng.uniform(size=(R, R)) < 0.3) * (1 - np.eye(R)),
            substitution=sig * rng.uniform(0.8, 1.25, R), demand_short=eps_l * rng.uniform(0.2, 1.0, R),
            demand_long=eps_l, supply_short=eta_l * rng.uniform(0.2, 1.0, R), supply_long=eta_l,
            growth=rng.uniform(-0.02, 0.05, R) * (rng.uniform() < 0.5)))
    return ChainMarket("generated", names, stage_list, base_year=2025)


def kb_market(rng: np.random.Generator) -> ChainMarket:
    """A knowledge-base market (critmin.model.kb) at its low or high corner: a linked mine -> processing chain
    half the time (every one that calibrates, ``kb:<mineral>``), a single-stage market otherwise.

    Linked chains and single stages share one factory so that the properties run on both without more
    cases (and with 20 examples a chain is drawn with probability 1 - 2^-20).
    """
    from critmin.model.kb import calibrated, chains

    if rng.uniform() < 0.5:
        linked = sorted(chains().items())
        (_, k) = linked[int(rng.integers(len(linked)))]
    else:
        markets = sorted(calibrated().items())
        (_, k) = markets[int(rng.integers(len(markets)))]
    return k.high if rng.uniform() < 0.5 else k.low


MARKET_FACTORIES = {"generated": generated_market, "kb": kb_market}


TRADE_AND_SHIFTS = ("tariff", "mip", "ban", "export_tax", "stock", "shifts")
EVERY_INSTRUMENT = TRADE_AND_SHIFTS + ("floor", "blr", "quota", "project", "offtake")


def random_policies(market: ChainMarket, inst: ChainInstruments, rng: np.random.Generator, i: int,
                    kinds: tuple[str, ...] = EVERY_INSTRUMENT) -> None:
    """Draw a mix of instruments (of ``kinds``) into member ``i`` of a materialised batch (all years)."""
    S, R, T = market.n_stages, market.n_regions, inst.n_years
    p0 = np.stack([s.prices for s in market.stages])
    for name in ("tariff", "mip", "allowed", "floor_price", "floor_upside", "floor_cap", "floor_payer", "blr_floor",
                 "blr_payer", "stock", "capacity", "demand_shift", "export_tax"):
        inst.expand_years(name)
    s = int(rng.integers(S))
    if "tariff" in kinds and rng.uniform() < 0.6:
        inst.tariff[i, :, s] += rng.uniform(0, 0.8, (R, R)) * (rng.uniform(size=(R, R)) < 0.4) * (1 - np.eye(R))
    if "mip" in kinds and rng.uniform() < 0.3:
        d = int(rng.integers(R))
        inst.mip[i, :, s, :, d] = rng.uniform(0.7, 1.6) * p0[s].mean()
        inst.mip[i, :, s, d, d] = 0.0
    if "ban" in kinds and rng.uniform() < 0.3:
        o, d = rng.integers(R, size=2)
        if o != d:
            inst.allowed[i, :, s, o, d] = False
    if "export_tax" in kinds and rng.uniform() < 0.3:
        inst.export_tax[i, :, s, int(rng.integers(R))] += rng.uniform(0, 0.5)
    if "floor" in kinds and rng.uniform() < 0.4:
        r = int(rng.integers(R))
        inst.floor_eligible[i, s, r] = rng.uniform(0.2, 1.0)
        inst.floor_price[i, :, s, r] = rng.uniform(0.6, 1.8) * p0[s, r]
        inst.floor_upside[i, :, s, r] = rng.uniform(0, 0.6) * (rng.uniform() < 0.5)
        inst.floor_cap[i, :, s, r] = np.inf if rng.uniform() < 0.5 else rng.uniform(0.3, 2.0) * market.stages[s].production[r] + 1e-3
        inst.floor_payer[i, :, s, r] = int(rng.integers(R))
    if "blr" in kinds and rng.uniform() < 0.2:
        r = int(rng.integers(R))
        if market.stages[s].production[r] > 0:
            inst.blr_floor[i, :, s, r] = rng.uniform(0.5, 1.3) * p0[s, r]
            inst.blr_payer[i, :, s, r] = r
    if "stock" in kinds and rng.uniform() < 0.2:
        d = int(rng.integers(R))
        inst.stock[i, :, s, d] = rng.uniform(-0.3, 0.5) * market.stages[s].use[d]
    if "shifts" in kinds:
        inst.capacity[i] *= rng.uniform(0.7, 1.5, (T, S, R)) ** (rng.uniform(size=(T, S, R)) < 0.2)
        inst.demand_shift[i] *= rng.uniform(0.7, 1.4, (T, S, R)) ** (rng.uniform(size=(T, S, R)) < 0.2)
    if "quota" in kinds and inst.n_quotas and rng.uniform() < 0.35:
        o = int(rng.integers(R))
        dests = rng.uniform(size=R) < 0.6
        dests[o] = False
        base = market.stages[s].flows[o, dests].sum()
        if dests.any() and base > 0:
            inst.quota_stage[i, 0], inst.quota_origin[i, 0] = s, o
            inst.quota_dest[i, 0] = dests
            inst.expand_years("quota_cap")[i, :, 0] = rng.uniform(0.2, 1.5) * base
    if "project" in kinds and inst.n_projects and rng.uniform() < 0.35:
        r, m = int(rng.integers(R)), int(rng.integers(R))
        st = market.stages[s]
        inst.nc_stage[i, 0], inst.nc_region[i, 0], inst.nc_market[i, 0] = s, r, m
        inst.expand_years("nc_capacity")[i, :, 0] = rng.uniform(0.05, 0.5) * st.use[m] * np.linspace(0.5, 1.0, T)
        inst.nc_cost[i, 0] = rng.uniform(0.3, 1.2) * p0[s].mean()
        inst.nc_input[i, 0] = float(st.input_coefficient.max()) if s else 0.0
        inst.nc_eta[i, 0] = rng.uniform(0.5, 3.0)
        if rng.uniform() < 0.5:
            inst.expand_years("nc_floor")[i, :, 0] = rng.uniform(0.8, 1.5) * p0[s].mean()
            inst.nc_payer[i, 0] = int(rng.integers(R))
    if "offtake" in kinds and rng.uniform() < 0.2:
        o, d = int(rng.integers(R)), int(rng.integers(R))
        q = market.stages[s].production[o]
        if q > 0 and inst.floor_eligible[i, s, o] == 0:
            inst.floor_eligible[i, s, o] = 1.0
            for name, value in (("floor_price", rng.uniform(0.8, 1.5) * p0[s, o]), ("floor_upside", 1.0),
                                ("floor_cap", rng.uniform(0.05, 0.3) * q), ("floor_payer", d)):
                inst.expand_years(name)[i, :, s, o] = value
            inst.expand_years("offtake_quantity")[i, :, s, o] = inst.floor_cap[i, :, s, o]
            inst.expand_years("offtake_dest")[i, :, s, o] = d
            inst.expand_years("offtake_to_stock")[i, :, s, o] = rng.uniform() < 0.3


def random_batch(market: ChainMarket, rng: np.random.Generator, n: int, years: int = 1,
                 kinds: tuple[str, ...] = EVERY_INSTRUMENT) -> ChainInstruments:
    """``n`` members with random instrument mixes over ``years`` years (member 0 is the baseline)."""
    inst = ChainInstruments.baseline(market, range(market.base_year + 1, market.base_year + 1 + years), n)
    inst = inst.with_quota_slots(int("quota" in kinds)).with_project_slots(int("project" in kinds)).materialise(n)
    for i in range(1, n):
        random_policies(market, inst, rng, i, kinds)
    return inst

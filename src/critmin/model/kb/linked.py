r"""Linked chains from the knowledge base: a mineral's mine and processing stages in one :class:`ChainMarket`.

``calibrate_chain("copper")`` builds the mine stage and the processing stage on **the same
regions and the same content basis** and links them the way the chain engine does
(:mod:`critmin.model.kernel.chain`): processing in region ``r`` buys
``a_r Q^proc_r`` tonnes of contained metal from ``r``'s upstream (mine-stage) market, at ``r``'s
delivered price, from the origins that ship ore and concentrate to ``r``. China's refiners buy
the concentrate the mine-stage flows deliver to China; US ore shipped abroad is a mine-stage
export and the refined metal made from it a processing-stage flow.

Input coefficients: mass balance on the content basis
------------------------------------------------------
``a`` = tonnes of contained metal in feed per tonne of contained metal out = ``1 / recovery``.
No recovery rate with a citation is in the knowledge base, so ``a = 1`` (processing losses
ignored), a labelled assumption; ``calibrate_chain(..., recovery=r)`` gives ``a = 1/r`` (the
caller's assumption). How much this moves results is measured in docs/model.md.

Reconciling the stages (:func:`feed_balance`)
---------------------------------------------
The two stages come from different publishers (mine output: USGS or World Mining Data, ore
trade: BACI; processing output: USGS or EU CRM shares x world mine output; processing trade:
BACI or USGS import shares), so a region's recorded ore supply ``U_r`` (its mine-stage use:
output less ore exports plus ore imports) need not cover its processors' need ``N_r = a Q_r``.
We never invent a flow. Per region:

* ``U_r >= N_r``: processors draw ``N_r``; the rest, ``U_r - N_r``, is the mine stage's final
  use in ``r`` (ore the data leave unprocessed there: stocks, processing the data miss, or
  a contradiction between the sources), said per region;
* ``U_r < N_r``: processors draw all of ``U_r``; the rest of their feed, ``N_r - U_r``, comes
  from outside the modelled ore market (secondary material, intermediates traded under other
  codes, stock draws, or content understated by value-based ore flows). Their coefficient on the
  ore market is scaled to what it delivers, ``a_r = a U_r / N_r`` (**the scaling, said per
  region**), and the outside feed is held fixed;
* a processing region with no recorded ore at all is merged into ``ROW`` (a coefficient of 0
  would leave its output unlinked), and said;
* the **coverage** ``sum_r min(U_r, N_r) / sum_r N_r`` is the share of processing's feed that the
  ore market carries; below :data:`MIN_COVERAGE` the chain is **refused** with the regions'
  figures (the stages contradict each other more than they agree).

New capacity in a region takes that region's coefficient unless the scenario gives one; for new
plants give ``input_coefficient`` = the mass-balance ``a`` (printed with the chain) so that
they draw their whole feed from the ore market.

Prices on one basis
-------------------
The processing stage is priced at the refined-metal price per tonne of content. The mine stage
is priced at the share of that price smelters pay for contained metal,
:data:`~critmin.model.kb.specs.PAYABLE` = 85% (low corner) to 98% (high corner) (Costmine, cited
in :mod:`.specs`); treatment and refining charges are not in the data. The mine-stage flows valued
by BACI value are then content = value / mine price. The feed cost share of processors is
``a_r x payable`` (must be below 1).

Rare earths have their own readers (:mod:`.rare_earths`): published REO prices at both stages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from critmin.model.chain import ChainMarket, simulate_chain

from .assemble import BASE_YEAR, build, choose_regions, gather
from .inputs import KBBasisError, KBDataError, MarketInputs
from .specs import CHAIN_MISSING, MISSING, PAYABLE, PAYABLE_SOURCE, spec_for

#: Below this share of processing feed carried by the ore market a chain is refused (a rule, stated).
MIN_COVERAGE = 0.5
#: Named regions besides USA and China (the largest producers of either stage), then ROW.
MAX_OTHER_REGIONS = 6
CORNERS = ("low", "high")


@dataclass(frozen=True)
class FeedBalance:
    """The feed balance of a linked chain at one corner (see the module docstring).

    Arrays are per region: ``available`` ore supply ``U``, processors' ``need`` ``a Q``, what they
    ``draw`` from the ore market ``min(U, need)``, their ``feed_share`` of it, the ``coefficient``
    on the ore market, the ore ``surplus`` left as mine-stage final use.
    """

    regions: tuple[str, ...]
    mass_balance: float
    available: np.ndarray
    output: np.ndarray
    need: np.ndarray
    draw: np.ndarray
    feed_share: np.ndarray
    coefficient: np.ndarray
    surplus: np.ndarray

    @property
    def coverage(self) -> float:
        """Share of processing's feed carried by the modelled ore market."""
        total = float(self.need.sum())
        return float(self.draw.sum()) / total if total > 0 else 0.0

    @property
    def unprocessed(self) -> float:
        """Share of the ore market's tonnes left as mine-stage final use (not processed in the model)."""
        total = float(self.available.sum())
        return float(self.surplus.sum()) / total if total > 0 else 0.0

    def table(self) -> pd.DataFrame:
        return pd.DataFrame({"region": self.regions, "ore_available_t": self.available,
                             "processing_output_t": self.output, "feed_need_t": self.need,
                             "drawn_from_ore_market_t": self.draw, "feed_share": self.feed_share,
                             "input_coefficient": self.coefficient, "ore_unprocessed_t": self.surplus})

    def notes(self, corner: str, basis: str) -> list[str]:
        out = [f"{corner} corner: feed balance: the ore market carries {100 * self.coverage:.1f}% of processing's "
               f"feed ({self.draw.sum():,.6g} of {self.need.sum():,.6g} t {basis}); {100 * self.unprocessed:.1f}% "
               "of the ore market's tonnes are left as mine-stage final use"]
        for i, r in enumerate(self.regions):
            if self.output[i] > 0 and self.feed_share[i] < 1 - 1e-12:
                out.append(f"{corner} corner: SCALED: {r}'s processors need {self.need[i]:,.6g} t {basis} but the ore "
                           f"market delivers {self.available[i]:,.6g} t there: they draw it all and the remaining "
                           f"{self.need[i] - self.draw[i]:,.6g} t come from outside the modelled ore market (secondary "
                           "material, intermediates under other codes, stocks, or content understated by value-based "
                           f"ore flows), held fixed: input coefficient {self.coefficient[i]:.4g} on the ore market "
                           f"(mass balance {self.mass_balance:g} x feed share {self.feed_share[i]:.4g})")
            if self.surplus[i] > 1e-9 * max(self.available.max(), 1.0):
                out.append(f"{corner} corner: {r} receives {self.available[i]:,.6g} t {basis} of ore and its "
                           f"processors draw {self.draw[i]:,.6g}: {self.surplus[i]:,.6g} t are mine-stage final use "
                           "there (unprocessed in the data: stocks, processing the sources miss, or a contradiction "
                           "between them)")
        return out


def feed_balance(regions: Sequence[str], available: np.ndarray, output: np.ndarray,
                 mass_balance: float = 1.0) -> FeedBalance:
    r"""Reconcile processors' need with the ore each region's market delivers (module docstring).

    .. math::

        N_r = a Q_r,\quad D_r = \min(U_r, N_r),\quad \phi_r = D_r/N_r\ (1 \text{ if } N_r = 0),\quad
        a_r = a\,\phi_r,\quad \text{surplus}_r = U_r - D_r

    Parameters
    ----------
    regions : sequence of str
    available : array
        Ore supply by region ``U`` (mine-stage use: column sums of the mine flows), t of content.
    output : array
        Processing output by region ``Q``, t of content.
    mass_balance : float
        ``a``: t of content in feed per t of content out (``1/recovery``).
    """
    U = np.asarray(available, float)
    Q = np.asarray(output, float)
    if U.shape != Q.shape or U.ndim != 1 or len(regions) != len(U):
        raise KBDataError(f"feed balance: {len(regions)} regions, available {U.shape}, output {Q.shape}")
    if not (np.all(np.isfinite(U)) and np.all(U >= 0) and np.all(np.isfinite(Q)) and np.all(Q >= 0)):
        raise KBDataError("feed balance: available ore and output must be finite and >= 0")
    if not (np.isfinite(mass_balance) and mass_balance > 0):
        raise KBDataError(f"feed balance: the mass-balance coefficient must be > 0, got {mass_balance}")
    need = mass_balance * Q
    draw = np.minimum(U, need)
    share = np.where(need > 0, draw / np.where(need > 0, need, 1.0), 1.0)
    coef = mass_balance * share
    return FeedBalance(tuple(regions), float(mass_balance), U, Q, need, draw, share, coef, U - draw)


@dataclass(frozen=True)
class KBChain:
    """A linked knowledge-base chain: inputs of each stage and corner, the low and high chain markets."""

    mineral: str
    inputs: Mapping[str, tuple[MarketInputs, MarketInputs]]
    low: ChainMarket
    high: ChainMarket
    balance: Mapping[str, FeedBalance]
    mass_balance: float
    link_notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        return f"kb:{self.mineral}"

    @property
    def bounded(self) -> bool:
        return self.low is not self.high

    @property
    def market(self) -> ChainMarket:
        return self.low

    def corners(self) -> dict[str, ChainMarket]:
        return {"low": self.low, "high": self.high} if self.bounded else {"point": self.low}

    def simulate(self, policies=None, horizon=None, **kwargs: Any) -> dict:
        """Solve the scenario on each corner: ``{"low": result, "high": result}``."""
        return {k: simulate_chain(m, policies, horizon, **kwargs) for k, m in self.corners().items()}

    def summary(self) -> dict:
        mine, proc = self.inputs["low"]
        mine_hi = self.inputs["high"][0]
        return {
            "mineral": self.mineral, "stage": "chain", "market": self.key, "base_year": proc.base_year,
            "basis": f"{mine.basis} (mine) -> {proc.basis} (processing)", "unit": "t", "price_unit": "USD/t",
            "price": float(proc.price.low), "price_series": proc.price_series,
            "mine_price_low": float(mine.price.low), "mine_price_high": float(mine_hi.price.low),
            "regions": list(self.low.regions),
            "flow_method": f"mine: {mine.flow_method}; processing: {proc.flow_method}", "bounded": self.bounded,
            "mass_balance": self.mass_balance,
            "feed_coverage_low": self.balance["low"].coverage, "feed_coverage_high": self.balance["high"].coverage,
            "input_coefficient_low": dict(zip(self.low.regions, map(float, self.balance["low"].coefficient))),
            "input_coefficient_high": dict(zip(self.high.regions, map(float, self.balance["high"].coefficient))),
            "sources": list(dict.fromkeys(list(mine.sources) + list(proc.sources) + list(mine_hi.sources))),
        }

    def link_description(self) -> str:
        lo, hi = self.balance["low"], self.balance["high"]
        return (f"mass balance {self.mass_balance:g} t/t; the ore market carries {100 * lo.coverage:.0f}% (low corner) "
                f"/ {100 * hi.coverage:.0f}% (high corner) of processing's feed")


#: ``(regions, corner) -> (mine inputs, processing inputs, mine caps, processing caps)`` for one corner.
StageReader = Callable[[tuple, str], tuple[MarketInputs, MarketInputs, list, list]]


def chain_regions(mine: MarketInputs, proc: MarketInputs, max_other: int = MAX_OTHER_REGIONS) -> tuple:
    """USA, China, then the largest producers of either stage alternately (up to ``max_other``), ROW."""
    lists = [[r for r in choose_regions(x.production) if r not in ("USA", "CHN", "ROW")] for x in (mine, proc)]
    out: list[str] = []
    for pair in zip(*(lst + [None] * (max(map(len, lists)) - len(lst)) for lst in lists)):
        for r in pair:
            if r is not None and r not in out and len(out) < max_other:
                out.append(r)
    return ("USA", "CHN", *out, "ROW")


def _payable_spec(mine_spec, proc_spec, fraction: float, corner: str):
    """The mine spec priced at ``fraction`` of the processing stage's default refined price (same basis)."""
    ref = proc_spec.prices[0]
    conversion = (f"x payable fraction {fraction:g} ({corner} bound of {PAYABLE[0]:g}-{PAYABLE[1]:g}: {PAYABLE_SOURCE})"
                  + (f" after {ref.conversion}" if ref.conversion else ""))
    choice = replace(ref, to_basis=ref.to_basis * fraction, stage="mine", conversion=conversion,
                     note="ASSUMPTION: contained metal in ore and concentrate sells at this share of the refined "
                          "price; treatment and refining charges are not in the data (the mine price is an upper "
                          "bound on miners' receipts)")
    return replace(mine_spec, prices=(choice,))


def _standard_reader(mineral: str, year: int, payable: tuple[float, float],
                     parameters: Mapping[str, Mapping[str, Any]] | None) -> tuple[StageReader, tuple]:
    mine_spec, proc_spec = spec_for(mineral, "mine"), spec_for(mineral, "processing")
    missing = [s for s, sp in (("mine", mine_spec), ("processing", proc_spec)) if sp is None]
    if missing:
        from .registry import missing_reason

        raise KBDataError(f"{mineral}: no linked chain: the {' and '.join(missing)} stage does not calibrate ("
                          + "; ".join(f"{s}: {missing_reason(mineral, s)}" for s in missing) + ")")
    if mine_spec.basis != proc_spec.basis:
        raise KBBasisError(f"{mineral}: no linked chain: the mine stage is in t of {mine_spec.basis}, processing in t "
                           f"of {proc_spec.basis}; an input coefficient between bases needs a cited conversion")
    params = dict(parameters or {})
    first = {s: gather(sp, year=year, parameters=params.get(s))[0] for s, sp in
             (("mine", mine_spec), ("processing", proc_spec))}
    if first["mine"].flow_method == "usgs_import_shares":
        raise KBDataError(f"{mineral}: no linked chain: the mine stage's flows are US imports and exports only (trade "
                          "among other regions is not in the data), so processing abroad could not be fed from it")
    specs = {c: _payable_spec(mine_spec, proc_spec, f, c) for c, f in zip(CORNERS, payable)}
    processing: dict[tuple, tuple] = {}  # the processing inputs do not depend on the corner

    def read(regions: tuple, corner: str):
        mine, mcaps = gather(specs[corner], year=year, regions=regions, parameters=params.get("mine"))
        if regions not in processing:
            processing[regions] = gather(proc_spec, year=year, regions=regions, parameters=params.get("processing"))
        proc, pcaps = processing[regions]
        return mine, proc, mcaps, pcaps

    return read, chain_regions(first["mine"], first["processing"])


def link(mineral: str, mine_market: ChainMarket, proc_market: ChainMarket, balance: FeedBalance,
         notes: Sequence[str], sources: Sequence[str]) -> ChainMarket:
    """A two-stage :class:`ChainMarket` from two single-stage ones on the same regions, with ``balance``'s
    coefficients."""
    if mine_market.regions != proc_market.regions:
        raise KBDataError(f"{mineral}: the stages have different regions {mine_market.regions} / {proc_market.regions}")
    mine_st = mine_market.stages[0]
    proc = proc_market.stages[0]
    # Stage() adds its trade-cost note again when re-validated: drop it first so it is said once
    proc_st = replace(proc, input_coefficient=balance.coefficient,
                      assumptions=tuple(a for a in proc.assumptions if "no trade-cost data" not in a))
    assumptions = ([f"mine: {a}" for a in mine_market.assumptions]
                   + [f"processing: {a}" for a in proc_market.assumptions] + list(notes))
    return ChainMarket(mineral, mine_market.regions, (mine_st, proc_st), base_year=mine_market.base_year,
                       sources=tuple(dict.fromkeys(sources)), assumptions=tuple(assumptions))


def calibrate_chain(mineral: str, *, year: int = BASE_YEAR, recovery: float | None = None,
                    payable: tuple[float, float] | None = None, regions: Sequence | None = None,
                    parameters: Mapping[str, Mapping[str, Any]] | None = None,
                    min_coverage: float = MIN_COVERAGE) -> KBChain:
    """Calibrate the linked mine -> processing chain of ``mineral`` (module docstring).

    Parameters
    ----------
    recovery : float, optional
        Share of contained metal recovered by processing (a caller's assumption, cited by the caller):
        the input coefficient is ``1/recovery``. Default: coefficient 1, losses ignored (labelled).
    payable : (float, float), optional
        Low and high corner payable fractions; default :data:`~critmin.model.kb.specs.PAYABLE` (cited).
    regions : sequence, optional
        Model regions for both stages; default USA, China, the largest producers of either stage, ROW.
    parameters : mapping, optional
        ``{"mine": {...}, "processing": {...}}`` behavioural parameters overriding ``elasticities.csv``.
    min_coverage : float
        Refuse the chain when the ore market carries less than this share of processing's feed.

    Raises
    ------
    KBDataError
        A stage does not calibrate, the ore market cannot feed processing (no trade among other
        regions), or the sources contradict each other beyond ``min_coverage`` (message with the
        regions' figures).
    KBBasisError
        The stages are on different content bases.
    """
    if mineral in CHAIN_MISSING:
        raise KBDataError(f"{mineral}: no linked chain: {CHAIN_MISSING[mineral]}")
    a = 1.0 if recovery is None else 1.0 / float(recovery)
    if recovery is not None and not 0 < recovery <= 1:
        raise KBDataError(f"{mineral}: recovery must be in (0, 1], got {recovery}")
    notes = [("ASSUMPTION: input coefficient 1 t of contained metal in feed per t out: processing losses are ignored "
              "(no recovery rate with a citation in the knowledge base; calibrate_chain(..., recovery=r) uses 1/r)")
             if recovery is None else
             f"input coefficient 1/recovery = {a:.4g} t per t (recovery {recovery:g}, the caller's assumption)"]
    if mineral == "rare-earths":
        from . import rare_earths

        reader, default_regions = rare_earths.reader(year, parameters)
        notes.append("prices of both stages published on the REO basis (no payable fraction applied)")
        feed_cost = None
    else:
        pay = PAYABLE if payable is None else tuple(float(x) for x in payable)
        if not (len(pay) == 2 and 0 < pay[0] <= pay[1] < 1):
            raise KBDataError(f"{mineral}: payable must be (low, high) with 0 < low <= high < 1, got {payable}")
        if a * pay[1] >= 1:
            raise KBDataError(f"{mineral}: input coefficient {a:.4g} x payable {pay[1]:g} >= 1: processors would pay "
                              "more for their feed than their output is worth")
        reader, default_regions = _standard_reader(mineral, year, pay, parameters)
        feed_cost = pay
    current = tuple(regions) if regions is not None else default_regions
    merged: list[str] = []
    for _ in range(len(current)):
        built = {}
        for corner in CORNERS:
            mine, proc, mcaps, pcaps = reader(current, corner)
            mm, mnotes = build(mine, corner, mcaps)
            pm, pnotes = build(proc, corner, pcaps)
            bal = feed_balance(mm.regions, mm.stages[0].use, pm.stages[0].production, a)
            built[corner] = (mine, proc, mm, pm, bal)
        dry = sorted({r for c in CORNERS for i, r in enumerate(built[c][4].regions)
                      if r != "ROW" and built[c][4].output[i] > 0 and built[c][4].available[i] <= 0})
        if not dry or regions is not None:
            break
        merged.extend(dry)
        current = tuple(r for r in current if r not in dry)
    for corner in CORNERS:
        bal = built[corner][4]
        dry = [r for i, r in enumerate(bal.regions) if bal.output[i] > 0 and bal.available[i] <= 0]
        if dry:
            raise KBDataError(f"{mineral}: no linked chain: {dry} process but receive no ore in the mine-stage data; "
                              "choose regions that merge them with a region that does")
        if bal.coverage < min_coverage:
            detail = "; ".join(f"{r}: ore {u:,.0f} t, need {n:,.0f} t" for r, u, n in
                               zip(bal.regions, bal.available, bal.need) if n > 0)
            raise KBDataError(
                f"{mineral}: no linked chain: at the {corner} corner the ore market carries only "
                f"{100 * bal.coverage:.0f}% of processing's feed (below {100 * min_coverage:.0f}%): the published "
                f"processing output and the ore flows contradict each other more than they agree ({detail})")
    if merged:
        notes.append(f"{', '.join(merged)} process but receive no ore in the mine-stage data: merged into ROW")
    if feed_cost is not None:
        notes.append(f"processors' base feed cost share = input coefficient x payable fraction ({feed_cost[0]:g} at "
                     f"the low corner, {feed_cost[1]:g} at the high corner, where the coefficient is {a:g})")
    notes.append(f"new processing capacity: give input_coefficient={a:g} (the mass balance) so that new plants draw "
                 "their whole feed from the ore market; a region's own coefficient is scaled where its recorded ore "
                 "falls short")
    notes.append("linked chain: processing in each region buys its feed from that region's mine-stage market at its "
                 "delivered price (ore shipped abroad for processing is a mine-stage export; the metal made from it a "
                 "processing-stage flow)")
    markets, inputs, balances = {}, {}, {}
    for corner in CORNERS:
        mine, proc, mm, pm, bal = built[corner]
        basis = proc.basis
        sources = list(mine.sources) + list(proc.sources)
        markets[corner] = link(mineral, mm, pm, bal, notes + bal.notes(corner, basis), sources)
        inputs[corner] = (mine, proc)
        balances[corner] = bal
    return KBChain(mineral, inputs, markets["low"], markets["high"], balances, a, tuple(notes))


def chain_missing_reason(mineral: str) -> str | None:
    """A documented reason a candidate has no chain, or None (then calibration reports its own failure)."""
    if mineral in CHAIN_MISSING:
        return CHAIN_MISSING[mineral]
    for stage in ("mine", "processing"):
        if (mineral, stage) in MISSING:
            return f"the {stage} stage does not calibrate: {MISSING[(mineral, stage)]}"
    return None


def recovery_sensitivity(mineral: str, policies: Mapping, horizon: Mapping, recoveries: Sequence[float] = (1.0, 0.97),
                         *, payable: tuple[float, float] | None = None, region: str = "USA") -> pd.DataFrame:
    """How far the input coefficient moves a result: the scenario solved at each recovery rate.

    Returns one row per (recovery, corner, stage) with the ``region``'s use-price change (%) and
    physical use change (%) in the horizon's last year, and the chain's feed coverage. The
    recovery rates are the caller's assumptions (1.0 = losses ignored, the default chain).
    """
    rows = []
    for r in recoveries:
        k = calibrate_chain(mineral, recovery=None if r == 1.0 else r, payable=payable)
        for corner, res in k.simulate(policies, horizon).items():
            if not res.converged:
                raise KBDataError(f"{mineral}: the scenario did not solve at recovery {r} ({corner} corner)")
            p, q = res.prices(), res.quantities()
            year = int(p.index.get_level_values("year").max())
            for stage in ("mine", "processing"):
                qq = q.loc[(year, stage, region)]
                rows.append({"recovery": r, "mass_balance": k.mass_balance, "corner": corner, "stage": stage,
                             "use_price_change_pct": float(p.loc[(year, stage, region), "use_price_change_pct"]),
                             "use_change_pct": 100 * (float(qq["use"]) / float(qq["use_baseline"]) - 1)
                             if qq["use_baseline"] > 0 else float("nan"),
                             "feed_coverage": k.balance[corner if corner in k.balance else "low"].coverage})
    return pd.DataFrame(rows)

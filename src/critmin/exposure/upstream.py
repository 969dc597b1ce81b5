"""Where a mineral comes from at the stages before the supplier: upstream shares.

A bill names the supplier and its country (the last stage). For the stages above it (mine and
processing) the company may declare origins; where it does not, critmin infers them from
world shares and labels them ``inferred``. The shares come from a *provider* with one method,
:meth:`UpstreamShares.shares`, so that other evidence plugs in without touching the exposure
arithmetic:

* :class:`ProductionShares` (now): world production shares by stage from the knowledge base
  (USGS MCS world tables, or the EU CRM 2023 supply shares where USGS has no country split),
  as :mod:`critmin.analysis.inputs` chooses them for the risk methods. Bounded shares stay
  intervals; what no country accounts for (``Other countries``, withheld values) is
  returned as the unassigned share, never spread over the listed countries.
* A trade-based provider (bilateral flows into the supplier's country from CEPII BACI, and
  World Mining Data production: being added to the knowledge base) implements the same
  method; :class:`ChainedShares` tries providers in order, so trade shares can take
  precedence where they exist and production shares fill the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from critmin.analysis.interval import Interval

STAGES = ("mine", "processing")


@dataclass(frozen=True)
class ShareSet:
    """Country shares of one mineral at one stage, and what they rest on.

    ``shares`` maps ISO3 to an interval of fractions; ``unassigned`` is the interval of the
    share no listed country accounts for. ``basis`` names the evidence (``world production``,
    ``trade into <ISO3>``), ``source`` the series and its source id.
    """

    commodity_id: str
    stage: str
    shares: dict[str, Interval]
    unassigned: Interval
    basis: str
    source: str
    notes: tuple[str, ...] = field(default=())


class UpstreamShares(Protocol):
    """Anything that can say where a mineral comes from at a stage.

    ``importer`` is the country the material is delivered to at the next stage (the
    supplier's country), for providers that can use bilateral trade; production-based
    providers ignore it. Return ``None`` when there is no evidence: the exposure then shows
    the stage as unknown rather than inventing shares.
    """

    def shares(self, commodity_id: str, stage: str, importer: str | None = None) -> ShareSet | None: ...


@dataclass
class ProductionShares:
    """World production shares by stage from the knowledge base (see module docstring).

    Parameters
    ----------
    inputs
        A :class:`critmin.analysis.inputs.RiskInputs` (built once from the snapshot by
        :func:`from_snapshot`); tests pass a small one.
    exclude_forms
        ``{commodity_id: {form, ...}}`` forms the world series does not describe (synthetic
        graphite is not natural graphite): no shares are inferred for them.
    """

    inputs: object
    exclude_forms: dict[str, set[str]] = field(default_factory=lambda: {"graphite": {"synthetic"}})

    @classmethod
    def from_snapshot(cls) -> "ProductionShares":
        from critmin.analysis import inputs
        from critmin.kb import read_tables

        return cls(inputs.build_inputs(read_tables(["commodities", "production", "eu_crm_supply_shares",
                                                           "governance", "export_controls", "agreements"])))

    def shares(self, commodity_id: str, stage: str, importer: str | None = None, form: str = "") -> ShareSet | None:
        if form and form in self.exclude_forms.get(commodity_id, set()):
            return None
        m = self.inputs.minerals.get(commodity_id)
        if m is None or stage not in m.stages:
            return None
        sd = m.stages[stage]
        if not sd.shares:
            return None
        listed_low = sum(iv.low for iv in sd.shares.values())
        listed_high = sum(iv.high for iv in sd.shares.values())
        unassigned = Interval(max(0.0, 1.0 - listed_high), max(0.0, 1.0 - listed_low))
        origin = "USGS MCS" if sd.origin == "usgs_mcs" else "EU CRM 2023"
        year = f" {sd.year}" if sd.year else ""
        via = [v for v in m.via_group if v.startswith(stage)]
        notes = tuple(f"shares of the group: {v}" for v in via)
        return ShareSet(commodity_id, stage, dict(sd.shares), unassigned, "world production",
                        f"{origin} {sd.series_label}{year} ({sd.source_id})", notes)


@dataclass
class ChainedShares:
    """The first provider with evidence wins (e.g. trade shares, then production shares)."""

    providers: list

    def shares(self, commodity_id: str, stage: str, importer: str | None = None, form: str = "") -> ShareSet | None:
        for p in self.providers:
            try:
                got = p.shares(commodity_id, stage, importer, form)
            except TypeError:  # a provider without the form argument
                got = p.shares(commodity_id, stage, importer)
            if got is not None:
                return got
        return None


@dataclass
class FixedShares:
    """Shares given directly, ``{(commodity, stage): {iso3: fraction}}`` (tests, user assumptions)."""

    table: dict[tuple[str, str], dict[str, float]]
    basis: str = "user assumption"

    def shares(self, commodity_id: str, stage: str, importer: str | None = None, form: str = "") -> ShareSet | None:
        got = self.table.get((commodity_id, stage))
        if got is None:
            return None
        total = sum(got.values())
        rest = max(0.0, 1.0 - total)
        return ShareSet(commodity_id, stage, {k: Interval.exact(v) for k, v in got.items()}, Interval.exact(rest),
                        self.basis, self.basis)

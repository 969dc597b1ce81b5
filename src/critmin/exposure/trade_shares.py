"""Upstream shares from world trade: the exporters of a stage's HS codes (CEPII BACI).

Where the knowledge base has no production shares for a mineral at a stage (tantalum and
rare-earth processing, graphite processing, ...), the countries that export the stage's
products are the next evidence of where that stage happens. For a mineral ``m`` and stage
``s`` with HS1992 codes ``H(m, s)`` (the concordance, :func:`critmin.api.trade_codes`) and
the latest year ``y`` with flows of those codes, the share of exporter ``k`` is

    ``w_k = sum_{h in H, j} v_{k,j,h,y} / sum_{i, h in H, j} v_{i,j,h,y}``

(US$ values, FOB), as :func:`critmin.api.trade` computes it; ``importer`` given, the sum
runs over flows into that importer only (its sources). Exporters that are BACI aggregates,
not countries ("Other Asia, nes"), go to the unassigned share. Export shares are a proxy for
where a stage's output is made: a producer that uses its own output (China's rare-earth
separation) exports less than it makes, so the result is labelled ``world trade`` with that
caveat, and it only fills stages production shares leave empty (:class:`ChainedShares`,
production first). A code set whose latest flows are more than ``max_age`` years older than
the table's latest year (germanium's 811230 ends in 2016) gives no shares: too old to say
where the stage is today.

Reads through :mod:`critmin.api` (and so :mod:`critmin.kb`); no SQL here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from critmin.analysis.interval import Interval
from critmin.exposure.upstream import ShareSet

CAVEAT = "export shares, a proxy for where the stage is done (a producer that uses its own output exports less)"


@dataclass
class TradeShares:
    """Upstream shares from world exports of the stage's HS codes (see module docstring)."""

    last_year: int | None = None
    max_age: int = 3
    exclude_forms: dict[str, set[str]] = field(default_factory=lambda: {"graphite": {"synthetic"}})
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_snapshot(cls) -> "TradeShares | None":
        """The provider on the installed snapshot, or None when it has no world-trade table."""
        from critmin import kb

        if "world_trade" not in kb.have():
            return None
        return cls(last_year=kb.world_trade_last_year())

    def shares(self, commodity_id: str, stage: str, importer: str | None = None, form: str = "") -> ShareSet | None:
        if form and form in self.exclude_forms.get(commodity_id, set()):
            return None
        key = (commodity_id, stage, importer)
        if key not in self._cache:
            self._cache[key] = self._read(commodity_id, stage, importer)
        return self._cache[key]

    def _read(self, commodity_id: str, stage: str, importer: str | None) -> ShareSet | None:
        from critmin import api
        from critmin.errors import CritminError

        try:
            t = api.trade(commodity_id, stage=stage, importer=importer)
        except CritminError:  # no code of the stage reads as the mineral, or no flows
            return None
        if t.empty:
            return None
        year = int(t["year"].iloc[0])
        if self.last_year is not None and year < self.last_year - self.max_age:
            return None
        countries = t[(t["partner_kind"] == "country") & t["partner_iso3"].notna()]
        shares: dict[str, Interval] = {}
        for iso, lo, hi in zip(countries["partner_iso3"], countries["share_low"], countries["share_high"]):
            prev = shares.get(iso)
            shares[iso] = Interval(float(lo), float(hi)) if prev is None else Interval(prev.low + float(lo), prev.high + float(hi))
        if not shares:
            return None
        listed_lo = sum(iv.low for iv in shares.values())
        listed_hi = sum(iv.high for iv in shares.values())
        unassigned = Interval(max(0.0, 1.0 - listed_hi), max(0.0, 1.0 - listed_lo))
        codes = str(t["codes"].iloc[0])
        whose = f"into {importer}" if importer else "world"
        source = f"CEPII BACI {whose} exports {year}, HS {codes}; {CAVEAT}"
        notes = tuple(x for x in (t.attrs.get("note"), t.attrs.get("source")) if x)
        return ShareSet(commodity_id, stage, shares, unassigned, "world trade", source, notes)

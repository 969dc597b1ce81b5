r"""Annual event rates derived from the export-control register, by counting.

The register (snapshot table ``export_controls``) holds China's 2023-2025 measures as
compiled from MOFCOM/GAC announcements, and the USGS MCS 2026 Table 4 of export
restrictions in force. Each rule below counts events ``k`` over an exposure of ``T``
commodity-years (or country-commodity-years) at risk and treats events as a Poisson
process with annual rate ``lambda``. With the Jeffreys prior the posterior is

.. math::

    \lambda \mid k, T \sim \mathrm{Gamma}(\text{shape} = k + \tfrac12,\ \text{rate} = T),

so a small count gives a wide distribution rather than a false point; the annual
probability of at least one event is :math:`p = 1 - e^{-\lambda}` (Cox and Lewis 1966;
for the Jeffreys interval of a Poisson rate see Brown, Cai and DasGupta 2003).

Events cluster: one announcement (a *decision*) often covers several commodities
(Announcement 2024 No. 46 banned four at once). Counting them as independent would
overstate what the record says, so the spread comes from the number of decisions ``d``
while the mean stays the commodity count:

.. math::

    \lambda \sim \mathrm{Gamma}\Big(d + \tfrac12,\ (d + \tfrac12)\,\frac{T}{k + \tfrac12}\Big),
    \qquad E[\lambda] = \frac{k + \tfrac12}{T}.

With ``d = k`` (no clustering) this is the Jeffreys posterior above.

Rules
-----
``cn_ban_us``
    China bans exports of a mineral to the United States. Events: the minerals of
    Announcement 2024 No. 46 named in its ban ("Ga, Ge, Sb, superhard"). At risk: every
    commodity under an effective Chinese licensing measure, from its first licensing date
    to the end of the window, except while a ban on it is in force.
``cn_tightening``
    China tightens the licensing of a mineral already under licensing (a later effective
    measure on the same commodity, e.g. No. 46's end-use review of graphite, No. 61's
    extraterritorial re-export licensing of rare earths). At risk: licensed commodities
    from their first licensing date.
``cn_new_licensing``
    China puts a mineral it produces under export licensing for the first time. At risk:
    the commodities China produces (MCS 2026 world production, any stage) that are on
    the 2025 US critical-minerals list, plus any commodity that was licensed, until their
    first licensing date.
``other_restriction:<group>``
    A producing country other than China introduces an export restriction (ban, quota,
    licensing) on a commodity (MCS 2026 Table 4, measures of 2020-2025). At risk: every
    (country, commodity) pair with MCS 2026 world production, six years each, until the
    restriction. Grouped by the country's governance: terciles of the mean of the six
    Worldwide Governance Indicators (the EU CRM convention), plus countries without WGI.
    Table 4 lists only measures still in force, so lifted restrictions are missing and
    these rates are lower bounds.

Conventions: commodities are counted at the MCS level (rare-earth elements count as
``rare-earths``); a date given as a year only (Table 4) is taken as 1 July; a measure
suspended before its effective date never took effect and is not an event; an event
ends its commodity's exposure to the rule at the event date.

References
----------
.. [1] Cox, D. R. and P. A. W. Lewis (1966). The Statistical Analysis of Series of Events.
   Methuen, London.
.. [2] Brown, L. D., T. T. Cai and A. DasGupta (2003). "Interval estimation in exponential
   families". Statistica Sinica 13, 19-49.
.. [3] U.S. Geological Survey (2026). Mineral Commodity Summaries 2026, Table 4 (country
   export controls), https://doi.org/10.5066/P1WKQ63T.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

CN_WINDOW = (dt.date(2023, 1, 1), dt.date(2025, 12, 31))
OTHER_YEARS = (2020, 2025)
REGISTER_SOURCE = "china_export_controls_register"
T4_SOURCE = "usgs_mcs2026_trends"
GOVERNANCE_GROUPS = ("wgi_low", "wgi_mid", "wgi_high", "wgi_none")
"""Terciles of the mean WGI estimate; ``wgi_none`` (no score) uses the pooled rate ``all``."""

_DAYS = 365.25


@dataclass(frozen=True)
class RegisterRate:
    """Events over exposure for one rule, and the Jeffreys posterior of the annual rate."""

    rule: str
    events: int
    exposure_years: float
    window: str
    detail: str
    event_list: tuple[str, ...] = field(default_factory=tuple)
    decisions: int = -1  # announcements behind the events; -1: one per event

    @property
    def n_decisions(self) -> int:
        return self.events if self.decisions < 0 else self.decisions

    @property
    def shape(self) -> float:
        return self.n_decisions + 0.5

    @property
    def rate(self) -> float:
        return self.shape * self.exposure_years / (self.events + 0.5)

    @property
    def mean_probability(self) -> float:
        """``E[1 - exp(-lambda)]`` under the Gamma posterior: ``1 - (T / (T + 1))**(k + 1/2)``."""
        return 1.0 - (self.rate / (self.rate + 1.0)) ** self.shape

    def citation(self) -> str:
        return (f"critmin register rule {self.rule}: {self.events} events from {self.n_decisions} decisions in "
                f"{self.exposure_years:.2f} exposure-years ({self.window}); annual rate ~ Gamma({self.shape:g}, "
                f"{self.rate:.4g}) (Jeffreys posterior, spread from the decisions), mean annual probability "
                f"{self.mean_probability:.3f}. {self.detail}")


def _decisions(events: list[str]) -> int:
    """Distinct announcements behind events written as ``"... (<measure_id>)"``."""
    return len({e.rsplit("(", 1)[-1] for e in events}) if events else 0


def _years(a: dt.date, b: dt.date) -> float:
    return max(0.0, (b - a).days / _DAYS)


def _mcs_id(cid: str, group_of: dict[str, str]) -> str:
    return group_of.get(cid, cid)


def _suspension_date(text: str) -> dt.date | None:
    m = re.search(r"suspended (?:\(reported )?(\d{4}-\d{2}-\d{2})", text or "")
    return dt.date.fromisoformat(m.group(1)) if m else None


def _as_date(value) -> dt.date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


@dataclass(frozen=True)
class ChinaMeasure:
    measure_id: str
    commodity_id: str  # at MCS level
    kind: str  # "licensing" | "ban_us" | "tightening_us"
    effective: dt.date
    ended: dt.date | None  # suspension date, if any


def china_measures(export_controls: pd.DataFrame, group_of: dict[str, str]) -> list[ChinaMeasure]:
    """China's material export measures that took effect, per commodity (MCS level).

    Technology-only measures and the historical (lifted, undated) quota row are left out;
    a measure suspended before its effective date never took effect.
    """
    ec = export_controls
    cn = ec[(ec["country_iso3"] == "CHN") & ec["commodity_id"].notna()]
    out: list[ChinaMeasure] = []
    seen: set[tuple[str, str]] = set()
    register = cn[cn["source_id"] == REGISTER_SOURCE]
    for row in register.itertuples(index=False):
        control = str(row.control_type)
        if "technolog" in control.lower() or "historical" in control.lower():
            continue
        effective = _as_date(row.effective_date)
        if effective is None:
            continue
        ended = _suspension_date(str(row.scope_notes))
        if ended is not None and ended < effective:
            continue  # suspended before it took effect
        cid = _mcs_id(str(row.commodity_id), group_of)
        if "ban in principle on exports to the us" in control.lower():
            banned = _banned_in(control, group_of)
            kind = "ban_us" if cid in banned else "tightening_us"
        else:
            kind = "licensing"
        key = (row.measure_id, cid)
        if key in seen:
            continue
        seen.add(key)
        out.append(ChinaMeasure(str(row.measure_id), cid, kind, effective, ended))
    # Table 4 rows for commodities the compiled register does not cover (year only: 1 July)
    # a commodity the compiled register names at all (even a measure suspended before it took
    # effect, like lithium's No. 58) is covered by it; Table 4 fills in only the others
    covered = {_mcs_id(str(c), group_of) for c in register["commodity_id"]}
    for row in cn[cn["source_id"] == T4_SOURCE].itertuples(index=False):
        cid = _mcs_id(str(row.commodity_id), group_of)
        if cid in covered or pd.isna(row.year) or "licens" not in str(row.control_type).lower():
            continue
        out.append(ChinaMeasure(str(row.measure_id), cid, "licensing", dt.date(int(row.year), 7, 1), None))
        covered.add(cid)
    return sorted(out, key=lambda m: (m.effective, m.commodity_id, m.measure_id))


def _banned_in(control_type: str, group_of: dict[str, str]) -> set[str]:
    """Commodities named in the ban clause "(Ga, Ge, Sb, superhard)" of a control type."""
    from critmin.vocab.commodities import catalogue

    m = re.search(r"ban in principle on exports to the us \(([^)]*)\)", control_type.lower())
    if not m:
        return set()
    by_symbol = {c.symbol.lower(): cid for cid, c in catalogue().items() if getattr(c, "symbol", None)}
    out = set()
    for token in (t.strip() for t in m.group(1).split(",")):
        if token in by_symbol:
            out.add(_mcs_id(by_symbol[token], group_of))
        elif token.startswith("superhard"):
            out.add("diamond-industrial")  # the register reader's own mapping of superhard materials
        else:
            raise ValueError(f"export_controls: cannot map {token!r} in the ban clause of {control_type!r}")
    return out


def _licensing_start(measures: list[ChinaMeasure]) -> dict[str, dt.date]:
    start: dict[str, dt.date] = {}
    for m in measures:
        if m.kind == "licensing":
            start[m.commodity_id] = min(start.get(m.commodity_id, m.effective), m.effective)
    return start


def cn_ban_us(measures: list[ChinaMeasure], window=CN_WINDOW) -> RegisterRate:
    """Rule ``cn_ban_us`` (see the module docstring)."""
    w0, w1 = window
    start = _licensing_start(measures)
    exposure = 0.0
    events: list[str] = []
    for cid, s in start.items():
        s = max(s, w0)
        bans = sorted((m for m in measures if m.commodity_id == cid and m.kind == "ban_us" and w0 <= m.effective <= w1),
                      key=lambda m: m.effective)
        t = s
        for ban in bans:
            exposure += _years(t, ban.effective) if ban.effective > t else 0.0
            events.append(f"{cid} {ban.effective.isoformat()} ({ban.measure_id})")
            t = min(ban.ended, w1) if ban.ended else w1
        exposure += _years(t, w1)
    return RegisterRate("cn_ban_us", len(events), exposure, f"{w0.isoformat()}..{w1.isoformat()}",
                        "Events: Chinese bans of exports to the US of a licensed commodity; exposure: licensed "
                        "commodity-years without a ban in force.", tuple(events), _decisions(events))


def cn_tightening(measures: list[ChinaMeasure], window=CN_WINDOW) -> RegisterRate:
    """Rule ``cn_tightening`` (see the module docstring)."""
    w0, w1 = window
    start = _licensing_start(measures)
    exposure = sum(_years(max(s, w0), w1) for s in start.values())
    events = [f"{m.commodity_id} {m.effective.isoformat()} ({m.measure_id})" for m in measures
              if m.kind in ("licensing", "tightening_us") and m.commodity_id in start
              and m.effective > start[m.commodity_id] and w0 <= m.effective <= w1]
    return RegisterRate("cn_tightening", len(events), exposure, f"{w0.isoformat()}..{w1.isoformat()}",
                        "Events: a further effective Chinese measure on a commodity already under licensing; "
                        "exposure: licensed commodity-years.", tuple(events), _decisions(events))


def cn_new_licensing(measures: list[ChinaMeasure], china_produces: set[str], window=CN_WINDOW) -> RegisterRate:
    """Rule ``cn_new_licensing`` (see the module docstring)."""
    w0, w1 = window
    start = _licensing_start(measures)
    at_risk = set(china_produces) | set(start)
    exposure = 0.0
    events: list[str] = []
    for cid in sorted(at_risk):
        s = start.get(cid)
        if s is not None and s < w0:
            continue  # already licensed before the window: never at risk of a first licensing
        end = s if s is not None and s <= w1 else w1
        exposure += _years(w0, end)
        if s is not None and s <= w1:
            first = min((m for m in measures if m.commodity_id == cid and m.kind == "licensing"),
                        key=lambda m: m.effective)
            events.append(f"{cid} {s.isoformat()} ({first.measure_id})")
    return RegisterRate("cn_new_licensing", len(events), exposure, f"{w0.isoformat()}..{w1.isoformat()}",
                        f"Events: first effective Chinese licensing of a commodity; exposure: {len(at_risk)} "
                        "commodities China produces (MCS 2026, on the 2025 US list) or that were licensed, "
                        "until first licensing.", tuple(events), _decisions(events))


def governance_groups(scores: dict[str, float]) -> tuple[dict[str, str], tuple[float, float]]:
    """Tercile group of each country's mean WGI estimate, and the two cut points."""
    values = np.array(sorted(scores.values()))
    cuts = (float(np.quantile(values, 1 / 3)), float(np.quantile(values, 2 / 3)))
    groups = {iso: ("wgi_low" if v <= cuts[0] else "wgi_mid" if v <= cuts[1] else "wgi_high") for iso, v in scores.items()}
    return groups, cuts


def other_restrictions(export_controls: pd.DataFrame, producers: pd.DataFrame, group_of_country: dict[str, str],
                       group_of: dict[str, str], years=OTHER_YEARS) -> dict[str, RegisterRate]:
    """Rule ``other_restriction:<group>`` per governance group (see the module docstring).

    ``producers`` has one row per (country_iso3, commodity_id) with MCS 2026 production.
    """
    y0, y1 = years
    w0, w1 = dt.date(y0, 1, 1), dt.date(y1, 12, 31)
    pairs = {(r.country_iso3, _mcs_id(r.commodity_id, group_of)) for r in producers.itertuples(index=False)
             if r.country_iso3 != "CHN"}
    ec = export_controls
    t4 = ec[(ec["source_id"] == T4_SOURCE) & (ec["country_iso3"] != "CHN") & ec["commodity_id"].notna()
            & ec["year"].notna()]
    first: dict[tuple[str, str], tuple[dt.date, str]] = {}
    for r in t4.itertuples(index=False):
        key = (r.country_iso3, _mcs_id(str(r.commodity_id), group_of))
        when = dt.date(int(r.year), 7, 1)
        if key not in first or when < first[key][0]:
            first[key] = (when, str(r.measure_id))
    exposure = {g: 0.0 for g in GOVERNANCE_GROUPS}
    events: dict[str, list[str]] = {g: [] for g in GOVERNANCE_GROUPS}
    for key in sorted(pairs):
        group = group_of_country.get(key[0], "wgi_none")
        hit = first.get(key)
        if hit is not None and hit[0] < w0:
            continue  # restricted before the window: not at risk of a new restriction
        if hit is not None and hit[0] <= w1:
            exposure[group] += _years(w0, hit[0])
            events[group].append(f"{key[0]} {key[1]} {hit[0].year} ({hit[1]})")
        else:
            exposure[group] += _years(w0, w1)
    detail = ("Events: first restriction of a (country, commodity) pair in MCS 2026 Table 4 (measures still in "
              "force; lifted ones are not listed, so this is a lower bound); exposure: producing pairs (MCS 2026), "
              "countries other than China")
    out = {g: RegisterRate(f"other_restriction:{g}", len(events[g]), exposure[g], f"{y0}..{y1}",
                           f"{detail}, governance group {g}.", tuple(events[g]), _decisions(events[g]))
           for g in GOVERNANCE_GROUPS if g != "wgi_none"}
    # countries without a WGI score take the pooled rate of all groups (too few to estimate alone)
    pooled = [e for g in GOVERNANCE_GROUPS for e in events[g]]
    out["all"] = RegisterRate("other_restriction:all", len(pooled), sum(exposure.values()), f"{y0}..{y1}",
                              f"{detail}, all countries pooled (used for countries without a WGI score).",
                              tuple(pooled), _decisions(pooled))
    return out


def derive_rates(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, RegisterRate], dict]:
    """Every register rule's rate from the snapshot tables, plus the inputs used.

    ``tables`` needs ``export_controls``, ``production``, ``governance`` and
    ``commodities`` (as read by :func:`critmin.kb.read_tables`).
    """
    from critmin.analysis.risk import governance as gov

    commodities = tables["commodities"]
    group_of = {str(r.commodity_id): str(r.group_id) for r in commodities.itertuples(index=False)
                if isinstance(r.group_id, str) and r.group_id}
    listed = {_mcs_id(str(c), group_of) for c in commodities.loc[commodities["on_list_2025"].fillna(False).astype(bool),
                                                                 "commodity_id"]}
    prod = tables["production"]
    prod = prod[(prod["vintage"] == prod["vintage"].max()) & (prod["measure"] == "production")
                & (prod["country_kind"] == "country") & prod["country_iso3"].notna()]
    producing = prod[(prod["value"].fillna(0) > 0) | prod["qualifier"].isin(["withheld", "estimated"])]
    producers = producing[["country_iso3", "commodity_id"]].drop_duplicates()
    china_produces = {_mcs_id(c, group_of) for c in producers.loc[producers["country_iso3"] == "CHN", "commodity_id"]}
    measures = china_measures(tables["export_controls"], group_of)
    rates = {
        "cn_ban_us": cn_ban_us(measures),
        "cn_tightening": cn_tightening(measures),
        "cn_new_licensing": cn_new_licensing(measures, china_produces & listed),
    }
    scores, described = gov.estimates(tables["governance"], gov.SIX)
    groups, cuts = governance_groups(scores)
    rates.update({f"other_restriction:{g}": r for g, r in
                  other_restrictions(tables["export_controls"], producers, groups, group_of).items()})
    inputs = {
        "china_licensed": sorted(_licensing_start(measures)),
        "china_measures": measures,
        "governance": described,
        "governance_cuts": cuts,
        "governance_group": groups,
        "group_of": group_of,
    }
    return rates, inputs

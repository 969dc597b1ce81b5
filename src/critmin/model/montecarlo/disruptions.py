"""The disruption library: kinds of supply event per exporter, mineral and stage, as data.

The library is the CSV file ``disruptions.csv`` next to this module (users pass their own
with the same columns). One row is one kind of event:

================  ==========================================================================
column            meaning
================  ==========================================================================
event_id          unique name, e.g. ``CHN-gallium-ban-us``
exporter          ISO3 code; ``wgi:<group>`` (countries other than China in a governance
                  tercile, see :mod:`.register_rates`); or ``*`` (any exporter)
mineral           commodity id or ``*``; stage ``mine``, ``processing`` or ``*``
kind              ``ban`` (shipments stop), ``quota`` (capped), ``licensing`` (a share of
                  shipments is held up by licensing), ``outage`` (output lost)
target            ``USA`` (shipments to the focus region) or ``ALL`` (every foreign
                  destination); outages hit production
enabled           ``true``/``false``: disabled rows are documented but not simulated unless
                  a user enables them
rate_*            the annual event rate ``lambda`` (events per year): ``rate_dist``
                  (``gamma``: shape ``rate_a``, rate ``rate_b``; ``fixed``: ``rate_a``); the
                  annual probability of an onset is ``1 - exp(-lambda)``
duration_*        years an event lasts once started: ``fixed``, ``uniform`` or
                  ``persistent`` (to the end of the run's horizon)
severity_*        ``ban``: 1; ``licensing``/``quota``/``outage``: the share withheld or lost
                  (``severity_unit`` ``share``), or a quota given as a cap quantity in a mass
                  unit (``t``, ``kg``...) converted to the market's unit
*_basis           ``register`` (derived by counting the export-control register, see
                  :mod:`.register_rates`), ``published`` (a cited figure), ``definition``
                  (a ban's severity is 1), or ``assumption`` (a labelled user assumption
                  with its rationale)
*_source          the citation, or the rule and counts behind a derived number
rationale         why the row exists and how to read it
================  ==========================================================================

Every probability is either derived from the register (its counts are in ``rate_source``
and the test suite re-derives them from the snapshot: a stale row fails) or a labelled
assumption; the same holds for durations and severities. :func:`derive_library` writes the
rows from the snapshot (``python -m critmin.model.montecarlo.disruptions`` rewrites the
CSV after the register changes).

Matching a library to a market (:func:`events_for_market`): for each exporter region of
the market (countries only: ``ROW`` and named groups are not exporters the library can
describe, and the focus region is not a foreign supplier) and each kind, the most
specific rows win: exact exporter and mineral, then exact exporter with ``*`` mineral,
then the governance group, then ``*``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import CritminError

from .distributions import Distribution
from .register_rates import RegisterRate

LIBRARY_PATH = Path(__file__).with_name("disruptions.csv")
KINDS = ("ban", "quota", "licensing", "outage")
TARGETS = ("USA", "ALL")
STAGES = ("mine", "processing", "*")
BASES = ("register", "published", "definition", "assumption")
COLUMNS = (
    "event_id", "exporter", "mineral", "stage", "kind", "target", "enabled",
    "rate_dist", "rate_a", "rate_b", "rate_basis", "rate_source",
    "duration_dist", "duration_a", "duration_b", "duration_basis", "duration_source",
    "severity_dist", "severity_a", "severity_b", "severity_unit", "severity_basis", "severity_source",
    "rationale",
)

USGS_2025 = ("Nassar, N. T., D. Pineault and others (2025), Methodology and Technical Input for the 2025 U.S. List "
             "of Critical Minerals - Assessing the Potential Effects of Mineral Commodity Supply Chain Disruptions on "
             "the U.S. Economy, U.S. Geological Survey Open-File Report 2025-1047, https://doi.org/10.3133/ofr20251047 "
             "(abstract: post-disruption equilibria are computed 'for each yearlong foreign trade disruption scenario')")
ARECOMS_2025 = ("ARECOMS (Autorite de Regulation et de Controle des Marches des Substances Minerales Strategiques, DR "
                "Congo), Decision No. 004/ARECOMS/2025 (September 2025): cobalt exports capped at 96,600 t a year "
                "for 2026 and 2027, after the February-October 2025 export suspension; as reported by Reuters "
                "(e.g. batterymetalsafrica.com/?p=5588; modernminingzambia.com, October 2025)")


class LibraryError(CritminError):
    """A disruption library file that does not follow the documented columns."""


@dataclass(frozen=True)
class EventKind:
    """One row of the library, validated."""

    event_id: str
    exporter: str
    mineral: str
    stage: str
    kind: str
    target: str
    enabled: bool
    rate: Distribution
    rate_basis: str
    rate_source: str
    duration: Distribution | None  # None: persistent (to the end of the horizon)
    duration_basis: str
    duration_source: str
    severity: Distribution
    severity_unit: str
    severity_basis: str
    severity_source: str
    rationale: str

    @property
    def persistent(self) -> bool:
        return self.duration is None

    def mean_probability(self) -> float:
        """Mean annual onset probability ``E[1 - exp(-lambda)]``."""
        if self.rate.kind == "gamma":
            return 1.0 - (self.rate.b / (self.rate.b + 1.0)) ** self.rate.a
        if self.rate.kind == "fixed":
            return 1.0 - math.exp(-self.rate.a)
        u = (np.arange(2000) + 0.5) / 2000
        return float(np.mean(1.0 - np.exp(-self.rate.ppf(u))))

    def describe_duration(self) -> str:
        return "persistent (to the end of the horizon)" if self.duration is None else f"{self.duration.describe()} years"


# --- reading ---------------------------------------------------------------------------------------------------

def _fail(path: Path, row: int, field: str, message: str) -> None:
    raise LibraryError(f"{path}: row {row}, field {field!r}: {message}")


def _num(path: Path, row: int, field: str, text: str, required: bool) -> float:
    text = (text or "").strip()
    if not text:
        if required:
            _fail(path, row, field, "a number is required")
        return float("nan")
    try:
        return float(text)
    except ValueError:
        _fail(path, row, field, f"expected a number, found {text!r}")
    raise AssertionError  # unreachable


def _dist(path: Path, row: int, prefix: str, rec: dict[str, str], allow_persistent: bool = False) -> Distribution | None:
    kind = rec[f"{prefix}_dist"].strip()
    if allow_persistent and kind == "persistent":
        return None
    a = _num(path, row, f"{prefix}_a", rec[f"{prefix}_a"], True)
    b = _num(path, row, f"{prefix}_b", rec[f"{prefix}_b"], kind not in ("fixed",))
    try:
        return Distribution(kind, a, b)
    except ValueError as exc:
        _fail(path, row, f"{prefix}_dist", str(exc))
    raise AssertionError


def load_library(path: str | Path | None = None) -> list[EventKind]:
    """Read and validate a disruption library CSV (default: the one shipped with critmin).

    Raises
    ------
    LibraryError
        Naming the file, row (header = row 1) and field of the first problem: a missing
        column, an unknown kind/target/stage/basis, a bad number or distribution, a
        duplicate ``event_id``, a non-assumption basis without a source, a ban whose
        severity is not 1.
    """
    path = Path(path) if path is not None else LIBRARY_PATH
    if not path.is_file():
        raise LibraryError(f"{path}: disruption library not found")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise LibraryError(f"{path}: row 1: missing column(s) {missing}; expected {list(COLUMNS)}")
        rows = list(reader)
    out: list[EventKind] = []
    seen: set[str] = set()
    for i, rec in enumerate(rows, start=2):
        rec = {k: (v or "").strip() for k, v in rec.items() if k is not None}
        eid = rec["event_id"]
        if not eid:
            _fail(path, i, "event_id", "an event id is required")
        if eid in seen:
            _fail(path, i, "event_id", f"duplicate event id {eid!r}")
        seen.add(eid)
        for field, allowed in (("kind", KINDS), ("target", TARGETS), ("stage", STAGES)):
            if rec[field] not in allowed:
                _fail(path, i, field, f"expected one of {allowed}, found {rec[field]!r}")
        if rec["enabled"].lower() not in ("true", "false"):
            _fail(path, i, "enabled", f"expected true or false, found {rec['enabled']!r}")
        for part in ("rate", "duration", "severity"):
            basis = rec[f"{part}_basis"]
            if basis not in BASES:
                _fail(path, i, f"{part}_basis", f"expected one of {BASES}, found {basis!r}")
            if not rec[f"{part}_source"]:
                _fail(path, i, f"{part}_source", "every number needs its source (a citation, a register rule, or "
                                                  "the rationale of an assumption)")
        exporter = rec["exporter"]
        if not (exporter == "*" or exporter.startswith("wgi:") or (len(exporter) == 3 and exporter.isupper())):
            _fail(path, i, "exporter", f"expected an ISO3 code, 'wgi:<group>' or '*', found {exporter!r}")
        rate = _dist(path, i, "rate", rec)
        if rate.kind in ("fixed", "uniform", "loguniform") and rate.a < 0:
            _fail(path, i, "rate_a", "an event rate cannot be negative")
        severity = _dist(path, i, "severity", rec)
        unit = rec["severity_unit"] or "share"
        if rec["kind"] == "ban" and not (severity.kind == "fixed" and severity.a == 1.0 and unit == "share"):
            _fail(path, i, "severity_a", "a ban withholds every shipment: severity fixed 1 (share)")
        if unit == "share":
            lo, hi = severity.ppf(np.array([1e-9, 1 - 1e-9]))
            if lo < 0 or hi > 1:
                _fail(path, i, "severity_a", "a share must lie in [0, 1]")
        elif rec["kind"] != "quota":
            _fail(path, i, "severity_unit", "only a quota can be given as a cap quantity")
        duration = _dist(path, i, "duration", rec, allow_persistent=True)
        if duration is not None and duration.ppf(np.array([1e-9]))[0] <= 0:
            _fail(path, i, "duration_a", "a duration must be positive")
        out.append(EventKind(
            eid, exporter, rec["mineral"], rec["stage"], rec["kind"], rec["target"], rec["enabled"].lower() == "true",
            rate, rec["rate_basis"], rec["rate_source"], duration, rec["duration_basis"], rec["duration_source"],
            severity, unit, rec["severity_basis"], rec["severity_source"], rec["rationale"]))
    return out


def library_table(library: list[EventKind]) -> pd.DataFrame:
    """The library as a tidy table with each row's mean annual probability and its sources."""
    rows = []
    for e in library:
        p_lo, p_hi = (1 - np.exp(-np.array(e.rate.interval(0.9)))).tolist()
        rows.append({
            "event_id": e.event_id, "exporter": e.exporter, "mineral": e.mineral, "stage": e.stage, "kind": e.kind,
            "target": e.target, "enabled": e.enabled, "annual_probability_mean": e.mean_probability(),
            "annual_probability_90_low": p_lo, "annual_probability_90_high": p_hi, "rate": e.rate.describe(),
            "rate_basis": e.rate_basis, "duration": e.describe_duration(), "duration_basis": e.duration_basis,
            "severity": f"{e.severity.describe()} {e.severity_unit}", "severity_basis": e.severity_basis,
            "rate_source": e.rate_source, "duration_source": e.duration_source, "severity_source": e.severity_source,
            "rationale": e.rationale,
        })
    return pd.DataFrame(rows)


# --- matching a market ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActiveEvent:
    """A library row applied to one exporter region of one market."""

    event: EventKind
    region: str

    @property
    def label(self) -> str:
        return f"{self.event.event_id}@{self.region}" if self.event.exporter != self.region else self.event.event_id


def _specificity(e: EventKind, region: str, mineral: str, group: str | None) -> int | None:
    """How specifically row ``e`` matches (higher is more specific), or None when it does not."""
    if e.mineral not in ("*", mineral):
        return None
    exact_mineral = e.mineral == mineral
    if e.exporter == region:
        return 4 if exact_mineral else 3
    if e.exporter.startswith("wgi:"):
        # governance-group rows describe countries other than China (which has its own rows)
        return (2 if exact_mineral else 1) if (region != "CHN" and e.exporter[4:] == group) else None
    if e.exporter == "*":
        return 0
    return None


def events_for_market(library: list[EventKind], mineral: str, stage: str, regions: tuple[str, ...],
                      focus: str | None = "USA", governance_group: dict[str, str] | None = None,
                      include_disabled: bool = False) -> tuple[list[ActiveEvent], list[str]]:
    """The library rows that apply to a market's exporter regions, and notes on what was left out.

    Parameters
    ----------
    library : list of EventKind
    mineral, stage : str
        The market's commodity id and stage (``mine``/``processing``; anything else matches
        only ``*`` rows).
    regions : tuple of str
        The market's regions; ISO3 codes are exporters the library can describe.
    focus : str
        The importing region whose supply is at risk (not itself an exporter here).
    governance_group : dict
        ISO3 -> governance group (``wgi_low``...); countries without one use ``all``.
    include_disabled : bool
        Apply disabled rows too (a user enabling the documented assumption rows).
    """
    governance_group = governance_group or {}
    chosen: list[ActiveEvent] = []
    notes: list[str] = []
    for region in regions:
        if region == focus:
            continue
        if not (len(region) == 3 and region.isupper() and region != "ROW"):
            notes.append(f"{region}: a group of countries, not one exporter; the library's country rows are not "
                         "applied to it")
            continue
        group = governance_group.get(region, "all")
        for kind in KINDS:
            best: list[tuple[int, EventKind]] = []
            for e in library:
                if e.kind != kind or (not e.enabled and not include_disabled):
                    continue
                if e.stage not in ("*", stage):
                    continue
                s = _specificity(e, region, mineral, group)
                if s is not None:
                    best.append((s, e))
            if not best:
                continue
            top = max(s for s, _ in best)
            chosen.extend(ActiveEvent(e, region) for s, e in best if s == top)
    return chosen, notes


# --- deriving the shipped library from the snapshot ------------------------------------------------------------

LICENSING_SEVERITY = ("uniform", 0.1, 0.5)
LICENSING_SEVERITY_WHY = (
    "assumption: under China's dual-use regime exports need a licence per contract; shipments are delayed or "
    "refused rather than banned. No published share of exports held up was found in the sources searched, so "
    "the share withheld during an event is a labelled assumption, uniform 10-50%")
OUTAGE_ROW = {
    "rate": ("fixed", 0.05, ""), "severity": ("uniform", 0.1, 0.3), "duration": ("uniform", 0.25, 1.0),
    "why": ("assumption, disabled by default: a non-policy outage (accident, flood, power rationing) at an "
            "exporter's plants. No published annual frequency was found in the sources searched; the numbers "
            "are placeholders for a user to replace before enabling the row"),
}


def _rate_cols(r: RegisterRate) -> dict[str, object]:
    return {"rate_dist": "gamma", "rate_a": round(r.shape, 6), "rate_b": round(r.rate, 6), "rate_basis": "register",
            "rate_source": r.citation()}


def derive_library(tables: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The library rows derived from the snapshot's register (what ``disruptions.csv`` holds).

    China: a ``ban`` (to the US) and a ``licensing`` row for every commodity under an
    effective Chinese licensing measure, a ``licensing`` onset row for any other commodity
    China exports; the DR Congo cobalt quota (published cap); a ``ban`` (all destinations)
    row per governance group for every other exporter; a disabled ``outage`` row.
    """
    from critmin.kb import read_tables

    from .register_rates import derive_rates

    if tables is None:
        tables = read_tables(["export_controls", "production", "governance", "commodities"])
    rates, inputs = derive_rates(tables)
    ban_duration = {"duration_dist": "fixed", "duration_a": 1.0, "duration_b": "", "duration_basis": "published",
                    "duration_source": USGS_2025 + "; register: Announcement 2024 No. 46 effective 2024-12-03, "
                                       "suspension reported 2025-11-09 (0.93 years; the register marks the "
                                       "suspension as secondary, to verify)"}
    one_year = {"duration_dist": "fixed", "duration_a": 1.0, "duration_b": "", "duration_basis": "assumption",
                "duration_source": "assumption: one year, the length of the USGS 2025 disruption scenarios ("
                                   + USGS_2025.split(" (abstract")[0] + ")"}
    licensing_sev = {"severity_dist": LICENSING_SEVERITY[0], "severity_a": LICENSING_SEVERITY[1],
                     "severity_b": LICENSING_SEVERITY[2], "severity_unit": "share", "severity_basis": "assumption",
                     "severity_source": LICENSING_SEVERITY_WHY}
    ban_sev = {"severity_dist": "fixed", "severity_a": 1.0, "severity_b": "", "severity_unit": "share",
               "severity_basis": "definition", "severity_source": "a ban withholds every shipment"}
    rows: list[dict[str, object]] = []
    for cid in inputs["china_licensed"]:
        rows.append({"event_id": f"CHN-{cid}-ban-us", "exporter": "CHN", "mineral": cid, "stage": "*", "kind": "ban",
                     "target": "USA", "enabled": "true", **_rate_cols(rates["cn_ban_us"]), **ban_duration, **ban_sev,
                     "rationale": f"China licenses {cid} exports (register); it banned licensed minerals to the US "
                                  "in December 2024 (Announcement 2024 No. 46)"})
        rows.append({"event_id": f"CHN-{cid}-licensing", "exporter": "CHN", "mineral": cid, "stage": "*",
                     "kind": "licensing", "target": "ALL", "enabled": "true", **_rate_cols(rates["cn_tightening"]),
                     **one_year, **licensing_sev,
                     "rationale": f"a tightening of China's licensing of {cid} holds up part of its exports to every "
                                  "destination for a year"})
    rows.append({"event_id": "CHN-new-licensing", "exporter": "CHN", "mineral": "*", "stage": "*", "kind": "licensing",
                 "target": "ALL", "enabled": "true", **_rate_cols(rates["cn_new_licensing"]), **one_year,
                 **licensing_sev,
                 "rationale": "China puts a mineral it exports under licensing for the first time (14 commodities in "
                              "2023-2025); applies to commodities without a licensing row"})
    cod = rates["other_restriction:" + inputs["governance_group"].get("COD", "all")]
    rows.append({"event_id": "COD-cobalt-quota", "exporter": "COD", "mineral": "cobalt", "stage": "mine",
                 "kind": "quota", "target": "ALL", "enabled": "true", **_rate_cols(cod),
                 "duration_dist": "fixed", "duration_a": 2.0, "duration_b": "", "duration_basis": "published",
                 "duration_source": ARECOMS_2025 + " (the decision covers two years)",
                 "severity_dist": "fixed", "severity_a": 96600.0, "severity_b": "", "severity_unit": "t",
                 "severity_basis": "published", "severity_source": ARECOMS_2025,
                 "rationale": "DR Congo restricts cobalt exports again as in 2025: a cap of 96,600 t of contained "
                              "cobalt a year; the rate is the governance-group rate of new restrictions"})
    cuts = inputs["governance_cuts"]
    gov = inputs["governance"]
    for group in ("wgi_low", "wgi_mid", "wgi_high", "all"):
        where = {"wgi_low": f"mean WGI <= {cuts[0]:.3f}", "wgi_mid": f"{cuts[0]:.3f} < mean WGI <= {cuts[1]:.3f}",
                 "wgi_high": f"mean WGI > {cuts[1]:.3f}", "all": "no WGI score"}[group]
        rows.append({"event_id": f"restriction-{group}", "exporter": f"wgi:{group}", "mineral": "*", "stage": "*",
                     "kind": "ban", "target": "ALL", "enabled": "true",
                     **_rate_cols(rates[f"other_restriction:{group}"]),
                     "duration_dist": "persistent", "duration_a": "", "duration_b": "", "duration_basis": "assumption",
                     "duration_source": "assumption: every restriction in MCS 2026 Table 4 is still in force (the table "
                                        "lists no lifted measure), so a new one is taken to last to the end of the "
                                        "horizon",
                     **ban_sev,
                     "rationale": f"a producer other than China bans exports of the mineral (most Table 4 measures "
                                  f"are export bans); countries with {where} (WGI {gov['release']} {gov['year']}, "
                                  "mean of the six indicators, tercile cut points)"})
    rows.append({"event_id": "outage-any", "exporter": "*", "mineral": "*", "stage": "*", "kind": "outage",
                 "target": "ALL", "enabled": "false", "rate_dist": OUTAGE_ROW["rate"][0], "rate_a": OUTAGE_ROW["rate"][1],
                 "rate_b": "", "rate_basis": "assumption", "rate_source": OUTAGE_ROW["why"],
                 "duration_dist": OUTAGE_ROW["duration"][0], "duration_a": OUTAGE_ROW["duration"][1],
                 "duration_b": OUTAGE_ROW["duration"][2], "duration_basis": "assumption",
                 "duration_source": OUTAGE_ROW["why"], "severity_dist": OUTAGE_ROW["severity"][0],
                 "severity_a": OUTAGE_ROW["severity"][1], "severity_b": OUTAGE_ROW["severity"][2],
                 "severity_unit": "share", "severity_basis": "assumption", "severity_source": OUTAGE_ROW["why"],
                 "rationale": "share of an exporter's output lost for part of a year"})
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame


def write_library(path: str | Path | None = None) -> Path:
    """Rewrite the shipped library CSV from the current snapshot."""
    path = Path(path) if path is not None else LIBRARY_PATH
    frame = derive_library()
    tmp = path.with_suffix(".csv.tmp")
    frame.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)
    return path


def governance_groups_from_snapshot() -> dict[str, str]:
    """ISO3 -> governance tercile group (as the library's ``wgi:`` rows use)."""
    from critmin.kb import read_tables
    from critmin.analysis.risk import governance as gov

    from .register_rates import governance_groups

    scores, _ = gov.estimates(read_tables(["governance"])["governance"], gov.SIX)
    groups, _ = governance_groups(scores)
    return groups


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    print(write_library())

"""The register of export controls, agreements and dates the tracker follows.

Three sources make one register of :class:`~critmin.analysis.tracker.Entry` objects:

1. the snapshot: ``export_controls`` (the compiled register of China's measures and USGS
   MCS 2026 Table 4) and ``agreements`` (MCS 2026 Table 5), one measure or agreement each;
2. critmin's own entries, ``register_data/builtin.yaml`` in the package: the dated
   status changes that the snapshot only states in words (China's suspensions by
   Announcements 2025 Nos. 70 and 72 with their end dates, the end of the DS431 quotas)
   and the Section 232 calendar, each with its source and how far it was checked;
3. the user's files, stored by ``critmin tracker add FILE`` in the user data folder
   (``$CRITMIN_REGISTER_DIR``, else ``$XDG_DATA_HOME/critmin/register``, else
   ``~/.local/share/critmin/register``), never in the installed package.

File format (``docs/tracker.md``)
---------------------------------
YAML::

    format: critmin-register/1
    entries:
      - id: CN-2026-99              # unique across the whole register
        kind: status                # measure | agreement | status | date
        applies_to: [CN-2025-57]    # status: ids of measures or agreements
        status: extended            # suspended | extended | resumed | lifted | reinstated | lapsed
        date: 2026-11-05            # YYYY-MM-DD (YYYY-MM where a month is all that is known)
        until: 2027-11-10           # suspended and extended only
        title: MOFCOM Announcement 2026 No. 99
        source_url: https://...
        verification: corroborated  # official | corroborated | secondary | unverified
        verification_note: two independent reports of the MOFCOM text

or CSV with the same field names as columns (header on row 1; lists separated by ``;``).
Fields by kind (``*`` required; every kind needs ``id``, ``kind``, ``source_url`` and
``verification``):

* ``measure``: ``country``\\*, ``materials``\\*, ``type``\\*, ``announced`` or
  ``effective``\\*, ``end``, ``target`` (the destination a measure is aimed at), ``title``;
* ``agreement``: ``countries``\\* (partners), ``title``\\*, ``signed``\\*, ``end``,
  ``materials``;
* ``status``: ``applies_to``\\*, ``status``\\*, ``date``\\*, ``until`` (required for
  ``suspended`` and ``extended``, refused otherwise), ``part`` (which part of the measure),
  ``title``;
* ``date``: ``date``\\*, ``title``\\*, ``detail``, ``country``, ``category``
  (``us_policy``, ``china_controls``, ``alliances``, ``other``).

Common optional fields: ``verification_note``, ``notes``. An unknown field, a missing
required one, a date that is not ISO, an end before its start, an unmapped country or
material, a duplicate id or an ``applies_to`` naming no measure or agreement is an error
naming the file, the row (the CSV line, or the YAML entry and its line) and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from critmin.analysis.tracker import (
    AGREEMENT, CHANGES, CHANGES_WITH_UNTIL, DATE, KINDS, MEASURE, STATUS, VERIFICATION, Day, Entry,
)
from critmin.errors import CritminError, SourceError

FORMAT = "critmin-register/1"
BUILTIN = Path(__file__).parent / "register_data" / "builtin.yaml"
CATEGORIES = ("us_policy", "china_controls", "alliances", "other")

COMMON = ("id", "kind", "source_url", "verification", "verification_note", "notes")
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required beyond the common ones, optional)
    MEASURE: (("country", "materials", "type"), ("announced", "effective", "end", "target", "title")),
    AGREEMENT: (("countries", "title", "signed"), ("end", "materials")),
    STATUS: (("applies_to", "status", "date"), ("until", "part", "title")),
    DATE: (("date", "title"), ("detail", "country", "category")),
}
LIST_FIELDS = ("materials", "countries", "applies_to")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")
_URL_RE = re.compile(r"^https?://\S+$")


class RegisterError(SourceError):
    """A register file is not in the documented format (file, row, field, what was expected)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a register file."""

    file: str
    row: int | None
    field: str | None
    message: str
    found: object = None
    expected: str | None = None

    def error(self) -> RegisterError:
        return RegisterError(self.file, self.message, row=self.row, field=self.field, found=self.found,
                             expected=self.expected)

    def __str__(self) -> str:
        return str(self.error())


# --- where the user's files live ------------------------------------------------------------------
def user_dir() -> Path:
    """The folder of the user's register files (created by :func:`add_file`)."""
    env = os.environ.get("CRITMIN_REGISTER_DIR")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "critmin" / "register"


def user_files(folder: Path | None = None) -> list[Path]:
    folder = folder or user_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".csv") and p.is_file())


def state(folder: Path | None = None, include_user: bool = True) -> str:
    """One string that changes whenever the built-in register file or a user register file
    changes (added, removed, rewritten): with :func:`critmin.snapshot.fingerprint`, what the
    tracker's caches key on."""
    def stamp(path: Path) -> str:
        try:
            st = path.stat()
        except OSError:
            return f"{path}:-"
        return f"{path}:{st.st_mtime_ns}:{st.st_size}"

    parts = [stamp(BUILTIN), str(folder or user_dir())]
    if include_user:
        parts += [stamp(f) for f in user_files(folder)]
    return "|".join(parts)


# --- reading a file into raw records ------------------------------------------------------------
def _raw_records(path: Path) -> tuple[list[tuple[int, dict]], list[Problem]]:
    """(row, fields) pairs of a YAML or CSV register file; row is the CSV line or the YAML
    line where the entry starts."""
    name = str(path)
    if not path.is_file():
        return [], [Problem(name, None, None, "no such file", expected="a .yaml, .yml or .csv register file")]
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Problem(name, None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})", expected="UTF-8")]
    if suffix == ".csv":
        return _csv_records(name, text)
    if suffix in (".yaml", ".yml"):
        return _yaml_records(name, text)
    return [], [Problem(name, None, None, "unknown file type", found=path.suffix, expected=".yaml, .yml or .csv")]


def _csv_records(name: str, text: str) -> tuple[list[tuple[int, dict]], list[Problem]]:
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows:
        return [], [Problem(name, 1, None, "empty file", expected="a header row with the field names")]
    header = [h.strip() for h in rows[0]]
    problems = [Problem(name, 1, h or f"column {i + 1}", "unknown column", found=h,
                        expected=f"field names of {FORMAT} (docs/tracker.md)")
                for i, h in enumerate(header) if h not in _all_fields()]
    if problems:
        return [], problems
    out = []
    line = 1
    for cells in rows[1:]:
        line += 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem(name, line, None, f"{len(cells)} cells for {len(header)} columns",
                                    expected="one cell per column (quote cells that contain commas)"))
            continue
        rec = {}
        for h, c in zip(header, cells):
            c = c.strip()
            if not c:
                continue
            rec[h] = [x.strip() for x in c.split(";") if x.strip()] if h in LIST_FIELDS else c
        out.append((line, rec))
    return out, problems


def _yaml_loader():
    """A safe loader (libyaml's when installed: 20x faster) that leaves dates as text, so a
    date such as ``2026-13-01`` is reported with its row and field rather than failing
    inside the YAML parser."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    Loader.yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"] for k, v in base.yaml_implicit_resolvers.items()
    }
    return Loader


def _yaml_records(name: str, text: str) -> tuple[list[tuple[int, dict]], list[Problem]]:
    import yaml

    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except (yaml.YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [Problem(name, mark.line + 1 if mark else None, None, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return [], [Problem(name, 1, None, "the file is not a mapping", found=type(data).__name__,
                            expected=f"'format: {FORMAT}' and 'entries:' at the top level")]
    problems = []
    if data.get("format") != FORMAT:
        problems.append(Problem(name, 1, "format", "unknown format", found=data.get("format"), expected=FORMAT))
    unknown = [k for k in data if k not in ("format", "entries", "title", "notes")]
    for k in unknown:
        problems.append(Problem(name, 1, str(k), "unknown top-level key", expected="format, entries, title, notes"))
    entries = data.get("entries")
    if not isinstance(entries, list):
        problems.append(Problem(name, 1, "entries", "no list of entries", found=type(entries).__name__,
                                expected="entries: followed by a list of mappings"))
        return [], problems
    loader.dispose()
    entry_nodes = next((v for k, v in node.value if getattr(k, "value", None) == "entries"), None)
    out = []
    for i, rec in enumerate(entries):
        line = entry_nodes.value[i].start_mark.line + 1 if entry_nodes is not None else None
        if not isinstance(rec, dict):
            problems.append(Problem(name, line, None, f"entry {i + 1} is not a mapping", found=rec))
            continue
        clean = {}
        for k, v in rec.items():
            k = str(k)
            if isinstance(v, (dt.date, dt.datetime)):
                v = v.isoformat()[:10]
            elif isinstance(v, list):
                v = [str(x).strip() for x in v]
            elif v is not None:
                v = str(v).strip()
            if v not in (None, "", []):
                clean[k] = v
        out.append((line, clean))
    return out, problems


def _all_fields() -> set[str]:
    out = set(COMMON)
    for req, opt in FIELDS.values():
        out.update(req)
        out.update(opt)
    return out


# --- validating records into entries ------------------------------------------------------------
#: Years a register date may have: wide enough for the WTO quotas of 2010 and any
#: plausible horizon, narrow enough that a typo (``20266-11-10`` read as year 2026x) fails.
YEARS = (1900, 2100)


def _day(text: str, *, allow_month: bool = True) -> Day | None:
    day: Day | None = None
    if _DAY_RE.match(text):
        try:
            day = Day(dt.date.fromisoformat(text))
        except ValueError:
            return None
    elif allow_month and _MONTH_RE.match(text):
        y, m = map(int, text.split("-"))
        day = Day(dt.date(y, m, 1), "month") if 1 <= m <= 12 and y >= 1 else None
    if day is None or not YEARS[0] <= day.date.year <= YEARS[1]:
        return None
    return day


def _country(text: str) -> tuple[str | None, tuple[str, ...]]:
    """(ISO3 of a country, members of a group); raises UnmappedNameError."""
    from critmin.vocab.countries import COUNTRY, resolve_code, resolve_country

    if re.fullmatch(r"[A-Z]{3}", text):
        return resolve_code(text), ()
    ref = resolve_country(text)
    if ref.kind == COUNTRY and ref.iso3:
        return ref.iso3, ()
    return None, tuple(ref.members)


def _record_entry(name: str, row: int | None, rec: dict, origin: str) -> tuple[Entry | None, list[Problem]]:
    from critmin.errors import UnmappedNameError
    from critmin.sources.export_register import commodities_named

    problems: list[Problem] = []

    def bad(field: str | None, message: str, found=None, expected: str | None = None) -> None:
        problems.append(Problem(name, row, field, message, found, expected))

    kind = rec.get("kind")
    if kind not in KINDS:
        bad("kind", "unknown kind", kind, " | ".join(KINDS))
        return None, problems
    required, optional = FIELDS[kind]
    allowed = set(COMMON) | set(required) | set(optional)
    for k in rec:
        if k not in allowed:
            bad(k, f"field not used by a {kind} entry", rec[k], ", ".join(sorted(allowed)))
    for k in ("id", "source_url", "verification", *required):
        if k not in rec:
            bad(k, "required field missing", expected=_EXPECT.get(k, "a value"))
    eid = rec.get("id", "")
    if eid and not _ID_RE.match(eid):
        bad("id", "not a valid id", eid, "letters, digits, '.', '_' or '-', at most 80 characters")
    url = rec.get("source_url")
    if url and not _URL_RE.match(url):
        bad("source_url", "not a web address", url, "http(s)://...")
    verification = rec.get("verification")
    if verification and verification not in VERIFICATION:
        bad("verification", "unknown verification level", verification, " | ".join(VERIFICATION))
    for k in LIST_FIELDS:
        if k in rec and isinstance(rec[k], str):
            rec[k] = [x.strip() for x in rec[k].split(";") if x.strip()]

    days: dict[str, Day | None] = {}
    for k in ("announced", "effective", "end", "signed", "date", "until"):
        if k in rec:
            d = _day(rec[k], allow_month=k not in ("until",))
            if d is None:
                bad(k, "not a date", rec[k], "YYYY-MM-DD" + ("" if k == "until" else " (or YYYY-MM for a month)")
                    + f", years {YEARS[0]}-{YEARS[1]}")
            days[k] = d

    country = None
    partners: tuple[str, ...] = ()
    target = None
    for k in ("country", "target"):
        if k in rec:
            try:
                iso, members = _country(rec[k])
            except UnmappedNameError as exc:
                bad(k, "unknown country", rec[k], exc.expected)
                continue
            if iso is None:
                bad(k, "not a single country", rec[k], "a country name or ISO3 code")
            elif k == "country":
                country = iso
            else:
                target = iso
    if "countries" in rec:
        acc = []
        for c in rec["countries"]:
            try:
                iso, members = _country(c)
            except UnmappedNameError as exc:
                bad("countries", "unknown country", c, exc.expected)
                continue
            acc.extend([iso] if iso else members)
        partners = tuple(dict.fromkeys(acc))
        country = partners[0] if len(partners) == 1 else None

    commodity_ids: list[str] = []
    for item in rec.get("materials", []):
        try:
            commodity_ids.extend(c for c in commodities_named(item, file=name, row=row, field="materials") if c)
        except UnmappedNameError as exc:
            bad("materials", "material not mapped to a commodity", item, exc.expected)

    status = rec.get("status", "")
    if kind == STATUS:
        if status and status not in CHANGES:
            bad("status", "unknown status change", status, " | ".join(CHANGES))
        if status in CHANGES_WITH_UNTIL and "until" not in rec:
            bad("until", f"a '{status}' change needs the date it runs until", expected="YYYY-MM-DD")
        if status and status not in CHANGES_WITH_UNTIL and "until" in rec:
            bad("until", f"a '{status}' change has no end date", rec["until"], "no 'until' field")
        if days.get("until") and days.get("date") and days["until"].date < days["date"].date:
            bad("until", "ends before it starts", rec["until"], f"a date on or after {rec['date']}")
    if kind == MEASURE and "announced" not in rec and "effective" not in rec:
        bad("effective", "a measure needs a date", expected="'effective' or 'announced' (YYYY-MM-DD)")
    start = days.get("effective") or days.get("announced") or days.get("signed")
    if days.get("end") and start and days["end"].last < start.date:
        bad("end", "ends before it starts", rec["end"], f"a date on or after {start.text()}")
    if kind == DATE and rec.get("category") and rec["category"] not in CATEGORIES:
        bad("category", "unknown category", rec["category"], " | ".join(CATEGORIES))
    if problems:
        return None, problems
    entry = Entry(
        entry_id=eid, kind=kind, title=rec.get("title", ""), country_iso3=country, partners=partners,
        target_iso3=target, materials=tuple(rec.get("materials", [])), commodity_ids=tuple(dict.fromkeys(commodity_ids)),
        measure_type=rec.get("type", ""), announced=days.get("announced"), effective=days.get("effective"),
        end=days.get("end"), date=days.get("date") or days.get("signed"), status=status, until=days.get("until"),
        applies_to=tuple(rec.get("applies_to", [])), part=rec.get("part", ""), category=rec.get("category", ""),
        detail=rec.get("detail") or rec.get("notes", ""), source_url=url, verification=verification or "unverified",
        verification_note=rec.get("verification_note", ""), origin=origin, origin_row=row,
    )
    return entry, []


_EXPECT = {
    "id": "a unique id such as CN-2026-12", "source_url": "the web address of the source",
    "verification": " | ".join(VERIFICATION), "country": "a country name or ISO3 code",
    "countries": "partner countries (a list)", "materials": "materials as published (a list)",
    "type": "the kind of measure, e.g. 'Export ban'", "title": "a short title", "signed": "YYYY-MM-DD",
    "applies_to": "ids of measures or agreements (a list)", "status": " | ".join(CHANGES), "date": "YYYY-MM-DD",
}


def check_file(path: str | Path, existing: Sequence[Entry] = (), *, origin: str | None = None,
               require_targets: bool = True) -> tuple[list[Entry], list[Problem]]:
    """Every entry of a register file and every problem found in it.

    Parameters
    ----------
    path
        A ``.yaml``/``.yml`` or ``.csv`` file in the documented format.
    existing
        The rest of the register: ids must not repeat, and ``applies_to`` may name its
        measures and agreements.
    require_targets
        Whether every id in ``applies_to`` must name a measure or agreement. The built-in
        entries are read without it, so that a snapshot built from part of the raw files
        (the tests' small ones) still has a register: a change whose measures are absent
        then changes nothing.
    """
    path = Path(path)
    name = str(path)
    records, problems = _raw_records(path)
    entries: list[Entry] = []
    for row, rec in records:
        e, p = _record_entry(name, row, rec, origin or f"user:{path.name}")
        problems.extend(p)
        if e is not None:
            entries.append(e)
    known = {e.entry_id: e for e in existing}
    seen: dict[str, int | None] = {}
    for e in entries:
        if e.entry_id in seen:
            problems.append(Problem(name, e.origin_row, "id", f"duplicate id (also on row {seen[e.entry_id]})",
                                    e.entry_id, "ids unique in the file"))
        elif e.entry_id in known:
            problems.append(Problem(name, e.origin_row, "id", f"id already in the register ({known[e.entry_id].origin})",
                                    e.entry_id, "an id not used elsewhere"))
        seen[e.entry_id] = e.origin_row
    # Checked on every record, valid or not, so that one run lists every problem.
    targets = {e.entry_id for e in existing if e.kind in (MEASURE, AGREEMENT)}
    targets |= {rec.get("id") for _, rec in records if rec.get("kind") in (MEASURE, AGREEMENT)}
    for row, rec in records if require_targets else ():
        listed = rec.get("applies_to", [])
        for t in [listed] if isinstance(listed, str) else listed:
            if t not in targets:
                problems.append(Problem(name, row, "applies_to", "names no measure or agreement", t,
                                        "the id of a measure or agreement in this file or the register"))
    problems.sort(key=lambda pr: (pr.row or 0))
    if not records and not problems:
        problems.append(Problem(name, None, "entries", "no entries", expected="at least one entry"))
    return entries, problems


def load_file(path: str | Path, existing: Sequence[Entry] = (), *, origin: str | None = None,
              require_targets: bool = True) -> list[Entry]:
    """The entries of a register file; raise :class:`RegisterError` on the first problem."""
    entries, problems = check_file(path, existing, origin=origin, require_targets=require_targets)
    if problems:
        raise problems[0].error()
    return entries


# --- the snapshot's measures and agreements ------------------------------------------------------
def _verification_of(note) -> str:
    """The compiled register's verification note as a level: the rows it marks secondary or
    to verify stay so; 'as above' and 'dates corroborated' rows are corroborated."""
    text = "" if note is None or (isinstance(note, float) and pd.isna(note)) else str(note).lower()
    if not text:
        return "official"  # USGS MCS 2026 T4/T5 rows: a publisher's table
    if "verify" in text or text.startswith("secondary"):
        return "unverified"
    if "secondary" in text and "as above" not in text and "corroborated" not in text:
        return "secondary"
    return "corroborated"


def _ts_day(value) -> Day | None:
    if value is None or pd.isna(value):
        return None
    return Day(pd.Timestamp(value).date())


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def snapshot_entries(export_controls: pd.DataFrame, agreements: pd.DataFrame) -> list[Entry]:
    """Measures and agreements of the snapshot as register entries (pure)."""
    out: list[Entry] = []
    if export_controls is not None and not export_controls.empty:
        groups: dict[str, list[dict]] = {}
        for r in export_controls.to_dict("records"):  # one pass: ~100 rows, ~50 measures
            groups.setdefault(str(r["measure_id"]), []).append(r)
        for mid in sorted(groups):
            rows = groups[mid]
            r = rows[0]
            year = r.get("year")
            effective = _ts_day(r["effective_date"])
            announced = _ts_day(r["announced_date"])
            if effective is None and announced is None and year is not None and not pd.isna(year):
                effective = Day(dt.date(int(year), 1, 1), "year")  # MCS T4 gives the year only
            notes = _text(r.get("scope_notes"))
            materials = tuple(dict.fromkeys(_text(x.get("materials")) for x in rows if _text(x.get("materials"))))
            out.append(Entry(
                entry_id=mid, kind=MEASURE, title=_measure_title(notes, materials), country_iso3=r["country_iso3"],
                target_iso3="USA" if "Country as published: China (to United States)" in notes else None,
                materials=materials,
                commodity_ids=tuple(dict.fromkeys(_text(x.get("commodity_id")) for x in rows if _text(x.get("commodity_id")))),
                measure_type=_text(r["control_type"]), announced=announced, effective=effective,
                status=_text(r["status"]), detail=notes, source_url=_text(r.get("source_url")) or None,
                verification=_verification_of(r.get("verification_note")),
                verification_note=_text(r.get("verification_note")),
                origin=f"snapshot:{r['source_id']}", origin_row=int(r["source_row"]) if not pd.isna(r["source_row"]) else None,
            ))
    if agreements is not None and not agreements.empty:
        for (row, src), g in agreements.groupby(["source_row", "source_id"], sort=True):
            r = g.iloc[0]
            signed = _ts_day(r["signing_date"])
            focus = str(r.get("focus_area") or "")
            m = re.search(r"\[Signed (\d{4})-(\d{2});", focus)
            if signed is None and m:
                signed = Day(dt.date(int(m.group(1)), int(m.group(2)), 1), "month")
            partners = tuple(dict.fromkeys(g["country_iso3"].dropna()))
            out.append(Entry(
                entry_id=f"MCS2026-T5-{int(row)}", kind=AGREEMENT, title=str(r["agreement"]).strip(),
                country_iso3=partners[0] if len(partners) == 1 else None, partners=partners, date=signed,
                detail=focus, source_url=r.get("source_url") if isinstance(r.get("source_url"), str) else None,
                verification="official", origin=f"snapshot:{src}", origin_row=int(row),
            ))
    return out


def _measure_title(notes: str, materials: tuple[str, ...]) -> str:
    m = re.match(r"Instrument: (.*?)\.(?:\s+(?=[A-Z])|$)", notes)  # "No. 46." ends at the second full stop
    return f"{m.group(1)}: {'; '.join(materials)}" if m else "; ".join(materials)


# --- the whole register ---------------------------------------------------------------------------
def builtin_entries(existing: Sequence[Entry] = ()) -> list[Entry]:
    """critmin's own entries (``register_data/builtin.yaml``)."""
    return load_file(BUILTIN, existing, origin="builtin", require_targets=False)


def register(snapshot: Sequence[Entry], *, user_folder: Path | None = None, include_user: bool = True) -> list[Entry]:
    """The whole register: the snapshot's entries, the built-in ones and the user's files.

    A user file that no longer validates against the rest (an id taken since, a measure
    gone from the snapshot) raises :class:`RegisterError` naming it: the tracker never
    shows a register it could not read whole.
    """
    entries = list(snapshot)
    entries += builtin_entries(entries)
    if include_user:
        for path in user_files(user_folder):
            entries += load_file(path, entries)
    return entries


def _rest_of_register(snapshot: Sequence[Entry], folder: Path, leave_out: str | None) -> list[Entry]:
    """The snapshot's, the built-in and the user's entries, without the user file ``leave_out``."""
    others = list(snapshot)
    others += builtin_entries(others)
    for p in user_files(folder):
        if p.name != leave_out:
            others += load_file(p, others)
    return others


def validate_file(path: str | Path, snapshot: Sequence[Entry], *, user_folder: Path | None = None
                  ) -> tuple[list[Entry], list[Problem]]:
    """Every entry and every problem of a register file, checked against the whole register
    (a stored file of the same name is left out: the new one would replace it)."""
    folder = user_folder or user_dir()
    return check_file(path, _rest_of_register(snapshot, folder, Path(path).name))


def add_file(path: str | Path, snapshot: Sequence[Entry], *, user_folder: Path | None = None,
             replace: bool = False) -> tuple[Path, list[Entry]]:
    """Validate a register file against the whole register and store a copy in the user folder.

    The copy is written to a temporary file in the folder and renamed, so the folder never
    holds half a file. A file of the same name is replaced only with ``replace``.

    Returns
    -------
    (Path, list)
        The stored file and its entries.
    """
    src = Path(path)
    folder = user_folder or user_dir()
    dest = folder / src.name
    if src.suffix.lower() not in (".yaml", ".yml", ".csv"):
        raise RegisterError(str(src), "unknown file type", found=src.suffix, expected=".yaml, .yml or .csv")
    if dest.exists() and not replace:
        raise CritminError(f"{dest} exists already; use --replace to replace it, or rename {src.name}")
    entries = load_file(src, _rest_of_register(snapshot, folder, dest.name))
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{dest.name}.tmp"
    tmp.write_bytes(src.read_bytes())
    tmp.replace(dest)
    return dest, entries


def entries_frame(entries: Iterable[Entry]) -> pd.DataFrame:
    """Entries as a table (for listing what a file holds)."""
    rows = [{"id": e.entry_id, "kind": e.kind, "title": e.title, "country": e.country_iso3,
             "date": (e.date or e.effective or e.announced).text() if (e.date or e.effective or e.announced) else None,
             "status": e.status or None, "until": e.until.text() if e.until else None,
             "applies_to": list(e.applies_to), "verification": e.verification, "origin": e.origin} for e in entries]
    return pd.DataFrame(rows, columns=["id", "kind", "title", "country", "date", "status", "until", "applies_to",
                                       "verification", "origin"])


__all__ = [
    "BUILTIN", "FORMAT", "Problem", "RegisterError", "add_file", "builtin_entries", "check_file", "entries_frame",
    "load_file", "register", "snapshot_entries", "user_dir", "user_files", "validate_file",
]

"""USGS Mineral Commodity Summaries 2023-2025 world tables -> table ``production``.

Three releases, two layouts (see ``../shared/data/SOURCES.md`` §1a-1c):

MCS2023 and MCS2024: ``usgs_mcs<year>/world/mcs<year>-<code>_world.csv``
    One CSV per commodity (77 each); the commodity comes from the file code
    (``lithi``, ``zirco-hafni``, upper-case ``MCS2024-bismu``) through
    :func:`~critmin.vocab.commodities.mcs_file_codes`. Header
    ``Source,Country,Type,<value and notes columns>``. Value columns are named
    ``<Prod|Cap|Reserves>[_<form>]_<unit>[_est][_<year>]``: ``Prod_t_2022``,
    ``Prod_kt_Est_2023``, ``Cap_Sponge_t_2023``, ``Reserves_ore_K2O_equiv_kt``,
    ``Reserves_kt_2023``; the unit code (``t``, ``kt``, ``Mt``/``mt``/``mmt`` million metric
    tons, ``kg``, ``mct`` million carats, ``kct`` thousand carats, ``mcm`` million cubic
    metres) is turned into words; words between measure and unit (``Sponge``, ``ore K2O
    equiv``) become the ``form``; ``est`` in any case marks the column estimated. Notes
    columns are ``Prod_notes``/``Prod_note``, ``Cap_notes``, ``Reserves_notes``.
MCS2025: ``usgs_mcs2025/world/MCS2025_World_Data.csv``
    One long file: ``SOURCE,COMMODITY,COUNTRY,TYPE,UNIT_MEAS,PROD_2023,PROD_EST_ 2024,
    PROD_NOTES,CAP_2023,CAP_EST_ 2024,CAP_NOTES,RESERVES_2024,RESERVE_NOTES`` (spaces in
    column names are removed before matching). The commodity comes from ``COMMODITY``
    (trailing spaces, ``Gemanium``), the unit from ``UNIT_MEAS``.

Each file row gives up to three groups of figures (production, capacity, reserves) for
one country and one ``Type``; every published cell of a group becomes one row with
``measure`` production | capacity | reserves and ``year`` from the column name.

Rules
-----
* ``series_label`` is the publisher's ``Type`` text as published. ``stage`` follows its
  words: "mine"/"Mine poduction"/"Mne production", ores and crude material -> ``mine``;
  refinery, refined, smelter, plant, primary production, sponge, pigment, pig iron, raw
  steel, cement, clinker, synthetic, compounds -> ``processing``; mixed totals ("natural
  and synthetic", "all forms", "Boron all types") and labels without such words
  (``Kyanite and Related Minerals``, the 2024 boron labels ``borates``/``ulexite``, the
  empty 2024 iron-oxide-pigment labels, ``XX``) -> ``unspecified``. Reserves are deposits
  in the ground and always get stage ``mine`` (also on rows labelled "Refinery
  production", whose reserves are those of the ore).
* ``form`` joins the commodity's own form (file code ``timin`` -> "mineral concentrates",
  ``Talc, crude``), the form words of the value column, or else the content/basis words of
  the label ("Mine production, lithium content" -> "lithium content", "Rare earths, mine
  production, rare-earth-oxide equivalent, metric tons" -> "rare-earth-oxide equivalent",
  "Clinker capacity" -> "Clinker", "Mine production: Palladium" -> "Palladium"); for 2025
  reserves also the basis in ``RESERVE_NOTES`` (``ZrO2 content``, ``Crude Ore, million
  metric tons`` -> form "crude ore", unit "million metric tons").
* Years: production and capacity from the column name. Reserves are as of the year before
  the release (MCS2025 names them ``RESERVES_2024``, MCS2024 zirconium
  ``Reserves_kt_2023``); the 2023 and 2024 files mostly give no year, and ``year`` is then
  the release year minus one.
* ``estimated`` is true for an ``est`` column, a ``Type`` that says "estimated", a country
  marked with a trailing ``e`` ("Chinae"), a value marked ``e10,000``, or a production or
  capacity note that says so ("Production in 2021 is also estimated.", "Also estimated in
  2022", "estimated 2023", "Estimated capacity": that year, or every year of the group
  when the note names none). Reserves are estimated only through their own cell marks.
* Values keep their qualifiers (:func:`critmin.values.parse_value`): ``W``, ``NA``, ``XX``,
  ``>17,000,000``, ``<100``, ``Less than ½ unit.``, ``Very small``; words
  (``Large``, ``Included in World total.``, ``Included with ilmenite``,
  ``Categorized as "large"``) are ``text``.
* A group (production, capacity, reserves) is read only when at least one of its cells or
  its notes is filled; a blank cell inside a read group becomes a ``missing`` row, unless
  the group's notes give a code for it: ``W for 23-24`` (withheld for 2023 and 2024),
  ``na for 2023``, ``NA``, ``xx``, ``Less than 1/2 unit``, ``Large``, ``Moderate``,
  ``Small``, ``Included in World total``, ``Included with Other countries``. The code
  then becomes the qualifier (``raw`` holds it) and the note stays in ``notes``.
* Country names map with :func:`~critmin.vocab.countries.resolve_country` (footnote
  digits "New Caledonia11", estimate marks "Korea, Republic ofe", details "Brazil
  (beneficiated)", no-break spaces, trailing spaces); the detail goes to
  ``country_detail``. An unknown name fails.

Quirks handled (each has a test)
--------------------------------
* MCS2024 ``mcs2024-fluor_world.csv`` names its ``Type`` column "Mine production,
  fluorspar": the third column is the type whatever its name.
* MCS2024 ``Source`` cells are blank (iron oxide pigments) or ``MCS 2024``; any other
  release label is an error.
* MCS2024 barite repeats the reserves in an unnamed column: identical cells are counted
  in ``skipped``. MCS2024 vermiculite has unlabelled numbers in ``Reserves_notes`` and its
  reserve notes in an unnamed column: both are kept verbatim in ``notes``; the meaning of
  the unlabelled numbers is not documented, so they are not read as values.
* Trailing empty columns (up to 37) and blank lines (counted in ``skipped``).
* MCS2025: a row whose only reserves note is "Moved to capacity column not a reserve"
  (magnesium metal, United States) carries a figure the publisher says is not a reserve:
  that cell is skipped and counted. The one row with a blank ``UNIT_MEAS`` (rutile, Sierra
  Leone) takes the unit every other row of the same commodity and ``Type`` has (said in
  ``notes``); if those disagree it is an error. ``(Reserve data is thousand metric
  tons)`` in ``RESERVE_NOTES`` sets the unit of that row's reserves.
* A row with no value and no note at all (MCS2025: the eight germanium rows, which
  SOURCES.md calls withheld but which carry no code, titanium sponge for Australia,
  abrasives for Mexico) gives ``missing`` rows for the measure its label names
  (production unless it says capacity or reserves): the country is listed, its figure is
  not known; nothing is invented.

Malformed input (missing columns, an unknown value column, a truncated file, bytes that
are not UTF-8, an unknown country or commodity) raises
:class:`~critmin.errors.SourceError` naming file, row and field.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.base import ReadResult, frame, relative_to_data
from critmin.sources.expectations import Expectation, Shape, expects
from critmin.sources.usgs_mcs_common import (
    MCS_WORLD_VALUES,
    CsvTable,
    commodity_for_code,
    is_release_label,
    list_mcs_files,
    parse_file_name,
    read_mcs_csv,
    release,
    release_inventory,
    source_info,
)
from critmin.values import Parsed, Qualifier, parse_value, parsed_columns
from critmin.vocab.commodities import CommodityRef, resolve_commodity
from critmin.vocab.countries import CountryRef, resolve_country

PRODUCTION = "production"
CAPACITY = "capacity"
RESERVES = "reserves"
_MEASURES = {"prod": PRODUCTION, "cap": CAPACITY, "reserves": RESERVES}

#: Unit codes in the value-column names of the 2023 and 2024 files.
WORLD_UNITS: dict[str, str] = {
    "t": "metric tons",
    "kt": "thousand metric tons",
    "Mt": "million metric tons",
    "mt": "million metric tons",
    "mmt": "million metric tons",
    "kg": "kilograms",
    "mct": "million carats",
    "kct": "thousand carats",
    "mcm": "million cubic meters",
}

#: Units the publisher got wrong by a factor of 1,000, found by comparing the releases
#: (the same figures carry other units in the neighbouring releases). Key: (release,
#: commodity id, commodity form, measure or None for all); value: (published unit,
#: corrected unit, evidence). An erratum applies only while the file still shows the
#: published unit; the row's ``notes`` say that the unit was corrected and why.
UNIT_ERRATA: dict[tuple[int, str, str, str | None], tuple[str, str, str]] = {
    (2023, "chromium", "", "production"): (
        "metric tons", "thousand metric tons",
        "columns Prod_t_*, but the file's own Prod_notes say 'Units are thousand metric tons, gross weight' "
        "(world 41,000 for 2022; MCS2024 gives 41,900 in Prod_kt_2022)",
    ),
    (2023, "rhenium", "", "reserves"): (
        "thousand metric tons", "kilograms",
        "column Reserves_kt, but the figures are kilograms (Armenia 95,000: Reserves_kg in MCS2024, kilograms in MCS2025)",
    ),
    (2023, "vanadium", "", "reserves"): (
        "metric tons", "thousand metric tons",
        "column Reserves_t, but the figures are thousand metric tons (Reserves_kt in MCS2024; "
        "'(Reserve data is thousand metric tons)' in MCS2025)",
    ),
    (2024, "selenium", "", "reserves"): (
        "thousand metric tons", "metric tons",
        "column Reserves_kt, but the figures are metric tons (Canada 6,000: Reserves_t in MCS2023, metric tons in MCS2025)",
    ),
    (2024, "talc", "", "reserves"): (
        "metric tons", "thousand metric tons",
        "column Reserves_t, but the figures are thousand metric tons (Brazil 45,000: Reserves_kt in MCS2023, "
        "thousand metric tons in MCS2025)",
    ),
    (2025, "sand-gravel-industrial", "", None): (
        "metric tons", "thousand metric tons",
        "UNIT_MEAS says metric tons, but the figures are thousand metric tons (world 446,000 for 2023; "
        "MCS2024 gives 400,000 in Prod_kt_est_2023, Argentina 4,000 in both)",
    ),
    (2025, "titanium", "mineral concentrates", None): (
        "metric tons", "thousand metric tons",
        "UNIT_MEAS says metric tons, but the figures are thousand metric tons (Australia ilmenite 400 and "
        "reserves 180,000 in both MCS2024 Prod_kt/Reserves_kt and MCS2025)",
    ),
}

SKIP_BLANK = "blank line"
SKIP_REPEATED = "unnamed column repeating the reserves figure of its row (MCS2024 barite)"
SKIP_NOT_RESERVE = "reserves figure the publisher marks 'Moved to capacity column not a reserve'"

# --------------------------------------------------------------------------- labels


_MIXED_RE = re.compile(r"natural and synthetic|all forms|all types|total all", re.I)
_MINE_RE = re.compile(r"\bmi?ne\b", re.I)
_PROCESSING_RE = re.compile(
    r"\b(?:refinery|refined|smelter|plant|sponge|pigments?|pig iron|raw steel|cement|clinker|synthetic|"
    r"compounds|primary production|primary and secondary)\b",
    re.I,
)
_ORE_RE = re.compile(r"\b(?:ores?|crude)\b", re.I)


def stage_of(label: str, measure: str) -> str:
    """``mine``, ``processing`` or ``unspecified`` from the publisher's ``Type`` label."""
    if measure == RESERVES:
        return "mine"
    if _MIXED_RE.search(label):
        return "unspecified"
    if _MINE_RE.search(label):
        return "mine"
    if _PROCESSING_RE.search(label):
        return "processing"
    if _ORE_RE.search(label):
        return "mine"
    return "unspecified"


_UNIT_PHRASE = r"(?:thousand |million )?metric tons|thousand carats|million carats|kilograms"
_STAGE_WORDS = {"world", "total", "mine", "mne", "plant", "refinery", "smelter", "primary", "and", "secondary", "yearend", "operating"}
_STAGE_PHRASE_RE = re.compile(r"^(?P<pre>.*?)\s*\b(?:production|poduction|capacity|reserves)$", re.I)
_LABEL_SPLIT_RE = re.compile(r",|:|\s+-\s*|\s*-\s+")
_ESTIMATE_WORD_RE = re.compile(r"\bestimated\b", re.I)


def label_form(label: str, commodity_id: str) -> tuple[str, bool]:
    """Content/basis words of a ``Type`` label, and whether they replace the commodity's form.

    The stage phrase ("Mine production"), units ("metric tons"), "estimated", "(rounded)"
    and the commodity's own name are dropped; what remains is the form. A part that names
    a form of the same commodity ("alumina" in a bauxite file) replaces the commodity-level
    form ("bauxite").
    """
    if label.strip().upper() in {"", "XX", "NA", "W"}:
        return "", False
    kept: list[str] = []
    replaces = False
    for part in _LABEL_SPLIT_RE.split(label):
        p = re.sub(r"\s*\(rounded\)", "", part).strip().strip(".").strip()
        if not p or p.lower() in {"estimated", "rounded"}:
            continue
        if re.fullmatch(_UNIT_PHRASE, p, re.I):
            continue
        p = re.sub(rf"^(?:{_UNIT_PHRASE}) of\s+", "", p, flags=re.I)
        p = re.sub(rf"\s+in (?:{_UNIT_PHRASE})$", "", p, flags=re.I)
        p = re.sub(rf"^(?:{_UNIT_PHRASE})\s+", "", p, flags=re.I)
        if m := _STAGE_PHRASE_RE.match(p):
            words = [w for w in m["pre"].split() if w.lower() not in _STAGE_WORDS]
            if not words:
                continue
            if len(words) <= 2:  # "Sponge Metal Production" -> "Sponge Metal"; longer parts stay whole
                p = " ".join(words)
        try:
            ref = resolve_commodity(p)
        except UnmappedNameError:
            ref = None
        if ref is not None and ref.commodity_id == commodity_id:
            if not ref.form:
                continue
            replaces = True
        kept.append(p)
    return ", ".join(kept), replaces


def join_forms(*forms: str) -> str:
    out: list[str] = []
    for f in forms:
        for part in (x.strip() for x in f.split(", ")) if f else ():
            if part and part.lower() not in {o.lower() for o in out}:
                out.append(part)
    return ", ".join(out)


# --------------------------------------------------------------------------- notes

_EST_NOTE_RE = re.compile(
    r"^\s*estimated\b|\balso estimated\b|\bis also estimated\b|\bwere also estimated\b|"
    r"\bestimated in (?:both years|\d{4})\b|\bestimated for \d{4}\b|\bestimated \d{4}\b",
    re.I,
)
_CODE_FOR_YEARS_RE = re.compile(r"^(?P<code>W|NA|XX)\s+for\s+(?P<a>\d{2}|\d{4})(?:\s*[-–]\s*(?P<b>\d{2}|\d{4}))?\.?$", re.I)
_NOTE_CODES = {"na": "NA", "not available": "NA", "xx": "XX", "w": "W", "withheld": "W"}
_NOTE_WORDS = {
    "large", "moderate", "moderate to large", "small", "very small",
    "included in world total", "included with other countries",
}
_NOT_A_RESERVE_RE = re.compile(r"\bnot a reserve\b", re.I)


def _full_year(text: str) -> int:
    y = int(text)
    return 2000 + y if y < 100 else y


def estimated_years_in_note(note: str, years: list[int]) -> set[int]:
    """Years of ``years`` that a production/capacity note says are estimated."""
    if not note or not _EST_NOTE_RE.search(note):
        return set()
    named = {int(y) for y in re.findall(r"\b(20\d\d)\b", note)}
    if named:
        return named & set(years)
    return set(years)


def note_qualifier(note: str, year: int) -> Parsed | None:
    """The code a group's note gives for a blank cell of ``year``, if it gives one."""
    text = re.sub(r"\s+", " ", note).strip()
    if not text:
        return None
    if m := _CODE_FOR_YEARS_RE.match(text):
        a = _full_year(m["a"])
        b = _full_year(m["b"]) if m["b"] else a
        if a <= year <= b:
            return parse_value(m["code"].upper())
        return None
    low = text.rstrip(".").strip().lower()
    if low in _NOTE_CODES:
        return parse_value(_NOTE_CODES[low])
    parsed = parse_value(text)
    if parsed.qualifier not in (Qualifier.TEXT, Qualifier.EXACT, Qualifier.MISSING):
        return parsed
    if low in _NOTE_WORDS:
        return Parsed(None, Qualifier.TEXT, raw=text.rstrip("."))
    return None


_RESERVE_UNIT_NOTE_RE = re.compile(r"\(?\s*Reserve data is (?P<unit>[^)]+?)\s*\)?\.?\s*$", re.I)
_RESERVE_BASIS_UNIT_RE = re.compile(
    rf"(?:^|(?<=[.;]\s))(?P<form>[A-Za-z][^,.;()]*?),\s*(?P<unit>{_UNIT_PHRASE})\.?(?=\s|$)", re.I
)
_RESERVE_UNIT_BASIS_RE = re.compile(
    rf"(?:^|(?<=[.;]\s))(?P<unit>{_UNIT_PHRASE}),\s*(?P<form>[A-Za-z0-9][^,.;()]*)\.?(?=\s|$)", re.I
)
_RESERVE_FORM_ONLY_RE = re.compile(r"^(?:(?P<content>[\w()]+ content)|(?P<gross>gross weight) for reserves data)\.?$", re.I)


@dataclass(frozen=True)
class ReserveBasis:
    """What a reserves note says about the basis of the figure."""

    unit: str | None = None
    form: str = ""
    rest: str = ""  # the note without the basis, for reading a code such as "NA"

    @property
    def is_empty(self) -> bool:
        return self.unit is None and not self.form


def reserve_basis(note: str) -> ReserveBasis:
    """Unit and form stated in a reserves note.

    ``(Reserve data is thousand metric tons)`` -> unit; ``Crude ore, million metric tons.``
    (also after other sentences) -> form "crude ore" and unit; ``Thousand metric tons, ZrO2
    content.`` -> unit and form "ZrO2 content"; ``ZrO2 content`` and
    ``Gross weight for reserves data`` (the whole note) -> form.
    """
    text = re.sub(r"\s+", " ", note).strip()
    if m := _RESERVE_UNIT_NOTE_RE.search(text):
        return ReserveBasis(m["unit"].strip(), "", text[: m.start()].strip())
    if m := _RESERVE_BASIS_UNIT_RE.search(text):
        rest = (text[: m.start()] + text[m.end():]).strip()
        return ReserveBasis(m["unit"].lower(), m["form"].strip().lower(), rest)
    if m := _RESERVE_UNIT_BASIS_RE.search(text):
        rest = (text[: m.start()] + text[m.end():]).strip()
        return ReserveBasis(m["unit"].lower(), m["form"].strip(), rest)
    if m := _RESERVE_FORM_ONLY_RE.match(text):
        return ReserveBasis(None, m["content"] or m["gross"].lower(), "")
    return ReserveBasis(rest=text)


def series_basis(notes: list[str]) -> ReserveBasis | None:
    """The basis one series (commodity and ``Type``) states on some of its reserves rows.

    A stated unit ("(Reserve data is thousand metric tons)", "Crude ore, million metric
    tons") holds for the whole series when every row that states one agrees: it is the
    unit of the table column. A form without a unit ("ZrO2 content") holds for the series
    only when more than half of its rows state it (MCS2025 zirconium: 10 of 12 rows); a
    form on one row (manganese, United States: "Gross weight for reserves data") is that
    row's own.
    """
    bases = [reserve_basis(n) for n in notes]
    with_unit = {(b.unit, b.form) for b in bases if b.unit}
    if len(with_unit) == 1:
        unit, form = next(iter(with_unit))
        return ReserveBasis(unit, form)
    if with_unit:
        return None
    forms = Counter(b.form for b in bases if b.form)
    if len(forms) == 1:
        form, count = forms.most_common(1)[0]
        if count * 2 > len(notes):
            return ReserveBasis(None, form)
    return None


# --------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class ValueColumn:
    index: int
    name: str
    measure: str
    year: int
    estimated: bool
    unit: str | None
    form: str


@dataclass
class Group:
    """The cells of one measure (and column form) in one file row."""

    measure: str
    form: str
    unit: str | None
    cells: list[tuple[ValueColumn, str]]
    notes: str = ""
    note_column: str = ""
    extra_notes: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    @property
    def is_filled(self) -> bool:
        return any(raw for _, raw in self.cells) or bool(self.notes) or bool(self.extra_notes)


@dataclass
class RowContext:
    """What one file row says about all its groups."""

    file: Path
    rel_file: str
    row: int
    vintage: int
    commodity: CommodityRef
    country: CountryRef
    label: str
    remarks: list[str] = field(default_factory=list)


_CAPACITY_LABEL_RE = re.compile(r"\bcapacity\b", re.I)
_PRODUCTION_LABEL_RE = re.compile(r"\bp(?:r)?oduction\b", re.I)


def _group_named_by_label(label: str, groups: list[Group]) -> Group:
    by_measure = {g.measure: g for g in reversed(groups)}
    if re.match(r"\s*reserves\b", label, re.I) and RESERVES in by_measure:
        return by_measure[RESERVES]
    if _CAPACITY_LABEL_RE.search(label) and not _PRODUCTION_LABEL_RE.search(label) and CAPACITY in by_measure:
        return by_measure[CAPACITY]
    return by_measure.get(PRODUCTION, groups[0])


def finish_row(ctx: RowContext, groups: list[Group], series_reserves: ReserveBasis | None, out: list[dict], skipped: Counter) -> None:
    """Emit the filled groups of one file row; count the row if nothing in it is filled."""
    filled = [g for g in groups if g.is_filled]
    if not filled:
        # the publisher lists the country but gives nothing: one group of missing rows,
        # the one the label names (MCS2025 germanium, titanium sponge, some abrasives rows)
        filled = [_group_named_by_label(ctx.label, groups)]
        filled[0].remarks.append("critmin: the row has no figure and no note")
    lform, replaces = label_form(ctx.label, ctx.commodity.commodity_id)
    capacity_filled = any(g.measure == CAPACITY for g in filled)
    for g in filled:
        # "Clinker capacity" figures stand in production columns (cement, all releases)
        if g.measure == PRODUCTION and not capacity_filled and _CAPACITY_LABEL_RE.search(ctx.label) and not _PRODUCTION_LABEL_RE.search(ctx.label):
            g.measure = CAPACITY
            g.remarks.append(f"critmin: read as capacity: the row is labelled '{ctx.label}' though its figures stand in production columns")
        basis = ReserveBasis()
        if g.measure == RESERVES:
            basis = reserve_basis(g.notes)
            if basis.is_empty and series_reserves is not None:
                basis = ReserveBasis(series_reserves.unit, series_reserves.form, basis.rest)
                stated = ", ".join(x for x in (series_reserves.form, series_reserves.unit) if x)
                g.remarks.append(f"critmin: reserves basis '{stated}' as stated on the other rows of this series")
            if basis.unit and g.unit and basis.unit != g.unit and g.cells and g.cells[0][0].unit:
                g.remarks.append(f"critmin: reserves note states '{basis.unit}', the column name '{g.unit}'; the note is followed")
        emit_group(ctx, g, lform, replaces, basis, out, skipped)


def emit_group(ctx: RowContext, group: Group, label_form_text: str, replaces: bool, basis: ReserveBasis, out: list[dict], skipped: Counter) -> None:
    """Turn one filled group into production rows."""
    measure = group.measure
    years = [c.year for c, _ in group.cells]
    notes_text = group.notes
    qualifier_note = basis.rest if measure == RESERVES else notes_text
    est_from_note = estimated_years_in_note(notes_text, years) if measure != RESERVES else set()
    est_row = measure != RESERVES and (bool(_ESTIMATE_WORD_RE.search(ctx.label)) or ctx.country.estimated)
    commodity_form = "" if replaces else ctx.commodity.form
    form = join_forms(commodity_form, group.form or basis.form or label_form_text)
    erratum = UNIT_ERRATA.get((ctx.vintage, ctx.commodity.commodity_id, ctx.commodity.form, measure)) or UNIT_ERRATA.get(
        (ctx.vintage, ctx.commodity.commodity_id, ctx.commodity.form, None)
    )
    stage = stage_of(ctx.label, measure)
    for col, raw in group.cells:
        if measure == RESERVES and _NOT_A_RESERVE_RE.search(notes_text):
            skipped[SKIP_NOT_RESERVE] += 1
            continue
        unit = basis.unit or col.unit or group.unit
        extra_remarks: list[str] = []
        if erratum is not None and unit == erratum[0]:
            unit = erratum[1]
            extra_remarks.append(f"critmin: unit corrected from '{erratum[0]}' to '{erratum[1]}': {erratum[2]}")
        estimated = col.estimated or est_row or col.year in est_from_note
        remarks = [*ctx.remarks, *group.remarks, *extra_remarks]
        if raw:
            parsed = parse_value(raw, estimated=estimated)
        else:
            from_note = note_qualifier(qualifier_note, col.year)
            if from_note is not None:
                parsed = from_note
                remarks.append(f"critmin: value cell blank; qualifier taken from {group.note_column}")
            else:
                parsed = Parsed(None, Qualifier.MISSING, raw="")
        if parsed.qualifier is Qualifier.ESTIMATED:
            estimated = True
        if unit is None:
            raise SourceError(ctx.file, "no unit for this value", row=ctx.row, field=col.name, expected="a unit in the column name or UNIT_MEAS")
        notes = "; ".join(x for x in [notes_text, *group.extra_notes, *remarks] if x)
        out.append(
            {
                "vintage": ctx.vintage,
                "commodity_id": ctx.commodity.commodity_id,
                "form": form,
                "country_iso3": ctx.country.iso3,
                "country_name": ctx.country.name,
                "country_kind": ctx.country.kind,
                "country_detail": ctx.country.detail or None,
                "stage": stage,
                "measure": measure,
                "series_label": ctx.label,
                "year": col.year,
                **parsed_columns(parsed),
                "estimated": estimated,
                "unit": unit,
                "notes": notes or None,
                "source_id": f"usgs_mcs{ctx.vintage}_world",
                "source_file": ctx.rel_file,
                "source_row": ctx.row,
            }
        )


# --------------------------------------------------------------------------- 2023 / 2024


_VALUE_COLUMN_RE = re.compile(r"^(?P<measure>prod|cap|reserves)_(?P<rest>.+)$", re.I)
_NOTES_COLUMN_RE = re.compile(r"^(?P<measure>prod|cap|reserves?)_notes?$", re.I)


def parse_value_column(name: str, index: int, vintage: int, path: Path) -> ValueColumn:
    """``Prod_kt_Est_2023`` -> production, 2023, estimated, thousand metric tons."""
    m = _VALUE_COLUMN_RE.match(name)
    if m is None:
        raise SourceError(path, "unknown column", row=1, field=name, expected="Prod_<unit>[_est]_<year>, Cap_..., Reserves_<unit>, or a *_notes column")
    measure = _MEASURES[m["measure"].lower()]
    tokens = m["rest"].split("_")
    year = None
    if re.fullmatch(r"\d{4}", tokens[-1]):
        year = int(tokens.pop())
    estimated = any(t.lower() == "est" for t in tokens)
    tokens = [t for t in tokens if t.lower() != "est"]
    units = [t for t in tokens if t in WORLD_UNITS]
    if len(units) != 1:
        raise SourceError(path, "value column without exactly one unit code", row=1, field=name, expected=f"one of {sorted(WORLD_UNITS)}")
    form_words = [t if re.search(r"\d|[A-Z].*[A-Z]", t) else t.lower() for t in tokens if t not in WORLD_UNITS]
    if year is None:
        if measure != RESERVES:
            raise SourceError(path, "production or capacity column without a year", row=1, field=name, expected="a year at the end, e.g. Prod_t_2022")
        year = release(vintage).reserves_year
    if not vintage - 4 <= year <= vintage:
        raise SourceError(path, f"year {year} does not belong to release MCS{vintage}", row=1, field=name, expected=f"a year from {vintage - 4} to {vintage}")
    return ValueColumn(index, name, measure, year, estimated, WORLD_UNITS[units[0]], " ".join(form_words))


@dataclass
class FileLayout:
    """The column plan of one 2023/2024 world file."""

    groups: list[tuple[str, str, list[ValueColumn]]]  # (measure, form, columns)
    notes: dict[str, tuple[int, str]]  # measure -> (index, column name)
    unnamed: list[tuple[int, str]]  # (index, measure of the nearest named column to the left)


def plan_layout(table: CsvTable, vintage: int) -> FileLayout:
    header = table.header
    if len(header) < 4 or header[0].lower() != "source" or header[1].lower() != "country":
        raise SourceError(table.path, "not an MCS world table header", row=1, field=header[0] if header else None, expected="Source,Country,Type,<value columns>", found=header[:4])
    if _VALUE_COLUMN_RE.match(header[2]) or _NOTES_COLUMN_RE.match(header[2]):
        raise SourceError(table.path, "third column is a value column; the Type column is missing", row=1, field=header[2], expected="Type")
    groups: dict[tuple[str, str], list[ValueColumn]] = {}
    notes: dict[str, tuple[int, str]] = {}
    unnamed: list[tuple[int, str]] = []
    last_measure = ""
    for i, name in enumerate(header[3:], start=3):
        if not name:
            unnamed.append((i, last_measure))
            continue
        if m := _NOTES_COLUMN_RE.match(name):
            measure = _MEASURES.get(m["measure"].lower(), RESERVES)
            notes[measure] = (i, name)
            last_measure = measure
            continue
        col = parse_value_column(name, i, vintage, table.path)
        groups.setdefault((col.measure, col.form), []).append(col)
        last_measure = col.measure
    if not groups:
        raise SourceError(table.path, "no value columns", row=1, expected="Prod_*, Cap_* or Reserves_* columns")
    return FileLayout([(m, f, cols) for (m, f), cols in groups.items()], notes, unnamed)


def _same_figure(a: str, b: str) -> bool:
    return re.sub(r"[\s,]", "", a) == re.sub(r"[\s,]", "", b)


def read_world_file(path: Path, data_dir: Path, vintage: int, commodity: CommodityRef, out: list[dict], skipped: Counter) -> None:
    """Read one 2023/2024 per-commodity world CSV into ``out``."""
    table = read_mcs_csv(path)
    layout = plan_layout(table, vintage)
    rel = relative_to_data(path, data_dir)
    skipped[SKIP_BLANK] += table.blank_rows
    reserve_notes_idx = layout.notes.get(RESERVES, (None, ""))[0]
    series_notes: dict[str, list[str]] = defaultdict(list)
    if reserve_notes_idx is not None:
        for _, cells in table.rows:
            series_notes[cells[2].lower()].append(cells[reserve_notes_idx])
    series = {label: series_basis(notes) for label, notes in series_notes.items()}
    for n, cells in table.rows:
        if cells[0] and not is_release_label(cells[0], vintage):
            raise SourceError(path, "row of another release", row=n, field=table.header[0], found=cells[0], expected=f"MCS{vintage} or blank")
        if not cells[1]:
            raise SourceError(path, "row without a country", row=n, field=table.header[1], expected="a country name")
        country = resolve_country(cells[1], file=path, row=n, field=table.header[1])
        ctx = RowContext(path, rel, n, vintage, commodity, country, cells[2])
        groups: list[Group] = []
        for measure, form, cols in layout.groups:
            note_idx, note_name = layout.notes.get(measure, (None, ""))
            notes = cells[note_idx] if note_idx is not None else ""
            groups.append(Group(measure, form, cols[0].unit, [(c, cells[c.index]) for c in cols], notes, note_name))
        for idx, measure in layout.unnamed:
            text = cells[idx]
            if not text:
                continue
            target = next((g for g in groups if g.measure == measure), groups[-1])
            if measure == RESERVES and any(_same_figure(text, raw) for _, raw in target.cells):
                skipped[SKIP_REPEATED] += 1
                continue
            target.extra_notes.append(f"(unnamed column {idx + 1}) {text}")
        finish_row(ctx, groups, series.get(cells[2].lower()), out, skipped)


def _read_per_commodity(data_dir: Path, vintage: int) -> ReadResult:
    data_dir = Path(data_dir)
    folder = data_dir / release(vintage).folder / "world"
    files = list_mcs_files(folder, "world", vintage)
    rows: list[dict] = []
    skipped: Counter = Counter()
    for path in files:
        name = parse_file_name(path)
        assert name is not None
        if name.ext != "csv":
            raise SourceError(path, "unexpected file type in the world folder", expected="CSV files")
        read_world_file(path, data_dir, vintage, commodity_for_code(name.code, path), rows, skipped)
    return ReadResult(source_info(vintage, "world"), files, {"production": frame("production", rows)}, skipped)


def _per_commodity_expectation(vintage: int) -> Expectation:
    files, shapes = release_inventory(vintage, "world")
    return Expectation(files=files, shapes=shapes, tables={"production": MCS_WORLD_VALUES})


@expects(_per_commodity_expectation(2023))
def read_mcs2023_world(data_dir: Path) -> ReadResult:
    """MCS2023 world production and reserves (77 files) -> ``production``.

    See the module docstring for layout, rules and quirks. Reserves carry year 2022.
    """
    return _read_per_commodity(data_dir, 2023)


@expects(_per_commodity_expectation(2024))
def read_mcs2024_world(data_dir: Path) -> ReadResult:
    """MCS2024 (v2.0) world production and reserves (77 files) -> ``production``.

    See the module docstring for layout, rules and quirks. Reserves carry year 2023.
    """
    return _read_per_commodity(data_dir, 2024)


# --------------------------------------------------------------------------- 2025

WORLD_2025_FILE = "MCS2025_World_Data.csv"
_COLUMNS_2025 = (
    "SOURCE", "COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS",
    "PROD_2023", "PROD_EST_2024", "PROD_NOTES", "CAP_2023", "CAP_EST_2024", "CAP_NOTES",
    "RESERVES_2024", "RESERVE_NOTES",
)
_VALUE_2025_RE = re.compile(r"^(?P<measure>PROD|CAP|RESERVES)(?P<est>_EST)?_(?P<year>\d{4})$")
_NOTES_2025 = {PRODUCTION: "PROD_NOTES", CAPACITY: "CAP_NOTES", RESERVES: "RESERVE_NOTES"}


EXPECTED_2025 = Expectation(
    files=(f"usgs_mcs2025/world/{WORLD_2025_FILE}",),
    shapes=(
        Shape(
            f"usgs_mcs2025/world/{WORLD_2025_FILE}",
            rows=1250,
            distinct={"commodity_id": 75},
            last={"commodity_id": "zirconium"},
            doc="SOURCES.md §1a: 1,250 data rows, 77 commodities (75 critmin ids), zirconium and hafnium last",
        ),
    ),
    tables={"production": MCS_WORLD_VALUES},
)


@expects(EXPECTED_2025)
def read_mcs2025_world(data_dir: Path) -> ReadResult:
    """MCS2025 world production, capacity and reserves (one long file) -> ``production``.

    See the module docstring for layout, rules and quirks. Reserves carry year 2024.
    """
    data_dir = Path(data_dir)
    vintage = 2025
    path = data_dir / release(vintage).folder / "world" / WORLD_2025_FILE
    table = read_mcs_csv(path)
    header = [re.sub(r"\s+", "", h) for h in table.header]
    missing = [c for c in _COLUMNS_2025 if c not in header]
    if missing:
        raise SourceError(path, f"missing column(s) {missing}", row=1, field=missing[0], expected=f"a header with {list(_COLUMNS_2025)}", found=table.header)
    pos = {name: header.index(name) for name in _COLUMNS_2025}
    value_cols: dict[str, list[ValueColumn]] = defaultdict(list)
    for name in _COLUMNS_2025:
        if m := _VALUE_2025_RE.match(name):
            measure = _MEASURES[{"PROD": "prod", "CAP": "cap", "RESERVES": "reserves"}[m["measure"]]]
            value_cols[measure].append(ValueColumn(pos[name], table.header[pos[name]], measure, int(m["year"]), bool(m["est"]), None, ""))
    rel = relative_to_data(path, data_dir)
    rows: list[dict] = []
    skipped: Counter = Counter({SKIP_BLANK: table.blank_rows})

    # per series (COMMODITY and TYPE): the units of UNIT_MEAS, the reserves notes
    units_by_series: dict[tuple[str, str], set[str]] = defaultdict(set)
    reserve_notes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for _, cells in table.rows:
        key = (cells[pos["COMMODITY"]].lower(), cells[pos["TYPE"]].lower())
        if cells[pos["UNIT_MEAS"]]:
            units_by_series[key].add(cells[pos["UNIT_MEAS"]])
        if cells[pos["RESERVES_2024"]] or cells[pos["RESERVE_NOTES"]]:
            reserve_notes[key].append(cells[pos["RESERVE_NOTES"]])
    series = {key: series_basis(notes) for key, notes in reserve_notes.items()}

    for n, cells in table.rows:
        source = cells[pos["SOURCE"]]
        if not is_release_label(source, vintage):
            raise SourceError(path, "row of another release", row=n, field="SOURCE", found=source, expected="MCS2025")
        commodity = resolve_commodity(cells[pos["COMMODITY"]], file=path, row=n, field="COMMODITY")
        if not cells[pos["COUNTRY"]]:
            raise SourceError(path, "row without a country", row=n, field="COUNTRY", expected="a country name")
        country = resolve_country(cells[pos["COUNTRY"]], file=path, row=n, field="COUNTRY")
        label = cells[pos["TYPE"]]
        key = (cells[pos["COMMODITY"]].lower(), label.lower())
        ctx = RowContext(path, rel, n, vintage, commodity, country, label)
        unit = cells[pos["UNIT_MEAS"]]
        if not unit:
            candidates = units_by_series.get(key, set())
            if len(candidates) != 1:
                raise SourceError(path, "blank unit", row=n, field="UNIT_MEAS", expected="a unit, or other rows of this COMMODITY and TYPE that agree on one", found=sorted(candidates))
            unit = next(iter(candidates))
            ctx.remarks.append(f"critmin: UNIT_MEAS blank; unit '{unit}' of the other rows of this commodity and TYPE")
        groups = [
            Group(measure, "", unit, [(c, cells[c.index]) for c in value_cols[measure]], cells[pos[_NOTES_2025[measure]]], _NOTES_2025[measure])
            for measure in (PRODUCTION, CAPACITY, RESERVES)
        ]
        finish_row(ctx, groups, series.get(key), rows, skipped)
    return ReadResult(source_info(vintage, "world"), [path], {"production": frame("production", rows)}, skipped)

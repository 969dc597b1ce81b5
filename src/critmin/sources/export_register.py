"""The compiled register of Chinese mineral export controls, 2010-2025.

File
----
``export_controls/china_mineral_export_controls_2023_2025.csv`` (COMPILED by the critmin
data team from MOFCOM / General Administration of Customs announcements, cross-checked against
USGS MCS2026 Table 4; see SOURCES.md section 6). UTF-8, CRLF, 14 rows. Header::

    measure_id,country,materials,measure_type,legal_instrument,announced_date,
    effective_date,status_as_of_2026,scope_notes,primary_source_url,verification_note

What the reader produces
------------------------
``export_controls``: one row per measure and commodity covered. ``materials`` is split on
``;`` outside parentheses ("Gallium; Germanium"; but "Graphite (high-spec synthetic; natural
flake ...)" is one item), and each item is mapped to commodities by
:func:`commodities_named`:

* "Rare earths (also tungsten, molybdenum)" -> ``rare-earths``, ``tungsten``, ``molybdenum``;
* element lists ("Samarium; Gadolinium; ... Yttrium", the seven medium/heavy rare earths of
  Announcement 2025 No. 18) -> each element's id; a phrase such as "seven medium/heavy REEs"
  -> the elements its scope notes name, else ``rare-earths``;
* forms and products of a commodity -> that commodity ("Rare-earth technologies",
  "Foreign-made items containing Chinese-origin rare earths" -> ``rare-earths``;
  "superhard materials", "Synthetic diamond" -> ``diamond-industrial``; "Lithium-ion
  battery items" -> ``lithium``; "artificial graphite anode materials" -> ``graphite``);
* a material that is not a commodity ("cathode materials") -> ``commodity_id`` null, row kept.

``materials`` keeps the published item; the row's other columns are those of the measure.

Columns and quirks
------------------
* ``country``: "China (to United States)" for the 2024 measure aimed at the United States:
  ISO3 ``CHN``; the published text goes into ``scope_notes``.
* ``announced_date``: ISO or blank (the WTO DS431 row).
* ``effective_date``: ISO, or ISO with a remark ("2025-11-08 (planned)"), or several dates
  ("2025-12-01 (parts 1(1),1(2)); 2025-10-09 (part 1(3))"), or the dates the historical
  quotas and duties *ended* ("2015-01-01 (quotas ended) / 2015-05-01 (duties ended)").
  ``effective_date`` is the earliest date that is not an end date (null for the WTO row);
  whenever the cell is more than a bare date, the published text is added to
  ``scope_notes``.
* ``status_as_of_2026``: "active", "lifted", "suspended (reported 2025-11-09, ...)",
  "suspended 2025-11-07 by Announcement 2025 No. 70 until 2026-11-10". ``status`` is the
  first word (``active`` | ``suspended`` | ``lifted``); the full text goes to ``scope_notes``.
* ``legal_instrument`` (no schema column) opens ``scope_notes`` ("Instrument: MOFCOM/GAC
  Announcement 2023 No. 23").
* ``primary_source_url``: a URL, or "WTO DS431 (https://...)": the URL is extracted.
* ``verification_note`` is kept as published: rows marked secondary (the WTO DS431 row and
  the suspension of Announcement 2024 No. 46) must be verified before use.
* ``year`` is the year of the announcement (null when there is none).

A missing column, a duplicate ``measure_id``, an unknown status, an unparsable date, an
unmapped country or material raise :class:`~critmin.errors.SourceError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.base import ReadResult, SourceInfo, frame, relative_to_data
from critmin.sources.expectations import Expectation, Shape, expects
from critmin.sources.usgs_mcs2026 import clean_text, read_complete_csv
from critmin.vocab.commodities import catalogue, members, normalise, resolve_commodity
from critmin.vocab.countries import COUNTRY, resolve_country

SOURCE_ID = "china_export_controls_register"
RELATIVE_PATH = "export_controls/china_mineral_export_controls_2023_2025.csv"
ENCODING = "utf-8-sig"
COLUMNS = (
    "measure_id",
    "country",
    "materials",
    "measure_type",
    "legal_instrument",
    "announced_date",
    "effective_date",
    "status_as_of_2026",
    "scope_notes",
    "primary_source_url",
    "verification_note",
)
STATUSES = ("active", "suspended", "lifted")

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="China's mineral export controls 2023-2025 (compiled register, with the historical REE/W/Mo quotas)",
    publisher="critmin data team, compiled from announcements of the PRC Ministry of Commerce (MOFCOM) and General Administration of Customs",
    citation=(
        "critmin (2026), China mineral export controls 2023-2025, compiled from MOFCOM/GAC Announcements 2023 Nos. 23, 39, 57; "
        "2024 Nos. 33, 46; 2025 Nos. 10, 18, 55, 56, 57, 58, 61, 62 and 70, and WTO dispute DS431; cross-checked against "
        "U.S. Geological Survey, Mineral Commodity Summaries 2026, Table 4 (https://doi.org/10.5066/P1WKQ63T)"
    ),
    licence="Compilation of official government acts (facts); distributed under the project licence (MIT)",
    vintage=2026,
    url="https://www.mofcom.gov.cn/zwgk/zcfb/index.html",
    published="2026",
    notes=(
        "COMPILED, not a publisher's file. Verify the rows marked 'secondary' in verification_note (the WTO DS431 quota row "
        "and the reported suspension of Announcement 2024 No. 46) before relying on them. The OECD Inventory of Export "
        "Restrictions on Industrial Raw Materials was not available."
    ),
)

# --- materials -> commodities ----------------------------------------------------------------------

#: Materials that are not a commodity of the vocabulary: kept with ``commodity_id`` null.
NOT_COMMODITIES = frozenset(
    normalise(x)
    for x in (
        "raw minerals",
        "metal waste and scrap",
        "natural sand",
        "quartz",
        "catalysts and waste containing precious metals",
        "cathode materials",
    )
)

#: Publishers' phrases for materials that name one or more commodities but are no commodity
#: name themselves (normalised key -> ids). Mineral names with one commodity belong in
#: ``vocab/commodity_aliases.csv`` instead.
MATERIAL_PHRASES: dict[str, tuple[str, ...]] = {
    normalise(k): v
    for k, v in {
        "raw diamonds": ("gemstones", "diamond-industrial"),
        "iron": ("iron-ore",),
        "potassium": ("potash",),
        "lead-zinc": ("lead", "zinc"),
        "columbite-tantalite": ("niobium", "tantalum"),
        "steel waste and scrap": ("iron-and-steel-scrap",),
        "ferrous metal waste and scrap": ("iron-and-steel-scrap",),
        "ferrous ingot": ("iron-and-steel",),
        "superhard materials": ("diamond-industrial",),
        "magnesium materials": ("magnesium",),
        "items related to lithium batteries": ("lithium",),
        "lithium-ion battery items": ("lithium",),
        "artificial graphite anode materials": ("graphite",),
        "rare-earth": ("rare-earths",),
        "rare earth": ("rare-earths",),
        "rare-earth production equipment and raw/auxiliary materials": ("rare-earths",),
        "foreign-made items containing chinese-origin rare earths": ("rare-earths",),
    }.items()
}

_LEADING_FORM_RE = re.compile(r"^(?:raw|natural|enriched|deeply processed|refined|synthesized|synthetic)\s+", re.I)
_TRAILING_FORM_RE = re.compile(r"\s+(?:ores?|concentrates?|scrap|ingots?|materials|technologies|items|powders?)$", re.I)
_TRAILING_PAREN_RE = re.compile(r"\s*\([^()]*\)\s*$")
_ALSO_RE = re.compile(r"^(.*?)\s*\(also\s+(.*)\)\s*$", re.I)
_INCLUDING_RE = re.compile(r"^(.*?),?\s+including\s+(.*)$", re.I)
_LIST_OF_RE = re.compile(r"^(?:ores and concentrates|ore concentrates|raw materials|concentrates|ores)\s+of\s+(.*)$", re.I)
_REE_SUBSET_RE = re.compile(r"\b(?:light|medium|heavy|medium/heavy)\b.*\b(?:rare[- ]earths?|rees?)\b", re.I)


def _resolve_piece(text: str) -> tuple[str | None, ...] | None:
    """Commodities one material names, ``(None,)`` for a non-commodity, None if unknown."""
    text = text.strip(" ,;.")
    if not text:
        return None
    if "," in re.sub(r"\([^()]*\)", "", text):
        return None  # a list: "Bauxite, cassiterite, ..." is not bauxite in the form "cassiterite, ..."
    key = normalise(text)
    if key in NOT_COMMODITIES:
        return (None,)
    if key in MATERIAL_PHRASES:
        return MATERIAL_PHRASES[key]
    try:
        return (resolve_commodity(text).commodity_id,)
    except UnmappedNameError:
        pass
    for pattern in (_TRAILING_PAREN_RE, _LEADING_FORM_RE, _TRAILING_FORM_RE):
        shorter = pattern.sub("", text)
        if shorter and shorter != text and (found := _resolve_piece(shorter)) is not None:
            return found
    return None


def _split_outside_parentheses(text: str, separator: str) -> list[str]:
    parts, depth, current = [], 0, []
    i = 0
    while i < len(text):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and text.startswith(separator, i):
            parts.append("".join(current))
            current = []
            i += len(separator)
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _resolve_conjunction(text: str) -> tuple[str | None, ...] | None:
    """"Quartz and gypsum", "Copper (refined and alloys) and aluminum ingots": try each split."""
    found = _resolve_piece(text)
    if found is not None:
        return found
    for separator in (" and ", " / "):
        start = 0
        while (i := text.find(separator, start)) != -1:
            left, right = text[:i], text[i + len(separator) :]
            left_ids, right_ids = _resolve_piece(left), _resolve_conjunction(right)
            if left_ids is not None and right_ids is not None:
                return left_ids + right_ids
            start = i + 1
    return None


def _resolve_list(text: str) -> tuple[str | None, ...] | None:
    """"A, B, and C" where each part may itself be "X and Y"."""
    parts = [p for p in re.split(r",\s*(?:and\s+)?", text) if p.strip()]
    if len(parts) == 1:
        return _resolve_conjunction(parts[0])
    ids: list[str | None] = []
    for part in parts:
        found = _resolve_conjunction(part)
        if found is None:
            return None
        ids.extend(found)
    return tuple(ids)


def _named_elements(text: str) -> tuple[str, ...]:
    """Rare-earth element ids named in free text (by name or chemical symbol)."""
    found = []
    for member in members("rare-earths") + ("scandium", "yttrium"):
        c = catalogue()[member]
        if re.search(rf"\b{re.escape(c.name)}\b", text, re.I) or (c.symbol and re.search(rf"\b{re.escape(c.symbol)}\b", text)):
            found.append(member)
    return tuple(found)


def commodities_named(text: str, *, scope_notes: str = "", file: str | Path = "<input>", row: int | None = None, field: str | None = None) -> list[str | None]:
    """The commodity ids a published material description names, in order, without repeats.

    Parameters
    ----------
    text
        One material item as published ("nickel ore", "Rare earths (also tungsten,
        molybdenum)", "Raw minerals, including copper, gold, ... and zinc").
    scope_notes
        The measure's scope notes; used when the item is a subset of the rare earths
        ("seven medium/heavy REEs") to find the elements it covers.

    Returns
    -------
    list
        Commodity ids; ``None`` stands for a material that is no commodity of the
        vocabulary ("raw minerals"), kept so that the measure is not lost.

    Raises
    ------
    UnmappedNameError
        When a part of the text is neither a commodity, nor a known phrase, nor a known
        non-commodity.
    """
    text = clean_text(text).strip(" .")
    ids: tuple[str | None, ...] | None
    if _REE_SUBSET_RE.search(text):
        ids = _named_elements(scope_notes) or ("rare-earths",)
    elif m := _ALSO_RE.match(text):
        head, rest = _resolve_list(m.group(1)), _resolve_list(m.group(2))
        ids = head + rest if head is not None and rest is not None else None
    elif (found := _resolve_piece(text)) is not None:
        ids = found
    elif m := _INCLUDING_RE.match(text):
        head, rest = _resolve_piece(m.group(1)), _resolve_list(m.group(2))
        ids = head + rest if head is not None and rest is not None else None
    elif m := _LIST_OF_RE.match(text):
        ids = _resolve_list(m.group(1))
    else:
        ids = _resolve_list(text)
    if ids is None:
        raise UnmappedNameError(
            file,
            "material not mapped to commodities",
            row=row,
            field=field,
            found=text,
            expected=(
                "commodity names (vocab/commodity_aliases.csv), a phrase in export_register.MATERIAL_PHRASES "
                "or a non-commodity in export_register.NOT_COMMODITIES"
            ),
        )
    return list(dict.fromkeys(ids))


# --- the register ------------------------------------------------------------------------------

_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_URL_RE = re.compile(r"https?://\S+?(?=\)?$|\)\s|\s|$)")


def _date_or_none(text: str, *, file: str, row: int, field: str) -> dt.date | None:
    if not text:
        return None
    if not _ISO_RE.fullmatch(text):
        raise SourceError(file, "date is not ISO", row=row, field=field, found=text, expected="YYYY-MM-DD or blank")
    return dt.date.fromisoformat(text)


def effective_date(text: str, *, file: str, row: int, field: str = "effective_date") -> dt.date | None:
    """The earliest date in the cell that is not the end of a measure; None if there is none."""
    if not text:
        return None
    dates: list[dt.date] = []
    for part in re.split(r"\s*(?:/|;)\s*(?=\d{4}-)", text):
        m = re.match(r"^(\d{4}-\d{2}-\d{2})\s*(?:\((.*)\))?\s*$", part)
        if m is None:
            raise SourceError(file, "effective date not understood", row=row, field=field, found=text, expected="YYYY-MM-DD, optionally followed by a remark in parentheses")
        remark = m.group(2) or ""
        if re.search(r"\bended\b|\bend\b|\blifted\b", remark, re.I):
            continue
        dates.append(dt.date.fromisoformat(m.group(1)))
    return min(dates) if dates else None


def _sentences(parts: list[str]) -> str | None:
    """Join notes into one text, each ending with a full stop."""
    kept = [p if p.endswith((".", "!", "?")) else f"{p}." for p in (x.strip() for x in parts) if p]
    return " ".join(kept) or None


#: SOURCES.md §6: 14 rows, one per measure.
EXPECTED = Expectation(files=(RELATIVE_PATH,), shapes=(Shape(RELATIVE_PATH, rows=14, doc="SOURCES.md §6: 14 measures"),))


@expects(EXPECTED)
def read_export_register(data_dir: Path) -> ReadResult:
    """Read the compiled export-control register into ``export_controls``.

    Parameters
    ----------
    data_dir
        The raw-data folder holding ``export_controls/``.

    Returns
    -------
    ReadResult
        Manifest entry ``china_export_controls_register`` and one row per measure and commodity.
    """
    path = data_dir / RELATIVE_PATH
    rel = relative_to_data(path, data_dir)
    _, rows, blank = read_complete_csv(path, ENCODING, required=COLUMNS)
    skipped: Counter = Counter()
    if blank:
        skipped["blank line"] += blank
    seen: dict[str, int] = {}
    out: list[dict[str, object]] = []
    for n, raw in rows:
        cells = {k: clean_text(v) for k, v in raw.items()}
        measure_id = cells["measure_id"]
        if not measure_id:
            raise SourceError(rel, "blank measure_id", row=n, field="measure_id", expected="an id such as CN-2023-23")
        if measure_id in seen:
            raise SourceError(rel, f"duplicate measure_id (also on row {seen[measure_id]})", row=n, field="measure_id", found=measure_id, expected="unique ids")
        seen[measure_id] = n
        country = resolve_country(cells["country"], file=rel, row=n, field="country")
        if country.kind != COUNTRY or not country.iso3:
            raise SourceError(rel, "measure of something that is not a country", row=n, field="country", found=cells["country"], expected="a country")
        control_type = cells["measure_type"]
        if not control_type:
            raise SourceError(rel, "blank measure_type", row=n, field="measure_type", expected="e.g. 'Export licensing (dual-use)'")
        status_text = cells["status_as_of_2026"]
        status = status_text.split(" ", 1)[0].lower() if status_text else ""
        if status not in STATUSES:
            raise SourceError(rel, "unknown status", row=n, field="status_as_of_2026", found=status_text, expected=f"a text starting with one of {STATUSES}")
        announced = _date_or_none(cells["announced_date"], file=rel, row=n, field="announced_date")
        effective = effective_date(cells["effective_date"], file=rel, row=n)
        url_match = _URL_RE.search(cells["primary_source_url"])
        source_url = url_match.group(0) if url_match else None

        notes = []
        if cells["legal_instrument"]:
            notes.append(f"Instrument: {cells['legal_instrument']}.")
        if country.detail:
            notes.append(f"Country as published: {cells['country']}.")
        if cells["scope_notes"]:
            notes.append(cells["scope_notes"])
        if cells["effective_date"] and not _ISO_RE.fullmatch(cells["effective_date"]):
            notes.append(f"Effective date as published: {cells['effective_date']}.")
        if status_text.lower() != status:
            notes.append(f"Status as published: {status_text}.")
        if cells["primary_source_url"] and cells["primary_source_url"] != source_url:
            notes.append(f"Source as published: {cells['primary_source_url']}.")

        if not cells["materials"]:
            raise SourceError(rel, "blank materials", row=n, field="materials", expected="the materials the measure covers")
        for item in _split_outside_parentheses(cells["materials"], ";"):
            for commodity_id in commodities_named(item, scope_notes=cells["scope_notes"], file=rel, row=n, field="materials"):
                out.append(
                    {
                        "measure_id": measure_id,
                        "country_iso3": country.iso3,
                        "commodity_id": commodity_id,
                        "materials": item,
                        "control_type": control_type,
                        "year": announced.year if announced else None,
                        "announced_date": announced,
                        "effective_date": effective,
                        "status": status,
                        "scope_notes": _sentences(notes),
                        "source_url": source_url,
                        "verification_note": cells["verification_note"] or None,
                        "source_id": SOURCE_ID,
                        "source_file": rel,
                        "source_row": n,
                    }
                )
    return ReadResult(info=INFO, files=[path], tables={"export_controls": frame("export_controls", out)}, skipped=skipped)

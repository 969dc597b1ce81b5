"""USGS Mineral Commodity Summaries 2026: the long-format commodities data file.

File
----
``usgs_mcs2026/MCS2026_Commodities_Data.csv`` (NMIC, *Mineral Commodity Summaries 2026 Data
Release*, https://doi.org/10.5066/P1WKQ63T; CC0 1.0). One row per published figure, 8,886
data rows, **cp1252** with CRLF line endings. Header::

    MCS chapter,Section,Commodity,Country,Statistics,Statistics_detail,Unit,Year,Value,
    Notes,Is critical mineral 2025,Other notes

What the reader produces
------------------------
* ``production``: every section whose name starts with ``World`` ("World Mine Production and
  Reserves", "World Refinery Production and Capacity", "World Smelter Production and
  Capacity", "World Alumina Refinery and Bauxite Mine Production and Bauxite Reserves", ...).
  ``measure`` comes from ``Statistics`` (Production | Capacity | Reserves). ``stage`` comes
  from the label, then the section:

  1. the label (``Statistics_detail``) says ``mine`` -> ``mine``; it names a processing step
     (refinery, refined, smelter, plant production, primary production, sponge metal,
     pigment, silicon metal, ferrosilicon, pig iron, raw steel, clinker, cement production,
     fused aluminum oxide, silicon carbide, scandium oxide) -> ``processing``;
  2. otherwise the section decides when it names only one stage ("World Mine Production and
     Reserves" -> ``mine``; "World Refinery ...", "World Smelter ...", "World Primary
     ...", "World Low-Purity ..." -> ``processing``);
  3. otherwise ``unspecified`` (e.g. helium, bromine, lime, sulfur "Production, all forms",
     arsenic trioxide production).

  Reserves are quantities in the ground, so their stage is always ``mine``.
  ``series_label`` is the publisher's ``Statistics_detail`` without the ``: rounded`` /
  ``, rounded`` suffix USGS puts on world-total rows, so that a world total shares the label
  of its country rows; the word ``rounded`` moves to ``country_detail``.
* ``salient``: section ``Salient Statistics—United States`` (2021-2025). Mica gives scrap and
  flake mica and then sheet mica under the same statistic names; ``form`` tells them apart
  (:data:`SALIENT_BLOCKS`). ``statistic`` from
  ``Statistics``: Production and "Sold or used" (the production measure of industrial
  minerals) -> production; Import -> imports; Export -> exports; Consumption -> consumption;
  Price -> price; Stock -> stocks; Employment -> employment; Net import reliance -> nir;
  Shipment, Sales, Sold, Supply -> other. ``detail`` is ``Statistics_detail``.
* ``import_shares``: section ``Import Sources`` (720 rows): percent of U.S. imports by partner,
  period ``2021–24`` (stored as ``2021-24``), ``form`` = ``Statistics_detail`` ("All",
  "Ores and concentrates", "Refined metal", ...). "Other countries" is an aggregate of kind
  ``other``; "China, Germany, and Russia" (rubidium) a group. Notes such as "Includes Hong
  Kong." stay in ``notes``.

Estimates
---------
The metadata says the 2025 figures were estimated by NMIC ("Data for 2025 were estimated
based on available 2025 data and industry trends"), so every 2025 row has
``estimated=True`` and a plain 2025 number gets qualifier ``estimated``. Rows of other years
are estimated when their ``Notes`` carry the note ``Estimated.`` (also spelt
``Estimated .``), e.g. world production for 2024 of some countries.

Values and quirks
-----------------
* Values are text: thousands separators (``10,000``), codes ``W`` ``NA`` ``E`` ``XX`` ``s``
  ``—`` (zero), bounds ``>50`` ``<1,000`` ``>2,000,000``, ranges ``50–300`` and
  ``10,000 - 15,000``, words ``Large``, ``Moderate``, ``Moderate to large``, ``Variable,
  depending on size, type, and quality``. All go through :func:`critmin.values.parse_value`;
  none becomes a number it was not.
* ``?1`` (niobium, row 5086) and ``?10`` (tantalum, row 7450), "Shipments from Government
  stockpile" 2021: the publisher's file has a literal ``?``, a character lost when the file
  was exported to cp1252 (probably a minus sign; the notes of other rows show the same loss,
  "Defined as imports ? exports."). critmin does not guess the sign: the cells are kept as
  qualifier ``text`` with the raw string.
* Non-breaking spaces inside cells (``68\\xa0``, ``United\\xa0States``) are turned into plain
  spaces; trailing and leading spaces are removed (``' thousands of carats'``).
* ``Other notes`` carries the chapter's unit sentence, e.g. "(Data in metric tons, cobalt
  content, unless otherwise specified)", which says on what basis (content, gross weight)
  the figures are. It is appended to ``notes`` as ``Chapter: ...``.
* ``Is critical mineral 2025`` is not a schema column. It is checked in the tests against the
  compiled critical-minerals list. Two wollastonite rows leave it blank. On row 8533
  (yttrium world production) the cells are shifted: ``Notes`` holds the flag ``Yes`` and
  the flag column holds ``Yttrium``; the reader does not take ``Yes`` as a note and says so
  in ``notes``. Any other value in that column is an error.
* Version: the file still has the rare-earth reserves of Brazil as 21,000,000 t and the world
  total as >85,000,000 t; ``MCS2026_version_history.txt`` (version 1.3, 2026-05-27)
  corrected these to 11,000,000 and >75,000,000. The published cells are kept and the
  correction is written into ``notes`` of the two rows.
* A file that is not cp1252 (a UTF-8 copy decodes to "Statisticsâ€”United States"), a
  truncated file, a missing column, an unknown section or statistic, and an unmapped
  country or commodity raise :class:`~critmin.errors.SourceError` naming file, row and
  field.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame, relative_to_data, require_file
from critmin.sources.expectations import Anomaly, Bounds, Expectation, Shape, Values, expects
from critmin.sources.usgs_mcs_common import MCS_PRICE_WORDS, MCS_SALIENT_SIGNED, MCS_WORLD_WORDS, NIR_BOUNDS
from critmin.values import parse_value, parsed_columns
from critmin.vocab.commodities import CommodityRef, resolve_commodity
from critmin.vocab.countries import resolve_country

SOURCE_ID = "usgs_mcs2026"
VINTAGE = 2026
RELATIVE_PATH = "usgs_mcs2026/MCS2026_Commodities_Data.csv"
ENCODING = "cp1252"
COLUMNS = (
    "MCS chapter",
    "Section",
    "Commodity",
    "Country",
    "Statistics",
    "Statistics_detail",
    "Unit",
    "Year",
    "Value",
    "Notes",
    "Is critical mineral 2025",
    "Other notes",
)

SALIENT_SECTION = "Salient Statistics—United States"
IMPORT_SECTION = "Import Sources"
ESTIMATED_YEAR = 2025

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="Mineral Commodity Summaries 2026 Data Release: commodities data (long format)",
    publisher="U.S. Geological Survey, National Minerals Information Center",
    citation=(
        "National Minerals Information Center, 2026, Mineral Commodity Summaries 2026 Data Release: "
        "U.S. Geological Survey data release, https://doi.org/10.5066/P1WKQ63T"
    ),
    licence="CC0 1.0 Universal (public domain; U.S. Government work)",
    vintage=VINTAGE,
    doi="10.5066/P1WKQ63T",
    url="https://www.sciencebase.gov/catalog/item/696a75d5d4be0228872d3bf8",
    published="2026-02-06",
    notes=(
        "File MCS2026_Commodities_Data.csv (cp1252). Its rare-earth reserves for Brazil (21,000,000 t) and "
        "the world (>85,000,000 t) predate the version 1.3 correction of 2026-05-27 (11,000,000; >75,000,000)."
    ),
)

_MEASURES = {"Production": "production", "Capacity": "capacity", "Reserves": "reserves"}

_SALIENT_STATISTICS = {
    "Production": "production",
    "Sold or used": "production",
    "Import": "imports",
    "Export": "exports",
    "Consumption": "consumption",
    "Price": "price",
    "Stock": "stocks",
    "Employment": "employment",
    "Net import reliance": "nir",
    "Shipment": "other",
    "Sales": "other",
    "Sold": "other",
    "Supply": "other",
}

_MINE_RE = re.compile(r"\bmine\b", re.I)
_PROCESSING_RE = re.compile(
    r"refinery|refined|smelter|plant production|primary production|sponge metal|pigment|silicon metal|"
    r"ferrosilicon|pig iron|raw steel|clinker|cement production|fused aluminum oxide|silicon carbide|"
    r"scandium oxide",
    re.I,
)
_PROCESSING_SECTION_RE = re.compile(r"refinery|smelter|primary|low-purity", re.I)
_ROUNDED_RE = re.compile(r"\s*[:,]\s*rounded\s*$", re.I)
_ESTIMATED_NOTE_RE = re.compile(r"^estimated\s*\.?$", re.I)
_NOTE_SPLIT_RE = re.compile(r"\s*--\s*")

#: Published cells that a later USGS revision corrected; the cell is kept, the note added.
_ERRATA: dict[tuple[str, str, str, str], str] = {
    ("Rare Earths", "Brazil", "Reserves", "21,000,000"): (
        "USGS MCS2026 version 1.3 (2026-05-27) corrected this value to 11,000,000; this data file predates the correction."
    ),
    ("Rare Earths", "World total", "Reserves", ">85,000,000"): (
        "USGS MCS2026 version 1.3 (2026-05-27) corrected this total to >75,000,000 (Brazil 21,000,000 -> 11,000,000); "
        "this data file predates the correction."
    ),
}

_FLAG_VALUES = {"Yes", "No", ""}

#: Chapters whose salient section gives two products one after the other under the same
#: statistic names, each year: Commodity -> (the Statistics value that opens the second
#: product, form of the first, form of the second). Mica: scrap and flake mica, then sheet
#: mica (opened by "Sold or used", NA); the imports, exports, consumption and NIR rows of
#: the two carry the same names and differ only by their HTS codes in Notes (<$6.00 per
#: kilogram for flake, >$6.00 and 6814 for sheet), as in the MCS2025 file's Flake/Sheet columns.
SALIENT_BLOCKS: dict[str, tuple[str, str, str]] = {
    "Mica (Natural)": ("Sold or used", "scrap and flake", "sheet"),
}


def clean_text(text: str) -> str:
    """Publisher text with non-breaking spaces made plain and runs of spaces collapsed."""
    return re.sub(r"[ \t]+", " ", text.replace("\u00a0", " ")).strip()


def read_complete_csv(
    path: Path, encoding: str, *, required: Iterable[str] = ()
) -> tuple[list[str], list[tuple[int, dict[str, str]]], int]:
    """Read a whole CSV file and refuse one that is truncated or in the wrong encoding.

    The conventions are those of :func:`critmin.sources.base.read_csv_rows` (1-based row
    numbers with the header as row 1, cells stripped, duplicate header names suffixed
    ``.1``), with three checks more:

    * the file must end with a line break, and no data row may have fewer cells than the
      header: both are what a file cut off in the middle looks like;
    * a file read as cp1252 must not be valid UTF-8 with non-ASCII bytes (a UTF-8 copy of a
      cp1252 file would decode without error into "Statisticsâ€”United States");
    * a row with more non-empty cells than the header is an error.

    Returns
    -------
    header, rows, blank_rows
        ``rows`` are ``(row_number, {column: cell})``; fully blank lines are not returned
        but counted in ``blank_rows``.
    """
    data = require_file(path).read_bytes()
    if encoding.lower().replace("-", "") in {"cp1252", "windows1252"} and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise SourceError(path, "file decodes as UTF-8, not as the publisher's cp1252", row=1, expected="a cp1252 file as published")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            path, f"cannot decode byte 0x{data[exc.start]:02x} at offset {exc.start} as {encoding}", row=line, expected=f"a text file in {encoding}"
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise SourceError(path, "file is empty", row=1, expected="a header row")
    if not text.endswith(("\n", "\r")):
        last_line = text.count("\n") + 1
        raise SourceError(path, "file does not end with a line break: it looks truncated", row=last_line, expected="a complete file")
    records = list(csv.reader(io.StringIO(text, newline="")))
    header_raw = records[0]
    header: list[str] = []
    seen: Counter = Counter()
    for i, name in enumerate(h.strip() for h in header_raw):
        base = name or f"_blank{i}"
        header.append(base if seen[base] == 0 else f"{base}.{seen[base]}")
        seen[base] += 1
    required = list(required)
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceError(
            path, f"missing column(s) {missing}", row=1, field=missing[0], expected=f"a header with {required}", found=header_raw
        )
    rows: list[tuple[int, dict[str, str]]] = []
    blank = 0
    for n, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            blank += 1
            continue
        if len(cells) < len(header):
            raise SourceError(
                path,
                f"row has {len(cells)} cells but the header has {len(header)}: the file looks truncated",
                row=n,
                expected=f"{len(header)} cells",
            )
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            raise SourceError(path, f"row has {len(cells)} cells but the header has {len(header)}", row=n, expected="no cells beyond the header")
        rows.append((n, {h: c.strip() for h, c in zip(header, cells)}))
    return header, rows, blank


def is_estimated_note(notes: str) -> bool:
    """True when one of the ``--``-separated notes is USGS's "Estimated." marker."""
    return any(_ESTIMATED_NOTE_RE.match(part.strip()) for part in _NOTE_SPLIT_RE.split(notes) if part.strip())


def stage_of(measure: str, label: str, section: str) -> str:
    """Supply-chain stage of a world series: ``mine``, ``processing`` or ``unspecified``.

    Parameters
    ----------
    measure
        ``production``, ``capacity`` or ``reserves``.
    label
        The publisher's ``Statistics_detail`` ("Refinery production", "Mine production: Kaolin").
    section
        The publisher's section ("World Smelter Production and Capacity").
    """
    if measure == "reserves":
        return "mine"
    if _MINE_RE.search(label):
        return "mine"
    if _PROCESSING_RE.search(label):
        return "processing"
    section_mine = bool(_MINE_RE.search(section))
    section_processing = bool(_PROCESSING_SECTION_RE.search(section))
    if section_mine and not section_processing:
        return "mine"
    if section_processing and not section_mine:
        return "processing"
    return "unspecified"


def _int_year(text: str, *, file: str, row_number: int) -> int:
    if not re.fullmatch(r"\d{4}", text):
        raise SourceError(file, "year is not a four-digit year", row=row_number, field="Year", found=text, expected="a year such as 2024")
    return int(text)


def _notes(*parts: str) -> str | None:
    kept = [p for p in (clean_text(x) for x in parts) if p]
    return " -- ".join(kept) if kept else None


EXPECTED = Expectation(
    files=(RELATIVE_PATH,),
    shapes=(
        Shape(
            RELATIVE_PATH,
            rows=8886,
            distinct={"commodity_id": 112},
            last={"commodity_id": "zirconium"},
            doc="SOURCES.md §1d: 8,886 data rows (data file v1.3), 127 commodities (112 critmin ids), zirconium last",
        ),
    ),
    tables={
        "production": Values(words=MCS_WORLD_WORDS, field="Value ({measure} {year})"),
        "salient": Values(
            words=(MCS_PRICE_WORDS,), signed=MCS_SALIENT_SIGNED, bounds=(NIR_BOUNDS,),
            field="Value ({detail}, {year})",
        ),
        "import_shares": Values(bounds=(Bounds(0, 100, doc="percent of U.S. imports"),), field="Value (import share, {partner_name})"),
    },
    anomalies=(
        Anomaly(RELATIVE_PATH, 5086, "'?1': a character (probably a minus sign) lost when the file was exported to cp1252; kept as text"),
        Anomaly(RELATIVE_PATH, 7450, "'?10': a character (probably a minus sign) lost when the file was exported to cp1252; kept as text"),
    ),
)


@expects(EXPECTED)
def read_mcs2026(data_dir: Path) -> ReadResult:
    """Read ``MCS2026_Commodities_Data.csv`` into ``production``, ``salient`` and ``import_shares``.

    Parameters
    ----------
    data_dir
        The raw-data folder holding ``usgs_mcs2026/``.

    Returns
    -------
    ReadResult
        Manifest entry ``usgs_mcs2026`` and the three table fragments; every data row of the
        file is in exactly one of them.
    """
    path = data_dir / RELATIVE_PATH
    rel = relative_to_data(path, data_dir)
    _, rows, blank = read_complete_csv(path, ENCODING, required=COLUMNS)
    skipped: Counter = Counter()
    if blank:
        skipped["blank line"] += blank
    production: list[dict[str, object]] = []
    salient: list[dict[str, object]] = []
    shares: list[dict[str, object]] = []

    second_block: set[tuple[str, str]] = set()  # (Commodity, Year) whose second product has begun
    for n, raw in rows:
        row = {k: clean_text(v) for k, v in raw.items()}
        section = row["Section"]
        commodity = resolve_commodity(row["Commodity"], file=rel, row=n, field="Commodity")
        flag_note = _flag_note(row, file=rel, row_number=n)
        published_notes = "" if flag_note else row["Notes"]
        provenance = {"source_id": SOURCE_ID, "source_file": rel, "source_row": n}

        if section.startswith("World"):
            production.append(_production_row(row, commodity, published_notes, flag_note, provenance, file=rel, row_number=n))
        elif section == SALIENT_SECTION:
            salient_row = _salient_row(row, commodity, published_notes, flag_note, provenance, file=rel, row_number=n)
            blocks = SALIENT_BLOCKS.get(row["Commodity"])
            if blocks is not None:
                opener, first_form, second_form = blocks
                if row["Statistics"] == opener:
                    second_block.add((row["Commodity"], row["Year"]))
                salient_row["form"] = second_form if (row["Commodity"], row["Year"]) in second_block else first_form
            salient.append(salient_row)
        elif section == IMPORT_SECTION:
            shares.append(_import_share_row(row, commodity, published_notes, flag_note, provenance, file=rel, row_number=n))
        else:
            raise SourceError(
                rel,
                "unknown section",
                row=n,
                field="Section",
                found=section,
                expected=f"'{SALIENT_SECTION}', '{IMPORT_SECTION}' or a section starting with 'World'",
            )

    return ReadResult(
        info=INFO,
        files=[path],
        tables={
            "production": frame("production", production),
            "salient": frame("salient", salient),
            "import_shares": frame("import_shares", shares),
        },
        skipped=skipped,
    )


def _flag_note(cells: dict[str, str], *, file: str, row_number: int) -> str:
    """A note for a row whose ``Is critical mineral 2025`` cell is shifted; '' when it is not."""
    flag = cells["Is critical mineral 2025"]
    if flag in _FLAG_VALUES:
        return ""
    if cells["Notes"] in {"Yes", "No"}:
        return (
            f"Publisher's row is shifted: 'Notes' holds the critical-mineral flag {cells['Notes']!r} and "
            f"'Is critical mineral 2025' holds {flag!r}."
        )
    raise SourceError(
        file, "unexpected critical-mineral flag", row=row_number, field="Is critical mineral 2025", found=flag,
        expected="Yes, No or blank",
    )


def _chapter_note(cells: dict[str, str]) -> str:
    other = cells["Other notes"]
    return f"Chapter: {other}" if other else ""


def _production_row(cells: dict[str, str], commodity: CommodityRef, notes: str, flag_note: str, provenance: dict[str, object], *, file: str, row_number: int) -> dict[str, object]:
    statistics = cells["Statistics"]
    measure = _MEASURES.get(statistics)
    if measure is None:
        raise SourceError(file, "unknown statistic in a world section", row=row_number, field="Statistics", found=statistics, expected=f"one of {sorted(_MEASURES)}")
    label = cells["Statistics_detail"] or statistics
    rounded = bool(_ROUNDED_RE.search(label))
    series_label = _ROUNDED_RE.sub("", label) if rounded else label
    country = resolve_country(cells["Country"], file=file, row=row_number, field="Country")
    year = _int_year(cells["Year"], file=file, row_number=row_number)
    estimated = year == ESTIMATED_YEAR or is_estimated_note(notes)
    unit = cells["Unit"]
    if not unit:
        raise SourceError(file, "world series without a unit", row=row_number, field="Unit", expected="a unit such as 'metric tons'")
    erratum = _ERRATA.get((cells["Commodity"], cells["Country"], statistics, cells["Value"]), "")
    details = [d for d in (country.detail if country.detail != cells["Country"] else "", "rounded" if rounded else "") if d]
    return {
        "vintage": VINTAGE,
        "commodity_id": commodity.commodity_id,
        "form": commodity.form or None,
        "country_iso3": country.iso3,
        "country_name": cells["Country"],
        "country_kind": country.kind,
        "country_detail": "; ".join(details) or None,
        "stage": stage_of(measure, label, cells["Section"]),
        "measure": measure,
        "series_label": series_label,
        "year": year,
        **parsed_columns(parse_value(cells["Value"], estimated=estimated)),
        "estimated": estimated,
        "unit": unit,
        "notes": _notes(notes, erratum, flag_note, _chapter_note(cells)),
        **provenance,
    }


def _salient_row(cells: dict[str, str], commodity: CommodityRef, notes: str, flag_note: str, provenance: dict[str, object], *, file: str, row_number: int) -> dict[str, object]:
    statistics = cells["Statistics"]
    statistic = _SALIENT_STATISTICS.get(statistics)
    if statistic is None:
        raise SourceError(
            file, "unknown statistic in the salient section", row=row_number, field="Statistics", found=statistics,
            expected=f"one of {sorted(_SALIENT_STATISTICS)}",
        )
    country = resolve_country(cells["Country"], file=file, row=row_number, field="Country")
    if country.iso3 != "USA":
        raise SourceError(file, "salient statistics for a country other than the United States", row=row_number, field="Country", found=cells["Country"], expected="United States")
    year = _int_year(cells["Year"], file=file, row_number=row_number)
    estimated = year == ESTIMATED_YEAR or is_estimated_note(notes)
    return {
        "vintage": VINTAGE,
        "commodity_id": commodity.commodity_id,
        "form": commodity.form or None,
        "year": year,
        "statistic": statistic,
        "detail": cells["Statistics_detail"] or statistics,
        **parsed_columns(parse_value(cells["Value"], estimated=estimated)),
        "estimated": estimated,
        "unit": cells["Unit"] or None,
        "notes": _notes(notes, flag_note, _chapter_note(cells)),
        **provenance,
    }


def _import_share_row(cells: dict[str, str], commodity: CommodityRef, notes: str, flag_note: str, provenance: dict[str, object], *, file: str, row_number: int) -> dict[str, object]:
    period = cells["Year"].replace("–", "-").replace("—", "-")
    if not re.fullmatch(r"\d{4}-\d{2}", period):
        raise SourceError(file, "import-source period is not a year range", row=row_number, field="Year", found=cells["Year"], expected="a period such as 2021–24")
    if cells["Unit"] != "percent":
        raise SourceError(file, "import share not in percent", row=row_number, field="Unit", found=cells["Unit"], expected="percent")
    partner = resolve_country(cells["Country"], file=file, row=row_number, field="Country")
    detail = cells["Statistics_detail"]
    form = detail
    if commodity.form and commodity.form.casefold() not in detail.casefold():
        form = f"{commodity.form}: {detail}" if detail else commodity.form
    return {
        "vintage": VINTAGE,
        "commodity_id": commodity.commodity_id,
        "form": form or None,
        "partner_iso3": partner.iso3,
        "partner_name": cells["Country"],
        "partner_kind": partner.kind,
        "period": period,
        **parsed_columns(parse_value(cells["Value"])),
        "notes": _notes(notes, flag_note, _chapter_note(cells)),
        **provenance,
    }

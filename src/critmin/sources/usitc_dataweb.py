"""USITC DataWeb U.S. trade by partner and HTS heading -> table ``trade``.

Files (SOURCES.md §5a): ``usitc_dataweb/us_imports_for_consumption_1993-2026.xlsx`` and
``usitc_dataweb/us_domestic_exports_1993-2026.xlsx``, two DataWeb query downloads
(2026-07-10) of U.S. Census data: 25 HTS 4-digit headings (see
``critmin/vocab/hts_headings.csv``), 18 partner countries, annual 1993-2025 and January-April
year-to-date 1993-2026.

Layout of each workbook:

* sheet ``Query Parameters``: the query as two columns (label, value); its ``Trade Flow``
  (``Imports For Consumption`` / ``Domestic Exports``) sets ``flow`` (``imports`` /
  ``exports``) and must match the first cell of every data sheet.
* data sheets ``Customs Value`` (imports) or ``FAS Value`` (exports), ``First Unit of
  Quantity``, ``Second Unit of Quantity``, each also as ``... YTD``. Row 1 is a title
  (``Imports For Consumption|Annual + Year-To-Date Data from Jan - Apr``), row 2
  ``Data Row Count, N``, row 3 the header ``Data Type, Country, HTS Number, Description,
  Quantity Description, 1993 ... 2026`` (YTD sheets: ``1993_Year_to_date`` ...), and in the
  quantity sheets also ``1993_Suppressed`` ... columns. Data from row 4.

Mapping:

* ``measure``: ``customs_value`` (imports, US$), ``fas_value`` (domestic exports are valued
  free alongside ship, US$; not a customs value), ``first_quantity``, ``second_quantity``;
  ``period``: ``annual`` or ``ytd`` (January-April of the year).
* ``unit``: quantity sheets give the unit in ``Quantity Description`` (kilograms, metric
  tons, component grams, number, ...). A heading is split over several rows when its HTS-10
  lines are measured in different units (8505 in ``number``, ``kilograms`` and ``no units
  collected``): the value sheets carry the same split, so their unit is written
  ``US dollars (Value for: kilograms)``. The heading's value is the sum of its rows.
* ``commodity_ids``: from ``hts_headings.csv``; several headings are mixed (2805, 2825,
  2836, 7202, 8112, 8505: see the note there), so a heading total is not a figure for
  any one commodity.

Quirks, and what the reader does:

* Zeros are DataWeb's own "no trade recorded" and stay exact zeros, except in quantity
  rows whose unit is ``no units collected``: those zeros are not measurements and become
  ``not_available`` (raw ``0``).
* The annual column of the download year (2026) is all zeros because the year was not
  complete; it is left out and counted in ``skipped`` (the YTD sheets carry 2026). If it
  ever holds a non-zero figure, it is kept.
* The ``YYYY_Suppressed`` columns of the quantity sheets hold small whole numbers whose
  meaning the download does not document (they look like counts of records whose quantity
  Census suppressed). Non-zero cells are kept as measure ``first_quantity_suppressed`` /
  ``second_quantity_suppressed`` (unit ``as published``); zero cells are counted in
  ``skipped``.
* The value sheets end with a ``Total:`` row (text with thousands separators); it is
  checked against the sum of the rows and counted in ``skipped``. The quantity sheets have
  no total row.
* There is no world total: partner shares need an outside world total.
* ``Data Row Count`` must equal the number of data rows read (a shorter sheet is a
  truncated download); a partner that ``resolve_country`` does not know, an HTS heading
  that is not in ``hts_headings.csv``, or a text cell fails with the sheet row.

Provenance: ``source_row`` is the spreadsheet row in the sheet named by ``measure`` and
``period``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame, relative_to_data
from critmin.sources.expectations import Expectation, Values, expects
from critmin.sources.xlsx_sheets import Workbook, cell_int, cell_text, cell_values
from critmin.values import Qualifier, to_number
from critmin.vocab.countries import resolve_country
from critmin.vocab.hts_headings import hts_headings

SOURCE_ID = "usitc-dataweb"
FOLDER = "usitc_dataweb"
FILES = ("us_imports_for_consumption_1993-2026.xlsx", "us_domestic_exports_1993-2026.xlsx")

FLOWS = {"Imports For Consumption": "imports", "Domestic Exports": "exports"}
#: Data Type (the first column and the sheet name) -> measure.
MEASURES = {
    "Customs Value": "customs_value",
    "FAS Value": "fas_value",
    "First Unit of Quantity": "first_quantity",
    "Second Unit of Quantity": "second_quantity",
}
VALUE_MEASURES = {"customs_value", "fas_value"}
HEADER = ("Data Type", "Country", "HTS Number", "Description", "Quantity Description")
NO_UNITS = "no units collected"
_YEAR_COLUMN_RE = re.compile(r"^(\d{4})(_Year_to_date)?(_Suppressed)?$")
_HTS4_RE = re.compile(r"^\d{4}$")

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="USITC DataWeb: U.S. imports for consumption and domestic exports by partner, 25 HTS headings, 1993-2026",
    publisher="U.S. International Trade Commission (DataWeb); data from the U.S. Census Bureau",
    citation=(
        "U.S. International Trade Commission, DataWeb (dataweb.usitc.gov), U.S. imports for consumption "
        "and domestic exports, HTS 4-digit headings, annual 1993-2025 and January-April year-to-date "
        "1993-2026, 18 partner countries; downloaded 2026-07-10. Source data: U.S. Census Bureau."
    ),
    licence="Public domain (U.S. Government work)",
    vintage=2026,
    url="https://dataweb.usitc.gov",
    published="2026-07-10 (download date)",
    notes=(
        "HS4 not HS6: 2805 mixes rare-earth metals with alkali metals and mercury, 8505 holds all magnets "
        "(see critmin/vocab/hts_headings.csv). Only 18 partners and no world total. Exports are domestic "
        "exports valued FAS (measure fas_value). Period 'ytd' is January-April."
    ),
)


#: Both downloads must be there; each sheet's row count is checked against its own 'Data Row
#: Count' by the reader. Values and quantities are never negative (DataWeb reports trade).
EXPECTED = Expectation(
    files=tuple(f"{FOLDER}/{name}" for name in FILES),
    tables={"trade": Values(field="{year} ({measure}, {period})")},
)


@expects(EXPECTED)
def read_usitc(data_dir: Path) -> ReadResult:
    """Read both DataWeb workbooks into the ``trade`` table.

    Parameters
    ----------
    data_dir
        The raw-data folder (``../shared/data``) holding ``usitc_dataweb/``.

    Returns
    -------
    ReadResult
        One ``trade`` fragment; ``skipped`` counts total rows, suppressed-quantity zero cells
        and the incomplete annual column of the download year.
    """
    data_dir = Path(data_dir)
    paths = [data_dir / FOLDER / name for name in FILES]
    skipped: Counter = Counter()
    rows: list[dict[str, object]] = []
    for path in paths:
        rows += read_workbook(path, data_dir, skipped)
    return ReadResult(INFO, paths, {"trade": frame("trade", rows)}, skipped)


def read_workbook(path: Path, data_dir: Path, skipped: Counter) -> list[dict[str, object]]:
    """Rows of ``trade`` from one DataWeb download (all its data sheets)."""
    with Workbook(path) as book:
        params = _query_parameters(book)
        flow_label = params.get("Trade Flow", "")
        if flow_label not in FLOWS:
            raise SourceError(path, "unknown trade flow", field="Query Parameters: Trade Flow", found=flow_label, expected=f"one of {list(FLOWS)}")
        download_year = _download_year(params.get("Download Date"))
        data_sheets = [s for s in book.sheet_names if s != "Query Parameters"]
        if not data_sheets:
            raise SourceError(path, "no data sheets", expected="sheets such as 'Customs Value' and 'First Unit of Quantity'")
        out: list[dict[str, object]] = []
        for sheet in data_sheets:
            out += read_sheet(book, sheet, flow_label, download_year, data_dir, skipped)
    return out


def _query_parameters(book: Workbook) -> dict[str, object]:
    book.require_sheet("Query Parameters")
    params: dict[str, object] = {}
    for r in book.rows("Query Parameters"):
        label = cell_text(r[0] if r else None)
        if label and len(r) > 1:
            params.setdefault(label, r[1])
    return params


def _download_year(value: object) -> int | None:
    year = getattr(value, "year", None)
    if isinstance(year, int):
        return year
    m = re.search(r"\b(19|20)\d{2}\b", cell_text(value))
    return int(m.group(0)) if m else None


def read_sheet(
    book: Workbook, sheet: str, flow_label: str, download_year: int | None, data_dir: Path, skipped: Counter
) -> list[dict[str, object]]:
    """Rows of ``trade`` from one data sheet."""
    path = book.path
    base_name = sheet[:-4] if sheet.endswith(" YTD") else sheet
    measure = MEASURES.get(base_name)
    if measure is None:
        raise SourceError(path, "unknown data sheet", field=sheet, expected=f"one of {list(MEASURES)} (optionally with ' YTD')")
    period = "ytd" if sheet.endswith(" YTD") else "annual"
    rows = book.rows(sheet)
    if len(rows) < 3:
        raise SourceError(path, "sheet has no header", field=sheet, row=len(rows) + 1, expected="a title, 'Data Row Count' and the header in rows 1-3")
    title = cell_text(rows[0][0] if rows[0] else None)
    if not title.startswith(flow_label):
        raise SourceError(path, f"sheet {sheet!r}: title does not name the trade flow", row=1, found=title, expected=f"a title starting with {flow_label!r}")
    declared = cell_int(rows[1][1]) if len(rows[1]) > 1 and cell_text(rows[1][0]) == "Data Row Count" else None
    if declared is None:
        raise SourceError(path, f"sheet {sheet!r}: no 'Data Row Count'", row=2, expected="'Data Row Count' and a number in row 2")
    header = [cell_text(c) for c in rows[2]]
    if tuple(header[: len(HEADER)]) != HEADER:
        missing = [h for h in HEADER if h not in header]
        raise SourceError(path, f"sheet {sheet!r}: unexpected header", row=3, field=missing[0] if missing else None, found=header[: len(HEADER)], expected=f"columns {list(HEADER)}")
    year_columns = _year_columns(header, period, path, sheet)
    source_file = relative_to_data(path, data_dir)
    partners: dict[str, object] = {}
    headings = hts_headings()

    data: list[tuple[int, list[object]]] = []
    total_row: tuple[int, list[object]] | None = None
    for i, r in enumerate(rows[3:], start=4):
        first = cell_text(r[0] if r else None)
        if not any(c is not None for c in r):
            skipped["usitc: blank row"] += 1
            continue
        if first.startswith("Total"):
            total_row = (i, r)
            continue
        if total_row is not None:
            raise SourceError(path, f"sheet {sheet!r}: data after the total row", row=i, expected="the 'Total:' row to be last")
        if first != base_name:
            raise SourceError(path, f"sheet {sheet!r}: unexpected data type", row=i, field="Data Type", found=first, expected=base_name)
        data.append((i, r))
    if len(data) != declared:
        raise SourceError(
            path,
            f"sheet {sheet!r}: {len(data)} data rows but 'Data Row Count' is {declared}",
            row=len(rows),
            expected="as many data rows as declared (is the download truncated?)",
        )

    # The annual column of the download year is all zeros: the year was not over.
    incomplete_years: set[int] = set()
    if period == "annual" and download_year is not None:
        for column, year, suppressed in year_columns:
            if year >= download_year and not suppressed and all(_is_zero(r[column]) for _, r in data):
                incomplete_years.add(year)

    out: list[dict[str, object]] = []
    seen: set[tuple[str, str, str]] = set()
    for i, r in data:
        partner_name = cell_text(r[1])
        hts = cell_text(r[2])
        description = cell_text(r[3])
        quantity_description = cell_text(r[4])
        if not _HTS4_RE.match(hts) or hts not in headings:
            raise SourceError(path, f"sheet {sheet!r}: HTS heading not in critmin/vocab/hts_headings.csv", row=i, field="HTS Number", found=hts, expected="one of the 25 headings of the query")
        key = (partner_name, hts, quantity_description)
        if key in seen:
            raise SourceError(path, f"sheet {sheet!r}: duplicate partner, heading and unit", row=i, found=key)
        seen.add(key)
        ref = partners.get(partner_name)
        if ref is None:
            ref = resolve_country(partner_name, file=path, row=i, field="Country")
            partners[partner_name] = ref
        if measure in VALUE_MEASURES:
            unit = f"US dollars ({quantity_description})"
        else:
            unit = quantity_description
        common = {
            "flow": FLOWS[flow_label],
            "partner_iso3": ref.iso3,
            "partner_name": ref.name,
            "hts": hts,
            "description": description,
            "commodity_ids": list(headings[hts].commodity_ids),
            "period": period,
        }
        for column, year, suppressed in year_columns:
            cell = r[column] if column < len(r) else None
            if year in incomplete_years:
                skipped[f"usitc: annual {year} column (year incomplete at download, all zeros)"] += 1
                continue
            if suppressed:
                if _is_zero(cell):
                    skipped["usitc: suppressed-quantity column, zero"] += 1
                    continue
                row_measure, row_unit = f"{measure}_suppressed", "as published"
            else:
                row_measure, row_unit = measure, unit
            values = cell_values(cell)
            if values["qualifier"] == Qualifier.TEXT:
                raise SourceError(path, f"sheet {sheet!r}: not a number", row=i, field=header[column], found=cell, expected="a number")
            if not suppressed and measure not in VALUE_MEASURES and quantity_description == NO_UNITS and _is_zero(cell):
                values = {**cell_values("NA"), "raw": cell_text(cell)}
            out.append(
                {
                    **common,
                    "year": year,
                    "measure": row_measure,
                    "unit": row_unit,
                    **values,
                    "source_id": SOURCE_ID,
                    "source_file": source_file,
                    "source_row": i,
                }
            )
    if total_row is not None:
        _check_total(total_row, data, year_columns, path, sheet)
        skipped["usitc: total row"] += 1
    elif measure in VALUE_MEASURES:
        raise SourceError(path, f"sheet {sheet!r}: no 'Total:' row", row=len(rows) + 1, expected="a 'Total:' row after the data (is the download truncated?)")
    return out


def _year_columns(header: list[str], period: str, path: Path, sheet: str) -> list[tuple[int, int, bool]]:
    """(column index, year, is-suppressed-column) of every year column."""
    out = []
    for j, name in enumerate(header[len(HEADER):], start=len(HEADER)):
        if not name:
            continue
        m = _YEAR_COLUMN_RE.match(name)
        if m is None or (m.group(2) is not None) != (period == "ytd"):
            raise SourceError(path, f"sheet {sheet!r}: unexpected column", row=3, field=name, expected="year columns such as '1993' (annual) or '1993_Year_to_date' (YTD)")
        out.append((j, int(m.group(1)), m.group(3) is not None))
    if not out:
        raise SourceError(path, f"sheet {sheet!r}: no year columns", row=3, expected="columns 1993 ... 2026")
    return out


def _is_zero(cell: object) -> bool:
    return isinstance(cell, (int, float)) and not isinstance(cell, bool) and cell == 0


def _check_total(total_row: tuple[int, list[object]], data: list[tuple[int, list[object]]], year_columns, path: Path, sheet: str) -> None:
    """The ``Total:`` row must equal the sum of the rows (it does, to the dollar)."""
    n, r = total_row
    for column, year, suppressed in year_columns:
        cell = r[column] if column < len(r) else None
        if cell is None or suppressed:
            continue
        published = to_number(str(cell)) if isinstance(cell, str) else float(cell)
        computed = sum(float(row[column]) for _, row in data if isinstance(row[column], (int, float)))
        if abs(published - computed) > 0.5 + 1e-9 * abs(published):
            raise SourceError(
                path,
                f"sheet {sheet!r}: total {published:,.0f} for {year} is not the sum of the rows ({computed:,.0f})",
                row=n,
                expected="the total of the rows above (is a row missing?)",
            )

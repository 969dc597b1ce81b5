"""USGS Minerals Yearbook 2022, Rare Earths, trade tables -> table ``myb_trade``.

File (SOURCES.md §5b): ``usgs_myb/myb1-2022-raree_tables.xlsx``. Four sheets are read:

* ``T4`` U.S. exports of rare-earth compounds and ``T5`` of rare-earth metals and alloys,
  by country, with Schedule B numbers (flow ``exports``);
* ``T6`` U.S. imports for consumption of rare-earth compounds and ``T7`` of metals and
  alloys, by country, with HTS-10 codes (flow ``imports``).

The other sheets (salient statistics, prices, world production) are not read here.

Layout of each table: rows 1-2 title (``TABLE 6`` and ``U.S. IMPORTS FOR CONSUMPTION OF
...``), row 4 the years (2021 in column E, 2022 in column I), rows 5-6 the column heads
(``Gross weight (kilograms)`` and ``Value`` for each year; column C ``HTS code`` or
``Schedule B number``). Columns F, H, J, L hold footnote markers of the figure to their
left: ``r`` revised, ``e`` estimated. From row 7 the table nests:

* heading rows (``Compounds:``, ``Oxides:``) with no figures;
* a code row: the category label and its code in column C (``Cerium oxides:``,
  ``2846.10.0010``); one category spreads its codes over three rows
  (``3606.90.3000,`` / ``3606.90.3010,`` / ``3606.90.3090``, joined with ``, ``) and one
  label continues on the next row (``Yttrium materials and compounds content by weight`` /
  ``greater than 19% but less than 85% oxide equivalent:``);
* country rows (``China `` with a trailing space, ``Korea, Republic of``), ``Other``
  (kept as partner kind ``other``) and ``Total`` (the total of the code, kept as partner
  kind ``world``: U.S. trade with all countries);
* ``Total estimated rare-earth-oxide (REO) equivalent content``: kept as measure
  ``reo_content`` (kilograms REO) of the code's total; its value cells are ``XX`` (not
  applicable) and are counted in ``skipped``;
* one category has a single country on its code row: ``Scandium or yttrium chloride
  mixtures, Russia`` (split at the last comma);
* subtotals over several codes (``Total, cerium compounds``, ``Grand total``) and their
  REO rows are left out (they would count the codes twice) and counted in ``skipped``;
* footnote lines (``rRevised.  XX Not applicable.  -- Zero.``, ``1Table includes ...``,
  ``Source: U.S. Census Bureau.``) and blank rows are counted in ``skipped``.

Values: numbers (with the marker column giving ``revised``/``estimated``), ``--`` zero,
``XX`` not calculable. ``measure`` is ``gross_weight`` (kilograms) or ``value`` (US
dollars); ``hts`` the code as printed (``2846.10.0010``; Schedule B numbers for exports).
All rows have ``commodity_id`` ``rare-earths`` (the chapter); ``description`` names the
category. A country ``resolve_country`` does not know, a figure row outside a category,
an unknown marker, or a changed column layout fails with the sheet row.

Public domain (U.S. Government work).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame, relative_to_data
from critmin.sources.expectations import Expectation, Shape, Values, expects
from critmin.sources.xlsx_sheets import Workbook, cell_int, cell_text, cell_values
from critmin.values import Qualifier
from critmin.vocab.countries import OTHER, WORLD, resolve_country

SOURCE_ID = "usgs-myb-2022-rare-earths"
FOLDER = "usgs_myb"
FILE = "myb1-2022-raree_tables.xlsx"
TABLES = ("T4", "T5", "T6", "T7")
COMMODITY_ID = "rare-earths"

LABEL, CODE = 0, 2
#: (year-header column, quantity column, value column); markers sit one column right.
YEAR_BLOCKS = ((4, 4, 6), (8, 8, 10))
FIRST_DATA_ROW = 7
MARKERS = {"r": "revised", "e": "estimated"}

_FOOTNOTE_RE = re.compile(r"^(?:[re][A-Z][a-z]+\.|\d+[A-Z]|Source:)")
_REO_RE = re.compile(r"^(?:Grand )?[Tt]otal estimated .*\bREO\b.*content$")
_CODE_RE = re.compile(r"^\d{4}\.\d{2}\.\d{4},?$")

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="USGS Minerals Yearbook 2022, Rare Earths: U.S. exports and imports by country (tables 4-7)",
    publisher="U.S. Geological Survey, National Minerals Information Center",
    citation=(
        "U.S. Geological Survey, 2022 Minerals Yearbook, Rare Earths [tables-only release], tables 4-7 "
        "(data from the U.S. Census Bureau, available through July 14, 2023). "
        "https://www.usgs.gov/centers/national-minerals-information-center/rare-earths-statistics-and-information"
    ),
    licence="Public domain (U.S. Government work)",
    vintage=2022,
    url="https://www.usgs.gov/centers/national-minerals-information-center/rare-earths-statistics-and-information",
    notes="Per-code totals kept as partner kind 'world'; subtotals across codes left out. Values rounded to three significant digits by USGS.",
)


#: Tables 4-7 of the yearbook: 69 country and total rows with figures (row numbers are per
#: sheet, so this counts distinct sheet rows); weights and values are never negative.
EXPECTED = Expectation(
    files=(f"{FOLDER}/{FILE}",),
    shapes=(Shape(f"{FOLDER}/{FILE}", rows=69, distinct={"year": 2}, doc="tables 4-7 of the 2022 rare-earths yearbook, 2021 and 2022"),),
    tables={"myb_trade": Values(field="{table} {measure} {year}")},
)


@expects(EXPECTED)
def read_myb_rare_earths(data_dir: Path) -> ReadResult:
    """Read tables 4-7 of the 2022 rare-earths yearbook into ``myb_trade``.

    Parameters
    ----------
    data_dir
        The raw-data folder (``../shared/data``) holding ``usgs_myb/``.

    Returns
    -------
    ReadResult
        One ``myb_trade`` fragment; ``skipped`` counts headings, subtotals, footnotes and
        the not-applicable value cells of REO rows.
    """
    data_dir = Path(data_dir)
    path = data_dir / FOLDER / FILE
    skipped: Counter = Counter()
    out: list[dict[str, object]] = []
    with Workbook(path) as book:
        for table in TABLES:
            out += read_table(book.rows(table), table, path, data_dir, skipped)
    return ReadResult(INFO, [path], {"myb_trade": frame("myb_trade", out)}, skipped)


def _flow(title: str, path: Path, table: str) -> str:
    if title.startswith("U.S. EXPORTS"):
        return "exports"
    if title.startswith("U.S. IMPORTS"):
        return "imports"
    raise SourceError(path, f"table {table}: unknown title", row=2, found=title, expected="'U.S. EXPORTS ...' or 'U.S. IMPORTS ...'")


def _check_layout(rows: list[list[object]], table: str, path: Path) -> list[int]:
    """The years of the two column blocks; fails if the column heads moved."""
    def at(r: int, c: int) -> str:
        return cell_text(rows[r - 1][c]) if len(rows) >= r and c < len(rows[r - 1]) else ""

    years = []
    for year_col, qty_col, value_col in YEAR_BLOCKS:
        year = cell_int(rows[3][year_col]) if len(rows) > 3 and year_col < len(rows[3]) else None
        if year is None:
            raise SourceError(path, f"table {table}: no year above the columns", row=4, field=f"column {year_col + 1}", expected="a year such as 2021")
        if at(5, qty_col) != "Gross weight" or at(6, qty_col) != "(kilograms)" or at(6, value_col) != "Value":
            raise SourceError(path, f"table {table}: unexpected column heads", row=6, found=[at(5, qty_col), at(6, qty_col), at(6, value_col)],
                              expected="'Gross weight', '(kilograms)' and 'Value' for each year")
        years.append(year)
    if not at(6, LABEL).startswith("Category"):
        raise SourceError(path, f"table {table}: unexpected column heads", row=6, field="A", found=at(6, LABEL), expected="'Category and country or locality'")
    return years


def _marker(cell: object, path: Path, table: str, row: int) -> dict[str, bool]:
    mark = cell_text(cell)
    if not mark:
        return {}
    if mark not in MARKERS:
        raise SourceError(path, f"table {table}: unknown footnote marker", row=row, found=mark, expected="'r' (revised) or 'e' (estimated)")
    return {MARKERS[mark]: True}


def read_table(rows: list[list[object]], table: str, path: Path, data_dir: Path, skipped: Counter) -> list[dict[str, object]]:
    """Rows of ``myb_trade`` from one yearbook table (sheet cells from A1)."""
    if len(rows) < FIRST_DATA_ROW:
        raise SourceError(path, f"table {table} has {len(rows)} rows", field=table, expected="a title, column heads in rows 4-6 and data from row 7")
    flow = _flow(cell_text(rows[1][0]), path, table)
    years = _check_layout(rows, table, path)
    skipped["myb: title and column-head rows"] += FIRST_DATA_ROW - 1
    source_file = relative_to_data(path, data_dir)

    out: list[dict[str, object]] = []
    codes: list[str] = []
    description = ""
    label_open = False  # the category label continues on the next row
    after_subtotal = False  # the next REO row belongs to a subtotal
    in_footnotes = False
    for i, r in enumerate(rows[FIRST_DATA_ROW - 1:], start=FIRST_DATA_ROW):
        label = cell_text(r[LABEL] if r else None)
        code = cell_text(r[CODE] if len(r) > CODE else None)
        figures = [r[c] if c < len(r) else None for block in YEAR_BLOCKS for c in block[1:]]
        has_figures = any(f is not None for f in figures)
        if not label and not code and not has_figures:
            skipped["myb: blank row"] += 1
            continue
        if in_footnotes or (_FOOTNOTE_RE.match(label) and not has_figures):
            if has_figures:
                raise SourceError(path, f"table {table}: figures in the footnotes", row=i, expected="footnote lines only at the end")
            in_footnotes = True
            skipped["myb: footnote line"] += 1
            continue

        if not has_figures:  # a heading, a code row, or a continuation
            if code:
                if not _CODE_RE.match(code):
                    raise SourceError(path, f"table {table}: not a code", row=i, field="C", found=code, expected="a ten-digit code such as 2846.10.0010")
                if label:  # a new category
                    codes = [code.rstrip(",")]
                    description = label.rstrip(":").strip()
                    label_open = not label.endswith(":")
                else:  # more codes of the same category
                    if not codes:
                        raise SourceError(path, f"table {table}: code without a category", row=i, field="C", found=code)
                    codes.append(code.rstrip(","))
                skipped["myb: category row"] += 1
            elif label_open and codes:
                description = f"{description} {label.rstrip(':').strip()}"
                label_open = not label.endswith(":")
                skipped["myb: category row"] += 1
            else:  # a heading over several categories
                codes, description, label_open = [], "", False
                skipped["myb: heading row"] += 1
            continue

        label_open = False
        partner_label = label
        if code:  # a category with a single country on its own row
            if not _CODE_RE.match(code) or "," not in label:
                raise SourceError(path, f"table {table}: figures on a code row without a country", row=i, field="A", found=label,
                                  expected="'<category>, <country>' when a code row carries figures")
            category, partner_label = label.rsplit(",", 1)
            codes, description = [code.rstrip(",")], category.strip()
            partner_label = partner_label.strip()

        if _REO_RE.match(partner_label):
            if after_subtotal:
                after_subtotal = False
                skipped["myb: REO row of a subtotal over several codes"] += 1
                continue
            kind, measures = "reo", (("reo_content", "kilograms, rare-earth-oxide equivalent"),)
        elif partner_label.startswith("Total,") or partner_label.startswith("Grand total"):
            after_subtotal = True
            skipped["myb: subtotal over several codes"] += 1
            continue
        else:
            kind = "partner"
            measures = (("gross_weight", "kilograms"), ("value", "US dollars"))
        after_subtotal = False
        if not codes:
            raise SourceError(path, f"table {table}: figures outside a category", row=i, field="A", found=label, expected="a category with a code above")

        if kind == "reo" or partner_label == "Total":
            partner_iso3, partner_name, partner_kind = None, "World", WORLD
        else:
            ref = resolve_country(partner_label, file=path, row=i, field="Category and country or locality")
            partner_iso3, partner_name, partner_kind = ref.iso3, ref.name, ref.kind
            if partner_kind == WORLD:
                raise SourceError(path, f"table {table}: a world row that is not 'Total'", row=i, found=partner_label)
        common = {
            "commodity_id": COMMODITY_ID, "flow": flow, "table": table, "hts": ", ".join(codes), "description": description,
            "partner_iso3": partner_iso3, "partner_name": partner_name, "partner_kind": partner_kind,
            "source_id": SOURCE_ID, "source_file": source_file, "source_row": i,
        }
        for year, (_, qty_col, value_col) in zip(years, YEAR_BLOCKS):
            for (measure, unit), col in zip(measures, (qty_col, value_col)):
                cell = r[col] if col < len(r) else None
                values = cell_values(cell, **_marker(r[col + 1] if col + 1 < len(r) else None, path, table, i))
                if values["qualifier"] == Qualifier.TEXT:
                    raise SourceError(path, f"table {table}: not a figure", row=i, field=f"column {col + 1}", found=cell, expected="a number, '--' or 'XX'")
                out.append({**common, "year": year, "measure": measure, "unit": unit, **values})
            if kind == "reo":
                cell = r[value_col] if value_col < len(r) else None
                if cell_text(cell) != "XX":
                    raise SourceError(path, f"table {table}: REO row with a value", row=i, field=f"column {value_col + 1}", found=cell, expected="'XX' (not applicable)")
                skipped["myb: not-applicable (XX) value cell of an REO row"] += 1
    if not out:
        raise SourceError(path, f"table {table}: no figures", row=FIRST_DATA_ROW, expected="country rows with figures")
    if not in_footnotes:
        raise SourceError(path, f"table {table}: no footnotes after the data", row=len(rows), expected="the footnote lines at the end (is the sheet truncated?)")
    return out

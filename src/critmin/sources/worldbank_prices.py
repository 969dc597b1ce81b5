"""World Bank Commodity Price Data ("Pink Sheet"), monthly -> table ``prices``.

File (SOURCES.md §3c): ``worldbank_pinksheet/CMO-Historical-Data-Monthly_2025-12-02.xlsx``,
monthly prices in nominal US dollars from 1960M01 to 2025M11, updated 2025-12-02.

Layout of sheet ``Monthly Prices``: rows 1-4 are a title block; row 5 holds the series
names (``Aluminum``, ``Potassium chloride **``), row 6 the units in parentheses
(``($/mt)``, ``($/troy oz)``, ``($/dmtu)``), row 7 the series codes (``ALUMINUM``,
``Tin``, ``Zinc``: the codes are not all upper case); data start in row 8, one row per
month labelled ``1960M01``. The other sheets (indices, descriptions, weights) are not read.

Only the mineral and metal series are read, each mapped by its explicit series code in
:data:`MINERAL_SERIES`. Every other column is listed in :data:`LEFT_OUT_SERIES` with the
reason it is left out (energy, agriculture, timber, and the fertilisers DAP, TSP and urea,
which are manufactured products rather than minerals; the mined fertiliser minerals,
phosphate rock and potassium chloride, are read). A code in neither list fails, so a
new column in a later edition is seen. Left-out columns are counted in ``skipped``.

Values: numbers are ``exact``; the ellipsis ``…`` (and ``...`` in a few columns) means not
available and becomes a ``not_available`` row (the cell exists in the file). ``series_id``
is ``pinksheet:<CODE>``; ``frequency`` ``monthly``; ``basis`` ``nominal``; ``unit`` the unit
row without its parentheses. A month label that is not ``YYYYMmm``, a missing mineral
column, or a sheet with no data fails with the row.

Citation: World Bank, Commodity Price Data (The Pink Sheet), monthly historical data,
updated 2025-12-02. Licence CC BY 4.0.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame, relative_to_data
from critmin.sources.expectations import Expectation, Shape, Values, expects
from critmin.sources.xlsx_sheets import Workbook, cell_text, cell_values
from critmin.values import Qualifier

SOURCE_ID = "worldbank-pinksheet"
FOLDER = "worldbank_pinksheet"
FILE = "CMO-Historical-Data-Monthly_2025-12-02.xlsx"
SHEET = "Monthly Prices"
NAME_ROW, UNIT_ROW, CODE_ROW, FIRST_DATA_ROW = 5, 6, 7, 8

#: Pink Sheet series code -> critmin commodity id (the mineral and metal series).
MINERAL_SERIES: dict[str, str] = {
    "ALUMINUM": "aluminum",
    "IRON_ORE": "iron-ore",
    "COPPER": "copper",
    "LEAD": "lead",
    "Tin": "tin",
    "NICKEL": "nickel",
    "Zinc": "zinc",
    "GOLD": "gold",
    "PLATINUM": "platinum",
    "SILVER": "silver",
    "PHOSROCK": "phosphate",
    "POTASH": "potash",
}

_ENERGY = "energy (not a critmin commodity; the coal series are thermal coal, not metallurgical coal)"
_FERTILISER = "manufactured fertiliser, not a mineral (phosphate rock and potassium chloride are read)"
_AGRICULTURE = "agricultural or food commodity"
_TIMBER = "timber product"
#: Series code -> why the column is not read.
LEFT_OUT_SERIES: dict[str, str] = {
    **{c: _ENERGY for c in (
        "CRUDE_PETRO", "CRUDE_BRENT", "CRUDE_DUBAI", "CRUDE_WTI", "COAL_AUS", "COAL_SAFRICA",
        "NGAS_US", "NGAS_EUR", "NGAS_JP", "iNATGAS",
    )},
    **{c: _FERTILISER for c in ("DAP", "TSP", "UREA_EE_BULK")},
    **{c: _TIMBER for c in ("LOGS_CMR", "LOGS_MYS", "SAWNWD_CMR", "SAWNWD_MYS", "PLYWOOD")},
    **{c: _AGRICULTURE for c in (
        "COCOA", "COFFEE_ARABIC", "COFFEE_ROBUS", "TEA_AVG", "TEA_COLOMBO", "TEA_KOLKATA", "TEA_MOMBASA",
        "COCONUT_OIL", "GRNUT", "FISH_MEAL", "GRNUT_OIL", "PALM_OIL", "PLMKRNL_OIL", "SOYBEANS",
        "SOYBEAN_OIL", "SOYBEAN_MEAL", "RAPESEED_OIL", "SUNFLOWER_OIL", "BARLEY", "MAIZE", "SORGHUM",
        "RICE_05", "RICE_25", "RICE_A1", "RICE_05_VNM", "WHEAT_US_SRW", "WHEAT_US_HRW", "BANANA_EU",
        "BANANA_US", "ORANGE", "BEEF", "CHICKEN", "LAMB", "SHRIMP_MEX", "SUGAR_EU", "SUGAR_US",
        "SUGAR_WLD", "TOBAC_US", "COTTON_A_INDX", "RUBBER_TSR20", "RUBBER1_MYSG",
    )},
}

_MONTH_RE = re.compile(r"^(\d{4})M(\d{2})$")

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="World Bank Commodity Price Data (The Pink Sheet), monthly prices 1960-2025",
    publisher="World Bank (Commodity Markets)",
    citation=(
        "World Bank, Commodity Price Data (The Pink Sheet): CMO Historical Data Monthly, "
        "updated December 02, 2025. https://www.worldbank.org/en/research/commodity-markets"
    ),
    licence="CC BY 4.0",
    vintage=2025,
    url="https://www.worldbank.org/en/research/commodity-markets",
    published="2025-12-02",
    notes=(
        "Only the 12 mineral and metal series are read (aluminum, iron ore, copper, lead, tin, nickel, "
        "zinc, gold, platinum, silver, phosphate rock, potassium chloride); energy, agricultural, timber "
        "and manufactured-fertiliser (DAP, TSP, urea) series are left out. Nominal US dollars."
    ),
)


#: 1960M01-2025M11 (791 months), 12 mineral series; prices are never negative.
EXPECTED = Expectation(
    files=(f"{FOLDER}/{FILE}",),
    shapes=(
        Shape(
            f"{FOLDER}/{FILE}", rows=791, distinct={"commodity_id": 12}, last={"year": 2025},
            doc="monthly 1960M01-2025M11, updated 2025-12-02 (SOURCES.md §3c)",
        ),
    ),
    tables={"prices": Values(field="{series_id} {year}-{month}")},
)


@expects(EXPECTED)
def read_pinksheet(data_dir: Path) -> ReadResult:
    """Read the mineral and metal series of the Pink Sheet into the ``prices`` table.

    Parameters
    ----------
    data_dir
        The raw-data folder (``../shared/data``) holding ``worldbank_pinksheet/``.

    Returns
    -------
    ReadResult
        One ``prices`` fragment (monthly, nominal); ``skipped`` counts the columns left out
        by reason and the title rows.
    """
    data_dir = Path(data_dir)
    path = data_dir / FOLDER / FILE
    skipped: Counter = Counter()
    with Workbook(path) as book:
        rows = book.rows(SHEET)
    out = read_monthly_prices(rows, path, data_dir, skipped)
    return ReadResult(INFO, [path], {"prices": frame("prices", out)}, skipped)


def read_monthly_prices(rows: list[list[object]], path: Path, data_dir: Path, skipped: Counter) -> list[dict[str, object]]:
    """Rows of ``prices`` from the cells of sheet ``Monthly Prices``."""
    if len(rows) < FIRST_DATA_ROW:
        raise SourceError(path, f"sheet {SHEET!r} has {len(rows)} rows", field=SHEET, expected=f"names, units and codes in rows {NAME_ROW}-{CODE_ROW} and data from row {FIRST_DATA_ROW}")
    names, units, codes = rows[NAME_ROW - 1], rows[UNIT_ROW - 1], rows[CODE_ROW - 1]
    columns: list[tuple[int, str, str, str, str]] = []  # (index, code, commodity, label, unit)
    seen_codes: set[str] = set()
    for j in range(1, len(codes)):
        code = cell_text(codes[j])
        if not code:
            if cell_text(names[j] if j < len(names) else None):
                raise SourceError(path, f"sheet {SHEET!r}: a series without a code", row=CODE_ROW, field=cell_text(names[j]), expected="a series code in row 7")
            continue
        if code in seen_codes:
            raise SourceError(path, f"sheet {SHEET!r}: series code twice", row=CODE_ROW, field=code)
        seen_codes.add(code)
        if code in LEFT_OUT_SERIES:
            skipped[f"pinksheet: column left out, {LEFT_OUT_SERIES[code]}"] += 1
            continue
        commodity = MINERAL_SERIES.get(code)
        if commodity is None:
            raise SourceError(path, f"sheet {SHEET!r}: unknown series code", row=CODE_ROW, field=code, expected="a code listed in MINERAL_SERIES or LEFT_OUT_SERIES")
        label = cell_text(names[j] if j < len(names) else None)
        unit = cell_text(units[j] if j < len(units) else None)
        if not (unit.startswith("(") and unit.endswith(")")):
            raise SourceError(path, f"sheet {SHEET!r}: unit not in parentheses", row=UNIT_ROW, field=code, found=unit, expected="a unit such as '($/mt)'")
        columns.append((j, code, commodity, label, unit[1:-1]))
    missing = sorted(set(MINERAL_SERIES) - seen_codes)
    if missing:
        raise SourceError(path, f"sheet {SHEET!r}: mineral series missing", row=CODE_ROW, field=missing[0], expected=f"the series codes {sorted(MINERAL_SERIES)}")
    skipped["pinksheet: title, names, units and codes rows"] += CODE_ROW

    source_file = relative_to_data(path, data_dir)
    out: list[dict[str, object]] = []
    months = 0
    for i, r in enumerate(rows[FIRST_DATA_ROW - 1:], start=FIRST_DATA_ROW):
        label = cell_text(r[0] if r else None)
        if not label and not any(c is not None for c in r):
            skipped["pinksheet: blank row"] += 1
            continue
        m = _MONTH_RE.match(label)
        if m is None or not 1 <= int(m.group(2)) <= 12:
            raise SourceError(path, f"sheet {SHEET!r}: not a month label", row=i, field="A", found=label, expected="a label such as '1960M01'")
        year, month = int(m.group(1)), int(m.group(2))
        months += 1
        for j, code, commodity, series_label, unit in columns:
            values = cell_values(r[j] if j < len(r) else None)
            if values["qualifier"] not in (Qualifier.EXACT, Qualifier.NOT_AVAILABLE, Qualifier.MISSING):
                raise SourceError(path, f"sheet {SHEET!r}: not a price", row=i, field=code, found=r[j], expected="a number or '…'")
            out.append(
                {
                    "commodity_id": commodity,
                    "series_id": f"pinksheet:{code}",
                    "series_label": series_label,
                    "unit": unit,
                    "frequency": "monthly",
                    "year": year,
                    "month": month,
                    **values,
                    "basis": "nominal",
                    "source_id": SOURCE_ID,
                    "source_file": source_file,
                    "source_row": i,
                }
            )
    if months == 0:
        raise SourceError(path, f"sheet {SHEET!r}: no monthly data", row=FIRST_DATA_ROW, expected="rows labelled '1960M01' ...")
    return out

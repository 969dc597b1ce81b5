"""USGS Mineral Commodity Summaries 2023-2025 U.S. salient statistics -> table ``salient``.

Layout (``../shared/data/SOURCES.md`` §1a-1c)
--------------------------------------------
``usgs_mcs<year>/salient/mcs<year>-<code>_salient.csv``: one file per commodity (85 per
release), one row per year (five years, 2018-2022 in MCS2023 ... 2020-2024 in MCS2025),
header ``DataSource,Commodity,Year`` and then one column per statistic, named
``<Statistic>[_<form words>]_<unit>``: ``USprod_Mine_t``, ``Imports_Compounds_t``,
``Price_Nd2O3_dkg``, ``NIR_Compounds-Metals_t``. The commodity comes from the file code
(``raree``, ``rareee``, ``alum``, ``lithium``, ``tellu`` in ``mcs2023tellu_salient.csv``,
upper-case ``MCS2024-bismu``); the ``Commodity`` cell must name the same commodity.
MCS2023 quartz crystal and dimension stone are ``.xlsx`` workbooks: the sheet whose first
row is ``DataSource,Commodity,Year`` is read (dimension stone: ``SalientCSV``; its other
sheets are USGS working sheets and its world table is the world file).

Every cell of every column becomes one row. ``statistic`` comes from the column prefix:
``USprod``/``Usprod``/``Prod``/``Production`` (and the bauxite ``Bauxite_Mine``,
``Alumina_Refinery``) -> production; ``Imports`` -> imports; ``Exports`` -> exports;
``Consump``/``Consumption`` -> consumption; ``Price`` -> price; ``Stocks`` -> stocks;
``Employment`` -> employment; ``NIR`` -> nir; anything else (``Shipments_Gov``,
``Sales_Marketable``, ``Extracted``, ``Furnace_BOF``, ``Supply``) -> other, except where
:data:`ERRATA` follows the metadata (``Sold_Used_kt``, ``Sales_Sales_kt``,
``Sold_Processed_kt``, ``Granite_Sold_kt`` are U.S. production "sold or used by
producers"; ``Alumina_Apparent_kt`` is apparent consumption). ``detail`` is the column
name as published, ``form`` the words between prefix and unit
(``NIR_Compounds-Metals_t`` -> "compounds-metals", ``Bort_Price_Imports_dct`` -> "bort,
imports") after the file code's own form (``timin`` -> "mineral concentrates").
The unit is the suffix, in words: ``t`` metric tons, ``kt`` thousand metric tons, ``mmt``
million metric tons, ``kg``, ``g``, ``mct`` million carats, ``mcm`` million cubic meters,
``dt`` dollars per metric ton, ``dkg`` dollars per kilogram, ``ctslb`` cents per pound,
``dst`` dollars per short ton, ``dlb`` dollars per pound, ``dto``/``dtoz`` dollars per
troy ounce, ``dg`` dollars per gram, ``dct`` dollars per carat, ``mdol`` million dollars,
``msqft`` million square feet, ``pct`` percent, ``num`` number, ``Index`` index. A unit
glued to the last word (``USprod_Minet``, ``Price_High-puritydkg``, ``NIR_Refinedpct``)
is split off.

Estimates
---------
The last year of each release is estimated: every release's ``_meta.xml`` says "Where
possible, data for all years except <release year - 1> have been finalized for
publication in the U.S. Geological Survey Minerals Yearbook ...; otherwise the data are
noted as estimated" (``<attraccr>``, e.g. ``mcs2025-rareee_meta.xml``). So ``estimated``
is true, and a plain number's qualifier ``estimated``, for ``Year == release - 1``, and for
any value marked ``e150``. Column definitions that call earlier years estimated too
("Data are estimated for all years") are not read from the XML.

Values keep their qualifiers (:func:`critmin.values.parse_value`): ``W``, ``NA``, ``E``
(net exporter), ``>95``, ``<1,000``, ``<100,000``, ``50–300``, ``500–17,000``, ``−16``
(Unicode minus), ``Less than ½ unit.``, ``Less than 50,000 tons``, ``Small``; words
(``Variable, depending on type of product``) are ``text``. A blank cell in an existing
row becomes a ``missing`` row (the table is wide: the row and the column exist).

Units and names the publisher got wrong
---------------------------------------
* ``NIR_*`` is a percentage of apparent consumption by definition (every metadata file):
  its unit is "percent" whatever the suffix (``NIR_ct``, ``NIR_Compounds-Metals_t``);
  ``Employment_*`` is a number of employees (``Employment_um``, ``Employment_Dioxide_t``,
  ``Employment_mmt``): unit "number". ``notes`` says so when the suffix differs.
* A price column whose suffix is a quantity unit gets its unit from :data:`ERRATA` (taken
  from the file's metadata, e.g. ``Bauxite_Price_kt`` -> dollars per metric ton) or, if
  none is listed, no unit, with a note.
* :data:`ERRATA` also gives the meaning of columns the export tool garbled
  (``CASE STATEMENT ERRORSold_Used_kt``, ``CASE STATEMENT ERRORt`` twice) and of the
  MCS2024 iron-and-steel columns whose suffix is ``_mmt`` for percentages, an index and
  employment, using the release's ``_meta.xml``. ``detail`` always stays the published name.
* MCS2024 feldspar: a spacer cell under ``Consump_Feldspar_kt`` pushes the rest of every
  row one column to the right, so the last figure stands under an unnamed column; the
  cells are read one column to the left (see :func:`_unshift`), which gives MCS2023's
  figures for 2019 (later years carry revisions), and ``notes`` says so. Any other text
  under an unnamed column is an error.
* MCS2024 fluorspar: the header names 13 columns for 14 figures and a spacer, shifted
  against them; :data:`HEADER_ERRATA` replaces them by the names of
  ``mcs2024-fluor_meta.xml`` (``detail`` then holds those), and the spacer is undone as
  for feldspar. The figures then equal MCS2023's for 2019-2021, all 14 columns.
* Duplicated column names (MCS2024 nickel ``Price_dt dlb (both used)``, iodine
  ``Consump_t``, mica ``USprod_Flake_t``, iron and steel ``Consump_mmt``, iron oxide
  pigments) get ``(column N)`` appended to ``detail``, N counted from 1.

Files that are not salient statistics
-------------------------------------
In the MCS2024 folder, ``mcs2024-cobal_salient.csv``, ``mcs2024-gypsu_salient.csv`` and
``mcs2024-kyani_salient.csv`` have the world-table layout (``Source,Country,Type,...``).
Gypsum and kyanite are byte-for-byte copies of the world files; cobalt is an earlier
draft of the world file with wrong year labels (``Prod_t_est_2021`` for figures that are
2022 in the world file) and a garbled Australian reserve (101,600,000). They are not read
into any table (the world reader reads the proper world files); their rows are counted in
``skipped`` and the MCS2024 salient statistics of these three commodities are missing.

Malformed input (a missing ``DataSource``/``Commodity``/``Year`` column, a year outside
the release, text in an unnamed column, a truncated file, bytes that are not UTF-8, an
unknown commodity code or a ``Commodity`` cell naming another commodity) raises
:class:`~critmin.errors.SourceError` naming file, row and field.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, frame, relative_to_data, require_file
from critmin.sources.expectations import Anomaly, Expectation, Values, Where, expects
from critmin.sources.usgs_mcs_common import (
    MCS_PRICE_WORDS,
    MCS_SALIENT_SIGNED,
    NIR_BOUNDS,
    commodity_for_code,
    is_release_label,
    list_mcs_files,
    parse_file_name,
    read_mcs_csv,
    release,
    release_inventory,
    source_info,
)
from critmin.values import Qualifier, parse_value, parsed_columns
from critmin.vocab.commodities import CommodityRef, resolve_commodity

PRODUCTION, IMPORTS, EXPORTS, CONSUMPTION = "production", "imports", "exports", "consumption"
PRICE, STOCKS, EMPLOYMENT, NIR, OTHER = "price", "stocks", "employment", "nir", "other"

#: Unit codes at the end of salient column names.
SALIENT_UNITS: dict[str, str] = {
    "t": "metric tons",
    "kt": "thousand metric tons",
    "mmt": "million metric tons",
    "kg": "kilograms",
    "g": "grams",
    "mct": "million carats",
    "mcm": "million cubic meters",
    "dt": "dollars per metric ton",
    "dkg": "dollars per kilogram",
    "ctslb": "cents per pound",
    "dst": "dollars per short ton",
    "dlb": "dollars per pound",
    "dto": "dollars per troy ounce",
    "dtoz": "dollars per troy ounce",
    "dg": "dollars per gram",
    "dct": "dollars per carat",
    "df": "dollars per flask",
    "mdol": "million dollars",
    "msqft": "million square feet",
    "pct": "percent",
    "num": "number",
    "index": "index",
}
_PRICE_UNITS = {"dt", "dkg", "ctslb", "dst", "dlb", "dto", "dtoz", "dg", "dct", "df", "mdol", "index"}

_KEYWORDS = {
    "USprod": PRODUCTION, "Usprod": PRODUCTION, "Production": PRODUCTION, "Prod": PRODUCTION,
    "Mine": PRODUCTION, "Refinery": PRODUCTION,
    "Imports": IMPORTS, "Exports": EXPORTS,
    "Consumption": CONSUMPTION, "Consumtion": CONSUMPTION, "Consump": CONSUMPTION,
    "Price": PRICE, "Stocks": STOCKS, "Employment": EMPLOYMENT, "NIR": NIR,
}
# a keyword is a whole token or follows a capitalised group word ("HPQExports", "CrystalPrice");
# it must end the token or be followed by a capital, a comma or a dash ("Products" is not "Prod")
_KEYWORD_RE = re.compile(
    r"^(?P<pre>(?:[A-Z][A-Za-z]*?)?)(?P<kw>" + "|".join(sorted(_KEYWORDS, key=len, reverse=True)) + r")(?=$|[A-Z,\s-])"
)
_GARBLED_PREFIX = "CASE STATEMENT ERROR"

SKIP_BLANK = "blank line"
SKIP_WORLD_LAYOUT = "row of a world-layout file in the salient folder (MCS2024 cobalt, gypsum, kyanite; see module docstring)"


@dataclass(frozen=True)
class Erratum:
    """What the release's metadata says a misnamed column is."""

    statistic: str | None = None
    unit: str | None = None
    note: str = ""
    form: str | None = None


#: Column fixes from the releases' ``_meta.xml`` files. Key: (release, file code, column
#: name as published, occurrence of that name counted from 1).
ERRATA: dict[tuple[int, str, str, int], Erratum] = {
    (2023, "phosp", "CASE STATEMENT ERRORSold_Used_kt", 1): Erratum(PRODUCTION, None, "metadata: USprod_Sold_Used_kt, sold or used by producers"),
    (2023, "niobi", "Price_kg", 1): Erratum(None, "dollars per kilogram", "metadata: Price_dkg, ferroniobium unit value, dollars per kilogram"),
    (2024, "alum", "CASE STATEMENT ERRORkt", 1): Erratum(OTHER, None, "metadata (mcs2024-alumi_meta.xml): Supply_kt, apparent supply"),
    (2024, "chrom", "CASE STATEMENT ERROROre_dt", 1): Erratum(PRICE, None, "metadata: Price_Ore_dt, unit value of chromite ore imports"),
    (2024, "chrom", "CASE STATEMENT ERRORFerrrochromium_dlb", 1): Erratum(PRICE, None, "metadata: Price_Ferrrochromium, unit value of ferrochromium imports"),
    (2024, "chrom", "CASE STATEMENT ERRORMetal_dlb", 1): Erratum(PRICE, None, "metadata: Price_Metal, unit value of chromium metal imports"),
    (2024, "fepig", "CASE STATEMENT ERRORt", 1): Erratum(PRODUCTION, None, "metadata: USprodCrude_t, mine production, crude"),
    (2024, "fepig", "CASE STATEMENT ERRORt", 2): Erratum(OTHER, None, "metadata: SoldFinished_t, sold or used, finished natural and synthetic pigments"),
    (2024, "nicke", "Price_dt dlb (both used)", 1): Erratum(PRICE, "dollars per metric ton", "metadata: Price_LME_dt, LME cash, dollars per metric ton", "lme"),
    (2024, "nicke", "Price_dt dlb (both used)", 2): Erratum(PRICE, "dollars per pound", "metadata: Price_LME_dlb, LME cash, dollars per pound", "lme"),
    (2024, "feste", "Furnace_BOF_mmt", 1): Erratum(OTHER, "percent", "metadata: Furnace_BOF_pct, share of raw steel from basic oxygen furnaces"),
    (2024, "feste", "Furnace_EAF_mmt", 1): Erratum(OTHER, "percent", "metadata: Furnace_EAF_pct, share of raw steel from electric arc furnaces"),
    (2024, "feste", "Consump_mmt", 1): Erratum(OTHER, "percent", "metadata: Continuous_cast_pct, continuously cast steel, percent (the apparent consumption is the second Consump_mmt)"),
    (2024, "feste", "Price_Index_mmt", 1): Erratum(PRICE, "index", "metadata: Price_Index, producer price index for steel mill products (1982=100)"),
    (2024, "bauxi", "Bauxite_Price_kt", 1): Erratum(None, "dollars per metric ton", "metadata: Bauxite_Price_dt"),
    (2024, "bauxi", "Alumina_Price_kt", 1): Erratum(None, "dollars per metric ton", "metadata: Alumina_Price_dt"),
    (2025, "bauxi", "Alumina_Price_kt", 1): Erratum(None, "dollars per metric ton", "metadata: Alumina_Price_dt"),
    (2024, "diamo", "Bort_Price_Imports_mct", 1): Erratum(None, "dollars per carat", "metadata: Bort_Price_Imports_dct"),
    (2024, "diamo", "Stones_Price_Imports_mct", 1): Erratum(None, "dollars per carat", "metadata: Stones_Price_Imports_dct"),
    (2025, "diamo", "Bort_Price_Imports_mct", 1): Erratum(None, "dollars per carat", "metadata: Bort_Price_Imports_dct"),
    (2025, "diamo", "Stones_Price_Imports_mct", 1): Erratum(None, "dollars per carat", "metadata: Stones_Price_Imports_dct"),
    (2024, "mercu", "Price_Imports_df", 1): Erratum(None, "dollars per kilogram", "metadata: Price_Imports_dkg, average unit value of imports, dollars per kilogram"),
    (2025, "mercu", "Price_Imports_df", 1): Erratum(None, "dollars per kilogram", "metadata: Price_Imports_dkg, average unit value of imports, dollars per kilogram"),
    (2025, "heliu", "Grade-A-Salescm", 1): Erratum(OTHER, "million cubic meters", "metadata: Grade-A-Salesmcm, million cubic meters", "grade-a-sales"),
    (2023, "feste", "Exports_Total", 1): Erratum(None, "million metric tons", "metadata: Exports_Total, finished and semifinished steel mill products, million metric tons"),
    # columns the metadata files as U.S. production ("sold or used by producers")
    (2023, "talc", "Sold_Sold_kt", 1): Erratum(PRODUCTION, None, "metadata: USprod_Sold_kt, sold by producers"),
    (2023, "peat", "Sales_Sales_kt", 1): Erratum(PRODUCTION, None, "metadata: USprod_Sales_kt, sales by producers"),
    (2024, "peat", "Sales_Sales_kt", 1): Erratum(PRODUCTION, None, "metadata: USprod_Sales_kt, sales by producers"),
    (2024, "phosp", "Sold_Usedkt", 1): Erratum(PRODUCTION, None, "metadata: USprod_Sold_Used_kt, sold or used by producers"),
    (2025, "phosp", "Sold_Used_kt", 1): Erratum(PRODUCTION, None, "metadata: USprod_Sold_Used_kt, sold or used by producers"),
    (2024, "sandi", "Sold_kt", 1): Erratum(PRODUCTION, None, "metadata: USprod_kt, U.S. production: sold or used"),
    (2025, "sandi", "Sold_kt", 1): Erratum(PRODUCTION, None, "metadata: USprod_kt, U.S. production: sold or used"),
    (2023, "perli", "Sold_Processed_kt", 1): Erratum(PRODUCTION, None, "metadata: U.S. production is processed ore sold or used by producers (MCS2025: Prod_Processed_kt)"),
    (2024, "perli", "Sold_Processed_kt", 1): Erratum(PRODUCTION, None, "metadata: U.S. production is processed ore sold or used by producers (MCS2025: Prod_Processed_kt)"),
    (2023, "stond", "Granite_Quantity_kt", 1): Erratum(PRODUCTION, None, "metadata: granite only, sold or used by producers: quantity"),
    (2024, "stond", "Granite_Quantity_kt", 1): Erratum(PRODUCTION, None, "metadata: granite only, sold or used by producers: quantity"),
    (2025, "stond", "Granite_Sold_kt", 1): Erratum(PRODUCTION, None, "metadata: granite only, sold or used by producers: quantity"),
    (2025, "stond", "Granite_Sold_mdol", 1): Erratum(PRODUCTION, None, "metadata: granite only, sold or used by producers: value"),
    **{
        (vintage, "bauxi", "Alumina_Apparent_kt", 1): Erratum(CONSUMPTION, None, "metadata: Alumina: Consumption, apparent", "alumina, apparent")
        for vintage in (2023, 2024, 2025)
    },
    # MCS2025 titanium mineral concentrates: four columns all named Price_dt
    **{
        (2025, "timin", "Price_dt", k): Erratum(None, None, f"metadata: {meta}", form)
        for k, meta, form in (
            (1, "Price_Rutile_dt", "rutile"),
            (2, "Price_Ilmente_Leucoxene_dt", "ilmenite and leucoxene"),
            (3, "Price_Ilmenite_dt", "ilmenite"),
            (4, "Price_Slag_dt", "slag"),
        )
    },
    **{
        (vintage, "zirco", name, 1): Erratum(None, unit, f"metadata: {meta}")
        for vintage in (2024, 2025)
        for name, unit, meta in (
            ("Price_Zircon_premium_CIF_CN_t", "dollars per metric ton", "Price_Zircon_premium_CIF_CN_dt, dollars per metric ton (gross weight)"),
            ("Price_Zircon_imported_t", "dollars per metric ton", "Price_dt_Zircon_import, dollars per metric ton (gross weight)"),
            ("Price_Zircon_sponge_CN_t", "dollars per kilogram", "Price_Zircon_sponge_CN_dkg, dollars per kilogram"),
            ("Price_Hf_unwrought_t", "dollars per kilogram", "Price_dt_Hf_unwrought, dollars per kilogram"),
        )
    },
}


#: Files whose CSV header does not fit their data, with the column names of the release's
#: ``_meta.xml`` that do. Key: (release, file code); value: (the published header from
#: column 4 on, the metadata names). Applied only while the file has exactly that header.
HEADER_ERRATA: dict[tuple[int, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    # 13 names for 14 figures plus a spacer cell; the names are shifted ("Exports_Cryolite_kt"
    # where the metadata and MCS2023 have Imports_Cryolite_kt). The figures after the
    # spacer equal MCS2023's for 2019-2021 in the metadata's order.
    (2024, "fluor"): (
        (
            "USprod_Metallurgical_kt", "USprod_H2SiF6_kt", "Imports_Acid_kt", "Imports_Metallurgical_kt",
            "Imports_Total_Fl_kt", "Imports_HF_kt", "Imports_AlF3_kt", "Exports_Cryolite_kt", "Consump_All_kt",
            "Price_dt", "Price_Acid_dt", "Employment_Metallurgical_num", "NIR_Mine_pct",
        ),
        (
            "USprod_Metallurgical_kt", "USprod_H2SiF6_kt", "Imports_Acid_kt", "Imports_Metallurgical_kt",
            "Imports_Total_Fl_kt", "Imports_HF_kt", "Imports_AlF3_kt", "Imports_Cryolite_kt", "Exports_All_kt",
            "Consump_kt", "Price_Acid_dt", "Price_Metallurgical_dt", "Employment_Mine_num", "NIR_pct",
        ),
    ),
}


@dataclass(frozen=True)
class SalientColumn:
    index: int
    name: str
    detail: str
    statistic: str
    form: str
    unit: str | None
    notes: str


def split_unit(token: str, statistic: str = OTHER) -> tuple[str, str | None]:
    """The unit code at the end of the last word of a column name, and what precedes it.

    ``'kt'`` -> ('', 'kt'); ``'Minet'`` -> ('Mine', 't'); ``'WO3dt'`` -> ('WO3', 'dt');
    ``'Total'`` -> ('Total', None). When the split is ambiguous (``'Reportedt'``: 'Reported'
    + t or 'Reporte' + dt) the unit that fits the statistic wins: a price unit for a price,
    any other for the rest.
    """
    if token in SALIENT_UNITS:
        return "", token
    if token.lower() == "index":
        return "", "index"
    candidates = []
    for code in sorted(SALIENT_UNITS, key=len, reverse=True):
        if code != "index" and token.endswith(code):
            rest = token[: -len(code)]
            if len(rest) >= 3 and rest[-1].isalnum():
                candidates.append((rest, code))
    if not candidates:
        return token, None
    fitting = [c for c in candidates if (c[1] in _PRICE_UNITS) == (statistic == PRICE)]
    return (fitting or candidates)[0]


def _statistic_of(tokens: list[str]) -> tuple[str, int, re.Match | None]:
    for i, tok in enumerate(tokens):
        if m := _KEYWORD_RE.match(tok):
            return _KEYWORDS[m["kw"]], i, m
    return OTHER, -1, None


def parse_salient_column(name: str, index: int, occurrence: int, duplicated: bool, vintage: int, code: str) -> SalientColumn:
    """Statistic, form and unit of one salient column name (see the module docstring)."""
    notes: list[str] = []
    text = name
    if text.startswith(_GARBLED_PREFIX):
        text = text[len(_GARBLED_PREFIX):]
        notes.append(f"critmin: column name garbled by the publisher's export ('{_GARBLED_PREFIX}')")
    tokens = text.split("_")
    statistic, _, _ = _statistic_of(tokens)
    last, code_unit = split_unit(tokens[-1], statistic)
    tokens = tokens[:-1] + ([last] if last else [])
    statistic, at, m = _statistic_of(tokens)
    if m is not None:
        group = [t for t in tokens[:at] if t] + ([m["pre"]] if m["pre"] else [])
        after = m.string[m.end():].strip(", ")
        rest = ([after] if after else []) + [t for t in tokens[at + 1:] if t]
        form_words = [", ".join(w.lower() for w in group), " ".join(w.lower() for w in rest)]
    else:
        form_words = [" ".join(t.lower() for t in tokens if t)]
    form = ", ".join(f for f in form_words if f)
    unit = SALIENT_UNITS.get(code_unit) if code_unit else None
    erratum = ERRATA.get((vintage, code, name, occurrence))
    if erratum is not None:
        statistic = erratum.statistic or statistic
        unit = erratum.unit or unit
        form = erratum.form if erratum.form is not None else form
        notes.append(f"critmin: {erratum.note}")
    elif statistic == NIR and code_unit != "pct":
        unit = "percent"
        notes.append(f"critmin: unit suffix '{code_unit or ''}' in the column name; net import reliance is a percentage of apparent consumption")
    elif statistic == EMPLOYMENT and code_unit != "num":
        unit = "number"
        notes.append(f"critmin: unit suffix '{code_unit or ''}' in the column name; employment is a number of employees")
    elif statistic == PRICE and code_unit not in _PRICE_UNITS:
        unit = None
        notes.append(f"critmin: unit suffix '{code_unit or ''}' is not a price unit; unit not stated")
    elif code_unit is None:
        notes.append("critmin: no unit code in the column name")
    detail = f"{name} (column {index + 1})" if duplicated else name
    return SalientColumn(index, name, detail, statistic, form, unit, "; ".join(notes))


def _xlsx_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], int]:
    """Header and rows of the workbook sheet that holds the salient table."""
    import openpyxl

    require_file(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(path, f"not a readable .xlsx workbook ({exc.__class__.__name__}: {exc})", expected="an Excel workbook") from None
    try:
        for sheet in book.worksheets:
            rows = [[_cell_text(v) for v in r] for r in sheet.iter_rows(values_only=True)]
            if rows and rows[0][:3] == ["DataSource", "Commodity", "Year"]:
                header, data, blank = rows[0], [], 0
                for n, cells in enumerate(rows[1:], start=2):
                    if not any(cells):
                        blank += 1
                    else:
                        data.append((n, cells + [""] * (len(header) - len(cells))))
                return header, data, blank
    finally:
        book.close()
    raise SourceError(path, "no sheet with the salient table", row=1, expected="a sheet whose first row is DataSource,Commodity,Year")


def _unshift(header: list[str], rows: list[tuple[int, list[str]]], columns: list["SalientColumn"], unnamed: list[int]) -> tuple[list[tuple[int, list[str]]], int, str]:
    """Undo a spacer cell that pushed the rest of every row one column to the right.

    MCS2024 feldspar has an empty cell under ``Consump_Feldspar_kt`` in every row and the
    last figure (``>95``) under an unnamed column: the cells from the spacer on belong one
    column to the left (the MCS2023 and MCS2025 files give the same figures there). This is
    repaired only when exactly one named column is blank in every row and exactly one
    unnamed column, right after the last named one, is filled in every row.
    """
    filled_unnamed = [i for i in unnamed if any(cells[i] for _, cells in rows)]
    if not rows or len(filled_unnamed) != 1:
        return rows, len(header), ""
    extra = filled_unnamed[0]
    last_named = max(c.index for c in columns)
    blank_named = [c for c in columns if not any(cells[c.index] for _, cells in rows)]
    if extra != last_named + 1 or len(blank_named) != 1 or not all(cells[extra] for _, cells in rows):
        return rows, len(header), ""
    spacer = blank_named[0]
    fixed = [(n, cells[: spacer.index] + cells[spacer.index + 1 : extra + 1] + [""] + cells[extra + 1 :]) for n, cells in rows]
    note = (
        f"critmin: in this file every row has an empty spacer cell under {spacer.name} and its last figure under an "
        f"unnamed column; the cells from {spacer.name} on were read one column to the left"
    )
    return fixed, spacer.index, note


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _is_world_layout(header: list[str]) -> bool:
    return [h.lower() for h in header[:3]] == ["source", "country", "type"]


def read_salient_file(path: Path, data_dir: Path, vintage: int, code: str, out: list[dict], skipped: Counter) -> None:
    """Read one salient CSV or workbook of release ``vintage`` into ``out``."""
    commodity = commodity_for_code(code, path)
    if path.suffix.lower() == ".xlsx":
        header, rows, blank = _xlsx_rows(path)
    else:
        table = read_mcs_csv(path)
        header, rows, blank = table.header, table.rows, table.blank_rows
    skipped[SKIP_BLANK] += blank
    if _is_world_layout(header):
        skipped[SKIP_WORLD_LAYOUT] += len(rows)
        return
    if len(header) < 4 or header[0] not in ("DataSource", "Source") or header[1] != "Commodity" or header[2] != "Year":
        raise SourceError(path, "not an MCS salient table header", row=1, field=header[0] if header else None, expected="DataSource,Commodity,Year,<statistic columns>", found=header[:4])
    header_note = ""
    fix = HEADER_ERRATA.get((vintage, code))
    if fix is not None and tuple(h for h in header[3:] if h) == fix[0]:
        header = header[:3] + list(fix[1]) + [""] * max(0, len(header) - 3 - len(fix[1]))
        header_note = f"critmin: the CSV header of this file does not fit its data; column names from {path.name.split('_')[0]}_meta.xml"
    counts = Counter(h for h in header[3:] if h)
    seen: Counter = Counter()
    columns: list[SalientColumn] = []
    unnamed: list[int] = []
    for i, name in enumerate(header[3:], start=3):
        if not name:
            unnamed.append(i)
            continue
        seen[name] += 1
        col = parse_salient_column(name, i, seen[name], counts[name] > 1, vintage, code)
        if header_note:
            col = SalientColumn(col.index, col.name, col.detail, col.statistic, col.form, col.unit, "; ".join(x for x in (col.notes, header_note) if x))
        columns.append(col)
    rows, shift_from, shift_note = _unshift(header, rows, columns, unnamed)
    rel = relative_to_data(path, data_dir)
    est_year = release(vintage).estimated_year
    checked_commodity: dict[str, CommodityRef] = {}
    for n, cells in rows:
        if not is_release_label(cells[0], vintage):
            raise SourceError(path, "row of another release", row=n, field=header[0], found=cells[0], expected=f"MCS{vintage}")
        for i in unnamed:
            if cells[i]:
                raise SourceError(path, "text in a column without a name", row=n, field=f"column {i + 1}", found=cells[i], expected="an empty cell")
        name = cells[1]
        if name not in checked_commodity:
            ref = resolve_commodity(name, file=path, row=n, field="Commodity")
            if ref.commodity_id != commodity.commodity_id:
                raise SourceError(path, "Commodity cell names another commodity than the file code", row=n, field="Commodity", found=name, expected=f"{commodity.commodity_id} (file code {code!r})")
            checked_commodity[name] = ref
        year = _year(cells[2], path, n, vintage)
        for col in columns:
            estimated = year == est_year
            parsed = parse_value(cells[col.index], estimated=estimated)
            if parsed.qualifier is Qualifier.ESTIMATED:
                estimated = True
            out.append(
                {
                    "vintage": vintage,
                    "commodity_id": commodity.commodity_id,
                    "form": ", ".join(f for f in (commodity.form, col.form) if f),
                    "year": year,
                    "statistic": col.statistic,
                    "detail": col.detail,
                    **parsed_columns(parsed),
                    "estimated": estimated,
                    "unit": col.unit,
                    "notes": "; ".join(x for x in (col.notes, shift_note if col.index >= shift_from else "") if x) or None,
                    "source_id": f"usgs_mcs{vintage}_salient",
                    "source_file": rel,
                    "source_row": n,
                }
            )


def _year(cell: str, path: Path, row: int, vintage: int) -> int:
    if not re.fullmatch(r"\d{4}", cell):
        raise SourceError(path, "year is not a four-digit number", row=row, field="Year", found=cell, expected="a year such as 2023")
    year = int(cell)
    if not vintage - 6 <= year <= vintage - 1:
        raise SourceError(path, f"year {year} does not belong to release MCS{vintage}", row=row, field="Year", found=cell, expected=f"{vintage - 6} to {vintage - 1}")
    return year


def _read_release(data_dir: Path, vintage: int) -> ReadResult:
    data_dir = Path(data_dir)
    folder = data_dir / release(vintage).folder / "salient"
    files = list_mcs_files(folder, "salient", vintage)
    rows: list[dict] = []
    skipped: Counter = Counter()
    for path in files:
        name = parse_file_name(path)
        assert name is not None
        read_salient_file(path, data_dir, vintage, name.code, rows, skipped)
    notes = ""
    if skipped[SKIP_WORLD_LAYOUT]:
        notes = "Three files in the salient folder have the world-table layout and are not read (cobalt, gypsum, kyanite)."
    return ReadResult(source_info(vintage, "salient", notes), files, {"salient": frame("salient", rows)}, skipped)


#: Salient tables: numbers, the codes of the metadata (W, NA, E for net import reliance, bounds,
#: "Less than 1/2 unit"), prices in words, and negatives only where the metadata allow them.
SALIENT_VALUES = Values(words=(MCS_PRICE_WORDS,), signed=MCS_SALIENT_SIGNED, bounds=(NIR_BOUNDS,), field="{detail}")

#: Negative figures in columns the metadata do not allow to be negative, kept as published.
SALIENT_ANOMALIES: dict[int, tuple[Anomaly, ...]] = {
    2024: (
        Anomaly(
            "usgs_mcs2024/salient/mcs2024-asbes_salient.csv", 6,
            "imports of -4 t in 2023 (estimated); the metadata say the reported 2023 imports were misclassified shipments",
            Where(detail="Imports_t"),
        ),
        Anomaly("usgs_mcs2024/salient/mcs2024-tellu_salient.csv", 3, "exports of -2 t in 2020 as published", Where(detail="Exports_t")),
    ),
    2025: tuple(
        Anomaly("usgs_mcs2025/salient/mcs2025-diamo_salient.csv", row, "stone exports of -4 million carats as published", Where(detail="Stones_Exports_mct"))
        for row in (4, 5)
    ),
}


def _expectation(vintage: int) -> Expectation:
    files, shapes = release_inventory(vintage, "salient")
    return Expectation(files=files, shapes=shapes, tables={"salient": SALIENT_VALUES}, anomalies=SALIENT_ANOMALIES.get(vintage, ()))


@expects(_expectation(2023))
def read_mcs2023_salient(data_dir: Path) -> ReadResult:
    """MCS2023 U.S. salient statistics 2018-2022 (83 CSV files, 2 workbooks) -> ``salient``.

    2022 is estimated. See the module docstring for layout, rules and quirks.
    """
    return _read_release(data_dir, 2023)


@expects(_expectation(2024))
def read_mcs2024_salient(data_dir: Path) -> ReadResult:
    """MCS2024 U.S. salient statistics 2019-2023 (85 files, 3 of them world tables) -> ``salient``.

    2023 is estimated. See the module docstring for layout, rules and quirks.
    """
    return _read_release(data_dir, 2024)


@expects(_expectation(2025))
def read_mcs2025_salient(data_dir: Path) -> ReadResult:
    """MCS2025 U.S. salient statistics 2020-2024 (85 files) -> ``salient``.

    2024 is estimated. See the module docstring for layout, rules and quirks.
    """
    return _read_release(data_dir, 2025)

"""USGS Data Series 140, historical statistics -> tables ``historical`` and ``prices``.

Kelly, T.D., and Matos, G.R., comps., *Historical statistics for mineral and material
commodities in the United States*, USGS Data Series 140 (SOURCES.md §3a, §3b). Two kinds
of file are read from ``usgs_ds140/``:

Original workbooks ``ds140-lithium-2021.xlsx`` and ``ds140-rare-earths-2020.xlsx``
    One sheet each. Rows 1-4 are a title block: row 1 the commodity (``LITHIUM
    STATISTICS1``, the ``1`` a footnote marker), row 3 the default unit (``[All values in
    metric tons (t) lithium unless otherwise noted]``), row 4 the last modification. Row 5
    is the header (``Year, Production, Imports, Exports, Estimated consumption, Unit value
    ($/t), Unit value (98$/t), World production ...``); data are annual from 1900 to 2021
    (lithium) or 2020 (rare earths); the last three rows are footnotes (counted in
    ``skipped``). Cells: numbers, ``W`` (withheld) and ``NA`` (not available), kept as
    qualifiers; a blank cell becomes a ``missing`` row. Every cell of every column becomes
    a ``historical`` row; the two unit-value columns (nominal ``$/t`` and ``98$/t``,
    the value of a metric ton of apparent consumption) also become annual ``prices`` rows
    with basis ``nominal`` or ``real-1998``.

DERIVED 1900-1992 tables ``ds140_1900-1992_{catalog,measures,observations}.csv``
    A flattening of another repository's extraction of 92 DS140 workbooks, numeric cells
    only, years 1900-1992 (the extraction stops at 1992). ``observations``
    (``commodity_id,series_id,measure_id,year,value``) is joined to ``measures`` (label,
    unit, ``price_basis`` nominal | real-1998-dollars | not-price); ``catalog`` names the
    92 DS140 commodities. Withheld and not-available cells were dropped by the extraction
    (``measures`` only counts them), so these rows are all ``exact``.

    DS140 commodity ids are mapped to critmin ids by :data:`DS140_COMMODITIES` (titanium's
    three DS140 workbooks all map to ``titanium``; ``series_id`` keeps them apart).
    Two genuine minerals critmin lacked were added to ``commodities.csv``:
    ``sodium-sulfate`` and ``abrasives-natural``. The DS140 material-flow workbooks that
    are not minerals (:data:`DS140_OUT_OF_SCOPE`: agriculture and fishery, wood,
    non-renewable organics, coal combustion products) are left out and their rows counted
    in ``skipped``; an id in neither dict fails. Rows of lithium and rare earths are also
    left out (counted) because the original workbooks above cover 1900-1992 as well, with
    their ``W``/``NA`` cells; the tests check that both agree.

    Unit values (measures whose id contains ``unit-value`` and whose basis is a price
    basis) also go to ``prices``; the gemstones "production value ($)" is a value, not a
    price, and stays in ``historical`` only.

Keys: ``series_id`` is ``ds140:<DS140 commodity>/<DS140 series>`` (the series is the
worksheet, e.g. ``ds140:lithium/lithium-statistics``); ``measure`` the DS140 measure id
(``production``, ``unit-value-t``, ``unit-value-98-t``, ``world-production-lithium-content``);
a ``prices`` series is ``<series_id>:<measure>``. ``basis`` in ``historical`` is ``nominal``
or ``real-1998`` for money columns and null for quantities.

Public domain (U.S. Government work).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame, read_csv_rows, relative_to_data
from critmin.sources.expectations import Anomaly, Expectation, Shape, Signed, Values, Where, expects
from critmin.sources.xlsx_sheets import Workbook, cell_int, cell_text, cell_values
from critmin.vocab.commodities import catalogue, resolve_commodity

SOURCE_ID = "usgs-ds140"
FOLDER = "usgs_ds140"
WORKBOOKS = ("ds140-lithium-2021.xlsx", "ds140-rare-earths-2020.xlsx")
CATALOG = "ds140_1900-1992_catalog.csv"
MEASURES = "ds140_1900-1992_measures.csv"
OBSERVATIONS = "ds140_1900-1992_observations.csv"

TITLE_ROWS = 4
HEADER_ROW = 5

#: DS140 commodity id (of the DERIVED catalog) -> critmin commodity id.
DS140_COMMODITIES: dict[str, str] = {
    "abrasives-manufactured": "abrasives",
    "abrasives-natural-discontinued-see-garnet-industrial": "abrasives-natural",
    "aluminum": "aluminum",
    "antimony": "antimony",
    "arsenic": "arsenic",
    "asbestos": "asbestos",
    "barite": "barite",
    "bauxite-and-alumina": "bauxite",
    "beryllium": "beryllium",
    "bismuth": "bismuth",
    "boron": "boron",
    "bromine": "bromine",
    "cadmium": "cadmium",
    "cement": "cement",
    "cesium": "cesium",
    "chromium": "chromium",
    "clays": "clays",
    "cobalt": "cobalt",
    "copper": "copper",
    "diamond-industrial": "diamond-industrial",
    "diatomite": "diatomite",
    "feldspar": "feldspar",
    "fluorspar": "fluorspar",
    "gallium": "gallium",
    "garnet-industrial": "garnet",
    "gemstones": "gemstones",
    "germanium": "germanium",
    "gold": "gold",
    "graphite-natural": "graphite",
    "gypsum": "gypsum",
    "hafnium": "hafnium",
    "helium": "helium",
    "indium": "indium",
    "iodine": "iodine",
    "iron-and-steel": "iron-and-steel",
    "iron-and-steel-scrap": "iron-and-steel-scrap",
    "iron-and-steel-slag": "iron-and-steel-slag",
    "iron-ore": "iron-ore",
    "iron-oxide-pigments": "iron-oxide-pigments",
    "kyanite": "kyanite",
    "lead": "lead",
    "lime": "lime",
    "lithium": "lithium",
    "magnesium-compounds": "magnesium-compounds",
    "magnesium-metal": "magnesium",
    "manganese": "manganese",
    "mercury": "mercury",
    "mica-scrap-flake-and-sheet": "mica",
    "molybdenum": "molybdenum",
    "nickel": "nickel",
    "niobium-columbium": "niobium",
    "nitrogen": "nitrogen",
    "peat": "peat",
    "perlite": "perlite",
    "phosphate-rock": "phosphate",
    "platinum-group-metals": "platinum-group-metals",
    "potash": "potash",
    "pumice-and-pumicite": "pumice",
    "quartz-crystal-industrial": "quartz-crystal",
    "rare-earths": "rare-earths",
    "rhenium": "rhenium",
    "salt": "salt",
    "sand-and-gravel-construction": "sand-gravel-construction",
    "sand-and-gravel-industrial": "sand-gravel-industrial",
    "selenium": "selenium",
    "silicon": "silicon",
    "silver": "silver",
    "soda-ash-sodium-carbonate": "soda-ash",
    "sodium-sulfate": "sodium-sulfate",
    "stone-crushed": "stone-crushed",
    "stone-dimension": "stone-dimension",
    "strontium": "strontium",
    "sulfur": "sulfur",
    "talc-and-pyrophyllite": "talc",
    "tantalum": "tantalum",
    "tellurium": "tellurium",
    "thallium": "thallium",
    "thorium": "thorium",
    "tin": "tin",
    "titanium-dioxide-pigment": "titanium",
    "titanium-metal": "titanium",
    "titanium-mineral-concentrates": "titanium",
    "tungsten": "tungsten",
    "vanadium": "vanadium",
    "vermiculite": "vermiculite",
    "wollastonite": "wollastonite",
    "zinc": "zinc",
    "zirconium-mineral-concentrates": "zirconium",
}

#: DS140 material-flow workbooks that are not mineral commodities, with the reason.
DS140_OUT_OF_SCOPE: dict[str, str] = {
    "agriculture-and-fishery": "agricultural and fishery products (cotton, wool, rubber, ...), not minerals",
    "wood": "wood and wood products, not a mineral",
    "organics-nonrenewable": "non-renewable organic materials (petroleum-derived), not minerals",
    "coal-combustion-products": "coal combustion by-products (fly ash, slag), not a mineral commodity",
}

PRICE_BASES = {"nominal": "nominal", "real-1998-dollars": "real-1998", "not-price": None}

#: Parenthetical detail of a workbook quantity column -> its unit (others use the default).
QUANTITY_DETAIL_UNITS = {
    "gross weight": "metric tons (t) gross weight",
    "lithium content": "metric tons (t) lithium",
    "lithium carbonate equivalent": "metric tons (t) lithium carbonate equivalent",
}
#: Money columns of the workbooks: header unit -> (unit, basis).
MONEY_COLUMNS = {
    "$/t": ("current U.S. dollars per metric ton", "nominal"),
    "98$/t": ("1998 U.S. dollars per metric ton", "real-1998"),
}
KNOWN_QUANTITY_COLUMNS = {
    "Production", "Imports", "Exports", "Estimated consumption", "Apparent consumption", "World production",
}
_DEFAULT_UNIT_RE = re.compile(r"^\[All (?:values|quantities) in (.+?) unless otherwise noted\]$")
_TITLE_RE = re.compile(r"^(.*?)\s+STATISTICS\d*$")
_COLUMN_RE = re.compile(r"^(.*?)\s*\(([^()]*)\)$")

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="USGS Data Series 140: Historical statistics for mineral and material commodities in the United States",
    publisher="U.S. Geological Survey, National Minerals Information Center",
    citation=(
        "Kelly, T.D., and Matos, G.R., comps., Historical statistics for mineral and material commodities "
        "in the United States: U.S. Geological Survey Data Series 140 (lithium: Kelly, Ober and Jaskula, "
        "last modified 2023-08-02; rare earths: DiFrancesco, Hedrick, Cordier and Gambogi, last modified "
        "2023-09-27). https://www.usgs.gov/centers/national-minerals-information-center/historical-statistics-mineral-and-material-commodities"
    ),
    licence="Public domain (U.S. Government work)",
    vintage=2023,
    doi="10.3133/ds140",
    url="https://www.usgs.gov/centers/national-minerals-information-center/historical-statistics-mineral-and-material-commodities",
    notes=(
        "Original workbooks for lithium (1900-2021) and rare earths (1900-2020); all other commodities "
        "from a DERIVED flattening of 92 DS140 workbooks limited to 1900-1992 (numeric cells only; the "
        "W/NA cells were dropped by that extraction). Unit values are also written to the prices table."
    ),
)


def slug(text: str) -> str:
    """DS140's own id style: ``'Unit value (98$/t)'`` -> ``'unit-value-98-t'``."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


_SIGNED = (
    Signed(
        Where(measure=("government-shipments", "stock-changes")),
        "net government-stockpile shipments and stock changes are changes of an inventory, negative when it grows "
        "(the MCS metadata define Shipments_Gov the same way: 'If negative, increase in inventory')",
    ),
)

EXPECTED = Expectation(
    files=(*(f"{FOLDER}/{name}" for name in WORKBOOKS), f"{FOLDER}/{CATALOG}", f"{FOLDER}/{MEASURES}", f"{FOLDER}/{OBSERVATIONS}"),
    shapes=(
        Shape(f"{FOLDER}/ds140-lithium-2021.xlsx", rows=122, last={"year": 2021}, doc="annual 1900-2021 (SOURCES.md §3a)"),
        Shape(f"{FOLDER}/ds140-rare-earths-2020.xlsx", rows=121, last={"year": 2020}, doc="annual 1900-2020 (SOURCES.md §3a)"),
        Shape(
            f"{FOLDER}/{OBSERVATIONS}",
            rows=56907,
            distinct={"commodity_id": 84},
            doc="61,133 observations (SOURCES.md §3b) less 4,226 of the out-of-scope workbooks and of lithium and rare "
            "earths, which the original workbooks supersede (counted in skipped)",
        ),
    ),
    tables={"historical": Values(signed=_SIGNED, field="{measure} {year}"), "prices": Values(field="{series_label} {year}")},
    anomalies=tuple(
        Anomaly(
            f"{FOLDER}/{OBSERVATIONS}", row,
            "negative sheet-mica 'Shipments' (1900-1992 extraction); the measures table does not define the column, so the sign "
            "is kept as extracted (in the other DS140 workbooks such columns are net government-stockpile shipments)",
            Where(measure="shipments"),
        )
        for row in range(36722, 36732)
    ),
)


@expects(EXPECTED)
def read_ds140(data_dir: Path) -> ReadResult:
    """Read the DS140 workbooks and the DERIVED 1900-1992 tables.

    Parameters
    ----------
    data_dir
        The raw-data folder (``../shared/data``) holding ``usgs_ds140/``.

    Returns
    -------
    ReadResult
        Fragments of ``historical`` and ``prices``; ``skipped`` counts footnote and title
        rows, the out-of-scope DS140 workbooks and the DERIVED rows superseded by an
        original workbook.
    """
    data_dir = Path(data_dir)
    folder = data_dir / FOLDER
    skipped: Counter = Counter()
    historical: list[dict[str, object]] = []
    prices: list[dict[str, object]] = []
    covered: set[str] = set()
    files: list[Path] = []
    for name in WORKBOOKS:
        path = folder / name
        ds140_id, hist, price = read_workbook(path, data_dir, skipped)
        covered.add(ds140_id)
        historical += hist
        prices += price
        files.append(path)
    hist, price = read_derived(folder, data_dir, skipped, superseded=covered)
    historical += hist
    prices += price
    files += [folder / CATALOG, folder / MEASURES, folder / OBSERVATIONS]
    return ReadResult(INFO, files, {"historical": frame("historical", historical), "prices": frame("prices", prices)}, skipped)


def read_workbook(path: Path, data_dir: Path, skipped: Counter) -> tuple[str, list[dict[str, object]], list[dict[str, object]]]:
    """One original DS140 workbook: its DS140 commodity id, ``historical`` and ``prices`` rows."""
    with Workbook(path) as book:
        if not book.sheet_names:
            raise SourceError(path, "workbook has no sheets", expected="one DS140 statistics sheet")
        sheet = book.sheet_names[0]
        rows = book.rows(sheet)
    if len(rows) <= HEADER_ROW:
        raise SourceError(path, f"sheet {sheet!r} has {len(rows)} rows", row=len(rows), expected=f"a title block, the header in row {HEADER_ROW} and data")
    title = cell_text(rows[0][0] if rows[0] else None)
    m = _TITLE_RE.match(title)
    if m is None:
        raise SourceError(path, "unexpected title", row=1, found=title, expected="'<COMMODITY> STATISTICS' in cell A1")
    commodity_name = m.group(1)
    commodity_id = resolve_commodity(commodity_name, file=path, row=1, field="A1").commodity_id
    ds140_id = slug(commodity_name)
    unit_text = cell_text(rows[2][0] if rows[2] else None)
    um = _DEFAULT_UNIT_RE.match(unit_text)
    if um is None:
        raise SourceError(path, "no default unit", row=3, found=unit_text, expected="'[All values in <unit> unless otherwise noted]' in cell A3")
    default_unit = um.group(1)
    skipped["ds140: workbook title block row"] += TITLE_ROWS

    header = [cell_text(c) for c in rows[HEADER_ROW - 1]]
    if not header or header[0] != "Year":
        raise SourceError(path, "unexpected header", row=HEADER_ROW, field="A", found=header[:1], expected="'Year' in the first column")
    columns = [(j, *_workbook_column(name, default_unit, path)) for j, name in enumerate(header) if j > 0 and name]
    series_id = f"ds140:{ds140_id}/{slug(sheet)}"
    source_file = relative_to_data(path, data_dir)
    historical: list[dict[str, object]] = []
    prices: list[dict[str, object]] = []
    in_footnotes = False
    last_year: int | None = None
    for i, r in enumerate(rows[HEADER_ROW:], start=HEADER_ROW + 1):
        first = r[0] if r else None
        year = cell_int(first)
        if year is None or not 1800 <= year <= 2100:
            if first is None and not any(c is not None for c in r):
                skipped["ds140: blank row"] += 1
                continue
            if isinstance(first, str) and not any(c is not None for c in r[1:]):
                in_footnotes = True
                skipped["ds140: footnote row"] += 1
                continue
            raise SourceError(path, "not a year", row=i, field="Year", found=first, expected="a year or a footnote line")
        if in_footnotes:
            raise SourceError(path, "data row after the footnotes", row=i, field="Year", found=first, expected="footnotes only at the end")
        if last_year is not None and year != last_year + 1:
            raise SourceError(path, f"year {year} does not follow {last_year}", row=i, field="Year", expected="consecutive years")
        last_year = year
        for j, label, measure, unit, basis in columns:
            values = cell_values(r[j] if j < len(r) else None)
            base = {"commodity_id": commodity_id, "series_id": series_id, "unit": unit, "year": year, **values, "basis": basis,
                    "source_id": SOURCE_ID, "source_file": source_file, "source_row": i}
            historical.append({**base, "measure": measure})
            if basis is not None:
                prices.append({**base, "series_id": f"{series_id}:{measure}", "series_label": f"{commodity_name.capitalize()}: {label}",
                               "frequency": "annual", "month": None})
    if last_year is None:
        raise SourceError(path, "no data rows", row=HEADER_ROW + 1, expected="annual rows from 1900")
    if not in_footnotes:
        raise SourceError(path, "no footnotes after the data", row=len(rows), expected="the footnote lines at the end (is the sheet truncated?)")
    return ds140_id, historical, prices


def _workbook_column(name: str, default_unit: str, path: Path) -> tuple[str, str, str, str | None]:
    """(label, measure id, unit, basis) of a workbook column header."""
    m = _COLUMN_RE.match(name)
    base, detail = (m.group(1), m.group(2)) if m else (name, "")
    if base == "Unit value" and detail in MONEY_COLUMNS:
        unit, basis = MONEY_COLUMNS[detail]
        return name, slug(name), unit, basis
    if base in KNOWN_QUANTITY_COLUMNS:
        if not detail:
            return name, slug(name), default_unit, None
        if detail in QUANTITY_DETAIL_UNITS:
            return name, slug(name), QUANTITY_DETAIL_UNITS[detail], None
    raise SourceError(path, "unknown column", row=HEADER_ROW, field=name, expected=f"one of {sorted(KNOWN_QUANTITY_COLUMNS)} or 'Unit value ($/t)' / 'Unit value (98$/t)'")


def read_derived(folder: Path, data_dir: Path, skipped: Counter, *, superseded: set[str]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """``historical`` and ``prices`` rows from the DERIVED 1900-1992 tables."""
    catalog_path, measures_path, obs_path = folder / CATALOG, folder / MEASURES, folder / OBSERVATIONS
    titles: dict[str, str] = {}
    _, rows = read_csv_rows(catalog_path, "utf-8-sig", required=("commodity_id", "commodity_title"))
    for n, r in rows:
        ds140_id = r["commodity_id"]
        if ds140_id not in DS140_COMMODITIES and ds140_id not in DS140_OUT_OF_SCOPE:
            raise SourceError(catalog_path, "DS140 commodity not mapped", row=n, field="commodity_id", found=ds140_id,
                              expected="an id in DS140_COMMODITIES or DS140_OUT_OF_SCOPE (critmin.sources.usgs_ds140)")
        titles[ds140_id] = r["commodity_title"]
    if not titles:
        raise SourceError(catalog_path, "no commodities", row=2, expected="one row per DS140 commodity")
    known = catalogue()
    for ds140_id, commodity_id in DS140_COMMODITIES.items():
        if commodity_id not in known:  # a typo in the map, not in the data
            raise SourceError(catalog_path, "DS140 map names an unknown critmin commodity", field=ds140_id, found=commodity_id)

    measures: dict[tuple[str, str, str], tuple[str, str, str, str | None]] = {}
    _, rows = read_csv_rows(measures_path, "utf-8-sig", required=("commodity_id", "series_id", "series_label", "measure_id", "measure_label", "unit", "price_basis"))
    for n, r in rows:
        if r["commodity_id"] not in titles:
            raise SourceError(measures_path, "commodity not in the catalog", row=n, field="commodity_id", found=r["commodity_id"])
        if r["price_basis"] not in PRICE_BASES:
            raise SourceError(measures_path, "unknown price basis", row=n, field="price_basis", found=r["price_basis"], expected=f"one of {list(PRICE_BASES)}")
        key = (r["commodity_id"], r["series_id"], r["measure_id"])
        if key in measures:
            raise SourceError(measures_path, "duplicate measure", row=n, found=key)
        measures[key] = (r["series_label"], r["measure_label"], r["unit"], PRICE_BASES[r["price_basis"]])

    source_file = relative_to_data(obs_path, data_dir)
    historical: list[dict[str, object]] = []
    prices: list[dict[str, object]] = []
    _, rows = read_csv_rows(obs_path, "utf-8-sig", required=("commodity_id", "series_id", "measure_id", "year", "value"))
    for n, r in rows:
        ds140_id = r["commodity_id"]
        key = (ds140_id, r["series_id"], r["measure_id"])
        info = measures.get(key)
        if info is None:
            raise SourceError(obs_path, "observation of a measure not in the measures table", row=n, found=key, expected=f"a measure listed in {MEASURES}")
        if ds140_id in DS140_OUT_OF_SCOPE:
            skipped[f"ds140 1900-1992: {ds140_id} ({DS140_OUT_OF_SCOPE[ds140_id]})"] += 1
            continue
        if ds140_id in superseded:
            skipped[f"ds140 1900-1992: {ds140_id} (superseded by the original workbook)"] += 1
            continue
        year_text = r["year"]
        if not (year_text.isdigit() and len(year_text) == 4):
            raise SourceError(obs_path, "not a year", row=n, field="year", found=year_text, expected="a four-digit year")
        try:
            number = float(r["value"])
        except ValueError:
            number = None
        if number is None or not math.isfinite(number):
            raise SourceError(obs_path, "not a number", row=n, field="value", found=r["value"], expected="a number (the extraction kept numeric cells only)")
        series_label, measure_label, unit, basis = info
        series_id = f"ds140:{ds140_id}/{r['series_id']}"
        base = {"commodity_id": DS140_COMMODITIES[ds140_id], "series_id": series_id, "unit": unit, "year": int(year_text), **cell_values(number),
                "basis": basis, "source_id": SOURCE_ID, "source_file": source_file, "source_row": n}
        historical.append({**base, "measure": r["measure_id"]})
        if basis is not None and "unit-value" in r["measure_id"]:
            label = f"{titles[ds140_id]}: {series_label}: {measure_label}" if series_label != titles[ds140_id] else f"{titles[ds140_id]}: {measure_label}"
            prices.append({**base, "series_id": f"{series_id}:{r['measure_id']}", "series_label": label, "frequency": "annual", "month": None})
    return historical, prices

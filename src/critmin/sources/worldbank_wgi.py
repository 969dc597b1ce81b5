"""World Bank Worldwide Governance Indicators (WGI) -> table ``governance``.

Two releases are read, each kept apart by the column ``release``:

``wgi-2023-update``: ``worldbank_wgi/wgi_2023update_long.csv``
    A long CSV derived (by the data collectors, see SOURCES.md §4) from the official
    workbook ``wgidataset_2023update_1996-2022.xlsx``: header
    ``country,wgi_code,indicator,year,estimate,std_err,num_sources,pct_rank,
    pct_rank_lower,pct_rank_upper``; one row per economy, indicator (VA, PV, GE, RQ, RL,
    CC) and year (1996, 1998, 2000, 2002-2022): 214 x 6 x 24 = 30,816 rows.

    Quirks:

    * ``wgi_code`` is WGI's own three-letter code, mostly ISO3 but ``ADO`` (Andorra),
      ``ROM`` (Romania), ``ZAR`` (DR Congo), ``TMP`` (Timor-Leste), ``KSV`` (Kosovo),
      ``WBG`` (West Bank and Gaza), ``ANT`` (Netherlands Antilles) are not; they are
      mapped by :func:`~critmin.vocab.countries.resolve_code` and
      ``country_code_aliases.csv``. An unknown code fails.
    * 1,111 rows have no figures at all (the workbook's ``#N/A``): they are kept, with
      null estimate and ranks, because the row exists in the file.
    * The panel must be complete (every economy has every indicator and year); a file
      that is not, or that does not end with a newline, is reported as truncated.

``wgi-2024-databank``: ``worldbank_wgi/wgi_databank_extract_2009-2023_5indicators.csv``
    A World Bank DataBank export of the September 2024 release ("Last Updated:
    11/05/2024"): header ``Country Name,Country Code,Series Name,Series Code,
    2009 [YR2009],...,2023 [YR2023]``; one row per economy and series, **estimates only**
    (series codes ``CC.EST``, ``GE.EST``, ``PV.EST``, ``RQ.EST``, ``VA.EST``; Rule of Law
    is not in the extract). Country codes are ISO3 (Kosovo ``XKX``).

    Quirks:

    * ``..`` means no estimate: the cell becomes a row with a null estimate (the row is
      in the file; the ``governance`` table has no qualifier column, a null estimate
      means "not published").
    * The last five lines are a footer: three empty lines, ``Data from database:
      Worldwide Governance Indicators`` and ``Last Updated: 11/05/2024``. They are
      counted in ``skipped``; a file without the ``Last Updated`` line is truncated.
    * Some country names contain commas and are quoted (``"Korea, Rep."``).

The original workbook is not read (it would add about 0.1 s); the tests check that the
long CSV agrees with it cell by cell for a sample of economies.

Citation: Kaufmann, D. and Kraay, A., *Worldwide Governance Indicators*, World Bank,
www.govindicators.org. Licence: CC BY 4.0.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame, read_csv_rows, relative_to_data, require_file
from critmin.sources.expectations import Bounds, Expectation, Shape, Values, expects
from critmin.values import Qualifier, parse_value
from critmin.vocab.countries import resolve_code

SOURCE_ID = "worldbank-wgi"
FOLDER = "worldbank_wgi"
LONG_FILE = "wgi_2023update_long.csv"
DATABANK_FILE = "wgi_databank_extract_2009-2023_5indicators.csv"
RELEASE_LONG = "wgi-2023-update"
RELEASE_DATABANK = "wgi-2024-databank"

INDICATORS = ("VA", "PV", "GE", "RQ", "RL", "CC")
LONG_COLUMNS = (
    "country", "wgi_code", "indicator", "year", "estimate", "std_err",
    "num_sources", "pct_rank", "pct_rank_lower", "pct_rank_upper",
)
DATABANK_COLUMNS = ("Country Name", "Country Code", "Series Name", "Series Code")
_YEAR_COLUMN_RE = re.compile(r"^(\d{4}) \[YR(\d{4})\]$")
_FOOTER_PREFIXES = ("Data from database:", "Last Updated:")

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="Worldwide Governance Indicators (2023 update, 1996-2022; DataBank extract of the 2024 release, 2009-2023)",
    publisher="World Bank",
    citation="Kaufmann, D. and Kraay, A., Worldwide Governance Indicators, World Bank, www.govindicators.org",
    licence="CC BY 4.0",
    vintage=2024,
    url="https://www.govindicators.org",
    published="2023 (2023 update); 2024-11-05 (DataBank extract, 'Last Updated')",
    notes=(
        "release 'wgi-2023-update': long CSV derived from wgidataset_2023update_1996-2022.xlsx "
        "(six indicators, estimate, std. error, sources, percentile ranks); release "
        "'wgi-2024-databank': DataBank export, estimates only, five indicators (no Rule of Law)."
    ),
)


#: SOURCES.md §4: the long file has 214 economies x 6 indicators x 24 years = 30,816 rows; the
#: DataBank extract one row per economy and series (214 x 5 = 1,070). Percentile ranks are
#: within 0-100, standard errors and numbers of sources are not negative; the estimates
#: themselves are signed (about -2.5 to 2.5).
EXPECTED = Expectation(
    files=(f"{FOLDER}/{LONG_FILE}", f"{FOLDER}/{DATABANK_FILE}"),
    shapes=(
        Shape(f"{FOLDER}/{LONG_FILE}", rows=30816, doc="214 economies x 6 indicators x 24 years (SOURCES.md §4)"),
        Shape(f"{FOLDER}/{DATABANK_FILE}", rows=1070, doc="214 economies x 5 estimate series (SOURCES.md §4)"),
    ),
    tables={
        "governance": Values(
            bounds=(
                Bounds(0, 100, columns=("pct_rank", "pct_rank_lower", "pct_rank_upper"), doc="percentile rank"),
                Bounds(0, None, columns=("std_err", "num_sources")),
            ),
        ),
    },
)


@expects(EXPECTED)
def read_wgi(data_dir: Path) -> ReadResult:
    """Read both WGI files into the ``governance`` table.

    Parameters
    ----------
    data_dir
        The raw-data folder (``../shared/data``) holding ``worldbank_wgi/``.

    Returns
    -------
    ReadResult
        One ``governance`` fragment with both releases; ``skipped`` counts the DataBank
        footer lines.
    """
    data_dir = Path(data_dir)
    long_path = data_dir / FOLDER / LONG_FILE
    databank_path = data_dir / FOLDER / DATABANK_FILE
    skipped: Counter = Counter()
    rows = read_long_csv(long_path, data_dir)
    rows += read_databank(databank_path, data_dir, skipped)
    return ReadResult(INFO, [long_path, databank_path], {"governance": frame("governance", rows)}, skipped)


def _require_final_newline(path: Path) -> None:
    """A text export always ends with a newline; one that does not was cut short."""
    with open(require_file(path), "rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            raise SourceError(path, "file is empty", row=1, expected="a header row")
        fh.seek(-1, 2)
        if fh.read(1) not in (b"\n", b"\r"):
            raise SourceError(path, "file does not end with a line break", expected="a complete file (is it truncated?)")


def _number(raw: str, path: Path, row: int, field: str) -> float | None:
    """A WGI figure, or ``None`` where the publisher gives none (blank, ``..``, ``#N/A``).

    Figures may be in scientific notation (``4.7059e-05``).
    """
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        if math.isfinite(value):
            return value
    parsed = parse_value(raw)
    if parsed.qualifier in (Qualifier.MISSING, Qualifier.NOT_AVAILABLE):
        return None
    if parsed.qualifier is not Qualifier.EXACT:
        raise SourceError(path, "not a number", row=row, field=field, found=raw, expected="a number, blank, '..' or '#N/A'")
    return parsed.value


def _code(code: str, cache: dict[str, str], path: Path, row: int, field: str) -> str:
    iso3 = cache.get(code)
    if iso3 is None:
        iso3 = resolve_code(code, file=path, row=row, field=field)
        cache[code] = iso3
    return iso3


def read_long_csv(path: Path, data_dir: Path) -> list[dict[str, object]]:
    """Rows of ``governance`` from the long CSV of the 2023 update (release ``wgi-2023-update``)."""
    _require_final_newline(path)
    _, records = read_csv_rows(path, "utf-8-sig", required=LONG_COLUMNS)
    source_file = relative_to_data(path, data_dir)
    codes: dict[str, str] = {}
    out: list[dict[str, object]] = []
    seen: set[tuple[str, str, int]] = set()
    for n, r in records:
        indicator = r["indicator"]
        if indicator not in INDICATORS:
            raise SourceError(path, "unknown indicator", row=n, field="indicator", found=indicator, expected=f"one of {INDICATORS}")
        year = _year(r["year"], path, n, "year")
        iso3 = _code(r["wgi_code"], codes, path, n, "wgi_code")
        num_sources = _number(r["num_sources"], path, n, "num_sources")
        if num_sources is not None and not float(num_sources).is_integer():
            raise SourceError(path, "number of sources is not a whole number", row=n, field="num_sources", found=r["num_sources"])
        key = (r["wgi_code"], indicator, year)
        if key in seen:
            raise SourceError(path, "duplicate economy, indicator and year", row=n, found=key)
        seen.add(key)
        out.append(
            {
                "iso3": iso3,
                "indicator": indicator,
                "year": year,
                "estimate": _number(r["estimate"], path, n, "estimate"),
                "std_err": _number(r["std_err"], path, n, "std_err"),
                "num_sources": None if num_sources is None else int(num_sources),
                "pct_rank": _number(r["pct_rank"], path, n, "pct_rank"),
                "pct_rank_lower": _number(r["pct_rank_lower"], path, n, "pct_rank_lower"),
                "pct_rank_upper": _number(r["pct_rank_upper"], path, n, "pct_rank_upper"),
                "release": RELEASE_LONG,
                "source_id": SOURCE_ID,
                "source_file": source_file,
                "source_row": n,
            }
        )
    if not out:
        raise SourceError(path, "no data rows", row=2, expected="one row per economy, indicator and year")
    economies = {k[0] for k in seen}
    indicators = {k[1] for k in seen}
    years = {k[2] for k in seen}
    expected = len(economies) * len(indicators) * len(years)
    if len(seen) != expected:
        raise SourceError(
            path,
            f"incomplete panel: {len(seen)} rows for {len(economies)} economies x {len(indicators)} indicators x {len(years)} years = {expected}",
            expected="every economy with every indicator and year (is the file truncated?)",
        )
    return out


def _year(raw: str, path: Path, row: int, field: str) -> int:
    if not (raw.isdigit() and len(raw) == 4):
        raise SourceError(path, "not a year", row=row, field=field, found=raw, expected="a four-digit year")
    return int(raw)


def read_databank(path: Path, data_dir: Path, skipped: Counter) -> list[dict[str, object]]:
    """Rows of ``governance`` from the DataBank extract (release ``wgi-2024-databank``)."""
    _require_final_newline(path)
    header, records = read_csv_rows(path, "utf-8-sig", required=DATABANK_COLUMNS)
    year_columns: list[tuple[str, int]] = []
    for name in header[len(DATABANK_COLUMNS):]:
        m = _YEAR_COLUMN_RE.match(name)
        if m is None or m.group(1) != m.group(2):
            raise SourceError(path, "unexpected column", row=1, field=name, expected="year columns such as '2009 [YR2009]'")
        year_columns.append((name, int(m.group(1))))
    if not year_columns:
        raise SourceError(path, "no year columns", row=1, expected="columns such as '2009 [YR2009]'")
    source_file = relative_to_data(path, data_dir)
    codes: dict[str, str] = {}
    out: list[dict[str, object]] = []
    footer_seen: set[str] = set()
    last_row = 1
    for n, r in records:
        if n - last_row > 1:  # read_csv_rows passes over blank lines; count them here
            skipped["wgi-2024-databank: blank line"] += n - last_row - 1
        last_row = n
        name = r["Country Name"]
        if not r["Country Code"] and name.startswith(_FOOTER_PREFIXES):
            footer_seen.add(name.split(":", 1)[0])
            skipped["wgi-2024-databank: footer line"] += 1
            continue
        if footer_seen:
            raise SourceError(path, "data after the footer", row=n, expected="the footer to be the last lines")
        series = r["Series Code"]
        if not series.endswith(".EST") or series[:-4] not in INDICATORS:
            raise SourceError(path, "unexpected series", row=n, field="Series Code", found=series, expected="an estimate series such as 'CC.EST'")
        iso3 = _code(r["Country Code"], codes, path, n, "Country Code")
        for column, year in year_columns:
            out.append(
                {
                    "iso3": iso3,
                    "indicator": series[:-4],
                    "year": year,
                    "estimate": _number(r[column], path, n, column),
                    "release": RELEASE_DATABANK,
                    "source_id": SOURCE_ID,
                    "source_file": source_file,
                    "source_row": n,
                }
            )
    if "Last Updated" not in footer_seen:
        raise SourceError(path, "no 'Last Updated' footer line", row=last_row, expected="the DataBank footer at the end (is the file truncated?)")
    return out

"""CEPII BACI: yearly bilateral trade files into ``bilateral_trade`` rows.

BACI reconciles the exporter's and the importer's declarations in UN Comtrade into one
figure per flow. CEPII distributes it under the Etalab Open Licence 2.0 as one zip per HS
revision (``BACI_HS22_V202501.zip``) holding a CSV per year
(``BACI_HS22_Y2022_V202501.csv``), ``country_codes_V202501.csv`` and
``product_codes_HS22_V202501.csv``. Users unzip it and point :func:`read_baci` at one
yearly file and the country-code file; critmin ships none of it.

Layouts
-------
Yearly file, header ``t,i,j,k,v,q``:

* ``t`` year; ``i`` exporter and ``j`` importer as BACI's numeric country codes (UN M49
  codes with Comtrade's variants, e.g. 842 USA, 251 France, 699 India);
* ``k`` HS6 product code; ``v`` value in **thousand** US$; ``q`` quantity in metric tons.

Country-code file, header ``country_code,country_name,country_iso2,country_iso3``
(versions before 2023: ``country_code,country_name_abbreviation,country_name_full,
iso_2digit_alpha,iso_3digit_alpha``; both are accepted).

Quirks handled
--------------
* ``k`` read by a spreadsheet or an integer parser loses its leading zero: ``80510`` is
  ``080510``. Codes of digits are left-padded to six.
* Headers and cells may be padded with spaces (``" t, i"``, ``"       NA"``); they are
  stripped.
* ``q`` may be blank (``missing``) or ``NA`` (``not_available``): ``quantity_t`` is then
  null, never 0. Published quantities are ``exact`` (as published; CEPII's reconciled
  figures carry no per-cell flag).
* Yearly files have millions of rows: lines stream one at a time and are filtered on the
  HS code before anything else is parsed (about 1 s per million lines); kept lines
  are parsed in vectorised batches. Lines outside the filter are counted in ``skipped``.
* BACI codes for aggregates and unspecified areas (iso3 ``S19`` "Other Asia, nes", ``R20``
  "Europe EFTA, nes", ``N/A``, or a blank code with a name such as "Areas, nes" or
  "... (...1999)") have no ISO3: their rows are left out and counted in ``skipped`` by
  name. Note that ``S19`` "Other Asia, nes" is, in practice, mostly Taiwan; critmin does
  not guess and leaves it out. Former countries keep their ISO 3166-3 code (``SCG``).
* A code used in the yearly file that the code file lacks, or whose iso3 is three letters
  but not ISO 3166, fails with the file, line and field; so do a line with too few cells,
  a non-numeric ``v`` or ``q``, a negative amount, and a year that is not a year.

``source_row`` is the line in the yearly file (header = 1), ``source_file`` its name, and
``hs_revision`` comes from the file name (``BACI_HS22_...`` -> ``HS2022``) unless given.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Collection, Literal

import numpy as np
import pandas as pd

from critmin.errors import SourceError, UnmappedNameError
from critmin.live.bilateral import AGGREGATE, COLUMNS, UNKNOWN, TradeLoad, classify_code, hs_revision, typed_table
from critmin.live.hs_commodities import commodities_for_hs, critical_hs_prefixes, hs_matcher
from critmin.sources.base import SourceInfo, read_csv_rows

SOURCE_INFO = SourceInfo(
    source_id="cepii_baci",
    title="BACI: International Trade Database at the Product-Level",
    publisher="CEPII",
    citation=(
        "Gaulier, G. and Zignago, S. (2010). BACI: International Trade Database at the Product-Level. "
        "The 1994-2007 Version. CEPII Working Paper N°2010-23. http://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"
    ),
    licence="Etalab Open Licence 2.0",
    url="http://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
    notes="Loaded by critmin.live.baci on the user's machine; value in thousand US$ converted to US$.",
)

TRADE_COLUMNS = ("t", "i", "j", "k", "v", "q")
_CODE_COLUMNS = {
    "code": ("country_code",),
    "name": ("country_name", "country_name_full", "country_name_abbreviation"),
    "iso3": ("country_iso3", "iso_3digit_alpha"),
}
_FILE_REVISION = re.compile(r"BACI_(HS\d\d)_", re.I)
DEFAULT_BATCH_ROWS = 500_000


class CountryCodes:
    """BACI numeric codes -> ISO3, aggregates kept apart, unknown codes failing on use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.iso3: dict[int, str] = {}
        self.aggregates: dict[int, str] = {}
        self.unknown: dict[int, tuple[int, str, str]] = {}
        self._read()

    def _read(self) -> None:
        try:
            header, rows = read_csv_rows(self.path, "utf-8-sig")
        except SourceError as exc:
            if "cannot decode" not in str(exc):
                raise
            # Older BACI code files are Latin-1; only the code and iso3 (ASCII) are used.
            header, rows = read_csv_rows(self.path, "cp1252")
        columns = {}
        for role, names in _CODE_COLUMNS.items():
            found = next((n for n in names if n in header), None)
            if found is None:
                raise SourceError(self.path, f"missing column for the country {role}", row=1, field=names[0], expected=f"one of {list(names)}", found=header)
            columns[role] = found
        for n, row in rows:
            raw_code = row[columns["code"]]
            try:
                code = int(raw_code)
            except ValueError:
                raise SourceError(self.path, "country code is not a number", row=n, field=columns["code"], found=raw_code) from None
            name, iso3 = row[columns["name"]], row[columns["iso3"]]
            kind, resolved = classify_code(iso3, name)
            if kind == AGGREGATE:
                self.aggregates[code] = f"{name} ({iso3})" if iso3 else name
            elif kind == UNKNOWN or resolved is None:
                self.unknown[code] = (n, iso3, name)
            else:
                self.iso3[code] = resolved

    def check(self, code: int, trade_file: Path, row: int, field: str) -> None:
        """Raise for a code the trade file uses that no ISO3 or aggregate explains."""
        if code in self.unknown:
            n, iso3, name = self.unknown[code]
            raise UnmappedNameError(
                self.path,
                f"country code {code} ({name!r}), used in {trade_file.name} line {row} field {field!r}, has no ISO 3166 code",
                row=n,
                field=_CODE_COLUMNS["iso3"][0],
                found=iso3,
                expected="an ISO 3166 alpha-3 code, an aggregate code, or a line in critmin/vocab/country_code_aliases.csv",
            )
        if code not in self.iso3 and code not in self.aggregates:
            raise SourceError(trade_file, f"country code {code} is not in {self.path.name}", row=row, field=field, found=code, expected="a code listed in the BACI country-code file")


def _selection(hs_filter: Collection[str] | Literal["all"] | None) -> tuple[frozenset[str], frozenset[str], frozenset[str]] | None:
    if hs_filter == "all":
        return None
    if hs_filter is None:
        return hs_matcher(critical_hs_prefixes())
    return hs_matcher(hs_filter)


def _numbers(values: pd.Series, path: Path, lines: pd.Series, field: str, *, integer: bool) -> pd.Series:
    """Parse text cells as numbers; the first bad cell raises naming its line."""
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna() | (parsed < 0)
    if integer:
        bad |= parsed % 1 != 0
    if bad.any():
        idx = bad.idxmax()
        raise SourceError(
            path,
            "not a non-negative " + ("whole number" if integer else "number"),
            row=int(lines[idx]),
            field=field,
            found=values[idx],
            expected={"t": "a year", "i": "a BACI country code", "j": "a BACI country code", "v": "a value in thousand US$"}.get(field, "a number"),
        )
    return parsed


def _decode(raw: bytes, path: Path, line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"cannot decode byte 0x{raw[exc.start]:02x} as UTF-8", row=line, expected="a BACI CSV (ASCII text)") from None


def _header_positions(path: Path, first_line: str | None) -> list[int]:
    if first_line is None or not first_line.strip():
        raise SourceError(path, "file is empty", row=1, expected="the header t,i,j,k,v,q")
    names = [c.strip().strip('"').strip() for c in first_line.rstrip("\r\n").split(",")]
    missing = [c for c in TRADE_COLUMNS if c not in names]
    if missing:
        raise SourceError(path, f"missing column(s) {missing}", row=1, field=missing[0], expected="the header t,i,j,k,v,q", found=names)
    if len(names) != len(TRADE_COLUMNS):
        raise SourceError(path, f"header has {len(names)} columns", row=1, expected="exactly t,i,j,k,v,q", found=names)
    return [names.index(c) for c in TRADE_COLUMNS]


def read_baci(
    path: Path,
    country_codes_path: Path,
    *,
    hs_filter: Collection[str] | Literal["all"] | None = None,
    revision: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> TradeLoad:
    """Read one BACI yearly file into ``bilateral_trade`` rows.

    Parameters
    ----------
    path
        A yearly file, e.g. ``BACI_HS22_Y2022_V202501.csv``.
    country_codes_path
        The release's ``country_codes_V*.csv``.
    hs_filter
        HS codes or prefixes (2, 4 or 6 digits) to keep. ``None`` keeps the
        critical-mineral codes of :mod:`critmin.live.hs_commodities`; ``"all"`` keeps
        every row (several million for a recent year, several GB in memory).
    revision
        HS revision (``HS22`` or ``HS2022``) when the file name does not say it.
    batch_rows
        Kept lines parsed together (memory/speed trade-off only).

    Returns
    -------
    TradeLoad
        ``table`` and ``skipped``: lines outside ``hs_filter``, lines whose exporter or
        importer is an aggregate (by name), blank lines.

    Raises
    ------
    SourceError
        A missing column, a line without six cells, a bad number, a code missing from
        the code file, bytes that are not UTF-8.
    UnmappedNameError
        A code whose iso3 is three letters but not ISO 3166.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError(path, "file not found", expected="a BACI yearly CSV (BACI_HS??_Y????_V??????.csv)")
    codes = CountryCodes(country_codes_path)
    selection = _selection(hs_filter)
    two, four, six = selection if selection is not None else (frozenset(), frozenset(), frozenset())
    if revision is None:
        m = _FILE_REVISION.search(path.name)
        revision = m.group(1) if m else None
    revision_label = hs_revision(revision)
    skipped: Counter = Counter()
    parts: list[pd.DataFrame] = []
    batch: list[tuple[int, str, str, str, str, str, str]] = []
    with open(path, "rb") as fh:
        first = fh.readline()
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        pt, pi, pj, pk, pv, pq = _header_positions(path, _decode(first, path, 1) if first else None)
        for n, raw_bytes in enumerate(fh, start=2):
            line = _decode(raw_bytes, path, n).rstrip("\r\n")
            if not line.strip():
                skipped["blank line"] += 1
                continue
            cells = line.split(",")
            if len(cells) != 6 and '"' in line:
                cells = next(csv.reader([line]))
            if len(cells) != 6:
                raise SourceError(path, f"line has {len(cells)} cells, the header 6 (file truncated or damaged?)", row=n, expected="t,i,j,k,v,q on every line", found=line[:80])
            k = cells[pk].strip().strip('"')
            if k.isdigit() and len(k) < 6:
                k = k.zfill(6)
            if selection is not None and not (k[:6] in six or k[:4] in four or k[:2] in two):
                skipped["HS code outside the selection"] += 1
                continue
            batch.append((n, cells[pt], cells[pi], cells[pj], k, cells[pv], cells[pq]))
            if len(batch) >= batch_rows:
                parts.append(_batch_rows(batch, path, codes, revision_label, skipped))
                batch = []
    if batch:
        parts.append(_batch_rows(batch, path, codes, revision_label, skipped))
    parts = [p for p in parts if not p.empty]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(COLUMNS))
    return TradeLoad(typed_table(table), skipped)


def _batch_rows(
    batch: list[tuple[int, str, str, str, str, str, str]],
    path: Path,
    codes: CountryCodes,
    revision: str | None,
    skipped: Counter,
) -> pd.DataFrame:
    cells = pd.DataFrame.from_records(batch, columns=["line", *TRADE_COLUMNS])
    for col in TRADE_COLUMNS:
        cells[col] = cells[col].str.strip().str.strip('"').str.strip()
    line = cells["line"]
    t = _numbers(cells["t"], path, line, "t", integer=True)
    bad_year = (t < 1900) | (t > 2100)
    if bad_year.any():
        idx = bad_year.idxmax()
        raise SourceError(path, "not a year", row=int(line[idx]), field="t", found=cells["t"][idx], expected="a year")
    i = _numbers(cells["i"], path, line, "i", integer=True).astype("int64")
    j = _numbers(cells["j"], path, line, "j", integer=True).astype("int64")
    v = _numbers(cells["v"], path, line, "v", integer=False)
    q_text = cells["q"]
    q_missing = q_text == ""
    q_na = q_text.str.upper() == "NA"
    q_given = ~(q_missing | q_na)
    q = pd.Series(np.nan, index=cells.index)
    if q_given.any():
        q[q_given] = _numbers(q_text[q_given], path, line[q_given], "q", integer=False)
    for field, series in (("i", i), ("j", j)):
        for code in series.unique():
            if int(code) not in codes.iso3:
                first = series.index[series.to_numpy() == code][0]
                codes.check(int(code), path, int(line[first]), field)
    exporter = i.map(codes.iso3)
    importer = j.map(codes.iso3)
    keep = exporter.notna() & importer.notna()
    if not keep.all():
        for ci, cj in zip(i[~keep], j[~keep]):
            name = codes.aggregates.get(int(ci)) if int(ci) not in codes.iso3 else codes.aggregates.get(int(cj))
            skipped[f"exporter or importer is an aggregate or unspecified area: {name}"] += 1
    qualifier = pd.Series("exact", index=cells.index, dtype=object)
    qualifier[q_missing] = "missing"
    qualifier[q_na] = "not_available"
    k = cells["k"]
    commodity = {code: list(commodities_for_hs(code)) for code in k[keep].unique()}
    return pd.DataFrame(
        {
            "dataset": "baci",
            "exporter_iso3": exporter[keep].to_numpy(),
            "importer_iso3": importer[keep].to_numpy(),
            "hs": k[keep].to_numpy(),
            "hs_revision": revision,
            "commodity_ids": k[keep].map(commodity).to_numpy(),
            "year": t[keep].astype("int64").to_numpy(),
            "value_usd": (v[keep] * 1000.0).to_numpy(),
            "quantity_t": q[keep].to_numpy(),
            "quantity_qualifier": qualifier[keep].to_numpy(),
            "source_id": SOURCE_INFO.source_id,
            "source_file": path.name,
            "source_row": line[keep].to_numpy(),
        }
    )

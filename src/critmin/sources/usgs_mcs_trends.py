"""USGS Mineral Commodity Summaries: the "Mineral Industry Trends and Salient Statistics" tables.

Every MCS data release since 2023 has a folder of small CSV tables behind the figures and
tables of the report's introduction (``usgs_mcs20xx/industry_trends/``, UTF-8 with a
byte-order mark; the 2026 files have LF line endings, the others CRLF). One reader per
release, each a manifest entry of its own (``usgs_mcs2023_trends`` ... ``usgs_mcs2026_trends``).

Tables read
-----------
``MCS20xx_Fig2_Net_Import_Reliance.csv`` -> ``nir`` (all four releases)
    U.S. net import reliance (NIR) of the latest, estimated year and the major import sources.
    The header differs by release: ``Import_Share_Rank`` (2023) or ``Import_Share_Order``;
    ``Net_Import_Reliance_pct_2022`` ... ``_2025`` (the year is read from the column name);
    ``Major_Import_Sources_2018_2021`` ... ``_2021_24`` (the period, stored as ``2018-21`` ...
    ``2021-24``); 2023 has no ``Notes`` column. Commodity names are upper case with the form
    after a comma ("RARE EARTHS, compounds and metals" -> ``rare-earths`` / "compounds and
    metals"; "TITANIUM, sponge" -> ``titanium`` / "sponge"), sometimes with trailing spaces
    ("CHROMIUM, all forms "). NIR is ``100``, a number, or bounded (``>95``, ``>75``, ``>50``,
    ``>25``, ``<50``, ``<25``); ``E`` would be net exporter. The metadata defines NIR as
    "net import reliance as a percentage of apparent consumption, estimated", so a plain number
    gets qualifier ``estimated``. ``import_sources`` keeps the published names in the
    publisher's order (descending import share); ``import_sources_iso3`` lists the ISO3 codes
    of those that are countries, in the same order ("Europe", a region named in 2023, has
    none). Imports from Hong Kong are included with China (the notes say so), so China stays
    ``CHN``. Sources written ``NA`` (xenon, krypton, neon in 2026) give empty lists.
    Footnote digits ("China3") and stray spaces ("Congo (Kinshasa),  India") are removed.
    The rare-earths row keeps its note listing the lanthanides it covers, so that it can be
    expanded to each element later.
``MCS2024_T5``, ``MCS2025_T5`` and ``MCS2026_T7`` ``_Critical_Minerals_Salient.csv`` -> ``critical_salient``
    One row per critical mineral, made long: one row per field (``primary_production``,
    ``secondary_production``, ``apparent_consumption``, ``net_import_reliance``,
    ``leading_country_production``, ``leading_country_share_pct``, ``world_production``).
    ``Year`` is written ``2025_estimated``: year 2025, plain numbers ``estimated``.
    Names have trailing spaces ("Arsenic ") and footnote digits ("Rare earths (compounds and
    metals)9"); "Aluminum (bauxite)" maps to ``bauxite`` (the figures are bauxite's).
    Countries have leading spaces (" Republic of Korea"). Units: the 2026 table has a
    ``Units`` column; the 2024/2025 metadata give metric tons for the quantities. The NIR and
    the leading country's share are percent. The 2024 header is misspelt
    (``Apparent_Consuption``, ``Contsumption_Notes``) and ordered differently; columns are
    found by name. Blank cells in a row that exists (zinc's secondary production in 2026)
    become rows with qualifier ``missing``.
``MCS2026_Fig3_Major_Import_Sources.csv`` -> ``import_shares`` (2026 only)
    The new layout with percentage shares by partner for 2021-24 (``Other`` is the residual,
    kind ``other``). Partner ``NA`` (cesium, iridium, rhodium, rubidium, metallurgical coal,
    uranium; hafnium also has share ``NA``) means the source is not available: kept with
    ``partner_kind='unknown'``. The figure's ``NIR`` and ``Critical_Mineral`` columns go into
    ``notes`` as published. These rows have their own ``source_id`` (``usgs_mcs2026_trends``),
    so they can be told apart from the ``Import Sources`` section of the long data file.
``MCS2026_T4_Country_Export_Control.csv`` -> ``export_controls`` (2026 only)
    One row per country and commodity named in ``Commodity_Year``, a sentence of
    ``name (year)`` items: "Bauxite (2023), copper concentrates (2023), and nickel ore (2020)."
    Each item is one measure, ``measure_id`` ``USGS-T4-<ISO3>-<n>``; ``year`` is the year in
    parentheses. Items name materials, mapped by
    :func:`critmin.sources.export_register.commodities_named`: a form of a commodity maps to
    the commodity ("nickel ore" -> ``nickel``, "copper concentrates" -> ``copper``), a list
    to each commodity ("Ores and concentrates of cobalt, graphite, ..."), and a material
    that is no commodity ("Raw minerals, including ...", "Metal waste and scrap", "Natural
    sand") gives a row with ``commodity_id`` null; ``materials`` always keeps the published
    item. The table excludes controls that have been lifted and is "effective as of January
    2026", so ``status`` is ``active``. Control types have trailing spaces
    ("Temporary export ban ").
``MCS2026_T5_Trade_Agreements.csv`` -> ``agreements`` (2026 only)
    The header has ``Signing_date`` twice: first as ``20-Oct-25``, then as ISO
    ``2025-10-20``. The reader checks that the two agree and fails if not, except for one
    publisher error it knows: the Japan and Republic of Korea trilateral statement has
    ``23-Aug`` but ``2025-09-23``; its source (state.gov release of 2025-09) confirms the ISO
    date. A date given only to the month (Philippines: ``25-Feb`` / ``2025-02``) leaves
    ``signing_date`` null and says "signed 2025-02" in ``focus_area``: critmin does not
    invent a day. The partner "Japan and Republic of Korea" is a group: one row per member.

Not read (counted in ``ReadResult.skipped`` with the number of data rows)
--------------------------------------------------------------------------
* Fig3 of 2023-2025 (``Country,Commodity_Count,Map_Class``): the number of commodities for
  which each country is a major import source; a count for a map, not a schema table.
* Fig1 and Fig4 (value of the minerals economy, value by type), Fig10 (price growth rates),
  Fig11/Fig12 (percent change in consumption), Fig13 (scrap), T1 (industry trends), T2
  (economic trends), T3 (value of production by state), T4 of 2023-2025 and T6 of 2026
  (end uses of critical minerals): not in the schema, not read yet.
* The FGDC XML metadata files are documentation, not data.

Anything else wrong (missing column, a row of another release, truncated file, wrong
encoding, unmapped country or commodity) raises :class:`~critmin.errors.SourceError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame, relative_to_data
from critmin.sources.expectations import Bounds, Expectation, Shape, Values, Where, expects
from critmin.sources.export_register import commodities_named
from critmin.sources.usgs_mcs2026 import clean_text, read_complete_csv
from critmin.values import parse_value, parsed_columns
from critmin.vocab.commodities import resolve_commodity
from critmin.vocab.countries import COUNTRY, resolve_country, split_country_list

ENCODING = "utf-8-sig"
PUBLISHER = "U.S. Geological Survey, National Minerals Information Center"
PUBLIC_DOMAIN = "Public domain (U.S. Government work)"


@dataclass(frozen=True)
class Release:
    """One MCS data release: where its trends tables are and how to cite it."""

    vintage: int
    doi: str
    published: str
    citation: str
    licence: str = PUBLIC_DOMAIN
    url: str = ""
    notes: str = ""

    @property
    def source_id(self) -> str:
        return f"usgs_mcs{self.vintage}_trends"

    @property
    def folder(self) -> str:
        return f"usgs_mcs{self.vintage}/industry_trends"

    def info(self) -> SourceInfo:
        return SourceInfo(
            source_id=self.source_id,
            title=f"Mineral Commodity Summaries {self.vintage} Data Release: mineral industry trends and salient statistics",
            publisher=PUBLISHER,
            citation=self.citation,
            licence=self.licence,
            vintage=self.vintage,
            doi=self.doi,
            url=self.url or f"https://doi.org/{self.doi}",
            published=self.published,
            notes=self.notes,
        )


RELEASES: dict[int, Release] = {
    2023: Release(
        2023,
        "10.5066/P9WCYUI6",
        "2023-01-31",
        "National Minerals Information Center, 2023, U.S. Geological Survey Mineral Commodity Summaries 2023 Data Release: "
        "U.S. Geological Survey data release, https://doi.org/10.5066/P9WCYUI6",
    ),
    2024: Release(
        2024,
        "10.5066/P144BA54",
        "2024-01-31",
        "National Minerals Information Center, 2024, U.S. Geological Survey Mineral Commodity Summaries 2024 Data Release "
        "(ver. 2.0, March 2024): U.S. Geological Survey data release, https://doi.org/10.5066/P144BA54",
        notes="Revised 2024-03-05 (version 2.0).",
    ),
    2025: Release(
        2025,
        "10.5066/P13XCP3R",
        "2025-01-31",
        "National Minerals Information Center, 2025, Mineral Commodity Summaries 2025 Data Release: "
        "U.S. Geological Survey data release, https://doi.org/10.5066/P13XCP3R",
        url="https://www.sciencebase.gov/catalog/item/677eaf95d34e760b392c4970",
        notes="The release's XML metadata give the MCS2023 DOI in <onlink>, a USGS metadata error; the DOI here is the 2025 one.",
    ),
    2026: Release(
        2026,
        "10.5066/P1WKQ63T",
        "2026-02-06",
        "National Minerals Information Center, 2026, Mineral Commodity Summaries 2026 Data Release: "
        "U.S. Geological Survey data release, https://doi.org/10.5066/P1WKQ63T",
        licence="CC0 1.0 Universal (public domain; U.S. Government work)",
        url="https://www.sciencebase.gov/catalog/item/696a75d5d4be0228872d3bf8",
        notes="The industry-trends FGDC metadata file of 2026 was not available; definitions follow the 2025 metadata.",
    ),
}

#: Tables that exist but are not read, by the part of the file name after ``MCS20xx_``.
NOT_READ: dict[str, str] = {
    "Fig1_": "value of the minerals economy; not in the schema, not read yet",
    "Fig3_": "counts of commodities per major import-source country (map classes); not a schema table",
    "Fig4_": "value of raw and processed mineral production by type; not in the schema, not read yet",
    "Fig10_": "price growth rates of critical minerals; not in the schema, not read yet",
    "Fig11_": "percent change in consumption; not in the schema, not read yet",
    "Fig12_": "percent change in consumption; not in the schema, not read yet",
    "Fig13_": "scrap; not in the schema, not read yet",
    "T1_": "mineral industry trends; not in the schema, not read yet",
    "T2_": "mineral economic trends; not in the schema, not read yet",
    "T3_": "value of production by state; not in the schema, not read yet",
    "T4_Critical_Minerals_End_Use": "end uses of critical minerals; not in the schema, not read yet",
    "T6_Critical_Minerals_End_Use": "end uses of critical minerals; not in the schema, not read yet",
}

_NIR_COLUMN_RE = re.compile(r"^Net_Import_Reliance_pct_(\d{4})$")
_SOURCES_COLUMN_RE = re.compile(r"^Major_Import_Sources_(\d{4})_(\d{2}|\d{4})$")
_PERIOD_COLUMN_RE = re.compile(r"^Import_Source_(\d{4})_(\d{2}|\d{4})$")
_YEAR_LABEL_RE = re.compile(r"^(\d{4})(?:_(estimated))?$", re.I)
_NOT_AVAILABLE = {"NA", ""}


_PERCENT = "a percentage (0-100)"

#: Value rules of the trends tables: NIR is a percentage of apparent consumption (or E, which
#: the checker allows in NIR fields).
TRENDS_VALUES: dict[str, Values] = {
    "nir": Values(
        bounds=(Bounds(0, 100, doc="net import reliance as a percentage of apparent consumption"),),
        field="Net_Import_Reliance_pct_{year}",
    ),
    "critical_salient": Values(
        bounds=(Bounds(0, 100, Where(field=("net_import_reliance", "leading_country_share_pct")), doc=_PERCENT),),
        field="{field} ({year_label})",
    ),
    "import_shares": Values(bounds=(Bounds(0, 100, doc="percent of U.S. imports"),), field="Percent ({partner_name})"),
}

#: The tables of each release that are read, with their documented data rows
#: (SOURCES.md §1a-1d; 2023 Fig. 2 has 65 rows, 2024 Fig. 2 63: counted in the files).
TRENDS_TABLES: dict[int, dict[str, int]] = {
    2023: {"Fig2_Net_Import_Reliance.csv": 65},
    2024: {"Fig2_Net_Import_Reliance.csv": 63, "T5_Critical_Minerals_Salient.csv": 31},
    2025: {"Fig2_Net_Import_Reliance.csv": 64, "T5_Critical_Minerals_Salient.csv": 31},
    2026: {
        "Fig2_Net_Import_Reliance.csv": 68, "Fig3_Major_Import_Sources.csv": 191, "T4_Country_Export_Control.csv": 19,
        "T5_Trade_Agreements.csv": 9, "T7_Critical_Minerals_Salient.csv": 39,
    },
}


def _expectation(vintage: int) -> Expectation:
    release = RELEASES[vintage]
    paths = {f"{release.folder}/MCS{vintage}_{name}": rows for name, rows in TRENDS_TABLES[vintage].items()}
    return Expectation(
        files=tuple(paths),
        shapes=tuple(Shape(p, rows=rows, doc=f"MCS{vintage} industry-trends table as published") for p, rows in paths.items()),
        tables=TRENDS_VALUES,
    )


@expects(_expectation(2023))
def read_mcs2023_trends(data_dir: Path) -> ReadResult:
    """Read the MCS2023 industry-trends tables (Fig. 2 net import reliance)."""
    return _read_release(RELEASES[2023], data_dir)


@expects(_expectation(2024))
def read_mcs2024_trends(data_dir: Path) -> ReadResult:
    """Read the MCS2024 industry-trends tables (Fig. 2 NIR, T5 critical-minerals salient)."""
    return _read_release(RELEASES[2024], data_dir)


@expects(_expectation(2025))
def read_mcs2025_trends(data_dir: Path) -> ReadResult:
    """Read the MCS2025 industry-trends tables (Fig. 2 NIR, T5 critical-minerals salient)."""
    return _read_release(RELEASES[2025], data_dir)


@expects(_expectation(2026))
def read_mcs2026_trends(data_dir: Path) -> ReadResult:
    """Read the MCS2026 industry-trends tables (Fig. 2, Fig. 3 shares, T4 export controls, T5 agreements, T7)."""
    return _read_release(RELEASES[2026], data_dir)


def _read_release(release: Release, data_dir: Path) -> ReadResult:
    folder = data_dir / release.folder
    prefix = f"MCS{release.vintage}_"
    files: list[Path] = []
    skipped: Counter = Counter()
    tables: dict[str, list[dict[str, object]]] = {
        "nir": [], "critical_salient": [], "import_shares": [], "export_controls": [], "agreements": [],
    }
    readers = {
        "Fig2_Net_Import_Reliance.csv": ("nir", read_net_import_reliance),
        "T5_Critical_Minerals_Salient.csv": ("critical_salient", read_critical_salient),
        "T7_Critical_Minerals_Salient.csv": ("critical_salient", read_critical_salient),
    }
    if release.vintage >= 2026:
        readers["Fig3_Major_Import_Sources.csv"] = ("import_shares", read_import_shares)
        readers["T4_Country_Export_Control.csv"] = ("export_controls", read_export_controls)
        readers["T5_Trade_Agreements.csv"] = ("agreements", read_agreements)
    fig2 = folder / f"{prefix}Fig2_Net_Import_Reliance.csv"
    if not fig2.is_file():
        raise SourceError(fig2, "file not found", expected="the release's Fig. 2 net-import-reliance table (see SOURCES.md)")

    for path in sorted(folder.glob("*.csv")):
        name = path.name
        if not name.startswith(prefix):
            raise SourceError(path, "file of another release in this folder", expected=f"file names starting with {prefix}")
        table_part = name[len(prefix) :]
        if table_part in readers:
            table, reader = readers[table_part]
            rows, blank = reader(path, data_dir, release)
            tables[table].extend(rows)
            files.append(path)
            if blank:
                skipped[f"{name}: blank line"] += blank
            continue
        reason = next((why for key, why in NOT_READ.items() if table_part.startswith(key)), None)
        if reason is None:
            reason = "table not known to critmin; not read"
        skipped[f"{name}: {reason}"] += _count_data_rows(path)

    return ReadResult(
        info=release.info(),
        files=files,
        tables={name: frame(name, rows) for name, rows in tables.items() if rows},
        skipped=skipped,
    )


def _count_data_rows(path: Path) -> int:
    """Data rows of a table that is not read, for ``skipped``; lenient, since nothing is taken from it."""
    text = path.read_bytes().decode(ENCODING, errors="replace")
    records = list(csv.reader(io.StringIO(text, newline="")))
    return sum(1 for cells in records[1:] if any(c.strip() for c in cells))


def _provenance(release: Release, rel: str, n: int) -> dict[str, object]:
    return {"source_id": release.source_id, "source_file": rel, "source_row": n}


def _check_source(cells: dict[str, str], release: Release, *, file: str, row: int) -> None:
    expected = f"MCS{release.vintage}"
    if "Source" in cells and clean_text(cells["Source"]) != expected:
        raise SourceError(file, "row of another release", row=row, field="Source", found=cells["Source"], expected=expected)


def _one_column(header: list[str], pattern: re.Pattern[str], *, file: str, what: str) -> tuple[str, re.Match[str]]:
    found = [(h, m) for h in header if (m := pattern.match(h))]
    if len(found) != 1:
        raise SourceError(file, f"expected exactly one {what} column", row=1, found=header, expected=f"one column matching {pattern.pattern}")
    return found[0]


def _period(start: str, end: str) -> str:
    return f"{start}-{end[-2:]}"


def read_net_import_reliance(path: Path, data_dir: Path, release: Release) -> tuple[list[dict[str, object]], int]:
    """Rows of the ``nir`` table from one ``Fig2_Net_Import_Reliance.csv``.

    Returns
    -------
    rows, blank_lines
    """
    rel = relative_to_data(path, data_dir)
    header, rows, blank = read_complete_csv(path, ENCODING, required=("Source", "Commodity"))
    rank_column = next((c for c in ("Import_Share_Order", "Import_Share_Rank") if c in header), None)
    if rank_column is None:
        raise SourceError(rel, "missing rank column", row=1, field="Import_Share_Order", found=header, expected="Import_Share_Order or Import_Share_Rank")
    nir_column, nir_match = _one_column(header, _NIR_COLUMN_RE, file=rel, what="Net_Import_Reliance_pct_<year>")
    sources_column, sources_match = _one_column(header, _SOURCES_COLUMN_RE, file=rel, what="Major_Import_Sources_<period>")
    year = int(nir_match.group(1))
    period = _period(sources_match.group(1), sources_match.group(2))

    out: list[dict[str, object]] = []
    for n, cells in rows:
        _check_source(cells, release, file=rel, row=n)
        published = clean_text(cells["Commodity"])
        commodity = resolve_commodity(published, file=rel, row=n, field="Commodity")
        rank_text = clean_text(cells[rank_column])
        if not rank_text.isdigit():
            raise SourceError(rel, "rank is not a whole number", row=n, field=rank_column, found=rank_text, expected="1, 2, 3, ...")
        names, iso3, source_notes = _import_sources(cells[sources_column], file=rel, row=n, field=sources_column)
        notes = "; ".join(x for x in (clean_text(cells.get("Notes", "")), *source_notes) if x) or None
        out.append(
            {
                "vintage": release.vintage,
                "commodity_id": commodity.commodity_id,
                "form": commodity.form or None,
                "published_name": published,
                "year": year,
                "rank": int(rank_text),
                **parsed_columns(parse_value(clean_text(cells[nir_column]), estimated=True)),
                "import_sources": names,
                "import_sources_iso3": iso3,
                "sources_period": period,
                "notes": notes,
                **_provenance(release, rel, n),
            }
        )
    return out, blank


def _import_sources(text: str, *, file: str, row: int, field: str) -> tuple[list[str], list[str], list[str]]:
    """Published names (cleaned), ISO3 of the countries among them, and notes on the rest."""
    text = clean_text(text)
    if text in _NOT_AVAILABLE:
        return [], [], [f"Major import sources published as {text or 'blank'!r} (not available)."]
    names: list[str] = []
    iso3: list[str] = []
    notes: list[str] = []
    for name in split_country_list(text):
        ref = resolve_country(name, file=file, row=row, field=field)
        clean_name = name if not ref.footnote else name[: -len(ref.footnote)].strip()
        names.append(clean_name)
        if ref.kind == COUNTRY and ref.iso3:
            iso3.append(ref.iso3)
        else:
            notes.append(f"Import source {clean_name!r} is a {ref.kind}, not a country: not in import_sources_iso3.")
    return names, iso3, notes


# --- critical-minerals salient table (2024 T5, 2025 T5, 2026 T7) -------------------------------

#: field -> accepted column names (the 2024 header is misspelt)
_SALIENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("Critical_mineral",),
    "year": ("Year",),
    "primary_production": ("Primary_prod",),
    "secondary_production": ("Secondary_prod",),
    "production_notes": ("Prod_notes",),
    "apparent_consumption": ("Apparent_Consumption", "Apparent_Consuption"),
    "consumption_notes": ("Consumption_Notes", "Contsumption_Notes", "Comsumption_Notes"),
    "net_import_reliance": ("Net_Import_Reliance",),
    "import_sources": ("Primary_import_source", "Primary_import_sources_2021-24", "Primary_import_sources"),
    "import_notes": ("Import_source_notes",),
    "leading_country": ("Leading_source_country",),
    "leading_country_production": ("Leading_country_prod",),
    "leading_country_share_pct": ("Leading_source_precent_world", "Leading_source_percent_world"),
    "world_production": ("World_total_prod",),
    "world_notes": ("World_prod_notes",),
}
#: value field -> the notes column that speaks about it
_SALIENT_FIELDS: dict[str, str] = {
    "primary_production": "production_notes",
    "secondary_production": "production_notes",
    "apparent_consumption": "consumption_notes",
    "net_import_reliance": "import_notes",
    "leading_country_production": "world_notes",
    "leading_country_share_pct": "world_notes",
    "world_production": "world_notes",
}
_PERCENT_FIELDS = {"net_import_reliance", "leading_country_share_pct"}
#: unit of quantities when the table has no ``Units`` column (FGDC metadata of 2024/2025)
_DEFAULT_QUANTITY_UNIT = "metric tons"


def read_critical_salient(path: Path, data_dir: Path, release: Release) -> tuple[list[dict[str, object]], int]:
    """Rows of ``critical_salient`` from one critical-minerals salient table, one per field."""
    rel = relative_to_data(path, data_dir)
    header, rows, blank = read_complete_csv(path, ENCODING, required=("Source",))
    columns: dict[str, str] = {}
    for key, names in _SALIENT_COLUMNS.items():
        column = next((c for c in names if c in header), None)
        if column is None:
            raise SourceError(rel, f"missing column {names[0]!r}", row=1, field=names[0], found=header, expected=f"one of {list(names)}")
        columns[key] = column
    units_column = "Units" if "Units" in header else None

    out: list[dict[str, object]] = []
    for n, cells in rows:
        _check_source(cells, release, file=rel, row=n)
        get = {key: clean_text(cells[column]) for key, column in columns.items()}
        year_label = get["year"]
        m = _YEAR_LABEL_RE.match(year_label)
        if m is None:
            raise SourceError(rel, "year label not understood", row=n, field=columns["year"], found=year_label, expected="a year such as 2025 or 2025_estimated")
        year, estimated = int(m.group(1)), m.group(2) is not None
        published = get["name"]
        commodity = resolve_commodity(published, file=rel, row=n, field=columns["name"])
        sources = [] if get["import_sources"] in _NOT_AVAILABLE else split_country_list(get["import_sources"])
        for name in sources:
            resolve_country(name, file=rel, row=n, field=columns["import_sources"])
        leading = get["leading_country"]
        leading_iso3 = None
        if leading not in _NOT_AVAILABLE:
            leading_iso3 = resolve_country(leading, file=rel, row=n, field=columns["leading_country"]).iso3
        quantity_unit = clean_text(cells[units_column]) if units_column else _DEFAULT_QUANTITY_UNIT
        for field, notes_key in _SALIENT_FIELDS.items():
            notes = [get[notes_key]]
            if field == "leading_country_production" and leading:
                notes.insert(0, f"Leading producing country: {leading}.")
            out.append(
                {
                    "vintage": release.vintage,
                    "commodity_id": commodity.commodity_id,
                    "form": commodity.form or None,
                    "published_name": published,
                    "year": year,
                    "year_label": year_label,
                    "field": field,
                    **parsed_columns(parse_value(get[field], estimated=estimated)),
                    "unit": "percent" if field in _PERCENT_FIELDS else (quantity_unit or None),
                    "primary_import_sources": sources,
                    "leading_country_iso3": leading_iso3,
                    "notes": " ".join(x for x in notes if x) or None,
                    **_provenance(release, rel, n),
                }
            )
    return out, blank


# --- 2026 Fig. 3: import shares by partner ------------------------------------------------------


def read_import_shares(path: Path, data_dir: Path, release: Release) -> tuple[list[dict[str, object]], int]:
    """Rows of ``import_shares`` from ``MCS2026_Fig3_Major_Import_Sources.csv``."""
    rel = relative_to_data(path, data_dir)
    header, rows, blank = read_complete_csv(path, ENCODING, required=("Source", "Commodity", "Percent"))
    partner_column, match = _one_column(header, _PERIOD_COLUMN_RE, file=rel, what="Import_Source_<period>")
    period = _period(match.group(1), match.group(2))
    out: list[dict[str, object]] = []
    for n, cells in rows:
        _check_source(cells, release, file=rel, row=n)
        commodity = resolve_commodity(clean_text(cells["Commodity"]), file=rel, row=n, field="Commodity")
        partner_name = clean_text(cells[partner_column])
        notes: list[str] = []
        if partner_name in _NOT_AVAILABLE:
            partner_iso3, partner_kind = None, "unknown"
            partner_name = partner_name or "(blank)"
            notes.append("Import source published as NA (not available).")
        else:
            ref = resolve_country(partner_name, file=rel, row=n, field=partner_column)
            partner_iso3, partner_kind = ref.iso3, ref.kind
        for column in ("NIR", "Critical_Mineral"):
            if column in cells:
                notes.append(f"{column} as published in Fig. 3: {clean_text(cells[column]) or '(blank)'}.")
        out.append(
            {
                "vintage": release.vintage,
                "commodity_id": commodity.commodity_id,
                "form": commodity.form or None,
                "partner_iso3": partner_iso3,
                "partner_name": partner_name,
                "partner_kind": partner_kind,
                "period": period,
                **parsed_columns(parse_value(clean_text(cells["Percent"]))),
                "notes": " ".join(notes) or None,
                **_provenance(release, rel, n),
            }
        )
    return out, blank


# --- 2026 T4: export controls by country --------------------------------------------------------

_ITEM_YEAR_RE = re.compile(r"\((\d{4})\)")


def split_commodity_years(text: str, *, file: str, row: int, field: str) -> list[tuple[str, int]]:
    """Split "Bauxite (2023), copper concentrates (2023), and nickel ore (2020)." into items.

    Each item ends with a year in parentheses; the text between two years is one item, with
    the list's ", and" removed. Text after the last year other than a full stop is an error.
    """
    items: list[tuple[str, int]] = []
    position = 0
    for m in _ITEM_YEAR_RE.finditer(text):
        item = re.sub(r"^[\s,;]*(?:and\s+)?", "", text[position : m.start()]).strip(" ,;")
        if not item:
            raise SourceError(file, "a year without a material before it", row=row, field=field, found=text, expected="items 'name (year)'")
        items.append((item, int(m.group(1))))
        position = m.end()
    rest = text[position:].strip()
    if not items or rest not in {"", "."}:
        raise SourceError(file, "text is not a list of 'name (year)' items", row=row, field=field, found=text, expected="e.g. 'Bauxite (2023), and nickel ore (2020).'")
    return items


def read_export_controls(path: Path, data_dir: Path, release: Release) -> tuple[list[dict[str, object]], int]:
    """Rows of ``export_controls`` from ``MCS2026_T4_Country_Export_Control.csv``."""
    rel = relative_to_data(path, data_dir)
    _, rows, blank = read_complete_csv(path, ENCODING, required=("Country", "Control_Type", "Commodity_Year", "Data_source", "Notes"))
    out: list[dict[str, object]] = []
    counters: Counter = Counter()
    for n, cells in rows:
        country = resolve_country(clean_text(cells["Country"]), file=rel, row=n, field="Country")
        if country.kind != COUNTRY or not country.iso3:
            raise SourceError(rel, "export control of something that is not a country", row=n, field="Country", found=cells["Country"], expected="a country")
        control_type = clean_text(cells["Control_Type"])
        if not control_type:
            raise SourceError(rel, "blank control type", row=n, field="Control_Type", expected="e.g. 'Export ban'")
        for item, year in split_commodity_years(clean_text(cells["Commodity_Year"]), file=rel, row=n, field="Commodity_Year"):
            counters[country.iso3] += 1
            measure_id = f"USGS-T4-{country.iso3}-{counters[country.iso3]}"
            for commodity_id in commodities_named(item, file=rel, row=n, field="Commodity_Year"):
                out.append(
                    {
                        "measure_id": measure_id,
                        "country_iso3": country.iso3,
                        "commodity_id": commodity_id,
                        "materials": item,
                        "control_type": control_type,
                        "year": year,
                        "announced_date": None,
                        "effective_date": None,
                        "status": "active",
                        "scope_notes": clean_text(cells["Notes"]) or None,
                        "source_url": clean_text(cells["Data_source"]) or None,
                        "verification_note": None,
                        **_provenance(release, rel, n),
                    }
                )
    return out, blank


# --- 2026 T5: trade agreements --------------------------------------------------------------------

#: (Country, first Signing_date, second Signing_date) the publisher got wrong, and why the ISO date holds.
KNOWN_SIGNING_DATE_ERRORS: dict[tuple[str, str, str], str] = {
    ("Japan and Republic of Korea", "23-Aug", "2025-09-23"): (
        "the source is the state.gov release of 2025-09 on the trilateral meeting in New York; the ISO date is right"
    ),
}


def _short_date(text: str) -> tuple[str, dt.date | tuple[int, int]] | None:
    """``20-Oct-25`` -> a date; ``25-Feb`` -> (2025, 2) read as year-month; else None."""
    for fmt in ("%d-%b-%y", "%d-%b-%Y"):
        try:
            return "day", dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    try:
        parsed = dt.datetime.strptime(text, "%y-%b")
    except ValueError:
        return None
    return "month", (parsed.year, parsed.month)


def _iso_date(text: str) -> tuple[str, dt.date | tuple[int, int]] | None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return "day", dt.date.fromisoformat(text)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return "month", (int(m.group(1)), int(m.group(2)))
    return None


def read_agreements(path: Path, data_dir: Path, release: Release) -> tuple[list[dict[str, object]], int]:
    """Rows of ``agreements`` from ``MCS2026_T5_Trade_Agreements.csv`` (two ``Signing_date`` columns)."""
    rel = relative_to_data(path, data_dir)
    header, rows, blank = read_complete_csv(path, ENCODING, required=("Country", "Agreement", "Signing_date", "Signing_date.1", "Focus_area", "Source"))
    out: list[dict[str, object]] = []
    for n, cells in rows:
        country_text = clean_text(cells["Country"])
        agreement = clean_text(cells["Agreement"])
        if not agreement:
            raise SourceError(rel, "blank agreement", row=n, field="Agreement", expected="the agreement's name")
        short, iso = clean_text(cells["Signing_date"]), clean_text(cells["Signing_date.1"])
        signing_date, month_only = _signing_date(country_text, short, iso, file=rel, row=n)
        focus = clean_text(cells["Focus_area"])
        if month_only:
            focus = f"{focus} [Signed {month_only}; the day is not published.]".strip()
        ref = resolve_country(country_text, file=rel, row=n, field="Country")
        members = [ref.iso3] if ref.iso3 else list(ref.members)
        if not members:
            raise SourceError(rel, "agreement partner is neither a country nor a group with members", row=n, field="Country", found=country_text, expected="a country or a group of countries")
        for iso3 in members:
            out.append(
                {
                    "vintage": release.vintage,
                    "country_iso3": iso3,
                    "agreement": agreement,
                    "signing_date": signing_date,
                    "focus_area": focus or None,
                    "source_url": clean_text(cells["Source"]) or None,
                    **_provenance(release, rel, n),
                }
            )
    return out, blank


def _signing_date(country: str, short: str, iso: str, *, file: str, row: int) -> tuple[dt.date | None, str]:
    """The signing date from the two published columns: (date or None, 'YYYY-MM' when month only)."""
    parsed_iso = _iso_date(iso)
    if parsed_iso is None:
        raise SourceError(file, "signing date is not an ISO date", row=row, field="Signing_date (second)", found=iso, expected="YYYY-MM-DD or YYYY-MM")
    if (country, short, iso) not in KNOWN_SIGNING_DATE_ERRORS:
        parsed_short = _short_date(short)
        if parsed_short != parsed_iso:
            raise SourceError(
                file,
                "the two Signing_date columns disagree",
                row=row,
                field="Signing_date",
                found=(short, iso),
                expected="the same date in both columns, e.g. '20-Oct-25' and '2025-10-20'",
            )
    precision, value = parsed_iso
    if precision == "day":
        return value, ""  # type: ignore[return-value]
    year, month = value  # type: ignore[misc]
    return None, f"{year:04d}-{month:02d}"

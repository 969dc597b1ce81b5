"""Busch et al. (2024) lithium deposits -> table ``lithium_deposits``.

File (SOURCES.md section 10): ``busch2024_lithium/Deposit.csv``, a byte copy of
``Parameters/Deposit.csv`` of the replication repository pmbusch/Critical-Minerals-EV
(commit 2aafd29f, MIT licence): 160 lithium deposits, UTF-8, comma separated, strings
quoted, ``NA`` for missing values, ``TRUE``/``FALSE`` for booleans.

Units, as the authors' R scripts define them (``Scripts/Supply Model/Prepare Deposit
Data/01-LoadDepositData.R`` and ``02-DepositParameters.R``):

=====================================  ===================================================
columns                                unit and meaning
=====================================  ===================================================
``reserve``, ``resource_demostrated``  thousand metric tons of lithium content (kt Li)
(sic), ``resource_inferred``,          (``Reserve_Li_ktons`` ...; reserves are subtracted
``all_resource``                       from resources so the three tiers do not overlap)
``Grade_percLi_Reserve``,              % Li (brine grades in % too: the authors convert
``grade_resource``,                    x 1e4 to mg/L)
``grade_resource_inferred``
``cost1``, ``cost2``, ``cost3``        USD (2022) per metric ton of Li content, extraction
                                       cost of the three resource tiers *plus* royalty and
                                       corporate tax computed at the authors' assumed price
                                       of 20,000 USD/t LCE (x 5.323 per t Li)
``cost1_noTax`` ...                    the same costs without royalty and tax
``cost_expansion``                     USD per t/yr of added capacity (t Li per year): the
                                       slope of the authors' investment regression x 1e3
``cost_opening``                       USD: the regression intercept for opening a new
                                       mine; 0 for mines open or under construction
                                       (already committed)
``prod_rate2022`` ... ``2030``         kt Li per year
``max_prod_rate``                      kt Li per year: **a modelling cap**, all resources x
                                       the authors' depletion rate (1%, 3% or 5% a year by
                                       resource type and extraction method), raised to at
                                       least the listed production rates; not a nameplate
                                       capacity
``max_ramp_up``                        kt Li per year per year: ``max_prod_rate / 4``
                                       (the authors' four-year ramp-up)
``delay_years``                        years from 2022 before expansion is allowed (3 open,
                                       5 construction, 8 evaluation, 10 no information)
``edb``, ``wgi``, ``wcr``              transformed scores (``100 - ease of doing business``,
                                       ``2.5 - WGI political stability``, ``100 - world
                                       competitiveness rank``): lower is better
``Corporate_Tax_Rate``                 share (the authors' Data S3)
``cost_source``                        ``Report`` (company technical report),
                                       ``Regression`` (from grade), ``Quantile`` (imputed)
=====================================  ===================================================

``max_prod_rate`` and ``max_ramp_up`` are kept with that meaning in their column names
(``*_cap_kt_li_per_year``) so that nobody reads them as capacities. A ``NA`` becomes null
(never 0); a blank ``label_name`` (the authors' map labels) becomes null. Countries map
through critmin's vocabulary (``DR Congo`` -> COD). Strict checks: the exact header, a
unique ``d`` and (country, deposit) pair, the known status, resource type and cost-source
values, ``TRUE``/``FALSE`` booleans, latitude and longitude in range, non-negative
quantities, costs and rates; anything else fails naming the row and field.
"""

from __future__ import annotations

import math
from pathlib import Path

from critmin.errors import SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame, read_csv_rows, relative_to_data
from critmin.sources.expectations import Bounds, Expectation, Shape, Values, expects
from critmin.vocab.countries import resolve_country

SOURCE_ID = "busch2024-lithium-deposits"
RELATIVE_PATH = "busch2024_lithium/Deposit.csv"
ENCODING = "utf-8"

HEADER = (
    "d", "Country", "Deposit_Name", "Resource_Type", "Latitude", "Longitude", "Status", "Status_Delay",
    "Grade_percLi_Reserve", "grade_resource", "grade_resource_inferred", "open_mine", "reserve",
    "resource_demostrated", "resource_inferred", "all_resource", "cost1", "cost2", "cost3", "max_prod_rate",
    "max_ramp_up", "cost_expansion", "cost_opening", "cost_source", "prod_rate2022", "prod_rate2023",
    "prod_rate2025", "prod_rate2030", "delay_years", "Resource_Type_orig", "edb", "wgi", "Corporate_Tax_Rate",
    "cost1_noTax", "cost2_noTax", "cost3_noTax", "label_name", "wcr",
)

STATUSES = ("Producing", "Construction", "Evaluation", "No info")
STATUS_DELAYS = ("Open", "Construction", "Evaluation", "No Info")
RESOURCE_TYPES = ("Brine", "Hard Rock", "Volcano-Sedimentary")
COST_SOURCES = ("Report", "Regression", "Quantile")

# source column -> (table column, may be negative, may be NA)
NUMBERS: dict[str, tuple[str, bool, bool]] = {
    "Grade_percLi_Reserve": ("grade_reserve_pct_li", False, True),
    "grade_resource": ("grade_resource_pct_li", False, True),
    "grade_resource_inferred": ("grade_resource_inferred_pct_li", False, True),
    "reserve": ("reserve_kt_li", False, True),
    "resource_demostrated": ("resource_demonstrated_kt_li", False, True),
    "resource_inferred": ("resource_inferred_kt_li", False, True),
    "all_resource": ("all_resource_kt_li", False, True),
    "cost1": ("cost1_usd_per_t_li", False, True),
    "cost2": ("cost2_usd_per_t_li", False, True),
    "cost3": ("cost3_usd_per_t_li", False, True),
    "cost1_noTax": ("cost1_notax_usd_per_t_li", False, True),
    "cost2_noTax": ("cost2_notax_usd_per_t_li", False, True),
    "cost3_noTax": ("cost3_notax_usd_per_t_li", False, True),
    "max_prod_rate": ("max_prod_rate_cap_kt_li_per_year", False, True),
    "max_ramp_up": ("max_ramp_up_cap_kt_li_per_year", False, True),
    "cost_expansion": ("cost_expansion_usd_per_t_li_per_year", False, True),
    "cost_opening": ("cost_opening_usd", False, True),
    "prod_rate2022": ("prod_rate_2022_kt_li", False, True),
    "prod_rate2023": ("prod_rate_2023_kt_li", False, True),
    "prod_rate2025": ("prod_rate_2025_kt_li", False, True),
    "prod_rate2030": ("prod_rate_2030_kt_li", False, True),
    "delay_years": ("delay_years", False, True),
    "edb": ("edb_score_transformed", True, True),
    "wgi": ("wgi_score_transformed", True, True),
    "wcr": ("wcr_score_transformed", True, True),
    "Corporate_Tax_Rate": ("corporate_tax_rate", False, True),
}

INFO = SourceInfo(
    source_id=SOURCE_ID,
    title="Lithium deposits: resources, grades, extraction and expansion costs, status (160 deposits)",
    publisher="Pablo Busch et al., replication materials (GitHub pmbusch/Critical-Minerals-EV)",
    citation=("Busch, P. et al. (2024), replication materials for 'Effects of Demand and Recycling on Future Lithium "
              "Extraction', https://github.com/pmbusch/Critical-Minerals-EV, Parameters/Deposit.csv at commit "
              "2aafd29f162c14fd1394c998dbde0f8397c4aa6d (2025-07-15); units per Scripts/Supply Model/Prepare Deposit "
              "Data/01-LoadDepositData.R and 02-DepositParameters.R"),
    licence="MIT (copyright 2024 Pablo Busch)",
    vintage=2024,
    url="https://github.com/pmbusch/Critical-Minerals-EV",
    published="2025-07-15",
    notes=("Costs in 2022 USD per t Li content; cost1-3 include royalty and corporate tax at the authors' assumed "
           "price (20,000 USD/t LCE); max_prod_rate/max_ramp_up are the authors' depletion caps, not capacities."),
)


def _number(text: str, path: Path, row: int, field: str, negative_ok: bool, na_ok: bool) -> float | None:
    if text == "NA":
        if na_ok:
            return None
        raise SourceError(path, "missing value", row=row, field=field, expected="a number")
    if text == "":
        raise SourceError(path, "empty cell", row=row, field=field, expected="a number or NA")
    try:
        value = float(text)
    except ValueError:
        raise SourceError(path, "not a number", row=row, field=field, found=text, expected="a number or NA") from None
    if not math.isfinite(value):
        raise SourceError(path, "not a finite number", row=row, field=field, found=text, expected="a finite number")
    if value < 0 and not negative_ok:
        raise SourceError(path, "negative value", row=row, field=field, found=text, expected="a number >= 0")
    return value


def _choice(text: str, allowed: tuple[str, ...], path: Path, row: int, field: str) -> str:
    if text not in allowed:
        raise SourceError(path, "unknown value", row=row, field=field, found=text, expected=f"one of {list(allowed)}")
    return text


_GRADES = ("grade_reserve_pct_li", "grade_resource_pct_li", "grade_resource_inferred_pct_li")
EXPECTED = Expectation(
    files=(RELATIVE_PATH,),
    shapes=(Shape(RELATIVE_PATH, rows=160, distinct={"status": 4, "resource_type": 3},
                  doc="SOURCES.md section 10: 160 deposits (92 hard rock, 55 brine, 13 volcano-sedimentary)"),),
    tables={"lithium_deposits": Values(
        bounds=(Bounds(0.0, 100.0, columns=_GRADES, doc="grades in % Li"),
                Bounds(0.0, 1.0, columns=("corporate_tax_rate",), doc="a tax rate is a fraction"),
                Bounds(-90.0, 90.0, columns=("latitude",), doc="degrees"),
                Bounds(-180.0, 180.0, columns=("longitude",), doc="degrees")),
        field="{deposit_name}")},
)


@expects(EXPECTED)
def read_busch2024_deposits(data_dir: Path) -> ReadResult:
    """Read ``Deposit.csv`` into ``lithium_deposits`` (see the module docstring).

    Parameters
    ----------
    data_dir
        The raw-data folder (``../shared/data``) holding ``busch2024_lithium/``.
    """
    data_dir = Path(data_dir)
    path = data_dir / RELATIVE_PATH
    header, rows = read_csv_rows(path, ENCODING, required=HEADER)
    extra = [h for h in header if h not in HEADER]
    if extra:
        raise SourceError(path, f"unexpected column(s) {extra}", row=1, field=extra[0], expected=f"exactly {list(HEADER)}")
    source_file = relative_to_data(path, data_dir)
    out: list[dict[str, object]] = []
    ids: set[int] = set()
    names: set[tuple[str, str]] = set()
    for n, rec in rows:
        d = _number(rec["d"], path, n, "d", False, False)
        if d is None or d != int(d):
            raise SourceError(path, "not an integer id", row=n, field="d", found=rec["d"], expected="an integer")
        if int(d) in ids:
            raise SourceError(path, "duplicate deposit id", row=n, field="d", found=rec["d"], expected="a unique id")
        ids.add(int(d))
        name = rec["Deposit_Name"]
        if not name:
            raise SourceError(path, "empty deposit name", row=n, field="Deposit_Name", expected="a name")
        country = resolve_country(rec["Country"], file=path, row=n, field="Country")
        if country.iso3 is None:
            raise SourceError(path, "not a single country", row=n, field="Country", found=rec["Country"],
                              expected="a country")
        if (country.iso3, name) in names:
            raise SourceError(path, "duplicate deposit", row=n, field="Deposit_Name", found=name,
                              expected="one row per country and deposit")
        names.add((country.iso3, name))
        lat = _number(rec["Latitude"], path, n, "Latitude", True, False)
        lon = _number(rec["Longitude"], path, n, "Longitude", True, False)
        if not -90 <= lat <= 90:
            raise SourceError(path, "latitude out of range", row=n, field="Latitude", found=rec["Latitude"],
                              expected="-90..90")
        if not -180 <= lon <= 180:
            raise SourceError(path, "longitude out of range", row=n, field="Longitude", found=rec["Longitude"],
                              expected="-180..180")
        open_mine = rec["open_mine"]
        if open_mine not in ("TRUE", "FALSE"):
            raise SourceError(path, "not a boolean", row=n, field="open_mine", found=open_mine, expected="TRUE or FALSE")
        row: dict[str, object] = {
            "deposit_id": int(d),
            "country_name": rec["Country"],
            "country_iso3": country.iso3,
            "deposit_name": name,
            "resource_type": _choice(rec["Resource_Type"], RESOURCE_TYPES, path, n, "Resource_Type"),
            "resource_type_detail": rec["Resource_Type_orig"] or None,
            "latitude": lat,
            "longitude": lon,
            "status": _choice(rec["Status"], STATUSES, path, n, "Status"),
            "status_delay": _choice(rec["Status_Delay"], STATUS_DELAYS, path, n, "Status_Delay"),
            "open_mine": open_mine == "TRUE",
            "cost_source": _choice(rec["cost_source"], COST_SOURCES, path, n, "cost_source"),
            "label_name": rec["label_name"] or None,
        }
        for src, (col, negative_ok, na_ok) in NUMBERS.items():
            row[col] = _number(rec[src], path, n, src, negative_ok, na_ok)
        if row["corporate_tax_rate"] is not None and row["corporate_tax_rate"] > 1:
            raise SourceError(path, "tax rate above 1", row=n, field="Corporate_Tax_Rate",
                              found=rec["Corporate_Tax_Rate"], expected="a share between 0 and 1")
        row.update({"source_id": SOURCE_ID, "source_file": source_file, "source_row": n})
        out.append(row)
    if not out:
        raise SourceError(path, "no deposits", row=2, expected="at least one deposit row")
    return ReadResult(INFO, [path], {"lithium_deposits": frame("lithium_deposits", out)})

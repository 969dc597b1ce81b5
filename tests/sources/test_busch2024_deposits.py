"""Busch et al. (2024) lithium deposits: the real file and fixtures for every check."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.schema import TABLES
from critmin.sources.busch2024_deposits import HEADER, RELATIVE_PATH, read_busch2024_deposits

from . import one_row

GOOD = {
    "d": "1", "Country": "Chile", "Deposit_Name": "Salar Uno", "Resource_Type": "Brine", "Latitude": "-23.5",
    "Longitude": "-68.3", "Status": "Producing", "Status_Delay": "Open", "Grade_percLi_Reserve": "NA",
    "grade_resource": "0.18", "grade_resource_inferred": "0.13", "open_mine": "TRUE", "reserve": "360",
    "resource_demostrated": "7840", "resource_inferred": "2600", "all_resource": "10800", "cost1": "51066.2",
    "cost2": "51211.3", "cost3": "51809.7", "max_prod_rate": "324", "max_ramp_up": "81", "cost_expansion": "56955.8",
    "cost_opening": "0", "cost_source": "Report", "prod_rate2022": "27.1", "prod_rate2023": "31.4",
    "prod_rate2025": "39.5", "prod_rate2030": "39.5", "delay_years": "3", "Resource_Type_orig": "Brine",
    "edb": "27.4", "wgi": "2.38", "Corporate_Tax_Rate": "0.27", "cost1_noTax": "21238.8", "cost2_noTax": "21462.0",
    "cost3_noTax": "22382.6", "label_name": "", "wcr": "40.3",
}


def write(tmp_path: Path, rows: list[dict], header=HEADER) -> Path:
    path = tmp_path / RELATIVE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(header), quoting=csv.QUOTE_NONNUMERIC, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    # the authors' file quotes strings but not numbers, NA or TRUE/FALSE: unquote those like R's write.csv
    text = path.read_text(encoding="utf-8")
    for token in ("NA", "TRUE", "FALSE"):
        text = text.replace(f'"{token}"', token)
    path.write_text(text, encoding="utf-8")
    return tmp_path


def test_fixture_row_and_quirks(tmp_path):
    second = {**GOOD, "d": "2", "Country": "DR Congo", "Deposit_Name": "Manono", "Status": "No info",
              "Status_Delay": "No Info", "open_mine": "FALSE", "cost_source": "Quantile", "label_name": "Manono",
              "Resource_Type": "Hard Rock", "Resource_Type_orig": "Other (In Situ)", "cost_opening": "126053693.2"}
    df = read_busch2024_deposits(write(tmp_path, [GOOD, second])).tables["lithium_deposits"]
    assert list(df.columns) == list(TABLES["lithium_deposits"].columns)
    a = one_row(df, deposit_id=1)
    assert pd.isna(a["grade_reserve_pct_li"])  # NA is missing, never 0
    assert pd.isna(a["label_name"])  # a blank map label is null
    assert a["max_prod_rate_cap_kt_li_per_year"] == 324 and a["open_mine"] is True or a["open_mine"] == True  # noqa: E712
    assert a["source_row"] == 2 and a["source_file"] == RELATIVE_PATH
    b = one_row(df, deposit_id=2)
    assert b["country_iso3"] == "COD" and b["resource_type_detail"] == "Other (In Situ)"


@pytest.mark.parametrize("change, field", [
    ({"reserve": "lots"}, "reserve"), ({"cost1": ""}, "cost1"), ({"Status": "Closed"}, "Status"),
    ({"cost_source": "Guess"}, "cost_source"), ({"open_mine": "yes"}, "open_mine"), ({"Latitude": "95"}, "Latitude"),
    ({"all_resource": "-1"}, "all_resource"), ({"Resource_Type": "Clay"}, "Resource_Type"),
    ({"Corporate_Tax_Rate": "27"}, "Corporate_Tax_Rate"), ({"d": "NA"}, "d"), ({"Latitude": "NA"}, "Latitude"),
])
def test_bad_cells_name_row_and_field(tmp_path, change, field):
    with pytest.raises(SourceError) as err:
        read_busch2024_deposits(write(tmp_path, [GOOD, {**GOOD, "d": "2", "Deposit_Name": "Other", **change}]))
    assert err.value.row == 3 and err.value.field == field


def test_structure_errors(tmp_path):
    with pytest.raises(UnmappedNameError):
        read_busch2024_deposits(write(tmp_path, [{**GOOD, "Country": "Atlantis"}]))
    with pytest.raises(SourceError, match="duplicate deposit id"):
        read_busch2024_deposits(write(tmp_path, [GOOD, {**GOOD, "Deposit_Name": "B"}]))
    with pytest.raises(SourceError, match="duplicate deposit"):
        read_busch2024_deposits(write(tmp_path, [GOOD, {**GOOD, "d": "2"}]))
    with pytest.raises(SourceError, match="missing column"):
        read_busch2024_deposits(write(tmp_path, [GOOD], header=[h for h in HEADER if h != "wcr"]))
    with pytest.raises(SourceError, match="unexpected column"):
        read_busch2024_deposits(write(tmp_path, [GOOD], header=list(HEADER) + ["extra"]))
    with pytest.raises(SourceError, match="not found"):
        read_busch2024_deposits(tmp_path / "nowhere")


@pytest.mark.rawdata
def test_the_real_file(raw_data_dir):
    df = read_busch2024_deposits(raw_data_dir).tables["lithium_deposits"]
    assert len(df) == 160
    assert df["status"].value_counts().to_dict() == {"No info": 69, "Evaluation": 39, "Producing": 36, "Construction": 16}
    assert df["resource_type"].value_counts().to_dict() == {"Hard Rock": 92, "Brine": 55, "Volcano-Sedimentary": 13}
    assert int(df["grade_reserve_pct_li"].isna().sum()) == 117
    atacama = one_row(df, deposit_name="Salar de Atacama (SQM)")
    assert atacama["country_iso3"] == "CHL" and atacama["prod_rate_2022_kt_li"] == pytest.approx(27.1428571428571)
    assert atacama["all_resource_kt_li"] == 10800
    # the depletion cap is resources x a depletion rate (here 3%, the rate the authors joined to brines), not a capacity
    assert atacama["max_prod_rate_cap_kt_li_per_year"] == pytest.approx(0.03 * 10800)
    assert (df["cost1_usd_per_t_li"] >= df["cost1_notax_usd_per_t_li"]).all()
    assert df["country_iso3"].notna().all() and df["deposit_id"].is_unique

"""Tests of the USGS Data Series 140 reader."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook as OpenpyxlWorkbook

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.usgs_ds140 import (
    CATALOG,
    DS140_COMMODITIES,
    DS140_OUT_OF_SCOPE,
    FOLDER,
    MEASURES,
    OBSERVATIONS,
    WORKBOOKS,
    read_ds140,
    slug,
)
from critmin.vocab.commodities import catalogue
from tests.sources import one_row as _one

# ---------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_ds140(raw_data_dir)




def test_slug_matches_ds140_ids():
    assert slug("Unit value (98$/t)") == "unit-value-98-t"
    assert slug("World production (lithium carbonate equivalent)") == "world-production-lithium-carbonate-equivalent"
    assert slug("Rare earths") == "rare-earths"


def test_map_covers_catalog_and_known_ids(raw_data_dir):
    with open(raw_data_dir / FOLDER / CATALOG, encoding="utf-8", newline="") as fh:
        ids = {r["commodity_id"] for r in csv.DictReader(fh)}
    assert len(ids) == 92
    assert ids == set(DS140_COMMODITIES) | set(DS140_OUT_OF_SCOPE)
    assert set(DS140_COMMODITIES.values()) <= set(catalogue())


def test_real_rare_earth_workbook(real):
    hist = real.tables["historical"]
    ree = hist[hist.series_id == "ds140:rare-earths/rare-earths"]
    assert len(ree) == 121 * 7  # 1900-2020, seven columns
    prod = _one(ree, measure="production", year=2020)
    assert prod.value == 39000 and prod.unit == "metric tons (t) rare-earth oxide equivalent" and prod.commodity_id == "rare-earths"
    assert prod.source_row == 126 and prod.source_file == f"{FOLDER}/{WORKBOOKS[1]}"
    assert _one(ree, measure="world-production", year=1900).value == 1040
    assert _one(ree, measure="imports", year=1900).qualifier == "not_available"
    assert set(ree.qualifier) == {"exact", "not_available", "withheld"}
    assert (ree.qualifier == "withheld").sum() == 2
    prices = real.tables["prices"]
    nominal = _one(prices, series_id="ds140:rare-earths/rare-earths:unit-value-t", year=2020)
    assert nominal.value == 5130 and nominal.basis == "nominal" and nominal.frequency == "annual"
    real98 = _one(prices, series_id="ds140:rare-earths/rare-earths:unit-value-98-t", year=2020)
    assert real98.value == 3230 and real98.basis == "real-1998" and real98.unit == "1998 U.S. dollars per metric ton"


def test_real_lithium_workbook(real):
    hist = real.tables["historical"]
    li = hist[hist.series_id == "ds140:lithium/lithium-statistics"]
    assert len(li) == 122 * 9  # 1900-2021, nine columns
    assert _one(li, measure="production", year=2021).qualifier == "withheld"
    assert _one(li, measure="production", year=1900).value == pytest.approx(10.4)
    lce = _one(li, measure="world-production-lithium-carbonate-equivalent", year=2021)
    assert lce.value == 569000 and lce.unit == "metric tons (t) lithium carbonate equivalent"
    assert _one(li, measure="world-production-gross-weight", year=2021).unit == "metric tons (t) gross weight"
    assert _one(li, measure="unit-value-t", year=2021).basis == "nominal"
    assert pd.isna(_one(li, measure="production", year=2021).basis)  # quantities have no price basis


def test_real_derived_values_and_counts(real):
    hist = real.tables["historical"]
    assert _one(hist, series_id="ds140:gallium/gallium", measure="imports", year=1992).value == pytest.approx(8.5)
    assert _one(hist, series_id="ds140:sodium-sulfate/sodium-sulfate", measure="primary-production", year=1950).commodity_id == "sodium-sulfate"
    assert set(hist[hist.series_id.str.startswith("ds140:titanium-")].commodity_id) == {"titanium"}
    prices = real.tables["prices"]
    cu = _one(prices, series_id="ds140:copper/copper:unit-value-t", year=1992)
    assert cu.value == 2370 and cu.commodity_id == "copper" and cu.source_file == f"{FOLDER}/{OBSERVATIONS}"
    # gemstones 'Production value ($)' is a value, not a price
    assert not prices.series_id.str.contains("production-value").any()
    assert hist.series_id.str.contains("gemstones").any()
    # every observation is accounted for: 61,133 = kept + out of scope + superseded
    derived = hist[hist.source_file == f"{FOLDER}/{OBSERVATIONS}"]
    left_out = sum(v for k, v in real.skipped.items() if k.startswith("ds140 1900-1992"))
    assert len(derived) + left_out == 61133
    assert real.skipped["ds140 1900-1992: wood (wood and wood products, not a mineral)"] == 1476
    assert real.skipped["ds140: footnote row"] == 6  # three per workbook
    assert len(hist) == 58852 and len(prices) == 16312


def test_real_workbooks_agree_with_the_derived_rows(real, raw_data_dir):
    """The superseded 1900-1992 rows of lithium and rare earths equal the workbooks' cells."""
    hist = real.tables["historical"]
    wb = hist[hist.commodity_id.isin(["lithium", "rare-earths"]) & (hist.year <= 1992)]
    ours = {(r.commodity_id, r.measure, r.year): r.value for r in wb.itertuples() if r.qualifier == "exact"}
    checked = 0
    with open(raw_data_dir / FOLDER / OBSERVATIONS, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["commodity_id"] in ("lithium", "rare-earths"):
                assert ours[(r["commodity_id"], r["measure_id"], int(r["year"]))] == pytest.approx(float(r["value"]))
                checked += 1
    assert checked == 352 + 500


def test_real_openpyxl_fallback_gives_the_same_tables(real, raw_data_dir, monkeypatch):
    """Without python-calamine the reader falls back to openpyxl and must give the same rows."""
    import pandas.testing

    import critmin.sources.xlsx_sheets as xlsx_sheets

    monkeypatch.setattr(xlsx_sheets, "_calamine", None)
    fallback = read_ds140(raw_data_dir)
    assert fallback.skipped == real.skipped
    for name, df in real.tables.items():
        pandas.testing.assert_frame_equal(df, fallback.tables[name])


# ---------------------------------------------------------------- fixtures


def _workbook(path: Path, *, header=None, rows=None, footnotes=True, title="RARE EARTHS STATISTICS1") -> Path:
    wb = OpenpyxlWorkbook()
    ws = wb.active
    ws.title = "Rare earths"
    ws.append([title])
    ws.append(["U.S. GEOLOGICAL SURVEY"])
    ws.append(["[All quantities in metric tons (t) rare-earth oxide equivalent unless otherwise noted]"])
    ws.append(["Last modification: September 27, 2023"])
    ws.append(header or ["Year", "Production", "Imports", "Unit value ($/t)", "Unit value (98$/t)", "World production"])
    for r in rows or [[1991, 100, "NA", 5000, 6000, 1000], [1992, "W", None, "NA", "NA", 1100]]:
        ws.append(r)
    if footnotes:
        ws.append(["NA Not available. W Withheld to avoid disclosing company proprietary data."])
        ws.append(["1Compiled by somebody."])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _csv(path: Path, header: str, lines: list[str]) -> None:
    path.write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def _folder(tmp_path: Path, *, catalog=None, measures=None, observations=None, **workbook_kw) -> Path:
    folder = tmp_path / FOLDER
    _workbook(folder / WORKBOOKS[1], **workbook_kw)
    _workbook(folder / WORKBOOKS[0], title="LITHIUM STATISTICS1", header=["Year", "Production", "World production (lithium content)"],
              rows=[[2020, "W", 82700], [2021, "W", 107000]])
    _csv(folder / CATALOG, "commodity_id,commodity_title,ds140_update_year,year_start,year_end,observation_count,source_page_url,source_xlsx_url",
         catalog or ["gallium,Gallium,2021,1943,1992,2,u,u", "wood,Wood,2015,1900,1992,1,u,u", "rare-earths,Rare earths,2020,1900,1992,1,u,u"])
    _csv(folder / MEASURES, "commodity_id,series_id,series_label,worksheet,measure_id,measure_label,unit,price_basis,observation_count,n_blank,n_not_available,n_withheld,n_other_nonnumeric",
         measures or [
             "gallium,gallium,Gallium,Gallium,imports,Imports,metric tons (t) gallium content,not-price,1,0,0,0,0",
             "gallium,gallium,Gallium,Gallium,unit-value-t,Unit value ($/t),current U.S. dollars per metric ton,nominal,1,0,0,0,0",
             "wood,wood,Wood,Wood,total,Total,metric tons,not-price,1,0,0,0,0",
             "rare-earths,rare-earths,Rare earths,Rare earths,production,Production,t REO,not-price,1,0,0,0,0",
         ])
    _csv(folder / OBSERVATIONS, "commodity_id,series_id,measure_id,year,value",
         observations or ["gallium,gallium,imports,1992,8.5", "gallium,gallium,unit-value-t,1992,475000",
                          "wood,wood,total,1990,12", "rare-earths,rare-earths,production,1991,100"])
    return tmp_path


def test_fixture_codes_bounds_and_prices(tmp_path):
    res = read_ds140(_folder(tmp_path))
    hist, prices = res.tables["historical"], res.tables["prices"]
    ree = hist[hist.series_id == "ds140:rare-earths/rare-earths"]
    assert len(ree) == 2 * 5
    assert _one(ree, measure="production", year=1992).qualifier == "withheld"
    assert pd.isna(_one(ree, measure="production", year=1992).value)  # withheld is never 0
    assert _one(ree, measure="imports", year=1992).qualifier == "missing"  # blank cell, row exists
    assert _one(ree, measure="imports", year=1991).qualifier == "not_available"
    assert _one(ree, measure="production", year=1991).raw == "100"
    ree_prices = prices[prices.series_id.str.startswith("ds140:rare-earths/")]
    assert len(ree_prices) == 4 and set(ree_prices.basis) == {"nominal", "real-1998"}
    assert _one(ree_prices, series_id="ds140:rare-earths/rare-earths:unit-value-98-t", year=1991).value == 6000
    lithium = hist[hist.commodity_id == "lithium"]
    assert _one(lithium, measure="world-production-lithium-content", year=2021).unit == "metric tons (t) lithium"
    # derived rows: gallium kept, wood out of scope, rare earths superseded by the workbook
    assert _one(hist, series_id="ds140:gallium/gallium", measure="imports").value == 8.5
    assert _one(prices, series_id="ds140:gallium/gallium:unit-value-t").basis == "nominal"
    assert res.skipped["ds140 1900-1992: rare-earths (superseded by the original workbook)"] == 1
    assert res.skipped["ds140 1900-1992: wood (wood and wood products, not a mineral)"] == 1
    assert res.skipped["ds140: footnote row"] == 4


def test_fixture_unmapped_ds140_commodity_fails(tmp_path):
    folder = _folder(tmp_path, catalog=["unobtainium,Unobtainium,2020,1900,1992,1,u,u"])
    with pytest.raises(SourceError, match="not mapped") as err:
        read_ds140(folder)
    assert err.value.row == 2 and err.value.field == "commodity_id"


def test_fixture_observation_without_measure_fails(tmp_path):
    folder = _folder(tmp_path, observations=["gallium,gallium,exports,1992,1"])
    with pytest.raises(SourceError, match="not in the measures table") as err:
        read_ds140(folder)
    assert err.value.row == 2


def test_fixture_non_numeric_observation_fails(tmp_path):
    folder = _folder(tmp_path, observations=["gallium,gallium,imports,1992,W"])
    with pytest.raises(SourceError, match="not a number") as err:
        read_ds140(folder)
    assert err.value.field == "value"


def test_fixture_missing_column_fails(tmp_path):
    folder = _folder(tmp_path)
    p = folder / FOLDER / MEASURES
    p.write_text(p.read_text().replace("price_basis", "basis"))
    with pytest.raises(SourceError, match="missing column") as err:
        read_ds140(folder)
    assert err.value.field == "price_basis"


def test_fixture_unknown_workbook_column_fails(tmp_path):
    folder = _folder(tmp_path, header=["Year", "Production", "Imports", "Stocks", "Unit value (98$/t)", "World production"])
    with pytest.raises(SourceError, match="unknown column") as err:
        read_ds140(folder)
    assert err.value.row == 5 and err.value.field == "Stocks"


def test_fixture_workbook_without_footnotes_is_truncated(tmp_path):
    with pytest.raises(SourceError, match="footnotes"):
        read_ds140(_folder(tmp_path, footnotes=False))


def test_fixture_years_must_follow(tmp_path):
    rows = [[1990, 1, 1, 1, 1, 1], [1992, 1, 1, 1, 1, 1]]
    with pytest.raises(SourceError, match="does not follow") as err:
        read_ds140(_folder(tmp_path, rows=rows))
    assert err.value.row == 7


def test_fixture_unknown_commodity_title_fails(tmp_path):
    with pytest.raises(UnmappedNameError):
        read_ds140(_folder(tmp_path, title="ADAMANTIUM STATISTICS1"))


def test_fixture_truncated_workbook_fails(tmp_path):
    folder = _folder(tmp_path)
    p = folder / FOLDER / WORKBOOKS[0]
    p.write_bytes(p.read_bytes()[:1500])
    with pytest.raises(SourceError, match="not a readable"):
        read_ds140(folder)

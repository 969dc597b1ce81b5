"""Tests of the World Bank Pink Sheet reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook

from critmin.errors import SourceError
from critmin.sources.worldbank_prices import FILE, FOLDER, LEFT_OUT_SERIES, MINERAL_SERIES, read_pinksheet

# ---------------------------------------------------------------- real file


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_pinksheet(raw_data_dir)


def _at(prices, code, year, month):
    sel = prices[(prices.series_id == f"pinksheet:{code}") & (prices.year == year) & (prices.month == month)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_real_counts(real):
    prices = real.tables["prices"]
    months = 12 * (2025 - 1960) + 11  # 1960M01 .. 2025M11
    assert months == 791
    assert len(prices) == 12 * months
    assert set(prices.commodity_id) == {
        "aluminum", "iron-ore", "copper", "lead", "tin", "nickel", "zinc", "gold", "platinum", "silver", "phosphate", "potash",
    }
    assert (prices.frequency == "monthly").all() and (prices.basis == "nominal").all()
    # 71 series columns in the sheet: 12 read + 59 left out, each counted
    left_out = sum(v for k, v in real.skipped.items() if k.startswith("pinksheet: column left out"))
    assert left_out == 59 == len(LEFT_OUT_SERIES)


def test_real_published_values(real):
    prices = real.tables["prices"]
    cu = _at(prices, "COPPER", 2025, 11)
    assert cu.value == pytest.approx(10812.03) and cu.unit == "$/mt" and cu.series_label == "Copper"
    assert cu.source_row == 798 and cu.source_file == f"{FOLDER}/{FILE}"
    assert _at(prices, "GOLD", 2025, 11).unit == "$/troy oz"
    assert _at(prices, "GOLD", 1960, 1).value == pytest.approx(35.27)
    assert _at(prices, "Tin", 2025, 11).value == pytest.approx(36963.22)  # code in mixed case
    assert _at(prices, "Zinc", 1960, 1).value == pytest.approx(260.8)
    assert _at(prices, "IRON_ORE", 2025, 11).unit == "$/dmtu"
    potash = _at(prices, "POTASH", 2025, 11)
    assert potash.commodity_id == "potash" and potash.value == pytest.approx(353.75)
    assert potash.series_label == "Potassium chloride **"


def test_real_not_available_is_kept(real):
    prices = real.tables["prices"]
    na = prices[prices.qualifier != "exact"]
    assert len(na) == 1
    row = na.iloc[0]
    assert row.series_id == "pinksheet:PHOSROCK" and row.qualifier == "not_available"
    assert row.value != row.value and row.raw in ("…", "...")


def test_real_openpyxl_fallback_gives_the_same_tables(real, raw_data_dir, monkeypatch):
    """Without python-calamine the reader falls back to openpyxl and must give the same rows."""
    import pandas.testing

    import critmin.sources.xlsx_sheets as xlsx_sheets

    monkeypatch.setattr(xlsx_sheets, "_calamine", None)
    fallback = read_pinksheet(raw_data_dir)
    assert fallback.skipped == real.skipped
    for name, df in real.tables.items():
        pandas.testing.assert_frame_equal(df, fallback.tables[name])


# ---------------------------------------------------------------- fixtures


def _write(path: Path, *, codes=None, data=None, units=None) -> Path:
    codes = list(codes if codes is not None else [*MINERAL_SERIES, "CRUDE_BRENT", "DAP"])
    units = units or ["($/mt)"] * len(codes)
    wb = OpenpyxlWorkbook()
    ws = wb.active
    ws.title = "Monthly Prices"
    ws.append(["World Bank Commodity Price Data (The Pink Sheet)"])
    ws.append(["monthly prices in nominal US dollars, 1960 to present"])
    ws.append(["(monthly series are available only in nominal US dollars)"])
    ws.append(["Updated on December 02, 2025"])
    ws.append([None] + [f"Name of {c}" for c in codes])
    ws.append([None] + units)
    ws.append([None] + codes)
    for label, cells in data or [("1960M01", [1.5] * len(codes)), ("1960M02", ["…"] + [2.5] * (len(codes) - 1))]:
        ws.append([label] + cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def test_fixture_reads_minerals_and_counts_the_rest(tmp_path):
    _write(tmp_path / FOLDER / FILE)
    res = read_pinksheet(tmp_path)
    prices = res.tables["prices"]
    assert len(prices) == 2 * 12
    first = list(MINERAL_SERIES)[0]
    na = prices[(prices.series_id == f"pinksheet:{first}") & (prices.month == 2)].iloc[0]
    assert na.qualifier == "not_available" and na.raw == "…" and na.value != na.value
    ok = prices[(prices.series_id == f"pinksheet:{first}") & (prices.month == 1)].iloc[0]
    assert ok.value == 1.5 and ok.qualifier == "exact" and ok.source_row == 8 and ok.unit == "$/mt"
    assert res.skipped["pinksheet: column left out, " + LEFT_OUT_SERIES["DAP"]] == 1
    assert sum(v for k, v in res.skipped.items() if "left out" in k) == 2


def test_fixture_unknown_series_code_fails(tmp_path):
    _write(tmp_path / FOLDER / FILE, codes=[*MINERAL_SERIES, "LITHIUM"])
    with pytest.raises(SourceError, match="unknown series code") as err:
        read_pinksheet(tmp_path)
    assert err.value.row == 7 and err.value.field == "LITHIUM"


def test_fixture_missing_mineral_series_fails(tmp_path):
    codes = [c for c in MINERAL_SERIES if c != "COPPER"]
    _write(tmp_path / FOLDER / FILE, codes=codes)
    with pytest.raises(SourceError, match="mineral series missing") as err:
        read_pinksheet(tmp_path)
    assert err.value.field == "COPPER"


def test_fixture_bad_month_label_fails(tmp_path):
    n = len(MINERAL_SERIES) + 2
    _write(tmp_path / FOLDER / FILE, data=[("1960M01", [1.0] * n), ("1960-02", [1.0] * n)])
    with pytest.raises(SourceError, match="not a month label") as err:
        read_pinksheet(tmp_path)
    assert err.value.row == 9


def test_fixture_text_price_fails(tmp_path):
    n = len(MINERAL_SERIES) + 2
    _write(tmp_path / FOLDER / FILE, data=[("1960M01", ["n.q."] + [1.0] * (n - 1))])
    with pytest.raises(SourceError, match="not a price") as err:
        read_pinksheet(tmp_path)
    assert err.value.row == 8


def test_fixture_unit_without_parentheses_fails(tmp_path):
    n = len(MINERAL_SERIES) + 2
    _write(tmp_path / FOLDER / FILE, units=["$/mt"] * n)
    with pytest.raises(SourceError, match="parentheses") as err:
        read_pinksheet(tmp_path)
    assert err.value.row == 6


def test_fixture_missing_sheet_fails(tmp_path):
    path = _write(tmp_path / FOLDER / FILE)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["Monthly Prices"].title = "Monthly Indices"
    wb.save(path)
    with pytest.raises(SourceError, match="sheet not found") as err:
        read_pinksheet(tmp_path)
    assert err.value.field == "Monthly Prices"


def test_fixture_truncated_file_fails(tmp_path):
    path = _write(tmp_path / FOLDER / FILE)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(SourceError, match="not a readable"):
        read_pinksheet(tmp_path)

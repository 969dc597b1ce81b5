"""Tests of the USITC DataWeb reader and the HTS-heading vocabulary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.usitc_dataweb import FILES, FOLDER, read_usitc
from critmin.sources.xlsx_sheets import Workbook
from critmin.vocab.hts_headings import hts_headings

IMPORTS, EXPORTS = FILES

# ---------------------------------------------------------------- vocabulary


def test_hts_headings_cover_the_query():
    headings = hts_headings()
    query = "2504 2601 2602 2603 2605 2606 2609 2610 2611 2612 2805 2825 2836 2846 7202 7502 7901 8001 8101 8103 8105 8106 8110 8112 8505".split()
    assert sorted(headings) == sorted(query)
    assert headings["2805"].mixed and "rare-earths" in headings["2805"].commodity_ids
    assert "alkali" in headings["2805"].note
    assert headings["8505"].commodity_ids == ("rare-earths",) and "ALL magnets" in headings["8505"].note
    assert headings["8105"].commodity_ids == ("cobalt",) and not headings["8105"].mixed
    assert {"gallium", "germanium", "indium"} <= set(headings["8112"].commodity_ids)
    assert "lithium" in headings["2836"].commodity_ids and headings["2836"].mixed
    assert headings["7202"].mixed


# ---------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_usitc(raw_data_dir)


def _pick(df, **where):
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    return sel


def test_real_published_values(real):
    trade = real.tables["trade"]
    china_ree = _pick(trade, flow="imports", partner_iso3="CHN", hts="2846", year=2024, period="annual")
    value = _pick(china_ree, measure="customs_value").iloc[0]
    assert value.value == 112644992 and value.qualifier == "exact" and value.raw == "112644992"
    assert value.unit == "US dollars (Value for: kilograms)"
    qty = _pick(china_ree, measure="first_quantity").iloc[0]
    assert qty.value == 10240357 and qty.unit == "kilograms"
    assert list(qty.commodity_ids) == ["rare-earths", "yttrium", "scandium"]
    # Australian ferroalloys 1993, first row of the sheet after antimony
    aus = _pick(trade, flow="imports", partner_iso3="AUS", hts="7202", year=1993, period="annual", measure="customs_value").iloc[0]
    assert aus.value == 19269344 and aus.source_row == 5
    # exports are domestic exports valued FAS
    exp = _pick(trade, flow="exports", partner_iso3="CHN", hts="2846", year=2024, period="annual", measure="fas_value").iloc[0]
    assert exp.value == 190107998
    # 2026 exists only as January-April year to date
    assert _pick(trade, year=2026, period="annual").empty
    ytd = _pick(trade, flow="imports", partner_iso3="CHN", hts="2846", year=2026, period="ytd", measure="customs_value")
    assert len(ytd) == 1 and ytd.iloc[0].value > 0


def test_real_partners_and_headings(real):
    trade = real.tables["trade"]
    assert trade.partner_iso3.nunique() == 18 and trade.partner_iso3.notna().all()  # no world total
    assert {"COD", "MMR", "KOR", "HKG", "VNM", "EST"} <= set(trade.partner_iso3)
    assert trade.hts.nunique() == 25
    assert set(trade.flow) == {"imports", "exports"}
    assert set(trade.measure) == {
        "customs_value", "fas_value", "first_quantity", "second_quantity", "first_quantity_suppressed",
    }
    assert set(trade.qualifier) == {"exact", "not_available"}


def test_real_every_cell_accounted_for(real):
    """Data rows x year columns = rows kept + cells counted in skipped."""
    trade = real.tables["trade"]
    # (data rows, year columns incl. suppressed) per sheet, read from the files
    sheets = {
        (IMPORTS, "Customs Value"): (398, 34), (IMPORTS, "Customs Value YTD"): (401, 34),
        (IMPORTS, "First Unit of Quantity"): (398, 68), (IMPORTS, "First Unit of Quantity YTD"): (401, 68),
        (IMPORTS, "Second Unit of Quantity"): (138, 68), (IMPORTS, "Second Unit of Quantity YTD"): (138, 68),
        (EXPORTS, "FAS Value"): (474, 34), (EXPORTS, "FAS Value YTD"): (474, 34),
        (EXPORTS, "First Unit of Quantity"): (474, 68), (EXPORTS, "First Unit of Quantity YTD"): (474, 68),
        (EXPORTS, "Second Unit of Quantity"): (33, 68), (EXPORTS, "Second Unit of Quantity YTD"): (33, 68),
    }
    cells = sum(n * c for n, c in sheets.values())
    skipped_cells = sum(v for k, v in real.skipped.items() if k != "usitc: total row")
    assert len(trade) + skipped_cells == cells
    assert real.skipped["usitc: total row"] == 4
    assert len(trade) == 128573


def test_real_no_units_collected_is_not_a_zero(real):
    trade = real.tables["trade"]
    na = trade[trade.qualifier == "not_available"]
    assert (na.unit == "no units collected").all() and set(na.hts) == {"8505"}
    assert na.value.isna().all() and (na.raw == "0").all()
    # the value of those lines is published and kept
    val = _pick(trade, flow="imports", partner_iso3="CHN", hts="8505", year=1993, period="annual", measure="customs_value")
    assert sorted(val.value) == [0, 2336028, 9735830]  # kilograms, no units collected, number


def test_real_suppressed_columns_kept_where_not_zero(real):
    trade = real.tables["trade"]
    sup = trade[trade.measure == "first_quantity_suppressed"]
    assert len(sup) == 64 and (sup.value > 0).all()
    row = _pick(sup, flow="imports", partner_iso3="AUS", hts="2825", year=1996, period="annual").iloc[0]
    assert row.value == 12


def test_real_openpyxl_fallback_gives_the_same_tables(real, raw_data_dir, monkeypatch):
    """Without python-calamine the reader falls back to openpyxl and must give the same rows."""
    import pandas.testing

    import critmin.sources.xlsx_sheets as xlsx_sheets

    monkeypatch.setattr(xlsx_sheets, "_calamine", None)
    fallback = read_usitc(raw_data_dir)
    assert fallback.skipped == real.skipped
    for name, df in real.tables.items():
        pandas.testing.assert_frame_equal(df, fallback.tables[name])


# ---------------------------------------------------------------- fixtures


HEADER = ["Data Type", "Country", "HTS Number", "Description", "Quantity Description"]


def _sheet(wb, name, flow_title, rows, years, *, ytd=False, suppressed=False, total=True, declared=None):
    ws = wb.create_sheet(name)
    ws.append([f"{flow_title}|Annual + Year-To-Date Data from Jan - Apr"])
    ws.append(["Data Row Count", declared if declared is not None else len(rows)])
    cols = [f"{y}_Year_to_date" if ytd else str(y) for y in years]
    if suppressed:
        cols += [f"{c}_Suppressed" for c in cols]
    ws.append(HEADER + cols)
    for r in rows:
        ws.append(r)
    if total:
        sums = [sum(r[5 + j] for r in rows) for j in range(len(years))]
        ws.append(["Total: ", None, None, None, None] + [f"{s:,.0f}" for s in sums])


def _workbook(path: Path, *, flow="Imports For Consumption", value_sheet="Customs Value", value_rows=None,
              qty_rows=None, years=(2024, 2025, 2026), **value_kw) -> Path:
    wb = OpenpyxlWorkbook()
    wb.active.title = "Query Parameters"
    wb["Query Parameters"].append(["Download Date", dt.datetime(2026, 7, 10, 16, 57)])
    wb["Query Parameters"].append(["Trade Flow", flow])
    if value_rows is None:
        value_rows = [
            [value_sheet, "China", "2846", "RARE-EARTH METAL COMPOUNDS", "Value for: kilograms", 1000.0, 2000.0, 0.0],
            [value_sheet, "Myanmar (Burma)", "8505", "MAGNETS", "Value for: no units collected", 50.0, 0.0, 0.0],
            [value_sheet, "Myanmar (Burma)", "8505", "MAGNETS", "Value for: number", 70.0, 80.0, 0.0],
        ]
    if qty_rows is None:
        qty_rows = [
            ["First Unit of Quantity", "China", "2846", "RARE-EARTH METAL COMPOUNDS", "kilograms", 10.0, 0.0, 0.0, 0.0, 3.0, 0.0],
            ["First Unit of Quantity", "Myanmar (Burma)", "8505", "MAGNETS", "no units collected", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            ["First Unit of Quantity", "Myanmar (Burma)", "8505", "MAGNETS", "number", 7.0, 8.0, 0.0, 0.0, 0.0, 0.0],
        ]
    _sheet(wb, value_sheet, flow, value_rows, years, **value_kw)
    _sheet(wb, "First Unit of Quantity", flow, qty_rows, years, suppressed=True, total=False)
    ytd_rows = [[value_sheet, "China", "2846", "RARE-EARTH METAL COMPOUNDS", "Value for: kilograms", 400.0, 500.0, 600.0]]
    _sheet(wb, f"{value_sheet} YTD", flow, ytd_rows, years, ytd=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _folder(tmp_path: Path, imports_kw=None, exports_kw=None) -> Path:
    _workbook(tmp_path / FOLDER / IMPORTS, **(imports_kw or {}))
    exports = {"flow": "Domestic Exports", "value_sheet": "FAS Value", **(exports_kw or {})}
    _workbook(tmp_path / FOLDER / EXPORTS, **exports)
    return tmp_path


def test_fixture_layout_and_quirks(tmp_path):
    res = read_usitc(_folder(tmp_path))
    trade = res.tables["trade"]
    imp = trade[trade.flow == "imports"]
    cv = _pick(imp, measure="customs_value", period="annual", partner_iso3="CHN")
    assert sorted(zip(cv.year, cv.value)) == [(2024, 1000.0), (2025, 2000.0)]  # 2026 annual: all zeros, left out
    assert res.skipped["usitc: annual 2026 column (year incomplete at download, all zeros)"] > 0
    ytd = _pick(imp, period="ytd", year=2026).iloc[0]
    assert ytd.value == 600 and ytd.measure == "customs_value"
    # zero value stays an exact zero; 'no units collected' quantity is not a measurement
    zero = _pick(imp, measure="customs_value", period="annual", partner_iso3="MMR", year=2025, unit="US dollars (Value for: no units collected)").iloc[0]
    assert zero.value == 0 and zero.qualifier == "exact"
    nu = _pick(imp, measure="first_quantity", partner_iso3="MMR", unit="no units collected")
    assert set(nu.qualifier) == {"not_available"} and nu.value.isna().all()
    # the suppressed column: kept where non-zero
    sup = _pick(imp, measure="first_quantity_suppressed")
    assert list(zip(sup.partner_iso3, sup.year, sup.value)) == [("CHN", 2025, 3.0)]
    # Myanmar (Burma) resolves, the heading carries its commodity ids
    assert set(imp.partner_iso3) == {"CHN", "MMR"}
    assert list(_pick(imp, hts="8505").iloc[0].commodity_ids) == ["rare-earths"]
    exp = trade[trade.flow == "exports"]
    assert {"fas_value", "first_quantity"} <= set(exp.measure) and "customs_value" not in set(exp.measure)
    assert res.skipped["usitc: total row"] == 4


def test_fixture_openpyxl_fallback_reads_the_same_rows(tmp_path):
    path = _workbook(tmp_path / "x.xlsx")
    with Workbook(path, engine="openpyxl") as a, Workbook(path) as b:
        for sheet in a.sheet_names:
            rows_a, rows_b = a.rows(sheet), b.rows(sheet)
            assert len(rows_a) == len(rows_b)
            for ra, rb in zip(rows_a, rows_b):
                assert [float(x) if isinstance(x, (int, float)) else x for x in ra] == [
                    float(x) if isinstance(x, (int, float)) else x for x in rb
                ]


def test_fixture_unknown_partner_fails(tmp_path):
    rows = [["Customs Value", "Atlantis", "2846", "X", "Value for: kilograms", 1.0, 2.0, 0.0]]
    with pytest.raises(UnmappedNameError) as err:
        read_usitc(_folder(tmp_path, imports_kw={"value_rows": rows}))
    assert err.value.row == 4 and err.value.field == "Country"


def test_fixture_heading_not_in_vocabulary_fails(tmp_path):
    rows = [["Customs Value", "China", "9999", "X", "Value for: kilograms", 1.0, 2.0, 0.0]]
    with pytest.raises(SourceError, match="hts_headings") as err:
        read_usitc(_folder(tmp_path, imports_kw={"value_rows": rows}))
    assert err.value.row == 4 and err.value.field == "HTS Number"


def test_fixture_row_count_mismatch_is_truncation(tmp_path):
    with pytest.raises(SourceError, match="Data Row Count"):
        read_usitc(_folder(tmp_path, imports_kw={"declared": 5}))


def test_fixture_total_mismatch_fails(tmp_path):
    folder = _folder(tmp_path)
    from openpyxl import load_workbook

    path = folder / FOLDER / IMPORTS
    wb = load_workbook(path)
    ws = wb["Customs Value"]
    ws.cell(row=ws.max_row, column=6, value="9,999")
    wb.save(path)
    with pytest.raises(SourceError, match="not the sum") as err:
        read_usitc(folder)
    assert err.value.row == 7


def test_fixture_text_cell_fails(tmp_path):
    rows = [["Customs Value", "China", "2846", "X", "Value for: kilograms", "lots", 2.0, 0.0]]
    folder = tmp_path / "t"
    _workbook(folder / FOLDER / IMPORTS, value_rows=rows, total=False)
    _workbook(folder / FOLDER / EXPORTS, flow="Domestic Exports", value_sheet="FAS Value")
    with pytest.raises(SourceError, match="not a number") as err:
        read_usitc(folder)
    assert err.value.row == 4 and err.value.field == "2024"


def test_fixture_missing_header_column_fails(tmp_path):
    folder = _folder(tmp_path)
    from openpyxl import load_workbook

    path = folder / FOLDER / EXPORTS
    wb = load_workbook(path)
    wb["FAS Value"].cell(row=3, column=2, value="Partner")
    wb.save(path)
    with pytest.raises(SourceError, match="unexpected header") as err:
        read_usitc(folder)
    assert err.value.row == 3 and err.value.field == "Country"


def test_fixture_wrong_flow_in_sheet_title_fails(tmp_path):
    folder = _folder(tmp_path)
    from openpyxl import load_workbook

    path = folder / FOLDER / IMPORTS
    wb = load_workbook(path)
    wb["Customs Value"].cell(row=1, column=1, value="Domestic Exports|Annual")
    wb.save(path)
    with pytest.raises(SourceError, match="trade flow"):
        read_usitc(folder)


def test_fixture_truncated_workbook_fails(tmp_path):
    folder = _folder(tmp_path)
    path = folder / FOLDER / IMPORTS
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(SourceError, match="not a readable .xlsx"):
        read_usitc(folder)

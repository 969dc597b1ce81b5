"""Tests of the USGS Minerals Yearbook 2022 rare-earth trade-table reader."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook as OpenpyxlWorkbook

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.usgs_myb import FILE, FOLDER, read_myb_rare_earths

# ---------------------------------------------------------------- real file


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_myb_rare_earths(raw_data_dir)


def _pick(df, **where):
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    return sel


def _one(df, **where):
    sel = _pick(df, **where)
    assert len(sel) == 1, where
    return sel.iloc[0]


def test_real_imports_of_compounds(real):
    t = real.tables["myb_trade"]
    ce = _pick(t, table="T6", hts="2846.10.0010", partner_iso3="CHN", year=2021)
    assert _one(ce, measure="gross_weight").value == 334000 and _one(ce, measure="gross_weight").unit == "kilograms"
    assert _one(ce, measure="value").value == 1990000 and _one(ce, measure="value").unit == "US dollars"
    assert _one(ce, measure="value").description == "Cerium oxides" and _one(ce, measure="value").flow == "imports"
    assert _one(ce, measure="value").source_row == 10
    # revised marker in the next column
    other = _one(t, table="T6", hts="2846.10.0050", partner_kind="other", year=2021, measure="gross_weight")
    assert other.value == 106000 and other.qualifier == "revised"
    # the per-code total is U.S. trade with the world; the REO row is its oxide content
    total = _one(t, table="T6", hts="2846.10.0010", partner_kind="world", year=2022, measure="value")
    assert total.value == 21800000 and pd.isna(total.partner_iso3)
    reo = _one(t, table="T6", hts="2846.10.0010", year=2022, measure="reo_content")
    assert reo.value == 831000 and reo.partner_kind == "world"
    # '--' is zero
    zero = _one(t, table="T6", hts="2846.90.8070", partner_iso3="EST", year=2022, measure="value")
    assert zero.qualifier == "zero" and zero.value == 0 and zero.raw == "--"


def test_real_imports_of_metals_and_special_rows(real):
    t = real.tables["myb_trade"]
    pr = _pick(t, table="T7", hts="2805.30.0015", partner_iso3="CHN", year=2022)
    assert _one(pr, measure="gross_weight").value == 44000 and _one(pr, measure="value").value == 5350000
    # one category with three HTS codes over three rows
    fe = _pick(t, table="T7", description="Ferrocerium and other pyrophoric alloys")
    assert set(fe.hts) == {"3606.90.3000, 3606.90.3010, 3606.90.3090"}
    # a single country on the code row
    ru = _one(t, table="T6", hts="2846.90.2082", partner_iso3="RUS", year=2021, measure="gross_weight")
    assert ru.value == 35 and ru.description == "Scandium or yttrium chloride mixtures"
    assert _one(t, table="T6", hts="2846.90.2082", year=2021, measure="reo_content").value == pytest.approx(12.95)
    # a label continued on the next row
    y = _pick(t, table="T6", hts="2846.90.4000")
    assert set(y.description) == {"Yttrium materials and compounds content by weight greater than 19% but less than 85% oxide equivalent"}


def test_real_exports_and_counts(real):
    t = real.tables["myb_trade"]
    assert set(_pick(t, table="T4").flow) == {"exports"} and set(_pick(t, table="T7").flow) == {"imports"}
    ce = _one(t, table="T4", hts="2846.10.0000", partner_iso3="CAN", year=2022, measure="value")
    assert ce.value == 1370000
    assert _one(t, table="T4", hts="2846.10.0000", partner_iso3="KOR", year=2021, measure="gross_weight").value == 58600
    assert len(t) == 588
    assert t.groupby("table").size().to_dict() == {"T4": 168, "T5": 104, "T6": 198, "T7": 118}
    assert set(t.qualifier) == {"exact", "revised", "zero"}
    assert (t.commodity_id == "rare-earths").all()
    # no subtotal over several codes is kept
    assert not t.description.str.startswith("Total").any()
    assert real.skipped["myb: subtotal over several codes"] == 7
    assert real.skipped["myb: footnote line"] == 14


def test_real_every_row_accounted_for(real, raw_data_dir):
    from critmin.sources.xlsx_sheets import Workbook

    t = real.tables["myb_trade"]
    with Workbook(raw_data_dir / FOLDER / FILE) as book:
        sheet_rows = sum(len(book.rows(s)) for s in ("T4", "T5", "T6", "T7"))
    figure_rows = t.drop_duplicates(["table", "source_row"]).shape[0]
    row_skips = sum(v for k, v in real.skipped.items() if "XX" not in k)
    assert figure_rows + row_skips == sheet_rows


def test_real_openpyxl_fallback_gives_the_same_tables(real, raw_data_dir, monkeypatch):
    """Without python-calamine the reader falls back to openpyxl and must give the same rows."""
    import pandas.testing

    import critmin.sources.xlsx_sheets as xlsx_sheets

    monkeypatch.setattr(xlsx_sheets, "_calamine", None)
    fallback = read_myb_rare_earths(raw_data_dir)
    assert fallback.skipped == real.skipped
    for name, df in real.tables.items():
        pandas.testing.assert_frame_equal(df, fallback.tables[name])


# ---------------------------------------------------------------- fixtures


def _table(wb, name, title, body):
    ws = wb.create_sheet(name)
    ws.append([f"TABLE {name[1:]}"])
    ws.append([title])
    ws.append([])
    ws.append([None, None, None, None, 2021, None, None, None, 2022])
    ws.append([None, None, "HTS", None, "Gross weight", None, None, None, "Gross weight"])
    ws.append(["Category and country or locality", None, "code2", None, "(kilograms)", None, "Value", None, "(kilograms)", None, "Value"])
    for r in body:
        ws.append(r)


DEFAULT_BODY = [
    ["Lanthanum oxides:", None, "2846.90.2005"],
    ["China ", None, None, None, 429000, None, 1510000, None, 1110000, "e", 3370000],
    ["Korea, Republic of", None, None, None, "--", None, "--", None, 5, None, 70],
    ["Other", None, None, None, 59400, "r", 1210000, None, 45500, None, 4260000],
    ["Total", None, None, None, 488400, None, 2720000, None, 1110005, None, 7630070],
    ["Total estimated REO equivalent content", None, None, None, 488000, None, "XX", None, 1110000, None, "XX"],
    ["Other rare-earth compounds:"],
    ["Ferrocerium and other pyrophoric alloys:", None, "3606.90.3000,"],
    [None, None, "3606.90.3090"],
    ["Austria ", None, None, None, 50900, None, 534000, None, 92100, None, 911000],
    ["Scandium or yttrium chloride mixtures, Russia", None, "2846.90.2082", None, 35, None, 39000, None, "--", None, "--"],
    ["Grand total", None, None, None, 1, None, 2, None, 3, None, 4],
    ["Grand total estimated REO equivalent content", None, None, None, 1, None, "XX", None, 3, None, "XX"],
    ["rRevised.  XX Not applicable.  -- Zero."],
    [],
    ["Source: U.S. Census Bureau."],
]


def _write(tmp_path: Path, body=None, t6_body=None) -> Path:
    wb = OpenpyxlWorkbook()
    wb.remove(wb.active)
    for name, title in (("T4", "U.S. EXPORTS OF RARE-EARTH COMPOUNDS, BY COUNTRY OR LOCALITY1"),
                        ("T5", "U.S. EXPORTS OF RARE-EARTH METALS AND ALLOYS, BY COUNTRY OR LOCALITY1"),
                        ("T6", "U.S. IMPORTS FOR CONSUMPTION OF RARE-EARTH COMPOUNDS, BY COUNTRY OR LOCALITY1"),
                        ("T7", "U.S. IMPORTS FOR CONSUMPTION OF RARE-EARTH METALS AND ALLOYS, BY COUNTRY OR LOCALITY1")):
        _table(wb, name, title, (t6_body if name == "T6" and t6_body is not None else body or DEFAULT_BODY))
    path = tmp_path / FOLDER / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return tmp_path


def test_fixture_layout(tmp_path):
    res = read_myb_rare_earths(_write(tmp_path))
    t = _pick(res.tables["myb_trade"], table="T6")
    cn = _one(t, partner_iso3="CHN", year=2022, measure="gross_weight")
    assert cn.qualifier == "estimated" and cn.value == 1110000 and cn.hts == "2846.90.2005" and cn.source_row == 8
    assert _one(t, partner_kind="other", year=2021, measure="gross_weight").qualifier == "revised"
    kor = _one(t, partner_iso3="KOR", year=2021, measure="value")
    assert kor.qualifier == "zero" and kor.value == 0
    assert _one(t, partner_kind="world", hts="2846.90.2005", year=2022, measure="value").value == 7630070
    assert _one(t, measure="reo_content", hts="2846.90.2005", year=2021).value == 488000
    aut = _one(t, partner_iso3="AUT", year=2021, measure="value")
    assert aut.hts == "3606.90.3000, 3606.90.3090" and aut.description == "Ferrocerium and other pyrophoric alloys"
    ru = _one(t, partner_iso3="RUS", year=2021, measure="gross_weight")
    assert ru.hts == "2846.90.2082" and ru.value == 35
    assert _pick(t, description="Grand total").empty and len(_pick(t, measure="reo_content")) == 2
    assert res.skipped["myb: REO row of a subtotal over several codes"] == 4
    assert res.skipped["myb: not-applicable (XX) value cell of an REO row"] == 4 * 2
    assert set(_pick(res.tables["myb_trade"], table="T4").flow) == {"exports"}


def test_fixture_unknown_country_fails(tmp_path):
    body = [DEFAULT_BODY[0], ["Atlantis", None, None, None, 1, None, 2, None, 3, None, 4], *DEFAULT_BODY[-3:]]
    with pytest.raises(UnmappedNameError) as err:
        read_myb_rare_earths(_write(tmp_path, t6_body=body))
    assert err.value.row == 8


def test_fixture_unknown_marker_fails(tmp_path):
    body = [DEFAULT_BODY[0], ["China", None, None, None, 1, "p", 2, None, 3, None, 4], *DEFAULT_BODY[-3:]]
    with pytest.raises(SourceError, match="marker") as err:
        read_myb_rare_earths(_write(tmp_path, t6_body=body))
    assert err.value.row == 8


def test_fixture_figures_outside_a_category_fail(tmp_path):
    body = [["China", None, None, None, 1, None, 2, None, 3, None, 4], *DEFAULT_BODY[-3:]]
    with pytest.raises(SourceError, match="outside a category"):
        read_myb_rare_earths(_write(tmp_path, t6_body=body))


def test_fixture_missing_footnotes_is_truncation(tmp_path):
    with pytest.raises(SourceError, match="footnotes"):
        read_myb_rare_earths(_write(tmp_path, t6_body=DEFAULT_BODY[:5]))


def test_fixture_text_figure_fails(tmp_path):
    body = [DEFAULT_BODY[0], ["China", None, None, None, "n.a.x", None, 2, None, 3, None, 4], *DEFAULT_BODY[-3:]]
    with pytest.raises(SourceError, match="not a figure"):
        read_myb_rare_earths(_write(tmp_path, t6_body=body))


def test_fixture_moved_columns_fail(tmp_path):
    path = _write(tmp_path) / FOLDER / FILE
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["T7"].cell(row=6, column=7, value="Value ($)")
    wb.save(path)
    with pytest.raises(SourceError, match="column heads") as err:
        read_myb_rare_earths(tmp_path)
    assert err.value.row == 6


def test_fixture_missing_sheet_fails(tmp_path):
    path = _write(tmp_path) / FOLDER / FILE
    from openpyxl import load_workbook

    wb = load_workbook(path)
    del wb["T5"]
    wb.save(path)
    with pytest.raises(SourceError, match="sheet not found") as err:
        read_myb_rare_earths(tmp_path)
    assert err.value.field == "T5"

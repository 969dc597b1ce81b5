"""The bill of materials: format, strict validation, every bad row named, tree arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.exposure.bom import BomError, read_bom
from tests.exposure.conftest import write_bill


def test_a_valid_tree_gets_units_per_year(tmp_path):
    p = write_bill(tmp_path, [
        "P,,,product,,,,,,USA,,,8501.53,100,1000,,",
        "A,P,2,assembly,,,,,,USA,,,,10,,,",
        "B,A,3,mineral line,cobalt,0.5,0.2,,,Japan,AUS:60; CHN:40,Finland,,1,,yes,",
    ])
    bom = read_bom(p)
    parts = bom.parts.set_index("part_id")
    assert parts.at["B", "units_per_year"] == 1000 * 2 * 3
    assert parts.at["B", "root_id"] == "P" and parts.at["B", "depth"] == 2
    assert parts.at["B", "material_kind"] == "mineral" and parts.at["B", "material_id"] == "cobalt"
    assert parts.at["B", "supplier_iso3"] == "JPN"
    assert parts.at["B", "declared"] == {"mine": [("AUS", 0.6), ("CHN", 0.4)], "processing": [("FIN", 1.0)]}
    assert parts.at["B", "originating_flag"] is True
    assert parts.at["P", "hts_code"] == "850153"


def test_every_bad_row_is_named_at_once(tmp_path):
    p = write_bill(tmp_path, [
        "P,,,product,,,,,,USA,,,,100,1000,,",
        "P,,,duplicate id,,,,,,USA,,,,100,10,,",                 # row 3: duplicate
        "M1,P,1,magnet,ndfeb-magnit,1,,,,China,,,,5,,,",          # row 4: unknown material (did you mean)
        "M2,P,1,cobalt,cobalt,-2,1.4,,,Atlantis,,,,5,,,",         # row 5: negative mass, fraction > 1, unknown country
        "M3,NOPE,1,orphan,,,,,,USA,,,,5,,,",                       # row 6: parent does not exist
        "M4,P,x,bad quantity,gallium,1,0.5,,,USA,,,12,5,,maybe,",  # row 7: quantity not a number, hts, originating
        "C1,C2,1,cycle a,,,,,,USA,,,,1,,,",                        # row 8: cycle
        "C2,C1,1,cycle b,,,,,,USA,,,,1,,,",                        # row 9: cycle
        "M5,P,1,mineral without fraction,lithium,1,,,,USA,CHN:50; AUS:30,,,5,,,",  # row 10: fraction; shares 80%
    ])
    with pytest.raises(BomError) as err:
        read_bom(p)
    found = {(q.row, q.column) for q in err.value.problems}
    expected = {(3, "part_id"), (4, "material"), (5, "mass_kg"), (5, "content_fraction"), (5, "supplier_country"),
                (6, "parent_id"), (7, "quantity"), (7, "hts_code"), (7, "originating"), (8, "parent_id"), (9, "parent_id"),
                (10, "content_fraction"), (10, "origin_mine")}
    assert expected <= found, expected - found
    text = str(err.value)
    assert "did you mean 'ndfeb-magnet'" in text
    assert "nothing was computed" in text
    assert "shares add up to 80.0%" in text


def test_structure_problems(tmp_path):
    p = write_bill(tmp_path, [
        "P,,,product without volume,,,,,,USA,,,,100,,,",
        "A,P,,child without quantity,,,,,,USA,,,,1,5,,",
        "B,P,1,pack without kwh,li-ion-pack-nmc-811,,,,,USA,,,,1,,,",
        "C,P,1,library product with a fraction,gaas,1,0.5,,,USA,,,,1,,,",
    ])
    with pytest.raises(BomError) as err:
        read_bom(p)
    found = {(q.row, q.column) for q in err.value.problems}
    assert {(2, "annual_volume"), (3, "quantity"), (3, "annual_volume"), (4, "energy_kwh"), (5, "content_fraction")} <= found


def test_unknown_and_missing_columns_and_files(tmp_path):
    bad = tmp_path / "cols.csv"
    bad.write_text("part,parent\nP,\n", encoding="utf-8")
    with pytest.raises(BomError) as err:
        read_bom(bad)
    cols = {q.column for q in err.value.problems}
    assert {"part", "parent", "part_id"} <= cols
    with pytest.raises(BomError, match="file not found"):
        read_bom(tmp_path / "none.csv")
    txt = tmp_path / "bill.txt"
    txt.write_text("x", encoding="utf-8")
    with pytest.raises(BomError, match="unsupported file type"):
        read_bom(txt)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("part_id,description\nP,Bogot\xe1\n".encode("latin-1"))
    with pytest.raises(BomError, match="not UTF-8"):
        read_bom(latin)


def test_xlsx_reads_like_csv(tmp_path):
    csv_path = write_bill(tmp_path, [
        "P,,,product,,,,,,USA,,,,100,1000,,",
        "B,P,3,mineral line,cobalt,0.5,0.2,,,Japan,,,,1,,,",
    ])
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    xlsx = tmp_path / "bill.xlsx"
    frame.to_excel(xlsx, index=False)
    a, b = read_bom(csv_path).parts, read_bom(xlsx).parts
    assert list(a["units_per_year"]) == list(b["units_per_year"]) == [1000.0, 3000.0]


def test_xlsx_errors_name_rows(tmp_path):
    frame = pd.DataFrame({"part_id": ["P", "B"], "parent_id": ["", "Q"], "annual_volume": ["10", ""], "quantity": ["", "1"]})
    xlsx = tmp_path / "bad.xlsx"
    frame.to_excel(xlsx, index=False)
    with pytest.raises(BomError) as err:
        read_bom(xlsx)
    assert (3, "parent_id") in {(q.row, q.column) for q in err.value.problems}

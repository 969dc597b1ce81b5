"""Tests of the BatPaC battery-contents reader (Busch et al. 2024, sheet BatPac)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook

from critmin.errors import SourceError
from critmin.sources.busch2024_intensity import FILE, FOLDER, SHEET, read_batpac
from tests.sources import one_row

# ---------------------------------------------------------------- real file


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_batpac(raw_data_dir)


def test_real_counts(real):
    df = real.tables["battery_contents"]
    # 232 rows = header + 11 materials x 21 chemistries; the 21 Battery_MWh rows are left out
    assert len(df) == 10 * 21 == 210
    assert df["chemistry"].nunique() == 21
    assert real.skipped == Counter({"batpac: Battery_MWh row (pack energy, not a material)": 21})


def test_real_published_values(real):
    df = real.tables["battery_contents"]
    # SOURCES.md §10: NMC 811 lithium 0.0998, nickel 0.658, cobalt 0.0826, manganese 0.0770, graphite 0.924
    for material, expected in [("Lithium", 0.0998), ("Nickel", 0.658), ("Cobalt", 0.0826),
                               ("Manganese", 0.0770), ("Graphite", 0.924)]:
        row = one_row(df, chemistry="NMC 811", material=material)
        assert row.value == pytest.approx(expected, abs=5e-4), material
        assert row.unit == "kg/kWh"
    sib = one_row(df, chemistry="SIB", material="Lithium")
    assert sib.value == 0 and sib.qualifier == "zero"
    steel = one_row(df, chemistry="LFP", material="Stainless steel")
    assert steel.commodity_id != steel.commodity_id and steel.value > 0  # null
    assert one_row(df, chemistry="LFP", material="Phosphorus").commodity_id == "phosphate"
    assert one_row(df, chemistry="NMC 811", material="Lithium").source_file == f"{FOLDER}/{FILE}"


# ---------------------------------------------------------------- fixtures written here


def _write(tmp_path: Path, rows, sheet: str = SHEET) -> Path:
    wb = OpenpyxlWorkbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(list(r))
    (tmp_path / FOLDER).mkdir(parents=True, exist_ok=True)
    wb.save(tmp_path / FOLDER / FILE)
    return tmp_path


HEADER = ("Mineral", "chemistry", "kg_per_kwh")


def test_fixture_reads_and_skips(tmp_path):
    d = _write(tmp_path, [HEADER, ("Lithium", "LFP", 0.09), ("Battery_MWh", "LFP", 1), ("Cobalt", "LFP", 0),
                          ("Nickel", "SS NMC 622", None)])
    res = read_batpac(d)
    df = res.tables["battery_contents"]
    assert len(df) == 3
    assert one_row(df, material="Lithium").value == pytest.approx(0.09)
    assert one_row(df, material="Cobalt").qualifier == "zero"
    missing = one_row(df, material="Nickel")
    assert missing.qualifier == "missing" and missing.value != missing.value  # null, never 0
    assert one_row(df, material="Lithium").source_row == 2
    assert res.skipped["batpac: Battery_MWh row (pack energy, not a material)"] == 1


@pytest.mark.parametrize(
    "row, field, text",
    [
        (("Lithium", "LFP", "0,09"), "kg_per_kwh", "not a number"),
        (("Lithium", "LFP", "n/a"), "kg_per_kwh", "not a number"),
        (("Lithium", "LFP", -0.1), "kg_per_kwh", "not a content"),
        (("Lithum", "LFP", 0.1), "Mineral", "unknown material"),
        (("Lithium", "NMC 9000 turbo", 0.1), "chemistry", "unknown chemistry"),
    ],
)
def test_fixture_bad_cells_name_file_sheet_row_field(tmp_path, row, field, text):
    d = _write(tmp_path, [HEADER, ("Cobalt", "LFP", 0.0), row])
    with pytest.raises(SourceError) as err:
        read_batpac(d)
    e = err.value
    assert e.row == 3 and e.field == field and text in str(e)
    assert FILE in e.file and SHEET in str(e)


def test_fixture_duplicate_pair_fails(tmp_path):
    d = _write(tmp_path, [HEADER, ("Lithium", "LFP", 0.1), ("Lithium", "LFP", 0.2)])
    with pytest.raises(SourceError, match="listed twice") as err:
        read_batpac(d)
    assert err.value.row == 3


def test_fixture_wrong_header_missing_sheet_missing_file(tmp_path):
    d = _write(tmp_path, [("Mineral", "chem", "kg"), ("Lithium", "LFP", 0.1)])
    with pytest.raises(SourceError, match="unexpected header"):
        read_batpac(d)
    d2 = _write(tmp_path / "other", [HEADER], sheet="Notes")
    with pytest.raises(SourceError, match="sheet not found"):
        read_batpac(d2)
    with pytest.raises(SourceError, match="file not found"):
        read_batpac(tmp_path / "nowhere")

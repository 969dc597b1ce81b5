"""Tests of the MCS2026 long-format reader (``critmin.sources.usgs_mcs2026``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.schema import TABLES
from critmin.sources.usgs_mcs2026 import COLUMNS, RELATIVE_PATH, is_estimated_note, read_mcs2026, stage_of

TABLE_NAMES = ("production", "salient", "import_shares")


def assert_schema(df: pd.DataFrame, table: str) -> None:
    schema = TABLES[table]
    assert list(df.columns) == list(schema.columns)
    for column in schema.not_null:
        assert df[column].notna().all(), f"{table}.{column} has nulls"


# ---------------------------------------------------------------- real file


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_mcs2026(raw_data_dir)


def _one(df: pd.DataFrame, **where) -> pd.Series:
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"{len(sel)} rows for {where}"
    return sel.iloc[0]


def test_every_raw_row_is_in_exactly_one_table(real):
    tables = real.tables
    assert {k: len(v) for k, v in tables.items()} == {"production": 3303, "salient": 4863, "import_shares": 720}
    rows = pd.concat([tables[t]["source_row"] for t in TABLE_NAMES])
    assert sorted(rows) == list(range(2, 8888))  # 8,886 data rows, header is row 1
    assert not real.skipped
    for t in TABLE_NAMES:
        assert_schema(tables[t], t)
        assert (tables[t]["source_id"] == "usgs_mcs2026").all()
        assert (tables[t]["source_file"] == RELATIVE_PATH).all()
    assert real.info.doi == "10.5066/P1WKQ63T" and "CC0" in real.info.licence


def test_real_rare_earth_production_and_reserves(real):
    p = real.tables["production"]
    ree = p[p.commodity_id == "rare-earths"]
    china_2025 = _one(ree, country_iso3="CHN", measure="production", year=2025)
    assert china_2025.value == 270000 and china_2025.qualifier == "estimated" and china_2025.raw == "270,000"
    assert china_2025.stage == "mine" and china_2025.series_label == "Mine production"
    assert china_2025.unit == "metric tons" and "rare-earth-oxide (REO) equivalent" in china_2025.notes
    us_2024 = _one(ree, country_iso3="USA", measure="production", year=2024)
    assert us_2024.value == 45500 and us_2024.qualifier == "exact" and not us_2024.estimated
    canada = _one(ree, country_iso3="CAN", measure="production", year=2024)
    assert canada.value == 0 and canada.qualifier == "zero" and canada.raw == "—"
    burma = _one(ree, country_name="Burma", measure="reserves")
    assert burma.country_iso3 == "MMR" and pd.isna(burma.value) and burma.qualifier == "not_available"
    # the file predates the version 1.3 correction: keep the cell, say so
    brazil = _one(ree, country_iso3="BRA", measure="reserves")
    assert brazil.value == 21_000_000 and "11,000,000" in brazil.notes
    world = _one(ree, country_kind="world", measure="reserves")
    assert world.qualifier == "greater_than" and world.low == 85_000_000 and pd.isna(world.value)
    assert world.country_detail == "rounded" and world.series_label == "Reserves" and world.stage == "mine"
    assert "75,000,000" in world.notes


def test_real_stages(real):
    p = real.tables["production"]
    aluminum = _one(p, commodity_id="aluminum", country_iso3="CHN", series_label="Smelter production", year=2025)
    assert aluminum.stage == "processing" and aluminum.measure == "production"
    assert _one(p, commodity_id="aluminum", country_iso3="CHN", series_label="Yearend capacity", year=2025).stage == "processing"
    copper = p[(p.commodity_id == "copper") & (p.country_iso3 == "CHL") & (p.year == 2025)]
    assert dict(zip(copper.series_label, copper.stage)) == {"Mine production": "mine", "Refinery production": "processing", "Reserves": "mine"}
    bauxite = p[(p.commodity_id == "bauxite") & (p.country_iso3 == "AUS") & (p.year == 2025)]
    assert dict(zip(bauxite.form, bauxite.stage)) == {"alumina": "processing", "bauxite": "mine"}
    assert set(p[p.commodity_id == "helium"].stage) == {"unspecified", "mine"}  # production unspecified, reserves mine
    assert set(p[(p.commodity_id == "gallium") & (p.measure == "production")].stage) == {"processing"}
    assert set(p.stage) == {"mine", "processing", "unspecified"}
    assert set(p.measure) == {"production", "capacity", "reserves"}


def test_real_codes_never_become_numbers(real):
    for t in TABLE_NAMES:
        df = real.tables[t]
        coded = df[~df.qualifier.isin(["exact", "estimated", "revised", "zero"])]
        assert coded["value"].isna().all()
    p = real.tables["production"]
    assert (p.qualifier == "withheld").sum() == 30 and (p.qualifier == "not_calculable").sum() == 8
    yttrium = _one(p, source_row=8533)
    assert yttrium.qualifier == "range" and (yttrium.low, yttrium.high) == (10000, 15000)
    assert yttrium.notes.startswith("Publisher's row is shifted") and yttrium.year == 2025
    words = p[p.qualifier == "text"].raw.value_counts()
    assert words["Large"] == 28 and words["Moderate to large"] == 2


def test_real_salient(real):
    s = real.tables["salient"]
    imports = _one(s, source_row=2506)
    assert (imports.commodity_id, imports.statistic, imports.year, imports.value) == ("gallium", "imports", 2021, 8890)
    assert imports.detail == "Imports for consumption: Metal" and imports.unit == "kilograms"
    wollastonite = _one(s, source_row=8477)
    assert wollastonite.statistic == "nir" and wollastonite.qualifier == "net_exporter" and wollastonite.estimated
    assert wollastonite.detail == "The United States was a net exporter of wollastonite in 2025"  # no-break space removed
    stockpile = _one(s, source_row=5086)
    assert stockpile.qualifier == "text" and stockpile.raw == "?1" and pd.isna(stockpile.value)
    assert _one(s, source_row=7450).raw == "?10"
    gems = _one(s, source_row=2642)
    assert gems.statistic == "price" and gems.qualifier == "text" and pd.isna(gems.unit)
    assert s[s.year == 2025].estimated.all() and not s[s.year == 2021].estimated.all()
    assert set(s.statistic) == {"production", "imports", "exports", "consumption", "price", "stocks", "employment", "nir", "other"}


def test_real_import_shares(real):
    sh = real.tables["import_shares"]
    canada = _one(sh, source_row=255)
    assert (canada.commodity_id, canada.partner_iso3, canada.value, canada.period, canada.form) == ("aluminum", "CAN", 56, "2021-24", "All")
    assert _one(sh, source_row=259).partner_kind == "other"
    copper = _one(sh, source_row=1981)
    assert copper.qualifier == "greater_than" and copper.low == 99
    rubidium = sh[sh.commodity_id == "rubidium"].iloc[0]
    assert rubidium.partner_kind == "group" and rubidium.partner_name == "China, Germany, and Russia"
    assert sh.notes.str.contains("Includes Hong Kong.", regex=False).sum() >= 28
    # shares of each commodity, form and period add up to about 100 where all are numbers
    exact = sh[sh.qualifier == "exact"].groupby(["commodity_id", "form"]).value.sum()
    assert ((exact > 95) & (exact < 105)).mean() > 0.9


# ---------------------------------------------------------------- fixtures for every quirk


def _write(tmp_path: Path, rows: list[list[str]], *, encoding: str = "cp1252", header: list[str] | None = None, newline: str = "\r\n", tail: str = "") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header or list(COLUMNS))
    writer.writerows(rows)
    path = tmp_path / RELATIVE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((buffer.getvalue() + tail).encode(encoding))
    return path


def _world(country: str, value: str, *, year: str = "2024", notes: str = "", detail: str = "Mine production", statistics: str = "Production",
           commodity: str = "Cobalt", section: str = "World Mine Production and Reserves", flag: str = "Yes") -> list[str]:
    return ["COBALT", section, commodity, country, statistics, detail, "metric tons", year, value, notes, flag,
            "(Data in metric tons, cobalt content, unless otherwise specified)"]


def _salient(value: str, *, statistics: str = "Import", detail: str = "Imports for consumption", year: str = "2023", unit: str = "metric tons") -> list[str]:
    return ["COBALT", "Salient Statistics—United States", "Cobalt", "United States", statistics, detail, unit, year, value, "", "Yes", ""]


def test_fixture_values_and_codes(tmp_path):
    rows = [
        _world("Congo (Kinshasa)", "170,000", notes="Estimated."),
        _world("Australia", "W"),
        _world("Cuba", "NA"),
        _world("Other countries", "s"),
        _world("World total", "XX", detail="Mine production: rounded"),
        _world("Canada", "—"),
        _world("Morocco", "<1,000"),
        _world("Russia", "50–300"),
        _world("Finland", "10,000 - 15,000"),
        _world("Indonesia", "Large", statistics="Reserves", detail="Reserves", year="2025"),
        _world("Philippines", ">2,000,000", statistics="Reserves", detail="Reserves", year="2025"),
        _world("Cuba", "4\u00a0000", year="2025"),
        _world("China", "2,000", notes="Estimated .-- Source: company reports.", detail="Refinery production", section="World Refinery Production and Capacity"),
        _salient("E", statistics="Net import reliance", detail="Net import reliance as a percentage of apparent consumption", unit="percent"),
        _salient(">50", statistics="Net import reliance", detail="NIR", unit="percent", year="2025"),
        _salient("?1", statistics="Shipment", detail="Shipments from Government stockpile"),
        _salient("Variable, depending on size, type, and quality", statistics="Price", detail="Price", unit=""),
        ["COBALT", "Import Sources", "Cobalt", "Norway", "Import sources 2021-2024", "All", "percent", "2021–24", "26", "Includes Hong Kong.", "Yes", ""],
        ["COBALT", "Import Sources", "Cobalt", "Other countries", "Import sources 2021-2024", "All", "percent", "2021–24", "<1", "", "Yes", ""],
    ]
    result = read_mcs2026(_write(tmp_path, rows).parents[1])
    p, s, sh = (result.tables[t] for t in TABLE_NAMES)
    assert (len(p), len(s), len(sh)) == (13, 4, 2)
    for t in TABLE_NAMES:
        assert_schema(result.tables[t], t)
    by_row = p.set_index("source_row")
    assert by_row.loc[2, ["country_iso3", "value", "qualifier", "estimated"]].tolist() == ["COD", 170000, "estimated", True]
    assert [by_row.loc[r, "qualifier"] for r in range(3, 12)] == [
        "withheld", "not_available", "small", "not_calculable", "zero", "less_than", "range", "range", "text",
    ]
    assert by_row.loc[3, "value"] is None or pd.isna(by_row.loc[3, "value"])  # W is never 0
    assert by_row.loc[7, "value"] == 0.0
    assert by_row.loc[8, "high"] == 1000 and pd.isna(by_row.loc[8, "low"])
    assert (by_row.loc[9, "low"], by_row.loc[9, "high"]) == (50, 300)
    assert (by_row.loc[10, "low"], by_row.loc[10, "high"]) == (10000, 15000)
    assert by_row.loc[12, "low"] == 2_000_000 and by_row.loc[12, "stage"] == "mine" and by_row.loc[12, "estimated"]
    assert by_row.loc[6, "country_kind"] == "world" and by_row.loc[6, "series_label"] == "Mine production" and by_row.loc[6, "country_detail"] == "rounded"
    assert by_row.loc[13, "raw"] == "4 000"  # a no-break space is not a thousands separator: kept as text
    assert by_row.loc[14, "stage"] == "processing" and by_row.loc[14, "estimated"] and by_row.loc[14, "qualifier"] == "estimated"
    assert "cobalt content" in by_row.loc[2, "notes"]
    salient = s.set_index("source_row")
    assert salient.loc[15, "qualifier"] == "net_exporter" and salient.loc[15, "statistic"] == "nir"
    assert salient.loc[16, "qualifier"] == "greater_than" and salient.loc[16, "low"] == 50 and salient.loc[16, "estimated"]
    assert salient.loc[17, "qualifier"] == "text" and salient.loc[17, "raw"] == "?1" and salient.loc[17, "statistic"] == "other"
    assert salient.loc[18, "qualifier"] == "text" and pd.isna(salient.loc[18, "unit"])
    shares = sh.set_index("source_row")
    assert shares.loc[19, "period"] == "2021-24" and shares.loc[19, "partner_iso3"] == "NOR" and shares.loc[19, "notes"] == "Includes Hong Kong."
    assert shares.loc[20, "partner_kind"] == "other" and shares.loc[20, "qualifier"] == "less_than"


def test_fixture_shifted_flag_and_blank_lines(tmp_path):
    shifted = _world("World total", "10,000 - 15,000", notes="Yes", flag="Yttrium")
    result = read_mcs2026(_write(tmp_path, [shifted, [""] * 12, _world("China", "1")]).parents[1])
    p = result.tables["production"]
    assert "shifted" in p.iloc[0].notes and not p.iloc[0].notes.startswith("Yes")
    assert result.skipped["blank line"] == 1
    assert p.source_row.tolist() == [2, 4]


def test_fixture_unexpected_flag_fails(tmp_path):
    with pytest.raises(SourceError, match="critical-mineral flag") as err:
        read_mcs2026(_write(tmp_path, [_world("China", "1", flag="Maybe")]).parents[1])
    assert err.value.row == 2


def test_fixture_unknown_country_fails(tmp_path):
    with pytest.raises(UnmappedNameError) as err:
        read_mcs2026(_write(tmp_path, [_world("China", "1"), _world("Atlantis", "5")]).parents[1])
    assert err.value.row == 3 and err.value.field == "Country" and RELATIVE_PATH in str(err.value)


def test_fixture_unknown_commodity_fails(tmp_path):
    with pytest.raises(UnmappedNameError, match="commodity"):
        read_mcs2026(_write(tmp_path, [_world("China", "1", commodity="Unobtainium")]).parents[1])


def test_fixture_missing_column_fails(tmp_path):
    header = [c for c in COLUMNS if c != "Value"]
    with pytest.raises(SourceError, match="missing column") as err:
        read_mcs2026(_write(tmp_path, [_world("China", "1")[:-1]], header=header).parents[1])
    assert err.value.field == "Value"


def test_fixture_truncated_file_fails(tmp_path):
    rows = [_world("China", "1")]
    path = _write(tmp_path, rows, tail='COBALT,World Mine Production and Reserves,Cobalt,Cuba,Production,Mine prod')
    with pytest.raises(SourceError, match="truncated"):
        read_mcs2026(path.parents[1])
    path.write_bytes(path.read_bytes() + b"\r\n")  # a line break does not make a short row whole
    with pytest.raises(SourceError, match="truncated") as err:
        read_mcs2026(path.parents[1])
    assert err.value.row == 3


def test_fixture_utf8_copy_fails(tmp_path):
    with pytest.raises(SourceError, match="UTF-8"):
        read_mcs2026(_write(tmp_path, [_salient("1")], encoding="utf-8").parents[1])


def test_fixture_undecodable_byte_fails(tmp_path):
    path = _write(tmp_path, [_world("China", "1")])
    path.write_bytes(path.read_bytes().replace(b"China", b"Chi\x81a"))
    with pytest.raises(SourceError, match="cannot decode byte 0x81"):
        read_mcs2026(path.parents[1])


def test_fixture_unknown_section_and_statistic_fail(tmp_path):
    row = _world("China", "1", section="Domestic Production")
    with pytest.raises(SourceError, match="unknown section"):
        read_mcs2026(_write(tmp_path, [row]).parents[1])
    with pytest.raises(SourceError, match="unknown statistic"):
        read_mcs2026(_write(tmp_path, [_world("China", "1", statistics="Output")]).parents[1])
    with pytest.raises(SourceError, match="year"):
        read_mcs2026(_write(tmp_path, [_world("China", "1", year="2024e")]).parents[1])


def test_missing_file_fails(tmp_path):
    with pytest.raises(SourceError, match="file not found"):
        read_mcs2026(tmp_path)


@pytest.mark.parametrize(
    ("measure", "label", "section", "stage"),
    [
        ("production", "Mine production: Kaolin", "World Mine Production and Reserves", "mine"),
        ("production", "Zirconium mineral concentrates, mine production", "World Mine Production and Reserves", "mine"),
        ("production", "Alumina, refinery production", "World Alumina Refinery and Bauxite Mine Production and Bauxite Reserves", "processing"),
        ("capacity", "Production capacity", "World Refinery Production and Capacity", "processing"),
        ("capacity", "Yearend capacity", "World Smelter Production and Capacity", "processing"),
        ("production", "Production", "World Mine Production and Reserves", "mine"),
        ("production", "Helium Production", "World Production and Reserves", "unspecified"),
        ("production", "Production (arsenic trioxide, gross weight)", "World Production and Capacity", "unspecified"),
        ("production", "Plant production", "World Ammonia Production and Reserves", "processing"),
        ("reserves", "Reserves", "World Refinery Production and Reserves", "mine"),
    ],
)
def test_stage_rules(measure, label, section, stage):
    assert stage_of(measure, label, section) == stage


def test_estimated_note():
    assert is_estimated_note("Estimated.") and is_estimated_note("Estimated .-- Source: X.") and is_estimated_note("Reported. -- Estimated.")
    assert not is_estimated_note("Includes U.S. Geological Survey estimates.") and not is_estimated_note("")

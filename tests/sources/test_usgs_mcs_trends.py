"""Tests of the MCS industry-trends readers (``critmin.sources.usgs_mcs_trends``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.schema import TABLES
from critmin.sources.usgs_mcs_trends import (
    read_mcs2023_trends,
    read_mcs2024_trends,
    read_mcs2025_trends,
    read_mcs2026_trends,
    split_commodity_years,
)

READERS = {2023: read_mcs2023_trends, 2024: read_mcs2024_trends, 2025: read_mcs2025_trends, 2026: read_mcs2026_trends}


def assert_schema(result) -> None:
    for name, df in result.tables.items():
        schema = TABLES[name]
        assert list(df.columns) == list(schema.columns)
        for column in schema.not_null:
            assert df[column].notna().all(), f"{name}.{column} has nulls"
        assert (df.source_id == result.info.source_id).all()


# ---------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return {year: reader(raw_data_dir) for year, reader in READERS.items()}


def _one(df: pd.DataFrame, **where) -> pd.Series:
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"{len(sel)} rows for {where}"
    return sel.iloc[0]


def test_real_row_counts_and_manifest(real):
    counts = {year: {k: len(v) for k, v in r.tables.items()} for year, r in real.items()}
    assert counts == {
        2023: {"nir": 65},
        2024: {"nir": 63, "critical_salient": 31 * 7},
        2025: {"nir": 64, "critical_salient": 31 * 7},
        2026: {"nir": 68, "critical_salient": 39 * 7, "import_shares": 191, "export_controls": 71, "agreements": 10},
    }
    for year, result in real.items():
        assert_schema(result)
        assert result.info.source_id == f"usgs_mcs{year}_trends" and result.info.vintage == year
    assert real[2025].info.doi == "10.5066/P13XCP3R" and real[2023].info.doi == "10.5066/P9WCYUI6"
    assert real[2024].info.doi == "10.5066/P144BA54" and real[2026].info.doi == "10.5066/P1WKQ63T"


def test_real_tables_not_read_are_counted(real):
    skipped = real[2025].skipped
    assert skipped["MCS2025_Fig3_Major_Import_Sources.csv: counts of commodities per major import-source country (map classes); not a schema table"] == 43
    assert sum(v for k, v in skipped.items() if k.startswith("MCS2025_Fig10_")) == 40
    assert sum(v for k, v in skipped.items() if k.startswith("MCS2026_T6_")) == 0
    assert sum(v for k, v in real[2026].skipped.items() if k.startswith("MCS2026_T6_")) == 60
    assert len(real[2023].skipped) == 6 and len(real[2026].skipped) == 10


def test_real_nir_2026(real):
    nir = real[2026].tables["nir"]
    assert nir["rank"].tolist() == list(range(1, 69))
    assert set(nir.year) == {2025} and set(nir.sources_period) == {"2021-24"}
    ree = _one(nir, commodity_id="rare-earths")
    assert ree.form == "compounds and metals" and ree.published_name == "RARE EARTHS, compounds and metals"
    assert ree.value == 67 and ree.qualifier == "estimated" and list(ree.import_sources_iso3) == ["CHN", "MYS", "EST", "JPN"]
    assert "neodymium" in ree.notes and "Hong Kong are included with China" in ree.notes
    barite = _one(nir, commodity_id="barite")
    assert barite.qualifier == "greater_than" and barite.low == 75 and pd.isna(barite.value)
    xenon = _one(nir, commodity_id="xenon")
    assert list(xenon.import_sources) == [] and "NA" in xenon.notes and xenon.value == 98
    chromium = _one(nir, commodity_id="chromium")
    assert chromium.published_name == "CHROMIUM, all forms" and chromium.form == "all forms"
    # how many minerals are 100 % import reliant, and how many more than 50 %
    hundred = nir[nir.value == 100]
    assert len(hundred) == 16 and "gallium" in set(hundred.commodity_id)
    above_50 = nir[(nir.value > 50) | ((nir.qualifier == "greater_than") & (nir.low >= 50))]
    assert len(above_50) == 53


def test_real_nir_earlier_releases(real):
    n23 = real[2023].tables["nir"]
    assert set(n23.year) == {2022} and set(n23.sources_period) == {"2018-21"} and n23.notes.isna().sum() == 64
    scandium = _one(n23, commodity_id="scandium")
    assert list(scandium.import_sources) == ["Europe", "China", "Japan", "Philippines"]
    assert list(scandium.import_sources_iso3) == ["CHN", "JPN", "PHL"] and "region" in scandium.notes
    diamond = _one(n23, published_name="DIAMOND (INDUSTRIAL), stones")
    assert list(diamond.import_sources_iso3) == ["ZAF", "COD", "IND", "SLE"]
    assert _one(n23, commodity_id="titanium", form="sponge").qualifier == "greater_than"
    n25 = real[2025].tables["nir"]
    garnet = _one(n25, commodity_id="garnet")
    assert list(garnet.import_sources) == ["South Africa", "Australia", "India", "China"]  # "China3": footnote removed
    assert _one(n25, commodity_id="gallium").form == "metal"
    assert set(real[2024].tables["nir"].sources_period) == {"2019-22"}


def test_real_critical_salient(real):
    cs = real[2026].tables["critical_salient"]
    gallium = cs[cs.commodity_id == "gallium"].set_index("field")
    assert gallium.loc["world_production", "value"] == 900 and gallium.loc["leading_country_share_pct", "value"] == 100
    assert gallium.loc["leading_country_share_pct", "unit"] == "percent" and gallium.loc["world_production", "unit"] == "metric tons"
    assert gallium.loc["world_production", "year_label"] == "2025_estimated" and gallium.loc["world_production", "qualifier"] == "estimated"
    assert (gallium.leading_country_iso3 == "CHN").all() and list(gallium.iloc[0].primary_import_sources) == ["Canada"]
    zinc = cs[cs.commodity_id == "zinc"].set_index("field")
    assert zinc.loc["secondary_production", "qualifier"] == "missing" and zinc.loc["secondary_production", "raw"] == ""
    boron = cs[cs.commodity_id == "boron"].set_index("field")
    assert boron.loc["leading_country_share_pct", "qualifier"] == "withheld" and boron.loc["net_import_reliance", "qualifier"] == "net_exporter"
    assert _one(cs, published_name="Arsenic", field="world_production").value == 61000
    assert set(cs[cs.published_name == "Aluminum (bauxite)"].commodity_id) == {"bauxite"}
    indium = cs[cs.commodity_id == "indium"].iloc[0]
    assert list(indium.primary_import_sources) == ["Republic of Korea"]
    zirconium = _one(cs, commodity_id="zirconium", field="apparent_consumption")
    assert zirconium.qualifier == "less_than" and zirconium.high == 100000
    cs24 = real[2024].tables["critical_salient"]
    assert _one(cs24, commodity_id="zinc", field="leading_country_production").qualifier == "not_available"
    assert cs24[cs24.commodity_id == "zinc"].leading_country_iso3.isna().all()
    assert _one(cs24, commodity_id="gallium", field="apparent_consumption").value == 19  # misspelt column found
    assert _one(real[2025].tables["critical_salient"], commodity_id="platinum", field="secondary_production").value == 8.5


def test_real_import_shares_fig3(real):
    sh = real[2026].tables["import_shares"]
    cobalt = sh[sh.commodity_id == "cobalt"]
    assert cobalt.partner_name.tolist() == ["Norway", "Finland", "Canada", "Japan", "Other"]
    assert cobalt.value.tolist() == [26, 16, 14, 14, 30] and cobalt.iloc[-1].partner_kind == "other"
    assert set(sh.period) == {"2021-24"}
    cesium = _one(sh, commodity_id="cesium")
    assert cesium.partner_kind == "unknown" and cesium.value == 100 and "not available" in cesium.notes
    hafnium = _one(sh, commodity_id="hafnium")
    assert hafnium.qualifier == "not_available" and pd.isna(hafnium.value)
    assert "NIR as published in Fig. 3: 79." in cobalt.iloc[0].notes


def test_real_export_controls_t4(real):
    ec = real[2026].tables["export_controls"]
    assert ec.measure_id.nunique() == 35 and set(ec.status) == {"active"}
    nickel = _one(ec, measure_id="USGS-T4-IDN-3")
    assert (nickel.commodity_id, nickel.materials, nickel.year, nickel.control_type) == ("nickel", "nickel ore", 2020, "Export ban")
    laos = ec[ec.measure_id == "USGS-T4-LAO-1"]
    assert laos.commodity_id.isna().sum() == 1 and {"copper", "potash", "iron-ore"} <= set(laos.commodity_id)
    assert _one(ec, measure_id="USGS-T4-CHN-11").commodity_id == "silver" and _one(ec, measure_id="USGS-T4-CHN-11").year == 2026
    assert set(ec[ec.country_iso3 == "COD"].control_type) == {"Export quota"}
    assert set(ec[ec.country_iso3 == "ARM"].control_type) == {"Temporary export ban"}  # trailing space removed
    assert ec.scope_notes.str.startswith("Excludes past export controls that have been lifted.").all()


def test_real_agreements(real):
    ag = real[2026].tables["agreements"]
    assert ag.country_iso3.tolist() == ["AUS", "CHN", "IDN", "JPN", "JPN", "JPN", "KOR", "MYS", "PHL", "THA"]
    trilateral = ag[ag.agreement == "Trilateral Cooperation"]
    assert set(trilateral.country_iso3) == {"JPN", "KOR"} and set(trilateral.signing_date) == {dt.date(2025, 9, 23)}
    philippines = _one(ag, country_iso3="PHL")
    assert philippines.signing_date is None and "Signed 2025-02" in philippines.focus_area
    assert _one(ag, country_iso3="AUS").signing_date == dt.date(2025, 10, 20)


# ---------------------------------------------------------------- fixtures


def _write(folder: Path, name: str, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8-sig", tail: str = "") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes((buffer.getvalue() + tail).encode(encoding))
    return path


FIG2_2023 = ["Source", "Import_Share_Rank", "Commodity", "Net_Import_Reliance_pct_2022", "Major_Import_Sources_2018_2021"]
FIG2_2026 = ["Source", "Import_Share_Order", "Commodity", "Net_Import_Reliance_pct_2025", "Major_Import_Sources_2021_24", "Notes"]


def _folder(tmp_path: Path, year: int) -> Path:
    return tmp_path / f"usgs_mcs{year}" / "industry_trends"


def test_fixture_fig2_quirks(tmp_path):
    folder = _folder(tmp_path, 2023)
    _write(folder, "MCS2023_Fig2_Net_Import_Reliance.csv", FIG2_2023, [
        ["MCS2023", "1", "RARE EARTHS, compounds and metals, including lanthanides", ">95", "China, Estonia, Malaysia, Japan"],
        ["MCS2023", "2", "CHROMIUM, all forms ", "E", "South Africa, Kazakhstan  "],
        ["MCS2023", "3", "ALUMINUM", "<25", "Canada, China3 "],
        ["MCS2023", "4", "XENON", "98", "NA"],
        ["MCS2023", "5", "SCANDIUM", "100", "Europe, China"],
        ["MCS2023", "6", "DIAMOND (INDUSTRIAL), stones", "89", "South Africa, Congo (Kinshasa),  India"],
    ])
    _write(folder, "MCS2023_T3_State_Value_Rank.csv", ["Source", "State"], [["MCS2023", "Nevada"], ["MCS2023", "Arizona"]])
    _write(folder, "MCS2023_T9_Something_New.csv", ["Source", "X"], [["MCS2023", "1"]], tail="\n")
    result = read_mcs2023_trends(tmp_path)
    assert_schema(result)
    nir = result.tables["nir"].set_index("rank")
    assert (nir.loc[1, "commodity_id"], nir.loc[1, "form"], nir.loc[1, "qualifier"], nir.loc[1, "low"]) == (
        "rare-earths", "compounds and metals, including lanthanides", "greater_than", 95,
    )
    assert nir.loc[2, "qualifier"] == "net_exporter" and pd.isna(nir.loc[2, "value"]) and nir.loc[2, "published_name"] == "CHROMIUM, all forms"
    assert list(nir.loc[2, "import_sources"]) == ["South Africa", "Kazakhstan"]
    assert nir.loc[3, "qualifier"] == "less_than" and nir.loc[3, "high"] == 25 and list(nir.loc[3, "import_sources"]) == ["Canada", "China"]
    assert list(nir.loc[4, "import_sources"]) == [] and list(nir.loc[4, "import_sources_iso3"]) == []
    assert list(nir.loc[5, "import_sources_iso3"]) == ["CHN"] and nir.loc[5, "value"] == 100 and nir.loc[5, "qualifier"] == "estimated"
    assert list(nir.loc[6, "import_sources_iso3"]) == ["ZAF", "COD", "IND"]
    assert set(nir.year) == {2022} and set(nir.sources_period) == {"2018-21"}
    assert result.skipped["MCS2023_T3_State_Value_Rank.csv: value of production by state; not in the schema, not read yet"] == 2
    assert result.skipped["MCS2023_T9_Something_New.csv: table not known to critmin; not read"] == 1
    assert [p.name for p in result.files] == ["MCS2023_Fig2_Net_Import_Reliance.csv"]


@pytest.mark.parametrize(
    ("row", "error", "match"),
    [
        (["MCS2025", "1", "GALLIUM", "100", "Japan"], SourceError, "another release"),
        (["MCS2026", "1", "GALLIUM", "100", "Atlantis, Japan"], UnmappedNameError, "unmapped country"),
        (["MCS2026", "1", "UNOBTAINIUM", "100", "Japan"], UnmappedNameError, "unmapped commodity"),
        (["MCS2026", "first", "GALLIUM", "100", "Japan"], SourceError, "rank"),
    ],
)
def test_fixture_fig2_bad_rows_fail(tmp_path, row, error, match):
    _write(_folder(tmp_path, 2026), "MCS2026_Fig2_Net_Import_Reliance.csv", FIG2_2026, [["MCS2026", "1", "COBALT", "79", "Norway", ""], row + [""]])
    with pytest.raises(error, match=match) as err:
        read_mcs2026_trends(tmp_path)
    assert err.value.row == 3


def test_fixture_fig2_layout_errors(tmp_path):
    folder = _folder(tmp_path, 2026)
    with pytest.raises(SourceError, match="file not found"):
        read_mcs2026_trends(tmp_path)
    header = [h for h in FIG2_2026 if not h.startswith("Net_Import")]
    _write(folder, "MCS2026_Fig2_Net_Import_Reliance.csv", header, [["MCS2026", "1", "COBALT", "Norway", ""]])
    with pytest.raises(SourceError, match="Net_Import_Reliance_pct"):
        read_mcs2026_trends(tmp_path)
    _write(folder, "MCS2026_Fig2_Net_Import_Reliance.csv", FIG2_2026, [["MCS2026", "1", "COBALT", "79", "Norway", ""]], tail="MCS2026,2,GALL")
    with pytest.raises(SourceError, match="truncated"):
        read_mcs2026_trends(tmp_path)
    _write(folder, "MCS2026_Fig2_Net_Import_Reliance.csv", FIG2_2026, [["MCS2026", "1", "COBALT", "79", "Norway", "Côte – note"]], encoding="cp1252")
    with pytest.raises(SourceError, match="cannot decode"):
        read_mcs2026_trends(tmp_path)


SALIENT_2026 = [
    "Source", "Year", "Units", "Critical_mineral", "Primary_prod", "Secondary_prod", "Prod_notes", "Apparent_Consumption",
    "Consumption_Notes", "Net_Import_Reliance", "Primary_import_sources_2021-24", "Import_source_notes", "Leading_source_country",
    "Leading_country_prod", "Leading_source_precent_world", "World_total_prod", "World_prod_notes",
]
SALIENT_2024 = [
    "Source", "Year", "Critical_mineral", "Primary_prod", "Secondary_prod", "Prod_notes", "Apparent_Consuption", "Contsumption_Notes",
    "Net_Import_Reliance", "Primary_import_source", "Import_source_notes", "Leading_source_country", "Leading_country_prod",
    "World_total_prod", "World_prod_notes", "Leading_source_precent_world",
]


def test_fixture_critical_salient(tmp_path):
    folder = _folder(tmp_path, 2026)
    _write(folder, "MCS2026_Fig2_Net_Import_Reliance.csv", FIG2_2026, [["MCS2026", "1", "COBALT", "79", "Norway", ""]])
    _write(folder, "MCS2026_T7_Critical_Minerals_Salient.csv", SALIENT_2026, [
        ["MCS2026", "2025_estimated", "metric tons", "Arsenic ", "0", "NA", "", "6300", "", "100", "China", "Includes Hong Kong.", "Peru", "30000", "49", "61000", "Arsenic trioxide."],
        ["MCS2026", "2025_estimated", "metric tons", "Rare earths (compounds and metals)9", "W", "", "", "<100,000", "", "E", " Republic of Korea", "", "NA", "NA", "NA", "NA", ""],
    ])
    result = read_mcs2026_trends(tmp_path)
    cs = result.tables["critical_salient"]
    assert len(cs) == 14 and set(cs.year) == {2025}
    arsenic = cs[cs.commodity_id == "arsenic"].set_index("field")
    assert arsenic.loc["world_production", "value"] == 61000 and arsenic.loc["world_production", "qualifier"] == "estimated"
    assert arsenic.loc["world_production", "notes"] == "Arsenic trioxide." and arsenic.loc["net_import_reliance", "notes"] == "Includes Hong Kong."
    assert arsenic.loc["leading_country_production", "notes"].startswith("Leading producing country: Peru.")
    assert (arsenic.leading_country_iso3 == "PER").all()
    assert arsenic.loc["primary_production", "value"] == 0 and arsenic.loc["primary_production", "qualifier"] == "estimated"
    ree = cs[cs.commodity_id == "rare-earths"].set_index("field")
    assert ree.loc["primary_production", "qualifier"] == "withheld" and ree.loc["secondary_production", "qualifier"] == "missing"
    assert ree.loc["apparent_consumption", "qualifier"] == "less_than" and ree.loc["apparent_consumption", "high"] == 100000
    assert ree.loc["net_import_reliance", "qualifier"] == "net_exporter" and ree.leading_country_iso3.isna().all()
    assert list(ree.iloc[0].primary_import_sources) == ["Republic of Korea"] and ree.iloc[0].form == "compounds and metals"


def test_fixture_critical_salient_2024_misspelt_header(tmp_path):
    folder = _folder(tmp_path, 2024)
    _write(folder, "MCS2024_Fig2_Net_Import_Reliance.csv", FIG2_2026[:3] + ["Net_Import_Reliance_pct_2023", "Major_Import_Sources_2019_2022", "Notes"],
           [["MCS2024", "1", "COBALT", "67", "Norway", ""]])
    _write(folder, "MCS2024_T5_Critical_Minerals_Salient.csv", SALIENT_2024, [
        ["MCS2024", "2023", "Gallium", "0", "0", "", "19", "Reported consumption.", "100", "Japan", "", "China", "600", "610", "", "98"],
    ])
    cs = read_mcs2024_trends(tmp_path).tables["critical_salient"].set_index("field")
    assert cs.loc["apparent_consumption", "value"] == 19 and cs.loc["apparent_consumption", "qualifier"] == "exact"
    assert cs.loc["apparent_consumption", "notes"] == "Reported consumption." and cs.loc["leading_country_share_pct", "value"] == 98
    assert cs.loc["world_production", "unit"] == "metric tons"
    _write(folder, "MCS2024_T5_Critical_Minerals_Salient.csv", [h for h in SALIENT_2024 if h != "World_total_prod"], [["MCS2024"] + ["1"] * 14])
    with pytest.raises(SourceError, match="World_total_prod"):
        read_mcs2024_trends(tmp_path)
    _write(folder, "MCS2024_T5_Critical_Minerals_Salient.csv", SALIENT_2024, [
        ["MCS2024", "2023 estimate", "Gallium", "0", "0", "", "19", "", "100", "Japan", "", "China", "600", "610", "", "98"],
    ])
    with pytest.raises(SourceError, match="year label"):
        read_mcs2024_trends(tmp_path)


def _release_2026(tmp_path: Path) -> Path:
    folder = _folder(tmp_path, 2026)
    _write(folder, "MCS2026_Fig2_Net_Import_Reliance.csv", FIG2_2026, [["MCS2026", "1", "COBALT", "79", "Norway", ""]])
    return folder


def test_fixture_fig3_shares(tmp_path):
    folder = _release_2026(tmp_path)
    _write(folder, "MCS2026_Fig3_Major_Import_Sources.csv", ["Source", "Commodity", "Import_Source_2021_24", "Percent", "NIR", "Critical_Mineral"], [
        ["MCS2026", "Magnesium, compounds", "China", "58", "59", "Y"],
        ["MCS2026", "Magnesium, compounds", "Other", "42", "59", "Y"],
        ["MCS2026", "Hafnium", "NA", "NA", "NA", "Y"],
        ["MCS2026", "Rare Earths, compounds and metals", "China", "71", "67", "Y"],
    ])
    sh = read_mcs2026_trends(tmp_path).tables["import_shares"]
    assert sh.commodity_id.tolist() == ["magnesium-compounds", "magnesium-compounds", "hafnium", "rare-earths"]
    assert sh.partner_kind.tolist() == ["country", "other", "unknown", "country"]
    assert sh.qualifier.tolist() == ["exact", "exact", "not_available", "exact"] and sh.iloc[3].form == "compounds and metals"
    assert set(sh.period) == {"2021-24"} and (sh.source_id == "usgs_mcs2026_trends").all()


def test_fixture_t4_export_controls(tmp_path):
    folder = _release_2026(tmp_path)
    header = ["Country", "Control_Type", "Commodity_Year", "Data_source", "Notes"]
    _write(folder, "MCS2026_T4_Country_Export_Control.csv", header, [
        ["Indonesia", "Export ban", "Bauxite (2023), copper concentrates (2023), and nickel ore (2020).", "https://x", "In force."],
        ["Laos", "Temporary export ban ", "Raw minerals, including copper and gold (2024).", "", ""],
    ])
    ec = read_mcs2026_trends(tmp_path).tables["export_controls"]
    assert ec.measure_id.tolist() == ["USGS-T4-IDN-1", "USGS-T4-IDN-2", "USGS-T4-IDN-3", "USGS-T4-LAO-1", "USGS-T4-LAO-1", "USGS-T4-LAO-1"]
    assert ec.commodity_id.tolist()[:3] == ["bauxite", "copper", "nickel"] and ec.year.tolist()[:3] == [2023, 2023, 2020]
    assert pd.isna(ec.iloc[3].commodity_id) and ec.iloc[3].control_type == "Temporary export ban"
    _write(folder, "MCS2026_T4_Country_Export_Control.csv", header, [["Atlantis", "Export ban", "Gold (2020).", "", ""]])
    with pytest.raises(UnmappedNameError):
        read_mcs2026_trends(tmp_path)
    _write(folder, "MCS2026_T4_Country_Export_Control.csv", header, [["Chile", "Export ban", "Gold since 2020.", "", ""]])
    with pytest.raises(SourceError, match="name \\(year\\)"):
        read_mcs2026_trends(tmp_path)


def test_split_commodity_years():
    text = "Ferrous ingot and ferrous metal waste and scrap (2023) and catalysts and waste containing precious metals (2025)."
    assert split_commodity_years(text, file="x", row=2, field="f") == [
        ("Ferrous ingot and ferrous metal waste and scrap", 2023),
        ("catalysts and waste containing precious metals", 2025),
    ]
    with pytest.raises(SourceError):
        split_commodity_years("Gold (2020), and silver", file="x", row=2, field="f")


AGREEMENTS = ["Country", "Agreement", "Signing_date", "Signing_date", "Focus_area", "Source"]


def test_fixture_agreements(tmp_path):
    folder = _release_2026(tmp_path)
    _write(folder, "MCS2026_T5_Trade_Agreements.csv", AGREEMENTS, [
        ["Australia", "Framework ", "20-Oct-25", "2025-10-20", "Mining.", "https://a"],
        ["Philippines", "Reciprocal Trade Framework", "25-Feb", "2025-02", "Nickel.", "https://b"],
        ["Japan and Republic of Korea", "Trilateral Cooperation ", "23-Aug", "2025-09-23", "Cooperation.", "https://c"],
    ])
    ag = read_mcs2026_trends(tmp_path).tables["agreements"]
    assert ag.country_iso3.tolist() == ["AUS", "PHL", "JPN", "KOR"]
    assert ag.signing_date.tolist() == [dt.date(2025, 10, 20), None, dt.date(2025, 9, 23), dt.date(2025, 9, 23)]
    assert ag.agreement.tolist()[0] == "Framework" and "Signed 2025-02" in ag.iloc[1].focus_area


@pytest.mark.parametrize(("short", "iso"), [("21-Oct-25", "2025-10-20"), ("25-Mar", "2025-02"), ("20-Oct-25", "20 October 2025")])
def test_fixture_agreements_dates_that_disagree_fail(tmp_path, short, iso):
    folder = _release_2026(tmp_path)
    _write(folder, "MCS2026_T5_Trade_Agreements.csv", AGREEMENTS, [["Australia", "Framework", short, iso, "Mining.", "https://a"]])
    with pytest.raises(SourceError, match="Signing_date|ISO") as err:
        read_mcs2026_trends(tmp_path)
    assert err.value.row == 2


def test_fixture_file_of_another_release_fails(tmp_path):
    folder = _release_2026(tmp_path)
    _write(folder, "MCS2025_T5_Critical_Minerals_Salient.csv", ["Source"], [["MCS2025"]])
    with pytest.raises(SourceError, match="another release"):
        read_mcs2026_trends(tmp_path)

"""Tests of the USGS MCS 2023-2025 salient-statistics readers (table ``salient``).

The first part reads the real files in ``../shared/data`` and checks figures read there by
hand; the second part writes small files for each quirk into ``tmp_path``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.schema import TABLES
from critmin.sources.usgs_mcs_salient import (
    SKIP_WORLD_LAYOUT,
    parse_salient_column,
    read_mcs2023_salient,
    read_mcs2024_salient,
    read_mcs2025_salient,
    split_unit,
)

READERS = {2023: read_mcs2023_salient, 2024: read_mcs2024_salient, 2025: read_mcs2025_salient}


@pytest.fixture(scope="module")
def real(request) -> dict[int, object]:
    raw = request.getfixturevalue("raw_data_dir")
    return {vintage: reader(raw) for vintage, reader in READERS.items()}


def cell(df: pd.DataFrame, commodity: str, detail: str, year: int) -> pd.Series:
    hits = df[(df.commodity_id == commodity) & (df.detail == detail) & (df.year == year)]
    assert len(hits) == 1, f"{len(hits)} rows for {commodity} {detail} {year}"
    return hits.iloc[0]


# --------------------------------------------------------------------------- real files


def test_real_row_counts_files_and_manifest(real):
    assert {v: len(r.tables["salient"]) for v, r in real.items()} == {2023: 4685, 2024: 4570, 2025: 4755}
    assert {v: len(r.files) for v, r in real.items()} == {2023: 85, 2024: 85, 2025: 85}
    assert sum(p.suffix == ".xlsx" for p in real[2023].files) == 2
    assert real[2024].skipped[SKIP_WORLD_LAYOUT] == 14 + 22 + 7  # cobalt, gypsum, kyanite rows
    assert real[2025].info.source_id == "usgs_mcs2025_salient" and real[2025].info.doi == "10.5066/P13XCP3R"
    assert real[2023].info.doi == "10.5066/P9WCYUI6"
    for r in real.values():
        df = r.tables["salient"]
        assert list(df.columns) == list(TABLES["salient"].columns)
        assert df[["vintage", "commodity_id", "year", "statistic", "detail", "qualifier"]].notna().all().all()


def test_real_every_cell_is_a_row(real, raw_data_dir):
    """Each data row of a CSV gives one row per named column (five years per file)."""
    result = real[2025]
    df = result.tables["salient"]
    for path in result.files:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
        named = sum(1 for h in rows[0][3:] if h.strip())
        rel = path.relative_to(raw_data_dir).as_posix()
        assert (df.source_file == rel).sum() == named * (len(rows) - 1), rel
        assert len(rows) - 1 == 5


def test_real_rare_earths_2025(real):
    df = real[2025].tables["salient"]
    nir = cell(df, "rare-earths", "NIR_Compounds-Metals_t", 2024)
    assert (nir.statistic, nir.form, nir.value, nir.unit, nir.estimated) == ("nir", "compounds-metals", 80.0, "percent", True)
    assert nir.qualifier == "estimated" and "percentage of apparent consumption" in nir.notes
    conc = cell(df, "rare-earths", "NIR_Concentrate_t", 2024)
    assert (conc.qualifier, conc.raw) == ("net_exporter", "E") and pd.isna(conc.value)
    prod = cell(df, "rare-earths", "USprod_Concentrate_t", 2024)
    assert (prod.statistic, prod.value, prod.unit) == ("production", 45000.0, "metric tons")
    prod23 = cell(df, "rare-earths", "USprod_Concentrate_t", 2023)
    assert (prod23.qualifier, prod23.estimated) == ("exact", False)
    gt95 = cell(df, "rare-earths", "NIR_Compounds-Metals_t", 2021)
    assert (gt95.qualifier, gt95.low) == ("greater_than", 95.0)
    price = cell(df, "rare-earths", "Price_Nd2O3_dkg", 2024)
    assert (price.statistic, price.form, price.value, price.unit) == ("price", "nd2o3", 56.0, "dollars per kilogram")
    emp = cell(df, "rare-earths", "Employment_", 2024)
    assert (emp.statistic, emp.value, emp.unit) == ("employment", 570.0, "number")


def test_real_codes_and_unicode_minus(real):
    nb = cell(real[2023].tables["salient"], "niobium", "Shipments_Gov_t", 2020)
    assert (nb.value, nb.qualifier, nb.raw, nb.statistic) == (-88.0, "exact", "−88", "other")
    zr = cell(real[2024].tables["salient"], "zirconium", "USprod_ZrO2_t", 2023)
    assert (zr.qualifier, zr.high, zr.raw) == ("less_than", 100000.0, "<100,000") and pd.isna(zr.value)
    pb = cell(real[2023].tables["salient"], "lead", "Imports_Concentrates_kt", 2019)
    assert (pb.qualifier, pb.high) == ("less_than_half_unit", 0.5)
    ti = cell(real[2023].tables["salient"], "titanium", "USprod_Sponge_t", 2018)
    assert ti.qualifier == "withheld" and pd.isna(ti.value)
    cu = cell(real[2024].tables["salient"], "copper", "USprod_Post-consumer_kt", 2022)
    assert (cu.value, cu.qualifier, cu.estimated) == (150.0, "estimated", True)  # "e150" in a final year
    stone = cell(real[2024].tables["salient"], "stone-dimension", "Price_Average_mdol", 2019)
    assert (stone.qualifier, stone.raw) == ("text", "Variable, depending on type of product")


def test_real_xlsx_files_2023(real):
    df = real[2023].tables["salient"]
    q = cell(df, "quartz-crystal", "Imports_Piezo_kg", 2018)
    assert (q.value, q.unit, q.source_file, q.source_row) == (16100.0, "kilograms", "usgs_mcs2023/salient/mcs2023-quartz_salient.xlsx", 2)
    assert cell(df, "quartz-crystal", "USprod_Cultured_kg", 2022).qualifier == "withheld"
    st = cell(df, "stone-dimension", "Employment_num", 2018)
    assert (st.value, st.source_row) == (3900.0, 2) and st.source_file.endswith("mcs2023-stond_salient.xlsx")
    assert cell(df, "stone-dimension", "NIR_pct", 2022).estimated


def test_real_misfiled_and_shifted_files_2024(real):
    d23 = real[2023].tables["salient"]
    d24 = real[2024].tables["salient"]
    assert not {"cobalt", "gypsum", "kyanite"} & set(d24.commodity_id)
    # feldspar: a spacer cell shifts every row; read back, the figures agree with MCS2023
    for detail in ("Consump_Feldspar_kt", "Consump_Felds-plus-neph_kt", "Price_Feldspar_dt", "NIR_Nepheline_syenite_pct"):
        assert cell(d24, "feldspar", detail, 2019).raw == cell(d23, "feldspar", detail, 2019).raw, detail
    # 2020 as published in MCS2024 (MCS2023 had 470 before revision)
    assert [cell(d24, "feldspar", d, 2020).value for d in ("Consump_Feldspar_kt", "Price_Feldspar_dt", "NIR_Feldspar_pct")] == [460.0, 108.0, 9.0]
    assert "spacer cell" in cell(d24, "feldspar", "NIR_Feldspar_pct", 2019).notes
    # fluorspar: header replaced by the metadata's names, spacer undone
    for detail in ("Imports_Cryolite_kt", "Exports_All_kt", "Consump_kt", "Price_Metallurgical_dt", "NIR_pct"):
        assert cell(d24, "fluorspar", detail, 2019).raw == cell(d23, "fluorspar", detail, 2019).raw, detail
    assert cell(d24, "fluorspar", "USprod_H2SiF6_kt", 2022).raw == "e40"


def test_real_publisher_unit_and_name_errors(real):
    d24 = real[2024].tables["salient"]
    first = cell(d24, "iron-and-steel", "Consump_mmt (column 8)", 2019)
    second = cell(d24, "iron-and-steel", "Consump_mmt (column 17)", 2020)
    assert (first.statistic, first.unit, first.value) == ("other", "percent", 100.0)
    assert (second.statistic, second.unit, second.value) == ("consumption", "million metric tons", 82.9)
    ni_t = cell(d24, "nickel", "Price_dt dlb (both used) (column 16)", 2023)
    ni_lb = cell(d24, "nickel", "Price_dt dlb (both used) (column 17)", 2023)
    assert (ni_t.value, ni_t.unit) == (22000.0, "dollars per metric ton")
    assert (ni_lb.value, ni_lb.unit) == (9.8, "dollars per pound")
    hg = cell(d24, "mercury", "Price_Imports_df", 2019)
    assert hg.unit == "dollars per kilogram" and "metadata" in hg.notes
    fe = cell(d24, "iron-oxide-pigments", "CASE STATEMENT ERRORt (column 5)", 2019)
    assert (fe.statistic, fe.value, fe.unit) == ("other", 19200.0, "metric tons") and "garbled" in fe.notes
    sand = cell(real[2023].tables["salient"], "sand-gravel-industrial", "NIR_ct", 2022)
    assert sand.unit == "percent"
    w = cell(d24, "tungsten", "Price_WO3dt", 2023)
    assert (w.statistic, w.form, w.unit) == ("price", "wo3", "dollars per metric ton")
    ga = cell(d24, "gallium", "Price_High-puritydkg", 2019)
    assert (ga.form, ga.unit, ga.value) == ("high-purity", "dollars per kilogram", 573.0)


def test_real_file_name_quirks(real):
    d23 = real[2023].tables["salient"]
    assert "tellurium" in set(d23.commodity_id)  # mcs2023tellu_salient.csv
    d24 = real[2024].tables["salient"]
    assert {"aluminum", "bismuth"} <= set(d24.commodity_id)  # mcs2024-alum, MCS2024-bismu
    d25 = real[2025].tables["salient"]
    li = d25[d25.commodity_id == "lithium"]
    assert set(li.source_file) == {"usgs_mcs2025/salient/mcs2025-lithium_salient.csv"}
    assert set(d25[d25.source_file.str.contains("timin")].form) >= {"mineral concentrates", "mineral concentrates, rutile"}


def test_real_last_year_estimated(real):
    for vintage, r in real.items():
        df = r.tables["salient"]
        last = df[df.year == vintage - 1]
        assert last.estimated.all()
        assert set(df.year) == set(range(vintage - 5, vintage))
        numbers = last[last.value.notna() & (last.qualifier != "zero")]
        assert set(numbers.qualifier) == {"estimated"}


# --------------------------------------------------------------------------- fixtures


def write(path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def salient(tmp_path: Path, name: str, text: str, vintage: int = 2025) -> Path:
    write(tmp_path / f"usgs_mcs{vintage}" / "salient" / name, text)
    return tmp_path


LITHIUM = (
    "DataSource,Commodity,Year,USprod_t,Imports_t,Exports_t,Consump_Apprnt_t,Price_Spot_dkg,Employment_um,NIR_pct,NIR_Compounds-Metals_t,\n"
    "MCS2025,Lithium,2020,W,1,2,NA,Less than ½ unit.,<1,>95,E,\n"
    "MCS2025,Lithium,2021,\"1,234\",−16,e5,,50–300,5,Reported quantity in 2022,<25,\n"
    "MCS2025,Lithium,2024,3,4,5,6,7,8,9,10,\n"
    ",,,,,,,,,,,\n"
)


def test_fixture_values_codes_units_and_estimates(tmp_path):
    result = read_mcs2025_salient(salient(tmp_path, "mcs2025-lithium_salient.csv", LITHIUM))
    df = result.tables["salient"].set_index(["detail", "year"])
    assert result.skipped["blank line"] == 1
    assert len(df) == 3 * 8  # the trailing unnamed empty column gives no rows
    assert df.loc[("USprod_t", 2020), "qualifier"] == "withheld"
    assert df.loc[("USprod_t", 2021), "value"] == 1234.0
    assert df.loc[("Imports_t", 2021), "value"] == -16.0
    assert (df.loc[("Exports_t", 2021), "qualifier"], df.loc[("Exports_t", 2021), "estimated"]) == ("estimated", True)
    assert df.loc[("Consump_Apprnt_t", 2021), "qualifier"] == "missing"
    assert df.loc[("Price_Spot_dkg", 2020), "qualifier"] == "less_than_half_unit"
    assert (df.loc[("Price_Spot_dkg", 2021), "low"], df.loc[("Price_Spot_dkg", 2021), "high"]) == (50.0, 300.0)
    assert df.loc[("Price_Spot_dkg", 2021), "unit"] == "dollars per kilogram"
    assert (df.loc[("NIR_pct", 2021), "qualifier"], df.loc[("NIR_pct", 2021), "raw"]) == ("text", "Reported quantity in 2022")
    assert df.loc[("NIR_pct", 2020), "qualifier"] == "greater_than"
    assert df.loc[("NIR_Compounds-Metals_t", 2020), "qualifier"] == "net_exporter"
    assert (df.loc[("NIR_Compounds-Metals_t", 2021), "unit"], df.loc[("NIR_Compounds-Metals_t", 2021), "form"]) == ("percent", "compounds-metals")
    assert df.loc[("Employment_um", 2024), "unit"] == "number"
    last = df.xs(2024, level="year")
    assert last.estimated.all() and set(last.qualifier) == {"estimated"}
    assert not df.loc[("USprod_t", 2021), "estimated"]
    assert set(df.commodity_id) == {"lithium"} and set(df.statistic) == {"production", "imports", "exports", "consumption", "price", "employment", "nir"}


def test_fixture_column_names():
    assert split_unit("Minet") == ("Mine", "t")
    assert split_unit("WO3dt", "price") == ("WO3", "dt")
    assert split_unit("Reportedt", "consumption") == ("Reported", "t")
    assert split_unit("Total") == ("Total", None)
    col = parse_salient_column("HPQExports_t", 3, 1, False, 2025, "quart")
    assert (col.statistic, col.form, col.unit) == ("exports", "hpq", "metric tons")
    col = parse_salient_column("Bort_Price_Imports_dct", 3, 1, False, 2023, "diamo")
    assert (col.statistic, col.form, col.unit) == ("price", "bort, imports", "dollars per carat")
    col = parse_salient_column("Shipments_Gov_kt", 3, 1, False, 2023, "chrom")
    assert col.statistic == "other"
    col = parse_salient_column("Products_msqft", 3, 1, False, 2023, "gypsu")
    assert (col.statistic, col.unit) == ("other", "million square feet")
    col = parse_salient_column("Price_Zircon_sponge_CN_t", 3, 1, False, 2024, "zirco")
    assert col.unit == "dollars per kilogram"
    col = parse_salient_column("Price_Hf_t", 3, 1, False, 2023, "zirco")  # no erratum: no unit, said so
    assert col.unit is None and "not a price unit" in col.notes


def test_fixture_file_name_quirks_and_duplicate_columns(tmp_path):
    text = "DataSource,Commodity,Year,Consump_t,Consump_t\nMCS2024,Bismuth,2023,1,2\n"
    salient(tmp_path, "MCS2024-bismu_salient.csv", text, 2024)
    salient(tmp_path, "mcs2024-alum_salient.csv", "DataSource,Commodity,Year,USprod_Primary_kt\nMCS 2024,Aluminum,2022,861\n", 2024)
    df = read_mcs2024_salient(tmp_path).tables["salient"]
    assert set(df.commodity_id) == {"bismuth", "aluminum"}
    assert set(df[df.commodity_id == "bismuth"].detail) == {"Consump_t (column 4)", "Consump_t (column 5)"}


def test_fixture_world_layout_file_is_skipped_and_counted(tmp_path):
    salient(tmp_path, "mcs2024-kyani_salient.csv", "Source,Country,Type,Prod_t_est_2022,Prod_t_est_2023\nMCS2024,Peru,x,1,2\nMCS2024,India,x,1,2\n", 2024)
    salient(tmp_path, "mcs2024-lithi_salient.csv", "DataSource,Commodity,Year,USprod_t\nMCS2024,Lithium,2023,W\n", 2024)
    result = read_mcs2024_salient(tmp_path)
    assert result.skipped[SKIP_WORLD_LAYOUT] == 2
    assert set(result.tables["salient"].commodity_id) == {"lithium"}


def test_fixture_tellurium_name_without_dash_and_xlsx(tmp_path):
    salient(tmp_path, "mcs2023tellu_salient.csv", "DataSource,Commodity,Year,Price_US_dkg\nMCS2023,Tellurium,2022,67\n", 2023)
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Directions"
    notes.append(["copy the table below"])
    sheet = book.create_sheet("SalientCSV")
    sheet.append(["DataSource", "Commodity", "Year", "Imports_Piezo_kg", "NIR_pct"])
    sheet.append(["MCS2023", "Quartz Crystal (Industrial)", 2018, 16100, "NA"])
    sheet.append([None, None, None, None, None])
    sheet.append(["MCS2023", "Quartz Crystal (Industrial)", 2022, 83000.0, "E"])
    book.save(tmp_path / "usgs_mcs2023" / "salient" / "mcs2023-quartz_salient.xlsx")
    result = read_mcs2023_salient(tmp_path)
    df = result.tables["salient"]
    q = df[df.commodity_id == "quartz-crystal"].set_index(["detail", "year"])
    assert q.loc[("Imports_Piezo_kg", 2018), "value"] == 16100.0 and q.loc[("Imports_Piezo_kg", 2018), "source_row"] == 2
    assert q.loc[("Imports_Piezo_kg", 2022), "source_row"] == 4 and q.loc[("Imports_Piezo_kg", 2022), "qualifier"] == "estimated"
    assert q.loc[("NIR_pct", 2022), "qualifier"] == "net_exporter"
    assert result.skipped["blank line"] == 1
    assert df[df.commodity_id == "tellurium"].iloc[0].value == 67.0


def test_fixture_broken_workbook_fails(tmp_path):
    salient(tmp_path, "mcs2023-quartz_salient.xlsx", "not a zip", 2023)
    with pytest.raises(SourceError, match="xlsx"):
        read_mcs2023_salient(tmp_path)


def test_fixture_missing_year_column_fails(tmp_path):
    salient(tmp_path, "mcs2025-lithi_salient.csv", "DataSource,Commodity,USprod_t\nMCS2025,Lithium,1\n")
    with pytest.raises(SourceError) as err:
        read_mcs2025_salient(tmp_path)
    assert err.value.row == 1 and "DataSource,Commodity,Year" in str(err.value)


def test_fixture_year_outside_release_fails(tmp_path):
    salient(tmp_path, "mcs2025-lithi_salient.csv", "DataSource,Commodity,Year,USprod_t\nMCS2025,Lithium,2025,1\n")
    with pytest.raises(SourceError) as err:
        read_mcs2025_salient(tmp_path)
    assert (err.value.row, err.value.field) == (2, "Year")


def test_fixture_commodity_cell_must_match_code(tmp_path):
    salient(tmp_path, "mcs2025-lithi_salient.csv", "DataSource,Commodity,Year,USprod_t\nMCS2025,Cobalt,2024,1\n")
    with pytest.raises(SourceError, match="another commodity") as err:
        read_mcs2025_salient(tmp_path)
    assert err.value.field == "Commodity"


def test_fixture_unknown_commodity_and_code_fail(tmp_path):
    salient(tmp_path, "mcs2025-lithi_salient.csv", "DataSource,Commodity,Year,USprod_t\nMCS2025,Mithril,2024,1\n")
    with pytest.raises(UnmappedNameError, match="Mithril"):
        read_mcs2025_salient(tmp_path)
    other = tmp_path / "b"
    salient(other, "mcs2025-mithr_salient.csv", "DataSource,Commodity,Year,USprod_t\nMCS2025,Lithium,2024,1\n")
    with pytest.raises(UnmappedNameError, match="mithr"):
        read_mcs2025_salient(other)


def test_fixture_text_under_unnamed_column_fails(tmp_path):
    text = "DataSource,Commodity,Year,USprod_t,Imports_t,\nMCS2025,Lithium,2023,1,2,3\nMCS2025,Lithium,2024,1,,\n"
    salient(tmp_path, "mcs2025-lithi_salient.csv", text)
    with pytest.raises(SourceError, match="without a name") as err:
        read_mcs2025_salient(tmp_path)
    assert err.value.row == 2


def test_fixture_spacer_shift_is_undone(tmp_path):
    text = (
        "DataSource,Commodity,Year,USprod_Feldspar_kt,Consump_Feldspar_kt,Price_Feldspar_dt,NIR_pct,\n"
        "MCS2024,Feldspar and Nepheline Syenite,2019,450, ,510,107,>95\n"
        "MCS2024,Feldspar and Nepheline Syenite,2020,420, ,460,108,>95\n"
    )
    df = read_mcs2024_salient(salient(tmp_path, "mcs2024-felds_salient.csv", text, 2024)).tables["salient"]
    got = df.set_index(["detail", "year"])
    assert got.loc[("Consump_Feldspar_kt", 2019), "value"] == 510.0
    assert got.loc[("Price_Feldspar_dt", 2020), "value"] == 108.0
    assert got.loc[("NIR_pct", 2019), "qualifier"] == "greater_than"
    assert pd.isna(got.loc[("USprod_Feldspar_kt", 2019), "notes"]) and "spacer" in got.loc[("NIR_pct", 2019), "notes"]


def test_fixture_truncated_and_bad_encoding_and_other_release_fail(tmp_path):
    salient(tmp_path, "mcs2025-lithi_salient.csv", "DataSource,Commodity,Year,USprod_t,Imports_t\nMCS2025,Lithium,2024,1,2\nMCS2025,Lith")
    with pytest.raises(SourceError, match="truncated") as err:
        read_mcs2025_salient(tmp_path)
    assert err.value.row == 3
    enc = tmp_path / "enc"
    path = salient(enc, "mcs2025-lithi_salient.csv", "") / "usgs_mcs2025" / "salient" / "mcs2025-lithi_salient.csv"
    path.write_bytes("DataSource,Commodity,Year,USprod_t\r\nMCS2025,Lithium,2024,\x961\r\n".encode("latin-1"))
    with pytest.raises(SourceError, match="cannot decode"):
        read_mcs2025_salient(enc)
    rel = tmp_path / "rel"
    salient(rel, "mcs2025-lithi_salient.csv", "DataSource,Commodity,Year,USprod_t\nMCS2024,Lithium,2024,1\n")
    with pytest.raises(SourceError, match="another release"):
        read_mcs2025_salient(rel)
    wrong = tmp_path / "wrong"
    salient(wrong, "mcs2024-lithi_salient.csv", "DataSource,Commodity,Year,USprod_t\nMCS2024,Lithium,2023,1\n", 2024)
    (wrong / "usgs_mcs2024").rename(wrong / "usgs_mcs2025")
    with pytest.raises(SourceError, match="another release"):
        read_mcs2025_salient(wrong)


def test_fixture_metadata_errata_for_garbled_and_duplicated_names(tmp_path):
    salient(tmp_path, "mcs2024-nicke_salient.csv", (
        "DataSource,Commodity,Year,Price_dt dlb (both used),Price_dt dlb (both used),NIR_pct\n"
        "MCS2024,Nickel,2023,22000,9.80,57\n"
    ), 2024)
    salient(tmp_path, "mcs2024-fepig_salient.csv", (
        "DataSource,Commodity,Year,CASE STATEMENT ERRORt,CASE STATEMENT ERRORt,Price_dkg\n"
        "MCS2024,Iron Oxide Pigments,2023,W,34000,2\n"
    ), 2024)
    salient(tmp_path, "mcs2024-fluor_salient.csv", (
        "DataSource,Commodity,Year,USprod_Metallurgical_kt,USprod_H2SiF6_kt,Imports_Acid_kt,Imports_Metallurgical_kt,"
        "Imports_Total_Fl_kt,Imports_HF_kt,Imports_AlF3_kt,Exports_Cryolite_kt,Consump_All_kt,Price_dt,Price_Acid_dt,"
        "Employment_Metallurgical_num,NIR_Mine_pct,,\n"
        "MCS2024,Fluorspar,2019, ,NA,29,346,59,405,124,38,21,8,398,304,292,14,100,\n"
    ), 2024)
    df = read_mcs2024_salient(tmp_path).tables["salient"].set_index(["commodity_id", "detail"])
    assert df.loc[("nickel", "Price_dt dlb (both used) (column 4)"), "unit"] == "dollars per metric ton"
    assert df.loc[("nickel", "Price_dt dlb (both used) (column 5)"), ["unit", "value"]].tolist() == ["dollars per pound", 9.8]
    crude = df.loc[("iron-oxide-pigments", "CASE STATEMENT ERRORt (column 4)")]
    assert (crude.statistic, crude.qualifier) == ("production", "withheld") and "garbled" in crude.notes
    assert df.loc[("iron-oxide-pigments", "CASE STATEMENT ERRORt (column 5)"), "statistic"] == "other"
    fl = df.loc["fluorspar"]
    assert len(fl) == 14 and fl.loc["Imports_Cryolite_kt", "value"] == 21.0 and fl.loc["NIR_pct", "value"] == 100.0
    assert fl.loc["USprod_Metallurgical_kt", "qualifier"] == "not_available"
    assert fl.notes.str.contains("does not fit its data").all()

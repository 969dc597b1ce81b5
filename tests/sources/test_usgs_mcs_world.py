"""Tests of the USGS MCS 2023-2025 world readers (table ``production``).

The first part reads the real files in ``../shared/data`` and checks figures read there by
hand; the second part writes small files for each quirk into ``tmp_path``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.schema import TABLES
from critmin.sources.usgs_mcs_world import (
    read_mcs2023_world,
    read_mcs2024_world,
    read_mcs2025_world,
    reserve_basis,
    stage_of,
)

READERS = {2023: read_mcs2023_world, 2024: read_mcs2024_world, 2025: read_mcs2025_world}


@pytest.fixture(scope="module")
def real(request) -> dict[int, object]:
    raw = request.getfixturevalue("raw_data_dir")
    return {vintage: reader(raw) for vintage, reader in READERS.items()}


def one(df: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for col, value in where.items():
        mask &= df[col] == value
    hits = df[mask]
    assert len(hits) == 1, f"{len(hits)} rows for {where}"
    return hits.iloc[0]


# --------------------------------------------------------------------------- real files


def test_real_row_counts_and_manifest(real):
    rows = {v: len(r.tables["production"]) for v, r in real.items()}
    assert rows == {2023: 3512, 2024: 3489, 2025: 3275}
    assert len(real[2023].files) == 77 and len(real[2024].files) == 77 and len(real[2025].files) == 1
    assert real[2024].info.source_id == "usgs_mcs2024_world"
    assert real[2024].info.doi == "10.5066/P144BA54"  # not the P9WCYUI6 of the XML files
    assert real[2025].info.doi == "10.5066/P13XCP3R"
    assert real[2023].info.vintage == 2023
    for r in real.values():
        assert list(r.tables["production"].columns) == list(TABLES["production"].columns)


def test_real_every_data_row_is_accounted_for(real, raw_data_dir):
    for vintage, result in real.items():
        df = result.tables["production"]
        seen = set(zip(df["source_file"], df["source_row"]))
        expected, blank = set(), 0
        for path in result.files:
            rel = path.relative_to(raw_data_dir).as_posix()
            with open(path, encoding="utf-8-sig", newline="") as fh:
                for n, cells in enumerate(csv.reader(fh), start=1):
                    if n == 1:
                        continue
                    if any(c.strip() for c in cells):
                        expected.add((rel, n))
                    else:
                        blank += 1
        assert seen == expected, vintage
        assert result.skipped["blank line"] == blank


def test_real_values_keep_publisher_figures_and_qualifiers(real):
    d23 = real[2023].tables["production"]
    d24 = real[2024].tables["production"]
    d25 = real[2025].tables["production"]
    au = one(d23, commodity_id="lithium", country_iso3="AUS", measure="production", year=2021)
    assert (au.value, au.qualifier, au.estimated, au.unit) == (55300.0, "exact", False, "metric tons")
    au22 = one(d23, commodity_id="lithium", country_iso3="AUS", measure="production", year=2022)
    assert (au22.value, au22.qualifier, au22.estimated) == (61000.0, "estimated", True)
    res = one(d23, commodity_id="lithium", country_iso3="AUS", measure="reserves")
    assert (res.value, res.year, res.stage) == (6_200_000.0, 2022, "mine")
    us = one(d23, commodity_id="lithium", country_iso3="USA", measure="production", year=2021)
    assert pd.isna(us.value) and (us.qualifier, us.raw) == ("withheld", "W")
    cl = one(d24, commodity_id="lithium", country_iso3="CHL", measure="production", year=2023)
    assert (cl.value, cl.qualifier) == (44000.0, "estimated")
    world = one(d24, commodity_id="lithium", country_kind="world", measure="reserves")
    assert (world.value, world.year) == (28_000_000.0, 2023)
    other = one(d24, commodity_id="lithium", country_kind="other", measure="reserves")
    assert other.value == 2_800_000.0  # "Other countries6": footnote digit dropped
    au25 = one(d25, commodity_id="lithium", country_iso3="AUS", measure="production", year=2024)
    assert (au25.value, au25.estimated, au25.series_label, au25.form) == (88000.0, True, "Mine production, lithium content", "lithium content")
    cn_ree = one(d25, commodity_id="rare-earths", country_iso3="CHN", measure="production", year=2024)
    assert cn_ree.value == 270000.0 and cn_ree.form == "rare-earth-oxide equivalent" and cn_ree.stage == "mine"
    cod = one(d25, commodity_id="cobalt", country_iso3="COD", measure="production", year=2024)
    assert cod.value == 220000.0 and cod.estimated  # label "..., estimated"


def test_real_2025_codes_from_notes(real):
    d25 = real[2025].tables["production"]
    us = d25[(d25.commodity_id == "lithium") & (d25.country_iso3 == "USA") & (d25.measure == "production")]
    assert sorted(us.year) == [2023, 2024]
    assert set(us.qualifier) == {"withheld"} and us.value.isna().all()
    assert us.notes.str.contains("W for 23-24").all()
    br = one(d25, commodity_id="lithium", country_iso3="BRA", measure="production", year=2023)
    assert (br.value, br.qualifier, br.estimated) == (5260.0, "estimated", True)  # "estimated 2023"
    cl = one(d25, commodity_id="lithium", country_iso3="CHL", measure="production", year=2023)
    assert (cl.qualifier, cl.estimated) == ("exact", False)
    sb = one(d25, commodity_id="antimony", country_kind="world", measure="reserves")
    assert (sb.qualifier, sb.low, sb.raw) == ("greater_than", 2_000_000.0, ">2000000") and pd.isna(sb.value)
    nb = one(d25, commodity_id="niobium", country_kind="world", measure="reserves")
    assert (nb.qualifier, nb.low) == ("greater_than", 17_000_000.0)
    il = one(d25, commodity_id="potash", country_iso3="ISR", measure="reserves", form="potassium oxide (K2O) equivalent")
    assert (il.qualifier, il.raw) == ("text", "Large") and pd.isna(il.value)


def test_real_2025_germanium_spelling_and_blank_rows(real):
    d25 = real[2025].tables["production"]
    ge = d25[d25.commodity_id == "germanium"]
    assert len(ge) == 16  # 8 listed countries x 2 years, nothing published: missing, not 0
    assert set(ge.qualifier) == {"missing"} and ge.value.isna().all()
    assert set(ge.stage) == {"processing"} and set(ge.country_name) >= {"China", "Belgium", "World"}


def test_real_2025_reserve_units_and_skipped_non_reserve(real):
    d25 = real[2025].tables["production"]
    mo = d25[(d25.commodity_id == "molybdenum") & (d25.measure == "reserves")]
    assert set(mo.unit) == {"thousand metric tons"}  # "(Reserve data is thousand metric tons)"
    assert one(mo, country_iso3="ARG").value == 100.0
    assert set(d25[(d25.commodity_id == "molybdenum") & (d25.measure == "production")].unit) == {"metric tons"}
    fe = one(d25, commodity_id="iron-ore", country_iso3="CHL", measure="reserves", series_label="Mine production, usable ore")
    assert (fe.qualifier, fe.unit, fe.form) == ("not_available", "million metric tons", "crude ore")
    mg = d25[(d25.commodity_id == "magnesium") & (d25.country_iso3 == "USA")]
    assert "reserves" not in set(mg.measure)
    assert one(mg, measure="capacity", year=2024).value == 64.0
    assert real[2025].skipped["reserves figure the publisher marks 'Moved to capacity column not a reserve'"] == 1
    sl = one(d25, country_iso3="SLE", commodity_id="titanium", measure="production", year=2023, form="mineral concentrates, rutile, titanium dioxide (TiO2) content")
    assert sl.value == 110.0 and sl.unit == "thousand metric tons"
    assert "UNIT_MEAS blank" in sl.notes and "unit corrected" in sl.notes


def test_real_unit_errata(real):
    cr = one(real[2023].tables["production"], commodity_id="chromium", country_kind="world", measure="production", year=2022)
    assert (cr.value, cr.unit) == (41000.0, "thousand metric tons") and "unit corrected" in cr.notes
    cr24 = one(real[2024].tables["production"], commodity_id="chromium", country_kind="world", measure="production", year=2022)
    assert cr24.unit == "thousand metric tons" and (cr24.notes is None or "unit corrected" not in cr24.notes)
    v = one(real[2023].tables["production"], commodity_id="vanadium", country_kind="world", measure="reserves")
    assert (v.value, v.unit) == (26000.0, "thousand metric tons")
    sand = one(real[2025].tables["production"], commodity_id="sand-gravel-industrial", country_kind="world", year=2023)
    assert (sand.value, sand.unit) == (446000.0, "thousand metric tons")


def test_real_2024_quirks(real):
    d24 = real[2024].tables["production"]
    ar = one(d24, commodity_id="sand-gravel-industrial", country_iso3="ARG", year=2022)
    assert (ar.value, ar.qualifier, ar.raw, ar.estimated) == (3900.0, "estimated", "e3,900", True)
    cn = one(d24, commodity_id="fluorspar", country_iso3="CHN", measure="production", year=2023)
    assert cn.value == 5700.0 and cn.series_label == "Mine production, fluorspar"  # Type column named otherwise
    assert real[2024].skipped["unnamed column repeating the reserves figure of its row (MCS2024 barite)"] == 12
    br = one(d24, commodity_id="vermiculite", country_iso3="BRA", measure="reserves")
    assert br.value == 6600.0 and "8100" in br.notes and "(unnamed column 9) For Australia" in br.notes
    gyp = one(d24, commodity_id="gypsum", country_kind="world", measure="reserves")
    assert (gyp.qualifier, gyp.raw) == ("text", 'Categorized as "large"')
    mica = one(d24, commodity_id="mica", country_iso3="USA", measure="reserves", form="mica sheet")
    assert mica.qualifier == "small"
    zr = d24[(d24.commodity_id == "zirconium") & (d24.measure == "reserves")]
    assert set(zr.year) == {2023}
    pigments = d24[d24.commodity_id == "iron-oxide-pigments"]
    assert set(pigments.stage) == {"unspecified", "mine"} and set(pigments.series_label) == {""}


def test_real_labels_map_to_stage_and_measure(real):
    d23 = real[2023].tables["production"]
    bent = d23[(d23.commodity_id == "clays") & (d23.series_label == "Mine poduction, Bentonite")]
    assert set(bent.stage) == {"mine"} and set(bent[bent.measure == "production"].form) == {"Bentonite"}
    cu = d23[(d23.commodity_id == "copper") & (d23.measure == "production")]
    assert set(cu.groupby("series_label").stage.first().items()) == {
        ("Mine production, recoverable copper content", "mine"),
        ("Refinery production, copper", "processing"),
    }
    clinker = d23[(d23.commodity_id == "cement") & (d23.series_label == "Clinker capacity, estimated")]
    assert set(clinker.measure) == {"capacity"} and clinker.notes.str.contains("read as capacity").all()
    sponge = d23[(d23.commodity_id == "titanium") & (d23.form == "pigment")]
    assert set(sponge.measure) == {"capacity"} and one(sponge, country_iso3="CHN").value == 5_000_000.0
    mx = one(d23, commodity_id="vermiculite", country_iso3="MEX", year=2021)
    assert (mx.qualifier, mx.high) == ("less_than_half_unit", 0.5)
    gr = one(d23, commodity_id="graphite", country_iso3="USA", measure="reserves")
    assert (gr.qualifier, gr.raw) == ("text", "Included in World total.")
    chrom24 = real[2024].tables["production"]
    assert set(chrom24[chrom24.commodity_id == "chromium"].stage) == {"mine"}  # "Mne production"


def test_real_no_duplicate_series(real):
    key = ["vintage", "commodity_id", "form", "country_name", "country_detail", "measure", "series_label", "year"]
    for r in real.values():
        assert not r.tables["production"].duplicated(key).any()


# --------------------------------------------------------------------------- fixtures


def write(path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


HEADER_24 = "Source,Country,Type,Prod_t_2022,Prod_kt_Est_2023,Prod_note,Reserves_t,Reserves_notes,,\n"


def world24(tmp_path: Path, body: str, code: str = "lithi", header: str = HEADER_24) -> Path:
    write(tmp_path / "usgs_mcs2024" / "world" / f"mcs2024-{code}_world.csv", header + body)
    return tmp_path


def test_fixture_codes_bounds_separators_and_marks(tmp_path):
    body = (
        'MCS2024,United\u00a0States,"Mine production, lithium content",W,W,,NA,,,\n'
        'MCS2024,Chinae,"Mine production, lithium content","1,900",e2000,,>95,,,\n'
        'MCS 2024,Chile,"Mine production, lithium content",Less than ½ unit.,XX,,50–300,Large,,\n'
        ',Other countries6,"Mine production, lithium content",—,<100,,,Included with Other countries,,\n'
        ',Peru,"Mine production, lithium content",1,1,,,a note that is no code,,\n'
        ",,,,,,,,,\n"
    )
    df = read_mcs2024_world(world24(tmp_path, body)).tables["production"]
    us = df[df.country_iso3 == "USA"]
    assert set(us.qualifier) == {"withheld", "not_available"} and us.value.isna().all()
    cn = df[df.country_iso3 == "CHN"].set_index(["measure", "year"])
    assert cn.loc[("production", 2022), "value"] == 1900.0
    assert cn.loc[("production", 2022), "estimated"]  # "Chinae": the whole row is estimated
    assert cn.loc[("production", 2023), "unit"] == "thousand metric tons"
    assert cn.loc[("reserves", 2023), "qualifier"] == "greater_than" and cn.loc[("reserves", 2023), "low"] == 95.0
    cl = df[df.country_iso3 == "CHL"].set_index(["measure", "year"])
    assert cl.loc[("production", 2022), "qualifier"] == "less_than_half_unit"
    assert cl.loc[("production", 2023), "qualifier"] == "not_calculable"
    assert (cl.loc[("reserves", 2023), "low"], cl.loc[("reserves", 2023), "high"]) == (50.0, 300.0)
    other = df[df.country_kind == "other"].set_index(["measure", "year"])
    assert other.loc[("production", 2022), "qualifier"] == "zero" and other.loc[("production", 2022), "value"] == 0.0
    assert other.loc[("production", 2023), "qualifier"] == "less_than"
    # a blank reserves cell takes a code or a word from its notes; other notes leave it missing
    assert (other.loc[("reserves", 2023), "qualifier"], other.loc[("reserves", 2023), "raw"]) == ("text", "Included with Other countries")
    pe = df[(df.country_iso3 == "PER") & (df.measure == "reserves")].iloc[0]
    assert pe.qualifier == "missing" and pd.isna(pe.value) and pe.notes == "a note that is no code"
    assert df.source_row.min() == 2 and set(df.source_file) == {"usgs_mcs2024/world/mcs2024-lithi_world.csv"}


def test_fixture_blank_lines_trailing_columns_and_bom(tmp_path):
    body = 'MCS2024,Chile,"Mine production, lithium content",1,2,,3,,,\n,,,,,,,,,\n,,,,,,,,,\n'
    result = read_mcs2024_world(world24(tmp_path, body))
    assert result.skipped["blank line"] == 2
    assert len(result.tables["production"]) == 3


def test_fixture_misspelled_labels_and_stages():
    assert stage_of("Mine poduction, Kaolin", "production") == "mine"
    assert stage_of("Mne production, grosss weight, marketable chromite ore", "production") == "mine"
    assert stage_of("Refinery production", "production") == "processing"
    assert stage_of("Smelter production, aluminum", "capacity") == "processing"
    assert stage_of("Kyanite and Related Minerals", "production") == "unspecified"
    assert stage_of("Soda ash, total natural and synthetic", "production") == "unspecified"
    assert stage_of("boron, crude ore", "production") == "mine"
    assert stage_of("Refinery production", "reserves") == "mine"


def test_fixture_reserve_basis_notes():
    b = reserve_basis("NA (Reserve data is thousand metric tons).")
    assert (b.unit, b.form, b.rest) == ("thousand metric tons", "", "NA")
    b = reserve_basis("For Ukraine, A and B categories. Crude ore, million metric tons.")
    assert (b.unit, b.form) == ("million metric tons", "crude ore")
    b = reserve_basis("Thousand metric tons, ZrO2 content.  Calculated as 65%.")
    assert (b.unit, b.form) == ("thousand metric tons", "ZrO2 content")


def test_fixture_type_column_with_another_name_and_unnamed_columns(tmp_path):
    header = "Source,Country,\"Mine production, fluorspar\",Prod_kt_2022,Prod_kt_Est_2023,Prod_notes,Reserves_kt,Reserves_notes,,\n"
    body = (
        'MCS2024,China,"Mine production, fluorspar",5700,5700,,"92,000",,"92,000",\n'
        'MCS2024,Spain,"Mine production, fluorspar",153,150,,15000,,a stray note,\n'
    )
    result = read_mcs2024_world(world24(tmp_path, body, code="fluor", header=header))
    df = result.tables["production"]
    assert set(df.commodity_id) == {"fluorspar"}
    assert result.skipped["unnamed column repeating the reserves figure of its row (MCS2024 barite)"] == 1
    es = df[(df.country_iso3 == "ESP") & (df.measure == "reserves")].iloc[0]
    assert "(unnamed column 9) a stray note" in es.notes


def test_fixture_estimate_notes_and_reserves_year(tmp_path):
    body = 'MCS2024,Brazil,"Mine production, lithium content",2630,4900,Also estimated in 2022,390000,,,\n'
    df = read_mcs2024_world(world24(tmp_path, body)).tables["production"].set_index(["measure", "year"])
    assert df.loc[("production", 2022), "estimated"] and df.loc[("production", 2022), "qualifier"] == "estimated"
    assert df.loc[("reserves", 2023), "value"] == 390000.0  # reserves without a year: release year - 1
    assert not df.loc[("reserves", 2023), "estimated"]


def test_fixture_unknown_country_fails_with_file_and_row(tmp_path):
    body = 'MCS2024,Chile,"Mine production",1,2,,3,,,\nMCS2024,Atlantis,"Mine production",1,2,,3,,,\n'
    with pytest.raises(UnmappedNameError) as err:
        read_mcs2024_world(world24(tmp_path, body))
    assert err.value.row == 3 and "mcs2024-lithi_world.csv" in err.value.file and "Atlantis" in str(err.value)


def test_fixture_unknown_commodity_code_fails(tmp_path):
    body = 'MCS2024,Chile,"Mine production",1,2,,3,,,\n'
    with pytest.raises(UnmappedNameError, match="unobt"):
        read_mcs2024_world(world24(tmp_path, body, code="unobt"))


def test_fixture_truncated_file_fails(tmp_path):
    body = 'MCS2024,Chile,"Mine production, lithium content",1,2,,3,,,\nMCS2024,Peru,"Mine prod'
    with pytest.raises(SourceError) as err:
        read_mcs2024_world(world24(tmp_path, body))
    assert err.value.row == 3


def test_fixture_not_utf8_fails(tmp_path):
    path = world24(tmp_path, "")
    (path / "usgs_mcs2024" / "world" / "mcs2024-lithi_world.csv").write_bytes(
        HEADER_24.encode() + 'MCS2024,C\xf4te d\x92Ivoire,"Mine production",1,2,,3,,,\r\n'.encode("latin-1")
    )
    with pytest.raises(SourceError, match="cannot decode") as err:
        read_mcs2024_world(path)
    assert err.value.row == 2


def test_fixture_unknown_value_column_and_other_release_fail(tmp_path):
    header = "Source,Country,Type,Prod_2022,Prod_notes\n"
    with pytest.raises(SourceError, match="unit"):
        read_mcs2024_world(world24(tmp_path, "MCS2024,Chile,x,1,\n", header=header))
    with pytest.raises(SourceError, match="another release") as err:
        read_mcs2024_world(world24(tmp_path, 'MCS2023,Chile,"Mine production",1,2,,3,,,\n'))
    assert err.value.row == 2


def test_fixture_2023_reader_uses_its_own_folder(tmp_path):
    header = "Source,Country,Type,Cap_t_est_2021,Cap_t_est_2022\n"
    write(tmp_path / "usgs_mcs2023" / "world" / "mcs2023-abras_world.csv", header + 'MCS2023,United States and Canada,"Plant capacity, fused aluminum oxide",60000,60000\n')
    df = read_mcs2023_world(tmp_path).tables["production"]
    assert set(df.measure) == {"capacity"} and set(df.stage) == {"processing"}
    assert set(df.form) == {"fused aluminum oxide"} and set(df.country_kind) == {"group"}
    assert df.estimated.all()


HEADER_25 = "SOURCE,COMMODITY,COUNTRY,TYPE,UNIT_MEAS,PROD_2023,PROD_EST_ 2024,PROD_NOTES,CAP_2023,CAP_EST_ 2024,CAP_NOTES,RESERVES_2024,RESERVE_NOTES\n"


def world25(tmp_path: Path, body: str, header: str = HEADER_25) -> Path:
    write(tmp_path / "usgs_mcs2025" / "world" / "MCS2025_World_Data.csv", header + body)
    return tmp_path


def test_fixture_2025_quirks(tmp_path):
    body = (
        "MCS2025,Gemanium,China,Primary and secondary refinery production,kilograms,,,,,,,,\n"
        "MCS2025,Lithium ,United States ,\"Mine production, lithium content\",metric tons,,,W for 23-24,,,,1800000,\n"
        "MCS2025,Lithium ,Brazil,\"Mine production, lithium content\",metric tons,5260,10000,estimated 2023,,,,,NA\n"
        "MCS2025,Mercury,Peru (exports),\"Mine production, mercury content\",metric tons,,30,na for 2023,,,,,\n"
        "MCS2025,Molybdenum ,Chile,\"Mine production, molybdenum content\",metric tons,44100,38000,,,,,1400,\n"
        "MCS2025,Molybdenum ,Mongolia,\"Mine production, molybdenum content\",metric tons,3160,3100,,,,,10, (Reserve data is thousand metric tons).\n"
        "MCS2025,Magnesium metal,United States,Magnesium smelter production,thousand metric tons,,,,,64,reported,64,Moved to capacity column not a reserve\n"
        "MCS2025,Talc, crude,Brazil,Mine production,thousand metric tons,1,1,,,,,>2000000,\n".replace("Talc, crude", '"Talc, crude"')
        + "MCS2025,Titanium Mineral Concentrates,Sierra Leone,\"Mine production, rutile\",,110,60,,,,,2900,\n"
        "MCS2025,Titanium Mineral Concentrates,Kenya,\"Mine production, rutile\",thousand metric tons,47,40,,,,,,Large\n"
    )
    result = read_mcs2025_world(world25(tmp_path, body))
    df = result.tables["production"]
    ge = df[df.commodity_id == "germanium"]
    assert len(ge) == 2 and set(ge.qualifier) == {"missing"}
    us = df[(df.country_iso3 == "USA") & (df.commodity_id == "lithium") & (df.measure == "production")]
    assert set(us.qualifier) == {"withheld"} and set(us.raw) == {"W"}
    br = df[(df.country_iso3 == "BRA") & (df.commodity_id == "lithium")].set_index(["measure", "year"])
    assert br.loc[("production", 2023), "estimated"] and br.loc[("reserves", 2024), "qualifier"] == "not_available"
    pe = df[df.commodity_id == "mercury"].set_index("year")
    assert pe.loc[2023, "qualifier"] == "not_available" and pe.loc[2024, "value"] == 30.0
    assert pe.loc[2023, "country_detail"] == "exports"
    mo = df[(df.commodity_id == "molybdenum") & (df.measure == "reserves")].set_index("country_iso3")
    assert set(mo.unit) == {"thousand metric tons"}  # Chile inherits the series' unit note
    assert "as stated on the other rows" in mo.loc["CHL", "notes"]
    mg = df[df.commodity_id == "magnesium"]
    assert set(mg.measure) == {"capacity"} and result.skipped["reserves figure the publisher marks 'Moved to capacity column not a reserve'"] == 1
    talc = df[df.commodity_id == "talc"]
    assert set(talc.form) == {"crude"}
    assert talc[talc.measure == "reserves"].iloc[0].qualifier == "greater_than"
    sl = df[df.country_iso3 == "SLE"]
    assert set(sl.unit) == {"thousand metric tons"} and sl.notes.str.contains("UNIT_MEAS blank").all()
    ke = df[(df.country_iso3 == "KEN") & (df.measure == "reserves")].iloc[0]
    assert (ke.qualifier, ke.raw) == ("text", "Large")


def test_fixture_2025_missing_column_fails(tmp_path):
    header = HEADER_25.replace(",RESERVE_NOTES", "")
    with pytest.raises(SourceError) as err:
        read_mcs2025_world(world25(tmp_path, "MCS2025,Lithium,Chile,x,metric tons,1,1,,,,,1\n", header=header))
    assert err.value.field == "RESERVE_NOTES" and err.value.row == 1


def test_fixture_2025_blank_unit_without_a_series_unit_fails(tmp_path):
    body = "MCS2025,Lithium,Chile,\"Mine production\",,1,1,,,,,1,\n"
    with pytest.raises(SourceError) as err:
        read_mcs2025_world(world25(tmp_path, body))
    assert err.value.field == "UNIT_MEAS" and err.value.row == 2


def test_fixture_2025_unknown_commodity_fails(tmp_path):
    body = "MCS2025,Mithril,Chile,\"Mine production\",metric tons,1,1,,,,,1,\n"
    with pytest.raises(UnmappedNameError) as err:
        read_mcs2025_world(world25(tmp_path, body))
    assert err.value.field == "COMMODITY" and err.value.row == 2


def test_fixture_capacity_in_production_columns_and_unit_erratum(tmp_path):
    cement = "Source,Country,Type,Prod_kt_est_2021,Prod_kt_est_2022\n"
    write(tmp_path / "usgs_mcs2023" / "world" / "mcs2023-cemen_world.csv", cement + (
        'MCS2023,China,"Cement production, estimated",2500000,2100000\n'
        'MCS2023,China,"Clinker capacity, estimated",2000000,2000000\n'
    ))
    chrom = "Source,Country,Type,Prod_t_2021,Prod_t_est_2022,Prod_notes,Reserves_kt,Reserves_notes\n"
    write(tmp_path / "usgs_mcs2023" / "world" / "mcs2023-chrom_world.csv", chrom + 'MCS2023,Finland,"Mine production, marketable chromite ore",2270,2200,,8300,\n')
    df = read_mcs2023_world(tmp_path).tables["production"]
    cem = df[df.commodity_id == "cement"].groupby("series_label").measure.agg(set).to_dict()
    assert cem == {"Cement production, estimated": {"production"}, "Clinker capacity, estimated": {"capacity"}}
    assert set(df[df.series_label.str.startswith("Clinker")].form) == {"Clinker"}
    fi = df[df.country_iso3 == "FIN"].set_index("measure")
    assert set(fi.loc["production", "unit"]) == {"thousand metric tons"}
    assert fi.loc["production", "notes"].str.contains("unit corrected from 'metric tons'").all()
    assert fi.loc["reserves", "unit"] == "thousand metric tons" and pd.isna(fi.loc["reserves", "notes"])

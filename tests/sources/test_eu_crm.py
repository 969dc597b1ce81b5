"""Tests of the EU CRM 2023 reader."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.eu_crm import (
    ASSESSMENT_FILE,
    EU_FILE,
    EU_MATERIALS,
    EU_UNMAPPED_MATERIALS,
    FOLDER,
    GLOBAL_FILE,
    USE_FILE,
    material_key,
    read_eu_crm,
)
from critmin.vocab.commodities import catalogue
from tests.sources import one_row as _one

# ---------------------------------------------------------------- the map


def test_material_map_is_consistent():
    assert set(EU_MATERIALS.values()) <= set(catalogue())
    assert not set(EU_MATERIALS) & set(EU_UNMAPPED_MATERIALS)
    assert all(k == material_key(k) for k in [*EU_MATERIALS, *EU_UNMAPPED_MATERIALS])
    assert material_key("Natural Teak\nwood") == "natural teak wood"
    assert EU_MATERIALS["natural graphite"] == "graphite"
    assert EU_MATERIALS["hrees"] == EU_MATERIALS["lrees"] == "rare-earths"
    assert EU_MATERIALS["pgms"] == "platinum-group-metals"
    assert EU_MATERIALS["silicon metal"] == "silicon"
    assert EU_MATERIALS["coking coal"] == "metallurgical-coal"
    for biotic in ("roundwood", "natural cork", "natural rubber", "sapele wood", "natural teak wood"):
        assert biotic in EU_UNMAPPED_MATERIALS


# ---------------------------------------------------------------- real files


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_eu_crm(raw_data_dir)




def test_real_counts(real):
    t = real.tables
    assert len(t["eu_crm_assessment"]) == 71 * 5 * 2  # 71 materials, 5 assessments, SR and EI
    shares = t["eu_crm_supply_shares"]
    assert shares.groupby("scope").size().to_dict() == {"global": 2561, "eu_sourcing": 907}
    assert len(t["eu_crm_material_use"]) == 339  # CSV records (15 contain a line break)
    assert shares.country_iso3.notna().all()


def test_real_assessment(real):
    a = real.tables["eu_crm_assessment"]
    assert _one(a, material="Antimony", year=2023, indicator="SR").value == 1.8
    assert _one(a, material="Antimony", year=2023, indicator="EI").value == 5.4
    assert _one(a, material="Gallium", year=2023, indicator="SR").value == 3.9
    not_assessed = a[a.qualifier == "not_available"]
    assert len(not_assessed) == 126 and (not_assessed.raw == "-").all() and not_assessed.value.isna().all()
    teak = a[a.material == "Natural Teak wood"]
    assert len(teak) == 10 and teak.commodity_id.isna().all()  # 'Natural Teak\nwood' in four rows
    assert _one(a, material="Aluminium", year=2011, indicator="EI").commodity_id == "aluminum"


def test_real_supply_shares(real):
    s = real.tables["eu_crm_supply_shares"]
    ga = _one(s, material="Gallium", scope="global", stage="processing", country_iso3="CHN")
    assert ga.value == 93.8 and ga.raw == "93.8%" and ga.commodity_id == "gallium" and ga.trade_factor == 1.0
    co = _one(s, material="Cobalt", scope="global", stage="extraction", country_iso3="COD")
    assert co.value == 62.8 and co.trade_factor == 1.1
    # 'Congo' is the Republic of the Congo: copper lists both Congos
    cu = s[(s.material == "Copper") & (s.scope == "global") & (s.stage == "extraction")]
    assert {"COG", "COD"} <= set(cu.country_iso3)
    bounded = s[s.qualifier == "less_than"]
    assert len(bounded) == 514 and (bounded.high == 0.1).all() and bounded.value.isna().all()
    # misspelt country names resolve
    assert _one(s, material="Roundwood", scope="global", country_iso3="BRA").value == 7.0  # 'Brasilia'
    assert "TUR" in set(s.country_iso3) and "LBN" in set(s.country_iso3)
    # a share published without '%'
    si = _one(s, material="Silicon metal", scope="eu_sourcing", stage="processing", country_iso3="DEU")
    assert si.value == 6 and si.raw == "6"
    assert s[s.material.isin(["Sapele wood", "Hydrogen"])].commodity_id.isna().all()


def test_real_material_use(real):
    u = real.tables["eu_crm_material_use"]
    cu = u[(u.material == "Copper") & (u.qualifier == "greater_than")]
    assert len(cu) == 1 and cu.iloc[0].low == 0 and cu.iloc[0].raw == ">0%"
    other = u[(u.material == "Cobalt") & (u.application == "Other")].iloc[0]
    assert other.value == 6 and pd.isna(other.nace_sector) and pd.isna(other.value_added_meur)
    agg = _one(u, material="Aggregates")
    assert agg.value == 100 and agg.value_added_meur == 64990 and pd.isna(agg.commodity_id)
    assert not u.application.str.contains("\n").any()


def test_real_provenance_points_to_the_record(real, raw_data_dir):
    s = real.tables["eu_crm_supply_shares"]
    ga = _one(s, material="Gallium", scope="global", stage="processing", country_iso3="CHN")
    with open(raw_data_dir / FOLDER / GLOBAL_FILE, encoding="cp1252", newline="") as fh:
        records = list(csv.reader(fh))
    assert records[ga.source_row - 1] == ["Gallium", "P", "China", "93.8%", "1.0"]


# ---------------------------------------------------------------- fixtures


def _write(tmp_path: Path, *, assessment=None, global_rows=None, eu_rows=None, use_rows=None, use_encoding="cp1252") -> Path:
    d = tmp_path / FOLDER
    d.mkdir(parents=True, exist_ok=True)
    (d / ASSESSMENT_FILE).write_bytes(
        ("Material,Year,SR,EI\r\n" + "".join(l + "\r\n" for l in (assessment or [
            "Antimony,2023,1.8,5.4", '"Natural Teak\nwood",2023,-,-', "Gallium,2011,-,6.5",
        ]))).encode("utf-8")
    )
    supply_header = "Material,Stage,Country,Share,t\r\n"
    (d / GLOBAL_FILE).write_bytes((supply_header + "".join(l + "\r\n" for l in (global_rows or [
        "Gallium,P,China,93.8%,1.0", "Gallium,P,Turkyie,<0.1%,1.0", "Roundwood,E,Brasilia,7%,1.0",
        "Copper,E,Congo,0.1%,1.0", "Copper,E,\"Congo, D.R.\",6.4%,1.1", "Copper,E,Türkiye,1.0%,1.0",
    ]))).encode("cp1252"))
    (d / EU_FILE).write_bytes((supply_header + "".join(l + "\r\n" for l in (eu_rows or [
        "Silicon metal,P,Germany,6,0.8", "Natural Rubber,E,Côte d’Ivoire,12%,1",
    ]))).encode("cp1252"))
    (d / USE_FILE).write_bytes(("Material,Application,Share,NACE sector,VA in million €\r\n" + "".join(l + "\r\n" for l in (use_rows or [
        'Copper,"Building construction,\nbuilding plant",>0%,C32 - Other manufacturing,45912', "Cobalt,Other,6%,,",
    ]))).encode(use_encoding))
    return tmp_path


def test_fixture_quirks(tmp_path):
    res = read_eu_crm(_write(tmp_path))
    a = res.tables["eu_crm_assessment"]
    assert len(a) == 6
    teak = a[a.material == "Natural Teak wood"]
    assert set(teak.qualifier) == {"not_available"} and teak.commodity_id.isna().all()
    assert _one(a, material="Gallium", indicator="EI").value == 6.5
    assert _one(a, material="Gallium", indicator="SR").qualifier == "not_available"
    s = res.tables["eu_crm_supply_shares"]
    bound = _one(s, material="Gallium", country_iso3="TUR")
    assert bound.qualifier == "less_than" and bound.high == 0.1 and pd.isna(bound.value) and bound.raw == "<0.1%"
    assert _one(s, material="Roundwood").country_iso3 == "BRA"
    assert _one(s, material="Copper", country_iso3="COG").value == 0.1
    assert _one(s, material="Copper", country_iso3="COD").trade_factor == 1.1
    assert _one(s, material="Copper", raw="1.0%").country_iso3 == "TUR"  # 'Türkiye' in cp1252
    eu = s[s.scope == "eu_sourcing"]
    assert _one(eu, material="Silicon metal").value == 6
    assert _one(eu, material="Natural Rubber").country_iso3 == "CIV"
    u = res.tables["eu_crm_material_use"]
    assert _one(u, material="Copper").application == "Building construction, building plant"
    assert _one(u, material="Copper").qualifier == "greater_than"
    assert pd.isna(_one(u, material="Cobalt").value_added_meur)


def test_fixture_unknown_material_fails(tmp_path):
    folder = _write(tmp_path, global_rows=["Unobtainium,E,China,50%,1.0"])
    with pytest.raises(UnmappedNameError) as err:
        read_eu_crm(folder)
    assert err.value.row == 2 and err.value.field == "Material" and GLOBAL_FILE in err.value.file


def test_fixture_unknown_country_fails(tmp_path):
    folder = _write(tmp_path, eu_rows=["Gallium,P,Atlantis,5%,1"])
    with pytest.raises(UnmappedNameError) as err:
        read_eu_crm(folder)
    assert err.value.row == 2 and err.value.field == "Country"


def test_fixture_bad_share_fails(tmp_path):
    folder = _write(tmp_path, global_rows=["Gallium,P,China,most,1.0"])
    with pytest.raises(SourceError, match="not a share") as err:
        read_eu_crm(folder)
    assert err.value.field == "Share"


def test_fixture_share_over_100_fails(tmp_path):
    folder = _write(tmp_path, global_rows=["Gallium,P,China,130%,1.0"])
    with pytest.raises(SourceError, match="0-100"):
        read_eu_crm(folder)


def test_fixture_bad_stage_fails(tmp_path):
    folder = _write(tmp_path, global_rows=["Gallium,R,China,10%,1.0"])
    with pytest.raises(SourceError, match="stage") as err:
        read_eu_crm(folder)
    assert err.value.field == "Stage"


def test_fixture_bad_score_fails(tmp_path):
    folder = _write(tmp_path, assessment=["Antimony,2023,high,5.4"])
    with pytest.raises(SourceError, match="not a score") as err:
        read_eu_crm(folder)
    assert err.value.field == "SR"


def test_fixture_utf8_file_where_cp1252_is_expected_fails(tmp_path):
    # the € of the header then decodes to 'â‚¬' and the column is missing
    folder = _write(tmp_path, use_encoding="utf-8")
    with pytest.raises(SourceError, match="missing column"):
        read_eu_crm(folder)


def test_fixture_truncated_file_fails(tmp_path):
    folder = _write(tmp_path)
    p = folder / FOLDER / GLOBAL_FILE
    p.write_bytes(p.read_bytes()[:-4])
    with pytest.raises(SourceError, match="line break"):
        read_eu_crm(folder)


def test_fixture_missing_column_fails(tmp_path):
    folder = _write(tmp_path)
    p = folder / FOLDER / EU_FILE
    p.write_bytes(p.read_bytes().replace(b",t\r\n", b",trade\r\n", 1))
    with pytest.raises(SourceError, match="missing column") as err:
        read_eu_crm(folder)
    assert err.value.field == "t"


# ---------------------------------------------------------------- one name per material (issue 9)


def test_each_material_has_one_name_and_its_own_commodity_and_form(real):
    """Spellings of one material meet under one name, and no two EU materials share a
    commodity and form (bentonite and kaolin clay were both plain 'clays'; titanium had three
    entries; 'Natural Rubber'/'Natural rubber' split the global and EU sourcing shares)."""
    shares = real.tables["eu_crm_supply_shares"]
    scopes = shares.groupby("material")["scope"].unique().map(set)
    assert scopes["Natural Rubber"] == {"global", "eu_sourcing"}
    assert scopes["Baryte"] == scopes["Boron"] == scopes["Kaolin clay"] == {"global", "eu_sourcing"}
    assert "Titanium ores" not in scopes and "Natural rubber" not in scopes and "Barytes" not in scopes
    ti = shares[shares["commodity_id"] == "titanium"].groupby(["material", "form"])["stage"].unique().map(set).to_dict()
    assert ti == {("Titanium", ""): {"extraction", "processing"}, ("Titanium metal", "sponge metal"): {"extraction", "processing"}}
    for table in ("eu_crm_assessment", "eu_crm_supply_shares", "eu_crm_material_use"):
        t = real.tables[table]
        per = t[t["commodity_id"].notna()].groupby(["commodity_id", "form"])["material"].nunique()
        assert (per == 1).all(), per[per > 1]
    clays = shares[shares["commodity_id"] == "clays"].groupby("material")["form"].unique().map(list).to_dict()
    assert clays == {"Bentonite": ["Bentonite"], "Kaolin clay": ["Kaolin"]}
    a = real.tables["eu_crm_assessment"]
    assessed = set(a["material"])
    # every material with EU sourcing shares is one the assessment names, or a rare earth
    # the 2023 study assessed only as part of the HREEs or LREEs
    sourced = shares[shares["scope"] == "eu_sourcing"]
    others = sourced[~sourced["material"].isin(assessed)]
    from critmin.vocab.commodities import members

    assert set(others["commodity_id"]) <= {*members("rare-earths"), "yttrium", "scandium"}


def test_fixture_spellings_meet(tmp_path):
    folder = _write(tmp_path, global_rows=["Natural rubber,E,Thailand,33%,1.0", "Titanium,E,China,30%,1.0",
                                           "Kaolin,E,Germany,10%,0.8"],
                    eu_rows=["Natural Rubber,E,Côte d’Ivoire,12%,1", "Titanium ores,E,Norway,20%,1", "Kaolin,P,Spain,5%,0.8"],
                    assessment=["Natural Rubber,2023,0.9,6", "Kaolin clay,2023,0.8,2.8", "Titanium,2023,0.5,5.4"])
    res = read_eu_crm(folder)
    s = res.tables["eu_crm_supply_shares"]
    assert set(s["material"]) == {"Natural Rubber", "Titanium", "Kaolin clay"}
    assert _one(s, material="Titanium", scope="eu_sourcing").country_iso3 == "NOR"
    assert set(s.loc[s["material"] == "Kaolin clay", "form"]) == {"Kaolin"}
    assert _one(s, material="Titanium", scope="eu_sourcing").source_row == 3  # still the publisher's row


def test_material_map_problems_are_caught(monkeypatch):
    from critmin.sources import eu_crm

    assert eu_crm.material_map_problems() == []
    monkeypatch.setitem(eu_crm.EU_MATERIAL_FORMS, "kaolin clay", "Bentonite")
    assert any("both map to 'clays'" in p for p in eu_crm.material_map_problems())
    monkeypatch.setitem(eu_crm.EU_MATERIALS, "barytes", "strontium")
    assert any("'baryte' maps to 'barite' and 'strontium'" in p for p in eu_crm.material_map_problems())

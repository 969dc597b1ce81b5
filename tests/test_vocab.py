"""Country and commodity vocabularies: explicit maps, no fuzzy matches, loud failures."""

from __future__ import annotations

import pytest

from critmin.errors import UnknownCommodityError, UnmappedNameError
from critmin.vocab.commodities import catalogue, lookup, mcs_file_codes, members, resolve_commodity
from critmin.vocab.countries import groups, resolve_code, resolve_country, split_country_list


@pytest.mark.parametrize(
    "name, iso3",
    [
        ("Burma", "MMR"),
        ("Congo (Kinshasa)", "COD"),
        ("Republic of Korea", "KOR"),
        ("Korea, North", "PRK"),
        ("Russia", "RUS"),
        ("Turkey", "TUR"),
        ("United\u00a0States", "USA"),
        ("China ", "CHN"),
        ("Côte d’Ivoire", "CIV"),
        ("Kosovo", "XKX"),
        ("Brasilia", "BRA"),
        ("Libanon", "LBN"),
        ("Turkyie", "TUR"),
    ],
)
def test_publisher_country_names(name, iso3):
    assert resolve_country(name).iso3 == iso3


def test_footnote_estimate_and_detail_are_split_off():
    r = resolve_country("China3")
    assert (r.iso3, r.footnote) == ("CHN", "3")
    r = resolve_country("Irane")  # a fuzzy matcher would say Albania
    assert (r.iso3, r.estimated) == ("IRN", True)
    r = resolve_country("Brazil (beneficiated)")
    assert (r.iso3, r.detail) == ("BRA", "beneficiated")
    r = resolve_country("Argentina, crude ore")
    assert (r.iso3, r.detail) == ("ARG", "crude ore")


def test_aggregates_are_kept_as_aggregates():
    assert resolve_country("World total (rounded)").kind == "world"
    assert resolve_country("World total (rounded)").iso3 is None
    assert resolve_country("Other countries").kind == "other"
    g = resolve_country("United States and Canada")
    assert g.kind == "group" and g.members == ("USA", "CAN")


@pytest.mark.parametrize("bad", ["NA", "Atlantis", "USA-ish", "Chinaa"])
def test_unmapped_country_fails_loudly(bad):
    with pytest.raises(UnmappedNameError) as exc:
        resolve_country(bad, file="x.csv", row=7, field="Country")
    msg = str(exc.value)
    assert "x.csv" in msg and "row 7" in msg and "Country" in msg and repr(bad) in msg


def test_wgi_codes():
    assert resolve_code("ZAR") == "COD"
    assert resolve_code("ROM") == "ROU"
    assert resolve_code("KSV") == "XKX"
    assert resolve_code("DEU") == "DEU"
    with pytest.raises(UnmappedNameError):
        resolve_code("ZZZ")


def test_groups():
    g = groups()
    assert g["G7"] == {"USA", "CAN", "FRA", "DEU", "ITA", "JPN", "GBR"}
    assert {"CHN", "HKG", "RUS", "PRK", "IRN"} == g["FEOC"]
    assert len(g["EU27"]) == 27


def test_split_country_list():
    assert split_country_list("China, Morocco, Malaysia, Belgium") == ["China", "Morocco", "Malaysia", "Belgium"]
    assert split_country_list("Mexico, Germany, and China") == ["Mexico", "Germany", "China"]


@pytest.mark.parametrize(
    "name, cid, form",
    [
        ("RARE EARTHS, compounds and metals", "rare-earths", "compounds and metals"),
        ("GALLIUM, metal", "gallium", "metal"),
        ("Gemanium", "germanium", ""),
        ("Copper ", "copper", ""),
        ("NIOBIUM (COLUMBIUM)", "niobium", ""),
        ("TITANIUM MINERAL CONCENTRATES", "titanium", "mineral concentrates"),
        ("Zirconium And Hafnium", "zirconium", ""),
        ("Rare earths (compounds and metals)9", "rare-earths", "compounds and metals"),
        ("Nitrogen (Fixed)—Ammonia", "nitrogen", ""),
        ("Pumice & Pumicite", "pumice", ""),
        ("ALUMINA", "bauxite", "alumina"),
    ],
)
def test_commodity_names(name, cid, form):
    ref = resolve_commodity(name)
    assert (ref.commodity_id, ref.form) == (cid, form)


def test_unmapped_commodity_fails_loudly():
    with pytest.raises(UnmappedNameError, match="f.csv, row 3"):
        resolve_commodity("Unobtainium", file="f.csv", row=3)


def test_groups_know_their_members():
    ree = members("rare-earths")
    assert len(ree) == 14 and "neodymium" in ree and "yttrium" not in ree
    assert set(members("platinum-group-metals")) == {"platinum", "palladium", "iridium", "osmium", "rhodium", "ruthenium"}


def test_file_codes_and_user_lookup():
    assert all(ref.commodity_id in catalogue() for ref in mcs_file_codes().values())
    assert mcs_file_codes()["zirco-hafni"].commodity_id == "zirconium"
    assert lookup("Ga").commodity_id == "gallium"
    assert lookup("rare earths").commodity_id == "rare-earths"
    with pytest.raises(UnknownCommodityError):
        lookup("kryptonite")

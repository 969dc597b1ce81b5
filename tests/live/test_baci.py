"""CEPII BACI yearly files: small files the tests write, one per quirk."""

from __future__ import annotations

import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.live.baci import read_baci
from tests.live import no_network  # noqa: F401

CODES = (
    "country_code,country_name,country_iso2,country_iso3\n"
    "156,China,CN,CHN\n"
    "842,USA,US,USA\n"
    "251,France,FR,FRA\n"
    "490,\"Other Asia, nes\",,S19\n"
    "891,Serbia and Montenegro (...2005),,SCG\n"
    "899,\"Areas, nes\",,\n"
)
NAME = "BACI_HS22_Y2022_V202501.csv"


@pytest.fixture
def codes(tmp_path):
    path = tmp_path / "country_codes_V202501.csv"
    path.write_text(CODES, encoding="utf-8")
    return path


def trade(tmp_path, text: str, name: str = NAME):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_values_quantities_provenance_and_default_filter(tmp_path, codes):
    path = trade(
        tmp_path,
        "t,i,j,k,v,q\n"
        "2022,156,842,280530,12.5,3.2\n"
        "2022,156,842,010121,99,1\n"  # horses: outside the critical-mineral filter
        "2022,842,251,850511,   0.25,        NA\n"  # padded cells, NA quantity
        "2022,156,251,811292,7,\n",  # blank quantity
    )
    df, skipped = read_baci(path, codes)
    assert list(df["hs"]) == ["280530", "850511", "811292"]
    assert list(df["exporter_iso3"]) == ["CHN", "USA", "CHN"] and list(df["importer_iso3"]) == ["USA", "FRA", "FRA"]
    assert list(df["value_usd"]) == [12_500.0, 250.0, 7_000.0]  # thousand US$ -> US$
    assert df.loc[0, "quantity_t"] == 3.2 and df["quantity_t"].isna().tolist() == [False, True, True]
    assert list(df["quantity_qualifier"]) == ["exact", "not_available", "missing"]
    assert list(df["source_row"]) == [2, 4, 5] and set(df["source_file"]) == {NAME} and set(df["source_id"]) == {"cepii_baci"}
    assert set(df["hs_revision"]) == {"HS2022"} and set(df["dataset"]) == {"baci"} and set(df["year"]) == {2022}
    assert list(df.loc[1, "commodity_ids"]) == ["rare-earths"]
    assert skipped == {"HS code outside the selection": 1}


def test_leading_zero_and_padded_header(tmp_path, codes):
    path = trade(tmp_path, " t , i , j , k , v , q \r\n2022,156,842,80510,1.5,2\r\n2022,156,842,10121,1,1\r\n")
    df, _ = read_baci(path, codes, hs_filter=["080510"])
    assert list(df["hs"]) == ["080510"]
    df, _ = read_baci(path, codes, hs_filter=["80510", "0101"])  # the filter is padded too; 4-digit prefix
    assert list(df["hs"]) == ["080510", "010121"]


def test_all_rows_and_explicit_revision(tmp_path, codes):
    path = trade(tmp_path, "t,i,j,k,v,q\n2017,156,842,010121,1,1\n2017,156,842,280530,2,\n", name="trade.csv")
    df, skipped = read_baci(path, codes, hs_filter="all", revision="HS17")
    assert len(df) == 2 and not skipped and set(df["hs_revision"]) == {"HS2017"}


def test_aggregates_are_skipped_by_name_and_historic_codes_kept(tmp_path, codes):
    path = trade(
        tmp_path,
        "t,i,j,k,v,q\n"
        "2004,490,842,280530,1,1\n"
        "2004,842,899,280530,1,1\n"
        "2004,891,842,280530,1,1\n"
        "\n",
    )
    df, skipped = read_baci(path, codes)
    assert list(df["exporter_iso3"]) == ["SCG"]
    assert skipped == {
        "exporter or importer is an aggregate or unspecified area: Other Asia, nes (S19)": 1,
        "exporter or importer is an aggregate or unspecified area: Areas, nes": 1,
        "blank line": 1,
    }


def test_batches_keep_line_numbers(tmp_path, codes):
    lines = ["t,i,j,k,v,q"] + [f"2022,156,842,{'280530' if n % 2 else '010121'},{n},1" for n in range(1, 12)]
    path = trade(tmp_path, "\n".join(lines) + "\n")
    df, skipped = read_baci(path, codes, batch_rows=2)
    assert list(df["source_row"]) == [2, 4, 6, 8, 10, 12]
    assert list(df["value_usd"]) == [1000.0, 3000.0, 5000.0, 7000.0, 9000.0, 11000.0]
    assert skipped["HS code outside the selection"] == 5


def test_code_missing_from_code_file_fails_with_line_and_field(tmp_path, codes):
    path = trade(tmp_path, "t,i,j,k,v,q\n2022,156,842,280530,1,1\n2022,156,999,280530,1,1\n")
    with pytest.raises(SourceError) as info:
        read_baci(path, codes)
    assert (info.value.row, info.value.field, info.value.found) == (3, "j", 999)
    assert "not in country_codes_V202501.csv" in str(info.value)


def test_code_with_a_non_iso_alpha3_fails_loudly(tmp_path):
    codes = tmp_path / "country_codes.csv"
    codes.write_text("country_code,country_name,country_iso2,country_iso3\n156,China,CN,CHN\n998,Newly invented place,,XQZ\n")
    path = trade(tmp_path, "t,i,j,k,v,q\n2022,998,156,280530,1,1\n")
    with pytest.raises(UnmappedNameError) as info:
        read_baci(path, codes)
    assert info.value.row == 3 and info.value.found == "XQZ" and "line 2" in str(info.value)


def test_unused_odd_code_does_not_block(tmp_path):
    codes = tmp_path / "country_codes.csv"
    codes.write_text("country_code,country_name,country_iso2,country_iso3\n156,China,CN,CHN\n842,USA,US,USA\n998,Newly invented place,,XQZ\n")
    df, _ = read_baci(trade(tmp_path, "t,i,j,k,v,q\n2022,156,842,280530,1,1\n"), codes)
    assert len(df) == 1


def test_old_code_file_columns(tmp_path):
    codes = tmp_path / "country_code_baci92.csv"
    codes.write_bytes(
        "country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha\n"
        "156,China,China,CN,CHN\n384,C\xf4te d'Ivoire,C\xf4te d'Ivoire,CI,CIV\n".encode("cp1252")
    )
    df, _ = read_baci(trade(tmp_path, "t,i,j,k,v,q\n1995,384,156,261590,4,2\n"), codes)
    assert (df.loc[0, "exporter_iso3"], df.loc[0, "importer_iso3"]) == ("CIV", "CHN")
    assert list(df.loc[0, "commodity_ids"]) == ["niobium", "tantalum", "vanadium"]


@pytest.mark.parametrize(
    ("text", "message", "row", "field"),
    [
        ("t,i,j,k,v\n2022,156,842,280530,1\n", "missing column", 1, "q"),
        ("", "file is empty", 1, None),
        ("t,i,j,k,v,q\n2022,156,842,280530,1,1\n2022,156,84", "line has 3 cells", 3, None),
        ("t,i,j,k,v,q\n2022,156,842,280530,1\n", "line has 5 cells", 2, None),
        ("t,i,j,k,v,q\n2022,156,842,280530,abc,1\n", "not a non-negative number", 2, "v"),
        ("t,i,j,k,v,q\n2022,156,842,280530,1,-3\n", "not a non-negative number", 2, "q"),
        ("t,i,j,k,v,q\n22,156,842,280530,1,1\n", "not a year", 2, "t"),
        ("t,i,j,k,v,q\n2022,CHN,842,280530,1,1\n", "whole number", 2, "i"),
    ],
)
def test_damaged_files(tmp_path, codes, text, message, row, field):
    with pytest.raises(SourceError, match=message) as info:
        read_baci(trade(tmp_path, text), codes)
    assert (info.value.row, info.value.field) == (row, field)


def test_non_utf8_bytes(tmp_path, codes):
    path = tmp_path / NAME
    path.write_bytes(b"t,i,j,k,v,q\n2022,156,842,280530,1,1\n2022,156,842,280530,\xff,1\n")
    with pytest.raises(SourceError, match="cannot decode") as info:
        read_baci(path, codes)
    assert info.value.row == 3


def test_missing_files(tmp_path, codes):
    with pytest.raises(SourceError, match="file not found"):
        read_baci(tmp_path / "nope.csv", codes)
    with pytest.raises(SourceError, match="file not found"):
        read_baci(trade(tmp_path, "t,i,j,k,v,q\n"), tmp_path / "no_codes.csv")


def test_code_file_without_iso3_column(tmp_path):
    codes = tmp_path / "codes.csv"
    codes.write_text("country_code,country_name\n156,China\n")
    with pytest.raises(SourceError, match="missing column for the country iso3"):
        read_baci(trade(tmp_path, "t,i,j,k,v,q\n"), codes)

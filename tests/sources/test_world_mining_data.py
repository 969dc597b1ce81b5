"""Tests of the World Mining Data reader (``wmd_production``): the real file and a fixture per quirk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.sources.world_mining_data import FILE, FOLDER, LOG_TEXT, SHEETS, read_wmd

YEARS = [str(y) for y in range(2018, 2025)]

# ---------------------------------------------------------------- real file


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_wmd(raw_data_dir)


def _one(df, **where):
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, where
    return sel.iloc[0]


def test_real_cobalt_and_total(real):
    t = real.tables["wmd_production"]
    cd = _one(t, sheet="Cobalt", country_iso3="COD", year=2024)
    assert cd["value"] == 200253 and cd["qualifier"] == "exact" and cd["unit"] == "metric tons"
    assert cd["commodity_id"] == "cobalt" and cd["stage"] == "mine" and cd["content_basis"] == "Co"
    assert cd["source_table"] == "Cobalt" and cd["source_row"] == 5
    cn = _one(t, sheet="Cobalt", country_iso3="CHN", year=2024)
    assert cn["qualifier"] == "estimated" and cn["estimated"]
    total = _one(t, sheet="Cobalt", country_kind="world", year=2024)
    assert total["value"] == 268755 and pd.isna(total["country_iso3"]) and total["country_name"] == "World"


def test_real_bases_stages_units(real):
    t = real.tables["wmd_production"]
    li = t[t["sheet"] == "Lithium (Li2O)"]
    assert set(li["content_basis"]) == {"Li2O"} and set(li["commodity_id"]) == {"lithium"}
    for sheet in ("Aluminium", "Gallium", "Germanium", "Indium", "Selenium", "Tellurium", "Rhenium", "Cadmium"):
        assert set(t.loc[t["sheet"] == sheet, "stage"]) == {"processing"}, sheet
    assert set(t.loc[t["sheet"] == "Platinum", "unit"]) == {"kilograms"}
    assert set(t.loc[t["sheet"] == "Rare Earths (REO)", "content_basis"]) == {"REO"}
    # every sheet has exactly one world row per year
    w = t[t["country_kind"] == "world"].groupby(["sheet", "year"]).size()
    assert (w == 1).all()


def test_real_blank_is_missing_zero_is_published(real):
    t = real.tables["wmd_production"]
    # Lithium (Li2O): Burundi has no figure for 2018-2021, 0.0 for 2022
    bdi = t[(t["sheet"] == "Lithium (Li2O)") & (t["country_iso3"] == "BDI")].set_index("year")
    assert bdi.loc[2018, "qualifier"] == "missing" and pd.isna(bdi.loc[2018, "value"])
    assert bdi.loc[2022, "qualifier"] == "exact" and bdi.loc[2022, "value"] == 0.0
    assert int((t["qualifier"] == "missing").sum()) > 0


def test_real_fuels_skipped_and_counted(real):
    t = real.tables["wmd_production"]
    assert not t["sheet"].isin(["Petroleum", "Steam Coal", "Lignite", "Natural Gas"]).any()
    assert set(t.loc[t["sheet"] == "Coking Coal", "commodity_id"]) == {"metallurgical-coal"}
    assert real.skipped["sheet of a mineral fuel outside critmin's catalogue: Petroleum"] == 104


def test_real_country_codes(real):
    t = real.tables["wmd_production"]
    assert set(t.loc[t["country_name"] == "Taiwan", "country_iso3"]) == {"TWN"}  # Country_ISO says S19
    fg = t[t["country_iso3"] == "GUF"]
    assert len(fg) > 0 and fg["notes"].str.contains("Guyana").all()


# ---------------------------------------------------------------- fixtures


def _sheet_sql(conn, name, rows, years=YEARS, int_cols=True):
    cols = ", ".join(f'"{y}" {"INTEGER" if int_cols else "REAL"}' for y in years)
    conn.execute(f'CREATE TABLE "{name}" ("Country" TEXT, "Country_Code" TEXT, "Country_ISO" TEXT, {cols}, "unit" TEXT, "data_source" TEXT)')
    ph = ", ".join("?" for _ in range(3 + len(years) + 2))
    conn.executemany(f'INSERT INTO "{name}" VALUES ({ph})', rows)


def _row(country, iso, values, unit="metr. t", ds="r", code="1"):
    return (country, code, iso, *values, unit, ds)


def write_db(root: Path, overrides: dict | None = None, drop: tuple = (), extra_tables: dict | None = None) -> Path:
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    if path.exists():
        path.unlink()
    conn = sqlite3.connect(path)
    overrides = overrides or {}
    for name in SHEETS:
        if name in drop:
            continue
        rows = overrides.get(name, [
            _row("Chile", "CHL", [1, 2, 3, 4, 5, 6, 7]),
            _row("Total", "DELETE", [1, 2, 3, 4, 5, 6, 7], ds="nan", code="DELETE"),
        ])
        _sheet_sql(conn, name, rows)
    for name, rows in (extra_tables or {}).items():
        _sheet_sql(conn, name, rows)
    conn.execute('CREATE TABLE "HS Code Map" ("Sheet_name" TEXT, "HS Code" TEXT, "EoL-RIR (2023)" REAL)')
    conn.execute("INSERT INTO \"HS Code Map\" VALUES ('Cobalt', '282200', 0.22)")
    conn.execute('CREATE TABLE "Country_ISO" ("ISO" TEXT, "Country" TEXT)')
    conn.execute('CREATE TABLE "logging" ("sheet" TEXT, "note" TEXT, "n" INTEGER)')
    conn.executemany('INSERT INTO "logging" VALUES (?, ?, 1)', [(s, f"Updated from {LOG_TEXT}") for s in SHEETS])
    conn.commit()
    conn.close()
    return path


def read_fixture(tmp_path, **kw):
    write_db(tmp_path, **kw)
    return read_wmd(tmp_path)


COBALT = [
    _row("Congo, D.R.", "COD", [100, 110, 120, 130, 140, 150, 160]),
    _row("China", "CHN", [10, 10, 10, 10, 10, 10, 12], ds="e"),
    _row("Burundi", "BDI", [None, None, None, None, 0.0, 13, 2]),
    _row("India", "IND", [1, 1, 1, 1, 1, 1, 1], ds="p"),
    _row("Total", "DELETE", [111, 121, 131, 141, 151, 174, 175], ds="nan", code="DELETE"),
]


def test_fixture_total_is_world_not_country(tmp_path):
    t = read_fixture(tmp_path, overrides={"Cobalt": COBALT}).tables["wmd_production"]
    co = t[t["sheet"] == "Cobalt"]
    world = co[co["country_kind"] == "world"]
    assert len(world) == 7 and world["country_iso3"].isna().all() and (world["country_name"] == "World").all()
    assert _one(co, country_kind="world", year=2024)["value"] == 175
    assert "DELETE" not in set(co["country_iso3"].dropna())


def test_fixture_blank_vs_zero_and_flags(tmp_path):
    t = read_fixture(tmp_path, overrides={"Cobalt": COBALT}).tables["wmd_production"]
    co = t[t["sheet"] == "Cobalt"]
    blank = _one(co, country_iso3="BDI", year=2018)
    assert blank["qualifier"] == "missing" and pd.isna(blank["value"])
    zero = _one(co, country_iso3="BDI", year=2022)
    assert zero["qualifier"] == "exact" and zero["value"] == 0.0 and zero["raw"] == "0"
    est = _one(co, country_iso3="CHN", year=2024)
    assert est["qualifier"] == "estimated" and est["value"] == 12 and est["data_source"] == "e"
    p = _one(co, country_iso3="IND", year=2024)
    assert p["qualifier"] == "exact" and p["data_source"] == "p" and "not documented" in p["notes"]
    cd = _one(co, country_iso3="COD", year=2018)
    assert cd["source_row"] == 1 and cd["source_table"] == "Cobalt" and cd["content_basis"] == "Co"


def test_fixture_content_basis_from_sheet_name(tmp_path):
    t = read_fixture(tmp_path).tables["wmd_production"]
    assert set(t.loc[t["sheet"] == "Rare Earths (REO)", "content_basis"]) == {"REO"}
    assert set(t.loc[t["sheet"] == "Niobium (Nb2O5)", "content_basis"]) == {"Nb2O5"}
    assert set(t.loc[t["sheet"] == "Gallium", "stage"]) == {"processing"}
    assert set(t.loc[t["sheet"] == "Graphite", "content_basis"]) == {"gross weight"}


def test_fixture_text_number_read_garbled_fails(tmp_path):
    ok = [_row("Chile", "CHL", ["5", "6.5", 1, 1, 1, 1, 1]), _row("Total", "DELETE", [5, 6.5, 1, 1, 1, 1, 1], ds="nan", code="DELETE")]
    t = read_fixture(tmp_path, overrides={"Cobalt": ok}).tables["wmd_production"]
    assert _one(t, sheet="Cobalt", country_iso3="CHL", year=2019)["value"] == 6.5
    bad = [_row("Chile", "CHL", [1, "1,2x", 1, 1, 1, 1, 1]), _row("Total", "DELETE", [1] * 7, ds="nan", code="DELETE")]
    with pytest.raises(SourceError, match="not a number") as err:
        read_fixture(tmp_path, overrides={"Cobalt": bad})
    assert err.value.row == 1 and err.value.field == "Cobalt.2019" and err.value.found == "1,2x"
    neg = [_row("Chile", "CHL", [1, -3, 1, 1, 1, 1, 1]), _row("Total", "DELETE", [1] * 7, ds="nan", code="DELETE")]
    with pytest.raises(SourceError, match="negative"):
        read_fixture(tmp_path, overrides={"Cobalt": neg})


def test_fixture_unmapped_country_fails_with_row_and_field(tmp_path):
    rows = [_row("Chile", "CHL", [1] * 7), _row("Atlantis", "ATL", [1] * 7), _row("Total", "DELETE", [2] * 7, ds="nan", code="DELETE")]
    with pytest.raises(UnmappedNameError) as err:
        read_fixture(tmp_path, overrides={"Nickel": rows})
    assert err.value.row == 2 and err.value.field == "Nickel.Country" and err.value.found == "Atlantis"
    assert FILE in str(err.value)


def test_fixture_unmapped_sheet_fails(tmp_path):
    with pytest.raises(UnmappedNameError, match="unmapped sheet") as err:
        read_fixture(tmp_path, extra_tables={"Unobtainium": [_row("Chile", "CHL", [1] * 7)]})
    assert err.value.field == "Unobtainium"


def test_fixture_missing_sheet_fails(tmp_path):
    with pytest.raises(SourceError, match="missing"):
        read_fixture(tmp_path, drop=("Cobalt",))


def test_fixture_iso_column_disagreeing_with_name_fails(tmp_path):
    rows = [_row("Chile", "PER", [1] * 7), _row("Total", "DELETE", [1] * 7, ds="nan", code="DELETE")]
    with pytest.raises(SourceError, match="Country_ISO says PER") as err:
        read_fixture(tmp_path, overrides={"Tin": rows})
    assert err.value.field == "Tin.Country_ISO"
    # the one known error is followed by name, with a note
    rows = [_row("French Guiana", "GUY", [1] * 7), _row("Taiwan", "S19", [1] * 7),
            _row("Total", "DELETE", [2] * 7, ds="nan", code="DELETE")]
    t = read_fixture(tmp_path, overrides={"Gold": rows}).tables["wmd_production"]
    assert set(t.loc[t["sheet"] == "Gold", "country_iso3"].dropna()) == {"GUF", "TWN"}


def test_fixture_half_marked_total_and_unknown_flags_fail(tmp_path):
    rows = [_row("Chile", "CHL", [1] * 7), _row("Total", "CHL", [1] * 7, ds="nan")]
    with pytest.raises(SourceError, match="half-marked"):
        read_fixture(tmp_path, overrides={"Zinc": rows})
    rows = [_row("Chile", "CHL", [1] * 7, ds="x"), _row("Total", "DELETE", [1] * 7, ds="nan", code="DELETE")]
    with pytest.raises(SourceError, match="data_source"):
        read_fixture(tmp_path, overrides={"Zinc": rows})
    rows = [_row("Chile", "CHL", [1] * 7, unit="lbs"), _row("Total", "DELETE", [1] * 7, ds="nan", code="DELETE")]
    with pytest.raises(SourceError, match="unit"):
        read_fixture(tmp_path, overrides={"Zinc": rows})
    rows = [_row("Chile", "CHL", [1] * 7)]
    with pytest.raises(SourceError, match="Total"):
        read_fixture(tmp_path, overrides={"Zinc": rows})


def test_fixture_fuel_sheets_counted_not_read(tmp_path):
    res = read_fixture(tmp_path)
    assert not res.tables["wmd_production"]["sheet"].isin(["Lignite", "Petroleum"]).any()
    assert res.skipped["sheet of a mineral fuel outside critmin's catalogue: Lignite"] == 2

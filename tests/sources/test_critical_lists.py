"""Tests of the U.S. critical-minerals lists reader and its agreement with USGS MCS2026."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.schema import TABLES
from critmin.sources.critical_lists import COLUMNS, RELATIVE_PATH, read_critical_lists
from critmin.sources.usgs_mcs2026 import ENCODING as MCS2026_ENCODING
from critmin.sources.usgs_mcs2026 import RELATIVE_PATH as MCS2026_PATH
from critmin.vocab.commodities import catalogue, resolve_commodity

ADDED_2025 = {"boron", "copper", "lead", "metallurgical-coal", "phosphate", "potash", "rhenium", "silicon", "silver", "uranium"}


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_critical_lists(raw_data_dir)


@pytest.fixture(scope="module")
def lists(real) -> pd.DataFrame:
    return real.tables["critical_lists"]


def test_real_schema_and_provenance(real, lists):
    assert list(lists.columns) == list(TABLES["critical_lists"].columns)
    for column in TABLES["critical_lists"].not_null:
        assert lists[column].notna().all()
    assert len(lists) == 63 * 3 and not real.skipped
    assert not lists.duplicated(["commodity_id", "list_year"]).any()
    assert sorted(lists.source_row.unique()) == list(range(2, 65))
    assert (lists.source_id == "us_critical_minerals_lists").all()
    assert "2025-19813" in real.info.citation and "87 FR 10381" in real.info.citation and "83 FR 23295" in real.info.citation


def test_real_list_sizes(lists):
    on = lists[lists.on_list]
    per_year = on.groupby("list_year").size().to_dict()
    assert per_year[2025] == 60 and per_year[2022] == 50
    # 2018: the REE and PGM groups were one entry each (yttrium inside REE): 54 rows flagged = 35 entries
    on_2018 = on[on.list_year == 2018]
    assert len(on_2018) == 54
    entries_2018 = on_2018.group.isna().sum() + on_2018.group.dropna().nunique()
    assert entries_2018 == 35
    assert set(on_2018[on_2018.group == "REE"].commodity_id) >= {"yttrium", "cerium", "dysprosium"}
    assert "scandium" in set(on_2018[on_2018.group.isna()].commodity_id)


def test_real_memberships(lists):
    table = lists.pivot(index="commodity_id", columns="list_year", values="on_list")
    assert set(table.index[~table[2025] & table[2018]]) == {"helium", "strontium", "osmium"}
    added = lists[(lists.list_year == 2025) & lists.added.fillna(False).astype(bool)]
    assert set(added.commodity_id) == ADDED_2025
    added_2022 = lists[(lists.list_year == 2022) & lists.added.fillna(False).astype(bool)]
    assert set(added_2022.commodity_id) == {"nickel", "zinc"}
    assert lists[lists.list_year == 2018].added.isna().all()
    aluminum = lists[(lists.commodity_id == "aluminum") & (lists.list_year == 2018)].iloc[0]
    assert aluminum.name_on_list == "Aluminum (bauxite)"
    assert {"metallurgical-coal", "uranium"} <= set(lists.commodity_id) and set(lists.commodity_id) <= set(catalogue())
    potash = table.loc["potash"]
    assert (potash[2018], potash[2022], potash[2025]) == (True, False, True)
    pgm = lists[(lists.group == "PGM") & (lists.list_year == 2025) & lists.on_list]
    assert set(pgm.commodity_id) == {"platinum", "palladium", "iridium", "rhodium", "ruthenium"}


def test_real_chapters_exist_in_mcs2026(raw_data_dir):
    """The list's usgs_mcs_chapter joins to MCS2026 'MCS chapter' (except the fuels and one spelling)."""
    with open(raw_data_dir / RELATIVE_PATH, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(raw_data_dir / MCS2026_PATH, encoding=MCS2026_ENCODING, newline="") as fh:
        chapters = {r["MCS chapter"] for r in csv.DictReader(fh)}
    missing = set()
    for r in rows:
        value = r["usgs_mcs_chapter"]
        for chapter in [value] if value.startswith("(") else value.split("; "):  # TITANIUM ...; TITANIUM MINERAL CONCENTRATES
            if chapter not in chapters:
                missing.add((r["mineral"], chapter))
    # helium's chapter is 'HELIUM AND RARE GASES'; coal and uranium are not covered by MCS
    assert missing == {
        ("Helium", "HELIUM"),
        ("Metallurgical coal", "(not covered by MCS; fuel mineral)"),
        ("Uranium", "(not covered by MCS; fuel mineral)"),
    }


def test_real_mcs2026_flag_agrees_with_2025_list(raw_data_dir, lists):
    """'Is critical mineral 2025' in MCS2026 against the 2025 list, commodity by commodity.

    A group (rare earths, PGM) counts as critical when a member is on the list. The one
    difference: USGS flags the bauxite and alumina chapter, which the list covers under
    'Aluminum' (named 'Aluminum (bauxite)' in 2018).
    """
    on_2025 = set(lists[(lists.list_year == 2025) & lists.on_list].commodity_id)
    flags: dict[str, set[str]] = {}
    odd_rows: list[int] = []
    with open(raw_data_dir / MCS2026_PATH, encoding=MCS2026_ENCODING, newline="") as fh:
        for n, r in enumerate(csv.DictReader(fh), start=2):
            flag = r["Is critical mineral 2025"].strip()
            if flag not in {"Yes", "No"}:
                odd_rows.append(n)
                continue
            flags.setdefault(resolve_commodity(r["Commodity"]).commodity_id, set()).add(flag)
    assert odd_rows == [8477, 8478, 8533]  # two blank wollastonite flags, one shifted yttrium row
    assert all(len(v) == 1 for v in flags.values()), "a commodity flagged both Yes and No"
    disagreements = set()
    for commodity_id, values in flags.items():
        c = catalogue()[commodity_id]
        group_members = {m.commodity_id for m in catalogue().values() if m.group_id == commodity_id}
        listed = commodity_id in on_2025 or bool(group_members & on_2025)
        if ("Yes" in values) != listed:
            disagreements.add(c.commodity_id)
    assert disagreements == {"bauxite"}


# ---------------------------------------------------------------- fixtures


def _row(**changes: str) -> dict[str, str]:
    row = {
        "mineral": "Gallium", "symbol": "Ga", "group": "", "on_2018_list": "1", "name_or_group_on_2018_list": "Gallium",
        "on_2022_list": "1", "on_2025_list": "1", "added_in_2025": "0", "usgs_mcs_chapter": "GALLIUM", "note": "",
    }
    row.update(changes)
    return row


def _write(tmp_path: Path, rows: list[dict[str, str]], *, columns=COLUMNS, tail: str = "", encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / RELATIVE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((buffer.getvalue() + tail).encode(encoding))
    return tmp_path


def test_fixture_rows(tmp_path):
    rows = [
        _row(),
        _row(mineral="Copper ", symbol="Cu", on_2018_list="0", name_or_group_on_2018_list="", on_2022_list="0", added_in_2025="1", note="added 2025"),
        _row(mineral="Terbium", symbol="Tb", group="REE", name_or_group_on_2018_list="via 'rare earth elements group'"),
        _row(mineral="Helium", symbol="He", name_or_group_on_2018_list="Helium", on_2022_list="0", on_2025_list="0"),
    ]
    table = read_critical_lists(_write(tmp_path, rows, encoding="utf-8-sig")).tables["critical_lists"]
    assert len(table) == 12
    copper = table[table.commodity_id == "copper"].set_index("list_year")
    assert copper.on_list.tolist() == [False, False, True] and copper.loc[2025, "added"] and copper.loc[2025, "name_on_list"] == "Copper"
    assert pd.isna(copper.loc[2018, "name_on_list"]) and copper.loc[2025, "note"] == "added 2025"
    terbium = table[table.commodity_id == "terbium"].set_index("list_year")
    assert terbium.loc[2018, "name_on_list"] == "via 'rare earth elements group'" and (terbium.group == "REE").all()
    assert not terbium.loc[2022, "added"]
    helium = table[table.commodity_id == "helium"].set_index("list_year")
    assert helium.on_list.tolist() == [True, False, False] and not helium.loc[2025, "added"]


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"on_2022_list": "yes"}, SourceError, "0 or 1"),
        ({"added_in_2025": "1"}, SourceError, "added_in_2025 disagrees"),
        ({"group": "HREE"}, SourceError, "unknown group"),
        ({"mineral": "Unobtainium"}, UnmappedNameError, "unmapped commodity"),
        ({"mineral": "Gallium"}, SourceError, "listed twice"),
        ({"mineral": "Indium", "name_or_group_on_2018_list": ""}, SourceError, "2018 entry"),
    ],
)
def test_fixture_bad_rows_fail(tmp_path, changes, error, match):
    with pytest.raises(error, match=match) as err:
        read_critical_lists(_write(tmp_path, [_row(), _row(**changes) if "mineral" in changes else _row(mineral="Indium", **changes)]))
    assert err.value.row == 3


def test_fixture_file_errors(tmp_path):
    with pytest.raises(SourceError, match="file not found"):
        read_critical_lists(tmp_path)
    with pytest.raises(SourceError, match="missing column") as err:
        read_critical_lists(_write(tmp_path, [_row()], columns=[c for c in COLUMNS if c != "on_2025_list"]))
    assert err.value.field == "on_2025_list"
    with pytest.raises(SourceError, match="truncated"):
        read_critical_lists(_write(tmp_path, [_row()], tail="Indium,In,,1,Ind"))
    with pytest.raises(SourceError, match="cannot decode"):
        read_critical_lists(_write(tmp_path, [_row(note="Côte d'Ivoire")], encoding="cp1252"))

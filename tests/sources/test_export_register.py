"""Tests of the compiled export-control register and the material -> commodity mapping."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import SourceError, UnmappedNameError
from critmin.schema import TABLES
from critmin.sources.export_register import COLUMNS, RELATIVE_PATH, commodities_named, effective_date, read_export_register
from critmin.sources.usgs_mcs_trends import read_mcs2026_trends

# ---------------------------------------------------------------- materials


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Gallium", ["gallium"]),
        ("nickel ore", ["nickel"]),
        ("copper concentrates", ["copper"]),
        ("Raw rare earths", ["rare-earths"]),
        ("Chromite ore", ["chromium"]),
        ("Rare earths (also tungsten, molybdenum)", ["rare-earths", "tungsten", "molybdenum"]),
        ("Graphite (high-spec synthetic; natural flake incl. spherical and expanded)", ["graphite"]),
        ("Quartz and gypsum", [None, "gypsum"]),
        ("Raw diamonds", ["gemstones", "diamond-industrial"]),
        ("Raw minerals, including copper, gold, iron, nickel, potassium, silver, and zinc",
         [None, "copper", "gold", "iron-ore", "nickel", "potash", "silver", "zinc"]),
        ("Ores and concentrates of cobalt, graphite, lithium, manganese, and rare earths",
         ["cobalt", "graphite", "lithium", "manganese", "rare-earths"]),
        ("Steel waste and scrap, tungsten scrap, and enriched uranium", ["iron-and-steel-scrap", "tungsten", "uranium"]),
        ("Bauxite, cassiterite, columbite-tantalite, copper, gold, rhodium, silver, and thorium",
         ["bauxite", "tin", "niobium", "tantalum", "copper", "gold", "rhodium", "silver", "thorium"]),
        ("Raw materials of iron, lead-zinc, chromite, manganese, apatite, and rare earths and deeply processed titanium",
         ["iron-ore", "lead", "zinc", "chromium", "manganese", "phosphate", "rare-earths", "titanium"]),
        ("Copper (refined and alloys) and aluminum ingots", ["copper", "aluminum"]),
        ("Ferrous ingot and ferrous metal waste and scrap", ["iron-and-steel", "iron-and-steel-scrap"]),
        ("items related to lithium batteries and artificial graphite anode materials", ["lithium", "graphite"]),
        ("Synthetic diamond / superhard materials (expansion)", ["diamond-industrial"]),
        ("Rare-earth technologies (mining, separation, smelting, magnets, recycling)", ["rare-earths"]),
        ("Foreign-made items containing Chinese-origin rare earths (>=0.1% value)", ["rare-earths"]),
        ("Metal waste and scrap", [None]),
        ("cathode materials", [None]),
    ],
)
def test_commodities_named(text, expected):
    assert commodities_named(text) == expected


def test_rare_earth_subset_uses_scope_notes():
    notes = "Metals, oxides and compounds of samarium, gadolinium, terbium, dysprosium, lutetium, scandium and yttrium"
    assert commodities_named("seven medium/heavy REEs", scope_notes=notes) == [
        "dysprosium", "gadolinium", "lutetium", "samarium", "terbium", "scandium", "yttrium",
    ]  # vocabulary order
    assert commodities_named("heavy rare earths", scope_notes="Ho: metal; Er, Tm oxides") == ["erbium", "holmium", "thulium"]
    assert commodities_named("seven medium/heavy REEs", scope_notes="no names here") == ["rare-earths"]


def test_unknown_material_fails():
    with pytest.raises(UnmappedNameError) as err:
        commodities_named("Unobtainium concentrates, and gold", file="x.csv", row=7, field="materials")
    assert err.value.row == 7 and "Unobtainium" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-08-01", dt.date(2023, 8, 1)),
        ("2025-11-08 (planned)", dt.date(2025, 11, 8)),
        ("2025-12-01 (parts 1(1),1(2)); 2025-10-09 (part 1(3))", dt.date(2025, 10, 9)),
        ("2015-01-01 (quotas ended) / 2015-05-01 (duties ended)", None),
        ("", None),
    ],
)
def test_effective_date(text, expected):
    assert effective_date(text, file="x", row=2) == expected


def test_effective_date_not_understood_fails():
    with pytest.raises(SourceError, match="effective date"):
        effective_date("early 2024", file="x", row=2)


# ---------------------------------------------------------------- real file


@pytest.fixture(scope="module")
def real(raw_data_dir: Path):
    return read_export_register(raw_data_dir)


def test_real_register(real):
    ec = real.tables["export_controls"]
    assert list(ec.columns) == list(TABLES["export_controls"].columns)
    for column in TABLES["export_controls"].not_null:
        assert ec[column].notna().all()
    assert len(ec) == 38 and ec.measure_id.nunique() == 14 and not real.skipped
    assert sorted(ec.source_row.unique()) == list(range(2, 16))
    assert set(ec.status) == {"active", "suspended", "lifted"}
    assert (ec.country_iso3 == "CHN").all() and (ec.source_id == "china_export_controls_register").all()

    by_measure = ec.groupby("measure_id").commodity_id.apply(list)
    assert by_measure["CN-2023-23"] == ["gallium", "germanium"]
    assert by_measure["CN-2025-18"] == ["samarium", "gadolinium", "terbium", "dysprosium", "lutetium", "scandium", "yttrium"]
    assert by_measure["CN-2025-57"] == ["holmium", "erbium", "thulium", "europium", "ytterbium"]
    assert by_measure["CN-2010-REE-QUOTA"] == ["rare-earths", "tungsten", "molybdenum"]

    wto = ec[ec.measure_id == "CN-2010-REE-QUOTA"].iloc[0]
    assert wto.status == "lifted" and wto.effective_date is None and pd.isna(wto.year)
    assert wto.source_url == "https://www.wto.org/english/tratop_e/dispu_e/cases_e/ds431_e.htm"
    assert wto.verification_note.startswith("secondary") and "2015-05-01 (duties ended)" in wto.scope_notes

    gallium = ec[ec.measure_id == "CN-2023-23"].iloc[0]
    assert (gallium.announced_date, gallium.effective_date, gallium.year) == (dt.date(2023, 7, 3), dt.date(2023, 8, 1), 2023)
    assert gallium.scope_notes.startswith("Instrument: MOFCOM/GAC Announcement 2023 No. 23.")

    us = ec[ec.measure_id == "CN-2024-46-US"]
    assert set(us.status) == {"suspended"} and "China (to United States)" in us.iloc[0].scope_notes
    planned = ec[ec.measure_id == "CN-2025-55"].iloc[0]
    assert planned.effective_date == dt.date(2025, 11, 8) and "(planned)" in planned.scope_notes
    assert "until 2026-11-10" in planned.scope_notes and planned.commodity_id == "diamond-industrial"
    assert ec[ec.measure_id == "CN-2025-61"].iloc[0].effective_date == dt.date(2025, 10, 9)
    batteries = ec[ec.measure_id == "CN-2025-58"]
    assert batteries.commodity_id.tolist()[:1] == ["lithium"] and batteries.commodity_id.isna().sum() == 1
    assert "cathode materials" in batteries[batteries.commodity_id.isna()].materials.tolist()


def test_register_against_usgs_table_4(real, raw_data_dir):
    """Which Chinese licensing requirements of USGS MCS2026 T4 the compiled register lacks."""
    register = set(real.tables["export_controls"].commodity_id.dropna())
    t4 = read_mcs2026_trends(raw_data_dir).tables["export_controls"]
    china = set(t4[t4.country_iso3 == "CHN"].commodity_id.dropna())
    # magnesium (2024) and silver (2026) are in USGS T4 but not (yet) in the compiled register
    assert china - register == {"magnesium", "silver"}


# ---------------------------------------------------------------- fixtures


def _row(**changes: str) -> dict[str, str]:
    row = {
        "measure_id": "CN-2099-1",
        "country": "China",
        "materials": "Gallium; Germanium",
        "measure_type": "Export licensing (dual-use)",
        "legal_instrument": "MOFCOM/GAC Announcement 2099 No. 1",
        "announced_date": "2099-01-02",
        "effective_date": "2099-02-01",
        "status_as_of_2026": "active",
        "scope_notes": "",
        "primary_source_url": "https://example.org/a.html",
        "verification_note": "as above",
    }
    row.update(changes)
    return row


def _write(tmp_path: Path, rows: list[dict[str, str]], *, columns=COLUMNS, encoding: str = "utf-8", tail: str = "") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / RELATIVE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((buffer.getvalue() + tail).encode(encoding))
    return tmp_path


def test_fixture_register(tmp_path):
    rows = [
        _row(),
        _row(measure_id="CN-2099-2", country="China (to United States) ", materials="seven medium/heavy REEs ",
             scope_notes="Sm, Gd and Tb metals", status_as_of_2026="suspended 2099-03-01 by No. 3",
             primary_source_url="MOFCOM (https://example.org/b.html)", announced_date=""),
    ]
    result = read_export_register(_write(tmp_path, rows, encoding="utf-8-sig"))
    ec = result.tables["export_controls"]
    assert ec.commodity_id.tolist() == ["gallium", "germanium", "gadolinium", "samarium", "terbium"]
    second = ec.iloc[2]
    assert second.status == "suspended" and second.source_url == "https://example.org/b.html" and pd.isna(second.year)
    assert "Status as published: suspended 2099-03-01 by No. 3." in second.scope_notes
    assert second.country_iso3 == "CHN" and second.materials == "seven medium/heavy REEs"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status_as_of_2026": "paused"}, "unknown status"),
        ({"announced_date": "3 July 2023"}, "not ISO"),
        ({"country": "Atlantis"}, "unmapped country"),
        ({"materials": "Unobtainium"}, "not mapped"),
        ({"materials": ""}, "blank materials"),
        ({"measure_type": ""}, "blank measure_type"),
    ],
)
def test_fixture_bad_rows_fail(tmp_path, changes, message):
    with pytest.raises(SourceError, match=message) as err:
        read_export_register(_write(tmp_path, [_row(), _row(measure_id="X-2", **changes)]))
    assert err.value.row == 3


def test_fixture_duplicate_id_fails(tmp_path):
    with pytest.raises(SourceError, match="duplicate measure_id"):
        read_export_register(_write(tmp_path, [_row(), _row()]))


def test_fixture_missing_column_truncated_and_encoding_fail(tmp_path):
    with pytest.raises(SourceError, match="missing column") as err:
        read_export_register(_write(tmp_path, [_row()], columns=[c for c in COLUMNS if c != "status_as_of_2026"]))
    assert err.value.field == "status_as_of_2026"
    with pytest.raises(SourceError, match="truncated"):
        read_export_register(_write(tmp_path, [_row()], tail="CN-2099-9,China,Gall"))
    path = _write(tmp_path, [_row(scope_notes="Ga – GaN")], encoding="cp1252") / RELATIVE_PATH
    with pytest.raises(SourceError, match="cannot decode"):
        read_export_register(tmp_path)
    assert path.is_file()

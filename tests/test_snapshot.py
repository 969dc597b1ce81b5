"""Snapshot build: schema checks, atomic replacement, reproducibility, checksums."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from critmin import snapshot
from critmin.errors import SnapshotError, SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame

INFO = SourceInfo("fake", "Fake source", "Tests", "Tests (2026)", "CC0", vintage=2026)
LISTS = "tests.test_snapshot:fake_lists"


def fake_lists(data_dir: Path) -> ReadResult:
    f = data_dir / "lists.csv"
    rows = [
        {"commodity_id": "gallium", "list_year": 2025, "on_list": True, "name_on_list": "Gallium", "source_id": "fake"},
        {"commodity_id": "neodymium", "list_year": 2025, "on_list": True, "name_on_list": "Neodymium", "group": "REE", "source_id": "fake"},
    ]
    return ReadResult(INFO, [f], {"critical_lists": frame("critical_lists", rows)})


def fake_production(data_dir: Path) -> ReadResult:
    f = data_dir / "lists.csv"
    rows = [
        {"vintage": 2026, "commodity_id": "gallium", "form": "", "country_iso3": "CHN", "country_name": "China",
         "country_kind": "country", "stage": "processing", "measure": "production", "series_label": "Primary production",
         "year": 2025, "value": 750.0, "qualifier": "exact", "low": 750.0, "high": 750.0, "raw": "750",
         "estimated": True, "unit": "metric tons", "source_id": "fake", "source_file": "lists.csv", "source_row": 2},
        {"vintage": 2026, "commodity_id": "gallium", "form": "", "country_iso3": "JPN", "country_name": "Japan",
         "country_kind": "country", "stage": "processing", "measure": "production", "series_label": "Primary production",
         "year": 2025, "value": None, "qualifier": "withheld", "raw": "W", "estimated": True, "unit": "metric tons",
         "source_id": "fake", "source_file": "lists.csv", "source_row": 3},
    ]
    return ReadResult(INFO, [f], {"production": frame("production", rows)}, Counter({"footnote": 1}))


def bad_qualifier(data_dir: Path) -> ReadResult:
    res = fake_production(data_dir)
    res.tables["production"].loc[1, "value"] = 0.0  # a withheld value turned into 0
    return res


def failing_reader(data_dir: Path) -> ReadResult:
    raise SourceError(data_dir / "broken.csv", "missing column(s) ['Value']", row=1, field="Value")


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "raw"
    d.mkdir()
    (d / "lists.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return d


READERS = (LISTS, "tests.test_snapshot:fake_production")


def test_build_writes_tables_and_manifest(data_dir: Path, tmp_path: Path):
    out = tmp_path / "snap"
    m = snapshot.build(data_dir, out, readers=READERS)
    assert (out / "manifest.json").is_file()
    assert m["tables"]["production"]["rows"] == 2
    assert m["sources"][1]["skipped"] == {"footnote": 1}
    assert m["sources"][0]["files"][0]["path"] == "lists.csv"
    assert snapshot.verify(out) == []
    import pandas as pd

    prod = pd.read_parquet(out / "production.parquet")
    withheld = prod[prod["country_iso3"] == "JPN"].iloc[0]
    assert pd.isna(withheld["value"]) and withheld["qualifier"] == "withheld"
    com = pd.read_parquet(out / "commodities.parquet").set_index("commodity_id")
    assert com.loc["gallium", "on_list_2025"]
    assert com.loc["rare-earths", "on_list_2025"]  # via its member neodymium
    assert not com.loc["rare-earths", "on_list_2022"]


def test_build_is_reproducible(data_dir: Path, tmp_path: Path):
    a = snapshot.build(data_dir, tmp_path / "a", readers=READERS)
    b = snapshot.build(data_dir, tmp_path / "b", readers=READERS)
    assert json.dumps(a["tables"], sort_keys=True) == json.dumps(b["tables"], sort_keys=True)


@pytest.mark.parametrize("bad", ["tests.test_snapshot:failing_reader", "tests.test_snapshot:bad_qualifier"])
def test_failed_build_leaves_previous_snapshot_untouched(data_dir: Path, tmp_path: Path, bad: str):
    out = tmp_path / "snap"
    snapshot.build(data_dir, out, readers=READERS)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises((SourceError, SnapshotError)) as exc:
        snapshot.build(data_dir, out, readers=(LISTS, bad))
    assert "broken.csv" in str(exc.value) or "disagree" in str(exc.value)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert before == after
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".snap")]


def test_verify_detects_corruption(data_dir: Path, tmp_path: Path):
    out = tmp_path / "snap"
    snapshot.build(data_dir, out, readers=READERS)
    with open(out / "production.parquet", "ab") as fh:
        fh.write(b"x")
    problems = snapshot.verify(out)
    assert len(problems) == 1 and "production" in problems[0]


def drifting(data_dir: Path) -> ReadResult:
    res = fake_production(data_dir)
    res.tables["production"] = res.tables["production"].drop(columns=["unit"])
    return res


def test_schema_drift_is_rejected(data_dir: Path, tmp_path: Path):
    with pytest.raises(SnapshotError, match="missing \\['unit'\\]"):
        snapshot.build(data_dir, tmp_path / "snap", readers=(LISTS, "tests.test_snapshot:drifting"))

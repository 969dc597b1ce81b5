"""Snapshot build: schema checks, atomic replacement, reproducibility, checksums."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from critmin import snapshot
from critmin.errors import SnapshotError, SourceError
from critmin.sources.base import ReadResult, SourceInfo, frame

INFO = SourceInfo("fake", "Fake source", "Tests", "Tests (2026)", "CC0", vintage=2026)
PRODUCTION_INFO = SourceInfo("fake-production", "Fake production source", "Tests", "Tests (2026)", "CC0", vintage=2026)
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
         "estimated": True, "unit": "metric tons", "source_id": "fake-production", "source_file": "lists.csv", "source_row": 2},
        {"vintage": 2026, "commodity_id": "gallium", "form": "", "country_iso3": "JPN", "country_name": "Japan",
         "country_kind": "country", "stage": "processing", "measure": "production", "series_label": "Primary production",
         "year": 2025, "value": None, "qualifier": "withheld", "raw": "W", "estimated": True, "unit": "metric tons",
         "source_id": "fake-production", "source_file": "lists.csv", "source_row": 3},
    ]
    return ReadResult(PRODUCTION_INFO, [f], {"production": frame("production", rows)}, Counter({"footnote": 1}))


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


# --- row counts against the previous build -------------------------------------------------------

ROWS_INFO = SourceInfo("fake-rows", "Fake rows source", "Tests", "Tests (2026)", "CC0", vintage=2026)


def counted_production(data_dir: Path) -> ReadResult:
    """One production row per line of ``count.csv`` (after the header)."""
    f = data_dir / "count.csv"
    n = len(f.read_text(encoding="utf-8").splitlines()) - 1
    rows = [
        {"vintage": 2026, "commodity_id": "gallium", "form": "", "country_iso3": None, "country_name": f"Place {i}",
         "country_kind": "other", "stage": "processing", "measure": "production", "series_label": "Primary production",
         "year": 2025, "value": float(i), "qualifier": "exact", "low": float(i), "high": float(i), "raw": str(i),
         "estimated": False, "unit": "metric tons", "source_id": "fake-rows", "source_file": "count.csv", "source_row": i + 2}
        for i in range(n)
    ]
    return ReadResult(ROWS_INFO, [f], {"production": frame("production", rows)})


ROW_READERS = (LISTS, "tests.test_snapshot:counted_production")


def _count_file(data_dir: Path, n: int, tag: str = "") -> None:
    (data_dir / "count.csv").write_text("x\n" + "".join(f"{i}{tag}\n" for i in range(n)), encoding="utf-8")


def test_a_drop_against_the_previous_build_needs_acceptance(data_dir: Path, tmp_path: Path):
    out = tmp_path / "snap"
    _count_file(data_dir, 200)
    snapshot.build(data_dir, out, readers=ROW_READERS)
    before = (out / "manifest.json").read_bytes()
    _count_file(data_dir, 100)  # the file lost half its rows (a cut-off copy)
    with pytest.raises(SnapshotError, match="--accept-row-changes"):
        snapshot.build(data_dir, out, readers=ROW_READERS)
    assert (out / "manifest.json").read_bytes() == before  # nothing written
    lines: list[str] = []
    with pytest.raises(SnapshotError):
        snapshot.build(data_dir, out, readers=ROW_READERS, report=lines.append)
    assert any("count.csv changed: 200 -> 100 data rows" in line for line in lines)
    m = snapshot.build(data_dir, out, readers=ROW_READERS, accept_row_changes=True)
    assert m["tables"]["production"]["rows"] == 100
    assert m["sources"][1]["files"] == [{"path": "count.csv", "bytes": (data_dir / "count.csv").stat().st_size,
                                         "sha256": m["sources"][1]["files"][0]["sha256"], "rows": 100}]


def test_a_small_change_of_a_changed_file_is_reported_not_refused(data_dir: Path, tmp_path: Path):
    out = tmp_path / "snap"
    _count_file(data_dir, 200)
    snapshot.build(data_dir, out, readers=ROW_READERS)
    _count_file(data_dir, 199)  # a revision dropping one row of 200 (0.5 %)
    lines: list[str] = []
    m = snapshot.build(data_dir, out, readers=ROW_READERS, report=lines.append)
    assert m["tables"]["production"]["rows"] == 199
    assert any("200 -> 199" in line and "needs" not in line for line in lines)


def test_the_same_file_must_give_the_same_rows(data_dir: Path, tmp_path: Path, monkeypatch):
    out = tmp_path / "snap"
    _count_file(data_dir, 50)
    snapshot.build(data_dir, out, readers=ROW_READERS)
    import tests.test_snapshot as me

    real = me.counted_production

    def reads_more(d: Path) -> ReadResult:  # a reader change: one more row from the same bytes
        res = real(d)
        extra = res.tables["production"].iloc[[0]].assign(country_name="Extra", source_row=99)
        res.tables["production"] = pd.concat([res.tables["production"], extra], ignore_index=True)
        return res

    monkeypatch.setattr(me, "counted_production", reads_more)
    with pytest.raises(SnapshotError, match="unchanged but gives 51 data rows instead of 50"):
        snapshot.build(data_dir, out, readers=ROW_READERS)


def duplicate_gallium(data_dir: Path) -> ReadResult:
    res = fake_production(data_dir)
    res.tables["production"]["source_id"] = "fake-again"
    res.tables["production"]["source_row"] = [12, 13]
    return ReadResult(SourceInfo("fake-again", "Again", "Tests", "Tests", "CC0", vintage=2026), res.files, res.tables)


def test_a_key_given_by_two_readers_fails_naming_both_rows(data_dir: Path, tmp_path: Path):
    with pytest.raises(SnapshotError) as exc:
        snapshot.build(data_dir, tmp_path / "snap", readers=(*READERS, "tests.test_snapshot:duplicate_gallium"))
    assert "lists.csv row 2 and lists.csv row 12" in str(exc.value)


# --- fingerprint and the package layout ----------------------------------------------------------


def test_fingerprint_follows_the_tables_only(data_dir: Path, tmp_path: Path):
    a = snapshot.build(data_dir, tmp_path / "a", readers=READERS)
    snapshot.build(data_dir, tmp_path / "b", readers=READERS)
    fa, fb = snapshot.fingerprint(tmp_path / "a"), snapshot.fingerprint(tmp_path / "b")
    assert fa == fb and len(fa) == 64
    snapshot.build(data_dir, tmp_path / "a", readers=(LISTS,))
    assert snapshot.fingerprint(tmp_path / "a") != fa  # production is now empty
    assert snapshot.fingerprint(tmp_path / "none") == "none"
    assert a["format_version"] == snapshot.FORMAT_VERSION


def test_snapshot_package_reexports_and_store_imports_only_the_manifest():
    import subprocess
    import sys

    assert callable(snapshot.build) and callable(snapshot.verify) and callable(snapshot.load_manifest)
    assert snapshot.MANIFEST == "manifest.json" and snapshot.default_dir().name == "snapshot_data"
    code = (
        "import sys, critmin.store\n"
        "heavy = [m for m in ('pandas', 'critmin.sources', 'critmin.schema') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "import critmin.snapshot.manifest as m, critmin.store as s\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    store_src = (Path(snapshot.__file__).parents[1] / "store.py").read_text(encoding="utf-8")
    assert "critmin.snapshot.manifest import" in store_src and "critmin.snapshot import" not in store_src

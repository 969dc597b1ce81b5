"""The knowledge-base CLI as a user types it, on the committed snapshot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from critmin import snapshot

ROOT = Path(__file__).resolve().parents[1]
CRITMIN = [sys.executable, "-m", "critmin.cli"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {**os.environ, **(env or {})}
    return subprocess.run([*CRITMIN, *args], capture_output=True, text=True, env=e, timeout=900)  # a hang guard, not a speed bar (bench_kb.py times the build)


@pytest.fixture(scope="module", autouse=True)
def committed_snapshot():
    if not (snapshot.default_dir() / "manifest.json").is_file():
        pytest.skip("no committed snapshot (run critmin data build)")


def test_help_lists_commands():
    r = run("--help")
    assert r.returncode == 0
    for cmd in ("minerals", "nir", "production", "imports", "data"):
        assert cmd in r.stdout


def test_nir_json_fields_and_qualifiers():
    r = run("nir", "--vintage", "2025", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 64  # rows of MCS2025_Fig2_Net_Import_Reliance.csv
    need = {"commodity", "name", "vintage", "year", "nir_value", "nir_qualifier", "import_sources", "on_list_2022", "on_list_2025"}
    assert need <= set(rows[0])
    by = {(r["commodity"], r["form"]): r for r in rows}
    ti = by[("titanium", "sponge metal")]
    assert ti["nir_value"] is None and ti["nir_qualifier"] == "greater_than" and ti["nir_low"] == 95
    ga = by[("gallium", "metal")]
    assert ga["nir_value"] == 100 and ga["import_sources"] == ["Japan", "China", "Germany", "Canada"]
    assert ga["year"] == 2024 and ga["vintage"] == 2025


def test_nir_per_listed_mineral_counts_like_usgs():
    r = run("nir", "--vintage", "2025", "--list", "2022", "--format", "json")
    rows = json.loads(r.stdout)
    assert len(rows) == 50  # the 2022 list has 50 minerals
    by = {r["commodity"]: r for r in rows}
    # the rare-earths row stands for each listed lanthanide
    assert by["neodymium"]["via_group"] == "rare-earths" and by["neodymium"]["nir_value"] == 80
    assert by["iridium"]["nir_qualifier"] == "not_published"
    t = run("nir", "--vintage", "2025", "--list", "2022")
    # 12 at 100% as the White House says; it says 29 more above 50%, USGS's table gives 28 (README)
    assert "12 at 100%, 28 more above 50%" in t.stdout


def test_production_shares_and_codes():
    r = run("production", "cobalt", "--stage", "mine", "--vintage", "2026", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    countries = [x for x in rows if x["country_kind"] == "country"]
    drc = next(x for x in countries if x["country"] == "COD")
    assert drc["share"] > 0.6  # DR Congo mines most of the world's cobalt
    world = next(x for x in rows if x["country_kind"] == "world")
    numeric = [x["value"] for x in rows if x["country_kind"] in ("country", "other") and x["value"] is not None]
    assert sum(numeric) == pytest.approx(world["value"], rel=0.05)  # world total is rounded
    assert all(x["share"] is None for x in rows if x["value"] is None)


def test_processing_stage_exists_for_refined_minerals():
    rows = json.loads(run("production", "gallium", "--stage", "processing", "--format", "json").stdout)
    chn = next(x for x in rows if x["country"] == "CHN")
    assert chn["stage"] == "processing" and chn["share"] > 0.9  # China refines almost all primary gallium
    r = run("production", "cobalt", "--stage", "processing")
    assert r.returncode == 2 and "no processing-stage production data for Cobalt in any vintage" in r.stderr


def test_imports_json():
    r = run("imports", "rare earths", "--format", "json")
    d = json.loads(r.stdout)
    assert d["shares"] and d["customs"]
    chn = [s for s in d["shares"] if s["partner"] == "CHN"]
    assert chn and all(0 < s["share_pct"] <= 100 for s in chn)


def test_minerals_list_2025_has_60():
    rows = json.loads(run("minerals", "--list", "2025", "--format", "json").stdout)
    assert len(rows) == 60
    csv = run("minerals", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("commodity_id,name")


def test_data_info_and_verify():
    r = run("data", "verify")
    assert r.returncode == 0 and "OK" in r.stdout
    info = json.loads(run("data", "info", "--format", "json").stdout)
    ids = {s["source_id"] for s in info}
    assert {"usgs_mcs2026", "usgs_mcs2025_trends", "us_critical_minerals_lists"} <= ids
    assert all(s["licence"] for s in info)


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("production", "unobtainium"), 2, "unknown mineral"),
        (("nir", "--vintage", "1999"), 2, "available"),
        (("nir", "--list", "2020"), 2, "list year"),
        (("production", "cobalt", "--stage", "smelting"), 2, "unknown stage"),
    ],
)
def test_bad_requests_exit_non_zero_with_a_message(args, code, message):
    r = run(*args)
    assert r.returncode == code
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def _mirror(src: Path, dst: Path, broken: str, content: bytes) -> None:
    """A copy of the raw-data tree made of symlinks, with one file replaced."""
    for p in src.rglob("*"):
        rel = p.relative_to(src)
        target = dst / rel
        if p.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif rel.as_posix() == broken:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(p)


@pytest.mark.rawdata
@pytest.mark.parametrize(
    "broken, mutate, expect",
    [
        ("usgs_mcs2025/industry_trends/MCS2025_Fig2_Net_Import_Reliance.csv", lambda b: b[: len(b) // 2], "MCS2025_Fig2"),
        ("usgs_mcs2026/MCS2026_Commodities_Data.csv", lambda b: b.decode("cp1252").encode("utf-16"), "MCS2026_Commodities_Data.csv"),
        ("usgs_mcs2025/world/MCS2025_World_Data.csv", lambda b: b.replace(b"Australia", b"Atlantis", 1), "Atlantis"),
        ("worldbank_wgi/wgi_2023update_long.csv", lambda b: b.replace(b"estimate", b"estimat", 1), "wgi_2023update_long.csv"),
    ],
)
def test_bad_raw_file_fails_build_and_keeps_previous_snapshot(raw_data_dir, tmp_path, broken, mutate, expect):
    src = tmp_path / "raw"
    _mirror(raw_data_dir, src, broken, mutate((raw_data_dir / broken).read_bytes()))
    out = tmp_path / "snap"
    shutil.copytree(snapshot.default_dir(), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    r = run("data", "build", "--quiet", "--source-dir", str(src), "--out", str(out))
    assert r.returncode == 1, r.stdout + r.stderr
    assert expect in r.stderr and "Traceback" not in r.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.rawdata
def test_build_from_raw_reproduces_committed_snapshot(raw_data_dir, tmp_path):
    out = tmp_path / "snap"
    r = run("data", "build", "--quiet", "--source-dir", str(raw_data_dir), "--out", str(out))
    assert r.returncode == 0, r.stderr
    built = json.loads((out / "manifest.json").read_text())
    committed = snapshot.load_manifest()
    assert {k: v["sha256"] for k, v in built["tables"].items()} == {k: v["sha256"] for k, v in committed["tables"].items()}

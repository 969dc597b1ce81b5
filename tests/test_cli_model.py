"""The policy-model CLI as a user types it: critmin simulate, compare, scenarios."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from critmin import snapshot

CRITMIN = [sys.executable, "-m", "critmin.cli"]

INLINE = {
    "name": "inline tariff",
    "focus": "USA",
    "market": {
        "mineral": "testium", "unit": "t", "price_unit": "USD/t", "regions": ["USA", "CHN", "AUS"],
        "price": 100.0, "production": {"USA": 2.0, "CHN": 20.0, "AUS": 3.0},
        "consumption": {"USA": 10.0, "CHN": 12.0, "AUS": 3.0},
    },
    "policies": {"tariffs": [{"importer": "USA", "origins": ["CHN"], "rate": 0.25}]},
}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CRITMIN_KERNEL"}
    return subprocess.run([*CRITMIN, *args], capture_output=True, text=True, env=env, timeout=120, cwd=cwd)


@pytest.fixture(scope="module", autouse=True)
def committed_snapshot():
    if not (snapshot.default_dir() / "manifest.json").is_file():
        pytest.skip("no committed snapshot (run critmin data build)")


@pytest.fixture
def scenario_file(tmp_path):
    def write(data, name="s.yaml"):
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
        return path

    return write


def test_help_lists_the_model_commands():
    # what --help loads is checked in tests/test_cli_imports.py; its time in benchmarks/bench_kb.py
    r = run("--help")
    assert r.returncode == 0
    for cmd in ("simulate", "compare", "scenarios"):
        assert cmd in r.stdout


def test_scenarios_lists_presets_with_their_market():
    r = run("scenarios")
    assert r.returncode == 0, r.stderr
    for name in ("talks-fail-mip-gallium", "china-bans-gallium-to-us", "allied-club-common-floor-rare-earths",
                 "ndpr-style-floor-cfd", "section232-tariff-25", "stockpile-release", "allied-capacity"):
        assert name in r.stdout
    assert "knowledge base: gallium (processing)" in r.stdout
    rows = json.loads(run("scenarios", "--format", "json").stdout)
    by = {row["name"]: row for row in rows}
    assert by["allied-capacity"]["market"] == "knowledge base: cobalt (mine)"
    assert by["ndpr-style-floor-cfd"]["market"] == "from scratch: market_rare_earths.yaml"
    assert all(row["description"] for row in rows)


def test_simulate_a_knowledge_base_preset_as_json():
    r = run("simulate", "talks-fail-mip-gallium", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == "converged" and out["unit"] == "kg" and out["price_unit"] == "USD/kg"
    assert {row["region"] for row in out["prices"]} == {"USA", "CHN", "JPN", "ROW"}
    levy = [b for b in out["binding"] if b["instrument"] == "minimum_import_price"]
    assert levy and all(b["binds"] for b in levy)
    assert any(a.startswith("source: USGS MCS 2026") for a in out["assumptions"])
    assert any("proportional sourcing from the world export pool" in a for a in out["assumptions"])
    assert out["indicators"]["base_net_import_reliance_pct"] == pytest.approx(100.0)


def test_simulate_a_file_prints_tables_and_assumptions(scenario_file):
    path = scenario_file(INLINE)
    r = run("simulate", str(path))
    assert r.returncode == 0, r.stderr
    for text in ("status: converged", "Prices", "Quantities by region", "Welfare change", "Bilateral flows",
                 "assumptions:", "proportional sourcing"):
        assert text in r.stdout


def test_bad_field_exits_2_and_names_the_field(scenario_file):
    bad = json.loads(json.dumps(INLINE))
    bad["policies"]["tariffs"][0]["rate"] = "a lot"
    r = run("simulate", str(scenario_file(bad)))
    assert r.returncode == 2
    assert "policies.tariffs.0.rate" in r.stderr and "valid number" in r.stderr
    assert "Traceback" not in r.stderr
    typo = json.loads(json.dumps(INLINE))
    typo["policies"]["tarifs"] = typo["policies"].pop("tariffs")
    r = run("simulate", str(scenario_file(typo, "typo.yaml")))
    assert r.returncode == 2 and "policies.tarifs" in r.stderr
    region = json.loads(json.dumps(INLINE))
    region["policies"]["tariffs"][0]["origins"] = ["RUS"]
    r = run("simulate", str(scenario_file(region, "region.yaml")))
    assert r.returncode == 2 and "policies.tariffs.0.origins: unknown region 'RUS'" in r.stderr


def test_broken_yaml_and_unknown_preset_and_missing_file_exit_2(scenario_file, tmp_path):
    r = run("simulate", str(scenario_file("name: [unclosed\n")))
    assert r.returncode == 2 and "not valid YAML" in r.stderr
    r = run("simulate", "no-such-preset")
    assert r.returncode == 2 and "unknown preset 'no-such-preset'" in r.stderr and "critmin scenarios" in r.stderr
    r = run("simulate", str(tmp_path / "absent.yaml"))
    assert r.returncode == 2 and "scenario file not found" in r.stderr
    r = run("simulate", "stockpile-release", "--format", "csv")
    # csv is the chain engine's per-year table; an Armington scenario is refused with what to use instead
    assert r.returncode == 2 and "--format csv" in r.stderr and "use json for an Armington" in r.stderr


def test_withheld_knowledge_base_data_is_a_clear_error(scenario_file):
    path = scenario_file({"name": "lithium", "market": {"from_kb": {"mineral": "lithium", "stage": "mine"}}})
    r = run("simulate", str(path))
    assert r.returncode == 2
    assert "US mine production of Lithium in 2025 is W (withheld)" in r.stderr and "us_production" in r.stderr


def test_a_scenario_without_equilibrium_exits_1_with_the_reason(scenario_file):
    bad = json.loads(json.dumps(INLINE))
    bad["policies"] = {"export_restrictions": [{"exporter": "CHN", "kind": "ban", "importers": "all"},
                                               {"exporter": "AUS", "kind": "ban", "importers": "all"}]}
    bad["market"]["production"] = {"USA": 0.0, "CHN": 22.0, "AUS": 3.0}
    r = run("simulate", str(scenario_file(bad)))
    assert r.returncode == 1
    assert "status: infeasible" in r.stdout and "USA has no permitted supplier left" in r.stdout


def test_compare_presets_and_files_side_by_side(scenario_file):
    path = scenario_file(INLINE, "mine.yaml")
    r = run("compare", "china-bans-gallium-to-us", "stockpile-release", str(path), "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert list(out) == ["china-bans-gallium-to-us", "stockpile-release", "mine"]
    assert out["stockpile-release"]["USA_consumer_price"] < out["china-bans-gallium-to-us"]["USA_consumer_price"]
    assert out["mine"]["status"] == "converged"
    r = run("compare", "section232-tariff-25", "talks-fail-mip-rare-earths")
    assert r.returncode == 0 and "USA_net_import_reliance_pct" in r.stdout and "USA_import_hhi" in r.stdout
    r = run("compare", "section232-tariff-25", "nope")
    assert r.returncode == 2 and "unknown preset 'nope'" in r.stderr


FLOOR_1E9 = {"name": "floor 1e9", "focus": "USA", "market": {"ref": "gallium"},
             "policies": {"price_floors": [{"region": "CHN", "floor": 1.0e9}]}}


def test_a_failed_solve_prints_no_number_in_json_table_or_csv(scenario_file):
    """Issue 8's example: the World welfare row and the import HHI of a failed solve were 0.0."""
    path = scenario_file(FLOOR_1E9, "floor.yaml")
    r = run("simulate", str(path), "--format", "json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] != "converged" and out["message"]
    world = next(row for row in out["welfare"] if row["region"] == "World")
    assert all(v is None for k, v in world.items() if k != "region"), world
    assert out["indicators"]["import_hhi"] is None and out["indicators"]["base_import_hhi"] == 0.5
    assert all(row["binds"] is None and row["value"] is None for row in out["binding"])
    table = run("simulate", str(path))
    assert table.returncode == 1 and "import_hhi: null" in table.stdout and "no results" in table.stdout
    assert "\nimport_hhi: 0" not in table.stdout
    csv_out = run("compare", str(path), "gallium_china_ban", "--format", "csv")
    assert csv_out.returncode == 0, csv_out.stderr
    rows = {line.split(",", 1)[0]: line.split(",", 1)[1] for line in csv_out.stdout.splitlines()[1:]}
    assert rows["USA_import_hhi"].startswith(",") and rows["world_welfare_change"].startswith(",")
    assert "1 of 2 scenarios did not solve (floor: " in csv_out.stderr
    js = json.loads(run("compare", str(path), "gallium_china_ban", "--format", "json").stdout)
    assert js["floor"]["USA_import_hhi"] is None and js["floor"]["world_welfare_change"] is None
    assert js["floor"]["message"] and js["gallium_china_ban"]["status"] == "converged"


def test_non_finite_numbers_and_long_references_exit_2_naming_the_field(scenario_file):
    path = scenario_file("name: inf\nmarket: {ref: gallium}\npolicies:\n  tariffs:\n    - {importer: USA, rate: .inf}\n")
    r = run("simulate", str(path))
    assert r.returncode == 2 and "policies.tariffs.0.rate: Input should be a finite number" in r.stderr, r.stderr
    path = scenario_file({"name": "long", "market": {"ref": "x" * 300}}, "long.yaml")
    r = run("simulate", str(path))
    assert r.returncode == 2 and "market.ref" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = run("simulate", "z" * 300 + ".yaml")
    assert r.returncode == 2 and "not found" in r.stderr and "Traceback" not in r.stderr, r.stderr

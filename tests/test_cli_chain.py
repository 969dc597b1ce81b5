"""critmin simulate / compare / scenarios on chain-engine scenarios, as a user types them."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml
from typer.testing import CliRunner

from critmin import snapshot
from critmin.cli import app

from tests.model.test_chain_interfaces import BOUNDED_MARKET, doc

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def committed_snapshot():
    if not (snapshot.default_dir() / "manifest.json").is_file():
        pytest.skip("no committed snapshot (run critmin data build)")


def cli(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def bounded_file(tmp_path):
    path = tmp_path / "bounded.yaml"
    path.write_text(yaml.safe_dump(doc(BOUNDED_MARKET)))
    return str(path)


def test_simulate_a_chain_file_prints_ranges_units_and_every_year(bounded_file):
    r = cli("simulate", bounded_file)
    assert r.exit_code == 0, r.output
    out = r.output
    assert "engine: chain" in out and "horizon 2025-2027" in out and "status: converged" in out
    assert "bases and units: processing: Tm metal, quantities in t, prices in USD/t" in out
    assert " to " in out  # a bounded market prints low-high ranges
    for year in ("2025", "2026", "2027"):
        assert year in out
    assert "assumptions:" in out and "sources:" in out


def test_simulate_year_json_and_csv(bounded_file):
    r = cli("simulate", bounded_file, "--year", "2026", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["engine"] == "chain" and {row["year"] for row in data["years"]} == {2026}
    assert {row["year"] for row in data["prices"]} == {2026}
    row = data["years"][0]
    assert row["variants"] == "low, high" and row["use_price_low"] <= row["use_price_high"]
    r = cli("simulate", bounded_file, "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert [int(x["year"]) for x in rows] == [2025, 2026, 2027]
    assert {"use_price_low", "use_price_high", "imports_low", "fiscal_cost_high", "basis", "unit"} <= set(rows[0])


def test_a_multi_mineral_preset_solves_from_the_cli():
    r = cli("simulate", "duty-25-chinese-gallium-graphite-rare-earths", "--year", "2026")
    assert r.exit_code == 0, r.output
    for mineral in ("== gallium (kb:gallium:processing", "== graphite (kb:graphite:mine",
                    "== rare-earths (chain_market_ndpr_oxide.yaml; low, high)"):
        assert mineral in r.output
    assert "NdPr oxide" in r.output and "gross weight" in r.output


@pytest.mark.parametrize("args, phrase", [
    (("simulate", "duty-25-chinese-gallium-graphite-rare-earths", "--year", "2040"), "outside the scenario's horizon"),
    (("simulate", "gallium_china_ban", "--year", "2026"), "--year"),
    (("simulate", "gallium_china_ban", "--format", "csv"), "--format csv"),
    (("simulate", "no-such-preset"), "error:"),
    (("compare", "ndpr-floor-110-ten-years", "gallium_china_ban"), "compare chain-engine and Armington"),
    (("simulate", "ndpr-floor-110-ten-years", "--format", "xml"), "--format must be one of"),
])
def test_bad_requests_exit_2_with_a_message(args, phrase):
    r = cli(*args)
    assert r.exit_code == 2, r.output
    assert phrase in r.output


def test_failed_solve_prints_nulls_and_exits_1(bounded_file, monkeypatch):
    from critmin.model import engines

    solve = engines.simulate_any
    monkeypatch.setattr(engines, "simulate_any", lambda s, **k: solve(s, max_iter=0))
    r = cli("simulate", bounded_file, "--format", "json")
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert data["status"] != "converged" and data["message"]
    assert all(row["use_price_low"] is None and row["imports_high"] is None for row in data["years"])
    assert all(row["use_price_baseline_low"] is not None for row in data["years"])  # the baseline stays
    r = cli("compare", bounded_file, bounded_file, "--format", "json")
    assert r.exit_code == 1 and "did not solve" in r.output


def test_compare_chain_scenarios_by_mineral_and_year(bounded_file):
    r = cli("compare", bounded_file, "ndpr-floor-110-ten-years", "--format", "json", "--year", "2026")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["scenarios"] == ["bounded", "ndpr-floor-110-ten-years"]
    assert {(row["scenario"], row["mineral"]) for row in data["summary"]} == {
        ("bounded", "testium"), ("ndpr-floor-110-ten-years", "rare-earths")}
    assert {row["year"] for row in data["years"]} == {2026}
    r = cli("compare", bounded_file, "ndpr-floor-110-ten-years")
    assert r.exit_code == 0 and "testium" in r.output and "rare-earths" in r.output and " to " in r.output


def test_scenarios_lists_each_presets_engine():
    r = cli("scenarios", "--format", "json")
    assert r.exit_code == 0
    engines = {row["name"]: row["engine"] for row in json.loads(r.output)}
    assert engines["ndpr-floor-110-ten-years"] == "chain" and engines["gallium_china_ban"] == "armington"
    assert "engine" in cli("scenarios").output

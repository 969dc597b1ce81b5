"""The risk commands as a user types them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli import app

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def snapshot():
    from critmin.snapshot import default_dir

    if not (default_dir() / "manifest.json").is_file():
        pytest.skip("no snapshot built")


def test_risk_json_ranking_with_breakdown():
    res = runner.invoke(app, ["risk", "--list", "2025", "--top", "5", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 5 and rows[0]["rank"] == 1
    assert {"term_hhi", "term_feoc_share", "term_import_reliance", "term_export_control_share"} <= set(rows[0])
    scores = [r["score"] if r["score"] is not None else r["low"] for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_risk_eu_crm_without_inputs_lists_what_is_missing():
    res = runner.invoke(app, ["risk", "--method", "eu_crm", "--stage", "processing", "--format", "json"])
    assert res.exit_code == 0, res.output
    gallium = next(r for r in json.loads(res.stdout) if r["commodity_id"] == "gallium")
    assert gallium["status"] == "insufficient_data" and gallium["score"] is None
    assert "EoL-RIR" in gallium["missing"] and gallium["term_hhi_wgi_t_global"] is not None


def test_risk_with_caller_inputs(tmp_path):
    f = tmp_path / "params.csv"
    f.write_text("commodity_id,eol_rir,substitution_index\ngallium,0,0.95\n", encoding="utf-8")
    res = runner.invoke(app, ["risk", "--method", "eu_crm", "--stage", "processing", "--inputs", str(f), "--format", "json"])
    assert res.exit_code == 0, res.output
    gallium = next(r for r in json.loads(res.stdout) if r["commodity_id"] == "gallium")
    assert gallium["status"] in ("ok", "bounded") and "caller" in gallium["sources"]
    assert gallium["term_substitution_index"] == 0.95


@pytest.mark.parametrize("content,message", [
    ("mineral,eol_rir\ngallium,0\n", "commodity_id"),
    ("commodity_id,recycling\ngallium,0\n", "unknown column"),
    ("commodity_id,eol_rir\ngallium,1.5\n", "row 2"),
    ("commodity_id,eol_rir\ngallium,abc\n", "expected a number"),
])
def test_risk_bad_inputs_file(tmp_path, content, message):
    f = tmp_path / "bad.csv"
    f.write_text(content, encoding="utf-8")
    res = runner.invoke(app, ["risk", "--method", "eu_crm", "--inputs", str(f)])
    assert res.exit_code != 0 and message in res.output


def test_risk_rejects_unknown_list_and_method():
    assert runner.invoke(app, ["risk", "--list", "2019"]).exit_code != 0
    assert runner.invoke(app, ["risk", "--method", "magic"]).exit_code != 0


def test_risk_table_prints():
    res = runner.invoke(app, ["risk", "--method", "geopolrisk", "--top", "3"])
    assert res.exit_code == 0 and "GeoPolRisk" in res.output


def test_gap_csv_and_changes():
    res = runner.invoke(app, ["gap", "--list", "2025", "--format", "csv"])
    assert res.exit_code == 0, res.output
    header = res.stdout.splitlines()[0]
    assert "hhi_gap" in header and "us_mines_imports_processed" in header
    res2 = runner.invoke(app, ["gap", "--changes", "--format", "json"])
    assert res2.exit_code == 0 and "hhi_change" in res2.stdout


def test_mineral_and_overview_write_files(tmp_path):
    out = tmp_path / "ga.html"
    res = runner.invoke(app, ["mineral", "Ga", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    res = runner.invoke(app, ["mineral", "unobtainium"])
    assert res.exit_code != 0 and "unknown mineral" in res.output
    ov = tmp_path / "ov.html"
    res = runner.invoke(app, ["overview", "--out", str(ov), "--list", "2022"])
    assert res.exit_code == 0, res.output
    assert "2022 list" in ov.read_text(encoding="utf-8")

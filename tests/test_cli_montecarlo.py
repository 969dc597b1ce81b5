"""The risk CLI as a user types it: critmin montecarlo, stockpile, project, disruptions."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from critmin import snapshot

CRITMIN = [sys.executable, "-m", "critmin.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CRITMIN_KERNEL"}
    return subprocess.run([*CRITMIN, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module", autouse=True)
def committed_snapshot():
    if not (snapshot.default_dir() / "manifest.json").is_file():
        pytest.skip("no committed snapshot (run critmin data build)")


def test_help_stays_light():
    code = ("import sys, critmin.cli; heavy = [m for m in ('dask', 'distributed', 'numpy', 'pandas') if m in sys.modules];"
            " print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == ""
    h = run("montecarlo", "--help")
    assert h.returncode == 0 and "--scheduler" in h.stdout and "--resume" in h.stdout


def test_montecarlo_json_and_table(tmp_path):
    r = run("montecarlo", "gallium", "--draws", "300", "--seed", "4", "--horizon", "2", "--format", "json", "--quiet",
            "--run-dir", str(tmp_path / "run"))
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["headline"]["market"] in ("chain:ref:gallium", "chain:kb:gallium:processing")  # the chain engine first
    assert d["run"]["scenario_years"] == 600 and d["run"]["draws"] == 300
    assert {row["event"] for row in d["by_event"]} >= {"CHN-gallium-ban-us", "none"}
    assert (tmp_path / "run" / "manifest.json").is_file()
    again = run("montecarlo", "gallium", "--draws", "300", "--seed", "4", "--horizon", "2", "--format", "json",
                "--quiet", "--run-dir", str(tmp_path / "run"), "--resume")
    assert again.returncode == 0 and json.loads(again.stdout)["distributions"] == d["distributions"]
    refused = run("montecarlo", "gallium", "--draws", "300", "--seed", "5", "--horizon", "2", "--quiet",
                  "--run-dir", str(tmp_path / "run"), "--resume")
    assert refused.returncode == 2 and "seed" in refused.stderr
    t = run("montecarlo", "rare earths", "--draws", "200", "--quiet")
    assert t.returncode == 0 and "Expected welfare loss by event" in t.stdout and "CHN-rare-earths-ban-us" in t.stdout


@pytest.mark.parametrize("args, message", [
    (["montecarlo", "unobtainium", "--draws", "10"], "unobtainium"),
    (["montecarlo", "gallium", "--format", "xml"], "--format"),
    (["montecarlo", "gallium", "--resume"], "--run-dir"),
    (["montecarlo", "gallium", "--method", "sobol"], "--method"),
    (["montecarlo", "gallium", "--market", "kb:rare-earths:processing", "--draws", "10"], "rare"),
    (["stockpile", "gallium", "--coverage", "1.5"], "coverage"),
    (["project", "rare earths", "--draws", "10"], "capacity"),
    (["project", "lithium", "--deposit", "Atlantis"], "Atlantis"),
])
def test_bad_requests_exit_2_with_the_reason(args, message):
    r = run(*args)
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_stockpile_csv():
    r = run("stockpile", "gallium", "--draws", "200", "--coverage", "0.9", "--format", "csv", "--quiet")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("target_coverage,rule,stock") and len(lines) == 2


def test_project_lithium_deposit():
    r = run("project", "lithium", "--deposit", "Thacker Pass", "--floor", "20000", "--upside-share", "0.3",
            "--term", "10", "--draws", "300", "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    h = d["headline"]
    assert h["unit"] == "t Li" and h["floor_in_series_basis"] == pytest.approx(20000)
    assert h["probability_npv_non_negative_with_floor"] >= h["probability_npv_non_negative"]
    assert h["marginal_allied_group"] in ("USA", "allied")
    assert {r["measure"] for r in d["returns"]} == {"npv", "irr", "npv_with_floor", "irr_with_floor"}


def test_disruptions_lists_sources():
    r = run("disruptions", "--mineral", "gallium")
    assert r.returncode == 0 and "CHN-gallium-ban-us" in r.stdout and "register rule cn_ban_us" in r.stdout
    j = run("disruptions", "--format", "json")
    rows = json.loads(j.stdout)
    assert all(row["rate_source"] for row in rows)

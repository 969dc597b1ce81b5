"""``--format html -o FILE`` of the risk commands, and their progress bar only on a terminal."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from critmin import snapshot

CRITMIN = [sys.executable, "-m", "critmin.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CRITMIN, *args], capture_output=True, text=True, env=dict(os.environ), timeout=300)


@pytest.fixture(scope="module", autouse=True)
def committed_snapshot():
    if not (snapshot.default_dir() / "manifest.json").is_file():
        pytest.skip("no committed snapshot (run critmin data build)")


def test_montecarlo_html_report(tmp_path):
    out = tmp_path / "gallium.html"
    r = run("montecarlo", "gallium", "--draws", "200", "--seed", "5", "--horizon", "2", "--format", "html", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Disruption Monte Carlo: gallium" in text
    assert text.count("<svg") >= 6  # four histograms, the fan, the tornado
    for heading in ("Expected annual outcomes for the US", "Expected welfare loss by event", "Drivers of the loss",
                    "Price paths", "Assumptions and sources"):
        assert heading in text, heading
    assert "200 draws" in text and "seed 5" in text
    # stderr is not a terminal here: no progress bar drawn into it
    assert "chunks" not in r.stderr and "━" not in r.stderr and f"wrote {out}" in r.stderr
    assert not list(tmp_path.glob("*.tmp"))


def test_html_needs_an_output_file_and_output_needs_html(tmp_path):
    r = run("stockpile", "gallium", "--draws", "50", "--format", "html")
    assert r.returncode == 2 and "give -o FILE" in r.stderr
    r = run("montecarlo", "gallium", "--draws", "50", "-o", str(tmp_path / "x.html"))
    assert r.returncode == 2 and "-o/--output is for --format html" in r.stderr
    r = run("montecarlo", "gallium", "--draws", "50", "--format", "html", "-o", str(tmp_path / "no" / "such" / "x.html"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert list(tmp_path.iterdir()) == []
    r = run("montecarlo", "gallium", "--format", "pdf")
    assert r.returncode == 2 and "table, json, csv, html" in r.stderr


def test_stockpile_and_project_html_reports(tmp_path):
    s = tmp_path / "stock.html"
    r = run("stockpile", "gallium", "--draws", "200", "--coverage", "0.9", "--format", "html", "-o", str(s))
    assert r.returncode == 0, r.stderr
    text = s.read_text(encoding="utf-8")
    assert "Stockpile sizing: gallium" in text and "Stock covering each target probability" in text
    p = tmp_path / "project.html"
    r = run("project", "lithium", "--deposit", "Thacker Pass", "--floor", "20000", "--draws", "200", "--format", "html",
            "-o", str(p))
    assert r.returncode == 0, r.stderr
    text = p.read_text(encoding="utf-8")
    assert "Project returns: lithium" in text and "NPV with the floor" in text and text.count("<svg") >= 5


def test_progress_bar_only_on_a_terminal(monkeypatch):
    from critmin.cli import montecarlo as cli

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    with cli._Bar("x", quiet=False) as bar:
        bar(0, 2, 0)
        assert bar.progress is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with cli._Bar("x", quiet=True) as bar:
        assert bar.progress is None
    with cli._Bar("gallium", quiet=False) as bar:
        bar(1, 2, 500)
        assert bar.progress is not None
        task = bar.progress.tasks[0]
        assert (task.completed, task.total) == (1, 2) and "500 scenario-years" in task.description

"""The forwardable exposure report: ``critmin exposure BOM --format html|pdf -o FILE``."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.report import exposure as rep
from tests.exposure.conftest import write_bill

runner = CliRunner()


@pytest.mark.parametrize("name", ["ev_traction_motor", "radar_module", "battery_pack"])
def test_example_reports(tmp_path, name):
    out = tmp_path / f"{name}.html"
    r = runner.invoke(app, ["exposure", "--example", name, "--rules", "usmca", "--rules", "club",
                            "--scenario", "section232-tariff-25", "--format", "html", "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    for section in ("By mineral and stage", "By country", "Cost of each policy scenario", "Eligibility under the rule sets",
                    "Alternative origins", "Assumptions and sources", "@media print"):
        assert section in text, section
    assert not re.search(r"<(script|img|iframe)[^>]+src=|<link[^>]+href=|@import|url\(http", text)  # nothing fetched
    assert f"bom_{name}.csv" in text
    # every eligibility row of the result is in the report, with its verdict in words
    from critmin import exposure as ex

    res = ex.assess(ex.example_path(name), rule_sets=["usmca", "club"])
    assert text.count("elig-yes") + text.count("elig-no") + text.count("elig-unknown") - 3 == len(res.eligibility)


def test_motor_report_shows_the_cited_range(tmp_path):
    out = tmp_path / "m.html"
    assert runner.invoke(app, ["exposure", "--example", "ev_traction_motor", "--format", "html", "-o", str(out)]).exit_code == 0
    # 20,000 motors x 1 kg NdFeB x 30-32 wt% rare earths = 6.0-6.4 t a year
    assert "6.0 t – 6.4 t" in out.read_text(encoding="utf-8")


def test_bad_bill_writes_no_report(tmp_path):
    p = write_bill(tmp_path, ["P,,,product,,,,,,USA,,,,100,1000,,", "A,X,1,orphan,coblt,1,2,,,Narnia,,,,1,,,"])
    out = tmp_path / "r.html"
    r = runner.invoke(app, ["exposure", str(p), "--format", "html", "-o", str(out)])
    assert r.exit_code == 1 and not out.exists()
    assert "row 3, column 'parent_id'" in r.stderr and "row 3, column 'supplier_country'" in r.stderr
    assert list(tmp_path.glob(".critmin-*")) == []


def test_report_needs_an_output_file():
    r = runner.invoke(app, ["exposure", "--example", "radar_module", "--format", "html"])
    assert r.exit_code == 2 and "-o FILE" in r.stderr


def test_pdf_without_chromium_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(rep, "chromium", lambda: None)
    out = tmp_path / "r.pdf"
    r = runner.invoke(app, ["exposure", "--example", "radar_module", "--format", "pdf", "-o", str(out)])
    assert r.exit_code == 3 and "Chromium" in r.stderr and not out.exists()


def test_pdf_with_chromium(tmp_path):
    if rep.chromium() is None:
        pytest.skip("no Chromium installed")
    out = tmp_path / "r.pdf"
    r = runner.invoke(app, ["exposure", "--example", "radar_module", "--format", "pdf", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF")


def test_formatting_never_prints_missing_as_zero():
    assert rep.tonnes(None, 1.0) == "—" and rep.usd(float("nan")) == "—"
    assert rep.tonnes(6.0, 6.4) == "6.0 t – 6.4 t" and rep.tonnes(0.000125, 0.000125) == "0.125 kg" and rep.tonnes(1e-7, 1e-7) == "0.1 g"
    assert rep.usd(-1_500_000) == "−$1.50 M" and rep.usd(10, 20) == "$10 to $20"
    assert re.fullmatch(r"\d+\.\d%–\d+\.\d%", rep.share_range(0.1, 0.2))

"""The three example bills end to end through the CLI, and a bad bill's exit."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.exposure import example_names
from tests.exposure.conftest import write_bill

runner = CliRunner()


@pytest.mark.parametrize("name", ["ev_traction_motor", "radar_module", "battery_pack"])
def test_examples_run_end_to_end(name):
    assert name in example_names()
    r = runner.invoke(app, ["exposure", "--example", name, "--rules", "usmca", "--rules", "ira30d", "--rules", "club",
                            "--scenario", "talks-fail-mip-gallium", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["company"] and data["indicators"] and data["eligibility"]
    assert all(row["tonnes_high"] >= row["tonnes_low"] >= 0 for row in data["company"])
    assert data["sources"]  # every example uses cited contents
    table = runner.invoke(app, ["exposure", "--example", name, "--table", "company", "--table", "diversification"])
    assert table.exit_code == 0 and "company" in table.stdout


def test_example_numbers_are_the_library_times_the_bill():
    r = runner.invoke(app, ["exposure", "--example", "ev_traction_motor", "--format", "json", "--table", "company"])
    rows = [x for x in json.loads(r.stdout)["company"] if x["stage"] == "supplier"]
    # 20,000 motors x 1 kg NdFeB (Yang et al. 2017) x 30-32 wt% rare earths
    assert rows[0]["tonnes_low"] == pytest.approx(20000 * 1.0 * 0.30 / 1000)
    assert rows[0]["tonnes_high"] == pytest.approx(20000 * 1.0 * 0.32 / 1000)


def test_bad_bill_names_every_row_and_exits_1(tmp_path):
    p = write_bill(tmp_path, ["P,,,product,,,,,,USA,,,,100,1000,,", "A,X,1,orphan,coblt,1,2,,,Narnia,,,,1,,,"])
    r = runner.invoke(app, ["exposure", str(p)])
    assert r.exit_code == 1
    err = r.stderr
    for text in ["row 3, column 'parent_id'", "row 3, column 'material'", "did you mean", "row 3, column 'content_fraction'",
                 "row 3, column 'supplier_country'", "nothing was computed"]:
        assert text in err
    j = runner.invoke(app, ["exposure", str(p), "--format", "json"])
    assert j.exit_code == 1 and len(json.loads(j.stdout)["problems"]) == 4


def test_bad_requests_exit_2(tmp_path):
    assert runner.invoke(app, ["exposure", "--example", "toaster"]).exit_code == 2
    assert runner.invoke(app, ["exposure", "--example", "radar_module", "--rules", "nafta"]).exit_code == 2
    assert runner.invoke(app, ["exposure", "--example", "radar_module", "--table", "nope"]).exit_code == 2
    assert runner.invoke(app, ["exposure"]).exit_code == 2
    lib = runner.invoke(app, ["exposure", "--library", "--format", "csv"])
    assert lib.exit_code == 0 and "ndfeb-magnet" in lib.stdout

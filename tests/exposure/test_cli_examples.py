"""The three example bills end to end through the CLI, and a bad bill's exit."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.exposure import example_names, example_path
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


def eligibility(args):
    r = runner.invoke(app, ["exposure", *args, "--table", "eligibility", "--format", "json"])
    assert r.exit_code == 0, r.output
    records = json.loads(r.stdout)["eligibility"]
    e = pd.DataFrame(records)
    e["eligible"] = pd.Series([x["eligible"] for x in records], dtype=object)  # True, False or None as published
    return e


# VNM of each example's product by hand: bought parts not declared originating, and assemblies
# without a verified rule (their origin undetermined), count as non-originating (USMCA Art. 4.5.2)
EXPECTED_USMCA = {
    "ev_traction_motor": ("TM-1", 1400.0, 1250.0, 520.0 + 2 * 15.0),   # rotor assembly + 2 bearings
    "radar_module": ("RM-1", 9000.0, 8000.0, 16 * 300.0 + 1200.0),       # 16 TR modules + Ge window
    "battery_pack": ("BP-75", 9500.0, 8800.0, 6800.0 + 30.0),            # cells + anode material
}


@pytest.mark.parametrize("name", ["ev_traction_motor", "radar_module", "battery_pack"])
def test_every_part_and_product_gets_a_verdict_and_a_reason_under_each_rule_set(name):
    e = eligibility(["--example", name, "--rules", "usmca", "--rules", "ira30d", "--rules", "club"])
    assert (e["reason"].str.len() > 0).all()
    bill = pd.read_csv(example_path(name), dtype=str, keep_default_na=False)
    parents = set(bill["parent_id"]) - {""}
    u = e[e.rule_set == "usmca"]
    for pid, parent in zip(bill["part_id"], bill["parent_id"]):
        got = set(u[u.part_id == pid]["requirement"])
        if pid in parents:  # an assembly: both RVC methods, the tariff shift and the verdict
            assert {"RVC (transaction value)", "RVC (net cost)", "tariff shift", "USMCA originating good"} <= got, pid
        else:
            assert got == {"originating material"}, pid
    root, tv, nc, vnm = EXPECTED_USMCA[name]
    p = u[u.part_id == root].set_index("requirement")
    assert p.loc["RVC (transaction value)", "value"] == pytest.approx(100 * (tv - vnm) / tv)
    assert p.loc["RVC (net cost)", "value"] == pytest.approx(100 * (nc - vnm) / nc)
    # no verified Annex 4-B rule for 8501.53, 8526.10 or 8507.60: the verdict is null with the reason
    assert p.loc["USMCA originating good", "eligible"] is None
    assert "no verified product-specific rule" in p.loc["USMCA originating good", "reason"]
    i = e[e.rule_set == "ira30d"].set_index("requirement")
    assert set(i.index) == {"critical minerals (30D(e)(1))", "battery components (30D(e)(2))", "clean-vehicle credit (30D)"}
    assert i.loc["clean-vehicle credit (30D)", "eligible"] is False and "terminated" in i.loc["clean-vehicle credit (30D)", "reason"]
    c = e[e.rule_set == "club"]
    mineral_lines = set(bill.loc[bill["material"] != "", "part_id"])
    assert set(c[c.level == "part"]["part_id"]) == mineral_lines and root in set(c["part_id"])


def test_example_verdicts_that_follow_from_the_bills():
    bp = eligibility(["--example", "battery_pack", "--rules", "ira30d", "--rules", "club", "--year", "2025"])
    cm = bp[(bp.rule_set == "ira30d") & (bp.requirement == "critical minerals (30D(e)(1))")].iloc[0]
    assert cm["eligible"] is False and "FEOC origin declared for BP-75-GRAPH" in cm["reason"]  # Chinese graphite, 2025
    club = bp[bp.rule_set == "club"].set_index("part_id")
    assert club.loc["BP-75-CELLS", "eligible"] is True and club.loc["BP-75-GRAPH", "eligible"] is False
    assert club.loc["BP-75", "eligible"] is True and club.loc["BP-75", "value"] > 0.75
    tm = eligibility(["--example", "ev_traction_motor", "--rules", "club"]).set_index("part_id")
    assert tm.loc["TM-1-MAG", "eligible"] is False and "FEOC" in tm.loc["TM-1-MAG", "reason"]


def test_a_rules_file_drives_tariff_shift_and_de_minimis_end_to_end(tmp_path):
    rules = tmp_path / "motor.yaml"
    base = ("kind: usmca\nname: motor\nterritory: [USA, CAN, MEX]\nde_minimis: {share: 0.10}\n"
            "product_specific_rules:\n  - heading: '8501'\n    rule: 'test rule for 8501'\n    tariff_shift: heading\n"
            "    rvc: {transaction_value: 60, net_cost: 50}\n")
    rules.write_text(base, encoding="utf-8")
    e = eligibility(["--example", "ev_traction_motor", "--rules", str(rules)])
    tm = e[e.part_id == "TM-1"].set_index("requirement")
    assert tm.loc["tariff shift", "eligible"] is True            # 8503 and 8482 materials change heading
    assert tm.loc["RVC (transaction value)", "eligible"] is True  # 60.7% >= 60%
    assert tm.loc["USMCA originating good", "eligible"] is True
    rules.write_text(base + "    except_from: ['8503']\n", encoding="utf-8")
    e = eligibility(["--example", "ev_traction_motor", "--rules", str(rules)])
    tm = e[e.part_id == "TM-1"].set_index("requirement")
    # the rotor (8503, 520 of a 1,400 motor) may not come from 8503: 37% of the value, above de minimis
    assert tm.loc["de minimis (Art. 4.12)", "value"] == pytest.approx(100 * 520 / 1400)
    assert tm.loc["de minimis (Art. 4.12)", "eligible"] is False
    assert tm.loc["USMCA originating good", "eligible"] is False

"""The EU's own 2023 supply risk from its published inputs (eu_crm.reproduce_published).

The formula (Blengini et al. 2017, doi:10.2873/769526)::

    SR = [HHI_WGI,t(GS) * IR/2 + HHI_WGI,t(EUS) * (1 - IR/2)] * (1 - EoL_RIR) * SI_SR
"""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.analysis.interval import Interval
from critmin.analysis.risk import eu_crm
from critmin.analysis.risk.eu_crm import EUParameters

# Two producers: China (WGI -0.5 -> scaled 6.0) with 80 %, t 1.1; Norway (WGI 1.5 -> 2.0)
# with 20 %; EU sourcing: Norway 60 % (t 0.8, EU partner), China 40 % (t 1.1).
WGI = {"CHN": -0.5, "NOR": 1.5}
GS = 0.8 ** 2 * 6.0 * 1.1 + 0.2 ** 2 * 2.0 * 1.0  # 4.224 + 0.08 = 4.304
EUS = 0.6 ** 2 * 2.0 * 0.8 + 0.4 ** 2 * 6.0 * 1.1  # 0.576 + 1.056 = 1.632


def shares(material="Testium", stage="processing", published=(("CHN", 80.0, 1.1), ("NOR", 20.0, 1.0)),
           sourcing=(("NOR", 60.0, 0.8), ("CHN", 40.0, 1.1))):
    rows = []
    for scope, block in (("global", published), ("eu_sourcing", sourcing)):
        for iso, value, t in block:
            raw = f"{value}%"
            q, v, lo, hi = ("less_than", None, None, 0.1) if value == "<0.1" else ("exact", value, value, value)
            rows.append({"material": material, "commodity_id": None, "form": "", "scope": scope, "stage": stage,
                         "country_iso3": iso, "country_name": iso, "country_kind": "country", "value": v,
                         "qualifier": q, "low": lo, "high": hi, "raw": raw, "trade_factor": t})
    return pd.DataFrame(rows)


def assessment(material="Testium", sr=3.0):
    return pd.DataFrame([{"material": material, "commodity_id": None, "form": "", "year": 2023, "indicator": "SR",
                          "value": sr, "qualifier": "exact"}])


def test_formula_by_hand():
    ir, eol, si = 0.9, 0.1, 0.95
    expected = (GS * ir / 2 + EUS * (1 - ir / 2)) * (1 - eol) * si
    df = eu_crm.reproduce_published(shares(), assessment(sr=round(expected, 1)), WGI,
                                    {"Testium": EUParameters({"processing": ir}, eol, si, "test")})
    row = df.iloc[0]
    assert row.sr_low == pytest.approx(expected) and row.sr_high == pytest.approx(expected)
    assert row.status == "reproduced" and row.consistent and row.missing == []
    assert row.difference == pytest.approx(expected - round(expected, 1))
    assert row.terms["processing_hhi_wgi_t_global"] == pytest.approx(GS)
    assert row.terms["processing_hhi_wgi_t_eu_sourcing"] == pytest.approx(EUS)


def test_a_published_sr_out_of_reach_differs():
    df = eu_crm.reproduce_published(shares(), assessment(sr=9.0), WGI,
                                    {"Testium": EUParameters({"*": 1.0}, 0.0, 1.0, "test")})
    assert df.iloc[0].status == "differs" and not df.iloc[0].consistent


def test_without_the_eu_parameters_the_sr_is_only_bounded():
    row = eu_crm.reproduce_published(shares(), assessment(sr=2.5), WGI).iloc[0]
    # IR, EoL-RIR and SI_SR each span [0, 1]: the highest SR is at IR = 1, no recycling, SI = 1
    assert row.status == "insufficient_data"
    assert row.sr_low == 0 and row.sr_high == pytest.approx(max(EUS, GS / 2 + EUS / 2))
    assert bool(row.consistent)
    assert {"processing: IR (EU import reliance)", "EoL-RIR (end-of-life recycling input rate)",
            "SI_SR (substitution index for supply risk)"} <= set(row.missing)
    above = eu_crm.reproduce_published(shares(), assessment(sr=3.5), WGI).iloc[0]
    assert not above.consistent  # higher than any parameters could give: the inputs differ


def test_a_stage_without_eu_sourcing_cannot_be_bounded():
    row = eu_crm.reproduce_published(shares(sourcing=()), assessment(), WGI).iloc[0]
    assert row.sr_high is None and row.consistent is None
    assert any("EU sourcing shares" in m for m in row.missing)


def test_bounded_shares_and_unknown_governance_widen_the_range():
    s = shares(published=(("CHN", 80.0, 1.1), ("NOR", 20.0, 1.0), ("ATA", "<0.1", 1.0)))
    row = eu_crm.reproduce_published(s, assessment(), WGI, {"Testium": EUParameters({"*": 1.0}, 0.0, 1.0, "t")}).iloc[0]
    # Antarctica has no WGI: 0-10; its share is at most 0.1 %: adds at most 0.001**2 * 10 / 2
    assert row.sr_low == pytest.approx(GS / 2 + EUS / 2)
    assert row.sr_high == pytest.approx(GS / 2 + EUS / 2 + 0.001 ** 2 * 10 / 2)


def test_parameters_per_stage_and_the_higher_stage():
    s = pd.concat([shares(stage="processing"), shares(stage="extraction", published=(("NOR", 100.0, 1.0),),
                                                      sourcing=(("NOR", 100.0, 0.8),))])
    p = EUParameters({"extraction": 0.0, "processing": 1.0}, 0.0, 1.0, "t")
    row = eu_crm.reproduce_published(s, assessment(), WGI, {"Testium": p}).iloc[0]
    assert row.sr_low == pytest.approx(max(GS / 2 + EUS / 2, 2.0 * 0.8))
    assert row.terms["extraction_sr"] == pytest.approx(1.6)


def test_parameters_file(tmp_path):
    from critmin.cli.risk import read_eu_parameters
    from critmin.errors import CritminError

    f = tmp_path / "p.csv"
    f.write_text("material,stage,import_reliance,eol_rir,substitution_index,source\n"
                 "Natural rubber,extraction,1.0,0,0.9,EC 2023 factsheet\nBarytes,,0.7,,,\n")
    params = read_eu_parameters(f)
    assert set(params) == {"Natural Rubber", "Baryte"}  # any spelling, one material
    assert params["Natural Rubber"].ir("extraction") == Interval.exact(1.0)
    assert params["Baryte"].ir("processing") == Interval.exact(0.7) and params["Baryte"].source == "user assumption"
    f.write_text("material,stage,import_reliance\nGallium,refining,0.5\n")
    with pytest.raises(CritminError, match="row 2, column 'stage'"):
        read_eu_parameters(f)
    f.write_text("material,import_reliance\nGallium,98\n")
    with pytest.raises(CritminError, match=r"row 2, column 'import_reliance'.*\[0, 1\]"):
        read_eu_parameters(f)


def test_on_the_committed_snapshot():
    from critmin import kb, snapshot
    from critmin.analysis.risk import governance

    if not (snapshot.default_dir() / "manifest.json").is_file():
        pytest.skip("no committed snapshot")
    t = kb.read_tables(["eu_crm_supply_shares", "eu_crm_assessment", "governance"])
    wgi, _ = governance.estimates(t["governance"], governance.SIX, year=2021)
    df = eu_crm.reproduce_published(t["eu_crm_supply_shares"], t["eu_crm_assessment"], wgi).set_index("material")
    assert len(df) == 70  # materials with a numeric SR in 2023 (Bauxite is '-': merged with aluminium)
    assert (df["status"] == "insufficient_data").all()  # IR, EoL-RIR and SI_SR are in no file
    # the groups have no global shares of their own; six materials have no EU sourcing at extraction
    unbounded = set(df.index[df["consistent"].isna()])
    assert unbounded == {"Aggregates", "HREEs", "LREEs", "PGMs", "Xenon", "Beryllium", "Cobalt", "Lithium",
                         "Niobium", "Titanium metal", "Vanadium"}
    assert df["consistent"].sum() >= 50
    # one name per material: the global ('Natural rubber') and EU ('Natural Rubber') shares meet
    assert df.loc["Natural Rubber", "consistent"] == True  # noqa: E712 (a numpy bool)

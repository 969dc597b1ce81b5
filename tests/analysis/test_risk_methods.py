"""The risk methods on hand-computed cases, and the rules every method keeps."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.analysis.interval import Interval
from critmin.analysis.risk import composite, eu_crm, geopolrisk, governance, usgs2021
from critmin.analysis.risk.result import BOUNDED, INSUFFICIENT, OK

WGI = {"CHN": -0.5, "AUS": 1.5, "COD": -1.5, "DEU": 1.5}


def test_governance_scalings():
    assert governance.eu_scaled(-0.5) == pytest.approx(6.0)
    assert governance.unit_scaled(-0.5) == pytest.approx(0.6)
    assert governance.scaled_interval(None, "eu") == Interval(0.0, 10.0)


def test_eu_hhi_wgi_t_hand_computed():
    shares = [eu_crm.Share("CHN", Interval.exact(0.8), 1.1), eu_crm.Share("AUS", Interval.exact(0.2), 1.0)]
    v, missing, notes = eu_crm.hhi_wgi_t(shares, WGI)
    # 0.64 * 6.0 * 1.1 + 0.04 * 2.0 * 1.0
    assert v.point == pytest.approx(0.64 * 6.0 * 1.1 + 0.04 * 2.0)
    assert not missing and not notes


def test_eu_supply_risk_hand_computed():
    gs = [eu_crm.Share("CHN", Interval.exact(0.8), 1.0), eu_crm.Share("AUS", Interval.exact(0.2), 1.0)]
    eus = [eu_crm.Share("DEU", Interval.exact(0.5), 0.8), eu_crm.Share("CHN", Interval.exact(0.5), 1.0)]
    inp = eu_crm.StageInputs(gs, eus, import_reliance=0.6, eol_rir=0.1, substitution_index=0.9)
    r = eu_crm.supply_risk_stage(inp, WGI)
    hgs = 0.64 * 6 + 0.04 * 2
    heu = 0.25 * 2 * 0.8 + 0.25 * 6
    expected = (hgs * 0.3 + heu * 0.7) * 0.9 * 0.9
    assert r.status == OK and r.score == pytest.approx(expected)
    assert r.terms["hhi_wgi_t_global"] == pytest.approx(hgs)
    assert r.terms["concentration_term"] == pytest.approx(hgs * 0.3 + heu * 0.7)


def test_eu_missing_parameters_listed_never_invented():
    gs = [eu_crm.Share("CHN", Interval.exact(1.0), 1.0)]
    r = eu_crm.supply_risk_stage(eu_crm.StageInputs(gs, gs, 1.0, None, None), WGI)
    assert r.status == INSUFFICIENT and r.score is None and r.low is None
    assert any("EoL-RIR" in m for m in r.missing) and any("SI_SR" in m for m in r.missing)
    assert r.terms["hhi_wgi_t_global"] == pytest.approx(6.0)  # the breakdown is still there


def test_eu_missing_trade_factor_is_missing_unless_default_given():
    gs = [eu_crm.Share("CHN", Interval.exact(1.0))]
    r = eu_crm.supply_risk_stage(eu_crm.StageInputs(gs, gs, 1.0, 0.0, 1.0), WGI)
    assert r.status == INSUFFICIENT and "trade variable t of CHN" in r.missing
    r1 = eu_crm.supply_risk_stage(eu_crm.StageInputs(gs, gs, 1.0, 0.0, 1.0), WGI, default_trade_factor=1.0)
    assert r1.score == pytest.approx(6.0)


def test_eu_bounded_share_and_unknown_wgi_give_bounds():
    gs = [eu_crm.Share("CHN", Interval.exact(0.9), 1.0), eu_crm.Share("SMR", Interval(0.0, 0.001), 1.0)]
    r = eu_crm.supply_risk_stage(eu_crm.StageInputs(gs, gs, 1.0, 0.0, 1.0), WGI)
    assert r.status == BOUNDED and r.score is None
    assert r.low == pytest.approx(0.81 * 6.0) and r.high == pytest.approx(0.81 * 6.0 + 1e-6 * 10.0)


def test_eu_higher_stage_reported():
    ext = eu_crm.StageInputs([eu_crm.Share("AUS", Interval.exact(1.0), 1.0)], [eu_crm.Share("AUS", Interval.exact(1.0), 1.0)], 1.0, 0.0, 1.0)
    proc = eu_crm.StageInputs([eu_crm.Share("CHN", Interval.exact(1.0), 1.0)], [eu_crm.Share("CHN", Interval.exact(1.0), 1.0)], 1.0, 0.0, 1.0)
    r = eu_crm.supply_risk({"extraction": ext, "processing": proc}, WGI)
    assert r.stage == "processing" and r.score == pytest.approx(6.0)
    assert r.terms["extraction_sr"] == pytest.approx(2.0)


def test_usgs2021_hand_computed_and_missing_ev():
    shares = {"CHN": Interval.exact(0.6), "AUS": Interval.exact(0.4)}
    r = usgs2021.supply_risk(shares, WGI, Interval.exact(0.8), 0.5)
    dp = 0.36 * 0.6 + 0.16 * 0.2
    assert r.score == pytest.approx(dp * 0.8 * 0.5)
    r2 = usgs2021.supply_risk(shares, WGI, Interval(0.95, 1.0))
    assert r2.status == INSUFFICIENT and r2.terms["dp_x_te"] == [pytest.approx(dp * 0.95), pytest.approx(dp)]
    assert any(m.startswith("EV") for m in r2.missing)


def test_geopolrisk_hand_computed_and_variants():
    pv = {"CHN": -0.5, "AUS": 1.0}
    shares = [("CHN", Interval.exact(0.7)), ("AUS", Interval.exact(0.3))]
    wi = 0.7 * 0.6 + 0.3 * 0.3
    r = geopolrisk.score(0.5, shares, pv, 0.8)
    assert r.score == pytest.approx(0.5 * wi * 0.8)
    r16 = geopolrisk.score(0.5, shares, pv, variant="2016")
    assert r16.score == pytest.approx(0.5 * wi) and r16.version.startswith("Gemechu")
    r_missing = geopolrisk.score(0.5, shares, pv)
    assert r_missing.status == INSUFFICIENT and "F/(p+F)" in r_missing.missing[0]


def test_geopolrisk_unassigned_share_is_bounded():
    r = geopolrisk.score(1.0, [("CHN", Interval.exact(0.9)), (None, Interval.exact(0.1))], {"CHN": -0.5}, 1.0)
    assert r.status == BOUNDED and r.low == pytest.approx(0.54) and r.high == pytest.approx(0.64)


def test_composite_hand_computed_weights_and_missing():
    r = composite.score({"hhi": 0.5, "feoc_share": 0.8, "import_reliance": Interval.exact(1.0), "export_control_share": 0.8})
    assert r.score == pytest.approx(0.25 * 0.5 + 0.25 * 0.8 + 0.30 * 1.0 + 0.20 * 0.8)
    r2 = composite.score({"hhi": 0.5, "feoc_share": None, "import_reliance": 1.0, "export_control_share": 0.0})
    assert r2.status == INSUFFICIENT and r2.score is None
    assert r2.missing == ("FEOC share of world production of the stage",)
    with pytest.raises(ValueError):
        composite.score({"hhi": 0.5}, weights={"hhi": 0.5})


unit = st.floats(min_value=0, max_value=1, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(unit, unit, unit, unit, st.sampled_from(["hhi", "feoc_share", "import_reliance", "export_control_share"]))
def test_composite_missing_input_never_becomes_zero(a, b, c, d, drop):
    terms = {"hhi": a, "feoc_share": b, "import_reliance": c, "export_control_share": d}
    full = composite.score(terms)
    assert 0 <= full.score <= 1
    terms[drop] = None
    r = composite.score(terms)
    assert r.status == INSUFFICIENT and r.score is None and r.low is None


@settings(max_examples=80, deadline=None)
@given(st.lists(unit, min_size=1, max_size=6), unit, unit)
def test_usgs_and_geopolrisk_stay_in_unit_interval(raw, te, ev):
    total = sum(raw) or 1.0
    shares = {f"C{i}": Interval.exact(x / total) for i, x in enumerate(raw)}
    wgi = {f"C{i}": -2.5 + 5 * x for i, x in enumerate(raw)}
    r = usgs2021.supply_risk(shares, wgi, te, ev)
    assert 0 <= r.score <= 1
    imp = [(c, s) for c, s in shares.items()]
    g = geopolrisk.score(sum(s.low**2 for s in shares.values()), imp, wgi, 1.0)
    assert 0 <= g.score <= 1 + 1e-9

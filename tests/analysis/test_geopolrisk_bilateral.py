"""GeoPolRisk on bilateral trade: hand-computed cases, units never mixed, bounds exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.analysis.interval import Interval
from critmin.analysis.risk import geopolrisk as gpr
from critmin.analysis.risk.result import BOUNDED, INSUFFICIENT, OK

PV = {"CHL": 0.5, "CHN": -0.5, "ARG": 0.0}  # g = (2.5 - PV) / 5 -> 0.4, 0.6, 0.5


def block(gross, value, codes=("283691",), partners=("CHL", "CHN"), lo=None, hi=None, basis="Li"):
    gross, value = np.asarray(gross, float), np.asarray(value, float)
    lo = np.array([0.1879] * len(codes)) if lo is None else np.asarray(lo, float)
    hi = lo if hi is None else np.asarray(hi, float)
    return gpr.TradeBlock("USA", "lithium", "processing", 2024, tuple(codes), tuple(partners), tuple(p or "agg" for p in partners),
                          gross, value, lo, hi, basis)


def test_hand_computed_with_domestic_production():
    # CHL 60 t, CHN 40 t of carbonate = 11.274 and 7.516 t Li; p = 5 t Li
    b = block([[60.0], [40.0]], [[600.0], [400.0]])
    f_chl, f_chn = 60 * 0.1879, 40 * 0.1879
    expected = 0.5 * (0.4 * f_chl + 0.6 * f_chn) / (5 + f_chl + f_chn)
    r = gpr.score_bilateral(0.5, b, PV, Interval.exact(5.0))
    assert r.status == OK and r.score == pytest.approx(expected, abs=1e-6)
    assert r.terms["import_fraction"] == pytest.approx((f_chl + f_chn) / (5 + f_chl + f_chn), abs=1e-6)
    assert r.terms["weighted_instability"] == pytest.approx((0.4 * 60 + 0.6 * 40) / 100, abs=1e-6)
    assert r.terms["partners"].startswith("CHL 60%") and r.terms["derived_from"] == "baci"
    assert r.terms["import_price_usd_per_kg"] == pytest.approx(1000 / 100_000)


def test_no_domestic_production_any_consistent_unit():
    # two codes, one without a factor: shares by value, F/(p+F) = 1 because p = 0
    b = block([[10.0, 0.0], [0.0, 30.0]], [[100.0, 0.0], [0.0, 300.0]], codes=("282200", "810510"), lo=[0.536, np.nan],
              hi=[0.7865, np.nan], basis=None)
    r = gpr.score_bilateral(0.4, b, PV, Interval(0.0, 0.0))
    assert r.status == OK and r.terms["measure"] == "value"
    assert r.score == pytest.approx(0.4 * (0.4 * 100 + 0.6 * 300) / 400)
    assert any("by value" in n for n in r.notes)


def test_production_in_other_units_is_never_added_to_gross_trade():
    b = block([[10.0, 0.0], [0.0, 30.0]], [[100.0, 0.0], [0.0, 300.0]], codes=("282200", "810510"), lo=[0.536, np.nan],
              hi=[0.7865, np.nan], basis=None)
    r = gpr.score_bilateral(0.4, b, PV, Interval.exact(50.0), production_note="USGS 50 t Co")
    assert r.status == INSUFFICIENT and r.score is None
    assert any("cannot be added" in n for n in r.notes)
    # with the USGS salient fraction instead: the same identity in two consistent parts
    r2 = gpr.score_bilateral(0.4, b, PV, None, import_fraction=Interval.exact(0.8), fraction_source="USGS salient")
    assert r2.status == OK and r2.score == pytest.approx(0.4 * 0.55 * 0.8) and r2.terms["derived_from"] == "baci+usgs_salient"


def test_no_imports_is_insufficient_never_zero():
    r = gpr.score_bilateral(0.5, None, PV, Interval(0.0, 0.0))
    assert r.status == INSUFFICIENT and r.score is None and r.low is None
    assert any("recorded imports" in m for m in r.missing)


def test_unknown_governance_and_aggregate_partner_give_bounds():
    b = block([[50.0], [50.0]], [[1.0], [1.0]], partners=("CHL", None))
    r = gpr.score_bilateral(1.0, b, PV, Interval(0.0, 0.0))
    assert r.status == BOUNDED and r.low == pytest.approx(0.5 * 0.4) and r.high == pytest.approx(0.5 * 0.4 + 0.5)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.one_of(st.just(0.0), st.floats(1e-6, 1000)), st.one_of(st.just(0.0), st.floats(1e-6, 1000))),
             min_size=1, max_size=4),
    st.floats(0, 500), st.floats(0.05, 1.0),
)
def test_bounds_contain_every_factor_choice(gross_rows, p, hhi):
    g = np.array(gross_rows, float)
    if g.sum() <= 0:
        return
    partners = ("CHL", "CHN", "ARG", "CHL")[: len(g)]
    lo, hi = np.array([0.1654, 0.1879]), np.array([0.4645, 0.1879])
    b = block(g, g + 1, codes=("282520", "283691"), partners=partners, lo=lo, hi=hi)
    r = gpr.score_bilateral(hhi, b, PV, Interval.exact(p))
    assert r.status in (OK, BOUNDED)
    gi = np.array([(2.5 - PV[c]) / 5 for c in partners])
    for k1 in np.linspace(lo[0], hi[0], 7):
        k = np.array([k1, 0.1879])
        f = g @ k
        if f.sum() <= 0:
            continue
        v = hhi * (gi @ f) / (p + f.sum())
        assert r.low - 1e-6 <= v <= r.high + 1e-6  # results are rounded to 6 digits
    assert 0 <= r.low <= r.high <= hhi + 1e-12

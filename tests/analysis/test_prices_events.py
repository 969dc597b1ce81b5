import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.analysis import events as ev
from critmin.analysis import prices as pr


def annual(values: dict[int, float]) -> pd.Series:
    return pd.Series(list(values.values()), index=pd.PeriodIndex([pd.Period(year=y, freq="Y") for y in values], freq="Y"))


def test_log_returns_skip_gaps():
    s = annual({2018: 100.0, 2019: 110.0, 2021: 121.0, 2022: 133.1})
    r = pr.log_returns(s)
    assert [str(p) for p in r.index] == ["2019", "2022"]
    assert r.iloc[0] == pytest.approx(math.log(1.1))


def test_volatility_hand_computed():
    s = annual({2018: 100.0, 2019: 120.0, 2020: 90.0, 2021: 108.0})
    r = np.log([1.2, 0.75, 1.2])
    assert pr.annualised_volatility(s) == pytest.approx(float(np.std(r, ddof=1)))
    m = pd.Series([100.0, 101.0, 99.0, 102.0], index=pd.period_range("2024-01", periods=4, freq="M"))
    rm = np.log([1.01, 99 / 101, 102 / 99])
    assert pr.annualised_volatility(m) == pytest.approx(float(np.std(rm, ddof=1)) * math.sqrt(12))
    assert pr.annualised_volatility(annual({2018: 1.0, 2019: 2.0})) is None


def test_drawdown_and_growth():
    s = annual({2018: 100.0, 2019: 150.0, 2020: 60.0, 2021: 120.0})
    dd = pr.max_drawdown(s)
    assert dd["drawdown"] == pytest.approx(0.6) and dd["peak"] == "2019" and dd["trough"] == "2020"
    g = pr.growth(s)
    assert g["cagr"] == pytest.approx(1.2 ** (1 / 3) - 1) and g["years"] == 3


def test_around_event_monthly():
    m = pd.Series(np.arange(1.0, 25.0), index=pd.period_range("2023-01", periods=24, freq="M"))
    a = pr.around_event(m, "2023-08-01")  # gallium controls effective 1 Aug 2023
    assert a["before_period"] == "2023-07" and a["after_period"] == "2024-08"
    assert a["change"] == pytest.approx(20.0 / 7.0 - 1)
    assert pr.around_event(m, "2030-01-01") is None


def test_to_series_leaves_codes_out():
    df = pd.DataFrame({"year": [2020, 2021, 2022], "value": [1.0, None, 3.0], "qualifier": ["exact", "withheld", "estimated"]})
    s = pr.to_series(df, freq="Y")
    assert [str(p) for p in s.index] == ["2020", "2022"]
    with pytest.raises(ValueError):
        pr.log_returns(annual({2020: 1.0, 2021: 0.0}))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=1e5), min_size=2, max_size=30))
def test_drawdown_in_unit_interval(values):
    s = pd.Series(values, index=pd.period_range("2000", periods=len(values), freq="Y"))
    dd = pr.max_drawdown(s)["drawdown"]
    assert 0 <= dd < 1


def test_policy_events():
    ec = pd.DataFrame([{"country_iso3": "CHN", "commodity_id": "gallium", "control_type": "export licensing",
                        "materials": "Gallium; Germanium", "announced_date": pd.Timestamp("2023-07-03"),
                        "effective_date": pd.Timestamp("2023-08-01"), "year": 2023, "status": "active", "source_id": "ec"},
                       {"country_iso3": "IDN", "commodity_id": "nickel", "control_type": "export ban", "materials": "nickel ore",
                        "announced_date": None, "effective_date": None, "year": 2020, "status": "in force", "source_id": "t4"}])
    ag = pd.DataFrame([{"country_iso3": "AUS", "agreement": "Framework", "signing_date": pd.Timestamp("2025-10-20"), "source_id": "t5"}])
    e = ev.policy_events(ec, ag)
    ga = ev.events_for(e, ["gallium"])
    assert ga.iloc[0]["date"] == pd.Timestamp("2023-08-01") and ga.iloc[0]["kind"] == "export_control"
    assert "nickel" not in set(ga["commodity_id"].dropna())
    assert (e["precision"] == "year").sum() == 1
    assert (e["kind"] == "us_policy").sum() == 3


def test_splice_vintages_joins_renamed_series_latest_wins():
    rows = pd.DataFrame([
        {"vintage": 2025, "detail": "Price_LME_dlb", "unit": "dollars per pound", "year": 2023, "value": 15.48, "qualifier": "exact", "raw": "15.48"},
        {"vintage": 2025, "detail": "Price_LME_dlb", "unit": "dollars per pound", "year": 2024, "value": 10.0, "qualifier": "estimated", "raw": "10"},
        {"vintage": 2026, "detail": "Price, LME, cash", "unit": "dollars per pound", "year": 2023, "value": 15.48, "qualifier": "exact", "raw": "15.48"},
        {"vintage": 2026, "detail": "Price, LME, cash", "unit": "dollars per pound", "year": 2024, "value": 10.1, "qualifier": "exact", "raw": "10.1"},
        {"vintage": 2026, "detail": "Price, spot", "unit": "dollars per pound", "year": 2024, "value": 12.0, "qualifier": "exact", "raw": "12"},
    ])
    out = pr.splice_vintages(rows)
    lme = out[out["series"] == "Price, LME, cash"].set_index("year")["value"]
    assert lme.to_dict() == {2023: 15.48, 2024: 10.1}        # revised 2024 value wins
    assert set(out["series"]) == {"Price, LME, cash", "Price, spot"}
    assert "Price_LME_dlb" in out[out["series"] == "Price, LME, cash"]["series_names"].iloc[0]

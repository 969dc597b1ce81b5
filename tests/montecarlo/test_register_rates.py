"""Event rates counted from the register: a hand-made register, and the real snapshot."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from critmin.model.montecarlo import register_rates as rr


def register(rows):
    cols = ["measure_id", "country_iso3", "commodity_id", "control_type", "year", "effective_date", "status",
            "scope_notes", "source_id"]
    return pd.DataFrame(rows, columns=cols)


def cn(mid, cid, control, effective, notes="", source=rr.REGISTER_SOURCE, year=None):
    return [mid, "CHN", cid, control, year, pd.Timestamp(effective) if effective else None, "active", notes, source]


def test_a_small_register_counts_as_documented():
    ec = register([
        cn("A", "gallium", "Export licensing (dual-use)", "2023-07-01"),
        cn("A", "germanium", "Export licensing (dual-use)", "2023-07-01"),
        cn("B", "gallium", "Ban in principle on exports to the US (Ga, Ge)", "2024-07-01",
           "suspended (reported 2025-07-01, x)"),
        cn("B", "germanium", "Ban in principle on exports to the US (Ga, Ge)", "2024-07-01",
           "suspended (reported 2025-07-01, x)"),
        cn("C", "antimony", "Export licensing (dual-use)", "2025-12-01", "suspended 2025-11-07 by No. 70"),  # never effective
        cn("D", "graphite", "Technology export prohibition", "2024-01-01"),  # technology: not counted
    ])
    measures = rr.china_measures(ec, {})
    assert {(m.measure_id, m.commodity_id, m.kind) for m in measures} == {
        ("A", "gallium", "licensing"), ("A", "germanium", "licensing"), ("B", "gallium", "ban_us"),
        ("B", "germanium", "ban_us")}
    ban = rr.cn_ban_us(measures)
    # each: licensed 2023-07-01, at risk until 2024-07-01, banned until 2025-07-01, at risk again until 2025-12-31
    one = (dt.date(2024, 7, 1) - dt.date(2023, 7, 1)).days + (dt.date(2025, 12, 31) - dt.date(2025, 7, 1)).days
    assert ban.events == 2 and ban.n_decisions == 1
    assert ban.exposure_years == pytest.approx(2 * one / 365.25)
    # the spread comes from one decision, the mean from two commodity events
    assert ban.shape == 1.5
    assert ban.shape / ban.rate == pytest.approx(2.5 / ban.exposure_years)
    new = rr.cn_new_licensing(measures, {"gallium", "germanium", "cobalt"})
    assert new.events == 2 and new.n_decisions == 1
    assert new.exposure_years == pytest.approx((2 * 181 + 1095) / 365.25)


def test_mean_probability_is_the_gamma_expectation():
    r = rr.RegisterRate("x", 3, 10.0, "w", "d", decisions=2)
    lam = np.random.default_rng(0).gamma(r.shape, 1 / r.rate, 400_000)
    assert r.mean_probability == pytest.approx(np.mean(1 - np.exp(-lam)), abs=2e-3)


def test_an_unmappable_ban_clause_fails():
    ec = register([cn("A", "gallium", "Export licensing", "2023-07-01"),
                   cn("B", "gallium", "Ban in principle on exports to the US (Ga, unobtainium)", "2024-07-01")])
    with pytest.raises(ValueError, match="unobtainium"):
        rr.china_measures(ec, {})


def test_governance_terciles():
    groups, cuts = rr.governance_groups({"A": -1.0, "B": 0.0, "C": 1.0, "D": -0.5, "E": 0.5, "F": 2.0})
    assert groups["A"] == "wgi_low" and groups["F"] == "wgi_high" and cuts[0] < cuts[1]


@pytest.fixture(scope="module")
def derived():
    from critmin.kb import read_tables

    tables = read_tables(["export_controls", "production", "governance", "commodities"])
    return rr.derive_rates(tables)


def test_the_register_gives_the_2024_us_ban(derived):
    rates, inputs = derived
    ban = rates["cn_ban_us"]
    assert sorted(e.split()[0] for e in ban.event_list) == ["antimony", "diamond-industrial", "gallium", "germanium"]
    assert ban.n_decisions == 1
    assert 5 < ban.exposure_years < 30
    assert {"gallium", "germanium", "graphite", "antimony", "tungsten", "rare-earths"} <= set(inputs["china_licensed"])
    # lithium's battery measure (No. 58) was suspended before it took effect: not licensed
    assert "lithium" not in inputs["china_licensed"]
    low = rates["other_restriction:wgi_low"]
    assert any(e.startswith("COD cobalt") for e in low.event_list)
    assert all(not e.startswith("CHN") for g in ("wgi_low", "wgi_mid", "wgi_high")
               for e in rates[f"other_restriction:{g}"].event_list)

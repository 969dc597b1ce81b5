import math

import pandas as pd
import pytest

from critmin.analysis import dependency as dep
from critmin.analysis.interval import Interval
from tests.analysis.frames import salient_rows


def test_nir_from_flows_matches_usgs_cobalt_2021():
    # MCS 2025 cobalt salient 2021: imports 9,790 t, exports 4,930 t, apparent consumption
    # 6,650 t, published NIR 73 %.
    assert round(dep.nir_from_flows(9790, 4930, 6650)) == 73


def test_nir_from_flows_refuses_missing():
    with pytest.raises(ValueError, match="not 0"):
        dep.nir_from_flows(100, float("nan"), 50)
    assert dep.nir_from_flows(1, 0, 0) is None


def _cobalt_salient():
    rows = []
    for year, (imp, exp, ac, ind, lme, nir) in {2020: (9740, 3430, 8480, 952, 82, 76), 2021: (9790, 4930, 6650, 1010, 50, 73)}.items():
        rows += salient_rows("cobalt", year, {
            "USprod_Mine_t": ("production", 600, "metric tons"),
            "USprod_Secondary_t": ("production", 2010, "metric tons"),
            "Imports_t": ("imports", imp, "metric tons"), "Exports_t": ("exports", exp, "metric tons"),
            "Consump_Estimated_t": ("consumption", 7000, "metric tons"),
            "Consump_Apparent_t": ("consumption", ac, "metric tons"),
            "Stocks_Industry_t": ("stocks", ind, "metric tons"), "Stocks_LME_t": ("stocks", lme, "metric tons"),
            "NIR_pct": ("nir", nir, "percent"),
        })
    return pd.DataFrame(rows)


def test_computed_nir_with_stock_change_side_by_side():
    side = dep.nir_side_by_side(_cobalt_salient())
    r = side[side["year"] == 2021].iloc[0]
    # Stocks rose 1010+50 - (952+82) = +26 t: release -26.
    assert r["stock_change_included"] and r["stock_release"] == pytest.approx(-26)
    assert r["computed_nir"] == pytest.approx(100 * (9790 - 4930 - 26) / 6650)
    assert abs(r["difference"]) < 1.0  # USGS rounds NIR to whole percent
    first = side[side["year"] == 2020].iloc[0]
    assert not first["stock_change_included"] and "stock change not included" in first["reason"]


def test_computed_nir_never_uses_a_code_as_zero():
    rows = salient_rows("gallium", 2024, {
        "Imports_kg": ("imports", 5000, "kilograms"), "Exports_kg": ("exports", "NA", "kilograms"),
        "Consump_kg": ("consumption", 15000, "kilograms"), "NIR_pct": ("nir", 100, "percent")})
    side = dep.nir_side_by_side(pd.DataFrame(rows))
    r = side.iloc[0]
    assert r["computed_nir"] is None or pd.isna(r["computed_nir"])
    assert "exports is not_available" in r["reason"]
    assert pd.isna(r["difference"])


def test_reliance_interval():
    assert dep.reliance_interval(None, "greater_than", 95, None) == Interval(0.95, 1.0)
    assert dep.reliance_interval(None, "net_exporter") == Interval(0.0, 0.0)
    assert dep.reliance_interval(76.0, "exact", 76, 76) == Interval(0.76, 0.76)
    assert dep.reliance_interval(None, "withheld") is None


def _shares():
    rows = [("CHN", "China", 50.0, "exact"), ("HKG", "Hong Kong", None, "less_than"), ("CAN", "Canada", 20.0, "exact"),
            ("JPN", "Japan", 10.0, "exact"), ("AUS", "Australia", 5.0, "exact"), (None, "Other", 14.0, "exact")]
    out = []
    for iso, name, v, q in rows:
        out.append({"vintage": 2026, "commodity_id": "x", "form": "", "partner_iso3": iso, "partner_name": name,
                    "partner_kind": "country" if iso else "other", "period": "2021–24", "value": v, "qualifier": q,
                    "low": v, "high": 1.0 if q == "less_than" else v, "raw": "", "notes": "", "source_id": "mcs2026"})
    return pd.DataFrame(out)


def test_import_group_shares_bounds_and_groups():
    groups = dep.partner_groups({"G7": {"USA", "CAN", "JPN", "DEU"}, "USMCA": {"USA", "CAN", "MEX"}}, ["AUS", "CHN", "JPN"])
    assert "CHN" not in groups["agreement"] and "USA" not in groups["g7"]
    g = dep.import_group_shares(_shares(), groups, {"x": frozenset({"CHN"})}).iloc[0]
    assert g["feoc_share"] == pytest.approx(0.50)           # HKG '<1' counts 0 at the low end
    assert g["feoc_share_max"] == pytest.approx(0.50 + 0.01 + 0.14)
    assert g["g7_share"] == pytest.approx(0.30)
    assert g["usmca_share"] == pytest.approx(0.20)
    assert g["agreement_share"] == pytest.approx(0.15)
    assert g["allies_share"] == pytest.approx(0.35)
    assert g["export_control_share"] == pytest.approx(0.50)
    assert g["unassigned_share"] == pytest.approx(0.14)
    assert g["status"] == "ok"


def test_import_group_shares_withheld_is_insufficient():
    df = _shares()
    df.loc[df["partner_iso3"] == "CAN", ["value", "qualifier"]] = [None, "withheld"]
    g = dep.import_group_shares(df, dep.partner_groups({"G7": set(), "USMCA": set()})).iloc[0]
    assert g["status"] == "insufficient_data" and g["missing"] == ["share of Canada"]


def test_in_force_and_export_control_countries():
    assert dep.in_force("active") and not dep.in_force("suspended 2025-11-07 by No. 70")
    assert not dep.in_force(None) and not dep.in_force("lifted")
    ec = pd.DataFrame({"commodity_id": ["gallium", "gallium", "cobalt"], "country_iso3": ["CHN", "RUS", "COD"],
                       "status": ["active", "lifted", "in force"]})
    assert dep.export_control_countries(ec, ["gallium"]) == frozenset({"CHN"})
    assert dep.export_control_countries(ec, ["cobalt"]) == frozenset({"COD"})


def test_customs_by_partner_shares_of_listed():
    t = pd.DataFrame([
        {"flow": "imports", "measure": "customs_value", "period": "annual", "commodity_ids": ["gallium", "germanium"],
         "hts": "8112", "partner_iso3": "CHN", "partner_name": "China", "year": 2024, "value": 300.0, "qualifier": "exact"},
        {"flow": "imports", "measure": "customs_value", "period": "annual", "commodity_ids": ["gallium"],
         "hts": "8112", "partner_iso3": "JPN", "partner_name": "Japan", "year": 2024, "value": 100.0, "qualifier": "exact"},
        {"flow": "imports", "measure": "customs_value", "period": "annual", "commodity_ids": ["gallium"],
         "hts": "8112", "partner_iso3": "DEU", "partner_name": "Germany", "year": 2024, "value": None, "qualifier": "withheld"},
    ])
    c = dep.customs_by_partner(t, "gallium")
    assert c.set_index("partner_iso3")["share_of_listed"].to_dict() == {"CHN": 0.75, "JPN": 0.25}
    tot = dep.customs_import_totals(t)
    assert tot.set_index("commodity_id").loc["gallium", "customs_value_usd"] == 400.0


def test_import_fraction():
    rows = salient_rows("x", 2024, {"USprod_Mine_t": ("production", 100, "metric tons"),
                                    "USprod_Secondary_t": ("production", 50, "metric tons"),
                                    "Imports_t": ("imports", 300, "metric tons")})
    f = dep.import_fraction(pd.DataFrame(rows)).iloc[0]
    assert f["import_fraction"] == pytest.approx(0.75)
    rows_w = salient_rows("x", 2024, {"USprod_Mine_t": ("production", "W", "metric tons"),
                                      "Imports_t": ("imports", 300, "metric tons")})
    fw = dep.import_fraction(pd.DataFrame(rows_w)).iloc[0]
    assert pd.isna(fw["import_fraction"]) and fw["reason"] == "production is withheld"

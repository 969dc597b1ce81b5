"""Domestic production by stage and F/(p+F), and the USGS-WMD reconciliation."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.analysis import concentration as conc
from critmin.analysis import domestic_supply as ds
from critmin.analysis import reconciliation as rec
from critmin.analysis.interval import Interval
from tests.analysis.frames import prod_rows, production


@pytest.mark.parametrize(
    "text, statistic, stage",
    [
        ("Production, Refinery: Primary (from ore)", "production", "processing"),
        ("Production: Mine, recoverable", "production", "mine"),
        ("Production, Refinery: Secondary (from scrap)", "production", "secondary"),
        ("Imports for consumption: Ore and concentrate", "imports", "mine"),
        ("Imports for consumption: Refined", "imports", "processing"),
        ("Imports for consumption: Refined metal, unwrought", "imports", "processing"),
        ("Imports for consumption: Gallium arsenide wafers (gross weight)", "imports", "products"),
        ("Production, zirconium ores and concentrates [zirconium oxide (ZrO2) content]", "production", "mine"),
        ("Imports for consumption: Total", "imports", "total"),
        ("Imports for consumption", "imports", "unspecified"),
    ],
)
def test_classify(text, statistic, stage):
    assert ds.classify(text, statistic) == stage


def _salient(rows):
    return pd.DataFrame([{"vintage": 2026, "commodity_id": c, "form": f, "year": 2025, "statistic": st, "detail": d,
                          "value": v, "qualifier": q, "low": v, "high": v, "raw": str(v), "unit": u, "source_id": "usgs_mcs2026"}
                         for c, f, st, d, v, q, u in rows])


def test_us_stage_fraction_copper_like():
    s = _salient([
        ("copper", None, "production", "Production: Mine, recoverable", 1000.0, "exact", "thousand metric tons"),
        ("copper", None, "production", "Production, Refinery: Primary (from ore)", 790.0, "exact", "thousand metric tons"),
        ("copper", None, "production", "Production, Refinery: Secondary (from scrap)", 40.0, "exact", "thousand metric tons"),
        ("copper", None, "imports", "Imports for consumption: Ore and concentrate", None, "small", "thousand metric tons"),
        ("copper", None, "imports", "Imports for consumption: Refined", 1700.0, "exact", "thousand metric tons"),
        ("lithium", None, "production", "Production", None, "withheld", "metric tons"),
        ("lithium", None, "imports", "Imports for consumption", 3800.0, "exact", "metric tons"),
        ("gallium", None, "production", "Production, primary", 0.0, "zero", "kilograms"),
        ("gallium", None, "imports", "Imports for consumption: Metal", 25000.0, "exact", "kilograms"),
    ])
    fr = ds.us_stage_import_fraction(s)
    assert fr[("copper", "processing")].fraction.point == pytest.approx(1700 / (790 + 1700))
    mine = fr[("copper", "mine")].fraction  # 's' (less than half a unit) -> an interval, never 0 tonnes
    assert mine.low == 0.0 and mine.high == pytest.approx(0.5 / 1000.5)
    assert fr[("lithium", "mine")].fraction is None and "withheld" in fr[("lithium", "mine")].reason
    assert fr[("gallium", "processing")].fraction.point == 1.0


def test_importer_production_listed_withheld_and_absent():
    prod = production(
        prod_rows("cobalt", "mine", [("COD", "DR Congo", 200.0), ("USA", "United States", 0.3)], unit="thousand metric tons",
                  world=220.0, label="Mine production, cobalt content"),
        prod_rows("nickel", "mine", [("IDN", "Indonesia", 2000.0), ("USA", "United States", "W")], world=3700.0,
                  label="Mine production, nickel content"),
    )
    folded = conc.fold_fragments(prod)
    idx = ds.ProductionIndex(conc.concentration_table(prod, folded), folded[0], None)
    co = ds.importer_production({"USA"}, "cobalt", "mine", 2024, idx, "Co")
    assert co.amount == Interval.exact(300.0) and co.basis == "Co"  # thousand t -> t
    assert ds.importer_production({"USA"}, "nickel", "mine", 2024, idx, "Ni").amount is None  # withheld: unknown, not 0
    jp = ds.importer_production({"JPN"}, "cobalt", "mine", 2024, idx, "Co")
    assert jp.amount == Interval(0.0, 0.0) and "not listed" in jp.note
    # a basis with no defensible conversion gives no amount
    assert ds.importer_production({"USA"}, "cobalt", "mine", 2024, idx, "gross weight").amount is None


def test_oxide_to_element_by_stoichiometry():
    li = ds.convert_basis(Interval.exact(1000.0), "Li2O", "Li")
    assert li.point == pytest.approx(1000 * 2 * 6.94 / (2 * 6.94 + 15.999))
    assert ds.convert_basis(Interval.exact(1.0), "Cr2O3", "gross weight") is None


def _wmd(rows):
    return pd.DataFrame([{"commodity_id": c, "sheet": sh, "form": None, "content_basis": b, "stage": st, "country_iso3": iso,
                          "country_name": n, "country_kind": k, "year": 2024, "value": v, "qualifier": "exact", "low": v,
                          "high": v, "unit": "metric tons", "source_id": "world_mining_data"}
                         for c, sh, b, st, iso, n, k, v in rows])


def test_reconciliation_side_by_side_converted_and_flagged():
    prod = production(prod_rows("lithium", "mine", [("AUS", "Australia", 88000.0), ("CHL", "Chile", 49000.0)], world=240000.0,
                                label="Mine production, lithium content"))
    wmd = _wmd([
        ("lithium", "Lithium (Li2O)", "Li2O", "mine", "AUS", "Australia", "country", 230000.0),
        ("lithium", "Lithium (Li2O)", "Li2O", "mine", "CHL", "Chile", "country", 105500.0),
        ("lithium", "Lithium (Li2O)", "Li2O", "mine", "ARG", "Argentina", "country", 29700.0),
        ("lithium", "Lithium (Li2O)", "Li2O", "mine", None, "World", "world", 601914.0),
    ])
    r = rec.production_reconciliation(prod, wmd).set_index("country_name")
    f = 2 * 6.94 / (2 * 6.94 + 15.999)
    assert r.loc["Australia", "usgs_value"] == 88000.0 and r.loc["Australia", "wmd_value"] == 230000.0  # both kept
    assert r.loc["Australia", "common_basis"] == "Li"
    assert r.loc["Australia", "ratio_wmd_to_usgs"] == pytest.approx(230000 * f / 88000)
    assert r.loc["Australia", "status"] == "differs"  # 21% apart
    assert r.loc["Chile", "status"] == "agrees"  # 105,500 t Li2O = 49,009 t Li against 49,000 t Li
    assert r.loc["Chile", "ratio_wmd_to_usgs"] == pytest.approx(105500 * f / 49000)
    assert r.loc["Argentina", "status"] == "wmd_only"
    w = rec.world_totals(rec.production_reconciliation(prod, wmd))
    assert len(w) == 1 and w.iloc[0]["status"] in ("agrees", "differs")


def test_reconciliation_not_comparable_bases():
    prod = production(prod_rows("chromium", "mine", [("ZAF", "South Africa", 18000.0)], world=40000.0,
                                label="Mine production, marketable chromite ore"))
    wmd = _wmd([("chromium", "Chromium (Cr2O3)", "Cr2O3", "mine", "ZAF", "South Africa", "country", 8000000.0)])
    r = rec.production_reconciliation(prod, wmd)
    assert r.loc[r["country_iso3"] == "ZAF", "status"].iloc[0] == "not_comparable"

"""Calibration from the knowledge base, on the committed snapshot (USGS MCS 2026)."""

import numpy as np
import pandas as pd
import pytest

from critmin.model import ScenarioError, simulate
from critmin.model.calibrate_kb import (
    KBCalibrationError,
    calibrate_from_kb,
    kb_flows,
    mass_factor,
    price_factor,
)
from critmin.model.scenario import parse_scenario


def _assumption(market, *words):
    hits = [a for a in market.assumptions if all(w in a for w in words)]
    assert hits, f"no assumption mentions {words}: {market.assumptions}"
    return hits[0]


@pytest.fixture(scope="module")
def gallium():
    return calibrate_from_kb("gallium", stage="processing")


def test_gallium_processing_from_the_snapshot(gallium):
    m = gallium
    assert m.regions == ("USA", "CHN", "JPN", "ROW")
    assert (m.unit, m.price_unit) == ("kg", "USD/kg")
    q = dict(zip(m.regions, m.production))
    # MCS 2026 primary gallium 2025e: China 900,000 kg, Russia 6,000, Japan 3,000, US 0
    assert q == {"USA": 0.0, "CHN": 900_000.0, "JPN": 3_000.0, "ROW": 6_000.0}
    assert q["CHN"] / sum(q.values()) == pytest.approx(0.990, abs=5e-4)  # China ~99% of primary output
    assert m.consumption[0] == pytest.approx(19_000.0)  # US reported consumption 2025e
    np.testing.assert_array_equal(m.prices, 580.0)  # average unit value of imports, $/kg, 2025e
    # Japan's 22% share of US imports (4,180 kg) exceeds its whole output: capped at 3,000 kg
    assert m.flows[2, 0] == pytest.approx(3_000.0)
    assert m.flows[1, 0] == pytest.approx(19_000.0 - 3_000.0 - m.flows[3, 0])
    assert np.all(m.flows >= 0)
    np.testing.assert_allclose(m.flows.sum(axis=1), m.production)
    _assumption(m, "Consumption, reported", "2025")
    _assumption(m, "Price, average unit value of imports")
    _assumption(m, "CAN (no processing output) 28%", "world export pool")
    _assumption(m, "capped at 3,000")
    _assumption(m, "proportional sourcing from the world export pool", "import shares")
    _assumption(m, "base US net import reliance in the model 100%; published (MCS 2026, 2025): 100%")
    assert sum("user-overridable assumption" in a for a in m.assumptions) == 3


def test_cobalt_mine_uses_primary_demand_lme_price_and_processing_shares():
    m = calibrate_from_kb("cobalt", stage="mine", regions=["USA", "COD", "IDN", "CHN", "CAN", "ROW"])
    assert (m.unit, m.price_unit) == ("t", "USD/t")
    # LME cash 15 $/lb (2025e) in $/t
    np.testing.assert_allclose(m.prices, 15.0 / 0.45359237 * 1000, rtol=1e-12)
    # apparent consumption 9,600 t less secondary production 2,000 t
    assert m.consumption[0] == pytest.approx(7_600.0)
    assert m.production[0] == pytest.approx(300.0)  # US mine production 2025e
    assert m.production.sum() == pytest.approx(314_600.0)  # countries + other, not the rounded 310,000
    imports = 7_600.0 - 300.0
    assert m.flows[4, 0] >= 0.14 * imports - 1e-9  # Canada's 14% honoured (Canada mines cobalt)
    # consumption outside the US follows the EU CRM 2023 global processing shares: China refines most
    c = dict(zip(m.regions, m.consumption))
    assert c["CHN"] > 0.5 * (m.production.sum() - 7_600.0)
    assert c["COD"] == pytest.approx(0.0, abs=1e-6)  # DR Congo (<0.1%, a bound) refines none in the data
    _assumption(m, "Production: Secondary", "outside this market")
    _assumption(m, "EU CRM 2023", "processing shares", "DR Congo <0.1%")
    _assumption(m, "NOR (no mine output) 26%")
    _assumption(m, "published (MCS 2026, 2025): 79%")


def test_rare_earths_mine_needs_a_price_and_says_so():
    with pytest.raises(KBCalibrationError, match="no MCS salient price fits Rare earths at the mine stage") as err:
        calibrate_from_kb("rare earths", stage="mine")
    assert "price=" in str(err.value) and "ds140" in str(err.value)
    m = calibrate_from_kb("rare earths", stage="mine", price_source="ds140")
    np.testing.assert_array_equal(m.prices, 5_130.0)  # DS140 unit value, 2020 (latest)
    f = m.regions.index("USA")
    assert m.production[f] == pytest.approx(51_000.0)
    assert m.consumption[f] == pytest.approx(8_900.0)  # proxy: US output of compounds and metals
    assert m.flows[f].sum() - m.flows[f, f] == pytest.approx(42_100.0)  # a net exporter of concentrates
    _assumption(m, "taken to equal this figure")
    _assumption(m, "Data Series 140", "5 years older")
    _assumption(m, "no US imports at the base point")


def test_withheld_us_production_is_an_error_never_zero():
    with pytest.raises(KBCalibrationError) as err:
        calibrate_from_kb("lithium", stage="mine")
    text = str(err.value)
    assert "US mine production of Lithium in 2025 is W (withheld)" in text
    assert "never taken as 0" in text and "us_production=" in text
    # the caller's value is accepted, then the next withheld input (consumption) is named
    with pytest.raises(KBCalibrationError, match=r"US consumption of Lithium in 2025 .* W \(withheld\)"):
        calibrate_from_kb("lithium", stage="mine", us_production=1_000.0)
    m = calibrate_from_kb("lithium", stage="mine", us_production=1_000.0, us_consumption=3_000.0,
                          price_series="Lithium carbonate", regions=["USA", "AUS", "CHL", "CHN", "ARG", "ROW"])
    _assumption(m, "US mine production 1,000 t supplied by the user: a user assumption")
    _assumption(m, "US mine consumption 3,000 t supplied by the user: a user assumption")


def test_ambiguous_series_and_unknown_minerals_are_clear_errors():
    with pytest.raises(KBCalibrationError, match=r"several series are published .*consumption_detail="):
        calibrate_from_kb("nickel", stage="mine")
    with pytest.raises(KBCalibrationError, match="several processing-stage production series"):
        calibrate_from_kb("tellurium", stage="processing")
    with pytest.raises(KBCalibrationError, match="unknown mineral"):
        calibrate_from_kb("unobtainium")
    with pytest.raises(KBCalibrationError, match="no mine-stage production"):
        calibrate_from_kb("gallium", stage="mine")


def test_production_without_a_number_outside_the_published_total_is_left_out_and_said():
    # rhenium 2025: Russia "NA"; the listed countries sum exactly to the world total of 81,000 kg
    m = calibrate_from_kb("rhenium", stage="mine", price_series="Metal")
    assert m.production.sum() == pytest.approx(81_000.0)
    _assumption(m, "Russia NA (not_available)", "outside the market")


def test_user_regions_groups_and_residual_weights(gallium):
    m = calibrate_from_kb("gallium", regions=["USA", "CHN", ("ALLIES", ["JPN", "KOR", "DEU", "CAN"]), "ROW"],
                          residual_consumption={"CHN": 3.0, "ROW": 1.0})
    assert m.regions == ("USA", "CHN", "ALLIES", "ROW")
    c = dict(zip(m.regions, m.consumption))
    assert c["CHN"] == pytest.approx(3 * c["ROW"])
    _assumption(m, "user weights", "CHN 75.0%")
    with pytest.raises(KBCalibrationError, match="the US must be its own region"):
        calibrate_from_kb("gallium", regions=[("NA", ["USA", "CAN"]), "ROW"])
    with pytest.raises(KBCalibrationError, match="is in two regions"):
        calibrate_from_kb("gallium", regions=["USA", ("A", ["JPN"]), ("B", ["JPN"])])


def test_user_bilateral_trade_matrix_is_used(tmp_path, gallium):
    trade = pd.DataFrame({
        "dataset": "baci", "exporter_iso3": ["CHN", "JPN", "CHN", "RUS", "CHN"],
        "importer_iso3": ["USA", "USA", "JPN", "USA", "KOR"], "hs": "811292", "year": 2024,
        "quantity_t": [12.0, 2.5, 20.0, 0.5, 30.0],
    })
    path = tmp_path / "trade.parquet"
    trade.to_parquet(path)
    m = calibrate_from_kb("gallium", flows=path)
    x = m.flows_frame()
    assert x.loc["CHN", "USA"] == pytest.approx(12_000.0)  # metric tons -> kg
    assert x.loc["JPN", "USA"] == pytest.approx(2_500.0)
    assert x.loc["ROW", "USA"] == pytest.approx(500.0)  # Russia is in the rest of the world
    assert x.loc["CHN", "ROW"] == pytest.approx(30_000.0)  # Korea too
    assert x.loc["CHN", "CHN"] == pytest.approx(900_000.0 - 12_000 - 20_000 - 30_000)
    _assumption(m, "user-supplied trade table", "baci", "811292", "2024")
    _assumption(m, "US consumption implied by production and the trade matrix: 15,000 kg")
    too_much = trade.assign(quantity_t=[12.0, 2.5, 20.0, 0.5, 5_000.0])
    with pytest.raises(KBCalibrationError, match="exports of CHN in the trade matrix .* exceed its production"):
        calibrate_from_kb("gallium", flows=too_much)
    with pytest.raises(KBCalibrationError, match="missing column"):
        calibrate_from_kb("gallium", flows=trade.drop(columns="quantity_t"))
    with pytest.raises(KBCalibrationError, match="quantity missing"):
        calibrate_from_kb("gallium", flows=trade.assign(quantity_t=[np.nan, 1, 1, 1, 1]))


def test_units_convert_or_fail_clearly():
    assert mass_factor("kilograms", "x") == 1.0
    assert mass_factor("thousand metric tons", "x") == 1e6
    assert price_factor("dollars per pound", "x") == pytest.approx(1 / 0.45359237)
    assert price_factor("cents per pound", "x") == pytest.approx(0.01 / 0.45359237)
    assert price_factor("dollars per troy ounce", "x") == pytest.approx(1 / 0.0311034768)
    assert price_factor("dollars per 10-grams", "x") == pytest.approx(100.0)
    assert price_factor("current U.S. dollars per metric ton", "x") == pytest.approx(1e-3)
    with pytest.raises(KBCalibrationError, match="'million carats' is not a mass unit"):
        mass_factor("million carats", "diamond production")
    with pytest.raises(KBCalibrationError, match="'dollars per carat' cannot be converted"):
        price_factor("dollars per carat", "diamond price")


def test_kb_flows_pools_non_origins_caps_and_balances():
    regions = ["USA", "A", "B", "ROW"]
    q = np.array([10.0, 100.0, 5.0, 20.0])
    flows, notes = kb_flows(q, regions, 40.0, {"A": 50.0, "B": 30.0, "XYZ (no output)": 20.0}, {}, "ROW")
    imports = 30.0
    assert flows[0, 0] == 10.0
    assert flows[:, 0].sum() == pytest.approx(40.0)
    assert flows[2, 0] == pytest.approx(5.0)  # B's 30% (9) capped at its output (5)
    assert flows[1, 0] >= 0.5 * imports  # A's 50% honoured, plus a part of the pool
    np.testing.assert_allclose(flows.sum(axis=1), q)
    assert flows.sum() == pytest.approx(q.sum())
    assert any("capped at 5" in n for n in notes) and any("XYZ (no output) 20%" in n for n in notes)


def test_scenario_with_a_knowledge_base_market(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: kb\n"
        "market: {from_kb: {mineral: gallium, stage: processing, residual_consumption: production,\n"
        "                   elasticities: {substitution: 4}, notes: [why the residual rule]}}\n"
        "policies:\n  tariffs:\n    - {importer: USA, origins: [CHN], rate: 0.25}\n")
    r = simulate(path)
    assert r.converged
    assert r.market.regions == ("USA", "CHN", "JPN", "ROW")
    assert any("Consumption, reported" in a for a in r.assumptions)
    assert any("note: why the residual rule" in a for a in r.assumptions)
    assert any("substitution elasticity supplied by the user" in a for a in r.assumptions)
    assert r.quantities().loc["USA", "imports"] < 19_000.0
    bad = {"name": "x", "market": {"from_kb": {"mineral": "gallium", "flows": "/etc/passwd"}}}
    with pytest.raises(ScenarioError, match="only accepted in a scenario file"):
        simulate(bad)
    with pytest.raises(ScenarioError, match="market.from_kb: US mine production of Lithium"):
        simulate({"name": "x", "market": {"from_kb": {"mineral": "lithium", "stage": "mine"}}})
    with pytest.raises(ScenarioError, match=r"market\.from_kb\.stage"):
        parse_scenario({"name": "x", "market": {"from_kb": {"mineral": "gallium", "stage": "smelting"}}})

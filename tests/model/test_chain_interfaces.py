"""One entry point for both engines (critmin.api.simulate, critmin.model.engines): frames, ranges, units, nulls."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

from critmin import api
from critmin.model.engines import CHAIN_TABLES, compare_any, load_any, simulate_any
from critmin.model.scenario import ScenarioError

POINT_MARKET = {
    "mineral": "testium", "base_year": 2024, "regions": ["USA", "CHN", "ROW"],
    "stages": [{"name": "processing", "basis": "Tm metal"}],
    "production": [{"stage": "processing", "country": "CHN", "quantity": 800, "source": "fixture"},
                   {"stage": "processing", "country": "USA", "quantity": 20, "source": "fixture"},
                   {"stage": "processing", "country": "ROW", "quantity": 200, "source": "fixture"}],
    "trade": [{"stage": "processing", "exporter": "CHN", "importer": "USA", "quantity": 40, "source": "fixture"},
              {"stage": "processing", "exporter": "ROW", "importer": "USA", "quantity": 60, "source": "fixture"}],
    "prices": [{"stage": "processing", "price": 1000, "source": "fixture"}],
}
BOUNDED_MARKET = copy.deepcopy(POINT_MARKET)
BOUNDED_MARKET["production"][2] = {"stage": "processing", "country": "ROW", "low": 150, "high": 250,
                                   "source": "fixture range"}
TARIFF = {"tariffs": [{"importer": "USA", "origins": ["CHN"], "stage": "processing", "rate": 0.5}]}


def doc(market=None, **minerals):
    minerals = minerals or {"testium": {"market": copy.deepcopy(market or POINT_MARKET), "policies": TARIFF}}
    return {"engine": "chain", "name": "interfaces test", "focus": "USA",
            "horizon": {"start": 2025, "end": 2027, "discount_rate": 0.03, "discount_rate_source": "test assumption"},
            "minerals": minerals}


def lows_and_highs(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return [(c, c[:-4] + "_high") for c in frame.columns if c.endswith("_low")]


def test_point_market_gives_equal_low_and_high_with_units():
    sim = api.simulate(doc())
    assert sim.engine == "chain" and sim.converged
    assert set(CHAIN_TABLES) <= set(sim.tables)
    years = sim.tables["years"]
    assert list(years.index.names) == ["mineral", "year", "stage", "region"]
    assert years.index.get_level_values("year").tolist() == [2025, 2026, 2027]
    assert set(years["variants"]) == {"point"}
    for lo, hi in lows_and_highs(years):
        pd.testing.assert_series_equal(years[lo], years[hi], check_names=False)
    assert (years["basis"] == "Tm metal").all() and (years["price_unit"] == "USD/t").all()
    assert (years["unit"] == "t").all() and (years["currency"] == "USD").all()
    # a 50% duty on the cheapest origin raises the US price and cuts its imports from the base
    assert (years["use_price_change_pct_low"] > 0).all()
    assert (years["imports_low"] < years["imports_baseline_low"]).all()


def test_bounded_market_gives_ranges_that_bracket_every_variant():
    sim = api.simulate(doc(BOUNDED_MARKET))
    years, raw = sim.tables["years"], sim.result
    assert set(years["variants"]) == {"low, high"}
    pairs = lows_and_highs(years)
    assert all((years[lo] <= years[hi]).all() for lo, hi in pairs if years[lo].notna().all())
    assert any((years[lo] < years[hi]).any() for lo, hi in pairs), "a bounded input must give a range somewhere"
    # low/high are the min/max across the corners: each corner's own figure lies inside
    for corner, r in raw.runs["testium"].items():
        use = r.prices().xs("USA", level="region")["use_price"].to_numpy()
        assert np.all(years["use_price_low"].to_numpy() <= use + 1e-9)
        assert np.all(use <= years["use_price_high"].to_numpy() + 1e-9)
    summary = sim.tables["summary"]
    assert summary.loc["testium", "variants"] == "low, high"
    assert summary.loc["testium", "basis"] == "Tm metal"


def test_multi_mineral_preset_reports_every_mineral_with_its_basis():
    sim = api.simulate("duty-25-chinese-gallium-graphite-rare-earths")
    assert sim.engine == "chain" and sim.converged
    summary = sim.tables["summary"]
    assert set(summary.index) == {"gallium", "graphite", "rare-earths"}
    assert summary.loc["rare-earths", "variants"] == "low, high"  # China's NdPr output is an interval
    assert summary.loc["gallium", "basis"] == "Ga" and summary.loc["rare-earths", "basis"] == "NdPr oxide"
    years = sim.tables["years"]
    assert set(years.index.get_level_values("mineral")) == set(summary.index)
    prices = sim.tables["prices"]
    assert {"producer_price_low", "producer_price_high", "use_price_low", "use_price_high"} <= set(prices.columns)
    out = sim.to_dict()
    assert out["engine"] == "chain" and len(out["summary"]) == 3
    assert all(isinstance(v, (str, int, float, type(None))) for row in out["years"] for v in row.values())


def test_failed_solve_gives_nulls_and_a_reason_never_zeros():
    sim = simulate_any(doc(BOUNDED_MARKET), max_iter=0)
    assert not sim.converged and sim.status != "converged" and sim.message
    years = sim.tables["years"]
    solved = [c for c in years.columns if c.endswith(("_low", "_high")) and "_baseline" not in c]
    assert years[solved].isna().all().all()
    assert (years["status"] != "converged").all()
    summary = sim.tables["summary"]
    figures = [c for c in summary.columns if c.endswith(("_low", "_high"))]
    assert summary[figures].isna().all().all()
    row = sim.to_dict()["summary"][0]
    assert all(row[c] is None for c in figures)


def test_one_failed_variant_makes_the_range_null():
    sim = simulate_any(doc(BOUNDED_MARKET))
    r = sim.result
    frame = r.summary().copy()
    frame.loc[("testium", "high"), "USA_imports_change_total"] = math.nan
    spanned = r.span(frame)
    assert math.isnan(spanned.loc["testium", "USA_imports_change_total_low"])
    assert math.isnan(spanned.loc["testium", "USA_imports_change_total_high"])


def test_armington_scenarios_go_through_the_same_entry_point():
    sim = api.simulate("gallium_china_ban")
    assert sim.engine == "armington" and sim.converged
    assert {"summary", "prices", "quantities", "welfare", "binding", "flows"} <= set(sim.tables)
    assert len(sim.tables["summary"]) == 1
    assert sim.to_dict()["engine"] == "armington"


def test_dict_file_and_preset_load_alike(tmp_path):
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc()))
    assert load_any(path).name == load_any(doc()).name == "interfaces test"
    with pytest.raises(ScenarioError, match="engine: must be one of"):
        load_any({**doc(), "engine": "other"})


def test_linked_chain_market_by_its_registry_id():
    sim = api.simulate(doc(None, copper={"market": "kb:copper", "policies": {}}))
    assert sim.converged
    stages = set(sim.tables["years"].index.get_level_values("stage"))
    assert stages == {"mine", "processing"}
    # a no-op scenario equals its baseline
    years = sim.tables["years"]
    np.testing.assert_allclose(years["use_price_low"], years["use_price_baseline_low"], rtol=1e-9)


def test_a_mineral_without_a_chain_says_what_is_missing_and_names_the_stages():
    with pytest.raises(ScenarioError, match=r"kb:nickel:processing"):
        api.simulate(doc(None, nickel={"market": "kb:nickel", "policies": {}}))
    with pytest.raises(ScenarioError, match="takes only regions"):
        api.simulate(doc(None, copper={"market": {"kb": "copper", "price_series": "x"}, "policies": {}}))


def test_compare_stacks_scenarios_by_mineral_with_ranges():
    frame = compare_any([doc(), doc(BOUNDED_MARKET)], labels=["point", "bounded"])
    assert list(frame.index.names) == ["scenario", "mineral"]
    assert frame.loc[("point", "testium"), "variants"] == "point"
    assert frame.loc[("bounded", "testium"), "variants"] == "low, high"
    assert frame.attrs["outcome"]["failed"] == 0


def test_an_instrument_in_force_outside_the_horizon_does_nothing_and_says_so():
    # found by tests/web/test_chain_fuzz.py: an export ban whose years miss the horizon crashed the compiler
    ban = {"export_restrictions": [{"exporter": "CHN", "stage": "processing", "kind": "ban", "years": [2030, 2033]}]}
    d = doc()
    d["horizon"].update(start=2035, end=2037)
    d["minerals"]["testium"]["policies"] = ban
    sim = api.simulate(d)
    assert sim.converged
    assert any("outside the horizon 2035-2037: it does nothing" in n for n in sim.notes)
    years = sim.tables["years"]
    np.testing.assert_allclose(years["imports_low"], years["imports_baseline_low"], rtol=1e-9)


@pytest.mark.parametrize("kind, extra", [("ban", {}), ("tax", {"rate": 0.5})])
def test_an_export_restriction_covers_every_destination_in_every_year(kind, extra):
    # found by tests/web/test_chain_fuzz.py: a year mask and a destination list were paired, not crossed
    from critmin.model.chain.policies import compile_chain_policies
    from critmin.model.chain.scenario import ChainPolicies, Horizon
    from critmin.model.chain.scenario_file import InlineMarket

    market = InlineMarket.model_validate(
        {**POINT_MARKET, "trade": POINT_MARKET["trade"] + [{"stage": "processing", "exporter": "CHN",
                                                           "importer": "ROW", "quantity": 30, "source": "fixture"}]}
    ).build()
    pol = ChainPolicies.model_validate({"export_restrictions": [
        {"exporter": "CHN", "importers": "all", "stage": "processing", "kind": kind, **extra}]})
    inst, _, _ = compile_chain_policies(market, pol, Horizon(start=2025, end=2029))
    chn, usa, row = (market.regions.index(r) for r in ("CHN", "USA", "ROW"))
    for t in range(5):
        if kind == "ban":
            allowed = inst.at("allowed", t)[0, 0]
            assert not allowed[chn, usa] and not allowed[chn, row]
            assert allowed[usa, usa] if market.stages[0].flows[usa, usa] > 0 else True
        else:
            tax = inst.at("export_tax", t)[0, 0]
            assert tax[chn, usa] == tax[chn, row] == 0.5

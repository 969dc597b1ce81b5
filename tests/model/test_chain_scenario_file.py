"""Chain-engine scenario files: the one loader, edge validation naming fields, markets, presets, multi-mineral runs."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest

from critmin.model import list_presets, load_scenario, simulate
from critmin.model.chain import ChainScenario, check_scenario, simulate_scenario
from critmin.model.chain.scenario_file import load_market_file
from critmin.model.scenario import Scenario, ScenarioError, parse_scenario

MARKET = {
    "mineral": "testium", "base_year": 2024, "regions": ["USA", "CHN", "ROW"],
    "stages": [{"name": "processing", "basis": "Tm metal"}],
    "production": [{"stage": "processing", "country": "CHN", "quantity": 800, "source": "fixture"},
                   {"stage": "processing", "country": "ROW", "low": 150, "high": 250, "source": "fixture range"}],
    "trade": [{"stage": "processing", "exporter": "CHN", "importer": "USA", "quantity": 40, "source": "fixture"},
              {"stage": "processing", "exporter": "ROW", "importer": "USA", "quantity": 60, "source": "fixture"}],
    "prices": [{"stage": "processing", "price": 1000, "source": "fixture"}],
}


def doc(**policies):
    return {"engine": "chain", "name": "test", "horizon": {"start": 2025, "end": 2027},
            "minerals": {"testium": {"market": copy.deepcopy(MARKET), "policies": policies}}}


def error(data) -> str:
    with pytest.raises(ScenarioError) as info:
        sc = parse_scenario(data, "t.yaml", engines=("armington", "chain"))
        check_scenario(sc)
    return str(info.value)


# --- the one loader and its edge rules ------------------------------------------------------------

def test_one_loader_returns_either_engine(tmp_path):
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc()))
    assert isinstance(load_scenario(path), ChainScenario)
    assert isinstance(load_scenario("talks-fail-mip-gallium"), Scenario)  # an Armington preset still loads
    assert isinstance(load_scenario("ndpr-floor-110-ten-years"), ChainScenario)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["minerals"]["testium"]["policies"].update(tariffs=[{"importer": "USA", "stage": "processing",
                                                                   "rate": -2}]),
     "minerals.testium.policies.tariffs.0.rate: Input should be greater than -1"),
    (lambda d: d["horizon"].update(discount_rate=float("nan")), "horizon.discount_rate"),
    (lambda d: d["horizon"].update(end=2200), "a horizon spans at most 60 years"),
    (lambda d: d.update(name="bad\ud800name"), "lone surrogate"),
    (lambda d: d.update(name="a" * 201), "name: String should have at most 200 characters"),
    (lambda d: d["minerals"]["testium"]["market"]["production"][0].pop("source"),
     "minerals.testium.market.production.0: Value error, give exactly one of `source`"),
    (lambda d: d["minerals"]["testium"]["market"]["production"][1].update(low=300),
     "minerals.testium.market.production.1: Value error, `low` 300 is above `high` 250"),
    (lambda d: d["minerals"]["testium"].update(market="kb:Gallium!"), "minerals.testium.market: a market is kb:"),
    (lambda d: d["minerals"]["testium"].update(market="kb:gallium:smelting"), "mine or processing"),
    (lambda d: d["minerals"]["testium"]["policies"].update(tariffs=[{"importer": "XXX", "stage": "processing",
                                                                   "rate": 0.1}]),
     "minerals.testium.policies.tariffs.0.importer: unknown region 'XXX'"),
    (lambda d: d["minerals"]["testium"]["policies"].update(export_restrictions=[
        {"exporter": "CHN", "stage": "processing", "kind": "quota"}]), "kind 'quota' needs `quantity`"),
    (lambda d: d["minerals"]["testium"]["policies"].update(stockpiles=[
        {"region": "USA", "stage": "processing", "quantity": -5}]), "empties the stock of 0 t in 2025"),
    (lambda d: d.update(engine="gsim"), "engine: must be one of ['armington', 'chain']"),
    (lambda d: d.update(minerals={}), "minerals: Dictionary should have at least 1 item"),
])
def test_errors_name_the_field_in_plain_words(mutate, message):
    d = doc()
    mutate(d)
    assert message in error(d)


def test_an_armington_entry_point_refuses_a_chain_document_with_a_clear_error():
    with pytest.raises(ScenarioError, match="'chain' scenarios are not accepted here"):
        parse_scenario(doc(), "body")  # the REST API's parse: armington only until it is wired
    with pytest.raises(ScenarioError, match="critmin.model.chain.simulate_scenario"):
        simulate("ndpr-floor-110-ten-years")
    hint = doc()
    del hint["engine"]
    with pytest.raises(ScenarioError, match="start with `engine: chain`"):
        parse_scenario(hint, "t.yaml", engines=("armington", "chain"))


def test_a_yaml_with_a_repeated_key_is_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("engine: chain\nname: a\nname: b\nhorizon: {start: 2025, end: 2025}\nminerals: {}\n")
    with pytest.raises(ScenarioError, match="the key 'name' appears twice"):
        load_scenario(path)


def test_an_instrument_that_can_do_nothing_is_allowed_and_says_why():
    notes = check_scenario(parse_scenario(doc(price_floors=[
        {"payer": "USA", "producers": ["USA"], "stage": "processing", "floor": 2000}]), engines=("chain",)))
    assert any("USA has no processing (Tm metal) output at the base" in n and "does nothing" in n for n in notes)


# --- markets ----------------------------------------------------------------------------------------

def test_bounded_rows_give_low_and_high_corners_with_every_label():
    sc = parse_scenario(doc(), engines=("chain",))
    spec = sc.minerals["testium"].market
    assert spec.corners() == ("low", "high")
    low, high = spec.build("low"), spec.build("high")
    assert low.stages[0].production[2] == 150 and high.stages[0].production[2] == 250
    assert any("fixture range" in s for s in low.sources)
    assert any("low corner" in a for a in low.assumptions)


def test_market_files_ship_with_sources_on_every_row():
    for ref in ("ndpr_oxide", "graphite_natural", "antimony", "gallium"):
        spec = load_market_file(ref)
        for table in ("production", "trade", "prices", "consumption"):
            for row in getattr(spec, table):
                kind, text = row.label()
                assert text.strip() and len(text) > 20, (ref, table, row)
        for corner in spec.corners():
            spec.build(corner)  # balances and bases checked by the chain container


# --- presets ----------------------------------------------------------------------------------------

CHAIN_PRESETS = list(list_presets("chain")["name"])


def test_presets_are_listed_by_engine_and_the_armington_ones_still_load():
    assert len(CHAIN_PRESETS) >= 8
    armington = list_presets()
    assert set(armington["engine"]) == {"armington"} and "ndpr-floor-110-ten-years" not in set(armington["name"])
    for name in armington["name"]:
        assert isinstance(load_scenario(name), Scenario)
    every = list_presets(None)
    assert len(every) == len(armington) + len(CHAIN_PRESETS)


@pytest.mark.parametrize("name", CHAIN_PRESETS)
def test_each_chain_preset_loads_solves_and_states_its_units(name):
    sc = load_scenario(name)
    assert sc.sources and sc.description.strip()
    assert sc.horizon.discount_rate_source  # the discount rate is labelled
    r = simulate_scenario(sc)
    assert r.converged, r.message
    summary = r.summary()
    assert set(summary["status"]) == {"converged"} and summary.attrs["outcome"]["failed"] == 0
    assert {"basis", "price_unit"} <= set(r.prices().columns) and {"basis", "unit"} <= set(r.quantities().columns)
    assert (r.welfare()["currency"] == "USD per year").all()
    units = r.units()
    assert set(units["mineral"]) == set(sc.minerals) and (units["to_tonnes"] == 1.0).all()
    assert any(sc.horizon.discount_rate_source in a for a in r.assumptions()[next(iter(sc.minerals))])
    payload = r.to_dict()
    assert payload["engine"] == "chain" and payload["status"] == "converged"


def test_the_ndpr_floor_costs_the_payer_and_raises_us_output():
    r = simulate_scenario("ndpr-floor-110-ten-years")
    fiscal = r.fiscal()
    assert set(fiscal.index.get_level_values("payer")) == {"USA"}
    assert (fiscal["total"] > 0).all()  # the floor is above the 55 USD/kg market price every year
    rng = r.ranges("fiscal")
    assert (rng["total_min"] <= rng["total_max"]).all() and rng["variants"].iloc[0] == "low, high"
    q = r.quantities().xs(("low", "separation", "USA"), level=("variant", "stage", "region"), drop_level=False)
    assert (q["production"] > q["production_baseline"]).all()


# --- several minerals ---------------------------------------------------------------------------------

def test_a_multi_mineral_scenario_solves_each_mineral_as_if_alone():
    many = simulate_scenario("duty-25-chinese-gallium-graphite-rare-earths")
    assert set(many.runs) == {"gallium", "graphite", "rare-earths"}
    assert set(many.runs["rare-earths"]) == {"low", "high"} and set(many.runs["gallium"]) == {"point"}
    sc = load_scenario("duty-25-chinese-gallium-graphite-rare-earths")
    alone = sc.model_copy(update={"minerals": {"gallium": sc.minerals["gallium"]}})
    one = simulate_scenario(alone)
    a = many.prices().xs("gallium", level="mineral")
    b = one.prices().xs("gallium", level="mineral")
    pd.testing.assert_frame_equal(a, b)
    changes = many.summary()["USA_use_price_change_pct_first_year"]
    assert (changes > 0).all()  # a duty on the main origin raises the US price of each
    rng = many.ranges("prices")
    lo, hi = rng["use_price_change_pct_min"], rng["use_price_change_pct_max"]
    assert (lo <= hi).all()


# --- the outcome contract on a failing member -------------------------------------------------------

def test_a_failing_member_is_null_with_its_reason_and_counted():
    d = doc(export_restrictions=[{"exporter": o, "importers": ["USA"], "stage": "processing", "kind": "ban"}
                                 for o in ("CHN", "ROW")])
    r = simulate_scenario(d)
    assert r.status == "infeasible" and "USA has no permitted supplier" in r.message
    s = r.summary()
    assert s.attrs["outcome"] == {"members": 2, "converged": 0, "failed": 2, "by_status": {"infeasible": 2}}
    assert "2 of 2 market variants did not solve" in s.attrs["failure_note"]
    assert s["fiscal_cost_total"].isna().all() and s["USA_total_change_discounted"].isna().all()
    assert r.welfare()["total"].isna().all() and r.prices()["use_price"].isna().all()
    assert r.prices()["use_price_baseline"].notna().all()  # the baseline path does not depend on the failed solve
    assert r.ranges("welfare")["total_min"].isna().all()


def test_a_range_with_a_failed_corner_is_null():
    from critmin.model.chain.run import ScenarioResult

    ok = simulate_scenario(doc())
    bad = simulate_scenario(doc(export_restrictions=[{"exporter": o, "importers": ["USA"], "stage": "processing",
                                                      "kind": "ban"} for o in ("CHN", "ROW")]))
    mixed = ScenarioResult(ok.scenario, {"testium": {"low": ok.runs["testium"]["low"],
                                                     "high": bad.runs["testium"]["high"]}})
    assert mixed.status == "infeasible" and mixed.outcome()["failed"] == 1
    rng = mixed.ranges("prices")
    assert rng["use_price_min"].isna().all() and rng["use_price_baseline_min"].notna().all()


def test_a_converged_member_with_an_overflow_becomes_not_finite():
    from dataclasses import replace

    from critmin.model.chain.results import ChainBatch

    r = simulate_scenario(doc(tariffs=[{"importer": "USA", "origins": ["CHN"], "stage": "processing", "rate": 0.1}]))
    batch = r.runs["testium"]["low"].batch
    sol = replace(batch.solution, p=batch.solution.p.copy())
    sol.p[0, 1, 0, 1] = np.inf
    again = ChainBatch(batch.market, batch.base, batch.inst, sol, batch.baseline, batch.names, batch.notes,
                       batch.discount_rate, batch.focus, batch.projects)
    assert again.status == ["not_finite"] and "not finite" in again.messages[0]
    res = again[0]
    assert res.failed and res.prices()["producer_price"].isna().all() and res.welfare()["total"].isna().all()
    assert again.summary().attrs["outcome"]["by_status"] == {"not_finite": 1}


def test_a_floor_is_reported_by_payer_with_discounting():
    r = simulate_scenario(doc(price_floors=[{"payer": "USA", "producers": ["ROW"], "stage": "processing",
                                             "floor": 1500}]))
    f = r.fiscal().xs(("low", "USA", "price_floor"), level=("variant", "payer", "instrument"))
    years = [2025, 2026, 2027]
    by_year = f[years].to_numpy(float)[0]
    assert f["discounted_total"].iloc[0] == pytest.approx(sum(v / 1.03 ** k for k, v in enumerate(by_year)))
    assert f["currency"].iloc[0] == "USD"
    assert not math.isnan(f["total"].iloc[0])

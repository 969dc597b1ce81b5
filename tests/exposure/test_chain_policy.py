"""Company exposure's policy cost from chain-engine scenarios: price changes per mineral, stage and year, with ranges."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from critmin.exposure.policy import PRICE_CHANGE_COLUMNS, chain_price_changes, engine_price_changes

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "critmin" / "exposure" / "examples"


def test_a_multi_mineral_chain_preset_gives_every_mineral_and_year_with_ranges():
    eff = engine_price_changes("duty-25-chinese-gallium-graphite-rare-earths")
    pc = eff.price_changes
    assert list(pc.columns) == PRICE_CHANGE_COLUMNS
    assert set(pc["commodity_id"]) == {"gallium", "graphite", "rare-earths"}
    assert sorted(set(pc["year"])) == [2026, 2027, 2028] and len(pc) == 9
    assert (pc["status"] == "solved").all()
    assert (pc["change_pct_low"] <= pc["change_pct_high"]).all() and (pc["change_pct_low"] > 0).all()
    ga = pc[pc.commodity_id == "gallium"].iloc[0]
    assert ga["price_base_usd_per_t"] == pytest.approx(439000.0) and ga["stage"] == "processing"
    assert set(eff.tariffs["origins"]) == {"CHN"} and set(eff.tariffs["rate"]) == {0.25}
    op = eff.origin_prices
    assert (op.loc[op.origin == "CHN", "delivered_usd_per_t"] > op.loc[op.origin == "CHN",
                                                                        "delivered_base_usd_per_t"]).all()


def test_the_ev_motor_bill_costs_the_duty_scenario_on_its_rare_earths():
    import critmin.exposure as ex

    res = ex.assess(EXAMPLES / "bom_ev_traction_motor.csv", scenarios=["duty-25-chinese-gallium-graphite-rare-earths"],
                    years=(2026,))
    price = res.costs[(res.costs.channel == "price") & (res.costs.commodity_id == "rare-earths")]
    assert sorted(price["year"].unique()) == [2026, 2027, 2028]
    assert (price["cost_low"] > 0).all() and (price["cost_low"] <= price["cost_high"]).all()
    total = res.cost_summary.set_index("year").loc["total"]
    assert np.isfinite(total["cost_low"]) and total["cost_low"] <= total["cost_high"]


def test_a_chain_scenario_that_does_not_solve_costs_unknown_not_zero():
    from critmin.model.chain.scenario_file import load_market_file
    from critmin.model.scenario import load_scenario

    sc = load_scenario("gallium-ban-us-stockpile-release")
    market = load_market_file("gallium").model_dump()
    market["trade"] = [r for r in market["trade"] if r["exporter"] == "CHN"]  # the US buys only from China
    market["production"][1].update(quantity=0.18)
    doc = sc.model_dump(mode="json", by_alias=True)
    doc["minerals"]["gallium"]["market"] = copy.deepcopy(market)
    doc["minerals"]["gallium"]["policies"] = {"export_restrictions": [
        {"exporter": "CHN", "importers": ["USA"], "stage": "processing", "kind": "ban"}]}
    eff = chain_price_changes(doc)
    pc = eff.price_changes
    assert pc["change_pct_low"].isna().all() and pc["status"].str.startswith("no result").all()
    assert "no permitted supplier" in pc["status"].iloc[0]

"""Origin rules (USMCA, marketplace, IRC 30D) and the policy cost."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.exposure import assess
from critmin.exposure.policy import ScenarioEffects, cost_summary, price_cost, PRICE_CHANGE_COLUMNS, TARIFF_COLUMNS
from critmin.exposure.rules import de_minimis_ok, load_rules, rvc_net_cost, rvc_transaction_value, tariff_shift_ok
from critmin.exposure.upstream import FixedShares
from tests.exposure.conftest import write_bill


def test_rvc_formulas_of_usmca_article_4_5():
    # RVC = (TV - VNM) / TV x 100 and (NC - VNM) / NC x 100 (USMCA Art. 4.5.2 and 4.5.3)
    assert rvc_transaction_value(1000, 400) == pytest.approx(60.0)
    assert rvc_net_cost(800, 400) == pytest.approx(50.0)
    with pytest.raises(ValueError):
        rvc_transaction_value(0, 1)
    assert de_minimis_ok(100, 1000) and not de_minimis_ok(100.01, 1000)
    assert tariff_shift_ok("850153", "850511", "heading") and not tariff_shift_ok("850511", "850519", "heading")
    assert tariff_shift_ok("850511", "850519", "subheading")
    assert not tariff_shift_ok("850760", "850790", "heading", except_from=("8507.90",))


def test_usmca_with_a_user_rule(tmp_path, tiny_kb):
    rules = load_rules("usmca")
    rules["product_specific_rules"] = [{"heading": "8501", "tariff_shift": "heading", "rvc": {"transaction_value": 60, "net_cost": 50}}]
    p = write_bill(tmp_path, [
        "M,,,motor,,,,,,USA,,,8501.53,1000,10,,800",
        "A,M,1,magnet,,,,,,CHN,,,8505.11,300,,no,",
        "B,M,1,stator,,,,,,MEX,,,8503.00,200,,yes,",
        "C,M,1,housing undeclared,,,,,,MEX,,,8503.00,100,,,",
    ])
    res = assess(p, rule_sets=[rules], provider=FixedShares({}), kb=tiny_kb, diversify=False)
    row = res.eligibility[res.eligibility.part_id == "M"].iloc[0]
    # VNM = 300 (non-originating) + 100 (undetermined counts as non-originating, Art. 4.5.2)
    assert row["value"] == pytest.approx(60.0) and row["eligible"] is True or row["eligible"] == True  # noqa: E712
    assert "(1,000.00 - 400.00) / 1,000.00" in row["reason"]
    rules["product_specific_rules"][0]["rvc"] = {"transaction_value": 65}
    res = assess(p, rule_sets=[rules], provider=FixedShares({}), kb=tiny_kb, diversify=False)
    assert res.eligibility[res.eligibility.part_id == "M"].iloc[0]["eligible"] == False  # noqa: E712


def test_usmca_without_verified_rule_is_undetermined_and_outside_territory_fails(tmp_path, tiny_kb):
    p = write_bill(tmp_path, ["M,,,motor,,,,,,USA,,,8501.53,1000,10,,", "A,M,1,part,,,,,,CHN,,,8505.11,300,,no,",
                              "N,,,made abroad,,,,,,CHN,,,8501.53,1000,10,,", "B,N,1,part,,,,,,CHN,,,8505.11,300,,no,"])
    res = assess(p, rule_sets=["usmca"], provider=FixedShares({}), kb=tiny_kb, diversify=False)
    e = res.eligibility.set_index("part_id")
    assert pd.isna(e.at["M", "eligible"]) and "no verified product-specific rule" in e.at["M", "reason"]
    assert e.at["N", "eligible"] == False and "outside the USMCA territory" in e.at["N", "reason"]  # noqa: E712


def test_marketplace_and_ira30d(tmp_path, tiny_kb, fixed_shares):
    p = write_bill(tmp_path, [
        "V,,,pack,,,,,,USA,,,8507.60,1000,10,,",
        "K,V,1,cobalt,cobalt,1,1,,,USA,AUS,FIN,,300,,,",
        "L,V,1,lithium,lithium,1,1,,,CHN,,,,100,,,",
    ])
    res = assess(p, rule_sets=["club", "ira30d"], year=2025, provider=fixed_shares, kb=tiny_kb, diversify=False)
    e = res.eligibility.set_index(["rule_set", "part_id", "requirement"])
    assert e.loc[("club", "K", "marketplace rules"), "eligible"] == True  # noqa: E712
    assert e.loc[("club", "L", "marketplace rules"), "eligible"] == False  # noqa: E712
    prod = e.loc[("club", "V", "marketplace rules")]
    assert prod["value"] == pytest.approx(0.75)  # 300 of 400 spend meets the rules
    cm = e.loc[("ira30d", "V", "critical minerals (30D(e)(1))")]
    assert cm["threshold"] == 60  # 2025
    bc = e.loc[("ira30d", "V", "battery components (30D(e)(2))")]
    assert bc["value"] == pytest.approx(75.0) and bc["eligible"] == False  # noqa: E712  (a Chinese component: FEOC)
    res26 = assess(p, rule_sets=["ira30d"], year=2026, provider=fixed_shares, kb=tiny_kb, diversify=False)
    overall = res26.eligibility.set_index("requirement").loc["clean-vehicle credit (30D)"]
    assert overall["eligible"] == False and "terminated" in overall["reason"]  # noqa: E712


def test_policy_cost_formula_and_unknowns(tmp_path, tiny_kb, fixed_shares):
    p = write_bill(tmp_path, ["V,,,pack,,,,,,USA,,,8507.60,1000,10,,", "K,V,1,cobalt,cobalt,2,0.5,,,CAN,,,8105.20,300,,,"])
    changes = pd.DataFrame([["s", "cobalt", "processing", 2026, 30000.0, 10.0, 20.0, "USA", "test", "solved"],
                            ["s", "cobalt", "processing", 2027, None, None, None, "USA", "test", "no result"]],
                           columns=PRICE_CHANGE_COLUMNS)
    tariffs = pd.DataFrame([["s", "cobalt", "CAN", 0.25, 2026, "test"]], columns=TARIFF_COLUMNS)
    eff = ScenarioEffects("s", changes, tariffs, ["test"])
    res = assess(p, effects=[eff], provider=fixed_shares, kb=tiny_kb, diversify=False)
    price = res.costs[(res.costs.channel == "price") & (res.costs.year == 2026)].iloc[0]
    t = 10 * 2 * 0.5 / 1000
    assert (price.cost_low, price.cost_high) == pytest.approx((t * 30000 * 0.10, t * 30000 * 0.20))
    duty = res.costs[res.costs.channel == "duty"].iloc[0]
    assert duty.cost_low == pytest.approx(10 * 300 * 0.25)
    s = res.cost_summary.set_index("year")
    assert pd.isna(s.at["2027", "cost_low"]) and pd.isna(s.at["total", "cost_low"])  # unknown is never 0
    assert s.at["2026", "cost_low"] == pytest.approx(t * 3000 + 750)


def test_engine_wiring_on_a_preset():
    from critmin.exposure.policy import engine_price_changes

    eff = engine_price_changes("talks-fail-mip-gallium", years=(2026, 2027))
    pc = eff.price_changes
    assert list(pc["commodity_id"].unique()) == ["gallium"] and list(pc["year"]) == [2026, 2027]
    assert (pc["change_pct_low"] > 0).all() and (pc["price_base_usd_per_t"] > 0).all()
    assert set(eff.tariffs["origins"]) == {"CHN"}
    assert not eff.origin_prices.empty

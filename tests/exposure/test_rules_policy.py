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


def usmca(res, part):
    """The USMCA rows of one part, by requirement."""
    e = res.eligibility[(res.eligibility.rule_set == "usmca") & (res.eligibility.part_id == part)]
    return e.set_index("requirement")


def run_usmca(tmp_path, tiny_kb, lines, rules="usmca", name="bill.csv"):
    return assess(write_bill(tmp_path, lines, name=name), rule_sets=[rules], provider=FixedShares({}), kb=tiny_kb,
                  diversify=False)


def test_usmca_with_a_user_rule(tmp_path, tiny_kb):
    rules = load_rules("usmca")
    rules["product_specific_rules"] = [{"heading": "8501", "tariff_shift": "heading", "rvc": {"transaction_value": 60, "net_cost": 50}}]
    lines = [
        "M,,,motor,,,,,,USA,,,8501.53,1000,10,,800",
        "A,M,1,magnet,,,,,,CHN,,,8505.11,300,,no,",
        "B,M,1,stator,,,,,,MEX,,,8503.00,200,,yes,",
        "C,M,1,housing undeclared,,,,,,MEX,,,8503.00,100,,,",
    ]
    m = usmca(run_usmca(tmp_path, tiny_kb, lines, rules), "M")
    # VNM = 300 (non-originating) + 100 (undetermined counts as non-originating, Art. 4.5.2)
    tv = m.loc["RVC (transaction value)"]
    assert tv["value"] == pytest.approx(60.0) and tv["eligible"] == True  # noqa: E712
    assert "(1,000.00 - 400.00) / 1,000.00" in tv["reason"]
    nc = m.loc["RVC (net cost)"]
    assert nc["value"] == pytest.approx(50.0) and nc["eligible"] == True  # noqa: E712  (800 - 400) / 800
    assert m.loc["tariff shift", "eligible"] == True and m.loc["USMCA originating good", "eligible"] == True  # noqa: E712
    assert usmca(run_usmca(tmp_path, tiny_kb, lines, rules), "A").loc["originating material", "eligible"] == False  # noqa: E712
    rules["product_specific_rules"][0]["rvc"] = {"transaction_value": 65}
    assert usmca(run_usmca(tmp_path, tiny_kb, lines, rules), "M").loc["USMCA originating good", "eligible"] == False  # noqa: E712


def test_either_rvc_method_may_qualify(tmp_path, tiny_kb):
    rules = load_rules("usmca")
    rules["product_specific_rules"] = [{"heading": "8501", "tariff_shift": "heading", "rvc": {"transaction_value": 60, "net_cost": 50}}]
    # TV: (1000 - 450) / 1000 = 55% < 60; NC: (900 - 450) / 900 = 50% >= 50 (Art. 4.5.1: the producer's choice)
    m = usmca(run_usmca(tmp_path, tiny_kb, ["M,,,motor,,,,,,USA,,,8501.53,1000,10,,900",
                                           "A,M,1,magnet,,,,,,CHN,,,8505.11,450,,no,"], rules), "M")
    assert m.loc["RVC (transaction value)", "eligible"] == False and m.loc["RVC (net cost)", "eligible"] == True  # noqa: E712
    assert m.loc["USMCA originating good", "eligible"] == True  # noqa: E712


def test_de_minimis_ten_percent_of_the_transaction_value(tmp_path, tiny_kb):
    rules = load_rules("usmca")
    rules["product_specific_rules"] = [{"heading": "8501", "tariff_shift": "heading"}]
    # a non-originating material of the same heading fails the change; 10.00 of a 100.00 good is within 10%
    ok = usmca(run_usmca(tmp_path, tiny_kb, ["M,,,motor,,,,,,USA,,,8501.53,100,10,,",
                                            "A,M,1,sub-motor,,,,,,CHN,,,8501.10,10,,no,"], rules), "M")
    assert ok.loc["de minimis (Art. 4.12)", "value"] == pytest.approx(10.0)
    assert ok.loc["de minimis (Art. 4.12)", "eligible"] == True and ok.loc["USMCA originating good", "eligible"] == True  # noqa: E712
    over = usmca(run_usmca(tmp_path, tiny_kb, ["M,,,motor,,,,,,USA,,,8501.53,100,10,,",
                                              "A,M,1,sub-motor,,,,,,CHN,,,8501.10,10.01,,no,"], rules, name="b.csv"), "M")
    assert over.loc["de minimis (Art. 4.12)", "eligible"] == False and over.loc["USMCA originating good", "eligible"] == False  # noqa: E712


def test_chapter_28_rule_alternatives_for_rare_earth_compounds(tmp_path, tiny_kb):
    # GN 11(o) ch. 28 rule 1: (A) a change from any other subheading; or (B) no change with RVC 40% TV / 30% NC
    shift = usmca(run_usmca(tmp_path, tiny_kb, ["O,,,rare-earth oxide,,,,,,USA,,,2846.90,100,10,,",
                                               "C,O,1,REE concentrate,,,,,,CHN,,,2530.90,90,,no,"]), "O")
    assert shift.loc["USMCA originating good", "eligible"] == True  # noqa: E712  (A): 2530.90 -> 2846.90
    assert "met by alternative A" in shift.loc["USMCA originating good", "reason"]
    assert "chapter 28, rule 1" in shift.loc["USMCA originating good", "reason"]
    # a compound of the same subheading: (A) fails; (B) needs RVC >= 40% TV
    same = ["O,,,rare-earth oxide,,,,,,USA,,,2846.90,100,10,,", "C,O,1,mixed REE compound,,,,,,CHN,,,2846.90,70,,no,"]
    low = usmca(run_usmca(tmp_path, tiny_kb, same, name="low.csv"), "O")
    assert low.loc["RVC (transaction value)", "value"] == pytest.approx(30.0)
    # 30% < 40% by transaction value, but without a net cost the 30% net-cost test cannot be ruled out
    assert pd.isna(low.loc["USMCA originating good", "eligible"])
    same[0] += "90"  # net cost 90: (90 - 70) / 90 = 22% < 30%
    low = usmca(run_usmca(tmp_path, tiny_kb, same, name="low2.csv"), "O")
    assert low.loc["RVC (net cost)", "value"] == pytest.approx(100 * 20 / 90)
    assert low.loc["USMCA originating good", "eligible"] == False  # noqa: E712
    same[1] = same[1].replace(",70,", ",55,")
    high = usmca(run_usmca(tmp_path, tiny_kb, same, name="high.csv"), "O")
    assert high.loc["RVC (transaction value)", "value"] == pytest.approx(45.0) and high.loc["RVC (transaction value)", "threshold"] == 40
    assert high.loc["USMCA originating good", "eligible"] == True  # noqa: E712
    assert "met by alternative B" in high.loc["USMCA originating good", "reason"]


def test_capacitor_rule_by_good(tmp_path, tiny_kb):
    # GN 11(o) ch. 85, 73: a change to a good of 8532.10-8532.90 from any other good or subheading
    other = usmca(run_usmca(tmp_path, tiny_kb, ["K,,,tantalum capacitor,,,,,,MEX,,,8532.21,2,1000,,",
                                               "T,K,1,tantalum powder,,,,,,CHN,,,8103.20,1.2,,no,"]), "K")
    assert other.loc["USMCA originating good", "eligible"] == True  # noqa: E712
    # a material of the same subheading may or may not be "another good": not determinable ...
    same = ["K,,,tantalum capacitor,,,,,,MEX,,,8532.21,2,1000,,", "T,K,1,capacitor element,,,,,,CHN,,,8532.21,1.2,,no,"]
    unsure = usmca(run_usmca(tmp_path, tiny_kb, same, name="u.csv"), "K")
    assert pd.isna(unsure.loc["USMCA originating good", "eligible"])
    assert "cannot be checked" in unsure.loc["tariff shift", "reason"]
    # ... unless its value is within de minimis either way
    same[1] = same[1].replace(",1.2,", ",0.2,")
    assert usmca(run_usmca(tmp_path, tiny_kb, same, name="d.csv"), "K").loc["USMCA originating good", "eligible"] == True  # noqa: E712


def test_usmca_without_verified_rule_is_undetermined_and_outside_territory_fails(tmp_path, tiny_kb):
    res = run_usmca(tmp_path, tiny_kb, ["M,,,motor,,,,,,USA,,,8501.53,1000,10,,", "A,M,1,part,,,,,,CHN,,,8505.11,300,,no,",
                                        "N,,,made abroad,,,,,,CHN,,,8501.53,1000,10,,", "B,N,1,part,,,,,,CHN,,,8505.11,300,,no,"])
    m = usmca(res, "M")
    assert pd.isna(m.loc["USMCA originating good", "eligible"])
    assert "no verified product-specific rule" in m.loc["USMCA originating good", "reason"]
    assert m.loc["RVC (transaction value)", "value"] == pytest.approx(70.0) and "indicative 60%" in m.loc["RVC (transaction value)", "reason"]
    assert pd.isna(m.loc["RVC (net cost)", "eligible"]) and "net_cost_usd" in m.loc["RVC (net cost)", "reason"]
    n = usmca(res, "N")
    assert n.loc["USMCA originating good", "eligible"] == False and "outside the USMCA territory" in n.loc["USMCA originating good", "reason"]  # noqa: E712


def test_the_encoded_rules_carry_their_text_and_source():
    rules = load_rules("usmca")
    for r in rules["product_specific_rules"]:
        assert r["text"] and r["citation"] and r["text_source"] and r["alternatives"]
    assert {"8505", "8507.60", "8112"} <= set(rules["unverified_headings"])


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


def test_ira30d_line_with_several_minerals_is_an_interval(tmp_path, tiny_kb):
    shares = FixedShares({("lithium", "mine"): {"AUS": 1.0}, ("cobalt", "mine"): {"COD": 1.0},
                          ("cobalt", "processing"): {"CHN": 1.0}, ("lithium", "processing"): {"CHN": 1.0}})
    p = write_bill(tmp_path, ["V,,,pack,,,,,,USA,,,8507.60,1000,10,,", "K,V,1,cathode,nmc811-cam,2,,,,KOR,,,,300,,,"])
    res = assess(p, rule_sets=["ira30d"], year=2024, provider=shares, kb=tiny_kb, diversify=False)
    cm = res.eligibility.set_index("requirement").loc["critical minerals (30D(e)(1))"]
    # lithium qualifies (mined in Australia), cobalt does not (DRC, China), nickel and manganese are unknown:
    # the line's value share that qualifies lies in [min, max] over its minerals = [0%, 100%]
    assert cm["value"] == pytest.approx(0.0) and pd.isna(cm["eligible"]) and "0.0%-100.0%" in cm["reason"]


def test_marketplace_unknown_country_is_undetermined_without_traceability(tmp_path, tiny_kb):
    rules = {"kind": "marketplace", "name": "open", "allowed_countries": {"mine": ["AUS"]}, "traceability_required": False,
             "feoc_excluded": True, "minimum_value_share": 0.5}
    p = write_bill(tmp_path, ["V,,,pack,,,,,,USA,,,,1000,10,,", "L,V,1,lithium,lithium,1,1,,,USA,,,,100,,,",
                              "G,V,1,gallium,gallium,1,1,,,USA,,,,100,,,"])
    res = assess(p, rule_sets=[rules], provider=FixedShares({("gallium", "processing"): {"CHN": 1.0}}), kb=tiny_kb,
                 diversify=False)
    e = res.eligibility.set_index("part_id")
    assert pd.isna(e.at["L", "eligible"]) and "mine: country unknown" in e.at["L", "reason"]  # no evidence: not a failure
    assert e.at["G", "eligible"] == False and "FEOC" in e.at["G", "reason"]  # noqa: E712
    assert pd.isna(e.at["V", "eligible"])  # 0-50% of the value meets the rules: the 50% minimum is undecided

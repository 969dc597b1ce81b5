"""Markets of the runs: the data interval of a withheld figure, default choices, setup."""

import numpy as np
import pytest

from critmin.model.montecarlo import markets


def test_lithium_production_interval_from_the_published_reliance():
    iv = markets.withheld_interval("lithium")
    # MCS 2026, 2025: imports 3,800 t, exports 2,000 t, NIR >50%: C in [1,800, 3,600], P in [0, 1,800]
    assert iv.low == pytest.approx(0.0) and iv.high == pytest.approx(1800.0)
    assert "W" in iv.derivation and ">50" in iv.derivation
    assert markets.withheld_interval("gallium") is None  # nothing withheld there


def test_the_lithium_market_is_calibrated_on_each_stratum():
    built = markets.build_market("kb:lithium:mine", strata=3)
    assert len(built.markets) == 3 and built.interval is not None
    us = [m.regions.index("USA") for m in built.markets]
    prod = [m.production[i] for m, i in zip(built.markets, us)]
    cons = [m.consumption[i] for m, i in zip(built.markets, us)]
    assert np.allclose(prod, built.interval.values)
    assert np.allclose(np.array(cons) - np.array(prod), 1800.0)
    assert any("5.32" in n for n in built.notes)  # the carbonate price converted to lithium content


def _kb_chain(cid: str, stage: str) -> bool:
    """Whether the knowledge-base chain calibration (critmin.model.kb) is installed and calibrates this market."""
    return stage in markets._kb_chain_stages(cid)


def test_default_markets():
    # the chain engine first (issue 13 on issue 10's engine): a knowledge-base chain market where the calibration
    # gives one, else a shipped chain market of a processed form, else the static engine's choices as before
    assert markets.default_market("gallium").key == ("chain:kb:gallium:processing" if _kb_chain("gallium", "processing")
                                                     else "chain:ref:gallium")
    # the separation stage (REO) calibrates from the knowledge base since the linked chains; else the cited NdPr market
    assert markets.default_market("rare earths").key == ("chain:kb:rare-earths:processing"
                                                         if _kb_chain("rare-earths", "processing") else "chain:ref:ndpr_oxide")
    if _kb_chain("cobalt", "processing"):
        assert markets.default_market("Co").key == "chain:kb:cobalt:processing"
    else:
        assert markets.default_market("Co").key == "preset:allied-capacity"
    if not _kb_chain("lithium", "processing"):
        assert markets.default_market("lithium").key == "kb:lithium:mine"
    with pytest.raises(markets.MarketChoiceError):
        markets.default_market("unobtainium")
    with pytest.raises(markets.MarketChoiceError, match="unknown market key"):
        markets.build_market("somewhere:else")


def test_setup_of_a_scenario_overlay_gives_fiscal_costs():
    from critmin.model.montecarlo import disruption_montecarlo

    r = disruption_montecarlo(scenario="ndpr-style-floor-cfd", mineral="rare-earths", draws=60, seed=1,
                              backend="inprocess")
    assert r.info.policy_overlay
    assert (r.result.outcomes["status"] != 100).all()  # with a policy every year is solved
    fiscal = r.distributions().set_index("output").loc["fiscal_cost"]
    assert fiscal["scenario_years"] > 0 and fiscal["p95"] != 0

"""The chain container and its construction from tidy country tables."""

import numpy as np
import pandas as pd
import pytest

from critmin.model.chain import ChainError, ChainMarket, Stage, chain_from_tables


def tables():
    production = pd.DataFrame({"stage": ["mine"] * 3 + ["processing"] * 2, "country": ["USA", "CHN", "AUS", "CHN", "JPN"],
                               "quantity": [40.0, 200.0, 60.0, 250.0, 30.0]})
    trade = pd.DataFrame({"stage": ["mine", "mine", "processing", "processing"],
                          "exporter": ["USA", "AUS", "CHN", "JPN"], "importer": ["CHN", "CHN", "USA", "USA"],
                          "quantity": [40.0, 30.0, 20.0, 5.0]})
    prices = pd.DataFrame({"stage": ["mine", "processing"], "price": [5.0, 60.0]})
    return production, trade, prices


STAGES = [{"name": "mine", "basis": "REO"}, {"name": "processing", "basis": "REO", "input_coefficient": 1.0}]


def test_tables_are_grouped_into_regions_and_balance():
    production, trade, prices = tables()
    m = chain_from_tables("rare earths", ["USA", "CHN", ("ALLIES", ["AUS", "JPN"])], STAGES, production, trade,
                          prices, base_year=2024)
    assert m.regions == ("USA", "CHN", "ALLIES")
    mine = m.stages[0]
    assert mine.flows[0, 1] == 40 and mine.flows[0, 0] == 0 and mine.flows[2, 2] == 30
    assert m.final_use(0).min() >= 0
    np.testing.assert_allclose(m.derived_use(0), [0, 250, 30])
    # the US has no base use of ore: a buyer there would take producers' output shares at base costs
    np.testing.assert_allclose(m.base_shares(0)[:, 0], [40 / 300, 200 / 300, 60 / 300])
    assert any("no trade-cost data" in a for a in m.all_assumptions())


def test_errors_name_the_stage_region_and_figures():
    production, trade, prices = tables()
    too_much = trade.copy()
    too_much.loc[0, "quantity"] = 80.0
    with pytest.raises(ChainError, match="stage mine: USA exports 80 but produces 40"):
        chain_from_tables("x", ["USA", "CHN", "ROW"], STAGES, production, too_much, prices, base_year=2024)
    with pytest.raises(ChainError, match="country 'JPN' is in the tables but in no region"):
        chain_from_tables("x", ["USA", "CHN", "AUS"], STAGES, production, trade, prices, base_year=2024)
    missing = production.copy()
    missing.loc[1, "quantity"] = np.nan
    with pytest.raises(ChainError, match="production: row 1 has an empty value"):
        chain_from_tables("x", ["USA", "CHN", "ROW"], STAGES, missing, trade, prices, base_year=2024)
    cons = pd.DataFrame({"stage": ["processing"], "country": ["USA"], "quantity": [50.0]})
    with pytest.raises(ChainError, match="USA consumes 50 by the consumption table but production - exports \\+ "
                                         "imports = 25"):
        chain_from_tables("x", ["USA", "CHN", "ROW"], STAGES, production, trade, prices, cons, base_year=2024)


def test_inconsistent_bases_fail():
    """Ore priced like oxide (the defect of a mine-tonnage market at the NdPr price) is refused."""
    flows = np.array([[10.0, 0.0], [0.0, 10.0]])
    with pytest.raises(ChainError, match="feed costs .* times the output price"):
        ChainMarket("x", ["A", "B"], [Stage("mine", "ore", flows * 2, 60.0),
                                      Stage("processing", "oxide", flows, 60.0, input_coefficient=2.0)])
    with pytest.raises(ChainError, match="its processing output needs 20"):
        ChainMarket("x", ["A", "B"], [Stage("mine", "ore", flows, 6.0),
                                      Stage("processing", "oxide", flows, 60.0, input_coefficient=2.0)])
    with pytest.raises(ChainError, match="input coefficient .* is 0; give it"):
        ChainMarket("x", ["A", "B"], [Stage("mine", "ore", flows, 6.0), Stage("processing", "oxide", flows, 60.0)])
    with pytest.raises(ChainError, match="demand_short exceeds demand_long"):
        ChainMarket("x", ["A", "B"], [Stage("mine", "ore", flows, 6.0, demand_short=1.0, demand_long=0.5)])

"""Ranking nothing gives an empty table with the usual columns, not an error downstream."""

import pytest

from critmin import snapshot
from critmin.analysis import risk
from critmin.analysis.inputs import build_inputs
from critmin.kb import read_tables


def test_rank_of_no_commodities_keeps_columns():
    if not (snapshot.default_dir() / "manifest.json").is_file():
        pytest.skip("no committed snapshot")
    inputs = build_inputs(read_tables())
    df = risk.rank(inputs, commodities=[])
    assert df.empty
    assert {"rank", "commodity_id", "score", "status", "missing"} <= set(df.columns)
    assert len(risk.rank(inputs, commodities=["gallium"])) == 1

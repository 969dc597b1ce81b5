"""Behavioural parameters of knowledge-base markets come from elasticities.csv, each cited or labelled."""

import numpy as np
import pandas as pd
import pytest

from critmin.model.chain.elasticities import CHAIN_DEFAULTS, CHAIN_ELASTICITY_KINDS
from critmin.model.kb import KBDataError, calibrate_market, multiplier_range
from critmin.model.kb import elasticities as el


def test_every_row_is_cited_labelled_or_a_documented_search():
    t = el.table()
    assert set(t["status"]) <= {"cited", "assumption", "consulted"}
    for r in t.itertuples(index=False):
        assert isinstance(r.citation, str) and len(r.citation) > 10
        if r.status == "cited":
            assert isinstance(r.locator, str) and r.locator.strip(), r  # table and page
        if r.status == "consulted":
            assert pd.isna(r.value) and "consulted" in r.note
    # every kind has a '*' row, so every stage has a value
    star = t[(t["applies_to"] == "*") & (t["stage"] == "*") & (t["status"] != "consulted")]
    assert set(star["kind"]) == set(CHAIN_ELASTICITY_KINDS)
    # the publications the issue names were searched, and are on record
    consulted = " ".join(el.consulted()["citation"])
    for needle in ("10.1016/j.resconrec.2024.107664", "Fally", "MEDS", "Hertel"):
        assert needle in consulted


def test_calibrated_stages_take_their_parameters_from_the_file_with_the_row_named():
    k = calibrate_market("gallium", "processing")
    st = k.low.stages[0]
    for kind in CHAIN_ELASTICITY_KINDS:
        e = el.lookup("gallium", "processing", kind)
        np.testing.assert_allclose(getattr(st, kind), e.value)
        assert any(f"{kind} {e.value:g}" in a and f"elasticities.csv row {e.row}" in a for a in k.low.assumptions)
    # no cited value was readable: the file's values are the chain engine's labelled defaults
    assert all(el.lookup("gallium", "processing", kind).value == CHAIN_DEFAULTS[kind].value
               for kind in CHAIN_ELASTICITY_KINDS)


def test_a_callers_parameter_replaces_the_file_and_says_so():
    k = calibrate_market("gallium", "processing", parameters={"substitution": 8.0})
    assert np.all(k.low.stages[0].substitution == 8.0)
    assert any("substitution set by the caller" in a for a in k.low.assumptions)


def test_monte_carlo_multiplier_range_is_the_labelled_half_to_double_without_a_citation():
    lo, hi, source = multiplier_range("copper", "processing", "supply_short")
    assert (lo, hi) == pytest.approx((0.5, 2.0))
    assert source.startswith("assumption:")


def test_a_bad_row_is_refused_naming_file_row_and_field():
    good = el.table().drop(columns="row").head(1)
    bad = good.assign(status="cited", locator=np.nan)
    with pytest.raises(KBDataError, match=r"row 2, field 'locator'"):
        el.validate(bad)
    with pytest.raises(KBDataError, match=r"field 'kind'"):
        el.validate(good.assign(kind="elasticity"))
    with pytest.raises(KBDataError, match=r"field 'value'.*low <= value <= high"):
        el.validate(good.assign(value=100.0))
    with pytest.raises(KBDataError, match=r"field 'value'.*'consulted'"):
        el.validate(good.assign(status="consulted"))
    with pytest.raises(KBDataError, match="missing column"):
        el.validate(good.drop(columns="citation"))


def test_the_most_specific_row_wins(monkeypatch):
    t = el.table().drop(columns="row")
    extra = pd.DataFrame([{"kind": "demand_short", "applies_to": "cobalt", "stage": "processing", "status": "cited",
                           "value": 0.05, "low": 0.01, "high": 0.1, "citation": "A test citation, 2099, a journal",
                           "locator": "Table 9, p. 99", "note": "fixture"}])
    fixture = el.validate(pd.concat([t, extra], ignore_index=True))
    monkeypatch.setattr(el, "table", lambda: fixture)
    e = el.lookup("cobalt", "processing", "demand_short")
    assert e.cited and e.value == 0.05 and "Table 9" in e.describe()
    assert el.lookup("cobalt", "mine", "demand_short").value == CHAIN_DEFAULTS["demand_short"].value
    lo, hi, source = el.multiplier_range("cobalt", "processing", "demand_short")
    assert (lo, hi) == pytest.approx((0.2, 2.0)) and "Table 9" in source

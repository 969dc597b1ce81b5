"""From uniforms to event paths and shocks."""

import numpy as np
import pytest

from critmin.model.montecarlo.design import DataInterval, Design
from critmin.model.montecarlo.evaluator import Channel

from .conftest import event


def realise(info, events, horizon, u=None, n=4, **kw):
    d = Design(info, tuple(events), horizon=horizon, elasticity=None, **kw)
    if u is None:
        u = np.full((n, d.dims), 0.5)
    return d, d.realise(u, np.arange(u.shape[0]))


def test_certain_event_lasting_two_and_a_half_years(evaluator):
    ev = event(duration=("fixed", 2.5, float("nan")))
    d, (shocks, inputs, mask) = realise(evaluator.info, [ev], horizon=5)
    a = shocks.availability[Channel("CHN", "USA")]
    # starts in year 0, active 1, 1, 0.5; then a new event starts in year 3 (rate 50/yr: p ~ 1)
    assert np.allclose(a[0], [0.0, 0.0, 0.5, 0.0, 0.0])
    assert (mask[0] == [1, 1, 1, 1, 1]).all()
    assert inputs["E:onsets"].iloc[0] == 2
    assert inputs["E:years_active"].iloc[0] == pytest.approx(2.5 + 2.0)  # the second event runs past the horizon


def test_no_event_when_the_probability_is_zero(evaluator):
    d, (shocks, inputs, mask) = realise(evaluator.info, [event(rate=("fixed", 0.0, float("nan")))], horizon=3)
    assert (shocks.availability[Channel("CHN", "USA")] == 1.0).all() and (mask == 0).all()


def test_onset_follows_the_uniform_and_the_rate(evaluator):
    ev = event(rate=("fixed", -np.log(1 - 0.3), float("nan")))  # p = 0.3 exactly
    d = Design(evaluator.info, (ev,), horizon=1, elasticity=None)
    u = np.full((2, d.dims), 0.5)
    u[0, 1] = 0.29  # onset uniform below p
    u[1, 1] = 0.31
    shocks, _, mask = d.realise(u, np.arange(2))
    assert shocks.availability[Channel("CHN", "USA")][:, 0].tolist() == [0.0, 1.0]
    assert mask[:, 0].tolist() == [1, 0]


def test_persistent_events_and_combined_channels(evaluator):
    ban_all = event("B", kind="ban", target="ALL", duration=None)
    lic = event("L", kind="licensing", target="ALL", severity=("uniform", 0.2, 0.4))
    out = event("O", kind="outage", severity=("fixed", 0.25, float("nan")))
    d, (shocks, inputs, mask) = realise(evaluator.info, [ban_all, lic, out], horizon=3)
    assert (shocks.availability[Channel("CHN", "ALL")] == 0.0).all()  # ban times anything is 0
    assert np.allclose(shocks.capacity["CHN"], 0.75)
    assert (mask == 0b111).all()
    # licensing alone: severity uniform(0.2, 0.4) at u = 0.5 -> 0.3 withheld
    d, (shocks, _, _) = realise(evaluator.info, [lic], horizon=1)
    assert np.allclose(shocks.availability[Channel("CHN", "ALL")], 0.7)


def test_a_cap_quantity_becomes_a_share_of_base_exports(evaluator):
    base = evaluator.info.base_exports[Channel("CHN", "ALL")][0]
    cap = event("Q", kind="quota", target="ALL", severity=("fixed", 0.25 * base * 1000.0, float("nan")), unit="kg")
    d, (shocks, _, _) = realise(evaluator.info, [cap], horizon=1)
    assert np.allclose(shocks.availability[Channel("CHN", "ALL")], 0.25)


def test_design_checks(evaluator):
    with pytest.raises(ValueError, match="horizon"):
        Design(evaluator.info, (), horizon=0)
    with pytest.raises(ValueError, match="not a region"):
        Design(evaluator.info, (event(exporter="RUS"),))
    with pytest.raises(ValueError, match="stratum"):
        Design(evaluator.info, (), interval=DataInterval("x", 0, 1, "t", "why", strata=3))
    d = Design(evaluator.info, (event(),), horizon=2)
    with pytest.raises(ValueError, match="uniform columns"):
        d.realise(np.full((1, d.dims + 1), 0.5), np.arange(1))
    assert len(d.dim_names()) == d.dims


def test_data_interval_strata():
    iv = DataInterval("us_production", 0.0, 1800.0, "t", "why", strata=5)
    assert np.allclose(iv.values, [180, 540, 900, 1260, 1620])

"""Small markets and events for the Monte Carlo tests (built here, no snapshot needed)."""

import pytest

from critmin.model import calibrate
from critmin.model.montecarlo.disruptions import ActiveEvent, EventKind
from critmin.model.montecarlo.distributions import Distribution


def event(event_id="E", exporter="CHN", kind="ban", target="USA", rate=("fixed", 50.0, float("nan")),
          duration=("fixed", 1.0, float("nan")), severity=("fixed", 1.0, float("nan")), unit="share", region=None):
    e = EventKind(event_id, exporter, "*", "*", kind, target, True, Distribution(*rate), "assumption", "test",
                  None if duration is None else Distribution(*duration), "assumption", "test", Distribution(*severity),
                  unit, "assumption", "test", "test")
    return ActiveEvent(e, region or exporter)


@pytest.fixture(scope="session")
def small_market():
    """Four regions, China the main supplier of the US (proportional sourcing)."""
    return calibrate(["USA", "CHN", "JPN", "ROW"], production=[2.0, 80.0, 5.0, 13.0],
                     consumption=[10.0, 60.0, 15.0, 15.0], price=100.0,
                     elasticities={"substitution": 3.0, "demand": 0.5, "supply": {"default": 1.0, "CHN": 1.5}},
                     mineral="testium", stage="processing", unit="t", price_unit="USD/t")


@pytest.fixture(scope="session")
def evaluator(small_market):
    from critmin.model.montecarlo.evaluator import EngineEvaluator

    return EngineEvaluator("test:small", [small_market])

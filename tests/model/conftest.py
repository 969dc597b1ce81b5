import numpy as np
import pytest

from critmin.model import calibrate


@pytest.fixture
def market4():
    """Four regions from production and consumption vectors (proportional sourcing)."""
    return calibrate(
        ["USA", "CHN", "JPN", "ROW"],
        production=[2.0, 80.0, 5.0, 13.0],
        consumption=[10.0, 60.0, 15.0, 15.0],
        price=100.0,
        elasticities={"substitution": 3.0, "demand": 0.5, "supply": {"default": 1.0, "CHN": 1.5}},
    )


@pytest.fixture
def market_dense():
    """Five regions, every bilateral flow positive, mixed elasticities (incl. sigma = 1 and eta = 0)."""
    rng = np.random.default_rng(7)
    flows = rng.uniform(0.5, 5.0, (5, 5))
    return calibrate(
        [f"R{i}" for i in range(5)],
        flows=flows,
        price=[10.0, 12.0, 9.0, 11.0, 10.5],
        elasticities={"substitution": {"default": 3.0, "R1": 1.0}, "demand": 0.7,
                      "supply": {"default": 1.2, "R4": 0.0}},
    )

import numpy as np
import pytest
from scipy import stats

from critmin.model.montecarlo.distributions import Distribution


def test_inverse_cdfs_match_scipy():
    u = np.linspace(0.01, 0.99, 25)
    assert np.allclose(Distribution("gamma", 4.5, 14.0).ppf(u), stats.gamma(4.5, scale=1 / 14.0).ppf(u))
    assert np.allclose(Distribution("beta", 2.0, 5.0).ppf(u), stats.beta(2.0, 5.0).ppf(u))
    assert np.allclose(Distribution("uniform", 1.0, 3.0).ppf(u), 1 + 2 * u)
    assert np.allclose(Distribution("loguniform", 0.5, 2.0).ppf(u), 0.5 * 4 ** u)
    assert np.all(Distribution("fixed", 7.0).ppf(u) == 7.0)


def test_means():
    assert Distribution("gamma", 4.5, 9.0).mean() == pytest.approx(0.5)
    d = Distribution("loguniform", 0.5, 2.0)
    assert d.mean() == pytest.approx(np.mean(d.ppf((np.arange(100000) + 0.5) / 100000)), rel=1e-4)


@pytest.mark.parametrize("kind, a, b", [("normal", 0, 1), ("uniform", 2, 1), ("loguniform", 0, 1), ("gamma", -1, 2),
                                        ("beta", 1, float("nan")), ("fixed", float("inf"), 0)])
def test_invalid_parameters(kind, a, b):
    with pytest.raises(ValueError):
        Distribution(kind, a, b)

"""Price processes: fitting recovers known parameters; simulation is seeded and chunk-independent."""

import numpy as np
import pandas as pd
import pytest

from critmin.model.montecarlo import price_paths as pp


def ou_series(kappa, sigma, n, seed, start=1900, mu=np.log(100.0)):
    rng = np.random.default_rng(seed)
    b = np.exp(-kappa)
    sd = sigma * np.sqrt((1 - b * b) / (2 * kappa))
    x = [mu]
    for _ in range(n - 1):
        x.append(mu + (x[-1] - mu) * b + sd * rng.normal())
    idx = pd.period_range(start=str(start), periods=n, freq="Y")
    return pd.Series(np.exp(x), index=idx)


def seg(series, k=1):
    return pp.Segment("synthetic", series, k, "real", "test")


def test_ou_fit_recovers_the_parameters():
    s = ou_series(0.5, 0.3, 4000, 1)
    p = pp.fit([seg(s)], "ou")
    assert p.model == "ou"
    assert p.kappa == pytest.approx(0.5, rel=0.15)
    assert p.sigma == pytest.approx(0.3, rel=0.08)


def test_segments_keep_their_own_levels():
    a = ou_series(0.7, 0.25, 1500, 2, start=1000, mu=np.log(10.0))
    b = ou_series(0.7, 0.25, 1500, 3, start=2600, mu=np.log(5000.0))  # another basis, far higher level
    p = pp.fit([seg(a), seg(b)], "ou")
    assert p.kappa == pytest.approx(0.7, rel=0.15)


def test_random_walk_falls_back_to_gbm_and_gbm_sigma():
    rng = np.random.default_rng(5)
    s = pd.Series(np.exp(np.cumsum(0.2 * rng.normal(size=3000)) + 3.0),
                  index=pd.period_range("1000", periods=3000, freq="Y"))
    g = pp.fit([seg(s)], "gbm")
    assert g.model == "gbm" and g.sigma == pytest.approx(0.2, rel=0.05)
    o = pp.fit([seg(s)], "ou")
    assert o.model in ("ou", "gbm")
    if o.model == "ou":
        assert o.kappa < 0.05  # barely any reversion in a random walk


def test_too_little_history_is_an_error():
    s = ou_series(0.5, 0.3, 6, 1)
    with pytest.raises(pp.PriceHistoryError, match="at least"):
        pp.fit([seg(s)])


def test_simulation_is_seeded_and_chunk_independent():
    p = pp.PriceProcess("ou", 0.4, kappa=0.5)
    whole = pp.simulate(p, 100.0, 12, 300, seed=4)
    part = pp.simulate(p, 100.0, 12, 100, seed=4, start=200)
    assert np.array_equal(whole[200:], part)
    # the OU stationary spread of the log price: sigma^2 / (2 kappa)
    many = pp.simulate(p, 100.0, 40, 20000, seed=1)
    assert np.std(np.log(many[:, -1])) == pytest.approx(np.sqrt(0.4 ** 2 / 1.0), rel=0.05)
    assert np.median(many[:, -1]) == pytest.approx(100.0, rel=0.05)
    g = pp.simulate(pp.PriceProcess("gbm", 0.2), 50.0, 10, 20000, seed=2)
    assert np.std(np.log(g[:, -1] / 50.0)) == pytest.approx(0.2 * np.sqrt(10), rel=0.05)


def test_knowledge_base_history_of_lithium():
    segments = pp.price_history("lithium")
    labels = [s.label for s in segments]
    assert labels[0].startswith("ds140:lithium") and labels[1].startswith("MCS salient")
    assert all((s.series > 0).all() for s in segments)
    # the MCS segment starts where the DS140 one ends (one shared year for the first return)
    assert segments[1].series.index.min().year == segments[0].series.index.max().year
    fitted = pp.fit(segments)
    assert fitted.n_returns >= 20 and 0 < fitted.sigma < 2
    nickel = pp.price_history("nickel")
    assert nickel[0].periods_per_year == 12 and len(nickel) == 1

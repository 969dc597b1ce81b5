import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.model.montecarlo.sampling import BLOCK, feistel_permutation, uniforms


def test_random_draws_do_not_depend_on_chunking():
    whole = uniforms(11, 0, 3 * BLOCK + 17, 5)
    pieces = [uniforms(11, a, b, 5) for a, b in [(0, 7), (7, 1500), (1500, 2048), (2048, 3 * BLOCK + 17)]]
    assert np.array_equal(whole, np.concatenate(pieces))
    assert ((whole > 0) & (whole < 1)).all()


def test_seed_and_draw_index_determine_the_values():
    a = uniforms(1, 100, 200, 3)
    assert np.array_equal(a, uniforms(1, 100, 200, 3))
    assert not np.array_equal(a, uniforms(2, 100, 200, 3))
    # draw 150 is the same row whatever slice it comes in
    assert np.array_equal(uniforms(1, 150, 151, 3)[0], a[50])


def test_lhs_has_one_point_per_stratum_and_is_chunk_independent():
    n, dims = 1000, 4
    whole = uniforms(5, 0, n, dims, method="lhs", n_total=n)
    for j in range(dims):
        strata = np.floor(whole[:, j] * n).astype(int)
        assert sorted(strata) == list(range(n))
    parts = np.concatenate([uniforms(5, a, min(n, a + 333), dims, method="lhs", n_total=n) for a in range(0, n, 333)])
    assert np.array_equal(whole, parts)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 3000), seed=st.integers(0, 2**32 - 1))
def test_feistel_is_a_permutation(n, seed):
    keys = np.random.SeedSequence(seed).generate_state(6, dtype=np.uint64)
    out = feistel_permutation(np.arange(n, dtype=np.uint64), n, keys)
    assert np.array_equal(np.sort(out), np.arange(n, dtype=np.uint64))


def test_uniform_marginals():
    u = uniforms(3, 0, 20000, 2)
    # Kolmogorov-Smirnov distance to U(0,1) well inside the 1% critical value (1.63/sqrt(n))
    for j in range(2):
        x = np.sort(u[:, j])
        d = np.max(np.abs(x - (np.arange(1, x.size + 1) - 0.5) / x.size))
        assert d < 1.63 / np.sqrt(x.size)


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": -1, "start": 0, "stop": 3, "dims": 1}, "seed"),
    ({"seed": 0, "start": 5, "stop": 3, "dims": 1}, "start"),
    ({"seed": 0, "start": 0, "stop": 3, "dims": 1, "method": "sobol"}, "method"),
    ({"seed": 0, "start": 0, "stop": 3, "dims": 1, "method": "lhs"}, "n_total"),
    ({"seed": 0, "start": 0, "stop": 5, "dims": 1, "method": "lhs", "n_total": 4}, "exceed"),
])
def test_bad_requests_are_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        uniforms(**kwargs)

r"""Seeded draws that do not depend on how a run is chunked, nor on where it runs.

Every Monte Carlo input is a function of uniforms ``U[i, j]`` in (0, 1), one row per draw
``i`` and one column per input dimension ``j``. This module computes any slice of rows
``start <= i < stop`` of that matrix from ``(seed, i, j)`` alone, so a chunk computed on a
Dask worker, a resumed chunk and an in-process run see exactly the same numbers.

Plain random sampling
    Draws are grouped in fixed blocks of :data:`BLOCK` rows. Block ``b`` is filled by a
    Philox-4x64 counter-based generator (Salmon et al. 2011) seeded with
    ``SeedSequence(seed, spawn_key=(stream, b))`` -- the independent child streams that
    ``SeedSequence(seed).spawn`` would hand out, addressed by block index. A chunk
    regenerates the blocks it overlaps and keeps its rows, so its values never depend on
    the chunk size.

Latin hypercube sampling (McKay, Beckman and Conover 1979)
    ``U[i, j] = (pi_j(i) + V[i, j]) / N`` where ``N`` is the number of draws in the run,
    ``V`` is a plain random matrix (another stream) and ``pi_j`` a permutation of
    ``{0, ..., N-1}``. Each column then has exactly one value in every stratum
    ``[k/N, (k+1)/N)``. The permutation is a keyed Feistel network with cycle walking
    (Black and Rogaway 2002): ``pi_j(i)`` is computed from ``i`` alone, in O(1), so no
    worker ever needs the whole permutation of a million draws.

References
----------
.. [1] Salmon, J. K., M. A. Moraes, R. O. Dror and D. E. Shaw (2011). "Parallel random
   numbers: as easy as 1, 2, 3". Proceedings of SC11. doi:10.1145/2063384.2063405
.. [2] McKay, M. D., R. J. Beckman and W. J. Conover (1979). "A comparison of three
   methods for selecting values of input variables in the analysis of output from a
   computer code". Technometrics 21(2), 239-245.
.. [3] Black, J. and P. Rogaway (2002). "Ciphers with arbitrary finite domains".
   CT-RSA 2002, LNCS 2271, 114-130.
.. [4] Steele, G. L., D. Lea and C. H. Flood (2014). "Fast splittable pseudorandom
   number generators". OOPSLA 2014 (the SplitMix64 finaliser used as round function).
"""

from __future__ import annotations

import numpy as np

BLOCK = 1024
"""Draws per generator block; fixed, so draw ``i`` always comes from block ``i // BLOCK``."""

METHODS = ("random", "lhs")

# stream ids keep the independent uses of one seed apart
STREAM_RANDOM = 1
STREAM_LHS_OFFSET = 2
STREAM_LHS_PERMUTATION = 3

_FEISTEL_ROUNDS = 6
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _check(seed: int, start: int, stop: int, dims: int) -> None:
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if start < 0 or stop < start:
        raise ValueError(f"need 0 <= start <= stop, got start={start}, stop={stop}")
    if dims < 0:
        raise ValueError(f"dims must be >= 0, got {dims}")


def block_uniforms(seed: int, stream: int, block: int, dims: int) -> np.ndarray:
    """The ``(BLOCK, dims)`` uniforms of one block of one stream."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(stream), int(block)))
    gen = np.random.Generator(np.random.Philox(ss))
    # random() is in [0, 1); inverse CDFs need (0, 1), so an exact 0 becomes the smallest positive double
    u = gen.random((BLOCK, dims))
    return np.where(u == 0.0, np.nextafter(0.0, 1.0), u)


def random_uniforms(seed: int, start: int, stop: int, dims: int, stream: int = STREAM_RANDOM) -> np.ndarray:
    """Rows ``start..stop-1`` of the plain random uniform matrix, shape ``(stop-start, dims)``."""
    _check(seed, start, stop, dims)
    if stop == start:
        return np.empty((0, dims))
    first, last = start // BLOCK, (stop - 1) // BLOCK
    blocks = [block_uniforms(seed, stream, b, dims) for b in range(first, last + 1)]
    stacked = np.concatenate(blocks, axis=0) if len(blocks) > 1 else blocks[0]
    offset = start - first * BLOCK
    return stacked[offset : offset + (stop - start)]


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijective 64-bit mixing function."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return x


def _round_keys(seed: int, dim: int) -> np.ndarray:
    ss = np.random.SeedSequence(int(seed), spawn_key=(STREAM_LHS_PERMUTATION, int(dim)))
    return ss.generate_state(_FEISTEL_ROUNDS, dtype=np.uint64)


def feistel_permutation(index: np.ndarray, n: int, keys: np.ndarray) -> np.ndarray:
    """``pi(index)`` for a keyed pseudo-random permutation of ``{0, ..., n-1}``.

    A balanced Feistel network on ``2h`` bits (``4**h >= n``) is a permutation of
    ``{0, ..., 4**h - 1}``; cycle walking (re-applying it to values ``>= n``) restricts it to
    a permutation of ``{0, ..., n-1}`` (Black and Rogaway 2002).
    """
    if n <= 0:
        raise ValueError("n must be positive")
    idx = np.asarray(index, dtype=np.uint64)
    if idx.size and int(idx.max()) >= n:
        raise ValueError("index out of range")
    half = max(1, (int(n - 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half) - 1)
    shift = np.uint64(half)

    def network(x: np.ndarray) -> np.ndarray:
        left, right = x >> shift, x & mask
        for k in keys:
            left, right = right, left ^ (_mix(right ^ k) & mask)
        return (left << shift) | right

    out = network(idx)
    todo = out >= np.uint64(n)
    while todo.any():
        out[todo] = network(out[todo])
        todo = out >= np.uint64(n)
    return out


def lhs_uniforms(seed: int, start: int, stop: int, dims: int, n_total: int) -> np.ndarray:
    """Rows ``start..stop-1`` of a Latin hypercube design of ``n_total`` draws in ``dims`` dimensions."""
    _check(seed, start, stop, dims)
    if stop > n_total:
        raise ValueError(f"draws {start}..{stop - 1} exceed the design's {n_total} draws")
    offsets = random_uniforms(seed, start, stop, dims, stream=STREAM_LHS_OFFSET)
    rows = np.arange(start, stop, dtype=np.uint64)
    out = np.empty((stop - start, dims))
    for j in range(dims):
        strata = feistel_permutation(rows, n_total, _round_keys(seed, j)).astype(float)
        out[:, j] = (strata + offsets[:, j]) / n_total
    return out


def uniforms(seed: int, start: int, stop: int, dims: int, *, method: str = "random",
             n_total: int | None = None) -> np.ndarray:
    """Rows ``start..stop-1`` of the run's uniform matrix (``method`` ``random`` or ``lhs``).

    Parameters
    ----------
    seed : int
        Non-negative run seed.
    start, stop : int
        Draw indices (``stop`` excluded).
    dims : int
        Input dimensions per draw.
    method : {"random", "lhs"}
        Plain random sampling or Latin hypercube sampling.
    n_total : int
        Draws in the whole run; required for ``lhs`` (the strata depend on it).

    Returns
    -------
    ndarray, shape (stop - start, dims)
        Values in (0, 1); identical for the same ``(seed, draw, dim)`` whatever the slice.
    """
    if method == "random":
        return random_uniforms(seed, start, stop, dims)
    if method == "lhs":
        if n_total is None:
            raise ValueError("Latin hypercube sampling needs n_total, the run's number of draws")
        return lhs_uniforms(seed, start, stop, dims, n_total)
    raise ValueError(f"sampling method must be one of {METHODS}, got {method!r}")

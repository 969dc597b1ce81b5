"""Compiled Gaussian elimination with partial pivoting over a stack of small dense systems.

Only the linear solve of the chain kernel's Newton step is compiled (see
:mod:`.linalg` for why); everything else stays numpy. Machine code is cached
on disk (``cache=True``); the routine releases the GIL.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def solve_stack(J, F, out, ok):  # pragma: no cover - compiled
    """``out[i] = -J[i]^{-1} F[i]``; ``ok[i]`` False (and ``out[i] = 0``) when singular or huge."""
    n, m = F.shape
    A = np.empty((m, m))
    b = np.empty(m)
    for i in range(n):
        for r in range(m):
            b[r] = -F[i, r]
            for c in range(m):
                A[r, c] = J[i, r, c]
        good = True
        for k in range(m):
            piv = k
            best = abs(A[k, k])
            for r in range(k + 1, m):
                v = abs(A[r, k])
                if v > best:
                    best = v
                    piv = r
            if best == 0.0 or not np.isfinite(best):
                good = False
                break
            if piv != k:
                for c in range(k, m):
                    tmp = A[k, c]
                    A[k, c] = A[piv, c]
                    A[piv, c] = tmp
                tmp = b[k]
                b[k] = b[piv]
                b[piv] = tmp
            inv = 1.0 / A[k, k]
            for r in range(k + 1, m):
                f = A[r, k] * inv
                if f != 0.0:
                    for c in range(k + 1, m):
                        A[r, c] -= f * A[k, c]
                    b[r] -= f * b[k]
        if good:
            for k in range(m - 1, -1, -1):
                s = b[k]
                for c in range(k + 1, m):
                    s -= A[k, c] * out[i, c]
                out[i, k] = s / A[k, k]
            for k in range(m):
                v = out[i, k]
                if not np.isfinite(v) or abs(v) >= 1e8:
                    good = False
                    break
        ok[i] = good
        if not good:
            for k in range(m):
                out[i, k] = 0.0

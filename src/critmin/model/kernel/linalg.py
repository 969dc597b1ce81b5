"""Batched dense linear solves for the Newton step.

``np.linalg.solve`` on a stack of small systems calls LAPACK once per member,
and for the 20 x 20 systems of a 10-region, 2-stage chain that call overhead
dominates (about 8 us per member on the reference machine). A compiled
Gaussian elimination with partial pivoting over the whole stack is several
times faster there; it is used when numba is installed and the stack is large
enough for the one-off load to pay (``benchmarks/bench_engine.py`` prints both).
Both paths treat a non-finite step or one larger than ``1e8`` as singular.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np

#: Smallest stack solved by the compiled routine (below it numpy's overhead is negligible).
COMPILED_MIN_STACK = 512

_compiled = None


def _load_compiled():
    global _compiled
    if _compiled is None:
        if os.environ.get("CRITMIN_KERNEL", "").strip().lower() == "numpy" or importlib.util.find_spec("numba") is None:
            _compiled = False
        else:
            from . import linalg_numba

            _compiled = linalg_numba.solve_stack
    return _compiled


def solve_stack(J: np.ndarray, F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``J d = -F`` for every member; returns the steps and a bool ``ok`` per member.

    Members whose system is singular (or whose step is not finite or exceeds
    1e8) get a zero step and ``ok = False``.
    """
    n = F.shape[0]
    fn = _load_compiled() if n >= COMPILED_MIN_STACK else False
    if fn:
        d = np.empty_like(F)
        ok = np.empty(n, dtype=np.bool_)
        fn(np.ascontiguousarray(J, dtype=np.float64), np.ascontiguousarray(F, dtype=np.float64), d, ok)
        return d, ok
    try:
        d = np.linalg.solve(J, -F[..., None])[..., 0]
    except np.linalg.LinAlgError:
        d = np.zeros_like(F)
        for i in range(n):
            try:
                d[i] = np.linalg.solve(J[i], -F[i])
            except np.linalg.LinAlgError:
                d[i] = np.nan
    ok = np.all(np.isfinite(d), axis=1) & (np.max(np.abs(d), axis=1, initial=0.0) < 1e8)
    return np.where(ok[:, None], d, 0.0), ok

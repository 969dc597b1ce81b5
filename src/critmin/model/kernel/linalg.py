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
from contextlib import contextmanager

import numpy as np

#: Smallest stack solved by the compiled routine (below it numpy's overhead is negligible).
COMPILED_MIN_STACK = 512

_compiled = None
#: ``None``: choose by size (the default); ``"numpy"`` or ``"compiled"``: forced (see :func:`forced_backend`).
_FORCED: str | None = None


@contextmanager
def forced_backend(name: str | None):
    """Use one backend for every size inside the block: ``"numpy"``, ``"compiled"`` (numba) or ``None`` (by size).

    Why: the size rules (a stack of 512, a batch of 256) make a member's arithmetic depend on how
    many members share its batch, and the two backends agree to about 1e-12, not bit for bit. A
    Monte Carlo run fixes the backend so that its numbers do not depend on how it is chunked.
    ``"compiled"`` without numba installed falls back to numpy (the run's fingerprint names the
    backend actually used: :func:`backend_in_use`).
    """
    global _FORCED
    if name not in (None, "numpy", "compiled"):
        raise ValueError(f"backend must be 'numpy', 'compiled' or None, got {name!r}")
    previous, _FORCED = _FORCED, name
    try:
        yield
    finally:
        _FORCED = previous


def backend_in_use(name: str | None) -> str:
    """The backend a forced ``name`` really runs: ``compiled`` only when numba loads."""
    if name == "compiled" and _load_compiled() is False:
        return "numpy"
    return name or "by size"


def _load_compiled():
    global _compiled
    if _compiled is None:
        if os.environ.get("CRITMIN_KERNEL", "").strip().lower() == "numpy" or importlib.util.find_spec("numba") is None:
            _compiled = False
        else:
            from . import linalg_numba

            _compiled = linalg_numba.solve_stack
    return _compiled


def solve_stack(J: np.ndarray, F: np.ndarray, backend: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``J d = -F`` for every member; returns the steps and a bool ``ok`` per member.

    Members whose system is singular (or whose step is not finite or exceeds
    1e8) get a zero step and ``ok = False``. ``backend`` (``"numpy"`` or
    ``"compiled"``) fixes the routine whatever the stack size; None chooses as below.
    """
    n = F.shape[0]
    if backend is not None:
        fn = _load_compiled() if backend == "compiled" else False
    elif _FORCED is not None:
        fn = _load_compiled() if _FORCED == "compiled" else False
    else:
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

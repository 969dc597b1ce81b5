"""Batched semismooth Newton with Armijo line search and smoothing continuation (chain kernel).

The complementarity conditions (buyer of last resort, export quotas, minimum
import prices, contract caps) are written with exact ``min``/``max``; Newton
uses an element of their B-subdifferential (Qi and Sun 1993). Every member
carries its own status from :mod:`.status`. A member on which plain Newton
stalls is re-solved by smoothing continuation: each kink replaced by
``(a + b +- sqrt((a - b)^2 + 4 delta^2))/2`` with ``delta`` driven to exactly 0,
warm-started stage by stage (Chen, Qi and Sun 1998), so the answer is the
exact problem's.
"""

from __future__ import annotations

import numpy as np

from .chain import YearInputs, evaluate, jacobian
from . import linalg
from .linalg import solve_stack
from .status import STATUS_CONVERGED, STATUS_LINE_SEARCH, STATUS_MAX_ITER, STATUS_SINGULAR

_ARMIJO = 1e-4
_MAX_STEP = 3.0  # largest change of a log price in one step
_HALVINGS = 30
CONTINUATION = (0.3, 0.1, 0.03, 0.01, 3e-3, 1e-3, 1e-4, 1e-5, 1e-6, 0.0)


def _merit(F: np.ndarray, valid: np.ndarray) -> np.ndarray:
    return np.where(valid, 0.5 * np.einsum("ij,ij->i", F, F), np.inf)


def newton(y: YearInputs, u0: np.ndarray, tol: float, max_iter: int, backend: str | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve every member of ``y`` from ``u0``; returns ``u``, status and iterations per member.

    Converged members are dropped from the working arrays once they are the
    majority, so a stubborn member does not make the whole batch iterate.
    ``backend`` fixes the linear solve (see :func:`critmin.model.kernel.linalg.solve_stack`).
    """
    n = u0.shape[0]
    S, R = y.base.n_stages, y.base.n_regions
    nz = S * R
    u = u0.copy()
    status = np.full(n, STATUS_MAX_ITER)
    iterations = np.zeros(n, dtype=np.int64)
    index = np.arange(n)
    sub, us = y, u0.copy()
    st = evaluate(sub, us)
    merit = _merit(st.F, st.valid)
    live = np.ones(n, bool)
    for it in range(max_iter + 1):
        done = live & st.valid & (np.max(np.abs(st.F), axis=1, initial=0.0) <= tol)
        if done.any():
            status[index[done]] = STATUS_CONVERGED
            u[index[done]] = us[done]
            live &= ~done
        if not live.any() or it == max_iter:
            break
        if live.sum() < 0.5 * len(live):
            keep = np.nonzero(live)[0]
            sub, index, us, merit = sub.take(keep), index[keep], us[keep], merit[keep]
            live = np.ones(len(keep), bool)
            st = evaluate(sub, us)
        iterations[index[live]] += 1
        step, ok = solve_stack(jacobian(sub, st), st.F, backend)
        step[~live] = 0.0
        largest = np.max(np.abs(step), axis=1, initial=0.0)  # log prices and scaled rents alike
        step *= np.minimum(1.0, _MAX_STEP / np.maximum(largest, 1e-300))[:, None]
        alpha = np.ones(len(live))
        u_new = us + step
        st_new = evaluate(sub, u_new)
        merit_new = _merit(st_new.F, st_new.valid)
        accept = ~live | (ok & (merit_new <= (1 - 2 * _ARMIJO * alpha) * merit))
        backtracked = False
        tries = 0
        while not accept[ok].all() and tries < _HALVINGS:
            backtracked = True
            tries += 1
            redo = np.nonzero(ok & ~accept)[0]
            alpha[redo] *= 0.5
            ut = us[redo] + alpha[redo, None] * step[redo]
            st_t = evaluate(sub.take(redo), ut)
            m_t = _merit(st_t.F, st_t.valid)
            good = m_t <= (1 - 2 * _ARMIJO * alpha[redo]) * merit[redo]
            u_new[redo], merit_new[redo] = ut, m_t
            accept[redo[good]] = True
        failed = ~accept
        if failed.any():
            backtracked = True
            status[index[failed & ~ok]] = STATUS_SINGULAR
            status[index[failed & ok]] = STATUS_LINE_SEARCH
            u[index[failed]] = us[failed]
            live &= ~failed
            u_new[failed] = us[failed]
        us, merit = u_new, merit_new
        st = evaluate(sub, us) if backtracked else st_new
    if live.any():
        u[index[live]] = us[live]
    return u, status, iterations


#: Smallest batch that loads the compiled Newton in a process that has not loaded it yet (loading costs
#: ``import numba`` and the cached machine code, a few tenths of a second; a short CLI run never pays it).
COMPILED_MIN_MEMBERS = 256


def choose_backend(n: int) -> str:
    """``"compiled"`` or ``"numpy"`` for a run of ``n`` members, decided once so that every chunk of it agrees.

    A backend forced with :func:`critmin.model.kernel.linalg.forced_backend` wins. Otherwise the
    compiled kernel runs when numba loads and either the batch is large enough to pay for loading it
    (:data:`COMPILED_MIN_MEMBERS`) or it is already loaded; a short CLI run never imports numba.
    Why once per run: the two backends agree to about 1e-12, not bit for bit, so a member's result
    must not depend on the size of the chunk or thread it happened to be solved in.
    """
    import sys

    if linalg._FORCED is not None:
        return "compiled" if linalg._FORCED == "compiled" and linalg._load_compiled() is not False else "numpy"
    loaded = "critmin.model.kernel.chain_numba" in sys.modules
    if (n >= COMPILED_MIN_MEMBERS or loaded) and linalg._load_compiled() is not False:
        return "compiled"
    return "numpy"


def _compiled_newton(y: YearInputs, u0: np.ndarray, tol: float, max_iter: int, backend: str | None = None):
    """The compiled per-member Newton (:mod:`.chain_numba`) when it covers this year, else None."""
    import sys

    if backend is None:
        loaded = "critmin.model.kernel.chain_numba" in sys.modules  # once loaded (a large batch did), every size uses it
        if linalg._FORCED == "numpy":
            return None
        small = u0.shape[0] < COMPILED_MIN_MEMBERS and not loaded and linalg._FORCED != "compiled"
    else:
        if backend == "numpy":
            return None
        small = False
    if y.n_quotas or y.n_projects or y.off_q is not None or y.smoothing or small or linalg._load_compiled() is False:
        return None
    from . import chain_numba

    n = u0.shape[0]
    base = y.base
    S, R = base.n_stages, base.n_regions

    def member(arr, shape, fill=None):
        """The array with a leading member axis of n or 1, float64 (bool for masks); ``fill`` when absent."""
        if arr is None:
            return np.full((1,) + shape, fill, dtype=np.float64)
        arr = np.asarray(arr)
        if arr.ndim == len(shape):
            arr = arr[None]
        return arr

    z = np.ascontiguousarray(u0[:, : S * R], dtype=np.float64).copy()
    status = np.empty(n, dtype=np.int64)
    iterations = np.zeros(n, dtype=np.int64)
    mult = member(y.mult, (S, R, R))
    # ln(c0-relative cost) per unit of ln p on the logarithm-free routes: from the year's ln(mult / mult0)
    # when prepare_year formed it (no per-tonne costs this year), saving a second logarithm of every route
    shift = np.log(base.p0)[:, :, None] - base.log_c0
    if y.lw is not None and base.log_mult0 is not None:
        lmult = member(y.lw, (S, R, R)) + (base.log_mult0 + shift)
    else:
        lmult = np.log(mult) + shift
    out = np.empty((n, 8, S, R))
    chain_numba.newton_members(
        np.arange(n), z, status, iterations, tol, max_iter, S, R,
        member(base.p0, (S, R)), mult, member(y.add, (S, R, R)), member(y.mip, (S, R, R), 0.0),
        member(y.log_s0, (S, R, R)), member(y.L0, (S, R)), base.log_c0,
        lmult, member(y.sigma, (S, R)),
        member(y.eps, (S, R)), member(y.eta, (S, R)), member(y.D_scale, (S, R)), member(y.E_scale, (S, R)),
        member(y.O_scale, (S, R)), member(y.floor, (S, R), 0.0), member(y.upside, (S, R), 0.0),
        member(y.cap, (S, R), np.inf), member(y.blr, (S, R), np.nan), member(y.stock, (S, R)),
        member(y.fixed, (S, R)), base.a, base.kappa, base.scale, out)
    return z, status, iterations, out


def solve_with_fallback(y: YearInputs, u0: np.ndarray, tol: float, max_iter: int, backend: str | None = None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Newton (compiled for the common case on large batches, else numpy), then the numpy reference with
    smoothing continuation from the base point for the members that failed."""
    return solve_year(y, u0, tol, max_iter, backend)[:3]


def solve_year(y: YearInputs, u0: np.ndarray, tol: float, max_iter: int, backend: str | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`solve_with_fallback`, plus the compiled kernel's state at its solutions when it ran.

    The state (N, 8, S, R) is what :func:`critmin.model.kernel.horizon` records, so that members solved
    in compiled code need no numpy evaluation afterwards; its rows are NaN for members the compiled
    Newton did not converge (they went to the numpy fallback); None when the compiled kernel did not
    run. ``backend`` (:func:`choose_backend`) fixes the kernel whatever the batch size; None chooses by size.
    """
    compiled = _compiled_newton(y, u0, tol, max_iter, backend)
    if compiled is not None:
        u, status, iterations, state = compiled
        redo = np.nonzero(status != STATUS_CONVERGED)[0]
        if len(redo):
            u_r, st_r, it_r = solve_with_fallback_numpy(y.take(redo), u0[redo], tol, max_iter, backend)
            u[redo], status[redo], iterations[redo] = u_r, st_r, iterations[redo] + it_r
            state[redo] = np.nan
        return u, status, iterations, state
    return (*solve_with_fallback_numpy(y, u0, tol, max_iter, backend), None)


def solve_with_fallback_numpy(y: YearInputs, u0: np.ndarray, tol: float, max_iter: int, backend: str | None = None
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`newton`, then smoothing continuation from the base point for the members that failed."""
    u, status, iterations = newton(y, u0, tol, max_iter, backend)
    retry = np.nonzero(status != STATUS_CONVERGED)[0]
    if not len(retry):
        return u, status, iterations
    sub = y.take(retry)
    us = np.zeros((len(retry), u0.shape[1]))
    good_u = us.copy()
    st_sub = None
    for delta in CONTINUATION:
        sub.smoothing = delta
        us_new, st_sub, it = newton(sub, good_u, tol if delta == 0 else 1e-9, max_iter, backend)
        iterations[retry] += it
        good = st_sub == STATUS_CONVERGED
        good_u[good] = us_new[good]
        us = us_new
    u[retry] = us
    status[retry] = st_sub
    return u, status, iterations


def warm_compiled(background: bool = True) -> bool:
    """Load the compiled chain Newton now, so that every later run in this process uses it, one scenario included.

    For long-running processes (the REST API, a notebook): call once at start-up. Loading costs
    ``import numba`` and the machine code from numba's on-disk cache (``cache=True``; compiled on
    the first use after an install), about a second once; afterwards one ten-year scenario solves
    in a few milliseconds with no further compilation (``benchmarks/bench_engine.py`` prints both).
    A short CLI run that does not call this never imports numba. With ``background=True`` the work
    runs on a daemon thread and this returns at once. Returns False when numba is not installed or
    ``CRITMIN_KERNEL=numpy`` is set.
    """
    if linalg._load_compiled() is False:
        return False

    def load() -> None:
        from ..chain import ChainInstruments, ChainMarket, Stage
        from . import chain_numba  # noqa: F401  (once imported, choose_backend picks it for every size)
        from .chain import ChainBase
        from .horizon import solve_horizon

        market = ChainMarket("warm-up", ["A", "B"], [Stage(
            "metal", "metal", np.array([[6.0, 4.0], [0.0, 5.0]]), np.array([100.0, 100.0]), substitution=20.0,
            demand_short=0.5, demand_long=0.5, supply_short=1.0, supply_long=1.0)], base_year=2025)
        # one member, as a single scenario is solved: loads that call signature's machine code
        solve_horizon(ChainBase.from_market(market), ChainInstruments.baseline(market, [2026], 1), workers=1)

    if background:
        import threading

        threading.Thread(target=load, name="critmin-chain-warmup", daemon=True).start()
    else:
        load()
    return True

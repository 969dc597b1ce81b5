"""Numerical kernels of the policy engine, all with a leading batch axis.

* :mod:`.status` — the one status table every kernel and backend reports in.
* :mod:`.armington` — the Armington CES market in levels, one stage, one year
  (``formulation: armington``); its compiled backend is
  :mod:`critmin.model.kernel_numba`.
* :mod:`.chain` (prepare, equations), :mod:`.newton`, :mod:`.linalg`,
  :mod:`.horizon` — the homogeneous-goods chain of stages over years.

The names below are the Armington kernel's, re-exported so that existing code
(``from critmin.model.kernel import solve``) keeps working.
"""

from .armington import (COMPILED_BLOCK, NUMBA_MIN_BATCH, Equilibria, Prepared, Solution, State, evaluate, jacobian,
                        numba_available, prepare, solve, solve_blocks, solve_prices, use_numba, warm_compiled)
from .status import (STATUS_CONVERGED, STATUS_INFEASIBLE, STATUS_LINE_SEARCH, STATUS_MAX_ITER, STATUS_NAMES,
                     STATUS_NO_EQUILIBRIUM, STATUS_NOT_CLEARED, STATUS_NOT_FINITE, STATUS_SINGULAR, STATUS_TEXT)

__all__ = [
    "COMPILED_BLOCK", "NUMBA_MIN_BATCH", "Equilibria", "Prepared", "Solution", "State", "evaluate", "jacobian",
    "numba_available", "prepare", "solve", "solve_blocks", "solve_prices", "use_numba", "warm_compiled",
    "STATUS_CONVERGED", "STATUS_INFEASIBLE", "STATUS_LINE_SEARCH", "STATUS_MAX_ITER", "STATUS_NAMES",
    "STATUS_NO_EQUILIBRIUM", "STATUS_NOT_CLEARED", "STATUS_NOT_FINITE", "STATUS_SINGULAR", "STATUS_TEXT",
]

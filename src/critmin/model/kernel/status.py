"""One status table for every kernel and backend.

Each batch member of every solve (the Armington kernel, its compiled
backend, the homogeneous-chain kernel, every year of a horizon) ends with one
of these codes. A member whose code is not :data:`STATUS_CONVERGED` has no
numbers: every figure is NaN (null in JSON) and the member carries a reason
(the code's text here, or a specific message naming the region, stage, year
and instrument).
"""

from __future__ import annotations

STATUS_CONVERGED = 0
STATUS_MAX_ITER = 1
STATUS_LINE_SEARCH = 2
STATUS_INFEASIBLE = 3
STATUS_SINGULAR = 4
STATUS_NOT_CLEARED = 5
STATUS_NO_EQUILIBRIUM = 6
#: Not a kernel outcome: a member the kernel called converged whose figures are not all finite
#: (an overflow), reclassified by :func:`critmin.model.outcome.check_finite`.
STATUS_NOT_FINITE = 7

#: code -> name shown in every output
STATUS_NAMES = {
    STATUS_CONVERGED: "converged",
    STATUS_MAX_ITER: "max_iterations",
    STATUS_LINE_SEARCH: "line_search_failed",
    STATUS_INFEASIBLE: "infeasible",
    STATUS_SINGULAR: "singular_jacobian",
    STATUS_NOT_CLEARED: "market_not_cleared",
    STATUS_NO_EQUILIBRIUM: "no_equilibrium",
    STATUS_NOT_FINITE: "not_finite",
}

#: code -> the reason given when no more specific message exists
STATUS_TEXT = {
    STATUS_CONVERGED: "",
    STATUS_MAX_ITER: "no convergence within the Newton iteration limit, also after smoothing continuation",
    STATUS_LINE_SEARCH: "the line search could not reduce the residual, also after smoothing continuation "
                        "(no equilibrium near the path, or a degenerate complementarity)",
    STATUS_INFEASIBLE: "the instruments leave no feasible market (detected before solving)",
    STATUS_SINGULAR: "the Jacobian stayed singular, also after smoothing continuation "
                     "(the instruments may leave a price undetermined)",
    STATUS_NOT_CLEARED: "the residual converged but a market does not clear to the tolerance",
    STATUS_NO_EQUILIBRIUM: "no equilibrium: a producer price falls toward zero",
    STATUS_NOT_FINITE: "the solver converged but some figures are not finite numbers (an overflow: the inputs are "
                       "too extreme for double precision); no figure is reported",
}

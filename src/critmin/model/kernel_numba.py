r"""Compiled semismooth Newton for the equilibrium kernel (numba).

This module is the fast path of :mod:`critmin.model.kernel`. It solves the
*same* equations with the *same* algorithm as the numpy reference
(:func:`critmin.model.kernel._newton`): exact ``min``/``max`` complementarity
(B-subdifferential of Qi and Sun 1993), analytic Jacobian, a step cap of 3 in
log prices, Armijo backtracking on :math:`\tfrac12\lVert F\rVert^2` with at most
30 halvings, the same convergence test and the same status codes. The
difference is the loop order: the numpy kernel iterates the whole batch
through array operations; here one member at a time runs its whole Newton
loop in compiled code, with an ``(R+K) x (R+K)`` LU factorisation with
partial pivoting instead of LAPACK.

Coverage
--------
Every instrument is covered: tariffs, export taxes, minimum import prices,
bans, export quotas (rent unknowns), contracts for difference, buyer of last
resort, stockpiles, capacity and demand shifts, per-member elasticities
(including ``sigma = 1`` and ``eta = inf``). What is *not* here is the
smoothing-continuation fallback (``Prepared.smoothing > 0``): members that
stall in plain Newton keep a failure status and the caller re-solves them
with the numpy continuation, exactly as the numpy path does. For
:func:`critmin.model.kernel.solve` the final state (flows, prices, welfare
inputs) and the market-clearing verification are evaluated by the numpy
reference :func:`critmin.model.kernel.evaluate`, so every reported number has
one definition; :func:`critmin.model.kernel.solve_prices` takes the residual
and the clearing check computed here at the final point (:func:`_verify`,
the same formulas).

Layout
------
A member's data are copied into a few workspace arrays (``V`` by region, ``E``
by active variety, ``Q`` by quota) so that calls between the compiled
functions pass few arguments, and the variety loops run over the member's
active varieties only (positive base share); the others contribute exactly 0.
``error_model="numpy"`` keeps IEEE semantics (a division by zero gives inf or
nan, which the merit function rejects, instead of raising).

Compilation
-----------
``@njit(cache=True, nogil=True)``: compiled once per machine (about 6 s; cached
next to this file, or in numba's user cache when the package directory is
read-only) and released from the GIL, so threads of
:func:`critmin.model.kernel.solve_blocks` split the members of a block across
cores. Importing numba and loading the cached machine code costs about 0.3 s
per process, which is why :mod:`critmin.model.kernel` dispatches here only for
large batches or when this module is already loaded (see
``kernel.NUMBA_MIN_BATCH``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .kernel.status import STATUS_CONVERGED, STATUS_LINE_SEARCH, STATUS_MAX_ITER, STATUS_SINGULAR

_ARMIJO = 1e-4
_MAX_STEP = 3.0
_MAX_HALVINGS = 30

# status codes from the one table every backend shares
_CONVERGED = STATUS_CONVERGED
_MAX_ITER = STATUS_MAX_ITER
_LINE_SEARCH = STATUS_LINE_SEARCH
_SINGULAR = STATUS_SINGULAR


@njit(cache=True, nogil=True, error_model="numpy")
def _lu_solve(A, b, x, perm):
    """Solve ``A x = b`` in place by Gaussian elimination with partial pivoting.

    ``A`` and ``b`` are overwritten. Returns False for an exactly singular
    matrix, a non-finite solution or one larger than 1e8 (the numpy kernel's
    test for a numerically singular Jacobian).
    """
    n = A.shape[0]
    for i in range(n):
        perm[i] = i
    for col in range(n):
        piv = col
        best = abs(A[col, col])
        for row in range(col + 1, n):
            val = abs(A[row, col])
            if val > best:
                best = val
                piv = row
        if best == 0.0 or not math.isfinite(best):
            return False
        if piv != col:
            for j in range(n):
                tmp = A[col, j]
                A[col, j] = A[piv, j]
                A[piv, j] = tmp
            tmp = b[col]
            b[col] = b[piv]
            b[piv] = tmp
        inv = 1.0 / A[col, col]
        for row in range(col + 1, n):
            f = A[row, col] * inv
            if f != 0.0:
                for j in range(col + 1, n):
                    A[row, j] -= f * A[col, j]
                b[row] -= f * b[col]
    for i in range(n - 1, -1, -1):
        acc = b[i]
        for j in range(i + 1, n):
            acc -= A[i, j] * x[j]
        x[i] = acc / A[i, i]
    for i in range(n):
        if not math.isfinite(x[i]) or abs(x[i]) >= 1e8:
            return False
    return True


# Per-member workspaces. A member's data is packed into a few arrays so that calls between the
# compiled functions stay cheap (numba passes every array argument as a struct), and the
# variety loops run over a compact list of the member's *active* varieties (positive base
# share, i.e. a base flow that is not banned, plus the dummy domestic share of destinations
# without consumption): the others contribute exactly zero to every sum.
#
# V[row, region]: vectors
(V_P0, V_P0INV, V_Q0, V_Q0SAFE, V_D0, V_DEST, V_SIGMA, V_UNIT, V_EPS, V_ETA, V_FIXED, V_CAP, V_SHIFT, V_STOCK,
 V_CFD_FLOOR, V_CFD_SHARE, V_CFD_ELIG, V_BLR_FLOOR, V_BLR, V_THNORM,
 V_P, V_EZ, V_TERMS, V_COBB, V_LOGPI, V_D, V_H, V_FACTOR, V_SALES, V_S, V_DS, V_WBLR, V_GAMMA, V_DIAG) = range(34)
N_V = 34
# E[row, entry]: one column per active variety (entry e is origin EI[0, e] -> destination EI[1, e])
(E_X0, E_TH0, E_LWR, E_WR, E_LMR, E_MR, E_MQ, E_T1, E_XT1, E_Q0,
 E_LOGR, E_RR, E_KAPPA, E_RHO, E_A, E_POW, E_X, E_OMEGA, E_OK, E_XG) = range(20)
N_E = 20
# EI[row, entry]: origin, destination, export quota covering the variety (-1: none)
EI_O, EI_D, EI_K = 0, 1, 2
# Q[row, quota]: quota vectors
(Q_CAP, Q_SCALE, Q_LAM, Q_ACTIVE, Q_WEIGHT, Q_SHIPPED) = range(6)
N_Q = 6


@njit(cache=True, nogil=True, error_model="numpy")
def _evaluate(z, mu, V, E, EI, nnz, Q, has_mip, F):
    """Residuals at ``(z, mu)`` for the member loaded in the workspaces; fills the state rows.

    Returns ``(valid, merit)`` with ``merit = inf`` at an invalid point, as the numpy kernel.
    """
    R = z.shape[0]
    K = mu.shape[0]
    valid = True
    for o in range(R):
        ez = math.exp(z[o])
        V[V_EZ, o] = ez
        V[V_P, o] = V[V_P0, o] * ez
        V[V_SALES, o] = 0.0
    for d in range(R):
        V[V_TERMS, d] = 0.0
        V[V_COBB, d] = 0.0
    # delivered prices (ln q/q0, q/q0, d ln q/d z_o = kappa, d ln q/d mu_k = rho) and CES terms
    for e in range(nnz):
        o = EI[EI_O, e]
        d = EI[EI_D, e]
        k = EI[EI_K, e]
        if k < 0:
            lv = z[o] + E[E_LWR, e]
            if has_mip and lv < E[E_LMR, e]:
                lr = E[E_LMR, e]
                rr = E[E_MR, e]
                E[E_KAPPA, e] = 0.0
            else:
                lr = lv
                rr = V[V_EZ, o] * E[E_WR, e]
                E[E_KAPPA, e] = 1.0
            E[E_RHO, e] = 0.0
        else:
            fob = V[V_P, o] * E[E_XT1, e]
            w = fob + mu[k] * Q[Q_LAM, k]
            if not (w > 0.0):
                valid = False
            v = w * E[E_T1, e]
            m = E[E_MQ, e]
            if has_mip and not (v >= m):
                q = m
                E[E_KAPPA, e] = 0.0
                E[E_RHO, e] = 0.0
            else:
                q = v
                E[E_KAPPA, e] = fob / w
                E[E_RHO, e] = Q[Q_LAM, k] / w
            rr = q / E[E_Q0, e]
            lr = math.log(rr)
        E[E_LOGR, e] = lr
        E[E_RR, e] = rr
        a = math.exp(-V[V_SIGMA, d] * lr)  # r^(-sigma)
        pw = a * rr  # r^(1 - sigma)
        E[E_A, e] = a
        E[E_POW, e] = pw
        th = E[E_TH0, e]
        V[V_TERMS, d] += th * pw
        if V[V_UNIT, d] > 0.0:
            V[V_COBB, d] += th * lr
    # CES price index, composite demand and the demand factor per destination
    for d in range(R):
        s = V[V_SIGMA, d]
        if V[V_UNIT, d] > 0.0:
            lp = V[V_COBB, d]
        else:
            lp = math.log(V[V_TERMS, d] / V[V_THNORM, d]) / (1.0 - s)
        V[V_LOGPI, d] = lp
        D = V[V_D0, d] * V[V_SHIFT, d] * math.exp(-V[V_EPS, d] * lp)
        H = D + V[V_STOCK, d]
        V[V_D, d] = D
        V[V_H, d] = H
        if V[V_STOCK, d] != 0.0 and V[V_DEST, d] > 0.0 and not (H > 0.0):
            valid = False
        V[V_FACTOR, d] = H / V[V_D0, d] * math.exp(s * lp) if V[V_D0, d] > 0.0 else 0.0
    # variety demand X = X0 r^(-sigma) Pi^sigma H / D0
    for e in range(nnz):
        x = E[E_X0, e] * E[E_A, e] * V[V_FACTOR, EI[EI_D, e]]
        E[E_X, e] = x
        V[V_SALES, EI[EI_O, e]] += x
    # supply and the origin equations
    for o in range(R):
        base = V[V_Q0, o] * V[V_CAP, o]
        et = V[V_ETA, o]
        plain = base * math.exp(et * z[o])
        phi = V[V_CFD_ELIG, o]
        p = V[V_P, o]
        if phi > 0.0:
            fl = V[V_CFD_FLOOR, o]
            if p >= fl:
                top = p
                dtop = 1.0
            else:
                top = fl
                dtop = 0.0
            sh = V[V_CFD_SHARE, o]
            pe = fl + (1.0 - sh) * (top - fl)
            elig = base * math.exp(et * math.log(pe * V[V_P0INV, o]))
            S = phi * elig + (1.0 - phi) * plain
            dS = phi * et * elig * (p / pe) * (1.0 - sh) * dtop + (1.0 - phi) * et * plain
        else:
            S = plain
            dS = et * plain
        sales = V[V_SALES, o]
        fixed = V[V_FIXED, o] > 0.0
        if fixed:
            S = sales
            dS = 0.0
        V[V_S, o] = S
        V[V_DS, o] = dS
        clearing = (S - sales) / V[V_Q0SAFE, o]
        V[V_WBLR, o] = 0.0
        if fixed:
            F[o] = z[o]
        elif V[V_BLR, o] > 0.0:
            gap = (p - V[V_BLR_FLOOR, o]) * V[V_P0INV, o]
            if gap <= clearing:
                F[o] = gap
                V[V_WBLR, o] = 1.0
            else:
                F[o] = clearing
        else:
            F[o] = clearing
    if K > 0:
        for k in range(K):
            Q[Q_SHIPPED, k] = 0.0
        for e in range(nnz):
            k = EI[EI_K, e]
            if k >= 0:
                Q[Q_SHIPPED, k] += E[E_X, e]
        for k in range(K):
            if Q[Q_ACTIVE, k] > 0.0:
                slack = (Q[Q_CAP, k] - Q[Q_SHIPPED, k]) / Q[Q_SCALE, k]
                if mu[k] <= slack:
                    F[R + k] = mu[k]
                    Q[Q_WEIGHT, k] = 1.0
                else:
                    F[R + k] = slack
                    Q[Q_WEIGHT, k] = 0.0
            else:
                F[R + k] = mu[k]
                Q[Q_WEIGHT, k] = 1.0
    merit = 0.0
    for j in range(R + K):
        if not math.isfinite(F[j]):
            valid = False
        merit += F[j] * F[j]
    if not valid:
        return False, math.inf
    return True, 0.5 * merit


@njit(cache=True, nogil=True, error_model="numpy")
def _jacobian(V, E, EI, nnz, Q, okT, W, SB, J):
    """Analytic Jacobian at the last evaluated point (the numpy kernel's B-subdifferential element).

    ``okT[d, j]`` (dense, R x R) holds ``omega_jd kappa_jd``: the derivative of
    ``ln Pi_d`` in ``z_j``. Inner loops run over contiguous rows without a
    reduction chain, so LLVM vectorises them without reassociating sums.
    """
    R = V.shape[1]
    K = Q.shape[1]
    n = R + K
    for d in range(R):
        h = V[V_H, d]
        V[V_GAMMA, d] = V[V_SIGMA, d] - (V[V_EPS, d] * V[V_D, d] / h if h != 0.0 else 0.0)
        t = V[V_TERMS, d]
        V[V_TERMS, d] = 1.0 / t if t > 0.0 else 1.0  # 1/terms; terms are recomputed by the next evaluation
    for o in range(R):
        V[V_DIAG, o] = V[V_DS, o]
        for j in range(R):
            okT[o, j] = 0.0
    for a in range(n):
        for b in range(n):
            J[a, b] = 0.0
    for e in range(nnz):
        o = EI[EI_O, e]
        d = EI[EI_D, e]
        om = E[E_TH0, e] * E[E_POW, e] * V[V_TERMS, d]
        E[E_OMEGA, e] = om
        okd = om * E[E_KAPPA, e]
        E[E_OK, e] = okd
        okT[d, o] = okd
        E[E_XG, e] = E[E_X, e] * V[V_GAMMA, d]
        V[V_DIAG, o] += E[E_X, e] * V[V_SIGMA, d] * E[E_KAPPA, e]
    # d excess_o / d z_j = dS_o [j = o] + sum_d X_od sigma_d kappa_od [j = o] - sum_d X_od gamma_d okT[d, j]
    for e in range(nnz):
        xg = E[E_XG, e]
        if xg != 0.0:
            o = EI[EI_O, e]
            d = EI[EI_D, e]
            for j in range(R):
                J[o, j] -= xg * okT[d, j]
    if K > 0:
        # W[k, d] = d ln Pi_d / d mu_k; SB[k, d] = flow shipped under quota k to d
        for k in range(K):
            for d in range(R):
                W[k, d] = 0.0
                SB[k, d] = 0.0
        for e in range(nnz):
            k = EI[EI_K, e]
            if k >= 0:
                W[k, EI[EI_D, e]] += E[E_OMEGA, e] * E[E_RHO, e]
                SB[k, EI[EI_D, e]] += E[E_X, e]
        for e in range(nnz):
            o = EI[EI_O, e]
            d = EI[EI_D, e]
            xg = E[E_XG, e]
            for k in range(K):
                J[o, R + k] -= xg * W[k, d]
            k = EI[EI_K, e]
            if k >= 0:
                J[o, R + k] += E[E_X, e] * V[V_SIGMA, d] * E[E_RHO, e]
        for k in range(K):
            a = Q[Q_WEIGHT, k]
            if a == 1.0:  # the mu branch of min(mu, slack): row e_k
                J[R + k, R + k] = 1.0
                continue
            scale = Q[Q_SCALE, k]
            # d slack_k * scale / d z_j and / d mu_l
            for j in range(R):
                acc = 0.0
                for d in range(R):
                    acc -= SB[k, d] * V[V_GAMMA, d] * okT[d, j]
                J[R + k, j] = acc
            for l in range(K):
                acc = 0.0
                for d in range(R):
                    acc -= SB[k, d] * V[V_GAMMA, d] * W[l, d]
                J[R + k, R + l] = acc
            for e in range(nnz):
                if EI[EI_K, e] == k:
                    xs = E[E_X, e] * V[V_SIGMA, EI[EI_D, e]]
                    J[R + k, EI[EI_O, e]] += xs * E[E_KAPPA, e]
                    J[R + k, R + k] += xs * E[E_RHO, e]
            for b in range(n):
                J[R + k, b] *= (1.0 - a) / scale
            J[R + k, R + k] += a
    for o in range(R):
        inv_q = 1.0 / V[V_Q0SAFE, o]
        for b in range(n):
            J[o, b] *= inv_q
        J[o, o] += V[V_DIAG, o] * inv_q
        if V[V_FIXED, o] > 0.0:
            for b in range(n):
                J[o, b] = 0.0
            J[o, o] = 1.0
        elif V[V_BLR, o] > 0.0:
            a = V[V_WBLR, o]
            for b in range(n):
                J[o, b] *= 1.0 - a
            J[o, o] += a * V[V_P, o] * V[V_P0INV, o]


@njit(cache=True, nogil=True, error_model="numpy")
def _verify(V, E, EI, nnz, Q, F):
    """Largest scaled residual and relative market-clearing residual at the last evaluated point.

    Clearing: ``max_o |S_o - sales_o - purchases_o| / max(S_o, sales_o)`` with
    buyer-of-last-resort purchases where the floor binds, and the largest
    relative overshoot of an active export quota, as in the numpy kernel.
    """
    R = V.shape[1]
    K = Q.shape[1]
    worst = 0.0
    for j in range(R + K):
        a = abs(F[j])
        if a > worst:
            worst = a
    clearing = 0.0
    for o in range(R):
        S = V[V_S, o]
        sales = V[V_SALES, o]
        excess = S - sales
        purchases = excess if (V[V_BLR, o] > 0.0 and V[V_WBLR, o] > 0.5 and excess > 0.0) else 0.0
        if S > 0.0 or sales > 0.0:
            rel = abs(S - sales - purchases) / max(max(S, sales), 1e-300)
            if not (rel <= clearing):
                clearing = rel
    for k in range(K):
        if Q[Q_ACTIVE, k] > 0.0:
            over = (Q[Q_SHIPPED, k] - Q[Q_CAP, k]) / Q[Q_SCALE, k]
            if over > clearing:
                clearing = over
    return worst, clearing


@njit(cache=True, nogil=True, error_model="numpy")
def _load_member(i, V, E, EI, Q,
                 p0, Q0, D0, q0, base_wedge, X0b, theta_full, theta_norm, dest_active,
                 tariff1, xtax1, mip, allowed, sigma, eps, eta, fixed, capacity, demand_shift, stock,
                 cfd_floor, cfd_share, cfd_eligible, blr_floor, blr_active,
                 quota_ind, quota_cap, quota_scale, lam_scale, quota_active):
    """Copy member ``i`` into the workspaces; returns ``(number of active varieties, has a MIP)``."""
    R = p0.shape[0]
    K = quota_cap.shape[1]
    for o in range(R):
        V[V_P0, o] = p0[o]
        V[V_P0INV, o] = 1.0 / p0[o]
        V[V_Q0, o] = Q0[o]
        V[V_Q0SAFE, o] = Q0[o] if Q0[o] > 0.0 else 1.0
        V[V_D0, o] = D0[o]
        V[V_DEST, o] = 1.0 if dest_active[o] else 0.0
        V[V_SIGMA, o] = sigma[i, o]
        V[V_UNIT, o] = 1.0 if abs(sigma[i, o] - 1.0) < 1e-12 else 0.0
        V[V_EPS, o] = eps[i, o]
        V[V_ETA, o] = eta[i, o]
        V[V_FIXED, o] = 1.0 if fixed[i, o] else 0.0
        V[V_CAP, o] = capacity[i, o]
        V[V_SHIFT, o] = demand_shift[i, o]
        V[V_STOCK, o] = stock[i, o]
        V[V_CFD_FLOOR, o] = cfd_floor[i, o]
        V[V_CFD_SHARE, o] = cfd_share[i, o]
        V[V_CFD_ELIG, o] = cfd_eligible[i, o]
        V[V_BLR_FLOOR, o] = blr_floor[i, o]
        V[V_BLR, o] = 1.0 if blr_active[i, o] else 0.0
        V[V_THNORM, o] = theta_norm[i, o]
    has_mip = False
    nnz = 0
    for o in range(R):
        for d in range(R):
            al = allowed[i, o, d]
            th = theta_full[o, d] if (al or not dest_active[d]) else 0.0
            if not th > 0.0:
                continue
            e = nnz
            nnz += 1
            EI[EI_O, e] = o
            EI[EI_D, e] = d
            EI[EI_K, e] = -1
            E[E_TH0, e] = th
            E[E_X0, e] = X0b[o, d] if al else 0.0
            t1 = tariff1[i, o, d]
            x1 = xtax1[i, o, d]
            bw = base_wedge[o, d]
            ratio = t1 * x1 if bw == 1.0 else t1 * x1 / bw
            E[E_WR, e] = ratio
            E[E_LWR, e] = math.log(ratio) if ratio != 1.0 else 0.0
            E[E_T1, e] = t1
            E[E_XT1, e] = x1
            E[E_Q0, e] = q0[o, d]
            m = mip[i, o, d]
            E[E_MQ, e] = m
            if m > 0.0:
                has_mip = True
                mr = m / q0[o, d]
                E[E_MR, e] = mr
                E[E_LMR, e] = math.log(mr)
            else:
                E[E_MR, e] = 0.0
                E[E_LMR, e] = -math.inf
    for k in range(K):
        Q[Q_CAP, k] = quota_cap[i, k]
        Q[Q_SCALE, k] = quota_scale[i, k]
        Q[Q_LAM, k] = lam_scale[i, k]
        Q[Q_ACTIVE, k] = 1.0 if quota_active[i, k] else 0.0
        Q[Q_WEIGHT, k] = 1.0
        Q[Q_SHIPPED, k] = 0.0
        for e in range(nnz):
            if quota_ind[i, k, EI[EI_O, e], EI[EI_D, e]] > 0.0:
                EI[EI_K, e] = k
    return nnz, has_mip


@njit(cache=True, nogil=True, error_model="numpy")
def newton_members(members, z_out, mu_out, status_out, iter_out, resid_out, clear_out, tol, max_iter,
                   p0, Q0, D0, q0, base_wedge, X0b, theta_full, theta_norm, dest_active,
                   tariff1, xtax1, mip, allowed, sigma, eps, eta, fixed, capacity, demand_shift, stock,
                   cfd_floor, cfd_share, cfd_eligible, blr_floor, blr_active,
                   quota_ind, quota_cap, quota_scale, lam_scale, quota_active):
    """Semismooth Newton for the batch members listed in ``members`` (from ``z = 0, mu = 0``).

    Writes ``z_out[i]``, ``mu_out[i]``, ``status_out[i]`` and ``iter_out[i]``
    for each ``i`` in ``members``, and for converged members the largest scaled
    residual ``resid_out[i]`` and the relative market-clearing residual
    ``clear_out[i]`` (the numpy kernel's verification, at the final point);
    the other arguments are the numpy kernel's
    :class:`~critmin.model.kernel.Prepared` fields (``eta`` with ``inf``
    replaced by 0, ``fixed`` marking perfectly elastic or non-producing origins).
    """
    R = p0.shape[0]
    K = quota_cap.shape[1]
    n = R + K
    V = np.zeros((N_V, R))
    E = np.zeros((N_E, R * R))
    EI = np.zeros((3, R * R), dtype=np.int64)
    Q = np.zeros((N_Q, K))
    okT = np.zeros((R, R))
    W = np.zeros((K, R))
    SB = np.zeros((K, R))
    F = np.empty(n)
    J = np.empty((n, n))
    rhs = np.empty(n)
    step = np.empty(n)
    perm = np.empty(n, dtype=np.int64)
    z = np.empty(R)
    mu = np.empty(K)
    zt = np.empty(R)
    mt = np.empty(K)
    for idx in range(members.shape[0]):
        i = members[idx]
        nnz, has_mip = _load_member(i, V, E, EI, Q,
                                    p0, Q0, D0, q0, base_wedge, X0b, theta_full, theta_norm, dest_active,
                                    tariff1, xtax1, mip, allowed, sigma, eps, eta, fixed, capacity, demand_shift,
                                    stock, cfd_floor, cfd_share, cfd_eligible, blr_floor, blr_active,
                                    quota_ind, quota_cap, quota_scale, lam_scale, quota_active)
        for o in range(R):
            z[o] = 0.0
        for k in range(K):
            mu[k] = 0.0
        valid, merit = _evaluate(z, mu, V, E, EI, nnz, Q, has_mip, F)
        status = _MAX_ITER
        iters = 0
        for it in range(max_iter + 1):
            worst = 0.0
            for j in range(n):
                a = abs(F[j])
                if not (a <= worst):
                    worst = a
            if worst <= tol:
                status = _CONVERGED
                break
            if it == max_iter:
                break
            iters += 1
            _jacobian(V, E, EI, nnz, Q, okT, W, SB, J)
            for j in range(n):
                rhs[j] = -F[j]
            if not _lu_solve(J, rhs, step, perm):
                status = _SINGULAR
                break
            largest = 0.0
            for o in range(R):
                a = abs(step[o])
                if a > largest:
                    largest = a
            if largest > _MAX_STEP:
                cap = _MAX_STEP / largest
                for j in range(n):
                    step[j] *= cap
            alpha = 1.0
            accepted = False
            merit_new = math.inf
            for tries in range(_MAX_HALVINGS + 1):
                for o in range(R):
                    zt[o] = z[o] + alpha * step[o]
                for k in range(K):
                    mt[k] = mu[k] + alpha * step[R + k]
                valid, merit_new = _evaluate(zt, mt, V, E, EI, nnz, Q, has_mip, F)
                if merit_new <= (1.0 - 2.0 * _ARMIJO * alpha) * merit:
                    accepted = True
                    break
                alpha *= 0.5
            if not accepted:
                status = _LINE_SEARCH
                break
            for o in range(R):
                z[o] = zt[o]
            for k in range(K):
                mu[k] = mt[k]
            merit = merit_new
        for o in range(R):
            z_out[i, o] = z[o]
        for k in range(K):
            mu_out[i, k] = mu[k]
        status_out[i] = status
        iter_out[i] = iters
        if status == _CONVERGED:  # the workspaces hold the state at the final point
            resid_out[i], clear_out[i] = _verify(V, E, EI, nnz, Q, F)


def _c(a: np.ndarray, dtype) -> np.ndarray:
    """C-contiguous, writeable array of ``dtype`` (one compiled specialisation for every call)."""
    return np.require(a, dtype=dtype, requirements=["C", "W"])


def run_newton(prep, members: np.ndarray, z: np.ndarray, mu: np.ndarray, status: np.ndarray,
               iterations: np.ndarray, residual: np.ndarray, clearing: np.ndarray, tol: float, max_iter: int) -> None:
    """Solve ``members`` of a :class:`~critmin.model.kernel.Prepared` batch, writing into the given arrays.

    ``z`` (N, R), ``mu`` (N, K), ``status``, ``iterations``, ``residual`` and
    ``clearing`` (N,) are the caller's full-batch arrays; only the rows in
    ``members`` change (``residual`` and ``clearing`` only for members that converge).
    """
    if prep.smoothing != 0:
        raise ValueError("the compiled kernel solves the exact problem only (smoothing = 0)")
    f8, b1, i8 = np.float64, np.bool_, np.int64
    z_out = _c(z, f8)
    mu_out = _c(mu, f8)
    st_out = _c(status, i8)
    it_out = _c(iterations, i8)
    res_out = _c(residual, f8)
    clr_out = _c(clearing, f8)
    newton_members(
        _c(members, i8), z_out, mu_out, st_out, it_out, res_out, clr_out, float(tol), int(max_iter),
        _c(prep.p0, f8), _c(prep.Q0, f8), _c(prep.D0, f8), _c(prep.q0, f8), _c(prep.base_wedge, f8),
        _c(prep.X0_base, f8), _c(prep.theta_full, f8), _c(prep.theta_norm, f8), _c(prep.dest_active, b1),
        _c(prep.tariff1, f8), _c(prep.xtax1, f8), _c(prep.mip, f8), _c(prep.allowed, b1),
        _c(prep.sigma, f8), _c(prep.eps, f8), _c(prep.eta, f8), _c(prep.fixed, b1),
        _c(prep.capacity, f8), _c(prep.demand_shift, f8), _c(prep.stock, f8),
        _c(prep.cfd_floor, f8), _c(prep.cfd_share, f8), _c(prep.cfd_eligible, f8),
        _c(prep.blr_floor, f8), _c(prep.blr_active, b1),
        _c(prep.quota_ind, f8), _c(prep.quota_cap, f8), _c(prep.quota_scale, f8),
        _c(prep.lam_scale, f8), _c(prep.quota_active, b1),
    )
    for out, given in ((z_out, z), (mu_out, mu), (st_out, status), (it_out, iterations), (res_out, residual),
                       (clr_out, clearing)):
        if out is not given:
            given[...] = out

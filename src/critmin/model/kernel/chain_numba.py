"""Compiled Newton for the chain's common case: one member at a time, the whole iteration in machine code.

Why it exists: ``benchmarks/bench_engine.py`` shows the batched numpy Newton
spends its time in Python-level array passes over small (S x R x R) blocks;
for batches of 10,000 ten-year scenarios the compiled loop is several times
faster. It covers exactly the domain of :func:`critmin.model.kernel.chain._jacobian_plain`
(duties, export taxes, trade costs, minimum import prices, bans, contracts for
difference with caps, buyer of last resort, stockpiles, demand and capacity
shifts) with exact complementarity; years with export quotas, new capacity or
offtakes, and members it does not converge, go to the numpy reference
(:mod:`.newton`, with smoothing continuation). The equations are the
reference's, term for term (see :mod:`.chain`); tests check that both give the
same prices to 1e-9 and the same statuses.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange  # noqa: F401  (prange kept for readers comparing with numba docs)

from .status import STATUS_CONVERGED, STATUS_LINE_SEARCH, STATUS_MAX_ITER, STATUS_SINGULAR

_ARMIJO = 1e-4
_MAX_STEP = 3.0
_HALVINGS = 30


@njit(cache=True, nogil=True, error_model="numpy")
def _residual(z, F, S, R, p0, mult, add, mip, log_s0, L0, log_c0, lmult, price, sigma, eps, eta, Dsc, Esc, Osc,
              floor, upside, cap, blr, stock, fixed, a, kappa, scale, pi, lP, e, D, Ssup, dSz, dSin, Rs, blrw, Ebuf,
              pebuf, salesbuf):  # pragma: no cover
    """Residuals ``F`` of one member at log prices ``z``; the intermediates stay in the buffers."""
    for s in range(S):
        for o in range(R):
            price[s, o] = p0[s, o] * math.exp(z[s * R + o])
    for s in range(S):
        for d in range(R):
            # log-sum-exp over permitted origins, shifted by the largest term
            m = -math.inf
            for o in range(R):
                ls = log_s0[s, o, d]
                if ls == -math.inf:
                    continue
                if add[s, o, d] == 0.0 and mip[s, o, d] == 0.0:
                    # c = p (1+x)(1+t): ln(c/c0) without a logarithm
                    ell = z[s * R + o] + lmult[s, o, d]
                    e[s, o, d] = 1.0
                else:
                    p = price[s, o]
                    v = p * mult[s, o, d] + add[s, o, d]
                    c = v
                    bind = 1.0
                    if mip[s, o, d] > v:
                        c = mip[s, o, d]
                        bind = 0.0
                    if v <= 0.0:
                        return False
                    ell = math.log(c) - log_c0[s, o, d]
                    e[s, o, d] = bind * p * mult[s, o, d] / c
                t = ls - sigma[s, d] * ell
                pi[s, o, d] = t
                if t > m:
                    m = t
            if m == -math.inf:
                return False
            tot = 0.0
            for o in range(R):
                if log_s0[s, o, d] == -math.inf:
                    pi[s, o, d] = 0.0
                    e[s, o, d] = 0.0
                else:
                    x = math.exp(pi[s, o, d] - m)
                    pi[s, o, d] = x
                    tot += x
            inv = 1.0 / tot
            for o in range(R):
                pi[s, o, d] *= inv
            lP[s, d] = -((m + math.log(tot)) - L0[s, d]) / sigma[s, d]
            D[s, d] = Dsc[s, d] * math.exp(-eps[s, d] * lP[s, d])
    for s in range(S):
        for o in range(R):
            zz = z[s * R + o]
            xin = 0.0
            if s > 0:
                xin = -kappa[s, o] * lP[s - 1, o]
            g = math.exp(eta[s, o] * (zz + xin))
            Op = Osc[s, o] * g
            Ep = Esc[s, o] * g
            dEz = eta[s, o] * Ep
            dEin = eta[s, o] * Ep
            E = Ep
            pebuf[s, o] = price[s, o]
            F_ = floor[s, o]
            if F_ > 0.0 and Esc[s, o] > 0.0:
                p = price[s, o]
                top = p if p >= F_ else F_
                wtop = 1.0 if p >= F_ else 0.0
                above = p - F_ if p > F_ else 0.0
                pe = top - upside[s, o] * above
                pebuf[s, o] = pe
                dpe = wtop - (upside[s, o] if p > F_ else 0.0)
                Ee = Esc[s, o] * math.exp(eta[s, o] * (math.log(pe / p0[s, o]) + xin))
                capped = Ee
                wcap = 1.0
                if cap[s, o] < Ee:
                    capped = cap[s, o]
                    wcap = 0.0
                if Ep >= capped:
                    E = Ep
                else:
                    E = capped
                    dEz = wcap * eta[s, o] * Ee * (p / pe) * dpe
                    dEin = wcap * eta[s, o] * Ee
            Ssup[s, o] = E + Op
            Ebuf[s, o] = E
            dSz[s, o] = dEz + eta[s, o] * Op
            dSin[s, o] = -kappa[s, o] * (dEin + eta[s, o] * Op)
    for s in range(S):
        for d in range(R):
            u = D[s, d] + stock[s, d]
            if s + 1 < S:
                u += a[s + 1, d] * Ssup[s + 1, d]
            Rs[s, d] = u
    for s in range(S):
        for o in range(R):
            i = s * R + o
            sales = 0.0
            for d in range(R):
                sales += Rs[s, d] * pi[s, o, d]
            salesbuf[s, o] = sales
            clearing = (Ssup[s, o] - sales) / scale[s, o]
            F[i] = clearing
            blrw[s, o] = 0.0
            B = blr[s, o]
            if not math.isnan(B):
                gap = (p0[s, o] * math.exp(z[i]) - B) / p0[s, o]
                if gap <= clearing:
                    F[i] = gap
                    blrw[s, o] = 1.0
            if fixed[s, o]:
                F[i] = z[i]
            if not math.isfinite(F[i]):
                return False
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _jacobian(z, Jm, S, R, p0, sigma, eps, fixed, a, scale, pi, e, D, dSz, dSin, Rs, blrw, peT, w):  # pragma: no cover
    """The Jacobian at the point whose intermediates the last :func:`_residual` call left in the buffers.

    Every origin share enters through ``pi * e`` (share times the share of the producer price in the
    delivered cost), so that product is formed once, transposed to (stage, destination, origin) so the
    innermost loops run over contiguous memory; ``peT`` and ``w`` are scratch buffers.
    """
    SR = S * R
    for i in range(SR):
        for j in range(SR):
            Jm[i, j] = 0.0
    for s in range(S):
        for d in range(R):
            for o in range(R):
                peT[s, d, o] = pi[s, o, d] * e[s, o, d]
    for s in range(S):
        # same stage: -(pi_od w_d) Ce[d, k], w_d = sigma R_d + g_d (the same for every origin)
        for d in range(R):
            wd = Rs[s, d] * sigma[s, d] - eps[s, d] * D[s, d]
            if s + 1 < S:
                wd += a[s + 1, d] * dSin[s + 1, d]
            w[d] = wd
        for o in range(R):
            i = s * R + o
            diag = dSz[s, o]
            for d in range(R):
                diag += peT[s, d, o] * Rs[s, d] * sigma[s, d]
            Jm[i, i] = diag
            for d in range(R):
                coef = pi[s, o, d] * w[d]
                if coef != 0.0:
                    for k in range(R):
                        Jm[i, s * R + k] -= coef * peT[s, d, k]
            if s + 1 < S:
                for k in range(R):
                    Jm[i, (s + 1) * R + k] -= pi[s, o, k] * a[s + 1, k] * dSz[s + 1, k]
            if s > 0:
                for k in range(R):
                    Jm[i, (s - 1) * R + k] += dSin[s, o] * peT[s - 1, o, k]
            inv = 1.0 / scale[s, o]
            for j in range(SR):
                Jm[i, j] *= inv
            if blrw[s, o] > 0.5:
                for j in range(SR):
                    Jm[i, j] = 0.0
                Jm[i, i] = p0[s, o] * math.exp(z[i]) / p0[s, o]
            if fixed[s, o]:
                for j in range(SR):
                    Jm[i, j] = 0.0
                Jm[i, i] = 1.0


@njit(cache=True, nogil=True, error_model="numpy")
def _lu_solve(A, b, x, pivot_row):  # pragma: no cover
    """Solve ``A x = b`` in place (Gaussian elimination, partial pivoting); False if singular or huge.

    The elimination updates whole rows from a copy of the pivot row (``pivot_row``, scratch): a loop
    over every column with a fixed trip count and no possible aliasing, which LLVM vectorises (about
    twice as fast as updating only the columns right of the pivot). The entries left of the pivot it
    also touches are never read again, and the ones that are read get exactly the same operations,
    so the solution is the same to the last bit.
    """
    m = b.shape[0]
    for k in range(m):
        piv = k
        best = abs(A[k, k])
        for r in range(k + 1, m):
            if abs(A[r, k]) > best:
                best = abs(A[r, k])
                piv = r
        if best == 0.0 or not math.isfinite(best):
            return False
        if piv != k:
            for c in range(m):
                t = A[k, c]
                A[k, c] = A[piv, c]
                A[piv, c] = t
            t = b[k]
            b[k] = b[piv]
            b[piv] = t
        inv = 1.0 / A[k, k]
        for c in range(m):
            pivot_row[c] = A[k, c]
        bk = b[k]
        for r in range(k + 1, m):
            f = A[r, k] * inv
            if f != 0.0:
                for c in range(m):
                    A[r, c] -= f * pivot_row[c]
                b[r] -= f * bk
    for k in range(m - 1, -1, -1):
        acc = b[k]
        for c in range(k + 1, m):
            acc -= A[k, c] * x[c]
        x[k] = acc / A[k, k]
        if not math.isfinite(x[k]) or abs(x[k]) >= 1e8:
            return False
    return True


@njit(cache=True, nogil=True, inline="always")
def _row(arr, i):  # pragma: no cover
    """Member ``i``'s slice of an array whose leading axis is the batch or 1 (shared by every member)."""
    return arr[i] if arr.shape[0] > 1 else arr[0]


@njit(cache=True, nogil=True, error_model="numpy")
def newton_members(members, Z, status, iterations, tol, max_iter, S, R, p0, mult, add, mip, log_s0, L0, log_c0, lmult,
                   sigma, eps, eta, Dsc, Esc, Osc, floor, upside, cap, blr, stock, fixed, a, kappa, scale,
                   out):  # pragma: no cover
    """Damped semismooth Newton for ``members`` (rows of the per-member arrays); writes ``Z``, status, iterations.

    ``out[i]`` (shape (8, S, R)) receives a converged member's state at its solution: log use price,
    final use, output, eligible output, tonnes allocated by the shares, sales, receipts of eligible
    output and the buyer-of-last-resort branch weight (NaN when not converged).
    """
    SR = S * R
    pi = np.empty((S, R, R))
    price = np.empty((S, R))
    e = np.empty((S, R, R))
    lP = np.empty((S, R))
    D = np.empty((S, R))
    Ssup = np.empty((S, R))
    dSz = np.empty((S, R))
    dSin = np.empty((S, R))
    Rs = np.empty((S, R))
    blrw = np.empty((S, R))
    Ebuf = np.empty((S, R))
    pebuf = np.empty((S, R))
    salesbuf = np.empty((S, R))
    F = np.empty(SR)
    Fn = np.empty(SR)
    Jm = np.empty((SR, SR))
    step = np.empty(SR)
    rhs = np.empty(SR)
    zt = np.empty(SR)
    peT = np.empty((S, R, R))
    w = np.empty(R)
    pivot_row = np.empty(SR)
    for idx in range(members.shape[0]):
        i = members[idx]
        z = Z[i]
        st = STATUS_MAX_ITER
        its = 0
        # the member's rows, taken once: a view made inside the iteration would cost a reference count each time
        p0_i, mult_i, add_i, mip_i, ls0_i = _row(p0, i), _row(mult, i), _row(add, i), _row(mip, i), _row(log_s0, i)
        L0_i, lmult_i, sigma_i, eps_i, eta_i = _row(L0, i), _row(lmult, i), _row(sigma, i), _row(eps, i), _row(eta, i)
        Dsc_i, Esc_i, Osc_i, floor_i, up_i = _row(Dsc, i), _row(Esc, i), _row(Osc, i), _row(floor, i), _row(upside, i)
        cap_i, blr_i, stock_i, fixed_i = _row(cap, i), _row(blr, i), _row(stock, i), _row(fixed, i)
        ok = _residual(z, F, S, R, p0_i, mult_i, add_i, mip_i, ls0_i, L0_i, log_c0, lmult_i, price, sigma_i, eps_i, eta_i,
                       Dsc_i, Esc_i, Osc_i, floor_i, up_i, cap_i, blr_i, stock_i, fixed_i,
                       a, kappa, scale, pi, lP, e, D, Ssup, dSz, dSin, Rs, blrw, Ebuf, pebuf, salesbuf)
        if not ok:
            status[i] = STATUS_LINE_SEARCH
            continue
        merit = 0.0
        for k in range(SR):
            merit += 0.5 * F[k] * F[k]
        for it in range(max_iter + 1):
            worst = 0.0
            for k in range(SR):
                if abs(F[k]) > worst:
                    worst = abs(F[k])
            if worst <= tol:
                st = STATUS_CONVERGED
                break
            if it == max_iter:
                break
            its += 1
            # the buffers hold the current point's intermediates (from its accepted residual): no new residual
            _jacobian(z, Jm, S, R, p0_i, sigma_i, eps_i, fixed_i, a, scale, pi, e, D, dSz, dSin, Rs, blrw, peT, w)
            for k in range(SR):
                rhs[k] = -F[k]
            if not _lu_solve(Jm, rhs, step, pivot_row):
                st = STATUS_SINGULAR
                break
            largest = 0.0
            for k in range(SR):
                if abs(step[k]) > largest:
                    largest = abs(step[k])
            if largest > _MAX_STEP:
                for k in range(SR):
                    step[k] *= _MAX_STEP / largest
            alpha = 1.0
            accepted = False
            for h in range(_HALVINGS + 1):
                for k in range(SR):
                    zt[k] = z[k] + alpha * step[k]
                good = _residual(zt, Fn, S, R, p0_i, mult_i, add_i, mip_i, ls0_i, L0_i, log_c0, lmult_i, price, sigma_i,
                                 eps_i, eta_i, Dsc_i, Esc_i, Osc_i, floor_i, up_i, cap_i, blr_i, stock_i, fixed_i,
                                 a, kappa, scale, pi, lP, e, D, Ssup, dSz, dSin, Rs, blrw, Ebuf, pebuf, salesbuf)
                if good:
                    mt = 0.0
                    for k in range(SR):
                        mt += 0.5 * Fn[k] * Fn[k]
                    if mt <= (1.0 - 2.0 * _ARMIJO * alpha) * merit:
                        accepted = True
                        merit = mt
                        break
                alpha *= 0.5
            if not accepted:
                st = STATUS_LINE_SEARCH
                break
            for k in range(SR):
                z[k] = zt[k]
                F[k] = Fn[k]
        status[i] = st
        iterations[i] = its
        for s in range(S):
            for r in range(R):
                if st == STATUS_CONVERGED:  # the buffers hold the solution's intermediates
                    out[i, 0, s, r] = lP[s, r]
                    out[i, 1, s, r] = D[s, r]
                    out[i, 2, s, r] = Ssup[s, r]
                    out[i, 3, s, r] = Ebuf[s, r]
                    out[i, 4, s, r] = Rs[s, r]
                    out[i, 5, s, r] = salesbuf[s, r]
                    out[i, 6, s, r] = pebuf[s, r]
                    out[i, 7, s, r] = blrw[s, r]
                else:
                    for k in range(8):
                        out[i, k, s, r] = math.nan

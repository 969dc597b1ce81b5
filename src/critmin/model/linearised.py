r"""The linearised (GSIM-style) solution of the same market, for comparison.

GSIM (Francois and Hall 2003) writes Armington import demand in proportional
changes with own- and cross-price elasticities

.. math::

    N_{(o,d),(o,d)} = \theta_{od} E_m - (1 - \theta_{od}) E_s, \qquad
    N_{(o,d),(j,d)} = \theta_{jd} (E_m + E_s)

(:math:`E_m = -\epsilon_d` the composite demand elasticity, :math:`E_s =
\sigma_d` the substitution elasticity, :math:`\theta` base value shares),
export supply :math:`\hat S_o = \eta_o \hat p_o`, and solves the linear
market-clearing system for :math:`\hat p`. With :math:`\hat q_{od} = \hat
p_o + \hat T_{od}` (:math:`\hat T` the proportional change of the power of
the tariff, :math:`(1+t^1)/(1+t^0) - 1`) this is

.. math::

    Q^0_o \eta_o \hat p_o = \sum_d X^0_{od}\Big[-\sigma_d \hat q_{od}
        + (\sigma_d - \epsilon_d) \sum_j \theta_{jd} \hat q_{jd}\Big].

It is the first-order expansion of :mod:`critmin.model.kernel` at the base;
the tests check that the two agree to first order and diverge for large
shocks, which is why critmin solves in levels.

References
----------
.. [1] Francois, J. F. and H. K. Hall (2003). "Global Simulation Analysis of
   Industry-Level Trade Policy", version 3.0, World Bank WITS documentation.
"""

from __future__ import annotations

import numpy as np

from .market import Market


def gsim_linear(market: Market, tariff: np.ndarray, export_tax: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Proportional changes from the base for new tariffs (and export taxes).

    Parameters
    ----------
    market : Market
    tariff : array_like (R, R)
        New total ad valorem tariffs ``[origin, destination]``.
    export_tax : array_like (R, R), optional
        New total export taxes (default: the base ones).

    Returns
    -------
    dict
        ``producer_price`` :math:`\\hat p` (R,), ``price_index`` :math:`\\hat P`
        (R,), ``flows`` :math:`\\hat X` (R, R), ``supply`` (R,), ``demand`` (R,),
        all as proportional changes (0.01 = +1%).
    """
    X0 = market.flows
    Q0 = market.production
    sigma, eps, eta = market.substitution, market.demand, market.supply
    new_x = market.base_export_tax if export_tax is None else np.asarray(export_tax, float)
    T_hat = (1 + np.asarray(tariff, float)) * (1 + new_x) / ((1 + market.base_tariff) * (1 + market.base_export_tax)) - 1
    q0 = market.prices[:, None] * (1 + market.base_export_tax) * (1 + market.base_tariff)
    value = X0 * q0
    theta = np.divide(value, value.sum(axis=0), out=np.zeros_like(value), where=value.sum(axis=0) > 0)
    fixed = np.isinf(eta) | (Q0 <= 0)
    n = market.n_regions
    A = X0 @ ((sigma - eps)[:, None] * theta.T)  # sum_d X0_od (s_d - e_d) theta_jd
    A[np.arange(n), np.arange(n)] -= X0 @ sigma + np.where(fixed, 0.0, Q0 * np.where(fixed, 0.0, eta))
    b = (X0 * sigma * T_hat).sum(axis=1) - X0 @ ((sigma - eps) * (theta * T_hat).sum(axis=0))
    A[fixed] = 0.0
    A[fixed, np.nonzero(fixed)[0]] = 1.0
    b[fixed] = 0.0
    p_hat = np.linalg.solve(A, b)
    q_hat = p_hat[:, None] + T_hat
    P_hat = (theta * q_hat).sum(axis=0)
    X_hat = -sigma * q_hat + (sigma - eps) * P_hat
    supply = np.where(fixed, np.divide((X0 * X_hat).sum(axis=1), Q0, out=np.zeros(n), where=Q0 > 0), np.where(fixed, 0.0, eta) * p_hat)
    return {"producer_price": p_hat, "price_index": P_hat, "flows": X_hat, "supply": supply, "demand": -eps * P_hat}

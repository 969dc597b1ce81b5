r"""The fiscal cost of a price floor paid as a contract for difference, over its term.

For eligible output :math:`Q_t`, market price :math:`P_t`, floor :math:`F` and the
government's share :math:`s` of the upside above the floor (the engine's ``cfd_share``;
the DoD-MP Materials NdPr agreement shares 30% of the upside above 110 USD/kg with the
Department of Defense, see the ``ndpr-style-floor-cfd`` preset), the government pays

.. math::

    C_t = Q_t \left[\max(F - P_t, 0) - s \max(P_t - F, 0)\right]

in year ``t`` (negative: it receives), and the producer's effective price is
:math:`P^e_t = \max(P_t, F) - s \max(P_t - F, 0)`. The cost over the term is the
discounted sum :math:`\sum_t C_t (1 + r)^{-t}` for every simulated price path, so the
floor's budget comes as a distribution (mean, 90th and 95th percentiles, the probability
that it pays at all).

The project is a price taker: its output is small against the market, so the floor
does not move the market price in these paths (the equilibrium engine answers how a
large floor moves prices).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def effective_price(prices: np.ndarray, floor: float | np.ndarray, upside_share: float = 0.0) -> np.ndarray:
    """:math:`\\max(P, F) - s \\max(P - F, 0)`: what an eligible producer receives."""
    floor = np.asarray(floor, dtype=float)
    return np.maximum(prices, floor) - upside_share * np.maximum(prices - floor, 0.0)


def payments(prices: np.ndarray, volume: np.ndarray, floor: float, upside_share: float = 0.0) -> np.ndarray:
    """Net yearly payment ``C_t`` per path (shape of ``prices``)."""
    if not 0.0 <= upside_share <= 1.0:
        raise ValueError("the upside share must lie in [0, 1]")
    return volume * (np.maximum(floor - prices, 0.0) - upside_share * np.maximum(prices - floor, 0.0))


def fiscal_cost(prices: np.ndarray, volume: np.ndarray, floor: float, upside_share: float = 0.0,
                discount_rate: float = 0.07) -> pd.DataFrame:
    """Per path: discounted net cost over the term, gross payments, upside receipts, binding years."""
    years = np.arange(prices.shape[1])
    disc = (1.0 + discount_rate) ** -years
    gross = volume * np.maximum(floor - prices, 0.0)
    receipts = upside_share * volume * np.maximum(prices - floor, 0.0)
    return pd.DataFrame({
        "path": np.arange(prices.shape[0]),
        "net_cost_pv": ((gross - receipts) * disc).sum(axis=1),
        "gross_payments_pv": (gross * disc).sum(axis=1),
        "upside_receipts_pv": (receipts * disc).sum(axis=1),
        "net_cost_undiscounted": (gross - receipts).sum(axis=1),
        "years_binding": ((prices < floor) & (np.broadcast_to(volume, prices.shape) > 0)).sum(axis=1),
    })


def cost_distribution(per_path: pd.DataFrame) -> pd.DataFrame:
    """Summary rows of :func:`fiscal_cost`: mean and quantiles of each measure."""
    rows = []
    for col in ("net_cost_pv", "gross_payments_pv", "upside_receipts_pv", "net_cost_undiscounted", "years_binding"):
        v = per_path[col].to_numpy(dtype=float)
        rows.append({"measure": col, "mean": v.mean(), "p5": np.quantile(v, 0.05), "p50": np.quantile(v, 0.5),
                     "p90": np.quantile(v, 0.9), "p95": np.quantile(v, 0.95), "max": v.max()})
    out = pd.DataFrame(rows)
    out.attrs["probability_floor_pays"] = float((per_path["gross_payments_pv"] > 0).mean())
    return out

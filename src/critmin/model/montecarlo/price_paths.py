r"""Price paths calibrated to a mineral's own price history in the knowledge base.

History (:func:`price_history`)
    Segments of one mineral's price record, each used on its own (a return is never taken
    across two series, so a change of basis never looks like a price move):

    1. the World Bank Pink Sheet monthly series (``prices`` table) where the mineral has
       one (nickel, tin, zinc, platinum, silver, ...); otherwise
    2. the USGS Data Series 140 annual unit value in constant 1998 dollars (``prices``
       table, basis ``real-1998``), plus
    3. one MCS salient price series (the ``salient`` table, 2018-2025; the one with the
       most years, or the one whose name contains ``series``), for the years after the
       DS140 series ends.

    Only the last ``window`` years of each segment are used (default 30).

Processes (:class:`PriceProcess`)
    ``ou`` (default): the log price mean-reverts (Schwartz 1997, model 1),

    .. math:: d\ln P = \kappa(\mu - \ln P)\,dt + \sigma\,dW,

    fitted by pooled least squares of the exact discretisation
    :math:`x_{t+\Delta} = a_s + b\,x_t + e` with a separate intercept per segment (so the
    levels of different series never mix): :math:`\kappa = -\ln b / \Delta`,
    :math:`\sigma^2 = \mathrm{Var}(e)\,2\kappa / (1 - b^2)`. Commodity prices revert toward
    marginal cost as capacity responds (Schwartz 1997; Pindyck 1999), so a random walk
    overstates the spread of a ten-year price; reversion is what the history shows when
    ``b < 1``. When the fit gives no reversion (``b >= 1``) the fit falls back to ``gbm``
    and says so.

    ``gbm``: geometric Brownian motion, :math:`d\ln P = m\,dt + \sigma\,dW`, with
    :math:`\sigma` the annualised standard deviation of the pooled log returns and
    :math:`m = 0` by default (the median path stays at today's price; a user may pass a
    drift).

    The level is today's: paths start at the base price and the OU long-run level
    :math:`\mu` is the log of the base price unless the user gives another; only the
    dynamics (:math:`\kappa, \sigma`) come from history, because the historical level is
    in old dollars and another basis.

Simulation (:func:`simulate`) uses the exact OU transition over one year and the seeded,
chunk-independent uniforms of :mod:`.sampling` (normal deviates by the inverse CDF), so
paths are reproducible from ``(seed, path index)``; annual points are end-of-year prices.

References
----------
.. [1] Schwartz, E. S. (1997). "The stochastic behavior of commodity prices: implications
   for valuation and hedging". Journal of Finance 52(3), 923-973.
.. [2] Pindyck, R. S. (1999). "The long-run evolution of energy prices". The Energy
   Journal 20(2), 1-27.
.. [3] Dixit, A. K. and R. S. Pindyck (1994). Investment under Uncertainty. Princeton
   University Press, ch. 3 (Brownian motion and mean reversion).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from critmin.errors import CritminError

from .sampling import uniforms

MIN_RETURNS = 10


class PriceHistoryError(CritminError):
    """Too little price history to fit a process, with what was found."""


@dataclass(frozen=True)
class Segment:
    """One price series used on its own."""

    label: str
    series: pd.Series  # Period-indexed, positive
    periods_per_year: int
    basis: str
    source: str


@dataclass(frozen=True)
class PriceProcess:
    """A fitted (or given) price process; see the module docstring."""

    model: str  # "ou" | "gbm"
    sigma: float  # annual volatility of the log price
    kappa: float = 0.0  # annual mean-reversion speed (ou)
    drift: float = 0.0  # annual drift of the log price (gbm)
    n_returns: int = 0
    segments: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.model not in ("ou", "gbm"):
            raise ValueError("model must be 'ou' or 'gbm'")
        if not (np.isfinite(self.sigma) and self.sigma >= 0):
            raise ValueError("sigma must be a finite number >= 0")
        if self.model == "ou" and not self.kappa > 0:
            raise ValueError("an OU process needs kappa > 0")

    def describe(self) -> str:
        if self.model == "ou":
            half = np.log(2) / self.kappa
            return (f"mean-reverting log price (OU): sigma {self.sigma:.3f}/yr, kappa {self.kappa:.3f}/yr "
                    f"(half-life {half:.1f} years), from {self.n_returns} returns")
        return f"geometric Brownian motion: sigma {self.sigma:.3f}/yr, drift {self.drift:+.3f}/yr, from {self.n_returns} returns"


def _series(rows: pd.DataFrame, freq: str) -> pd.Series:
    from critmin.analysis.prices import to_series

    s = to_series(rows, freq=freq)
    return s[s > 0]


def price_history(mineral: str, series: str | None = None, window: int = 30,
                  tables: dict[str, pd.DataFrame] | None = None) -> list[Segment]:
    """The price segments of ``mineral`` (see the module docstring)."""
    from critmin.kb import read_tables
    from critmin.analysis.prices import annual_prices

    if tables is None:
        from critmin import kb

        tables = read_tables(["salient"])
        tables["prices"] = kb.prices([mineral])
    prices = tables["prices"]
    prices = prices[prices["commodity_id"] == mineral]
    segments: list[Segment] = []
    monthly = prices[(prices["frequency"] == "monthly") & prices["series_id"].str.startswith("pinksheet:")]
    if len(monthly):
        sid = sorted(monthly["series_id"].unique())[0]
        s = _series(monthly[monthly["series_id"] == sid], "M")
        s = s[s.index.year > s.index.year.max() - window]
        segments.append(Segment(f"{sid} (monthly, nominal)", s, 12, "nominal", "World Bank Pink Sheet (prices table)"))
        return segments
    real = prices[(prices["frequency"] == "annual") & (prices["basis"] == "real-1998")]
    last_ds140 = None
    if len(real):
        sid = real.groupby("series_id")["year"].count().sort_values(ascending=False, kind="stable").index[0]
        s = _series(real[real["series_id"] == sid], "Y")
        if len(s):
            last_ds140 = int(s.index.year.max())
            s = s[s.index.year > last_ds140 - window]
            segments.append(Segment(f"{sid} (annual unit value, 1998 dollars)", s, 1, "real-1998",
                                    "USGS Data Series 140 (prices table)"))
    salient = tables["salient"]
    ap = annual_prices(salient[salient["commodity_id"] == mineral], [mineral])
    if len(ap):
        counts = ap.groupby("series")["year"].agg(["count", "max"])
        if series is not None:
            counts = counts[counts.index.str.lower().str.contains(series.lower(), regex=False)]
            if counts.empty:
                raise PriceHistoryError(f"{mineral}: no MCS price series contains {series!r}; have "
                                        f"{sorted(ap['series'].unique())}")
        name = counts.sort_values(["count", "max"], ascending=False, kind="stable").index[0]
        rows = ap[ap["series"] == name].assign(month=np.nan)
        s = _series(rows, "Y")
        if last_ds140 is not None and series is None:
            s = s[s.index.year >= last_ds140]  # only the years after DS140 ends (one overlapping year for a return)
        if len(s) >= 2:
            segments.append(Segment(f"MCS salient: {name}", s, 1, "nominal", "USGS MCS salient statistics (salient table)"))
    if not segments:
        raise PriceHistoryError(f"{mineral}: no price series in the knowledge base")
    return segments


def _returns(seg: Segment) -> np.ndarray:
    from critmin.analysis.prices import log_returns

    return log_returns(seg.series).to_numpy()


def fit(segments: list[Segment], model: str = "ou") -> PriceProcess:
    """Fit ``ou`` or ``gbm`` to the segments (see the module docstring).

    Raises
    ------
    PriceHistoryError
        Fewer than :data:`MIN_RETURNS` returns in all segments together.
    """
    if model not in ("ou", "gbm"):
        raise ValueError("model must be 'ou' or 'gbm'")
    labels = tuple(s.label for s in segments)
    annual_returns = []
    for seg in segments:
        r = _returns(seg)
        annual_returns.append((r, seg.periods_per_year))
    n = int(sum(len(r) for r, _ in annual_returns))
    if n < MIN_RETURNS:
        raise PriceHistoryError(f"only {n} price returns in {list(labels)}; at least {MIN_RETURNS} are needed to fit "
                                "a process (pass --sigma to give a volatility)")
    # annualised variance pooled over segments of possibly different frequency
    var = sum(((r - r.mean()) ** 2).sum() * k for r, k in annual_returns if len(r) > 1) / max(n - len(annual_returns), 1)
    sigma_rw = float(np.sqrt(var))
    if model == "gbm":
        return PriceProcess("gbm", sigma_rw, n_returns=n, segments=labels)
    # OU: pooled AR(1) on log levels with a fixed effect per segment, on adjacent periods only
    xs, ys, groups, steps = [], [], [], []
    for g, seg in enumerate(segments):
        s = seg.series.sort_index()
        ords = np.array([p.ordinal for p in s.index])
        adjacent = np.diff(ords) == 1
        logp = np.log(s.to_numpy())
        xs.append(logp[:-1][adjacent])
        ys.append(logp[1:][adjacent])
        groups.append(np.full(adjacent.sum(), g))
        steps.append(np.full(adjacent.sum(), 1.0 / seg.periods_per_year))
    x, y, grp, dt = (np.concatenate(a) for a in (xs, ys, groups, steps))
    if len(set(dt.tolist())) > 1:
        # mixed frequencies: fit on the annual segments only would lose the monthly ones; use the most frequent
        keep = dt == dt.min()
        x, y, grp, dt = x[keep], y[keep], grp[keep], dt[keep]
    delta = float(dt[0])
    # within-segment demeaning = one intercept per segment
    xd, yd = x.copy(), y.copy()
    for g in np.unique(grp):
        m = grp == g
        xd[m] -= x[m].mean()
        yd[m] -= y[m].mean()
    b = float((xd * yd).sum() / (xd * xd).sum()) if (xd * xd).sum() > 0 else 1.0
    resid = yd - b * xd
    dof = max(len(y) - len(np.unique(grp)) - 1, 1)
    s2 = float((resid ** 2).sum() / dof)
    if not 0 < b < 1:
        return PriceProcess("gbm", sigma_rw, n_returns=n, segments=labels,
                            notes=(f"no mean reversion in the history (AR(1) coefficient {b:.3f} >= 1 or <= 0): "
                                   "fell back to geometric Brownian motion",))
    kappa = -np.log(b) / delta
    sigma = float(np.sqrt(s2 * 2 * kappa / (1 - b * b)))
    return PriceProcess("ou", sigma, kappa=float(kappa), n_returns=n, segments=labels,
                        notes=(f"AR(1) coefficient {b:.3f} per {'month' if delta < 1 else 'year'}",))


def simulate(process: PriceProcess, p0: float, years: int, n: int, seed: int, *, start: int = 0,
             long_run_price: float | None = None, method: str = "random") -> np.ndarray:
    """End-of-year prices, shape ``(n, years)``, of paths ``start .. start+n-1``.

    ``long_run_price`` (OU) defaults to ``p0``.
    """
    if p0 <= 0:
        raise ValueError("the starting price must be positive")
    u = uniforms(seed, start, start + n, years, method=method, n_total=start + n if method == "lhs" else None)
    z = np.sqrt(2.0) * special.erfinv(2.0 * u - 1.0)
    x = np.empty((n, years))
    prev = np.full(n, np.log(p0))
    if process.model == "ou":
        mu = np.log(long_run_price if long_run_price is not None else p0)
        b = np.exp(-process.kappa)
        sd = process.sigma * np.sqrt((1 - b * b) / (2 * process.kappa))
        for t in range(years):
            prev = mu + (prev - mu) * b + sd * z[:, t]
            x[:, t] = prev
    else:
        for t in range(years):
            prev = prev + process.drift + process.sigma * z[:, t]
            x[:, t] = prev
    return np.exp(x)

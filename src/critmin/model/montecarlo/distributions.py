r"""Probability distributions of uncertain inputs, sampled by their inverse CDF.

Every Monte Carlo input is ``value = dist.ppf(u)`` for a uniform ``u`` from
:mod:`critmin.model.montecarlo.sampling`, so plain random and Latin hypercube sampling
share one code path and a value depends only on ``(seed, draw, dimension)``.

A distribution is declared in data (the disruption library, parameter files) as
``kind`` plus two numbers ``a`` and ``b``:

=============  ==========================================  ======================================
kind           parameters                                   value
=============  ==========================================  ======================================
``fixed``      ``a``                                        ``a``
``uniform``    ``a`` low, ``b`` high                        ``a + u (b - a)``
``loguniform`` ``a`` low > 0, ``b`` high                    ``a (b/a)^u``
``gamma``      ``a`` shape, ``b`` rate                      ``P^{-1}(a, u) / b`` (regularised
                                                            lower incomplete gamma inverse)
``beta``       ``a``, ``b``                                 ``I^{-1}_u(a, b)``
=============  ==========================================  ======================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

KINDS = ("fixed", "uniform", "loguniform", "gamma", "beta")


@dataclass(frozen=True)
class Distribution:
    """A one-dimensional distribution given by ``kind``, ``a`` and ``b`` (see the module table)."""

    kind: str
    a: float
    b: float = float("nan")

    def __post_init__(self) -> None:
        kind, a, b = self.kind, float(self.a), float(self.b)
        if kind not in KINDS:
            raise ValueError(f"distribution kind must be one of {KINDS}, got {kind!r}")
        if not np.isfinite(a):
            raise ValueError(f"{kind} distribution: parameter a must be finite, got {self.a!r}")
        if kind != "fixed" and not np.isfinite(b):
            raise ValueError(f"{kind} distribution: parameter b must be finite, got {self.b!r}")
        if kind in ("uniform", "loguniform") and not b >= a:
            raise ValueError(f"{kind} distribution: need low <= high, got {a} > {b}")
        if kind == "loguniform" and a <= 0:
            raise ValueError(f"loguniform distribution: low must be > 0, got {a}")
        if kind in ("gamma", "beta") and (a <= 0 or b <= 0):
            raise ValueError(f"{kind} distribution: both parameters must be > 0, got a={a}, b={b}")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at ``u`` in (0, 1)."""
        u = np.asarray(u, dtype=float)
        if self.kind == "fixed":
            return np.full(u.shape, float(self.a))
        if self.kind == "uniform":
            return self.a + u * (self.b - self.a)
        if self.kind == "loguniform":
            return self.a * (self.b / self.a) ** u
        if self.kind == "gamma":
            return special.gammaincinv(self.a, u) / self.b
        return special.betaincinv(self.a, self.b, u)

    def mean(self) -> float:
        if self.kind == "fixed":
            return float(self.a)
        if self.kind == "uniform":
            return 0.5 * (self.a + self.b)
        if self.kind == "loguniform":
            return float(self.a) if self.a == self.b else (self.b - self.a) / np.log(self.b / self.a)
        if self.kind == "gamma":
            return self.a / self.b
        return self.a / (self.a + self.b)

    def interval(self, level: float = 0.9) -> tuple[float, float]:
        """Central interval holding ``level`` of the probability."""
        lo, hi = self.ppf(np.array([(1 - level) / 2, (1 + level) / 2]))
        return float(lo), float(hi)

    def describe(self) -> str:
        if self.kind == "fixed":
            return f"{self.a:g}"
        if self.kind in ("uniform", "loguniform"):
            return f"{self.kind}({self.a:g}, {self.b:g})"
        lo, hi = self.interval()
        return f"{self.kind}({self.a:g}, {self.b:g}): mean {self.mean():.3g}, 90% {lo:.3g}-{hi:.3g}"

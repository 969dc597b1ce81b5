"""Published values as closed intervals.

Publishers bound many figures instead of stating them: USGS writes net import reliance
``>95`` or ``<25``, production ``50–300``, the EU writes a supply share ``<0.1%``. The risk
methods are monotone in their inputs, so a bounded input gives a bounded result, and that
is what critmin reports instead of picking a number inside the bounds.

:func:`from_published` turns one published value (value, qualifier, low, high as in
:mod:`critmin.values`) into an :class:`Interval`, or ``None`` when nothing is known
(withheld, not available, words): an unknown value is never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from critmin.values import Qualifier

_POINT = frozenset({Qualifier.EXACT, Qualifier.ESTIMATED, Qualifier.REVISED, Qualifier.ZERO})


@dataclass(frozen=True, slots=True)
class Interval:
    """A closed interval ``[low, high]``; a known number is ``Interval(v, v)``."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if math.isnan(self.low) or math.isnan(self.high):
            raise ValueError("an interval bound cannot be NaN; use None for an unknown value")
        if self.low > self.high:
            raise ValueError(f"interval low {self.low} > high {self.high}")

    @classmethod
    def exact(cls, value: float) -> Interval:
        return cls(float(value), float(value))

    @property
    def is_point(self) -> bool:
        return self.low == self.high

    @property
    def point(self) -> float | None:
        """The value when it is known exactly, else ``None``."""
        return self.low if self.low == self.high else None

    def __add__(self, other: Interval | float) -> Interval:
        o = _as_interval(other)
        return Interval(self.low + o.low, self.high + o.high)

    __radd__ = __add__

    def __mul__(self, other: Interval | float) -> Interval:
        o = _as_interval(other)
        products = (self.low * o.low, self.low * o.high, self.high * o.low, self.high * o.high)
        return Interval(min(products), max(products))

    __rmul__ = __mul__

    def __sub__(self, other: Interval | float) -> Interval:
        o = _as_interval(other)
        return Interval(self.low - o.high, self.high - o.low)

    def clip(self, low: float, high: float) -> Interval:
        return Interval(min(max(self.low, low), high), min(max(self.high, low), high))

    def maximum(self, other: Interval) -> Interval:
        """The interval of ``max(x, y)`` for x in self, y in other."""
        return Interval(max(self.low, other.low), max(self.high, other.high))

    def as_tuple(self) -> tuple[float, float]:
        return (self.low, self.high)


def _as_interval(x: Interval | float) -> Interval:
    return x if isinstance(x, Interval) else Interval.exact(float(x))


def _num(x) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def from_published(
    value,
    qualifier: str | None,
    low=None,
    high=None,
    *,
    floor: float = 0.0,
    cap: float | None = None,
    net_exporter: Interval | None = None,
) -> Interval | None:
    """One published value as an interval, or ``None`` when it is unknown.

    Parameters
    ----------
    value, qualifier, low, high
        The value columns of a snapshot table (see :mod:`critmin.values`).
    floor
        The smallest value the quantity can take (0 for shares, tonnages, reliance);
        the lower end of ``<x``.
    cap
        The largest value it can take (100 for a percentage); the upper end of ``>x``.
        Without a cap, ``>x`` is unbounded above and gives ``None``.
    net_exporter
        What ``E`` (net exporter) means for this quantity. For trade exposure, the share
        of consumption met by net imports is 0 when the US is a net exporter, so callers
        computing reliance pass ``Interval(0, 0)``; elsewhere ``E`` is unknown.

    Returns
    -------
    Interval or None
        ``None`` for withheld, not available, not calculable, small, words, missing,
        not published: never 0.

    Examples
    --------
    >>> from_published(None, "greater_than", 95, None, cap=100)
    Interval(low=95.0, high=100.0)
    >>> from_published(None, "withheld") is None
    True
    """
    if qualifier is None:
        return None
    q = str(qualifier)
    v, lo, hi = _num(value), _num(low), _num(high)
    if q in _POINT:
        return Interval.exact(v) if v is not None else None
    if q == Qualifier.GREATER_THAN:
        if lo is None or cap is None:
            return None
        return Interval(lo, max(lo, cap))
    if q == Qualifier.LESS_THAN:
        return Interval(min(floor, hi), hi) if hi is not None else None
    if q == Qualifier.RANGE:
        return Interval(lo, hi) if lo is not None and hi is not None else None
    if q == Qualifier.LESS_THAN_HALF_UNIT:
        return Interval(floor, 0.5 if hi is None else hi)
    if q == Qualifier.NET_EXPORTER:
        return net_exporter
    return None


def describe(iv: Interval | None, digits: int = 3) -> str:
    """``'0.42'`` for a point, ``'0.40–0.45'`` for a range, ``''`` for unknown."""
    if iv is None:
        return ""
    if iv.is_point:
        return f"{iv.low:.{digits}g}"
    return f"{iv.low:.{digits}g}–{iv.high:.{digits}g}"

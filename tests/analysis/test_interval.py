import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.analysis.interval import Interval, describe, from_published


def test_point_and_bounds():
    assert from_published(42.0, "exact", 42.0, 42.0) == Interval(42.0, 42.0)
    assert from_published(0.0, "zero", 0.0, 0.0).point == 0.0
    assert from_published(None, "greater_than", 95.0, None, cap=100.0) == Interval(95.0, 100.0)
    assert from_published(None, "less_than", None, 25.0) == Interval(0.0, 25.0)
    assert from_published(None, "range", 50.0, 300.0) == Interval(50.0, 300.0)


@pytest.mark.parametrize("q", ["withheld", "not_available", "text", "missing", "small", "not_calculable", "not_published"])
def test_codes_are_unknown_not_zero(q):
    assert from_published(None, q, None, None, cap=100.0) is None


def test_greater_than_without_cap_is_unknown():
    assert from_published(None, "greater_than", 2_000_000.0, None) is None


def test_net_exporter_only_when_told():
    assert from_published(None, "net_exporter") is None
    assert from_published(None, "net_exporter", net_exporter=Interval(0, 0)) == Interval(0, 0)


def test_arithmetic_and_nan_guard():
    a, b = Interval(1, 2), Interval(3, 5)
    assert a + b == Interval(4, 7)
    assert a * b == Interval(3, 10)
    assert (a - b) == Interval(-4, -1)
    assert Interval(0.2, 0.4).maximum(Interval(0.3, 0.35)) == Interval(0.3, 0.4)
    with pytest.raises(ValueError):
        Interval(math.nan, 1)
    with pytest.raises(ValueError):
        Interval(2, 1)
    assert describe(Interval(0.5, 0.5)) == "0.5"
    assert describe(None) == ""


@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1e6))
def test_product_contains_products(a, b, c, d):
    x, y = Interval(min(a, b), max(a, b)), Interval(min(c, d), max(c, d))
    p = x * y
    for u in (x.low, x.high):
        for v in (y.low, y.high):
            assert p.low - 1e-6 * max(1, abs(u * v)) <= u * v <= p.high + 1e-6 * max(1, abs(u * v))

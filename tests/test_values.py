"""The value/qualifier parser: codes never become numbers, bounds keep their bound."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.values import NUMERIC_QUALIFIERS, Qualifier, format_value, parse_value


@pytest.mark.parametrize(
    "raw, value, qualifier, low, high",
    [
        ("10,000", 10000.0, "exact", 10000.0, 10000.0),
        ("1,234.5", 1234.5, "exact", 1234.5, 1234.5),
        ("0", 0.0, "exact", 0.0, 0.0),
        ("−16", -16.0, "exact", -16.0, -16.0),
        ("W", None, "withheld", None, None),
        ("NA", None, "not_available", None, None),
        ("E", None, "net_exporter", None, None),
        ("XX", None, "not_calculable", None, None),
        ("s", None, "small", None, None),
        ("Small", None, "small", None, None),
        ("Very small", None, "small", None, None),
        ("—", 0.0, "zero", 0.0, 0.0),
        ("--", 0.0, "zero", 0.0, 0.0),
        (">95", None, "greater_than", 95.0, None),
        (">2,000,000", None, "greater_than", 2_000_000.0, None),
        ("<1,000", None, "less_than", None, 1000.0),
        ("<25", None, "less_than", None, 25.0),
        ("50–300", None, "range", 50.0, 300.0),
        ("10,000 - 15,000", None, "range", 10000.0, 15000.0),
        ("890–1,000", None, "range", 890.0, 1000.0),
        ("e10,000", 10000.0, "estimated", 10000.0, 10000.0),
        ("150e", 150.0, "estimated", 150.0, 150.0),
        ("25r", 25.0, "revised", 25.0, 25.0),
        ("Less than ½ unit.", None, "less_than_half_unit", None, 0.5),
        ("Less than 1/2 unit.", None, "less_than_half_unit", None, 0.5),
        ("Less than one-half unit", None, "less_than_half_unit", None, 0.5),
        ("Less than 50,000\u00a0tons", None, "less_than", None, 50000.0),
        ("Large", None, "text", None, None),
        ("Moderate to large", None, "text", None, None),
        ("?1", None, "text", None, None),
        ("", None, "missing", None, None),
        ("   ", None, "missing", None, None),
        (None, None, "missing", None, None),
        (float("nan"), None, "missing", None, None),
    ],
)
def test_parse_value_cases(raw, value, qualifier, low, high):
    p = parse_value(raw)
    assert p.value == value
    assert p.qualifier == qualifier
    assert p.low == low
    assert p.high == high


def test_column_level_estimate_marks_plain_numbers_only():
    assert parse_value("1,700", estimated=True).qualifier is Qualifier.ESTIMATED
    assert parse_value("W", estimated=True).qualifier is Qualifier.WITHHELD
    assert parse_value(">50", estimated=True).qualifier is Qualifier.GREATER_THAN


@given(st.sampled_from(["W", "NA", "E", "XX", "s", "Large", "", ">95", "<1,000", "50–300", "Less than ½ unit."]))
def test_codes_never_become_numbers(code):
    p = parse_value(code)
    assert p.value is None
    assert p.qualifier not in NUMERIC_QUALIFIERS


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_round_trip(n):
    assert parse_value(f"{n:,}").value == float(n)
    assert parse_value(str(n)).value == float(n)


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False), st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_bounds_are_ordered(a, b):
    lo, hi = sorted((round(a, 2), round(b, 2)))
    p = parse_value(f"{lo}–{hi}")
    assert p.qualifier is Qualifier.RANGE
    assert p.low <= p.high
    assert p.value is None


def test_format_value_keeps_qualifier():
    assert format_value(None, "greater_than", 95.0, None) == ">95"
    assert format_value(None, "less_than", None, 1000.0) == "<1,000"
    assert format_value(None, "range", 50.0, 300.0) == "50–300"
    assert format_value(None, "withheld", None, None) == "W"
    assert format_value(None, "net_exporter", None, None) == "E"
    assert format_value(100.0, "exact", 100.0, 100.0) == "100"
    assert format_value(1500.0, "estimated", 1500.0, 1500.0) == "1,500e"
    assert not math.isnan(parse_value(3).value)

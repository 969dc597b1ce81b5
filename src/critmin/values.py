"""Published values and their qualifiers.

USGS and other publishers mix numbers with codes in the same column: ``W`` (withheld),
``NA`` (not available), ``E`` (net exporter), ``>95`` (bounded), ``50–300`` (a range),
``—`` (zero), ``s`` (small), or words such as ``Large``. critmin never turns a code into a
number: :func:`parse_value` splits every raw cell into a :class:`Parsed` value whose
``value`` is a number only when the publisher gave one, with the bound(s) kept in
``low``/``high`` and the kind of value in ``qualifier``.

The qualifier vocabulary (column ``qualifier`` in every snapshot table with values):

==================  =================================================  =========  ===========
qualifier           meaning                                            ``value``  ``low/high``
==================  =================================================  =========  ===========
exact               a number as published                              number     = value
estimated           a number the publisher marks as estimated          number     = value
revised             a number the publisher marks as revised            number     = value
zero                published as ``—`` (em-dash) meaning zero          0.0        0.0
greater_than        ``>95``: only a lower bound is known               null       low
less_than           ``<1,000``: only an upper bound is known           null       high
range               ``50–300``: both bounds known                      null       low, high
less_than_half_unit ``Less than ½ unit``                               null       high = 0.5
small               ``s``, ``Small``, ``Very small``                   null       null
withheld            ``W``: withheld to avoid disclosing company data   null       null
not_available       ``NA``                                             null       null
net_exporter        ``E`` in a net-import-reliance column              null       null
not_calculable      ``XX``: a total that cannot be calculated          null       null
text                words (``Large``, ``Moderate``, a misplaced note)   null       null
missing             the cell is blank in the publisher's file          null       null
==================  =================================================  =========  ===========
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum


class Qualifier(StrEnum):
    EXACT = "exact"
    ESTIMATED = "estimated"
    REVISED = "revised"
    ZERO = "zero"
    GREATER_THAN = "greater_than"
    LESS_THAN = "less_than"
    RANGE = "range"
    LESS_THAN_HALF_UNIT = "less_than_half_unit"
    SMALL = "small"
    WITHHELD = "withheld"
    NOT_AVAILABLE = "not_available"
    NET_EXPORTER = "net_exporter"
    NOT_CALCULABLE = "not_calculable"
    TEXT = "text"
    MISSING = "missing"


#: Qualifiers whose ``value`` is a number.
NUMERIC_QUALIFIERS = frozenset({Qualifier.EXACT, Qualifier.ESTIMATED, Qualifier.REVISED, Qualifier.ZERO})
#: Qualifiers that carry a bound but no point value.
BOUNDED_QUALIFIERS = frozenset(
    {Qualifier.GREATER_THAN, Qualifier.LESS_THAN, Qualifier.RANGE, Qualifier.LESS_THAN_HALF_UNIT}
)


@dataclass(frozen=True, slots=True)
class Parsed:
    """One published cell: ``value`` is a number only when the publisher gave one."""

    value: float | None
    qualifier: Qualifier
    low: float | None = None
    high: float | None = None
    raw: str = ""

    @property
    def is_number(self) -> bool:
        return self.qualifier in NUMERIC_QUALIFIERS


_NUM = r"[-−]?\d[\d,]*(?:\.\d+)?|[-−]?\.\d+"
_NUMBER_RE = re.compile(rf"^(?:{_NUM})$")
_BOUND_RE = re.compile(rf"^(>=|<=|>|<|≥|≤)\s*({_NUM})\s*(?:%|percent)?$")
_RANGE_RE = re.compile(rf"^({_NUM})\s*(?:–|—|-|to)\s*({_NUM})$")
# 'e10,000' (leading) or '10,000e' / '10,000 e' (trailing) mark an estimate; 'r' a revision.
_MARKED_RE = re.compile(rf"^(?:([er])\s*({_NUM})|({_NUM})\s*([er]))$")
_LESS_THAN_WORDS_RE = re.compile(r"^less than\s+(?:about\s+)?([\d,]+(?:\.\d+)?)\b", re.I)
_HALF_UNIT_RE = re.compile(r"^less than (?:½|1/2|a half|one-half|one half)\s*unit\.?$", re.I)

_CODES: dict[str, Qualifier] = {
    "W": Qualifier.WITHHELD,
    "NA": Qualifier.NOT_AVAILABLE,
    "N/A": Qualifier.NOT_AVAILABLE,
    "#N/A": Qualifier.NOT_AVAILABLE,
    "..": Qualifier.NOT_AVAILABLE,
    "…": Qualifier.NOT_AVAILABLE,
    "...": Qualifier.NOT_AVAILABLE,
    "E": Qualifier.NET_EXPORTER,
    "XX": Qualifier.NOT_CALCULABLE,
    "s": Qualifier.SMALL,
    "Small": Qualifier.SMALL,
    "Very small": Qualifier.SMALL,
    "—": Qualifier.ZERO,
    "--": Qualifier.ZERO,
}


def to_number(text: str) -> float:
    """``'10,000'`` -> 10000.0; ``'−16'`` (Unicode minus) -> -16.0."""
    return float(text.replace(",", "").replace("−", "-").replace("\u00a0", ""))


def parse_value(raw: object, *, estimated: bool = False, revised: bool = False) -> Parsed:
    """Split one published cell into value and qualifier.

    Parameters
    ----------
    raw
        The cell as read (string, number, ``None`` or NaN for a blank cell).
    estimated, revised
        Set when the column (not the cell) marks the figure as estimated or revised,
        for example ``PROD_EST_ 2024``; a plain number then gets that qualifier.

    Returns
    -------
    Parsed
        Never a fabricated number: codes and words give ``value=None``.
    """
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return Parsed(None, Qualifier.MISSING, raw="")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        v = float(raw)
        return Parsed(v, _plain_qualifier(estimated, revised), v, v, raw=repr(raw))
    text = str(raw).replace("\u00a0", " ").strip()
    if text == "":
        return Parsed(None, Qualifier.MISSING, raw="")
    number_plain = _plain_qualifier(estimated, revised)
    if _NUMBER_RE.match(text):
        v = to_number(text)
        return Parsed(v, number_plain, v, v, raw=text)
    code = _CODES.get(text)
    if code is not None:
        if code is Qualifier.ZERO:
            return Parsed(0.0, code, 0.0, 0.0, raw=text)
        return Parsed(None, code, raw=text)
    if m := _MARKED_RE.match(text):
        mark = m.group(1) or m.group(4)
        v = to_number(m.group(2) or m.group(3))
        q = Qualifier.ESTIMATED if mark == "e" else Qualifier.REVISED
        return Parsed(v, q, v, v, raw=text)
    if m := _BOUND_RE.match(text):
        op, v = m.group(1), to_number(m.group(2))
        if op in (">", ">=", "≥"):
            return Parsed(None, Qualifier.GREATER_THAN, v, None, raw=text)
        return Parsed(None, Qualifier.LESS_THAN, None, v, raw=text)
    if m := _RANGE_RE.match(text):
        lo, hi = to_number(m.group(1)), to_number(m.group(2))
        if lo <= hi:
            return Parsed(None, Qualifier.RANGE, lo, hi, raw=text)
    if _HALF_UNIT_RE.match(text):
        return Parsed(None, Qualifier.LESS_THAN_HALF_UNIT, None, 0.5, raw=text)
    if m := _LESS_THAN_WORDS_RE.match(text):
        return Parsed(None, Qualifier.LESS_THAN, None, to_number(m.group(1)), raw=text)
    if text.lower() in {"small", "very small"}:
        return Parsed(None, Qualifier.SMALL, raw=text)
    return Parsed(None, Qualifier.TEXT, raw=text)


def _plain_qualifier(estimated: bool, revised: bool) -> Qualifier:
    if estimated:
        return Qualifier.ESTIMATED
    if revised:
        return Qualifier.REVISED
    return Qualifier.EXACT


def parsed_columns(parsed: Parsed) -> dict[str, object]:
    """The standard value columns of a snapshot row."""
    return {
        "value": parsed.value,
        "qualifier": str(parsed.qualifier),
        "low": parsed.low,
        "high": parsed.high,
        "raw": parsed.raw,
    }


def format_value(value: float | None, qualifier: str, low: float | None, high: float | None, raw: str = "") -> str:
    """Human form of a stored value that keeps its qualifier (``>95``, ``W``, ``50–300``)."""
    q = Qualifier(qualifier)
    if q in NUMERIC_QUALIFIERS and value is not None:
        txt = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"
        return txt + ("e" if q is Qualifier.ESTIMATED else "")
    if q is Qualifier.GREATER_THAN:
        return f">{_fmt(low)}"
    if q is Qualifier.LESS_THAN:
        return f"<{_fmt(high)}"
    if q is Qualifier.RANGE:
        return f"{_fmt(low)}–{_fmt(high)}"
    short = {
        Qualifier.WITHHELD: "W",
        Qualifier.NOT_AVAILABLE: "NA",
        Qualifier.NET_EXPORTER: "E",
        Qualifier.NOT_CALCULABLE: "XX",
        Qualifier.SMALL: "s",
        Qualifier.LESS_THAN_HALF_UNIT: "<½",
        Qualifier.MISSING: "",
    }
    return short.get(q, raw)


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4g}"

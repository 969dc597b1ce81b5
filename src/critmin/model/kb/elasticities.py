"""Behavioural parameters of knowledge-base markets, read from ``elasticities.csv`` with their provenance.

The file is the one place the calibration takes elasticities from. Each row is

``kind, applies_to, stage, status, value, low, high, citation, locator, note``

* ``kind``: ``substitution``, ``demand_short``, ``demand_long``, ``supply_short``, ``supply_long``
  (the chain engine's parameters, :mod:`critmin.model.chain.elasticities`);
* ``applies_to``: ``*`` (every mineral) or mineral ids separated by ``;``; ``stage``: ``*``,
  ``mine`` or ``processing``;
* ``status``:

  - ``cited``: a published estimate, with ``citation`` (authors, year, title, venue, DOI) and
    ``locator`` (table and page) both required, ``low <= value <= high`` the published range;
  - ``assumption``: a labelled user assumption (``citation`` names where the value is defined,
    ``note`` says why), ``low``/``high`` the range Monte Carlo may draw (itself an assumption);
  - ``consulted``: a publication searched for estimates whose values could not be read from the
    sources at hand; ``value``/``low``/``high`` empty, ``note`` says what was readable. Kept so the
    search is on record and a reader with the paper can turn the row into a ``cited`` one.

The most specific ``cited`` or ``assumption`` row wins (a mineral over ``*``, a stage over ``*``;
``cited`` over ``assumption`` at equal specificity). As of this version **no row is cited**: we
found no value we could read (see the ``consulted`` rows and docs/model.md), so every parameter
is the chain engine's labelled default.

Monte Carlo: :func:`multiplier_range` gives the range of the multiplier on a stage's value
(``low/value``, ``high/value``) and whether it is cited; for assumption rows it is the labelled
``[1/2, 2]`` of :mod:`critmin.model.montecarlo.design`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from critmin.model.chain.elasticities import CHAIN_ELASTICITY_KINDS

from .inputs import KBDataError

PATH = Path(__file__).with_name("elasticities.csv")
COLUMNS = ("kind", "applies_to", "stage", "status", "value", "low", "high", "citation", "locator", "note")
STATUSES = ("cited", "assumption", "consulted")
STAGES = ("*", "mine", "processing")


@dataclass(frozen=True)
class Elasticity:
    """One parameter value and where it comes from (a row of ``elasticities.csv``)."""

    kind: str
    value: float
    low: float
    high: float
    status: str
    citation: str
    locator: str
    note: str
    row: int

    @property
    def cited(self) -> bool:
        return self.status == "cited"

    def describe(self) -> str:
        where = f"elasticities.csv row {self.row}"
        if self.cited:
            return (f"{self.kind} {self.value:g} (range {self.low:g}-{self.high:g}): {self.citation}, {self.locator} "
                    f"({where})")
        return (f"{self.kind} {self.value:g} (ASSUMPTION, overridable; Monte Carlo range {self.low:g}-{self.high:g}, "
                f"also an assumption): {self.note} ({where}; no published estimate read, see its 'consulted' rows)")


def _fail(row: int, field: str, expected: str, got) -> KBDataError:
    return KBDataError(f"{PATH.name}: row {row}, field {field!r}: expected {expected}, got {got!r}")


def validate(df: pd.DataFrame) -> pd.DataFrame:
    """Check every row (see the module docstring); raise :class:`KBDataError` naming file, row and field."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise KBDataError(f"{PATH.name}: missing column(s) {missing}; expected {list(COLUMNS)}")
    out = df.copy()
    for i, r in enumerate(df.itertuples(index=False), start=2):  # row 1 is the header
        if r.kind not in CHAIN_ELASTICITY_KINDS:
            raise _fail(i, "kind", f"one of {list(CHAIN_ELASTICITY_KINDS)}", r.kind)
        if r.stage not in STAGES:
            raise _fail(i, "stage", f"one of {list(STAGES)}", r.stage)
        if r.status not in STATUSES:
            raise _fail(i, "status", f"one of {list(STATUSES)}", r.status)
        if not isinstance(r.applies_to, str) or not r.applies_to.strip():
            raise _fail(i, "applies_to", "'*' or mineral ids separated by ';'", r.applies_to)
        if not isinstance(r.citation, str) or len(r.citation.strip()) < 10:
            raise _fail(i, "citation", "a citation (or where an assumption is defined)", r.citation)
        nums = [r.value, r.low, r.high]
        if r.status == "consulted":
            if any(pd.notna(x) for x in nums):
                raise _fail(i, "value", "empty for a 'consulted' row (nothing was read)", r.value)
            if not isinstance(r.note, str) or not r.note.strip():
                raise _fail(i, "note", "what was readable and why no value is quoted", r.note)
            continue
        for name, x in zip(("value", "low", "high"), nums):
            if not (isinstance(x, (int, float)) and math.isfinite(x) and x >= 0):
                raise _fail(i, name, "a finite number >= 0", x)
        if not r.low <= r.value <= r.high:
            raise _fail(i, "value", f"low <= value <= high ({r.low}, {r.high})", r.value)
        if r.kind == "substitution" and r.value <= 0:
            raise _fail(i, "value", "> 0 for substitution", r.value)
        if r.status == "cited" and (not isinstance(r.locator, str) or not r.locator.strip()):
            raise _fail(i, "locator", "the table and page of a cited value", r.locator)
        if r.status == "assumption" and (not isinstance(r.note, str) or not r.note.strip()):
            raise _fail(i, "note", "why the assumption", r.note)
    out["row"] = range(2, len(df) + 2)
    return out


@lru_cache(maxsize=1)
def table() -> pd.DataFrame:
    """The validated file (one row per line, ``row`` = its line number)."""
    df = pd.read_csv(PATH, dtype={"kind": str, "applies_to": str, "stage": str, "status": str, "citation": str,
                                  "locator": str, "note": str})
    return validate(df)


def _applies(applies_to: str, mineral: str) -> bool:
    return applies_to == "*" or mineral in [x.strip() for x in applies_to.split(";")]


def lookup(mineral: str, stage: str, kind: str) -> Elasticity:
    """The row that sets ``kind`` for ``mineral`` at ``stage`` (most specific; cited before assumption)."""
    if kind not in CHAIN_ELASTICITY_KINDS:
        raise KBDataError(f"elasticity kind must be one of {list(CHAIN_ELASTICITY_KINDS)}, got {kind!r}")
    t = table()
    rows = t[(t["kind"] == kind) & (t["status"] != "consulted")]
    best, score = None, None
    for r in rows.itertuples(index=False):
        if not _applies(r.applies_to, mineral) or r.stage not in ("*", stage):
            continue
        s = (r.applies_to != "*", r.stage != "*", r.status == "cited")
        if score is None or s > score:
            best, score = r, s
    if best is None:
        raise KBDataError(f"{PATH.name}: no row sets {kind} for {mineral} {stage} (a '*' assumption row is required)")
    return Elasticity(kind, float(best.value), float(best.low), float(best.high), best.status, best.citation,
                      best.locator if isinstance(best.locator, str) else "", best.note if isinstance(best.note, str)
                      else "", int(best.row))


def consulted(mineral: str | None = None, kind: str | None = None) -> pd.DataFrame:
    """Publications searched for estimates that could not be read (optionally for one mineral or kind)."""
    t = table()
    rows = t[t["status"] == "consulted"]
    if kind is not None:
        rows = rows[rows["kind"] == kind]
    if mineral is not None:
        rows = rows[[_applies(a, mineral) for a in rows["applies_to"]]]
    return rows[["kind", "applies_to", "citation", "note", "row"]].reset_index(drop=True)


def stage_parameters(mineral: str, stage: str) -> tuple[dict[str, float], list[str]]:
    """``({kind: value}, notes)`` for one stage: every chain-engine parameter from the file, each with its note."""
    values, notes = {}, []
    for kind in CHAIN_ELASTICITY_KINDS:
        e = lookup(mineral, stage, kind)
        values[kind] = e.value
        notes.append(f"stage {stage}: {e.describe()}")
    return values, notes


def multiplier_range(mineral: str, stage: str, kind: str) -> tuple[float, float, str]:
    """``(low, high, source)``: the range of the multiplier on the stage's ``kind`` for Monte Carlo draws.

    ``low = row.low / row.value`` and ``high = row.high / row.value``; ``source`` is the citation
    and locator for a cited row, or ``"assumption: ..."`` for a labelled one (then ``[1/2, 2]``).
    Draw log-uniformly between them, as :mod:`critmin.model.montecarlo.design` does today.
    """
    e = lookup(mineral, stage, kind)
    if e.value <= 0:
        raise KBDataError(f"{kind} of {mineral} {stage} is 0: a multiplier range is undefined")
    source = f"{e.citation}, {e.locator}" if e.cited else f"assumption: {e.note}"
    return e.low / e.value, e.high / e.value, source

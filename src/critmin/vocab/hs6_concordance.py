"""The HS 1992 six-digit concordance of CEPII BACI's mineral products, as data.

``hs6_concordance.csv`` maps each of the 74 HS1992 subheadings in the BACI extract
(``../shared/data/cepii_baci/baci.db``) to what critmin can read it as:

``scope``
    ``in_scope`` or ``out_of_scope`` (coal, lignite, crude oil and natural gas: kept in the
    file so every code of the source is mapped, never read as a mineral).
``commodity_id``
    The one canonical id the code's figures may be read as: a mineral, or a group
    (``rare-earths``) for codes that mix the group's members. Blank when no single id fits.
``mixed``, ``members``
    ``mixed = 1`` marks a code that holds several minerals (``284690`` rare-earth compounds,
    ``261690`` gold and platinum-group ores, ``280450`` boron and tellurium); ``members``
    lists every id it can hold. A mixed code is never one member's figure:
    :func:`codes_for` returns it only for the group id in ``commodity_id``.
``stage``
    ``mine``, ``processing``, ``products`` (semi-manufactures, articles), ``scrap`` or
    ``fuel``; ``mine|processing`` marks a stage-mixed code (natural graphite powders hold
    flake concentrate and purified powders).
``content_basis``, ``factor_low``, ``factor_high``, ``factor_basis``, ``formula``
    Content of the basis (an element such as ``Li``, ``gross weight``) per tonne of
    product. ``factor_basis`` is

    * ``stoichiometry``: computed from the formula of the compound(s) the heading covers
      (IUPAC standard atomic weights, abridged); a heading covering several compounds
      gives the lowest and highest (content tonnes are then an interval);
    * ``element``: the product is the element or metal itself (factor 1; impurities and
      alloys in which it predominates are not deducted, so content is an upper bound);
    * ``gross_weight``: the commodity is measured in gross weight by USGS and WMD alike,
      so gross tonnes are the basis (factor 1);
    * ``bounds``: a heading definition gives the bounds (``760110`` not-alloyed aluminium is
      at least 99% Al; ``260200`` manganese ores at least 20% Mn, at most MnO);
    * ``none``: no defensible factor (ore grades, mattes, ferro-alloys, mixed compounds);
      the ``note`` says why, and no content tonnes are computed.

Every row is checked when loaded: ids exist in :mod:`critmin.vocab.commodities`, stages and
bases are known, factors are within ``(0, 1]`` with ``low <= high``, and a factor is given
exactly when ``factor_basis`` is not ``none``. A bad row raises naming the line and field.

References
----------
World Customs Organization, Harmonized Commodity Description and Coding System, 1992
edition, Chapters 25-28, 71-72, 76, 81 and their Notes. CEPII, BACI HS92 product codes
``product_codes_HS92_V202401b``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from critmin.errors import SourceError

HS_REVISION = "HS1992"
FILE = "hs6_concordance.csv"
COLUMNS = (
    "hs6", "description", "scope", "commodity_id", "mixed", "members", "stage", "form", "content_basis",
    "factor_low", "factor_high", "factor_basis", "formula", "note",
)
STAGES = frozenset({"mine", "processing", "products", "scrap", "fuel"})
SCOPES = frozenset({"in_scope", "out_of_scope"})
FACTOR_BASES = frozenset({"stoichiometry", "element", "gross_weight", "bounds", "none"})


@dataclass(frozen=True, slots=True)
class HsEntry:
    """One HS1992 subheading as critmin reads it."""

    hs6: str
    description: str
    scope: str
    commodity_id: str | None
    mixed: bool
    members: tuple[str, ...]
    stages: frozenset[str]
    form: str
    content_basis: str
    factor_low: float | None
    factor_high: float | None
    factor_basis: str
    formula: str
    note: str

    @property
    def has_factor(self) -> bool:
        return self.factor_low is not None

    @property
    def stage_mixed(self) -> bool:
        return len(self.stages) > 1

    @property
    def stage(self) -> str:
        return "|".join(sorted(self.stages))


def _fail(line: int, field: str, message: str, found: object = None, expected: str | None = None):
    raise SourceError(f"critmin/vocab/{FILE}", message, row=line, field=field, found=found, expected=expected)


def _factor(text: str, line: int, field: str) -> float | None:
    if text == "":
        return None
    try:
        v = float(text)
    except ValueError:
        _fail(line, field, "not a number", text, "a content factor in (0, 1]")
    if not 0 < v <= 1:
        _fail(line, field, "content factor out of range", text, "a content factor in (0, 1]")
    return v


@cache
def entries() -> dict[str, HsEntry]:
    """Every subheading of the concordance, by six-digit code (checked on load)."""
    with resources.files("critmin.vocab").joinpath(FILE).open(encoding="utf-8", newline="") as fh:
        return parse(fh)


def parse(fh) -> dict[str, HsEntry]:
    """Parse and check concordance rows from an open text file (see the module docstring)."""
    from critmin.vocab.commodities import catalogue

    known = catalogue()
    out: dict[str, HsEntry] = {}
    reader = csv.DictReader(fh)
    if tuple(reader.fieldnames or ()) != COLUMNS:
        _fail(1, "header", "unexpected header", reader.fieldnames, ",".join(COLUMNS))
    for line, r in enumerate(reader, start=2):
        hs6 = r["hs6"].strip()
        if len(hs6) != 6 or not hs6.isdigit():
            _fail(line, "hs6", "not a six-digit code", hs6, "six digits")
        if hs6 in out:
            _fail(line, "hs6", "duplicate code", hs6, "each code once")
        if r["scope"] not in SCOPES:
            _fail(line, "scope", "unknown scope", r["scope"], f"one of {sorted(SCOPES)}")
        stages = frozenset(s for s in r["stage"].split("|") if s)
        if not stages or not stages <= STAGES:
            _fail(line, "stage", "unknown stage", r["stage"], f"one or more of {sorted(STAGES)} joined by '|'")
        members = tuple(m for m in r["members"].split(";") if m)
        cid = r["commodity_id"] or None
        for m in members + ((cid,) if cid else ()):
            if m not in known:
                _fail(line, "members" if m in members else "commodity_id", "unknown commodity id", m,
                      "an id of critmin/vocab/commodities.csv")
        mixed = r["mixed"] == "1"
        if r["mixed"] not in ("0", "1"):
            _fail(line, "mixed", "not 0 or 1", r["mixed"], "0 or 1")
        if mixed and len(members) < 1:
            _fail(line, "members", "a mixed code without members", r["members"], "the ids the code can hold")
        if cid and mixed and known[cid].is_group is False:
            _fail(line, "commodity_id", "a mixed code read as a single mineral", cid,
                  "blank, or a group id whose figure the mixed code may be")
        if r["factor_basis"] not in FACTOR_BASES:
            _fail(line, "factor_basis", "unknown factor basis", r["factor_basis"], f"one of {sorted(FACTOR_BASES)}")
        lo, hi = _factor(r["factor_low"], line, "factor_low"), _factor(r["factor_high"], line, "factor_high")
        if (lo is None) != (hi is None):
            _fail(line, "factor_high", "only one bound of the content factor", (lo, hi), "both or neither")
        if lo is not None and lo > hi:
            _fail(line, "factor_low", "factor_low above factor_high", (lo, hi), "low <= high")
        if (r["factor_basis"] == "none") != (lo is None):
            _fail(line, "factor_basis", "factor basis and factor disagree", (r["factor_basis"], lo),
                  "a factor exactly when the basis is not 'none'")
        if lo is not None and not r["content_basis"]:
            _fail(line, "content_basis", "a factor without a content basis", r["content_basis"], "e.g. 'Li' or 'gross weight'")
        if r["factor_basis"] == "none" and not r["note"]:
            _fail(line, "note", "no factor and no reason", "", "the reason no factor is defensible")
        out[hs6] = HsEntry(
            hs6=hs6, description=r["description"], scope=r["scope"], commodity_id=cid, mixed=mixed,
            members=members, stages=stages, form=r["form"], content_basis=r["content_basis"],
            factor_low=lo, factor_high=hi, factor_basis=r["factor_basis"], formula=r["formula"], note=r["note"],
        )
    return out


def entry(hs6: str | int) -> HsEntry:
    """The concordance entry of one code; an unknown code raises ``KeyError`` naming it."""
    code = f"{int(hs6):06d}" if not isinstance(hs6, str) else hs6.zfill(6)
    try:
        return entries()[code]
    except KeyError:
        raise KeyError(f"HS code {code} is not in critmin/vocab/{FILE}") from None


def codes_for(commodity_id: str, stage: str | None = None, *, include_stage_mixed: bool = True) -> list[str]:
    """Codes whose figures may be read as ``commodity_id`` (at ``stage``).

    A single-mineral code counts for its mineral; a mixed code only for the group named in
    its ``commodity_id`` (``284690`` for ``rare-earths``), never for one of its members.
    Out-of-scope codes never count.
    """
    out = []
    for e in entries().values():
        if e.scope != "in_scope" or e.commodity_id != commodity_id:
            continue
        if stage is not None and stage not in e.stages:
            continue
        if stage is not None and e.stage_mixed and not include_stage_mixed:
            continue
        out.append(e.hs6)
    return sorted(out)


def table():
    """The concordance as a DataFrame (one row per code), for display and joins."""
    import pandas as pd

    rows = [
        {
            "hs6": e.hs6, "description": e.description, "scope": e.scope, "commodity_id": e.commodity_id,
            "mixed": e.mixed, "members": list(e.members), "stage": e.stage, "form": e.form,
            "content_basis": e.content_basis, "factor_low": e.factor_low, "factor_high": e.factor_high,
            "factor_basis": e.factor_basis, "formula": e.formula, "note": e.note,
        }
        for e in entries().values()
    ]
    return pd.DataFrame(rows)

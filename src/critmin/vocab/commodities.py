"""Canonical commodity ids and the names publishers use for them.

Every commodity has one id (a slug: ``rare-earths``, ``gallium``, ``platinum-group-metals``).
Publishers add a *form* to the name ("RARE EARTHS, compounds and metals", "GALLIUM, metal",
"TIN, refined"); :func:`resolve_commodity` returns the id and keeps the form.

Resolution, in order, on a normalised key (case-folded, spaces collapsed, ``&`` -> ``and``,
dashes unified, trailing punctuation removed):

1. ``commodity_aliases.csv`` (publisher names, misspellings such as "Gemanium");
2. a canonical id or name from ``commodities.csv``;
3. "BASE, form": the part before the first comma resolves by 1-2, the rest is the form.

Anything else raises :class:`~critmin.errors.UnmappedNameError` naming file and row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from critmin.errors import UnknownCommodityError, UnmappedNameError


@dataclass(frozen=True, slots=True)
class Commodity:
    commodity_id: str
    name: str
    symbol: str
    group_id: str
    is_group: bool
    kind: str
    mcs_chapter: str
    note: str


@dataclass(frozen=True, slots=True)
class CommodityRef:
    commodity_id: str
    form: str = ""


def _read_csv(name: str) -> list[dict[str, str]]:
    with resources.files("critmin.vocab").joinpath(name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def catalogue() -> dict[str, Commodity]:
    """Every canonical commodity, by id."""
    out = {}
    for r in _read_csv("commodities.csv"):
        out[r["commodity_id"]] = Commodity(
            commodity_id=r["commodity_id"],
            name=r["name"],
            symbol=r["symbol"],
            group_id=r["group_id"],
            is_group=r["is_group"] == "1",
            kind=r["kind"],
            mcs_chapter=r["mcs_chapter"],
            note=r["note"],
        )
    return out


@cache
def members(group_id: str) -> tuple[str, ...]:
    """Member ids of a group entry (rare earths, platinum-group metals); () for others."""
    return tuple(c.commodity_id for c in catalogue().values() if c.group_id == group_id)


def normalise(name: str) -> str:
    text = str(name).replace("\u00a0", " ").replace("’", "'")
    text = text.replace("&", " and ").replace("—", "-").replace("–", "-").replace("--", "-")
    text = re.sub(r"\s*-\s*", "-", text)
    text = re.sub(r"\s+", " ", text).strip().strip(".,;:").strip()
    return text.casefold()


@cache
def _index() -> dict[str, CommodityRef]:
    index: dict[str, CommodityRef] = {}
    for c in catalogue().values():
        index[normalise(c.commodity_id)] = CommodityRef(c.commodity_id)
        index[normalise(c.commodity_id.replace("-", " "))] = CommodityRef(c.commodity_id)
        index[normalise(c.name)] = CommodityRef(c.commodity_id)
        if c.mcs_chapter and c.mcs_chapter not in {"RARE EARTHS", "PLATINUM-GROUP METALS", "ZIRCONIUM AND HAFNIUM", "HELIUM AND RARE GASES"}:
            index.setdefault(normalise(c.mcs_chapter), CommodityRef(c.commodity_id))
    for r in _read_csv("commodity_aliases.csv"):
        if r["commodity_id"] not in catalogue():
            raise ValueError(f"commodity_aliases.csv: alias {r['alias']!r} names unknown id {r['commodity_id']!r}")
        index[normalise(r["alias"])] = CommodityRef(r["commodity_id"], r["form"])
    return index


@cache
def _resolve(name: str) -> CommodityRef | None:
    key = normalise(name)
    if not key:
        return None
    ref = _index().get(key)
    if ref is not None:
        return ref
    if m := re.match(r"^(.*\D)\d{1,2}$", key):  # footnote digits: "Rare earths (...)9"
        return _resolve(m.group(1))
    if m := re.match(r"^(.*?)\s*\(([^()]*)\)$", str(name).strip()):
        base_ref = _index().get(normalise(m.group(1)))
        if base_ref is not None:
            form = ", ".join(f for f in (base_ref.form, m.group(2).strip()) if f)
            return CommodityRef(base_ref.commodity_id, form)
    if "," in key:
        base, form = key.split(",", 1)
        base_ref = _index().get(normalise(base))
        if base_ref is not None:
            # keep the publisher's own spelling of the form
            raw_form = str(name).split(",", 1)[1].strip().strip(".").strip()
            form = ", ".join(f for f in (base_ref.form, raw_form) if f)
            return CommodityRef(base_ref.commodity_id, form)
    return None


def resolve_commodity(
    name: str, *, file: str | Path = "<input>", row: int | None = None, field: str | None = None
) -> CommodityRef:
    """Resolve a publisher's commodity name, or raise naming file, row and field."""
    ref = _resolve(str(name))
    if ref is None:
        raise UnmappedNameError(
            file,
            "unmapped commodity name",
            row=row,
            field=field,
            found=name,
            expected="a commodity in critmin/vocab/commodities.csv or commodity_aliases.csv",
        )
    return ref


@cache
def mcs_file_codes() -> dict[str, CommodityRef]:
    """USGS per-commodity file codes (``raree``, ``lithi``, ``zirco-hafni``) to ids."""
    return {r["code"]: CommodityRef(r["commodity_id"], r["form"]) for r in _read_csv("mcs_file_codes.csv")}


def lookup(user_text: str) -> Commodity:
    """Find a commodity from what a user typed: an id, a name, a symbol or an alias."""
    text = str(user_text).strip()
    ref = _resolve(text)
    if ref is not None:
        return catalogue()[ref.commodity_id]
    for c in catalogue().values():
        if c.symbol and c.symbol.casefold() == text.casefold():
            return c
    known = ", ".join(sorted(catalogue())[:12])
    raise UnknownCommodityError(
        f"unknown mineral {user_text!r}; try an id such as {known}, ... (see `critmin minerals`)"
    )

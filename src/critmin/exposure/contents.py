"""The product-content library: how much of each mineral a derivative product holds.

The library is data (``exposure/data/contents.csv`` with its citations in ``sources.csv``)
plus the battery-pack contents per kWh of the snapshot table ``battery_contents`` (Argonne
BatPaC 5.1 via Busch et al. 2024). Every figure carries a source; none is invented:

* ``published_range``: a range as a publication states it (``low``-``high`` in kg of the
  mineral per kg of product); where two sources differ the range spans both and both are cited.
* ``stoichiometry``: the mass fraction of an element in a compound of stated formula,

  .. math:: w_E = \\frac{n_E A_E}{\\sum_i n_i A_i}

  with :math:`n_i` the formula's subscripts and :math:`A_i` the IUPAC 2021 abridged standard
  atomic weights (``atomic_weights.csv``). The fraction is computed here, not typed in.
* ``dataset``: a published dataset read into the snapshot (BatPaC contents per kWh).

A figure is per kg of the product (``per_kg``: a mass fraction), per kWh of pack energy
(``per_kwh``) or per unit of the product (``per_unit``: kg of the mineral in one converter,
whatever the unit weighs). What the search found no source for (the split of an EV motor
magnet's rare earths among Nd, Pr, Dy and Tb, terbium in any magnet) is listed with the
reason in ``not_covered.csv``.

References
----------
Prohaska, T., et al., 2022, Standard atomic weights of the elements 2021 (IUPAC Technical
Report), Pure Appl. Chem. 94(5), 573-600, doi:10.1515/pac-2019-0603.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

import pandas as pd

from critmin.errors import CritminError
from critmin.snapshot.manifest import per_snapshot
from critmin.vocab import commodities as vc

#: Columns of :func:`content_library`.
LIBRARY_COLUMNS = [
    "product_id", "product_name", "hts_heading", "basis", "commodity_id", "form", "method", "formula",
    "element", "low", "high", "source_id", "citation", "locator", "note",
]
#: What a library figure is per: kg of mineral per kg of the product, per kWh of pack energy,
#: or per unit of the product (a catalytic converter holds grams of PGM whatever it weighs).
BASES = ("per_kg", "per_kwh", "per_unit")


class ContentLibraryError(CritminError):
    """The shipped content library is inconsistent (a bug in the data files, not user input)."""


def _read(name: str) -> list[dict[str, str]]:
    with resources.files("critmin.exposure").joinpath("data", name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def atomic_weights() -> dict[str, float]:
    """IUPAC 2021 abridged standard atomic weights of the elements the library uses, by symbol."""
    return {r["symbol"]: float(r["atomic_weight"]) for r in _read("atomic_weights.csv")}


_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)|(\()|(\))(\d*\.?\d*)")


def parse_formula(formula: str) -> dict[str, float]:
    """Element counts of a formula such as ``LiNi0.8Mn0.1Co0.1O2`` or ``LiOH(H2O)``.

    Decimal subscripts (non-stoichiometric cathodes) and one level of parentheses with an
    optional multiplier are allowed; anything else raises ``ValueError``.
    """
    stack: list[dict[str, float]] = [{}]
    pos = 0
    text = formula.replace(" ", "")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot read formula {formula!r} at {text[pos:]!r}")
        symbol, count, open_, close, mult = m.groups()
        if symbol:
            n = float(count) if count else 1.0
            stack[-1][symbol] = stack[-1].get(symbol, 0.0) + n
        elif open_:
            stack.append({})
        elif close:
            if len(stack) < 2:
                raise ValueError(f"unbalanced ')' in formula {formula!r}")
            inner = stack.pop()
            k = float(mult) if mult else 1.0
            for s, n in inner.items():
                stack[-1][s] = stack[-1].get(s, 0.0) + n * k
        pos = m.end()
    if len(stack) != 1 or not stack[0]:
        raise ValueError(f"unbalanced or empty formula {formula!r}")
    return stack[0]


def mass_fraction(formula: str, element: str) -> float:
    """Mass fraction of ``element`` in ``formula``: :math:`n_E A_E / \\sum_i n_i A_i`.

    >>> round(mass_fraction("GaAs", "Ga"), 4)
    0.482
    """
    counts = parse_formula(formula)
    weights = atomic_weights()
    unknown = [s for s in counts if s not in weights]
    if unknown:
        raise ValueError(f"no atomic weight for {unknown} (add it to atomic_weights.csv with its IUPAC value)")
    if element not in counts:
        raise ValueError(f"{element} is not in {formula}")
    total = sum(n * weights[s] for s, n in counts.items())
    return counts[element] * weights[element] / total


@cache
def sources() -> dict[str, dict[str, str]]:
    """The library's citations by source id."""
    return {r["source_id"]: r for r in _read("sources.csv")}


def citation(source_ids: str) -> str:
    """The full citation text of one or more ``;``-separated source ids."""
    out = []
    for sid in [s for s in source_ids.split(";") if s]:
        r = sources()[sid]
        out.append(f"{r['authors']} ({r['year']}). {r['title']}. {r['container']}. {r['locator']}. {r['doi_url']}")
    return " | ".join(out)


@cache
def _static_library() -> pd.DataFrame:
    rows = []
    catalogue = vc.catalogue()
    for i, r in enumerate(_read("contents.csv"), start=2):
        if r["commodity_id"] not in catalogue:
            raise ContentLibraryError(f"contents.csv row {i}: unknown commodity {r['commodity_id']!r}")
        if r["basis"] not in BASES:
            raise ContentLibraryError(f"contents.csv row {i}: basis {r['basis']!r} not in {BASES}")
        missing = [s for s in r["source_id"].split(";") if s not in sources()]
        if not r["source_id"] or missing:
            raise ContentLibraryError(f"contents.csv row {i}: a figure without a known source ({missing or 'none'})")
        if r["method"] == "stoichiometry":
            low = high = mass_fraction(r["formula"], r["element"])
        elif r["method"] == "published_range":
            low, high = float(r["low"]), float(r["high"])
        else:
            raise ContentLibraryError(f"contents.csv row {i}: unknown method {r['method']!r}")
        if not 0 <= low <= high or (r["basis"] == "per_kg" and high > 1):
            what = "a fraction range" if r["basis"] == "per_kg" else "a range of kg per unit (0 <= low <= high)"
            raise ContentLibraryError(f"contents.csv row {i}: content [{low}, {high}] is not {what}")
        rows.append({**{k: r[k] for k in ("product_id", "product_name", "hts_heading", "basis", "commodity_id", "form",
                                           "method", "formula", "element", "source_id", "locator", "note")},
                     "low": low, "high": high, "citation": citation(r["source_id"])})
    df = pd.DataFrame(rows, columns=LIBRARY_COLUMNS)
    dup = df.duplicated(["product_id", "commodity_id"], keep=False)
    if dup.any():
        raise ContentLibraryError(f"contents.csv: product and mineral listed twice: {df.loc[dup, ['product_id', 'commodity_id']].values.tolist()}")
    return df


def battery_pack_id(chemistry: str) -> str:
    """Library id of a BatPaC pack chemistry: ``NMC 811`` -> ``li-ion-pack-nmc-811``."""
    return "li-ion-pack-" + re.sub(r"[^a-z0-9]+", "-", chemistry.lower()).strip("-")


def battery_library(battery_contents: pd.DataFrame) -> pd.DataFrame:
    """Library rows (basis ``per_kwh``) from the snapshot table ``battery_contents``.

    Materials without a commodity (stainless steel) and contents that are missing are left
    out; a published 0 stays in (it says the chemistry holds none).
    """
    b = battery_contents[battery_contents["commodity_id"].notna() & battery_contents["value"].notna()]
    if b.empty:
        return pd.DataFrame(columns=LIBRARY_COLUMNS)
    cite = citation("busch2024_batpac")
    out = pd.DataFrame({
        "product_id": b["chemistry"].map(battery_pack_id),
        "product_name": "Battery pack, " + b["chemistry"].astype(str) + " (BatPaC 5.1 default configuration)",
        "hts_heading": "8507",
        "basis": "per_kwh",
        "commodity_id": b["commodity_id"].astype(str),
        "form": "",
        "method": "dataset",
        "formula": "",
        "element": b["material"].astype(str),
        "low": b["value"].astype(float),
        "high": b["value"].astype(float),
        "source_id": "busch2024_batpac",
        "citation": cite,
        "locator": "snapshot table battery_contents, source row " + b["source_row"].astype(str),
        "note": b["notes"].astype(str),
    })
    # A pack holds steel and the mineral "graphite" per kWh; several BatPaC materials can map
    # to one commodity only if the reader's mapping changes, so keep one row per pair.
    return out.groupby(["product_id", "commodity_id"], as_index=False).agg(
        {**{c: "first" for c in LIBRARY_COLUMNS if c not in ("product_id", "commodity_id", "low", "high")},
         "low": "sum", "high": "sum"})[LIBRARY_COLUMNS]


def content_library(battery_contents: pd.DataFrame | None = None) -> pd.DataFrame:
    """The whole library: one row per (product, mineral), ``low``/``high`` per basis unit.

    Parameters
    ----------
    battery_contents
        The snapshot table (default: read from the store); pass an empty frame to leave the
        battery packs out.
    """
    if battery_contents is None:
        battery_contents = _snapshot_battery_contents()
    lib = pd.concat([_static_library(), battery_library(battery_contents)], ignore_index=True)
    return lib.sort_values(["product_id", "commodity_id"]).reset_index(drop=True)


@per_snapshot(maxsize=1)
def _snapshot_battery_contents() -> pd.DataFrame:
    from critmin import kb

    return kb.battery_contents()


def not_covered() -> pd.DataFrame:
    """Products asked for that the library leaves out, with the reason."""
    return pd.DataFrame(_read("not_covered.csv"))


def library_summary(library: pd.DataFrame) -> dict[str, int]:
    """Counts for reports: figures, products, sources."""
    ids = set()
    for s in library["source_id"]:
        ids.update(x for x in str(s).split(";") if x)
    return {"figures": int(len(library)), "products": int(library["product_id"].nunique()), "sources": len(ids)}

"""Countries as ISO 3166-1 alpha-3 codes, and the aggregates publishers mix in with them.

Names are resolved in this order, and never by fuzzy matching (a fuzzy match turns
"Republic of Korea" into North Korea and "Irane" into Albania):

1. the explicit table ``country_aliases.csv`` (publishers' own names: "Burma",
   "Congo (Kinshasa)", World Bank "Korea, Rep.", aggregates such as "Other countries");
2. an exact look-up in :mod:`pycountry` (names, official and common names, codes),
   then its historic countries;
3. the same after removing what USGS appends to a name: footnote digits ("China3"),
   an estimate marker ("Chinae"), or a detail of the series ("Brazil (beneficiated)",
   "Argentina, crude ore"), which is kept in ``detail``;
4. "World total ..." and "Other countries ..." prefixes, kept as aggregates.

Anything else raises :class:`~critmin.errors.UnmappedNameError` naming the file and row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from critmin.errors import UnmappedNameError

COUNTRY = "country"
WORLD = "world"
OTHER = "other"
GROUP = "group"
REGION = "region"


@dataclass(frozen=True, slots=True)
class CountryRef:
    """A resolved country or aggregate name."""

    iso3: str | None
    name: str
    kind: str
    members: tuple[str, ...] = ()
    detail: str = ""
    footnote: str = ""
    estimated: bool = False

    @property
    def is_country(self) -> bool:
        return self.kind == COUNTRY


def _read_csv(name: str) -> list[dict[str, str]]:
    with resources.files("critmin.vocab").joinpath(name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def _aliases() -> dict[str, tuple[str | None, str, tuple[str, ...]]]:
    out = {}
    for r in _read_csv("country_aliases.csv"):
        members = tuple(m for m in r["members"].split(";") if m)
        out[_key(r["name"])] = (r["iso3"] or None, r["kind"], members)
    return out


@cache
def code_aliases() -> dict[str, str]:
    """Publisher-specific three-letter codes (World Bank WGI ``ZAR``, ``ROM``, ...) to ISO3."""
    return {r["code"]: r["iso3"] for r in _read_csv("country_code_aliases.csv")}


@cache
def groups() -> dict[str, frozenset[str]]:
    """Named country groups (G7, USMCA, FEOC, EU27) as sets of ISO3 codes."""
    out: dict[str, set[str]] = {}
    for r in _read_csv("country_groups.csv"):
        out.setdefault(r["group"], set()).add(r["iso3"])
    return {k: frozenset(v) for k, v in out.items()}


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name.replace("’", "'").replace("\u00a0", " ")).strip().casefold()


_SHORT_NAMES = {
    "XKX": "Kosovo",
    "ANT": "Netherlands Antilles",
    "COD": "DR Congo",
    "COG": "Congo (Brazzaville)",
    "RUS": "Russia",
    "BRN": "Brunei",
    "FSM": "Micronesia",
    "PSE": "Palestine",
    "VAT": "Vatican",
    "MAC": "Macao",
}


@cache
def country_name(iso3: str) -> str:
    """A short English name for an ISO3 code (common name where pycountry has one)."""
    import pycountry

    if iso3 in _SHORT_NAMES:
        return _SHORT_NAMES[iso3]
    c = pycountry.countries.get(alpha_3=iso3)
    if c is None:
        h = pycountry.historic_countries.get(alpha_3=iso3)
        if h is None:
            raise KeyError(iso3)
        return h.name
    return getattr(c, "common_name", None) or c.name


@cache
def _name_index() -> dict[str, str]:
    """Names (not two-letter codes: 'NA' is 'not available', not Namibia) to ISO3."""
    import pycountry

    index: dict[str, str] = {}
    for source in (pycountry.historic_countries, pycountry.countries):
        for c in source:
            for attr in ("name", "official_name", "common_name"):
                value = getattr(c, attr, None)
                if value:
                    index[_key(value)] = c.alpha_3
    return index


def _lookup_exact(name: str) -> str | None:
    return _name_index().get(_key(name))


def _resolve_plain(name: str) -> CountryRef | None:
    alias = _aliases().get(_key(name))
    if alias is not None:
        iso3, kind, members = alias
        display = country_name(iso3) if iso3 else _AGGREGATE_NAMES.get(kind, name.strip())
        return CountryRef(iso3, display, kind, members)
    iso3 = _lookup_exact(name)
    if iso3 is not None:
        return CountryRef(iso3, country_name(iso3), COUNTRY)
    return None


_AGGREGATE_NAMES = {WORLD: "World", OTHER: "Other countries"}
_FOOTNOTE_RE = re.compile(r"^(.*?\D)\s*(\d{1,2})$")
_DETAIL_PAREN_RE = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*(\d{0,2})$")
_DETAIL_COMMA_RE = re.compile(r"^([^,]+),\s*(.+)$")


@cache
def _resolve(name: str) -> CountryRef | None:
    text = re.sub(r"\s+", " ", name.replace("\u00a0", " ")).strip()
    if not text:
        return None
    ref = _resolve_plain(text)
    if ref is not None:
        return ref
    low = text.casefold()
    if low.startswith("world total") or low == "world":
        return CountryRef(None, "World", WORLD, detail=text)
    if low.startswith("other countries") or low.startswith("other "):
        return CountryRef(None, "Other countries", OTHER, detail=text)
    if m := _FOOTNOTE_RE.match(text):
        inner = _resolve(m.group(1))
        if inner is not None:
            return _with(inner, footnote=m.group(2))
    if text.endswith("e"):
        inner_ref = _resolve_plain(text[:-1])
        if inner_ref is not None:
            return _with(inner_ref, estimated=True)
    if m := _DETAIL_PAREN_RE.match(text):
        inner = _resolve(m.group(1))
        if inner is not None:
            return _with(inner, detail=m.group(2), footnote=m.group(3) or inner.footnote)
    if m := _DETAIL_COMMA_RE.match(text):
        inner = _resolve(m.group(1))
        if inner is not None:
            return _with(inner, detail=m.group(2))
    return None


def _with(ref: CountryRef, **changes: object) -> CountryRef:
    fields = {
        "iso3": ref.iso3,
        "name": ref.name,
        "kind": ref.kind,
        "members": ref.members,
        "detail": ref.detail,
        "footnote": ref.footnote,
        "estimated": ref.estimated,
    }
    for k, v in changes.items():
        if v:
            fields[k] = v
    return CountryRef(**fields)  # type: ignore[arg-type]


def resolve_country(
    name: str, *, file: str | Path = "<input>", row: int | None = None, field: str | None = None
) -> CountryRef:
    """Resolve a publisher's country name, or raise naming file, row and field."""
    ref = _resolve(str(name))
    if ref is None:
        raise UnmappedNameError(
            file,
            "unmapped country name",
            row=row,
            field=field,
            found=name,
            expected="a country in ISO 3166 or in critmin/vocab/country_aliases.csv",
        )
    return ref


def resolve_code(code: str, *, file: str | Path = "<input>", row: int | None = None, field: str | None = None) -> str:
    """Resolve a three-letter code that is ISO3 or a publisher's own (WGI ``ZAR``)."""
    import pycountry

    code = code.strip().upper()
    if code in code_aliases():
        return code_aliases()[code]
    if pycountry.countries.get(alpha_3=code) is not None:
        return code
    raise UnmappedNameError(
        file,
        "unmapped country code",
        row=row,
        field=field,
        found=code,
        expected="an ISO 3166 alpha-3 code or one in critmin/vocab/country_code_aliases.csv",
    )


def split_country_list(text: str) -> list[str]:
    """Split "China, Morocco, and Belgium" into names (USGS lists of import sources)."""
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", text.strip())
    return [p.strip() for p in parts if p.strip()]

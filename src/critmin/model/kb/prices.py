"""The base price of a market, in US dollars per tonne of the market's content basis, or a clear refusal.

Series (``specs.PriceChoice``): USGS MCS salient prices (the base year, latest vintage), the
World Bank Pink Sheet (annual mean of the base year's 12 monthly values) and USGS DS140
unit values (the base year, else the latest earlier year, labelled with its age). A
publisher's price on another basis is converted only by a stated stoichiometric factor;
a price on a different product (NdPr oxide for a mixed-REO market) is refused with
:class:`~critmin.model.kb.inputs.KBBasisError`.
"""

from __future__ import annotations

import re

import pandas as pd

from .inputs import Figure, KBBasisError, KBDataError
from .specs import PRICE_MASS_KG, PriceChoice, Spec
from .tables import table

TROY_OUNCE_KG = 0.0311034768
_PINK_UNITS = {"$/mt": 1e-3, "$/troy oz": 1 / TROY_OUNCE_KG}  # USD per kg for a price of 1
_MASS = {"kilogram": 1.0, "pound": 0.45359237, "metric ton": 1e3, "short ton": 907.18474, "ton": 1e3,
         "troy ounce": TROY_OUNCE_KG, "gram": 1e-3}
_PRICE_RE = re.compile(r"^(dollars|cents) per (kilogram|pound|metric ton|short ton|troy ounce|gram|ton)$")


def usd_per_kg(unit: str, where: str) -> float:
    """US dollars per kilogram for a published price of 1 in ``unit``."""
    key = str(unit).strip().lower()
    if key in PRICE_MASS_KG:
        return 1.0 / PRICE_MASS_KG[key]
    m = _PRICE_RE.match(key)
    if not m:
        raise KBDataError(f"{where}: price unit {unit!r} is not one the calibration converts")
    return (0.01 if m.group(1) == "cents" else 1.0) / _MASS[m.group(2)]


def choose(spec: Spec, series: str | None) -> tuple[PriceChoice, list[str]]:
    """The default price choice of ``spec`` or the one whose ``match`` contains ``series``; the alternatives."""
    labels = [c.match for c in spec.prices]
    if series is None:
        return spec.prices[0], labels[1:]
    hits = [c for c in spec.prices if series.lower() in c.match.lower()]
    if len(hits) != 1:
        raise KBDataError(f"{spec.mineral} {spec.stage}: price series {series!r} matches {len(hits)} of the "
                          f"documented series {labels}")
    return hits[0], [x for x in labels if x != hits[0].match]


def base_price(spec: Spec, year: int, series: str | None = None) -> tuple[Figure, str, list[str]]:
    """``(price per t of spec.basis, series description, notes)``; refuses a price on another basis."""
    choice, alternatives = choose(spec, series)
    where = f"{spec.mineral} {spec.stage} price ({choice.source} {choice.match!r})"
    if choice.basis != spec.basis and choice.to_basis == 1.0:
        raise KBBasisError(f"{where}: the series is per tonne of {choice.basis}, the market's quantities are tonnes "
                           f"of {spec.basis}; quantity and price must be on the same basis (no conversion exists)")
    notes = []
    if choice.source == "salient":
        value, label, sid, unit = _salient(spec, choice, year, where)
    elif choice.source == "pinksheet":
        value, label, sid, unit = _pinksheet(choice, year, where)
    elif choice.source == "ds140":
        value, label, sid, unit, got = _ds140(choice, year, where)
        if got != year:
            notes.append(f"ASSUMPTION: the price is the {got} value ({year - got} years before the base year), the "
                         "latest published on this basis")
    else:
        raise KBDataError(f"{where}: unknown price source")
    per_t = value * usd_per_kg(choice.unit or unit, where) * 1000.0 * choice.to_basis
    text = f"{label}: {value:,.6g} {choice.unit or unit}"
    if choice.to_basis != 1.0:
        text += f", converted to USD per t {spec.basis} ({choice.conversion})"
    notes.insert(0, f"price: {text} = {per_t:,.6g} USD/t {spec.basis}" + (f"; {choice.note}" if choice.note else ""))
    if alternatives:
        notes.append(f"price series: default {choice.match!r}; alternatives published: {alternatives} "
                     "(price_series= chooses)")
    if choice.stage != spec.stage:
        notes.append(f"ASSUMPTION: the {spec.stage} stage is priced at a {choice.stage}-stage price per tonne of "
                     f"{spec.basis} content (payable discounts and treatment charges are not in the data)")
    return Figure.point(per_t, "USD/t", spec.basis, (sid,), text), label, notes


def _salient(spec: Spec, choice: PriceChoice, year: int, where: str):
    s = table("salient")
    rows = s[(s["commodity_id"] == spec.kb_id) & (s["statistic"] == "price") & (s["year"] == year)]
    if "salient_form" in spec.extra:
        rows = rows[rows["form"] == spec.extra["salient_form"]]
    if rows.empty:
        raise KBDataError(f"{where}: no salient price in {year}")
    rows = rows[rows["vintage"] == rows["vintage"].max()]
    hit = rows[rows["detail"].str.contains(choice.match, regex=False, na=False)]
    if len(hit) != 1:
        raise KBDataError(f"{where}: {len(hit)} salient price rows match in {year}; published: "
                          f"{sorted(rows['detail'].unique())}")
    r = hit.iloc[0]
    if r["qualifier"] not in ("exact", "estimated", "revised") or pd.isna(r["value"]):
        raise KBDataError(f"{where}: the {year} price is {r['raw']!r} ({r['qualifier']})")
    return float(r["value"]), f"USGS MCS {int(r['vintage'])} salient, {r['detail']} ({year})", str(r["source_id"]), \
        str(r["unit"])


def _pinksheet(choice: PriceChoice, year: int, where: str):
    p = table("prices")
    rows = p[(p["series_id"] == choice.match) & (p["year"] == year)]
    rows = rows[rows["qualifier"].isin(("exact", "estimated", "revised")) & rows["value"].notna()]
    if len(rows) != 12:
        raise KBDataError(f"{where}: {len(rows)} monthly values in {year}, need 12")
    unit = str(rows["unit"].iloc[0])
    if unit not in _PINK_UNITS:
        raise KBDataError(f"{where}: unit {unit!r} not converted")
    value = float(rows["value"].mean())
    return value * _PINK_UNITS[unit], f"World Bank Pink Sheet {rows['series_label'].iloc[0]}, mean of {year}", \
        str(rows["source_id"].iloc[0]), "dollars per kilogram"


def _ds140(choice: PriceChoice, year: int, where: str):
    p = table("prices")
    rows = p[(p["series_id"] == choice.match) & (p["year"] <= year) & p["value"].notna()]
    if rows.empty:
        raise KBDataError(f"{where}: no DS140 value up to {year}")
    r = rows.sort_values("year").iloc[-1]
    return float(r["value"]), f"USGS DS140 {r['series_label']} ({int(r['year'])})", str(r["source_id"]), \
        "dollars per metric ton", int(r["year"])


def ds140_series(series_id: str) -> pd.Series:
    """A DS140 annual series by year (for the history replays)."""
    p = table("prices")
    rows = p[(p["series_id"] == series_id) & p["value"].notna()]
    return rows.set_index("year")["value"].sort_index()

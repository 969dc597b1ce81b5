"""Scenario comparisons on one basis: plain labels, units, and quantities and prices in one mass unit.

A scenario's headline numbers (:meth:`critmin.model.results.Result.summary`) are in its own
market's units: the gallium model market counts kilograms and USD/kg, the rare-earth market
tonnes and USD/t, a knowledge-base market what its source publishes. Set side by side as they
are, a reader compares 17,000 kg with 9,000 t. :func:`comparison_table` states every metric in
words with its unit and converts

* quantities to ``basis`` (tonnes by default): ``q * t(unit) / t(basis)``;
* prices to ``<currency>/<basis>``: ``p * t(basis) / t(unit)``;

with the mass-unit factors of :mod:`critmin.model.chain.units` (the same table the chain engine
uses). Money (welfare, fiscal cost, revenue), percentages and the 0-1 concentration index need no
conversion. Only the **mass unit** changes: a tonne of gallium metal and a tonne of rare-earth
oxide stay different materials, so every column keeps its market (mineral, stage, basis) next
to it, and a price in another currency is not converted (no exchange rate is assumed: the value
is withheld with a note, never guessed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from critmin.model.chain.units import UnitError, convert_price, convert_quantity, split_price_unit, tonnes_per_unit

#: Summary metrics: key (without the focus region's prefix) -> (label, kind). ``{focus}`` is the region.
METRICS: dict[str, tuple[str, str]] = {
    "consumer_price": ("{focus} consumer price", "price"),
    "consumer_price_change_pct": ("{focus} consumer price change vs baseline", "percent"),
    "producer_price": ("{focus} producer price", "price"),
    "production": ("{focus} production", "quantity"),
    "production_change": ("{focus} production change vs baseline", "quantity"),
    "imports": ("{focus} imports", "quantity"),
    "net_import_reliance_pct": ("{focus} net import reliance", "percent"),
    "import_hhi": ("{focus} import concentration (HHI, 0 to 1)", "index"),
    "welfare_change": ("{focus} welfare change vs baseline", "money"),
    "fiscal_cost": ("{focus} fiscal cost", "money"),
    "tariff_and_levy_revenue_change": ("{focus} tariff and levy revenue change", "money"),
    "world_avg_producer_price": ("World average producer price", "price"),
    "world_production": ("World production", "quantity"),
    "world_welfare_change": ("World welfare change vs baseline", "money"),
}
#: Chain-engine summary figures (per mineral, over the horizon; each comes as ``_low``/``_high``):
#: key without the focus prefix and the range suffix -> (label, kind).
CHAIN_METRICS: dict[str, tuple[str, str]] = {
    "use_price_change_pct_first_year": ("{focus} price paid by users, change in the first year", "percent"),
    "use_price_change_pct_max": ("{focus} price paid by users, largest change in any year", "percent"),
    "imports_change_total": ("{focus} imports, change summed over the horizon", "quantity_total"),
    "production_change_total": ("{focus} production, change summed over the horizon", "quantity_total"),
    "fiscal_cost_total": ("Fiscal cost, summed over the horizon", "money_total"),
    "fiscal_cost_discounted": ("Fiscal cost, present value", "money_discounted"),
    "focus_fiscal_cost_discounted": ("{focus} fiscal cost, present value", "money_discounted"),
    "consumer_surplus_change_discounted": ("{focus} consumer surplus change, present value", "money_discounted"),
    "producer_surplus_change_discounted": ("{focus} producer surplus change, present value", "money_discounted"),
    "total_change_discounted": ("{focus} welfare change, present value", "money_discounted"),
}
#: Summary entries that describe the solve rather than measure the market.
SOLVE_FIELDS = ("status", "message", "iterations")


@dataclass(frozen=True)
class Column:
    """One solved scenario (or stored run) to compare: its headline numbers and its market's units."""

    label: str
    summary: dict[str, Any]
    unit: str | None
    price_unit: str | None
    mineral: str | None = None
    stage: str | None = None
    focus: str | None = None
    notes: list[str] = field(default_factory=list)
    #: a chain-engine scenario's summary rows (one per mineral, figures as ``_low``/``_high``)
    chain: list[dict[str, Any]] | None = None


def describe(metric: str, focus: str | None) -> tuple[str, str] | None:
    """``(label, kind)`` of a summary key such as ``USA_imports``; None for a key not in :data:`METRICS`."""
    if metric in METRICS and metric.startswith("world_"):
        return METRICS[metric]
    if focus and metric.startswith(f"{focus}_"):
        rest = metric[len(focus) + 1:]
        if rest in METRICS and not rest.startswith("world_"):
            label, kind = METRICS[rest]
            return label.format(focus=focus), kind
    return None


def _focus_of(summary: dict[str, Any]) -> str | None:
    """The focus region of a summary: the prefix of its first region metric (``USA_imports`` -> ``USA``)."""
    suffixes = sorted((k for k in METRICS if not k.startswith("world_")), key=len, reverse=True)
    for key in summary:
        if key.startswith("world_"):
            continue
        for suffix in suffixes:
            if key.endswith("_" + suffix) and len(key) > len(suffix) + 1:
                return key[: -len(suffix) - 1]
    return None


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def unit_of(kind: str, basis: str, currency: str) -> str:
    """The unit a metric of ``kind`` is shown in on the comparison's basis."""
    return {"quantity": f"{basis} per year", "price": f"{currency}/{basis}", "money": f"{currency} per year",
            "percent": "%", "index": "0 to 1", "quantity_total": f"{basis} over the horizon",
            "money_total": f"{currency} over the horizon", "money_discounted": f"{currency}, present value"}[kind]


def _convert(value: Any, kind: str, col: Column, basis: str, currency: str) -> tuple[float | None, str | None]:
    """``value`` on the basis, or ``(None, reason)`` when it cannot be converted."""
    if value is None or not _finite(value):
        return None, None
    if kind in ("percent", "index"):
        return float(value), None
    try:
        if kind in ("quantity", "quantity_total"):
            if not col.unit:
                return None, f"{col.label}: the market states no quantity unit"
            return float(convert_quantity(value, col.unit, basis)), None
        cur, _ = split_price_unit(col.price_unit or "")
        if cur != currency:
            return None, f"{col.label}: money in {cur}, not {currency} (no exchange rate is assumed)"
        if kind == "price":
            return float(convert_price(value, col.price_unit, f"{currency}/{basis}")), None
        return float(value), None  # money: currency per year, independent of the mass unit
    except UnitError as exc:
        return None, f"{col.label}: {exc}"


def describe_chain(key: str, focus: str | None) -> tuple[str, str] | None:
    """``(label, kind)`` of a chain summary figure (without ``_low``/``_high``), e.g. ``USA_imports_change_total``."""
    if key in CHAIN_METRICS:
        return CHAIN_METRICS[key][0].format(focus=focus or "focus region"), CHAIN_METRICS[key][1]
    if focus and key.startswith(f"{focus}_"):
        rest = key[len(focus) + 1:]
        if rest == "fiscal_cost_discounted":
            rest = "focus_fiscal_cost_discounted"
        if rest in CHAIN_METRICS:
            label, kind = CHAIN_METRICS[rest]
            return label.format(focus=focus), kind
    return None


def _chain_rows(columns: list[Column], basis: str, currency: str, notes: list[str]) -> list[dict[str, Any]]:
    """Rows ``<mineral>: <figure>`` of the chain columns; a value is a number, or ``{"low", "high"}``
    when the market's bounded inputs give a range. A chain figure's basis (``Ga``, ``NdPr oxide``)
    goes into its unit, so tonnes of different materials are never one row."""
    out: dict[str, dict[str, Any]] = {}
    for c in columns:
        for srow in c.chain or []:
            mineral = srow.get("mineral")
            unit_col = Column(label=c.label, summary={}, unit=srow.get("unit"), price_unit=srow.get("price_unit"))
            for key in srow:
                if not key.endswith("_low"):
                    continue
                name = key[:-4]
                d = describe_chain(name, c.focus)
                if d is None:
                    continue
                label, kind = d
                metric = f"{mineral}.{name}"
                unit = unit_of(kind, basis, currency)
                if kind == "quantity_total" and srow.get("basis"):
                    unit = f"{basis} of {srow['basis']} over the horizon"
                row = out.setdefault(metric, {"metric": metric, "label": f"{mineral}: {label}", "unit": unit})
                low, why = _convert(srow.get(key), kind, unit_col, basis, currency)
                high, _ = _convert(srow.get(f"{name}_high"), kind, unit_col, basis, currency)
                row[c.label] = low if low is None or high is None or low == high else {"low": low, "high": high}
                if why and why not in notes:
                    notes.append(why)
    rows = list(out.values())
    for row in rows:
        for c in columns:
            row.setdefault(c.label, None)
    return rows


def comparison_table(columns: list[Column], basis: str = "t") -> dict[str, Any]:
    """Headline numbers of several scenarios side by side, every row in words with one unit.

    Parameters
    ----------
    columns
        The scenarios, in order; labels must be unique.
    basis
        The mass unit quantities and prices are stated in (``"t"``, ``"kg"``, ``"kt"``, ...).

    Returns
    -------
    dict
        ``columns`` (labels), ``markets`` (per column: mineral, stage, original units, status and
        message), ``basis`` (the mass unit and currency), ``rows`` (``metric`` key, ``label``,
        ``unit`` and one value per column label; None where a column has no such figure, because it
        did not solve or measures another focus region) and ``notes`` (every value that could not
        be converted, and why). Rows follow :data:`METRICS`' order.
    """
    tonnes_per_unit(basis)  # UnitError for an unknown basis
    currencies = []
    for c in columns:
        try:
            currencies.append(split_price_unit(c.price_unit or "")[0])
        except UnitError:
            pass
    currency = max(set(currencies), key=currencies.count) if currencies else "USD"
    notes: list[str] = []
    described: dict[str, tuple[str, str]] = {}
    order: list[str] = []
    for c in columns:
        focus = c.focus or _focus_of(c.summary)
        for key in c.summary:
            if key in SOLVE_FIELDS or key in described:
                continue
            d = describe(key, focus)
            if d is None:
                continue
            described[key] = d
            order.append(key)
    rank = {k: i for i, k in enumerate(METRICS)}

    def sort_key(key: str) -> tuple[int, str]:
        base = key if key.startswith("world_") else key.split("_", 1)[1]
        return (rank.get(base, len(rank)), key)

    rows = []
    for key in sorted(order, key=sort_key):
        label, kind = described[key]
        row: dict[str, Any] = {"metric": key, "label": label, "unit": unit_of(kind, basis, currency)}
        for c in columns:
            value, why = _convert(c.summary.get(key), kind, c, basis, currency)
            row[c.label] = value
            if why and why not in notes:
                notes.append(why)
        rows.append(row)
    rows.extend(_chain_rows(columns, basis, currency, notes))
    markets = [{"label": c.label, "mineral": c.mineral, "stage": c.stage, "unit": c.unit, "price_unit": c.price_unit,
                "status": c.summary.get("status", "unknown"), "message": c.summary.get("message") or "",
                "notes": list(c.notes)} for c in columns]
    return {"columns": [c.label for c in columns], "markets": markets, "basis": {"unit": basis, "currency": currency},
            "rows": rows, "notes": notes}

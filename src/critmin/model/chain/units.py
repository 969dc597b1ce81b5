"""Units and bases of chain markets, and the conversions a comparison across markets may make.

Every stage of a :class:`~critmin.model.chain.market.ChainMarket` states three things:

``basis``
    What a tonne is a tonne *of* (``"Ga"``, ``"REO"``, ``"NdPr oxide"``, ``"gross weight"``).
``unit``
    The mass unit of its quantities (``"t"``, ``"kg"``).
``price_unit``
    ``"<currency>/<mass unit>"``, per unit of the same basis (``"USD/t"``).

Quantities times prices are money in the currency, per year, only when the price's mass unit is
the quantity's unit (:func:`check_stage_units`). Conversions here change **mass units only**
(kilograms to tonnes, USD/kg to USD/t); a change of basis (lithium content to lithium carbonate,
REO to NdPr oxide) needs a stoichiometric or content factor with a source and is never done
silently: :func:`convert_quantity` and :func:`convert_price` take no basis and :func:`same_basis`
says whether two stages can be compared at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .market import ChainError, ChainMarket, Stage

#: Tonnes per mass unit (the international avoirdupois pound is 0.45359237 kg exactly).
TONNES_PER_UNIT: dict[str, float] = {"t": 1.0, "kt": 1e3, "Mt": 1e6, "kg": 1e-3, "g": 1e-6, "lb": 0.45359237e-3}


class UnitError(ChainError):
    """A unit that is not a known mass unit, or a price whose mass unit is not the quantity's."""


def tonnes_per_unit(unit: str) -> float:
    """Tonnes in one ``unit`` (``"kg"`` -> 0.001); :class:`UnitError` for an unknown unit."""
    try:
        return TONNES_PER_UNIT[str(unit).strip()]
    except KeyError:
        raise UnitError(f"unknown mass unit {unit!r}; known: {sorted(TONNES_PER_UNIT)}") from None


def split_price_unit(price_unit: str) -> tuple[str, str]:
    """``"USD/kg"`` -> ``("USD", "kg")``; :class:`UnitError` unless it is ``<currency>/<known mass unit>``."""
    currency, sep, mass = str(price_unit).partition("/")
    if not sep or not currency.strip():
        raise UnitError(f"price unit {price_unit!r} is not <currency>/<mass unit> (e.g. USD/t)")
    tonnes_per_unit(mass)
    return currency.strip(), mass.strip()


def convert_quantity(values, from_unit: str, to_unit: str):
    """Quantities in ``from_unit`` expressed in ``to_unit`` (same basis): ``q * t(from) / t(to)``."""
    return np.asarray(values, dtype=float) * (tonnes_per_unit(from_unit) / tonnes_per_unit(to_unit))


def convert_price(values, from_price_unit: str, to_price_unit: str):
    """Prices in ``from_price_unit`` expressed in ``to_price_unit`` (same currency and basis).

    ``USD/kg`` to ``USD/t`` multiplies by 1,000: a price per mass unit scales with the inverse of
    the unit's size, ``p * t(to) / t(from)``.
    """
    cur_a, mass_a = split_price_unit(from_price_unit)
    cur_b, mass_b = split_price_unit(to_price_unit)
    if cur_a != cur_b:
        raise UnitError(f"cannot convert {from_price_unit} to {to_price_unit}: different currencies (no exchange "
                        "rate is assumed)")
    return np.asarray(values, dtype=float) * (tonnes_per_unit(mass_b) / tonnes_per_unit(mass_a))


def check_stage_units(stage: Stage) -> str:
    """The stage's currency, after checking that its price is per unit of its quantity.

    Raises :class:`UnitError` naming the stage when the mass units differ (a market in tonnes priced
    per kilogram would make every money figure 1,000 times off).
    """
    currency, mass = split_price_unit(stage.price_unit)
    tonnes_per_unit(stage.unit)
    if mass != stage.unit.strip():
        raise UnitError(f"stage {stage.name}: quantities are in {stage.unit} but prices in {stage.price_unit}; state "
                        f"the price per {stage.unit} (convert_price) so that price x quantity is money")
    return currency


def market_currency(market: ChainMarket) -> str:
    """The one currency of a market's money figures (every stage checked)."""
    currencies = {check_stage_units(st) for st in market.stages}
    if len(currencies) != 1:
        raise UnitError(f"{market.mineral}: stages priced in several currencies {sorted(currencies)}")
    return currencies.pop()


def same_basis(a: Stage, b: Stage) -> bool:
    """Whether two stages' tonnes are tonnes of the same thing (same basis text), so they may be compared."""
    return a.basis.strip().lower() == b.basis.strip().lower()


def stage_units(market: ChainMarket) -> pd.DataFrame:
    """One row per stage: basis, quantity unit, price unit, currency, money unit and the factors to t and USD/t.

    ``to_tonnes`` multiplies a quantity into tonnes of the basis; ``to_per_tonne`` multiplies a price
    into currency per tonne of the basis (what a comparison across markets uses).
    """
    rows = []
    for st in market.stages:
        currency = check_stage_units(st)
        rows.append({"mineral": market.mineral, "stage": st.name, "basis": st.basis, "unit": st.unit,
                     "price_unit": st.price_unit, "currency": currency, "money_unit": f"{currency} per year",
                     "to_tonnes": tonnes_per_unit(st.unit),
                     "to_per_tonne": float(convert_price(1.0, st.price_unit, f"{currency}/t"))})
    return pd.DataFrame(rows)


__all__ = ["TONNES_PER_UNIT", "UnitError", "check_stage_units", "convert_price", "convert_quantity",
           "market_currency", "same_basis", "split_price_unit", "stage_units", "tonnes_per_unit"]

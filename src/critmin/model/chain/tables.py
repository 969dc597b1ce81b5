"""Build a :class:`~critmin.model.chain.market.ChainMarket` from tidy tables.

This is the seam a calibration module (knowledge base, world trade and
production data) targets: it produces long tables by country, on one stated
content basis per stage, and this function groups countries into model
regions, derives domestic sales and checks every balance.

Tables (pandas DataFrames, one row per observation; extra columns ignored)
--------------------------------------------------------------------------
``production``: ``stage, country, quantity``
    Output by country at each stage, in the stage's unit and basis.
``trade``: ``stage, exporter, importer, quantity``
    Bilateral shipments between different countries (the importer's
    receipts; exporter == importer rows are an error). Shipments between
    countries of the same region are internal to it and become domestic sales.
``prices``: ``stage, price`` or ``stage, country, price``
    Base producer price (one world price, or by producing country; a region's
    price is the output-weighted mean of its countries').
``consumption`` (optional): ``stage, country, quantity``
    Apparent consumption by country. When given, each region's implied use
    (production - exports + imports) must match it within ``tolerance``
    (relative), otherwise the error names the stage, the region and both
    figures; it is a check, not an input, because flows define the market.

Parameters ``stages`` (ordered names with ``basis``, ``unit``, ``price_unit``
and, for every stage but the first, ``input_coefficient``: a number or a
``{region: value}`` mapping) and ``regions`` (model region names, each a
country code or ``(name, [countries])``; a region named ``ROW`` takes every
country not listed) complete the definition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Union

import numpy as np
import pandas as pd

from .market import ChainError, ChainMarket, Stage

RegionSpec = Union[str, tuple[str, Sequence[str]]]


def region_map(regions: Sequence[RegionSpec], countries: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Region names and ``{country: region}`` for every country seen in the tables.

    A country that belongs to no region and finds no ``ROW`` is an error naming it.
    """
    names: list[str] = []
    mapping: dict[str, str] = {}
    for spec in regions:
        if isinstance(spec, str):
            name, members = spec, ([] if spec == "ROW" else [spec])
        else:
            name, members = spec[0], list(spec[1])
        if name in names:
            raise ChainError(f"regions: {name!r} is listed twice")
        names.append(name)
        for c in members:
            if c in mapping:
                raise ChainError(f"regions: country {c!r} is in both {mapping[c]!r} and {name!r}")
            mapping[c] = name
    for c in countries:
        if c not in mapping:
            if "ROW" not in names:
                raise ChainError(f"country {c!r} is in the tables but in no region, and there is no ROW region")
            mapping[c] = "ROW"
    return names, mapping


def _need(df: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ChainError(f"{name}: missing column(s) {missing}; expected {list(columns)}")
    if df[list(columns)].isna().any().any():
        row = int(np.nonzero(df[list(columns)].isna().any(axis=1).to_numpy())[0][0])
        raise ChainError(f"{name}: row {row} has an empty value in {list(columns)} (a missing figure is never 0)")


def chain_from_tables(
    mineral: str,
    regions: Sequence[RegionSpec],
    stages: Sequence[Mapping[str, Any]],
    production: pd.DataFrame,
    trade: pd.DataFrame,
    prices: pd.DataFrame,
    consumption: pd.DataFrame | None = None,
    *,
    base_year: int,
    tolerance: float = 0.02,
    sources: Sequence[str] = (),
    assumptions: Sequence[str] = (),
    parameters: Mapping[str, Mapping[str, Any]] | None = None,
) -> ChainMarket:
    """Aggregate country tables into a :class:`ChainMarket` (see the module docstring).

    Parameters
    ----------
    parameters : mapping, optional
        ``{stage: {substitution: ..., demand_short: ..., growth: ..., trade_cost: ...}}``
        passed on to :class:`Stage` (numbers or ``{region: value}`` mappings);
        missing ones take the labelled defaults.

    Raises
    ------
    ChainError
        Naming the table, stage, region and figures: exports above production,
        a missing price for a producing region, use inconsistent with the
        consumption table, unknown stages.
    """
    _need(production, "production", ("stage", "country", "quantity"))
    _need(trade, "trade", ("stage", "exporter", "importer", "quantity"))
    has_country_price = "country" in prices.columns
    _need(prices, "prices", ("stage", "country", "price") if has_country_price else ("stage", "price"))
    if consumption is not None:
        _need(consumption, "consumption", ("stage", "country", "quantity"))
    stage_names = [str(s["name"]) for s in stages]
    for name, df in (("production", production), ("trade", trade), ("prices", prices)) + (
            (("consumption", consumption),) if consumption is not None else ()):
        unknown = sorted(set(df["stage"].astype(str)) - set(stage_names))
        if unknown:
            raise ChainError(f"{name}: unknown stage(s) {unknown}; the chain has {stage_names}")
    if (trade["exporter"] == trade["importer"]).any():
        row = int(np.nonzero((trade["exporter"] == trade["importer"]).to_numpy())[0][0])
        raise ChainError(f"trade: row {row} ships from {trade['exporter'].iloc[row]} to itself; domestic sales are "
                         "production less exports, not a trade row")
    for name, df, col in (("production", production, "quantity"), ("trade", trade, "quantity")):
        if (df[col] < 0).any():
            row = int(np.nonzero((df[col] < 0).to_numpy())[0][0])
            raise ChainError(f"{name}: row {row} has a negative quantity {df[col].iloc[row]}")
    countries = sorted(set(production["country"]) | set(trade["exporter"]) | set(trade["importer"])
                       | (set(consumption["country"]) if consumption is not None else set())
                       | (set(prices["country"]) if has_country_price else set()))
    names, where = region_map(regions, countries)
    n = len(names)
    index = {r: i for i, r in enumerate(names)}
    params = dict(parameters or {})
    built: list[Stage] = []
    for spec in stages:
        stage = str(spec["name"])
        prod = production[production["stage"].astype(str) == stage]
        q = np.zeros(n)
        np.add.at(q, [index[where[c]] for c in prod["country"]], prod["quantity"].to_numpy(float))
        tr = trade[trade["stage"].astype(str) == stage]
        flows = np.zeros((n, n))
        np.add.at(flows, ([index[where[c]] for c in tr["exporter"]], [index[where[c]] for c in tr["importer"]]),
                  tr["quantity"].to_numpy(float))
        internal = np.diag(flows).copy()  # trade between countries of one region: domestic sales of the region
        np.fill_diagonal(flows, 0.0)
        exports = flows.sum(axis=1)
        domestic = q - exports
        for r in np.nonzero(domestic < -tolerance * np.maximum(q, 1e-300))[0]:
            raise ChainError(f"stage {stage}: {names[r]} exports {exports[r]:g} but produces {q[r]:g} (trade above "
                             "production: re-exports or a different basis); fix the tables or the regions")
        np.fill_diagonal(flows, np.maximum(domestic, 0.0))
        del internal  # counted inside production already
        if consumption is not None:
            cons = consumption[consumption["stage"].astype(str) == stage]
            c = np.zeros(n)
            np.add.at(c, [index[where[x]] for x in cons["country"]], cons["quantity"].to_numpy(float))
            implied = flows.sum(axis=0)
            listed = np.zeros(n, bool)
            listed[[index[where[x]] for x in cons["country"]]] = True
            gap = np.abs(implied - c) > tolerance * np.maximum(np.maximum(implied, c), 1e-300)
            for r in np.nonzero(listed & gap)[0]:
                raise ChainError(f"stage {stage}: {names[r]} consumes {c[r]:g} by the consumption table but "
                                 f"production - exports + imports = {implied[r]:g} (tolerance {tolerance:.0%})")
        pr = prices[prices["stage"].astype(str) == stage]
        if has_country_price:
            p = np.full(n, np.nan)
            for r in range(n):
                members = [x for x in pr["country"] if where[x] == names[r]]
                rows = pr[pr["country"].isin(members)]
                if rows.empty:
                    continue
                weights = np.array([max(float(prod.loc[prod["country"] == x, "quantity"].sum()), 0.0)
                                    for x in rows["country"]])
                values = rows["price"].to_numpy(float)
                p[r] = float(np.average(values, weights=weights)) if weights.sum() > 0 else float(values.mean())
            for r in np.nonzero((q > 0) & np.isnan(p))[0]:
                raise ChainError(f"prices: stage {stage}: no price for {names[r]}, which produces {q[r]:g}")
            p = np.where(np.isnan(p), np.nanmean(p), p)
        else:
            if len(pr) != 1:
                raise ChainError(f"prices: stage {stage} needs exactly one world price row, found {len(pr)}")
            p = np.full(n, float(pr["price"].iloc[0]))
        extra = dict(params.get(stage, {}))
        for key, value in list(extra.items()):
            if isinstance(value, Mapping):
                bad = set(value) - set(names) - {"default"}
                if bad:
                    raise ChainError(f"parameters.{stage}.{key}: unknown region(s) {sorted(bad)}")
                base = float(value.get("default", np.nan))
                extra[key] = np.array([float(value.get(r, base)) for r in names])
                if np.isnan(extra[key]).any():
                    raise ChainError(f"parameters.{stage}.{key}: no value for "
                                     f"{[r for r, v in zip(names, extra[key]) if np.isnan(v)]} and no default")
        coef = spec.get("input_coefficient")
        if isinstance(coef, Mapping):
            coef = np.array([float(coef.get(r, coef.get("default", 0.0))) for r in names])
        built.append(Stage(name=stage, basis=str(spec["basis"]), flows=flows, prices=p, input_coefficient=coef,
                           unit=str(spec.get("unit", "t")), price_unit=str(spec.get("price_unit", "USD/t")),
                           sources=tuple(spec.get("sources", ())), assumptions=tuple(spec.get("assumptions", ())),
                           **extra))
    return ChainMarket(mineral=mineral, regions=tuple(names), stages=tuple(built), base_year=base_year,
                       sources=tuple(sources), assumptions=tuple(assumptions))

"""Build a :class:`~critmin.model.market.Market` from data.

Two entry points:

* :func:`calibrate` takes plain vectors (production, consumption, optional
  bilateral flow matrix).
* :func:`calibrate_from_tables` takes the tidy tables the knowledge base
  produces (production by country, consumption of some regions, import shares
  of one focus region such as the US), groups countries into model regions
  and fills the rest of the flow matrix under a documented assumption.

Every assumption made while filling gaps is returned in
``Market.assumptions`` and therefore printed with every result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Union

import numpy as np
import pandas as pd

from .elasticities import DEFAULT_ELASTICITIES, ELASTICITY_KINDS
from .market import Market, MarketError

ElasticityInput = Union[float, Mapping[str, float], None]
RegionSpec = Union[str, tuple[str, Sequence[str]]]

PROPORTIONAL_SOURCING = (
    "bilateral flows calibrated by proportional sourcing from the world export pool: "
    "each region first supplies its own consumption (domestic flow = min(production, "
    "consumption)); net importers buy from net exporters in proportion to each exporter's "
    "share of world net exports"
)


def proportional_sourcing(production: np.ndarray, consumption: np.ndarray) -> np.ndarray:
    r"""Fill a bilateral flow matrix from production and consumption only.

    .. math::

        X_{dd} = \min(Q_d, C_d), \quad e_o = Q_o - X_{oo}, \quad m_d = C_d - X_{dd},
        \quad X_{od} = m_d \, e_o / \textstyle\sum_k e_k \;(o \ne d)

    Parameters
    ----------
    production, consumption : array_like, shape (R,)
        Must have equal sums (the world market balances).

    Returns
    -------
    ndarray, shape (R, R)
        ``flows[origin, destination]``; row sums equal ``production`` and
        column sums equal ``consumption``.
    """
    q = np.asarray(production, float)
    c = np.asarray(consumption, float)
    if np.any(q < 0) or np.any(c < 0):
        raise MarketError("production and consumption must be >= 0")
    total = max(q.sum(), c.sum())
    if total <= 0 or abs(q.sum() - c.sum()) > 1e-9 * total:
        raise MarketError(
            f"world production ({q.sum():g}) and consumption ({c.sum():g}) must balance "
            "before proportional sourcing; choose a `balance` rule"
        )
    domestic = np.minimum(q, c)
    exports = q - domestic
    imports = c - domestic
    flows = np.diag(domestic)
    pool = exports.sum()
    if pool > 0:
        flows = flows + np.outer(exports / pool, imports)
    return flows


def resolve_elasticities(
    regions: Sequence[str], elasticities: Mapping[str, ElasticityInput] | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Per-region elasticity vectors and a note on where each value came from.

    ``elasticities`` maps a kind (``substitution``, ``demand``, ``supply``) to a
    number (all regions) or to ``{region: value, "default": value}``. Missing
    kinds or regions take :data:`~critmin.model.elasticities.DEFAULT_ELASTICITIES`.
    """
    elasticities = dict(elasticities or {})
    unknown = set(elasticities) - set(ELASTICITY_KINDS)
    if unknown:
        raise MarketError(f"unknown elasticity kind(s) {sorted(unknown)}; use {list(ELASTICITY_KINDS)}")
    out: dict[str, np.ndarray] = {}
    notes: list[str] = []
    for kind in ELASTICITY_KINDS:
        default = DEFAULT_ELASTICITIES[kind]
        spec = elasticities.get(kind)
        values = np.full(len(regions), default.value)
        user: dict[str, float] = {}
        if isinstance(spec, Mapping):
            bad = set(spec) - set(regions) - {"default"}
            if bad:
                raise MarketError(f"elasticities.{kind}: unknown region(s) {sorted(bad)}")
            if "default" in spec:
                values[:] = float(spec["default"])
                user = {r: float(spec["default"]) for r in regions}
            for region, value in spec.items():
                if region != "default":
                    values[list(regions).index(region)] = float(value)
                    user[region] = float(value)
        elif spec is not None:
            values[:] = float(spec)
            user = {r: float(spec) for r in regions}
        defaulted = [r for r in regions if r not in user]
        if defaulted:
            notes.append(f"{default.describe()}; used for {', '.join(defaulted)}")
        if user:
            shown = ", ".join(f"{r}={v:g}" for r, v in user.items())
            notes.append(f"{kind} elasticity supplied by the user ({shown}): a user assumption")
        out[kind] = values
    return out, notes


def _balance(production: np.ndarray, consumption: np.ndarray, regions: Sequence[str],
             balance: str) -> tuple[np.ndarray, list[str]]:
    q_total, c_total = production.sum(), consumption.sum()
    if abs(q_total - c_total) <= 1e-9 * max(q_total, c_total):
        return consumption, []
    if balance == "error":
        raise MarketError(
            f"world production {q_total:g} != world consumption {c_total:g}; pass "
            "balance='scale_consumption' or balance=<region> to close the gap"
        )
    if balance == "scale_consumption":
        factor = q_total / c_total
        return consumption * factor, [
            f"consumption of every region scaled by {factor:.6g} so that world consumption "
            "equals world production (stock changes ignored)"
        ]
    if balance not in regions:
        raise MarketError(f"balance={balance!r} is neither a rule nor a region of {list(regions)}")
    i = list(regions).index(balance)
    new = consumption.copy()
    new[i] += q_total - c_total
    if new[i] < 0:
        raise MarketError(f"closing the world balance on {balance} makes its consumption negative")
    return new, [f"consumption of {balance} set as the residual that balances world supply and demand"]


def calibrate(
    regions: Sequence[str],
    production: Sequence[float] | None = None,
    consumption: Sequence[float] | None = None,
    flows: np.ndarray | None = None,
    price: float | Sequence[float] = 1.0,
    elasticities: Mapping[str, ElasticityInput] | None = None,
    *,
    base_tariff: np.ndarray | None = None,
    base_export_tax: np.ndarray | None = None,
    balance: str = "error",
    mineral: str = "mineral",
    stage: str = "processing",
    unit: str = "t",
    price_unit: str = "USD/t",
    notes: Sequence[str] = (),
    flows_source: str = "bilateral flows taken from the user-supplied matrix",
) -> Market:
    """Calibrate a market from plain inputs.

    Parameters
    ----------
    regions : sequence of str
        Region names.
    production, consumption : sequence of float, optional
        Base quantities by region. Required when ``flows`` is not given; when
        both are given they must equal the row and column sums of ``flows``.
    flows : array_like (R, R), optional
        Observed bilateral quantities ``[origin, destination]`` including the
        domestic diagonal (e.g. from BACI or Comtrade plus production data).
        When absent, flows are filled by :func:`proportional_sourcing` and the
        result says so.
    price : float or sequence of float
        Base producer price (one published world price, or one per origin).
    elasticities : mapping, optional
        See :func:`resolve_elasticities`.
    base_tariff, base_export_tax : array_like (R, R), optional
        Ad valorem wedges at the base point (default zero).
    balance : {"error", "scale_consumption"} or region name
        What to do when world production and consumption differ.

    Returns
    -------
    Market
    """
    regions = [str(r) for r in regions]
    n = len(regions)
    assumptions: list[str] = list(notes)
    if flows is not None:
        x = np.asarray(flows, float)
        if x.shape != (n, n):
            raise MarketError(f"flows: expected shape {(n, n)}, got {x.shape}")
        for name, given, implied in (("production", production, x.sum(1)), ("consumption", consumption, x.sum(0))):
            if given is not None and not np.allclose(np.asarray(given, float), implied, rtol=1e-6, atol=1e-12):
                raise MarketError(f"{name} does not equal the {'row' if name == 'production' else 'column'} sums of flows")
        if flows_source:
            assumptions.append(flows_source)
    else:
        if production is None or consumption is None:
            raise MarketError("give either a flow matrix or both production and consumption")
        q = np.asarray(production, float)
        c = np.asarray(consumption, float)
        if q.shape != (n,) or c.shape != (n,):
            raise MarketError(f"production and consumption need {n} values, one per region")
        c, balance_notes = _balance(q, c, regions, balance)
        assumptions.extend(balance_notes)
        x = proportional_sourcing(q, c)
        assumptions.append(PROPORTIONAL_SOURCING)
    values, elasticity_notes = resolve_elasticities(regions, elasticities)
    assumptions.extend(elasticity_notes)
    prices = np.broadcast_to(np.asarray(price, float), (n,)).copy()
    zeros = np.zeros((n, n))
    return Market(
        regions=tuple(regions),
        flows=x,
        prices=prices,
        substitution=values["substitution"],
        demand=values["demand"],
        supply=values["supply"],
        base_tariff=zeros if base_tariff is None else np.asarray(base_tariff, float),
        base_export_tax=zeros if base_export_tax is None else np.asarray(base_export_tax, float),
        mineral=mineral,
        stage=stage,
        unit=unit,
        price_unit=price_unit,
        assumptions=tuple(assumptions),
    )


def _region_map(regions: Sequence[RegionSpec], rest_of_world: str) -> tuple[list[str], dict[str, str], str | None]:
    names: list[str] = []
    member_of: dict[str, str] = {}
    catch_all = None
    for spec in regions:
        if isinstance(spec, str):
            name, members = spec, [spec]
        else:
            name, members = spec[0], list(spec[1])
        names.append(name)
        if name == rest_of_world or "*" in members:
            catch_all = name
        for m in members:
            if m == "*":
                continue
            if m in member_of and member_of[m] != name:
                raise MarketError(f"country {m!r} is in two regions: {member_of[m]} and {name}")
            member_of[m] = name
    return names, member_of, catch_all


def _group(frame: pd.DataFrame, key: str, value: str, member_of: Mapping[str, str], catch_all: str | None,
           table: str) -> dict[str, float]:
    missing = {key, value} - set(frame.columns)
    if missing:
        raise MarketError(f"{table}: missing column(s) {sorted(missing)}; expected columns {key}, {value}")
    grouped: dict[str, float] = {}
    for row in frame.itertuples(index=False):
        name = str(getattr(row, key)).strip()
        amount = getattr(row, value)
        if amount is None or (isinstance(amount, float) and np.isnan(amount)):
            raise MarketError(f"{table}: {key}={name!r} has no numeric {value}; resolve it before calibrating")
        region = member_of.get(name, catch_all)
        if region is None:
            raise MarketError(f"{table}: {name!r} belongs to no model region and there is no rest-of-world region")
        grouped[region] = grouped.get(region, 0.0) + float(amount)
    return grouped


def calibrate_from_tables(
    production: pd.DataFrame,
    consumption: Mapping[str, float],
    import_shares: pd.DataFrame,
    price: float,
    regions: Sequence[RegionSpec],
    *,
    focus: str = "USA",
    rest_of_world: str = "ROW",
    elasticities: Mapping[str, ElasticityInput] | None = None,
    mineral: str = "mineral",
    stage: str = "processing",
    unit: str = "t",
    price_unit: str = "USD/t",
) -> Market:
    """Calibrate a market from tidy knowledge-base tables.

    Parameters
    ----------
    production : DataFrame
        Columns ``region`` (a country code or a model region name) and
        ``value`` (production in ``unit``). Countries are summed into model
        regions; countries not listed in ``regions`` go to the rest-of-world
        region. A missing value is an error, never a zero.
    consumption : dict
        ``{region: value}``; must contain ``focus``. Regions missing here get
        the rest of world consumption in proportion to their production left
        after serving the focus region (an assumption, stated in the output).
    import_shares : DataFrame
        Columns ``origin`` and ``share``: the focus region's import sources.
        Shares are fractions or percentages (detected when they sum to more
        than 1.5) and are normalised to one after grouping.
    price : float
        Base price, the same for every origin.
    regions : list
        Model regions: a name (a region of itself) or ``(name, [country, ...])``.
        The region named ``rest_of_world`` (or whose members contain ``"*"``)
        absorbs unlisted countries.
    focus : str
        The region whose import shares are given (default ``"USA"``).

    Returns
    -------
    Market

    Notes
    -----
    Construction of the flow matrix ``X[o, d]``:

    1. focus domestic flow ``X[f, f] = min(Q_f, C_f)``; focus imports
       ``M_f = C_f - X[f, f]`` split by the import shares, ``X[o, f] = s_o M_f``;
    2. supply left for other markets ``Q'_o = Q_o - X[o, f]`` (an error if
       negative: a region cannot ship more to the focus region than it makes);
    3. the other regions' flows by :func:`proportional_sourcing` on ``Q'`` and
       their consumption.
    """
    names, member_of, catch_all = _region_map(regions, rest_of_world)
    if focus not in names:
        raise MarketError(f"focus region {focus!r} is not among the model regions {names}")
    n = len(names)
    idx = {r: i for i, r in enumerate(names)}
    q_by = _group(production, "region", "value", member_of, catch_all, "production")
    q = np.array([q_by.get(r, 0.0) for r in names])
    if np.any(q < 0):
        raise MarketError("production: values must be >= 0")
    bad = set(consumption) - set(names)
    if bad:
        raise MarketError(f"consumption: unknown region(s) {sorted(bad)}; model regions are {names}")
    if focus not in consumption:
        raise MarketError(f"consumption must give the focus region {focus!r}")
    shares_by = _group(import_shares, "origin", "share", member_of, catch_all, "import_shares")
    shares_by.pop(focus, None)
    total_share = sum(shares_by.values())
    if total_share <= 0:
        raise MarketError("import_shares: shares sum to zero")
    notes = [f"base price {price:g} {price_unit} applied to every origin (law of one price at the base)"]
    if total_share > 1.5:
        notes.append("import shares read as percentages")
    if abs(total_share - (100.0 if total_share > 1.5 else 1.0)) > 1e-6 * total_share:
        notes.append(f"{focus} import shares summed to {total_share:g} after grouping and were normalised")
    shares = np.array([shares_by.get(r, 0.0) for r in names]) / total_share

    f = idx[focus]
    flows = np.zeros((n, n))
    c_focus = float(consumption[focus])
    flows[f, f] = min(q[f], c_focus)
    flows[:, f] += shares * (c_focus - flows[f, f])
    left = q - flows[:, f]
    if np.any(left < -1e-9 * max(q.max(), 1.0)):
        worst = names[int(np.argmin(left))]
        raise MarketError(
            f"{focus} imports from {worst} exceed its production; group it into another region "
            "or supply a bilateral flow matrix"
        )
    left = np.maximum(left, 0.0)
    c_other = np.zeros(n)
    known = [r for r in names if r != focus and r in consumption]
    missing = [r for r in names if r != focus and r not in consumption]
    for r in known:
        c_other[idx[r]] = float(consumption[r])
    residual = left.sum() - c_other.sum()
    if missing:
        if residual < 0:
            raise MarketError("the consumption given exceeds world production; nothing is left for the other regions")
        weights = np.array([left[idx[r]] for r in missing])
        if weights.sum() <= 0:
            weights = np.ones(len(missing))
        for r, w in zip(missing, weights / weights.sum()):
            c_other[idx[r]] = residual * w
        notes.append(
            f"consumption of {', '.join(missing)} not in the data: world production not consumed by the "
            "regions with data is allocated to them in proportion to their remaining production"
        )
    c_other, balance_notes = _balance(left, c_other, names, "scale_consumption" if not missing else "error")
    notes.extend(balance_notes)
    flows += proportional_sourcing(left, c_other)
    notes.append(f"{focus} imports split by the published {focus} import shares")
    notes.append(PROPORTIONAL_SOURCING + f" (for flows not involving {focus} imports)")
    return calibrate(
        names,
        flows=flows,
        price=price,
        elasticities=elasticities,
        mineral=mineral,
        stage=stage,
        unit=unit,
        price_unit=price_unit,
        notes=notes,
        flows_source="",
    )

r"""Calibrate a market of one mineral at one stage from the knowledge base.

:func:`calibrate_from_kb` builds a :class:`~critmin.model.market.Market` from the
normalised snapshot (USGS Mineral Commodity Summaries tables, read through
:mod:`critmin.api` and the query layer :mod:`critmin.kb`):

========================  ==================================================================
model input               where it comes from
========================  ==================================================================
production by region      ``production`` table (MCS world production by country, the
                          requested stage, year and vintage); countries grouped into
                          model regions, the rest of the world takes "Other countries"
                          and every unlisted country
US production             the US row of the same table (or the caller's labelled value)
US consumption            ``salient`` statistic ``consumption`` (the series chosen per
                          mineral and stage in :data:`KB_CHOICES`, or the only one
                          published, or the caller's ``consumption_detail``)
US imports by origin      ``import_shares`` (MCS 2026 import sources, percent by partner)
base price                ``salient`` statistic ``price`` (the series named in every output),
                          or USGS Data Series 140 unit value when asked for
bilateral flows           not in the MCS data: **proportional sourcing from the world export
                          pool, constrained so that US imports by origin match the published
                          import shares where the partner produces at this stage** (see
                          :func:`kb_flows`); or a user bilateral matrix (``flows``: a
                          ``bilateral_trade`` table, e.g. from ``critmin data load-trade``)
========================  ==================================================================

Rules that keep the data honest:

* A value is used only when the publisher gave a number (qualifier exact, estimated,
  revised or zero). A withheld (``W``) or missing US figure is never taken as 0: the call
  fails naming what is missing, unless the caller passes the value (``us_production=``,
  ``us_consumption=``, ``price=``), which is then listed as a *user assumption*.
* Another country's non-numeric production (withheld, bounded, not available) is absorbed
  into the rest of the world only where a numeric world total leaves a positive residual,
  and the output says so; otherwise the call fails.
* Units are converted between mass units (kilograms, metric tons, thousand and million
  metric tons) and price units (dollars or cents per kilogram, pound, metric ton, troy
  ounce, gram); anything else fails with the two units named.
* Every source series, every derived figure and every assumption is a line of
  ``Market.assumptions``, so it is printed with every result.

:func:`available_kb_markets` tries the calibration with its defaults for every mineral on
a critical-mineral list at each stage and reports, for each, the market or the reason it
cannot be calibrated (the web dashboard offers the ones that calibrate).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import CritminError

from .calibrate import RegionSpec, calibrate, proportional_sourcing
from .market import Market, MarketError

FOCUS = "USA"
REST = "ROW"
NUMERIC = ("exact", "estimated", "revised", "zero")


class KBCalibrationError(MarketError, CritminError):
    """A knowledge-base input the calibration needs is missing, withheld or inconsistent."""


@dataclass(frozen=True)
class KBChoice:
    """Which published US series stand for a mineral's market at one stage, and why.

    Attributes
    ----------
    consumption : str or None
        Text contained in the ``detail`` of the salient ``consumption`` row to use.
    consumption_less : tuple of str
        Salient ``production`` details subtracted from that consumption (supply that is
        outside this stage's market, e.g. secondary cobalt in a mine-stage market).
    consumption_proxy : str or None
        When no consumption is published for the stage: the salient ``production``
        detail taken as a proxy for it.
    price : str or None
        Text contained in the ``detail`` of the salient ``price`` row to use; None when
        no published price fits the stage (the caller must give one or ``price_source``).
    rationale : str
        One sentence printed with the results.
    """

    consumption: str | None
    price: str | None
    rationale: str
    consumption_less: tuple[str, ...] = ()
    consumption_proxy: str | None = None


#: Explicit series choices for minerals whose MCS chapter publishes several candidates.
#: Minerals not listed use the only published series, or fail asking the caller to choose.
KB_CHOICES: dict[tuple[str, str], KBChoice] = {
    ("gallium", "processing"): KBChoice(
        consumption="Consumption, reported",
        price="average unit value of imports",
        rationale="primary gallium is the processing stage; US reported consumption and the average unit "
                  "value of US gallium imports are the chapter's only consumption and price series",
    ),
    ("cobalt", "mine"): KBChoice(
        consumption="Apparent",
        consumption_less=("Production: Secondary",),
        price="London Metal Exchange",
        rationale="a mine-stage cobalt market in cobalt content: US apparent consumption (which includes "
                  "secondary cobalt) less US secondary production is the demand for mined cobalt; the LME "
                  "cash price is the world reference price of cobalt metal",
    ),
    ("rare-earths", "mine"): KBChoice(
        consumption=None,
        consumption_proxy="Production: Compounds and metals",
        price=None,
        rationale="MCS publishes no US consumption of rare-earth mineral concentrates; domestic separation "
                  "is their only domestic use, so US output of rare-earth compounds and metals (REO basis) "
                  "stands for it; MCS has no concentrate price (NdPr oxide and mischmetal are separated "
                  "products)",
    ),
}

_MASS_TO_KG = {
    "gram": 1e-3, "grams": 1e-3, "kilogram": 1.0, "kilograms": 1.0, "kg": 1.0,
    "metric ton": 1e3, "metric tons": 1e3, "t": 1e3, "thousand metric tons": 1e6, "kt": 1e6,
    "million metric tons": 1e9, "mt": 1e9,
}
_SHORT = {1e-3: "g", 1.0: "kg", 1e3: "t", 1e6: "kt", 1e9: "Mt"}
_PRICE_BASE_KG = {
    "kilogram": 1.0, "pound": 0.45359237, "metric ton": 1e3, "short ton": 907.18474,
    "troy ounce": 0.0311034768, "gram": 1e-3, "grams": 1e-3,
}
_PRICE_RE = re.compile(
    r"^(?:current u\.s\. )?(dollars|cents) per (?:(\d+)[- ]?)?(kilogram|pound|metric ton|short ton|troy ounce|grams?)$")


def mass_factor(unit: str, what: str) -> float:
    """Kilograms per ``unit`` (a published mass unit); fails naming ``what`` otherwise."""
    key = str(unit).strip().lower()
    if key not in _MASS_TO_KG:
        raise KBCalibrationError(
            f"{what}: unit {unit!r} is not a mass unit the calibration can convert "
            f"(known: {', '.join(sorted(k for k in _MASS_TO_KG if len(k) > 3))})")
    return _MASS_TO_KG[key]


def price_factor(unit: str, what: str) -> float:
    """US dollars per kilogram for a price of 1 in ``unit``; fails naming ``what`` otherwise."""
    m = _PRICE_RE.match(str(unit).strip().lower())
    if not m:
        raise KBCalibrationError(f"{what}: price unit {unit!r} cannot be converted to dollars per mass unit")
    money = 0.01 if m.group(1) == "cents" else 1.0
    per = float(m.group(2) or 1) * _PRICE_BASE_KG[m.group(3)]
    return money / per


def _numeric(row: pd.Series) -> bool:
    return row["qualifier"] in NUMERIC and pd.notna(row["value"])


def _describe(row: pd.Series) -> str:
    """The cell as published and its qualifier, e.g. ``W (withheld)``."""
    for key in ("raw", "display"):
        shown = row.get(key)
        if isinstance(shown, str) and shown:
            return f"{shown} ({row['qualifier']})"
    return str(row["qualifier"])


# --- reading the knowledge base ----------------------------------------------------------------

def _world_production(commodity: str, stage: str, year: int | None, vintage: int | None,
                      series_label: str | None) -> pd.DataFrame:
    from critmin import api

    try:
        df = api.production(commodity, stage=stage, year=year, vintage=vintage)
    except CritminError as exc:
        raise KBCalibrationError(f"world {stage} production: {exc}") from None
    labels = sorted(df["series_label"].dropna().unique())
    forms = sorted(df["form"].fillna("").unique())
    if series_label is not None:
        df = df[df["series_label"] == series_label]
        if df.empty:
            raise KBCalibrationError(f"series_label {series_label!r} not found; published: {labels}")
    elif len(labels) > 1:
        raise KBCalibrationError(
            f"{commodity} has several {stage}-stage production series {labels}; choose one with series_label=")
    if len(forms) > 1 and series_label is None:
        raise KBCalibrationError(f"{commodity} {stage} production is published for several forms {forms}; "
                                 "choose a series_label")
    return df.reset_index(drop=True)


def _salient(commodity: str, vintage: int, year: int, statistic: str) -> pd.DataFrame:
    from critmin import kb

    return kb.salient_rows(commodity, vintage, year, statistic)


def _pick(rows: pd.DataFrame, wanted: str | None, what: str, hint: str) -> pd.Series:
    """The one salient row whose detail contains ``wanted`` (or the only row)."""
    if rows.empty:
        raise KBCalibrationError(f"{what}: not published in the MCS salient statistics; {hint}")
    if wanted is not None:
        hit = rows[rows["detail"].str.contains(wanted, case=False, regex=False)]
        if len(hit) != 1:
            raise KBCalibrationError(
                f"{what}: {len(hit)} published series match {wanted!r}; published: {list(rows['detail'])}; {hint}")
        return hit.iloc[0]
    if len(rows) > 1:
        raise KBCalibrationError(f"{what}: several series are published {list(rows['detail'])}; {hint}")
    return rows.iloc[0]


def _import_shares(commodity: str) -> tuple[pd.DataFrame, str]:
    """US import shares (percent) by partner: the MCS chapter table, else the trends figure."""
    from critmin import kb

    df = kb.import_share_rows(commodity)
    if df.empty:
        return df, ""
    latest = df[df["vintage"] == df["vintage"].max()]
    for source in ("usgs_mcs2026", *sorted(set(latest["source_id"]))):
        part = latest[latest["source_id"] == source]
        if not part.empty:
            forms = part["form"].fillna("").unique()
            if len(forms) > 1:  # several forms published: keep the one with the most partners
                counts = part.groupby(part["form"].fillna("")).size()
                part = part[part["form"].fillna("") == counts.idxmax()]
            form = part["form"].fillna("").iloc[0]
            label = (f"{source} (MCS {int(part['vintage'].iloc[0])} import sources, {part['period'].iloc[0]}"
                     + (f", form {form!r}" if form else "") + ")")
            return part.reset_index(drop=True), label
    return latest.iloc[0:0], ""


def _processing_shares(commodity: str) -> tuple[dict[str, float], str]:
    """EU CRM 2023 global processing-stage supply shares (percent) by country, numeric ones only."""
    from critmin import kb

    df = kb.eu_processing_shares(commodity)
    if df.empty or df["material"].nunique() != 1:
        return {}, ""
    numeric = df[df["qualifier"].isin(NUMERIC) & df["value"].notna() & df["country_iso3"].notna()]
    left_out = df[~df.index.isin(numeric.index)]
    label = (f"the EU CRM 2023 study's global processing shares of {df['material'].iloc[0]} (where mined output is "
             "refined)")
    if len(left_out):
        label += f"; not numbers, left out: {', '.join(f'{r.country_name} {r.raw}' for r in left_out.itertuples())}"
    return dict(zip(numeric["country_iso3"], numeric["value"].astype(float))), label


def _read_trade(flows: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(flows, (str, Path)):
        path = Path(flows)
        if not path.exists():
            raise KBCalibrationError(f"flows: no such file {path}")
        try:
            flows = pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad input file
            raise KBCalibrationError(f"flows: cannot read {path}: {exc}") from None
    needed = {"exporter_iso3", "importer_iso3", "year", "quantity_t"}
    missing = needed - set(flows.columns)
    if missing:
        raise KBCalibrationError(f"flows: missing column(s) {sorted(missing)}; expected the bilateral_trade table "
                                 "(exporter_iso3, importer_iso3, year, quantity_t, ...)")
    return flows


# --- region selection and flow construction ----------------------------------------------------

def default_regions(production: pd.Series, shares: pd.Series, *, coverage: float = 0.9, max_producers: int = 6,
                    min_import_share: float = 10.0) -> list[str]:
    """The US, the top producers covering ``coverage`` of world output (at most ``max_producers``),
    the US import sources with at least ``min_import_share`` percent that produce at this stage,
    and the rest of the world (``ROW``)."""
    total = production.sum()
    ranked = production.drop(FOCUS, errors="ignore").sort_values(ascending=False)
    chosen: list[str] = []
    covered = production.get(FOCUS, 0.0)
    for country, q in ranked.items():
        if q <= 0 or len(chosen) >= max_producers or (total > 0 and covered >= coverage * total):
            break
        chosen.append(str(country))
        covered += q
    for partner, share in shares.sort_values(ascending=False).items():
        if share >= min_import_share and production.get(partner, 0.0) > 0 and partner not in chosen \
                and partner != FOCUS:
            chosen.append(str(partner))
    return [FOCUS, *chosen, REST]


def kb_flows(production: np.ndarray, regions: Sequence[str], focus_consumption: float,
             shares: Mapping[str, float], other_consumption: Mapping[str, float],
             residual_consumption: str | Mapping[str, float] = "ROW",
             residual_source: str = "") -> tuple[np.ndarray, list[str]]:
    r"""Bilateral flows from production, US consumption and US import shares.

    1. The US supplies itself first: :math:`X_{ff} = \min(Q_f, C_f)`; US imports
       :math:`M = C_f - X_{ff}`.
    2. Each import share :math:`s_o` (fractions of US imports, grouped by model region)
       asks for :math:`s_o M` from origin :math:`o`. A share of a partner without
       production at this stage (a refiner or trader of someone else's output; the
       model has no transshipment), of "other countries", or above the origin's whole
       output (capped there) is not an origin the data can pin down: it joins a *pool*.
    3. The pool is bought from every non-US origin in proportion to the output it has
       left (proportional sourcing from the world export pool).
    4. What every origin has left after serving the US is consumed by the other regions:
       given quantities where the caller supplied them, the rest by ``residual_consumption``
       (a region name such as ``"ROW"``: all there, the named producers are pure exporters;
       ``"production"``: in proportion to each region's remaining output; a mapping
       ``{region: weight}``: in proportion to the weights, e.g. processing shares, described
       by ``residual_source``), and flows among them follow proportional sourcing.

    Returns the flows and one note per step that changed a published number.
    """
    names = list(regions)
    n = len(names)
    idx = {r: i for i, r in enumerate(names)}
    f = idx[FOCUS]
    q = np.asarray(production, float)
    notes: list[str] = []
    flows = np.zeros((n, n))
    flows[f, f] = min(q[f], focus_consumption)
    imports = focus_consumption - flows[f, f]
    taken = np.zeros(n)
    pooled: list[str] = []
    if imports > 0 and shares:
        total_share = sum(shares.values())
        for name, share in sorted(shares.items(), key=lambda kv: -kv[1]):
            want = imports * share / total_share
            o = idx.get(name)
            if o is None or o == f or q[o] <= 0:
                pooled.append(f"{name} {100 * share / total_share:.0f}%")
                continue
            room = q[o] - taken[o]
            got = min(want, room)
            taken[o] += got
            if got < want:
                notes.append(f"assumption: US imports from {name} by the published share ({want:,.6g}) exceed "
                             f"the whole output of {name}; capped at {got:,.6g}, the rest is bought from the world "
                             "export pool")
                pooled.append(f"{name} (excess over its output)")
        flows[:, f] += taken
    rest = imports - taken.sum()
    if rest > 1e-12 * max(imports, 1.0):
        room = np.where(np.arange(n) == f, 0.0, q - taken)
        if room.sum() <= 0:
            raise KBCalibrationError("US imports cannot be sourced: no other region has output left at this stage")
        flows[:, f] += rest * room / room.sum()
        why = (f"shares of partners that are not origins at this stage ({', '.join(pooled)})" if pooled
               else "imports with no published origin")
        notes.append(f"assumption: {why} are bought from the world export pool in proportion to each "
                     "origin's remaining output (no transshipment: a partner that refines or re-exports "
                     "another country's output is not an origin in a one-stage model)")
    left = np.maximum(q - flows[:, f], 0.0)
    left[f] = q[f] - flows[f, f]
    consumption = np.zeros(n)
    given = {k: float(v) for k, v in other_consumption.items()}
    for name, value in given.items():
        if name == FOCUS or name not in idx:
            raise KBCalibrationError(f"other_consumption: {name!r} is not a non-US model region of {names}")
        consumption[idx[name]] = value
    residual = left.sum() - consumption.sum()
    if residual < -1e-9 * max(left.sum(), 1.0):
        raise KBCalibrationError("other_consumption exceeds the world output left after US consumption")
    residual = max(residual, 0.0)
    open_regions = [r for r in names if r != FOCUS and r not in given]
    if residual > 0:
        if isinstance(residual_consumption, Mapping):
            weights = {k: float(v) for k, v in residual_consumption.items() if float(v) > 0}
            bad = [k for k in weights if k not in idx or k == FOCUS]
            if bad or not weights:
                raise KBCalibrationError(f"residual_consumption weights: {bad or 'none positive'}; use non-US regions "
                                         f"of {names}")
            total = sum(weights.values())
            for k, w in weights.items():
                consumption[idx[k]] += residual * w / total
            shown = ", ".join(f"{k} {100 * w / total:.1f}%" for k, w in sorted(weights.items(), key=lambda kv: -kv[1]))
            notes.append(f"assumption: consumption outside the US is not in the data; the world output not consumed "
                         f"in the US is consumed in proportion to {residual_source or 'user weights'} ({shown})")
        elif residual_consumption == "production":
            weights = np.array([left[idx[r]] for r in open_regions])
            if weights.sum() <= 0:
                weights = np.ones(len(open_regions))
            for r, w in zip(open_regions, weights / weights.sum()):
                consumption[idx[r]] += residual * w
            notes.append("assumption: consumption outside the US is not in the data; the world output not "
                         "consumed in the US is consumed by the other regions in proportion to their remaining "
                         f"output ({', '.join(open_regions)})")
        else:
            if residual_consumption not in idx or residual_consumption == FOCUS:
                raise KBCalibrationError(f"residual_consumption must be 'production' or a non-US region of "
                                         f"{names}, got {residual_consumption!r}")
            consumption[idx[residual_consumption]] += residual
            notes.append(f"assumption: consumption outside the US is not in the data; the world output not "
                         f"consumed in the US is consumed in {residual_consumption}, and the other named "
                         "producers are pure exporters" + (" besides the consumption given" if given else ""))
    if given:
        notes.append("consumption of " + ", ".join(f"{k} {v:,.6g}" for k, v in given.items())
                     + " supplied by the user: a user assumption")
    flows += proportional_sourcing(left, consumption)
    return flows, notes


def _group(values: Mapping[str, float], member_of: Mapping[str, str], catch_all: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for country, v in values.items():
        region = member_of.get(country, catch_all)
        out[region] = out.get(region, 0.0) + float(v)
    return out


def _region_members(regions: Sequence[RegionSpec]) -> tuple[list[str], dict[str, str], str]:
    names: list[str] = []
    member_of: dict[str, str] = {}
    catch_all = None
    for spec in regions:
        if isinstance(spec, str):
            name, members = spec, [spec]
        else:
            name, members = str(spec[0]), [str(m) for m in spec[1]]
        if name in names:
            raise KBCalibrationError(f"regions: {name!r} appears twice")
        names.append(name)
        if name == REST or "*" in members:
            catch_all = name
        for m in members:
            if m == "*":
                continue
            if m in member_of:
                raise KBCalibrationError(f"regions: country {m!r} is in two regions ({member_of[m]} and {name})")
            member_of[m] = name
    if FOCUS not in names or member_of.get(FOCUS) != FOCUS:
        raise KBCalibrationError(f"regions: the US must be its own region named {FOCUS!r} (the KB data are US data)")
    if catch_all is None:
        names.append(REST)
        catch_all = REST
    return names, member_of, catch_all


# --- the entry point -----------------------------------------------------------------------------

def kb_market_inputs(
    mineral: str,
    stage: str = "processing",
    year: int | None = None,
    regions: Sequence[RegionSpec] | None = None,
    flows: pd.DataFrame | str | Path | None = None,
    *,
    vintage: int | None = None,
    series_label: str | None = None,
    us_production: float | None = None,
    us_consumption: float | None = None,
    price: float | None = None,
    price_source: str = "salient",
    consumption_detail: str | None = None,
    price_series: str | None = None,
    other_consumption: Mapping[str, float] | None = None,
    residual_consumption: str | Mapping[str, float] = "auto",
    coverage: float = 0.9,
    max_producers: int = 6,
    min_import_share: float = 10.0,
    trade_year: int | None = None,
) -> KBMarketInputs:
    """The base point of ``mineral`` at ``stage`` from the knowledge base (see :func:`calibrate_from_kb`).

    Parameters
    ----------
    mineral : str
        Id, name or symbol (``gallium``, ``"rare earths"``, ``Co``).
    stage : {"processing", "mine", "unspecified"}
        Value-chain stage of the MCS world production table to use.
    year, vintage : int, optional
        Data year and MCS release; default the latest year of the latest release.
    regions : list, optional
        Model regions: ISO3 codes or ``(name, [ISO3, ...])`` groups, e.g.
        ``["USA", "CHN", ("ALLIES", ["JPN", "KOR", "AUS", "CAN"]), "ROW"]``. ``USA`` must be
        its own region; ``ROW`` (added if absent) takes every other country. Default:
        :func:`default_regions`.
    flows : DataFrame or path, optional
        A ``bilateral_trade`` table (``exporter_iso3, importer_iso3, year, quantity_t``; a
        Parquet or CSV file, e.g. written by ``critmin data load-trade``). When given, the
        off-diagonal flows are the observed quantities (``trade_year``, default the latest
        year in the table) grouped into regions; domestic flows are production less
        exports; consumption is implied. Otherwise flows follow :func:`kb_flows`.
    us_production, us_consumption, price : float, optional
        Values (in the market unit / US$ per market unit) the caller supplies, e.g. where
        the publisher withheld a figure; each is listed as a user assumption.
    price_source : {"salient", "ds140"}
        ``salient``: the MCS salient price of ``year``; ``ds140``: the latest USGS Data
        Series 140 unit value (a stale, different basis: use only where no salient price
        fits the stage).
    consumption_detail, price_series : str, optional
        Text contained in the salient ``detail`` to choose a series where several exist
        (overrides :data:`KB_CHOICES`).
    other_consumption : mapping, optional
        Consumption of non-US regions (market unit), a user assumption.
    residual_consumption : str or mapping
        Where world consumption outside the US (not given) goes: ``"auto"`` (default:
        ``"processing_shares"`` for a mine-stage market where the EU CRM 2023 study gives
        global processing shares, else ``ROW``); ``"processing_shares"`` (mined output is
        consumed where it is refined); a region name (all there); ``"production"`` (pro rata
        to remaining output); or ``{region: weight}`` (a user assumption). See :func:`kb_flows`.
    coverage, max_producers, min_import_share : float, int, float
        Default region selection (see :func:`default_regions`).

    Returns
    -------
    KBMarketInputs
        Regions, flows, price, units and ``notes``: every source series, derivation and
        assumption (they become ``Market.assumptions``).

    Raises
    ------
    KBCalibrationError
        When an input is missing, withheld, in an unconvertible unit or inconsistent;
        the message names it and how to supply it.
    """
    from critmin.vocab import commodities as vc

    try:
        commodity = vc.lookup(mineral)
    except CritminError as exc:
        raise KBCalibrationError(str(exc)) from None
    cid, cname = commodity.commodity_id, commodity.name
    notes: list[str] = []

    # 1. world production by country (the market unit is the production unit)
    world = _world_production(cid, stage, year, vintage, series_label)
    vintage, year = int(world["vintage"].iloc[0]), int(world["year"].iloc[0])
    unit = str(world["unit"].iloc[0])
    if world["unit"].nunique() > 1:
        raise KBCalibrationError(f"{cname} {stage} production mixes units {sorted(world['unit'].unique())}")
    unit_kg = mass_factor(unit, f"{cname} {stage} production")
    short_unit = _SHORT.get(unit_kg, unit)
    label = world["series_label"].iloc[0]
    src_prod = f"source: USGS MCS {vintage}, {cname} world {label.lower()} by country, {year} ({unit})"
    notes.append(src_prod)
    countries = world[world["country_kind"] == "country"]
    by_country: dict[str, float] = {}
    unusable: list[str] = []
    for _, row in countries.iterrows():
        if _numeric(row):
            by_country[str(row["country"])] = float(row["value"])
        elif row["country"] == FOCUS:
            continue  # handled below with its own message
        else:
            unusable.append(f"{row['country_name']} {_describe(row)}")
    other = world[world["country_kind"] == "other"]
    other_value = 0.0
    for _, row in other.iterrows():
        if _numeric(row):
            other_value += float(row["value"])
        else:
            unusable.append(f"{row['country_name']} {_describe(row)}")
    total_row = world[world["country_kind"] == "world"]
    if unusable:
        total = float(total_row["value"].iloc[0]) if len(total_row) and _numeric(total_row.iloc[0]) else None
        listed = sum(v for k, v in by_country.items()) + other_value
        if total is not None and abs(total - listed) <= 0.005 * total:
            notes.append(f"assumption: production published without a number ({', '.join(unusable)}) is outside the "
                         f"market: the published world total ({total:,.6g}) equals the sum of the numeric entries, so "
                         "the publisher's total does not include it either")
            unusable = []
        elif total is None or total - listed <= 0:
            raise KBCalibrationError(
                f"{cname} {stage} production of {', '.join(unusable)} is not a number, and no numeric world total "
                "leaves a positive residual to count it in the rest of the world (values are never taken as 0); "
                "choose another year or vintage")
        else:
            notes.append(f"assumption: production published without a number ({', '.join(unusable)}) is the world "
                         f"total {total:,.6g} less the countries listed: {total - listed:,.6g} {short_unit}, "
                         "counted in the rest of the world")
            other_value += total - listed

    # 2. US production: never a withheld figure taken as 0
    us_rows = countries[countries["country"] == FOCUS]
    if us_production is not None:
        q_us = float(us_production)
        notes.append(f"US {stage} production {q_us:,.6g} {short_unit} supplied by the user: a user assumption")
    elif len(us_rows) and _numeric(us_rows.iloc[0]):
        q_us = float(us_rows.iloc[0]["value"])
    elif len(us_rows):
        raise KBCalibrationError(
            f"US {stage} production of {cname} in {year} is {_describe(us_rows.iloc[0])} in USGS MCS {vintage}: "
            "it is not a number and is never taken as 0; pass us_production=<value in "
            f"{short_unit}> as an explicit user assumption")
    else:
        q_us = 0.0
        notes.append(f"the US is not listed in the MCS {stage} production table of {cname}: US {stage} "
                     "production taken as 0 (not a producer at this stage)")
    by_country[FOCUS] = q_us
    production = pd.Series(by_country, dtype=float)

    # 3. US consumption from the salient statistics, in the market unit
    choice = KB_CHOICES.get((cid, stage))
    if choice is not None:
        notes.append(f"series choice for {cname} ({stage}): {choice.rationale}")
    if us_consumption is not None:
        c_us = float(us_consumption)
        notes.append(f"US {stage} consumption {c_us:,.6g} {short_unit} supplied by the user: a user assumption")
    else:
        c_us = _us_consumption(cid, cname, stage, vintage, year, unit_kg, short_unit, choice,
                               consumption_detail, notes)

    # 4. regions and grouping
    shares_df, shares_label = _import_shares(cid)
    shares_raw: dict[str, float] = {}
    for _, row in shares_df.iterrows():
        if not _numeric(row):
            notes.append(f"US import share of {row['partner_name']} is {_describe(row)}: left out")
            continue
        key = str(row["partner_iso3"]) if isinstance(row["partner_iso3"], str) else "__other__"
        shares_raw[key] = shares_raw.get(key, 0.0) + float(row["value"])
    if regions is None:
        regions = default_regions(production, pd.Series({k: v for k, v in shares_raw.items() if k != "__other__"},
                                                        dtype=float),
                                  coverage=coverage, max_producers=max_producers, min_import_share=min_import_share)
        notes.append(f"regions chosen from the data: the US, the top producers covering {coverage:.0%} of world "
                     f"output (at most {max_producers}), US import sources of at least {min_import_share:g}% that "
                     f"produce at this stage, and {REST} (every other country)")
    names, member_of, catch_all = _region_members(regions)
    q_region = _group(production.to_dict(), member_of, catch_all)
    q_region[catch_all] = q_region.get(catch_all, 0.0) + other_value
    q = np.array([q_region.get(r, 0.0) for r in names])
    world_total = q.sum()
    if world_total <= 0:
        raise KBCalibrationError(f"{cname} {stage} production sums to zero in {year}")
    top = ", ".join(f"{names[i]} {100 * q[i] / world_total:.1f}%" for i in np.argsort(-q)[:3] if q[i] > 0)
    notes.append(f"world {stage} production {world_total:,.6g} {short_unit} (sum of the countries listed and "
                 f"'Other countries', not the rounded world total); largest shares: {top}")

    # 5. price
    price_value, price_note = _price(cid, cname, stage, vintage, year, unit_kg, short_unit, choice, price,
                                     price_source, price_series)
    notes.append(price_note)

    # 6. flows
    if flows is not None:
        x = _observed_flows(_read_trade(flows), names, member_of, catch_all, q, unit_kg, short_unit, trade_year,
                            notes)
        implied_us = x[:, names.index(FOCUS)].sum()
        notes.append(f"US consumption implied by production and the trade matrix: {implied_us:,.6g} {short_unit} "
                     f"(MCS salient: {c_us:,.6g})")
    else:
        # a partner is an origin only if it produces at this stage itself; its share then goes to its model
        # region. Partners without own output (refiners, traders) and "other countries" are pooled by kb_flows.
        shares_region: dict[str, float] = {}
        for key, v in shares_raw.items():
            if key == "__other__":
                region = "other countries"
            elif production.get(key, 0.0) > 0:
                region = member_of.get(key, catch_all)
            else:
                region = f"{key} (no {stage} output)"
            shares_region[region] = shares_region.get(region, 0.0) + v
        if shares_raw:
            shown = ", ".join(f"{k} {v:g}%" for k, v in sorted(shares_raw.items(), key=lambda kv: -kv[1]))
            notes.append(f"source: US import shares by partner, {shares_label}: {shown.replace('__other__', 'other')}"
                         f"; applied to the US imports of {year}")
        else:
            notes.append("no published US import shares: US imports follow proportional sourcing alone")
        if c_us <= q[names.index(FOCUS)]:
            notes.append(f"US {stage} production covers US consumption: no US imports at the base point (the US is "
                         "a net exporter at this stage), so the import shares do not enter the calibration")
        residual, residual_source = _residual_rule(residual_consumption, cid, stage, member_of, catch_all, names)
        x, flow_notes = kb_flows(q, names, c_us, shares_region, other_consumption or {}, residual, residual_source)
        notes.extend(flow_notes)
        notes.append("bilateral flows are not in the MCS data: calibrated by proportional sourcing from the world "
                     "export pool, constrained so that US imports by origin match the published import shares "
                     "where the partner produces at this stage")
    notes.append(_nir_note(cid, vintage, x, names))
    return KBMarketInputs(mineral=cname, stage=stage, unit=short_unit, price_unit=f"USD/{short_unit}",
                          regions=tuple(names), flows=x, price=price_value, notes=tuple(notes),
                          vintage=vintage, year=year)


@dataclass(frozen=True)
class KBMarketInputs:
    """Everything :func:`calibrate_from_kb` derives from the knowledge base, before elasticities."""

    mineral: str
    stage: str
    unit: str
    price_unit: str
    regions: tuple[str, ...]
    flows: np.ndarray
    price: float
    notes: tuple[str, ...]
    vintage: int
    year: int

    def calibrate(self, elasticities: Mapping[str, object] | None = None) -> Market:
        """The calibrated market (elasticity defaults and overrides labelled as in :func:`calibrate`)."""
        return calibrate(list(self.regions), flows=self.flows, price=self.price, elasticities=elasticities,
                         mineral=self.mineral, stage=self.stage, unit=self.unit, price_unit=self.price_unit,
                         notes=self.notes, flows_source="")


def calibrate_from_kb(
    mineral: str,
    stage: str = "processing",
    year: int | None = None,
    regions: Sequence[RegionSpec] | None = None,
    elasticities: Mapping[str, object] | None = None,
    flows: pd.DataFrame | str | Path | None = None,
    *,
    vintage: int | None = None,
    series_label: str | None = None,
    us_production: float | None = None,
    us_consumption: float | None = None,
    price: float | None = None,
    price_source: str = "salient",
    consumption_detail: str | None = None,
    price_series: str | None = None,
    other_consumption: Mapping[str, float] | None = None,
    residual_consumption: str | Mapping[str, float] = "auto",
    coverage: float = 0.9,
    max_producers: int = 6,
    min_import_share: float = 10.0,
    trade_year: int | None = None,
) -> Market:
    """Calibrate the market of ``mineral`` at ``stage`` from the knowledge-base snapshot.

    Parameters are those of :func:`kb_market_inputs` (where the knowledge-base inputs, their
    sources and the assumptions are described) plus ``elasticities`` (as for
    :func:`~critmin.model.calibrate.calibrate`: defaults are labelled assumptions, values
    given here are labelled user assumptions).

    Examples
    --------
    >>> m = calibrate_from_kb("gallium", stage="processing")      # doctest: +SKIP
    >>> m.regions, m.assumptions[:3]                              # doctest: +SKIP
    >>> calibrate_from_kb("lithium", stage="mine")                # doctest: +SKIP
    KBCalibrationError: US mine production of Lithium in 2025 is W (withheld) ...
    """
    inputs = kb_market_inputs(
        mineral, stage, year, regions, flows, vintage=vintage, series_label=series_label,
        us_production=us_production, us_consumption=us_consumption, price=price, price_source=price_source,
        consumption_detail=consumption_detail, price_series=price_series, other_consumption=other_consumption,
        residual_consumption=residual_consumption, coverage=coverage, max_producers=max_producers,
        min_import_share=min_import_share, trade_year=trade_year)
    return inputs.calibrate(elasticities)


def _residual_rule(rule: str | Mapping[str, float], cid: str, stage: str, member_of: Mapping[str, str],
                   catch_all: str, names: list[str]) -> tuple[str | Mapping[str, float], str]:
    if isinstance(rule, Mapping):
        return dict(rule), "user weights (a user assumption)"
    if rule in ("auto", "processing_shares"):
        shares, label = _processing_shares(cid) if (stage == "mine" or rule == "processing_shares") else ({}, "")
        if shares:
            weights = _group({k: v for k, v in shares.items() if k != FOCUS}, member_of, catch_all)
            return weights, label
        if rule == "processing_shares":
            raise KBCalibrationError(f"residual_consumption='processing_shares': the EU CRM 2023 study gives no "
                                     f"single set of global processing shares for {cid}")
        return catch_all, ""
    return rule, ""


def _us_consumption(cid: str, cname: str, stage: str, vintage: int, year: int, unit_kg: float, short_unit: str,
                    choice: KBChoice | None, detail: str | None, notes: list[str]) -> float:
    hint = "pass us_consumption=<value> as an explicit user assumption"
    rows = _salient(cid, vintage, year, "consumption")
    if detail is None and choice is not None and choice.consumption is None and choice.consumption_proxy:
        prod = _salient(cid, vintage, year, "production")
        row = _pick(prod, choice.consumption_proxy, f"US production series standing for {stage} consumption", hint)
        value = _salient_number(row, f"US {row['detail']} of {cname} in {year}", hint)
        c = value * mass_factor(row["unit"], f"salient {row['detail']}") / unit_kg
        notes.append(f"source: USGS MCS {vintage} salient statistics, {row['detail']}, {year}: {_describe(row)} "
                     f"{row['unit']}")
        notes.append(f"assumption: US {stage} consumption of {cname} ({c:,.6g} {short_unit}) is taken to equal "
                     f"this figure (no {stage}-stage consumption is published)")
        return c
    wanted = detail if detail is not None else (choice.consumption if choice is not None else None)
    if not rows.empty and wanted is None and len(rows) == 1:
        notes.append(f"assumption: the only published US consumption series ({rows.iloc[0]['detail']}) is taken as "
                     f"consumption at the {stage} stage")
    row = _pick(rows, wanted, f"US consumption of {cname} in {year} (MCS {vintage})",
                "name one with consumption_detail= or " + hint)
    value = _salient_number(row, f"US consumption of {cname} in {year} ({row['detail']})", hint)
    c = value * mass_factor(row["unit"], f"salient {row['detail']}") / unit_kg
    notes.append(f"source: USGS MCS {vintage} salient statistics, {row['detail']}, {year}: {_describe(row)} "
                 f"{row['unit']}")
    for less in (choice.consumption_less if (choice is not None and detail is None) else ()):
        prod = _salient(cid, vintage, year, "production")
        sub = _pick(prod, less, f"US {less} of {cname} in {year}", hint)
        amount = _salient_number(sub, f"US {sub['detail']} of {cname} in {year}", hint)
        c -= amount * mass_factor(sub["unit"], f"salient {sub['detail']}") / unit_kg
        notes.append(f"derived: less {sub['detail']} {_describe(sub)} {sub['unit']} (supply outside this market)")
    if c < 0:
        raise KBCalibrationError(f"derived US {stage} consumption of {cname} is negative ({c:g}); {hint}")
    notes.append(f"US {stage} consumption used: {c:,.6g} {short_unit}")
    return c


def _nir_note(cid: str, vintage: int, x: np.ndarray, names: list[str]) -> str:
    """The model's base US net import reliance next to the published one."""
    from critmin import kb

    f = names.index(FOCUS)
    absorbed = x[:, f].sum()
    imports = absorbed - x[f, f]
    exports = x[f].sum() - x[f, f]
    model = 100 * (imports - exports) / absorbed if absorbed > 0 else float("nan")
    pub = kb.nir_published(cid, vintage)
    if pub.empty:
        return f"base US net import reliance in the model {model:.0f}% (no published figure in MCS {vintage})"
    row = pub.iloc[0]
    shown = f"{row['value']:g}%" if _numeric(row) else _describe(row)
    form = f", {row['form']}" if isinstance(row["form"], str) and row["form"] else ""
    text = f"base US net import reliance in the model {model:.0f}%; published (MCS {vintage}, {int(row['year'])}{form}): {shown}"
    if not (_numeric(row) and abs(float(row["value"]) - model) < 1.0):
        text += (" (the published figure may cover other forms or stages, stock changes and secondary supply, "
                 "which this one-stage market does not)")
    return text


def _salient_number(row: pd.Series, what: str, hint: str) -> float:
    if not _numeric(row):
        raise KBCalibrationError(f"{what} is {_describe(row)} in the MCS salient statistics: not a number and never "
                                 f"taken as 0; {hint}")
    return float(row["value"])


def _price(cid: str, cname: str, stage: str, vintage: int, year: int, unit_kg: float, short_unit: str,
           choice: KBChoice | None, price: float | None, price_source: str, price_series: str | None
           ) -> tuple[float, str]:
    per_unit = f"USD/{short_unit}"
    if price is not None:
        if not price > 0:
            raise KBCalibrationError(f"price must be > 0, got {price}")
        return float(price), f"base price {float(price):,.6g} {per_unit} supplied by the user: a user assumption"
    hint = f"pass price=<US$ per {short_unit}> as a user assumption"
    if price_source == "ds140":
        from critmin import kb

        rows = kb.latest_ds140_price(cid)
        if rows.empty:
            raise KBCalibrationError(f"no USGS Data Series 140 unit value for {cname}; {hint}")
        row = rows.iloc[0]
        value = float(row["value"]) * price_factor(row["unit"], row["series_label"]) * unit_kg
        return value, (f"source: base price {value:,.6g} {per_unit} = USGS Data Series 140 {row['series_label']} "
                       f"{int(row['year'])} ({row['raw']} {row['unit']}); assumption: applied to every origin, "
                       f"although the series is {year - int(row['year'])} years older than the quantities and may "
                       "not be a price of this stage's product")
    if price_source != "salient":
        raise KBCalibrationError(f"price_source must be 'salient' or 'ds140', got {price_source!r}")
    rows = _salient(cid, vintage, year, "price")
    wanted = price_series if price_series is not None else (choice.price if choice is not None else None)
    if choice is not None and price_series is None and choice.price is None:
        raise KBCalibrationError(
            f"no MCS salient price fits {cname} at the {stage} stage (published: {list(rows['detail'])}); {hint} "
            "or price_source='ds140' (the USGS DS140 unit value, stale)")
    row = _pick(rows, wanted, f"US price of {cname} in {year} (MCS {vintage})",
                f"name one with price_series= or {hint}")
    value = _salient_number(row, f"the price of {cname} in {year} ({row['detail']})", hint)
    per_kg = value * price_factor(row["unit"], row["detail"])
    converted = per_kg * unit_kg
    return converted, (f"source: base price {converted:,.6g} {per_unit} = USGS MCS {vintage} salient statistics, "
                       f"{row['detail']}, {year}: {_describe(row)} {row['unit']}; assumption: the same base price "
                       "for every origin (law of one price at the base point)")


def _observed_flows(trade: pd.DataFrame, names: list[str], member_of: Mapping[str, str], catch_all: str,
                    q: np.ndarray, unit_kg: float, short_unit: str, trade_year: int | None,
                    notes: list[str]) -> np.ndarray:
    years = sorted(int(y) for y in trade["year"].dropna().unique())
    if not years:
        raise KBCalibrationError("flows: the trade table has no rows with a year")
    y = trade_year if trade_year is not None else years[-1]
    part = trade[trade["year"] == y]
    if part.empty:
        raise KBCalibrationError(f"flows: no trade rows for {y}; years in the table: {years}")
    if part["quantity_t"].isna().any():
        bad = part[part["quantity_t"].isna()][["exporter_iso3", "importer_iso3"]].head(5).values.tolist()
        raise KBCalibrationError(f"flows: quantity missing for {bad} ...; a missing quantity is never taken as 0")
    n = len(names)
    idx = {r: i for i, r in enumerate(names)}
    x = np.zeros((n, n))
    factor = 1e3 / unit_kg  # metric tons -> market unit
    for row in part.itertuples(index=False):
        o = idx[member_of.get(str(row.exporter_iso3), catch_all)]
        d = idx[member_of.get(str(row.importer_iso3), catch_all)]
        if o != d:
            x[o, d] += float(row.quantity_t) * factor
    exports = x.sum(axis=1)
    domestic = q - exports
    if np.any(domestic < -1e-9 * np.maximum(q, 1.0)):
        worst = names[int(np.argmin(domestic))]
        raise KBCalibrationError(
            f"flows: exports of {worst} in the trade matrix ({exports[names.index(worst)]:,.6g} {short_unit}) exceed "
            f"its production ({q[names.index(worst)]:,.6g}): the trade data and the production table are for "
            "different stages, forms or units (e.g. gross weight vs content)")
    np.fill_diagonal(x, np.maximum(domestic, 0.0))
    datasets = ", ".join(sorted(set(map(str, part.get("dataset", pd.Series(["?"])).unique()))))
    codes = ", ".join(sorted(set(map(str, part.get("hs", pd.Series(["?"])).unique()))))
    notes.append(f"source: bilateral flows from the user-supplied trade table ({datasets}; HS {codes}; {y}), "
                 f"quantities in metric tons converted to {short_unit}, grouped into the model regions; flows inside "
                 "a region are dropped")
    notes.append("assumption: traded quantities are in the same basis (content) as production; domestic sales are "
                 "production less exports; consumption is implied by the flows")
    return x



#: Stages :func:`available_kb_markets` tries, in this order for each mineral.
KB_MARKET_STAGES: tuple[str, ...] = ("processing", "mine")


@dataclass(frozen=True)
class KBMarketTrial:
    """The outcome of calibrating one mineral at one stage from the knowledge base with defaults.

    Exactly one of ``market`` and ``error`` is set: a failure is never a market.

    Attributes
    ----------
    commodity_id, name : str
        The mineral's id (``gallium``) and name (``Gallium``).
    stage : str
        ``processing`` or ``mine``.
    market : Market or None
        The calibrated market (its ``assumptions`` list every source and assumption).
    error : str or None
        Why the calibration failed, as :func:`calibrate_from_kb` said it.
    """

    commodity_id: str
    name: str
    stage: str
    market: Market | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.market is not None


def available_kb_markets(list_year: int = 2025, stages: Sequence[str] = KB_MARKET_STAGES) -> list[KBMarketTrial]:
    """Try :func:`calibrate_from_kb` with its defaults for every mineral on a US critical-mineral list.

    Parameters
    ----------
    list_year : {2018, 2022, 2025}
        The list whose minerals are tried (:func:`critmin.api.minerals`).
    stages : sequence of str
        The stages tried for each mineral.

    Returns
    -------
    list of KBMarketTrial
        One per (mineral, stage), in list order: the market where the knowledge base gives
        every input, else the calibration's own message (withheld US production, several
        published series to choose from, no data at that stage, ...). Only input and
        calibration failures (:class:`KBCalibrationError`, :class:`MarketError`, other
        ``ValueError`` and arithmetic errors) become trials with an ``error``; a missing
        snapshot or a bug is raised.

    Examples
    --------
    >>> [(t.commodity_id, t.stage) for t in available_kb_markets() if t.ok]   # doctest: +SKIP
    [('aluminum', 'processing'), ('cobalt', 'mine'), ('gallium', 'processing'), ...]
    """
    from critmin import api

    trials: list[KBMarketTrial] = []
    catalogue = api.minerals(list_year)
    for cid, name in zip(catalogue["commodity_id"], catalogue["name"]):
        for stage in stages:
            try:
                with np.errstate(all="ignore"):
                    market = calibrate_from_kb(cid, stage=stage)
            except (ValueError, ArithmeticError, np.linalg.LinAlgError, CritminError) as exc:
                trials.append(KBMarketTrial(str(cid), str(name), stage, None, str(exc) or type(exc).__name__))
            else:
                trials.append(KBMarketTrial(str(cid), str(name), stage, market, None))
    return trials

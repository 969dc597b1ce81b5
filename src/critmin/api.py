"""The Python API of the knowledge base: every function returns a pandas DataFrame.

The CLI, the REST API and the reports call these functions and only present what they
return, so every interface shows the same numbers.

>>> import critmin.api as cm
>>> cm.nir(vintage=2025, list_year=2022).head()        # doctest: +SKIP
>>> cm.production("cobalt", stage="processing")         # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import re
import threading

import pandas as pd

from critmin import store
from critmin.errors import CritminError
from critmin.values import Qualifier, format_value
from critmin.vocab import commodities as vc

LIST_YEARS = (2018, 2022, 2025)
#: Qualifier used in API output for a listed mineral that has no row in the published table.
NOT_PUBLISHED = "not_published"
#: Published rows that also measure a listed mineral. USGS's own critical-minerals table
#: (MCS 2025 T5, MCS 2026 T7) reports the list entry "Aluminum" as "Aluminum (bauxite)"
#: with the bauxite reliance, so bauxite/alumina rows count for aluminum too.
LIST_SCOPE: dict[str, tuple[str, ...]] = {"aluminum": ("aluminum", "bauxite")}


def _check_list(list_year: int | None) -> None:
    if list_year is not None and list_year not in LIST_YEARS:
        raise CritminError(f"unknown list year {list_year}; choose one of {', '.join(map(str, LIST_YEARS))}")


def minerals(list_year: int | None = None) -> pd.DataFrame:
    """The commodity catalogue: id, name, symbol, group and members, list memberships.

    Parameters
    ----------
    list_year
        2018, 2022 or 2025 to keep only the minerals on that US critical-mineral list
        (individual elements; group entries are shown through their members).
    """
    _check_list(list_year)
    df = store.table("commodities")
    if list_year is not None:
        lists = store.query(
            "SELECT commodity_id FROM critical_lists WHERE list_year = ? AND on_list", [list_year]
        )
        df = df[df["commodity_id"].isin(lists["commodity_id"])]
    df = df.copy()
    df["members"] = df["members"].map(lambda m: list(m) if m is not None else [])
    return df.sort_values("commodity_id").reset_index(drop=True)


def vintages(table: str) -> list[int]:
    """Vintages (release years) present in a table, oldest first."""
    return [int(v) for v in store.query(f"SELECT DISTINCT vintage FROM {table} ORDER BY vintage")["vintage"]]


def _resolve_vintage(table: str, vintage: int | None) -> int:
    available = vintages(table)
    if not available:
        raise CritminError(f"the snapshot has no {table} data")
    if vintage is None:
        return available[-1]
    if vintage not in available:
        raise CritminError(f"no {table} data for vintage {vintage}; available: {', '.join(map(str, available))}")
    return vintage


def reliance_rank(value: float | None, qualifier: str, low: float | None, high: float | None) -> float:
    """An ordering key for published reliance: bounds count at their bound.

    Used only to choose, among a mineral's published forms, the one with the highest
    reliance; never shown as a number.
    """
    q = qualifier
    if q in ("exact", "estimated", "revised", "zero") and value is not None:
        return float(value)
    if q == "greater_than" and low is not None:
        return float(low) + 1e-6
    if q == "less_than" and high is not None:
        return float(high) - 1e-6
    if q == "range" and low is not None:
        return float(low)
    if q == "net_exporter":
        return -1.0
    return -math.inf


def reliance_class(value: float | None, qualifier: str, low: float | None, high: float | None) -> str:
    """``'100'`` for 100 % reliant, ``'>50'`` for more than 50 % (bounds count when the bound
    itself says so: ``>50``, ``>75``, ``>95``), else ``'other'``; unknown stays ``'unknown'``."""
    if qualifier in ("exact", "estimated", "revised") and value is not None:
        if value >= 100:
            return "100"
        return ">50" if value > 50 else "other"
    if qualifier == "greater_than" and low is not None:
        return ">50" if low >= 50 else "other"
    if qualifier == "range" and low is not None:
        return ">50" if low > 50 else "other"
    if qualifier in ("less_than", "net_exporter", "zero"):
        return "other"
    return "unknown"


def nir(vintage: int | None = None, list_year: int | None = None) -> pd.DataFrame:
    """US net import reliance as published in the MCS net-import-reliance figure.

    Parameters
    ----------
    vintage
        MCS release year (2023-2026); default the latest. The figure is for ``vintage - 1``.
    list_year
        With a list year, one row per mineral on that US critical-mineral list, counted the
        way USGS and the White House count: a group row stands for each listed member (the
        rare-earths row for each listed lanthanide); a mineral published in several forms
        takes the form with the highest reliance (aluminum includes the bauxite and
        alumina rows, as in USGS's own critical-minerals table); a listed mineral without a
        alumina rows, as in USGS's own critical-minerals table). A listed mineral that the
        figure leaves out (USGS draws only the import-reliant commodities: beryllium and
        boron, net exporters, and phosphate rock at 13 % are not in the MCS 2025 figure)
        takes the same year's reliance from the mineral's salient statistics of the same
        release, else from the release's critical-minerals table, with ``nir_table``
        saying which. Only a listed mineral found in none of them gets
        ``nir_qualifier = 'not_published'``.

    Returns
    -------
    DataFrame
        ``commodity``, ``name``, ``vintage``, ``year``, ``form``, ``published_name``,
        ``nir_value`` (a number only where one was published), ``nir_qualifier``,
        ``nir_low``, ``nir_high``, ``nir_display`` (``>95``, ``E``, ``100``),
        ``import_sources``, ``import_sources_iso3``, ``rank``, ``on_list_2018``,
        ``on_list_2022``, ``on_list_2025``, ``via_group``, ``nir_table`` (``figure``,
        ``salient`` or ``critical_salient``; null for ``not_published``),
        ``reliance_class``.
    """
    _check_list(list_year)
    v = _resolve_vintage("nir", vintage)
    rows = store.query(
        """SELECT n.*, c.name, c.on_list_2018, c.on_list_2022, c.on_list_2025
           FROM nir n JOIN commodities c USING (commodity_id)
           WHERE n.vintage = ? ORDER BY n.rank NULLS LAST, n.commodity_id""",
        [v],
    )
    out = pd.DataFrame(
        {
            "commodity": rows["commodity_id"],
            "name": rows["name"],
            "vintage": rows["vintage"].astype(int),
            "year": rows["year"].astype(int),
            "form": rows["form"].fillna(""),
            "published_name": rows["published_name"],
            "nir_value": rows["value"].astype(object).where(rows["value"].notna(), None),
            "nir_qualifier": rows["qualifier"],
            "nir_low": rows["low"].astype(object).where(rows["low"].notna(), None),
            "nir_high": rows["high"].astype(object).where(rows["high"].notna(), None),
            "import_sources": rows["import_sources"].map(_as_list),
            "import_sources_iso3": rows["import_sources_iso3"].map(_as_list),
            "rank": rows["rank"].astype(object).where(rows["rank"].notna(), None),
            "on_list_2018": rows["on_list_2018"].astype(bool),
            "on_list_2022": rows["on_list_2022"].astype(bool),
            "on_list_2025": rows["on_list_2025"].astype(bool),
            "via_group": None,
            "nir_table": "figure",
        }
    )
    if list_year is not None:
        out = _per_listed_mineral(out, list_year, v)
    out["nir_display"] = [
        format_value(val, q, lo, hi) if q != NOT_PUBLISHED else "not published"
        for val, q, lo, hi in zip(out["nir_value"], out["nir_qualifier"], out["nir_low"], out["nir_high"])
    ]
    out["reliance_class"] = [
        reliance_class(val, q, lo, hi)
        for val, q, lo, hi in zip(out["nir_value"], out["nir_qualifier"], out["nir_low"], out["nir_high"])
    ]
    return out.reset_index(drop=True)


def _as_list(v) -> list[str]:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return []
    return [str(x) for x in v]


def _per_listed_mineral(published: pd.DataFrame, list_year: int, vintage: int) -> pd.DataFrame:
    listed = store.query(
        """SELECT l.commodity_id, c.name, c.group_id, c.on_list_2018, c.on_list_2022, c.on_list_2025
           FROM critical_lists l JOIN commodities c USING (commodity_id)
           WHERE l.list_year = ? AND l.on_list ORDER BY l.commodity_id""",
        [list_year],
    )
    salient = _salient_reliance(vintage)
    best: dict[str, dict] = {}
    for rec in published.to_dict("records"):
        key = rec["commodity"]
        rank = reliance_rank(rec["nir_value"], rec["nir_qualifier"], rec["nir_low"], rec["nir_high"])
        if key not in best or rank > best[key]["_rank"]:
            best[key] = {**rec, "_rank": rank}
    out = []
    for m in listed.to_dict("records"):
        cid = m["commodity_id"]
        candidates = [best[c] for c in LIST_SCOPE.get(cid, (cid,)) if c in best]
        src = max(candidates, key=lambda r: r["_rank"]) if candidates else None
        via = src["commodity"] if src is not None and src["commodity"] != cid else None
        if src is None:
            src = _best_salient(salient, cid)
        if src is None and m["group_id"]:
            src = best.get(m["group_id"])
            via = m["group_id"] if src is not None else None
        base = {
            "commodity": cid,
            "name": m["name"],
            "on_list_2018": bool(m["on_list_2018"]),
            "on_list_2022": bool(m["on_list_2022"]),
            "on_list_2025": bool(m["on_list_2025"]),
            "via_group": via,
        }
        if src is None:
            out.append(
                {
                    **base, "vintage": vintage, "year": vintage - 1, "form": "", "published_name": None,
                    "nir_value": None, "nir_qualifier": NOT_PUBLISHED, "nir_low": None, "nir_high": None,
                    "import_sources": [], "import_sources_iso3": [], "rank": None, "nir_table": None,
                }
            )
        else:
            rec = {k: v for k, v in src.items() if k != "_rank"}
            rec.setdefault("vintage", vintage)
            rec.update(base)
            out.append(rec)
    cols = list(published.columns)
    df = pd.DataFrame(out, columns=cols)
    if df.empty:
        return df
    order = df.apply(lambda r: -reliance_rank(r["nir_value"], r["nir_qualifier"], r["nir_low"], r["nir_high"]), axis=1)
    return df.assign(_o=order).sort_values(["_o", "commodity"]).drop(columns="_o")


#: Order in which the tables that also publish reliance are consulted for a listed mineral
#: the figure leaves out: the commodity's own salient statistics (the chapter), then the
#: release's critical-minerals table (MCS 2025 T5, MCS 2026 T7). Where both have the
#: year they may differ (beryllium 2023: ``E`` in its chapter, ``NA`` in MCS 2024 T5); the
#: chapter wins and the other stays in the snapshot.
SALIENT_TABLES = ("salient", "critical_salient")


def _salient_reliance(vintage: int) -> dict[str, list[dict]]:
    """Net import reliance of ``vintage - 1`` from the release's salient tables, one record
    per published cell, grouped by the commodity it measures."""
    chapter = store.query(
        """SELECT commodity_id, form, detail AS published_name, year, value, qualifier, low, high, raw,
                  'salient' AS nir_table
           FROM salient WHERE vintage = ? AND statistic = 'nir' AND year = ?""",
        [vintage, vintage - 1],
    )
    table = store.query(
        """SELECT commodity_id, form, published_name, year, value, qualifier, low, high, raw,
                  'critical_salient' AS nir_table
           FROM critical_salient WHERE vintage = ? AND field = 'net_import_reliance' AND year = ?""",
        [vintage, vintage - 1],
    )
    out: dict[str, list[dict]] = {}
    measured: dict[tuple, str] = {}
    for frame_ in (chapter, table):
        for r in frame_.to_dict("records"):
            key = (r["commodity_id"], r["form"] if isinstance(r["form"], str) else "")
            if key not in measured:
                measured[key] = _measured(*key)
            out.setdefault(measured[key], []).append(r)
    return out


def _measured(commodity_id: str, form) -> str:
    """The commodity a salient reliance cell measures: a form that names another commodity
    (``Hf`` in the zirconium chapter, ``palladium`` in the PGM chapter) measures that one."""
    if isinstance(form, str) and form.strip():
        try:
            named = vc.lookup(form.strip()).commodity_id
        except CritminError:
            named = None
        if named and named != commodity_id:
            return named
    return commodity_id


def _best_salient(salient: dict[str, list[dict]], commodity_id: str) -> dict | None:
    """The salient-table reliance of a listed mineral, as a row of :func:`nir`; None if none.

    The chapter comes before the critical-minerals table; within a table the published
    form with the highest reliance is taken, as for the figure.
    """
    rows = salient.get(commodity_id, [])
    for table in SALIENT_TABLES:
        recs = []
        for r in rows:
            if r["nir_table"] != table:
                continue
            value, low, high = (None if pd.isna(r[k]) else float(r[k]) for k in ("value", "low", "high"))
            recs.append((reliance_rank(value, r["qualifier"], low, high), r, value, low, high))
        if not recs:
            continue
        rank, r, value, low, high = max(recs, key=lambda t: t[0])
        form = r["form"] if isinstance(r["form"], str) else ""
        return {
            "commodity": commodity_id, "year": int(r["year"]), "form": form,
            "published_name": r["published_name"], "nir_value": value, "nir_qualifier": r["qualifier"],
            "nir_low": low, "nir_high": high, "import_sources": [], "import_sources_iso3": [], "rank": None,
            "nir_table": table, "_rank": rank,
        }
    return None


def nir_summary(table: pd.DataFrame) -> dict[str, int]:
    """Counts behind "N at 100%, M more above 50%" for a table from :func:`nir`."""
    classes = table["reliance_class"].value_counts()
    return {
        "at_100": int(classes.get("100", 0)),
        "above_50": int(classes.get(">50", 0)),
        "other": int(classes.get("other", 0)),
        "unknown": int(classes.get("unknown", 0)),
        "minerals": int(len(table)),
    }


def production(
    mineral: str,
    stage: str | None = None,
    measure: str = "production",
    year: int | None = None,
    vintage: int | None = None,
) -> pd.DataFrame:
    """World production (or capacity, reserves) of a mineral by country, with shares.

    Parameters
    ----------
    mineral
        An id, name or symbol (``cobalt``, ``Rare earths``, ``Ga``). A group member takes
        its own rows in a vintage that has them; else the group's rows whose form names it
        (MCS 2023-2025 publish platinum and palladium as forms of the platinum-group
        metals); else, as for neodymium inside rare earths, the group's rows. Reserves,
        which USGS publishes for the group as a whole, are never narrowed to one form.
    stage
        ``mine``, ``processing`` or ``unspecified``; default all.
    measure
        ``production`` (default), ``capacity`` or ``reserves``.
    year
        Default: the latest year in the chosen vintage.
    vintage
        MCS release year; default the latest that has this mineral (at this stage).

    Returns
    -------
    DataFrame
        ``commodity``, ``vintage``, ``year``, ``stage``, ``series_label`` (as published),
        ``form``, ``country`` (ISO3; null for aggregates), ``country_name``, ``country_kind``,
        ``value``, ``qualifier``, ``low``, ``high``, ``display``, ``estimated``, ``unit``,
        ``share`` (of the world total of the same series; null where either is not a
        number or the series has no single world total), ``notes``, ``source_id``.
    """
    commodity = vc.lookup(mineral)
    cid = commodity.commodity_id
    if stage is not None and stage not in ("mine", "processing", "unspecified"):
        raise CritminError(f"unknown stage {stage!r}; choose mine, processing or unspecified")
    if measure not in ("production", "capacity", "reserves"):
        raise CritminError(f"unknown measure {measure!r}; choose production, capacity or reserves")
    ids = [cid]
    if commodity.group_id:
        ids.append(commodity.group_id)
    df = store.query(
        "SELECT * FROM production WHERE commodity_id IN (SELECT unnest(?)) AND measure = ?",
        [ids, measure],
    )
    if df.empty:
        raise CritminError(f"no {measure} data for {commodity.name}")
    if stage is not None:
        df = df[df["stage"] == stage]
        if df.empty:
            raise CritminError(f"no {stage}-stage {measure} data for {commodity.name} in any vintage")
    if commodity.group_id:
        df = member_rows(df, cid, commodity.name, narrow_forms=measure != "reserves")
    if vintage is None:
        vintage = int(df["vintage"].max())
    df = df[df["vintage"] == vintage]
    if df.empty:
        where = f"{stage}-stage " if stage else ""
        raise CritminError(f"no {where}{measure} data for {commodity.name} in vintage {vintage}")
    if year is None:
        year = int(df["year"].max())
    df = df[df["year"] == year]
    if df.empty:
        raise CritminError(f"no {measure} data for {commodity.name} in {year} (vintage {vintage})")
    df = with_world_share(df)
    out = pd.DataFrame(
        {
            "commodity": df["commodity_id"],
            "vintage": df["vintage"].astype(int),
            "year": df["year"].astype(int),
            "stage": df["stage"],
            "series_label": df["series_label"],
            "form": df["form"].fillna(""),
            "country": df["country_iso3"],
            "country_name": df["country_name"],
            "country_kind": df["country_kind"],
            "value": df["value"],
            "qualifier": df["qualifier"],
            "low": df["low"],
            "high": df["high"],
            "display": [format_value(_nn(v), q, _nn(lo), _nn(hi), r) for v, q, lo, hi, r in zip(df["value"], df["qualifier"], df["low"], df["high"], df["raw"])],
            "estimated": df["estimated"],
            "unit": df["unit"],
            "share": df["share"],
            "notes": df["notes"],
            "source_id": df["source_id"],
        }
    )
    kind_order = out["country_kind"].map({"country": 0, "group": 1, "region": 1, "other": 2, "world": 3}).fillna(1)
    out = out.assign(_k=kind_order, _v=out["value"].fillna(-1)).sort_values(
        ["stage", "series_label", "_k", "_v"], ascending=[True, True, True, False]
    )
    return out.drop(columns=["_k", "_v"]).reset_index(drop=True)


def member_rows(df: pd.DataFrame, member_id: str, member_name: str, *, narrow_forms: bool = True) -> pd.DataFrame:
    """The rows of a group member, chosen per vintage from its own and its group's rows.

    Per vintage: the member's own rows if there are any; else the group's rows whose
    ``form`` names the member (``Palladium``, ``Palladium content``) when ``narrow_forms``;
    else all the group's rows (the member is published only inside its group).
    """
    pattern = re.compile(rf"\b{re.escape(member_name)}\b", re.I)
    parts = []
    for _, rows in df.groupby("vintage", sort=True):
        own = rows[rows["commodity_id"] == member_id]
        if not own.empty:
            parts.append(own)
            continue
        group = rows[rows["commodity_id"] != member_id]
        if narrow_forms:
            named = group[group["form"].fillna("").map(lambda f: bool(pattern.search(f)))]
            if not named.empty:
                parts.append(named)
                continue
        parts.append(group)
    return pd.concat(parts) if parts else df.iloc[0:0]


def _nn(x):
    return None if x is None or pd.isna(x) else float(x)


def with_world_share(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``share``: value over the world total of the same series and unit.

    A series is (vintage, commodity, form, stage, measure, series label, year, unit). The
    share is computed only where the country's value and a single numeric world total
    exist; everything else stays null rather than becoming 0.
    """
    keys = ["vintage", "commodity_id", "form", "stage", "measure", "series_label", "year", "unit"]
    df = df.copy()
    key_frame = df[keys].astype("string").fillna("")
    # MCS 2023/2024 label the PGM world totals "World mine production: Platinum" beside the
    # countries' "Mine production: Platinum": the same series under the world's own label.
    labels = key_frame["series_label"].str.lower()
    world_rows = df["country_kind"] == "world"
    unprefixed = labels.str.replace(r"^world\s+", "", regex=True)
    country_labels = set(labels[~world_rows])
    key_frame["series_label"] = labels.where(~(world_rows & unprefixed.isin(country_labels)), unprefixed)
    df["_series"] = key_frame.agg("|".join, axis=1)
    world = df[(df["country_kind"] == "world") & df["value"].notna()]
    counts = world.groupby("_series").size()
    single = counts[counts == 1].index
    totals = world[world["_series"].isin(single)].set_index("_series")["value"]
    total = df["_series"].map(totals)
    share = df["value"] / total
    df["share"] = share.where((df["country_kind"] != "world") & total.notna() & (total > 0))
    return df.drop(columns="_series")


def imports(mineral: str) -> dict[str, pd.DataFrame]:
    """US import sources of a mineral.

    Returns
    -------
    dict
        ``shares``: MCS 2026 percentage shares by partner (2021-24), per form and source
        table; a block printed twice (in the commodity section and in Figure 3) is listed
        once, and ``also_in`` names the other table
        (:func:`critmin.analysis.dependency.distinct_share_blocks`); ``customs``: USITC DataWeb customs value (US$) of imports for consumption by
        partner and year for the HTS headings mapped to this mineral (empty when none is),
        with ``mixed`` and ``heading_note`` saying when a heading also holds other goods
        (8112 holds ten metals, 8505 all magnets): such a total is not a figure for this
        mineral alone.
    """
    from critmin.analysis.dependency import distinct_share_blocks
    from critmin.vocab.hts_headings import hts_headings

    commodity = vc.lookup(mineral)
    ids = [commodity.commodity_id] + ([commodity.group_id] if commodity.group_id else [])
    shares = store.query(
        """SELECT commodity_id AS commodity, vintage, form, partner_iso3 AS partner, partner_name,
                  partner_kind, period, value AS share_pct, qualifier, low, high, raw, notes, source_id
           FROM import_shares WHERE commodity_id IN (SELECT unnest(?))
           ORDER BY source_id, form, partner_kind = 'other', value DESC NULLS LAST""",
        [ids],
    )
    shares = distinct_share_blocks(shares).reset_index(drop=True)
    customs = store.query(
        """SELECT hts, description, partner_iso3 AS partner, partner_name, year, period,
                  value AS customs_value_usd, qualifier, unit, source_id
           FROM trade
           WHERE flow = 'imports' AND measure = 'customs_value'
             AND list_has_any(commodity_ids, ?)
           ORDER BY hts, year, value DESC NULLS LAST""",
        [ids],
    )
    headings = hts_headings()
    customs["mixed"] = customs["hts"].map(lambda h: headings[h].mixed if h in headings else None)
    customs["heading_note"] = customs["hts"].map(lambda h: headings[h].note if h in headings else None)
    return {"shares": shares, "customs": customs}


#: Statuses under which a measure restricts trade on the day asked about.
IN_EFFECT = ("in_force", "suspension_lapsed")


def tracker(
    today=None,
    country: str | None = None,
    mineral: str | None = None,
    *,
    since=None,
    user_folder=None,
    include_user: bool = True,
) -> dict:
    """Export controls, agreements and dates, with each one's status on ``today``.

    The register is the snapshot's measures (``export_controls``) and agreements
    (``agreements``), critmin's built-in status changes and dates, and the user's files
    (:mod:`critmin.register`); statuses follow from the dates
    (:mod:`critmin.analysis.tracker`): a suspension whose end has passed shows
    ``suspension_lapsed`` unless a later entry extends it.

    Parameters
    ----------
    today
        A date or ``YYYY-MM-DD``; default the computer's date.
    country
        ISO3 or name: measures of that country or aimed at it, agreements with it, and the
        dates that concern them (US policy dates concern every partner and are kept).
    mineral
        Id, name or symbol: measures covering it (or its group, or a member of it);
        agreements and general dates are kept.
    since
        Earliest date of ``dates`` (default: all recorded dates).
    user_folder, include_user
        Where the user's register files are (default :func:`critmin.register.user_dir`),
        and whether to read them.

    Returns
    -------
    dict
        ``today`` (ISO), ``next`` (the date to watch next, or ``date`` None and a
        ``message`` saying none is recorded), ``measures``, ``agreements`` and ``dates``
        (DataFrames), ``counts`` (measures by status).
    """
    import datetime as dt

    from critmin.analysis import tracker as tr

    day = _as_date(today) if today is not None else dt.date.today()
    start = _as_date(since) if since is not None else None
    entries = _register_entries(user_folder, include_user)
    statuses = tr.evaluate(entries, day)
    measures = [e for e in entries if e.kind == tr.MEASURE]
    agreements = [e for e in entries if e.kind == tr.AGREEMENT]
    if country:
        from critmin.vocab import countries as vk

        from critmin.errors import UnmappedNameError

        try:
            text = country.strip()
            iso = vk.resolve_code(text) if len(text) == 3 and text.isalpha() else vk.resolve_country(text).iso3
        except UnmappedNameError:
            raise CritminError(f"unknown country {country!r}; give an ISO3 code or a country name") from None
        measures = [e for e in measures if iso in (e.country_iso3, e.target_iso3)]
        agreements = [e for e in agreements if iso in e.partners]
    if mineral:
        c = vc.lookup(mineral)
        ids = {c.commodity_id, *([c.group_id] if c.group_id else []), *vc.members(c.commodity_id)}
        measures = [e for e in measures if ids & set(e.commodity_ids)]
    kept = {e.entry_id for e in measures + agreements}
    items = tr.calendar(entries, day)
    if country or mineral:
        items = [i for i in items if i["entry_id"] in kept or set(i["applies_to"]) & kept
                 or (i["kind"] == "date" and (not country or i["country"] in (None, iso) or i["category"] == "us_policy"))]
    nxt = tr.next_date(items, day)
    if start is not None:
        items = [i for i in items if i["date"] >= start.isoformat()]
    if nxt["date"] is not None:
        for i in items:
            i["is_next"] = i["date"] == nxt["date"] and i["status"] != "superseded"

    def text(d):
        return d.text() if d is not None else None

    mrows = []
    for e in measures:
        st = statuses[e.entry_id]
        mrows.append({
            "id": e.entry_id, "country": e.country_iso3, "target": e.target_iso3, "title": e.title,
            "materials": list(e.materials), "minerals": list(e.commodity_ids), "type": e.measure_type,
            "announced": text(e.announced), "effective": text(e.effective), "status": st.status,
            "in_effect": st.status in IN_EFFECT, "since": text(st.since), "until": text(st.until),
            "next_date": st.next_date.isoformat() if st.next_date else None, "next_what": st.next_what or None,
            "explanation": st.explanation, "needs_check": st.needs_check, "changes": list(st.changes),
            "verification": e.verification, "verification_note": e.verification_note or None,
            "source_url": e.source_url, "origin": e.origin, "notes": e.detail or None,
        })
    arows = []
    for e in agreements:
        st = statuses[e.entry_id]
        arows.append({
            "id": e.entry_id, "partners": list(e.partners), "title": e.title, "signed": text(e.date),
            "status": st.status, "since": text(st.since), "until": text(st.until),
            "next_date": st.next_date.isoformat() if st.next_date else None, "explanation": st.explanation,
            "focus": e.detail or None, "verification": e.verification, "source_url": e.source_url, "origin": e.origin,
        })
    mcols = ["id", "country", "target", "title", "materials", "minerals", "type", "announced", "effective", "status",
             "in_effect", "since", "until", "next_date", "next_what", "explanation", "needs_check", "changes",
             "verification", "verification_note", "source_url", "origin", "notes"]
    acols = ["id", "partners", "title", "signed", "status", "since", "until", "next_date", "explanation", "focus",
             "verification", "source_url", "origin"]
    mdf = pd.DataFrame(mrows, columns=mcols)
    order = {"announced": 0, "suspended": 1, "suspension_lapsed": 2, "in_force": 3, "expired": 4, "lifted": 5}
    if not mdf.empty:
        mdf = mdf.assign(_o=mdf["status"].map(order).fillna(9), _d=mdf["effective"].fillna(mdf["announced"]).fillna(""))
        mdf = mdf.sort_values(["_o", "_d", "id"], ascending=[True, False, True]).drop(columns=["_o", "_d"])
    return {
        "today": day.isoformat(),
        "next": nxt,
        "measures": mdf.reset_index(drop=True),
        "agreements": pd.DataFrame(arows, columns=acols),
        "dates": pd.DataFrame(items),
        "counts": {k: int(v) for k, v in mdf["status"].value_counts().items()} if not mdf.empty else {},
    }


def _snapshot_register_entries() -> list:
    from critmin import register as rg
    from critmin.analysis.inputs import read_tables

    tables = read_tables(["export_controls", "agreements"])
    return rg.snapshot_entries(tables["export_controls"], tables["agreements"])


_REGISTER_CACHE: dict[tuple, list] = {}
_REGISTER_LOCK = threading.Lock()


def _register_entries(user_folder=None, include_user: bool = True) -> list:
    """The whole register, read again only when the snapshot, the built-in file or a user
    file changed (a web server answers many tracker requests from one reading)."""
    from critmin import register as rg
    from critmin.snapshot import default_dir

    def stamp(path):
        try:
            st = path.stat()
        except OSError:
            return None
        return (str(path), st.st_mtime_ns, st.st_size)

    users = tuple(stamp(f) for f in rg.user_files(user_folder)) if include_user else ()
    key = (stamp(default_dir() / "manifest.json"), stamp(rg.BUILTIN), str(user_folder or rg.user_dir()), users)
    with _REGISTER_LOCK:  # concurrent first requests read the register once
        hit = _REGISTER_CACHE.get(key)
        if hit is None:
            hit = rg.register(_snapshot_register_entries(), user_folder=user_folder, include_user=include_user)
            _REGISTER_CACHE.clear()
            _REGISTER_CACHE[key] = hit
    return hit


def tracker_validate(path, *, user_folder=None) -> tuple[pd.DataFrame, list[str]]:
    """Check a register file (``docs/tracker.md``) against the whole register.

    Returns
    -------
    (DataFrame, list)
        Its entries (id, kind, title, country, date, status, until, applies_to,
        verification, origin) and the problems found, each naming file, row and field;
        an empty list means the file can be added.
    """
    from critmin import register as rg

    entries, problems = rg.validate_file(path, _snapshot_register_entries(), user_folder=user_folder)
    return rg.entries_frame(entries), [str(p) for p in problems]


def tracker_add(path, *, replace: bool = False, user_folder=None) -> tuple[str, pd.DataFrame]:
    """Validate a register file and store it in the user's register folder.

    Raises :class:`critmin.register.RegisterError` (file, row, field) when it does not
    validate; nothing is written then. Returns the stored path and the file's entries.
    """
    from critmin import register as rg

    dest, entries = rg.add_file(path, _snapshot_register_entries(), user_folder=user_folder, replace=replace)
    return str(dest), rg.entries_frame(entries)


def _as_date(value):
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CritminError(f"not a date: {value!r}; expected YYYY-MM-DD") from None


def sources() -> pd.DataFrame:
    """The manifest's sources: id, title, publisher, vintage, citation, DOI, licence, rows."""
    from critmin.snapshot import load_manifest

    m = load_manifest()
    rows = []
    for s in m["sources"]:
        rows.append(
            {
                "source_id": s["source_id"],
                "title": s["title"],
                "publisher": s["publisher"],
                "vintage": s.get("vintage"),
                "citation": s["citation"],
                "doi": s.get("doi", ""),
                "licence": s["licence"],
                "files": len(s["files"]),
                "rows": sum(s["rows"].values()),
                "rows_by_table": json.dumps(s["rows"], sort_keys=True),
            }
        )
    return pd.DataFrame(rows)


def tables() -> pd.DataFrame:
    """The snapshot's tables with their row counts and descriptions."""
    from critmin.snapshot import load_manifest

    m = load_manifest()
    return pd.DataFrame(
        [{"table": k, "rows": v["rows"], "description": v["description"]} for k, v in m["tables"].items()]
    )


# ---------------------------------------------------------------- world trade (CEPII BACI)

TRADE_MEASURES = ("value", "gross_t", "content_t")
_TRADE_COLS = ("year, hs6, exporter_code, exporter_iso3, exporter_kind, exporter_name, importer_code, importer_iso3, "
               "importer_kind, importer_name, value_usd, quantity_kg, quantity_qualifier")


def _country_arg(code: str | None, what: str) -> str | None:
    """An ISO3 code or a bloc name (EU27) as the user typed it, checked."""
    from critmin.analysis import trade as tr
    from critmin.vocab import countries as vk

    if code is None:
        return None
    text = str(code).strip()
    if text.upper() in tr.BLOCS:
        return text.upper()
    try:
        return vk.resolve_code(text)
    except Exception:
        pass
    try:
        ref = vk.resolve_country(text)
        if ref.iso3:
            return ref.iso3
    except Exception:
        pass
    raise CritminError(f"unknown {what} {code!r}; give an ISO3 code such as USA, CHN, JPN, or EU27")


def trade_codes(mineral: str, stage: str | None = None) -> pd.DataFrame:
    """The HS1992 codes of BACI read as ``mineral`` (at ``stage``), from the concordance."""
    from critmin.vocab import hs6_concordance as hc

    commodity = vc.lookup(mineral)
    if stage is not None and stage not in ("mine", "processing", "products", "scrap"):
        raise CritminError(f"unknown stage {stage!r}; choose mine, processing, products or scrap")
    ids = [commodity.commodity_id] + ([commodity.group_id] if commodity.group_id else [])
    t = hc.table()
    rows = t[t["commodity_id"].isin(ids) & (t["scope"] == "in_scope")]
    if stage is not None:
        rows = rows[rows["stage"].str.split("|").map(lambda s: stage in s)]
    return rows.reset_index(drop=True)


def trade(
    mineral: str,
    stage: str | None = None,
    importer: str | None = None,
    exporter: str | None = None,
    year: int | None = None,
    measure: str = "value",
    over_time: bool = False,
) -> pd.DataFrame:
    """World trade of a mineral from CEPII BACI (HS1992, 1995-2024).

    Parameters
    ----------
    mineral
        A mineral id, name or symbol. Its codes come from the concordance
        (:func:`trade_codes`); an element inside a group (neodymium) is traded only as the
        group's codes (rare-earth compounds), which are then said to be the group's.
    stage
        ``mine`` or ``processing`` (default both).
    importer, exporter
        ISO3 codes, or ``EU27`` (extra-EU trade only).
    year
        Default the latest year with data for the codes.
    measure
        ``value`` (US$), ``gross_t`` (tonnes as traded) or ``content_t`` (tonnes of the
        content basis; refused for codes without a defensible factor).
    over_time
        One row per year: the share of ``exporter`` in world exports (or of ``importer``
        in world imports, or of ``exporter`` in ``importer``'s imports), 1995-2024.

    Returns
    -------
    DataFrame
        Partner shares (columns of :data:`critmin.analysis.trade.SHARE_COLUMNS` plus
        ``role``, ``commodity_id``, ``stage``, ``codes``): world exporters (no country
        given), an importer's sources, an exporter's destinations, or one flow by code
        (both given). ``attrs['note']`` says which codes were read and how.
    """
    from critmin.analysis import trade as tr

    if measure not in TRADE_MEASURES:
        raise CritminError(f"unknown measure {measure!r}; choose value, gross_t or content_t")
    commodity = vc.lookup(mineral)
    codes_df = trade_codes(commodity.commodity_id, stage)
    codes_df = codes_df[codes_df["stage"].str.split("|").map(lambda s: bool(set(s) & {"mine", "processing"}))]
    if codes_df.empty:
        from critmin.vocab import hs6_concordance as hc

        mixed = [e.hs6 for e in hc.entries().values() if commodity.commodity_id in e.members and e.commodity_id != commodity.commodity_id]
        why = (f"; {', '.join(mixed)} {'mixes' if len(mixed) == 1 else 'mix'} it with other minerals and "
               f"{'is' if len(mixed) == 1 else 'are'} never read as its figure") if mixed else ""
        raise CritminError(f"no HS1992 code of the BACI extract reads as {commodity.commodity_id}"
                           + (f" at the {stage} stage" if stage else "") + why)
    codes = list(codes_df["hs6"])
    imp, exp = _country_arg(importer, "importer"), _country_arg(exporter, "exporter")
    sql = f"SELECT {_TRADE_COLS} FROM world_trade WHERE hs6 IN (SELECT unnest(?))"
    params: list = [codes]
    if year is not None and not over_time:
        sql += " AND year = ?"
        params.append(int(year))
    rows = store.query(sql, params)
    if rows.empty:
        raise CritminError(f"no BACI flows of HS {', '.join(codes)}" + (f" in {year}" if year else ""))
    if year is None and not over_time:
        rows = rows[rows["year"] == rows["year"].max()]
    world = rows
    if imp is not None:
        rows = tr.importer_rows(rows, imp)
    if exp is not None:
        rows = tr.exporter_rows(rows, exp)
    try:
        if over_time:
            if exp is not None:
                base = tr.importer_rows(world, imp) if imp is not None else world
                out = tr.country_share_series(base, exp, "exporter", measure)
                role = f"{exp} share of {'world' if imp is None else imp} imports" if imp else f"{exp} share of world exports"
            elif imp is not None:
                out = tr.country_share_series(world, imp, "importer", measure)
                role = f"{imp} share of world imports"
            else:
                raise CritminError("over_time needs an exporter or an importer")
        elif imp is not None and exp is None:
            out, role = tr.partner_shares(rows, "exporter", measure), f"sources of {imp}'s imports"
        elif exp is not None and imp is None:
            out, role = tr.partner_shares(rows, "importer", measure), f"destinations of {exp}'s exports"
        elif exp is not None and imp is not None:
            rows = rows.assign(exporter_name=rows["hs6"], exporter_iso3=rows["hs6"])
            out, role = tr.partner_shares(rows, "exporter", measure), f"{exp} to {imp} by HS code"
        else:
            out, role = tr.partner_shares(rows, "exporter", measure), "world exporters"
    except ValueError as exc:
        raise CritminError(str(exc)) from None
    out = out.assign(role=role, commodity_id=commodity.commodity_id, stage=stage or "all", codes=", ".join(codes))
    mixed = codes_df[codes_df["mixed"]]
    notes = [f"HS1992 codes {', '.join(codes)} ({'; '.join(codes_df['form'])})"]
    if len(mixed):
        notes.append(f"{', '.join(mixed['hs6'])} mix several minerals: read as {', '.join(sorted(set(mixed['commodity_id'])))} as a whole")
    if commodity.group_id and commodity.commodity_id not in set(codes_df["commodity_id"]):
        notes.append(f"{commodity.commodity_id} is traded only within the {commodity.group_id} codes")
    out.attrs["note"] = "; ".join(notes)
    return out.reset_index(drop=True)


def us_import_sources_compared(mineral: str, years: tuple[int, ...] = (2021, 2022, 2023, 2024)) -> pd.DataFrame:
    """US import sources of a mineral from BACI (pooled ``years``) next to the USGS published
    shares (MCS 2026, 2021-24) and the USITC customs values of the same years."""
    from critmin.analysis import dependency as dep
    from critmin.analysis import trade as tr

    commodity = vc.lookup(mineral)
    codes = list(trade_codes(commodity.commodity_id)["hs6"])
    rows = store.query(f"SELECT {_TRADE_COLS} FROM world_trade WHERE importer_iso3 = 'USA' AND hs6 IN (SELECT unnest(?))",
                       [codes or ["------"]])
    imp = imports(commodity.commodity_id)
    shares = imp["shares"].rename(columns={"partner": "partner_iso3", "share_pct": "value"})
    customs = imp["customs"].rename(columns={"partner": "partner_iso3", "customs_value_usd": "value"})
    customs = customs[customs["period"] == "annual"] if not customs.empty else customs
    _ = dep  # customs values come from the trade table as the imports() view reads them
    return tr.us_import_comparison(rows, shares, customs, commodity.commodity_id, years)


def geopolrisk(importer: str = "USA", year: int | None = None, list_year: int | None = 2025,
               mineral: str | None = None) -> pd.DataFrame:
    """GeoPolRisk for any importer (ISO3 or ``EU27``) and year on bilateral trade (BACI),
    with the breakdown; the US also uses the USGS published import shares and salient
    statistics where BACI has no code of a stage. See
    :func:`critmin.analysis.risk.geopolrisk.score_bilateral`."""
    from critmin.analysis import inputs as ai
    from critmin.analysis import risk

    _check_list(list_year)
    imp = _country_arg(importer, "importer") or "USA"
    tables = ai.read_tables(importer=imp)
    inputs = ai.build_inputs(tables, importer=imp, year=year)
    ids = None
    if mineral is not None:
        ids = [vc.lookup(mineral).commodity_id]
    elif list_year is not None:
        # from the catalogue, so a listed mineral without any data is shown as insufficient, not left out
        cat = tables["commodities"]
        ids = sorted(cat.loc[cat[f"on_list_{list_year}"].astype(bool) & ~cat["is_group"].astype(bool), "commodity_id"])
    df = risk.rank(inputs, "geopolrisk", None, commodities=ids)
    return df.assign(importer=imp)


def production_compared(mineral: str | None = None) -> pd.DataFrame:
    """USGS MCS and World Mining Data production side by side per mineral, stage, country and
    year, flagged where they differ by more than 10% (never merged); see
    :func:`critmin.analysis.reconciliation.production_reconciliation`."""
    from critmin.analysis import reconciliation as rec

    cid = vc.lookup(mineral).commodity_id if mineral is not None else None
    where = "WHERE commodity_id = ?" if cid else ""
    params = [cid] if cid else []
    prod = store.query(f"SELECT * FROM production {where}", params)
    wmd = store.query(f"SELECT * FROM wmd_production {where}", params)
    return rec.production_reconciliation(prod, wmd, cid)


def exposure(bill, scenarios=(), rules=(), year: int = 2026):
    """A company's exposure from its bill of materials (see :func:`critmin.exposure.assess`).

    Returns an :class:`~critmin.exposure.ExposureResult` of tidy DataFrames (``company``,
    ``indicators``, ``cost_summary``, ``eligibility``, ``diversification``, ...).
    """
    from critmin.exposure import assess

    return assess(bill, scenarios=scenarios, rule_sets=rules, year=year, years=(year,))


__all__ = [
    "exposure",
    "minerals", "nir", "nir_summary", "production", "imports", "sources", "tables", "vintages", "member_rows", "tracker",
    "tracker_add", "tracker_validate",
    "reliance_class", "reliance_rank", "with_world_share", "Qualifier",
    "trade", "trade_codes", "us_import_sources_compared", "geopolrisk", "production_compared",
]


def markets(list_year: int = 2025) -> pd.DataFrame:
    """Every mineral-stage market of the chain engine with its status.

    One row per (mineral, stage) of the ``list_year`` critical-mineral list plus rare earths:
    ``status`` ``calibrated`` (with ``basis``, ``unit``, ``price_unit``, ``price``,
    ``price_series``, ``regions``, ``flow_method``, ``bounded`` and ``sources``) or
    ``missing`` (``missing`` says exactly what the knowledge base lacks). The markets
    themselves: :func:`critmin.model.kb.calibrate_market`.
    """
    from critmin.model.kb import markets as _markets

    return _markets(list_year)

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

from critmin import kb
from critmin.analysis import dependency as dep
from critmin.errors import CritminError, InvalidRequestError
from critmin.snapshot.manifest import per_snapshot
from critmin.values import Qualifier, format_value
from critmin.vocab import commodities as vc

LIST_YEARS = dep.LIST_YEARS
#: Qualifier used in API output for a listed mineral that has no row in the published table.
NOT_PUBLISHED = dep.NOT_PUBLISHED
LIST_SCOPE = dep.LIST_SCOPE
reliance_rank = dep.reliance_rank
reliance_class = dep.reliance_class
headline_list = dep.headline_list


def _check_list(list_year: int | None) -> None:
    if list_year is not None and list_year not in LIST_YEARS:
        raise InvalidRequestError(f"unknown list year {list_year}; choose one of {', '.join(map(str, LIST_YEARS))}")


def minerals(list_year: int | None = None) -> pd.DataFrame:
    """The commodity catalogue: id, name, symbol, group and members, list memberships.

    Parameters
    ----------
    list_year
        2018, 2022 or 2025 to keep only the minerals on that US critical-mineral list
        (individual elements; group entries are shown through their members).
    """
    _check_list(list_year)
    df = kb.commodities()
    if list_year is not None:
        df = df[df["commodity_id"].isin(kb.listed_ids(list_year))]
    df = df.copy()
    df["members"] = df["members"].map(lambda m: list(m) if m is not None else [])
    return df.sort_values("commodity_id").reset_index(drop=True)


def vintages(table: str) -> list[int]:
    """Vintages (release years) present in a table, oldest first."""
    return kb.vintages(table)


def _resolve_vintage(table: str, vintage: int | None) -> int:
    available = vintages(table)
    if not available:
        raise CritminError(f"the snapshot has no {table} data")
    if vintage is None:
        return available[-1]
    if vintage not in available:
        raise CritminError(f"no {table} data for vintage {vintage}; available: {', '.join(map(str, available))}")
    return vintage


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
    figure = kb.nir_figure(v)
    if list_year is not None:
        listed = kb.listed_minerals(list_year)
        figure = dep.mineral_reliance(figure, kb.salient_reliance(v), listed)
        figure = figure.assign(_o=[-dep.reliance_rank(a, q, lo, hi) for a, q, lo, hi in
                                   zip(figure["value"], figure["qualifier"], figure["low"], figure["high"])])
        figure = figure.sort_values(["_o", "commodity_id"], kind="stable").drop(columns="_o")
    else:
        figure = figure.assign(via_group=None, nir_table="figure")

    def objects(col):
        return figure[col].astype(object).where(figure[col].notna(), None)

    out = pd.DataFrame(
        {
            "commodity": figure["commodity_id"],
            "name": figure["name"],
            "vintage": figure["vintage"].astype(int),
            "year": figure["year"].astype(int),
            "form": figure["form"].fillna(""),
            "published_name": objects("published_name"),
            "nir_value": objects("value"),
            "nir_qualifier": figure["qualifier"],
            "nir_low": objects("low"),
            "nir_high": objects("high"),
            "import_sources": figure["import_sources"].map(dep._as_list),
            "import_sources_iso3": figure["import_sources_iso3"].map(dep._as_list),
            "rank": [None if r is None or pd.isna(r) else int(r) for r in figure["rank"]],
            "on_list_2018": figure["on_list_2018"].astype(bool),
            "on_list_2022": figure["on_list_2022"].astype(bool),
            "on_list_2025": figure["on_list_2025"].astype(bool),
            "via_group": objects("via_group"),
            "nir_table": objects("nir_table"),
        }
    )
    out["nir_display"] = [
        format_value(val, q, lo, hi) if q != NOT_PUBLISHED else "not published"
        for val, q, lo, hi in zip(out["nir_value"], out["nir_qualifier"], out["nir_low"], out["nir_high"])
    ]
    out["reliance_class"] = [
        dep.reliance_class(val, q, lo, hi)
        for val, q, lo, hi in zip(out["nir_value"], out["nir_qualifier"], out["nir_low"], out["nir_high"])
    ]
    return out.reset_index(drop=True)


def nir_summary(table: pd.DataFrame) -> dict[str, int]:
    """Counts behind "N at 100%, M more above 50%" for a table from :func:`nir` with a list
    year (:func:`critmin.analysis.dependency.reliance_counts`)."""
    return dep.reliance_counts(table["reliance_class"])


def headline(vintage: int | None = None, list_year: int | None = None) -> dict:
    """The headline counts of a release: "N at 100 %, M more above 50 %" per mineral of a
    list, with the release, the year and the list they refer to.

    Parameters
    ----------
    vintage
        MCS release year; default the latest.
    list_year
        The list whose minerals are counted; default the list the release refers to
        (:func:`critmin.analysis.dependency.headline_list`: the 2022 list for MCS 2023-2025,
        the 2025 list for MCS 2026).
    """
    v = _resolve_vintage("nir", vintage)
    lst = list_year if list_year is not None else dep.headline_list(v)
    _check_list(lst)
    listed = kb.listed_ids(lst)
    counts = nir_summary(nir(v, lst)) if listed else dep.reliance_counts([])
    return {"vintage": v, "year": v - 1, "list_year": lst, **counts}


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
        ``share`` (of the world total of the same series,
        :func:`critmin.analysis.concentration.world_shares`: the denominator the
        concentration of the series uses; null where the figure is not a number, the series
        has no usable total or is a fragment of a sibling series), ``share_qualifier``
        (``exact`` or ``estimated``), ``share_basis``, ``share_note``, ``notes``,
        ``source_id``.
    """
    commodity = vc.lookup(mineral)
    cid = commodity.commodity_id
    if stage is not None and stage not in ("mine", "processing", "unspecified"):
        raise InvalidRequestError(f"unknown stage {stage!r}; choose mine, processing or unspecified")
    if measure not in ("production", "capacity", "reserves"):
        raise InvalidRequestError(f"unknown measure {measure!r}; choose production, capacity or reserves")
    ids = [cid]
    if commodity.group_id:
        ids.append(commodity.group_id)
    df = kb.production(ids, measure)
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
    from critmin.analysis.concentration import world_shares

    df = world_shares(df)
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
            "share_qualifier": df["share_qualifier"],
            "share_basis": df["share_basis"],
            "share_note": df["share_note"],
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
    shares = distinct_share_blocks(kb.import_shares(ids)).reset_index(drop=True)
    customs = kb.customs(ids)
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
            raise InvalidRequestError(f"unknown country {country!r}; give an ISO3 code or a country name") from None
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


def export_controls(country: str | None = None, mineral: str | None = None, status: str | None = None) -> pd.DataFrame:
    """The export-control register as published (``export_controls`` table) with the
    restricting country's name, latest first; ``country`` (ISO3), ``mineral`` (it or its
    group) and ``status`` (the published status starts with it: ``active``, ``suspended``...)
    narrow it. The statuses computed for a day are :func:`tracker`'s."""
    df = kb.export_controls_named()
    if country:
        df = df[df["country_iso3"] == country.upper()]
    if mineral:
        c = vc.lookup(mineral)
        df = df[df["commodity_id"].isin([c.commodity_id] + ([c.group_id] if c.group_id else []))]
    if status:
        df = df[df["status"].fillna("").str.lower().str.startswith(status.lower())]
    return df.reset_index(drop=True)


def agreements(country: str | None = None) -> pd.DataFrame:
    """US critical-mineral agreements with the partner's name and groups, latest first."""
    df = kb.agreements_named()
    if country:
        df = df[df["country_iso3"] == country.upper()]
    return df.reset_index(drop=True)


def tracker_summary(today=None) -> dict:
    """The tracker's headline: measures by published status and by status on ``today``,
    countries with measures, agreements and partners, and the next date to watch."""
    import datetime as dt

    day = _as_date(today) if today is not None else dt.date.today()
    controls = kb.export_control_measures()
    # the published status's first word: "suspended until 2026-11-10" counts as suspended
    status = controls["status"].fillna("unknown").str.split().str[0].str.strip(" ,;(").str.lower()
    counts = kb.agreement_counts()
    now = tracker(day)
    return {
        "today": day.isoformat(),
        "measures": int(len(controls)),
        "measures_by_status": {k: int(v) for k, v in status.value_counts().items()},
        "measures_by_status_today": now["counts"],
        "countries_with_measures": int(controls["country_iso3"].nunique()),
        "agreements": counts["agreements"],
        "agreement_partners": counts["partners"],
        "next_date": now["next"] if now["next"]["date"] else None,
        "next_message": now["next"]["message"],
    }


def _snapshot_register_entries() -> list:
    from critmin import register as rg

    tables = kb.read_tables(["export_controls", "agreements"])
    return rg.snapshot_entries(tables["export_controls"], tables["agreements"])


_REGISTER_CACHE: dict[tuple, list] = {}
_REGISTER_LOCK = threading.Lock()


def _register_entries(user_folder=None, include_user: bool = True) -> list:
    """The whole register, read again only when the snapshot (its fingerprint) or a register
    file (:func:`critmin.register.state`) changed: a web server answers many tracker
    requests from one reading."""
    from critmin import register as rg
    from critmin.snapshot import fingerprint

    key = (fingerprint(), rg.state(user_folder, include_user))
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
        raise InvalidRequestError(f"not a date: {value!r}; expected YYYY-MM-DD") from None


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


def table_vintages() -> dict[str, list[int]]:
    """The vintages (release years) present in every table that has them."""
    from critmin.snapshot import load_manifest

    return {name: vintages(name) for name, entry in load_manifest()["tables"].items()
            if "vintage" in entry.get("columns", {})}


def countries() -> pd.DataFrame:
    """Every country code the snapshot uses, with its name, group flags (G7, USMCA, FEOC,
    EU27) and ISO 3166 numeric code (what world maps key on; null for a code pycountry
    does not know)."""
    import pycountry

    df = kb.countries()

    def numeric(iso3: str) -> str | None:
        c = pycountry.countries.get(alpha_3=iso3)
        return c.numeric if c else None

    return df.assign(iso_numeric=[numeric(c) for c in df["iso3"]])


def tables() -> pd.DataFrame:
    """The snapshot's tables with their row counts and descriptions."""
    from critmin.snapshot import load_manifest

    m = load_manifest()
    return pd.DataFrame(
        [{"table": k, "rows": v["rows"], "description": v["description"]} for k, v in m["tables"].items()]
    )


# ---------------------------------------------------------------- world trade (CEPII BACI)

TRADE_MEASURES = ("value", "gross_t", "content_t")
TRADE_STAGES = ("mine", "processing")
#: The source line every world-trade answer carries.
TRADE_SOURCE = "CEPII BACI HS92 V202401b (Gaulier and Zignago 2010), Etalab Open Licence 2.0"


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
    raise InvalidRequestError(f"unknown {what} {code!r}; give an ISO3 code such as USA, CHN, JPN, or EU27")


def trade_codes(mineral: str, stage: str | None = None) -> pd.DataFrame:
    """The HS1992 codes of BACI read as ``mineral`` (at ``stage``), from the concordance."""
    from critmin.vocab import hs6_concordance as hc

    commodity = vc.lookup(mineral)
    if stage is not None and stage not in ("mine", "processing", "products", "scrap"):
        raise InvalidRequestError(f"unknown stage {stage!r}; choose mine, processing, products or scrap")
    ids = [commodity.commodity_id] + ([commodity.group_id] if commodity.group_id else [])
    t = hc.table()
    rows = t[t["commodity_id"].isin(ids) & (t["scope"] == "in_scope")]
    if stage is not None:
        # astype(bool): an empty object-dtype mask would select columns, not rows (KeyError 'stage' later)
        rows = rows[rows["stage"].str.split("|").map(lambda s: stage in s).astype(bool)]
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

    commodity, codes_df = _trade_scope(mineral, stage, measure)
    codes = list(codes_df["hs6"])
    imp, exp = _country_arg(importer, "importer"), _country_arg(exporter, "exporter")
    rows = kb.world_trade(codes, year if not over_time else None)
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
                raise InvalidRequestError("over_time needs an exporter or an importer")
        elif imp is not None and exp is None:
            out, role = tr.partner_shares(rows, "exporter", measure), f"sources of {imp}'s imports"
        elif exp is not None and imp is None:
            out, role = tr.partner_shares(rows, "importer", measure), f"destinations of {exp}'s exports"
        elif exp is not None and imp is not None:
            rows = rows.assign(exporter_name=rows["hs6"], exporter_iso3=rows["hs6"])
            out, role = tr.partner_shares(rows, "exporter", measure), f"{exp} to {imp} by HS code"
        else:
            out, role = tr.partner_shares(rows, "exporter", measure), "world exporters"
    except ValueError as exc:  # a measure the codes cannot be given in (content_t without a factor)
        raise InvalidRequestError(str(exc)) from None
    out = out.assign(role=role, commodity_id=commodity.commodity_id, stage=stage or "all", codes=", ".join(codes),
                     measure=measure, unit=tr.unit_of(measure, codes))
    out.attrs["note"] = _trade_note(commodity, codes_df)
    out.attrs["source"] = TRADE_SOURCE
    return out.reset_index(drop=True)


def _trade_scope(mineral: str, stage: str | None, measure: str):
    """The commodity and the concordance rows of its mine and processing codes, checked."""
    if measure not in TRADE_MEASURES:
        raise InvalidRequestError(f"unknown measure {measure!r}; choose value, gross_t or content_t")
    if stage is not None and stage not in TRADE_STAGES:
        raise InvalidRequestError(f"unknown stage {stage!r}; choose mine or processing")
    commodity = vc.lookup(mineral)
    codes_df = trade_codes(commodity.commodity_id, stage)
    codes_df = codes_df[codes_df["stage"].str.split("|").map(lambda s: bool(set(s) & set(TRADE_STAGES))).astype(bool)]
    if codes_df.empty:
        from critmin.vocab import hs6_concordance as hc

        mixed = [e.hs6 for e in hc.entries().values() if commodity.commodity_id in e.members and e.commodity_id != commodity.commodity_id]
        why = (f"; {', '.join(mixed)} {'mixes' if len(mixed) == 1 else 'mix'} it with other minerals and "
               f"{'is' if len(mixed) == 1 else 'are'} never read as its figure") if mixed else ""
        raise CritminError(f"no HS1992 code of the BACI extract reads as {commodity.commodity_id}"
                           + (f" at the {stage} stage" if stage else "") + why)
    return commodity, codes_df


def _trade_note(commodity, codes_df: pd.DataFrame) -> str:
    """Which codes were read, and how (mixed codes, a member traded within its group's codes)."""
    codes = list(codes_df["hs6"])
    mixed = codes_df[codes_df["mixed"]]
    notes = [f"HS1992 codes {', '.join(codes)} ({'; '.join(codes_df['form'])})"]
    if len(mixed):
        notes.append(f"{', '.join(mixed['hs6'])} mix several minerals: read as {', '.join(sorted(set(mixed['commodity_id'])))} as a whole")
    if commodity.group_id and commodity.commodity_id not in set(codes_df["commodity_id"]):
        notes.append(f"{commodity.commodity_id} is traded only within the {commodity.group_id} codes")
    return "; ".join(notes)


def trade_matrix(mineral: str, stage: str | None = None, year: int | None = None, measure: str = "value",
                 top: int = 10) -> pd.DataFrame:
    """A bilateral matrix of one year's world trade of a mineral: the ``top`` exporters by
    importers, the rest summed into ``Other`` (so the matrix total is the year's total), for
    a flow diagram (:func:`critmin.analysis.trade.bilateral_matrix`).

    Returns
    -------
    DataFrame
        Long form, one row per exporter and importer with a flow: ``exporter``,
        ``importer`` (ISO3, a BACI aggregate's name, or ``Other``), ``amount`` (the measure's
        unit; the low end for ``content_t``), ``share`` (of the matrix total), ``year``,
        ``measure``, ``unit``, ``commodity_id``, ``stage``, ``codes``. ``attrs`` carry
        ``note`` and ``source`` as :func:`trade` does.
    """
    from critmin.analysis import trade as tr

    commodity, codes_df = _trade_scope(mineral, stage, measure)
    codes = list(codes_df["hs6"])
    rows = kb.world_trade(codes, year)
    if rows.empty:
        raise CritminError(f"no BACI flows of HS {', '.join(codes)}" + (f" in {year}" if year else ""))
    rows = rows[rows["year"] == rows["year"].max()]
    try:
        m = tr.bilateral_matrix(rows, measure, top=top)
    except ValueError as exc:
        raise InvalidRequestError(str(exc)) from None
    long = m.stack().rename("amount").reset_index()
    long = long[long["amount"] > 0]
    total = float(long["amount"].sum())
    out = long.assign(share=long["amount"] / total if total > 0 else float("nan"), year=int(rows["year"].iloc[0]),
                      measure=measure, unit=tr.unit_of(measure, codes), commodity_id=commodity.commodity_id, stage=stage or "all",
                      codes=", ".join(codes))
    out = out.sort_values(["amount", "exporter", "importer"], ascending=[False, True, True]).reset_index(drop=True)
    out.attrs["note"] = _trade_note(commodity, codes_df)
    out.attrs["source"] = TRADE_SOURCE
    return out


def us_import_sources_compared(mineral: str, years: tuple[int, ...] = (2021, 2022, 2023, 2024)) -> pd.DataFrame:
    """US import sources of a mineral from BACI (pooled ``years``) next to the USGS published
    shares (MCS 2026, 2021-24) and the USITC customs values of the same years."""
    from critmin.analysis import trade as tr

    commodity = vc.lookup(mineral)
    codes = list(trade_codes(commodity.commodity_id)["hs6"])
    rows = kb.world_trade(codes, importer_iso3="USA")
    imp = imports(commodity.commodity_id)
    shares = imp["shares"].rename(columns={"partner": "partner_iso3", "share_pct": "value"})
    customs = imp["customs"].rename(columns={"partner": "partner_iso3", "customs_value_usd": "value"})
    customs = customs[customs["period"] == "annual"] if not customs.empty else customs
    return tr.us_import_comparison(rows, shares, customs, commodity.commodity_id, years)


def geopolrisk(importer: str = "USA", year: int | None = None, list_year: int | None = 2025,
               mineral: str | None = None) -> pd.DataFrame:
    """GeoPolRisk for any importer (ISO3 or ``EU27``) and year on bilateral trade (BACI),
    with the breakdown; the US also uses the USGS published import shares and salient
    statistics where BACI has no code of a stage. See
    :func:`critmin.analysis.risk.geopolrisk.score_bilateral`."""
    from critmin.analysis import risk

    _check_list(list_year)
    imp = _country_arg(importer, "importer") or "USA"
    tables = analysis_tables(imp)
    inputs = risk_inputs(imp, year)
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
    prod = kb.usgs_production(cid)
    wmd = kb.wmd_production(cid)
    return rec.production_reconciliation(prod, wmd, cid)


# ---------------------------------------------------------------- concentration, risk, the overview
#: Stages the concentration and risk functions take.
RISK_STAGES = ("mine", "processing")


@per_snapshot(maxsize=4)
def analysis_tables(importer: str = "USA") -> dict[str, pd.DataFrame]:
    """The snapshot tables the analysis takes (:func:`critmin.kb.read_tables`), read once per
    snapshot and importer. Shared: callers must not modify them."""
    return kb.read_tables(importer=importer)


@per_snapshot(maxsize=4)
def risk_inputs(importer: str = "USA", year: int | None = None):
    """:func:`critmin.analysis.inputs.build_inputs` of the snapshot for an importer (ISO3 or
    ``EU27``) and trade year, built once per snapshot: every figure the risk methods, the
    concentration views, the overview and the dossiers show comes from it."""
    from critmin.analysis import inputs as ai

    return ai.build_inputs(analysis_tables(importer), importer=importer, year=year)


def _ids_of(commodity) -> list[str]:
    return [commodity.commodity_id] + ([commodity.group_id] if commodity.group_id else [])


def _check_stage(stage: str | None) -> None:
    if stage is not None and stage not in RISK_STAGES:
        raise InvalidRequestError(f"unknown stage {stage!r}; choose mine or processing")


def concentration(mineral: str | None = None, stage: str | None = None, primary_only: bool = True) -> pd.DataFrame:
    """Concentration of every USGS MCS production series (vintages 2023-2026): HHI, top
    producer, China's and the US share (:func:`critmin.analysis.concentration.concentration_table`).

    With ``mineral``: its own series, else its group's; ``primary_only`` keeps the series
    used for each (vintage, stage, year). Raises :class:`CritminError` when the mineral has
    no mine- or processing-stage series.
    """
    _check_stage(stage)
    df = risk_inputs().concentration
    if mineral is not None:
        c = vc.lookup(mineral)
        df = df[df["commodity_id"].isin(_ids_of(c))]
        if (df["commodity_id"] == c.commodity_id).any():
            df = df[df["commodity_id"] == c.commodity_id]
        if df.empty:
            raise CritminError(f"no mine- or processing-stage production series for {c.name} in the snapshot")
    if stage is not None:
        df = df[df["stage"] == stage]
    if primary_only:
        df = df[df["primary"]]
    return df.sort_values(["commodity_id", "stage", "vintage", "year"]).reset_index(drop=True)


#: Columns of :func:`stages`.
STAGE_COLUMNS = ["commodity_id", "stage", "derived_from", "origin", "year", "vintage", "series_label", "unit", "hhi",
                 "hhi_max", "top1_country", "top1_share", "share_qualifier", "china_share", "us_share", "us_status",
                 "n_producers", "status", "status_reason", "unknown_countries", "via_group", "source_id", "shares"]


def stages(mineral: str, stage: str | None = None) -> pd.DataFrame:
    """The concentration every interface shows for a mineral, one row per stage.

    Per stage the series :func:`critmin.analysis.concentration.stage_view` chooses: the
    latest usable USGS MCS series, else World Mining Data production, else the EU CRM 2023
    shares, else world export shares from BACI; ``derived_from`` says which
    (``usgs_production``, ``wmd_production``, ``eu_crm_2023_shares``, ``baci_exports``).
    ``shares`` lists every producer's share (``country``, ``share_low``, ``share_high``;
    a share published only as a bound is an interval) and ``top1_*``, ``hhi`` and
    ``share_qualifier`` are those of the dossier, the overview and ``critmin gap``. A
    member published only within its group takes the group's, and ``via_group`` says so.
    """
    _check_stage(stage)
    c = vc.lookup(mineral)
    inputs = risk_inputs()
    m = inputs.minerals.get(c.commodity_id)
    view = inputs.stage_view
    view = view[view["commodity_id"] == c.commodity_id].set_index("stage")
    rows = []
    for st in RISK_STAGES:
        sd = m.stages.get(st) if m is not None else None
        if sd is None or (stage is not None and st != stage):
            continue
        v = view.loc[st] if st in view.index else None
        shares = sorted(sd.shares.items(), key=lambda kv: (-kv[1].low, -kv[1].high, str(kv[0])))
        rows.append({
            "commodity_id": c.commodity_id, "stage": st, "derived_from": sd.derived_from, "origin": sd.origin,
            "year": sd.year, "vintage": sd.vintage, "series_label": sd.series_label, "unit": sd.unit, "hhi": sd.hhi,
            "hhi_max": sd.hhi_max, "top1_country": sd.top1_country, "top1_share": sd.top1_share,
            "share_qualifier": sd.share_qualifier, "china_share": sd.china_share,
            "us_share": _nn(v["us_share"]) if v is not None else None, "us_status": v["us_status"] if v is not None else None,
            "n_producers": sum(1 for _, iv in shares if iv.high > 0), "status": sd.status,
            "status_reason": sd.status_reason, "unknown_countries": list(sd.unknown_countries),
            "via_group": v["via_group"] if v is not None else None, "source_id": sd.source_id,
            "shares": [{"country": iso, "share_low": iv.low, "share_high": iv.high} for iso, iv in shares],
        })
    if not rows:
        where = f"{stage}-stage " if stage else "mine- or processing-stage "
        raise CritminError(f"no usable {where}concentration for {c.name} (no USGS, World Mining Data, EU CRM 2023 "
                           "or BACI export series)")
    return pd.DataFrame(rows, columns=STAGE_COLUMNS)


def _nn(x):
    return None if x is None or pd.isna(x) else x


def processing_gap(list_year: int | None = None) -> pd.DataFrame:
    """Mining versus processing concentration per mineral, with the published reliance
    (:func:`critmin.analysis.concentration.processing_gap` on the stage view every interface
    uses)."""
    from critmin.analysis import concentration as conc

    _check_list(list_year)
    inputs = risk_inputs()
    nir = pd.DataFrame([{"commodity_id": c, "nir_display": m.nir_display} for c, m in inputs.minerals.items() if m.nir_display],
                       columns=["commodity_id", "nir_display"])
    df = conc.processing_gap(inputs.concentration, nir, inputs.eu_concentration, inputs.stage_view)
    if list_year is not None:
        df = df[df["commodity_id"].isin({c for c, m in inputs.minerals.items() if m.listed(list_year)})]
    return df.reset_index(drop=True)


def concentration_changes(list_year: int | None = None) -> pd.DataFrame:
    """How concentration moved across MCS vintages (:func:`critmin.analysis.concentration.vintage_change`)."""
    from critmin.analysis import concentration as conc

    _check_list(list_year)
    inputs = risk_inputs()
    df = conc.vintage_change(inputs.concentration)
    if list_year is not None:
        df = df[df["commodity_id"].isin({c for c, m in inputs.minerals.items() if m.listed(list_year)})]
    return df.reset_index(drop=True)


def ranking(method: str = "composite", stage: str | None = None, list_year: int | None = None, top: int | None = None,
            overrides: dict | None = None, importer: str = "USA", year: int | None = None) -> pd.DataFrame:
    """Minerals ranked by a supply-risk method with each score's breakdown
    (:func:`critmin.analysis.risk.rank`); ``list_year`` keeps the minerals of that list."""
    from critmin.analysis import risk

    _check_list(list_year)
    _check_stage(stage)
    if method not in risk.METHODS:
        raise InvalidRequestError(f"unknown method {method!r}; choose one of {', '.join(risk.METHODS)}")
    imp = _country_arg(importer, "importer") or "USA"
    if (imp != "USA" or year is not None) and method != "geopolrisk":
        raise InvalidRequestError("--importer and --year apply to --method geopolrisk (the other methods use US-published reliance)")
    inputs = risk_inputs(imp, year)
    ids = None
    if list_year is not None:
        ids = sorted(c for c, m in inputs.minerals.items() if m.listed(list_year))
    df = risk.rank(inputs, method, stage, commodities=ids, overrides=overrides)
    return df.head(top) if top is not None else df


def mineral_risk(mineral: str, stage: str | None = None) -> list:
    """A mineral's supply risk by every method (:class:`~critmin.analysis.risk.RiskResult`
    each), at ``stage`` or at the higher of the two stages."""
    from critmin.analysis import risk

    _check_stage(stage)
    c = vc.lookup(mineral)
    inputs = risk_inputs()
    m = inputs.minerals.get(c.commodity_id)
    if m is None:
        raise CritminError(f"no risk inputs for {c.name}: the snapshot has no production, reliance or import data for it")
    return [risk.evaluate(name, m, stage, inputs) if stage else risk.evaluate_all_stages(name, m, inputs)
            for name in risk.METHODS]


def overview(list_year: int = 2025) -> dict:
    """Every mineral of a list on one row and the risk matrix
    (:func:`critmin.analysis.overview.rows`, :func:`critmin.analysis.overview.risk_matrix`):
    what the overview report and the web overview show."""
    from critmin.analysis import overview as ov

    _check_list(list_year)
    tables = analysis_tables()
    customs = kb.customs_annual() if "trade" in kb.have() else pd.DataFrame()
    recs = ov.rows(risk_inputs(), customs, tables.get("import_shares"), list_year)
    symbols = {c.commodity_id: c.symbol for c in vc.catalogue().values() if c.symbol}
    return {"list_year": list_year, "rows": recs, "matrix": ov.risk_matrix(recs, symbols)}


def prices(mineral: str, basis: str | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """A mineral's price series (World Bank monthly, USGS annual unit values) and, per
    series, its statistics (:func:`critmin.analysis.prices.summary`: volatility, drawdown,
    growth; a series with a price of 0 or below says why it has none)."""
    from critmin.analysis import prices as ap

    if basis is not None and basis not in ("nominal", "real-1998"):
        raise InvalidRequestError(f"unknown basis {basis!r}; choose nominal or real-1998")
    c = vc.lookup(mineral)
    df = kb.prices(_ids_of(c))
    if basis:
        df = df[df["basis"] == basis]
    series = []
    for sid, g in df.groupby("series_id", sort=True):
        first = g.iloc[0]
        try:
            stats = ap.summary(ap.to_series(g, freq="M" if first["frequency"] == "monthly" else "Y"))
        except ValueError as exc:  # duplicate periods: the statistics need one series
            stats = {"note": str(exc)}
        series.append({"series_id": sid, "series_label": first["series_label"], "unit": first["unit"],
                       "frequency": first["frequency"], "basis": first["basis"], "source_id": first["source_id"],
                       "statistics": stats})
    return df.reset_index(drop=True), series


def eu_crm_reproduction(parameters: dict | None = None, wgi_year: int | None = None,
                        tolerance: float = 0.1) -> tuple[pd.DataFrame, dict]:
    """The EU's own 2023 supply risk recomputed from its published inputs, beside the
    published SR (:func:`critmin.analysis.risk.eu_crm.reproduce_published`).

    Returns the table and the WGI release used (``year``, ``release``).
    """
    from critmin.analysis.risk import eu_crm, governance

    tables = kb.read_tables(["eu_crm_supply_shares", "eu_crm_assessment", "governance"])
    wgi, info = governance.estimates(tables["governance"], governance.SIX, year=wgi_year)
    if wgi_year is not None and not wgi:
        raise CritminError(f"no WGI estimates for {wgi_year} in the snapshot")
    df = eu_crm.reproduce_published(tables["eu_crm_supply_shares"], tables["eu_crm_assessment"], wgi, parameters,
                                    tolerance=tolerance)
    return df, info


def reliance(mineral: str, vintage: int | None = None) -> dict:
    """A mineral's one published net import reliance in a release (default the latest),
    counted as :func:`nir` with a list year counts it
    (:func:`critmin.analysis.dependency.mineral_reliance`): ``value``, ``qualifier``,
    ``low``, ``high`` (percent), ``display`` (``100e``, ``>95``, ``E``), ``text`` (in
    words: ``100 % (estimated)``), ``reliance_class``, ``year``, ``vintage``, ``form``,
    ``via_group``, ``nir_table``, ``source_id``."""
    v = _resolve_vintage("nir", vintage)
    c = vc.lookup(mineral)
    cat = kb.commodities()
    me = cat.loc[cat["commodity_id"] == c.commodity_id, ["commodity_id", "group_id"]]
    if me.empty:
        me = pd.DataFrame([{"commodity_id": c.commodity_id, "group_id": c.group_id or None}])
    r = dep.mineral_reliance(kb.nir_figure(v), kb.salient_reliance(v), me).iloc[0].to_dict()
    q = r["qualifier"]
    return {
        "commodity": c.commodity_id, "vintage": v, "year": r["year"], "form": r["form"], "value": r["value"],
        "qualifier": q, "low": r["low"], "high": r["high"],
        "display": format_value(r["value"], q, r["low"], r["high"], r["raw"]) if q != NOT_PUBLISHED else "not published",
        "text": dep.describe_reliance(r["value"], q, r["low"], r["high"]),
        "reliance_class": dep.reliance_class(r["value"], q, r["low"], r["high"]),
        "via_group": r["via_group"], "nir_table": r["nir_table"], "source_id": r["source_id"],
    }


def mineral_summary(mineral: str) -> dict:
    """A mineral's catalogue entry, its published reliance (:func:`reliance`, latest
    release; null when the snapshot has no reliance table) and which data the snapshot has
    for it (production series by stage and measure, reliance vintages)."""
    c = vc.lookup(mineral)
    df = minerals()
    row = df[df["commodity_id"] == c.commodity_id]
    entry = row.iloc[0].to_dict() if len(row) else {
        "commodity_id": c.commodity_id, "name": c.name, "symbol": c.symbol, "group_id": c.group_id or None,
        "members": [], "on_list_2018": False, "on_list_2022": False, "on_list_2025": False, "note": c.note,
    }
    ids = _ids_of(c)
    nir_vintages = kb.nir_vintages_of(ids) if "nir" in kb.have() else []
    return {**entry, "reliance": reliance(c.commodity_id) if "nir" in kb.have() else None,
            "production_series": kb.production_series(ids), "nir_vintages": nir_vintages}


def exposure(bill, scenarios=(), rules=(), year: int = 2026):
    """A company's exposure from its bill of materials (see :func:`critmin.exposure.assess`).

    Returns an :class:`~critmin.exposure.ExposureResult` of tidy DataFrames (``company``,
    ``indicators``, ``cost_summary``, ``eligibility``, ``diversification``, ...).
    """
    from critmin.exposure import assess

    return assess(bill, scenarios=scenarios, rule_sets=rules, year=year, years=(year,))


__all__ = [
    "exposure",
    "minerals", "mineral_summary", "reliance", "countries", "table_vintages", "nir", "nir_summary", "headline", "production", "imports", "sources", "tables",
    "vintages", "member_rows", "tracker", "tracker_add", "tracker_validate", "tracker_summary", "export_controls",
    "agreements",
    "reliance_class", "reliance_rank", "headline_list", "Qualifier",
    "trade", "trade_codes", "trade_matrix", "us_import_sources_compared", "geopolrisk", "production_compared",
    "analysis_tables", "risk_inputs", "concentration", "stages", "processing_gap", "concentration_changes", "ranking",
    "mineral_risk", "overview", "prices", "eu_crm_reproduction", "markets", "simulate",
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


def simulate(scenario, **solver):
    """Solve a policy scenario of either engine: a YAML file, a preset name, a dict or a parsed scenario.

    A document with ``engine: chain`` is solved by the chain engine (every mineral over the
    scenario's horizon, on every variant of its market); one without by the Armington engine.
    Returns a :class:`critmin.model.engines.Simulation`: ``engine``, ``name``, ``status``,
    ``message``, ``converged``, ``tables`` (documented frames), ``assumptions``, ``sources``,
    ``notes``, ``result`` (the engine's own object) and ``to_dict()``.

    Chain frames (every one has ``basis`` and ``unit`` / ``price_unit`` / ``currency`` columns;
    a ranged figure is ``<name>_low`` / ``<name>_high``, the min and max across the market's
    variants, equal for a point market; ``variants`` names them):

    ``summary``
        index ``mineral``: status, message, last stage, fiscal cost (total and discounted), and the
        focus region's first-year and largest use-price change (%), summed changes in imports and
        production (t), discounted fiscal cost and consumer, producer and total welfare change.
    ``years``
        index ``mineral, year, stage, region`` (the focus region): use price and producer price
        (baseline, scenario, % change; ``price_unit`` per t of ``basis``), use, imports and
        production (baseline and scenario, ``unit``), ``fiscal_cost`` (the focus government's
        outlays that year) and ``welfare_total`` (the focus region's change that year), in ``currency``.
    ``prices``, ``quantities``
        index ``mineral, year, stage, region``: every region's prices and tonnes.
    ``welfare``
        index ``mineral, region``: welfare components summed over the horizon, plain and discounted.
    ``fiscal``, ``indicators``, ``units``
        outlays by payer and instrument; the focus region's reliance and import HHI; stage bases.

    Armington frames: ``summary`` (one row), ``prices``, ``quantities``, ``welfare``, ``binding``, ``flows``.

    A scenario that does not solve has ``status`` other than ``converged``, a ``message`` and null
    figures (never zeros); one that cannot be built raises :class:`critmin.model.ScenarioError`
    (or :class:`~critmin.model.MarketError`) naming the field.
    """
    from critmin.model.engines import simulate_any

    return simulate_any(scenario, **solver)

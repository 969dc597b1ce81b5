"""Concentration of world production by stage: HHI, top shares, China's share.

All functions are pure: they take the ``production`` table of the snapshot (or a frame with
the same columns) and return new frames.

Definitions
-----------
Shares
    ``s_i = q_i / Q`` where ``q_i`` is country *i*'s production in a series and ``Q`` the
    series' published world total. A series is one (vintage, commodity, form, stage,
    series label, year, unit) of the USGS MCS world tables (MCS 2023/2024 label the
    platinum-group world rows "World mine production: Platinum" beside the countries' "Mine
    production: Platinum": the same series, :func:`same_series_labels`). Where USGS
    publishes no single numeric world total but every row of the series is a number, ``Q``
    is the sum of the rows (``share_basis = 'sum_of_rows'``); otherwise shares are not
    computed. A world total rounded below the sum of the series' own published rows
    (gallium 2025: "900,000" against 900,000 + 6,000 + 3,000) is raised to that sum, so the
    shares of a series never add up to more than 1 (China 99.0 %, not 100 % beside
    Russia 0.7 % and Japan 0.3 %). This is the one definition: :func:`world_shares` gives
    it per row (the production tables of every interface) and :func:`concentration_table`
    per series.
Share qualifier
    ``estimated`` when the country's figure or the denominator rests on a figure USGS marks
    as estimated (``900,000e``), else ``exact``: every interface shows a share with the
    qualifier of the figures it comes from (``share_qualifier``).
HHI
    Herfindahl-Hirschman index ``HHI = sum_i s_i**2`` over the listed countries, on the 0-1
    scale (the US antitrust agencies' 0-10,000 scale is 10^4 x this). ``Other countries``
    and withheld country values are not split by USGS; the reported ``hhi`` counts them as
    fragmented (the usual practice, and that of the EU CRM assessments), and ``hhi_max``
    adds the unassigned share as if it were one more producer, ``hhi + r**2`` with
    ``r = 1 - sum_i s_i``: the true value lies in ``[hhi, hhi_max]``.
Top-1, top-3
    The largest share and the sum of the three largest, over listed countries.
Sibling series
    USGS publishes some minerals as several series of one stage, one per form and often
    one country each (MCS 2024 boron: "crude ore" Argentina, "crude borates" Peru,
    "refined borates" Türkiye; MCS 2026 tellurium: "Refinery production" with a world
    total, plus "Refinery production: concentrate" Sweden and "...: copper telluride" United
    States, withheld). Such a series is a *fragment*, not a market, and is never reported
    as complete (:func:`fold_fragments`):

    * a series without a world total of its own, published beside other series of the
      same stage (or of no stage) in the same release and year, none of which lists any
      of its countries, is a fragment: status ``insufficient_data`` with the reason in
      ``status_reason`` -- no share, no HHI (ilmenite beside rutile lists mostly the same
      countries and stays a series of its own);
    * when one series of the stage has a world total, the fragments of that stage are
      folded into it: a withheld figure makes its country unknown (status ``partial``; a
      withheld US figure gives ``us_status = 'withheld_or_bounded'``, never 0), a number
      counts as that country's production when it fits inside the world total (Sweden's
      46 t of concentrate: 935 + 46 = 981 t, the published total), else the country is
      unknown as well.
China's share
    China (CHN) alone: USGS reports Hong Kong separately for production, and counts it
    with China only for import sources. When China is not listed among the producers of a
    series its share is 0 among the listed producers (``china_listed = False``); when it is
    listed with a withheld value its share is unknown (null), never 0.

References
----------
Herfindahl, O.C., 1950, Concentration in the steel industry: PhD dissertation, Columbia
University. Hirschman, A.O., 1945, National power and the structure of foreign trade:
University of California Press. U.S. Department of Justice and Federal Trade Commission,
2023, Merger Guidelines, section 2.1 (HHI on the 0-10,000 scale).
U.S. Geological Survey, 2023-2026, Mineral Commodity Summaries (world production tables).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STAGES = ("mine", "processing")
CHINA = "CHN"
USA = "USA"
NUMERIC = ("exact", "estimated", "revised", "zero")
SERIES_KEY = ["vintage", "commodity_id", "form", "stage", "series_label", "year", "unit"]

#: Columns of :func:`concentration_table`.
CONCENTRATION_COLUMNS = [
    "vintage", "commodity_id", "stage", "year", "form", "series_label", "unit", "primary",
    "world_total", "share_basis", "n_producers", "hhi", "hhi_max", "top1_share", "top1_country",
    "top3_share", "china_share", "china_listed", "us_share", "us_status", "listed_share",
    "other_share", "unknown_countries", "status", "source_id", "status_reason", "share_qualifier",
]
#: Qualifiers of a computed share (see the module docstring, "Share qualifier").
SHARE_QUALIFIERS = ("exact", "estimated")


def hhi(shares) -> float:
    """Herfindahl-Hirschman index ``sum_i s_i**2`` of market shares given as fractions.

    Parameters
    ----------
    shares
        Shares in [0, 1] that sum to at most 1 (1e-9 tolerance). A missing share (NaN)
        raises: the caller decides what an unknown share means; it is never 0 here.

    Returns
    -------
    float
        In ``[1/n, 1]`` for ``n`` producers whose shares sum to 1.

    References
    ----------
    Herfindahl (1950); Hirschman (1945).

    Examples
    --------
    >>> hhi([0.5, 0.5])
    0.5
    """
    arr = np.asarray(shares, dtype=float)
    if arr.size == 0:
        raise ValueError("HHI of no producers is undefined")
    if np.isnan(arr).any():
        raise ValueError("a share is missing (NaN); an unknown share is not 0")
    if (arr < 0).any():
        raise ValueError("shares must be non-negative")
    if arr.sum() > 1 + 1e-9:
        raise ValueError(f"shares sum to {arr.sum():.6f} > 1")
    return float(np.sum(arr * arr))


def shares_of(values) -> np.ndarray:
    """Shares ``q_i / sum_j q_j`` of non-negative quantities; NaN raises."""
    arr = np.asarray(values, dtype=float)
    if np.isnan(arr).any():
        raise ValueError("a quantity is missing (NaN); an unknown quantity is not 0")
    if (arr < 0).any():
        raise ValueError("quantities must be non-negative")
    total = arr.sum()
    if total <= 0:
        raise ValueError("total is zero: shares undefined")
    return arr / total


def top_share(shares, k: int = 1) -> float:
    """Sum of the ``k`` largest shares."""
    arr = np.sort(np.asarray(shares, dtype=float))[::-1]
    if np.isnan(arr).any():
        raise ValueError("a share is missing (NaN)")
    return float(arr[:k].sum())


def top_producer(shares) -> tuple[str | None, float | None]:
    """The largest producer and its share: ``(country, top_share(shares, 1))``.

    ``shares`` maps a country to its share, a number or an
    :class:`~critmin.analysis.interval.Interval` (ranked by its low end, then its high end,
    then the country code, so a tie always gives the same country). ``(None, None)`` when
    there is no producer with a share above 0.
    """
    def bounds(v) -> tuple[float, float]:
        return (float(v.low), float(v.high)) if hasattr(v, "low") else (float(v), float(v))

    items = [(c, *bounds(v)) for c, v in shares.items()]
    if not items or max(hi for _, _, hi in items) <= 0:
        return None, None
    country = min(items, key=lambda t: (-t[1], -t[2], str(t[0])))[0]
    return country, top_share([lo for _, lo, _ in items], 1)


def records(df: pd.DataFrame, columns: list[str] | None = None) -> list[dict]:
    """Rows as plain dicts (missing values as None), built from object arrays: pandas'
    own ``to_dict('records')`` is several times slower on Arrow-backed strings, and the
    small-group logic here walks rows one by one."""
    cols = list(columns or df.columns)
    arrays = [df[c].to_numpy(dtype=object, na_value=None) for c in cols]
    return [dict(zip(cols, vals)) for vals in zip(*arrays)]


def same_series_labels(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a world row labelled "World <label>" relabelled "<label>" where the
    countries of the same release use "<label>" (MCS 2023/2024 platinum-group metals: "World
    mine production: Platinum" beside "Mine production: Platinum"), so the world total and
    its countries form one series."""
    if df.empty or "series_label" not in df.columns:
        return df
    labels = df["series_label"].astype("string").fillna("")
    world = (df["country_kind"] == "world").to_numpy()
    if not world.any():
        return df
    lower = labels.str.lower()
    unprefixed = lower.str.replace(r"^world\s+", "", regex=True)
    country_labels = set(lower[~world])
    fix = world & (lower != unprefixed).to_numpy() & unprefixed.isin(country_labels).to_numpy()
    if not fix.any():
        return df
    by_lower = dict(zip(lower[~world], labels[~world]))
    out = df.copy()
    out.loc[fix, "series_label"] = [by_lower[u] for u in unprefixed[fix]]
    return out


def _estimated(df: pd.DataFrame) -> np.ndarray:
    """Rows whose figure USGS marks as estimated (the ``e`` of ``900,000e`` or an estimated year)."""
    est = (df["qualifier"].astype(str) == "estimated").to_numpy()
    if "estimated" in df.columns:
        est = est | df["estimated"].fillna(False).astype(bool).to_numpy()
    return est


def _denominators(gid: np.ndarray, n_groups: int, kind: np.ndarray, numeric: np.ndarray, value: np.ndarray,
                  est: np.ndarray) -> dict[str, np.ndarray]:
    """The share denominator ``Q`` of every series (module docstring, "Shares").

    Returns ``total`` (NaN where shares are not computed), ``basis`` (``world_total``,
    ``world_total_raised_to_rows`` -- a rounded total below its parts, replaced by their
    sum --, ``sum_of_rows`` or ``""``), ``estimated`` (the denominator rests on an estimated figure)
    and ``rows_sum`` (the sum of the series' numeric non-world rows).
    """
    is_world = kind == "world"
    world_num = is_world & numeric
    world_count = np.bincount(gid[world_num], minlength=n_groups)
    world_sum = np.bincount(gid[world_num], weights=value[world_num], minlength=n_groups)
    world_total = np.where(world_count == 1, world_sum, np.nan)
    nonworld = ~is_world
    nonworld_count = np.bincount(gid[nonworld], minlength=n_groups)
    nonworld_num = np.bincount(gid[nonworld & numeric], minlength=n_groups)
    rows_sum = np.bincount(gid[nonworld & numeric], weights=value[nonworld & numeric], minlength=n_groups)
    use_rows = np.isnan(world_total) & (nonworld_count > 0) & (nonworld_count == nonworld_num) & (rows_sum > 0)
    total = np.where(use_rows, rows_sum, world_total)
    raised = ~np.isnan(total) & (rows_sum > total)
    # A world total rounded below the sum of its own published parts is raised to that sum,
    # so shares never add up to more than 1.
    total = np.where(~np.isnan(total), np.maximum(total, rows_sum), np.nan)
    total = np.where(total > 0, total, np.nan)
    basis = np.where(~np.isnan(world_total) & (world_total > 0),
                     np.where(raised, "world_total_raised_to_rows", "world_total"), np.where(use_rows, "sum_of_rows", ""))
    world_est = np.bincount(gid[world_num & est], minlength=n_groups) > 0
    rows_est = np.bincount(gid[nonworld & numeric & est], minlength=n_groups) > 0
    den_est = np.where(basis == "world_total", world_est, rows_est | world_est)
    return {"total": total, "basis": basis, "estimated": den_est, "rows_sum": rows_sum}


#: The columns that make a production series in :func:`world_shares` (the measure included).
SHARE_KEY = ["vintage", "commodity_id", "form", "stage", "measure", "series_label", "year", "unit"]


def world_shares(production: pd.DataFrame) -> pd.DataFrame:
    """Each row's share of its series' world total, with how it was derived.

    Parameters
    ----------
    production
        Rows of the ``production`` table (any stages and measures).

    Returns
    -------
    DataFrame
        ``production`` (labels as published; blank forms, units and labels as empty
        strings) plus ``share`` (``q_i / Q``, the module docstring's "Shares", a world
        row labelled "World <label>" counting for the series "<label>"; null for world
        rows, for rows whose figure is not a number -- withheld stays unknown, never 0 --,
        for series without a usable total and for a fragment among sibling series),
        ``share_basis`` (see :func:`_denominators`),
        ``share_qualifier`` (``exact`` or ``estimated``; null where ``share`` is) and
        ``share_note`` (why a fragment has no share). The production measure's sibling
        fragments are folded into their host series first, as :func:`concentration_table`
        does, so a host's shares and its concentration use the same denominator.
    """
    published_labels = production["series_label"] if "series_label" in production.columns else None
    df = same_series_labels(production)
    df = df.assign(form=df["form"].fillna(""), unit=df["unit"].fillna(""), series_label=df["series_label"].fillna(""))
    if df.empty:
        return df.assign(share=pd.Series(dtype=float), share_basis=pd.Series(dtype=object),
                         share_qualifier=pd.Series(dtype=object), share_note=pd.Series(dtype=object))
    extra, reasons = _fragment_copies(df[df["measure"] == "production"] if "measure" in df.columns else df)
    keys = [k for k in SHARE_KEY if k in df.columns]
    both = pd.concat([df[keys + ["country_kind", "value", "qualifier"] + (["estimated"] if "estimated" in df.columns else [])],
                      pd.DataFrame(extra, columns=list(df.columns))[keys + ["country_kind", "value", "qualifier"]
                                                                    + (["estimated"] if "estimated" in df.columns else [])]],
                     ignore_index=True) if extra else df
    gid_all = both[keys].astype("string").fillna("").groupby(keys, sort=False).ngroup().to_numpy()
    n_groups = int(gid_all.max()) + 1
    kind = both["country_kind"].to_numpy()
    value = pd.to_numeric(both["value"], errors="coerce").to_numpy(dtype=float)
    numeric = np.isin(both["qualifier"].astype(str).to_numpy(), NUMERIC) & ~np.isnan(value)
    est = _estimated(both)
    den = _denominators(gid_all, n_groups, kind, numeric, value, est)
    n = len(df)
    gid, kind, value, numeric, est = gid_all[:n], kind[:n], value[:n], numeric[:n], est[:n]
    note = np.full(n, None, dtype=object)
    if reasons:
        fkeys = list(zip(*(df[c] for c in ["vintage", "commodity_id", "year", "stage", "form", "series_label", "unit"])))
        is_production = (df["measure"] == "production").to_numpy() if "measure" in df.columns else np.ones(n, bool)
        note = np.array([reasons.get(k) if p else None for k, p in zip(fkeys, is_production)], dtype=object)
    total = den["total"][gid]
    has = numeric & (kind != "world") & ~np.isnan(total) & np.array([x is None for x in note])
    out = df.copy()
    out["share"] = np.where(has, value / np.where(has, total, 1.0), np.nan)
    out["share_basis"] = np.where(has, den["basis"][gid], None)
    out["share_qualifier"] = np.where(has, np.where(est | den["estimated"][gid], "estimated", "exact"), None)
    out["share_note"] = note
    if published_labels is not None:  # grouped under one label; shown as published
        out["series_label"] = published_labels.fillna("").to_numpy()
    return out


_FAMILY = ["vintage", "commodity_id", "year"]
#: Rounding slack when a fragment's figure is checked against a host's world total.
FOLD_TOLERANCE = 0.005


def fold_fragments(production: pd.DataFrame) -> tuple[pd.DataFrame, dict[tuple, str]]:
    """Production rows of the two stages with sibling fragments folded into their host.

    Parameters
    ----------
    production
        Rows of the ``production`` table (any stages; ``measure == 'production'`` used).

    Returns
    -------
    (DataFrame, dict)
        The rows of stages ``mine`` and ``processing``, plus, for every fragment folded
        into a host series, copies of its country rows under the host's key (a copy whose
        figure does not fit the host's world total, or whose unit differs, gets qualifier
        ``text``: its country is unknown there). And ``{series key: reason}`` for every
        fragment series, which :func:`concentration_table` reports as
        ``insufficient_data``. See the module docstring, "Sibling series".
    """
    df = _production_series(production)
    extra, reasons = _fragment_copies(df)
    out = df[df["stage"].isin(STAGES)]
    if extra:
        add = pd.DataFrame(extra)[list(out.columns)]
        out = pd.concat([out, add.astype(out.dtypes.to_dict(), errors="ignore")], ignore_index=True)
    return out, reasons


def _production_series(production: pd.DataFrame) -> pd.DataFrame:
    """The production measure's rows, world rows relabelled, blanks as empty strings."""
    df = production
    if "measure" in df.columns:
        df = df[df["measure"] == "production"]
    df = same_series_labels(df)
    return df.assign(form=df["form"].fillna(""), unit=df["unit"].fillna(""), series_label=df["series_label"].fillna(""))


def _fragment_copies(df: pd.DataFrame) -> tuple[list[dict], dict[tuple, str]]:
    """The copies :func:`fold_fragments` adds to host series, and the fragments' reasons."""
    reasons: dict[tuple, str] = {}
    extra: list[dict] = []
    staged = df[df["stage"].isin(STAGES + ("unspecified",))]
    if staged.empty:
        return extra, reasons
    # A family (release, mineral, year) with one series per stage is the common case: only
    # the crowded ones are looked at, row by row as plain records (small groups, where
    # pandas indexing would cost far more than the logic).
    counts = staged.groupby(_FAMILY + ["stage"])["series_label"].nunique()
    per_family = counts.groupby(level=[0, 1, 2]).sum()
    crowded = set(per_family[per_family > 1].index)
    if not crowded:
        return extra, reasons
    fam_key = list(zip(staged["vintage"], staged["commodity_id"], staged["year"]))
    sub = staged[[k in crowded for k in fam_key]]
    families: dict[tuple, list[dict]] = {}
    for r in records(sub):
        v = r["value"]
        r["_num"] = r["qualifier"] in NUMERIC and v is not None and v == v
        r["_v"] = float(v) if r["_num"] else 0.0
        families.setdefault((r["vintage"], r["commodity_id"], r["year"]), []).append(r)
    for fam, rows in families.items():
        series: dict[tuple, dict] = {}
        for r in rows:
            d = series.setdefault((r["stage"], r["form"], r["series_label"], r["unit"]), {"rows": [], "countries": [], "world": []})
            d["rows"].append(r)
            if r["country_kind"] == "country":
                d["countries"].append(r)
            elif r["country_kind"] == "world" and r["_num"]:
                d["world"].append(r)
        for d in series.values():
            d["total"] = d["world"][0]["_v"] if len(d["world"]) == 1 and d["world"][0]["_v"] > 0 else None
            d["who"] = {c["country_iso3"] if isinstance(c["country_iso3"], str) else c["country_name"] for c in d["countries"]}
        for stage in STAGES:
            pool = {k: v for k, v in series.items() if k[0] in (stage, "unspecified")}
            if len(pool) < 2:
                continue
            own = {k: v for k, v in pool.items() if k[0] == stage}
            hosts = {k: v for k, v in own.items() if v["total"] is not None and v["countries"]}
            # A fragment has no world total of its own and shares no country with its
            # siblings: a form published for other countries (boron), not a market of its
            # own (ilmenite beside rutile lists mostly the same countries).
            fragments = {
                k: v for k, v in own.items()
                if v["total"] is None and v["who"] and not v["who"] & set().union(*(w["who"] for kk, w in pool.items() if kk != k))
            }
            if not fragments:
                continue
            labels = "; ".join(f"'{k[2]}'" for k in pool)
            if not hosts:
                for k, v in fragments.items():
                    reasons[(*fam, *k)] = (
                        f"one of {len(pool)} series published for different forms or countries in MCS{fam[0]} "
                        f"({labels}); no world total covers them, so '{k[2]}' ({', '.join(sorted(v['who']))}) "
                        "is not a market share"
                    )
                continue
            host_key = max(hosts, key=lambda k: (len(hosts[k]["countries"]), k[2]))
            host = hosts[host_key]
            room = host["total"] * (1 + FOLD_TOLERANCE) - sum(r["_v"] for r in host["rows"] if r["country_kind"] != "world")
            for k, v in fragments.items():
                for r in v["countries"]:
                    if r["country_iso3"] in host["who"] or r["country_name"] in host["who"]:
                        continue
                    c = dict(r, stage=host_key[0], form=host_key[1], series_label=host_key[2], unit=host_key[3])
                    if c["_num"] and k[3] == host_key[3] and c["_v"] <= room:
                        room -= c["_v"]
                    elif c["_num"]:
                        c["qualifier"] = "text"  # does not fit the host's total: its country is unknown there
                    extra.append(c)
                reasons[(*fam, *k)] = (
                    f"fragment of '{host_key[2]}' (one of {len(pool)} series in MCS{fam[0]}: {labels}); "
                    f"its countries are counted in that series"
                )
    return extra, reasons


def concentration_table(production: pd.DataFrame, folded: tuple[pd.DataFrame, dict] | None = None) -> pd.DataFrame:
    """HHI, top-1, top-3, China's and the US share for every production series.

    Parameters
    ----------
    production
        The ``production`` table (or rows of it). Only ``measure == 'production'`` and
        stages ``mine`` and ``processing`` are used.

    Returns
    -------
    DataFrame
        One row per series, columns :data:`CONCENTRATION_COLUMNS`. ``primary`` marks the
        series used for a (vintage, commodity, stage, year): the one with a usable total,
        then the most listed producers, then the first label alphabetically. ``status`` is
        ``ok``, ``partial`` (some listed country withheld: listed in
        ``unknown_countries``; the HHI lies in ``[hhi, hhi_max]``) or ``insufficient_data``
        (no usable total, no country listed, or a fragment among sibling series: no shares
        are computed; ``status_reason`` says which). A country listed twice in one series
        (USGS splits some countries by detail) is summed. A world total rounded below the
        sum of the published rows is raised to that sum (the rounding would otherwise give
        shares adding up to more than 1). Sibling series are handled by
        :func:`fold_fragments` first.
    """
    if production.empty or not production["stage"].isin(STAGES).any():
        return pd.DataFrame(columns=CONCENTRATION_COLUMNS)
    df, fragment_reasons = folded if folded is not None else fold_fragments(production)
    if df.empty:
        return pd.DataFrame(columns=CONCENTRATION_COLUMNS)
    gid = df.groupby(SERIES_KEY, sort=True, dropna=False).ngroup().to_numpy()
    keys = df[SERIES_KEY].assign(_g=gid).drop_duplicates("_g").set_index("_g").sort_index()
    n_groups = len(keys)

    kind = df["country_kind"].to_numpy()
    qual = df["qualifier"].astype(str).to_numpy()
    value = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype=float)
    numeric = np.isin(qual, NUMERIC) & ~np.isnan(value)
    iso = df["country_iso3"].astype(object).where(df["country_iso3"].notna(), None).to_numpy()
    name = df["country_name"].astype(str).to_numpy()

    is_country = kind == "country"
    is_world = kind == "world"
    is_aggregate = ~is_country & ~is_world

    est = _estimated(df)
    den = _denominators(gid, n_groups, kind, numeric, value, est)
    total, basis = den["total"], den["basis"]
    n_country_rows = np.bincount(gid[is_country], minlength=n_groups)

    # Country shares, a country listed twice in a series summed.
    cmask = is_country & numeric
    cframe = pd.DataFrame({"g": gid[cmask], "iso": [i if i else n for i, n in zip(iso[cmask], name[cmask])], "q": value[cmask]})
    cframe = cframe.groupby(["g", "iso"], sort=False, as_index=False)["q"].sum()
    cframe["s"] = cframe["q"] / total[cframe["g"].to_numpy()]
    cframe = cframe[~np.isnan(cframe["s"].to_numpy())]
    g = cframe["g"].to_numpy()
    s = cframe["s"].to_numpy()
    hhi_arr = np.bincount(g, weights=s * s, minlength=n_groups)
    listed = np.bincount(g, weights=s, minlength=n_groups)
    n_prod = np.bincount(g[s > 0], minlength=n_groups)
    ordered = cframe.sort_values(["g", "s", "iso"], ascending=[True, False, True])
    rank = ordered.groupby("g").cumcount().to_numpy()
    top1_rows = ordered[rank == 0]
    top1 = np.full(n_groups, np.nan)
    top1[top1_rows["g"].to_numpy()] = top1_rows["s"].to_numpy()
    top1_country = np.full(n_groups, None, dtype=object)
    top1_country[top1_rows["g"].to_numpy()] = top1_rows["iso"].to_numpy()
    top3 = np.bincount(ordered["g"].to_numpy()[rank < 3], weights=ordered["s"].to_numpy()[rank < 3], minlength=n_groups)

    def share_of(code: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        listed_rows = is_country & (iso == code)
        listed_any = np.bincount(gid[listed_rows], minlength=n_groups) > 0
        known = np.bincount(gid[listed_rows & numeric], minlength=n_groups)
        unknown = np.bincount(gid[listed_rows & ~numeric], minlength=n_groups) > 0
        qsum = np.bincount(gid[listed_rows & numeric], weights=value[listed_rows & numeric], minlength=n_groups)
        share = np.where(listed_any, np.where(unknown, np.nan, qsum / total), 0.0)
        return share, listed_any, unknown & (known == 0)

    china, china_listed, _ = share_of(CHINA)
    us, us_listed, us_unknown = share_of(USA)
    us_status = np.where(us_unknown, "withheld_or_bounded", np.where(us_listed, "listed", "not_listed"))

    agg = is_aggregate & numeric
    other = np.bincount(gid[agg], weights=value[agg], minlength=n_groups) / total

    unknown_rows = is_country & ~numeric
    unknown_lists: list[list[str]] = [[] for _ in range(n_groups)]
    for gi, code, nm in zip(gid[unknown_rows], iso[unknown_rows], name[unknown_rows]):
        unknown_lists[gi].append(code or nm)

    source = df.groupby(gid)["source_id"].first().reindex(range(n_groups)).to_numpy()

    has_total = ~np.isnan(total) & (n_country_rows > 0)
    residual = np.clip(1.0 - listed, 0.0, None)
    out = keys.reset_index(drop=True).copy()
    out["world_total"] = np.where(has_total, total, np.nan)
    out["share_basis"] = basis
    out["n_producers"] = np.where(has_total, n_prod, 0)
    out["hhi"] = np.where(has_total, hhi_arr, np.nan)
    out["hhi_max"] = np.where(has_total, hhi_arr + residual**2, np.nan)
    out["top1_share"] = np.where(has_total, top1, np.nan)
    out["top1_country"] = np.where(has_total, top1_country, None)
    out["top3_share"] = np.where(has_total, top3, np.nan)
    out["china_share"] = np.where(has_total, china, np.nan)
    out["china_listed"] = china_listed
    out["us_share"] = np.where(has_total, us, np.nan)
    out["us_status"] = us_status
    out["listed_share"] = np.where(has_total, listed, np.nan)
    out["other_share"] = np.where(has_total, other, np.nan)
    out["unknown_countries"] = unknown_lists
    status = np.where(~has_total, "insufficient_data", np.where([bool(u) for u in unknown_lists], "partial", "ok"))
    out["status"] = status
    out["source_id"] = source
    reason = np.where(~has_total, np.where(n_country_rows > 0, "no usable world total", "no country listed"), "")
    reason = np.where((status == "partial"), "figures of " + pd.Series([", ".join(u) for u in unknown_lists]).to_numpy(object)
                      + " not known (withheld, not available or not comparable)", reason)
    out["status_reason"] = reason
    country_est = np.bincount(gid[is_country & numeric & est], minlength=n_groups) > 0
    out["share_qualifier"] = np.where(has_total, np.where(country_est | den["estimated"], "estimated", "exact"), None)
    if fragment_reasons:
        keys = list(zip(*(out[c] for c in ["vintage", "commodity_id", "year", "stage", "form", "series_label", "unit"])))
        frag = np.array([k in fragment_reasons for k in keys])
        stat_cols = ["world_total", "hhi", "hhi_max", "top1_share", "top3_share", "china_share", "us_share",
                     "listed_share", "other_share"]
        out.loc[frag, stat_cols] = np.nan
        out.loc[frag, "top1_country"] = None
        out.loc[frag, "share_qualifier"] = None
        out.loc[frag, "n_producers"] = 0
        out.loc[frag, "share_basis"] = ""
        out.loc[frag, "status"] = "insufficient_data"
        out.loc[frag, "status_reason"] = [fragment_reasons[k] for k, f in zip(keys, frag) if f]
        has_total = has_total & ~frag
    # Top-1 among zero-share producers only is meaningless.
    out.loc[out["n_producers"] == 0, ["top1_share", "top1_country", "top3_share"]] = [np.nan, None, np.nan]

    # The primary series of each (vintage, commodity, stage, year).
    order = out.assign(_has=has_total, _n=out["n_producers"]).sort_values(
        ["vintage", "commodity_id", "stage", "year", "_has", "_n", "series_label"],
        ascending=[True, True, True, True, False, False, True],
    )
    first = ~order.duplicated(["vintage", "commodity_id", "stage", "year"])
    out["primary"] = False
    out.loc[order.index[first.to_numpy()], "primary"] = True
    return out[CONCENTRATION_COLUMNS].sort_values(["commodity_id", "stage", "vintage", "year", "series_label"]).reset_index(drop=True)


def latest(concentration: pd.DataFrame, *, usable_only: bool = True) -> pd.DataFrame:
    """The primary series of the latest vintage and year per (commodity, stage).

    With ``usable_only``, a series whose shares could not be computed is passed over for
    the latest usable one (an older year or vintage); the row says which year it is.
    """
    df = concentration[concentration["primary"]]
    if usable_only:
        df = df[df["status"] != "insufficient_data"]
    df = df.sort_values(["commodity_id", "stage", "vintage", "year"])
    return df.groupby(["commodity_id", "stage"], as_index=False).tail(1).reset_index(drop=True)


#: Thresholds of :func:`processing_gap`, documented so the table can be re-derived.
GAP_HHI_THRESHOLD = 0.10
GAP_MIN_PROCESSING_HHI = 0.25


def processing_gap(concentration: pd.DataFrame, nir: pd.DataFrame | None = None,
                   eu: pd.DataFrame | None = None, view: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mining versus processing concentration per mineral.

    Parameters
    ----------
    concentration
        Output of :func:`concentration_table`.
    eu
        Optional :func:`eu_concentration_table`: used for a stage USGS has no usable data
        for (``<stage>_origin`` says which source each stage came from).
    view
        Optional :func:`stage_view` already chosen (with World Mining Data and BACI export
        shares; with the rows a member takes from its group, ``via_group``, as
        :func:`critmin.analysis.inputs.build_inputs` gives it); used instead of
        ``concentration`` and ``eu`` when given.
    nir
        Optional published net import reliance, one row per commodity (columns
        ``commodity``/``commodity_id``, ``nir_display``), added for context.

    Returns
    -------
    DataFrame
        One row per commodity with both or either stage: ``mine_hhi``,
        ``processing_hhi``, ``hhi_gap = processing_hhi - mine_hhi``, China's share at each
        stage and its gap, the US share at each stage, the years and vintages used, and two
        flags:

        * ``processing_more_concentrated``: ``hhi_gap >= 0.10`` and
          ``processing_hhi >= 0.25`` (a highly concentrated market in the sense of the
          US Merger Guidelines' 2,500 HHI line, and 1,000 HHI points above mining);
        * ``us_mines_imports_processed``: the US has mine production (a number above 0, or
          withheld, which USGS does only for existing production) and no listed
          processing-stage production of the mineral.

        A stage without usable data leaves its columns null and the flags False, with the
        reason in ``note``.
    """
    lat = view if view is not None else stage_view(concentration, eu)
    cols = ["hhi", "top1_share", "top1_country", "china_share", "us_share", "us_status", "year", "vintage",
            "series_label", "status", "origin", "derived_from"] + (["via_group"] if "via_group" in lat.columns else [])
    mine = lat[lat["stage"] == "mine"].set_index("commodity_id")[cols].add_prefix("mine_")
    proc = lat[lat["stage"] == "processing"].set_index("commodity_id")[cols].add_prefix("processing_")
    out = mine.join(proc, how="outer")
    out.index.name = "commodity_id"
    out = out.reset_index()
    out["hhi_gap"] = out["processing_hhi"] - out["mine_hhi"]
    out["china_gap"] = out["processing_china_share"] - out["mine_china_share"]
    out["processing_more_concentrated"] = (
        (out["hhi_gap"] >= GAP_HHI_THRESHOLD) & (out["processing_hhi"] >= GAP_MIN_PROCESSING_HHI)
    ).fillna(False).astype(bool)
    us_mines = (out["mine_us_share"].fillna(0) > 0) | (out["mine_us_status"] == "withheld_or_bounded")
    us_processes = (out["processing_us_share"].fillna(0) > 0) | (out["processing_us_status"] == "withheld_or_bounded")
    has_proc = out["processing_hhi"].notna()
    out["us_mines_imports_processed"] = (us_mines & has_proc & ~us_processes).astype(bool)
    notes = []
    for m, p in zip(out["mine_hhi"], out["processing_hhi"]):
        parts = []
        if pd.isna(m):
            parts.append("no usable mine-stage data")
        if pd.isna(p):
            parts.append("no usable processing-stage data")
        notes.append("; ".join(parts))
    out["note"] = notes
    if nir is not None and len(nir):
        key = "commodity" if "commodity" in nir.columns else "commodity_id"
        disp = nir.drop_duplicates(key).set_index(key)["nir_display"]
        out["nir_published"] = out["commodity_id"].map(disp)
    return out.sort_values(["hhi_gap", "commodity_id"], ascending=[False, True], na_position="last").reset_index(drop=True)


def vintage_change(concentration: pd.DataFrame) -> pd.DataFrame:
    """How concentration moved across MCS vintages (2023 to 2026).

    For each (commodity, stage) and vintage, the primary usable series of the latest year
    of that vintage; then ``hhi_<vintage>``, ``china_<vintage>`` and the changes from the
    first to the last vintage available (``hhi_change``, ``china_change``, with
    ``first_year`` and ``last_year``: the production years they describe).
    """
    df = concentration[concentration["primary"] & (concentration["status"] != "insufficient_data")]
    df = df.sort_values(["commodity_id", "stage", "vintage", "year"]).groupby(
        ["commodity_id", "stage", "vintage"], as_index=False
    ).tail(1)
    if df.empty:
        return pd.DataFrame(columns=["commodity_id", "stage", "hhi_change", "china_change", "first_year", "last_year"])
    wide_hhi = df.pivot(index=["commodity_id", "stage"], columns="vintage", values="hhi").add_prefix("hhi_")
    wide_cn = df.pivot(index=["commodity_id", "stage"], columns="vintage", values="china_share").add_prefix("china_")
    ends = df.groupby(["commodity_id", "stage"]).agg(
        first_vintage=("vintage", "first"), last_vintage=("vintage", "last"),
        first_year=("year", "first"), last_year=("year", "last"),
        first_hhi=("hhi", "first"), last_hhi=("hhi", "last"),
        first_china=("china_share", "first"), last_china=("china_share", "last"),
    )
    out = wide_hhi.join(wide_cn).join(ends)
    out["hhi_change"] = out["last_hhi"] - out["first_hhi"]
    out["china_change"] = out["last_china"] - out["first_china"]
    out.columns = [str(c) for c in out.columns]
    return out.drop(columns=["first_hhi", "last_hhi", "first_china", "last_china"]).reset_index()


EU_STAGE = {"extraction": "mine", "processing": "processing"}
EU_SERIES_LABEL = "EU CRM 2023 global supply shares"


def eu_concentration_table(eu_supply_shares: pd.DataFrame) -> pd.DataFrame:
    """Concentration from the EU CRM 2023 global supply shares, in the columns of
    :func:`concentration_table`.

    The EU study publishes shares (percent) per material, stage (extraction, mapped to
    ``mine``; processing) and country, averaged over several years, so ``year`` is null and
    ``vintage`` is 2023 (the assessment). Shares published as ``<0.1%`` count 0 in ``hhi``
    and their bound in ``hhi_max``. Several EU materials can map to one commodity (kaolin
    and bentonite to clays): the material whose name is the commodity's id is preferred,
    else the one with the most countries; the label says which material was used.

    References
    ----------
    European Commission, 2023, Study on the critical raw materials for the EU 2023: Final
    report (supply shares and the trade variable t).
    """
    df = eu_supply_shares
    if df is None or df.empty:
        return pd.DataFrame(columns=CONCENTRATION_COLUMNS)
    df = df[(df["scope"] == "global") & df["commodity_id"].notna()].copy()
    df["stage"] = df["stage"].map(EU_STAGE)
    numeric = df["qualifier"].isin(NUMERIC) & df["value"].notna()
    df["s_low"] = np.where(numeric, df["value"] / 100.0, np.where(df["qualifier"] == "less_than", 0.0, np.nan))
    df["s_high"] = np.where(numeric, df["value"] / 100.0, np.where(df["qualifier"] == "less_than", df["high"] / 100.0, np.nan))
    # One material per (commodity, stage).
    counts = df.groupby(["commodity_id", "stage", "material"]).size().rename("n").reset_index()
    counts["exact_name"] = counts["material"].str.lower().str.replace(" ", "-") == counts["commodity_id"]
    counts = counts.sort_values(["commodity_id", "stage", "exact_name", "n", "material"], ascending=[True, True, False, False, True])
    pick = counts.drop_duplicates(["commodity_id", "stage"])[["commodity_id", "stage", "material"]]
    df = df.merge(pick, on=["commodity_id", "stage", "material"], how="inner")
    # One pass over the rows in plain Python: a few thousand rows, a hundred groups.
    groups: dict[tuple, dict] = {}
    for r in df[["commodity_id", "stage", "material", "country_kind", "country_iso3", "country_name", "s_low", "s_high",
                 "source_id"]].itertuples(index=False):
        grp = groups.setdefault((r.commodity_id, r.stage, r.material), {"per": {}, "unknown": [], "source": r.source_id})
        if r.country_kind != "country":
            continue
        if r.s_low != r.s_low:  # NaN: a share that is neither a number nor a bound
            grp["unknown"].append(r.country_iso3 or r.country_name)
            continue
        lo, hi = grp["per"].get(r.country_iso3, (0.0, 0.0))
        grp["per"][r.country_iso3] = (lo + float(r.s_low), hi + float(r.s_high))
    rows = []
    for (cid, stage, material), grp in sorted(groups.items()):
        per = sorted(grp["per"].items(), key=lambda kv: (-kv[1][0], kv[0]))
        lows = [lo for _, (lo, _) in per]
        highs = [hi for _, (_, hi) in per]
        listed = sum(lows)
        hhi_v = sum(x * x for x in lows)
        # Upper end: bounded shares at their bound, and what is left as one more producer.
        rest = max(0.0, 1.0 - sum(highs))
        hhi_hi = sum(x * x for x in highs) + rest ** 2
        shares = dict((c, lo) for c, (lo, _) in per)
        unknown = grp["unknown"]
        rows.append({
            "vintage": 2023, "commodity_id": cid, "stage": stage, "year": np.nan, "form": "",
            "series_label": f"{EU_SERIES_LABEL} ({material})", "unit": "share", "primary": True,
            "world_total": np.nan, "share_basis": "published_shares", "n_producers": sum(1 for h in highs if h > 0),
            "hhi": hhi_v, "hhi_max": max(hhi_v, hhi_hi), "top1_share": lows[0] if per else np.nan,
            "top1_country": per[0][0] if per else None, "top3_share": sum(lows[:3]) if per else np.nan,
            "china_share": shares.get(CHINA, 0.0) if CHINA not in unknown else np.nan,
            "china_listed": CHINA in shares, "us_share": shares.get(USA, 0.0),
            "us_status": "listed" if USA in shares else "not_listed", "listed_share": listed,
            "other_share": np.nan, "unknown_countries": list(unknown),
            "status": "partial" if unknown else ("ok" if per else "insufficient_data"),
            "source_id": grp["source"], "share_qualifier": "exact" if per else None,
        })
    return pd.DataFrame(rows, columns=CONCENTRATION_COLUMNS)


#: How each origin's concentration was derived (``derived_from`` of :func:`stage_view`).
DERIVED_FROM = {
    "usgs_mcs": "usgs_production",
    "wmd": "wmd_production",
    "eu_crm_2023": "eu_crm_2023_shares",
    "baci_exports": "baci_exports",
}
WMD_SERIES_PREFIX = "World Mining Data"
EXPORTS_SERIES_PREFIX = "BACI world exports by value"


def wmd_concentration_table(wmd: pd.DataFrame) -> pd.DataFrame:
    """Concentration of production from World Mining Data, in the columns of
    :func:`concentration_table` (``vintage`` null; ``series_label`` names the sheet).

    Shares are ``q_i / Total`` with the sheet's own Total row. A country listed without a
    figure for the year (blank cell) is unknown: status ``partial``, its share never 0.
    Where several sheets map to one commodity and stage (bentonite and kaolin for clays),
    the one with the most producers is ``primary``.

    References
    ----------
    Reichl, C. and Schatz, M., World Mining Data, Austrian Federal Ministry of Finance,
    table 6.4.
    """
    if wmd is None or wmd.empty:
        return pd.DataFrame(columns=CONCENTRATION_COLUMNS)
    key = ["commodity_id", "stage", "sheet", "year"]
    df = wmd[wmd["stage"].isin(STAGES)]
    num = df["qualifier"].isin(NUMERIC) & df["value"].notna()
    groups = df.groupby(key, sort=True).agg(
        form=("form", "first"), basis=("content_basis", "first"), unit=("unit", "first"), source_id=("source_id", "first"),
    )
    world = df[(df["country_kind"] == "world") & num].groupby(key)["value"].agg(["sum", "size"])
    est = (num & (df["qualifier"] == "estimated")).groupby([df[k] for k in key]).any()
    total = world["sum"].where(world["size"] == 1).reindex(groups.index)
    c = df[df["country_kind"] == "country"]
    cnum = c[num.loc[c.index]]
    unk_rows = c[~num.loc[c.index]]
    unknown: dict = {}
    for k, iso in zip(zip(*(unk_rows[col] for col in key)), unk_rows["country_iso3"]):
        if isinstance(iso, str):
            unknown.setdefault(k, []).append(iso)
    unknown = pd.Series({k: sorted(v) for k, v in unknown.items()}, dtype=object)
    if len(unknown):
        unknown.index = pd.MultiIndex.from_tuples(unknown.index, names=key)
    shares = cnum.groupby(key + ["country_iso3"])["value"].sum().reset_index()
    shares["s"] = shares["value"] / total.reindex(pd.MultiIndex.from_frame(shares[key])).to_numpy()
    shares = shares[shares["s"].notna()].sort_values(key + ["s"], ascending=[True] * 4 + [False])
    shares["_rank"] = shares.groupby(key).cumcount()
    shares["_s2"] = shares["s"] ** 2
    shares["_pos"] = (shares["s"] > 0).astype(int)
    g = shares.groupby(key)
    stats = pd.DataFrame({
        "hhi": g["_s2"].sum(),
        "listed": g["s"].sum(),
        "n_producers": g["_pos"].sum(),
        "top3": shares[shares["_rank"] < 3].groupby(key)["s"].sum(),
    })
    top = shares[shares["_rank"] == 0].set_index(key)
    cn = shares[shares["country_iso3"] == CHINA].set_index(key)["s"]
    us = shares[shares["country_iso3"] == USA].set_index(key)["s"]
    cu = c[c["country_iso3"].isin([CHINA, USA])]
    listed_map: dict = {}
    for k, iso in zip(zip(*(cu[col] for col in key)), cu["country_iso3"]):
        listed_map.setdefault(k, set()).add(iso)
    listed_any = pd.Series(listed_map, dtype=object)
    if len(listed_any):
        listed_any.index = pd.MultiIndex.from_tuples(listed_any.index, names=key)
    out = groups.join(stats).join(total.rename("total"))
    out["unknown"] = unknown.reindex(out.index) if len(unknown) else None
    out["top1_country"] = top["country_iso3"].reindex(out.index)
    out["top1_share"] = top["s"].reindex(out.index)
    out["unknown"] = out["unknown"].apply(lambda u: u if isinstance(u, list) else [])
    ok = out["total"].notna() & (out["total"] > 0) & out["hhi"].notna()
    listed_set = [x if isinstance(x, set) else set() for x in (listed_any.reindex(out.index) if len(listed_any) else [None] * len(out))]
    res = pd.DataFrame({
        "vintage": np.nan,
        "commodity_id": out.index.get_level_values(0), "stage": out.index.get_level_values(1),
        "year": out.index.get_level_values(3).astype(int), "form": out["form"].fillna("").to_numpy(),
        "series_label": [f"{WMD_SERIES_PREFIX}: {sh}" for sh in out.index.get_level_values(2)],
        "unit": [u + (f", {b}" if isinstance(b, str) and b != "gross weight" else "") for u, b in zip(out["unit"], out["basis"])],
        "primary": False,
        "world_total": out["total"].where(ok).to_numpy(),
        "share_basis": np.where(ok, "world_total", ""),
        "n_producers": out["n_producers"].fillna(0).astype(int).where(ok, 0).to_numpy(),
        "hhi": out["hhi"].where(ok).to_numpy(),
        "hhi_max": (out["hhi"] + (1 - out["listed"]).clip(lower=0) ** 2).where(ok).to_numpy(),
        "top1_share": out["top1_share"].where(ok).to_numpy(),
        "top1_country": out["top1_country"].where(ok, None).to_numpy(),
        "top3_share": out["top3"].where(ok).to_numpy(),
        "china_share": np.where(ok, np.where([CHINA in u for u in out["unknown"]], np.nan, cn.reindex(out.index).fillna(0.0)), np.nan),
        "china_listed": [CHINA in x for x in listed_set],
        "us_share": np.where(ok, np.where([USA in u for u in out["unknown"]], np.nan, us.reindex(out.index).fillna(0.0)), np.nan),
        "us_status": ["withheld_or_bounded" if USA in u else ("listed" if USA in x else "not_listed") for u, x in zip(out["unknown"], listed_set)],
        "listed_share": out["listed"].where(ok).to_numpy(),
        "other_share": np.where(ok, 0.0, np.nan),
        "unknown_countries": list(out["unknown"]),
        "status": np.where(ok, np.where([bool(u) for u in out["unknown"]], "partial", "ok"), "insufficient_data"),
        "source_id": out["source_id"].to_numpy(),
        "status_reason": np.where(ok, ["no figure for " + ", ".join(u) + " this year" if u else "" for u in out["unknown"]], "no usable Total"),
        "share_qualifier": np.where(ok, np.where(est.reindex(out.index).fillna(False).to_numpy(bool), "estimated", "exact"), None),
    })
    res = res[CONCENTRATION_COLUMNS].reset_index(drop=True)
    order = res.sort_values(["commodity_id", "stage", "year", "n_producers", "series_label"], ascending=[True, True, True, False, True])
    res.loc[order.index[~order.duplicated(["commodity_id", "stage", "year"]).to_numpy()], "primary"] = True
    return res


def export_concentration_table(exports: pd.DataFrame, pairs: list[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Concentration of world exports by value, per commodity (or group) and stage, in the
    columns of :func:`concentration_table`; ``origin`` ``baci_exports``.

    Parameters
    ----------
    exports
        Rows of ``world_trade`` (or its sum by year, hs6 and exporter: columns ``year, hs6,
        exporter_iso3, exporter_kind, exporter_name, value_usd``).
    pairs
        ``(commodity_id, stage)`` to compute; default every pair the concordance has codes
        for. Only each pair's latest year with data is computed.

    Export value is the unit every product of a stage shares (rare-earth metals and
    compounds), so these are shares of world export value, a proxy for the concentration
    of production: a country that consumes its own output (China's rare-earth compounds)
    weighs less in exports than in production. The label says so.
    """
    from critmin.vocab import hs6_concordance as hc

    if exports is None or exports.empty:
        return pd.DataFrame(columns=CONCENTRATION_COLUMNS)
    if pairs is None:
        pairs = sorted({(e.commodity_id, st) for e in hc.entries().values() if e.commodity_id and e.scope == "in_scope"
                        for st in e.stages if st in STAGES})
    iso = exports["exporter_iso3"].to_numpy(dtype=object, na_value=None)
    name = exports["exporter_name"].to_numpy(dtype=object, na_value=None)
    key = np.array([i if i is not None else n for i, n in zip(iso, name)], dtype=object)
    hs6 = exports["hs6"].to_numpy(dtype=object)
    years = exports["year"].to_numpy(dtype=np.int64)
    value = exports["value_usd"].to_numpy(dtype=float)
    by_code: dict[str, np.ndarray] = {}
    for i, c in enumerate(hs6):
        by_code.setdefault(c, []).append(i)
    by_code = {c: np.array(v) for c, v in by_code.items()}
    source = str(exports["source_id"].iloc[0]) if "source_id" in exports.columns else "cepii_baci_hs92"
    rows = []
    for cid, stage in pairs:
        codes = hc.codes_for(cid, stage)
        idx = [by_code[c] for c in codes if c in by_code]
        if not idx:
            continue
        idx = np.concatenate(idx)
        year = int(years[idx].max())
        idx = idx[years[idx] == year]
        tot = float(value[idx].sum())
        if tot <= 0:
            continue
        partners, inv = np.unique(key[idx].astype(str), return_inverse=True)
        amounts = np.bincount(inv, weights=value[idx])
        order = np.lexsort((partners, -amounts))
        sh = pd.Series(amounts[order] / tot, index=partners[order])
        mixed_stage = [c for c in codes if hc.entry(c).stage_mixed]
        label = f"{EXPORTS_SERIES_PREFIX}, HS {'+'.join(codes)} ({', '.join(hc.entry(c).form for c in codes)})"
        reason = ("stage-mixed code " + ", ".join(mixed_stage) + ": " + "; ".join(hc.entry(c).note for c in mixed_stage)) if mixed_stage else ""
        rows.append({
            "vintage": np.nan, "commodity_id": cid, "stage": stage, "year": year, "form": ", ".join(hc.entry(c).form for c in codes),
            "series_label": label, "unit": "share of world export value (US$)", "primary": True, "world_total": tot,
            "share_basis": "export_value", "n_producers": int((sh > 0).sum()), "hhi": float((sh ** 2).sum()),
            "hhi_max": float((sh ** 2).sum()), "top1_share": float(sh.iloc[0]), "top1_country": sh.index[0],
            "top3_share": float(sh.head(3).sum()), "china_share": float(sh.get(CHINA, 0.0)), "china_listed": CHINA in sh.index,
            "us_share": float(sh.get(USA, 0.0)), "us_status": "listed" if USA in sh.index else "not_listed",
            "listed_share": 1.0, "other_share": 0.0, "unknown_countries": [], "status": "ok", "source_id": source,
            "status_reason": reason, "share_qualifier": "exact",
        })
    return pd.DataFrame(rows, columns=CONCENTRATION_COLUMNS)


def stage_view(usgs: pd.DataFrame, eu: pd.DataFrame | None = None, wmd: pd.DataFrame | None = None,
               exports: pd.DataFrame | None = None) -> pd.DataFrame:
    """The concentration used per (commodity, stage), first usable of, in order:

    1. the latest usable USGS MCS series (``origin`` ``usgs_mcs``);
    2. World Mining Data production, the latest usable year (``wmd``; plant output for the
       processing stage: aluminium, gallium, germanium, indium, selenium, tellurium,
       rhenium, cadmium);
    3. the EU CRM 2023 published shares (``eu_crm_2023``);
    4. world export value shares from BACI (``baci_exports``; a proxy, see
       :func:`export_concentration_table`).

    ``derived_from`` says which in words a user can act on: ``usgs_production``,
    ``wmd_production``, ``eu_crm_2023_shares``, ``baci_exports``.
    """
    parts = [latest(usgs).assign(origin="usgs_mcs")]
    if wmd is not None and not wmd.empty:
        w = wmd[wmd["primary"] & (wmd["status"] != "insufficient_data")].sort_values(["commodity_id", "stage", "year"])
        parts.append(w.groupby(["commodity_id", "stage"], as_index=False).tail(1).assign(origin="wmd"))
    if eu is not None and not eu.empty:
        parts.append(eu[eu["status"] != "insufficient_data"].assign(origin="eu_crm_2023"))
    if exports is not None and not exports.empty:
        parts.append(exports[exports["status"] != "insufficient_data"].assign(origin="baci_exports"))
    chosen, have = [], set()
    for part in parts:
        part = part[[(c, s) not in have for c, s in zip(part["commodity_id"], part["stage"])]]
        have |= set(zip(part["commodity_id"], part["stage"]))
        chosen.append(part)
    out = pd.concat([c for c in chosen if not c.empty] or [parts[0]], ignore_index=True)
    out["derived_from"] = out["origin"].map(DERIVED_FROM)
    return out.sort_values(["commodity_id", "stage"]).reset_index(drop=True)

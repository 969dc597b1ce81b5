"""US import dependency: net import reliance and import sources by partner and group.

Definitions
-----------
Net import reliance (NIR), as USGS defines it in every MCS salient table::

    NIR = (imports - exports + adjustments for government and industry stock changes)
          / apparent consumption x 100

A stock *release* (stocks falling from year-end t-1 to year-end t) adds to supply and so to
the numerator. USGS publishes NIR per commodity, sometimes only bounded (``>95``) or as
``E`` (net exporter); :func:`computed_nir` recomputes it from the salient statistics where
every input is a number, so the two can be read side by side (:func:`nir_side_by_side`).

Import shares
    The MCS 2026 import-source percentages (2021-24) per partner. Group shares add the
    partners of a group; the residual "Other" row of the publisher is not assignable to any
    group, so each group share is reported as at least the listed partners' sum
    (``<group>_share``) and at most that plus the unassigned share (``<group>_share_max``).

Groups (ISO3, from :mod:`critmin.vocab.countries` and the snapshot tables)
    * FEOC: China with Hong Kong, Russia, North Korea, Iran (foreign countries of concern,
      10 U.S.C. 4872; Hong Kong counted with China as USGS does).
    * G7 and USMCA partners (the US itself excluded).
    * Agreement partners: the countries of the 2025 US critical-mineral agreements
      (MCS 2026 Table 5), FEOC members excluded (the October 2025 US-China arrangement is a
      pause of export controls, not a sourcing partnership).
    * Allies: the union of the three above.
    * Export-control countries: countries with an export control in force on that mineral
      (``export_controls`` table; suspended and lifted measures excluded).

References
----------
U.S. Geological Survey, 2026, Mineral Commodity Summaries 2026, Introduction ("net import
reliance") and Import Sources; doi:10.5066/P1WKQ63T.
U.S. International Trade Commission, DataWeb, imports for consumption by partner (customs
value, US$).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from critmin.analysis.interval import Interval, from_published

NUMERIC = ("exact", "estimated", "revised", "zero")
FEOC = frozenset({"CHN", "HKG", "RUS", "PRK", "IRN"})
CHINA_WITH_HK = frozenset({"CHN", "HKG"})
US = "USA"


# ---------------------------------------------------------------- net import reliance
def nir_from_flows(
    imports: float,
    exports: float,
    apparent_consumption: float,
    stock_release: float = 0.0,
) -> float | None:
    """Net import reliance in percent: ``(I - E + stock release) / apparent consumption``.

    Parameters
    ----------
    imports, exports
        Quantities in the same unit as consumption.
    apparent_consumption
        As published (production + imports - exports +/- stock changes).
    stock_release
        Stocks at year-end t-1 minus stocks at year-end t (positive when stocks fall).

    Returns
    -------
    float or None
        ``None`` when apparent consumption is not positive (NIR undefined). A negative
        value means the US is a net exporter (USGS prints ``E``).

    Examples
    --------
    >>> round(nir_from_flows(9790, 4930, 6650), 1)
    73.1
    """
    for name, v in (("imports", imports), ("exports", exports), ("apparent_consumption", apparent_consumption), ("stock_release", stock_release)):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            raise ValueError(f"{name} is missing; an unknown flow is not 0")
    if apparent_consumption <= 0:
        return None
    return 100.0 * (imports - exports + stock_release) / apparent_consumption


_APPARENT = re.compile(r"apparent", re.I)
_NOT_APPARENT = re.compile(r"estimated|reported", re.I)
# The MCS 2023-2025 salient files put a column's sub-label in ``form`` (apparent, estimated,
# industry, mine ...), so flows are matched per (vintage, commodity, year), not per form.
_KEY = ["vintage", "commodity_id", "year"]


def _prepared(salient: pd.DataFrame, statistics: list[str]) -> pd.DataFrame:
    df = salient[salient["statistic"].isin(statistics)]
    df = df.assign(
        form=df["form"].fillna("").astype(str), unit=df["unit"].fillna("").astype(str),
        detail=df["detail"].astype(str),
        is_num=df["qualifier"].isin(NUMERIC).to_numpy() & df["value"].notna().to_numpy(),
    )
    return df


_TOTAL = re.compile(r"\btotal\b", re.I)


def _flows_in_unit(df: pd.DataFrame, chosen: pd.DataFrame, statistic: str) -> pd.DataFrame:
    """Sum of one statistic per key in the chosen unit: total, count, all numeric, first code.

    Where USGS publishes the components and their total (``Imports: Total``), only the
    total is used, so nothing is counted twice.
    """
    part = df[df["statistic"] == statistic].merge(chosen[_KEY + ["unit"]], on=_KEY + ["unit"], how="inner")
    is_total = part["detail"].str.contains(_TOTAL).to_numpy()
    n_total = pd.Series(is_total, index=part.index).groupby([part[k] for k in _KEY]).transform("sum").to_numpy()
    part = part[(n_total == 0) | ((n_total == 1) & is_total)]
    part = part.assign(_v=part["value"].where(part["is_num"], 0.0).astype(float),
                       _bad=np.where(part["is_num"], "", part["qualifier"].astype(str)))
    g = part.groupby(_KEY, as_index=False).agg(total=("_v", "sum"), n=("is_num", "size"), n_num=("is_num", "sum"),
                                                bad=("_bad", "max"), details=("detail", lambda d: "; ".join(d)))
    return g


def computed_nir(salient: pd.DataFrame) -> pd.DataFrame:
    """Net import reliance recomputed from the salient statistics, where the inputs exist.

    For each (vintage, commodity, year): imports and exports are the sums of the
    import and export statistics published in the unit of consumption (their published
    total where there is one); consumption is the statistic whose detail says "apparent"
    (else the only consumption statistic, unless it says estimated or reported); the stock
    release is the fall of year-end stocks (summed over the stock statistics in that unit)
    from the previous year of the same vintage. Every input must be a number; otherwise
    ``computed_nir`` is null and ``reason`` says which input is missing.

    Returns
    -------
    DataFrame
        ``vintage, commodity_id, form, year, unit, imports, exports, stock_release,
        apparent_consumption, computed_nir, stock_change_included, inputs, reason``.
    """
    cols = ["vintage", "commodity_id", "form", "year", "unit", "imports", "exports", "stock_release",
            "apparent_consumption", "computed_nir", "stock_change_included", "inputs", "reason"]
    df = _prepared(salient, ["imports", "exports", "consumption", "stocks"])
    cons = df[df["statistic"] == "consumption"]
    if cons.empty:
        return pd.DataFrame(columns=cols)
    cons = cons.assign(_app=cons["detail"].str.contains(_APPARENT).to_numpy())
    counts = cons.groupby(_KEY).agg(n_cons=("_app", "size"), n_app=("_app", "sum"))
    one_app = cons[cons["_app"]].join(counts, on=_KEY)
    one_app = one_app[one_app["n_app"] == 1]
    only = cons.join(counts, on=_KEY)
    # A lone consumption statistic counts unless it says it is estimated or reported
    # (NIR is defined over apparent consumption).
    only = only[(only["n_cons"] == 1) & (only["n_app"] != 1) & ~only["detail"].str.contains(_NOT_APPARENT).to_numpy()]
    chosen = pd.concat([one_app, only])
    keys_all = df[_KEY].drop_duplicates()
    out = keys_all.merge(chosen[_KEY + ["unit", "value", "qualifier", "is_num", "detail"]], on=_KEY, how="left")
    out = out.merge(counts.reset_index(), on=_KEY, how="left")
    imp = _flows_in_unit(df, chosen, "imports").add_prefix("imp_").rename(columns={f"imp_{k}": k for k in _KEY})
    exp = _flows_in_unit(df, chosen, "exports").add_prefix("exp_").rename(columns={f"exp_{k}": k for k in _KEY})
    out = out.merge(imp, on=_KEY, how="left").merge(exp, on=_KEY, how="left")

    # Stock release: stocks at t-1 minus stocks at t, every stock statistic of the unit matched.
    st = df[df["statistic"] == "stocks"].merge(chosen[_KEY + ["unit"]], on=_KEY + ["unit"], how="inner")
    prev = df[df["statistic"] == "stocks"].assign(year=lambda d: d["year"] + 1)
    paired = st.merge(prev[_KEY + ["unit", "detail", "value", "is_num"]], on=_KEY + ["unit", "detail"], how="left",
                      suffixes=("", "_prev"))
    paired = paired.assign(_ok=paired["is_num"] & paired["is_num_prev"].fillna(False).astype(bool),
                           _rel=(paired["value_prev"] - paired["value"]).astype(float))
    stocks = paired.groupby(_KEY, as_index=False).agg(st_n=("_ok", "size"), st_ok=("_ok", "sum"), st_rel=("_rel", "sum"))
    out = out.merge(stocks, on=_KEY, how="left")

    reasons, values, releases, included = [], [], [], []
    for r in out.itertuples(index=False):
        reason, value, rel, inc = "", None, None, False
        if pd.isna(r.n_cons) or r.n_cons == 0:
            reason = "no consumption statistic"
        elif pd.isna(r.unit):
            reason = "no single apparent-consumption statistic"
        elif not r.is_num:
            reason = f"consumption is {r.qualifier}"
        elif pd.isna(r.imp_n):
            reason = f"no imports statistic in {r.unit or 'the consumption unit'}"
        elif r.imp_n_num < r.imp_n:
            reason = f"imports is {r.imp_bad}"
        elif pd.isna(r.exp_n):
            reason = f"no exports statistic in {r.unit or 'the consumption unit'}"
        elif r.exp_n_num < r.exp_n:
            reason = f"exports is {r.exp_bad}"
        else:
            has_stocks = not pd.isna(r.st_n) and r.st_n > 0
            inc = bool(has_stocks and r.st_ok == r.st_n)
            rel = float(r.st_rel) if inc else None
            value = nir_from_flows(float(r.imp_total), float(r.exp_total), float(r.value), rel or 0.0)
            if value is None:
                reason = "apparent consumption is not positive"
            elif has_stocks and not inc:
                reason = "stock change not included (previous year-end stocks not published as numbers)"
        reasons.append(reason)
        values.append(value)
        releases.append(rel)
        included.append(inc)
    ok_inputs = [r.detail if isinstance(r.detail, str) else "" for r in out.itertuples(index=False)]
    res = pd.DataFrame({
        "vintage": out["vintage"].astype(int), "commodity_id": out["commodity_id"], "form": "",
        "year": out["year"].astype(int), "unit": out["unit"],
        "imports": out["imp_total"].where(out["imp_n_num"] == out["imp_n"]),
        "exports": out["exp_total"].where(out["exp_n_num"] == out["exp_n"]),
        "stock_release": releases, "apparent_consumption": out["value"].where(out["is_num"].fillna(False).astype(bool)),
        "computed_nir": values, "stock_change_included": included,
        "inputs": ["; ".join(x for x in (c, i, e) if isinstance(x, str) and x) for c, i, e in zip(ok_inputs, out["imp_details"], out["exp_details"])],
        "reason": reasons,
    })
    return res[cols].sort_values(_KEY).reset_index(drop=True)


def nir_side_by_side(salient: pd.DataFrame, computed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published and computed net import reliance per (vintage, commodity, year, form).

    The published value is the salient table's own NIR statistic (one per form; USGS gives
    several for rare earths, all set beside the one computed value), with its qualifier;
    ``difference`` = computed - published where both are numbers, in percentage points.
    """
    computed = computed_nir(salient) if computed is None else computed
    pub = salient[salient["statistic"] == "nir"].copy()
    pub["form"] = pub["form"].fillna("")
    pub = pub.rename(columns={"value": "published_nir", "qualifier": "published_qualifier", "raw": "published_raw",
                              "detail": "published_detail"})
    keep = ["vintage", "commodity_id", "form", "year", "published_nir", "published_qualifier", "published_raw", "published_detail"]
    pub = pub[keep]
    # Where USGS publishes NIR per form (rare earths: compounds and metals, concentrate), the
    # salient flows mix the forms, so one recomputation compares with none of them.
    n_forms = pub.groupby(["vintage", "commodity_id", "year"])["form"].nunique().rename("n_forms").reset_index()
    computed = computed.merge(n_forms, on=["vintage", "commodity_id", "year"], how="left")
    per_form = computed["n_forms"].fillna(0) > 1
    computed.loc[per_form, ["computed_nir"]] = None
    computed.loc[per_form, "reason"] = "NIR published per form; the salient flows mix the forms, so no recomputation compares"
    computed = computed.drop(columns=["n_forms"])
    out = pub.merge(computed.drop(columns=["form"]), on=["vintage", "commodity_id", "year"], how="outer")
    out["form"] = out["form"].fillna("")
    num = out["published_qualifier"].isin(NUMERIC)
    out["difference"] = np.where(num & out["computed_nir"].notna(),
                                 pd.to_numeric(out["computed_nir"], errors="coerce") - pd.to_numeric(out["published_nir"], errors="coerce"),
                                 np.nan)
    return out.sort_values(["commodity_id", "vintage", "year", "form"]).reset_index(drop=True)


def reliance_interval(value, qualifier: str, low=None, high=None) -> Interval | None:
    """Published NIR (percent) as a fraction interval for trade exposure.

    ``E`` (net exporter) is exposure 0; ``>95`` is [0.95, 1]; withheld or not published
    is ``None``. A published value above 100 (stock building) is capped at 1.
    """
    iv = from_published(value, qualifier, low, high, cap=100.0, net_exporter=Interval(0.0, 0.0))
    if iv is None:
        return None
    return Interval(max(iv.low, 0.0) / 100.0, max(iv.high, 0.0) / 100.0).clip(0.0, 1.0)


# ---------------------------------------------------------------- partner groups
def partner_groups(
    groups: Mapping[str, Iterable[str]],
    agreement_countries: Iterable[str] = (),
) -> dict[str, frozenset[str]]:
    """The partner groups of this module from the vocabulary's named groups.

    Parameters
    ----------
    groups
        Named groups with at least ``G7`` and ``USMCA`` (ISO3 sets).
    agreement_countries
        ISO3 of the countries in the 2025 agreements table.
    """
    g7 = frozenset(groups["G7"]) - {US}
    usmca = frozenset(groups["USMCA"]) - {US}
    agreement = frozenset(agreement_countries) - FEOC - {US}
    return {
        "feoc": FEOC,
        "china": CHINA_WITH_HK,
        "g7": g7,
        "usmca": usmca,
        "agreement": agreement,
        "allies": g7 | usmca | agreement,
    }


def in_force(status: str | None) -> bool:
    """Whether an export-control status means the measure applies now.

    ``active`` / ``in force`` count; ``suspended ...``, ``lifted`` and blanks do not.
    """
    if status is None or (isinstance(status, float) and np.isnan(status)):
        return False
    s = str(status).strip().lower()
    return s.startswith("active") or s.startswith("in force") or s == "in_force"


def export_control_countries(export_controls: pd.DataFrame, commodity_ids: Iterable[str]) -> frozenset[str]:
    """Countries with an export control in force on any of ``commodity_ids``."""
    ids = set(commodity_ids)
    if export_controls is None or export_controls.empty:
        return frozenset()
    rows = export_controls[export_controls["commodity_id"].isin(ids)]
    rows = rows[rows["status"].map(in_force)]
    return frozenset(rows["country_iso3"].dropna())


def import_group_shares(
    import_shares: pd.DataFrame,
    groups: Mapping[str, frozenset[str]],
    export_control_by_commodity: Mapping[str, frozenset[str]] | None = None,
) -> pd.DataFrame:
    """Share of US imports from each partner group, per (vintage, commodity, form, period, source).

    Parameters
    ----------
    import_shares
        The ``import_shares`` table: one row per partner with its percentage share.
    groups
        From :func:`partner_groups`.
    export_control_by_commodity
        ``{commodity_id: countries with export controls in force}``; adds
        ``export_control_share``.

    Returns
    -------
    DataFrame
        For each group ``<group>_share`` (the listed partners' sum, as a fraction) and
        ``<group>_share_max`` (plus the share not assigned to a named country, and plus the
        upper bounds of bounded shares), ``listed_share``, ``unassigned_share``,
        ``n_partners``, ``partners`` (ISO3 in descending share) and ``status``
        (``insufficient_data`` when a share is withheld or the shares are not percentages).
    """
    ec = export_control_by_commodity or {}
    df = import_shares.copy()
    df["form"] = df["form"].fillna("")
    keys = ["vintage", "commodity_id", "form", "period", "source_id"]
    out = []
    for key, grp in df.groupby(keys, sort=True, dropna=False):
        rec = dict(zip(keys, key))
        ivs = []
        bad = []
        for r in grp.itertuples(index=False):
            iv = from_published(r.value, r.qualifier, r.low, r.high, cap=100.0)
            if iv is None:
                bad.append(r.partner_name)
            ivs.append((r.partner_iso3 if r.partner_kind == "country" else None, r.partner_name, iv))
        named = [(c, iv) for c, _, iv in ivs if c is not None and iv is not None]
        unassigned = sum((iv.high for c, _, iv in ivs if c is None and iv is not None), 0.0) / 100.0
        listed = sum((iv.low for _, iv in named), 0.0) / 100.0
        slack = sum((iv.high - iv.low for _, iv in named), 0.0) / 100.0
        rec["n_partners"] = len(named)
        rec["partners"] = [c for c, iv in sorted(named, key=lambda x: -x[1].high)]
        rec["listed_share"] = listed
        rec["unassigned_share"] = unassigned
        all_groups = dict(groups)
        all_groups["export_control"] = ec.get(rec["commodity_id"], frozenset())
        for name, members in all_groups.items():
            low = sum((iv.low for c, iv in named if c in members), 0.0) / 100.0
            high = sum((iv.high for c, iv in named if c in members), 0.0) / 100.0
            rec[f"{name}_share"] = low
            rec[f"{name}_share_max"] = min(1.0, high + unassigned)
        rec["bounded_slack"] = slack
        rec["status"] = "insufficient_data" if bad else "ok"
        rec["missing"] = [f"share of {p}" for p in bad]
        out.append(rec)
    return pd.DataFrame(out)


#: Tables of import shares, in the order a repeated block is kept: the MCS 2026 commodity
#: sections (per form, bounds as printed) before Figure 3, which repeats most of them.
SHARE_TABLE_PREFERENCE = ("usgs_mcs2026", "usgs_mcs2026_trends")
_BLOCK_KEYS = ("commodity_id", "vintage", "form", "period", "source_id")


def _same_share(a: tuple, b: tuple, rounding: float) -> bool:
    """Two published shares agree: equal numbers, or a number within ``rounding`` points of
    the other's bound on the bound's side (Figure 3 prints ``99`` where the commodity
    section prints ``>99``)."""
    (va, qa, la, ha), (vb, qb, lb, hb) = a, b
    numeric = ("exact", "estimated", "revised", "zero")
    if qa in numeric and qb in numeric:
        return va is not None and vb is not None and abs(float(va) - float(vb)) < 1e-9
    if qa in numeric:
        (va, qa, la, ha), (vb, qb, lb, hb) = b, a
    if qb not in numeric or vb is None:
        return qa == qb and (la, ha) == (lb, hb)
    if qa == "greater_than" and la is not None:
        return float(vb) >= float(la) - rounding
    if qa == "less_than" and ha is not None:
        return float(vb) <= float(ha) + rounding
    return False


def distinct_share_blocks(shares: pd.DataFrame, *, prefer: Iterable[str] = SHARE_TABLE_PREFERENCE,
                          rounding: float = 1.0) -> pd.DataFrame:
    """Import shares with every block that repeats another table's block left out.

    A block is one (commodity, vintage, form, period, table) set of partner shares; each
    block of a complete table sums to 100 %. MCS 2026 prints most blocks twice, in the
    commodity section and in Figure 3 (rare-earth compounds and metals: China 71, Malaysia
    13, Estonia 5, Japan 5, other 6 in both), so listing both doubles every share. Two
    blocks of different tables repeat each other when they have the same commodity,
    vintage and period, the same partners (the unassigned "Other" counted as one partner)
    and the same shares, a number matching a bound within ``rounding`` points. The block
    of the table earlier in ``prefer`` is kept, and its rows name the other in
    ``also_in``. Blocks that differ (titanium mineral concentrates: Australia in Figure 3,
    Mozambique in the commodity section) are both kept.

    Parameters
    ----------
    shares
        Rows of ``import_shares`` (``commodity_id`` or ``commodity``, ``vintage``, ``form``,
        ``period``, ``source_id``, ``partner_iso3`` or ``partner``, ``partner_kind``,
        ``value`` or ``share_pct``, ``qualifier``, ``low``, ``high``).

    Returns
    -------
    DataFrame
        The rows kept, in their order, with ``also_in`` (a list of ``source_id: form``).
    """
    if shares is None or shares.empty:
        out = shares.copy() if shares is not None else pd.DataFrame()
        out["also_in"] = pd.Series(dtype=object)
        return out
    df = shares.copy()
    cid = "commodity_id" if "commodity_id" in df.columns else "commodity"
    partner = "partner_iso3" if "partner_iso3" in df.columns else "partner"
    value = "value" if "value" in df.columns else "share_pct"
    form = df["form"].fillna("")
    keys = [df[cid], df["vintage"], form, df["period"], df["source_id"]]
    block_id = pd.Series(list(zip(*keys)), index=df.index)

    def signature(rows: pd.DataFrame) -> dict:
        sig = {}
        for r in rows.itertuples(index=False):
            who = getattr(r, partner) if getattr(r, "partner_kind") == "country" else "other"
            v = getattr(r, value)
            sig[who] = (None if pd.isna(v) else float(v), r.qualifier,
                        None if pd.isna(r.low) else float(r.low), None if pd.isna(r.high) else float(r.high))
        return sig

    blocks = {b: signature(df.loc[block_id == b]) for b in dict.fromkeys(block_id)}
    rank = {src: i for i, src in enumerate(prefer)}
    order = sorted(blocks, key=lambda b: (rank.get(b[4], len(rank)), str(b[4]), str(b[2])))
    kept: list[tuple] = []
    also: dict[tuple, list[str]] = {}
    for b in order:
        twin = next((k for k in kept if k[0] == b[0] and k[1] == b[1] and k[3] == b[3] and k[4] != b[4]
                     and blocks[k].keys() == blocks[b].keys()
                     and all(_same_share(blocks[k][p], blocks[b][p], rounding) for p in blocks[b])), None)
        if twin is None:
            kept.append(b)
        else:
            also.setdefault(twin, []).append(f"{b[4]}: {b[2]}" if b[2] else str(b[4]))
    keep = block_id.isin(set(kept))
    out = df[keep].copy()
    out["also_in"] = [also.get(b, []) for b in block_id[keep]]
    return out


def customs_by_partner(trade: pd.DataFrame, commodity_id: str, *, flow: str = "imports") -> pd.DataFrame:
    """USITC customs value by partner and year for the HTS headings mapped to a mineral.

    Annual rows only. ``share_of_listed`` is the partner's share of the sum over the
    partners in the extract (18 countries, no world total): a share of listed partners,
    not of all US imports. A withheld or missing cell is left out of the sums and counted
    in ``n_unknown``.

    Returns
    -------
    DataFrame
        ``year, partner_iso3, partner_name, customs_value_usd, share_of_listed, hts``.
    """
    t = trade[(trade["flow"] == flow) & (trade["measure"] == "customs_value") & (trade["period"] == "annual")]
    mask = t["commodity_ids"].map(lambda ids: ids is not None and commodity_id in list(ids))
    t = t[mask]
    if t.empty:
        return pd.DataFrame(columns=["year", "partner_iso3", "partner_name", "customs_value_usd", "share_of_listed", "hts", "n_unknown"])
    t = t.assign(is_num=t["qualifier"].isin(NUMERIC) & t["value"].notna())
    known = t[t["is_num"]]
    g = known.groupby(["year", "partner_iso3", "partner_name"], as_index=False).agg(
        customs_value_usd=("value", "sum"), hts=("hts", lambda s: ", ".join(sorted(set(map(str, s))))))
    unknown = t[~t["is_num"]].groupby(["year", "partner_iso3"]).size().rename("n_unknown")
    g = g.join(unknown, on=["year", "partner_iso3"])
    g["n_unknown"] = g["n_unknown"].fillna(0).astype(int)
    totals = g.groupby("year")["customs_value_usd"].transform("sum")
    g["share_of_listed"] = np.where(totals > 0, g["customs_value_usd"] / totals, np.nan)
    return g.sort_values(["year", "customs_value_usd"], ascending=[True, False]).reset_index(drop=True)


def customs_import_totals(trade: pd.DataFrame) -> pd.DataFrame:
    """Annual US customs import value per mineral, summed over partners and headings.

    A heading mapped to several minerals (2805: rare-earth and alkali metals) counts in
    full for each, so the totals are an upper bound on the mineral's own imports from the
    listed partners; ``n_headings`` says how many headings were summed.
    """
    t = trade[(trade["flow"] == "imports") & (trade["measure"] == "customs_value") & (trade["period"] == "annual")]
    t = t[t["qualifier"].isin(NUMERIC) & t["value"].notna()]
    t = t.explode("commodity_ids").dropna(subset=["commodity_ids"])
    out = t.groupby(["commodity_ids", "year"]).agg(customs_value_usd=("value", "sum"), n_headings=("hts", "nunique"))
    return out.reset_index().rename(columns={"commodity_ids": "commodity_id"})


_SECONDARY = re.compile(r"secondary|scrap|old|new scrap|recycl", re.I)


def import_fraction(salient: pd.DataFrame) -> pd.DataFrame:
    """``F / (p + F)``: the share of US primary supply that is imported, per year.

    ``p`` is the one US production statistic that is not secondary (scrap, recycling),
    ``F`` the sum of the import statistics in the same unit. With several primary
    production statistics (mine and smelter, for instance) ``p`` is ambiguous and the row
    says so instead of choosing.

    Returns
    -------
    DataFrame
        ``vintage, commodity_id, form, year, unit, production, imports, import_fraction,
        reason``.
    """
    cols = ["vintage", "commodity_id", "form", "year", "unit", "production", "imports", "import_fraction", "reason"]
    df = _prepared(salient, ["production", "imports"])
    if df.empty:
        return pd.DataFrame(columns=cols)
    prod = df[(df["statistic"] == "production") & ~df["detail"].str.contains(_SECONDARY).to_numpy()]
    n_prod = prod.groupby(_KEY).size().rename("n_prod")
    keys = df[_KEY].drop_duplicates().join(n_prod, on=_KEY)
    single = prod.join(n_prod, on=_KEY)
    single = single[single["n_prod"] == 1]
    imp = _flows_in_unit(df, single, "imports")
    out = keys.merge(single[_KEY + ["unit", "value", "qualifier", "is_num"]], on=_KEY, how="left").merge(imp, on=_KEY, how="left")
    reasons, fractions, prods, imps = [], [], [], []
    for r in out.itertuples(index=False):
        reason, frac, pv, fv = "", None, None, None
        if pd.isna(r.n_prod):
            reason = "no primary production statistic"
        elif r.n_prod > 1:
            reason = "several primary production statistics"
        elif not r.is_num:
            reason = f"production is {r.qualifier}"
        elif pd.isna(r.n):
            reason = "no imports in the production unit"
        elif r.n_num < r.n:
            reason = f"imports are {r.bad}"
        else:
            pv, fv = float(r.value), float(r.total)
            if pv + fv > 0:
                frac = fv / (pv + fv)
            else:
                reason = "no production and no imports"
        reasons.append(reason)
        fractions.append(frac)
        prods.append(pv)
        imps.append(fv)
    res = out[_KEY + ["unit"]].assign(form="", production=prods, imports=imps, import_fraction=fractions, reason=reasons)
    res["vintage"] = res["vintage"].astype(int)
    res["year"] = res["year"].astype(int)
    return res[cols].sort_values(_KEY).reset_index(drop=True)


# ---------------------------------------------------------------- one reliance per mineral, and the headline counts
#: Years of the US critical-mineral lists (the Secretary of the Interior's 2018 list, the USGS
#: 2022 and 2025 lists).
LIST_YEARS = (2018, 2022, 2025)
#: Qualifier of a mineral that no table of the release publishes a reliance for.
NOT_PUBLISHED = "not_published"
#: Published rows that also measure a listed mineral. USGS's own critical-minerals table
#: (MCS 2025 T5, MCS 2026 T7) reports the list entry "Aluminum" as "Aluminum (bauxite)"
#: with the bauxite reliance, so bauxite/alumina rows count for aluminum too.
LIST_SCOPE: dict[str, tuple[str, ...]] = {"aluminum": ("aluminum", "bauxite")}
#: Order in which the tables that also publish reliance are consulted for a mineral the
#: figure leaves out: the commodity's own salient statistics (the chapter), then the
#: release's critical-minerals table (MCS 2025 T5, MCS 2026 T7). Where both have the year
#: they may differ (beryllium 2023: ``E`` in its chapter, ``NA`` in MCS 2024 T5); the
#: chapter wins and the other stays in the snapshot.
SALIENT_TABLES = ("salient", "critical_salient")
#: Columns of :func:`mineral_reliance`.
RELIANCE_COLUMNS = ["commodity_id", "vintage", "year", "form", "published_name", "value", "qualifier", "low", "high",
                    "raw", "import_sources", "import_sources_iso3", "rank", "source_id", "via_group", "nir_table"]


def reliance_rank(value: float | None, qualifier: str, low: float | None, high: float | None) -> float:
    """An ordering key for published reliance: bounds count at their bound.

    Used only to choose, among a mineral's published forms, the one with the highest
    reliance; never shown as a number.
    """
    q = qualifier
    if q in ("exact", "estimated", "revised", "zero") and _num(value) is not None:
        return float(value)
    if q == "greater_than" and _num(low) is not None:
        return float(low) + 1e-6
    if q == "less_than" and _num(high) is not None:
        return float(high) - 1e-6
    if q == "range" and _num(low) is not None:
        return float(low)
    if q == "net_exporter":
        return -1.0
    return -np.inf


def reliance_class(value: float | None, qualifier: str, low: float | None, high: float | None) -> str:
    """``'100'`` for 100 % reliant, ``'>50'`` for more than 50 % (a bound counts when the
    bound itself says so: ``>50``, ``>75``, ``>95``), else ``'other'``; ``'unknown'`` where
    nothing was published (withheld, not available, not published).

    This is the rule behind "N at 100 %, M more above 50 %" (:func:`reliance_counts`).
    """
    value, low = _num(value), _num(low)
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


def reliance_counts(classes: Iterable[str]) -> dict[str, int]:
    """The headline counts from the :func:`reliance_class` of every mineral of a list:
    ``at_100``, ``above_50`` (more than 50 % and not 100 %), ``other``, ``unknown``,
    ``minerals``.

    Example: MCS 2025 on the 2022 list gives 12 at 100 % and 28 more above 50 %.
    """
    classes = list(classes)
    return {
        "at_100": sum(c == "100" for c in classes),
        "above_50": sum(c == ">50" for c in classes),
        "other": sum(c == "other" for c in classes),
        "unknown": sum(c == "unknown" for c in classes),
        "minerals": len(classes),
    }


def headline_list(vintage: int) -> int:
    """The critical-mineral list a release's headline counts refer to: the latest list
    published before the release (MCS 2023-2025: the 2022 list; MCS 2026: the 2025 list of
    November 2025)."""
    before = [y for y in LIST_YEARS if y < int(vintage)]
    return before[-1] if before else LIST_YEARS[0]


def _num(x) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else v


def best_published(figure: pd.DataFrame) -> dict[str, dict]:
    """Per commodity, the row of a release's reliance figure with the highest reliance
    (:func:`reliance_rank`) among its published forms."""
    best: dict[str, dict] = {}
    for rec in figure.to_dict("records"):
        rank = reliance_rank(rec["value"], rec["qualifier"], rec.get("low"), rec.get("high"))
        cid = rec["commodity_id"]
        if cid not in best or rank > best[cid]["_rank"]:
            best[cid] = {**rec, "_rank": rank}
    return best


def measured_commodity(commodity_id: str, form) -> str:
    """The commodity a salient reliance cell measures: a form that names another commodity
    (``Hf`` in the zirconium chapter, ``palladium`` in the PGM chapter) measures that one."""
    from critmin.errors import CritminError
    from critmin.vocab import commodities as vc

    if isinstance(form, str) and form.strip():
        try:
            named = vc.lookup(form.strip()).commodity_id
        except CritminError:
            named = None
        if named and named != commodity_id:
            return named
    return commodity_id


def _best_salient(cells: list[dict]) -> dict | None:
    """The chapter before the critical-minerals table; within a table the form with the
    highest reliance, as for the figure."""
    for table in SALIENT_TABLES:
        recs = [r for r in cells if r["nir_table"] == table]
        if recs:
            return max(recs, key=lambda r: reliance_rank(r["value"], r["qualifier"], r["low"], r["high"]))
    return None


def mineral_reliance(figure: pd.DataFrame, salient: pd.DataFrame | None, minerals: pd.DataFrame) -> pd.DataFrame:
    """One published net import reliance per mineral of one release, counted the way USGS
    and the White House count.

    Parameters
    ----------
    figure
        The release's net-import-reliance figure (rows of the ``nir`` table of one vintage).
    salient
        The same release's reliance cells from the salient tables, ``vintage - 1`` only
        (:func:`critmin.kb.salient_reliance`): ``commodity_id``, ``form``,
        ``published_name``, ``year``, ``value``, ``qualifier``, ``low``, ``high``, ``raw``,
        ``nir_table``.
    minerals
        The minerals to give a reliance to: ``commodity_id`` and ``group_id`` (other
        columns are kept).

    Returns
    -------
    DataFrame
        ``minerals``' columns and :data:`RELIANCE_COLUMNS`, one row per mineral:

        * a mineral published in several forms takes the form with the highest reliance;
          aluminum includes the bauxite and alumina rows (:data:`LIST_SCOPE`; ``via_group``
          then names ``bauxite``), as in USGS's own critical-minerals table;
        * a mineral the figure leaves out (USGS draws only the import-reliant commodities:
          beryllium and boron, net exporters, and phosphate rock at 13 % are not in the MCS
          2025 figure) takes the same year's reliance from its salient statistics, else from
          the release's critical-minerals table (``nir_table`` says which);
        * a group member published only inside its group takes the group's (the rare-earths
          row for each listed lanthanide; ``via_group`` names the group);
        * a mineral found in none of them gets ``qualifier = 'not_published'``, never a value.
    """
    vintage = int(figure["vintage"].max()) if len(figure) else None
    best = best_published(figure)
    cells: dict[str, list[dict]] = {}
    if salient is not None and len(salient):
        measured: dict[tuple, str] = {}
        for r in salient.to_dict("records"):
            key = (r["commodity_id"], r["form"] if isinstance(r["form"], str) else "")
            if key not in measured:
                measured[key] = measured_commodity(*key)
            cells.setdefault(measured[key], []).append(r)
        if vintage is None:
            vintage = int(salient["year"].max()) + 1
    rows = []
    for m in minerals.to_dict("records"):
        cid = m["commodity_id"]
        group = m.get("group_id") if isinstance(m.get("group_id"), str) and m.get("group_id") else None
        candidates = [best[c] for c in LIST_SCOPE.get(cid, (cid,)) if c in best]
        src = max(candidates, key=lambda r: r["_rank"]) if candidates else None
        via = src["commodity_id"] if src is not None and src["commodity_id"] != cid else None
        table = "figure" if src is not None else None
        if src is None:
            src = _best_salient(cells.get(cid, []))
            table = src["nir_table"] if src is not None else None
        if src is None and group and group in best:
            src, via, table = best[group], group, "figure"
        base = {**m, "commodity_id": cid, "via_group": via, "nir_table": table}
        if src is None:
            rows.append({**base, "vintage": vintage, "year": vintage - 1 if vintage else None, "form": "",
                         "published_name": None, "value": None, "qualifier": NOT_PUBLISHED, "low": None, "high": None,
                         "raw": "", "import_sources": [], "import_sources_iso3": [], "rank": None, "source_id": None})
            continue
        rows.append({
            **base, "vintage": vintage, "year": int(src["year"]),
            "form": src["form"] if isinstance(src.get("form"), str) else "", "published_name": src.get("published_name"),
            "value": _num(src["value"]), "qualifier": src["qualifier"], "low": _num(src.get("low")),
            "high": _num(src.get("high")), "raw": src.get("raw") or "",
            "import_sources": _as_list(src.get("import_sources")), "import_sources_iso3": _as_list(src.get("import_sources_iso3")),
            "rank": src.get("rank") if table == "figure" else None, "source_id": src.get("source_id"),
        })
    cols = list(minerals.columns) + [c for c in RELIANCE_COLUMNS if c not in minerals.columns]
    return pd.DataFrame(rows, columns=cols)


def _as_list(v) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    return [str(x) for x in v]


_QUALIFIER_WORDS = {
    "estimated": "estimated", "revised": "revised", "withheld": "withheld", "not_available": "not available",
    "net_exporter": "net exporter", "not_calculable": "not calculable", NOT_PUBLISHED: "not published",
}


def describe_reliance(value, qualifier: str, low=None, high=None) -> str:
    """A published reliance in words, with its qualifier: ``100 % (estimated)``, ``more than
    95 %``, ``less than 25 %``, ``net exporter``, ``withheld``, ``not published``."""
    value, low, high = _num(value), _num(low), _num(high)

    def pct(x: float) -> str:
        return f"{x:,.0f} %" if float(x).is_integer() else f"{x:,.3g} %"

    if qualifier in ("exact", "estimated", "revised", "zero") and value is not None:
        word = _QUALIFIER_WORDS.get(qualifier)
        return pct(value) + (f" ({word})" if word else "")
    if qualifier == "greater_than" and low is not None:
        return f"more than {pct(low)}"
    if qualifier == "less_than" and high is not None:
        return f"less than {pct(high)}"
    if qualifier == "range" and low is not None and high is not None:
        return f"{pct(low)[:-2]}–{pct(high)}"
    return _QUALIFIER_WORDS.get(qualifier, qualifier.replace("_", " ") if qualifier else "not published")

"""World trade by mineral and stage: shares, top partners, matrices, import sources.

Pure functions over rows of the ``world_trade`` table (CEPII BACI, HS1992) or any frame with
its columns (``year, exporter_iso3, exporter_kind, exporter_name, importer_iso3,
importer_kind, importer_name, importer_code, hs6, value_usd, quantity_kg,
quantity_qualifier``). Codes are read through :mod:`critmin.vocab.hs6_concordance`: a
mineral's codes at a stage are :func:`~critmin.vocab.hs6_concordance.codes_for`, so a mixed
code (``284690`` rare-earth compounds) counts only for its group and never as one element.

Measures
--------
``value``
    US dollars (FOB), always published.
``gross_t``
    Metric tons of product as traded. Flows whose quantity CEPII did not report are left
    out, never counted as 0; ``value_share_without_quantity`` says how much value that is.
``content_t``
    Tonnes of the content basis of the concordance (``Li``, ``Co``, gross weight ...):
    ``gross_t x [factor_low, factor_high]``. A code with no defensible factor has no
    content tonnes: a content measure over it is refused (``ValueError``) rather than
    guessed. A heading covering several compounds gives an interval, so content amounts
    and shares have a ``_low`` and a ``_high``; shares over several codes take the exact
    extremes of ``sum_c k_c a_ic / sum_c k_c A_c`` over the box of factors ``k`` (a
    linear-fractional function: the extremes lie at the box's vertices).

Shares
------
``s_i = a_i / sum_j a_j`` over every partner in the data, aggregates included (BACI's
Southern African Customs Union before 2000 is an exporter like any other), so shares over
complete data sum to 1. HHI is ``sum_i s_i**2`` (0-1) over those shares.

References
----------
Gaulier, G. and Zignago, S., 2010, BACI: International Trade Database at the Product-Level,
CEPII Working Paper 2010-23. Herfindahl (1950); Hirschman (1945).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from critmin.vocab import countries as vk
from critmin.vocab import hs6_concordance as hc

MEASURES = ("value", "gross_t", "content_t")
SIDES = ("exporter", "importer")
#: Bloc importers: name -> member ISO3 codes (current membership applied to every year).
BLOCS = ("EU27",)
MAX_VERTEX_CODES = 10


def bloc_members(name: str) -> frozenset[str]:
    """Members of a named bloc (``EU27``) from :func:`critmin.vocab.countries.groups`."""
    groups = vk.groups()
    if name not in groups:
        raise KeyError(f"unknown bloc {name!r}; known: {', '.join(sorted(groups))}")
    return groups[name]


def group_members(code: int) -> tuple[str, ...]:
    """Members of a BACI aggregate code (711 SACU, 58 Belgium-Luxembourg); () otherwise."""
    from critmin.sources.cepii_baci import CODE_OVERRIDES

    o = CODE_OVERRIDES.get(int(code))
    return o[2] if o else ()


def scope_codes(commodity_id: str, stage: str | None = None, hs: Iterable[str] | None = None) -> list[str]:
    """HS codes read as ``commodity_id`` (at ``stage``), optionally restricted to ``hs``."""
    codes = hc.codes_for(commodity_id, stage)
    if hs is not None:
        wanted = {str(h).zfill(6) for h in hs}
        unknown = wanted - set(hc.entries())
        if unknown:
            raise KeyError(f"HS code(s) {sorted(unknown)} not in the concordance")
        codes = [c for c in codes if c in wanted]
    return codes


def select(trade: pd.DataFrame, codes: Sequence[str], *, years: Iterable[int] | None = None) -> pd.DataFrame:
    """Rows of ``trade`` for ``codes`` (and ``years``)."""
    df = trade[trade["hs6"].isin(list(codes))]
    if years is not None:
        df = df[df["year"].isin(list(years))]
    return df


def amounts(trade: pd.DataFrame, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` amount of every flow in ``measure``; NaN where the quantity was not
    reported. ``content_t`` over a code without a factor raises ``ValueError``."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    if measure == "value":
        v = trade["value_usd"].to_numpy(dtype=float)
        return v, v
    gross = pd.to_numeric(trade["quantity_kg"], errors="coerce").to_numpy(dtype=float) / 1000.0
    if measure == "gross_t":
        return gross, gross
    lo, hi = factors(trade["hs6"])
    return gross * lo, gross * hi


def factors(hs6: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Content factors ``(low, high)`` per row; ``ValueError`` naming a code without one."""
    codes = pd.unique(hs6)
    table = {}
    for c in codes:
        e = hc.entry(c)
        if not e.has_factor:
            raise ValueError(f"HS {c} ({e.form}) has no defensible content factor: {e.note}")
        table[c] = (e.factor_low, e.factor_high)
    lo = hs6.map({c: v[0] for c, v in table.items()}).to_numpy(dtype=float)
    hi = hs6.map({c: v[1] for c, v in table.items()}).to_numpy(dtype=float)
    return lo, hi


def content_basis(codes: Sequence[str]) -> str | None:
    """The common content basis of ``codes``, or None when they differ or one has none."""
    bases = {hc.entry(c).content_basis if hc.entry(c).has_factor else None for c in codes}
    return bases.pop() if len(bases) == 1 else None


def _partner_key(df: pd.DataFrame, side: str) -> pd.Series:
    """ISO3, or for an aggregate its BACI name (kept apart, never given to a member)."""
    iso = df[f"{side}_iso3"]
    return iso.where(iso.notna(), df[f"{side}_name"].astype(object)).astype(object)


def vertex_shares(gross: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact bounds of ``s_p = sum_c k_c g_pc / sum_c k_c G_c`` over ``k_c in [lo_c, hi_c]``.

    Parameters
    ----------
    gross
        ``(partners, codes)`` gross tonnes.
    lo, hi
        ``(codes,)`` factor bounds.

    A linear-fractional function of ``k`` takes its extremes at the vertices of the box,
    so the 2**codes vertices are enumerated (codes whose bounds coincide add none).
    """
    free = [c for c in range(len(lo)) if hi[c] > lo[c]]
    if len(free) > MAX_VERTEX_CODES:
        raise ValueError(f"{len(free)} codes with interval factors: too many vertices")
    total = gross.sum(axis=0)
    shares = []
    for corner in itertools.product((0, 1), repeat=len(free)):
        k = lo.copy()
        for c, up in zip(free, corner):
            if up:
                k[c] = hi[c]
        den = float(total @ k)
        shares.append(gross @ k / den if den > 0 else np.full(gross.shape[0], np.nan))
    s = np.vstack(shares)
    return s.min(axis=0), s.max(axis=0)


SHARE_COLUMNS = [
    "year", "partner", "partner_iso3", "partner_kind", "partner_name", "amount_low", "amount_high", "share_low",
    "share_high", "rank", "total_low", "total_high", "n_flows", "value_share_without_quantity", "measure", "unit",
]


def partner_shares(trade: pd.DataFrame, side: str = "exporter", measure: str = "value") -> pd.DataFrame:
    """Each partner's amount and share of the total per year (world exports when
    ``side='exporter'`` over all importers; an importer's sources when the rows are one
    importer's imports).

    Returns
    -------
    DataFrame
        Columns :data:`SHARE_COLUMNS`, one row per year and partner, ranked by share
        (``share_low`` then ``share_high``). For ``value`` and ``gross_t`` low = high.
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}")
    if trade.empty:
        return pd.DataFrame(columns=SHARE_COLUMNS)
    df = trade.assign(_partner=_partner_key(trade, side).to_numpy())
    lo_amt, hi_amt = amounts(df, measure)
    df = df.assign(_lo=lo_amt, _hi=hi_amt, _gross=lo_amt if measure != "content_t" else amounts(df, "gross_t")[0])
    unreported = df["_lo"].isna()
    value_total = df.groupby("year")["value_usd"].sum()
    value_missing = df[unreported].groupby("year")["value_usd"].sum().reindex(value_total.index, fill_value=0)
    missing_share = (value_missing / value_total).to_dict()
    df = df[~unreported]
    first = df.drop_duplicates("_partner")
    info = {p: (i, k, n) for p, i, k, n in zip(first["_partner"], first[f"{side}_iso3"].to_numpy(object, na_value=None),
                                                 first[f"{side}_kind"].to_numpy(object), first[f"{side}_name"].to_numpy(object))}
    out = []
    for year, g in df.groupby("year", sort=True):
        agg = g.groupby("_partner").agg(amount_low=("_lo", "sum"), amount_high=("_hi", "sum"), n_flows=("_lo", "size"))
        if measure == "content_t":
            pivot = g.pivot_table(index="_partner", columns="hs6", values="_gross", aggfunc="sum", fill_value=0.0)
            f_lo, f_hi = factors(pd.Series(list(pivot.columns)))
            s_lo, s_hi = vertex_shares(pivot.to_numpy(float), f_lo, f_hi)
            share = pd.DataFrame({"share_low": s_lo, "share_high": s_hi}, index=pivot.index)
        else:
            tot = agg["amount_low"].sum()
            share = pd.DataFrame({"share_low": agg["amount_low"] / tot, "share_high": agg["amount_low"] / tot})
        agg = agg.join(share)
        agg["total_low"] = agg["amount_low"].sum()
        agg["total_high"] = agg["amount_high"].sum()
        agg = agg.sort_values(["share_low", "share_high"], ascending=False, kind="mergesort")
        agg["rank"] = range(1, len(agg) + 1)
        agg["year"] = int(year)
        out.append(agg.reset_index().rename(columns={"_partner": "partner"}))
    res = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=SHARE_COLUMNS)
    if res.empty:
        return pd.DataFrame(columns=SHARE_COLUMNS)
    res["partner_iso3"] = [info[p][0] for p in res["partner"]]
    res["partner_kind"] = [info[p][1] for p in res["partner"]]
    res["partner_name"] = [_display_name(info[p][0], info[p][2]) for p in res["partner"]]
    res["value_share_without_quantity"] = res["year"].map(missing_share).fillna(0.0) if measure != "value" else 0.0
    res["measure"] = measure
    res["unit"] = unit_of(measure, list(pd.unique(trade["hs6"])))
    return res[SHARE_COLUMNS]


def unit_of(measure: str, codes: Sequence[str]) -> str:
    """The unit of an amount in ``measure`` over some codes: ``US$``, ``t (gross)`` or
    ``t (<basis> content)`` (the content basis of the codes, e.g. Co, Li2CO3 equivalent)."""
    if measure == "value":
        return "US$"
    if measure == "gross_t":
        return "t (gross)"
    b = content_basis(list(codes))
    return f"t ({b} content)" if b and b != "gross weight" else f"t ({b or 'content'})"


def _display_name(iso3, name) -> str:
    if isinstance(iso3, str) and iso3:
        try:
            return vk.country_name(iso3)
        except KeyError:
            return str(name)
    return str(name)


def hhi_of(shares: pd.DataFrame) -> pd.DataFrame:
    """HHI of partner shares per year (``share_low``; with ``hhi_high`` from ``share_high``
    when the shares are intervals -- an approximation of the upper end, labelled as such)."""
    g = shares.groupby("year")
    return pd.DataFrame({
        "hhi": g["share_low"].apply(lambda s: float((s ** 2).sum())),
        "hhi_at_high_shares": g["share_high"].apply(lambda s: float((s ** 2).sum())),
        "n_partners": g.size(),
    }).reset_index()


def bilateral_matrix(trade: pd.DataFrame, measure: str = "value", top: int | None = 15) -> pd.DataFrame:
    """Exporter x importer matrix of one year's flows in ``measure`` (low bound for content).

    The ``top`` exporters and importers by total are kept; the rest are summed into
    ``Other`` so the matrix total equals the data total.
    """
    if trade.empty:
        return pd.DataFrame()
    years = trade["year"].unique()
    if len(years) != 1:
        raise ValueError(f"a matrix is for one year; got {sorted(map(int, years))}")
    lo, _ = amounts(trade, measure)
    df = pd.DataFrame({"exporter": _partner_key(trade, "exporter").to_numpy(), "importer": _partner_key(trade, "importer").to_numpy(), "amount": lo})
    df = df[df["amount"].notna()]
    if top is not None:
        for side in ("exporter", "importer"):
            keep = df.groupby(side)["amount"].sum().sort_values(ascending=False).head(top).index
            df[side] = df[side].where(df[side].isin(keep), "Other")
    m = df.pivot_table(index="exporter", columns="importer", values="amount", aggfunc="sum", fill_value=0.0)
    order_r = m.sum(axis=1).sort_values(ascending=False).index
    order_c = m.sum(axis=0).sort_values(ascending=False).index
    m = m.loc[[r for r in order_r if r != "Other"] + (["Other"] if "Other" in order_r else []),
              [c for c in order_c if c != "Other"] + (["Other"] if "Other" in order_c else [])]
    m.index.name, m.columns.name = "exporter", "importer"
    return m


def importer_rows(trade: pd.DataFrame, importer: str) -> pd.DataFrame:
    """An importer's imports: ``importer`` is an ISO3 code or a bloc (``EU27``).

    For a bloc, flows between members (intra-bloc trade) are left out, so the result is the
    bloc's imports from outside; a BACI aggregate whose members all belong to the bloc
    (Belgium-Luxembourg before 1999) counts as a member.
    """
    if importer in BLOCS:
        members = bloc_members(importer)

        def inside(side: str) -> np.ndarray:
            iso = trade[f"{side}_iso3"]
            in_iso = iso.isin(members).to_numpy()
            codes = trade[f"{side}_code"]
            in_group = {c: bool(group_members(c)) and set(group_members(c)) <= members for c in pd.unique(codes)}
            return in_iso | codes.map(in_group).fillna(False).to_numpy(bool)

        return trade[inside("importer") & ~inside("exporter")]
    return trade[trade["importer_iso3"] == importer]


def exporter_rows(trade: pd.DataFrame, exporter: str) -> pd.DataFrame:
    """An exporter's exports (ISO3 or a bloc; intra-bloc flows left out for a bloc)."""
    if exporter in BLOCS:
        members = bloc_members(exporter)
        return trade[trade["exporter_iso3"].isin(members) & ~trade["importer_iso3"].isin(members)]
    return trade[trade["exporter_iso3"] == exporter]


def country_share_series(trade: pd.DataFrame, country: str, side: str = "exporter", measure: str = "value") -> pd.DataFrame:
    """One partner's share of the world total per year (e.g. China's share of world exports
    of rare-earth compounds, 1995-2024). A year in which the country has no flow has share 0
    of a known total; a year without any data has no row."""
    shares = partner_shares(trade, side, measure)
    if shares.empty:
        return pd.DataFrame(columns=["year", "share_low", "share_high", "amount_low", "amount_high", "total_low", "total_high"])
    totals = shares.drop_duplicates("year").set_index("year")[["total_low", "total_high", "value_share_without_quantity"]]
    mine = shares[shares["partner"] == country].set_index("year")[["share_low", "share_high", "amount_low", "amount_high", "rank"]]
    out = totals.join(mine, how="left")
    out[["share_low", "share_high", "amount_low", "amount_high"]] = out[["share_low", "share_high", "amount_low", "amount_high"]].fillna(0.0)
    return out.reset_index()


def us_import_comparison(
    trade: pd.DataFrame,
    import_shares: pd.DataFrame,
    customs: pd.DataFrame,
    commodity_id: str,
    years: Iterable[int] = (2021, 2022, 2023, 2024),
) -> pd.DataFrame:
    """US import sources from BACI next to the USGS published shares and USITC values.

    Parameters
    ----------
    trade
        ``world_trade`` rows of the mineral's codes (any stage).
    import_shares
        The ``import_shares`` rows of the mineral (USGS MCS 2026, percent, 2021-24).
    customs
        :func:`critmin.analysis.dependency.customs_by_partner` output for the mineral
        (USITC customs value by partner and year).
    years
        The BACI years pooled (default 2021-24, the period of the USGS shares).

    Returns
    -------
    DataFrame
        One row per partner: ``baci_value_usd``, ``baci_value_share``, ``baci_gross_t``,
        ``baci_gross_share`` (pooled over ``years``), ``usgs_share_pct`` (per published
        form, joined with ``; ``), ``usitc_value_usd`` (same years). Each source keeps its own
        basis; nothing is merged into one figure.
    """
    years = list(years)
    us = importer_rows(trade, "USA")
    us = us[us["year"].isin(years)]
    rows: dict[str, dict] = {}
    if not us.empty:
        pooled = us.assign(year=0)
        for measure, col in (("value", "baci_value"), ("gross_t", "baci_gross")):
            sh = partner_shares(pooled, "exporter", measure)
            for r in sh.itertuples(index=False):
                d = rows.setdefault(r.partner, {"partner": r.partner, "partner_name": r.partner_name})
                d[f"{col}_{'usd' if measure == 'value' else 't'}"] = r.amount_low
                d[f"{col}_share"] = r.share_low
    if import_shares is not None and not import_shares.empty:
        for r in import_shares.to_dict("records"):
            key = r.get("partner_iso3") if isinstance(r.get("partner_iso3"), str) else r.get("partner_name")
            d = rows.setdefault(key, {"partner": key, "partner_name": r.get("partner_name")})
            form = r.get("form") if isinstance(r.get("form"), str) else ""
            txt = f"{r.get('raw')}% ({form})" if form else f"{r.get('raw')}%"
            d["usgs_share_pct"] = "; ".join(x for x in (d.get("usgs_share_pct"), txt) if x)
            d["usgs_period"] = r.get("period")
    if customs is not None and not customs.empty:
        c = customs[customs["year"].isin(years)] if "year" in customs.columns else customs
        value_col = "value" if "value" in c.columns else c.columns[-1]
        for iso, amount in c.groupby("partner_iso3")[value_col].sum().items():
            d = rows.setdefault(iso, {"partner": iso, "partner_name": _display_name(iso, iso)})
            d["usitc_value_usd"] = float(amount)
    cols = ["partner", "partner_name", "baci_value_usd", "baci_value_share", "baci_gross_t", "baci_gross_share",
            "usgs_share_pct", "usgs_period", "usitc_value_usd"]
    out = pd.DataFrame(list(rows.values()))
    for c in cols:
        if c not in out.columns:
            out[c] = None
    out = out[cols].sort_values(["baci_value_share"], ascending=False, na_position="last").reset_index(drop=True)
    out.attrs["baci_years"] = years
    return out


def export_concentration(trade: pd.DataFrame, year: int | None = None) -> dict:
    """Concentration of world exports (by value) of the given rows in one year.

    Value is the only unit common to every product of a stage (rare-earth metals and
    compounds, for example), so this concentration uses export value shares. Returns the
    shares, HHI, top exporter and China's share, with the year and codes used.
    """
    if trade.empty:
        return {}
    y = int(trade["year"].max()) if year is None else int(year)
    rows = trade[trade["year"] == y]
    sh = partner_shares(rows, "exporter", "value")
    if sh.empty:
        return {}
    shares = dict(zip(sh["partner"], sh["share_low"]))
    top = sh.iloc[0]
    return {
        "year": y, "codes": sorted(pd.unique(rows["hs6"])), "shares": shares,
        "hhi": float((sh["share_low"] ** 2).sum()), "top1_country": top["partner"], "top1_share": float(top["share_low"]),
        "top3_share": float(sh["share_low"].head(3).sum()), "china_share": float(shares.get("CHN", 0.0)),
        "us_share": float(shares.get("USA", 0.0)), "n_exporters": int((sh["share_low"] > 0).sum()),
        "total_value_usd": float(sh["total_low"].iloc[0]),
        "kinds": dict(zip(sh["partner"], sh["partner_kind"])),
    }


class ImportArrays:
    """An importer's flows as NumPy arrays split by HS code, prepared once for many blocks."""

    def __init__(self, imports: pd.DataFrame) -> None:
        iso = imports["exporter_iso3"].to_numpy(dtype=object, na_value=None)
        name = imports["exporter_name"].to_numpy(dtype=object, na_value=None)
        self.key = np.array([i if i is not None else n for i, n in zip(iso, name)], dtype=object)
        self.iso = iso
        self.year = imports["year"].to_numpy(dtype=np.int64)
        self.hs6 = imports["hs6"].to_numpy(dtype=object)
        self.value = imports["value_usd"].to_numpy(dtype=float)
        self.gross = pd.to_numeric(imports["quantity_kg"], errors="coerce").to_numpy(dtype=float) / 1000.0
        by: dict[str, list[int]] = {}
        for i, c in enumerate(self.hs6):
            by.setdefault(c, []).append(i)
        self.by_code = {c: np.array(v, dtype=np.int64) for c, v in by.items()}

    def rows(self, codes: Sequence[str]) -> np.ndarray:
        parts = [self.by_code[c] for c in codes if c in self.by_code]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def trade_block(imports: pd.DataFrame | ImportArrays, importer: str, commodity_id: str, stage: str,
                codes: Sequence[str], year: int | None = None):
    """One importer's imports of the ``codes`` in ``year`` (default: the latest year with any
    of them) as a :class:`~critmin.analysis.risk.geopolrisk.TradeBlock`, or None when no
    flow is recorded (never a block of zeros).

    ``imports`` are the importer's rows (:func:`importer_rows`, any years and codes) or
    :class:`ImportArrays` of them.
    """
    from critmin.analysis.risk.geopolrisk import TradeBlock

    a = imports if isinstance(imports, ImportArrays) else ImportArrays(imports)
    idx = a.rows(codes)
    if idx.size == 0:
        return None
    y = int(a.year[idx].max()) if year is None else int(year)
    idx = idx[a.year[idx] == y]
    value = a.value[idx]
    if idx.size == 0 or value.sum() <= 0:
        return None
    gross = a.gross[idx]
    key = a.key[idx]
    p_idx, partners = pd.factorize(key, sort=False)
    c_idx, codes_found = pd.factorize(a.hs6[idx], sort=True)
    vp = np.zeros((len(partners), len(codes_found)))
    gp = np.zeros((len(partners), len(codes_found)))
    np.add.at(vp, (p_idx, c_idx), value)
    has_q = ~np.isnan(gross)
    np.add.at(gp, (p_idx[has_q], c_idx[has_q]), gross[has_q])
    share_no_q = float(value[~has_q].sum() / value.sum())
    iso_of = dict(zip(key, a.iso[idx]))
    codes_found = [str(c) for c in codes_found]
    entries = [hc.entry(c) for c in codes_found]
    lo = np.array([e.factor_low if e.has_factor else np.nan for e in entries], dtype=float)
    hi = np.array([e.factor_high if e.has_factor else np.nan for e in entries], dtype=float)
    isos = [iso_of[p] if isinstance(iso_of[p], str) else None for p in partners]
    return TradeBlock(
        importer=importer, commodity_id=commodity_id, stage=stage, year=y, codes=tuple(codes_found),
        partners=tuple(isos), labels=tuple(_display_name(i, p) for i, p in zip(isos, partners)),
        gross_t=gp, value_usd=vp, factor_low=lo, factor_high=hi,
        basis=content_basis(codes_found), value_without_quantity=share_no_q,
    )

"""Price series and their statistics: volatility, drawdown, growth, moves around events.

Series are pandas Series indexed by :class:`pandas.Period` (annual ``Y`` or monthly ``M``),
holding positive prices. Gaps stay gaps: a return is computed only between two adjacent
periods that both have a price, so a missing year never becomes a zero return or a zero
price.

Definitions
-----------
Log return
    ``r_t = ln(P_t / P_{t-1})`` for adjacent periods.
Annualised volatility
    ``sigma = std(r_t, ddof=1) * sqrt(k)``, ``k`` = periods per year (1 annual, 12 monthly).
Largest drawdown
    ``max_t (1 - P_t / max_{s<=t} P_s)``: the deepest fall from a running peak.
Growth
    Compound annual growth rate ``(P_last / P_first) ** (1 / years) - 1``.

References
----------
Hull, J.C., Options, futures, and other derivatives (volatility from log returns,
annualised with the square root of time). Magdon-Ismail, M., and Atiya, A., 2004, Maximum
drawdown: Risk Magazine 17(10).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

NUMERIC = ("exact", "estimated", "revised")


def to_series(df: pd.DataFrame, *, freq: str) -> pd.Series:
    """Rows with ``year`` (and ``month``) and a numeric ``value`` as a Period-indexed Series.

    Non-numeric rows (withheld, not available, bounded) are left out, so they appear as
    gaps; duplicate periods raise.
    """
    ok = df[df["qualifier"].isin(NUMERIC) & df["value"].notna()]
    if freq == "Y":
        idx = pd.PeriodIndex([pd.Period(year=int(y), freq="Y") for y in ok["year"]], freq="Y")
    elif freq == "M":
        idx = pd.PeriodIndex([pd.Period(year=int(y), month=int(m), freq="M") for y, m in zip(ok["year"], ok["month"])], freq="M")
    else:
        raise ValueError("freq must be 'Y' or 'M'")
    s = pd.Series(ok["value"].astype(float).to_numpy(), index=idx).sort_index()
    if s.index.has_duplicates:
        raise ValueError("duplicate periods in a price series; choose one series first")
    return s


def log_returns(series: pd.Series) -> pd.Series:
    """Log returns between adjacent periods only (gaps give no return)."""
    s = series.dropna().sort_index()
    if (s <= 0).any():
        raise ValueError("prices must be positive for log returns")
    if len(s) < 2:
        return pd.Series(dtype=float)
    ords = np.array([p.ordinal for p in s.index])
    adjacent = np.diff(ords) == 1
    r = np.log(s.to_numpy()[1:] / s.to_numpy()[:-1])
    return pd.Series(r[adjacent], index=s.index[1:][adjacent])


def periods_per_year(series: pd.Series) -> int:
    freq = series.index.freqstr if isinstance(series.index, pd.PeriodIndex) else None
    if freq is None:
        raise ValueError("series must have a PeriodIndex")
    if freq.startswith("M"):
        return 12
    if freq.startswith(("Y", "A")):
        return 1
    if freq.startswith("Q"):
        return 4
    raise ValueError(f"unsupported frequency {freq}")


def annualised_volatility(series: pd.Series, min_returns: int = 3) -> float | None:
    """``std(log returns, ddof=1) * sqrt(periods per year)``; ``None`` with too few returns."""
    r = log_returns(series)
    if len(r) < min_returns:
        return None
    return float(r.std(ddof=1) * math.sqrt(periods_per_year(series)))


def max_drawdown(series: pd.Series) -> dict | None:
    """The deepest fall from a running peak: ``{drawdown, peak, trough}`` (drawdown 0-1)."""
    s = series.dropna().sort_index()
    if len(s) < 2:
        return None
    peak = s.cummax()
    dd = 1.0 - s / peak
    trough = dd.idxmax()
    value = float(dd.loc[trough])
    peak_at = s.loc[:trough].idxmax()
    return {"drawdown": value, "peak": str(peak_at), "trough": str(trough),
            "peak_price": float(s.loc[peak_at]), "trough_price": float(s.loc[trough])}


def growth(series: pd.Series) -> dict | None:
    """Compound annual growth between the first and last price: ``{cagr, first, last, years}``."""
    s = series.dropna().sort_index()
    if len(s) < 2:
        return None
    first, last = s.index[0], s.index[-1]
    years = (last.ordinal - first.ordinal) / periods_per_year(s)
    if years <= 0:
        return None
    return {"cagr": float((s.iloc[-1] / s.iloc[0]) ** (1.0 / years) - 1.0), "first": str(first), "last": str(last),
            "years": years, "change": float(s.iloc[-1] / s.iloc[0] - 1.0)}


def summary(series: pd.Series) -> dict:
    """Volatility, drawdown and growth of one series, with its coverage.

    Log returns, a fall from a peak and compound growth are defined only for positive
    prices: a series with a price of 0 or below (USGS publishes 0 for a unit value of no
    trade, e.g. industrial diamond in some years) gets no volatility, drawdown or growth,
    and ``note`` says why -- never an error and never a number that means nothing.
    """
    s = series.dropna()
    if (s <= 0).any():
        bad = s[s <= 0]
        return {"n": int(len(s)), "start": str(s.index.min()), "end": str(s.index.max()), "volatility": None,
                "max_drawdown": None, "drawdown_peak": None, "drawdown_trough": None, "cagr": None,
                "note": f"{len(bad)} price(s) of 0 or below (first {bad.index[0]}): volatility, drawdown and growth "
                        "need positive prices"}
    dd = max_drawdown(s)
    gr = growth(s)
    return {
        "n": int(len(s)),
        "start": str(s.index.min()) if len(s) else None,
        "end": str(s.index.max()) if len(s) else None,
        "volatility": annualised_volatility(s) if len(s) else None,
        "max_drawdown": dd["drawdown"] if dd else None,
        "drawdown_peak": dd["peak"] if dd else None,
        "drawdown_trough": dd["trough"] if dd else None,
        "cagr": gr["cagr"] if gr else None,
        "note": None,
    }


def around_event(series: pd.Series, when: pd.Timestamp | str, window: int | None = None) -> dict | None:
    """Price before and after an event.

    ``before`` is the last price of a period ending before the event's period; ``after``
    the price ``window`` periods after the event's period (default 1 year: 12 months or
    1 year), or the latest one if the series ends sooner. ``None`` when either is missing.
    """
    s = series.dropna().sort_index()
    if len(s) == 0:
        return None
    freq = s.index.freqstr
    event_period = pd.Period(pd.Timestamp(when), freq=freq)
    window = window if window is not None else periods_per_year(s)
    before = s[s.index < event_period]
    after_target = event_period + window
    after = s[(s.index > event_period) & (s.index <= after_target)]
    if before.empty or after.empty:
        return None
    b_p, a_p = before.index[-1], after.index[-1]
    return {"event_period": str(event_period), "before_period": str(b_p), "before": float(before.iloc[-1]),
            "after_period": str(a_p), "after": float(after.iloc[-1]), "change": float(after.iloc[-1] / before.iloc[-1] - 1.0)}


def splice_vintages(rows: pd.DataFrame, *, rel_tol: float = 0.01) -> pd.DataFrame:
    """Join one statistic's series across MCS vintages, the latest vintage winning.

    The MCS data releases name the same series differently (``Price_LME_dlb`` in 2023-2025,
    ``Price, average, dollars per pound: London Metal Exchange (LME), cash`` in 2026). Two
    series of the same unit are the same when they agree on every year they share (raw
    text equal, or numbers within ``rel_tol``) and share at least one year; values of a
    later vintage replace earlier ones (USGS revises). Series that cannot be matched stay
    apart, never averaged. Names equal up to case and punctuation are one series. A series keeps its name from one vintage to the next even when
    revised values differ by more than ``rel_tol``.

    Parameters
    ----------
    rows
        Columns ``vintage, detail, unit, year, value, qualifier, raw`` (plus any others).

    Returns
    -------
    DataFrame
        The rows kept, with ``series`` (the latest name) and ``series_names`` (all names).
    """
    if rows.empty:
        return rows.assign(series=pd.Series(dtype=str), series_names=pd.Series(dtype=str))
    series: list[dict] = []  # {unit, names, years: {year: row}}
    for (vintage, detail, unit), g in rows.sort_values("vintage").groupby(["vintage", "detail", "unit"], sort=True, dropna=False):
        recs = {int(r["year"]): r for r in g.to_dict("records")}
        match = next((sr for sr in series if sr["unit"] == unit and _norm(detail) in {_norm(n) for n in sr["names"]}), None)
        for sr in series if match is None else []:
            if sr["unit"] != unit:
                continue
            common = set(sr["years"]) & set(recs)
            if common and all(_same(sr["years"][y], recs[y], rel_tol) for y in common):
                match = sr
                break
        if match is None:
            match = {"unit": unit, "names": [], "years": {}}
            series.append(match)
        if detail not in match["names"]:
            match["names"].append(detail)
        match["years"].update(recs)
    out = []
    for sr in series:
        for y, r in sorted(sr["years"].items()):
            out.append({**r, "series": sr["names"][-1], "series_names": " | ".join(sr["names"])})
    return pd.DataFrame(out)


def _norm(name) -> str:
    """``'Price_High-puritydkg'`` and ``'Price_High-purity_dkg'`` are one name."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _same(a: dict, b: dict, rel_tol: float) -> bool:
    if str(a.get("raw")) == str(b.get("raw")):
        return True
    va, vb = a.get("value"), b.get("value")
    if va is None or vb is None or pd.isna(va) or pd.isna(vb):
        return False
    return abs(float(va) - float(vb)) <= rel_tol * max(abs(float(va)), abs(float(vb)), 1e-12)


def annual_prices(salient: pd.DataFrame, commodity_ids: list[str]) -> pd.DataFrame:
    """MCS salient-statistics prices 2018-2025, spliced across vintages (latest wins).

    Returns ``series, series_names, unit, year, value, qualifier, vintage, source_id``.
    """
    cols = ["series", "series_names", "unit", "year", "value", "qualifier", "vintage", "source_id"]
    p = salient[(salient["statistic"] == "price") & salient["commodity_id"].isin(commodity_ids)]
    if p.empty:
        return pd.DataFrame(columns=cols)
    p = p.assign(detail=p["detail"].astype(str), unit=p["unit"].fillna(""))
    out = splice_vintages(p)
    return out[cols].sort_values(["series", "year"]).reset_index(drop=True)

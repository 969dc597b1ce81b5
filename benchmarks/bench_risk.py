"""Risk analytics speed: the full ranking in-process, and the overview.

Figures are medians of several runs, measured beside the obvious alternative in the same
run:

* the full ranking, every commodity and every method (composite, GeoPolRisk, EU CRM,
  USGS 2021, each at the higher stage), in-process, from the tables already read: critmin
  builds every mineral's inputs once with vectorised group-bys
  (:func:`critmin.analysis.inputs.build_inputs`) and runs the methods on small dicts;
  the alternative is the per-mineral pandas loop (filter the production, NIR, import and
  export-control frames for one mineral at a time, compute its shares and HHI with pandas,
  then call the same methods). Both give the same scores, checked here;
* reading the tables from the snapshot (DuckDB over Parquet), reported separately;
* ``critmin overview`` in a fresh process (bar: 5 s), and the overview built in-process.

Run: ``.venv/bin/python benchmarks/bench_risk.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
METHODS = ("composite", "geopolrisk", "eu_crm", "usgs2021")


def full_ranking(tables):
    from critmin.analysis import risk
    from critmin.analysis.inputs import build_inputs

    inputs = build_inputs(tables)
    return {m: risk.rank(inputs, m) for m in METHODS}


def naive_ranking(tables):
    """The per-mineral loop: filter every table for one mineral at a time.

    It reuses what critmin computes once for all minerals and that the loop has no cheaper
    way to get (governance scores, the EU CRM fallback shares, import fractions): one
    :func:`build_inputs` call, counted in its time.
    """
    import pandas as pd

    from critmin.analysis import dependency as dep
    from critmin.analysis import risk
    from critmin.analysis.inputs import MineralInputs, RiskInputs, StageData, build_inputs
    from critmin.analysis.interval import Interval, from_published

    shared = build_inputs(tables)  # governance and groups only; the per-mineral parts are redone below
    prod = tables["production"]
    nir = tables["nir"]
    shares = tables["import_shares"]
    ec = tables["export_controls"]
    ids = sorted(shared.minerals)
    out = {m: [] for m in METHODS}
    for cid in ids:
        ref = shared.minerals[cid]
        m = MineralInputs(cid, ref.name, on_list=ref.on_list)
        p = prod[(prod["commodity_id"] == cid) & (prod["measure"] == "production")]
        for stage in ("mine", "processing"):
            ps = p[p["stage"] == stage]
            if ps.empty:
                if stage in ref.stages and ref.stages[stage].origin != "usgs_mcs":
                    m.stages[stage] = ref.stages[stage]  # the EU fallback, as critmin does
                elif stage in ref.stages:
                    m.stages[stage] = ref.stages[stage]
                continue
            best = None
            for key, g in ps.groupby(["vintage", "year", "series_label", "unit", "form"], dropna=False):
                world = g[(g["country_kind"] == "world") & g["qualifier"].isin(["exact", "estimated", "revised"])]
                countries = g[(g["country_kind"] == "country") & g["qualifier"].isin(["exact", "estimated", "revised", "zero"])]
                if len(world) != 1 or countries.empty:
                    continue
                total = max(float(world["value"].iloc[0]), float(g[g["country_kind"] != "world"]["value"].sum()))
                s = countries.groupby("country_iso3")["value"].sum() / total
                rank_key = (key[0], key[1], len(s), [-ord(ch) for ch in str(key[2])])
                if best is None or rank_key > best[0]:
                    best = (rank_key, s, g)
            if best is None:
                if stage in ref.stages:
                    m.stages[stage] = ref.stages[stage]
                continue
            s = best[1]
            unknown = best[2][(best[2]["country_kind"] == "country") & ~best[2]["qualifier"].isin(["exact", "estimated", "revised", "zero"])]
            feoc = float(s[s.index.isin(dep.FEOC)].sum()) if not (set(unknown["country_iso3"]) & dep.FEOC) else None
            m.stages[stage] = StageData({c: Interval.exact(float(v)) for c, v in s.items()}, float((s**2).sum()), None,
                                        float(s.get("CHN", 0.0)), feoc, int(best[0][0]), int(best[0][1]), "", "",
                                        "partial" if len(unknown) else "ok", list(unknown["country_iso3"]), None)
        n = nir[(nir["commodity_id"] == cid) & (nir["vintage"] == nir["vintage"].max())]
        ivs = [dep.reliance_interval(r.value, r.qualifier, r.low, r.high) for r in n.itertuples()]
        ivs = [iv for iv in ivs if iv is not None]
        m.nir = max(ivs, key=lambda iv: (iv.low, iv.high)) if ivs else ref.nir
        sh = shares[shares["commodity_id"] == cid]
        if not sh.empty:
            block = sh[sh["source_id"] == sh["source_id"].iloc[0]]
            block = block[block["form"].fillna("") == block["form"].fillna("").iloc[0]]
            lst = []
            for r in block.itertuples():
                iv = from_published(r.value, r.qualifier, r.low, r.high, cap=100.0)
                if iv is not None:
                    lst.append((r.partner_iso3 if r.partner_kind == "country" else None, Interval(iv.low / 100, iv.high / 100)))
            m.import_shares = lst
        m.import_fraction = ref.import_fraction
        e = ec[(ec["commodity_id"] == cid) & ec["status"].map(dep.in_force)]
        m.export_control_countries = frozenset(e["country_iso3"]) | ref.export_control_countries
        for meth in METHODS:
            out[meth].append(risk.evaluate_all_stages(meth, m, shared).as_record())
    return {k: pd.DataFrame(v) for k, v in out.items()}


def median_time(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from critmin.kb import read_tables
    from critmin.report import data, overview

    t_read, tables = median_time(read_tables, args.runs)
    t_rank, ranked = median_time(lambda: full_ranking(tables), args.runs)
    t_naive, naive = median_time(lambda: naive_ranking(tables), max(1, args.runs // 2))
    n = len(ranked["composite"])
    # Same composite scores where both compute one (the naive loop re-derives the shares).
    a = ranked["composite"].set_index("commodity_id")["score"]
    b = naive["composite"].set_index("commodity_id")["score"]
    both = a.notna() & b.reindex(a.index).notna()
    agree = float((abs(a[both] - b.reindex(a.index)[both]) < 1e-9).mean()) if both.any() else float("nan")

    t_ov_in, _ = median_time(lambda: overview.build(data.load(with_prices=False)), args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(BIN / "critmin"), "overview", "--out", str(Path(tmp) / "o.html")]
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t0)
        t_ov_cli = statistics.median(times)

    print(f"commodities ranked per method        {n}")
    print(f"read tables from the snapshot         {t_read * 1000:8.0f} ms")
    print(f"full ranking, 4 methods (critmin)     {t_rank * 1000:8.0f} ms   bar 1000 ms")
    print(f"full ranking, per-mineral pandas loop {t_naive * 1000:8.0f} ms   ratio {t_naive / t_rank:5.1f}x")
    print(f"  composite scores identical where both compute one: {agree:.0%}")
    print(f"overview in-process (read + build)    {t_ov_in * 1000:8.0f} ms")
    print(f"critmin overview, fresh process       {t_ov_cli * 1000:8.0f} ms   bar 5000 ms")


if __name__ == "__main__":
    main()

"""Benchmark: exposure of a 10,000-line bill (bar: under 2 s on 2 cores).

Not a timed test. Builds a synthetic bill of 10,000 lines (100 products x 99 parts, mixing
library products and mineral lines over 12 minerals, one line in seven with declared mine
origins), then times, in one process, the same work done two ways:

1. critmin: ``validate_bom`` + :func:`critmin.exposure.assess` without diversification,
   i.e. validation, mineral lines, every path, the part, product and company tables,
   company and product indicators and the export controls on the paths;
2. the obvious alternative: the same validation and the same outputs written row by row,
   ``DataFrame.iterrows`` over the bill, one dict per line and per path, totals and
   indicators accumulated in dictionaries (:func:`row_by_row`). Its look-ups (materials,
   countries, declared origins, upstream shares) are made per row as a first version would
   make them; ``--memo`` runs it again with each look-up cached per distinct value, the
   loop a careful programmer would write next, so the ratio is shown against both.

The knowledge base, the upstream shares and the content library are loaded once before
either is timed (their load time is printed apart). Both ways must give the same company
totals and the same company indicators (checked, largest relative difference printed).
Wall time and CPU time of this process are both printed: the machine is shared, and the
CPU time is what the code costs when it has a core to itself.

Run: ``PYTHONPATH=src python benchmarks/bench_exposure.py [--memo]``.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import time
from collections import defaultdict
from functools import cache

import pandas as pd

from critmin.exposure import assess, contents
from critmin.exposure.bom import COLUMNS, NUMERIC, _country, _origins, validate_bom
from critmin.exposure.exposure import controls_in_force, load_knowledge_base
from critmin.exposure.upstream import ProductionShares
from critmin.vocab import commodities as vc

MINERALS = ["cobalt", "lithium", "nickel", "gallium", "germanium", "tungsten", "antimony", "graphite", "manganese",
            "niobium", "tantalum", "copper"]
PRODUCTS = ["ndfeb-magnet", "gaas", "gan", "nmc811-cam", "inconel-718", "tungsten-carbide", "antimony-trioxide"]
COUNTRIES = ["USA", "CHN", "JPN", "DEU", "MEX", "KOR", "AUS", "CAN"]
HTS = re.compile(r"^\d{4}(\.?\d{2}){0,3}$")


def synthetic_bill(n_products: int = 100, parts_per_product: int = 99, seed: int = 1) -> pd.DataFrame:
    rnd = random.Random(seed)
    rows = []
    for p in range(n_products):
        pid = f"P{p}"
        rows.append({"part_id": pid, "annual_volume": str(rnd.randint(100, 10000)), "supplier_country": "USA",
                     "unit_value_usd": "1000"})
        for k in range(parts_per_product):
            r = {"part_id": f"{pid}-{k}", "parent_id": pid, "quantity": str(rnd.randint(1, 4)),
                 "supplier_country": rnd.choice(COUNTRIES), "unit_value_usd": str(rnd.randint(1, 200))}
            if k % 2:
                r.update(material=rnd.choice(MINERALS), mass_kg=f"{rnd.uniform(0.01, 3):.3f}",
                         content_fraction=f"{rnd.uniform(0.05, 1):.3f}")
            else:
                r.update(material=rnd.choice(PRODUCTS), mass_kg=f"{rnd.uniform(0.01, 3):.3f}")
            if k % 7 == 0:
                r["origin_mine"] = "AUS:60; CHN:40"
            rows.append(r)
    return pd.DataFrame(rows).fillna("")


# ----------------------------------------------------------------------------- the obvious way


def row_by_row(raw: pd.DataFrame, library: pd.DataFrame, provider, kb, memo: bool = False) -> dict:
    """Validation, lines, paths, part/product/company totals and indicators, one row at a time."""
    resolve_country = cache(_country_only) if memo else _country_only
    parse_origins = cache(_origins_only) if memo else _origins_only
    lookup = cache(_mineral) if memo else _mineral
    shares = cache(provider.shares) if memo else provider.shares
    lib = defaultdict(list)
    for r in library.to_dict("records"):
        lib[r["product_id"]].append(r)

    # ---- validation: every row, every cell
    problems, parts = [], []
    seen = {}
    for i, row in raw.iterrows():
        r = {c: str(row.get(c, "")).strip() for c in COLUMNS}
        if not any(r.values()):
            continue
        n = i + 2
        for c in NUMERIC:
            if r[c]:
                try:
                    v = float(r[c].replace(",", ""))
                    if not math.isfinite(v) or v < 0:
                        problems.append((n, c))
                    r[c] = v
                except ValueError:
                    problems.append((n, c))
                    r[c] = None
            else:
                r[c] = None
        if r["content_fraction"] is not None and r["content_fraction"] > 1:
            problems.append((n, "content_fraction"))
        if not r["part_id"] or r["part_id"] in seen:
            problems.append((n, "part_id"))
        seen.setdefault(r["part_id"], n)
        if r["parent_id"] and r["quantity"] is None or not r["parent_id"] and r["annual_volume"] is None:
            problems.append((n, "quantity/annual_volume"))
        m = r["material"]
        r["kind"], r["mid"] = ("product", m.lower()) if m.lower() in lib else (("mineral", lookup(m)) if m else ("", ""))
        if m and r["mid"] is None:
            problems.append((n, "material"))
        if r["kind"] == "mineral" and (r["mass_kg"] is None or r["content_fraction"] is None):
            problems.append((n, "mass_kg"))
        r["iso"] = resolve_country(r["supplier_country"]) if r["supplier_country"] else None
        if r["supplier_country"] and r["iso"] is None:
            problems.append((n, "supplier_country"))
        r["declared"] = {}
        for col, stage in (("origin_mine", "mine"), ("origin_processing", "processing")):
            if r[col]:
                parsed = parse_origins(r[col])
                if parsed is None:
                    problems.append((n, col))
                else:
                    r["declared"][stage] = parsed
        if r["hts_code"] and not HTS.match(r["hts_code"]):
            problems.append((n, "hts_code"))
        if r["originating"].lower() not in ("", "yes", "y", "true", "1", "no", "n", "false", "0"):
            problems.append((n, "originating"))
        parts.append(r)
    for r in parts:
        if r["parent_id"] and r["parent_id"] not in seen:
            problems.append((seen[r["part_id"]], "parent_id"))
    if problems:
        raise ValueError(f"{len(problems)} problems")

    # ---- tree, lines, paths
    by_id = {r["part_id"]: r for r in parts}
    paths = []
    for r in parts:
        units, node = 1.0, r
        while node["parent_id"]:
            units *= node["quantity"]
            node = by_id[node["parent_id"]]
        units *= node["annual_volume"]
        root = node["part_id"]
        if r["kind"] == "product":
            items = [(x["commodity_id"], x["form"] or "", x["low"], x["high"]) for x in lib[r["mid"]]]
            amount = r["mass_kg"]
        elif r["kind"] == "mineral":
            items = [(r["mid"], "", r["content_fraction"], r["content_fraction"])]
            amount = r["mass_kg"]
        else:
            continue
        spend = units * r["unit_value_usd"] if r["unit_value_usd"] is not None else float("nan")
        for commodity, form, c_lo, c_hi in items:
            t_lo, t_hi = units * amount * c_lo / 1000, units * amount * c_hi / 1000
            if t_hi <= 0:
                continue
            base = {"part_id": r["part_id"], "root_id": root, "commodity_id": commodity}
            paths.append({**base, "stage": "supplier", "country": r["iso"] or "unknown", "basis": "bill" if r["iso"] else "unknown",
                          "tonnes_low": t_lo, "tonnes_high": t_hi, "spend_low": spend, "spend_high": spend})
            for stage in ("mine", "processing"):
                if stage in r["declared"]:
                    for iso, s in r["declared"][stage]:
                        lo, hi = (s, s) if s is not None else (0.0, 1.0)
                        paths.append({**base, "stage": stage, "country": iso, "basis": "declared",
                                      "tonnes_low": t_lo * lo, "tonnes_high": t_hi * hi,
                                      "spend_low": spend * lo, "spend_high": spend * hi})
                    continue
                ss = shares(commodity, stage, None, form)
                rows = ([("unknown", 1.0, 1.0, "unknown")] if ss is None else
                        [(c, iv.low, min(1.0, iv.high), "inferred") for c, iv in sorted(ss.shares.items())]
                        + ([("unassigned", ss.unassigned.low, ss.unassigned.high, "inferred")] if ss.unassigned.high > 0 else []))
                for c, lo, hi, basis in rows:
                    paths.append({**base, "stage": stage, "country": c, "basis": basis,
                                  "tonnes_low": t_lo * lo, "tonnes_high": t_hi * hi,
                                  "spend_low": spend * lo, "spend_high": spend * hi})

    # ---- totals by part, product and company; indicators by product and company
    out = {}
    for scope, key in (("part", ("root_id", "part_id")), ("product", ("root_id",)), ("company", ())):
        tot = {}
        for p in paths:
            k = tuple(p[x] for x in key) + (p["commodity_id"], p["stage"], p["country"])
            acc = tot.setdefault(k, [0.0, 0.0, 0.0, 0.0, set()])
            acc[0] += p["tonnes_low"]
            acc[1] += p["tonnes_high"]
            acc[2] += p["spend_low"]
            acc[3] += p["spend_high"]
            acc[4].add(p["basis"])
        out[scope] = tot
    controls = controls_in_force(kb).to_dict("records")
    for scope in ("product", "company"):
        groups = defaultdict(list)
        for k, v in out[scope].items():
            groups[k[:-1]].append((k[-1], v))
        ind = {}
        for g, members in groups.items():
            lo = sum(v[0] for _, v in members)
            hi = sum(v[1] for _, v in members)
            known = [(c, v) for c, v in members if c not in ("unassigned", "unknown")]
            h1 = sum((v[0] / lo) ** 2 for _, v in known) if lo > 0 else float("nan")
            h2 = sum((v[1] / hi) ** 2 for _, v in known) if hi > 0 else float("nan")
            ch_lo = sum(v[0] for c, v in members if c == "CHN")
            ch_hi = sum(v[1] for c, v in members if c == "CHN")
            china = ch_lo / (ch_lo + hi - ch_hi) if ch_lo + hi - ch_hi > 0 else float("nan")
            w = [(kb.wgi[c], (v[0] + v[1]) / 2) for c, v in known if c in kb.wgi]
            wgi = sum(s * x for s, x in w) / sum(x for _, x in w) if w and sum(x for _, x in w) > 0 else float("nan")
            names = {c for c, _ in known}
            ids = {g[-2], kb.commodity_group.get(g[-2], g[-2]), *kb.group_members.get(g[-2], ())}
            touching = sorted({f"{x['country_iso3']}: {x['measure_id']}" for x in controls
                               if x["commodity_id"] in ids and x["country_iso3"] in names})
            ind[g] = {"hhi_low": min(h1, h2), "china_share_low": china, "wgi_mean": wgi, "export_controls": touching}
        out[f"{scope}_indicators"] = ind
    out["paths"] = len(paths)
    return out


def _country_only(text: str) -> str | None:
    found = []
    iso = _country(0, "supplier_country", text, found)
    return None if found else iso


def _origins_only(text: str):
    found = []
    parsed = _origins(0, "origin", text, found)
    return None if found else tuple(parsed)


def _mineral(text: str) -> str | None:
    try:
        return vc.lookup(text).commodity_id
    except Exception:
        return None


# ----------------------------------------------------------------------------- run


def timed(f, repeat: int = 3):
    best_wall, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = f()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--memo", action="store_true", help="also time the row-by-row loop with cached look-ups")
    args = ap.parse_args()
    t0 = time.perf_counter()
    library = contents.content_library()
    provider = ProductionShares.from_snapshot()
    kb = load_knowledge_base()
    load = time.perf_counter() - t0
    raw = synthetic_bill()
    print(f"bill: {len(raw):,} lines; knowledge base, shares and library loaded once in {load:.2f} s")

    def vectorised():
        bill = validate_bom(raw, library=library)
        return assess(bill, provider=provider, kb=kb, library=library, diversify=False)

    wall, cpu, res = timed(vectorised)
    print(f"critmin: validation + lines + {len(res.paths):,} paths + part/product/company tables + "
          f"company and product indicators + controls: {wall:.3f} s wall, {cpu:.3f} s CPU (bar 2 s)")
    runs = [("row by row (.iterrows, per-row dicts and look-ups)", False)] + \
        ([("row by row, look-ups cached per distinct value", True)] if args.memo else [])
    for label, memo in runs:
        lwall, lcpu, loop = timed(lambda: row_by_row(raw, library, provider, kb, memo=memo), repeat=2)
        print(f"{label}: {lwall:.3f} s wall, {lcpu:.3f} s CPU; ratio loop / critmin {lwall / wall:.1f}x wall, "
              f"{lcpu / cpu:.1f}x CPU")
    # the same answers both ways
    comp = res.company.set_index(["commodity_id", "stage", "country"])
    worst = 0.0
    for k, v in loop["company"].items():
        for j, col in enumerate(["tonnes_low", "tonnes_high", "spend_low", "spend_high"]):
            a, b = float(comp.loc[k, col]), v[j]
            worst = max(worst, abs(a - b) / max(abs(b), 1e-12))
    ind = res.indicators.set_index(["commodity_id", "stage"])
    for k, v in loop["company_indicators"].items():
        for col in ("hhi_low", "china_share_low", "wgi_mean"):
            a, b = float(ind.loc[k, col]), v[col]
            if not (math.isnan(a) and math.isnan(b)):
                worst = max(worst, abs(a - b) / max(abs(b), 1e-12))
        assert [x.split(" (", 1)[0] for x in ind.loc[k, "export_controls"]] == v["export_controls"], k
    assert len(loop["company"]) == len(res.company) and loop["paths"] == len(res.paths)
    print(f"same company totals and indicators both ways: largest relative difference {worst:.1e}")


if __name__ == "__main__":
    main()

"""Benchmark: exposure of a 10,000-line bill (bar: under 2 s on 2 cores).

Not a timed test. Builds a synthetic bill of 10,000 lines (100 products x 99 parts, mixing
library products and mineral lines over 12 minerals), then times, in one process:

1. critmin's vectorised path: validation + mineral lines + paths + company aggregation +
   indicators (:mod:`critmin.exposure`), with the knowledge base and shares loaded once
   beforehand (their load time is printed separately);
2. the obvious alternative: a per-row Python loop over the validated bill that computes each
   line's tonnes and its paths one share at a time and sums them in dictionaries.

Both give the same company totals (checked); the ratio is printed. Run:
``PYTHONPATH=src python benchmarks/bench_exposure.py``.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict

import pandas as pd

from critmin.exposure import contents
from critmin.exposure.bom import validate_bom
from critmin.exposure.exposure import aggregate, exposure_paths, indicators, load_knowledge_base, mineral_lines
from critmin.exposure.upstream import ProductionShares

MINERALS = ["cobalt", "lithium", "nickel", "gallium", "germanium", "tungsten", "antimony", "graphite", "manganese",
            "niobium", "tantalum", "copper"]
PRODUCTS = ["ndfeb-magnet", "gaas", "gan", "nmc811-cam", "inconel-718", "tungsten-carbide", "antimony-trioxide"]
COUNTRIES = ["USA", "CHN", "JPN", "DEU", "MEX", "KOR", "AUS", "CAN"]


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


def loop_alternative(bom, library, provider) -> dict:
    """The obvious per-row loop: one line, one mineral, one share at a time."""
    lib = defaultdict(list)
    for r in library.itertuples(index=False):
        lib[r.product_id].append(r)
    totals: dict[tuple, float] = defaultdict(float)
    cache = {}
    for r in bom.parts.itertuples(index=False):
        if not r.material_kind:
            continue
        items = ([(x.commodity_id, x.form, r.units_per_year * r.mass_kg * x.low / 1000) for x in lib[r.material_id]]
                 if r.material_kind == "product" else [(r.material_id, "", r.units_per_year * r.mass_kg * r.content_fraction / 1000)])
        for commodity, form, t in items:
            if t <= 0:
                continue
            totals[(commodity, "supplier", r.supplier_iso3)] += t
            for stage in ("mine", "processing"):
                if stage in r.declared:
                    for iso, s in r.declared[stage]:
                        totals[(commodity, stage, iso)] += t * s
                    continue
                key = (commodity, stage, form)
                if key not in cache:
                    cache[key] = provider.shares(commodity, stage, None, form)
                ss = cache[key]
                if ss is None:
                    totals[(commodity, stage, "unknown")] += t
                    continue
                for iso, iv in ss.shares.items():
                    totals[(commodity, stage, iso)] += t * iv.low
                if ss.unassigned.high > 0:
                    totals[(commodity, stage, "unassigned")] += t * ss.unassigned.low
    return totals


def main() -> None:
    t0 = time.perf_counter()
    library = contents.content_library()
    provider = ProductionShares.from_snapshot()
    kb = load_knowledge_base()
    load = time.perf_counter() - t0
    raw = synthetic_bill()
    print(f"bill: {len(raw):,} lines; knowledge base, shares and library loaded once in {load:.2f} s")

    best_vec = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        bom = validate_bom(raw, library=library)
        lines = mineral_lines(bom, library)
        paths = exposure_paths(lines, bom, provider)
        company = aggregate(paths, "company")
        indicators(paths, kb, "company")
        best_vec = min(best_vec, time.perf_counter() - t)
    best_loop = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        totals = loop_alternative(bom, library, provider)
        best_loop = min(best_loop, time.perf_counter() - t)
    # the same company totals (low tonnes) both ways
    vec = company.set_index(["commodity_id", "stage", "country"])["tonnes_low"]
    worst = max(abs(vec.get(k, 0.0) - v) / max(v, 1e-12) for k, v in totals.items() if v > 1e-9)
    print(f"critmin (validation + lines + {len(paths):,} paths + aggregation + indicators): {best_vec:.3f} s (bar 2 s)")
    print(f"per-row Python loop (lines + paths + aggregation only, validation excluded): {best_loop:.3f} s")
    print(f"ratio loop / critmin: {best_loop / best_vec:.1f}x; largest relative difference of the totals {worst:.1e}")


if __name__ == "__main__":
    main()

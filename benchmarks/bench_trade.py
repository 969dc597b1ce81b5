"""World-trade speed: the BACI reader, a cold `critmin trade`, GeoPolRisk on bilateral trade.

Measured side by side with the obvious alternative in the same run:

* the BACI reader (one SQLite scan that checks every cell, then NumPy) against a row-by-row
  reader (fetch every row as text, parse each cell with :func:`critmin.values.parse_value`
  and resolve each country code per row) on the first ``--rows`` rows, extrapolated to the
  1.26 M rows of the file;
* a cold ``critmin trade`` (DuckDB over the snapshot's Parquet) against answering the same
  question by reading the raw SQLite file with the reader;
* the full risk ranking in-process (build the inputs, then four methods), the bar of
  ``bench_risk.py`` (1 s), now that the inputs include bilateral trade.

Run: ``.venv/bin/python benchmarks/bench_trade.py [--source-dir ../shared/data] [--runs 3]``
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(cmd: list[str], runs: int) -> float:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def naive_reader(db: Path, rows: int) -> float:
    """Row by row: parse every cell with the generic value parser, resolve every code."""
    from critmin.values import parse_value
    from critmin.vocab import countries as vk
    from critmin.vocab import hs6_concordance as hc

    t0 = time.perf_counter()
    conn = sqlite3.connect(f"file:{db.as_posix()}?mode=ro&immutable=1", uri=True)
    codes = {str(c): iso for c, _n, _i2, iso in conn.execute("SELECT * FROM country_codes_V202401b")}
    out = []
    for rowid, t, i, j, k, v, q in conn.execute(f"SELECT rowid, * FROM baci_trade LIMIT {rows}"):
        vv, qq = parse_value(v), parse_value(q)
        ei, ij = codes[i], codes[j]
        for iso in (ei, ij):
            try:
                vk.resolve_code(iso)
            except Exception:
                pass
        e = hc.entry(k)
        out.append((int(t), ei, ij, e.hs6, vv.value, qq.value, qq.qualifier, rowid))
    conn.close()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    src = Path(args.source_dir)
    critmin = str(BIN / "critmin")
    lines = []

    if src.is_dir():
        from critmin.sources.cepii_baci import read_baci

        fast = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            n = len(read_baci(src).tables["world_trade"])
            fast.append(time.perf_counter() - t0)
        fast_t = statistics.median(fast)
        slow = naive_reader(src / "cepii_baci" / "baci.db", args.rows) * n / args.rows
        lines.append(("BACI reader, 1.26 M rows (SQLite checks + NumPy)", fast_t, None))
        lines.append((f"  row-by-row reader (timed on {args.rows:,} rows, extrapolated)", slow, None))
        lines.append(("  ratio row-by-row / vectorised", slow / fast_t, "x"))

    cold = timed([critmin, "trade", "rare earths", "--stage", "processing", "--exporter", "CHN", "--over-time", "--format", "json"], args.runs)
    lines.append(("cold critmin trade (snapshot)", cold, None))
    if src.is_dir():
        code = (f"from pathlib import Path; from critmin.sources.cepii_baci import read_baci; "
                f"from critmin.analysis import trade as tr; t=read_baci(Path({str(src)!r})).tables['world_trade']; "
                "tr.country_share_series(tr.select(t, ['280530','284690']), 'CHN')")
        raw = timed([sys.executable, "-c", code], args.runs)
        lines.append(("  same answer from the raw SQLite file", raw, None))
        lines.append(("  ratio raw / snapshot", raw / cold, "x"))

    from critmin import kb
    from critmin.analysis import inputs as ai
    from critmin.analysis import risk

    tables = kb.read_tables()
    ranking = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        inp = ai.build_inputs(tables)
        for m in risk.METHODS:
            risk.rank(inp, m)
        ranking.append(time.perf_counter() - t0)
    lines.append(("full ranking in-process incl. bilateral trade (bar 1 s)", statistics.median(ranking), None))
    cold_nir = timed([critmin, "nir", "--format", "json"], args.runs)
    lines.append(("cold critmin nir (bar 1.5 s)", cold_nir, None))

    print(f"{'measure':<66} {'value':>9}")
    for name, v, unit in lines:
        print(f"{name:<66} {v:9.2f}{unit or ' s'}")


if __name__ == "__main__":
    main()

"""Knowledge-base speed: snapshot build, cold `critmin nir`, `critmin --help`.

Each figure is the median of several runs in fresh processes, measured side by side with
the obvious alternative in the same run:

* cold ``critmin nir`` (DuckDB over the committed Parquet snapshot) against re-parsing the
  publisher's files on every call (running the readers the answer needs in a new process);
* ``critmin data build`` against the 30 s bar of the issue.

Run: ``.venv/bin/python benchmarks/bench_kb.py [--source-dir ../shared/data]``
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


def timed(cmd: list[str], runs: int, env=None) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    critmin = str(BIN / "critmin")
    py = sys.executable
    rows = []

    help_t = timed([critmin, "--help"], args.runs)
    rows.append(("critmin --help", statistics.median(help_t), 0.5))

    nir_t = timed([critmin, "nir", "--format", "json"], args.runs)
    rows.append(("cold critmin nir (snapshot)", statistics.median(nir_t), 1.5))

    reparse = (
        "from pathlib import Path;"
        "from critmin.sources.usgs_mcs_trends import read_mcs2026_trends;"
        "from critmin.sources.critical_lists import read_critical_lists;"
        f"d=Path({args.source_dir!r}); read_mcs2026_trends(d); read_critical_lists(d)"
    )
    if Path(args.source_dir).is_dir():
        alt_t = timed([py, "-c", reparse], args.runs)
        rows.append(("cold nir by re-parsing raw files", statistics.median(alt_t), None))
        with tempfile.TemporaryDirectory() as tmp:
            build_t = timed([critmin, "data", "build", "--quiet", "--source-dir", args.source_dir, "--out", str(Path(tmp) / "snap")], 1)
        rows.append(("critmin data build (all sources)", build_t[0], 30.0))

    print(f"{'measure':<38} {'seconds':>9} {'bar':>6}  ok")
    for name, sec, bar in rows:
        ok = "" if bar is None else ("yes" if sec < bar else "NO")
        print(f"{name:<38} {sec:9.3f} {'' if bar is None else bar:>6}  {ok}")
    if len(rows) > 2:
        print(f"re-parsing / snapshot ratio for a cold nir: {rows[2][1] / rows[1][1]:.1f}x")


if __name__ == "__main__":
    main()

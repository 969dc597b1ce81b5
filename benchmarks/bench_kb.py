"""Knowledge-base speed: snapshot build, cold `critmin nir`, `critmin --help`.

Each figure is the median of several runs in fresh processes, measured side by side with
the obvious alternative in the same run:

* cold ``critmin nir``, ``production`` and ``imports`` (DuckDB over the committed Parquet
  snapshot) against re-parsing the publisher's files on every call (running only the
  readers each answer needs, in a new process, without even presenting the answer);
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

    queries = {
        "nir": (["nir", "--format", "json"], ["usgs_mcs_trends:read_mcs2026_trends", "critical_lists:read_critical_lists"]),
        "production gallium": (["production", "gallium", "--format", "json"], ["usgs_mcs2026:read_mcs2026"]),
        "imports gallium": (
            ["imports", "gallium", "--format", "json"],
            ["usgs_mcs2026:read_mcs2026", "usgs_mcs_trends:read_mcs2026_trends", "usitc_dataweb:read_usitc"],
        ),
    }
    ratios = []
    for label, (cli_args, readers) in queries.items():
        snap = statistics.median(timed([critmin, *cli_args], args.runs))
        rows.append((f"cold critmin {label} (snapshot)", snap, 1.5 if label == "nir" else None))
        if Path(args.source_dir).is_dir():
            calls = "".join(
                f"from critmin.sources.{r.split(':')[0]} import {r.split(':')[1]}; {r.split(':')[1]}(d);" for r in readers
            )
            code = f"from pathlib import Path; d=Path({args.source_dir!r}); {calls}"
            alt = statistics.median(timed([py, "-c", code], args.runs))
            rows.append((f"  same answer by re-parsing raw files", alt, None))
            ratios.append((label, alt / snap))
    if Path(args.source_dir).is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            build_t = timed([critmin, "data", "build", "--quiet", "--source-dir", args.source_dir, "--out", str(Path(tmp) / "snap")], 1)
        rows.append(("critmin data build (all sources)", build_t[0], 30.0))

    print(f"{'measure':<46} {'seconds':>9} {'bar':>6}  ok")
    for name, sec, bar in rows:
        ok = "" if bar is None else ("yes" if sec < bar else "NO")
        print(f"{name:<46} {sec:9.3f} {'' if bar is None else bar:>6}  {ok}")
    for label, ratio in ratios:
        print(f"re-parsing / snapshot time for a cold `{label}`: {ratio:.2f}x")


if __name__ == "__main__":
    main()

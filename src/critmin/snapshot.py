"""Build, check and describe the normalised snapshot.

The snapshot is a folder of Parquet files, one per table of :mod:`critmin.schema`, and a
``manifest.json`` that cites every source (title, publisher, citation, DOI, licence,
vintage), lists the raw files read with their SHA-256, and the rows and SHA-256 of each
table. It is committed with the package, so critmin works offline on a fresh machine.

:func:`build` is reproducible and atomic: every reader runs and every fragment is checked
against its schema before anything is written; the tables go to a temporary folder beside
the target, which then replaces the target with a rename. A failure at any point leaves the
previous snapshot untouched.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from critmin.errors import SnapshotError, SourceError
from critmin.folders import swap_in

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def default_dir() -> Path:
    """Where the snapshot lives: ``$CRITMIN_SNAPSHOT`` if set, else inside the package."""
    env = os.environ.get("CRITMIN_SNAPSHOT")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "snapshot_data"


def run_readers(data_dir: Path, readers: tuple[str, ...] | None = None, progress=None) -> list:
    """Run every registered reader on ``data_dir`` and return their results in order."""
    from critmin.sources import READERS

    results = []
    for spec in readers or READERS:
        module_name, func_name = spec.split(":")
        func = getattr(importlib.import_module(module_name), func_name)
        t0 = time.perf_counter()
        result = func(data_dir)
        if progress is not None:
            progress(spec, result, time.perf_counter() - t0)
        results.append(result)
    return results


def assemble(results: list) -> dict:
    """Concatenate reader fragments per table, add derived tables, and check every schema."""
    import pandas as pd

    from critmin import schema
    from critmin.derived_tables import commodities_table, countries_table

    pieces: dict[str, list] = {name: [] for name in schema.TABLES}
    for res in results:
        for table, df in res.tables.items():
            if table not in schema.TABLES:
                raise SnapshotError(f"reader {res.info.source_id} returned unknown table {table!r}")
            expected = list(schema.TABLES[table].columns)
            if list(df.columns) != expected:
                missing = [c for c in expected if c not in df.columns]
                extra = [c for c in df.columns if c not in expected]
                raise SnapshotError(
                    f"reader {res.info.source_id}: table {table!r} columns differ from the schema "
                    f"(missing {missing}, unexpected {extra})"
                )
            if len(df):
                pieces[table].append(df)
    tables = {}
    for name, parts in pieces.items():
        if name in ("commodities", "countries"):
            continue
        df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(schema.TABLES[name].columns))
        tables[name] = df
    tables["commodities"] = commodities_table(tables["critical_lists"])
    tables["countries"] = countries_table(tables)
    return {name: _coerce(name, df) for name, df in tables.items()}


def _coerce(name: str, df):
    """Cast to the schema's types and check not-null columns and qualifiers."""
    import pandas as pd
    import pyarrow as pa

    from critmin import schema
    from critmin.values import Qualifier

    table = schema.TABLES[name]
    out = {}
    for col, kind in table.columns.items():
        s = df[col]
        if kind == schema.LIST:
            out[col] = s.map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else [str(x) for x in v])
        elif kind == schema.DATE:
            out[col] = pd.to_datetime(s, errors="raise").dt.date.astype(object).where(s.notna(), None)
        elif kind == schema.BOOL:
            out[col] = s.astype("boolean")
        elif kind == schema.INT:
            out[col] = pd.to_numeric(s, errors="raise").astype("Int64")
        elif kind == schema.FLOAT:
            out[col] = pd.to_numeric(s, errors="raise").astype("Float64")
        else:
            out[col] = s.astype("string")
    frame = pd.DataFrame(out)
    for col in table.not_null:
        bad = frame[col].isna()
        if bad.any():
            sample = frame.loc[bad].head(3)
            where = sample.get("source_file", pd.Series(dtype=str)).tolist()
            raise SnapshotError(f"table {name!r}: {int(bad.sum())} row(s) with null {col!r} (e.g. from {where})")
    if "qualifier" in frame:
        allowed = {q.value for q in Qualifier}
        bad = ~frame["qualifier"].isin(allowed)
        if bad.any():
            raise SnapshotError(f"table {name!r}: unknown qualifier(s) {sorted(set(frame.loc[bad, 'qualifier']))}")
        numeric = frame["qualifier"].isin(["exact", "estimated", "revised", "zero"])
        if (numeric & frame["value"].isna()).any() or (~numeric & frame["value"].notna()).any():
            raise SnapshotError(f"table {name!r}: value and qualifier disagree (a code must not carry a number)")
    if table.key:
        dup = frame.duplicated(list(table.key), keep=False)
        if dup.any():
            raise SnapshotError(f"table {name!r}: duplicate key {table.key}: {frame.loc[dup, list(table.key)].head(3).to_dict('records')}")
    sort_cols = [c for c in frame.columns if schema.TABLES[name].columns[c] != schema.LIST]
    frame = frame.sort_values(sort_cols, kind="mergesort", na_position="first").reset_index(drop=True)
    _ = pa  # pyarrow is the Parquet engine
    return frame


def write(tables: dict, results: list, data_dir: Path, target: Path) -> dict:
    """Write tables and manifest to a temporary folder, then swap it in for ``target``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from critmin import __version__, schema
    from critmin.sources.base import relative_to_data, sha256_file

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a snapshot is meant to be read by all
    try:
        table_entries = {}
        for name in sorted(tables):
            df = tables[name]
            arrow = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
            path = tmp / f"{name}.parquet"
            pq.write_table(arrow, path, compression="zstd", write_statistics=False)
            table_entries[name] = {
                "file": path.name,
                "rows": len(df),
                "sha256": sha256_file(path),
                "description": schema.TABLES[name].description,
                "columns": schema.TABLES[name].columns,
            }
        sources = []
        for res in results:
            rows = {t: int(len(df)) for t, df in res.tables.items() if len(df)}
            sources.append(
                {
                    **asdict(res.info),
                    "files": [
                        {"path": relative_to_data(f, data_dir), "bytes": f.stat().st_size, "sha256": sha256_file(f)}
                        for f in sorted(set(res.files))
                    ],
                    "rows": rows,
                    "skipped": dict(sorted(res.skipped.items())),
                }
            )
        manifest = {
            "format_version": FORMAT_VERSION,
            "critmin_version": __version__,
            "sources": sources,
            "tables": table_entries,
        }
        body = json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n"
        (tmp / MANIFEST).write_text(body, encoding="utf-8")
        swap_in(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def build(data_dir: Path, target: Path | None = None, progress=None, readers: tuple[str, ...] | None = None) -> dict:
    """Read every source in ``data_dir`` and write a new snapshot to ``target``.

    Raises :class:`~critmin.errors.SourceError` or :class:`~critmin.errors.SnapshotError`
    with the place of the problem; the previous snapshot is then untouched.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise SourceError(data_dir, "source folder not found", expected="the folder holding the publishers' files (e.g. ../shared/data)")
    results = run_readers(data_dir, readers, progress=progress)
    tables = assemble(results)
    manifest = write(tables, results, data_dir, target or default_dir())
    from critmin import store

    store.reset()
    return manifest


def load_manifest(snapshot_dir: Path | None = None) -> dict:
    d = Path(snapshot_dir or default_dir())
    path = d / MANIFEST
    if not path.is_file():
        raise SnapshotError(f"no snapshot at {d}: run `critmin data build --source-dir ../shared/data`")
    return json.loads(path.read_text(encoding="utf-8"))


def verify(snapshot_dir: Path | None = None) -> list[str]:
    """Check every table file against the manifest; return a list of problems (empty = OK)."""
    d = Path(snapshot_dir or default_dir())
    manifest = load_manifest(d)
    problems = []
    for name, entry in manifest["tables"].items():
        path = d / entry["file"]
        if not path.is_file():
            problems.append(f"{name}: file {entry['file']} missing")
            continue
        h = hashlib.sha256(path.read_bytes()).hexdigest()
        if h != entry["sha256"]:
            problems.append(f"{name}: checksum mismatch ({h[:12]}… != {entry['sha256'][:12]}…)")
    return problems

"""Building the snapshot: run the readers, check what they read, write, swap in.

:func:`build` is reproducible and atomic:

1. every reader of :data:`critmin.sources.READERS` runs, and its result is checked against
   the reader's declared expectations (:func:`critmin.sources.expectations.check`: files,
   rows, value domains, keys); a reader that declares none is reported;
2. the fragments are put together per table and checked against :mod:`critmin.schema`
   (columns, types, non-null columns, qualifiers, keys across readers);
3. the rows read are compared with the previous build (:mod:`critmin.snapshot.changes`);
   a drop or a change from unchanged files needs ``accept_row_changes``;
4. the tables and the manifest are written to a working folder outside the package
   (:mod:`critmin.snapshot.swap`) and swapped in for the target in one step.

Any failure before step 4 ends leaves the previous snapshot untouched and nothing behind.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from critmin.errors import SnapshotError, SourceError
from critmin.snapshot import swap
from critmin.snapshot.changes import compare
from critmin.snapshot.manifest import FORMAT_VERSION, MANIFEST, default_dir, load_manifest


def _reader(spec: str) -> Callable:
    module_name, func_name = spec.split(":")
    return getattr(importlib.import_module(module_name), func_name)


def run_readers(
    data_dir: Path,
    readers: tuple[str, ...] | None = None,
    progress=None,
    *,
    accept_row_changes: bool = False,
    warn: Callable[[str], None] | None = None,
) -> list:
    """Run every registered reader on ``data_dir``, check each result, and return them in order."""
    from critmin.sources import READERS
    from critmin.sources.expectations import check, expectation_of

    results = []
    for spec in readers or READERS:
        func = _reader(spec)
        t0 = time.perf_counter()
        result = func(data_dir)
        expectation = expectation_of(func)
        if expectation is None and warn is not None:
            warn(f"{spec}: declares no expectations (files, rows, value domains); only the default value rules and keys are checked")
        result = check(result, expectation, data_dir, accept_row_changes=accept_row_changes, warn=warn)
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
    """Cast to the schema's types and check not-null columns, qualifiers and the key."""
    import pandas as pd

    from critmin import schema
    from critmin.sources.expectations import describe_duplicate, first_duplicate_group
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
    if not table.key:
        raise SnapshotError(f"table {name!r} has no key in critmin.schema: every table needs one")
    dup = frame.duplicated(list(table.key), keep=False)
    if dup.any():
        same = first_duplicate_group(frame, dup, list(table.key))
        raise SnapshotError(f"table {name!r}: duplicate key {table.key}: {describe_duplicate(same, list(table.key))}")
    sort_cols = [c for c in frame.columns if schema.TABLES[name].columns[c] != schema.LIST]
    frame = frame.sort_values(sort_cols, kind="mergesort", na_position="first").reset_index(drop=True)
    return frame


def raw_file_info(results: list, data_dir: Path) -> dict[str, dict]:
    """Bytes and SHA-256 of every raw file the readers read, by relative path."""
    from critmin.sources.base import relative_to_data, sha256_file

    info = {}
    for res in results:
        for f in sorted(set(res.files)):
            rel = relative_to_data(Path(f), data_dir)
            if rel not in info:
                info[rel] = {"bytes": Path(f).stat().st_size, "sha256": sha256_file(Path(f))}
    return info


def manifest_of(tables: dict, results: list, data_dir: Path, file_info: dict[str, dict], table_files: dict[str, str]) -> dict:
    """The manifest of a build (``table_files``: table -> SHA-256 of its Parquet file)."""
    from critmin import __version__, schema
    from critmin.sources.base import relative_to_data

    table_entries = {}
    for name in sorted(tables):
        table_entries[name] = {
            "file": f"{name}.parquet",
            "rows": len(tables[name]),
            "sha256": table_files[name],
            "description": schema.TABLES[name].description,
            "columns": schema.TABLES[name].columns,
        }
    sources = []
    for res in results:
        files = []
        for f in sorted(set(res.files)):
            rel = relative_to_data(Path(f), data_dir)
            files.append({"path": rel, **file_info[rel], "rows": res.file_rows.get(rel, 0)})
        sources.append(
            {
                **asdict(res.info),
                "files": files,
                "rows": {t: int(len(df)) for t, df in res.tables.items() if len(df)},
                "skipped": dict(sorted(res.skipped.items())),
            }
        )
    return {"format_version": FORMAT_VERSION, "critmin_version": __version__, "sources": sources, "tables": table_entries}


def write(tables: dict, results: list, data_dir: Path, target: Path, file_info: dict[str, dict] | None = None) -> dict:
    """Write tables and manifest to a working folder, then swap it in for ``target``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from critmin.sources.base import sha256_file

    target = Path(target)
    file_info = file_info if file_info is not None else raw_file_info(results, data_dir)
    staging = swap.begin(target)
    try:
        table_files = {}
        for name in sorted(tables):
            arrow = pa.Table.from_pandas(tables[name], preserve_index=False).replace_schema_metadata(None)
            path = staging / f"{name}.parquet"
            pq.write_table(arrow, path, compression="zstd", write_statistics=False)
            table_files[name] = sha256_file(path)
        manifest = manifest_of(tables, results, data_dir, file_info, table_files)
        body = json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n"
        (staging / MANIFEST).write_text(body, encoding="utf-8")
        swap.install(staging, target)
    except BaseException:
        swap.abandon(staging)
        raise
    return manifest


def previous_manifest(target: Path) -> dict | None:
    """The manifest the new build is compared with: the target's, else the package's own."""
    for d in dict.fromkeys([Path(target), default_dir()]):
        try:
            return load_manifest(d)
        except SnapshotError:
            continue
    return None


def _repair_raw(data_dir: Path) -> None:
    """Finish a swap of a raw-data folder (``critmin data fetch-mcs``) that a crash interrupted."""
    from critmin import folders

    for journal in data_dir.glob(".*.swap.json"):
        name = journal.name[1 : -len(".swap.json")]
        try:
            folders.repair(data_dir / name)
        except OSError as exc:
            raise SourceError(data_dir / name, f"an interrupted download swap could not be repaired: {exc}") from None


def build(
    data_dir: Path,
    target: Path | None = None,
    progress=None,
    readers: tuple[str, ...] | None = None,
    *,
    accept_row_changes: bool = False,
    report: Callable[[str], None] | None = None,
) -> dict:
    """Read every source in ``data_dir`` and write a new snapshot to ``target``.

    Parameters
    ----------
    data_dir
        The folder of the publishers' raw files.
    target
        The snapshot folder (default :func:`~critmin.snapshot.manifest.default_dir`).
    progress
        Called as ``progress(spec, result, seconds)`` after each reader.
    readers
        ``module:function`` specs to run instead of :data:`critmin.sources.READERS`.
    accept_row_changes
        Let through row counts that differ from a reader's declared shapes or drop against
        the previous build (they are still reported).
    report
        Called with every warning and row change, one line each.

    Raises
    ------
    SourceError, SnapshotError
        With the place of the problem; the previous snapshot is then untouched.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise SourceError(data_dir, "source folder not found", expected="the folder holding the publishers' files (e.g. ../shared/data)")
    _repair_raw(data_dir)
    target = Path(target or default_dir())
    say = report or (lambda _line: None)
    with swap.lock(target):
        previous = previous_manifest(target)
        results = run_readers(data_dir, readers, progress=progress, accept_row_changes=accept_row_changes, warn=say)
        ids = [r.info.source_id for r in results]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise SnapshotError(f"several readers give the same source_id {twice}: every reader needs its own manifest entry")
        tables = assemble(results)
        file_info = raw_file_info(results, data_dir)
        changes = compare(previous, results, file_info)
        for c in changes:
            say(f"row change: {c.message}" + (" [needs --accept-row-changes]" if c.needs_acceptance and not accept_row_changes else ""))
        blocking = [c for c in changes if c.needs_acceptance]
        if blocking and not accept_row_changes:
            raise SnapshotError(
                f"{len(blocking)} row change(s) against the previous build need confirmation, e.g. {blocking[0].message}. "
                "Check the raw files; if the change is expected (a new release, a reader change), "
                "build again with --accept-row-changes. Nothing was written."
            )
        manifest = write(tables, results, data_dir, target, file_info)
    # no store reset here: the store and every cache key on the snapshot's fingerprint, which
    # the new manifest changes (and the snapshot package never imports the store)
    return manifest

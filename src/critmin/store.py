"""The embedded store: DuckDB over the snapshot's Parquet files.

On first use in a process, :func:`connection` opens an in-memory DuckDB database and
creates one view per snapshot table over its Parquet file. Nothing is copied and nothing
needs configuring; the snapshot folder can be read-only (an installed package). Queries
return pandas DataFrames. Only :mod:`critmin.kb` (the query layer) asks questions of the
store; this module imports only :mod:`critmin.snapshot.manifest`, which never imports the
store back.

The connection is kept per snapshot folder and :func:`~critmin.snapshot.manifest.fingerprint`:
a snapshot rebuilt in place (or swapped by a build in another process) is reopened on the
next query, so no caller needs to reset anything.
"""

from __future__ import annotations

import threading
from pathlib import Path

_lock = threading.Lock()
_conn = None
_conn_key: tuple | None = None


def connection(snapshot_dir: Path | None = None):
    """A DuckDB connection with a view per snapshot table (cached per process and snapshot)."""
    global _conn, _conn_key
    from critmin.snapshot.manifest import default_dir, fingerprint, load_manifest

    d = Path(snapshot_dir or default_dir()).resolve()
    key = (d, fingerprint(d))
    with _lock:
        if _conn is not None and _conn_key == key:
            return _conn
        import duckdb

        manifest = load_manifest(d)
        conn = duckdb.connect(":memory:")
        for name, entry in manifest["tables"].items():
            path = (d / entry["file"]).as_posix().replace("'", "''")
            conn.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        # the previous connection is dropped, not closed: a query running on it in another
        # thread finishes first
        _conn, _conn_key = conn, key
        return conn


def query(sql: str, params: list | tuple | None = None, snapshot_dir: Path | None = None):
    """Run SQL against the snapshot and return a pandas DataFrame."""
    conn = connection(snapshot_dir)
    with _lock:
        cur = conn.cursor()
    return cur.execute(sql, params or []).df()


def table(name: str, snapshot_dir: Path | None = None):
    """A whole snapshot table as a DataFrame."""
    from critmin import schema

    if name not in schema.TABLES:
        raise KeyError(f"unknown table {name!r}; known: {sorted(schema.TABLES)}")
    return query(f"SELECT * FROM {name}", snapshot_dir=snapshot_dir)


def reset() -> None:
    """Forget the cached connection (tests that point ``$CRITMIN_SNAPSHOT`` elsewhere)."""
    global _conn, _conn_key
    with _lock:
        if _conn is not None:
            _conn.close()
        _conn, _conn_key = None, None

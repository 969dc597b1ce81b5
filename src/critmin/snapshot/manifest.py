"""Where the snapshot is, its manifest, and the one fingerprint every cache keys on.

This module imports nothing heavy and nothing of the build, so that :mod:`critmin.store`
can depend on it without an import circle.

The manifest (``manifest.json``) lists:

* ``sources``: one entry per reader, with its citation, DOI, licence, vintage, the raw files
  read (path, bytes, SHA-256 and the data rows read from each), the rows it gave per table
  and the rows it left out (``skipped``, by reason);
* ``tables``: one entry per table, with its Parquet file, rows, SHA-256, description and
  columns.

:func:`load_manifest` is the first thing any use of the snapshot calls, so it is also where
a swap interrupted by a crash is repaired (see :mod:`critmin.snapshot.swap`).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from critmin.errors import SnapshotError

MANIFEST = "manifest.json"
FORMAT_VERSION = 2


_PACKAGE_SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshot_data"


def default_dir() -> Path:
    """Where the snapshot lives: ``$CRITMIN_SNAPSHOT`` if set, else inside the package."""
    env = os.environ.get("CRITMIN_SNAPSHOT")
    if env:
        return Path(env)
    return _PACKAGE_SNAPSHOT


def load_manifest(snapshot_dir: Path | None = None) -> dict:
    """The manifest of the snapshot in ``snapshot_dir`` (default :func:`default_dir`).

    Repairs a swap that a crash interrupted before reading. Raises
    :class:`~critmin.errors.SnapshotError` when there is no snapshot.
    """
    d = Path(snapshot_dir or default_dir())
    from critmin.snapshot.swap import repair

    repair(d)
    path = d / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotError(f"no snapshot at {d}: run `critmin data build --source-dir ../shared/data`") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SnapshotError(f"the snapshot manifest {path} is not valid JSON ({exc}): rebuild the snapshot") from None


_fingerprints: dict[str, tuple[tuple[int, int, int], str]] = {}


def fingerprint(snapshot_dir: Path | None = None) -> str:
    """One string that changes whenever any table of the snapshot changes.

    The SHA-256 of the manifest's format version and of every table's name and SHA-256,
    in name order; the citations, descriptions and critmin version do not enter it, so two
    builds with the same tables have the same fingerprint. Caches of anything computed
    from the snapshot key on this. The value is remembered per manifest file (inode, size,
    modification time), so calling it per request costs one ``stat``.

    Returns ``"none"`` when there is no snapshot.
    """
    d = snapshot_dir or default_dir()
    # keyed on the path as given (no resolve per call: this runs on every web request)
    path = os.path.join(d, MANIFEST)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        try:
            load_manifest(Path(d))  # repairs an interrupted swap, or raises
        except SnapshotError:
            return "none"
        st = os.stat(path)
    key = path
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    known = _fingerprints.get(key)
    if known is not None and known[0] == stamp:
        return known[1]
    value = fingerprint_of(load_manifest(Path(d)))
    _fingerprints[key] = (stamp, value)
    return value


def fingerprint_of(manifest: dict) -> str:
    """The fingerprint of a manifest already read (see :func:`fingerprint`)."""
    h = hashlib.sha256(f"critmin-snapshot:{manifest.get('format_version')}\n".encode())
    for name in sorted(manifest.get("tables", {})):
        h.update(f"{name}:{manifest['tables'][name]['sha256']}\n".encode())
    return h.hexdigest()


def per_snapshot(maxsize: int = 16):
    """Decorator: remember a function's results per snapshot :func:`fingerprint`.

    Anything computed from the snapshot (analysis frames, a market's calibration, the
    register's snapshot entries) is cached under ``(fingerprint(), args, kwargs)``: a
    rebuilt snapshot changes the fingerprint and nothing computed on the old one is
    returned again. At most ``maxsize`` results are kept, least recently used out first;
    concurrent first calls with the same arguments compute once. ``fn.cache_clear()``
    forgets everything.
    """
    import functools
    import threading
    from collections import OrderedDict

    def wrap(fn):
        entries: OrderedDict = OrderedDict()
        lock = threading.Lock()
        pending: dict = {}

        @functools.wraps(fn)
        def cached(*args, **kwargs):
            key = (fingerprint(), args, tuple(sorted(kwargs.items())))
            with lock:
                if key in entries:
                    entries.move_to_end(key)
                    return entries[key]
                gate = pending.setdefault(key, threading.Lock())
            with gate:  # a second caller with the same key waits for the first one's result
                with lock:
                    if key in entries:
                        return entries[key]
                try:
                    value = fn(*args, **kwargs)
                finally:
                    with lock:
                        pending.pop(key, None)
                with lock:
                    entries[key] = value
                    while len(entries) > maxsize:
                        entries.popitem(last=False)
            return value

        def cache_clear() -> None:
            with lock:
                entries.clear()

        cached.cache_clear = cache_clear
        cached.cache_entries = lambda: list(entries)
        return cached

    return wrap

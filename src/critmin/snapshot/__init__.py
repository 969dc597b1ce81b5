"""The normalised snapshot: build it, check it, describe it.

The snapshot is a folder of Parquet files, one per table of :mod:`critmin.schema`, and a
``manifest.json`` that cites every source (title, publisher, citation, DOI, licence,
vintage), lists the raw files read with their SHA-256 and data rows, and the rows and
SHA-256 of each table. It is committed with the package, so critmin works offline on a
fresh machine.

Modules
-------
:mod:`~critmin.snapshot.manifest`
    :func:`default_dir`, :func:`load_manifest`, :func:`fingerprint` (the one string
    every cache keys on) and :func:`per_snapshot` (the cache decorator keyed on it).
    :mod:`critmin.store` imports only this module, and nothing here imports the store.
:mod:`~critmin.snapshot.build`
    :func:`build`: readers, their expectations, row changes against the previous build,
    schema checks, writing.
:mod:`~critmin.snapshot.changes`
    The row-count comparison with the previous build.
:mod:`~critmin.snapshot.swap`
    Where a build writes, the crash-safe swap into place, repair and clean-up.
:mod:`~critmin.snapshot.verify`
    :func:`verify`: every table file against the manifest's checksums.
"""

from critmin.snapshot.manifest import FORMAT_VERSION, MANIFEST, default_dir, fingerprint, load_manifest, per_snapshot
from critmin.snapshot.build import assemble, build, run_readers, write
from critmin.snapshot.verify import verify

__all__ = [
    "FORMAT_VERSION", "MANIFEST", "assemble", "build", "default_dir", "fingerprint", "load_manifest", "per_snapshot",
    "run_readers", "verify", "write",
]

"""Checking a snapshot on disk against its manifest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from critmin.snapshot.manifest import default_dir, load_manifest


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

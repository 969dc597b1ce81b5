"""Installing a finished snapshot: where it is written, the swap, repair and clean-up.

The build writes the new tables into a working folder and then swaps that folder in for the
snapshot folder with :func:`critmin.folders.swap_in` (one atomic exchange on Linux; a
journal elsewhere), so the snapshot folder is at every moment the old or the new snapshot,
or the journal of an interrupted swap that :func:`repair` completes on the next start
(:func:`critmin.snapshot.manifest.load_manifest` calls it).

Where the working folder is
    Beside the target (``.<name>.incoming-<pid>-<tag>``) when the target is a folder the
    user chose; in critmin's cache folder (:func:`critmin.folders.cache_dir`, e.g.
    ``~/.cache/critmin/build/``) when the target is inside the installed package, so a killed
    build never leaves its tables inside the package. If the cache is on another filesystem
    than the package, the finished folder is copied beside the target just before the swap
    (a rename cannot cross filesystems).
Clean-up
    :func:`begin` (the start of every build) first repairs an interrupted swap and removes
    the working folders of builds whose process has died, beside the target and in the cache.
Concurrency
    :func:`lock` serialises builds into the same folder (an advisory ``flock`` on the
    target's parent folder); readers never need a lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from pathlib import Path

from critmin import folders
from critmin.errors import SnapshotError


def _package_dir() -> Path:
    return Path(__file__).resolve().parents[1]


def inside_package(target: Path) -> bool:
    """True when ``target`` is inside the installed critmin package."""
    try:
        Path(target).resolve().relative_to(_package_dir())
    except ValueError:
        return False
    return True


def _label(target: Path) -> str:
    """Name of the working folders of ``target`` in the cache (unique per target path)."""
    digest = hashlib.sha256(str(Path(target).resolve()).encode()).hexdigest()[:10]
    return f"{Path(target).name}-{digest}"


def staging_parent(target: Path) -> tuple[Path, str]:
    """The folder that holds ``target``'s working folders, and their label."""
    target = Path(target)
    if inside_package(target):
        return folders.cache_dir() / "build", _label(target)
    return target.parent, target.name


def repair(target: Path) -> str:
    """Finish a swap of ``target`` that a crash interrupted (see :func:`critmin.folders.repair`).

    When another process is swapping right now, waits up to two seconds for it. Raises
    :class:`~critmin.errors.SnapshotError` when the swap cannot be repaired (for example a
    read-only installation).
    """
    target = Path(target)
    if not folders.journal_path(target).exists():
        return "none"
    deadline = time.monotonic() + 2.0
    try:
        while True:
            done = folders.repair(target)
            if done != "in progress" or target.exists() or time.monotonic() > deadline:
                return done
            time.sleep(0.02)
    except OSError as exc:
        raise SnapshotError(f"an interrupted snapshot swap at {target} could not be repaired: {exc}") from None


def clean(target: Path) -> list[Path]:
    """Remove the working folders that killed builds of ``target`` left behind."""
    target = Path(target)
    removed = folders.remove_stale(target.parent, target.name)
    parent, label = staging_parent(target)
    if parent != target.parent:
        removed += folders.remove_stale(parent, label)
    return removed


def begin(target: Path) -> Path:
    """Repair, clean up, and make the empty working folder a new snapshot of ``target`` is written to."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    repair(target)
    clean(target)
    parent, label = staging_parent(target)
    return folders.staging_dir(parent, label)


def _same_filesystem(a: Path, b: Path) -> bool:
    return os.stat(a).st_dev == os.stat(b).st_dev


def install(staging: Path, target: Path) -> None:
    """Swap the finished folder ``staging`` in for ``target``."""
    staging, target = Path(staging), Path(target)
    folders.fsync_tree(staging)
    if not _same_filesystem(staging, target.parent):
        beside = folders.staging_dir(target.parent, target.name)
        try:
            shutil.copytree(staging, beside, dirs_exist_ok=True)
            folders.fsync_tree(beside)
        except BaseException:
            shutil.rmtree(beside, ignore_errors=True)
            raise
        shutil.rmtree(staging, ignore_errors=True)
        staging = beside
    folders.swap_in(staging, target)


def abandon(staging: Path) -> None:
    """Remove the working folder of a build that failed."""
    shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def lock(target: Path):
    """Hold an exclusive lock on building into ``target``'s folder (blocks while another build runs).

    An advisory ``flock`` on the parent folder itself, so no lock file is left anywhere.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX: no lock
        yield
        return
    parent = Path(target).parent
    parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock

"""Replacing a whole folder so that its readers always find a complete one.

Two users: the snapshot build (:mod:`critmin.snapshot.swap`) and the MCS release fetcher
(:mod:`critmin.live.usgs_release`). Both write a finished folder aside and then call
:func:`swap_in`, which guarantees that a crash at any point leaves ``target`` either wholly
old or wholly new, or (only where the operating system cannot exchange two folders at once)
leaves a journal that :func:`repair` uses to finish the swap on the next start.

How the swap works
------------------
1. **Exchange** (Linux 3.15+, glibc 2.28+, ext4/xfs/btrfs/tmpfs): ``renameat2`` with
   ``RENAME_EXCHANGE`` swaps the new and the old folder in one system call; at no moment is
   ``target`` missing or partial. The old folder, now at the new one's path, is removed.
2. **Journal** (elsewhere, or when the filesystem refuses the exchange): a journal
   ``.<name>.swap.json`` beside ``target`` names the new folder and where the old one goes;
   then ``target`` is renamed aside (``.<name>.old-<pid>-<tag>``), the new folder renamed in,
   the journal removed, the old folder removed. A crash between the two renames leaves no
   folder at ``target`` but the journal: :func:`repair` moves the new folder in (it was
   complete before the journal was written) or, if it is gone, puts the old one back.

A first swap (no folder at ``target`` yet) is a single atomic rename.

Temporary folders
-----------------
:func:`staging_dir` makes a working folder named ``.<label>.incoming-<pid>-<tag>``;
:func:`remove_stale` removes those (and ``.old-`` folders, and half-written journals) whose
process has died, so a killed build leaves nothing behind after the next one. :func:`cache_dir` is where critmin keeps such
folders when the target is inside the installed package (``$CRITMIN_CACHE_DIR``, else
``$XDG_CACHE_HOME/critmin``, else ``~/.cache/critmin``).
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
from pathlib import Path

_JOURNAL_SUFFIX = ".swap.json"
_TEMP_RE = re.compile(
    r"^\.(?P<label>.+?)(?:\.(?P<kind>incoming|old)-(?P<pid>\d+)-(?P<tag>[0-9a-f]+)|\.swap\.json\.(?P<jpid>\d+)\.tmp)$"
)

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def cache_dir() -> Path:
    """Where critmin keeps working folders: ``$CRITMIN_CACHE_DIR``, ``$XDG_CACHE_HOME/critmin`` or ``~/.cache/critmin``."""
    env = os.environ.get("CRITMIN_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "critmin"


def journal_path(target: Path) -> Path:
    """The journal of an interrupted swap of ``target``: ``.<name>.swap.json`` beside it."""
    target = Path(target)
    return target.with_name(f".{target.name}{_JOURNAL_SUFFIX}")


def staging_dir(parent: Path, label: str) -> Path:
    """A new, empty, world-readable working folder ``parent/.<label>.incoming-<pid>-<tag>``."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    path = parent / f".{label}.incoming-{os.getpid()}-{secrets.token_hex(4)}"
    path.mkdir()
    os.chmod(path, 0o755)  # a snapshot is meant to be read by all
    return path


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    except OSError:
        return False
    return True


def remove_stale(parent: Path, label: str) -> list[Path]:
    """Remove working folders of ``label`` in ``parent`` left by processes that have died.

    A folder that the journal of an unfinished swap names is repaired first, never removed
    blindly. Returns the folders removed.
    """
    parent = Path(parent)
    if not parent.is_dir():
        return []
    target = parent / label
    if journal_path(target).exists():
        repair(target)
    removed = []
    for p in parent.iterdir():
        m = _TEMP_RE.match(p.name)
        if m is None or m["label"] != label:
            continue
        pid = int(m["pid"] or m["jpid"])
        # an .old- folder of this very process is a leftover too: no swap of this label is
        # running while its working folders are being cleaned (the build holds the lock)
        if _pid_alive(pid) and not (m["kind"] == "old" and pid == os.getpid()):
            continue
        if p.is_dir():
            _remove_tree(p)
        else:
            _remove_file(p)
        removed.append(p)
    return removed


# --- the primitive steps; module-level so that tests can inject faults into each -------------------


def _rename(src: Path, dst: Path) -> None:
    os.replace(src, dst)


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (``renameat2(RENAME_EXCHANGE)``); OSError if unsupported."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except (OSError, TypeError):  # no C library to look into (Windows)
        raise OSError(errno.ENOSYS, "renameat2 is not available") from None
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), str(a), None, str(b))


def _write_journal(path: Path, entry: dict) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(entry, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _remove_file(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """Flush every file of a finished folder to disk before it is swapped in."""
    for p in Path(path).rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(Path(path))


_EXCHANGE_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM}


def swap_in(new: Path, target: Path) -> None:
    """Replace the folder ``target`` by the finished folder ``new`` (same filesystem).

    On return ``target`` holds the new content and ``new`` no longer exists. If this is
    interrupted (an exception, a kill, a power cut after the data reached the disk), the
    ``target`` path holds either the old or the new folder, or the journal lets
    :func:`repair` restore one of them on the next start.
    """
    new, target = Path(new), Path(target)
    if journal_path(target).exists():
        repair(target)
    if not target.exists():
        _rename(new, target)  # one atomic rename: the folder appears complete
        _fsync_dir(target.parent)
        return
    try:
        _exchange(new, target)
    except OSError as exc:
        if exc.errno not in _EXCHANGE_UNSUPPORTED:
            raise
        _journalled_swap(new, target)
        return
    _fsync_dir(target.parent)
    _tidy(_remove_tree, new)  # now the old folder


def _tidy(step, path: Path) -> None:
    """Clean up after the switch: the new folder is in place, so a failure here is not the
    swap's; what is left is removed by :func:`remove_stale` or :func:`repair` later."""
    try:
        step(path)
    except OSError:
        pass


def _journalled_swap(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    journal = journal_path(target)
    _write_journal(journal, {"target": str(target), "new": str(new), "old": str(old), "pid": os.getpid()})
    try:
        _rename(target, old)
    except BaseException:
        _remove_file(journal)  # nothing moved
        raise
    try:
        _rename(new, target)
    except BaseException:
        _rename(old, target)  # put the old folder back at once; if even that fails, the journal stays for repair
        _remove_file(journal)
        raise
    _fsync_dir(target.parent)
    _tidy(_remove_file, journal)
    _tidy(_remove_tree, old)


def repair(target: Path) -> str:
    """Finish a swap of ``target`` that a crash interrupted; return what was done.

    Returns ``"none"`` when there is no journal; ``"in progress"`` when the process that
    wrote the journal is still running (its swap is left alone); ``"not started"`` when the
    crash came before the first rename (``target`` is the old folder, the new one is
    dropped); ``"completed"`` when the new folder is in place or was moved in;
    ``"rolled back"`` when only the old folder was left and was put back. Raises
    ``OSError`` when the journal names no folder that could take ``target``'s place.
    """
    target = Path(target)
    journal = journal_path(target)
    if not journal.exists():
        return "none"
    try:
        entry = json.loads(journal.read_text(encoding="utf-8"))
        new, old, pid = Path(entry["new"]), Path(entry["old"]), int(entry.get("pid", 0))
    except FileNotFoundError:
        return "none"  # finished meanwhile
    except (OSError, ValueError, KeyError, TypeError):
        # a torn journal: it is written (atomically) before the first rename, so the swap
        # had not started and target is still the old folder
        if target.exists():
            _remove_file(journal)
            return "none"
        raise
    if pid and pid != os.getpid() and _pid_alive(pid):
        return "in progress"
    if target.exists():
        done = "not started" if new.exists() else "completed"
    elif new.exists():
        _rename(new, target)
        done = "completed"
    elif old.exists():
        _rename(old, target)
        done = "rolled back"
    else:
        raise OSError(errno.ENOENT, f"interrupted swap of {target}: neither {new} nor {old} exists")
    _fsync_dir(target.parent)
    _remove_file(journal)
    for leftover in (old, new):
        if leftover.exists() and leftover != target:
            _remove_tree(leftover)
    return done

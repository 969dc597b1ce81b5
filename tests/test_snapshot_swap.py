"""Fault injection into the snapshot swap: a crash at any step leaves a valid snapshot.

A forked child process runs the swap (or a whole build) and is killed (``os._exit``) at the k-th
call of a file-system step (``os.replace``, ``shutil.rmtree``, the journal's removal, the
atomic exchange), for k = 1, 2, ... until it gets through. After each kill the test "restarts":
it reads the snapshot with the public API, which must find the old or the new snapshot,
complete and matching its checksums; and the next build must leave no working folder
behind. In-process variants make each step raise instead.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from critmin import folders, snapshot

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the crash tests fork a child process (POSIX only)")

KILLED = 77

def killed_at(k: int, mode: str, work) -> int:
    """Run ``work()`` in a forked child that dies (``os._exit``) at its k-th file-system step.

    The steps counted are ``os.replace``, ``os.rename``, ``shutil.rmtree``, the removal of the
    journal and the atomic exchange; ``mode="journal"`` disables the exchange so the journal
    path runs.
    Returns the child's exit code: 0 when it got through, :data:`KILLED` when killed.
    """
    import shutil
    import traceback

    pid = os.fork()
    if pid == 0:  # the child: patch, work, exit without any clean-up
        try:
            calls = [0]

            def killing(real):
                def step(*args, **kwargs):
                    calls[0] += 1
                    if calls[0] == k:
                        os._exit(KILLED)
                    return real(*args, **kwargs)
                return step

            os.replace, os.rename = killing(os.replace), killing(os.rename)
            shutil.rmtree = killing(shutil.rmtree)
            if hasattr(folders, "_remove_file"):
                folders._remove_file = killing(folders._remove_file)
            if hasattr(folders, "_exchange"):
                if mode == "journal":
                    def no_exchange(a, b):
                        raise OSError(errno.ENOSYS, "exchange disabled for the test")
                    folders._exchange = no_exchange
                else:
                    folders._exchange = killing(folders._exchange)
            work()
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, KILLED), f"child failed with exit code {code}"
    return code


def tables_of(d: Path) -> dict[str, str]:
    """Table name -> SHA-256 of the snapshot in ``d``, read through the public API (which repairs)."""
    return {name: entry["sha256"] for name, entry in snapshot.load_manifest(d)["tables"].items()}


def content(d: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(d.iterdir())}


# --- the folder swap itself ----------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["exchange", "journal"])
def test_a_killed_folder_swap_leaves_old_or_new_after_restart(tmp_path: Path, mode: str):
    old = {"a.txt": "old a", "b.txt": "old b"}
    new = {"a.txt": "new a", "b.txt": "new b", "c.txt": "new c"}
    outcomes = set()
    for k in range(1, 30):
        root = tmp_path / f"k{k}"
        target = root / "snap"
        target.mkdir(parents=True)
        for name, text in old.items():
            (target / name).write_text(text)
        def swap(root=root):
            staging = folders.staging_dir(root, "snap")  # named after the child, so stale once it is killed
            for name, text in new.items():
                (staging / name).write_text(text)
            folders.swap_in(staging, root / "snap")

        code = killed_at(k, mode, swap)
        folders.repair(target)  # the restart
        found = content(target)
        assert found in (old, new), (k, found)
        folders.remove_stale(root, "snap")
        assert [p.name for p in root.iterdir()] == ["snap"], (k, list(root.iterdir()))
        outcomes.add("new" if found == new else "old")
        if code == 0:
            assert found == new
            break
    else:
        pytest.fail("the swap never completed")
    assert outcomes == {"old", "new"} and k >= 3  # some kills hit before, some after the switch


@pytest.mark.parametrize("mode", ["exchange", "journal"])
def test_a_failing_step_of_the_folder_swap_leaves_old_or_new(tmp_path: Path, mode: str, monkeypatch):
    for k in range(1, 30):
        root = tmp_path / f"k{k}"
        target = root / "snap"
        target.mkdir(parents=True)
        (target / "v").write_text("old")
        staging = folders.staging_dir(root, "snap")
        (staging / "v").write_text("new")
        calls = {"n": 0}

        def failing(real):
            def step(*args, **kwargs):
                calls["n"] += 1
                if calls["n"] == k:
                    raise OSError(errno.EIO, "injected fault")
                return real(*args, **kwargs)
            return step

        with monkeypatch.context() as m:
            for name in ("_rename", "_write_journal", "_remove_file", "_remove_tree"):
                m.setattr(folders, name, failing(getattr(folders, name)))
            if mode == "journal":
                m.setattr(folders, "_exchange", lambda a, b: (_ for _ in ()).throw(OSError(errno.ENOSYS, "off")))
            else:
                m.setattr(folders, "_exchange", failing(folders._exchange))
            try:
                folders.swap_in(staging, target)
                done = True
            except OSError:
                done = False
        if staging.exists():
            folders._remove_tree(staging)  # what the build does when the swap raised
        folders.repair(target)
        assert (target / "v").read_text() in ("old", "new"), k
        folders.remove_stale(root, "snap")
        assert [p.name for p in root.iterdir()] == ["snap"], k
        if done:
            assert (target / "v").read_text() == "new"
            break
    else:
        pytest.fail("the swap never completed")


def test_repair_completes_or_rolls_back_a_journal(tmp_path: Path):
    target = tmp_path / "snap"
    new = folders.staging_dir(tmp_path, "snap")
    (new / "v").write_text("new")
    old = tmp_path / ".snap.old-1-ab"
    old.mkdir()
    (old / "v").write_text("old")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    journal = folders.journal_path(target)
    journal.write_text(f'{{"target": "{target}", "new": "{new}", "old": "{old}", "pid": {dead}}}')
    assert folders.repair(target) == "completed" and (target / "v").read_text() == "new"
    assert not journal.exists() and not old.exists() and not new.exists()
    # only the old folder left: put back
    os.rename(target, old)
    journal.write_text(f'{{"target": "{target}", "new": "{new}", "old": "{old}", "pid": {dead}}}')
    assert folders.repair(target) == "rolled back" and (target / "v").read_text() == "new"
    # a torn journal of a swap that never started
    journal.write_text('{"target": ')
    assert folders.repair(target) == "none" and not journal.exists()
    # the half-written journal of a dead process is removed as stale
    (tmp_path / f".snap.swap.json.{dead}.tmp").write_text("{")
    folders.remove_stale(tmp_path, "snap")
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]


# --- a whole build killed at every step ----------------------------------------------------------

FIRST = ("tests.test_snapshot:fake_lists", "tests.test_snapshot:fake_production")
SECOND = ("tests.test_snapshot:fake_lists", "tests.test_snapshot:counted_production")


@pytest.mark.parametrize("mode", ["journal", "package"])
def test_a_build_killed_at_every_step_leaves_a_valid_snapshot(tmp_path: Path, mode: str, monkeypatch):
    """``journal``: a folder the user chose, swap by journal; ``package``: a target inside the
    (pretend) package, working folder in the cache, swap by exchange."""
    data = tmp_path / "raw"
    data.mkdir()
    (data / "lists.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (data / "count.csv").write_text("x\n" + "".join(f"{i}\n" for i in range(30)), encoding="utf-8")
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    package = tmp_path / "pkg"
    target = package / "snapshot_data"
    if mode == "package":
        from critmin.snapshot import swap

        monkeypatch.setattr(swap, "_package_dir", lambda: package)
    snapshot.build(data, target, readers=FIRST)
    old_fp = tables_of(target)
    snapshot.build(data, tmp_path / "expected-new", readers=SECOND)
    new_fp = tables_of(tmp_path / "expected-new")
    seen = set()
    left: dict[int, list[str]] = {}
    for k in range(1, 40):
        code = killed_at(k, mode if mode == "journal" else "exchange", lambda: snapshot.build(data, target, readers=SECOND))
        # restart: the public API repairs and reads
        assert snapshot.verify(target) == [], k
        fp = tables_of(target)
        assert fp in (old_fp, new_fp), k
        seen.add(str(fp))
        if code == 0:
            assert fp == new_fp
            break
        # the next build cleans what the killed one left, in the cache and beside the target
        snapshot.build(data, target, readers=FIRST)
        assert tables_of(target) == old_fp
        cached = (cache / "critmin" / "build")
        left[k] = sorted(p.name for p in package.iterdir() if p.name != "snapshot_data") + (sorted(p.name for p in cached.iterdir()) if cached.exists() else [])
    else:
        pytest.fail("the build never completed")
    assert seen == {str(old_fp), str(new_fp)} and k >= 3
    assert {k: names for k, names in left.items() if names} == {}


def test_working_folders_live_outside_the_package(tmp_path: Path, monkeypatch):
    from critmin.snapshot import swap

    data = tmp_path / "raw"
    data.mkdir()
    (data / "lists.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    package = tmp_path / "pkg"
    monkeypatch.setattr(swap, "_package_dir", lambda: package)
    seen: list[Path] = []
    real_install = swap.install
    monkeypatch.setattr(swap, "install", lambda staging, target: (seen.append(Path(staging)), real_install(staging, target))[1])
    snapshot.build(data, package / "snapshot_data", readers=FIRST)
    assert seen and seen[0].is_relative_to(cache / "critmin" / "build") and not seen[0].is_relative_to(package)
    # a cache on another filesystem: copied beside the target only for the swap itself
    monkeypatch.setattr(swap, "_same_filesystem", lambda a, b: False)
    snapshot.build(data, package / "snapshot_data", readers=FIRST)
    assert [p.name for p in package.iterdir()] == ["snapshot_data"] and list((cache / "critmin" / "build").iterdir()) == []
    assert snapshot.verify(package / "snapshot_data") == []
    # a folder the user chose: the working folder is beside it
    seen.clear()
    snapshot.build(data, tmp_path / "mine" / "snap", readers=FIRST)
    assert seen[0].parent == tmp_path / "mine"

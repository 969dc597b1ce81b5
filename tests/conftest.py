"""Shared fixtures.

Tests that read the publishers' raw files use ``raw_data_dir``: the folder named by the
environment variable ``CRITMIN_RAW_DATA``, else ``../shared/data`` beside the checkout.
When neither exists they are skipped with that reason, so the suite passes in a bare
clone; CI always has the files, so there they run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def find_raw_data() -> Path | None:
    env = os.environ.get("CRITMIN_RAW_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "data")
    for c in candidates:
        if (c / "SOURCES.md").is_file():
            return c
    return None


@pytest.fixture(scope="session")
def raw_data_dir() -> Path:
    found = find_raw_data()
    if found is None:
        pytest.skip("raw publisher files not found: set CRITMIN_RAW_DATA or place ../shared/data beside the checkout")
    return found


@pytest.fixture(scope="session", autouse=True)
def empty_user_register(tmp_path_factory):
    """Point the tracker's user register folder at an empty folder for the whole run, so the
    tests never read (or write) the register files of whoever runs them; servers and CLI
    processes the tests start inherit it."""
    folder = tmp_path_factory.mktemp("user-register")
    before = os.environ.get("CRITMIN_REGISTER_DIR")
    os.environ["CRITMIN_REGISTER_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("CRITMIN_REGISTER_DIR", None)
    else:
        os.environ["CRITMIN_REGISTER_DIR"] = before


#: The committed snapshot (``src/critmin/snapshot_data``).
COMMITTED_SNAPSHOT = ROOT / "src" / "critmin" / "snapshot_data"


@pytest.fixture(scope="module")
def real_client(tmp_path_factory):
    """The web app on the committed snapshot (skipped without one), with a throw-away database."""
    if not (COMMITTED_SNAPSHOT / "manifest.json").is_file():
        pytest.skip(f"no committed snapshot at {COMMITTED_SNAPSHOT}")
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from critmin import store
    from critmin.web.app import create_app

    mp = pytest.MonkeyPatch()
    mp.setenv("CRITMIN_SNAPSHOT", str(COMMITTED_SNAPSHOT))
    store.reset()
    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('realdb') / 'real.db'}", warm=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    mp.undo()
    store.reset()

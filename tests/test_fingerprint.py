"""One fingerprint of the snapshot that every cache keys on (critmin.snapshot.fingerprint),
and the register's state where the tracker depends on it."""

from __future__ import annotations

import asyncio
import json

import pytest

from critmin.snapshot import manifest as mf


def write_manifest(folder, sha: str, tables: dict | None = None) -> None:
    """A new manifest file put in place as a build does (a new file, so a new inode)."""
    import os

    tables = tables or {"t": {"file": "t.parquet", "sha256": sha}}
    tmp = folder / "manifest.json.new"
    tmp.write_text(json.dumps({"format_version": 2, "sources": [], "tables": tables}))
    os.replace(tmp, folder / "manifest.json")


@pytest.fixture
def snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv("CRITMIN_SNAPSHOT", str(tmp_path))
    write_manifest(tmp_path, "a" * 64)
    return tmp_path


def test_per_snapshot_recomputes_only_when_a_table_changes(snapshot):
    calls = []

    @mf.per_snapshot(maxsize=2)
    def compute(x):
        calls.append(x)
        return [x]

    first = compute(1)
    assert compute(1) is first and calls == [1]
    fp = mf.fingerprint()
    write_manifest(snapshot, "a" * 64)  # rewritten, same tables: same fingerprint, nothing recomputed
    assert mf.fingerprint() == fp and compute(1) is first and calls == [1]
    write_manifest(snapshot, "b" * 64)  # a table changed
    assert mf.fingerprint() != fp
    assert compute(1) is not first and calls == [1, 1]
    compute(2), compute(3)
    assert len(compute.cache_entries()) == 2  # bounded, least recently used out


def test_per_snapshot_computes_once_for_concurrent_callers(snapshot):
    import threading
    import time

    calls = []

    @mf.per_snapshot()
    def slow():
        calls.append(1)
        time.sleep(0.2)
        return object()

    out = []
    threads = [threading.Thread(target=lambda: out.append(slow())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len({id(o) for o in out}) == 1


def test_register_state_changes_with_a_user_file(tmp_path):
    from critmin import register

    before = register.state(tmp_path)
    (tmp_path / "mine.yaml").write_text("format: critmin-register/1\nentries: []\n")
    after = register.state(tmp_path)
    assert after != before
    assert register.state(tmp_path, include_user=False) == register.state(tmp_path / "elsewhere", include_user=False).replace(
        str(tmp_path / "elsewhere"), str(tmp_path))


def test_response_cache_keys_on_the_fingerprint_and_for_the_tracker_on_the_register(monkeypatch):
    from critmin import register
    from critmin.web.api.cache import ResponseCache

    answers = []

    async def app(scope, receive, send):
        answers.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": str(len(answers)).encode()})

    fingerprint = {"value": "one"}
    state = {"value": "r1"}
    monkeypatch.setattr(register, "state", lambda *a, **k: state["value"])
    cache = ResponseCache(app, lambda: fingerprint["value"], ("/api/v1",), day_prefixes=("/api/v1/tracker",))

    def get(path):
        sent = []

        async def send(m):
            sent.append(m)

        asyncio.run(cache({"type": "http", "method": "GET", "path": path, "query_string": b""}, None, send))
        return dict(sent[0]["headers"])[b"x-cache"]

    assert [get("/api/v1/nir"), get("/api/v1/nir")] == [b"miss", b"hit"]
    assert [get("/api/v1/tracker/status"), get("/api/v1/tracker/status")] == [b"miss", b"hit"]
    state["value"] = "r2"  # a user added a register file
    assert get("/api/v1/tracker/status") == b"miss" and get("/api/v1/nir") == b"hit"
    fingerprint["value"] = "two"  # the snapshot was rebuilt
    assert get("/api/v1/nir") == b"miss"


def test_the_store_reopens_when_the_snapshot_changes(tmp_path, monkeypatch):
    """A rebuilt snapshot is read without anyone resetting the store."""
    pd = pytest.importorskip("pandas")
    from critmin import store

    def build(value: int) -> None:
        df = pd.DataFrame({"commodity_id": ["x"], "v": [value]})
        df.to_parquet(tmp_path / "commodities.parquet")
        write_manifest(tmp_path, "", {"commodities": {"file": "commodities.parquet", "sha256": f"{value:064d}"}})

    build(1)
    assert int(store.query("SELECT v FROM commodities", snapshot_dir=tmp_path)["v"].iloc[0]) == 1
    build(2)
    assert int(store.query("SELECT v FROM commodities", snapshot_dir=tmp_path)["v"].iloc[0]) == 2

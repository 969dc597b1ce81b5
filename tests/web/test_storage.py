"""Storage on both databases: what PostgreSQL refuses never reaches it, searches are literal,
concurrent writers lose nothing, and several server workers share SQLite without a 500.

Every test here runs on SQLite and on a throwaway PostgreSQL cluster (``db_backend``); the
PostgreSQL half skips with the reason when the server binaries or the driver are missing.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.web.conftest import SMALL_SCENARIO

API = "/api/v1"


def _counts(app):
    from critmin.web.storage import db

    return db.counts(app.state.engine)


@pytest.mark.parametrize("mutate, field", [
    (lambda s: s.update(name="n" * 201), "name"),            # PostgreSQL: value too long for varchar(200)
    (lambda s: s.update(name="a\x00b"), "name"),             # PostgreSQL: NUL not allowed in text
    (lambda s: s.update(description="x\x00y"), "description"),
    (lambda s: s.update(name="a\ud800b"), "name"),           # not encodable as UTF-8
    (lambda s: s["market"].update(mineral="m" * 101), "market.mineral"),  # scenarios.mineral is varchar(100)
])
def test_what_a_database_would_refuse_is_a_422_naming_the_field(store_client, store_app, store_key, mutate, field):
    bad = copy.deepcopy(SMALL_SCENARIO)
    mutate(bad)
    before = _counts(store_app)
    body = json.dumps(bad).encode("ascii")  # \u escapes: a lone surrogate travels as JSON allows
    for path in ("/scenarios", "/runs", "/scenarios/run", "/scenarios/validate"):
        r = store_client.post(API + path, content=body,
                              headers={"X-API-Key": store_key, "content-type": "application/json"})
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
        assert field in r.json()["detail"], r.json()["detail"]
    assert _counts(store_app) == before


def test_a_name_of_exactly_the_limit_is_stored_the_same_on_both(store_client, store_key):
    name = "é" * 200  # 200 characters, 400 bytes: the limit counts characters on both databases
    r = store_client.post(API + "/scenarios", json={**SMALL_SCENARIO, "name": name}, headers={"X-API-Key": store_key})
    assert r.status_code == 201, r.text
    assert store_client.get(API + f"/scenarios/{r.json()['id']}").json()["name"] == name


@pytest.mark.parametrize("query", ["q=a%00b", "mineral=x%00", "q=%00", "scenario_id=1&q=%00"])
def test_a_nul_in_a_query_is_a_422_without_a_key(store_client, query):
    r = store_client.get(API + "/scenarios?" + query)
    assert r.status_code == 422, r.text
    assert "NUL" in r.json()["detail"]
    assert store_client.get(API + "/scenarios").status_code == 200


def test_search_matches_percent_and_underscore_literally(store_client, store_key):
    h = {"X-API-Key": store_key}
    names = ["plain name zz", "under_score zz", "fifty%off zz", "back\\slash zz"]
    for n in names:
        assert store_client.post(API + "/scenarios", json={**SMALL_SCENARIO, "name": n}, headers=h).status_code == 201

    def found(q):
        items = store_client.get(API + "/scenarios", params={"q": q, "limit": 1000}).json()["items"]
        return sorted(i["name"] for i in items if i["name"] in names)

    assert found("_") == ["under_score zz"]
    assert found("%") == ["fifty%off zz"]
    assert found("\\") == ["back\\slash zz"]
    assert found("R_S") == ["under_score zz"]  # case-insensitive, and _ is not a wildcard
    assert found("zz") == sorted(names)


def test_concurrent_writers_lose_nothing(new_db_url):
    from critmin.web.storage import db

    engine = db.make_engine(new_db_url())
    db.migrate(engine)
    spec = {"name": "concurrent", "market": {"ref": "gallium"}}

    def write(worker: int) -> list[int]:
        return [db.insert_scenario(engine, {**spec, "name": f"w{worker}-{i}"}, "gallium", None)["id"]
                for i in range(25)]

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(write, range(8)) for i in batch]
    assert len(ids) == len(set(ids)) == 200
    total, items = db.list_scenarios(engine, q="w", limit=1000)
    assert total == 200 and {i["name"] for i in items} == {f"w{w}-{i}" for w in range(8) for i in range(25)}
    engine.dispose()


def test_an_authenticated_request_writes_last_used_at_at_most_once_a_minute(new_db_url):
    from critmin.web.storage import db
    from critmin.web.storage import keys as auth

    engine = db.make_engine(new_db_url())
    db.migrate(engine)
    key, record = auth.create_key(engine, "touch")
    writes = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE API_KEYS"):
            writes.append(statement)

    for _ in range(5):
        auth.verify_key(engine, key)
    assert len(writes) == 1, writes  # the first use is recorded, the next four are not written
    first = db.get_key(engine, record["key_id"])["last_used_at"]
    # a minute later the next use is recorded again
    with engine.begin() as conn:
        conn.execute(db.api_keys.update().values(last_used_at=db.now() - dt.timedelta(seconds=120)))
    auth.verify_key(engine, key)
    assert len(writes) == 3 and db.get_key(engine, record["key_id"])["last_used_at"] != first
    sa.event.remove(engine, "before_cursor_execute", _seen)
    engine.dispose()


def test_a_write_waits_for_a_sqlite_lock_held_longer_than_five_seconds(tmp_path, web_env):
    """Another process holding the write lock for 6 s (longer than the old 5-s busy timeout)."""
    from fastapi.testclient import TestClient

    from critmin.web.app import create_app
    from critmin.web.storage.keys import create_key

    path = tmp_path / "locked.db"
    app = create_app(f"sqlite:///{path}", warm=False)
    key = create_key(app.state.engine, "lock")[0]
    # the holder takes the write lock, and keeps it for 6 s from the moment the request is sent
    code = ("import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
            "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.readline(); time.sleep(6); "
            "c.execute('COMMIT')")
    holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with TestClient(app, raise_server_exceptions=False) as client:
            holder.stdin.write("go\n")
            holder.stdin.flush()
            started = time.monotonic()
            r = client.post(API + "/scenarios", json=SMALL_SCENARIO, headers={"X-API-Key": key})
            waited = time.monotonic() - started
        assert r.status_code == 201, r.text
        assert waited > 3, waited  # it did wait for the lock
    finally:
        holder.wait(timeout=30)
        app.state.engine.dispose()


# --- a real server with two worker processes ------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_worker_server(db_backend, new_db_url, web_env, tmp_path):
    """``critmin serve --workers 2`` on a new database of the backend under test (both workers
    migrate it at once), on a free loopback port; its log must show no traceback."""
    url = new_db_url()
    import critmin

    # the server runs the critmin this test process imports (the checkout under test)
    env = {**os.environ, "CRITMIN_SNAPSHOT": str(web_env), "PYTHONPATH": os.pathsep.join(
        [str(Path(critmin.__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2]),
         os.environ.get("PYTHONPATH", "")])}
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "critmin.cli", "serve", "--port", str(port), "--workers", "2",
                             "--db", url], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(base + API + "/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.terminate()
            raise RuntimeError("critmin serve did not start: " + (tmp_path / "serve.log").read_text()[-3000:])
        time.sleep(0.3)
    keys = subprocess.run([sys.executable, "-m", "critmin.cli", "keys", "create", "load", "--db", url],
                          capture_output=True, text=True, env=env, timeout=120)
    assert keys.returncode == 0, keys.stderr
    key = keys.stdout.strip().splitlines()[0]
    yield base, key, url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    text = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in text and "ERROR" not in text, text[-3000:]


def test_two_workers_take_concurrent_authenticated_writes_without_a_500(two_worker_server):
    import asyncio

    import httpx

    base, key, url = two_worker_server
    n_writes, n_reads, clients = 240, 240, 48

    async def main():
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base + API, timeout=120, limits=limits) as c:
            sem = asyncio.Semaphore(clients)

            async def one(i):
                async with sem:
                    if i % 2 == 0:
                        body = {**SMALL_SCENARIO, "name": f"load {i}"}
                        return (await c.post("/scenarios", json=body, headers={"X-API-Key": key})).status_code
                    return (await c.get("/scenarios", params={"limit": 5})).status_code

            return await asyncio.gather(*(one(i) for i in range(n_writes + n_reads)))

    codes = asyncio.run(main())
    from collections import Counter

    seen = Counter(codes)
    assert seen == {201: n_writes, 200: n_reads}, seen
    from critmin.web.storage import db

    engine = db.make_engine(url)
    assert db.counts(engine)["scenarios"] == n_writes
    engine.dispose()


FLOOR_1E9 = {"name": "floor 1e9 on Chinese gallium", "focus": "USA", "market": {"ref": "gallium"},
             "policies": {"price_floors": [{"region": "CHN", "floor": 1.0e9}]}}


def test_a_failed_solve_is_stored_and_served_with_nulls_and_its_reason(store_client, store_key):
    """Issue 8's example through the REST API, in a stored run, its tables and a comparison."""
    live = store_client.post(API + "/scenarios/run", json=FLOOR_1E9)
    assert live.status_code == 200
    body = live.json()
    assert body["result"]["status"] != "converged" and body["result"]["message"]
    numbers = {k: v for k, v in body["summary"].items() if k not in ("status", "message", "iterations")}
    assert numbers and all(v is None for v in numbers.values()), numbers
    run = store_client.post(API + "/runs", json=FLOOR_1E9, headers={"X-API-Key": store_key})
    assert run.status_code == 201 and run.json()["status"] == body["result"]["status"]
    rid = run.json()["id"]
    stored = store_client.get(API + f"/runs/{rid}").json()
    assert stored["summary"]["USA_import_hhi"] is None and stored["summary"]["world_welfare_change"] is None
    assert stored["result"]["indicators"]["import_hhi"] is None
    welfare = store_client.get(API + f"/runs/{rid}/tables/welfare").json()["items"]
    world = next(w for w in welfare if w["region"] == "World")
    assert all(v is None for k, v in world.items() if k != "region"), world
    csv_text = store_client.get(API + f"/runs/{rid}/tables/welfare?format=csv").text
    assert csv_text.splitlines()[-1].startswith("World,,,")
    cmp = store_client.post(API + "/compare", json={"items": [{"run_id": rid}, {"preset": "gallium_china_ban"}]}).json()
    assert cmp["outcome"]["members"] == 2 and cmp["outcome"]["failed"] == 1 and cmp["outcome"]["converged"] == 1
    assert cmp["outcome"]["note"].startswith("1 of 2 columns did not solve")
    hhi = next(r for r in cmp["rows"] if r["metric"] == "USA_import_hhi")
    assert hhi[cmp["columns"][0]] is None and hhi[cmp["columns"][1]] > 0

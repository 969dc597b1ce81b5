"""Hostile input at the edge of the REST API: every error is a documented 4xx, never a 500, and
the connection it arrived on still serves the next request.

The cases are the ones a probe of version 0.1 found (issue 8): a 300-character market
reference (OSError, file name too long), ``Infinity``, ``1e400`` and ``NaN`` in numbers, a
lone surrogate in a name, YAML nested 500 deep, chunked bodies over the limit and malformed
JSON (answered 400, undocumented), and caches that grew without bound.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time

import pytest

from tests.web.conftest import SMALL_SCENARIO

API = "/api/v1"


def _raw_json(client, path, text: str, key: str | None = None):
    headers = {"content-type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    return client.post(API + path, content=text.encode("utf-8"), headers=headers)


# --- numbers, names, references --------------------------------------------------------------------

LONG_REF = {**SMALL_SCENARIO, "market": {"ref": "x" * 300}}


def test_a_300_character_market_reference_is_a_422_everywhere(store_client, store_app, store_key):
    from critmin.web.storage import db

    before = db.counts(store_app.state.engine)
    for path in ("/scenarios/run", "/scenarios/validate", "/scenarios", "/runs"):
        r = store_client.post(API + path, json=LONG_REF, headers={"X-API-Key": store_key})
        assert r.status_code == 422, (path, r.text[:300])
        assert "market.ref" in r.json()["detail"]
    r = store_client.post(API + "/compare", json={"items": [{"scenario": LONG_REF}]})
    assert r.status_code == 422 and "market.ref" in r.json()["detail"]
    import yaml

    r = store_client.post(API + "/scenarios/upload", headers={"X-API-Key": store_key},
                          files={"file": ("long.yaml", yaml.safe_dump(LONG_REF).encode(), "application/yaml")})
    assert r.status_code == 422 and "market.ref" in r.json()["detail"], r.text[:300]
    for ref in ("../market_gallium", "gallium/../../etc", "a b"):
        r = store_client.post(API + "/scenarios/validate", json={**SMALL_SCENARIO, "market": {"ref": ref}})
        assert r.status_code == 422 and "market.ref" in r.json()["detail"]
    assert db.counts(store_app.state.engine) == before


@pytest.mark.parametrize("policies, field", [
    ('{"tariffs": [{"importer": "USA", "origins": ["CHN"], "rate": Infinity}]}', "policies.tariffs.0.rate"),
    ('{"tariffs": [{"importer": "USA", "origins": ["CHN"], "rate": 1e400}]}', "policies.tariffs.0.rate"),
    ('{"stockpile": [{"region": "USA", "quantity": NaN}]}', "policies.stockpile.0.quantity"),
    ('{"capacity": [{"region": "CHN", "add": NaN}]}', "policies.capacity.0.add"),
    ('{"minimum_import_prices": [{"importer": "USA", "price": -Infinity}]}', "policies.minimum_import_prices.0.price"),
])
def test_non_finite_numbers_are_refused_with_the_field(store_client, store_app, store_key, policies, field):
    from critmin.web.storage import db

    body = json.dumps({k: v for k, v in SMALL_SCENARIO.items() if k != "policies"})[:-1] + f', "policies": {policies}}}'
    before = db.counts(store_app.state.engine)
    for path in ("/scenarios", "/scenarios/run", "/runs", "/scenarios/validate"):
        r = _raw_json(store_client, path, body, store_key)
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
        assert field in r.json()["detail"] and "finite" in r.json()["detail"], r.json()["detail"]
    assert db.counts(store_app.state.engine) == before


def test_nan_elasticities_are_refused_before_the_solver(client):
    for elasticities in ('{"demand": NaN}', '{"substitution": {"USA": NaN}}'):
        body = json.dumps(SMALL_SCENARIO)[:-1] + f', "elasticities": {elasticities}}}'
        r = _raw_json(client, "/scenarios/run", body)
        assert r.status_code == 422 and "elasticities" in r.json()["detail"], r.text[:300]
        assert "singular" not in r.text


def test_an_infinite_tariff_never_reports_converged(client):
    body = json.dumps(SMALL_SCENARIO).replace('"rate": 0.25', '"rate": Infinity')
    r = _raw_json(client, "/scenarios/run", body)
    assert r.status_code == 422 and "converged" not in r.text


# --- nesting, encodings, sizes ------------------------------------------------------------------------

def _deep_yaml(levels: int) -> bytes:
    return ("name: deep\nmarket: {ref: gallium}\nx: " + "[" * levels + "]" * levels + "\n").encode()


@pytest.mark.parametrize("text, phrase", [
    (_deep_yaml(500), "nested more than"),
    (b"name: a\nname: b\nmarket: {ref: gallium}\n", "appears twice"),
    (b"a: &a [1,1,1,1,1,1,1,1,1,1]\n" + b"".join(
        f"{n}: &{n} [{','.join([f'*{p}'] * 10)}]\n".encode() for p, n in zip("abcde", "bcdef")), "more than"),
    (b"a: &a [*a]\n", "recursive"),
    (b"name: x\ncreated: 2024-13-45\nmarket: {ref: gallium}\n", "cannot be read"),
    (b'name: "a\\0b"\nmarket: {ref: gallium}\n', "NUL"),
    (b'name: "a\\ud800b"\nmarket: {ref: gallium}\n', "surrogate"),
])
def test_hostile_yaml_uploads_are_422(store_client, store_app, store_key, text, phrase):
    from critmin.web.storage import db

    before = db.counts(store_app.state.engine)
    r = store_client.post(API + "/scenarios/upload", headers={"X-API-Key": store_key},
                          files={"file": ("hostile.yaml", text, "application/yaml")})
    assert r.status_code == 422, r.text[:300]
    assert phrase in r.json()["detail"], r.json()["detail"]
    assert db.counts(store_app.state.engine) == before


@pytest.mark.parametrize("body, phrase", [
    (b'{"name": "t", "market": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested too deeply"),
    (b'{"name": "t", "market": {"ref": "gallium"}, "x": ' + b"[" * 30 + b"]" * 30 + b"}", "nested more than"),
    (b'{"name": "\xff\xfe", "market": {"ref": "gallium"}}', "not UTF-8"),
    (b'{"name": "t", "market": {"ref": "gallium"}, "description": ' + b"9" * 5000 + b"}", "cannot be read"),
    (b'{"name": ', "JSON"),
])
def test_unreadable_json_is_a_422_saying_why(client, body, phrase):
    for path in ("/scenarios/run", "/scenarios/validate"):
        r = client.post(API + path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, (path, r.status_code, r.text[:300])
        assert phrase in r.json()["detail"], r.json()["detail"]


def test_a_chunked_body_over_the_limit_is_413(store_client, store_app, store_key):
    from critmin.web.storage import db

    def chunks():
        yield b'{"name": "'
        for _ in range(1200):
            yield b"x" * 1000
        yield b'"}'

    before = db.counts(store_app.state.engine)
    for path, key in (("/scenarios/run", None), ("/scenarios", store_key)):
        headers = {"content-type": "application/json", **({"X-API-Key": key} if key else {})}
        r = store_client.post(API + path, content=chunks(), headers=headers)
        assert r.status_code == 413, (path, r.status_code, r.text[:200])
        assert "too large" in r.json()["detail"]
    assert db.counts(store_app.state.engine) == before


# --- the OpenAPI schema documents every answer ------------------------------------------------------

def test_every_operation_documents_its_errors(client):
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            codes = set(op["responses"])
            assert "422" in codes, (method, path)  # any parameter, or a NUL in the URL
            if "requestBody" in op:
                assert {"400", "413", "422"} <= codes, (method, path, codes)
            for code, doc in op["responses"].items():
                assert doc.get("description"), (method, path, code)


# --- caches stay bounded ---------------------------------------------------------------------------

def test_the_response_cache_is_bounded_in_bytes(app, client):
    cache = app.state.cache
    cache.clear()
    limit = 300_000
    old = cache.max_bytes if hasattr(cache, "max_bytes") else None
    cache.max_bytes = limit
    try:
        for i in range(60):  # a parameter the endpoint ignores makes a new key each time
            assert client.get(API + f"/minerals?limit=1000&ignored={i}").status_code == 200
        kept = sum(len(body) for _, _, body in cache._entries.values())
        assert 0 < kept <= limit, kept
        assert client.get(API + "/minerals?limit=1000&ignored=59").headers["x-cache"] == "hit"
    finally:
        cache.max_bytes = old
        cache.clear()


def test_dossiers_keep_nothing_per_mineral(client):
    # The dossiers share the per-snapshot analysis tables (critmin.api.analysis_tables,
    # read once per snapshot); visiting every mineral's dossier adds no cached tables.
    from critmin import api

    for mineral in ("cobalt", "gallium", "lithium", "nickel", "tin", "zinc", "graphite", "tungsten"):
        r = client.get(API + f"/minerals/{mineral}/dossier.html")
        assert r.status_code in (200, 404), r.text[:200]
    assert 1 <= len(api.analysis_tables.cache_entries()) <= 4
    assert 1 <= len(api.risk_inputs.cache_entries()) <= 4


# --- after any error, the same keep-alive connection serves the next request ---------------------------

@pytest.fixture(scope="module")
def live_server(web_env, tmp_path_factory):
    import uvicorn

    from critmin.web.app import create_app
    from critmin.web.storage.keys import create_key

    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}", warm=False)
    key = create_key(app.state.engine, "live")[0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port, key
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


def _exchange(sock: socket.socket, request: bytes) -> tuple[int, dict, bytes]:
    """Send one HTTP/1.1 request on ``sock`` and read one whole response (Content-Length framed)."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"the server closed the connection (read so far: {data[:200]!r})")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-body")
        rest += chunk
    return status, headers, rest[:length]


def _request(method: str, path: str, body: bytes = b"", headers: dict | None = None, chunked: bool = False) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        encoded = b"".join(f"{len(body[i:i + 65536]):x}\r\n".encode() + body[i:i + 65536] + b"\r\n"
                           for i in range(0, len(body), 65536)) + b"0\r\n\r\n"
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + encoded
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_the_connection_survives_every_kind_of_error(live_server, monkeypatch):
    from critmin.web.storage import db

    port, key = live_server

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(db, "list_runs", broken)  # GET /runs now fails inside the route: a 500
    json_h = {"Content-Type": "application/json"}
    bad = [
        ("500 from a bug", _request("GET", API + "/runs"), 500),
        ("413 chunked", _request("POST", API + "/scenarios/run", b'{"name": "' + b"x" * 1_100_000 + b'"}', json_h,
                                 chunked=True), 413),
        ("413 declared", _request("POST", API + "/scenarios/run", b"x" * 1_100_000, json_h), 413),
        ("422 deep JSON", _request("POST", API + "/scenarios/run", b'{"market": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                                   json_h), 422),
        ("422 malformed JSON", _request("POST", API + "/scenarios/run", b'{"name": ', json_h), 422),
        ("422 NUL in query", _request("GET", API + "/scenarios?q=a%00b"), 422),
        ("422 long ref", _request("POST", API + "/scenarios/validate", json.dumps(LONG_REF).encode(), json_h), 422),
        ("422 surrogate", _request("POST", API + "/scenarios", json.dumps({**SMALL_SCENARIO, "name": "a\ud800"}).encode(),
                                   {**json_h, "X-API-Key": key}), 422),
        ("401 no key", _request("POST", API + "/scenarios", json.dumps(SMALL_SCENARIO).encode(), json_h), 401),
        ("404 unknown", _request("GET", API + "/minerals/unobtainium"), 404),
    ]
    for label, request, expected in bad:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            status, headers, body = _exchange(sock, request)
            assert status == expected, (label, status, body[:200])
            assert json.loads(body)["detail"], label
            status, _, body = _exchange(sock, _request("GET", API + "/health"))
            assert status == 200 and json.loads(body)["status"] == "ok", (label, status)


def test_a_saved_scenario_always_runs(store_client, store_key):
    """What is saved passed the same validation as a run: it can be run later (no null rates)."""
    h = {"X-API-Key": store_key}
    scenario = copy.deepcopy(SMALL_SCENARIO)
    scenario["policies"]["tariffs"][0]["rate"] = 1e300  # finite: saved, and the run says why it fails
    saved = store_client.post(API + "/scenarios", json=scenario, headers=h)
    assert saved.status_code == 201, saved.text
    assert saved.json()["spec"]["policies"]["tariffs"][0]["rate"] == 1e300
    run = store_client.post(API + f"/scenarios/{saved.json()['id']}/runs", headers=h)
    assert run.status_code == 201, run.text[:300]
    result = store_client.get(API + f"/runs/{run.json()['id']}").json()
    if result["status"] != "converged":
        assert result["summary"]["USA_welfare_change"] is None and result["result"]["message"]


def test_perfectly_elastic_supply_is_saved_as_a_string_and_runs_again(store_client, store_key):
    """The one meaningful infinity (a supply elasticity) survives saving: never null, never a default."""
    h = {"X-API-Key": store_key}
    scenario = copy.deepcopy(SMALL_SCENARIO)
    scenario["market"]["elasticities"] = {"substitution": 3.0, "demand": 0.5, "supply": {"ROW": "Infinity"}}
    saved = store_client.post(API + "/scenarios", json=scenario, headers=h)
    assert saved.status_code == 201, saved.text
    assert saved.json()["spec"]["market"]["elasticities"]["supply"] == {"ROW": "Infinity"}
    run = store_client.post(API + f"/scenarios/{saved.json()['id']}/runs", headers=h)
    assert run.status_code == 201 and run.json()["status"] == "converged", run.text[:300]
    row = next(p for p in store_client.get(API + f"/runs/{run.json()['id']}/tables/prices").json()["items"]
               if p["region"] == "ROW")
    assert row["producer_price"] == pytest.approx(row["producer_price_base"])  # a price-taking origin

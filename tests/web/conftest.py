"""Fixtures for the web tests: a tiny snapshot built by the tests, an app, an API key.

The tiny snapshot has two minerals with known numbers (cobalt: mine and refinery stages;
gallium: processing only) in two NIR vintages, import shares, customs values, US salient
statistics for gallium (so ``kb:gallium:processing`` calibrates), three export controls and
two agreements, so every endpoint has something to show and the expected
numbers are written here, next to the data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from critmin import snapshot, store  # noqa: E402
from critmin.sources.base import ReadResult, SourceInfo, frame  # noqa: E402
from critmin.values import parse_value  # noqa: E402

INFO = SourceInfo("tinyweb", "Tiny web test source", "Tests", "Tests (2026). Tiny web fixture.", "CC0-1.0", vintage=2025,
                  doi="10.0000/tiny")

#: (commodity, stage, series label, country ISO3 or None, kind, raw value) for 2024, vintage 2025
PRODUCTION = [
    ("cobalt", "mine", "Mine production", "COD", "country", "220000"),
    ("cobalt", "mine", "Mine production", "IDN", "country", "28000"),
    ("cobalt", "mine", "Mine production", "AUS", "country", "3600"),
    ("cobalt", "mine", "Mine production", None, "other", "38400"),
    ("cobalt", "mine", "Mine production", None, "world", "290000"),
    ("cobalt", "processing", "Refinery production", "CHN", "country", "200000"),
    ("cobalt", "processing", "Refinery production", "FIN", "country", "15000"),
    ("cobalt", "processing", "Refinery production", "USA", "country", "W"),
    ("cobalt", "processing", "Refinery production", None, "other", "15000"),
    ("cobalt", "processing", "Refinery production", None, "world", "230000"),
    ("gallium", "processing", "Primary production", "CHN", "country", "750"),
    ("gallium", "processing", "Primary production", "JPN", "country", "3"),
    ("gallium", "processing", "Primary production", "RUS", "country", "5"),
    ("gallium", "processing", "Primary production", None, "world", "760"),
]


def _value(raw: str) -> dict:
    p = parse_value(raw)
    return {"value": p.value, "qualifier": str(p.qualifier), "low": p.low, "high": p.high, "raw": raw}


def tiny_web_reader(data_dir: Path) -> ReadResult:
    lists = [
        {"commodity_id": cid, "list_year": year, "on_list": True, "name_on_list": cid.title(), "source_id": "tinyweb",
         "source_file": "lists.csv", "source_row": i + 2}
        for i, (cid, year) in enumerate([("cobalt", 2022), ("gallium", 2022), ("cobalt", 2025), ("gallium", 2025)])
    ]
    nir = []
    for vintage, values in ((2024, {"gallium": "100", "cobalt": "76"}), (2025, {"gallium": "100", "cobalt": ">75"})):
        for rank, (cid, raw) in enumerate(values.items(), start=1):
            nir.append({
                "vintage": vintage, "commodity_id": cid, "form": "", "published_name": cid.upper(), "year": vintage - 1,
                "rank": rank, **_value(raw), "import_sources": ["China", "Japan"], "import_sources_iso3": ["CHN", "JPN"],
                "sources_period": "2020-23", "source_id": "tinyweb", "source_file": f"nir{vintage}.csv", "source_row": rank + 1,
            })
    prod = []
    for i, (cid, stage, label, iso, kind, raw) in enumerate(PRODUCTION):
        prod.append({
            "vintage": 2025, "commodity_id": cid, "form": "", "country_iso3": iso,
            "country_name": {"world": "World total (rounded)", "other": "Other countries"}.get(kind, iso),
            "country_kind": kind, "stage": stage, "measure": "production", "series_label": label, "year": 2024,
            **_value(raw), "estimated": True, "unit": "metric tons", "source_id": "tinyweb", "source_file": "world.csv",
            "source_row": i + 2,
        })
    shares = [
        {"vintage": 2026, "commodity_id": "gallium", "form": "", "partner_iso3": iso, "partner_name": name,
         "partner_kind": "country", "period": "2021-24", **_value(raw), "source_id": "tinyweb",
         "source_file": "shares.csv", "source_row": i + 2}
        for i, (iso, name, raw) in enumerate([("CHN", "China", "21"), ("JPN", "Japan", "19"), ("DEU", "Germany", "13")])
    ]
    trade = [
        {"flow": "imports", "partner_iso3": iso, "partner_name": name, "hts": "8112.92.10", "description": "Gallium, unwrought",
         "commodity_ids": ["gallium"], "year": year, "period": "annual", "measure": "customs_value", "unit": "USD",
         **_value(raw), "source_id": "tinyweb", "source_file": "dataweb.xlsx", "source_row": i + 2}
        for i, (iso, name, year, raw) in enumerate([
            ("CHN", "China", 2023, "1200000"), ("JPN", "Japan", 2023, "800000"),
            ("CHN", "China", 2024, "300000"), ("JPN", "Japan", 2024, "900000"), ("DEU", "Germany", 2024, "450000"),
        ])
    ]
    # US salient statistics for gallium, so a knowledge-base market of gallium (processing) calibrates;
    # cobalt has none, so its knowledge-base markets fail with the calibration's reason
    salient = [
        {"vintage": 2025, "commodity_id": "gallium", "form": "", "year": 2024, "statistic": statistic, "detail": detail,
         **_value(raw), "estimated": True, "unit": unit, "source_id": "tinyweb", "source_file": "salient.csv",
         "source_row": i + 2}
        for i, (statistic, detail, raw, unit) in enumerate([
            ("consumption", "Consumption, reported", "18000", "kilograms"),
            ("price", "Price, average unit value of imports, dollars per kilogram", "500", "dollars per kilogram"),
        ])
    ]
    controls = [
        {"measure_id": "CN-2023-23", "country_iso3": "CHN", "commodity_id": "gallium", "materials": "Gallium; Germanium",
         "control_type": "Export licensing (dual-use)", "year": 2023, "announced_date": dt.date(2023, 7, 3),
         "effective_date": dt.date(2023, 8, 1), "status": "active", "source_id": "tinyweb", "source_file": "ec.csv", "source_row": 2},
        {"measure_id": "CN-2025-57", "country_iso3": "CHN", "commodity_id": "cobalt", "materials": "Cobalt (test)",
         "control_type": "Export licensing (dual-use)", "year": 2025, "announced_date": dt.date(2025, 10, 9),
         "effective_date": dt.date(2025, 11, 8), "status": "suspended until 2026-11-10", "source_id": "tinyweb",
         "source_file": "ec.csv", "source_row": 3},
        {"measure_id": "COD-2025-QUOTA", "country_iso3": "COD", "commodity_id": "cobalt", "materials": "Cobalt",
         "control_type": "Export quota", "year": 2025, "status": "active", "source_id": "tinyweb", "source_file": "ec.csv",
         "source_row": 4},
    ]
    agreements = [
        {"vintage": 2026, "country_iso3": "AUS", "agreement": "Framework for securing supply", "signing_date": dt.date(2025, 10, 20),
         "focus_area": "Mining and processing", "source_id": "tinyweb", "source_file": "t5.csv", "source_row": 2},
        {"vintage": 2026, "country_iso3": "JPN", "agreement": "Critical minerals framework", "signing_date": dt.date(2025, 10, 28),
         "focus_area": "Supply chains", "source_id": "tinyweb", "source_file": "t5.csv", "source_row": 3},
    ]
    return ReadResult(INFO, [data_dir / "x.csv"], {
        "critical_lists": frame("critical_lists", lists),
        "nir": frame("nir", nir),
        "production": frame("production", prod),
        "import_shares": frame("import_shares", shares),
        "salient": frame("salient", salient),
        "trade": frame("trade", trade),
        "export_controls": frame("export_controls", controls),
        "agreements": frame("agreements", agreements),
    })


@pytest.fixture(scope="session")
def tiny_snapshot_dir(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    (raw / "x.csv").write_text("x\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("snap") / "snap"
    snapshot.build(raw, out, readers=("tests.web.conftest:tiny_web_reader",))
    return out


@pytest.fixture(scope="session")
def web_env(tiny_snapshot_dir, tmp_path_factory):
    """Point the store at the tiny snapshot for the whole web test session."""
    import os

    _OUTSIDE_SNAPSHOT["value"] = os.environ.get("CRITMIN_SNAPSHOT")
    mp = pytest.MonkeyPatch()
    mp.setenv("CRITMIN_SNAPSHOT", str(tiny_snapshot_dir))
    store.reset()
    yield tiny_snapshot_dir
    mp.undo()
    store.reset()


@pytest.fixture(autouse=True)
def _tiny_snapshot_only_in_web_tests(request):
    """Point the store at the tiny snapshot for each test that uses it, and back afterwards.

    ``web_env`` is session-scoped; without this, tests of other folders that run later in the
    same process (``pytest -n 2`` mixes folders in one worker) would read the tiny snapshot.
    """
    if "web_env" not in request.fixturenames:
        yield
        return
    tiny = str(request.getfixturevalue("web_env"))
    import os

    before = os.environ.get("CRITMIN_SNAPSHOT")
    if before != tiny:
        os.environ["CRITMIN_SNAPSHOT"] = tiny
        store.reset()
    yield
    if os.environ.get("CRITMIN_SNAPSHOT") == tiny and _OUTSIDE_SNAPSHOT.get("value", tiny) != tiny:
        outside = _OUTSIDE_SNAPSHOT["value"]
        if outside is None:
            os.environ.pop("CRITMIN_SNAPSHOT", None)
        else:
            os.environ["CRITMIN_SNAPSHOT"] = outside
        store.reset()


#: CRITMIN_SNAPSHOT as it was before ``web_env`` changed it (restored after each web test).
_OUTSIDE_SNAPSHOT: dict = {}


@pytest.fixture(scope="session")
def app(web_env, tmp_path_factory):
    from critmin.web.app import create_app

    db_path = tmp_path_factory.mktemp("db") / "web.db"
    created = create_app(f"sqlite:///{db_path}", max_upload_bytes=4096)
    # the warm-up thread reads the snapshot: let it finish while the tiny one is in place
    assert created.state.warm.wait(600), "warm-up did not finish"  # a hang guard, not a speed bar
    return created


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def api_key(app) -> str:
    from critmin.web.storage.keys import create_key

    key, _ = create_key(app.state.engine, "tests")
    return key


#: A small inline scenario (no preset file needed): a 3-region market and a US tariff.
SMALL_SCENARIO = {
    "name": "test tariff",
    "description": "25% US tariff on CHN in a toy market",
    "focus": "USA",
    "market": {
        "mineral": "testium", "unit": "t", "price_unit": "USD/t", "regions": ["USA", "CHN", "ROW"], "price": 100,
        "flows": {"CHN": {"CHN": 500, "USA": 60, "ROW": 200}, "ROW": {"USA": 40, "ROW": 100}},
        "elasticities": {"substitution": 3.0, "demand": 0.5, "supply": 1.0},
    },
    "policies": {"tariffs": [{"importer": "USA", "origins": ["CHN"], "rate": 0.25}]},
}


# --- both databases: SQLite and a throwaway PostgreSQL cluster ------------------------------------

#: The storage backends every storage and server test runs against.
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL cluster on loopback for this test process, stopped and deleted at the end.

    Skips (with the reason) when the server binaries or the psycopg driver are missing.
    """
    from tests.web.postgres import SKIP_REASON_NO_BINARIES, Cluster, find_binaries

    bindir = find_binaries()
    if bindir is None:
        pytest.skip(SKIP_REASON_NO_BINARIES)
    pytest.importorskip("psycopg", reason="the PostgreSQL tests need the psycopg driver (pip install 'psycopg[binary]')")
    cluster = Cluster(bindir).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def db_backend(request) -> str:
    return request.param


@pytest.fixture
def new_db_url(db_backend, request, tmp_path):
    """A function that makes a new, empty database of the backend under test and gives its URL."""
    counter = iter(range(1_000_000))

    def make() -> str:
        if db_backend == "sqlite":
            return f"sqlite:///{tmp_path / f'db{next(counter)}.db'}"
        return request.getfixturevalue("pg_cluster").url()

    return make


@pytest.fixture(scope="session")
def store_app(web_env, db_backend, request, tmp_path_factory):
    """The app on each backend (for the tests of saving, running, listing, comparing and deleting)."""
    from critmin.web.app import create_app

    if db_backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('storedb') / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_cluster").url("api")
    created = create_app(url, max_upload_bytes=4096, warm=False)
    yield created
    created.state.engine.dispose()


@pytest.fixture(scope="session")
def store_client(store_app):
    from fastapi.testclient import TestClient

    with TestClient(store_app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def store_key(store_app) -> str:
    from critmin.web.storage.keys import create_key

    return create_key(store_app.state.engine, "tests")[0]

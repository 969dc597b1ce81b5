"""The builder's REST additions (any market's base point, rename, comparison on one unit basis,
the signed-in key) and key management by an administrator, on SQLite and PostgreSQL.

Every refusal is the documented 4xx with a sentence (401 without a valid key, 403 for a key that
is not an administrator's, 404 for what does not exist, 409 for revoking one's own key, 422 for
bad bodies), never a 500; and nothing is written by a refused request.
"""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.model.comparison import Column, comparison_table
from critmin.web.storage import db
from critmin.web.storage import keys as auth
from tests.web.conftest import SMALL_SCENARIO


# --- the comparison on one basis (pure) -------------------------------------------------------------

def _column(label, unit, price_unit, **summary):
    return Column(label=label, summary={"status": "converged", **summary}, unit=unit, price_unit=price_unit)


def test_comparison_converts_kg_and_usd_per_kg_to_tonnes():
    table = comparison_table([
        _column("gallium", "kg", "USD/kg", USA_imports=17_000.0, USA_consumer_price=300.0, USA_welfare_change=-5.0,
                USA_net_import_reliance_pct=100.0),
        _column("rare earths", "t", "USD/t", USA_imports=4_800.0, USA_consumer_price=65_000.0, USA_welfare_change=-7.0,
                USA_net_import_reliance_pct=77.0),
    ])
    rows = {r["metric"]: r for r in table["rows"]}
    assert rows["USA_imports"]["unit"] == "t per year" and rows["USA_imports"]["label"] == "USA imports"
    assert rows["USA_imports"]["gallium"] == 17.0 and rows["USA_imports"]["rare earths"] == 4_800.0
    assert rows["USA_consumer_price"]["unit"] == "USD/t" and rows["USA_consumer_price"]["gallium"] == 300_000.0
    assert rows["USA_welfare_change"]["unit"] == "USD per year" and rows["USA_welfare_change"]["gallium"] == -5.0
    assert rows["USA_net_import_reliance_pct"]["unit"] == "%" and rows["USA_net_import_reliance_pct"]["gallium"] == 100.0
    assert table["notes"] == [] and table["basis"] == {"unit": "t", "currency": "USD"}
    assert all("_" not in r["label"] for r in table["rows"])


def test_comparison_withholds_what_it_cannot_convert_and_says_why():
    table = comparison_table([_column("a", "t", "USD/t", USA_consumer_price=10.0),
                              _column("b", "t", "EUR/t", USA_consumer_price=10.0),
                              _column("c", "barrels", "USD/t", USA_imports=3.0)])
    price = next(r for r in table["rows"] if r["metric"] == "USA_consumer_price")
    assert price["a"] == 10.0 and price["b"] is None
    assert any("no exchange rate" in n for n in table["notes"]) and any("unknown mass unit" in n for n in table["notes"])


@settings(max_examples=60, deadline=None)
@given(q=st.floats(0, 1e9), p=st.floats(1e-3, 1e9), unit=st.sampled_from(["kg", "t", "kt"]),
       basis=st.sampled_from(["kg", "t", "kt"]))
def test_comparison_keeps_the_value_of_trade(q, p, unit, basis):
    """Quantity times price (money) is the same whatever mass unit both are stated in."""
    table = comparison_table([_column("x", unit, f"USD/{unit}", USA_imports=q, USA_consumer_price=p)], basis=basis)
    rows = {r["metric"]: r["x"] for r in table["rows"]}
    assert rows["USA_imports"] * rows["USA_consumer_price"] == __import__("pytest").approx(q * p, rel=1e-9, abs=1e-9)


# --- REST: market, rename, comparison, who am I -------------------------------------------------------

def test_resolve_market_gives_the_base_point_of_any_market_form(store_client):
    r = store_client.post("/api/v1/markets/resolve", json={"market": SMALL_SCENARIO["market"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["regions"] == ["USA", "CHN", "ROW"] and {row["region"] for row in body["base"]} == {"USA", "CHN", "ROW"}
    by_ref = store_client.post("/api/v1/markets/resolve", json={"market": {"ref": "gallium"}}).json()
    assert by_ref["regions"] == store_client.get("/api/v1/markets/gallium").json()["regions"]
    for bad, code in (({"market": {"ref": "nope"}}, 422), ({"market": {"ref": "../etc"}}, 422), ({}, 422),
                      ({"market": {"from_kb": {"mineral": "unobtainium"}}}, 422)):
        r = store_client.post("/api/v1/markets/resolve", json=bad)
        assert r.status_code == code, (bad, r.status_code, r.text)


def test_rename_needs_a_key_and_changes_name_and_spec(store_client, store_key):
    saved = store_client.post("/api/v1/scenarios", json=SMALL_SCENARIO, headers={"X-API-Key": store_key}).json()
    sid = saved["id"]
    assert store_client.patch(f"/api/v1/scenarios/{sid}", json={"name": "new"}).status_code == 401
    assert store_client.get(f"/api/v1/scenarios/{sid}").json()["name"] == SMALL_SCENARIO["name"]
    for bad in ({"name": ""}, {"name": "   "}, {"name": "x" * 201}, {"name": "a\x00b"}, {"nom": "x"}, {"name": 3}):
        r = store_client.patch(f"/api/v1/scenarios/{sid}", json=bad, headers={"X-API-Key": store_key})
        assert r.status_code == 422, (bad, r.status_code, r.text)
    r = store_client.patch(f"/api/v1/scenarios/{sid}", json={"name": "Renamed tariff", "description": "d"},
                           headers={"X-API-Key": store_key})
    assert r.status_code == 200, r.text
    row = store_client.get(f"/api/v1/scenarios/{sid}").json()
    assert row["name"] == row["spec"]["name"] == "Renamed tariff" and row["spec"]["description"] == "d"
    assert store_client.get(f"/api/v1/scenarios?q=Renamed").json()["total"] >= 1
    assert store_client.patch("/api/v1/scenarios/999999", json={"name": "x"},
                              headers={"X-API-Key": store_key}).status_code == 404


def test_comparison_endpoint_states_units_and_labels(store_client):
    r = store_client.post("/api/v1/comparison?basis=kg", json={"items": [{"scenario": SMALL_SCENARIO}, {"preset": "gallium_china_ban"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["basis"] == {"unit": "kg", "currency": "USD"}
    price = next(row for row in body["rows"] if row["metric"] == "USA_consumer_price")
    plain = store_client.post("/api/v1/compare", json={"items": [{"scenario": SMALL_SCENARIO}]}).json()
    usd_per_t = next(row for row in plain["rows"] if row["metric"] == "USA_consumer_price")[plain["columns"][0]]
    assert price["unit"] == "USD/kg" and price[body["columns"][0]] == __import__("pytest").approx(usd_per_t / 1000)
    assert [m["unit"] for m in body["markets"]] == ["t", "kg"]
    assert store_client.post("/api/v1/comparison?basis=lb", json={"items": [{"preset": "gallium_china_ban"}]}).status_code == 422
    assert store_client.post("/api/v1/comparison", json={"items": []}).status_code == 422


def test_who_am_i(store_client, store_key):
    assert store_client.get("/api/v1/auth/key").status_code == 401
    assert store_client.get("/api/v1/auth/key", headers={"X-API-Key": "nonsense"}).status_code == 401
    me = store_client.get("/api/v1/auth/key", headers={"X-API-Key": store_key}).json()
    assert me["admin"] is False and me["key_id"] == store_key.split("_")[1]


# --- administrators -------------------------------------------------------------------------------------

def test_admin_endpoints_refuse_without_an_administrator_key(store_client, store_app, store_key):
    before = db.counts(store_app.state.engine)
    for method, path, body in (("GET", "/api/v1/admin/keys", None), ("POST", "/api/v1/admin/keys", {"name": "x"}),
                               ("DELETE", f"/api/v1/admin/keys/{store_key.split('_')[1]}", None)):
        assert store_client.request(method, path, json=body).status_code == 401
        assert store_client.request(method, path, json=body, headers={"X-API-Key": "cmk_00000000_" + "x" * 43}).status_code == 401
        r = store_client.request(method, path, json=body, headers={"X-API-Key": store_key})
        assert r.status_code == 403 and "not an administrator key" in r.json()["detail"]
    assert db.counts(store_app.state.engine) == before
    assert auth.verify_key(store_app.state.engine, store_key)  # the ordinary key still works


def test_admin_lists_creates_and_revokes_keys(store_client, store_app):
    admin_key, admin_rec = auth.create_key(store_app.state.engine, "boss", admin=True)
    assert admin_rec["is_admin"] is True or admin_rec["is_admin"] == 1
    h = {"X-API-Key": admin_key}
    listed = store_client.get("/api/v1/admin/keys", headers=h).json()
    assert any(k["key_id"] == admin_rec["key_id"] and k["admin"] for k in listed["items"])
    assert all("secret_hash" not in k and "salt" not in k for k in listed["items"])
    r = store_client.post("/api/v1/admin/keys", json={"name": "deputy", "admin": True}, headers=h)
    assert r.status_code == 201, r.text
    deputy = r.json()
    assert deputy["admin"] is True and deputy["key"].startswith(f"cmk_{deputy['key_id']}_")
    assert store_client.get("/api/v1/admin/keys", headers={"X-API-Key": deputy["key"]}).status_code == 200
    for bad in ({"name": ""}, {"name": "x" * 201}, {"name": "ok", "admin": "maybe"}, {"name": "ok", "extra": 1}, {}):
        assert store_client.post("/api/v1/admin/keys", json=bad, headers=h).status_code == 422, bad
    # the key signed in cannot revoke itself; another administrator can
    assert store_client.delete(f"/api/v1/admin/keys/{admin_rec['key_id']}", headers=h).status_code == 409
    assert store_client.delete("/api/v1/admin/keys/zzzz", headers=h).status_code == 422
    assert store_client.delete("/api/v1/admin/keys/00000000", headers=h).status_code == 404
    r = store_client.delete(f"/api/v1/admin/keys/{deputy['key_id']}", headers=h)
    assert r.status_code == 200 and r.json() == {"revoked": deputy["key_id"]}
    assert store_client.get("/api/v1/admin/keys", headers={"X-API-Key": deputy["key"]}).status_code == 401
    assert store_client.delete(f"/api/v1/admin/keys/{deputy['key_id']}", headers=h).status_code == 404


def test_openapi_documents_401_and_403(store_client):
    spec = store_client.get("/openapi.json").json()
    for path in ("/api/v1/admin/keys", "/api/v1/admin/keys/{key_id}"):
        for op in spec["paths"][path].values():
            assert {"401", "403"} <= set(op["responses"]), path
    assert "401" in spec["paths"]["/api/v1/scenarios/{scenario_id}"]["patch"]["responses"]


def test_migration_0002_adds_the_admin_flag_to_existing_keys(new_db_url):
    engine = db.make_engine(new_db_url())
    db.migrate(engine, "0001")
    with engine.begin() as conn:  # a key made before the flag existed
        conn.execute(sa.text("INSERT INTO api_keys (key_id, name, salt, secret_hash, created_at) "
                             "VALUES ('abcdef01', 'old', '00', 'x', CURRENT_TIMESTAMP)"))
    db.migrate(engine)
    assert db.current_revision(engine) == "0002"
    assert [(k["key_id"], k["admin"]) for k in db.list_keys(engine)] == [("abcdef01", False)]
    db.downgrade(engine, "0001")
    assert "is_admin" not in {c["name"] for c in sa.inspect(engine).get_columns("api_keys")}
    assert db.current_revision(engine) == "0001"
    engine.dispose()


def test_cli_creates_an_administrator_key(tmp_path):
    from typer.testing import CliRunner

    from critmin.cli import app

    url = f"sqlite:///{tmp_path / 'k.db'}"
    res = CliRunner().invoke(app, ["keys", "create", "root", "--admin", "--db", url])
    assert res.exit_code == 0, res.output
    engine = db.make_engine(url)
    keys = db.list_keys(engine)
    assert [(k["name"], k["admin"]) for k in keys] == [("root", True)]
    res = CliRunner().invoke(app, ["keys", "create", "plain", "--db", url])
    assert res.exit_code == 0 and [k["admin"] for k in db.list_keys(engine)] == [True, False]

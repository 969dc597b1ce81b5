"""REST API on the tiny snapshot: every endpoint, its numbers, and every kind of bad input.

Each bad request must answer 4xx with a sentence saying what is wrong, never 5xx, and must
write nothing to the database. The tests that store (keys, saving, running, listing,
comparing, deleting, uploading) run on SQLite and on PostgreSQL (``store_client``).
"""

from __future__ import annotations

import copy
import io

import pytest

from tests.web.conftest import SMALL_SCENARIO

API = "/api/v1"


def get(client, path, status=200):
    r = client.get(API + path)
    assert r.status_code == status, (path, r.status_code, r.text[:400])
    return r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text


# --- knowledge base ---------------------------------------------------------------------------

def test_minerals_catalogue_filters_and_pages(client):
    body = get(client, "/minerals?list_year=2022")
    assert {m["commodity_id"] for m in body["items"]} == {"cobalt", "gallium"}
    assert body["total"] == 2 and body["meta"]["list_year"] == 2022
    page = get(client, "/minerals?limit=5&offset=5")
    assert len(page["items"]) == 5 and page["offset"] == 5 and page["total"] > 50
    assert get(client, "/minerals?q=Ga")["items"][0]["commodity_id"] in {"gallium", "gadolinium"}


def test_mineral_by_symbol_lists_available_series(client):
    body = get(client, "/minerals/Co")
    assert body["commodity_id"] == "cobalt" and body["on_list_2022"] is True
    stages = {(s["stage"], s["measure"]) for s in body["production_series"]}
    assert stages == {("mine", "production"), ("processing", "production")}
    assert body["nir_vintages"] == [2024, 2025]


def test_nir_keeps_qualifiers_and_summary_counts(client):
    body = get(client, "/nir")
    cobalt = next(r for r in body["items"] if r["commodity"] == "cobalt")
    assert cobalt["nir_value"] is None and cobalt["nir_qualifier"] == "greater_than" and cobalt["nir_display"] == ">75"
    assert body["meta"]["vintage"] == 2025 and body["meta"]["year"] == 2024
    listed = get(client, "/nir?list_year=2022")
    assert listed["meta"]["summary"] == {"at_100": 1, "above_50": 1, "other": 0, "unknown": 0, "minerals": 2}
    assert get(client, "/nir/summary?list_year=2022&vintage=2024")["at_100"] == 1
    only = get(client, "/nir?list_year=2022&reliance_class=100")
    assert [r["commodity"] for r in only["items"]] == ["gallium"]


def test_nir_history_of_one_mineral(client):
    body = get(client, "/minerals/cobalt/nir")
    assert [(r["vintage"], r["nir_display"]) for r in body["items"]] == [(2024, "76"), (2025, ">75")]


def test_production_shares_and_withheld(client):
    body = get(client, "/minerals/cobalt/production?stage=processing")
    rows = {r["country_name"]: r for r in body["items"]}
    assert rows["CHN"]["value"] == 200000 and rows["CHN"]["share"] == pytest.approx(200000 / 230000)
    assert rows["USA"]["value"] is None and rows["USA"]["display"] == "W" and rows["USA"]["share"] is None
    assert body["meta"]["year"] == 2024 and body["meta"]["units"] == ["metric tons"]


def test_csv_has_same_rows_as_json(client):
    r = client.get(API + "/minerals/cobalt/production?stage=mine&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    import csv

    rows = list(csv.DictReader(io.StringIO(r.text)))
    js = get(client, "/minerals/cobalt/production?stage=mine")["items"]
    assert [row["country_name"] for row in rows] == [row["country_name"] for row in js]
    assert rows[0]["value"] == "220000.0"


def test_imports_shares_and_customs_with_filters(client):
    shares = get(client, "/minerals/gallium/import-shares")
    assert [(r["partner"], r["share_pct"]) for r in shares["items"]] == [("CHN", 21.0), ("JPN", 19.0), ("DEU", 13.0)]
    customs = get(client, "/minerals/gallium/customs?year=2024")
    assert customs["total"] == 3 and {r["year"] for r in customs["items"]} == {2024}
    assert get(client, "/minerals/gallium/customs?partner=chn")["total"] == 2
    assert get(client, "/minerals/gallium/customs?limit=2")["items"].__len__() == 2


def test_sources_tables_vintages_countries(client):
    src = get(client, "/sources")["items"]
    assert src[0]["source_id"] == "tinyweb" and src[0]["licence"] == "CC0-1.0" and src[0]["doi"] == "10.0000/tiny"
    tables = {t["table"]: t["rows"] for t in get(client, "/tables")["items"]}
    assert tables["production"] == 14 and tables["agreements"] == 2
    assert get(client, "/vintages")["nir"] == [2024, 2025]
    countries = {c["iso3"]: c for c in get(client, "/countries?limit=10000")["items"]}
    assert countries["CHN"]["iso_numeric"] == "156" and countries["CHN"]["feoc"] is True


def test_concentration_gap_and_per_mineral(client):
    gap = {r["commodity_id"]: r for r in get(client, "/concentration")["items"]}
    shares = [220000 / 290000, 28000 / 290000, 3600 / 290000]
    assert gap["cobalt"]["mine_hhi"] == pytest.approx(sum(s * s for s in shares))
    assert gap["cobalt"]["processing_top1_country"] == "CHN"
    per = get(client, "/minerals/cobalt/concentration?stage=mine")["items"]
    assert per[0]["hhi"] == pytest.approx(gap["cobalt"]["mine_hhi"])


def test_tracker_dates_relative_to_a_given_day(client):
    body = get(client, "/tracker/dates?today=2026-07-01")
    assert body["next"]["date"] == "2026-07-13" and body["next"]["days_from_today"] == 12
    status = {i["date"]: i["status"] for i in body["items"]}
    assert status["2026-01-14"] == "passed" and status["2026-11-10"] == "upcoming" and status["2026-11-27"] == "upcoming"
    after = get(client, "/tracker/dates?today=2026-11-11")
    assert after["next"]["date"] == "2026-11-27"
    assert get(client, "/tracker/dates?today=2027-01-01")["next"] is None


def test_tracker_controls_agreements_summary(client):
    controls = get(client, "/tracker/export-controls")
    assert controls["total"] == 3 and controls["items"][0]["effective_date"] == "2025-11-08"  # a date, not a timestamp
    assert get(client, "/tracker/export-controls?mineral=Ga")["items"][0]["measure_id"] == "CN-2023-23"
    assert get(client, "/tracker/export-controls?status=suspended")["total"] == 1
    assert get(client, "/tracker/export-controls?country=cod")["total"] == 1
    agreements = get(client, "/tracker/agreements")["items"]
    assert [a["country_iso3"] for a in agreements] == ["JPN", "AUS"] and agreements[0]["g7"] is True
    summary = get(client, "/tracker/summary?today=2026-01-01")
    assert summary["measures_by_status"] == {"active": 2, "suspended": 1} and summary["agreement_partners"] == 2
    assert summary["next_date"]["date"] == "2026-01-14"


def test_health_and_openapi(client):
    h = get(client, "/health")
    assert h["status"] == "ok" and h["schema_revision"] == "0002" and len(h["snapshot_fingerprint"]) == 64
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    paths = [p for p in spec["paths"] if p.startswith(API)]
    assert len(paths) >= 30


def test_read_responses_are_cached_per_snapshot(client, app):
    url = API + "/minerals/cobalt/production?stage=mine"
    client.get(url)
    r = client.get(url)
    assert r.headers["x-cache"] == "hit"
    app.state.cache.clear()
    assert client.get(url).headers["x-cache"] == "miss"


# --- bad input: 4xx with a message, never 5xx -----------------------------------------------------

@pytest.mark.parametrize(
    "path, status, phrase",
    [
        ("/minerals/unobtainium", 404, "unknown mineral 'unobtainium'"),
        ("/minerals/unobtainium/production", 404, "unknown mineral"),
        ("/minerals/gallium/production?stage=mine", 404, "no mine-stage production data for Gallium"),
        ("/minerals/cobalt/production?stage=smelting", 422, "query.stage"),
        ("/minerals/cobalt/production?measure=reserves", 404, "no reserves data"),
        ("/minerals/cobalt/production?year=abc", 422, "query.year"),
        ("/nir?vintage=2019", 404, "available: 2024, 2025"),
        ("/nir?list_year=2020", 422, "query.list_year"),
        ("/minerals?limit=0", 422, "query.limit"),
        ("/minerals?limit=100000", 422, "query.limit"),
        ("/minerals?offset=-1", 422, "query.offset"),
        ("/minerals?format=xlsx", 422, "query.format"),
        ("/tracker/dates?today=yesterday", 422, "query.today"),
        ("/tracker/export-controls?mineral=kryptonite", 404, "unknown mineral"),
        ("/presets/no_such_preset", 404, "unknown preset"),
        ("/presets/..%2F..%2Fetc", 404, ""),
        ("/markets/atlantis", 404, "unknown market"),
        ("/scenarios/999999", 404, "no saved scenario with id 999999"),
        ("/scenarios/0", 422, "path.scenario_id"),
        ("/runs/999999", 404, "no run with id 999999"),
        ("/runs/1/tables/everything", 422, "path.table"),
        ("/no/such/endpoint", 404, ""),
    ],
)
def test_bad_reads_answer_4xx_with_a_message(client, path, status, phrase):
    r = client.get(API + path)
    assert r.status_code == status, r.text
    assert phrase in r.json()["detail"]


# --- scenarios: run, save, runs, compare, upload ----------------------------------------------------

def test_run_inline_scenario_matches_the_model(client):
    from critmin.model import simulate

    body = client.post(API + "/scenarios/run", json=SMALL_SCENARIO).json()
    direct = simulate(copy.deepcopy(SMALL_SCENARIO))
    assert body["result"]["status"] == "converged"
    assert body["summary"]["USA_consumer_price"] == pytest.approx(float(direct.summary()["USA_consumer_price"]), rel=1e-12)
    assert body["summary"]["USA_consumer_price_change_pct"] > 0  # a tariff raises the US price
    flows = {(f["origin"], f["destination"]): f for f in body["result"]["flows"]}
    assert flows[("CHN", "USA")]["quantity"] < flows[("CHN", "USA")]["quantity_base"]
    assert body["result"]["indicators"]["base_net_import_reliance_pct"] == pytest.approx(100.0)


def test_preset_listing_spec_and_result(client):
    presets = get(client, "/presets")["items"]
    names = {p["name"] for p in presets}
    assert "gallium_china_ban" in names
    spec = get(client, "/presets/gallium_china_ban")
    assert spec["market"] == {"ref": "gallium"}
    res = get(client, "/presets/gallium_china_ban/result")
    assert res["result"]["status"] == "converged" and res["scenario"]["name"] == spec["name"]
    markets = get(client, "/markets")["items"]
    assert "gallium" in {m["name"] for m in markets}
    g = get(client, "/markets/gallium")
    assert g["regions"] and {b["region"] for b in g["base"]} == set(g["regions"])


def _counts(app):
    from critmin.web.storage import db

    return db.counts(app.state.engine)


@pytest.mark.parametrize(
    "mutate, phrase",
    [
        (lambda s: s["policies"]["tariffs"][0].update(rate=-2), "body.policies.tariffs.0.rate"),
        (lambda s: s["policies"].update(tarifs=[]), "body.policies.tarifs"),
        (lambda s: s.pop("market"), "body.market"),
        (lambda s: s.update(name="   "), "name must not be blank"),
        (lambda s: s["policies"]["tariffs"][0].update(importer="XXX"), "unknown region 'XXX'"),
        (lambda s: s.update(market={"ref": "atlantis"}), "no market named 'atlantis'"),
        (lambda s: s["market"].update(regions=["USA", "USA", "ROW"]), "duplicates"),
        (lambda s: s["policies"].update(export_restrictions=[{"exporter": "CHN", "kind": "quota"}]), "needs `quantity`"),
    ],
)
def test_malformed_scenarios_are_422_and_write_nothing(store_client, store_app, store_key, mutate, phrase):
    bad = copy.deepcopy(SMALL_SCENARIO)
    mutate(bad)
    before = _counts(store_app)
    for path in ("/scenarios/run", "/scenarios", "/runs", "/scenarios/validate"):
        r = store_client.post(API + path, json=bad, headers={"X-API-Key": store_key})
        assert r.status_code == 422, (path, r.text)
        assert phrase in r.json()["detail"], (path, r.json()["detail"])
    assert _counts(store_app) == before


def test_not_json_and_wrong_shapes(store_client, store_app, store_key):
    before = _counts(store_app)
    r = store_client.post(API + "/scenarios/run", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    r = store_client.post(API + "/scenarios", json=[1, 2, 3], headers={"X-API-Key": store_key})
    assert r.status_code == 422
    r = store_client.post(API + "/compare", json={"items": [{"preset": "gallium_china_ban", "run_id": 1}]})
    assert r.status_code == 422 and "exactly one" in r.json()["detail"]
    r = store_client.post(API + "/compare", json={"items": []})
    assert r.status_code == 422
    assert _counts(store_app) == before


@pytest.mark.parametrize(
    "headers, phrase",
    [
        ({}, "needs an API key"),
        ({"X-API-Key": "letmein"}, "malformed API key"),
        ({"X-API-Key": "cmk_00000000_" + "A" * 43}, "invalid API key"),
        ({"Authorization": "Bearer cmk_00000000_" + "A" * 43}, "invalid API key"),
    ],
)
def test_writes_need_a_valid_key_and_write_nothing(store_client, store_app, headers, phrase):
    before = _counts(store_app)
    for method, path, kw in (
        ("post", "/scenarios", {"json": SMALL_SCENARIO}),
        ("post", "/runs", {"json": SMALL_SCENARIO}),
        ("post", "/scenarios/1/runs", {}),
        ("delete", "/scenarios/1", {}),
        ("post", "/scenarios/upload", {"files": {"file": ("s.yaml", b"name: x\n", "application/yaml")}}),
    ):
        r = getattr(store_client, method)(API + path, headers=headers, **kw)
        assert r.status_code == 401, (path, r.text)
        assert phrase in r.json()["detail"]
    assert _counts(store_app) == before


def test_wrong_secret_for_a_real_key_id_is_refused(store_client, store_key):
    key_id = store_key.split("_")[1]
    forged = f"cmk_{key_id}_" + "B" * 43
    r = store_client.post(API + "/scenarios", json=SMALL_SCENARIO, headers={"X-API-Key": forged})
    assert r.status_code == 401 and "invalid API key" in r.json()["detail"]


def test_revoked_key_is_refused(store_client, store_app):
    from critmin.web.storage import db
    from critmin.web.storage import keys as auth

    key, record = auth.create_key(store_app.state.engine, "to revoke")
    assert db.revoke_key(store_app.state.engine, record["key_id"])
    r = store_client.post(API + "/scenarios", json=SMALL_SCENARIO, headers={"X-API-Key": key})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_keys_are_stored_hashed(store_app, store_key):
    from critmin.web.storage import db

    row = db.get_key(store_app.state.engine, store_key.split("_")[1])
    secret = store_key.split("_", 2)[2]
    assert secret not in str(row) and len(row["salt"]) == 32 and len(row["secret_hash"]) == 64


def test_save_run_list_compare_delete(store_client, store_app, store_key):
    h = {"X-API-Key": store_key}
    saved = store_client.post(API + "/scenarios", json=SMALL_SCENARIO, headers=h)
    assert saved.status_code == 201, saved.text
    sid = saved.json()["id"]
    assert saved.json()["mineral"] == "testium" and saved.json()["spec"]["policies"]["tariffs"][0]["rate"] == 0.25
    listing = get(store_client, "/scenarios?q=TEST")
    assert sid in [s["id"] for s in listing["items"]] and "spec" not in listing["items"][0]
    run = store_client.post(API + f"/scenarios/{sid}/runs", headers=h)
    assert run.status_code == 201
    rid = run.json()["id"]
    stored = get(store_client, f"/runs/{rid}")
    direct = store_client.post(API + "/scenarios/run", json=SMALL_SCENARIO).json()
    assert stored["summary"] == direct["summary"] and stored["scenario_id"] == sid
    assert stored["snapshot_fingerprint"] == get(store_client, "/health")["snapshot_fingerprint"]
    assert rid in [r["id"] for r in get(store_client, f"/runs?scenario_id={sid}")["items"]]
    csv_text = store_client.get(API + f"/runs/{rid}/tables/flows?format=csv").text
    assert csv_text.splitlines()[0].startswith("origin,destination,quantity_base")
    assert get(store_client, f"/runs/{rid}/tables/summary")["items"][0]["metric"] == "status"

    variant = copy.deepcopy(SMALL_SCENARIO)
    variant["name"] = "bigger tariff"
    variant["policies"]["tariffs"][0]["rate"] = 0.5
    cmp = store_client.post(API + "/compare", json={"items": [{"run_id": rid}, {"scenario_id": sid}, {"scenario": variant},
                                                        {"preset": "gallium_china_ban"}]})
    assert cmp.status_code == 200, cmp.text
    body = cmp.json()
    assert len(body["columns"]) == 4
    price = next(r for r in body["rows"] if r["metric"] == "USA_consumer_price")
    run_col, saved_col, variant_col = body["columns"][:3]
    assert price[run_col] == pytest.approx(price[saved_col]) and price[variant_col] > price[saved_col]
    csv_cmp = store_client.post(API + "/compare?format=csv", json={"items": [{"run_id": rid}]})
    assert csv_cmp.text.startswith("metric,")

    before = _counts(store_app)
    assert store_client.delete(API + f"/scenarios/{sid}", headers=h).status_code == 200
    after = _counts(store_app)
    assert after["scenarios"] == before["scenarios"] - 1 and after["runs"] == before["runs"]  # runs are kept
    assert get(store_client, f"/runs/{rid}")["scenario_id"] is None
    assert store_client.delete(API + f"/scenarios/{sid}", headers=h).status_code == 404


def test_run_and_store_without_saving(store_client, store_key):
    r = store_client.post(API + "/runs", json=SMALL_SCENARIO, headers={"X-API-Key": store_key})
    assert r.status_code == 201 and r.json()["scenario_id"] is None and r.json()["status"] == "converged"


def test_upload_yaml_and_its_limits(store_client, store_app, store_key):
    import yaml

    h = {"X-API-Key": store_key}
    good = yaml.safe_dump(SMALL_SCENARIO).encode()
    r = store_client.post(API + "/scenarios/upload", files={"file": ("s.yaml", good, "application/yaml")}, headers=h)
    assert r.status_code == 201, r.text and r.json()["name"] == "test tariff"
    before = _counts(store_app)
    big = b"# padding\n" * 1000 + good  # over the 4 KiB limit of the test store_app
    r = store_client.post(API + "/scenarios/upload", files={"file": ("big.yaml", big, "application/yaml")}, headers=h)
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    r = store_client.post(API + "/scenarios/upload", files={"file": ("bad.yaml", b"name: [unclosed\n", "application/yaml")}, headers=h)
    assert r.status_code == 422 and "not a UTF-8 YAML file" in r.json()["detail"]
    r = store_client.post(API + "/scenarios/upload", files={"file": ("bin.yaml", b"\xff\xfe\x00garbage", "application/yaml")}, headers=h)
    assert r.status_code == 422
    r = store_client.post(API + "/scenarios/upload", files={"file": ("list.yaml", b"- 1\n- 2\n", "application/yaml")}, headers=h)
    assert r.status_code == 422 and "mapping" in r.json()["detail"]
    r = store_client.post(API + "/scenarios/upload", headers=h)
    assert r.status_code == 422
    assert _counts(store_app) == before


def test_oversized_body_is_413_before_parsing(store_client, store_app, store_key):
    before = _counts(store_app)
    huge = b'{"name": "' + b"x" * 1_200_000 + b'"}'
    r = store_client.post(API + "/scenarios", content=huge, headers={"content-type": "application/json", "X-API-Key": store_key})
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    assert _counts(store_app) == before


def test_too_many_regions_is_refused(client):
    regions = [f"R{i}" for i in range(60)]
    s = {"name": "huge", "market": {"regions": regions, "price": 1, "production": {r: 1 for r in regions},
                                    "consumption": {r: 1 for r in regions}}}
    r = client.post(API + "/scenarios/run", json=s)
    assert r.status_code == 422 and "at most 40 regions" in r.json()["detail"]


# --- risk ---------------------------------------------------------------------------------------------

def test_risk_methods_are_named_versioned_and_documented(client):
    methods = {m["name"]: m for m in get(client, "/risk/methods")["items"]}
    assert set(methods) == {"composite", "eu_crm", "usgs2021", "geopolrisk"}
    assert all(m["version"] and m["documentation"] for m in methods.values())


def test_risk_ranking_matches_the_analysis_function(client):
    from critmin.analysis import risk
    from critmin.analysis.inputs import build_inputs
    from critmin.kb import read_tables

    direct = risk.rank(build_inputs(read_tables()), method="composite")
    body = get(client, "/risk/ranking?method=composite")
    assert [r["commodity_id"] for r in body["items"]] == list(direct["commodity_id"])
    gallium = next(r for r in body["items"] if r["commodity_id"] == "gallium")
    assert gallium["score"] == pytest.approx(float(direct.set_index("commodity_id").loc["gallium", "score"]))
    assert body["meta"]["method"]["version"] == "critmin-composite/1"
    cobalt = next(r for r in body["items"] if r["commodity_id"] == "cobalt")
    assert cobalt["status"] == "bounded" and cobalt["score"] is None and cobalt["low"] < cobalt["high"]  # NIR >75
    assert get(client, "/risk/ranking?list_year=2022&status=ok")["total"] >= 1
    csv_text = client.get(API + "/risk/ranking?format=csv").text
    assert csv_text.splitlines()[0].startswith("rank,commodity_id,name,method")


def test_mineral_risk_gives_every_method_with_breakdown_and_missing(client):
    body = get(client, "/minerals/cobalt/risk?stage=processing")
    by = {m["method"]: m for m in body["items"]}
    assert set(by) == {"composite", "eu_crm", "usgs2021", "geopolrisk"}
    assert by["composite"]["terms"]["import_reliance"] == [0.75, 1.0]
    assert by["eu_crm"]["status"] == "insufficient_data" and by["eu_crm"]["score"] is None and by["eu_crm"]["missing"]
    assert {b["term"] for b in by["composite"]["breakdown"]} >= {"hhi", "import_reliance"}


def test_risk_overview_matrix_points_come_from_the_breakdown(client):
    body = get(client, "/risk/overview?list_year=2022")
    points = {p["commodity_id"]: p for p in body["matrix"]["points"]}
    assert points["cobalt"]["x_low"] == 0.75 and points["cobalt"]["x_high"] == 1.0
    assert points["gallium"]["x"] == 1.0 and points["gallium"]["y"] == pytest.approx(0.973916, abs=1e-6)
    assert [r["commodity_id"] for r in body["ranking"]][0] == "gallium"


@pytest.mark.parametrize("path, status", [
    ("/risk/ranking?method=magic", 422), ("/risk/ranking?stage=unspecified", 422), ("/risk/ranking?status=great", 422),
    ("/minerals/lithium/risk", 404), ("/minerals/zzz/risk", 404), ("/minerals/cobalt/risk?stage=unspecified", 422),
    ("/minerals/gallium/concentration?stage=mine", 404),
])
def test_bad_risk_requests(client, path, status):
    r = client.get(API + path)
    assert r.status_code == status and r.json()["detail"]


# --- dossier, prices, reports ---------------------------------------------------------------------------

def test_dossier_data_is_the_endpoints_answers(client):
    body = get(client, "/minerals/cobalt/dossier")
    s = body["sections"]
    assert s["mineral"] == get(client, "/minerals/cobalt")
    assert s["net_import_reliance"] == get(client, "/minerals/cobalt/nir")
    assert s["production"]["processing"] == get(client, "/minerals/cobalt/production?stage=processing&vintage=2025&limit=10000")
    assert s["risk"] == get(client, "/minerals/cobalt/risk")
    assert s["export_controls"]["total"] == 2
    assert "unavailable" not in s["concentration"]
    gallium = get(client, "/minerals/gallium/dossier")["sections"]
    assert set(gallium["production"]) == {"processing"}  # no mine-stage series: none invented


def test_dossier_html_and_overview_report(client):
    r = client.get(API + "/minerals/gallium/dossier.html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Gallium" in r.text and "<svg" in r.text
    assert '<script src="http' not in r.text and 'stylesheet" href="http' not in r.text  # self-contained, works offline
    r = client.get(API + "/report/overview.html?list_year=2022")
    assert r.status_code == 200 and "Cobalt" in r.text
    assert client.get(API + "/minerals/zzz/dossier.html").status_code == 404


def test_prices_endpoint_on_a_snapshot_without_prices(client):
    body = get(client, "/minerals/gallium/prices")
    assert body["items"] == [] and body["meta"]["series"] == []
    assert client.get(API + "/minerals/gallium/prices?basis=real").status_code == 422

"""REST endpoints for chain-engine scenarios: run, validate, compare, presets, markets, and bad documents (4xx).

The web tests run on the tiny snapshot (cobalt and gallium only), so the chain scenarios here use
the shipped NdPr oxide market file (``{ref: ndpr_oxide}``, China's output an interval: ranges) and
inline markets written below; knowledge-base markets the tiny snapshot lacks must be a 422 saying so.
"""

from __future__ import annotations

import copy

import pytest

API = "/api/v1"

TESTIUM = {
    "mineral": "testium", "base_year": 2024, "regions": ["USA", "CHN", "ROW"],
    "stages": [{"name": "processing", "basis": "Tm metal"}],
    "production": [{"stage": "processing", "country": "CHN", "quantity": 800, "source": "fixture"},
                   {"stage": "processing", "country": "ROW", "quantity": 200, "source": "fixture"}],
    "trade": [{"stage": "processing", "exporter": "CHN", "importer": "USA", "quantity": 40, "source": "fixture"},
              {"stage": "processing", "exporter": "ROW", "importer": "USA", "quantity": 60, "source": "fixture"}],
    "prices": [{"stage": "processing", "price": 1000, "source": "fixture"}],
}


def chain_doc(**extra):
    """Two minerals: NdPr oxide from its market file (bounded) and an inline point market."""
    return {"engine": "chain", "name": "two minerals", "focus": "USA",
            "horizon": {"start": 2026, "end": 2028, "discount_rate": 0.03, "discount_rate_source": "test"},
            "minerals": {
                "rare-earths": {"market": {"ref": "ndpr_oxide"}, "policies": {
                    "tariffs": [{"importer": "USA", "origins": ["CHN"], "stage": "separation", "rate": 0.25}]}},
                "testium": {"market": copy.deepcopy(TESTIUM), "policies": {
                    "tariffs": [{"importer": "USA", "origins": ["CHN"], "stage": "processing", "rate": 0.25}]}}},
            **extra}


def test_presets_list_both_engines_and_filter_by_engine(client):
    items = client.get(f"{API}/presets").json()["items"]
    engines = {i["name"]: i["engine"] for i in items}
    assert engines["ndpr-floor-110-ten-years"] == "chain" and engines["gallium_china_ban"] == "armington"
    chain = client.get(f"{API}/presets", params={"engine": "chain"}).json()["items"]
    assert chain and all(i["engine"] == "chain" for i in chain)
    duty = next(i for i in chain if i["name"] == "duty-25-chinese-gallium-graphite-rare-earths")
    assert duty["minerals"] == ["gallium", "graphite", "rare-earths"]
    assert client.get(f"{API}/presets", params={"engine": "other"}).status_code == 422
    csv = client.get(f"{API}/presets", params={"format": "csv", "engine": "chain"}).text
    assert csv.splitlines()[0].startswith("name,scenario,description,market,engine")


def test_chain_preset_document_and_result(client):
    spec = client.get(f"{API}/presets/ndpr-floor-110-ten-years").json()
    assert spec["engine"] == "chain" and "minerals" in spec and "source_path" not in spec
    r = client.get(f"{API}/presets/ndpr-floor-110-ten-years/result")
    assert r.status_code == 200
    body = r.json()
    assert body["engine"] == "chain" and body["status"] == "converged"
    (row,) = body["summary"]
    assert row["variants"] == "low, high" and row["basis"] == "NdPr oxide" and row["price_unit"] == "USD/t"
    # a floor paid by the US government costs money: a range, low <= high, both positive
    assert 0 < row["USA_fiscal_cost_discounted_low"] <= row["USA_fiscal_cost_discounted_high"]
    h = spec["horizon"]
    assert len(body["years"]) == h["end"] - h["start"] + 1
    assert {y["year"] for y in body["years"]} == set(range(h["start"], h["end"] + 1))
    assert all(y["fiscal_cost_low"] > 0 for y in body["years"])
    assert body["result"]["assumptions"]["rare-earths"] and body["result"]["sources"]["rare-earths"]


def test_run_a_multi_mineral_document_gives_ranges_units_and_every_year(client):
    r = client.post(f"{API}/scenarios/run", json=chain_doc())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["engine"] == "chain" and body["outcome"]["failed"] == 0
    summary = {row["mineral"]: row for row in body["summary"]}
    assert set(summary) == {"rare-earths", "testium"}
    assert summary["testium"]["variants"] == "point" and summary["testium"]["basis"] == "Tm metal"
    t = summary["testium"]
    assert t["USA_use_price_change_pct_first_year_low"] == t["USA_use_price_change_pct_first_year_high"] > 0
    re_ = summary["rare-earths"]
    assert re_["USA_use_price_change_pct_first_year_low"] < re_["USA_use_price_change_pct_first_year_high"]
    years = body["years"]
    assert len(years) == 2 * 3 and all(y["region"] == "USA" for y in years)
    for y in years:
        assert y["use_price_low"] <= y["use_price_high"]
        assert y["unit"] == "t" and y["price_unit"] == "USD/t" and y["currency"] == "USD"
    regions = {(p["mineral"], p["region"]) for p in body["prices"]}
    assert ("rare-earths", "CHN") in regions and ("testium", "ROW") in regions


def test_validate_reports_markets_and_variants_without_solving(client):
    r = client.post(f"{API}/scenarios/validate", json=chain_doc())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] and body["engine"] == "chain" and body["market"] == "rare-earths, testium"
    by = {m["mineral"]: m for m in body["minerals"]}
    assert by["rare-earths"]["variants"] == ["low", "high"] and by["rare-earths"]["bounded"]
    assert by["rare-earths"]["market"] == {"ref": "ndpr_oxide"}
    assert by["testium"]["market"] == "inline" and by["testium"]["stages"][0]["basis"] == "Tm metal"
    armington = client.post(f"{API}/scenarios/validate", json={**_armington(), "engine": "armington"})
    assert armington.status_code == 200 and armington.json()["engine"] == "armington"


def _armington():
    from tests.web.conftest import SMALL_SCENARIO

    return copy.deepcopy(SMALL_SCENARIO)


def test_compare_mixes_chain_and_armington_columns(client):
    body = {"items": [{"preset": "ndpr-floor-110-ten-years"}, {"scenario": chain_doc(), "label": "inline"},
                      {"scenario": _armington()}]}
    r = client.post(f"{API}/compare", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert len(out["columns"]) == 3 and out["outcome"]["failed"] == 0
    rows = {row["metric"]: row for row in out["rows"]}
    assert rows["engine"]["inline"] == "chain" and rows["engine"][out["columns"][2]] == "armington"
    low = rows["rare-earths.USA_use_price_change_pct_first_year_low"]
    high = rows["rare-earths.USA_use_price_change_pct_first_year_high"]
    assert low["inline"] < high["inline"]
    assert rows["testium.basis"]["inline"] == "Tm metal"


def test_chain_markets_list_kb_markets_chains_and_files_with_status(client):
    r = client.get(f"{API}/markets", params={"engine": "chain"})
    assert r.status_code == 200
    body = r.json()
    items = {i["name"]: i for i in body["items"]}
    assert body["meta"]["engine"] == "chain"
    assert body["meta"]["calibrated"] + body["meta"]["missing"] == body["total"] == len(items)
    ndpr = items["ndpr_oxide"]
    assert ndpr["kind"] == "file" and ndpr["market"] == {"ref": "ndpr_oxide"} and ndpr["bounded"]
    kb = [i for i in body["items"] if i["kind"] == "kb"]
    assert kb and all(i["status"] in ("calibrated", "missing") for i in kb)
    for i in kb:
        if i["status"] == "missing":
            assert i["missing"] and i["basis"] is None and i["regions"] == []
        else:
            assert i["basis"] and i["price_unit"] and i["regions"]
    assert any(i["stage"] == "chain" for i in kb)  # linked chains are listed (calibrated or not)
    missing = client.get(f"{API}/markets", params={"engine": "chain", "status": "missing"}).json()["items"]
    assert missing and all(i["status"] == "missing" for i in missing)
    legacy = client.get(f"{API}/markets").json()
    assert "engine" not in legacy["meta"]  # today's answer unchanged
    assert client.get(f"{API}/markets", params={"status": "missing"}).status_code == 422


@pytest.mark.parametrize("mutate, status, field, phrase", [
    (lambda d: d.update(engine="quantum"), 422, "body", "engine must be"),
    (lambda d: d["horizon"].update(start="soon"), 422, "body.horizon.start", "valid integer"),
    (lambda d: d["horizon"].update(end=2200), 422, "body.horizon", "at most 60 years"),
    (lambda d: d["minerals"]["testium"]["policies"]["tariffs"][0].update(rate="high"), 422,
     "body.minerals.testium.policies.tariffs.0.rate", "valid number"),
    (lambda d: d["minerals"]["testium"]["market"]["production"][0].pop("source"), 422,
     "body.minerals.testium.market.production.0", "exactly one of `source`"),
    (lambda d: d["minerals"].update({"x": {"market": "kb:Bad Name!"}}), 422, "body.minerals.x.market",
     "a market is kb:"),
    (lambda d: d.update(minerals={}), 422, "body.minerals", "at least 1"),
    (lambda d: d.update(surprise=1), 422, "body.surprise", "Extra inputs"),
])
def test_bad_documents_are_422_naming_the_field(client, mutate, status, field, phrase):
    d = chain_doc()
    mutate(d)
    for path in ("/scenarios/run", "/scenarios/validate"):
        r = client.post(f"{API}{path}", json=d)
        assert r.status_code == status, r.text
        body = r.json()
        assert phrase in body["detail"]
        assert any(e["field"].startswith(field) for e in body["errors"]), body["errors"]
        assert not any(".chain." in e["field"] or ".armington." in e["field"] for e in body["errors"])


@pytest.mark.parametrize("mutate, phrase", [
    (lambda d: d["minerals"]["testium"]["policies"]["tariffs"][0].update(importer="XXX"),
     "minerals.testium.policies.tariffs.0.importer: unknown region 'XXX'"),
    (lambda d: d["minerals"]["testium"]["policies"]["tariffs"][0].update(stage="smelting"),
     "minerals.testium.policies.tariffs.0.stage"),
    (lambda d: d["minerals"]["rare-earths"].update(market={"ref": "no_such_market"}),
     "no market file chain_market_no_such_market.yaml"),
    (lambda d: d["minerals"]["rare-earths"].update(market="kb:antimony:processing"), "kb:antimony:processing"),
    (lambda d: d["minerals"]["testium"]["market"].update(
        regions=[f"R{i:02d}" for i in range(45)] + ["USA", "CHN", "ROW"]), "at most 40 regions"),
])
def test_documents_the_model_rejects_are_422_in_plain_words(client, mutate, phrase):
    d = chain_doc()
    mutate(d)
    for path in ("/scenarios/run", "/scenarios/validate"):
        r = client.post(f"{API}{path}", json=d)
        assert r.status_code == 422, r.text
        assert phrase in r.json()["detail"]


def test_a_client_cannot_point_the_loader_at_server_files(client):
    d = chain_doc(source_path="/etc/passwd")
    d["minerals"]["rare-earths"]["market"] = {"ref": "ndpr_oxide"}
    r = client.post(f"{API}/scenarios/validate", json=d)
    assert r.status_code == 200, r.text  # the path is dropped: the market file comes from the presets
    assert "source_path" not in r.json()["scenario"]
    assert r.json()["minerals"][0]["variants"] == ["low", "high"]


def test_saving_a_chain_scenario_is_a_clear_422_not_a_500(client, api_key):
    r = client.post(f"{API}/scenarios", json=chain_doc(), headers={"X-API-Key": api_key})
    assert r.status_code == 422 and "chain-engine scenarios is not supported yet" in r.json()["detail"]
    r = client.post(f"{API}/runs", json=chain_doc(), headers={"X-API-Key": api_key})
    assert r.status_code == 422


def test_unknown_preset_is_404(client):
    assert client.get(f"{API}/presets/no-such-preset/result").status_code == 404

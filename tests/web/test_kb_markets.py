"""Knowledge-base markets in the API, on the tiny snapshot: listed only where they calibrate.

The tiny snapshot publishes US salient statistics for gallium only, so ``kb:gallium:processing``
calibrates, while cobalt's markets fail (no US consumption published; refinery production
withheld) and are listed under ``unavailable`` with the calibration's own reason. A scenario on
a knowledge-base market is the presets' document ``market: {from_kb: {mineral, stage}}``: run,
saved, run again and compared through the same endpoints as every other scenario.
"""

from __future__ import annotations

import pytest

API = "/api/v1"
KB_GALLIUM = {"from_kb": {"mineral": "gallium", "stage": "processing"}}


def get(client, path, status=200):
    r = client.get(API + path)
    assert r.status_code == status, (path, r.status_code, r.text[:400])
    return r.json()


def kb_scenario(market=KB_GALLIUM, **policies):
    return {"name": "kb gallium tariff", "focus": "USA", "market": market,
            "policies": policies or {"tariffs": [{"importer": "USA", "origins": ["CHN"], "rate": 0.25}]}}


def test_markets_list_has_model_and_calibrating_kb_markets(client):
    body = get(client, "/markets")
    by_name = {m["name"]: m for m in body["items"]}
    assert {"gallium", "rare_earths"} <= set(by_name)
    assert by_name["gallium"]["kind"] == "model" and by_name["gallium"]["market"] == {"ref": "gallium"}
    kb = by_name["kb:gallium:processing"]
    assert kb["kind"] == "kb" and kb["market"] == KB_GALLIUM and kb["stage"] == "processing"
    assert kb["unit"] == "t" and kb["price_unit"] == "USD/t"  # production in metric tons: the market unit
    assert kb["label"] == "Gallium, processing (knowledge base; t, USD/t)"
    assert kb["regions"][0] == "USA" and "CHN" in kb["regions"]
    assert any("source: USGS MCS 2025, Gallium" in a for a in kb["assumptions"])
    assert body["total"] == len(body["items"]) and body["meta"]["kb_list_year"] == 2025
    # nothing that fails is offered; each failure keeps the calibration's reason
    assert not any(n.startswith("kb:cobalt") for n in by_name)
    reasons = {u["name"]: u["reason"] for u in body["unavailable"]}
    assert set(reasons) == {"kb:gallium:mine", "kb:cobalt:processing", "kb:cobalt:mine"}
    assert "no mine-stage production data for Gallium" in reasons["kb:gallium:mine"]
    assert "US consumption of Cobalt" in reasons["kb:cobalt:mine"] and "not published" in reasons["kb:cobalt:mine"]
    assert "withheld" in reasons["kb:cobalt:processing"]


def test_markets_list_is_cached_per_snapshot(client):
    get(client, "/markets")
    r = client.get(API + "/markets")
    assert r.status_code == 200 and r.headers["x-cache"] == "hit"


def test_kb_market_detail_equals_the_model(client):
    from critmin.model import calibrate_from_kb

    body = get(client, "/markets/kb:gallium:processing")
    m = calibrate_from_kb("gallium", stage="processing")
    assert body["market"] == KB_GALLIUM and body["regions"] == list(m.regions)
    base = {b["region"]: b for b in body["base"]}
    summary = m.summary()
    for region in m.regions:
        assert base[region]["production"] == pytest.approx(float(summary.loc[region, "production"]))
        assert base[region]["consumption"] == pytest.approx(float(summary.loc[region, "consumption"]))
    assert base["USA"]["consumption"] == pytest.approx(18.0)  # 18,000 kg reported consumption, in t
    assert body["spec"]["unit"] == "t" and body["spec"]["price"] == pytest.approx(500_000.0)  # 500 USD/kg


@pytest.mark.parametrize("path, status, phrase", [
    ("/markets/kb:cobalt:mine", 404, "cannot be calibrated: US consumption of Cobalt"),
    ("/markets/kb:cobalt:processing", 404, "withheld"),
    ("/markets/kb:unobtainium:mine", 404, "not a mineral on the 2025 critical-mineral list"),
    ("/markets/kb:gallium:smelter", 422, "path.name"),
    ("/markets/kb:Gallium", 422, "path.name"),
])
def test_unknown_or_failing_kb_market_is_4xx_with_the_reason(client, path, status, phrase):
    r = client.get(API + path)
    assert r.status_code == status, r.text
    assert phrase in r.json()["detail"]


def test_run_a_scenario_on_a_kb_market(client):
    body = client.post(API + "/scenarios/run", json=kb_scenario())
    assert body.status_code == 200, body.text
    res = body.json()
    assert res["result"]["status"] == "converged"
    assert res["scenario"]["market"]["from_kb"]["mineral"] == "gallium"
    assert res["summary"]["USA_consumer_price_change_pct"] > 0  # a tariff on the main supplier raises the US price
    assert any("USGS MCS 2025" in a for a in res["result"]["assumptions"])
    base = client.post(API + "/scenarios/run", json=kb_scenario(demand_shocks=[{"region": "USA", "change": 0.0}])).json()
    assert base["summary"]["USA_consumer_price_change_pct"] == pytest.approx(0.0, abs=1e-9)


def test_save_run_and_compare_a_kb_scenario(client, api_key, app):
    from critmin.web.storage import db

    saved = client.post(API + "/scenarios", json=kb_scenario(), headers={"X-API-Key": api_key})
    assert saved.status_code == 201, saved.text
    sid = saved.json()["id"]
    assert saved.json()["mineral"] == "gallium"
    run = client.post(API + f"/scenarios/{sid}/runs", headers={"X-API-Key": api_key})
    assert run.status_code == 201, run.text
    cmp = client.post(API + "/compare", json={"items": [{"scenario_id": sid}, {"scenario": kb_scenario()},
                                                        {"preset": "gallium_china_ban"}]})
    assert cmp.status_code == 200, cmp.text
    body = cmp.json()
    row = next(r for r in body["rows"] if r["metric"] == "USA_consumer_price_change_pct")
    assert row[body["columns"][0]] == pytest.approx(row[body["columns"][1]])
    assert db.get_scenario(app.state.engine, sid)["spec"]["market"]["from_kb"]["stage"] == "processing"


@pytest.mark.parametrize("market, phrase", [
    ({"from_kb": {"mineral": "cobalt", "stage": "mine"}}, "market.from_kb: US consumption of Cobalt"),
    ({"from_kb": {"mineral": "unobtainium"}}, "market.from_kb"),
    ({"ref": "kb:gallium:processing"}, "send it as market: {from_kb: {mineral: 'gallium', stage: 'processing'}}"),
])
def test_scenario_on_a_failing_kb_market_is_422_and_writes_nothing(client, api_key, app, market, phrase):
    from critmin.web.storage import db

    before = db.counts(app.state.engine)
    for path, headers in (("/scenarios/run", {}), ("/scenarios", {"X-API-Key": api_key}),
                          ("/runs", {"X-API-Key": api_key})):
        r = client.post(API + path, json=kb_scenario(market), headers=headers)
        assert r.status_code == 422, (path, r.status_code, r.text)
        assert phrase in r.json()["detail"], r.json()["detail"]
    assert db.counts(app.state.engine) == before


def test_available_kb_markets_never_turns_a_failure_into_a_market(web_env):
    from critmin.model.calibrate_kb import available_kb_markets

    trials = {(t.commodity_id, t.stage): t for t in available_kb_markets(2025)}
    assert set(trials) == {("cobalt", "processing"), ("cobalt", "mine"), ("gallium", "processing"), ("gallium", "mine")}
    assert [k for k, t in trials.items() if t.ok] == [("gallium", "processing")]
    for t in trials.values():
        assert (t.market is None) != (t.error is None)

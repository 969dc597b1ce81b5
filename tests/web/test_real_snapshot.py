"""The API on the real, committed snapshot: the CLI's numbers, and no 5xx for any listed mineral.

Skipped when ``src/critmin/snapshot_data/manifest.json`` is absent (a tree where the
snapshot has not been built yet).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[2] / "src" / "critmin" / "snapshot_data"
pytestmark = pytest.mark.skipif(not (REAL / "manifest.json").is_file(), reason=f"no committed snapshot at {REAL}")
API = "/api/v1"


def cli_json(*args: str):
    from typer.testing import CliRunner

    from critmin.cli import app

    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_nir_per_listed_mineral_equals_the_cli(real_client):
    body = real_client.get(API + "/nir?list_year=2025").json()
    cli = cli_json("nir", "--list", "2025")
    assert [r["commodity"] for r in body["items"]] == [r["commodity"] for r in cli]
    for a, b in zip(body["items"], cli):
        assert (a["nir_value"], a["nir_qualifier"], a["nir_display"]) == (b["nir_value"], b["nir_qualifier"], b["nir_display"])
    from critmin import api

    assert body["meta"]["summary"] == api.nir_summary(api.nir(list_year=2025))


def test_production_equals_the_cli(real_client):
    body = real_client.get(API + "/minerals/gallium/production?stage=processing").json()
    cli = cli_json("production", "gallium", "--stage", "processing")
    assert [(r["country_name"], r["display"], r["share"]) for r in body["items"]] == [
        (r["country_name"], r["display"], r["share"]) for r in cli
    ]
    china = next(r for r in body["items"] if r["country"] == "CHN")
    assert china["share"] > 0.9  # China makes nearly all primary gallium


def test_no_listed_mineral_breaks_its_page(real_client):
    minerals = real_client.get(API + "/minerals?list_year=2025").json()["items"]
    assert len(minerals) >= 50
    bad = []
    for m in minerals:
        q = m["commodity_id"]
        entry = real_client.get(f"{API}/minerals/{q}")
        paths = [f"/minerals/{q}/nir", f"/minerals/{q}/concentration", f"/minerals/{q}/import-shares",
                 f"/minerals/{q}/customs?period=annual&limit=10000", f"/minerals/{q}/risk", f"/tracker/export-controls?mineral={q}"]
        for s in entry.json().get("production_series", []):
            if s["measure"] == "production":
                paths.append(f"/minerals/{q}/production?stage={s['stage']}&vintage={max(s['vintages'])}")
        for p in paths:
            r = real_client.get(API + p)
            if r.status_code >= 500 or (r.status_code != 200 and "/production" in p):
                bad.append((p, r.status_code, r.text[:200]))
    assert not bad, bad


def test_overview_endpoints_on_real_data(real_client):
    overview = real_client.get(API + "/risk/overview").json()
    assert len(overview["ranking"]) >= 50 and overview["matrix"]["points"]
    gap = real_client.get(API + "/concentration").json()["items"]
    assert any(r["processing_more_concentrated"] for r in gap)
    dates = real_client.get(API + "/tracker/dates?today=2026-07-01").json()
    assert dates["next"]["date"] == "2026-07-13"
    controls = real_client.get(API + "/tracker/export-controls?country=CHN&status=suspended").json()
    assert {r["measure_id"] for r in controls["items"]} >= {"CN-2025-57", "CN-2025-58"}


def test_prices_with_statistics(real_client):
    body = real_client.get(API + "/minerals/nickel/prices?basis=nominal").json()
    monthly = next(s for s in body["meta"]["series"] if s["frequency"] == "monthly")
    assert monthly["statistics"]["volatility"] > 0 and monthly["statistics"]["n"] > 500
    assert all(r["basis"] == "nominal" for r in body["items"])


def test_kb_markets_on_real_data(real_client):
    """The knowledge-base markets that calibrate are offered, the others are listed with the reason."""
    body = real_client.get(API + "/markets").json()
    names = {m["name"] for m in body["items"]}
    assert {"kb:gallium:processing", "kb:cobalt:mine"} <= names
    assert "kb:lithium:mine" not in names and "kb:lithium:processing" not in names
    reasons = {u["name"]: u["reason"] for u in body["unavailable"]}
    assert "US mine production of Lithium" in reasons["kb:lithium:mine"] and "withheld" in reasons["kb:lithium:mine"]
    cobalt = next(m for m in body["items"] if m["name"] == "kb:cobalt:mine")
    assert cobalt["unit"] == "t" and cobalt["market"] == {"from_kb": {"mineral": "cobalt", "stage": "mine"}}
    assert any("London Metal Exchange" in a for a in cobalt["assumptions"])
    r = real_client.get(API + "/markets/kb:lithium:mine")
    assert r.status_code == 404 and "withheld" in r.json()["detail"]
    # every offered knowledge-base market builds through the scenario path (market: {from_kb: ...})
    for m in body["items"]:
        if m["kind"] == "kb":
            detail = real_client.get(API + f"/markets/{m['name']}")
            assert detail.status_code == 200, (m["name"], detail.text[:300])
            assert detail.json()["regions"] == m["regions"]


def test_scenario_on_kb_gallium_processing_on_real_data(real_client):
    scenario = {"name": "kb gallium ban", "market": {"from_kb": {"mineral": "gallium", "stage": "processing"}},
                "policies": {"export_restrictions": [{"exporter": "CHN", "kind": "ban", "importers": ["USA"]}]}}
    r = real_client.post(API + "/scenarios/run", json=scenario)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["result"]["status"] == "converged" and res["result"]["unit"] == "kg"
    assert res["summary"]["USA_consumer_price_change_pct"] > 0
    bad = {**scenario, "market": {"from_kb": {"mineral": "lithium", "stage": "mine"}}}
    r = real_client.post(API + "/scenarios/run", json=bad)
    assert r.status_code == 422 and "withheld" in r.json()["detail"]

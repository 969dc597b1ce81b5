"""World trade over REST (issue 9 item 6), processing concentration with its derivation, and
the dossiers that answered 500: on the committed snapshot."""

from __future__ import annotations

import json

import pytest

API = "/api/v1"


def rows_of(df) -> list[dict]:
    from critmin.cli.output import records

    return records(df)


@pytest.mark.parametrize("query, kwargs", [
    ("stage=processing", {"stage": "processing"}),
    ("importer=USA&measure=gross_t", {"importer": "USA", "measure": "gross_t"}),
    ("exporter=CHN&importer=EU27&year=2020", {"exporter": "CHN", "importer": "EU27", "year": 2020}),
    ("exporter=COD&over_time=true", {"exporter": "COD", "over_time": True}),
])
def test_trade_answers_the_rows_of_the_python_api(real_client, query, kwargs, mineral="cobalt"):
    from critmin import api

    body = real_client.get(f"{API}/trade/{mineral}?{query}&limit=10000")
    assert body.status_code == 200, body.text[:300]
    body = body.json()
    df = api.trade(mineral, **kwargs)
    assert body["items"] == rows_of(df) and body["total"] == len(df)
    meta = body["meta"]
    assert meta["commodity"] == mineral and meta["unit"] == df["unit"].iloc[0] and meta["measure"] == df["measure"].iloc[0]
    assert meta["derived"] == df.attrs["note"] and "HS1992 codes" in meta["derived"]
    assert meta["source"].startswith("CEPII BACI")
    # the CLI prints the same rows
    from typer.testing import CliRunner

    from critmin.cli import app

    args = ["trade", mineral] + sum(([f"--{k.replace('_', '-')}"] + ([] if v is True else [str(v)])
                                      for k, v in kwargs.items()), []) + ["--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == body["items"]


def test_trade_in_content_tonnes(real_client):
    test_trade_answers_the_rows_of_the_python_api(real_client, "stage=processing&measure=content_t",
                                                  {"stage": "processing", "measure": "content_t"}, mineral="lithium")
    assert real_client.get(f"{API}/trade/lithium?stage=processing&measure=content_t").json()["meta"]["unit"] == "t (Li content)"


def test_trade_as_csv(real_client):
    r = real_client.get(f"{API}/trade/cobalt?stage=processing&format=csv&limit=5")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("year,partner,partner_iso3") and len(r.text.splitlines()) == 6


@pytest.mark.parametrize("query, status, words", [
    ("stage=refining", 422, "stage"),
    ("measure=tonnes", 422, "measure"),
    ("importer=XYZ", 422, "unknown importer"),
    ("exporter=Atlantis", 422, "unknown exporter"),
    ("over_time=true", 422, "over_time needs an exporter or an importer"),
    ("year=1990", 422, "year"),
    ("limit=0", 422, "limit"),
    ("year=2099", 404, "no BACI flows"),
])
def test_trade_bad_parameters_are_4xx_saying_why(real_client, query, status, words):
    r = real_client.get(f"{API}/trade/cobalt?{query}")
    assert r.status_code == status, r.text[:300]
    assert words in r.json()["detail"]


def test_trade_of_a_mineral_without_codes_or_factor(real_client):
    r = real_client.get(f"{API}/trade/gallium")
    assert r.status_code == 404 and "no HS1992 code" in r.json()["detail"]
    r = real_client.get(f"{API}/trade/rare-earths?measure=content_t")
    assert r.status_code == 422 and "no defensible content factor" in r.json()["detail"]
    assert real_client.get(f"{API}/trade/unobtainium").status_code == 404


def test_trade_matrix_is_the_years_total_between_the_top_partners(real_client):
    from critmin import api

    body = real_client.get(f"{API}/trade/cobalt/matrix?stage=processing&top=5").json()
    items = body["items"]
    assert body["meta"]["top"] == 5 and body["meta"]["unit"] == "US$" and body["meta"]["source"].startswith("CEPII")
    exporters = {r["exporter"] for r in items} - {"Other"}
    importers = {r["importer"] for r in items} - {"Other"}
    assert len(exporters) <= 5 and len(importers) <= 5 and {"Other"} <= {r["exporter"] for r in items}
    # the matrix total is the year's world total of the same codes
    world = api.trade("cobalt", "processing", year=items[0]["year"])
    assert sum(r["amount"] for r in items) == pytest.approx(world["total_low"].iloc[0], rel=1e-9)
    assert sum(r["share"] for r in items) == pytest.approx(1.0)
    assert items == rows_of(api.trade_matrix("cobalt", "processing", top=5))
    assert real_client.get(f"{API}/trade/cobalt/matrix?top=1").status_code == 422


@pytest.mark.parametrize("mineral", ["rare-earths", "graphite", "cobalt", "lithium", "nickel"])
def test_processing_concentration_says_how_it_was_derived(real_client, mineral):
    body = real_client.get(f"{API}/minerals/{mineral}/processing")
    assert body.status_code == 200, body.text[:300]
    (item,) = body.json()["items"]
    assert item["stage"] == "processing" and 0 < item["hhi"] <= 1
    assert item["derived_from"] in ("usgs_production", "wmd_production", "eu_crm_2023_shares", "baci_exports")
    assert item["derived_from"] in body.json()["meta"]["derived_from"]
    both = real_client.get(f"{API}/minerals/{mineral}/stages").json()["items"]
    assert item == next(x for x in both if x["stage"] == "processing")


def test_stages_refuse_the_unspecified_stage(real_client):
    assert real_client.get(f"{API}/minerals/cobalt/stages?stage=unspecified").status_code == 422
    assert real_client.get(f"{API}/minerals/cobalt/stages?stage=other").status_code == 422


@pytest.mark.parametrize("mineral", ["diamond-industrial", "gemstones"])
def test_dossier_of_a_mineral_with_zero_prices(real_client, mineral):
    """USGS publishes a unit value of 0 in their salient prices: the price statistics say why
    they have none and the dossier answers 200 (it was a 500: "prices must be positive")."""
    r = real_client.get(f"{API}/minerals/{mineral}/dossier.html")
    assert r.status_code == 200, r.text[:300]
    assert "<svg" in r.text
    assert "0 or below" in r.text  # the statistics table says why a series has none

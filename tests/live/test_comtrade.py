"""UN Comtrade: URL building, fetching through a fake opener, JSON and CSV parsing."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from critmin.errors import CritminError, SourceError, UnmappedNameError
from critmin.live import comtrade
from critmin.live.comtrade import comtrade_url, fetch_comtrade, parse_comtrade_json, read_comtrade_csv
from critmin.live.http import FetchError, FetchPolicy
from tests.live import FakeOpener, http_error, no_network  # noqa: F401


def record(**overrides) -> dict:
    """One annual HS record as the API v1 returns it (US imports of REE metals from China)."""
    rec = {
        "typeCode": "C", "freqCode": "A", "refPeriodId": 20220101, "refYear": 2022, "refMonth": 52, "period": "2022",
        "reporterCode": 842, "reporterISO": "USA", "reporterDesc": "USA", "flowCode": "M", "flowDesc": "Import",
        "partnerCode": 156, "partnerISO": "CHN", "partnerDesc": "China", "partner2Code": 0, "partner2ISO": "W00",
        "classificationCode": "H6", "cmdCode": "280530", "cmdDesc": "Rare-earth metals", "customsCode": "C00",
        "motCode": 0, "qtyUnitCode": 8, "qtyUnitAbbr": "kg", "qty": 250000.0, "isQtyEstimated": False,
        "netWgt": 250000.0, "isNetWgtEstimated": False, "primaryValue": 12500000.0,
    }
    rec.update(overrides)
    return rec


def params(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


# ---------------------------------------------------------------------------- URLs


def test_url_without_key_uses_the_public_preview():
    url = comtrade_url("USA", "CHN", ["280530", "850511"], [2021, 2022], "M")
    assert url.startswith("https://comtradeapi.un.org/public/v1/preview/C/A/HS?")
    p = params(url)
    assert p["reporterCode"] == "842" and p["partnerCode"] == "156"
    assert p["cmdCode"] == "280530,850511" and p["period"] == "2021,2022" and p["flowCode"] == "M"
    assert p["maxRecords"] == "500" and p["customsCode"] == "C00" and p["motCode"] == "0" and p["partner2Code"] == "0"


def test_url_with_key_uses_the_data_endpoint_and_keeps_the_key_out():
    url = comtrade_url(842, None, "80510", 2022, "both", subscription_key="SECRET")
    assert url.startswith("https://comtradeapi.un.org/data/v1/get/C/A/HS?")
    assert "SECRET" not in url
    p = params(url)
    assert "partnerCode" not in p  # all partners
    assert p["cmdCode"] == "080510" and p["flowCode"] == "M,X" and p["maxRecords"] == "100000"


@pytest.mark.parametrize(
    ("area", "code"), [("FRA", 251), ("fra", 251), ("DEU", 276), ("IND", 699), ("world", 0), ("156", 156), (36, 36)]
)
def test_area_codes(area, code):
    assert comtrade.area_code(area) == code


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reporter": "XYZ"}, "not an ISO 3166 alpha-3 code"),
        ({"flow": "Q"}, "flow 'Q'"),
        ({"hs_codes": ["2805301"]}, "2-, 4- or 6-digit"),
        ({"years": ["last year"]}, "is not a year"),
        ({"years": [1900]}, "outside the years"),
        ({"reporter": []}, "no reporter"),
    ],
)
def test_url_rejects_bad_arguments(kwargs, message):
    args = {"reporter": "USA", "partner": "CHN", "hs_codes": ["280530"], "years": [2022], "flow": "M", **kwargs}
    with pytest.raises(CritminError, match=message):
        comtrade_url(**args)


# ---------------------------------------------------------------------------- fetching


def test_fetch_sends_the_key_in_a_header_and_parses(tmp_path):
    url = comtrade_url("USA", "CHN", ["280530"], [2022], "M", subscription_key="SECRET")
    opener = FakeOpener({url: json.dumps({"count": 1, "data": [record()], "error": ""}).encode()})
    saved = tmp_path / "raw" / "us_ree_2022.json"
    df, skipped = fetch_comtrade("USA", "CHN", ["280530"], [2022], "M", "SECRET", save_to=saved, opener=opener)
    assert opener.requests[0].get_header("Ocp-apim-subscription-key") == "SECRET"
    assert len(df) == 1 and not skipped
    assert df.loc[0, "source_file"] == "us_ree_2022.json"
    assert json.loads(saved.read_bytes())["data"][0]["cmdCode"] == "280530"


def test_fetch_refuses_an_answer_that_is_probably_cut_off():
    url = comtrade_url("USA", None, ["280530"], [2022], "M")
    data = [record(partnerISO="W00", partnerCode=0)] * comtrade.PREVIEW_MAX_RECORDS
    opener = FakeOpener({url: json.dumps({"count": len(data), "data": data}).encode()})
    with pytest.raises(SourceError, match="probably cut off"):
        fetch_comtrade("USA", None, ["280530"], [2022], "M", opener=opener)


def test_fetch_reports_api_errors():
    url = comtrade_url("USA", "CHN", ["280530"], [2022], "M")
    opener = FakeOpener({url: json.dumps({"count": 0, "data": [], "error": "Invalid period"}).encode()})
    with pytest.raises(SourceError, match="Invalid period"):
        fetch_comtrade("USA", "CHN", ["280530"], [2022], "M", opener=opener)


def test_fetch_unauthorised_is_a_fetch_error_without_retries():
    url = comtrade_url("USA", "CHN", ["280530"], [2022], "M", subscription_key="WRONG")
    opener = FakeOpener({url: http_error(url, 401)})
    with pytest.raises(FetchError, match="subscription key"):
        fetch_comtrade("USA", "CHN", ["280530"], [2022], "M", "WRONG", opener=opener, policy=FetchPolicy(retries=3))
    assert opener.calls(url) == 1


# ---------------------------------------------------------------------------- parsing


def test_import_record_maps_partner_to_exporter():
    df, skipped = parse_comtrade_json({"data": [record()]}, source_file="q.json")
    row = df.iloc[0]
    assert (row["exporter_iso3"], row["importer_iso3"], row["dataset"]) == ("CHN", "USA", "comtrade:imports")
    assert row["hs"] == "280530" and row["hs_revision"] == "HS2022" and row["year"] == 2022
    assert row["value_usd"] == 12_500_000.0 and row["quantity_t"] == 250.0 and row["quantity_qualifier"] == "exact"
    assert list(row["commodity_ids"]) == ["rare-earths", "scandium", "yttrium"]
    assert (row["source_id"], row["source_file"], row["source_row"]) == ("un_comtrade", "q.json", 1)
    assert list(df.columns) == list(comtrade.typed_table([]).columns)


def test_export_record_maps_reporter_to_exporter():
    df, _ = parse_comtrade_json([record(flowCode="X", reporterISO="CHN", partnerISO="USA")])
    assert (df.loc[0, "exporter_iso3"], df.loc[0, "importer_iso3"], df.loc[0, "dataset"]) == ("CHN", "USA", "comtrade:exports")


def test_weights_missing_estimated_zero_and_qty_fallback():
    records = [
        record(netWgt=None, qty=None),  # no weight at all
        record(netWgt=1500.0, isNetWgtEstimated=True),  # estimated
        record(netWgt=0, qty=0, primaryValue=5000.0),  # zero weight next to a value: not reported
        record(netWgt=None, qty=2000.0, qtyUnitAbbr="kg", isQtyEstimated=True),  # fallback to qty in kg
        record(netWgt=None, qty=40.0, qtyUnitAbbr="u"),  # qty in items: no weight
        record(netWgt=0, qty=0, primaryValue=0),  # a true zero flow
    ]
    df, _ = parse_comtrade_json({"data": records})
    got = list(zip(df["quantity_t"].astype(object).where(df["quantity_t"].notna(), None), df["quantity_qualifier"]))
    assert got == [(None, "missing"), (1.5, "estimated"), (None, "not_available"), (2.0, "estimated"), (None, "missing"), (0.0, "exact")]


def test_world_and_aggregate_partners_are_skipped_and_counted():
    records = [
        record(),
        record(partnerISO="W00", partnerCode=0),
        record(partnerISO="S19", partnerCode=490),
        record(partnerISO="_X ", partnerCode=899),
        record(flowCode="RX"),
        record(motCode=1000),
        record(customsCode="C01"),
        record(partner2ISO="MEX", partner2Code=484),
        record(cmdCode="TOTAL"),
        record(freqCode="M", period="202201"),
    ]
    df, skipped = parse_comtrade_json({"data": records})
    assert len(df) == 1
    assert skipped == {
        "partner is World (W00)": 1,
        "partner is an aggregate or unspecified area (S19)": 1,
        "partner is an aggregate or unspecified area (_X)": 1,
        "flow RX (only M imports and X exports are held)": 1,
        "breakdown by mode of transport": 1,
        "breakdown by customs procedure": 1,
        "breakdown by second partner": 1,
        "cmdCode TOTAL (not an HS code)": 1,
        "non-annual record (freqCode M)": 1,
    }
    assert len(df) + sum(skipped.values()) == len(records)  # every record accounted for


def test_unknown_country_code_fails_loudly_naming_the_record():
    with pytest.raises(UnmappedNameError) as info:
        parse_comtrade_json({"data": [record(), record(partnerISO="ZZZ")]}, source_file="q.json")
    err = info.value
    assert (err.file, err.row, err.field, err.found) == ("q.json", 2, "partnerISO", "ZZZ")


def test_leading_zero_lost_by_a_spreadsheet_is_restored():
    df, _ = parse_comtrade_json({"data": [record(cmdCode=80510), record(cmdCode="2504")]})
    assert list(df["hs"]) == ["080510", "2504"]
    assert list(df.loc[1, "commodity_ids"]) == ["graphite"]  # heading fallback
    assert list(df.loc[0, "commodity_ids"]) == []  # oranges are not a critical mineral


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"statusCode": 401, "message": "Access denied"}', "status 401: Access denied"),
        ('{"count": 0}', "no 'data' array"),
        ("<html>", "not a JSON document"),
        ('{"data": [1, 2]}', "record is not an object"),
        (json.dumps({"data": [{"reporterISO": "USA"}]}), "lacks field"),
        (json.dumps({"data": [record(primaryValue="lots")]}), "not a number"),
        (json.dumps({"data": [record(netWgt=-5)]}), "negative amount"),
    ],
)
def test_malformed_payloads(payload, message):
    with pytest.raises(SourceError, match=message):
        parse_comtrade_json(payload)


# ---------------------------------------------------------------------------- CSV

CSV_HEADER = "typeCode,freqCode,refYear,period,reporterCode,reporterISO,flowCode,partnerCode,partnerISO,partner2Code,classificationCode,cmdCode,customsCode,motCode,qtyUnitAbbr,qty,isQtyEstimated,netWgt,isNetWgtEstimated,primaryValue"


def test_csv_with_bom_and_the_same_fields(tmp_path):
    lines = [
        CSV_HEADER,
        "C,A,2023,2023,842,USA,M,156,CHN,0,H6,283691,C00,0,kg,1000,False,1000,False,25000",
        "C,A,2023,2023,842,USA,M,0,W00,0,H6,283691,C00,0,kg,9000,False,9000,False,90000",
        "C,A,2023,2023,842,USA,M,152,CHL,0,H6,283691,C00,0,kg,,False,,False,70000",
        "C,A,2023,2023,842,USA,M,36,AUS,0,H6,81292,C00,0,kg,,False,12.5,True,1500",
    ]
    path = tmp_path / "TradeData.csv"
    path.write_bytes("\ufeff".encode() + "\r\n".join(lines).encode() + b"\r\n")
    df, skipped = read_comtrade_csv(path)
    assert list(df["exporter_iso3"]) == ["CHN", "CHL", "AUS"]
    assert list(df["source_row"]) == [2, 4, 5]
    assert df.loc[1, "quantity_qualifier"] == "missing" and df["quantity_t"].isna().iloc[1]
    assert df.loc[2, "hs"] == "081292" and df.loc[2, "quantity_qualifier"] == "estimated"
    assert skipped == {"partner is World (W00)": 1}


def test_csv_missing_column_and_bad_number(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("reporterISO,partnerISO,flowCode,cmdCode\nUSA,CHN,M,280530\n")
    with pytest.raises(SourceError, match="missing column"):
        read_comtrade_csv(path)
    path.write_text(CSV_HEADER + "\nC,A,2023,2023,842,USA,M,156,CHN,0,H6,283691,C00,0,kg,1000,False,1 000 t,False,25000\n")
    with pytest.raises(SourceError) as info:
        read_comtrade_csv(path)
    assert (info.value.row, info.value.field) == (2, "netWgt")


def test_csv_in_the_wrong_encoding(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes((CSV_HEADER + "\nC,A,2023,2023,842,USA,M,156,CHN,0,H6,283691,C00,0,kg,1000,False,1000,False,25000 \xe9\n").encode("latin-1"))
    with pytest.raises(SourceError, match="cannot decode"):
        read_comtrade_csv(path)

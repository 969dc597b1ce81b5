"""The functions the CLI calls, and the HS code map they rely on."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from critmin import schema
from critmin.errors import CritminError, SourceError
from critmin.live import commands, hs_commodities
from critmin.live.hs_commodities import HEADINGS, HS_CODES, commodities_for_hs, normalise_hs
from critmin.vocab.commodities import catalogue
from tests.live import FakeOpener, no_network  # noqa: F401

CODES = "country_code,country_name,country_iso2,country_iso3\n156,China,CN,CHN\n842,USA,US,USA\n490,\"Other Asia, nes\",,S19\n"
BACI = "t,i,j,k,v,q\n2023,156,842,280530,10,2\n2023,490,842,280530,1,1\n2023,156,842,283691,5,NA\n"


@pytest.fixture
def baci_files(tmp_path):
    trade = tmp_path / "BACI_HS22_Y2023_V202501.csv"
    trade.write_text(BACI)
    codes = tmp_path / "country_codes_V202501.csv"
    codes.write_text(CODES)
    return trade, codes


def test_load_trade_baci_writes_parquet_with_provenance(tmp_path, baci_files):
    trade, codes = baci_files
    out = tmp_path / "out" / "trade.parquet"
    df = commands.load_trade("baci", trade, codes=codes, out=out)
    assert len(df) == 2 and df.attrs["skipped"] == {"exporter or importer is an aggregate or unspecified area: Other Asia, nes (S19)": 1}
    table = pq.read_table(out)
    assert table.column_names == list(schema.TABLES["bilateral_trade"].columns)
    meta = json.loads(table.schema.metadata[b"critmin"])
    assert meta["source"]["licence"] == "Etalab Open Licence 2.0" and meta["rows"] == 2 and meta["input"] == trade.name
    back = pd.read_parquet(out)
    assert list(back["hs"]) == ["280530", "283691"] and list(back["commodity_ids"][1]) == ["lithium"]
    assert [p.name for p in out.parent.iterdir()] == ["trade.parquet"]


def test_load_trade_failure_leaves_existing_output_untouched(tmp_path, baci_files):
    trade, codes = baci_files
    out = tmp_path / "trade.parquet"
    out.write_bytes(b"previous")
    trade.write_text(BACI + "2023,156,777,280530,1,1\n")  # code 777 is not in the code file
    with pytest.raises(SourceError, match="777"):
        commands.load_trade("baci", trade, codes=codes, out=out)
    assert out.read_bytes() == b"previous"


def test_load_trade_comtrade_json_and_csv(tmp_path):
    rec = {
        "freqCode": "A", "refYear": 2022, "reporterISO": "USA", "partnerISO": "CHN", "flowCode": "M", "cmdCode": "850511",
        "classificationCode": "H6", "primaryValue": 1e6, "netWgt": 2e4, "isNetWgtEstimated": False,
    }
    js = tmp_path / "q.json"
    js.write_text(json.dumps({"data": [rec]}))
    df = commands.load_trade("comtrade", js)
    assert (df.loc[0, "exporter_iso3"], df.loc[0, "quantity_t"], df.loc[0, "source_file"]) == ("CHN", 20.0, "q.json")
    csv = tmp_path / "q.csv"
    csv.write_text(",".join(rec) + "\n" + ",".join(str(v) for v in rec.values()) + "\n")
    assert commands.load_trade("Comtrade", csv).loc[0, "hs"] == "850511"


@pytest.mark.parametrize(
    ("kind", "codes", "name", "message"),
    [
        ("wits", None, "x.csv", "unknown trade source 'wits'"),
        ("baci", None, "x.csv", "country-code file"),
        ("comtrade", "codes.csv", "x.csv", "for BACI only"),
        ("comtrade", None, "x.xlsx", "must be .json"),
    ],
)
def test_load_trade_usage_errors(tmp_path, kind, codes, name, message):
    path = tmp_path / name
    path.write_text("x")
    with pytest.raises(CritminError, match=message):
        commands.load_trade(kind, path, codes=tmp_path / codes if codes else None)


def test_load_trade_missing_input(tmp_path):
    with pytest.raises(SourceError, match="file not found"):
        commands.load_trade("comtrade", tmp_path / "nope.json")


def test_fetch_mcs_validates_year_and_passes_through(tmp_path, monkeypatch):
    with pytest.raises(CritminError, match="not an MCS release year"):
        commands.fetch_mcs(26, tmp_path)
    seen = {}

    def fake_fetch(year, dest, *, item_id=None, progress=None, **kwargs):
        seen.update(year=year, dest=dest, item_id=item_id)
        return []

    monkeypatch.setattr("critmin.live.usgs_release.fetch_mcs_release", fake_fetch)
    assert commands.fetch_mcs(2027, str(tmp_path), item_id="0123456789abcdef01234567") == []
    assert seen == {"year": 2027, "dest": tmp_path, "item_id": "0123456789abcdef01234567"}


def test_fetch_mcs_network_failure_is_a_source_error(tmp_path, monkeypatch):
    # the real default opener is used by the CLI; with the network blocked the error must
    # still be critmin's own, so the CLI can print it
    from critmin.live import http

    monkeypatch.setattr(http, "default_opener", lambda: FakeOpener())  # every URL 404
    with pytest.raises(SourceError, match="HTTP 404"):
        commands.fetch_mcs(2026, tmp_path)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ HS code map


def test_every_mapped_commodity_exists_in_the_vocabulary():
    known = set(catalogue())
    for code in HS_CODES.values():
        assert code.hs.isdigit() and len(code.hs) == 6, code
        assert set(code.commodity_ids) <= known, code
        assert code.description
    for ids in HEADINGS.values():
        assert set(ids) <= known


@pytest.mark.parametrize(
    ("code", "ids"),
    [
        ("280530", ("rare-earths", "scandium", "yttrium")),
        ("284610", ("cerium",)),
        ("850511", ("rare-earths",)),
        ("811292", ("gallium", "germanium", "indium", "niobium", "vanadium")),
        ("282520", ("lithium",)),
        ("283691", ("lithium",)),
        ("810520", ("cobalt",)),
        ("250410", ("graphite",)),
        ("380110", ("graphite",)),
        ("261590", ("niobium", "tantalum", "vanadium")),
        ("810194", ("tungsten",)),
        ("811010", ("antimony",)),
        ("810600", ("bismuth",)),  # HS 2017 code found through its heading
        ("010121", ()),
    ],
)
def test_commodities_for_hs(code, ids):
    assert commodities_for_hs(code) == ids


@pytest.mark.parametrize(("raw", "norm"), [("80510", "080510"), (80510, "080510"), ("80510.0", "080510"), ("2504", "2504"), ("TOTAL", "TOTAL"), (" 280530 ", "280530")])
def test_normalise_hs(raw, norm):
    assert normalise_hs(raw) == norm


def test_hs_matcher_refuses_odd_entries():
    with pytest.raises(ValueError, match="2-, 4- or 6-digit"):
        hs_commodities.hs_matcher(["2805301"])

"""Fetching an MCS data release from ScienceBase, offline: a fake opener serves the item
JSON, a small long-format CSV and zips the tests build."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from critmin.errors import CritminError, SourceError
from critmin.live import usgs_release
from critmin.live.http import FetchError, FetchPolicy
from critmin.live.usgs_release import check_mcs_long_header, fetch_mcs_release, route
from tests.live import FakeOpener, http_error, no_network  # noqa: F401

ID_2026 = "696a75d5d4be0228872d3bf8"
ID_2025 = "677eaf95d34e760b392c4970"
FILE_URL = "https://www.sciencebase.gov/catalog/file/get/{id}?name={name}"
HEADER_2026 = "MCS chapter,Section,Commodity,Country,Statistics,Statistics_detail,Unit,Year,Value,Notes,Is critical mineral 2025,Other notes"
LONG_CSV = (
    HEADER_2026
    + "\r\n"
    + 'ABRASIVES (MANUFACTURED),Salient Statistics\u2014United States,Abrasives (Manufactured),United States,Production,'
    '"Production: Fused aluminum oxide, crude",metric tons,2021,"10,000",rounded,No,(Data in metric tons unless otherwise specified)\r\n'
).encode("cp1252")
FAST = FetchPolicy(retries=1, backoff=0.01)


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def entry(item_id: str, name: str, body: bytes, *, checksum: bool = False, size: int | None = None) -> dict:
    e = {"name": name, "url": FILE_URL.format(id=item_id, name=name), "size": len(body) if size is None else size, "contentType": "application/octet-stream"}
    if checksum:
        e["checksum"] = {"value": hashlib.md5(body).hexdigest(), "type": "MD5"}
    return e


def serve(item_id: str, title: str, files: dict[str, bytes], **entry_options) -> FakeOpener:
    item = {"id": item_id, "title": title, "files": [entry(item_id, n, b, **entry_options) for n, b in files.items()]}
    opener = FakeOpener({usgs_release.item_url(item_id): json.dumps(item).encode()})
    for name, body in files.items():
        opener.add(FILE_URL.format(id=item_id, name=name), body)
    return opener


def release_2026() -> dict[str, bytes]:
    trends = make_zip(
        {
            "MCS2026_Mineral_Industry_Trends_and_Salient_Statistics/MCS2026_Fig2_Net_Import_Reliance.csv": b"Source,Import_Share_Order\nMCS2026,1\n",
            "MCS2026_Mineral_Industry_Trends_and_Salient_Statistics/MCS2026_T7_Critical_Minerals_Salient.csv": b"Source,Year\nMCS2026,2025\n",
            "__MACOSX/._MCS2026_Fig2_Net_Import_Reliance.csv": b"junk",
        }
    )
    return {
        "MCS2026_Commodities_Data.csv": LONG_CSV,
        "MCS2026_Commodities_Data_metadata.xml": b"<metadata/>",
        "MCS2026_Mineral_Industry_Trends_and_Salient_Statistics.zip": trends,
    }


def test_fetch_2026_lays_out_files_as_the_readers_expect(tmp_path):
    opener = serve(ID_2026, "Mineral Commodity Summaries 2026 Data Release", release_2026(), checksum=True)
    lines: list[str] = []
    paths = fetch_mcs_release(2026, tmp_path, opener=opener, policy=FAST, progress=lines.append)
    root = tmp_path / "usgs_mcs2026"
    rel = sorted(p.relative_to(root).as_posix() for p in paths)
    assert rel == [
        "MCS2026_Commodities_Data.csv",
        "MCS2026_Commodities_Data_metadata.xml",
        "industry_trends/MCS2026_Fig2_Net_Import_Reliance.csv",
        "industry_trends/MCS2026_T7_Critical_Minerals_Salient.csv",
    ]
    assert (root / "MCS2026_Commodities_Data.csv").read_bytes() == LONG_CSV  # byte for byte, CRLF and cp1252 kept
    assert [p.name for p in tmp_path.iterdir()] == ["usgs_mcs2026"]  # no staging folder or zip left
    assert any("downloading MCS2026_Commodities_Data.csv" in line for line in lines)
    assert opener.requests[0].full_url == f"https://www.sciencebase.gov/catalog/item/{ID_2026}?format=json"


def test_fetch_2025_unpacks_the_three_zips_into_world_salient_trends(tmp_path):
    files = {
        "World_Data_Release_MCS_2025.zip": make_zip({"World_Data/MCS2025_World_Data.csv": b"SOURCE,COMMODITY\n", "World_Data/MCS2025_World_Data.xml": b"<x/>"}),
        "Salient_Commodity_Data_Release_Grouped_MCS_2025.zip": make_zip(
            {"mcs2025-lithium_salient.csv": b"DataSource,Commodity,Year\n", "mcs2025-lithi_meta.xml": b"<x/>"}
        ),
        "MCS2025_Mineral_Industry_Trends_and_Salient_Statistics.zip": make_zip(
            {"MCS2025_Fig2_Net_Import_Reliance.csv": b"a\n", "MCS2025_T5_Critical_Minerals_Salient.csv": b"b\n"}
        ),
    }
    opener = serve(ID_2025, "U.S. Geological Survey Mineral Commodity Summaries 2025 Data Release (ver. 2.0, April 2025)", files)
    paths = fetch_mcs_release(2025, tmp_path, opener=opener, policy=FAST)
    rel = sorted(p.relative_to(tmp_path / "usgs_mcs2025").as_posix() for p in paths)
    assert rel == [
        "industry_trends/MCS2025_Fig2_Net_Import_Reliance.csv",
        "industry_trends/MCS2025_T5_Critical_Minerals_Salient.csv",
        "salient/mcs2025-lithi_meta.xml",
        "salient/mcs2025-lithium_salient.csv",
        "world/MCS2025_World_Data.csv",
        "world/MCS2025_World_Data.xml",
    ]


def test_nested_zip_is_unpacked(tmp_path):
    inner = make_zip({"mcs2025-cobal_salient.csv": b"x\n"})
    files = {"Salient_Commodity.zip": make_zip({"per_commodity/mcs2025-cobal.zip": inner})}
    opener = serve(ID_2025, "MCS 2025 data release", files)
    paths = fetch_mcs_release(2025, tmp_path, opener=opener, policy=FAST)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == ["usgs_mcs2025/salient/mcs2025-cobal_salient.csv"]


def test_size_mismatch_fails_and_leaves_an_existing_release_untouched(tmp_path):
    old = tmp_path / "usgs_mcs2026" / "MCS2026_Commodities_Data.csv"
    old.parent.mkdir()
    old.write_bytes(b"previous release")
    files = release_2026()
    opener = serve(ID_2026, "Mineral Commodity Summaries 2026 Data Release", files)
    # the catalogue says one byte more than the server sends
    item = json.loads(opener.routes[usgs_release.item_url(ID_2026)][0])
    item["files"][2]["size"] += 1
    opener.add(usgs_release.item_url(ID_2026), json.dumps(item).encode())
    with pytest.raises(FetchError, match="size mismatch"):
        fetch_mcs_release(2026, tmp_path, opener=opener, policy=FAST)
    assert old.read_bytes() == b"previous release"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["usgs_mcs2026"]
    assert [p.name for p in old.parent.iterdir()] == ["MCS2026_Commodities_Data.csv"]


def test_checksum_mismatch_is_an_error(tmp_path):
    files = release_2026()
    opener = serve(ID_2026, "Mineral Commodity Summaries 2026 Data Release", files, checksum=True)
    opener.add(FILE_URL.format(id=ID_2026, name="MCS2026_Commodities_Data_metadata.xml"), b"<metadatX/>")  # same size, other bytes
    with pytest.raises(FetchError, match="md5 checksum mismatch"):
        fetch_mcs_release(2026, tmp_path, opener=opener, policy=FAST)
    assert list(tmp_path.iterdir()) == []


def test_rerun_replaces_the_previous_release(tmp_path):
    stale = tmp_path / "usgs_mcs2026" / "stale.csv"
    stale.parent.mkdir()
    stale.write_text("old")
    fetch_mcs_release(2026, tmp_path, opener=serve(ID_2026, "MCS 2026", release_2026()), policy=FAST)
    assert not stale.exists()
    assert (tmp_path / "usgs_mcs2026" / "MCS2026_Commodities_Data.csv").is_file()


def test_http_error_on_a_file_names_the_url(tmp_path):
    files = release_2026()
    opener = serve(ID_2026, "MCS 2026", files)
    bad = FILE_URL.format(id=ID_2026, name="MCS2026_Commodities_Data_metadata.xml")
    opener.add(bad, http_error(bad, 404))
    with pytest.raises(FetchError) as info:
        fetch_mcs_release(2026, tmp_path, opener=opener, policy=FAST, sleep=lambda s: None)
    assert info.value.status == 404 and "MCS2026_Commodities_Data_metadata.xml" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_catalogue_is_retried_then_reported(tmp_path):
    url = usgs_release.item_url(ID_2026)
    opener = FakeOpener({url: http_error(url, 503)})
    waits: list[float] = []
    with pytest.raises(FetchError, match="HTTP 503"):
        fetch_mcs_release(2026, tmp_path, opener=opener, policy=FetchPolicy(retries=2, backoff=1), sleep=waits.append)
    assert waits == [1, 2]
    assert list(tmp_path.iterdir()) == []


def test_unknown_year_needs_an_item_id(tmp_path):
    with pytest.raises(CritminError, match="pass item_id"):
        fetch_mcs_release(2031, tmp_path, opener=FakeOpener())
    with pytest.raises(CritminError, match="24 hexadecimal"):
        fetch_mcs_release(2031, tmp_path, item_id="not-an-id", opener=FakeOpener())


def test_new_year_with_item_id_and_renamed_flag_column(tmp_path):
    new_id = "0123456789abcdef01234567"
    header = HEADER_2026.replace("Is critical mineral 2025", "Is critical mineral 2026")
    files = {"MCS2027_Commodities_Data.csv": (header + "\n").encode()}
    paths = fetch_mcs_release(2027, tmp_path, item_id=new_id, opener=serve(new_id, "Mineral Commodity Summaries 2027 Data Release", files), policy=FAST)
    assert [p.name for p in paths] == ["MCS2027_Commodities_Data.csv"]


def test_item_for_another_year_is_refused(tmp_path):
    opener = serve(ID_2025, "Mineral Commodity Summaries 2025 Data Release", {"x.csv": b"x"})
    with pytest.raises(SourceError, match="does not name 2026"):
        fetch_mcs_release(2026, tmp_path, item_id=ID_2025, opener=opener)


def test_release_without_the_long_file_is_refused_from_2026(tmp_path):
    opener = serve(ID_2026, "MCS 2026", {"MCS2026_Commodities_Data_metadata.xml": b"<x/>"})
    with pytest.raises(SourceError, match="no MCS2026_Commodities_Data.csv"):
        fetch_mcs_release(2026, tmp_path, opener=opener, policy=FAST)
    assert list(tmp_path.iterdir()) == []


def test_bad_long_header_in_download_fails_and_writes_nothing(tmp_path):
    files = release_2026()
    files["MCS2026_Commodities_Data.csv"] = b"MCS chapter,Section,Commodity,Country,Stats\n"
    with pytest.raises(SourceError, match="header has 5 columns"):
        fetch_mcs_release(2026, tmp_path, opener=serve(ID_2026, "MCS 2026", files), policy=FAST)
    assert list(tmp_path.iterdir()) == []


def test_zip_slip_is_refused(tmp_path):
    files = {"MCS2026_Commodities_Data.csv": LONG_CSV, "extra.zip": make_zip({"../../evil.csv": b"x"})}
    with pytest.raises(SourceError, match="escapes the target folder"):
        fetch_mcs_release(2026, tmp_path, opener=serve(ID_2026, "MCS 2026", files), policy=FAST)
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "evil.csv").exists()


def test_corrupt_zip_is_refused(tmp_path):
    files = {"MCS2026_Commodities_Data.csv": LONG_CSV, "trends.zip": b"PK\x03\x04 this is not a zip"}
    with pytest.raises(SourceError, match="not a valid zip archive"):
        fetch_mcs_release(2026, tmp_path, opener=serve(ID_2026, "MCS 2026", files), policy=FAST)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ([], "not a ScienceBase item"),
        ({"title": "MCS 2026", "files": []}, "lists no files"),
        ({"title": "MCS 2026", "files": [{"name": "a.csv"}]}, "lacks a name or url"),
        ({"title": "MCS 2026", "files": [{"name": "../a.csv", "url": "https://x.test/a"}]}, "unsafe file name"),
        ({"title": "MCS 2026", "files": [{"name": "a.csv", "url": "https://x.test/a", "size": "big"}]}, "whole number"),
        ({"title": "MCS 2026", "files": [{"name": "a.csv", "url": "https://x.test/a", "checksum": {"type": "MD5", "value": "zz"}}]}, "unusable checksum"),
    ],
)
def test_malformed_item_json(tmp_path, item, message):
    opener = FakeOpener({usgs_release.item_url(ID_2026): json.dumps(item).encode()})
    with pytest.raises(SourceError, match=message):
        fetch_mcs_release(2026, tmp_path, opener=opener)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ header check


def write(tmp_path: Path, data: bytes) -> Path:
    p = tmp_path / "MCS_Commodities_Data.csv"
    p.write_bytes(data)
    return p


def test_header_2026_cp1252_crlf_and_bom(tmp_path):
    assert check_mcs_long_header(write(tmp_path, LONG_CSV), 2026) == 2025
    assert check_mcs_long_header(write(tmp_path, b"\xef\xbb\xbf" + LONG_CSV), 2026) == 2025


def test_header_of_the_real_mcs2026_file(raw_data_dir):
    path = raw_data_dir / "usgs_mcs2026" / "MCS2026_Commodities_Data.csv"
    assert check_mcs_long_header(path, 2026) == 2025


def test_header_flag_year_pattern(tmp_path):
    later = HEADER_2026.replace("2025", "2026") + "\n"
    assert check_mcs_long_header(write(tmp_path, later.encode()), 2027) == 2026
    with pytest.raises(SourceError, match="names the list of 2026"):
        check_mcs_long_header(write(tmp_path, later.encode()), 2025)
    with pytest.raises(SourceError, match="not the critical-mineral flag"):
        check_mcs_long_header(write(tmp_path, HEADER_2026.replace("Is critical mineral 2025", "Critical").encode()), 2026)


def test_header_with_a_renamed_column_names_it(tmp_path):
    bad = HEADER_2026.replace("Statistics_detail", "Statistic detail")
    with pytest.raises(SourceError) as info:
        check_mcs_long_header(write(tmp_path, bad.encode()), 2026)
    assert "column 6" in str(info.value) and "'Statistics_detail'" in str(info.value)


def test_header_missing_or_empty_file(tmp_path):
    with pytest.raises(SourceError, match="file not found"):
        check_mcs_long_header(tmp_path / "nope.csv")
    with pytest.raises(SourceError, match="file is empty"):
        check_mcs_long_header(write(tmp_path, b""))


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("MCS2026_Commodities_Data.csv", ""),
        ("MCS2026_version_history.txt", ""),
        ("MCS2026_Fig3_Major_Import_Sources.csv", "industry_trends"),
        ("MCS2026_T7_Critical_Minerals_Salient.csv", "industry_trends"),
        ("World_Data_Release_MCS_2026.zip", "world"),
        ("mcs2024-lithi_world.csv", "world"),
        ("mcs2026-raree_salient.csv", "salient"),
        ("Salient_Commodity_Data_Release_Grouped_MCS_2026.zip", "salient"),
        ("_MCS2026_Mineral_Industry_Trends_and_Salient_Statistics.xml", "industry_trends"),
    ],
)
def test_route(name, folder):
    assert route(name, 2026) == folder


def test_fetched_release_of_the_real_files_reads_like_the_shipped_copy(tmp_path, raw_data_dir):
    """End to end, offline: serve the real MCS2026 files as ScienceBase would (the data CSV
    as is, the industry-trends CSVs in a zip), fetch, then run the project's reader on the
    result and on the shipped copy: the tables must be identical."""
    import pandas as pd

    from critmin.sources.usgs_mcs2026 import read_mcs2026

    real = raw_data_dir / "usgs_mcs2026"
    trends = {f"MCS2026_Mineral_Industry_Trends/{p.name}": p.read_bytes() for p in sorted((real / "industry_trends").iterdir())}
    files = {
        "MCS2026_Commodities_Data.csv": (real / "MCS2026_Commodities_Data.csv").read_bytes(),
        "MCS2026_Commodities_Data_metadata.xml": (real / "MCS2026_Commodities_Data_metadata.xml").read_bytes(),
        "MCS2026_Mineral_Industry_Trends_and_Salient_Statistics.zip": make_zip(trends),
    }
    opener = serve(ID_2026, "Mineral Commodity Summaries 2026 Data Release", files, checksum=True)
    paths = fetch_mcs_release(2026, tmp_path, opener=opener, policy=FAST)
    assert len(paths) == 2 + len(trends)
    fetched_trends = sorted(p.name for p in (tmp_path / "usgs_mcs2026" / "industry_trends").iterdir())
    assert fetched_trends == sorted(p.name for p in (real / "industry_trends").iterdir())
    assert (tmp_path / "usgs_mcs2026" / "MCS2026_Commodities_Data.csv").stat().st_size == 3_189_010
    ours, shipped = read_mcs2026(tmp_path), read_mcs2026(raw_data_dir)
    assert set(ours.tables) == set(shipped.tables) and ours.skipped == shipped.skipped
    for name in shipped.tables:
        pd.testing.assert_frame_equal(ours.tables[name], shipped.tables[name])

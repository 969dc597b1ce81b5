"""Defects found when the shipped figures were audited (issue 9, item 8): net import
reliance of listed minerals that the MCS figure leaves out, PGM members' production in the
releases that publish them as forms of the group, and import shares printed twice.

Each defect is checked twice: on a small snapshot the test builds (always runs) and on the
committed snapshot (the published figures themselves).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin import snapshot, store
from critmin.sources.base import ReadResult, SourceInfo, frame
from critmin.values import parse_value

INFO = SourceInfo("tiny", "Tiny test source", "Tests", "Tests (2026)", "CC0", vintage=2025)


def _cells(raw: str) -> dict:
    p = parse_value(raw)
    return {"value": p.value, "qualifier": str(p.qualifier), "low": p.low, "high": p.high, "raw": raw}


def _prov(n: int) -> dict:
    return {"source_id": "tiny", "source_file": "x.csv", "source_row": n}


def audit_reader(data_dir: Path) -> ReadResult:
    lists = [{"commodity_id": c, "list_year": 2025, "on_list": True, "name_on_list": c.title(), "source_id": "tiny"}
             for c in ("gallium", "beryllium", "boron", "phosphate", "hafnium", "iridium", "palladium")]
    nir = [{"vintage": 2025, "commodity_id": "gallium", "form": "", "published_name": "GALLIUM", "year": 2024,
            "rank": 1, **_cells("100"), "import_sources": ["Japan"], "import_sources_iso3": ["JPN"],
            "sources_period": "2020-23", **_prov(2)}]
    salient = []
    for n, (cid, form, year, raw) in enumerate([
        ("beryllium", "", 2024, "E"), ("beryllium", "", 2023, "E"), ("boron", "", 2024, "E"),
        ("phosphate", "", 2024, "13"), ("phosphate", "", 2023, "16"),  # only the figure's year counts
        ("zirconium", "hf", 2024, "NA"),  # hafnium's reliance, published in the zirconium chapter
        ("beryllium", "", 2025, "5"),  # another release's year: not 2024, never used
    ]):
        salient.append({"vintage": 2025, "commodity_id": cid, "form": form, "year": year, "statistic": "nir",
                        "detail": "NIR_pct", **_cells(raw), "estimated": False, "unit": "percent", "notes": None,
                        **_prov(n + 2)})
    critical = [{"vintage": 2025, "commodity_id": "phosphate", "form": None, "published_name": "Phosphate rock",
                 "year": 2024, "year_label": "2024_estimated", "field": "net_import_reliance", **_cells("99"),
                 "unit": "percent", "primary_import_sources": [], "leading_country_iso3": None, "notes": None,
                 **_prov(2)}]
    prod = []
    n = 1
    for vintage, cid, form, label, rows in [
        (2024, "platinum-group-metals", "Platinum", "Mine production: Platinum", [("ZAF", "country", "120000")]),
        (2024, "platinum-group-metals", "Platinum", "World mine production: Platinum", [(None, "world", "180000")]),
        (2024, "platinum-group-metals", "Palladium", "Mine production: Palladium", [("RUS", "country", "92000")]),
        (2024, "platinum-group-metals", "Palladium", "World mine production: Palladium", [(None, "world", "210000")]),
        (2026, "palladium", "", "Mine production: Palladium", [("RUS", "country", "80000"), (None, "world", "190000")]),
    ]:
        for iso, kind, raw in rows:
            n += 1
            prod.append({"vintage": vintage, "commodity_id": cid, "form": form, "country_iso3": iso,
                         "country_name": iso or "World total (rounded)", "country_kind": kind, "stage": "mine",
                         "measure": "production", "series_label": label, "year": vintage - 1, **_cells(raw),
                         "estimated": True, "unit": "kilograms", **_prov(n)})
    shares = []
    for n, (source, form, partner, kind, raw) in enumerate([
        ("usgs_mcs2026", "Rare-earth compounds and metals", "CHN", "country", "71"),
        ("usgs_mcs2026", "Rare-earth compounds and metals", None, "other", "29"),
        ("usgs_mcs2026_trends", "compounds and metals", "CHN", "country", "71"),
        ("usgs_mcs2026_trends", "compounds and metals", None, "other", "29"),
        ("usgs_mcs2026", "All", "PER", "country", ">99"),
        ("usgs_mcs2026", "All", None, "other", "<1"),
        ("usgs_mcs2026_trends", "rock", "PER", "country", "99"),
        ("usgs_mcs2026_trends", "rock", None, "other", "1"),
        ("usgs_mcs2026", "mineral concentrates: All", "MOZ", "country", "60"),
        ("usgs_mcs2026", "mineral concentrates: All", None, "other", "40"),
        ("usgs_mcs2026_trends", "mineral concentrates", "AUS", "country", "60"),
        ("usgs_mcs2026_trends", "mineral concentrates", None, "other", "40"),
    ]):
        cid = {0: "rare-earths", 1: "phosphate", 2: "titanium"}[n // 4]
        shares.append({"vintage": 2026, "commodity_id": cid, "form": form, "partner_iso3": partner,
                       "partner_name": partner or "Other countries", "partner_kind": kind, "period": "2021-24",
                       **_cells(raw), "notes": None, "source_id": source, "source_file": "x.csv", "source_row": n + 2})
    return ReadResult(INFO, [data_dir / "x.csv"], {
        "critical_lists": frame("critical_lists", lists),
        "nir": frame("nir", nir),
        "salient": frame("salient", salient),
        "critical_salient": frame("critical_salient", critical),
        "production": frame("production", prod),
        "import_shares": frame("import_shares", shares),
    })


@pytest.fixture(scope="module")
def audit_snapshot(tmp_path_factory):
    d = tmp_path_factory.mktemp("raw")
    (d / "x.csv").write_text("x\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("snap") / "snap"
    snapshot.build(d, out, readers=("tests.test_api_audit_defects:audit_reader",))
    mp = pytest.MonkeyPatch()
    mp.setenv("CRITMIN_SNAPSHOT", str(out))
    store.reset()
    yield out
    mp.undo()
    store.reset()


# --- net import reliance of listed minerals the figure leaves out ------------------------------
def test_listed_mineral_missing_from_the_figure_takes_its_salient_reliance(audit_snapshot):
    from critmin import api

    df = api.nir(2025, 2025).set_index("commodity")
    assert (df.loc["beryllium", "nir_display"], df.loc["beryllium", "nir_qualifier"]) == ("E", "net_exporter")
    assert df.loc["boron", "nir_qualifier"] == "net_exporter"
    # the chapter's 2024 figure, not 2023's, and before the critical-minerals table's
    assert df.loc["phosphate", "nir_value"] == 13 and df.loc["phosphate", "nir_table"] == "salient"
    assert df.loc["hafnium", "nir_qualifier"] == "not_available"  # published as NA, under zirconium
    assert df.loc["iridium", "nir_qualifier"] == "not_published"  # in no table: still never a value
    assert df.loc["gallium", "nir_table"] == "figure"
    s = api.nir_summary(df)
    # beryllium, boron (E) and phosphate (13) count as other; hafnium (NA), iridium, palladium unknown
    assert (s["at_100"], s["other"], s["unknown"]) == (1, 3, 3)


# --- production of a PGM member published as a form of the group ---------------------------
def test_member_production_from_group_rows_that_name_it(audit_snapshot):
    from critmin import api

    pd_2024 = api.production("palladium", vintage=2024)
    assert set(pd_2024["series_label"]) == {"Mine production: Palladium", "World mine production: Palladium"}
    rus = pd_2024[pd_2024["country"] == "RUS"].iloc[0]
    # the world total printed under the world's own label is the same series
    assert rus["share"] == pytest.approx(92000 / 210000)
    own = api.production("palladium")  # the latest vintage has palladium's own rows
    assert set(own["commodity"]) == {"palladium"} and int(own["vintage"].iloc[0]) == 2026
    pt = api.production("platinum", vintage=2024)
    assert set(pt["form"]) == {"Platinum"}


def test_member_rows_is_per_vintage():
    from critmin.api import member_rows

    df = pd.DataFrame({
        "vintage": [2024, 2024, 2024, 2026, 2026],
        "commodity_id": ["platinum-group-metals"] * 3 + ["platinum", "platinum-group-metals"],
        "form": ["Platinum content", "Palladium content", "", "", "Platinum"],
    })
    out = member_rows(df, "platinum", "Platinum")
    assert list(out["form"]) == ["Platinum content", ""]
    whole = member_rows(df, "platinum", "Platinum", narrow_forms=False)
    assert len(whole[whole["vintage"] == 2024]) == 3
    group = df[df["commodity_id"] == "platinum-group-metals"].assign(form="")
    rare = member_rows(group, "iridium", "Iridium")  # no own rows, no form names it: the group's rows
    assert len(rare) == 4


# --- import shares printed in two tables -----------------------------------------------------
def test_shares_printed_twice_are_listed_once(audit_snapshot):
    from critmin import api

    ree = api.imports("rare earths")["shares"]
    assert ree["share_pct"].sum() == pytest.approx(100)
    assert set(ree["source_id"]) == {"usgs_mcs2026"}
    assert ree["also_in"].iloc[0] == ["usgs_mcs2026_trends: compounds and metals"]
    ph = api.imports("phosphate")["shares"]  # ">99" and "99": the same block, rounded
    assert len(ph) == 2 and set(ph["raw"]) == {">99", "<1"}
    ti = api.imports("titanium")["shares"]  # different partners: two blocks, both kept
    assert set(ti["source_id"]) == {"usgs_mcs2026", "usgs_mcs2026_trends"}


# --- the same figures on the committed snapshot ------------------------------------------------
@pytest.fixture()
def committed(monkeypatch):
    monkeypatch.delenv("CRITMIN_SNAPSHOT", raising=False)  # the module's tiny snapshot may be set
    if not (snapshot.default_dir() / "manifest.json").is_file():
        pytest.skip("no committed snapshot (run critmin data build)")
    store.reset()
    yield
    store.reset()


def test_committed_nir_publishes_beryllium_boron_phosphate(committed):
    from critmin import api

    df = api.nir(2025, 2025).set_index("commodity")
    assert df.loc["beryllium", "nir_display"] == "E" and df.loc["boron", "nir_display"] == "E"
    assert df.loc["phosphate", "nir_value"] == 13 and df.loc["phosphate", "nir_qualifier"] == "estimated"
    assert set(df.index[df["nir_qualifier"] == "not_published"]) == {
        "iridium", "rhodium", "ruthenium", "metallurgical-coal", "uranium"}
    # the counts do not move: E and 13 % are neither 100 % nor above 50 %
    s = api.nir_summary(df)
    assert (s["at_100"], s["above_50"]) == (12, 31)


def test_committed_white_house_count_is_mcs_2024(committed):
    from critmin import api

    s = api.nir_summary(api.nir(2024, 2022))
    assert (s["at_100"], s["above_50"]) == (12, 29)
    s25 = api.nir_summary(api.nir(2025, 2022))
    assert (s25["at_100"], s25["above_50"]) == (12, 28)


@pytest.mark.parametrize("mineral, vintage, top, share", [("platinum", 2025, "ZAF", 0.706), ("palladium", 2024, "RUS", 0.438)])
def test_committed_pgm_member_production(committed, mineral, vintage, top, share):
    from critmin import api

    df = api.production(mineral, vintage=vintage)
    countries = df[df["country_kind"] == "country"]
    first = countries.sort_values("value", ascending=False).iloc[0]
    assert first["country"] == top and first["share"] == pytest.approx(share, abs=0.001)


def test_committed_rare_earth_import_shares_sum_to_100(committed):
    from critmin import api

    shares = api.imports("rare earths")["shares"]
    assert shares["share_pct"].sum() == pytest.approx(100)
    assert len(shares) == 5

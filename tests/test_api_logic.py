"""API logic on a small snapshot the test builds: list expansion, counting, shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin import snapshot, store
from critmin.sources.base import ReadResult, SourceInfo, frame
from critmin.values import parse_value

INFO = SourceInfo("tiny", "Tiny test source", "Tests", "Tests (2026)", "CC0", vintage=2025)


def _nir_row(cid, form, raw, rank, sources=("China",), iso=("CHN",)):
    p = parse_value(raw)
    return {
        "vintage": 2025, "commodity_id": cid, "form": form, "published_name": f"{cid.upper()}, {form}".strip(", "),
        "year": 2024, "rank": rank, "value": p.value, "qualifier": str(p.qualifier), "low": p.low, "high": p.high,
        "raw": raw, "import_sources": list(sources), "import_sources_iso3": list(iso), "sources_period": "2020-23",
        "source_id": "tiny", "source_file": "fig2.csv", "source_row": rank + 1,
    }


def tiny_reader(data_dir: Path) -> ReadResult:
    lists = []
    for cid in ["gallium", "lanthanum", "neodymium", "cobalt", "lithium", "iridium", "titanium"]:
        lists.append({"commodity_id": cid, "list_year": 2022, "on_list": True, "name_on_list": cid.title(), "source_id": "tiny"})
    nir = [
        _nir_row("gallium", "", "100", 1),
        _nir_row("rare-earths", "compounds and metals", "80", 2),
        _nir_row("cobalt", "", ">75", 3),
        _nir_row("lithium", "", "<25", 4),
        _nir_row("titanium", "sponge metal", "W", 5),
        _nir_row("titanium", "mineral concentrates", ">50", 6),
        _nir_row("arsenic", "all forms", "100", 7),  # not on the tiny list
    ]
    prod = []
    for i, (country, kind, raw) in enumerate([("CHN", "country", "700"), ("JPN", "country", "W"), (None, "world", "760"), (None, "other", "60")]):
        p = parse_value(raw)
        prod.append({
            "vintage": 2025, "commodity_id": "gallium", "form": "", "country_iso3": country,
            "country_name": country or kind, "country_kind": kind, "stage": "processing", "measure": "production",
            "series_label": "Primary production", "year": 2024, "value": p.value, "qualifier": str(p.qualifier),
            "low": p.low, "high": p.high, "raw": raw, "estimated": True, "unit": "metric tons",
            "source_id": "tiny", "source_file": "world.csv", "source_row": i + 2,
        })
    return ReadResult(INFO, [data_dir / "x.csv"], {
        "critical_lists": frame("critical_lists", lists),
        "nir": frame("nir", nir),
        "production": frame("production", prod),
    })


@pytest.fixture(scope="module")
def tiny_snapshot(tmp_path_factory):
    d = tmp_path_factory.mktemp("raw")
    (d / "x.csv").write_text("x\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("snap") / "snap"
    snapshot.build(d, out, readers=("tests.test_api_logic:tiny_reader",))
    mp = pytest.MonkeyPatch()
    mp.setenv("CRITMIN_SNAPSHOT", str(out))
    store.reset()
    yield out
    mp.undo()
    store.reset()


def test_nir_as_published_keeps_qualifiers(tiny_snapshot):
    from critmin import api

    df = api.nir()
    assert len(df) == 7
    cobalt = df[df.commodity == "cobalt"].iloc[0]
    assert cobalt.nir_value is None and cobalt.nir_qualifier == "greater_than" and cobalt.nir_low == 75
    assert cobalt.nir_display == ">75"
    ti = df[(df.commodity == "titanium") & (df.form == "sponge metal")].iloc[0]
    assert ti.nir_value is None and ti.nir_qualifier == "withheld"


def test_nir_per_listed_mineral_expands_groups_and_counts(tiny_snapshot):
    from critmin import api

    df = api.nir(list_year=2022).set_index("commodity")
    assert set(df.index) == {"gallium", "lanthanum", "neodymium", "cobalt", "lithium", "iridium", "titanium"}
    assert df.loc["lanthanum", "via_group"] == "rare-earths" and df.loc["lanthanum", "nir_value"] == 80
    assert df.loc["iridium", "nir_qualifier"] == "not_published"  # no PGM row: never a made-up value
    assert df.loc["titanium", "form"] == "mineral concentrates"  # the form with the highest published reliance
    s = api.nir_summary(df)
    # gallium at 100; lanthanum, neodymium (via rare earths 80), cobalt (>75), titanium (>50) above 50
    assert (s["at_100"], s["above_50"], s["other"], s["unknown"]) == (1, 4, 1, 1)


def test_production_share_never_divides_a_code(tiny_snapshot):
    from critmin import api

    import pandas as pd

    df = api.production("gallium").set_index("country_name")
    assert df.loc["CHN", "share"] == pytest.approx(700 / 760)
    assert pd.isna(df.loc["JPN", "share"]) and pd.isna(df.loc["JPN", "value"])
    assert df.loc["JPN", "display"] == "W"
    assert pd.isna(df.loc["world", "share"])


def test_list_with_no_published_rows_is_empty_not_an_error(tiny_snapshot):
    from critmin import api

    assert api.nir(list_year=2025).empty  # the tiny snapshot holds only the 2022 list


def test_unknown_inputs_give_clear_errors(tiny_snapshot):
    from critmin import api
    from critmin.errors import CritminError, UnknownCommodityError

    with pytest.raises(UnknownCommodityError, match="unknown mineral"):
        api.production("unobtainium")
    with pytest.raises(CritminError, match="available: 2025"):
        api.nir(vintage=2019)
    with pytest.raises(CritminError, match="list year"):
        api.nir(list_year=2020)

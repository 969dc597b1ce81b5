"""Exposure arithmetic on small bills with shares given by the test, and invariants."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.exposure import assess
from critmin.exposure.bom import validate_bom
from critmin.exposure.contents import content_library
from critmin.exposure.exposure import aggregate, exposure_paths, indicators, mineral_lines
from critmin.exposure.upstream import FixedShares
from tests.exposure.conftest import write_bill


def test_hand_computed_exposure(tmp_path, tiny_kb, fixed_shares):
    p = write_bill(tmp_path, [
        "P,,,product,,,,,,USA,,,,100,1000,,",
        "G,P,2,GaN die,gan,0.001,,,,Japan,,,,10,,,",             # 2000 dies x 1 g GaN
        "K,P,1,cobalt part,cobalt,2,0.5,,,USA,AUS,,,50,,,",        # 1000 x 2 kg x 0.5
    ])
    res = assess(p, provider=fixed_shares, kb=tiny_kb, diversify=False)
    ga_t = 2000 * 0.001 * 69.723 / (69.723 + 14.007) / 1000
    co_t = 1000 * 2 * 0.5 / 1000
    lines = res.lines.set_index("commodity_id")
    assert lines.at["gallium", "tonnes_low"] == pytest.approx(ga_t)
    assert lines.at["cobalt", "tonnes_low"] == pytest.approx(co_t) and lines.at["cobalt", "spend_usd"] == 50_000
    comp = res.company.set_index(["commodity_id", "stage", "country"])
    assert comp.loc[("gallium", "processing", "CHN"), "tonnes_low"] == pytest.approx(0.9 * ga_t)
    assert comp.loc[("gallium", "processing", "CHN"), "basis"] == "inferred"
    assert comp.loc[("gallium", "supplier", "JPN"), "tonnes_low"] == pytest.approx(ga_t)
    assert comp.loc[("cobalt", "mine", "AUS"), "basis"] == "declared"  # declared overrides the provider
    assert comp.loc[("cobalt", "processing", "unassigned") if ("cobalt", "processing", "unassigned") in comp.index else ("cobalt", "processing", "CHN"), "tonnes_low"] > 0
    assert ("gallium", "mine", "unknown") in comp.index  # no evidence: unknown, not invented
    ind = res.indicators.set_index(["commodity_id", "stage"])
    assert ind.loc[("gallium", "processing"), "hhi_low"] == pytest.approx(0.9**2 + 0.1**2)
    assert ind.loc[("gallium", "processing"), "china_share_low"] == pytest.approx(0.9)
    assert ind.loc[("gallium", "processing"), "wgi_mean"] == pytest.approx(0.9 * -0.5 + 0.1 * 1.2)
    assert ind.loc[("gallium", "processing"), "export_controls"] == ["CHN: CN-GA (licensing)"]
    assert ind.loc[("cobalt", "processing"), "export_controls"] == []  # the lifted quota does not count


def test_unassigned_share_is_kept_apart(tmp_path, tiny_kb, fixed_shares):
    p = write_bill(tmp_path, ["P,,,product,,,,,,USA,,,,100,10,,", "K,P,1,cobalt,cobalt,1,1,,,USA,,,,5,,,"])
    res = assess(p, provider=fixed_shares, kb=tiny_kb, diversify=False)
    mine = res.company[(res.company.commodity_id == "cobalt") & (res.company.stage == "mine")].set_index("country")
    assert mine.at["unassigned", "tonnes_low"] == pytest.approx(0.1 * 0.01)
    ind = res.indicators.set_index(["commodity_id", "stage"]).loc[("cobalt", "mine")]
    assert ind["unassigned_share"] == pytest.approx(0.1)
    assert ind["hhi_low"] == pytest.approx(0.7**2 + 0.2**2)
    assert ind["hhi_max"] == pytest.approx(0.7**2 + 0.2**2 + 0.1**2)


def test_declared_without_split_is_an_interval(tmp_path, tiny_kb, fixed_shares):
    p = write_bill(tmp_path, ["P,,,product,,,,,,USA,,,,100,10,,", "K,P,1,cobalt,cobalt,1,1,,,USA,AUS; CHN,,,5,,,"])
    res = assess(p, provider=fixed_shares, kb=tiny_kb, diversify=False)
    mine = res.company[(res.company.stage == "mine")].set_index("country")
    assert mine.at["CHN", "tonnes_low"] == 0 and mine.at["CHN", "tonnes_high"] == pytest.approx(0.01)
    ind = res.indicators.set_index(["commodity_id", "stage"]).loc[("cobalt", "mine")]
    assert ind["feoc_share_low"] == 0 and ind["feoc_share_high"] == pytest.approx(1.0)


def test_a_published_range_flows_through(tmp_path, tiny_kb):
    p = write_bill(tmp_path, ["P,,,motor,,,,,,USA,,,,100,1000,,", "M,P,1,magnet,ndfeb-magnet,1,,,,CHN,CHN,CHN,8505.11,50,,,"])
    res = assess(p, provider=FixedShares({}), kb=tiny_kb, diversify=False)
    row = res.company[(res.company.stage == "supplier")].iloc[0]
    assert (row.tonnes_low, row.tonnes_high) == pytest.approx((0.30, 0.32))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    volume=st.integers(1, 10_000),
    qty=st.integers(1, 20),
    mass=st.floats(0.001, 50),
    frac=st.floats(0.0, 1.0),
    s1=st.floats(0.0, 1.0),
)
def test_tonnes_balance_at_every_stage(tiny_kb, volume, qty, mass, frac, s1):
    """Whatever the shares, each stage's tonnes add up to the line's tonnes (unassigned included)."""
    raw = pd.DataFrame({"part_id": ["P", "K"], "parent_id": ["", "P"], "quantity": ["", str(qty)],
                        "material": ["", "cobalt"], "mass_kg": ["", repr(mass)], "content_fraction": ["", repr(frac)],
                        "supplier_country": ["USA", "USA"], "annual_volume": [str(volume), ""]})
    lib = content_library()
    bom = validate_bom(raw, library=lib)
    provider = FixedShares({("cobalt", "mine"): {"COD": s1 * 0.999, "AUS": (1 - s1) * 0.5}})
    lines = mineral_lines(bom, lib)
    paths = exposure_paths(lines, bom, provider)
    expected = volume * qty * mass * frac / 1000
    for stage in ("mine", "processing", "supplier"):
        got = paths[paths.stage == stage]["tonnes_low"].sum()
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12) or expected == 0
    ind = indicators(paths, tiny_kb, "company") if expected > 0 else None
    if ind is not None and len(ind):
        assert ((ind["hhi_low"].fillna(0) >= 0) & (ind["hhi_high"].fillna(0) <= 1 + 1e-9)).all()


def test_scopes_add_up(tmp_path, tiny_kb, fixed_shares):
    p = write_bill(tmp_path, ["P,,,a,,,,,,USA,,,,100,10,,", "Q,,,b,,,,,,USA,,,,100,20,,",
                              "K,P,1,co,cobalt,1,1,,,USA,,,,5,,,", "L,Q,2,co,cobalt,1,1,,,USA,,,,5,,,"])
    res = assess(p, provider=fixed_shares, kb=tiny_kb, diversify=False)
    for stage in ("mine", "processing", "supplier"):
        c = res.company[res.company.stage == stage]["tonnes_low"].sum()
        pr = res.products[res.products.stage == stage]["tonnes_low"].sum()
        pa = res.parts[res.parts.stage == stage]["tonnes_low"].sum()
        assert c == pytest.approx(pr) == pytest.approx(pa) == pytest.approx((10 + 40) / 1000)
    assert set(aggregate(res.paths, "product")["root_id"]) == {"P", "Q"}

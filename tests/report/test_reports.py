"""The dossier and the overview on the committed snapshot: self-contained, complete,
honest about what is missing."""

from __future__ import annotations

import re

import pytest


@pytest.fixture(scope="module")
def report_tables():
    from critmin.snapshot import default_dir

    if not (default_dir() / "manifest.json").is_file():
        pytest.skip("no snapshot built")
    from critmin.report import data

    return data.load()


@pytest.fixture(scope="module")
def inputs(report_tables):
    from critmin.analysis.inputs import build_inputs

    return build_inputs(report_tables)


def _self_contained(html: str) -> None:
    assert "<script src" not in html and "<link" not in html
    assert not re.search(r'<img[^>]+src="http', html)
    assert not re.search(r"url\(\s*['\"]?http", html)
    assert ">nan<" not in html.lower() and "None</td>" not in html


def test_dossier_gallium(report_tables, inputs):
    from critmin.report import dossier

    html = dossier.build("gallium", report_tables, inputs, generated="2026-01-01")
    _self_contained(html)
    assert html.count("<svg") >= 5
    for anchor in ("reliance", "production", "imports", "concentration", "risk", "prices", "policy", "sources"):
        assert f'id="{anchor}"' in html
    # Charts say what they show and where it comes from.
    assert "percent of apparent consumption" in html and "Source: USGS Mineral Commodity Summaries" in html
    assert "CN-2023-23" in html                      # the 2023 gallium/germanium licensing measure
    assert "insufficient data" in html and "EoL-RIR" in html
    assert "doi.org/10.5066/P1WKQ63T" in html or "10.5066/P1WKQ63T" in html


def test_dossier_element_shows_group_figures(report_tables, inputs):
    from critmin.report import dossier

    html = dossier.build("Nd", report_tables, inputs)
    _self_contained(html)
    assert "Neodymium" in html and "rare-earths" in html


def test_overview_every_listed_mineral(report_tables, inputs):
    from critmin.report import overview

    rows = overview.rows(inputs, report_tables, 2025)
    ids = {r["commodity_id"] for r in rows}
    assert {"gallium", "germanium", "cobalt", "graphite", "lithium", "neodymium"} <= ids
    assert all(inputs.minerals[c].on_list[2025] for c in ids)
    html = overview.build(report_tables, inputs, 2025)
    _self_contained(html)
    assert 'class="sortable"' in html and "US import reliance against the concentration of world production" in html
    assert html.count("<tr>") >= len(rows) + 1
    gallium = next(r for r in rows if r["commodity_id"] == "gallium")
    assert gallium["processing_china"] > 0.9 and gallium["nir_low"] == 1.0

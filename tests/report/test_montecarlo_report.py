"""The HTML report of a risk run, from a payload (no model run: the payload is written here)."""

from __future__ import annotations

import pytest

from critmin.report import montecarlo as report


def payload() -> dict:
    return {
        "kind": "montecarlo",
        "headline": {"market": "kb:gallium:processing", "mineral": "gallium", "expected_welfare_loss": 123456.0,
                     "p90_welfare_loss": None, "failed_years": 3},
        "distributions": [{"output": "welfare_loss", "mean": 123456.0, "p50": None, "failed": 3}],
        "histograms": {"welfare_loss": {"label": "US welfare loss per year", "edges": [0.0, 1.0, 2.0],
                                        "counts": [5, 2], "shares": [5 / 7, 2 / 7], "n": 7, "excluded": 3},
                       "fiscal_cost": {"label": "US fiscal cost per year", "edges": [0.0, 0.0], "counts": [7],
                                       "shares": [1.0], "n": 7, "excluded": 3}},
        "price_fan": [{"year": 1, "p5": 0, "p25": 1, "p50": 2, "p75": 3, "p95": 4},
                      {"year": 2, "p5": 0, "p25": 2, "p50": 3, "p75": 5, "p95": 8}],
        "price_fan_unit": "% change of the US consumer price from the base",
        "tornado": [{"input": "CHN-gallium-ban-us:onsets", "mean_outcome_low_input": 1.0,
                     "mean_outcome_high_input": 9.0, "swing": 8.0}],
        "by_event": [{"event": "CHN-gallium-ban-us", "contribution": 100.0}],
        "events": [{"label": "CHN-gallium-ban-us", "kind": "ban"}],
        "run": {"draws": 10, "seed": 4},
        "units": {"money": "USD"},
        "assumptions": ["elasticity multipliers <uniform> (a cited range)"],
    }


def test_report_has_charts_tables_and_escapes_text():
    text = report.build(payload(), generated="2026-12-06")
    assert text.startswith("<!DOCTYPE html>") and "Disruption Monte Carlo: gallium" in text
    assert "kb:gallium:processing, 10 draws, seed 4" in text
    assert text.count("<svg") == 3  # one histogram (the constant one is a sentence), the fan, the tornado
    assert "US fiscal cost per year: all 7 values equal 0" in text
    assert "7 values; 3 not solved or undefined, left out" in text
    assert "123,456" in text and "&lt;uniform&gt;" in text and "<uniform>" not in text
    # a missing value is a dash, never 0
    row = text[text.index("p90 welfare loss"):][:80]
    assert "—" in row and ">0<" not in row


def test_report_refuses_a_payload_of_another_kind():
    with pytest.raises(ValueError, match="not a risk-run payload"):
        report.build({"kind": "scenario"})


def test_ranking_and_project_reports():
    rk = report.build({"kind": "ranking", "ranking": [{"rank": 1, "mineral": "gallium", "market": "m",
                                                       "expected_welfare_loss": 5.0, "currency": "USD"}],
                       "by_event": [], "missing": [{"mineral": "cesium", "reason": "no calibrated market"}],
                       "run": {"draws": 5, "seed": 0}})
    assert "Expected-loss ranking" in rk and "cesium" in rk and "no calibrated market" in rk
    pj = report.build({"kind": "project", "headline": {"mineral": "lithium", "project": "Thacker Pass"},
                       "returns": [{"measure": "npv", "mean": -1.5e9}], "histograms": {},
                       "price_fan": [{"year": y, "p5": 1, "p25": 2, "p50": 3, "p75": 4, "p95": 5} for y in (1, 2, 3)],
                       "price_fan_unit": "USD per t Li", "project_sources": {"capex": "Busch et al. (2024)"}})
    assert "Project returns: lithium" in pj and "-1,500,000,000" in pj and pj.count("<svg") == 1

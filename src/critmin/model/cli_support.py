"""Render-ready outputs for ``critmin simulate``, ``critmin compare`` and ``critmin scenarios``.

The CLI only parses arguments and prints what these return; every number
comes from :mod:`critmin.model.simulation`. ``*_data`` functions return
pandas objects or dicts (for rich tables, JSON or the web API); ``*_text``
functions return plain text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .results import Result, json_safe
from .simulation import compare, list_presets, simulate

TABLES = ("prices", "quantities", "welfare", "binding", "flows")


def simulate_data(scenario: str | Path) -> dict[str, object]:
    """Status, headline indicators, every table (DataFrames) and the assumptions of one scenario."""
    result = simulate(scenario)
    return {
        "result": result,
        "header": header(result),
        "tables": {name: getattr(result, name)() for name in TABLES},
        "assumptions": result.assumptions,
    }


def header(result: Result) -> dict[str, object]:
    """The lines printed above the tables."""
    return {
        "scenario": result.name,
        "market": f"{result.market.mineral} ({result.market.stage}), {len(result.market.regions)} regions",
        "units": f"quantities in {result.market.unit}, prices in {result.market.price_unit}",
        "status": result.status,
        "message": result.message,
        "iterations": result.iterations,
        "clearing_residual": result.residual,
        **{k: v for k, v in result.indicators().items()},
    }


def simulate_json(scenario: str | Path) -> str:
    """The full result of one scenario as a JSON string."""
    return json.dumps(simulate(scenario).to_dict(), indent=2)


def simulate_text(scenario: str | Path, digits: int = 4) -> str:
    """Plain-text report of one scenario: header, tables, assumptions."""
    data = simulate_data(scenario)
    lines = [f"{k}: {v}" for k, v in data["header"].items() if v not in ("", None)]
    result: Result = data["result"]
    if not result.converged:
        lines.append("no results: the scenario did not solve (see status and message)")
    else:
        for name, frame in data["tables"].items():
            lines += ["", f"== {name} ==", _fmt(frame, digits)]
    lines += ["", "== assumptions =="] + [f"- {a}" for a in data["assumptions"]]
    return "\n".join(lines)


def compare_data(scenarios: Sequence[str | Path], labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Headline numbers side by side, one column per scenario (headed by ``labels`` when given)."""
    return compare(list(scenarios), labels=labels)


def compare_text(scenarios: Sequence[str | Path], digits: int = 4) -> str:
    """The comparison table, and a line saying how many scenarios did not solve (if any)."""
    frame = compare_data(scenarios)
    note = frame.attrs.get("failure_note")
    return _fmt(frame, digits) + (f"\nnote: {note}" if note else "")


def compare_json(scenarios: Sequence[str | Path]) -> str:
    frame = compare_data(scenarios)
    return json.dumps(json_safe({col: frame[col].to_dict() for col in frame.columns}), indent=2)


def scenarios_data() -> pd.DataFrame:
    """Preset scenarios of both engines: name (usable in place of a path), title, description, market, engine, file."""
    return list_presets(None)


def scenarios_text() -> str:
    frame = scenarios_data()
    return "\n".join(f"{row.name:36s} {row.scenario}" for row in frame.itertuples())


def _fmt(frame: pd.DataFrame, digits: int) -> str:
    with pd.option_context("display.width", 200, "display.max_columns", 50, "display.max_rows", 500):
        return frame.to_string(float_format=lambda x: f"{x:.{digits}g}")

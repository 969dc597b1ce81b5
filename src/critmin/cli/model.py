"""Policy-model commands: ``critmin simulate``, ``critmin compare``, ``critmin scenarios``.

Nothing heavy is imported at module level (numpy, pandas and the model load inside the commands), so ``critmin --help``
stays fast. Every number comes from :mod:`critmin.model`; this module parses and presents.

Exit codes: 0 success; 1 a scenario was solved but has no equilibrium (``simulate`` prints
the status and the reason); 2 a bad request (unknown preset, missing file, invalid YAML or
scenario field, a knowledge-base market whose data are missing or withheld: the message
names the field or the missing figure).
"""

from __future__ import annotations

from typing import List

import typer

from critmin.cli.app import app, check_format, run_command
from critmin.cli.output import Format, emit, write_json

SCENARIO_HELP = "A scenario YAML file, or a preset name (see `critmin scenarios`)."


def _model_errors(fn):
    """Run ``fn``; scenario and market errors become ``error: ...`` on stderr and exit code 2."""
    from critmin.model import MarketError, ScenarioError

    def guarded():
        try:
            return fn()
        except (ScenarioError, MarketError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    return run_command(guarded)


def _label(item: str) -> str:
    from pathlib import Path

    path = Path(item)
    return path.stem if path.suffix else item


def simulate_command(
    scenario: str = typer.Argument(..., help=SCENARIO_HELP),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Solve one scenario: prices, quantities, flows, welfare and fiscal cost, binding constraints, assumptions."""

    fmt = check_format(fmt, ("table", "json"))

    def go():
        from critmin.model import cli_support, simulate

        if fmt is Format.json:
            result = simulate(scenario)
            write_json(result.to_dict())
        else:
            data = cli_support.simulate_data(scenario)
            result = data["result"]
            _print_simulation(data)
        if not result.converged:
            raise typer.Exit(1)

    _model_errors(go)


def _print_simulation(data: dict) -> None:
    import math


    header = data["header"]
    for key, value in header.items():
        if value not in ("", None):
            if isinstance(value, float):
                shown = f"{value:,.4g}" if math.isfinite(value) else "null"  # a figure the solve did not give
            else:
                shown = value
            typer.echo(f"{key}: {shown}")
    result = data["result"]
    if not result.converged:
        typer.echo("no results: the scenario did not solve (see status and message)")
    else:
        titles = {"prices": "Prices (base and scenario)", "quantities": "Quantities by region",
                  "welfare": "Welfare change from the base by region (currency units per year)",
                  "binding": "Instruments: do they bind?", "flows": "Bilateral flows"}
        for name, frame in data["tables"].items():
            if frame.empty:
                continue
            table = frame.reset_index() if name in ("prices", "quantities", "welfare") else frame
            if name == "flows":
                table = table[["origin", "destination", "quantity_base", "quantity", "quantity_change",
                               "delivered_price", "value_delivered", "tariff_rate", "levy_per_unit",
                               "quota_rent_per_unit", "permitted"]]
            emit(table, Format.table, title=titles.get(name, name))
    typer.echo("assumptions:")
    for line in data["assumptions"]:
        typer.echo(f"  - {line}")


def compare_command(
    scenarios: List[str] = typer.Argument(..., help="Scenario files or preset names (one or more)."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """Headline numbers of several scenarios side by side (scenarios on one market are solved as one batch)."""
    fmt = check_format(fmt, ("table", "json", "csv"))

    def go():
        from critmin.model import cli_support
        from critmin.model.results import json_safe

        labels = _unique([_label(s) for s in scenarios])
        frame = cli_support.compare_data(scenarios, labels=labels)
        if fmt is Format.json:
            payload = json_safe({col: frame[col].to_dict() for col in frame.columns})
            write_json(payload)
        else:
            # a scenario that did not solve shows empty cells, never "nan" (numpy scalars in object columns)
            table = frame.reset_index().astype(object)
            emit(table.where(table.notna(), None), fmt,
                 title="Scenarios compared (change from each scenario's own base point)")
        if frame.attrs.get("failure_note"):  # every column says its status; this counts them
            typer.echo(f"note: {frame.attrs['failure_note']}", err=True)

    _model_errors(go)


def scenarios_command(
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List the preset scenarios (usable in place of a file name) with a one-line description."""
    fmt = check_format(fmt, ("table", "json", "csv"))

    def go():
        from critmin.model import cli_support

        frame = cli_support.scenarios_data()
        if fmt is Format.table:
            emit(frame, fmt, title=f"{len(frame)} preset scenarios (use the name in place of a file)",
                 columns=["name", "scenario", "market"])
        else:
            emit(frame, fmt)

    _model_errors(go)


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


app.command("simulate")(simulate_command)
app.command("compare")(compare_command)
app.command("scenarios")(scenarios_command)

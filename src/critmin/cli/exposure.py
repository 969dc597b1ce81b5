"""Company-exposure command: ``critmin exposure BOM.csv``.

Nothing heavy is imported at module level. Every number comes from :func:`critmin.exposure.assess`; this module parses and
presents.

Exit codes: 0 success; 1 the bill has problems (every problem is printed, one per line, with
row, column and what was expected; nothing is computed); 2 a bad request (unknown example,
rule set, scenario or table).
"""

from __future__ import annotations

from typing import List, Optional

import typer

from critmin.cli.app import app, check_format, run_command
from critmin.cli.output import Format, emit, write_json

DEFAULT_TABLES = ("company", "indicators", "cost_summary", "eligibility")


def exposure_command(
    bom: Optional[str] = typer.Argument(None, help="A bill of materials, .csv or .xlsx (format: docs/exposure.md)."),
    example: Optional[str] = typer.Option(None, "--example", help="Run a shipped example bill: ev_traction_motor, radar_module, battery_pack."),
    scenario: List[str] = typer.Option([], "--scenario", help="A scenario file or preset (repeatable): the policy cost."),
    rules: List[str] = typer.Option([], "--rules", help="usmca, ira30d, club, or a rules YAML file (repeatable)."),
    year: int = typer.Option(2026, "--year", help="Year the eligibility rules are applied for, and of the policy cost."),
    table: List[str] = typer.Option([], "--table", help="Tables to show (repeatable); default company, indicators, cost_summary, eligibility."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    library: bool = typer.Option(False, "--library", help="List the content library (products, minerals, contents, citations) and exit."),
) -> None:
    """Exposure of a bill of materials by mineral, stage and country; policy cost; origin rules; alternatives."""

    out_fmt = check_format(fmt)

    def go():
        import sys

        from critmin import exposure as ex
        from critmin.model import ScenarioError
        from critmin.exposure.rules import RulesError

        if library:
            lib = ex.content_library()
            emit(lib, out_fmt, title=f"Content library: {len(lib)} figures", columns=["product_id", "commodity_id", "basis", "low", "high", "method", "formula", "source_id", "locator"])
            return
        if (bom is None) == (example is None):
            typer.echo("error: give a bill file or --example NAME (not both)", err=True)
            raise typer.Exit(2)
        path = ex.example_path(example) if example else bom
        try:
            res = ex.assess(path, scenarios=scenario, rule_sets=rules, year=year, years=(year,))
        except ex.BomError as err:
            if out_fmt is Format.json:
                write_json({"file": err.file, "problems": err.to_records()})
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None
        except (ScenarioError, RulesError) as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(2) from None
        names = list(table) or [t for t in DEFAULT_TABLES if t != "cost_summary" or scenario]
        for n in names:
            if n not in res.TABLES:
                typer.echo(f"error: unknown table {n!r}; one of {', '.join(res.TABLES)}", err=True)
                raise typer.Exit(2)
        if out_fmt is Format.json:
            payload = res.to_dict()
            if table:
                payload = {k: v for k, v in payload.items() if k in names or k in ("bill", "assumptions", "sources")}
            write_json(payload)
            return
        if out_fmt is Format.csv:
            for n in names:
                if len(names) > 1:
                    sys.stdout.write(f"# {n}\n")
                emit(res.table(n), out_fmt)
            return
        typer.echo(f"bill: {res.bill}")
        for n in names:
            df = res.table(n)
            if n == "indicators":
                df = df.drop(columns=["export_controls"])
            emit(df, out_fmt, title=n)
        if not res.controls.empty:
            emit(res.controls, out_fmt, title="export controls in force on the paths")
        typer.echo("assumptions:")
        for a in res.assumptions:
            typer.echo(f"  - {a}")
        typer.echo("content sources:")
        for s in res.sources:
            typer.echo(f"  - {s}")

    run_command(go)


app.command("exposure")(exposure_command)

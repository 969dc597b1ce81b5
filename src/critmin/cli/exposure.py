"""Company-exposure command: ``critmin exposure BOM.csv``.

Nothing heavy is imported at module level. Every number comes from :func:`critmin.exposure.assess`; this module parses and
presents.

Exit codes: 0 success; 1 the bill has problems (every problem is printed, one per line, with
row, column and what was expected; nothing is computed); 2 a bad request (unknown example,
rule set, scenario or table, or --format html/pdf without -o); 3 a PDF asked for and no
Chromium to print it with.
"""

from __future__ import annotations

from pathlib import Path
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
    fmt: str = typer.Option("table", "--format", help="table, json, csv, html (the report a buyer can forward) or pdf (printed by headless Chromium)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="File to write the html or pdf report to."),
    library: bool = typer.Option(False, "--library", help="List the content library (products, minerals, contents, citations) and exit."),
) -> None:
    """Exposure of a bill of materials by mineral, stage and country; policy cost; origin rules; alternatives."""

    report = fmt in ("html", "pdf")
    out_fmt = None if report else check_format(fmt, ("table", "json", "csv", "html", "pdf"))
    if report and output is None:
        typer.echo(f"error: --format {fmt} writes a file: give -o FILE", err=True)
        raise typer.Exit(2)

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
            if out_fmt is not None and out_fmt is Format.json:
                write_json({"file": err.file, "problems": err.to_records()})
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None
        except (ScenarioError, RulesError) as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(2) from None
        if report:
            _write_report(res, path, scenario, rules, year, fmt, output)
            return
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


def _write_report(res, bill, scenarios, rules, year, fmt: str, output: Path) -> None:
    """Write the HTML report (or its PDF) whole to a temporary file, then move it into place:
    nothing half-written is left at ``output`` when anything fails."""
    import os
    import tempfile

    from critmin.report import exposure as rep

    text = rep.build(res, bill_name=Path(str(bill)).name, scenarios=tuple(scenarios), rules=tuple(rules), year=year)
    if fmt == "pdf":
        try:
            data = rep.to_pdf(text)
        except rep.PdfUnavailable as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(3) from None
    else:
        data = text.encode("utf-8")
    output = Path(output)
    if not output.parent.is_dir():
        typer.echo(f"error: {output.parent} is not a folder", err=True)
        raise typer.Exit(2)
    fd, tmp = tempfile.mkstemp(prefix=".critmin-", suffix=f".{fmt}", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it private; the report is an ordinary file
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    typer.echo(f"wrote {output} ({len(data) / 1024:.0f} KiB)")


app.command("exposure")(exposure_command)

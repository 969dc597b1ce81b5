"""World-trade commands of the ``critmin`` CLI: ``trade`` and ``reconcile``.

They parse, call :mod:`critmin.api` and present; nothing is computed here.
"""

from enum import Enum
from typing import Optional

import typer

from critmin.cli.app import FORMAT_HELP, app, run_command
from critmin.cli.output import Format, emit


class Measure(str, Enum):
    value = "value"
    gross_t = "gross_t"
    content_t = "content_t"


class TradeStage(str, Enum):
    mine = "mine"
    processing = "processing"


@app.command("trade")
def trade_command(
    mineral: str = typer.Argument(..., help="Mineral id, name or symbol, e.g. cobalt, 'rare earths', Li."),
    stage: Optional[TradeStage] = typer.Option(None, "--stage", help="mine or processing; default both."),
    importer: Optional[str] = typer.Option(None, "--importer", help="ISO3 code or EU27: that importer's sources."),
    exporter: Optional[str] = typer.Option(None, "--exporter", help="ISO3 code or EU27: that exporter's destinations."),
    year: Optional[int] = typer.Option(None, "--year", help="Year (1995-2024); default the latest with data."),
    measure: Measure = typer.Option(Measure.value, "--measure", help="value (US$), gross_t or content_t."),
    over_time: bool = typer.Option(False, "--over-time", help="Share of the exporter (or importer) in every year."),
    fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
) -> None:
    """World trade of a mineral by stage from CEPII BACI: exporters, an importer's sources,
    an exporter's destinations, or a share over time."""

    def go():
        from critmin import api

        df = api.trade(mineral, stage.value if stage else None, importer, exporter, year, measure.value, over_time)
        if fmt is not Format.table:
            emit(df, fmt)
            return
        view = df.copy()
        for c in ("share_low", "share_high"):
            if c in view.columns:
                view[c] = (view[c] * 100).round(2)
        if over_time:
            cols = ["year", "share_low", "share_high", "amount_low", "amount_high", "total_low"]
            title = f"{df['role'].iloc[0]}, {df['commodity_id'].iloc[0]} ({measure.value}; shares in %)"
        else:
            cols = ["year", "rank", "partner", "partner_name", "amount_low", "amount_high", "share_low", "share_high"]
            title = f"{df['role'].iloc[0]}, {df['commodity_id'].iloc[0]}, {int(df['year'].iloc[0])} ({df['unit'].iloc[0]}; shares in %)"
        emit(view, fmt, title=title, columns=[c for c in cols if c in view.columns])
        typer.echo(f"note: {df.attrs.get('note', '')}")
        if "value_share_without_quantity" in df.columns and measure.value != "value":
            miss = float(df["value_share_without_quantity"].max() or 0)
            if miss > 0:
                typer.echo(f"note: quantity not reported for {miss:.2%} of the value (left out of the tonnes, never 0)")
        typer.echo("source: CEPII BACI HS92 V202401b (Gaulier and Zignago 2010), Etalab Open Licence 2.0")

    run_command(go)

@app.command("reconcile")
def reconcile_command(
    mineral: str = typer.Argument(..., help="Mineral id, name or symbol."),
    world_only: bool = typer.Option(False, "--world", help="World totals only."),
    year: Optional[int] = typer.Option(None, "--year", help="One year only."),
    fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
) -> None:
    """USGS MCS and World Mining Data production side by side, flagged where they differ
    by more than 10% (never merged)."""

    def go():
        from critmin import api

        df = api.production_compared(mineral)
        if world_only:
            df = df[df["country_kind"] == "world"]
        if year is not None:
            df = df[df["year"] == year]
        if fmt is not Format.table:
            emit(df, fmt)
            return
        emit(df, fmt, title=f"Production of {mineral}: USGS MCS and World Mining Data",
             columns=["stage", "year", "country_name", "usgs_value", "usgs_unit", "usgs_basis", "wmd_value", "wmd_unit",
                      "wmd_basis", "ratio_wmd_to_usgs", "status"])

    run_command(go)

"""``critmin data fetch-mcs`` and ``critmin data load-trade``: live sources for a user with a network."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    from critmin.cli import run_command

    @data_app.command("fetch-mcs")
    def fetch_mcs(
        year: int = typer.Argument(..., help="MCS release year, e.g. 2026."),
        dest: Path = typer.Option(..., "--dest", help="Folder to hold the raw files (then: critmin data build --source-dir DEST)."),
        item_id: Optional[str] = typer.Option(None, "--item-id", help="ScienceBase item id of a release critmin does not know yet."),
    ) -> None:
        """Download a USGS Mineral Commodity Summaries data release (needs a network)."""

        def go():
            from critmin.live.commands import fetch_mcs as fetch

            files = fetch(year, dest, item_id=item_id, progress=typer.echo)
            typer.echo(f"fetched {len(files)} files into {dest}; next: critmin data build --source-dir {dest}")

        run_command(go)

    @data_app.command("load-trade")
    def load_trade(
        path: Path = typer.Argument(..., help="A BACI yearly CSV, or a saved UN Comtrade response (.json or .csv)."),
        kind: str = typer.Option(..., "--kind", help="baci or comtrade."),
        codes: Optional[Path] = typer.Option(None, "--codes", help="BACI country-code file (BACI only)."),
        out: Path = typer.Option(..., "--out", help="Parquet file to write (bilateral_trade schema)."),
    ) -> None:
        """Load bilateral trade (BACI, UN Comtrade) into a Parquet table the model can calibrate on."""

        def go():
            from critmin.live.commands import load_trade as load

            df = load(kind, path, codes=codes, out=out)
            skipped = df.attrs.get("skipped", {})
            typer.echo(f"wrote {len(df):,} rows to {out}" + (f"; left out: {dict(skipped)}" if skipped else ""))

        run_command(go)

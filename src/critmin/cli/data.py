"""Snapshot commands: ``data build``, ``data info``, ``data verify``; and, for a user with a
network, ``data fetch-mcs`` and ``data load-trade`` (live sources)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from critmin.cli.app import FORMAT_HELP, data_app, run_command
from critmin.cli.output import Format, emit


@data_app.command("build")
def data_build(
    source_dir: Path = typer.Option(Path("../shared/data"), "--source-dir", help="Folder with the publishers' raw files."),
    out: Optional[Path] = typer.Option(None, "--out", help="Snapshot folder; default the package's own."),
    accept_row_changes: bool = typer.Option(
        False, "--accept-row-changes",
        help="Build even when row counts differ from a reader's documented shapes or drop against the previous build "
        "(a new release of a file, a reader change). The changes are still printed.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Rebuild the snapshot from the raw files, reproducibly and atomically."""

    def go():
        import time

        from critmin import snapshot

        t0 = time.perf_counter()

        def progress(spec, result, seconds):
            if not quiet:
                rows = sum(len(df) for df in result.tables.values())
                typer.echo(f"  {result.info.source_id:<34} {rows:>8,} rows  {seconds:5.2f} s")

        def report(line):
            typer.echo(f"  {line}", err=True)

        manifest = snapshot.build(source_dir, out, progress=progress, accept_row_changes=accept_row_changes, report=report)
        total = sum(t["rows"] for t in manifest["tables"].values())
        typer.echo(
            f"built {len(manifest['tables'])} tables, {total:,} rows from {len(manifest['sources'])} sources "
            f"in {time.perf_counter() - t0:.1f} s -> {out or snapshot.default_dir()}"
        )

    run_command(go)


@data_app.command("info")
def data_info(fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP)) -> None:
    """List sources, vintages, citations and row counts."""

    def go():
        from critmin import api

        src = api.sources()
        if fmt is not Format.table:
            emit(src, fmt)
            return
        emit(src, fmt, title="Sources", columns=["source_id", "vintage", "publisher", "licence", "files", "rows", "doi"])
        emit(api.tables(), fmt, title="Tables", columns=["table", "rows", "description"])

    run_command(go)


@data_app.command("verify")
def data_verify() -> None:
    """Check every snapshot file against the checksums in the manifest."""

    def go():
        from critmin import snapshot

        problems = snapshot.verify()
        if problems:
            for p in problems:
                typer.echo(f"FAIL {p}", err=True)
            raise typer.Exit(1)
        m = snapshot.load_manifest()
        typer.echo(f"OK: {len(m['tables'])} tables match their checksums (fingerprint {snapshot.fingerprint()[:16]})")

    run_command(go)


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

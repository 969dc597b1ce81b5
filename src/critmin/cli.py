"""The ``critmin`` command line: parse, call :mod:`critmin.api`, present.

Heavy libraries are imported inside the commands, so ``critmin --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    name="critmin",
    help="Critical-minerals supply-chain security and trade policy, from the publishers' own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Build, describe and check the normalised snapshot.", no_args_is_help=True)
app.add_typer(data_app, name="data")


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run_command(fn):
    """Call ``fn`` and turn critmin's own errors into a message and a non-zero exit."""
    from critmin.errors import CritminError, SnapshotError, SourceError

    try:
        return fn()
    except (SourceError, SnapshotError) as exc:  # the data is wrong: exit 1
        _fail(str(exc), 1)
    except CritminError as exc:  # the request is wrong: exit 2
        _fail(str(exc), 2)


def emit(df, fmt: Format, title: str | None = None, columns: list[str] | None = None, json_records=None) -> None:
    """Print a DataFrame as a Rich table, JSON (array of objects) or CSV."""
    if fmt is Format.json:
        recs = json_records if json_records is not None else records(df)
        sys.stdout.write(json.dumps(recs, indent=2, default=json_default) + "\n")
        return
    if fmt is Format.csv:
        out = df.copy()
        for col in out.columns:
            if out[col].map(lambda v: isinstance(v, (list, tuple))).any():
                out[col] = out[col].map(lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
        out.to_csv(sys.stdout, index=False)
        return
    from rich.console import Console
    from rich.table import Table

    cols = columns or list(df.columns)
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(c, overflow="fold")
    for rec in df[cols].itertuples(index=False):
        table.add_row(*[_cell(v) for v in rec])
    # Piped output has no terminal width; give it room instead of Rich's 80 columns.
    Console(width=None if sys.stdout.isatty() else 180).print(table)


def records(df) -> list[dict]:
    import math

    out = []
    for rec in df.to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
                v = v.tolist()
            if isinstance(v, float) and math.isnan(v):
                v = None
            if v is not None and type(v).__name__ in ("NAType", "NaTType"):
                v = None
            clean[k] = v
        out.append(clean)
    return out


def json_default(o):
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if hasattr(o, "item"):
        return o.item()
    if type(o).__name__ in ("NAType", "NaTType"):
        return None
    return str(o)


def _cell(v) -> str:
    import math

    if v is None:
        return ""
    if isinstance(v, (list, tuple)) or (hasattr(v, "tolist") and not isinstance(v, str)):
        seq = v.tolist() if hasattr(v, "tolist") else v
        return ", ".join(map(str, seq)) if isinstance(seq, list) else str(seq)
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    if type(v).__name__ == "NAType":
        return ""
    return str(v)


@app.command()
def minerals(
    list_year: Optional[int] = typer.Option(None, "--list", help="Only minerals on the US critical-mineral list of 2018, 2022 or 2025."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
) -> None:
    """The commodity catalogue with list memberships and group members."""

    def go():
        from critmin import api

        df = api.minerals(list_year)
        emit(
            df,
            fmt,
            title=f"{len(df)} commodities" + (f" on the {list_year} list" if list_year else ""),
            columns=["commodity_id", "name", "symbol", "group_id", "members", "on_list_2018", "on_list_2022", "on_list_2025"],
        )

    run_command(go)


@app.command()
def nir(
    vintage: Optional[int] = typer.Option(None, help="MCS release year (2023-2026); default the latest."),
    list_year: Optional[int] = typer.Option(None, "--list", help="One row per mineral on the 2018, 2022 or 2025 list."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
) -> None:
    """US net import reliance per commodity as published, with its major import sources."""

    def go():
        from critmin import api

        df = api.nir(vintage, list_year)
        v = int(df["vintage"].iloc[0]) if len(df) else vintage
        summary_list = list_year or (2025 if (v or 0) >= 2026 else 2022)
        counted = df if list_year else api.nir(v, summary_list)
        s = api.nir_summary(counted)
        line = (
            f"{s['at_100']} at 100%, {s['above_50']} more above 50% "
            f"(per mineral on the {summary_list} list, MCS {v}, net import reliance in {v - 1})"
        )
        if fmt is Format.json:
            keep = ["commodity", "name", "vintage", "year", "form", "published_name", "nir_value", "nir_qualifier",
                    "nir_low", "nir_high", "nir_display", "import_sources", "import_sources_iso3", "rank",
                    "on_list_2018", "on_list_2022", "on_list_2025", "via_group", "nir_table"]
            emit(df[keep], fmt)
            return
        if fmt is Format.csv:
            emit(df.drop(columns=["reliance_class"]), fmt)
            return
        emit(
            df,
            fmt,
            title=f"US net import reliance, MCS {v} ({v - 1})",
            columns=["commodity", "form", "nir_display", "nir_qualifier", "import_sources", "on_list_2022", "on_list_2025"]
            + (["via_group", "nir_table"] if list_year else []),
        )
        typer.echo(line)

    run_command(go)


@app.command()
def production(
    mineral: str = typer.Argument(..., help="Mineral id, name or symbol, e.g. cobalt, 'rare earths', Ga."),
    stage: Optional[str] = typer.Option(None, help="mine, processing or unspecified."),
    measure: str = typer.Option("production", help="production, capacity or reserves."),
    year: Optional[int] = typer.Option(None, help="Year; default the latest in the vintage."),
    vintage: Optional[int] = typer.Option(None, help="MCS release year; default the latest."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
) -> None:
    """World production (capacity, reserves) by country with shares of the world total."""

    def go():
        from critmin import api

        df = api.production(mineral, stage=stage, measure=measure, year=year, vintage=vintage)
        if fmt is not Format.table:
            emit(df, fmt)
            return
        view = df.assign(share_pct=(df["share"] * 100).round(1))
        first = df.iloc[0]
        emit(
            view,
            fmt,
            title=f"{first['commodity']} {measure}, {int(first['year'])} (MCS {int(first['vintage'])})",
            columns=["stage", "series_label", "country", "country_name", "display", "qualifier", "unit", "share_pct"],
        )

    run_command(go)


@app.command()
def imports(
    mineral: str = typer.Argument(..., help="Mineral id, name or symbol."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
) -> None:
    """US import sources: MCS 2026 percentage shares and USITC customs values by partner."""

    def go():
        from critmin import api

        res = api.imports(mineral)
        shares, customs = res["shares"], res["customs"]
        if fmt is Format.json:
            sys.stdout.write(
                json.dumps({"shares": records(shares), "customs": records(customs)}, indent=2, default=json_default) + "\n"
            )
            return
        if fmt is Format.csv:
            import pandas as pd

            both = pd.concat([shares.assign(table="shares"), customs.assign(table="customs")], ignore_index=True)
            emit(both, fmt)
            return
        if shares.empty:
            typer.echo("No MCS import-source shares published for this mineral.")
        else:
            emit(shares, fmt, title="US import sources, share of imports (%, as published)",
                  columns=["form", "partner", "partner_name", "raw", "qualifier", "period", "source_id", "also_in"])
        if customs.empty:
            typer.echo("No USITC HTS heading in the snapshot maps to this mineral.")
        else:
            recent = customs[customs["period"] == "annual"]
            recent = recent[recent["year"] >= recent["year"].max() - 4]
            pivot = recent.pivot_table(index=["hts", "partner_name"], columns="year", values="customs_value_usd", aggfunc="sum")
            pivot = pivot.reset_index()
            pivot.columns = [str(c) for c in pivot.columns]
            emit(pivot, fmt, title="US imports for consumption, customs value (US$), USITC DataWeb")
            for hts, note in customs.loc[customs["mixed"].fillna(False).astype(bool), ["hts", "heading_note"]].drop_duplicates().itertuples(index=False):
                typer.echo(f"note: HTS {hts} — {note}")

    run_command(go)


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
def data_info(fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv.")) -> None:
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


# Commands of other layers live in their own modules (each exposes ``register(app, data_app)``
# and imports nothing heavy at module level), so this file stays the knowledge-base CLI.
_EXTENSIONS = ("critmin.cli_risk", "critmin.cli_model", "critmin.cli_live", "critmin.cli_serve", "critmin.cli_exposure",
               "critmin.cli_tracker", "critmin.cli_montecarlo", "critmin.cli_trade", "critmin.cli_markets")


def _register_extensions() -> None:
    import importlib

    for name in _EXTENSIONS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(app, data_app)


_register_extensions()


def main() -> None:
    app()


if __name__ == "__main__":
    main()

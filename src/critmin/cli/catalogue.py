"""Knowledge-base commands: ``minerals``, ``nir``, ``production``, ``imports``.

They parse, call :mod:`critmin.api` and present; nothing is computed here.
"""

from __future__ import annotations

from typing import Optional

import typer

from critmin.cli.app import FORMAT_HELP, app, run_command
from critmin.cli.output import Format, emit, records, write_csv, write_json


@app.command()
def minerals(
    list_year: Optional[int] = typer.Option(None, "--list", help="Only minerals on the US critical-mineral list of 2018, 2022 or 2025."),
    fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
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


NIR_JSON_COLUMNS = ["commodity", "name", "vintage", "year", "form", "published_name", "nir_value", "nir_qualifier",
                    "nir_low", "nir_high", "nir_display", "import_sources", "import_sources_iso3", "rank",
                    "on_list_2018", "on_list_2022", "on_list_2025", "via_group", "nir_table"]


@app.command()
def nir(
    vintage: Optional[int] = typer.Option(None, help="MCS release year (2023-2026); default the latest."),
    list_year: Optional[int] = typer.Option(None, "--list", help="One row per mineral on the 2018, 2022 or 2025 list."),
    summary: bool = typer.Option(False, "--summary", help="Only the headline counts: N at 100%, M more above 50% "
                                                          "(per mineral of --list, default the list the release refers to)."),
    fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
) -> None:
    """US net import reliance per commodity as published, with its major import sources."""

    def go():
        from critmin import api

        df = api.nir(vintage, list_year)
        v = int(df["vintage"].iloc[0]) if len(df) else vintage
        s = api.headline(v, list_year)
        line = (f"{s['at_100']} at 100%, {s['above_50']} more above 50% "
                f"(per mineral on the {s['list_year']} list, MCS {s['vintage']}, net import reliance in {s['year']})")
        if summary:
            if fmt is Format.json:
                write_json(s)
            elif fmt is Format.csv:
                write_csv([s])
            else:
                typer.echo(line)
            return
        if fmt is Format.json:
            emit(df[NIR_JSON_COLUMNS], fmt)
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
    fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
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
            columns=["stage", "series_label", "country", "country_name", "display", "qualifier", "unit", "share_pct",
                     "share_qualifier"],
        )

    run_command(go)


@app.command()
def imports(
    mineral: str = typer.Argument(..., help="Mineral id, name or symbol."),
    fmt: Format = typer.Option(Format.table, "--format", help=FORMAT_HELP),
) -> None:
    """US import sources: MCS 2026 percentage shares and USITC customs values by partner."""

    def go():
        from critmin import api

        res = api.imports(mineral)
        shares, customs = res["shares"], res["customs"]
        if fmt is Format.json:
            write_json({"shares": records(shares), "customs": records(customs)})
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

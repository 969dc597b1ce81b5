"""Tracker commands of the ``critmin`` CLI: ``tracker``, ``tracker validate``, ``tracker add``.

They parse, call :func:`critmin.api.tracker` (and its validate/add companions) and present;
the statuses are computed in :mod:`critmin.analysis.tracker`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer

from critmin.cli.app import app, run_command
from critmin.cli.output import Format, emit, records, write_json

tracker_app = typer.Typer(
    help="Export controls, agreements and the dates to watch, with each status computed for a day.",
    invoke_without_command=True,
)

_STATUS_TEXT = {
    "in_force": "in force",
    "suspended": "suspended",
    "suspension_lapsed": "suspension lapsed",
    "announced": "announced",
    "expired": "expired",
    "lifted": "lifted",
    "signed": "signed",
}


def _parse_day(text: Optional[str], option: str) -> Optional[dt.date]:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        from critmin.errors import CritminError

        raise CritminError(f"{option}: not a date: {text!r}; expected YYYY-MM-DD") from None


@tracker_app.callback()
def tracker(
    ctx: typer.Context,
    today: Optional[str] = typer.Option(None, "--today", help="The day to compute statuses for (YYYY-MM-DD); default today."),
    country: Optional[str] = typer.Option(None, "--country", help="Restricting country, target or partner (ISO3 or name)."),
    mineral: Optional[str] = typer.Option(None, "--mineral", help="Mineral id, name or symbol."),
    all_dates: bool = typer.Option(False, "--all-dates", help="List every recorded date, not only the last year and what lies ahead."),
    fmt: Optional[str] = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """Measures and agreements with their status on a day, and the next date to watch."""
    if ctx.invoked_subcommand is not None:
        return

    def go():
        from critmin import api

        f = Format(fmt)
        day = _parse_day(today, "--today") or dt.date.today()
        since = None if all_dates or day <= dt.date.min + dt.timedelta(days=365) else day - dt.timedelta(days=365)
        res = api.tracker(day, country=country, mineral=mineral, since=since)
        measures, agreements, dates = res["measures"], res["agreements"], res["dates"]
        if f is Format.json:

            write_json({"today": res["today"], "next": res["next"], "counts": res["counts"],
                        "measures": records(measures), "agreements": records(agreements), "dates": records(dates)})
            return
        if f is Format.csv:
            import pandas as pd

            both = pd.concat([measures.assign(table="measures"), agreements.assign(table="agreements"),
                              dates.assign(table="dates")], ignore_index=True)
            emit(both, f)
            return
        nxt = res["next"]
        typer.echo(f"Tracker on {res['today']}: " + (
            f"next date to watch {nxt['date']} (in {nxt['days_from_today']} days): {nxt['title']}"
            + (f" [{nxt['verification']}]" if nxt["verification"] else "")
            if nxt["date"] else nxt["message"]))
        if not measures.empty:
            view = measures.assign(
                status=measures["status"].map(lambda s: _STATUS_TEXT.get(s, s)),
                minerals=measures["minerals"].map(lambda v: ", ".join(v) if len(v) <= 4 else f"{', '.join(v[:4])} +{len(v) - 4}"),
            )
            counts = ", ".join(f"{v} {_STATUS_TEXT.get(k, k)}" for k, v in res["counts"].items())
            emit(view, f, title=f"Export controls ({counts})",
                 columns=["id", "country", "target", "minerals", "type", "status", "since", "until", "next_date",
                          "verification"])
        else:
            typer.echo("No export control matches.")
        if not agreements.empty:
            emit(agreements.assign(partners=agreements["partners"].map(", ".join)), f, title="US agreements",
                 columns=["id", "partners", "title", "signed", "status", "verification"])
        if not dates.empty:
            is_next = dates["is_next"].fillna(False) if "is_next" in dates else [False] * len(dates)
            shown = dates.assign(
                status=[("NEXT · " if n else "") + s for s, n in zip(dates["status"], is_next)],
                date=[d[:7] if p == "month" else d for d, p in zip(dates["date"], dates["precision"])],
            )
            emit(shown, f, title="Dates" + ("" if all_dates else " (the last 12 months and ahead; --all-dates for all)"),
                 columns=["date", "title", "status", "verification"])
        check = measures[measures["needs_check"]] if not measures.empty else measures
        for r in check.itertuples(index=False):
            typer.echo(f"check: {r.id} — {r.explanation}")

    run_command(go)


@tracker_app.command("validate")
def validate(file: Path = typer.Argument(..., help="A register file (.yaml, .yml or .csv; format in docs/tracker.md).")) -> None:
    """Check a register file against the whole register; list every problem with file, row and field."""

    def go():
        from critmin import api

        entries, problems = api.tracker_validate(file)
        if problems:
            for p in problems:
                typer.echo(f"error: {p}", err=True)
            typer.echo(f"{file}: {len(problems)} problem{'s' if len(problems) != 1 else ''}; nothing was added", err=True)
            raise typer.Exit(1)
        emit(entries, Format.table, title=f"{file}: {len(entries)} entries, all valid",
             columns=["id", "kind", "title", "country", "date", "status", "until", "applies_to", "verification"])

    run_command(go)


@tracker_app.command("add")
def add(
    file: Path = typer.Argument(..., help="A register file to validate and store in the user's register folder."),
    replace: bool = typer.Option(False, "--replace", help="Replace a stored file of the same name."),
) -> None:
    """Validate a register file and store it in the user data folder ($CRITMIN_REGISTER_DIR or ~/.local/share/critmin/register)."""

    def go():
        from critmin import api

        dest, entries = api.tracker_add(file, replace=replace)
        typer.echo(f"added {len(entries)} entries: {dest}")

    run_command(go)


app.add_typer(tracker_app, name="tracker")

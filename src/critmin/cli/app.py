"""The ``critmin`` application: the Typer apps every command module registers on, and
turning critmin's errors into a message and an exit code.

Exit codes: 0 success; 1 the data is wrong (a raw file or the snapshot); 2 the request is
wrong (an unknown mineral, a bad option value). Commands with their own codes say so.
"""

from __future__ import annotations

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

FORMAT_HELP = "table, json or csv."


def fail(message: str, code: int = 2) -> None:
    """Print ``error: message`` on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run_command(fn):
    """Call ``fn`` and turn critmin's own errors into a message and a non-zero exit."""
    from critmin.errors import CritminError, SnapshotError, SourceError

    try:
        return fn()
    except (SourceError, SnapshotError) as exc:  # the data is wrong: exit 1
        fail(str(exc), 1)
    except CritminError as exc:  # the request is wrong: exit 2
        fail(str(exc), 2)


def check_format(value: str, allowed: tuple[str, ...] = ("table", "json", "csv")):
    """A ``--format`` given as text, checked against ``allowed`` (exit 2 otherwise)."""
    from critmin.cli.output import Format

    if value not in allowed:
        typer.echo(f"error: --format must be one of {', '.join(allowed)} (got {value!r})", err=True)
        raise typer.Exit(2)
    return Format(value)

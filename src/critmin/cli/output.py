"""Presenting results: a table in the terminal, JSON, CSV; and the JSON cleaning the web shares.

One module for both interfaces, so the CLI's ``--format json`` and the REST API write the
same values the same way:

* :func:`clean` turns anything a DataFrame or a result holds into plain JSON values: numpy
  scalars and arrays unwrapped, NaN, infinities, ``pd.NA`` and ``NaT`` to ``null``, dates and
  times to ISO strings (a date read back as a midnight timestamp to the date alone).
* :func:`records` gives a DataFrame's rows as cleaned dictionaries; :func:`csv_text` the
  same rows as CSV, lists joined by ``"; "`` and dictionaries as JSON.
* :func:`cell` formats one value for a Rich table: empty for a missing value, never ``nan``.

Only the standard library is imported at module level: ``critmin --help`` loads this module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import sys
from enum import Enum
from typing import Any


class Format(str, Enum):
    """``--format`` of every command."""

    table = "table"
    json = "json"
    csv = "csv"


def clean(value: Any) -> Any:
    """A JSON-ready Python value: numpy scalars unwrapped, NaN/inf/NA/NaT to None, dates ISO."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if type(value).__name__ in ("NAType", "NaTType"):  # before the datetime test: NaT is a datetime
        return None
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date().isoformat()  # a DATE column read back as a midnight timestamp
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [clean(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars (np.float32 is not a float)
        return clean(value.tolist())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def records(df) -> list[dict]:
    """Rows of a DataFrame as JSON-ready dictionaries (:func:`clean` on every value)."""
    if df is None:
        return []
    cols = [str(c) for c in df.columns]
    return [dict(zip(cols, (clean(v) for v in row))) for row in df.itertuples(index=False, name=None)]


def to_json(obj: Any, indent: int | None = 2) -> str:
    """JSON text of a cleaned object (``NaN`` can never reach it)."""
    return json.dumps(clean(obj), indent=indent, allow_nan=False)


def csv_text(rows: list[dict], columns: list[str] | None = None) -> str:
    """CSV of JSON-ready rows: a header row, lists joined by ``"; "``, dictionaries as JSON,
    missing values as empty cells."""
    cols = columns or (list(rows[0]) if rows else [])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for r in rows:
        out = []
        for c in cols:
            v = r.get(c)
            if isinstance(v, (list, tuple)):
                v = "; ".join(map(str, v))
            elif isinstance(v, dict):
                v = json.dumps(v, sort_keys=True)
            out.append("" if v is None else v)
        writer.writerow(out)
    return buf.getvalue()


def cell(v: Any) -> str:
    """One value as a table cell: lists joined, numbers by magnitude, missing values empty."""
    v = clean(v)
    if v is None:
        return ""
    if isinstance(v, list):
        return ", ".join("" if x is None else str(x) for x in v)
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def write_json(obj: Any) -> None:
    """Print an object as indented JSON."""
    sys.stdout.write(to_json(obj) + "\n")


def write_csv(rows: list[dict], columns: list[str] | None = None) -> None:
    """Print JSON-ready rows as CSV."""
    sys.stdout.write(csv_text([clean(r) for r in rows], columns))


def emit(df, fmt: Format, title: str | None = None, columns: list[str] | None = None, json_records=None) -> None:
    """Print a DataFrame as a Rich table, JSON (an array of objects) or CSV."""
    if fmt is Format.json:
        write_json(json_records if json_records is not None else records(df))
        return
    if fmt is Format.csv:
        write_csv(records(df), [str(c) for c in df.columns])
        return
    from rich.console import Console
    from rich.table import Table

    cols = columns or list(df.columns)
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(str(c), overflow="fold")
    for rec in df[cols].itertuples(index=False):
        table.add_row(*[cell(v) for v in rec])
    # Piped output has no terminal width; give it room instead of Rich's 80 columns.
    Console(width=None if sys.stdout.isatty() else 180).print(table)

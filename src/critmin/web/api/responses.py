"""Presenting results over HTTP: tables as JSON or CSV, pages of long lists, errors.

Every list endpoint answers with the same envelope::

    {"items": [...], "total": 812, "limit": 100, "offset": 0, "meta": {...}}

and, with ``?format=csv``, the same rows (the requested page) as CSV with a header row and
lists joined by ``"; "`` (the CLI's convention), so a spreadsheet opens it as is.
Missing values are ``null`` in JSON and empty cells in CSV; a qualifier column always says
why a value is missing, so nothing is turned into 0.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response
from pydantic import BaseModel

# One cleaning and one CSV writer for the CLI and the web: the same values, written the same way.
from critmin.cli.output import clean, csv_text, records  # noqa: F401 - re-exported for the routers


class Format(str, Enum):
    json = "json"
    csv = "csv"


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON; text that is not valid Unicode (a lone surrogate) goes out as a ``\\u`` escape."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # echoing a client's malformed text must not become a 500
        return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode("ascii")


def json_response(obj: Any, status_code: int = 200) -> Response:
    return Response(content=dumps(clean(obj)), status_code=status_code, media_type="application/json")


def csv_response(rows: list[dict], filename: str, columns: list[str] | None = None) -> Response:
    return Response(
        content=csv_text(rows, columns).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}.csv"'},
    )


def table_response(df_or_rows, fmt: Format, filename: str, *, limit: int | None = None, offset: int = 0,
                   meta: dict | None = None) -> Response:
    """A list endpoint's answer: the envelope in JSON, or the page as CSV."""
    rows = df_or_rows if isinstance(df_or_rows, list) else records(df_or_rows)
    columns = None if isinstance(df_or_rows, list) else [str(c) for c in df_or_rows.columns]
    total = len(rows)
    page = rows[offset: offset + limit] if limit is not None else rows[offset:]
    if fmt is Format.csv:
        return csv_response(page, filename, columns)
    return json_response({"items": page, "total": total, "limit": limit, "offset": offset, "meta": meta or {}})


class Problem(BaseModel):
    """Every error's body: a sentence saying what is wrong (and, for 422, one entry per field)."""

    detail: str
    errors: list[dict] | None = None


def _error_docs(*codes: int) -> dict:
    text = {
        400: "The request body cannot be read at all (e.g. a broken multipart form).",
        401: "Missing, malformed, unknown or revoked API key (writes only).",
        404: "Unknown mineral, preset, market, scenario or run, or data the snapshot does not have.",
        413: "Request body or upload too large (the limit is 1 MB; 256 KiB for an uploaded file).",
        422: "A malformed parameter, body or scenario (a NUL character in the URL, JSON nested too deeply, "
             "a non-finite number, text too long); `errors` lists the fields.",
        503: "No snapshot installed, a part of the analytics missing from this build, or the database busy "
             "(with `Retry-After`).",
    }
    return {c: {"model": Problem, "description": text[c]} for c in codes}


#: Documented answers of every API route: a table as JSON or CSV, and the errors.
RESPONSES: dict = {
    200: {"content": {"application/json": {}, "text/csv": {}}, "description": "JSON, or CSV with `format=csv`."},
    **_error_docs(404, 413, 422, 503),
}
WRITE_RESPONSES: dict = _error_docs(400, 401)
#: Extra documented answers of a route that reads a request body without a key.
BODY_RESPONSES: dict = _error_docs(400)


def problem(status: int, message: str) -> HTTPException:
    """An HTTP error whose body is ``{"detail": message}``."""
    return HTTPException(status_code=status, detail=message)

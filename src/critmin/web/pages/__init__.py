"""The dashboard's pages: one HTML shell per page, filled in the browser from the REST API.

The shell (``web/templates/base.html``) carries the navigation and loads the page's script
from ``web/static/js/pages/<page>.js``; every number is fetched from ``/api/v1`` so the
pages show what the API (and so the CLI) returns. Shells are rendered once and kept in
memory. The templates and static files stay in ``web/templates`` and ``web/static`` (not
under this package): the front-end is developed there on its own, and the app mounts
``web/static`` at ``/static``.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

PAGES = {
    "overview": "Overview: where the US is exposed",
    "mineral": "Mineral",
    "scenarios": "Scenario builder",
    "tracker": "Tracker: controls, agreements, deadlines",
    "data": "Data: sources, vintages, licences",
    "notfound": "Not found",
}


@lru_cache(maxsize=256)
def render(page: str, heading: str, mineral: str = "") -> str:
    from critmin import __version__

    text = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    values = {"title": heading, "heading": heading, "page": page, "mineral": mineral, "version": __version__}
    for k, v in values.items():
        text = text.replace("{{" + k + "}}", html.escape(str(v), quote=True))
    return text


def _page(page: str, status: int = 200, **kw) -> HTMLResponse:
    return HTMLResponse(render(page, kw.pop("heading", PAGES[page]), **kw), status_code=status,
                        headers={"cache-control": "no-cache"})


@router.get("/", response_class=HTMLResponse)
def overview():
    return _page("overview")


@router.get("/minerals/{mineral}", response_class=HTMLResponse)
def mineral(mineral: str):
    from critmin.errors import UnknownCommodityError
    from critmin.vocab import commodities as vc

    try:
        c = vc.lookup(mineral)
    except UnknownCommodityError as exc:
        shell = render("notfound", "Unknown mineral")
        message = f'<h1>Unknown mineral</h1><p class="error" role="alert">{html.escape(str(exc))}</p>'
        return HTMLResponse(shell.replace("<h1>Unknown mineral</h1>", message), status_code=404)
    return _page("mineral", heading=c.name, mineral=c.commodity_id)


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios():
    return _page("scenarios")


@router.get("/tracker", response_class=HTMLResponse)
def tracker():
    return _page("tracker")


@router.get("/data", response_class=HTMLResponse)
def data():
    return _page("data")

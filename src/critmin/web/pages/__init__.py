"""The dashboard's pages: one HTML shell per page, filled in the browser from the REST API.

The shell (``web/templates/base.html``) carries the navigation and loads the page's script
from ``web/static/js/pages/<page>.js``; every number is fetched from ``/api/v1`` so the
pages show what the API (and so the CLI) returns. Shells are rendered once and kept in
memory. Without JavaScript each shell says what the page would show and links to the same
content rendered on the server (the HTML reports) and to the API and CLI equivalents. The
templates and static files stay in ``web/templates`` and ``web/static`` (not under this
package): the app mounts ``web/static`` at ``/static``.
"""

from __future__ import annotations

import difflib
import html
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

PAGES = {
    "overview": "Overview: where the US is exposed",
    "mineral": "Mineral",
    "scenarios": "Scenario builder",
    "tracker": "Tracker: controls, agreements, deadlines",
    "data": "Data: sources, vintages, licences",
    "exposure": "Company exposure: a bill of materials",
    "notfound": "Not found",
    "montecarlo": "Risk runs: disruptions, stockpiles, projects",
}

_NS_HEAD = ('<noscript><div class="noscript" data-testid="noscript"><p><strong>This page is drawn in your browser '
            'with JavaScript, which is off or blocked here.</strong> ')
#: What each page shows, and where to read the same without JavaScript ({m}: the mineral id).
NOSCRIPT = {
    "overview": _NS_HEAD + "It shows how many listed minerals the US imports entirely or mostly, the supply-risk "
    "ranking and risk matrix, mining versus processing concentration and a map of where processing happens.</p>"
    '<ul><li>The same, rendered on the server: <a href="/api/v1/report/overview.html">overview report (HTML)</a></li>'
    '<li>As data: <a href="/api/v1/nir/summary">/api/v1/nir/summary</a>, <a href="/api/v1/risk/ranking?format=csv">'
    'risk ranking (CSV)</a>, <a href="/api/v1/concentration?format=csv">concentration (CSV)</a></li>'
    "<li>In a terminal: <code>critmin nir --list 2025</code>, <code>critmin risk</code>, <code>critmin gap</code></li></ul></div></noscript>",
    "mineral": _NS_HEAD + "It shows the mineral's US net import reliance by year, production by country and stage, "
    "concentration, US import sources, world trade flows, export controls, prices and every supply-risk method.</p>"
    '<ul><li>The same, rendered on the server: <a href="/api/v1/minerals/{m}/dossier.html">dossier (HTML)</a></li>'
    '<li>As data: <a href="/api/v1/minerals/{m}/dossier">dossier (JSON)</a>, <a href="/api/v1/minerals/{m}/nir?format=csv">'
    'reliance (CSV)</a>, <a href="/api/v1/minerals/{m}/production?format=csv">production (CSV)</a></li>'
    "<li>In a terminal: <code>critmin mineral {m} --out {m}.html</code>, <code>critmin production {m}</code>, "
    "<code>critmin trade {m}</code></li></ul></div></noscript>",
    "scenarios": _NS_HEAD + "The scenario builder needs it to assemble and run a scenario.</p>"
    '<ul><li>Through the API: <code>POST /api/v1/scenarios/run</code> (<a href="/api/docs">API docs</a>), '
    '<a href="/api/v1/presets">the preset scenarios</a></li>'
    "<li>In a terminal: <code>critmin scenarios</code>, <code>critmin simulate PRESET</code>, "
    "<code>critmin compare A.yaml B.yaml</code></li></ul></div></noscript>",
    "tracker": _NS_HEAD + "It shows the dates that matter relative to today, export controls with their status "
    "today and US agreements by partner.</p>"
    '<ul><li>As data: <a href="/api/v1/tracker/dates">dates</a>, <a href="/api/v1/tracker/export-controls?format=csv">'
    'export controls (CSV)</a>, <a href="/api/v1/tracker/agreements?format=csv">agreements (CSV)</a></li>'
    "<li>In a terminal: <code>critmin tracker</code></li></ul></div></noscript>",
    "data": _NS_HEAD + "It lists the sources with citations, DOIs, licences and vintages, and the snapshot's tables.</p>"
    '<ul><li>As data: <a href="/api/v1/sources?format=csv">sources (CSV)</a>, <a href="/api/v1/tables?format=csv">'
    "tables (CSV)</a></li><li>In a terminal: <code>critmin data info</code></li></ul></div></noscript>",
    "exposure": _NS_HEAD + "It reads a bill of materials (uploaded, or an example) and shows its exposure by mineral, "
    "stage and country, the cost of policy scenarios, eligibility under origin rules and alternative origins.</p>"
    '<ul><li>The same, rendered on the server: <a href="/api/v1/exposure/examples/ev_traction_motor/report.html?rules=usmca">'
    "example report (HTML)</a></li><li>Through the API: <code>POST /api/v1/exposure</code> with the bill as a file "
    '(<a href="/api/docs">API docs</a>), <a href="/api/v1/exposure/options">examples, scenarios and rule sets</a></li>'
    "<li>In a terminal: <code>critmin exposure BOM.csv --rules usmca --format html -o report.html</code></li></ul></div></noscript>",
    "notfound": "",
    "montecarlo": _NS_HEAD + "It starts Monte Carlo runs on the server (disruptions of a mineral, stockpile sizing, "
    "a project's NPV and IRR with and without a price floor, the expected-loss ranking), follows their progress "
    "and draws their distributions.</p>"
    '<ul><li>Through the API: <code>POST /api/v1/jobs/montecarlo</code>, <code>GET /api/v1/jobs/{id}</code>, '
    '<code>GET /api/v1/jobs/{id}/report.html</code> (<a href="/api/docs">API docs</a>)</li>'
    "<li>In a terminal: <code>critmin montecarlo gallium --draws 2000 --seed 1</code>, <code>critmin stockpile "
    "gallium</code>, <code>critmin project lithium --deposit \"Thacker Pass\" --floor 20000</code>, "
    "<code>critmin montecarlo all</code> (add <code>--format html -o report.html</code> for a report)</li></ul>"
    "</div></noscript>",
}


@lru_cache(maxsize=256)
def render(page: str, heading: str, mineral: str = "") -> str:
    from critmin import __version__

    text = (TEMPLATES / "base.html").read_text(encoding="utf-8")
    text = text.replace("{{noscript}}", NOSCRIPT[page].replace("{m}", html.escape(quote(mineral, safe=""), quote=True)))
    values = {"title": heading, "heading": heading, "page": page, "mineral": mineral, "version": __version__}
    for k, v in values.items():
        text = text.replace("{{" + k + "}}", html.escape(str(v), quote=True))
    return text


def _page(page: str, status: int = 200, **kw) -> HTMLResponse:
    return HTMLResponse(render(page, kw.pop("heading", PAGES[page]), **kw), status_code=status,
                        headers={"cache-control": "no-cache"})


def _close_minerals(text: str, n: int = 3) -> list:
    """Catalogue entries whose name or id is close to ``text`` (for "did you mean", without JavaScript)."""
    from critmin.vocab import commodities as vc

    cat = vc.catalogue()
    keys = {}
    for c in cat.values():
        keys[c.name.casefold()] = c
        keys[c.commodity_id.replace("-", " ")] = c
    wanted = str(text).strip().casefold().replace("-", " ").replace("_", " ")
    out = []
    for k in difflib.get_close_matches(wanted, list(keys), n=n * 2, cutoff=0.6):
        if keys[k] not in out:
            out.append(keys[k])
    return out[:n]


def not_found(what: str, text: str = "") -> HTMLResponse:
    """The 404 page: what was not found, the closest mineral names, and where to go."""
    shell = render("notfound", "Not found")
    close = _close_minerals(text) if text else []
    links = ", ".join(f'<a href="/minerals/{quote(c.commodity_id)}">{html.escape(c.name)}</a>' for c in close)
    body = (f'<h1>Not found</h1><p class="error" role="alert" data-testid="not-found-message">{html.escape(what)}</p>'
            + (f'<p class="did-you-mean" data-testid="did-you-mean-server">Did you mean {links}?</p>' if close else "")
            + '<div id="suggestions"></div>'
            '<p>Go to the <a href="/">overview</a> (every listed mineral), the <a href="/tracker">tracker</a>, '
            'the <a href="/data">data sources</a> or the <a href="/api/docs">API</a>, or type a mineral in the search box.</p>')
    return HTMLResponse(shell.replace("<h1>Not found</h1>", body), status_code=404, headers={"cache-control": "no-cache"})


def not_found_path(path: str) -> HTMLResponse:
    """The 404 page for a path no page or endpoint answers (the last path segment may be a mineral)."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return not_found(f"There is no page at {path}.", last if len(last) <= 60 else "")


@router.get("/", response_class=HTMLResponse)
def overview():
    return _page("overview")


@router.get("/minerals", response_class=HTMLResponse)
def mineral_search(q: str = Query("", max_length=100)):
    """The header's search box without JavaScript: ``/minerals?q=gallium`` goes to the mineral's page."""
    q = q.strip()
    if not q:
        return RedirectResponse("/", status_code=303)
    return RedirectResponse("/minerals/" + quote(q, safe=""), status_code=303)


@router.get("/minerals/{mineral}", response_class=HTMLResponse)
def mineral(mineral: str):
    from critmin.errors import UnknownCommodityError
    from critmin.vocab import commodities as vc

    try:
        c = vc.lookup(mineral)
    except UnknownCommodityError:
        return not_found(f"No mineral is called “{mineral}” in critmin's catalogue (unknown mineral).", mineral)
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


@router.get("/montecarlo", response_class=HTMLResponse)
def montecarlo():
    return _page("montecarlo")

@router.get("/exposure", response_class=HTMLResponse)
def exposure():
    return _page("exposure")

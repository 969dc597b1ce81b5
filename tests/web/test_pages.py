"""The dashboard pages as a reader sees them, on the real committed snapshot, in Debian's Chromium.

What the trial of issue 11 found, each checked here: qualifiers in words ("100% (estimated)",
"more than 95%", never "100e %"); bounded years drawn (rare earths 2022-23 at >95); a reliance
chart for lithium and germanium (bounds only); a price series that ended long ago says so;
readable ticks; plain risk-term labels; risk-matrix labels that neither overlap nor are cut
off; no text under 11 px at 390, 820 and 1366 px; charts with an accessible name and a table
alternative; sortable tables from the keyboard; a message without JavaScript; a 404 page for
any unknown path; did-you-mean for mineral names. Plus: no script error, no request leaving
the machine, world trade flows on the mineral page.

Screenshots of every page at the three widths go to ``$CRITMIN_SCREENSHOTS`` or, by default,
``out/screenshots/`` (gitignored) for a person to compare with ``docs/screenshots/``.

Skipped with the reason when Chromium, Playwright or the committed snapshot is absent.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "src" / "critmin" / "snapshot_data"

if not Path(CHROMIUM).exists():
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)
if not (REAL / "manifest.json").is_file():
    pytest.skip(f"no committed snapshot at {REAL}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright Python package")

#: name -> path; every page of the dashboard (the builder is checked for rendering and a11y only)
PAGES = {
    "overview": "/",
    "mineral-gallium": "/minerals/gallium",
    "mineral-rare-earths": "/minerals/rare-earths",
    "mineral-lithium": "/minerals/lithium",
    "tracker": "/tracker",
    "data": "/data",
    "scenarios": "/scenarios",
    "exposure": "/exposure",
    "notfound": "/minerals/galium",
}
WIDTHS = {"phone": (390, 844), "tablet": (820, 1180), "laptop": (1366, 900)}
MIN_FONT_PX = 11


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _real_snapshot():
    """The store reads the committed snapshot during each test (other web tests use a tiny one)."""
    from critmin import store

    if os.environ.get("CRITMIN_SNAPSHOT") != str(REAL):
        os.environ["CRITMIN_SNAPSHOT"] = str(REAL)
        store.reset()
    yield


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    """``critmin serve`` on the real snapshot, in a thread of the test process, on 127.0.0.1."""
    import uvicorn

    from critmin import store
    from critmin.web.app import create_app

    before = os.environ.get("CRITMIN_SNAPSHOT")
    os.environ["CRITMIN_SNAPSHOT"] = str(REAL)
    store.reset()
    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('pagesdb') / 'pages.db'}")
    assert app.state.warm.wait(600), "warm-up did not finish"  # a hang guard, not a speed bar
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    if before is None:
        os.environ.pop("CRITMIN_SNAPSHOT", None)
    else:
        os.environ["CRITMIN_SNAPSHOT"] = before
    store.reset()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    d = Path(os.environ.get("CRITMIN_SCREENSHOTS") or ROOT / "out" / "screenshots")
    d.mkdir(parents=True, exist_ok=True)
    return d


def new_page(browser, width: int = 1366, height: int = 900, **kw):
    """A page in a fresh context that records script errors, failed loads and outside requests."""
    context = browser.new_context(viewport={"width": width, "height": height}, **kw)
    pg = context.new_page()
    pg.errors, pg.failed, pg.external = [], [], []
    pg.on("pageerror", lambda e: pg.errors.append(f"pageerror: {e}"))
    pg.on("console", lambda m: pg.errors.append(f"console: {m.text}") if m.type == "error" else None)
    pg.on("response", lambda r: pg.failed.append((r.status, r.url)) if r.status >= 400 else None)
    pg.on("request", lambda r: pg.external.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    return pg


def open_page(pg, url: str, trade: bool = True, tables: bool = True) -> None:
    """Load a page, wait for its script (and its trade section); open the table alternatives."""
    pg.goto(url)
    pg.wait_for_selector("body[data-ready=true]", timeout=60000)
    if trade and pg.locator("[data-testid=trade]").count():
        pg.wait_for_selector("[data-testid=trade][data-state=ready]", timeout=120000)
    if tables:
        open_tables(pg)


def open_tables(pg) -> None:
    pg.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


def expected_failures(pg) -> list[tuple[int, str]]:
    """Failed loads a page may make on purpose: its own 404 document, a trade stage without codes
    (404), content tonnes of codes without a defensible content factor (422, said on the page)."""
    return [(s, u) for s, u in pg.failed
            if not (s == 404 and ("/api/v1/trade/" in u or "/minerals/galium" in u or "/no/such/page" in u))
            and not (s == 422 and "/api/v1/trade/" in u and "measure=content_t" in u)]


def script_errors(pg) -> list[str]:
    """Script errors, leaving out the browser's own line for each expected failed load."""
    loads = [e for e in pg.errors if "Failed to load resource" in e]
    others = [e for e in pg.errors if "Failed to load resource" not in e]
    unexpected = expected_failures(pg)
    assert len(loads) <= len(pg.failed), (loads, pg.failed)
    return others + ([f"failed loads: {unexpected}"] if unexpected else [])


# --- every page ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_with_accessible_charts(real_server, browser, shots, name):
    pg = new_page(browser)
    open_page(pg, real_server + PAGES[name], tables=False)
    assert script_errors(pg) == []
    assert pg.external == [], f"requests leaving the machine: {pg.external}"
    boxes = pg.locator(".chart-box")
    for i in range(boxes.count()):
        label = boxes.nth(i).get_attribute("aria-label") or ""
        assert len(label) > 20 and label.lower() != "chart", label
        fig = boxes.nth(i).locator("xpath=ancestor::figure[1]")
        assert fig.locator("details.chart-table table tbody tr").count() >= 1, f"{label}: no table alternative"
        assert boxes.nth(i).locator("svg").count() >= 1, f"{label}: not drawn"
    least = {"overview": 4, "tracker": 1}.get(name, 5 if name.startswith("mineral") else 0)
    assert boxes.count() >= least, f"{name}: {boxes.count()} charts"
    for wname, (w, h) in WIDTHS.items():
        pg.set_viewport_size({"width": w, "height": h})
        pg.wait_for_timeout(150)  # charts follow their box's size
        pg.screenshot(path=str(shots / f"{name}-{wname}.png"), full_page=True)
    pg.context.close()


FONT_SIZES_JS = """() => {
  const small = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el)) continue;
    seen.add(el);
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden' || el.closest('[hidden], noscript, script, style, title')) continue;
    let px = parseFloat(style.fontSize);
    // SVG text is drawn at its size times the drawing's scale (a viewBox shrinks it)
    if (el instanceof SVGElement && el.getScreenCTM) { const m = el.getScreenCTM(); if (m) px *= Math.hypot(m.a, m.b); }
    if (px < %(min)s - 0.01) small.push(`${px.toFixed(1)}px <${el.tagName.toLowerCase()} class="${el.getAttribute('class') || ''}">${node.textContent.trim().slice(0, 40)}`);
  }
  return small;
}""" % {"min": MIN_FONT_PX}


@pytest.mark.parametrize("width", [w for w, _ in WIDTHS.values()])
@pytest.mark.parametrize("name", ["overview", "mineral-rare-earths", "tracker", "data", "notfound", "scenarios", "exposure"])
def test_no_text_under_11px_and_no_sideways_scroll(real_server, browser, name, width):
    pg = new_page(browser, width, 900)
    open_page(pg, real_server + PAGES[name])
    pg.wait_for_timeout(100)
    assert pg.evaluate(FONT_SIZES_JS) == []
    assert pg.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    pg.context.close()


# --- reading the mineral pages ----------------------------------------------------------------------

def chart_option(pg, testid: str) -> dict:
    return pg.evaluate(f"""() => {{
      const box = document.querySelector('[data-testid="{testid}"] .chart-box');
      const opt = echarts.getInstanceByDom(box).getOption();
      return {{series: opt.series.map(s => ({{type: s.type, name: s.name, data: s.data}}))}};
    }}""")


def test_rare_earths_bounded_years_are_drawn_as_ranges(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/minerals/rare-earths", trade=False)
    option = chart_option(pg, "nir-chart")
    ranges = [d for s in option["series"] if s["type"] == "custom" for d in s["data"]]
    assert [(d[0], d[1], d[2]) for d in ranges] == [(2022, 95, 100), (2023, 95, 100)]
    assert all(d[3] == "more than 95%" for d in ranges)
    table = pg.locator("[data-testid=nir-table] tbody tr")
    words = {table.nth(i).locator("td").nth(0).inner_text(): table.nth(i).locator("td").nth(3).inner_text() for i in range(table.count())}
    assert words["2022"] == words["2023"] == "more than 95%"
    assert words["2024"] == "80% (estimated)"
    assert pg.inner_text("[data-testid=kpi-nir] .value") == "67% (estimated)"
    pg.context.close()


def test_qualifiers_in_words_never_codes(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/minerals/gallium", trade=False)
    assert pg.inner_text("[data-testid=kpi-nir] .value") == "100% (estimated)"
    text = pg.inner_text("main")
    assert not re.search(r"\d[\d,.]*e\b\s*%?", text), re.findall(r".{20}\d[\d,.]*e\b\s*%?.{10}", text)
    assert "900,000 (estimated)" in pg.inner_text("[data-testid=production-processing]")
    rows = pg.locator("[data-testid=production-table-processing] tbody tr")
    us = [rows.nth(i).inner_text() for i in range(rows.count()) if rows.nth(i).inner_text().startswith("United States")]
    assert us and ("zero" in us[0] or "withheld" in us[0]), us
    pg.context.close()


@pytest.mark.parametrize("mineral", ["lithium", "germanium"])
def test_a_reliance_published_only_as_bounds_gets_a_chart(real_server, browser, mineral):
    pg = new_page(browser)
    open_page(pg, real_server + f"/minerals/{mineral}", trade=False)
    assert pg.locator("[data-testid=nir-chart] .chart-box svg").count() == 1
    option = chart_option(pg, "nir-chart")
    ranges = [d for s in option["series"] if s["type"] == "custom" for d in s["data"]]
    assert len(ranges) >= 3, ranges
    assert all(d[3].startswith("more than") for d in ranges)
    pg.context.close()


def test_a_series_that_ended_long_ago_says_so(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/minerals/gallium", trade=False)
    metas = pg.locator("[data-testid=prices] [data-testid=series-meta]").all_inner_texts()
    years_ago = dt.date.today().year - 1992
    assert any(f"annual, 1943–1992; ended {years_ago} years ago" in m and "Source: " in m for m in metas), metas
    # readable ticks: 0, 500k, 1M, 1.5M ... (no 2.3M, no 750,000), the unit named on the axis
    ticks = pg.locator("[data-testid=prices] .chart-box svg text").evaluate_all("ts => ts.map(t => t.textContent)")
    numeric = [t for t in ticks if re.fullmatch(r"[\d.,]+[kMB]?", t)]
    assert "0" in numeric and any(t.endswith("M") for t in numeric), numeric
    for t in numeric:
        if t.endswith(("k", "M", "B")):
            assert re.fullmatch(r"\d+(\.(25|5|75))?[kMB]", t), t
    assert any("US$" in t for t in ticks), ticks
    pg.context.close()


def test_risk_terms_have_plain_names(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/minerals/gallium", trade=False)
    terms = pg.locator("[data-testid=risk] table tbody th").all_inner_texts()
    assert "Governance-weighted concentration (global)" in terms
    assert not [t for t in terms if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", t)], terms
    pg.context.close()


def test_processing_concentration_says_how_it_was_derived(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/minerals/rare-earths", trade=False)
    item = pg.locator("[data-testid=stage-view] li[data-stage=processing]")
    assert item.get_attribute("data-derived-from") == "baci_exports"
    assert "from world export values (CEPII BACI)" in item.inner_text()
    pg.context.close()


def test_risk_matrix_labels_neither_overlap_nor_are_cut_off(real_server, browser):
    for width in (1366, 820, 390):
        pg = new_page(browser, width, 900)
        open_page(pg, real_server + "/")
        boxes = pg.evaluate("""() => {
          const svg = document.querySelector('[data-testid=matrix-chart] .chart-box svg');
          const frame = svg.getBoundingClientRect();
          const out = [];
          for (const t of svg.querySelectorAll('text')) {
            const r = t.getBoundingClientRect();
            if (r.width && t.textContent.trim()) out.push({t: t.textContent, l: r.left, r: r.right, top: r.top, b: r.bottom, inside: r.left >= frame.left - 0.5 && r.right <= frame.right + 0.5 && r.top >= frame.top - 0.5 && r.bottom <= frame.bottom + 0.5});
          }
          return out;
        }""")
        assert len(boxes) > 20
        assert [b["t"] for b in boxes if not b["inside"]] == [], f"cut off at {width}px"
        clashes = []
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                w = min(a["r"], b["r"]) - max(a["l"], b["l"])
                h = min(a["b"], b["b"]) - max(a["top"], b["top"])
                if w > 1 and h > 1:
                    clashes.append((a["t"], b["t"]))
        assert clashes == [], f"overlapping labels at {width}px: {clashes}"
        pg.context.close()


def test_world_trade_flows_on_the_mineral_page(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/minerals/cobalt")
    card = pg.locator("[data-testid=trade]")
    assert card.locator("#trade-stage option").all_inner_texts()[0].startswith("Processing")
    assert "282200, 810510" in card.locator("[data-testid=trade-note]").inner_text()
    label = card.locator("[data-testid=trade-sankey] .chart-box").get_attribute("aria-label")
    assert label.startswith("World trade flows of Cobalt, processing")
    assert card.locator("[data-testid=trade-sankey] details tbody tr").count() >= 10
    shares = card.locator("[data-testid=trade-shares-chart] .chart-box").get_attribute("aria-label")
    assert re.search(r"1995-2024", shares), shares
    # the exporters' shares of the latest year equal the API's
    import httpx

    api_rows = httpx.get(real_server + "/api/v1/trade/cobalt?stage=processing", timeout=60).json()["items"]
    shown = card.locator("[data-testid=trade-exporters] details tbody tr").nth(0).inner_text()
    assert api_rows[0]["partner_name"].split()[0] in shown or "Congo" in shown
    assert f"{api_rows[0]['share_low'] * 100:.1f}%" in shown
    # content tonnes: cobalt's mattes have no defensible cobalt content, so the page says so
    pg.select_option("#trade-measure", "content_t")
    pg.wait_for_selector("[data-testid=trade][data-state=ready] [data-testid=trade-body] .notice", timeout=120000)
    assert "no defensible content factor" in card.locator("[data-testid=trade-body]").inner_text()
    assert script_errors(pg) == []
    pg.context.close()


def test_trade_in_content_tonnes_draws_shares_as_ranges(real_server, browser):
    """Lithium hydroxide's content is a range (LiOH.H2O to Li2O): its shares are ranges, drawn as such."""
    pg = new_page(browser)
    open_page(pg, real_server + "/minerals/lithium")
    pg.select_option("#trade-measure", "content_t")
    pg.wait_for_selector("[data-testid=trade][data-state=ready] [data-testid=trade-shares-chart]", timeout=120000)
    open_tables(pg)
    assert "content tonnes" in pg.locator("[data-testid=trade-note]").inner_text().lower()
    option = chart_option(pg, "trade-shares-chart")
    assert any(s["type"] == "custom" for s in option["series"]), [s["type"] for s in option["series"]]
    shares = pg.locator("[data-testid=trade-exporters] details tbody tr").all_inner_texts()
    assert any(" and " in t for t in shares), shares  # "between 30.1% and 34.2%"
    assert script_errors(pg) == []
    pg.context.close()


def test_rare_earth_trade_says_the_codes_are_mixed(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/minerals/rare-earths")
    note = pg.locator("[data-testid=trade-note]").inner_text()
    assert "mix several minerals" in note and "never as one member's figure" in note
    assert "mine" in pg.locator("[data-testid=trade]").inner_text()  # says the mine stage has no code
    pg.context.close()


# --- tables, keyboard, no JavaScript, 404, did-you-mean -------------------------------------------

def test_tables_sort_from_the_keyboard(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/data")
    header = pg.locator("[data-testid=tables-table] thead th").nth(1)  # Rows
    button = header.locator("button")
    button.focus()
    pg.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "descending"  # a number column sorts largest first
    rows = [int(t.replace(",", "")) for t in pg.locator("[data-testid=tables-table] tbody td[data-col=rows]").all_inner_texts()]
    assert rows == sorted(rows, reverse=True) and len(rows) > 3
    pg.keyboard.press("Space")
    assert header.get_attribute("aria-sort") == "ascending"
    rows = [int(t.replace(",", "")) for t in pg.locator("[data-testid=tables-table] tbody td[data-col=rows]").all_inner_texts()]
    assert rows == sorted(rows)
    # the other headers are reached with Tab and say nothing about order until used
    pg.keyboard.press("Tab")
    focused = pg.evaluate("document.activeElement.closest('th') && document.activeElement.closest('th').cellIndex")
    assert focused == 2
    assert pg.locator("[data-testid=tables-table] thead th[aria-sort]").count() == 1
    pg.context.close()


@pytest.mark.parametrize("name, link", [("overview", "/api/v1/report/overview.html"), ("mineral-gallium", "/api/v1/minerals/gallium/dossier.html"),
                                        ("tracker", "/api/v1/tracker/dates"), ("data", "/api/v1/sources?format=csv"), ("scenarios", "/api/docs"),
                                        ("exposure", "/api/v1/exposure/examples/ev_traction_motor/report.html?rules=usmca")])
def test_without_javascript_a_page_says_what_it_would_show(real_server, browser, name, link):
    import httpx

    pg = new_page(browser, java_script_enabled=False)
    pg.goto(real_server + PAGES[name])
    box = pg.locator("[data-testid=noscript]")
    assert box.is_visible()
    assert "JavaScript" in box.inner_text() and "critmin " in box.inner_text()
    assert box.locator(f"a[href='{link}']").count() == 1
    assert httpx.get(real_server + link, timeout=120).status_code == 200
    pg.context.close()


def test_unknown_paths_get_the_404_page(real_server, browser):
    pg = new_page(browser)
    resp = pg.goto(real_server + "/no/such/page")
    assert resp.status == 404 and "text/html" in resp.headers["content-type"]
    pg.wait_for_selector("body[data-ready=true]")
    assert "There is no page at /no/such/page" in pg.inner_text("main")
    assert pg.locator("main a[href='/']").count() >= 1
    import httpx

    api404 = httpx.get(real_server + "/api/v1/no-such-endpoint")
    assert api404.status_code == 404 and api404.headers["content-type"].startswith("application/json")
    pg.context.close()


def test_unknown_mineral_offers_the_closest_names(real_server, browser):
    pg = new_page(browser)
    resp = pg.goto(real_server + "/minerals/galium")
    assert resp.status == 404
    pg.wait_for_selector("body[data-ready=true]")
    assert "unknown mineral" in pg.inner_text("main")
    offer = pg.locator("[data-testid=did-you-mean]")
    assert offer.locator("a[href='/minerals/gallium']").count() == 1
    pg.context.close()
    # without JavaScript the server makes the same offer
    pg = new_page(browser, java_script_enabled=False)
    pg.goto(real_server + "/minerals/germanum")
    assert pg.locator("[data-testid=did-you-mean-server] a[href='/minerals/germanium']").count() == 1
    pg.context.close()


def test_search_box_goes_to_a_mineral_or_offers_the_closest(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/data")
    pg.fill("#mineral-input", "galium")
    pg.press("#mineral-input", "Enter")
    hint = pg.locator("#mineral-hint")
    hint.wait_for(state="visible")
    assert hint.locator("a[href='/minerals/gallium']").count() == 1
    assert pg.url.endswith("/data")
    for typed, target in (("Gallium", "/minerals/gallium"), ("Li", "/minerals/lithium"), ("rare earths", "/minerals/rare-earths")):
        pg.fill("#mineral-input", typed)
        with pg.expect_navigation():
            pg.press("#mineral-input", "Enter")
        assert pg.url.endswith(target), (typed, pg.url)
        pg.goto(real_server + "/data")
        pg.wait_for_selector("body[data-ready=true]")
    pg.context.close()
    # without JavaScript the form still goes to the mineral's page
    pg = new_page(browser, java_script_enabled=False)
    pg.goto(real_server + "/data")
    pg.fill("#mineral-input", "cobalt")
    with pg.expect_navigation():
        pg.press("#mineral-input", "Enter")
    assert pg.url.endswith("/minerals/cobalt")
    pg.context.close()

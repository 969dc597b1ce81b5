"""End-to-end: the dashboard in headless Chromium (Debian's ``chromium``) driven by Playwright.

The app runs on the tiny snapshot in a uvicorn server on 127.0.0.1 (a free port), in a
thread of the test process. Each page must render without a JavaScript error, and the
numbers it shows must equal what the API returns. How fast a page renders is measured by
``benchmarks/bench_web.py`` (bar 1.5 s), not here: a timed test fails whenever the machine
is loaded. Screenshots go to
``$CRITMIN_SCREENSHOTS`` (default: the test's tmp folder) so a person can look at them.

Skipped with the reason when ``/usr/bin/chromium`` or the ``playwright`` package is absent.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright Python package")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(app):
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    assert app.state.warm.wait(600), "warm-up did not finish"  # a hang guard, not a speed bar
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    d = Path(os.environ.get("CRITMIN_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    pg.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    # a mineral without world-trade codes at a stage answers 404 there, as documented; the
    # browser logs each such response as a console error, which is not a script error
    pg.on("response", lambda r: errors.append(f"expected 404: {r.url}") if r.status == 404 and "/api/v1/trade/" in r.url else None)
    pg.errors = errors
    pg.external = []
    pg.on("request", lambda r: pg.external.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)
    yield pg
    context.close()


def open_page(page, url: str) -> float:
    """Load a page and wait until its script says it is ready; return the seconds taken."""
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=15000)
    return time.perf_counter() - t0


def as_displayed(v: float) -> str:
    """A number as the pages write it (``CM.num`` in app.js): digits by magnitude, thousands commas."""
    a = abs(v)
    digits = 0 if a >= 1000 else 1 if a >= 100 else 2 if a >= 1 else 0 if a == 0 else 3
    return f"{v:,.{digits}f}"


def api(server, path, body=None):
    import httpx

    url = server + "/api/v1" + path
    r = httpx.post(url, json=body, timeout=30) if body is not None else httpx.get(url, timeout=30)
    r.raise_for_status()
    return r.json()


@pytest.mark.parametrize("path, name, selector", [
    ("/", "overview", "[data-testid=concentration] svg"),
    ("/minerals/cobalt", "mineral", "[data-testid=production-processing] svg"),
    ("/scenarios", "scenarios", "[data-testid=market-base] tbody tr"),
    ("/tracker", "tracker", "[data-testid=dates] svg"),
    ("/data", "data", "[data-testid=sources-table] tbody tr"),
])
def test_each_page_renders_without_errors(server, page, shots, path, name, selector):
    seconds = open_page(page, server + path)
    assert page.locator(selector).count() >= 1
    expected = [e for e in page.errors if e.startswith("expected 404")]
    loads = [e for e in page.errors if "Failed to load resource" in e and "404" in e]
    assert len(loads) <= len(expected) and not [e for e in page.errors if e not in loads and e not in expected], page.errors
    assert page.external == [], f"requests leaving the machine: {page.external}"
    assert page.locator(".error").count() == 0, page.locator(".error").all_inner_texts()
    render_ms = page.evaluate("Number(document.body.dataset.renderMs)")
    print(f"{path}: loaded and rendered in {seconds:.3f} s (script {render_ms} ms; timed in benchmarks/bench_web.py)")
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet in portrait
    page.screenshot(path=str(shots / f"{name}_tablet.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 830  # no sideways scrolling


def test_overview_numbers_equal_the_api(server, page):
    open_page(page, server + "/")
    summary = api(server, "/nir/summary?list_year=2022")  # the tiny snapshot's latest NIR vintage is 2025
    assert page.inner_text("[data-testid=kpi-at100] .value") == str(summary["at_100"])
    assert page.inner_text("[data-testid=kpi-above50] .value") == str(summary["above_50"])
    ranking = api(server, "/risk/overview")["ranking"]
    # the chart's table alternative lists the ranking in the API's order
    labels = page.locator("[data-testid=ranking-table] tbody th").evaluate_all("ths => ths.map(th => th.textContent)")
    assert labels == [r["name"] for r in ranking if r["status"] != "insufficient_data"]
    assert "Cobalt" in labels  # a bounded score (NIR >75 %) is ranked at its bounds, not dropped
    page.select_option("#map-mineral", "cobalt")
    page.wait_for_selector("[data-testid=map-chart] .chart-box[aria-label*=Cobalt]")
    shares = {r["country"]: r["share"] for r in api(server, "/minerals/cobalt/production?stage=processing&vintage=2025")["items"] if r["country"] and r["share"] is not None}
    row = page.locator("[data-testid=map-table] tbody tr", has_text="China").first
    assert row.locator("td").first.text_content() == f"{round(shares['CHN'] * 100)}%"


def test_mineral_page_numbers_equal_the_api(server, page):
    open_page(page, server + "/minerals/cobalt")
    rows = api(server, "/minerals/cobalt/production?stage=processing")["items"]
    table = page.locator("[data-testid=production-table-processing] tbody tr")
    shown = {table.nth(i).locator("[data-col=country_name]").text_content(): table.nth(i).locator("[data-col=words]").text_content()
             for i in range(table.count())}
    # the published figures, in words: "200,000 (estimated)", "withheld" (never 0)
    words = {"exact": lambda r: f"{r['value']:,.0f}", "estimated": lambda r: f"{r['value']:,.0f} (estimated)", "withheld": lambda r: "withheld"}
    assert shown == {r["country_name"]: words[r["qualifier"]](r) for r in rows}
    assert shown["USA"] == "withheld"  # withheld stays withheld
    nir = api(server, "/minerals/cobalt/nir")["items"][-1]
    assert nir["nir_display"] == ">75"
    assert page.inner_text("[data-testid=kpi-nir] .value") == "more than 75%"
    composite = next(m for m in api(server, "/minerals/cobalt/risk")["items"] if m["method"] == "composite")
    assert page.locator("[data-testid=risk-composite]").count() == 1
    assert f"{composite['low']:.3f}" in page.inner_text("[data-testid=risk]")


def test_tracker_shows_what_is_next(server, page):
    open_page(page, server + "/tracker")
    data = api(server, "/tracker/dates")
    nxt = data["next"]
    if nxt is not None:
        item = page.locator(f".dates li[data-date='{nxt['date']}']")
        assert "NEXT" in item.inner_text()
    passed = [i["date"] for i in data["items"] if i["status"] == "passed"]
    assert page.locator(".dates li[data-status=passed]").count() == len(passed)
    # The table shows each measure's status computed for today (not the status published in
    # 2026), by default those in effect: in force, or back in force after a suspension ran out.
    measures = api(server, "/tracker/status")["measures"]
    in_effect = [m for m in measures if m["status"] in ("in_force", "suspension_lapsed")]
    assert page.locator("[data-testid=controls-table] tbody tr").count() == len(in_effect) >= 2
    page.select_option("[data-testid=controls] select", "")
    assert page.locator("[data-testid=controls-table] tbody tr").count() == len(measures) == 3
    for m in measures:
        assert page.locator(f"[data-testid=controls-table] tbody tr[data-status={m['status']}]").count() >= 1


def test_scenario_builder_run_save_compare(server, page, shots, api_key, app):
    from critmin.web.storage import db

    open_page(page, server + "/scenarios")
    page.select_option("#sc-market", "gallium")
    page.wait_for_function("document.querySelector('[data-testid=market-base] tbody tr td').textContent === 'USA'")
    page.fill("#sc-name", "browser tariff")
    page.select_option("#sc-add", "tariffs")
    block = page.locator(".instrument[data-kind=tariffs]")
    block.locator("[data-field=rate] input").fill("0.4")
    block.locator("[data-field=origins] label:has-text('all') input").uncheck()
    block.locator("[data-field=origins] input[value=CHN]").check()
    with page.expect_request("**/api/v1/scenarios/run") as req:
        page.click("#run")
    sent = json.loads(req.value.post_data)
    page.wait_for_selector("[data-testid=run-status]")
    assert sent["policies"]["tariffs"] == [{"importer": "USA", "origins": ["CHN"], "rate": 0.4}]
    expected = api(server, "/scenarios/run", copy.deepcopy(sent))
    for testid, metric in (("kpi-consumer-price", "USA_consumer_price"), ("kpi-imports", "USA_imports"),
                           ("kpi-nir", "USA_net_import_reliance_pct"), ("kpi-welfare", "USA_welfare_change")):
        assert float(page.get_attribute(f"[data-testid={testid}]", "data-value")) == pytest.approx(expected["summary"][metric], rel=1e-12)
    assert page.locator("[data-testid=flows-table] tbody tr").count() == len(expected["result"]["flows"])
    page.screenshot(path=str(shots / "scenarios_result.png"), full_page=True)

    before = db.counts(app.state.engine)
    page.fill("#api-key", "cmk_00000000_" + "x" * 43)
    page.click("#sign-in")
    page.wait_for_selector("#signin-status.error")
    assert "invalid API key" in page.inner_text("#signin-status")
    page.click("#save")  # not signed in: nothing is written
    assert "Sign in with an API key first" in page.inner_text("#sc-status")
    assert db.counts(app.state.engine) == before
    page.fill("#api-key", api_key)
    page.click("#sign-in")
    page.wait_for_selector("#signin-who:not([hidden])")
    page.click("#save")
    page.wait_for_selector("#sc-status.ok:has-text('Saved as scenario')")
    saved_id = page.get_attribute("#sc-status", "data-saved-id")
    after = db.counts(app.state.engine)
    assert after["scenarios"] == before["scenarios"] + 1 and after["runs"] == before["runs"] + 1

    page.wait_for_selector(f"#compare-list input[data-kind=saved][value='{saved_id}']")
    page.check(f"#compare-list input[data-kind=saved][value='{saved_id}']")
    page.check("#compare-list input[data-kind=preset][value=gallium_china_ban]")
    page.select_option("#compare-basis", "kg")  # the gallium market's own unit: the API's numbers as they are
    page.click("#compare")
    page.wait_for_selector("[data-testid=compare-table]")
    headers = page.locator("[data-testid=compare-table] thead th").all_inner_texts()
    assert len(headers) == 5  # measure, unit + the form, the saved scenario, the preset
    cmp = api(server, "/compare", {"items": [{"scenario_id": int(saved_id)}, {"preset": "gallium_china_ban"}]})
    row = page.locator("[data-testid=compare-table] tbody tr", has_text="USA consumer price change vs baseline").first
    cells = row.locator("td").all_inner_texts()
    want = next(r for r in cmp["rows"] if r["metric"] == "USA_consumer_price_change_pct")
    assert cells[1] == "%"
    assert cells[3:5] == [as_displayed(want[cmp["columns"][0]]), as_displayed(want[cmp["columns"][1]])]
    page.screenshot(path=str(shots / "scenarios_compare.png"), full_page=True)

    with page.expect_download() as dl:
        page.click("#download-json")
    data = json.loads(Path(dl.value.path()).read_text())
    assert data["summary"]["USA_consumer_price"] == pytest.approx(expected["summary"]["USA_consumer_price"])

    # pick a mineral from the knowledge base: the scenario carries market: {from_kb: ...}
    kb_label = page.locator("#sc-market optgroup[label='From the knowledge base'] option[value='kb:gallium:processing']")
    assert kb_label.inner_text() == "Gallium, processing (knowledge base; t, USD/t)"
    page.select_option("#sc-market", "kb:gallium:processing")
    page.wait_for_selector("[data-testid=market-origin]:has-text('knowledge base')")
    kb_market = api(server, "/markets/kb:gallium:processing")
    base_rows = page.locator("[data-testid=market-base] tbody tr td:first-child").all_inner_texts()
    assert base_rows == kb_market["regions"]
    page.select_option("#sc-add", "tariffs")
    with page.expect_request("**/api/v1/scenarios/run") as req:
        page.click("#run")
    sent = json.loads(req.value.post_data)
    assert sent["market"] == {"from_kb": {"mineral": "gallium", "stage": "processing"}}
    page.wait_for_selector("#sc-status.ok:has-text('Solved: converged')")
    # the default tariff falls on the focus region's largest supplier in the base flows (China here)
    assert sent["policies"] == {"tariffs": [{"importer": "USA", "origins": ["CHN"], "rate": 0.25}]}
    kb_expected = api(server, "/scenarios/run", copy.deepcopy(sent))
    assert float(page.get_attribute("[data-testid=kpi-consumer-price]", "data-value")) == pytest.approx(
        kb_expected["summary"]["USA_consumer_price"], rel=1e-12)
    page.screenshot(path=str(shots / "scenarios_kb_market.png"), full_page=True)
    # the refused save above is logged by the browser as a failed resource load, as it should be
    assert [e for e in page.errors if "401 (Unauthorized)" not in e] == []


def test_preset_loads_into_the_form(server, page):
    open_page(page, server + "/scenarios")
    page.select_option("#sc-preset", "gallium_talks_fail_mip")
    page.wait_for_selector(".instrument[data-kind=minimum_import_prices]")
    assert page.locator(".instrument[data-kind=tariffs]").count() == 1
    spec = api(server, "/presets/gallium_talks_fail_mip")
    assert page.input_value("#sc-name") == spec["name"]


def test_a_scenario_that_does_not_solve_shows_no_figures(server, page, shots):
    """A floor of 1e9 USD/kg on Chinese gallium has no equilibrium: the page says so and shows no number."""
    open_page(page, server + "/scenarios")
    page.select_option("#sc-market", "gallium")
    page.wait_for_function("document.querySelector('[data-testid=market-base] tbody tr td').textContent === 'USA'")
    page.select_option("#sc-add", "price_floors")
    block = page.locator(".instrument[data-kind=price_floors]")
    block.locator("[data-field=region] select").select_option("CHN")
    block.locator("[data-field=floor] input").fill("1e9")
    with page.expect_request("**/api/v1/scenarios/run") as req:
        page.click("#run")
    sent = json.loads(req.value.post_data)
    assert sent["policies"]["price_floors"][0]["floor"] == 1e9
    page.wait_for_selector("#sc-status.error:has-text('Did not solve')")
    expected = api(server, "/scenarios/run", copy.deepcopy(sent))
    assert expected["result"]["status"] != "converged"
    assert expected["summary"]["USA_welfare_change"] is None and expected["summary"]["USA_import_hhi"] is None
    assert expected["result"]["message"] in page.inner_text("#sc-status")
    assert page.locator("[data-testid=no-results]").count() == 1
    for testid in ("result-kpis", "welfare-table", "flows-table", "reliance-table"):
        assert page.locator(f"[data-testid={testid}]").count() == 0, testid
    page.screenshot(path=str(shots / "scenarios_failed.png"), full_page=True)


def test_api_docs_work_offline(server, page, shots):
    page.goto(server + "/api/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert page.locator(".swagger-ui .opblock").count() >= 40
    assert page.external == [], page.external
    page.screenshot(path=str(shots / "api_docs.png"))


def test_unknown_mineral_page_is_404(server, page):
    resp = page.goto(server + "/minerals/unobtainium")
    assert resp.status == 404 and "unknown mineral" in page.inner_text("main")

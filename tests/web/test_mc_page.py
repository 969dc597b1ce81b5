"""The risk-runs page (/montecarlo) in Debian's Chromium, on the real committed snapshot.

A reader starts a small Monte Carlo of gallium and sees it run to completion with its
histograms, fan chart (two-year draws), tornado of drivers and loss by event, each with an
accessible name and a table alternative; starts a larger run and cancels it, and the page
says it was cancelled; a project run draws NPV histograms with and without the floor; axe-core
finds no serious violation on the page with a result shown. Screenshots at 1366, 820 and 390
px go to ``$CRITMIN_SCREENSHOTS`` (default ``out/screenshots/``).

Runs are kept small: the machine running the tests may have two shared cores.
"""

from __future__ import annotations

import pytest

from tests.web.test_a11y import AXE, RUN
from tests.web.test_pages import (_real_snapshot, browser, new_page, open_page, real_server, script_errors,  # noqa: F401
                                  shots)

RUN_TIMEOUT_MS = 240_000


def _start(pg, kind: str = "montecarlo", **fields) -> None:
    pg.select_option("#mc-kind", kind)
    for name, value in fields.items():
        pg.fill(f"#mc-{name}", str(value))
    pg.click("[data-testid=mc-start]")


def _charts_ok(pg) -> int:
    boxes = pg.locator("[data-testid=mc-results] .chart-box")
    for i in range(boxes.count()):
        label = boxes.nth(i).get_attribute("aria-label") or ""
        assert len(label) > 20, label
        fig = boxes.nth(i).locator("xpath=ancestor::figure[1]")
        assert fig.locator("details.chart-table table tbody tr").count() >= 1, f"{label}: no table alternative"
        assert boxes.nth(i).locator("svg").count() >= 1, f"{label}: not drawn"
    return boxes.count()


def test_small_run_to_completion_then_report(real_server, browser, shots):
    pg = new_page(browser, 1366, 900)
    open_page(pg, real_server + "/montecarlo", tables=False)
    _start(pg, draws=300, seed=7, horizon=2)
    pg.wait_for_selector("[data-testid=mc-status][data-state=succeeded]", timeout=RUN_TIMEOUT_MS)
    pg.wait_for_selector("[data-testid=chart-tornado]", timeout=30_000)
    status = pg.inner_text("[data-testid=mc-status]")
    assert "Done" in status and "300 of 300 draws" in status, status
    assert pg.locator("[data-testid=mc-progress]").evaluate("p => p.value") == 1
    for testid in ("chart-hist-consumer_price_change_pct", "chart-hist-shortfall", "chart-hist-welfare_loss",
                   "chart-fan", "chart-tornado", "chart-by-event"):
        assert pg.locator(f"[data-testid={testid}]").count() == 1, testid
    assert _charts_ok(pg) >= 6
    assert "critmin montecarlo gallium --draws 300 --seed 7" in pg.inner_text("[data-testid=mc-cli]")
    assert script_errors(pg) == []
    assert pg.external == []
    for width, height in ((1366, 900), (820, 1180), (390, 844)):
        pg.set_viewport_size({"width": width, "height": height})
        pg.wait_for_timeout(300)
        pg.screenshot(path=str(shots / f"montecarlo-{width}.png"), full_page=True)
        overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"sideways scrolling at {width}px: {overflow}px"
    # the report of the same job opens from the page's link
    href = pg.get_attribute("[data-testid=mc-report-link]", "href")
    report = pg.context.request.get(real_server + href)
    assert report.status == 200 and "<svg" in report.text() and "Disruption Monte Carlo: gallium" in report.text()
    # axe-core on the page with its result shown, tables open
    pg.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    pg.add_script_tag(path=str(AXE))
    violations = pg.evaluate(RUN)
    for v in violations:
        print(f"montecarlo: {v['impact']}: {v['id']} ({v['nodes']} nodes) {v['help']}: {v['targets']}")
    assert [v for v in violations if v["impact"] in ("serious", "critical")] == []
    pg.context.close()


def test_cancel_a_run(real_server, browser):
    pg = new_page(browser, 1366, 900)
    open_page(pg, real_server + "/montecarlo", tables=False)
    _start(pg, draws=20000, seed=1, horizon=2)
    pg.wait_for_selector("[data-testid=mc-status][data-state=running]", timeout=RUN_TIMEOUT_MS)
    pg.click("[data-testid=mc-cancel]")
    pg.wait_for_selector("[data-testid=mc-status][data-state=cancelled]", timeout=RUN_TIMEOUT_MS)
    assert "Cancelled" in pg.inner_text("[data-testid=mc-status]")
    assert pg.locator("[data-testid=mc-result]").count() == 0  # a cancelled run shows no numbers
    assert pg.locator("[data-testid=mc-start]").is_enabled()
    assert script_errors(pg) == []
    pg.context.close()


def test_project_run_and_bad_input(real_server, browser, shots):
    pg = new_page(browser, 1366, 900)
    open_page(pg, real_server + "/montecarlo", tables=False)
    _start(pg, "project", mineral="lithium", draws=300, seed=2)
    pg.wait_for_selector("[data-testid=mc-status][data-state=succeeded]", timeout=RUN_TIMEOUT_MS)
    pg.wait_for_selector("[data-testid=chart-fan]", timeout=30_000)
    assert pg.locator("[data-testid=chart-hist-npv]").count() == 1
    assert pg.locator("[data-testid=chart-hist-npv_with_floor]").count() == 1
    assert _charts_ok(pg) >= 3
    pg.screenshot(path=str(shots / "montecarlo-project-1366.png"), full_page=True)
    # a request the API refuses is said in words, and nothing starts
    _start(pg, "montecarlo", mineral="galium", draws=10)
    pg.wait_for_function("document.querySelector('[data-testid=mc-status]').textContent.startsWith('Not started')")
    assert "unknown mineral" in pg.inner_text("[data-testid=mc-status]")
    pg.context.close()


def test_stockpile_and_ranking_runs(real_server, browser, shots):
    pg = new_page(browser, 1366, 900)
    open_page(pg, real_server + "/montecarlo", tables=False)
    _start(pg, "stockpile", mineral="gallium", draws=200, seed=3)
    pg.wait_for_selector("[data-testid=mc-status][data-state=succeeded]", timeout=RUN_TIMEOUT_MS)
    pg.wait_for_selector("[data-testid=mc-sizing]", timeout=30_000)
    assert pg.locator("[data-testid=mc-sizing] tbody tr").count() == 5  # the five default targets
    assert pg.locator("[data-testid=chart-hist-required_release]").count() == 1
    _start(pg, "ranking", **{"ranking-minerals": "gallium, cesium", "draws": 50})
    pg.wait_for_selector("[data-testid=mc-status][data-state=succeeded]", timeout=RUN_TIMEOUT_MS)
    pg.wait_for_selector("[data-testid=chart-ranking]", timeout=30_000)
    assert pg.locator("[data-testid=mc-sizing]").count() == 0  # the earlier result was replaced
    events = pg.locator("[data-testid=mc-ranking-event-table] tbody tr")
    assert events.count() >= 1 and "CHN-gallium" in events.first.inner_text()
    assert "cesium" in pg.inner_text("[data-testid=mc-results]")
    assert _charts_ok(pg) >= 1
    pg.screenshot(path=str(shots / "montecarlo-ranking-1366.png"), full_page=True)
    pg.context.close()

"""The /exposure page in Debian's Chromium on the committed snapshot: the three example bills end to
end (the numbers the page shows are the API's), an uploaded bill, and a bad bill whose every row is
listed in plain words with nothing computed. Screenshots at 1366, 820 and 390 px go beside the
other pages' (``$CRITMIN_SCREENSHOTS`` or ``out/screenshots``).

Skipped with the reason when Chromium, Playwright or the committed snapshot is absent.
"""

from __future__ import annotations

import httpx
import pytest

from tests.exposure.conftest import HEADER
from tests.web.test_pages import (WIDTHS, _real_snapshot, browser, new_page, open_page, real_server,  # noqa: F401
                                  script_errors, shots)

BAD = (HEADER + "\nP,,,Product,,,,,,USA,,,,100,1000,,\nA,X,1,orphan,coblt,1,,,,USA,,,,1,,,\n"
       "B,P,1,bad mass,cobalt,-1,0.5,,,Narnia,,,,1,,,\n")
GOOD = HEADER + "\nP,,,Product,,,,,,USA,,,8501.53,100,1000,,\nP-M,P,2,Magnet,ndfeb-magnet,0.5,,,S,China,,,8505.11,20,,no,\n"


def wait_done(pg):
    pg.wait_for_selector("#exposure-results[data-state=done]", timeout=180000)


def submit(pg):
    pg.evaluate("document.getElementById('exposure-results').removeAttribute('data-state')")
    pg.click("#ex-run")
    wait_done(pg)


@pytest.mark.parametrize("name", ["ev_traction_motor", "radar_module", "battery_pack"])
def test_examples_end_to_end_in_the_browser(real_server, browser, shots, name):
    pg = new_page(browser)
    open_page(pg, real_server + "/exposure", tables=False)
    wait_done(pg)
    pg.select_option("#ex-example", name)
    pg.check("input[name=rules][value=usmca]")
    pg.check("input[name=rules][value=club]")
    submit(pg)
    assert script_errors(pg) == []
    assert pg.external == []
    assert pg.locator("[data-testid=bill-errors]").count() == 0
    assert name in pg.locator("[data-testid=exposure-bill]").inner_text()
    api = httpx.get(f"{real_server}/api/v1/exposure/examples/{name}", params=[("rules", "usmca"), ("rules", "club")],
                    timeout=180).json()
    # one row per mineral and stage, and one per eligibility test, as the API answers
    assert pg.locator("[data-testid=exposure-indicators] tbody tr").count() == len(api["indicators"])
    assert pg.locator("[data-testid=exposure-eligibility-table] tbody tr").count() == len(api["eligibility"])
    text = pg.locator("[data-testid=exposure-indicators]").inner_text()
    for row in api["indicators"]:
        assert row["commodity_id"] in text
    # inferred origins are labelled as such wherever the API says so
    if any(r["basis"] == "inferred" for r in api["company"]):
        assert "inferred from world shares" in pg.locator("[data-testid=exposure-countries]").inner_text()
    # the page's URL now names the example, so the view can be shared
    assert f"example={name}" in pg.url
    if name == "ev_traction_motor":
        for wname, (w, h) in WIDTHS.items():
            pg.set_viewport_size({"width": w, "height": h})
            pg.wait_for_timeout(200)
            pg.screenshot(path=str(shots / f"exposure-{wname}.png"), full_page=True)
    pg.context.close()


def test_motor_numbers_are_the_cited_range(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/exposure?example=ev_traction_motor&rules=usmca", tables=False)
    wait_done(pg)
    # 20,000 motors x 1 kg NdFeB (Yang et al. 2017) x 30-32 wt% rare earths = 6.0-6.4 t a year
    assert "6.0 t – 6.4 t" in pg.locator("[data-testid=exposure-indicators]").inner_text()
    pg.context.close()


def test_a_scenario_shows_its_cost_with_the_range(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/exposure?example=ev_traction_motor&scenario=section232-tariff-25", tables=False)
    wait_done(pg)
    api = httpx.get(f"{real_server}/api/v1/exposure/examples/ev_traction_motor",
                    params={"scenario": "section232-tariff-25"}, timeout=180).json()
    total = [r for r in api["cost_summary"] if r["year"] == "total"][0]
    shown = pg.locator("[data-testid=exposure-cost-summary]").inner_text()
    assert f"${total['cost_low']:,.0f}" in shown and f"${total['cost_high']:,.0f}" in shown
    assert pg.locator("[data-testid=chart-cost] .chart-box svg").count() == 1
    pg.context.close()


def test_upload_a_bill(real_server, browser, tmp_path):
    p = tmp_path / "my_bill.csv"
    p.write_text(GOOD, encoding="utf-8")
    pg = new_page(browser)
    open_page(pg, real_server + "/exposure", tables=False)
    wait_done(pg)
    pg.set_input_files("#ex-file", str(p))
    assert pg.is_checked("#ex-src-upload")
    submit(pg)
    assert script_errors(pg) == []
    assert "my_bill.csv" in pg.locator("[data-testid=exposure-bill]").inner_text()
    assert "rare-earths" in pg.locator("[data-testid=exposure-indicators]").inner_text()
    pg.context.close()


def test_bad_bill_lists_every_row_in_plain_words(real_server, browser, shots, tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text(BAD, encoding="utf-8")
    pg = new_page(browser)
    open_page(pg, real_server + "/exposure", tables=False)
    wait_done(pg)
    pg.set_input_files("#ex-file", str(p))
    submit(pg)
    errors = pg.locator("[data-testid=bill-errors]")
    assert errors.count() == 1
    api = httpx.post(f"{real_server}/api/v1/exposure", files={"file": ("bad.csv", BAD.encode())}, timeout=60).json()
    items = pg.locator("[data-testid=bill-error-list] li")
    assert items.count() == len(api["errors"]) >= 4
    text = errors.inner_text()
    for e in api["errors"]:
        assert f"Row {e['row']}, column “{e['column']}”: {e['message']}" in text
    assert "nothing was computed" in text
    # nothing computed is shown
    assert pg.locator("[data-testid=exposure-indicators]").count() == 0
    assert pg.locator("[data-testid=exposure-kpis]").count() == 0
    # the browser logs the 422 as a failed load; nothing else went wrong
    assert [e for e in pg.errors if "Failed to load resource" not in e] == []
    for wname, (w, h) in WIDTHS.items():
        pg.set_viewport_size({"width": w, "height": h})
        pg.wait_for_timeout(150)
        pg.screenshot(path=str(shots / f"exposure-bad-bill-{wname}.png"), full_page=True)
    pg.context.close()


def test_no_file_chosen_says_so(real_server, browser):
    pg = new_page(browser)
    open_page(pg, real_server + "/exposure", tables=False)
    wait_done(pg)
    pg.check("#ex-src-upload")
    pg.click("#ex-run")
    assert "Choose a CSV or XLSX file" in pg.locator("[data-testid=exposure-status]").inner_text()
    pg.context.close()

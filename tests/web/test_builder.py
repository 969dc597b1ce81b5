"""The scenario builder as a newcomer uses it, on the real committed snapshot, in Debian's Chromium.

Each path of issue 11's builder item: every preset loads into the form, is editable and runs;
the default of every instrument does something and solves on every market offered; switching
market clears the results and editing an input marks them stale; bad input is refused in plain
words before anything is sent; an absurd magnitude runs with a warning, not a green "converged";
a solve that fails says why; saved scenarios open, rename, delete and open from a shared link;
the comparison states every row in words on one unit basis; sign-in with an API key and key
management by an administrator. The server is ``critmin serve``'s app in a thread.

Skipped with the reason when Chromium, Playwright or the committed snapshot is absent.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.web.test_pages import ARGS, CHROMIUM, REAL, _real_snapshot, new_page  # noqa: F401

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright Python package")
SHOTS = Path(os.environ.get("CRITMIN_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "out" / "screenshots")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, app) of the web app on the real snapshot with a fresh database."""
    import uvicorn

    from critmin import store
    from critmin.web.app import create_app

    before = os.environ.get("CRITMIN_SNAPSHOT")
    os.environ["CRITMIN_SNAPSHOT"] = str(REAL)
    store.reset()
    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('builderdb') / 'builder.db'}")
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
    yield f"http://127.0.0.1:{port}", app
    srv.should_exit = True
    thread.join(timeout=10)
    if before is None:
        os.environ.pop("CRITMIN_SNAPSHOT", None)
    else:
        os.environ["CRITMIN_SNAPSHOT"] = before
    store.reset()


@pytest.fixture(scope="module")
def server(served):
    return served[0]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    pg = new_page(browser, 1366, 900)
    yield pg
    pg.context.close()


def api(server, path, body=None, key=None, method=None):
    import httpx

    headers = {"X-API-Key": key} if key else {}
    r = httpx.request(method or ("POST" if body is not None else "GET"), server + "/api/v1" + path, json=body,
                      headers=headers, timeout=60)
    return r


def open_builder(pg, url: str) -> None:
    pg.goto(url)
    pg.wait_for_selector("body[data-ready=true]", timeout=60000)
    pg.wait_for_selector("[data-testid=market-base] tbody tr", timeout=30000)


def run_and_wait(pg) -> dict:
    with pg.expect_response(lambda r: r.url.endswith("/api/v1/scenarios/run")) as resp:
        pg.click("#run")
    pg.wait_for_selector("[data-testid=run-status]")
    return resp.value.json()


def no_script_errors(pg) -> None:
    assert [e for e in pg.errors if e.startswith("pageerror")] == [], pg.errors


# --- presets and defaults ---------------------------------------------------------------------------

def test_every_preset_loads_into_the_form_and_runs(server, page):
    """Both engines: an Armington preset fills the instrument blocks; a chain preset its horizon and
    each mineral's instruments, and runs through the chain engine with ranges where inputs are bounded."""
    presets = api(server, "/presets").json()["items"]
    assert len(presets) >= 13 and {p["engine"] for p in presets} == {"armington", "chain"}
    open_builder(page, server + "/scenarios")
    page.set_default_timeout(120000)  # a chain preset calibrates and solves several markets over years
    ranges_seen = 0
    for p in presets:
        page.select_option("#sc-preset", p["name"])
        spec = api(server, f"/presets/{p['name']}").json()
        page.wait_for_function("name => document.querySelector('#sc-name').value === name", arg=spec["name"])
        page.wait_for_selector("[data-testid=no-run]")  # nothing of the previous preset is shown
        sent = page.evaluate("CM.builder.current()")
        if p["engine"] == "chain":
            assert page.locator("#chain-minerals textarea").count() == len(spec["minerals"]), p["name"]
            assert page.locator("#instruments").is_hidden()
            page.wait_for_selector("[data-testid=chain-markets]")
            assert sent["engine"] == "chain" and set(sent["minerals"]) == set(spec["minerals"])
            for m, entry in spec["minerals"].items():
                given = {k: [{f: x for f, x in item.items() if x is not None and x != []} for item in v]
                         for k, v in entry["policies"].items() if v}
                assert sent["minerals"][m]["policies"] == given, (p["name"], m)
            payload = run_and_wait(page)
            assert payload["status"] == "converged", (p["name"], payload["message"])
            assert page.locator("[data-testid=chain-summary] tbody tr").count() >= 1, p["name"]
            table = page.inner_text("[data-testid=chain-summary] tbody")
            bounded = any(row["variants"] != "point" for row in payload["summary"])
            ranges_seen += bounded
            assert (" – " in table) == bounded, p["name"]  # a range exactly where the market is bounded
            assert "_" not in table.replace("chain_market", ""), p["name"]
            continue
        kinds = {k for k, v in spec["policies"].items() if v}
        for kind in kinds:  # every instrument of the preset is in the form, editable
            assert page.locator(f".instrument[data-kind={kind}]").count() == len(spec["policies"][kind]), (p["name"], kind)
        given = {k: [{f: x for f, x in item.items() if x is not None} for item in v] for k, v in spec["policies"].items() if v}
        assert sent["market"] == spec["market"] and sent["policies"] == given, p["name"]
        payload = run_and_wait(page)
        assert payload["result"]["status"] == "converged", (p["name"], payload["result"]["message"])
        assert page.locator("[data-testid=result-kpis]").count() == 1, p["name"]
    assert ranges_seen >= 1  # the NdPr market's bounded China output gives ranges
    no_script_errors(page)


def test_a_chain_preset_is_editable_and_bad_input_is_in_words(server, page):
    open_builder(page, server + "/scenarios")
    page.set_default_timeout(120000)
    page.select_option("#sc-preset", "talks-fail-gallium-minimum-import-price")
    page.wait_for_selector("[data-testid=chain-markets]")
    page.fill("#ch-end", "2020")
    page.fill("#chain-minerals textarea", "{tariffs: oops")
    page.click("#run")
    text = page.inner_text("[data-testid=problems]")
    assert "Horizon: the last year must be a whole year, not before the first." in text
    assert "Instruments on gallium: not readable" in text
    assert page.is_disabled("#save")  # the API does not store chain scenarios yet; the button says so
    spec = api(server, "/presets/talks-fail-gallium-minimum-import-price").json()
    page.fill("#ch-end", str(spec["horizon"]["start"]))
    page.fill("#chain-minerals textarea", json.dumps({"tariffs": [{"importer": "USA", "origins": ["CHN"], "stage": "processing", "rate": 0.1}]}))
    payload = run_and_wait(page)
    assert payload["scenario"]["minerals"]["gallium"]["policies"]["tariffs"][0]["rate"] == 0.1
    assert payload["scenario"]["horizon"]["end"] == spec["horizon"]["start"]
    years = page.locator("[data-testid=chain-years] tbody tr").count()
    assert years == len(payload["years"]) >= 1
    # switching back to a model market leaves chain mode and clears the results
    page.select_option("#sc-market", "gallium")
    page.wait_for_selector("[data-testid=no-run]:has-text('Market changed')")
    assert page.locator("#instruments").is_visible() and page.locator("#chain-editor").is_hidden()


def test_a_preset_is_editable_and_the_edit_is_what_runs(server, page):
    open_builder(page, server + "/scenarios")
    page.select_option("#sc-preset", "allied-capacity")  # a knowledge-base market with grouped regions
    page.wait_for_selector(".instrument[data-kind=capacity]")
    assert page.locator("#sc-market option:checked").inner_text().startswith("cobalt, mine (knowledge base, options of")
    regions = page.locator("[data-testid=market-base] tbody tr td:first-child").all_inner_texts()
    assert "ALLIES" in regions
    page.fill(".instrument[data-kind=capacity] [data-field=change] input", "0.5")
    sent = run_and_wait(page)["scenario"]
    assert sent["policies"]["capacity"][0]["change"] == 0.5


def test_default_instruments_solve_and_move_every_market(server, page):
    """Each instrument as the page adds it, on every market offered, solves and changes something."""
    markets = [m["name"] for m in api(server, "/markets").json()["items"]]
    assert len(markets) >= 3
    open_builder(page, server + "/scenarios")
    kinds = page.eval_on_selector_all("#sc-add option[value]:not([value=''])", "os => os.map(o => o.value)")
    assert len(kinds) == 9
    failures = []
    for name in markets:
        page.select_option("#sc-market", name)
        page.wait_for_function("n => document.querySelector('#sc-market').value === n && "
                               "document.querySelector('[data-testid=market-base] tbody tr')", arg=name)
        page.wait_for_timeout(100)
        base = page.evaluate("CM.builder.current()")
        baseline = api(server, "/scenarios/run", base).json()["summary"]
        for kind in kinds:
            item = page.evaluate("k => CM.builder.defaults(k)", kind)
            doc = {**base, "name": f"default {kind}", "policies": {kind: [item]}}
            r = api(server, "/scenarios/run", doc)
            assert r.status_code == 200, (name, kind, r.text)
            s = r.json()["summary"]
            if s["status"] != "converged":
                failures.append(f"{name} {kind}: {s['message']}")
                continue
            moved = [k for k in s if isinstance(s[k], (int, float)) and isinstance(baseline.get(k), (int, float))
                     and k not in ("iterations",) and abs(s[k] - baseline[k]) > 1e-6 * max(1.0, abs(baseline[k]))]
            if not moved:
                failures.append(f"{name} {kind}: nothing changed ({item})")
    assert failures == [], failures


# --- stale and cleared results --------------------------------------------------------------------------

def test_market_switch_clears_results_and_an_edit_marks_them_stale(server, page):
    open_builder(page, server + "/scenarios")
    page.select_option("#sc-add", "tariffs")
    run_and_wait(page)
    assert page.locator("[data-testid=result-kpis]").count() == 1
    page.fill(".instrument[data-kind=tariffs] [data-field=rate] input", "0.5")
    page.wait_for_selector("[data-testid=stale-note]")
    assert "previous inputs" in page.inner_text("[data-testid=stale-note]")
    assert page.locator("#results.stale").count() == 1
    run_and_wait(page)
    assert page.locator("[data-testid=stale-note]").count() == 0
    other = page.eval_on_selector_all("#sc-market option", "os => os.map(o => o.value)")[1]
    page.select_option("#sc-market", other)
    page.wait_for_selector("[data-testid=no-run]:has-text('Market changed')")
    assert page.locator("[data-testid=result-kpis]").count() == 0
    assert page.locator("[data-testid=run-status]").count() == 0
    assert page.is_disabled("#download-json")


# --- plain words ----------------------------------------------------------------------------------------

def test_bad_input_is_refused_in_plain_words_before_a_run(server, page):
    open_builder(page, server + "/scenarios")
    page.select_option("#sc-add", "tariffs")
    page.select_option("#sc-add", "minimum_import_prices")
    page.fill(".instrument[data-kind=tariffs] [data-field=rate] input", "-1.5")
    page.fill(".instrument[data-kind=minimum_import_prices] [data-field=price] input", "")
    page.fill("#sc-name", "")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/scenarios/run") else None)
    page.click("#run")
    page.wait_for_selector("[data-testid=problems]")
    text = page.inner_text("[data-testid=problems]")
    assert "Tariff 1: the rate must be above -100% (it is -150%)." in text
    assert "Minimum import price 1: enter the minimum price." in text
    assert "Name: give the scenario a name." in text
    assert "body." not in text and "Input should" not in text
    assert sent == []  # nothing sent
    assert page.locator("#sc-status.error").count() == 1


def test_a_server_refusal_is_in_plain_words_too(server, page):
    """What only the server checks comes back in the page's words, not as a field path."""
    open_builder(page, server + "/scenarios")
    bad = {"name": "x", "market": {"ref": "gallium"}, "policies": {"tariffs": [{"importer": "USA", "rate": -2}]}}
    r = api(server, "/scenarios/run", bad)
    assert r.status_code == 422 and "body.policies.tariffs.0.rate" in r.text  # the API's own words, for programs
    words = page.evaluate("""async (doc) => {
        try { await CM.api('/scenarios/run', {body: doc}); return 'sent'; }
        catch (err) { return CM.builder.plainError(err); } }""", bad)
    assert words == "Tariff 1: the rate must be above -100%."


def test_an_absurd_magnitude_runs_with_a_warning_not_a_green_converged(server, page, ):
    open_builder(page, server + "/scenarios")
    page.select_option("#sc-add", "minimum_import_prices")
    page.fill(".instrument[data-kind=minimum_import_prices] [data-field=price] input", "1e12")
    payload = run_and_wait(page)
    assert payload["result"]["status"] == "converged"  # the model solves it ...
    warning = page.inner_text("[data-testid=warnings]")
    assert "Minimum import price 1: a minimum price of 1,000,000,000,000" in warning and "times the base price" in warning
    assert page.locator("[data-testid=run-status].warning").count() == 1  # ... but the page does not say "ok"
    assert page.locator("[data-testid=run-status].ok").count() == 0
    assert page.locator("#sc-status.ok").count() == 0 and page.locator("#sc-status.warning").count() == 1


def test_a_failed_solve_shows_its_reason_never_green(server, page):
    open_builder(page, server + "/scenarios")
    page.select_option("#sc-add", "price_floors")
    block = page.locator(".instrument[data-kind=price_floors]")
    block.locator("[data-field=region] select").select_option("CHN")
    block.locator("[data-field=floor] input").fill("1e9")
    payload = run_and_wait(page)
    assert payload["result"]["status"] != "converged"
    status = page.locator("[data-testid=run-status]")
    assert "did not solve" in status.inner_text() and payload["result"]["message"] in status.inner_text()
    assert status.get_attribute("class") == "error"
    assert page.locator("#sc-status.error:has-text('Did not solve')").count() == 1
    assert page.locator("[data-testid=result-kpis]").count() == 0


# --- signing in, saving, opening, renaming, deleting, sharing, comparing -----------------------------------

def sign_in(pg, key: str) -> None:
    pg.fill("#api-key", key)
    pg.click("#sign-in")
    pg.wait_for_selector("#signin-who:not([hidden])")


def test_sign_in_save_open_rename_share_delete(served, browser):
    from critmin.web.storage import db
    from critmin.web.storage.keys import create_key

    server, app = served
    key, record = create_key(app.state.engine, "analyst")
    pg = new_page(browser, 1366, 900)
    open_builder(pg, server + "/scenarios")
    # saving without signing in says what to do, and writes nothing
    before = db.counts(app.state.engine)
    pg.click("#save")
    assert "Sign in with an API key first" in pg.inner_text("#sc-status")
    # a wrong key is refused in words
    pg.fill("#api-key", "cmk_00000000_" + "x" * 43)
    pg.click("#sign-in")
    pg.wait_for_selector("#signin-status.error")
    assert "invalid API key" in pg.inner_text("#signin-status")
    sign_in(pg, key)
    assert f"key {record['key_id']}" in pg.inner_text("#signin-name")
    assert pg.evaluate("sessionStorage.getItem('critmin.apiKey')") == key
    assert pg.evaluate("localStorage.getItem('critmin.apiKey')") is None
    assert pg.locator("#admin:not([hidden])").count() == 0  # not an administrator

    pg.fill("#sc-name", "US duty on Chinese gallium")
    pg.select_option("#sc-add", "tariffs")
    pg.fill(".instrument[data-kind=tariffs] [data-field=rate] input", "0.4")
    pg.click("#save")
    pg.wait_for_selector("#sc-status.ok:has-text('Saved as scenario')")
    saved_id = int(pg.get_attribute("#sc-status", "data-saved-id"))
    assert db.counts(app.state.engine)["scenarios"] == before["scenarios"] + 1
    assert pg.url.endswith(f"/scenarios?saved={saved_id}")
    item = pg.locator(f"[data-testid=saved-list] li[data-id='{saved_id}']")
    assert item.locator("a.share").get_attribute("href") == f"/scenarios?saved={saved_id}"

    # rename
    item.locator("button:has-text('Rename')").click()
    item.locator(".rename-input").fill("Duty of 40% on Chinese gallium")
    item.locator("button:has-text('Save name')").click()
    pg.wait_for_selector(f"[data-testid=saved-list] li[data-id='{saved_id}'] .name:has-text('Duty of 40%')")
    assert api(server, f"/scenarios/{saved_id}").json()["spec"]["name"] == "Duty of 40% on Chinese gallium"

    # the shared link opens it in another browser, signed out: the form holds the saved scenario
    other = new_page(browser, 390, 844)
    open_builder(other, server + f"/scenarios?saved={saved_id}")
    other.wait_for_function("() => document.querySelector('#sc-name').value === 'Duty of 40% on Chinese gallium'")
    assert other.input_value(".instrument[data-kind=tariffs] [data-field=rate] input") == "0.4"
    assert other.locator(f"[data-testid=saved-list] li[data-id='{saved_id}'] button:has-text('Delete')").count() == 0
    other.screenshot(path=str(SHOTS / "builder_shared_link_390.png"), full_page=True)
    other.context.close()

    # open from the list after changing the form
    pg.select_option("#sc-preset", "section232-tariff-25")
    pg.wait_for_function("() => document.querySelector('#sc-name').value !== 'US duty on Chinese gallium'")
    item.locator("button:has-text('Open')").click()
    pg.wait_for_function("() => document.querySelector('#sc-name').value === 'Duty of 40% on Chinese gallium'")

    # delete (after a confirmation)
    item.locator("button:has-text('Delete')").click()
    item.locator("button:has-text('Yes, delete')").click()
    pg.wait_for_selector(f"[data-testid=saved-list] li[data-id='{saved_id}']", state="detached")
    assert api(server, f"/scenarios/{saved_id}").status_code == 404
    # sign out forgets the key
    pg.click("#sign-out")
    assert pg.evaluate("sessionStorage.getItem('critmin.apiKey')") is None
    assert pg.locator("#signin-form:not([hidden])").count() == 1
    no_script_errors(pg)
    pg.context.close()


def test_compare_converts_units_to_one_basis_with_plain_labels(server, page):
    open_builder(page, server + "/scenarios")
    page.select_option("#sc-market", "gallium")  # kg, USD/kg
    page.wait_for_selector("[data-testid=market-origin]:has-text('quantities in kg')")
    page.select_option("#sc-add", "tariffs")
    page.check("#compare-list input[data-kind=preset][value=section232-tariff-25]")  # t, USD/t
    page.click("#compare")
    page.wait_for_selector("[data-testid=compare-table]")
    headers = page.locator("[data-testid=compare-table] thead th").all_inner_texts()
    assert headers[:2] == ["Measure", "Unit"] and len(headers) == 4
    text = page.inner_text("[data-testid=compare-table]")
    assert not re.search(r"[a-z]+_[a-z]+", text), "snake_case in the comparison"
    assert "USD/kg" not in text.split("Market")[-1].split("\n", 2)[-1]  # only the market row names the original unit
    units = page.locator("[data-testid=compare-table] tbody tr td:nth-child(2)").all_inner_texts()
    assert "USD/t" in units and "t per year" in units and "kg per year" not in units
    # the gallium column's consumer price is the API's USD/kg times 1,000
    form = page.evaluate("CM.builder.current()")
    cmp = api(server, "/compare", {"items": [{"scenario": form}]}).json()
    usd_per_kg = next(r for r in cmp["rows"] if r["metric"] == "USA_consumer_price")[cmp["columns"][0]]
    row = page.locator("[data-testid=compare-table] tbody tr", has_text="USA consumer price").first
    shown = float(row.locator("td").nth(2).inner_text().replace(",", ""))
    assert shown == pytest.approx(usd_per_kg * 1000, rel=1e-3)
    page.select_option("#compare-basis", "kg")
    page.click("#compare")
    page.wait_for_selector("[data-testid=compare-basis-note]:has-text('Quantities in kg')")
    page.screenshot(path=str(SHOTS / "builder_compare.png"), full_page=True)


def test_admin_manages_keys_from_the_page(served, browser):
    server, app = served
    from critmin.web.storage.keys import create_key

    admin_key, admin_rec = create_key(app.state.engine, "administrator", admin=True)
    pg = new_page(browser, 820, 1180)
    open_builder(pg, server + "/scenarios")
    sign_in(pg, admin_key)
    assert "administrator" in pg.inner_text("#signin-name")
    pg.wait_for_selector("#admin:not([hidden]) [data-testid=keys-table]")
    pg.fill("#new-key-name", "ministry laptop")
    pg.click("#create-key")
    pg.wait_for_selector("[data-testid=new-key-value]")
    new_key = pg.input_value("[data-testid=new-key-value]")
    assert new_key.startswith("cmk_")
    new_id = new_key.split("_")[1]
    assert api(server, "/auth/key", key=new_key).json() == {"key_id": new_id, "name": "ministry laptop", "admin": False}
    pg.wait_for_selector(f"[data-testid=keys-table] tbody tr:has-text('{new_id}')")
    # the signed-in key cannot be revoked from the page (no lock-out by a click)
    options = pg.eval_on_selector_all("#revoke-key option", "os => os.map(o => o.value)")
    assert admin_rec["key_id"] not in options and new_id in options
    pg.select_option("#revoke-key", new_id)
    pg.click("#revoke")
    pg.wait_for_selector("#admin-status.ok:has-text('Revoked')")
    assert api(server, "/auth/key", key=new_key).status_code == 401
    pg.screenshot(path=str(SHOTS / "builder_admin_820.png"), full_page=True)
    no_script_errors(pg)
    pg.context.close()


def test_builder_states_have_no_serious_accessibility_violations(served, browser):
    """axe-core on what test_a11y.py cannot reach: results, stale note, problems, comparison, saved list, admin."""
    from critmin.web.storage.keys import create_key
    from tests.web.test_a11y import AXE, RUN

    server, app = served
    admin_key, _ = create_key(app.state.engine, "a11y admin", admin=True)
    for width in (1366, 390):
        pg = new_page(browser, width, 900)
        open_builder(pg, server + "/scenarios")
        sign_in(pg, admin_key)
        pg.wait_for_selector("[data-testid=keys-table]")
        pg.select_option("#sc-add", "tariffs")
        pg.click("#save")
        pg.wait_for_selector("#sc-status.ok:has-text('Saved as scenario')")
        run_and_wait(pg)
        pg.select_option("#sc-add", "minimum_import_prices")
        pg.fill(".instrument[data-kind=minimum_import_prices] [data-field=price] input", "1e12")
        pg.fill(".instrument[data-kind=tariffs] [data-field=rate] input", "-3")
        pg.click("#run")
        pg.wait_for_selector("[data-testid=problems]")
        pg.click("#compare")  # the form's scenario is refused in words (a -300% tariff)
        pg.wait_for_selector("#compare-out .error:has-text('Tariff 1: the rate must be above -100%')")
        pg.uncheck("#compare-list input[data-kind=current]")
        pg.check("#compare-list input[data-kind=preset][value=section232-tariff-25]")
        pg.check("#compare-list input[data-kind=preset][value=gallium_china_ban]")
        pg.click("#compare")
        pg.wait_for_selector("[data-testid=compare-table]")
        pg.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        pg.screenshot(path=str(SHOTS / f"builder_states_{width}.png"), full_page=True)
        pg.add_script_tag(path=str(AXE))
        violations = pg.evaluate(RUN)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], (width, [(v["id"], v["targets"]) for v in serious])
        assert pg.evaluate("document.documentElement.scrollWidth") <= width + 10, width  # no sideways scrolling
        pg.context.close()

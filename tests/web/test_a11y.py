"""Accessibility of every dashboard page: axe-core (vendored from npm) in Debian's Chromium.

axe-core 4.14.1 (``tests/web/vendor/axe-core/axe.min.js``, MPL-2.0, copied unchanged from the
npm package) is injected into each page of the real snapshot after it has rendered, with
every table alternative opened so the tables are checked too, and run with the WCAG 2.x A
and AA rules and axe's best practices. A violation of impact "serious" or "critical" fails
the test; the others are printed (run with ``-s`` to read them).

Skipped with the reason when Chromium, Playwright or the committed snapshot is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_pages import PAGES, browser, new_page, open_page, real_server, _real_snapshot  # noqa: F401

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations'],
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(real_server, browser, name, width):
    assert AXE.is_file(), f"vendored axe-core missing at {AXE}"
    pg = new_page(browser, width, 900)
    open_page(pg, real_server + PAGES[name])
    pg.add_script_tag(path=str(AXE))
    violations = pg.evaluate(RUN)
    for v in violations:
        print(f"{name} @ {width}px: {v['impact']}: {v['id']} ({v['nodes']} nodes) {v['help']}: {v['targets']}")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    pg.context.close()

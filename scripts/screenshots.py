"""Screenshots of every dashboard page at laptop, tablet and phone widths, for a person to look at.

Usage: ``python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out out/screenshots]
[--reference docs/screenshots]``. Needs a running ``critmin serve`` (the real snapshot) and
Debian's Chromium at /usr/bin/chromium (driven by Playwright; no browser is downloaded).
Writes ``<page>-<width>.png`` full-page screenshots to ``--out`` (gitignored); with
``--reference`` also a reduced copy (half size, JPEG) of each, the set kept in the repository
so the next change can be compared with it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

PAGES = {
    "overview": "/",
    "mineral-gallium": "/minerals/gallium",
    "mineral-rare-earths": "/minerals/rare-earths",
    "mineral-lithium": "/minerals/lithium",
    "tracker": "/tracker",
    "data": "/data",
    "scenarios": "/scenarios",
    "notfound": "/minerals/galium",
}
WIDTHS = {"laptop": (1366, 900), "tablet": (820, 1180), "phone": (390, 844)}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--out", default="out/screenshots")
    ap.add_argument("--reference", default=None, help="also write half-size JPEGs here (the committed set)")
    ap.add_argument("--only", default=None, help="comma-separated page names")
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    pages = {k: v for k, v in PAGES.items() if not a.only or k in a.only.split(",")}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, path in pages.items():
            for wname, (w, h) in WIDTHS.items():
                ctx = browser.new_context(viewport={"width": w, "height": h})
                page = ctx.new_page()
                page.on("console", lambda m, n=name: print(f"  {n}: console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e, n=name: print(f"  {n}: page error: {e}"))
                page.goto(a.url + path)
                page.wait_for_selector("body[data-ready=true]", timeout=60000)
                if page.locator("[data-testid=trade]").count():
                    page.wait_for_selector("[data-testid=trade][data-state=ready]", timeout=120000)
                page.wait_for_timeout(300)
                file = out / f"{name}-{wname}.png"
                page.screenshot(path=str(file), full_page=True)
                ctx.close()
                if a.reference:
                    from PIL import Image

                    ref = Path(a.reference)
                    ref.mkdir(parents=True, exist_ok=True)
                    im = Image.open(file).convert("RGB")
                    im = im.resize((im.width // 2, im.height // 2), Image.LANCZOS)
                    im.save(ref / f"{name}-{wname}.jpg", quality=55, optimize=True)
                print(file)
        browser.close()


if __name__ == "__main__":
    main()

"""In a real browser (headless Chromium through Playwright): pages fit a 320 px screen, keyboard
focus starts at the skip link, follows the page order and is always visible.

Skipped unless both Playwright (``pip install playwright``) and a Chromium executable
(``apt-get install chromium``, or ``PB_CHROMIUM=/path``) are present: CI does not depend on it.
Screenshots go to ``PB_SCREENSHOT_DIR`` when set (else a temporary folder) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

CHROMIUM = os.environ.get("PB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    pytest.skip("no Chromium executable", allow_module_level=True)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Every element the Tab key can reach, in document order (no positive tabindex is used).
FOCUSABLE_JS = """() => Array.from(document.querySelectorAll(
  'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]),'
  + ' textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'
)).filter(e => e.offsetParent !== null || getComputedStyle(e).position === 'absolute')
  .map(e => e.outerHTML.slice(0, 120))"""

ACTIVE_JS = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  return {html: e.outerHTML.slice(0, 120), tag: e.tagName, id: e.id, outline: s.outlineStyle,
          outlineWidth: parseFloat(s.outlineWidth), shadow: s.boxShadow,
          top: r.top, left: r.left, bottom: r.bottom, right: r.right};
}"""


@pytest.fixture
def live_url(app):
    """The app served over HTTP on a free local port, with a round to show."""
    from werkzeug.serving import make_server

    from tests.pb.factories import make_proposal

    with app.app_context():
        make_proposal()
        make_proposal()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        except Exception as error:  # noqa: BLE001 (a browser that cannot start here is a skip, not a failure)
            pytest.skip(f"Chromium does not start: {error}")
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("PB_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


PAGES = ["/", "/account/register", "/account/login", "/rounds/1", "/no/such/page"]


@pytest.mark.parametrize("width", [320, 1280])
def test_pages_fit_the_screen_without_horizontal_scrolling(live_url, browser, shots, width):
    """At 320 px and at 1280 px no page (nor a form showing its errors) is wider than the screen."""
    page = browser.new_page(viewport={"width": width, "height": 800}, locale="fi-FI")
    for path in PAGES:
        page.goto(live_url + path)
        name = path.strip("/").replace("/", "_") or "home"
        page.screenshot(path=str(shots / f"{name}_{width}.png"), full_page=True)
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width, f"{path} is {scroll_width}px wide at {width}px"
    page.goto(live_url + "/account/register")
    page.click("main form button[type=submit], main form input[type=submit]")
    page.screenshot(path=str(shots / f"register_errors_{width}.png"), full_page=True)
    assert page.locator(".error-summary").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [320, 1280])
def test_keyboard_focus_order_starts_at_the_skip_link_and_is_always_visible(live_url, browser, width):
    """Tab visits the skip link first (shown on screen), then every control in page order, each
    with a visible focus indicator; the skip link moves focus to the main content."""
    page = browser.new_page(viewport={"width": width, "height": 800}, locale="sv-FI")
    page.goto(live_url + "/")
    expected = page.evaluate(FOCUSABLE_JS)
    assert len(expected) >= 6
    visited = []
    for _ in range(len(expected)):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE_JS)
        visited.append(active["html"])
        assert active["outline"] != "none" and active["outlineWidth"] >= 2 or active["shadow"] != "none", (
            f"no visible focus on {active['html']}"
        )
        if len(visited) == 1:
            assert 'href="#main"' in active["html"], "the first Tab stop is not the skip link"
            assert active["top"] >= 0 and active["bottom"] <= 800 and active["left"] >= 0, "skip link off screen"
    assert visited == expected

    page.goto(live_url + "/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    inside_main = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert inside_main, "after the skip link, Tab does not continue inside the main content"

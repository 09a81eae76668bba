"""In a real browser (headless Chromium through Playwright): the ballot's running total follows
the ticked boxes live with ``ballot.js``, and the whole cast works by mouse and keyboard.

Skipped unless Playwright and a Chromium executable are present (as ``test_browser.py``).
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

CHROMIUM = os.environ.get("PB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    pytest.skip("no Chromium executable", allow_module_level=True)

ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture
def live(app):
    """The app on a free local port (its SERVER_NAME set to it, for the identity callback),
    with a round open for voting: (base URL, round id, first area id)."""
    from werkzeug.serving import make_server

    from tests.pb.factories import make_voting_round

    with app.app_context():
        round_ = make_voting_round(citywide=50_000)
        ids = round_.id, round_.areas[0].id
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["SERVER_NAME"] = f"127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield (f"http://127.0.0.1:{server.server_port}", *ids)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30_000)
        except Exception as error:  # noqa: BLE001 (a browser that cannot start here is a skip)
            pytest.skip(f"Chromium does not start: {error}")
        yield chromium
        chromium.close()


def test_running_total_is_live_and_the_ballot_is_cast(live, browser):
    """Ticking boxes changes the shown total without a request; review and cast give a receipt."""
    base, round_id, area_id = live
    page = browser.new_page(locale="en-GB")
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"{base}/identity/test/start?next=/rounds/{round_id}/vote")
    page.check("input[value=aino]")
    page.click("main form input[type=submit]")
    page.wait_for_url(f"**/rounds/{round_id}/vote/ballot*")
    page.check(f"input[name=area][value='{area_id}']")
    page.click("main form button[type=submit]")
    total = page.locator(".ballot-pot").first.locator(".ballot-total-value")
    before = total.inner_text()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    boxes = page.locator(f"input[name=pot-{area_id}]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    after = total.inner_text()
    assert after != before and "70" in after.replace("\u202f", "").replace("\xa0", "").replace(",", "").replace(" ", "")
    assert requests == []  # the total changed in the page itself
    page.click("button[name=review]")
    page.click("text=Cast my ballot")
    assert page.locator("#receipt-code").inner_text().count("-") >= 2

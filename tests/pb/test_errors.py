"""Error pages: the right status code, a page in the user's language, never a traceback."""

from __future__ import annotations

import re

import pytest
from flask import abort, request
from flask_babel import force_locale, gettext

from tests.pb.test_i18n import html_lang, make_language_app

#: The heading each error page shows (English source text).
HEADINGS = {
    400: "Bad request",
    403: "Access denied",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too much data",
    429: "Too many attempts",
    500: "Something went wrong",
}
SECRET = "s3cr3t-detail-that-must-not-leak"


@pytest.fixture
def error_app():
    app = make_language_app(MAX_CONTENT_LENGTH=1024, PROPAGATE_EXCEPTIONS=False)

    @app.get("/abort/<int:code>")
    def abort_with(code):
        """Fail with the given status."""
        abort(code, description=SECRET)

    @app.post("/upload")
    def upload():
        """Read a form, so that a too-large body is noticed."""
        return str(len(request.form))

    @app.get("/crash")
    def crash():
        """Fail with an exception the view does not handle."""
        raise RuntimeError(SECRET)

    return app


def request_error(client, code: int, lang: str):
    headers = {"Accept-Language": lang}
    if code == 404:
        return client.get("/no/such/page", headers=headers)
    if code == 405:
        return client.get("/upload", headers=headers)
    if code == 413:
        return client.post("/upload", data={"text": "x" * 5000}, headers=headers)
    if code == 500:
        return client.get("/crash", headers=headers)
    return client.get(f"/abort/{code}", headers=headers)


def heading(response) -> str:
    match = re.search(r"<h1>(.*?)</h1>", response.get_data(as_text=True), re.S)
    assert match, "no <h1> on the error page"
    return match.group(1).strip()


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize("code", sorted(HEADINGS))
def test_error_page_has_its_status_and_language(error_app, code, lang):
    """Each error gives its own status code and a page in the user's language without details."""
    response = request_error(error_app.test_client(), code, lang)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert html_lang(response) == lang
    with error_app.test_request_context(), force_locale(lang):
        expected = gettext(HEADINGS[code])
    if lang != "en":
        assert expected != HEADINGS[code], f"{HEADINGS[code]!r} is not translated to {lang}"
    assert heading(response) == expected
    body = response.get_data(as_text=True)
    assert SECRET not in body
    assert "Traceback" not in body
    assert '<main id="main"' in body


def test_unhandled_exception_is_logged_not_shown(error_app, caplog):
    """An exception in a view gives the 500 page, and the details go to the log only."""
    response = error_app.test_client().get("/crash")
    assert response.status_code == 500
    assert SECRET not in response.get_data(as_text=True)
    assert any(SECRET in (record.exc_text or "") or SECRET in str(record.exc_info) for record in caplog.records)


def test_csrf_failure_gets_the_400_page_explaining_the_expired_form(error_app):
    """A POST without a valid CSRF token gets 400 and says the form expired, in the user's language."""
    client = error_app.test_client()
    response = client.post("/upload", data={"a": "b"}, headers={"Accept-Language": "sv"})
    assert response.status_code == 400
    with error_app.test_request_context(), force_locale("sv"):
        assert heading(response) == gettext("The form has expired")


def test_method_not_allowed_keeps_the_allow_header(error_app):
    """The 405 page still tells the client which methods the URL accepts."""
    response = error_app.test_client().get("/upload")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_too_many_requests_keeps_retry_after(error_app):
    """The 429 page still tells the client when to try again."""
    from werkzeug.exceptions import TooManyRequests

    @error_app.get("/slow-down")
    def slow_down():
        """Refuse with a Retry-After."""
        raise TooManyRequests(retry_after=90)

    response = error_app.test_client().get("/slow-down")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "90"
    assert response.headers["Cache-Control"] == "no-store"


def test_other_http_errors_get_a_generic_page(error_app):
    """A status without its own page (410) still gets a localized page with that status."""
    response = error_app.test_client().get("/abort/410", headers={"Accept-Language": "sv"})
    assert response.status_code == 410
    assert html_lang(response) == "sv"
    with error_app.test_request_context(), force_locale("sv"):
        assert heading(response) == gettext("Error")


def test_a_broken_layout_still_gives_a_bare_error_page(error_app):
    """If the error page itself cannot render, the status stays and no traceback is shown."""

    def broken(*args, **kwargs):
        raise RuntimeError(SECRET)

    error_app.jinja_env.globals["endpoint_url"] = broken
    response = error_app.test_client().get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "404" in body and SECRET not in body and "Traceback" not in body


# ---- The real app (fixtures from tests/pb/conftest.py) ----


def real_error(app, code: int, lang: str):
    """Provoke ``code`` in the real app through its own routes and rules."""
    client = app.test_client()
    headers = {"Accept-Language": lang}
    if code == 400:
        app.config["WTF_CSRF_ENABLED"] = True  # the testing config turns CSRF off for convenience
        return client.post("/account/login", data={"email": "a@example.com", "password": "x"}, headers=headers)
    if code == 403:
        from tests.pb.factories import log_in, make_user

        with app.app_context():
            log_in(client, make_user())
        return client.get("/admin/", headers=headers)
    if code == 404:
        return client.get("/no/such/page", headers=headers)
    if code == 405:
        return client.get("/account/logout", headers=headers)
    if code == 413:
        app.config["MAX_CONTENT_LENGTH"] = 1024
        return client.post("/account/login", data={"email": "x" * 5000}, headers=headers)
    if code == 500:
        return client.get("/test-crash", headers=headers)
    raise AssertionError(code)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 500])
def test_real_app_error_pages(app, code, lang):
    """The app's own errors (CSRF, role, unknown page, method, size, crash) give the localized page."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def crash():
        raise RuntimeError(SECRET)

    app.add_url_rule("/test-crash", "test_crash", crash)
    response = real_error(app, code, lang)
    assert response.status_code == code
    assert html_lang(response) == lang
    expected_heading = "The form has expired" if code == 400 else HEADINGS[code]
    with app.test_request_context(), force_locale(lang):
        assert heading(response) == gettext(expected_heading)
    body = response.get_data(as_text=True)
    assert SECRET not in body and "Traceback" not in body
    assert response.headers.get("Content-Security-Policy")  # the app's headers are still set

"""The accessibility statement page (Act 306/2019) and the form time limit (WCAG 2.2.1)."""

from __future__ import annotations

import re

import itsdangerous.timed
import pytest
from flask import url_for

from tests.pb.factories import log_in, make_user
from tests.pb.test_accessibility import problems

#: Words only the statement's own text carries, per language (not the layout's).
STATEMENT_WORDS = {"fi": "Vastaamme 14 päivän kuluessa.", "sv": "Vi svarar inom 14 dagar.", "en": "We answer within 14 days."}
SUPERVISOR = {"fi": "Etelä-Suomen aluehallintovirasto", "sv": "Regionförvaltningsverket i Södra Finland",
              "en": "Regional State Administrative Agency for Southern Finland"}


def _html_lang(html: str) -> str | None:
    found = re.search(r'<html lang="([^"]*)"', html)
    return found.group(1) if found else None


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_statement_renders_in_each_language(app, lang):
    """The statement answers 200 in fi, sv and en, with a matching <html lang>, its own text in that
    language, the feedback address, the supervising authority, and passes the accessibility checks."""
    app.config["ACCESSIBILITY_FEEDBACK_EMAIL"] = "saavutettavuus@kaupunki.test"
    response = app.test_client().get("/accessibility", headers={"Accept-Language": lang})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _html_lang(html) == lang
    assert STATEMENT_WORDS[lang] in html
    for other, words in STATEMENT_WORDS.items():
        if other != lang:
            assert words not in html
    assert SUPERVISOR[lang] in html
    assert 'href="mailto:saavutettavuus@kaupunki.test"' in html
    assert problems(html) == []


def test_statement_shows_the_configured_date(app):
    """The date of the statement comes from the configuration, formatted for the reader."""
    from datetime import date

    app.config["ACCESSIBILITY_STATEMENT_DATE"] = date(2031, 5, 17)
    html = app.test_client().get("/accessibility", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "May 17, 2031" in html


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_home_page_footer_links_to_the_statement(app, lang):
    """The footer of the home page links to the statement, and the link opens it."""
    client = app.test_client()
    home = client.get("/", headers={"Accept-Language": lang}).get_data(as_text=True)
    footer = re.search(r"<footer.*?</footer>", home, re.S).group(0)
    with app.test_request_context():
        path = url_for("public.accessibility")
    assert f'href="{path}"' in footer
    assert client.get(path, headers={"Accept-Language": lang}).status_code == 200


# ---- WCAG 2.2.1: a form has no time limit of its own, only the session's ----


class SignerClock:
    """Replaces itsdangerous's clock (which both CSRF tokens and session cookies use)."""

    def __init__(self, monkeypatch, start: int = 2_000_000_000) -> None:
        self.now = start
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda signer: self.now)

    def advance(self, hours: int) -> None:
        self.now += hours * 3600


def _logged_in_client(app):
    """A client logged in with a permanent session, as the login page leaves it."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with app.app_context():
        log_in(client, make_user())
    with client.session_transaction() as session:
        session.permanent = True  # pb.auth.login_user does the same
    return client


def _form_token(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_form_opened_long_ago_still_submits_while_the_session_lives(app, monkeypatch):
    """A form rendered 30 hours ago submits when the user stayed active meanwhile (no 12-hour
    form limit any more)."""
    app.config["WTF_CSRF_ENABLED"] = True
    clock = SignerClock(monkeypatch)
    client = _logged_in_client(app)
    token = _form_token(client)
    for _ in range(5):  # the user keeps using the site in another tab
        clock.advance(hours=6)
        assert client.get("/").status_code == 200
    response = client.post("/language", data={"csrf_token": token, "lang": "sv", "next": "/"})
    assert response.status_code == 303
    assert _html_lang(client.get("/").get_data(as_text=True)) == "sv"


def test_a_form_with_a_time_limit_would_have_failed(app, monkeypatch):
    """The same 30-hour-old form is refused under the former 12-hour token limit (so the test above
    checks the setting)."""
    app.config.update(WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=12 * 3600)
    clock = SignerClock(monkeypatch)
    client = _logged_in_client(app)
    token = _form_token(client)
    for _ in range(5):
        clock.advance(hours=6)
        client.get("/")
    assert client.post("/language", data={"csrf_token": token, "lang": "sv", "next": "/"}).status_code == 400


def test_an_idle_session_still_ends(app, monkeypatch):
    """After more than the session lifetime without any request, the old form is refused (the
    remaining limit the statement lists)."""
    app.config["WTF_CSRF_ENABLED"] = True
    clock = SignerClock(monkeypatch)
    client = _logged_in_client(app)
    token = _form_token(client)
    clock.advance(hours=int(app.permanent_session_lifetime.total_seconds() // 3600) + 1)
    assert client.post("/language", data={"csrf_token": token, "lang": "sv", "next": "/"}).status_code == 400


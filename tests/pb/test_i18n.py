"""Languages: selection (choice, user, cookie, Accept-Language, Finnish), the switcher, content
fallback, and catalogs that translate every string the sources use."""

from __future__ import annotations

import os
import re
import shutil
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask, g, render_template_string
from flask_babel import force_locale, gettext
from flask_wtf.csrf import CSRFProtect

from pb import errors, i18n

REPO = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPO / "pb" / "translations"
TRANSLATED = ("fi", "sv")

PAGE = """{% extends "base.html" %}{% block title %}{{ _("Home") }}{% endblock %}
{% block content %}<h1>{{ _("Home") }}</h1><p id="title" lang="{{ localized_lang(item, 'title') }}">
{{- item | localized("title") }}</p><p id="money">{{ 1234567 | euros }}</p>{% endblock %}"""


def make_language_app(**config) -> Flask:
    """A minimal app wired like ``create_app`` for languages and errors, without a database."""
    app = Flask(
        "pb_language_test",
        root_path=str(REPO / "pb"),
        template_folder=str(REPO / "templates"),
        static_folder=str(REPO / "pb" / "static"),
    )
    app.config.update(SECRET_KEY="test", TESTING=True, WTF_CSRF_ENABLED=True, **config)
    CSRFProtect(app)
    i18n.init_app(app)
    errors.init_app(app)

    @app.before_request
    def load_user():
        g.user = app.config.get("TEST_USER")

    @app.get("/")
    def index():
        """A page with localized content."""
        item = app.config.get("TEST_ITEM") or SimpleNamespace(title_fi="Puisto", title_sv="Park", title_en=None)
        return render_template_string(PAGE, item=item)

    @app.get("/deep/page")
    def deep():
        """Another page, to return to after switching."""
        return render_template_string(PAGE, item={})

    return app


@pytest.fixture
def lang_app():
    return make_language_app()


@pytest.fixture
def lang_client(lang_app):
    return lang_app.test_client()


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]*)"', response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


def translated(app: Flask, lang: str, message: str) -> str:
    with app.test_request_context(), force_locale(lang):
        return gettext(message)


def csrf_from(response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token in the page"
    return match.group(1)


def switch(client, lang: str, next_url: str = "/"):
    token = csrf_from(client.get("/"))
    return client.post("/language", data={"csrf_token": token, "lang": lang, "next": next_url})


def test_default_language_is_finnish(lang_app, lang_client):
    """With no choice and no Accept-Language the page is Finnish, and says so in <html lang>."""
    response = lang_client.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "fi"
    skip = translated(lang_app, "fi", "Skip to main content")
    assert skip != "Skip to main content"
    assert skip in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sv-FI,sv;q=0.9", "sv"),
        ("en-GB,en;q=0.8", "en"),
        ("fi-FI", "fi"),
        ("de-DE,de;q=0.9", "fi"),
        ("de,sv;q=0.5", "sv"),
        ("fr,en;q=0.9,sv;q=0.8", "en"),
        ("*", "fi"),
    ],
)
def test_accept_language_picks_a_supported_language(lang_client, header, expected):
    """Without an explicit choice the browser's best supported language wins, else Finnish."""
    response = lang_client.get("/", headers={"Accept-Language": header})
    assert html_lang(response) == expected


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_switcher_renders_the_page_in_each_language(lang_app, lang_client, lang):
    """Posting the switcher sends the user back, and the page is then in that language."""
    response = switch(lang_client, lang, "/deep/page")
    assert response.status_code == 303
    assert response.headers["Location"] == "/deep/page"
    page = lang_client.get("/deep/page", headers={"Accept-Language": "de"})
    assert html_lang(page) == lang
    body = page.get_data(as_text=True)
    for message in ("Skip to main content", "Home", "Language"):
        assert translated(lang_app, lang, message) in body
    if lang in TRANSLATED:
        assert translated(lang_app, lang, "Skip to main content") != "Skip to main content"


def test_each_language_is_named_in_itself_with_its_lang(lang_client):
    """The switcher offers fi, sv and en, each named in its own language with a lang attribute."""
    body = lang_client.get("/").get_data(as_text=True)
    for code, name in (("fi", "Suomi"), ("sv", "Svenska"), ("en", "English")):
        assert re.search(rf'<button[^>]*value="{code}"[^>]*lang="{code}"[^>]*>{name}</button>', body)


def test_choice_is_remembered_over_the_browser_language(lang_app):
    """An explicit choice beats Accept-Language later in the session and, by cookie, in a new one."""
    client = lang_app.test_client()
    switch(client, "sv")
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "sv"
    cookie = client.get_cookie(i18n.COOKIE_NAME)
    assert cookie is not None and cookie.value == "sv"
    assert cookie.expires is not None  # long-lived, not a session cookie

    fresh = lang_app.test_client()
    assert html_lang(fresh.get("/", headers={"Accept-Language": "en"})) == "en"
    fresh.set_cookie(i18n.COOKIE_NAME, "sv")
    assert html_lang(fresh.get("/", headers={"Accept-Language": "en"})) == "sv"


def test_logged_in_users_preferred_language_beats_browser_and_session(lang_app, lang_client):
    """A logged-in user's preferred language beats Accept-Language and an anonymous session choice."""
    switch(lang_client, "en")
    lang_app.config["TEST_USER"] = SimpleNamespace(preferred_language="sv", has_role=lambda role: False)
    assert html_lang(lang_client.get("/", headers={"Accept-Language": "en"})) == "sv"
    lang_app.config["TEST_USER"] = SimpleNamespace(preferred_language=None, has_role=lambda role: False)
    assert html_lang(lang_client.get("/", headers={"Accept-Language": "fi"})) == "en"


def test_a_forged_cookie_or_session_value_is_ignored(lang_app):
    """Only fi, sv and en are ever used, whatever the cookie says."""
    client = lang_app.test_client()
    client.set_cookie(i18n.COOKIE_NAME, "../../etc/passwd")
    assert html_lang(client.get("/", headers={"Accept-Language": "sv"})) == "sv"
    with client.session_transaction() as session:
        session[i18n.SESSION_KEY] = "xx"
    assert html_lang(client.get("/")) == "fi"


def test_translation_works_outside_a_request(lang_app):
    """Code running without a request (a CLI command, a job) gets Finnish instead of an error."""
    with lang_app.app_context():
        assert i18n.current_language() == "fi"
        assert gettext("Skip to main content") == translated(lang_app, "fi", "Skip to main content")


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/ok\r\nSet-Cookie: a=b",
        "evil.example",
        "",
    ],
)
def test_switcher_refuses_an_external_next(lang_client, hostile):
    """The switcher only ever redirects to a path on this site, never to another host."""
    response = switch(lang_client, "sv", hostile)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_switcher_keeps_a_local_next_with_its_query(lang_client):
    """A local path with a query string is where the user goes back to."""
    response = switch(lang_client, "en", "/deep/page?area=2&q=puisto")
    assert response.headers["Location"] == "/deep/page?area=2&q=puisto"


def test_switcher_needs_a_csrf_token(lang_client):
    """A switcher POST without a valid CSRF token is refused with 400 and changes nothing."""
    response = lang_client.post("/language", data={"lang": "sv", "next": "/"})
    assert response.status_code == 400
    assert html_lang(lang_client.get("/")) == "fi"


def test_switcher_ignores_an_unknown_language(lang_client):
    """An unsupported language code leaves the language as it was."""
    response = switch(lang_client, "de")
    assert response.status_code == 303
    assert html_lang(lang_client.get("/")) == "fi"


@pytest.mark.parametrize(
    ("values", "lang", "expected", "expected_lang"),
    [
        ({"title_fi": "Puisto", "title_sv": "Park", "title_en": "A park"}, "sv", "Park", "sv"),
        ({"title_fi": "Puisto", "title_sv": "Park", "title_en": "A park"}, "en", "A park", "en"),
        ({"title_fi": "Puisto", "title_sv": None, "title_en": "A park"}, "sv", "Puisto", "fi"),
        ({"title_fi": "", "title_sv": "Park", "title_en": "A park"}, "en", "A park", "en"),
        ({"title_fi": "  ", "title_sv": "Park", "title_en": "A park"}, "fi", "Park", "sv"),
        ({"title_fi": None, "title_sv": None, "title_en": "A park"}, "fi", "A park", "en"),
        ({"title_fi": None, "title_sv": None, "title_en": None}, "sv", "", "sv"),
    ],
)
def test_localized_picks_the_active_language_else_fi_sv_en(lang_app, values, lang, expected, expected_lang):
    """Multilingual content shows the active language's version, else the first given of fi, sv, en."""
    with lang_app.test_request_context(), force_locale(lang):
        for obj in (SimpleNamespace(**values), values):
            assert i18n.localized(obj, "title") == expected
            assert i18n.localized_lang(obj, "title") == expected_lang


def test_localized_content_is_marked_with_its_language_in_the_page(lang_app, lang_client):
    """A fallback text carries the lang of the text, not of the page."""
    lang_app.config["TEST_ITEM"] = SimpleNamespace(title_fi="Puisto", title_sv=None, title_en=None)
    body = lang_client.get("/", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert '<p id="title" lang="fi">Puisto</p>' in body


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fi", "1\xa0234\xa0567\xa0€"), ("sv", "1\xa0234\xa0567\xa0€"), ("en", "€1,234,567")],
)
def test_euros_are_formatted_for_the_language_without_decimals(lang_app, lang, expected):
    """Integer euro amounts follow the language's grouping and symbol placement, with no cents."""
    with lang_app.test_request_context(), force_locale(lang):
        assert i18n.euros(1234567) == expected


def _catalog(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=lang)


def _key(message_id) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang):
    """Every msgid of the fi and sv catalogs has a translation that is neither empty nor fuzzy."""
    catalog = _catalog(lang)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s and s.strip() for s in strings):
            problems.append(_key(message.id))
    assert not problems, f"{lang}: untranslated or fuzzy: {problems}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_their_placeholders(lang):
    """No translation drops or renames a %(name)s placeholder of its msgid."""
    problems = [(message.id, [str(e) for e in errs]) for message, errs in _catalog(lang).check()]
    assert not problems


def test_catalogs_hold_every_string_in_the_sources():
    """Re-extracting the sources finds no string missing from the fi, sv and en catalogs."""
    with open(REPO / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(REPO), method_map, options_map, keywords=keywords
    ):
        found.setdefault(_key(message), filename)
    assert "Skip to main content" in found  # the extraction itself works
    for lang in ("fi", "sv", "en"):
        known = {_key(m.id) for m in _catalog(lang) if m.id}
        missing = sorted(set(found) - known)
        assert not missing, (
            f"{lang} catalog lacks {len(missing)} string(s), e.g. {missing[:5]} (from "
            f"{found[missing[0]]}): run pybabel extract and update, then translate"
        )


def test_catalogs_compile_from_po_files(tmp_path):
    """compile_catalogs builds a missing .mo from each .po, and a fresh .mo is left alone."""
    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    assert sorted(i18n.compile_catalogs(str(copy))) == ["en", "fi", "sv"]
    mo = copy / "fi" / "LC_MESSAGES" / "messages.mo"
    assert mo.stat().st_size > 0
    assert i18n.compile_catalogs(str(copy)) == []
    os.utime(copy / "fi" / "LC_MESSAGES" / "messages.po", (mo.stat().st_mtime + 10,) * 2)
    assert i18n.compile_catalogs(str(copy)) == ["fi"]


# ---- The real app (fixtures from tests/pb/conftest.py) ----


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_real_front_page_renders_in_each_language(app, client, lang):
    """The app's front page, after the switcher, is in the chosen language with a matching <html lang>."""
    response = switch(client, lang)
    assert response.status_code == 303
    page = client.get("/")
    assert page.status_code == 200
    assert html_lang(page) == lang
    body = page.get_data(as_text=True)
    for message in ("Skip to main content", "Participatory budgeting", "Log in"):
        assert translated(app, lang, message) in body


def test_real_front_page_follows_accept_language_else_finnish(app):
    """The app's front page follows Accept-Language among fi, sv, en and is Finnish otherwise."""
    client = app.test_client()
    assert html_lang(client.get("/", headers={"Accept-Language": "sv-FI,sv;q=0.9"})) == "sv"
    assert html_lang(client.get("/", headers={"Accept-Language": "de-DE"})) == "fi"
    assert html_lang(client.get("/")) == "fi"


def test_switching_while_logged_in_saves_the_preferred_language(app, client):
    """A logged-in user's switch is stored as their preferred language and follows them to a new session."""
    from pb.extensions import db
    from pb.models import User
    from tests.pb.factories import log_in, make_user

    with app.app_context():
        user = make_user(preferred_language="fi")
        user_id = user.id
        log_in(client, user)
    switch(client, "sv")
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "sv"
    with app.app_context():
        assert db.session.get(User, user_id).preferred_language == "sv"
        other = app.test_client()
        log_in(other, db.session.get(User, user_id))
    assert html_lang(other.get("/", headers={"Accept-Language": "en"})) == "sv"


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])  # read-only app
@given(st.integers(1, 10**7).flatmap(lambda whole: st.tuples(st.integers(0, whole), st.just(whole))))
def test_shares_are_exact_tenths_of_a_percent_rounded_half_up(lang_app, pair):
    """A share prints the exact ratio in tenths of a percent, halves rounded up, in each language's style."""
    part, whole = pair
    exact = Fraction(1000 * part, whole)
    tenths = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
    expected = {"en": f"{tenths // 10}.{tenths % 10}%", "fi": f"{tenths // 10},{tenths % 10}\xa0%"}
    for lang, text in expected.items():
        with lang_app.test_request_context(), force_locale(lang):
            assert i18n.share(part, whole) == text
        with lang_app.test_request_context(), force_locale(lang):
            assert i18n.share(part, 0) == ""

"""CSRF protection, failed-login slowdown and hostile form input."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from pb.extensions import db
from pb.models import LoginAttempt, Role, User
from pb.services import accounts
from pb.services.accounts import InvalidLogin, LoginThrottled
from tests.pb.factories import PASSWORD, log_in, make_round, make_user


def _post_rules(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            values = {name: 1 if "Integer" in type(c).__name__ or "Id" in type(c).__name__ else "x" for name, c in rule._converters.items()}
            yield rule, rule.build(values)[1]


def test_every_post_without_a_valid_csrf_token_gets_400(app, client):
    """With CSRF on, every POST endpoint answers 400 to a missing or forged token, logged in or not."""
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        admin = make_user(roles=tuple(Role))
    rules = list(_post_rules(app))
    assert len(rules) >= 5
    for rule, url in rules:
        assert client.post(url, data={}).status_code == 400, rule.endpoint
        assert client.post(url, data={"csrf_token": "forged"}).status_code == 400, rule.endpoint
    log_in(client, admin)
    for rule, url in rules:
        assert client.post(url, data={}).status_code == 400, rule.endpoint


def test_a_post_with_the_pages_csrf_token_is_accepted(app, client):
    """The token from the login page lets the same browser log in."""
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        make_user(email="a@example.com")
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    token = token.group(1) or token.group(2)
    data = {"email": "a@example.com", "password": PASSWORD}
    assert client.post("/account/login", data={**data, "csrf_token": token}).status_code == 302


def _login(app, email, password, address="192.0.2.1"):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return accounts.authenticate(email, password, address=address).email


def test_failed_logins_slow_down_per_account(app, clock):
    """Past the free failures each try on an account waits twice as long, even with the right password, until the wait is over."""
    free = app.config["LOGIN_ACCOUNT_FREE_FAILURES"]
    base = app.config["LOGIN_ACCOUNT_BASE_DELAY"]
    with app.app_context():
        make_user(email="a@example.com")
    for i in range(free):
        with pytest.raises(InvalidLogin):
            _login(app, "a@example.com", "guess %d" % i, address=f"192.0.2.{i}")
        clock.advance(seconds=1)
    with pytest.raises(LoginThrottled) as refused:
        _login(app, "a@example.com", PASSWORD, address="198.51.100.7")
    assert 0 < refused.value.retry_after <= base

    clock.advance(seconds=base)
    with pytest.raises(InvalidLogin):
        _login(app, "a@example.com", "another guess")
    with pytest.raises(LoginThrottled) as refused:
        _login(app, "a@example.com", PASSWORD)
    assert base < refused.value.retry_after <= 2 * base

    clock.advance(seconds=2 * base)
    assert _login(app, "a@example.com", PASSWORD) == "a@example.com"
    # The success forgives the failures: the next mistake is not slowed down.
    with pytest.raises(InvalidLogin):
        _login(app, "a@example.com", "typo")


def test_failed_logins_lock_an_address_for_the_window(app, clock):
    """Too many failures from one address lock it for the window, for every account, leaving other addresses free."""
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 4
    with app.app_context():
        make_user(email="a@example.com")
    for i in range(4):
        with pytest.raises(InvalidLogin):
            _login(app, f"victim{i}@example.com", "guess", address="203.0.113.9")
    with pytest.raises(LoginThrottled):
        _login(app, "a@example.com", PASSWORD, address="203.0.113.9")
    assert _login(app, "a@example.com", PASSWORD, address="203.0.113.10") == "a@example.com"
    clock.advance(seconds=app.config["LOGIN_WINDOW"] + 1)
    assert _login(app, "a@example.com", PASSWORD, address="203.0.113.9") == "a@example.com"


def test_throttled_login_page_answers_429_with_a_message(app, client, clock):
    """A throttled attempt on the login page gets 429 with a try-again message and is not recorded as an attempt."""
    app.config["LOGIN_ACCOUNT_FREE_FAILURES"] = 2
    with app.app_context():
        make_user(email="a@example.com")
    for _ in range(2):
        assert client.post("/account/login", data={"email": "a@example.com", "password": "nope nope"}).status_code == 200
    response = client.post("/account/login", data={"email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed logins" in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 2


def test_login_attempts_are_forgotten_after_the_retention_period(app, clock):
    """Attempts (with their IP addresses) older than LOGIN_ATTEMPT_RETENTION are deleted."""
    with app.app_context():
        make_user(email="a@example.com")
    with pytest.raises(InvalidLogin):
        _login(app, "a@example.com", "guess")
    clock.advance(seconds=app.config["LOGIN_ATTEMPT_RETENTION"] - 60)
    _login(app, "a@example.com", PASSWORD)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 2
    clock.advance(seconds=120)
    _login(app, "a@example.com", PASSWORD, address="192.0.2.77")
    with app.app_context():
        assert db.session.scalars(sa.select(LoginAttempt.address).order_by(LoginAttempt.id)).all() == ["192.0.2.1", "192.0.2.77"]


LONG = "x" * 5000
HOSTILE_TEXT = [
    LONG,
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "line\u2028break",
    "\ufffd",
    "'; DROP TABLE user_account; --",
    "\" OR 1=1 --",
    "Robert'); DELETE FROM round; --@example.com",
]
INVALID_UTF8_BODIES = [b"email=%FF%FE%FD&password=%C3%28", b"email=\xff\xfe\xfd&password=\xc3\x28"]


def _forms(round_id):
    """(path, needs login, field names) for each form."""
    return [
        ("/account/register", False, ["email", "password", "password_confirm"]),
        ("/account/login", False, ["email", "password"]),
        ("/account/reset", False, ["email"]),
        ("/account/profile", True, ["year_of_birth", "home_area", "school", "grade", "preferred_language"]),
    ]


@pytest.mark.parametrize("text", HOSTILE_TEXT, ids=range(len(HOSTILE_TEXT)))
def test_hostile_form_input_gives_form_errors_never_500(app, client, text):
    """Long, control-character and SQL-looking input in every field of every form gives form errors or verbatim storage, never a 500."""
    with app.app_context():
        user = make_user(email="a@example.com")
        make_round()
    for path, needs_login, fields in _forms(1):
        for field in fields:
            if needs_login:
                log_in(client, user)
            else:
                client.post("/account/logout")
            data = {name: "" for name in fields}
            data[field] = text
            response = client.post(path, data=data)
            assert response.status_code < 500, (path, field, response.status_code)
            assert response.status_code in (200, 302, 429), (path, field, response.status_code)
            if response.status_code == 200 and "Wrong email" not in response.get_data(as_text=True):
                assert b"field-errors" in response.data or b"error-summary" in response.data, (path, field)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) >= 1
        school = db.session.scalar(sa.select(User.school).where(User.email == "a@example.com"))
        assert school in (None, text)  # stored verbatim if at all, never altered
        assert school is None or not re.search(r"[\x00-\x1f]", school)


@pytest.mark.parametrize("body", INVALID_UTF8_BODIES)
@pytest.mark.parametrize("path", ["/account/register", "/account/login", "/account/reset"])
def test_invalid_utf8_gives_form_errors(client, body, path):
    """Bytes that are not UTF-8 (escaped or raw) give a form error, not a 500."""
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert b"field-errors" in response.data


@pytest.mark.parametrize("query", ["q=%FF%FE", "q=" + "x" * 5000, "q=%00", "q='%20OR%201=1--"])
def test_hostile_search_is_harmless(app, client, query):
    """The administrators' search survives hostile queries."""
    with app.app_context():
        log_in(client, make_user(roles=(Role.ADMINISTRATOR,)))
    response = client.get("/admin/?" + query)
    assert response.status_code == 200


def test_null_byte_in_profile_never_reaches_the_database(app, client):
    """A NUL character (which PostgreSQL refuses) is caught by the form."""
    with app.app_context():
        log_in(client, make_user(email="a@example.com"))
    response = client.post("/account/profile", data={"school": "Koulu\x00"})
    assert response.status_code == 200 and b"control characters" in response.data


def test_pages_with_several_forms_work_with_csrf_and_repeat_no_id(app, client):
    """With CSRF on, each form on the profile and user pages carries a working token, and no
    element id appears twice."""
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        admin = make_user(roles=(Role.ADMINISTRATOR,), is_verified=False)
        other = make_user(roles=(Role.RESIDENT, Role.MODERATOR))
        admin_id, other_id = admin.id, other.id
    log_in(client, admin_id)
    for path in ("/account/profile", f"/admin/users/{other_id}"):
        page = client.get(path).get_data(as_text=True)
        ids = re.findall(r'\sid="([^"]+)"', page)
        assert len(ids) == len(set(ids)), path
        assert page.count('name="csrf_token"') >= 2, path
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/users/{other_id}/roles/revoke", data={"role": "moderator", "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(User, other_id).has_role(Role.MODERATOR)

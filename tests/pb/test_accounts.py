"""Accounts: register, verify, log in and out, password reset, tokens, rehash, profile."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import session

from pb.extensions import db
from pb.mail import outbox
from pb.models import Role, User
from pb.services import accounts
from pb.services.accounts import RESET_PASSWORD, VERIFY_EMAIL, TokenError
from tests.pb.factories import PASSWORD, log_in, make_user


def _link(app, path_prefix: str) -> str:
    with app.app_context():
        body = outbox()[-1].body
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S+)", body)
    assert match, body
    return match.group(1)


def _user(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge_all()
        return user


def test_register_verify_login_logout(app, client):
    """Register, confirm from the mailed link, log in (renewing the session) and log out."""
    response = client.post(
        "/account/register",
        data={"email": " New.Person@Example.COM ", "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert response.status_code == 302
    user = _user(app, "new.person@example.com")
    assert user is not None and not user.is_verified
    assert user.role_names == ["resident"]

    assert client.get(_link(app, "/account/verify/")).status_code == 302
    assert _user(app, "new.person@example.com").is_verified

    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
    response = client.post("/account/login", data={"email": "new.person@example.com", "password": PASSWORD})
    assert response.status_code == 302
    with client:
        client.get("/")
        assert session["user_id"] == user.id
        assert "planted" not in session  # the session was renewed at login
    assert client.get("/account/profile").status_code == 200

    assert client.post("/account/logout").status_code == 302
    assert client.get("/account/profile").status_code == 302


def test_registering_a_taken_address_reveals_nothing_and_creates_nothing(app, client):
    """Registering a taken address answers as for a new one, creates nothing and tells the owner by mail."""
    with app.app_context():
        make_user(email="taken@example.com")
    response = client.post(
        "/account/register",
        data={"email": "TAKEN@example.com", "password": "another password", "password_confirm": "another password"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
        assert outbox()[-1].to == "taken@example.com"
        assert "/account/reset" in outbox()[-1].body


@pytest.mark.parametrize(
    "data, error",
    [
        ({"email": "not-an-email", "password": PASSWORD, "password_confirm": PASSWORD}, b"valid email"),
        ({"email": "a@example.com", "password": "short", "password_confirm": "short"}, b"at least"),
        ({"email": "a@example.com", "password": PASSWORD, "password_confirm": PASSWORD + "x"}, b"do not match"),
    ],
)
def test_register_form_errors(app, client, data, error):
    """Invalid registrations are shown again with the field's error and create nothing."""
    response = client.post("/account/register", data=data)
    assert response.status_code == 200
    assert error in response.data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_wrong_password_is_refused_with_a_message(app, client):
    """A wrong password or unknown email logs nobody in and says so."""
    with app.app_context():
        make_user(email="a@example.com")
    for email, password in (("a@example.com", "wrong password"), ("nobody@example.com", PASSWORD)):
        response = client.post("/account/login", data={"email": email, "password": password})
        assert response.status_code == 200
        assert b"Wrong email or password" in response.data
    with client.session_transaction() as sess:
        assert "user_id" not in sess


def test_login_redirects_only_to_local_next(app, client):
    """After login the user returns to a local `next` page, never to another site."""
    with app.app_context():
        make_user(email="a@example.com")
    data = {"email": "a@example.com", "password": PASSWORD}
    response = client.post("/account/login?next=/account/profile", data=data)
    assert response.headers["Location"].endswith("/account/profile")
    response = client.post("/account/login?next=//evil.example/x", data=data)
    assert "evil.example" not in response.headers["Location"]


def test_password_reset_sets_a_new_password_once(app, client):
    """The mailed reset link replaces the password once; the old password and a second use fail."""
    with app.app_context():
        make_user(email="a@example.com")
    response = client.post("/account/reset", data={"email": "A@example.com"})
    assert response.status_code == 302
    link = _link(app, "/account/reset/")
    new = "a brand new password"
    assert client.post(link, data={"password": new, "password_confirm": new}).status_code == 302
    client.post("/account/logout")

    assert client.post("/account/login", data={"email": "a@example.com", "password": PASSWORD}).status_code == 200
    assert client.post("/account/login", data={"email": "a@example.com", "password": new}).status_code == 302
    again = client.get(link)
    assert again.status_code == 400 and b"already been used" in again.data


def test_reset_for_an_unknown_address_sends_nothing_and_says_the_same(app, client):
    """Asking a reset for an address without account answers the same and mails nothing."""
    response = client.post("/account/reset", data={"email": "nobody@example.com"})
    assert response.status_code == 302
    with app.app_context():
        assert outbox() == []


def test_password_reset_ends_other_sessions(app, client):
    """Changing the password logs out sessions started with the old one."""
    with app.app_context():
        user = make_user(email="a@example.com")
        log_in(client, user)
        token = accounts.make_token(user, RESET_PASSWORD)
        accounts.reset_password(token, "a brand new password")
    assert client.get("/account/profile").status_code == 302


def test_tokens_expire(app, clock):
    """A link older than its maximum age fails with an 'expired' message."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        user = make_user()
        token = accounts.make_token(user, RESET_PASSWORD)
        clock.advance(seconds=app.config["RESET_PASSWORD_MAX_AGE"] - 1)
        assert accounts.load_token(token, RESET_PASSWORD).id == user.id
        clock.advance(seconds=2)
        with pytest.raises(TokenError, match="expired"):
            accounts.load_token(token, RESET_PASSWORD)


def test_tampered_tokens_fail(app):
    """Any change to a link's token makes it invalid."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        user = make_user()
        token = accounts.make_token(user, VERIFY_EMAIL)
        for i in (0, len(token) // 2, len(token) - 1):
            tampered = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
            with pytest.raises(TokenError, match="not valid"):
                accounts.load_token(tampered, VERIFY_EMAIL)
        with pytest.raises(TokenError, match="not valid"):
            accounts.load_token("garbage", VERIFY_EMAIL)


def test_tokens_are_single_purpose_and_per_user(app, client):
    """A link made for one purpose or one user fails for another purpose or user."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        alice, bob = make_user(), make_user()
        verify = accounts.make_token(alice, VERIFY_EMAIL)
        reset = accounts.make_token(alice, RESET_PASSWORD)
        with pytest.raises(TokenError, match="not valid"):
            accounts.load_token(verify, RESET_PASSWORD)
        with pytest.raises(TokenError, match="not valid"):
            accounts.load_token(reset, VERIFY_EMAIL)
        with pytest.raises(TokenError, match="another account"):
            accounts.load_token(reset, RESET_PASSWORD, user=bob)
        assert accounts.load_token(reset, RESET_PASSWORD, user=alice).id == alice.id
    response = client.get(f"/account/reset/{verify}")
    assert response.status_code == 400 and b"not valid" in response.data


def test_verification_link_works_once(app, client):
    """Once the address is verified its link reports that it was used."""
    with app.app_context():
        user = make_user(is_verified=False)
        token = accounts.make_token(user, VERIFY_EMAIL)
    assert client.get(f"/account/verify/{token}").status_code == 302
    response = client.get(f"/account/verify/{token}")
    assert response.status_code == 400 and b"already been used" in response.data


def test_login_rehashes_when_parameters_change(app, client):
    """A hash made with old argon2 parameters is replaced at the next successful login."""
    with app.app_context():
        make_user(email="a@example.com")
    old_hash = _user(app, "a@example.com").password_hash
    assert "t=1," in old_hash
    app.config["ARGON2_TIME_COST"] = 2
    client.post("/account/login", data={"email": "a@example.com", "password": "wrong password"})
    assert _user(app, "a@example.com").password_hash == old_hash  # only a correct password rehashes
    assert client.post("/account/login", data={"email": "a@example.com", "password": PASSWORD}).status_code == 302
    new_hash = _user(app, "a@example.com").password_hash
    assert new_hash != old_hash and "t=2," in new_hash and new_hash.startswith("$argon2id$")
    client.post("/account/logout")
    assert client.post("/account/login", data={"email": "a@example.com", "password": PASSWORD}).status_code == 302


def test_profile_holds_only_eligibility_fields(app, client):
    """The profile form edits year of birth, home area, school, grade and language only."""
    from pb.account.forms import ProfileForm

    with app.test_request_context(headers={"Accept-Language": "en"}):
        names = {field.name for field in ProfileForm() if field.name != "csrf_token"}
    assert names == set(accounts.PROFILE_FIELDS)
    with app.app_context():
        log_in(client, make_user(email="a@example.com"))
    data = {"year_of_birth": "2011", "home_area": "suur-tapiola", "school": "Tapiolan koulu", "grade": "8", "preferred_language": "sv"}
    assert client.post("/account/profile", data=data).status_code == 302
    user = _user(app, "a@example.com")
    assert (user.year_of_birth, user.home_area, user.school, user.grade, user.preferred_language) == (
        2011, "suur-tapiola", "Tapiolan koulu", 8, "sv"
    )
    response = client.post("/account/profile", data={**data, "home_area": "narnia", "grade": "99"})
    assert response.status_code == 200
    assert _user(app, "a@example.com").grade == 8


def test_resend_verification_mails_a_new_link(app, client):
    """An unverified user can ask for a new confirmation link, which works."""
    with app.app_context():
        log_in(client, make_user(email="a@example.com", is_verified=False))
    assert client.post("/account/verify/resend").status_code == 302
    assert client.get(_link(app, "/account/verify/")).status_code == 302
    assert _user(app, "a@example.com").is_verified


def test_new_accounts_are_residents_only(app):
    """Registration grants the resident role and nothing else."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        user = accounts.register_user("x@example.com", PASSWORD)
        assert user.has_role(Role.RESIDENT)
        assert not user.has_role(Role.MODERATOR, Role.ADMINISTRATOR, Role.AUDITOR)


def test_addresses_with_accented_capitals_register_in_lower_case(app, client):
    """A non-ASCII address is stored in lower case, agreeing with the database's lower()."""
    email = "ÅSA.İÖ@Example.COM"
    response = client.post("/account/register", data={"email": email, "password": PASSWORD, "password_confirm": PASSWORD})
    assert response.status_code == 302
    assert _user(app, email.lower()) is not None


def test_mailed_links_use_public_url_not_the_request_host(app, client):
    """With PUBLIC_URL set, a reset link points there even when the request names another host."""
    app.config["PUBLIC_URL"] = "https://pb.example.fi"
    with app.app_context():
        make_user(email="a@example.com")
    client.post("/account/reset", data={"email": "a@example.com"}, headers={"Host": "evil.example"})
    with app.app_context():
        body = outbox()[-1].body
    assert "https://pb.example.fi/account/reset/" in body and "evil.example" not in body

"""Roles: every protected endpoint refuses anonymous users and wrong roles; administrators
grant roles in the UI; `flask pb create-admin` makes the first administrator."""

from __future__ import annotations

import sqlalchemy as sa

from pb.extensions import db
from pb.models import Role, User
from tests.pb.factories import PASSWORD, log_in, make_user

#: Endpoints anyone may use. Every other endpoint must carry @role_required.
PUBLIC_ENDPOINTS = {
    "static",
    "lang.set_language",
    "public.index",
    "public.show_round",
    "public.accessibility",
    "results.show_results",
    "results.show_pot",
    "results.download_results",
    "results.privacy_notice",
    # Audit pages decide per round and reader (pb.services.exports.ballot_access): 404 when not allowed.
    "audit.show_round",
    "audit.download_bundle",
    "audit.export_ballots",
    "audit.check_receipt",
    "proposals.list_proposals",
    "proposals.show_proposal",
    "account.register",
    "account.login",
    "account.logout",
    "account.verify_email",
    "account.request_reset",
    "account.reset_password",
    # Voters identify on these pages (identity provider, voting code), without an account.
    "identity.start",
    "identity.callback",
    "identity_test.authorize",
    "ballot.start",
    "ballot.enter_code",
    "ballot.use_account",
    "ballot.build_ballot",
    "ballot.cast",
    "ballot.leave",
}

DUMMY_VALUES = {"IntegerConverter": 1, "IdConverter": 1, "UnicodeConverter": "x", "PathConverter": "x", "UUIDConverter": "00000000-0000-0000-0000-000000000000"}


def _protected_rules(app):
    """(rule, url, method, required roles) for every protected endpoint and method."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "required_roles", None)
        if roles is None:
            continue
        values = {name: DUMMY_VALUES[type(conv).__name__] for name, conv in rule._converters.items()}
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, url, method, roles))
    return found


def test_every_endpoint_is_public_by_decision_or_protected(app):
    """Each endpoint is either in the reviewed public list or guarded by @role_required."""
    unguarded = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "required_roles", None) is None
    }
    assert unguarded - PUBLIC_ENDPOINTS == set()
    assert any(roles for *_, roles in _protected_rules(app))


def test_protected_endpoints_refuse_anonymous_users(app, client):
    """Anonymous requests to protected endpoints go to the login page (or get 403)."""
    for rule, url, method, roles in _protected_rules(app):
        response = client.open(url, method=method)
        assert response.status_code in (302, 303, 403), (rule.endpoint, method, response.status_code)
        if response.status_code != 403:
            assert "/account/login" in response.headers["Location"], rule.endpoint


def test_protected_endpoints_refuse_wrong_roles(app, client):
    """A user holding none of an endpoint's roles gets 403, whatever roles they do hold."""
    with app.app_context():
        users = {role: make_user(roles=(role,)) for role in Role}
        users[None] = make_user(roles=())
        ids = {role: (user.id, user) for role, user in users.items()}
        checked = 0
        for rule, url, method, roles in _protected_rules(app):
            for role, (user_id, user) in ids.items():
                if not roles or role in roles:
                    continue
                log_in(client, user)
                response = client.open(url, method=method)
                assert response.status_code == 403, (rule.endpoint, method, role, response.status_code)
                checked += 1
    assert checked > 0


def test_administrator_reaches_the_admin_pages(app, client):
    """An administrator sees the user list and a user's page; a moderator does not."""
    with app.app_context():
        admin = make_user(roles=(Role.ADMINISTRATOR,), email="admin@example.com")
        other = make_user(email="other@example.com")
        log_in(client, admin)
        other_id = other.id
    response = client.get("/admin/?q=other")
    assert response.status_code == 200 and b"other@example.com" in response.data
    assert b"admin@example.com" not in response.data
    assert client.get(f"/admin/users/{other_id}").status_code == 200
    assert client.get("/admin/users/999999").status_code == 404


def test_administrators_grant_and_revoke_roles_in_the_ui(app, client):
    """Granting through the form gives the role; revoking takes it away."""
    with app.app_context():
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        other = make_user()
        admin_id, other_id = admin.id, other.id
    log_in(client, admin_id)
    assert client.post(f"/admin/users/{other_id}/roles", data={"role": "moderator"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, other_id).has_role(Role.MODERATOR)
        assert db.session.get(User, other_id).roles[-1].granted_by_id == admin_id
    assert client.post(f"/admin/users/{other_id}/roles/revoke", data={"role": "moderator"}).status_code == 302
    with app.app_context():
        assert not db.session.get(User, other_id).has_role(Role.MODERATOR)
    response = client.post(f"/admin/users/{other_id}/roles", data={"role": "emperor"})
    assert response.status_code == 400


def test_an_administrator_cannot_remove_their_own_administrator_role(app, client):
    """Revoking one's own administrator role is refused with a message."""
    with app.app_context():
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        log_in(client, admin)
        admin_id = admin.id
    response = client.post(f"/admin/users/{admin_id}/roles/revoke", data={"role": "administrator"}, follow_redirects=True)
    assert b"cannot remove your own administrator role" in response.data
    with app.app_context():
        assert db.session.get(User, admin_id).has_role(Role.ADMINISTRATOR)


def test_a_new_role_applies_to_the_existing_session(app, client):
    """Roles are read on every request: a granted role works without logging in again."""
    with app.app_context():
        user = make_user()
        log_in(client, user)
        assert client.get("/admin/").status_code == 403
        from pb.services.roles import grant_role

        grant_role(user, Role.ADMINISTRATOR)
    assert client.get("/admin/").status_code == 200


def test_create_admin_command_creates_an_administrator(app, runner, client):
    """`flask pb create-admin` creates a verified administrator who can log in, or promotes an existing account."""
    result = runner.invoke(args=["pb", "create-admin", "Boss@Example.com", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created administrator boss@example.com" in result.output
    with app.app_context():
        boss = db.session.scalar(sa.select(User).where(User.email == "boss@example.com"))
        assert boss.is_verified and boss.has_role(Role.ADMINISTRATOR)
        make_user(email="existing@example.com")
    response = client.post("/account/login", data={"email": "boss@example.com", "password": PASSWORD})
    assert response.status_code == 302

    result = runner.invoke(args=["pb", "create-admin", "existing@example.com"])
    assert result.exit_code == 0 and "Updated administrator" in result.output
    with app.app_context():
        existing = db.session.scalar(sa.select(User).where(User.email == "existing@example.com"))
        assert existing.has_role(Role.ADMINISTRATOR)


def test_create_admin_refuses_bad_input(runner):
    """A malformed address or a short password is refused with a message, not a traceback."""
    result = runner.invoke(args=["pb", "create-admin", "not-an-email", "--password", PASSWORD])
    assert result.exit_code != 0 and "not a valid email" in result.output
    result = runner.invoke(args=["pb", "create-admin", "x@example.com", "--password", "short"])
    assert result.exit_code != 0 and "at least" in result.output

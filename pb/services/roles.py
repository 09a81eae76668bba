"""Roles: granting and revoking them, and the first administrator."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from pb.extensions import db
from pb.models import Role, RoleAssignment, User
from pb.services import ServiceError, audit_log
from pb.services.accounts import hash_password, normalize_email


def _roles(user: User) -> list[str]:
    return sorted(a.role.value for a in user.roles)


def grant_role(user: User, role: Role | str, *, by: User | None = None) -> bool:
    """Give the user the role; False when they already had it."""
    role = Role(role)
    if user.has_role(role):
        return False
    before = _roles(user)
    user.roles.append(RoleAssignment(role=role, granted_by_id=by.id if by else None))
    audit_log.record(by, "user.role.grant", user, {"roles": before}, {"roles": _roles(user)})
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # granted at the same moment by another request
        db.session.rollback()
        return False
    return True


def revoke_role(user: User, role: Role | str, *, by: User | None = None) -> bool:
    """Take the role away; False when the user did not have it. An administrator cannot
    remove their own administrator role (someone must always be able to grant roles)."""
    role = Role(role)
    if by is not None and by.id == user.id and role is Role.ADMINISTRATOR:
        raise ServiceError(_l("You cannot remove your own administrator role."))
    assignment = next((a for a in user.roles if a.role is role), None)
    if assignment is None:
        return False
    before = _roles(user)
    user.roles.remove(assignment)
    audit_log.record(by, "user.role.revoke", user, {"roles": before}, {"roles": _roles(user)})
    db.session.commit()
    return True


def create_admin(email: str, password: str | None) -> tuple[User, bool]:
    """Make the account an administrator, creating it (verified) with the password when it
    does not exist. Returns the user and whether it was created."""
    email = normalize_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    created = user is None
    if created:
        if not password:
            raise ServiceError(_l("A password is needed for a new account."))
        user = User(email=email, password_hash=hash_password(password), is_verified=True)
        user.roles.append(RoleAssignment(role=Role.RESIDENT))
        db.session.add(user)
    if not user.has_role(Role.ADMINISTRATOR):
        before = [] if created else _roles(user)
        user.roles.append(RoleAssignment(role=Role.ADMINISTRATOR))
        db.session.flush()
        audit_log.record(None, "user.role.grant", user, {"roles": before}, {"roles": _roles(user)})
    db.session.commit()
    return user, created


def find_users(query: str = "", *, limit: int = 50) -> list[User]:
    """Users whose email contains the query, by email."""
    statement = sa.select(User).order_by(User.email).limit(limit)
    if query:
        escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(User.email.like(f"%{escaped}%", escape="\\"))
    return list(db.session.scalars(statement))

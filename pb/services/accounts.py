"""Accounts: registration, email verification, password reset, login and the profile."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from flask_babel import force_locale, lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from pb import security
from pb.extensions import db
from pb.mail import send_mail
from pb.models import Role, RoleAssignment, User
from pb.services import ServiceError

VERIFY_EMAIL = "verify-email"
RESET_PASSWORD = "reset-password"
PROFILE_FIELDS = ("year_of_birth", "home_area", "school", "grade", "preferred_language")


class InvalidLogin(ServiceError):
    pass


class LoginThrottled(ServiceError):
    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            _l("Too many failed logins. Try again in %(minutes)d minutes.", minutes=minutes)
        )
        self.retry_after = retry_after


class TokenError(ServiceError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


# Passwords -------------------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    c = current_app.config
    return PasswordHasher(
        time_cost=c["ARGON2_TIME_COST"],
        memory_cost=c["ARGON2_MEMORY_COST"],
        parallelism=c["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _check_password(user: User | None, password: str) -> bool:
    hasher = _hasher()
    if user is None:
        # Spend the same time as for a real account, so timing does not reveal accounts.
        hasher.hash(password)
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


# Signed, timed, single-purpose links -----------------------------------------------------


class _ClockSigner(TimestampSigner):
    """Timestamps from the app's clock, so tests can make a link expire without waiting."""

    def get_timestamp(self) -> int:
        return int(security.now().timestamp())


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"pb.account.{purpose}", signer=_ClockSigner
    )


def _fingerprint(user: User, purpose: str) -> str:
    """Binds a link to the user's current state: a password reset link stops working once
    the password changes, a verification link once the address is verified or changed."""
    if purpose == RESET_PASSWORD:
        state = user.password_hash
    else:
        state = f"{user.email}|{user.is_verified}"
    return hashlib.sha256(f"{purpose}|{user.id}|{state}".encode()).hexdigest()[:20]


def make_token(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps([user.id, _fingerprint(user, purpose)])


def load_token(token: str, purpose: str, *, user: User | None = None) -> User:
    """The user a link was made for; TokenError when it is expired, tampered with, made for
    another purpose or another user, or already used."""
    max_age = current_app.config[
        "RESET_PASSWORD_MAX_AGE" if purpose == RESET_PASSWORD else "VERIFY_EMAIL_MAX_AGE"
    ]
    try:
        user_id, fingerprint = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenError(_l("This link has expired. Please ask for a new one.")) from None
    except (BadSignature, ValueError, TypeError):
        raise TokenError(_l("This link is not valid. Check that you copied all of it.")) from None
    found = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if found is None or (user is not None and found.id != user.id):
        raise TokenError(_l("This link was made for another account."))
    if fingerprint != _fingerprint(found, purpose):
        raise TokenError(_l("This link has already been used. Please ask for a new one if needed."))
    return found


# Use cases -------------------------------------------------------------------------------


def register_user(email: str, password: str, *, preferred_language: str | None = None) -> User | None:
    """Create an unverified resident account and mail a verification link.

    When the address already has an account, nothing is created (None is returned) and its
    owner is told by mail instead, so the form does not reveal who has an account.
    """
    email = normalize_email(email)
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is not None:
        _send(existing, _l("You already have an account"), _already_registered_body(existing))
        return None
    user = User(email=email, password_hash=hash_password(password), preferred_language=preferred_language)
    user.roles.append(RoleAssignment(role=Role.RESIDENT))
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # registered at the same moment by another request
        db.session.rollback()
        return None
    send_verification_email(user)
    return user


def send_verification_email(user: User) -> None:
    link = _external_url("account.verify_email", token=make_token(user, VERIFY_EMAIL))
    _send(
        user,
        _l("Confirm your email address"),
        _l("Open this link to confirm your email address:\n\n%(link)s\n\nIf you did not create an account, ignore this message.", link=link),
    )


def verify_email(token: str) -> User:
    user = load_token(token, VERIFY_EMAIL)
    user.is_verified = True
    db.session.commit()
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address has an account (the caller says the same either way)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None:
        return
    link = _external_url("account.reset_password", token=make_token(user, RESET_PASSWORD))
    _send(
        user,
        _l("Reset your password"),
        _l("Open this link to choose a new password:\n\n%(link)s\n\nIf you did not ask for this, ignore this message.", link=link),
    )


def reset_password(token: str, password: str) -> User:
    """Set a new password; the link then stops working and other sessions end."""
    user = load_token(token, RESET_PASSWORD)
    user.password_hash = hash_password(password)
    user.is_verified = True  # the link proved the address
    db.session.commit()
    return user


def authenticate(email: str, password: str, *, address: str, at: datetime | None = None) -> User:
    """The user with this email and password, recording the attempt; refuses while failed
    attempts for the account or the address are being slowed down."""
    email = normalize_email(email)[:254]
    at = at or security.now()
    throttle = security.login_throttle(email, address, at)
    if not throttle.is_allowed:
        raise LoginThrottled(throttle.retry_after)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    is_success = _check_password(user, password)
    security.record_login_attempt(email, address, at, is_success=is_success)
    security.forget_old_login_attempts(at)
    db.session.commit()
    if not is_success:
        raise InvalidLogin(_l("Wrong email or password."))
    return user


def update_profile(user: User, **fields) -> User:
    """Change only the eligibility fields and the preferred language."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(user, name, value if value not in ("", None) else None)
    db.session.commit()
    return user


def _external_url(endpoint: str, **values) -> str:
    """A full link for a mail. With PUBLIC_URL set (required in production) the host comes
    from it, never from the request's Host header, which an attacker can choose."""
    public_url = current_app.config.get("PUBLIC_URL")
    if public_url:
        return public_url.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _send(user: User, subject, body) -> None:
    with force_locale(user.preferred_language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        send_mail(user.email, str(subject), str(body))


def _already_registered_body(user: User):
    link = _external_url("account.request_reset")
    return _l(
        "Someone tried to register with this address, but it already has an account. "
        "If it was you, log in, or choose a new password here:\n\n%(link)s",
        link=link,
    )


__all__ = [
    "InvalidLogin",
    "LoginThrottled",
    "TokenError",
    "authenticate",
    "hash_password",
    "load_token",
    "make_token",
    "register_user",
    "request_password_reset",
    "reset_password",
    "send_verification_email",
    "update_profile",
    "verify_email",
]

"""Security headers on every response, and the slowing down of repeated failed logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from pb.extensions import db
from pb.models import LoginAttempt

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    if app.config.get("PROXY_FIX_X_FOR"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)
    app.after_request(_set_security_headers)


def _set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    max_age = current_app.config.get("HSTS_MAX_AGE") or 0
    if max_age:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(max_age)}; includeSubDomains")
    return response


def now() -> datetime:
    """The current UTC time, from the app's CLOCK when tests set one."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(timezone.utc)


def client_address() -> str:
    return (request.remote_addr or "unknown")[:45]


def is_safe_redirect(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no ``//`` or backslash tricks.

    >>> [is_safe_redirect(t) for t in ("/rounds/1", "//evil.example", "https://evil.example", "/\\\\evil", None)]
    [True, False, False, False, False]
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    return "\\" not in target and not any(ord(c) < 32 for c in target)


@dataclass(frozen=True)
class Throttle:
    """Whether a login may be tried now, and if not, for how many more seconds."""

    retry_after: int = 0

    @property
    def is_allowed(self) -> bool:
        return self.retry_after <= 0


def login_throttle(email: str, address: str, at: datetime) -> Throttle:
    """Failed logins within the window: per account, each failure past the free ones doubles
    the wait after the last failure; per address, too many failures lock it for the window."""
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_WINDOW"])
    since = at - window

    failures = sa.select(LoginAttempt.attempted_at).where(
        LoginAttempt.is_success.is_(False), LoginAttempt.attempted_at > since
    )
    # A successful login forgives the account's earlier failures.
    last_success = db.session.scalar(
        sa.select(sa.func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.email == email, LoginAttempt.is_success.is_(True), LoginAttempt.attempted_at > since
        )
    )
    account_query = failures.where(LoginAttempt.email == email)
    if last_success is not None:
        account_query = account_query.where(LoginAttempt.attempted_at > last_success)
    account_failures = db.session.scalars(account_query.order_by(LoginAttempt.attempted_at)).all()
    waits = [0]
    extra = len(account_failures) - config["LOGIN_ACCOUNT_FREE_FAILURES"]
    if extra >= 0:
        delay = min(config["LOGIN_ACCOUNT_BASE_DELAY"] * 2 ** min(extra, 30), config["LOGIN_WINDOW"])
        waits.append(_seconds_until(account_failures[-1] + timedelta(seconds=delay), at))

    address_failures = db.session.scalars(
        failures.where(LoginAttempt.address == address).order_by(LoginAttempt.attempted_at)
    ).all()
    if len(address_failures) >= config["LOGIN_ADDRESS_MAX_FAILURES"]:
        # Locked until enough of the failures leave the window.
        oldest_counted = address_failures[len(address_failures) - config["LOGIN_ADDRESS_MAX_FAILURES"]]
        waits.append(_seconds_until(oldest_counted + window, at))
    return Throttle(retry_after=max(waits))


def _seconds_until(moment: datetime, at: datetime) -> int:
    seconds = (moment - at).total_seconds()
    return max(0, int(seconds) + (0 if seconds == int(seconds) else 1))


def record_login_attempt(email: str, address: str, at: datetime, *, is_success: bool) -> None:
    """Add the attempt to the session; the calling service commits."""
    db.session.add(LoginAttempt(email=email[:254], address=address, attempted_at=at, is_success=is_success))


def forget_old_login_attempts(at: datetime) -> None:
    """Delete attempts older than LOGIN_ATTEMPT_RETENTION seconds (they hold IP addresses);
    the calling service commits."""
    cutoff = at - timedelta(seconds=max(current_app.config["LOGIN_ATTEMPT_RETENTION"], current_app.config["LOGIN_WINDOW"]))
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff))

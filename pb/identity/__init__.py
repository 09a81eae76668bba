"""Identity for voting: one interface over OpenID Connect providers and a local test provider.

The round code never talks to a provider directly. In the voting view::

    from pb import identity
    from pb.eligibility import check_eligibility

    claims = identity.attested_claims()
    if claims is None:
        return identity.begin_attestation("suomifi", next_url=request.path)
    decision = check_eligibility(round_rule, claims)
    voter = identity.voter_reference(claims)   # the who-voted key, see below

``begin_attestation`` remembers where to return and sends the browser to the provider;
the provider comes back to ``identity.callback`` (this package's blueprint), which calls
the provider's ``complete_attestation`` (verifying state, nonce and ID token), keeps the
resulting :class:`~pb.eligibility.Claims` in the session for ``PB_ATTESTATION_MAX_AGE``
seconds, and redirects to ``next_url``. A failed attestation flashes a translated message
and returns there too, where ``attested_claims()`` is still None.

Configuration (read by :func:`init_app`):

``PB_IDENTITY_PROVIDERS``
    ``{name: settings}`` for OpenID Connect providers (see :func:`pb.identity.oidc.register`),
    with secrets taken from the environment by the config class.
``PB_IDENTITY_TEST_PROVIDER``
    True to add the local test provider as ``"test"`` (development and tests; refused in
    the production configuration).
``PB_VOTER_KEY``
    Server secret (at least 32 characters, not stored in the database) for
    :func:`voter_reference` and for pseudonymizing identity codes used as subjects.
``PB_ATTESTATION_MAX_AGE``
    Seconds an attestation stays usable (default 900).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Flask, current_app, session, url_for

from pb.eligibility import Channel, Claims
from pb.identity.base import AttestationError, AttestationProblem, IdentityProvider

__all__ = [
    "AttestationError",
    "AttestationProblem",
    "Claims",
    "IdentityProvider",
    "attested_claims",
    "begin_attestation",
    "clear_attestation",
    "complete_attestation",
    "get_provider",
    "init_app",
    "problem_message",
    "providers",
    "voter_reference",
]

EXTENSION = "pb_identity"
#: Session keys: the attested claims, and where to go after the callback.
CLAIMS_KEY = "pb_attestation"
NEXT_KEY = "pb_attestation_next"
DEFAULT_MAX_AGE = 900


def init_app(app: Flask) -> None:
    """Register the configured providers and the blueprints (callback; test provider if enabled)."""
    from pb.identity import oidc
    from pb.identity.routes import bp
    from pb.identity.test_provider import TestProvider
    from pb.identity.test_provider import bp as test_bp

    registry: dict[str, IdentityProvider] = {}
    configured: Mapping[str, Mapping[str, Any]] = app.config.get("PB_IDENTITY_PROVIDERS") or {}
    if configured:
        from authlib.integrations.flask_client import OAuth

        oauth = OAuth(app)
        key = app.config.get("PB_VOTER_KEY")
        pseudonymize = _pseudonymizer(key) if key else None
        for name, settings in configured.items():
            if name == "test":
                raise RuntimeError("the provider name 'test' is reserved for the test provider")
            registry[name] = oidc.register(oauth, name, settings, pseudonymize)
    if app.config.get("PB_IDENTITY_TEST_PROVIDER"):
        if app.config.get("NAME") == "production" or app.config.get("ENV") == "production":
            raise RuntimeError("refusing to enable the test identity provider in production")
        registry["test"] = TestProvider("test")
        app.register_blueprint(test_bp)
    app.extensions[EXTENSION] = registry
    app.register_blueprint(bp)


def local_path(target: str | None) -> str:
    r"""``target`` if it is a path on this site, else ``/`` (no open redirects).

    >>> [local_path(t) for t in ("/rounds/1?a=b", "//evil.example", "https://evil.example", "/\\x", None)]
    ['/rounds/1?a=b', '/', '/', '/', '/']
    """
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return "/"
    if len(target) > 2000 or "\\" in target or any(ord(ch) < 32 for ch in target):
        return "/"
    return target


def _pseudonymizer(key: str | bytes):
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)

    def pseudonymize(text: str) -> str:
        return hmac.new(raw, b"pb-subject-v1:" + text.encode("utf-8"), hashlib.sha256).hexdigest()

    return pseudonymize


def providers() -> dict[str, IdentityProvider]:
    """The providers of the current app, by name (configuration order)."""
    return dict(current_app.extensions.get(EXTENSION, {}))


def get_provider(name: str) -> IdentityProvider:
    """One provider, or :class:`AttestationError` (UNKNOWN_PROVIDER)."""
    try:
        return current_app.extensions.get(EXTENSION, {})[name]
    except (KeyError, TypeError):
        raise AttestationError(AttestationProblem.UNKNOWN_PROVIDER, f"no identity provider {name!r}") from None


def begin_attestation(provider: str, next_url: str = "/"):
    """Start attesting with ``provider``; the response redirects the browser there.

    ``next_url`` (a path on this site; anything else becomes ``/``) is where the callback
    returns afterwards. Any earlier attestation in this session is dropped first.
    """
    chosen = get_provider(provider)
    clear_attestation()
    session[NEXT_KEY] = local_path(next_url)
    redirect_uri = url_for("identity.callback", provider=chosen.name, _external=True)
    return chosen.begin_attestation(redirect_uri)


def complete_attestation(provider: str) -> tuple[Claims, str]:
    """Finish an attestation in the callback request: keep the claims, return them and the next URL."""
    chosen = get_provider(provider)
    next_url = local_path(session.pop(NEXT_KEY, None))
    claims = chosen.complete_attestation()
    if claims.channel is not Channel.IDENTITY or claims.provider != chosen.name or not claims.subject:
        raise AttestationError(AttestationProblem.MISSING_CLAIMS, "the provider's answer is incomplete")
    session[CLAIMS_KEY] = {"at": int(time.time()), "claims": _to_session(claims)}
    return claims, next_url


def attested_claims(max_age: int | None = None) -> Claims | None:
    """The claims attested in this session, or None if none or older than ``max_age`` seconds."""
    stored = session.get(CLAIMS_KEY)
    if not isinstance(stored, dict):
        return None
    limit = max_age if max_age is not None else current_app.config.get("PB_ATTESTATION_MAX_AGE", DEFAULT_MAX_AGE)
    at = stored.get("at")
    if not isinstance(at, int) or not 0 <= time.time() - at <= limit:
        session.pop(CLAIMS_KEY, None)
        return None
    try:
        return _from_session(stored["claims"])
    except (KeyError, TypeError, ValueError):
        session.pop(CLAIMS_KEY, None)
        return None


def clear_attestation() -> None:
    """Forget the attested claims (after casting, or at logout)."""
    session.pop(CLAIMS_KEY, None)


def voter_reference(claims: Claims, key: bytes | str | None = None) -> str:
    """The who-voted key of an attested person: hex HMAC-SHA256 of provider and subject.

    Keyed with ``PB_VOTER_KEY`` (not stored in the database), so the who-voted table holds
    no provider subject that could be matched against the provider's records, and the same
    person gets the same reference in every round (the round id goes in the unique
    constraint beside it). Different providers give different references: a round that
    accepts two providers cannot tell one person using both (see docs/THREAT_MODEL.md).
    """
    if not claims.subject or not claims.provider:
        raise ValueError("only attested claims have a voter reference")
    raw = key if key is not None else current_app.config.get("PB_VOTER_KEY")
    if not raw:
        raise RuntimeError("PB_VOTER_KEY is not set")
    raw_bytes = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(raw_bytes) < 32:
        raise RuntimeError("PB_VOTER_KEY must be at least 32 characters long")
    message = f"pb-voter-v1:{claims.provider}\x00{claims.subject}".encode()
    return hmac.new(raw_bytes, message, hashlib.sha256).hexdigest()


def problem_message(problem: AttestationProblem) -> str:
    """A translated sentence for a failed attestation."""
    from flask_babel import gettext as _

    messages = {
        AttestationProblem.DENIED: _("Identification was cancelled. You can try again."),
        AttestationProblem.INVALID_STATE: _("Identification did not start from this page or took too long. Please try again."),
        AttestationProblem.INVALID_RESPONSE: _("The identification service's answer could not be verified. Please try again."),
        AttestationProblem.MISSING_CLAIMS: _("The identification service did not give the details needed for voting."),
        AttestationProblem.UNAVAILABLE: _("The identification service cannot be reached right now. Please try again later."),
        AttestationProblem.UNKNOWN_PROVIDER: _("This identification method is not available."),
    }
    return messages[problem]


def _to_session(claims: Claims) -> dict[str, Any]:
    # The Flask session is a signed cookie the browser can read: it holds only the claims
    # (the voter's own details), never tokens from the provider.
    return {
        "channel": str(claims.channel),
        "birth_date": claims.birth_date.isoformat() if claims.birth_date else None,
        "birth_year": claims.birth_year,
        "home_municipality": claims.home_municipality,
        "home_area": claims.home_area,
        "school": claims.school,
        "grade": claims.grade,
        "provider": claims.provider,
        "subject": claims.subject,
    }


def _from_session(data: Mapping[str, Any]) -> Claims:
    values = dict(data)
    if values.get("birth_date"):
        values["birth_date"] = date.fromisoformat(values["birth_date"])
    return Claims(**values)

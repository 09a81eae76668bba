"""The one interface every identity provider offers the round code."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol, runtime_checkable

from werkzeug.wrappers import Response

from pb.eligibility import Claims


class AttestationProblem(StrEnum):
    """Why an attestation failed; the callback view turns these into translated messages."""

    #: The person cancelled at the provider, or the provider refused.
    DENIED = "denied"
    #: The answer does not belong to an attestation this browser started (state mismatch,
    #: replay, expired): possibly a forged callback.
    INVALID_STATE = "invalid-state"
    #: The provider's answer could not be verified (ID token signature, issuer, audience, nonce).
    INVALID_RESPONSE = "invalid-response"
    #: The answer lacks what attestation needs (subject) or holds malformed claims.
    MISSING_CLAIMS = "missing-claims"
    #: The provider could not be reached.
    UNAVAILABLE = "unavailable"
    #: No such provider is configured.
    UNKNOWN_PROVIDER = "unknown-provider"


class AttestationError(Exception):
    """An attestation did not give usable claims; ``problem`` says why."""

    def __init__(self, problem: AttestationProblem, message: str = "") -> None:
        super().__init__(message or str(problem))
        self.problem = problem


@runtime_checkable
class IdentityProvider(Protocol):
    """What the round code relies on, whichever provider attests.

    ``begin_attestation`` sends the browser to the provider (a redirect response) with
    ``redirect_uri`` as the address the provider comes back to. ``complete_attestation``
    runs in the request that arrives there, verifies the answer and returns the
    :class:`~pb.eligibility.Claims`, or raises :class:`AttestationError`.
    """

    name: str

    def begin_attestation(self, redirect_uri: str) -> Response: ...

    def complete_attestation(self) -> Claims: ...

    def label(self) -> str:
        """The provider's name as shown to voters ("Suomi.fi", "MPASSid")."""
        ...

"""OpenID Connect attestation through Authlib (Suomi.fi strong authentication, MPASSid).

Authlib's Flask client does the protocol work we must not hand-roll: discovery from the
provider's metadata, the authorization-code flow with ``state`` kept in the session, a
``nonce`` per attempt, PKCE when configured, and verification of the ID token (signature
against the provider's published keys, issuer, audience, expiry, nonce). This module only
maps the verified claims to :class:`~pb.eligibility.Claims`.

Claim names differ between providers and gateways, so they are configuration
(:class:`ClaimMap`). The presets below are our reading of the providers' documentation and
must be checked against the actual client registration before production use.
A personal identity code, when a provider sends one, is read for the birth date and then
dropped (:mod:`pb.identity.hetu`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pb.eligibility import Channel, Claims, EligibilityError
from pb.identity.base import AttestationError, AttestationProblem
from pb.identity.hetu import HetuError, birth_date_from_hetu

_POSTAL = re.compile(r"\d{5}")
_MUNICIPALITY = re.compile(r"\d{3}")


@dataclass(frozen=True)
class ClaimMap:
    """Which claim of the provider's answer carries each fact (None: not provided).

    A dotted name reads into nested objects (``domicile.code``).
    """

    birth_date: str | None = "birthdate"
    #: Personal identity code, used only to derive the birth date when no birth date is sent.
    identity_code: str | None = None
    municipality: str | None = None
    postal_code: str | None = None
    area: str | None = None
    school: str | None = None
    grade: str | None = None
    #: Ask the provider's userinfo endpoint too (claims not carried in the ID token).
    use_userinfo: bool = False

    @classmethod
    def from_config(cls, value: ClaimMap | Mapping[str, Any] | str | None) -> ClaimMap:
        if isinstance(value, ClaimMap):
            return value
        if value is None:
            return cls()
        if isinstance(value, str):
            try:
                return PRESETS[value]
            except KeyError:
                raise ValueError(f"unknown claim preset {value!r}; one of {', '.join(PRESETS)}") from None
        return cls(**dict(value))


#: Suomi.fi through an OIDC gateway: birth date from the identity code, home municipality
#: code and postal code from the population register. (Assumed names; check them.)
SUOMIFI_CLAIMS = ClaimMap(
    birth_date="birthdate",
    identity_code="urn:oid:1.2.246.21",
    municipality="urn:oid:1.2.246.517.2002.2.18",
    postal_code="urn:oid:1.2.246.517.2002.2.6",
    use_userinfo=True,
)
#: MPASSid: school code and class level of a pupil. (Assumed names; check them.)
MPASSID_CLAIMS = ClaimMap(
    birth_date=None,
    school="urn:mpass.schoolCode",
    grade="urn:mpass.classLevel",
    use_userinfo=True,
)
PRESETS = {"suomifi": SUOMIFI_CLAIMS, "mpassid": MPASSID_CLAIMS, "standard": ClaimMap()}


def _read(info: Mapping[str, Any], name: str | None) -> Any:
    if not name:
        return None
    if name in info:
        value = info[name]
    else:
        value: Any = info
        for part in name.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
    if isinstance(value, list | tuple):
        # Multi-valued attributes (a pupil in one school): the first value.
        value = value[0] if value else None
    return value


def _text(value: Any, limit: int = 100) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > limit or any(ord(ch) < 32 for ch in text):
        return None
    return text


def _birth(value: Any) -> tuple[date | None, int | None]:
    """OIDC ``birthdate``: YYYY-MM-DD, or YYYY alone, or 0000-MM-DD (year withheld)."""
    text = _text(value, 10)
    if text is None:
        return None, None
    if re.fullmatch(r"\d{4}", text):
        return None, int(text) if text != "0000" else None
    if text.startswith("0000-"):
        return None, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        raise AttestationError(AttestationProblem.MISSING_CLAIMS, "malformed birthdate claim") from None


def _grade(value: Any) -> int | None:
    text = _text(value, 10)
    if text is None:
        return None
    digits = re.fullmatch(r"(\d{1,2})\D{0,3}", text)  # "8", "8.", "8lk"
    if not digits:
        raise AttestationError(AttestationProblem.MISSING_CLAIMS, "malformed grade claim")
    return int(digits.group(1))


def claims_from_userinfo(
    info: Mapping[str, Any],
    claim_map: ClaimMap,
    *,
    provider: str,
    area_resolver: Callable[[Claims, Mapping[str, Any]], str | None] | None = None,
    pseudonymize: Callable[[str], str] | None = None,
) -> Claims:
    """Build :class:`Claims` from a provider's verified claims, dropping everything else.

    A provider that uses the personal identity code as its subject gets it replaced by
    ``pseudonymize(code)`` (a keyed hash), or is refused when no pseudonymizer is given.
    """
    subject = _text(info.get("sub"), 255)
    if subject is None:
        raise AttestationError(AttestationProblem.MISSING_CLAIMS, "the provider sent no subject")
    if _looks_like_hetu(subject):
        if pseudonymize is None:
            raise AttestationError(AttestationProblem.MISSING_CLAIMS,
                                   "the provider's subject is a personal identity code")
        subject = "pseudonym:" + pseudonymize(subject.strip().upper())
    issuer = _text(info.get("iss"), 255) or ""
    birth_date, birth_year = _birth(_read(info, claim_map.birth_date))
    if birth_date is None and claim_map.identity_code:
        code = _text(_read(info, claim_map.identity_code), 20)
        if code is not None:
            try:
                birth_date = birth_date_from_hetu(code)
            except HetuError as error:
                raise AttestationError(AttestationProblem.MISSING_CLAIMS, str(error)) from None
            del code  # never kept beyond this point
    municipality = _text(_read(info, claim_map.municipality), 3)
    if municipality is not None and not _MUNICIPALITY.fullmatch(municipality):
        municipality = None
    postal = _text(_read(info, claim_map.postal_code), 5)
    try:
        claims = Claims(
            Channel.IDENTITY,
            birth_date=birth_date,
            birth_year=birth_year if birth_date is None else None,
            home_municipality=municipality,
            home_area=_text(_read(info, claim_map.area), 40),
            school=_text(_read(info, claim_map.school), 100),
            grade=_grade(_read(info, claim_map.grade)),
            provider=provider,
            # The issuer keeps subjects of different providers apart in the who-voted key.
            subject=f"{issuer}|{subject}" if issuer else subject,
        )
    except EligibilityError as error:
        raise AttestationError(AttestationProblem.MISSING_CLAIMS, str(error)) from None
    if claims.home_area is None and area_resolver is not None:
        area = area_resolver(claims, {"postal_code": postal} if postal and _POSTAL.fullmatch(postal) else {})
        if area:
            claims = _replace(claims, home_area=area)
    return claims


def _looks_like_hetu(text: str) -> bool:
    try:
        birth_date_from_hetu(text)
    except HetuError:
        return False
    return True


def _replace(claims: Claims, **changes: Any) -> Claims:
    from dataclasses import replace

    return replace(claims, **changes)


def postal_code_areas(mapping: Mapping[str, str]) -> Callable[[Claims, Mapping[str, Any]], str | None]:
    """An area resolver from a postal code → area code table (e.g. 02100 → suur-tapiola)."""
    table = dict(mapping)

    def resolve(claims: Claims, extra: Mapping[str, Any]) -> str | None:
        return table.get(extra.get("postal_code") or "")

    return resolve


class OIDCProvider:
    """An OpenID Connect provider registered with Authlib's Flask client."""

    def __init__(
        self,
        name: str,
        client: Any,
        claim_map: ClaimMap,
        *,
        display_name: str = "",
        area_resolver: Callable[[Claims, Mapping[str, Any]], str | None] | None = None,
        pseudonymize: Callable[[str], str] | None = None,
    ) -> None:
        self.pseudonymize = pseudonymize
        self.name = name
        self.client = client
        self.claim_map = claim_map
        self.display_name = display_name or name
        self.area_resolver = area_resolver

    def label(self) -> str:
        return self.display_name

    def begin_attestation(self, redirect_uri: str):
        """Redirect to the provider's authorization endpoint (state and nonce kept in the session)."""
        from authlib.integrations.base_client.errors import OAuthError
        from requests.exceptions import RequestException

        try:
            return self.client.authorize_redirect(redirect_uri)
        except (OAuthError, RequestException) as error:
            raise AttestationError(AttestationProblem.UNAVAILABLE, str(error)) from None

    def complete_attestation(self) -> Claims:
        """Exchange the code, verify the ID token and map its claims."""
        from authlib.integrations.base_client.errors import (
            MismatchingStateError,
            OAuthError,
        )
        from joserfc.errors import JoseError
        from requests.exceptions import RequestException

        try:
            token = self.client.authorize_access_token()
        except MismatchingStateError as error:
            raise AttestationError(AttestationProblem.INVALID_STATE, str(error)) from None
        except OAuthError as error:
            problem = (
                AttestationProblem.DENIED
                if error.error in ("access_denied", "login_required", "consent_required")
                else AttestationProblem.INVALID_RESPONSE
            )
            raise AttestationError(problem, str(error)) from None
        except (JoseError, ValueError) as error:
            raise AttestationError(AttestationProblem.INVALID_RESPONSE, str(error)) from None
        except RequestException as error:
            raise AttestationError(AttestationProblem.UNAVAILABLE, str(error)) from None
        userinfo = token.get("userinfo")
        if not userinfo:
            # Attestation needs a verified ID token; an access token alone proves nothing here.
            raise AttestationError(AttestationProblem.INVALID_RESPONSE, "no ID token in the answer")
        info = dict(userinfo)
        if self.claim_map.use_userinfo:
            try:
                extra = dict(self.client.userinfo(token=token))
            except (OAuthError, RequestException, ValueError) as error:
                raise AttestationError(AttestationProblem.UNAVAILABLE, str(error)) from None
            if extra.get("sub") != info.get("sub"):
                # OIDC Core 5.3.2: the userinfo subject must be the ID token's.
                raise AttestationError(AttestationProblem.INVALID_RESPONSE, "userinfo is about someone else")
            info = {**extra, **info}
        return claims_from_userinfo(
            info,
            self.claim_map,
            provider=self.name,
            area_resolver=self.area_resolver,
            pseudonymize=self.pseudonymize,
        )


def register(
    oauth: Any,
    name: str,
    settings: Mapping[str, Any],
    pseudonymize: Callable[[str], str] | None = None,
) -> OIDCProvider:
    """Register one provider from config with an Authlib ``OAuth`` registry.

    ``settings``: ``client_id``, ``client_secret``, ``server_metadata_url``, optional
    ``scope`` (default ``openid``), ``claims`` (preset name or mapping), ``label``,
    ``postal_areas`` (postal code → area code), ``code_challenge_method`` (e.g. ``S256``).
    """
    missing = [key for key in ("client_id", "server_metadata_url") if not settings.get(key)]
    if missing:
        raise RuntimeError(f"identity provider {name!r} needs {', '.join(missing)}")
    client_kwargs = {"scope": settings.get("scope", "openid")}
    if settings.get("code_challenge_method"):
        client_kwargs["code_challenge_method"] = settings["code_challenge_method"]
    client = oauth.register(
        name,
        client_id=settings["client_id"],
        client_secret=settings.get("client_secret"),
        server_metadata_url=settings["server_metadata_url"],
        client_kwargs=client_kwargs,
    )
    resolver = postal_code_areas(settings["postal_areas"]) if settings.get("postal_areas") else None
    return OIDCProvider(
        name,
        client,
        ClaimMap.from_config(settings.get("claims")),
        display_name=settings.get("label", ""),
        area_resolver=resolver,
        pseudonymize=pseudonymize,
    )

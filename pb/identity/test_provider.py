"""A local identity provider for development and tests, issuing the claims real ones do.

It behaves like a small OpenID Connect provider inside the app: ``begin_attestation``
redirects to its "authorize" page (blueprint ``identity_test``), where one picks a test
person or types claims; the page redirects back to the attestation callback with a
one-time ``code`` and the ``state`` the begin step stored in the session. The code is a
signed, short-lived token (itsdangerous, keyed by the app's secret key) bound to that state,
so a forged or replayed callback fails exactly as with a real provider.

Never enable it in production: ``pb.identity.init_app`` refuses to start a production
configuration that has ``PB_IDENTITY_TEST_PROVIDER`` set.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from pb.eligibility import Channel, Claims, EligibilityError
from pb.identity.base import AttestationError, AttestationProblem

#: Session key of the pending attestation's state.
STATE_KEY = "pb_identity_test_state"
#: Seconds a code stays valid between the form and the callback.
CODE_MAX_AGE = 120
_SALT = "pb-identity-test-code"

bp = Blueprint("identity_test", __name__)


@dataclass(frozen=True)
class TestPerson:
    """A made-up person the test provider can attest."""

    __test__ = False  # not a pytest test class

    key: str
    description: str
    birth_date: date | None = None
    home_municipality: str | None = None
    home_area: str | None = None
    school: str | None = None
    grade: int | None = None

    def claims(self, provider: str) -> Claims:
        return Claims(
            Channel.IDENTITY,
            birth_date=self.birth_date,
            home_municipality=self.home_municipality,
            home_area=self.home_area,
            school=self.school,
            grade=self.grade,
            provider=provider,
            subject=f"test|{self.key}",
        )


#: People covering the usual cases of city and youth rounds (Espoo is municipality 049).
DEFAULT_PEOPLE: tuple[TestPerson, ...] = (
    TestPerson("aino", "Aino, adult, Suur-Tapiola, Espoo", date(1988, 4, 12), "049", "suur-tapiola"),
    TestPerson("bertil", "Bertil, adult, Vanha-Espoo, Espoo", date(1961, 10, 3), "049", "vanha-espoo"),
    TestPerson("senni", "Senni, senior, Pohjois-Espoo, Espoo", date(1944, 1, 30), "049", "pohjois-espoo"),
    TestPerson("helka", "Helka, adult, Helsinki", date(1990, 6, 1), "091", None),
    TestPerson("eero", "Eero, pupil in grade 8, Espoo test school 1", date(2012, 3, 3), "049",
               "suur-leppavaara", "espoo-test-school-1", 8),
    TestPerson("karkaus", "Kaisa, born on a leap day, grade 7", date(2012, 2, 29),
               "049", "suur-matinkyla", "espoo-test-school-2", 7),
    TestPerson("pikku", "Pekka, pupil in grade 6, Espoo test school 1", date(2014, 8, 20), "049",
               "suur-leppavaara", "espoo-test-school-1", 6),
    TestPerson("lukio", "Linnea, upper secondary, 17", date(2009, 5, 5), "049", "suur-espoonlahti"),
)


def people() -> Sequence[TestPerson]:
    """The configured test people (``PB_IDENTITY_TEST_PEOPLE``), else :data:`DEFAULT_PEOPLE`."""
    configured = current_app.config.get("PB_IDENTITY_TEST_PEOPLE")
    if not configured:
        return DEFAULT_PEOPLE
    return tuple(p if isinstance(p, TestPerson) else TestPerson(**p) for p in configured)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _claims_to_data(claims: Claims) -> dict[str, Any]:
    data = asdict(claims)
    data["channel"] = str(claims.channel)
    data["birth_date"] = claims.birth_date.isoformat() if claims.birth_date else None
    return data


def _claims_from_data(data: Mapping[str, Any]) -> Claims:
    values = dict(data)
    if values.get("birth_date"):
        values["birth_date"] = date.fromisoformat(values["birth_date"])
    return Claims(**values)


class TestProvider:
    """The provider object the app calls; the pages live in :data:`bp`."""

    __test__ = False

    def __init__(self, name: str = "test") -> None:
        self.name = name

    def label(self) -> str:
        from flask_babel import gettext as _

        return _("Test identification (development only)")

    def begin_attestation(self, redirect_uri: str):
        """Store a fresh state and send the browser to the test provider's page."""
        state = secrets.token_urlsafe(24)
        session[STATE_KEY] = {"state": state, "redirect_uri": redirect_uri, "provider": self.name}
        return redirect(url_for("identity_test.authorize", state=state), code=303)

    def complete_attestation(self) -> Claims:
        """Check the returned state against the session and read the signed code."""
        pending = session.pop(STATE_KEY, None)
        state = request.values.get("state", "")
        if request.values.get("error"):
            raise AttestationError(AttestationProblem.DENIED, "cancelled at the test provider")
        if not pending or not state or not secrets.compare_digest(str(pending.get("state", "")), state):
            raise AttestationError(AttestationProblem.INVALID_STATE, "no attestation was started here")
        try:
            payload = _serializer().loads(request.values.get("code", ""), max_age=CODE_MAX_AGE)
        except SignatureExpired:
            raise AttestationError(AttestationProblem.INVALID_STATE, "the code has expired") from None
        except BadSignature:
            raise AttestationError(AttestationProblem.INVALID_RESPONSE, "the code is not genuine") from None
        if not isinstance(payload, dict) or payload.get("state") != state:
            raise AttestationError(AttestationProblem.INVALID_STATE, "the code belongs to another attempt")
        try:
            claims = _claims_from_data(payload["claims"])
        except (KeyError, TypeError, ValueError, EligibilityError) as error:
            raise AttestationError(AttestationProblem.MISSING_CLAIMS, str(error)) from None
        if claims.provider != self.name:
            raise AttestationError(AttestationProblem.INVALID_RESPONSE, "the code is for another provider")
        return claims


def _custom_claims(form, provider: str) -> Claims:
    return Claims(
        Channel.IDENTITY,
        birth_date=form.birth_date.data,
        home_municipality=form.municipality.data or None,
        home_area=form.area.data or None,
        school=form.school.data or None,
        grade=form.grade.data,
        provider=provider,
        subject="test|custom-" + secrets.token_hex(8),
    )


@bp.route("/identity/test-provider/authorize", methods=["GET", "POST"])
def authorize():
    """Pick a test person (or type claims) and return to the app with a one-time code."""
    from pb.identity.forms import TestPersonForm

    pending = session.get(STATE_KEY)
    state = request.values.get("state", "")
    if not pending or not state or pending.get("state") != state:
        abort(400)
    form = TestPersonForm(people())
    if request.method == "POST" and request.form.get("cancel"):
        return redirect(pending["redirect_uri"] + "?" + urlencode({"state": state, "error": "access_denied"}), 303)
    if form.validate_on_submit():
        provider = pending.get("provider", "test")
        if form.person.data == "custom":
            claims = _custom_claims(form, provider)
        else:
            person = next(p for p in people() if p.key == form.person.data)
            claims = person.claims(provider)
        code = _serializer().dumps({"state": state, "claims": _claims_to_data(claims)})
        return redirect(pending["redirect_uri"] + "?" + urlencode({"state": state, "code": code}), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("identity/test_provider.html", form=form, state=state), status

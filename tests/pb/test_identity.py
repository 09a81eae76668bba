"""Identity for voting: the test provider's flow, OIDC through Authlib, claim mapping, references."""

from __future__ import annotations

import doctest
import importlib
import re
import time
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, get_flashed_messages, jsonify, request
from flask_wtf.csrf import CSRFProtect
from hypothesis import given
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict

from pb import identity
from pb.eligibility import Channel, Claims
from pb.identity import test_provider
from pb.identity.base import AttestationError, AttestationProblem
from pb.identity.hetu import HetuError, birth_date_from_hetu
from pb.identity.hetu import check_character as hetu_check
from pb.identity.oidc import SUOMIFI_CLAIMS, ClaimMap, claims_from_userinfo, postal_code_areas

REPO = Path(__file__).resolve().parents[2]
VOTER_KEY = "v" * 40


def make_app(**config) -> Flask:
    """A minimal app: languages, CSRF, the identity package and one page that needs attestation."""
    from pb import i18n

    app = Flask("pb", template_folder=str(REPO / "templates"))
    app.config.update(
        SECRET_KEY="test-secret",
        TESTING=True,
        PB_COMPILE_TRANSLATIONS=False,
        PB_IDENTITY_TEST_PROVIDER=True,
        PB_VOTER_KEY=VOTER_KEY,
    )
    app.config.update(config)
    i18n.init_app(app)
    CSRFProtect(app)
    identity.init_app(app)

    @app.get("/vote")
    def vote():
        """Stand-in for the ballot page: attest first, then show the claims."""
        claims = identity.attested_claims()
        if claims is None:
            return identity.begin_attestation(request.args.get("provider", "test"), next_url="/vote")
        return jsonify(
            birth_date=claims.birth_date.isoformat() if claims.birth_date else None,
            birth_year=claims.birth_year,
            municipality=claims.home_municipality,
            area=claims.home_area,
            school=claims.school,
            grade=claims.grade,
            provider=claims.provider,
            subject=claims.subject,
            voter=identity.voter_reference(claims),
        )

    @app.get("/flashes")
    def flashes():
        """Show and clear the flashed messages."""
        return jsonify(get_flashed_messages())

    return app


@pytest.fixture
def app():
    """The minimal app with the test provider."""
    return make_app()


@pytest.fixture
def client(app):
    """A browser for the minimal app."""
    return app.test_client()


def _form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(csrf_token|state)"[^>]*value="([^"]*)"', html)) | dict(
        (name, value) for value, name in re.findall(r'value="([^"]*)"[^>]*name="(csrf_token|state)"', html)
    )


def _to_provider_page(client) -> tuple[str, dict[str, str]]:
    start = client.get("/vote")
    assert start.status_code == 303
    page = client.get(start.headers["Location"])
    assert page.status_code == 200
    return start.headers["Location"], _form_fields(page.get_data(as_text=True))


def _pick(client, person: str, **extra) -> str:
    """Go through the test provider choosing ``person``; return the callback URL it sends us to."""
    url, fields = _to_provider_page(client)
    response = client.post(url, data={"person": person, **fields, **extra})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


# --- the local test provider --------------------------------------------------------------


def test_test_provider_flow_attests_the_chosen_person(client):
    """Choosing Eero on the test provider's page leaves his claims attested in the session."""
    callback = _pick(client, "eero")
    assert urlsplit(callback).path == "/identity/test/callback"
    done = client.get(callback)
    assert done.status_code == 303 and done.headers["Location"] == "/vote"
    data = client.get("/vote").get_json()
    eero = next(p for p in test_provider.DEFAULT_PEOPLE if p.key == "eero")
    assert data["birth_date"] == eero.birth_date.isoformat()
    assert (data["municipality"], data["area"], data["school"], data["grade"]) == (
        eero.home_municipality, eero.home_area, eero.school, eero.grade,
    )
    assert data["provider"] == "test" and data["subject"] == "test|eero"


def test_custom_claims_are_attested_as_typed(client):
    """'Someone else' with typed details gets exactly those claims and a fresh subject."""
    callback = _pick(client, "custom", birth_date="2011-02-28", municipality="049", school="s9", grade="9")
    client.get(callback)
    data = client.get("/vote").get_json()
    assert (data["birth_date"], data["municipality"], data["school"], data["grade"]) == ("2011-02-28", "049", "s9", 9)
    assert data["subject"].startswith("test|custom-")


def test_form_errors_are_shown_not_crashed(client):
    """Custom claims with a bad municipality and no birth date or grade give a 400 form, no claims."""
    url, fields = _to_provider_page(client)
    response = client.post(url, data={"person": "custom", "municipality": "Espoo", "grade": "x", **fields})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert client.get("/vote").status_code == 303  # still not attested


def test_a_post_without_csrf_token_is_refused(client):
    """The test provider's form is CSRF-protected like every other form."""
    url, fields = _to_provider_page(client)
    response = client.post(url, data={"person": "eero", "state": fields["state"]})
    assert response.status_code == 400


def test_authorize_page_needs_a_pending_attestation(client):
    """Opening the test provider without starting an attestation here is a 400."""
    assert client.get("/identity/test-provider/authorize?state=abc").status_code == 400


def test_a_forged_callback_attests_nothing(client):
    """A callback whose state this browser never issued is refused with a message."""
    client.get("/vote")
    response = client.get("/identity/test/callback?state=forged&code=x")
    assert response.status_code == 303
    assert client.get("/vote").status_code == 303
    assert client.get("/flashes").get_json()


def test_a_callback_from_another_browser_is_refused(app):
    """A code obtained in one session does not attest another session (state is per browser)."""
    alice, mallory = app.test_client(), app.test_client()
    callback = _pick(alice, "aino")
    mallory.get("/vote")  # Mallory has her own pending state
    mallory.get(callback)
    assert mallory.get("/vote").status_code == 303


def test_a_callback_is_single_use(client):
    """Replaying a used callback fails: the pending state was consumed."""
    callback = _pick(client, "aino")
    client.get(callback)
    client.get("/flashes")
    assert client.get("/vote").status_code == 200  # attested once
    with client.session_transaction() as sess:
        sess.pop(identity.CLAIMS_KEY)
    client.get(callback)
    assert client.get("/vote").status_code == 303


def test_a_tampered_code_is_refused(client):
    """Changing the signed code in the callback URL makes the attestation fail."""
    callback = _pick(client, "helka")
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    code = query["code"][0]
    forged = code[:-2] + ("AA" if code[-2:] != "AA" else "BB")
    client.get(f"{parts.path}?state={query['state'][0]}&code={forged}")
    assert client.get("/vote").status_code == 303


def test_an_expired_code_is_refused(client, monkeypatch):
    """A code older than CODE_MAX_AGE no longer attests."""
    callback = _pick(client, "aino")
    monkeypatch.setattr(test_provider, "CODE_MAX_AGE", -1)
    client.get(callback)
    assert client.get("/vote").status_code == 303


def test_cancelling_attests_nothing_and_says_so(client):
    """Cancel on the provider's page returns with a 'cancelled' message and no claims."""
    url, fields = _to_provider_page(client)
    response = client.post(url, data={"cancel": "1", **fields})
    client.get(response.headers["Location"])
    assert client.get("/vote").status_code == 303
    assert client.get("/flashes").get_json()


def test_attestation_expires(client, monkeypatch):
    """Claims older than PB_ATTESTATION_MAX_AGE are no longer returned."""
    client.get(_pick(client, "aino"))
    assert client.get("/vote").status_code == 200
    later = time.time() + identity.DEFAULT_MAX_AGE + 5
    monkeypatch.setattr(identity.time, "time", lambda: later)
    assert client.get("/vote").status_code == 303


def test_next_url_must_be_on_this_site(client):
    """The start endpoint never redirects back off-site, whatever ``next`` says."""
    start = client.get("/identity/test/start?next=https://evil.example/")
    client.post(start.headers["Location"], data={"person": "aino", **_form_fields(
        client.get(start.headers["Location"]).get_data(as_text=True))})
    with client.session_transaction() as sess:
        assert sess[identity.NEXT_KEY] == "/"


def test_unknown_provider_is_a_message_not_an_error(client):
    """Starting with a provider that is not configured flashes a message and redirects."""
    response = client.get("/identity/nosuch/start?next=/vote")
    assert response.status_code == 303 and response.headers["Location"] == "/vote"
    assert client.get("/flashes").get_json()


def test_test_provider_is_refused_in_production():
    """init_app will not enable the test provider under the production configuration."""
    with pytest.raises(RuntimeError, match="production"):
        make_app(NAME="production")


def test_without_the_flag_there_is_no_test_provider():
    """With PB_IDENTITY_TEST_PROVIDER off, neither the provider nor its page exists."""
    app = make_app(PB_IDENTITY_TEST_PROVIDER=False)
    assert "identity_test.authorize" not in app.view_functions
    assert app.test_client().get("/identity/test/start?next=/vote").headers["Location"] == "/vote"
    with app.test_request_context(), pytest.raises(AttestationError):
        identity.begin_attestation("test", next_url="/vote")
    assert app.test_client().get("/identity/test-provider/authorize?state=x").status_code == 404


def test_provider_page_has_no_inline_script_or_style(client):
    """The test provider's page works under a CSP without 'unsafe-inline'."""
    start = client.get("/vote")
    html = client.get(start.headers["Location"]).get_data(as_text=True)
    assert "<script" not in html and " style=" not in html and "<style" not in html
    assert 'class="skip-link"' in html


# --- who-voted reference ------------------------------------------------------------------


def test_voter_reference_is_keyed_and_separates_providers():
    """The reference is stable per person, changes with the key or provider, and hides the subject."""
    claims = Claims(Channel.IDENTITY, provider="suomifi", subject="https://idp|abc123")
    ref = identity.voter_reference(claims, VOTER_KEY)
    assert re.fullmatch(r"[0-9a-f]{64}", ref)
    assert ref == identity.voter_reference(Claims(Channel.IDENTITY, provider="suomifi", subject="https://idp|abc123",
                                                  birth_year=2000), VOTER_KEY)
    assert ref != identity.voter_reference(claims, "w" * 40)
    assert ref != identity.voter_reference(Claims(Channel.IDENTITY, provider="mpassid", subject="https://idp|abc123"),
                                           VOTER_KEY)
    assert "abc123" not in ref


def test_voter_reference_refuses_unattested_claims_and_weak_keys():
    """No subject, no key or a short key is refused rather than giving a guessable reference."""
    with pytest.raises(ValueError):
        identity.voter_reference(Claims(Channel.SELF_DECLARED), VOTER_KEY)
    claims = Claims(Channel.IDENTITY, provider="p", subject="s")
    with pytest.raises(RuntimeError):
        identity.voter_reference(claims, "short")


# --- personal identity codes ------------------------------------------------------------------


_SIGNS = {1800: "+", 1900: "-", 2000: "A"}


def _hetu(born: date, individual: int, sign: str | None = None) -> str:
    ddmmyy = born.strftime("%d%m") + f"{born.year % 100:02d}"
    sign = sign or _SIGNS[born.year // 100 * 100]
    return ddmmyy + sign + f"{individual:03d}" + hetu_check(ddmmyy, f"{individual:03d}")


@given(st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31)), st.integers(900, 999))
def test_birth_date_is_read_from_any_valid_identity_code(born, individual):
    """A well-formed code (test individual numbers 900-999) gives back its birth date."""
    assert birth_date_from_hetu(_hetu(born, individual)) == born


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)), st.integers(900, 999),
       st.sampled_from("0123456789ABCDEFHJKLMNPRSTUVWXY"))
def test_a_wrong_check_character_is_refused(born, individual, check):
    """Any check character but the right one makes the code invalid."""
    code = _hetu(born, individual)
    if check != code[-1]:
        with pytest.raises(HetuError):
            birth_date_from_hetu(code[:-1] + check)


def test_new_century_signs_and_impossible_dates():
    """Y means the 1900s and B the 2000s; 30 February and garbage are refused without echoing the input."""
    assert birth_date_from_hetu(_hetu(date(1999, 12, 31), 950, "Y")).year == 1999
    assert birth_date_from_hetu(_hetu(date(2005, 1, 1), 950, "B")).year == 2005
    ddmmyy = "300299"
    with pytest.raises(HetuError) as error:
        birth_date_from_hetu(ddmmyy + "-950" + hetu_check(ddmmyy, "950"))
    assert ddmmyy not in str(error.value)
    for bad in ("", "abc", "010594Z9032", 12345):
        with pytest.raises(HetuError):
            birth_date_from_hetu(bad)


# --- claim mapping ------------------------------------------------------------------------------


def test_standard_claims_map_to_claims():
    """OIDC birthdate, a configured municipality claim and a nested area claim are read; the rest is dropped."""
    info = {"sub": "u1", "iss": "https://idp", "birthdate": "2012-02-29", "email": "x@example.org",
            "kunta": "049", "home": {"area": "olari"}}
    claims = claims_from_userinfo(info, ClaimMap(municipality="kunta", area="home.area"), provider="p")
    assert (claims.birth_date, claims.home_municipality, claims.home_area) == (date(2012, 2, 29), "049", "olari")
    assert claims.subject == "https://idp|u1" and "x@example.org" not in repr(claims)


@pytest.mark.parametrize(("value", "expected"), [("1990", (None, 1990)), ("0000-05-01", (None, None)),
                                                 ("1990-05-01", (date(1990, 5, 1), 1990))])
def test_partial_birthdates_follow_the_oidc_forms(value, expected):
    """'YYYY' gives only the year and '0000-MM-DD' (year withheld) gives nothing."""
    claims = claims_from_userinfo({"sub": "u", "birthdate": value}, ClaimMap(), provider="p")
    assert (claims.birth_date, claims.birth_year) == expected


def test_identity_code_gives_the_birth_date_and_is_dropped():
    """With only an identity code, the birth date is derived and the code appears nowhere in the claims."""
    code = _hetu(date(2011, 9, 17), 931)
    info = {"sub": "u1", SUOMIFI_CLAIMS.identity_code: code, SUOMIFI_CLAIMS.municipality: "049",
            SUOMIFI_CLAIMS.postal_code: "02100"}
    claims = claims_from_userinfo(info, SUOMIFI_CLAIMS, provider="suomifi",
                                  area_resolver=postal_code_areas({"02100": "suur-tapiola"}))
    assert claims.birth_date == date(2011, 9, 17)
    assert claims.home_area == "suur-tapiola" and claims.home_municipality == "049"
    assert code not in repr(claims) and code[:6] not in repr(claims)


def test_identity_code_as_subject_is_pseudonymized_or_refused():
    """A provider using the identity code as ``sub`` gets a keyed pseudonym, or is refused without a key."""
    code = _hetu(date(1980, 1, 1), 912)
    with pytest.raises(AttestationError) as error:
        claims_from_userinfo({"sub": code}, ClaimMap(), provider="p")
    assert error.value.problem is AttestationProblem.MISSING_CLAIMS
    claims = claims_from_userinfo({"sub": code}, ClaimMap(), provider="p", pseudonymize=lambda s: "h" + s[::-1])
    assert code not in claims.subject


@pytest.mark.parametrize("info", [{}, {"sub": ""}, {"sub": "u", "birthdate": "1.5.1990"},
                                  {"sub": "u", "grade": "eighth"}])
def test_unusable_answers_are_attestation_errors(info):
    """No subject, a malformed birth date or grade raise AttestationError (MISSING_CLAIMS)."""
    with pytest.raises(AttestationError) as error:
        claims_from_userinfo(info, ClaimMap(grade="grade"), provider="p")
    assert error.value.problem is AttestationProblem.MISSING_CLAIMS


claim_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.sampled_from(["2012-02-29", "049", "8"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@given(st.dictionaries(st.sampled_from(["sub", "iss", "birthdate", "kunta", "area", "school", "grade", "hetu"]),
                       claim_values))
def test_any_provider_answer_gives_claims_or_an_attestation_error(info):
    """Whatever a provider sends, mapping yields Claims or AttestationError, never another exception."""
    mapping = ClaimMap(identity_code="hetu", municipality="kunta", area="area", school="school", grade="grade")
    try:
        claims = claims_from_userinfo(info, mapping, provider="p")
    except AttestationError:
        return
    assert claims.subject and claims.channel is Channel.IDENTITY


@pytest.mark.parametrize("query", ["state=%ff%fe&code=%00", "state=" + "x" * 5000, "code=abc", "error=x" * 50])
def test_hostile_callbacks_never_crash(client, query):
    """Garbage, huge or partial callback parameters give a redirect with a message, never a 500."""
    client.get("/vote")
    response = client.get("/identity/test/callback?" + query)
    assert response.status_code == 303
    assert client.get("/vote").status_code == 303


def test_mpassid_style_grades_are_read():
    """Grades given as '8' or ['8'] are read as the integer 8."""
    for value in ("8", ["8"], "8."):
        claims = claims_from_userinfo({"sub": "u", "g": value}, ClaimMap(grade="g"), provider="p")
        assert claims.grade == 8


# --- OpenID Connect end to end against a fake provider ----------------------------------------


class FakeIdP:
    """A tiny OpenID Connect provider answering Authlib's HTTP calls in-process."""

    ISSUER = "https://idp.test"

    def __init__(self):
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.codes: dict[str, dict] = {}
        self.userinfo: dict = {}
        app = Flask("fake_idp")

        @app.get("/.well-known/openid-configuration")
        def metadata():
            """Discovery document."""
            return jsonify(
                issuer=self.ISSUER,
                authorization_endpoint=f"{self.ISSUER}/authorize",
                token_endpoint=f"{self.ISSUER}/token",
                jwks_uri=f"{self.ISSUER}/jwks",
                userinfo_endpoint=f"{self.ISSUER}/userinfo",
                id_token_signing_alg_values_supported=["RS256"],
                response_types_supported=["code"],
                subject_types_supported=["public"],
            )

        @app.get("/jwks")
        def jwks():
            """Public keys."""
            return jsonify(keys=[self.key.as_dict(private=False)])

        @app.post("/token")
        def token():
            """Exchange a code for tokens."""
            grant = self.codes.pop(request.form.get("code", ""), None)
            if grant is None:
                return jsonify(error="invalid_grant"), 400
            return jsonify(access_token="at-" + grant["claims"]["sub"], token_type="Bearer", expires_in=300,
                           id_token=self.sign(grant["claims"], grant.get("key")))

        @app.get("/userinfo")
        def userinfo():
            """Claims kept out of the ID token."""
            return jsonify(self.userinfo)

        self.client = app.test_client()

    def sign(self, claims: dict, key=None) -> str:
        from joserfc import jwt

        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key or self.key)

    def send(self, adapter, prepared, **kwargs):
        """Stand-in for requests' HTTPAdapter.send: route to the fake app."""
        parts = urlsplit(prepared.url)
        assert parts.netloc == "idp.test", prepared.url
        headers = {k: v for k, v in prepared.headers.items() if k.lower() != "content-length"}
        answer = self.client.open(parts.path, method=prepared.method, query_string=parts.query,
                                  data=prepared.body, headers=headers)
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.data
        response.headers = CaseInsensitiveDict(answer.headers)
        response.url = prepared.url
        response.request = prepared
        response.encoding = "utf-8"
        return response


@pytest.fixture
def idp(monkeypatch):
    """The fake provider, with requests routed to it."""
    fake = FakeIdP()
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", lambda self, prepared, **kw: fake.send(self, prepared))
    return fake


@pytest.fixture
def oidc_app(idp):
    """The minimal app with a Suomi.fi-style OIDC provider pointing at the fake."""
    return make_app(PB_IDENTITY_PROVIDERS={
        "suomifi": {
            "client_id": "pb-client",
            "client_secret": "pb-secret",
            "server_metadata_url": f"{FakeIdP.ISSUER}/.well-known/openid-configuration",
            "scope": "openid",
            "claims": "suomifi",
            "label": "Suomi.fi",
            "postal_areas": {"02100": "suur-tapiola"},
        }
    })


def _oidc_login(client, idp, *, claims_change=None, key=None, userinfo=None, state_change=None):
    start = client.get("/vote?provider=suomifi")
    assert start.status_code == 302
    location = urlsplit(start.headers["Location"])
    assert location.netloc == "idp.test"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["client_id"] == "pb-client" and query["response_type"] == "code"
    now = int(time.time())
    code_value = _hetu(date(2012, 4, 1), 944)
    claims = {"iss": FakeIdP.ISSUER, "sub": "person-1", "aud": "pb-client", "iat": now, "exp": now + 300,
              "nonce": query["nonce"], SUOMIFI_CLAIMS.identity_code: code_value}
    claims.update(claims_change or {})
    idp.codes["c1"] = {"claims": claims, "key": key}
    idp.userinfo = userinfo if userinfo is not None else {
        "sub": "person-1", SUOMIFI_CLAIMS.municipality: "049", SUOMIFI_CLAIMS.postal_code: "02100"}
    state = state_change or query["state"]
    return client.get(f"/identity/suomifi/callback?code=c1&state={state}"), code_value


def test_oidc_login_attests_verified_claims(oidc_app, idp):
    """A genuine answer gives birth date, municipality and area; the identity code is not kept."""
    client = oidc_app.test_client()
    done, code_value = _oidc_login(client, idp)
    assert done.status_code == 303 and done.headers["Location"] == "/vote"
    data = client.get("/vote").get_json()
    assert (data["birth_date"], data["municipality"], data["area"]) == ("2012-04-01", "049", "suur-tapiola")
    assert data["provider"] == "suomifi" and data["subject"] == f"{FakeIdP.ISSUER}|person-1"
    with client.session_transaction() as sess:
        assert code_value not in repr(dict(sess))


@pytest.mark.parametrize(
    "change",
    [
        {"claims_change": {"nonce": "not-the-nonce"}},
        {"claims_change": {"aud": "someone-else"}},
        {"claims_change": {"iss": "https://evil.test"}},
        {"claims_change": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}},
        {"state_change": "forged-state"},
        {"userinfo": {"sub": "person-2", "urn:oid:1.2.246.517.2002.2.18": "049"}},
    ],
    ids=["nonce", "audience", "issuer", "expired", "state", "userinfo-subject"],
)
def test_oidc_answers_that_do_not_verify_attest_nothing(oidc_app, idp, change):
    """A wrong nonce, audience, issuer, expiry, state or userinfo subject leaves the voter unattested."""
    client = oidc_app.test_client()
    done, _ = _oidc_login(client, idp, **change)
    assert done.status_code == 303
    assert client.get("/vote?provider=suomifi").status_code == 302  # sent to identify again
    assert client.get("/flashes").get_json()


def test_oidc_token_signed_by_another_key_attests_nothing(oidc_app, idp):
    """An ID token not signed by the provider's published key is refused."""
    from joserfc.jwk import RSAKey

    client = oidc_app.test_client()
    _oidc_login(client, idp, key=RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    assert client.get("/vote?provider=suomifi").status_code == 302


def test_oidc_cancel_at_the_provider_is_reported(oidc_app, idp):
    """error=access_denied on the callback flashes the 'cancelled' message and attests nothing."""
    client = oidc_app.test_client()
    start = client.get("/vote?provider=suomifi")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    client.get(f"/identity/suomifi/callback?error=access_denied&state={state}")
    with oidc_app.test_request_context():
        expected = identity.problem_message(AttestationProblem.DENIED)
    assert client.get("/flashes").get_json() == [expected]
    assert client.get("/vote?provider=suomifi").status_code == 302


def test_unreachable_provider_is_a_message_not_an_error(oidc_app, monkeypatch):
    """When the provider cannot be reached, starting attestation flashes a message and redirects."""
    def refuse(self, prepared, **kwargs):
        raise requests.ConnectionError("no route to idp.test")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)
    client = oidc_app.test_client()
    response = client.get("/identity/suomifi/start?next=/vote")
    assert response.status_code == 303 and response.headers["Location"] == "/vote"
    with oidc_app.test_request_context():
        expected = identity.problem_message(AttestationProblem.UNAVAILABLE)
    assert client.get("/flashes").get_json() == [expected]


def test_provider_settings_need_client_id_and_metadata():
    """A provider configured without client_id or metadata URL stops start-up with a clear error."""
    with pytest.raises(RuntimeError, match="client_id"):
        make_app(PB_IDENTITY_PROVIDERS={"x": {"server_metadata_url": "https://idp.test/"}})


def test_claims_maps_from_config():
    """Presets are found by name, mappings are accepted, and an unknown preset is refused."""
    assert ClaimMap.from_config("suomifi") is SUOMIFI_CLAIMS
    assert ClaimMap.from_config({"grade": "g"}).grade == "g"
    with pytest.raises(ValueError):
        ClaimMap.from_config("nosuch")


def test_attested_birthdays_round_trip_through_the_session(client):
    """A leap-day birth date survives the session unchanged (no timezone or format drift)."""
    client.get(_pick(client, "karkaus"))
    assert client.get("/vote").get_json()["birth_date"] == "2012-02-29"


@pytest.mark.parametrize("module", ['pb.identity', 'pb.identity.hetu'])
def test_docstring_examples_run_as_written(module):
    """The module's doctest examples pass (pb/ is not in pytest's doctest paths)."""
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0

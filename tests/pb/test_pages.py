"""Public pages, the demo command and outgoing mail."""

from __future__ import annotations

import sqlalchemy as sa

from config import ESPOO_AREAS
from pb.extensions import db
from pb.mail import OutboxBackend, SmtpBackend, outbox, send_mail
from pb.models import Area, Proposal, ProposalStatus, Role, Round, User
from pb.services.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.pb.factories import make_area, make_proposal, make_round


def test_index_lists_rounds_with_links(app, client):
    """`/` lists each round by name with a link to its page."""
    with app.app_context():
        first = make_round(name_fi="Ensimmäinen kierros")
        second = make_round(name_fi="Toinen kierros")
        ids = first.id, second.id
    page = client.get("/").get_data(as_text=True)
    for name, round_id in zip(("Ensimmäinen kierros", "Toinen kierros"), ids):
        assert name in page and f"/rounds/{round_id}" in page


def test_round_page_shows_areas_budgets_and_proposals(app, client):
    """A round's page shows its areas with budgets and each area's proposals with status."""
    with app.app_context():
        round_ = make_round(name_fi="Kierros", name_en="The round")
        area = make_area(round=round_, name_fi="Suur-Tapiola", budget=250_000)
        make_proposal(area=area, title_fi="Puisto", title_en="Park", cost=12_000, status=ProposalStatus.ACCEPTED)
        other_round = make_round()
        make_proposal(area=make_area(round=other_round), title_fi="Muualla")
        round_id = round_.id
    page = client.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert "The round" in page and "Suur-Tapiola" in page and "Park" in page
    assert "250,000" in page and "12,000" in page and "Accepted" in page
    assert "Muualla" not in page


def test_content_falls_back_to_a_given_language(app, client):
    """A title given only in Finnish is shown on the English page, marked lang="fi"."""
    with app.app_context():
        proposal = make_proposal(title_fi="Vain suomeksi", title_en=None)
        round_id = proposal.round_id
    page = client.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert '<h4 lang="fi">Vain suomeksi</h4>' in page


def test_a_proposal_cannot_point_to_another_rounds_area(app):
    """The database refuses a proposal whose area belongs to another round."""
    import pytest

    with app.app_context():
        area = make_area()
        other = make_round()
        proposal = Proposal(round_id=other.id, area_id=area.id, title_fi="x", description_fi="y")
        db.session.add(proposal)
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_money_and_choices_are_checked_by_the_database(app):
    """Negative budgets and unknown phases are refused by constraints, not only by forms."""
    import pytest

    with app.app_context():
        round_ = make_round()
        db.session.add(Area(round=round_, code="x", name_fi="X", budget=-1))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text("UPDATE round SET phase = 'campaign'"))
            db.session.commit()
        db.session.rollback()


def test_demo_command_loads_espoo_round_and_accounts(app, runner, client):
    """`flask pb demo` loads a round over Espoo's seven areas with proposals and one account per role, only once."""
    result = runner.invoke(args=["pb", "demo"])
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output
    for email in DEMO_ACCOUNTS.values():
        assert email in result.output
    with app.app_context():
        round_ = db.session.scalars(sa.select(Round)).one()
        assert [a.name_fi for a in round_.areas] == [name for _, name, _ in ESPOO_AREAS]
        assert all(area.budget > 0 for area in round_.areas)
        assert len(round_.proposals) >= 7
        for role, email in DEMO_ACCOUNTS.items():
            assert db.session.scalar(sa.select(User).where(User.email == email)).has_role(role)
        round_id = round_.id
    assert "Suur-Leppävaara" in client.get(f"/rounds/{round_id}").get_data(as_text=True)
    login = {"email": DEMO_ACCOUNTS[Role.ADMINISTRATOR], "password": DEMO_PASSWORD}
    assert client.post("/account/login", data=login).status_code == 302
    assert client.get("/admin/").status_code == 200

    again = runner.invoke(args=["pb", "demo"])
    assert again.exit_code == 0 and "already has rounds" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 1


def test_mail_goes_to_the_outbox_in_tests(app):
    """send_mail keeps the message (recipient, subject, body, sender) in the outbox."""
    with app.app_context():
        send_mail("a@example.com", "Hello", "Body text")
        [message] = outbox()
        assert (message.to, message.subject, message.body) == ("a@example.com", "Hello", "Body text")
        assert message.sender == app.config["MAIL_SENDER"]


def test_outbox_prints_in_development(capsys):
    """The development outbox also prints each message to the console."""
    from pb.mail import Message

    backend = OutboxBackend(echo=True)
    backend.send(Message("a@example.com", "Subject line", "The body", "from@example.com"))
    assert "Subject line" in capsys.readouterr().err and backend.messages


def test_smtp_backend_sends_with_the_configured_server(monkeypatch):
    """The SMTP backend uses the configured server, STARTTLS and login, and sends the message with its headers."""
    sent = {}

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent["server"] = (host, port, timeout)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent["starttls"] = True

        def login(self, user, password):
            sent["login"] = (user, password)

        def send_message(self, message):
            sent["message"] = message

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    from pb.mail import Message

    config = {
        "MAIL_SERVER": "smtp.example.com", "MAIL_PORT": 587, "MAIL_TIMEOUT": 5, "MAIL_USE_SSL": False,
        "MAIL_USE_STARTTLS": True, "MAIL_USERNAME": "user", "MAIL_PASSWORD": "secret",
    }
    SmtpBackend(config).send(Message("to@example.com", "Subject", "Body", "from@example.com"))
    assert sent["server"] == ("smtp.example.com", 587, 5)
    assert sent["starttls"] and sent["login"] == ("user", "secret")
    assert sent["message"]["To"] == "to@example.com" and sent["message"]["From"] == "from@example.com"


def test_mail_is_written_in_the_users_language(app):
    """Mail is written in the recipient's preferred language, not the page's."""
    from pb.services import accounts

    with app.test_request_context(headers={"Accept-Language": "fi"}):
        user_fi = accounts.register_user("fi@example.com", "correct horse battery", preferred_language="fi")
        user_sv = accounts.register_user("sv@example.com", "correct horse battery", preferred_language="sv")
        assert user_fi and user_sv
        fi_mail, sv_mail = outbox()
        assert fi_mail.subject != sv_mail.subject


def test_demo_on_an_unmigrated_database_asks_for_the_migration(tmp_path):
    """`flask pb demo` before `flask db upgrade` says what to do instead of a traceback."""
    from pb import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.sqlite3'}"})
    result = app.test_cli_runner().invoke(args=["pb", "demo"])
    assert result.exit_code != 0 and "flask db upgrade" in result.output


def test_round_page_says_who_can_vote_for_each_alternative_rule(app, client):
    """The round page lists who can vote: one list for a single rule; for alternative rules,
    one list each under a sentence saying one of them is enough; area codes shown by name."""
    import json

    from tests.pb.factories import make_voting_round

    youth = [{"channels": ["code"], "min_grade": 7, "max_grade": 9},
             {"channels": ["identity"], "min_age": 13, "max_age": 16, "age_basis": "in-year",
              "reference_date": "2026-12-31", "areas": ["suur-tapiola"]}]
    with app.app_context():
        single = make_voting_round(eligibility={"channels": ["identity"], "municipality": "049"}).id
        alternatives = make_voting_round(eligibility=youth).id
        declared = make_voting_round(is_self_declared=True, eligibility={"channels": ["identity"]}).id
        assert json.loads(db.session.get(Round, alternatives).eligibility) == youth
    page = client.get(f"/rounds/{single}").get_data(as_text=True)
    assert "Who can vote" in page and "Home municipality: Espoo (code 049)." in page
    assert "meet every condition of one of these" not in page
    page = client.get(f"/rounds/{alternatives}").get_data(as_text=True)
    assert "meet every condition of one of these" in page
    assert "Grade: 7 to 9." in page and "Age: turning 13 to 16 during 2026." in page
    assert "Home area: one of Suur Tapiola." in page
    assert page.index("Grade: 7 to 9.") < page.index("Age: turning 13 to 16")
    page = client.get(f"/rounds/{declared}").get_data(as_text=True)
    assert "eligibility is self-declared" in page
    page = client.get(f"/rounds/{single}", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Vem kan rösta" in page and "Hemkommun: Esbo (kod 049)." in page

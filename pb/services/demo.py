"""Demo data: a city round over Espoo's seven major areas, with proposals screened into ballot
projects ready for voting (accepted, rejected and merged ones, each with its public reason),
one account per role, and a real audit log, so that a fresh install shows a working site.

``load_demo(all_phases=True)`` adds a ManiMiitti youth round already in its voting phase
(rules frozen, digest shown), a city round still taking proposals, and a small city round
whose results are counted, confirmed and published, with follow-up on a funded project.
"""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

import sqlalchemy as sa

from config import ESPOO_AREAS
from pb import security
from pb.extensions import db
from pb.models import BallotChannel, Phase, Project, Role, RoleAssignment, Round, User
from pb.services import proposals as proposal_service
from pb.services import areas as area_service
from pb.services import results as result_service
from pb.services import round_phases, rounds, screening
from pb.services import voting as voting_service
from pb.services.accounts import hash_password

DEMO_PASSWORD = "demo-password"
DEMO_ACCOUNTS = {role: f"{role.value}@demo.example" for role in Role}

#: Whole euros per area code.
BUDGETS = {
    "vanha-espoo": 300_000,
    "suur-espoonlahti": 350_000,
    "pohjois-espoo": 150_000,
    "suur-kauklahti": 150_000,
    "suur-leppavaara": 400_000,
    "suur-matinkyla": 300_000,
    "suur-tapiola": 350_000,
}

#: (area code, Finnish title, English title or None, Finnish description, rough cost, category,
#: decision: "project" (accepted, official cost, on the ballot), "reject" or "merge" (into the
#: area's first proposal), or None (left submitted))
PROPOSALS = [
    ("vanha-espoo", "Penkkejä Espoonjoen rantaan", "Benches along the Espoo river",
     "Lisää penkkejä ja roska-astioita Espoonjoen rantareitille.", 25_000, "parks-nature", "project"),
    ("vanha-espoo", "Kirjaston lukunurkka nuorille", "A reading corner for young people",
     "Viihtyisä lukunurkka Entressen kirjastoon.", 40_000, "learning", "project"),
    ("vanha-espoo", "Espoon keskuksen kesätori", "Summer market in Espoon keskus",
     "Kesälauantaien tori ja pienet esiintymislavat.", 60_000, "culture-events", "project"),
    ("vanha-espoo", "Lisää penkkejä jokivarteen", None,
     "Jokivarren reitille tarvitaan istumapaikkoja.", 20_000, "parks-nature", "merge"),
    ("suur-espoonlahti", "Uimarannan esteetön laituri", "Accessible pier at the beach",
     "Pyörätuolilla käytettävä laituri Espoonlahden uimarannalle.", 120_000, "sports-exercise", "project"),
    ("suur-espoonlahti", "Ulkokuntosali Kivenlahteen", "Outdoor gym in Kivenlahti",
     "Ulkokuntoilulaitteet kaikenikäisille.", 60_000, "sports-exercise", "project"),
    ("suur-espoonlahti", "Soutuvenelaituri Saunalahteen", "Rowing boat pier in Saunalahti",
     "Pieni laituri soutuveneille ja kajakeille.", 80_000, "sports-exercise", "project"),
    ("suur-espoonlahti", "Uusi metroasema Soukkaan", "A new metro station in Soukka",
     "Metroasema lähemmäs kotia.", 50_000_000, "streets-traffic", "reject"),
    ("pohjois-espoo", "Kalajärven luontopolun opasteet", "Signs for the Kalajärvi nature trail",
     "Uudet opasteet ja kartat luontopolulle.", 15_000, "parks-nature", "project"),
    ("pohjois-espoo", "Nuuksion laavun kunnostus", "Repairing the Nuuksio lean-to",
     "Laavu, tulipaikka ja puuvaja kuntoon.", 30_000, "parks-nature", "project"),
    ("pohjois-espoo", "Kylätalon pihan leikkipaikka", "Playground at the village hall",
     "Leikkivälineet Lahnuksen kylätalon pihalle.", 45_000, "wellbeing", "project"),
    ("suur-kauklahti", "Kauklahden skeittipaikka", "Skate spot in Kauklahti",
     "Pieni skeittipaikka aseman lähelle.", 90_000, "sports-exercise", "project"),
    ("suur-kauklahti", "Kauklahden kirkonmäen valaistus", "Lighting on the Kauklahti church hill",
     "Valaistus kävelyreitille kirkonmäellä.", 35_000, "streets-traffic", "project"),
    ("suur-kauklahti", "Kyläjuhlat Kauklahteen", None,
     "Kesän kyläjuhla kaikille asukkaille.", 15_000, "culture-events", None),
    ("suur-leppavaara", "Viherkatto pyöräkatokseen", "Green roof for the bike shelter",
     "Viherkatto ja pölyttäjäkasveja Leppävaaran aseman pyöräkatokseen.", 70_000, "parks-nature", "project"),
    ("suur-leppavaara", "Sellon puistoon pingispöydät", "Table tennis tables in the Sello park",
     "Kaksi ulkopingispöytää ja penkit.", 25_000, "sports-exercise", "project"),
    ("suur-leppavaara", "Perkkaan koirapuisto", "Dog park in Perkkaa",
     "Aidattu koirapuisto pienille ja isoille koirille.", 110_000, "parks-nature", "project"),
    ("suur-leppavaara", "Lisää valaistusta Perkkaan puistoon", None,
     "Turvallisempi kulku pimeällä.", 55_000, "streets-traffic", "reject"),
    ("suur-matinkyla", "Kesäteatteri Matinkylään", "Summer theatre in Matinkylä",
     "Ulkolava ja katsomo kesäesityksille.", 150_000, "culture-events", "project"),
    ("suur-matinkyla", "Olarin uimahallin saunan kunnostus", "Repairs to the Olari swimming hall sauna",
     "Saunan lauteet ja pukuhuoneet kuntoon.", 80_000, "wellbeing", "project"),
    ("suur-matinkyla", "Iso Omenan edustan kukkaistutukset", "Flower beds in front of Iso Omena",
     "Kukkia ja penkkejä aukiolle.", 30_000, "parks-nature", "project"),
    ("suur-tapiola", "Pulkkamäen valaistus", "Lighting for the sledging hill",
     "Valot Tapiolan pulkkamäelle talvi-iltoihin.", 35_000, "sports-exercise", "project"),
    ("suur-tapiola", "Kierrätyspiste Otaniemeen", "Recycling point in Otaniemi",
     "Uusi kierrätyspiste kampuksen lähelle.", 20_000, "other", "project"),
    ("suur-tapiola", "Tapiolan kulttuuriaukion tapahtumat", "Events on the Tapiola culture square",
     "Ilmaisia konsertteja kesäisin.", 90_000, "culture-events", "project"),
    ("suur-tapiola", "Pulkkamäelle valot", None,
     "Valaistus Tapiolan pulkkamäkeen.", 30_000, "sports-exercise", "merge"),
]

REASONS = {
    "project": "Toteutettavissa oleva ehdotus: mukaan äänestykseen.",
    "reject": "Ehdotus ei ole toteutettavissa osallistuvan budjetoinnin varoin.",
    "merge": "Sama idea kuin toisessa ehdotuksessa: yhdistetty siihen.",
}


def has_demo_data() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Round)) > 0


def _accounts() -> dict[Role, User]:
    accounts = {}
    for role, email in DEMO_ACCOUNTS.items():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, password_hash=hash_password(DEMO_PASSWORD), is_verified=True)
            db.session.add(user)
        wanted = {Role.RESIDENT, role}
        for missing in sorted(wanted - {a.role for a in user.roles}, key=lambda r: r.value):
            user.roles.append(RoleAssignment(role=missing))
        accounts[role] = user
    db.session.commit()
    return accounts


def _areas(admin: User, round_: Round, budgets: dict[str, int]) -> dict:
    areas = {}
    for code, name_fi, name_sv in ESPOO_AREAS:
        areas[code] = area_service.add_area(
            admin, round_, {"code": code, "name_fi": name_fi, "name_sv": name_sv, "name_en": name_fi, "budget": budgets[code]}
        )
    return areas


def _city_round(accounts: dict[Role, User]) -> Round:
    """The main demo round: screened, with projects in every area, ready to open voting."""
    admin, moderator, resident = accounts[Role.ADMINISTRATOR], accounts[Role.MODERATOR], accounts[Role.RESIDENT]
    now = security.now()
    round_ = rounds.create_round(
        admin,
        {
            "name_fi": "Espoon osallistuva budjetointi 2026 (demo)",
            "name_sv": "Esbos deltagande budgetering 2026 (demo)",
            "name_en": "Espoo participatory budgeting 2026 (demo)",
            "kind": "city",
            "ballot_kind": "knapsack",
            "min_choices": 1,
            "max_choices": None,
            "rule": "greedy",
            "voting_opens_at": now + timedelta(days=7),
            "voting_closes_at": now + timedelta(days=21),
            "results_at": now + timedelta(days=35),
            "eligibility": {"channels": ["identity", "code"], "min_age": 12, "age_basis": "in-year",
                            "reference_date": f"{now.year}-12-31", "municipality": "049"},
            "confirming_body": "Espoon kaupunginhallitus",
        },
    )
    areas = _areas(admin, round_, BUDGETS)
    made = []
    for code, title_fi, title_en, description_fi, cost, category, decision in PROPOSALS:
        proposal = proposal_service.submit_proposal(
            resident, round_,
            {"title_fi": title_fi, "title_en": title_en, "description_fi": description_fi,
             "area_id": areas[code].id, "cost": cost, "category": category},
        )
        made.append((code, proposal, decision))
    round_phases.advance_phase(admin, round_, Phase.SCREENING)
    first = {}
    for code, proposal, decision in made:
        first.setdefault(code, proposal)
        if decision == "project":
            screening.screen_proposal(moderator, proposal, "accept",
                                      {"reason_fi": REASONS["project"], "official_cost": proposal.cost})
            screening.project_from_proposal(moderator, proposal)
        elif decision == "reject":
            screening.screen_proposal(moderator, proposal, "reject", {"reason_fi": REASONS["reject"]})
        elif decision == "merge":
            target = next(p for c, p, d in made if c == code and d == "project" and p.category == proposal.category)
            screening.merge_proposal(moderator, proposal, target, {"reason_fi": REASONS["merge"]})
    return round_


def _youth_round(accounts: dict[Role, User]) -> Round:
    """A ManiMiitti youth round in its voting phase: 10,000 euros per area, up to 5 choices."""
    admin, moderator = accounts[Role.ADMINISTRATOR], accounts[Role.MODERATOR]
    now = security.now()
    round_ = rounds.create_round(
        admin,
        {"name_fi": "ManiMiitti 2026 (demo)", "name_sv": "ManiMiitti 2026 (demo)", "kind": "youth",
         "voting_closes_at": now + timedelta(days=14)},
    )
    areas = _areas(admin, round_, {code: 10_000 for code, _, _ in ESPOO_AREAS})
    # the test identity provider's pupils vote in the area of their school
    for code, school in (("suur-leppavaara", "espoo-test-school-1"), ("suur-matinkyla", "espoo-test-school-2")):
        area_service.update_area(admin, areas[code], {"schools": school})
    ideas = [("Biljardipöytä nuorisotilaan", 2_500), ("Pelikonsoli ja pelit", 1_500),
             ("Kuntosalilaitteet", 6_000), ("Retki Nuuksioon", 3_000), ("Graffitiseinä", 4_000)]
    for area in areas.values():
        for title, cost in ideas:
            screening.create_project(moderator, round_, {"title_fi": title, "area_id": area.id, "cost": cost})
    round_phases.advance_phase(admin, round_, Phase.SCREENING)
    round_phases.advance_phase(admin, round_, Phase.VOTING)
    return round_


def _open_round(accounts: dict[Role, User]) -> Round:
    admin = accounts[Role.ADMINISTRATOR]
    now = security.now()
    round_ = rounds.create_round(
        admin, {"name_fi": "Espoon osallistuva budjetointi 2027 (demo)", "name_en": "Espoo participatory budgeting 2027 (demo)",
                "proposals_close_at": now + timedelta(days=30)},
    )
    _areas(admin, round_, BUDGETS)
    return round_


#: The published demo round: per area, its projects (title, cost) and how often each is chosen.
PUBLISHED = {
    "vanha-espoo": [("Kirjaston lukunurkka", 20_000, 9), ("Koirapuisto", 35_000, 6),
                    ("Ulkokuntosali", 45_000, 7), ("Penkit rantaan", 10_000, 3)],
    "suur-tapiola": [("Kaupunkiviljelmä", 15_000, 5), ("Skeittiparkin kunnostus", 60_000, 8),
                     ("Valaistus puistoon", 30_000, 4)],
}


def _published_round(accounts: dict[Role, User]) -> Round:
    """A small city round counted, confirmed by the city board and published, with a follow-up
    update: 40 made-up ballots per area, each choosing one to three projects (seeded)."""
    admin = accounts[Role.ADMINISTRATOR]
    moderator = accounts[Role.MODERATOR]
    round_ = rounds.create_round(
        admin,
        {"name_fi": "Espoon osallistuva budjetointi 2025 (demo, tulokset)",
         "name_sv": "Esbos deltagande budgetering 2025 (demo, resultat)",
         "name_en": "Espoo participatory budgeting 2025 (demo, results)",
         "ballot_kind": "approval", "min_choices": 1, "max_choices": 3, "rule": "greedy",
         "confirming_body": "Espoon kaupunginhallitus"},
    )
    names = {code: (fi, sv) for code, fi, sv in ESPOO_AREAS}
    projects: dict[int, list[tuple[int, int]]] = {}
    for code, items in PUBLISHED.items():
        area = area_service.add_area(admin, round_, {"code": code, "name_fi": names[code][0],
                                                     "name_sv": names[code][1], "budget": 100_000})
        projects[area.id] = [
            (screening.create_project(moderator, round_, {"title_fi": title, "area_id": area.id, "cost": cost}).id,
             weight)
            for title, cost, weight in items
        ]
    round_phases.advance_phase(admin, round_, Phase.SCREENING)
    round_phases.advance_phase(admin, round_, Phase.VOTING)
    rng = random.Random(2025)
    now = security.now()
    for area_id, items in projects.items():
        for voter in range(40):
            ids = [pid for pid, _ in items]
            chosen = set(rng.choices(ids, weights=[w for _, w in items], k=rng.randint(1, 3)))
            voting_service.cast_ballot(
                round_.id, area_id, {area_id: [str(pid) for pid in ids if pid in chosen]},
                voter_ref=hashlib.sha256(f"demo-voter-{area_id}-{voter}".encode()).hexdigest(),
                channel=BallotChannel.ONLINE, at=now)
    round_phases.advance_phase(admin, round_, Phase.RESULTS)
    run = result_service.run_tally(admin, round_)
    result_service.confirm_results(admin, round_, run, {
        "body": "Espoon kaupunginhallitus", "confirmed_by": "Demo Puheenjohtaja",
        "decision_reference": "KH 1.1.2026 § 1 (demo)"})
    result_service.publish_results(admin, round_)
    funded = sorted(result_service.funded_project_ids(round_))
    first = db.session.get(Project, funded[0])
    result_service.add_follow_up(admin, first, {"status": "in-progress",
                                                "note_fi": "Suunnittelu on alkanut (demo).",
                                                "note_en": "Planning has started (demo)."})
    return round_


def load_demo(*, all_phases: bool = False) -> dict[Role, str] | None:
    """Create the demo round, proposals and accounts; None (nothing done) when rounds exist."""
    if has_demo_data():
        return None
    accounts = _accounts()
    _city_round(accounts)
    if all_phases:
        _youth_round(accounts)
        _open_round(accounts)
        _published_round(accounts)
    return {role: user.email for role, user in accounts.items()}

"""Demo data: a city round over Espoo's seven major areas, sample proposals and one account
per role, so that a fresh install shows a working site."""

from __future__ import annotations

import sqlalchemy as sa

from config import ESPOO_AREAS
from pb.extensions import db
from pb.models import Area, Phase, Proposal, ProposalStatus, Role, RoleAssignment, Round, RoundKind, User
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

#: (area code, Finnish title, English title or None, Finnish description, cost, status)
PROPOSALS = [
    ("vanha-espoo", "Penkkejä Espoonjoen rantaan", "Benches along the Espoo river",
     "Lisää penkkejä ja roska-astioita Espoonjoen rantareitille.", 25_000, ProposalStatus.ACCEPTED),
    ("vanha-espoo", "Kirjaston lukunurkka nuorille", None,
     "Viihtyisä lukunurkka Entressen kirjastoon.", 40_000, ProposalStatus.SUBMITTED),
    ("suur-espoonlahti", "Uimarannan esteetön laituri", "Accessible pier at the beach",
     "Pyörätuolilla käytettävä laituri Espoonlahden uimarannalle.", 120_000, ProposalStatus.ACCEPTED),
    ("suur-espoonlahti", "Ulkokuntosali Kivenlahteen", "Outdoor gym in Kivenlahti",
     "Ulkokuntoilulaitteet kaikenikäisille.", 60_000, ProposalStatus.SUBMITTED),
    ("pohjois-espoo", "Kalajärven luontopolun opasteet", "Signs for the Kalajärvi nature trail",
     "Uudet opasteet ja kartat luontopolulle.", 15_000, ProposalStatus.ACCEPTED),
    ("suur-kauklahti", "Kauklahden skeittipaikka", "Skate spot in Kauklahti",
     "Pieni skeittipaikka aseman lähelle.", 90_000, ProposalStatus.SUBMITTED),
    ("suur-leppavaara", "Viherkatto pyöräkatokseen", "Green roof for the bike shelter",
     "Viherkatto ja pölyttäjäkasveja Leppävaaran aseman pyöräkatokseen.", 70_000, ProposalStatus.ACCEPTED),
    ("suur-leppavaara", "Lisää valaistusta Perkkaan puistoon", None,
     "Turvallisempi kulku pimeällä.", 55_000, ProposalStatus.REJECTED),
    ("suur-matinkyla", "Kesäteatteri Matinkylään", "Summer theatre in Matinkylä",
     "Ulkolava ja katsomo kesäesityksille.", 150_000, ProposalStatus.SUBMITTED),
    ("suur-tapiola", "Pulkkamäen valaistus", "Lighting for the sledging hill",
     "Valot Tapiolan pulkkamäelle talvi-iltoihin.", 35_000, ProposalStatus.ACCEPTED),
    ("suur-tapiola", "Kierrätyspiste Otaniemeen", "Recycling point in Otaniemi",
     "Uusi kierrätyspiste kampuksen lähelle.", 20_000, ProposalStatus.SUBMITTED),
]


def has_demo_data() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Round)) > 0


def load_demo() -> dict[Role, str] | None:
    """Create the demo round, proposals and accounts; None (nothing done) when rounds exist."""
    if has_demo_data():
        return None
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

    round_ = Round(
        name_fi="Espoon osallistuva budjetointi 2026 (demo)",
        name_sv="Esbos deltagande budgetering 2026 (demo)",
        name_en="Espoo participatory budgeting 2026 (demo)",
        kind=RoundKind.CITY,
        phase=Phase.PROPOSALS,
    )
    areas = {}
    for code, name_fi, name_sv in ESPOO_AREAS:
        areas[code] = Area(code=code, name_fi=name_fi, name_sv=name_sv, name_en=name_fi, budget=BUDGETS[code])
        round_.areas.append(areas[code])
    db.session.add(round_)
    db.session.flush()
    for code, title_fi, title_en, description_fi, cost, status in PROPOSALS:
        db.session.add(
            Proposal(
                round=round_,
                area=areas[code],
                author=accounts[Role.RESIDENT],
                title_fi=title_fi,
                title_en=title_en,
                description_fi=description_fi,
                cost=cost,
                status=status,
            )
        )
    db.session.commit()
    return {role: user.email for role, user in accounts.items()}

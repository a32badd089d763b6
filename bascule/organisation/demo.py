"""A realistic demo organisation: the State, ministries and central directorates, the 13 metropolitan regions
with their regional directorates, shared accounting centres (two with an antenna) and support poles, the
96 departments with their prefecture and departmental directorates, and about 2,000 people with roles.

Deterministic (fixed seed), bulk-created with history rows, and safe to run twice (it stops if present).
"""

from __future__ import annotations

import random
import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from bascule.core.roles import Role
from bascule.organisation.geography import DEPARTMENTS, METROPOLITAN_REGIONS, REGIONS
from bascule.organisation.models import Assignment, Category, Person, Structure, StructureKind

K = StructureKind
ROOT_CODE = "ETAT"
REASON = "Données de démonstration"
START = date(2025, 9, 1)

FIRST_NAMES = [
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Sophie",
    "Christine",
    "Valérie",
    "Sandrine",
    "Céline",
    "Claire",
    "Anne",
    "Julie",
    "Camille",
    "Léa",
    "Manon",
    "Emma",
    "Chloé",
    "Aurélie",
    "Hélène",
    "Florence",
    "Laurence",
    "Véronique",
    "Élodie",
    "Pauline",
    "Gwenaëlle",
    "Soizic",
    "Maëlle",
    "Jean",
    "Pierre",
    "Michel",
    "Philippe",
    "Alain",
    "Nicolas",
    "Christophe",
    "Patrick",
    "Laurent",
    "Frédéric",
    "Stéphane",
    "Olivier",
    "Thomas",
    "Julien",
    "David",
    "Sébastien",
    "Éric",
    "Yann",
    "Erwan",
    "Loïc",
    "Mathieu",
    "Antoine",
    "Hugo",
    "Lucas",
    "Bruno",
    "Didier",
    "Gilles",
    "Hervé",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefèvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martinez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
    "Guillaume",
    "Lecomte",
    "Le",
    "Gall",
    "Le",
    "Goff",
    "Le",
    "Roux",
    "Kerjean",
    "Tanguy",
    "Le",
    "Bihan",
    "Quéré",
    "Riou",
]
MINISTRIES = [
    ("MI", "Ministère de l'Intérieur"),
    ("MTECT", "Ministère de la Transition écologique et de la Cohésion des territoires"),
    ("MASA", "Ministère de l'Agriculture et de la Souveraineté alimentaire"),
    ("MEF", "Ministère de l'Économie et des Finances"),
    ("MTSS", "Ministère du Travail, de la Santé et des Solidarités"),
    ("MC", "Ministère de la Culture"),
]
CENTRAL = [  # (code, name, kind, parent code)
    (
        "DMAT",
        "Direction de la modernisation et de l'administration territoriale",
        K.NATIONAL_DIRECTORATE,
        "MI",
    ),
    ("DMAT/SDAT", "Sous-direction de l'administration territoriale", K.SUB_DIRECTORATE, "DMAT"),
    ("DMAT/SDAT/BCAM", "Bureau de la coordination et de l'appui à la modernisation", K.BUREAU, "DMAT/SDAT"),
    ("DMAT/SDPAT", "Sous-direction des performances de l'action territoriale", K.SUB_DIRECTORATE, "DMAT"),
    ("DRH", "Direction des ressources humaines", K.NATIONAL_DIRECTORATE, "MI"),
    ("DRH/SDRF", "Sous-direction des ressources et de la formation", K.SUB_DIRECTORATE, "DRH"),
    ("DNUM", "Direction du numérique", K.NATIONAL_DIRECTORATE, "MI"),
    ("SHFD", "Service du haut fonctionnaire de défense", K.NATIONAL_DIRECTORATE, "MI"),
    ("SG-MTECT", "Secrétariat général", K.NATIONAL_DIRECTORATE, "MTECT"),
    ("SG-MTECT/DAF", "Direction des affaires financières", K.SUB_DIRECTORATE, "SG-MTECT"),
    ("SG-MASA", "Secrétariat général", K.NATIONAL_DIRECTORATE, "MASA"),
    (
        "SG-MASA/SAFSL",
        "Service des affaires financières, sociales et logistiques",
        K.SUB_DIRECTORATE,
        "SG-MASA",
    ),
    ("AIFE", "Agence pour l'informatique financière de l'État", K.PARTNER, "MEF"),
    ("DGFIP", "Direction générale des finances publiques", K.PARTNER, "MEF"),
]
COASTAL = {
    "06",
    "11",
    "13",
    "14",
    "17",
    "22",
    "29",
    "30",
    "33",
    "34",
    "35",
    "40",
    "44",
    "50",
    "56",
    "59",
    "62",
    "64",
    "66",
    "76",
    "80",
    "83",
    "85",
    "2A",
    "2B",
}
ANTENNAS = {"84": "Clermont-Ferrand", "76": "Montpellier"}


@dataclass
class Builder:
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    structures: dict[str, Structure] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    used_emails: set[str] = field(default_factory=set)

    def structure(
        self, code: str, name: str, kind: str, parent: str | None, region: str = "", dept: str = ""
    ) -> Structure:
        parent_obj = self.structures[parent] if parent else None
        obj = Structure(
            id=uuid.uuid4(),
            code=code,
            name=name,
            kind=kind,
            parent=parent_obj,
            region=region,
            department=dept,
            valid_from=date(2025, 1, 1),
        )
        obj.path = f"{parent_obj.path if parent_obj else '/'}{obj.id.hex}/"
        obj.depth = parent_obj.depth + 1 if parent_obj else 0
        self.structures[code] = obj
        return obj

    def person(
        self,
        structure: Structure,
        *,
        first: str | None = None,
        last: str | None = None,
        category: str | None = None,
        ministry: str | None = None,
    ) -> Person:
        first = first or self.rng.choice(FIRST_NAMES)
        last = last or self.rng.choice(LAST_NAMES)
        # An address the referential's own validator accepts: no accent, no space, no apostrophe.
        ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
        base = re.sub(r"[^a-z0-9.-]", "", ascii_name.lower().replace(" ", "-"))
        email, n = f"{base}@demo.gouv.fr", 1
        while email in self.used_emails:
            n += 1
            email = f"{base}{n}@demo.gouv.fr"
        self.used_emails.add(email)
        ministry_code = ministry or self.rng.choice(["MI", "MTECT", "MASA", "MTSS"])
        person = Person(
            id=uuid.uuid4(),
            first_name=first,
            last_name=last,
            email=email,
            structure=structure,
            ministry_of_origin=self.structures[ministry_code],
            category=category or self.rng.choices(["A", "B", "C"], weights=[3, 4, 3])[0],
            fte=self.rng.choice([Decimal("1.00")] * 8 + [Decimal("0.80"), Decimal("0.50")]),
            phone=f"02 {self.rng.randint(10, 99)} {self.rng.randint(10, 99)} {self.rng.randint(10, 99)} {self.rng.randint(10, 99)}",
        )
        self.people.append(person)
        return person

    def assign(self, person: Person, role: str, structure: Structure, start: date = START) -> None:
        self.assignments.append(
            Assignment(id=uuid.uuid4(), person=person, role=role, structure=structure, start_date=start)
        )

    def staff(
        self, structure: Structure, count: int, roles: Sequence[str] | None = None, **kwargs: Any
    ) -> list[Person]:
        team = [self.person(structure, **kwargs) for _ in range(count)]
        for person, role in zip(team, roles or [], strict=False):
            self.assign(person, role, structure)
        return team


def build() -> Builder:
    b = Builder()
    b.structure(ROOT_CODE, "État", K.STATE, None)
    for code, name in MINISTRIES:
        b.structure(code, name, K.MINISTRY, ROOT_CODE)
    for code, name, kind, parent in CENTRAL:
        b.structure(code, name, kind, parent)
    b.structure(
        "INTERMIN", "Services déconcentrés de l'État (niveau interministériel)", K.INTERMINISTERIAL, ROOT_CODE
    )
    for code in (
        "DMAT/SDAT/BCAM",
        "DMAT/SDAT",
        "DMAT/SDPAT",
        "DRH/SDRF",
        "DNUM",
        "SG-MTECT/DAF",
        "SG-MASA/SAFSL",
    ):
        b.staff(
            b.structures[code],
            6,
            [Role.NATIONAL_STEERING, Role.NATIONAL_STEERING, Role.CPU, Role.CPI],
            category="A",
        )
    b.staff(b.structures["AIFE"], 4, [Role.SUPPORT_POLE_AGENT, Role.SUPPORT_POLE_AGENT], ministry="MEF")

    for region in METROPOLITAN_REGIONS:
        name = REGIONS[region]
        node = b.structure(f"R{region}", name, K.REGION, "INTERMIN", region=region)
        rcode = f"R{region}"
        pref = b.structure(
            f"PREF-R{region}", f"Préfecture de la région {name} (SGAR)", K.PREFECTURE, rcode, region
        )
        dreal = b.structure(f"DREAL-{region}", f"DREAL {name}", K.REGIONAL_DIRECTORATE, rcode, region)
        draaf = b.structure(f"DRAAF-{region}", f"DRAAF {name}", K.REGIONAL_DIRECTORATE, rcode, region)
        dreets = b.structure(f"DREETS-{region}", f"DREETS {name}", K.REGIONAL_DIRECTORATE, rcode, region)
        cpcm = b.structure(
            f"CPCM-{region}",
            f"Centre de prestations comptables mutualisé {name}",
            K.SHARED_CENTRE,
            f"DREAL-{region}",
            region,
        )
        pole = b.structure(
            f"POLE-{region}", f"Pôle de diffusion Chorus {name}", K.SUPPORT_POLE, f"PREF-R{region}", region
        )
        lead = (
            b.person(pref, category="A", ministry="MI")
            if region != "53"
            else b.person(pref, first="Yann", last="Le Gall", category="A", ministry="MI")
        )
        b.assign(lead, Role.REGIONAL_LEAD, node)
        b.staff(pref, 8, [Role.PROXIMITY_REFERENT, Role.TRAINER, Role.READER])
        for directorate, ministry in ((dreal, "MTECT"), (draaf, "MASA"), (dreets, "MTSS")):
            b.staff(
                directorate,
                8,
                [Role.BUSINESS_REFERENT, Role.PROXIMITY_REFERENT, Role.TRAINER],
                ministry=ministry,
            )
        b.staff(cpcm, 14, [Role.CENTRE_HEAD, Role.CENTRE_DEPUTY] + [Role.SERVICE_AGENT] * 10)
        if region in ANTENNAS:
            antenna = b.structure(
                f"ANT-CPCM-{region}",
                f"Antenne de {ANTENNAS[region]} du CPCM {name}",
                K.ANTENNA,
                f"CPCM-{region}",
                region,
            )
            b.staff(antenna, 5, [Role.CENTRE_DEPUTY] + [Role.SERVICE_AGENT] * 3)
        b.staff(pole, 5, [Role.SUPPORT_POLE_AGENT] * 5)

        for dept, (dept_name, dept_region) in DEPARTMENTS.items():
            if dept_region != region:
                continue
            dnode = b.structure(f"D{dept}", dept_name, K.DEPARTMENT, rcode, region, dept)
            dcode = f"D{dept}"
            prefecture = b.structure(
                f"PREF-{dept}", f"Préfecture — {dept_name}", K.PREFECTURE, dcode, region, dept
            )
            ddt_code = "DDTM" if dept in COASTAL else "DDT"
            ddt = b.structure(
                f"{ddt_code}-{dept}",
                f"{ddt_code} — {dept_name}",
                K.DEPARTMENTAL_DIRECTORATE,
                dcode,
                region,
                dept,
            )
            ddpp = b.structure(
                f"DDPP-{dept}", f"DDPP — {dept_name}", K.DEPARTMENTAL_DIRECTORATE, dcode, region, dept
            )
            ddets = b.structure(
                f"DDETS-{dept}", f"DDETS — {dept_name}", K.DEPARTMENTAL_DIRECTORATE, dcode, region, dept
            )
            sgcd = b.structure(
                f"SGCD-{dept}", f"Secrétariat général commun — {dept_name}", K.SGCD, dcode, region, dept
            )
            referent = b.person(prefecture, category="A", ministry="MI")
            b.assign(referent, Role.DEPARTMENTAL_REFERENT, dnode)
            b.staff(prefecture, 2, [Role.PROXIMITY_REFERENT], ministry="MI")
            b.staff(ddt, 3, [Role.BUSINESS_REFERENT, Role.PROXIMITY_REFERENT], ministry="MTECT")
            b.staff(ddpp, 2, [Role.PROXIMITY_REFERENT], ministry="MASA")
            b.staff(ddets, 2, [Role.PROXIMITY_REFERENT], ministry="MTSS")
            b.staff(sgcd, 3, [Role.BUSINESS_REFERENT])
    return b


@transaction.atomic
def load_demo() -> list[str]:
    """Create the demo organisation and the demo accounts; a second run only refreshes the accounts."""
    lines = []
    if Structure.objects.filter(code=ROOT_CODE).exists():
        lines.append("Organisation de démonstration déjà présente : conservée telle quelle.")
    else:
        b = build()
        structures = list(b.structures.values())
        bulk_create_with_history(structures, Structure, batch_size=500, default_change_reason=REASON)
        bulk_create_with_history(b.people, Person, batch_size=500, default_change_reason=REASON)
        bulk_create_with_history(b.assignments, Assignment, batch_size=500, default_change_reason=REASON)
        lines.append(
            f"Organisation de démonstration créée : {len(structures)} structures, {len(b.people)} personnes, "
            f"{len(b.assignments)} affectations."
        )
    ensure_demo_accounts()
    ensure_role_accounts()
    lines.extend(ensure_catalogue_and_links())
    lines.append(f"Comptes de démonstration (mot de passe « demo ») : {', '.join(all_demo_accounts())}.")
    return lines


def ensure_catalogue_and_links() -> list[str]:
    """Through the services: the roles the documents name, added to the catalogue, and who serves whom."""
    from bascule.core.system import SYSTEM
    from bascule.organisation import services
    from bascule.organisation.models import RoleDefinition, ServiceKind, ServiceLink

    lines = []
    if not RoleDefinition.objects.exists():
        for code, name, rank, scope in (
            ("prefigurateur-rh", "Préfigurateur RH", 40, "subtree"),
            ("correspondant-technique", "Correspondant technique", 30, "structure"),
            ("bureau-cartes-ael", "Bureau des cartes AEL/ADR", 20, "structure"),
        ):
            services.role_create(by=SYSTEM, code=code, name=name, rank=rank, scope=scope)
        lines.append("Catalogue des rôles : 3 rôles ajoutés aux rôles intégrés.")
    if not ServiceLink.objects.exists():
        by_code = {
            s.code: s for s in Structure.objects.filter(code__in=["DDTM-29", "CPCM-53", "CPCM-52", "POLE-53"])
        }
        for client, provider, kind in (
            ("DDTM-29", "CPCM-53", ServiceKind.ACCOUNTING),
            ("DDTM-29", "CPCM-52", ServiceKind.PAYROLL),
            ("CPCM-53", "POLE-53", ServiceKind.SUPPORT),
        ):
            services.service_link_create(
                by=SYSTEM,
                client=by_code[client],
                provider=by_code[provider],
                kind=kind,
                start_date=date(2026, 1, 1),
                contract_state="signed",
                contract_review_on=date(2027, 12, 31),
            )
        lines.append("Liens de service : la DDTM du Finistère servie par deux centres (comptabilité, paie).")
    return lines


DEMO_ACCOUNTS = {
    # username: (first, last, structure of the person, role, structure of the role)
    "national": ("Claire", "Martin", "DMAT/SDAT/BCAM", Role.NATIONAL_STEERING, "DMAT/SDAT/BCAM"),
    "bretagne": ("Yann", "Le Gall", "PREF-R53", Role.REGIONAL_LEAD, "R53"),
    "lecteur": ("Anne", "Kerouac", "PREF-R53", Role.READER, "R53"),
}


# One login for each other role of the demo, given to a person who already holds it there (so the demo's data is
# the same with or without them): username → (role, structure code of the role).
ROLE_ACCOUNTS = {
    "finistere": (Role.DEPARTMENTAL_REFERENT, "D29"),
    "centre": (Role.CENTRE_HEAD, "CPCM-53"),
    "adjoint": (Role.CENTRE_DEPUTY, "CPCM-53"),
    "agent": (Role.SERVICE_AGENT, "CPCM-53"),
    "metier": (Role.BUSINESS_REFERENT, "DDTM-29"),
    "proximite": (Role.PROXIMITY_REFERENT, "DDTM-29"),
    "pole": (Role.SUPPORT_POLE_AGENT, "POLE-53"),
    "formateur": (Role.TRAINER, "PREF-R53"),
    "cpu": (Role.CPU, "DMAT/SDAT/BCAM"),
    "cpi": (Role.CPI, "DMAT/SDAT/BCAM"),
}


def all_demo_accounts() -> list[str]:
    """Every demo login: one per role the demo has."""
    return [*DEMO_ACCOUNTS, *ROLE_ACCOUNTS]


def ensure_role_accounts() -> None:
    """The logins of ROLE_ACCOUNTS (password `demo`), each linked to a person holding the role at its structure."""
    user_model = get_user_model()
    for username, (role, code) in ROLE_ACCOUNTS.items():
        person = (
            Person.objects.filter(user__username=username).first()
            or Person.objects.filter(
                assignments__role=role, assignments__structure__code=code, user__isnull=True
            )
            .order_by("last_name", "first_name", "pk")
            .first()
        )
        if person is None:
            continue
        user, _ = user_model.objects.get_or_create(
            username=username, defaults={"first_name": person.first_name, "last_name": person.last_name}
        )
        user.email = person.email
        user.set_password("demo")  # deliberately weak: demo data only
        user.save()
        if person.user_id != user.pk:
            person.user = user
            person._history_user = None  # type: ignore[attr-defined]
            person.save()


def ensure_demo_accounts() -> None:
    """The demo logins (password `demo`), linked to people holding their roles. Demo command only."""
    user_model = get_user_model()
    for username, (first, last, home, role, where) in DEMO_ACCOUNTS.items():
        user, _ = user_model.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        user.first_name, user.last_name = first, last
        user.email = f"{username}@demo.gouv.fr"
        user.set_password("demo")  # deliberately weak: demo data only, never created by migrations
        user.save()
        person = (
            Person.objects.filter(user=user).first()
            or Person.objects.filter(first_name=first, last_name=last, structure__code=home).first()
        )
        if person is None:
            person = Person(
                first_name=first,
                last_name=last,
                email=f"{username}.demo@demo.gouv.fr",
                structure=Structure.objects.get(code=home),
                category=Category.A,
            )
        person.user = user
        person._history_user = None  # type: ignore[attr-defined]
        person.save()
        structure = Structure.objects.get(code=where)
        if not Assignment.objects.filter(person=person, role=role, structure=structure).exists():
            Assignment.objects.create(person=person, role=role, structure=structure, start_date=START)

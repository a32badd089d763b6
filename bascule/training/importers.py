"""Extra trainees added to a region's census from a spreadsheet (people not in the referential, or a list kept by
a network): preview, then atomic apply; a person already recensed (same e-mail) is updated, never doubled."""

from __future__ import annotations

from typing import Any

from bascule.core.imports import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Column,
    Importer,
    Planned,
    RowReader,
    RowResult,
    register_importer,
    reject,
)
from bascule.core.spreadsheets import SpreadsheetError
from bascule.core.system import Actor
from bascule.organisation.models import Structure
from bascule.training import preparation
from bascule.training.models import City, Course, Trainee, TrainingPlan

COLUMNS = [
    Column("name", "Nom", aliases=("nom prénom", "stagiaire"), required=True, max_length=255),
    Column("email", "Courriel", aliases=("mail", "adresse électronique"), required=True, max_length=254),
    Column("structure", "Structure", aliases=("code structure", "service"), required=True, max_length=80),
    Column("profile", "Profil", required=True, max_length=40),
    Column("city", "Commune", aliases=("ville", "site"), required=True, max_length=120),
    Column(
        "exempt",
        "Dispenses",
        aliases=("dispensé de",),
        max_length=200,
        help="codes des cours séparés par « ; »",
    ),
    Column("reason", "Motif de dispense", max_length=255),
]


@register_importer
class TraineeImporter(Importer):
    name = "training.trainees"
    label = "Stagiaires à former"
    columns = COLUMNS

    def __init__(self, *, user: Actor, plan: TrainingPlan) -> None:
        super().__init__(user=user)
        self.training_plan = plan  # (`plan` is the importer's method)

    @classmethod
    def from_params(cls, *, user: Actor, params: dict[str, Any]) -> TraineeImporter:
        plan = TrainingPlan.objects.select_related("region", "programme", "wave").get(pk=params["plan"])
        return cls(user=user, plan=plan)

    @classmethod
    def example_params(cls, *, user: Actor) -> dict[str, Any] | None:
        plan = TrainingPlan.objects.visible_to(user).order_by("created_at").first()
        return {"plan": str(plan.pk)} if plan else None

    def example_row(self) -> dict[str, str]:
        plan = self.training_plan
        structure = Structure.objects.filter(path__startswith=plan.region.path).order_by("path").last()
        profile = next((p for c in Course.objects.filter(programme=plan.programme) for p in c.profiles), None)
        city = City.objects.order_by("name").first()
        if structure is None or profile is None or city is None:
            return {}
        return {
            "name": "Camille Exemple",
            "email": "camille.exemple@exemple.gouv.fr",
            "structure": structure.code,
            "profile": profile,
            "city": city.name,
        }

    def plan(self, readers: list[RowReader]) -> list[Planned]:
        plan = self.training_plan
        if not plan.get_abilities(self.user)["change"]:
            raise SpreadsheetError(preparation.REGION_ONLY)
        structures = {s.code: s for s in Structure.objects.filter(path__startswith=plan.region.path)}
        courses = {c.code: c for c in Course.objects.filter(programme=plan.programme)}
        profiles = {p for c in courses.values() for p in c.profiles}
        existing = {t.email.lower(): t for t in Trainee.objects.filter(plan=plan).prefetch_related("exempt")}
        planned: list[Planned] = []
        seen: dict[str, int] = {}
        for reader in readers:
            email = reader["email"].strip().lower()
            values: dict[str, Any] = {
                "name": reader["name"].strip(),
                "city": reader["city"].strip(),
                "profile": reader["profile"].strip(),
                "reason": reader["reason"].strip() if reader.has("reason") else "",
            }
            if "@" not in email:
                reader.error("email", "adresse de courriel attendue (elle identifie la personne).")
            elif email in seen:
                reader.error("email", f"cette personne est déjà ligne {seen[email]}.")
            seen.setdefault(email, reader.number)
            structure = structures.get(reader["structure"].strip())
            if structure is None:
                reader.error("structure", f"aucune structure de ce code en {plan.region.name}.")
            if values["profile"] not in profiles:
                listed = ", ".join(f"« {p} »" for p in sorted(profiles))
                reader.error("profile", f"profil inconnu du cursus ; profils : {listed}.")
            if not values["name"]:
                reader.error("name", "le nom est obligatoire.")
            if not values["city"]:
                reader.error("city", "la commune est obligatoire (elle sert à rapprocher les sessions).")
            codes = [
                c.strip() for c in (reader["exempt"] if reader.has("exempt") else "").split(";") if c.strip()
            ]
            unknown = [c for c in codes if c not in courses]
            if unknown:
                reader.error("exempt", f"cours inconnu : {', '.join(unknown)}.")
            if codes and not values["reason"]:
                reader.error("reason" if reader.has("reason") else "exempt", "une dispense se motive.")
            if reader.errors:
                planned.append(reject(reader, email or values["name"]))
                continue
            assert structure is not None  # a row without its structure was rejected above
            exempt = sorted(codes)
            current = existing.get(email)
            if current is None:
                outcome, changes = CREATE, []
            else:
                before = {
                    "Structure": current.structure.code if current.structure_id else "",
                    "Profil": current.profile,
                    "Commune": current.city,
                    "Dispenses": " ; ".join(sorted(c.code for c in current.exempt.all())),
                }
                after = {
                    "Structure": structure.code,
                    "Profil": values["profile"],
                    "Commune": values["city"],
                    "Dispenses": " ; ".join(exempt),
                }
                changes = [(k, before[k], after[k]) for k in before if before[k] != after[k]]
                outcome = UPDATE if changes else UNCHANGED
            planned.append(
                Planned(
                    RowResult(row=reader.number, key=email, outcome=outcome, changes=changes),
                    (current, email, structure, values, [courses[c] for c in exempt]),
                )
            )
        return planned

    def write(self, planned: Planned) -> None:
        current, email, structure, values, exempt = planned.payload
        if current is None:
            preparation.trainee_add(
                by=self.user,
                plan=self.training_plan,
                structure=structure,
                profile=values["profile"],
                city=values["city"],
                name=values["name"],
                email=email,
                exempt=exempt,
                exemption_reason=values["reason"],
            )
        else:
            preparation.trainee_update(
                by=self.user,
                trainee=current,
                version=current.version,
                structure=structure,
                profile=values["profile"],
                city=values["city"],
                exempt=exempt,
                exemption_reason=values["reason"],
            )

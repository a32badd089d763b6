"""Imports of the organisation referential from CSV / XLSX / ODS: structures, and people with assignments.

Structures are matched by code, people by e-mail, assignments by (person, role, structure, start date): a
re-import updates what changed and duplicates nothing. Rows outside the user's perimeter are rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email

from bascule.core.imports import (
    CREATE,
    REJECT,
    UNCHANGED,
    UPDATE,
    Column,
    Importer,
    Planned,
    RowReader,
    RowResult,
    describe,
    register_importer,
    reject,
)
from bascule.core.parsing import parse_choice, parse_date, parse_decimal
from bascule.core.registry import user_can
from bascule.core.roles import Role
from bascule.core.spreadsheets import SpreadsheetError, normalise_label
from bascule.organisation import services
from bascule.organisation.geography import DEPARTMENTS, REGIONS
from bascule.organisation.grants import can_grant, grant_refusal
from bascule.organisation.models import Assignment, Category, Person, Structure, StructureKind
from bascule.organisation.ranks import role_choices, role_label

KIND_SYNONYMS: dict[str, str] = {
    "CPCM": StructureKind.SHARED_CENTRE,
    "CSP": StructureKind.SHARED_CENTRE,
    "centre de prestations comptables mutualisé": StructureKind.SHARED_CENTRE,
    "DDI": StructureKind.DEPARTMENTAL_DIRECTORATE,
    "SGC-D": StructureKind.SGCD,
    "SGCD": StructureKind.SGCD,
    "SGAR": StructureKind.PREFECTURE,
    "préfecture": StructureKind.PREFECTURE,
    "direction": StructureKind.NATIONAL_DIRECTORATE,
    "pôle support": StructureKind.SUPPORT_POLE,
}


def _region(text: str) -> str:
    value = text.strip()
    if not value:
        return ""
    if value in REGIONS:
        return value
    if len(value) == 1 and value.isdigit() and "0" + value in REGIONS:
        return "0" + value
    wanted = normalise_label(value)
    for code, name in REGIONS.items():
        if normalise_label(name) == wanted:
            return code
    raise ValueError("région inconnue ; indiquez son code INSEE (53) ou son nom (Bretagne).")


def _department(text: str) -> str:
    value = text.strip().upper()
    if not value:
        return ""
    if len(value) == 1 and value.isdigit():
        value = "0" + value  # a spreadsheet turned "01" into 1
    if value not in DEPARTMENTS:
        raise ValueError("département inconnu ; indiquez son code (29, 2A, 974).")
    return value


def _apply_with_messages(planned: Planned, write: Any) -> None:
    """Run a write; a refusal stops the whole import (nothing is kept) with the row named."""
    try:
        write()
    except (ValidationError, PermissionDenied) as exc:
        detail = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        raise SpreadsheetError(
            f"Ligne {planned.result.row} : {detail} L'import a été annulé, rien n'a été enregistré."
        ) from exc


@register_importer
class StructureImporter(Importer):
    name = "organisation.structures"
    slug = "structures"
    label = "Structures"
    columns = (
        Column("code", "Code", ("sigle", "code structure"), required=True, help="unique, ex. DREAL-BRE"),
        Column("name", "Nom", ("libellé", "intitulé", "nom de la structure"), required=True),
        Column(
            "kind", "Type", ("nature", "type de structure"), required=True, help="ex. Direction régionale"
        ),
        Column(
            "parent",
            "Rattachement",
            ("parent", "code parent", "structure parente", "structure de rattachement"),
            help="code de la structure parente",
        ),
        Column("region", "Région", ("code région",), help="code INSEE ou nom"),
        Column("department", "Département", ("code département", "dept"), help="code, ex. 29"),
        Column(
            "valid_from", "Début de validité", ("valide à partir du", "date de création"), help="JJ/MM/AAAA"
        ),
        Column("valid_to", "Fin de validité", ("valide jusqu'au", "date de dissolution"), help="JJ/MM/AAAA"),
    )

    def example_row(self) -> dict[str, str]:
        parent = Structure.objects.editable_by(self.user).order_by("path").first()
        if parent is None:
            return {}
        return {
            "code": "EXEMPLE-1",
            "name": "Service d'exemple",
            "kind": StructureKind.SERVICE.label,
            "parent": parent.code,
            "valid_from": "01/09/2024",
        }

    def _parse(self, reader: RowReader) -> dict[str, Any]:
        values: dict[str, Any] = {"code": reader["code"].strip(), "name": " ".join(reader["name"].split())}
        if not values["code"]:
            reader.error("code", "le code est obligatoire.")
        elif len(values["code"]) > 60:
            reader.error("code", "le code dépasse 60 caractères.")
        if not values["name"]:
            reader.error("name", "le nom est obligatoire.")
        elif len(values["name"]) > 255:
            reader.error("name", "le nom dépasse 255 caractères.")
        try:
            values["kind"] = parse_choice(reader["kind"], StructureKind.choices, KIND_SYNONYMS)
        except ValueError as exc:
            reader.error("kind", str(exc))
        for key, parser in (("region", _region), ("department", _department)):
            try:
                values[key] = parser(reader[key])
            except ValueError as exc:
                reader.error(key, str(exc))
        for key in ("valid_from", "valid_to"):
            try:
                values[key] = parse_date(reader[key])
            except ValueError as exc:
                reader.error(key, str(exc))
        if values.get("valid_from") and values.get("valid_to") and values["valid_to"] < values["valid_from"]:
            reader.error("valid_to", "la fin de validité précède le début.")
        values["parent_code"] = reader["parent"].strip()
        if values["parent_code"] and values["parent_code"] == values["code"]:
            reader.error("parent", "une structure ne peut pas être rattachée à elle-même.")
        if reader.has("region") is False:
            values.pop("region", None)
        if reader.has("department") is False:
            values.pop("department", None)
        return values

    def plan(self, readers: list[RowReader]) -> list[Planned]:
        parsed = [(reader, self._parse(reader)) for reader in readers]
        codes = {values["code"] for _, values in parsed} | {values["parent_code"] for _, values in parsed}
        existing = {
            s.code: s for s in Structure.objects.filter(code__in=codes - {""}).select_related("parent")
        }
        # Final parent of every structure (database, overridden by the file) to detect cycles the file would make.
        parent_of: dict[str, str | None] = dict(Structure.objects.values_list("code", "parent__code"))

        first_row: dict[str, int] = {}
        results: dict[int, Planned] = {}
        pending: list[tuple[RowReader, dict[str, Any]]] = []
        for reader, values in parsed:
            code = values["code"]
            if code and code in first_row:
                reader.error("code", f"ce code figure déjà ligne {first_row[code]} du fichier.")
            elif code:
                first_row[code] = reader.number
            if reader.errors:
                results[reader.number] = reject(reader, code)
            else:
                pending.append((reader, values))
                parent_of[code] = values["parent_code"] or None

        accepted: dict[str, Planned] = {}  # code -> plan of a row that will exist after the import
        progress = True
        while pending and progress:  # parents before children, whatever the order of the file
            progress = False
            still: list[tuple[RowReader, dict[str, Any]]] = []
            for reader, values in pending:
                parent_code = values["parent_code"]
                if parent_code and parent_code not in existing and parent_code not in accepted:
                    if parent_code in first_row and first_row[parent_code] in results:
                        reader.error(
                            "parent",
                            f"la structure de rattachement est rejetée (ligne {first_row[parent_code]}).",
                        )
                        results[reader.number] = reject(reader, values["code"])
                        progress = True
                    elif parent_code in first_row:
                        still.append((reader, values))
                    else:
                        reader.error(
                            "parent", "aucune structure n'a ce code, ni dans Bascule ni dans le fichier."
                        )
                        results[reader.number] = reject(reader, values["code"])
                        progress = True
                    continue
                planned = self._plan_row(reader, values, existing, accepted, parent_of)
                results[reader.number] = planned
                if planned.result.outcome != REJECT:
                    accepted[values["code"]] = planned
                progress = True
            pending = still
        for reader, values in pending:
            reader.error("parent", "ces structures se rattachent les unes aux autres en boucle.")
            results[reader.number] = reject(reader, values["code"])
        # Accepted rows in the order they were resolved: parents first, as apply writes them.
        rejected = [planned for planned in results.values() if planned.result.outcome == REJECT]
        return list(accepted.values()) + rejected

    def _plan_row(
        self,
        reader: RowReader,
        values: dict[str, Any],
        existing: dict[str, Structure],
        accepted: dict[str, Planned],
        parent_of: dict[str, str | None],
    ) -> Planned:
        code = values["code"]
        parent_code = values["parent_code"]
        # Cycle: walk up the final parents from the new parent.
        seen, cursor = {code}, parent_code or None
        while cursor:
            if cursor in seen:
                reader.error("parent", "ce rattachement créerait une boucle dans l'arbre des structures.")
                return reject(reader, code)
            seen.add(cursor)
            cursor = parent_of.get(cursor)
        parent = existing.get(parent_code) if parent_code else None
        if parent_code and parent is None:
            parent_ok = accepted[parent_code].payload["writable"]
        elif parent is not None:
            parent_ok = parent.get_abilities(self.user)["add_child"]
        else:
            parent_ok = user_can(self.user, "organisation.add_root_structure")
        current = existing.get(code)
        abilities = current.get_abilities(self.user) if current is not None else {}
        if current is not None and not abilities["change"]:
            reader.error("code", "cette structure existe hors de votre périmètre de modification.")
            return reject(reader, code)
        current_parent_code = current.parent.code if current is not None and current.parent else ""
        if current is not None and not abilities["reposition"]:
            for key, current_value in (
                ("parent", current_parent_code),
                ("region", current.region),
                ("department", current.department),
            ):
                wanted = parent_code if key == "parent" else values.get(key, current_value)
                if wanted != current_value:
                    reader.error(
                        key,
                        "le rattachement, la région et le département de cette structure relèvent "
                        "du niveau supérieur.",
                    )
                    return reject(reader, code)
        if (current is None or current_parent_code != parent_code) and not parent_ok:
            reader.error(
                "parent",
                "rattachement hors de votre périmètre de modification."
                if parent_code
                else "seul le pilotage national peut créer ou déplacer une structure sans rattachement.",
            )
            return reject(reader, code)
        fields = {
            key: values[key]
            for key in ("name", "kind", "region", "department", "valid_from", "valid_to")
            if key in values
        }
        if current is None:
            changes = [
                (column.label, "", describe(values.get(column.key)))
                for column in self.columns
                if column.key in fields
            ]
            return Planned(
                RowResult(row=reader.number, key=code, outcome=CREATE, changes=changes),
                {"code": code, "parent_code": parent_code, "fields": fields, "writable": True},
            )
        labels = {column.key: column.label for column in self.columns}
        diff: dict[str, Any] = {key: value for key, value in fields.items() if getattr(current, key) != value}
        changes = [
            (labels[key], describe(getattr(current, key)), describe(value)) for key, value in diff.items()
        ]
        if current_parent_code != parent_code:
            diff["parent_code"] = parent_code
            changes.append((labels["parent"], current_parent_code, parent_code))
        outcome = UPDATE if diff else UNCHANGED
        return Planned(
            RowResult(row=reader.number, key=code, outcome=outcome, changes=changes),
            {"code": code, "parent_code": parent_code, "fields": diff, "writable": True},
        )

    def write(self, planned: Planned) -> None:
        payload = planned.payload
        fields = dict(payload["fields"])
        parent_code = fields.pop("parent_code", payload["parent_code"])

        def run() -> None:
            parent = Structure.objects.get(code=parent_code) if parent_code else None
            if planned.result.outcome == CREATE:
                services.structure_create(
                    by=self.user, code=payload["code"], parent=parent, reason="Import", **fields
                )
            else:
                structure = Structure.objects.get(code=payload["code"])
                if "parent_code" in payload["fields"]:
                    fields["parent"] = parent
                services.structure_update(
                    by=self.user, structure=structure, version=structure.version, reason="Import", **fields
                )

        _apply_with_messages(planned, run)


@dataclass
class _PersonPlan:
    email: str
    person_fields: dict[str, Any]
    person_action: str  # create / update / none
    assignment: dict[str, Any] | None = None
    assignment_action: str = "none"  # create / update / none
    changes: list[tuple[str, str, str]] = field(default_factory=list)


@register_importer
class PersonImporter(Importer):
    name = "organisation.people"
    slug = "people"
    label = "Personnes et affectations"
    columns = (
        Column(
            "email", "Courriel", ("email", "e-mail", "mél", "mail", "adresse électronique"), required=True
        ),
        Column("first_name", "Prénom", (), required=True),
        Column("last_name", "Nom", ("nom de famille",), required=True),
        Column("structure", "Structure", ("structure d'appartenance", "service"), required=True, help="code"),
        Column("ministry", "Ministère d'origine", ("ministère",), help="code du ministère"),
        Column("category", "Catégorie", ("catégorie statutaire",), help="A, B ou C"),
        Column("fte", "ETP", ("quotité",), help="ex. 0,8"),
        Column("phone", "Téléphone", ("tél", "téléphone fixe")),
        Column("role", "Rôle", ("fonction",), help="ex. Référent départemental"),
        Column(
            "assignment_structure",
            "Structure d'affectation",
            ("affectation",),
            help="code ; par défaut la structure",
        ),
        Column("start", "Début", ("date de début", "à compter du"), help="JJ/MM/AAAA"),
        Column("end", "Fin", ("date de fin", "jusqu'au"), help="JJ/MM/AAAA"),
    )

    def example_row(self) -> dict[str, str]:
        structure = Structure.objects.editable_by(self.user).order_by("path").first()
        if structure is None:
            return {}
        return {
            "email": "camille.exemple@exemple.gouv.fr",
            "first_name": "Camille",
            "last_name": "Exemple",
            "structure": structure.code,
            "category": "A",
            "fte": "1",
            "role": Role.READER.label,
            "assignment_structure": structure.code,
            "start": "01/09/2024",
        }

    def _parse(self, reader: RowReader, structures: dict[str, Structure]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        email = reader["email"].strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            reader.error("email", "adresse de courriel invalide.")
        values["email"] = email
        for key, limit in (("first_name", 150), ("last_name", 150), ("phone", 30)):
            values[key] = " ".join(reader[key].split())
            if len(values[key]) > limit:
                reader.error(key, f"la valeur dépasse {limit} caractères.")
        for key in ("first_name", "last_name"):
            if not values[key]:
                reader.error(key, "la valeur est obligatoire.")
        values["structure"] = structures.get(reader["structure"].strip())
        if values["structure"] is None:
            reader.error("structure", "aucune structure n'a ce code.")
        ministry_code = reader["ministry"].strip()
        values["ministry_of_origin"] = structures.get(ministry_code) if ministry_code else None
        if ministry_code and (
            values["ministry_of_origin"] is None
            or values["ministry_of_origin"].kind != StructureKind.MINISTRY
        ):
            reader.error("ministry", "aucun ministère n'a ce code.")
        try:
            values["category"] = (
                parse_choice(reader["category"], Category.choices) if reader["category"].strip() else ""
            )
        except ValueError as exc:
            reader.error("category", str(exc))
        try:
            fte = (
                parse_decimal(reader["fte"], minimum=Decimal(0), maximum=Decimal(1))
                if reader.has("fte")
                else None
            )
            values["fte"] = Decimal("1.00") if fte is None else fte.quantize(Decimal("0.01"))
        except ValueError as exc:
            reader.error("fte", str(exc))
        role_text = reader["role"].strip()
        if role_text:
            assignment: dict[str, Any] = {}
            try:
                if not hasattr(self, "_role_choices"):
                    self._role_choices = role_choices()  # once per import
                assignment["role"] = parse_choice(role_text, self._role_choices)
            except ValueError as exc:
                reader.error("role", str(exc))
            code = reader["assignment_structure"].strip()
            assignment["structure"] = structures.get(code) if code else values["structure"]
            if code and assignment["structure"] is None:
                reader.error("assignment_structure", "aucune structure n'a ce code.")
            for key, column in (("start_date", "start"), ("end_date", "end")):
                try:
                    assignment[key] = parse_date(reader[column])
                except ValueError as exc:
                    reader.error(column, str(exc))
            if "start_date" in assignment and assignment["start_date"] is None:
                reader.error("start", "la date de début est obligatoire quand un rôle est indiqué.")
            start, end = assignment.get("start_date"), assignment.get("end_date")
            if start and end and end < start:
                reader.error("end", "la date de fin précède la date de début.")
            values["assignment"] = assignment
        elif reader["assignment_structure"].strip() or reader["start"].strip():
            reader.error("role", "un rôle est nécessaire pour créer une affectation.", role_text)
        return values

    def plan(self, readers: list[RowReader]) -> list[Planned]:
        codes = set()
        for reader in readers:
            codes |= {
                reader["structure"].strip(),
                reader["ministry"].strip(),
                reader["assignment_structure"].strip(),
            }
        structures = {s.code: s for s in Structure.objects.filter(code__in=codes - {""})}
        emails = {reader["email"].strip().lower() for reader in readers}
        people = {p.email: p for p in Person.objects.filter(email__in=emails).select_related("structure")}
        assignments: dict[tuple[str, str, Any, date], Assignment] = {
            (a.person.email, a.role, a.structure_id, a.start_date): a
            for a in Assignment.objects.filter(person__email__in=emails).select_related("person")
        }
        labels = {column.key: column.label for column in self.columns}
        planned_people: dict[str, tuple[int, dict[str, Any]]] = {}
        planned_assignments: set[tuple[str, str, Any, date]] = set()
        results: list[Planned] = []
        for reader in readers:
            values = self._parse(reader, structures)
            email = values["email"]
            if reader.errors:
                results.append(reject(reader, email))
                continue
            person_fields = {
                key: values[key]
                for key in (
                    "first_name",
                    "last_name",
                    "phone",
                    "structure",
                    "ministry_of_origin",
                    "category",
                    "fte",
                )
            }
            plan = _PersonPlan(email=email, person_fields=person_fields, person_action="none")
            current = people.get(email)
            if email in planned_people:
                first, fields = planned_people[email]
                differing = [labels.get(k, k) for k, v in person_fields.items() if fields[k] != v]
                if differing:
                    reader.error(
                        "email",
                        f"cette personne figure déjà ligne {first} avec d'autres valeurs ({', '.join(differing)}).",
                    )
                    results.append(reject(reader, email))
                    continue
            elif current is None:
                if not values["structure"].get_abilities(self.user)["add_person"]:
                    reader.error("structure", "structure hors de votre périmètre de modification.")
                    results.append(reject(reader, email))
                    continue
                plan.person_action = "create"
                plan.changes.append(("Personne", "", f"{values['first_name']} {values['last_name']}"))
            else:
                if not current.get_abilities(self.user)["change"]:
                    reader.error(
                        "email", "cette personne appartient à une structure hors de votre périmètre."
                    )
                    results.append(reject(reader, email))
                    continue
                diff = {k: v for k, v in person_fields.items() if getattr(current, k) != v}
                if "structure" in diff and not values["structure"].get_abilities(self.user)["add_person"]:
                    reader.error("structure", "structure hors de votre périmètre de modification.")
                    results.append(reject(reader, email))
                    continue
                column_of = {"ministry_of_origin": "ministry"}
                for key, value in diff.items():
                    before = getattr(current, key)
                    plan.changes.append(
                        (
                            labels[column_of.get(key, key)],
                            describe(getattr(before, "code", before)),
                            describe(getattr(value, "code", value)),
                        )
                    )
                if diff:
                    plan.person_action = "update"
                    plan.person_fields = diff
            assignment = values.get("assignment")
            if assignment:
                if not can_grant(self.user, assignment["role"], assignment["structure"], current):
                    reader.error(
                        "role",
                        grant_refusal(self.user, assignment["role"], assignment["structure"], current),
                    )
                    results.append(reject(reader, email))
                    continue
                identity = (email, assignment["role"], assignment["structure"].pk, assignment["start_date"])
                if identity in planned_assignments:
                    reader.error("role", "cette affectation figure déjà plus haut dans le fichier.")
                    results.append(reject(reader, email))
                    continue
                planned_assignments.add(identity)
                existing = assignments.get(identity)
                plan.assignment = assignment
                label = role_label(assignment["role"])
                if existing is None:
                    plan.assignment_action = "create"
                    plan.changes.append(("Affectation", "", f"{label} — {assignment['structure'].code}"))
                elif existing.end_date != assignment["end_date"]:
                    plan.assignment_action = "update"
                    plan.changes.append(
                        (labels["end"], describe(existing.end_date), describe(assignment["end_date"]))
                    )
            planned_people.setdefault(email, (reader.number, person_fields))
            actions = {plan.person_action, plan.assignment_action}
            outcome = CREATE if "create" in actions else UPDATE if "update" in actions else UNCHANGED
            results.append(
                Planned(RowResult(row=reader.number, key=email, outcome=outcome, changes=plan.changes), plan)
            )
        return results

    def write(self, planned: Planned) -> None:
        plan: _PersonPlan = planned.payload

        def run() -> None:
            if plan.person_action == "create":
                person = services.person_create(by=self.user, email=plan.email, **plan.person_fields)
            else:
                person = Person.objects.get(email=plan.email)
                if plan.person_action == "update":
                    person = services.person_update(
                        by=self.user, person=person, version=person.version, **plan.person_fields
                    )
            if plan.assignment and plan.assignment_action == "create":
                services.assignment_create(by=self.user, person=person, **plan.assignment)
            elif plan.assignment and plan.assignment_action == "update":
                current = Assignment.objects.get(
                    person=person,
                    role=plan.assignment["role"],
                    structure=plan.assignment["structure"],
                    start_date=plan.assignment["start_date"],
                )
                services.assignment_update(
                    by=self.user,
                    assignment=current,
                    version=current.version,
                    end_date=plan.assignment["end_date"],
                )

        _apply_with_messages(planned, run)

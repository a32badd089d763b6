"""Import the action plans people already keep in spreadsheets (XLSX, ODS, CSV).

Title rows above the header, varying header names, merged pain-point cells (filled down), the pain point in its
own column or written "3. Titre", multi-line cells and empty deadlines are all read. Actions are matched by code
within the programme: a re-import updates what changed and adds a progress note when the progress text changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from bascule.core.deadlines import parse_deadline
from bascule.core.forms import model_max_length as _max
from bascule.core.imports import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Column,
    Importer,
    ImportReport,
    Planned,
    RowReader,
    RowResult,
    register_importer,
    reject,
)
from bascule.core.spreadsheets import SpreadsheetError, Table
from bascule.core.system import Actor
from bascule.organisation.selectors import StructureIndex, structure_index
from bascule.programmes import bulk, services
from bascule.programmes.models import Action, PainPoint, Programme

_PAIN = re.compile(r"^\s*(\d{1,3})\s*[.)\-–:]\s*(.+)$", re.DOTALL)
_CODE = re.compile(r"^\s*(\d{1,3})\s*[-.]\s*(\d{1,3})\s*$")
_REVIEW_DATE = re.compile(
    r"\b(?:revue|réunion|copil|comité|point|mise à jour|version)\b[^\n]{0,20}?\b(?:du|le|au)\s+(.{6,30})",
    re.IGNORECASE,
)

ACTION_COLUMNS = (
    Column(
        "code",
        "N°",
        ("n", "numero", "numéro", "num", "code", "n action", "référence"),
        required=True,
        max_length=30,
    ),
    Column(
        "pain_point",
        "Irritants",
        ("irritant", "problème", "problèmes", "difficultés", "points de difficulté"),
        max_length=1000,
    ),
    Column(
        "title",
        "Actions",
        ("action", "intitulé", "actions à mener", "mesures"),
        required=True,
        max_length=_max(Action, "title"),
    ),
    Column(
        "lead_text",
        "Pilote",
        ("pilotes", "pilote s", "pilote(s)", "responsable", "porteur", "pilotage"),
        max_length=_max(Action, "lead_text"),
    ),
    Column(
        "deliverables_text",
        "Livrables et échéances",
        (
            "livrables",
            "livrable",
            "échéance",
            "échéances",
            "livrables échéances",
            "livrable et échéance",
            "calendrier",
        ),
        max_length=_max(Action, "deliverables_text"),
    ),
    Column(
        "progress",
        "État d'avancement",
        ("etat d avancement", "avancement", "état", "suivi", "commentaires"),
        max_length=_max(Action, "progress"),
    ),
)


def reference_date_from_titles(preamble: list[str]) -> date | None:
    """The review date written above the header ("… revue du 1er décembre 2011"), if any."""
    for line in preamble:
        match = _REVIEW_DATE.search(line)
        if match:
            deadline = parse_deadline(match.group(1))
            if deadline.understood and deadline.precision == "day":
                return deadline.start
    return None


@dataclass
class _ActionPlan:
    code: str
    pain: tuple[int, str] | None
    fields: dict[str, Any]
    progress: str


@register_importer
class ActionPlanImporter(Importer):
    name = "programmes.actions"
    slug = "actions"
    label = "Plan d'actions"
    columns = ACTION_COLUMNS

    def __init__(self, *, user: Actor, programme: Programme, reference_date: date | None = None) -> None:
        super().__init__(user=user)
        self.programme = programme
        self.reference_date = reference_date

    @classmethod
    def from_params(cls, *, user: Actor, params: dict[str, Any]) -> ActionPlanImporter:
        reference = params.get("reference_date")
        programme = Programme.objects.get(pk=params["programme"])
        return cls(
            user=user,
            programme=programme,
            reference_date=date.fromisoformat(reference) if reference else None,
        )

    @classmethod
    def example_params(cls, *, user: Actor) -> dict[str, Any] | None:
        programme = Programme.objects.visible_to(user).order_by("code").first()
        return {"programme": str(programme.pk)} if programme else None

    def example_row(self) -> dict[str, str]:
        return {
            "code": "99-1",
            "title": "Action d'exemple",
            "lead_text": "Bureau d'exemple",
            "progress": "À lancer",
        }

    def read(self, data: bytes, filename: str = "") -> Table:
        table = super().read(data, filename)
        if self.reference_date is None:
            self.reference_date = reference_date_from_titles(table.preamble)
        return table

    def plan(self, readers: list[RowReader]) -> list[Planned]:
        if not self.programme.get_abilities(self.user)["import_actions"]:
            raise SpreadsheetError(f"Vous ne pouvez pas modifier le programme « {self.programme.code} ».")
        existing = {
            a.code: a for a in Action.objects.filter(programme=self.programme).select_related("pain_point")
        }
        pains = {p.number: p for p in PainPoint.objects.filter(programme=self.programme)}
        results: list[Planned] = []
        seen: dict[str, int] = {}
        current_pain: tuple[int, str] | None = None
        for reader in readers:
            code = reader["code"].strip()
            title = reader["title"].strip()
            pain_text = reader["pain_point"].strip()
            if pain_text:
                match = _PAIN.match(pain_text)
                if match:
                    current_pain = (int(match.group(1)), " ".join(match.group(2).split()))
                else:
                    number = int(m.group(1)) if (m := _CODE.match(code)) else (max(pains, default=0) + 1)
                    current_pain = (number, " ".join(pain_text.split()))
            elif current_pain is None and (m := _CODE.match(code)) and int(m.group(1)) in pains:
                known = pains[int(m.group(1))]
                current_pain = (known.number, known.title)
            if not code:
                reader.error("code", "le numéro de l'action est obligatoire (par exemple 3-2).")
            elif code in seen:
                reader.error("code", f"ce numéro figure déjà ligne {seen[code]}.")
            if not title:
                reader.error("title", "l'intitulé de l'action est obligatoire.")
            if reader.errors:
                results.append(reject(reader, code))
                continue
            seen[code] = reader.number
            fields = {
                "title": title,
                "lead_text": reader["lead_text"].strip(),
                "deliverables_text": reader["deliverables_text"].strip(),
            }
            plan = _ActionPlan(
                code=code, pain=current_pain, fields=fields, progress=reader["progress"].strip()
            )
            current = existing.get(code)
            if current is None:
                changes = [("Action", "", title[:80])]
                deadline = parse_deadline(fields["deliverables_text"], reference=self.reference_date)
                if fields["deliverables_text"] and not deadline.understood:
                    changes.append(("Échéance", "", "non comprise : gardée telle qu'écrite"))
                results.append(Planned(RowResult(reader.number, code, CREATE, changes), plan))
                continue
            changes = [
                (label, getattr(current, key), value)
                for key, label, value in (
                    ("title", "Actions", fields["title"]),
                    ("lead_text", "Pilote", fields["lead_text"]),
                    ("deliverables_text", "Livrables et échéances", fields["deliverables_text"]),
                )
                if getattr(current, key) != value
            ]
            current_pain_key = (
                (current.pain_point.number, current.pain_point.title) if current.pain_point else None
            )
            if current_pain_key != plan.pain:
                changes.append(("Irritants", _pain_label(current_pain_key), _pain_label(plan.pain)))
            if current.progress != plan.progress:
                changes.append(("État d'avancement", current.progress, plan.progress))
            outcome = UPDATE if changes else UNCHANGED
            results.append(
                Planned(
                    RowResult(reader.number, code, outcome, [(a, str(b), str(c)) for a, b, c in changes]),
                    plan,
                )
            )
        return results

    def apply(self, table: Table) -> ImportReport:
        """Plan again, then write every accepted row in bulk, in one transaction (all or nothing).

        Same outcome as the services row by row (derived deadline and lead, history rows with the author, a
        progress note when the progress text changed), with a number of queries that does not grow per row.
        """
        # The texts are read before the write transaction opens (parsing never holds the database's write lock).
        self._derive_all(table)
        with transaction.atomic():
            planned = self.plan(list(self.readers(table)))
            accepted = [p for p in planned if p.result.outcome in {CREATE, UPDATE}]
            if accepted:
                self._write_all([p.payload for p in accepted])
        return ImportReport(
            importer=self.name,
            format=table.format,
            applied=True,
            rows=sorted((p.result for p in planned), key=lambda r: r.row),
        )

    def _derive_all(self, table: Table) -> None:
        """Deadline and lead of every row, keyed by their texts, computed outside any transaction."""
        index = structure_index()
        self._derived: dict[tuple[str, str], tuple[dict[str, Any], list[Any], list[Any]]] = {}
        for reader in self.readers(table):
            key = (reader["deliverables_text"].strip(), reader["lead_text"].strip())
            if key in self._derived:
                continue
            draft = Action(deliverables_text=key[0], lead_text=key[1], reference_date=self.reference_date)
            leads, partners = services.action_derive(draft, index)
            fields = {name: getattr(draft, name) for name in services.DERIVED_FIELDS}
            self._derived[key] = (fields, leads, partners)

    def _derive(self, action: Action, index: StructureIndex) -> tuple[list[Any], list[Any]]:
        cached = getattr(self, "_derived", {}).get((action.deliverables_text, action.lead_text))
        if cached is None or action.reference_date != self.reference_date:
            return services.action_derive(action, index)
        fields, leads, partners = cached
        for name, value in fields.items():
            setattr(action, name, value)
        return leads, partners

    def _write_all(self, plans: list[_ActionPlan]) -> None:
        """Through the programme's bulk services: the same rules, versions, notes and history as the pages."""
        reason = "Import du plan d'actions"
        wanted = {plan.pain[0]: plan.pain[1] for plan in plans if plan.pain}
        pains = bulk.pain_points_ensure(by=self.user, programme=self.programme, wanted=wanted, reason=reason)
        rows = [
            bulk.ActionRow(
                code=plan.code,
                pain_point=pains.get(plan.pain[0]) if plan.pain else None,
                progress=plan.progress,
                **plan.fields,
            )
            for plan in plans
        ]
        index = structure_index()  # for a row whose texts were not read beforehand (a changed reference date)
        bulk.actions_write_bulk(
            by=self.user,
            programme=self.programme,
            rows=rows,
            reference_date=self.reference_date,
            derive=lambda a: self._derive(a, index),
            reason=reason,
        )


def _pain_label(pain: tuple[int, str] | None) -> str:
    return f"{pain[0]}. {pain[1]}" if pain else ""


def code_key(code: str) -> tuple[Any, ...]:
    """Natural order of action codes: 2-1 before 10-1."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", code))


def export_rows(actions: Any) -> list[list[Any]]:
    """Rows in the import's column shape: the export re-imports identically."""
    rows = [
        [
            a.code,
            f"{a.pain_point.number}. {a.pain_point.title}" if a.pain_point else "",
            a.title,
            a.lead_text,
            a.deliverables_text,
            a.progress,
        ]
        for a in actions.select_related("pain_point")
    ]
    return sorted(rows, key=lambda row: code_key(row[0]))

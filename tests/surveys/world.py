"""What surveys add to the test world: the dematerialisation questionnaire (domain.md §9), sent to the
departmental directorates of both regions; Normandy's DDTM has answered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from bascule.organisation.models import StructureKind
from bascule.surveys import questionnaires, services
from bascule.surveys.models import Answer, Kind

ORDER = 50  # after indicators

SCOPES = ["Finances", "Commande publique", "Ressources humaines", "Actes", "Social", "Santé", "Routes"]


def build_questionnaire(world: Any, title: str = "Dématérialisation") -> Any:
    by = world.national
    questionnaire = questionnaires.questionnaire_create(by=by, programme=world.programme, title=title)
    general = questionnaires.section_add(by=by, questionnaire=questionnaire, title="Projets")
    q1 = questionnaires.question_add(
        by=by,
        section=general,
        code="Q1",
        text="Avez-vous déjà mené un projet de dématérialisation ?",
        kind=Kind.YES_NO,
        required=True,
    )
    questionnaires.question_add(
        by=by,
        section=general,
        code="Q2",
        text="Sur quel périmètre ?",
        kind=Kind.MULTIPLE,
        choices=SCOPES,
        other=True,
        required=True,
        condition_on=q1,
        condition_value="oui",
    )
    equipment = questionnaires.section_add(by=by, questionnaire=questionnaire, title="Équipement")
    agents = questionnaires.question_add(
        by=by,
        section=equipment,
        code="Q3",
        text="Nombre d'agents",
        kind=Kind.NUMBER,
        minimum=0,
        unit="agents",
    )
    indicator = getattr(world, "indicator", None)
    questionnaires.question_add(
        by=by,
        section=equipment,
        code="Q4",
        text="Part des agents équipés d'une carte",
        kind=Kind.NUMBER,
        minimum=0,
        maximum=100,
        unit="%",
        indicator=indicator,
        coverage_of=agents if indicator else None,
    )
    questionnaires.question_add(
        by=by, section=equipment, code="Q5", text="Difficultés rencontrées", kind=Kind.TEXT
    )
    return questionnaire


def extend_world(world: Any) -> None:
    world.questionnaire = build_questionnaire(world)
    today = timezone.localdate()
    world.survey = services.survey_create(
        by=world.national,
        questionnaire=world.questionnaire,
        title="Enquête dématérialisation",
        kinds=[StructureKind.DEPARTMENTAL_DIRECTORATE],
        opens_on=today,
        closes_on=today + timedelta(days=30),
        reminders_on=[today + timedelta(days=10)],
    )
    world.survey = services.survey_open(by=world.national, survey=world.survey, notify=False)
    world.questionnaire.refresh_from_db()
    world.answer_bzh = Answer.objects.get(survey=world.survey, structure=world.ddtm29)
    world.answer_nor = Answer.objects.get(survey=world.survey, structure=world.ddtm14)
    world.answer_nor = services.answer_save(
        by=world.lead_nor,
        answer=world.answer_nor,
        values={
            "Q1": "oui",
            "Q2": ["Finances", "Actes"],
            "Q3": "120",
            "Q4": "75",
            "Q5": "Lecteurs de cartes",
        },
        submit=True,
    )
    world.question = world.questionnaire.questions.get(code="Q1")

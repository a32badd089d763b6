"""Demo survey: domain.md §9's dematerialisation questionnaire, sent to the 288 departmental directorates, 186 of
which answered through their links with the published counts (yes 74 / no 112; scopes finance 65, public
procurement 33, HR 16, acts 42, social 3, health 2, roads 0, other 8), then closed; the equipment answers feed
the indicator « Agents équipés d'une carte » with their number of agents as its base; a few free-text answers
filed under two themes."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from bascule.core.system import SYSTEM
from bascule.indicators import services as indicators
from bascule.indicators.models import Indicator
from bascule.organisation.models import StructureKind
from bascule.programmes.models import Programme
from bascule.surveys import questionnaires, services
from bascule.surveys.models import Answer, Kind, Survey

CODE = "CHORUS-MAP"
TITLE = "Enquête dématérialisation des services départementaux"
ANSWERED, YES = 186, 74
SCOPES = {  # label: (answers that ticked it, first yes-answer that ticks it) — every yes-answer ticks one at least
    "Finances": (65, 0),
    "Commande publique": (33, 0),
    "Ressources humaines": (16, 10),
    "Actes": (42, 32),
    "Social": (3, 40),
    "Santé": (2, 50),
    "Routes": (0, 0),
}
OTHERS = (8, 60)
DIFFICULTIES = [
    ("Parapheur électronique non déployé", "Outils"),
    ("Pas de scanner dans les services", "Équipement"),
    ("Agents non formés à la signature électronique", "Formation"),
    ("Lecteurs de cartes manquants", "Équipement"),
    ("Circuits de validation à revoir", "Organisation"),
]


@transaction.atomic
def load_demo() -> list[str]:
    programme = Programme.objects.filter(code=CODE).first()
    if programme is None:
        return ["Enquêtes de démonstration : pas de programme de démonstration, rien à faire."]
    if Survey.objects.filter(questionnaire__programme=programme).exists():
        return ["Enquêtes de démonstration déjà présentes : conservées telles quelles."]
    today = timezone.localdate()
    equipped = Indicator.objects.filter(
        programme=programme, code="CARTE"
    ).first() or indicators.indicator_create(
        by=SYSTEM,
        programme=programme,
        code="CARTE",
        name="Agents équipés d'une carte",
        unit="%",
        aggregation="weighted",
        target_value=Decimal(95),
        target_date=today + timedelta(days=90),
        expected_kind=StructureKind.DEPARTMENTAL_DIRECTORATE,
    )
    questionnaire = questionnaires.questionnaire_create(
        by=SYSTEM,
        programme=programme,
        title="Dématérialisation",
        description="Projets déjà menés, périmètres, équipement des agents.",
    )
    projects = questionnaires.section_add(
        by=SYSTEM, questionnaire=questionnaire, title="Projets de dématérialisation"
    )
    q1 = questionnaires.question_add(
        by=SYSTEM,
        section=projects,
        code="DEMAT",
        text="Avez-vous déjà mené un projet de dématérialisation ?",
        kind=Kind.YES_NO,
        required=True,
    )
    questionnaires.question_add(
        by=SYSTEM,
        section=projects,
        code="PERIM",
        text="Sur quel périmètre ?",
        kind=Kind.MULTIPLE,
        choices=list(SCOPES),
        other=True,
        required=True,
        condition_on=q1,
        condition_value="oui",
    )
    equipment = questionnaires.section_add(
        by=SYSTEM, questionnaire=questionnaire, title="Équipement des agents"
    )
    agents = questionnaires.question_add(
        by=SYSTEM,
        section=equipment,
        code="AGENTS",
        text="Nombre d'agents du service",
        kind=Kind.NUMBER,
        minimum=0,
        maximum=5000,
        unit="agents",
        required=True,
    )
    questionnaires.question_add(
        by=SYSTEM,
        section=equipment,
        code="EQUIP",
        text="Part des agents équipés d'une carte agent",
        kind=Kind.NUMBER,
        minimum=0,
        maximum=100,
        unit="%",
        required=True,
        indicator=equipped,
        coverage_of=agents,
    )
    questionnaires.question_add(
        by=SYSTEM, section=equipment, code="DIFF", text="Difficultés rencontrées", kind=Kind.TEXT
    )
    survey = services.survey_create(
        by=SYSTEM,
        questionnaire=questionnaire,
        title=TITLE,
        message="Une réponse par direction départementale, avant le comité de pilotage.",
        kinds=[StructureKind.DEPARTMENTAL_DIRECTORATE],
        opens_on=today - timedelta(days=28),
        closes_on=today,
        reminders_on=[today - timedelta(days=14), today - timedelta(days=7)],
    )
    services.survey_open(by=SYSTEM, survey=survey, notify=False)
    answers = list(survey.answers.select_related("structure").order_by("structure__code"))
    rng = random.Random(186)
    chosen = sorted(rng.sample(range(len(answers)), ANSWERED))
    for rank, index in enumerate(chosen):
        answer = answers[index]
        values: dict[str, object] = {"DEMAT": "oui" if rank < YES else "non"}
        if rank < YES:
            ticked = [label for label, (count, first) in SCOPES.items() if first <= rank < first + count]
            other_count, other_first = OTHERS
            if other_first <= rank < other_first + other_count:
                ticked.append("Autre")
                values["PERIM:autre"] = "Courrier entrant"
            values["PERIM"] = ticked
        agents_count = rng.randrange(20, 400)
        values["AGENTS"] = str(agents_count)
        values["EQUIP"] = str(rng.randrange(40, 101))
        if rank % 9 == 0:
            values["DIFF"] = DIFFICULTIES[(rank // 9) % len(DIFFICULTIES)][0]
        services.answer_save_by_link(token=services.answer_token(answer), values=values, submit=True)
    survey = services.survey_close(by=SYSTEM, survey=survey)
    themes = {
        name: services.theme_add(by=SYSTEM, survey=survey, name=name) for name in ("Équipement", "Formation")
    }
    tagged = 0
    for answer in Answer.objects.filter(survey=survey, state=Answer.State.SUBMITTED).select_related("survey"):
        text = answer.values.get("DIFF", "")
        theme = next((themes.get(t) for d, t in DIFFICULTIES if d == text), None)
        if theme is not None:
            services.answer_tag(by=SYSTEM, answer=answer, question_code="DIFF", themes=[theme])
            tagged += 1
    return [
        f"Enquête « {TITLE} » : {len(answers)} directions interrogées, {ANSWERED} réponses "
        f"(oui {YES} / non {ANSWERED - YES}), close ; {tagged} réponses libres classées par thème ; "
        "indicateur « Agents équipés d'une carte » alimenté."
    ]

"""Demo committees: two past COPIL of the Chorus-like programme, each with its agenda, decisions and the state
frozen that day (some actions done and a deadline moved in between, so that the comparison has something to show),
and a regional committee in Bretagne. A second run leaves what exists alone."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from bascule.committees import services
from bascule.committees.models import Meeting
from bascule.core.roles import Role
from bascule.core.system import SYSTEM
from bascule.organisation.models import Person, Structure
from bascule.programmes.models import Action, Programme, Status
from bascule.programmes.services import action_create, action_update, progress_add

CODE = "CHORUS-MAP"


@transaction.atomic
def load_demo() -> list[str]:
    programme = Programme.objects.filter(code=CODE).first()
    if programme is None:
        return ["Comités de démonstration : pas de programme de démonstration, rien à faire."]
    if Meeting.objects.filter(programme=programme).exists():
        return ["Comités de démonstration déjà présents : conservés tels quels."]
    national = programme.owner
    bretagne = Structure.objects.get(code="R53")
    first = services.meeting_create(
        by=SYSTEM,
        programme=programme,
        committee="copil",
        held_on=date(2026, 10, 8),
        title="COPIL n° 1 — lancement des vagues",
        location="Paris, salle Marianne",
        minutes="Le comité valide le calendrier des trois vagues et demande un point mensuel des régions.",
    )
    leads = list(Person.objects.filter(assignments__role=Role.REGIONAL_LEAD).distinct().order_by("email")[:4])
    services.meeting_set_attendees(by=SYSTEM, meeting=first, people=leads, structures=[national, bretagne])
    late = list(Action.objects.filter(programme=programme, structure__isnull=False).order_by("code")[:3])
    services.agenda_item_add(by=SYSTEM, meeting=first, title="Calendrier des vagues")
    for action in late[:2]:
        services.agenda_item_add(
            by=SYSTEM, meeting=first, title=f"Point sur l'action {action.code}", action=action
        )
    confirm = services.meeting_decision_add(
        by=SYSTEM,
        meeting=first,
        title="Confirmer la date de bascule de la vague 1",
        owner=national,
        due_on=date(2026, 10, 31),
    )
    services.meeting_decision_add(
        by=SYSTEM,
        meeting=first,
        title="Renforcer l'accompagnement des régions en retard sur le recensement",
        owner=bretagne,
        due_on=date(2026, 12, 15),
    )
    services.snapshot_take(by=SYSTEM, meeting=first)

    # Between the two committees: actions done, a deadline moved, a new action.
    changed = list(
        Action.objects.filter(programme=programme, structure__isnull=False)
        .exclude(status=Status.DONE)
        .order_by("code")[:4]
    )
    for action in changed[:3]:
        progress_add(
            by=SYSTEM,
            action=action,
            status=Status.DONE,
            percent=100,
            on=date(2026, 10, 30),
            text="Terminé avant le COPIL n° 2.",
        )
    moved = Action.objects.get(pk=changed[3].pk)
    action_update(by=SYSTEM, action=moved, version=moved.version, deliverables_text="Reporté à fin mars 2027")
    action_create(
        by=SYSTEM,
        programme=programme,
        code="N-1",
        title="Organiser la hotline nationale de la première semaine de bascule",
        lead_text="DMAT/SDAT/BCAM",
        deliverables_text="décembre 2026",
        reference_date=date(2026, 10, 20),
    )
    second = services.meeting_create(
        by=SYSTEM,
        programme=programme,
        committee="copil",
        held_on=date(2026, 11, 12),
        title="COPIL n° 2 — préparation de la vague 1",
        location="Visioconférence",
    )
    services.decision_follow_up(
        by=SYSTEM,
        decision=confirm,
        follow_up="done",
        outcome="Date confirmée au 1er janvier 2027.",
        on=date(2026, 11, 12),
    )
    services.meeting_decision_add(
        by=SYSTEM,
        meeting=second,
        title="Ouvrir la campagne de mise à jour avant le COPIL n° 3",
        owner=national,
    )
    services.snapshot_take(by=SYSTEM, meeting=second)
    regional = services.meeting_create(
        by=SYSTEM,
        programme=programme,
        committee="regional",
        structure=bretagne,
        held_on=date(2026, 11, 5),
        title="Comité régional de déploiement — Bretagne",
    )
    services.meeting_decision_add(
        by=SYSTEM,
        meeting=regional,
        title="Désigner un référent Chorus par DDI",
        owner=bretagne,
        due_on=date(2026, 12, 1),
    )
    services.snapshot_take(by=SYSTEM, meeting=regional)
    third = services.meeting_create(
        by=SYSTEM,
        programme=programme,
        committee="copil",
        held_on=date(2026, 12, 10),
        title="COPIL n° 3 — go / no go de la vague 1",
        location="Paris, salle Marianne",
    )
    campaign = services.campaign_create(
        by=SYSTEM,
        programme=programme,
        meeting=third,
        title="Mise à jour avant le COPIL n° 3",
        due_on=date(2026, 12, 3),
        message="Merci de mettre à jour l'avancement de vos actions régionales avant le 3 décembre.",
    )
    campaign = services.campaign_open(by=SYSTEM, campaign=campaign, notify=False)
    requests = list(campaign.requests.select_related("structure").order_by("structure__code"))
    for number, request in enumerate(requests[:6]):  # six regions answered, one of them sent back
        for action in request.actions.order_by("code")[:2]:
            progress_add(
                by=SYSTEM,
                action=action,
                status=Status.IN_PROGRESS,
                percent=70,
                on=date(2026, 11, 20),
                text="Mise à jour de la campagne : ateliers réalisés.",
            )
        services.request_answer(by=SYSTEM, request=request)
        if number < 3:
            services.request_review(by=SYSTEM, request=request, accept=True)
        elif number == 3:
            services.request_review(
                by=SYSTEM,
                request=request,
                accept=False,
                comment="Merci de préciser le calendrier des formations.",
            )
    return [
        "Comités : 2 COPIL (décisions, états figés, comparaison) et un comité régional en Bretagne.",
        f"Campagne de mise à jour ouverte avant le COPIL n° 3 : {len(requests)} demandes, 6 réponses.",
    ]

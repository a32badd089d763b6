"""Every write of committees: meetings, agenda, decisions taken and followed up, the state frozen at a meeting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from bascule.committees.models import (
    AgendaItem,
    Campaign,
    Committee,
    Meeting,
    Snapshot,
    SnapshotAction,
    SnapshotWorkstream,
    UpdateRequest,
)
from bascule.core.access import require_ability
from bascule.core.mail import Mail, send_each
from bascule.core.system import Actor, history_author
from bascule.core.writes import check_fields, save_historised, update_versioned
from bascule.organisation.models import Person, Structure
from bascule.organisation.selectors import steering_contact
from bascule.programmes.models import FINISHED, Action, Decision, Programme, Workstream, late_q

MEETING_FIELDS = ("committee", "held_on", "title", "location", "minutes")


def _require_scope(by: Actor, programme: Programme, structure: Structure | None) -> None:
    """A national committee is convened by the programme's owners; a regional one by who edits the region."""
    if structure is None:
        require_ability(
            programme, by, "change", "Seuls les pilotes du programme réunissent un comité national."
        )
    else:
        require_ability(structure, by, "change", "Cette région est hors de votre périmètre de modification.")


@transaction.atomic
def meeting_create(
    *,
    by: Actor,
    programme: Programme,
    committee: str,
    held_on: date,
    title: str,
    structure: Structure | None = None,
    location: str = "",
    minutes: str = "",
) -> Meeting:
    _require_scope(by, programme, structure)
    if structure is None and committee == Committee.REGIONAL:
        raise ValidationError({"structure": "Un comité régional se tient dans une région ou un département."})
    meeting = Meeting(
        programme=programme,
        committee=committee,
        structure=structure,
        held_on=held_on,
        title=title.strip(),
        location=location.strip(),
        minutes=minutes.strip(),
    )
    save_historised(meeting, by=by, reason="Convocation")
    return meeting


@transaction.atomic
def meeting_update(*, by: Actor, meeting: Meeting, version: int, reason: str = "", **changes: Any) -> Meeting:
    check_fields(changes, MEETING_FIELDS, "réunion")
    require_ability(meeting, by, "change", "Cette réunion est hors de votre périmètre de modification.")
    return update_versioned(
        meeting, by=by, version=version, changes=changes, allowed=MEETING_FIELDS, reason=reason
    )


@transaction.atomic
def meeting_set_attendees(
    *, by: Actor, meeting: Meeting, people: Sequence[Person], structures: Sequence[Structure]
) -> Meeting:
    """Who attended: people and the structures represented (both replace the previous lists)."""
    require_ability(meeting, by, "change", "Cette réunion est hors de votre périmètre de modification.")
    meeting.attendees.set(people)
    meeting.attending_structures.set(structures)
    save_historised(
        meeting, by=by, reason=f"Participants : {len(people)} personne(s), {len(structures)} structure(s)"
    )
    return meeting


@transaction.atomic
def agenda_item_add(
    *,
    by: Actor,
    meeting: Meeting,
    title: str,
    action: Action | None = None,
    workstream: Workstream | None = None,
) -> AgendaItem:
    require_ability(
        meeting, by, "add_agenda_item", "Cette réunion est hors de votre périmètre de modification."
    )
    if action is not None and action.programme_id != meeting.programme_id:
        raise ValidationError({"action": "Ce point doit porter sur une action du programme de la réunion."})
    if workstream is not None and workstream.template.programme_id != meeting.programme_id:
        raise ValidationError(
            {"workstream": "Ce point doit porter sur un chantier du programme de la réunion."}
        )
    order = (meeting.agenda.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    item = AgendaItem(meeting=meeting, order=order, title=title.strip(), action=action, workstream=workstream)
    save_historised(item, by=by)
    return item


@transaction.atomic
def meeting_decision_add(
    *,
    by: Actor,
    meeting: Meeting,
    title: str,
    text: str = "",
    owner: Structure | None = None,
    due_on: date | None = None,
) -> Decision:
    """A decision taken at the meeting: dated the meeting's day, followed up by the next meetings until closed."""
    require_ability(meeting, by, "add_decision", "Cette réunion est hors de votre périmètre de modification.")
    decision = Decision(
        programme=meeting.programme,
        meeting=meeting,
        committee=meeting.committee,
        taken_on=meeting.held_on,
        title=title.strip(),
        text=text.strip(),
        owner=owner,
        due_on=due_on,
    )
    save_historised(decision, by=by)
    return decision


@transaction.atomic
def decision_follow_up(
    *, by: Actor, decision: Decision, follow_up: str, outcome: str = "", on: date | None = None
) -> Decision:
    """Close (done, dropped) or reopen a decision, saying what was done."""
    require_ability(decision, by, "follow_up", "Le suivi de cette décision revient au comité qui l'a prise.")
    if follow_up not in Decision.FollowUp.values:
        raise ValidationError({"follow_up": "Suivi inconnu."})
    decision = Decision.objects.select_for_update().get(pk=decision.pk)
    decision.follow_up = follow_up
    decision.outcome = outcome.strip()
    decision.closed_on = None if follow_up == Decision.FollowUp.OPEN else (on or timezone.localdate())
    save_historised(decision, by=by, reason=f"Suivi : {decision.get_follow_up_display()}")
    return decision


@transaction.atomic
def snapshot_take(*, by: Actor, meeting: Meeting, on: date | None = None) -> Snapshot:
    """Freeze the state of the meeting's actions (national: the whole programme; regional: its region's).

    Once per meeting: the state "as of" a committee never changes afterwards. "Late" is judged on the meeting's
    day (or `on`), with the same rule as everywhere (`late_q`). The workstreams' statuses are frozen with them.
    """
    require_ability(meeting, by, "snapshot", "Cette réunion est hors de votre périmètre de modification.")
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if Snapshot.objects.filter(meeting=meeting).exists():
        raise PermissionDenied("L'état de cette réunion est déjà figé : il ne change plus.")
    day = on or meeting.held_on
    actions = Action.objects.filter(programme=meeting.programme)
    workstreams = Workstream.objects.filter(template__programme=meeting.programme)
    if meeting.structure is not None:
        actions = actions.filter(structure__path__startswith=meeting.structure.path)
        workstreams = workstreams.filter(structure__path__startswith=meeting.structure.path)
    snapshot = Snapshot.objects.create(meeting=meeting, taken_by=history_author(by))
    late = set(actions.filter(late_q(day)).values_list("id", flat=True))
    rows = [
        SnapshotAction(
            snapshot=snapshot,
            action_id=a["id"],
            action_key=a["id"],
            code=a["code"],
            title=a["title"],
            structure_id=a["structure_id"],
            status=a["status"],
            percent=a["percent"],
            deadline_end=a["deadline_end"],
            late=a["id"] in late,
            workstream_number=a["workstream__template__number"],
        )
        for a in actions.values(
            "id",
            "code",
            "title",
            "structure_id",
            "status",
            "percent",
            "deadline_end",
            "workstream__template__number",
        ).iterator(chunk_size=5000)
    ]
    SnapshotAction.objects.bulk_create(rows, batch_size=2000)
    frozen = [
        SnapshotWorkstream(
            snapshot=snapshot,
            workstream_id=w["id"],
            number=w["template__number"],
            name=w["template__name"],
            structure_id=w["structure_id"],
            status=w["status"],
            percent=w["percent"],
        )
        for w in workstreams.values(
            "id", "template__number", "template__name", "structure_id", "status", "percent"
        )
    ]
    SnapshotWorkstream.objects.bulk_create(frozen, batch_size=2000)
    snapshot.action_count = len(rows)
    snapshot.workstream_count = len(frozen)
    snapshot.save(update_fields=["action_count", "workstream_count"])
    save_historised(meeting, by=by, reason=f"État figé : {len(rows)} action(s), {len(frozen)} chantier(s)")
    return snapshot


# --- update campaigns --------------------------------------------------------------------------------
CAMPAIGN_FIELDS = (
    "title",
    "message",
    "due_on",
    "reminder_days",
    "only_open_actions",
    "only_late_actions",
    "workstream_number",
    "meeting",
)


@transaction.atomic
def campaign_create(
    *,
    by: Actor,
    programme: Programme,
    title: str,
    due_on: date,
    message: str = "",
    meeting: Meeting | None = None,
    reminder_days: int = 3,
    only_open_actions: bool = True,
    only_late_actions: bool = False,
    workstream_number: int | None = None,
) -> Campaign:
    require_ability(programme, by, "change", "Seuls les pilotes du programme ouvrent une campagne.")
    if meeting is not None and meeting.programme_id != programme.pk:
        raise ValidationError({"meeting": "Ce comité n'est pas celui de ce programme."})
    campaign = Campaign(
        programme=programme,
        meeting=meeting,
        title=title.strip(),
        message=message.strip(),
        due_on=due_on,
        reminder_days=reminder_days,
        only_open_actions=only_open_actions,
        only_late_actions=only_late_actions,
        workstream_number=workstream_number,
    )
    save_historised(campaign, by=by, reason="Préparation")
    return campaign


def campaign_open(*, by: Actor, campaign: Campaign, notify: bool = True) -> Campaign:
    """Ask every region (department) holding actions of the programme, then e-mail each its link.

    The requests are created atomically; the e-mails go after the commit, each failure recorded on its request
    (shown to national steering) without undoing the campaign.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        require_ability(campaign, by, "open", "Cette campagne n'est plus en préparation.")
        actions = Action.objects.filter(programme=campaign.programme, structure__isnull=False)
        if campaign.only_open_actions:
            actions = actions.exclude(status__in=FINISHED)
        if campaign.only_late_actions:
            actions = actions.late(timezone.localdate())
        if campaign.workstream_number:
            actions = actions.filter(workstream__template__number=campaign.workstream_number)
        by_structure: dict[Any, list[Any]] = {}
        for action_id, structure_id in actions.values_list("id", "structure_id"):
            by_structure.setdefault(structure_id, []).append(action_id)
        if not by_structure:
            raise ValidationError("Aucune action régionale ne correspond à cette campagne dans ce programme.")
        structures = Structure.objects.in_bulk(list(by_structure))
        for structure_id, action_ids in by_structure.items():
            structure = structures[structure_id]
            request = UpdateRequest(
                campaign=campaign, structure=structure, respondent=steering_contact(structure)
            )
            save_historised(request, by=by, reason="Demande envoyée")
            request.actions.set(action_ids)
        campaign.state = Campaign.State.OPEN
        campaign.opened_at = timezone.now()
        campaign.version += 1
        save_historised(campaign, by=by, reason=f"Ouverte : {len(by_structure)} demande(s)")
    if notify:  # without (the demo), the reminder job writes at its next run
        requests = list(campaign.requests.select_related("structure", "respondent"))
        mail_requests(requests, subject=f"Bascule : mise à jour demandée — {campaign.title}")
    return campaign


def mail_requests(requests: Sequence[UpdateRequest], *, subject: str, intro: str = "", at: Any = None) -> int:
    """E-mail each request's respondent its personal link; record when it left or why it did not."""

    def compose(request: UpdateRequest) -> Mail | str:
        if request.respondent is None:
            return "Aucun responsable déploiement ni référent connu pour cette structure."
        context = {"request": request, "campaign": request.campaign, "intro": intro, "url": site_url(request)}
        body = render_to_string("committees/mail/update_request.txt", context)
        return Mail(subject, body, [request.respondent.email])

    def record(request: UpdateRequest, error: str) -> None:
        UpdateRequest.objects.filter(pk=request.pk).update(
            mail_error=error, last_mailed_at=None if error else (at or timezone.now())
        )

    return send_each(requests, compose, record)


def site_url(request: UpdateRequest) -> str:
    return settings.BASCULE_SITE_URL.rstrip("/") + reverse("committees:request_detail", args=[request.pk])


@transaction.atomic
def request_answer(*, by: Actor, request: UpdateRequest) -> UpdateRequest:
    """The region says its update is complete (its progress notes are written through `progress_add`)."""
    request = UpdateRequest.objects.select_for_update().get(pk=request.pk)  # decide on the current state
    require_ability(request, by, "answer", "Cette demande n'attend pas de réponse de votre part.")
    request.state = UpdateRequest.State.ANSWERED
    request.answered_at = timezone.now()
    save_historised(request, by=by, reason="Réponse")
    return request


@transaction.atomic
def request_review(*, by: Actor, request: UpdateRequest, accept: bool, comment: str = "") -> UpdateRequest:
    """National steering validates an answer, or sends it back with what is missing (the region is e-mailed)."""
    request = UpdateRequest.objects.select_for_update().get(pk=request.pk)  # decide on the current state
    require_ability(request, by, "review", "Cette réponse n'est pas à examiner.")
    if not accept and not comment.strip():
        raise ValidationError({"comment": "Dites à la région ce qui manque."})
    request.state = UpdateRequest.State.VALIDATED if accept else UpdateRequest.State.RETURNED
    request.reviewed_at = timezone.now()
    request.review_comment = comment.strip()
    save_historised(request, by=by, reason="Validée" if accept else "Renvoyée")
    if not accept:
        transaction.on_commit(
            lambda: mail_requests(
                [request],
                subject=f"Bascule : compléments demandés — {request.campaign.title}",
                intro=f"Le national demande des compléments : {request.review_comment}",
            )
        )
    return request


@transaction.atomic
def campaign_close(*, by: Actor, campaign: Campaign) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    require_ability(campaign, by, "close", "Cette campagne n'est pas ouverte.")
    campaign.state = Campaign.State.CLOSED
    campaign.closed_at = timezone.now()
    campaign.version += 1
    save_historised(campaign, by=by, reason="Close")
    return campaign


def campaign_send_reminders(*, now: Any = None) -> str:
    """Remind the regions that have not answered, every `reminder_days` of each open campaign (periodic job)."""
    moment = now or timezone.now()
    due = []
    for campaign in Campaign.objects.filter(state=Campaign.State.OPEN):
        threshold = moment - timedelta(days=campaign.reminder_days)
        due += list(
            campaign.requests.filter(state__in=[UpdateRequest.State.PENDING, UpdateRequest.State.RETURNED])
            .filter(Q(last_mailed_at__isnull=True) | Q(last_mailed_at__lte=threshold))
            .select_related("structure", "respondent", "campaign")
        )
    sent = mail_requests(
        due,
        subject="Bascule : rappel — mise à jour attendue",
        intro="Rappel : votre mise à jour est attendue.",
        at=moment,
    )
    # Only the reminders that left count; one that failed is tried again at the next run.
    UpdateRequest.objects.filter(pk__in=[r.pk for r in due], mail_error="").update(
        reminders=F("reminders") + 1
    )
    return f"{sent} relance(s) envoyée(s) sur {len(due)} demande(s) en attente."

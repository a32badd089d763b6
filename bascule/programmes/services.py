"""Every write of programme steering: typed, keyword-only, atomic, historised, perimeter-checked."""

from __future__ import annotations

import copy
from dataclasses import asdict
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from bascule.core.access import require_ability
from bascule.core.deadlines import parse_deadline
from bascule.core.locking import lock_version
from bascule.core.system import Actor, history_author
from bascule.core.writes import check_fields, deposit_version, save_historised, update_versioned
from bascule.organisation.models import Structure, StructureKind
from bascule.organisation.selectors import StructureIndex, steering_contacts, structure_index
from bascule.programmes.leads import parse_lead
from bascule.programmes.models import (
    Action,
    Decision,
    DeliverableVersion,
    InstanceItem,
    PainPoint,
    Programme,
    ProgressNote,
    Status,
    TemplateItem,
    Wave,
    Workstream,
    WorkstreamTemplate,
)
from bascule.programmes.standard import STANDARD_WORKSTREAMS

ACTION_FIELDS = (
    "code",
    "title",
    "lead_text",
    "deliverables_text",
    "pain_point",
    "workstream",
    "structure",
    "reference_date",
    "decision",
)
# What a person edits on the action page and through PATCH (the rest is set at creation or derived).
ACTION_EDITABLE = ("code", "title", "lead_text", "deliverables_text", "decision")


# --- programmes, waves, templates ---------------------------------------------------------------------
@transaction.atomic
def programme_create(
    *,
    by: Actor,
    code: str,
    name: str,
    owner: Structure,
    description: str = "",
    reference_documents: str = "",
    starts_on: date | None = None,
    ends_on: date | None = None,
    pilots: list[Any] | None = None,
    standard_workstreams: bool = False,
) -> Programme:
    """Create a programme owned by a structure the author may edit (optionally with the seven standard workstreams)."""
    require_ability(owner, by, "change", "La structure pilote est hors de votre périmètre de modification.")
    programme = Programme(
        code=code.strip(),
        name=name.strip(),
        owner=owner,
        description=description,
        reference_documents=reference_documents,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    save_historised(programme, by=by)
    if pilots:
        programme.pilots.set(pilots)
    if standard_workstreams:
        templates_add_standard(by=by, programme=programme)
    return programme


@transaction.atomic
def wave_create(
    *,
    by: Actor,
    programme: Programme,
    name: str,
    golive_date: date,
    freeze_date: date | None = None,
    scope: str = "",
    budget_programmes: list[str] | None = None,
    structures: list[Structure] | None = None,
) -> Wave:
    """A wave of the programme: its go-live date, freeze date, structures and budget programmes (codes)."""
    require_ability(
        programme, by, "add_wave", "Ce programme est hors de votre périmètre de modification (ou clos)."
    )
    wave = Wave(
        programme=programme,
        name=name.strip(),
        golive_date=golive_date,
        freeze_date=freeze_date,
        scope=scope,
        budget_programmes=budget_programmes or [],
    )
    save_historised(wave, by=by)
    if structures:
        wave.structures.set(structures)
    return wave


@transaction.atomic
def templates_add_standard(*, by: Actor, programme: Programme) -> list[WorkstreamTemplate]:
    """Add the seven standard workstreams, their prerequisites, milestones and deliverables."""
    require_ability(programme, by, "change", "Ce programme est hors de votre périmètre de modification.")
    created: dict[int, WorkstreamTemplate] = {}
    for spec in STANDARD_WORKSTREAMS:
        template = WorkstreamTemplate(
            programme=programme,
            number=spec["number"],
            name=spec["name"],
            description=spec["description"],
            lead_role=spec["lead_role"],
        )
        save_historised(template, by=by)
        created[spec["number"]] = template
        order = 0
        for kind, names in (("milestone", spec["milestones"]), ("deliverable", spec["deliverables"])):
            for item_name in names:
                order += 1
                TemplateItem.objects.create(template=template, kind=kind, name=item_name, order=order)
    for spec in STANDARD_WORKSTREAMS:
        created[spec["number"]].prerequisites.set([created[n] for n in spec["prerequisites"]])
    return list(created.values())


@transaction.atomic
def template_add_item(*, by: Actor, template: WorkstreamTemplate, kind: str, name: str) -> TemplateItem:
    """A new standard milestone or deliverable: a new revision of the template, offered to every instance."""
    require_ability(
        template.programme, by, "change", "Ce programme est hors de votre périmètre de modification."
    )
    template = WorkstreamTemplate.objects.select_for_update().get(pk=template.pk)
    template.revision += 1
    save_historised(template, by=by, reason=f"Ajout : {name}")
    order = (template.items.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    item = TemplateItem(template=template, kind=kind, name=name, order=order, revision=template.revision)
    save_historised(item, by=by)
    return item


# --- workstream instances -------------------------------------------------------------------------
@transaction.atomic
def workstreams_instantiate(
    *,
    by: Actor,
    programme: Programme,
    root: Structure | None = None,
    kind: str = StructureKind.REGION,
    wave: Wave | None = None,
) -> list[Workstream]:
    """Instance every template of the programme in every region (or department) the author may edit.

    Under `root` only when given; for a wave, in its regions and departments (both kinds). The pilot is the
    structure's steering contact from the referential (regional lead, departmental referent, else the nearest
    above); existing instances are left as they are, so a second run creates nothing. Refused when no structure
    qualifies. Written in bulk with their history rows (a hundred departments in well under a second).
    """
    require_ability(programme, by, "instantiate", "Vous ne pouvez instancier aucun chantier.")
    levels = [StructureKind.REGION, StructureKind.DEPARTMENT] if wave is not None else [kind]
    candidates = Structure.objects.filter(kind__in=levels)
    if wave is not None:
        candidates = candidates.filter(pk__in=wave.structures.values("pk"))
    if root is not None:
        candidates = candidates.filter(path__startswith=root.path)
    targets = [s for s in candidates.editable_by(by).order_by("path") if s.get_abilities(by)["change"]]
    if not targets:
        raise PermissionDenied(
            "Aucune région ni aucun département de ce type dans votre périmètre de modification."
        )
    templates = list(programme.templates.prefetch_related("items"))
    existing = set(
        Workstream.objects.filter(template__programme=programme, structure__in=targets).values_list(
            "template_id", "structure_id"
        )
    )
    pilots = steering_contacts(targets)
    created = [
        Workstream(
            template=template,
            structure=structure,
            pilot=pilots[structure.pk],
            synced_revision=template.revision,
        )
        for structure in targets
        for template in templates
        if (template.pk, structure.pk) not in existing
    ]
    author = history_author(by)
    bulk_create_with_history(
        created,
        Workstream,
        batch_size=500,
        default_user=author,
        default_change_reason="Instanciation du modèle national",
    )
    by_template = {t.pk: list(t.items.all()) for t in templates}
    items = [
        InstanceItem(workstream=instance, template_item=item, kind=item.kind, name=item.name)
        for instance in created
        for item in by_template[instance.template_id]
    ]
    bulk_create_with_history(
        items,
        InstanceItem,
        batch_size=1000,
        default_user=author,
        default_change_reason="Instanciation du modèle national",
    )
    return created


@transaction.atomic
def workstream_accept_template(*, by: Actor, workstream: Workstream) -> int:
    """Take the template's changes since the instance's revision (new milestones and deliverables)."""
    require_ability(workstream, by, "change", "Ce chantier est hors de votre périmètre de modification.")
    template = workstream.template
    new_items = template.items.filter(revision__gt=workstream.synced_revision).exclude(
        copies__workstream=workstream
    )
    count = 0
    for item in new_items:
        InstanceItem.objects.create(workstream=workstream, template_item=item, kind=item.kind, name=item.name)
        count += 1
    workstream.synced_revision = template.revision
    save_historised(workstream, by=by, reason=f"Révision {template.revision} du modèle acceptée")
    return count


@transaction.atomic
def workstream_update(*, by: Actor, workstream: Workstream, version: int, **changes: Any) -> Workstream:
    require_ability(workstream, by, "change", "Ce chantier est hors de votre périmètre de modification.")
    current = lock_version(Workstream, workstream.pk, version)
    for name, value in changes.items():
        if name not in {"status", "percent", "pilot", "note"}:
            raise TypeError(f"Unknown workstream field: {name}")
        setattr(current, name, value)
    save_historised(current, by=by)
    return current


@transaction.atomic
def item_schedule(
    *,
    by: Actor,
    item: InstanceItem,
    due_date: date | None,
    done_on: date | None,
    seen: tuple[date | None, date | None] | None = None,
) -> InstanceItem:
    """Plan a milestone or deliverable (its due date) and say when it was reached. `seen`: the dates the editor
    read — if another editor changed them meanwhile, nothing is written (a French refusal), never overwritten."""
    require_ability(item, by, "schedule", "Ce chantier est hors de votre périmètre de modification.")
    current = InstanceItem.objects.select_for_update().get(pk=item.pk)
    if seen is not None and (current.due_date, current.done_on) != seen:
        raise ValidationError(
            "Ces dates ont été modifiées par quelqu'un d'autre pendant que vous les modifiiez : rechargez la page, "
            "puis refaites votre modification."
        )
    current.due_date, current.done_on = due_date, done_on
    save_historised(current, by=by, reason="Échéance planifiée")
    return current


# --- deliverables and decisions -------------------------------------------------------------------
@transaction.atomic
def deliverable_deposit(
    *, by: Actor, item: InstanceItem, upload: Any, comment: str = ""
) -> DeliverableVersion:
    """Deposit a new version of a deliverable's document (the previous versions stay)."""
    if item.kind != "deliverable":
        raise ValidationError("Seul un livrable reçoit un document.")
    require_ability(item, by, "deposit", "Ce chantier est hors de votre périmètre de modification.")
    return deposit_version(  # type: ignore[no-any-return]
        DeliverableVersion(item=item, comment=comment.strip()),
        by=by,
        upload=upload,
        lock=InstanceItem.objects.filter(pk=item.pk),
        siblings=item.versions.all(),
        reason="Dépôt de la version {number}",
    )


@transaction.atomic
def deliverable_validate(
    *, by: Actor, version: DeliverableVersion, accept: bool, comment: str = ""
) -> DeliverableVersion:
    """Validate or refuse a deposited version: the level above the workstream's region decides."""
    if not version.get_abilities(by)["validate"]:
        raise PermissionDenied(
            "La validation revient au niveau supérieur (pilotage national pour une région)."
        )
    version.validation = (
        DeliverableVersion.Validation.VALIDATED if accept else DeliverableVersion.Validation.REFUSED
    )
    version.validated_by, version.validated_at = history_author(by), timezone.now()
    version.validation_comment = comment.strip()
    save_historised(version, by=by, reason="Validation" if accept else "Refus")
    if accept and version.item.done_on is None:
        version.item.done_on = timezone.localdate()
        save_historised(version.item, by=by, reason="Livrable validé")
    return version


@transaction.atomic
def decision_create(
    *, by: Actor, programme: Programme, committee: str, taken_on: date, title: str, text: str = ""
) -> Decision:
    """Record a committee decision of the programme (editors of the programme only)."""
    require_ability(programme, by, "change", "Ce programme est hors de votre périmètre de modification.")
    decision = Decision(
        programme=programme, committee=committee, taken_on=taken_on, title=title.strip(), text=text.strip()
    )
    save_historised(decision, by=by)
    return decision


# --- actions and progress -------------------------------------------------------------------------
def action_derive(action: Action, index: StructureIndex | None) -> tuple[list[Structure], list[Structure]]:
    """Set the fields read from the texts (deadline interval, unrecognised lead); return leads and partners."""
    deadline = parse_deadline(
        action.deliverables_text, reference=action.reference_date or timezone.localdate()
    )
    action.deadline_text = action.deliverables_text[:500]
    action.deadline_start, action.deadline_end = deadline.start, deadline.end
    action.deadline_precision, action.deadline_understood = deadline.precision, deadline.understood
    action.deadline_stages = [
        {
            **asdict(stage),
            "start": stage.start.isoformat() if stage.start else None,
            "end": stage.end.isoformat() if stage.end else None,
        }
        for stage in deadline.stages
    ]
    reading = parse_lead(action.lead_text, index or structure_index())
    action.lead_unrecognised = " ; ".join(reading.unrecognised)[:1000]
    return reading.leads, reading.partners


# Fields computed from the texts by `action_derive`, outside any write transaction.
DERIVED_FIELDS = (
    "deadline_text",
    "deadline_start",
    "deadline_end",
    "deadline_precision",
    "deadline_understood",
    "deadline_stages",
    "lead_unrecognised",
)


def action_create(
    *,
    by: Actor,
    programme: Programme,
    code: str,
    title: str,
    lead_text: str = "",
    deliverables_text: str = "",
    pain_point: PainPoint | None = None,
    workstream: Workstream | None = None,
    structure: Structure | None = None,
    reference_date: date | None = None,
    progress: str = "",
    status: str = Status.NOT_STARTED,
    index: StructureIndex | None = None,
    reason: str = "",
    decision: Decision | None = None,
) -> Action:
    """Create an action; its deadline is read from the deliverable text and its lead from the pilot text.

    The texts are read before the write transaction opens, so parsing never holds the database's write lock.
    """
    if structure is not None:
        require_ability(
            structure, by, "change", "Ce périmètre est hors de votre périmètre de modification."
        )  # whoever edits the region
    else:
        require_ability(
            programme, by, "add_action", "Ce périmètre est hors de votre périmètre de modification."
        )
    _check_decision(by, programme, decision)
    action = Action(
        programme=programme,
        code=code.strip(),
        title=title.strip(),
        lead_text=lead_text.strip(),
        deliverables_text=deliverables_text.strip(),
        pain_point=pain_point,
        workstream=workstream,
        decision=decision,
        structure=structure,
        reference_date=reference_date,
    )
    leads, partners = action_derive(action, index)
    with transaction.atomic():
        save_historised(action, by=by, reason=reason)
        action.lead_structures.set(leads)
        action.partner_structures.set(partners)
        if progress.strip() or status != Status.NOT_STARTED:
            progress_add(by=by, action=action, status=status, text=progress, on=reference_date)
    return action


def _check_decision(by: Actor, programme: Programme, decision: Decision | None) -> None:
    """An action answers a decision of its own programme, one its author may read."""
    if decision is None:
        return
    if (
        decision.programme_id != programme.pk
        or not Decision.objects.visible_to(by).filter(pk=decision.pk).exists()
    ):
        raise ValidationError(
            {"decision": "Cette décision n'est pas une décision de ce programme dans votre périmètre."}
        )


def action_update(
    *,
    by: Actor,
    action: Action,
    version: int,
    index: StructureIndex | None = None,
    reason: str = "",
    **changes: Any,
) -> Action:
    """Change an action the author may edit; refuses a write based on a version someone else changed.

    The new texts are read from the version the editor saw (the version check guarantees it is the stored one)
    before the write transaction opens.
    """
    check_fields(changes, ACTION_FIELDS, "action")
    require_ability(action, by, "change", "Cette action est hors de votre périmètre de modification.")
    if changes.get("decision") is not None:
        _check_decision(by, action.programme, changes["decision"])
    if changes.get("structure") is not None:
        require_ability(
            changes["structure"],
            by,
            "change",
            "Le nouveau périmètre est hors de votre périmètre de modification.",
        )
    draft = copy.copy(action)
    for name, value in changes.items():
        setattr(draft, name, value.strip() if isinstance(value, str) else value)
    leads, partners = action_derive(draft, index)
    derived = {name: getattr(draft, name) for name in DERIVED_FIELDS}

    def set_derived(current: Action) -> None:
        for name, value in derived.items():
            setattr(current, name, value)

    with transaction.atomic():
        current = update_versioned(
            action,
            by=by,
            version=version,
            changes=changes,
            allowed=ACTION_FIELDS,
            reason=reason,
            before_save=set_derived,
        )
        current.lead_structures.set(leads)
        current.partner_structures.set(partners)
    return current


@transaction.atomic
def progress_add(
    *,
    by: Actor,
    action: Action,
    status: str,
    text: str = "",
    percent: int | None = None,
    figures: dict[str, Any] | None = None,
    on: date | None = None,
) -> ProgressNote:
    """Record a review of an action; the latest note (by date) becomes the action's current state."""
    require_ability(action, by, "add_progress", "Cette action est hors de votre périmètre de modification.")
    if percent is not None and not 0 <= percent <= 100:
        raise ValidationError({"percent": "L'avancement doit être compris entre 0 et 100 %."})
    note = ProgressNote(
        action=action,
        status=status,
        text=text.strip(),
        percent=percent,
        figures=figures or {},
        on=on or timezone.localdate(),
        author=history_author(by),
    )
    note.full_clean()
    note.save()
    latest = action.notes.order_by("-on", "-created_at").first()
    if latest == note:
        current = Action.objects.select_for_update().get(pk=action.pk)
        current.status, current.progress = note.status, note.text
        if note.percent is not None:
            current.percent = note.percent
        elif note.status == Status.DONE:
            current.percent = 100
        current.version += 1
        save_historised(current, by=by, reason="Point d'avancement")
        action.status, action.progress, action.percent, action.version = (
            current.status,
            current.progress,
            current.percent,
            current.version,
        )
    return note


def status_from_text(text: str) -> str:
    """A status read from a progress narrative, as plans write them (empty: not started)."""
    lowered = text.lower()
    if not lowered.strip() or any(
        k in lowered for k in ("non démarré", "non demarre", "pas démarré", "à lancer")
    ):
        return Status.NOT_STARTED
    if "abandonn" in lowered:
        return Status.ABANDONED
    if "bloqu" in lowered:
        return Status.BLOCKED
    if any(k in lowered for k in ("terminé", "termine ", "achevé", "réalisé", "clos", "soldé")):
        return Status.DONE
    return Status.IN_PROGRESS

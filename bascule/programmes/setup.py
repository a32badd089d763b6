"""Setting a programme up in the product: the programme's own writes (edit, pilots, reference documents, close,
reopen, copy), its waves (edit, structures, move with what depends on them, removal) — the only write path of the
set-up pages, the API and `manage.py programme_setup`.

Creation stays in services.py (`programme_create`, `wave_create`, `workstreams_instantiate`), which the older
pages and the demo already call. Modules above programmes add what a copy carries and what the checklist asks
through `register_programme_part` (indicators, support policy, curriculum).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, ExpressionWrapper, F, ProtectedError, Value

from bascule.core.access import require_ability
from bascule.core.system import Actor, history_author
from bascule.core.writes import deposit_version, save_historised, update_versioned
from bascule.organisation.models import Person, Structure
from bascule.programmes.models import (
    BUDGET_CODE,
    InstanceItem,
    Programme,
    ProgrammeDocument,
    TemplateItem,
    Wave,
    WorkstreamTemplate,
)
from bascule.programmes.services import programme_create, wave_create
from bascule.programmes.wave_moves import (
    EXAMPLES,
    WAVE_DEPENDENTS,
    Consequence,
    WaveDependent,
    register_wave_dependent,
)

PROGRAMME_FIELDS = ("code", "name", "owner", "description", "reference_documents", "starts_on", "ends_on")
WAVE_FIELDS = ("name", "golive_date", "freeze_date", "scope", "budget_programmes")
OUT_OF_REACH = "Ce programme est hors de votre périmètre de modification (ou clos)."


# --- parts of a programme that other modules hold ---------------------------------------------------------
@dataclass(frozen=True)
class ProgrammePart:
    """Something a programme needs that another module holds: whether it is there, and how a copy takes it."""

    name: str
    label: str  # « Indicateurs », « Politique de support », « Parcours de formation »
    present: Callable[[Programme], str]  # what exists (« 2 indicateurs »), "" when missing
    copy: Callable[[Programme, Programme, Actor], str]  # copy into the new programme, says what it copied


PROGRAMME_PARTS: dict[str, ProgrammePart] = {}


def register_programme_part(part: ProgrammePart) -> None:
    PROGRAMME_PARTS[part.name] = part


# --- the programme ----------------------------------------------------------------------------------------
def _set_pilots(programme: Programme, pilots: Iterable[Person] | None) -> None:
    if pilots is not None:
        programme.pilots.set(list(pilots))


@transaction.atomic
def programme_update(
    *, by: Actor, programme: Programme, version: int, pilots: Iterable[Person] | None = None, **changes: Any
) -> Programme:
    """Edit a programme (its owner moves only to a structure the author edits too)."""
    require_ability(programme, by, "change", OUT_OF_REACH)
    owner = changes.get("owner")
    if owner is not None and owner.pk != programme.owner_id:
        require_ability(owner, by, "change", "La nouvelle structure pilote est hors de votre périmètre.")
    saved = update_versioned(programme, by=by, version=version, changes=changes, allowed=PROGRAMME_FIELDS)
    _set_pilots(saved, pilots)
    return saved


@transaction.atomic
def programme_close(*, by: Actor, programme: Programme, version: int, on: date | None = None) -> Programme:
    """Close a programme: it is read as it is (no wave, instancing, national action or import) until reopened."""
    require_ability(programme, by, "close", OUT_OF_REACH)
    day = on or date.today()
    return update_versioned(
        programme,
        by=by,
        version=version,
        changes={},
        allowed=(),
        reason="Clôture",
        before_save=lambda current: setattr(current, "closed_on", day),
    )


@transaction.atomic
def programme_reopen(*, by: Actor, programme: Programme, version: int) -> Programme:
    require_ability(programme, by, "reopen", "Ce programme n'est pas clos, ou hors de votre périmètre.")
    return update_versioned(
        programme,
        by=by,
        version=version,
        changes={},
        allowed=(),
        reason="Réouverture",
        before_save=lambda current: setattr(current, "closed_on", None),
    )


@transaction.atomic
def document_deposit(
    *, by: Actor, programme: Programme, title: str, upload: Any, comment: str = ""
) -> ProgrammeDocument:
    """A reference document, or a new version of one (same title): the earlier versions are kept."""
    require_ability(programme, by, "add_document", OUT_OF_REACH)
    title = title.strip()
    return deposit_version(  # type: ignore[no-any-return]
        ProgrammeDocument(programme=programme, title=title, comment=comment),
        by=by,
        upload=upload,
        lock=Programme.objects.filter(pk=programme.pk),
        siblings=programme.documents.filter(title=title),
    )


def _next_year(day: date | None) -> date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@transaction.atomic
def programme_copy(
    *, by: Actor, source: Programme, code: str, name: str, owner: Structure
) -> tuple[Programme, list[str]]:
    """Start the next programme from this one: its workstream template (items, prerequisites), its waves' shape
    (names, structures, budget programmes; dates a year later), and the parts other modules hold (indicators,
    support policy, curriculum). Its actions, instances and results are not copied."""
    require_ability(source, by, "copy", "Vous ne pouvez pas copier ce programme.")
    target = programme_create(
        by=by,
        code=code,
        name=name,
        owner=owner,
        description=source.description,
        reference_documents=source.reference_documents,
    )
    copied = []
    templates = list(source.templates.prefetch_related("items", "prerequisites"))
    new: dict[Any, WorkstreamTemplate] = {}
    for template in templates:
        clone = WorkstreamTemplate(
            programme=target,
            number=template.number,
            name=template.name,
            description=template.description,
            lead_role=template.lead_role,
        )
        save_historised(clone, by=by, reason=f"Copie de {source.code}")
        new[template.pk] = clone
        TemplateItem.objects.bulk_create(
            TemplateItem(template=clone, kind=i.kind, name=i.name, order=i.order)
            for i in template.items.all()
        )
    for template in templates:
        new[template.pk].prerequisites.set([new[p.pk] for p in template.prerequisites.all()])
    copied.append(f"{len(templates)} chantiers types")
    waves = list(source.waves.prefetch_related("structures"))
    for wave in waves:
        wave_create(
            by=by,
            programme=target,
            name=wave.name,
            golive_date=_next_year(wave.golive_date),  # type: ignore[arg-type]
            freeze_date=_next_year(wave.freeze_date),
            scope=wave.scope,
            budget_programmes=list(wave.budget_programmes),
            structures=list(wave.structures.all()),
        )
    copied.append(f"{len(waves)} vagues (dates un an plus tard)")
    for part in PROGRAMME_PARTS.values():
        said = part.copy(source, target, by)
        if said:
            copied.append(said)
    return target, copied


# --- waves ------------------------------------------------------------------------------------------------
def parse_budget_codes(text: str) -> list[str]:
    """« 354, 216 ; P0723 » → ['354', '216', '723']: a French error naming the code that is not one."""
    codes: list[str] = []
    for raw in text.replace(";", ",").replace("\n", ",").replace(" ", ",").split(","):
        code = raw.strip().upper().removeprefix("P").lstrip("0").rjust(3, "0") if raw.strip() else ""
        if not code:
            continue
        if not BUDGET_CODE.fullmatch(code):
            raise ValidationError(
                {
                    "budget_programmes": f"« {raw.strip()} » n'est pas un code de programme budgétaire (trois chiffres, par exemple 354)."
                }
            )
        if code not in codes:
            codes.append(code)
    return codes


def structures_of_kinds(*, by: Actor, kinds: Iterable[str], below: Iterable[Structure]) -> list[Structure]:
    """« Every structure of these kinds below these regions », among those the author sees (one query)."""
    from django.db.models import Q

    below = list(below)
    inside = Q(pk__in=[])
    for root in below:
        inside |= Q(path__startswith=root.path)
    return list(Structure.objects.visible_to(by).filter(inside, kind__in=list(kinds)).order_by("path"))


CODE_HEADERS = {"code", "code structure", "code de la structure", "structure", "sigle"}


def codes_from_spreadsheet(data: bytes, filename: str) -> list[str]:
    """The structure codes of a spreadsheet (CSV, XLSX, ODS): its « Code » column, else its first column."""
    from bascule.core.spreadsheets import SpreadsheetError, normalise_label, read_table

    try:
        table = read_table(data, filename)
    except SpreadsheetError as exc:
        raise ValidationError({"codes_file": str(exc)}) from exc
    labels = [normalise_label(h) for h in table.headers]
    index = next((i for i, label in enumerate(labels) if label in CODE_HEADERS), 0)
    codes = [row.get(index).strip() for row in table.rows if row.get(index).strip()]
    if labels and labels[index] not in CODE_HEADERS and table.headers[index].strip():
        codes.insert(0, table.headers[index].strip())  # no header: the first row is a code too
    return codes


def structures_from_codes(*, by: Actor, codes: Iterable[str]) -> tuple[list[Structure], list[str]]:
    """The structures named by codes (a spreadsheet's column): those found, and the codes nobody sees."""
    wanted = [c.strip() for c in codes if c and c.strip()]
    found = {s.code.upper(): s for s in Structure.objects.visible_to(by).filter(code__in=wanted)}
    missing = [c for c in wanted if c.upper() not in found]
    return [found[c.upper()] for c in wanted if c.upper() in found], missing


@transaction.atomic
def wave_update(
    *, by: Actor, wave: Wave, version: int, structures: Iterable[Structure] | None = None, **changes: Any
) -> Wave:
    """Edit a wave; its go-live date moves through `wave_move` (what depends on it moves too)."""
    require_ability(wave, by, "change", OUT_OF_REACH)
    if "golive_date" in changes and changes["golive_date"] != wave.golive_date:
        raise ValidationError(
            {
                "golive_date": "La date de bascule se déplace par « Déplacer la vague » : ce qui en dépend suit."
            }
        )
    changes.pop("golive_date", None)
    saved = update_versioned(wave, by=by, version=version, changes=changes, allowed=WAVE_FIELDS)
    if structures is not None:
        structures = list(structures)
        frozen = saved.freeze_date is not None and saved.freeze_date < date.today()
        if frozen and {s.pk for s in structures} != set(saved.structures.values_list("pk", flat=True)):
            raise ValidationError(
                {
                    "structures": f"La vague est gelée depuis le {saved.freeze_date:%d/%m/%Y} : ses structures ne changent plus."
                }
            )
        saved.structures.set(structures)
    return saved


@transaction.atomic
def wave_delete(*, by: Actor, wave: Wave) -> None:
    """Remove a wave nothing depends on; otherwise a French message says what does."""
    require_ability(wave, by, "delete", OUT_OF_REACH)
    label = str(wave)
    wave._history_user = history_author(by)  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            wave.structures.clear()
            wave.delete()
    except ProtectedError as exc:
        counts: dict[str, int] = {}
        for obj in exc.protected_objects:
            name = str(obj._meta.verbose_name_plural)
            counts[name] = counts.get(name, 0) + 1
        listed = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
        raise ValidationError(
            f"La vague « {label} » ne peut pas être supprimée : {listed} en dépendent."
        ) from exc


def wave_move_preview(*, by: Actor, wave: Wave, golive_date: date) -> list[Consequence]:
    """What moving the wave's go-live date to `golive_date` moves with it, nothing written."""
    require_ability(wave, by, "move", OUT_OF_REACH)
    delta = golive_date - wave.golive_date
    found = [dependent.preview(wave, delta) for dependent in WAVE_DEPENDENTS.values()]
    return [c for c in found if c is not None]


@transaction.atomic
def wave_move(*, by: Actor, wave: Wave, version: int, golive_date: date) -> tuple[Wave, dict[str, int]]:
    """Move the go-live date and everything that depends on it, in one transaction (all or nothing)."""
    require_ability(wave, by, "move", OUT_OF_REACH)
    delta = golive_date - wave.golive_date
    freeze = wave.freeze_date + delta if wave.freeze_date else None
    saved = update_versioned(
        wave,
        by=by,
        version=version,
        changes={"golive_date": golive_date, "freeze_date": freeze},
        allowed=WAVE_FIELDS,
        reason=f"Bascule déplacée de {delta.days:+d} jours",
    )
    moved = {name: dependent.apply(saved, delta, by) for name, dependent in WAVE_DEPENDENTS.items()}
    return saved, moved


# --- programmes' own dependents: the milestones and deliverables of the workstreams the wave covers ---------
def _wave_items(wave: Wave) -> Any:
    return InstanceItem.objects.filter(
        wave.covers_q("workstream__structure__"),
        workstream__template__programme_id=wave.programme_id,
        due_date__isnull=False,
        done_on__isnull=True,
    )


def _items_preview(wave: Wave, delta: timedelta) -> Consequence | None:
    items = _wave_items(wave)
    count = items.count()
    if not count:
        return None
    examples = [
        f"{item.workstream.structure.name} — {item.name} : {item.due_date:%d/%m/%Y} → {item.due_date + delta:%d/%m/%Y}"
        for item in items.select_related("workstream__structure").order_by("due_date", "name")[:EXAMPLES]
    ]
    return Consequence("Jalons et livrables des chantiers (non réalisés)", count, examples)


def _items_apply(wave: Wave, delta: timedelta, by: Actor) -> int:
    """One UPDATE moves every date in the database, then one history row per item (the new state, as
    simple-history records it): thousands of items in well under a second, the rows never held in Python twice."""
    ids = list(_wave_items(wave).values_list("pk", flat=True))
    if not ids:
        return 0
    moved = ExpressionWrapper(F("due_date") + Value(delta), output_field=DateField())
    InstanceItem.objects.filter(pk__in=ids).update(due_date=moved)
    InstanceItem.history.bulk_history_create(  # type: ignore[attr-defined]
        list(InstanceItem.objects.filter(pk__in=ids)),
        batch_size=1000,
        update=True,
        default_user=history_author(by),
        default_change_reason=f"Vague « {wave.name} » déplacée",
    )
    return len(ids)


register_wave_dependent(WaveDependent("programmes.items", _items_preview, _items_apply))


def instantiate_check(wave: Wave) -> tuple[list[Structure], list[Structure]]:
    """The wave's structures where its workstreams are instanced (regions, departments) and the others."""
    from bascule.organisation.models import StructureKind

    structures = list(wave.structures.order_by("path"))
    levels = (StructureKind.REGION, StructureKind.DEPARTMENT)
    return [s for s in structures if s.kind in levels], [s for s in structures if s.kind not in levels]


_NOT_COPIED = {"id", "created_at", "updated_at", "version"}


def copy_rows(rows: Iterable[Any], *, by: Actor, reason: str, **overrides: Any) -> dict[Any, Any]:
    """Copy model rows (their own fields, not their many-to-many links) with `overrides`, each validated and
    historised: what a module's `ProgrammePart.copy` uses. Returns {old pk: new object}."""
    copies = {}
    for row in rows:
        values = {
            f.attname: getattr(row, f.attname)
            for f in row._meta.concrete_fields
            if f.name not in _NOT_COPIED and f.name not in overrides
        }
        clone = type(row)(**values, **overrides)
        save_historised(clone, by=by, reason=reason)
        copies[row.pk] = clone
    return copies

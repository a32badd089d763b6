"""Every write of sizing: parameters (the programme's pilots), volumes (whoever edits the centre), scenarios, costs."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from bascule.core.access import require_ability
from bascule.core.system import Actor, history_author
from bascule.core.writes import check_fields, save_historised, update_versioned
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import Programme, Wave
from bascule.sizing.models import (
    CentreInput,
    CostComparison,
    CostLine,
    LeadershipException,
    Sizing,
    Volume,
)

PARAMETER_FIELDS = (
    "name",
    "description",
    "payment_coefficient",
    "revenue_weight",
    "acts_per_agent",
    "management_per_centre",
    "management_per_antenna",
    "rounding",
    "ministry_a",
    "host_a",
    "ministry_b",
    "host_b",
    "productivity_gain",
    "volume_growth",
    "extra_antennas",
)
CENTRE_KINDS = (StructureKind.SHARED_CENTRE,)
PILOTS_ONLY = "Seuls les pilotes du programme modifient ses paramètres de dimensionnement."


@transaction.atomic
def sizing_create(*, by: Actor, programme: Programme, **fields: Any) -> Sizing:
    check_fields(fields, PARAMETER_FIELDS, "dimensionnement")
    require_ability(programme, by, "change", PILOTS_ONLY)
    sizing = Sizing(programme=programme, **fields)
    save_historised(sizing, by=by, reason="Création")
    return sizing


@transaction.atomic
def sizing_update(*, by: Actor, sizing: Sizing, version: int, **changes: Any) -> Sizing:
    check_fields(changes, PARAMETER_FIELDS, "dimensionnement")
    require_ability(sizing, by, "change", PILOTS_ONLY)
    return update_versioned(sizing, by=by, version=version, changes=changes, allowed=PARAMETER_FIELDS)


@transaction.atomic
def scenario_create(*, by: Actor, sizing: Sizing, name: str, **levers: Any) -> Sizing:
    """A what-if: the parameters and every input of `sizing` copied under a new name, then the levers applied."""
    check_fields(levers, PARAMETER_FIELDS, "scénario")
    require_ability(sizing, by, "change", PILOTS_ONLY)
    fields = {f: getattr(sizing, f) for f in PARAMETER_FIELDS if f != "name"}
    fields.update(levers)
    scenario = Sizing(programme=sizing.programme, name=name.strip(), based_on=sizing, **fields)
    save_historised(scenario, by=by, reason=f"Scénario copié de « {sizing.name} »")
    for source in sizing.inputs.prefetch_related("volumes").order_by("centre_id", "wave_id"):
        copy = CentreInput(
            sizing=scenario,
            centre_id=source.centre_id,
            wave_id=source.wave_id,
            host=source.host,
            host_ministry_id=source.host_ministry_id,
            antennas=source.antennas,
        )
        save_historised(copy, by=by, reason="Copie")
        for volume in source.volumes.all():
            save_historised(
                Volume(
                    centre_input=copy,
                    ministry_id=volume.ministry_id,
                    mandats=volume.mandats,
                    titres=volume.titres,
                ),
                by=by,
                reason="Copie",
            )
    return scenario


def check_centre_input(
    *,
    by: Actor,
    sizing: Sizing,
    centre: Structure,
    wave: Wave,
    host: str,
    host_ministry: Structure | None,
    ministries: list[Structure],
) -> Structure:
    """The checks of one centre × wave (pages, API and imports): returns the host's ministry, or raises."""
    require_ability(sizing, by, "add_input", "Ce dimensionnement n'est pas dans votre périmètre.")
    require_ability(centre, by, "change", f"Le centre « {centre.code} » n'est pas dans votre périmètre.")
    errors: dict[str, str] = {}
    if centre.kind not in CENTRE_KINDS:
        errors["centre"] = f"« {centre.code} » n'est pas un centre de services partagés."
    if wave.programme_id != sizing.programme_id:
        errors["wave"] = f"La vague « {wave.name} » n'est pas une vague du programme {sizing.programme.code}."
    ruled = sizing.host_ministry_id(host)
    if ruled is None:
        errors["host"] = (
            f"Direction hôte « {host} » inconnue : ce dimensionnement connaît « {sizing.host_a} » "
            f"(ministère {sizing.ministry_a.code}) et « {sizing.host_b} » (ministère {sizing.ministry_b.code})."
        )
    elif host_ministry is not None and host_ministry.pk != ruled:
        expected = sizing.ministry_a if ruled == sizing.ministry_a_id else sizing.ministry_b
        errors["host_ministry"] = (
            f"Un centre hébergé par « {host} » est dirigé par le ministère {expected.code}, "
            f"pas {host_ministry.code}."
        )
    allowed = {sizing.ministry_a_id, sizing.ministry_b_id}
    strangers = sorted(m.code for m in ministries if m.pk not in allowed)
    if strangers:
        errors["ministry"] = (
            f"Ministère {', '.join(strangers)} : ce dimensionnement compte les actes de "
            f"{sizing.ministry_a.code} et {sizing.ministry_b.code} seulement."
        )
    other_host = (
        CentreInput.objects.filter(sizing=sizing, centre=centre)
        .exclude(wave=wave)
        .exclude(host__iexact=host.strip())
        .values_list("host", flat=True)
        .first()
    )
    if other_host:
        errors["host"] = (
            f"Le centre « {centre.code} » est hébergé par « {other_host} » à une autre vague : "
            "un centre n'a qu'une direction hôte."
        )
    if errors:
        raise ValidationError(errors)
    return sizing.ministry_a if ruled == sizing.ministry_a_id else sizing.ministry_b


@transaction.atomic
def centre_input_set(
    *,
    by: Actor,
    sizing: Sizing,
    centre: Structure,
    wave: Wave,
    host: str,
    antennas: int,
    volumes: Mapping[Structure, tuple[int, int]],
    host_ministry: Structure | None = None,
) -> bool:
    """Set one centre at one wave: host, antennas and the volumes of the ministries given. True if anything changed."""
    ruled = check_centre_input(
        by=by,
        sizing=sizing,
        centre=centre,
        wave=wave,
        host=host,
        host_ministry=host_ministry,
        ministries=list(volumes),
    )
    for ministry, (mandats, titres) in volumes.items():
        if mandats < 0 or titres < 0:
            raise ValidationError({"volumes": f"Volumes négatifs pour {ministry.code}."})
    changed = False
    current = CentreInput.objects.select_for_update().filter(sizing=sizing, centre=centre, wave=wave).first()
    host = host.strip().upper()
    if current is None:
        current = CentreInput(sizing=sizing, centre=centre, wave=wave, host=host, host_ministry=ruled)
        current.antennas = antennas
        save_historised(current, by=by, reason="Saisie")
        changed = True
    elif (current.host, current.host_ministry_id, current.antennas) != (host, ruled.pk, antennas):
        current.host, current.host_ministry, current.antennas = host, ruled, antennas
        save_historised(current, by=by, reason="Modification")
        changed = True
    existing = {v.ministry_id: v for v in Volume.objects.select_for_update().filter(centre_input=current)}
    for ministry, (mandats, titres) in volumes.items():
        volume = existing.get(ministry.pk)
        if volume is None:
            volume = Volume(centre_input=current, ministry=ministry, mandats=mandats, titres=titres)
            save_historised(volume, by=by, reason="Saisie")
            changed = True
        elif (volume.mandats, volume.titres) != (mandats, titres):
            volume.mandats, volume.titres = mandats, titres
            save_historised(volume, by=by, reason="Modification")
            changed = True
    return changed


@transaction.atomic
def leadership_exception_set(*, by: Actor, centre: Structure, reason: str) -> LeadershipException | None:
    """Record (or, with an empty reason, withdraw) a centre's exception to the host rule for its head and deputy."""
    require_ability(centre, by, "change", f"Le centre « {centre.code} » n'est pas dans votre périmètre.")
    current = LeadershipException.objects.select_for_update().filter(centre=centre).first()
    if not reason.strip():
        if current is not None:
            current._history_user = history_author(by)  # type: ignore[attr-defined]
            current._change_reason = "Exception retirée"  # type: ignore[attr-defined]
            current.delete()
        return None
    if current is None:
        current = LeadershipException(centre=centre)
    current.reason = reason.strip()
    save_historised(current, by=by, reason="Exception à la règle d'encadrement")
    return current


# --- cost scenarios ---------------------------------------------------------------------------------------------
COMPARISON_FIELDS = ("name", "description", "first_year", "years")
LINE_FIELDS = ("category", "recurring", "from_year", "to_year", "amount", "days", "daily_cost")


@transaction.atomic
def cost_comparison_create(*, by: Actor, programme: Programme, **fields: Any) -> CostComparison:
    check_fields(fields, COMPARISON_FIELDS, "comparaison")
    require_ability(programme, by, "change", "Seuls les pilotes du programme comparent ses coûts.")
    comparison = CostComparison(programme=programme, **fields)
    save_historised(comparison, by=by, reason="Création")
    return comparison


@transaction.atomic
def cost_comparison_update(
    *, by: Actor, comparison: CostComparison, version: int, **changes: Any
) -> CostComparison:
    check_fields(changes, COMPARISON_FIELDS, "comparaison")
    require_ability(comparison, by, "change", "Seuls les pilotes du programme comparent ses coûts.")
    return update_versioned(comparison, by=by, version=version, changes=changes, allowed=COMPARISON_FIELDS)


def _check_years(comparison: CostComparison, from_year: int, to_year: int | None) -> None:
    first, last = comparison.first_year, comparison.last_year
    if not first <= from_year <= last:
        raise ValidationError({"from_year": f"L'année {from_year} est hors de la période {first}–{last}."})
    if to_year is not None and not from_year <= to_year <= last:
        raise ValidationError({"to_year": f"L'année de fin {to_year} doit être entre {from_year} et {last}."})


@transaction.atomic
def cost_line_set(
    *, by: Actor, comparison: CostComparison, option: str, label: str, **fields: Any
) -> tuple[CostLine, bool]:
    """Create or change the line `label` of `option`; returns it and whether anything changed."""
    check_fields(fields, LINE_FIELDS, "ligne de coût")
    require_ability(comparison, by, "change", "Seuls les pilotes du programme comparent ses coûts.")
    option, label = option.strip(), label.strip()
    if not option or not label:
        raise ValidationError({"label": "L'option et le libellé sont obligatoires."})
    line = (
        CostLine.objects.select_for_update().filter(comparison=comparison, option=option, label=label).first()
    )
    if line is None:
        line = CostLine(comparison=comparison, option=option, label=label)
        before: dict[str, Any] | None = None
    else:
        before = {f: getattr(line, f) for f in LINE_FIELDS}
    for name, value in fields.items():
        setattr(line, name, value)
    for name in ("amount", "days", "daily_cost"):
        setattr(line, name, Decimal(getattr(line, name) or 0))
    _check_years(comparison, line.from_year, line.to_year if line.recurring else None)
    after = {f: getattr(line, f) for f in LINE_FIELDS}
    if before == after:
        return line, False
    save_historised(line, by=by, reason="Saisie" if before is None else "Modification")
    return line, True


@transaction.atomic
def cost_line_delete(*, by: Actor, line: CostLine) -> None:
    require_ability(line.comparison, by, "change", "Seuls les pilotes du programme comparent ses coûts.")
    line._history_user = history_author(by)  # type: ignore[attr-defined]
    line._change_reason = "Suppression"  # type: ignore[attr-defined]
    line.delete()

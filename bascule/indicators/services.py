"""Every write of indicators: definitions (national steering) and measurements (each structure, itself)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from bascule.core.access import require_ability
from bascule.core.system import Actor
from bascule.core.writes import check_fields, save_historised, update_versioned
from bascule.indicators.models import Aggregation, Indicator, Measurement
from bascule.organisation.models import Structure
from bascule.programmes.models import Action, Programme

INDICATOR_FIELDS = (
    "code",
    "name",
    "description",
    "unit",
    "aggregation",
    "target_value",
    "target_date",
    "expected_kind",
)


@transaction.atomic
def indicator_create(*, by: Actor, programme: Programme, **fields: Any) -> Indicator:
    check_fields(fields, INDICATOR_FIELDS, "indicateur")
    require_ability(programme, by, "change", "Seuls les pilotes du programme définissent ses indicateurs.")
    indicator = Indicator(programme=programme, **fields)
    indicator.code = indicator.code.strip()
    indicator.name = indicator.name.strip()
    save_historised(indicator, by=by, reason="Définition")
    return indicator


@transaction.atomic
def indicator_update(*, by: Actor, indicator: Indicator, version: int, **changes: Any) -> Indicator:
    check_fields(changes, INDICATOR_FIELDS, "indicateur")
    require_ability(indicator, by, "change", "Seuls les pilotes du programme modifient ses indicateurs.")
    return update_versioned(indicator, by=by, version=version, changes=changes, allowed=INDICATOR_FIELDS)


LINKED_ACTIONS_MAX = 200


@transaction.atomic
def indicator_link_actions(
    *, by: Actor, indicator: Indicator, version: int, codes: Sequence[str]
) -> Indicator:
    """Set the actions the indicator measures (by their numbers in its programme); replaces the former list."""
    require_ability(indicator, by, "change", "Seuls les pilotes du programme modifient ses indicateurs.")
    wanted = {code.strip() for code in codes if code.strip()}
    if len(wanted) > LINKED_ACTIONS_MAX:
        raise ValidationError({"actions": f"Au plus {LINKED_ACTIONS_MAX} actions liées à un indicateur."})
    actions = list(Action.objects.visible_to(by).filter(programme=indicator.programme, code__in=wanted))
    missing = sorted(wanted - {a.code for a in actions})
    if missing:
        shown = ", ".join(missing[:10]) + ("…" if len(missing) > 10 else "")
        raise ValidationError(
            {
                "actions": f"Aucune action n° {shown} dans le programme {indicator.programme.code} et votre périmètre."
            }
        )
    listed = ", ".join(sorted(wanted)) or "aucune"
    return update_versioned(
        indicator,
        by=by,
        version=version,
        changes={},
        allowed=INDICATOR_FIELDS,
        reason=f"Actions liées : {listed}",
        before_save=lambda current: current.actions.set(actions),  # on the locked row, before its history row
    )


@transaction.atomic
def measurement_record(
    *,
    by: Actor,
    indicator: Indicator,
    structure: Structure,
    measured_on: date,
    value: Decimal,
    coverage: Decimal | None = None,
    source: str = "",
) -> Measurement:
    """Record a structure's value on a date; a second value for the same date corrects the first (history kept)."""
    require_ability(indicator, by, "add_measurement", "Cet indicateur n'est pas dans votre périmètre.")
    require_ability(
        structure, by, "change", "Une structure ne mesure que ce qui la concerne : hors périmètre."
    )
    if indicator.aggregation == Aggregation.WEIGHTED and not 0 <= value <= 100:
        raise ValidationError({"value": "Un pourcentage est compris entre 0 et 100."})
    measurement = (
        Measurement.objects.select_for_update()
        .filter(indicator=indicator, structure=structure, measured_on=measured_on)
        .first()
    )
    reason = "Correction" if measurement else "Mesure"
    if measurement is None:
        measurement = Measurement(
            indicator=indicator, structure=structure, measured_on=measured_on, value=value
        )
    measurement.value = value
    measurement.coverage = coverage
    measurement.source = source.strip()
    save_historised(measurement, by=by, reason=reason)
    return measurement

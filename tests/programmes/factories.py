"""Programme factories: every object is made by its service (the only write path), by the system actor unless
`by=` names a user, so factories obey the same rules, history and derived fields as the pages and the import."""

from __future__ import annotations

from datetime import date
from typing import Any

import factory
from django.core.files.base import ContentFile

from bascule.core.system import SYSTEM
from bascule.programmes import services
from bascule.programmes.models import Action, Decision, DeliverableVersion, Programme, ProgressNote

# The service that creates each model.
SERVICES: dict[Any, Any] = {
    Programme: services.programme_create,
    Action: services.action_create,
    ProgressNote: services.progress_add,
    Decision: services.decision_create,
    DeliverableVersion: services.deliverable_deposit,
}


class _ServiceFactory(factory.Factory):
    """A factory whose `create` calls a service; `by` (default: the system actor) is passed as the author."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, by: Any = None, **kwargs: Any) -> Any:
        return SERVICES[model_class](by=by or SYSTEM, **kwargs)

    @classmethod
    def _build(cls, model_class: Any, *args: Any, by: Any = None, **kwargs: Any) -> Any:
        return model_class(**kwargs)


class ProgrammeFactory(_ServiceFactory):
    class Meta:
        model = Programme

    code = factory.Sequence(lambda n: f"PRG-{n}")
    name = factory.LazyAttribute(lambda p: f"Programme {p.code}")
    owner = None  # required: the owning structure
    standard_workstreams = False


class ActionFactory(_ServiceFactory):
    class Meta:
        model = Action

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"9-{n}")
    title = factory.Sequence(lambda n: f"Action {n}")
    deliverables_text = "fin 2025"


class ProgressNoteFactory(_ServiceFactory):
    class Meta:
        model = ProgressNote

    action = None  # required
    status = "in_progress"
    text = "Point d'avancement"
    on = factory.LazyFunction(date.today)


class DecisionFactory(_ServiceFactory):
    class Meta:
        model = Decision

    programme = None  # required
    committee = "copil"
    taken_on = date(2025, 6, 1)
    title = factory.Sequence(lambda n: f"Décision {n}")


class DeliverableDepositFactory(_ServiceFactory):
    class Meta:
        model = DeliverableVersion

    item = None  # required: an instance item of kind "deliverable"
    upload = factory.LazyAttribute(lambda d: ContentFile(b"inventaire", name=f"livrable-{d.item.pk}.csv"))


__all__ = [
    "ActionFactory",
    "DecisionFactory",
    "DeliverableDepositFactory",
    "ProgrammeFactory",
    "ProgressNoteFactory",
]

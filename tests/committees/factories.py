"""Committee factories: made by the services (the only write path), by the system actor unless `by=` is given."""

from __future__ import annotations

from datetime import date
from typing import Any

import factory

from bascule.committees import services
from bascule.committees.models import Meeting
from bascule.core.system import SYSTEM
from bascule.programmes.models import Decision


class MeetingFactory(factory.Factory):
    class Meta:
        model = Meeting

    programme = None  # required
    committee = "copil"
    held_on = date(2025, 6, 1)
    title = factory.Sequence(lambda n: f"Réunion {n}")

    @classmethod
    def _create(cls, model_class: Any, *args: Any, by: Any = None, **kwargs: Any) -> Meeting:
        return services.meeting_create(by=by or SYSTEM, **kwargs)


class MeetingDecisionFactory(factory.Factory):
    class Meta:
        model = Decision

    meeting = None  # required
    title = factory.Sequence(lambda n: f"Décision {n}")

    @classmethod
    def _create(cls, model_class: Any, *args: Any, by: Any = None, **kwargs: Any) -> Decision:
        return services.meeting_decision_add(by=by or SYSTEM, **kwargs)

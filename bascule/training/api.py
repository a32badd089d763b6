"""JSON API of training: /api/v1/training/plans/ (a region's plan with its last computation and what could not be
scheduled) and /api/v1/training/sessions/ (sessions with their half-days, room, trainer and trainees)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, serializers

from bascule.core.api import ObjectSerializer, PerimeterViewSet
from bascule.training.models import Session, TrainingPlan


class PlanSerializer(ObjectSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    go_live = serializers.DateField(source="wave.golive_date", read_only=True)

    class Meta:
        model = TrainingPlan
        fields = [
            "id",
            "programme",
            "region",
            "go_live",
            "starts_on",
            "ends_on",
            "census_closes_on",
            "takeover_on",
            "stats",
            "unscheduled",
            "version",
        ]


class SessionSerializer(ObjectSerializer):
    plan = serializers.UUIDField(source="plan_id", read_only=True)
    course = serializers.CharField(source="course.code", read_only=True)
    room = serializers.CharField(source="room.code", read_only=True)
    trainer = serializers.UUIDField(source="trainer_id", read_only=True)
    trainees = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "plan",
            "course",
            "room",
            "trainer",
            "half_days",
            "published",
            "cancelled",
            "trainees",
        ]

    def get_trainees(self, session: Session) -> list[str]:
        return [str(seat.trainee_id) for seat in session.seats.all()]


class SessionFilters(serializers.Serializer):  # type: ignore[type-arg]
    plan = serializers.UUIDField(
        required=False, allow_null=True, help_text="identifiant du plan de formation"
    )


class TrainingPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Regional training plans within the perimeter."""

    model = TrainingPlan
    serializer_class = PlanSerializer

    def get_queryset(self) -> QuerySet[TrainingPlan]:
        return (
            TrainingPlan.objects.visible_to(self.request.user)
            .select_related("programme", "region", "wave")
            .order_by("programme__code", "region__code")
        )


class SessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Planned and published sessions within the perimeter."""

    model = Session
    serializer_class = SessionSerializer
    filter_serializer = SessionFilters

    def get_queryset(self) -> QuerySet[Session]:
        qs: QuerySet[Session] = (
            Session.objects.visible_to(self.request.user)  # type: ignore[assignment]
            .select_related("course", "room")
            .prefetch_related("seats")
        )
        if plan := self.filters().get("plan"):
            qs = qs.filter(plan_id=plan)
        return qs.order_by("starts_on", "room__code")

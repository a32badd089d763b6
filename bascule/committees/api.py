"""JSON API of committees: /api/v1/committees/ (meetings, their agenda and decisions) and /api/v1/decisions/."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from rest_framework import mixins, serializers

from bascule.committees.models import AgendaItem, Committee, Meeting
from bascule.core.api import ObjectSerializer, PerimeterViewSet
from bascule.organisation.models import Person
from bascule.programmes.models import Decision


class DecisionSerializer(ObjectSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    owner_code = serializers.CharField(source="owner.code", read_only=True, allow_null=True)
    meeting = serializers.UUIDField(source="meeting_id", read_only=True, allow_null=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "programme",
            "meeting",
            "committee",
            "taken_on",
            "title",
            "text",
            "owner_code",
            "due_on",
            "follow_up",
            "closed_on",
            "outcome",
        ]


class AgendaItemSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    action_code = serializers.CharField(source="action.code", read_only=True, allow_null=True)

    class Meta:
        model = AgendaItem
        fields = ["order", "title", "action", "action_code", "workstream"]


class MeetingSerializer(ObjectSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    structure_code = serializers.CharField(source="structure.code", read_only=True, allow_null=True)
    agenda = AgendaItemSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    attendees = serializers.SerializerMethodField(help_text="courriels des participants de votre périmètre")
    snapshot_taken_at = serializers.DateTimeField(source="snapshot.taken_at", read_only=True, allow_null=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "programme",
            "committee",
            "structure",
            "structure_code",
            "held_on",
            "title",
            "location",
            "minutes",
            "attendees",
            "agenda",
            "decisions",
            "snapshot_taken_at",
            "version",
            "updated_at",
        ]

    def get_attendees(self, meeting: Meeting) -> list[str]:
        """Only the people the reader may see (the others are not named)."""
        user = self.context["request"].user
        return [p.email for p in meeting.attendees.all() if p.get_abilities(user)["view"]]


class MeetingFilters(serializers.Serializer):  # type: ignore[type-arg]
    programme = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="code du programme"
    )
    committee = serializers.ChoiceField(choices=Committee.choices, required=False, allow_blank=True)


class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Committee meetings of the user's perimeter (national ones for everyone), with agenda and decisions."""

    model = Meeting
    serializer_class = MeetingSerializer
    filter_serializer = MeetingFilters

    def get_queryset(self) -> QuerySet[Meeting]:
        qs = (
            Meeting.objects.visible_to(self.request.user)
            .select_related("programme", "structure", "snapshot")
            .prefetch_related(
                Prefetch("attendees", queryset=Person.objects.select_related("structure")),
                Prefetch("agenda", queryset=AgendaItem.objects.select_related("action")),
                Prefetch("decisions", queryset=Decision.objects.select_related("programme", "owner")),
            )
        )
        params = self.filters()
        if programme := params.get("programme"):
            qs = qs.filter(programme__code=programme)
        if committee := params.get("committee"):
            qs = qs.filter(committee=committee)
        return qs.order_by("-held_on", "title")


class DecisionFilters(serializers.Serializer):  # type: ignore[type-arg]
    programme = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="code du programme"
    )
    follow_up = serializers.ChoiceField(choices=Decision.FollowUp.choices, required=False, allow_blank=True)


class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Committee decisions and their follow-up."""

    model = Decision
    serializer_class = DecisionSerializer
    filter_serializer = DecisionFilters

    def get_queryset(self) -> QuerySet[Decision]:
        qs = Decision.objects.visible_to(self.request.user).select_related("programme", "owner")
        params = self.filters()
        if programme := params.get("programme"):
            qs = qs.filter(programme__code=programme)
        if follow_up := params.get("follow_up"):
            qs = qs.filter(follow_up=follow_up)
        return qs.order_by("-taken_on", "title")

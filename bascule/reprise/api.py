"""JSON API of the data takeover: /api/v1/takeover/runs/ (a structure's runs with their summary — the CLI's JSON —,
their input files' SHA-256 and their per-centre figures), read-only: runs are launched through the page or the CLI."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, serializers

from bascule.core.api import ObjectSerializer, PerimeterViewSet
from bascule.reprise.models import CENTRE_FIGURES, RunCentre, TakeoverRun


class CentreSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = RunCentre
        fields = ["centre", *CENTRE_FIGURES, "anomalies"]


class RunSerializer(ObjectSerializer):
    structure = serializers.CharField(source="structure.code", read_only=True)
    centres = CentreSerializer(many=True, read_only=True)

    class Meta:
        model = TakeoverRun
        fields = [
            "id",
            "structure",
            "kind",
            "status",
            "launched_by_name",
            "cutoff",
            "since",
            "inputs",
            "summary",
            "error",
            "started_at",
            "finished_at",
            "duration_ms",
            "centres",
        ]


class RunFilters(serializers.Serializer):  # type: ignore[type-arg]
    structure = serializers.CharField(required=False, max_length=40, help_text="code de la structure")


class TakeoverRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Data takeover runs within the perimeter (units: amounts in cents)."""

    model = TakeoverRun
    serializer_class = RunSerializer
    filter_serializer = RunFilters

    def get_queryset(self) -> QuerySet[TakeoverRun]:
        runs = (
            TakeoverRun.objects.visible_to(self.request.user)
            .select_related("structure")
            .prefetch_related("centres")
            .order_by("-created_at")
        )
        structure = self.filters().get("structure")
        return runs.filter(structure__code=structure) if structure else runs

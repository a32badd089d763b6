"""JSON API of indicators: /api/v1/indicators/ (with the measurements of the user's perimeter on one indicator)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, serializers

from bascule.core.api import ObjectSerializer, PerimeterViewSet
from bascule.indicators.models import Indicator, Measurement


class MeasurementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    structure_code = serializers.CharField(source="structure.code", read_only=True)

    class Meta:
        model = Measurement
        fields = ["structure", "structure_code", "measured_on", "value", "coverage", "source"]


class IndicatorSerializer(ObjectSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "programme",
            "code",
            "name",
            "description",
            "unit",
            "aggregation",
            "target_value",
            "target_date",
            "expected_kind",
            "version",
        ]


class IndicatorDetailSerializer(IndicatorSerializer):
    measurements = serializers.SerializerMethodField()

    class Meta(IndicatorSerializer.Meta):
        fields = [*IndicatorSerializer.Meta.fields, "measurements"]

    def get_measurements(self, indicator: Indicator) -> list[dict[str, Any]]:
        user = self.context["request"].user
        rows = (
            Measurement.objects.visible_to(user)
            .filter(indicator=indicator)
            .select_related("structure")
            .order_by("structure__code", "measured_on")
        )
        return MeasurementSerializer(rows, many=True).data  # type: ignore[return-value]


class IndicatorFilters(serializers.Serializer):  # type: ignore[type-arg]
    programme = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="code du programme"
    )


class IndicatorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Indicators of the programmes; one indicator with the measurements of the user's perimeter."""

    model = Indicator
    filter_serializer = IndicatorFilters

    def get_serializer_class(self) -> Any:
        return IndicatorDetailSerializer if self.action == "retrieve" else IndicatorSerializer

    def get_queryset(self) -> QuerySet[Indicator]:
        qs = Indicator.objects.visible_to(self.request.user).select_related("programme__owner")
        if programme := self.filters().get("programme"):
            qs = qs.filter(programme__code=programme)
        return qs.order_by("programme__code", "code")

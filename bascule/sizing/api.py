"""JSON API of sizing: /api/v1/sizing/sizings/ (parameters; one sizing with its figures per centre and wave, within
the user's perimeter) and /api/v1/sizing/costs/ (cost comparisons with their yearly totals)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from bascule.core.api import ObjectSerializer, PerimeterViewSet
from bascule.sizing import selectors
from bascule.sizing.compute import as_json
from bascule.sizing.models import CostComparison, Sizing
from bascule.sizing.services import COMPARISON_FIELDS, PARAMETER_FIELDS


class SizingSerializer(ObjectSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    ministry_a = serializers.CharField(source="ministry_a.code", read_only=True)
    ministry_b = serializers.CharField(source="ministry_b.code", read_only=True)
    based_on = serializers.UUIDField(source="based_on_id", read_only=True, allow_null=True)

    class Meta:
        model = Sizing
        fields = ["id", "programme", "based_on", *PARAMETER_FIELDS, "version"]  # the service's one list


class SizingDetailSerializer(SizingSerializer):
    centres = serializers.SerializerMethodField()
    totals_by_wave = serializers.SerializerMethodField()

    class Meta(SizingSerializer.Meta):
        fields = [*SizingSerializer.Meta.fields, "centres", "totals_by_wave"]

    def _table(self, sizing: Sizing) -> selectors.SizingTable:
        if not hasattr(self, "_tables"):
            self._tables: dict[Any, selectors.SizingTable] = {}
        cache = self._tables
        if sizing.pk not in cache:
            cache[sizing.pk] = selectors.sizing_table(user=self.context["request"].user, sizing=sizing)
        return cache[sizing.pk]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_centres(self, sizing: Sizing) -> list[dict[str, Any]]:
        table = self._table(sizing)
        return [
            {
                "centre": row.centre.code,
                "region": row.region,
                "host": row.host,
                "host_ministry": row.host_ministry,
                "waves": {
                    wave.name: as_json(cell)
                    for wave, cell in zip(table.waves, row.cells, strict=True)
                    if cell
                },
            }
            for row in table.rows
        ]

    @extend_schema_field(serializers.DictField(child=serializers.DictField()))
    def get_totals_by_wave(self, sizing: Sizing) -> dict[str, Any]:
        table = self._table(sizing)
        return {wave.name: as_json(total) for wave, total in zip(table.waves, table.wave_totals, strict=True)}


class SizingFilters(serializers.Serializer):  # type: ignore[type-arg]
    programme = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="code du programme"
    )


class SizingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Sizings (reference and scenarios); one sizing with its figures for the centres of the user's perimeter."""

    model = Sizing
    filter_serializer = SizingFilters

    def get_serializer_class(self) -> Any:
        return SizingDetailSerializer if self.action == "retrieve" else SizingSerializer

    def get_queryset(self) -> QuerySet[Sizing]:
        qs = Sizing.objects.visible_to(self.request.user).select_related(
            "programme__owner", "ministry_a", "ministry_b"
        )
        if programme := self.filters().get("programme"):
            qs = qs.filter(programme__code=programme)
        return qs.order_by("programme__code", "name")


class CostComparisonSerializer(ObjectSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    options = serializers.SerializerMethodField()

    class Meta:
        model = CostComparison
        fields = ["id", "programme", *COMPARISON_FIELDS, "options", "version"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_options(self, comparison: CostComparison) -> list[dict[str, Any]]:
        table = selectors.cost_table(comparison)
        return [
            {
                "name": option.name,
                "per_year": {str(y): str(a) for y, a in zip(table["years"], option.per_year, strict=True)},
                "one_off": str(option.one_off),
                "recurring": str(option.recurring),
                "total": str(option.total),
                "cheapest": table["cheaper"] is option,
            }
            for option in table["options"]
        ]


class CostComparisonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Cost comparisons of the programmes: each option's yearly totals and total over the period."""

    model = CostComparison
    filter_serializer = SizingFilters

    def get_queryset(self) -> QuerySet[CostComparison]:
        qs = CostComparison.objects.visible_to(self.request.user).select_related("programme__owner")
        if programme := self.filters().get("programme"):
            qs = qs.filter(programme__code=programme)
        return qs.prefetch_related("lines").order_by("programme__code", "name")

    def get_serializer_class(self) -> Any:
        return CostComparisonSerializer

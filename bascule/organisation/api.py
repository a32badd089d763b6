"""JSON API of the organisation referential (/api/v1/structures/, people/, assignments/). Thin: same services."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from rest_framework import mixins, serializers

from bascule.core.api import ObjectSerializer, PerimeterViewSet, VersionedUpdateMixin
from bascule.core.roles import Role
from bascule.organisation import services
from bascule.organisation.models import Assignment, Person, Structure, StructureKind


class StructureSerializer(ObjectSerializer):
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Structure.objects.all(), allow_null=True, required=False
    )
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None, allow_null=True)
    version = serializers.IntegerField(
        required=False, help_text="Obligatoire pour une modification (verrou optimiste)."
    )

    class Meta:
        model = Structure
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "parent",
            "parent_code",
            "region",
            "department",
            "valid_from",
            "valid_to",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_parent(self, parent: Structure | None) -> Structure | None:
        request = self.context["request"]
        if (
            parent is not None
            and not Structure.objects.visible_to(request.user).filter(pk=parent.pk).exists()
        ):
            raise serializers.ValidationError("Aucune structure visible n'a cet identifiant.")
        return parent


class StructureFilters(serializers.Serializer):  # type: ignore[type-arg]
    region = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="Code INSEE de la région (53) ou code de sa structure (R53)",
    )
    kind = serializers.ChoiceField(choices=StructureKind.choices, required=False, allow_blank=True)
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Recherche dans le code et le nom"
    )
    parent = serializers.UUIDField(  # type: ignore[assignment]  # a field named like Field.parent
        required=False, allow_null=True, help_text="Sous-structures directes de celle-ci"
    )


class StructureViewSet(
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PerimeterViewSet,
):
    """Structures of the user's perimeter. Writes need an editor role on the parent (creation) or the structure."""

    model = Structure
    serializer_class = StructureSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    filter_serializer = StructureFilters

    def get_queryset(self) -> QuerySet[Structure]:
        qs = Structure.objects.visible_to(self.request.user).select_related("parent")
        params = self.filters()
        if region := params.get("region"):
            qs = qs.in_region(region)
        if kind := params.get("kind"):
            qs = qs.filter(kind=kind)
        if q := params.get("q"):
            qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
        if parent := params.get("parent"):
            qs = qs.filter(parent_id=parent)
        return qs.order_by("path")

    update_fields = services.STRUCTURE_FIELDS
    create_ability = "organisation.add_structure"

    def perform_create(self, serializer: Any) -> None:
        data = {k: v for k, v in serializer.validated_data.items() if k in services.STRUCTURE_FIELDS}
        serializer.instance = services.structure_create(by=self.request.user, **data)

    def update_with_service(self, obj: Structure, *, version: int, changes: dict[str, Any]) -> Structure:
        return services.structure_update(by=self.request.user, structure=obj, version=version, **changes)


class PersonSerializer(ObjectSerializer):
    structure_code = serializers.CharField(source="structure.code", read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "structure",
            "structure_code",
            "ministry_of_origin",
            "category",
            "fte",
            "version",
            "updated_at",
        ]


class PersonFilters(serializers.Serializer):  # type: ignore[type-arg]
    structure = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="Code d'une structure (avec son sous-arbre)",
    )
    region = serializers.CharField(required=False, allow_blank=True, max_length=60)
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """People of the user's perimeter (read-only in this version)."""

    model = Person
    serializer_class = PersonSerializer

    filter_serializer = PersonFilters

    def get_queryset(self) -> QuerySet[Person]:
        qs = Person.objects.visible_to(self.request.user).select_related("structure")
        params = self.filters()
        if code := params.get("structure"):
            root = Structure.objects.visible_to(self.request.user).filter(code=code).first()
            qs = qs.filter(structure__path__startswith=root.path) if root else qs.none()
        if region := params.get("region"):
            qs = qs.filter(structure__in=Structure.objects.in_region(region))
        if q := params.get("q"):
            qs = qs.filter(Q(last_name__icontains=q) | Q(first_name__icontains=q) | Q(email__icontains=q))
        return qs.order_by("last_name", "first_name", "id")


class AssignmentSerializer(ObjectSerializer):
    structure_code = serializers.CharField(source="structure.code", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "person",
            "role",
            "structure",
            "structure_code",
            "start_date",
            "end_date",
            "active",
            "version",
        ]


class AssignmentFilters(serializers.Serializer):  # type: ignore[type-arg]
    role = serializers.ChoiceField(choices=Role.choices, required=False, allow_blank=True)
    person = serializers.UUIDField(required=False, allow_null=True)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Assignments whose structure or person is in the user's perimeter (read-only in this version)."""

    model = Assignment
    serializer_class = AssignmentSerializer

    filter_serializer = AssignmentFilters

    def get_queryset(self) -> QuerySet[Assignment]:
        qs = Assignment.objects.visible_to(self.request.user).select_related("structure")
        params = self.filters()
        if role := params.get("role"):
            qs = qs.filter(role=role)
        if person := params.get("person"):
            qs = qs.filter(person_id=person)
        if params.get("active"):
            qs = qs.active()
        return qs.order_by("-start_date", "id")

"""JSON API of the organisation referential (/api/v1/structures/, people/, assignments/). Thin: same services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from rest_framework import mixins, serializers

from bascule.core.api import ObjectSerializer, PerimeterViewSet, VersionedUpdateMixin
from bascule.organisation import services
from bascule.organisation.models import (
    Assignment,
    Person,
    RoleDefinition,
    ServiceKind,
    ServiceLink,
    Structure,
    StructureKind,
)
from bascule.organisation.ranks import role_choices


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
    role = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="code d'un rôle du catalogue (/api/v1/roles/)",
    )

    def validate_role(self, value: str) -> str:
        """Read when a request filters, never when the schema is drawn (the catalogue lives in the database)."""
        if value and value not in dict(role_choices()):
            raise serializers.ValidationError(f"« {value} » n'est pas un rôle du catalogue.")
        return value

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


class RoleSerializer(ObjectSerializer):
    builtin = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        required=False, help_text="Obligatoire pour une modification (verrou optimiste)."
    )

    class Meta:
        model = RoleDefinition
        fields = ["id", "code", "name", "description", "rank", "scope", "builtin", "version"]
        read_only_fields = ["id"]

    def get_builtin(self, obj: RoleDefinition) -> bool:
        return False


class RoleViewSet(
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    PerimeterViewSet,
):
    """The roles added to the catalogue (the built-in ones are in the code: core.roles, listed on /organisation/roles/).
    National steering adds, changes and removes them; a role anyone holds or held is not removed (400)."""

    model = RoleDefinition
    serializer_class = RoleSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    create_ability = "organisation.manage_roles"
    update_fields = services.ROLE_FIELDS

    def perform_create(self, serializer: Any) -> None:
        data = {k: v for k, v in serializer.validated_data.items() if k in ("code", *services.ROLE_FIELDS)}
        serializer.instance = services.role_create(by=self.request.user, **data)

    def update_with_service(
        self, obj: RoleDefinition, *, version: int, changes: dict[str, Any]
    ) -> RoleDefinition:
        return services.role_update(by=self.request.user, role=obj, version=version, **changes)

    def perform_destroy(self, instance: RoleDefinition) -> None:
        try:
            services.role_delete(by=self.request.user, role=instance)
        except ValidationError as exc:
            raise serializers.ValidationError({"role": exc.messages}) from exc


class ServiceLinkSerializer(ObjectSerializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Structure.objects.all())
    provider = serializers.PrimaryKeyRelatedField(queryset=Structure.objects.all())
    client_code = serializers.CharField(source="client.code", read_only=True)
    provider_code = serializers.CharField(source="provider.code", read_only=True)
    version = serializers.IntegerField(
        required=False, help_text="Obligatoire pour une modification (verrou optimiste)."
    )

    class Meta:
        model = ServiceLink
        fields = [
            "id",
            "client",
            "client_code",
            "provider",
            "provider_code",
            "kind",
            "start_date",
            "end_date",
            "contract_state",
            "contract_review_on",
            "note",
            "version",
        ]
        read_only_fields = ["id"]

    def _visible(self, structure: Structure) -> Structure:
        if not Structure.objects.visible_to(self.context["request"].user).filter(pk=structure.pk).exists():
            raise serializers.ValidationError("Aucune structure visible n'a cet identifiant.")
        return structure

    def validate_client(self, value: Structure) -> Structure:
        return self._visible(value)

    def validate_provider(self, value: Structure) -> Structure:
        return self._visible(value)


class ServiceLinkFilters(serializers.Serializer):  # type: ignore[type-arg]
    structure = serializers.UUIDField(required=False, allow_null=True, help_text="Liens de cette structure")
    kind = serializers.ChoiceField(choices=ServiceKind.choices, required=False, allow_blank=True)


class ServiceLinkViewSet(
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PerimeterViewSet,
):
    """« Servie par » links the user sees (either end in the perimeter); set by whoever edits both ends."""

    model = ServiceLink
    serializer_class = ServiceLinkSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_serializer = ServiceLinkFilters
    create_ability = "organisation.add_structure"
    update_fields = services.SERVICE_LINK_FIELDS

    def get_queryset(self) -> QuerySet[ServiceLink]:
        qs = ServiceLink.objects.visible_to(self.request.user).select_related("client", "provider")
        params = self.filters()
        if structure := params.get("structure"):
            qs = qs.filter(Q(client_id=structure) | Q(provider_id=structure))
        if kind := params.get("kind"):
            qs = qs.filter(kind=kind)
        return qs.order_by("client__code", "kind", "provider__code")

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = services.service_link_create(by=self.request.user, **data)

    def update_with_service(self, obj: ServiceLink, *, version: int, changes: dict[str, Any]) -> ServiceLink:
        return services.service_link_update(by=self.request.user, link=obj, version=version, **changes)

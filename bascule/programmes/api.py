"""JSON API of programme steering: /api/v1/programmes/, waves/, workstreams/, actions/. Thin: same services."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from bascule.core.api import InputSerializer, ObjectSerializer, PerimeterViewSet, VersionedUpdateMixin
from bascule.core.forms import model_max_length
from bascule.organisation.models import Person, Structure
from bascule.programmes import services, setup
from bascule.programmes.models import Action, Programme, Status, Wave, Workstream
from bascule.programmes.selectors import ActionFilters, action_list, with_structures


class ProgrammeSerializer(ObjectSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=Structure.objects.all())
    owner_code = serializers.CharField(source="owner.code", read_only=True)
    pilots = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all(), many=True, required=False)
    version = serializers.IntegerField(
        required=False, help_text="Obligatoire pour une modification (verrou optimiste)."
    )

    class Meta:
        model = Programme
        fields = [
            "id",
            "code",
            "name",
            "owner",
            "owner_code",
            "description",
            "reference_documents",
            "pilots",
            "starts_on",
            "ends_on",
            "closed_on",
            "version",
            "updated_at",
        ]
        read_only_fields = ["id", "closed_on", "updated_at"]

    def validate_owner(self, owner: Structure) -> Structure:
        if not Structure.objects.visible_to(self.context["request"].user).filter(pk=owner.pk).exists():
            raise serializers.ValidationError("Aucune structure visible n'a cet identifiant.")
        return owner

    def validate_pilots(self, pilots: list[Person]) -> list[Person]:
        visible = set(
            Person.objects.visible_to(self.context["request"].user)
            .filter(pk__in=[p.pk for p in pilots])
            .values_list("pk", flat=True)
        )
        if any(p.pk not in visible for p in pilots):
            raise serializers.ValidationError("Aucune personne visible n'a cet identifiant.")
        return pilots


class ProgrammeViewSet(
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PerimeterViewSet,
):
    """Programmes: created on a structure the author edits, changed by who edits their owner (not once closed)."""

    model = Programme
    serializer_class = ProgrammeSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_ability = "programmes.add_programme"
    update_fields = (*setup.PROGRAMME_FIELDS, "pilots")

    def get_queryset(self) -> QuerySet[Programme]:
        return (
            Programme.objects.visible_to(self.request.user)
            .select_related("owner")
            .prefetch_related("pilots")
            .order_by("code")
        )

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = services.programme_create(by=self.request.user, **data)

    def update_with_service(self, obj: Programme, *, version: int, changes: dict[str, Any]) -> Programme:
        return setup.programme_update(by=self.request.user, programme=obj, version=version, **changes)


class WaveMoveSerializer(InputSerializer):
    golive_date = serializers.DateField()
    version = serializers.IntegerField(min_value=1)
    confirm = serializers.BooleanField(default=False, help_text="false : les conséquences seulement")


class WaveMoveAnswer(serializers.Serializer):  # type: ignore[type-arg]
    moved = serializers.BooleanField()
    consequences = serializers.ListField(child=serializers.DictField(), required=False)
    counts = serializers.DictField(child=serializers.IntegerField(), required=False)


class WaveSerializer(ObjectSerializer):
    programme = serializers.PrimaryKeyRelatedField(queryset=Programme.objects.all())
    programme_code = serializers.CharField(source="programme.code", read_only=True)
    structures = serializers.PrimaryKeyRelatedField(
        queryset=Structure.objects.all(), many=True, required=False
    )
    budget_programmes = serializers.ListField(
        child=serializers.RegexField(r"^\d{3}$", max_length=3), required=False, max_length=200
    )
    version = serializers.IntegerField(
        required=False, help_text="Obligatoire pour une modification (verrou optimiste)."
    )

    class Meta:
        model = Wave
        fields = [
            "id",
            "programme",
            "programme_code",
            "name",
            "golive_date",
            "freeze_date",
            "scope",
            "budget_programmes",
            "structures",
            "version",
        ]
        read_only_fields = ["id"]

    def validate_structures(self, structures: list[Structure]) -> list[Structure]:
        visible = set(
            Structure.objects.visible_to(self.context["request"].user)
            .filter(pk__in=[s.pk for s in structures])
            .values_list("pk", flat=True)
        )
        if any(s.pk not in visible for s in structures):
            raise serializers.ValidationError("Aucune structure visible n'a cet identifiant.")
        return structures


class WaveFilters(serializers.Serializer):  # type: ignore[type-arg]
    programme = serializers.CharField(required=False, max_length=40, help_text="code du programme")


class WaveViewSet(
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    PerimeterViewSet,
):
    """Waves of the programmes. Their go-live date moves through POST …/move/ (preview with `"confirm": false`);
    a wave something depends on is not removed (400 saying what)."""

    model = Wave
    serializer_class = WaveSerializer
    filter_serializer = WaveFilters
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    create_ability = "programmes.add_programme"
    update_fields = (*setup.WAVE_FIELDS, "structures")
    action_abilities = {"move": "move"}

    def get_queryset(self) -> QuerySet[Wave]:
        qs = (
            Wave.objects.visible_to(self.request.user)
            .select_related("programme__owner")
            .prefetch_related("structures")
        )
        if code := self.filters().get("programme"):
            qs = qs.filter(programme__code=code)
        return qs.order_by("programme__code", "golive_date")

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data.pop("version", None)
        serializer.instance = services.wave_create(by=self.request.user, **data)

    def update_with_service(self, obj: Wave, *, version: int, changes: dict[str, Any]) -> Wave:
        return setup.wave_update(by=self.request.user, wave=obj, version=version, **changes)

    def perform_destroy(self, instance: Wave) -> None:
        try:
            setup.wave_delete(by=self.request.user, wave=instance)
        except ValidationError as exc:
            raise serializers.ValidationError({"wave": exc.messages}) from exc

    @extend_schema(request=WaveMoveSerializer, responses=WaveMoveAnswer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: Any = None) -> Response:
        wave = self.get_object()
        incoming = WaveMoveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if not data["confirm"]:
            found = setup.wave_move_preview(by=request.user, wave=wave, golive_date=data["golive_date"])
            return Response({"moved": False, "consequences": [asdict(c) for c in found]})
        saved, moved = setup.wave_move(
            by=request.user, wave=wave, version=data["version"], golive_date=data["golive_date"]
        )
        return Response(
            {"moved": True, "counts": moved, "wave": WaveSerializer(saved, context={"request": request}).data}
        )


class WorkstreamSerializer(ObjectSerializer):
    programme = serializers.CharField(source="template.programme.code", read_only=True)
    number = serializers.IntegerField(source="template.number", read_only=True)
    name = serializers.CharField(source="template.name", read_only=True)
    structure_code = serializers.CharField(source="structure.code", read_only=True)
    region = serializers.CharField(source="structure.region", read_only=True)
    diverged = serializers.BooleanField(read_only=True)

    class Meta:
        model = Workstream
        fields = [
            "id",
            "programme",
            "number",
            "name",
            "structure",
            "structure_code",
            "region",
            "status",
            "percent",
            "synced_revision",
            "diverged",
            "version",
            "updated_at",
        ]


class WorkstreamFilters(serializers.Serializer):  # type: ignore[type-arg]
    programme = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="code du programme"
    )
    region = serializers.CharField(
        required=False, allow_blank=True, max_length=3, help_text="code INSEE de la région"
    )


class WorkstreamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Workstreams instanced in the regions of the user's perimeter."""

    model = Workstream
    serializer_class = WorkstreamSerializer

    filter_serializer = WorkstreamFilters

    def get_queryset(self) -> QuerySet[Workstream]:
        qs = Workstream.objects.visible_to(self.request.user).select_related(
            "template__programme", "structure"
        )
        params = self.filters()
        if programme := params.get("programme"):
            qs = qs.filter(template__programme__code=programme)
        if region := params.get("region"):
            qs = qs.filter(structure__region=region)
        return qs.order_by("template__programme__code", "template__number", "structure__code")


class DeadlineField(InputSerializer):
    text = serializers.CharField(source="deadline_text", read_only=True)
    start = serializers.DateField(source="deadline_start", allow_null=True, read_only=True)
    end = serializers.DateField(source="deadline_end", allow_null=True, read_only=True)
    precision = serializers.CharField(source="deadline_precision", read_only=True)
    understood = serializers.BooleanField(source="deadline_understood", read_only=True)


class PainPointField(InputSerializer):
    code = serializers.IntegerField(source="number", read_only=True)
    title = serializers.CharField(read_only=True)


class ActionSerializer(ObjectSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    pain_point = PainPointField(read_only=True, allow_null=True)
    lead_structures: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    partner_structures: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    deadline = DeadlineField(source="*", read_only=True)
    late = serializers.BooleanField(source="is_late", read_only=True)
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Action
        fields = [
            "id",
            "programme",
            "code",
            "title",
            "pain_point",
            "lead_text",
            "lead_structures",
            "partner_structures",
            "lead_unrecognised",
            "deliverables_text",
            "deadline",
            "status",
            "percent",
            "progress",
            "late",
            "version",
            "updated_at",
        ]
        read_only_fields = ["status", "percent", "progress", "lead_unrecognised"]


class ActionCreateSerializer(InputSerializer):
    programme = serializers.CharField(help_text="code du programme", max_length=40)
    structure = serializers.UUIDField(
        required=False, allow_null=True, help_text="région ou département ; vide : action nationale"
    )
    code = serializers.CharField(max_length=30)
    title = serializers.CharField(max_length=model_max_length(Action, "title"))
    lead_text = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=model_max_length(Action, "lead_text")
    )
    deliverables_text = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=model_max_length(Action, "deliverables_text")
    )


class ActionFilterParams(WorkstreamFilters):
    late = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="en retard seulement"
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False, allow_blank=True)


class ActionViewSet(
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PerimeterViewSet,
):
    """Actions of the user's perimeter; PATCH needs the version read (409 when someone changed it meanwhile)."""

    model = Action
    serializer_class = ActionSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    update_fields = services.ACTION_EDITABLE  # those the serializer accepts
    create_ability = "programmes.add_action"

    @extend_schema(request=ActionCreateSerializer, responses=ActionSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = ActionCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        programme = Programme.objects.visible_to(request.user).filter(code=data.pop("programme")).first()
        if programme is None:
            raise serializers.ValidationError({"programme": "Aucun programme visible n'a ce code."})
        structure_id = data.pop("structure", None)
        structure = None
        if structure_id:
            structure = Structure.objects.visible_to(request.user).filter(pk=structure_id).first()
            if structure is None:
                raise serializers.ValidationError(
                    {"structure": "Aucune structure visible n'a cet identifiant."}
                )
        action = services.action_create(by=request.user, programme=programme, structure=structure, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=action.pk)).data, status=201)

    filter_serializer = ActionFilterParams

    def get_queryset(self) -> QuerySet[Action]:
        params = self.filters()
        filters = ActionFilters(
            programme=params.get("programme", ""),
            region=params.get("region", ""),
            status=params.get("status", ""),
            late=bool(params.get("late")),
            sort="code",
        )
        return with_structures(action_list(user=self.request.user, filters=filters))

    def update_with_service(self, obj: Action, *, version: int, changes: dict[str, Any]) -> Action:
        return services.action_update(by=self.request.user, action=obj, version=version, **changes)

"""What every module's JSON API shares: pagination, error handling, the perimeter-filtered viewset base."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from bascule.core.locking import ConflictError
from bascule.core.registry import user_can


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Conflicts answer 409 and model validation errors 400, with the French messages."""
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc), "version": exc.current.version}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


# What each view action asks of the object's abilities (a viewset adds its own actions in `action_abilities`).
ACTION_ABILITIES = {"retrieve": "view", "update": "change", "partial_update": "change", "destroy": "delete"}


class AbilityPermission(permissions.BasePermission):
    """The object's `get_abilities(user)` decides, by view action: the same rule as the pages and the services."""

    message = "Vous n'avez pas les droits nécessaires pour cette action."

    def has_permission(self, request: Request, view: Any) -> bool:
        """Creation is refused before the body is read when the user lacks the viewset's `create_ability`."""
        if view.action == "create" and getattr(view, "create_ability", ""):
            return user_can(request.user, view.create_ability)
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        ability = {**ACTION_ABILITIES, **getattr(view, "action_abilities", {})}.get(view.action, "view")
        return bool(obj.get_abilities(request.user).get(ability, False))


UNKNOWN_FIELD = "Champ inconnu : il n'est pas enregistré (vérifiez son nom)."
READ_ONLY_FIELD = "Champ en lecture seule : il n'est pas modifiable ici."
# What the browsable API's HTML forms add to a form-encoded write: not fields of the object.
FORM_CONTROLS = frozenset({"csrfmiddlewaretoken", "_content", "_content_type", "_method"})


def refuse_unknown_fields(data: Any, fields: dict[str, Any], writable: set[str] | None = None) -> None:
    """400 naming each field of a write that would not be saved: a client must never believe it saved."""
    if not isinstance(data, Mapping):
        return
    accepted = writable if writable is not None else {n for n, f in fields.items() if not f.read_only}
    errors = {
        name: [READ_ONLY_FIELD if name in fields else UNKNOWN_FIELD]
        for name in data
        if name not in accepted and name not in FORM_CONTROLS
    }
    if errors:
        raise serializers.ValidationError(errors)


class InputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """What a write action reads: unknown fields are refused (400), never silently dropped."""

    def to_internal_value(self, data: Any) -> Any:
        refuse_unknown_fields(data, dict(self.fields))
        return super().to_internal_value(data)


class ObjectSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """An object of the API: it carries the requester's `abilities` on it (what the pages would offer them, from
    the same `get_abilities`), so clients never re-implement the rules; unknown fields in a write are refused."""

    abilities = serializers.SerializerMethodField(help_text="ce que vous pouvez faire de cet objet")

    def get_abilities(self, obj: Any) -> dict[str, bool]:
        request = self.context.get("request")
        return dict(obj.get_abilities(request.user)) if request is not None else {}

    def get_field_names(self, declared_fields: Any, info: Any) -> list[str]:
        names = list(super().get_field_names(declared_fields, info))
        return names if "abilities" in names else [*names, "abilities"]

    def to_internal_value(self, data: Any) -> Any:
        refuse_unknown_fields(data, dict(self.fields))
        return super().to_internal_value(data)


class PerimeterViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Lists and lookups only ever contain what the user may see (so the rest answers 404).

    `filter_serializer` declares the list's query parameters: `filters()` validates them (400 with the French
    message when one is invalid) and the schema documents them (bascule.core.schema).
    """

    model: type[models.Model]
    filter_serializer: type[serializers.Serializer] | None = None  # type: ignore[type-arg]
    permission_classes = [permissions.IsAuthenticated, AbilityPermission]
    action_abilities: dict[str, str] = {}
    create_ability = (
        ""  # the page-level ability (bascule.core.registry) a POST needs, checked before the body
    )

    def get_queryset(self) -> models.QuerySet[Any]:
        return self.model.objects.visible_to(self.request.user)  # type: ignore[attr-defined, no-any-return]

    def filters(self) -> dict[str, Any]:
        """The list's validated filters (empty ones left out); nothing for a single object."""
        if self.filter_serializer is None or self.action != "list":
            return {}
        incoming = self.filter_serializer(data=self.request.query_params)
        incoming.is_valid(raise_exception=True)
        return {k: v for k, v in incoming.validated_data.items() if v not in (None, "")}


class VersionedUpdateMixin:
    """PATCH through the entity's service: the version read is required, a stale one answers 409.

    The viewset names the fields a PATCH may change (`update_fields`, the entity's one field list) and the
    service call (`update_with_service`); permissions come from AbilityPermission ("change").
    """

    update_fields: tuple[str, ...] = ()

    def update_with_service(self, obj: Any, *, version: int, changes: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        obj = view.get_object()
        serializer = view.get_serializer(obj, data=request.data, partial=True)
        refuse_unknown_fields(request.data, dict(serializer.fields), {*self.update_fields, "version"})
        serializer.is_valid(raise_exception=True)
        version = serializer.validated_data.get("version")
        if version is None:
            raise serializers.ValidationError({"version": "La version lue est obligatoire pour modifier."})
        changes = {k: v for k, v in serializer.validated_data.items() if k in self.update_fields}
        saved = self.update_with_service(obj, version=version, changes=changes)
        fresh = view.get_queryset().filter(pk=saved.pk).first() or saved
        return Response(view.get_serializer(fresh).data)

"""What every module's JSON API shares: pagination, error handling, the perimeter-filtered viewset base."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from bascule.core.locking import ConflictError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Conflicts answer 409 and model validation errors 400, with the French messages."""
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc), "version": exc.current.version}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


class PerimeterViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Lists and lookups only ever contain what the user may see (so the rest answers 404).

    `filter_serializer` declares the list's query parameters: `filters()` validates them (400 with the French
    message when one is invalid) and the schema documents them (bascule.core.schema).
    """

    model: type[models.Model]
    filter_serializer: type[serializers.Serializer] | None = None  # type: ignore[type-arg]

    def get_queryset(self) -> models.QuerySet[Any]:
        return self.model.objects.visible_to(self.request.user)  # type: ignore[attr-defined, no-any-return]

    def filters(self) -> dict[str, Any]:
        """The list's validated filters (empty ones left out); nothing for a single object."""
        if self.filter_serializer is None or self.action != "list":
            return {}
        incoming = self.filter_serializer(data=self.request.query_params)
        incoming.is_valid(raise_exception=True)
        return {k: v for k, v in incoming.validated_data.items() if v not in (None, "")}

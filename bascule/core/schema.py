"""The OpenAPI schema of every module's API: errors documented once, list filters declared once.

`BasculeAutoSchema` (settings: DEFAULT_SCHEMA_CLASS) adds to every operation the error answers the API really
gives — 401, 403, 404 (outside the perimeter, or a page past the end), 400 for writes and filtered lists, 409 for
updates on a stale version — and documents a viewset's `filter_serializer` as the list's query parameters, the same
serializer that validates them (an invalid filter answers 400, never a 500 or a silent full list).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

ERRORS = {
    "400": "Requête refusée : un champ ou un filtre n'est pas valide (le message nomme lequel, en français).",
    "401": "Non authentifié : session ou en-tête « Authorization: Token … » requis.",
    "403": "Authentifié, mais sans le droit de faire cela sur cet objet.",
    "404": "Introuvable dans votre périmètre (ce que vous ne pouvez pas voir répond 404), ou page inexistante.",
    "409": "Conflit : l'objet a été modifié depuis la version lue ; relisez-le puis refaites la modification.",
}


class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    detail = serializers.CharField(read_only=True, help_text="Le message, en français.")


class BasculeAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        wanted = ["401", "403", "404"]
        if self.method in {"POST", "PUT", "PATCH"} or self._is_list_view():
            wanted.append("400")
        if self.method in {"PUT", "PATCH"}:
            wanted.append("409")
        for code in wanted:
            if code not in responses:
                body = OpenApiTypes.OBJECT if code == "400" else ErrorSerializer
                responses[code] = self._get_response_for_code(body, code, direction=direction)  # type: ignore[no-untyped-call]
                responses[code]["description"] = ERRORS[code]
        return responses

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        filters = getattr(self.view, "filter_serializer", None)
        if filters is not None and self._is_list_view():
            parameters.append(filters)
        return parameters

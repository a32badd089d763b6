"""The API token endpoint: a login by username and password, throttled by django-axes like the login page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

LOCKED_OUT = (
    "Trop de tentatives de connexion ont échoué pour ce compte. Réessayez dans 15 minutes, "
    "ou réinitialisez votre mot de passe."
)


class TokenRequestSerializer(AuthTokenSerializer):
    username = serializers.CharField(label="Identifiant", write_only=True, max_length=150)
    password = serializers.CharField(
        label="Mot de passe",
        style={"input_type": "password"},
        trim_whitespace=False,
        write_only=True,
        max_length=4096,
    )


class TokenResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    token = serializers.CharField(read_only=True)


class TokenView(ObtainAuthToken):
    """Your API token, from your username and password (429 while the account is locked after failures)."""

    serializer_class = TokenRequestSerializer
    # ObtainAuthToken names DRF's own JSON parser, unbounded: the project's parsers instead
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # type: ignore[assignment]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="Identifiant ou mot de passe incorrect."),
            429: OpenApiResponse(description="Compte bloqué après trop d'échecs."),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                return Response({"detail": LOCKED_OUT}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})

"""JSON API of the support desk: /api/v1/tickets/ and /api/v1/kb/.

Perimeter as everywhere: a requester sees their own tickets, a referent their structure's, a support pole its
region's, national steering all. A ticket is opened (POST) by its requester for themselves or by level-1 support for
a person of its perimeter, through the same service as the pages; replies and escalations go through the actions
below, each asking the ticket's abilities.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from bascule.assistance import knowledge, search, selectors, services
from bascule.assistance.models import (
    Article,
    Category,
    Channel,
    Priority,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from bascule.core.api import InputSerializer, ObjectSerializer, PerimeterViewSet
from bascule.core.fields import SEARCH_MAX
from bascule.organisation.models import Person, ServiceKind, Structure
from bascule.programmes.models import Programme, WorkstreamTemplate

BODY_MAX = 20_000


class MessageSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = TicketMessage
        fields = ["id", "kind", "author_name", "level", "body", "created_at"]


class TicketSerializer(ObjectSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    workstream = serializers.CharField(source="workstream.name", read_only=True, default=None)
    structure = serializers.CharField(source="structure.code", read_only=True)
    handling_structure = serializers.CharField(source="handling_structure.code", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "subject",
            "programme",
            "workstream",
            "structure",
            "requester_name",
            "channel",
            "category",
            "domain",
            "priority",
            "status",
            "level",
            "max_level",
            "handling_structure",
            "first_response_due",
            "resolution_due",
            "first_response_at",
            "solved_at",
            "closed_at",
            "first_response_breached",
            "resolution_breached",
            "satisfaction",
            "version",
            "created_at",
        ]


class TicketDetailSerializer(TicketSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages"]

    def get_messages(self, ticket: Ticket) -> list[dict[str, Any]]:
        user = self.context["request"].user
        shown = [m for m in ticket.messages.all() if m.get_abilities(user)["view"]]
        return MessageSerializer(shown, many=True).data  # type: ignore[return-value]


class TicketCreateSerializer(InputSerializer):
    programme = serializers.CharField(max_length=40, help_text="code du programme")
    subject = serializers.CharField(max_length=255)
    body = serializers.CharField(max_length=BODY_MAX)
    requester = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True
    )
    requester_email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    requester_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    structure = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="code de la structure d'un demandeur hors référentiel",
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.WEB)
    category = serializers.ChoiceField(choices=Category.choices, default=Category.QUESTION)
    domain = serializers.ChoiceField(
        choices=ServiceKind.choices, required=False, allow_blank=True, default=""
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    workstream = serializers.PrimaryKeyRelatedField(
        queryset=WorkstreamTemplate.objects.all(), required=False, allow_null=True
    )


class ReplySerializer(InputSerializer):
    version = serializers.IntegerField(min_value=1)
    body = serializers.CharField(max_length=BODY_MAX)
    then = serializers.ChoiceField(
        choices=[TicketStatus.ASSIGNED, TicketStatus.WAITING, TicketStatus.SOLVED],
        default=TicketStatus.SOLVED,
    )


class EscalateSerializer(InputSerializer):
    version = serializers.IntegerField(min_value=1)
    diagnosis = serializers.CharField(max_length=BODY_MAX)


class TicketFilters(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=[("open", "open"), *TicketStatus.choices], required=False)
    level = serializers.IntegerField(required=False, min_value=1, max_value=3)
    programme = serializers.CharField(required=False, max_length=40, help_text="code du programme")
    q = serializers.CharField(required=False, max_length=SEARCH_MAX, help_text="recherche plein texte")


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Support tickets within the perimeter (and the user's own)."""

    model = Ticket
    serializer_class = TicketSerializer
    filter_serializer = TicketFilters
    action_abilities = {"reply": "reply", "escalate": "escalate"}
    create_ability = "assistance.intake"  # level-1 support opens tickets by API; requesters use the web form

    def get_serializer_class(self) -> Any:
        return {"retrieve": TicketDetailSerializer, "create": TicketCreateSerializer}.get(
            self.action, TicketSerializer
        )

    def get_queryset(self) -> QuerySet[Ticket]:
        tickets = Ticket.objects.visible_to(self.request.user).select_related(
            "programme",
            "workstream",
            "structure",
            "handling_structure",
            "level1_structure",
            "programme__owner",
        )
        if self.action == "retrieve":
            tickets = tickets.prefetch_related("messages")
        filters = self.filters()
        if filters.get("status") == "open":
            tickets = tickets.open()
        elif filters.get("status"):
            tickets = tickets.filter(status=filters["status"])
        if filters.get("level"):
            tickets = tickets.filter(level=filters["level"])
        if filters.get("programme"):
            tickets = tickets.filter(programme__code=filters["programme"])
        if filters.get("q"):
            found = search.search(tickets, filters["q"], limit=200)
            return tickets.filter(pk__in=[t.pk for t in found])
        return tickets.order_by("-created_at")

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request: Request) -> Response:
        incoming = TicketCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        data["programme"] = Programme.objects.filter(code=data["programme"]).first()
        if data["programme"] is None:
            raise serializers.ValidationError({"programme": "Aucun programme n'a ce code."})
        code = data.pop("structure", "")
        data["structure"] = (
            Structure.objects.visible_to(request.user).filter(code=code).first() if code else None
        )
        if code and data["structure"] is None:
            raise serializers.ValidationError(
                {"structure": "Aucune structure de votre périmètre n'a ce code."}
            )
        requester = data.pop("requester", None)
        if (
            requester is not None
            and not Person.objects.visible_to(request.user).filter(pk=requester.pk).exists()
        ):
            raise serializers.ValidationError({"requester": "Cette personne n'est pas dans votre périmètre."})
        ticket = services.ticket_create(by=request.user, requester=requester, **data)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReplySerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: Any = None) -> Response:
        ticket = self.get_object()
        incoming = ReplySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        saved = services.ticket_reply(by=request.user, ticket=ticket, **incoming.validated_data)
        return Response(TicketSerializer(saved).data)

    @extend_schema(request=EscalateSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: Any = None) -> Response:
        ticket = self.get_object()
        incoming = EscalateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        saved = services.ticket_escalate(by=request.user, ticket=ticket, **incoming.validated_data)
        return Response(TicketSerializer(saved).data)


class ArticleSerializer(ObjectSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    workstreams = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Article
        fields = [
            "id",
            "programme",
            "question",
            "answer",
            "workstreams",
            "audience",
            "review",
            "valid_from",
            "valid_until",
            "author_name",
            "useful_count",
            "version",
            "updated_at",
        ]


class ArticleFilters(serializers.Serializer):  # type: ignore[type-arg]
    programme = serializers.CharField(required=False, max_length=40, help_text="code du programme")
    q = serializers.CharField(required=False, max_length=SEARCH_MAX, help_text="recherche plein texte")


class ArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Knowledge-base articles: published ones for everybody with a perimeter, drafts for their writers too."""

    model = Article
    serializer_class = ArticleSerializer
    filter_serializer = ArticleFilters

    def get_queryset(self) -> QuerySet[Article]:
        articles = (
            Article.objects.visible_to(self.request.user)
            .select_related("programme")
            .prefetch_related("workstreams")
        )
        filters = self.filters()
        if filters.get("programme"):
            articles = articles.filter(programme__code=filters["programme"])
        if filters.get("q"):
            programme = Programme.objects.filter(code=filters.get("programme", "")).first()
            found = selectors.kb_search(user=self.request.user, query=filters["q"], programme=programme)[
                "articles"
            ]
            return articles.filter(pk__in=[a.pk for a in found])
        return articles.order_by("-useful_count", "question")


__all__ = ["ArticleViewSet", "TicketViewSet", "knowledge"]

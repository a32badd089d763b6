"""JSON API of surveys: /api/v1/surveys/questionnaires/ (with their questions), /api/v1/surveys/surveys/ (calendar,
recipients and response rate) and /api/v1/surveys/answers/ (each structure's answer, within the perimeter)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from bascule.core.api import ObjectSerializer, PerimeterViewSet
from bascule.surveys.models import Answer, Question, Questionnaire, Survey
from bascule.surveys.services import SURVEY_FIELDS


class QuestionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    section = serializers.CharField(source="section.title", read_only=True)
    condition_on = serializers.CharField(source="condition_on.code", read_only=True, allow_null=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True, allow_null=True)

    class Meta:
        model = Question
        fields = [
            "code",
            "section",
            "text",
            "help",
            "kind",
            "required",
            "choices",
            "other",
            "unit",
            "minimum",
            "maximum",
            "rows",
            "columns",
            "condition_on",
            "condition_value",
            "indicator",
        ]


class QuestionnaireSerializer(ObjectSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    previous = serializers.UUIDField(source="previous_id", read_only=True, allow_null=True)
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Questionnaire
        fields = [
            "id",
            "programme",
            "title",
            "description",
            "edition",
            "previous",
            "sent_at",
            "questions",
            "version",
        ]


class SurveySerializer(ObjectSerializer):
    questionnaire = serializers.UUIDField(source="questionnaire_id", read_only=True)
    perimeter = serializers.CharField(source="root.code", read_only=True, allow_null=True)
    asked = serializers.IntegerField(read_only=True)
    submitted = serializers.IntegerField(read_only=True)
    response_rate = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        # The service's one list; its `root` is shown as `perimeter` (the structure's code).
        fields = [
            "id",
            "questionnaire",
            *(name if name != "root" else "perimeter" for name in SURVEY_FIELDS),
            "state",
            "asked",
            "submitted",
            "response_rate",
            "version",
        ]

    @extend_schema_field(serializers.FloatField())
    def get_response_rate(self, survey: Any) -> float:
        """Submitted answers among the structures asked that the user sees, in %."""
        return round(100 * survey.submitted / survey.asked, 1) if survey.asked else 0.0


class AnswerSerializer(ObjectSerializer):
    survey = serializers.UUIDField(source="survey_id", read_only=True)
    structure = serializers.CharField(source="structure.code", read_only=True)
    values = serializers.SerializerMethodField()

    class Meta:
        model = Answer
        fields = ["id", "survey", "structure", "state", "values", "submitted_at", "on_behalf", "version"]

    @extend_schema_field(serializers.DictField())
    def get_values(self, answer: Answer) -> dict[str, Any]:
        return dict(answer.values) if answer.state != Answer.State.PENDING else {}


class SurveyFilters(serializers.Serializer):  # type: ignore[type-arg]
    programme = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="code du programme"
    )
    state = serializers.ChoiceField(choices=Survey.State.choices, required=False, allow_blank=True)


class AnswerFilters(serializers.Serializer):  # type: ignore[type-arg]
    survey = serializers.UUIDField(required=False, allow_null=True, help_text="identifiant de l'enquête")
    state = serializers.ChoiceField(choices=Answer.State.choices, required=False, allow_blank=True)


class QuestionnaireViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Questionnaires with their questions (codes stable across editions)."""

    model = Questionnaire
    serializer_class = QuestionnaireSerializer

    def get_queryset(self) -> QuerySet[Questionnaire]:
        return (
            Questionnaire.objects.visible_to(self.request.user)
            .select_related("programme__owner")
            .prefetch_related("questions__section", "questions__condition_on", "questions__indicator")
            .order_by("title", "edition")
        )


class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Surveys: recipients, calendar and response rate (answers counted within the user's perimeter)."""

    model = Survey
    serializer_class = SurveySerializer
    filter_serializer = SurveyFilters

    def get_queryset(self) -> QuerySet[Survey]:
        seen = Answer.objects.visible_to(self.request.user).values("pk")
        qs = (
            Survey.objects.visible_to(self.request.user)
            .select_related("questionnaire__programme__owner", "root")
            .annotate(
                asked=Count("answers", filter=Q(answers__in=seen)),
                submitted=Count("answers", filter=Q(answers__in=seen, answers__state=Answer.State.SUBMITTED)),
            )
        )
        filters = self.filters()
        if programme := filters.get("programme"):
            qs = qs.filter(questionnaire__programme__code=programme)
        if state := filters.get("state"):
            qs = qs.filter(state=state)
        return qs.order_by("-opens_on", "title")


class AnswerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PerimeterViewSet):
    """Each structure's answer, for the structures the user sees."""

    model = Answer
    serializer_class = AnswerSerializer
    filter_serializer = AnswerFilters

    def get_queryset(self) -> QuerySet[Answer]:
        qs = Answer.objects.visible_to(self.request.user).select_related(
            "structure", "survey__questionnaire__programme__owner"
        )
        filters = self.filters()
        if survey := filters.get("survey"):
            qs = qs.filter(survey_id=survey)
        if state := filters.get("state"):
            qs = qs.filter(state=state)
        return qs.order_by("survey__opens_on", "structure__code")

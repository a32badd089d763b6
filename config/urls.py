"""Bascule's URLs: pages by module, the JSON API under /api/v1/, the health check, the admin."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from bascule.accounts.api import TokenView
from bascule.assistance.api import ArticleViewSet, TicketViewSet
from bascule.committees.api import DecisionViewSet, MeetingViewSet
from bascule.core.views import healthz
from bascule.indicators.api import IndicatorViewSet
from bascule.organisation.api import (
    AssignmentViewSet,
    PersonViewSet,
    RoleViewSet,
    ServiceLinkViewSet,
    StructureViewSet,
)
from bascule.programmes.api import ActionViewSet, ProgrammeViewSet, WaveViewSet, WorkstreamViewSet
from bascule.reprise.api import TakeoverRunViewSet
from bascule.sizing.api import CostComparisonViewSet, SizingViewSet
from bascule.surveys.api import AnswerViewSet, QuestionnaireViewSet, SurveyViewSet
from bascule.training.api import SessionViewSet, TrainingPlanViewSet

router = DefaultRouter()
router.register("structures", StructureViewSet, basename="structure")
router.register("people", PersonViewSet, basename="person")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("roles", RoleViewSet, basename="role")
router.register("service-links", ServiceLinkViewSet, basename="servicelink")
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("waves", WaveViewSet, basename="wave")
router.register("workstreams", WorkstreamViewSet, basename="workstream")
router.register("actions", ActionViewSet, basename="action")
router.register("committees", MeetingViewSet, basename="committee")
router.register("decisions", DecisionViewSet, basename="decision")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("sizing/sizings", SizingViewSet, basename="sizing")
router.register("sizing/costs", CostComparisonViewSet, basename="costcomparison")
router.register("surveys/questionnaires", QuestionnaireViewSet, basename="questionnaire")
router.register("surveys/surveys", SurveyViewSet, basename="survey")
router.register("surveys/answers", AnswerViewSet, basename="answer")
router.register("training/plans", TrainingPlanViewSet, basename="trainingplan")
router.register("training/sessions", SessionViewSet, basename="session")
router.register("takeover/runs", TakeoverRunViewSet, basename="takeoverrun")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("kb", ArticleViewSet, basename="article")

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("compte/", include("bascule.accounts.urls")),
    path("organisation/", include("bascule.organisation.urls")),
    path("programmes/", include("bascule.programmes.urls")),
    path("comites/", include("bascule.committees.urls")),
    path("indicateurs/", include("bascule.indicators.urls")),
    path("tableau-de-bord/", include("bascule.dashboard.urls")),
    path("dimensionnement/", include("bascule.sizing.urls")),
    path("enquetes/", include("bascule.surveys.urls")),
    path("formation/", include("bascule.training.urls")),
    path("reprise/", include("bascule.reprise.urls")),
    path("assistance/", include("bascule.assistance.urls")),
    path("api/v1/", include((api_urlpatterns, "api"))),
    path("", include("bascule.core.urls")),
]

from django.urls import path

from bascule.sizing import views

app_name = "sizing"

urlpatterns = [
    path("", views.sizing_list, name="sizing_list"),
    path("nouveau/", views.sizing_create, name="sizing_create"),
    path("<uuid:sizing_id>/", views.sizing_detail, name="sizing_detail"),
    path("<uuid:sizing_id>/annexe/", views.sizing_annex, name="sizing_annex"),
    path("<uuid:sizing_id>/parametres/", views.sizing_edit, name="sizing_edit"),
    path("<uuid:sizing_id>/scenario/", views.scenario_create, name="scenario_create"),
    path("<uuid:sizing_id>/comparer/", views.sizing_compare, name="sizing_compare"),
    path("<uuid:sizing_id>/effectifs/", views.sizing_staffing, name="sizing_staffing"),
    path("<uuid:sizing_id>/importer/", views.sizing_import, name="sizing_import"),
    path("<uuid:sizing_id>/centres/<uuid:structure_id>/", views.sizing_centre, name="sizing_centre"),
    path(
        "<uuid:sizing_id>/centres/<uuid:structure_id>/exception/",
        views.centre_exception,
        name="centre_exception",
    ),
    path("couts/nouveau/", views.cost_create, name="cost_create"),
    path("couts/<uuid:costcomparison_id>/", views.cost_detail, name="cost_detail"),
    path("couts/<uuid:costcomparison_id>/importer/", views.cost_import, name="cost_import"),
    path(
        "couts/<uuid:costcomparison_id>/lignes/<uuid:costline_id>/supprimer/",
        views.cost_line_delete,
        name="cost_line_delete",
    ),
]

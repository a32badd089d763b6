from django.urls import path

from bascule.training import views

app_name = "training"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("<uuid:trainingplan_id>/", views.plan_detail, name="plan_detail"),
    path("<uuid:trainingplan_id>/planifier/", views.plan_schedule, name="plan_schedule"),
    path("<uuid:trainingplan_id>/publier/", views.plan_publish, name="plan_publish"),
    path("<uuid:trainingplan_id>/importer/", views.plan_import, name="plan_import"),
    path("sessions/<uuid:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<uuid:session_id>/feuille/", views.session_sheet, name="session_sheet"),
]

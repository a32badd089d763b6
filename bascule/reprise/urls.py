from django.urls import path

from bascule.reprise import views

app_name = "reprise"

urlpatterns = [
    path("", views.run_list, name="run_list"),
    path("nouvelle/", views.run_create, name="run_create"),
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("correspondances/nouvelle/", views.mapping_create, name="mapping_create"),
    path("correspondances/<uuid:headermapping_id>/", views.mapping_edit, name="mapping_edit"),
    path("<uuid:takeoverrun_id>/", views.run_detail, name="run_detail"),
    path("<uuid:takeoverrun_id>/anomalies/", views.run_anomalies, name="run_anomalies"),
    path("<uuid:takeoverrun_id>/rapprochement/", views.run_report, name="run_report"),
    path("<uuid:takeoverrun_id>/ressaisie/", views.run_rekeys, name="run_rekeys"),
    path("ressaisie/<uuid:rekey_id>/", views.rekey_mark, name="rekey_mark"),
]

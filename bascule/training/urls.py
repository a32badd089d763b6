from django.urls import path

from bascule.training import views

app_name = "training"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("nouveau/", views.plan_create, name="plan_create"),
    path("<uuid:trainingplan_id>/", views.plan_detail, name="plan_detail"),
    path("<uuid:trainingplan_id>/modifier/", views.plan_edit, name="plan_edit"),
    path("<uuid:trainingplan_id>/planifier/", views.plan_schedule, name="plan_schedule"),
    path("<uuid:trainingplan_id>/publier/", views.plan_publish, name="plan_publish"),
    path("<uuid:trainingplan_id>/importer/", views.plan_import, name="plan_import"),
    path("<uuid:trainingplan_id>/recensement/", views.census, name="census"),
    path("<uuid:trainingplan_id>/recensement/ajouter/", views.trainee_add, name="trainee_add"),
    path("<uuid:trainingplan_id>/salles/ajouter/", views.room_add, name="room_add"),
    path("<uuid:trainingplan_id>/formateurs/ajouter/", views.trainer_add, name="trainer_add"),
    path("stagiaires/<uuid:trainee_id>/", views.trainee_edit, name="trainee_edit"),
    path("salles/<uuid:room_id>/", views.room_edit, name="room_edit"),
    path("formateurs/<uuid:trainer_id>/", views.trainer_edit, name="trainer_edit"),
    path("programmes/<uuid:programme_id>/cours/", views.course_list, name="course_list"),
    path("programmes/<uuid:programme_id>/cours/nouveau/", views.course_create, name="course_create"),
    path("cours/<uuid:course_id>/", views.course_edit, name="course_edit"),
    path("sessions/<uuid:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<uuid:session_id>/modifier/", views.session_edit, name="session_edit"),
    path("sessions/<uuid:session_id>/feuille/", views.session_sheet, name="session_sheet"),
]

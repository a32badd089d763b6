from django.urls import path

from bascule.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="survey_list"),
    path("mes-demandes/", views.my_requests, name="my_requests"),
    path("structures/<uuid:structure_id>/", views.structure_requests, name="structure_requests"),
    path("questionnaires/nouveau/", views.questionnaire_create, name="questionnaire_create"),
    path("questionnaires/<uuid:questionnaire_id>/", views.questionnaire_detail, name="questionnaire_detail"),
    path(
        "questionnaires/<uuid:questionnaire_id>/modifier/",
        views.questionnaire_edit,
        name="questionnaire_edit",
    ),
    path("questionnaires/<uuid:questionnaire_id>/sections/", views.section_add, name="section_add"),
    path("questionnaires/<uuid:questionnaire_id>/questions/", views.question_add, name="question_add"),
    path(
        "questionnaires/<uuid:questionnaire_id>/edition/",
        views.questionnaire_new_edition,
        name="questionnaire_new_edition",
    ),
    path("questionnaires/<uuid:questionnaire_id>/envoyer/", views.survey_create, name="survey_create"),
    path("questions/<uuid:question_id>/", views.question_edit, name="question_edit"),
    path("questions/<uuid:question_id>/supprimer/", views.question_delete, name="question_delete"),
    path("<uuid:survey_id>/", views.survey_detail, name="survey_detail"),
    path("<uuid:survey_id>/modifier/", views.survey_edit, name="survey_edit"),
    path("<uuid:survey_id>/envoyer/", views.survey_open, name="survey_open"),
    path("<uuid:survey_id>/relancer/", views.survey_remind, name="survey_remind"),
    path("<uuid:survey_id>/clore/", views.survey_close, name="survey_close"),
    path("<uuid:survey_id>/resultats/", views.survey_results, name="survey_results"),
    path("<uuid:survey_id>/themes/", views.theme_add, name="theme_add"),
    path("<uuid:survey_id>/synthese/", views.survey_summary, name="survey_summary"),
    path("<uuid:survey_id>/importer/", views.survey_import, name="survey_import"),
    path("reponses/<uuid:answer_id>/", views.answer_detail, name="answer_detail"),
    path("reponses/<uuid:answer_id>/rouvrir/", views.answer_reopen, name="answer_reopen"),
    path("reponses/<uuid:answer_id>/themes/", views.answer_tag, name="answer_tag"),
    path("lien/<str:token>/", views.public_answer, name="public_answer"),
]

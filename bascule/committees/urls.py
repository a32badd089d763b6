from django.urls import path

from bascule.committees import views

app_name = "committees"

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("nouvelle/", views.meeting_create, name="meeting_create"),
    path("<uuid:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("<uuid:meeting_id>/modifier/", views.meeting_edit, name="meeting_edit"),
    path("<uuid:meeting_id>/participants/", views.meeting_attendees, name="meeting_attendees"),
    path("<uuid:meeting_id>/ordre-du-jour/", views.agenda_item_add, name="agenda_item_add"),
    path("<uuid:meeting_id>/decisions/", views.decision_add, name="decision_add"),
    path("<uuid:meeting_id>/figer/", views.snapshot_take, name="snapshot_take"),
    path("<uuid:meeting_id>/comparer/", views.meeting_compare, name="meeting_compare"),
    path("<uuid:meeting_id>/etat/", views.meeting_state, name="meeting_state"),
    path("<uuid:meeting_id>/releve/", views.meeting_report, name="meeting_report"),
    path("decisions/<uuid:decision_id>/suivi/", views.decision_follow_up, name="decision_follow_up"),
]

urlpatterns += [
    path("campagnes/", views.campaign_list, name="campaign_list"),
    path("campagnes/nouvelle/", views.campaign_create, name="campaign_create"),
    path("campagnes/<uuid:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campagnes/<uuid:campaign_id>/ouvrir/", views.campaign_open, name="campaign_open"),
    path("campagnes/<uuid:campaign_id>/clore/", views.campaign_close, name="campaign_close"),
    path("demandes/<uuid:updaterequest_id>/", views.request_detail, name="request_detail"),
    path("demandes/<uuid:updaterequest_id>/avancement/", views.request_progress, name="request_progress"),
    path("demandes/<uuid:updaterequest_id>/reponse/", views.request_answer, name="request_answer"),
    path("demandes/<uuid:updaterequest_id>/examen/", views.request_review, name="request_review"),
]

from django.urls import path

from bascule.assistance import views, views_kb

app_name = "assistance"

urlpatterns = [
    path("", views.ticket_list, name="ticket_list"),
    path("nouvelle-demande/", views.ticket_create, name="ticket_create"),
    path("telephone/", views.phone_intake, name="phone_intake"),
    path("telephone/personnes/", views.people_search, name="people_search"),
    path("suggestions/", views.suggest, name="suggest"),
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("tickets/<uuid:ticket_id>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<uuid:ticket_id>/prendre/", views.ticket_take, name="ticket_take"),
    path("tickets/<uuid:ticket_id>/repondre/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<uuid:ticket_id>/note/", views.ticket_note, name="ticket_note"),
    path("tickets/<uuid:ticket_id>/escalader/", views.ticket_escalate, name="ticket_escalate"),
    path(
        "tickets/<uuid:ticket_id>/reponse-au-niveau-1/", views.ticket_answer_down, name="ticket_answer_down"
    ),
    path("tickets/<uuid:ticket_id>/clore/", views.ticket_close, name="ticket_close"),
    path("tickets/<uuid:ticket_id>/rouvrir/", views.ticket_reopen, name="ticket_reopen"),
    path("tickets/<uuid:ticket_id>/ma-reponse/", views.ticket_requester_reply, name="ticket_requester_reply"),
    path("tickets/<uuid:ticket_id>/satisfaction/", views.ticket_rate, name="ticket_rate"),
    path("tickets/<uuid:ticket_id>/anomalie/", views.ticket_link_anomaly, name="ticket_link_anomaly"),
    path("tickets/<uuid:ticket_id>/en-article/", views.ticket_to_article, name="ticket_to_article"),
    path(
        "tickets/<uuid:ticket_id>/article/<uuid:article_id>/utile/",
        views.ticket_article_useful,
        name="ticket_article_useful",
    ),
    path("pieces-jointes/<uuid:attachment_id>/", views.attachment_download, name="attachment_download"),
    path("base-de-connaissances/", views_kb.kb_list, name="kb_list"),
    path("articles/nouveau/", views_kb.article_create, name="article_create"),
    path("articles/<uuid:article_id>/", views_kb.article_detail, name="article_detail"),
    path("articles/<uuid:article_id>/modifier/", views_kb.article_edit, name="article_edit"),
    path("faq/<uuid:programme_id>/", views_kb.faq_public, name="faq_public"),
    path("avis/<str:token>/", views_kb.satisfaction, name="satisfaction"),
    path("anomalies/", views_kb.anomaly_list, name="anomaly_list"),
    path("anomalies/nouvelle/", views_kb.anomaly_create, name="anomaly_create"),
    path("anomalies/<uuid:anomaly_id>/", views_kb.anomaly_edit, name="anomaly_edit"),
    path("boites/", views_kb.mailbox_list, name="mailbox_list"),
    path("boites/nouvelle/", views_kb.mailbox_create, name="mailbox_create"),
    path("boites/<uuid:mailbox_id>/", views_kb.mailbox_edit, name="mailbox_edit"),
    path("niveaux-de-service/<uuid:programme_id>/", views_kb.policy_edit, name="policy_edit"),
]

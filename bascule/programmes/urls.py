from django.urls import path

from bascule.programmes import views, views_setup

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("nouveau/", views_setup.programme_create, name="programme_create"),
    path("<uuid:programme_id>/modifier/", views_setup.programme_edit, name="programme_edit"),
    path("<uuid:programme_id>/cloture/", views_setup.programme_close, name="programme_close"),
    path("<uuid:programme_id>/copie/", views_setup.programme_copy, name="programme_copy"),
    path("<uuid:programme_id>/documents/", views_setup.document_deposit, name="document_deposit"),
    path("documents/<uuid:programmedocument_id>/", views_setup.document_download, name="document_download"),
    path("<uuid:programme_id>/vagues/nouvelle/", views_setup.wave_create, name="wave_create"),
    path("vagues/<uuid:wave_id>/", views_setup.wave_edit, name="wave_edit"),
    path("vagues/<uuid:wave_id>/deplacer/", views_setup.wave_move, name="wave_move"),
    path("vagues/<uuid:wave_id>/supprimer/", views_setup.wave_delete, name="wave_delete"),
    path("vagues/<uuid:wave_id>/instancier/", views_setup.wave_instantiate, name="wave_instantiate"),
    path("<uuid:programme_id>/", views.programme_detail, name="programme_detail"),
    path("<uuid:programme_id>/calendrier/", views.programme_timeline, name="programme_timeline"),
    path("<uuid:programme_id>/regions/<uuid:structure_id>/", views.region_detail, name="region_detail"),
    path("modeles/<uuid:workstreamtemplate_id>/elements/", views.template_item_add, name="template_item_add"),
    path("chantiers/<uuid:workstream_id>/", views.workstream_detail, name="workstream_detail"),
    path("chantiers/<uuid:workstream_id>/modifier/", views.workstream_edit, name="workstream_edit"),
    path("chantiers/<uuid:workstream_id>/fiche/", views.workstream_sheet, name="workstream_sheet"),
    path("chantiers/<uuid:workstream_id>/accepter/", views.workstream_accept, name="workstream_accept"),
    path("<uuid:programme_id>/decisions/", views.decision_add, name="decision_add"),
    path("<uuid:programme_id>/instancier/", views.programme_instantiate, name="programme_instantiate"),
    path("livrables/<uuid:instanceitem_id>/depot/", views.deliverable_deposit, name="deliverable_deposit"),
    path("elements/<uuid:instanceitem_id>/echeance/", views.item_schedule, name="item_schedule"),
    path(
        "livrables/versions/<uuid:deliverableversion_id>/",
        views.deliverable_download,
        name="deliverable_download",
    ),
    path(
        "livrables/versions/<uuid:deliverableversion_id>/validation/",
        views.deliverable_validate,
        name="deliverable_validate",
    ),
    path("actions/", views.action_list, name="action_list"),
    path("actions/import/", views.action_import, name="action_import"),
    path("actions/nouvelle/", views.action_create, name="action_create"),
    path("actions/<uuid:action_id>/", views.action_detail, name="action_detail"),
    path("actions/<uuid:action_id>/modifier/", views.action_edit, name="action_edit"),
    path("actions/<uuid:action_id>/avancement/", views.progress_add, name="progress_add"),
]

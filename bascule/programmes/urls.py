from django.urls import path

from bascule.programmes import views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("<uuid:programme_id>/", views.programme_detail, name="programme_detail"),
    path("modeles/<uuid:workstreamtemplate_id>/elements/", views.template_item_add, name="template_item_add"),
    path("chantiers/<uuid:workstream_id>/", views.workstream_detail, name="workstream_detail"),
    path("chantiers/<uuid:workstream_id>/modifier/", views.workstream_edit, name="workstream_edit"),
    path("chantiers/<uuid:workstream_id>/accepter/", views.workstream_accept, name="workstream_accept"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/import/", views.action_import, name="action_import"),
    path("actions/<uuid:action_id>/", views.action_detail, name="action_detail"),
    path("actions/<uuid:action_id>/modifier/", views.action_edit, name="action_edit"),
    path("actions/<uuid:action_id>/avancement/", views.progress_add, name="progress_add"),
]

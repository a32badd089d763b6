from django.urls import path

from bascule.organisation import views, views_links

app_name = "organisation"

urlpatterns = [
    path("structures/", views.structure_tree, name="structure_tree"),
    path("structures/liste/", views.structure_list, name="structure_list"),
    path("structures/nouvelle/", views.structure_create, name="structure_create"),
    path("structures/<uuid:structure_id>/", views.structure_detail, name="structure_detail"),
    path("structures/<uuid:structure_id>/modifier/", views.structure_edit, name="structure_edit"),
    path(
        "structures/<uuid:structure_id>/sous-structures/", views.structure_children, name="structure_children"
    ),
    path("personnes/", views.person_list, name="person_list"),
    path("personnes/nouvelle/", views.person_create, name="person_create"),
    path("personnes/<uuid:person_id>/", views.person_detail, name="person_detail"),
    path("personnes/<uuid:person_id>/modifier/", views.person_edit, name="person_edit"),
    path(
        "personnes/<uuid:person_id>/affectations/nouvelle/", views.assignment_create, name="assignment_create"
    ),
    path("affectations/<uuid:assignment_id>/modifier/", views.assignment_edit, name="assignment_edit"),
    path("droits/", views.grant_log, name="grant_log"),
    path("roles/", views_links.role_list, name="role_list"),
    path("roles/nouveau/", views_links.role_create, name="role_create"),
    path("roles/<uuid:roledefinition_id>/", views_links.role_edit, name="role_edit"),
    path("roles/<uuid:roledefinition_id>/retirer/", views_links.role_delete, name="role_delete"),
    path("liens/", views_links.service_link_list, name="service_link_list"),
    path("liens/nouveau/", views_links.service_link_create, name="service_link_create"),
    path("liens/<uuid:servicelink_id>/", views_links.service_link_detail, name="service_link_detail"),
    path("liens/<uuid:servicelink_id>/modifier/", views_links.service_link_edit, name="service_link_edit"),
    path("liens/<uuid:servicelink_id>/contrat/", views_links.contract_deposit, name="contract_deposit"),
    path("contrats/<uuid:contractversion_id>/", views_links.contract_download, name="contract_download"),
    path("import/", views.import_start, name="import"),
    path("import/modele/<slug:importer>.<slug:fmt>", views.import_template, name="import_template"),
]

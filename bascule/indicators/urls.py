from django.urls import path

from bascule.indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.indicator_list, name="indicator_list"),
    path("nouveau/", views.indicator_create, name="indicator_create"),
    path("<uuid:indicator_id>/", views.indicator_detail, name="indicator_detail"),
    path("<uuid:indicator_id>/modifier/", views.indicator_edit, name="indicator_edit"),
    path("<uuid:indicator_id>/actions/", views.indicator_actions, name="indicator_actions"),
    path("<uuid:indicator_id>/mesures/", views.measurement_add, name="measurement_add"),
]

from django.urls import path

from bascule.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("traitements/", views.taskrun_list, name="taskrun_list"),
    path("traitements/<uuid:taskrun_id>/", views.taskrun_detail, name="taskrun_detail"),
    path("traitements/<uuid:taskrun_id>/appliquer/", views.taskrun_apply, name="taskrun_apply"),
    path("traitements/<uuid:taskrun_id>/relancer/", views.taskrun_restart, name="taskrun_restart"),
    path("traitements/<uuid:taskrun_id>/document/", views.taskrun_download, name="taskrun_download"),
]

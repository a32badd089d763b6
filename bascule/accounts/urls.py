from django.contrib.auth import views as auth_views
from django.urls import path

from bascule.accounts import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oubli/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/oubli/envoye/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/fait/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("mot-de-passe/changer/", views.PasswordChangeView.as_view(), name="password_change"),
    path("", views.account, name="account"),
    path("resume-quotidien/", views.daily_digest, name="daily_digest"),
    path("jeton/nouveau/", views.token_regenerate, name="token_regenerate"),
    path("jeton/supprimer/", views.token_revoke, name="token_revoke"),
]

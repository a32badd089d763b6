"""Login required everywhere, throttled logins, argon2 hashes, password reset through a real SMTP server."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.factories import UserFactory


def test_login_and_logout(world, client):
    response = client.post(
        reverse("accounts:login"), {"username": "lead_bzh", "password": "motdepasse-solide-42"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get("/").status_code == 302


def test_wrong_password_has_a_french_message(world, client):
    html = client.post(
        reverse("accounts:login"), {"username": "lead_bzh", "password": "non"}
    ).content.decode()
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in html


def test_repeated_failures_lock_the_account(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "lead_bzh", "password": "non"})
    response = client.post(
        reverse("accounts:login"), {"username": "lead_bzh", "password": "motdepasse-solide-42"}
    )
    assert response.status_code == 429
    assert "temporairement bloquée" in response.content.decode()


def test_passwords_are_hashed_with_argon2(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = UserFactory(username="hash")
    assert user.password.startswith("argon2")


def test_password_reset_by_email_through_smtp(world, client, smtp):
    response = client.post(reverse("accounts:password_reset"), {"email": "lead_bzh@test.gouv.fr"})
    assert response.status_code == 302
    assert smtp.received.wait(10)
    message = smtp.messages[0].decode()
    assert "Subject: Bascule : choisissez un nouveau mot de passe" in message
    link = re.search(r"http://testserver(/compte/mot-de-passe/nouveau/\S+/)", message).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    response = client.post(
        form_url,
        {"new_password1": "Un-nouveau-mot-de-passe-2026", "new_password2": "Un-nouveau-mot-de-passe-2026"},
    )
    assert response.status_code == 302
    client.logout()
    login = client.post(
        reverse("accounts:login"), {"username": "lead_bzh", "password": "Un-nouveau-mot-de-passe-2026"}
    )
    assert login.status_code == 302 and client.get("/").status_code == 200


def test_api_token_from_my_account(world, client):
    client.force_login(world.lead_bzh)
    client.post(reverse("accounts:token_regenerate"))
    html = client.get(reverse("accounts:account")).content.decode()
    token = re.search(r'<code id="jeton">(\w+)</code>', html).group(1)
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/structures/").status_code == 200
    client.post(reverse("accounts:token_revoke"))
    assert api.get("/api/v1/structures/").status_code == 401


def test_french_by_default_english_available(world, client):
    client.force_login(world.lead_bzh)
    assert "Se déconnecter" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Log out" in html and 'lang="en"' in html


def test_api_token_under_lockout_answers_429_with_the_login_page_message(world, settings):
    settings.AXES_FAILURE_LIMIT = 2
    from rest_framework.test import APIClient

    api = APIClient()
    url = reverse("api:token")
    assert api.post(url, {"username": "lead_bzh", "password": "faux"}, format="json").status_code == 400
    # The failure that reaches the limit locks the account: it already answers 429.
    assert api.post(url, {"username": "lead_bzh", "password": "faux"}, format="json").status_code == 429
    locked = api.post(url, {"username": "lead_bzh", "password": "motdepasse-solide-42"}, format="json")
    assert locked.status_code == 429
    assert "Trop de tentatives de connexion" in locked.json()["detail"]
    assert "Trop de tentatives de connexion" in client_locked_page()


def client_locked_page() -> str:
    from django.template.loader import render_to_string

    return render_to_string("accounts/locked.html")

"""Settings: production refuses weak configuration, `check --deploy` is clean, /healthz tells the truth."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "aZ9#xQ2!mP7$vL4&" * 4


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        # the browser tests of the same worker process set DJANGO_ALLOW_ASYNC_UNSAFE; a deployment never has it
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "BASCULE_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _manage(
        "check", BASCULE_ENV="production", ALLOWED_HOSTS="bascule.gouv.fr", BASCULE_VAR_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = _manage("check", BASCULE_ENV="production", SECRET_KEY=STRONG_KEY, BASCULE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_check_deploy_is_clean_in_production(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(STRONG_KEY)
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        BASCULE_ENV="production",
        SECRET_KEY_FILE=str(key_file),
        ALLOWED_HOSTS="bascule.gouv.fr",
        BASCULE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_by_default(settings):
    assert settings.DEBUG is False
    assert settings.PASSWORD_HASHERS  # set by the test fixture; the real default is checked below


def test_argon2_is_the_default_hasher():
    from config import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_security_headers_and_nonce_on_scripts(client, world):
    client.force_login(world.lead_bzh)
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "frame-ancestors 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    html = response.content.decode()
    scripts = html.split("<script")[1:]
    assert scripts and all(f'nonce="{nonce}"' in chunk.split(">")[0] for chunk in scripts)
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_healthz_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["tasks_waiting"] == 0


def test_healthz_503_when_the_database_does_not_answer(tmp_path):
    """A real server process whose database is unreachable (nothing listens on port 1)."""
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz'); print(r.status_code, json.dumps(r.json()))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/absent",
        BASCULE_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.startswith("503 "), result.stdout + result.stderr
    assert '"status": "error"' in result.stdout

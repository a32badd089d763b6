"""Uploads: refused at the form when too large, named as the user named them, removed once their run is done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bascule.core.models import TaskRun
from bascule.core.services import taskrun_purge_uploads, taskrun_start
from bascule.programmes.models import Programme
from tests.conftest import run_worker

CSV = b"Code;Nom;Type;Rattachement\nSVC-9;Service neuf;Service;D29\n"


@pytest.mark.parametrize("page", ["programmes:action_import", "organisation:import"])
def test_upload_pages_refuse_a_file_over_the_limit(world, client, settings, page):
    settings.BASCULE_IMPORT_MAX_BYTES = 1000
    client.force_login(world.national)
    data = {
        "programme": Programme.objects.get().pk,
        "importer": "organisation.structures",
        "file": SimpleUploadedFile("gros.csv", b"Code;Nom\n" + b"A;B\n" * 400),
    }
    response = client.post(reverse(page), data)
    assert response.status_code == 200 and "dépasse" in response.content.decode()
    assert not TaskRun.objects.filter(owner=world.national).exists()


def _storage_has(run: TaskRun, name: str) -> bool:
    return bool(name) and run.input_file.storage.exists(name)


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_names_the_users_file_and_removes_it(world):
    run = taskrun_start(
        kind="import",
        label="Aperçu",
        owner=world.lead_bzh,
        input_file=SimpleUploadedFile("garbage.xlsx", b"PK\x03\x04 pas un classeur"),
        params={"importer": "organisation.structures", "mode": "preview"},
    )
    stored = run.input_file.name
    assert stored.startswith("task_inputs/") and _storage_has(run, stored)
    run_worker()
    run.refresh_from_db()
    assert run.status == TaskRun.Status.FAILED
    assert "garbage.xlsx" in run.error and "task_inputs" not in run.error
    assert not _storage_has(run, stored) and run.input_file.name == ""


@pytest.mark.django_db(transaction=True)
def test_a_preview_keeps_its_file_for_the_apply_which_removes_it(world, client):
    preview = taskrun_start(
        kind="import",
        label="Aperçu",
        owner=world.lead_bzh,
        input_file=SimpleUploadedFile("structures.csv", CSV),
        params={"importer": "organisation.structures", "mode": "preview"},
    )
    stored = preview.input_file.name
    run_worker()
    preview.refresh_from_db()
    assert preview.status == TaskRun.Status.SUCCEEDED and _storage_has(preview, stored)
    client.force_login(world.lead_bzh)
    client.post(reverse("core:taskrun_apply", args=[preview.pk]))
    run_worker()
    apply = TaskRun.objects.get(params__mode="apply")
    assert apply.status == TaskRun.Status.SUCCEEDED, apply.error
    assert not _storage_has(apply, stored)
    # Applying the same preview again: the file is gone, the run says so in French.
    client.post(reverse("core:taskrun_apply", args=[preview.pk]))
    run_worker()
    again = TaskRun.objects.filter(params__mode="apply").order_by("-created_at").first()
    assert again.status == TaskRun.Status.FAILED and "n'est plus conservé" in again.error


@pytest.mark.django_db(transaction=True)
def test_unapplied_previews_lose_their_file_after_a_day(world):
    preview = taskrun_start(
        kind="import",
        label="Aperçu",
        owner=world.lead_bzh,
        input_file=SimpleUploadedFile("structures.csv", CSV),
        params={"importer": "organisation.structures", "mode": "preview"},
    )
    stored = preview.input_file.name
    run_worker()
    TaskRun.objects.filter(pk=preview.pk).update(finished_at=timezone.now() - timedelta(hours=25))
    assert taskrun_purge_uploads() == 1
    assert not _storage_has(preview, stored)

"""A run never stays « en cours »: a workbook broken mid-way, or anything unexpected, ends it failed with a French
reason on the run and on its task (issue 24)."""

from __future__ import annotations

import io
import zipfile

import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bascule.core.exports import write_xlsx
from bascule.core.models import TaskRun
from bascule.core.services import taskrun_execute
from bascule.reprise import engine
from bascule.reprise.models import Kind, TakeoverRun
from tests.reprise.world import sample_files

pytestmark = pytest.mark.django_db


def _broken_xlsx(csv_bytes: bytes) -> bytes:
    """The commitments as an XLSX whose sheet XML is cut after a few rows (as a failed copy leaves it)."""
    frame = pl.read_csv(csv_bytes, separator=";", infer_schema=False)
    data = write_xlsx(frame.columns, frame.head(50).rows())
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                cut = content.index(b'<row r="5"')
                content = content[:cut] + b'<row r="5"><c r="A5" t="inlineStr"><is><t>bro'
            target.writestr(item, content)
    return buffer.getvalue()


def _launch(client, world, commitments: bytes, name: str, django_capture_on_commit_callbacks):
    files = sample_files()
    client.force_login(world.lead_bzh)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            reverse("reprise:run_create"),
            {
                "structure": world.bretagne.pk,
                "kind": "simulation",
                "commitments": SimpleUploadedFile(name, commitments),
                "third_parties": SimpleUploadedFile("tiers.csv", files["third_parties"]),
            },
        )
    task = TaskRun.objects.get(kind="reprise.run")
    taskrun_execute(taskrun_id=str(task.pk))
    task.refresh_from_db()
    return task, TakeoverRun.objects.filter(kind=Kind.SIMULATION).get()


def test_a_workbook_broken_mid_way_fails_the_run_in_french(world, client, django_capture_on_commit_callbacks):
    data = _broken_xlsx(sample_files()["commitments"])
    task, run = _launch(client, world, data, "engagements.xlsx", django_capture_on_commit_callbacks)
    assert run.status == TakeoverRun.Status.FAILED and task.status == TaskRun.Status.FAILED
    assert "endommagé après la ligne" in run.error and "engagements.xlsx" in run.error
    assert run.error in task.error
    assert "inattendue" not in task.error


def test_an_unexpected_error_fails_the_run_naming_its_step(
    world, client, django_capture_on_commit_callbacks, monkeypatch
):
    original = engine.run_engine

    def failing_engine(inputs, step):
        step(5, "Lecture des engagements")
        raise MemoryError

    monkeypatch.setattr("bascule.reprise.services.run_engine", failing_engine)
    task, run = _launch(
        client, world, sample_files()["commitments"], "engagements.csv", django_capture_on_commit_callbacks
    )
    assert original is not failing_engine
    assert run.status == TakeoverRun.Status.FAILED and task.status == TaskRun.Status.FAILED
    assert "« Lecture des engagements »" in run.error and "MemoryError" in run.error
    assert run.error in task.error and run.finished_at is not None
    page = client.get(reverse("reprise:run_detail", args=[run.pk])).content.decode()
    assert "Lecture des engagements" in page

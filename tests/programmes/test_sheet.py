"""The one-page « fiche chantier »: written in the background, for the reader, and opened as a PDF."""

from __future__ import annotations

import pypdfium2
from django.urls import reverse

from bascule.core.models import TaskRun
from bascule.core.services import taskrun_execute
from bascule.programmes.models import Workstream
from bascule.programmes.sheets import render_sheet, sheet_context


def test_the_sheet_fits_one_page_and_shows_items_and_actions(world):
    workstream = Workstream.objects.filter(structure=world.bretagne, template__number=4).get()
    pdf = render_sheet(sheet_context(user=world.lead_bzh, workstream=workstream))
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1
    text = document[0].get_textpage().get_text_range()
    assert workstream.template.name in text and "Jalons et livrables" in text and "Bretagne" in text


def test_the_sheet_is_downloaded_from_the_run_page(world, client):
    workstream = Workstream.objects.filter(structure=world.bretagne).first()
    client.force_login(world.reader_bzh)  # a reader may produce it: a read product
    response = client.post(reverse("programmes:workstream_sheet", args=[workstream.pk]))
    run = TaskRun.objects.get(kind="programmes.workstream_sheet")
    assert response["Location"] == reverse("core:taskrun_detail", args=[run.pk])
    taskrun_execute(taskrun_id=str(run.pk))
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED, run.error
    download = client.get(reverse("core:taskrun_download", args=[run.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    other = Workstream.objects.filter(structure=world.normandie).first()
    assert client.post(reverse("programmes:workstream_sheet", args=[other.pk])).status_code == 404

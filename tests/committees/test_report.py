"""The committee report: a PDF that opens and shows late actions, decisions and the chart; an ODT; both written in
the background for the reader's perimeter and downloaded from the run's page."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pypdfium2
from defusedxml import ElementTree
from django.urls import reverse

from bascule.committees.report import build_report, render_odt, render_pdf
from bascule.core.models import TaskRun
from bascule.core.services import taskrun_execute

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


def _png(width: int, height: int, rgb: bytes) -> bytes:
    """A PNG of raw RGB rows (written by hand: no imaging library needed)."""
    rows = b"".join(b"\x00" + rgb[y * width * 3 : (y + 1) * width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_the_pdf_shows_late_actions_decisions_and_the_chart(world):
    report = build_report(user=world.national, meeting=world.copil)
    assert report.frozen and report.total == 3
    # by deadline: "2020", "fin 2021", "T2 2024"
    assert [a["code"] for a in report.late] == ["3-1", "1-1", "2-1"]
    pdf = render_pdf(report)
    document = pypdfium2.PdfDocument(pdf)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    for expected in (
        "Actions en retard (3)",
        "Action normande",
        "Ouvrir la vague 2",
        "Actions par état",
        "Chantiers par état",
        "Indicateurs au 01/06/2025",
        "Agents formés : 57,5 %",  # (80 × 100 + 50 × 300) / 400, measured the day before
        "Données du graphique",
    ):
        assert expected in text, expected
    assert len(report.workstreams) == 7 and report.indicators[0]["chart"].startswith("<svg")
    bitmap = document[0].render(scale=1, rev_byteorder=True)  # RGB(A) bytes
    channels = bitmap.n_channels
    raw = bytes(bitmap.buffer)
    pixels = [raw[i : i + 3] for i in range(0, len(raw), channels)]
    blue = sum(1 for r, g, b in pixels if b > 120 and r < 40 and g < 40)  # the chart's bars (#000091)
    assert blue > 200
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "releve-comite-page1.png").write_bytes(_png(bitmap.width, bitmap.height, b"".join(pixels)))


def test_the_report_keeps_to_the_readers_perimeter(world):
    breton = build_report(user=world.lead_bzh, meeting=world.copil)
    assert [a["code"] for a in breton.late] == ["1-1", "2-1"]  # not the Norman action
    assert breton.campaigns and [r["region"] for r in breton.campaigns[0]["rates"]] == ["Bretagne"]
    assert breton.indicators[0]["total"].value == 80  # only the Finistère measurement is the Breton lead's


def test_the_odt_is_a_valid_opendocument_text(world):
    data = render_odt(build_report(user=world.national, meeting=world.copil))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist()[0] == "mimetype"
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        content = ElementTree.fromstring(archive.read("content.xml"))
    text = "".join(content.itertext())
    assert (
        "Actions en retard (3)" in text and "Ouvrir la vague 2" in text and "Agents formés : 57,5 %" in text
    )


def test_the_report_is_written_in_the_background_and_downloaded_by_its_owner_only(world, client):
    client.force_login(world.national)
    response = client.post(reverse("committees:meeting_report", args=[world.copil.pk]), {"format": "pdf"})
    run = TaskRun.objects.get(kind="committees.report")
    assert response["Location"] == reverse("core:taskrun_detail", args=[run.pk])
    taskrun_execute(taskrun_id=str(run.pk))
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED, run.error
    page = client.get(reverse("core:taskrun_detail", args=[run.pk])).content.decode()
    assert "Télécharger releve-copil-2025-06-01.pdf" in page
    download = client.get(reverse("core:taskrun_download", args=[run.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert 'filename="releve-copil-2025-06-01.pdf"' in download["Content-Disposition"]
    client.force_login(world.lead_nor)
    assert client.get(reverse("core:taskrun_download", args=[run.pk])).status_code == 404


def test_a_report_on_a_meeting_gone_from_the_perimeter_fails_in_french(world):
    run = TaskRun.objects.create(
        kind="committees.report",
        label="x",
        owner=world.lead_bzh,
        params={"meeting": str(world.committee_nor.pk)},
    )
    taskrun_execute(taskrun_id=str(run.pk))
    run.refresh_from_db()
    assert run.status == TaskRun.Status.FAILED and "plus dans votre périmètre" in run.error

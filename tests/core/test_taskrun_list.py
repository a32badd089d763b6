""" "Mes traitements": one's own runs only, in the shared list table, exportable, in constant queries."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from bascule.core.models import TaskRun
from tests.queries import count_queries


def _run(owner, label, status=TaskRun.Status.SUCCEEDED, error=""):
    return TaskRun.objects.create(kind="import", label=label, owner=owner, status=status, error=error)


def test_the_list_shows_and_exports_only_ones_own_runs(base_world, client):
    _run(base_world.lead_bzh, "Import des personnes (Bretagne)")
    _run(base_world.lead_bzh, "Import raté", status=TaskRun.Status.FAILED, error="Fichier illisible")
    _run(base_world.lead_nor, "Import normand")
    client.force_login(base_world.lead_bzh)
    page = client.get(reverse("core:taskrun_list")).content.decode()
    assert "2 traitements" in page and "Import des personnes (Bretagne)" in page
    assert "Import normand" not in page
    export = client.get(reverse("core:taskrun_list"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Traitement", "État", "Lancé le", "Erreur"]
    assert sorted(r[0] for r in rows[1:]) == ["Import des personnes (Bretagne)", "Import raté"]
    failed = next(r for r in rows if r[0] == "Import raté")
    assert failed[1] == "En échec" and failed[3] == "Fichier illisible"


def test_the_list_costs_the_same_queries_whatever_the_number_of_runs(base_world, client):
    client.force_login(base_world.lead_bzh)
    url = reverse("core:taskrun_list")
    _run(base_world.lead_bzh, "Un")
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for i in range(30):
        _run(base_world.lead_bzh, f"Run {i}")
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)

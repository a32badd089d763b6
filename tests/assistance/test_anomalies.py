"""Anomalies are the project team's (level 3 of the programme's owner): who files one, through the service and the
page, as a matrix of every desk user."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from bascule.assistance import operations
from bascule.assistance.models import Anomaly

FILES = {  # user: may file an anomaly on the programme (level 3 of its owner: national steering, the CPU)
    "national": True,
    "cpu": True,
    "lead_bzh": False,
    "referent_29": False,
    "reader_bzh": False,
    "proximity": False,
    "pole_agent": False,
    "nobody": False,
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_who_files_an_anomaly(desk, client, name):
    user = getattr(desk, name)
    before = Anomaly.objects.count()
    if FILES[name]:
        operations.anomaly_create(by=user, programme=desk.programme, title="Rejet des flux")
        assert Anomaly.objects.count() == before + 1
    else:
        with pytest.raises(PermissionDenied):
            operations.anomaly_create(by=user, programme=desk.programme, title="Rejet des flux")
    client.force_login(user)
    page = client.post(
        reverse("assistance:anomaly_create"), {"programme": desk.programme.pk, "title": "Par la page"}
    )
    assert page.status_code == (302 if FILES[name] else 404)
    assert Anomaly.objects.filter(title="Par la page").exists() == FILES[name]

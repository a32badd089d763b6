"""Indicators: measured by each structure, consolidated up the tree by their rule, with the answer rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from bascule.indicators import selectors, services
from bascule.indicators.models import Indicator, Measurement
from bascule.indicators.selectors import aggregate
from tests.queries import count_queries

D = Decimal
ON = date(2025, 6, 30)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("sum", D(130)), ("average", D(65)), ("latest", D(50)), ("weighted", D("57.5"))],
)
def test_each_rule_adds_up_as_documented(rule, expected):
    rows = [(date(2025, 5, 1), D(80), D(100)), (date(2025, 5, 31), D(50), D(300))]
    assert aggregate(rule, rows) == expected
    assert aggregate(rule, []) is None


def test_national_consolidation_weighs_by_coverage_and_counts_answers(world):
    result = selectors.consolidate(user=world.national, indicator=world.indicator, on=ON)
    assert result.total.value == D("57.5") and (result.total.answered, result.total.expected) == (2, 2)
    by_region = {line.structure.code: line for line in result.lines}
    assert by_region["R53"].value == D(80) and by_region["R28"].value == D(50)
    assert by_region["R53"].rate == 100


def test_a_region_consolidates_only_what_it_sees_and_drills_down(world):
    breton = selectors.consolidate(user=world.lead_bzh, indicator=world.indicator, on=ON)
    assert breton.total.value == D(80) and [line.structure.code for line in breton.lines] == ["R53"]
    drilled = selectors.consolidate(
        user=world.lead_bzh, indicator=world.indicator, root=world.bretagne, on=ON
    )
    assert [line.structure.code for line in drilled.lines] == ["D29"]


def test_the_latest_value_of_each_structure_counts_and_a_correction_keeps_history(world):
    services.measurement_record(
        by=world.referent_29,
        indicator=world.indicator,
        structure=world.finistere,
        measured_on=date(2025, 6, 15),
        value=D(100),
        coverage=D(100),
    )
    assert selectors.consolidate(user=world.national, indicator=world.indicator, on=ON).total.value == D(
        "62.5"
    )
    assert selectors.consolidate(
        user=world.national, indicator=world.indicator, on=date(2025, 6, 1)
    ).total.value == D("57.5")
    corrected = services.measurement_record(
        by=world.referent_29,
        indicator=world.indicator,
        structure=world.finistere,
        measured_on=date(2025, 6, 15),
        value=D(90),
        coverage=D(100),
    )
    assert Measurement.objects.filter(structure=world.finistere).count() == 2
    assert corrected.history.count() == 2


def test_a_structure_measures_itself_only(world):
    with pytest.raises(PermissionDenied):
        services.measurement_record(
            by=world.lead_bzh,
            indicator=world.indicator,
            structure=world.calvados,
            measured_on=ON,
            value=D(10),
            coverage=D(1),
        )
    with pytest.raises(ValidationError):
        services.measurement_record(
            by=world.lead_bzh,
            indicator=world.indicator,
            structure=world.finistere,
            measured_on=ON,
            value=D(140),
            coverage=D(1),
        )
    with pytest.raises(PermissionDenied):
        services.indicator_create(
            by=world.lead_bzh, programme=world.programme, code="X", name="X", aggregation="sum"
        )


def test_trend_gives_the_month_end_values(world):
    services.measurement_record(
        by=world.referent_29,
        indicator=world.indicator,
        structure=world.finistere,
        measured_on=date(2025, 6, 15),
        value=D(100),
        coverage=D(100),
    )
    points = dict(selectors.trend(user=world.national, indicator=world.indicator, months=3, on=ON))
    assert points == {"04/25": None, "05/25": D("57.5"), "06/25": D("62.5")}


def test_the_page_shows_the_consolidation_the_chart_and_its_table_in_constant_queries(world, client):
    client.force_login(world.national)
    url = reverse("indicators:indicator_detail", args=[world.indicator.pk])
    page = client.get(url).content.decode()
    assert "<svg" in page and "Valeur consolidée en fin de mois" in page and "2 département(s) sur 2" in page
    with count_queries() as few:
        client.get(url)
    for day in range(1, 28):
        for structure, by in ((world.finistere, world.referent_29), (world.calvados, world.lead_nor)):
            services.measurement_record(
                by=by,
                indicator=world.indicator,
                structure=structure,
                measured_on=date(2025, 3, day),
                value=D(day),
                coverage=D(10),
            )
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)
    drilled = client.get(url, {"dans": str(world.bretagne.pk)}).content.decode()
    assert f"?dans={world.finistere.pk}" in drilled and f"?dans={world.calvados.pk}" not in drilled
    export = client.get(url, {"export": "csv"})
    assert export.status_code == 200 and b"D29" in export.content


def test_a_measurement_from_the_page(world, client):
    client.force_login(world.referent_29)
    client.post(
        reverse("indicators:measurement_add", args=[world.indicator.pk]),
        {"structure": world.finistere.pk, "measured_on": "2025-06-20", "value": "95", "coverage": "100"},
    )
    assert Measurement.objects.filter(structure=world.finistere, measured_on=date(2025, 6, 20)).exists()
    client.post(
        reverse("indicators:measurement_add", args=[world.indicator.pk]),
        {"structure": world.calvados.pk, "measured_on": "2025-06-20", "value": "95", "coverage": "100"},
    )
    assert not Measurement.objects.filter(structure=world.calvados, measured_on=date(2025, 6, 20)).exists()


def test_api_gives_the_measurements_of_the_perimeter(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.lead_bzh)
    detail = api.get(f"/api/v1/indicators/{world.indicator.pk}/").json()
    assert [m["structure_code"] for m in detail["measurements"]] == ["D29"]
    assert api.get("/api/v1/indicators/", {"programme": "CHORUS"}).json()["count"] == 1


def test_the_home_page_lists_the_indicators_below_target(world, client):
    client.force_login(world.lead_bzh)
    page = client.get(reverse("core:home")).content.decode()
    assert "Indicateurs sous leur cible" in page and "Agents formés</a> : 80" in page


def test_the_actions_an_indicator_measures_are_linked_by_their_numbers(world, client):
    from bascule.core.locking import ConflictError

    indicator = world.indicator
    client.force_login(world.national)
    url = reverse("indicators:indicator_actions", args=[indicator.pk])
    response = client.post(url, {"version": indicator.version, "codes": "2-1, 3-1"})
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert sorted(indicator.actions.values_list("code", flat=True)) == ["2-1", "3-1"]
    assert indicator.history.first().history_change_reason == "Actions liées : 2-1, 3-1"
    # A stale form never overwrites a newer list; an unknown number is refused, naming it.
    with pytest.raises(ConflictError):
        services.indicator_link_actions(by=world.national, indicator=indicator, version=1, codes=["1-1"])
    with pytest.raises(ValidationError, match="99-9"):
        services.indicator_link_actions(
            by=world.national, indicator=indicator, version=indicator.version, codes=["1-1", "99-9"]
        )
    assert sorted(indicator.actions.values_list("code", flat=True)) == ["2-1", "3-1"]
    # Only the programme's pilots link actions; a Breton reader sees the Breton one only.
    with pytest.raises(PermissionDenied):
        services.indicator_link_actions(
            by=world.lead_bzh, indicator=indicator, version=indicator.version, codes=[]
        )
    client.force_login(world.reader_bzh)
    page = client.get(reverse("indicators:indicator_detail", args=[indicator.pk])).content.decode()
    assert ">2-1</a>" in page and ">3-1</a>" not in page and "Enregistrer les actions liées" not in page
    assert (
        client.post(url, {"version": indicator.version, "codes": ""}).status_code == 403
    )  # seen, not theirs


def test_an_indicator_definition_is_edited_with_its_version(world, client):
    indicator = world.indicator
    client.force_login(world.national)
    url = reverse("indicators:indicator_edit", args=[indicator.pk])
    assert "Modifier l'indicateur FORM" in client.get(url).content.decode()
    data = {
        "version": indicator.version,
        "code": "FORM",
        "name": "Agents formés à Chorus",
        "description": "",
        "unit": "%",
        "aggregation": "weighted",
        "target_value": "95",
        "target_date": "2026-06-30",
        "expected_kind": "department",
    }
    assert client.post(url, data).status_code == 302
    indicator.refresh_from_db()
    assert (indicator.name, indicator.target_value) == ("Agents formés à Chorus", Decimal(95))
    stale = client.post(url, {**data, "name": "Ancienne saisie"})  # the version the form carried is gone
    assert stale.status_code == 200 and "modifié par quelqu&#x27;un d&#x27;autre" in stale.content.decode()
    assert Indicator.objects.get(pk=indicator.pk).name == "Agents formés à Chorus"
    client.force_login(world.lead_bzh)
    assert client.get(url).status_code in (403, 404)

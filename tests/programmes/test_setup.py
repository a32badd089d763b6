"""Setting a programme up: waves moved with what depends on them (all or nothing), instancing per wave (idempotent),
closing and copying, the set-up file; abilities as a matrix (every kind of user)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bascule.programmes import services, setup
from bascule.programmes.models import InstanceItem, Programme, Wave, Workstream
from bascule.programmes.setup_file import apply_spec, from_mapping
from bascule.programmes.wave_moves import WAVE_DEPENDENTS, WaveDependent

USERS = ["national", "lead_bzh", "reader_bzh", "referent_29", "lead_nor", "nobody"]


def _wave(world, **extra):
    return services.wave_create(
        by=world.national,
        programme=world.programme,
        name=extra.pop("name", "Vague 1"),
        golive_date=date(2027, 1, 1),
        structures=[world.bretagne],
        **extra,
    )


@pytest.mark.parametrize("who", USERS)
def test_set_up_abilities(world, who):
    user = getattr(world, who)
    wave = _wave(world)
    owner = who == "national"  # the programme's owner structure is national steering's
    abilities = world.programme.get_abilities(user)
    assert abilities["change"] is owner and abilities["add_wave"] is owner and abilities["close"] is owner
    assert abilities["reopen"] is False
    assert wave.get_abilities(user)["move"] is owner and wave.get_abilities(user)["delete"] is owner
    if not owner:
        with pytest.raises(PermissionDenied):
            setup.wave_move(by=user, wave=wave, version=wave.version, golive_date=date(2027, 2, 1))
        with pytest.raises(PermissionDenied):
            services.wave_create(by=user, programme=world.programme, name="X", golive_date=date(2027, 1, 1))


def _dated_items(world):
    items = InstanceItem.objects.filter(
        workstream__structure=world.bretagne, workstream__template__programme=world.programme
    )
    for n, item in enumerate(items):
        item.due_date = date(2026, 9, 1) + timedelta(days=n)
        item.save()
    return {i.pk: i.due_date for i in items}


def test_moving_a_wave_shows_then_moves_what_depends_on_it(world):
    wave = _wave(world, freeze_date=date(2026, 10, 1))
    before = _dated_items(world)
    preview = setup.wave_move_preview(by=world.national, wave=wave, golive_date=date(2027, 2, 1))
    items = next(c for c in preview if c.label.startswith("Jalons"))
    assert items.count == len(before) and "→" in items.examples[0]
    assert InstanceItem.objects.filter(pk__in=before, due_date__in=before.values()).count() == len(
        before
    )  # nothing yet
    saved, moved = setup.wave_move(
        by=world.national, wave=wave, version=wave.version, golive_date=date(2027, 2, 1)
    )
    assert saved.golive_date == date(2027, 2, 1) and saved.freeze_date == date(2026, 11, 1)
    assert moved["programmes.items"] == len(before)
    for item in InstanceItem.objects.filter(pk__in=before):
        assert item.due_date == before[item.pk] + timedelta(days=31)
        assert item.history.first().history_change_reason == "Vague « Vague 1 » déplacée"
    # Normandie's milestones are not the wave's.
    assert not InstanceItem.objects.filter(
        workstream__structure=world.normandie, due_date__isnull=False
    ).exists()


def test_a_failure_midway_moves_nothing(world, monkeypatch):
    wave = _wave(world)
    before = _dated_items(world)

    def boom(wave, delta, by):
        raise RuntimeError("panne au milieu")

    monkeypatch.setitem(WAVE_DEPENDENTS, "zz.boom", WaveDependent("zz.boom", lambda w, d: None, boom))
    with pytest.raises(RuntimeError):
        setup.wave_move(by=world.national, wave=wave, version=wave.version, golive_date=date(2027, 3, 1))
    wave.refresh_from_db()
    assert wave.golive_date == date(2027, 1, 1) and wave.version == 1
    assert {i.pk: i.due_date for i in InstanceItem.objects.filter(pk__in=before)} == before


def test_instancing_for_a_wave_is_idempotent_and_finds_the_leads(world):
    programme = services.programme_create(
        by=world.national,
        code="DEMAT-79",
        name="Dématérialisation",
        owner=world.national_office,
        standard_workstreams=True,
    )
    wave = services.wave_create(
        by=world.national,
        programme=programme,
        name="V1",
        golive_date=date(2027, 1, 1),
        structures=[world.finistere, world.bretagne, world.ddtm29],
    )
    created = services.workstreams_instantiate(by=world.national, programme=programme, wave=wave)
    assert {w.structure.code for w in created} == {"R53", "D29"} and len(created) == 14
    assert {w.pilot.user for w in created if w.structure == world.bretagne} == {world.lead_bzh}
    assert {w.pilot.user for w in created if w.structure == world.finistere} == {world.referent_29}
    assert (
        Workstream.objects.get(
            template__programme=programme, template__number=1, structure=world.finistere
        ).history.count()
        == 1
    )
    assert services.workstreams_instantiate(by=world.national, programme=programme, wave=wave) == []
    # The regional lead instances only its own; the reader nothing.
    with pytest.raises(PermissionDenied):
        services.workstreams_instantiate(by=world.reader_bzh, programme=programme, wave=wave)


def test_a_wave_something_depends_on_says_what(world):
    wave = _wave(world)
    from bascule.training.models import TrainingPlan  # a module above holds on to it

    TrainingPlan.objects.create(
        programme=world.programme,
        region=world.bretagne,
        wave=wave,
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 12, 18),
        census_closes_on=date(2026, 10, 15),
    )
    with pytest.raises(ValidationError, match="ne peut pas être supprimée"):
        setup.wave_delete(by=world.national, wave=wave)
    empty = _wave(world, name="Vague vide")
    setup.wave_delete(by=world.national, wave=empty)
    assert not Wave.objects.filter(pk=empty.pk).exists()


def test_closing_copying_and_budget_codes(world):
    wave = _wave(world, budget_programmes=setup.parse_budget_codes("P0354, 216;723"))
    assert wave.budget_programmes == ["354", "216", "723"]
    with pytest.raises(ValidationError, match="« 12345 »"):
        setup.parse_budget_codes("12345")
    closed = setup.programme_close(
        by=world.national, programme=world.programme, version=world.programme.version
    )
    assert closed.is_closed and not closed.get_abilities(world.national)["add_wave"]
    with pytest.raises(PermissionDenied):
        services.wave_create(by=world.national, programme=closed, name="V9", golive_date=date(2028, 1, 1))
    reopened = setup.programme_reopen(by=world.national, programme=closed, version=closed.version)
    assert not reopened.is_closed and reopened.version == 3
    assert [h.history_change_reason for h in reopened.history.all()[:2]] == ["Réouverture", "Clôture"]
    copy, said = setup.programme_copy(
        by=world.national, source=reopened, code="CHORUS-2", name="Suite", owner=world.national_office
    )
    copied = copy.waves.get(name="Vague 1")
    assert copy.templates.count() == 7 and copy.waves.count() == reopened.waves.count()
    assert copied.golive_date == date(2028, 1, 1) and copied.budget_programmes == ["354", "216", "723"]
    assert not Workstream.objects.filter(template__programme=copy).exists()
    assert any("chantiers types" in line for line in said)


def test_the_set_up_file_is_applied_once(world):
    spec = from_mapping(
        {
            "code": "DEMAT-79",
            "name": "Dématérialisation 79",
            "owner": "DMAT/SDAT/BCAM",
            "waves": [
                {"name": "V1", "golive": "01/03/2027", "budget_programmes": "354", "structures": ["D29"]}
            ],
            "leads": [
                {
                    "email": "agent.bzh@test.gouv.fr",
                    "role": "reader",
                    "structure": "D29",
                    "start": "2026-01-01",
                }
            ],
        }
    )
    said = apply_spec(spec, by=world.national)
    programme = Programme.objects.get(code="DEMAT-79")
    assert programme.waves.get().budget_programmes == ["354"]
    assert Workstream.objects.filter(template__programme=programme, structure=world.finistere).count() == 7
    assert any("instanciés" in line for line in said)
    assert apply_spec(spec, by=world.national) == ["Rien à faire : le programme est déjà tel que décrit."]

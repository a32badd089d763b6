"""The sizing arithmetic against domain.md §8's worked example and a 22-centre file whose figures were computed
independently (with fractions, tests/fixtures/sizing_22_centres.expected.json)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bascule.sizing.compute import CentreWave, Params, centre_figures, totals
from bascule.sizing.importers import parse_count

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXAMPLE = CentreWave(centre="R", wave="V1", antennas=1, volumes={"A": (30_000, 6_000), "B": (9_000, 1_000)})


def test_the_worked_example_gives_exactly_its_figures():
    figures = centre_figures(Params(rounding="none"), EXAMPLE)
    assert figures.acts_by_ministry == {"A": Decimal("85800.00"), "B": Decimal("24940.00")}
    assert figures.fte_by_ministry == {"A": Decimal("28.60"), "B": Decimal("8.31")}
    assert figures.management == Decimal("4")
    assert figures.total == Decimal("40.91")


@pytest.mark.parametrize(
    ("rounding", "a", "b", "total"),
    [
        ("nearest", 29, 8, 41),
        ("up", 29, 9, 42),
        ("down", 28, 8, 40),
        ("none", Decimal("28.60"), Decimal("8.31"), Decimal("40.91")),
    ],
)
def test_each_rounding_rule_rounds_each_ministry(rounding, a, b, total):
    figures = centre_figures(Params(rounding=rounding), EXAMPLE)
    assert figures.fte_by_ministry == {"A": Decimal(a), "B": Decimal(b)}
    assert figures.total == Decimal(total)


def test_levers_change_the_figures_as_announced():
    # +20 % productivity: 3,600 acts per agent; +10 % volumes; one more antenna
    figures = centre_figures(
        Params(rounding="none", productivity_gain=Decimal(20), volume_growth=Decimal(10), extra_antennas=1),
        EXAMPLE,
    )
    assert figures.acts_by_ministry["A"] == Decimal("94380")
    assert figures.fte_by_ministry["A"] == Decimal("26.22")  # 94,380 / 3,600 = 26.216…
    assert figures.management == Decimal("6")
    national = totals([figures, centre_figures(Params(rounding="none"), EXAMPLE)])
    assert national.total == figures.total + Decimal("40.91")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("30000", 30000),
        ("30 000", 30000),
        ("30\u202f000", 30000),
        ("30.000", 30000),
        ("30000,00", 30000),
        ("0", 0),
    ],
)
def test_volumes_are_read_as_people_write_them(text, value):
    assert parse_count(text) == value


@pytest.mark.parametrize("text", ["-12", "12,5", "douze", "", "1e9"])
def test_bad_volumes_are_refused_in_french(text):
    with pytest.raises(ValueError, match=r"\w"):
        parse_count(text)


def test_a_file_of_22_centres_over_two_waves_reproduces_its_totals_exactly(tmp_path, db):
    out = tmp_path / "result.json"
    call_command(
        "sizing_compute", input=str(FIXTURES / "sizing_22_centres.csv"), out=str(out), rounding="nearest"
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    expected = json.loads((FIXTURES / "sizing_22_centres.expected.json").read_text(encoding="utf-8"))
    assert len(result["centres"]) == 22
    got = {c["centre"]: {w: Decimal(v["total"]) for w, v in c["waves"].items()} for c in result["centres"]}
    assert got == {c: {w: Decimal(t) for w, t in waves.items()} for c, waves in expected["centres"].items()}
    assert {w: Decimal(t["total"]) for w, t in result["totals_by_wave"].items()} == {
        w: Decimal(t) for w, t in expected["totals_by_wave"].items()
    }
    first = result["centres"][0]["waves"]["2010-01-01"]
    assert set(first) >= {"fte_by_ministry", "management", "total"} and isinstance(first["total"], str)


def test_the_cli_explains_rejected_rows_and_computes_nothing(tmp_path, db):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Centre;Hôte;Vague;Ministère;Mandats;Titres\n"
        "CPCM-01;DREAL;01/01/2010;MEEDDAT;-5;10\n"
        "CPCM-01;DRAAF;01/01/2010;MAAP;abc;10\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    with pytest.raises(CommandError, match="rien n'est calculé"):
        call_command("sizing_compute", input=str(bad), out=str(out))
    assert not out.exists()

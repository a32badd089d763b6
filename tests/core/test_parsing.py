"""Parsers of typed-in values: table of real-looking inputs, and properties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bascule.core.parsing import parse_choice, parse_date, parse_decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-09-01", date(2025, 9, 1)),
        ("01/09/2025", date(2025, 9, 1)),
        ("1/9/2025", date(2025, 9, 1)),
        ("1.9.2025", date(2025, 9, 1)),
        ("01/09/25", date(2025, 9, 1)),
        ("2025-09-01 00:00:00", date(2025, 9, 1)),
        ("", None),
        ("  ", None),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2025", "septembre", "2025/13/01", "00/00/0000"])
def test_bad_dates_explain(text):
    with pytest.raises(ValueError, match="date"):
        parse_date(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_dates_round_trip_in_both_spellings(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day


@given(st.text(max_size=30))
def test_dates_never_crash(text):
    try:
        parse_date(text)
    except ValueError as exc:
        assert str(exc)


@pytest.mark.parametrize(
    ("text", "expected"), [("0,8", Decimal("0.8")), ("1", Decimal(1)), ("80 %", Decimal("0.8")), ("", None)]
)
def test_decimals(text, expected):
    assert parse_decimal(text, minimum=Decimal(0), maximum=Decimal(1)) == expected


@pytest.mark.parametrize("text", ["1,5", "-1", "abc", "NaN", "inf"])
def test_bad_decimals(text):
    with pytest.raises(ValueError):
        parse_decimal(text, minimum=Decimal(0), maximum=Decimal(1))


def test_choices_by_value_label_or_synonym():
    choices = [("region", "Région"), ("shared_centre", "Centre de services partagés")]
    assert parse_choice("REGION", choices) == "region"
    assert parse_choice("centre de services partages", choices) == "shared_centre"
    assert parse_choice("CPCM", choices, {"CPCM": "shared_centre"}) == "shared_centre"
    with pytest.raises(ValueError, match="valeurs possibles"):
        parse_choice("usine", choices)

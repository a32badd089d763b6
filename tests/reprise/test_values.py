"""Amounts to the cent and dates of real extracts: every accepted spelling read exactly, every other one refused
with a French reason (never altered, never a float)."""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from bascule.reprise.values import amount_cents, amount_error, date_error, parse_date, with_cents


def _read(values: list[str | None]) -> list[tuple[int | None, str | None]]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(amount_cents(pl.col("v")), amount_error(pl.col("v")).alias("e")).rows()


def test_amounts_as_people_write_them():
    got = _read(
        [
            "303 431,00",
            "303\u00a0431,00",
            "1.234,56",
            "1234.5",
            "-12,00",
            "1.234",
            "0,07",
            "  42 ",
            "",
            "#",
            None,
            "12,345",
            "1.234.567,891",
            "douze",
            "12,3,4",
            "1234567890123456",
        ]
    )
    assert got[:11] == [
        (30343100, None),
        (30343100, None),
        (123456, None),
        (123450, None),
        (-1200, None),
        (123400, None),
        (7, None),
        (4200, None),
        (None, None),
        (None, None),
        (None, None),
    ]
    assert [cents for cents, _ in got[11:]] == [None] * 5
    errors = [error for _, error in got[11:]]
    assert errors[0] == "plus de deux décimales : « 12,345 »"
    assert errors[1].startswith("plus de deux décimales")
    assert errors[2] == "montant illisible : « douze » (attendu par exemple 303 431,00)"
    assert errors[3].startswith("montant illisible")
    assert errors[4] == "montant trop grand : « 1234567890123456 »"


def _french(cents: int, style: int) -> str:
    sign = "-" if cents < 0 else ""
    units, hundredths = divmod(abs(cents), 100)
    if style == 0:  # 303 431,00
        return f"{sign}{units:,}".replace(",", " ") + f",{hundredths:02d}"
    if style == 1:  # 1.234,56
        return f"{sign}{units:,}".replace(",", ".") + f",{hundredths:02d}"
    return f"{sign}{units}.{hundredths:02d}"  # 1234.56


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-(10**14), 10**14), min_size=1, max_size=50), st.integers(0, 2))
def test_every_spelling_reads_back_the_exact_cents(amounts: list[int], style: int) -> None:
    got = _read([_french(c, style) for c in amounts])
    assert got == [(c, None) for c in amounts]


def test_dates():
    frame = pl.DataFrame({"v": ["31.12.2026", "31/12/2026", "2026-12-31", "#", "", "31/02/2026", "demain"]})
    got = frame.select(parse_date(pl.col("v")), date_error(pl.col("v")).alias("e")).rows()
    assert [d for d, _ in got] == [date(2026, 12, 31)] * 3 + [None] * 4
    assert [e is None for _, e in got] == [True] * 5 + [False] * 2
    assert got[5][1] == "date illisible : « 31/02/2026 » (attendu JJ/MM/AAAA, JJ.MM.AAAA ou AAAA-MM-JJ)"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text("0123456789 ,.-#\u00a0a", max_size=14), min_size=1, max_size=30))
def test_staged_cents_agree_with_the_expression(texts):
    frame = pl.DataFrame({"m": texts}, schema={"m": pl.String})
    staged = with_cents(frame, ["m"])["m_cents"].to_list()
    assert staged == frame.select(amount_cents(pl.col("m")).alias("x"))["x"].to_list()

"""R08, R10 and R11 as Polars expressions agree with python-stdnum and schwifty, value by value."""

from __future__ import annotations

import random

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from schwifty import IBAN
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from bascule.reprise.identifiers import bic_country_matches, bic_valid, iban_valid, siret_valid


def _valid_siret(rng: random.Random, la_poste: bool = False) -> str:
    if la_poste:
        body = "356000000" + "".join(rng.choice("0123456789") for _ in range(4))
        last = next(d for d in "0123456789" if sum(map(int, body + d)) % 5 == 0)
        return body + last
    siren = "".join(rng.choice("0123456789") for _ in range(8))
    siren += luhn.calc_check_digit(siren)
    nic = "".join(rng.choice("0123456789") for _ in range(4))
    return siren + nic + luhn.calc_check_digit(siren + nic)


def _mutate(value: str, rng: random.Random) -> str:
    kind = rng.randrange(4)
    i = rng.randrange(len(value))
    if kind == 0:  # one character changed
        return value[:i] + rng.choice("0123456789ABZ") + value[i + 1 :]
    if kind == 1:  # two neighbours swapped
        i = min(i, len(value) - 2)
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    if kind == 2:  # one character dropped
        return value[:i] + value[i + 1 :]
    return value


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_siret_agrees_with_python_stdnum(seed: int) -> None:
    rng = random.Random(seed)
    values = [_valid_siret(rng, la_poste=rng.random() < 0.2) for _ in range(60)]
    values += [_mutate(v, rng) for v in values]
    values += ["35600000000048", "35600000000049", "", "7328293200007 4", "ABCDEFGHIJKLMN"]
    got = pl.DataFrame({"v": values}).select(siret_valid(pl.col("v"))).to_series().to_list()
    assert got == [stdnum_siret.is_valid(v) for v in values]
    assert any(got) and not all(got)


def _schwifty_valid(value: str) -> bool:
    try:
        IBAN(value, validate_bban=value[:2].upper() == "FR")  # the French RIB key; elsewhere ISO 13616 only
    except ValueError:
        return False
    return True


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_iban_agrees_with_schwifty(seed: int) -> None:
    rng = random.Random(seed)
    values = [
        str(IBAN.random(country_code=rng.choice(["FR", "FR", "DE", "BE", "ES", "IT"]), random=rng))
        for _ in range(40)
    ]
    values += [_mutate(v, rng) for v in values]
    values += [
        "FR1420041010050500013M02606",
        "FR8420041010050500013M02607",
        "GB33BUKB20201555555555",
        "FR14",
        "",
    ]
    got = pl.DataFrame({"v": values}).select(iban_valid(pl.col("v"))).to_series().to_list()
    assert got == [_schwifty_valid(v) for v in values]
    assert any(got) and not all(got)


def test_bic_and_its_country() -> None:
    frame = pl.DataFrame(
        {
            "bic": ["BNPAFRPPXXX", "BNPAFRPP", "DEUTDEFF", "BNPAFRP", "1NPAFRPP", None],
            "iban": [
                "FR1420041010050500013M02606",
                "DE89370400440532013000",
                "DE89370400440532013000",
                "",
                "",
                "",
            ],
        }
    )
    got = frame.select(
        ok=bic_valid(pl.col("bic")), same=bic_country_matches(pl.col("bic"), pl.col("iban"))
    ).rows()
    assert got == [(True, True), (True, False), (True, True), (False, False), (False, False), (False, False)]

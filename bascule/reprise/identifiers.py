"""Identifier rules of the data takeover as Polars expressions (R08 SIRET, R10 IBAN, R11 BIC), so that they run
over millions of rows without a Python loop (and on any engine that runs Polars expressions).

Each function takes an expression of a text column (already trimmed by the reader) and returns a boolean
expression, true when valid. An empty value is neither valid nor invalid here: the caller decides (a missing IBAN
is not an invalid one). The same rules, one value at a time, are python-stdnum's and schwifty's; the tests use them
as oracles.

- SIRET: 14 digits (spaces and dots ignored); Luhn on the SIRET and on its SIREN (9 first digits); La Poste's establishments (SIREN
  356000000, except the head office 35600000000048) use "sum of the digits is a multiple of 5" instead of Luhn.
- IBAN (ISO 13616): country code, 2 check digits, the country's BBAN format (and so its length); mod 97 of the rearranged number is 1; a
  French IBAN also carries a valid RIB key (97 − (89 × bank + 15 × branch + 3 × account) mod 97, letters of the
  account read as RIB digits).
- BIC (ISO 9362): 4 letters (institution), 2 letters (country), 2 letters or digits (location), optional 3 (branch);
  its country must be the IBAN's (R11).
"""

from __future__ import annotations

from functools import lru_cache
from string import ascii_uppercase

import polars as pl

LA_POSTE = "356000000"
LA_POSTE_HEAD_OFFICE = "35600000000048"
# RIB: letters of the account number read as digits (A and J = 1, B K S = 2, …)
RIB_LETTERS = {
    letter: digit
    for letters, digit in (
        ("AJ", "1"),
        ("BKS", "2"),
        ("CLT", "3"),
        ("DMU", "4"),
        ("ENV", "5"),
        ("FOW", "6"),
        ("GPX", "7"),
        ("HQY", "8"),
        ("IRZ", "9"),
    )
    for letter in letters
}


def _digits(number: pl.Expr, length: int) -> list[pl.Expr]:
    """The decimal digits of an integer column, left to right (integer arithmetic: no string slicing)."""
    return [(number // 10 ** (length - 1 - i)) % 10 for i in range(length)]


def _luhn_ok(digits: list[pl.Expr]) -> pl.Expr:
    """Luhn: from the right, every second digit doubled (minus 9 above 9); the sum is a multiple of 10."""
    terms = []
    for i, d in enumerate(digits):
        if (len(digits) - 1 - i) % 2:
            terms.append(pl.when(d > 4).then(d * 2 - 9).otherwise(d * 2))
        else:
            terms.append(d)
    return pl.sum_horizontal(terms) % 10 == 0


def siret_valid(column: pl.Expr) -> pl.Expr:
    column = column.str.replace_all(r"[ .]", "")  # « 732 829 320 00074 » is the same SIRET
    digits_ok = column.str.contains(r"^[0-9]{14}$")
    number = pl.when(digits_ok).then(column.cast(pl.Int64, strict=False))
    digits = _digits(number, 14)
    la_poste = (column.str.slice(0, 9) == LA_POSTE) & (column != LA_POSTE_HEAD_OFFICE)
    check = pl.when(la_poste).then(pl.sum_horizontal(digits) % 5 == 0).otherwise(_luhn_ok(digits))
    return (digits_ok & check & _luhn_ok(digits[:9])).fill_null(False)


@lru_cache(maxsize=1)
def iban_pattern() -> str:
    """One regular expression for every country's IBAN structure (country, check digits, its BBAN format), built
    from schwifty's registry (the ISO 13616 list): one pass over the column whatever the number of countries."""
    from schwifty import registry

    shapes = []
    for country in sorted(registry.get_countries()):
        bban = registry.get_iban_spec(country).regex.pattern.removeprefix("^").removesuffix("$")
        shapes.append(f"{country}[0-9]{{2}}(?:{bban})")
    return "^(?:" + "|".join(shapes) + ")$"


def _mod97(digits: pl.Expr, width: int = 80) -> pl.Expr:
    """The remainder mod 97 of a long decimal string, eight digits at a time (Int64 never overflows)."""
    padded = digits.str.zfill(width)
    remainder = pl.lit(0, dtype=pl.Int64)
    for start in range(0, width, 8):
        chunk = padded.str.slice(start, 8).cast(pl.Int64, strict=False)
        remainder = (remainder * 100_000_000 + chunk) % 97
    return remainder


def _letters_to_numbers(text: pl.Expr) -> pl.Expr:
    """A = 10 … Z = 35, in one pass."""
    return text.str.replace_many(list(ascii_uppercase), [str(v) for v in range(10, 36)])


def iban_valid(column: pl.Expr) -> pl.Expr:
    iban = column.str.replace_all(" ", "", literal=True).str.to_uppercase()
    country = iban.str.slice(0, 2)
    shape = iban.str.contains(iban_pattern())
    rearranged = pl.concat_str([iban.str.slice(4), iban.str.slice(0, 4)])
    mod97 = _mod97(_letters_to_numbers(rearranged)) == 1
    return (shape & mod97 & pl.when(country == "FR").then(_rib_key_ok(iban)).otherwise(True)).fill_null(False)


def _rib_key_ok(iban: pl.Expr) -> pl.Expr:
    """The RIB key of a French IBAN: bank (5) branch (5) account (11, letters as RIB digits) key (2)."""
    bank = iban.str.slice(4, 5).cast(pl.Int64, strict=False)
    branch = iban.str.slice(9, 5).cast(pl.Int64, strict=False)
    account = iban.str.slice(14, 11).str.replace_many(list(RIB_LETTERS), list(RIB_LETTERS.values()))
    account_number = account.cast(pl.Int64, strict=False)
    key = iban.str.slice(25, 2).cast(pl.Int64, strict=False)
    return (97 - (89 * bank + 15 * branch + 3 * account_number) % 97) == key


def bic_valid(column: pl.Expr) -> pl.Expr:
    bic = column.str.replace_all(" ", "", literal=True).str.to_uppercase()
    return bic.str.contains(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$").fill_null(False)


def bic_country_matches(bic: pl.Expr, iban: pl.Expr) -> pl.Expr:
    """R11's second half: the BIC's country (5th and 6th letters) is the IBAN's."""
    bic_country = bic.str.replace_all(" ", "", literal=True).str.to_uppercase().str.slice(4, 2)
    iban_country = iban.str.replace_all(" ", "", literal=True).str.to_uppercase().str.slice(0, 2)
    return (bic_country == iban_country).fill_null(False)

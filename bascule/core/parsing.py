"""Parse the values people type in spreadsheets (French dates and decimals, yes/no, choices).

Each parser returns the value or raises `ValueError` with a French message for the user.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from bascule.core.spreadsheets import normalise_label

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_FRENCH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")


def is_uuid(value: object) -> bool:
    """Whether a query-string value is an identifier (checked before it reaches a query)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def parse_date(text: str) -> date | None:
    """`2025-09-01`, `01/09/2025`, `1.9.2025` or `01/09/25` (20xx); empty gives None."""
    text = text.strip()
    if not text:
        return None
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _FRENCH.match(text):
        day, month, year = (int(part) for part in match.groups())
        if year < 100:
            year += 2000
    else:
        raise ValueError("date illisible ; écrivez-la JJ/MM/AAAA (par exemple 01/09/2025).")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError("cette date n'existe pas dans le calendrier.") from None


def parse_decimal(
    text: str, *, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Decimal | None:
    """`0,8`, `0.8`, `80 %` (as 0.8 when a maximum of 1 is asked); empty gives None."""
    raw = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not raw:
        return None
    percent = raw.endswith("%")
    raw = raw.rstrip("%").replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError("nombre illisible ; écrivez par exemple 0,8.") from None
    if not value.is_finite():
        raise ValueError("nombre illisible ; écrivez par exemple 0,8.")
    if percent:
        value = value / 100
    if minimum is not None and value < minimum:
        raise ValueError(f"la valeur doit être au moins {minimum}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"la valeur doit être au plus {maximum}.")
    return value


def parse_choice(
    text: str, choices: Iterable[tuple[str, str]], synonyms: dict[str, str] | None = None
) -> str:
    """A choice by its stored value or its label, without case or accents; unknown raises with the list."""
    wanted = normalise_label(text)
    options = list(choices)
    for value, label in options:
        if wanted in {normalise_label(value), normalise_label(label)}:
            return value
    for synonym, value in (synonyms or {}).items():
        if wanted == normalise_label(synonym):
            return value
    listed = ", ".join(f"« {label} »" for _, label in options)
    raise ValueError(f"valeur inconnue ; valeurs possibles : {listed}.")

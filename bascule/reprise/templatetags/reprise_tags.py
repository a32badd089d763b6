"""Amounts of the data takeover (exact cents) written as French readers expect: « 303 431,00 € »."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def euros(cents: Any) -> str:
    """Cents (an integer), or an exact decimal string in euros (the JSON summary's `"1234.56"`)."""
    if cents is None or cents == "":
        return "—"
    value = int(Decimal(cents) * 100) if isinstance(cents, str) else int(cents)
    units, hundredths = divmod(abs(value), 100)
    grouped = f"{units:,}".replace(",", "\u202f")
    return f"{'-' if value < 0 else ''}{grouped},{hundredths:02d} €"

"""Template filters of sizing: a ministry's figure out of a `Figures`."""

from __future__ import annotations

from decimal import Decimal

from django import template

from bascule.sizing.compute import Figures

register = template.Library()


@register.filter
def fte_of(figures: Figures | None, ministry: str) -> Decimal | None:
    return None if figures is None else figures.fte_by_ministry.get(ministry, Decimal("0"))


@register.filter
def acts_of(figures: Figures | None, ministry: str) -> Decimal | None:
    return None if figures is None else figures.acts_by_ministry.get(ministry, Decimal("0"))


@register.filter
def zip_totals(waves: list[object], totals: list[Figures]) -> list[tuple[object, Figures]]:
    return list(zip(waves, totals, strict=True))


@register.filter
def ministry_rows(staffing: object, ministries: list[str]) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return staffing.ministry_rows(ministries)  # type: ignore[attr-defined, no-any-return]

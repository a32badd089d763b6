"""Charts drawn on the server as SVG (no script): used in pages and in PDF reports, always next to their data table."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

# DSFR colours (blue France, and the illustrative palette) cycled over the bars.
PALETTE = ("#000091", "#6a6af4", "#009081", "#c3992a", "#ce614a", "#8585f6", "#66673d")


def bar_chart_svg(rows: Sequence[tuple[str, float]], *, title: str, unit: str = "", width: int = 560) -> str:
    """Horizontal bars, one per (label, value); the title is the chart's accessible name."""
    bar_height, gap, label_width = 22, 8, 200
    height = max(1, len(rows)) * (bar_height + gap) + gap
    largest = max((value for _, value in rows), default=0) or 1
    room = width - label_width - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label={quoteattr(title)}><title>{escape(title)}</title>'
    ]
    for index, (label, value) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        length = round(room * value / largest) if value else 0
        colour = PALETTE[index % len(PALETTE)]
        shown = f"{value:g}{unit}"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" font-size="12" fill="#161616">'
            f"{escape(label[:40])}</text>"
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" fill="{colour}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 15}" font-size="12" fill="#161616">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart_svg(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    target: float | None = None,
    unit: str = "",
    width: int = 560,
    height: int = 220,
) -> str:
    """A line over time (None: no value that month), with the target as a dashed line when there is one."""
    left, right, top, bottom = 50, 20, 16, 34
    values = [v for _, v in points if v is not None] + ([target] if target is not None else [])
    high = max(values, default=1) or 1
    low = min(0.0, *values) if values else 0.0
    span = (high - low) or 1
    step = (width - left - right) / max(1, len(points) - 1)

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - (value - low) / span)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label={quoteattr(title)}><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{y(low):.1f}" x2="{width - right}" y2="{y(low):.1f}" stroke="#929292"/>',
        f'<text x="{left - 6}" y="{y(high) + 4:.1f}" text-anchor="end" font-size="11">{high:g}{escape(unit)}</text>',
        f'<text x="{left - 6}" y="{y(low) + 4:.1f}" text-anchor="end" font-size="11">{low:g}{escape(unit)}</text>',
    ]
    if target is not None:
        parts.append(
            f'<line x1="{left}" y1="{y(target):.1f}" x2="{width - right}" y2="{y(target):.1f}" '
            f'stroke="#ce614a" stroke-dasharray="6 4"/><text x="{width - right}" y="{y(target) - 4:.1f}" '
            f'text-anchor="end" font-size="11" fill="#ce614a">cible {target:g}{escape(unit)}</text>'
        )
    line = [f"{left + i * step:.1f},{y(v):.1f}" for i, (_, v) in enumerate(points) if v is not None]
    if line:
        parts.append(
            f'<polyline points="{" ".join(line)}" fill="none" stroke="{PALETTE[0]}" stroke-width="2.5"/>'
        )
    for i, (label, value) in enumerate(points):
        x = left + i * step
        if value is not None:
            parts.append(f'<circle cx="{x:.1f}" cy="{y(value):.1f}" r="3.5" fill="{PALETTE[0]}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" font-size="10">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

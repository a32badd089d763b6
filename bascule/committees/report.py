"""The committee report: what a COPIL reads — summary, workstreams by status, late actions, changes since the
previous committee, decisions taken and awaited, campaign answers, indicators against target with their charts — as a
PDF (WeasyPrint) or an ODT, for the reader's perimeter.

The state shown is the one frozen at the meeting when it was (so a report made later says the same thing), the
current one otherwise, "late" judged on the meeting's day either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from bascule.committees import selectors
from bascule.committees.models import Meeting, SnapshotAction
from bascule.core.charts import bar_chart_svg
from bascule.core.exports import odf_package
from bascule.core.system import Actor
from bascule.indicators.selectors import indicator_panels
from bascule.programmes.models import Action, Status, late_q

ODT = "application/vnd.oasis.opendocument.text"


@dataclass
class Report:
    meeting: Meeting
    frozen: bool
    generated_at: Any
    totals: list[tuple[str, int]]
    late: list[dict[str, Any]]
    decisions: list[Any]
    to_follow: list[Any]
    previous: Meeting | None = None
    changes: selectors.Comparison | None = None
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    workstreams: list[dict[str, Any]] = field(
        default_factory=list
    )  # the frozen matrix, one line per workstream
    indicators: list[dict[str, Any]] = field(default_factory=list)  # values and trends on the meeting's day
    statuses: list[str] = field(default_factory=lambda: [label for _, label in Status.choices])

    @property
    def total(self) -> int:
        return sum(count for _, count in self.totals)

    @property
    def chart(self) -> str:
        return bar_chart_svg(self.totals, title="Actions par état")


_ROW = ("code", "title", "status", "deadline_end", "structure__code")


def _state_rows(user: Actor, meeting: Meeting) -> tuple[bool, list[dict[str, Any]]]:
    if hasattr(meeting, "snapshot"):
        rows = SnapshotAction.objects.visible_to(user).filter(snapshot__meeting=meeting)
        return True, list(rows.values(*_ROW, "late"))
    actions = Action.objects.visible_to(user).filter(programme=meeting.programme)
    if meeting.structure is not None:
        actions = actions.filter(structure__path__startswith=meeting.structure.path)
    late_codes = set(actions.filter(late_q(meeting.held_on)).values_list("code", flat=True))
    return False, [dict(row, late=row["code"] in late_codes) for row in actions.values(*_ROW)]


def build_report(*, user: Actor, meeting: Meeting) -> Report:
    frozen, rows = _state_rows(user, meeting)
    labels = dict(Status.choices)
    counts = dict.fromkeys(labels, 0)
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
        row["status_label"] = labels.get(row["status"], row["status"])
    late = sorted(
        (r for r in rows if r["late"]), key=lambda r: (r["deadline_end"] or meeting.held_on, r["code"])
    )
    for row in late:
        row["days_late"] = (meeting.held_on - row["deadline_end"]).days if row["deadline_end"] else None
    page = selectors.meeting_page(user=user, meeting=meeting)
    previous = page["previous"]
    changes = selectors.compare_meetings(user=user, before=previous, after=meeting) if previous else None
    campaigns = [
        {"campaign": c, **selectors.campaign_page(user=user, campaign=c)}
        for c in meeting.campaigns.filter(~Q(state="draft")).select_related("programme__owner")
    ]
    return Report(
        meeting=meeting,
        frozen=frozen,
        generated_at=timezone.localtime(),
        totals=[(labels[value], counts[value]) for value in labels],
        late=late,
        decisions=page["decisions"],
        to_follow=page["to_follow"],
        previous=previous,
        changes=changes,
        campaigns=campaigns,
        workstreams=(page["summary"] or {}).get("workstreams", []),
        indicators=indicator_panels(
            user=user, programme=meeting.programme, root=meeting.structure, on=meeting.held_on
        ),
    )


def render_pdf(report: Report) -> bytes:
    from weasyprint import HTML  # imported here: Pango is loaded only by the processes that write reports

    html = render_to_string("committees/report/report.html", {"report": report})
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def render_odt(report: Report) -> bytes:
    """The same report as an OpenDocument text, for those who rework it in a word processor."""
    content = render_to_string("committees/report/content.xml", {"report": report})
    return odf_package(ODT, content)


def report_filename(meeting: Meeting, fmt: str) -> str:
    stem = f"releve-{meeting.committee}-{meeting.held_on.isoformat()}"
    return f"{stem}.{fmt}"

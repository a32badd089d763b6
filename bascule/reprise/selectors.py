"""Reads of the data takeover: runs in the perimeter, a run's anomalies and differences (from its Parquet files,
filtered by Polars), dashboards per structure and national, re-keying progress — a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.core.files.storage import default_storage
from django.db.models import Count, Q, QuerySet, Sum

from bascule.core.system import Actor
from bascule.reprise.engine import RULES
from bascule.reprise.models import CENTRE_FIGURES, Kind, Rekey, RunCentre, TakeoverRun
from bascule.reprise.services import ANOMALIES, CONTROLS, DIFFERENCES, output_name

ANOMALY_HEADERS = {
    "fichier": "Fichier",
    "ligne": "Ligne",
    "regle": "Règle",
    "gravite": "Gravité",
    "colonne": "Colonne",
    "valeur": "Valeur",
    "message": "Message",
    "ej": "N° EJ",
    "poste": "N° poste EJ",
    "centre": "Centre financier",
    "tiers": "Code tiers",
}
DIFFERENCE_HEADERS = {
    "categorie": "Catégorie",
    "ej": "N° EJ",
    "poste": "N° poste EJ",
    "ligne_source": "Ligne source",
    "ligne_cible": "Ligne cible",
    "centre": "Centre financier",
    "champs": "Champs différents",
    "reste_source": "Reste à payer source (centimes)",
    "reste_cible": "Reste à payer cible (centimes)",
}


def run_list(*, user: Actor) -> QuerySet[TakeoverRun]:
    return TakeoverRun.objects.visible_to(user).select_related("structure").order_by("-created_at")


def _frame(run: TakeoverRun, filename: str) -> pl.LazyFrame | None:
    name = output_name(run, filename)
    if run.status != TakeoverRun.Status.SUCCEEDED or not default_storage.exists(name):
        return None
    return pl.scan_parquet(default_storage.path(name))


@dataclass
class AnomalyFilters:
    rule: str = ""
    severity: str = ""
    centre: str = ""
    tiers: str = ""
    text: str = ""

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        c = pl.col
        if self.rule:
            frame = frame.filter(c("regle") == self.rule)
        if self.severity:
            frame = frame.filter(c("gravite") == self.severity)
        if self.centre:
            frame = frame.filter(c("centre") == self.centre)
        if self.tiers:
            frame = frame.filter(c("tiers") == self.tiers)
        if self.text:
            frame = frame.filter(
                c("message").str.contains(self.text, literal=True)
                | c("valeur").str.contains(self.text, literal=True)
            )
        return frame


@dataclass
class AnomalyPage:
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    centres: list[str] = field(default_factory=list)


def anomalies(*, run: TakeoverRun, filters: AnomalyFilters, offset: int = 0, limit: int = 50) -> AnomalyPage:
    frame = _frame(run, ANOMALIES)
    if frame is None:
        return AnomalyPage()
    chosen = filters.apply(frame)
    total = chosen.select(pl.len()).collect().item()
    rows = chosen.slice(offset, limit).collect().to_dicts()
    centres = frame.select(pl.col("centre").drop_nulls().unique().sort()).collect()["centre"].to_list()
    return AnomalyPage(rows, total, centres)


def anomaly_rows(*, run: TakeoverRun, filters: AnomalyFilters) -> pl.DataFrame:
    frame = _frame(run, ANOMALIES)
    return filters.apply(frame).collect() if frame is not None else pl.DataFrame()


def differences(*, run: TakeoverRun) -> pl.DataFrame:
    frame = _frame(run, DIFFERENCES)
    return (
        frame.collect()
        if frame is not None
        else pl.DataFrame(schema=dict.fromkeys(DIFFERENCE_HEADERS, pl.String))
    )


def controls(*, run: TakeoverRun, level: str) -> pl.DataFrame:
    frame = _frame(run, CONTROLS.format(level))
    return frame.collect() if frame is not None else pl.DataFrame()


def report(*, run: TakeoverRun) -> dict[str, Any]:
    """What the reconciliation report says: the verdict, the per-centre identity, the control totals, every
    difference (the first 500 on the page; the XLSX holds them all)."""
    centres = list(run.centres.all())
    totals = {key: sum(getattr(c, key) or 0 for c in centres) for key in CENTRE_FIGURES}
    diff = differences(run=run)
    programmes = controls(run=run, level="programme")
    return {
        "centres": centres,
        "totals": totals,
        "balanced": all(
            c.source_lines == c.in_scope_lines + c.excluded_lines + c.blocked_lines
            and c.source_remaining == c.in_scope_remaining + c.excluded_remaining + c.blocked_remaining
            for c in centres
        ),
        "differences": diff.head(500).to_dicts(),
        "differences_total": diff.height,
        "programmes": programmes.to_dicts(),
        "summary": run.summary,
    }


def home(*, user: Actor) -> dict[str, Any] | None:
    runs = list(run_list(user=user)[:3])
    if not runs:
        return None
    pending = Rekey.objects.visible_to(user).filter(done=False).count()
    return {"runs": runs, "pending_rekeys": pending}


@dataclass
class StructureRow:
    run: TakeoverRun
    reliable_share: int | None
    remaining_source: int
    remaining_in_scope: int
    history: list[tuple[TakeoverRun, dict[str, int]]]


def dashboard(*, user: Actor) -> dict[str, Any]:
    """Per structure (its latest finished run) and nationally: share of lines made reliable, anomalies per rule
    over successive runs, remaining amount carried over vs source. Four queries whatever the number of runs."""
    finished = list(
        run_list(user=user)
        .filter(status=TakeoverRun.Status.SUCCEEDED)
        .order_by("structure__code", "-created_at")
    )
    latest: dict[Any, TakeoverRun] = {}
    history: dict[Any, list[TakeoverRun]] = {}
    for run in finished:
        latest.setdefault(run.structure_id, run)
        history.setdefault(run.structure_id, []).append(run)
    sums = {
        row["run_id"]: row
        for row in RunCentre.objects.filter(run__in=list(latest.values()))
        .values("run_id")
        .annotate(
            source=Sum("source_remaining"),
            in_scope=Sum("in_scope_remaining"),
            lines=Sum("source_lines"),
            reliable=Sum("in_scope_lines"),
            blocked=Sum("blocked_lines"),
        )
    }
    rows = []
    national = {"source": 0, "in_scope": 0, "reliable": 0, "blocked": 0, "lines": 0}
    by_rule = dict.fromkeys(RULES, 0)
    for structure_id, run in latest.items():
        figures: dict[str, Any] = dict(sums.get(run.pk, {}))
        reliable, blocked = figures.get("reliable") or 0, figures.get("blocked") or 0
        for key in national:
            national[key] += figures.get(key) or 0
        for rule, count in (run.summary.get("anomalies_by_rule") or {}).items():
            by_rule[rule] = by_rule.get(rule, 0) + count
        rows.append(
            StructureRow(
                run=run,
                reliable_share=round(100 * reliable / (reliable + blocked)) if reliable + blocked else None,
                remaining_source=figures.get("source") or 0,
                remaining_in_scope=figures.get("in_scope") or 0,
                history=[
                    (past, past.summary.get("anomalies_by_rule") or {})
                    for past in reversed(history[structure_id][:8])
                ],
            )
        )
    candidates = national["reliable"] + national["blocked"]
    return {
        "rows": rows,
        "national": national,
        "national_share": round(100 * national["reliable"] / candidates) if candidates else None,
        "by_rule": by_rule,
        "rules": RULES,
        "rekeying": rekey_progress(user=user),
    }


def rekey_progress(*, user: Actor) -> list[dict[str, Any]]:
    """Per structure, the lines to re-key by hand: how many, how many done, the remaining amount still to carry."""
    rows = (
        Rekey.objects.visible_to(user)
        .values("run__structure__code", "run__structure__name")
        .annotate(
            total=Count("id"),
            done_count=Count("id", filter=Q(done=True)),
            pending_remaining=Sum("remaining", filter=Q(done=False)),
        )
        .order_by("run__structure__code")
    )
    return [dict(row) for row in rows]


def rekeys(*, run: TakeoverRun) -> QuerySet[Rekey]:
    return Rekey.objects.filter(run=run).order_by("done", "centre", "ej", "poste")


def kinds() -> list[tuple[str, str]]:
    return list(Kind.choices)


def run_task(*, run: TakeoverRun, user: Actor) -> Any:
    """The latest background task of a run that the user may see (their own), or None."""
    from bascule.core.models import TaskRun

    return (
        TaskRun.objects.visible_to(user)
        .filter(kind="reprise.run", params__run=str(run.pk))
        .order_by("-created_at")
        .first()
    )

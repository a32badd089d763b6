"""Every write of the data takeover: header mappings, runs (created, executed once, then immutable), re-keying.

A run is created with its files (each hashed, SHA-256) and queued; `run_execute` (the background task, or the CLI
directly) reads the files, calls the engine, stores what it found — anomalies and differences as Parquet next to the
inputs, the summary and one row per financial centre in the database, and for a migration the lines the target
could not load as re-keying items — then feeds the region's « Reprise des données » workstream. A file that cannot
be used fails the run with the engine's French reason; a finished run is never written again.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import IO, Any

import polars as pl
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from bascule.core.access import can_write_path, require_ability
from bascule.core.system import SYSTEM, Actor
from bascule.core.writes import save_historised, update_versioned
from bascule.organisation.models import Structure
from bascule.reprise.engine import REFERENCE_FILES, EngineError, Inputs, Outcome, Source, run_engine
from bascule.reprise.models import CENTRE_FIGURES, HeaderMapping, Kind, Rekey, RunCentre, TakeoverRun

logger = logging.getLogger(__name__)

STRUCTURE_ONLY = "Seuls les responsables de cette structure (ou le pilotage national) lancent sa reprise."
ANOMALIES = "anomalies.parquet"
DIFFERENCES = "ecarts.parquet"
CONTROLS = "controles-{}.parquet"
MAX_REKEYS = (
    50_000  # a target that loaded nothing is a failed load, not a re-keying job: the report lists it all
)


def _actor_name(by: Actor) -> str:
    if by is SYSTEM:
        return "Système (ligne de commande)"
    person = getattr(by, "person", None)
    return str(person or getattr(by, "email", "") or by)[:255]


# --- header mappings ------------------------------------------------------------------------------------
def mapping_create(*, by: Actor, structure: Structure, name: str, lines: str) -> HeaderMapping:
    if not can_write_path(by, structure.path):
        raise PermissionDenied(STRUCTURE_ONLY)
    mapping = HeaderMapping(structure=structure, name=name.strip(), lines=lines.strip())
    with transaction.atomic():
        save_historised(mapping, by=by)
    return mapping


def mapping_update(*, by: Actor, mapping: HeaderMapping, version: int, **changes: Any) -> HeaderMapping:
    require_ability(mapping, by, "change", STRUCTURE_ONLY)
    with transaction.atomic():  # the row is locked (select_for_update) while its version is checked
        return update_versioned(mapping, by=by, version=version, changes=changes, allowed=("name", "lines"))


# --- runs -----------------------------------------------------------------------------------------------
def _sha256(upload: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def _size(size: int) -> str:
    return f"{size / 1024**3:.1f} Go".replace(".", ",") if size >= 1024**3 else f"{size / 1024**2:.0f} Mo"


def previous_run(structure: Structure) -> TakeoverRun | None:
    """The structure's last finished run that carried lines over (a migration or a delta)."""
    return (
        TakeoverRun.objects.filter(
            structure=structure, status=TakeoverRun.Status.SUCCEEDED, kind__in=[Kind.MIGRATION, Kind.DELTA]
        )
        .order_by("-created_at")
        .first()
    )


def run_create(
    *,
    by: Actor,
    structure: Structure,
    kind: str,
    commitments: File[Any],
    third_parties: File[Any],
    target: File[Any] | None = None,
    reference: File[Any] | None = None,
    mappings: File[Any] | None = None,
    header_mapping: HeaderMapping | None = None,
    cutoff: date | None = None,
    enqueue: bool = True,
) -> TakeoverRun:
    """Record a run with its files (hashed) and queue it; a delta starts where the previous run stopped."""
    if not can_write_path(by, structure.path):
        raise PermissionDenied(STRUCTURE_ONLY)
    if kind not in Kind.values:
        raise ValidationError({"kind": "Type d'exécution inconnu."})
    if header_mapping is not None and header_mapping.structure_id != structure.pk:
        raise ValidationError({"header_mapping": "Cette correspondance est celle d'une autre structure."})
    previous = previous_run(structure)
    since = None
    if kind == Kind.DELTA:
        latest = (previous.summary or {}).get("max_modified") if previous else None
        if not latest:
            raise ValidationError(
                {
                    "kind": "Un delta suit une reprise terminée de la même structure, avec des dates de modification."
                }
            )
        since = date.fromisoformat(latest)
    run = TakeoverRun(
        structure=structure,
        kind=kind,
        launched_by=None if by is SYSTEM else by,  # type: ignore[misc]
        launched_by_name=_actor_name(by),
        header_mapping=header_mapping,
        cutoff=cutoff,
        since=since,
        previous=previous if kind == Kind.DELTA else None,
    )
    inputs: dict[str, Any] = {}
    files = {
        "commitments": commitments,
        "third_parties": third_parties,
        "target": target,
        "reference": reference,
        "mappings": mappings,
    }
    for name, upload in files.items():
        if upload is None:
            continue
        digest, size = _sha256(upload)  # type: ignore[arg-type]
        inputs[name] = {
            "name": (upload.name or name).rsplit("/", 1)[-1][:255],
            "sha256": digest,
            "bytes": size,
        }
    limit = settings.BASCULE_TAKEOVER_MAX_BYTES
    too_big = {name: file for name, file in inputs.items() if file["bytes"] > limit}
    if too_big:
        raise ValidationError(
            {
                name: f"Le fichier « {file['name']} » pèse {_size(file['bytes'])}, au-delà de ce que ce serveur lit "
                f"en une exécution ({_size(limit)}) : découpez l'extraction (par programme ou par centre financier)."
                for name, file in too_big.items()
            }
        )
    run.inputs = inputs
    with transaction.atomic():
        for name, upload in files.items():
            if upload is not None:
                getattr(run, name).save(inputs[name]["name"], upload, save=False)
        save_historised(run, by=by)
        if enqueue:
            from bascule.core.services import taskrun_start

            taskrun_start(
                kind="reprise.run", label=f"Reprise — {structure}", owner=by, params={"run": str(run.pk)}
            )
    return run


def _update(run: TakeoverRun, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    TakeoverRun.objects.filter(pk=run.pk).update(**fields)


def _historise(run: TakeoverRun) -> None:
    """The run's final state in its history (what it found, or why it failed), by the system."""
    run.refresh_from_db()
    save_historised(
        run, by=SYSTEM, reason="Exécution terminée" if run.status == run.Status.SUCCEEDED else "Échec"
    )


def _read(field: Any) -> bytes:
    with field.open("rb") as handle:
        return handle.read()  # type: ignore[no-any-return]


REFERENCE_MAX_BYTES = 200 * 1024 * 1024  # one reference table unpacked: a few thousand codes, never this much


def _reference(field: Any) -> dict[str, bytes]:
    """The reference tables of the ZIP (by file name, wherever they are in it); an archive that is not a ZIP or
    that would unpack into more than REFERENCE_MAX_BYTES per table is refused in French."""
    try:
        with zipfile.ZipFile(io.BytesIO(_read(field))) as archive:
            wanted = {
                info.filename.rsplit("/", 1)[-1]: info
                for info in archive.infolist()
                if info.filename.rsplit("/", 1)[-1] in REFERENCE_FILES.values()
            }
            for name, info in wanted.items():
                if info.file_size > REFERENCE_MAX_BYTES:
                    raise EngineError(f"Référentiel cible : « {name} » dépasse 200 Mo une fois décompressé.")
            return {name: archive.read(info)[: REFERENCE_MAX_BYTES + 1] for name, info in wanted.items()}
    except zipfile.BadZipFile:
        raise EngineError(
            "Référentiel cible : déposez un ZIP des fichiers centres_financiers.csv, domaines_fonctionnels.csv, "
            "activites.csv et comptes_budgetaires.csv."
        ) from None


def inputs_of(run: TakeoverRun) -> Inputs:
    def source(field: Any) -> Source | None:
        if not field:
            return None
        name = field.name.rsplit("/", 1)[-1]
        try:
            path = Path(field.path)  # a local storage: the engine reads the file itself
        except NotImplementedError:
            return Source(b"", name, load=lambda: _read(field))  # a remote storage: read when needed
        return Source(b"", name, path=path)

    return Inputs(
        commitments=source(run.commitments),  # type: ignore[arg-type]
        third_parties=source(run.third_parties),  # type: ignore[arg-type]
        target=source(run.target),
        reference=_reference(run.reference) if run.reference else None,
        mappings=source(run.mappings),
        cutoff=run.cutoff,
        since=run.since,
        headers=run.header_mapping.as_dict() if run.header_mapping else {},
    )


def _parquet(frame: pl.DataFrame) -> ContentFile[bytes]:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd")
    return ContentFile(buffer.getvalue())


def output_name(run: TakeoverRun, filename: str) -> str:
    return f"reprise/{run.pk}/{filename}"


def run_execute(*, run: TakeoverRun, progress: Callable[[int, str], None] | None = None) -> TakeoverRun:
    """Execute a pending run once; on a file that cannot be used, the run fails with the engine's reason."""
    if run.status != TakeoverRun.Status.PENDING:
        return run  # a task may be delivered twice; a finished run is immutable

    def step(percent: int, message: str) -> None:
        _update(run, progress=max(1, min(99, percent)), message=message[:255])
        if progress:
            progress(percent, message)

    started = time.monotonic()
    _update(
        run, status=TakeoverRun.Status.RUNNING, started_at=timezone.now(), progress=1, message="Démarrage"
    )
    try:
        outcome = run_engine(inputs_of(run), step)
    except Exception as exc:
        if not isinstance(exc, EngineError):
            # Whatever broke (a reader, the memory, a bug), the run ends failed with a French reason naming the
            # step it reached — never « en cours » forever — and the task says the same.
            logger.exception("Takeover run %s failed at « %s »", run.pk, run.message)
            exc = EngineError(
                f"L'exécution s'est interrompue pendant l'étape « {run.message or 'Démarrage'} » "
                f"({type(exc).__name__}) ; rien n'a été enregistré. Vérifiez que les fichiers s'ouvrent dans un "
                "tableur, puis relancez ; si l'erreur revient, transmettez ce message à l'équipe technique."
            )
        _update(
            run,
            status=TakeoverRun.Status.FAILED,
            error=str(exc)[:10_000],
            finished_at=timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000),
            message="",
        )
        _historise(run)
        raise exc from None
    step(97, "Enregistrement des résultats")
    storage = run.commitments.storage
    for filename, frame in (
        (ANOMALIES, outcome.anomalies),
        (DIFFERENCES, outcome.differences),
        *((CONTROLS.format(level), table) for level, table in outcome.controls.items()),
    ):
        name = output_name(run, filename)
        if storage.exists(name):
            storage.delete(name)
        storage.save(name, _parquet(frame))
    summary = dict(outcome.summary)
    summary["inputs"] = run.inputs
    with transaction.atomic():
        RunCentre.objects.bulk_create(_centres(run, outcome))
        if run.kind in (Kind.MIGRATION, Kind.DELTA) and outcome.summary["reconciliation"]:
            bulk_create_with_history(_rekeys(run, outcome), Rekey, batch_size=2000)
        _update(
            run,
            status=TakeoverRun.Status.SUCCEEDED,
            summary=summary,
            progress=100,
            message="Terminée",
            finished_at=timezone.now(),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        _historise(run)
    workstream_sync(run=run)
    return run


def run_interrupted(*, run_id: Any, reason: str) -> None:
    """The worker executing the run died (core's reaper): the run ends failed with the reason, not « en cours »."""
    run = TakeoverRun.objects.filter(
        pk=run_id, status__in=[TakeoverRun.Status.PENDING, TakeoverRun.Status.RUNNING]
    ).first()
    if run is None:
        return
    _update(
        run, status=TakeoverRun.Status.FAILED, error=reason[:10_000], finished_at=timezone.now(), message=""
    )
    _historise(run)


def run_requeue(*, run_id: Any) -> None:
    """An interrupted run restarted (core's `taskrun_restart`, by who launched it): pending again, same files."""
    run = TakeoverRun.objects.filter(pk=run_id, status=TakeoverRun.Status.FAILED).first()
    if run is None:
        return
    _update(run, status=TakeoverRun.Status.PENDING, error="", finished_at=None, progress=0, message="")
    run.refresh_from_db()
    save_historised(run, by=SYSTEM, reason="Relancée après une interruption")


def _centres(run: TakeoverRun, outcome: Outcome) -> list[RunCentre]:
    per_rule = (
        outcome.anomalies.filter(pl.col("fichier") == "engagements", pl.col("regle") != "LECTURE")
        .group_by("centre", "regle")
        .agg(pl.col("ligne").n_unique())
    )
    rules: dict[str, dict[str, int]] = {}
    for centre, rule, count in per_rule.iter_rows():
        rules.setdefault(centre or "", {})[rule] = int(count)
    has_target = "cible_lignes" in outcome.centres.columns
    rows = []
    for row in outcome.centres.iter_rows(named=True):
        centre = row["centre"] or ""

        def value(key: str, row: dict[str, Any] = row) -> int:
            return int(row.get(key) or 0)

        figures: dict[str, int | None] = {
            name: value(column) if has_target or not name.startswith("target_") else None
            for name, column in CENTRE_FIGURES.items()
        }
        rows.append(RunCentre(run=run, centre=centre[:60], anomalies=rules.get(centre, {}), **figures))
    return rows


def _rekeys(run: TakeoverRun, outcome: Outcome) -> list[Rekey]:
    lost = outcome.differences.filter(pl.col("categorie").is_in(["absente de la cible", "différente"])).head(
        MAX_REKEYS
    )
    return [
        Rekey(
            run=run,
            ej=(row["ej"] or "")[:60],
            poste=(row["poste"] or "")[:20],
            centre=(row["centre"] or "")[:60],
            line=row["ligne_source"] or 0,
            remaining=row["reste_source"] or 0,
            reason=(
                "Absente de la cible"
                if row["categorie"] == "absente de la cible"
                else f"Différente dans la cible : {row['champs']}"
            )[:255],
        )
        for row in lost.iter_rows(named=True)
    ]


def rekey_mark(
    *, by: Actor, rekey: Rekey, version: int, done: bool, target_number: str = "", comment: str = ""
) -> Rekey:
    """Mark a line as re-keyed by hand in the target (who and when are recorded), or undo it."""
    require_ability(rekey, by, "change", STRUCTURE_ONLY)
    if done and not target_number.strip():
        raise ValidationError({"target_number": "Indiquez le numéro de l'engagement ressaisi dans la cible."})
    changes: dict[str, Any] = {
        "done": done,
        "target_number": target_number.strip() if done else "",
        "comment": comment.strip(),
        "done_by": _actor_name(by) if done else "",
        "done_at": timezone.now() if done else None,
    }
    with transaction.atomic():  # the row is locked (select_for_update) while its version is checked
        updated = update_versioned(
            rekey,
            by=by,
            version=version,
            changes=changes,
            allowed=("done", "target_number", "comment", "done_by", "done_at"),
        )
        transaction.on_commit(lambda: workstream_sync(run=rekey.run))
    return updated


def workstream_sync(*, run: TakeoverRun) -> Any:
    """The region's « Reprise des données » workstream follows its latest run: the share of lines made reliable
    (in scope among those with a balance); 100 % and done once a migration reconciles with no loss and every line
    left to re-key is re-keyed. A blocked or abandoned workstream is left as it is."""
    from bascule.programmes.models import Status, Workstream
    from bascule.programmes.services import workstream_update

    if run.status != TakeoverRun.Status.SUCCEEDED:
        return None
    latest = (
        TakeoverRun.objects.filter(structure=run.structure, status=TakeoverRun.Status.SUCCEEDED)
        .order_by("-created_at")
        .first()
    )
    if latest is None or latest.pk != run.pk:
        return None
    summary = run.summary
    candidates = summary.get("in_scope", 0) + summary.get("blocked", 0)
    percent = round(100 * summary.get("in_scope", 0) / candidates) if candidates else 0
    pending = Rekey.objects.filter(run=run, done=False).exists()
    finished = run.kind != Kind.SIMULATION and summary.get("no_loss") is True and not pending
    if finished:
        percent = 100
    elif percent == 100:
        percent = 99  # reliable is not yet carried over: 100 % waits for a reconciliation with no loss
    status = Status.DONE if finished else Status.IN_PROGRESS
    updated = []
    for workstream in Workstream.objects.filter(
        structure=run.structure, template__name__iexact="Reprise des données"
    ).exclude(status__in=[Status.BLOCKED, Status.ABANDONED]):
        if (workstream.percent, workstream.status) != (percent, status):
            updated.append(
                workstream_update(
                    by=SYSTEM,
                    workstream=workstream,
                    version=workstream.version,
                    percent=percent,
                    status=status,
                )
            )
    return updated

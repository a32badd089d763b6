"""Pages of the core: home, health check, background task runs (progress, result, apply an import)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.db.models import Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_tasks_db.models import DBTaskResult

from bascule.core import services
from bascule.core.access import get_visible_or_404, require_ability
from bascule.core.exports import export_format, table_response
from bascule.core.htmx import render_partial_or_full
from bascule.core.imports import IMPORTERS, ImportReport
from bascule.core.models import TaskRun, WorkerHeartbeat
from bascule.core.registry import HOME_PANELS, panels_for
from bascule.core.services import interrupted_runs, taskrun_start


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"panels": panels_for(HOME_PANELS, request.user)})


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and supervision: the database answers, and queued tasks have a live worker.

    200 when all is well; 503 when the database does not answer, when tasks wait and no worker has shown a
    sign of life for BASCULE_WORKER_STALE_SECONDS, or when runs are « en cours » on a worker that died and no
    live worker has failed them yet (the JSON says which, with the worker's last heartbeat and the runs
    interrupted over the last 24 hours).
    """
    try:
        waiting = DBTaskResult.objects.ready().count()
        last_seen = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
        stuck = interrupted_runs().count()
        interrupted_24h = TaskRun.objects.filter(
            params__interrupted=True, finished_at__gte=timezone.now() - timedelta(hours=24)
        ).count()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "injoignable"}, status=503)
    alive = last_seen is not None and timezone.now() - last_seen < timedelta(
        seconds=settings.BASCULE_WORKER_STALE_SECONDS
    )
    body = {
        "status": "ok",
        "database": "ok",
        "worker": "actif" if alive else "absent",
        "worker_last_seen": last_seen.isoformat() if last_seen else None,
        "tasks_waiting": waiting,
        "tasks_interrupted": stuck,
        "tasks_interrupted_24h": interrupted_24h,
    }
    if (waiting and not alive) or stuck:
        body["status"] = "error"
        return JsonResponse(body, status=503)
    return JsonResponse(body)


@require_GET
def taskrun_list(request: HttpRequest) -> HttpResponse:
    runs = TaskRun.objects.visible_to(request.user).select_related("owner")
    if fmt := export_format(request):
        rows = ([run.label, run.get_status_display(), run.created_at, run.error] for run in runs.iterator())
        headers = ["Traitement", "État", "Lancé le", "Erreur"]
        return table_response(fmt, headers, rows, filename_stem="traitements", title="Traitements")
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(request, "core/taskrun_list.html", {"page_obj": page})


@require_GET
def taskrun_detail(request: HttpRequest, taskrun_id: str) -> HttpResponse:
    run = get_visible_or_404(TaskRun.objects.select_related("owner"), request.user, pk=taskrun_id)
    report = None
    if run.kind == "import" and run.status == TaskRun.Status.SUCCEEDED and run.result:
        report = ImportReport.from_dict(run.result)
    importer = IMPORTERS.get(run.params.get("importer", ""))
    context = {"run": run, "report": report, "importer": importer}
    return render_partial_or_full(
        request, "core/taskrun_detail.html", "core/includes/taskrun_status.html", context
    )


@require_GET
def taskrun_download(request: HttpRequest, taskrun_id: str) -> FileResponse:
    """The document a finished run produced (a committee report…), to whoever may see the run."""
    run = get_visible_or_404(TaskRun.objects, request.user, pk=taskrun_id)
    if not run.output_file.name or not run.output_file.storage.exists(run.output_file.name):
        raise Http404("Ce traitement n'a pas produit de document (ou il n'est plus conservé).")
    filename = run.params.get("output_filename") or run.output_file.name.rsplit("/", 1)[-1]
    return FileResponse(run.output_file.open("rb"), as_attachment=True, filename=filename)


@require_POST
def taskrun_restart(request: HttpRequest, taskrun_id: str) -> HttpResponse:
    """Run again a run its worker's death interrupted (same file, same parameters), once."""
    run = get_visible_or_404(TaskRun.objects.select_related("owner"), request.user, pk=taskrun_id)
    require_ability(run, request.user, "restart", "Seul un traitement interrompu se relance, une fois.")
    again = services.taskrun_restart(by=request.user, run=run)
    messages.info(request, "Le traitement est relancé : cette page se met à jour toute seule.")
    return redirect("core:taskrun_detail", taskrun_id=again.pk)


@require_POST
def taskrun_apply(request: HttpRequest, taskrun_id: str) -> HttpResponse:
    """Apply an import whose preview the user has just read (same file, planned again at apply time)."""
    preview = get_visible_or_404(TaskRun.objects, request.user, pk=taskrun_id)
    if (
        preview.kind != "import"
        or preview.params.get("mode") != "preview"
        or preview.status != TaskRun.Status.SUCCEEDED
    ):
        messages.error(request, "Seul un aperçu d'import terminé peut être appliqué.")
        return redirect("core:taskrun_detail", taskrun_id=preview.pk)
    run = taskrun_start(
        kind="import",
        label=preview.label.replace("Aperçu", "Application", 1),
        owner=request.user,
        params={**preview.params, "mode": "apply", "preview": str(preview.pk)},
        source=preview,
    )
    messages.info(request, "L'import est lancé : cette page se met à jour toute seule.")
    return redirect("core:taskrun_detail", taskrun_id=run.pk)

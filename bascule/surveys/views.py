"""Pages of surveys: thin, every write through the services, every figure from the selectors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bascule.core.access import (
    get_visible_or_404,
    public_page,
    read_only_post,
    require_ability,
    require_user_ability,
)
from bascule.core.exports import export_format, table_response
from bascule.core.forms import form_errors, run_service
from bascule.core.history import history_entries
from bascule.core.parsing import is_uuid
from bascule.core.services import taskrun_start
from bascule.organisation.models import Structure
from bascule.organisation.selectors import visible_structure
from bascule.programmes.selectors import piloted_programmes
from bascule.surveys import questionnaires, selectors, services
from bascule.surveys.answers import cell_key, other_key, read_values, shows
from bascule.surveys.forms import (
    AnswerImportForm,
    QuestionForm,
    QuestionnaireForm,
    ReopenForm,
    SectionForm,
    SurveyForm,
    ThemeForm,
)
from bascule.surveys.importers import AnswerImporter
from bascule.surveys.models import Answer, Kind, Question, Questionnaire, Survey, Theme

DEFAULT_DAYS = 21  # a new survey's default answering time
_QUESTIONNAIRES = Questionnaire.objects.select_related("programme__owner", "previous")
_SURVEYS = Survey.objects.select_related("questionnaire__programme__owner", "root")
_ANSWERS = Answer.objects.select_related(
    "survey__questionnaire__programme__owner", "structure", "reused_from"
)


@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    """The one calendar of surveys, and the questionnaires."""
    return render(
        request,
        "surveys/survey_list.html",
        {
            "surveys": list(selectors.survey_calendar(user=request.user)),
            "questionnaires": list(
                Questionnaire.objects.visible_to(request.user)
                .select_related("programme")
                .order_by("title", "-edition")
            ),
        },
    )


@require_GET
def my_requests(request: HttpRequest) -> HttpResponse:
    return render(
        request, "surveys/requests.html", {"answers": list(selectors.my_requests(user=request.user))}
    )


@require_GET
def structure_requests(request: HttpRequest, structure_id: str) -> HttpResponse:
    structure = get_visible_or_404(Structure.objects, request.user, pk=structure_id)
    return render(
        request,
        "surveys/requests.html",
        {
            "structure": structure,
            "answers": list(selectors.structure_requests(user=request.user, structure=structure)),
        },
    )


# --- questionnaires -------------------------------------------------------------------------------------
def questionnaire_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "surveys.add_questionnaire")
    form = QuestionnaireForm(request.POST or None, programmes=piloted_programmes(user=request.user))
    if request.method == "POST" and form.is_valid():
        questionnaire = run_service(
            form,
            lambda: questionnaires.questionnaire_create(
                by=request.user, programme=form.cleaned_data["programme"], **form.values()
            ),
        )
        if questionnaire is not None:
            messages.success(request, "Questionnaire créé : ajoutez ses sections et ses questions.")
            return redirect("surveys:questionnaire_detail", questionnaire_id=questionnaire.pk)
    return render(request, "surveys/questionnaire_form.html", {"form": form})


@require_GET
def questionnaire_detail(request: HttpRequest, questionnaire_id: str) -> HttpResponse:
    questionnaire = get_visible_or_404(_QUESTIONNAIRES, request.user, pk=questionnaire_id)
    return render(
        request,
        "surveys/questionnaire_detail.html",
        {
            "questionnaire": questionnaire,
            **selectors.questionnaire_page(questionnaire=questionnaire),
            "section_form": SectionForm(),
            "history": history_entries(questionnaire, limit=10),
        },
    )


def questionnaire_edit(request: HttpRequest, questionnaire_id: str) -> HttpResponse:
    questionnaire = get_visible_or_404(_QUESTIONNAIRES, request.user, pk=questionnaire_id)
    require_ability(questionnaire, request.user, "change", questionnaires.FROZEN)
    form = QuestionnaireForm(request.POST or None, instance=questionnaire)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: questionnaires.questionnaire_update(
                by=request.user,
                questionnaire=questionnaire,
                version=form.cleaned_data["version"],
                **form.values(),
            ),
        )
        if done is not None:
            return redirect("surveys:questionnaire_detail", questionnaire_id=questionnaire.pk)
    return render(request, "surveys/questionnaire_form.html", {"form": form, "questionnaire": questionnaire})


@require_POST
def section_add(request: HttpRequest, questionnaire_id: str) -> HttpResponse:
    questionnaire = get_visible_or_404(_QUESTIONNAIRES, request.user, pk=questionnaire_id)
    require_ability(questionnaire, request.user, "change", questionnaires.FROZEN)
    form = SectionForm(request.POST)
    if form.is_valid():
        run_service(
            form,
            lambda: questionnaires.section_add(
                by=request.user, questionnaire=questionnaire, title=form.cleaned_data["title"]
            ),
        )
    if form.errors:
        messages.error(request, form_errors(form))
    return redirect("surveys:questionnaire_detail", questionnaire_id=questionnaire.pk)


def question_add(request: HttpRequest, questionnaire_id: str) -> HttpResponse:
    questionnaire = get_visible_or_404(_QUESTIONNAIRES, request.user, pk=questionnaire_id)
    require_ability(questionnaire, request.user, "change", questionnaires.FROZEN)
    form = QuestionForm(request.POST or None, questionnaire=questionnaire)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        section = values.pop("section")
        question = run_service(
            form, lambda: questionnaires.question_add(by=request.user, section=section, **values)
        )
        if question is not None:
            messages.success(request, f"Question {question.code} ajoutée.")
            return redirect("surveys:questionnaire_detail", questionnaire_id=questionnaire.pk)
    return render(request, "surveys/question_form.html", {"form": form, "questionnaire": questionnaire})


def question_edit(request: HttpRequest, question_id: str) -> HttpResponse:
    question = get_visible_or_404(
        Question.objects.select_related("questionnaire__programme__owner", "section"),
        request.user,
        pk=question_id,
    )
    questionnaire = question.questionnaire
    require_ability(question, request.user, "change", questionnaires.FROZEN)
    form = QuestionForm(request.POST or None, questionnaire=questionnaire, question=question)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form, lambda: questionnaires.question_update(by=request.user, question=question, **form.values())
        )
        if done is not None:
            messages.success(request, f"Question {done.code} modifiée.")
            return redirect("surveys:questionnaire_detail", questionnaire_id=questionnaire.pk)
    return render(
        request,
        "surveys/question_form.html",
        {"form": form, "questionnaire": questionnaire, "question": question},
    )


@require_POST
def question_delete(request: HttpRequest, question_id: str) -> HttpResponse:
    question = get_visible_or_404(
        Question.objects.select_related("questionnaire__programme__owner"), request.user, pk=question_id
    )
    require_ability(question, request.user, "change", questionnaires.FROZEN)
    try:
        questionnaires.question_delete(by=request.user, question=question)
        messages.success(request, f"Question {question.code} supprimée.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("surveys:questionnaire_detail", questionnaire_id=question.questionnaire_id)


@require_POST
def questionnaire_new_edition(request: HttpRequest, questionnaire_id: str) -> HttpResponse:
    questionnaire = get_visible_or_404(_QUESTIONNAIRES, request.user, pk=questionnaire_id)
    require_ability(
        questionnaire, request.user, "new_edition", "Ce questionnaire a déjà une édition plus récente."
    )
    edition = questionnaires.questionnaire_new_edition(by=request.user, questionnaire=questionnaire)
    messages.success(
        request, f"Édition {edition.edition} créée : modifiez-la, les réponses déjà reçues restent."
    )
    return redirect("surveys:questionnaire_detail", questionnaire_id=edition.pk)


# --- surveys -------------------------------------------------------------------------------------------
def survey_create(request: HttpRequest, questionnaire_id: str) -> HttpResponse:
    questionnaire = get_visible_or_404(_QUESTIONNAIRES, request.user, pk=questionnaire_id)
    require_ability(questionnaire, request.user, "send", services.PILOTS_ONLY)
    today = timezone.localdate()
    form = SurveyForm(
        request.POST or None,
        initial={
            "title": questionnaire.title,
            "opens_on": today,
            "closes_on": today + timedelta(days=DEFAULT_DAYS),
        },
    )
    if request.method == "POST" and form.is_valid():
        survey = run_service(
            form,
            lambda: services.survey_create(by=request.user, questionnaire=questionnaire, **form.values()),
        )
        if survey is not None:
            messages.success(
                request, "Enquête préparée : vérifiez ses destinataires et la charge, puis envoyez-la."
            )
            return redirect("surveys:survey_detail", survey_id=survey.pk)
    return render(request, "surveys/survey_form.html", {"form": form, "questionnaire": questionnaire})


def survey_edit(request: HttpRequest, survey_id: str) -> HttpResponse:
    survey = get_visible_or_404(_SURVEYS, request.user, pk=survey_id)
    require_ability(survey, request.user, "change", "Cette enquête est envoyée : elle ne change plus.")
    form = SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.survey_update(
                by=request.user, survey=survey, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if done is not None:
            return redirect("surveys:survey_detail", survey_id=survey.pk)
    return render(
        request,
        "surveys/survey_form.html",
        {"form": form, "questionnaire": survey.questionnaire, "survey": survey},
    )


@require_GET
def survey_detail(request: HttpRequest, survey_id: str) -> HttpResponse:
    """A survey: its calendar; before sending, who it targets and the load it adds; then rates and answers."""
    survey = get_visible_or_404(_SURVEYS, request.user, pk=survey_id)
    context: dict[str, Any] = {"survey": survey, "history": history_entries(survey, limit=10)}
    if survey.state == Survey.State.DRAFT:
        context["load"] = selectors.survey_load(survey=survey)
    else:
        data = selectors.results(user=request.user, survey=survey)
        context.update(rates=data["rates"], rows=data["rows"])
    return render(request, "surveys/survey_detail.html", context)


@require_POST
def survey_open(request: HttpRequest, survey_id: str) -> HttpResponse:
    survey = get_visible_or_404(_SURVEYS, request.user, pk=survey_id)
    require_ability(survey, request.user, "open", "Cette enquête n'est plus en préparation.")
    try:
        survey = services.survey_open(
            by=request.user, survey=survey, reuse=request.POST.get("reprendre") == "on"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Enquête envoyée à {survey.answers.count()} structure(s).")
    return redirect("surveys:survey_detail", survey_id=survey.pk)


@require_POST
def survey_remind(request: HttpRequest, survey_id: str) -> HttpResponse:
    survey = get_visible_or_404(_SURVEYS, request.user, pk=survey_id)
    require_ability(survey, request.user, "remind", "Cette enquête n'est pas ouverte.")
    sent = services.survey_remind(by=request.user, survey=survey)
    messages.success(
        request, f"{sent} relance(s) envoyée(s) ; les échecs sont indiqués structure par structure."
    )
    return redirect("surveys:survey_detail", survey_id=survey.pk)


@require_POST
def survey_close(request: HttpRequest, survey_id: str) -> HttpResponse:
    survey = get_visible_or_404(_SURVEYS, request.user, pk=survey_id)
    require_ability(survey, request.user, "close", "Cette enquête n'est pas ouverte.")
    services.survey_close(by=request.user, survey=survey)
    messages.success(
        request, "Enquête close : les liens de réponse ont expiré ; l'analyse qualitative est ouverte."
    )
    return redirect("surveys:survey_detail", survey_id=survey.pk)


@require_GET
def survey_results(request: HttpRequest, survey_id: str) -> HttpResponse:
    """Counts, percentages and charts per question (each with its table), within the perimeter; exports."""
    survey = get_visible_or_404(_SURVEYS, request.user, pk=survey_id)
    if fmt := export_format(request):
        headers, rows = selectors.export_rows(user=request.user, survey=survey)
        return table_response(fmt, headers, rows, filename_stem="enquete-reponses", title=survey.title[:31])
    root = None
    if dans := request.GET.get("dans", ""):
        root = visible_structure(user=request.user, pk=dans)
        if root is None:
            raise Http404("Aucune structure ne correspond à cette adresse dans votre périmètre.")
    return render(
        request,
        "surveys/survey_results.html",
        {
            "survey": survey,
            **selectors.results(user=request.user, survey=survey, root=root),
            "theme_form": ThemeForm(),
        },
    )


def survey_import(request: HttpRequest, survey_id: str) -> HttpResponse:
    """Answers collected outside Bascule (the export's columns), previewed then applied as phone answers."""
    survey = get_visible_or_404(_SURVEYS, request.user, pk=survey_id)
    require_ability(
        survey, request.user, "remind", "On importe des réponses dans une enquête ouverte, en pilote."
    )
    form = AnswerImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = taskrun_start(
            kind="import",
            label=f"Aperçu de l'import des réponses — {survey.title} — {upload.name}"[:255],
            owner=request.user,
            input_file=upload,
            params={"importer": AnswerImporter.name, "mode": "preview", "survey": str(survey.pk)},
        )
        return redirect("core:taskrun_detail", taskrun_id=run.pk)
    columns = AnswerImporter(user=request.user, survey=survey).columns
    return render(request, "surveys/import.html", {"form": form, "survey": survey, "columns": columns})


@read_only_post
@require_POST
def survey_summary(request: HttpRequest, survey_id: str) -> HttpResponse:
    """Start the PDF summary in the background (the user's perimeter); its page offers the download."""
    survey = get_visible_or_404(_SURVEYS, request.user, pk=survey_id)
    run = taskrun_start(
        kind="surveys.summary",
        label=f"Synthèse d'enquête — {survey.title}"[:255],
        owner=request.user,
        params={"survey": str(survey.pk)},
    )
    return redirect("core:taskrun_detail", taskrun_id=run.pk)


@require_POST
def theme_add(request: HttpRequest, survey_id: str) -> HttpResponse:
    survey = get_visible_or_404(_SURVEYS, request.user, pk=survey_id)
    require_ability(
        survey, request.user, "analyse", "Les thèmes se posent après la clôture, par le pilotage."
    )
    form = ThemeForm(request.POST)
    if form.is_valid():
        run_service(
            form, lambda: services.theme_add(by=request.user, survey=survey, name=form.cleaned_data["name"])
        )
    if form.errors:
        messages.error(request, form_errors(form))
    return redirect("surveys:survey_results", survey_id=survey.pk)


# --- answers ---------------------------------------------------------------------------------------------
def _fields(
    questions: list[Question], values: dict[str, Any], errors: dict[str, str] | None = None
) -> dict[str, Any]:
    """What the answer form draws, question by question (current values, errors, the condition to show it)."""
    errors = errors or {}
    by_id = {q.pk: q for q in questions}
    fields = []
    for q in questions:
        given = values.get(q.code)
        picked = given if isinstance(given, list) else [given] if given else []
        source = by_id.get(q.condition_on_id) if q.condition_on_id else None
        fields.append(
            {
                "q": q,
                "name": f"q_{q.code}",
                "value": "" if isinstance(given, (list, dict)) or given is None else given,
                "options": [(o, o in picked) for o in q.options],
                "other": values.get(other_key(q.code), ""),
                "table": [
                    (
                        row,
                        [
                            (f"q_{q.code}__{r}__{c}", (given or {}).get(cell_key(row, col), ""), col)
                            for c, col in enumerate(q.columns)
                        ],
                    )
                    for r, row in enumerate(q.rows)
                ]
                if q.kind == Kind.TABLE and isinstance(given or {}, dict)
                else [],
                "error": errors.get(q.code, ""),
                "condition": f"{source.code} = {q.condition_value}" if source else "",
                "condition_name": f"q_{source.code}" if source else "",
                "shown": shows(q, values, by_id),
            }
        )
    sections: list[tuple[Any, list[dict[str, Any]]]] = []
    for field in fields:
        if not sections or sections[-1][0].pk != field["q"].section_id:
            sections.append((field["q"].section, []))
        sections[-1][1].append(field)
    return {"sections": sections, "general_error": errors.get("__all__", "")}


def answer_detail(request: HttpRequest, answer_id: str) -> HttpResponse:
    """One structure's answer: the form while it may be filled (by the structure, or by steering on its behalf),
    otherwise what was sent."""
    answer = get_visible_or_404(_ANSWERS, request.user, pk=answer_id)
    abilities = answer.get_abilities(request.user)
    questions = selectors.ordered_questions(answer.survey.questionnaire)
    errors: dict[str, str] = {}
    values = dict(answer.values)
    if request.method == "POST":
        on_behalf = not abilities["answer"] and abilities["on_behalf"]
        if not (abilities["answer"] or abilities["on_behalf"]):
            raise PermissionDenied("Cette réponse n'attend rien de vous.")
        values, errors = read_values(
            questions, lambda k: request.POST.get(k, ""), lambda k: request.POST.getlist(k)
        )
        if not errors:
            try:
                services.answer_save(
                    by=request.user,
                    answer=answer,
                    values=values,
                    version=_version(request),
                    submit="envoyer" in request.POST,
                    on_behalf=on_behalf or (request.POST.get("telephone") == "on" and abilities["on_behalf"]),
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(
                    request,
                    "Réponse envoyée : merci." if "envoyer" in request.POST else "Brouillon enregistré.",
                )
                return redirect("surveys:answer_detail", answer_id=answer.pk)
    return render(
        request,
        "surveys/answer_detail.html",
        {
            "answer": answer,
            "survey": answer.survey,
            "abilities": abilities,
            "errors": errors,
            "reopen_form": ReopenForm(),
            "themes": list(answer.survey.themes.all()),
            "tags": {(t.question_code, t.theme_id) for t in answer.tags.all()},
            "history": history_entries(answer, limit=10),
            **_fields(questions, values, errors),
        },
        status=400 if errors else 200,
    )


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _errors(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {k: " ".join(str(m) for e in v for m in e.messages) for k, v in exc.error_dict.items()}
    return {"__all__": " ".join(exc.messages)}


@require_POST
def answer_reopen(request: HttpRequest, answer_id: str) -> HttpResponse:
    answer = get_visible_or_404(_ANSWERS, request.user, pk=answer_id)
    require_ability(
        answer, request.user, "reopen", "Seule une réponse envoyée, d'une enquête ouverte, se rouvre."
    )
    form = ReopenForm(request.POST)
    if form.is_valid():
        run_service(
            form,
            lambda: services.answer_reopen(
                by=request.user, answer=answer, reason=form.cleaned_data["reason"]
            ),
        )
    if form.errors:
        messages.error(request, form_errors(form))
    else:
        messages.success(request, "Réponse rouverte : un nouveau lien est parti à la structure.")
    return redirect("surveys:answer_detail", answer_id=answer.pk)


@require_POST
def answer_tag(request: HttpRequest, answer_id: str) -> HttpResponse:
    answer = get_visible_or_404(_ANSWERS, request.user, pk=answer_id)
    require_ability(
        answer, request.user, "tag", "Les réponses se classent après la clôture, par le pilotage."
    )
    code = request.POST.get("question", "")[:20]
    wanted = [t for t in request.POST.getlist("themes") if t]
    themes = list(Theme.objects.filter(survey=answer.survey, pk__in=[t for t in wanted if is_uuid(t)]))
    try:
        services.answer_tag(by=request.user, answer=answer, question_code=code, themes=themes)
        messages.success(request, "Thèmes enregistrés.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("surveys:answer_detail", answer_id=answer.pk)


@public_page
def public_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The structure's answer link (no account): opens that one answer, until it is sent or the survey closes."""
    try:
        answer = services.answer_from_token(token)
    except services.LinkRefused as exc:
        return render(request, "surveys/public_refused.html", {"reason": str(exc)}, status=404)
    questions = selectors.ordered_questions(answer.survey.questionnaire)
    values, errors = dict(answer.values), dict[str, str]()
    if request.method == "POST":
        values, errors = read_values(
            questions, lambda k: request.POST.get(k, ""), lambda k: request.POST.getlist(k)
        )
        if not errors:
            try:
                services.answer_save_by_link(
                    token=token, values=values, submit="envoyer" in request.POST, version=_version(request)
                )
            except ValidationError as exc:
                errors = _errors(exc)
            except PermissionDenied as exc:
                return render(request, "surveys/public_refused.html", {"reason": str(exc)}, status=404)
            else:
                if "envoyer" in request.POST:
                    return render(
                        request, "surveys/public_thanks.html", {"answer": answer, "survey": answer.survey}
                    )
                messages.success(request, "Brouillon enregistré : vous pouvez revenir par le même lien.")
                return redirect("surveys:public_answer", token=token)
    answer.refresh_from_db(fields=["version", "state", "values"])
    return render(
        request,
        "surveys/public_answer.html",
        {"answer": answer, "survey": answer.survey, "errors": errors, **_fields(questions, values, errors)},
        status=400 if errors else 200,
    )

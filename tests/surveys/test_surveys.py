"""Surveys: building a questionnaire, sending it, answering (page, link, phone), reminders, results, load."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from bascule.indicators.models import Measurement
from bascule.organisation.models import StructureKind
from bascule.surveys import questionnaires, selectors, services
from bascule.surveys.answers import check_complete, check_values
from bascule.surveys.models import Answer, Kind, Question, Survey
from tests.factories import make_structure
from tests.queries import count_queries
from tests.surveys.world import build_questionnaire

pytestmark = pytest.mark.django_db


def _questions(world):
    return selectors.ordered_questions(world.questionnaire)


# --- values, one rule for every way in ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "code", "message"),
    [
        ({"Q1": "peut-être"}, "Q1", "répondez « oui » ou « non »"),
        ({"Q1": "oui", "Q2": ["Finances", "Météo"]}, "Q2", "« Météo » n'est pas un des choix proposés"),
        ({"Q3": "-4"}, "Q3", "au moins 0 agents"),
        ({"Q4": "140"}, "Q4", "au plus 100 %"),
        ({"Q4": "12,345"}, "Q4", "deux décimales au plus"),
        ({"Q3": "beaucoup"}, "Q3", "nombre illisible"),
        ({"Q5": "x" * 4001}, "Q5", "4000 caractères au plus"),
    ],
)
def test_each_bad_value_is_named_in_french(world, values, code, message):
    _, errors = check_values(_questions(world), values)
    assert message in errors[code], errors


def test_a_condition_hides_its_question_and_drops_its_value(world):
    questions = _questions(world)
    clean, errors = check_values(questions, {"Q1": "non", "Q2": ["Finances"]})
    assert not errors and clean == {"Q1": "non"}  # Q2 is asked only if Q1 = oui
    assert check_complete(questions, clean) == {}
    assert check_complete(questions, {"Q1": "oui"}) == {"Q2": "réponse obligatoire."}
    assert check_complete(questions, {}) == {"Q1": "réponse obligatoire."}
    clean, _ = check_values(
        questions, {"Q1": "oui", "Q2": ["Actes", "Autre", "Finances"], "Q2:autre": "Courrier"}
    )
    assert (
        clean["Q2"] == ["Finances", "Actes", "Autre"] and clean["Q2:autre"] == "Courrier"
    )  # questionnaire order
    clean, _ = check_values(questions, {"Q3": "1 234,5", "Q4": "80 %"})
    assert clean["Q3"] == "1234.5" and clean["Q4"] == "80"


def test_a_table_question_sums_its_cells(world):
    section = world.questionnaire.sections.first()
    edition = questionnaires.questionnaire_new_edition(by=world.national, questionnaire=world.questionnaire)
    section = edition.sections.get(title=section.title)
    questionnaires.question_add(
        by=world.national,
        section=section,
        code="T1",
        text="Agents par catégorie et équipement",
        kind=Kind.TABLE,
        rows=["A", "B"],
        columns=["Équipés", "Non équipés"],
        minimum=0,
    )
    questions = selectors.ordered_questions(edition)
    clean, errors = check_values(questions, {"T1": {"A|Équipés": "3", "B|Non équipés": "2,5"}})
    assert not errors and clean["T1"] == {"A|Équipés": "3", "B|Non équipés": "2.5"}
    _, errors = check_values(questions, {"T1": {"C|Équipés": "3"}})
    assert "n'existe pas" in errors["T1"]
    _, errors = check_values(questions, {"T1": {"A|Équipés": "-1"}})
    assert "« A » / « Équipés » : au moins 0" in errors["T1"]


# --- building ----------------------------------------------------------------------------------------
def test_a_condition_points_to_an_earlier_question_only(world):
    edition = questionnaires.questionnaire_new_edition(by=world.national, questionnaire=world.questionnaire)
    q1 = edition.questions.get(code="Q1")
    q5 = edition.questions.get(code="Q5")
    with pytest.raises(ValidationError, match="une question ne dépend que d'une question posée avant elle"):
        questionnaires.question_update(by=world.national, question=q1, condition_on=q5, condition_value="oui")
    with pytest.raises(ValidationError, match="Valeur attendue parmi"):
        questionnaires.question_update(
            by=world.national, question=q5, condition_on=q1, condition_value="peut-être"
        )
    # moving the question a condition depends on after it is refused too
    q2 = edition.questions.get(code="Q2")
    assert q2.condition_on_id == q1.pk  # the edition kept the condition, on its own copy of Q1
    last = edition.sections.order_by("-position").first()
    with pytest.raises(ValidationError, match="n'est pas avant cette question"):
        questionnaires.question_update(by=world.national, question=q1, section=last, position=99)


def test_a_sent_questionnaire_changes_only_as_a_new_edition(world):
    assert world.questionnaire.sent_at is not None
    with pytest.raises(PermissionDenied, match="nouvelle édition"):
        questionnaires.question_add(
            by=world.national,
            section=world.questionnaire.sections.first(),
            code="Q9",
            text="?",
            kind=Kind.TEXT,
        )
    edition = questionnaires.questionnaire_new_edition(by=world.national, questionnaire=world.questionnaire)
    assert edition.edition == 2 and edition.previous == world.questionnaire
    q1 = edition.questions.get(code="Q1")
    with pytest.raises(ValidationError, match="La question Q2 dépend de « Q1 »"):
        questionnaires.question_delete(by=world.national, question=q1)
    assert Question.objects.filter(pk=q1.pk).exists()
    coverage = edition.questions.get(code="Q4").coverage_of
    assert coverage.questionnaire_id == edition.pk and coverage.code == "Q3"
    with pytest.raises(PermissionDenied):
        questionnaires.questionnaire_new_edition(
            by=world.national, questionnaire=world.questionnaire
        )  # one next edition
    # the answers already received keep their questions: the first edition is unchanged
    assert world.questionnaire.questions.count() == 5


def test_only_the_programmes_pilots_build_and_send(world):
    with pytest.raises(PermissionDenied):
        questionnaires.questionnaire_create(
            by=world.lead_bzh, programme=world.programme, title="Enquête bretonne"
        )
    with pytest.raises(PermissionDenied):
        services.survey_close(by=world.lead_bzh, survey=world.survey)


# --- answering -----------------------------------------------------------------------------------------
def test_the_answer_link_opens_one_answer_once(world, client, smtp, settings):
    settings.BASCULE_SITE_URL = "http://testserver"
    services.survey_remind(by=world.national, survey=world.survey)
    assert smtp.received.wait(10)
    mails = smtp.mails()
    assert len(mails) == 1  # Normandy has answered: only Bretagne is reminded
    assert "rappel" in mails[0]["subject"] and "DDTM" in mails[0]["body"]
    link = re.search(r"http://testserver(/enquetes/lien/\S+/)", mails[0]["body"]).group(1)
    page = client.get(link)
    assert page.status_code == 200 and world.ddtm29.name in page.content.decode()
    # bad input: a clear message, nothing saved
    bad = client.post(link, {"q_Q1": "oui", "q_Q4": "140", "envoyer": "1"})
    assert bad.status_code == 400 and "au plus 100 %" in bad.content.decode()
    missing = client.post(link, {"q_Q1": "oui", "envoyer": "1"})
    assert missing.status_code == 400 and "réponse obligatoire" in missing.content.decode()
    world.answer_bzh.refresh_from_db()
    assert world.answer_bzh.state == Answer.State.PENDING
    draft = client.post(link, {"q_Q1": "oui", "q_Q2": ["Finances"], "brouillon": "1"})
    assert draft.status_code == 302
    sent = client.post(link, {"q_Q1": "oui", "q_Q2": ["Finances", "Routes"], "q_Q3": "40", "envoyer": "1"})
    assert sent.status_code == 200 and "Réponse envoyée" in sent.content.decode()
    world.answer_bzh.refresh_from_db()
    assert (
        world.answer_bzh.state == Answer.State.SUBMITTED
        and world.answer_bzh.submitted_by == "Lien de réponse"
    )
    assert world.answer_bzh.values == {"Q1": "oui", "Q2": ["Finances", "Routes"], "Q3": "40"}
    again = client.get(link)
    assert again.status_code == 404 and "déjà été envoyée" in again.content.decode()
    assert client.post(link, {"q_Q1": "non", "envoyer": "1"}).status_code == 404
    tampered = link.replace(str(world.answer_bzh.pk)[:8], str(world.answer_nor.pk)[:8])
    assert client.get(tampered).status_code == 404
    assert "pas valide" in client.get(tampered).content.decode()


def test_a_link_expires_with_the_survey_and_a_reopened_answer_gets_a_new_one(world, smtp):
    old = services.answer_token(world.answer_nor)
    services.answer_reopen(by=world.national, answer=world.answer_nor, reason="Q4 semble inversée")
    answer = Answer.objects.get(pk=world.answer_nor.pk)
    assert answer.state == Answer.State.DRAFT and services.answer_token(answer) != old
    with pytest.raises(services.LinkRefused, match="n'est pas valide"):
        services.answer_from_token(old)
    assert services.answer_from_token(services.answer_token(answer)) == answer
    later = world.survey.closes_on + timedelta(days=1)
    with pytest.raises(services.LinkRefused, match="expiré"):
        services.answer_from_token(services.answer_token(answer), today=later)


def test_an_answer_submitted_twice_is_kept_once(world):
    values = {"Q1": "non", "Q3": "10"}
    first = Answer.objects.get(pk=world.answer_bzh.pk)
    second = Answer.objects.get(pk=world.answer_bzh.pk)  # another tab, loaded at the same time
    services.answer_save(by=world.lead_bzh, answer=first, values=values, version=first.version, submit=True)
    with pytest.raises(ValidationError, match="déjà été envoyée"):
        services.answer_save(
            by=world.lead_bzh, answer=second, values={"Q1": "oui"}, version=second.version, submit=True
        )
    assert Answer.objects.get(pk=first.pk).values == {"Q1": "non", "Q3": "10"}
    assert Answer.objects.filter(survey=world.survey, structure=world.ddtm29).count() == 1


def test_a_stale_draft_does_not_overwrite(world):
    stale = Answer.objects.get(pk=world.answer_bzh.pk)
    services.answer_save(by=world.lead_bzh, answer=stale, values={"Q1": "oui"}, version=stale.version)
    with pytest.raises(ValidationError, match="modifiée entre-temps"):
        services.answer_save(by=world.lead_bzh, answer=stale, values={"Q1": "non"}, version=stale.version)


@pytest.mark.parametrize(
    ("user_name", "answer_name", "ability", "expected"),
    [
        ("lead_bzh", "answer_bzh", "answer", True),
        ("referent_29", "answer_bzh", "answer", True),
        ("reader_bzh", "answer_bzh", "answer", False),
        ("reader_bzh", "answer_bzh", "view", True),
        ("lead_bzh", "answer_nor", "view", False),
        ("lead_nor", "answer_nor", "answer", False),  # submitted
        ("national", "answer_bzh", "on_behalf", True),
        ("lead_bzh", "answer_bzh", "on_behalf", False),
        ("national", "answer_nor", "reopen", True),
        ("lead_nor", "answer_nor", "reopen", False),
        ("nobody", "answer_bzh", "view", False),
    ],
)
def test_answer_abilities(world, user_name, answer_name, ability, expected):
    answer = getattr(world, answer_name)
    assert answer.get_abilities(getattr(world, user_name))[ability] is expected


def test_steering_enters_a_phone_answer_on_the_structures_behalf(world, client):
    client.force_login(world.national)
    url = reverse("surveys:answer_detail", args=[world.answer_bzh.pk])
    response = client.post(
        url, {"version": world.answer_bzh.version, "q_Q1": "non", "telephone": "on", "envoyer": "1"}
    )
    assert response.status_code == 302
    answer = Answer.objects.get(pk=world.answer_bzh.pk)
    assert answer.on_behalf and answer.is_submitted and "téléphone" in answer.submitted_by
    client.force_login(world.reader_bzh)
    assert client.post(url, {"q_Q1": "oui", "envoyer": "1"}).status_code == 403


def test_a_submitted_answer_feeds_the_linked_indicator_with_its_coverage(world):
    measurement = Measurement.objects.get(indicator=world.indicator, structure=world.ddtm14)
    assert (measurement.value, measurement.coverage) == (Decimal(75), Decimal(120))
    assert "Enquête dématérialisation" in measurement.source


# --- reminders and closing on the calendar -----------------------------------------------------------------
def test_the_calendar_reminds_once_per_date_then_closes(world, smtp):
    reminder = world.survey.opens_on + timedelta(days=10)
    assert "0 relance" in services.surveys_follow_calendar(today=reminder - timedelta(days=1))
    assert "1 relance" in services.surveys_follow_calendar(today=reminder)
    assert "0 relance" in services.surveys_follow_calendar(today=reminder)  # once per reminder date
    assert Answer.objects.get(pk=world.answer_bzh.pk).reminders == 1
    assert Answer.objects.get(pk=world.answer_nor.pk).reminders == 0  # it has answered
    assert "1 enquête(s) close(s)" in services.surveys_follow_calendar(
        today=world.survey.closes_on + timedelta(days=1)
    )
    assert Survey.objects.get(pk=world.survey.pk).state == Survey.State.CLOSED


def test_a_mail_that_cannot_leave_says_why(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    assert services.survey_remind(by=world.national, survey=world.survey) == 0
    assert "injoignable" in Answer.objects.get(pk=world.answer_bzh.pk).mail_error


# --- results -----------------------------------------------------------------------------------------------
def _results_by_code(user, survey):
    return {r.question.code: r for r in selectors.results(user=user, survey=survey)["results"]}


def test_results_count_and_rate_within_the_perimeter(world):
    services.answer_save(
        by=world.lead_bzh, answer=world.answer_bzh, values={"Q1": "non", "Q3": "30"}, submit=True
    )
    data = selectors.results(user=world.national, survey=world.survey)
    assert (data["rates"]["overall"].asked, data["rates"]["overall"].submitted) == (2, 2)
    by_code = {r.question.code: r for r in data["results"]}
    assert by_code["Q1"].counts == [("oui", 1, 50.0), ("non", 1, 50.0)]
    assert {o: n for o, n, _ in by_code["Q2"].counts} == {
        "Finances": 1,
        "Commande publique": 0,
        "Ressources humaines": 0,
        "Actes": 1,
        "Social": 0,
        "Santé": 0,
        "Routes": 0,
        "Autre": 0,
    }
    assert by_code["Q3"].numbers["sum"] == Decimal(150) and by_code["Q3"].numbers["average"] == Decimal(
        "75.00"
    )
    assert by_code["Q3"].by_region == [
        ("Bretagne", Decimal(30), 1, Decimal("30.00")),
        ("Normandie", Decimal(120), 1, Decimal("120.00")),
    ]
    assert by_code["Q5"].texts == [(world.ddtm14.name, "Lecteurs de cartes", [])]
    bretagne = selectors.results(user=world.lead_bzh, survey=world.survey)
    assert bretagne["rates"]["overall"].asked == 1
    assert {r.question.code: r for r in bretagne["results"]}["Q1"].counts[1] == ("non", 1, 100.0)


def test_results_read_a_fixed_number_of_queries(world):
    def count() -> int:
        with count_queries() as queries:
            selectors.results(user=world.national, survey=world.survey)
        return len(queries)

    before = count()
    for n in range(30):
        structure = make_structure(
            f"DDT-X{n}", parent=world.calvados, kind=StructureKind.DEPARTMENTAL_DIRECTORATE, region="28"
        )
        Answer.objects.create(
            survey=world.survey, structure=structure, state=Answer.State.SUBMITTED, values={"Q1": "non"}
        )
    assert count() == before


def test_the_results_page_and_its_exports(world, client):
    client.force_login(world.national)
    url = reverse("surveys:survey_results", args=[world.survey.pk])
    page = client.get(url).content.decode()
    assert "1 réponse sur 2" in page and "<svg" in page and "Lecteurs de cartes" in page
    csv = client.get(url + "?export=csv").content.decode("utf-8-sig")
    lines = [line for line in csv.splitlines() if line]
    assert len(lines) == 3  # headers + one row per structure asked
    assert "Q1 Avez-vous déjà mené un projet de dématérialisation ?" in lines[0]
    assert any("Finances ; Actes" in line for line in lines)
    for fmt in ("xlsx", "ods"):
        response = client.get(url + f"?export={fmt}")
        assert response.status_code == 200 and response.content[:2] == b"PK"


def test_free_text_is_tagged_into_themes_after_closing(world):
    with pytest.raises(PermissionDenied):
        services.theme_add(by=world.national, survey=world.survey, name="Matériel")
    services.survey_close(by=world.national, survey=world.survey)
    survey = Survey.objects.get(pk=world.survey.pk)
    theme = services.theme_add(by=world.national, survey=survey, name="Matériel")
    services.answer_tag(
        by=world.national,
        answer=Answer.objects.get(pk=world.answer_nor.pk),
        question_code="Q5",
        themes=[theme],
    )
    data = selectors.results(user=world.national, survey=survey)
    assert data["themes"] == [(theme, 1)]
    assert {r.question.code: r for r in data["results"]}["Q5"].texts[0][2] == ["Matériel"]


# --- survey load -------------------------------------------------------------------------------------------
def test_a_new_survey_is_told_of_open_ones_and_reuses_recent_answers(world):
    other = build_questionnaire(world, title="Équipement des services")
    today = timezone.localdate()
    survey = services.survey_create(
        by=world.national,
        questionnaire=other,
        title="Équipement",
        kinds=[StructureKind.DEPARTMENTAL_DIRECTORATE],
        opens_on=today,
        closes_on=today + timedelta(days=20),
    )
    load = selectors.survey_load(survey=survey)
    assert load["busy_structures"] == 2 and load["busy"][0]["survey__title"] == "Enquête dématérialisation"
    assert load["reusable_structures"] == 1  # Normandy answered the same questions
    assert dict(load["reusable_questions"])["Q1"] == 1
    services.survey_open(by=world.national, survey=survey, reuse=True, notify=False)
    reused = Answer.objects.get(survey=survey, structure=world.ddtm14)
    assert reused.state == Answer.State.DRAFT and reused.reused_from == world.survey
    assert reused.values["Q1"] == "oui" and reused.values["Q4"] == "75"
    assert Answer.objects.get(survey=survey, structure=world.ddtm29).state == Answer.State.PENDING
    mine = list(selectors.my_requests(user=world.referent_29))
    assert {a.survey_id for a in mine} <= {world.survey.pk, survey.pk}


def test_a_survey_with_no_target_is_not_sent(world):
    today = timezone.localdate()
    survey = services.survey_create(
        by=world.national,
        questionnaire=world.questionnaire,
        title="Personne",
        kinds=[StructureKind.ANTENNA],
        opens_on=today,
        closes_on=today + timedelta(days=5),
    )
    with pytest.raises(ValidationError, match="rien à envoyer"):
        services.survey_open(by=world.national, survey=survey, notify=False)
    with pytest.raises(ValidationError, match="entre l'ouverture et la clôture"):
        services.survey_update(
            by=world.national, survey=survey, version=survey.version, reminders_on=[today + timedelta(days=9)]
        )


def test_the_pdf_summary_is_written_in_the_background_within_the_perimeter(world, client):
    import pypdfium2

    from bascule.core.models import TaskRun
    from bascule.core.services import taskrun_execute

    services.answer_save(
        by=world.lead_bzh, answer=world.answer_bzh, values={"Q1": "non", "Q3": "30"}, submit=True
    )
    client.force_login(world.lead_bzh)
    response = client.post(reverse("surveys:survey_summary", args=[world.survey.pk]))
    run = TaskRun.objects.get(kind="surveys.summary")
    assert response["Location"] == reverse("core:taskrun_detail", args=[run.pk])
    taskrun_execute(taskrun_id=str(run.pk))
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED, run.error
    download = client.get(reverse("core:taskrun_download", args=[run.pk]))
    pdf = pypdfium2.PdfDocument(b"".join(download.streaming_content))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "1 réponse sur 1" in text  # Bretagne's lead: its own structure only
    assert "Lecteurs de cartes" not in text  # Normandy's free text is outside the perimeter


# --- answers collected outside, imported -------------------------------------------------------------------
def _import(world, user, text: str, *, apply: bool):
    from bascule.surveys.importers import AnswerImporter

    importer = AnswerImporter(user=user, survey=Survey.objects.get(pk=world.survey.pk))
    table = importer.read(text.encode("utf-8"), "reponses.csv")
    return importer.apply(table) if apply else importer.preview(table)


def test_answers_collected_by_phone_are_imported_from_the_exports_columns(world, client):
    client.force_login(world.national)
    export = client.get(reverse("surveys:survey_results", args=[world.survey.pk]) + "?export=csv")
    headers = export.content.decode("utf-8-sig").splitlines()[0]
    assert headers.startswith("Code structure;")
    # steering fills the Breton row of the export, the Normandy row stays as sent
    row_bzh = "DDTM-29;;;;;;;non;;;45;80;Pas de lecteurs"
    row_nor = 'DDTM-14;;;;;;;oui;"Finances ; Actes";;120;75;Lecteurs de cartes'
    text = headers + "\n" + row_bzh + "\n" + row_nor + "\n"
    preview = _import(world, world.national, text, apply=False)
    assert [r.outcome for r in preview.rows] == ["create", "unchanged"], [r.messages for r in preview.rows]
    assert (
        Answer.objects.get(pk=world.answer_bzh.pk).state == Answer.State.PENDING
    )  # a preview writes nothing
    _import(world, world.national, text, apply=True)
    answer = Answer.objects.get(pk=world.answer_bzh.pk)
    assert answer.is_submitted and answer.on_behalf
    assert answer.values == {"Q1": "non", "Q3": "45", "Q4": "80", "Q5": "Pas de lecteurs"}
    again = _import(world, world.national, text, apply=True)
    assert [r.outcome for r in again.rows] == ["unchanged", "unchanged"]  # idempotent


def test_each_rejected_answer_row_is_explained_and_nothing_is_written(world):
    text = (
        "Code structure;Q1 Avez-vous déjà mené un projet de dématérialisation ?;Q4 Part des agents équipés d'une carte\n"
        "DDTM-29;peut-être;50\n"
        "DDTM-99;oui;\n"
        "DDTM-14;non;75\n"
        ";oui;140\n"
    )
    report = _import(world, world.national, text, apply=True)
    messages = [m for r in report.rows for m in r.messages]
    assert any(
        "Ligne 2" in m and "« peut-être »" in m and "répondez « oui » ou « non »" in m for m in messages
    )
    assert any("Ligne 3" in m and "n'est pas interrogée" in m for m in messages)
    assert any("Ligne 4" in m and "déjà envoyée, avec d'autres valeurs" in m for m in messages)
    assert any("Ligne 5" in m and "obligatoire" in m for m in messages)
    assert Answer.objects.get(pk=world.answer_bzh.pk).state == Answer.State.PENDING
    with pytest.raises(Exception, match="Seuls les pilotes"):
        _import(world, world.lead_bzh, text, apply=False)


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the in-memory test database shares one cache between threads (table locks); the file database waits "
    "its turn (tests/core/test_sqlite_concurrency.py) — run on PostgreSQL by .ci/run",
)
@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_the_same_moment_keep_one_answer(world):
    """Two tabs (or a link and a page) submit at once: one wins, the other is told, one answer stays."""
    import threading

    from django.db import connections

    token = services.answer_token(world.answer_bzh)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(agents: str) -> None:  # both answers are complete and valid: only the timing differs
        try:
            start.wait(timeout=10)
            services.answer_save_by_link(token=token, values={"Q1": "non", "Q3": agents}, submit=True)
            outcomes.append("envoyée")
        except (ValidationError, PermissionDenied) as exc:
            outcomes.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(v,)) for v in ("10", "20")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o == "envoyée" for o in outcomes) == [False, True], outcomes
    refused = next(o for o in outcomes if o != "envoyée")
    assert "déjà été envoyée" in refused
    answers = Answer.objects.filter(survey=world.survey, structure=world.ddtm29)
    assert answers.count() == 1 and answers.get().is_submitted


def test_results_drill_down_from_the_regions_to_a_structures_children(world, client):
    national = selectors.results(user=world.national, survey=world.survey)
    lines = {r.label: (r.asked, r.submitted, r.structure) for r in national["rates"]["regions"]}
    assert lines == {"Bretagne": (1, 0, world.bretagne), "Normandie": (1, 1, world.normandie)}
    normandy = selectors.results(user=world.national, survey=world.survey, root=world.normandie)
    assert [(r.label, r.asked) for r in normandy["rates"]["regions"]] == [(world.calvados.name, 1)]
    q3 = {r.question.code: r for r in normandy["results"]}["Q3"]
    assert q3.by_region == [(world.calvados.name, Decimal(120), 1, Decimal("120.00"))]
    client.force_login(world.national)
    url = reverse("surveys:survey_results", args=[world.survey.pk])
    page = client.get(url).content.decode()
    assert f"?dans={world.normandie.pk}" in page
    assert world.calvados.name in client.get(url + f"?dans={world.normandie.pk}").content.decode()
    client.force_login(world.lead_bzh)
    assert client.get(url + f"?dans={world.normandie.pk}").status_code == 404


def test_domain_9_survey_sent_to_186_structures_answered_through_links_reminded_closed(
    world, client, smtp, settings
):
    """The dematerialisation questionnaire sent to 186 structures; 120 answer through their links (yes 48 / no 72),
    the others are reminded, the survey closes, and the results give counts, rates and charts."""
    settings.BASCULE_SITE_URL = "http://testserver"
    for n in range(186):
        region, department = (world.finistere, "29") if n % 2 else (world.calvados, "14")
        make_structure(
            f"SGCD-{n:03}",
            parent=region,
            kind=StructureKind.SGCD,
            name=f"SGC-D n° {n}",
            region=region.region,
            department=department,
        )
    today = timezone.localdate()
    survey = services.survey_create(
        by=world.national,
        questionnaire=build_questionnaire(world, title="Dématérialisation — SGC-D"),
        title="Projets de dématérialisation des SGC-D",
        kinds=[StructureKind.SGCD],
        opens_on=today,
        closes_on=today + timedelta(days=15),
        reminders_on=[today + timedelta(days=7)],
    )
    services.survey_open(by=world.national, survey=survey, notify=False)
    answers = list(
        Answer.objects.filter(survey=survey).select_related("structure").order_by("structure__code")
    )
    assert len(answers) == 186
    for n, answer in enumerate(answers[:120]):
        link = reverse("surveys:public_answer", args=[services.answer_token(answer)])
        form = (
            {"q_Q1": "oui", "q_Q2": ["Finances"], "envoyer": "1"}
            if n < 48
            else {"q_Q1": "non", "envoyer": "1"}
        )
        assert client.post(link, form).status_code == 200
    assert "66 relance" in services.surveys_follow_calendar(today=today + timedelta(days=7))
    assert smtp.received.wait(10)
    services.survey_close(by=world.national, survey=survey)
    with pytest.raises(services.LinkRefused, match="close"):
        services.answer_from_token(services.answer_token(answers[150]))
    data = selectors.results(user=world.national, survey=Survey.objects.get(pk=survey.pk))
    assert (data["rates"]["overall"].asked, data["rates"]["overall"].submitted) == (186, 120)
    assert {r.label: r.percent for r in data["rates"]["regions"]} == {"Bretagne": 64.5, "Normandie": 64.5}
    q1 = {r.question.code: r for r in data["results"]}["Q1"]
    assert q1.counts == [("oui", 48, 40.0), ("non", 72, 60.0)] and "<svg" in q1.chart


def test_theme_counts_stay_within_the_perimeter(world):
    services.survey_close(by=world.national, survey=world.survey)
    survey = Survey.objects.get(pk=world.survey.pk)
    theme = services.theme_add(by=world.national, survey=survey, name="Matériel")
    services.answer_tag(
        by=world.national,
        answer=Answer.objects.get(pk=world.answer_nor.pk),
        question_code="Q5",
        themes=[theme],
    )
    assert selectors.results(user=world.national, survey=survey)["themes"] == [(theme, 1)]
    assert selectors.results(user=world.lead_bzh, survey=survey)["themes"] == [(theme, 0)]  # Normandy's tag


def test_contacts_are_found_in_a_fixed_number_of_queries_with_the_steering_contact_rule(world):
    from bascule.organisation.models import Assignment
    from bascule.organisation.selectors import steering_contact

    structures = [world.ddtm29, world.ddtm14, world.finistere, world.calvados, world.bretagne]
    with count_queries() as queries:
        found = services.contacts(structures)
    assert len(queries) == 2  # whatever the number of structures
    for structure in structures:
        assigned = [
            a.person for a in Assignment.objects.active().filter(structure=structure) if a.person.email
        ]
        contact = steering_contact(structure)
        expected = assigned or ([contact] if contact is not None and contact.email else [])
        assert [p.pk for p in found[structure.pk]] == list(dict.fromkeys(p.pk for p in expected)), (
            structure.code
        )

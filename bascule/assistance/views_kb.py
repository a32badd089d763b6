"""Pages of the knowledge base (search, internal FAQ, articles, the public FAQ), anomalies, mailboxes and service
levels: thin, every write through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from bascule.assistance import knowledge, operations, selectors, services
from bascule.assistance.forms import (
    AnomalyCreateForm,
    AnomalyForm,
    ArticleCreateForm,
    ArticleForm,
    MailboxForm,
    PolicyForm,
    SearchForm,
)
from bascule.assistance.models import (
    Anomaly,
    Article,
    Mailbox,
    Review,
    SupportPolicy,
)
from bascule.core.access import get_visible_or_404, public_page, require_ability, require_user_ability
from bascule.core.forms import run_service
from bascule.core.history import history_entries
from bascule.core.registry import user_can
from bascule.programmes.models import Programme

_ARTICLES = Article.objects.select_related("programme__owner").prefetch_related("workstreams")


def _grouped(articles: Any) -> list[tuple[str, list[Article]]]:
    """Articles grouped by workstream (an article of several workstreams appears under each)."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        names = [str(w) for w in article.workstreams.all()] or ["Questions générales"]
        for name in names:
            groups.setdefault(name, []).append(article)
    return sorted(groups.items())


@require_GET
def kb_list(request: HttpRequest) -> HttpResponse:
    """The internal FAQ (published articles by workstream), the search over articles and tickets, the drafts."""
    form = SearchForm(request.GET or None, user=request.user)
    query, programme = "", None
    if form.is_bound and form.is_valid():
        query, programme = form.cleaned_data["q"], form.cleaned_data["programme"]
    results = (
        selectors.kb_search(user=request.user, query=query, programme=programme) if query.strip() else None
    )
    published = selectors.published_articles(programme=programme)
    writer = user_can(request.user, "assistance.write_articles")
    drafts = (
        list(_ARTICLES.exclude(review__in=[Review.PUBLISHED, Review.ARCHIVED]).order_by("-updated_at")[:50])
        if writer
        else []
    )
    return render(
        request,
        "assistance/kb_list.html",
        {
            "form": form,
            "query": query,
            "results": results,
            "groups": _grouped(published),
            "drafts": drafts,
            "can_write": writer,
        },
    )


def article_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "assistance.write_articles")
    programme = (
        Programme.objects.visible_to(request.user).filter(pk=request.POST.get("programme") or None).first()
    )
    programme = programme or Programme.objects.visible_to(request.user).order_by("code").first()
    form = (
        ArticleCreateForm(request.POST or None, user=request.user, programme=programme) if programme else None
    )
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        article = run_service(
            form,
            lambda: knowledge.article_create(
                by=request.user,
                programme=data["programme"],
                question=data["question"],
                answer=data["answer"],
                workstreams=list(data["workstreams"]),
                audience=data["audience"],
                review=data["review"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
            ),
        )
        if article is not None:
            messages.success(request, "Article enregistré.")
            return redirect("assistance:article_detail", article_id=article.pk)
    return render(
        request,
        "assistance/form.html",
        {"form": form, "title": "Nouvel article", "back": "assistance:kb_list"},
    )


@require_GET
def article_detail(request: HttpRequest, article_id: str) -> HttpResponse:
    article = get_visible_or_404(_ARTICLES, request.user, pk=article_id)
    abilities = article.get_abilities(request.user)
    return render(
        request,
        "assistance/article_detail.html",
        {
            "article": article,
            "abilities": abilities,
            "history": history_entries(article) if abilities["change"] else [],
        },
    )


def article_edit(request: HttpRequest, article_id: str) -> HttpResponse:
    article = get_visible_or_404(_ARTICLES, request.user, pk=article_id)
    require_ability(article, request.user, "change")
    form = ArticleForm(request.POST or None, instance=article, programme=article.programme)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = run_service(
            form,
            lambda: knowledge.article_update(
                by=request.user,
                article=article,
                version=data["version"],
                workstreams=list(data["workstreams"]),
                **{name: data[name] for name in knowledge.ARTICLE_FIELDS},
            ),
        )
        if saved is not None:
            messages.success(request, "Article enregistré.")
            return redirect("assistance:article_detail", article_id=saved.pk)
    return render(
        request,
        "assistance/form.html",
        {
            "form": form,
            "title": f"Article : {article.question[:80]}",
            "back": "assistance:article_detail",
            "back_id": article.pk,
            "history": history_entries(article),
        },
    )


@public_page
@require_GET
def faq_public(request: HttpRequest, programme_id: str) -> HttpResponse:
    """A programme's public FAQ: its published public articles, by workstream; no login, nothing else shown."""
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is None:
        from django.http import Http404

        raise Http404("Programme inconnu.")
    articles = selectors.published_articles(programme=programme, public_only=True)
    query = request.GET.get("q", "")[:200].strip()
    found = None
    if query:
        from bascule.assistance import search

        found = search.search(articles, query, limit=20)
        if not found:
            knowledge.search_miss_record(programme=programme, query=query, public=True)
    return render(
        request,
        "assistance/faq_public.html",
        {"programme": programme, "groups": _grouped(articles), "query": query, "found": found},
    )


# --- anomalies ------------------------------------------------------------------------------------------
@require_GET
def anomaly_list(request: HttpRequest) -> HttpResponse:
    from django.db.models import Count

    anomalies = (
        Anomaly.objects.visible_to(request.user).select_related("programme").annotate(linked=Count("tickets"))
    )
    can_create = user_can(request.user, "assistance.add_anomaly")
    return render(request, "assistance/anomaly_list.html", {"anomalies": anomalies, "can_create": can_create})


def anomaly_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "assistance.add_anomaly")
    form = AnomalyCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        anomaly = run_service(
            form,
            lambda: operations.anomaly_create(
                by=request.user,
                programme=data["programme"],
                title=data["title"],
                description=data["description"],
            ),
        )
        if anomaly is not None:
            messages.success(request, "Anomalie enregistrée.")
            return redirect("assistance:anomaly_edit", anomaly_id=anomaly.pk)
    return render(
        request,
        "assistance/form.html",
        {"form": form, "title": "Nouvelle anomalie", "back": "assistance:anomaly_list"},
    )


def anomaly_edit(request: HttpRequest, anomaly_id: str) -> HttpResponse:
    anomaly = get_visible_or_404(
        Anomaly.objects.select_related("programme__owner"), request.user, pk=anomaly_id
    )
    can_change = anomaly.get_abilities(request.user)["change"]
    if request.method == "POST":
        require_ability(
            anomaly, request.user, "change", "Les anomalies sont tenues par l'équipe projet (niveau 3)."
        )
    form = AnomalyForm(request.POST or None, instance=anomaly)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: operations.anomaly_update(
                by=request.user, anomaly=anomaly, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(
                request,
                "Anomalie enregistrée ; les demandeurs des tickets liés sont prévenus d'un changement d'état.",
            )
            return redirect("assistance:anomaly_edit", anomaly_id=anomaly.pk)
    tickets = anomaly.tickets.visible_to(request.user).select_related("structure")
    return render(
        request,
        "assistance/anomaly_detail.html",
        {
            "anomaly": anomaly,
            "form": form if can_change else None,
            "tickets": tickets,
            "history": history_entries(anomaly),
        },
    )


# --- mailboxes and service levels ----------------------------------------------------------------------------
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    mailboxes = Mailbox.objects.visible_to(request.user).select_related("programme", "structure")
    return render(
        request,
        "assistance/mailbox_list.html",
        {"mailboxes": mailboxes, "can_create": user_can(request.user, "assistance.add_mailbox")},
    )


def mailbox_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "assistance.add_mailbox")
    form = MailboxForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        mailbox = run_service(form, lambda: operations.mailbox_create(by=request.user, **form.values()))
        if mailbox is not None:
            messages.success(
                request, "Boîte aux lettres enregistrée : elle est relevée toutes les deux minutes."
            )
            return redirect("assistance:mailbox_list")
    return render(
        request,
        "assistance/form.html",
        {"form": form, "title": "Nouvelle boîte aux lettres", "back": "assistance:mailbox_list"},
    )


def mailbox_edit(request: HttpRequest, mailbox_id: str) -> HttpResponse:
    mailbox = get_visible_or_404(Mailbox.objects.select_related("structure"), request.user, pk=mailbox_id)
    require_ability(mailbox, request.user, "change", operations.MAILBOX_ONLY)
    form = MailboxForm(request.POST or None, instance=mailbox, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: operations.mailbox_update(
                by=request.user, mailbox=mailbox, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(request, "Boîte aux lettres enregistrée.")
            return redirect("assistance:mailbox_list")
    return render(
        request,
        "assistance/form.html",
        {
            "form": form,
            "title": f"Boîte {mailbox.address}",
            "back": "assistance:mailbox_list",
            "history": history_entries(mailbox),
        },
    )


def policy_edit(request: HttpRequest, programme_id: str) -> HttpResponse:
    """A programme's service levels: working hours, deadlines per level, warning, escalation, mail caps."""
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    policy = SupportPolicy.objects.filter(programme=programme).first() or SupportPolicy(programme=programme)
    require_ability(policy, request.user, "change" if request.method == "POST" else "view")
    form = PolicyForm(request.POST or None, instance=policy, initial={"version": policy.version})
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        saved = run_service(
            form,
            lambda: operations.policy_save(
                by=request.user, programme=programme, version=form.cleaned_data["version"], **values
            ),
        )
        if saved is not None:
            messages.success(
                request, "Niveaux de service enregistrés : ils valent pour les prochaines échéances."
            )
            return redirect("assistance:policy_edit", programme_id=programme.pk)
    return render(
        request,
        "assistance/form.html",
        {
            "form": form,
            "title": f"Niveaux de service — {programme.code}",
            "back": "assistance:dashboard",
            "history": history_entries(policy) if policy.pk and not policy._state.adding else [],
        },
    )


@public_page
def satisfaction(request: HttpRequest, token: str) -> HttpResponse:
    """The one-question survey of a solved ticket, opened by the link of the mail that solved it (no account)."""
    from bascule.assistance.forms import RateForm

    try:
        ticket = services.ticket_from_satisfaction_token(token)
    except PermissionDenied as exc:
        return render(request, "assistance/satisfaction.html", {"refused": str(exc)}, status=404)
    form = RateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_rate_by_link(token=token, score=form.cleaned_data["score"])
        except PermissionDenied as exc:
            return render(request, "assistance/satisfaction.html", {"refused": str(exc)}, status=404)
        return render(request, "assistance/satisfaction.html", {"thanks": True, "ticket": ticket})
    return render(request, "assistance/satisfaction.html", {"form": form, "ticket": ticket})

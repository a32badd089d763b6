"""The daily digest: each editor's late actions, the deadlines of the next two weeks and the updates asked of them.

Sent by a periodic job to every active account with an e-mail that edits something and has not opted out (« Mon
compte »); nothing is sent to someone with nothing to read. Each user's lists are read within their own perimeter.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from bascule.committees.selectors import my_requests
from bascule.core.access import can_write_somewhere, editable_q
from bascule.programmes.models import FINISHED, Action

UPCOMING_DAYS = 14
SHOWN = 15  # actions listed per section (the e-mail links to the full filtered list)


def digest_for(user: Any, *, today: Any) -> dict[str, Any] | None:
    """What the digest tells `user` today (None: nothing to say)."""
    mine = (
        Action.objects.visible_to(user)
        .filter(editable_q(user, "structure__path"))
        .select_related("structure")
    )
    late = mine.late(today).order_by("deadline_end", "code")
    soon = (
        mine.exclude(status__in=FINISHED)
        .filter(deadline_end__gte=today, deadline_end__lte=today + timedelta(days=UPCOMING_DAYS))
        .order_by("deadline_end", "code")
    )
    requests = list(my_requests(user=user))
    context = {
        "user": user,
        "late": list(late[:SHOWN]),
        "late_count": late.count(),
        "soon": list(soon[:SHOWN]),
        "soon_count": soon.count(),
        "requests": requests,
        "days": UPCOMING_DAYS,
        "site": settings.BASCULE_SITE_URL.rstrip("/"),
        "actions_url": reverse("programmes:action_list"),
        "today": today,
    }
    if not (context["late_count"] or context["soon_count"] or requests):
        return None
    return context


def send_daily_digests(*, today: Any = None) -> str:
    """The periodic job: one e-mail per user with something to read; failures counted, never raised."""
    day = today or timezone.localdate()
    users = (
        get_user_model().objects.filter(is_active=True, daily_digest=True).exclude(email="").order_by("pk")
    )
    sent = failed = 0
    connection = get_connection()
    for user in users.iterator():
        if not can_write_somewhere(user):
            continue
        context = digest_for(user, today=day)
        if context is None:
            continue
        body = render_to_string("committees/mail/daily_digest.txt", context)
        subject = f"Bascule : votre point du {day:%d/%m/%Y}"
        try:
            EmailMessage(subject, body, to=[user.email], connection=connection).send()
            sent += 1
        except (OSError, smtplib.SMTPException):
            failed += 1
    return f"{sent} résumé(s) envoyé(s)" + (f", {failed} en échec (messagerie)" if failed else "") + "."

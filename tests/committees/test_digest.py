"""The daily digest: to each editor with something to read, within their perimeter, unless they opted out."""

from __future__ import annotations

import datetime as dt
from datetime import date

from django.urls import reverse
from django.utils import timezone

from bascule.committees.digest import digest_for, send_daily_digests
from bascule.core.models import PeriodicRun
from bascule.core.periodic import run_due_jobs


def test_each_editor_gets_its_own_late_actions_and_requests(world, smtp):
    context = digest_for(world.lead_bzh, today=date(2025, 6, 1))
    assert [a.code for a in context["late"]] == ["2-1"]  # not the national or the Norman action
    assert [r.structure for r in context["requests"]] == [world.bretagne]
    assert digest_for(world.referent_29, today=date(2025, 6, 1)) is None  # nothing in its department
    result = send_daily_digests(today=date(2025, 6, 1))
    assert result.startswith(
        "3 résumé(s)"
    )  # national, the two regional leads; not the reader, nor the referent
    assert smtp.received.wait(10)
    mails = {m["to"]: m for m in smtp.mails()}
    assert set(mails) == {"national@test.gouv.fr", "lead_bzh@test.gouv.fr", "lead_nor@test.gouv.fr"}
    body = mails["lead_bzh@test.gouv.fr"]["body"]
    assert "2-1 Action bretonne" in body and "Action normande" not in body and "/comites/demandes/" in body
    assert "/compte/" in body  # how to opt out


def test_an_opted_out_user_gets_nothing(world, client, smtp):
    client.force_login(world.lead_nor)
    client.post(reverse("accounts:daily_digest"), {})  # the box unticked
    world.lead_nor.refresh_from_db()
    assert world.lead_nor.daily_digest is False
    assert send_daily_digests(today=date(2025, 6, 1)).startswith("2 résumé(s)")
    client.post(reverse("accounts:daily_digest"), {"daily_digest": "on"})
    world.lead_nor.refresh_from_db()
    assert world.lead_nor.daily_digest is True


def test_the_digest_goes_once_a_day_from_seven(world):
    tz = timezone.get_current_timezone()

    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2026, 11, day, hour, 0, tzinfo=tz)

    def digest_ran(now: dt.datetime) -> bool:
        return any(line.startswith("committees.daily_digest") for line in run_due_jobs(now=now))

    assert not digest_ran(at(23, 6))
    assert digest_ran(at(23, 7))
    assert not digest_ran(at(23, 18))
    assert digest_ran(at(24, 7))
    assert PeriodicRun.objects.get(name="committees.daily_digest").last_error == ""

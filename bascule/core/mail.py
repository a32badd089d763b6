"""Sending one e-mail per item (a request, an answer link…) and keeping, for each, when it left or why it did not.

One connection for the batch; a server that cannot be reached is recorded on every item (nothing raised, the
caller's work stays done), a message refused is recorded on its item and the others still go.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.mail import EmailMessage, get_connection

T = TypeVar("T")
ERROR_MAX = 500  # the length of the fields that keep why a mail did not leave


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str
    to: list[str]
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)  # file name, content, MIME type


def send_each(
    items: Iterable[T],
    compose: Callable[[T], Mail | str],
    record: Callable[[T, str], None],
) -> int:
    """For each item, `compose` its mail (or say in French why there is none), send it, then `record(item, error)`
    ("" when it left). Returns how many left."""
    sent = 0
    connection = get_connection()
    try:
        connection.open()
        unreachable = ""
    except (OSError, smtplib.SMTPException) as exc:
        unreachable = f"Courriel non parti : serveur de messagerie injoignable ({exc})"[:ERROR_MAX]
    try:
        for item in items:
            mail = compose(item)
            error = mail if isinstance(mail, str) else unreachable
            if not error and isinstance(mail, Mail):
                try:
                    message = EmailMessage(mail.subject, mail.body, to=mail.to, connection=connection)
                    for name, content, mimetype in mail.attachments:
                        message.attach(name, content, mimetype)
                    message.send()
                    sent += 1
                except (OSError, smtplib.SMTPException) as exc:
                    error = f"Courriel non parti : {exc}"[:ERROR_MAX]
            record(item, error[:ERROR_MAX])
    finally:
        if not unreachable:
            connection.close()
    return sent

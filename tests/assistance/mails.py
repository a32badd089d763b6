"""Raw e-mails as mail servers deliver them, for the intake tests and the test world."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid


def raw_mail(
    *,
    sender: str = "agent.bzh@test.gouv.fr",
    to: str = "assistance@test.gouv.fr",
    subject: str = "[Reprise] EJ absent après la reprise",
    body: str = "Bonjour, l'engagement 2100045 n'apparaît pas.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="test.gouv.fr")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content in attachments or []:
        message.add_attachment(content, maintype="application", subtype="octet-stream", filename=filename)
    return bytes(message)

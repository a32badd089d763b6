"""Reading one raw e-mail, whatever shape it comes in: headers, text, sanitised HTML, attachments, and whether it
was sent by a machine (RFC 3834 and the usual markers) — never raising on malformed MIME or unknown charsets."""

from __future__ import annotations

import email
import email.errors
import email.header
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parseaddr

import nh3

from bascule.core.models import CONTROL_CHARACTERS

NUMBER_IN_SUBJECT = re.compile(r"\[#?(\d{4}-\d{6})\]|#(\d{4}-\d{6})\b")
OWN_HEADER = "X-Bascule-Ticket"
AUTO_SUBJECTS = re.compile(
    r"^\s*(r[ée]ponse automatique|automatic reply|auto(matic)?[- ]?reply|out of (the )?office|absence|"
    r"absent(e)? du bureau|undeliverable|non remis|delivery status notification|mail delivery failed)",
    re.IGNORECASE,
)
BODY_MAX = 100_000


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes | None  # None: too large, not kept
    size: int


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: list[str]
    subject: str
    from_email: str
    from_name: str
    text: str
    html: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    automatic: str = ""  # why it is automatic ("" : a person wrote it)
    own: bool = False  # one of our own notifications, come back
    defects: list[str] = field(default_factory=list)

    def ticket_number(self) -> str:
        match = NUMBER_IN_SUBJECT.search(self.subject)
        return (match.group(1) or match.group(2)) if match else ""


def _ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name, "")
        return str(value or "").strip()
    except Exception:  # a header that cannot be decoded is read as empty, never fatal
        return ""


def _content(part: Message) -> str:
    """The part's text, decoded with its charset, or as Latin-1 / UTF-8 replacement when that charset is unknown."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(payload or "")
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")


def automatic_reason(message: Message, subject: str, from_email: str) -> str:
    """Why the message is automatic (RFC 3834 and common markers), or ""."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(message, "Precedence").lower()
    if precedence in {"bulk", "list", "junk", "auto_reply"}:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _header(message, name) and name != "X-Auto-Response-Suppress":
            return name
    if _header(message, "List-Id") or _header(message, "List-Unsubscribe"):
        return "liste de diffusion"
    if _header(message, "Return-Path") == "<>" or re.match(r"(mailer-daemon|postmaster)@", from_email, re.I):
        return "avis de non-remise"
    if message.get_content_type() == "multipart/report":
        return "rapport de remise"
    if AUTO_SUBJECTS.search(subject):
        return "réponse automatique (objet)"
    return ""


def parse(raw: bytes, *, attachment_max: int) -> ParsedMail:
    """Read a raw message; attachments above `attachment_max` bytes are listed but not kept."""
    message: Message = email.message_from_bytes(raw, policy=email.policy.compat32)
    subject = _decode_header(_header(message, "Subject"))[:255]
    from_name, from_email = parseaddr(_decode_header(_header(message, "From")))
    message_id = (_ids(_header(message, "Message-ID")) or [""])[0][:998]
    if not message_id:
        # No Message-ID: the content's digest stands for it, so the same message is still recognised.
        message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()}@sans-message-id>"
    references = _ids(_header(message, "In-Reply-To")) + _ids(_header(message, "References"))
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[ParsedAttachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = (part.get("Content-Disposition") or "").lower()
        filename = part.get_filename()
        ctype = part.get_content_type()
        if filename or "attachment" in disposition:
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            name = _decode_header(filename or "piece-jointe")[:255] or "piece-jointe"
            attachments.append(
                ParsedAttachment(
                    name, ctype[:255], content if len(content) <= attachment_max else None, len(content)
                )
            )
        elif ctype == "text/plain":
            text_parts.append(_content(part))
        elif ctype == "text/html":
            html_parts.append(_content(part))
    html = nh3.clean("\n".join(html_parts)) if html_parts else ""
    text = "\n".join(text_parts).strip() or re.sub(r"\n\s*\n+", "\n\n", nh3.clean(html, tags=set())).strip()
    return ParsedMail(
        message_id=message_id,
        in_reply_to=references,
        subject=subject,
        from_email=from_email.strip().lower()[:254],
        from_name=from_name.strip()[:200],
        text=text[:BODY_MAX],
        html=html[:200_000],
        attachments=attachments,
        automatic=automatic_reason(message, subject, from_email),
        own=bool(_header(message, OWN_HEADER)),
        defects=[type(d).__name__ for d in getattr(message, "defects", [])],
    )


def _decode_header(value: str) -> str:
    """A header as one line: folding and encoded line breaks or control characters become single spaces."""
    try:
        decoded = str(email.header.make_header(email.header.decode_header(value)))
    except (LookupError, UnicodeDecodeError, ValueError, email.errors.HeaderParseError):
        decoded = value
    return " ".join(CONTROL_CHARACTERS.sub(" ", decoded).split())

"""Putting a message in the outbox. Called inside the caller's transaction; never commits."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from extensions import db
from mailing.models import MessageKind, OutgoingAttachment, OutgoingMessage
from mailing.secret_links import SecretLink


class HeaderInjectionError(ValueError):
    """A header value contained CR or LF."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None


@dataclass(frozen=True)
class Sender:
    address: str
    name: str | None = None
    reply_to: str | None = None


@dataclass
class Mail:
    to_address: str
    subject: str
    text_body: str
    template: str
    sender: Sender
    html_body: str | None = None
    to_name: str | None = None
    organisation_id: int | None = None
    registration_id: int | None = None
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    # Set when the bodies hold `secret_links.placeholder()` for a link that grants something.
    secret_link: SecretLink | None = None


def new_message_id(sender_address: str) -> str:
    """A unique Message-ID on the sender's own domain, so replies and bounces thread correctly."""
    domain = sender_address.rpartition("@")[2] or "weerbaar.localhost"
    return f"<{int(time.time())}.{secrets.token_hex(12)}@{domain}>"


def header_safe(value: str) -> str:
    """Folds CR/LF and other control whitespace to spaces: user text can never start a header."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def _checked_header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjectionError(f"header {name!r} contains a line break")
    return value


def queue(mail: Mail, kind: MessageKind = MessageKind.TRANSACTIONAL) -> OutgoingMessage:
    """Adds `mail` to the outbox in the current transaction and flushes; the caller commits."""
    message = OutgoingMessage(
        organisation_id=mail.organisation_id,
        registration_id=mail.registration_id,
        kind=kind,
        template=mail.template,
        to_address=_checked_header("To", mail.to_address),
        to_name=header_safe(mail.to_name) if mail.to_name else None,
        from_address=_checked_header("From", mail.sender.address),
        from_name=header_safe(mail.sender.name) if mail.sender.name else None,
        reply_to=_checked_header("Reply-To", mail.sender.reply_to) if mail.sender.reply_to else None,
        subject=header_safe(mail.subject),
        text_body=mail.text_body,
        html_body=mail.html_body,
        secret_link=mail.secret_link.stored() if mail.secret_link else None,
        headers={name: _checked_header(name, value) for name, value in mail.headers.items()},
        message_id=new_message_id(mail.sender.address),
        attachments=[
            OutgoingAttachment(
                filename=header_safe(a.filename),
                content_type=a.content_type,
                data=a.data,
                content_id=a.content_id,
            )
            for a in mail.attachments
        ],
    )
    db.session.add(message)
    db.session.flush()
    return message

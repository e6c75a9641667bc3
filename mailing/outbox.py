"""Putting a message in the outbox. Called inside the caller's transaction; never commits.

A mail can also be queued *to be composed when it is sent*: the row names a registered composer and
its arguments (`Composition`), and the worker calls it just before sending and stores what it
returns (`compose_row`). A feature does so when composing costs more than the request should
pay (the sign-up confirmation: MJML layout, QR ticket, .ics). Like `secret_links`' minters,
features register composers; `mailing` knows no feature, only the names it was told.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale, get_locale

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
    # Set: the bodies are empty and the worker composes them (and the attachments) when sending.
    composition: Composition | None = None


@dataclass(frozen=True)
class Composition:
    """A registered composer's name and its arguments (plain JSON values), and the language to
    compose in (the one the person used when the mail was queued)."""

    composer: str
    args: dict[str, Any]
    locale: str = "nl"

    def stored(self) -> dict[str, Any]:
        return {"composer": self.composer, "args": self.args, "locale": self.locale}


def composition(composer: str, **args: Any) -> Composition:
    """A composition in the current language (the visitor's, in a request)."""
    return Composition(composer, args, str(get_locale() or "nl"))


# Returns the mail to send, or None when it no longer applies (what it was about is gone or changed).
Composer = Callable[[dict[str, Any]], Mail | None]
_composers: dict[str, Composer] = {}


class ComposerUnknown(LookupError):
    """A row names a composer nobody registered (a feature removed, or the app misconfigured)."""


def composer(name: str) -> Callable[[Composer], Composer]:
    """Registers the function that composes the mails queued with `Composition(name, ...)`."""
    def register(function: Composer) -> Composer:
        _composers[name] = function
        return function
    return register


def composed(stored: dict[str, Any]) -> Mail | None:
    """The mail a stored composition makes now, in its language; None when it no longer applies."""
    function = _composers.get(str(stored.get("composer")))
    if function is None:
        raise ComposerUnknown(f"no mail composer {stored.get('composer')!r}")
    with force_locale(str(stored.get("locale") or "nl")):
        return function(dict(stored.get("args") or {}))


def compose_row(message: OutgoingMessage) -> bool:
    """Fills a row queued for composing with what its composer makes (bodies, subject, attachments,
    link); the caller's session stores it. False: the mail no longer applies, nothing changed."""
    mail = composed(message.composer or {})
    if mail is None:
        return False
    for name, value in _row_values(mail).items():
        setattr(message, name, value)
    message.attachments = _attachment_rows(mail)
    message.composer = None
    return True


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
        kind=kind,
        composer=mail.composition.stored() if mail.composition else None,
        message_id=new_message_id(mail.sender.address),
        attachments=_attachment_rows(mail),
        **_row_values(mail),
    )
    db.session.add(message)
    db.session.flush()
    return message


def _row_values(mail: Mail) -> dict[str, Any]:
    return dict(
        organisation_id=mail.organisation_id,
        registration_id=mail.registration_id,
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
    )


def _attachment_rows(mail: Mail) -> list[OutgoingAttachment]:
    return [
        OutgoingAttachment(filename=header_safe(a.filename), content_type=a.content_type, data=a.data,
                           content_id=a.content_id)
        for a in mail.attachments
    ]

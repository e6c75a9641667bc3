"""The outbox as the admin sees it: counts, lists, one message, and the retry/cancel actions.

A mailbox is the mail of one organisation, or (organisation id None) the system mail that belongs
to none, such as password resets. Functions flush but never commit.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from core.paging import page_of, total_of
from core.timeutils import utcnow
from extensions import db
from mailing.models import MailTemplate, MessageStatus, OutgoingAttachment, OutgoingMessage
from mailing.outbox import ComposerUnknown, composed
from mailing.personalise import RenderedMail, TemplateVersion
from mailing.rendering import TemplateError

PAGE_SIZE = 50
FAILURES_SHOWN = 20


class MailStateError(Exception):
    """The action does not fit the message's status; `str(error)` is a Dutch message."""


@dataclass(frozen=True)
class MessageFilters:
    status: MessageStatus | None = None
    template: str | None = None
    recipient: str | None = None


class EveryMailbox:
    """The regional admin's search over all mailboxes at once (every organisation and the system's)."""


EVERY_MAILBOX = EveryMailbox()
Mailbox = int | None | EveryMailbox


def _in_mailbox(organisation_id: Mailbox) -> sa.ColumnElement[bool]:
    if isinstance(organisation_id, EveryMailbox):
        return sa.true()
    if organisation_id is None:
        return OutgoingMessage.organisation_id.is_(None)
    return OutgoingMessage.organisation_id == organisation_id


def status_counts(organisation_id: Mailbox) -> dict[MessageStatus, int]:
    """The number of messages per status (every status present, zero included)."""
    rows = db.session.execute(
        sa.select(OutgoingMessage.status, sa.func.count())
        .where(_in_mailbox(organisation_id))
        .group_by(OutgoingMessage.status)
    ).all()
    return {status: 0 for status in MessageStatus} | dict(rows)


def templates_used(organisation_id: Mailbox) -> list[str]:
    query = (
        sa.select(OutgoingMessage.template)
        .where(_in_mailbox(organisation_id))
        .distinct()
        .order_by(OutgoingMessage.template)
    )
    return list(db.session.scalars(query))


def message_page(organisation_id: Mailbox, filters: MessageFilters,
                 page: int = 1) -> tuple[list[OutgoingMessage], int]:
    """One page of the mailbox, newest first, and the total matching the filters."""
    query = sa.select(OutgoingMessage).where(_in_mailbox(organisation_id)).options(selectinload(OutgoingMessage.organisation))
    if filters.status:
        query = query.where(OutgoingMessage.status == filters.status)
    if filters.template:
        query = query.where(OutgoingMessage.template == filters.template)
    if filters.recipient:
        needle = filters.recipient.lower()
        query = query.where(sa.or_(
            sa.func.lower(OutgoingMessage.to_address).contains(needle, autoescape=True),
            sa.func.lower(OutgoingMessage.to_name).contains(needle, autoescape=True),
        ))
    total = total_of(query)
    if (page - 1) * PAGE_SIZE >= total:
        return [], total
    newest_first = query.order_by(OutgoingMessage.created_at.desc(), OutgoingMessage.id.desc())
    return list(db.session.scalars(page_of(newest_first, page, PAGE_SIZE))), total


def recent_failures(organisation_id: Mailbox) -> list[OutgoingMessage]:
    query = (
        sa.select(OutgoingMessage)
        .where(_in_mailbox(organisation_id), OutgoingMessage.status == MessageStatus.FAILED)
        .order_by(OutgoingMessage.created_at.desc(), OutgoingMessage.id.desc())
        .limit(FAILURES_SHOWN)
    )
    return list(db.session.scalars(query))


def get_message(message_id: int) -> OutgoingMessage | None:
    query = (
        sa.select(OutgoingMessage)
        .where(OutgoingMessage.id == message_id)
        .options(selectinload(OutgoingMessage.attachments))
    )
    return db.session.scalar(query)


def get_attachment(message_id: int, attachment_id: int) -> OutgoingAttachment | None:
    return db.session.scalar(
        sa.select(OutgoingAttachment).where(
            OutgoingAttachment.id == attachment_id, OutgoingAttachment.message_id == message_id
        )
    )


def bodies(message: OutgoingMessage) -> RenderedMail:
    """What the mail says: stored, or for a campaign row personalised from its template (the
    worker does not store what it sent), or for a row still to be composed as the worker will
    compose it; a template error shows as the text."""
    if message.composer is not None:
        return _composed_now(message)
    if message.template_id is None or message.context is None:  # transactional, or purged
        return RenderedMail(html=message.html_body, text=message.text_body)
    try:
        return TemplateVersion.of(db.session.get_one(MailTemplate, message.template_id)).personalise(message.context)
    except TemplateError as error:
        return RenderedMail(html=None, text=str(error))


def _composed_now(message: OutgoingMessage) -> RenderedMail:
    try:
        mail = composed(message.composer or {})
    except (TemplateError, ComposerUnknown) as error:
        return RenderedMail(html=None, text=str(error))
    if mail is None:
        return RenderedMail(html=None, text=_("Deze mail geldt niet meer en wordt niet verstuurd."))
    return RenderedMail(html=mail.html_body, text=mail.text_body)


def preview_html(message: OutgoingMessage) -> str | None:
    """The stored HTML with `cid:` references to inline parts turned into data: URLs.

    A browser cannot resolve `cid:` outside a mail client; inlining keeps the QR ticket visible
    in the mail catcher without letting the frame load anything from elsewhere.
    """
    html = bodies(message).html
    if html is None:
        return None
    for attachment in message.attachments:
        if attachment.content_id:
            encoded = base64.b64encode(attachment.data).decode("ascii")
            html = html.replace(f"cid:{attachment.content_id}", f"data:{attachment.content_type};base64,{encoded}")
    return html


def _change_status(message_id: int, expected: MessageStatus, **values: object) -> bool:
    """A conditional UPDATE, so a worker claiming the row at the same moment cannot be overruled."""
    result = db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.id == message_id, OutgoingMessage.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _requeue_values() -> dict[str, object]:
    # last_error stays: it is the reason for the retry until the next attempt replaces it.
    return {"status": MessageStatus.QUEUED, "next_attempt_at": utcnow(), "leased_until": None, "failed_at": None}


def retry(message: OutgoingMessage) -> None:
    """Puts a failed message back in the queue, due now."""
    if not _change_status(message.id, MessageStatus.FAILED, **_requeue_values()):
        raise MailStateError(_("Alleen een mislukt bericht kan opnieuw worden verstuurd."))
    db.session.refresh(message)


def retry_all_failed(organisation_id: Mailbox) -> int:
    """Puts every failed message of the mailbox back in the queue; returns how many."""
    result = db.session.execute(
        sa.update(OutgoingMessage)
        .where(_in_mailbox(organisation_id), OutgoingMessage.status == MessageStatus.FAILED)
        .values(**_requeue_values())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def cancel(message: OutgoingMessage) -> None:
    """Stops a queued message from being sent."""
    if not _change_status(message.id, MessageStatus.QUEUED, status=MessageStatus.CANCELLED):
        raise MailStateError(_("Alleen een bericht dat nog in de wachtrij staat kan worden geannuleerd."))
    db.session.refresh(message)

"""The outbox: one row per message to one recipient, written in the business transaction."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.sql import enum_type
from core.timeutils import UTCDateTime, utcnow
from extensions import db


class MessageKind(enum.StrEnum):
    TRANSACTIONAL = "transactional"
    CAMPAIGN = "campaign"


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Rows still to be delivered. Written out as SQL literals, so that the partial index of these rows
# (`ix_outgoing_messages_unsettled_campaign`) serves every query that uses this condition.
UNSETTLED = sa.text("status IN ('queued', 'sending')")


def unsettled() -> sa.ColumnElement[bool]:
    """The row is queued or being sent: not yet sent, failed for good or cancelled."""
    return OutgoingMessage.status.in_([sa.literal_column("'queued'"), sa.literal_column("'sending'")])


class MailTemplate(db.Model):
    """A compiled mail version (MJML rendered to HTML and text Jinja sources) that outbox rows
    reference: they are personalised by the worker, not when they are queued. `shared` holds the
    values every recipient sees (see `mailing.personalise.to_plain`), `redirects` the tracked links."""

    __tablename__ = "mail_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # sha256 of the MJML source: the key of the worker's compiled-template cache.
    source_hash: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.Text)
    html_source: Mapped[str] = mapped_column(sa.Text)
    text_source: Mapped[str] = mapped_column(sa.Text)
    shared: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    redirects: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutgoingMessage(db.Model):
    __tablename__ = "outgoing_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MessageKind] = mapped_column(
        enum_type(MessageKind, "message_kind"), default=MessageKind.TRANSACTIONAL
    )
    # What caused the mail, e.g. "registration_confirmed"; shown in the mail catcher.
    template: Mapped[str] = mapped_column(sa.String(100))
    campaign_id: Mapped[int | None] = mapped_column()
    contact_id: Mapped[int | None] = mapped_column()
    # The registration a transactional mail is about: its copy is anonymised with it (plain id, as
    # campaign_id: mailing knows no feature tables).
    registration_id: Mapped[int | None] = mapped_column(index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    to_name: Mapped[str | None] = mapped_column(sa.String(200))
    from_address: Mapped[str] = mapped_column(sa.String(254))
    from_name: Mapped[str | None] = mapped_column(sa.String(200))
    reply_to: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(400))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    # Set: the bodies are personalised from this template with `context` when sent, then stored.
    template_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mail_templates.id", ondelete="CASCADE"), index=True
    )
    context: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    # How to make the one link that grants something (mailing.secret_links); the bodies hold a
    # placeholder for it and the worker mints it as the mail leaves. Never the link itself.
    secret_link: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    # Set while the mail is still to be composed: the registered composer and its arguments
    # (mailing.outbox.Composition); the worker fills the bodies from it and clears it when sending.
    composer: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    # Extra headers (List-Unsubscribe ...); values are checked for CR/LF before they are stored.
    headers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[MessageStatus] = mapped_column(
        enum_type(MessageStatus, "message_status"), default=MessageStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    smtp_response: Mapped[str | None] = mapped_column(sa.String(500))
    message_id: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the row failed for good (a 5xx, or the last attempt); cleared when it is retried.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Any] = relationship("Organisation", viewonly=True)  # accounts', by name
    attachments: Mapped[list[OutgoingAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="OutgoingAttachment.id"
    )

    __table_args__ = (
        # A campaign reaches a contact at most once (NULLs never collide: transactional rows).
        sa.UniqueConstraint("campaign_id", "contact_id", name="uq_outgoing_messages_campaign_contact"),
        sa.Index("ix_outgoing_messages_due", "status", "next_attempt_at", "id"),
        # Small (only the rows still to be delivered): "is anything of campaign X left?" in one lookup.
        sa.Index("ix_outgoing_messages_unsettled_campaign", "campaign_id",
                 postgresql_where=UNSETTLED, sqlite_where=UNSETTLED),
    )


class OutgoingAttachment(db.Model):
    __tablename__ = "outgoing_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outgoing_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # Set for inline parts referenced from the HTML as cid:<content_id> (the QR ticket).
    content_id: Mapped[str | None] = mapped_column(sa.String(100))

    message: Mapped[OutgoingMessage] = relationship(back_populates="attachments")


class BounceKind(enum.StrEnum):
    HARD = "hard"  # 5.x.x: the address does not work
    SOFT = "soft"  # 4.x.x: full mailbox, greylisting, a relay that gave up for now
    COMPLAINT = "complaint"  # the recipient marked it as spam (ARF feedback report)


class BounceReport(db.Model):
    """One bounce or complaint that came back for an outbox row, with its evidence. `fingerprint`
    (sha256 of the report) makes processing the same report twice change nothing."""

    __tablename__ = "bounce_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outgoing_messages.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # Plain ids as on the outbox row: mailing knows no feature tables.
    campaign_id: Mapped[int | None] = mapped_column(index=True)
    contact_id: Mapped[int | None] = mapped_column(index=True)
    kind: Mapped[BounceKind] = mapped_column(enum_type(BounceKind, "bounce_kind"))
    status_code: Mapped[str | None] = mapped_column(sa.String(20))
    diagnostic: Mapped[str | None] = mapped_column(sa.String(1000))
    recipient: Mapped[str | None] = mapped_column(sa.String(254))
    # How it came in: imap, pipe or webhook.
    source: Mapped[str] = mapped_column(sa.String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[OutgoingMessage] = relationship()

"""Events, their custom questions, and registrations."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Organisation, User
from core.sql import enum_type
from core.timeutils import UTCDateTime, utcnow
from extensions import db


class Audience(enum.StrEnum):
    CITIZENS = "citizens"
    SMES = "smes"
    PARTNERS = "partners"
    EVERYONE = "everyone"


class EventKind(enum.StrEnum):
    SESSION = "session"
    WORKSHOP = "workshop"
    WEBINAR = "webinar"
    MEETING = "meeting"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class QuestionKind(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    CHECKBOX = "checkbox"


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class CheckinResult(enum.StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY_CHECKED_IN = "already_checked_in"
    UNDONE = "undone"
    REFUSED = "refused"


class RefusalReason(enum.StrEnum):
    CANCELLED = "cancelled"
    WAITLISTED = "waitlisted"
    OTHER_EVENT = "other_event"
    UNKNOWN_CODE = "unknown_code"
    EVENT_CANCELLED = "event_cancelled"
    # After the end only someone who manages the event may still check people in (flagged).
    EVENT_ENDED = "event_ended"


def new_token() -> str:
    return secrets.token_urlsafe(24)


# The door code's alphabet keeps at most one of each look-alike group (0/O/Q and 1/I/L: none; 2/Z: 2,
# 5/S: 5, 8/B: 8; U/V: none), so that it survives being read out and typed. 25 symbols, 8 of them:
# 25**8 = 1.5e11 codes per event (events/doorcode.py says why guessing them is useless).
DOOR_CODE_ALPHABET = "23456789ACDEFGHJKMNPRTWXY"
DOOR_CODE_LENGTH = 8


def new_door_code() -> str:
    return "".join(secrets.choice(DOOR_CODE_ALPHABET) for _ in range(DOOR_CODE_LENGTH))


class Event(db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(220))
    audience: Mapped[Audience] = mapped_column(enum_type(Audience, "event_audience"))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "event_kind"))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue_name: Mapped[str | None] = mapped_column(sa.String(200))
    venue_address: Mapped[str | None] = mapped_column(sa.String(300))
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    capacity: Mapped[int] = mapped_column()
    # The confirmed registrations, kept by events/services/registration.py in the transaction that
    # changes them: a sign-up takes a seat with one conditional UPDATE instead of lock + COUNT.
    # Above `capacity` only when an organiser let someone in over capacity.
    seats_taken: Mapped[int] = mapped_column(default=0, server_default="0")
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[EventStatus] = mapped_column(
        enum_type(EventStatus, "event_status"), default=EventStatus.DRAFT, index=True
    )
    cancellation_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Lifecycle mail: how long before the start the reminder goes, an optional extra paragraph
    # per mail, and when each was queued (set under the event lock: each goes out once).
    reminder_hours_before: Mapped[int] = mapped_column(default=24)
    reminder_text: Mapped[str | None] = mapped_column(sa.Text)
    attended_text: Mapped[str | None] = mapped_column(sa.Text)
    no_show_text: Mapped[str | None] = mapped_column(sa.Text)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The online link is given from this many hours before the start (None: at once, in the
    # confirmation); `online_link_sent_at` is set when the reminder or the link mail carried it.
    online_link_hours_before: Mapped[int | None] = mapped_column()
    online_link_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The calendar entry's version (RFC 5545 SEQUENCE, LAST-MODIFIED): raised by
    # events/services/management.py when the time, the place, the link or the status changes.
    calendar_sequence: Mapped[int] = mapped_column(default=0)
    calendar_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    # The questions on the sign-up form; a deleted question that had answers stays in the
    # table (see Question.deleted_at) but leaves this list.
    questions: Mapped[list[Question]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="Question.position",
        primaryjoin="and_(Event.id == Question.event_id, Question.deleted_at.is_(None))",
    )
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="event", cascade="all, delete-orphan", lazy="raise_on_sql"
    )

    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "slug"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("reminder_hours_before > 0", name="reminder_hours_positive"),
        sa.CheckConstraint("online_link_hours_before > 0", name="online_link_hours_positive"),
        sa.Index("ix_events_status_starts_at", "status", "starts_at"),
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.slug}>"


class Question(db.Model):
    """A custom question on an event's sign-up form."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(300))
    help_text: Mapped[str | None] = mapped_column(sa.String(500))
    kind: Mapped[QuestionKind] = mapped_column(enum_type(QuestionKind, "question_kind"))
    required: Mapped[bool] = mapped_column(default=False)
    # The offered choices, for single and multiple choice questions.
    options: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Set instead of deleting the row when registrations already answered it: the question leaves
    # the form, its answers stay stored and in the export under its label.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="questions")


class Registration(db.Model):
    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    # Stored lower-cased and stripped: the duplicate check compares this column. Empty (NULL) only
    # for a walk-in who gave just a name: no mail goes to them, and they are never a duplicate.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    company_name: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # {str(question_id): answer}; a list for multiple choice, a bool for a checkbox.
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_type(RegistrationStatus, "registration_status")
    )
    # Secret part of the signed manage link; replacing it revokes old links.
    manage_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    # Shown as the QR ticket at the door; distinct from the manage token.
    checkin_code: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    # The short code printed under the QR code, to read out when the scan fails; unique per event.
    # Stored without the dash (K7PXM3QD), shown grouped 4-4 (K7PX-M3QD).
    door_code: Mapped[str] = mapped_column(sa.String(DOOR_CODE_LENGTH), default=new_door_code)
    # Let in at the door without signing up first.
    walk_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    source: Mapped[str | None] = mapped_column(sa.String(100))
    keep_informed: Mapped[bool] = mapped_column(default=False)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A cache of the check-in log (CheckinLog), written in the same transaction as its rows.
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    event: Mapped[Event] = relationship(back_populates="registrations")
    checked_in_by: Mapped[User | None] = relationship(foreign_keys=[checked_in_by_id])

    __table_args__ = (
        # One live registration per address per event; a cancelled one may sign up again.
        sa.Index(
            "uq_registrations_event_email_live",
            "event_id",
            "email",
            unique=True,
            sqlite_where=sa.text("status != 'cancelled'"),
            postgresql_where=sa.text("status != 'cancelled'"),
        ),
        sa.Index("ix_registrations_event_status_created", "event_id", "status", "created_at"),
        sa.UniqueConstraint("event_id", "door_code", name="uq_registrations_event_door_code"),
    )

    @property
    def door_code_shown(self) -> str:
        """K7PXM3QD as K7PX-M3QD: two groups of four are read out and typed without losing one's place."""
        half = len(self.door_code) // 2
        return f"{self.door_code[:half]}-{self.door_code[half:]}"

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"


class CheckinLog(db.Model):
    """Every scan at the door, append-only: the check-in state of a registration follows from it.

    `nonce` comes from the scanning device; a retried scan carries the same one and gets the
    first answer back instead of a second row.
    """

    __tablename__ = "checkin_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # Empty for an unknown code or a ticket of another event.
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(200))
    nonce: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the device's clock
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    device: Mapped[str | None] = mapped_column(sa.String(100))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    result: Mapped[CheckinResult] = mapped_column(enum_type(CheckinResult, "checkin_result"))
    refusal_reason: Mapped[RefusalReason | None] = mapped_column(enum_type(RefusalReason, "refusal_reason"))
    after_end: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship()
    registration: Mapped[Registration | None] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("(result = 'refused') = (refusal_reason IS NOT NULL)", name="reason_iff_refused"),
    )

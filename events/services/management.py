"""Event management for organisers: create, edit, duplicate, publish, cancel, questions, overviews.

Functions take plain values, flush but never commit, and raise `ManagementError` with a Dutch
message; the view commits once, so an event change and the mails it causes are stored together.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from core.addresses import normalise_email
from core.slugs import first_free, same_or_numbered, slugify
from core.timeutils import utcnow
from events import notifications
from events.models import (
    Audience,
    Event,
    EventKind,
    EventStatus,
    Question,
    QuestionKind,
    Registration,
    RegistrationStatus,
)
from events.online import link_released
from events.services.registration import SignupData, confirmed_count, lock_event, promote_waitlisted, register
from extensions import db

CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})
SLUG_MAX_LENGTH = 200


class ManagementError(Exception):
    """A change was refused; `str(error)` is a Dutch message for the organiser."""


class StatusConflict(ManagementError):
    """The event's status does not allow this change (HTTP 409)."""


class CapacityBelowConfirmed(ManagementError):
    """Lowering the capacity would take seats from confirmed people."""


class StartInPast(ManagementError):
    """Publishing an event whose start has passed needs an explicit yes (it is usually a wrong date)."""


class SlugTaken(ManagementError):
    """Another event got the same slug in the same instant; saving again picks the next one."""


@dataclass(frozen=True)
class EventData:
    """An event's editable fields, times as aware UTC datetimes."""

    organisation_id: int
    title: str
    audience: Audience
    kind: EventKind
    description: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str | None
    venue_address: str | None
    online_url: str | None
    capacity: int
    waitlist_enabled: bool
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    reminder_hours_before: int = 24
    reminder_text: str | None = None
    attended_text: str | None = None
    no_show_text: str | None = None
    online_link_hours_before: int | None = None


@dataclass(frozen=True)
class EventUpdate:
    """What saving an event caused: people promoted from the waiting list, people mailed a change."""

    promoted: list[Registration]
    notified: int


@dataclass(frozen=True)
class QuestionData:
    label: str
    help_text: str | None
    kind: QuestionKind
    required: bool
    options: list[str]


def unique_slug(organisation_id: int, title: str, *, exclude_event_id: int | None = None) -> str:
    """The title's slug, with "-2", "-3"... when the organisation already has it."""
    base = slugify(title)
    query = sa.select(Event.slug).where(Event.organisation_id == organisation_id, same_or_numbered(Event.slug, base))
    if exclude_event_id is not None:
        query = query.where(Event.id != exclude_event_id)
    return first_free(base, set(db.session.scalars(query)))


def _flush_slug() -> None:
    """Flushes a new or changed slug; the UNIQUE constraint settles a race between two organisers.

    The forms already check every other constraint of an event, so a violation here is the slug.
    """
    try:
        db.session.flush()
    except IntegrityError as error:  # the session must roll back: the unit of work does
        raise SlugTaken(_("Op hetzelfde moment is een ander evenement met deze titel opgeslagen. "
                          "Sla nog een keer op.")) from error


def create_event(data: EventData) -> Event:
    """A new draft event."""
    event = Event(slug=unique_slug(data.organisation_id, data.title), status=EventStatus.DRAFT)
    _apply(event, data)
    db.session.add(event)
    _flush_slug()
    return event


def update_event(event_id: int, data: EventData, *, notify: bool = False) -> EventUpdate:
    """Saves the fields; waitlisted people promoted by a raised capacity are mailed.

    A change of time, place or link raises the calendar version (SEQUENCE); with `notify` the
    confirmed registrants get the new details and calendar. A changed link, or one that the change
    gives out now, is always mailed once it is out: the old one would leave them at a closed door.
    A new time or place is also told to the waiting list, without calendar or link.
    The event is locked first, so no sign-up takes a seat between counting and changing capacity.
    """
    event = lock_event(event_id)
    confirmed = confirmed_count(event_id)
    if data.capacity < confirmed:
        raise CapacityBelowConfirmed(
            ngettext("Er is al %(num)s plaats bevestigd; de capaciteit kan niet lager dan dat. "
                     "Annuleer eerst aanmeldingen als dat echt nodig is.",
                     "Er zijn al %(num)s plaatsen bevestigd; de capaciteit kan niet lager dan dat. "
                     "Annuleer eerst aanmeldingen als dat echt nodig is.", confirmed)
        )
    if (data.title, data.organisation_id) != (event.title, event.organisation_id):
        event.slug = unique_slug(data.organisation_id, data.title, exclude_event_id=event.id)
    capacity_raised = data.capacity > event.capacity
    link_was_out = link_released(event)
    changes = calendar_changes(event, data)
    _apply(event, data)
    if changes:
        event.calendar_sequence += 1
        event.calendar_changed_at = utcnow()
    _flush_slug()
    link_news = link_released(event) and (not link_was_out or CalendarChange.LINK in changes)
    if link_news and event.online_link_hours_before is not None:
        event.online_link_sent_at = event.online_link_sent_at or utcnow()
    promoted = promote_waitlisted(event_id) if capacity_raised else []
    notified = 0
    if (changes and notify) or link_news:  # the promoted have the new details in their promotion mail
        notified = _mail_update(event, changes or [CalendarChange.LINK], {r.id for r in promoted})
    return EventUpdate(promoted, notified)


class CalendarChange(enum.StrEnum):
    TIME = "time"
    PLACE = "place"
    LINK = "link"


def calendar_changes(event: Event, data: EventData) -> list[CalendarChange]:
    """What changes in the registrants' calendars."""
    changes = []
    if (data.starts_at, data.ends_at) != (event.starts_at, event.ends_at):
        changes.append(CalendarChange.TIME)
    if (data.venue_name, data.venue_address) != (event.venue_name, event.venue_address):
        changes.append(CalendarChange.PLACE)
    if data.online_url != event.online_url:
        changes.append(CalendarChange.LINK)
    return changes


def _change_words(changes: list[CalendarChange]) -> list[str]:
    words = {CalendarChange.TIME: _("tijd"), CalendarChange.PLACE: _("plaats"), CalendarChange.LINK: _("link")}
    return [words[change] for change in changes]


def _mail_update(event: Event, changes: list[CalendarChange], already_told: set[int]) -> int:
    if event.status != EventStatus.PUBLISHED:
        return 0
    told = [RegistrationStatus.CONFIRMED]
    if CalendarChange.TIME in changes or CalendarChange.PLACE in changes:  # a new link is news to the seated only
        told.append(RegistrationStatus.WAITLISTED)
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status.in_(told),
               Registration.id.not_in(already_told))
        .order_by(Registration.id)
    ).all()
    for registration in registrations:
        notifications.event_updated(registration, _change_words(changes))
    return len(registrations)


def _apply(event: Event, data: EventData) -> None:
    for name, value in vars(data).items():
        setattr(event, name, value)


def duplicate_event(event_id: int, organisation_id: int, starts_at: datetime) -> Event:
    """A draft copy with every field and question, in `organisation_id`, starting at `starts_at`.

    End and registration moments keep their distance to the start.
    """
    source = db.session.get_one(Event, event_id)
    shift = starts_at - source.starts_at
    copy = Event(
        organisation_id=organisation_id,
        slug=unique_slug(organisation_id, source.title),
        status=EventStatus.DRAFT,
        title=source.title,
        audience=source.audience,
        kind=source.kind,
        description=source.description,
        starts_at=starts_at,
        ends_at=source.ends_at + shift,
        venue_name=source.venue_name,
        venue_address=source.venue_address,
        online_url=source.online_url,
        capacity=source.capacity,
        waitlist_enabled=source.waitlist_enabled,
        registration_opens_at=source.registration_opens_at and source.registration_opens_at + shift,
        registration_closes_at=source.registration_closes_at and source.registration_closes_at + shift,
        reminder_hours_before=source.reminder_hours_before,
        reminder_text=source.reminder_text,
        attended_text=source.attended_text,
        no_show_text=source.no_show_text,
        online_link_hours_before=source.online_link_hours_before,
        questions=[
            Question(position=q.position, label=q.label, help_text=q.help_text, kind=q.kind,
                     required=q.required, options=list(q.options))
            for q in source.questions
        ],
    )
    db.session.add(copy)
    _flush_slug()
    return copy


def starts_in_the_past(event: Event) -> bool:
    return event.starts_at < utcnow()


def publish_event(event_id: int, *, start_in_past_confirmed: bool = False) -> Event:
    """Draft to published. Locked, so a cancellation at the same moment cannot be undone by it."""
    event = lock_event(event_id)
    if starts_in_the_past(event) and not start_in_past_confirmed:
        raise StartInPast(_("Het begin van deze bijeenkomst ligt in het verleden. Bevestig dat u haar toch wilt "
                            "publiceren."))
    if event.status == EventStatus.CANCELLED:
        raise StatusConflict(_("Een geannuleerde bijeenkomst kan niet opnieuw worden gepubliceerd."))
    if event.status == EventStatus.PUBLISHED:
        raise StatusConflict(_("Deze bijeenkomst is al gepubliceerd."))
    event.status = EventStatus.PUBLISHED
    event.published_at = utcnow()
    db.session.flush()
    return event


def unpublish_event(event_id: int) -> Event:
    """Back to draft: hidden from the public; registrations are kept."""
    event = lock_event(event_id)
    if event.status != EventStatus.PUBLISHED:
        raise StatusConflict(_("Alleen een gepubliceerde bijeenkomst kan terug naar concept."))
    event.status = EventStatus.DRAFT
    db.session.flush()
    return event


def cancel_event(event_id: int, reason: str | None) -> int:
    """Cancels the event and mails everyone confirmed or waitlisted; returns how many were mailed.

    Locked first, so a sign-up that is being written now is either mailed here or refused.
    """
    event = lock_event(event_id)
    if event.status == EventStatus.CANCELLED:
        raise StatusConflict(_("Deze bijeenkomst is al geannuleerd."))
    event.status = EventStatus.CANCELLED
    event.cancelled_at = utcnow()
    event.cancellation_reason = reason or None
    event.calendar_sequence += 1  # the CANCEL in the mails replaces every earlier copy
    event.calendar_changed_at = event.cancelled_at
    db.session.flush()
    registered = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event_id, Registration.status != RegistrationStatus.CANCELLED)
        .order_by(Registration.id)
    ).all()
    for registration in registered:
        notifications.event_cancelled(event, registration)
    return len(registered)


def add_registration(event_id: int, data: SignupData, added_by_id: int) -> tuple[Registration, bool]:
    """An organiser adds someone, also after registration closed; True when it is a new registration.

    The public duplicate rule holds: an address already registered gets its manage link again.
    """
    already = sa.exists().where(
        Registration.event_id == event_id,
        Registration.email == normalise_email(data.email),
        Registration.status != RegistrationStatus.CANCELLED,
    )
    is_new = not db.session.scalar(sa.select(already))
    return register(event_id, data, added_by_id=added_by_id, allow_closed=True), is_new


def add_question(event_id: int, data: QuestionData) -> Question:
    last = db.session.scalar(
        sa.select(sa.func.max(Question.position)).where(Question.event_id == event_id, Question.deleted_at.is_(None))
    )
    question = Question(event_id=event_id, position=(last or 0) + 1)
    _apply_question(question, data)
    db.session.add(question)
    db.session.flush()
    return question


def update_question(question: Question, data: QuestionData) -> None:
    _apply_question(question, data)
    db.session.flush()


def _apply_question(question: Question, data: QuestionData) -> None:
    question.label = data.label
    question.help_text = data.help_text
    question.kind = data.kind
    question.required = data.required
    question.options = list(data.options) if data.kind in CHOICE_KINDS else []


def delete_question(question: Question) -> bool:
    """Removes the question from the form; returns True when it was kept because it has answers.

    A question with answers stays stored (marked deleted), so the answers keep their label in
    the export; one without answers is deleted outright.
    """
    if has_answers(question):
        question.deleted_at = utcnow()
        db.session.flush()
        db.session.expire(question.event, ["questions"])
        return True
    db.session.delete(question)
    db.session.flush()
    db.session.expire(question.event, ["questions"])
    return False


def has_answers(question: Question) -> bool:
    key = str(question.id)
    answers = db.session.scalars(sa.select(Registration.answers).where(Registration.event_id == question.event_id))
    return any(key in (answer or {}) for answer in answers)


class Direction(enum.IntEnum):
    UP = -1
    DOWN = 1


def move_question(question: Question, direction: Direction) -> None:
    """Swaps the question with its neighbour above or below; at either end nothing changes."""
    questions = list(question.event.questions)
    index = questions.index(question)
    other = index + direction
    if not 0 <= other < len(questions):
        return
    for position, item in enumerate(_swapped(questions, index, other), start=1):
        item.position = position
    db.session.flush()
    db.session.expire(question.event, ["questions"])


def _swapped(items: list[Question], first: int, second: int) -> list[Question]:
    items = list(items)
    items[first], items[second] = items[second], items[first]
    return items

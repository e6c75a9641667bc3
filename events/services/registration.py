"""Registration rules: seats, waiting list, duplicates, cancellation and promotion.

Functions flush but never commit; the caller's request commits once, so the registration and
its outbox mail are stored together or not at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from core.addresses import normalise_email
from core.sql import lock_row
from core.timeutils import utcnow
from events import doorcode, notifications
from events.models import Event, EventStatus, Registration, RegistrationStatus, new_door_code, new_token
from events.signals import keep_informed_requested
from extensions import db


class RegistrationError(Exception):
    """A sign-up was refused; `str(error)` is a Dutch message fit for the person."""


class RegistrationClosed(RegistrationError):
    pass


class EventFull(RegistrationError):
    pass


class EventBusy(RegistrationError):
    """The event lock was not granted in time: nothing was written, try again."""


@dataclass(frozen=True)
class SignupData:
    name: str
    email: str | None  # None only for a walk-in with just a name
    company_name: str | None = None
    phone: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    keep_informed: bool = False
    source: str | None = None


def registration_closed_reason(event: Event) -> str | None:
    """Why sign-up is not possible now, or None when it is open."""
    now = utcnow()
    if event.status == EventStatus.CANCELLED:
        return _("Deze bijeenkomst gaat niet door.")
    if event.status != EventStatus.PUBLISHED:
        return _("Aanmelden voor deze bijeenkomst is niet mogelijk.")
    if event.registration_opens_at and now < event.registration_opens_at:
        return _("Aanmelden is nog niet geopend.")
    if now >= (event.registration_closes_at or event.starts_at):
        return _("Aanmelden is gesloten.")
    return None


def lock_event(event_id: int) -> Event:
    """Locks the event row until commit: cancellations, promotions, capacity changes and the
    sign-up that finds no free seat decide under it (proved by tests/events/test_waitlist_concurrency.py
    and test_capacity_concurrency.py, whose negative controls switch it off).
    """
    with_sender = joinedload(Event.organisation)  # the mails written under the lock need it
    if not _guarded():
        return db.session.get_one(Event, event_id)
    return lock_row(Event, event_id, with_sender, busy=busy)


def _guarded() -> bool:
    """False only in the negative controls of the race tests: no lock, no conditional seat claim."""
    return bool(current_app.config.get("EVENT_LOCK_ENABLED", True))


def busy() -> EventBusy:
    return EventBusy(_("Het is erg druk. Probeer het over een paar seconden opnieuw."))


_events = Event.__table__
# Core statements on the events row: the ORM's unit of work would also bump `updated_at` (which
# calendars read as "the event changed"), and costs more than the statement itself.
_CLAIM_SEAT = (
    _events.update()
    .where(_events.c.id == sa.bindparam("event_id"), _events.c.status == EventStatus.PUBLISHED,
           _events.c.seats_taken < _events.c.capacity)
    .values(seats_taken=_events.c.seats_taken + 1, updated_at=_events.c.updated_at)
    .returning(_events.c.seats_taken)
)
_ADD_SEATS = (
    _events.update().where(_events.c.id == sa.bindparam("event_id"))
    .values(seats_taken=_events.c.seats_taken + sa.bindparam("delta"), updated_at=_events.c.updated_at)
    .returning(_events.c.seats_taken)
)


def _add_seats(event: Event, delta: int) -> None:
    """Changes the event's seat counter by `delta`, in the transaction that changed the registrations."""
    if delta:
        taken = db.session.execute(_ADD_SEATS, {"event_id": event.id, "delta": delta}).scalar_one()
        set_committed_value(event, "seats_taken", taken)


def confirmed_count(event_id: int) -> int:
    """Counted from the registrations (the seat counter's truth; tests compare the two)."""
    query = sa.select(sa.func.count()).where(
        Registration.event_id == event_id, Registration.status == RegistrationStatus.CONFIRMED
    )
    return db.session.scalar(query) or 0


def _live_registration_id(event_id: int, email: str) -> int | None:
    query = sa.select(Registration.id).where(
        Registration.event_id == event_id, Registration.email == email,
        Registration.status != RegistrationStatus.CANCELLED,
    )
    return db.session.scalar(query)


def register(event_id: int, data: SignupData, *, added_by_id: int | None = None,
             allow_closed: bool = False, allow_over_capacity: bool = False) -> Registration:
    """Signs a person up: a seat while there is one, else the waiting list, else EventFull.

    The same address twice gets no second row: the existing registration is returned and its
    manage link mailed again, so the page the person sees is the same in both cases.
    `allow_closed` lets an organiser add someone after registration closed; `allow_over_capacity`
    gives a seat even when all are taken (a walk-in the organiser lets in).
    """
    event = db.session.get(Event, event_id)
    if event is None:
        raise RegistrationClosed(_("Deze bijeenkomst bestaat niet."))
    _check_open(event, allow_closed)
    email = normalise_email(data.email) if data.email else None  # a walk-in may give just a name
    duplicate_id = _live_registration_id(event_id, email) if email else None
    if duplicate_id is not None:
        existing = db.session.get_one(Registration, duplicate_id)
        notifications.already_registered(existing)
        return existing
    registration = _new_registration(event, data, email, added_by_id)
    registration.status = _take_seat_or_wait(event, allow_closed, allow_over_capacity)
    doorcode.claim(registration)
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError as error:  # a parallel sign-up with this address got in first
        raise busy() from error
    notifications.queue_signup_mail(registration)
    if data.keep_informed:
        keep_informed_requested.send(current_app._get_current_object(), registration=registration)
    return registration


def _take_seat_or_wait(event: Event, allow_closed: bool, allow_over_capacity: bool) -> RegistrationStatus:
    """The newcomer's status, its seat taken on the counter. Raises EventFull or RegistrationClosed.

    A free seat is taken by one conditional UPDATE: PostgreSQL re-checks `seats_taken < capacity`
    on the newest row version after waiting for a parallel claim, so two sign-ups can never take
    the last seat (tests/events/test_capacity_concurrency.py; its negative control reads the
    counter, decides here, and overbooks). The row stays locked by that UPDATE until commit.
    When that finds no seat, the rest is decided under the event lock: a cancellation running at
    the same moment frees its seat and promotes from the waiting list under that lock, so the
    newcomer either gets the seat or is already on the list the cancellation promotes from.
    """
    if not _guarded():
        return _unguarded_take_seat(event, allow_over_capacity)
    if _claim_seat(event):
        return RegistrationStatus.CONFIRMED
    event = lock_event(event.id)
    _check_open(event, allow_closed)  # it may have been cancelled meanwhile
    status = _status_for_newcomer(event, event.seats_taken, allow_over_capacity)
    if status is None:
        raise EventFull(_("Deze bijeenkomst is vol."))
    if status == RegistrationStatus.CONFIRMED:
        _add_seats(event, 1)
    return status


def _claim_seat(event: Event) -> bool:
    if db.engine.dialect.name == "postgresql":  # a pile-up answers "busy" instead of hanging
        seconds = int(current_app.config["LOCK_TIMEOUT_SECONDS"])
        db.session.execute(sa.text(f"SET LOCAL lock_timeout = '{seconds}s'"))
    try:
        taken = db.session.execute(_CLAIM_SEAT, {"event_id": event.id}).scalar()
    except OperationalError as error:  # lock timeout: the transaction is spoilt, the unit of work rolls back
        raise busy() from error
    if taken is None:
        return False
    set_committed_value(event, "seats_taken", taken)
    return True


def _unguarded_take_seat(event: Event, allow_over_capacity: bool) -> RegistrationStatus:
    """The negative control only: check, then act, as code without the guard would."""
    taken = db.session.scalar(sa.select(Event.seats_taken).where(Event.id == event.id)) or 0
    status = _status_for_newcomer(event, taken, allow_over_capacity)
    if status is None:
        raise EventFull(_("Deze bijeenkomst is vol."))
    if status == RegistrationStatus.CONFIRMED:
        _add_seats(event, 1)
    return status


def _new_registration(event: Event, data: SignupData, email: str | None, added_by_id: int | None) -> Registration:
    """Not yet in the session. `event` is attached without the back-reference, so the transient row
    does not sit in `event.registrations` (an autoflush would warn about it) before it is added.
    """
    registration = Registration(
        event_id=event.id,
        name=data.name,
        email=email,
        company_name=data.company_name,
        phone=data.phone,
        answers=data.answers,
        keep_informed=data.keep_informed,
        source=data.source,
        added_by_id=added_by_id,
        manage_token=new_token(),
        checkin_code=new_token(),
        door_code=new_door_code(),
    )
    set_committed_value(registration, "event", event)
    return registration


def _check_open(event: Event, allow_closed: bool) -> None:
    if event.status == EventStatus.CANCELLED:
        raise RegistrationClosed(_("Deze bijeenkomst gaat niet door."))
    reason = registration_closed_reason(event)
    if reason and not (allow_closed and event.status == EventStatus.PUBLISHED):
        raise RegistrationClosed(reason)


def _status_for_newcomer(event: Event, taken: int, allow_over_capacity: bool) -> RegistrationStatus | None:
    """A seat while there is one (or the organiser lets a walk-in in), else the waiting list; None: full."""
    if taken < event.capacity or allow_over_capacity:
        return RegistrationStatus.CONFIRMED
    if event.waitlist_enabled:
        return RegistrationStatus.WAITLISTED
    return None


def cancel_registration(registration: Registration, *, by_organiser: bool = False) -> list[Registration]:
    """Cancels and gives the freed seat to the first on the waiting list. Idempotent.

    Returns the people promoted. `by_organiser` still mails the person: they should know.
    """
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        return []
    if not by_organiser and event.starts_at <= utcnow():
        raise RegistrationClosed(_("De bijeenkomst is al begonnen; annuleren kan niet meer."))
    freed = 1 if registration.status == RegistrationStatus.CONFIRMED else 0
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = utcnow()
    db.session.flush()
    notifications.registration_cancelled(registration)
    return _promote(event, freed=freed)


def promote_waitlisted(event_id: int) -> list[Registration]:
    """Fills free seats from the waiting list in sign-up order (after capacity was raised)."""
    return _promote(lock_event(event_id))


def _promote(event: Event, freed: int = 0) -> list[Registration]:
    """Caller holds the event lock; `freed` seats were just given back by the caller's change.

    The counter is changed once, at the end, by what was freed and what was promoted.
    """
    waiting: list[Registration] = []
    free = event.capacity - (event.seats_taken - freed)
    if free > 0 and event.status == EventStatus.PUBLISHED and event.ends_at > utcnow():
        waiting = list(db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)
            .order_by(Registration.created_at, Registration.id)
            .limit(free)
        ))
    for registration in waiting:
        registration.status = RegistrationStatus.CONFIRMED
        registration.promoted_at = utcnow()
    db.session.flush()
    _add_seats(event, len(waiting) - freed)
    for registration in waiting:
        notifications.registration_promoted(registration)
    return waiting


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            sa.or_(
                Registration.created_at < registration.created_at,
                sa.and_(Registration.created_at == registration.created_at, Registration.id < registration.id),
            ),
        )
    )
    return (ahead or 0) + 1

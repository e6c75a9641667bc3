"""Registration rules: seats, waiting list, duplicates, cancellation and promotion.

Functions flush but never commit; the caller's request commits once, so the registration and
its outbox mail are stored together or not at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload

from events import notifications
from events.models import Event, EventStatus, Registration, RegistrationStatus
from extensions import db
from timeutils import utcnow

signals = Namespace()
# Sent with `registration` (flushed, not committed) when a new sign-up ticked "keep me informed";
# the campaigns feature starts its double opt-in in the same transaction.
keep_informed_requested = signals.signal("keep-informed-requested")


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
    email: str
    company_name: str | None = None
    phone: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    keep_informed: bool = False
    source: str | None = None


def normalise_email(email: str) -> str:
    return email.strip().lower()


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
    """Locks the event row until commit, so that counting seats and inserting are one step.

    Without it two sign-ups can both count 9 of 10 seats and both confirm (proved by
    tests/events/test_capacity_concurrency.py, whose negative control switches this off).
    PostgreSQL: SELECT ... FOR UPDATE with a lock_timeout, so a pile-up answers "busy" after a
    few seconds instead of hanging. SQLite has one writer: a no-op UPDATE takes the write lock
    now, before the count, and its busy timeout plays the same role.
    """
    with_sender = joinedload(Event.organisation)  # the mails written under the lock need it
    if not current_app.config.get("EVENT_LOCK_ENABLED", True):
        return db.session.get_one(Event, event_id)
    try:
        if db.engine.dialect.name == "postgresql":
            seconds = int(current_app.config["LOCK_TIMEOUT_SECONDS"])
            db.session.execute(sa.text(f"SET LOCAL lock_timeout = '{seconds}s'"))
            query = sa.select(Event).where(Event.id == event_id).with_for_update(of=Event).options(with_sender)
            return db.session.execute(query.execution_options(populate_existing=True)).scalar_one()
        no_op = sa.update(Event).where(Event.id == event_id).values(id=Event.id)
        db.session.execute(no_op.execution_options(synchronize_session=False))
        return db.session.get_one(Event, event_id, populate_existing=True, options=[with_sender])
    except OperationalError as error:
        db.session.rollback()
        raise EventBusy(_("Het is erg druk. Probeer het over een paar seconden opnieuw.")) from error


def confirmed_count(event_id: int) -> int:
    query = sa.select(sa.func.count()).where(
        Registration.event_id == event_id, Registration.status == RegistrationStatus.CONFIRMED
    )
    return db.session.scalar(query) or 0


def _seats_taken_and_duplicate(event_id: int, email: str) -> tuple[int, int | None]:
    """Confirmed seats, and the id of this address's live registration if any: one statement."""
    live_duplicate = sa.and_(Registration.email == email, Registration.status != RegistrationStatus.CANCELLED)
    query = sa.select(
        sa.func.count().filter(Registration.status == RegistrationStatus.CONFIRMED),
        sa.func.max(Registration.id).filter(live_duplicate),
    ).where(Registration.event_id == event_id)
    confirmed, duplicate_id = db.session.execute(query).one()
    return confirmed, duplicate_id


def register(event_id: int, data: SignupData, *, added_by_id: int | None = None,
             allow_closed: bool = False) -> Registration:
    """Signs a person up: a seat while there is one, else the waiting list, else EventFull.

    The same address twice gets no second row: the existing registration is returned and its
    manage link mailed again, so the page the person sees is the same in both cases.
    `allow_closed` lets an organiser add someone after registration closed.
    """
    event = db.session.get(Event, event_id)
    if event is None:
        raise RegistrationClosed(_("Deze bijeenkomst bestaat niet."))
    _check_open(event, allow_closed)
    email = normalise_email(data.email)
    event = lock_event(event_id)
    _check_open(event, allow_closed)  # it may have been cancelled while we waited
    confirmed, duplicate_id = _seats_taken_and_duplicate(event_id, email)
    if duplicate_id is not None:
        existing = db.session.get_one(Registration, duplicate_id)
        notifications.already_registered(existing)
        return existing
    status = _status_for_newcomer(event, confirmed)
    registration = Registration(
        event=event,
        name=data.name,
        email=email,
        company_name=data.company_name,
        phone=data.phone,
        answers=data.answers,
        status=status,
        keep_informed=data.keep_informed,
        source=data.source,
        added_by_id=added_by_id,
    )
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError as error:  # only without the lock: a parallel sign-up with this address
        db.session.rollback()
        raise EventBusy(_("Het is erg druk. Probeer het over een paar seconden opnieuw.")) from error
    if status == RegistrationStatus.CONFIRMED:
        notifications.registration_confirmed(registration)
    else:
        notifications.registration_waitlisted(registration)
    if data.keep_informed:
        keep_informed_requested.send(current_app._get_current_object(), registration=registration)
    return registration


def _check_open(event: Event, allow_closed: bool) -> None:
    if event.status == EventStatus.CANCELLED:
        raise RegistrationClosed(_("Deze bijeenkomst gaat niet door."))
    reason = registration_closed_reason(event)
    if reason and not (allow_closed and event.status == EventStatus.PUBLISHED):
        raise RegistrationClosed(reason)


def _status_for_newcomer(event: Event, confirmed: int) -> RegistrationStatus:
    if confirmed < event.capacity:
        return RegistrationStatus.CONFIRMED
    if event.waitlist_enabled:
        return RegistrationStatus.WAITLISTED
    raise EventFull(_("Deze bijeenkomst is vol."))


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
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = utcnow()
    db.session.flush()
    notifications.registration_cancelled(registration)
    return _promote(registration.event)


def promote_waitlisted(event_id: int) -> list[Registration]:
    """Fills free seats from the waiting list in sign-up order (after capacity was raised)."""
    return _promote(lock_event(event_id))


def _promote(event: Event) -> list[Registration]:
    """Caller holds the event lock."""
    if event.status != EventStatus.PUBLISHED or event.ends_at <= utcnow():
        return []
    free = event.capacity - confirmed_count(event.id)
    if free <= 0:
        return []
    waiting = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.created_at, Registration.id)
        .limit(free)
    ).all()
    for registration in waiting:
        registration.status = RegistrationStatus.CONFIRMED
        registration.promoted_at = utcnow()
    db.session.flush()
    for registration in waiting:
        notifications.registration_promoted(registration)
    return list(waiting)


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

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
from sqlalchemy.exc import IntegrityError
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
    """Locks the event row until commit, so that counting seats and inserting are one step.

    Without it two sign-ups can both count 9 of 10 seats and both confirm (proved by
    tests/events/test_capacity_concurrency.py, whose negative control switches this off).
    """
    with_sender = joinedload(Event.organisation)  # the mails written under the lock need it
    if not current_app.config.get("EVENT_LOCK_ENABLED", True):
        return db.session.get_one(Event, event_id)
    return lock_row(Event, event_id, with_sender, busy=busy)


def busy() -> EventBusy:
    return EventBusy(_("Het is erg druk. Probeer het over een paar seconden opnieuw."))


def confirmed_count(event_id: int) -> int:
    query = sa.select(sa.func.count()).where(
        Registration.event_id == event_id, Registration.status == RegistrationStatus.CONFIRMED
    )
    return db.session.scalar(query) or 0


def _seats_taken_and_duplicate(event_id: int, email: str | None) -> tuple[int, int | None]:
    """Confirmed seats, and the id of this address's live registration if any: one statement.
    Without an address (a walk-in with just a name) nobody is a duplicate."""
    live_duplicate = sa.and_(Registration.email == email, Registration.status != RegistrationStatus.CANCELLED,
                             sa.true() if email else sa.false())
    query = sa.select(
        sa.func.count().filter(Registration.status == RegistrationStatus.CONFIRMED),
        sa.func.max(Registration.id).filter(live_duplicate),
    ).where(Registration.event_id == event_id)
    confirmed, duplicate_id = db.session.execute(query).one()
    return confirmed, duplicate_id


def register(event_id: int, data: SignupData, *, added_by_id: int | None = None,
             allow_closed: bool = False, allow_over_capacity: bool = False) -> Registration:
    """Signs a person up: a seat while there is one, else the waiting list, else EventFull.

    The same address twice gets no second row: the existing registration is returned and its
    manage link mailed again, so the page the person sees is the same in both cases.
    `allow_closed` lets an organiser add someone after registration closed; `allow_over_capacity`
    gives a seat even when all are taken (a walk-in the organiser lets in). Both are decided
    under the event lock like every other sign-up.
    """
    event = db.session.get(Event, event_id)
    if event is None:
        raise RegistrationClosed(_("Deze bijeenkomst bestaat niet."))
    _check_open(event, allow_closed)
    registration = _new_registration(event, data, added_by_id)
    # Guess the status without the lock and render the mail now (MJML, QR code, .ics take a few
    # milliseconds); under the lock it is rendered again only when the guess was wrong.
    confirmed, _duplicate = _seats_taken_and_duplicate(event_id, registration.email)
    guess = _status_for_newcomer(event, confirmed, allow_over_capacity)
    registration.status = guess or RegistrationStatus.WAITLISTED
    mail = notifications.signup_mail(registration) if guess else None

    event = lock_event(event_id)
    _check_open(event, allow_closed)  # it may have been cancelled while we waited
    confirmed, duplicate_id = _seats_taken_and_duplicate(event_id, registration.email)
    if duplicate_id is not None:
        existing = db.session.get_one(Registration, duplicate_id)
        notifications.already_registered(existing)
        return existing
    status = _status_for_newcomer(event, confirmed, allow_over_capacity)
    if status is None:
        raise EventFull(_("Deze bijeenkomst is vol."))
    door_code_changed = doorcode.claim(registration)  # under the lock: unique in the event
    if mail is None or status != registration.status or door_code_changed:
        registration.status = status
        mail = notifications.signup_mail(registration)
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError as error:  # only without the lock: a parallel sign-up with this address
        raise EventBusy(_("Het is erg druk. Probeer het over een paar seconden opnieuw.")) from error
    notifications.queue_signup_mail(registration, mail)
    if data.keep_informed:
        keep_informed_requested.send(current_app._get_current_object(), registration=registration)
    return registration


def _new_registration(event: Event, data: SignupData, added_by_id: int | None) -> Registration:
    """Not yet in the session; its tokens are set now because the mail, composed first, links them.

    `event` is attached without the back-reference, so the transient row does not sit in
    `event.registrations` (an autoflush would warn about it) before it is added under the lock.
    """
    registration = Registration(
        event_id=event.id,
        name=data.name,
        email=normalise_email(data.email) if data.email else None,
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


def _status_for_newcomer(event: Event, confirmed: int, allow_over_capacity: bool) -> RegistrationStatus | None:
    """A seat while there is one (or the organiser lets a walk-in in), else the waiting list; None: full."""
    if confirmed < event.capacity or allow_over_capacity:
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

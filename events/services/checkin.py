"""Check-in at the door: scans, undo and walk-ins, each appended to the CheckinLog.

The log is the record of what happened. `Registration.checked_in_at` / `checked_in_by_id` are a
cache of it, written in the same transaction as the log row and under the registration's row
lock, so counts and exports read one column instead of replaying the log. Functions flush but
never commit; the request commits once.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from core.addresses import normalise_email
from core.sql import lock_row
from core.timeutils import utcnow
from events import doorcode
from events.models import (
    CheckinLog,
    CheckinResult,
    Event,
    EventStatus,
    RefusalReason,
    Registration,
    RegistrationStatus,
)
from events.services.registration import EventBusy, EventFull, SignupData, busy, register
from extensions import db

SEARCH_MIN_LENGTH = 2
SEARCH_LIMIT = 20


class CheckinError(Exception):
    """A door action was refused; `str(error)` is a Dutch message for the person at the door."""


@dataclass(frozen=True)
class Door:
    """Who scans, from which device, and the device's own nonce and clock for this scan."""

    user_id: int
    nonce: str
    may_manage: bool = False  # manages the event: may check in after the end (flagged), over capacity
    device: str | None = None
    scanned_at: datetime | None = None


@dataclass(frozen=True)
class AttendanceCounts:
    registered: int
    checked_in: int

    @property
    def expected(self) -> int:
        return self.registered - self.checked_in


def lock_registration(registration_id: int) -> Registration:
    """Locks the registration row until commit, so that deciding and writing a check-in are one step.

    Two devices scanning the same ticket at once are served one after the other: the first
    checks in, the second reads "already checked in". Without it both read "not yet" and both
    check in (tests/events/test_checkin_concurrency.py, whose negative control switches this off).
    """
    if not current_app.config.get("CHECKIN_LOCK_ENABLED", True):
        return db.session.get_one(Registration, registration_id)
    return lock_row(Registration, registration_id, busy=busy)


def check_in(event_id: int, code: str, door: Door) -> CheckinLog:
    """Checks in the ticket with `code` at `event_id`'s door; every outcome is logged and returned.

    `code` is the QR secret or the door code as typed (any case, with or without the dash); the
    log keeps a door code in its stored form. A scan whose nonce was seen before returns that first
    answer and writes nothing.
    """
    door_code = doorcode.normalise(code)
    code = door_code or code
    found = db.session.execute(
        sa.select(Registration.id, Registration.event_id).where(
            sa.and_(Registration.event_id == event_id, Registration.door_code == door_code) if door_code
            else Registration.checkin_code == code)
    ).first()
    if found is None or found.event_id != event_id:
        reason = RefusalReason.UNKNOWN_CODE if found is None else RefusalReason.OTHER_EVENT
        return _replayed(door, event_id, code) or _append(event_id, None, code, door, CheckinResult.REFUSED, reason)
    registration = lock_registration(found.id)
    replay = _replayed(door, event_id, code)
    if replay:
        return replay
    event = db.session.get_one(Event, event_id)
    now = utcnow()
    result, reason = _decide(event, registration, door, now)
    after_end = result == CheckinResult.CHECKED_IN and now >= event.ends_at
    if result == CheckinResult.CHECKED_IN:
        registration.checked_in_at = now
        registration.checked_in_by_id = door.user_id
    return _append(event_id, registration.id, code, door, result, reason, after_end=after_end, received_at=now)


def _decide(event: Event, registration: Registration, door: Door,
            now: datetime) -> tuple[CheckinResult, RefusalReason | None]:
    if event.status == EventStatus.CANCELLED:
        return CheckinResult.REFUSED, RefusalReason.EVENT_CANCELLED
    if registration.status == RegistrationStatus.CANCELLED:
        return CheckinResult.REFUSED, RefusalReason.CANCELLED
    if registration.status == RegistrationStatus.WAITLISTED:
        return CheckinResult.REFUSED, RefusalReason.WAITLISTED
    if registration.checked_in_at is not None:
        return CheckinResult.ALREADY_CHECKED_IN, None
    if now >= event.ends_at and not door.may_manage:
        return CheckinResult.REFUSED, RefusalReason.EVENT_ENDED
    return CheckinResult.CHECKED_IN, None


def undo_check_in(event_id: int, registration_id: int, door: Door) -> CheckinLog:
    """Takes back a check-in (a wrong person tapped in the search); logged like a scan."""
    registration = lock_registration(registration_id)
    replay = _replayed(door, event_id, registration.checkin_code)
    if replay:
        return replay
    if registration.checked_in_at is None:
        raise CheckinError(_("%(name)s is niet ingecheckt; er valt niets ongedaan te maken.", name=registration.name))
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    return _append(event_id, registration.id, registration.checkin_code, door, CheckinResult.UNDONE, None)


def walk_in(event_id: int, data: SignupData, door: Door, *, over_capacity: bool = False) -> CheckinLog:
    """Registers someone at the door and checks them in at once; a seat is needed unless
    `over_capacity` (organisers only). An address is optional: without one nobody is mailed and
    the person is never taken for someone already registered. Refusals raise, so the caller rolls
    the sign-up back too."""
    if over_capacity and not door.may_manage:
        raise CheckinError(_("Alleen een organisator kan mensen boven het aantal plaatsen toelaten."))
    earlier = db.session.scalar(sa.select(CheckinLog).where(CheckinLog.nonce == door.nonce))
    if earlier is not None and earlier.event_id == event_id:  # the same form sent twice
        return earlier
    if data.email and _live_registration(event_id, data.email) is not None:
        raise CheckinError(_("Dit e-mailadres is al aangemeld. Zoek de persoon op naam en check zo in."))
    registration = register(event_id, data, added_by_id=door.user_id, allow_closed=True,
                            allow_over_capacity=over_capacity)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise EventFull(_("De bijeenkomst is vol. Een organisator kan 'over capaciteit toestaan' aanvinken."))
    registration.walk_in = True
    log = check_in(event_id, registration.checkin_code, door)
    if log.result != CheckinResult.CHECKED_IN:
        raise CheckinError(_("Inchecken na afloop kan alleen een organisator."))
    return log


def _live_registration(event_id: int, email: str) -> int | None:
    return db.session.scalar(sa.select(Registration.id).where(
        Registration.event_id == event_id,
        Registration.email == normalise_email(email),
        Registration.status != RegistrationStatus.CANCELLED,
    ))


def _replayed(door: Door, event_id: int, code: str) -> CheckinLog | None:
    """The log row of an earlier request with this nonce: a retried scan gets its first answer."""
    earlier = db.session.scalar(sa.select(CheckinLog).where(CheckinLog.nonce == door.nonce))
    if earlier is not None and (earlier.event_id, earlier.code) != (event_id, code):
        raise CheckinError(_("Deze scan hoort bij een andere code. Scan het toegangsbewijs opnieuw."))
    return earlier


def _append(event_id: int, registration_id: int | None, code: str, door: Door, result: CheckinResult,
            reason: RefusalReason | None, *, after_end: bool = False,
            received_at: datetime | None = None) -> CheckinLog:
    log = CheckinLog(event_id=event_id, registration_id=registration_id, code=code, nonce=door.nonce,
                     scanned_at=door.scanned_at, received_at=received_at or utcnow(), device=door.device,
                     user_id=door.user_id, result=result, refusal_reason=reason, after_end=after_end)
    db.session.add(log)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same nonce in a parallel request (an unknown code is not locked)
        raise EventBusy(_("Deze scan wordt al verwerkt. Probeer het opnieuw.")) from error
    return log


def attendance_counts(event_id: int) -> AttendanceCounts:
    """Registered (confirmed) and checked in, in one statement."""
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    registered, checked_in = db.session.execute(
        sa.select(
            sa.func.count().filter(confirmed),
            sa.func.count().filter(confirmed, Registration.checked_in_at.is_not(None)),
        ).where(Registration.event_id == event_id)
    ).one()
    return AttendanceCounts(registered=registered, checked_in=checked_in)


@dataclass(frozen=True)
class OfflinePerson:
    """One line of a door device's offline list: nothing but what recognising a person needs."""

    door_code: str
    name: str
    organisation: str
    ticket: str  # SHA-256 of the QR secret, hex
    checked_in: bool

    def as_json(self) -> dict[str, object]:
        return {"code": self.door_code, "name": self.name, "organisation": self.organisation,
                "ticket": self.ticket, "checked_in": self.checked_in}


def offline_list(event_id: int) -> list[OfflinePerson]:
    """The confirmed registrations of an event, for a device that checks in without a connection.
    Only confirmed people: the waiting list and cancelled ones are refused online anyway."""
    rows = db.session.execute(
        sa.select(Registration.door_code, Registration.name, Registration.company_name, Registration.checkin_code,
                  Registration.checked_in_at)
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.CONFIRMED)
        .order_by(Registration.name, Registration.id)
    )
    return [OfflinePerson(door_code=row.door_code, name=row.name, organisation=row.company_name or "",
                          ticket=hashlib.sha256(row.checkin_code.encode()).hexdigest(),
                          checked_in=row.checked_in_at is not None) for row in rows]


def find_registrations(event_id: int, term: str) -> list[Registration]:
    """Registrations whose name, email or company contains `term` (at least two characters)."""
    term = term.strip().lower()
    if len(term) < SEARCH_MIN_LENGTH:
        return []
    matches = sa.or_(*(sa.func.lower(column).contains(term, autoescape=True)
                       for column in (Registration.name, Registration.email, Registration.company_name)))
    query = (
        sa.select(Registration)
        .where(Registration.event_id == event_id, matches)
        .options(joinedload(Registration.checked_in_by))
        .order_by(Registration.name, Registration.id)
        .limit(SEARCH_LIMIT)
    )
    return list(db.session.scalars(query))

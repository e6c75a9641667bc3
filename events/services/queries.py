"""Read queries for the event pages, public and admin: a constant number of SQL statements per page."""
from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from accounts.models import Organisation
from core.paging import page_of, total_of
from core.timeutils import utcnow
from events import snapshots
from events.models import Audience, Event, EventKind, EventStatus, Registration, RegistrationStatus
from events.services.registration import registration_closed_reason
from extensions import db

PAGE_SIZE = 20
ADMIN_PAGE_SIZE = 50


class Availability(enum.StrEnum):
    OPEN = "open"
    WAITLIST = "waitlist"
    FULL = "full"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class EventListing:
    event: Event
    confirmed: int

    @property
    def seats_left(self) -> int:
        return max(self.event.capacity - self.confirmed, 0)

    @property
    def availability(self) -> Availability:
        if self.event.status == EventStatus.CANCELLED:
            return Availability.CANCELLED
        if registration_closed_reason(self.event):
            return Availability.CLOSED
        if self.seats_left > 0:
            return Availability.OPEN
        return Availability.WAITLIST if self.event.waitlist_enabled else Availability.FULL


@dataclass(frozen=True)
class EventFilters:
    audience: Audience | None = None
    organisation_slug: str | None = None
    kind: EventKind | None = None


def _confirmed_counts() -> sa.Subquery:
    return (
        sa.select(Registration.event_id, sa.func.count().label("confirmed"))
        .where(Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.event_id)
        .subquery()
    )


def upcoming_events(filters: EventFilters, page: int = 1, page_size: int = PAGE_SIZE) -> tuple[list[EventListing], int]:
    """One page of published events that have not ended, soonest first, and the total count."""
    counts = _confirmed_counts()
    query = (
        sa.select(Event, sa.func.coalesce(counts.c.confirmed, 0))
        .outerjoin(counts, counts.c.event_id == Event.id)
        .join(Event.organisation)
        .options(joinedload(Event.organisation))
        .where(Event.status.in_([EventStatus.PUBLISHED, EventStatus.CANCELLED]), Event.ends_at > utcnow())
    )
    if filters.audience:
        # "Everyone" events belong in every audience's list.
        query = query.where(Event.audience.in_([filters.audience, Audience.EVERYONE]))
    if filters.kind:
        query = query.where(Event.kind == filters.kind)
    if filters.organisation_slug:
        query = query.where(Organisation.slug == filters.organisation_slug)
    rows = db.session.execute(page_of(query.order_by(Event.starts_at, Event.id), page, page_size)).all()
    return [EventListing(event, confirmed) for event, confirmed in rows], total_of(query)


def organisations_with_events() -> list[Organisation]:
    query = (
        sa.select(Organisation)
        .where(Organisation.id.in_(sa.select(Event.organisation_id).where(Event.status == EventStatus.PUBLISHED)))
        .order_by(Organisation.name)
    )
    return list(db.session.scalars(query))


_PUBLIC = [EventStatus.PUBLISHED, EventStatus.CANCELLED]
_events, _organisations = Event.__table__, Organisation.__table__
# What says whether a process's snapshot of the event is still the event: its `updated_at` (raised by
# every ORM change of the event, and of its questions: events/models.py), and the organisation's row
# as it is (it has no version of its own). The seat counter is read here too: it is never snapshotted.
_VERSION = (
    sa.select(_events.c.updated_at, _events.c.seats_taken, *_organisations.c)
    .join(_organisations, _organisations.c.id == _events.c.organisation_id)
    .where(_events.c.id == sa.bindparam("event_id"), _events.c.status.in_(_PUBLIC))
)


def public_event(event_id: int) -> EventListing | None:
    """A published or cancelled event with its organisation, questions and seat count (the counter).

    The hot path of a sign-up: one Core SELECT checks the process's snapshot of the event (see
    `events/snapshots.py`); only a changed or unknown event is read through the ORM.
    """
    version = db.session.execute(_VERSION, {"event_id": event_id}).first()
    if version is None:
        return None
    key = (version.updated_at, tuple(version[2:]))
    event = snapshots.fresh(event_id, key)
    if event is None:
        event = db.session.scalar(
            sa.select(Event)
            .options(joinedload(Event.organisation), selectinload(Event.questions))
            .where(Event.id == event_id, Event.status.in_(_PUBLIC))
        )
        if event is None:  # unpublished between the two statements
            return None
        snapshots.keep(event, key)
    set_committed_value(event, "seats_taken", version.seats_taken)
    return EventListing(event, event.seats_taken)


class TimeFilter(enum.StrEnum):
    UPCOMING = "komend"
    PAST = "voorbij"


@dataclass(frozen=True)
class AdminEventFilters:
    organisation_ids: list[int]
    organisation_id: int | None = None
    status: EventStatus | None = None
    time: TimeFilter | None = None


@dataclass(frozen=True)
class EventOverview:
    event: Event
    confirmed: int
    waitlisted: int


def _status_counts() -> sa.Subquery:
    def count_of(status: RegistrationStatus) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((Registration.status == status, 1), else_=0)), 0)

    return (
        sa.select(
            Registration.event_id,
            count_of(RegistrationStatus.CONFIRMED).label("confirmed"),
            count_of(RegistrationStatus.WAITLISTED).label("waitlisted"),
        )
        .group_by(Registration.event_id)
        .subquery()
    )


def event_overviews(filters: AdminEventFilters, page: int = 1) -> tuple[list[EventOverview], int]:
    """One page of the events in the given organisations with their seat counts, and the total.

    Two queries whatever the number of events: the count and the page.
    """
    counts = _status_counts()
    query = (
        sa.select(Event, sa.func.coalesce(counts.c.confirmed, 0), sa.func.coalesce(counts.c.waitlisted, 0))
        .outerjoin(counts, counts.c.event_id == Event.id)
        .options(joinedload(Event.organisation))
        .where(Event.organisation_id.in_(filters.organisation_ids))
    )
    if filters.organisation_id is not None:
        query = query.where(Event.organisation_id == filters.organisation_id)
    if filters.status is not None:
        query = query.where(Event.status == filters.status)
    order = [Event.starts_at.desc(), Event.id.desc()]
    if filters.time == TimeFilter.UPCOMING:
        query = query.where(Event.ends_at > utcnow())
        order = [Event.starts_at, Event.id]
    elif filters.time == TimeFilter.PAST:
        query = query.where(Event.ends_at <= utcnow())
    rows = db.session.execute(page_of(query.order_by(*order), page, ADMIN_PAGE_SIZE)).all()
    return [EventOverview(event, confirmed, waitlisted) for event, confirmed, waitlisted in rows], total_of(query)


def status_counts(event_id: int) -> dict[RegistrationStatus, int]:
    """How many registrations the event has in each status (zero included)."""
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count()).where(Registration.event_id == event_id)
        .group_by(Registration.status)
    ).all()
    return {status: 0 for status in RegistrationStatus} | {status: count for status, count in rows}


@dataclass(frozen=True)
class RegistrationFilters:
    search: str = ""
    status: RegistrationStatus | None = None


def event_registrations(event_id: int, filters: RegistrationFilters, page: int = 1) -> tuple[list[Registration], int]:
    """One page of an event's registrations, oldest first; search matches name, email or company."""
    query = sa.select(Registration).where(Registration.event_id == event_id)
    if filters.search:
        term = filters.search.lower()
        query = query.where(
            sa.or_(*(sa.func.lower(column).contains(term, autoescape=True)
                     for column in (Registration.name, Registration.email, Registration.company_name)))
        )
    if filters.status is not None:
        query = query.where(Registration.status == filters.status)
    ordered = query.order_by(Registration.created_at, Registration.id)
    return list(db.session.scalars(page_of(ordered, page, ADMIN_PAGE_SIZE))), total_of(query)
